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
use super::tag::{self, Claim, Decision, MalformedTrailers, Seal, Statement};

/// Who may approve, read from the configuration in force.
#[derive(Clone, Debug, Default)]
pub struct TrustRoot {
    /// Role → member emails.
    pub roles: BTreeMap<String, Vec<String>>,
    pub signers: Vec<AllowedSigner>,
    /// OpenPGP keyring file, when the repository accepts OpenPGP approvals.
    pub keyring: Option<PathBuf>,
}

impl TrustRoot {
    /// Whether `email` is a member of `role`.
    pub fn holds(&self, email: &str, role: &str) -> bool {
        self.roles
            .get(role)
            .is_some_and(|m| m.iter().any(|e| e.eq_ignore_ascii_case(email)))
    }
}

/// A tag that counts as an approval (subject to the document's kind, which
/// the caller checks against the roles allowed to approve it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    pub tag: String,
    /// The tagged commit.
    pub commit: String,
    /// The tagged commit's committer time, Unix seconds.
    pub commit_time: i64,
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
    /// No controlled document carries the id the tag approves.
    UnknownDocument(String),
    /// No approved configuration names the keys and roles to check against.
    NoTrustRoot,
    /// No approved configuration was in force at the tag's time.
    NoConfigurationAt(i64),
    /// Signed by a key on the revocation list of an approved configuration.
    Revoked {
        fingerprint: String,
    },
    /// Claims a time before a seal that does not list it.
    BackDated {
        seal: String,
        sealed_at: i64,
    },
    /// Claims a time after a seal that lists it, or after now.
    FutureDated {
        limit: String,
    },
    /// A withdrawal whose tagged commit still holds the document.
    StillPresent {
        path: String,
    },
    /// Not an approval here, for the reason given.
    NotAnApproval(String),
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
            Invalid::UnknownDocument(id) => write!(f, "no controlled document has the id {id}"),
            Invalid::NoTrustRoot => write!(
                f,
                "no approved aims.toml names the signers and roles to verify it against"
            ),
            Invalid::NoConfigurationAt(t) => write!(
                f,
                "no approved configuration was in force when it was signed ({})",
                crate::date::Date::from_unix(*t)
            ),
            Invalid::Revoked { fingerprint } => write!(
                f,
                "signed by {fingerprint}, a key an approved configuration revokes (its revocation \
                 list, or its OpenPGP keyring): everything it signed is void"
            ),
            Invalid::BackDated { seal, sealed_at } => write!(
                f,
                "it claims a time before seal {seal} ({}), which does not list it: it was made \
                 after the seal and back-dated",
                crate::date::Date::from_unix(*sealed_at)
            ),
            Invalid::FutureDated { limit } => {
                write!(
                    f,
                    "it claims a time after {limit}: it is dated in the future"
                )
            }
            Invalid::StillPresent { path } => write!(
                f,
                "a withdrawal must tag a commit without the document, but {path} still holds it there"
            ),
            Invalid::NotAnApproval(what) => write!(f, "{what}"),
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
    /// What the tag says of itself, as far as it could be read: tagger
    /// email, tagger time, claimed role, tagged commit.
    pub tagger: Option<String>,
    pub time: Option<i64>,
    pub role: Option<String>,
    pub commit: Option<String>,
    pub outcome: Result<Approval, Invalid>,
}

/// A tag under `aims/`, read and parsed once, not yet judged.
#[derive(Clone, Debug)]
pub struct TagRecord {
    pub name: String,
    /// The id of the object the ref names: the tag object (what seals list).
    pub id: String,
    /// The tag object as stored, or why it is not an approval claim at all.
    parsed: Result<Parsed, Invalid>,
}

#[derive(Clone, Debug)]
struct Parsed {
    raw: Vec<u8>,
    payload_len: usize,
    signature: Option<SignatureKind>,
    tag: tag::TagObject,
    statement: Result<Statement, MalformedTrailers>,
}

impl TagRecord {
    /// The document the tag claims to approve, when its trailers name one.
    pub fn document(&self) -> Option<&str> {
        self.claim().map(|c| c.document.as_str())
    }

    /// The claim, when the trailers form one.
    pub fn claim(&self) -> Option<&Claim> {
        match self.parsed.as_ref().ok()?.statement.as_ref().ok()? {
            Statement::Claim(c) => Some(c),
            Statement::Seal(_) => None,
        }
    }

    /// The seal, when the tag is one.
    pub fn seal(&self) -> Option<&Seal> {
        match self.parsed.as_ref().ok()?.statement.as_ref().ok()? {
            Statement::Seal(s) => Some(s),
            Statement::Claim(_) => None,
        }
    }

    /// The tagger's email and time, when the tag object could be read.
    pub fn tagger(&self) -> Option<(&str, i64)> {
        let p = self.parsed.as_ref().ok()?;
        Some((p.tag.tagger_email.as_str(), p.tag.time))
    }

    /// The tagged object's id, as the tag names it.
    pub fn target(&self) -> Option<&str> {
        Some(self.parsed.as_ref().ok()?.tag.object.as_str())
    }

    /// The raw tag object, signature included (what `git cat-file tag`
    /// prints), for re-verification by hand.
    pub fn raw(&self) -> Option<&[u8]> {
        Some(&self.parsed.as_ref().ok()?.raw)
    }

    /// A report that refuses this tag for `invalid`, whatever it claims.
    pub fn refuse(&self, invalid: Invalid) -> TagReport {
        TagReport {
            outcome: Err(invalid),
            ..self.report()
        }
    }

    fn report(&self) -> TagReport {
        let parsed = self.parsed.as_ref().ok();
        TagReport {
            name: self.name.clone(),
            document: self.document().map(str::to_owned),
            tagger: parsed.map(|p| p.tag.tagger_email.clone()),
            time: parsed.map(|p| p.tag.time),
            role: self.claim().map(|c| c.role.clone()),
            commit: parsed.map(|p| p.tag.object.clone()),
            outcome: Err(Invalid::NoTrustRoot),
        }
    }
}

/// Reads every tag under `refs/tags/aims/`, in name order, once.
pub fn read(repo: &Repository) -> Result<Vec<TagRecord>, git2::Error> {
    read_where(repo, None)
}

/// [`read`], for the approvals of the documents `ids` only, with those of
/// the configuration, seals, and tags that claim nothing (refused in any
/// case): a tag known to claim another document (from the cache of what
/// each tag object claims, `history::cache::Claims`) is not read at all,
/// so the pre-commit gate's cost follows the staged documents.
pub fn read_for(
    repo: &Repository,
    ids: &std::collections::BTreeSet<&str>,
) -> Result<Vec<TagRecord>, git2::Error> {
    let keep = |document: Option<&str>, seal: bool| {
        seal || document.is_none_or(|d| d == crate::control::CONFIG_ID || ids.contains(d))
    };
    read_where(repo, Some(&keep))
}

type Keep<'a> = &'a dyn Fn(Option<&str>, bool) -> bool;

fn read_where(repo: &Repository, keep: Option<Keep<'_>>) -> Result<Vec<TagRecord>, git2::Error> {
    use super::cache::Claims;
    Claims::open(repo);
    let odb = repo.odb()?;
    let mut records = Vec::new();
    for (name, oid) in super::refs::aims_tags(repo)? {
        if keep.is_some_and(|keep| Claims::judge(&oid, keep) == Some(false)) {
            continue;
        }
        let name = name.trim_start_matches("refs/tags/").to_owned();
        let id = oid.to_string();
        let object = odb.read(oid)?;
        if object.kind() != ObjectType::Tag {
            // Claims nothing: kept whatever is asked (it is refused).
            records.push(TagRecord {
                name,
                id,
                parsed: Err(Invalid::Lightweight),
            });
            continue;
        }
        let raw = object.data().to_vec();
        let split = signature::split(&raw);
        let payload_len = split.payload.len();
        let signature = split.signature.map(|(kind, _)| kind);
        let parsed = match tag::parse_tag(split.payload) {
            Ok(tag) => {
                let statement = tag::parse_statement(&tag.message);
                Ok(Parsed {
                    raw,
                    payload_len,
                    signature,
                    tag,
                    statement,
                })
            }
            Err(e) => Err(Invalid::Unreadable(e)),
        };
        let record = TagRecord { name, id, parsed };
        let (document, seal) = (record.document(), record.seal().is_some());
        Claims::put(&oid, document, seal);
        if keep.is_none_or(|keep| keep(document, seal)) {
            records.push(record);
        }
    }
    Claims::save();
    records.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(records)
}

/// Tags outside `refs/tags/aims/` whose message carries `Aims-Document:`
/// trailers: approvals made in the wrong place, which count for nothing.
pub fn outside_namespace(repo: &Repository) -> Result<Vec<String>, git2::Error> {
    let odb = repo.odb()?;
    let mut out = Vec::new();
    for (name, oid) in super::refs::other_tags(repo)? {
        let name = name.trim_start_matches("refs/tags/");
        // Only annotated tags carry a message; a header read is cheap.
        if odb.read_header(oid)?.1 != ObjectType::Tag {
            continue;
        }
        let object = odb.read(oid)?;
        let payload = signature::split(object.data()).payload;
        if let Ok(tag) = tag::parse_tag(payload)
            && tag.message.lines().any(|l| {
                l.split_once(':')
                    .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("Aims-Document"))
            })
        {
            out.push(name.to_owned());
        }
    }
    out.sort();
    Ok(out)
}

/// Reads every tag under `refs/tags/aims/` and judges each against `trust`.
pub fn scan(repo: &Repository, trust: &TrustRoot) -> Result<Vec<TagReport>, git2::Error> {
    read(repo)?
        .iter()
        .map(|record| evaluate(repo, record, trust))
        .collect()
}

/// Judges one tag: an approval when it is signed, the signature verifies
/// for the tagger against `trust`, the tagger holds the claimed role, and
/// the claimed blob is the tagged commit's content at the claimed path (for
/// a withdrawal: the tagged commit no longer holds the document there).
pub fn evaluate(
    repo: &Repository,
    record: &TagRecord,
    trust: &TrustRoot,
) -> Result<TagReport, git2::Error> {
    let parsed = match &record.parsed {
        Ok(p) => p,
        Err(invalid) => return Ok(record.refuse(invalid.clone())),
    };
    let fail = |invalid| Ok(record.refuse(invalid));
    if parsed.tag.target_type != "commit" {
        return fail(Invalid::NotACommit(parsed.tag.target_type.clone()));
    }
    let claim = match &parsed.statement {
        Ok(Statement::Claim(c)) => c,
        Ok(Statement::Seal(_)) => {
            return fail(Invalid::NotAnApproval(
                "a seal is not an approval of a document".into(),
            ));
        }
        Err(e) => return fail(Invalid::Trailers(e.clone())),
    };
    let signature = match record.verify_signature(trust)? {
        Ok(v) => v,
        Err(r) => return fail(Invalid::Signature(r)),
    };
    if !trust.holds(&parsed.tag.tagger_email, &claim.role) {
        return fail(Invalid::RoleNotHeld {
            email: parsed.tag.tagger_email.clone(),
            role: claim.role.clone(),
        });
    }
    // A tag naming an object that is not a readable commit is this tag's
    // defect, not a reason to stop reading the others.
    let (commit_time, tree) = match git2::Oid::from_str(&parsed.tag.object)
        .and_then(|oid| repo.find_commit(oid))
        .and_then(|c| Ok((c.time().seconds(), c.tree()?)))
    {
        Ok(found) => found,
        Err(e) => {
            return fail(Invalid::Unreadable(format!(
                "tagged commit {}: {}",
                parsed.tag.object,
                e.message()
            )));
        }
    };
    // A directory or submodule at the path holds no content.
    let entry = match tree.get_path(Path::new(&claim.path)) {
        Ok(e) if e.kind() == Some(ObjectType::Blob) => Some(e),
        Ok(_) => None,
        Err(e) if e.code() == git2::ErrorCode::NotFound => None,
        Err(e) => return Err(e),
    };
    match (claim.decision, entry) {
        (Decision::Withdrawn, None) => {}
        (Decision::Withdrawn, Some(e)) => {
            // Still there, and still this document: nothing was withdrawn.
            let blob = repo.find_blob(e.id())?;
            let still = match crate::docs::load(&claim.path, blob.content(), false) {
                crate::docs::Loaded::Document(d) => d.id() == Some(claim.document.as_str()),
                crate::docs::Loaded::Problem { .. } => false,
            };
            if still {
                return fail(Invalid::StillPresent {
                    path: claim.path.clone(),
                });
            }
        }
        (_, None) => {
            return fail(Invalid::PathMissing {
                path: claim.path.clone(),
            });
        }
        (_, Some(e)) => {
            let actual = e.id().to_string();
            if actual != claim.blob {
                return fail(Invalid::BlobMismatch {
                    path: claim.path.clone(),
                    claimed: claim.blob.clone(),
                    actual,
                });
            }
        }
    }
    Ok(TagReport {
        outcome: Ok(Approval {
            tag: record.name.clone(),
            commit: parsed.tag.object.clone(),
            commit_time,
            signer_name: parsed.tag.tagger_name.clone(),
            signer_email: parsed.tag.tagger_email.clone(),
            time: parsed.tag.time,
            claim: claim.clone(),
            signature,
        }),
        ..record.report()
    })
}

impl TagRecord {
    /// Verifies the tag's signature for its tagger, at its own time,
    /// against `trust`: the signature alone, not what the tag claims.
    pub fn verify_signature(
        &self,
        trust: &TrustRoot,
    ) -> Result<Result<Verified, Rejection>, git2::Error> {
        let time = self.tagger().map_or(0, |(_, t)| t);
        self.verify_signature_at(trust, time)
    }

    /// Verifies the tag's signature as if it were made at `time`: whether
    /// its key is allowed for its tagger then.
    pub fn verify_signature_at(
        &self,
        trust: &TrustRoot,
        time: i64,
    ) -> Result<Result<Verified, Rejection>, git2::Error> {
        let parsed = match &self.parsed {
            Ok(p) => p,
            Err(_) => return Ok(Err(Rejection::Unsigned)),
        };
        let payload = &parsed.raw[..parsed.payload_len];
        let armored = &parsed.raw[parsed.payload_len..];
        verify(
            payload,
            parsed.signature.map(|k| (k, armored)),
            trust,
            &parsed.tag.tagger_email,
            time,
        )
    }

    /// What is wrong with the tag before any trust root is consulted: not
    /// readable, not annotated, not about a commit, malformed trailers.
    pub fn defect(&self) -> Option<Invalid> {
        let parsed = match &self.parsed {
            Ok(p) => p,
            Err(invalid) => return Some(invalid.clone()),
        };
        if parsed.tag.target_type != "commit" {
            return Some(Invalid::NotACommit(parsed.tag.target_type.clone()));
        }
        match &parsed.statement {
            Ok(_) => None,
            Err(e) => Some(Invalid::Trailers(e.clone())),
        }
    }
}

/// Verifies a signature (SSH in process, OpenPGP through gpgv) made by
/// `principal` at `time` over `payload`. Shared by tags and commits.
pub fn verify(
    payload: &[u8],
    signature: Option<(SignatureKind, &[u8])>,
    trust: &TrustRoot,
    principal: &str,
    time: i64,
) -> Result<Result<Verified, Rejection>, git2::Error> {
    let memo = super::cache::Verdicts::key(payload, signature, trust, principal, time);
    if let Some(known) = memo.as_deref().and_then(super::cache::Verdicts::get) {
        return Ok(known);
    }
    let verdict = match signature {
        None => Err(Rejection::Unsigned),
        Some((SignatureKind::Ssh, armored)) => {
            signature::verify_ssh(payload, armored, &trust.signers, principal, time)
        }
        Some((SignatureKind::OpenPgp, armored)) => match &trust.keyring {
            None => Err(Rejection::UnknownKey {
                fingerprint: "an OpenPGP key (no gpg-keyring configured)".into(),
            }),
            Some(keyring) => super::openpgp::verify(payload, armored, keyring, principal, time)
                .map_err(|e| git2::Error::from_str(&format!("running gpgv: {e}")))?,
        },
    };
    if let Some(key) = memo {
        super::cache::Verdicts::put(key, &verdict);
    }
    Ok(verdict)
}
