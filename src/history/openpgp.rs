//! OpenPGP signatures, verified by `gpgv` against the repository's keyring
//! (`gpg-keyring` in aims.toml). gpgv trusts exactly the keys in that file
//! and nothing from the user's own keyring, which is what an approval needs.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use super::signature::{Rejection, Verified};

/// What gpgv said, from its machine-readable status lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    /// `GOODSIG <keyid> <user id>`.
    pub good: Option<String>,
    /// Primary key fingerprint from `VALIDSIG`.
    pub fingerprint: Option<String>,
    pub bad: bool,
    pub no_pubkey: bool,
    pub expired_key: bool,
    pub revoked_key: bool,
    /// When the signing key expired (`KEYEXPIRED <timestamp>`).
    pub key_expired_at: Option<i64>,
}

/// Parses `--status-fd` output (`[GNUPG:] KEYWORD args…` lines).
pub fn parse_status(text: &str) -> Status {
    let mut s = Status::default();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("[GNUPG:] ") else {
            continue;
        };
        let mut words = rest.splitn(3, ' ');
        match (words.next(), words.next(), words.next()) {
            (Some("GOODSIG"), Some(_keyid), Some(uid)) => s.good = Some(uid.to_owned()),
            (Some("VALIDSIG"), Some(_), Some(args)) => {
                // VALIDSIG <fpr> <date> <ts> <expire> <ver> <res> <pk> <hash> <class> <primary-fpr>
                s.fingerprint = args.split_whitespace().nth(8).map(str::to_owned);
            }
            (Some("BADSIG"), _, _) => s.bad = true,
            (Some("ERRSIG" | "NO_PUBKEY"), _, _) => s.no_pubkey = true,
            (Some("EXPKEYSIG"), Some(_keyid), uid) => {
                // A good signature by a key that has expired since (gpgv
                // judges expiry now, not at signing time).
                s.expired_key = true;
                s.good = uid.map(str::to_owned);
            }
            (Some("KEYEXPIRED"), Some(ts), _) => {
                s.key_expired_at = s.key_expired_at.or(ts.parse().ok());
            }
            (Some("REVKEYSIG"), _, _) => s.revoked_key = true,
            _ => {}
        }
    }
    s
}

/// The email in a user id such as `Dana Scully <dana@acme.example>`.
fn uid_email(uid: &str) -> &str {
    match (uid.rfind('<'), uid.rfind('>')) {
        (Some(a), Some(b)) if a < b => &uid[a + 1..b],
        _ => uid.trim(),
    }
}

/// Verifies an armored OpenPGP signature over `payload` for `principal`.
/// A missing `gpgv` is a refusal with that reason; other I/O failures are
/// errors, never a silent "not verified".
pub fn verify(
    payload: &[u8],
    armored: &[u8],
    keyring: &Path,
    principal: &str,
    time: i64,
) -> std::io::Result<Result<Verified, Rejection>> {
    // gpgv looks a keyring name without a slash up in ~/.gnupg: pass an
    // absolute path so only the repository's keyring is ever trusted.
    let keyring = std::path::absolute(keyring)?;
    let dir = tempfile_dir()?;
    let sig_path = dir.join("signature.asc");
    std::fs::write(&sig_path, armored)?;
    let mut child = match Command::new("gpgv")
        .arg("--status-fd=1")
        .arg("--keyring")
        .arg(&keyring)
        .arg(&sig_path)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let _ = std::fs::remove_dir_all(&dir);
            return Ok(Err(Rejection::VerifierMissing));
        }
        Err(e) => return Err(e),
    };
    let written = child
        .stdin
        .take()
        .map_or(Ok(()), |mut stdin| stdin.write_all(payload));
    let out = child.wait_with_output()?;
    let _ = std::fs::remove_dir_all(&dir);
    written?;
    let status = parse_status(&String::from_utf8_lossy(&out.stdout));
    let fingerprint = status.fingerprint.clone().unwrap_or_default();
    Ok(if status.bad {
        Err(Rejection::BadSignature)
    } else if status.revoked_key {
        Err(Rejection::KeyRevoked)
    } else if status.expired_key && status.key_expired_at.is_none_or(|at| at <= time) {
        // Expired when it signed; a key that expired later signed validly
        // (leaving is not compromise).
        Err(Rejection::KeyExpired)
    } else if let (Some(uid), true) = (
        &status.good,
        out.status.success() || (status.expired_key && status.fingerprint.is_some()),
    ) {
        if uid_email(uid).eq_ignore_ascii_case(principal) {
            Ok(Verified {
                fingerprint,
                line: None,
            })
        } else {
            Err(Rejection::NotAllowedFor {
                principal: principal.to_owned(),
                fingerprint,
            })
        }
    } else if status.no_pubkey {
        Err(Rejection::UnknownKey {
            fingerprint: "an OpenPGP key".to_owned(),
        })
    } else {
        Err(Rejection::Malformed(
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        ))
    })
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "aims-gpgv-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        let s = parse_status(
            "[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG 0123456789ABCDEF Dana Scully <dana@acme.example>\n\
             [GNUPG:] VALIDSIG AAAA 2026-01-15 1768471200 0 4 0 22 10 00 BBBB\n",
        );
        assert_eq!(s.good.as_deref(), Some("Dana Scully <dana@acme.example>"));
        assert_eq!(s.fingerprint.as_deref(), Some("BBBB"));
        assert!(!s.bad);
        assert!(parse_status("[GNUPG:] BADSIG 01 x <y>\n").bad);
        assert!(parse_status("[GNUPG:] ERRSIG 01 22 10 00 1 9\n[GNUPG:] NO_PUBKEY 01\n").no_pubkey);
        assert_eq!(uid_email("Dana <dana@acme.example>"), "dana@acme.example");
        let expired = parse_status(
            "[GNUPG:] KEYEXPIRED 1767225600\n[GNUPG:] EXPKEYSIG 01 Dana <dana@acme.example>\n\
             [GNUPG:] VALIDSIG AAAA 2026-01-15 1768471200 0 4 0 22 10 00 BBBB\n",
        );
        assert!(expired.expired_key);
        assert_eq!(expired.key_expired_at, Some(1_767_225_600));
        assert_eq!(expired.good.as_deref(), Some("Dana <dana@acme.example>"));
    }
}
