//! The gates: what the pre-commit and pre-push hooks ask before a change
//! lands on a protected branch.
//!
//! - [`staged`] (`aims check --staged`) reads the index, not the working
//!   tree: the document rules for the staged documents, and on a protected
//!   branch, for each staged change to an approved document (or aims.toml),
//!   whether the new content carries an approval that counts. It reads the
//!   history of the staged documents only (the revision walk is narrowed to
//!   their paths), so its cost follows what is staged.
//! - [`pre_push`] (`aims check --pre-push`) reads git's pre-push lines (or
//!   the pre-commit framework's `PRE_COMMIT_*` variables): every controlled
//!   document a push to a protected branch changes must be approved at its
//!   new content. It builds the full register of the pushed commit.
//!
//! Both judge approvals exactly as `aims status` does: the same register,
//! the same trust root from the approved aims.toml.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use git2::{Oid, Repository};

use crate::config::Config;
use crate::control::{self, CONFIG_ID, Entry, Register};
use crate::docs::{Kind, Loaded};
use crate::finding::Finding;
use crate::history::approvals;
use crate::history::revisions::{self, Revision};
use crate::history::state::{ControlState, State};
use crate::rules::{self, control::UNAPPROVED_ON_PROTECTED};
use crate::workspace::Workspace;

/// Findings, with the workspace they point into (for a gate, or the full check).
pub struct Checked {
    pub ws: Workspace,
    pub findings: Vec<Finding>,
}

/// The pre-commit gate: the index as `git commit` is about to record it.
pub fn staged(root: &Path) -> miette::Result<Checked> {
    let repo = control::require_repository(root)?;
    let git = control::git_error;
    // `git commit -a` and `git commit PATHS` stage into a temporary index
    // and name it in GIT_INDEX_FILE for the hooks.
    let index_path = match std::env::var_os("GIT_INDEX_FILE") {
        Some(file) => std::path::PathBuf::from(file),
        None => repo.path().join("index"),
    };
    let index = crate::history::index::Index::open(&repo, &index_path).map_err(git)?;
    let staged = crate::workspace::index_files(&repo, &index)?;
    let head = control::head_commit(&repo)?;
    let head_tree = match head {
        Some(h) => Some(repo.find_commit(h).and_then(|c| c.tree()).map_err(git)?),
        None => None,
    };
    // The staged changes: files whose staged blob is not HEAD's (git's
    // cached trees spare reading the folders that have none); with no
    // commit yet, every staged file.
    let wanted: Vec<(&str, Oid)> = staged
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.id))
        .chain([(crate::config::FILE_NAME, staged.config_blob)])
        .collect();
    let changed: BTreeMap<String, Oid> = match &head_tree {
        None => wanted,
        Some(tree) => index.changed(&repo, tree, &wanted).map_err(git)?,
    }
    .into_iter()
    .map(|(path, id)| (path.to_owned(), id))
    .collect();

    // Document rules for the staged files and the ids they carry, with
    // references resolved against the whole staged AIMS: the staged
    // documents (and any other file with one of their ids) are read in
    // full, the others known by id and kind.
    if staged.config.upstream.is_some() {
        // A product repository: its staged PRDs against the cached upstream,
        // with every PRD of the index read (they are few, and a PRD may
        // name another).
        let (ws, _) = Workspace::from_index(root, &repo, &staged, &|_| true)?;
        let changed: BTreeSet<String> = changed.keys().cloned().collect();
        return crate::product::staged(root, &repo, ws, &changed);
    }
    let (ws, identities) =
        Workspace::from_index(root, &repo, &staged, &|p| changed.contains_key(p))?;
    let mut targets: rules::document::Targets<'_> = BTreeMap::new();
    for (id, kind) in identities.iter().flatten() {
        targets
            .entry(id.as_str())
            .or_insert_with(|| kind.as_deref().and_then(Kind::parse));
    }
    let staged_ids: BTreeSet<&str> = ws
        .documents()
        .filter(|d| changed.contains_key(d.path.as_str()))
        .filter_map(|d| d.id())
        .collect();
    let mut findings: Vec<Finding> = rules::check_documents_with(&ws, &targets)
        .into_iter()
        .filter(|f| {
            f.path.as_deref().is_some_and(|p| changed.contains_key(p))
                || f.document
                    .as_deref()
                    .is_some_and(|d| staged_ids.contains(d))
        })
        .collect();

    let (Some(head), Some(head_tree)) = (head, head_tree) else {
        return Ok(Checked { ws, findings }); // the first commit: nothing approved yet
    };
    let Some(branch) = current_branch(&repo) else {
        return Ok(Checked { ws, findings }); // detached HEAD: not a branch
    };
    // Protected by the staged or the committed configuration (the
    // approved one is consulted below): an edit cannot unprotect itself.
    let committed = crate::history::blob_at(&repo, &head_tree, crate::config::FILE_NAME)
        .map_err(git)?
        .and_then(|(_, bytes)| Config::parse(std::str::from_utf8(&bytes).ok()?).ok());
    let mut protected = is_protected(&ws.config, &branch)
        || committed.as_ref().is_some_and(|c| is_protected(c, &branch));
    if !protected {
        // Neither protects it; the approved configuration might (an edit
        // that drops the branch from protected-branches is itself a change
        // to approve). Its trust chain needs aims.toml's history only.
        protected =
            approved_config(root, &repo, &ws, head)?.is_some_and(|c| is_protected(&c, &branch));
    }
    if !protected {
        return Ok(Checked { ws, findings });
    }

    // Approved documents the index no longer holds as such: deleted, or
    // left without a readable frontmatter or without their id.
    let all_ids: BTreeSet<&str> = targets.keys().copied().collect();
    let removed =
        removed_documents(&repo, &head_tree, &ws.config, &staged, &all_ids).map_err(git)?;

    let asked: BTreeSet<&str> = staged_ids
        .iter()
        .copied()
        .chain(removed.iter().map(|(id, _, _)| id.as_str()))
        .collect();
    // The staged documents' history: their paths now and the paths their
    // approvals name (a document moved since its approval). Only their
    // approvals are read (with the configuration's and the seals).
    let records = approvals::read_for(&repo, &asked).map_err(git)?;
    let loaded: Vec<Loaded> = ws
        .loaded
        .iter()
        .filter(|l| {
            matches!(l, Loaded::Document(d)
                if d.id().is_some() && changed.contains_key(d.path.as_str()))
        })
        .cloned()
        .collect();
    let mut paths: BTreeSet<(String, bool)> = loaded
        .iter()
        .map(|l| {
            (
                l.path().to_owned(),
                matches!(l, Loaded::Document(d) if d.is_prd),
            )
        })
        .collect();
    for (_, path, _) in &removed {
        if let Some(is_prd) = ws.config.classify_path(path) {
            paths.insert((path.clone(), is_prd));
        }
    }
    for record in &records {
        if let Some(claim) = record.claim()
            && asked.contains(claim.document.as_str())
            && let Some(is_prd) = ws.config.classify_path(&claim.path)
        {
            paths.insert((claim.path.clone(), is_prd));
        }
    }
    let paths: Vec<(String, bool)> = paths.into_iter().collect();
    let narrowed = Workspace {
        root: root.to_path_buf(),
        config: ws.config.narrowed(&paths),
        loaded,
        sources: Vec::new(),
        context: 0,
        unread: 0,
    };
    // (id, path, staged blob) of each staged document.
    let staged_docs: Vec<(&str, &str, Oid)> = narrowed
        .documents()
        .filter_map(|d| Some((d.id()?, d.path.as_str(), *changed.get(d.path.as_str())?)))
        .collect();
    let only: BTreeSet<String> = asked.iter().map(|id| (*id).to_owned()).collect();
    let now = control::now();
    let register = Register::build_for(
        &narrowed,
        &repo,
        Some(head),
        now,
        false,
        &records,
        Some(control::Narrowed {
            only: &only,
            full: &ws.config,
        }),
    )?;
    let approved = register.trust.as_ref().map(|a| &a.root.config);
    if approved.is_some_and(|c| !is_protected(c, &branch)) && !is_protected(&ws.config, &branch) {
        // Only a committed, unapproved edit protected it: the approved
        // configuration does not.
        return Ok(Checked { ws, findings });
    }
    let policy_config = &register.policy;
    let author = crate::history::ident_email(root, "GIT_AUTHOR_IDENT").unwrap_or_default();
    let staged_revision = |path: &str, blob: String, kind: Option<String>| Revision {
        commit: "(staged)".into(),
        author_name: "".into(),
        author_email: (&author).into(),
        committer_email: (&author).into(),
        time: now,
        blob: blob.into(),
        path: path.into(),
        kind: kind.map(Into::into),
    };

    let mut seen = BTreeSet::new();
    for &(id, path, blob) in &staged_docs {
        if !seen.insert(id) {
            continue; // a duplicate id: DOC009 says so
        }
        let Some(entry) = register.entry(id) else {
            continue;
        };
        let kind = narrowed
            .documents()
            .find(|d| d.path == path)
            .and_then(|d| d.kind_name())
            .map(str::to_owned);
        let after = register.derive_with(entry, staged_revision(path, blob.to_string(), kind), now);
        if let Some(f) = judge_staged(entry, &after, &branch, Change::Content) {
            findings.push(finish(f, entry, policy_config, path, &ws));
        }
    }
    for (id, path, _) in &removed {
        let Some(entry) = register.entry(id) else {
            continue;
        };
        let removal = staged_revision(path, revisions::NO_CONTENT.to_owned(), None);
        let after = register.derive_with(entry, removal, now);
        if let Some(f) = judge_staged(entry, &after, &branch, Change::Removal) {
            findings.push(finish(f, entry, policy_config, path, &ws));
        }
    }
    // The configuration: a staged change to any trust file needs a
    // configuration approval of exactly the staged files.
    if let Some(in_force) = &register.trust {
        let staged = staged_trust_files(&index, &ws.config).map_err(git)?;
        let committed = crate::control::trust::files_of_commit(&repo, head).map_err(git)?;
        if staged != committed {
            let mut approved_here = false;
            for a in &register.config.state.pending {
                let tagged = Oid::from_str(&a.commit)
                    .and_then(|c| crate::control::trust::files_of_commit(&repo, c));
                approved_here |= tagged.is_ok_and(|f| f == staged);
            }
            if !approved_here {
                let version = register.config.state.version.unwrap_or(0);
                let last = format!(
                    " (last approved by {} as {} on {})",
                    in_force.approval.signer_email,
                    in_force.approval.claim.role,
                    crate::date::Date::from_unix(in_force.approval.time)
                );
                let f = Finding::new(
                    &UNAPPROVED_ON_PROTECTED,
                    format!(
                        "the configuration `aims.toml` is approved at v{version}{last}; this commit changes \
                         it or a trust file it names on protected branch `{branch}`, and the new \
                         configuration has no approval"
                    ),
                );
                let path = crate::config::FILE_NAME;
                findings.push(finish(
                    f,
                    &register.config,
                    &in_force.root.config,
                    path,
                    &ws,
                ));
            }
        }
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(Checked { ws, findings })
}

/// The configuration in force at `commit`, from the trust chain alone.
fn approved_config(
    root: &Path,
    repo: &Repository,
    ws: &Workspace,
    commit: Oid,
) -> miette::Result<Option<Config>> {
    let trust_only = Workspace {
        root: root.to_path_buf(),
        config: ws.config.narrowed(&[]),
        loaded: Vec::new(),
        sources: Vec::new(),
        context: 0,
        unread: 0,
    };
    let records = approvals::read_for(repo, &BTreeSet::new()).map_err(control::git_error)?;
    let none = BTreeSet::new();
    let register = Register::build_for(
        &trust_only,
        repo,
        Some(commit),
        control::now(),
        false,
        &records,
        Some(control::Narrowed {
            only: &none,
            full: &ws.config,
        }),
    )?;
    Ok(register.trust.map(|a| a.root.config))
}

/// What a staged change does to a document.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Change {
    Content,
    Removal,
}

/// Approved documents of HEAD that the index no longer holds as such:
/// (id, path, blob at HEAD). A document whose id is staged at another path
/// moved; it is not removed.
fn removed_documents(
    repo: &Repository,
    head_tree: &git2::Tree<'_>,
    config: &Config,
    staged: &crate::workspace::IndexFiles,
    staged_ids: &BTreeSet<&str>,
) -> Result<Vec<(String, String, Oid)>, git2::Error> {
    let mut out = Vec::new();
    let prefixes = crate::workspace::glob_bases(config);
    let mut before: Vec<(String, Oid, bool)> = Vec::new();
    head_tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        let dir = dir.trim_end_matches('/');
        // Descend only where a glob can match.
        if entry.kind() == Some(git2::ObjectType::Tree) {
            let path = if dir.is_empty() {
                entry.name().unwrap_or_default().to_owned()
            } else {
                format!("{dir}/{}", entry.name().unwrap_or_default())
            };
            return if crate::workspace::reaches(&prefixes, &path) {
                git2::TreeWalkResult::Ok
            } else {
                git2::TreeWalkResult::Skip
            };
        }
        if let Ok(name) = entry.name() {
            let path = if dir.is_empty() {
                name.to_owned()
            } else {
                format!("{dir}/{name}")
            };
            if let Some(is_prd) = config.classify_path(&path)
                && staged.blob(&path) != Some(entry.id())
            {
                before.push((path, entry.id(), is_prd));
            }
        }
        git2::TreeWalkResult::Ok
    })?;
    for (path, blob, is_prd) in before {
        let content = repo.find_blob(blob)?;
        let Loaded::Document(d) = crate::docs::load(&path, content.content(), is_prd) else {
            continue;
        };
        let Some(id) = d.id() else { continue };
        if !staged_ids.contains(id) {
            out.push((id.to_owned(), path, blob));
        }
    }
    Ok(out)
}

/// The trust files as the index holds them (paths from the staged aims.toml).
fn staged_trust_files(
    index: &crate::history::index::Index,
    config: &Config,
) -> Result<crate::control::trust::TrustFiles, git2::Error> {
    let id = |path: &str| index.get(path).map(|e| e.id.to_string());
    Ok(crate::control::trust::TrustFiles {
        config: id(crate::config::FILE_NAME),
        signers: id(&config.allowed_signers),
        keyring: config.gpg_keyring.as_deref().and_then(id),
        revoked: config.revoked_keys.as_deref().and_then(id),
    })
}

/// The finding for a staged change to an approved document whose new
/// state (`after`) would not be approved, or None.
fn judge_staged(
    entry: &Entry,
    after: &ControlState,
    branch: &str,
    change: Change,
) -> Option<Finding> {
    let version = entry.state.version?; // never approved: a draft may change
    let fine = match change {
        Change::Content => after.state != State::ChangedSinceApproval,
        Change::Removal => after.state == State::Withdrawn,
    };
    if fine || entry.state.state == State::Withdrawn {
        return None;
    }
    let last = match entry.state.last_approval() {
        Some(a) => format!(
            " (last approved by {} as {} on {})",
            a.signer_email,
            a.claim.role,
            crate::date::Date::from_unix(a.time)
        ),
        None => String::new(),
    };
    let what = format!("`{}` ({})", entry.id, entry.title);
    Some(Finding::new(
        &UNAPPROVED_ON_PROTECTED,
        match change {
            Change::Content => format!(
                "{what} is approved at v{version}{last}; this commit changes it on protected branch \
                 `{branch}`, and the new content has no approval"
            ),
            Change::Removal => format!(
                "{what} is approved at v{version}{last}; this commit removes it (or leaves it without \
                 its id) on protected branch `{branch}`, and the withdrawal has no approval"
            ),
        },
    ))
}

/// Adds the way forward and the location to a gate finding.
fn finish(f: Finding, entry: &Entry, config: &Config, path: &str, ws: &Workspace) -> Finding {
    let kind = if entry.id == CONFIG_ID {
        Kind::Policy
    } else {
        Kind::parse(&entry.kind).unwrap_or(Kind::Record)
    };
    let roles = &config.kind_policy(kind).approvers;
    let f = f.document(Some(&entry.id)).help(format!(
        "commit it on a branch instead (`git switch -c change/{id}` keeps what is staged), open a pull request, \
         and ask {who} to run `aims approve {id}` there",
        id = entry.id,
        who = approvers(roles, config),
    ));
    match ws.source(path) {
        Some(source) => f.at(path, source, Some(0..0)),
        None => f.at_line(path, 1),
    }
}

/// "top-management (dana@…, erin@…) or ai-governance-lead (alice@…)".
fn approvers(roles: &[String], config: &Config) -> String {
    if roles.is_empty() {
        return "an approver (no role may approve this kind: see [kinds] in aims.toml)".into();
    }
    roles
        .iter()
        .map(|r| match config.roles.get(r).filter(|m| !m.is_empty()) {
            Some(members) => format!("{r} ({})", members.join(", ")),
            None => format!("{r} (no members)"),
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// One ref a push updates, as git's pre-push hook reads it on stdin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Update {
    pub local_ref: String,
    /// None when the push deletes the remote ref.
    pub local: Option<Oid>,
    pub remote_ref: String,
    /// None when the remote does not have the ref yet.
    pub remote: Option<Oid>,
}

/// Parses git's pre-push lines: `<local ref> <local oid> <remote ref> <remote oid>`.
pub fn parse_updates(text: &str) -> miette::Result<Vec<Update>> {
    let oid = |s: &str| -> miette::Result<Option<Oid>> {
        // Oid::from_str also takes abbreviations; git passes full ids.
        let full = matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit());
        let id = Oid::from_str(s)
            .ok()
            .filter(|_| full)
            .ok_or_else(|| miette::miette!("`{s}` is not a full object id"))?;
        Ok((!id.is_zero()).then_some(id))
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let [local_ref, local, remote_ref, remote] = parts[..] else {
                miette::bail!(
                    help = "git's pre-push hook passes `<local ref> <local oid> <remote ref> <remote oid>` per line",
                    "cannot read the pre-push line `{line}`"
                );
            };
            Ok(Update {
                local_ref: local_ref.to_owned(),
                local: oid(local)?,
                remote_ref: remote_ref.to_owned(),
                remote: oid(remote)?,
            })
        })
        .collect()
}

/// The update the pre-commit framework describes in `PRE_COMMIT_FROM_REF`,
/// `PRE_COMMIT_TO_REF` and `PRE_COMMIT_REMOTE_BRANCH`, when it does.
pub fn update_from_env(repo_root: &Path) -> miette::Result<Option<Update>> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if var("PRE_COMMIT_REMOTE_BRANCH").is_none() && var("PRE_COMMIT_TO_REF").is_none() {
        return Ok(None);
    }
    let repo = control::require_repository(repo_root)?;
    // `pre-commit run --from-ref --to-ref` without --remote-branch: the
    // push goes to the branch of the same name.
    let remote_ref = match var("PRE_COMMIT_REMOTE_BRANCH") {
        Some(r) => r,
        None => match var("PRE_COMMIT_LOCAL_BRANCH") {
            Some(l) if l.starts_with("refs/") => l,
            Some(l) => format!("refs/heads/{l}"),
            None => current_branch(&repo)
                .map(|b| format!("refs/heads/{b}"))
                .unwrap_or_default(),
        },
    };
    let resolve = |spec: &str| -> miette::Result<Oid> {
        control::resolve_commit(&repo, spec)
            .map_err(|e| miette::miette!("cannot resolve `{spec}`: {}", e.message()))
    };
    let local_ref = var("PRE_COMMIT_LOCAL_BRANCH").unwrap_or_else(|| "HEAD".to_owned());
    let local = match var("PRE_COMMIT_TO_REF") {
        Some(to) => resolve(&to)?,
        None => resolve(&local_ref)?,
    };
    let remote = match var("PRE_COMMIT_FROM_REF") {
        Some(from) => Some(resolve(&from)?).filter(|id| !id.is_zero()),
        None => None,
    };
    Ok(Some(Update {
        local_ref,
        local: Some(local),
        remote_ref,
        remote,
    }))
}

/// The pre-push gate: for each update of a protected branch, every
/// controlled document the pushed commits change must be approved at the
/// content pushed.
pub fn pre_push(root: &Path, updates: &[Update]) -> miette::Result<Vec<Checked>> {
    let repo = control::require_repository(root)?;
    let git = control::git_error;
    let now = control::now();
    let records = approvals::read(&repo).map_err(git)?;
    let mut out = Vec::new();
    for update in updates {
        let Some(local) = update.local else { continue }; // a deletion
        let Some(branch) = update.remote_ref.strip_prefix("refs/heads/") else {
            continue; // tags and other refs: approvals travel as tags
        };
        let Some(base) = push_base(&repo, update)? else {
            continue; // nothing new on the remote
        };
        let commit = repo.find_commit(local).map_err(git)?;
        let tree = commit.tree().map_err(git)?;
        let ws = Workspace::from_tree(root, &repo, &tree)?;
        if !is_protected(&ws.config, branch)
            && !approved_config(root, &repo, &ws, local)?.is_some_and(|c| is_protected(&c, branch))
        {
            // Neither the pushed nor the approved configuration protects it.
            continue;
        }
        // A product repository: its PRDs under the upstream's trust root
        // and rules, from the cached upstream (a hook never fetches).
        let product = ws.config.upstream.is_some();
        let (ws, register) = if product {
            let (ws, register, _) = crate::product::side(root, &repo, local, true, None)?;
            (ws, register)
        } else {
            let register =
                Register::build_for(&ws, &repo, Some(local), now, false, &records, None)?;
            (ws, register)
        };
        let approved = register.trust.as_ref().map(|a| &a.root.config);
        let base_tree = match base {
            Some(b) => Some(repo.find_commit(b).and_then(|c| c.tree()).map_err(git)?),
            None => None,
        };
        // Whether the file at `path` differs (or appeared, or went)
        // between the remote's tip and the pushed commit.
        let blob = |tree: &git2::Tree<'_>, path: &str| -> Result<Option<Oid>, git2::Error> {
            match tree.get_path(Path::new(path)) {
                Ok(e) => Ok(Some(e.id())),
                Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        };
        let changed = |path: &str| -> Result<bool, git2::Error> {
            let now = blob(&tree, path)?;
            Ok(match &base_tree {
                None => now.is_some(),
                Some(t) => blob(t, path)? != now,
            })
        };
        let policy_config = approved.unwrap_or(&ws.config);
        let mut findings = Vec::new();
        let mut judge = |entry: &Entry, roles: &[String], config: &Config| {
            if matches!(
                entry.state.state,
                State::Approved | State::ReviewOverdue | State::Withdrawn | State::Pending
            ) {
                return;
            }
            let short = crate::history::short_id_of(&local);
            let state = match entry.state.state {
                State::NeverApproved => "has never been approved".to_owned(),
                _ if entry.state.removed => format!(
                    "was approved (v{}) and is removed (or left without its id) without an approved withdrawal",
                    entry.state.version.unwrap_or(0)
                ),
                _ => format!(
                    "is changed since its last approved version (v{})",
                    entry.state.version.unwrap_or(0)
                ),
            };
            let f = Finding::new(
                &UNAPPROVED_ON_PROTECTED,
                format!(
                    "the push to protected branch `{branch}` changes `{}`, which {state} at the pushed commit {short}",
                    entry.id
                ),
            )
            .document(Some(&entry.id))
            .help(format!(
                "ask {} to run `aims approve {}` on the commit and push the tag too \
                 (`git push origin 'refs/tags/aims/*'`), or push to a branch and open a pull request",
                approvers(roles, config),
                entry.id
            ));
            findings.push(match ws.source(&entry.path) {
                Some(source) => f.at(&entry.path, source, Some(0..0)),
                None => f.at_line(&entry.path, 1),
            });
        };
        for entry in &register.entries {
            if !changed(&entry.path).map_err(git)? {
                continue;
            }
            let kind = Kind::parse(&entry.kind).unwrap_or(Kind::Record);
            judge(
                entry,
                &policy_config.kind_policy(kind).approvers,
                policy_config,
            );
        }
        let trust_changed = [
            Some(crate::config::FILE_NAME),
            Some(ws.config.allowed_signers.as_str()),
            ws.config.gpg_keyring.as_deref(),
            ws.config.revoked_keys.as_deref(),
        ]
        .into_iter()
        .flatten()
        .map(changed)
        .collect::<Result<Vec<bool>, _>>()
        .map_err(git)?;
        // (A product repository's aims.toml only names its upstream: the
        // configuration under approval is the upstream's.)
        if !product && trust_changed.into_iter().any(|c| c) {
            judge(
                &register.config,
                &policy_config.kind_policy(Kind::Policy).approvers,
                policy_config,
            );
        }
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        out.push(Checked { ws, findings });
    }
    Ok(out)
}

/// The commit the pushed range starts from: the remote's old tip when
/// known here; for a new remote branch, the parent of the oldest commit no
/// remote-tracking branch has (Some(None): everything is new). None when
/// the push brings nothing new.
fn push_base(repo: &Repository, update: &Update) -> miette::Result<Option<Option<Oid>>> {
    let git = control::git_error;
    let Some(local) = update.local else {
        return Ok(None);
    };
    if let Some(remote) = update.remote
        && repo.find_commit(remote).is_ok()
    {
        return Ok((remote != local).then_some(Some(remote)));
    }
    let mut walk = repo.revwalk().map_err(git)?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE)
        .map_err(git)?;
    walk.push(local).map_err(git)?;
    walk.hide_glob("refs/remotes/*").map_err(git)?;
    let Some(first) = walk.next() else {
        return Ok(None);
    };
    let first = repo.find_commit(first.map_err(git)?).map_err(git)?;
    Ok(Some(first.parent_id(0).ok()))
}

/// The branch HEAD names (also before the first commit), or None when
/// HEAD is detached.
fn current_branch(repo: &Repository) -> Option<String> {
    let head = repo.find_reference("HEAD").ok()?;
    head.symbolic_target()
        .ok()??
        .strip_prefix("refs/heads/")
        .map(str::to_owned)
}

/// Whether `branch` matches one of the configuration's `protected-branches`
/// (exact names or globs such as `release/*`).
pub fn is_protected(config: &Config, branch: &str) -> bool {
    config.protected_branches.iter().any(|p| {
        p == branch
            || globset::Glob::new(p)
                .map(|g| g.compile_matcher().is_match(branch))
                .unwrap_or(false)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pre_push_lines() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let text = format!(
            "refs/heads/main {a} refs/heads/main {z}\n\nrefs/heads/x {z} refs/heads/x {a}\n"
        );
        let updates = parse_updates(&text).unwrap();
        assert_eq!(updates.len(), 2);
        assert_eq!(updates[0].local, Some(Oid::from_str(&a).unwrap()));
        assert_eq!(updates[0].remote, None);
        assert_eq!(updates[1].local, None);
        assert!(parse_updates("refs/heads/main abc").is_err());
        assert!(parse_updates("a b c d").is_err());
    }

    #[test]
    fn protected_patterns() {
        let config =
            Config::parse("[aims]\nprotected-branches = [\"main\", \"release/*\"]\n").unwrap();
        assert!(is_protected(&config, "main"));
        assert!(is_protected(&config, "release/2026"));
        assert!(!is_protected(&config, "feature/main"));
        assert!(!is_protected(&config, "mainline"));
    }
}
