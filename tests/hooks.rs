//! The gates where engineers work: `aims check --staged` reading the index,
//! the installed pre-commit and pre-push hooks refusing unapproved changes
//! to protected branches (with real `git commit` and `git push` to a bare
//! remote), `core.hooksPath`, linked worktrees, and chaining.

mod common;

use std::path::Path;
use std::process::Output;

use common::approved::*;
use common::*;

#[test]
fn the_pre_commit_hook_guards_main_and_lets_branches_draft() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = Fixture::approved();
    let installed = f.aims(&["hook", "install"]);
    assert_eq!(code(&installed), 0, "{}", both(&installed));
    assert!(f.repo.join(".git/hooks/pre-commit").is_file());
    assert!(f.repo.join(".git/hooks/pre-push").is_file());

    // Editing the approved policy on main: refused, naming document,
    // version, approver and the way forward.
    edit_policy(&f.repo, "An unreviewed edit.");
    assert!(Fixture::git_try(&f.repo, &["add", "-A"]).status.success());
    let refused = Fixture::git_try(&f.repo, &["commit", "-m", "edit the policy on main"]);
    let text = both(&refused);
    assert!(
        !refused.status.success(),
        "the commit went through:\n{text}"
    );
    for needle in [
        "CTL009",
        "POL-001",
        "`POL-001` (AI Policy) is approved at v1",
        "dana@acme.example",
        "protected branch `main`",
        "aims approve POL-001",
        "git switch -c change/POL-001",
    ] {
        assert!(text.contains(needle), "`{needle}` missing from:\n{text}");
    }
    assert_eq!(f.git(&["rev-list", "--count", "HEAD"]).trim(), "1");

    // The same edit on a feature branch commits.
    assert!(
        Fixture::git_try(&f.repo, &["switch", "-q", "-c", "change/POL-001"])
            .status
            .success()
    );
    let committed = Fixture::git_try(&f.repo, &["commit", "-m", "edit the policy on a branch"]);
    assert!(committed.status.success(), "{}", both(&committed));

    // Approved on the branch (by Dana, not the author) and merged with a
    // squash: the pre-commit hook on main accepts approved content.
    f.approve_by_hand(
        "dana",
        "POL-001",
        "aims/policy/ai.md",
        "top-management",
        "2026-02-02T09:00:00Z",
    );
    assert!(
        Fixture::git_try(&f.repo, &["switch", "-q", "main"])
            .status
            .success()
    );
    assert!(
        Fixture::git_try(&f.repo, &["merge", "--squash", "change/POL-001"])
            .status
            .success()
    );
    let merged = Fixture::git_try(&f.repo, &["commit", "-m", "POL-001 v2"]);
    assert!(merged.status.success(), "{}", both(&merged));

    // A never-approved draft may change on main; document rules still apply.
    std::fs::write(
        f.repo.join("aims/draft.md"),
        "+++\nid = \"PRO-002\"\nkind = \"procedure\"\ntitle = \"Draft\"\nowner = \"alice@acme.example\"\n+++\n# Draft\n",
    )
    .unwrap();
    assert!(Fixture::git_try(&f.repo, &["add", "-A"]).status.success());
    let draft = Fixture::git_try(&f.repo, &["commit", "-m", "a draft"]);
    assert!(draft.status.success(), "{}", both(&draft));

    // An unapproved edit of aims.toml on main is refused too.
    let config = std::fs::read_to_string(f.repo.join("aims.toml")).unwrap();
    std::fs::write(
        f.repo.join("aims.toml"),
        config.replace(
            "[\"alice@acme.example\"]",
            "[\"alice@acme.example\", \"mallory@acme.example\"]",
        ),
    )
    .unwrap();
    assert!(
        Fixture::git_try(&f.repo, &["add", "aims.toml"])
            .status
            .success()
    );
    let refused = Fixture::git_try(&f.repo, &["commit", "-m", "add mallory"]);
    let text = both(&refused);
    assert!(!refused.status.success(), "{text}");
    assert!(
        text.contains("the configuration `aims.toml` is approved at v1"),
        "{text}"
    );

    // Uninstalled: nothing guards main any more.
    let removed = f.aims(&["hook", "uninstall"]);
    assert_eq!(code(&removed), 0, "{}", both(&removed));
    assert!(!f.repo.join(".git/hooks/pre-commit").exists());
    assert!(
        Fixture::git_try(&f.repo, &["commit", "-q", "-m", "unguarded"])
            .status
            .success()
    );
}

/// The gate in a repository whose index git keeps split
/// (`core.splitIndex`) or sparse (a cone-mode sparse checkout with
/// `index.sparse`): an unapproved edit of the approved policy is refused
/// on main and drafts on a branch, with the trust files (outside the
/// sparse checkout, so one folder entry in the index) seen as committed.
#[test]
fn the_gate_reads_split_and_sparse_indexes() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let json = |o: &Output| -> serde_json::Value {
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", both(o)))
    };
    for form in ["split", "sparse"] {
        let f = Fixture::approved();
        match form {
            "split" => {
                f.git(&["config", "core.splitIndex", "true"]);
                f.git(&["update-index", "--split-index"]);
            }
            _ => {
                f.git(&[
                    "sparse-checkout",
                    "set",
                    "--cone",
                    "--sparse-index",
                    "aims/policy",
                ]);
                // Made sure of: the trust files' folder is one entry.
                let sparse = f.git(&["ls-files", "--sparse"]);
                assert!(sparse.lines().any(|l| l == ".aims/"), "{sparse}");
                assert!(!f.repo.join(".aims").exists());
            }
        }
        edit_policy(&f.repo, "An unreviewed edit.");
        f.git(&["add", "aims/policy/ai.md"]);
        if form == "split" {
            let shared = std::fs::read_dir(f.repo.join(".git"))
                .unwrap()
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("sharedindex."));
            assert!(shared, "no shared index written");
        }
        let out = f.aims(&["check", "--staged", "--format", "json"]);
        assert_eq!(code(&out), 1, "{form}: {}", both(&out));
        let found = json(&out);
        let findings = found["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 1, "{form}: {found:#}");
        assert_eq!(findings[0]["code"], "CTL009", "{form}: {found:#}");
        assert_eq!(findings[0]["document"], "POL-001", "{form}: {found:#}");

        // Drafted on a branch: nothing to say (the trust files are as
        // committed, so the configuration is no change either).
        f.git(&["switch", "-q", "-c", "change/POL-001"]);
        let out = f.aims(&["check", "--staged", "--format", "json"]);
        assert_eq!(code(&out), 0, "{form}: {}", both(&out));
        assert_eq!(json(&out)["findings"], serde_json::json!([]), "{form}");
    }
}

#[test]
fn staged_reads_the_index_not_the_working_tree() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = Fixture::approved();
    let staged = |f: &Fixture| f.aims(&["check", "--staged", "--format", "json"]);
    let codes = |o: &Output| -> Vec<String> {
        let json: serde_json::Value =
            serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", both(o)));
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(
        Fixture::git_try(&f.repo, &["switch", "-q", "-c", "draft"])
            .status
            .success()
    );
    let path = f.repo.join("aims/pro.md");
    let good = std::fs::read_to_string(&path).unwrap();
    let broken = good.replace("title = \"Risk procedure\"", "title = Risk procedure");

    // Broken TOML staged, the working file fixed: the staged check fails.
    std::fs::write(&path, &broken).unwrap();
    assert!(
        Fixture::git_try(&f.repo, &["add", "aims/pro.md"])
            .status
            .success()
    );
    std::fs::write(&path, &good).unwrap();
    let out = staged(&f);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert_eq!(codes(&out), ["DOC003"]);
    // ... while the working tree is fine by the document rules.
    let (_, json) = check_json(&f.repo);
    assert!(findings_of(&json, "DOC").is_empty(), "{json:#}");

    // The reverse: valid content staged, the working file broken.
    assert!(
        Fixture::git_try(&f.repo, &["add", "aims/pro.md"])
            .status
            .success()
    );
    std::fs::write(&path, &broken).unwrap();
    let out = staged(&f);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(codes(&out).is_empty());
    let (_, json) = check_json(&f.repo);
    assert_eq!(findings_of(&json, "DOC").len(), 1, "{json:#}");

    // Only what is staged is reported: an unstaged broken file elsewhere
    // is not the commit's business.
    std::fs::write(&path, &good).unwrap();
    std::fs::write(f.repo.join("aims/other.md"), "no frontmatter\n").unwrap();
    let out = staged(&f);
    assert_eq!(code(&out), 0, "{}", both(&out));

    // A broken aims.toml staged stops the commit (exit 2: cannot judge).
    std::fs::remove_file(f.repo.join("aims/other.md")).unwrap();
    let config = std::fs::read_to_string(f.repo.join("aims.toml")).unwrap();
    std::fs::write(f.repo.join("aims.toml"), "[aims\n").unwrap();
    assert!(
        Fixture::git_try(&f.repo, &["add", "aims.toml"])
            .status
            .success()
    );
    std::fs::write(f.repo.join("aims.toml"), &config).unwrap();
    let out = staged(&f);
    assert_eq!(code(&out), 2, "{}", both(&out));
}

#[test]
fn the_pre_push_hook_refuses_unapproved_content_on_a_protected_branch() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = Fixture::approved();
    let remote = f.tmp.path().join("remote.git");
    succeed(
        git_as(
            f.tmp.path(),
            f.tmp.path(),
            "alice",
            "alice",
            "2026-02-01T10:00:00Z",
        )
        .args(["init", "-q", "--bare"])
        .arg(&remote),
    );
    f.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    assert_eq!(code(&f.aims(&["hook", "install"])), 0);

    // Everything on main is approved: the first push goes through.
    let first = Fixture::git_try(&f.repo, &["push", "-q", "origin", "main"]);
    assert!(first.status.success(), "{}", both(&first));

    // An unapproved edit committed past the pre-commit hook (--no-verify)
    // is stopped at the push.
    edit_policy(&f.repo, "Edited without approval.");
    assert!(
        Fixture::git_try(
            &f.repo,
            &["commit", "-q", "-a", "--no-verify", "-m", "sneak"]
        )
        .status
        .success()
    );
    let refused = Fixture::git_try(&f.repo, &["push", "origin", "main"]);
    let text = both(&refused);
    assert!(!refused.status.success(), "{text}");
    assert!(text.contains("CTL009"), "{text}");
    assert!(
        text.contains("protected branch `main` changes `POL-001`"),
        "{text}"
    );
    assert!(text.contains("dana@acme.example"), "{text}");
    let remote_main = git(&remote, &["rev-parse", "main"]);
    assert_ne!(remote_main.trim(), f.git(&["rev-parse", "HEAD"]).trim());

    // The same commits to a feature branch: not protected, pushed.
    let branch = Fixture::git_try(
        &f.repo,
        &["push", "-q", "origin", "main:refs/heads/change/POL-001"],
    );
    assert!(branch.status.success(), "{}", both(&branch));

    // An unapproved aims.toml that no longer protects main does not
    // unprotect it: the approved configuration does.
    let config = std::fs::read_to_string(f.repo.join("aims.toml")).unwrap();
    std::fs::write(
        f.repo.join("aims.toml"),
        config.replace("[aims]\n", "[aims]\nprotected-branches = [\"release\"]\n"),
    )
    .unwrap();
    let unprotect = Fixture::git_try(
        &f.repo,
        &["commit", "-q", "-a", "--no-verify", "-m", "unprotect main"],
    );
    assert!(unprotect.status.success(), "{}", both(&unprotect));
    let refused = Fixture::git_try(&f.repo, &["push", "origin", "main"]);
    let text = both(&refused);
    assert!(!refused.status.success(), "{text}");
    assert!(text.contains("changes `POL-001`"), "{text}");
    assert!(text.contains("changes `aims.toml`"), "{text}");
    f.git(&["reset", "-q", "--hard", "HEAD~1"]);

    // Approved by Dana: the push to main goes through.
    f.approve_by_hand(
        "dana",
        "POL-001",
        "aims/policy/ai.md",
        "top-management",
        "2026-02-03T09:00:00Z",
    );
    let pushed = Fixture::git_try(&f.repo, &["push", "-q", "--follow-tags", "origin", "main"]);
    assert!(pushed.status.success(), "{}", both(&pushed));
    assert_eq!(
        git(&remote, &["rev-parse", "main"]).trim(),
        f.git(&["rev-parse", "HEAD"]).trim()
    );
}

#[test]
fn install_honours_hooks_path_worktrees_and_existing_hooks() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    // core.hooksPath: the hooks go there, and they run.
    let f = Fixture::approved();
    f.git(&["config", "core.hooksPath", ".githooks"]);
    let out = f.aims(&["hook", "install"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(
        stdout(&out).contains(".githooks/pre-commit"),
        "{}",
        stdout(&out)
    );
    assert!(f.repo.join(".githooks/pre-commit").is_file());
    assert!(!f.repo.join(".git/hooks/pre-commit").exists());
    edit_policy(&f.repo, "Edit under hooksPath.");
    let refused = Fixture::git_try(&f.repo, &["commit", "-q", "-a", "-m", "edit"]);
    assert!(!refused.status.success(), "{}", both(&refused));
    assert!(both(&refused).contains("CTL009"));

    // A linked worktree on main (the main worktree on another branch):
    // hooks are shared through the common git directory.
    let f = Fixture::approved();
    f.git(&["switch", "-q", "-c", "elsewhere"]);
    let wt = f.tmp.path().join("wt");
    f.git(&["worktree", "add", "-q", wt.to_str().unwrap(), "main"]);
    let out = run(&wt, &["hook", "install"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(
        f.repo.join(".git/hooks/pre-commit").is_file(),
        "{}",
        stdout(&out)
    );
    edit_policy(&wt, "Edit in a worktree.");
    let refused = Fixture::git_try(&wt, &["commit", "-q", "-a", "-m", "edit"]);
    assert!(!refused.status.success(), "{}", both(&refused));
    assert!(both(&refused).contains("POL-001"), "{}", both(&refused));

    // An existing hook is chained, not overwritten, and put back on uninstall.
    let f = Fixture::approved();
    let hook = f.repo.join(".git/hooks/pre-commit");
    let theirs = "#!/bin/sh\necho ran > \"$(git rev-parse --git-dir)/theirs-ran\"\n";
    std::fs::write(&hook, theirs).unwrap();
    make_executable(&hook);
    let out = f.aims(&["hook", "install"]);
    assert!(
        stdout(&out).contains("kept as pre-commit.pre-aims"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        std::fs::read_to_string(f.repo.join(".git/hooks/pre-commit.pre-aims")).unwrap(),
        theirs
    );
    edit_policy(&f.repo, "Edit with two hooks.");
    let refused = Fixture::git_try(&f.repo, &["commit", "-q", "-a", "-m", "edit"]);
    assert!(!refused.status.success());
    assert!(
        f.repo.join(".git/theirs-ran").exists(),
        "the chained hook did not run"
    );
    // Installing again updates ours and keeps theirs.
    let again = f.aims(&["hook", "install"]);
    assert!(stdout(&again).contains("updated"), "{}", stdout(&again));
    let out = f.aims(&["hook", "uninstall"]);
    assert!(stdout(&out).contains("put back"), "{}", stdout(&out));
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), theirs);
    // A hook that is not ours is left alone.
    let out = f.aims(&["hook", "uninstall"]);
    assert!(
        stdout(&out).contains("not an aims hook"),
        "{}",
        stdout(&out)
    );
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), theirs);
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}
