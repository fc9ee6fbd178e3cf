//! The AIMS as the tool sees it: the configuration and every controlled
//! document, read from the working tree.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::config::{self, Config};
use crate::docs::{self, Document, Loaded, MAX_DOCUMENT_BYTES, Problem};
use crate::rules::document::Index;

pub struct Workspace {
    /// The directory holding `aims.toml`.
    pub root: PathBuf,
    pub config: Config,
    /// Every file matched by the `documents` and `prds` globs, by path
    /// (the pre-commit gate's: those it read in full; then the `[[source]]`
    /// repositories' PRDs, as `NAME:PATH`).
    pub loaded: Vec<Loaded>,
    /// Files matched but not read in full (the pre-commit gate reads only
    /// the documents it judges); 0 elsewhere.
    pub unread: usize,
    /// The `[[source]]` repositories read, with what each yielded.
    pub sources: Vec<crate::sources::SourceState>,
    /// How many of the first `loaded` files are context only: a product
    /// repository's upstream documents, read to resolve references, not
    /// checked or counted.
    pub context: usize,
}

/// Finds the AIMS root: `start` or the nearest parent holding `aims.toml`.
pub fn discover(start: &Path) -> miette::Result<PathBuf> {
    let start = start
        .canonicalize()
        .map_err(|e| miette::miette!("cannot open {}: {e}", start.display()))?;
    start
        .ancestors()
        .find(|dir| dir.join(config::FILE_NAME).is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            miette::miette!(
                help = "run `aims init` to create an AIMS here, or pass `-C DIR` to point at one",
                "no {} in {} or any parent directory",
                config::FILE_NAME,
                start.display()
            )
        })
}

impl Workspace {
    /// Reads the configuration and every controlled document under `root`.
    /// In a sparse checkout, the controlled files outside it (not in the
    /// working tree) are read as the index holds them, as git takes them.
    pub fn open(root: &Path) -> miette::Result<Workspace> {
        let config = Config::load(root)?;
        let mut loaded = Vec::new();
        let files = matching_files(root, &config)?;
        for rel in &files {
            let full = root.join(rel);
            let is_prd = config.classify_path(rel) == Some(true);
            loaded.push(read(&full, rel, is_prd));
        }
        if let Some(repo) = sparse_checkout(root) {
            let outside = outside_checkout(root, &repo, &config, &files)?;
            if !outside.is_empty() {
                for entry in outside {
                    let is_prd = config.classify_path(&entry.0) == Some(true);
                    loaded.push(load_blob(&repo, entry.0, entry.1, entry.2, is_prd)?);
                }
                loaded.sort_by(|a, b| a.path().cmp(b.path()));
            }
        }
        Ok(Workspace {
            root: root.to_path_buf(),
            config,
            loaded,
            unread: 0,
            sources: Vec::new(),
            context: 0,
        })
    }

    /// Reads the configuration and every controlled document as they were
    /// in a commit's tree (for `--as-of`), not as the working tree has them.
    pub fn from_tree(
        root: &Path,
        repo: &git2::Repository,
        tree: &git2::Tree<'_>,
    ) -> miette::Result<Workspace> {
        let read = crate::history::blob_at(repo, tree, config::FILE_NAME)
            .map_err(|e| miette::miette!("cannot read {} from git: {e}", config::FILE_NAME))?;
        let Some((_, bytes)) = read else {
            miette::bail!(
                help = "pick a later date or commit",
                "there was no {} at the top of the repository then",
                config::FILE_NAME
            );
        };
        let config = config_from_bytes(&bytes, "at that commit")?;
        let mut loaded = Vec::new();
        let mut failure = None;
        let walked = tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            let Ok(name) = entry.name() else {
                return git2::TreeWalkResult::Ok;
            };
            let rel = format!("{dir}{name}");
            if entry.kind() != Some(git2::ObjectType::Blob) {
                return git2::TreeWalkResult::Ok;
            }
            let Some(is_prd) = config.classify_path(&rel) else {
                return git2::TreeWalkResult::Ok;
            };
            match load_blob(repo, rel, entry.id(), entry.filemode() as u32, is_prd) {
                Ok(l) => loaded.push(l),
                Err(e) => {
                    failure = Some(e);
                    return git2::TreeWalkResult::Abort;
                }
            }
            git2::TreeWalkResult::Ok
        });
        if let Some(e) = failure {
            return Err(e);
        }
        walked.map_err(|e| miette::miette!("cannot walk the tree: {e}"))?;
        loaded.sort_by(|a, b| a.path().cmp(b.path()));
        Ok(Workspace {
            root: root.to_path_buf(),
            config,
            loaded,
            unread: 0,
            sources: Vec::new(),
            context: 0,
        })
    }

    /// Reads the staged documents the pre-commit gate judges (`judged`
    /// says which paths) and every other file that carries one of their
    /// ids, in full; the other files are known by the id and kind they
    /// declare only (see `history::cache::Identities`), which is all the
    /// document rules need of them to resolve references. Returns, with
    /// the workspace, every file's id and kind (None: no id, or not a
    /// document), in the order of `staged.files` (by path).
    pub fn from_index(
        root: &Path,
        repo: &git2::Repository,
        staged: &IndexFiles,
        judged: &dyn Fn(&str) -> bool,
    ) -> miette::Result<(Workspace, Vec<Identity>)> {
        use crate::history::cache::Identities;
        let (config, files) = (staged.config.clone(), &staged.files);
        let identity_of = |l: &Loaded| match l {
            Loaded::Document(d) => d
                .id()
                .map(|id| (id.to_owned(), d.kind_name().map(str::to_owned))),
            Loaded::Problem { .. } => None,
        };
        let mut loaded: Vec<Option<Loaded>> = Vec::with_capacity(files.len());
        let mut identities: Vec<Identity> = Vec::with_capacity(files.len());
        let mut ids: BTreeSet<String> = BTreeSet::new();
        for f in files {
            if judged(&f.path) {
                let l = load_blob(repo, f.path.clone(), f.id, f.mode, f.is_prd)?;
                let identity = identity_of(&l);
                if let Some((id, _)) = &identity {
                    ids.insert(id.clone());
                }
                loaded.push(Some(l));
                identities.push(identity);
            } else {
                loaded.push(None);
                identities.push(None);
            }
        }
        let mut known = Identities::open(repo);
        for (i, f) in files.iter().enumerate() {
            if f.mode == u32::from(git2::FileMode::Link) {
                continue; // a link (not followed): no id
            }
            if loaded[i].is_some() {
                // Read in full: remembered for the runs after its commit.
                known.get(&f.id);
                continue;
            }
            let identity = match known.get(&f.id) {
                Some(identity) => identity,
                None => {
                    let blob = repo
                        .find_blob(f.id)
                        .map_err(|e| miette::miette!("cannot read {} from git: {e}", f.path))?;
                    docs::identity(blob.content())
                }
            };
            // Another file with a judged document's id: its findings (and
            // the duplicate id) are reported too, so it is read in full.
            if identity.as_ref().is_some_and(|(id, _)| ids.contains(id)) {
                loaded[i] = Some(load_blob(repo, f.path.clone(), f.id, f.mode, f.is_prd)?);
            }
            identities[i] = identity;
        }
        known.save(
            files
                .iter()
                .zip(&identities)
                .filter(|(f, _)| f.mode != u32::from(git2::FileMode::Link))
                .map(|(f, identity)| (&f.id, identity)),
        );
        let unread = loaded.iter().filter(|l| l.is_none()).count();
        let mut loaded: Vec<Loaded> = loaded.into_iter().flatten().collect();
        loaded.sort_by(|a, b| a.path().cmp(b.path()));
        let ws = Workspace {
            root: root.to_path_buf(),
            config,
            loaded,
            unread,
            sources: Vec::new(),
            context: 0,
        };
        Ok((ws, identities))
    }

    /// How many files the `documents` and `prds` globs match (a product
    /// repository's: its own, not its upstream's).
    pub fn file_count(&self) -> usize {
        self.loaded.len() + self.unread - self.context
    }

    pub fn documents(&self) -> impl Iterator<Item = &Document> {
        self.loaded.iter().filter_map(|l| match l {
            Loaded::Document(d) => Some(d.as_ref()),
            Loaded::Problem { .. } => None,
        })
    }

    /// Id → document; where ids repeat, the first in path order.
    pub fn index(&self) -> Index<'_> {
        let mut index = Index::new();
        for doc in self.documents() {
            if let Some(id) = doc.id() {
                index.entry(id).or_insert(doc);
            }
        }
        index
    }

    /// The text of a loaded file, for diagnostics.
    pub fn source(&self, path: &str) -> Option<&str> {
        self.loaded
            .iter()
            .find(|l| l.path() == path)
            .map(|l| match l {
                Loaded::Document(d) => &*d.source,
                Loaded::Problem { source, .. } => &**source,
            })
    }
}

/// The id and kind a document declares (None: it declares no id, or is
/// not a document).
pub type Identity = Option<(String, Option<String>)>;

/// A controlled file as the index (the staging area) holds it, not read yet.
pub struct IndexFile {
    pub path: String,
    pub id: git2::Oid,
    pub mode: u32,
    pub is_prd: bool,
}

/// The staged configuration and the controlled files of the index: what
/// `git commit` is about to record, whatever the working tree says.
pub struct IndexFiles {
    pub config: Config,
    /// The staged `aims.toml`'s blob.
    pub config_blob: git2::Oid,
    /// Sorted by path.
    pub files: Vec<IndexFile>,
}

impl IndexFiles {
    /// The staged blob of `aims.toml` or of a controlled file.
    pub fn blob(&self, path: &str) -> Option<git2::Oid> {
        if path == config::FILE_NAME {
            return Some(self.config_blob);
        }
        self.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
            .map(|i| self.files[i].id)
    }
}

/// Reads the staged `aims.toml` and lists the controlled files the index
/// holds (none of them is read).
pub fn index_files(
    repo: &git2::Repository,
    index: &crate::history::index::Index,
) -> miette::Result<IndexFiles> {
    if let Some(c) = index.conflicted() {
        miette::bail!(
            help = "resolve the conflicts and `git add` the result, then commit",
            "the index has unresolved merge conflicts (first: {})",
            String::from_utf8_lossy(&c.path)
        );
    }
    let Some(config_entry) = index.get(config::FILE_NAME) else {
        miette::bail!(
            help = "`git add aims.toml`",
            "{} is not staged: the index has no {} at the top of the repository",
            config::FILE_NAME,
            config::FILE_NAME
        );
    };
    let bytes = repo
        .find_blob(config_entry.id)
        .map_err(|e| miette::miette!("cannot read the staged {}: {e}", config::FILE_NAME))?;
    let config = config_from_bytes(bytes.content(), "in the index")?;
    let mut files = Vec::new();
    for e in &index.entries {
        let Ok(rel) = std::str::from_utf8(&e.path) else {
            continue; // a name that is not UTF-8 matches no glob
        };
        let Some(is_prd) = config.classify_path(rel) else {
            continue;
        };
        files.push(IndexFile {
            path: rel.to_owned(),
            id: e.id,
            mode: e.mode,
            is_prd,
        });
    }
    // In the index's order already (by path bytes): made sure of.
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(IndexFiles {
        config,
        config_blob: config_entry.id,
        files,
    })
}

/// Files as the working tree at `root` has them, or, outside a sparse
/// checkout (skip-worktree, and no file there), as the index holds them,
/// as git takes them. The sparse checkout's index is read once, when a
/// file is first missing. The repository's loose objects were checked
/// when it was opened.
pub struct WorkingTree<'a> {
    root: &'a Path,
    sparse: std::cell::OnceCell<Option<(git2::Repository, crate::history::index::Index)>>,
}

impl<'a> WorkingTree<'a> {
    pub fn new(root: &'a Path) -> WorkingTree<'a> {
        WorkingTree {
            root,
            sparse: std::cell::OnceCell::new(),
        }
    }

    /// The file at `rel`; None when neither the working tree nor (outside
    /// a sparse checkout) the index has it.
    pub fn read(&self, rel: &str) -> Option<Vec<u8>> {
        if let Ok(bytes) = std::fs::read(self.root.join(rel)) {
            return Some(bytes);
        }
        let (repo, index) = self
            .sparse
            .get_or_init(|| {
                let repo = sparse_checkout(self.root)?;
                let index =
                    crate::history::index::Index::open(&repo, &repo.path().join("index")).ok()?;
                Some((repo, index))
            })
            .as_ref()?;
        let entry = index.get(rel).filter(|e| e.skip_worktree)?;
        repo.find_blob(entry.id).ok().map(|b| b.content().to_vec())
    }
}

/// The repository whose working tree `root` is the top of, when it is a
/// sparse checkout (`core.sparseCheckout`).
fn sparse_checkout(root: &Path) -> Option<git2::Repository> {
    // No repository here (most runs outside git stop at this status call).
    root.join(".git").symlink_metadata().ok()?;
    let repo = git2::Repository::open(root).ok()?;
    let sparse = repo.config().ok()?.get_bool("core.sparseCheckout").ok()?;
    let top = repo.workdir()?.canonicalize().ok()?;
    (sparse && top == root.canonicalize().ok()?).then_some(repo)
}

/// The controlled files the index holds outside the sparse checkout
/// (skip-worktree, and not in the working tree: one there is what the
/// reader sees), with their blob ids and modes. The loose objects are
/// checked first, as before any read of history.
fn outside_checkout(
    root: &Path,
    repo: &git2::Repository,
    config: &Config,
    on_disk: &BTreeSet<String>,
) -> miette::Result<Vec<(String, git2::Oid, u32)>> {
    let index = crate::history::index::Index::open(repo, &repo.path().join("index"))
        .map_err(|e| miette::miette!("{}", e.message()))?;
    let outside: Vec<(String, git2::Oid, u32)> = index
        .entries
        .iter()
        .filter(|e| e.stage == 0 && e.skip_worktree)
        .filter_map(|e| Some((std::str::from_utf8(&e.path).ok()?, e)))
        .filter(|(rel, _)| config.classify_path(rel).is_some() && !on_disk.contains(*rel))
        .filter(|(rel, _)| root.join(rel).symlink_metadata().is_err())
        .map(|(rel, e)| (rel.to_owned(), e.id, e.mode))
        .collect();
    if !outside.is_empty() {
        crate::control::check_objects(repo)?;
    }
    Ok(outside)
}

/// Parses `aims.toml` read from git (`when` says from where, for errors).
fn config_from_bytes(bytes: &[u8], when: &str) -> miette::Result<Config> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| miette::miette!("{} {when} is not UTF-8", config::FILE_NAME))?;
    Config::parse(text)
}

/// A controlled file read from a git blob: links are not followed.
fn load_blob(
    repo: &git2::Repository,
    rel: String,
    id: git2::Oid,
    mode: u32,
    is_prd: bool,
) -> miette::Result<Loaded> {
    if mode == u32::from(git2::FileMode::Link) {
        return Ok(Loaded::Problem {
            path: rel,
            source: "".into(),
            problem: Problem::Symlink,
        });
    }
    let blob = repo
        .find_blob(id)
        .map_err(|e| miette::miette!("cannot read {rel} from git: {e}"))?;
    Ok(docs::load(&rel, blob.content(), is_prd))
}

fn read(full: &Path, rel: &str, is_prd: bool) -> Loaded {
    let problem = |problem| Loaded::Problem {
        path: rel.to_owned(),
        source: "".into(),
        problem,
    };
    let meta = match std::fs::symlink_metadata(full) {
        Ok(m) => m,
        Err(e) => return problem(Problem::Io(e.to_string())),
    };
    if meta.file_type().is_symlink() {
        return problem(Problem::Symlink);
    }
    if meta.len() > MAX_DOCUMENT_BYTES as u64 {
        return problem(Problem::TooLarge { bytes: meta.len() });
    }
    match std::fs::read(full) {
        Ok(bytes) => docs::load(rel, &bytes, is_prd),
        Err(e) => problem(Problem::Io(e.to_string())),
    }
}

/// Repository-relative paths (`/`-separated, sorted) matched by the
/// configured globs. Only the directories the globs can reach are walked.
fn matching_files(root: &Path, config: &Config) -> miette::Result<BTreeSet<String>> {
    let mut bases: Vec<PathBuf> = config
        .documents
        .iter()
        .chain(&config.prds)
        .map(|g| PathBuf::from(literal_prefix(g)))
        .collect();
    bases.sort();
    bases.dedup();
    // A base inside another base is walked with it.
    let bases: Vec<&PathBuf> = bases
        .iter()
        .filter(|b| !bases.iter().any(|o| o != *b && b.starts_with(o)))
        .collect();
    let mut out = BTreeSet::new();
    for base in bases {
        let dir = root.join(base);
        if !dir.exists() {
            continue;
        }
        let walker = WalkDir::new(&dir)
            .follow_links(false)
            // A base directory that is a link could lead outside the repository.
            .follow_root_links(false)
            .into_iter()
            .filter_entry(|e| e.file_name() != ".git");
        for entry in walker {
            let entry = entry.map_err(|e| miette::miette!("cannot read {}: {e}", dir.display()))?;
            if entry.file_type().is_dir() {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(root) else {
                continue;
            };
            let rel = slash_path(rel);
            if config.classify_path(&rel).is_some() {
                out.insert(rel);
            }
        }
    }
    Ok(out)
}

/// A relative path as a repository path: components joined by `/`.
pub fn slash_path(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether `dir` (a repository path) is below `ancestor`.
pub fn is_below(dir: &str, ancestor: &str) -> bool {
    dir.strip_prefix(ancestor)
        .is_some_and(|r| r.starts_with('/'))
}

/// The directories a document glob can match below: each glob's literal
/// prefix (see [`literal_prefix`]).
pub fn glob_bases(config: &crate::config::Config) -> Vec<String> {
    config
        .documents
        .iter()
        .chain(&config.prds)
        .map(|g| literal_prefix(g))
        .collect()
}

/// Whether a directory can hold a file `bases` match: it is a base, below
/// one, or above one.
pub fn reaches(bases: &[String], dir: &str) -> bool {
    bases
        .iter()
        .any(|b| b.is_empty() || b == dir || is_below(b, dir) || is_below(dir, b))
}

/// The directory part of a glob before its first wildcard: `aims/**/*.md` →
/// `aims`, `**/*.md` → ``. Also where `aims new` writes documents.
pub fn literal_prefix(glob: &str) -> String {
    let parts: Vec<&str> = glob.split('/').collect();
    parts[..parts.len().saturating_sub(1)]
        .iter()
        .take_while(|p| !p.contains(['*', '?', '[', '{', '\\']))
        .copied()
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(literal_prefix("aims/**/*.md"), "aims");
        assert_eq!(literal_prefix("docs/prd/*.md"), "docs/prd");
        assert_eq!(literal_prefix("**/*.md"), "");
        assert_eq!(literal_prefix("policy.md"), "");
        assert_eq!(literal_prefix("a/{b,c}/*.md"), "a");
    }
}
