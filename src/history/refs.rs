//! The tags under `refs/tags/`, listed as git keeps them: a file per tag
//! (a "loose" ref, `refs/tags/aims/POL-001/v2`) and lines of
//! `packed-refs`, a loose ref overriding a packed one of the same name.
//!
//! Every tag under `refs/tags/aims/` is listed on every run, the pre-commit
//! gate's too: any of them may be a configuration approval or a seal. With
//! thousands of loose tags, reading a folder per document and a file per
//! tag is most of the gate's time, so the listing of `refs/tags/aims/` is
//! remembered (`.git/aims/cache/refs`, a checked binary file) with each
//! folder's and file's status: modification and change times to the
//! nanosecond, inode, device and size, as git's index remembers the
//! working tree. A folder whose status is unchanged holds the same names
//! (creating, removing or renaming an entry, which is how git writes a
//! ref, changes it), and a file whose status is unchanged the same target.
//! An entry changed in the few seconds before it was listed is not
//! remembered (a time that close cannot tell a later change from it), and
//! `packed-refs` is read every time. Off with the rest of the cache
//! (`--no-cache`).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use git2::{Oid, Repository};

use super::cache;

const AIMS: &str = "refs/tags/aims";

/// Seconds before the listing within which a change is not trusted to be
/// told apart by its times (coarse file-system clocks keep two).
const SETTLE: i64 = 3;

/// Every tag under `refs/tags/aims/`: (full ref name, target), by name. A
/// symbolic ref names no object and is left out.
pub fn aims_tags(repo: &Repository) -> Result<Vec<(String, Oid)>, git2::Error> {
    let common = repo.commondir();
    // Loose first, then packed-refs, as git reads them: `git pack-refs`
    // (or `gc --auto`) moving a ref in between leaves it in packed-refs.
    let loose = Memo::open(repo).list(common, AIMS)?;
    Ok(merged(packed(common, &format!("{AIMS}/"))?, loose))
}

/// The tags outside `refs/tags/aims/`: (full ref name, target), by name,
/// read afresh (they are few, and nothing of aims's is decided by them
/// but a warning).
pub fn other_tags(repo: &Repository) -> Result<Vec<(String, Oid)>, git2::Error> {
    let common = repo.commondir();
    // Loose first (see `aims_tags`); a broken one is passed over, as git
    // passes over it: nothing here is more than a warning.
    let mut loose = BTreeMap::new();
    let tags = common.join("refs/tags");
    for entry in std::fs::read_dir(&tags).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str().filter(|n| valid_component(n)) else {
            continue;
        };
        let (rel, path) = (format!("refs/tags/{name}"), tags.join(name));
        if path.is_dir() {
            if rel != AIMS {
                loose.extend(Memo::off().list(common, &rel).unwrap_or_default());
            }
        } else if let Ok(target) = read_ref(&path, &rel) {
            loose.insert(rel, target);
        }
    }
    let mut packed = packed(common, "refs/tags/")?;
    packed.retain(|name, _| !name.starts_with(&format!("{AIMS}/")));
    Ok(merged(packed, loose))
}

/// The loose refs over the packed ones of the same names, by name; a
/// symbolic ref (no target) is left out.
fn merged(
    mut packed: BTreeMap<String, Option<Oid>>,
    loose: BTreeMap<String, Option<Oid>>,
) -> Vec<(String, Oid)> {
    packed.extend(loose);
    packed
        .into_iter()
        .filter_map(|(name, target)| Some((name, target?)))
        .collect()
}

/// The refs under `prefix` in `packed-refs` (none when there is no such
/// file). Lines under `prefix` are read strictly: one git would not write
/// there (no object id, a carriage return) is an error, as it is to git;
/// a name git would not read is passed over, as git passes over it.
/// Other lines are not looked at.
fn packed(common: &Path, prefix: &str) -> Result<BTreeMap<String, Option<Oid>>, git2::Error> {
    let path = common.join("packed-refs");
    let text = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => {
            return Err(git2::Error::from_str(&format!(
                "cannot read packed-refs: {e}"
            )));
        }
    };
    let mut out = Vec::new();
    for (n, line) in text.split(|b| *b == b'\n').enumerate() {
        if line.is_empty() || line[0] == b'#' || line[0] == b'^' {
            continue;
        }
        let Some(at) = line.iter().position(|b| *b == b' ') else {
            return Err(damaged(n, "is not an object id and a ref name"));
        };
        let (id, name) = (&line[..at], &line[at + 1..]);
        if !name.starts_with(prefix.as_bytes()) {
            continue;
        }
        if name.ends_with(b"\r") {
            return Err(damaged(n, "ends with a carriage return"));
        }
        let Some(id) = object_id(id) else {
            return Err(damaged(n, "does not start with an object id"));
        };
        let Some(name) = std::str::from_utf8(name)
            .ok()
            .filter(|n| n.split('/').all(valid_component))
        else {
            continue; // a name git does not read
        };
        out.push((name.to_owned(), Some(id)));
    }
    // git writes it sorted (and a name once): a map from the list as is.
    Ok(out.into_iter().collect())
}

fn damaged(line: usize, what: &str) -> git2::Error {
    git2::Error::from_str(&format!("packed-refs is damaged: line {} {what}", line + 1))
}

/// A full object id in hex (SHA-1 or SHA-256), as a ref file holds it.
fn object_id(hex: &[u8]) -> Option<Oid> {
    if !matches!(hex.len(), 40 | 64) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut raw = [0u8; 32];
    for (i, pair) in hex.chunks_exact(2).enumerate() {
        raw[i] = (digit(pair[0])? << 4) | digit(pair[1])?;
    }
    Oid::from_bytes(&raw[..hex.len() / 2]).ok()
}

/// Whether git would read a file or folder of this name as part of a ref
/// name (its `check-ref-format` rules for one component); lock files and
/// names git ignores are passed over, as git passes over them.
fn valid_component(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.ends_with(".lock")
        && !name.contains("..")
        && !name.contains("@{")
        && name != "@"
        && !name
            .bytes()
            .any(|b| b < 0x20 || b == 0x7f || b" ~^:?*[\\".contains(&b))
}

/// A file's or folder's status, as far as it tells a change.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Stamp {
    modified: (i64, i64),
    changed: (i64, i64),
    inode: u64,
    device: u64,
    size: u64,
}

impl Stamp {
    fn settled(&self, before: i64) -> bool {
        self.modified.0 < before && self.changed.0 < before
    }
}

/// What a remembered entry held.
enum Held {
    /// A folder's names (valid ones only).
    Folder(Vec<String>),
    /// A ref's target (None: a symbolic ref).
    Target(Option<Oid>),
}

/// A remembered listing (by path from the listed folder), and where and
/// since when to remember this one.
struct Memo {
    path: Option<std::path::PathBuf>,
    old: HashMap<String, (Stamp, Held)>,
    /// Entries changed since this moment (unix seconds) are not kept.
    before: i64,
}

const MAGIC: &[u8] = b"aims refs\n";

/// Top-level folders from which a listing is shared between two threads.
const SPLIT: usize = 512;

impl Memo {
    fn off() -> Memo {
        Memo {
            path: None,
            old: HashMap::new(),
            before: i64::MIN,
        }
    }

    fn open(repo: &Repository) -> Memo {
        let mut memo = Memo::off();
        if !cache::enabled() || cfg!(not(unix)) {
            return memo;
        }
        // Read in `list`, once there is a folder to list.
        memo.path = Some(cache::dir(repo).join("refs"));
        memo.before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(i64::MIN, |d| d.as_secs() as i64 - SETTLE);
        memo
    }

    /// The refs under `prefix` (a folder of the common git directory),
    /// remembered for the next run when the memo is on.
    fn list(
        mut self,
        common: &Path,
        prefix: &str,
    ) -> Result<BTreeMap<String, Option<Oid>>, git2::Error> {
        let error =
            |e: std::io::Error| git2::Error::from_str(&format!("cannot list {prefix}/: {e}"));
        let Some(folder) = Folder::open(&common.join(prefix)).map_err(error)? else {
            // No loose refs there (all packed): nothing to remember, and a
            // listing of before is not read again run after run.
            if let Some(path) = &self.path {
                let _ = std::fs::remove_file(path);
            }
            return Ok(BTreeMap::new());
        };
        if let Some(path) = &self.path {
            self.old = cache::read_checked(path, MAGIC)
                .and_then(|body| decode(&body))
                .unwrap_or_default();
        }
        let mut top = Scan::new(&self, &folder);
        let listed = top.names("").map_err(error)?;
        let names: &[String] = listed.as_ref().map_or(&[], |(names, _)| names);
        let parts = super::in_halves(
            names,
            SPLIT,
            |names| {
                let mut scan = Scan::new(&self, &folder);
                scan.each(names).map(|()| scan)
            },
            || std::io::Error::other("a listing thread panicked"),
        )
        .map_err(error)?;
        top.keep_names("", listed);
        let mut found = BTreeMap::new();
        let (mut new, mut changed) = (Vec::new(), false);
        for part in std::iter::once(top).chain(parts) {
            changed |= part.changed;
            new.extend(part.new);
            for (rel, target) in part.out {
                found.insert(format!("{prefix}/{rel}"), target);
            }
        }
        // A remembered entry not met again is gone: written anew.
        changed |= new.len() != self.old.len();
        if changed {
            self.save(&new);
        }
        Ok(found)
    }

    /// Failures are ignored: the cache only saves time.
    fn save(&self, new: &[(String, Stamp, Held)]) {
        let Some(path) = &self.path else { return };
        let mut body = Vec::new();
        cache::put_u32(&mut body, new.len());
        for (rel, stamp, held) in new {
            cache::put_text(&mut body, rel);
            for n in [
                stamp.modified.0,
                stamp.modified.1,
                stamp.changed.0,
                stamp.changed.1,
            ] {
                body.extend(n.to_le_bytes());
            }
            for n in [stamp.inode, stamp.device, stamp.size] {
                body.extend(n.to_le_bytes());
            }
            match held {
                Held::Folder(names) => {
                    body.push(0);
                    cache::put_u32(&mut body, names.len());
                    for name in names {
                        cache::put_text(&mut body, name);
                    }
                }
                Held::Target(None) => body.push(1),
                Held::Target(Some(oid)) => {
                    body.push(2);
                    cache::put_oid(&mut body, oid);
                }
            }
        }
        let _ = cache::write_checked(path, MAGIC, &body);
    }
}

/// What is at a path: a folder, a file, or anything else (a link, a
/// socket: no ref git reads), with its status where it is remembered.
enum Entry {
    Folder(Option<Stamp>),
    File(Option<Stamp>),
    Other,
}

/// The listed folder, open: entries are looked up relative to it.
struct Folder {
    path: std::path::PathBuf,
    #[cfg(unix)]
    fd: rustix::fd::OwnedFd,
}

impl Folder {
    /// None when there is no such folder.
    fn open(path: &Path) -> std::io::Result<Option<Folder>> {
        #[cfg(unix)]
        {
            use rustix::fs::{Mode, OFlags};
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            match rustix::fs::open(path, flags, Mode::empty()) {
                Ok(fd) => Ok(Some(Folder {
                    path: path.to_path_buf(),
                    fd,
                })),
                Err(rustix::io::Errno::NOENT | rustix::io::Errno::NOTDIR) => Ok(None),
                Err(e) => Err(e.into()),
            }
        }
        #[cfg(not(unix))]
        Ok(path.is_dir().then(|| Folder {
            path: path.to_path_buf(),
        }))
    }

    /// What is at `rel` (`""`: the folder itself); None when it is gone.
    #[cfg(unix)]
    #[allow(clippy::unnecessary_cast)] // the field types differ by platform
    fn entry(&self, rel: &str) -> std::io::Result<Option<Entry>> {
        use rustix::fs::{AtFlags, FileType};
        let at = if rel.is_empty() { "." } else { rel };
        // Links are followed, as git follows them: the status is the
        // target's, so a link pointed elsewhere is another file.
        let st = match rustix::fs::statat(&self.fd, at, AtFlags::empty()) {
            Ok(st) => st,
            // Gone since its folder was listed, or a link to nothing.
            Err(rustix::io::Errno::NOENT | rustix::io::Errno::NOTDIR) => return Ok(None),
            Err(e) => return Err(std::io::Error::from(e)),
        };
        let stamp = Some(Stamp {
            modified: (st.st_mtime as i64, st.st_mtime_nsec as i64),
            changed: (st.st_ctime as i64, st.st_ctime_nsec as i64),
            inode: st.st_ino as u64,
            device: st.st_dev as u64,
            size: st.st_size as u64,
        });
        Ok(Some(match FileType::from_raw_mode(st.st_mode as _) {
            FileType::Directory => Entry::Folder(stamp),
            FileType::RegularFile => Entry::File(stamp),
            _ => Entry::Other,
        }))
    }

    #[cfg(not(unix))]
    fn entry(&self, rel: &str) -> std::io::Result<Option<Entry>> {
        match std::fs::metadata(self.path.join(rel)) {
            Ok(m) if m.is_dir() => Ok(Some(Entry::Folder(None))),
            Ok(m) if m.is_file() => Ok(Some(Entry::File(None))),
            Ok(_) => Ok(Some(Entry::Other)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// One thread's part of a listing.
struct Scan<'m> {
    memo: &'m Memo,
    folder: &'m Folder,
    new: Vec<(String, Stamp, Held)>,
    /// An entry was read afresh, or not remembered.
    changed: bool,
    out: Vec<(String, Option<Oid>)>,
}

impl<'m> Scan<'m> {
    fn new(memo: &'m Memo, folder: &'m Folder) -> Scan<'m> {
        Scan {
            memo,
            folder,
            new: Vec::new(),
            changed: false,
            out: Vec::new(),
        }
    }

    fn remembered(&self, rel: &str, stamp: Option<Stamp>) -> Option<&'m Held> {
        let (was, held) = self.memo.old.get(rel)?;
        (Some(*was) == stamp).then_some(held)
    }

    fn keep(&mut self, rel: &str, stamp: Option<Stamp>, held: Held) {
        match stamp.filter(|s| self.memo.path.is_some() && s.settled(self.memo.before)) {
            Some(stamp) => self.new.push((rel.to_owned(), stamp, held)),
            None => self.changed = true, // not remembered: the next run reads it
        }
    }

    /// The names in folder `rel`, remembered or read; None when it is not
    /// a folder (any more). The folder is kept by [`Scan::keep_names`].
    fn names(&mut self, rel: &str) -> std::io::Result<Option<(Vec<String>, Option<Stamp>)>> {
        let Some(Entry::Folder(stamp)) = self.folder.entry(rel)? else {
            return Ok(None);
        };
        self.names_at(rel, stamp).map(Some)
    }

    /// [`Scan::names`] of a folder whose status is known.
    fn names_at(
        &mut self,
        rel: &str,
        stamp: Option<Stamp>,
    ) -> std::io::Result<(Vec<String>, Option<Stamp>)> {
        if let Some(Held::Folder(names)) = self.remembered(rel, stamp) {
            return Ok((names.clone(), stamp));
        }
        self.changed = true;
        let mut names = Vec::new();
        for entry in std::fs::read_dir(self.folder.path.join(rel))? {
            let name = entry?.file_name();
            if let Some(name) = name.to_str().filter(|n| valid_component(n)) {
                names.push(name.to_owned());
            }
        }
        names.sort();
        Ok((names, stamp))
    }

    fn keep_names(&mut self, rel: &str, listed: Option<(Vec<String>, Option<Stamp>)>) {
        if let Some((names, stamp)) = listed {
            self.keep(rel, stamp, Held::Folder(names));
        }
    }

    /// Lists each of `names` (in the listed folder).
    fn each(&mut self, names: &[String]) -> std::io::Result<()> {
        for name in names {
            self.scan(name)?;
        }
        Ok(())
    }

    /// Lists the refs at `rel`: a folder's, or a ref file's.
    fn scan(&mut self, rel: &str) -> std::io::Result<()> {
        let at = |e: std::io::Error| std::io::Error::new(e.kind(), format!("{rel}: {e}"));
        match self.folder.entry(rel).map_err(at)? {
            None | Some(Entry::Other) => {} // gone since listed, or no ref
            Some(Entry::Folder(stamp)) => {
                let listed = self.names_at(rel, stamp).map_err(at)?;
                for name in &listed.0 {
                    self.scan(&format!("{rel}/{name}"))?;
                }
                self.keep_names(rel, Some(listed));
            }
            Some(Entry::File(stamp)) => {
                let target = match self.remembered(rel, stamp) {
                    Some(Held::Target(target)) => *target,
                    _ => {
                        self.changed = true;
                        read_ref(&self.folder.path.join(rel), rel).map_err(|e| {
                            if e.kind() == std::io::ErrorKind::Other {
                                e // names the ref already
                            } else {
                                at(e)
                            }
                        })?
                    }
                };
                self.out.push((rel.to_owned(), target));
                self.keep(rel, stamp, Held::Target(target));
            }
        }
        Ok(())
    }
}

/// A loose ref file's target (None: a symbolic ref, `ref: NAME`).
fn read_ref(path: &Path, rel: &str) -> std::io::Result<Option<Oid>> {
    let bytes = std::fs::read(path)?;
    let text = bytes.trim_ascii_end();
    if text.starts_with(b"ref:") {
        return Ok(None);
    }
    // An id, then the end or whitespace (and whatever follows), as git
    // reads a loose ref.
    let end = text
        .iter()
        .position(u8::is_ascii_whitespace)
        .unwrap_or(text.len());
    object_id(&text[..end]).map(Some).ok_or_else(|| {
        std::io::Error::other(format!(
            "the ref {rel} is damaged: it holds neither an object id nor `ref: NAME`"
        ))
    })
}

fn decode(body: &[u8]) -> Option<HashMap<String, (Stamp, Held)>> {
    let mut r = cache::Reader(body);
    let count = r.u32()?;
    let mut out = HashMap::with_capacity(count.min(1 << 20));
    for _ in 0..count {
        let rel = r.text()?;
        let stamp = Stamp {
            modified: (r.i64()?, r.i64()?),
            changed: (r.i64()?, r.i64()?),
            inode: r.i64()? as u64,
            device: r.i64()? as u64,
            size: r.i64()? as u64,
        };
        let held = match r.take(1)?[0] {
            0 => {
                let n = r.u32()?;
                let mut names = Vec::with_capacity(n.min(1 << 16));
                for _ in 0..n {
                    names.push(r.text()?);
                }
                Held::Folder(names)
            }
            1 => Held::Target(None),
            2 => Held::Target(Some(r.oid()?)),
            _ => return None,
        };
        out.insert(rel, (stamp, held));
    }
    r.0.is_empty().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ref_name_components() {
        for good in ["v1", "POL-001", "aims.toml", "a_b", "x@y"] {
            assert!(valid_component(good), "{good}");
        }
        for bad in [
            "", ".hidden", "v1.lock", "a..b", "end.", "a b", "a:b", "a~1", "a^", "a?", "a*", "a[",
            "a\\b", "@", "a@{1}", "a\x01",
        ] {
            assert!(!valid_component(bad), "{bad:?}");
        }
    }

    #[test]
    fn object_ids_are_whole() {
        let hex = "0123456789abcdef0123456789abcdef01234567";
        assert!(object_id(hex.as_bytes()).is_some());
        assert!(object_id(&hex.as_bytes()[..39]).is_none());
        assert!(object_id(b"0123456789abcdef0123456789abcdef0123456g").is_none());
    }
}
