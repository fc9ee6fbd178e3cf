//! Other repositories the AIMS reads: a product repository's upstream
//! (the central AIMS), and the central AIMS's `[[source]]` product
//! repositories.
//!
//! Each is fetched with the system's git, so the user's own credentials,
//! credential helpers, SSH agent and `url.*.insteadOf` apply and aims holds
//! no tokens. Each goes into a bare repository of its own under the
//! repository's `.git/aims/` (never into the repository's own refs, so a
//! product repository's tags cannot pass for the AIMS's approvals):
//!
//! - `.git/aims/upstream.git` in a product repository;
//! - `.git/aims/sources/NAME.git` in the central AIMS.
//!
//! The fetched commit is `refs/aims/snapshot` there; the approval tags
//! (`refs/tags/aims/*`) come along. `remote` beside it records which
//! repository and ref the snapshot is of, so a changed `[upstream]` or
//! `[[source]]` is never answered from the old one's cache.
//!
//! Commands that read these snapshots fetch first, unless `--offline`
//! (`AIMS_OFFLINE=1`) or they are a hook (the hooks read only the cache).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use git2::{Oid, Repository};

use crate::config::Remote;

/// The ref each cache's snapshot is fetched into.
pub const SNAPSHOT_REF: &str = "refs/aims/snapshot";

/// Whether commands should use only what is cached.
pub fn offline() -> bool {
    std::env::var_os("AIMS_OFFLINE").is_some_and(|v| !v.is_empty() && v != "0")
}

/// The folder of aims's caches in `repo` (shared by its worktrees).
pub fn aims_dir(repo: &Repository) -> PathBuf {
    repo.commondir().join("aims")
}

/// Where a product repository keeps its upstream.
pub fn upstream_dir(repo: &Repository) -> PathBuf {
    aims_dir(repo).join("upstream.git")
}

/// Where the central AIMS keeps a source.
pub fn source_dir(repo: &Repository, name: &str) -> PathBuf {
    aims_dir(repo).join("sources").join(format!("{name}.git"))
}

/// One repository to fetch.
#[derive(Clone, Debug)]
pub struct Job {
    /// The source's name, or `upstream`.
    pub name: String,
    pub remote: Remote,
    /// The cache (a bare repository).
    pub dir: PathBuf,
}

/// A cached snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub commit: Oid,
    /// When it was fetched (Unix seconds).
    pub fetched: i64,
}

/// What fetching one repository came to.
#[derive(Debug)]
pub struct Fetched {
    pub job: Job,
    /// The snapshot now cached (fresh, or the older one when the fetch failed).
    pub snapshot: Option<Snapshot>,
    /// Why the fetch failed, if it did.
    pub error: Option<String>,
    pub seconds: f64,
}

/// A remote's repository as git is to be given it: URLs as written, a
/// path relative to the directory of aims.toml made absolute.
pub fn location(root: &Path, repository: &str) -> String {
    if is_url(repository) {
        repository.to_owned()
    } else {
        let path = Path::new(repository);
        if path.is_absolute() {
            repository.to_owned()
        } else {
            root.join(path).to_string_lossy().into_owned()
        }
    }
}

/// `scheme://…` or scp-like `host:path` (a colon before any slash).
fn is_url(s: &str) -> bool {
    if s.contains("://") {
        return true;
    }
    match (s.find(':'), s.find('/')) {
        (Some(colon), Some(slash)) => colon < slash && colon > 1,
        (Some(colon), None) => colon > 1,
        _ => false,
    }
}

/// The snapshot cached in `dir` for exactly `remote`; `Ok(None)` when there
/// is none (or it is of another repository or ref).
pub fn cached(root: &Path, job: &Job) -> Result<Option<Snapshot>, String> {
    let Ok(recorded) = std::fs::read_to_string(job.dir.join("aims-remote")) else {
        return Ok(None);
    };
    let mut lines = recorded.lines();
    let (Some(repository), Some(reference), fetched) = (lines.next(), lines.next(), lines.next())
    else {
        return Ok(None);
    };
    if repository != location(root, &job.remote.repository) || reference != job.remote.reference {
        return Ok(None);
    }
    let repo = Repository::open_bare(&job.dir).map_err(|e| {
        format!(
            "cannot open the cache {}: {}",
            job.dir.display(),
            e.message()
        )
    })?;
    let commit = match repo.refname_to_id(SNAPSHOT_REF) {
        Ok(id) => id,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "cannot read the cache {}: {}",
                job.dir.display(),
                e.message()
            ));
        }
    };
    let fetched = fetched.and_then(|t| t.parse().ok()).unwrap_or(0);
    Ok(Some(Snapshot { commit, fetched }))
}

/// Fetches one repository into its cache with the system's git.
pub fn fetch(root: &Path, job: &Job) -> Result<Snapshot, String> {
    let location = location(root, &job.remote.repository);
    if !job.dir.join("HEAD").is_file() {
        std::fs::create_dir_all(&job.dir)
            .map_err(|e| format!("cannot create {}: {e}", job.dir.display()))?;
        git(&job.dir, &["init", "--bare", "--quiet", "."])?;
    }
    // Fetched into a namespace of their own, and put in place only once
    // git succeeded: a failed fetch leaves the cached snapshot and its
    // approval tags exactly as they were. The tags are replaced whole, so a
    // tag deleted upstream does not live on here.
    let cache = Repository::open_bare(&job.dir).map_err(|e| cache_error(&job.dir, e))?;
    delete_refs(&cache, &format!("{INCOMING}/*")).map_err(|e| cache_error(&job.dir, e))?;
    let refspec = format!("+{}:{INCOMING}/snapshot", job.remote.reference);
    let result = git(
        &job.dir,
        &[
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--",
            &location,
            &refspec,
            &format!("+refs/tags/aims/*:{INCOMING}/tags/*"),
        ],
    );
    if let Err(e) = &result {
        // Kept for --offline runs, which would otherwise only know that
        // nothing is cached.
        let _ = std::fs::write(job.dir.join("aims-last-error"), e);
    }
    result?;
    promote(&cache).map_err(|e| cache_error(&job.dir, e))?;
    let _ = std::fs::remove_file(job.dir.join("aims-last-error"));
    let now = crate::control::now();
    let record = format!("{location}\n{}\n{now}\n", job.remote.reference);
    let tmp = job.dir.join("aims-remote.tmp");
    std::fs::write(&tmp, record)
        .and_then(|()| std::fs::rename(&tmp, job.dir.join("aims-remote")))
        .map_err(|e| format!("cannot write to {}: {e}", job.dir.display()))?;
    match cached(root, job)? {
        Some(s) => Ok(s),
        None => Err(format!(
            "git fetched {} but no commit is at {SNAPSHOT_REF}",
            job.remote.reference
        )),
    }
}

/// Where a fetch lands before it is put in place.
const INCOMING: &str = "refs/aims/incoming";

/// Puts a successful fetch in place: the snapshot, and the approval tags
/// (replacing every earlier one).
fn promote(repo: &Repository) -> Result<(), git2::Error> {
    let snapshot = repo.refname_to_id(&format!("{INCOMING}/snapshot"))?;
    let tags: Vec<(String, Oid)> = refs(repo, &format!("{INCOMING}/tags/*"))?
        .into_iter()
        .filter_map(|(name, id)| {
            let rest = name.strip_prefix(&format!("{INCOMING}/tags/"))?;
            Some((format!("refs/tags/aims/{rest}"), id))
        })
        .collect();
    delete_refs(repo, "refs/tags/aims/*")?;
    for (name, id) in tags {
        repo.reference(&name, id, true, "aims sync")?;
    }
    repo.reference(SNAPSHOT_REF, snapshot, true, "aims sync")?;
    delete_refs(repo, &format!("{INCOMING}/*"))
}

fn cache_error(dir: &Path, e: git2::Error) -> String {
    format!("cannot update the cache {}: {}", dir.display(), e.message())
}

/// The refs matching `glob`, with their targets.
fn refs(repo: &Repository, glob: &str) -> Result<Vec<(String, Oid)>, git2::Error> {
    let mut out = Vec::new();
    for r in repo.references_glob(glob)? {
        let r = r?;
        if let (Ok(name), Some(id)) = (r.name(), r.target()) {
            out.push((name.to_owned(), id));
        }
    }
    Ok(out)
}

fn delete_refs(repo: &Repository, glob: &str) -> Result<(), git2::Error> {
    for (name, _) in refs(repo, glob)? {
        repo.find_reference(&name)?.delete()?;
    }
    Ok(())
}

/// Why the last fetch into `dir` failed, if it did.
pub fn last_error(dir: &Path) -> Option<String> {
    std::fs::read_to_string(dir.join("aims-last-error"))
        .ok()
        .filter(|e| !e.trim().is_empty())
}

/// How long one git command here may run (`AIMS_FETCH_TIMEOUT`, seconds;
/// `0` for no limit): a stalled network or a remote that never answers
/// would otherwise hold a CI job until its own limit, hours later.
fn fetch_timeout() -> Result<Option<Duration>, String> {
    const DEFAULT: u64 = 600;
    let seconds = match std::env::var("AIMS_FETCH_TIMEOUT") {
        Err(_) => DEFAULT,
        Ok(v) => v.trim().parse::<u64>().map_err(|_| {
            format!("AIMS_FETCH_TIMEOUT is `{v}`: give a whole number of seconds (0 for no limit)")
        })?,
    };
    Ok((seconds > 0).then(|| Duration::from_secs(seconds)))
}

/// Runs git in `dir` with its own prompt off, stopped (with whatever it
/// started: ssh, a remote helper) after [`fetch_timeout`]; its last error
/// lines on failure.
fn git(dir: &Path, args: &[&str]) -> Result<(), String> {
    let limit = fetch_timeout()?;
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // A group of its own, so that stopping it stops what it started (and
    // a signal aims gets is passed on to it: see `groups`); not with a
    // terminal, where ssh may ask for a passphrase or a host key on it (a
    // group other than the terminal's foreground one would be stopped
    // reading it), and stopping git alone has to do.
    #[cfg(unix)]
    let own_group = std::fs::File::open("/dev/tty").is_err();
    #[cfg(unix)]
    if own_group {
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    }
    let mut child = cmd.spawn().map_err(|e| format!("cannot run git: {e}"))?;
    #[cfg(unix)]
    let _registered = own_group.then(|| groups::Registered::new(child.id() as i32));
    // Git's error output, read as it comes: what it wrote is there even if
    // something it started still holds the pipe open after it ended.
    let text = std::sync::Arc::new(Mutex::new(Vec::new()));
    let (ended, at_end) = std::sync::mpsc::channel::<()>();
    {
        let mut stderr = child.stderr.take().expect("piped");
        let text = std::sync::Arc::clone(&text);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = std::io::Read::read(&mut stderr, &mut chunk) {
                if n == 0 {
                    break;
                }
                if let Ok(mut t) = text.lock() {
                    t.extend_from_slice(&chunk[..n]);
                }
            }
            let _ = ended.send(());
        });
    }
    let stop = |child: &mut std::process::Child| {
        #[cfg(unix)]
        if own_group {
            groups::kill(child.id() as i32);
        }
        let _ = child.kill();
        let _ = child.wait();
    };
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => {
                stop(&mut child);
                return Err(format!("cannot wait for git: {e}"));
            }
        }
        if let Some(limit) = limit.filter(|l| start.elapsed() >= *l) {
            stop(&mut child);
            return Err(format!(
                "git {} gave no answer in {} s and was stopped \
                 (AIMS_FETCH_TIMEOUT sets the limit, in seconds)",
                args[0],
                limit.as_secs()
            ));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    };
    if status.success() {
        return Ok(());
    }
    // Its last lines, once the pipe ends, or after a second if something
    // git started keeps it open.
    let _ = at_end.recv_timeout(Duration::from_secs(1));
    let stderr = text.lock().map(|t| t.clone()).unwrap_or_default();
    let stderr = String::from_utf8_lossy(&stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(3)..].join(" / ");
    Err(if tail.is_empty() {
        format!("git {} failed ({status})", args[0])
    } else {
        tail
    })
}

/// The process groups of the git commands running in groups of their own.
/// A signal that ends aims (interrupt, termination, hang-up) sent to aims's
/// group would not reach them: it is passed on to each, then ends aims as
/// it would have.
#[cfg(unix)]
mod groups {
    use std::sync::atomic::{AtomicI32, Ordering};

    /// Slots for the groups running at once (by default fetches run at most
    /// 16 at a time); a group that finds none gets no signal passed on.
    static LIVE: [AtomicI32; 64] = [const { AtomicI32::new(0) }; 64];
    static HANDLED: std::sync::Once = std::sync::Once::new();

    extern "C" fn pass_on(signal: libc::c_int) {
        for slot in &LIVE {
            let group = slot.load(Ordering::SeqCst);
            if group > 0 {
                // SAFETY: kill, signal and raise are async-signal-safe.
                unsafe {
                    libc::kill(-group, signal);
                }
            }
        }
        // SAFETY: as above; the default action ends the process.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
        }
    }

    /// Passes the ending signals on, where nothing else handles or ignores
    /// them (under `nohup`, a hang-up stays ignored).
    fn handle() {
        HANDLED.call_once(|| {
            for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                // SAFETY: a zeroed sigaction is valid; the handler only
                // calls async-signal-safe functions.
                unsafe {
                    let mut old: libc::sigaction = std::mem::zeroed();
                    if libc::sigaction(signal, std::ptr::null(), &mut old) != 0
                        || old.sa_sigaction != libc::SIG_DFL
                    {
                        continue;
                    }
                    let mut new: libc::sigaction = std::mem::zeroed();
                    new.sa_sigaction = pass_on as extern "C" fn(libc::c_int) as usize;
                    libc::sigemptyset(&mut new.sa_mask);
                    libc::sigaction(signal, &new, std::ptr::null_mut());
                }
            }
        });
    }

    /// A group registered while its git runs.
    pub struct Registered(Option<usize>);

    impl Registered {
        pub fn new(group: i32) -> Registered {
            handle();
            Registered(LIVE.iter().position(|s| {
                s.compare_exchange(0, group, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
            }))
        }
    }

    impl Drop for Registered {
        fn drop(&mut self) {
            if let Some(slot) = self.0 {
                LIVE[slot].store(0, Ordering::SeqCst);
            }
        }
    }

    /// Stops a group (its leader not yet waited for, so the id is still
    /// the group's).
    pub fn kill(group: i32) {
        if let Some(pid) = rustix::process::Pid::from_raw(group) {
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        }
    }
}

/// Fetches every job, `jobs` at a time, and returns the outcomes in the
/// jobs' order. With `progress`, a line on standard error counts them.
pub fn fetch_all(root: &Path, jobs: &[Job], parallel: usize, progress: bool) -> Vec<Fetched> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Fetched>>> = Mutex::new((0..jobs.len()).map(|_| None).collect());
    let show = progress && std::io::stderr().is_terminal();
    let workers = parallel.clamp(1, jobs.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(job) = jobs.get(i) else { break };
                    let started = Instant::now();
                    let (snapshot, error) = match fetch(root, job) {
                        Ok(s) => (Some(s), None),
                        Err(e) => (cached(root, job).ok().flatten(), Some(e)),
                    };
                    let fetched = Fetched {
                        job: job.clone(),
                        snapshot,
                        error,
                        seconds: started.elapsed().as_secs_f64(),
                    };
                    let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                    if show {
                        let mut err = std::io::stderr().lock();
                        let mark = if fetched.error.is_some() {
                            "failed"
                        } else {
                            "ok"
                        };
                        let _ = write!(
                            err,
                            "\r\x1b[2Kaims: sync {n}/{} ({} {mark})",
                            jobs.len(),
                            crate::safe::terminal(&job.name)
                        );
                        let _ = err.flush();
                    }
                    results.lock().expect("no thread panics holding it")[i] = Some(fetched);
                }
            });
        }
    });
    if show {
        eprint!("\r\x1b[2K");
    }
    results
        .into_inner()
        .expect("no thread panicked")
        .into_iter()
        .map(|r| r.expect("every job ran"))
        .collect()
}

/// How many fetches run at once by default.
pub fn default_parallel() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get() * 4)
        .unwrap_or(8)
        .clamp(4, 16)
}
