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

/// No line of output is longer than this: a diagnostic about a huge line
/// shows an excerpt, not the line.
const READABLE: usize = 2_000;

fn assert_readable(what: &str, out: &Output) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("panicked"), "{what}: {text}");
    assert!(
        matches!(out.status.code(), Some(1 | 2)),
        "{what}: exit {:?}\n{}",
        out.status.code(),
        &text[..text.len().min(3000)]
    );
    // The huge line is never printed whole.
    assert!(
        !text.contains(&"x".repeat(5_000)),
        "{what}: the line is printed"
    );
    if what.contains("human") || !what.contains("--format") {
        let longest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        assert!(
            longest <= READABLE,
            "{what}: a line of {longest} characters"
        );
    }
}

#[test]
fn a_seventy_thousand_character_line_gives_a_readable_diagnostic() {
    let pad = "x".repeat(70_000);
    // In a document: invalid TOML at column 70,000 or so.
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("well-kept"), tmp.path());
    let policy = tmp.path().join("aims/policy/ai-policy.md");
    let text = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(
        &policy,
        text.replacen(
            "\ntitle = ",
            &format!("\nx-pad = \"{pad}\" oops\ntitle = "),
            1,
        ),
    )
    .unwrap();
    for format in ["human", "json", "sarif", "github", "markdown"] {
        let out = run(tmp.path(), &["check", "--format", format]);
        assert_readable(&format!("document, check --format {format}"), &out);
    }
    let human = stdout(&run(tmp.path(), &["check"]));
    assert!(
        human.contains("column 13") || human.contains("column 700"),
        "{}",
        &human[..human.len().min(2000)]
    );
    for args in [
        &["status"][..],
        &["audit"],
        &["audit", "--format", "markdown"],
        &["audit", "--format", "json"],
    ] {
        assert_readable(&format!("document, {args:?}"), &run(tmp.path(), args));
    }
    // HTML has long lines of its own (inline CSS): it must just not fail.
    let out = run(tmp.path(), &["audit", "--format", "html"]);
    assert!(!stderr(&out).contains("panicked") && matches!(out.status.code(), Some(1 | 2)));

    // In aims.toml: every command stops with a readable error.
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("well-kept"), tmp.path());
    git(tmp.path(), &["init", "-q", "-b", "main"]);
    let config = tmp.path().join("aims.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replacen(
            "organisation = ",
            &format!("x = \"{pad}\" oops\norganisation = "),
            1,
        ),
    )
    .unwrap();
    for args in [
        &["check"][..],
        &["check", "--format", "json"],
        &["check", "--format", "sarif"],
        &["status"],
        &["audit", "--format", "json"],
        &["export", "--out", "pkg.zip"],
    ] {
        let out = run(tmp.path(), args);
        assert_readable(&format!("aims.toml, {args:?}"), &out);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains("line "), "{}", stderr(&out));
    }
}

/// A title (and a competence evaluation, which ISO019 quotes) written to
/// attack whoever reads the output: a spreadsheet formula, an OSC 52
/// clipboard write, cursor movement and screen clearing, a team mention, a
/// closing HTML tag, a workflow command on its own line, a bidi override.
const HOSTILE: &str = r#"=HYPERLINK(\"http://x\") \u001b]52;c;ZXZpbA==\u0007 \u001b[2J\u001b[H @org/team </details>\n::error::pwned \u202Etxt"#;

#[test]
fn a_hostile_title_is_inert_in_every_format() {
    if !have_tools(&["git", "ssh-keygen"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    copy_dir(&fixture("well-kept"), &src);
    let policy = src.join("aims/policy/ai-policy.md");
    let text = std::fs::read_to_string(&policy).unwrap();
    let (before, after) = text.split_once("\ntitle = ").unwrap();
    let rest = after.split_once('\n').unwrap().1;
    std::fs::write(&policy, format!("{before}\ntitle = \"{HOSTILE}\"\n{rest}")).unwrap();
    let matrix = src.join("aims/competence/competence-matrix.md");
    let text = std::fs::read_to_string(&matrix).unwrap();
    let i = text.find("\nevaluation = ").unwrap();
    let end = text[i + 1..].find('\n').unwrap() + i + 1;
    std::fs::write(
        &matrix,
        format!(
            "{}\nevaluation = \"Attended a webinar {HOSTILE}\"{}",
            &text[..i],
            &text[end..]
        ),
    )
    .unwrap();
    let dir = tmp.path().join("repo");
    approved_repo_from(&src, &dir);
    let first = git(&dir, &["rev-list", "--max-parents=0", "HEAD"]);
    let base = first.trim();
    let mut outputs: Vec<(String, String)> = Vec::new();
    for args in [
        &["check"][..],
        &["check", "--format", "json"],
        &["check", "--format", "sarif"],
        &["check", "--format", "github"],
        &["check", "--format", "markdown"],
        &["check", "--format", "gitlab"],
        &["reviews", "--within", "400d"],
        &["reviews", "--within", "400d", "--format", "json"],
        &["reviews", "--within", "400d", "--format", "markdown"],
        &["reviews", "--within", "400d", "--format", "ics"],
        &["status"],
        &["status", "--format", "json"],
        &["status", "--format", "csv"],
        &["log", "POL-001"],
        &["diff", "POL-001", "--format", "markdown"],
        &["diff", "POL-001", "--format", "html"],
        &["audit"],
        &["audit", "--format", "markdown"],
        &["audit", "--format", "html"],
        &["audit", "--format", "json"],
        &["pr-comment", "--base", base],
    ] {
        let out = run(&dir, args);
        assert!(
            !stderr(&out).contains("panicked") && out.status.code().is_some(),
            "{args:?}: {}",
            stderr(&out)
        );
        outputs.push((
            format!("{args:?}"),
            format!("{}{}", stdout(&out), stderr(&out)),
        ));
    }
    let out = run(&dir, &["export", "--out", "pkg"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let unpacked = dir.join("pkg");
    for entry in walkdir::WalkDir::new(&unpacked)
        .into_iter()
        .filter_map(Result::ok)
    {
        // The in-force copies are the documents byte for byte (evidence);
        // what the package writes around them is checked.
        if entry
            .path()
            .extension()
            .is_some_and(|e| e == "html" || e == "csv")
        {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            outputs.push((entry.path().display().to_string(), text));
        }
    }
    let mut seen_title = 0;
    for (what, text) in &outputs {
        // Nothing acts on a terminal or a log viewer.
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{what}: escape or bell"
        );
        assert!(!text.contains('\u{202E}'), "{what}: bidi override");
        // No workflow command but aims's own annotations starts a line.
        for line in text.lines() {
            let l = line.trim_start();
            assert!(
                !l.starts_with("::")
                    || l.starts_with("::error file=")
                    || l.starts_with("::warning file=")
                    || l.starts_with("::notice file="),
                "{what}: {line}"
            );
        }
        if text.contains("HYPERLINK") {
            seen_title += 1;
        }
        let markdown = what.contains("markdown") || what.contains("pr-comment");
        if markdown {
            // Nobody is pinged.
            assert!(!text.contains("@org/team"), "{what}: a live mention");
        }
        if markdown || what.contains("html") {
            // No tag of ours is closed early.
            assert_eq!(
                text.matches("</details>").count(),
                text.matches("<details").count(),
                "{what}: an injected </details>"
            );
        }
        if what.contains("csv") {
            for line in text.lines() {
                for cell in line.split(',') {
                    let cell = cell.trim_start_matches('"');
                    assert!(
                        !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                        "{what}: a formula cell: {line}"
                    );
                }
            }
        }
    }
    assert!(
        seen_title >= 10,
        "the hostile title reached {seen_title} outputs: the test tests something"
    );
}

/// Whether this process runs as root (to hand a repository to someone else).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    })
}

#[test]
fn a_repository_of_another_user_is_read_exactly_when_git_would() {
    if !is_root() {
        // Giving files to another user takes root; CI runs as root.
        eprintln!("skipping: not root, cannot chown a repository to another user");
        return;
    }
    let (tmp, dir) = repo("well-kept", false);
    for e in walkdir::WalkDir::new(&dir) {
        std::os::unix::fs::lchown(e.unwrap().path(), Some(65534), Some(65534)).unwrap();
    }
    let home = tempfile::tempdir().unwrap();
    let status = |global: &Path| {
        let aims = aims(home.path())
            .current_dir(&dir)
            .env("GIT_CONFIG_GLOBAL", global)
            .arg("status")
            .output()
            .unwrap();
        let git = hermetic("git", home.path())
            .current_dir(&dir)
            .env("GIT_CONFIG_GLOBAL", global)
            .args(["status", "--short"])
            .output()
            .unwrap();
        (aims, git.status.success())
    };
    // Not listed: git refuses, and so does aims, naming the setting.
    let (out, git_ok) = status(Path::new("/dev/null"));
    assert!(!git_ok);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("belongs to another user") && err.contains("safe.directory"),
        "{err}"
    );
    // Listed in the file GIT_CONFIG_GLOBAL names: git reads it, and so does aims
    // (libgit2 alone would not).
    let global = tmp.path().join("gitconfig");
    std::fs::write(
        &global,
        format!("[safe]\n\tdirectory = {}\n", dir.display()),
    )
    .unwrap();
    let (out, git_ok) = status(&global);
    assert!(git_ok);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).contains("POL-001"), "{}", stdout(&out));
}

#[test]
fn a_damaged_packed_object_stops_every_command() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    // libgit2 reads without re-hashing each object (as git does): a packed
    // object is trusted to zlib's checksum. One flipped bit in the policy's
    // compressed bytes must still stop every command, never give an answer.
    let (_tmp, dir) = repo("well-kept", true);
    git(&dir, &["gc", "-q"]);
    let pack = std::fs::read_dir(dir.join(".git/objects/pack"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pack"))
        .unwrap();
    let blob = git(&dir, &["rev-parse", "HEAD:aims/policy/ai-policy.md"]);
    let listing = git(&dir, &["verify-pack", "-v", pack.to_str().unwrap()]);
    let line = listing
        .lines()
        .find(|l| l.starts_with(blob.trim()))
        .expect("the policy is packed");
    // id type size size-in-pack offset: flip a bit inside its data.
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (packed, offset): (usize, usize) = (fields[3].parse().unwrap(), fields[4].parse().unwrap());
    let mut bytes = std::fs::read(&pack).unwrap();
    bytes[offset + packed / 2] ^= 0x40;
    let mut perms = std::fs::metadata(&pack).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&pack, perms).unwrap();
    std::fs::write(&pack, bytes).unwrap();
    for args in [
        &["status"][..],
        &["check"],
        &["audit"],
        &["log", "POL-001"],
        &["status", "--format", "json"],
    ] {
        let out = run(&dir, args);
        assert_eq!(code(&out), 2, "aims {args:?}: {}", stdout(&out));
        assert!(
            stderr(&out).contains("git fsck"),
            "aims {args:?}: {}",
            stderr(&out)
        );
    }
    // The pre-commit gate reads each staged document it knows nothing of
    // (here every one: it has not run before): the damaged blob stops it.
    let out = run(&dir, &["check", "--staged"]);
    assert_eq!(code(&out), 2, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stderr(&out).contains("aims/policy/ai-policy.md"),
        "{}",
        stderr(&out)
    );
}

/// A repository in a format git has and libgit2 (so aims) cannot read yet:
/// `git init` with `ARGS`, the well-kept fixture committed, or None when
/// this git cannot make one (older than 2.45 for reftable; never under CI).
fn unreadable_format(args: &[&str]) -> Option<tempfile::TempDir> {
    let tmp = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let init = hermetic("git", home.path())
        .current_dir(tmp.path())
        .args(["init", "-q"])
        .args(args)
        .arg(".")
        .output()
        .unwrap();
    if !init.status.success() {
        assert!(
            std::env::var_os("CI").is_none(),
            "git init {args:?} failed under CI: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        eprintln!("skipping {args:?}: this git cannot make such a repository");
        return None;
    }
    copy_dir(&fixture("well-kept"), tmp.path());
    git(tmp.path(), &["add", "-A"]);
    git(tmp.path(), &["commit", "-q", "-m", "aims"]);
    Some(tmp)
}

#[test]
fn a_repository_format_aims_cannot_read_is_named_with_the_way_out() {
    for (args, said, help) in [
        (
            &["--ref-format=reftable"][..],
            "keeps its refs in the reftable format",
            "git refs migrate",
        ),
        (
            &["--object-format=sha256"][..],
            "uses SHA-256 object ids",
            "SHA-1",
        ),
    ] {
        let Some(tmp) = unreadable_format(args) else {
            continue;
        };
        for command in [
            &["status"][..],
            &["check", "--staged"],
            &["log", "aims.toml"],
        ] {
            let out = run(tmp.path(), command);
            let err = stderr(&out);
            assert_eq!(code(&out), 2, "{args:?} {command:?}: {err}");
            // As one line: the terminal's width wraps the diagnostic.
            let err = err.replace('│', " ");
            let err = err.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                err.contains(said) && err.contains(help),
                "{args:?} {command:?}: {err}"
            );
            assert!(!err.contains("panicked"), "{err}");
        }
    }
}
