//! `aims approve`: writes the approval trailers for a document's committed
//! content and has `git tag -s` sign them, so the user's own signing set-up
//! (SSH or OpenPGP) is used. The tag is then read back and verified exactly
//! as every other approval; one that would not count is deleted again and
//! the reason given.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use git2::Repository;

use crate::control::{self, AsOf, CONFIG_ID, Register, not_counted_reason, trust};
use crate::date::Date;
use crate::docs::Kind;

pub struct ApproveOptions {
    pub id: String,
    pub role: Option<String>,
    /// Record a periodic review of approved content instead of an approval.
    pub review: bool,
    pub message: Option<String>,
}

/// What was approved.
pub struct Approved {
    pub tag: String,
    pub id: String,
    pub version: u32,
    pub role: String,
    pub fingerprint: String,
    pub review: bool,
}

pub fn approve(root: &Path, opts: &ApproveOptions) -> miette::Result<Approved> {
    let repo = control::require_repository(root)?;
    let (_ws, register) = Register::open(root, &repo, &AsOf::Now)?;
    let id = opts.id.as_str();
    let entry = register.find(id)?;
    let Some(head) = control::head_commit(&repo)? else {
        miette::bail!(
            help = "commit the documents first: `git add -A && git commit`",
            "the repository has no commit yet: an approval signs committed content"
        );
    };
    if entry.state.uncommitted {
        miette::bail!(
            help =
                "commit the change first (an approval signs the committed content), or discard it",
            "{} has uncommitted changes",
            entry.path
        );
    }
    let tree = repo
        .find_commit(head)
        .and_then(|c| c.tree())
        .map_err(|e| miette::miette!("{}", e.message()))?;
    let Some((blob, _)) = crate::history::blob_at(&repo, &tree, &entry.path)
        .map_err(|e| miette::miette!("{}", e.message()))?
    else {
        miette::bail!(
            help = "commit it first: `git add` and `git commit`",
            "{} is not committed",
            entry.path
        );
    };
    let blob = blob.to_string();

    // The trust root the approval will be checked against: the approved
    // configuration, or for the very first approval of aims.toml, the
    // configuration it approves (the bootstrap).
    let bootstrap;
    let root_in_force = match (&register.trust, id == CONFIG_ID) {
        (Some(t), _) => &t.root,
        (None, true) => {
            bootstrap = trust::root_at(&repo, head)
                .map_err(|e| miette::miette!("{}", e.message()))?
                .map_err(|why| miette::miette!("{why}"))?;
            &bootstrap
        }
        (None, false) => miette::bail!(
            help = "top management approves the configuration first: `aims approve aims.toml` \
                    (see \"Trust root\" in the README)",
            "aims.toml has never been approved, so no role can approve {id} yet"
        ),
    };
    let config = &root_in_force.config;
    let kind = if id == CONFIG_ID {
        Kind::Policy
    } else {
        Kind::parse(&entry.kind).ok_or_else(|| {
            miette::miette!(
                "{id} has no valid kind, so nobody may approve it; `aims check` says what is wrong"
            )
        })?
    };
    let approvers = &config.kind_policy(kind).approvers;

    let email = tagger_email(root)?;
    let holds = |role: &str| root_in_force.trust.holds(&email, role);
    let members = || {
        approvers
            .iter()
            .map(|r| {
                let m = config.roles.get(r).map_or(String::new(), |m| m.join(", "));
                format!("{r}: {m}")
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let role = match &opts.role {
        Some(r) if !approvers.contains(r) => miette::bail!(
            help = format!("roles that may approve it: {}", approvers.join(", ")),
            "the role `{r}` may not approve {id}"
        ),
        Some(r) if !holds(r) => miette::bail!(
            help = format!("members in the approved aims.toml — {}", members()),
            "{email} does not hold the role `{r}` in the approved aims.toml"
        ),
        Some(r) => r.clone(),
        None => approvers
            .iter()
            .find(|r| holds(r))
            .cloned()
            .ok_or_else(|| {
                miette::miette!(
                    help = format!("ask one of them — {}", members()),
                    "{email} holds none of the roles that may approve {id} ({})",
                    approvers.join(", ")
                )
            })?,
    };
    let introduced = entry.revisions.iter().find(|r| r.blob == blob);
    if config.require_distinct_approver
        && let Some(rev) = introduced
        && rev.author_email.eq_ignore_ascii_case(&email)
    {
        miette::bail!(
            help = format!(
                "ask another member of an approver role — {}; a sole practitioner may set \
                 `require-distinct-approver = false` in aims.toml (and have that approved)",
                members()
            ),
            "you authored this content of {id} (commit {}), and require-distinct-approver forbids approving your own change",
            crate::history::short_id(&rev.commit)
        );
    }
    let approved = entry
        .state
        .counted
        .iter()
        .find(|(a, _)| a.claim.blob == blob)
        .map(|(_, v)| *v);
    match (opts.review, approved) {
        (true, None) => miette::bail!(
            help = format!("approve it first: `aims approve {id}`"),
            "{id}'s current content has not been approved, so there is nothing to review"
        ),
        (false, Some(v)) => miette::bail!(
            help = format!("to record a periodic review: `aims approve {id} --review`"),
            "{id}'s current content is already approved as v{v}"
        ),
        _ => {}
    }

    let decision = if opts.review { "reviewed" } else { "approved" };
    let name = tag_name(&repo, id, &blob, decision, Date::today());
    let verb = if opts.review { "Review" } else { "Approve" };
    let mut message = format!("{verb} {id} {}\n\n", entry.title.trim());
    if let Some(m) = &opts.message {
        message.push_str(m.trim());
        message.push_str("\n\n");
    }
    message.push_str(&format!(
        "Aims-Document: {id}\nAims-Path: {}\nAims-Blob: {blob}\nAims-Role: {role}\nAims-Decision: {decision}\n",
        entry.path
    ));
    sign_tag(root, &name, &message, &head.to_string())?;

    // Read it back and judge it like any other tag.
    let (_, after) = Register::open(root, &repo, &AsOf::Now)?;
    let entry = after.entry(id).expect("the document is still there");
    if let Some((a, v)) = entry.state.counted.iter().find(|(a, _)| a.tag == name) {
        return Ok(Approved {
            tag: name,
            id: id.to_owned(),
            version: *v,
            role,
            fingerprint: a.signature.fingerprint.clone(),
            review: opts.review,
        });
    }
    let reason = after
        .refused
        .iter()
        .find(|r| r.name == name)
        .and_then(|r| r.outcome.as_ref().err().map(|e| e.to_string()))
        .or_else(|| {
            entry
                .state
                .not_counted
                .iter()
                .find(|(a, _)| a.tag == name)
                .map(|(_, why)| not_counted_reason(why))
        })
        .unwrap_or_else(|| "it was not found among the approvals".to_owned());
    let deleted = Command::new("git")
        .current_dir(root)
        .args(["tag", "-d", &name])
        .output()
        .is_ok_and(|o| o.status.success());
    let what = if deleted {
        "and was deleted again"
    } else {
        "— delete it with `git tag -d`"
    };
    miette::bail!(
        help = "the signing key must be in the approved allowed-signers file (or keyring) for your \
                git user.email; add it there and have aims.toml approved (README: \"Set up signing\")",
        "git signed tag {name}, but it does not count as an approval ({reason}) {what}"
    )
}

/// A fresh tag name under `aims/`: the id, the content and the day.
fn tag_name(repo: &Repository, id: &str, blob: &str, decision: &str, today: Date) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let day = today.to_string().replace('-', "");
    let base = format!("aims/{safe}/{decision}-{day}-{}", &blob[..10]);
    let exists = |n: &str| repo.find_reference(&format!("refs/tags/{n}")).is_ok();
    if !exists(&base) {
        return base;
    }
    (2..)
        .map(|i| format!("{base}-{i}"))
        .find(|n| !exists(n))
        .expect("some suffix is free")
}

/// Runs `git tag -s` with the user's own signing configuration.
fn sign_tag(root: &Path, name: &str, message: &str, commit: &str) -> miette::Result<()> {
    let mut child = Command::new("git")
        .current_dir(root)
        .args(["tag", "-s", name, "-F", "-", commit])
        .stdin(Stdio::piped())
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| miette::miette!("cannot run git: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(message.as_bytes())
            .map_err(|e| miette::miette!("cannot write the tag message to git: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| miette::miette!("git tag failed: {e}"))?;
    if !out.status.success() {
        miette::bail!(
            help = "set up signing: `git config gpg.format ssh` and `git config user.signingkey \
                    ~/.ssh/id_ed25519.pub` (or an OpenPGP key); the README's \"Set up signing\" \
                    section shows every step",
            "git tag -s failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// The email git will write as the tagger.
fn tagger_email(root: &Path) -> miette::Result<String> {
    crate::history::ident_email(root, "GIT_COMMITTER_IDENT").map_err(|why| {
        miette::miette!(
            help = "git config user.email you@example.org",
            "git has no user.email: the approver is the tagger, named by email ({why})"
        )
    })
}
