//! The trust root: who may approve, and with which keys, read from the
//! latest **approved** revision of `aims.toml` and of the files it names
//! (the allowed signers, the OpenPGP keyring). An edit that is not approved
//! grants nothing.
//!
//! An approval of the configuration is a tag like any other, naming the
//! reserved document id `aims.toml`. The tag signs a commit, and that
//! commit fixes the configuration *and* the signer files it approves.
//!
//! Bootstrap: the first configuration approval on the branch's history can
//! only be checked against the configuration it approves (there is nothing
//! before it). Every later one must verify against the configuration in
//! force before it, so nobody can approve their own way into the roles.
//! Candidates are taken in the order their content reached the branch, so a
//! back-dated tag does not jump the chain.

use std::sync::Arc;

use git2::{Oid, Repository};

use crate::config::{self, Config};
use crate::docs::Kind;
use crate::history::approvals::{self, Approval, Invalid, TagRecord, TagReport, TrustRoot};
use crate::history::revisions::Revision;
use crate::history::state::NotCounted;
use crate::history::{allowed_signers, blob_at};

/// The reserved `Aims-Document` of configuration approvals.
pub const CONFIG_ID: &str = "aims.toml";

/// A configuration approval that counts, and what it put in force.
#[derive(Clone, Debug)]
pub struct ApprovedConfig {
    pub approval: Approval,
    pub root: Root,
}

/// A commit's configuration and signer files, read as a trust root.
#[derive(Clone, Debug)]
pub struct Root {
    pub config: Config,
    pub trust: TrustRoot,
    /// Blob ids of the trust files in the approved commit (None: absent).
    pub signers_blob: Option<String>,
    pub keyring_blob: Option<String>,
    /// Holds the approved keyring on disk while it is in use.
    _keyring: Option<Arc<tempfile::TempPath>>,
}

/// The outcome of walking every configuration approval in order.
#[derive(Debug, Default)]
pub struct Chain {
    /// Approvals that counted, in chain order; the last is in force.
    pub approved: Vec<ApprovedConfig>,
    /// Tags that verified but do not count, with the reason.
    pub not_counted: Vec<(Approval, NotCounted)>,
    /// Tags refused outright.
    pub refused: Vec<TagReport>,
}

impl Chain {
    pub fn in_force(&self) -> Option<&ApprovedConfig> {
        self.approved.last()
    }
}

/// Walks the configuration approvals made by `as_of` (Unix seconds).
/// `history` is aims.toml's revisions on the branch, oldest first.
pub fn chain(
    repo: &Repository,
    records: &[&TagRecord],
    history: &[Revision],
    as_of: i64,
) -> Result<Chain, git2::Error> {
    let mut out = Chain::default();
    let mut candidates = Vec::new();
    for record in records {
        let Some((_, time)) = record.tagger() else {
            // Unreadable: refused below whatever the trust root.
            out.refused
                .push(approvals::evaluate(repo, record, &TrustRoot::default())?);
            continue;
        };
        if time > as_of {
            continue;
        }
        let position = record
            .claim()
            .and_then(|c| history.iter().position(|r| r.blob == c.blob));
        candidates.push((position, time, *record));
    }
    // Content that never reached the branch sorts last; it cannot count.
    candidates.sort_by_key(|(position, time, record)| {
        (position.is_none(), *position, *time, record.name.clone())
    });
    for (position, _, record) in candidates {
        let Some(commit) = record.target().and_then(|t| Oid::from_str(t).ok()) else {
            out.refused
                .push(approvals::evaluate(repo, record, &TrustRoot::default())?);
            continue;
        };
        let own = match root_at(repo, commit)? {
            Ok(own) => own,
            Err(why) => {
                out.refused.push(record.refuse(Invalid::Unreadable(why)));
                continue;
            }
        };
        let verifier = out.in_force().map_or(&own, |a| &a.root);
        let report = approvals::evaluate(repo, record, &verifier.trust)?;
        let approval = match report.outcome {
            Ok(a) => a,
            Err(_) => {
                out.refused.push(report);
                continue;
            }
        };
        let approvers = &verifier.config.kind_policy(Kind::Policy).approvers;
        if !approvers.contains(&approval.claim.role) {
            let role = approval.claim.role.clone();
            out.not_counted
                .push((approval, NotCounted::RoleMayNotApprove { role }));
            continue;
        }
        let Some(introduced) = position.map(|i| &history[i]) else {
            out.not_counted.push((approval, NotCounted::UnknownContent));
            continue;
        };
        if verifier.config.require_distinct_approver
            && introduced
                .author_email
                .eq_ignore_ascii_case(&approval.signer_email)
        {
            let author = introduced.author_email.clone();
            out.not_counted
                .push((approval, NotCounted::SelfApproval { author }));
            continue;
        }
        out.approved.push(ApprovedConfig {
            approval,
            root: own,
        });
    }
    Ok(out)
}

/// The configuration and trust files as a commit holds them. The outer
/// error is git failing; the inner one says why this commit's configuration
/// cannot serve as a trust root.
pub fn root_at(repo: &Repository, commit: Oid) -> Result<Result<Root, String>, git2::Error> {
    let tree = match repo.find_commit(commit).and_then(|c| c.tree()) {
        Ok(t) => t,
        Err(e) => return Ok(Err(format!("tagged commit {commit}: {}", e.message()))),
    };
    let Some((_, text)) = blob_at(repo, &tree, config::FILE_NAME)? else {
        return Ok(Err(format!(
            "the tagged commit has no {}",
            config::FILE_NAME
        )));
    };
    let Ok(text) = String::from_utf8(text) else {
        return Ok(Err(format!(
            "{} in the tagged commit is not UTF-8",
            config::FILE_NAME
        )));
    };
    let config = match Config::parse(&text) {
        Ok(c) => c,
        Err(e) => {
            return Ok(Err(format!(
                "{} in the tagged commit is invalid: {e}",
                config::FILE_NAME
            )));
        }
    };
    let signers = blob_at(repo, &tree, &config.allowed_signers)?;
    let (signer_list, _errors) = match &signers {
        // Lines that do not parse allow nothing; `aims check` reports them
        // for the working tree's file.
        Some((_, bytes)) => allowed_signers::parse(&String::from_utf8_lossy(bytes)),
        None => (Vec::new(), Vec::new()),
    };
    let mut keyring_file = None;
    let mut keyring_blob = None;
    if let Some(path) = &config.gpg_keyring
        && let Some((id, bytes)) = blob_at(repo, &tree, path)?
    {
        let file = write_temp(&bytes)
            .map_err(|e| git2::Error::from_str(&format!("writing the keyring: {e}")))?;
        keyring_file = Some(Arc::new(file));
        keyring_blob = Some(id.to_string());
    }
    let trust = TrustRoot {
        roles: config.roles.clone(),
        signers: signer_list,
        keyring: keyring_file.as_ref().map(|f| f.to_path_buf()),
    };
    Ok(Ok(Root {
        config,
        trust,
        signers_blob: signers.map(|(id, _)| id.to_string()),
        keyring_blob,
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
