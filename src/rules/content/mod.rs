//! ISO 42001 content rules (ISO…): what a certification auditor checks in
//! the substance of the AIMS, beyond well-formed documents and approvals.
//!
//! Classifications follow the gap-severity matrix auditors use: a
//! requirement not met at all (no AI policy, no risk method, no measurable
//! objectives, an SoA whose controls have no evidence) is a major
//! nonconformity; a lapse in a working process (incomplete competence
//! records, a weak management-review record) is a minor one.
//!
//! The rules read the documents; those that need git (who approved what,
//! who wrote what, when a document changed) also read the [`Register`] and
//! are skipped, loudly, without one.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog;
use crate::control::{Entry, Register};
use crate::date::{Date, Interval};
use crate::docs::{Document, Kind, Node, Table};
use crate::finding::{Classification, Finding};
use crate::rules::Rule;
use crate::workspace::Workspace;

macro_rules! rule {
    ($name:ident, $code:literal, $kebab:literal, $clause:expr, $control:expr, $class:ident,
     summary: $summary:literal, what: $what:literal, why: $why:literal, fix: $fix:literal) => {
        pub static $name: Rule = Rule {
            code: $code,
            name: $kebab,
            summary: $summary,
            what: $what,
            why: $why,
            fix: $fix,
            clause: $clause,
            control: $control,
            classification: Classification::$class,
        };
    };
}

mod audit;
mod competence;
mod evidence;
mod impact;
mod improvement;
mod model;
mod objectives;
mod policy;
mod prd;
mod residue;
mod review;
mod risk;
mod roles;
mod scope;
mod soa;
pub mod substance;

pub use audit::*;
pub use competence::*;
pub use evidence::*;
pub use impact::*;
pub use improvement::*;
pub use model::*;
pub use objectives::*;
pub use policy::*;
pub use prd::*;
pub use residue::*;
pub use review::*;
pub use risk::*;
pub use roles::*;
pub use scope::*;
pub use soa::*;

/// What the content rules look at.
struct Ctx<'a> {
    ws: &'a Workspace,
    register: Option<&'a Register>,
    as_of: Date,
    index: BTreeMap<&'a str, &'a Document>,
    /// Template residue of each document, by path.
    residues: BTreeMap<&'a str, Residue>,
    out: &'a mut Vec<Finding>,
}

impl Ctx<'_> {
    /// Whether `d` is template residue as a whole: it records nothing.
    fn is_template(&self, d: &Document) -> bool {
        self.residues
            .get(d.path.as_str())
            .is_some_and(Residue::whole)
    }
}

/// Runs the content rules. `as_of` is the day judged (the register's, or
/// today without git).
pub fn check(ws: &Workspace, register: Option<&Register>, as_of: Date, out: &mut Vec<Finding>) {
    let mut cx = Ctx {
        ws,
        register,
        as_of,
        index: ws.index(),
        residues: ws
            .documents()
            .filter(|d| d.id().is_some() && d.kind().is_some())
            .map(|d| (d.path.as_str(), residue(d)))
            .collect(),
        out,
    };
    let in_scope = scope::check(&mut cx);
    policy::check(&mut cx);
    roles::check(&mut cx);
    risk::check(&mut cx, &in_scope);
    soa::check(&mut cx);
    impact::check(&mut cx, &in_scope);
    objectives::check(&mut cx);
    competence::check(&mut cx);
    audit::check(&mut cx);
    review::check(&mut cx);
    improvement::check(&mut cx);
    prd::check(&mut cx);
    residue::check(&mut cx);
    evidence::check(&mut cx);
    model::check(&mut cx);
}

// ---------------------------------------------------------------------------
// helpers

fn of_kind(ws: &Workspace, kind: Kind) -> Vec<&Document> {
    ws.documents()
        .filter(|d| d.kind() == Some(kind) && d.id().is_some())
        .collect()
}

fn id(d: &Document) -> &str {
    d.id().unwrap_or("?")
}

/// A finding in `d`, pointing at `key` (or the frontmatter's opening line).
fn at(rule: &'static Rule, d: &Document, key: &str, message: String) -> Finding {
    Finding::new(rule, message)
        .document(d.id())
        .at(&d.path, &d.source, Some(d.key_span(key)))
}

fn strings<'a>(t: &'a Table, key: &str) -> Vec<&'a str> {
    t.get(key).map_or_else(Vec::new, |n| {
        n.strings()
            .into_iter()
            .map(|(s, _)| s.trim())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

fn text<'a>(t: &'a Table, key: &str) -> Option<&'a str> {
    t.str(key).map(str::trim).filter(|s| !s.is_empty())
}

fn date(node: Option<&Node>) -> Option<Date> {
    let node = node?;
    match &node.value {
        crate::docs::Value::Datetime(dt) => crate::config::toml_date(dt),
        crate::docs::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The entries of an array of tables (`[[key]]`), each with the span it
/// occupies in the file (where a finding about it points).
fn tables<'a>(t: &'a Table, key: &str) -> Vec<(std::ops::Range<usize>, &'a Table)> {
    t.get(key)
        .and_then(Node::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|n| n.as_table().map(|t| (n.span.clone(), t)))
                .collect()
        })
        .unwrap_or_default()
}

/// The people a person field names: the email, or the role's members.
fn people(ws: &Workspace, who: &str) -> BTreeSet<String> {
    if crate::config::is_email(who) {
        return BTreeSet::from([who.to_ascii_lowercase()]);
    }
    ws.config
        .roles
        .get(who)
        .map(|m| m.iter().map(|e| e.to_ascii_lowercase()).collect())
        .unwrap_or_default()
}

/// An owner that names nobody in particular: neither an email nor a role.
fn is_accountable(ws: &Workspace, who: &str) -> bool {
    crate::config::is_email(who) || ws.config.has_role(who)
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

fn list(items: &[&str]) -> String {
    items.join(", ")
}

/// The approvals that count for the content in force: the blob the last
/// counted approval made or confirmed, and every counted approval of it.
pub fn in_force(entry: &Entry) -> Vec<&crate::history::approvals::Approval> {
    let Some(last) = entry.state.last_approval() else {
        return Vec::new();
    };
    let blob = &last.claim.blob;
    entry
        .state
        .counted
        .iter()
        .map(|(a, _)| a)
        .filter(|a| &a.claim.blob == blob)
        .collect()
}
