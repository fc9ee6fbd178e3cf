//! The index (`.git/index`, or the file `GIT_INDEX_FILE` names), as the
//! pre-commit gate reads it: its entries, and which of the staged files
//! differ from HEAD's.
//!
//! Versions 2 to 4 with SHA-1 ids are read here, the way git reads them:
//! the trailing checksum is not recomputed (git checks it in `git fsck`,
//! not on ordinary reads), and git's cache of the trees the index would
//! write (the `TREE` extension) tells which folders are as HEAD has them,
//! so only the trees of folders with a staged change are read.
//!
//! - A split index (`git update-index --split-index`, `core.splitIndex`;
//!   the `link` extension) is the shared index it names
//!   (`sharedindex.<id>` in the git directory, or beside the index; its
//!   checksum must be that id) with the entries the bitmaps replace and
//!   delete, and the entries the index adds, merged as git merges them.
//!   One combination git itself misreads (a split index in a sparse
//!   checkout that asks for a sparse index) is refused, saying so.
//! - A sparse index (`index.sparse`, with a cone-mode sparse checkout; the
//!   `sdir` extension) holds whole folders outside the checkout as one
//!   entry each: they are expanded from their trees, as `git ls-files`
//!   expands them, so the gate sees every file a commit records.
//!
//! Anything else (a required extension aims does not know, a structure it
//! cannot follow) is left to libgit2, whose error is then the answer.
//!
//! Entries `git add -N` made (intent to add) are left out: `git commit`
//! does not record them.

use std::collections::HashMap;
use std::path::Path;

use git2::{ObjectType, Oid, Repository, Tree};

/// One entry: a path at a merge stage (0: no conflict).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: Vec<u8>,
    pub id: Oid,
    pub mode: u32,
    pub stage: u8,
    /// Outside a sparse checkout (git's skip-worktree): not in the working
    /// tree, and taken as the index holds it.
    pub skip_worktree: bool,
}

/// The entries, by path (and stage), and the cached trees when read here.
pub struct Index {
    pub entries: Vec<Entry>,
    tree: Option<Node>,
}

/// A folder of git's cached trees: its tree id when still valid (no
/// change under it since it was computed), and its subfolders by name.
#[derive(Debug)]
struct Node {
    id: Option<Oid>,
    children: HashMap<Vec<u8>, Node>,
}

/// Intent to add (`git add -N`), in an entry's extended flags.
const INTENT_TO_ADD: u16 = 1 << 13;
/// The entry has extended flags (from version 3), in its flags.
const EXTENDED: u16 = 0x4000;
/// Skip-worktree, in an entry's extended flags: outside the checkout.
const SKIP_WORKTREE: u16 = 1 << 14;

impl Index {
    /// The index at `path` of the repository `repo` (whose git directory
    /// holds a split index's shared part, and whose trees a sparse index's
    /// folders): read here when its form is one git writes, else by
    /// libgit2 (whose errors are the answer).
    pub fn open(repo: &Repository, path: &Path) -> Result<Index, git2::Error> {
        let cannot = |e: &dyn std::fmt::Display| {
            git2::Error::from_str(&format!("cannot read the index {}: {e}", path.display()))
        };
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            // No index yet (a repository nothing was ever added to): as
            // libgit2, an empty one.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Index {
                    entries: Vec::new(),
                    tree: None,
                });
            }
            Err(e) => return Err(cannot(&e)),
        };
        if let Some(file) = parse(&bytes) {
            let shared = match &file.link {
                Some(link) if link.base != [0; ID] => Some(shared(repo, path, link)?),
                _ => None,
            };
            if let Some(index) = file.resolve(repo, shared)? {
                return Ok(index);
            }
        }
        // An entry takes 62 bytes at least: more entries than that (a
        // damaged count) are refused here, not handed to libgit2, which
        // makes room for them all first.
        if let Some(count) = bytes.get(8..12) {
            let count = u32::from_be_bytes(count.try_into().expect("four bytes")) as usize;
            if count > bytes.len() / 62 {
                return Err(cannot(&format_args!(
                    "it is damaged (it claims {count} entries in {} bytes)",
                    bytes.len()
                )));
            }
        }
        git2::Index::open(path)
            .map(|index| Index::by_libgit2(&index))
            .map_err(|e| cannot(&e.message()))
    }

    /// The entries of an index libgit2 read.
    pub fn by_libgit2(index: &git2::Index) -> Index {
        let entries = index
            .iter()
            .filter(|e| e.flags_extended & INTENT_TO_ADD == 0)
            .map(|e| Entry {
                stage: ((e.flags >> 12) & 0x3) as u8,
                skip_worktree: e.flags_extended & SKIP_WORKTREE != 0,
                path: e.path,
                id: e.id,
                mode: e.mode,
            })
            .collect();
        Index {
            entries,
            tree: None,
        }
    }

    /// The entry of `path` at stage 0.
    pub fn get(&self, path: &str) -> Option<&Entry> {
        let at = self
            .entries
            .partition_point(|e| (e.path.as_slice(), e.stage) < (path.as_bytes(), 0));
        self.entries
            .get(at)
            .filter(|e| e.path == path.as_bytes() && e.stage == 0)
    }

    /// The first entry in conflict (a stage other than 0).
    pub fn conflicted(&self) -> Option<&Entry> {
        self.entries.iter().find(|e| e.stage != 0)
    }

    /// Which of `wanted` (paths of stage-0 entries, with their ids) differ
    /// from HEAD's `head` tree: absent there, or another object (a mode
    /// change alone is no change, as in the diff git shows). Folders the
    /// cached trees show unchanged are not read.
    pub fn changed<'p>(
        &self,
        repo: &Repository,
        head: &Tree<'_>,
        wanted: &[(&'p str, Oid)],
    ) -> Result<Vec<(&'p str, Oid)>, git2::Error> {
        let mut wanted = wanted.to_vec();
        wanted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut out = Vec::new();
        let root = self.tree.as_ref();
        if root.and_then(|r| r.id) == Some(head.id()) {
            return Ok(out); // the index writes HEAD's tree
        }
        changed_under(repo, head, root, 0, &wanted, &mut out)?;
        Ok(out)
    }
}

/// [`Index::changed`] for `wanted` (sorted, all under the folder of
/// `tree`, whose path is their first `depth` bytes).
fn changed_under<'p>(
    repo: &Repository,
    tree: &Tree<'_>,
    node: Option<&Node>,
    depth: usize,
    wanted: &[(&'p str, Oid)],
    out: &mut Vec<(&'p str, Oid)>,
) -> Result<(), git2::Error> {
    let mut i = 0;
    while i < wanted.len() {
        let (path, id) = wanted[i];
        let rest = &path[depth..];
        let Some(slash) = rest.find('/') else {
            // The same object (a blob, or a submodule's commit): ids of
            // objects of different kinds never meet.
            let same = tree.get_name(rest).is_some_and(|e| e.id() == id);
            if !same {
                out.push((path, id));
            }
            i += 1;
            continue;
        };
        // The files under this subfolder: a run of the sorted paths.
        let prefix = &path[..depth + slash + 1];
        let end = i + wanted[i..]
            .iter()
            .position(|(p, _)| !p.starts_with(prefix))
            .unwrap_or(wanted.len() - i);
        let group = &wanted[i..end];
        i = end;
        let name = &rest[..slash];
        let cached = node.and_then(|n| n.children.get(name.as_bytes()));
        match tree.get_name(name) {
            Some(e) if e.kind() == Some(ObjectType::Tree) => {
                if cached.and_then(|c| c.id) == Some(e.id()) {
                    continue; // as HEAD has it
                }
                let sub = repo.find_tree(e.id())?;
                changed_under(repo, &sub, cached, prefix.len(), group, out)?;
            }
            _ => out.extend_from_slice(group), // no such folder in HEAD
        }
    }
    Ok(())
}

/// SHA-1's length: the ids, and the checksum ending the file.
const ID: usize = 20;

/// An entry as the file holds it.
struct Raw {
    path: Vec<u8>,
    id: Oid,
    mode: u32,
    flags: u16,
    extended: u16,
}

impl Raw {
    fn stage(&self) -> u8 {
        ((self.flags >> 12) & 0x3) as u8
    }

    fn key(&self) -> (&[u8], u8) {
        (&self.path, self.stage())
    }
}

/// An index file as read: its entries, and what its extensions say.
struct File {
    entries: Vec<Raw>,
    tree: Option<Node>,
    /// A split index's `link`: the shared index and what replaces or
    /// deletes its entries.
    link: Option<Link>,
    /// The `sdir` extension: folder entries may stand for whole folders.
    sparse: bool,
    /// The trailing checksum (a shared index is named by it).
    checksum: [u8; ID],
}

struct Link {
    base: [u8; ID],
    /// The two EWAH bitmaps of positions in the shared index: entries
    /// deleted, then entries replaced (by this file's first entries, in
    /// order). None when the extension holds none.
    bitmaps: Option<Vec<u8>>,
}

/// The shared part of the split index at `path`.
fn shared(repo: &Repository, path: &Path, link: &Link) -> Result<File, git2::Error> {
    let hex = super::hex(&link.base);
    // In the git directory, as git looks for it, wherever the index is;
    // else beside the index (as git does since 2.32, for an index of
    // another repository named by GIT_INDEX_FILE).
    let name = format!("sharedindex.{hex}");
    let mut base = repo.path().join(&name);
    if let Some(beside) = path.parent().map(|p| p.join(&name))
        && !base.exists()
        && beside.exists()
    {
        base = beside;
    }
    let broken = |why: String| {
        git2::Error::from_str(&format!(
            "cannot read the index {}: it is split, and its shared part {} {why}; \
             `git update-index --no-split-index` rewrites it whole if git can still read it",
            path.display(),
            base.display()
        ))
    };
    let bytes = std::fs::read(&base).map_err(|e| broken(format!("cannot be read ({e})")))?;
    let file = parse(&bytes).ok_or_else(|| broken("is not an index aims can read".into()))?;
    if file.checksum != link.base || file.link.is_some() || file.sparse {
        return Err(broken("is not the one the index names".into()));
    }
    // git (2.47 and later, to this day) collapses the shared part into
    // folder entries when a cone-mode sparse checkout asks for a sparse
    // index, and only then applies the split part's bitmaps: to other
    // entries than those they name. What `git commit` records is then not
    // what the file says, and no reading of the file can tell the gate
    // what git will record.
    let outside = file
        .entries
        .iter()
        .any(|e| e.extended & SKIP_WORKTREE != 0 || e.mode == 0o040000);
    if outside && sparse_index_asked(repo) {
        return Err(git2::Error::from_str(&format!(
            "cannot read the index {}: it is split, in a sparse checkout that asks for a \
             sparse index, which git itself misreads (it records other content than the \
             index holds); turn one of them off, then look at `git diff --cached` before \
             committing: `git config core.splitIndex false && git update-index \
             --no-split-index`",
            path.display()
        )));
    }
    Ok(file)
}

/// Whether the repository's configuration asks for a sparse index (a
/// cone-mode sparse checkout with `index.sparse`).
fn sparse_index_asked(repo: &Repository) -> bool {
    let Ok(config) = repo.config() else {
        return false;
    };
    [
        "core.sparseCheckout",
        "core.sparseCheckoutCone",
        "index.sparse",
    ]
    .iter()
    .all(|key| config.get_bool(key).unwrap_or(false))
}

impl File {
    /// The index: merged with its `shared` part (a split index), folders
    /// expanded (a sparse index), intent-to-add entries left out. None for
    /// what git would not write (left to libgit2).
    fn resolve(
        self,
        repo: &Repository,
        shared: Option<File>,
    ) -> Result<Option<Index>, git2::Error> {
        let mut entries = match (shared, &self.link) {
            (Some(base), Some(link)) => match merge(base.entries, self.entries, link) {
                Some(entries) => entries,
                None => return Ok(None),
            },
            _ => self.entries,
        };
        // Git writes entries sorted by path, then stage: made sure of
        // (again after folders are expanded).
        if !in_order(&entries) {
            return Ok(None);
        }
        if entries.iter().any(is_folder_type) {
            // A folder entry is exactly that mode (git's S_ISSPARSEDIR),
            // in a sparse index.
            if !self.sparse
                || entries
                    .iter()
                    .any(|e| is_folder_type(e) && e.mode != 0o040000)
            {
                return Ok(None);
            }
            entries = match expand(repo, entries)? {
                Some(entries) => entries,
                None => return Ok(None),
            };
        }
        if !in_order(&entries) {
            return Ok(None);
        }
        let entries = entries
            .into_iter()
            .filter(|e| e.extended & INTENT_TO_ADD == 0)
            .map(|e| Entry {
                stage: e.stage(),
                skip_worktree: e.extended & SKIP_WORKTREE != 0,
                path: e.path,
                id: e.id,
                mode: e.mode,
            })
            .collect();
        Ok(Some(Index {
            entries,
            tree: self.tree,
        }))
    }
}

/// Sorted by path, then stage, with no entry twice.
fn in_order(entries: &[Raw]) -> bool {
    entries.windows(2).all(|w| w[0].key() < w[1].key())
}

fn is_folder_type(e: &Raw) -> bool {
    e.mode & 0o170000 == 0o040000
}

/// A split index's entries, as git's `merge_base_index` makes them: the
/// shared entries, the replaced ones taking the first of `front`'s
/// (nameless: the name stays) in bitmap order, the deleted ones removed,
/// and the rest of `front` added in order (a stage-0 entry taking the
/// place of every stage of its path). None for what git refuses.
fn merge(base: Vec<Raw>, front: Vec<Raw>, link: &Link) -> Option<Vec<Raw>> {
    let mut r = Reader {
        bytes: link.bitmaps.as_deref()?,
        at: 0,
    };
    let deleted = ewah(&mut r, base.len())?;
    let replaced = ewah(&mut r, base.len())?;
    if r.at != r.bytes.len() {
        return None;
    }
    let mut base: Vec<Option<Raw>> = base.into_iter().map(Some).collect();
    let mut front = front.into_iter();
    for &at in &replaced {
        let src = front.next()?;
        let dst = base.get_mut(at)?.as_mut()?;
        if !src.path.is_empty() {
            return None;
        }
        dst.id = src.id;
        dst.mode = src.mode;
        dst.flags = src.flags;
        dst.extended = src.extended;
    }
    // An entry both replaced and deleted is deleted (git marks deletions
    // after the replacements, whose check for a deleted entry so never
    // fires).
    for at in deleted {
        base.get_mut(at)?.take();
    }
    let added: Vec<Raw> = front.collect();
    if added.iter().any(|e| e.path.is_empty()) || !in_order(&added) {
        return None;
    }
    let merged_away: std::collections::HashSet<&[u8]> = added
        .iter()
        .filter(|e| e.stage() == 0)
        .map(|e| e.path.as_slice())
        .collect();
    let kept: Vec<Raw> = base
        .into_iter()
        .flatten()
        .filter(|e| e.stage() == 0 || !merged_away.contains(e.path.as_slice()))
        .collect();
    drop(merged_away);
    // Both sorted: one pass, an added entry replacing a kept one with its
    // path and stage.
    let mut out = Vec::with_capacity(kept.len() + added.len());
    let mut kept = kept.into_iter().peekable();
    for e in added {
        while let Some(k) = kept.next_if(|k| k.key() < e.key()) {
            out.push(k);
        }
        kept.next_if(|k| k.key() == e.key());
        out.push(e);
    }
    out.extend(kept);
    Some(out)
}

/// A sparse index's folder entries replaced by the files of their trees,
/// as git expands them (modes as git makes them from a tree's). None for a
/// folder entry git would not write.
fn expand(repo: &Repository, entries: Vec<Raw>) -> Result<Option<Vec<Raw>>, git2::Error> {
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        if !is_folder_type(&e) {
            out.push(e);
            continue;
        }
        if e.stage() != 0 || e.path.last() != Some(&b'/') {
            return Ok(None);
        }
        // Depth first, with a stack of its own (no recursion to overflow).
        let mut stack = vec![(e.path, e.id)];
        while let Some((folder, id)) = stack.pop() {
            let tree = repo.find_tree(id)?;
            for item in tree.iter().rev() {
                let mut path = folder.clone();
                path.extend_from_slice(item.name_bytes());
                let mode = item.filemode() as u32;
                let mode = match mode & 0o170000 {
                    0o040000 => {
                        path.push(b'/');
                        stack.push((path, item.id()));
                        continue;
                    }
                    0o120000 => 0o120000,
                    0o160000 => 0o160000,
                    _ if mode & 0o100 != 0 => 0o100755,
                    _ => 0o100644,
                };
                out.push(Raw {
                    path,
                    id: item.id(),
                    mode,
                    flags: EXTENDED,
                    extended: SKIP_WORKTREE,
                });
            }
        }
    }
    // A folder's files come in tree order, which is path order; the
    // caller makes sure of the whole.
    out.sort_by(|a, b| a.key().cmp(&b.key()));
    Ok(Some(out))
}

/// Reads an index file of a form git writes; None for any other (left to
/// libgit2).
fn parse(bytes: &[u8]) -> Option<File> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(4)? != b"DIRC" {
        return None;
    }
    let version = r.u32()?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = r.u32()? as usize;
    let mut entries = Vec::with_capacity(count.min(bytes.len() / 62));
    let mut previous: Vec<u8> = Vec::new();
    for _ in 0..count {
        let start = r.at;
        r.take(24)?; // ctime, mtime, dev, ino
        let mode = r.u32()?;
        r.take(12)?; // uid, gid, size
        let id = Oid::from_bytes(r.take(ID)?).ok()?;
        let flags = r.u16()?;
        let extended = if flags & EXTENDED != 0 {
            if version < 3 {
                return None;
            }
            r.u16()?
        } else {
            0
        };
        if extended & !(INTENT_TO_ADD | SKIP_WORKTREE) != 0 {
            return None; // flags git does not know either (it refuses them)
        }
        let named = usize::from(flags & 0xfff);
        let path = if version == 4 {
            let strip = r.varint()?;
            let kept = previous.len().checked_sub(strip)?;
            let suffix = r.until_nul()?;
            let mut path = previous[..kept].to_vec();
            path.extend_from_slice(suffix);
            previous.clone_from(&path);
            path
        } else {
            let name = r.until_nul()?.to_vec();
            // Padded with NULs to a multiple of eight bytes from the
            // entry's start (the NUL ending the name among them).
            let size = (r.at - 1 - start + 8) & !7;
            r.at = start.checked_add(size)?;
            if r.at > bytes.len() {
                return None;
            }
            name
        };
        // The length in the flags, unless too long for them.
        if named < 0xfff && named != path.len() {
            return None;
        }
        entries.push(Raw {
            path,
            id,
            mode,
            flags,
            extended,
        });
    }
    let (mut tree, mut link, mut sparse) = (None, None, false);
    while bytes.len().checked_sub(r.at)? > ID {
        let signature = r.take(4)?;
        let size = r.u32()? as usize;
        let data = r.take(size)?;
        match signature {
            b"TREE" => tree = Some(cached_trees(data)?),
            b"link" => link = Some(linked(data)?),
            b"sdir" => sparse = true,
            // Optional extensions (an upper-case first letter) are
            // ignored; a required one aims does not know is libgit2's to
            // read (or refuse).
            [b'A'..=b'Z', ..] => {}
            _ => return None,
        }
    }
    let checksum: [u8; ID] = bytes.get(r.at..)?.try_into().ok()?; // exactly ID bytes left
    Some(File {
        entries,
        tree,
        link,
        sparse,
        checksum,
    })
}

/// The `link` extension: the shared index's id, then (when the index
/// replaces or deletes any of its entries) two EWAH bitmaps, read in
/// [`merge`].
fn linked(data: &[u8]) -> Option<Link> {
    let base: [u8; ID] = data.get(..ID)?.try_into().ok()?;
    let rest = &data[ID..];
    Some(Link {
        base,
        bitmaps: (!rest.is_empty()).then(|| rest.to_vec()),
    })
}

/// The positions of the set bits of an EWAH bitmap (git's `ewah/`): its
/// size in bits, its 64-bit words (each run-length word: a bit to repeat,
/// how many words of it, then how many literal words follow), and the
/// position of the last run-length word. None for a bitmap of more than
/// `limit` bits (the shared index's entries).
fn ewah(r: &mut Reader<'_>, limit: usize) -> Option<Vec<usize>> {
    let size = r.u32()? as usize;
    if size > limit {
        return None;
    }
    let count = r.u32()? as usize;
    let words = r.take(count.checked_mul(8)?)?;
    r.u32()?; // the last run-length word's position: for writers
    let mut words = words
        .chunks_exact(8)
        .map(|w| u64::from_be_bytes(w.try_into().expect("eight bytes")));
    let mut bits = Vec::new();
    let mut at = 0usize;
    while let Some(marker) = words.next() {
        let run = usize::try_from((marker >> 1) & 0xffff_ffff)
            .ok()?
            .checked_mul(64)?;
        let literals = marker >> 33;
        let end = at.checked_add(run)?;
        if marker & 1 == 1 {
            if end > size {
                return None; // set bits past its size
            }
            bits.extend(at..end);
        }
        at = end;
        for _ in 0..literals {
            let word = words.next()?;
            for bit in 0..64 {
                if word >> bit & 1 == 1 {
                    if at + bit >= size {
                        return None; // set bits past its size
                    }
                    bits.push(at + bit);
                }
            }
            at = at.checked_add(64)?;
        }
    }
    Some(bits)
}

/// The `TREE` extension: each folder's path component, entry count (-1:
/// invalidated), subfolder count, and tree id when valid; subfolders
/// follow their folder.
fn cached_trees(data: &[u8]) -> Option<Node> {
    let mut r = Reader { bytes: data, at: 0 };
    let (_, root) = node(&mut r, 0)?;
    (r.at == data.len()).then_some(root)
}

fn node(r: &mut Reader<'_>, depth: usize) -> Option<(Vec<u8>, Node)> {
    // Deeper folders (none a person makes) go to libgit2, which takes
    // them without this recursion's stack.
    if depth > 1024 {
        return None;
    }
    let name = r.until_nul()?.to_vec();
    let entries = r.decimal(b' ')?;
    let subtrees = r.decimal(b'\n')?;
    let id = if entries >= 0 {
        Some(Oid::from_bytes(r.take(20)?).ok()?)
    } else {
        None
    };
    let mut children = HashMap::new();
    for _ in 0..usize::try_from(subtrees).ok()? {
        let (name, child) = node(r, depth + 1)?;
        children.insert(name, child);
    }
    Some((name, Node { id, children }))
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let out = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(out)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    fn until_nul(&mut self) -> Option<&'a [u8]> {
        let rest = self.bytes.get(self.at..)?;
        let n = rest.iter().position(|b| *b == 0)?;
        self.at += n + 1;
        Some(&rest[..n])
    }

    /// An ASCII decimal (maybe negative) ended by `end`.
    fn decimal(&mut self, end: u8) -> Option<i64> {
        let rest = self.bytes.get(self.at..)?;
        let n = rest.iter().position(|b| *b == end)?;
        self.at += n + 1;
        std::str::from_utf8(&rest[..n]).ok()?.parse().ok()
    }

    /// Git's offset varint (index version 4's prefix lengths).
    fn varint(&mut self) -> Option<usize> {
        let mut c = *self.take(1)?.first()?;
        let mut value = usize::from(c & 0x7f);
        while c & 0x80 != 0 {
            c = *self.take(1)?.first()?;
            value = value
                .checked_add(1)?
                .checked_mul(128)?
                .checked_add(usize::from(c & 0x7f))?;
        }
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_git_varints() {
        // From git's varint.c: 0..127 in one byte, 128 as 0x80 0x00.
        for (bytes, want) in [
            (&[0x00][..], 0),
            (&[0x7f], 127),
            (&[0x80, 0x00], 128),
            (&[0x80, 0x7f], 255),
            (&[0x81, 0x00], 256),
        ] {
            let mut r = Reader { bytes, at: 0 };
            assert_eq!(r.varint(), Some(want), "{bytes:?}");
        }
    }

    /// An index file of version 2: `entries` (path, stage, a byte the id
    /// repeats), then `extensions`, then a checksum of zeros.
    fn file(entries: &[(&str, u16, u8)], extensions: &[(&[u8], Vec<u8>)]) -> Vec<u8> {
        let entries: Vec<Made<'_>> = entries
            .iter()
            .map(|&(path, stage, id)| Made {
                path,
                stage,
                id: [id; 20],
                mode: 0o100644,
                extended: None,
            })
            .collect();
        file_of(2, &entries, extensions)
    }

    /// An entry of [`file_of`].
    struct Made<'a> {
        path: &'a str,
        stage: u16,
        id: [u8; 20],
        mode: u32,
        extended: Option<u16>,
    }

    /// An index file of `version` (2 or 3): `entries`, then `extensions`,
    /// then a checksum of zeros.
    fn file_of(version: u32, entries: &[Made<'_>], extensions: &[(&[u8], Vec<u8>)]) -> Vec<u8> {
        let mut out = b"DIRC".to_vec();
        out.extend(version.to_be_bytes());
        out.extend((entries.len() as u32).to_be_bytes());
        for e in entries {
            let start = out.len();
            out.extend([0u8; 24]);
            out.extend(e.mode.to_be_bytes());
            out.extend([0u8; 12]);
            out.extend(e.id);
            let flags = (e.stage << 12) | e.path.len() as u16;
            match e.extended {
                Some(x) => {
                    out.extend((flags | EXTENDED).to_be_bytes());
                    out.extend(x.to_be_bytes());
                }
                None => out.extend(flags.to_be_bytes()),
            }
            out.extend(e.path.as_bytes());
            out.resize(start + ((out.len() - start + 8) & !7), 0);
        }
        for (signature, data) in extensions {
            out.extend(*signature);
            out.extend((data.len() as u32).to_be_bytes());
            out.extend(data);
        }
        out.extend([0u8; 20]);
        out
    }

    #[test]
    fn entries_git_refuses_are_refused() {
        let made = |path, mode, extended| Made {
            path,
            stage: 0,
            id: [1; 20],
            mode,
            extended,
        };
        // Extended flags: the two git knows, and no other.
        let known = file_of(3, &[made("a", 0o100644, Some(SKIP_WORKTREE))], &[]);
        assert!(parse(&known).is_some_and(|f| f.entries[0].extended == SKIP_WORKTREE));
        let unknown = file_of(3, &[made("a", 0o100644, Some(1))], &[]);
        assert!(parse(&unknown).is_none());

        // A sparse index: a folder entry of exactly mode 040000, in order.
        let tmp = tempfile::tempdir().unwrap();
        let repo = Repository::init(tmp.path()).unwrap();
        let blob = repo.blob(b"x\n").unwrap();
        let mut builder = repo.treebuilder(None).unwrap();
        builder.insert("x", blob, 0o100644).unwrap();
        let tree = builder.write().unwrap();
        let folder = |mode| Made {
            path: "d/",
            stage: 0,
            id: tree.as_bytes().try_into().unwrap(),
            mode,
            extended: Some(SKIP_WORKTREE),
        };
        let sdir: &[(&[u8], Vec<u8>)] = &[(b"sdir", Vec::new())];
        let resolved = |entries: &[Made<'_>]| {
            let file = parse(&file_of(3, entries, sdir)).unwrap();
            file.resolve(&repo, None).unwrap()
        };
        let index = resolved(&[folder(0o040000), made("e", 0o100644, None)]).unwrap();
        let paths: Vec<&[u8]> = index.entries.iter().map(|e| &e.path[..]).collect();
        assert_eq!(paths, [&b"d/x"[..], b"e"]);
        assert!(index.entries[0].skip_worktree);
        assert!(resolved(&[folder(0o040755), made("e", 0o100644, None)]).is_none());
        assert!(resolved(&[made("e", 0o100644, None), folder(0o040000)]).is_none());
    }

    /// An EWAH bitmap of `bits` (all below 64): one run-length word of no
    /// run and one literal word.
    fn ewah_of(bits: &[usize]) -> Vec<u8> {
        let size = bits.iter().max().map_or(0, |b| b + 1) as u32;
        let literal = bits.iter().fold(0u64, |w, b| w | 1 << b);
        let mut out = size.to_be_bytes().to_vec();
        out.extend(2u32.to_be_bytes());
        out.extend((1u64 << 33).to_be_bytes());
        out.extend(literal.to_be_bytes());
        out.extend(0u32.to_be_bytes());
        out
    }

    #[test]
    fn a_split_index_merges_as_git_merges() {
        let base = parse(&file(
            &[
                ("a", 0, 1),
                ("b", 0, 2),
                ("c", 1, 3),
                ("c", 2, 4),
                ("c", 3, 5),
                ("d", 0, 6),
            ],
            &[],
        ))
        .unwrap();
        let mut link = vec![0x11u8; 20];
        link.extend(ewah_of(&[5])); // d deleted
        link.extend(ewah_of(&[0])); // a replaced
        let front = parse(&file(
            &[("", 0, 9), ("b", 0, 8), ("c", 0, 7), ("e", 0, 10)],
            &[(b"link", link)],
        ))
        .unwrap();
        let link = front.link.as_ref().unwrap();
        assert_eq!(link.base, [0x11; 20]);
        let merged = merge(base.entries, front.entries, link).unwrap();
        let got: Vec<(&[u8], u8, u8)> = merged
            .iter()
            .map(|e| (e.path.as_slice(), e.stage(), e.id.as_bytes()[0]))
            .collect();
        // a replaced (its name kept), b replaced by the added b, every
        // stage of c by the added stage 0, d deleted, e added.
        assert_eq!(
            got,
            [(&b"a"[..], 0, 9), (b"b", 0, 8), (b"c", 0, 7), (b"e", 0, 10)]
        );
    }

    #[test]
    fn a_split_index_git_would_refuse_is_not_merged() {
        let base = || {
            parse(&file(&[("a", 0, 1), ("b", 0, 2)], &[]))
                .unwrap()
                .entries
        };
        let front = |entries: &[(&str, u16, u8)], deleted: &[usize], replaced: &[usize]| {
            let mut link = vec![0x11u8; 20];
            link.extend(ewah_of(deleted));
            link.extend(ewah_of(replaced));
            parse(&file(entries, &[(b"link", link)])).unwrap()
        };
        let merged = |f: File| merge(base(), f.entries, f.link.as_ref().unwrap());
        // As a check that the cases below fail for their own reason.
        assert!(merged(front(&[("", 0, 9)], &[1], &[0])).is_some());
        // Replaced and deleted at once: deleted, as git has it (it never
        // writes that).
        let both = merged(front(&[("", 0, 9)], &[0], &[0])).unwrap();
        assert_eq!(both.iter().map(|e| &e.path[..]).collect::<Vec<_>>(), [b"b"]);
        // A replacement with a name; more replacements than entries; a
        // position past the shared index.
        assert!(merged(front(&[("a", 0, 9)], &[], &[0])).is_none());
        assert!(merged(front(&[], &[], &[0])).is_none());
        assert!(merged(front(&[("", 0, 9)], &[], &[2])).is_none());
        assert!(merged(front(&[], &[7], &[])).is_none());
        // Added entries out of order, or nameless.
        assert!(merged(front(&[("d", 0, 3), ("c", 0, 4)], &[], &[])).is_none());
        assert!(merged(front(&[("", 0, 3)], &[], &[])).is_none());
        // A literal bit past its bitmap's size (here 1).
        let mut past = vec![0x11u8; 20];
        past.extend(ewah_of(&[]));
        past.extend(1u32.to_be_bytes());
        past.extend(ewah_of(&[1])[4..].iter().copied());
        let f = parse(&file(&[("", 0, 9)], &[(b"link", past)])).unwrap();
        assert!(merged(f).is_none());
        // Bitmaps larger than the shared index, and a run of set bits
        // past a bitmap's size: refused, with no list of billions of
        // positions made first.
        for size in [u32::MAX, 1] {
            let mut huge = vec![0x11u8; 20];
            for _ in 0..2 {
                huge.extend(size.to_be_bytes());
                huge.extend(1u32.to_be_bytes());
                huge.extend((u64::from(u32::MAX) << 1 | 1).to_be_bytes());
                huge.extend(0u32.to_be_bytes());
            }
            let f = parse(&file(&[], &[(b"link", huge)])).unwrap();
            assert!(merged(f).is_none());
        }
    }

    #[test]
    fn refuses_what_it_cannot_follow() {
        assert!(parse(b"").is_none());
        assert!(parse(b"DIRC\0\0\0\x05\0\0\0\0").is_none());
        // A version 2 index with no entries and its checksum: read.
        let mut empty = b"DIRC\0\0\0\x02\0\0\0\0".to_vec();
        empty.extend([0u8; 20]);
        assert!(parse(&empty).is_some_and(|i| i.entries.is_empty()));
        // A required extension aims does not know: left to libgit2.
        let mut unknown = b"DIRC\0\0\0\x02\0\0\0\0abcd\0\0\0\0".to_vec();
        unknown.extend([0u8; 20]);
        assert!(parse(&unknown).is_none());
        // A link too short to name a shared index.
        let mut linked = b"DIRC\0\0\0\x02\0\0\0\0link\0\0\0\0".to_vec();
        linked.extend([0u8; 20]);
        assert!(parse(&linked).is_none());
    }
}
