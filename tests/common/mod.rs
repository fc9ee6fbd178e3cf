//! Test helpers: run the real binary in a hermetic environment, and build
//! real git repositories.
#![allow(dead_code)]

pub mod approved;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const TODAY: &str = "2026-11-23";

pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    project_root().join("fixtures").join(name)
}

/// A command with no user or system git configuration, a fixed date and no
/// colour, so results do not depend on the machine.
pub fn hermetic(program: &str, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_SYSTEM", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@test.example")
        .env("GIT_COMMITTER_NAME", "Test Author")
        .env("GIT_COMMITTER_EMAIL", "author@test.example")
        .env("GIT_AUTHOR_DATE", "2026-01-15T10:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-15T10:00:00Z")
        .env("NO_COLOR", "1")
        .env("AIMS_TODAY", TODAY)
        .env("LC_ALL", "C");
    cmd
}

pub fn aims(home: &Path) -> Command {
    hermetic(env!("CARGO_BIN_EXE_aims"), home)
}

/// Runs `aims ARGS` in `dir`.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("temp home");
    aims(home.path())
        .current_dir(dir)
        .args(args)
        .output()
        .expect("aims runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited, not killed by a signal")
}

/// Runs `git ARGS` in `dir` hermetically and asserts success.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let home = tempfile::tempdir().expect("temp home");
    let out = hermetic("git", home.path())
        .current_dir(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `aims check --format json` parsed.
pub fn check_json(dir: &Path) -> (i32, serde_json::Value) {
    let out = run(dir, &["check", "--format", "json"]);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(&out), stderr(&out)));
    (code(&out), json)
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.expect("walk");
        let rel = entry.path().strip_prefix(from).expect("inside");
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).expect("mkdir");
        } else {
            std::fs::copy(entry.path(), &dest).expect("copy");
        }
    }
}

/// Runs a command and asserts it succeeded, showing its stderr if not.
pub fn succeed(cmd: &mut Command) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?} did not start: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Whether these external tools are installed. A test that needs them skips
/// when they are missing locally, but fails under CI, which must never skip.
pub fn have_tools(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| Command::new(t).arg("--version").output().is_err())
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{missing:?} required under CI"
    );
    eprintln!("skipping: {missing:?} not installed");
    false
}

/// The findings of a `check --format json` result whose code starts with
/// `prefix` (e.g. "DOC" for the document rules alone).
pub fn findings_of(json: &serde_json::Value, prefix: &str) -> Vec<serde_json::Value> {
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"].as_str().is_some_and(|c| c.starts_with(prefix)))
        .cloned()
        .collect()
}

/// `git` in `dir` as `author` (committed by `committer`, both at
/// `who@acme.example`) at `date`; `home` is the hermetic HOME.
pub fn git_as(dir: &Path, home: &Path, author: &str, committer: &str, date: &str) -> Command {
    let mut cmd = hermetic("git", home);
    cmd.current_dir(dir)
        .env("GIT_AUTHOR_NAME", author)
        .env("GIT_AUTHOR_EMAIL", format!("{author}@acme.example"))
        .env("GIT_COMMITTER_NAME", committer)
        .env("GIT_COMMITTER_EMAIL", format!("{committer}@acme.example"))
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date);
    cmd
}

/// A throwaway ed25519 key at `dir/name`, returning its path and its public
/// key as `type base64` (the form allowed-signers files take).
pub fn keygen(dir: &Path, name: &str) -> (PathBuf, String) {
    let path = dir.join(name);
    let home = tempfile::tempdir().expect("temp home");
    succeed(
        hermetic("ssh-keygen", home.path())
            .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
            .arg(&path),
    );
    let public = std::fs::read_to_string(path.with_extension("pub")).expect("public key");
    let public = public
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    (path, public)
}

/// The fixture as a git repository (`make-repo.sh`), approved with signed
/// tags when `approve` is set.
pub fn repo(name: &str, approve: bool) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join(name);
    let home = tempfile::tempdir().unwrap();
    let mut cmd = hermetic("bash", home.path());
    cmd.arg(project_root().join("fixtures/make-repo.sh"));
    if approve {
        cmd.arg("--approve");
    }
    succeed(cmd.args([name, dest.to_str().unwrap()]));
    (tmp, dest)
}

/// The well-kept fixture's files as changed in `src`, made a repository at
/// `dest` with the fixture's authors, dates and signed approvals
/// (`make-repo.sh --approve --from`).
pub fn approved_repo_from(src: &Path, dest: &Path) {
    let home = tempfile::tempdir().unwrap();
    succeed(
        hermetic("bash", home.path())
            .arg(project_root().join("fixtures/make-repo.sh"))
            .args(["--approve", "--from"])
            .arg(src)
            .arg("well-kept")
            .arg(dest),
    );
}

/// Commits a change to `path` as `who`.
pub fn commit_change(
    dir: &Path,
    who: &str,
    path: &str,
    edit: impl FnOnce(String) -> String,
    date: &str,
) {
    let file = dir.join(path);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, edit(text)).unwrap();
    let home = tempfile::tempdir().unwrap();
    succeed(
        hermetic("git", home.path())
            .current_dir(dir)
            .env("GIT_AUTHOR_EMAIL", who)
            .env("GIT_COMMITTER_EMAIL", who)
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .args(["commit", "-q", "-am", "change"]),
    );
}
