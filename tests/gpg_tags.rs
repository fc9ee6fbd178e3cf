//! OpenPGP-signed tags made by real `git tag -s` verify through gpgv against
//! a keyring file; forgeries are refused with their reason.

mod common;

use std::path::Path;

use aims::history::openpgp;
use aims::history::signature::{self, Rejection, SignatureKind};
use common::*;

/// The signing time the checks assume: now (gpg signs with the clock).
const NOW: i64 = i64::MAX / 2;

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

    gpg_tag(
        &repo,
        &dana,
        "dana@acme.example",
        "aims/pol-001-v1",
        "Approve POL-001\n\nAims-Document: POL-001",
    );
    let raw = git(&repo, &["cat-file", "tag", "aims/pol-001-v1"]).into_bytes();
    let split = signature::split(&raw);
    let (kind, armored) = split.signature.expect("signed");
    assert_eq!(kind, SignatureKind::OpenPgp);

    let ok = openpgp::verify(split.payload, armored, &keyring, "dana@acme.example", NOW)
        .unwrap()
        .unwrap();
    assert!(!ok.fingerprint.is_empty());

    let r = openpgp::verify(
        split.payload,
        armored,
        &keyring,
        "mallory@acme.example",
        NOW,
    )
    .unwrap();
    assert!(matches!(r, Err(Rejection::NotAllowedFor { .. })), "{r:?}");

    let mut tampered = split.payload.to_vec();
    let last = tampered.len() - 2;
    tampered[last] ^= 1;
    assert_eq!(
        openpgp::verify(&tampered, armored, &keyring, "dana@acme.example", NOW).unwrap(),
        Err(Rejection::BadSignature)
    );

    let r = openpgp::verify(
        split.payload,
        armored,
        &other_keyring,
        "dana@acme.example",
        NOW,
    )
    .unwrap();
    assert!(matches!(r, Err(Rejection::UnknownKey { .. })), "{r:?}");

    // Leave no agent behind.
    for home in [&dana, &mallory] {
        let _ = hermetic("gpgconf", home)
            .env("GNUPGHOME", home)
            .args(["--kill", "gpg-agent"])
            .output();
    }
}

/// `git tag -s` with OpenPGP, as `email`, in `repo`.
fn gpg_tag(repo: &Path, home: &Path, email: &str, name: &str, message: &str) {
    gpg_tag_at(repo, home, email, name, message, "2026-01-20T10:00:00Z");
}

/// [`gpg_tag`] with the tagger date `date`.
fn gpg_tag_at(repo: &Path, home: &Path, email: &str, name: &str, message: &str, date: &str) {
    let out = hermetic("git", home)
        .current_dir(repo)
        .env("GNUPGHOME", home)
        .env("GIT_COMMITTER_EMAIL", email)
        .env("GIT_COMMITTER_DATE", date)
        .args(["-c", "gpg.format=openpgp", "-c"])
        .arg(format!("user.signingkey={email}"))
        .args(["tag", "-s", name, "-m", message])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git tag -s: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn openpgp_approvals_count_against_the_approved_keyring() {
    if !have_tools(&["gpg", "gpgv", "gpgconf"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(repo.join("aims")).unwrap();
    std::fs::create_dir_all(repo.join(".aims")).unwrap();
    let dana = new_home(tmp.path(), "dana", "Dana Scully <dana@acme.example>");
    let mallory = new_home(tmp.path(), "mallory", "Mallory <mallory@acme.example>");
    std::fs::write(repo.join(".aims/approvers.gpg"), gpg(&dana, &["--export"])).unwrap();
    std::fs::write(
        repo.join("aims.toml"),
        "[aims]\ngpg-keyring = \".aims/approvers.gpg\"\n[roles]\n\
         top-management = [\"dana@acme.example\", \"mallory@acme.example\"]\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("aims/pol.md"),
        "+++\nid = \"POL-001\"\nkind = \"policy\"\ntitle = \"AI Policy\"\nowner = \"dana@acme.example\"\n+++\n# AI Policy\n",
    )
    .unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "AIMS"]);
    let blob = |path: &str| git(&repo, &["rev-parse", &format!("HEAD:{path}")]);
    let claim = |id: &str, path: &str| {
        format!(
            "Approve {id}\n\nAims-Document: {id}\nAims-Path: {path}\nAims-Blob: {}\nAims-Role: top-management\nAims-Decision: approved",
            blob(path).trim()
        )
    };
    gpg_tag(
        &repo,
        &dana,
        "dana@acme.example",
        "aims/config/v1",
        &claim("aims.toml", "aims.toml"),
    );
    gpg_tag(
        &repo,
        &dana,
        "dana@acme.example",
        "aims/pol-001/v1",
        &claim("POL-001", "aims/pol.md"),
    );
    // Mallory holds the role, but her key is not in the approved keyring.
    gpg_tag(
        &repo,
        &mallory,
        "mallory@acme.example",
        "aims/pol-001/mallory",
        &claim("POL-001", "aims/pol.md"),
    );

    // The keyring is given to gpgv as a temporary file, which every command
    // removes, the ones that leave their register to the end of the process
    // included.
    let temp = tmp.path().join("temp");
    std::fs::create_dir(&temp).unwrap();
    let aims_in_temp = |args: &[&str]| {
        let out = aims(tmp.path())
            .env("TMPDIR", &temp)
            .current_dir(&repo)
            .args(args)
            .output()
            .unwrap();
        let left: Vec<_> = std::fs::read_dir(&temp)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "aims {args:?} left {left:?} behind");
        out
    };
    for args in [
        &["check"][..],
        &["audit"],
        &["reviews"],
        &["log", "POL-001"],
    ] {
        let out = aims_in_temp(args);
        assert!(code(&out) <= 1, "aims {args:?}: {}", stderr(&out));
    }
    let out = aims_in_temp(&["status", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pol = json["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "POL-001")
        .unwrap()
        .clone();
    assert_eq!(pol["version"], 1, "{pol:#}");
    assert_eq!(pol["state"], "approved");
    let approvals = pol["approvals"].as_array().unwrap();
    let dana_approval = approvals
        .iter()
        .find(|a| a["tag"] == "aims/pol-001/v1")
        .unwrap();
    assert_eq!(dana_approval["counts"], true);
    assert!(!dana_approval["fingerprint"].as_str().unwrap().is_empty());
    let mallory_approval = approvals
        .iter()
        .find(|a| a["tag"] == "aims/pol-001/mallory")
        .unwrap();
    assert_eq!(mallory_approval["verified"], false);
    assert!(
        mallory_approval["reason"]
            .as_str()
            .unwrap()
            .contains("OpenPGP key"),
        "{mallory_approval:#}"
    );

    for home in [&dana, &mallory] {
        let _ = hermetic("gpgconf", home)
            .env("GNUPGHOME", home)
            .args(["--kill", "gpg-agent"])
            .output();
    }
}

/// A key revoked later in an approved keyring voids everything it signed,
/// past approvals included; the other approver's stand.
#[test]
fn an_openpgp_key_revoked_in_a_later_keyring_voids_its_past_approvals() {
    if !have_tools(&["gpg", "gpgv", "gpgconf"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(repo.join("aims")).unwrap();
    std::fs::create_dir_all(repo.join(".aims")).unwrap();
    let dana = new_home(tmp.path(), "dana", "Dana Scully <dana@acme.example>");
    let erin = new_home(tmp.path(), "erin", "Erin <erin@acme.example>");
    let keyring = |dana_key: &[u8]| [dana_key, &gpg(&erin, &["--export"])].concat();
    std::fs::write(
        repo.join(".aims/approvers.gpg"),
        keyring(&gpg(&dana, &["--export"])),
    )
    .unwrap();
    std::fs::write(
        repo.join("aims.toml"),
        "[aims]\ngpg-keyring = \".aims/approvers.gpg\"\n[roles]\n\
         top-management = [\"dana@acme.example\", \"erin@acme.example\"]\n",
    )
    .unwrap();
    for (id, path) in [("POL-001", "aims/pol.md"), ("POL-002", "aims/pol2.md")] {
        std::fs::write(
            repo.join(path),
            format!("+++\nid = \"{id}\"\nkind = \"policy\"\ntitle = \"Policy\"\nowner = \"dana@acme.example\"\n+++\n# Policy\n"),
        )
        .unwrap();
    }
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "AIMS"]);
    let claim = |id: &str, path: &str| {
        let blob = git(&repo, &["rev-parse", &format!("HEAD:{path}")]);
        format!(
            "Approve {id}\n\nAims-Document: {id}\nAims-Path: {path}\nAims-Blob: {}\nAims-Role: top-management\nAims-Decision: approved",
            blob.trim()
        )
    };
    gpg_tag_at(
        &repo,
        &dana,
        "dana@acme.example",
        "aims/config/v1",
        &claim("aims.toml", "aims.toml"),
        "2026-01-16T10:00:00Z",
    );
    gpg_tag_at(
        &repo,
        &dana,
        "dana@acme.example",
        "aims/pol-001/dana",
        &claim("POL-001", "aims/pol.md"),
        "2026-01-17T10:00:00Z",
    );
    gpg_tag_at(
        &repo,
        &erin,
        "erin@acme.example",
        "aims/pol-002/erin",
        &claim("POL-002", "aims/pol2.md"),
        "2026-01-17T10:00:00Z",
    );
    let pol = |id: &str| {
        let out = run(&repo, &["status", "--format", "json"]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(pol("POL-001")["state"], "approved");

    // Dana's key is compromised: her revocation certificate (which gpg
    // made with the key) goes into the keyring, approved by Erin.
    let revs = dana.join("openpgp-revocs.d");
    let cert = std::fs::read_dir(&revs)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let text = std::fs::read_to_string(cert)
        .unwrap()
        .replace(":-----BEGIN", "-----BEGIN");
    let cert = tmp.path().join("dana.rev");
    std::fs::write(&cert, text).unwrap();
    gpg(&dana, &["--import", cert.to_str().unwrap()]);
    std::fs::write(
        repo.join(".aims/approvers.gpg"),
        keyring(&gpg(&dana, &["--export"])),
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    succeed(
        hermetic("git", home.path())
            .current_dir(&repo)
            .env("GIT_COMMITTER_DATE", "2026-02-01T10:00:00Z")
            .env("GIT_AUTHOR_DATE", "2026-02-01T10:00:00Z")
            .args(["commit", "-q", "-am", "revoke Dana's key"]),
    );
    gpg_tag_at(
        &repo,
        &erin,
        "erin@acme.example",
        "aims/config/v2",
        &claim("aims.toml", "aims.toml"),
        "2026-02-02T10:00:00Z",
    );

    let void = pol("POL-001");
    assert_eq!(void["state"], "never-approved", "{void:#}");
    let reason = void["approvals"][0]["reason"].as_str().unwrap().to_owned();
    assert!(
        reason.contains("revocation") || reason.contains("revoked"),
        "{reason}"
    );
    assert_eq!(pol("POL-002")["state"], "approved");
    // The configuration itself is at v2, approved by Erin.
    assert_eq!(pol("POL-002")["version"], 1);

    for home in [&dana, &erin] {
        let _ = hermetic("gpgconf", home)
            .env("GNUPGHOME", home)
            .args(["--kill", "gpg-agent"])
            .output();
    }
}
