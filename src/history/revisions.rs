//! One pass over the commit graph: every controlled document's revisions,
//! keyed by document id, so history follows a document through renames and
//! moves. Never one `git log` per file; never a skipped commit: every git
//! error propagates.

use std::collections::{BTreeMap, HashMap};

use git2::{Oid, Repository, Sort};

use crate::config::Config;
use crate::docs::{self, Loaded};

/// The error for a shallow clone, with the fix.
pub const SHALLOW: &str = "this is a shallow clone, so document history is incomplete and versions \
    cannot be derived; fetch the full history (`git fetch --unshallow --tags`, or \
    `fetch-depth: 0` in actions/checkout)";

/// One change to a document's content or location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    pub commit: String,
    pub author_name: String,
    pub author_email: String,
    pub committer_email: String,
    /// Commit time, Unix seconds.
    pub time: i64,
    /// Blob id of the document's content at this revision.
    pub blob: String,
    pub path: String,
}

/// Document id → revisions, oldest first.
#[derive(Debug, Default)]
pub struct Revisions {
    pub by_id: BTreeMap<String, Vec<Revision>>,
    /// Revisions of the plain files asked for by path (the configuration
    /// and its trust root), oldest first.
    pub files: BTreeMap<String, Vec<Revision>>,
    /// `Approved-by:` / `Reviewed-by:` trailers of commits that change
    /// controlled documents, oldest first (not yet verified).
    pub signoffs: Vec<super::signoffs::SignOff>,
    /// Commits walked.
    pub commits: usize,
}

/// Walks every commit reachable from `head`, oldest first, and records each
/// commit that adds, changes or moves a controlled document (compared with
/// its first parent), and each change to one of the `files` (paths).
///
/// A shallow clone is refused: its history is cut, so versions and approvals
/// derived from it would be wrong, and wrong evidence is worse than none.
pub fn walk(
    repo: &Repository,
    head: Oid,
    config: &Config,
    files: &[&str],
) -> Result<Revisions, git2::Error> {
    if repo.is_shallow() {
        return Err(git2::Error::from_str(SHALLOW));
    }
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    walk.push(head)?;
    // A blob's id decides its document id: parse each blob once.
    let mut ids: HashMap<Oid, Option<String>> = HashMap::new();
    // Only directories a glob or a tracked file can reach are descended:
    // everything below and above a glob's literal prefix, and only the
    // directories above a tracked file (aims.toml at the top needs none).
    let bases: Vec<String> = config
        .documents
        .iter()
        .chain(&config.prds)
        .map(|g| crate::workspace::literal_prefix(g))
        .collect();
    let file_dirs: Vec<&str> = files
        .iter()
        .filter_map(|f| f.rsplit_once('/').map(|(d, _)| d))
        .collect();
    let below = |dir: &str, ancestor: &str| {
        dir.strip_prefix(ancestor)
            .is_some_and(|r| r.starts_with('/'))
    };
    let could_hold = |dir: &str| {
        bases
            .iter()
            .any(|b| b.is_empty() || b == dir || below(b, dir) || below(dir, b))
            || file_dirs.iter().any(|d| *d == dir || below(d, dir))
    };
    let mut changes = Vec::new();
    let mut out = Revisions::default();
    for oid in walk {
        let oid = oid?;
        out.commits += 1;
        let commit = repo.find_commit(oid)?;
        let tree = commit.tree()?;
        let parent_tree = match commit.parent_count() {
            0 => None,
            _ => Some(commit.parent(0)?.tree()?),
        };
        changes.clear();
        let mut touched = Vec::new();
        changed_blobs(
            repo,
            parent_tree.as_ref(),
            &tree,
            "",
            &could_hold,
            &mut changes,
        )?;
        for (path, blob_id) in &changes {
            let (path, blob_id) = (path.as_str(), *blob_id);
            if files.contains(&path) {
                let revisions = out.files.entry(path.to_owned()).or_default();
                push(revisions, &commit, blob_id, path);
                continue;
            }
            let Some(is_prd) = config.classify_path(path) else {
                continue;
            };
            let id = match ids.get(&blob_id) {
                Some(id) => id.clone(),
                None => {
                    let blob = repo.find_blob(blob_id)?;
                    let id = match docs::load(path, blob.content(), is_prd) {
                        Loaded::Document(d) => d.id().map(str::to_owned),
                        Loaded::Problem { .. } => None,
                    };
                    ids.insert(blob_id, id.clone());
                    id
                }
            };
            let Some(id) = id else { continue };
            touched.push((id.clone(), path.to_owned(), blob_id.to_string()));
            push(out.by_id.entry(id).or_default(), &commit, blob_id, path);
        }
        if !touched.is_empty() {
            out.signoffs
                .extend(super::signoffs::of_commit(repo, &commit, touched)?);
        }
    }
    Ok(out)
}

/// The blobs `new` adds or changes relative to `old` (paths under `prefix`),
/// descending only into subtrees whose id differs and that `could_hold`
/// admits: the same pruning git's own tree diff does, without libgit2's
/// full-tree iteration.
fn changed_blobs(
    repo: &Repository,
    old: Option<&git2::Tree<'_>>,
    new: &git2::Tree<'_>,
    prefix: &str,
    could_hold: &dyn Fn(&str) -> bool,
    out: &mut Vec<(String, Oid)>,
) -> Result<(), git2::Error> {
    for entry in new.iter() {
        // A name that is not UTF-8 matches no glob.
        let Ok(name) = entry.name() else { continue };
        let before = old.and_then(|t| t.get_name(name));
        if before
            .as_ref()
            .is_some_and(|b| b.id() == entry.id() && b.kind() == entry.kind())
        {
            continue;
        }
        let path = if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}/{name}")
        };
        match entry.kind() {
            Some(git2::ObjectType::Tree) => {
                if !could_hold(&path) {
                    continue;
                }
                let subtree = repo.find_tree(entry.id())?;
                let old_subtree = match &before {
                    Some(b) if b.kind() == Some(git2::ObjectType::Tree) => {
                        Some(repo.find_tree(b.id())?)
                    }
                    _ => None,
                };
                changed_blobs(repo, old_subtree.as_ref(), &subtree, &path, could_hold, out)?;
            }
            Some(git2::ObjectType::Blob) => out.push((path, entry.id())),
            // Submodules (commits) hold no documents.
            _ => {}
        }
    }
    Ok(())
}

/// Records a revision unless it repeats the last one (a merge bringing in
/// content the branch already had).
fn push(revisions: &mut Vec<Revision>, commit: &git2::Commit<'_>, blob: Oid, path: &str) {
    let blob = blob.to_string();
    if revisions
        .last()
        .is_some_and(|r| r.blob == blob && r.path == path)
    {
        return;
    }
    let author = commit.author();
    revisions.push(Revision {
        commit: commit.id().to_string(),
        author_name: author.name().unwrap_or_default().to_owned(),
        author_email: author.email().unwrap_or_default().to_owned(),
        committer_email: commit.committer().email().unwrap_or_default().to_owned(),
        time: commit.time().seconds(),
        blob,
        path: path.to_owned(),
    });
}
