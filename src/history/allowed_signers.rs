//! git's `allowed_signers` format (`gpg.ssh.allowedSignersFile`, described
//! under ALLOWED SIGNERS in ssh-keygen(1)), parsed by us so that every line
//! the tool trusts, or refuses, is one we can point at.
//!
//! A line is `PRINCIPALS [OPTIONS] KEYTYPE BASE64-KEY [COMMENT]`:
//! principals are a comma-separated pattern list (`*`, `?`, negation with
//! `!`); options are `cert-authority`, `namespaces="git,file"`,
//! `valid-after="YYYYMMDD[HHMM[SS]][Z]"` and `valid-before=…`. Empty lines
//! and lines starting with `#` are ignored.

use crate::date::Date;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedSigner {
    /// 1-based line in the file.
    pub line: usize,
    /// The principals pattern list, as written.
    pub principals: String,
    pub cert_authority: bool,
    /// `None` when any namespace is allowed.
    pub namespaces: Option<Vec<String>>,
    /// Unix seconds; times without `Z` are read as UTC (git reads them in
    /// local time; a repository's trust must not depend on a machine's zone).
    pub valid_after: Option<i64>,
    pub valid_before: Option<i64>,
    pub key_type: String,
    /// The base64 public key blob.
    pub key: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

/// Why a signer line does not allow a signature at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    Valid,
    NotYetValid,
    Expired,
}

impl AllowedSigner {
    /// Whether `principal` (the tagger's email) matches this line's patterns.
    pub fn matches_principal(&self, principal: &str) -> bool {
        match_pattern_list(principal, &self.principals)
    }

    pub fn allows_namespace(&self, namespace: &str) -> bool {
        self.namespaces
            .as_ref()
            .is_none_or(|list| list.iter().any(|n| match_pattern(n, namespace)))
    }

    /// Whether the key may sign at `time` (Unix seconds).
    pub fn validity_at(&self, time: i64) -> Validity {
        if self.valid_after.is_some_and(|t| time < t) {
            Validity::NotYetValid
        } else if self.valid_before.is_some_and(|t| time >= t) {
            Validity::Expired
        } else {
            Validity::Valid
        }
    }
}

/// Parses the whole file; lines in error are reported and skipped, never
/// trusted.
pub fn parse(text: &str) -> (Vec<AllowedSigner>, Vec<ParseError>) {
    let mut signers = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_line(line, i + 1) {
            Ok(s) => signers.push(s),
            Err(message) => errors.push(ParseError {
                line: i + 1,
                message,
            }),
        }
    }
    (signers, errors)
}

fn parse_line(line: &str, number: usize) -> Result<AllowedSigner, String> {
    let tokens = tokens(line)?;
    let mut it = tokens.into_iter();
    let principals = it.next().ok_or("empty line")?;
    if principals.is_empty() {
        return Err("no principals".into());
    }
    let mut next = it.next().ok_or("no public key after the principals")?;
    let mut signer = AllowedSigner {
        line: number,
        principals,
        cert_authority: false,
        namespaces: None,
        valid_after: None,
        valid_before: None,
        key_type: String::new(),
        key: String::new(),
    };
    if !is_key_type(&next) {
        for option in split_options(&next)? {
            let (name, value) = match option.split_once('=') {
                Some((n, v)) => (n.to_ascii_lowercase(), Some(unquote(v)?)),
                None => (option.to_ascii_lowercase(), None),
            };
            match (name.as_str(), value) {
                ("cert-authority", None) => signer.cert_authority = true,
                ("namespaces", Some(v)) => {
                    signer.namespaces = Some(v.split(',').map(|s| s.trim().to_owned()).collect());
                }
                ("valid-after", Some(v)) => signer.valid_after = Some(parse_time(&v)?),
                ("valid-before", Some(v)) => signer.valid_before = Some(parse_time(&v)?),
                (other, _) => return Err(format!("unknown or malformed option `{other}`")),
            }
        }
        next = it.next().ok_or("no public key after the options")?;
    }
    if !is_key_type(&next) {
        return Err(format!(
            "`{next}` is not an SSH key type (e.g. ssh-ed25519)"
        ));
    }
    signer.key_type = next;
    signer.key = it.next().ok_or("the key type is not followed by a key")?;
    if signer.key.is_empty()
        || !signer
            .key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    {
        return Err("the public key is not base64".into());
    }
    Ok(signer)
}

fn is_key_type(token: &str) -> bool {
    token.starts_with("ssh-") || token.starts_with("ecdsa-sha2-") || token.starts_with("sk-")
}

/// Splits where `is_separator` holds outside double quotes; quotes are kept
/// in the pieces (removed later where the format allows them).
fn split_unquoted(s: &str, is_separator: impl Fn(char) -> bool) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if !quoted && is_separator(c) {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    if quoted {
        return Err("unterminated double quote".into());
    }
    out.push(cur);
    Ok(out)
}

/// The whitespace-separated fields of a line.
fn tokens(line: &str) -> Result<Vec<String>, String> {
    let mut out = split_unquoted(line, char::is_whitespace)?;
    out.retain(|t| !t.is_empty());
    // The principals may be quoted as a whole.
    if let Some(first) = out.first_mut()
        && first.starts_with('"')
    {
        *first = unquote(first)?;
    }
    Ok(out)
}

/// The comma-separated options.
fn split_options(s: &str) -> Result<Vec<String>, String> {
    let out = split_unquoted(s, |c| c == ',')?;
    if out.iter().any(String::is_empty) {
        return Err("empty option".into());
    }
    Ok(out)
}

fn unquote(v: &str) -> Result<String, String> {
    match v.strip_prefix('"') {
        Some(rest) => rest
            .strip_suffix('"')
            .map(str::to_owned)
            .ok_or_else(|| format!("unterminated quote in `{v}`")),
        None => Ok(v.to_owned()),
    }
}

/// `YYYYMMDD[HHMM[SS]][Z]` → Unix seconds (UTC).
fn parse_time(v: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "`{v}` is not a time; write YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, optionally ending in Z"
        )
    };
    let digits = v.strip_suffix('Z').unwrap_or(v);
    if !matches!(digits.len(), 8 | 12 | 14) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| {
        digits
            .get(r)
            .map_or(Ok(0), |s| s.parse::<i64>().map_err(|_| bad()))
    };
    let date = Date::new(num(0..4)? as i32, num(4..6)? as u8, num(6..8)? as u8).ok_or_else(bad)?;
    let (h, m, s) = (num(8..10)?, num(10..12)?, num(12..14)?);
    if h > 23 || m > 59 || s > 59 {
        return Err(bad());
    }
    Ok(date.to_days() * 86_400 + h * 3600 + m * 60 + s)
}

/// OpenSSH pattern-list semantics: a match of a negated pattern (`!p`)
/// rejects outright; otherwise any positive match accepts.
pub fn match_pattern_list(s: &str, list: &str) -> bool {
    let mut matched = false;
    for pattern in list.split(',').map(str::trim) {
        if let Some(negated) = pattern.strip_prefix('!') {
            if match_pattern(negated, s) {
                return false;
            }
        } else if match_pattern(pattern, s) {
            matched = true;
        }
    }
    matched
}

/// `*` matches any run of characters, `?` exactly one.
pub fn match_pattern(pattern: &str, s: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = s.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(sp) = star {
            pi = sp + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIEm5ZVxKqCSdn0qL1fYkqjP+W8J3L3X5z0n0o1Pq2r4s";

    #[test]
    fn parses_every_form_git_accepts() {
        let text = format!(
            "# approvers\n\n\
             dana@acme.example ssh-ed25519 {KEY} dana's laptop\n\
             \"alice@acme.example,bob@acme.example\" namespaces=\"git,file\" ssh-ed25519 {KEY}\n\
             *@acme.example,!mallory@acme.example valid-after=\"20260101\",valid-before=\"20270101120000Z\" ssh-ed25519 {KEY}\n\
             ca@acme.example cert-authority ssh-ed25519 {KEY}\n"
        );
        let (signers, errors) = parse(&text);
        assert_eq!(errors, []);
        assert_eq!(signers.len(), 4);
        assert_eq!(signers[0].line, 3);
        assert_eq!(signers[0].key_type, "ssh-ed25519");
        assert_eq!(signers[0].key, KEY);
        assert!(signers[1].matches_principal("bob@acme.example"));
        assert!(signers[1].allows_namespace("git"));
        assert!(!signers[1].allows_namespace("ssh"));
        assert!(signers[0].allows_namespace("anything"));
        let ranged = &signers[2];
        assert!(ranged.matches_principal("ivan@acme.example"));
        assert!(
            !ranged.matches_principal("mallory@acme.example"),
            "negation wins"
        );
        assert!(!ranged.matches_principal("ivan@evil.example"));
        let jan_1_2026 = Date::new(2026, 1, 1).unwrap().to_days() * 86_400;
        assert_eq!(ranged.validity_at(jan_1_2026 - 1), Validity::NotYetValid);
        assert_eq!(ranged.validity_at(jan_1_2026), Validity::Valid);
        let noon = Date::new(2027, 1, 1).unwrap().to_days() * 86_400 + 12 * 3600;
        assert_eq!(ranged.validity_at(noon - 1), Validity::Valid);
        assert_eq!(ranged.validity_at(noon), Validity::Expired);
        assert!(signers[3].cert_authority);
    }

    #[test]
    fn bad_lines_are_errors_with_their_line_never_signers() {
        let text = format!(
            "dana@acme.example\n\
             dana@acme.example bogus-option ssh-ed25519 {KEY}\n\
             dana@acme.example valid-before=\"2026-01-01\" ssh-ed25519 {KEY}\n\
             dana@acme.example namespaces=\"git ssh-ed25519 {KEY}\n\
             dana@acme.example ssh-ed25519 not*base64\n\
             dana@acme.example ssh-ed25519\n\
             dana@acme.example ssh-ed25519 {KEY}\n"
        );
        let (signers, errors) = parse(&text);
        assert_eq!(
            errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5, 6]
        );
        assert_eq!(signers.len(), 1);
        assert_eq!(signers[0].line, 7);
    }

    #[test]
    fn patterns() {
        assert!(match_pattern("*", ""));
        assert!(match_pattern("a*c", "abbbc"));
        assert!(match_pattern("?ana@*.example", "dana@acme.example"));
        assert!(
            !match_pattern("dana@acme.example", "Dana@acme.example"),
            "case-sensitive, as OpenSSH"
        );
        assert!(!match_pattern("a?c", "ac"));
        assert!(match_pattern_list("x@y.example", "a@b.example, x@*"));
        assert!(!match_pattern_list("x@y.example", ""));
    }
}
