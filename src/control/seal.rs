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
//! (a seal can refuse approvals, so it needs the highest authority), and
//! when no later seal shows it was itself back-dated.
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

/// Judges the seal tags (`records`, made by the moment described) against
/// the configuration chain: the seals that count, newest first, and the
/// refusals of those that do not.
pub fn judge(
    records: &[&TagRecord],
    chain: &Chain,
) -> Result<(Vec<Seal>, Vec<TagReport>), git2::Error> {
    let revoked = chain.revoked_keys();
    let mut valid = Vec::new();
    let mut refused = Vec::new();
    for &record in records {
        let (Some(content), Some((email, time))) = (record.seal(), record.tagger()) else {
            continue;
        };
        let Some(root) = chain.in_force_at(time).and_then(|v| v.root.as_ref().ok()) else {
            refused.push(record.refuse(Invalid::NoConfigurationAt(time)));
            continue;
        };
        let verified = match record.verify_signature(&root.trust)? {
            Ok(v) => v,
            Err(r) => {
                refused.push(record.refuse(Invalid::Signature(r)));
                continue;
            }
        };
        if revoked::is_revoked(&revoked, &verified.fingerprint) {
            refused.push(record.refuse(Invalid::Revoked {
                fingerprint: verified.fingerprint,
            }));
            continue;
        }
        if !root.trust.holds(email, &content.role) {
            refused.push(record.refuse(Invalid::RoleNotHeld {
                email: email.to_owned(),
                role: content.role.clone(),
            }));
            continue;
        }
        if !root.configuration_approvers().contains(&content.role) {
            refused.push(record.refuse(Invalid::NotAnApproval(format!(
                "a seal must be signed by a role that approves the configuration ({}), not `{}`",
                root.configuration_approvers().join(", "),
                content.role
            ))));
            continue;
        }
        valid.push(Seal {
            name: record.name.clone(),
            id: record.id.clone(),
            time,
            signer: email.to_owned(),
            fingerprint: verified.fingerprint,
            sealed: content.sealed.iter().cloned().collect(),
        });
    }
    // A seal that a later seal does not list, though it claims an earlier
    // time, was back-dated itself.
    valid.sort_by(|a, b| (b.time, &b.name).cmp(&(a.time, &a.name)));
    let mut kept: Vec<Seal> = Vec::new();
    for seal in valid {
        match kept
            .iter()
            .find(|k| k.time > seal.time && !k.sealed.contains(&seal.id))
        {
            Some(k) => refused.push(TagReport {
                outcome: Err(Invalid::BackDated {
                    seal: k.name.clone(),
                    sealed_at: k.time,
                }),
                ..report_of(&seal)
            }),
            None => kept.push(seal),
        }
    }
    Ok((kept, refused))
}

fn report_of(seal: &Seal) -> TagReport {
    TagReport {
        name: seal.name.clone(),
        document: None,
        tagger: Some(seal.signer.clone()),
        time: Some(seal.time),
        role: None,
        commit: None,
        outcome: Err(Invalid::NoTrustRoot),
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
