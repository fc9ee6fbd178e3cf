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

/// One change to a document's content or location, or its removal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revision {
    pub commit: String,
    pub author_name: String,
    pub author_email: String,
    pub committer_email: String,
    /// Commit time, Unix seconds.
    pub time: i64,
    /// Blob id of the document's content at this revision;
    /// [`NO_CONTENT`] when the commit removed the document (deleted the
    /// file, or left it without a readable frontmatter or without this id).
    pub blob: String,
    /// Where the document was (for a removal: where it was last).
    pub path: String,
    /// The `kind` the content declares (None for a removal, or none given).
    pub kind: Option<String>,
}

impl Revision {
    /// Whether this revision removed the document.
    pub fn is_removal(&self) -> bool {
        self.blob == NO_CONTENT
    }
}

pub use super::tag::NO_CONTENT;

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
    /// First commits (no parent) whose tree has aims.toml: more than one
    /// means an unrelated history was merged in.
    pub roots_with_config: usize,
}

/// Walks every commit reachable from `head`, oldest first, and records each
/// commit that adds, changes, moves or removes a controlled document
/// (compared with its first parent), and each change to one of the `files`
/// (paths). A document is removed when its id leaves the path it was at
/// and the commit does not carry it elsewhere: the file is deleted, or its
/// frontmatter no longer reads, or it now holds another id.
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
    // A blob's content decides its document id and kind: parse each once.
    let mut ids: HashMap<Oid, Option<(String, Option<String>)>> = HashMap::new();
    // Only directories a glob or a tracked file can reach are descended:
    // everything below and above a glob's literal prefix, and only the
    // directories above a tracked file (aims.toml at the top needs none).
    let bases = crate::workspace::glob_bases(config);
    let file_dirs: Vec<&str> = files
        .iter()
        .filter_map(|f| f.rsplit_once('/').map(|(d, _)| d))
        .collect();
    let could_hold = |dir: &str| {
        crate::workspace::reaches(&bases, dir)
            || file_dirs
                .iter()
                .any(|d| *d == dir || crate::workspace::is_below(d, dir))
    };
    let mut changes = Vec::new();
    let mut out = Revisions::default();
    for oid in walk {
        let oid = oid?;
        out.commits += 1;
        let commit = repo.find_commit(oid)?;
        let tree = commit.tree()?;
        let parent_tree = match commit.parent_count() {
            0 => {
                if tree.get_name(crate::config::FILE_NAME).is_some() {
                    out.roots_with_config += 1;
                }
                None
            }
            _ => Some(commit.parent(0)?.tree()?),
        };
        changes.clear();
        let mut touched = Vec::new();
        changed_blobs(
            repo,
            parent_tree.as_ref(),
            Some(&tree),
            "",
            &could_hold,
            &mut changes,
        )?;
        let mut gone: Vec<(String, String)> = Vec::new();
        for change in &changes {
            let path = change.path.as_str();
            if files.contains(&path) {
                let revisions = out.files.entry(path.to_owned()).or_default();
                let blob = change.new.map_or(NO_CONTENT.to_owned(), |b| b.to_string());
                push(revisions, &commit, blob, path, None);
                continue;
            }
            let Some(is_prd) = config.classify_path(path) else {
                continue;
            };
            let mut identify =
                |blob: Oid| -> Result<Option<(String, Option<String>)>, git2::Error> {
                    if let Some(known) = ids.get(&blob) {
                        return Ok(known.clone());
                    }
                    let content = repo.find_blob(blob)?;
                    let found = match docs::load(path, content.content(), is_prd) {
                        Loaded::Document(d) => d
                            .id()
                            .map(|id| (id.to_owned(), d.kind_name().map(str::to_owned))),
                        Loaded::Problem { .. } => None,
                    };
                    ids.insert(blob, found.clone());
                    Ok(found)
                };
            let new = match change.new {
                Some(b) => identify(b)?,
                None => None,
            };
            let old = match change.old {
                Some(b) => identify(b)?.map(|(id, _)| id),
                None => None,
            };
            if let (Some(old), Some((new_id, _))) = (&old, &new)
                && old == new_id
            {
                // Changed in place: the new content below is the revision.
            } else if let Some(old) = old {
                gone.push((old, path.to_owned()));
            }
            let (Some((id, kind)), Some(blob)) = (new, change.new) else {
                continue;
            };
            touched.push((id.clone(), path.to_owned(), blob.to_string()));
            push(
                out.by_id.entry(id).or_default(),
                &commit,
                blob.to_string(),
                path,
                kind,
            );
        }
        // An id that left its path and reached no other in this commit.
        for (id, path) in gone {
            if touched.iter().any(|(t, _, _)| *t == id) {
                continue; // moved
            }
            let revisions = out.by_id.entry(id).or_default();
            // A removal matters once the document had content on the branch.
            if revisions.last().is_some_and(|r| !r.is_removal()) {
                push(revisions, &commit, NO_CONTENT.to_owned(), &path, None);
            }
        }
        if !touched.is_empty() {
            out.signoffs
                .extend(super::signoffs::of_commit(repo, &commit, touched)?);
        }
    }
    Ok(out)
}

/// One path whose blob differs between two trees.
#[derive(Debug)]
struct Change {
    path: String,
    /// The blob before (None: no file there).
    old: Option<Oid>,
    /// The blob after (None: removed).
    new: Option<Oid>,
}

/// The blobs that differ between `old` and `new` (paths under `prefix`),
/// descending only into subtrees whose id differs and that `could_hold`
/// admits: the same pruning git's own tree diff does, without libgit2's
/// full-tree iteration. A missing tree stands for an empty one.
fn changed_blobs(
    repo: &Repository,
    old: Option<&git2::Tree<'_>>,
    new: Option<&git2::Tree<'_>>,
    prefix: &str,
    could_hold: &dyn Fn(&str) -> bool,
    out: &mut Vec<Change>,
) -> Result<(), git2::Error> {
    let join = |name: &str| join_path(prefix, name);
    let old_entries: Vec<git2::TreeEntry<'_>> = old.map(|t| t.iter().collect()).unwrap_or_default();
    let new_entries: Vec<git2::TreeEntry<'_>> = new.map(|t| t.iter().collect()).unwrap_or_default();
    let sorted = |v: &[git2::TreeEntry<'_>]| v.windows(2).all(|w| git_order(&w[0], &w[1]).is_lt());
    if !sorted(&old_entries) || !sorted(&new_entries) {
        // Not in git's order (a malformed tree): pair entries by name.
        return changed_blobs_by_name(repo, old, new, prefix, could_hold, out);
    }
    // Both lists are in git's order: walk them together.
    let (mut i, mut j) = (0, 0);
    while i < old_entries.len() || j < new_entries.len() {
        let order = match (old_entries.get(i), new_entries.get(j)) {
            (Some(a), Some(b)) => git_order(a, b),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        let (before, after) = match order {
            std::cmp::Ordering::Less => {
                i += 1;
                (Some(&old_entries[i - 1]), None)
            }
            std::cmp::Ordering::Greater => {
                j += 1;
                (None, Some(&new_entries[j - 1]))
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
                let (a, b) = (&old_entries[i - 1], &new_entries[j - 1]);
                if a.id() == b.id() {
                    continue;
                }
                (Some(a), Some(b))
            }
        };
        let Some(name) = after.or(before).and_then(|e| e.name().ok()) else {
            continue; // a name that is not UTF-8 matches no glob
        };
        changed_entry(repo, before, after, &join(name), could_hold, out)?;
    }
    Ok(())
}

/// `prefix/name`, or `name` at the top.
fn join_path(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

/// git's tree order: by name bytes, a directory as if its name ended in `/`.
fn git_order(a: &git2::TreeEntry<'_>, b: &git2::TreeEntry<'_>) -> std::cmp::Ordering {
    let (an, bn) = (a.name_bytes(), b.name_bytes());
    let common = an.len().min(bn.len());
    an[..common].cmp(&bn[..common]).then_with(|| {
        let end = |n: &[u8], e: &git2::TreeEntry<'_>| {
            n.get(common)
                .copied()
                .unwrap_or(if e.kind() == Some(git2::ObjectType::Tree) {
                    b'/'
                } else {
                    0
                })
        };
        end(an, a).cmp(&end(bn, b))
    })
}

/// One entry that differs: its blob change, and its subtree's changes.
fn changed_entry(
    repo: &Repository,
    before: Option<&git2::TreeEntry<'_>>,
    after: Option<&git2::TreeEntry<'_>>,
    path: &str,
    could_hold: &dyn Fn(&str) -> bool,
    out: &mut Vec<Change>,
) -> Result<(), git2::Error> {
    let blob = |e: &git2::TreeEntry<'_>| (e.kind() == Some(git2::ObjectType::Blob)).then(|| e.id());
    let (old_blob, new_blob) = (before.and_then(blob), after.and_then(blob));
    if old_blob.is_some() || new_blob.is_some() {
        out.push(Change {
            path: path.to_owned(),
            old: old_blob,
            new: new_blob,
        });
    }
    let is_tree = |e: &&git2::TreeEntry<'_>| e.kind() == Some(git2::ObjectType::Tree);
    let (old_tree, new_tree) = (before.filter(is_tree), after.filter(is_tree));
    // Submodules (commits) hold no documents and are skipped.
    if (old_tree.is_some() || new_tree.is_some()) && could_hold(path) {
        let old_tree = old_tree.map(|e| repo.find_tree(e.id())).transpose()?;
        let new_tree = new_tree.map(|e| repo.find_tree(e.id())).transpose()?;
        changed_blobs(
            repo,
            old_tree.as_ref(),
            new_tree.as_ref(),
            path,
            could_hold,
            out,
        )?;
    }
    Ok(())
}

/// [`changed_blobs`] for trees whose entries are not in git's order:
/// entries paired by name lookup.
fn changed_blobs_by_name(
    repo: &Repository,
    old: Option<&git2::Tree<'_>>,
    new: Option<&git2::Tree<'_>>,
    prefix: &str,
    could_hold: &dyn Fn(&str) -> bool,
    out: &mut Vec<Change>,
) -> Result<(), git2::Error> {
    let join = |name: &str| join_path(prefix, name);
    if let Some(new) = new {
        for entry in new.iter() {
            let Ok(name) = entry.name() else { continue };
            let before = old.and_then(|t| t.get_name(name));
            if before
                .as_ref()
                .is_some_and(|b| b.id() == entry.id() && b.kind() == entry.kind())
            {
                continue;
            }
            changed_entry(
                repo,
                before.as_ref(),
                Some(&entry),
                &join(name),
                could_hold,
                out,
            )?;
        }
    }
    if let Some(old) = old {
        for entry in old.iter() {
            let Ok(name) = entry.name() else { continue };
            if new.is_some_and(|t| t.get_name(name).is_some()) {
                continue;
            }
            changed_entry(repo, Some(&entry), None, &join(name), could_hold, out)?;
        }
    }
    Ok(())
}

/// Records a revision unless it repeats the last one (a merge bringing in
/// content the branch already had).
fn push(
    revisions: &mut Vec<Revision>,
    commit: &git2::Commit<'_>,
    blob: String,
    path: &str,
    kind: Option<String>,
) {
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
        kind,
    });
}
