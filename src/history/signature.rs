//! Signed tag objects: where the signature starts, and whether an SSH
//! signature verifies for the tagger against the allowed signers.
//!
//! A signature is evidence only when it verifies: "a signature is present"
//! is never taken for "verified". Every refusal carries its reason.

use std::fmt;

use ssh_key::{PublicKey, SshSig};

use super::allowed_signers::{AllowedSigner, Validity};

/// The namespace git signs with (`ssh-keygen -Y sign -n git`).
pub const GIT_NAMESPACE: &str = "git";

const MARKERS: [(&[u8], SignatureKind); 2] = [
    (b"-----BEGIN SSH SIGNATURE-----", SignatureKind::Ssh),
    (b"-----BEGIN PGP SIGNATURE-----", SignatureKind::OpenPgp),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureKind {
    Ssh,
    OpenPgp,
}

/// A raw tag object split into what was signed and the signature.
#[derive(Debug, PartialEq, Eq)]
pub struct Signed<'a> {
    pub payload: &'a [u8],
    pub signature: Option<(SignatureKind, &'a [u8])>,
}

/// Splits at the **last** armor marker that starts a line: git appends the
/// signature after the message, so an armor block typed inside the message
/// is payload, not signature.
pub fn split(raw: &[u8]) -> Signed<'_> {
    let mut best: Option<(usize, SignatureKind)> = None;
    for (marker, kind) in MARKERS {
        let mut from = 0;
        while let Some(i) = find(&raw[from..], marker).map(|i| i + from) {
            if (i == 0 || raw[i - 1] == b'\n') && best.is_none_or(|(b, _)| i > b) {
                best = Some((i, kind));
            }
            from = i + 1;
        }
    }
    match best {
        Some((i, kind)) => Signed {
            payload: &raw[..i],
            signature: Some((kind, &raw[i..])),
        },
        None => Signed {
            payload: raw,
            signature: None,
        },
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Why a signature does not count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    Unsigned,
    Malformed(String),
    WrongNamespace(String),
    BadSignature,
    UnknownKey {
        fingerprint: String,
    },
    NotAllowedFor {
        principal: String,
        fingerprint: String,
    },
    NotYetValid {
        line: usize,
    },
    Expired {
        line: usize,
    },
    /// An OpenPGP key that had expired when it signed.
    KeyExpired,
    /// An OpenPGP key its keyring revokes.
    KeyRevoked,
    /// `gpgv` is not installed, so OpenPGP signatures cannot be checked.
    VerifierMissing,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::Unsigned => write!(f, "it is not signed"),
            Rejection::Malformed(e) => write!(f, "the signature block cannot be read: {e}"),
            Rejection::WrongNamespace(ns) => {
                write!(f, "signed for namespace `{ns}`, not `{GIT_NAMESPACE}`")
            }
            Rejection::BadSignature => write!(
                f,
                "the signature does not match the signed content (tampered or forged)"
            ),
            Rejection::UnknownKey { fingerprint } => write!(
                f,
                "signed by {fingerprint}, a key not in the allowed signers"
            ),
            Rejection::NotAllowedFor {
                principal,
                fingerprint,
            } => {
                write!(f, "key {fingerprint} is not allowed to sign as {principal}")
            }
            Rejection::NotYetValid { line } => write!(
                f,
                "the key was not yet valid at signing time (allowed signers line {line})"
            ),
            Rejection::Expired { line } => write!(
                f,
                "the key had expired at signing time (allowed signers line {line})"
            ),
            Rejection::KeyExpired => write!(f, "the OpenPGP key had expired when it signed"),
            Rejection::KeyRevoked => write!(f, "the OpenPGP key is revoked in the keyring"),
            Rejection::VerifierMissing => write!(
                f,
                "gpgv is not installed, so the OpenPGP signature cannot be verified"
            ),
        }
    }
}

/// A signature that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// The allowed-signers line that allowed it (SSH only).
    pub line: Option<usize>,
}

/// Verifies an SSH signature over `payload` for `principal` (the tagger's
/// email) at `time` (the tagger's Unix time), as `git verify-tag` would.
pub fn verify_ssh(
    payload: &[u8],
    armored: &[u8],
    signers: &[AllowedSigner],
    principal: &str,
    time: i64,
) -> Result<Verified, Rejection> {
    let sig = SshSig::from_pem(armored).map_err(|e| Rejection::Malformed(e.to_string()))?;
    if sig.namespace() != GIT_NAMESPACE {
        return Err(Rejection::WrongNamespace(sig.namespace().to_owned()));
    }
    let signing_key = PublicKey::from(sig.public_key().clone());
    let fingerprint = signing_key.fingerprint(Default::default()).to_string();
    signing_key
        .verify(GIT_NAMESPACE, payload, &sig)
        .map_err(|_| Rejection::BadSignature)?;

    let same_key: Vec<&AllowedSigner> = signers
        .iter()
        .filter(|s| !s.cert_authority)
        .filter(|s| {
            PublicKey::from_openssh(&format!("{} {}", s.key_type, s.key))
                .is_ok_and(|k| k.key_data() == signing_key.key_data())
        })
        .collect();
    if same_key.is_empty() {
        return Err(Rejection::UnknownKey { fingerprint });
    }
    let for_principal: Vec<&&AllowedSigner> = same_key
        .iter()
        .filter(|s| s.matches_principal(principal) && s.allows_namespace(GIT_NAMESPACE))
        .collect();
    let Some(first) = for_principal.first() else {
        return Err(Rejection::NotAllowedFor {
            principal: principal.to_owned(),
            fingerprint,
        });
    };
    if let Some(valid) = for_principal
        .iter()
        .find(|s| s.validity_at(time) == Validity::Valid)
    {
        return Ok(Verified {
            fingerprint,
            line: Some(valid.line),
        });
    }
    Err(match first.validity_at(time) {
        Validity::NotYetValid => Rejection::NotYetValid { line: first.line },
        _ => Rejection::Expired { line: first.line },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_last_marker_at_a_line_start() {
        let raw = b"object abc\ntag t\n\nmsg\n-----BEGIN PGP SIGNATURE-----\nfake\n-----END PGP SIGNATURE-----\n-----BEGIN SSH SIGNATURE-----\nreal\n";
        let s = split(raw);
        assert!(s.payload.ends_with(b"-----END PGP SIGNATURE-----\n"));
        assert_eq!(s.signature.unwrap().0, SignatureKind::Ssh);
        assert!(
            s.signature
                .unwrap()
                .1
                .starts_with(b"-----BEGIN SSH SIGNATURE-----")
        );
        // A marker in the middle of a line is text.
        let s = split(b"msg says -----BEGIN SSH SIGNATURE----- inline\n");
        assert_eq!(s.signature, None);
        assert_eq!(split(b"").signature, None);
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        let r = verify_ssh(
            b"x",
            b"-----BEGIN SSH SIGNATURE-----\nnot base64!\n-----END SSH SIGNATURE-----\n",
            &[],
            "a@b.example",
            0,
        );
        assert!(matches!(r, Err(Rejection::Malformed(_))), "{r:?}");
    }
}
