//! The one-pass revision walk over real git repositories.

mod common;

use std::path::Path;

use aims::config::Config;
use aims::history::revisions;
use common::*;

fn commit_as(repo: &Path, who: &str, date: &str, message: &str) {
    let home = tempfile::tempdir().unwrap();
    succeed(git_as(repo, home.path(), who, who, date).args(["commit", "-q", "-a", "-m", message]));
}

fn doc(id: &str, body: &str) -> String {
    format!(
        "+++\nid = \"{id}\"\nkind = \"record\"\ntitle = \"{id}\"\nowner = \"x@acme.example\"\n+++\n{body}\n"
    )
}

#[test]
fn revisions_follow_the_id_through_edits_renames_and_merges() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    git(repo, &["init", "-q", "-b", "main"]);
    std::fs::create_dir_all(repo.join("aims/policy")).unwrap();
    std::fs::write(repo.join("aims/policy/ai.md"), doc("POL-001", "first")).unwrap();
    std::fs::write(repo.join("aims/rec.md"), doc("REC-001", "log")).unwrap();
    std::fs::write(repo.join("README.md"), "readme\n").unwrap();
    git(repo, &["add", "."]);
    commit_as(repo, "alice", "2026-01-10T10:00:00Z", "initial");

    std::fs::write(repo.join("aims/policy/ai.md"), doc("POL-001", "second")).unwrap();
    commit_as(repo, "bob", "2026-02-10T10:00:00Z", "edit policy");

    std::fs::create_dir_all(repo.join("aims/policies")).unwrap();
    git(
        repo,
        &["mv", "aims/policy/ai.md", "aims/policies/ai-policy.md"],
    );
    commit_as(repo, "carol", "2026-03-10T10:00:00Z", "move policy");

    std::fs::write(repo.join("README.md"), "readme 2\n").unwrap();
    commit_as(
        repo,
        "alice",
        "2026-04-10T10:00:00Z",
        "not a controlled document",
    );

    git(repo, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(repo.join("aims/rec.md"), doc("REC-001", "log 2")).unwrap();
    commit_as(
        repo,
        "dave",
        "2026-05-10T10:00:00Z",
        "edit record on a branch",
    );
    git(repo, &["checkout", "-q", "main"]);
    let home = tempfile::tempdir().unwrap();
    succeed(hermetic("git", home.path()).current_dir(repo).args([
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "merge feature",
        "feature",
    ]));

    let config = Config::parse("[aims]\n").unwrap();
    let git_repo = git2::Repository::open(repo).unwrap();
    let head = git_repo.head().unwrap().peel_to_commit().unwrap().id();
    let revs = revisions::walk(&git_repo, head, &config, &[]).unwrap();
    assert_eq!(revs.commits, 6);

    let pol = &revs.by_id["POL-001"];
    let summary: Vec<(&str, &str)> = pol.iter().map(|r| (&*r.author_name, &*r.path)).collect();
    assert_eq!(
        summary,
        [
            ("alice", "aims/policy/ai.md"),
            ("bob", "aims/policy/ai.md"),
            ("carol", "aims/policies/ai-policy.md")
        ]
    );
    assert_ne!(pol[0].blob, pol[1].blob);
    assert_eq!(pol[1].blob, pol[2].blob, "a move keeps the content");
    assert!(pol[0].time < pol[1].time);

    let rec = &revs.by_id["REC-001"];
    let authors: Vec<&str> = rec.iter().map(|r| &*r.author_name).collect();
    assert_eq!(
        authors,
        ["alice", "dave"],
        "the merge repeats the branch's content and adds no revision"
    );
    assert_eq!(
        revs.by_id.len(),
        2,
        "README.md is not a controlled document"
    );
}

#[test]
fn a_shallow_clone_is_refused_with_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = tmp.path().join("origin");
    std::fs::create_dir_all(origin.join("aims")).unwrap();
    git(&origin, &["init", "-q", "-b", "main"]);
    for n in 1..=3 {
        std::fs::write(origin.join("aims/rec.md"), doc("REC-001", &format!("v{n}"))).unwrap();
        git(&origin, &["add", "."]);
        git(&origin, &["commit", "-q", "-m", &format!("v{n}")]);
    }
    let url = format!("file://{}", origin.display());
    git(
        tmp.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let repo = git2::Repository::open(tmp.path().join("shallow")).unwrap();
    assert!(repo.is_shallow());
    let head = repo.head().unwrap().peel_to_commit().unwrap().id();
    let err = revisions::walk(&repo, head, &Config::parse("[aims]\n").unwrap(), &[]).unwrap_err();
    assert!(
        err.message().contains("shallow") && err.message().contains("fetch-depth: 0"),
        "{err}"
    );

    // The full clone of the same history walks.
    git(tmp.path(), &["clone", "-q", &url, "full"]);
    let repo = git2::Repository::open(tmp.path().join("full")).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap().id();
    let revs = revisions::walk(&repo, head, &Config::parse("[aims]\n").unwrap(), &[]).unwrap();
    assert_eq!(revs.by_id["REC-001"].len(), 3);
}
