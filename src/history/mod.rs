//! Facts from git: each document's revisions and who approved what, with a
//! verified signature. Nothing here knows about ISO 42001.
//!
//! The one-pass revision walk (with commit sign-off trailers), git's
//! allowed-signers format, SSH (in-process) and OpenPGP (gpgv) signature
//! verification, approval-tag parsing and the scan of `refs/tags/aims/*`,
//! and the derivation of a document's state. The trust root and the
//! register built on these live in `control`.

pub mod allowed_signers;
pub mod approvals;
pub mod cache;
pub mod index;
pub mod loose;
pub mod openpgp;
pub mod refs;
pub mod revisions;
pub mod revoked;
pub mod signature;
pub mod signoffs;
pub mod state;
pub mod tag;

/// `work` over `items`, in two halves on two threads when there are at
/// least `from` of them, a second processor and a thread to be had; else
/// all at once here. The results in the items' order; a half whose thread
/// panicked is `panicked()`.
pub(crate) fn in_halves<I: Sync, T: Send, E: Send>(
    items: &[I],
    from: usize,
    work: impl Fn(&[I]) -> Result<T, E> + Sync,
    panicked: impl FnOnce() -> E,
) -> Result<Vec<T>, E> {
    let processors = std::thread::available_parallelism().map_or(1, usize::from);
    if items.len() < from || processors < 2 {
        return Ok(vec![work(items)?]);
    }
    let (a, b) = items.split_at(items.len() / 2);
    std::thread::scope(|s| {
        let Ok(other) = std::thread::Builder::new().spawn_scoped(s, || work(b)) else {
            return Ok(vec![work(items)?]);
        };
        let mine = work(a);
        let theirs = other.join().unwrap_or_else(|_| Err(panicked()));
        Ok(vec![mine?, theirs?])
    })
}

/// A file's blob id and content in a tree, or None when it is absent (or
/// not a file: a directory or submodule at that path holds no content).
pub fn blob_at(
    repo: &git2::Repository,
    tree: &git2::Tree<'_>,
    path: &str,
) -> Result<Option<(git2::Oid, Vec<u8>)>, git2::Error> {
    match blob_id_at(tree, path)? {
        Some(id) => {
            let blob = repo.find_blob(id)?;
            Ok(Some((id, blob.content().to_vec())))
        }
        None => Ok(None),
    }
}

/// A file's blob id in a tree, without reading it; None when the path is
/// absent or not a file.
pub fn blob_id_at(tree: &git2::Tree<'_>, path: &str) -> Result<Option<git2::Oid>, git2::Error> {
    match tree.get_path(std::path::Path::new(path)) {
        Ok(entry) if entry.kind() == Some(git2::ObjectType::Blob) => Ok(Some(entry.id())),
        Ok(_) => Ok(None),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The blob ids of `paths` in `tree`, as [`blob_id_at`] gives them one by
/// one (a path absent, or not a file, is left out), with each folder read
/// once rather than from the root for every path.
pub fn blob_ids_at<'p>(
    repo: &git2::Repository,
    tree: &git2::Tree<'_>,
    paths: impl IntoIterator<Item = &'p str>,
) -> Result<std::collections::HashMap<&'p str, git2::Oid>, git2::Error> {
    use git2::{ErrorCode, ObjectType};
    let mut by_folder: std::collections::BTreeMap<&str, Vec<(&'p str, &'p str)>> =
        std::collections::BTreeMap::new();
    for path in paths {
        let (folder, name) = path.rsplit_once('/').unwrap_or(("", path));
        by_folder.entry(folder).or_default().push((path, name));
    }
    let mut ids = std::collections::HashMap::new();
    for (folder, files) in by_folder {
        let sub;
        let within = if folder.is_empty() {
            tree
        } else {
            match tree.get_path(std::path::Path::new(folder)) {
                Ok(entry) if entry.kind() == Some(ObjectType::Tree) => {
                    sub = repo.find_tree(entry.id())?;
                    &sub
                }
                Ok(_) => continue,
                Err(e) if e.code() == ErrorCode::NotFound => continue,
                Err(e) => return Err(e),
            }
        };
        for (path, name) in files {
            if let Some(entry) = within.get_name(name)
                && entry.kind() == Some(ObjectType::Blob)
            {
                ids.insert(path, entry.id());
            }
        }
    }
    Ok(ids)
}

/// A blob's bytes by id (hex), as stored.
pub fn blob(repo: &git2::Repository, id: &str) -> Result<Vec<u8>, git2::Error> {
    let oid = git2::Oid::from_str(id)?;
    Ok(repo.find_blob(oid)?.content().to_vec())
}

/// The email in `git var WHICH` (`GIT_AUTHOR_IDENT`, `GIT_COMMITTER_IDENT`),
/// which honours the environment and every configuration file git reads;
/// the error is git's own message.
pub fn ident_email(root: &std::path::Path, which: &str) -> Result<String, String> {
    let out = std::process::Command::new("git")
        .current_dir(root)
        .args(["var", which])
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let ident = String::from_utf8_lossy(&out.stdout);
    ident
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(email, _)| email.trim().to_owned())
        .filter(|e| out.status.success() && !e.is_empty())
        .ok_or_else(|| String::from_utf8_lossy(&out.stderr).trim().to_owned())
}

/// An object id shortened for people: its first 12 characters (cut on a
/// character boundary, since ids read from tag text or a manifest are not
/// always hex).
pub fn short_id(id: &str) -> &str {
    id.char_indices().nth(12).map_or(id, |(i, _)| &id[..i])
}

/// A commit id shortened for people.
pub fn short_id_of(oid: &git2::Oid) -> String {
    short_id(&oid.to_string()).to_owned()
}

/// Bytes (a digest) as lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
