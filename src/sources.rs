//! Reading the other repositories' snapshots (see [`crate::sync`]):
//!
//! - in the central AIMS, each `[[source]]`'s PRDs join the workspace as
//!   `NAME:PATH`, each carrying its [`Origin`] (repository and commit), so
//!   `check`, `status`, `audit` and `export` see them; a source that could
//!   not be read is kept as a [`SourceState`] with its error, so the audit
//!   says its evidence is missing instead of showing nothing;
//! - in a product repository, the upstream AIMS is read whole (its
//!   aims.toml and every document) from its snapshot, to judge the PRDs
//!   against.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use git2::{Oid, Repository};

use crate::config::Source;
use crate::control::{Entry, Register};
use crate::docs::{self, Document, Kind, Loaded, Origin};
use crate::history::revisions::Revision;
use crate::sync::{self, Job, Snapshot};
use crate::workspace::Workspace;

/// What one `[[source]]` yielded.
#[derive(Clone, Debug)]
pub struct SourceState {
    pub name: String,
    /// The repository as aims.toml names it.
    pub repository: String,
    pub reference: String,
    /// The commit read, when there is one.
    pub commit: Option<String>,
    /// When that snapshot was fetched (Unix seconds).
    pub fetched: Option<i64>,
    /// Why it could not be fetched or read (with a snapshot: it is an older one).
    pub error: Option<String>,
    /// The PRDs read from it, as workspace paths (`NAME:PATH`).
    pub prds: Vec<String>,
    /// Files its `prds` globs match that declare another kind (workspace
    /// path, kind): left out, since a product repository adds PRDs only.
    pub not_prds: Vec<(String, String)>,
    /// The line of aims.toml that names it (for findings).
    pub line: Option<usize>,
}

impl SourceState {
    /// Whether its evidence is missing altogether.
    pub fn missing(&self) -> bool {
        self.commit.is_none()
    }
}

fn job_for(repo: &Repository, source: &Source) -> Job {
    Job {
        name: source.name.clone(),
        remote: source.remote.clone(),
        dir: sync::source_dir(repo, &source.name),
    }
}

/// Fetches (unless `offline`) and reads every `[[source]]` of the
/// workspace's configuration, adding their PRDs to it.
///
/// With a register, each PRD also gets its row: its revisions in its own
/// repository, and its approval tags there judged by the register's trust
/// root and rules (see [`Register::foreign_approvals`]). For a register of
/// a past moment, each source is read at its last commit by then.
pub fn attach(
    ws: &mut Workspace,
    repo: &Repository,
    offline: bool,
    mut register: Option<&mut Register>,
) -> miette::Result<()> {
    if ws.config.sources.is_empty() {
        return Ok(());
    }
    let root = ws.root.clone();
    let jobs: Vec<Job> = ws.config.sources.iter().map(|s| job_for(repo, s)).collect();
    let outcomes: Vec<(Option<Snapshot>, Option<String>)> = if offline {
        jobs.iter()
            .map(|job| match sync::cached(&root, job) {
                Ok(Some(s)) => (Some(s), None),
                Ok(None) => (
                    None,
                    Some(match sync::last_error(&job.dir) {
                        Some(e) => {
                            format!("nothing is cached (offline), and the last fetch failed: {e}")
                        }
                        None => "nothing is cached (offline): run `aims sync`".into(),
                    }),
                ),
                Err(e) => (None, Some(e)),
            })
            .collect()
    } else {
        sync::fetch_all(&root, &jobs, sync::default_parallel(), true)
            .into_iter()
            .map(|f| {
                (
                    f.snapshot,
                    f.error.map(|e| format!("could not be fetched: {e}")),
                )
            })
            .collect()
    };
    let config_text =
        std::fs::read_to_string(root.join(crate::config::FILE_NAME)).unwrap_or_default();
    let sources = ws.config.sources.clone();
    for ((source, job), (snapshot, error)) in sources.iter().zip(&jobs).zip(outcomes) {
        let mut state = SourceState {
            name: source.name.clone(),
            repository: source.remote.repository.clone(),
            reference: source.remote.reference.clone(),
            commit: None,
            fetched: None,
            error,
            prds: Vec::new(),
            not_prds: Vec::new(),
            line: line_naming(&config_text, &source.name),
        };
        if let Some(snapshot) = snapshot {
            let as_of = register
                .as_deref()
                .filter(|r| !r.working_tree)
                .map(|r| r.as_of_time);
            match read_source(
                job,
                source,
                snapshot.commit,
                as_of,
                ws,
                register.as_deref_mut(),
            ) {
                Ok(Some((commit, paths, not_prds))) => {
                    state.not_prds = not_prds;
                    state.commit = Some(commit.to_string());
                    state.fetched = Some(snapshot.fetched);
                    state.prds = paths;
                }
                Ok(None) => {
                    state.error = Some(format!(
                        "it had no commit on or before {}",
                        crate::date::Date::from_unix(as_of.unwrap_or_default())
                    ));
                }
                Err(e) => state.error = Some(e),
            }
        }
        if let Some(e) = &state.error {
            let what = match &state.commit {
                Some(c) => format!(
                    "its PRDs are read from the snapshot cached earlier, at commit {}",
                    crate::history::short_id(c)
                ),
                None => "its PRDs are missing from this run".to_owned(),
            };
            eprintln!(
                "aims: warning: source `{}` ({}): {}; {what}",
                crate::safe::terminal(&source.name),
                crate::safe::terminal(&source.remote.repository),
                crate::safe::terminal(e)
            );
        }
        ws.sources.push(state);
    }
    Ok(())
}

/// [`Register::open`], with the `[[source]]` repositories attached:
/// fetched first unless offline (`--offline`, `AIMS_OFFLINE`).
pub fn open(
    root: &Path,
    repo: &Repository,
    as_of: &crate::control::AsOf,
) -> miette::Result<(Workspace, Register)> {
    let (mut ws, mut register) = Register::open(root, repo, as_of)?;
    attach(&mut ws, repo, sync::offline(), Some(&mut register))?;
    Ok((ws, register))
}

/// The line of aims.toml whose `name = "…"` names the source.
fn line_naming(text: &str, name: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.trim();
            l.strip_prefix("name")
                .map(str::trim_start)
                .and_then(|l| l.strip_prefix('='))
                .map(|v| v.trim().trim_matches(['"', '\'']) == name)
                .unwrap_or(false)
        })
        .map(|i| i + 1)
}

/// Reads a source's PRDs into the workspace (and their rows into the
/// register): at the snapshot, or at its last commit by `as_of`. Returns
/// the commit read and the PRDs' workspace paths; `None` when the source
/// had no commit by then.
fn read_source(
    job: &Job,
    source: &Source,
    snapshot: Oid,
    as_of: Option<i64>,
    ws: &mut Workspace,
    register: Option<&mut Register>,
) -> Result<Option<ReadSource>, String> {
    let repo = open_cache(&job.dir)?;
    let commit = match as_of {
        None => snapshot,
        Some(time) => match crate::control::last_commit_by(&repo, snapshot, time)
            .map_err(|e| e.to_string())?
        {
            Some(c) => c,
            None => return Ok(None),
        },
    };
    let (loaded, not_prds) = read_prds(&repo, source, commit)?;
    let paths: Vec<String> = loaded.iter().map(|l| l.path().to_owned()).collect();
    if let Some(register) = register {
        let config = register.policy.for_source(source);
        let docs: Vec<&Document> = documents(&loaded);
        add_entries(register, &repo, commit, &config, &docs, &|_| false)?;
    }
    ws.loaded.extend(loaded);
    Ok(Some((commit, paths, not_prds)))
}

/// Files left out as not PRDs: (workspace path, kind).
type NotPrds = Vec<(String, String)>;

/// What a source yielded: the commit read, its PRDs' workspace paths, and
/// the files left out as not PRDs (path, kind).
type ReadSource = (Oid, Vec<String>, NotPrds);

pub(crate) fn documents(loaded: &[Loaded]) -> Vec<&Document> {
    loaded
        .iter()
        .filter_map(|l| match l {
            Loaded::Document(d) => Some(d.as_ref()),
            Loaded::Problem { .. } => None,
        })
        .collect()
}

/// Adds a row to `register` for each of `docs`, documents of another
/// repository (`repo`, described at `commit`): their revisions there
/// (walked with `config`'s globs), their approval tags there judged by the
/// register's trust root and rules, and their content at `commit`.
/// `uncommitted` says which (repository) paths the working tree changed.
/// An id the register already has is left to the duplicate-id rule.
pub(crate) fn add_entries(
    register: &mut Register,
    repo: &Repository,
    commit: Oid,
    config: &crate::config::Config,
    docs: &[&Document],
    uncommitted: &dyn Fn(&str) -> bool,
) -> Result<(), String> {
    let fail = |e: git2::Error| format!("cannot read its history: {}", e.message());
    let revisions = crate::history::revisions::walk(repo, commit, config, &[]).map_err(fail)?;
    let records = crate::history::approvals::read(repo).map_err(fail)?;
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(fail)?;
    let taken: BTreeSet<String> = register.entries.iter().map(|e| e.id.clone()).collect();
    let mine: Vec<&Document> = docs
        .iter()
        .copied()
        .filter(|d| d.id().is_some_and(|id| !taken.contains(id)))
        .collect();
    let ids: BTreeSet<String> = mine
        .iter()
        .filter_map(|d| d.id())
        .map(str::to_owned)
        .collect();
    let (approvals, refused) = register
        .foreign_approvals(repo, &records, &ids)
        .map_err(fail)?;
    let mut seen = BTreeSet::new();
    for doc in mine {
        let Some(id) = doc.id() else { continue };
        if !seen.insert(id) {
            continue; // a duplicate id: the document rules report it
        }
        // Its path in its own repository, and as the workspace shows it.
        let (inner, prefix) = match &doc.origin {
            Some(o) => (o.path.as_str(), Some(o.source.as_str())),
            None => (doc.path.as_str(), None),
        };
        let current: Vec<String> = crate::history::blob_id_at(&tree, inner)
            .map_err(fail)?
            .map(|b| b.to_string())
            .into_iter()
            .collect();
        let history: Vec<Revision> = revisions
            .by_id
            .get(id)
            .map(|r| {
                r.iter()
                    .filter(|r| r.time <= register.as_of_time)
                    .cloned()
                    .map(|mut r| {
                        if let Some(p) = prefix {
                            r.path = format!("{p}:{}", r.path).into();
                        }
                        r
                    })
                    .collect()
            })
            .unwrap_or_default();
        let given = approvals.get(id).map_or(&[][..], Vec::as_slice);
        let dirty = current.is_empty() || uncommitted(inner);
        let state = register.derive_foreign(&history, given, &current, dirty);
        register.entries.push(Entry {
            id: id.to_owned(),
            title: doc.title().unwrap_or_default().to_owned(),
            kind: doc.kind_name().unwrap_or_default().to_owned(),
            owner: doc.owner().unwrap_or_default().to_owned(),
            path: doc.path.clone(),
            revisions: history,
            state,
        });
    }
    register.entries.sort_by(|a, b| a.id.cmp(&b.id));
    register.refused.extend(refused);
    Ok(())
}

/// A product repository's register: the upstream AIMS's trust root and
/// rules (its register at the snapshot), with one row per PRD of the
/// product repository, from the product's own history and approval tags.
/// The upstream's own documents are not in it.
pub fn product_register(
    root: &Path,
    repo: &Repository,
    offline: bool,
) -> miette::Result<(Workspace, Register)> {
    let local = Workspace::open(root)?;
    let upstream = upstream_for(root, repo, &local.config, offline)?;
    let mut register = upstream_register(&upstream)?;
    register.working_tree = true;
    let Some(head) = crate::control::head_commit(repo)? else {
        register.commit = None;
        return Ok((local, register));
    };
    register.commit = Some(head.to_string());
    let config = register.policy.for_product(&local.config);
    let dirty = crate::control::uncommitted_paths(repo).map_err(crate::control::git_error)?;
    let docs = documents(&local.loaded);
    add_entries(&mut register, repo, head, &config, &docs, &|p| {
        dirty.contains(p)
    })
    .map_err(|e| miette::miette!("{e}"))?;
    Ok((local, register))
}

/// The upstream AIMS's register at its snapshot, emptied of its own
/// documents: its trust chain, policies and roles, to judge a product
/// repository's PRDs by.
pub fn upstream_register(upstream: &Upstream) -> miette::Result<Register> {
    let records =
        crate::history::approvals::read(&upstream.cache).map_err(crate::control::git_error)?;
    let mut register = Register::build_for(
        &upstream.ws,
        &upstream.cache,
        Some(upstream.commit),
        crate::control::now(),
        false,
        &records,
        None,
    )?;
    register.entries.clear();
    register.refused.clear();
    register.signoffs.clear();
    Ok(register)
}

/// The source's PRDs at `commit` of its cache.
/// Only PRDs: a file declaring another kind is returned apart (path,
/// kind), never loaded, so a product repository cannot add an AI system, a
/// risk or a policy to the AIMS.
fn read_prds(
    repo: &Repository,
    source: &Source,
    commit: Oid,
) -> Result<(Vec<Loaded>, NotPrds), String> {
    let fail = |e: git2::Error| format!("cannot read its snapshot: {}", e.message());
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(fail)?;
    let origin_of = |path: &str| Origin {
        source: source.name.clone(),
        repository: source.remote.repository.clone(),
        commit: commit.to_string(),
        path: path.to_owned(),
    };
    let mut out = Vec::new();
    let mut not_prds = Vec::new();
    let mut failure = None;
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        let Ok(name) = entry.name() else {
            return git2::TreeWalkResult::Ok;
        };
        let rel = format!("{dir}{name}");
        if entry.kind() != Some(git2::ObjectType::Blob) || !source.is_prd(&rel) {
            return git2::TreeWalkResult::Ok;
        }
        let path = format!("{}:{rel}", source.name);
        let mut loaded = if entry.filemode() == 0o120000 {
            Loaded::Problem {
                path: path.clone(),
                source: Arc::from(""),
                problem: docs::Problem::Symlink,
            }
        } else {
            match repo.find_blob(entry.id()) {
                Ok(blob) => docs::load(&path, blob.content(), true),
                Err(e) => {
                    failure = Some(fail(e));
                    return git2::TreeWalkResult::Abort;
                }
            }
        };
        if let Loaded::Document(d) = &mut loaded {
            if let Some(kind) = d.kind_name().filter(|k| *k != Kind::Prd.name()) {
                not_prds.push((path, kind.to_owned()));
                return git2::TreeWalkResult::Ok;
            }
            d.origin = Some(Arc::new(origin_of(&rel)));
        }
        out.push(loaded);
        git2::TreeWalkResult::Ok
    })
    .map_err(|e| failure.clone().unwrap_or_else(|| fail(e)))?;
    if let Some(f) = failure {
        return Err(f);
    }
    out.sort_by(|a, b| a.path().cmp(b.path()));
    Ok((out, not_prds))
}

/// A cache, checked for damaged loose objects first (libgit2 hangs on some).
fn open_cache(dir: &Path) -> Result<Repository, String> {
    let repo = Repository::open_bare(dir)
        .map_err(|e| format!("cannot open the cache {}: {}", dir.display(), e.message()))?;
    crate::history::loose::check(repo.path()).map_err(|d| {
        format!(
            "its cache {} is damaged ({d}); delete that folder and run `aims sync`",
            dir.display()
        )
    })?;
    Ok(repo)
}

/// The upstream AIMS as a product repository sees it.
pub struct Upstream {
    /// The central AIMS at the snapshot: its configuration and documents.
    pub ws: Workspace,
    /// The snapshot's commit, in `cache`.
    pub commit: Oid,
    /// The cache it was read from (`.git/aims/upstream.git`).
    pub cache: Repository,
}

/// Reads the product repository's upstream: fetched first unless
/// `offline`; from the cache when the fetch fails (with a warning), and
/// exit 2 with the fix when nothing is cached.
pub fn upstream(root: &Path, repo: &Repository, offline: bool) -> miette::Result<Upstream> {
    let config = crate::config::Config::load(root)?;
    upstream_for(root, repo, &config, offline)
}

/// [`upstream`] for a configuration already read (e.g. from the index).
pub fn upstream_for(
    root: &Path,
    repo: &Repository,
    config: &crate::config::Config,
    offline: bool,
) -> miette::Result<Upstream> {
    let Some(remote) = &config.upstream else {
        miette::bail!(
            help = "a product repository names its AIMS in aims.toml:\n[upstream]\nrepository = \"git@github.com:acme/aims.git\"\nref = \"main\"\n(`aims init --product` writes one)",
            "aims.toml has no [upstream]: this is not a product repository"
        );
    };
    let job = Job {
        name: "upstream".into(),
        remote: remote.clone(),
        dir: sync::upstream_dir(repo),
    };
    let snapshot = if offline {
        let cached = sync::cached(root, &job).map_err(|e| miette::miette!("{e}"))?;
        if cached.is_none()
            && let Some(e) = sync::last_error(&job.dir)
        {
            let repository = &remote.repository;
            miette::bail!(
                help = format!(
                    "check `[upstream] repository` in aims.toml and that `git fetch {repository}` works with your credentials, then run `aims sync`"
                ),
                "the upstream AIMS has not been fetched: nothing is cached, and the last fetch failed: {e}"
            );
        }
        cached
    } else {
        match sync::fetch(root, &job) {
            Ok(s) => Some(s),
            Err(e) => {
                let cached = sync::cached(root, &job).ok().flatten();
                match &cached {
                    Some(s) => eprintln!(
                        "aims: warning: the upstream AIMS ({}) could not be fetched: {}; \
                         using the snapshot fetched {} (commit {})",
                        crate::safe::terminal(&remote.repository),
                        crate::safe::terminal(&e),
                        crate::date::Date::from_unix(s.fetched),
                        crate::history::short_id_of(&s.commit)
                    ),
                    None => {
                        let repository = &remote.repository;
                        miette::bail!(
                            help = format!(
                                "check `[upstream] repository` in aims.toml and that `git fetch {repository}` works with your credentials, then run `aims sync`"
                            ),
                            "the upstream AIMS ({repository}) could not be fetched, and nothing is cached: {e}"
                        )
                    }
                }
                cached
            }
        }
    };
    let Some(snapshot) = snapshot else {
        let (repository, dir) = (&remote.repository, job.dir.display());
        miette::bail!(
            help = format!(
                "run `aims sync` (it fetches {repository} with your git credentials); --offline uses only what an earlier sync cached"
            ),
            "the upstream AIMS has not been fetched: nothing is cached in {dir}"
        );
    };
    let cache = open_cache(&job.dir).map_err(|e| miette::miette!("{e}"))?;
    let ws = {
        let tree = cache
            .find_commit(snapshot.commit)
            .and_then(|c| c.tree())
            .map_err(|e| miette::miette!("cannot read the upstream snapshot: {}", e.message()))?;
        Workspace::from_tree(root, &cache, &tree).map_err(|e| {
            miette::miette!(
                help =
                    "the upstream must be the central AIMS repository, with aims.toml at its top",
                "cannot read the upstream AIMS ({} at {}): {e}",
                remote.repository,
                remote.reference
            )
        })?
    };
    Ok(Upstream {
        ws,
        commit: snapshot.commit,
        cache,
    })
}
