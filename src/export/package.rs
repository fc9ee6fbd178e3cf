//! The evidence package on disk: files written under a temporary folder
//! with their SHA-256 recorded as they are written, the manifest, the
//! atomic move into place, the zip, and the re-check of all of it
//! (`aims verify-export`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const SCHEMA: &str = "aims.export/v1";
pub const MANIFEST: &str = "manifest.json";
pub const MANIFEST_HASH: &str = "manifest.sha256";

/// One file of the package, as the manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FileEntry {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// What the package describes in git: verify-export checks these still
/// exist when it runs inside the repository.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct References {
    /// Every commit the package names: the as-of commit, each document
    /// revision, each approved commit.
    pub commits: BTreeSet<String>,
    /// Approval tag name → the tag object's id.
    pub tags: BTreeMap<String, String>,
    /// What each `in-force` source claims to be: verify-export re-checks
    /// the bytes against the approval in the repository.
    #[serde(default)]
    pub in_force: Vec<InForce>,
    /// The `[[source]]` product repositories whose PRDs the package holds:
    /// by name, the snapshot read and the commits and tags named there.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sources: BTreeMap<String, SourceRefs>,
}

/// What the package names in one product repository.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SourceRefs {
    /// The repository as aims.toml names it.
    pub repository: String,
    #[serde(rename = "ref")]
    pub reference: String,
    /// The commit its PRDs were read at.
    pub commit: String,
    /// Every commit of it the package names (revisions, approved commits).
    pub commits: BTreeSet<String>,
    /// Approval tag name → the tag object's id, in that repository.
    pub tags: BTreeMap<String, String>,
}

/// A document's content in force, as the package holds it, and the
/// approval that put it in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct InForce {
    /// The package file (`documents/<ID>/in-force.md`).
    pub file: String,
    pub document: String,
    /// The document's path in the repository.
    pub path: String,
    /// The approved blob: the file's bytes hash to it as a git blob.
    pub blob: String,
    /// The approved commit.
    pub commit: String,
    /// The approval tag.
    pub tag: String,
    /// The `[[source]]` whose repository holds the commit and tag, for a
    /// PRD kept in a product repository.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// `manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Manifest {
    #[schemars(extend("const" = "aims.export/v1"))]
    pub schema: String,
    pub tool: Tool,
    pub organisation: Option<String>,
    /// The day the package describes (UTC).
    pub as_of: String,
    /// The commit described.
    pub commit: Option<String>,
    /// Documents were read from the working tree, which may hold
    /// uncommitted changes (listed in `uncommitted`).
    pub working_tree: bool,
    pub uncommitted: Vec<String>,
    pub references: References,
    pub files: Vec<FileEntry>,
    /// Present when the package was signed (`aims export --sign`): who
    /// signed, when, and how; the signature file proves it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<super::sign::Claim>,
}

/// A name safe as one path component on every file system: letters,
/// digits, `.`, `_` and `-`, not starting with a dot, at most 120 bytes.
pub fn safe_component(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with('.') {
        out.replace_range(..1, "_");
    }
    out.truncate(120);
    if out.is_empty() {
        out.push('_');
    }
    // Names Windows reserves for devices, with or without an extension.
    let stem = out
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let device = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (stem.len() == 4
            && (stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.as_bytes()[3].is_ascii_digit());
    if device {
        out.insert(0, '_');
    }
    out
}

/// Unique safe names: two inputs that sanitise alike get `-2`, `-3`, …
#[derive(Default)]
pub struct Names {
    given: BTreeMap<String, String>,
    taken: BTreeSet<String>,
}

impl Names {
    pub fn name(&mut self, key: &str) -> String {
        if let Some(n) = self.given.get(key) {
            return n.clone();
        }
        let mut base = safe_component(key);
        base.truncate(110); // room for a `-N` suffix within 120
        let lower = |s: &str| s.to_ascii_lowercase();
        // Case-insensitive file systems would merge names differing by case.
        let mut name = base.clone();
        let mut n = 1;
        while self.taken.contains(&lower(&name)) {
            n += 1;
            name = format!("{base}-{n}");
        }
        self.taken.insert(lower(&name));
        self.given.insert(key.to_owned(), name.clone());
        name
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.given.get(key).map(String::as_str)
    }
}

/// A package path is relative, `/`-separated, and every component is a
/// safe name: it can never leave the package's folder.
pub fn is_safe_path(path: &str) -> bool {
    !path.is_empty()
        && path
            .split('/')
            .all(|c| !c.is_empty() && safe_component(c) == c)
}

/// The package being written, in a temporary folder beside its destination.
pub struct Writer {
    dir: tempfile::TempDir,
    files: BTreeMap<String, FileEntry>,
    /// The manifest's signature file, once signed.
    signature: Option<&'static str>,
}

impl Writer {
    /// A temporary folder in `parent` (the destination's own folder, so the
    /// final move is a rename on one file system).
    pub fn new(parent: &Path) -> std::io::Result<Writer> {
        remove_stale(parent);
        let dir = tempfile::Builder::new()
            .prefix(&temp_prefix(""))
            .tempdir_in(parent)?;
        Ok(Writer {
            dir,
            files: BTreeMap::new(),
            signature: None,
        })
    }

    pub fn write(&mut self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        if !is_safe_path(path)
            || path == MANIFEST
            || path == MANIFEST_HASH
            || SIGNATURES.contains(&path)
        {
            return Err(std::io::Error::other(format!(
                "refusing to write `{path}`: not a safe package path"
            )));
        }
        if self.files.contains_key(path) {
            return Err(std::io::Error::other(format!(
                "`{path}` would be written twice"
            )));
        }
        let target = self.dir.path().join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&target, bytes)?;
        self.files.insert(path.to_owned(), entry(path, bytes));
        Ok(())
    }

    /// Files written and their bytes, the manifest and its hash aside.
    pub fn totals(&self) -> (usize, u64) {
        (self.files.len(), self.files.values().map(|f| f.size).sum())
    }

    /// Where a file written into the package is, until it is finished.
    pub fn path_of(&self, path: &str) -> PathBuf {
        self.dir.path().join(path)
    }

    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// Writes the manifest (listing every file written) and its hash.
    fn seal(&mut self, mut manifest: Manifest) -> std::io::Result<Vec<u8>> {
        manifest.files = self.files.values().cloned().collect();
        let mut json = serde_json::to_vec_pretty(&manifest).map_err(std::io::Error::other)?;
        json.push(b'\n');
        fs::write(self.dir.path().join(MANIFEST), &json)?;
        // `sha256sum -c manifest.sha256` checks it too.
        let line = format!("{}  {MANIFEST}\n", hex(&Sha256::digest(&json)));
        fs::write(self.dir.path().join(MANIFEST_HASH), line)?;
        Ok(json)
    }

    /// Seals the package (signed by `signer`, when given), writes the zip
    /// (when asked) and moves the folder to `out`, replacing an old package
    /// there only when `replace`.
    pub fn finish(
        mut self,
        mut manifest: Manifest,
        out: &Path,
        replace: bool,
        zip: Option<&Path>,
        signer: Option<&super::sign::Signer>,
    ) -> miette::Result<()> {
        let io = |e: std::io::Error| {
            miette::miette!("cannot write the package to {}: {e}", out.display())
        };
        manifest.signature = signer.map(|s| s.claim());
        let json = self.seal(manifest).map_err(io)?;
        if let Some(signer) = signer {
            let (name, signature) = signer.sign(&json)?;
            fs::write(self.dir.path().join(name), signature).map_err(io)?;
            self.signature = Some(name);
        }
        self.place(out, replace, zip).map_err(io)
    }

    fn place(self, out: &Path, replace: bool, zip: Option<&Path>) -> std::io::Result<()> {
        let zip_file = match zip {
            Some(z) => Some(self.zip(z)?),
            None => None,
        };
        let staged = self.dir.keep();
        let moved = (|| {
            if replace && out.exists() {
                // Move the old package aside first, so that a failure
                // leaves either the old or the new one in place.
                let parent = out.parent().unwrap_or(Path::new("."));
                let old = tempfile::Builder::new()
                    .prefix(&temp_prefix("old-"))
                    .tempdir_in(parent)?;
                let aside = old.path().join("package");
                fs::rename(out, &aside)?;
                if let Err(e) = fs::rename(&staged, out) {
                    let _ = fs::rename(&aside, out);
                    return Err(e);
                }
                drop(old);
                Ok(())
            } else {
                if out.exists() {
                    // An empty folder (checked by the caller) gives way.
                    fs::remove_dir(out)?;
                }
                fs::rename(&staged, out)
            }
        })();
        if let Err(e) = moved {
            let _ = fs::remove_dir_all(&staged);
            return Err(e);
        }
        if let (Some(file), Some(z)) = (zip_file, zip) {
            file.persist(z).map_err(|e| e.error)?;
        }
        Ok(())
    }

    /// The package as a zip beside `dest` (persisted once the folder is in
    /// place), every entry under one folder named after the zip.
    fn zip(&self, dest: &Path) -> std::io::Result<tempfile::NamedTempFile> {
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let top = safe_component(
            &dest
                .file_stem()
                .map_or("evidence".into(), |s| s.to_string_lossy()),
        );
        let tmp = tempfile::Builder::new()
            .prefix(&temp_prefix(""))
            .suffix(".zip")
            .tempfile_in(parent)?;
        let mut zip = zip::ZipWriter::new(tmp.reopen()?);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default());
        let mut paths: Vec<&str> = self.files.keys().map(String::as_str).collect();
        paths.extend([MANIFEST, MANIFEST_HASH]);
        paths.extend(self.signature);
        for path in paths {
            let bytes = fs::read(self.dir.path().join(path))?;
            zip.start_file(format!("{top}/{path}"), options)
                .map_err(std::io::Error::other)?;
            zip.write_all(&bytes)?;
        }
        zip.finish().map_err(std::io::Error::other)?;
        Ok(tmp)
    }
}

/// Temporary names carry the process id, so that a later export can tell
/// the leftovers of a killed one from the work of one still running.
fn temp_prefix(kind: &str) -> String {
    format!(".aims-export-{kind}{}-", std::process::id())
}

/// Removes what killed exports left in `parent`: temporary folders and
/// zips whose process is gone (where /proc tells), or a day old.
fn remove_stale(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let proc = Path::new("/proc/self").exists();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(".aims-export-") else {
            continue;
        };
        let rest = rest.strip_prefix("old-").unwrap_or(rest);
        let pid = rest
            .split_once('-')
            .and_then(|(pid, _)| pid.parse::<u32>().ok());
        let stale = match pid {
            Some(pid) if proc => !Path::new(&format!("/proc/{pid}")).exists(),
            _ => e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 86_400),
        };
        if stale {
            let path = e.path();
            let _ = match e.file_type() {
                Ok(t) if t.is_dir() => fs::remove_dir_all(&path),
                _ => fs::remove_file(&path),
            };
        }
    }
}

fn entry(path: &str, bytes: &[u8]) -> FileEntry {
    FileEntry {
        path: path.to_owned(),
        sha256: hex(&Sha256::digest(bytes)),
        size: bytes.len() as u64,
    }
}

pub use crate::history::hex;

// ---------------------------------------------------------------------------
// verify-export

/// The largest `manifest.json` (or signature) read: far beyond any real
/// AIMS (a manifest lists a few hundred bytes per file), far below harm.
pub const MANIFEST_LIMIT: u64 = 64 << 20;

/// The most file content verify-export reads in all: a package listing
/// more is refused unread (real packages hold megabytes).
pub const PACKAGE_LIMIT: u64 = 4 << 30;

/// A package's files as found: a folder, or a zip whose entries are read
/// one at a time, as a stream, never beyond the size the manifest gives.
pub enum Found {
    Dir(PathBuf),
    Zip {
        archive: std::cell::RefCell<zip::ZipArchive<fs::File>>,
        /// Package path → entry index (paths outside the package folder
        /// are listed as `../NAME`, so they are reported as extra).
        entries: BTreeMap<String, usize>,
    },
}

/// A file's SHA-256 and size, read as a stream; `over` when it holds more
/// than the limit it was read with (reading stopped there).
pub struct Hashed {
    pub entry: FileEntry,
    pub over: bool,
}

impl Found {
    /// Opens a package folder or zip; an error means it cannot be read at all.
    pub fn open(path: &Path) -> Result<Found, String> {
        let meta =
            fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if meta.is_dir() {
            return Ok(Found::Dir(path.to_path_buf()));
        }
        let file =
            fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut archive = zip::ZipArchive::new(file)
            .map_err(|e| format!("{} is neither a folder nor a zip: {e}", path.display()))?;
        let mut names = BTreeMap::new();
        for i in 0..archive.len() {
            let f = archive
                .by_index_raw(i)
                .map_err(|e| format!("{}: entry {i}: {e}", path.display()))?;
            if f.is_dir() {
                continue;
            }
            let name = f
                .name()
                .map_err(|e| format!("{}: entry {i}: {e}", path.display()))?
                .into_owned();
            names.insert(name, i);
        }
        // The package is the folder holding the shallowest manifest.json.
        let top = names
            .keys()
            .filter(|n| n.rsplit('/').next() == Some(MANIFEST))
            .min_by_key(|n| n.matches('/').count())
            .map(|n| n[..n.len() - MANIFEST.len()].to_owned())
            .unwrap_or_default();
        let entries = names
            .into_iter()
            .map(|(name, i)| match name.strip_prefix(&top) {
                Some(rest) => (rest.to_owned(), i),
                None => (format!("../{name}"), i),
            })
            .collect();
        Ok(Found::Zip {
            archive: std::cell::RefCell::new(archive),
            entries,
        })
    }

    /// Streams a file through `sink`, at most `limit + 1` bytes of it: None
    /// when absent, an error when it is not a regular file (a symlink could
    /// point anywhere) or cannot be read.
    fn stream(
        &self,
        path: &str,
        limit: u64,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Result<Option<()>, String> {
        let copy = |reader: &mut dyn Read, sink: &mut dyn FnMut(&[u8])| {
            let mut reader = reader.take(limit.saturating_add(1));
            let mut buf = vec![0; 64 * 1024];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => return Ok(Some(())),
                    Ok(n) => sink(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e.to_string()),
                }
            }
        };
        match self {
            Found::Zip { archive, entries } => {
                let Some(&i) = entries.get(path) else {
                    return Ok(None);
                };
                let mut archive = archive.borrow_mut();
                let mut f = archive.by_index(i).map_err(|e| e.to_string())?;
                if f.size() > limit {
                    // The declared size alone is enough to refuse; nothing
                    // is inflated.
                    return Err(format!(
                        "declares {} bytes, more than the {limit} allowed",
                        f.size()
                    ));
                }
                copy(&mut f, sink)
            }
            Found::Dir(dir) => {
                let full = dir.join(path);
                match fs::symlink_metadata(&full) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(e.to_string()),
                    Ok(m) if !m.is_file() => Err("not a regular file (a symlink?)".to_owned()),
                    Ok(_) => {
                        let mut f = fs::File::open(&full).map_err(|e| e.to_string())?;
                        copy(&mut f, sink)
                    }
                }
            }
        }
    }

    /// A file's bytes, when it holds at most `limit`.
    pub fn read(&self, path: &str, limit: u64) -> Result<Option<Vec<u8>>, String> {
        let mut bytes = Vec::new();
        let found = self.stream(path, limit, &mut |chunk| bytes.extend_from_slice(chunk))?;
        if bytes.len() as u64 > limit {
            return Err(format!("larger than the {limit} bytes allowed"));
        }
        Ok(found.map(|()| bytes))
    }

    /// A file's SHA-256 and size, reading at most `limit + 1` bytes.
    pub fn hash(&self, path: &str, limit: u64) -> Result<Option<Hashed>, String> {
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let found = self.stream(path, limit, &mut |chunk| {
            hasher.update(chunk);
            size += chunk.len() as u64;
        })?;
        Ok(found.map(|()| Hashed {
            entry: FileEntry {
                path: path.to_owned(),
                sha256: hex(&hasher.finalize()),
                size,
            },
            over: size > limit,
        }))
    }

    /// Every file present, as package paths; symlinks and other
    /// non-regular files are listed too (so they are reported).
    pub fn list(&self) -> Result<BTreeSet<String>, String> {
        match self {
            Found::Zip { entries, .. } => Ok(entries.keys().cloned().collect()),
            Found::Dir(dir) => {
                let mut out = BTreeSet::new();
                for e in walkdir::WalkDir::new(dir).min_depth(1) {
                    let e = e.map_err(|e| e.to_string())?;
                    if e.file_type().is_dir() {
                        continue;
                    }
                    let rel = e.path().strip_prefix(dir).map_err(|e| e.to_string())?;
                    out.insert(crate::workspace::slash_path(rel));
                }
                Ok(out)
            }
        }
    }
}

/// Whether `found` holds an evidence package's manifest (of any integrity):
/// what `--force` may replace.
pub fn is_package(found: &Found) -> bool {
    matches!(found.read(MANIFEST, MANIFEST_LIMIT), Ok(Some(json))
        if serde_json::from_slice::<serde_json::Value>(&json)
            .is_ok_and(|m| m["schema"] == SCHEMA))
}

/// What is wrong with a package, one line each, naming the file.
#[derive(Debug, Default)]
pub struct Verification {
    pub manifest: Option<Manifest>,
    /// The manifest's bytes, for its signature.
    pub manifest_bytes: Vec<u8>,
    pub problems: Vec<String>,
    pub files: usize,
    /// Bytes read to check the files.
    pub bytes: u64,
    /// Files already reported missing, unreadable or altered.
    pub failed: BTreeSet<String>,
}

/// Files the package may hold beside those the manifest lists.
pub const SIGNATURES: [&str; 2] = [
    super::sign::Format::Ssh.file(),
    super::sign::Format::Openpgp.file(),
];

pub fn verify(found: &Found) -> Verification {
    let mut v = Verification::default();
    let json = match found.read(MANIFEST, MANIFEST_LIMIT) {
        Ok(Some(json)) => json,
        Ok(None) => {
            v.problems.push(format!(
                "{MANIFEST}: missing (this is not an aims evidence package, or it was emptied)"
            ));
            return v;
        }
        Err(e) => {
            v.problems.push(format!("{MANIFEST}: {e}"));
            return v;
        }
    };
    match found.read(MANIFEST_HASH, 1024) {
        Ok(None) => v.problems.push(format!("{MANIFEST_HASH}: missing")),
        Err(e) => v.problems.push(format!("{MANIFEST_HASH}: {e}")),
        Ok(Some(line)) => {
            let expected = String::from_utf8_lossy(&line);
            let expected = expected.split_whitespace().next().unwrap_or_default();
            if expected != hex(&Sha256::digest(&json)) {
                // Which of the two changed cannot be told; both are named.
                v.problems.push(format!(
                    "{MANIFEST} or {MANIFEST_HASH}: altered (the SHA-256 of {MANIFEST} is not \
                     the one {MANIFEST_HASH} holds)"
                ));
            }
        }
    }
    let manifest: Manifest = match serde_json::from_slice(&json) {
        Ok(m @ Manifest { .. }) if m.schema != SCHEMA => {
            v.problems
                .push(format!("{MANIFEST}: schema `{}`, not `{SCHEMA}`", m.schema));
            return v;
        }
        Ok(m) => m,
        Err(e) => {
            v.problems.push(format!("{MANIFEST} cannot be read: {e}"));
            return v;
        }
    };
    v.manifest_bytes = json;
    let present = match found.list() {
        Ok(p) => p,
        Err(e) => {
            v.problems.push(format!("cannot list the package: {e}"));
            return v;
        }
    };
    let total = manifest
        .files
        .iter()
        .fold(0u64, |sum, f| sum.saturating_add(f.size));
    if total > PACKAGE_LIMIT {
        v.problems.push(format!(
            "{MANIFEST} lists {total} bytes of files, more than the {PACKAGE_LIMIT} bytes \
             verify-export reads: not checked"
        ));
        return v;
    }
    let mut listed = BTreeSet::new();
    for f in &manifest.files {
        if !is_safe_path(&f.path) {
            v.problems.push(format!(
                "{MANIFEST} lists `{}`, a path outside the package",
                f.path
            ));
            continue;
        }
        listed.insert(f.path.as_str());
        let problems = v.problems.len();
        // Each file is read as a stream and never past the size the
        // manifest gives it: a bomb costs at most that, plus one byte.
        match found.hash(&f.path, f.size) {
            Ok(None) => v.problems.push(format!("{}: missing", f.path)),
            Err(e) => v.problems.push(format!(
                "{}: {e} (the manifest says {} bytes)",
                f.path, f.size
            )),
            Ok(Some(h)) if h.over => v.problems.push(format!(
                "{}: altered (larger than the {} bytes the manifest says; reading stopped there)",
                f.path, f.size
            )),
            Ok(Some(h)) => {
                v.bytes += h.entry.size;
                if h.entry.sha256 != f.sha256 || h.entry.size != f.size {
                    v.problems.push(format!(
                        "{}: altered (SHA-256 {}, {} bytes; the manifest says {}, {} bytes)",
                        f.path, h.entry.sha256, h.entry.size, f.sha256, f.size
                    ));
                }
                v.files += 1;
            }
        }
        if v.problems.len() > problems {
            v.failed.insert(f.path.clone());
        }
    }
    for p in &present {
        let own = p == MANIFEST || p == MANIFEST_HASH || SIGNATURES.contains(&p.as_str());
        if !own && !listed.contains(p.as_str()) {
            v.problems.push(format!("{p}: extra (not in the manifest)"));
        }
    }
    v.manifest = Some(manifest);
    v
}

/// The manifest's commits and tags that the repository no longer has as
/// they were: history rewritten, a tag deleted or moved.
pub fn check_references(repo: &git2::Repository, refs: &References) -> Vec<String> {
    let mut problems = check_in(repo, &refs.commits, &refs.tags, "");
    // A product repository's commits and tags: in its source's cache.
    for (name, source) in &refs.sources {
        let dir = crate::sync::source_dir(repo, name);
        match git2::Repository::open_bare(&dir) {
            Ok(cache) => {
                let mut commits = source.commits.clone();
                commits.insert(source.commit.clone());
                problems.extend(check_in(
                    &cache,
                    &commits,
                    &source.tags,
                    &format!(" (source `{name}`, {})", source.repository),
                ));
            }
            Err(_) => problems.push(format!(
                "source `{name}` ({}) is not cached here, so the commits and tags the package \
                 names in it cannot be checked: run `aims sync`",
                source.repository
            )),
        }
    }
    problems
}

/// The commits and tags missing or moved in `repo` (`what` says which repository).
fn check_in(
    repo: &git2::Repository,
    commits: &BTreeSet<String>,
    tags: &BTreeMap<String, String>,
    what: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    for c in commits {
        let found = git2::Oid::from_str(c).and_then(|oid| repo.find_commit(oid));
        if found.is_err() {
            problems.push(format!(
                "commit {c} is not in this repository{what}: history was rewritten, or this is another repository"
            ));
        }
    }
    for (name, id) in tags {
        match repo.refname_to_id(&format!("refs/tags/{name}")) {
            Ok(oid) if oid.to_string() == *id => {}
            Ok(oid) => problems.push(format!(
                "tag {name}{what} now points to {oid}, not to the tag object {id} the package recorded"
            )),
            Err(_) => problems.push(format!("tag {name}{what} no longer exists")),
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_escape_or_collide() {
        assert_eq!(safe_component("POL-001"), "POL-001");
        assert_eq!(safe_component("../../etc/passwd"), "_._.._etc_passwd");
        assert_eq!(safe_component(".."), "_.");
        assert_eq!(safe_component(""), "_");
        assert_eq!(safe_component("aims/pol-001/v1"), "aims_pol-001_v1");
        assert_eq!(safe_component("CON"), "_CON");
        assert_eq!(safe_component("nul.md"), "_nul.md");
        assert_eq!(safe_component("COM1"), "_COM1");
        assert_eq!(safe_component("CONTROL"), "CONTROL");
        assert_eq!(safe_component(&"x".repeat(300)).len(), 120);
        assert!(!is_safe_path("../x") && !is_safe_path("/x") && !is_safe_path("a//b"));
        assert!(!is_safe_path("a/./b") && !is_safe_path(""));
        assert!(is_safe_path("documents/POL-001/index.html"));
        let mut names = Names::default();
        assert_eq!(names.name("A/B"), "A_B");
        assert_eq!(names.name("A_B"), "A_B-2");
        assert_eq!(names.name("a_b"), "a_b-3");
        assert_eq!(names.name("A/B"), "A_B");
    }

    #[test]
    fn a_writer_refuses_unsafe_and_repeated_paths() {
        let tmp = tempfile::tempdir().unwrap();
        let mut w = Writer::new(tmp.path()).unwrap();
        assert!(w.write("../escape", b"x").is_err());
        assert!(w.write("manifest.json", b"x").is_err());
        w.write("a/b.txt", b"x").unwrap();
        assert!(w.write("a/b.txt", b"y").is_err());
        assert!(!tmp.path().join("escape").exists());
    }
}
