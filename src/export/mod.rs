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
//! book.html                      everything above in one printable file
//! evidence.pdf                   book.html printed (with --pdf)
//! approvals/index.html           every approval with its verification result
//! approvals/<tag>.tag|.payload|.sig, allowed_signers   for re-verification by hand
//! documents/<ID>/index.html      the content in force, rendered
//! documents/<ID>/in-force.md     its Markdown source
//! documents/<ID>/working.md      an unapproved version, when there is one
//! documents/<ID>/history.html    revisions, versions, approvals, redlines
//! documents/<ID>/redline-vN-vM.html, unapproved-changes.html
//! manifest.json, manifest.sha256
//! ```

mod book;
mod documents;
pub mod html;
pub mod package;
mod pages;
mod pdf;
mod records;
pub mod sign;

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
    /// Sign the manifest with the exporter's git signing key.
    pub sign: bool,
    /// Also print book.html to evidence.pdf with a local headless Chromium.
    pub pdf: bool,
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
    /// The signature file and who signed, when signed.
    pub signed: Option<(&'static str, String)>,
}

/// Writes the evidence package for the repository at `root`.
pub fn export(root: &Path, out: &Path, opts: &Options) -> miette::Result<Summary> {
    let repo = control::require_repository(root)?;
    // The signing set-up is checked before any work is done.
    let signer = match opts.sign {
        true => Some(sign::Signer::from_git(root)?),
        false => None,
    };
    // A missing browser is said before any work is done.
    let browser = if opts.pdf { Some(pdf::find()?) } else { None };
    let as_of = opts.as_of.map_or(AsOf::Now, AsOf::parse);
    // The tags are read once: for the register, and for their raw bytes.
    let records = approvals::read(&repo).map_err(control::git_error)?;
    let (mut ws, mut register) = Register::open_with(root, &repo, &as_of, &records)?;
    crate::sources::attach(&mut ws, &repo, crate::sync::offline(), Some(&mut register))?;
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
    let foreign = Foreign::open_all(&repo, &ws, &register)?;
    let mut x = Exporter::new(&repo, &ws, &register, &audit, &records, writer);
    x.foreign = &foreign;
    x.with_pdf = browser.is_some();
    x.write_all()?;
    if let Some(browser) = &browser {
        let bytes = pdf::print(browser, &x.out.path_of(book::FILE))?;
        x.write(pdf::FILE, bytes)?;
    }
    let manifest = x.manifest();
    let approvals = x.approval_files.len();
    let documents = register.entries.len() + 1;
    let (files, bytes) = x.out.totals();
    let signed = signer
        .as_ref()
        .map(|s| (s.claim().format.file(), s.claim().signer));
    x.out
        .finish(manifest, out, replace, opts.zip.as_deref(), signer.as_ref())?;
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
        signed,
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

/// Where links in generated HTML lead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Links {
    /// Package pages, from a page this many folders below the root.
    Page(usize),
    /// Sections of `book.html`, the one printable file.
    Book,
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
    /// evidence.pdf will be printed from book.html (the front page says so).
    with_pdf: bool,
    /// The `[[source]]` repositories whose PRDs the register holds.
    foreign: &'a [Foreign],
    /// The working tree's files (with those outside a sparse checkout).
    working: crate::workspace::WorkingTree<'a>,
}

/// A `[[source]]`'s cache, opened for the package: its objects (the PRDs'
/// approved content, revisions and tags) are not in this repository.
pub(crate) struct Foreign {
    name: String,
    repository: String,
    reference: String,
    commit: String,
    repo: Repository,
    records: Vec<TagRecord>,
    /// The ids of its PRDs.
    ids: std::collections::BTreeSet<String>,
}

impl Foreign {
    /// Every source the workspace read a snapshot of.
    fn open_all(
        repo: &Repository,
        ws: &Workspace,
        register: &Register,
    ) -> miette::Result<Vec<Foreign>> {
        let mut out = Vec::new();
        for s in &ws.sources {
            let Some(commit) = &s.commit else { continue };
            let dir = crate::sync::source_dir(repo, &s.name);
            let fail = |e: git2::Error| {
                miette::miette!(
                    "cannot read the cache of source `{}` ({}): {}",
                    s.name,
                    dir.display(),
                    e.message()
                )
            };
            let cache = Repository::open_bare(&dir).map_err(fail)?;
            let records = approvals::read(&cache).map_err(fail)?;
            // The register's rows for this source's documents: an id a
            // source reuses stays the AIMS's own (its row's path is the AIMS's).
            let ids = ws
                .documents()
                .filter(|d| d.origin.as_ref().is_some_and(|o| o.source == s.name))
                .filter_map(|d| {
                    let id = d.id()?;
                    register
                        .entry(id)
                        .filter(|e| e.path == d.path)
                        .map(|_| id.to_owned())
                })
                .collect();
            out.push(Foreign {
                name: s.name.clone(),
                repository: s.repository.clone(),
                reference: s.reference.clone(),
                commit: commit.clone(),
                repo: cache,
                records,
                ids,
            });
        }
        Ok(out)
    }
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
            with_pdf: false,
            foreign: &[],
            working: crate::workspace::WorkingTree::new(&ws.root),
        }
    }

    /// The source holding document `id`, when it is a product repository's PRD.
    fn foreign_of(&self, id: &str) -> Option<&'a Foreign> {
        let foreign: &'a [Foreign] = self.foreign;
        foreign.iter().find(|f| f.ids.contains(id))
    }

    /// The references kept for `id`'s repository: a source's, or this one's
    /// (commits, tags).
    fn refs_for(&mut self, id: &str) -> (&mut BTreeSet<String>, &mut BTreeMap<String, String>) {
        match self.foreign_of(id) {
            Some(f) => {
                let r = self.refs.sources.entry(f.name.clone()).or_insert_with(|| {
                    package::SourceRefs {
                        repository: f.repository.clone(),
                        reference: f.reference.clone(),
                        commit: f.commit.clone(),
                        ..Default::default()
                    }
                });
                (&mut r.commits, &mut r.tags)
            }
            None => (&mut self.refs.commits, &mut self.refs.tags),
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
        self.doc_ref(id, Links::Page(depth))
    }

    /// Where a link to document `id` leads: its page, or its section of
    /// the book; None for an id the package has no folder for.
    fn doc_target(&self, id: &str, links: Links) -> Option<String> {
        match links {
            Links::Page(depth) => self.doc_href(id, "index.html", depth),
            Links::Book => self.folder(id).map(|f| format!("#{}", book::anchor(f))),
        }
    }

    /// The id, linked to its document where the package (or book) has it.
    fn doc_ref(&self, id: &str, links: Links) -> String {
        match self.doc_target(id, links) {
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
        self.book()?;
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
            signature: None,
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
    /// The signature, when one verified.
    pub signed: Option<sign::Signed>,
    /// Each `in-force` source matched its approval in the repository.
    pub in_force_checked: usize,
}

/// What `verify-export` checks a package against.
pub struct VerifyOptions<'a> {
    /// The repository whose commits, tags and approvals the package must
    /// still find (the one the command runs in).
    pub repo: Option<&'a Repository>,
    /// The signers to judge the signature by: these, else the repository's
    /// trust root in force.
    pub allowed_signers: Option<&'a Path>,
    pub keyring: Option<&'a Path>,
    /// An unsigned package is a problem, not a note.
    pub require_signature: bool,
}

/// Re-checks a package folder or zip.
pub fn verify_export(package: &Path, opts: &VerifyOptions) -> miette::Result<Verified> {
    let found = package::Found::open(package).map_err(|e| miette::miette!("{e}"))?;
    let v = package::verify(&found);
    let mut problems = v.problems;
    let mut notes = Vec::new();
    let mut signed = None;
    let mut in_force_checked = 0;
    if let Some(m) = &v.manifest {
        // The register is needed to judge the signature by the trust root
        // and the in-force sources by the approvals that count.
        let register = match opts.repo {
            Some(repo) => match repo.workdir() {
                // With the [[source]] snapshots cached (never fetched: the
                // package is judged against what this clone holds).
                Some(root) => {
                    match Register::open(root, repo, &AsOf::Now).and_then(|(mut ws, mut r)| {
                        crate::sources::attach(&mut ws, repo, true, Some(&mut r))?;
                        Ok(r)
                    }) {
                        Ok(r) => Some(r),
                        Err(e) => {
                            problems.push(format!(
                                "the repository's approvals cannot be read, so the package's \
                             in-force sources and signature cannot be judged: {e}"
                            ));
                            None
                        }
                    }
                }
                None => None,
            },
            None => None,
        };
        let trust = trust_for(opts, register.as_ref())?;
        match (&m.signature, signature_file(&found)) {
            (None, None) => {
                let what = "not signed: the manifest proves the files are as it lists them, \
                            not who listed them (export with --sign)";
                if opts.require_signature {
                    problems.push(what.to_owned());
                } else {
                    notes.push(what.to_owned());
                }
            }
            (Some(claim), Some((name, bytes))) if name == claim.format.file() => {
                match sign::verify(&v.manifest_bytes, &bytes, claim, &trust) {
                    Ok(s) => signed = Some(s),
                    Err(why) => {
                        problems.push(format!("{name}: the signature does not count: {why}"))
                    }
                }
            }
            (Some(claim), found) => problems.push(format!(
                "{} says it was signed ({}) but {} is {}",
                package::MANIFEST,
                claim.signer,
                claim.format.file(),
                match found {
                    Some((other, _)) => format!("missing ({other} is there instead)"),
                    None => "missing".to_owned(),
                }
            )),
            (None, Some((name, _))) => problems.push(format!(
                "{name}: a signature the manifest does not announce (added after export?)"
            )),
        }
        match (opts.repo, &register) {
            (Some(repo), Some(register)) => {
                problems.extend(package::check_references(repo, &m.references));
                let (checked, bad) = check_in_force(&found, m, register, &v.failed);
                in_force_checked = checked;
                problems.extend(bad);
            }
            (Some(repo), None) => problems.extend(package::check_references(repo, &m.references)),
            (None, _) => notes.push(
                "not inside a git repository: the commits, tags and approved content the \
                 package names were not checked"
                    .to_owned(),
            ),
        }
    }
    Ok(Verified {
        files: v.files,
        problems,
        notes,
        manifest: v.manifest,
        signed,
        in_force_checked,
    })
}

/// The signature file the package holds (the first, if it holds both).
fn signature_file(found: &package::Found) -> Option<(&'static str, Vec<u8>)> {
    package::SIGNATURES
        .iter()
        .find_map(|name| match found.read(name, package::MANIFEST_LIMIT) {
            Ok(Some(bytes)) => Some((*name, bytes)),
            _ => None,
        })
}

/// The keys a signature is judged by: files given, else the trust root.
fn trust_for(opts: &VerifyOptions, register: Option<&Register>) -> miette::Result<sign::Trust> {
    if opts.allowed_signers.is_some() || opts.keyring.is_some() {
        let mut signers = Vec::new();
        if let Some(path) = opts.allowed_signers {
            let text = std::fs::read_to_string(path)
                .map_err(|e| miette::miette!("cannot read {}: {e}", path.display()))?;
            let (parsed, errors) = crate::history::allowed_signers::parse(&text);
            if let Some(e) = errors.first() {
                miette::bail!("{} line {}: {}", path.display(), e.line, e.message);
            }
            signers = parsed;
        }
        let source = [opts.allowed_signers, opts.keyring]
            .into_iter()
            .flatten()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" and ");
        return Ok(sign::Trust::Keys {
            signers,
            keyring: opts.keyring.map(Path::to_path_buf),
            revoked: Vec::new(),
            source,
        });
    }
    Ok(match register.and_then(|r| r.trust.as_ref()) {
        Some(t) => sign::Trust::Keys {
            signers: t.root.trust.signers.clone(),
            keyring: t.root.trust.keyring.clone(),
            revoked: t.root.revoked.clone(),
            source: "the repository's trust root in force".to_owned(),
        },
        None => sign::Trust::None,
    })
}

/// Every `in-force` source against the approval it claims, in the
/// repository: its bytes are the approved blob, and the tag it names is an
/// approval of that document that counts. A source with no claim is a
/// problem too (the claim could otherwise be deleted).
fn check_in_force(
    found: &package::Found,
    m: &Manifest,
    register: &Register,
    failed: &BTreeSet<String>,
) -> (usize, Vec<String>) {
    let mut problems = Vec::new();
    let mut checked = 0;
    let claims: HashMap<&str, &package::InForce> = m
        .references
        .in_force
        .iter()
        .map(|c| (c.file.as_str(), c))
        .collect();
    let entries: HashMap<&str, &Entry> = std::iter::once(&register.config)
        .chain(&register.entries)
        .map(|e| (e.id.as_str(), e))
        .collect();
    for f in &m.files {
        let name = f.path.rsplit('/').next().unwrap_or_default();
        let source = f.path.starts_with("documents/") && name.starts_with("in-force.");
        // A file already found altered is not reported twice.
        if !source || failed.contains(&f.path) {
            continue;
        }
        let Some(claim) = claims.get(f.path.as_str()) else {
            problems.push(format!(
                "{}: the manifest claims no approval for it, so its content cannot be checked \
                 against the repository",
                f.path
            ));
            continue;
        };
        let bytes = match found.read(&f.path, f.size) {
            Ok(Some(b)) => b,
            // Missing or unreadable: already reported by the hash check.
            _ => continue,
        };
        let hashed = git2::Oid::hash_object(git2::ObjectType::Blob, &bytes)
            .map(|o| o.to_string())
            .unwrap_or_default();
        if hashed != claim.blob {
            problems.push(format!(
                "{}: not the approved content (its git blob is {}, the approval's {})",
                f.path,
                short_id(&hashed),
                short_id(&claim.blob)
            ));
            continue;
        }
        let approval = entries.get(claim.document.as_str()).and_then(|e| {
            e.state
                .counted
                .iter()
                .map(|(a, _)| a)
                .find(|a| a.tag == claim.tag)
        });
        match approval {
            None => problems.push(format!(
                "{}: {} is not an approval of {} that counts in this repository",
                f.path, claim.tag, claim.document
            )),
            Some(a)
                if a.claim.blob != claim.blob
                    || a.commit != claim.commit
                    || a.claim.path != claim.path =>
            {
                problems.push(format!(
                    "{}: {} approved {} at {} ({}), not the {} at {} the manifest claims",
                    f.path,
                    claim.tag,
                    a.claim.path,
                    short_id(&a.commit),
                    short_id(&a.claim.blob),
                    short_id(&claim.blob),
                    short_id(&claim.commit)
                ))
            }
            Some(_) => checked += 1,
        }
    }
    (checked, problems)
}
