//! The revocation list (`revoked-keys` in aims.toml): keys whose every
//! signature is void, past and future, because they were compromised. The
//! same idea as git's `gpg.ssh.revocationFile` (ssh-keygen's revoked-keys
//! text form): one public key per line, `#` comments. We also take a key's
//! fingerprint on a line of its own: `SHA256:…` as `ssh-keygen -l` prints
//! it for SSH keys, or the 40 hex digits of an OpenPGP primary key.
//!
//! A person who leaves is not a compromise: for that, remove them from their
//! roles, or give their key `valid-before`, which ends their authority from
//! then on and keeps what they approved before.

use ssh_key::PublicKey;

use super::allowed_signers::ParseError;

/// The fingerprints the list revokes (`SHA256:…` for SSH, upper-case hex
/// for OpenPGP), and the lines that do not read (which revoke nothing).
pub fn parse(text: &str) -> (Vec<String>, Vec<ParseError>) {
    let mut keys = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_line(line) {
            Ok(fingerprint) => keys.push(fingerprint),
            Err(message) => errors.push(ParseError {
                line: i + 1,
                message,
            }),
        }
    }
    keys.sort();
    keys.dedup();
    (keys, errors)
}

fn parse_line(line: &str) -> Result<String, String> {
    let first = line.split_whitespace().next().unwrap_or_default();
    if let Some(hash) = first.strip_prefix("SHA256:") {
        if hash.is_empty()
            || !hash
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/'))
        {
            return Err(format!("`{first}` is not an SSH key fingerprint"));
        }
        return Ok(first.to_owned());
    }
    if first.len() == 40 && first.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(first.to_ascii_uppercase());
    }
    let mut words = line.split_whitespace();
    let (Some(kind), Some(key)) = (words.next(), words.next()) else {
        return Err(
            "not a public key, an SSH fingerprint (SHA256:…) or an OpenPGP fingerprint".into(),
        );
    };
    let key = PublicKey::from_openssh(&format!("{kind} {key}")).map_err(|e| {
        format!("not a public key, an SSH fingerprint (SHA256:…) or an OpenPGP fingerprint ({e})")
    })?;
    Ok(key.fingerprint(Default::default()).to_string())
}

/// Whether `fingerprint` (as a verified signature reports it) is revoked.
pub fn is_revoked(revoked: &[String], fingerprint: &str) -> bool {
    let upper = fingerprint.to_ascii_uppercase();
    revoked
        .iter()
        .any(|r| r == fingerprint || (r.len() == 40 && *r == upper))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEm5ZVxKqCSdn0qL1fYkqjP+W8J3L3X5z0n0o1Pq2r4s";

    #[test]
    fn keys_and_fingerprints() {
        let text = format!(
            "# compromised 2026-10\n{KEY} old laptop\nSHA256:abc/DEF+123\n\
             0123456789abcdef0123456789abcdef01234567\nnonsense here\n"
        );
        let (keys, errors) = parse(&text);
        assert_eq!(keys.len(), 3, "{keys:?}");
        assert!(
            keys.iter()
                .any(|k| k.starts_with("SHA256:") && k.len() > 20)
        );
        assert!(is_revoked(&keys, "SHA256:abc/DEF+123"));
        assert!(is_revoked(
            &keys,
            "0123456789ABCDEF0123456789ABCDEF01234567"
        ));
        assert!(!is_revoked(&keys, "SHA256:other"));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 5);
    }
}
