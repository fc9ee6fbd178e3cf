//! The trust root: who may approve, and with which keys. A configuration
//! version is the set of trust files — `aims.toml`, the allowed signers, the
//! OpenPGP keyring and the revocation list it names — as it appears on the
//! checked branch's **first-parent** history.
//!
//! An approval of the configuration is a tag naming the reserved document id
//! `aims.toml`. It counts only for files that are a version of the branch
//! (its tagged commit holds exactly those files), so nobody can approve a
//! configuration of their own making that the branch never held.
//!
//! Bootstrap: the first version on the branch that names any signer key is
//! approved against itself (with pinned trust anchors: any version, approved
//! against itself by an anchored key). When the branch's history has more
//! than one first commit carrying a configuration (an unrelated history
//! merged in), the bootstrap is ambiguous and only anchors settle it.
//!
//! After that, configuration approvals are events in the order of their
//! signed times, each judged by the configuration in force just before it;
//! the configuration in force at a moment is the one approved last before
//! it. Commit dates and the shape of the first-parent line (which any
//! pusher can bend with a merge) never decide what is in force. A version
//! the branch returns to (a revert) needs approving again.
//!
//! Rules are not retroactive: a document approval is judged by the
//! configuration in force at its signature time ([`Chain::in_force_at`]). A
//! key on the revocation list of an approved configuration can approve no
//! configuration from then on, and every document approval, sign-off and
//! seal it made is void; configuration approvals it made before stand, so
//! the trust root does not collapse. That is for compromise, not for people
//! who leave.

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
}

impl Version {
    fn usable(&self) -> Option<&Root> {
        self.root.as_ref().ok().filter(|r| r.names_a_key())
    }
}

/// A configuration approval (or review) that counts: at its signed time,
/// of the files of `version` (the first version of the branch with them).
#[derive(Clone, Debug)]
pub struct Event {
    pub version: usize,
    pub approval: Approval,
}

/// The configuration chain of a branch, as of a moment.
#[derive(Debug, Default)]
pub struct Chain {
    /// Every version on the branch, oldest first.
    pub versions: Vec<Version>,
    /// Approvals that count, in the order of their signed times.
    pub events: Vec<Event>,
    /// Tags that verified but do not count, with the reason.
    pub not_counted: Vec<(Approval, NotCounted)>,
    /// Tags refused outright.
    pub refused: Vec<TagReport>,
    /// Verified approvals of a configuration not (yet) on this branch.
    pub pending: Vec<Approval>,
    /// Trust anchors were pinned and no version was approved by one of them.
    pub anchor_failure: Option<String>,
    /// Why no bootstrap could be chosen, when none could.
    pub ambiguity: Option<String>,
}

/// What earlier passes found about tags: back-dated ones (by tag object
/// id), and the keys any approved configuration revokes.
#[derive(Debug, Default, PartialEq)]
pub struct Voided {
    pub tags: HashMap<String, Invalid>,
    pub keys: Vec<String>,
}

impl Voided {
    /// Why `approval` (from `record`) is void, if it is: its tag was
    /// back-dated or its key revoked.
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
    /// The event that put the configuration in force at `time`: the last
    /// approval (not review) signed at or before it.
    fn event_at(&self, time: i64) -> Option<&Event> {
        self.events
            .iter()
            .rev()
            .filter(|e| e.approval.claim.decision == Decision::Approved)
            .find(|e| e.approval.time <= time)
    }

    /// The version in force at `time` (Unix seconds).
    pub fn in_force_at(&self, time: i64) -> Option<&Version> {
        self.event_at(time).map(|e| &self.versions[e.version])
    }

    /// The version in force at the moment described.
    pub fn in_force(&self) -> Option<&Version> {
        self.event_at(i64::MAX).map(|e| &self.versions[e.version])
    }

    /// The index of the version in force at the moment described.
    pub fn in_force_index(&self) -> Option<usize> {
        self.event_at(i64::MAX).map(|e| e.version)
    }

    /// The configuration in force, with the approval that put it there.
    pub fn approved(&self) -> Option<ApprovedConfig> {
        let e = self.event_at(i64::MAX)?;
        Some(ApprovedConfig {
            approval: e.approval.clone(),
            root: self.versions[e.version].root.as_ref().ok()?.clone(),
        })
    }

    /// Every key an approved configuration revokes.
    pub fn revoked_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .events
            .iter()
            .filter_map(|e| self.versions[e.version].root.as_ref().ok())
            .flat_map(|r| r.revoked.iter().cloned())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// The approved configurations' numbers, by version of the branch:
    /// `vN` for the Nth distinct files approved (in time order).
    pub fn numbers(&self) -> Vec<Option<u32>> {
        let mut order: Vec<&TrustFiles> = Vec::new();
        for e in &self.events {
            let files = &self.versions[e.version].files;
            if !order.contains(&files) {
                order.push(files);
            }
        }
        self.versions
            .iter()
            .map(|v| {
                order
                    .iter()
                    .position(|f| **f == v.files)
                    .map(|i| i as u32 + 1)
            })
            .collect()
    }

    /// The number of the version in force (see [`Chain::numbers`]).
    pub fn number_in_force(&self) -> Option<u32> {
        self.in_force_index()
            .and_then(|i| self.numbers().get(i).copied().flatten())
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
    versions_at(repo, head, history, None, None)
}

/// [`versions`], looking only at `points` (oldest first) when given: the
/// first-parent commits where the trust files may have changed, a superset
/// of where they did (as the cache records them), instead of every
/// first-parent commit. Points found by the walk (`history::revisions::
/// Lineage`) cover changes under the top-level entries `covered` only: a
/// configuration whose trust files lie elsewhere sends the reading back to
/// every first-parent commit.
pub fn versions_at(
    repo: &Repository,
    head: Oid,
    history: &BTreeMap<String, Vec<Revision>>,
    points: Option<&[Oid]>,
    covered: Option<&[String]>,
) -> Result<Vec<Version>, git2::Error> {
    let line: Vec<Oid> = match points {
        Some(p) => p.iter().rev().copied().collect(),
        None => {
            let mut line = Vec::new();
            let mut commit = repo.find_commit(head)?;
            loop {
                line.push(commit.id());
                if commit.parent_count() == 0 {
                    break;
                }
                commit = commit.parent(0)?;
            }
            line
        }
    };
    let mut roots: HashMap<TrustFiles, Result<Root, String>> = HashMap::new();
    let mut out: Vec<Version> = Vec::new();
    let mut configs: HashMap<Oid, Option<[String; 3]>> = HashMap::new();
    // The top-level entries the trust files live under, as the last
    // commit had them: where none changed, neither did the files, and the
    // commit is passed over without a path lookup.
    let mut tops: Vec<String> = vec![config::FILE_NAME.to_owned()];
    let mut last_tops: Option<Vec<Option<Oid>>> = None;
    for oid in line.into_iter().rev() {
        let commit = repo.find_commit(oid)?;
        let tree = commit.tree()?;
        let now_tops: Vec<Option<Oid>> = tops
            .iter()
            .map(|t| tree.get_name(t).map(|e| e.id()))
            .collect();
        if last_tops.as_ref() == Some(&now_tops) {
            continue;
        }
        let (files, paths) = files_at(repo, &tree, &mut configs)?;
        tops = std::iter::once(config::FILE_NAME)
            .chain(
                paths
                    .iter()
                    .map(|p| p.split('/').next().unwrap_or_default()),
            )
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect();
        if let Some(covered) = covered
            && tops.iter().any(|t| !covered.contains(t))
        {
            return versions_at(repo, head, history, None, None);
        }
        last_tops = Some(
            tops.iter()
                .map(|t| tree.get_name(t).map(|e| e.id()))
                .collect(),
        );
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
            authors.push(first.map_or_else(|| author.clone(), |t| t.to_string()));
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
        });
    }
    Ok(out)
}

/// The trust files of a tree, and their paths (signers, keyring,
/// revocation list; empty when the configuration names none).
fn files_at(
    repo: &Repository,
    tree: &git2::Tree<'_>,
    configs: &mut HashMap<Oid, Option<[String; 3]>>,
) -> Result<(TrustFiles, [String; 3]), git2::Error> {
    let mut files = TrustFiles::default();
    let Some(entry) = tree
        .get_name(config::FILE_NAME)
        .filter(|e| e.kind() == Some(git2::ObjectType::Blob))
    else {
        return Ok((files, Default::default()));
    };
    files.config = Some(entry.id().to_string());
    // Only the configuration's three trust paths matter here: they are
    // kept per configuration blob, not the whole parsed configuration.
    let paths = match configs.get(&entry.id()) {
        Some(p) => p.clone(),
        None => {
            let blob = repo.find_blob(entry.id())?;
            let paths = std::str::from_utf8(blob.content())
                .ok()
                .and_then(|t| Config::parse(t).ok())
                .map(|c| {
                    [
                        c.allowed_signers.clone(),
                        c.gpg_keyring.clone().unwrap_or_default(),
                        c.revoked_keys.clone().unwrap_or_default(),
                    ]
                });
            configs.insert(entry.id(), paths.clone());
            paths
        }
    };
    let Some(paths) = paths else {
        return Ok((files, Default::default()));
    };
    let id = |path: &str| -> Result<Option<String>, git2::Error> {
        if path.is_empty() {
            return Ok(None);
        }
        Ok(crate::history::blob_id_at(tree, path)?.map(|id| id.to_string()))
    };
    files.signers = id(&paths[0])?;
    files.keyring = id(&paths[1])?;
    files.revoked = id(&paths[2])?;
    Ok((files, paths))
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
    let path = file.into_temp_path();
    WRITTEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(path.to_path_buf());
    Ok(path)
}

/// The keyring files this process wrote. Each is removed when the last root
/// holding it is dropped; a command that leaves its register to the end of
/// the process ([`crate::commands::ends_with_process`]) never drops it, so
/// it removes them all with [`remove_written_keyrings`].
static WRITTEN: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Removes every keyring file this process wrote: for the end of a command,
/// when no signature is left to verify.
pub fn remove_written_keyrings() {
    let mut written = WRITTEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    for path in written.drain(..) {
        let _ = std::fs::remove_file(path); // gone already where a root was dropped
    }
}

/// How the chain is judged: the branch head, the pinned anchors (key
/// fingerprints), how many first commits of the history carry a
/// configuration, and the tags seals showed to be back-dated.
pub struct Judging<'a> {
    pub head: Oid,
    pub anchors: &'a [String],
    pub roots_with_config: usize,
    pub voided: &'a HashMap<String, Invalid>,
}

/// Judges every configuration approval (`records`, made by the moment
/// described) against the branch's `versions`.
pub fn chain(
    repo: &Repository,
    versions: Vec<Version>,
    records: &[&TagRecord],
    judging: &Judging<'_>,
) -> Result<Chain, git2::Error> {
    let mut out = Chain {
        versions,
        ..Chain::default()
    };
    // The bootstrap: the first version naming a key, unless the history
    // has several beginnings; anchors choose among any.
    let first_usable = out.versions.iter().position(|v| v.usable().is_some());
    let bootstrap = if judging.anchors.is_empty() && judging.roots_with_config > 1 {
        out.ambiguity = Some(format!(
            "the branch's history has {} first commits that carry a configuration (an unrelated \
             history was merged in), so which configuration was approved first is ambiguous; pin \
             the keys of the real first approval with --trust-anchor",
            judging.roots_with_config
        ));
        None
    } else {
        first_usable
    };

    let mut configs = HashMap::new();
    let mut timed: Vec<(i64, &TagRecord, TrustFiles)> = Vec::new();
    for &record in records {
        if let Some(why) = judging.voided.get(&record.id) {
            out.refused.push(record.refuse(why.clone()));
            continue;
        }
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
        timed.push((time, record, files));
    }
    timed.sort_by(|a, b| (a.0, &a.1.name).cmp(&(b.0, &b.1.name)));

    // Keys revoked so far: an approved revocation stops a key approving
    // any configuration after it.
    let mut revoked_so_far: Vec<String> = Vec::new();
    let mut elsewhere: Vec<&TagRecord> = Vec::new();
    for (time, record, files) in timed {
        let matching: Vec<usize> = (0..out.versions.len())
            .filter(|&i| out.versions[i].files == files)
            .collect();
        let Some(&version) = matching.first() else {
            elsewhere.push(record);
            continue;
        };
        let before = out
            .in_force_at(time)
            .and_then(|v| v.root.as_ref().ok())
            .cloned();
        let (judge, bootstrapping) = match before {
            Some(root) => (root, false),
            None => {
                let own = out.versions[version].usable().cloned();
                let allowed = match (&own, judging.anchors.is_empty()) {
                    (None, _) => Err(match &out.versions[version].root {
                        Err(e) => format!("this configuration cannot be a trust root: {e}"),
                        Ok(_) => "this configuration names no signer key, so nobody can approve \
                                  it against itself"
                            .to_owned(),
                    }),
                    (Some(_), true) if bootstrap.is_none() => Err(out
                        .ambiguity
                        .clone()
                        .unwrap_or_else(|| "no configuration on the branch names a key".into())),
                    (Some(_), true) if Some(version) != bootstrap => {
                        let first = &out.versions[bootstrap.unwrap_or(0)];
                        Err(format!(
                            "no configuration was in force when it was signed: the first \
                             configuration on the branch (commit {}, {}) must be approved first, \
                             against itself",
                            crate::history::short_id(&first.commit),
                            crate::date::Date::from_unix(first.time)
                        ))
                    }
                    (Some(root), _) => Ok(root.clone()),
                };
                match allowed {
                    Ok(root) => (root, true),
                    Err(why) => {
                        // Verified against its own files, so the refusal
                        // says what a signature problem would say first.
                        match out.versions[version].root.as_ref().ok().cloned() {
                            Some(own) => {
                                judge_one(repo, record, &own, &mut out, &revoked_so_far, |_| {
                                    Err(NotCounted::Configuration(why.clone()))
                                })?;
                            }
                            None => out.refused.push(record.refuse(Invalid::NotAnApproval(why))),
                        }
                        continue;
                    }
                }
            }
        };
        let arrival = matching
            .iter()
            .map(|&i| out.versions[i].time)
            .min()
            .unwrap_or(i64::MAX);
        let mut authors: Vec<String> = matching
            .iter()
            .flat_map(|&i| out.versions[i].authors.iter().cloned())
            .collect();
        authors.dedup();
        let in_force_files = out.in_force_at(time).map(|v| v.files.clone());
        let counted = judge_one(repo, record, &judge, &mut out, &revoked_so_far, |a| {
            later_approval(a, &judge)?;
            if a.claim.decision == Decision::Reviewed && in_force_files.as_ref() != Some(&files) {
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
                && !judging.anchors.is_empty()
                && !judging
                    .anchors
                    .iter()
                    .any(|f| same_fingerprint(f, &a.signature.fingerprint))
            {
                return Err(NotCounted::Configuration(format!(
                    "the bootstrap must be signed by a pinned trust anchor, and {} is not one",
                    a.signature.fingerprint
                )));
            }
            Ok(())
        })?;
        if let Some(a) = counted {
            if a.claim.decision == Decision::Approved
                && let Ok(root) = &out.versions[version].root
            {
                revoked_so_far.extend(root.revoked.iter().cloned());
            }
            out.events.push(Event {
                version,
                approval: a,
            });
        }
    }
    if !judging.anchors.is_empty() && out.in_force().is_none() {
        out.anchor_failure = Some(format!(
            "no configuration on this branch was approved by a pinned trust anchor ({}): the \
             history may have been rewritten from a new bootstrap, or the anchor is wrong",
            judging.anchors.join(", ")
        ));
    }

    // Approvals of configurations this branch never held: pending while
    // their commit is elsewhere, never counted once merged without the
    // files reaching the first-parent line.
    for record in elsewhere {
        let time = record.tagger().map_or(0, |t| t.1);
        let Some(judge) = out
            .in_force_at(time)
            .and_then(|v| v.root.as_ref().ok())
            .cloned()
        else {
            out.refused.push(record.refuse(if out.events.is_empty() {
                Invalid::NoTrustRoot
            } else {
                Invalid::NoConfigurationAt(time)
            }));
            continue;
        };
        let reachable = record
            .target()
            .and_then(|t| Oid::from_str(t).ok())
            .is_some_and(|c| {
                c == judging.head || repo.graph_descendant_of(judging.head, c).unwrap_or(false)
            });
        let verdict = judge_one(repo, record, &judge, &mut out, &revoked_so_far, |a| {
            later_approval(a, &judge)?;
            if a.claim.decision != Decision::Approved {
                return Err(NotCounted::NothingApproved);
            }
            if reachable {
                return Err(NotCounted::Configuration(
                    "the configuration it approves was never on the branch's first-parent \
                     history, so it was never in force"
                        .into(),
                ));
            }
            Ok(())
        })?;
        if let Some(a) = verdict {
            out.pending.push(a);
        }
    }
    Ok(out)
}

/// Whether two key fingerprints are the same key: SHA256 fingerprints
/// (base64) exactly, OpenPGP ones (hex) in any case.
pub fn same_fingerprint(a: &str, b: &str) -> bool {
    if a.starts_with("SHA256:") || b.starts_with("SHA256:") {
        a == b
    } else {
        a.eq_ignore_ascii_case(b)
    }
}

/// Verifies `record` under `judge` and applies `rule` to the verified
/// approval. Returns the approval when it counts; otherwise records why
/// not in `out`.
fn judge_one(
    repo: &Repository,
    record: &TagRecord,
    judge: &Root,
    out: &mut Chain,
    revoked_keys: &[String],
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
    if revoked::is_revoked(revoked_keys, &approval.signature.fingerprint) {
        out.refused.push(record.refuse(Invalid::Revoked {
            fingerprint: approval.signature.fingerprint.clone(),
        }));
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
