//! Benchmark, not a test: `aims status` on a synthetic repository against
//! git itself walking the same history.
//!
//!     cargo bench --bench status                  # 2,000 documents, 20,000 commits, 1,000 approvals
//!     cargo bench --bench status -- 500 5000 250  # smaller: documents, commits, approvals
//!     AIMS_BENCH_DIR=/tmp/b cargo bench --bench status   # keep the repository, e.g. to profile
//!
//! The repository is made with `git fast-import` (commits) and written tag
//! objects signed in process with a throwaway SSH key (the same bytes
//! `git tag -s` with `gpg.format=ssh` writes). It reports the median of
//! several runs of `aims status --format json` and of
//! `git log --name-only --format=%H -- <document globs>`, and their ratio.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ssh_key::{HashAlg, LineEnding, PrivateKey};

const RUNS: usize = 5;
const DIRS: usize = 20;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let documents = args.first().copied().unwrap_or(2_000);
    let commits = args.get(1).copied().unwrap_or(20_000);
    let approvals = args.get(2).copied().unwrap_or(1_000).min(documents);

    // AIMS_BENCH_DIR keeps the repository (for profiling); it must not exist yet.
    let tmp = match std::env::var_os("AIMS_BENCH_DIR") {
        Some(dir) => {
            std::fs::create_dir(&dir).expect("AIMS_BENCH_DIR must be a new directory");
            tempfile::TempDir::with_prefix_in("bench", &dir)
                .expect("temp dir")
                .keep()
                .into()
        }
        None => Keep::Temp(tempfile::tempdir().expect("temp dir")),
    };
    let tmp = &tmp;
    let repo = tmp.path().join("repo");
    std::fs::create_dir(&repo).expect("mkdir");
    let started = Instant::now();
    let public = keygen(tmp.path());
    git(&repo, &["init", "-q", "-b", "main"]);
    import(&repo, documents, commits, &public);
    git(&repo, &["checkout", "-q", "-f", "main"]);
    let key = PrivateKey::read_openssh_file(&tmp.path().join("key")).expect("read key");
    sign_approvals(&repo, &key, documents, approvals);
    let made = started.elapsed();
    let total_commits = git(&repo, &["rev-list", "--count", "HEAD"]);
    println!(
        "synthetic repository: {documents} documents, {} commits, {} approval tags (+1 for aims.toml), made in {:.1} s",
        total_commits.trim(),
        approvals,
        made.as_secs_f64()
    );

    let aims = env!("CARGO_BIN_EXE_aims");
    // Once to check it works and what it says.
    let out = Command::new(aims)
        .current_dir(&repo)
        .args(["status", "--format", "json"])
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("aims runs");
    assert!(
        out.status.success(),
        "aims status failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let docs = json["documents"].as_array().expect("documents");
    let approved = docs
        .iter()
        .filter(|d| d["version"].as_u64().is_some())
        .count();
    println!(
        "aims status: {} rows, {approved} with an approved version",
        docs.len()
    );
    assert_eq!(
        approved,
        approvals + 1,
        "every signed approval counts (and aims.toml)"
    );

    let status = median(|| {
        run(Command::new(aims)
            .current_dir(&repo)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .args(["status", "--format", "json"]))
    });
    let log = median(|| {
        run(Command::new("git").current_dir(&repo).args([
            "log",
            "--name-only",
            "--format=%H",
            "--",
            ":(glob)aims/**/*.md",
        ]))
    });
    println!(
        "aims status --format json: {:>8.1} ms (median of {RUNS})",
        ms(status)
    );
    println!(
        "git log --name-only:       {:>8.1} ms (median of {RUNS})",
        ms(log)
    );
    println!(
        "ratio aims status / git log: {:.2}",
        status.as_secs_f64() / log.as_secs_f64()
    );
}

enum Keep {
    Temp(tempfile::TempDir),
    Kept(std::path::PathBuf),
}

impl From<std::path::PathBuf> for Keep {
    fn from(p: std::path::PathBuf) -> Keep {
        Keep::Kept(p)
    }
}

impl Keep {
    fn path(&self) -> &Path {
        match self {
            Keep::Temp(t) => t.path(),
            Keep::Kept(p) => p,
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut f: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS).map(|_| f()).collect();
    times.sort();
    times[RUNS / 2]
}

fn run(cmd: &mut Command) -> Duration {
    let start = Instant::now();
    let out = cmd.stdout(Stdio::null()).status().expect("runs");
    assert!(out.success());
    start.elapsed()
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
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
