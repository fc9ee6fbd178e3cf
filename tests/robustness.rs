//! Damaged repositories and hostile inputs: aims never hangs, never
//! panics, and says what is wrong.

mod common;

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Runs `aims ARGS` in `dir`, killed after `limit`; None when it had to be
/// killed.
fn run_within(dir: &Path, args: &[&str], limit: Duration) -> Option<Output> {
    let home = tempfile::tempdir().unwrap();
    let mut child = aims(home.path())
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A loose object of `kind` in the repository, by `git cat-file`.
fn loose_object_of(dir: &Path, kind: &str) -> String {
    let objects = dir.join(".git/objects");
    for fan in std::fs::read_dir(&objects).unwrap().flatten() {
        let prefix = fan.file_name().to_string_lossy().into_owned();
        if prefix.len() != 2 {
            continue;
        }
        for file in std::fs::read_dir(fan.path()).unwrap().flatten() {
            let id = format!("{prefix}{}", file.file_name().to_string_lossy());
            if git(dir, &["cat-file", "-t", &id]).trim() == kind {
                return id;
            }
        }
    }
    panic!("no loose {kind} object");
}

#[test]
fn a_truncated_loose_object_stops_every_command_within_seconds() {
    if !have_tools(&["git", "ssh-keygen"]) {
        return;
    }
    for kind in ["blob", "tree", "commit", "tag"] {
        let (_tmp, dir) = repo("well-kept", true);
        // Pick an object aims reads: a document's blob, the tree and commit
        // of HEAD, an approval tag.
        let id = match kind {
            "blob" => git(&dir, &["rev-parse", "HEAD:aims/policy/ai-policy.md"]),
            "tree" => git(&dir, &["rev-parse", "HEAD^{tree}"]),
            "commit" => git(&dir, &["rev-parse", "HEAD"]),
            _ => loose_object_of(&dir, "tag"),
        };
        let id = id.trim().to_owned();
        let path = dir.join(".git/objects").join(&id[..2]).join(&id[2..]);
        assert!(path.exists(), "{kind} {id} is loose");
        // Make it writable, then cut it in half.
        let bytes = std::fs::read(&path).unwrap();
        let mut perms = std::fs::metadata(&path).unwrap().permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        std::fs::set_permissions(&path, perms).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        // git itself fails at once on it.
        let home = tempfile::tempdir().unwrap();
        let git_out = hermetic("git", home.path())
            .current_dir(&dir)
            .args(["cat-file", "-p", &id])
            .output()
            .unwrap();
        assert!(!git_out.status.success());
        for args in [
            &["check"][..],
            &["check", "--staged"],
            &["status"],
            &["status", "--format", "json"],
            &["audit", "--format", "json"],
            &["log", "POL-001"],
            &["diff", "POL-001"],
            &["pr-comment", "--base", "HEAD~1"],
            &["export", "--out", "pkg.zip"],
            &["seal"],
        ] {
            let out = run_within(&dir, args, Duration::from_secs(10)).unwrap_or_else(|| {
                panic!("aims {args:?} still running after 10 s on a truncated {kind}")
            });
            assert_eq!(
                out.status.code(),
                Some(2),
                "aims {args:?} on a truncated {kind}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains(&id) && err.contains("git fsck"),
                "{args:?}: {err}"
            );
        }
    }
}
