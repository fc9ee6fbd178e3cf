//! The index (`.git/index`, or the file `GIT_INDEX_FILE` names), as the
//! pre-commit gate reads it: its entries, and which of the staged files
//! differ from HEAD's.
//!
//! The common forms (versions 2 to 4, SHA-1 ids, no split or sparse index)
//! are read here, the way git reads them: the trailing checksum is not
//! recomputed (git checks it in `git fsck`, not on ordinary reads), and
//! git's cache of the trees the index would write (the `TREE` extension)
//! tells which folders are as HEAD has them, so only the trees of folders
//! with a staged change are read. Anything else (a required extension aims
//! does not know, a structure it cannot follow) is left to libgit2, and
//! compared with HEAD tree by tree; libgit2 1.9 refuses split and sparse
//! indexes (`link`, `sdir`), so the gate stops there with its error.
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

impl Index {
    /// The index at `path`: read here when it has a common form, else by
    /// libgit2 (whose errors are the answer).
    pub fn open(path: &Path) -> Result<Index, git2::Error> {
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
            Err(e) => {
                return Err(git2::Error::from_str(&format!(
                    "cannot read the index {}: {e}",
                    path.display()
                )));
            }
        };
        match parse(&bytes) {
            Some(index) => Ok(index),
            None => Ok(Index::by_libgit2(&git2::Index::open(path)?)),
        }
    }

    /// The entries of an index libgit2 read.
    pub fn by_libgit2(index: &git2::Index) -> Index {
        let entries = index
            .iter()
            .filter(|e| e.flags_extended & INTENT_TO_ADD == 0)
            .map(|e| Entry {
                stage: ((e.flags >> 12) & 0x3) as u8,
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

/// Reads an index of a common form; None for any other (left to libgit2).
fn parse(bytes: &[u8]) -> Option<Index> {
    const ID: usize = 20; // SHA-1
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
        if mode & 0o170000 == 0o040000 {
            return None; // a sparse index's folder entry
        }
        if extended & INTENT_TO_ADD != 0 {
            continue;
        }
        entries.push(Entry {
            path,
            id,
            mode,
            stage: ((flags >> 12) & 0x3) as u8,
        });
    }
    // Git writes entries sorted by path, then stage: made sure of.
    if !entries
        .windows(2)
        .all(|w| (&w[0].path, w[0].stage) < (&w[1].path, w[1].stage))
    {
        return None;
    }
    let mut tree = None;
    while bytes.len().checked_sub(r.at)? > ID {
        let signature = r.take(4)?;
        let size = r.u32()? as usize;
        let data = r.take(size)?;
        match signature {
            b"TREE" => tree = Some(cached_trees(data)?),
            // Optional extensions (an upper-case first letter) are
            // ignored; a required one aims does not know (a split index's
            // `link`, a sparse index's `sdir`) is libgit2's to read.
            [b'A'..=b'Z', ..] => {}
            _ => return None,
        }
    }
    if bytes.len() - r.at != ID {
        return None; // not a SHA-1 checksum after all
    }
    Some(Index { entries, tree })
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

    #[test]
    fn refuses_what_it_cannot_follow() {
        assert!(parse(b"").is_none());
        assert!(parse(b"DIRC\0\0\0\x05\0\0\0\0").is_none());
        // A version 2 index with no entries and its checksum: read.
        let mut empty = b"DIRC\0\0\0\x02\0\0\0\0".to_vec();
        empty.extend([0u8; 20]);
        assert!(parse(&empty).is_some_and(|i| i.entries.is_empty()));
        // A required extension aims does not know: left to libgit2.
        let mut linked = b"DIRC\0\0\0\x02\0\0\0\0link\0\0\0\0".to_vec();
        linked.extend([0u8; 20]);
        assert!(parse(&linked).is_none());
    }
}
