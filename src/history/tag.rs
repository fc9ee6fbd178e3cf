//! Approval tags: the tag object's headers and the `Aims-*` trailers that
//! make an annotated tag an approval claim (the public format in the README).
//! A claim is only a claim: it counts once its signature verifies and the
//! checks on role and content pass.

use std::fmt;

/// The headers and message of an annotated tag object (signature removed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagObject {
    /// Id of the tagged object.
    pub object: String,
    /// Type of the tagged object (`commit` for approvals).
    pub target_type: String,
    pub name: String,
    pub tagger_name: String,
    pub tagger_email: String,
    /// Unix seconds.
    pub time: i64,
    pub message: String,
}

/// Parses the payload of a tag object (what `git cat-file tag` prints,
/// without the signature).
pub fn parse_tag(payload: &[u8]) -> Result<TagObject, String> {
    let text =
        std::str::from_utf8(payload).map_err(|_| "the tag object is not UTF-8".to_owned())?;
    let (headers, message) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut object = None;
    let mut target_type = None;
    let mut name = None;
    let mut tagger = None;
    for line in headers.lines() {
        match line.split_once(' ') {
            Some(("object", v)) => object = Some(v.to_owned()),
            Some(("type", v)) => target_type = Some(v.to_owned()),
            Some(("tag", v)) => name = Some(v.to_owned()),
            Some(("tagger", v)) => tagger = Some(v.to_owned()),
            _ => {}
        }
    }
    let tagger = tagger.ok_or("the tag has no tagger")?;
    // "Name <email> 1768471200 +0000"
    let (tagger_name, rest) = tagger.split_once(" <").ok_or("the tagger has no email")?;
    let (email, when) = rest.split_once("> ").ok_or("the tagger has no email")?;
    let time = when
        .split_whitespace()
        .next()
        .and_then(|t| t.parse().ok())
        .ok_or("the tagger has no time")?;
    Ok(TagObject {
        object: object.ok_or("the tag names no object")?,
        target_type: target_type.ok_or("the tag has no type")?,
        name: name.ok_or("the tag has no name")?,
        tagger_name: tagger_name.to_owned(),
        tagger_email: email.to_owned(),
        time,
        message: message.to_owned(),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The content is approved: a new version.
    Approved,
    /// A periodic review that changed nothing.
    Reviewed,
    /// The document's removal is approved: `Aims-Blob` names the content
    /// withdrawn, and the tagged commit no longer holds the document.
    Withdrawn,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approved => "approved",
            Decision::Reviewed => "reviewed",
            Decision::Withdrawn => "withdrawn",
        }
    }
}

/// The object id git writes for "no content" (a removed file).
pub const NO_CONTENT: &str = "0000000000000000000000000000000000000000";

/// What a tag under `aims/` states: an approval claim about one document,
/// or a seal over the approval records that existed when it was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Statement {
    Claim(Claim),
    Seal(Seal),
}

/// A seal (`Aims-Decision: sealed`): the tag objects under `refs/tags/aims/`
/// that existed when it was signed. A record claiming an earlier time that
/// the seal does not list was made after it: back-dated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seal {
    pub role: String,
    /// Tag object ids (lower-case hex), sorted.
    pub sealed: Vec<String>,
}

/// What an approval tag claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub document: String,
    pub path: String,
    pub blob: String,
    pub role: String,
    pub decision: Decision,
}

/// Why trailers do not form a claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MalformedTrailers(pub Vec<String>);

impl fmt::Display for MalformedTrailers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed approval trailers: {}", self.0.join("; "))
    }
}

const KEYS: [&str; 5] = [
    "Aims-Document",
    "Aims-Path",
    "Aims-Blob",
    "Aims-Role",
    "Aims-Decision",
];

/// Reads a tag message's statement: a seal when `Aims-Decision: sealed`,
/// else an approval claim.
pub fn parse_statement(message: &str) -> Result<Statement, MalformedTrailers> {
    let last = last_paragraph(message);
    let sealed = last.lines().any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("Aims-Decision") && v.trim() == "sealed"
        })
    });
    if sealed {
        parse_seal(last).map(Statement::Seal)
    } else {
        parse_claim(message).map(Statement::Claim)
    }
}

/// The trailers of a message: its last paragraph, as git reads them.
fn last_paragraph(message: &str) -> &str {
    message.trim_end().rsplit("\n\n").next().unwrap_or("")
}

fn is_object_id(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `Aims-Role` once, `Aims-Decision: sealed`, and any number of
/// `Aims-Sealed: <tag object id>`; no document trailers.
fn parse_seal(trailers: &str) -> Result<Seal, MalformedTrailers> {
    let mut roles = Vec::new();
    let mut sealed = Vec::new();
    let mut problems = Vec::new();
    for line in trailers.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if key.eq_ignore_ascii_case("Aims-Role") {
            roles.push(value.to_owned());
        } else if key.eq_ignore_ascii_case("Aims-Sealed") {
            if is_object_id(value) {
                sealed.push(value.to_ascii_lowercase());
            } else {
                problems.push(format!("Aims-Sealed `{value}` is not a git object id"));
            }
        } else if ["Aims-Document", "Aims-Path", "Aims-Blob"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key))
        {
            problems.push(format!("a seal carries no {key} trailer"));
        }
    }
    match roles.as_slice() {
        [r] if !r.is_empty() => {}
        [] => problems.push("no Aims-Role trailer".to_owned()),
        [_] => problems.push("Aims-Role is empty".to_owned()),
        _ => problems.push("Aims-Role appears more than once".to_owned()),
    }
    if !problems.is_empty() {
        return Err(MalformedTrailers(problems));
    }
    sealed.sort();
    sealed.dedup();
    Ok(Seal {
        role: roles.remove(0),
        sealed,
    })
}

/// Reads the `Aims-*` trailers from the last paragraph of the message.
pub fn parse_claim(message: &str) -> Result<Claim, MalformedTrailers> {
    let last = last_paragraph(message);
    let mut values: [Vec<&str>; 5] = Default::default();
    for line in last.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        if let Some(i) = KEYS.iter().position(|k| k.eq_ignore_ascii_case(key.trim())) {
            values[i].push(value.trim());
        }
    }
    let mut problems = Vec::new();
    let mut one = |i: usize| -> String {
        match values[i].as_slice() {
            [v] if !v.is_empty() => (*v).to_owned(),
            [] => {
                problems.push(format!("no {} trailer", KEYS[i]));
                String::new()
            }
            [_] => {
                problems.push(format!("{} is empty", KEYS[i]));
                String::new()
            }
            _ => {
                problems.push(format!("{} appears more than once", KEYS[i]));
                String::new()
            }
        }
    };
    let document = one(0);
    let path = one(1);
    let blob = one(2);
    let role = one(3);
    let decision = one(4);
    let decision = match decision.as_str() {
        "approved" => Some(Decision::Approved),
        "reviewed" => Some(Decision::Reviewed),
        "withdrawn" => Some(Decision::Withdrawn),
        "" => None,
        other => {
            problems.push(format!(
                "Aims-Decision is `{other}`, not approved, reviewed, withdrawn or sealed"
            ));
            None
        }
    };
    if !blob.is_empty() && !is_object_id(&blob) {
        problems.push(format!("Aims-Blob `{blob}` is not a git object id"));
    }
    if path.starts_with('/') || path.split('/').any(|c| c == "..") {
        problems.push(format!("Aims-Path `{path}` leaves the repository"));
    }
    match (problems.is_empty(), decision) {
        (true, Some(decision)) => Ok(Claim {
            document,
            path,
            blob: blob.to_ascii_lowercase(),
            role,
            decision,
        }),
        _ => Err(MalformedTrailers(problems)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOB: &str = "5d41402abc4b2a76b9719d911017c592ae5c1e3f";

    fn message(trailers: &str) -> String {
        format!("Approve POL-001 AI Policy\n\nLooks good.\n\n{trailers}\n")
    }

    #[test]
    fn parses_a_tag_object() {
        let raw = format!(
            "object {BLOB}\ntype commit\ntag aims/pol-001-v1\ntagger Dana Scully <dana@acme.example> 1768471200 +0100\n\n{}",
            message("Aims-Document: POL-001")
        );
        let t = parse_tag(raw.as_bytes()).unwrap();
        assert_eq!(
            (t.object.as_str(), t.target_type.as_str()),
            (BLOB, "commit")
        );
        assert_eq!(
            (t.tagger_name.as_str(), t.tagger_email.as_str(), t.time),
            ("Dana Scully", "dana@acme.example", 1_768_471_200)
        );
        assert!(t.message.starts_with("Approve POL-001"));
        assert!(
            parse_tag(b"object x\ntype commit\ntag t\n\nmsg").is_err(),
            "no tagger"
        );
    }

    #[test]
    fn a_complete_claim() {
        let m = message(&format!(
            "Aims-Document: POL-001\nAims-Path: aims/policy/ai-policy.md\nAims-Blob: {}\nAims-Role: top-management\nAims-Decision: approved",
            BLOB.to_uppercase()
        ));
        let c = parse_claim(&m).unwrap();
        assert_eq!(c.document, "POL-001");
        assert_eq!(c.blob, BLOB);
        assert_eq!(c.decision, Decision::Approved);
    }

    #[test]
    fn every_defect_is_named() {
        let m = message(
            "Aims-Document: POL-001\nAims-Document: POL-002\nAims-Path: ../etc/passwd\nAims-Blob: xyz\nAims-Decision: ok",
        );
        let e = parse_claim(&m).unwrap_err().0;
        for needle in [
            "more than once",
            "leaves the repository",
            "not a git object id",
            "no Aims-Role",
            "not approved, reviewed, withdrawn or sealed",
        ] {
            assert!(e.iter().any(|p| p.contains(needle)), "{needle}: {e:?}");
        }
        // Trailers must be in the last paragraph, as git's trailer rules say.
        let buried = format!(
            "Approve\n\nAims-Document: POL-001\nAims-Path: a.md\nAims-Blob: {BLOB}\nAims-Role: r\nAims-Decision: approved\n\nSigned off.\n"
        );
        assert!(parse_claim(&buried).is_err());
    }

    #[test]
    fn seals_list_tag_objects() {
        let other = "a".repeat(40);
        let m = format!(
            "Seal 2 approval records\n\nAims-Role: top-management\nAims-Decision: sealed\nAims-Sealed: {}\nAims-Sealed: {BLOB}\n",
            other.to_uppercase()
        );
        let Ok(Statement::Seal(seal)) = parse_statement(&m) else {
            panic!("a seal: {:?}", parse_statement(&m));
        };
        assert_eq!(seal.role, "top-management");
        assert_eq!(seal.sealed, [BLOB.to_owned(), other]);
        let bad = "Seal\n\nAims-Decision: sealed\nAims-Sealed: xyz\nAims-Document: POL-001\n";
        let e = parse_statement(bad).unwrap_err().0;
        for needle in ["not a git object id", "no Aims-Role", "no Aims-Document"] {
            assert!(e.iter().any(|p| p.contains(needle)), "{needle}: {e:?}");
        }
        let claim = message(&format!(
            "Aims-Document: POL-001\nAims-Path: a.md\nAims-Blob: {BLOB}\nAims-Role: r\nAims-Decision: withdrawn"
        ));
        assert!(matches!(
            parse_statement(&claim),
            Ok(Statement::Claim(Claim {
                decision: Decision::Withdrawn,
                ..
            }))
        ));
    }
}
