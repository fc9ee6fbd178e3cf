//! Document control (ISO 42001 clause 7.5): the register of every
//! controlled document with the state git derives for it — version,
//! approvals that count, unapproved changes, review due — as of a moment.
//!
//! This is where the workspace (what the documents say) meets the history
//! (what git proves): one revision walk, one scan of the approval tags, and
//! the trust root from the last approved configuration. Reports and rules
//! read the [`Register`]; they never re-derive it.

pub mod trust;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use git2::{Oid, Repository, Status, StatusOptions};

use crate::config::{self, Config};
use crate::date::Date;
use crate::docs::Kind;
use crate::history::approvals::{self, Approval, TagRecord, TagReport, TrustRoot};
use crate::history::revisions::{self, Revision};
use crate::history::state::{self, ControlState, NotCounted, Policy};
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

/// The git repository whose top level holds `root`'s aims.toml.
pub fn open_repository(root: &Path) -> miette::Result<Result<Repository, NoHistory>> {
    let repo = match Repository::discover(root) {
        Ok(r) => r,
        Err(e) if e.code() == git2::ErrorCode::NotFound => {
            return Ok(Err(NoHistory::NotARepository));
        }
        Err(e) => miette::bail!("cannot open the git repository at {}: {e}", root.display()),
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
    Ok(Ok(repo))
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

/// The document-control register as of a moment.
#[derive(Debug)]
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
    /// Commits walked.
    pub commits: usize,
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

    /// The entry for `id`, or an error that suggests the closest id.
    pub fn find(&self, id: &str) -> miette::Result<&Entry> {
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
        only: Option<&BTreeSet<String>>,
    ) -> miette::Result<Register> {
        let git = git_error;
        let trust_paths = trust_paths(&ws.config);
        let revs = match head {
            Some(head) => {
                let files: Vec<&str> = trust_paths.iter().map(String::as_str).collect();
                revisions::walk(repo, head, &ws.config, &files).map_err(|e| {
                    if e.message() == revisions::SHALLOW {
                        shallow()
                    } else {
                        git(e)
                    }
                })?
            }
            None => revisions::Revisions::default(),
        };
        let uncommitted = if working_tree {
            uncommitted_paths(repo).map_err(git)?
        } else {
            HashSet::new()
        };
        let (config_records, doc_records): (Vec<_>, Vec<_>) = records
            .iter()
            .partition(|r| r.document() == Some(CONFIG_ID));

        let none = Vec::new();
        let config_history = revs.files.get(config::FILE_NAME).unwrap_or(&none);
        let chain = trust::chain(repo, &config_records, config_history, as_of_time).map_err(git)?;
        let mut refused = chain.refused.clone();
        let in_force = chain.in_force().cloned();

        // Document approvals, judged against the trust root in force.
        let empty = TrustRoot::default();
        let mut by_document: BTreeMap<String, Vec<Approval>> = BTreeMap::new();
        for record in doc_records {
            if record.tagger().is_some_and(|(_, t)| t > as_of_time) {
                continue;
            }
            if let Some(only) = only
                && !record.document().is_some_and(|d| only.contains(d))
            {
                continue;
            }
            let report = match &in_force {
                Some(a) => approvals::evaluate(repo, record, &a.root.trust).map_err(git)?,
                None => {
                    let report = approvals::evaluate(repo, record, &empty).map_err(git)?;
                    match report.outcome {
                        // Unreadable tags say so; readable ones lack a trust root.
                        Err(ref invalid)
                            if !matches!(
                                invalid,
                                approvals::Invalid::Signature(_)
                                    | approvals::Invalid::RoleNotHeld { .. }
                            ) =>
                        {
                            report
                        }
                        _ => record.refuse(approvals::Invalid::NoTrustRoot),
                    }
                }
            };
            match report.outcome {
                Ok(a) => by_document
                    .entry(a.claim.document.clone())
                    .or_default()
                    .push(a),
                Err(_) => refused.push(report),
            }
        }

        // Commit sign-offs: `Approved-by:` counts as an approval of the
        // content the commit gives each document, when the commit's
        // signature verifies for the person named.
        let policy_config = in_force.as_ref().map_or(&ws.config, |a| &a.root.config);
        let index = ws.index();
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
            let Some(a) = &in_force else {
                refused.push(report(Err(approvals::Invalid::NoTrustRoot)));
                continue;
            };
            let signature = s
                .signed
                .as_ref()
                .map(|(payload, kind, armored)| (payload.as_slice(), (*kind, armored.as_slice())));
            let verified = approvals::verify(
                signature.map_or(&[][..], |(p, _)| p),
                signature.map(|(_, sig)| sig),
                &a.root.trust,
                &s.email,
                s.time,
            )
            .map_err(git)?;
            let verified = match verified {
                Ok(v) => v,
                Err(r) => {
                    for (id, _, _) in &s.documents {
                        refused.push(TagReport {
                            document: Some(id.clone()),
                            ..report(Err(approvals::Invalid::Signature(r.clone())))
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
                let kind = index.get(id.as_str()).and_then(|d| d.kind());
                let roles = kind.map_or(&[][..], |k| &policy_config.kind_policy(k).approvers[..]);
                let Some(role) = roles.iter().find(|r| a.root.trust.holds(&s.email, r)) else {
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

        // Policies come from the approved configuration, so an unapproved
        // edit cannot loosen them; with none approved, from the file itself
        // (nothing can count then anyway).
        let mut entries = Vec::new();
        let mut seen = HashSet::new();
        for doc in ws.documents() {
            let Some(id) = doc.id() else { continue };
            if !seen.insert(id.to_owned()) {
                continue; // a duplicate id: the document rules report it
            }
            let kind = doc.kind();
            let approver_roles = kind.map_or(Vec::new(), |k| {
                policy_config.kind_policy(k).approvers.clone()
            });
            let review_interval = policy_config
                .kind_policy(kind.unwrap_or(Kind::Record))
                .review_interval;
            let policy = Policy {
                approver_roles: &approver_roles,
                review_interval,
                require_distinct_approver: policy_config.require_distinct_approver,
            };
            let revisions: Vec<Revision> = revs
                .by_id
                .get(id)
                .map(|r| r.iter().filter(|r| r.time <= as_of_time).cloned().collect())
                .unwrap_or_default();
            let approvals = by_document.get(id).map_or(&[][..], Vec::as_slice);
            let state = state::derive(
                &revisions,
                approvals,
                &policy,
                as_of_time,
                uncommitted.contains(&doc.path),
            );
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
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        // Approvals of ids that no document carries now.
        for (id, approvals) in &by_document {
            if only.is_none() && !seen.contains(id) {
                for a in approvals {
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
        }
        refused.sort_by(|a, b| a.name.cmp(&b.name));

        let config = config_entry(
            ws,
            config_history,
            &chain,
            as_of_time,
            uncommitted.contains(config::FILE_NAME),
        );
        let trust_changes = match &in_force {
            None => Vec::new(),
            Some(a) => trust_changes(repo, head, &a.root, &ws.config, &uncommitted).map_err(git)?,
        };
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
            commits: revs.commits,
        })
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
fn last_commit_by(repo: &Repository, head: Oid, time: i64) -> miette::Result<Option<Oid>> {
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

/// aims.toml and the trust files it names, as repository paths.
fn trust_paths(config: &Config) -> Vec<String> {
    let mut paths = vec![config::FILE_NAME.to_owned(), config.allowed_signers.clone()];
    paths.extend(config.gpg_keyring.clone());
    paths
}

/// Paths whose working-tree or index content differs from HEAD, or that
/// git does not track yet. One status call for the whole tree.
fn uncommitted_paths(repo: &Repository) -> Result<HashSet<String>, git2::Error> {
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let statuses = repo.statuses(Some(&mut opts))?;
    Ok(statuses
        .iter()
        .filter(|s| s.status() != Status::CURRENT)
        .filter_map(|s| s.path().ok().map(str::to_owned))
        .collect())
}

fn config_entry(
    ws: &Workspace,
    history: &[Revision],
    chain: &trust::Chain,
    as_of_time: i64,
    uncommitted: bool,
) -> Entry {
    let revisions: Vec<Revision> = history
        .iter()
        .filter(|r| r.time <= as_of_time)
        .cloned()
        .collect();
    let approved: Vec<Approval> = chain.approved.iter().map(|a| a.approval.clone()).collect();
    // Roles and segregation of duties were checked link by link in the chain.
    let roles: Vec<String> = approved.iter().map(|a| a.claim.role.clone()).collect();
    let interval = chain
        .in_force()
        .map_or(&ws.config, |a| &a.root.config)
        .kind_policy(Kind::Policy)
        .review_interval;
    let policy = Policy {
        approver_roles: &roles,
        review_interval: interval,
        require_distinct_approver: false,
    };
    let mut state = state::derive(&revisions, &approved, &policy, as_of_time, uncommitted);
    state.not_counted.extend(chain.not_counted.iter().cloned());
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

/// The trust files that differ between the described tree and the approved
/// configuration's commit.
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
        (Some(&current.allowed_signers), &approved.signers_blob),
        (current.gpg_keyring.as_ref(), &approved.keyring_blob),
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
        NotCounted::RoleMayNotApprove { role } => {
            format!("the role `{role}` may not approve this kind of document")
        }
        NotCounted::SelfApproval { author } => format!(
            "{author} authored the approved change and may not approve it \
             (require-distinct-approver)"
        ),
        NotCounted::UnknownContent => {
            "the approved content was never a revision of the document on this branch".to_owned()
        }
    }
}
