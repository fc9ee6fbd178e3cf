//! The gate's index reader (`aims::history::index`) against libgit2's and
//! git's own answers, on indexes real git writes: each version, intent to
//! add, skip-worktree, conflicts, a split index, long and non-UTF-8 names,
//! and git's cached trees valid, invalidated or absent.

mod common;

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use aims::history::index::{Entry, Index};
use common::*;

/// libgit2's entries, intent-to-add ones left out (as `git commit` leaves
/// them out).
fn by_libgit2(path: &Path) -> Vec<Entry> {
    let index = git2::Index::open(path).unwrap();
    Index::by_libgit2(&index).entries
}

/// The `-z` records of a git listing (`git ls-files -s`, `git ls-tree
/// -r`): the space-separated fields before the tab, and the path.
fn records(dir: &Path, index: &Path, args: &[&str]) -> Vec<(Vec<String>, Vec<u8>)> {
    let out = hermetic("git", dir)
        .current_dir(dir)
        .env("GIT_INDEX_FILE", index)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
        .split(|b| *b == 0)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let tab = line.iter().position(|b| *b == b'\t').unwrap();
            let meta = std::str::from_utf8(&line[..tab]).unwrap();
            (
                meta.split(' ').map(str::to_owned).collect(),
                line[tab + 1..].to_vec(),
            )
        })
        .collect()
}

/// `git ls-files -s`: the entries as git reads them (mode, id, stage,
/// path; intent-to-add entries cannot be told apart here).
fn by_git(dir: &Path, index: &Path) -> Vec<(u32, String, u8, Vec<u8>)> {
    records(dir, index, &["ls-files", "-s", "-z"])
        .into_iter()
        .map(|(meta, path)| {
            let mode = u32::from_str_radix(&meta[0], 8).unwrap();
            (mode, meta[1].clone(), meta[2].parse().unwrap(), path)
        })
        .collect()
}

/// `git ls-tree -r HEAD`: path → object id (files, links, submodules).
fn head_blobs(dir: &Path) -> BTreeMap<Vec<u8>, String> {
    records(
        dir,
        &dir.join(".git/index"),
        &["ls-tree", "-r", "-z", "HEAD"],
    )
    .into_iter()
    .map(|(meta, path)| (path, meta[2].clone()))
    .collect()
}

/// The reader's entries equal libgit2's, and its staged changes equal the
/// stage-0 entries whose object is not HEAD's. Returns the changed paths.
fn agrees(dir: &Path, index_file: &Path) -> Vec<String> {
    let ours = Index::open(index_file).unwrap();
    if git2::Index::open(index_file).is_ok() {
        assert_eq!(ours.entries, by_libgit2(index_file), "{}", dir.display());
    } else {
        // One libgit2 cannot read (a version 4 index with a name longer
        // than 4 KiB): as git reads it.
        let ours: Vec<_> = ours
            .entries
            .iter()
            .map(|e| (e.mode, e.id.to_string(), e.stage, e.path.clone()))
            .collect();
        assert_eq!(ours, by_git(dir, index_file));
    }
    let repo = git2::Repository::open(dir).unwrap();
    let head = repo.head().unwrap().peel_to_tree().unwrap();
    let wanted: Vec<(&str, git2::Oid)> = ours
        .entries
        .iter()
        .filter(|e| e.stage == 0)
        .filter_map(|e| Some((std::str::from_utf8(&e.path).ok()?, e.id)))
        .collect();
    let mut changed: Vec<String> = ours
        .changed(&repo, &head, &wanted)
        .unwrap()
        .into_iter()
        .map(|(p, _)| p.to_owned())
        .collect();
    changed.sort();
    let blobs = head_blobs(dir);
    let want: Vec<String> = wanted
        .iter()
        .filter(|(p, id)| blobs.get(p.as_bytes()) != Some(&id.to_string()))
        .map(|(p, _)| (*p).to_owned())
        .collect();
    assert_eq!(changed, want, "{}", dir.display());
    changed
}

fn write(dir: &Path, path: &str, text: &str) {
    let file = dir.join(path);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(file, text).unwrap();
}

/// A repository of nested folders, committed (so the index carries git's
/// cached trees), in index format `version`.
fn repository(version: u32) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    std::fs::create_dir(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["config", "index.version", &version.to_string()]);
    for folder in ["aims/a", "aims/b", "aims/b/deep", "docs", "other"] {
        for n in 0..4 {
            write(
                &dir,
                &format!("{folder}/doc-{n}.md"),
                &format!("{folder} {n}\n"),
            );
        }
    }
    write(&dir, "aims.toml", "[aims]\n");
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "one"]);
    (tmp, dir)
}

#[test]
fn every_index_version_reads_as_libgit2_reads_it() {
    for version in [2, 3, 4] {
        let (_tmp, dir) = repository(version);
        let index = dir.join(".git/index");
        // Fresh from a commit: the cached trees say nothing changed.
        assert!(agrees(&dir, &index).is_empty());

        // One change deep down, one new file in a new folder, one removed
        // folder, a file where a folder was and a folder where a file was.
        write(&dir, "aims/b/deep/doc-1.md", "changed\n");
        write(&dir, "aims/c/new.md", "new\n");
        std::fs::remove_dir_all(dir.join("docs")).unwrap();
        std::fs::remove_dir_all(dir.join("other")).unwrap();
        write(&dir, "other", "a file now\n");
        std::fs::remove_file(dir.join("aims/a/doc-0.md")).unwrap();
        write(&dir, "aims/a/doc-0.md/inner.md", "a folder now\n");
        git(&dir, &["add", "-A"]);
        assert_eq!(
            agrees(&dir, &index),
            [
                "aims/a/doc-0.md/inner.md",
                "aims/b/deep/doc-1.md",
                "aims/c/new.md",
                "other"
            ],
            "index version {version}"
        );

        // The cached trees written again (`git write-tree` validates them):
        // the same answer.
        git(&dir, &["write-tree"]);
        assert_eq!(agrees(&dir, &index).len(), 4);

        // Intent to add is not staged content; skip-worktree is.
        write(&dir, "aims/a/intent.md", "later\n");
        git(&dir, &["add", "-N", "aims/a/intent.md"]);
        git(
            &dir,
            &["update-index", "--skip-worktree", "aims/a/doc-1.md"],
        );
        let changed = agrees(&dir, &index);
        assert!(
            !changed.iter().any(|p| p.ends_with("intent.md")),
            "{changed:?}"
        );
        let ours = Index::open(&index).unwrap();
        assert!(ours.get("aims/a/intent.md").is_none());
        assert!(ours.get("aims/a/doc-1.md").is_some());
    }
}

#[test]
fn unusual_names_read_as_libgit2_reads_them() {
    for version in [2, 4] {
        let (_tmp, dir) = repository(version);
        // A name longer than the entry's length field holds (staged
        // without a file: no file system takes a path that long), and one
        // that is not UTF-8 (left out of the gate's wanted paths, still
        // read).
        let long = format!("aims/{}doc.md", format!("{}/", "x".repeat(200)).repeat(21));
        assert!(long.len() > 0xfff);
        let blob = git(&dir, &["hash-object", "-w", "aims.toml"]);
        git(
            &dir,
            &[
                "update-index",
                "--add",
                "--cacheinfo",
                &format!("100644,{},{long}", blob.trim()),
            ],
        );
        let odd = dir
            .join("aims/a")
            .join(std::ffi::OsStr::from_bytes(b"caf\xe9.md"));
        std::fs::write(&odd, "latin-1 name\n").unwrap();
        git(&dir, &["add", "-A"]);
        let changed = agrees(&dir, &dir.join(".git/index"));
        assert_eq!(changed, [long]);
        let ours = Index::open(&dir.join(".git/index")).unwrap();
        let as_git: Vec<_> = ours
            .entries
            .iter()
            .map(|e| (e.mode, e.id.to_string(), e.stage, e.path.clone()))
            .collect();
        assert_eq!(as_git, by_git(&dir, &dir.join(".git/index")));
        assert!(ours.entries.iter().any(|e| e.path == b"aims/a/caf\xe9.md"));
        assert!(ours.entries.iter().any(|e| e.path.len() >= 0xfff));
    }
}

/// A submodule's commit staged as HEAD has it is no change, whether git's
/// cached trees say so or the folders are compared.
#[test]
fn a_submodule_as_head_has_it_is_unchanged() {
    let (_tmp, dir) = repository(2);
    let commit = git(&dir, &["rev-parse", "HEAD"]);
    let gitlink = format!("160000,{},aims/a/sub", commit.trim());
    git(&dir, &["update-index", "--add", "--cacheinfo", &gitlink]);
    git(&dir, &["commit", "-q", "-m", "a submodule"]);
    let index = dir.join(".git/index");
    assert!(agrees(&dir, &index).is_empty(), "cached trees valid");
    // (No folder on disk for it: `git add -A` would unstage it.)
    write(&dir, "aims/a/doc-2.md", "changed\n");
    git(&dir, &["add", "aims/a/doc-2.md"]);
    assert!(Index::open(&index).unwrap().get("aims/a/sub").is_some());
    assert_eq!(agrees(&dir, &index), ["aims/a/doc-2.md"], "compared");
}

#[test]
fn conflicts_are_entries_at_their_stages() {
    let (_tmp, dir) = repository(2);
    git(&dir, &["checkout", "-q", "-b", "side"]);
    write(&dir, "aims/a/doc-1.md", "side\n");
    git(&dir, &["commit", "-q", "-am", "side"]);
    git(&dir, &["checkout", "-q", "main"]);
    write(&dir, "aims/a/doc-1.md", "main\n");
    git(&dir, &["commit", "-q", "-am", "main"]);
    let home = tempfile::tempdir().unwrap();
    let merge = hermetic("git", home.path())
        .current_dir(&dir)
        .args(["merge", "-q", "side"])
        .output()
        .unwrap();
    assert!(!merge.status.success(), "a conflict");
    let index = dir.join(".git/index");
    let ours = Index::open(&index).unwrap();
    assert_eq!(ours.entries, by_libgit2(&index));
    let conflicted = ours.conflicted().unwrap();
    assert_eq!(conflicted.path, b"aims/a/doc-1.md");
    assert!(ours.get("aims/a/doc-1.md").is_none(), "no stage 0");
}

#[test]
fn a_split_index_is_read_by_libgit2() {
    let (_tmp, dir) = repository(2);
    git(&dir, &["update-index", "--split-index"]);
    write(&dir, "aims/b/doc-2.md", "changed\n");
    git(&dir, &["add", "-A"]);
    let index = dir.join(".git/index");
    let ours = Index::open(&index);
    // libgit2 1.9 does not read split indexes either: the same answer
    // (entries, or its error) as libgit2's.
    match git2::Index::open(&index) {
        Ok(theirs) => {
            assert_eq!(ours.unwrap().entries, Index::by_libgit2(&theirs).entries);
        }
        Err(e) => assert_eq!(
            ours.err().map(|o| o.message().to_owned()),
            Some(e.message().to_owned())
        ),
    }
}

#[test]
fn a_damaged_index_is_never_read_as_another() {
    let (_tmp, dir) = repository(4);
    write(&dir, "aims/b/doc-2.md", "changed\n");
    git(&dir, &["add", "-A"]);
    let index = dir.join(".git/index");
    let bytes = std::fs::read(&index).unwrap();
    let damaged = dir.join("damaged-index");
    // Cut anywhere, or a byte changed anywhere in the entries: read as
    // libgit2 reads it (its entries, or an error), never otherwise.
    let mut cases: Vec<Vec<u8>> = (12..bytes.len())
        .step_by(7)
        .map(|n| bytes[..n].to_vec())
        .collect();
    for at in (12..bytes.len() - 20).step_by(5) {
        let mut b = bytes.clone();
        b[at] ^= 0x41;
        cases.push(b);
    }
    for case in cases {
        std::fs::write(&damaged, &case).unwrap();
        let theirs = git2::Index::open(&damaged).map(|i| Index::by_libgit2(&i));
        match (Index::open(&damaged), theirs) {
            (Ok(ours), Ok(theirs)) => {
                // libgit2 checks the checksum, aims does not (as git): a
                // change it accepts is one both read alike.
                assert_eq!(ours.entries, theirs.entries);
            }
            // Refused by libgit2's checksum, which git does not check on
            // ordinary reads either; or refused by both.
            (Ok(_), Err(_)) | (Err(_), _) => {}
        }
    }
}
