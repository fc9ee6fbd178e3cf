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

pub mod html;
pub mod package;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};

use git2::Repository;
use miette::IntoDiagnostic;

use crate::audit::{Audit, ControlVerdict};
use crate::control::{self, AsOf, Entry, Register};
use crate::date::Date;
use crate::docs::{Document, Loaded};
use crate::history::approvals::{self, Approval, TagRecord};
use crate::history::short_id;
use crate::history::signature::{self, SignatureKind};
use crate::history::state::State;
use crate::history::tag::Decision;
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
    let (ws, register) = Register::open(root, &repo, &as_of)?;
    let replace = destination(out, root, repo.path(), &ws, opts.force)?;
    if let Some(z) = &opts.zip {
        zip_destination(z, out, root, repo.path(), opts.force)?;
    }
    let audit = crate::audit::build(&ws, Some(&register), &crate::audit::Options::default());
    let records = approvals::read(&repo).map_err(control::git_error)?;

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

/// A document's approved versions, oldest first: the version number, the
/// approvals that gave or confirmed it, and its blob.
struct Version<'a> {
    number: u32,
    blob: &'a str,
    approvals: Vec<&'a Approval>,
}

fn versions(entry: &Entry) -> Vec<Version<'_>> {
    let mut out: Vec<Version> = Vec::new();
    for (a, v) in &entry.state.counted {
        match out.iter_mut().find(|x| x.number == *v) {
            Some(x) => x.approvals.push(a),
            None => out.push(Version {
                number: *v,
                blob: &a.claim.blob,
                approvals: vec![a],
            }),
        }
    }
    out.sort_by_key(|v| v.number);
    out
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

    // -----------------------------------------------------------------------
    // documents

    /// A blob's bytes, as approved (never re-encoded).
    fn blob_bytes(&self, blob: &str) -> miette::Result<Vec<u8>> {
        let oid = git2::Oid::from_str(blob).map_err(control::git_error)?;
        let b = self.repo.find_blob(oid).map_err(|e| {
            miette::miette!(
                "the approved content {blob} cannot be read: {}",
                e.message()
            )
        })?;
        Ok(b.content().to_vec())
    }

    fn blob_text(&self, blob: &str) -> miette::Result<String> {
        Ok(lossy(&self.blob_bytes(blob)?))
    }

    /// The document's bytes as of the as-of moment (working tree, or the
    /// as-of commit's tree): what an unapproved change looks like.
    fn current_bytes(&self, entry: &Entry) -> miette::Result<Option<Vec<u8>>> {
        if self.register.working_tree {
            return match std::fs::read(self.ws.root.join(&entry.path)) {
                Ok(b) => Ok(Some(b)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => miette::bail!("cannot read {}: {e}", entry.path),
            };
        }
        let Some(commit) = &self.register.commit else {
            return Ok(None);
        };
        let git = control::git_error;
        let tree = git2::Oid::from_str(commit)
            .and_then(|c| self.repo.find_commit(c))
            .and_then(|c| c.tree())
            .map_err(git)?;
        Ok(crate::history::blob_at(self.repo, &tree, &entry.path)
            .map_err(git)?
            .map(|(_, b)| b))
    }

    /// The page (from a document's folder) of the document at repository
    /// path `path`, relative to the document at `from`.
    fn resolve_from(&self, from: &str, target: &str) -> Option<String> {
        let mut parts: Vec<&str> = from.split('/').collect();
        parts.pop();
        for c in target.split('/') {
            match c {
                "" | "." => {}
                ".." => {
                    parts.pop()?;
                }
                c => parts.push(c),
            }
        }
        let path = parts.join("/");
        let id = self.by_path.get(path.as_str())?;
        Some(format!("../{}/index.html", self.folder(id)?))
    }

    /// Link from a document's page to the page of another id.
    fn doc_link_from_doc(&self, id: &str) -> Option<String> {
        self.folder(id).map(|f| format!("../{f}/index.html"))
    }

    /// One verified approval that counts: what was decided, when, by whom.
    fn approval_line(&self, a: &Approval, depth: usize) -> String {
        let decision = match a.claim.decision {
            Decision::Approved => "approved",
            Decision::Reviewed => "reviewed",
        };
        format!(
            "{decision} on {} by {} as <code>{}</code> ({}, <span class=\"yes\">signature verified</span>)",
            Date::from_unix(a.time),
            e(&a.signer_email),
            e(&a.claim.role),
            self.record_link(&a.tag, depth),
        )
    }

    /// A link to an approval record's page section, by name.
    fn record_link(&self, name: &str, depth: usize) -> String {
        match self.approval_files.get(name) {
            Some(stem) => format!(
                "<a href=\"{}approvals/index.html#{}\"><code>{}</code></a>",
                "../".repeat(depth),
                e(stem),
                e(name)
            ),
            None => format!("<code>{}</code>", e(name)),
        }
    }

    fn document(&mut self, entry: &'a Entry) -> miette::Result<()> {
        let folder = self.folder(&entry.id).unwrap_or("_").to_owned();
        let dir = format!("documents/{folder}");
        let ext = if entry.path.ends_with(".toml") {
            "toml"
        } else {
            "md"
        };
        // Approval records first, so the pages can link to them.
        for a in register_report::approvals(entry, self.register) {
            self.approval_record(&a)?;
        }
        for r in &entry.revisions {
            self.refs.commits.insert(r.commit.clone());
        }

        let versions = versions(entry);
        // The approval that made the content in force (later ones may
        // be reviews, or the same content approved again).
        let approved = match crate::rules::content::in_force(entry).first() {
            Some(a) => Some((*a, self.blob_bytes(&a.claim.blob)?)),
            None => None,
        };
        let current = self.current_bytes(entry)?;
        let state = &entry.state;
        let unapproved = state.unapproved_changes > 0 || state.state == State::NeverApproved;

        // The sources, byte for byte.
        if let Some((_, bytes)) = &approved {
            self.write(&format!("{dir}/in-force.{ext}"), bytes)?;
        }
        let working = match (&current, unapproved) {
            (Some(bytes), true) => {
                self.write(&format!("{dir}/working.{ext}"), bytes)?;
                true
            }
            _ => false,
        };
        let in_force = approved.map(|(a, b)| (a, lossy(&b)));
        let current = current.map(|b| lossy(&b));

        // Redlines between consecutive approved versions.
        let mut redlines = Vec::new();
        for pair in versions.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let name = format!("redline-v{}-v{}.html", a.number, b.number);
            let from = self.blob_text(a.blob)?;
            let to = self.blob_text(b.blob)?;
            let label = |v: &Version| {
                let first = v.approvals[0];
                format!(
                    "v{} (approved {} by {} as {})",
                    v.number,
                    Date::from_unix(first.time),
                    first.signer_email,
                    first.claim.role
                )
            };
            let body = crate::redline::html_fragment(
                &format!(
                    "{} {}: v{} to v{}",
                    entry.id, entry.title, a.number, b.number
                ),
                &crate::redline::Side {
                    label: label(a),
                    text: &from,
                },
                &crate::redline::Side {
                    label: label(b),
                    text: &to,
                },
            );
            let nav = [
                ("history.html".to_owned(), "History"),
                ("index.html".to_owned(), entry.id.as_str()),
            ];
            let page = html::page(
                &format!("{} v{} to v{}", entry.id, a.number, b.number),
                2,
                &nav,
                &body,
            );
            self.write(&format!("{dir}/{name}"), page)?;
            redlines.push((a.number, b.number, name));
        }
        let unapproved_redline = match (&in_force, &current) {
            (Some((a, approved)), Some(now)) if state.unapproved_changes > 0 => {
                let body = crate::redline::html_fragment(
                    &format!("{} {}: changes not approved", entry.id, entry.title),
                    &crate::redline::Side {
                        label: format!(
                            "v{} in force (approved {} by {})",
                            state.in_force_version().unwrap_or(0),
                            Date::from_unix(a.time),
                            a.signer_email
                        ),
                        text: approved,
                    },
                    &crate::redline::Side {
                        label: format!(
                            "unapproved version as of {}{}",
                            self.register.as_of,
                            if state.uncommitted {
                                " (uncommitted)"
                            } else {
                                ""
                            }
                        ),
                        text: now,
                    },
                );
                let body = format!(
                    "<div class=\"box warn\"><p><b>Not in force.</b> These changes have not been approved; \
                     the version in force is v{}.</p></div>\n{body}",
                    state.in_force_version().unwrap_or(0)
                );
                let nav = [
                    ("history.html".to_owned(), "History"),
                    ("index.html".to_owned(), entry.id.as_str()),
                ];
                let page = html::page(&format!("{}: unapproved changes", entry.id), 2, &nav, &body);
                self.write(&format!("{dir}/unapproved-changes.html"), page)?;
                true
            }
            _ => false,
        };

        self.document_page(
            entry,
            &dir,
            ext,
            in_force.as_ref(),
            current.as_deref(),
            working,
            unapproved_redline,
        )?;
        self.history_page(entry, &dir, &versions, &redlines, unapproved_redline)
    }

    #[allow(clippy::too_many_arguments)]
    fn document_page(
        &mut self,
        entry: &Entry,
        dir: &str,
        ext: &str,
        in_force: Option<&(&Approval, String)>,
        current: Option<&str>,
        working: bool,
        unapproved_redline: bool,
    ) -> miette::Result<()> {
        let s = &entry.state;
        let mut body = String::new();
        let _ = writeln!(
            body,
            "<p class=\"muted\">{} · as of {}</p>\n<h1>{} {}</h1>",
            e(&entry.kind),
            self.register.as_of,
            e(&entry.id),
            e(&entry.title)
        );
        let version = match s.in_force_version() {
            Some(v) => format!("v{v}"),
            None => "none".to_owned(),
        };
        let _ = writeln!(
            body,
            "{}",
            html::facts(&[
                ("Owner", e(&entry.owner)),
                ("Path", format!("<code>{}</code>", e(&entry.path))),
                ("Version in force", version.clone()),
                (
                    "State",
                    format!(
                        "<span class=\"{}\">{}</span>",
                        s.state.as_str(),
                        e(s.state.as_str())
                    )
                ),
                (
                    "Review due",
                    s.review_due.map_or("-".to_owned(), |d| d.to_string())
                ),
            ])
        );

        // What is in force, said first and plainly.
        match in_force {
            Some(_) => {
                let class = if s.unapproved_changes > 0 || s.state == State::ReviewOverdue {
                    "warn"
                } else {
                    "ok"
                };
                // Every approval and review of the content in force.
                let decisions: Vec<String> = crate::rules::content::in_force(entry)
                    .into_iter()
                    .map(|a| self.approval_line(a, 2))
                    .collect();
                let _ = writeln!(
                    body,
                    "<div class=\"box {class}\"><p><b>In force: {version}</b>, {}.</p>",
                    decisions.join("; ")
                );
                if s.unapproved_changes > 0 {
                    let mut links = Vec::new();
                    if unapproved_redline {
                        links.push(link(
                            "unapproved-changes.html",
                            "redline against the version in force",
                        ));
                    }
                    if working {
                        links.push(link(&format!("working.{ext}"), "the unapproved source"));
                    }
                    let _ = writeln!(
                        body,
                        "<p><b>Unapproved change:</b> {} change(s) after {version}{} are not approved and not in force; \
                         the content below is {version}. See the {}.</p>",
                        s.unapproved_changes,
                        if s.uncommitted {
                            ", one of them uncommitted"
                        } else {
                            ""
                        },
                        links.join(" and ")
                    );
                }
                if s.state == State::ReviewOverdue {
                    let _ = writeln!(
                        body,
                        "<p><b>Review overdue:</b> the review was due on {}.</p>",
                        s.review_due.map_or("-".to_owned(), |d| d.to_string())
                    );
                }
                body.push_str("</div>\n");
            }
            None => {
                let _ = writeln!(
                    body,
                    "<div class=\"box bad\"><p><b>Never approved: no version of {} is in force on {}.</b> \
                     The draft below is shown for information only; it is not an approved document.</p></div>",
                    e(&entry.id),
                    self.register.as_of
                );
            }
        }

        // The content: the version in force, or the labelled draft.
        let (text, draft) = match (in_force, current) {
            (Some((_, t)), _) => (Some(t.as_str()), false),
            (None, Some(t)) => (Some(t), true),
            (None, None) => (None, true),
        };
        if let Some(text) = text {
            body.push_str(&self.rendered(entry, text, draft));
        }
        let mut sources = Vec::new();
        if in_force.is_some() {
            sources.push(link(
                &format!("in-force.{ext}"),
                &format!("source of {version} (in force)"),
            ));
        }
        if working {
            sources.push(link(
                &format!("working.{ext}"),
                "unapproved source (not in force)",
            ));
        }
        sources.push(link("history.html", "revision history and approvals"));
        let _ = writeln!(
            body,
            "<h2>Sources</h2>\n<ul>{}</ul>",
            sources
                .iter()
                .map(|s| format!("<li>{s}</li>"))
                .collect::<String>()
        );
        let nav = [("history.html".to_owned(), "History")];
        let page = html::page(&format!("{} {}", entry.id, entry.title), 2, &nav, &body);
        self.write(&format!("{dir}/index.html"), page)
    }

    /// The metadata table and the body of `text`.
    fn rendered(&self, entry: &Entry, text: &str, draft: bool) -> String {
        let class = if draft { "document draft" } else { "document" };
        let mut s = format!("<article class=\"{class}\">\n");
        if draft {
            s.push_str("<p class=\"minor\"><b>Draft: not approved, not in force.</b></p>\n");
        }
        let doc = match crate::docs::parse(&entry.path, text, false) {
            Loaded::Document(d) if !entry.path.ends_with(".toml") => Some(d),
            _ => None,
        };
        match doc {
            Some(d) => {
                let link = |v: &str| self.doc_link_from_doc(v).filter(|_| v != entry.id);
                s.push_str("<h2>Metadata</h2>\n");
                s.push_str(&html::metadata(&d.frontmatter, &link));
                s.push_str("\n<h2>Content</h2>\n");
                s.push_str(&html::markdown(body_of(&d), &|p: &str| {
                    self.resolve_from(&entry.path, p)
                }));
            }
            None => {
                let _ = write!(s, "<pre>{}</pre>", e(text));
            }
        }
        s.push_str("</article>\n");
        s
    }

    fn history_page(
        &mut self,
        entry: &Entry,
        dir: &str,
        versions: &[Version],
        redlines: &[(u32, u32, String)],
        unapproved_redline: bool,
    ) -> miette::Result<()> {
        let mut body = format!(
            "<h1>History of {} {}</h1>\n<p class=\"muted\">Revisions on the branch up to {}, oldest first. \
             A version is content approved by a signed approval that counts.</p>\n",
            e(&entry.id),
            e(&entry.title),
            self.register.as_of
        );
        body.push_str("<h2>Approved versions</h2>\n");
        if versions.is_empty() {
            body.push_str("<p class=\"never-approved\">Never approved.</p>\n");
        } else {
            let rows = versions.iter().map(|v| {
                let by = v
                    .approvals
                    .iter()
                    .map(|a| self.approval_line(a, 2))
                    .collect::<Vec<_>>()
                    .join("<br>");
                let redline = redlines
                    .iter()
                    .find(|(_, to, _)| *to == v.number)
                    .map_or(String::new(), |(from, _, name)| {
                        link(name, &format!("v{from} → v{}", v.number))
                    });
                vec![
                    format!("v{}", v.number),
                    format!("<code>{}</code>", e(short_id(v.blob))),
                    by,
                    redline,
                ]
            });
            body.push_str(&html::table(
                &["Version", "Content (blob)", "Approvals", "Redline"],
                rows,
            ));
        }
        if unapproved_redline {
            let _ = writeln!(
                body,
                "<p class=\"changed-since-approval\">{} unapproved change(s) after the version in force: {}.</p>",
                entry.state.unapproved_changes,
                link("unapproved-changes.html", "redline")
            );
        }

        body.push_str("<h2>Revisions</h2>\n");
        let rows = entry.revisions.iter().map(|r| {
            let version = versions
                .iter()
                .find(|v| v.blob == r.blob)
                .map_or(String::new(), |v| format!("becomes v{}", v.number));
            vec![
                Date::from_unix(r.time).to_string(),
                format!("<code>{}</code>", e(short_id(&r.commit))),
                e(&r.author_email),
                format!("<code>{}</code>", e(&r.path)),
                version,
            ]
        });
        body.push_str(&html::table(
            &["Date", "Commit", "Author", "Path", "Version"],
            rows,
        ));
        if entry.state.uncommitted {
            body.push_str("<p class=\"changed-since-approval\">The working tree holds an uncommitted change.</p>\n");
        }

        body.push_str("<h2>Approvals</h2>\n<p class=\"muted\">Every approval naming this document: those that count, verified ones that do not, and refused tags.</p>\n");
        let all = register_report::approvals(entry, self.register);
        body.push_str(&self.approvals_table(&all, 2, false));
        let nav = [("index.html".to_owned(), entry.id.as_str())];
        let page = html::page(&format!("History of {}", entry.id), 2, &nav, &body);
        self.write(&format!("{dir}/history.html"), page)
    }

    fn approvals_table(&self, all: &[ApprovalJson], depth: usize, with_document: bool) -> String {
        self.approvals_rows(all.iter().map(|a| (None, a)), depth, with_document)
    }

    fn approvals_rows<'b>(
        &self,
        rows: impl Iterator<Item = (Option<&'b str>, &'b ApprovalJson)>,
        depth: usize,
        with_document: bool,
    ) -> String {
        let rows: Vec<Vec<String>> = rows
            .map(|(doc, a)| {
                let mut row = Vec::new();
                if with_document {
                    let doc = doc.unwrap_or_default();
                    row.push(match self.folder(doc) {
                        Some(f) => link(
                            &format!("{}documents/{f}/index.html", "../".repeat(depth)),
                            doc,
                        ),
                        None => e(doc),
                    });
                }
                let verified = if a.verified {
                    format!(
                        "<span class=\"yes\">verified</span><br><code class=\"fp\">{}</code>",
                        e(a.fingerprint.as_deref().unwrap_or_default())
                    )
                } else {
                    "<span class=\"no\">not verified</span>".to_owned()
                };
                let counts = match (&a.reason, a.version) {
                    (None, Some(v)) => format!("<span class=\"yes\">counts</span> (v{v})"),
                    (None, None) => "<span class=\"yes\">counts</span>".to_owned(),
                    (Some(r), _) => format!("<span class=\"no\">does not count</span>: {}", e(r)),
                };
                row.extend([
                    format!(
                        "<span class=\"nw\">{}</span>",
                        a.date.as_deref().unwrap_or_default()
                    ),
                    e(a.signer.as_deref().unwrap_or("?")),
                    format!("<code>{}</code>", e(a.role.as_deref().unwrap_or("?"))),
                    a.decision.unwrap_or("-").to_owned(),
                    self.record_link(&a.tag, depth),
                    a.commit.as_deref().map_or(String::new(), |c| {
                        format!("<code>{}</code>", e(short_id(c)))
                    }),
                    verified,
                    counts,
                ]);
                row
            })
            .collect();
        let mut head = Vec::new();
        if with_document {
            head.push("Document");
        }
        head.extend([
            "Date",
            "Signer",
            "Role",
            "Decision",
            "Record",
            "Commit",
            "Signature",
            "Counts",
        ]);
        if rows.is_empty() {
            return "<p class=\"muted\">None.</p>\n".to_owned();
        }
        html::table(&head, rows)
    }

    // -----------------------------------------------------------------------
    // approvals

    /// Writes an approval's raw record (once per record): the tag object as
    /// git stores it, split into payload and signature, or the signed
    /// commit of a sign-off.
    fn approval_record(&mut self, a: &ApprovalJson) -> miette::Result<()> {
        if self.approval_files.contains_key(&a.tag) {
            return Ok(());
        }
        let git = control::git_error;
        let stem = self.approval_names.name(&a.tag);
        let raw = match self.raw_tags.get(a.tag.as_str()) {
            Some(record) => {
                if let Ok(oid) = self.repo.refname_to_id(&format!("refs/tags/{}", a.tag)) {
                    self.refs.tags.insert(a.tag.clone(), oid.to_string());
                }
                record.raw().map(<[u8]>::to_vec)
            }
            // A commit sign-off: the signed commit object.
            None => match &a.commit {
                Some(c) => {
                    let oid = git2::Oid::from_str(c).map_err(git)?;
                    let odb = self.repo.odb().map_err(git)?;
                    Some(odb.read(oid).map_err(git)?.data().to_vec())
                }
                None => None,
            },
        };
        if let Some(c) = &a.commit
            && a.verified
        {
            self.refs.commits.insert(c.clone());
        }
        if let Some(raw) = raw {
            let ext = if self.raw_tags.contains_key(a.tag.as_str()) {
                "tag"
            } else {
                "commit"
            };
            self.write(&format!("approvals/{stem}.{ext}"), &raw)?;
            let split = signature::split(&raw);
            if let Some((_, sig)) = split.signature {
                self.write(&format!("approvals/{stem}.payload"), split.payload)?;
                self.write(&format!("approvals/{stem}.sig"), sig)?;
            }
        }
        self.approval_files.insert(a.tag.clone(), stem);
        Ok(())
    }

    fn approvals_page(&mut self) -> miette::Result<()> {
        // The trust root in force: the keys the signatures were checked against.
        let mut trust_files = Vec::new();
        if let Some(t) = &self.register.trust {
            for (blob, name) in [
                (&t.root.signers_blob, "allowed_signers"),
                (&t.root.keyring_blob, "approvers.gpg"),
            ] {
                if let Some(blob) = blob {
                    let oid = git2::Oid::from_str(blob).map_err(control::git_error)?;
                    let bytes = self
                        .repo
                        .find_blob(oid)
                        .map_err(control::git_error)?
                        .content()
                        .to_vec();
                    self.write(&format!("approvals/{name}"), bytes)?;
                    trust_files.push(name);
                }
            }
        }
        let mut body = format!(
            "<h1>Approval records</h1>\n<p>Every approval naming a controlled document as of {}, \
             with the result of verifying its signature against the approved trust root \
             (the keys and roles of the aims.toml in force). For each signed record the package \
             holds the raw object as git stores it (<code>.tag</code>, identical to \
             <code>git cat-file tag NAME</code>), and the signed payload and the signature apart \
             (<code>.payload</code>, <code>.sig</code>), so that anyone can re-verify it without aims.</p>\n",
            self.register.as_of
        );
        if trust_files.is_empty() {
            body.push_str("<div class=\"box bad\"><p><b>No approved trust root:</b> no aims.toml approval was in force, so no approval can be verified.</p></div>\n");
        } else {
            let _ = writeln!(
                body,
                "<h2>Re-verify by hand</h2>\n<p>Keys in force: {}.</p>\n\
                 <pre>ssh-keygen -Y verify -f allowed_signers -I SIGNER -n git \\\n  -O verify-time=YYYYMMDDHHMMSSZ -s NAME.sig &lt; NAME.payload</pre>\n\
                 <p>In the repository: <code>git cat-file tag NAME</code> prints the <code>.tag</code> file byte for byte, and \
                 <code>git -c gpg.ssh.allowedSignersFile=allowed_signers verify-tag NAME</code> checks it. \
                 OpenPGP signatures: <code>gpgv --keyring ./approvers.gpg NAME.sig NAME.payload</code>.</p>",
                trust_files
                    .iter()
                    .map(|f| link(f, f))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }

        let mut rows: Vec<(String, ApprovalJson)> = Vec::new();
        for entry in self.entries() {
            for a in register_report::approvals(entry, self.register) {
                rows.push((entry.id.clone(), a));
            }
        }
        // Refused tags that name no controlled document (unreadable
        // trailers, an id nobody carries): shown, never dropped.
        for r in &self.register.refused {
            let named = r
                .document
                .as_deref()
                .filter(|d| self.register.entry(d).is_some());
            if named.is_none()
                && let Some(a) = register_report::refused(r)
            {
                self.approval_record(&a)?;
                let doc = r.document.clone().unwrap_or_else(|| "(none)".to_owned());
                rows.push((doc, a));
            }
        }
        body.push_str("<h2>All approvals</h2>\n");
        body.push_str(&self.approvals_rows(
            rows.iter().map(|(d, a)| (Some(d.as_str()), a)),
            1,
            true,
        ));

        body.push_str("<h2>Records</h2>\n");
        let mut seen = BTreeSet::new();
        for (doc, a) in &rows {
            if !seen.insert(a.tag.clone()) {
                continue;
            }
            let Some(stem) = self.approval_files.get(&a.tag) else {
                continue;
            };
            let ext = if self.raw_tags.contains_key(a.tag.as_str()) {
                "tag"
            } else {
                "commit"
            };
            let mut files = Vec::new();
            for x in [ext, "payload", "sig"] {
                let path = format!("{stem}.{x}");
                if self.out.contains(&format!("approvals/{path}")) {
                    files.push(link(&path, &path));
                }
            }
            let kind = self.sig_kind(&a.tag);
            let command = match (a.signer.as_deref(), a.date.as_deref(), kind) {
                (Some(signer), _, Some(SignatureKind::Ssh)) if files.len() == 3 => {
                    let time = self.tagger_time(&a.tag).unwrap_or_default();
                    format!(
                        "<pre>ssh-keygen -Y verify -f allowed_signers -I {} -n git -O verify-time={} -s {stem}.sig &lt; {stem}.payload</pre>",
                        e(signer),
                        time
                    )
                }
                (_, _, Some(SignatureKind::OpenPgp)) if files.len() == 3 => {
                    format!("<pre>gpgv --keyring ./approvers.gpg {stem}.sig {stem}.payload</pre>")
                }
                _ if ext == "commit" => {
                    "<p>A commit sign-off: <code>git verify-commit COMMIT</code> in the repository checks its signature.</p>".to_owned()
                }
                _ => "<p class=\"no\">No signature to verify.</p>".to_owned(),
            };
            let result = if a.verified {
                format!(
                    "<span class=\"yes\">verified</span> for {} with key <code>{}</code>",
                    e(a.signer.as_deref().unwrap_or_default()),
                    e(a.fingerprint.as_deref().unwrap_or_default())
                )
            } else {
                format!(
                    "<span class=\"no\">refused</span>: {}",
                    e(a.reason.as_deref().unwrap_or_default())
                )
            };
            let _ = writeln!(
                body,
                "<h3 id=\"{}\"><code>{}</code></h3>\n<p>Document {} · {} · files: {}</p>\n{command}",
                e(stem),
                e(&a.tag),
                e(doc),
                result,
                if files.is_empty() {
                    "none".to_owned()
                } else {
                    files.join(", ")
                }
            );
        }
        let page = html::page("Approval records", 1, &[], &body);
        self.write("approvals/index.html", page)
    }

    /// The signature kind of an approval tag (None for a commit sign-off,
    /// whose signature sits in the commit header: `git verify-commit`).
    fn sig_kind(&self, name: &str) -> Option<SignatureKind> {
        let raw = self.raw_tags.get(name)?.raw()?;
        signature::split(raw).signature.map(|(k, _)| k)
    }

    /// The tagger time as ssh-keygen's `verify-time` takes it (`Z`: UTC).
    fn tagger_time(&self, name: &str) -> Option<String> {
        let (_, t) = self.raw_tags.get(name)?.tagger()?;
        let d = Date::from_unix(t);
        let secs = t.rem_euclid(86_400);
        Some(format!(
            "{}{:02}{:02}{:02}Z",
            d.to_string().replace('-', ""),
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        ))
    }

    // -----------------------------------------------------------------------
    // register, SoA, audit, index

    fn register_files(&mut self) -> miette::Result<()> {
        let mut json = Vec::new();
        register_report::render_status(self.register, StatusFormat::Json, &mut json)
            .into_diagnostic()?;
        self.write("register.json", json)?;
        self.write("register.csv", self.register_csv())?;

        let rows: Vec<Vec<String>> = self
            .entries()
            .map(|entry| {
                let s = &entry.state;
                let folder = self.folder(&entry.id).unwrap_or("_");
                let approvals = crate::rules::content::in_force(entry)
                    .iter()
                    .map(|a| {
                        format!(
                            "{} as <code>{}</code>, {}, {}",
                            e(&a.signer_email),
                            e(&a.claim.role),
                            Date::from_unix(a.time),
                            self.record_link(&a.tag, 0)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("<br>");
                let version = match (s.in_force_version(), s.unapproved_changes) {
                    (None, _) => "-".to_owned(),
                    (Some(v), 0) => format!("v{v}"),
                    (Some(v), n) => format!("v{v} + {n} unapproved"),
                };
                vec![
                    link(&format!("documents/{folder}/index.html"), &entry.id),
                    e(&entry.title),
                    e(&entry.kind),
                    e(&entry.owner),
                    version,
                    format!(
                        "<span class=\"{}\">{}</span>",
                        s.state.as_str(),
                        s.state.as_str()
                    ),
                    approvals,
                    s.review_due.map_or("-".to_owned(), |d| d.to_string()),
                    link(&format!("documents/{folder}/history.html"), "history"),
                ]
            })
            .collect();
        let body = format!(
            "<h1>Document-control register</h1>\n<p class=\"muted\">As of {}; {} controlled documents. \
             Approvals are those of the content in force, each verified against the approved keys. \
             Also as {} and {}.</p>\n{}",
            self.register.as_of,
            rows.len(),
            link("register.csv", "CSV"),
            link("register.json", "JSON"),
            html::table(
                &[
                    "ID",
                    "Title",
                    "Kind",
                    "Owner",
                    "Version",
                    "State",
                    "Approved by (in force)",
                    "Review due",
                    ""
                ],
                rows
            )
        );
        self.write(
            "register.html",
            html::page("Document-control register", 0, &[], &body),
        )
    }

    /// One row per document and approval (a document without approvals
    /// has one row), for filtering in a spreadsheet.
    fn register_csv(&self) -> String {
        let mut s = String::from(
            "id,title,kind,owner,path,version,state,review_due,unapproved_changes,\
             approval_signer,approval_role,approval_date,approval_decision,approval_verified,\
             approval_counts,approval_version,approval_tag,approval_commit,approval_fingerprint,approval_note\n",
        );
        for entry in self.entries() {
            let st = &entry.state;
            let doc = [
                entry.id.clone(),
                entry.title.clone(),
                entry.kind.clone(),
                entry.owner.clone(),
                entry.path.clone(),
                st.version.map_or(String::new(), |v| v.to_string()),
                st.state.as_str().to_owned(),
                st.review_due.map_or(String::new(), |d| d.to_string()),
                st.unapproved_changes.to_string(),
            ];
            let approvals = register_report::approvals(entry, self.register);
            let yes_no = |b: bool| if b { "yes" } else { "no" }.to_owned();
            let mut rows: Vec<Vec<String>> = approvals
                .iter()
                .map(|a| {
                    vec![
                        a.signer.clone().unwrap_or_default(),
                        a.role.clone().unwrap_or_default(),
                        a.date.clone().unwrap_or_default(),
                        a.decision.unwrap_or_default().to_owned(),
                        yes_no(a.verified),
                        yes_no(a.counts),
                        a.version.map_or(String::new(), |v| v.to_string()),
                        a.tag.clone(),
                        a.commit.clone().unwrap_or_default(),
                        a.fingerprint.clone().unwrap_or_default(),
                        a.reason.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            if rows.is_empty() {
                rows.push(vec![String::new(); 11]);
            }
            for row in rows {
                let line: Vec<String> = doc
                    .iter()
                    .chain(&row)
                    .map(|f| register_report::csv_field(f))
                    .collect();
                s.push_str(&line.join(","));
                s.push('\n');
            }
        }
        s
    }

    fn soa(&mut self) -> miette::Result<()> {
        let members = |role: &str| -> String {
            self.ws.config.roles.get(role).map_or(String::new(), |m| {
                format!("<br><span class=\"muted\">{}</span>", e(&m.join(", ")))
            })
        };
        let doc = |id: &str| -> String {
            match (self.folder(id), self.register.entry(id)) {
                (Some(f), Some(entry)) => {
                    let v = match entry.state.in_force_version() {
                        Some(v) => format!("v{v}"),
                        None => "never approved".to_owned(),
                    };
                    format!(
                        "{} <span class=\"{}\">({v}{})</span>",
                        link(&format!("documents/{f}/index.html"), id),
                        entry.state.state.as_str(),
                        if entry.state.unapproved_changes > 0 {
                            " + unapproved change"
                        } else {
                            ""
                        }
                    )
                }
                _ => format!("<span class=\"no\">{} (no such document)</span>", e(id)),
            }
        };
        let rows: Vec<Vec<String>> = self
            .audit
            .controls
            .iter()
            .map(|c: &ControlVerdict| {
                let applicability = match c.applicable {
                    Some(true) => "<span class=\"yes\">applicable</span>".to_owned(),
                    Some(false) => format!(
                        "excluded{}",
                        c.justification.as_deref().map_or(
                            " <span class=\"no\">(no justification)</span>".to_owned(),
                            |j| format!(": {}", e(j))
                        )
                    ),
                    None => "<span class=\"no\">not in the SoA</span>".to_owned(),
                };
                let justification = match (c.applicable, &c.justification) {
                    (Some(true), Some(j)) => format!("<br><span class=\"muted\">{}</span>", e(j)),
                    _ => String::new(),
                };
                vec![
                    format!(
                        "<a id=\"{}\" href=\"audit.html#control-{}\">{}</a> {}",
                        e(c.id),
                        e(c.id),
                        e(c.id),
                        e(c.title)
                    ),
                    applicability + &justification,
                    c.procedure.as_deref().map_or("-".to_owned(), doc),
                    if c.evidence_records.is_empty() {
                        "-".to_owned()
                    } else {
                        c.evidence_records
                            .iter()
                            .map(|r| doc(r))
                            .collect::<Vec<_>>()
                            .join("<br>")
                    },
                    c.owner.as_deref().map_or("-".to_owned(), |o| {
                        format!("<code>{}</code>{}", e(o), members(o))
                    }),
                    format!(
                        "<span class=\"v {}\">{}</span>",
                        c.verdict.as_str(),
                        c.verdict.label()
                    ),
                ]
            })
            .collect();
        let soa_docs: Vec<String> = self
            .register
            .entries
            .iter()
            .filter(|x| x.kind == "soa")
            .map(|x| doc(&x.id))
            .collect();
        let body = format!(
            "<h1>SoA traceability matrix</h1>\n<p class=\"muted\">As of {}. Each Annex A control as the Statement of \
             Applicability ({}) decides it, with the procedure that implements it, the records that evidence it, \
             its owner, and the mock audit's verdict.</p>\n{}",
            self.register.as_of,
            if soa_docs.is_empty() {
                "none found".to_owned()
            } else {
                soa_docs.join(", ")
            },
            html::table(
                &[
                    "Control",
                    "Applicability",
                    "Procedure",
                    "Evidence",
                    "Owner",
                    "Verdict"
                ],
                rows
            )
        );
        self.write(
            "soa.html",
            html::page("SoA traceability matrix", 0, &[], &body),
        )
    }

    fn audit_files(&mut self) -> miette::Result<()> {
        use crate::audit::render::{AuditFormat, render};
        for (format, name) in [
            (AuditFormat::Html, "audit.html"),
            (AuditFormat::Json, "audit.json"),
        ] {
            let mut out = Vec::new();
            render(self.audit, format, &mut out).into_diagnostic()?;
            self.write(name, out)?;
        }
        Ok(())
    }

    fn index(&mut self) -> miette::Result<()> {
        let org = self
            .ws
            .config
            .organisation
            .clone()
            .unwrap_or_else(|| "(organisation not named in aims.toml)".to_owned());
        let r = &self.audit.readiness;
        let commit = self.register.commit.as_deref().unwrap_or("(no commit)");
        let mut body = format!(
            "<p class=\"muted\">ISO/IEC 42001 evidence package</p>\n<h1>{}</h1>\n",
            e(&org)
        );
        let moment = if self.register.working_tree {
            let dirty = self.entries().filter(|x| x.state.uncommitted).count();
            if dirty > 0 {
                format!(
                    "{} (working tree; {dirty} document(s) with uncommitted changes, shown as unapproved)",
                    self.register.as_of
                )
            } else {
                format!("{} (working tree, clean)", self.register.as_of)
            }
        } else {
            self.register.as_of.to_string()
        };
        body.push_str(&html::facts(&[
            ("As of", e(&moment)),
            ("Commit", format!("<code>{}</code>", e(commit))),
            ("Scope", self.scope_html()),
            (
                "Generated by",
                format!("aims {}", env!("CARGO_PKG_VERSION")),
            ),
        ]));
        let _ = writeln!(
            body,
            "<div class=\"box banner {}\">{}</div>\n<div class=\"tiles\"><div class=\"tile major\"><b>{}</b>major nonconformities</div>\
             <div class=\"tile minor\"><b>{}</b>minor nonconformities</div><div class=\"tile observation\"><b>{}</b>observations</div>\
             <div class=\"tile\"><b>{}</b>opportunities for improvement</div></div>",
            r.status,
            e(&r.summary),
            r.findings.major,
            r.findings.minor,
            r.findings.observation,
            r.findings.improvement
        );

        let entries: Vec<&Entry> = self.entries().collect();
        let count = |st: State| entries.iter().filter(|x| x.state.state == st).count();
        let changed = entries
            .iter()
            .filter(|x| x.state.unapproved_changes > 0)
            .count();
        let _ = writeln!(
            body,
            "<h2>In this package</h2>\n<ul>\
             <li>{}: {} controlled documents; {} approved, {} with unapproved changes, {} never approved, {} overdue for review (also {} and {})</li>\
             <li>{}: control → applicability → procedure → evidence → owner</li>\
             <li>{}: verdicts per clause and control, gap matrix, corrective-action plan (also {})</li>\
             <li>{}: {} approval records (signed tags and commit sign-offs, refused ones too) with their verification results and the keys to re-verify them</li>\
             <li>{} and {}: the SHA-256 of every file</li></ul>",
            link("register.html", "Document-control register"),
            entries.len(),
            count(State::Approved),
            changed,
            count(State::NeverApproved),
            count(State::ReviewOverdue),
            link("register.csv", "CSV"),
            link("register.json", "JSON"),
            link("soa.html", "SoA traceability matrix"),
            link("audit.html", "Mock audit"),
            link("audit.json", "JSON"),
            link("approvals/index.html", "Approval records"),
            self.approval_files.len(),
            link("manifest.json", "manifest.json"),
            link("manifest.sha256", "manifest.sha256"),
        );

        body.push_str("<h2>Documents</h2>\n");
        let mut by_kind: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
        for x in &entries {
            by_kind.entry(x.kind.as_str()).or_default().push(x);
        }
        for (kind, docs) in by_kind {
            let rows = docs.iter().map(|x| {
                let f = self.folder(&x.id).unwrap_or("_");
                vec![
                    link(&format!("documents/{f}/index.html"), &x.id),
                    e(&x.title),
                    x.state
                        .in_force_version()
                        .map_or("-".to_owned(), |v| format!("v{v}")),
                    format!(
                        "<span class=\"{}\">{}</span>",
                        x.state.state.as_str(),
                        x.state.state.as_str()
                    ),
                ]
            });
            let _ = writeln!(
                body,
                "<h3>{}</h3>\n{}",
                e(kind),
                html::table(&["ID", "Title", "In force", "State"], rows)
            );
        }
        let _ = writeln!(
            body,
            "<h2>Checking this package</h2>\n<p><code>aims verify-export FOLDER</code> re-hashes every file against \
             <code>manifest.json</code>, reports anything missing, added or altered, and, run inside the repository, \
             checks that the commits and approval tags it names still exist. Without aims: \
             <code>sha256sum -c manifest.sha256</code>, then compare each file with its hash in the manifest. \
             Keep the hash in <code>manifest.sha256</code> apart from the package (in the audit ticket, say): \
             it pins the manifest, which pins every file.</p>"
        );
        let title = format!("Evidence package: {org}");
        self.write("index.html", html::page(&title, 0, &[], &body))
    }

    /// The scope documents with their in-scope systems and exclusions.
    fn scope_html(&self) -> String {
        let scopes: Vec<&Document> = self
            .ws
            .documents()
            .filter(|d| d.kind_name() == Some("scope"))
            .collect();
        if scopes.is_empty() {
            return "<span class=\"no\">no scope document</span>".to_owned();
        }
        let page = |id: &str| match self.folder(id) {
            Some(f) => link(&format!("documents/{f}/index.html"), id),
            None => e(id),
        };
        let title_of = |id: &str| {
            self.register
                .entry(id)
                .map_or(String::new(), |x| format!(" {}", e(&x.title)))
        };
        scopes
            .iter()
            .filter_map(|d| {
                let id = d.id()?;
                let list = |key: &str| -> Vec<String> {
                    d.frontmatter
                        .get(key)
                        .and_then(|v| v.as_array())
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str())
                                .map(|s| format!("{}{}", page(s), title_of(s)))
                                .collect()
                        })
                        .unwrap_or_default()
                };
                let excluded: Vec<String> = d
                    .frontmatter
                    .get("exclusion")
                    .and_then(|v| v.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|t| t.as_table()?.str("ai-system"))
                            .map(|s| format!("{}{}", page(s), title_of(s)))
                            .collect()
                    })
                    .unwrap_or_default();
                let in_scope = list("in-scope");
                Some(format!(
                    "{}{}<br>In scope: {}<br>Excluded: {}",
                    page(id),
                    title_of(id),
                    if in_scope.is_empty() {
                        "-".to_owned()
                    } else {
                        in_scope.join("; ")
                    },
                    if excluded.is_empty() {
                        "-".to_owned()
                    } else {
                        excluded.join("; ")
                    }
                ))
            })
            .collect::<Vec<_>>()
            .join("<br>")
    }
}

/// Text for display; the package's source files keep the bytes.
fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The Markdown body of a parsed document.
fn body_of(d: &Document) -> &str {
    d.body()
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
