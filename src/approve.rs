//! `aims approve` and `aims seal`: write the approval (or seal) trailers and
//! have `git tag -s` sign them, so the user's own signing set-up (SSH or
//! OpenPGP) is used. Each tag is then read back and verified exactly as
//! every other; one that would not count is deleted again and the reason
//! given.
//!
//! What is approved follows from the register: a document's committed
//! content; its withdrawal when the commit no longer holds it; the
//! configuration's files (aims.toml with its signers, keyring and
//! revocation list) as HEAD holds them, or the first version on the branch
//! while nothing is in force (the bootstrap).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use git2::{Oid, Repository};

use crate::control::trust::{self, Root};
use crate::control::{self, AsOf, CONFIG_ID, Entry, Register, not_counted_reason};
use crate::date::Date;
use crate::docs::Kind;
use crate::history::state::State;
use crate::history::tag::Decision;

pub struct ApproveOptions {
    /// Document ids (or aims.toml).
    pub ids: Vec<String>,
    /// Also every document whose working content is not approved.
    pub all_changed: bool,
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
    pub decision: Decision,
    /// For the configuration: the commit approved, when it is not HEAD's.
    pub commit_note: Option<String>,
    /// The seal made after a configuration approval, if it counted.
    pub seal: Option<String>,
}

/// A tag about to be signed.
struct Planned {
    id: String,
    name: String,
    message: String,
    commit: Oid,
    role: String,
    decision: Decision,
    commit_note: Option<String>,
}

/// The register approvals are planned and judged by: this repository's,
/// or in a product repository, its PRDs under the upstream AIMS's trust
/// root and rules (from the cached upstream: approving never fetches).
fn register_of(root: &Path, repo: &Repository, product: bool) -> miette::Result<Register> {
    Ok(if product {
        crate::sources::product_register(root, repo, true)?.1
    } else {
        Register::open(root, repo, &AsOf::Now)?.1
    })
}

pub fn approve(root: &Path, opts: &ApproveOptions) -> miette::Result<Vec<Approved>> {
    let repo = control::require_repository(root)?;
    let product = crate::config::Config::load(root)?.upstream.is_some();
    if product
        && opts
            .ids
            .iter()
            .any(|i| i == CONFIG_ID || i.eq_ignore_ascii_case("aims.toml"))
    {
        miette::bail!(
            help = "the configuration that gives roles and keys is the upstream AIMS's; approve it there",
            "a product repository's aims.toml names its upstream and is not approved on its own"
        );
    }
    let register = register_of(root, &repo, product)?;
    let Some(head) = control::head_commit(&repo)? else {
        miette::bail!(
            help = "commit the documents first: `git add -A && git commit`",
            "the repository has no commit yet: an approval signs committed content"
        );
    };
    if let Some(r) = &opts.role
        && !register.policy.has_role(r)
    {
        let names: Vec<&str> = register.policy.roles.keys().map(String::as_str).collect();
        let help = match crate::rules::document::closest(r, &names) {
            Some(c) => format!("did you mean {c}? Roles: {}", names.join(", ")),
            None => format!("roles in the approved aims.toml: {}", names.join(", ")),
        };
        miette::bail!(
            help = help,
            "there is no role `{r}` in the approved aims.toml"
        );
    }
    let mut ids: Vec<String> = Vec::new();
    for id in &opts.ids {
        let entry = register.find(id)?;
        if !ids.contains(&entry.id) {
            ids.push(entry.id.clone());
        }
    }
    if opts.all_changed {
        for e in register.entries.iter().filter(|e| waiting(e)) {
            if !ids.contains(&e.id) {
                ids.push(e.id.clone());
            }
        }
    }
    if ids.is_empty() {
        if opts.all_changed {
            miette::bail!(
                help = "`aims status` shows every document's state",
                "every document's content is already approved: nothing to approve"
            );
        }
        miette::bail!(
            help = "e.g. `aims approve POL-001`, or `aims approve --all-changed`",
            "name what to approve"
        );
    }
    let email = tagger_email(root)?;
    let mut planned = Vec::new();
    let mut taken = Vec::new();
    for id in &ids {
        let entry = register.find(id)?;
        let p = plan(&repo, &register, entry, head, &email, opts, &taken)?;
        taken.push(p.name.clone());
        planned.push(p);
    }
    for p in &planned {
        if let Err(e) = sign_tag(root, &p.name, &p.message, &p.commit.to_string()) {
            // Keep what was signed before the failure: each tag stands alone.
            let done = planned
                .iter()
                .take_while(|q| q.name != p.name)
                .map(|q| q.name.as_str())
                .collect::<Vec<_>>();
            if done.is_empty() {
                return Err(e);
            }
            return Err(e.wrap_err(format!(
                "signed {} tag(s) before this one failed: {}",
                done.len(),
                done.join(", ")
            )));
        }
    }

    // Read them back and judge them like any other tag.
    let after = register_of(root, &repo, product)?;
    let mut out = Vec::new();
    let mut refused = Vec::new();
    for p in planned {
        match verdict(&after, &p) {
            Ok((version, fingerprint)) => out.push(Approved {
                tag: p.name,
                id: p.id,
                version,
                role: p.role,
                fingerprint,
                decision: p.decision,
                commit_note: p.commit_note,
                seal: None,
            }),
            Err(reason) => {
                let deleted = delete_tag(root, &p.name);
                let what = if deleted {
                    "and was deleted again"
                } else {
                    "— delete it with `git tag -d`"
                };
                refused.push(format!(
                    "git signed tag {}, but it does not count as an approval of {} ({reason}) {what}",
                    p.name, p.id
                ));
            }
        }
    }
    if !refused.is_empty() {
        let kept = if out.is_empty() {
            String::new()
        } else {
            format!(
                "; kept the {} that count: {}",
                out.len(),
                out.iter()
                    .map(|a| a.tag.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        miette::bail!(
            help = "the signing key must be in the approved allowed-signers file (or keyring) for \
                    your git user.email; add it there and have aims.toml approved (README: \"Set up \
                    signing\")",
            "{}{kept}",
            refused.join("\n")
        );
    }
    // A configuration approval is sealed at once: every approval record
    // that exists now is listed, so none can be back-dated before it.
    if let Some(i) = out.iter().position(|a| a.id == CONFIG_ID) {
        out[i].seal = seal_now(root, &repo)?.ok();
    }
    Ok(out)
}

/// Whether a document's working content waits for an approval.
fn waiting(e: &Entry) -> bool {
    e.state.state == State::NeverApproved
        || (e.state.state == State::ChangedSinceApproval && !e.state.uncommitted)
}

/// The tag that approves `entry` as it stands, or why it cannot be made.
fn plan(
    repo: &Repository,
    register: &Register,
    entry: &Entry,
    head: Oid,
    email: &str,
    opts: &ApproveOptions,
    taken: &[String],
) -> miette::Result<Planned> {
    let id = entry.id.as_str();
    let git = control::git_error;
    if entry.state.uncommitted {
        miette::bail!(
            help =
                "commit the change first (an approval signs the committed content), or discard it",
            "{} has uncommitted changes",
            entry.path
        );
    }
    // What is approved, in which commit, under which trust root.
    let bootstrap;
    let (commit, blob, path, decision, judge, commit_note): (
        Oid,
        String,
        String,
        Decision,
        &Root,
        _,
    ) = if id == CONFIG_ID {
        let (commit, note, judge) = match register.chain.in_force() {
            Some(v) => (
                head,
                None,
                v.root.as_ref().map_err(|e| miette::miette!("{e}"))?,
            ),
            None => {
                // The bootstrap: the first version that names a key,
                // approved against itself.
                let Some(first) = register
                    .chain
                    .versions
                    .iter()
                    .find(|v| v.root.as_ref().is_ok_and(Root::names_a_key))
                else {
                    miette::bail!(
                        help = "add the approvers' public keys to the allowed-signers file \
                                    (README: \"Set up signing\") and commit it",
                        "no committed configuration names a signer key, so nobody can approve it"
                    );
                };
                let commit = Oid::from_str(&first.commit).map_err(git)?;
                bootstrap = first
                    .root
                    .as_ref()
                    .map_err(|e| miette::miette!("{e}"))?
                    .clone();
                let note = (commit != head).then(|| {
                        format!(
                            "the first configuration on the branch (commit {}, {}) is the bootstrap \
                             and is approved first; run `aims approve aims.toml` again for the current one",
                            crate::history::short_id(&first.commit),
                            Date::from_unix(first.time)
                        )
                    });
                (commit, note, &bootstrap)
            }
        };
        let files = trust::files_of_commit(repo, commit).map_err(git)?;
        let blob = files.config.clone().unwrap_or_default();
        let in_force = register.chain.in_force().map(|v| &v.files);
        let decision = if opts.review {
            Decision::Reviewed
        } else {
            Decision::Approved
        };
        match (opts.review, in_force == Some(&files)) {
            (true, false) => miette::bail!(
                help = "approve it first: `aims approve aims.toml`",
                "the committed configuration is not the one in force, so there is nothing to review"
            ),
            (false, true) => miette::bail!(
                help = "to record a periodic review: `aims approve aims.toml --review`",
                "the committed configuration (aims.toml and its trust files) is already approved \
                     and in force as v{}",
                entry.state.version.unwrap_or(0)
            ),
            _ => {}
        }
        if !register.trust_changes.is_empty() && note.is_none() {
            let dirty: Vec<&str> = register
                .trust_changes
                .iter()
                .filter(|c| c.uncommitted)
                .map(|c| c.path.as_str())
                .collect();
            if !dirty.is_empty() {
                miette::bail!(
                    help = "commit them first: an approval signs committed content",
                    "trust files have uncommitted changes: {}",
                    dirty.join(", ")
                );
            }
        }
        (commit, blob, CONFIG_ID.to_owned(), decision, judge, note)
    } else {
        let judge = match register.chain.in_force().and_then(|v| v.root.as_ref().ok()) {
            Some(r) => r,
            None => miette::bail!(
                help = "top management approves the configuration first: `aims approve aims.toml` \
                            (see \"Trust root\" in the README)",
                "aims.toml has never been approved, so no role can approve {id} yet"
            ),
        };
        let withdrawing = entry.state.removed && entry.state.version.is_some();
        let tree = repo.find_commit(head).and_then(|c| c.tree()).map_err(git)?;
        let (blob, decision) = if withdrawing {
            if opts.review {
                miette::bail!("{id} is removed from the branch: there is nothing to review");
            }
            let last = entry
                .revisions
                .iter()
                .rev()
                .find(|r| !r.is_removal())
                .map(|r| r.blob.to_string())
                .unwrap_or_default();
            (last, Decision::Withdrawn)
        } else {
            let Some((blob, _)) = crate::history::blob_at(repo, &tree, &entry.path).map_err(git)?
            else {
                miette::bail!(
                    help = "commit it first: `git add` and `git commit`",
                    "{} is not committed",
                    entry.path
                );
            };
            let d = if opts.review {
                Decision::Reviewed
            } else {
                Decision::Approved
            };
            (blob.to_string(), d)
        };
        if entry.state.state == State::Withdrawn {
            miette::bail!("{id} is already withdrawn");
        }
        let approved = entry
            .state
            .counted
            .iter()
            .find(|(a, _)| a.claim.blob == blob && a.claim.decision != Decision::Withdrawn)
            .map(|(_, v)| *v);
        match (decision, approved) {
            (Decision::Reviewed, None) => miette::bail!(
                help = format!("approve it first: `aims approve {id}`"),
                "{id}'s current content has not been approved, so there is nothing to review"
            ),
            (Decision::Approved, Some(v)) => miette::bail!(
                help = format!("to record a periodic review: `aims approve {id} --review`"),
                "{id}'s current content is already approved as v{v}"
            ),
            (Decision::Withdrawn, None) => miette::bail!(
                "{id}'s last content was never approved: a withdrawal needs no approval"
            ),
            _ => {}
        }
        (head, blob, entry.path.clone(), decision, judge, None)
    };

    // The role: the one asked for, or the first the signer holds that may
    // approve this. The kind is that of the content in force.
    let config = &judge.config;
    let kind = if id == CONFIG_ID {
        Kind::Policy
    } else {
        let in_force_kind = entry
            .state
            .last_approved_blob()
            .and_then(|b| entry.revisions.iter().find(|r| r.blob == b))
            .and_then(|r| r.kind.clone())
            .unwrap_or_else(|| entry.kind.as_str().into());
        Kind::parse(&in_force_kind).ok_or_else(|| {
            miette::miette!(
                "{id} has no valid kind, so nobody may approve it; `aims check` says what is wrong"
            )
        })?
    };
    let approvers = &config.kind_policy(kind).approvers;
    let holds = |role: &str| judge.trust.holds(email, role);
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
    if config.require_distinct_approver && id != CONFIG_ID {
        let introduced = match decision {
            Decision::Withdrawn => entry.revisions.iter().rev().find(|r| r.is_removal()),
            _ => entry.revisions.iter().find(|r| r.blob == blob),
        };
        if let Some(rev) = introduced
            && rev.author_email.eq_ignore_ascii_case(email)
        {
            miette::bail!(
                help = format!(
                    "ask another member of an approver role — {}; a sole practitioner may set \
                     `require-distinct-approver = false` in aims.toml (and have that approved)",
                    members()
                ),
                "you authored this change of {id} (commit {}), and require-distinct-approver forbids approving your own change",
                crate::history::short_id(&rev.commit)
            );
        }
    }

    let name = tag_name(repo, id, &blob, decision.as_str(), Date::today(), taken);
    let verb = match decision {
        Decision::Approved => "Approve",
        Decision::Reviewed => "Review",
        Decision::Withdrawn => "Withdraw",
    };
    let mut message = format!("{verb} {id} {}\n\n", entry.title.trim());
    if let Some(m) = &opts.message {
        message.push_str(m.trim());
        message.push_str("\n\n");
    }
    message.push_str(&format!(
        "Aims-Document: {id}\nAims-Path: {path}\nAims-Blob: {blob}\nAims-Role: {role}\nAims-Decision: {}\n",
        decision.as_str()
    ));
    Ok(Planned {
        id: id.to_owned(),
        name,
        message,
        commit,
        role,
        decision,
        commit_note,
    })
}

/// How a signed tag fared when read back: the version it made or
/// confirmed and the key's fingerprint, or why it does not count.
fn verdict(after: &Register, p: &Planned) -> Result<(u32, String), String> {
    let entry = after.entry(&p.id).ok_or("the document is gone")?;
    if let Some((a, v)) = entry.state.counted.iter().find(|(a, _)| a.tag == p.name) {
        return Ok((*v, a.signature.fingerprint.clone()));
    }
    if let Some(a) = entry.state.pending.iter().find(|a| a.tag == p.name) {
        // Content on this branch only (approved before a merge elsewhere):
        // it counts where the content lands.
        return Ok((0, a.signature.fingerprint.clone()));
    }
    Err(after
        .refused
        .iter()
        .find(|r| r.name == p.name)
        .and_then(|r| r.outcome.as_ref().err().map(|e| e.to_string()))
        .or_else(|| {
            entry
                .state
                .not_counted
                .iter()
                .find(|(a, _)| a.tag == p.name)
                .map(|(_, why)| not_counted_reason(why))
        })
        .unwrap_or_else(|| "it was not found among the approvals".to_owned()))
}

/// `aims seal`: signs a seal listing every tag object under
/// `refs/tags/aims/`, so that no approval can later be back-dated before
/// it. Returns the seal's tag name.
pub fn seal(root: &Path) -> miette::Result<String> {
    let repo = control::require_repository(root)?;
    match seal_now(root, &repo)? {
        Ok(name) => Ok(name),
        Err(why) => miette::bail!(
            help = "a seal is signed by a member of a role that approves the configuration \
                    (by default top-management), with a key in the approved allowed signers",
            "{why}"
        ),
    }
}

/// Signs a seal and checks it counts; Ok(Err(why)) when it was signed but
/// does not count (it is deleted again).
fn seal_now(root: &Path, repo: &Repository) -> miette::Result<Result<String, String>> {
    let git = control::git_error;
    let (_, register) = Register::open(root, repo, &AsOf::Now)?;
    let Some(head) = control::head_commit(repo)? else {
        miette::bail!("the repository has no commit yet");
    };
    let Some(in_force) = register.chain.in_force().and_then(|v| v.root.as_ref().ok()) else {
        miette::bail!(
            help = "`aims approve aims.toml` first",
            "no configuration is in force, so nobody can sign a seal"
        );
    };
    let email = tagger_email(root)?;
    let Some(role) = in_force
        .configuration_approvers()
        .iter()
        .find(|r| in_force.trust.holds(&email, r))
        .cloned()
    else {
        return Ok(Err(format!(
            "{email} holds none of the roles that approve the configuration ({})",
            in_force.configuration_approvers().join(", ")
        )));
    };
    let records = crate::history::approvals::read(repo).map_err(git)?;
    let mut ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    ids.sort();
    let mut message = format!(
        "Seal {} approval record{}\n\nAims-Role: {role}\nAims-Decision: sealed\n",
        ids.len(),
        if ids.len() == 1 { "" } else { "s" }
    );
    for id in &ids {
        message.push_str(&format!("Aims-Sealed: {id}\n"));
    }
    let day = Date::today().to_string().replace('-', "");
    let base = format!("aims/seal/{day}-{}", crate::history::short_id_of(&head));
    let name = free_name(repo, &base, &[]);
    sign_tag(root, &name, &message, &head.to_string())?;
    let (_, after) = Register::open(root, repo, &AsOf::Now)?;
    if after.seals.iter().any(|s| s.name == name) {
        return Ok(Ok(name));
    }
    let why = after
        .refused
        .iter()
        .find(|r| r.name == name)
        .and_then(|r| r.outcome.as_ref().err().map(|e| e.to_string()))
        .unwrap_or_else(|| "it was not found among the seals".to_owned());
    delete_tag(root, &name);
    Ok(Err(format!(
        "the seal {name} does not count ({why}) and was deleted again"
    )))
}

/// A fresh tag name under `aims/`: the id, the decision, the day and the
/// content.
fn tag_name(
    repo: &Repository,
    id: &str,
    blob: &str,
    decision: &str,
    today: Date,
    taken: &[String],
) -> String {
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
    let short = blob.get(..10).unwrap_or(blob);
    free_name(
        repo,
        &format!("aims/{safe}/{decision}-{day}-{short}"),
        taken,
    )
}

/// `base`, or `base-N` for the first N that names no tag yet.
fn free_name(repo: &Repository, base: &str, taken: &[String]) -> String {
    let exists = |n: &str| {
        taken.iter().any(|t| t == n) || repo.find_reference(&format!("refs/tags/{n}")).is_ok()
    };
    if !exists(base) {
        return base.to_owned();
    }
    (2..)
        .map(|i| format!("{base}-{i}"))
        .find(|n| !exists(n))
        .expect("some suffix is free")
}

fn delete_tag(root: &Path, name: &str) -> bool {
    Command::new("git")
        .current_dir(root)
        .args(["tag", "-d", name])
        .output()
        .is_ok_and(|o| o.status.success())
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
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        if lost_race(&stderr) {
            miette::bail!(
                help = "see who approved it with `aims log`; run `aims approve` again only if \
                        another approval is still needed",
                "{name} was already approved concurrently: another `aims approve` created that \
                 tag while this one was signing, so nothing was written"
            );
        }
        if needs_passphrase(&stderr) {
            miette::bail!(
                help = "add the key to an agent once per session (`eval \"$(ssh-agent)\"` and \
                        `ssh-add ~/.ssh/aims_ed25519`; for OpenPGP, gpg-agent with a pinentry), \
                        or run aims from a terminal",
                "signing needs your key's passphrase, but there is no terminal or agent to ask for it \
                 (git tag -s: {stderr})"
            );
        }
        miette::bail!(
            help = "set up signing: `git config gpg.format ssh` and `git config user.signingkey \
                    ~/.ssh/id_ed25519.pub` (or an OpenPGP key); the README's \"Set up signing\" \
                    section shows every step",
            "git tag -s failed: {stderr}"
        );
    }
    Ok(())
}

/// Whether `git tag` lost a race for the tag's name: another process
/// created the reference between the name's choice and git's write.
fn lost_race(stderr: &str) -> bool {
    stderr.contains("already exists")
}

/// Whether git's signing failed for want of a passphrase prompt: ssh-keygen
/// without a terminal or agent, or gpg without a pinentry.
fn needs_passphrase(stderr: &str) -> bool {
    let s = stderr.to_ascii_lowercase();
    [
        "passphrase",
        "/dev/tty",
        "inappropriate ioctl",
        "no pinentry",
        "pinentry",
        "no agent running",
    ]
    .iter()
    .any(|k| s.contains(k))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passphrase_failures_are_recognised() {
        assert!(needs_passphrase(
            "error: Load key \"/home/d/.ssh/k\": incorrect passphrase supplied to decrypt private key"
        ));
        assert!(needs_passphrase(
            "gpg: signing failed: Inappropriate ioctl for device"
        ));
        assert!(!needs_passphrase("fatal: tag 'aims/x' already exists"));
    }
}
