//! Document control end to end: real repositories, real SSH keys, approval
//! tags made by plain `git tag -s` and by `aims approve`, judged by the
//! binary's `status`, `check`, `log` and `diff`.

mod common;

use common::approved::*;
use common::*;
use serde_json::Value;

#[test]
fn approvals_versions_forgeries_and_the_trust_root() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = Fixture::new();

    // Nothing approved: the configuration first of all.
    let findings = f.control_findings();
    assert!(
        has(&findings, "CTL007", "never been approved"),
        "{findings:?}"
    );
    assert!(has(&findings, "CTL001", "POL-001 has never been approved"));
    // A document approval before the configuration's cannot be verified.
    f.approve_by_hand(
        "dana",
        "POL-001",
        "aims/policy/ai.md",
        "top-management",
        "2026-01-11T09:00:00Z",
    );
    let pol = f.doc(&[], "POL-001");
    assert_eq!(pol["state"], "never-approved");
    assert!(
        pol["approvals"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("no approved aims.toml"),
        "{pol:#}"
    );
    let early = f.git(&["tag", "--list", "aims/pol-001/*"]);
    f.git(&["tag", "-d", early.trim()]);

    // Bootstrap: Dana (top management) approves aims.toml; then POL-001.
    f.approve_by_hand(
        "dana",
        "aims.toml",
        "aims.toml",
        "top-management",
        "2026-01-12T09:00:00Z",
    );
    let v1_tag = f.approve_by_hand(
        "dana",
        "POL-001",
        "aims/policy/ai.md",
        "top-management",
        "2026-01-15T09:00:00Z",
    );
    let pol = f.doc(&[], "POL-001");
    assert_eq!(
        (pol["version"].clone(), pol["state"].clone()),
        (1.into(), "approved".into()),
        "{pol:#}"
    );
    let a = &pol["approvals"][0];
    assert_eq!(a["signer"], DANA);
    assert_eq!(a["role"], "top-management");
    assert_eq!(a["date"], "2026-01-15");
    assert_eq!(a["decision"], "approved");
    assert_eq!(a["verified"], true);
    assert_eq!(a["tag"], v1_tag.as_str());
    assert_eq!(
        a["commit"].as_str().unwrap(),
        f.git(&["rev-parse", "HEAD"]).trim()
    );
    assert_eq!(pol["review-due"], "2027-01-15");
    let config = f.doc(&[], "aims.toml");
    assert_eq!(config["state"], "approved");
    assert!(!has(&f.control_findings(), "CTL007", ""));

    // Edit after approval: changed, one unapproved change.
    std::fs::write(f.repo.join("aims/policy/ai.md"), policy("Second text.")).unwrap();
    let pol = f.doc(&[], "POL-001");
    assert_eq!(pol["state"], "changed-since-approval");
    assert_eq!(pol["uncommitted"], true);
    f.commit("alice", "2026-02-01T10:00:00Z", "policy: second text");
    let pol = f.doc(&[], "POL-001");
    assert_eq!(
        (pol["state"].clone(), pol["unapproved-changes"].clone()),
        ("changed-since-approval".into(), 1.into())
    );
    assert!(has(&f.control_findings(), "CTL002", "1 unapproved change"));
    // The redline shows the changed word against the approved version.
    let diff = stdout(&f.aims(&["diff", "POL-001"]));
    assert!(
        diff.contains("-[-First-] text.") && diff.contains("+{+Second+} text."),
        "{diff}"
    );
    assert!(
        diff.contains("v1 (approved 2026-01-15 by dana@acme.example"),
        "{diff}"
    );

    // The second approval, through `aims approve` with Dana's SSH set-up:
    // version 2, and it counts exactly like the hand-made tag.
    let gitconfig = f.keys.join("dana.gitconfig");
    std::fs::write(
        &gitconfig,
        format!(
            "[user]\n\tname = Dana\n\temail = {DANA}\n\tsigningkey = {}\n[gpg]\n\tformat = ssh\n",
            f.keys.join("dana").display()
        ),
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = approve_on_feb_5(
        &f,
        home.path(),
        &gitconfig,
        &["POL-001", "-m", "Reviewed with legal"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Approved POL-001 as v2"),
        "{}",
        stdout(&out)
    );
    let pol = f.doc(&[], "POL-001");
    assert_eq!(
        (pol["version"].clone(), pol["state"].clone()),
        (2.into(), "approved".into())
    );
    let kinds: Vec<(Value, Value, Value)> = pol["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["verified"].clone(),
                a["counts"].clone(),
                a["version"].clone(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (true.into(), true.into(), 1.into()),
            (true.into(), true.into(), 2.into())
        ]
    );
    // `aims approve` refuses what is already approved, and uncommitted work.
    let again = aims(home.path())
        .current_dir(&f.repo)
        .env("GIT_CONFIG_GLOBAL", &gitconfig)
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("GIT_COMMITTER_EMAIL")
        .args(["approve", "POL-001"])
        .output()
        .unwrap();
    assert_eq!(code(&again), 2);
    assert!(
        stderr(&again).contains("already approved as v2"),
        "{}",
        stderr(&again)
    );

    // As of a date before the first approval, and between the two.
    assert_eq!(
        f.doc(&["--as-of", "2026-01-14"], "POL-001")["state"],
        "never-approved"
    );
    let then = f.doc(&["--as-of", "2026-01-20"], "POL-001");
    assert_eq!(
        (then["version"].clone(), then["state"].clone()),
        (1.into(), "approved".into())
    );
    let mid = f.doc(&["--as-of", "2026-02-02"], "POL-001");
    assert_eq!(
        (mid["version"].clone(), mid["state"].clone()),
        (1.into(), "changed-since-approval".into())
    );
    // As of a commit: its tree and its time (before the second approval).
    assert_eq!(f.doc(&["--as-of", "HEAD"], "POL-001")["version"], 1);
    assert!(f.doc(&["--as-of", "HEAD~1"], "POL-001")["version"].is_null());

    // A rename keeps the approval (content, not path, is approved).
    std::fs::create_dir_all(f.repo.join("aims/policies")).unwrap();
    f.git(&["mv", "aims/policy/ai.md", "aims/policies/ai-policy.md"]);
    f.commit("alice", "2026-02-10T10:00:00Z", "move the policy");
    let pol = f.doc(&[], "POL-001");
    assert_eq!(
        (
            pol["version"].clone(),
            pol["state"].clone(),
            pol["path"].clone()
        ),
        (
            2.into(),
            "approved".into(),
            "aims/policies/ai-policy.md".into()
        )
    );

    // A squash merge keeps an approval made on the branch.
    f.git(&["checkout", "-q", "-b", "feature"]);
    std::fs::write(f.repo.join("aims/pro.md"), procedure("Step one.")).unwrap();
    f.commit("alice", "2026-03-01T10:00:00Z", "procedure: step one");
    std::fs::write(f.repo.join("aims/pro.md"), procedure("Step one. Step two.")).unwrap();
    f.commit("alice", "2026-03-02T10:00:00Z", "procedure: step two");
    f.approve_by_hand(
        "dana",
        "PRO-001",
        "aims/pro.md",
        "top-management",
        "2026-03-03T09:00:00Z",
    );
    // Alice approving her own change does not count (segregation of duties).
    f.approve_by_hand(
        "alice",
        "PRO-001",
        "aims/pro.md",
        "ai-governance-lead",
        "2026-03-03T10:00:00Z",
    );
    f.git(&["checkout", "-q", "main"]);
    f.git(&["merge", "-q", "--squash", "feature"]);
    f.commit("alice", "2026-03-04T10:00:00Z", "procedure (squashed)");
    let pro = f.doc(&[], "PRO-001");
    assert_eq!(
        (pro["version"].clone(), pro["state"].clone()),
        (1.into(), "approved".into()),
        "{pro:#}"
    );
    let findings = f.control_findings();
    assert!(
        has(
            &findings,
            "CTL004",
            "alice@acme.example authored the approved change"
        ),
        "{findings:?}"
    );

    // Forgeries and mistakes: each refused with its reason, none counted.
    let head = f.git(&["rev-parse", "HEAD"]).trim().to_owned();
    let path = "aims/policies/ai-policy.md";
    let blob = f.blob("HEAD", path);
    let good = claim("POL-001", path, &blob, "top-management", "approved");
    let at = "2026-03-05T09:00:00Z";
    // Signed by a key that is not in the allowed signers, claiming to be Dana.
    let home = tempfile::tempdir().unwrap();
    succeed(
        hermetic("git", home.path())
            .current_dir(&f.repo)
            .env("GIT_COMMITTER_EMAIL", DANA)
            .env("GIT_COMMITTER_DATE", at)
            .args(["-c", "gpg.format=ssh", "-c"])
            .arg(format!(
                "user.signingkey={}",
                f.keys.join("mallory").display()
            ))
            .args(["tag", "-s", "aims/forged/unknown-key", "-m", &good, &head]),
    );
    // An unsigned tag carrying a copied signature block in its message.
    let real = f.git(&["cat-file", "tag", &v1_tag]);
    let block = &real[real.find("-----BEGIN SSH SIGNATURE-----").unwrap()..];
    f.tag(
        "dana",
        None,
        "aims/forged/copied-block",
        &format!("{good}\n{}", block.trim_end()),
        at,
        &head,
    );
    // A real signed tag whose message was altered afterwards.
    f.tag(
        "dana",
        Some("dana"),
        "aims/forged/original",
        &good,
        at,
        &head,
    );
    let raw = f.git(&["cat-file", "tag", "aims/forged/original"]);
    let tampered = raw.replace("Aims-Role: top-management", "Aims-Role: top-managemenT");
    let tampered_path = f.keys.join("tampered");
    std::fs::write(&tampered_path, tampered).unwrap();
    let oid = f.git(&[
        "hash-object",
        "-t",
        "tag",
        "-w",
        tampered_path.to_str().unwrap(),
    ]);
    f.git(&["update-ref", "refs/tags/aims/forged/tampered", oid.trim()]);
    f.git(&["tag", "-d", "aims/forged/original"]);
    // Lightweight; unsigned; expired key; role not held; wrong blob.
    f.git(&["tag", "aims/forged/lightweight", &head]);
    f.tag("dana", None, "aims/forged/unsigned", &good, at, &head);
    f.tag(
        "erin",
        Some("erin"),
        "aims/forged/expired",
        &good,
        at,
        &head,
    );
    f.tag("alice", Some("alice"), "aims/forged/role", &good, at, &head);
    let other = f.blob("HEAD", "aims/pro.md");
    f.tag(
        "dana",
        Some("dana"),
        "aims/forged/blob",
        &claim("POL-001", path, &other, "top-management", "approved"),
        at,
        &head,
    );

    let findings = f.control_findings();
    for (tag, code, reason) in [
        ("unknown-key", "CTL003", "a key not in the allowed signers"),
        (
            "copied-block",
            "CTL003",
            "does not match the signed content",
        ),
        ("tampered", "CTL003", "does not match the signed content"),
        ("lightweight", "CTL003", "lightweight tag"),
        ("unsigned", "CTL003", "it is not signed"),
        ("expired", "CTL003", "the key had expired at signing time"),
        ("role", "CTL005", "does not hold the role `top-management`"),
        ("blob", "CTL003", "is not the content of"),
    ] {
        assert!(
            has(&findings, code, &format!("aims/forged/{tag}")) && has(&findings, code, reason),
            "{tag}: {code} {reason}: {findings:#?}"
        );
    }
    let pol = f.doc(&[], "POL-001");
    assert_eq!(
        (pol["version"].clone(), pol["state"].clone()),
        (2.into(), "approved".into()),
        "nothing forged counts"
    );
    let counted = pol["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["counts"] == true)
        .count();
    assert_eq!(counted, 2);

    // An unapproved aims.toml edit that makes Alice top management grants
    // her nothing, and is itself a major finding.
    let edited = CONFIG.replace(
        "top-management = [\"dana@acme.example\", \"erin@acme.example\"]",
        "top-management = [\"dana@acme.example\", \"erin@acme.example\", \"alice@acme.example\"]",
    );
    std::fs::write(f.repo.join("aims.toml"), edited).unwrap();
    std::fs::write(f.repo.join(path), policy("Third text.")).unwrap();
    f.commit(
        "alice",
        "2026-04-01T10:00:00Z",
        "make myself top management",
    );
    f.approve_by_hand(
        "alice",
        "POL-001",
        path,
        "top-management",
        "2026-04-02T10:00:00Z",
    );
    let findings = f.control_findings();
    assert!(
        has(&findings, "CTL007", "aims.toml changed after its approval"),
        "{findings:#?}"
    );
    assert!(
        has(
            &findings,
            "CTL005",
            "alice@acme.example does not hold the role"
        ),
        "{findings:#?}"
    );
    let pol = f.doc(&[], "POL-001");
    assert_eq!(
        (pol["version"].clone(), pol["state"].clone()),
        (2.into(), "changed-since-approval".into())
    );
    let (code, _) = check_json(&f.repo);
    assert_eq!(code, 1);

    // The log lists revisions and approvals, newest first, with verdicts.
    let log = stdout(&f.aims(&["log", "POL-001"]));
    assert!(log.starts_with("POL-001 AI Policy (policy) — v2"), "{log}");
    assert!(
        log.contains("counts as v2 · signature verified (SHA256:"),
        "{log}"
    );
    assert!(log.contains("NOT VERIFIED: it is not signed"), "{log}");

    // A year later the review is overdue.
    let late = tempfile::tempdir().unwrap();
    let out = aims(late.path())
        .current_dir(&f.repo)
        .env("AIMS_TODAY", "2027-04-01")
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let overdue = findings_of(&json, "CTL006");
    assert!(
        overdue.iter().any(|f| f["document"] == "PRO-001"
            && f["message"].as_str().unwrap().contains("due on 2027-03-03")),
        "{overdue:#?}"
    );
}

#[test]
fn a_shallow_clone_stops_with_the_fix() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = Fixture::new();
    std::fs::write(f.repo.join("aims/pro.md"), procedure("More.")).unwrap();
    f.commit("alice", "2026-01-20T10:00:00Z", "more");
    let parent = f.repo.parent().unwrap();
    let url = format!("file://{}", f.repo.display());
    git(parent, &["clone", "-q", "--depth", "1", &url, "shallow"]);
    for args in [&["status"][..], &["check"], &["log", "POL-001"]] {
        let out = run(&parent.join("shallow"), args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stdout(&out));
        let err = stderr(&out);
        assert!(
            err.contains("shallow clone") && err.contains("fetch-depth: 0"),
            "{err}"
        );
    }
}

impl Fixture {
    /// A commit authored by Alice, committed by `committer`, signed with
    /// `key` when given, with `message` (trailers included).
    fn commit_signed(&self, committer: &str, key: Option<&str>, date: &str, message: &str) {
        let home = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            let mut cmd = git_as(&self.repo, home.path(), "alice", committer, date);
            if let Some(key) = key {
                cmd.args(["-c", "gpg.format=ssh", "-c"])
                    .arg(format!("user.signingkey={}", self.keys.join(key).display()));
            }
            succeed(cmd.args(args));
        };
        run(&["add", "-A"]);
        let sign = if key.is_some() { "-S" } else { "--no-gpg-sign" };
        run(&["commit", "-q", sign, "-m", message]);
    }
}

#[test]
fn commit_sign_offs_count_only_when_signed_by_the_person_named() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = Fixture::new();
    f.approve_by_hand(
        "dana",
        "aims.toml",
        "aims.toml",
        "top-management",
        "2026-01-12T09:00:00Z",
    );

    // Typed, not signed: counts for nothing.
    std::fs::write(f.repo.join("aims/policy/ai.md"), policy("Unsigned.")).unwrap();
    f.commit_signed(
        "dana",
        None,
        "2026-02-01T10:00:00Z",
        "Policy\n\nApproved-by: Dana <dana@acme.example>",
    );
    let pol = f.doc(&[], "POL-001");
    assert_eq!(pol["state"], "never-approved");
    assert!(
        has(
            &f.control_findings(),
            "CTL003",
            "Approved-by: dana@acme.example) is not an approval of POL-001: it is not signed"
        ),
        "{:#?}",
        f.control_findings()
    );

    // Signed by Alice, naming Dana: the signature is not Dana's.
    std::fs::write(f.repo.join("aims/policy/ai.md"), policy("Alice signs.")).unwrap();
    f.commit_signed(
        "alice",
        Some("alice"),
        "2026-02-02T10:00:00Z",
        "Policy\n\nApproved-by: Dana <dana@acme.example>",
    );
    assert!(has(
        &f.control_findings(),
        "CTL003",
        "is not allowed to sign as dana@acme.example"
    ));
    assert_eq!(f.doc(&[], "POL-001")["state"], "never-approved");

    // Committed and signed by Dana, authored by Alice: an approval, v1.
    std::fs::write(f.repo.join("aims/policy/ai.md"), policy("Dana signs.")).unwrap();
    f.commit_signed(
        "dana",
        Some("dana"),
        "2026-02-03T10:00:00Z",
        "Policy\n\nReviewed-by: Dana <dana@acme.example>\nApproved-by: Dana <dana@acme.example>",
    );
    let pol = f.doc(&[], "POL-001");
    assert_eq!(
        (pol["version"].clone(), pol["state"].clone()),
        (1.into(), "approved".into()),
        "{pol:#}"
    );
    let a = pol["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["counts"] == true)
        .unwrap()
        .clone();
    assert_eq!(
        (a["signer"].clone(), a["role"].clone(), a["date"].clone()),
        (DANA.into(), "top-management".into(), "2026-02-03".into())
    );
    let log = stdout(&f.aims(&["log", "POL-001"]));
    assert!(
        log.contains("Reviewed-by: dana@acme.example  — commit signature verified"),
        "{log}"
    );
}

#[test]
fn an_approval_that_loses_a_race_says_so() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = Fixture::approved();
    edit_policy(&f.repo, "Second text.");
    f.commit("alice", "2026-02-01T10:00:00Z", "policy: second text");
    // The signing program is a wrapper that lets "another aims approve"
    // create the very tag first, while this one signs: the race, on cue.
    let wrapper = f.keys.join("racing-ssh-keygen");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n\
             # git passes the tag object to sign as the last argument.\n\
             for last; do :; done\n\
             name=$(sed -n 's/^tag //p' \"$last\")\n\
             git -C '{}' tag \"$name\" HEAD\n\
             exec ssh-keygen \"$@\"\n",
            f.repo.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let gitconfig = f.keys.join("racing.gitconfig");
    std::fs::write(
        &gitconfig,
        format!(
            "[user]\n\tname = Dana\n\temail = {DANA}\n\tsigningkey = {}\n\
             [gpg]\n\tformat = ssh\n[gpg \"ssh\"]\n\tprogram = {}\n",
            f.keys.join("dana").display(),
            wrapper.display()
        ),
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = approve_on_feb_5(&f, home.path(), &gitconfig, &["POL-001"]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("was already approved concurrently"), "{err}");
    assert!(!err.contains("set up signing"), "{err}");
}

/// `aims approve ARGS` in the fixture on 2026-02-05, with `gitconfig` as
/// the user's git configuration (its user, key and signing program).
fn approve_on_feb_5(
    f: &Fixture,
    home: &std::path::Path,
    gitconfig: &std::path::Path,
    args: &[&str],
) -> std::process::Output {
    aims(home)
        .current_dir(&f.repo)
        .env("GIT_CONFIG_GLOBAL", gitconfig)
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("GIT_COMMITTER_EMAIL")
        .env("GIT_COMMITTER_DATE", "2026-02-05T10:00:00Z")
        .arg("approve")
        .args(args)
        .output()
        .unwrap()
}
