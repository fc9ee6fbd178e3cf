//! The trust root: who may approve, and with which keys. A configuration
//! version is the set of trust files — `aims.toml`, the allowed signers, the
//! OpenPGP keyring and the revocation list it names — as it appears on the
//! checked branch's **first-parent** history, in the order it reached the
//! branch. Tag dates never order the chain; a tagger chooses them.
//!
//! An approval of the configuration is a tag naming the reserved document id
//! `aims.toml`. It counts for a version of the branch only when the tagged
//! commit holds exactly that version's files (a tag pointing at a commit
//! elsewhere counts only if that commit's files equal a version on the
//! branch), so nobody can approve a configuration of their own making that
//! the branch never held.
//!
//! Bootstrap: the first version on the branch that names any signer key is
//! approved against itself (with pinned trust anchors, the first one an
//! anchored key approved against itself). Every later version must be
//! approved under the configuration in force when its approval was signed.
//! A version is in force from its first counted approval (or its arrival on
//! the branch, if later) until a later version of the branch is.
//!
//! Rules are not retroactive: a document approval is judged by the version
//! in force at its signature time ([`Chain::in_force_at`]). A revocation
//! list in any approved version voids the listed keys' signatures at every
//! time; that is for compromise, not for people who leave.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use git2::{Oid, Repository};

use crate::config::{self, Config};
use crate::docs::Kind;
use crate::history::approvals::{self, Approval, Invalid, TagRecord, TagReport, TrustRoot};
use crate::history::revisions::Revision;
use crate::history::state::NotCounted;
use crate::history::tag::Decision;
use crate::history::{allowed_signers, revoked};

/// The reserved `Aims-Document` of configuration approvals.
pub const CONFIG_ID: &str = "aims.toml";

/// The files a configuration version consists of, by blob id (None: absent).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TrustFiles {
    pub config: Option<String>,
    pub signers: Option<String>,
    pub keyring: Option<String>,
    pub revoked: Option<String>,
}

/// A configuration approval that counts, and what it put in force.
#[derive(Clone, Debug)]
pub struct ApprovedConfig {
    pub approval: Approval,
    pub root: Root,
}

/// A commit's configuration and trust files, read as a trust root.
#[derive(Clone, Debug)]
pub struct Root {
    pub config: Config,
    pub trust: TrustRoot,
    pub files: TrustFiles,
    /// Fingerprints this version's revocation list names.
    pub revoked: Vec<String>,
    /// Holds the keyring on disk while it is in use.
    _keyring: Option<Arc<tempfile::TempPath>>,
}

impl Root {
    /// Whether anyone could sign under it at all.
    pub fn names_a_key(&self) -> bool {
        !self.trust.signers.is_empty() || self.trust.keyring.is_some()
    }

    /// The roles that may approve the configuration itself.
    pub fn configuration_approvers(&self) -> &[String] {
        &self.config.kind_policy(Kind::Policy).approvers
    }

    /// The repository paths of its trust files other than aims.toml.
    pub fn paths(&self) -> Vec<(&'static str, &str)> {
        let mut out = vec![("allowed signers", self.config.allowed_signers.as_str())];
        out.extend(self.config.gpg_keyring.as_deref().map(|p| ("keyring", p)));
        out.extend(
            self.config
                .revoked_keys
                .as_deref()
                .map(|p| ("revocation list", p)),
        );
        out
    }
}

/// One version of the configuration on the branch's first-parent history.
#[derive(Clone, Debug)]
pub struct Version {
    /// The first-parent commit where it appeared, and that commit's time.
    pub commit: String,
    pub time: i64,
    /// Who wrote the change: the authors of the commits that first held each
    /// file it changed (on any merged branch), else the first-parent commit's.
    pub authors: Vec<String>,
    /// The trust files it changed from the version before (all, for the first).
    pub changed: Vec<String>,
    pub files: TrustFiles,
    /// The trust root it sets, or why it cannot be one.
    pub root: Result<Root, String>,
    /// Approvals (and reviews) that count for it, in time order.
    pub approvals: Vec<Approval>,
    /// When it came into force (None: never).
    pub in_force_since: Option<i64>,
}

impl Version {
    fn usable(&self) -> Option<&Root> {
        self.root.as_ref().ok().filter(|r| r.names_a_key())
    }
}

/// The configuration chain of a branch, as of a moment.
#[derive(Debug, Default)]
pub struct Chain {
    /// Every version on the branch, oldest first.
    pub versions: Vec<Version>,
    /// Tags that verified but do not count, with the reason.
    pub not_counted: Vec<(Approval, NotCounted)>,
    /// Tags refused outright.
    pub refused: Vec<TagReport>,
    /// Verified approvals of a configuration not (yet) on this branch.
    pub pending: Vec<Approval>,
    /// Trust anchors were pinned and no version was approved by one of them.
    pub anchor_failure: Option<String>,
}

/// What earlier passes found about tags: back-dated ones (by tag object
/// id) and revoked keys. Both void signatures whatever the chain says.
#[derive(Debug, Default)]
pub struct Voided {
    pub tags: HashMap<String, Invalid>,
    pub keys: Vec<String>,
}

impl Voided {
    /// Why `report`'s approval is void, if it is: its tag was back-dated
    /// or its key revoked.
    pub fn check(&self, record: &TagRecord, approval: &Approval) -> Option<Invalid> {
        if let Some(why) = self.tags.get(&record.id) {
            return Some(why.clone());
        }
        revoked::is_revoked(&self.keys, &approval.signature.fingerprint).then(|| Invalid::Revoked {
            fingerprint: approval.signature.fingerprint.clone(),
        })
    }
}

impl Chain {
    /// The version in force at `time` (Unix seconds).
    pub fn in_force_at(&self, time: i64) -> Option<&Version> {
        self.in_force_before(self.versions.len(), time)
            .map(|(_, v)| v)
    }

    /// The version in force at the moment described.
    pub fn in_force(&self) -> Option<&Version> {
        self.versions
            .iter()
            .rev()
            .find(|v| v.in_force_since.is_some())
    }

    /// The newest of the first `limit` versions in force at `time`.
    fn in_force_before(&self, limit: usize, time: i64) -> Option<(usize, &Version)> {
        self.versions[..limit]
            .iter()
            .enumerate()
            .rev()
            .find(|(_, v)| v.in_force_since.is_some_and(|s| s <= time))
    }

    /// The configuration in force, with the approval that put it there.
    pub fn approved(&self) -> Option<ApprovedConfig> {
        let v = self.in_force()?;
        Some(ApprovedConfig {
            approval: v.approvals.first()?.clone(),
            root: v.root.as_ref().ok()?.clone(),
        })
    }

    /// Every key a version that was ever in force revokes.
    pub fn revoked_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .versions
            .iter()
            .filter(|v| v.in_force_since.is_some())
            .filter_map(|v| v.root.as_ref().ok())
            .flat_map(|r| r.revoked.iter().cloned())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// The approved versions' numbers: version i of the branch is `vN`
    /// when it is the Nth that was approved (in branch order).
    pub fn numbers(&self) -> Vec<Option<u32>> {
        let mut n = 0;
        self.versions
            .iter()
            .map(|v| {
                (!v.approvals.is_empty()).then(|| {
                    n += 1;
                    n
                })
            })
            .collect()
    }
}

/// The configuration versions on `head`'s first-parent history, oldest
/// first. `history` holds the trust files' revisions from the full walk,
/// which name who first wrote each content.
pub fn versions(
    repo: &Repository,
    head: Oid,
    history: &BTreeMap<String, Vec<Revision>>,
) -> Result<Vec<Version>, git2::Error> {
    let mut line = Vec::new();
    let mut commit = repo.find_commit(head)?;
    loop {
        line.push(commit.id());
        if commit.parent_count() == 0 {
            break;
        }
        commit = commit.parent(0)?;
    }
    let mut roots: HashMap<TrustFiles, Result<Root, String>> = HashMap::new();
    let mut out: Vec<Version> = Vec::new();
    let mut configs: HashMap<Oid, Option<Config>> = HashMap::new();
    for oid in line.into_iter().rev() {
        let commit = repo.find_commit(oid)?;
        let tree = commit.tree()?;
        let (files, paths) = files_at(repo, &tree, &mut configs)?;
        let before = out.last().map(|v| &v.files);
        if before == Some(&files) {
            continue;
        }
        if files.config.is_none() && before.is_none() {
            continue; // no configuration yet
        }
        let root = match roots.get(&files) {
            Some(r) => r.clone(),
            None => {
                let r = root_of(repo, &tree)?;
                roots.insert(files.clone(), r.clone());
                r
            }
        };
        let pairs = [
            (
                config::FILE_NAME.to_owned(),
                &files.config,
                before.map(|b| &b.config),
            ),
            (paths[0].clone(), &files.signers, before.map(|b| &b.signers)),
            (paths[1].clone(), &files.keyring, before.map(|b| &b.keyring)),
            (paths[2].clone(), &files.revoked, before.map(|b| &b.revoked)),
        ];
        let author = commit.author().email().unwrap_or_default().to_owned();
        let mut changed = Vec::new();
        let mut authors = Vec::new();
        for (path, now, was) in pairs {
            if path.is_empty() || was == Some(now) || (was.is_none() && now.is_none()) {
                continue;
            }
            let first = now.as_ref().and_then(|blob| {
                history
                    .get(&path)?
                    .iter()
                    .find(|r| r.blob == *blob)
                    .map(|r| r.author_email.clone())
            });
            authors.push(first.unwrap_or_else(|| author.clone()));
            changed.push(path);
        }
        authors.sort();
        authors.dedup();
        out.push(Version {
            commit: oid.to_string(),
            time: commit.time().seconds(),
            authors,
            changed,
            files,
            root,
            approvals: Vec::new(),
            in_force_since: None,
        });
    }
    Ok(out)
}

/// The trust files of a tree, and their paths (signers, keyring,
/// revocation list; empty when the configuration names none).
fn files_at(
    repo: &Repository,
    tree: &git2::Tree<'_>,
    configs: &mut HashMap<Oid, Option<Config>>,
) -> Result<(TrustFiles, [String; 3]), git2::Error> {
    let mut files = TrustFiles::default();
    let Some(entry) = tree.get_name(config::FILE_NAME) else {
        return Ok((files, Default::default()));
    };
    files.config = Some(entry.id().to_string());
    let config = match configs.get(&entry.id()) {
        Some(c) => c.clone(),
        None => {
            let blob = repo.find_blob(entry.id())?;
            let parsed = std::str::from_utf8(blob.content())
                .ok()
                .and_then(|t| Config::parse(t).ok());
            configs.insert(entry.id(), parsed.clone());
            parsed
        }
    };
    let Some(config) = config else {
        return Ok((files, Default::default()));
    };
    let id = |path: &str| -> Result<Option<String>, git2::Error> {
        match tree.get_path(std::path::Path::new(path)) {
            Ok(e) => Ok(Some(e.id().to_string())),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    };
    files.signers = id(&config.allowed_signers)?;
    let keyring = config.gpg_keyring.clone().unwrap_or_default();
    let revoked = config.revoked_keys.clone().unwrap_or_default();
    if !keyring.is_empty() {
        files.keyring = id(&keyring)?;
    }
    if !revoked.is_empty() {
        files.revoked = id(&revoked)?;
    }
    Ok((files, [config.allowed_signers.clone(), keyring, revoked]))
}

/// The trust files as a commit holds them. The outer error is git
/// failing; the inner one says why the commit's configuration cannot serve
/// as a trust root.
pub fn root_at(repo: &Repository, commit: Oid) -> Result<Result<Root, String>, git2::Error> {
    match repo.find_commit(commit).and_then(|c| c.tree()) {
        Ok(tree) => root_of(repo, &tree),
        Err(e) => Ok(Err(format!("commit {commit}: {}", e.message()))),
    }
}

/// The trust files of `tree`, read as a trust root.
fn root_of(repo: &Repository, tree: &git2::Tree<'_>) -> Result<Result<Root, String>, git2::Error> {
    use crate::history::blob_at;
    let Some((config_id, text)) = blob_at(repo, tree, config::FILE_NAME)? else {
        return Ok(Err(format!("the commit has no {}", config::FILE_NAME)));
    };
    let Ok(text) = String::from_utf8(text) else {
        return Ok(Err(format!("{} is not UTF-8 there", config::FILE_NAME)));
    };
    let config = match Config::parse(&text) {
        Ok(c) => c,
        Err(e) => return Ok(Err(format!("{} is invalid there: {e}", config::FILE_NAME))),
    };
    let signers = blob_at(repo, tree, &config.allowed_signers)?;
    // Lines that do not parse allow nothing; `aims check` reports them for
    // the working tree's file.
    let signer_list = match &signers {
        Some((_, bytes)) => allowed_signers::parse(&String::from_utf8_lossy(bytes)).0,
        None => Vec::new(),
    };
    let mut files = TrustFiles {
        config: Some(config_id.to_string()),
        signers: signers.map(|(id, _)| id.to_string()),
        ..TrustFiles::default()
    };
    let mut keyring_file = None;
    if let Some(path) = &config.gpg_keyring
        && let Some((id, bytes)) = blob_at(repo, tree, path)?
    {
        let file = write_temp(&bytes)
            .map_err(|e| git2::Error::from_str(&format!("writing the keyring: {e}")))?;
        keyring_file = Some(Arc::new(file));
        files.keyring = Some(id.to_string());
    }
    let mut revoked_keys = Vec::new();
    if let Some(path) = &config.revoked_keys
        && let Some((id, bytes)) = blob_at(repo, tree, path)?
    {
        revoked_keys = revoked::parse(&String::from_utf8_lossy(&bytes)).0;
        files.revoked = Some(id.to_string());
    }
    let trust = TrustRoot {
        roles: config.roles.clone(),
        signers: signer_list,
        keyring: keyring_file.as_ref().map(|f| f.to_path_buf()),
    };
    Ok(Ok(Root {
        config,
        trust,
        files,
        revoked: revoked_keys,
        _keyring: keyring_file,
    }))
}

fn write_temp(bytes: &[u8]) -> std::io::Result<tempfile::TempPath> {
    use std::io::Write;
    let mut file = tempfile::Builder::new()
        .prefix("aims-keyring-")
        .suffix(".gpg")
        .tempfile()?;
    file.write_all(bytes)?;
    file.flush()?;
    Ok(file.into_temp_path())
}

/// How the chain is judged: the branch head, the pinned anchors (key
/// fingerprints) and what earlier passes voided.
pub struct Judging<'a> {
    pub head: Oid,
    pub anchors: &'a [String],
    pub voided: &'a Voided,
}

/// Judges every configuration approval (`records`, made by the moment
/// described) against the branch's `versions`.
pub fn chain(
    repo: &Repository,
    mut versions: Vec<Version>,
    records: &[&TagRecord],
    judging: &Judging<'_>,
) -> Result<Chain, git2::Error> {
    for v in &mut versions {
        v.approvals.clear();
        v.in_force_since = None;
    }
    let mut out = Chain {
        versions,
        ..Chain::default()
    };
    let mut configs = HashMap::new();
    // Each tag goes to one version: the newest with its files that had
    // reached the branch when it was signed, else the first that did after
    // (approved on a pull request before the merge).
    let mut by_version: Vec<Vec<&TagRecord>> = vec![Vec::new(); out.versions.len()];
    let mut elsewhere: Vec<&TagRecord> = Vec::new();
    for &record in records {
        if let Some(why) = record.defect() {
            out.refused.push(record.refuse(why));
            continue;
        }
        let (Some((_, time)), Some(target)) = (record.tagger(), record.target()) else {
            out.refused.push(record.refuse(Invalid::Unreadable(
                "the tag names no tagger or object".into(),
            )));
            continue;
        };
        let tree = match Oid::from_str(target)
            .and_then(|oid| repo.find_commit(oid))
            .and_then(|c| c.tree())
        {
            Ok(t) => t,
            Err(e) => {
                out.refused.push(record.refuse(Invalid::Unreadable(format!(
                    "tagged commit {target}: {}",
                    e.message()
                ))));
                continue;
            }
        };
        let (files, _) = files_at(repo, &tree, &mut configs)?;
        let same: Vec<usize> = (0..out.versions.len())
            .filter(|&i| out.versions[i].files == files)
            .collect();
        let chosen = same
            .iter()
            .rev()
            .find(|&&i| out.versions[i].time <= time)
            .or_else(|| same.first());
        match chosen {
            Some(&i) => by_version[i].push(record),
            None => elsewhere.push(record),
        }
    }
    for list in &mut by_version {
        list.sort_by_key(|r| (r.tagger().map(|t| t.1), r.name.clone()));
    }

    // First approvals, version by version in branch order: each under the
    // configuration in force before it when it was signed.
    let mut later: Vec<(Option<usize>, &TagRecord)> = Vec::new();
    let bootstrap = out.versions.iter().position(|v| v.usable().is_some());
    for (i, records) in by_version.into_iter().enumerate() {
        for record in records {
            if out.versions[i].in_force_since.is_some() {
                later.push((Some(i), record));
                continue;
            }
            let time = record.tagger().map_or(0, |t| t.1);
            let before = out.in_force_before(i, time).map(|(_, v)| v);
            // Nothing in force yet: only the bootstrap can count.
            let not_bootstrap = (before.is_none()
                && judging.anchors.is_empty()
                && Some(i) != bootstrap)
                .then(|| {
                    let first = &out.versions[bootstrap.unwrap_or(0)];
                    format!(
                        "no configuration was in force when it was signed: the first configuration \
                         on the branch (commit {}, {}) must be approved first, against itself",
                        crate::history::short_id(&first.commit),
                        crate::date::Date::from_unix(first.time)
                    )
                });
            let judge = match before {
                Some(v) => v.root.as_ref().ok().cloned(),
                None => out.versions[i].usable().cloned(),
            };
            let Some(judge) = judge else {
                let why = match &out.versions[i].root {
                    Err(e) => format!("this configuration cannot be a trust root: {e}"),
                    Ok(_) => "this configuration names no signer key, so nobody can approve it \
                              against itself"
                        .to_owned(),
                };
                out.refused.push(record.refuse(Invalid::NotAnApproval(why)));
                continue;
            };
            let bootstrapping = before.is_none();
            let version = &out.versions[i];
            let (arrival, authors) = (version.time, version.authors.clone());
            let counted = judge_one(repo, record, &judge, &mut out, judging, |a| {
                if let Some(why) = &not_bootstrap {
                    return Err(NotCounted::Configuration(why.clone()));
                }
                first_approval(a, &judge, arrival, &authors, bootstrapping, judging.anchors)
            })?;
            if let Some(a) = counted {
                let v = &mut out.versions[i];
                v.in_force_since = Some(a.time.max(v.time));
                v.approvals.push(a);
            }
        }
    }
    if !judging.anchors.is_empty() && out.in_force().is_none() {
        out.anchor_failure = Some(format!(
            "no configuration on this branch was approved by a pinned trust anchor ({}): the \
             history may have been rewritten from a new bootstrap, or the anchor is wrong",
            judging.anchors.join(", ")
        ));
    }

    // Reviews and later approvals of versions already in force, and
    // approvals of configurations this branch never held: under whatever
    // was in force when they were signed.
    later.extend(elsewhere.into_iter().map(|r| (None, r)));
    for (index, record) in later {
        let time = record.tagger().map_or(0, |t| t.1);
        let Some(judge) = out
            .in_force_at(time)
            .and_then(|v| v.root.as_ref().ok())
            .cloned()
        else {
            out.refused.push(record.refuse(if out.in_force().is_none() {
                Invalid::NoTrustRoot
            } else {
                Invalid::NoConfigurationAt(time)
            }));
            continue;
        };
        let Some(i) = index else {
            // Not a version of this branch: pending while its commit is
            // elsewhere, never counted once merged without reaching the
            // first-parent line.
            let reachable = record
                .target()
                .and_then(|t| Oid::from_str(t).ok())
                .is_some_and(|c| {
                    c == judging.head || repo.graph_descendant_of(judging.head, c).unwrap_or(false)
                });
            let verdict = judge_one(repo, record, &judge, &mut out, judging, |_| {
                if reachable {
                    Err(NotCounted::Configuration(
                        "the configuration it approves was never on the branch's first-parent \
                             history, so it was never in force"
                            .into(),
                    ))
                } else {
                    Ok(())
                }
            })?;
            if let Some(a) = verdict {
                out.pending.push(a);
            }
            continue;
        };
        let counted = judge_one(repo, record, &judge, &mut out, judging, |a| {
            later_approval(a, &judge)
        })?;
        if let Some(a) = counted {
            out.versions[i].approvals.push(a);
        }
    }
    for v in &mut out.versions {
        v.approvals.sort_by_key(|a| (a.time, a.tag.clone()));
    }
    Ok(out)
}

/// Verifies `record` under `judge` and applies `rule` to the verified
/// approval. Returns the approval when it counts; otherwise records why
/// not in `out`.
fn judge_one(
    repo: &Repository,
    record: &TagRecord,
    judge: &Root,
    out: &mut Chain,
    judging: &Judging<'_>,
    rule: impl FnOnce(&Approval) -> Result<(), NotCounted>,
) -> Result<Option<Approval>, git2::Error> {
    let report = approvals::evaluate(repo, record, &judge.trust)?;
    let approval = match report.outcome {
        Ok(a) => a,
        Err(_) => {
            out.refused.push(report);
            return Ok(None);
        }
    };
    if let Some(why) = judging.voided.check(record, &approval) {
        out.refused.push(record.refuse(why));
        return Ok(None);
    }
    match rule(&approval) {
        Ok(()) => Ok(Some(approval)),
        Err(why) => {
            out.not_counted.push((approval, why));
            Ok(None)
        }
    }
}

/// The first approval of a version: by a role that approves the
/// configuration, after the version existed, not by its author where the
/// configuration judging it requires a distinct approver, and for a
/// bootstrap with pinned anchors, by an anchored key.
fn first_approval(
    a: &Approval,
    judge: &Root,
    arrival: i64,
    authors: &[String],
    bootstrapping: bool,
    anchors: &[String],
) -> Result<(), NotCounted> {
    later_approval(a, judge)?;
    if a.claim.decision == Decision::Reviewed {
        return Err(NotCounted::NothingApproved);
    }
    let arrived = arrival.min(a.commit_time);
    if a.time < arrived {
        return Err(NotCounted::BeforeContent { arrived });
    }
    if judge.config.require_distinct_approver
        && let Some(author) = authors
            .iter()
            .find(|e| e.eq_ignore_ascii_case(&a.signer_email))
    {
        return Err(NotCounted::SelfApproval {
            author: author.clone(),
        });
    }
    if bootstrapping
        && !anchors.is_empty()
        && !anchors
            .iter()
            .any(|f| f.eq_ignore_ascii_case(&a.signature.fingerprint))
    {
        return Err(NotCounted::Configuration(format!(
            "the bootstrap must be signed by a pinned trust anchor, and {} is not one",
            a.signature.fingerprint
        )));
    }
    Ok(())
}

/// Any approval of the configuration: by a role that may approve it under
/// the configuration judging it; never a withdrawal.
fn later_approval(a: &Approval, judge: &Root) -> Result<(), NotCounted> {
    if a.claim.decision == Decision::Withdrawn {
        return Err(NotCounted::Configuration(
            "the configuration cannot be withdrawn".into(),
        ));
    }
    if !judge.configuration_approvers().contains(&a.claim.role) {
        return Err(NotCounted::RoleMayNotApprove {
            role: a.claim.role.clone(),
            kind: Some("configuration".into()),
        });
    }
    Ok(())
}

/// The trust files a commit holds.
pub fn files_of_commit(repo: &Repository, commit: Oid) -> Result<TrustFiles, git2::Error> {
    let tree = repo.find_commit(commit)?.tree()?;
    Ok(files_at(repo, &tree, &mut HashMap::new())?.0)
}
