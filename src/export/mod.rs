//! `aims export`: the auditor's evidence package. One folder (and, when
//! asked, one zip) that answers "show me" without access to the
//! repository: what was in force on the as-of date, who approved it and
//! when (with the signed tags to re-verify by hand), how each document
//! changed between approved versions, the SoA traceability matrix, the
//! mock audit, and a manifest of SHA-256 hashes that makes any later change
//! to the package detectable (`aims verify-export`).
//!
//! Outputs only: every fact comes from the [`Register`] and the [`Audit`];
//! git is read here for bytes (approved blobs, raw tag objects), never to
//! decide anything.
//!
//! Layout:
//!
//! ```text
//! index.html                     front page: scope, as-of, readiness, navigation
//! style.css
//! register.html|csv|json         the document-control register
//! soa.html                       control → applicability → procedure → evidence → owner
//! audit.html|json                the mock audit (`aims audit`)
//! approvals/index.html           every approval with its verification result
//! approvals/<tag>.tag|.payload|.sig, allowed_signers   for re-verification by hand
//! documents/<ID>/index.html      the content in force, rendered
//! documents/<ID>/in-force.md     its Markdown source
//! documents/<ID>/working.md      an unapproved version, when there is one
//! documents/<ID>/history.html    revisions, versions, approvals, redlines
//! documents/<ID>/redline-vN-vM.html, unapproved-changes.html
//! manifest.json, manifest.sha256
//! ```

mod documents;
pub mod html;
pub mod package;
mod pages;
mod records;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};

use git2::Repository;
use miette::IntoDiagnostic;

use crate::audit::{Audit, ControlVerdict};
use crate::control::{self, AsOf, Entry, Register, Version};
use crate::date::Date;
use crate::docs::{Document, Loaded};
use crate::history::approvals::{self, Approval, TagRecord};
use crate::history::short_id;
use crate::history::signature::{self, SignatureKind};
use crate::history::state::State;
use crate::report::register::{self as register_report, ApprovalJson, StatusFormat};
use crate::workspace::Workspace;

use html::{e, link};
use package::{Manifest, Names, References, Tool, Writer};

pub struct Options<'a> {
    /// The package folder; relative paths are taken from the directory the
    /// command runs in (after `-C`).
    pub out: PathBuf,
    pub as_of: Option<&'a str>,
    pub zip: Option<PathBuf>,
    /// Replace an existing, non-empty package folder.
    pub force: bool,
}

/// What was written, for the closing line.
pub struct Summary {
    pub out: PathBuf,
    pub zip: Option<PathBuf>,
    pub files: usize,
    pub bytes: u64,
    pub documents: usize,
    pub approvals: usize,
    pub as_of: Date,
    pub commit: Option<String>,
    pub manifest_sha256: String,
}

/// Writes the evidence package for the repository at `root`.
pub fn export(root: &Path, out: &Path, opts: &Options) -> miette::Result<Summary> {
    let repo = control::require_repository(root)?;
    let as_of = opts.as_of.map_or(AsOf::Now, AsOf::parse);
    // The tags are read once: for the register, and for their raw bytes.
    let records = approvals::read(&repo).map_err(control::git_error)?;
    let (ws, register) = Register::open_with(root, &repo, &as_of, &records)?;
    let replace = destination(out, root, repo.path(), &ws, opts.force)?;
    if let Some(z) = &opts.zip {
        zip_destination(z, out, root, repo.path(), opts.force)?;
    }
    let audit = crate::audit::build(&ws, Some(&register), &crate::audit::Options::default());

    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).into_diagnostic()?;
    let writer = Writer::new(&parent).map_err(|e| {
        miette::miette!(
            "cannot create a temporary folder in {}: {e}",
            parent.display()
        )
    })?;
    let mut x = Exporter::new(&repo, &ws, &register, &audit, &records, writer);
    x.write_all()?;
    let manifest = x.manifest();
    let approvals = x.approval_files.len();
    let documents = register.entries.len() + 1;
    let (files, bytes) = x.out.totals();
    let io = |what: &str| {
        let what = what.to_owned();
        move |e: std::io::Error| miette::miette!("cannot {what}: {e}")
    };
    x.out
        .finish(manifest, out, replace, opts.zip.as_deref())
        .map_err(io(&format!("write the package to {}", out.display())))?;
    let sums = std::fs::read_to_string(out.join(package::MANIFEST_HASH)).into_diagnostic()?;
    Ok(Summary {
        out: out.to_path_buf(),
        zip: opts.zip.clone(),
        files,
        bytes,
        documents,
        approvals,
        as_of: register.as_of,
        commit: register.commit.clone(),
        manifest_sha256: sums
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned(),
    })
}

/// Checks the destination: a new or empty folder, or (with `force`) an old
/// package; never the repository itself, a folder holding it, or a place
/// where the package's Markdown would become controlled documents.
/// Returns whether an existing folder is to be replaced.
fn destination(
    out: &Path,
    root: &Path,
    git_dir: &Path,
    ws: &Workspace,
    force: bool,
) -> miette::Result<bool> {
    let absolute = std::path::absolute(out).into_diagnostic()?;
    let root = root.canonicalize().into_diagnostic()?;
    let canonical = resolved(&absolute);
    if canonical.starts_with(resolved(git_dir)) {
        miette::bail!("{} is inside the repository's .git folder", out.display());
    }
    if root.starts_with(&canonical) {
        miette::bail!(
            help = "choose a new folder, e.g. `--out evidence-2026-06-30`",
            "{} holds the repository; the package needs a folder of its own",
            out.display()
        );
    }
    if let Ok(rel) = canonical.strip_prefix(&root) {
        let rel = rel.to_string_lossy().replace('\\', "/");
        let probe = format!("{rel}/documents/X/in-force.md");
        if ws.config.classify_path(&probe).is_some() {
            miette::bail!(
                help = "export outside the `documents` and `prds` globs of aims.toml, \
                        or outside the repository",
                "{} is where aims.toml looks for controlled documents: the package's \
                 Markdown copies would become documents themselves",
                out.display()
            );
        }
    }
    if !absolute.exists() {
        return Ok(false);
    }
    if !absolute.is_dir() {
        miette::bail!("{} exists and is not a folder", out.display());
    }
    let empty = std::fs::read_dir(&absolute)
        .into_diagnostic()?
        .next()
        .is_none();
    if empty {
        return Ok(false);
    }
    if !force {
        miette::bail!(
            help = "choose a new folder, or pass --force to replace the package in it",
            "{} is not empty",
            out.display()
        );
    }
    // --force replaces an evidence package, and nothing else.
    match package::Found::open(&absolute).map(|f| package::is_package(&f)) {
        Ok(true) => Ok(true),
        _ => miette::bail!(
            help = "choose a new folder; --force only replaces an earlier evidence package",
            "{} is not empty and holds no evidence package (no aims manifest.json)",
            out.display()
        ),
    }
}

/// Checks the zip's path: not inside the package folder or `.git`, and an
/// existing file is replaced only with `force`, and only when it is an
/// evidence package itself.
fn zip_destination(
    zip: &Path,
    out: &Path,
    root: &Path,
    git_dir: &Path,
    force: bool,
) -> miette::Result<()> {
    let zip_at = resolved(&std::path::absolute(zip).into_diagnostic()?);
    if zip_at.starts_with(resolved(&std::path::absolute(out).into_diagnostic()?)) {
        miette::bail!(
            help = "write the zip beside the folder, e.g. `--out evidence --zip evidence.zip`",
            "the zip {} would be inside the package folder {}",
            zip.display(),
            out.display()
        );
    }
    if zip_at.starts_with(resolved(git_dir)) || zip_at == resolved(root) {
        miette::bail!("{} is not a place for the zip", zip.display());
    }
    if !zip.exists() {
        return Ok(());
    }
    if !force {
        miette::bail!(
            help = "pass --force to replace it",
            "{} already exists",
            zip.display()
        );
    }
    match package::Found::open(zip).map(|f| package::is_package(&f)) {
        Ok(true) => Ok(()),
        _ => miette::bail!(
            "{} exists and is not an evidence package zip; --force will not replace it",
            zip.display()
        ),
    }
}

/// `path` with its longest existing prefix resolved (symlinks, `..`) and
/// the rest normalised, for comparing a folder yet to be made.
fn resolved(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_owned());
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for name in rest.iter().rev() {
        match Path::new(name).components().next() {
            Some(Component::ParentDir) => {
                out.pop();
            }
            Some(Component::CurDir) | None => {}
            Some(_) => out.push(name),
        }
    }
    out
}

/// Progress on standard error, only when it is a terminal.
struct Progress {
    on: bool,
    total: usize,
    done: usize,
}

impl Progress {
    fn new(total: usize) -> Progress {
        Progress {
            on: std::io::stderr().is_terminal(),
            total,
            done: 0,
        }
    }

    fn step(&mut self) {
        self.done += 1;
        if self.on && (self.done.is_multiple_of(25) || self.done == self.total) {
            let mut err = std::io::stderr();
            let _ = write!(
                err,
                "\raims: exporting documents {}/{}",
                self.done, self.total
            );
            if self.done == self.total {
                let _ = writeln!(err);
            }
            let _ = err.flush();
        }
    }
}

struct Exporter<'a> {
    repo: &'a Repository,
    ws: &'a Workspace,
    register: &'a Register,
    audit: &'a Audit,
    raw_tags: HashMap<&'a str, &'a TagRecord>,
    out: Writer,
    /// Document id → its folder under `documents/`.
    folders: Names,
    /// Repository path of a controlled document → its id.
    by_path: HashMap<&'a str, &'a str>,
    /// Approval record name (tag, or sign-off) → its package file stem.
    approval_files: BTreeMap<String, String>,
    approval_names: Names,
    refs: References,
}

impl<'a> Exporter<'a> {
    fn new(
        repo: &'a Repository,
        ws: &'a Workspace,
        register: &'a Register,
        audit: &'a Audit,
        records: &'a [TagRecord],
        out: Writer,
    ) -> Exporter<'a> {
        let mut folders = Names::default();
        let mut by_path = HashMap::new();
        for entry in std::iter::once(&register.config).chain(&register.entries) {
            folders.name(&entry.id);
            by_path.insert(entry.path.as_str(), entry.id.as_str());
        }
        Exporter {
            repo,
            ws,
            register,
            audit,
            raw_tags: records.iter().map(|r| (r.name.as_str(), r)).collect(),
            out,
            folders,
            by_path,
            approval_files: BTreeMap::new(),
            approval_names: Names::default(),
            refs: References::default(),
        }
    }

    fn entries(&self) -> impl Iterator<Item = &'a Entry> + use<'a> {
        std::iter::once(&self.register.config).chain(&self.register.entries)
    }

    fn folder(&self, id: &str) -> Option<&str> {
        self.folders.get(id)
    }

    /// The path to `file` in the folder of document `id`, from a page
    /// `depth` folders below the package root; None for an id the package
    /// has no folder for.
    fn doc_href(&self, id: &str, file: &str, depth: usize) -> Option<String> {
        let f = self.folder(id)?;
        Some(format!("{}documents/{f}/{file}", "../".repeat(depth)))
    }

    /// The id, linked to its document's page where the package has one.
    fn doc_link(&self, id: &str, depth: usize) -> String {
        match self.doc_href(id, "index.html", depth) {
            Some(href) => link(&href, id),
            None => e(id),
        }
    }

    fn write(&mut self, path: &str, bytes: impl AsRef<[u8]>) -> miette::Result<()> {
        self.out
            .write(path, bytes.as_ref())
            .map_err(|e| miette::miette!("cannot write {path} into the package: {e}"))
    }

    fn write_all(&mut self) -> miette::Result<()> {
        if let Some(c) = &self.register.commit {
            self.refs.commits.insert(c.clone());
        }
        self.write("style.css", html::CSS)?;
        let entries: Vec<&Entry> = self.entries().collect();
        let mut progress = Progress::new(entries.len());
        for entry in &entries {
            self.document(entry)?;
            progress.step();
        }
        self.approvals_page()?;
        self.register_files()?;
        self.soa()?;
        self.audit_files()?;
        self.index()
    }

    fn manifest(&self) -> Manifest {
        Manifest {
            schema: package::SCHEMA.to_owned(),
            tool: Tool {
                name: "aims".to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            organisation: self.ws.config.organisation.clone(),
            as_of: self.register.as_of.to_string(),
            commit: self.register.commit.clone(),
            working_tree: self.register.working_tree,
            uncommitted: {
                let mut paths: Vec<String> = self
                    .entries()
                    .filter(|e| e.state.uncommitted)
                    .map(|e| e.path.clone())
                    .collect();
                paths.sort();
                paths
            },
            references: self.refs.clone(),
            // Filled in when the package is sealed.
            files: Vec::new(),
        }
    }
}

/// Text for display; the package's source files keep the bytes.
fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// ---------------------------------------------------------------------------
// verify-export

pub struct Verified {
    pub files: usize,
    pub problems: Vec<String>,
    pub notes: Vec<String>,
    pub manifest: Option<Manifest>,
}

/// Re-checks a package folder or zip; `repo`, when given, is the repository
/// whose commits and tags the package must still find.
pub fn verify_export(package: &Path, repo: Option<&Repository>) -> miette::Result<Verified> {
    let found = package::Found::open(package).map_err(|e| miette::miette!("{e}"))?;
    let v = package::verify(&found);
    let mut problems = v.problems;
    let mut notes = Vec::new();
    if let Some(m) = &v.manifest {
        match repo {
            Some(repo) => problems.extend(package::check_references(repo, &m.references)),
            None => notes.push(
                "not inside a git repository: the commits and tags the package names were not checked"
                    .to_owned(),
            ),
        }
    }
    Ok(Verified {
        files: v.files,
        problems,
        notes,
        manifest: v.manifest,
    })
}
