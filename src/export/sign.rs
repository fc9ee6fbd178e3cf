//! `aims export --sign`: the manifest signed with the exporter's own git
//! signing key, and `verify-export`'s check of that signature.
//!
//! The signature covers `manifest.json` byte for byte, and the manifest
//! names every file's SHA-256, so it seals the whole package: rewriting a
//! file means rewriting the manifest, which only the signer can sign again.
//! The manifest says who signs and when (`signature`), and the signature
//! makes that claim good: it is verified for that principal at that time,
//! as `git verify-tag` verifies a tagger.
//!
//! - SSH (`gpg.format = ssh`): `ssh-keygen -Y sign -n file`, into
//!   `manifest.json.sig`. By hand: `ssh-keygen -Y verify -f allowed_signers
//!   -I EMAIL -n file -s manifest.json.sig < manifest.json`.
//! - OpenPGP (git's default): `gpg --detach-sign --armor`, into
//!   `manifest.json.asc`. By hand: `gpgv --keyring KEYRING
//!   manifest.json.asc manifest.json`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::history::allowed_signers::AllowedSigner;
use crate::history::signature::{self, Rejection, Verified};

/// The namespace SSH signatures of manifests are made in (ssh-keygen's
/// convention for files), so that no tag signature can pass for one.
pub const NAMESPACE: &str = "file";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Ssh,
    Openpgp,
}

impl Format {
    /// The signature's file name in the package.
    pub const fn file(self) -> &'static str {
        match self {
            Format::Ssh => "manifest.json.sig",
            Format::Openpgp => "manifest.json.asc",
        }
    }
}

/// `manifest.json`'s `signature`: what the signature file must prove.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Claim {
    pub format: Format,
    /// The signer's email (git's user.email): the SSH principal, or the
    /// OpenPGP user id's email.
    pub signer: String,
    /// When it was signed, Unix seconds (the time the signer's key must be
    /// valid at).
    pub signed_at: i64,
}

/// The exporter's signing set-up, read from git's own configuration.
pub struct Signer {
    root: PathBuf,
    format: Format,
    /// user.signingkey: a key file, a literal SSH public key, or an
    /// OpenPGP key id (None: gpg's default for the committer).
    key: Option<String>,
    program: String,
    email: String,
}

fn git_config(root: &Path, key: &str) -> Option<String> {
    let out = Command::new("git")
        .current_dir(root)
        .args(["config", "--get", key])
        .output()
        .ok()?;
    let value = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !value.is_empty()).then_some(value)
}

const SETUP: &str = "set up signing as for approvals: `git config gpg.format ssh` and \
                     `git config user.signingkey ~/.ssh/id_ed25519.pub` (or an OpenPGP key); \
                     the README's \"Set up signing\" section shows every step";

impl Signer {
    /// The signer git would use in `root`: gpg.format, user.signingkey,
    /// gpg[.ssh].program and user.email, as `git tag -s` reads them.
    pub fn from_git(root: &Path) -> miette::Result<Signer> {
        let format = match git_config(root, "gpg.format").as_deref() {
            None | Some("openpgp") => Format::Openpgp,
            Some("ssh") => Format::Ssh,
            Some(other) => miette::bail!(
                help = SETUP,
                "gpg.format is `{other}`: aims signs packages with SSH or OpenPGP keys"
            ),
        };
        let email = crate::history::ident_email(root, "GIT_COMMITTER_IDENT").map_err(|why| {
            miette::miette!(
                help = "git config user.email you@example.org",
                "git has no user.email: a signed package names its signer by email ({why})"
            )
        })?;
        let key = git_config(root, "user.signingkey");
        let program = match format {
            Format::Ssh => git_config(root, "gpg.ssh.program").unwrap_or("ssh-keygen".into()),
            Format::Openpgp => git_config(root, "gpg.openpgp.program")
                .or_else(|| git_config(root, "gpg.program"))
                .unwrap_or("gpg".into()),
        };
        if format == Format::Ssh && key.is_none() {
            miette::bail!(
                help = SETUP,
                "gpg.format is ssh but user.signingkey is not set: aims does not run \
                 gpg.ssh.defaultKeyCommand"
            );
        }
        Ok(Signer {
            root: root.to_path_buf(),
            format,
            key,
            program,
            email,
        })
    }

    /// What the manifest will say, signed now.
    pub fn claim(&self) -> Claim {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        Claim {
            format: self.format,
            signer: self.email.clone(),
            signed_at: now,
        }
    }

    /// Signs `manifest`; returns the signature file's name and bytes.
    pub fn sign(&self, manifest: &[u8]) -> miette::Result<(&'static str, Vec<u8>)> {
        // A literal SSH key (git's `key::` form, or a bare key) signs
        // through the agent from a file holding the public key.
        let mut _literal = None;
        let mut cmd = Command::new(&self.program);
        cmd.current_dir(&self.root);
        match self.format {
            Format::Ssh => {
                let key = self.key.as_deref().unwrap_or_default();
                let literal = key.strip_prefix("key::").or_else(|| {
                    (key.starts_with("ssh-") || key.starts_with("ecdsa-")).then_some(key)
                });
                let path = match literal {
                    Some(k) => {
                        let mut f = tempfile::NamedTempFile::new()
                            .map_err(|e| miette::miette!("cannot write a key file: {e}"))?;
                        writeln!(f, "{k}")
                            .map_err(|e| miette::miette!("cannot write a key file: {e}"))?;
                        let p = f.path().to_path_buf();
                        _literal = Some(f);
                        p
                    }
                    None => expand_home(key),
                };
                cmd.args(["-Y", "sign", "-n", NAMESPACE, "-f"]).arg(path);
            }
            Format::Openpgp => {
                cmd.args(["--status-fd=2", "--detach-sign", "--armor"]);
                match &self.key {
                    Some(k) => cmd.args(["--local-user", k]),
                    None => cmd.args(["--local-user", &self.email]),
                };
            }
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                miette::miette!(help = SETUP, "cannot run {} to sign: {e}", self.program)
            })?;
        let written = child
            .stdin
            .take()
            .map_or(Ok(()), |mut stdin| stdin.write_all(manifest));
        let out = child
            .wait_with_output()
            .map_err(|e| miette::miette!("{} failed: {e}", self.program))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() || written.is_err() || out.stdout.is_empty() {
            miette::bail!(
                help = SETUP,
                "{} could not sign the manifest: {}",
                self.program,
                stderr.trim()
            );
        }
        Ok((self.format.file(), out.stdout))
    }
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// Whose word counts for a package's signature.
pub enum Trust {
    /// Allowed signers (SSH) and a keyring (OpenPGP): the repository's
    /// trust root in force, or files given on the command line.
    Keys {
        signers: Vec<AllowedSigner>,
        keyring: Option<PathBuf>,
        /// Key fingerprints revoked by the trust root.
        revoked: Vec<String>,
        /// Where the keys came from, for the report.
        source: String,
    },
    /// Nothing to judge with: outside a repository, without a file.
    None,
}

/// A signature that verified: who and when, and the key.
pub struct Signed {
    pub claim: Claim,
    pub verified: Verified,
    pub source: String,
}

/// Verifies `signature` (the file's bytes) over `manifest` for `claim`.
pub fn verify(
    manifest: &[u8],
    signature_bytes: &[u8],
    claim: &Claim,
    trust: &Trust,
) -> Result<Signed, String> {
    let Trust::Keys {
        signers,
        keyring,
        revoked,
        source,
    } = trust
    else {
        return Err(
            "there is nothing to check it against: run verify-export inside the \
                    repository (its trust root's signers), or pass --allowed-signers FILE \
                    (SSH) or --keyring FILE (OpenPGP)"
                .to_owned(),
        );
    };
    let verified = match claim.format {
        Format::Ssh => signature::verify_ssh_for(
            NAMESPACE,
            manifest,
            signature_bytes,
            signers,
            &claim.signer,
            claim.signed_at,
        ),
        Format::Openpgp => match keyring {
            None => Err(Rejection::UnknownKey {
                fingerprint: format!("an OpenPGP key (no keyring in {source})"),
            }),
            Some(k) => crate::history::openpgp::verify(
                manifest,
                signature_bytes,
                k,
                &claim.signer,
                claim.signed_at,
            )
            .map_err(|e| format!("running gpgv: {e}"))?,
        },
    }
    .map_err(|r| r.to_string())?;
    if revoked.contains(&verified.fingerprint) {
        return Err(format!(
            "signed by {}, a key the trust root has revoked",
            verified.fingerprint
        ));
    }
    Ok(Signed {
        claim: claim.clone(),
        verified,
        source: source.clone(),
    })
}
