//! Benchmark, not a test: aims on synthetic repositories against git itself
//! walking the same history. Prints, for each size, every figure the
//! performance contract names (README, "Performance"), as medians and
//! ratios, with peak memory (max RSS, from wait4).
//!
//!     cargo bench --bench status                       # S and L
//!     cargo bench --bench status -- S                  # S only (2,000 documents, 20,000 commits, 1,000 approvals)
//!     cargo bench --bench status -- 500 5000 250       # a custom size: documents, commits, approvals
//!     AIMS_BENCH_DIR=/tmp/b cargo bench --bench status # keep the repositories, e.g. to profile
//!
//! S is 2,000 documents, 20,000 commits and 1,000 SSH-signed approval tags;
//! L is 10,000, 100,000 and 5,000. The repository is made with `git
//! fast-import` (commits) and tag objects signed in process with a
//! throwaway SSH key (the bytes `git tag -s` with `gpg.format=ssh` writes),
//! each a loose ref and a loose object. The pre-commit gate is measured so,
//! and again after `git pack-refs --all` and `git repack -d`, as a clone or
//! `git gc` leaves a repository.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ssh_key::{HashAlg, LineEnding, PrivateKey};

const RUNS: usize = 5;
const DIRS: usize = 20;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let numbers: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let sizes: Vec<(&str, usize, usize, usize)> = if numbers.len() >= 2 {
        vec![(
            "custom",
            numbers[0],
            numbers[1],
            numbers.get(2).copied().unwrap_or(numbers[0] / 2),
        )]
    } else if args.iter().any(|a| a == "S") {
        vec![("S", 2_000, 20_000, 1_000)]
    } else if args.iter().any(|a| a == "L") {
        vec![("L", 10_000, 100_000, 5_000)]
    } else {
        vec![("S", 2_000, 20_000, 1_000), ("L", 10_000, 100_000, 5_000)]
    };
    let mut rows = Vec::new();
    for (name, documents, commits, approvals) in sizes {
        rows.push((
            name,
            bench(name, documents, commits, approvals.min(documents)),
        ));
    }
    println!();
    println!(
        "| figure | {} |",
        rows.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(" | ")
    );
    println!("|---|{}", "---|".repeat(rows.len()));
    let labels = [
        "cold `aims status` ÷ `git log`",
        "warm `aims status` ÷ `git log`",
        "`check --staged`, feature branch (ms, warm)",
        "`check --staged`, protected main (ms, warm)",
        "`pr-comment` ÷ cold status (both cold)",
        "`check` ÷ cold status (both cold)",
        "`audit` ÷ cold status (both cold)",
        "max RSS cold status ÷ git log's",
        "max RSS cold status / git log (MiB)",
        "`check --staged`, feature branch, tags packed (ms, warm)",
        "`check --staged`, protected main, tags packed (ms, warm)",
    ];
    for (i, label) in labels.iter().enumerate() {
        println!(
            "| {label} | {} |",
            rows.iter()
                .map(|(_, r)| r[i].clone())
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
    if rows.len() == 2 {
        let growth = |i: usize| {
            let v = |r: &Vec<String>| r[i].parse::<f64>().unwrap_or(f64::NAN);
            v(&rows[1].1) / v(&rows[0].1)
        };
        println!(
            "| staged gate growth S→L, feature / main | – | {:.2}× / {:.2}× |",
            growth(2),
            growth(3)
        );
        println!(
            "| staged gate growth S→L, tags packed, feature / main | – | {:.2}× / {:.2}× |",
            growth(9),
            growth(10)
        );
    }
}

/// Builds one repository and measures it; returns the table's cells.
fn bench(name: &str, documents: usize, commits: usize, approvals: usize) -> Vec<String> {
    let tmp: Keep = match std::env::var_os("AIMS_BENCH_DIR") {
        Some(dir) => {
            std::fs::create_dir_all(&dir).expect("AIMS_BENCH_DIR");
            let kept = Path::new(&dir).join(name);
            assert!(!kept.exists(), "{} exists already", kept.display());
            std::fs::create_dir(&kept).expect("mkdir");
            Keep::Kept(kept)
        }
        None => Keep::Temp(tempfile::tempdir().expect("temp dir")),
    };
    let repo = tmp.path().join("repo");
    std::fs::create_dir(&repo).expect("mkdir");
    let started = Instant::now();
    let public = keygen(tmp.path());
    git(&repo, &["init", "-q", "-b", "main"]);
    import(&repo, documents, commits, &public);
    git(&repo, &["checkout", "-q", "-f", "main"]);
    let key = PrivateKey::read_openssh_file(&tmp.path().join("key")).expect("read key");
    sign_approvals(&repo, &key, documents, approvals);
    let total_commits = git(&repo, &["rev-list", "--count", "HEAD"]);
    println!(
        "{name}: {documents} documents, {} commits, {approvals} approval tags (+1 for aims.toml), made in {:.1} s",
        total_commits.trim(),
        started.elapsed().as_secs_f64()
    );

    let aims = env!("CARGO_BIN_EXE_aims");
    let aims_cmd = |args: &[&str]| {
        let mut c = Command::new(aims);
        c.current_dir(&repo)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Alice")
            .env("GIT_AUTHOR_EMAIL", "alice@acme.example")
            .args(args);
        c
    };
    // Cold: no cache (a fresh clone, or CI), which the run then writes.
    let cold_cmd = |args: &[&str]| {
        let mut c = Command::new("sh");
        c.current_dir(&repo)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .args(["-c", "rm -rf .git/aims/cache && exec \"$0\" \"$@\"", aims])
            .args(args);
        c
    };
    // Once to check it works and what it says.
    let out = aims_cmd(&["status", "--format", "json", "--no-cache"])
        .output()
        .expect("aims runs");
    assert!(
        out.status.success(),
        "aims status: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let docs = json["documents"].as_array().expect("documents");
    let approved = docs
        .iter()
        .filter(|d| d["version"].as_u64().is_some())
        .count();
    assert_eq!(
        approved,
        approvals + 1,
        "every signed approval counts (and aims.toml)"
    );

    let git_log = || {
        let mut c = Command::new("git");
        c.current_dir(&repo).args([
            "log",
            "--name-only",
            "--format=%H",
            "--",
            ":(glob)aims/**/*.md",
        ]);
        c
    };
    let log = measure(git_log, &[0]);
    let cold = measure(|| cold_cmd(&["status", "--format", "json"]), &[0]);
    aims_cmd(&["status"]).output().expect("warm-up");
    let warm = measure(|| aims_cmd(&["status", "--format", "json"]), &[0]);
    let check = measure(|| cold_cmd(&["check"]), &[0, 1]);
    let audit = measure(|| cold_cmd(&["audit"]), &[0, 1]);
    // The hooks run with the cache as the last command left it.
    aims_cmd(&["status"]).output().expect("warm-up");

    // The pre-commit gate: an approved document changed and staged.
    let path = path_of(0);
    let original = std::fs::read_to_string(repo.join(&path)).expect("document");
    std::fs::write(repo.join(&path), format!("{original}\nA staged change.\n")).expect("edit");
    git(&repo, &["add", &path]);
    let gate_main = measure(|| aims_cmd(&["check", "--staged"]), &[1]);
    git(&repo, &["checkout", "-q", "-b", "feature"]);
    let gate_feature = measure(|| aims_cmd(&["check", "--staged"]), &[0, 1]);
    // The pull request: that change, committed on the branch.
    git(&repo, &["commit", "-q", "-m", "change one record"]);
    let pr = measure(
        || cold_cmd(&["pr-comment", "--base", "main", "--head", "feature"]),
        &[0, 1],
    );
    git(&repo, &["checkout", "-q", "main"]);

    // The same gates with the tags and tag objects packed, as a clone or
    // `git gc` leaves them (above, each of the approvals is a loose ref in
    // a folder of its own and a loose object, as tags made one at a time
    // are until git packs them; listing them is most of the gate's time).
    git(&repo, &["pack-refs", "--all"]);
    git(&repo, &["repack", "-d", "-q"]);
    aims_cmd(&["status"]).output().expect("warm-up");
    std::fs::write(repo.join(&path), format!("{original}\nA staged change.\n")).expect("edit");
    git(&repo, &["add", &path]);
    let packed_main = measure(|| aims_cmd(&["check", "--staged"]), &[1]);
    git(&repo, &["checkout", "-q", "-b", "feature-packed"]);
    let packed_feature = measure(|| aims_cmd(&["check", "--staged"]), &[0, 1]);
    git(&repo, &["checkout", "-q", "main"]);

    let ratio = |a: &Run, b: &Run| format!("{:.2}", a.time.as_secs_f64() / b.time.as_secs_f64());
    let ms = |r: &Run| format!("{:.0}", r.time.as_secs_f64() * 1000.0);
    println!(
        "  git log --name-only       {:>9.1} ms  {:>6.0} MiB",
        log.ms(),
        log.mib()
    );
    for (label, r) in [
        ("aims status (cold)", &cold),
        ("aims status (warm)", &warm),
        ("aims check", &check),
        ("aims audit", &audit),
        ("check --staged (main)", &gate_main),
        ("check --staged (feature)", &gate_feature),
        ("aims pr-comment", &pr),
        ("check --staged (main, packed)", &packed_main),
        ("check --staged (feature, packed)", &packed_feature),
    ] {
        println!("  {label:<25} {:>9.1} ms  {:>6.0} MiB", r.ms(), r.mib());
    }
    vec![
        ratio(&cold, &log),
        ratio(&warm, &log),
        ms(&gate_feature),
        ms(&gate_main),
        ratio(&pr, &cold),
        ratio(&check, &cold),
        ratio(&audit, &cold),
        format!("{:.2}", cold.rss as f64 / log.rss as f64),
        format!("{:.0} / {:.0}", cold.mib(), log.mib()),
        ms(&packed_feature),
        ms(&packed_main),
    ]
}

/// The median time of several runs, and the largest peak memory.
struct Run {
    time: Duration,
    /// Max RSS, bytes.
    rss: u64,
}

impl Run {
    fn ms(&self) -> f64 {
        self.time.as_secs_f64() * 1000.0
    }
    fn mib(&self) -> f64 {
        self.rss as f64 / (1024.0 * 1024.0)
    }
}

/// Runs the command `RUNS` times (after one warm-up), each exit code in
/// `ok`; the median wall time and the largest max RSS.
fn measure(mut make: impl FnMut() -> Command, ok: &[i32]) -> Run {
    // Reaped by wait4 below, which also gives the peak memory.
    #[allow(clippy::zombie_processes)]
    let mut once = || {
        let start = Instant::now();
        let child = make()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("runs");
        let (code, rss) = wait4(child.id());
        let time = start.elapsed();
        assert!(ok.contains(&code), "exit {code}");
        (time, rss)
    };
    once();
    let mut runs: Vec<(Duration, u64)> = (0..RUNS).map(|_| once()).collect();
    let rss = runs.iter().map(|r| r.1).max().unwrap_or(0);
    runs.sort();
    Run {
        time: runs[RUNS / 2].0,
        rss,
    }
}

/// Waits for the child: its exit code and its max RSS in bytes.
fn wait4(pid: u32) -> (i32, u64) {
    let mut status = 0;
    // SAFETY: a zeroed rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(r, pid as libc::pid_t, "wait4");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    // Linux reports kibibytes.
    (code, usage.ru_maxrss as u64 * 1024)
}

enum Keep {
    Temp(tempfile::TempDir),
    Kept(std::path::PathBuf),
}

impl Keep {
    fn path(&self) -> &Path {
        match self {
            Keep::Temp(t) => t.path(),
            Keep::Kept(p) => p,
        }
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Alice")
        .env("GIT_AUTHOR_EMAIL", "alice@acme.example")
        .env("GIT_COMMITTER_NAME", "Alice")
        .env("GIT_COMMITTER_EMAIL", "alice@acme.example")
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn keygen(dir: &Path) -> String {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "dana", "-f"])
        .arg(dir.join("key"))
        .status()
        .expect("ssh-keygen runs");
    assert!(status.success());
    let public = std::fs::read_to_string(dir.join("key.pub")).expect("public key");
    public
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

fn path_of(n: usize) -> String {
    format!("aims/d{:02}/doc-{n:05}.md", n % DIRS)
}

fn document(n: usize, revision: usize) -> String {
    format!(
        "+++\nid = \"REC-{n:05}\"\nkind = \"record\"\ntitle = \"Record {n}\"\nowner = \"alice@acme.example\"\n+++\n# Record {n}\n\nRevision {revision} of a synthetic record.\n"
    )
}

const CONFIG: &str = "[aims]\norganisation = \"Bench\"\nallowed-signers = \".aims/allowed_signers\"\n\
require-distinct-approver = true\n[roles]\ntop-management = [\"dana@acme.example\"]\n\
ai-governance-lead = [\"dana@acme.example\"]\n";

/// Streams the history into `git fast-import`: one commit with the
/// configuration and every document, then one commit per document edit.
fn import(repo: &Path, documents: usize, commits: usize, public: &str) {
    let mut child = Command::new("git")
        .current_dir(repo)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import runs");
    let mut w = std::io::BufWriter::new(child.stdin.take().expect("stdin"));
    let data = |w: &mut dyn Write, text: &str| {
        write!(w, "data {}\n{text}\n", text.len()).expect("write");
    };
    let start: i64 = 1_735_689_600; // 2025-01-01
    writeln!(w, "commit refs/heads/main").unwrap();
    writeln!(w, "author Alice <alice@acme.example> {start} +0000").unwrap();
    writeln!(w, "committer Alice <alice@acme.example> {start} +0000").unwrap();
    data(&mut w, "initial AIMS");
    writeln!(w, "M 100644 inline aims.toml").unwrap();
    data(&mut w, CONFIG);
    writeln!(w, "M 100644 inline .aims/allowed_signers").unwrap();
    data(&mut w, &format!("dana@acme.example {public}\n"));
    for n in 0..documents {
        writeln!(w, "M 100644 inline {}", path_of(n)).unwrap();
        data(&mut w, &document(n, 0));
    }
    let authors = ["alice", "bob", "carol"];
    for c in 1..commits {
        let n = (c * 7919) % documents;
        let who = authors[c % authors.len()];
        let t = start + c as i64 * 600;
        writeln!(w, "commit refs/heads/main").unwrap();
        writeln!(w, "author {who} <{who}@acme.example> {t} +0000").unwrap();
        writeln!(w, "committer {who} <{who}@acme.example> {t} +0000").unwrap();
        data(&mut w, &format!("edit record {n}"));
        writeln!(w, "M 100644 inline {}", path_of(n)).unwrap();
        data(&mut w, &document(n, c));
    }
    drop(w);
    assert!(child.wait().expect("fast-import").success());
}

/// Signs approval tags for aims.toml and the first `count` documents at
/// HEAD, exactly as `git tag -s` with an SSH key would write them.
fn sign_approvals(repo_path: &Path, key: &PrivateKey, documents: usize, count: usize) {
    let repo = git2::Repository::open(repo_path).expect("open");
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    let tree = head.tree().unwrap();
    let odb = repo.odb().unwrap();
    let time = head.time().seconds() + 3_600;
    let mut items = vec![(
        "aims.toml".to_owned(),
        "aims.toml".to_owned(),
        "top-management",
    )];
    items.extend(
        (0..documents)
            .take(count)
            .map(|n| (format!("REC-{n:05}"), path_of(n), "ai-governance-lead")),
    );
    for (i, (id, path, role)) in items.iter().enumerate() {
        let blob = tree.get_path(Path::new(path)).unwrap().id();
        let name = format!("aims/{}/v1", id.to_lowercase());
        let payload = format!(
            "object {}\ntype commit\ntag {name}\ntagger Dana <dana@acme.example> {} +0000\n\n\
             Approve {id}\n\nAims-Document: {id}\nAims-Path: {path}\nAims-Blob: {blob}\n\
             Aims-Role: {role}\nAims-Decision: approved\n",
            head.id(),
            time + i as i64
        );
        let sig =
            ssh_key::SshSig::sign(key, "git", HashAlg::Sha512, payload.as_bytes()).expect("sign");
        let armored = sig.to_pem(LineEnding::LF).expect("armor");
        let object = format!("{payload}{armored}");
        let oid = odb
            .write(git2::ObjectType::Tag, object.as_bytes())
            .expect("write tag");
        repo.reference(&format!("refs/tags/{name}"), oid, false, "bench")
            .expect("ref");
    }
}
