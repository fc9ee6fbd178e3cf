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
const FORMAT: u32 = 2;
/// Entries kept per fingerprint (a branch and its base, a few branches).
const KEEP: usize = 4;
/// Commits followed back from the one asked for to find a cached one.
const REACH: usize = 2_000;

/// Whether the cache is used (`--no-cache` / `AIMS_NO_CACHE` turn it off).
pub fn enabled() -> bool {
    std::env::var_os("AIMS_NO_CACHE").is_none_or(|v| v.is_empty() || v == "0")
}

/// An entry's own file: the walk without its documents' revisions and
/// sign-offs, which are in shards (see [`Shard`]).
#[derive(Serialize, Deserialize)]
struct Stored {
    format: u32,
    tool: String,
    fingerprint: String,
    head: String,
    /// `by_id` and `signoffs` are empty here: they are in the shards.
    revisions: Revisions,
    /// First-parent commits where the trust files changed, oldest first.
    trust_points: Vec<String>,
    /// The shards' names: the SHA-256 of each shard file's bytes, shard
    /// `k` holding the documents whose id [`shard_of`] puts there.
    shards: Vec<String>,
}

/// The revisions of some documents, and the sign-offs of commits that
/// change them, each with its place in the walk's list of sign-offs. A
/// shard file is named by the SHA-256 of its bytes (checked on reading),
/// so entries share the shards they have in common, and the pre-commit
/// gate reads only the shards of the documents it judges.
#[derive(Serialize, Deserialize)]
struct Shard {
    by_id: std::collections::BTreeMap<String, Vec<super::revisions::Revision>>,
    signoffs: Vec<(usize, super::signoffs::SignOff)>,
}

/// Documents per shard, roughly: a shard of a large AIMS stays small.
const SHARD_IDS: usize = 64;

/// The shard (of `count`) that holds document `id` (FNV-1a: stable
/// across runs and versions, unlike std's hasher).
fn shard_of(id: &str, count: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % count.max(1) as u64) as usize
}

fn shard_file(cache: &Path, name: &str) -> PathBuf {
    cache.join(format!("shard-{name}.json"))
}

/// Reads the shard `name`: None when missing, damaged or not the bytes
/// its name is the hash of.
fn read_shard(repo: &Repository, name: &str) -> Option<Shard> {
    let bytes = std::fs::read(shard_file(&dir(repo), name)).ok()?;
    if super::hex(&Sha256::digest(&bytes)) != name {
        return None;
    }
    serde_json::from_slice(&bytes).ok()
}

/// Fills `revisions` with the documents of the shards of `stored` (all, or
/// those holding the ids of `only`); None when one cannot be read.
fn read_shards(
    repo: &Repository,
    stored: &Stored,
    only: Option<&std::collections::BTreeSet<String>>,
    revisions: &mut Revisions,
) -> Option<()> {
    let count = stored.shards.len();
    let wanted: std::collections::BTreeSet<usize> = match only {
        Some(ids) if count > 0 => ids.iter().map(|id| shard_of(id, count)).collect(),
        Some(_) => Default::default(),
        None => (0..count).collect(),
    };
    let mut signoffs = Vec::new();
    for k in wanted {
        let shard = read_shard(repo, &stored.shards[k])?;
        for (id, list) in shard.by_id {
            if shard_of(&id, count) != k || revisions.by_id.insert(id, list).is_some() {
                return None; // not where it belongs: not this entry's shard
            }
        }
        signoffs.extend(shard.signoffs);
    }
    // A sign-off of documents in several shards is in each of them.
    signoffs.sort_by_key(|(i, _)| *i);
    signoffs.dedup_by_key(|(i, _)| *i);
    revisions.signoffs = signoffs.into_iter().map(|(_, s)| s).collect();
    Some(())
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

pub(crate) fn dir(repo: &Repository) -> PathBuf {
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

fn file(cache: &Path, scope: Scope, fingerprint: &str, head: Oid) -> PathBuf {
    cache.join(format!("{}-{fingerprint}-{head}.json", scope.prefix()))
}

/// The cached entries for `fingerprint`, newest first.
fn entries(cache: &Path, scope: Scope, fingerprint: &str) -> Vec<(Oid, PathBuf)> {
    let prefix = format!("{}-{fingerprint}-", scope.prefix());
    let Ok(list) = std::fs::read_dir(cache) else {
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
/// With `only`, a hit holds the revisions of those documents (and of
/// others that share their shards), not of every document: what the
/// pre-commit gate's register for those documents needs. An extension
/// always holds every document's.
pub fn lookup(
    repo: &Repository,
    scope: Scope,
    fingerprint: &str,
    head: Oid,
    only: Option<&std::collections::BTreeSet<String>>,
) -> Option<Found> {
    if !enabled() {
        return None;
    }
    if only.is_none()
        && let Some(found) = Kept::take(repo, scope, fingerprint, head)
    {
        return Some(found);
    }
    let entries = entries(&dir(repo), scope, fingerprint);
    let heads: Vec<Oid> = entries.iter().map(|(o, _)| *o).collect();
    let (base, since) = chain_to(repo, head, &heads)?;
    let path = &entries.iter().find(|(o, _)| *o == base)?.1;
    let mut stored = read(path, fingerprint, base)?;
    let only = only.filter(|_| since.is_empty());
    let mut revisions = std::mem::take(&mut stored.revisions);
    if !revisions.by_id.is_empty() || !revisions.signoffs.is_empty() {
        return None; // documents belong in the shards
    }
    read_shards(repo, &stored, only, &mut revisions)?;
    let mut trust_points: Vec<Oid> = stored
        .trust_points
        .iter()
        .filter_map(|c| Oid::from_str(c).ok())
        .collect();
    trust_points.extend(&since);
    Some(Found {
        revisions,
        trust_points,
        base,
        since,
    })
}

/// The walk this process stored last, kept whole once its register is
/// built: a second register built in the same run on top of it (the head
/// of a pull request after its base, in `pr-comment`) extends it as it
/// would the stored files, without reading them back. The same facts as
/// the files, under the same key (and the repository's folder).
struct Kept {
    git_dir: PathBuf,
    scope: Scope,
    fingerprint: String,
    head: Oid,
    revisions: Revisions,
    trust_points: Vec<Oid>,
}

static KEPT: std::sync::Mutex<Option<Kept>> = std::sync::Mutex::new(None);

impl Kept {
    /// The kept walk, when `head` is it or a line of commits on top of it
    /// (it is taken: a walk is extended once).
    fn take(repo: &Repository, scope: Scope, fingerprint: &str, head: Oid) -> Option<Found> {
        let mut kept = KEPT.lock().ok()?;
        let k = kept.as_ref()?;
        if k.git_dir != repo.path() || k.scope != scope || k.fingerprint != fingerprint {
            return None;
        }
        let (base, since) = chain_to(repo, head, &[k.head])?;
        let k = kept.take()?;
        let mut trust_points = k.trust_points;
        trust_points.extend(&since);
        Some(Found {
            revisions: k.revisions,
            trust_points,
            base,
            since,
        })
    }
}

/// Keeps the walk just stored ([`store`], with the same arguments) for the
/// rest of the process: see [`Kept`].
pub fn keep(
    repo: &Repository,
    scope: Scope,
    fingerprint: &str,
    head: Oid,
    revisions: Revisions,
    trust_points: Vec<Oid>,
) {
    if !enabled() {
        return;
    }
    if let Ok(mut kept) = KEPT.lock() {
        *kept = Some(Kept {
            git_dir: repo.path().to_path_buf(),
            scope,
            fingerprint: fingerprint.to_owned(),
            head,
            revisions,
            trust_points,
        });
    }
}

/// Stores the walk from `head`, and drops the oldest entries beyond the
/// few kept (and the shards no entry kept names). Failures are ignored:
/// the cache only saves time.
pub fn store(
    dir: &Path,
    scope: Scope,
    fingerprint: &str,
    head: Oid,
    revisions: &Revisions,
    trust_points: &[Oid],
) {
    if !enabled() {
        return;
    }
    let count = if revisions.by_id.is_empty() && revisions.signoffs.is_empty() {
        0
    } else {
        revisions.by_id.len().div_ceil(SHARD_IDS).max(1)
    };
    let write = || -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        // The documents, in shards, each written unless already there.
        let mut shards: Vec<ShardRef<'_>> = (0..count)
            .map(|_| ShardRef {
                by_id: Default::default(),
                signoffs: Vec::new(),
            })
            .collect();
        for (id, list) in &revisions.by_id {
            shards[shard_of(id, count)].by_id.insert(id, list);
        }
        for (i, s) in revisions.signoffs.iter().enumerate() {
            let mut ks: Vec<usize> = s
                .documents
                .iter()
                .map(|(id, _, _)| shard_of(id, count))
                .collect();
            if ks.is_empty() {
                ks.push(0);
            }
            ks.sort_unstable();
            ks.dedup();
            for k in ks {
                shards[k].signoffs.push((i, s));
            }
        }
        let mut names = Vec::with_capacity(count);
        for shard in &shards {
            let bytes = serde_json::to_vec(shard).map_err(std::io::Error::other)?;
            let name = super::hex(&Sha256::digest(&bytes));
            let path = shard_file(dir, &name);
            // One already there is kept only when it is these bytes: a
            // damaged one would otherwise fail every lookup from now on.
            if std::fs::read(&path).ok().as_deref() != Some(&bytes[..]) {
                let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
                std::io::Write::write_all(tmp.as_file_mut(), &bytes)?;
                tmp.persist(&path).map_err(|e| e.error)?;
            }
            names.push(name);
        }
        let stored = StoredRef {
            format: FORMAT,
            tool: env!("CARGO_PKG_VERSION"),
            fingerprint,
            head: head.to_string(),
            revisions: RevisionsRef {
                by_id: Default::default(),
                files: &revisions.files,
                signoffs: Vec::new(),
                commits: revisions.commits,
                roots_with_config: revisions.roots_with_config,
            },
            trust_points: trust_points.iter().map(Oid::to_string).collect(),
            shards: names,
        };
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        serde_json::to_writer(std::io::BufWriter::new(tmp.as_file_mut()), &stored)
            .map_err(std::io::Error::other)?;
        tmp.persist(file(dir, scope, fingerprint, head))
            .map_err(|e| e.error)?;
        Ok(())
    };
    if write().is_err() {
        return;
    }
    for (_, path) in entries(dir, scope, fingerprint).into_iter().skip(KEEP) {
        let _ = std::fs::remove_file(path);
    }
    tidy(dir, scope, fingerprint, count > 0);
}

/// Files no run of this version reads, kept at most a week: entries of
/// `scope` under another fingerprint (another configuration, another aims
/// version or cache format) untouched for that long. The files of the
/// format before shards (`claims.json`, `verdicts.json`) go at once.
const STALE: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

/// After a store, in one listing of the cache: removes the stale entries
/// of `scope` (see [`STALE`]) and, with `shards`, the shard files no
/// entry names (but those written in the last minutes, which an entry
/// being written may be about to name).
fn tidy(dir: &Path, scope: Scope, fingerprint: &str, shards: bool) {
    for old in ["claims.json", "verdicts.json"] {
        let _ = std::fs::remove_file(dir.join(old));
    }
    let Ok(list) = std::fs::read_dir(dir) else {
        return;
    };
    let now = std::time::SystemTime::now();
    let modified = |e: &std::fs::DirEntry| e.metadata().and_then(|m| m.modified()).ok();
    let (mine, current) = (
        format!("{}-", scope.prefix()),
        format!("{}-{fingerprint}-", scope.prefix()),
    );
    let mut named = std::collections::HashSet::new();
    let mut shard_files = Vec::new();
    for e in list.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(hash) = name
            .strip_prefix("shard-")
            .and_then(|n| n.strip_suffix(".json"))
        {
            shard_files.push((hash.to_owned(), e));
            continue;
        }
        if !(name.starts_with("walk-") || name.starts_with("trust-")) {
            continue;
        }
        let stale = name.starts_with(&mine)
            && !name.starts_with(&current)
            && name.ends_with(".json")
            && modified(&e).is_some_and(|t| now.duration_since(t).is_ok_and(|age| age > STALE));
        if stale {
            let _ = std::fs::remove_file(e.path());
        } else if shards {
            // Only the list of shard names is of interest here.
            #[derive(Deserialize)]
            struct Names {
                shards: Vec<String>,
            }
            // Entries are written whole (renamed into place); one that
            // cannot be read (damaged, or of another format) names nothing.
            // A large one is of the format before shards.
            let small = e.metadata().is_ok_and(|m| m.len() < 4 << 20);
            if let Some(n) = std::fs::read(e.path())
                .ok()
                .filter(|_| small)
                .and_then(|b| serde_json::from_slice::<Names>(&b).ok())
            {
                named.extend(n.shards);
            }
        }
    }
    if !shards {
        return;
    }
    for (hash, e) in shard_files {
        // (A time ahead of the clock counts as young.)
        let young = modified(&e).is_some_and(|t| {
            now.duration_since(t)
                .map_or(true, |age| age < std::time::Duration::from_secs(600))
        });
        if !named.contains(&hash) && !young {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// [`Shard`], borrowed for writing.
#[derive(Serialize)]
struct ShardRef<'a> {
    by_id: std::collections::BTreeMap<&'a String, &'a Vec<super::revisions::Revision>>,
    signoffs: Vec<(usize, &'a super::signoffs::SignOff)>,
}

/// [`Revisions`], borrowed for writing (without the documents).
#[derive(Serialize)]
struct RevisionsRef<'a> {
    by_id: std::collections::BTreeMap<String, Vec<super::revisions::Revision>>,
    files: &'a std::collections::BTreeMap<String, Vec<super::revisions::Revision>>,
    signoffs: Vec<super::signoffs::SignOff>,
    commits: usize,
    roots_with_config: usize,
}

/// The trust files' part of a full walk from `head` (their revisions, the
/// commit count, the roots): what a walk with no document globs finds,
/// stored under [`trust_fingerprint`].
pub fn store_trust_part(
    dir: &Path,
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
    store(dir, Scope::Trust, &fingerprint, head, &part, trust_points);
}

/// [`Stored`], borrowed for writing.
#[derive(Serialize)]
struct StoredRef<'a> {
    format: u32,
    tool: &'static str,
    fingerprint: &'a str,
    head: String,
    revisions: RevisionsRef<'a>,
    trust_points: Vec<String>,
    shards: Vec<String>,
}

/// A map kept in the cache, loaded once per process and written back
/// (atomically) when something was added: in one file, or sharded by the
/// key's first character (each shard loaded when a key of it is first
/// asked for), so that a few lookups read a few small files.
struct Memo<V> {
    dir: PathBuf,
    name: &'static str,
    sharded: bool,
    /// Shard (its prefix; "" when not sharded) → its entries, and whether
    /// one was added.
    shards: std::collections::HashMap<String, (std::collections::HashMap<String, V>, bool)>,
}

#[derive(Serialize, Deserialize)]
struct MemoFile<V> {
    format: u32,
    tool: String,
    entries: std::collections::HashMap<String, V>,
}

impl<V: Serialize + serde::de::DeserializeOwned + Clone> Memo<V> {
    /// Opens `name` of `repo`'s cache into `slot`, once.
    fn open(
        slot: &std::sync::Mutex<Option<Memo<V>>>,
        repo: &Repository,
        name: &'static str,
        sharded: bool,
    ) {
        if !enabled() {
            return;
        }
        let Ok(mut state) = slot.lock() else { return };
        if state.is_some() {
            return;
        }
        *state = Some(Memo {
            dir: dir(repo),
            name,
            sharded,
            shards: Default::default(),
        });
    }

    fn prefix(&self, key: &str) -> String {
        if self.sharded {
            key.get(..1).unwrap_or_default().to_owned()
        } else {
            String::new()
        }
    }

    fn path(&self, prefix: &str) -> PathBuf {
        if self.sharded {
            self.dir.join(format!("{}-{prefix}.json", self.name))
        } else {
            self.dir.join(format!("{}.json", self.name))
        }
    }

    /// The entries of `key`'s shard, read when first needed (none when
    /// missing or damaged).
    fn shard(&mut self, key: &str) -> &mut (std::collections::HashMap<String, V>, bool) {
        let prefix = self.prefix(key);
        let path = self.path(&prefix);
        self.shards.entry(prefix).or_insert_with(|| {
            let entries = std::fs::read(&path)
                .ok()
                .and_then(|b| serde_json::from_slice::<MemoFile<V>>(&b).ok())
                .filter(|f| f.format == FORMAT && f.tool == env!("CARGO_PKG_VERSION"))
                .map(|f| f.entries)
                .unwrap_or_default();
            (entries, false)
        })
    }

    fn get(slot: &std::sync::Mutex<Option<Memo<V>>>, key: &str) -> Option<V> {
        let mut state = slot.lock().ok()?;
        state.as_mut()?.shard(key).0.get(key).cloned()
    }

    fn put(slot: &std::sync::Mutex<Option<Memo<V>>>, key: &str, value: V) {
        if let Ok(mut state) = slot.lock()
            && let Some(m) = state.as_mut()
        {
            let (entries, changed) = m.shard(key);
            if !entries.contains_key(key) {
                entries.insert(key.to_owned(), value);
                *changed = true;
            }
        }
    }

    /// Failures are ignored: the cache only saves time.
    fn save(slot: &std::sync::Mutex<Option<Memo<V>>>) {
        let Ok(mut state) = slot.lock() else { return };
        let Some(m) = state.as_mut() else { return };
        let paths: Vec<(String, PathBuf)> = m
            .shards
            .iter()
            .filter(|(_, (_, changed))| *changed)
            .map(|(prefix, _)| (prefix.clone(), m.path(prefix)))
            .collect();
        for (prefix, path) in paths {
            let Some((entries, changed)) = m.shards.get_mut(&prefix) else {
                continue;
            };
            let file = MemoFile {
                format: FORMAT,
                tool: env!("CARGO_PKG_VERSION").to_owned(),
                entries: std::mem::take(entries),
            };
            let write = || -> std::io::Result<()> {
                let dir = path.parent().unwrap_or(Path::new("."));
                std::fs::create_dir_all(dir)?;
                let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
                serde_json::to_writer(std::io::BufWriter::new(tmp.as_file_mut()), &file)
                    .map_err(std::io::Error::other)?;
                tmp.persist(&path).map_err(|e| e.error)?;
                Ok(())
            };
            if write().is_ok() {
                *changed = false;
            }
            *entries = file.entries;
        }
    }
}

/// Remembered signature verdicts (`.git/aims/cache/verdicts-X.json`, by
/// the key's first hex digit):
/// [`Verdicts::open`] when the register is built, [`Verdicts::save`] once
/// it is.
pub struct Verdicts;

type Verdict = Result<Verified, Rejection>;

static VERDICTS: std::sync::Mutex<Option<Memo<Verdict>>> = std::sync::Mutex::new(None);

impl Verdicts {
    pub fn open(repo: &Repository) {
        Memo::open(&VERDICTS, repo, "verdicts", true);
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
/// reading them (`.git/aims/cache/claims`, a checked binary file, see
/// [`read_checked`]).
pub struct Claims;

/// (The document claimed, whether the tag is a seal.)
type Claimed = (Option<String>, bool);

struct ClaimsState {
    path: PathBuf,
    known: std::collections::HashMap<Oid, Claimed>,
    added: bool,
}

static CLAIMS: std::sync::Mutex<Option<ClaimsState>> = std::sync::Mutex::new(None);

const CLAIMS_MAGIC: &[u8] = b"aims claims\n";

impl Claims {
    pub fn open(repo: &Repository) {
        if !enabled() {
            return;
        }
        let Ok(mut state) = CLAIMS.lock() else { return };
        if state.is_some() {
            return;
        }
        let path = dir(repo).join("claims");
        let known = read_checked(&path, CLAIMS_MAGIC)
            .and_then(|body| {
                let mut r = Reader(&body);
                let count = r.u32()?;
                let mut known = std::collections::HashMap::with_capacity(count.min(1 << 20));
                for _ in 0..count {
                    let oid = r.oid()?;
                    let flags = r.take(1)?[0];
                    let document = match flags & 2 {
                        0 => None,
                        _ => Some(r.text()?),
                    };
                    known.insert(oid, (document, flags & 1 == 1));
                }
                r.0.is_empty().then_some(known)
            })
            .unwrap_or_default();
        *state = Some(ClaimsState {
            path,
            known,
            added: false,
        });
    }

    /// What `keep` says of the claim of tag object `id`, when it is known.
    pub fn judge(id: &Oid, keep: &dyn Fn(Option<&str>, bool) -> bool) -> Option<bool> {
        let state = CLAIMS.lock().ok()?;
        let (document, seal) = state.as_ref()?.known.get(id)?;
        Some(keep(document.as_deref(), *seal))
    }

    pub fn put(id: &Oid, document: Option<&str>, seal: bool) {
        if let Ok(mut state) = CLAIMS.lock()
            && let Some(s) = state.as_mut()
            && !s.known.contains_key(id)
        {
            s.known.insert(*id, (document.map(str::to_owned), seal));
            s.added = true;
        }
    }

    /// Failures are ignored: the cache only saves time.
    pub fn save() {
        let Ok(mut state) = CLAIMS.lock() else { return };
        let Some(s) = state.as_mut().filter(|s| s.added) else {
            return;
        };
        let mut ids: Vec<&Oid> = s.known.keys().collect();
        ids.sort();
        let mut body = Vec::new();
        put_u32(&mut body, ids.len());
        for id in ids {
            put_oid(&mut body, id);
            let (document, seal) = &s.known[id];
            body.push(u8::from(*seal) | if document.is_some() { 2 } else { 0 });
            if let Some(d) = document {
                put_text(&mut body, d);
            }
        }
        if write_checked(&s.path, CLAIMS_MAGIC, &body).is_ok() {
            s.added = false;
        }
    }
}

/// Reads a binary cache file written by [`write_checked`]: its body, when
/// the file ends with the SHA-256 of the rest and names this cache format
/// and aims version; None otherwise (missing, damaged, truncated, another
/// version's).
pub(super) fn read_checked(path: &Path, magic: &[u8]) -> Option<Vec<u8>> {
    let bytes = std::fs::read(path).ok()?;
    let (all, sum) = bytes.split_at_checked(bytes.len().checked_sub(32)?)?;
    if Sha256::digest(all).as_slice() != sum {
        return None;
    }
    let mut r = Reader(all.strip_prefix(magic)?);
    if r.u32()? != FORMAT as usize {
        return None;
    }
    let tool_len = r.u32()?;
    if r.take(tool_len)? != env!("CARGO_PKG_VERSION").as_bytes() {
        return None;
    }
    Some(r.0.to_vec())
}

/// Writes `body` as a binary cache file, atomically: `magic`, the cache
/// format, aims's version, the body, and the SHA-256 of all that.
pub(super) fn write_checked(path: &Path, magic: &[u8], body: &[u8]) -> std::io::Result<()> {
    let mut out = magic.to_vec();
    put_u32(&mut out, FORMAT as usize);
    let tool = env!("CARGO_PKG_VERSION");
    put_text(&mut out, tool);
    out.extend_from_slice(body);
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(tmp.as_file_mut(), &out)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

pub(super) fn put_u32(out: &mut Vec<u8>, n: usize) {
    out.extend((n as u32).to_le_bytes());
}

pub(super) fn put_text(out: &mut Vec<u8>, t: &str) {
    put_u32(out, t.len());
    out.extend(t.as_bytes());
}

pub(super) fn put_oid(out: &mut Vec<u8>, oid: &Oid) {
    let bytes = oid.as_bytes();
    out.push(bytes.len() as u8);
    out.extend(bytes);
}

/// The id and kind each document blob declares (`docs::identity`), by
/// blob id (`.git/aims/cache/identities`, a checked binary file, see
/// [`read_checked`]). A blob id names its content, so an entry cannot go
/// stale: the pre-commit gate knows every document it does not judge (its
/// id, for references and duplicate ids) without reading it. A changed
/// document is a new blob, read afresh.
pub struct Identities {
    path: Option<PathBuf>,
    /// The file's body, and each entry's blob id with where its identity
    /// starts in it, by blob id: decoded when asked for, not on opening.
    body: Vec<u8>,
    index: Vec<(Oid, usize)>,
    /// A blob of this run was not known: the file is written anew.
    missed: bool,
}

type Identity = Option<(String, Option<String>)>;

const IDENTITIES_MAGIC: &[u8] = b"aims identities\n";

impl Identities {
    /// Loads the cache (nothing when it is off, missing or damaged).
    pub fn open(repo: &Repository) -> Identities {
        let mut out = Identities {
            path: None,
            body: Vec::new(),
            index: Vec::new(),
            missed: false,
        };
        if !enabled() {
            return out;
        }
        let path = dir(repo).join("identities");
        if let Some(body) = read_checked(&path, IDENTITIES_MAGIC)
            && let Some(index) = index_identities(&body)
        {
            out.body = body;
            out.index = index;
        }
        out.path = Some(path);
        out
    }

    /// What `blob` declares, when known.
    pub fn get(&mut self, blob: &Oid) -> Option<Identity> {
        let found = self
            .index
            .binary_search_by(|(oid, _)| oid.cmp(blob))
            .ok()
            .and_then(|i| identity_at(&self.body, self.index[i].1));
        self.missed |= found.is_none();
        found
    }

    /// Writes the identities of this run's blobs (`current`) when one was
    /// not known: the file follows the index, not history. Failures are
    /// ignored: the cache only saves time.
    pub fn save<'a>(self, current: impl Iterator<Item = (&'a Oid, &'a Identity)>) {
        let Some(path) = self.path.filter(|_| self.missed) else {
            return;
        };
        let mut entries: Vec<(&Oid, &Identity)> = current.collect();
        entries.sort_by_key(|e| e.0);
        entries.dedup_by_key(|e| e.0);
        let mut body = Vec::new();
        put_u32(&mut body, entries.len());
        for (oid, identity) in entries {
            put_oid(&mut body, oid);
            match identity {
                None => body.push(0),
                Some((id, None)) => {
                    body.push(1);
                    put_text(&mut body, id);
                }
                Some((id, Some(kind))) => {
                    body.push(2);
                    put_text(&mut body, id);
                    put_text(&mut body, kind);
                }
            }
        }
        let _ = write_checked(&path, IDENTITIES_MAGIC, &body);
    }
}

/// Each entry's blob id and the offset of its identity, checked whole
/// (lengths, UTF-8, ascending ids) without decoding a string; None when
/// the body is not one this version writes.
fn index_identities(body: &[u8]) -> Option<Vec<(Oid, usize)>> {
    let mut r = Reader(body);
    let count = r.u32()?;
    let mut index = Vec::with_capacity(count.min(1 << 20));
    for _ in 0..count {
        let oid = r.oid()?;
        let at = body.len() - r.0.len();
        let texts = match r.take(1)?[0] {
            0 => 0,
            1 => 1,
            2 => 2,
            _ => return None,
        };
        for _ in 0..texts {
            let len = r.u32()?;
            std::str::from_utf8(r.take(len)?).ok()?;
        }
        if index
            .last()
            .is_some_and(|(last, _): &(Oid, usize)| *last >= oid)
        {
            return None;
        }
        index.push((oid, at));
    }
    r.0.is_empty().then_some(index)
}

/// The identity whose entry starts at `at` (checked by [`index_identities`]).
fn identity_at(body: &[u8], at: usize) -> Option<Identity> {
    let mut r = Reader(body.get(at..)?);
    Some(match r.take(1)?[0] {
        0 => None,
        1 => Some((r.text()?, None)),
        _ => Some((r.text()?, Some(r.text()?))),
    })
}

/// Reads a binary cache file's fields in order.
pub(super) struct Reader<'a>(pub(super) &'a [u8]);

impl<'a> Reader<'a> {
    pub(super) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    pub(super) fn u32(&mut self) -> Option<usize> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?) as usize)
    }

    pub(super) fn i64(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    pub(super) fn oid(&mut self) -> Option<Oid> {
        let len = self.take(1)?[0] as usize;
        Oid::from_bytes(self.take(len)?).ok()
    }

    pub(super) fn text(&mut self) -> Option<String> {
        let len = self.u32()?;
        String::from_utf8(self.take(len)?.to_vec()).ok()
    }
}
