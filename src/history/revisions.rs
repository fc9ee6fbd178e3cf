//! One pass over the commit graph: every controlled document's revisions,
//! keyed by document id, so history follows a document through renames and
//! moves. Never one `git log` per file; never a skipped commit: every git
//! error propagates.

use std::collections::{BTreeMap, HashMap};

use git2::{Oid, Repository, Sort};

use crate::config::Config;
use crate::docs;

/// The error for a shallow clone, with the fix.
pub const SHALLOW: &str = "this is a shallow clone, so document history is incomplete and versions \
    cannot be derived; fetch the full history (`git fetch --unshallow --tags`, or \
    `fetch-depth: 0` in actions/checkout)";

/// One change to a document's content or location, or its removal. The
/// texts are shared, not copied, when a register takes a document's
/// revisions from the walk (thousands of documents, each run).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Revision {
    pub commit: Text,
    pub author_name: Text,
    pub author_email: Text,
    pub committer_email: Text,
    /// Commit time, Unix seconds.
    pub time: i64,
    /// Blob id of the document's content at this revision;
    /// [`NO_CONTENT`] when the commit removed the document (deleted the
    /// file, or left it without a readable frontmatter or without this id).
    pub blob: Text,
    /// Where the document was (for a removal: where it was last).
    pub path: Text,
    /// The `kind` the content declares (None for a removal, or none given).
    pub kind: Option<Text>,
}

/// A shared, immutable text: a clone shares it, compares as a `str`.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Text(std::sync::Arc<str>);

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&*self.0, f)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text(s.into())
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text(s.into())
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Text {
        Text(s.as_str().into())
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        **self == *other.0
    }
}

impl Revision {
    /// Whether this revision removed the document.
    pub fn is_removal(&self) -> bool {
        self.blob == NO_CONTENT
    }
}

pub use super::tag::NO_CONTENT;

/// Document id → revisions, oldest first.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
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

/// Each commit's first parent, and the commits whose top-level entries
/// holding the trust files (`tops`: aims.toml's, and the first folder of
/// each trust file's path) differ from their first parent's: where the
/// trust files may have changed, found by a whole walk at no extra read.
#[derive(Debug, Default)]
struct Lineage {
    tops: Vec<String>,
    first_parent: HashMap<Oid, Option<Oid>>,
    touched: std::collections::HashSet<Oid>,
}

impl Lineage {
    /// The first-parent commits from `head` where one of `tops` changed,
    /// oldest first; None when `head` was not walked.
    fn points(&self, head: Oid) -> Option<Vec<Oid>> {
        let mut out = Vec::new();
        let mut at = Some(head);
        while let Some(commit) = at {
            if self.touched.contains(&commit) {
                out.push(commit);
            }
            at = *self.first_parent.get(&commit)?;
        }
        out.reverse();
        Some(out)
    }
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
    walk_from(repo, head, config, files, None)
}

/// [`walk`], learning the [`Lineage`] on the way.
fn walk_learning(
    repo: &Repository,
    head: Oid,
    config: &Config,
    files: &[&str],
) -> Result<(Revisions, Lineage), git2::Error> {
    let mut lineage = Lineage::default();
    let revisions = walk_into(repo, head, config, files, None, Some(&mut lineage))?;
    Ok((revisions, lineage))
}

/// [`walk`], continued from `start`: the walk from an ancestor of `head`
/// (its result, with the same `config` and `files`), to which only the
/// commits after it are added. The caller makes sure the result is a full
/// walk's (see `history::cache`).
pub fn walk_from(
    repo: &Repository,
    head: Oid,
    config: &Config,
    files: &[&str],
    start: Option<(Oid, Revisions)>,
) -> Result<Revisions, git2::Error> {
    walk_into(repo, head, config, files, start, None)
}

/// [`walk_from`], filling `lineage` when given (a whole walk: `start` is
/// None).
fn walk_into(
    repo: &Repository,
    head: Oid,
    config: &Config,
    files: &[&str],
    start: Option<(Oid, Revisions)>,
    mut lineage: Option<&mut Lineage>,
) -> Result<Revisions, git2::Error> {
    if repo.is_shallow() {
        return Err(git2::Error::from_str(SHALLOW));
    }
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    walk.push(head)?;
    let mut out = Revisions::default();
    if let Some((base, revisions)) = start {
        walk.hide(base)?;
        out = revisions;
    }
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
    let mut trees = Trees::new(repo);
    // Each walked commit's tree: its children (walked after it) find their
    // parent's tree here rather than by reading the parent again.
    let mut tree_of: HashMap<Oid, Oid> = HashMap::new();
    let mut tops: Vec<String> = std::iter::once(crate::config::FILE_NAME)
        .chain(files.iter().filter_map(|f| f.split('/').next()))
        // (git2 cannot look up a name holding a NUL: such a path is
        // refused where the trust files are read.)
        .filter(|t| !t.is_empty() && !t.contains('\0'))
        .map(str::to_owned)
        .collect();
    tops.sort();
    tops.dedup();
    let tops_differ = |a: &git2::Tree<'_>, b: &git2::Tree<'_>| {
        let id = |tree: &git2::Tree<'_>, top: &str| tree.get_name(top).map(|e| e.id());
        tops.iter().any(|t| id(a, t) != id(b, t))
    };
    for oid in walk {
        let oid = oid?;
        out.commits += 1;
        let commit = repo.find_commit(oid)?;
        let tree = trees.get("", commit.tree_id())?;
        tree_of.insert(oid, commit.tree_id());
        let parent_tree = match commit.parent_count() {
            0 => {
                if tree.get_name(crate::config::FILE_NAME).is_some() {
                    out.roots_with_config += 1;
                }
                None
            }
            _ => {
                let parent = commit.parent_id(0)?;
                let parent_tree = match tree_of.get(&parent) {
                    Some(t) => *t,
                    None => repo.find_commit(parent)?.tree_id(), // below the cached walk
                };
                Some(trees.get("", parent_tree)?)
            }
        };
        if let Some(lineage) = lineage.as_deref_mut() {
            lineage.first_parent.insert(oid, commit.parent_ids().next());
            if parent_tree.as_ref().is_none_or(|p| tops_differ(p, &tree)) {
                lineage.touched.insert(oid);
            }
        }
        trees.keep("", &tree);
        changes.clear();
        let mut touched = Vec::new();
        changed_blobs(
            &mut trees,
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
            if config.classify_path(path).is_none() {
                continue;
            }
            let mut identify =
                |blob: Oid| -> Result<Option<(String, Option<String>)>, git2::Error> {
                    if let Some(known) = ids.get(&blob) {
                        return Ok(known.clone());
                    }
                    let content = repo.find_blob(blob)?;
                    let found = docs::identity(content.content());
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
    if let Some(lineage) = lineage {
        lineage.tops = tops;
    }
    Ok(out)
}

/// The last tree read at each path. A commit's old side is, almost always,
/// the tree its parent had, read as the parent's new side one commit
/// earlier: kept here, it is not read and inflated twice. libgit2's own
/// object cache is off (see `crate::tune`), so this is what keeps the walk
/// from reading each tree twice, with memory bounded by the number of
/// folders.
struct Trees<'r> {
    repo: &'r Repository,
    by_path: HashMap<String, git2::Tree<'r>>,
}

impl<'r> Trees<'r> {
    fn new(repo: &'r Repository) -> Trees<'r> {
        Trees {
            repo,
            by_path: HashMap::new(),
        }
    }

    /// The tree `id` (last seen at `path`, or read).
    fn get(&mut self, path: &str, id: Oid) -> Result<git2::Tree<'r>, git2::Error> {
        match self.by_path.get(path) {
            Some(t) if t.id() == id => Ok(t.clone()),
            _ => self.repo.find_tree(id),
        }
    }

    /// Remembers `tree` as the one now at `path`.
    fn keep(&mut self, path: &str, tree: &git2::Tree<'r>) {
        match self.by_path.get_mut(path) {
            Some(t) => *t = tree.clone(),
            None => {
                self.by_path.insert(path.to_owned(), tree.clone());
            }
        }
    }
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
fn changed_blobs<'r>(
    trees: &mut Trees<'r>,
    old: Option<&git2::Tree<'r>>,
    new: Option<&git2::Tree<'r>>,
    prefix: &str,
    could_hold: &dyn Fn(&str) -> bool,
    out: &mut Vec<Change>,
) -> Result<(), git2::Error> {
    let join = |name: &str| join_path(prefix, name);
    // Each entry's name and kind are read from libgit2 once (a name costs
    // a strlen per call), into one buffer per tree, then compared in Rust.
    let (old_entries, new_entries) = (Listed::of(old), Listed::of(new));
    if !old_entries.sorted() || !new_entries.sorted() {
        // Not in git's order (a malformed tree): pair entries by name.
        return changed_blobs_by_name(trees, old, new, prefix, could_hold, out);
    }
    // Both lists are in git's order: walk them together.
    let (mut i, mut j) = (0, 0);
    while i < old_entries.len() || j < new_entries.len() {
        let order = match (i < old_entries.len(), j < new_entries.len()) {
            (true, true) => git_order(old_entries.key(i), new_entries.key(j)),
            (true, false) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        let (before, after) = match order {
            std::cmp::Ordering::Less => {
                i += 1;
                (Some(&old_entries.entries[i - 1]), None)
            }
            std::cmp::Ordering::Greater => {
                j += 1;
                (None, Some(&new_entries.entries[j - 1]))
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
                let (a, b) = (&old_entries.entries[i - 1], &new_entries.entries[j - 1]);
                if a.id() == b.id() {
                    continue;
                }
                (Some(a), Some(b))
            }
        };
        let Some(name) = after.or(before).and_then(|e| e.name().ok()) else {
            continue; // a name that is not UTF-8 matches no glob
        };
        changed_entry(trees, before, after, &join(name), could_hold, out)?;
    }
    Ok(())
}

/// A tree's entries with their names (in one buffer) and kinds read once.
struct Listed<'t> {
    entries: Vec<git2::TreeEntry<'t>>,
    names: Vec<u8>,
    /// Per entry: where its name is in `names`, and whether it is a tree.
    keys: Vec<(usize, usize, bool)>,
}

impl<'t> Listed<'t> {
    fn of(tree: Option<&'t git2::Tree<'_>>) -> Listed<'t> {
        // Sized once: a folder of a hundred documents is listed twice per
        // commit that changes one of them.
        let n = tree.map_or(0, |t| t.len());
        let mut l = Listed {
            entries: Vec::with_capacity(n),
            names: Vec::with_capacity(n * 24),
            keys: Vec::with_capacity(n),
        };
        for e in tree.iter().flat_map(|t| t.iter()) {
            let start = l.names.len();
            l.names.extend_from_slice(e.name_bytes());
            let tree = e.kind() == Some(git2::ObjectType::Tree);
            l.keys.push((start, l.names.len(), tree));
            l.entries.push(e);
        }
        l
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn key(&self, i: usize) -> (&[u8], bool) {
        let (a, b, tree) = self.keys[i];
        (&self.names[a..b], tree)
    }

    fn sorted(&self) -> bool {
        (1..self.len()).all(|i| git_order(self.key(i - 1), self.key(i)).is_lt())
    }
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
fn git_order((an, a_tree): (&[u8], bool), (bn, b_tree): (&[u8], bool)) -> std::cmp::Ordering {
    let common = an.len().min(bn.len());
    an[..common].cmp(&bn[..common]).then_with(|| {
        let end = |n: &[u8], tree: bool| {
            n.get(common)
                .copied()
                .unwrap_or(if tree { b'/' } else { 0 })
        };
        end(an, a_tree).cmp(&end(bn, b_tree))
    })
}

/// One entry that differs: its blob change, and its subtree's changes.
fn changed_entry<'r>(
    trees: &mut Trees<'r>,
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
        let old_tree = old_tree.map(|e| trees.get(path, e.id())).transpose()?;
        let new_tree = new_tree.map(|e| trees.get(path, e.id())).transpose()?;
        if let Some(t) = &new_tree {
            trees.keep(path, t);
        }
        changed_blobs(
            trees,
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
fn changed_blobs_by_name<'r>(
    trees: &mut Trees<'r>,
    old: Option<&git2::Tree<'r>>,
    new: Option<&git2::Tree<'r>>,
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
                trees,
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
            changed_entry(trees, Some(&entry), None, &join(name), could_hold, out)?;
        }
    }
    Ok(())
}

/// The walk from `head`, from the cache where it can (see
/// `history::cache`). `full`, when given, is the whole configuration of a
/// caller that walks a narrowed one (the pre-commit gate): a cached full
/// walk then serves it (its revisions are a superset of the narrowed
/// walk's, for the same ids), and without one the narrowed walk is done
/// and not cached. `only` (with `full`) names the documents the caller
/// asks about: a cached walk of the very commit is read for those only
/// (their shards, see `history::cache`), so the rest of the result holds
/// some other documents' revisions or none.
pub fn walk_cached(
    repo: &Repository,
    head: Oid,
    config: &Config,
    full: Option<&Config>,
    files: &[&str],
    only: Option<&std::collections::BTreeSet<String>>,
) -> Result<Walked, git2::Error> {
    use super::cache::{self, Scope};
    if repo.is_shallow() {
        return Err(git2::Error::from_str(SHALLOW));
    }
    // A walk for the trust files alone (no document globs) has a small
    // entry of its own, which a full walk's store also writes.
    let trust_only = config.documents.is_empty() && config.prds.is_empty();
    let (scope, key_config) = match (trust_only, full) {
        (true, _) => (Scope::Trust, config),
        (false, Some(full)) => (Scope::Full, full),
        (false, None) => (Scope::Full, config),
    };
    let fingerprint = match scope {
        Scope::Trust => cache::trust_fingerprint(files),
        Scope::Full => cache::fingerprint(key_config, files),
    };
    // A narrowed walk's caller (the gate) needs the documents it asks
    // about only: a hit reads just their part of the cached walk.
    let only = only.filter(|_| full.is_some());
    if let Some(found) = cache::lookup(repo, scope, &fingerprint, head, only) {
        if found.since.is_empty() {
            return Ok(Walked {
                revisions: found.revisions,
                trust_points: Some(found.trust_points),
                covered: None,
                store: None,
            });
        }
        let revisions = walk_from(
            repo,
            head,
            key_config,
            files,
            Some((found.base, found.revisions)),
        )?;
        return Ok(Walked {
            revisions,
            trust_points: Some(found.trust_points),
            covered: None,
            store: Some((scope, fingerprint)),
        });
    }
    // Not cached: a narrowed walk (the gate's, for a few documents) is done
    // as asked and not kept; a full or trust-only one is kept.
    let narrowed = full.is_some() && !trust_only;
    let (revisions, lineage) = walk_learning(repo, head, config, files)?;
    let points = lineage.points(head);
    Ok(Walked {
        revisions,
        covered: points.is_some().then_some(lineage.tops),
        trust_points: points,
        store: (!narrowed).then_some((scope, fingerprint)),
    })
}

/// A walk's result, and what the cache needs to know of it.
pub struct Walked {
    pub revisions: Revisions,
    /// First-parent commits where the trust files may have changed (None:
    /// unknown, every first-parent commit is looked at).
    pub trust_points: Option<Vec<Oid>>,
    /// The top-level entries whose changes the trust points cover, when
    /// the walk found them ([`Lineage`]): a configuration keeping its
    /// trust files elsewhere has every first-parent commit looked at. None
    /// for the cache's points, which are where the files did change.
    pub covered: Option<Vec<String>>,
    /// Where to store the result, once the trust points are known (None:
    /// it came from the cache as it is, or is a narrowed walk).
    pub store: Option<(super::cache::Scope, String)>,
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
        commit: commit.id().to_string().into(),
        author_name: author.name().unwrap_or_default().into(),
        author_email: author.email().unwrap_or_default().into(),
        committer_email: commit.committer().email().unwrap_or_default().into(),
        time: commit.time().seconds(),
        blob: blob.into(),
        path: path.into(),
        kind: kind.map(Text::from),
    });
}
