//! The history cache (`.git/aims/cache`) changes how fast, never what:
//! every output with the cache equals the output without it, after new
//! commits, a merge, a damaged cache file and new or forged tags.

mod common;

use std::os::unix::ffi::OsStrExt;
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

/// `pr-comment` builds the base's register, then the head's, which extends
/// the walk the base's left in the process when the head is a line of
/// commits on top of it: the same comment with the cache off, filled from
/// nothing, and warm.
fn same_comment(dir: &Path, base: &str, head: &str) -> String {
    let comment = |extra: &[&str]| {
        let mut args = vec![
            "pr-comment",
            "--base",
            base,
            "--head",
            head,
            "--format",
            "json",
        ];
        args.extend(extra);
        let out = run(dir, &args);
        assert!(code(&out) <= 1, "{}", stderr(&out));
        stdout(&out)
    };
    let cold = comment(&["--no-cache"]);
    std::fs::remove_dir_all(dir.join(".git/aims/cache")).unwrap();
    assert_eq!(comment(&[]), cold);
    assert_eq!(comment(&[]), cold);
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
    // Files no run reads any more: those of an earlier cache format, and
    // an entry of another fingerprint (another configuration or aims
    // version) untouched for over a week go; a recent one stays.
    let cache = dir.join(".git/aims/cache");
    std::fs::create_dir_all(&cache).unwrap();
    let other = |age_days: u64, head: char| {
        let name = format!(
            "walk-{}-{}.json",
            "0".repeat(24),
            head.to_string().repeat(40)
        );
        let file = std::fs::File::create(cache.join(&name)).unwrap();
        let when =
            std::time::SystemTime::now() - std::time::Duration::from_secs(age_days * 24 * 3600);
        file.set_modified(when).unwrap();
        name
    };
    let (stale, recent) = (other(8, 'a'), other(1, 'b'));
    std::fs::write(cache.join("claims.json"), "{}").unwrap();
    std::fs::write(cache.join("verdicts.json"), "{}").unwrap();
    let before = same_with_and_without(&dir);
    let left = cached(&dir);
    for gone in [&stale, "claims.json", "verdicts.json"] {
        assert!(!left.iter().any(|n| n == gone), "{gone}: {left:?}");
    }
    assert!(left.contains(&recent), "{left:?}");

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
    commit_change(
        &dir,
        "priya.raman@northwind.example",
        "aims/objectives/obj-001-credit-fairness.md",
        |t| format!("{t}\nA second change, on top.\n"),
        "2026-06-01T10:00:00Z",
    );
    let comment = same_comment(&dir, "HEAD~2", "HEAD");
    for changed in [
        "aims/policy/ai-policy.md",
        "aims/objectives/obj-001-credit-fairness.md",
    ] {
        assert!(comment.contains(changed), "{changed}: {comment}");
    }

    // A merge: not an extension; a full walk, the same answer.
    git(&dir, &["checkout", "-q", "-b", "side", "HEAD~3"]);
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
    // The merge on top of the side branch: not a line of commits on top of
    // the base's walk.
    same_comment(&dir, "side", "main");

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

/// `aims check --staged` in two formats (JSON, and the terminal's, which
/// counts the documents): the same with the cache off, filling it, and
/// warm. Returns the JSON.
fn same_gate(dir: &Path) -> String {
    let gate = |extra: &[&str]| {
        let mut args = vec!["check", "--staged"];
        args.extend(extra);
        let out = run(dir, &args);
        assert!(
            matches!(code(&out), 0 | 1),
            "{args:?}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        (code(&out), stdout(&out))
    };
    for format in [&["--format", "json"][..], &[]] {
        let cold = gate(&[format, &["--no-cache"]].concat());
        let first = gate(format);
        let warm = gate(format);
        assert_eq!(first, cold, "{format:?}");
        assert_eq!(warm, cold, "{format:?}");
    }
    gate(&["--format", "json"]).1
}

fn stage(dir: &Path, path: &str, edit: impl FnOnce(String) -> String) {
    let file = dir.join(path);
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    std::fs::write(&file, edit(text)).unwrap();
    git(dir, &["add", "-A"]);
}

#[test]
fn the_gate_judges_the_same_with_and_without_the_cache() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let (_tmp, dir) = repo("well-kept", true);
    // A warm walk, as the gate finds it after any aims command.
    status(&dir, &[]);
    const RISK: &str = "aims/risk/register/rsk-006-credit-reason-codes.md";

    // On protected main: an approved risk changed, with a reference to a
    // document of the wrong kind and one to no document. References
    // resolve against documents the gate knows by id and kind only.
    stage(&dir, RISK, |t| {
        t.replace("ai-system = \"SYS-001\"", "ai-system = \"RAM-001\"")
            .replace("assessment = \"RAM-001\"", "assessment = \"RAM-01\"")
    });
    let json = same_gate(&dir);
    for needle in [
        "CTL009",
        "RSK-006",
        "`ai-system` refers to `RAM-001`, which is a risk-assessment",
        "did you mean \\\"RAM-001\\\"?",
    ] {
        assert!(json.contains(needle), "`{needle}` missing: {json}");
    }
    assert!(
        cached(&dir).iter().any(|n| n == "identities"),
        "{:?}",
        cached(&dir)
    );
    assert!(
        cached(&dir).iter().any(|n| n.starts_with("shard-")),
        "{:?}",
        cached(&dir)
    );

    // A new document with the id of one the gate does not judge: both are
    // read in full, and the duplicate names the first.
    let policy = std::fs::read_to_string(dir.join("aims/policy/ai-policy.md")).unwrap();
    stage(&dir, "aims/policy/copy.md", |_| policy.clone());
    let json = same_gate(&dir);
    assert!(
        json.contains("DOC009") && json.contains("already used by aims/policy/ai-policy.md"),
        "{json}"
    );
    git(&dir, &["rm", "-q", "--cached", "aims/policy/copy.md"]);
    std::fs::remove_file(dir.join("aims/policy/copy.md")).unwrap();

    // A document whose staged content changed is judged afresh: the AI
    // system's id changes, so the risk's reference to it no longer
    // resolves, though the cache knows the committed content as SYS-001.
    stage(&dir, RISK, |t| {
        t.replace("ai-system = \"RAM-001\"", "ai-system = \"SYS-001\"")
    });
    same_gate(&dir);
    stage(
        &dir,
        "aims/ai-systems/sys-001-credit-risk-scoring.md",
        |t| t.replacen("id = \"SYS-001\"", "id = \"SYS-101\"", 1),
    );
    let json = same_gate(&dir);
    assert!(
        json.contains("refers to `SYS-001`, but no document has that id"),
        "{json}"
    );

    // Damaged cache files (garbage, truncated, missing) are ignored.
    let cache = dir.join(".git/aims/cache");
    for (i, name) in cached(&dir).into_iter().enumerate() {
        let path = cache.join(&name);
        match i % 3 {
            0 => std::fs::write(&path, "{ not json").unwrap(),
            1 => {
                let bytes = std::fs::read(&path).unwrap();
                std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
            }
            _ => std::fs::remove_file(&path).unwrap(),
        }
    }
    same_gate(&dir);
    // A shard whose bytes were altered (still valid JSON) is not used.
    status(&dir, &[]);
    // Damaged shards were written anew: each one an entry names is the
    // bytes its name is the hash of.
    for name in cached(&dir).into_iter().filter(|n| n.starts_with("walk-")) {
        let entry: serde_json::Value =
            serde_json::from_slice(&std::fs::read(cache.join(&name)).unwrap()).unwrap();
        for shard in entry["shards"].as_array().unwrap() {
            let shard = shard.as_str().unwrap();
            let bytes = std::fs::read(cache.join(format!("shard-{shard}.json"))).unwrap();
            let sum: String =
                sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(&bytes))
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
            assert_eq!(sum, shard, "{name} names a damaged shard");
        }
    }
    let mut altered = 0;
    for name in cached(&dir).into_iter().filter(|n| n.starts_with("shard-")) {
        let path = cache.join(&name);
        let text = std::fs::read_to_string(&path).unwrap();
        let changed = text.replace("\"kind\":\"risk\"", "\"kind\":\"policy\"");
        altered += usize::from(changed != text);
        std::fs::write(&path, changed).unwrap();
    }
    assert!(altered > 0, "{:?}", cached(&dir));
    same_gate(&dir);
    // So is an identities file with one byte changed (its checksum fails).
    let identities = cache.join("identities");
    let mut bytes = std::fs::read(&identities).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&identities, bytes).unwrap();
    same_gate(&dir);

    // Commits on top of the cached walk, then the same on a branch.
    git(&dir, &["commit", "-q", "--no-verify", "-m", "unapproved"]);
    stage(&dir, "aims/policy/ai-policy.md", |t| {
        format!("{t}\nAnother unapproved paragraph.\n")
    });
    let json = same_gate(&dir);
    assert!(
        json.contains("CTL009") && json.contains("POL-001"),
        "{json}"
    );
    git(&dir, &["switch", "-q", "-c", "change/pol-001"]);
    let json = same_gate(&dir);
    assert!(!json.contains("CTL009"), "{json}");
}

/// `aims check` (which names every refused tag) and `aims status`: the
/// same with the cache off, filling it, and warm. Returns check's JSON.
fn same_listing(dir: &Path) -> String {
    let cold = status(dir, &["--no-cache"]);
    assert_eq!(status(dir, &[]), cold);
    assert_eq!(status(dir, &[]), cold);
    let check = |extra: &[&str]| {
        let mut args = vec!["check", "--format", "json"];
        args.extend(extra);
        let out = run(dir, &args);
        assert!(matches!(code(&out), 0 | 1), "{}", stderr(&out));
        stdout(&out)
    };
    let cold = check(&["--no-cache"]);
    assert_eq!(check(&[]), cold);
    assert_eq!(check(&[]), cold);
    cold
}

/// The listing of `refs/tags/aims/` is remembered by each folder's and
/// ref file's status (`.git/aims/cache/refs`): every way a ref changes
/// (rewritten in place, deleted, added, packed, added from a worktree) is
/// seen, the same as without the cache.
#[test]
fn the_remembered_tag_listing_follows_every_ref_change() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let (_tmp, dir) = repo("well-kept", true);
    let memo = dir.join(".git/aims/cache/refs");
    // Entries changed in the last few seconds are not remembered: let the
    // fixture's refs settle, so that the listing below is remembered.
    std::thread::sleep(std::time::Duration::from_secs(4));
    let before = same_listing(&dir);
    let written = std::fs::metadata(&memo).unwrap().modified().unwrap();
    same_listing(&dir);
    assert_eq!(
        std::fs::metadata(&memo).unwrap().modified().unwrap(),
        written,
        "nothing changed, so the listing was all remembered (not written again)"
    );

    // Rewritten in place (same file, same size): POL-001's approval tag
    // made to name a commit, as someone with push rights could.
    let tags = git(&dir, &["tag", "-l", "aims/pol-001/*"]);
    let tag = tags.lines().next().expect("POL-001 is approved").to_owned();
    let file = dir.join(".git/refs/tags").join(&tag);
    assert!(file.is_file(), "{tag} is a loose ref");
    let head = git(&dir, &["rev-parse", "HEAD"]);
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&file)
            .unwrap();
        f.write_all(format!("{}\n", head.trim()).as_bytes())
            .unwrap();
    }
    let rewritten = same_listing(&dir);
    assert!(!before.contains(&format!("tag {tag} is not an approval")));
    assert!(
        rewritten.contains(&format!("tag {tag} is not an approval")),
        "the rewritten ref is seen: {rewritten}"
    );

    // Deleted, then another added in its folder.
    git(&dir, &["tag", "-d", &tag]);
    assert!(!same_listing(&dir).contains(&tag));
    let again = format!("{tag}-again");
    git(&dir, &["tag", &again, "HEAD"]);
    let added = same_listing(&dir);
    assert!(added.contains(&format!("tag {again} is not an approval")));

    // Packed: the loose files go, the same tags are read from packed-refs.
    git(&dir, &["pack-refs", "--all"]);
    assert!(!dir.join(".git/refs/tags").join(&again).exists());
    assert_eq!(same_listing(&dir), added);
    // With no loose tag left, no listing is kept (nor read run after run).
    assert!(!dir.join(".git/refs/tags/aims").exists());
    assert!(!memo.exists(), "{:?}", cached(&dir));

    // A damaged listing is ignored and written anew.
    git(&dir, &["tag", "aims/loose/v1", "HEAD"]);
    std::fs::write(&memo, b"aims refs\n damaged").unwrap();
    let loose = same_listing(&dir);
    assert!(loose.contains("tag aims/loose/v1 is not an approval"));
    assert_ne!(
        std::fs::read(&memo).unwrap(),
        b"aims refs\n damaged",
        "written anew"
    );

    // A worktree lists the tags of the repository it belongs to.
    let wt = dir.parent().unwrap().join("worktree");
    git(
        &dir,
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "elsewhere",
            wt.to_str().unwrap(),
        ],
    );
    git(&wt, &["tag", "aims/late/v1", "HEAD"]);
    assert!(same_listing(&wt).contains("tag aims/late/v1 is not an approval"));
    assert!(same_listing(&dir).contains("tag aims/late/v1 is not an approval"));
}

/// Tag refs are read as git reads them: links followed, an id with
/// trailing text, names git would not read passed over, a broken tag
/// outside the namespace ignored, a damaged one inside it an error.
#[test]
fn tag_refs_are_read_as_git_reads_them() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let (tmp, dir) = repo("well-kept", true);
    let before = same_listing(&dir);
    let tags = dir.join(".git/refs/tags/aims");

    // A ref file and a folder replaced by links to where they were
    // moved still count.
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::rename(tags.join("pol-001/v1"), elsewhere.join("v1")).unwrap();
    std::os::unix::fs::symlink(elsewhere.join("v1"), tags.join("pol-001/v1")).unwrap();
    std::fs::rename(tags.join("pro-001"), elsewhere.join("pro-001")).unwrap();
    std::os::unix::fs::symlink(elsewhere.join("pro-001"), tags.join("pro-001")).unwrap();
    assert_eq!(same_listing(&dir), before);

    // An id followed by other text, as git reads it; a name git passes
    // over (a lock file) is passed over.
    let v1 = elsewhere.join("v1");
    let id = std::fs::read_to_string(&v1).unwrap();
    std::fs::write(&v1, format!("{} trailing text\n", id.trim())).unwrap();
    std::fs::write(tags.join("pol-001/v2.lock"), "not a ref\n").unwrap();
    assert_eq!(same_listing(&dir), before);

    // A broken tag outside the namespace: ignored, as git ignores it.
    std::fs::write(dir.join(".git/refs/tags/release"), "garbage\n").unwrap();
    assert_eq!(same_listing(&dir), before);
    std::fs::remove_file(dir.join(".git/refs/tags/release")).unwrap();

    // A packed ref whose name is not UTF-8 (git allows it) stops nothing.
    let bad = std::ffi::OsStr::from_bytes(b"refs/heads/caf\xe9");
    let home = tempfile::tempdir().unwrap();
    let made = hermetic("git", home.path())
        .current_dir(&dir)
        .arg("update-ref")
        .arg(bad)
        .arg("HEAD")
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    git(&dir, &["pack-refs", "--all"]);
    assert_eq!(same_listing(&dir), before);

    // A damaged approval tag: exit 2, naming it.
    std::fs::create_dir_all(tags.join("sco-001")).unwrap();
    std::fs::write(tags.join("sco-001/v1"), "garbage\n").unwrap();
    let out = run(&dir, &["status"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("sco-001/v1"), "{}", stderr(&out));
}
