//! Signed tag objects: where the signature starts, and whether an SSH
//! signature verifies for the tagger against the allowed signers.
//!
//! A signature is evidence only when it verifies: "a signature is present"
//! is never taken for "verified". Every refusal carries its reason.

use std::fmt;

use base64ct::Encoding as _;
use ssh_key::public::KeyData;
use ssh_key::{Certificate, HashAlg, PublicKey, Signature, SshSig};

use super::allowed_signers::{AllowedSigner, Validity};

/// The namespace git signs with (`ssh-keygen -Y sign -n git`).
pub const GIT_NAMESPACE: &str = "git";

const MARKERS: [(&[u8], SignatureKind); 2] = [
    (b"-----BEGIN SSH SIGNATURE-----", SignatureKind::Ssh),
    (b"-----BEGIN PGP SIGNATURE-----", SignatureKind::OpenPgp),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Rejection {
    Unsigned,
    Malformed(String),
    WrongNamespace {
        found: String,
        expected: String,
    },
    BadSignature,
    UnknownKey {
        fingerprint: String,
    },
    NotAllowedFor {
        principal: String,
        fingerprint: String,
    },
    /// The key may sign as the principal, but not in this namespace.
    NamespaceNotAllowed {
        line: usize,
        namespace: String,
    },
    NotYetValid {
        line: usize,
    },
    Expired {
        line: usize,
    },
    /// An RSA signature over SHA-1 (`ssh-rsa`), which git and OpenSSH
    /// refuse in SSH signatures.
    RsaSha1,
    /// A key type this build cannot verify (e.g. a security key's).
    UnsupportedKey(String),
    /// A user certificate that a `cert-authority` line does not vouch for
    /// at signing time: the reason.
    Certificate(String),
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
            Rejection::WrongNamespace { found, expected } => {
                write!(f, "signed for namespace `{found}`, not `{expected}`")
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
            Rejection::NamespaceNotAllowed { line, namespace } => write!(
                f,
                "allowed signers line {line} does not allow the `{namespace}` namespace \
                 (add it: namespaces=\"git,{namespace}\")"
            ),
            Rejection::NotYetValid { line } => write!(
                f,
                "the key was not yet valid at signing time (allowed signers line {line})"
            ),
            Rejection::Expired { line } => write!(
                f,
                "the key had expired at signing time (allowed signers line {line})"
            ),
            Rejection::RsaSha1 => write!(
                f,
                "an RSA signature over SHA-1 (`ssh-rsa`), which git and OpenSSH refuse: \
                 sign again with a current ssh-keygen (it signs RSA with SHA-512)"
            ),
            Rejection::UnsupportedKey(kind) => write!(
                f,
                "signed with a {kind} key, a type aims cannot verify (ed25519, ECDSA \
                 P-256/P-384/P-521 and RSA with SHA-2 are supported)"
            ),
            Rejection::Certificate(why) => write!(f, "the certificate does not count: {why}"),
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
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Verified {
    /// `SHA256:…`, as `ssh-keygen -l` prints it (of the signing key, not of
    /// its certificate authority).
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
    verify_ssh_for(GIT_NAMESPACE, payload, armored, signers, principal, time)
}

/// An SSH signature (SSHSIG, PROTOCOL.sshsig) taken apart: the signing
/// key, or the user certificate that carries it, and the signature proper.
struct Parsed {
    key: KeyData,
    certificate: Option<Certificate>,
    sig: SshSig,
}

fn parse_sshsig(armored: &[u8]) -> Result<Parsed, Rejection> {
    let malformed = |e: &dyn fmt::Display| Rejection::Malformed(e.to_string());
    let text = std::str::from_utf8(armored).map_err(|e| malformed(&e))?;
    let body: String = text
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != "-----BEGIN SSH SIGNATURE-----")
        .skip(1)
        .take_while(|l| *l != "-----END SSH SIGNATURE-----")
        .collect();
    let blob = base64ct::Base64::decode_vec(&body).map_err(|e| malformed(&e))?;
    let mut r = Reader(&blob);
    if r.take(6) != Some(b"SSHSIG".as_slice()) {
        return Err(malformed(&"no SSHSIG preamble"));
    }
    let version = r.u32().ok_or_else(|| malformed(&"truncated"))?;
    if version != 1 {
        return Err(malformed(&format!("version {version}, not 1")));
    }
    let mut field = || r.string().ok_or_else(|| malformed(&"truncated"));
    let key_blob = field()?;
    let namespace = field()?;
    let _reserved = field()?;
    let hash = field()?;
    let sig_blob = field()?;
    if !r.0.is_empty() {
        return Err(malformed(&"bytes after the signature"));
    }
    let key_type = Reader(key_blob)
        .string()
        .map(|t| String::from_utf8_lossy(t).into_owned())
        .ok_or_else(|| malformed(&"no key type"))?;
    let sig_type = Reader(sig_blob)
        .string()
        .map(|t| String::from_utf8_lossy(t).into_owned())
        .ok_or_else(|| malformed(&"no signature type"))?;
    if sig_type == "ssh-rsa" {
        return Err(Rejection::RsaSha1);
    }
    let unsupported = |e: ssh_key::Error| match e {
        ssh_key::Error::AlgorithmUnknown | ssh_key::Error::AlgorithmUnsupported { .. } => {
            Rejection::UnsupportedKey(key_type.clone())
        }
        e => malformed(&e),
    };
    let (key, certificate) = if key_type.ends_with("-cert-v01@openssh.com") {
        let cert = Certificate::from_bytes(key_blob).map_err(unsupported)?;
        (cert.public_key().clone(), Some(cert))
    } else {
        let key = PublicKey::from_bytes(key_blob).map_err(unsupported)?;
        (key.key_data().clone(), None)
    };
    let namespace = String::from_utf8(namespace.to_vec()).map_err(|e| malformed(&e))?;
    let hash = match hash {
        b"sha256" => HashAlg::Sha256,
        b"sha512" => HashAlg::Sha512,
        other => {
            return Err(malformed(&format!(
                "hash `{}`, not sha256 or sha512",
                String::from_utf8_lossy(other)
            )));
        }
    };
    let signature = Signature::try_from(sig_blob).map_err(unsupported)?;
    let sig = SshSig::new(key.clone(), namespace, hash, signature).map_err(|e| malformed(&e))?;
    Ok(Parsed {
        key,
        certificate,
        sig,
    })
}

/// Big-endian SSH wire encoding: `uint32` and length-prefixed `string`.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
    fn string(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

/// Verifies an SSH signature made in `namespace` over `payload` at `time`,
/// by `principal`, as `ssh-keygen -Y verify` does. A user certificate
/// counts under a `cert-authority` line whose key signed it, when it was
/// valid at `time`, names the principal and carries no critical option.
pub fn verify_ssh_for(
    namespace: &str,
    payload: &[u8],
    armored: &[u8],
    signers: &[AllowedSigner],
    principal: &str,
    time: i64,
) -> Result<Verified, Rejection> {
    let parsed = parse_sshsig(armored)?;
    if parsed.sig.namespace() != namespace {
        return Err(Rejection::WrongNamespace {
            found: parsed.sig.namespace().to_owned(),
            expected: namespace.to_owned(),
        });
    }
    let signing_key = PublicKey::from(parsed.key.clone());
    let fingerprint = signing_key.fingerprint(Default::default()).to_string();
    signing_key
        .verify(namespace, payload, &parsed.sig)
        .map_err(|e| match e {
            ssh_key::Error::AlgorithmUnsupported { .. } | ssh_key::Error::AlgorithmUnknown => {
                Rejection::UnsupportedKey(parsed.key.algorithm().to_string())
            }
            _ => Rejection::BadSignature,
        })?;

    let key_of = |s: &AllowedSigner| {
        PublicKey::from_openssh(&format!("{} {}", s.key_type, s.key))
            .ok()
            .map(|k| k.key_data().clone())
    };
    // The lines that vouch for this key: its own, or for a certificate,
    // its authority's when the certificate holds for the principal.
    let mut vouching: Vec<&AllowedSigner> = Vec::new();
    let mut certificate_problem = None;
    for s in signers {
        match (&parsed.certificate, s.cert_authority) {
            (None, false) if key_of(s).as_ref() == Some(&parsed.key) => vouching.push(s),
            (Some(cert), true) if key_of(s).as_ref() == Some(cert.signature_key()) => {
                match certificate_vouches(cert, principal, time) {
                    Ok(()) => vouching.push(s),
                    Err(why) => certificate_problem = Some(why),
                }
            }
            _ => {}
        }
    }
    if vouching.is_empty() {
        return Err(match (certificate_problem, &parsed.certificate) {
            (Some(why), _) => Rejection::Certificate(why),
            (None, Some(c)) => Rejection::UnknownKey {
                fingerprint: format!(
                    "a certificate (key {fingerprint}) from the certificate authority {}",
                    PublicKey::from(c.signature_key().clone()).fingerprint(Default::default())
                ),
            },
            (None, None) => Rejection::UnknownKey { fingerprint },
        });
    }
    let as_principal: Vec<&AllowedSigner> = vouching
        .into_iter()
        .filter(|s| s.matches_principal(principal))
        .collect();
    let for_principal: Vec<&AllowedSigner> = as_principal
        .iter()
        .copied()
        .filter(|s| s.allows_namespace(namespace))
        .collect();
    if let (None, Some(s)) = (for_principal.first(), as_principal.first()) {
        return Err(Rejection::NamespaceNotAllowed {
            line: s.line,
            namespace: namespace.to_owned(),
        });
    }
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

/// What OpenSSH checks of a user certificate before its authority's line
/// counts (`sshkey_cert_check_authority`): the authority's signature over
/// it, a user (not host) certificate, valid at `time`, and no critical
/// option it would not enforce.
fn certificate_vouches(cert: &Certificate, principal: &str, time: i64) -> Result<(), String> {
    cert.verify_signature()
        .map_err(|_| "its certificate authority's signature does not verify".to_owned())?;
    if !cert.cert_type().is_user() {
        return Err("it is a host certificate, not a user certificate".to_owned());
    }
    let t = u64::try_from(time).unwrap_or(0);
    if t < cert.valid_after() {
        return Err(format!(
            "it was not yet valid at signing time (valid after {})",
            cert.valid_after()
        ));
    }
    if t >= cert.valid_before() {
        return Err(format!(
            "it had expired at signing time (valid before {})",
            cert.valid_before()
        ));
    }
    if let Some(option) = cert.critical_options().keys().next() {
        return Err(format!("it carries the critical option `{option}`"));
    }
    if !cert.valid_principals().iter().any(|p| p == principal) {
        return Err(format!(
            "it is for {}, not {principal}",
            if cert.valid_principals().is_empty() {
                "no principal".to_owned()
            } else {
                cert.valid_principals().join(", ")
            }
        ));
    }
    Ok(())
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
