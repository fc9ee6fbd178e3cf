//! The history cache (`.git/aims/cache`) changes how fast, never what:
//! every output with the cache equals the output without it, after new
//! commits, a merge, a damaged cache file and new or forged tags.

mod common;

use std::path::Path;

use common::*;

fn status(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec!["status", "--format", "json"];
    args.extend(extra);
    let out = run(dir, &args);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    stdout(&out)
}

fn cached(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join(".git/aims/cache"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Warm equals cold, and the cache holds an entry for HEAD.
fn same_with_and_without(dir: &Path) -> String {
    let cold = status(dir, &["--no-cache"]);
    let first = status(dir, &[]);
    let warm = status(dir, &[]);
    assert_eq!(first, cold);
    assert_eq!(warm, cold);
    let head = git(dir, &["rev-parse", "HEAD"]);
    assert!(
        cached(dir)
            .iter()
            .any(|n| n.ends_with(&format!("-{}.json", head.trim()))),
        "{:?}",
        cached(dir)
    );
    cold
}

#[test]
fn the_cache_never_changes_an_answer() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let (_tmp, dir) = repo("well-kept", true);
    // --no-cache leaves nothing behind.
    status(&dir, &["--no-cache"]);
    assert!(cached(&dir).is_empty());
    let before = same_with_and_without(&dir);

    // Commits on top: the walk is extended from the cached one.
    commit_change(
        &dir,
        "priya.raman@northwind.example",
        "aims/policy/ai-policy.md",
        |t| format!("{t}\nA new paragraph, not yet approved.\n"),
        "2026-06-01T09:00:00Z",
    );
    let after = same_with_and_without(&dir);
    assert_ne!(before, after, "the change shows");

    // A merge: not an extension; a full walk, the same answer.
    git(&dir, &["checkout", "-q", "-b", "side", "HEAD~2"]);
    commit_change(
        &dir,
        "priya.raman@northwind.example",
        "aims/risk/risk-assessment-method.md",
        |t| format!("{t}\nAnother paragraph, on a side branch.\n"),
        "2026-06-02T09:00:00Z",
    );
    git(&dir, &["checkout", "-q", "main"]);
    let home = tempfile::tempdir().unwrap();
    let merged = hermetic("git", home.path())
        .current_dir(&dir)
        .args(["merge", "-q", "--no-edit", "side"])
        .output()
        .unwrap();
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    same_with_and_without(&dir);

    // A damaged cache file is ignored and replaced.
    for name in cached(&dir) {
        std::fs::write(dir.join(".git/aims/cache").join(name), "{ not json").unwrap();
    }
    same_with_and_without(&dir);

    // Tags are judged afresh every run: one forged by someone with push
    // rights (unsigned, claiming the policy's new content) is refused
    // with the cache warm, exactly as without it.
    let blob = git(&dir, &["rev-parse", "HEAD:aims/policy/ai-policy.md"]);
    git(
        &dir,
        &[
            "tag",
            "-a",
            "aims/pol-001/v9",
            "-m",
            &format!(
                "Approve POL-001\n\nAims-Document: POL-001\nAims-Path: aims/policy/ai-policy.md\n\
                 Aims-Blob: {}\nAims-Role: top-management\nAims-Decision: approved\n",
                blob.trim()
            ),
        ],
    );
    let forged = same_with_and_without(&dir);
    let json: serde_json::Value = serde_json::from_str(&forged).unwrap();
    let pol = json["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "POL-001")
        .unwrap();
    assert_ne!(pol["state"], "approved", "{pol:#}");
    assert!(
        forged.contains("aims/pol-001/v9"),
        "the forged tag is reported"
    );
}
