//! Approval tags read once from `refs/tags/aims/*`, each either a verified
//! approval claim or a refusal with its reason. Nothing is counted that is
//! merely present: lightweight, unsigned, unverifiable, malformed, signed
//! by someone without the role, or approving content the tagged commit does
//! not hold.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use git2::{ObjectType, Repository};

use super::allowed_signers::AllowedSigner;
use super::signature::{self, Rejection, SignatureKind, Verified};
use super::tag::{self, Claim, MalformedTrailers};

/// Who may approve, read from the configuration in force.
#[derive(Clone, Debug, Default)]
pub struct TrustRoot {
    /// Role → member emails.
    pub roles: BTreeMap<String, Vec<String>>,
    pub signers: Vec<AllowedSigner>,
    /// OpenPGP keyring file, when the repository accepts OpenPGP approvals.
    pub keyring: Option<PathBuf>,
}

/// A tag that counts as an approval (subject to the document's kind, which
/// the caller checks against the roles allowed to approve it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    pub tag: String,
    /// The tagged commit.
    pub commit: String,
    pub claim: Claim,
    pub signer_name: String,
    pub signer_email: String,
    /// Tagger time, Unix seconds.
    pub time: i64,
    pub signature: Verified,
}

/// Why a tag under `aims/` is not an approval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invalid {
    Lightweight,
    NotACommit(String),
    Unreadable(String),
    Trailers(MalformedTrailers),
    Signature(Rejection),
    RoleNotHeld {
        email: String,
        role: String,
    },
    PathMissing {
        path: String,
    },
    BlobMismatch {
        path: String,
        claimed: String,
        actual: String,
    },
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Lightweight => write!(f, "a lightweight tag carries no signature or trailers"),
            Invalid::NotACommit(t) => write!(f, "the tag points at a {t}, not a commit"),
            Invalid::Unreadable(e) => write!(f, "the tag object cannot be read: {e}"),
            Invalid::Trailers(e) => write!(f, "{e}"),
            Invalid::Signature(r) => write!(f, "{r}"),
            Invalid::RoleNotHeld { email, role } => {
                write!(f, "{email} does not hold the role `{role}`")
            }
            Invalid::PathMissing { path } => write!(f, "the tagged commit has no file {path}"),
            Invalid::BlobMismatch {
                path,
                claimed,
                actual,
            } => {
                write!(
                    f,
                    "Aims-Blob {claimed} is not the content of {path} in the tagged commit ({actual})"
                )
            }
        }
    }
}

/// The outcome for one tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagReport {
    pub name: String,
    /// The document the tag claims to approve, when that much could be read.
    pub document: Option<String>,
    pub outcome: Result<Approval, Invalid>,
}

/// Reads every tag under `refs/tags/aims/`, in name order.
pub fn scan(repo: &Repository, trust: &TrustRoot) -> Result<Vec<TagReport>, git2::Error> {
    let mut reports = Vec::new();
    for reference in repo.references_glob("refs/tags/aims/*")? {
        let reference = reference?;
        let name = reference
            .name()
            .unwrap_or_default()
            .trim_start_matches("refs/tags/")
            .to_owned();
        let Some(oid) = reference.target() else {
            continue;
        };
        let (document, mut outcome) = evaluate(repo, oid, trust)?;
        if let Ok(approval) = &mut outcome {
            approval.tag = name.clone();
        }
        reports.push(TagReport {
            name,
            document,
            outcome,
        });
    }
    reports.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(reports)
}

type Evaluated = (Option<String>, Result<Approval, Invalid>);

fn evaluate(
    repo: &Repository,
    oid: git2::Oid,
    trust: &TrustRoot,
) -> Result<Evaluated, git2::Error> {
    let object = repo.find_object(oid, None)?;
    if object.kind() != Some(ObjectType::Tag) {
        return Ok((None, Err(Invalid::Lightweight)));
    }
    let odb = repo.odb()?;
    let raw = odb.read(oid)?;
    let split = signature::split(raw.data());
    let parsed = match tag::parse_tag(split.payload) {
        Ok(t) => t,
        Err(e) => return Ok((None, Err(Invalid::Unreadable(e)))),
    };
    let claim = tag::parse_claim(&parsed.message);
    let document = claim.as_ref().ok().map(|c| c.document.clone());
    let fail = |invalid| Ok((document.clone(), Err(invalid)));
    if parsed.target_type != "commit" {
        return fail(Invalid::NotACommit(parsed.target_type.clone()));
    }
    let claim = match claim {
        Ok(c) => c,
        Err(e) => return fail(Invalid::Trailers(e)),
    };
    let verified = match split.signature {
        None => Err(Rejection::Unsigned),
        Some((SignatureKind::Ssh, armored)) => signature::verify_ssh(
            split.payload,
            armored,
            &trust.signers,
            &parsed.tagger_email,
            parsed.time,
        ),
        Some((SignatureKind::OpenPgp, armored)) => match &trust.keyring {
            None => Err(Rejection::UnknownKey {
                fingerprint: "an OpenPGP key (no gpg-keyring configured)".into(),
            }),
            Some(keyring) => {
                super::openpgp::verify(split.payload, armored, keyring, &parsed.tagger_email)
                    .map_err(|e| git2::Error::from_str(&format!("running gpgv: {e}")))?
            }
        },
    };
    let signature = match verified {
        Ok(v) => v,
        Err(r) => return fail(Invalid::Signature(r)),
    };
    let holds = trust.roles.get(&claim.role).is_some_and(|m| {
        m.iter()
            .any(|e| e.eq_ignore_ascii_case(&parsed.tagger_email))
    });
    if !holds {
        return fail(Invalid::RoleNotHeld {
            email: parsed.tagger_email.clone(),
            role: claim.role.clone(),
        });
    }
    // A tag naming an object that is not a readable commit is this tag's
    // defect, not a reason to stop reading the others.
    let tree = match git2::Oid::from_str(&parsed.object)
        .and_then(|oid| repo.find_commit(oid))
        .and_then(|c| c.tree())
    {
        Ok(tree) => tree,
        Err(e) => {
            return fail(Invalid::Unreadable(format!(
                "tagged commit {}: {}",
                parsed.object,
                e.message()
            )));
        }
    };
    let entry = match tree.get_path(Path::new(&claim.path)) {
        Ok(e) => e,
        Err(e) if e.code() == git2::ErrorCode::NotFound => {
            return fail(Invalid::PathMissing {
                path: claim.path.clone(),
            });
        }
        Err(e) => return Err(e),
    };
    let actual = entry.id().to_string();
    if actual != claim.blob {
        return fail(Invalid::BlobMismatch {
            path: claim.path.clone(),
            claimed: claim.blob.clone(),
            actual,
        });
    }
    Ok((
        document,
        Ok(Approval {
            tag: String::new(),
            commit: parsed.object.clone(),
            signer_name: parsed.tagger_name.clone(),
            signer_email: parsed.tagger_email.clone(),
            time: parsed.time,
            claim,
            signature,
        }),
    ))
}
