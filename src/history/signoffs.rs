//! Sign-offs in commit history: `Approved-by:` and `Reviewed-by:` trailers.
//! A trailer names a person; it counts only when the commit is signed and
//! the signature verifies for that person. Anyone can type a trailer.

use git2::{Oid, Repository};

use super::signature::{self, SignatureKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Trailer {
    ApprovedBy,
    ReviewedBy,
}

impl Trailer {
    pub fn as_str(self) -> &'static str {
        match self {
            Trailer::ApprovedBy => "Approved-by",
            Trailer::ReviewedBy => "Reviewed-by",
        }
    }
}

/// A signed commit's content, the signature's kind, and the armored signature.
pub type Signed = (Vec<u8>, SignatureKind, Vec<u8>);

/// A sign-off trailer, with what is needed to verify it later against the
/// trust root in force.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignOff {
    pub commit: String,
    /// Committer time, Unix seconds: when the signature was made.
    pub time: i64,
    pub trailer: Trailer,
    pub name: String,
    pub email: String,
    /// The signed content and the armored signature, when the commit is signed.
    pub signed: Option<Signed>,
    /// Controlled documents the commit changes: (id, path, blob).
    pub documents: Vec<(String, String, String)>,
}

/// `Approved-by:` / `Reviewed-by:` trailers of the message's last paragraph,
/// as (trailer, name, email).
pub fn parse_trailers(message: &str) -> Vec<(Trailer, String, String)> {
    let last = message.trim_end().rsplit("\n\n").next().unwrap_or("");
    let mut out = Vec::new();
    for line in last.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let trailer = match key.trim().to_ascii_lowercase().as_str() {
            "approved-by" => Trailer::ApprovedBy,
            "reviewed-by" => Trailer::ReviewedBy,
            _ => continue,
        };
        let value = value.trim();
        let (name, email) = match (value.rfind('<'), value.rfind('>')) {
            (Some(a), Some(b)) if a < b => (value[..a].trim(), value[a + 1..b].trim()),
            _ => ("", value),
        };
        if !email.is_empty() {
            out.push((trailer, name.to_owned(), email.to_owned()));
        }
    }
    out
}

/// The sign-offs of one commit (none when it has no such trailer).
pub fn of_commit(
    repo: &Repository,
    commit: &git2::Commit<'_>,
    documents: Vec<(String, String, String)>,
) -> Result<Vec<SignOff>, git2::Error> {
    let message = String::from_utf8_lossy(commit.message_bytes());
    let trailers = parse_trailers(&message);
    if trailers.is_empty() {
        return Ok(Vec::new());
    }
    let signed = signed_content(repo, commit.id())?;
    Ok(trailers
        .into_iter()
        .map(|(trailer, name, email)| SignOff {
            commit: commit.id().to_string(),
            time: commit.committer().when().seconds(),
            trailer,
            name,
            email,
            signed: signed.clone(),
            documents: documents.clone(),
        })
        .collect())
}

/// A commit's signed content and signature, or None when it is unsigned.
fn signed_content(repo: &Repository, oid: Oid) -> Result<Option<Signed>, git2::Error> {
    match repo.extract_signature(&oid, None) {
        Ok((sig, content)) => {
            let kind = match signature::split(&sig).signature {
                Some((kind, _)) => kind,
                // A gpgsig header of an unknown kind: verification will say so.
                None => SignatureKind::OpenPgp,
            };
            Ok(Some((content.to_vec(), kind, sig.to_vec())))
        }
        Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailers_of_the_last_paragraph() {
        let t = parse_trailers(
            "Edit policy\n\nBody mentions Approved-by: nobody@x.example\n\n\
             Approved-by: Dana Scully <dana@acme.example>\nreviewed-by: erin@acme.example\nSigned-off-by: A <a@x>\n",
        );
        assert_eq!(
            t,
            [
                (
                    Trailer::ApprovedBy,
                    "Dana Scully".to_owned(),
                    "dana@acme.example".to_owned()
                ),
                (
                    Trailer::ReviewedBy,
                    String::new(),
                    "erin@acme.example".to_owned()
                )
            ]
        );
        assert!(parse_trailers("no trailers here").is_empty());
    }
}
