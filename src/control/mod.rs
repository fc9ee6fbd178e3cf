//! Document control (ISO 42001 clause 7.5): the register of every
//! controlled document with the state git derives for it — version,
//! approvals that count, unapproved changes, review due — as of a moment.
//!
//! This is where the workspace (what the documents say) meets the history
//! (what git proves): one revision walk, one scan of the approval tags, and
//! the trust root from the last approved configuration. Reports and rules
//! read the [`Register`]; they never re-derive it.

pub mod seal;
pub mod trust;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use git2::{Oid, Repository, Status, StatusOptions};

use crate::config::{self, Config};
use crate::date::Date;
use crate::date::Interval;
use crate::docs::Kind;
use crate::history::approvals::{self, Approval, TagRecord, TagReport};
use crate::history::revisions::{self, Revision};
use crate::history::state::{self, ControlState, Judge, NotCounted, Policy, State};
use crate::workspace::Workspace;

pub use trust::CONFIG_ID;

/// Why there is no history to read.
#[derive(Debug)]
pub enum NoHistory {
    /// The AIMS is not in a git repository.
    NotARepository,
    /// The AIMS lives in a subdirectory of a larger repository.
    NotTopLevel { repository: PathBuf },
}

impl std::fmt::Display for NoHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoHistory::NotARepository => write!(f, "the AIMS is not in a git repository"),
            NoHistory::NotTopLevel { repository } => write!(
                f,
                "aims.toml is not at the top of its git repository ({})",
                repository.display()
            ),
        }
    }
}

/// `Repository::discover`, deciding ownership as git does. libgit2 reads
/// `safe.directory` from the global and system files but not from
/// `GIT_CONFIG_GLOBAL` or `-c`/`GIT_CONFIG_COUNT`, where git honours it: on
/// a repository owned by someone else, git itself is asked, and when git
/// works there, so does aims. When git refuses too, the error names the
/// setting.
pub fn discover(start: &Path) -> miette::Result<Option<Repository>> {
    match Repository::discover(start) {
        Ok(r) => Ok(Some(r)),
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) if e.code() == git2::ErrorCode::Owner => {
            let git = std::process::Command::new("git")
                .current_dir(start)
                .args(["rev-parse", "--show-toplevel"])
                .output();
            match git {
                Ok(out) if out.status.success() => {
                    // git trusts it (safe.directory): so does aims, for
                    // this process.
                    // SAFETY: set once, before any other thread uses libgit2.
                    unsafe {
                        let _ = git2::opts::set_verify_owner_validation(false);
                    }
                    Repository::discover(start).map(Some).map_err(|e| {
                        miette::miette!(
                            "cannot open the git repository at {}: {e}",
                            start.display()
                        )
                    })
                }
                _ => {
                    let top = start.display();
                    miette::bail!(
                        help = format!(
                            "if you trust it, tell git (and so aims) so: \
                             `git config --global --add safe.directory {top}` \
                             (safe.directory is read from every git configuration, \
                             GIT_CONFIG_GLOBAL included)"
                        ),
                        "the git repository at {top} belongs to another user, and git's \
                         safe.directory does not list it: aims, like git, will not read it"
                    )
                }
            }
        }
        Err(e) => Err(unreadable(start, &e)),
    }
}

/// Why libgit2 cannot open a repository, and what to do about it where the
/// cause is a format git has and libgit2 (so aims) cannot read yet.
fn unreadable(start: &Path, e: &git2::Error) -> miette::Report {
    let top = start.display();
    let message = e.message();
    if message.contains("extensions.refstorage") {
        // git 2.45's reftable (the default from git 3.0): aims reads refs
        // from `refs/` and `packed-refs` only.
        return miette::miette!(
            help = "convert it to git's files format, which every git reads: \
                    `git refs migrate --ref-format=files` (git 2.46 or later), or clone it \
                    with `git clone --ref-format=files`",
            "the git repository at {top} keeps its refs in the reftable format, which aims \
             cannot read yet"
        );
    }
    if message.contains("object format") || message.contains("extensions.objectformat") {
        return miette::miette!(
            help = "aims reads repositories with SHA-1 object ids (git's default); a \
                    SHA-256 repository cannot be converted in place",
            "the git repository at {top} uses SHA-256 object ids, which aims cannot read yet"
        );
    }
    miette::miette!("cannot open the git repository at {top}: {message}")
}

/// The git repository whose top level holds `root`'s aims.toml.
pub fn open_repository(root: &Path) -> miette::Result<Result<Repository, NoHistory>> {
    let Some(repo) = discover(root)? else {
        return Ok(Err(NoHistory::NotARepository));
    };
    let Some(workdir) = repo.workdir() else {
        return Ok(Err(NoHistory::NotARepository));
    };
    let same = match (workdir.canonicalize(), root.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same {
        return Ok(Err(NoHistory::NotTopLevel {
            repository: workdir.to_path_buf(),
        }));
    }
    check_objects(&repo)?;
    Ok(Ok(repo))
}

/// Stops on a damaged loose object before libgit2 reads it (and hangs).
pub fn check_objects(repo: &Repository) -> miette::Result<()> {
    crate::history::loose::check(repo.path()).map_err(|d| {
        miette::miette!(
            help = "run `git fsck` to list every damaged object, then restore them from \
                    another clone or a backup (`git fetch` from a remote that has them)",
            "{d}; aims stops rather than read it"
        )
    })
}

/// The repository for a command that cannot work without history.
pub fn require_repository(root: &Path) -> miette::Result<Repository> {
    open_repository(root)?.map_err(|why| {
        miette::miette!(
            help = "document control reads git history (approvals are signed tags): run \
                    `git init` and commit the AIMS, with aims.toml at the top of the repository",
            "{why}"
        )
    })
}

/// A git error as a diagnostic: git's own message.
pub fn git_error(e: git2::Error) -> miette::Report {
    if matches!(e.class(), git2::ErrorClass::Zlib | git2::ErrorClass::Odb) {
        // A damaged object (a packed one fails zlib's checksum): what to do.
        return miette::miette!(
            help = "run `git fsck` to name every damaged object, then restore them from \
                    another clone or a backup (`git fetch` from a remote that has them)",
            "a git object cannot be read: {} (the repository is damaged; aims stops rather \
             than guess)",
            e.message()
        );
    }
    miette::miette!("{}", e.message())
}

/// The commit `spec` names (a branch, tag, id or any revision git
/// understands).
pub fn resolve_commit(repo: &Repository, spec: &str) -> Result<Oid, git2::Error> {
    repo.revparse_single(spec)
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id())
}

/// The shallow-clone refusal, with the fix.
fn shallow() -> miette::Report {
    miette::miette!(
        help = "in GitHub Actions: `actions/checkout` with `fetch-depth: 0`; \
                elsewhere: `git fetch --unshallow --tags`",
        "{}",
        revisions::SHALLOW
    )
}

/// The moment a register describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AsOf {
    /// Now: HEAD and the working tree.
    Now,
    /// The end of a day (UTC): the branch as it stood then.
    Date(Date),
    /// A commit (any revision git understands): its tree and its time.
    Commit(String),
}

impl AsOf {
    /// `YYYY-MM-DD` is a date; anything else names a commit.
    pub fn parse(s: &str) -> AsOf {
        match s.parse::<Date>() {
            Ok(d) => AsOf::Date(d),
            Err(_) => AsOf::Commit(s.to_owned()),
        }
    }
}

/// One controlled document's row.
#[derive(Clone, Debug)]
pub struct Entry {
    pub id: String,
    pub title: String,
    /// The kind's name, `configuration` for aims.toml.
    pub kind: String,
    pub owner: String,
    pub path: String,
    /// Revisions on the branch, oldest first, up to the as-of moment.
    pub revisions: Vec<Revision>,
    pub state: ControlState,
}

/// An approved version of a document: its number, the approvals that
/// gave or confirmed it (oldest first), and its content's blob.
#[derive(Clone, Debug)]
pub struct Version<'a> {
    pub number: u32,
    pub blob: &'a str,
    pub approvals: Vec<&'a Approval>,
}

impl Entry {
    /// The approved versions, oldest first.
    pub fn versions(&self) -> Vec<Version<'_>> {
        let mut out: Vec<Version> = Vec::new();
        for (a, v) in &self.state.counted {
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
}

/// A trust file (allowed signers, keyring) that differs from the approved one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustChange {
    pub path: String,
    /// True when the file is uncommitted (or untracked) in the working tree.
    pub uncommitted: bool,
}

/// A line of a trust file (allowed signers, revocation list) that deserves
/// a finding: it does not read (so it allows, or revokes, nothing), or it
/// lets one key sign as any matching address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustLine {
    pub path: String,
    pub line: usize,
    pub problem: TrustLineProblem,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrustLineProblem {
    Unreadable(String),
    Wildcard(String),
}

/// The document-control register as of a moment.
#[derive(Debug)]
/// The documents a register is built for, when not all: the ids asked
/// about, and the whole configuration (`ws.config` is narrowed to their
/// paths), whose cached walk may serve.
pub struct Narrowed<'a> {
    pub only: &'a BTreeSet<String>,
    pub full: &'a crate::config::Config,
}

/// Verified approvals of another repository's documents, by id, and the
/// tags refused.
pub type ForeignApprovals = (BTreeMap<String, Vec<Approval>>, Vec<TagReport>);

pub struct Register {
    pub as_of: Date,
    /// Unix seconds: approvals and revisions after it are not yet made.
    pub as_of_time: i64,
    /// The commit described (None in a repository with no commit yet).
    pub commit: Option<String>,
    /// Documents were read from the working tree (not from a past commit).
    pub working_tree: bool,
    /// aims.toml's own row.
    pub config: Entry,
    /// The configuration approval in force, when there is one.
    pub trust: Option<trust::ApprovedConfig>,
    /// Trust files changed since the configuration in force was approved.
    pub trust_changes: Vec<TrustChange>,
    /// Controlled documents, sorted by id.
    pub entries: Vec<Entry>,
    /// Approval tags (and commit sign-offs) that are not approvals, with the reason.
    pub refused: Vec<TagReport>,
    /// Commit sign-offs whose signature verified for the person named.
    pub signoffs: Vec<crate::history::signoffs::SignOff>,
    /// Seals that count, newest first.
    pub seals: Vec<seal::Seal>,
    /// Tags outside `refs/tags/aims/` that carry approval trailers (and so
    /// approve nothing).
    pub stray_tags: Vec<String>,
    /// Lines of the described trust files that deserve a finding.
    pub trust_lines: Vec<TrustLine>,
    /// Commits walked.
    pub commits: usize,
    /// Every configuration version of the branch and when each was in force.
    pub chain: trust::Chain,
    /// The configuration whose policies apply now: the approved one in
    /// force, else the working one (under which nothing counts).
    pub policy: Config,
}

impl Register {
    pub fn entry(&self, id: &str) -> Option<&Entry> {
        if id == CONFIG_ID {
            return Some(&self.config);
        }
        // Entries are sorted by id (see `build_for`).
        self.entries
            .binary_search_by(|e| e.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.entries[i])
    }

    /// The entry for `id` (exactly, else ignoring case: `pol-001` finds
    /// POL-001 when no other id differs only in case), or an error that
    /// suggests the closest id.
    pub fn find(&self, id: &str) -> miette::Result<&Entry> {
        if let Some(e) = self.entry(id) {
            return Ok(e);
        }
        let folded: Vec<&Entry> = std::iter::once(&self.config)
            .chain(&self.entries)
            .filter(|e| e.id.eq_ignore_ascii_case(id))
            .collect();
        if let [one] = folded[..] {
            return Ok(one);
        }
        self.entry(id).ok_or_else(|| {
            let ids: Vec<&str> = std::iter::once(CONFIG_ID)
                .chain(self.entries.iter().map(|e| e.id.as_str()))
                .collect();
            let help = match crate::rules::document::closest(id, &ids) {
                Some(c) => format!("did you mean {c}? `aims status` lists every document"),
                None => "`aims status` lists every document".to_owned(),
            };
            miette::miette!(help = help, "no controlled document has the id `{id}`")
        })
    }

    /// Builds the register for `ws` (read from the working tree for
    /// [`AsOf::Now`], or from the as-of commit's tree otherwise; see
    /// [`Register::open`]).
    pub fn build(
        ws: &Workspace,
        repo: &Repository,
        head: Option<Oid>,
        as_of_time: i64,
        working_tree: bool,
    ) -> miette::Result<Register> {
        let records = approvals::read(repo).map_err(git_error)?;
        Register::build_for(ws, repo, head, as_of_time, working_tree, &records, None)
    }

    /// [`Register::build`] from the approval tags already read (`records`,
    /// from [`approvals::read`]), for the documents of `ws` only: with
    /// `only` set, tags naming other ids are not verified (and not reported
    /// as naming unknown documents), so the cost follows the documents
    /// asked about. `ws.config`'s globs decide which paths the revision
    /// walk reads.
    pub fn build_for(
        ws: &Workspace,
        repo: &Repository,
        head: Option<Oid>,
        as_of_time: i64,
        working_tree: bool,
        records: &[TagRecord],
        narrowed: Option<Narrowed<'_>>,
    ) -> miette::Result<Register> {
        let git = git_error;
        let only = narrowed.as_ref().map(|n| n.only);
        let full = narrowed.as_ref().map(|n| n.full);
        let trust_paths = trust_paths(&ws.config);
        let files: Vec<&str> = trust_paths.iter().map(String::as_str).collect();
        crate::history::cache::Verdicts::open(repo);
        let walked = match head {
            Some(head) => revisions::walk_cached(repo, head, &ws.config, full, &files, only)
                .map_err(|e| {
                    if e.message() == revisions::SHALLOW {
                        shallow()
                    } else {
                        git(e)
                    }
                })?,
            None => revisions::Walked {
                revisions: revisions::Revisions::default(),
                trust_points: None,
                covered: None,
                store: None,
            },
        };
        // Shared with the thread that stores the walk (below).
        let revs = std::sync::Arc::new(walked.revisions);
        let uncommitted = if working_tree {
            uncommitted_paths(repo).map_err(git)?
        } else {
            HashSet::new()
        };

        // Tags made by the moment described. Describing now, a tag dated
        // later than now (beyond clock skew) is refused as future-dated.
        let mut refused = Vec::new();
        let mut made: Vec<&TagRecord> = Vec::new();
        for record in records {
            match record.tagger() {
                Some((_, t)) if t > as_of_time => {
                    if working_tree && t > as_of_time + seal::TOLERANCE {
                        refused.push(record.refuse(approvals::Invalid::FutureDated {
                            limit: "now".into(),
                        }));
                    }
                }
                _ => made.push(record),
            }
        }
        let config_records: Vec<&TagRecord> = made
            .iter()
            .copied()
            .filter(|r| r.document() == Some(CONFIG_ID))
            .collect();
        let seal_records: Vec<&TagRecord> = made
            .iter()
            .copied()
            .filter(|r| r.seal().is_some())
            .collect();

        // The configuration chain, and the seals it lets count, which may
        // show tags (configuration approvals among them) to be back-dated
        // (see `seal::settle`).
        let versions = match head {
            Some(h) => trust::versions_at(
                repo,
                h,
                &revs.files,
                walked.trust_points.as_deref(),
                walked.covered.as_deref(),
            )
            .map_err(git)?,
            None => Vec::new(),
        };
        // The walk is stored on a thread of its own while the register is
        // built (serialising a large AIMS's walk takes a while), and kept
        // in memory once both are done.
        let mut stored = None;
        if let (Some(h), Some((scope, fingerprint))) = (head, walked.store) {
            use crate::history::cache;
            let points: Vec<Oid> = versions
                .iter()
                .filter_map(|v| Oid::from_str(&v.commit).ok())
                .collect();
            let thread = {
                let (dir, revs) = (cache::dir(repo), std::sync::Arc::clone(&revs));
                let files: Vec<String> = files.iter().map(|f| (*f).to_owned()).collect();
                let (fingerprint, points) = (fingerprint.clone(), points.clone());
                std::thread::Builder::new().spawn(move || {
                    let files: Vec<&str> = files.iter().map(String::as_str).collect();
                    store_walk(&dir, scope, &fingerprint, h, &revs, &points, &files);
                })
            };
            let storing = match thread {
                Ok(thread) => Storing(Some(thread)),
                Err(_) => {
                    // No thread to be had: stored here, at once.
                    let dir = cache::dir(repo);
                    store_walk(&dir, scope, &fingerprint, h, &revs, &points, &files);
                    Storing(None)
                }
            };
            stored = Some((scope, fingerprint, h, points, storing));
        }
        let anchors = trust_anchors()?;
        let chain_with = |voided: &HashMap<String, approvals::Invalid>| {
            trust::chain(
                repo,
                versions.clone(),
                &config_records,
                &trust::Judging {
                    head: head.unwrap_or(Oid::ZERO_SHA1),
                    anchors: &anchors,
                    roots_with_config: revs.roots_with_config,
                    voided,
                },
            )
        };
        let (chain, seals, seal_refusals, back_dated) =
            seal::settle(&seal_records, &made, as_of_time, &chain_with).map_err(git)?;
        let voided = trust::Voided {
            tags: back_dated,
            keys: chain.revoked_keys(),
        };
        if let Some(failure) = &chain.anchor_failure {
            miette::bail!(
                help = "check the fingerprints given with --trust-anchor (or AIMS_TRUST_ANCHOR) \
                        against `aims log aims.toml`; never re-anchor to make this pass without \
                        finding out why the bootstrap changed",
                "{failure}"
            );
        }
        refused.extend(chain.refused.iter().cloned());
        refused.extend(seal_refusals);
        let in_force = chain.approved();
        let judge = RegisterJudge {
            chain: &chain,
            fallback: &ws.config,
        };

        // Document approvals, each judged by the configuration in force
        // when it was signed.
        let mut by_document: BTreeMap<String, Vec<Approval>> = BTreeMap::new();
        for record in made.iter().copied() {
            if record.document() == Some(CONFIG_ID) || record.seal().is_some() {
                continue;
            }
            if let Some(only) = only
                && !record.document().is_some_and(|d| only.contains(d))
            {
                continue;
            }
            match judge_document_tag(repo, record, &chain, &voided).map_err(git)? {
                Ok(approval) => by_document
                    .entry(approval.claim.document.clone())
                    .or_default()
                    .push(approval),
                Err(report) => refused.push(report),
            }
        }

        // Commit sign-offs: `Approved-by:` counts as an approval of the
        // content the commit gives each document, when the commit's
        // signature verifies for the person named under the configuration
        // in force at the commit's time.
        let mut signoffs = Vec::new();
        for s in revs.signoffs.iter().filter(|s| s.time <= as_of_time) {
            let name = format!(
                "commit {} ({}: {})",
                crate::history::short_id(&s.commit),
                s.trailer.as_str(),
                s.email
            );
            let report = |outcome| TagReport {
                name: name.clone(),
                document: s.documents.first().map(|d| d.0.clone()),
                tagger: Some(s.email.clone()),
                time: Some(s.time),
                role: None,
                commit: Some(s.commit.clone()),
                outcome,
            };
            let Some(root) = chain.in_force_at(s.time).and_then(|v| v.root.as_ref().ok()) else {
                refused.push(report(Err(if in_force.is_none() {
                    approvals::Invalid::NoTrustRoot
                } else {
                    approvals::Invalid::NoConfigurationAt(s.time)
                })));
                continue;
            };
            let signature = s
                .signed
                .as_ref()
                .map(|(payload, kind, armored)| (payload.as_slice(), (*kind, armored.as_slice())));
            let verified = approvals::verify(
                signature.map_or(&[][..], |(p, _)| p),
                signature.map(|(_, sig)| sig),
                &root.trust,
                &s.email,
                s.time,
            )
            .map_err(git)?;
            let verified = match verified {
                Ok(v) if crate::history::revoked::is_revoked(&voided.keys, &v.fingerprint) => {
                    Err(approvals::Invalid::Revoked {
                        fingerprint: v.fingerprint,
                    })
                }
                Ok(v) => Ok(v),
                Err(r) => Err(approvals::Invalid::Signature(r)),
            };
            let verified = match verified {
                Ok(v) => v,
                Err(why) => {
                    for (id, _, _) in &s.documents {
                        refused.push(TagReport {
                            document: Some(id.clone()),
                            ..report(Err(why.clone()))
                        });
                    }
                    continue;
                }
            };
            signoffs.push(s.clone());
            if s.trailer != crate::history::signoffs::Trailer::ApprovedBy {
                continue; // a verified review sign-off: shown in the log
            }
            for (id, path, blob) in &s.documents {
                // The role: one the signer holds that may approve the
                // content's kind, then; the kind rule itself is the state's.
                let kind = revs
                    .by_id
                    .get(id)
                    .and_then(|r| r.iter().find(|r| r.blob == *blob))
                    .and_then(|r| r.kind.as_deref())
                    .and_then(Kind::parse);
                let roles = kind.map_or(&[][..], |k| &root.config.kind_policy(k).approvers[..]);
                let Some(role) = roles.iter().find(|r| root.trust.holds(&s.email, r)) else {
                    refused.push(TagReport {
                        document: Some(id.clone()),
                        ..report(Err(approvals::Invalid::RoleNotHeld {
                            email: s.email.clone(),
                            role: roles.join(" or "),
                        }))
                    });
                    continue;
                };
                by_document.entry(id.clone()).or_default().push(Approval {
                    tag: name.clone(),
                    commit: s.commit.clone(),
                    commit_time: s.time,
                    claim: crate::history::tag::Claim {
                        document: id.clone(),
                        path: path.clone(),
                        blob: blob.clone(),
                        role: role.clone(),
                        decision: crate::history::tag::Decision::Approved,
                    },
                    signer_name: s.name.clone(),
                    signer_email: s.email.clone(),
                    time: s.time,
                    signature: verified.clone(),
                });
            }
        }

        // Approvals of content this branch does not hold, whose commit is
        // elsewhere, wait for a merge: pending, never a finding.
        let mut reachable: HashMap<String, bool> = HashMap::new();
        let mut on_branch = |commit: &str| -> bool {
            *reachable.entry(commit.to_owned()).or_insert_with(|| {
                match (head, Oid::from_str(commit)) {
                    (Some(h), Ok(c)) => h == c || repo.graph_descendant_of(h, c).unwrap_or(false),
                    _ => false,
                }
            })
        };
        let mut pending: BTreeMap<String, Vec<Approval>> = BTreeMap::new();
        for (id, list) in &mut by_document {
            let history = revs.by_id.get(id).map_or(&[][..], Vec::as_slice);
            let present = history.last().is_some_and(|r| !r.is_removal());
            let (waiting, here): (Vec<Approval>, Vec<Approval>) =
                std::mem::take(list).into_iter().partition(|a| {
                    let content_here = match a.claim.decision {
                        crate::history::tag::Decision::Withdrawn => !present,
                        _ => history.iter().any(|r| r.blob == a.claim.blob),
                    };
                    !content_here && !on_branch(&a.commit)
                });
            *list = here;
            if !waiting.is_empty() {
                pending.insert(id.clone(), waiting);
            }
        }

        // Policies come from the approved configuration, so an unapproved
        // edit cannot loosen them; with none approved, nothing counts.
        let mut entries = Vec::new();
        let mut seen = HashSet::new();
        // What the described tree holds under each id: the committed blob of
        // every file carrying it (duplicates included); a file not
        // committed yet, or edited, is an uncommitted change.
        let tree = match head {
            Some(h) => Some(repo.find_commit(h).and_then(|c| c.tree()).map_err(git)?),
            None => None,
        };
        let mut current: HashMap<&str, Vec<String>> = HashMap::new();
        let mut dirty: HashSet<&str> = HashSet::new();
        let committed = match &tree {
            Some(t) => crate::history::blob_ids_at(
                repo,
                t,
                ws.documents()
                    .filter(|d| d.id().is_some())
                    .map(|d| d.path.as_str()),
            )
            .map_err(git)?,
            None => HashMap::new(),
        };
        for doc in ws.documents() {
            let Some(id) = doc.id() else { continue };
            match committed.get(doc.path.as_str()) {
                Some(b) => current.entry(id).or_default().push(b.to_string()),
                None => {
                    current.entry(id).or_default();
                    dirty.insert(id);
                }
            }
            if uncommitted.contains(&doc.path) {
                dirty.insert(id);
            }
        }
        let derive = |id: &str| {
            let revisions: Vec<Revision> = revs
                .by_id
                .get(id)
                .map(|r| r.iter().filter(|r| r.time <= as_of_time).cloned().collect())
                .unwrap_or_default();
            let approvals = by_document.get(id).map_or(&[][..], Vec::as_slice);
            let held = current.get(id).map_or(&[][..], Vec::as_slice);
            let mut state = state::derive(
                &revisions,
                approvals,
                held,
                &judge,
                as_of_time,
                dirty.contains(id),
            );
            state.pending = pending.get(id).cloned().unwrap_or_default();
            (revisions, state)
        };
        for doc in ws.documents() {
            let Some(id) = doc.id() else { continue };
            if !seen.insert(id.to_owned()) {
                continue; // a duplicate id: the document rules report it
            }
            let (revisions, state) = derive(id);
            entries.push(Entry {
                id: id.to_owned(),
                title: doc.title().unwrap_or_default().to_owned(),
                kind: doc.kind_name().unwrap_or_default().to_owned(),
                owner: doc.owner().unwrap_or_default().to_owned(),
                path: doc.path.clone(),
                revisions,
                state,
            });
        }
        // Documents no longer here that were approved once (withdrawn, or
        // removed without approval), and documents only pending approvals
        // name. Records of obsolete documents are retained (7.5.3).
        let absent: BTreeSet<&String> = revs
            .by_id
            .keys()
            .chain(by_document.keys())
            .chain(pending.keys())
            .filter(|id| !seen.contains(id.as_str()))
            .filter(|id| only.is_none_or(|o| o.contains(id.as_str())))
            .collect();
        for id in absent {
            let (revisions, state) = derive(id);
            let known = !state.counted.is_empty()
                || (!revisions.is_empty() && !state.not_counted.is_empty());
            let shown = if known {
                revisions
                    .iter()
                    .rev()
                    .find(|r| !r.is_removal())
                    .map(|r| (r.blob.to_string(), r.path.to_string()))
            } else if !state.pending.is_empty() && revisions.is_empty() {
                state
                    .pending
                    .last()
                    .map(|a| (a.claim.blob.clone(), a.claim.path.clone()))
            } else {
                None
            };
            let Some((blob, path)) = shown else {
                // Approvals of an id that never reached this branch: say so.
                if only.is_none() {
                    for a in by_document.get(id).into_iter().flatten() {
                        refused.push(TagReport {
                            name: a.tag.clone(),
                            document: Some(id.clone()),
                            tagger: Some(a.signer_email.clone()),
                            time: Some(a.time),
                            role: Some(a.claim.role.clone()),
                            commit: Some(a.commit.clone()),
                            outcome: Err(approvals::Invalid::UnknownDocument(id.clone())),
                        });
                    }
                }
                continue;
            };
            let state = if known {
                state
            } else {
                ControlState::pending(state.pending)
            };
            let (title, kind, owner) = describe(repo, &ws.config, &blob, &path).map_err(git)?;
            entries.push(Entry {
                id: id.clone(),
                title,
                kind,
                owner,
                path,
                revisions,
                state,
            });
        }
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        refused.sort_by(|a, b| a.name.cmp(&b.name));

        let config = config_entry(
            ws,
            &chain,
            as_of_time,
            uncommitted.contains(config::FILE_NAME),
        );
        let trust_changes = match chain.in_force().and_then(|v| v.root.as_ref().ok()) {
            None => Vec::new(),
            Some(root) => trust_changes(repo, head, root, &ws.config, &uncommitted).map_err(git)?,
        };
        let policy = in_force
            .as_ref()
            .map_or_else(|| ws.config.clone(), |a| a.root.config.clone());
        let (stray_tags, trust_lines) = if only.is_none() {
            (
                approvals::outside_namespace(repo).map_err(git)?,
                trust_lines(repo, head, working_tree, &ws.root, &ws.config).map_err(git)?,
            )
        } else {
            Default::default()
        };
        crate::history::cache::Verdicts::save();
        let commits = revs.commits;
        if let Some((scope, fingerprint, h, points, storing)) = stored {
            drop(storing);
            if let Ok(revs) = std::sync::Arc::try_unwrap(revs) {
                crate::history::cache::keep(repo, scope, &fingerprint, h, revs, points);
            }
        }
        Ok(Register {
            as_of: Date::from_unix(as_of_time),
            as_of_time,
            commit: head.map(|h| h.to_string()),
            working_tree,
            config,
            trust: in_force,
            trust_changes,
            entries,
            refused,
            signoffs,
            seals,
            stray_tags,
            trust_lines,
            commits,
            policy,
            chain,
        })
    }

    /// The state of `entry` had its history one more revision (`extra`):
    /// how the gates judge a change before it is committed or pushed, by
    /// the register's own rules.
    pub fn derive_with(&self, entry: &Entry, extra: Revision, time: i64) -> ControlState {
        let approvals: Vec<Approval> = entry
            .state
            .counted
            .iter()
            .map(|(a, _)| a.clone())
            .chain(entry.state.not_counted.iter().map(|(a, _)| a.clone()))
            .chain(entry.state.pending.iter().cloned())
            .collect();
        let mut revisions = entry.revisions.clone();
        let judge = RegisterJudge {
            chain: &self.chain,
            fallback: &self.policy,
        };
        let current: Vec<String> = if extra.is_removal() {
            Vec::new()
        } else {
            vec![extra.blob.to_string()]
        };
        revisions.push(extra);
        state::derive(&revisions, &approvals, &current, &judge, time, false)
    }

    /// Approvals of documents kept in another repository (a `[[source]]`
    /// product repository's PRDs, `ids`), read from its tags (`records`,
    /// made in `repo`, that repository's cache) and judged as this
    /// register judges its own: each signature against the trust root in
    /// force when it was made, the signer holding the role, the claimed
    /// content in the tagged commit, no revoked key. Tags for any other
    /// document are ignored: a product repository cannot approve the AIMS's
    /// documents. Seals do not cover another repository's tags.
    pub fn foreign_approvals(
        &self,
        repo: &Repository,
        records: &[TagRecord],
        ids: &BTreeSet<String>,
    ) -> Result<ForeignApprovals, git2::Error> {
        // Seals cover this repository's tags only: no back-dating is known.
        let voided = trust::Voided {
            tags: HashMap::new(),
            keys: self.chain.revoked_keys(),
        };
        let mut by_document: BTreeMap<String, Vec<Approval>> = BTreeMap::new();
        let mut refused = Vec::new();
        for record in records {
            if !record.document().is_some_and(|d| ids.contains(d)) || record.seal().is_some() {
                continue;
            }
            if record.tagger().map_or(0, |t| t.1) > self.as_of_time {
                continue;
            }
            match judge_document_tag(repo, record, &self.chain, &voided)? {
                Ok(approval) => by_document
                    .entry(approval.claim.document.clone())
                    .or_default()
                    .push(approval),
                Err(report) => refused.push(report),
            }
        }
        Ok((by_document, refused))
    }

    /// The state of a document kept in another repository, from its
    /// revisions and verified approvals there, by this register's rules.
    pub fn derive_foreign(
        &self,
        revisions: &[Revision],
        approvals: &[Approval],
        current: &[String],
        uncommitted: bool,
    ) -> ControlState {
        let judge = RegisterJudge {
            chain: &self.chain,
            fallback: &self.policy,
        };
        state::derive(
            revisions,
            approvals,
            current,
            &judge,
            self.as_of_time,
            uncommitted,
        )
    }

    /// Opens the repository at `root` and builds the register as of `as_of`,
    /// returning the workspace it describes (the working tree for
    /// [`AsOf::Now`], the tree of the as-of commit otherwise).
    pub fn open(
        root: &Path,
        repo: &Repository,
        as_of: &AsOf,
    ) -> miette::Result<(Workspace, Register)> {
        let records = approvals::read(repo).map_err(git_error)?;
        Register::open_with(root, repo, as_of, &records)
    }

    /// [`Register::open`] from the approval tags already read (`records`,
    /// from [`approvals::read`]), for a caller that needs them too.
    pub fn open_with(
        root: &Path,
        repo: &Repository,
        as_of: &AsOf,
        records: &[TagRecord],
    ) -> miette::Result<(Workspace, Register)> {
        let head = head_commit(repo)?;
        match as_of {
            AsOf::Now => {
                let ws = Workspace::open(root)?;
                let reg = Register::build_for(&ws, repo, head, now(), true, records, None)?;
                Ok((ws, reg))
            }
            AsOf::Date(date) => {
                let Some(head) = head else {
                    miette::bail!("the repository has no commits yet");
                };
                let end = end_of_day(*date);
                let commit = last_commit_by(repo, head, end)?.ok_or_else(|| {
                    miette::miette!(
                        help = "pick a later date; `git log --reverse` shows the first commit",
                        "the branch has no commit on or before {date}"
                    )
                })?;
                Register::at_commit(root, repo, commit, end, records)
            }
            AsOf::Commit(spec) => {
                let commit = repo
                    .revparse_single(spec)
                    .and_then(|o| o.peel_to_commit())
                    .map_err(|e| {
                        miette::miette!(
                            help =
                                "give a date as YYYY-MM-DD, or a commit, tag or branch git knows",
                            "`{spec}` is neither a date nor a commit: {}",
                            e.message()
                        )
                    })?;
                Register::at_commit(root, repo, commit.id(), commit.time().seconds(), records)
            }
        }
    }
}

impl Register {
    /// The register of `commit`'s tree as of `time`.
    fn at_commit(
        root: &Path,
        repo: &Repository,
        commit: Oid,
        time: i64,
        records: &[TagRecord],
    ) -> miette::Result<(Workspace, Register)> {
        let tree = repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(|e| miette::miette!("{}", e.message()))?;
        let ws = Workspace::from_tree(root, repo, &tree)?;
        let reg = Register::build_for(&ws, repo, Some(commit), time, false, records, None)?;
        Ok((ws, reg))
    }
}

/// The thread storing a walk, joined however the register's build ends
/// (an error return included), so that the process's exit never cuts a
/// write short. A store that failed, even by a panic, only costs the next
/// run a walk.
struct Storing(Option<std::thread::JoinHandle<()>>);

impl Drop for Storing {
    fn drop(&mut self) {
        if let Some(thread) = self.0.take() {
            let _ = thread.join();
        }
    }
}

/// Stores a walk in the cache, and its trust files' part for the gate.
fn store_walk(
    dir: &Path,
    scope: crate::history::cache::Scope,
    fingerprint: &str,
    head: Oid,
    revisions: &revisions::Revisions,
    points: &[Oid],
    files: &[&str],
) {
    use crate::history::cache;
    cache::store(dir, scope, fingerprint, head, revisions, points);
    if scope == cache::Scope::Full {
        // What the gate's trust-only walk would find: primed here.
        cache::store_trust_part(dir, files, head, revisions, points);
    }
}

/// The moment "now" means: the end of `AIMS_TODAY` when set (for
/// reproducible reports and tests), else the clock.
pub fn now() -> i64 {
    match std::env::var("AIMS_TODAY")
        .ok()
        .and_then(|d| d.parse().ok())
    {
        Some(day) => end_of_day(day),
        None => now_unix(),
    }
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The last second of a UTC day.
pub fn end_of_day(date: Date) -> i64 {
    date.to_days() * 86_400 + 86_399
}

/// HEAD's commit, or None in a repository with no commit yet.
pub fn head_commit(repo: &Repository) -> miette::Result<Option<Oid>> {
    match repo.head() {
        Ok(h) => Ok(Some(
            h.peel_to_commit()
                .map_err(|e| miette::miette!("HEAD is not a commit: {}", e.message()))?
                .id(),
        )),
        Err(e)
            if matches!(
                e.code(),
                git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
            ) =>
        {
            Ok(None)
        }
        Err(e) => miette::bail!("cannot read HEAD: {}", e.message()),
    }
}

/// The newest commit on `head`'s first-parent line made at or before `time`.
pub fn last_commit_by(repo: &Repository, head: Oid, time: i64) -> miette::Result<Option<Oid>> {
    let git = git_error;
    if repo.is_shallow() {
        miette::bail!(
            help = "`git fetch --unshallow --tags`",
            "{}",
            revisions::SHALLOW
        );
    }
    let mut commit = repo.find_commit(head).map_err(git)?;
    loop {
        if commit.time().seconds() <= time {
            return Ok(Some(commit.id()));
        }
        if commit.parent_count() == 0 {
            return Ok(None);
        }
        commit = commit.parent(0).map_err(git)?;
    }
}

/// The rules in force for each approval: the configuration version in
/// force at its signature time.
struct RegisterJudge<'a> {
    chain: &'a trust::Chain,
    /// Review intervals when no configuration is in force.
    fallback: &'a Config,
}

impl Judge for RegisterJudge<'_> {
    fn policy(&self, approval: &Approval, kind: Option<&str>) -> Policy {
        let Some(root) = self
            .chain
            .in_force_at(approval.time)
            .and_then(|v| v.root.as_ref().ok())
        else {
            return Policy::default(); // nothing in force: nothing counts
        };
        Policy {
            approver_roles: kind
                .and_then(Kind::parse)
                .map_or(Vec::new(), |k| root.config.kind_policy(k).approvers.clone()),
            require_distinct_approver: root.config.require_distinct_approver,
        }
    }

    fn review_interval(&self, kind: Option<&str>) -> Interval {
        let config = self
            .chain
            .in_force()
            .and_then(|v| v.root.as_ref().ok())
            .map_or(self.fallback, |r| &r.config);
        config
            .kind_policy(kind.and_then(Kind::parse).unwrap_or(Kind::Record))
            .review_interval
    }
}

/// The key fingerprints pinned as trust anchors (`--trust-anchor`, or
/// `AIMS_TRUST_ANCHOR`: comma-separated `SHA256:…` or OpenPGP fingerprints).
/// With anchors, the bootstrap of the configuration chain must be signed by
/// one of them. Set but naming no fingerprint is an error, never "off".
pub fn trust_anchors() -> miette::Result<Vec<String>> {
    let Some(text) = std::env::var_os("AIMS_TRUST_ANCHOR") else {
        return Ok(Vec::new());
    };
    let text = text.to_string_lossy();
    let anchors: Vec<String> = text
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let bad: Vec<&String> = anchors
        .iter()
        .filter(|a| {
            let ssh = a.strip_prefix("SHA256:").is_some_and(|b| {
                b.len() >= 40
                    && b.bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
            });
            let pgp = a.len() >= 40 && a.bytes().all(|c| c.is_ascii_hexdigit());
            !ssh && !pgp
        })
        .collect();
    if anchors.is_empty() || !bad.is_empty() {
        miette::bail!(
            help = "give the fingerprints `ssh-keygen -lf KEY.pub` prints (SHA256:…), or OpenPGP \
                    fingerprints (40 hex digits), comma-separated",
            "--trust-anchor (or AIMS_TRUST_ANCHOR) is set but names {}",
            if anchors.is_empty() {
                "no fingerprint".to_owned()
            } else {
                format!("something that is not a key fingerprint: {}", bad[0])
            }
        );
    }
    Ok(anchors)
}

/// An OpenPGP approval verified with the keyring in force when it was
/// signed, whose key the keyring in force now revokes: void, past and
/// future. (SSH keys are revoked through the revocation list.)
/// Judges one document approval tag by `chain`: its defects, its
/// signature under the configuration in force when it was signed, the
/// signer's role, the claimed content in the tagged commit, and what voids
/// it (`voided`: back-dating, revoked keys; and an OpenPGP revocation the
/// keyring in force now has learnt since). The approval when it counts,
/// else the refusal.
fn judge_document_tag(
    repo: &Repository,
    record: &TagRecord,
    chain: &trust::Chain,
    voided: &trust::Voided,
) -> Result<Result<Approval, TagReport>, git2::Error> {
    if let Some(defect) = record.defect() {
        return Ok(Err(record.refuse(defect)));
    }
    let time = record.tagger().map_or(0, |t| t.1);
    let Some(root) = chain.in_force_at(time).and_then(|v| v.root.as_ref().ok()) else {
        return Ok(Err(record.refuse(if chain.approved().is_none() {
            approvals::Invalid::NoTrustRoot
        } else {
            approvals::Invalid::NoConfigurationAt(time)
        })));
    };
    let report = approvals::evaluate(repo, record, &root.trust)?;
    let approval = match report.outcome {
        Ok(a) => a,
        Err(_) => return Ok(Err(report)),
    };
    let current = chain.in_force().and_then(|v| v.root.as_ref().ok());
    let void = voided.check(record, &approval).or(match current {
        Some(now) => openpgp_revoked(record, &approval, root, now)?,
        None => None,
    });
    Ok(match void {
        Some(why) => Err(record.refuse(why)),
        None => Ok(approval),
    })
}

fn openpgp_revoked(
    record: &TagRecord,
    approval: &Approval,
    then: &trust::Root,
    now: &trust::Root,
) -> Result<Option<approvals::Invalid>, git2::Error> {
    if approval.signature.line.is_some() || now.files.keyring.is_none() {
        return Ok(None); // SSH, or no keyring now
    }
    if now.files.keyring == then.files.keyring {
        return Ok(None); // the same keyring already verified it
    }
    Ok(match record.verify_signature(&now.trust)? {
        Err(crate::history::signature::Rejection::KeyRevoked) => {
            Some(approvals::Invalid::Revoked {
                fingerprint: approval.signature.fingerprint.clone(),
            })
        }
        _ => None,
    })
}

/// The lines of the allowed signers and revocation list (as the working
/// tree holds them, or the described commit) that deserve a finding.
fn trust_lines(
    repo: &Repository,
    head: Option<Oid>,
    working_tree: bool,
    root: &Path,
    config: &Config,
) -> Result<Vec<TrustLine>, git2::Error> {
    let tree = match head {
        Some(h) if !working_tree => Some(repo.find_commit(h)?.tree()?),
        _ => None,
    };
    let working = crate::workspace::WorkingTree::new(root);
    let read = |path: &str| -> Result<Option<String>, git2::Error> {
        Ok(match &tree {
            Some(t) => crate::history::blob_at(repo, t, path)?
                .map(|(_, b)| String::from_utf8_lossy(&b).into_owned()),
            None => working
                .read(path)
                .map(|b| String::from_utf8_lossy(&b).into_owned()),
        })
    };
    let mut out = Vec::new();
    if let Some(text) = read(&config.allowed_signers)? {
        let (signers, errors) = crate::history::allowed_signers::parse(&text);
        for e in errors {
            out.push(TrustLine {
                path: config.allowed_signers.clone(),
                line: e.line,
                problem: TrustLineProblem::Unreadable(e.message),
            });
        }
        for s in signers {
            if s.principals.contains(['*', '?']) && !s.cert_authority {
                out.push(TrustLine {
                    path: config.allowed_signers.clone(),
                    line: s.line,
                    problem: TrustLineProblem::Wildcard(s.principals.clone()),
                });
            }
        }
    }
    if let Some(path) = &config.revoked_keys
        && let Some(text) = read(path)?
    {
        for e in crate::history::revoked::parse(&text).1 {
            out.push(TrustLine {
                path: path.clone(),
                line: e.line,
                problem: TrustLineProblem::Unreadable(e.message),
            });
        }
    }
    Ok(out)
}

/// The title, kind and owner of a document's content by blob, for a
/// document the tree described no longer (or not yet) holds.
fn describe(
    repo: &Repository,
    config: &Config,
    blob: &str,
    path: &str,
) -> Result<(String, String, String), git2::Error> {
    let bytes = crate::history::blob(repo, blob)?;
    let is_prd = config.classify_path(path) == Some(true);
    Ok(match crate::docs::load(path, &bytes, is_prd) {
        crate::docs::Loaded::Document(d) => (
            d.title().unwrap_or_default().to_owned(),
            d.kind_name().unwrap_or_default().to_owned(),
            d.owner().unwrap_or_default().to_owned(),
        ),
        crate::docs::Loaded::Problem { .. } => Default::default(),
    })
}

/// aims.toml and the trust files it names, as repository paths.
fn trust_paths(config: &Config) -> Vec<String> {
    let mut paths = vec![config::FILE_NAME.to_owned(), config.allowed_signers.clone()];
    paths.extend(config.gpg_keyring.clone());
    paths.extend(config.revoked_keys.clone());
    paths
}

/// Paths whose working-tree or index content differs from HEAD, or that
/// git does not track yet. One status call for the whole tree: libgit2's,
/// or git's own where libgit2 would answer wrongly or not at all (a sparse
/// checkout, whose files outside it libgit2 takes for deleted; a split or
/// sparse index, which it cannot read).
pub(crate) fn uncommitted_paths(repo: &Repository) -> Result<HashSet<String>, git2::Error> {
    let sparse = repo
        .config()
        .and_then(|c| c.get_bool("core.sparseCheckout"))
        .unwrap_or(false);
    if !sparse {
        let mut opts = StatusOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false);
        match repo.statuses(Some(&mut opts)) {
            Ok(statuses) => {
                return Ok(statuses
                    .iter()
                    .filter(|s| s.status() != Status::CURRENT)
                    .filter_map(|s| s.path().ok().map(str::to_owned))
                    .collect());
            }
            // An index libgit2 cannot read: git can.
            Err(e) if e.class() == git2::ErrorClass::Index => {}
            Err(e) => return Err(e),
        }
    }
    git_status(repo)
}

/// [`uncommitted_paths`] by `git status`, which knows every form of index
/// and sparse checkouts (files outside one are not changes). It takes no
/// lock, so it runs inside a commit's hooks too.
fn git_status(repo: &Repository) -> Result<HashSet<String>, git2::Error> {
    let Some(workdir) = repo.workdir() else {
        return Ok(HashSet::new());
    };
    let out = std::process::Command::new("git")
        .arg("--no-optional-locks")
        .arg("-C")
        .arg(workdir)
        .args(["status", "--porcelain=v1", "-z", "--no-renames"])
        .arg("--untracked-files=all")
        // The repository aims opened, with its own index, as libgit2 reads it.
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            git2::Error::from_str(&format!(
                "this repository's index or sparse checkout takes git itself to read, and \
                 git cannot be run: {e}"
            ))
        })?;
    if !out.status.success() {
        return Err(git2::Error::from_str(&format!(
            "git status failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    // `XY PATH` records, NUL-ended (no second path: renames are off).
    Ok(out
        .stdout
        .split(|b| *b == 0)
        .filter(|r| r.len() > 3)
        .filter_map(|r| std::str::from_utf8(&r[3..]).ok().map(str::to_owned))
        .collect())
}

/// aims.toml's row: one revision per configuration version of the branch
/// (a change to any of its trust files), the approvals that counted, and
/// its state: approved when the configuration in force is the one the
/// described tree holds.
fn config_entry(ws: &Workspace, chain: &trust::Chain, as_of_time: i64, uncommitted: bool) -> Entry {
    let numbers = chain.numbers();
    let mut revisions = Vec::new();
    for v in &chain.versions {
        revisions.push(Revision {
            commit: (&v.commit).into(),
            author_name: "".into(),
            author_email: v.authors.join(", ").into(),
            committer_email: "".into(),
            time: v.time,
            blob: v
                .files
                .config
                .as_deref()
                .unwrap_or(revisions::NO_CONTENT)
                .into(),
            path: if v.changed.is_empty() {
                config::FILE_NAME.into()
            } else {
                v.changed.join(", ").into()
            },
            kind: None,
        });
    }
    let counted: Vec<(Approval, u32)> = chain
        .events
        .iter()
        .filter_map(|e| Some((e.approval.clone(), numbers[e.version]?)))
        .collect();
    let in_force = chain.in_force_index();
    let interval = chain
        .in_force()
        .and_then(|v| v.root.as_ref().ok())
        .map_or(&ws.config, |r| &r.config)
        .kind_policy(Kind::Policy)
        .review_interval;
    // Reviews and approvals of the files in force move the review date.
    let review_due = in_force
        .and_then(|i| {
            chain
                .events
                .iter()
                .filter(|e| chain.versions[e.version].files == chain.versions[i].files)
                .map(|e| e.approval.time)
                .max()
        })
        .map(|t| Date::from_unix(t).plus(interval));
    let current = chain.versions.last().map(|v| &v.files);
    let held = in_force.map(|i| &chain.versions[i].files);
    // Versions of the branch since the last one holding the files in force.
    let unapproved_changes = match held {
        None => chain.versions.len(),
        Some(files) => chain
            .versions
            .iter()
            .rposition(|v| v.files == *files)
            .map_or(chain.versions.len(), |i| chain.versions.len() - 1 - i),
    } + usize::from(uncommitted);
    let state = match held {
        None => State::NeverApproved,
        Some(files) if Some(files) != current || uncommitted => State::ChangedSinceApproval,
        Some(_) if review_due.is_some_and(|d| d < Date::from_unix(as_of_time)) => {
            State::ReviewOverdue
        }
        Some(_) => State::Approved,
    };
    let state = ControlState {
        version: numbers.iter().flatten().max().copied(),
        state,
        counted,
        not_counted: chain.not_counted.clone(),
        pending: chain.pending.clone(),
        unapproved_changes: if state == State::ChangedSinceApproval {
            unapproved_changes.max(1)
        } else {
            unapproved_changes
        },
        uncommitted,
        removed: false,
        review_due,
    };
    Entry {
        id: CONFIG_ID.to_owned(),
        title: "AIMS configuration: roles, approvers, signers".to_owned(),
        kind: "configuration".to_owned(),
        // Top management owns the configuration where that role exists.
        owner: if ws.config.has_role("top-management") {
            "top-management".to_owned()
        } else {
            String::new()
        },
        path: config::FILE_NAME.to_owned(),
        revisions,
        state,
    }
}

/// The trust files that differ between the described tree (and the working
/// tree) and the approved configuration in force.
fn trust_changes(
    repo: &Repository,
    head: Option<Oid>,
    approved: &trust::Root,
    current: &Config,
    uncommitted: &HashSet<String>,
) -> Result<Vec<TrustChange>, git2::Error> {
    let tree = match head {
        Some(h) => Some(repo.find_commit(h)?.tree()?),
        None => None,
    };
    let mut out = Vec::new();
    let pairs = [
        (Some(&current.allowed_signers), &approved.files.signers),
        (current.gpg_keyring.as_ref(), &approved.files.keyring),
        (current.revoked_keys.as_ref(), &approved.files.revoked),
    ];
    for (path, approved_blob) in pairs {
        let Some(path) = path else { continue };
        let now = match &tree {
            Some(t) => crate::history::blob_at(repo, t, path)?.map(|(id, _)| id.to_string()),
            None => None,
        };
        let dirty = uncommitted.contains(path.as_str());
        if now != *approved_blob || dirty {
            out.push(TrustChange {
                path: path.clone(),
                uncommitted: dirty,
            });
        }
    }
    Ok(out)
}

/// Why a verified approval does not count, in words.
pub fn not_counted_reason(reason: &NotCounted) -> String {
    match reason {
        NotCounted::RoleMayNotApprove { role, kind } => match kind {
            Some(k) => format!(
                "the role `{role}` may not approve a {k} (under the rules in force when it was signed)"
            ),
            None => format!("the role `{role}` may not approve this kind of document"),
        },
        NotCounted::SelfApproval { author } => format!(
            "{author} authored the approved change and may not approve it \
             (require-distinct-approver, in force when it was signed)"
        ),
        NotCounted::UnknownContent => {
            "the approved content was never a revision of the document on this branch".to_owned()
        }
        NotCounted::NothingApproved => {
            "it reviews or withdraws content that was never approved".to_owned()
        }
        NotCounted::BeforeContent { arrived } => format!(
            "it claims a time before the approved content existed (first recorded {}): back-dated",
            crate::date::format_time(*arrived)
        ),
        NotCounted::StillPresent => {
            "it withdraws the document, but the document is still on the branch".to_owned()
        }
        NotCounted::Configuration(why) => why.clone(),
    }
}
