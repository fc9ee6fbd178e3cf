//! A product repository: PRDs kept where engineering writes them, judged
//! against the central AIMS named by `[upstream]` in its aims.toml.
//!
//! The product's PRDs and the upstream's documents are put in one
//! workspace (the upstream's first, so an id a PRD reuses is reported on
//! the PRD), with the upstream's configuration (its roles, kinds and rule
//! settings: the AIMS owner decides how gaps are classified). Every rule
//! runs over it as it would in the central repository, and only the
//! findings on the product's own files are kept: an unknown AI system,
//! risk or impact assessment is an unresolved reference, a risk tier the
//! inventory contradicts is a disagreement between records, a PRD naming
//! an inventoried system without an `[aims]` block is ISO026.

use std::collections::BTreeSet;
use std::path::Path;

use git2::Repository;

use crate::finding::Finding;
use crate::gate::Checked;
use crate::rules;
use crate::sources::{self, Upstream};
use crate::workspace::Workspace;

/// `aims check` in a product repository: every PRD of the working tree.
pub fn check(root: &Path, repo: &Repository, offline: bool) -> miette::Result<Checked> {
    let local = Workspace::open(root)?;
    let upstream = sources::upstream_for(root, repo, &local.config, offline)?;
    Ok(judge(local, upstream, None))
}

/// The pre-commit gate in a product repository: the staged PRDs, against
/// the cached upstream (a hook never fetches).
pub fn staged(
    root: &Path,
    repo: &Repository,
    local: Workspace,
    changed: &BTreeSet<String>,
) -> miette::Result<Checked> {
    let upstream = sources::upstream_for(root, repo, &local.config, true)?;
    Ok(judge(local, upstream, Some(changed)))
}

/// One commit of a product repository, for `aims pr-comment`: its PRDs
/// (from the commit's tree) judged against the upstream, and a register of
/// its PRDs under the upstream's trust root (their history and tags in
/// this repository).
///
/// `upstream_of` names the configuration whose `[upstream]` is read (a
/// pull request's head, for both of its sides); by default the commit's own.
pub fn side(
    root: &Path,
    repo: &Repository,
    commit: git2::Oid,
    offline: bool,
    upstream_of: Option<&crate::config::Config>,
) -> miette::Result<(Workspace, crate::control::Register, Vec<Finding>)> {
    let git = crate::control::git_error;
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(git)?;
    let local = Workspace::from_tree(root, repo, &tree)?;
    let upstream =
        sources::upstream_for(root, repo, upstream_of.unwrap_or(&local.config), offline)?;
    let mut register = sources::upstream_register(&upstream)?;
    register.commit = Some(commit.to_string());
    register.working_tree = false;
    let config = register.policy.for_product(&local.config);
    sources::add_entries(
        &mut register,
        repo,
        commit,
        &config,
        &sources::documents(&local.loaded),
        &|_| false,
    )
    .map_err(|e| miette::miette!("{e}"))?;
    let Checked { ws, findings } = judge(local, upstream, None);
    Ok((ws, register, findings))
}

/// The product's files judged against the upstream; findings kept for
/// the product's files (only those in `only`, when given).
pub fn judge(local: Workspace, upstream: Upstream, only: Option<&BTreeSet<String>>) -> Checked {
    let all: BTreeSet<String> = local.loaded.iter().map(|l| l.path().to_owned()).collect();
    let ours: BTreeSet<&String> = all
        .iter()
        .filter(|p| only.is_none_or(|only| only.contains(*p)))
        .collect();
    // PRDs only: a file of another kind is left out (it could otherwise
    // add an AI system or a risk that the PRDs' references resolve to).
    let mut not_prds = Vec::new();
    let mut local = local;
    local.loaded.retain(|l| match l {
        crate::docs::Loaded::Document(d) => match d.kind_name() {
            Some(k) if k != crate::docs::Kind::Prd.name() => {
                if ours.contains(&d.path) {
                    not_prds.push(crate::rules::content::not_a_prd(&d.path, k));
                }
                false
            }
            _ => true,
        },
        crate::docs::Loaded::Problem { .. } => true,
    });
    let Upstream { ws: central, .. } = upstream;
    // The product's files first in the list the reports read sources from
    // (a path both repositories hold shows the product's text); the
    // upstream's documents first in id order, so a reused id is the PRD's.
    let mut loaded = central.loaded;
    // A central file at a path the product also has would be ambiguous in
    // the reports; the product's own file is what they point into.
    loaded.retain(|l| !all.contains(l.path()));
    let context = loaded.len();
    let unread = local.unread;
    loaded.extend(local.loaded);
    let ws = Workspace {
        root: local.root,
        config: central.config,
        loaded,
        unread,
        sources: Vec::new(),
        context,
    };
    let mut findings: Vec<Finding> = rules::check(&ws, None)
        .into_iter()
        .filter(|f| f.path.as_ref().is_some_and(|p| ours.contains(p)))
        .collect();
    findings.extend(rules::finish(&ws, not_prds));
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Checked { ws, findings }
}
