//! `aims init` and `aims new` through the binary, in real git repositories.

mod common;

use common::*;

fn init_repo() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    git(tmp.path(), &["init", "-q", "-b", "main"]);
    tmp
}

#[test]
fn init_then_check_is_clean() {
    let tmp = init_repo();
    let out = run(
        tmp.path(),
        &[
            "init",
            "--organisation",
            "Acme Health",
            "--email",
            "dana@acme.example",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("Initialised an AIMS"));
    let (code, json) = check_json(tmp.path());
    assert_eq!(
        findings_of(&json, "DOC"),
        Vec::<serde_json::Value>::new(),
        "a fresh AIMS passes every document rule"
    );
    // Nothing is approved yet, and git says so: the configuration (major)
    // and each of the 55 documents.
    let ctl = findings_of(&json, "CTL");
    assert_eq!(ctl.iter().filter(|f| f["code"] == "CTL007").count(), 1);
    assert_eq!(ctl.iter().filter(|f| f["code"] == "CTL001").count(), 55);
    assert_eq!(ctl.len(), 56, "{ctl:#?}");
    // The content rules see a complete but untried AIMS: nothing approved
    // (the policy by top management, risks by their owners, the SoA's
    // procedures), no internal audit or management review held yet, and
    // every document still the template's text.
    let iso: std::collections::BTreeSet<String> = findings_of(&json, "ISO")
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        iso.iter().map(String::as_str).collect::<Vec<_>>(),
        ["ISO005", "ISO010", "ISO014", "ISO020", "ISO022", "ISO028"],
        "{json:#}"
    );
    let residue = findings_of(&json, "ISO028");
    assert_eq!(residue.len(), 55, "every template document is residue");
    assert_eq!(
        residue
            .iter()
            .filter(|f| f["classification"] == "major")
            .count(),
        5,
        "policy, scope, SoA, risk method and impact assessment"
    );
    assert_eq!(code, 1);
    // Outside a git repository the document and content rules run, with a
    // note; what needs approvals cannot be judged there.
    let plain = tempfile::tempdir().unwrap();
    run(plain.path(), &["init", "--email", "dana@acme.example"]);
    let (code, json) = check_json(plain.path());
    let codes: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    let distinct: std::collections::BTreeSet<&str> = codes.iter().copied().collect();
    assert_eq!(
        distinct.into_iter().collect::<Vec<_>>(),
        ["ISO020", "ISO022", "ISO028"],
        "{json:#}"
    );
    assert_eq!(code, 1);
    let out = run(plain.path(), &["check"]);
    assert!(
        stderr(&out).contains("not in a git repository"),
        "{}",
        stderr(&out)
    );

    // The scaffold is complete: every core kind, and all 38 Annex A controls in the SoA.
    let human = stdout(&run(tmp.path(), &["check"]));
    assert!(
        human.contains("aims: 9 major nonconformities, 149 minor nonconformities in 55 documents"),
        "{human}"
    );
    let config = std::fs::read_to_string(tmp.path().join("aims.toml")).unwrap();
    assert!(config.contains("organisation = \"Acme Health\""));
    assert!(config.contains("dana@acme.example"));
    let mut kinds = std::collections::BTreeSet::new();
    let mut soa_controls = 0;
    for entry in walkdir::WalkDir::new(tmp.path())
        .into_iter()
        .filter_map(Result::ok)
    {
        if entry.path().extension().is_some_and(|e| e == "md")
            && !entry.path().starts_with(tmp.path().join(".git"))
        {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            assert!(
                !text.contains("{{"),
                "unfilled placeholder in {}",
                entry.path().display()
            );
            if let Some(kind) = text.lines().find_map(|l| l.strip_prefix("kind = \"")) {
                let kind = kind.trim_end_matches('"').to_owned();
                if kind == "soa" {
                    soa_controls = text.lines().filter(|l| l.trim() == "[[control]]").count();
                }
                kinds.insert(kind);
            }
        }
    }
    for kind in aims::docs::schema::KINDS.iter().map(|k| k.name) {
        assert!(kinds.contains(kind), "aims init writes a {kind}: {kinds:?}");
    }
    assert_eq!(soa_controls, 38);
}

#[test]
fn init_refuses_to_overwrite_unless_forced() {
    let tmp = init_repo();
    assert_eq!(
        code(&run(tmp.path(), &["init", "--email", "a@b.example"])),
        0
    );
    let policy = tmp.path().join("aims.toml");
    std::fs::write(&policy, "# mine\n").unwrap();
    let out = run(tmp.path(), &["init", "--email", "a@b.example"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("would overwrite"), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&policy).unwrap(),
        "# mine\n",
        "nothing was written"
    );
    assert_eq!(
        code(&run(
            tmp.path(),
            &["init", "--force", "--email", "a@b.example"]
        )),
        0
    );
    assert!(std::fs::read_to_string(&policy).unwrap().contains("[aims]"));
}

#[test]
fn init_uses_git_user_email_and_creates_the_directory() {
    let tmp = init_repo();
    git(tmp.path(), &["config", "user.email", "rahul@acme.example"]);
    let out = run(tmp.path(), &["init", "sub/aims-repo"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let config = std::fs::read_to_string(tmp.path().join("sub/aims-repo/aims.toml")).unwrap();
    assert!(config.contains("rahul@acme.example"), "{config}");
    assert!(config.contains("organisation = \"aims-repo\""));
}

#[test]
fn new_hands_out_the_next_free_id() {
    let tmp = init_repo();
    assert_eq!(
        code(&run(tmp.path(), &["init", "--email", "a@b.example"])),
        0
    );
    let out = run(
        tmp.path(),
        &["new", "risk", "--title", "Drift in credit scores"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let said = stdout(&out);
    let id = said.split_whitespace().nth(1).unwrap().to_owned();
    assert!(id.starts_with("RSK-"), "{said}");
    let rel = said.trim().rsplit(' ').next().unwrap();
    let text = std::fs::read_to_string(tmp.path().join(rel)).unwrap();
    assert!(text.contains(&format!("id = \"{id}\"")));
    assert!(text.contains("title = \"Drift in credit scores\""));
    // The ids before it are taken: it is one above the highest.
    let again = stdout(&run(tmp.path(), &["new", "risk", "--title", "Another"]));
    let n: u32 = id[4..].parse().unwrap();
    assert!(again.contains(&format!("RSK-{:03}", n + 1)), "{again}");
    // Every kind's skeleton is valid as written.
    for kind in aims::docs::schema::KINDS.iter().map(|k| k.name) {
        let out = run(
            tmp.path(),
            &["new", kind, "--title", &format!("A new {kind}")],
        );
        assert_eq!(code(&out), 0, "{kind}: {}", stderr(&out));
    }
    let (_, json) = check_json(tmp.path());
    assert_eq!(
        findings_of(&json, "DOC"),
        Vec::<serde_json::Value>::new(),
        "new documents pass the document rules"
    );
}

#[test]
fn new_rejects_an_unknown_kind() {
    let tmp = init_repo();
    assert_eq!(
        code(&run(tmp.path(), &["init", "--email", "a@b.example"])),
        0
    );
    let out = run(tmp.path(), &["new", "polcy"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("did you mean policy"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn fixture_script_builds_a_git_repository_with_several_authors() {
    for name in ["well-kept", "defective"] {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join(name);
        let home = tempfile::tempdir().unwrap();
        succeed(
            hermetic("bash", home.path())
                .arg(project_root().join("fixtures/make-repo.sh"))
                .args([name, dest.to_str().unwrap()]),
        );
        let authors: std::collections::BTreeSet<String> = git(&dest, &["log", "--format=%ae"])
            .lines()
            .map(str::to_owned)
            .collect();
        assert!(authors.len() >= 3, "{name}: {authors:?}");
        let commits = git(&dest, &["rev-list", "--count", "HEAD"]);
        assert!(commits.trim().parse::<u32>().unwrap() >= 5);
        assert_eq!(
            git(&dest, &["status", "--porcelain"]),
            "",
            "everything committed"
        );
        // The repository checks exactly like the files it was made from,
        // as far as the document rules go; the files alone (inside this
        // project's repository, not at its top) have no history to check.
        let (_, from_repo) = check_json(&dest);
        let (_, from_files) = check_json(&fixture(name));
        assert_eq!(
            findings_of(&from_repo, "DOC"),
            findings_of(&from_files, "DOC"),
            "{name}"
        );
        assert_eq!(
            findings_of(&from_files, "CTL"),
            Vec::<serde_json::Value>::new()
        );
    }
}
