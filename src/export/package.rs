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
}

impl Writer {
    /// A temporary folder in `parent` (the destination's own folder, so the
    /// final move is a rename on one file system).
    pub fn new(parent: &Path) -> std::io::Result<Writer> {
        let dir = tempfile::Builder::new()
            .prefix(".aims-export-")
            .tempdir_in(parent)?;
        Ok(Writer {
            dir,
            files: BTreeMap::new(),
        })
    }

    pub fn write(&mut self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        if !is_safe_path(path) || path == MANIFEST || path == MANIFEST_HASH {
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

    /// Seals the package, writes the zip (when asked) and moves the folder
    /// to `out`, replacing an old package there only when `replace`.
    pub fn finish(
        mut self,
        manifest: Manifest,
        out: &Path,
        replace: bool,
        zip: Option<&Path>,
    ) -> std::io::Result<()> {
        self.seal(manifest)?;
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
                    .prefix(".aims-export-old-")
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
            .prefix(".aims-export-")
            .suffix(".zip")
            .tempfile_in(parent)?;
        let mut zip = zip::ZipWriter::new(tmp.reopen()?);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default());
        let mut paths: Vec<&str> = self.files.keys().map(String::as_str).collect();
        paths.extend([MANIFEST, MANIFEST_HASH]);
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

fn entry(path: &str, bytes: &[u8]) -> FileEntry {
    FileEntry {
        path: path.to_owned(),
        sha256: hex(&Sha256::digest(bytes)),
        size: bytes.len() as u64,
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------
// verify-export

/// A package's files as found: a folder, or a zip read into memory.
pub enum Found {
    Dir(PathBuf),
    Zip(BTreeMap<String, Vec<u8>>),
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
        let mut files = BTreeMap::new();
        for i in 0..archive.len() {
            let mut f = archive
                .by_index(i)
                .map_err(|e| format!("{}: entry {i}: {e}", path.display()))?;
            if f.is_dir() {
                continue;
            }
            let name = f
                .name()
                .map_err(|e| format!("{}: entry {i}: {e}", path.display()))?
                .into_owned();
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes)
                .map_err(|e| format!("{}: {name}: {e}", path.display()))?;
            files.insert(name, bytes);
        }
        // The package is the folder holding the shallowest manifest.json.
        let top = files
            .keys()
            .filter(|n| n.rsplit('/').next() == Some(MANIFEST))
            .min_by_key(|n| n.matches('/').count())
            .map(|n| n[..n.len() - MANIFEST.len()].to_owned())
            .unwrap_or_default();
        Ok(Found::Zip(
            files
                .into_iter()
                .map(|(name, bytes)| match name.strip_prefix(&top) {
                    Some(rest) => (rest.to_owned(), bytes),
                    // Outside the package folder: reported as extra.
                    None => (format!("../{name}"), bytes),
                })
                .collect(),
        ))
    }

    /// A file's bytes: None when absent, an error when it is not a
    /// regular file (a symlink could point anywhere) or cannot be read.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        match self {
            Found::Zip(files) => Ok(files.get(path).cloned()),
            Found::Dir(dir) => {
                let full = dir.join(path);
                match fs::symlink_metadata(&full) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(e.to_string()),
                    Ok(m) if !m.is_file() => Err("not a regular file (a symlink?)".to_owned()),
                    Ok(_) => fs::read(&full).map(Some).map_err(|e| e.to_string()),
                }
            }
        }
    }

    /// Every file present, as package paths; symlinks and other
    /// non-regular files are listed too (so they are reported).
    fn list(&self) -> Result<BTreeSet<String>, String> {
        match self {
            Found::Zip(files) => Ok(files.keys().cloned().collect()),
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
    matches!(found.read(MANIFEST), Ok(Some(json))
        if serde_json::from_slice::<serde_json::Value>(&json)
            .is_ok_and(|m| m["schema"] == SCHEMA))
}

/// What is wrong with a package, one line each, naming the file.
#[derive(Debug, Default)]
pub struct Verification {
    pub manifest: Option<Manifest>,
    pub problems: Vec<String>,
    pub files: usize,
}

pub fn verify(found: &Found) -> Verification {
    let mut v = Verification::default();
    let json = match found.read(MANIFEST) {
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
    match found.read(MANIFEST_HASH) {
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
    let present = match found.list() {
        Ok(p) => p,
        Err(e) => {
            v.problems.push(format!("cannot list the package: {e}"));
            return v;
        }
    };
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
        match found.read(&f.path) {
            Ok(None) => v.problems.push(format!("{}: missing", f.path)),
            Err(e) => v.problems.push(format!("{}: {e}", f.path)),
            Ok(Some(bytes)) => {
                let actual = entry(&f.path, &bytes);
                if actual.sha256 != f.sha256 || actual.size != f.size {
                    v.problems.push(format!(
                        "{}: altered (SHA-256 {}, {} bytes; the manifest says {}, {} bytes)",
                        f.path, actual.sha256, actual.size, f.sha256, f.size
                    ));
                }
                v.files += 1;
            }
        }
    }
    for p in &present {
        if p != MANIFEST && p != MANIFEST_HASH && !listed.contains(p.as_str()) {
            v.problems.push(format!("{p}: extra (not in the manifest)"));
        }
    }
    v.manifest = Some(manifest);
    v
}

/// The manifest's commits and tags that the repository no longer has as
/// they were: history rewritten, a tag deleted or moved.
pub fn check_references(repo: &git2::Repository, refs: &References) -> Vec<String> {
    let mut problems = Vec::new();
    for c in &refs.commits {
        let found = git2::Oid::from_str(c).and_then(|oid| repo.find_commit(oid));
        if found.is_err() {
            problems.push(format!(
                "commit {c} is not in this repository: history was rewritten, or this is another repository"
            ));
        }
    }
    for (name, id) in &refs.tags {
        match repo.refname_to_id(&format!("refs/tags/{name}")) {
            Ok(oid) if oid.to_string() == *id => {}
            Ok(oid) => problems.push(format!(
                "tag {name} now points to {oid}, not to the tag object {id} the package recorded"
            )),
            Err(_) => problems.push(format!("tag {name} no longer exists")),
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
