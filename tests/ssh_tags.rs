//! SSH-signed tags made by real `git tag -s` (gpg.format=ssh) verify, and
//! every forgery is refused with its reason.

mod common;

use std::path::Path;

use aims::history::allowed_signers;
use aims::history::signature::{self, Rejection, SignatureKind};
use common::*;

/// `git tag` as `email`, signed with `key` when given.
fn tag(repo: &Path, email: &str, key: Option<&Path>, name: &str, message: &str) -> Vec<u8> {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = hermetic("git", home.path());
    cmd.current_dir(repo)
        .env("GIT_COMMITTER_EMAIL", email)
        .env("GIT_COMMITTER_NAME", email);
    match key {
        Some(key) => {
            cmd.args(["-c", "gpg.format=ssh", "-c"])
                .arg(format!("user.signingkey={}", key.display()))
                .args(["tag", "-s", name, "-m", message]);
        }
        None => {
            cmd.args(["tag", "-a", name, "-m", message]);
        }
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "git tag: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    git(repo, &["cat-file", "tag", name]).into_bytes()
}

/// A repository at `dir/repo` with one commit holding a policy.
fn policy_repo(dir: &Path) -> std::path::PathBuf {
    let repo = dir.join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("a.md"), "+++\nid = \"POL-001\"\n+++\n").unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "policy"]);
    repo
}

fn tagger_time(raw: &[u8]) -> i64 {
    let text = String::from_utf8_lossy(raw);
    let line = text.lines().find(|l| l.starts_with("tagger ")).unwrap();
    line.split_whitespace()
        .rev()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap()
}

const MESSAGE: &str = "Approve POL-001 AI Policy\n\nAims-Document: POL-001\nAims-Role: top-management\nAims-Decision: approved";

#[test]
fn real_ssh_signed_tags_verify_and_forgeries_do_not() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let repo = policy_repo(tmp.path());
    let (dana_key, dana_pub) = keygen(tmp.path(), "dana");
    let (mallory_key, _) = keygen(tmp.path(), "mallory");

    let allowed = format!("dana@acme.example namespaces=\"git\" {dana_pub}\n");
    let (signers, errors) = allowed_signers::parse(&allowed);
    assert_eq!(errors, []);

    // A good approval.
    let raw = tag(
        &repo,
        "dana@acme.example",
        Some(&dana_key),
        "aims/pol-001-v1",
        MESSAGE,
    );
    let split = signature::split(&raw);
    let (kind, armored) = split.signature.expect("signed");
    assert_eq!(kind, SignatureKind::Ssh);
    let time = tagger_time(&raw);
    let ok =
        signature::verify_ssh(split.payload, armored, &signers, "dana@acme.example", time).unwrap();
    assert!(ok.fingerprint.starts_with("SHA256:"));
    assert_eq!(ok.line, Some(1));
    // The real tag object's headers and trailers parse; this message lacks
    // Aims-Path and Aims-Blob, so it is no claim.
    let object = aims::history::tag::parse_tag(split.payload).unwrap();
    assert_eq!(
        (object.tagger_email.as_str(), object.time),
        ("dana@acme.example", time)
    );
    assert_eq!(object.name, "aims/pol-001-v1");
    let err = aims::history::tag::parse_claim(&object.message)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no Aims-Path") && err.contains("no Aims-Blob"),
        "{err}"
    );

    // Same key, but the tagger claims to be someone else.
    let r = signature::verify_ssh(
        split.payload,
        armored,
        &signers,
        "mallory@acme.example",
        time,
    );
    assert!(matches!(r, Err(Rejection::NotAllowedFor { .. })), "{r:?}");

    // Tampered payload: one byte of the message changed.
    let mut tampered = split.payload.to_vec();
    let at = tampered.iter().rposition(|&b| b == b'a').unwrap();
    tampered[at] = b'b';
    let r = signature::verify_ssh(&tampered, armored, &signers, "dana@acme.example", time);
    assert_eq!(r, Err(Rejection::BadSignature));

    // A key that is not in the allowed signers.
    let raw_m = tag(
        &repo,
        "dana@acme.example",
        Some(&mallory_key),
        "aims/pol-001-forged",
        MESSAGE,
    );
    let s = signature::split(&raw_m);
    let r = signature::verify_ssh(
        s.payload,
        s.signature.unwrap().1,
        &signers,
        "dana@acme.example",
        tagger_time(&raw_m),
    );
    assert!(matches!(r, Err(Rejection::UnknownKey { .. })), "{r:?}");

    // An unsigned tag whose message carries a copied signature block: the
    // block is found (last marker), but it signed other content.
    let copied = String::from_utf8_lossy(armored).trim_end().to_owned();
    let raw_f = tag(
        &repo,
        "dana@acme.example",
        None,
        "aims/pol-001-fake",
        &format!("{MESSAGE}\n{copied}"),
    );
    let s = signature::split(&raw_f);
    let r = signature::verify_ssh(
        s.payload,
        s.signature.expect("the fake block").1,
        &signers,
        "dana@acme.example",
        tagger_time(&raw_f),
    );
    assert_eq!(r, Err(Rejection::BadSignature));

    // A plain unsigned annotated tag has no signature at all.
    let raw_u = tag(
        &repo,
        "dana@acme.example",
        None,
        "aims/pol-001-unsigned",
        MESSAGE,
    );
    assert_eq!(signature::split(&raw_u).signature, None);

    // Outside the key's validity window at the tagger's time (2026-01-15).
    for (option, expected) in [
        ("valid-before=\"20260101\"", "expired"),
        ("valid-after=\"20270101\"", "not yet valid"),
    ] {
        let (signers, _) =
            allowed_signers::parse(&format!("dana@acme.example {option} {dana_pub}\n"));
        let r = signature::verify_ssh(split.payload, armored, &signers, "dana@acme.example", time)
            .unwrap_err();
        assert!(r.to_string().contains(expected), "{r}");
    }

    // A signature made for another namespace.
    let home = tempfile::tempdir().unwrap();
    let mut child = hermetic("ssh-keygen", home.path())
        .args(["-Y", "sign", "-n", "file", "-f"])
        .arg(&dana_key)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(split.payload)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let r = signature::verify_ssh(
        split.payload,
        &out.stdout,
        &signers,
        "dana@acme.example",
        time,
    );
    assert_eq!(
        r,
        Err(Rejection::WrongNamespace {
            found: "file".into(),
            expected: "git".into()
        })
    );
}

fn claim(blob: &str, role: &str) -> String {
    format!(
        "Approve POL-001 AI Policy\n\nAims-Document: POL-001\nAims-Path: aims/policy/ai.md\nAims-Blob: {blob}\nAims-Role: {role}\nAims-Decision: approved"
    )
}

#[test]
fn scan_counts_only_verified_approvals_and_says_why_not() {
    use aims::history::approvals::{self, Invalid, TrustRoot};
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(repo.join("aims/policy")).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(
        repo.join("aims/policy/ai.md"),
        "+++\nid = \"POL-001\"\n+++\n",
    )
    .unwrap();
    std::fs::write(repo.join("other.md"), "other\n").unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "policy"]);
    let blob = git(&repo, &["rev-parse", "HEAD:aims/policy/ai.md"])
        .trim()
        .to_owned();
    let other_blob = git(&repo, &["rev-parse", "HEAD:other.md"])
        .trim()
        .to_owned();
    let (dana_key, dana_pub) = keygen(tmp.path(), "dana");
    let (mallory_key, _) = keygen(tmp.path(), "mallory");

    let dana = "dana@acme.example";
    tag(
        &repo,
        dana,
        Some(&dana_key),
        "aims/pol-001/v1",
        &claim(&blob, "top-management"),
    );
    git(&repo, &["tag", "aims/lightweight"]);
    tag(
        &repo,
        dana,
        None,
        "aims/unsigned",
        &claim(&blob, "top-management"),
    );
    tag(
        &repo,
        dana,
        Some(&dana_key),
        "aims/role",
        &claim(&blob, "ai-governance-lead"),
    );
    tag(
        &repo,
        dana,
        Some(&dana_key),
        "aims/blob",
        &claim(&other_blob, "top-management"),
    );
    tag(
        &repo,
        dana,
        Some(&mallory_key),
        "aims/unknown-key",
        &claim(&blob, "top-management"),
    );
    tag(
        &repo,
        dana,
        Some(&dana_key),
        "not-aims",
        &claim(&blob, "top-management"),
    );

    let (signers, _) = allowed_signers::parse(&format!("{dana} {dana_pub}\n"));
    let trust = TrustRoot {
        roles: [
            ("top-management".to_owned(), vec![dana.to_owned()]),
            (
                "ai-governance-lead".to_owned(),
                vec!["alice@acme.example".to_owned()],
            ),
        ]
        .into_iter()
        .collect(),
        signers,
        keyring: None,
    };
    let git_repo = git2::Repository::open(&repo).unwrap();
    let reports = approvals::scan(&git_repo, &trust).unwrap();
    let by_name = |n: &str| {
        reports
            .iter()
            .find(|r| r.name == n)
            .unwrap_or_else(|| panic!("{n} scanned: {reports:#?}"))
    };
    assert_eq!(
        reports.len(),
        6,
        "only tags under aims/, nested ones included"
    );

    let good = by_name("aims/pol-001/v1").outcome.as_ref().unwrap();
    assert_eq!(
        (
            good.claim.document.as_str(),
            good.signer_email.as_str(),
            good.tag.as_str()
        ),
        ("POL-001", dana, "aims/pol-001/v1")
    );
    assert_eq!(
        by_name("aims/lightweight").outcome,
        Err(Invalid::Lightweight)
    );
    assert_eq!(
        by_name("aims/unsigned").outcome,
        Err(Invalid::Signature(Rejection::Unsigned))
    );
    assert!(
        matches!(&by_name("aims/role").outcome, Err(Invalid::RoleNotHeld { role, .. }) if role == "ai-governance-lead")
    );
    assert!(matches!(
        &by_name("aims/blob").outcome,
        Err(Invalid::BlobMismatch { .. })
    ));
    assert!(matches!(
        &by_name("aims/unknown-key").outcome,
        Err(Invalid::Signature(Rejection::UnknownKey { .. }))
    ));
    for r in &reports {
        if let Err(e) = &r.outcome {
            assert!(!e.to_string().is_empty());
        }
    }
}

/// A key made by `ssh-keygen -t TYPE [-b BITS]` at `dir/name`.
fn keygen_of(dir: &Path, name: &str, kind: &[&str]) -> (std::path::PathBuf, String) {
    let path = dir.join(name);
    let home = tempfile::tempdir().unwrap();
    succeed(
        hermetic("ssh-keygen", home.path())
            .args(["-q", "-N", "", "-C", name])
            .args(kind)
            .arg("-f")
            .arg(&path),
    );
    let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
    let public: Vec<&str> = public.split_whitespace().take(2).collect();
    (path, public.join(" "))
}

/// `ssh-keygen -s CA` certifies `key` for `principals` over `validity`;
/// returns the certificate's path (what git's user.signingkey names).
fn certify(ca: &Path, key: &Path, principals: &str, validity: &str) -> std::path::PathBuf {
    let home = tempfile::tempdir().unwrap();
    succeed(
        hermetic("ssh-keygen", home.path())
            .args(["-q", "-s"])
            .arg(ca)
            .args(["-I", "test-cert", "-n", principals, "-V", validity])
            .arg(key.with_extension("pub")),
    );
    let cert = key.with_file_name(format!(
        "{}-cert.pub",
        key.file_name().unwrap().to_string_lossy()
    ));
    assert!(cert.exists());
    cert
}

/// `git verify-tag` with `allowed` as the allowed signers: git's verdict.
fn git_verifies(repo: &Path, allowed: &Path, name: &str) -> bool {
    let home = tempfile::tempdir().unwrap();
    hermetic("git", home.path())
        .current_dir(repo)
        .args(["-c", "gpg.format=ssh", "-c"])
        .arg(format!("gpg.ssh.allowedSignersFile={}", allowed.display()))
        .args(["verify-tag", name])
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn every_key_git_accepts_verifies_and_sha1_rsa_is_refused_with_its_reason() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let repo = policy_repo(tmp.path());

    let (p521, p521_pub) = keygen_of(tmp.path(), "p521", &["-t", "ecdsa", "-b", "521"]);
    let (rsa, rsa_pub) = keygen_of(tmp.path(), "rsa", &["-t", "rsa", "-b", "3072"]);
    let (ca, ca_pub) = keygen_of(tmp.path(), "ca", &["-t", "ed25519"]);
    let (user, _) = keygen_of(tmp.path(), "user", &["-t", "ed25519"]);
    let (old, _) = keygen_of(tmp.path(), "old", &["-t", "ed25519"]);
    let (other, _) = keygen_of(tmp.path(), "other", &["-t", "ecdsa", "-b", "256"]);
    // Tags are made at 2026-01-15 (the hermetic clock).
    let dana_cert = certify(&ca, &user, "dana@acme.example", "20200101:20400101");
    let expired_cert = certify(&ca, &old, "dana@acme.example", "20200101:20210101");
    let mallory_cert = certify(&ca, &other, "mallory@acme.example", "20200101:20400101");

    let allowed = tmp.path().join("allowed_signers");
    std::fs::write(
        &allowed,
        format!(
            "dana@acme.example {p521_pub}\n\
             dana@acme.example {rsa_pub}\n\
             *@acme.example cert-authority {ca_pub}\n"
        ),
    )
    .unwrap();
    let (signers, errors) = allowed_signers::parse(&std::fs::read_to_string(&allowed).unwrap());
    assert_eq!(errors, []);

    // (signing key or certificate, tag, git's verdict and ours)
    let cases: [(&Path, &str, bool); 5] = [
        (&p521, "aims/p521", true),
        (&rsa, "aims/rsa", true),
        (&dana_cert, "aims/cert", true),
        (&expired_cert, "aims/cert-expired", false),
        // Certified for mallory; the tagger says dana.
        (&mallory_cert, "aims/cert-other", false),
    ];
    for (key, name, accepted) in cases {
        let raw = tag(&repo, "dana@acme.example", Some(key), name, MESSAGE);
        let split = signature::split(&raw);
        let (kind, armored) = split.signature.expect("signed");
        assert_eq!(kind, SignatureKind::Ssh);
        let ours = signature::verify_ssh(
            split.payload,
            armored,
            &signers,
            "dana@acme.example",
            tagger_time(&raw),
        );
        assert_eq!(ours.is_ok(), accepted, "{name}: {ours:?}");
        if name != "aims/cert-other" {
            // git names mallory as the signer and calls it good: it does
            // not compare the certificate's principal with the tagger,
            // which aims does.
            assert_eq!(git_verifies(&repo, &allowed, name), accepted, "git, {name}");
        }
        match name {
            "aims/cert-expired" => {
                let why = ours.unwrap_err().to_string();
                assert!(
                    why.contains("certificate") && why.contains("expired"),
                    "{why}"
                );
            }
            "aims/cert-other" => {
                let why = ours.unwrap_err().to_string();
                assert!(why.contains("mallory@acme.example"), "{why}");
            }
            _ => {}
        }
    }

    // Without the cert-authority line the certificate counts for nothing,
    // and a certificate authority's key is not a signer's key.
    let (plain, _) = allowed_signers::parse(&format!("dana@acme.example {ca_pub}\n"));
    let raw = git(&repo, &["cat-file", "tag", "aims/cert"]).into_bytes();
    let split = signature::split(&raw);
    let r = signature::verify_ssh(
        split.payload,
        split.signature.unwrap().1,
        &plain,
        "dana@acme.example",
        tagger_time(&raw),
    );
    assert!(matches!(r, Err(Rejection::UnknownKey { .. })), "{r:?}");

    // SHA-1 RSA: OpenSSH no longer makes such signatures, so the RSA
    // signature's algorithm is rewritten to `ssh-rsa`, as an old tool or a
    // forger would send it. The reason names SHA-1, not a length.
    let raw = git(&repo, &["cat-file", "tag", "aims/rsa"]).into_bytes();
    let split = signature::split(&raw);
    let sha1 = with_signature_algorithm(split.signature.unwrap().1, "ssh-rsa");
    let r = signature::verify_ssh(
        split.payload,
        sha1.as_bytes(),
        &signers,
        "dana@acme.example",
        tagger_time(&raw),
    );
    assert_eq!(r, Err(Rejection::RsaSha1));
    assert!(r.unwrap_err().to_string().contains("SHA-1"));
}

/// An armored SSH signature with its signature's algorithm name replaced.
fn with_signature_algorithm(armored: &[u8], algorithm: &str) -> String {
    use base64ct::{Base64, Encoding};
    let text = String::from_utf8_lossy(armored);
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    let blob = Base64::decode_vec(&body).unwrap();
    // SSHSIG, version, then five strings: key, namespace, reserved, hash, signature.
    let mut at = 10;
    for _ in 0..4 {
        let n = u32::from_be_bytes(blob[at..at + 4].try_into().unwrap()) as usize;
        at += 4 + n;
    }
    let sig = &blob[at + 4..];
    let name_len = u32::from_be_bytes(sig[..4].try_into().unwrap()) as usize;
    let rest = &sig[4 + name_len..];
    let mut new_sig = (algorithm.len() as u32).to_be_bytes().to_vec();
    new_sig.extend_from_slice(algorithm.as_bytes());
    new_sig.extend_from_slice(rest);
    let mut out = blob[..at].to_vec();
    out.extend_from_slice(&(new_sig.len() as u32).to_be_bytes());
    out.extend_from_slice(&new_sig);
    let encoded = Base64::encode_string(&out);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(70)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN SSH SIGNATURE-----\n{}\n-----END SSH SIGNATURE-----\n",
        lines.join("\n")
    )
}
