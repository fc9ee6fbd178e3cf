//! Seals against back-dating. A tagger chooses the time a tag claims; a
//! key that was valid once (or that its holder kept after leaving) can sign
//! a tag that claims a time inside its validity. A seal is a signed tag
//! (`Aims-Decision: sealed`) listing every tag object under
//! `refs/tags/aims/` that exists when it is made. Once it is signed, a tag
//! that claims a time before the seal but is not in its list was made after
//! the seal: it is refused as back-dated, naming the seal. A tag the seal
//! lists cannot claim a time after it either.
//!
//! A seal counts when its signature verifies under the configuration in
//! force at its time, by a member of a role that approves the configuration
//! (a seal can refuse approvals, so it needs the highest authority), **and**
//! its signer still holds such a role, with a key that is valid and not
//! revoked, under the configuration in force at the moment described. A
//! leaver's seal, back-dated into their old validity, therefore counts for
//! nothing. Seals do not refuse one another: each counting seal refuses
//! only the tags it should have listed and did not.
//!
//! What a seal cannot do: catch back-dating before the first seal, or
//! between the last seal and now. `aims approve aims.toml` seals every
//! time; `aims seal` (for a schedule) seals on demand.

use std::collections::{HashMap, HashSet};

use crate::date::Date;
use crate::history::approvals::{Invalid, TagRecord, TagReport};
use crate::history::revoked;

use super::trust::Chain;

/// Clock skew allowed between the machines that sign tags and seals, and
/// between a signer's clock and now (seconds).
pub const TOLERANCE: i64 = 3600;

/// A seal that counts.
#[derive(Clone, Debug)]
pub struct Seal {
    pub name: String,
    /// Its tag object id.
    pub id: String,
    pub time: i64,
    pub signer: String,
    pub fingerprint: String,
    pub sealed: HashSet<String>,
}

/// Judges the seal tags (`records`, made by the moment described, `now`)
/// against the configuration chain: the seals that count, and the
/// refusals of those that do not.
pub fn judge(
    records: &[&TagRecord],
    chain: &Chain,
    now: i64,
) -> Result<(Vec<Seal>, Vec<TagReport>), git2::Error> {
    let mut valid = Vec::new();
    let mut refused = Vec::new();
    for &record in records {
        match check(record, chain, now)? {
            Some(Ok(seal)) => valid.push(seal),
            Some(Err(report)) => refused.push(report),
            None => {}
        }
    }
    valid.sort_by(|a, b| (b.time, &b.name).cmp(&(a.time, &a.name)));
    Ok((valid, refused))
}

/// One seal judged against `chain`: None when the tag is not a seal.
pub fn check(
    record: &TagRecord,
    chain: &Chain,
    now: i64,
) -> Result<Option<Result<Seal, TagReport>>, git2::Error> {
    let (Some(content), Some((email, time))) = (record.seal(), record.tagger()) else {
        return Ok(None);
    };
    let refuse = |why| Ok(Some(Err(record.refuse(why))));
    let Some(root) = chain.in_force_at(time).and_then(|v| v.root.as_ref().ok()) else {
        return refuse(Invalid::NoConfigurationAt(time));
    };
    let verified = match record.verify_signature(&root.trust)? {
        Ok(v) => v,
        Err(r) => return refuse(Invalid::Signature(r)),
    };
    if revoked::is_revoked(&chain.revoked_keys(), &verified.fingerprint) {
        return refuse(Invalid::Revoked {
            fingerprint: verified.fingerprint,
        });
    }
    let approver = |r: &super::trust::Root| {
        r.trust.holds(email, &content.role) && r.configuration_approvers().contains(&content.role)
    };
    if !approver(root) {
        return refuse(Invalid::NotAnApproval(format!(
            "a seal must be signed by a role that approves the configuration ({}), and {email} \
             did not sign as one",
            root.configuration_approvers().join(", ")
        )));
    }
    // Trusted now: the same signer, the same key, still allowed.
    let current = chain.in_force().and_then(|v| v.root.as_ref().ok());
    let now_ok = match current {
        Some(c) if approver(c) => record
            .verify_signature_at(&c.trust, now)?
            .is_ok_and(|v| v.fingerprint == verified.fingerprint),
        _ => false,
    };
    if !now_ok {
        return refuse(Invalid::NotAnApproval(format!(
            "{email} no longer approves the configuration with this key, so the seal (dated {}) \
             cannot be trusted as a witness",
            Date::from_unix(time)
        )));
    }
    Ok(Some(Ok(Seal {
        name: record.name.clone(),
        id: record.id.clone(),
        time,
        signer: email.to_owned(),
        fingerprint: verified.fingerprint,
        sealed: content.sealed.iter().cloned().collect(),
    })))
}

/// Tag object id → why a seal shows the tag was back-dated.
pub type Voids = HashMap<String, Invalid>;

/// What settling the seals leaves: the chain, the seals that count, the
/// refusals of the others, and the tags they void.
pub type Settled = (Chain, Vec<Seal>, Vec<TagReport>, Voids);

/// The seals that count, with the chain they leave and the tags they
/// void. Each seal is first judged on its own premise (the chain without
/// the tags it says were back-dated), so that a back-dated tag cannot
/// disarm the seal that exposes it (by revoking its signer's key, or by
/// granting a role). The premise-valid seals' voids are then applied
/// together, and any seal not valid under the result is dropped, until
/// nothing changes.
pub fn settle(
    records: &[&TagRecord],
    all: &[&TagRecord],
    now: i64,
    chain_with: &dyn Fn(&Voids) -> Result<Chain, git2::Error>,
) -> Result<Settled, git2::Error> {
    let mut candidates = Vec::new();
    let mut refused = Vec::new();
    for &record in records {
        let Some(content) = record.seal() else {
            continue;
        };
        let Some((_, time)) = record.tagger() else {
            continue;
        };
        // What this seal says was back-dated, were it honest.
        let probe = Seal {
            name: record.name.clone(),
            id: record.id.clone(),
            time,
            signer: String::new(),
            fingerprint: String::new(),
            sealed: content.sealed.iter().cloned().collect(),
        };
        let premise = chain_with(&voided(all, std::slice::from_ref(&probe)))?;
        match check(record, &premise, now)? {
            Some(Ok(seal)) => candidates.push((record, seal)),
            Some(Err(report)) => refused.push(report),
            None => {}
        }
    }
    loop {
        let seals: Vec<Seal> = candidates.iter().map(|(_, s)| s.clone()).collect();
        let voids = voided(all, &seals);
        let chain = chain_with(&voids)?;
        let mut kept = Vec::new();
        let mut dropped = false;
        for (record, seal) in std::mem::take(&mut candidates) {
            match check(record, &chain, now)? {
                Some(Ok(_)) => kept.push((record, seal)),
                Some(Err(report)) => {
                    refused.push(report);
                    dropped = true;
                }
                None => {}
            }
        }
        candidates = kept;
        if !dropped {
            let mut seals: Vec<Seal> = candidates.into_iter().map(|(_, s)| s).collect();
            seals.sort_by(|a, b| (b.time, &b.name).cmp(&(a.time, &a.name)));
            return Ok((chain, seals, refused, voids));
        }
    }
}

/// The tags (by object id) the seals show to be back-dated or
/// future-dated, with the reason: for each tag, the earliest seal after
/// the time it claims that does not list it, or a seal that lists it
/// although it claims a later time.
pub fn voided(records: &[&TagRecord], seals: &[Seal]) -> HashMap<String, Invalid> {
    let mut by_time: Vec<&Seal> = seals.iter().collect();
    by_time.sort_by_key(|s| (s.time, s.name.clone()));
    let mut out = HashMap::new();
    for record in records {
        let Some((_, time)) = record.tagger() else {
            continue;
        };
        if record.seal().is_some() {
            continue; // seals do not refuse one another
        }
        for seal in by_time.iter().filter(|s| s.id != record.id) {
            let listed = seal.sealed.contains(&record.id);
            if time < seal.time && !listed {
                out.insert(
                    record.id.clone(),
                    Invalid::BackDated {
                        seal: seal.name.clone(),
                        sealed_at: seal.time,
                    },
                );
                break;
            }
            if listed && time > seal.time + TOLERANCE {
                out.insert(
                    record.id.clone(),
                    Invalid::FutureDated {
                        limit: format!(
                            "seal {} ({}), which lists it",
                            seal.name,
                            Date::from_unix(seal.time)
                        ),
                    },
                );
                break;
            }
        }
    }
    out
}
