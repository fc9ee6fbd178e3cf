//! A warm cache of the revision walk, under `.git/aims/cache/`.
//!
//! What it holds is derived from immutable objects only: the revisions the
//! walk finds from a commit (every document's, the trust files', the
//! sign-off trailers) and the first-parent commits where the trust files
//! changed. Each entry is keyed by that commit's id and by a fingerprint of
//! what decides the walk (aims's version, the cache format, the document
//! globs, the trust file paths), so no change to the working tree, a ref or
//! aims.toml can make an entry answer for something else: a new commit is
//! a new key, and another configuration another fingerprint.
//!
//! - **Hit**: the commit asked for is cached.
//! - **Extension**: a cached commit is reached from the one asked for
//!   through single-parent commits (the everyday case: commits on top of a
//!   branch). Only those commits are walked, appended to the cached result,
//!   which is exactly what a full walk gives, since a full walk meets the
//!   cached commit's history first and then that chain, in that order.
//!   Anything else (a merge since, a branch elsewhere) walks everything.
//! - A file that cannot be read or parsed is ignored and rewritten;
//!   writing is atomic and its failure (a read-only repository) only costs
//!   the next run its speed.
//!
//! Signature verdicts are remembered too ([`Verdicts`]), each under the
//! SHA-256 of everything the verdict is a function of: the signed bytes, the
//! signature, the principal, the time, and the trust root it was judged by
//! (every allowed-signers line as parsed, the keyring's bytes). A changed
//! tag, a moved one, a new key or a revoked one is another key, judged
//! afresh. What the verdict means (the role, the configuration in force,
//! revocations, seals) is decided each run by the register, never cached.
//!
//! The cache is as trusted as the `.git` folder it lives in (whoever can
//! write there can rewrite refs and objects too). CI starts from a fresh
//! clone without it, and nothing of aims's restores it there.
//!
//! `--no-cache` (or `AIMS_NO_CACHE=1`) neither reads nor writes the cache.

use std::path::{Path, PathBuf};

use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::approvals::TrustRoot;
use super::revisions::Revisions;
use super::signature::{Rejection, SignatureKind, Verified};
use crate::config::Config;

/// Bumped when what is stored changes meaning.
const FORMAT: u32 = 1;
/// Entries kept per fingerprint (a branch and its base, a few branches).
const KEEP: usize = 4;
/// Commits followed back from the one asked for to find a cached one.
const REACH: usize = 2_000;

/// Whether the cache is used (`--no-cache` / `AIMS_NO_CACHE` turn it off).
pub fn enabled() -> bool {
    std::env::var_os("AIMS_NO_CACHE").is_none_or(|v| v.is_empty() || v == "0")
}

#[derive(Serialize, Deserialize)]
struct Stored {
    format: u32,
    tool: String,
    fingerprint: String,
    head: String,
    revisions: Revisions,
    /// First-parent commits where the trust files changed, oldest first.
    trust_points: Vec<String>,
}

/// What the cache knows for a walk from `head`.
pub struct Found {
    pub revisions: Revisions,
    /// Where the trust files may have changed: the cached points, and the
    /// commits walked since.
    pub trust_points: Vec<Oid>,
    /// The cached commit (a hit when it is `head`), and the commits after it
    /// to walk, oldest first.
    pub base: Oid,
    pub since: Vec<Oid>,
}

/// The fingerprint of what decides a walk besides the commit.
pub fn fingerprint(config: &Config, files: &[&str]) -> String {
    fingerprint_of(&config.documents, &config.prds, files)
}

/// The fingerprint of a walk for the trust files alone (no document
/// globs): the pre-commit gate's search for the configuration in force.
pub fn trust_fingerprint(files: &[&str]) -> String {
    fingerprint_of(&[], &[], files)
}

fn fingerprint_of(documents: &[String], prds: &[String], files: &[&str]) -> String {
    let mut h = Sha256::new();
    let mut part = |s: &str| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    part(&FORMAT.to_string());
    part(env!("CARGO_PKG_VERSION"));
    for list in [documents, prds] {
        part(&list.len().to_string());
        for g in list {
            part(g);
        }
    }
    part(&files.len().to_string());
    for f in files {
        part(f);
    }
    super::hex(&h.finalize()[..12])
}

fn dir(repo: &Repository) -> PathBuf {
    repo.path().join("aims").join("cache")
}

/// What an entry holds: a full walk, or only the trust files' part of one
/// (what the pre-commit gate needs to find the configuration in force, a
/// small file where the full walk of a large AIMS is tens of megabytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Full,
    Trust,
}

impl Scope {
    fn prefix(self) -> &'static str {
        match self {
            Scope::Full => "walk",
            Scope::Trust => "trust",
        }
    }
}

fn file(repo: &Repository, scope: Scope, fingerprint: &str, head: Oid) -> PathBuf {
    dir(repo).join(format!("{}-{fingerprint}-{head}.json", scope.prefix()))
}

/// The cached entries for `fingerprint`, newest first.
fn entries(repo: &Repository, scope: Scope, fingerprint: &str) -> Vec<(Oid, PathBuf)> {
    let prefix = format!("{}-{fingerprint}-", scope.prefix());
    let Ok(list) = std::fs::read_dir(dir(repo)) else {
        return Vec::new();
    };
    let mut out: Vec<(std::time::SystemTime, Oid, PathBuf)> = list
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let id = name.strip_prefix(&prefix)?.strip_suffix(".json")?;
            let oid = Oid::from_str(id).ok()?;
            let time = e.metadata().and_then(|m| m.modified()).ok()?;
            Some((time, oid, e.path()))
        })
        .collect();
    out.sort_by_key(|e| std::cmp::Reverse(e.0));
    out.into_iter().map(|(_, o, p)| (o, p)).collect()
}

fn read(path: &Path, fingerprint: &str, head: Oid) -> Option<Stored> {
    let bytes = std::fs::read(path).ok()?;
    let s: Stored = serde_json::from_slice(&bytes).ok()?;
    (s.format == FORMAT
        && s.tool == env!("CARGO_PKG_VERSION")
        && s.fingerprint == fingerprint
        && s.head == head.to_string())
    .then_some(s)
}

/// The commits from `head` back to one of `cached` through single-parent
/// commits, oldest first, with the cached one reached; None when a merge
/// or the root comes first, or it is too far.
fn chain_to(repo: &Repository, head: Oid, cached: &[Oid]) -> Option<(Oid, Vec<Oid>)> {
    let mut since = Vec::new();
    let mut at = head;
    for _ in 0..REACH {
        if cached.contains(&at) {
            since.reverse();
            return Some((at, since));
        }
        let commit = repo.find_commit(at).ok()?;
        if commit.parent_count() != 1 {
            return None;
        }
        since.push(at);
        at = commit.parent_id(0).ok()?;
    }
    None
}

/// What the cache holds for a walk from `head`: a hit, or an extension.
pub fn lookup(repo: &Repository, scope: Scope, fingerprint: &str, head: Oid) -> Option<Found> {
    if !enabled() {
        return None;
    }
    let entries = entries(repo, scope, fingerprint);
    let heads: Vec<Oid> = entries.iter().map(|(o, _)| *o).collect();
    let (base, since) = chain_to(repo, head, &heads)?;
    let path = &entries.iter().find(|(o, _)| *o == base)?.1;
    let stored = read(path, fingerprint, base)?;
    let mut trust_points: Vec<Oid> = stored
        .trust_points
        .iter()
        .filter_map(|c| Oid::from_str(c).ok())
        .collect();
    trust_points.extend(&since);
    Some(Found {
        revisions: stored.revisions,
        trust_points,
        base,
        since,
    })
}

/// Stores the walk from `head`, and drops the oldest entries beyond the
/// few kept. Failures are ignored: the cache only saves time.
pub fn store(
    repo: &Repository,
    scope: Scope,
    fingerprint: &str,
    head: Oid,
    revisions: &Revisions,
    trust_points: &[Oid],
) {
    if !enabled() {
        return;
    }
    let stored = StoredRef {
        format: FORMAT,
        tool: env!("CARGO_PKG_VERSION"),
        fingerprint,
        head: head.to_string(),
        revisions,
        trust_points: trust_points.iter().map(Oid::to_string).collect(),
    };
    let dir = dir(repo);
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(&dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
        serde_json::to_writer(std::io::BufWriter::new(tmp.as_file_mut()), &stored)
            .map_err(std::io::Error::other)?;
        tmp.persist(file(repo, scope, fingerprint, head))
            .map_err(|e| e.error)?;
        Ok(())
    };
    if write().is_err() {
        return;
    }
    for (_, path) in entries(repo, scope, fingerprint).into_iter().skip(KEEP) {
        let _ = std::fs::remove_file(path);
    }
}

/// The trust files' part of a full walk from `head` (their revisions, the
/// commit count, the roots): what a walk with no document globs finds,
/// stored under [`trust_fingerprint`].
pub fn store_trust_part(
    repo: &Repository,
    files: &[&str],
    head: Oid,
    revisions: &Revisions,
    trust_points: &[Oid],
) {
    let part = Revisions {
        by_id: Default::default(),
        files: revisions.files.clone(),
        signoffs: Vec::new(),
        commits: revisions.commits,
        roots_with_config: revisions.roots_with_config,
    };
    let fingerprint = trust_fingerprint(files);
    store(repo, Scope::Trust, &fingerprint, head, &part, trust_points);
}

/// [`Stored`], borrowed for writing.
#[derive(Serialize)]
struct StoredRef<'a> {
    format: u32,
    tool: &'static str,
    fingerprint: &'a str,
    head: String,
    revisions: &'a Revisions,
    trust_points: Vec<String>,
}

/// A map kept in one file of the cache, loaded once per process and
/// written back (atomically) when something was added.
struct Memo<V> {
    path: PathBuf,
    file: MemoFile<V>,
    changed: bool,
}

#[derive(Serialize, Deserialize)]
struct MemoFile<V> {
    format: u32,
    tool: String,
    entries: std::collections::HashMap<String, V>,
}

impl<V: Serialize + serde::de::DeserializeOwned + Clone> Memo<V> {
    /// Loads `name` from `repo`'s cache into `slot`, once.
    fn open(slot: &std::sync::Mutex<Option<Memo<V>>>, repo: &Repository, name: &str) {
        if !enabled() {
            return;
        }
        let Ok(mut state) = slot.lock() else { return };
        if state.is_some() {
            return;
        }
        let path = dir(repo).join(name);
        let entries = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<MemoFile<V>>(&b).ok())
            .filter(|f| f.format == FORMAT && f.tool == env!("CARGO_PKG_VERSION"))
            .map(|f| f.entries)
            .unwrap_or_default();
        *state = Some(Memo {
            path,
            file: MemoFile {
                format: FORMAT,
                tool: env!("CARGO_PKG_VERSION").to_owned(),
                entries,
            },
            changed: false,
        });
    }

    fn get(slot: &std::sync::Mutex<Option<Memo<V>>>, key: &str) -> Option<V> {
        let state = slot.lock().ok()?;
        state.as_ref()?.file.entries.get(key).cloned()
    }

    fn put(slot: &std::sync::Mutex<Option<Memo<V>>>, key: &str, value: V) {
        if let Ok(mut state) = slot.lock()
            && let Some(m) = state.as_mut()
            && !m.file.entries.contains_key(key)
        {
            m.file.entries.insert(key.to_owned(), value);
            m.changed = true;
        }
    }

    /// Failures are ignored: the cache only saves time.
    fn save(slot: &std::sync::Mutex<Option<Memo<V>>>) {
        let Ok(mut state) = slot.lock() else { return };
        let Some(m) = state.as_mut() else { return };
        if !m.changed {
            return;
        }
        let write = || -> std::io::Result<()> {
            let dir = m.path.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir)?;
            let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
            serde_json::to_writer(std::io::BufWriter::new(tmp.as_file_mut()), &m.file)
                .map_err(std::io::Error::other)?;
            tmp.persist(&m.path).map_err(|e| e.error)?;
            Ok(())
        };
        if write().is_ok() {
            m.changed = false;
        }
    }
}

/// Remembered signature verdicts (`.git/aims/cache/verdicts.json`):
/// [`Verdicts::open`] when the register is built, [`Verdicts::save`] once
/// it is.
pub struct Verdicts;

type Verdict = Result<Verified, Rejection>;

static VERDICTS: std::sync::Mutex<Option<Memo<Verdict>>> = std::sync::Mutex::new(None);

impl Verdicts {
    pub fn open(repo: &Repository) {
        Memo::open(&VERDICTS, repo, "verdicts.json");
    }

    /// The key of a verification: None when the cache is off (or not open).
    pub fn key(
        payload: &[u8],
        signature: Option<(SignatureKind, &[u8])>,
        trust: &TrustRoot,
        principal: &str,
        time: i64,
    ) -> Option<String> {
        if !enabled() || VERDICTS.lock().ok()?.is_none() {
            return None;
        }
        let mut h = Sha256::new();
        let mut part = |b: &[u8]| {
            h.update((b.len() as u64).to_le_bytes());
            h.update(b);
        };
        part(payload);
        match signature {
            None => part(b"unsigned"),
            Some((kind, armored)) => {
                part(format!("{kind:?}").as_bytes());
                part(armored);
            }
        }
        part(principal.as_bytes());
        part(&time.to_le_bytes());
        for s in &trust.signers {
            part(format!("{s:?}").as_bytes());
        }
        match &trust.keyring {
            // The keyring's bytes, not its (temporary) path.
            Some(k) => part(&std::fs::read(k).ok()?),
            None => part(b"no keyring"),
        }
        Some(super::hex(&h.finalize()))
    }

    pub fn get(key: &str) -> Option<Verdict> {
        Memo::get(&VERDICTS, key)
    }

    pub fn put(key: String, verdict: &Verdict) {
        // A missing verifier is the machine's state, not the signature's.
        if !matches!(verdict, Err(Rejection::VerifierMissing)) {
            Memo::put(&VERDICTS, &key, verdict.clone());
        }
    }

    pub fn save() {
        Memo::save(&VERDICTS);
    }
}

/// What each tag object claims (the document, or a seal), by object id:
/// immutable, so the gate can pass over tags for other documents without
/// reading them (`.git/aims/cache/claims.json`).
pub struct Claims;

/// (The document claimed, whether the tag is a seal.)
type Claimed = (Option<String>, bool);

static CLAIMS: std::sync::Mutex<Option<Memo<Claimed>>> = std::sync::Mutex::new(None);

impl Claims {
    pub fn open(repo: &Repository) {
        Memo::open(&CLAIMS, repo, "claims.json");
    }

    pub fn get(id: &str) -> Option<Claimed> {
        Memo::get(&CLAIMS, id)
    }

    pub fn put(id: &str, document: Option<&str>, seal: bool) {
        Memo::put(&CLAIMS, id, (document.map(str::to_owned), seal));
    }

    pub fn save() {
        Memo::save(&CLAIMS);
    }
}
