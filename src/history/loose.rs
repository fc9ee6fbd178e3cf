//! Loose objects are checked before libgit2 reads them.
//!
//! libgit2 (1.9) spins forever inflating a truncated loose object, where
//! git itself fails at once: a pre-commit hook or a CI job would hang. So
//! before any history is read, every loose object of the repository (and of
//! its alternates) is inflated here, with a pure stream decoder that cannot
//! loop, and its header checked against its length. A damaged object stops
//! the command with exit 2, naming the object and `git fsck`.
//!
//! Objects are immutable, so an object that passed is remembered in
//! `.git/aims-loose-hashed` by id, size and modification time; later runs
//! only list the object folders. The list is a cache: losing it costs one
//! full pass, and an object whose size or time changed is checked again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// Why an object is damaged.
#[derive(Debug)]
pub struct Damaged {
    pub id: String,
    pub path: PathBuf,
    pub why: String,
}

impl std::fmt::Display for Damaged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the git object {} is damaged ({}: {})",
            self.id,
            self.path.display(),
            self.why
        )
    }
}

/// Named for what was checked: objects passed before their hash was
/// checked too (the earlier `aims-loose-checked`) are checked again.
const CACHE: &str = "aims-loose-hashed";

/// The object folders: the repository's own, and those its
/// `objects/info/alternates` names.
fn object_dirs(git_dir: &Path) -> Vec<PathBuf> {
    let own = git_dir.join("objects");
    let mut dirs = vec![own.clone()];
    if let Ok(text) = std::fs::read_to_string(own.join("info/alternates")) {
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let p = Path::new(line);
            dirs.push(if p.is_absolute() {
                p.to_path_buf()
            } else {
                own.join(p)
            });
        }
    }
    dirs
}

/// Checks one loose object file: a zlib stream that ends (checksum
/// included), holding `"<type> <size>\0"` and exactly `size` bytes after it,
/// whose SHA-1 is its id (`id`, 40 hex digits; another length, a SHA-256
/// repository's, is not hashed here). libgit2 reads with its own hash check
/// turned off (see `crate::tune`): this is where loose objects are hashed,
/// once per object.
pub fn check_object(id: &str, bytes: &[u8]) -> Result<(), String> {
    use sha1::Digest as _;
    let mut hasher = (id.len() == 40).then(sha1::Sha1::new);
    let mut z = flate2::Decompress::new(true);
    let mut out = vec![0u8; 64 * 1024];
    let mut header: Option<(String, u64)> = None;
    let mut pending: Vec<u8> = Vec::new();
    let mut body = 0u64;
    loop {
        let consumed = z.total_in() as usize;
        let before = z.total_out();
        let status = z
            .decompress(&bytes[consumed..], &mut out, flate2::FlushDecompress::None)
            .map_err(|e| format!("the compressed data is damaged: {e}"))?;
        let produced = (z.total_out() - before) as usize;
        let mut chunk = &out[..produced];
        if let Some(h) = hasher.as_mut() {
            h.update(chunk);
        }
        if header.is_none() {
            pending.extend_from_slice(chunk);
            if let Some(nul) = pending.iter().position(|&b| b == 0) {
                let text = std::str::from_utf8(&pending[..nul])
                    .map_err(|_| "the object header is not valid".to_owned())?;
                let (kind, size) = text
                    .split_once(' ')
                    .ok_or_else(|| "the object header is not valid".to_owned())?;
                if !matches!(kind, "blob" | "tree" | "commit" | "tag") {
                    return Err(format!("unknown object type `{kind}`"));
                }
                let size = size
                    .parse()
                    .map_err(|_| "the object header is not valid".to_owned())?;
                header = Some((kind.to_owned(), size));
                body = (pending.len() - nul - 1) as u64;
                pending.clear();
            } else if pending.len() > 64 {
                return Err("the object header is not valid".into());
            }
            chunk = &[];
        }
        body += chunk.len() as u64;
        if let Some((_, size)) = &header
            && body > *size
        {
            return Err(format!(
                "it holds more than the {size} bytes its header declares"
            ));
        }
        match status {
            flate2::Status::StreamEnd => break,
            _ if produced == 0 && z.total_in() as usize == consumed => {
                return Err(format!(
                    "the compressed data ends early (truncated after {} bytes)",
                    bytes.len()
                ));
            }
            _ => {}
        }
    }
    let Some((_, size)) = header else {
        return Err("the stream ends inside the object header".into());
    };
    if body != size {
        return Err(format!(
            "it holds {body} of the {size} bytes its header declares (truncated)"
        ));
    }
    if let Some(h) = hasher {
        let actual = super::hex(&h.finalize());
        if actual != id {
            return Err(format!(
                "its content hashes to {actual}, not to its name (altered or misplaced)"
            ));
        }
    }
    Ok(())
}

fn stamp(meta: &std::fs::Metadata) -> (u64, u128) {
    let time = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    (meta.len(), time)
}

/// Checks every loose object not checked before; the first damaged one is
/// the error. Folders that cannot be listed are left to git.
pub fn check(git_dir: &Path) -> Result<(), Damaged> {
    let cache_path = git_dir.join(CACHE);
    let cached: HashMap<String, (u64, u128)> = std::fs::read_to_string(&cache_path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut parts = l.split(' ');
            let id = parts.next()?.to_owned();
            let len = parts.next()?.parse().ok()?;
            let time = parts.next()?.parse().ok()?;
            Some((id, (len, time)))
        })
        .collect();
    // The fan-out folders (`objects/ab/`) of the repository and its
    // alternates, shared between two threads when there are many.
    let mut fans: Vec<(String, PathBuf)> = Vec::new();
    for dir in object_dirs(git_dir) {
        let Ok(list) = std::fs::read_dir(&dir) else {
            continue;
        };
        for fan in list.flatten() {
            let prefix = fan.file_name().to_string_lossy().into_owned();
            if prefix.len() == 2 && prefix.chars().all(|c| c.is_ascii_hexdigit()) {
                fans.push((prefix, fan.path()));
            }
        }
    }
    let check_fans = |fans: &[(String, PathBuf)]| -> Result<(Vec<_>, bool), Damaged> {
        let mut passed: Vec<(String, (u64, u128))> = Vec::new();
        let mut fresh = false;
        for (prefix, path) in fans {
            let Ok(files) = std::fs::read_dir(path) else {
                continue;
            };
            for file in files.flatten() {
                let rest = file.file_name().to_string_lossy().into_owned();
                if rest.len() < 38 || !rest.chars().all(|c| c.is_ascii_hexdigit()) {
                    continue; // temporary files of a running git
                }
                let id = format!("{prefix}{rest}");
                let Ok(meta) = file.metadata() else { continue };
                let now = stamp(&meta);
                if cached.get(&id) != Some(&now) {
                    let bytes = std::fs::read(file.path()).map_err(|e| Damaged {
                        id: id.clone(),
                        path: file.path(),
                        why: format!("it cannot be read: {e}"),
                    })?;
                    check_object(&id, &bytes).map_err(|why| Damaged {
                        id: id.clone(),
                        path: file.path(),
                        why,
                    })?;
                    fresh = true;
                }
                passed.push((id, now));
            }
        }
        Ok((passed, fresh))
    };
    // Two threads from a few dozen folders on (a status call per object
    // is most of the work).
    let parts = super::in_halves(&fans, 64, check_fans, || Damaged {
        id: String::new(),
        path: PathBuf::new(),
        why: "a checking thread panicked".into(),
    })?;
    let fresh = parts.iter().any(|(_, fresh)| *fresh);
    let passed: Vec<(String, (u64, u128))> = parts.into_iter().flat_map(|(p, _)| p).collect();
    if fresh || passed.len() != cached.len() {
        let text: String = passed
            .iter()
            .map(|(id, (len, time))| format!("{id} {len} {time}\n"))
            .collect();
        // A cache: a read-only repository just checks again next time.
        let tmp = cache_path.with_extension("tmp");
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, &cache_path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn loose(kind: &str, body: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(format!("{kind} {}\0", body.len()).as_bytes())
            .unwrap();
        e.write_all(body).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn whole_objects_pass_and_every_truncation_fails() {
        let body = b"hello world, this is a blob with some text in it\n".repeat(20);
        let obj = loose("blob", &body);
        let id = git2::Oid::hash_object(git2::ObjectType::Blob, &body)
            .unwrap()
            .to_string();
        assert_eq!(check_object(&id, &obj), Ok(()));
        for cut in 0..obj.len() {
            assert!(check_object(&id, &obj[..cut]).is_err(), "cut at {cut}");
        }
        assert!(check_object(&id, &loose("blob 12", b"x")).is_err());
        let mut lying = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        lying.write_all(b"blob 5\0hello, more").unwrap();
        assert!(check_object(&id, &lying.finish().unwrap()).is_err());
        // Whole and well formed, but not the object its name says: a
        // changed byte, or another object's file under this name.
        let mut other = body.clone();
        other[0] ^= 1;
        let why = check_object(&id, &loose("blob", &other)).unwrap_err();
        assert!(why.contains("hashes to"), "{why}");
    }
}
