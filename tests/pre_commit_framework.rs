//! `.pre-commit-hooks.yaml` through the real pre-commit framework: it
//! builds aims from this checkout with cargo (`language: rust`) and runs
//! `aims-check` on staged changes (`pre-commit try-repo`) and `aims-push`
//! on a real `git push` to a local bare remote.
//!
//! Nothing reaches the network: cargo runs offline from the registry cache
//! the test build already filled, into a target directory of its own under
//! `target/`, with the release profile turned into a quick one (this tests
//! the wiring, not the optimiser).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::approved::*;
use common::*;

/// `pre-commit ARGS` in `dir`, hermetic but for the Rust toolchain.
fn pre_commit(dir: &Path, cache: &Path, args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    pre_commit_command(dir, cache, home.path())
        .args(args)
        .output()
        .unwrap()
}

fn pre_commit_command(dir: &Path, cache: &Path, home: &Path) -> Command {
    let mut cmd = hermetic("pre-commit", home);
    add_toolchain(&mut cmd);
    cmd.current_dir(dir).env("PRE_COMMIT_HOME", cache);
    cmd
}

/// What cargo needs when HOME is not the user's: where the toolchain and
/// the registry cache are, offline, and a quick release profile.
fn add_toolchain(cmd: &mut Command) {
    let real_home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| real_home.join(".cargo"));
    let rustup_home = std::env::var_os("RUSTUP_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| real_home.join(".rustup"));
    cmd.env("CARGO_HOME", cargo_home)
        .env("CARGO_NET_OFFLINE", "true")
        .env(
            "CARGO_TARGET_DIR",
            target_dir().join("pre-commit-framework"),
        )
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "true");
    if rustup_home.is_dir() {
        cmd.env("RUSTUP_HOME", rustup_home);
    }
}

/// Cargo's target directory for this build: `CARGO_TARGET_DIR` when the
/// suite runs with one (as `.ci/run` does from a copy), else `target/`.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project_root().join("target"))
}

/// This checkout as a git repository pre-commit can clone at one commit:
/// the tracked and untracked-but-not-ignored files as they are now
/// (what `pre-commit try-repo` does for a dirty checkout).
fn snapshot_of_project(dest: &Path) -> String {
    let root = project_root();
    let files = git(
        &root,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    );
    for rel in files.split('\0').filter(|f| !f.is_empty()) {
        let from = root.join(rel);
        if !from.is_file() {
            continue; // deleted but still in the index
        }
        let to = dest.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    git(dest, &["init", "-q", "-b", "main"]);
    git(dest, &["add", "-A"]);
    git(dest, &["commit", "-q", "-m", "snapshot"]);
    git(dest, &["rev-parse", "HEAD"]).trim().to_owned()
}

#[test]
fn the_pre_commit_framework_runs_aims_check_and_aims_push() {
    if !have_tools(&["ssh-keygen", "pre-commit", "cargo"]) {
        return;
    }
    let f = Fixture::approved();
    let cache = f.tmp.path().join("pre-commit-cache");
    let project = project_root();
    let project = project.to_str().unwrap();

    // A clean change on main (a new draft) passes aims-check.
    std::fs::write(
        f.repo.join("aims/draft.md"),
        "+++\nid = \"PRO-002\"\nkind = \"procedure\"\ntitle = \"Draft\"\nowner = \"alice@acme.example\"\n+++\n# Draft\n",
    )
    .unwrap();
    f.git(&["add", "-A"]);
    let clean = pre_commit(&f.repo, &cache, &["try-repo", project, "aims-check"]);
    assert!(clean.status.success(), "{}", both(&clean));
    assert!(both(&clean).contains("Passed"), "{}", both(&clean));
    f.git(&["commit", "-q", "-m", "a draft"]);

    // An unapproved change to the approved policy is blocked.
    edit_policy(&f.repo, "Edited on main.");
    f.git(&["add", "-A"]);
    let blocked = pre_commit(&f.repo, &cache, &["try-repo", project, "aims-check"]);
    let text = both(&blocked);
    assert!(!blocked.status.success(), "{text}");
    assert!(text.contains("Failed"), "{text}");
    assert!(text.contains("CTL009"), "{text}");
    assert!(text.contains("POL-001"), "{text}");
    f.git(&["reset", "-q", "--hard"]);

    // aims-push, installed as the repository's pre-push hook from a
    // snapshot of this checkout, on a real push to a bare remote.
    let snapshot = f.tmp.path().join("aims-snapshot");
    std::fs::create_dir_all(&snapshot).unwrap();
    let rev = snapshot_of_project(&snapshot);
    std::fs::write(
        f.repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: aims-push\n",
            snapshot.display()
        ),
    )
    .unwrap();
    // Configuration files outside the AIMS's globs need no approval.
    f.git(&["add", ".pre-commit-config.yaml"]);
    f.git(&["commit", "-q", "-m", "pre-commit configuration"]);
    let home = tempfile::tempdir().unwrap();
    let installed = pre_commit_command(&f.repo, &cache, home.path())
        .args(["install", "--hook-type", "pre-push"])
        .output()
        .unwrap();
    assert!(installed.status.success(), "{}", both(&installed));

    let remote = f.tmp.path().join("remote.git");
    git(
        f.tmp.path(),
        &["init", "-q", "--bare", remote.to_str().unwrap()],
    );
    f.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    let push = |args: &[&str]| {
        let mut cmd = git_as(
            &f.repo,
            home.path(),
            "alice",
            "alice",
            "2026-02-01T10:00:00Z",
        );
        add_toolchain(&mut cmd);
        cmd.env("PRE_COMMIT_HOME", &cache)
            .args(args)
            .output()
            .unwrap()
    };
    // Draft PRO-002 is not approved: even the first push of main is refused
    // (every controlled document it brings must be approved).
    let first = push(&["push", "origin", "main"]);
    assert!(!first.status.success(), "{}", both(&first));
    assert!(
        both(&first).contains("`PRO-002`, which has never been approved"),
        "{}",
        both(&first)
    );
    // Dana approves the draft; the push goes through.
    f.approve_by_hand(
        "dana",
        "PRO-002",
        "aims/draft.md",
        "top-management",
        "2026-02-02T09:00:00Z",
    );
    let ok = push(&["push", "origin", "main"]);
    assert!(ok.status.success(), "{}", both(&ok));

    // An unapproved policy edit committed past the pre-commit stage.
    edit_policy(&f.repo, "Pushed without approval.");
    f.git(&["commit", "-q", "-a", "-m", "sneak"]);
    let refused = push(&["push", "origin", "main"]);
    let text = both(&refused);
    assert!(!refused.status.success(), "{text}");
    assert!(text.contains("aims check --pre-push"), "{text}");
    assert!(
        text.contains("protected branch `main` changes `POL-001`"),
        "{text}"
    );
    assert_ne!(
        git(&remote, &["rev-parse", "main"]).trim(),
        f.git(&["rev-parse", "HEAD"]).trim()
    );
}
