//! OpenPGP-signed tags made by real `git tag -s` verify through gpgv against
//! a keyring file; forgeries are refused with their reason.

mod common;

use std::path::Path;

use aims::history::openpgp;
use aims::history::signature::{self, Rejection, SignatureKind};
use common::*;

fn gpg(gnupghome: &Path, args: &[&str]) -> Vec<u8> {
    let out = hermetic("gpg", gnupghome)
        .env("GNUPGHOME", gnupghome)
        .args([
            "--batch",
            "--quiet",
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gpg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn new_home(dir: &Path, name: &str, uid: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let home = dir.join(name);
    std::fs::create_dir(&home).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
    gpg(&home, &["--quick-gen-key", uid, "ed25519", "sign", "never"]);
    home
}

#[test]
fn real_openpgp_signed_tags_verify_through_gpgv() {
    if !have_tools(&["gpg", "gpgv", "gpgconf"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("a.md"), "x\n").unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "c"]);

    let dana = new_home(tmp.path(), "dana", "Dana Scully <dana@acme.example>");
    let mallory = new_home(tmp.path(), "mallory", "Mallory <mallory@acme.example>");
    let keyring = tmp.path().join("approvers.gpg");
    std::fs::write(&keyring, gpg(&dana, &["--export"])).unwrap();
    let other_keyring = tmp.path().join("others.gpg");
    std::fs::write(&other_keyring, gpg(&mallory, &["--export"])).unwrap();

    let out = hermetic("git", &dana)
        .current_dir(&repo)
        .env("GNUPGHOME", &dana)
        .env("GIT_COMMITTER_EMAIL", "dana@acme.example")
        .args([
            "-c",
            "gpg.format=openpgp",
            "-c",
            "user.signingkey=dana@acme.example",
        ])
        .args([
            "tag",
            "-s",
            "aims/pol-001-v1",
            "-m",
            "Approve POL-001\n\nAims-Document: POL-001",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git tag -s: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let raw = git(&repo, &["cat-file", "tag", "aims/pol-001-v1"]).into_bytes();
    let split = signature::split(&raw);
    let (kind, armored) = split.signature.expect("signed");
    assert_eq!(kind, SignatureKind::OpenPgp);

    let ok = openpgp::verify(split.payload, armored, &keyring, "dana@acme.example")
        .unwrap()
        .unwrap();
    assert!(!ok.fingerprint.is_empty());

    let r = openpgp::verify(split.payload, armored, &keyring, "mallory@acme.example").unwrap();
    assert!(matches!(r, Err(Rejection::NotAllowedFor { .. })), "{r:?}");

    let mut tampered = split.payload.to_vec();
    let last = tampered.len() - 2;
    tampered[last] ^= 1;
    assert_eq!(
        openpgp::verify(&tampered, armored, &keyring, "dana@acme.example").unwrap(),
        Err(Rejection::BadSignature)
    );

    let r = openpgp::verify(split.payload, armored, &other_keyring, "dana@acme.example").unwrap();
    assert!(matches!(r, Err(Rejection::UnknownKey { .. })), "{r:?}");

    // Leave no agent behind.
    for home in [&dana, &mallory] {
        let _ = hermetic("gpgconf", home)
            .env("GNUPGHOME", home)
            .args(["--kill", "gpg-agent"])
            .output();
    }
}
