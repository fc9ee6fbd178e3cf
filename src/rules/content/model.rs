//! Rules generated from the requirements model (`crate::requirements`):
//! each element a document must show (ISO029), and the values that must
//! agree across documents (ISO031).

use super::*;
use crate::requirements::{self, Check, Scope};

rule!(ELEMENT_MISSING, "ISO029", "requirement-element-missing", Some("4.4"), None, Minor,
    summary: "A document does not show an element its clause or control requires",
    what: "Each clause and Annex A control states the elements its documented information must show (`aims explain 9.3.2` lists them; the README's \"Requirements model\" has them all). Where an element lives in a field, table or section of a kind of document, every document of that kind (or, for a programme-wide element, one of them) must have it, saying something: not blank, not a placeholder, not a restatement of a sibling field (a root cause that repeats the problem, a mitigation that repeats the harm). The finding is filed under the element's clause or control and names the field to add. Documents that are still the template's text are left to ISO028.",
    why: "Auditors read each record against what its clause requires: a management review that never looked at the previous actions, a risk treatment with nobody to carry it out, an impact assessment that names a harm and no mitigation, an audit without scope or criteria. Each is a nonconformity even when every document exists.",
    fix: "Add the field, table row or section the finding names (its help shows the shape), with what really happened; `aims new KIND` shows a complete document of that kind.");

rule!(RECORDS_DISAGREE, "ISO031", "records-disagree", Some("4.4"), None, Minor,
    summary: "Documents that must agree with each other do not",
    what: "Values that documents restate from one another must agree: each `[[action]]` of a management review is followed up, with a status, in the next review's `[[follow-up]]` (as `\"MRV-001#2\"` for the second action), and every follow-up names an action that exists; a PRD's `[aims] risk-tier` is its AI system's; a harm's `risks` concern the assessment's AI system; a nonconformity raised by an audit finding names that audit as its `source` and was raised no more than a month before the audit's last day; an audit report is not reported to its own auditor; a cited record concerns what cites it (a component's assessment names its supplier or the part, a validation record the system, ); a corrective action is not due before it was raised.",
    why: "An auditor traces one record into the next: the actions a review decided into the next review, an audit finding into its corrective action, a product change into the inventory. A trail that breaks shows the process runs on paper only.",
    fix: "Make the later document agree with the one it cites (or correct the earlier one and have it approved again); add the missing `[[follow-up]]` rows with the action's status.");

pub(super) fn check(cx: &mut Ctx) {
    elements(cx);
    review_follow_ups(cx);
    cross_references(cx);
}

/// ISO029: each field-checked element, on each document it applies to.
fn elements(cx: &mut Ctx) {
    let rcx = requirements::Context::new(cx.ws, cx.as_of);
    let mut out = Vec::new();
    for e in requirements::ELEMENTS {
        let Check::Field(c) = &e.check else { continue };
        let docs: Vec<&Document> = of_kind(cx.ws, c.kind)
            .into_iter()
            .filter(|d| requirements::applies(c, d, &rcx))
            .filter(|d| !cx.is_template(d))
            .collect();
        let gaps: Vec<(&Document, requirements::Gap)> = docs
            .iter()
            .filter_map(|d| requirements::gap(c, d, &rcx).map(|g| (*d, g)))
            .collect();
        let reported: Vec<&(&Document, requirements::Gap)> = match c.scope {
            Scope::Each => gaps.iter().collect(),
            Scope::Any if !docs.is_empty() && gaps.len() == docs.len() => {
                gaps.iter().take(1).collect()
            }
            Scope::Any => Vec::new(),
        };
        for (d, g) in reported {
            // The document rules already report a field the schema requires.
            if g.schema_required {
                continue;
            }
            let f = at(
                &ELEMENT_MISSING,
                d,
                g.key.as_deref().unwrap_or("id"),
                format!(
                    "{}: {} ({}: {})",
                    id(d),
                    g.what,
                    e.id(),
                    lower_first(e.title)
                ),
            )
            .help(format!("add {}", c.hint))
            .classified(c.classification);
            out.push(if e.is_control() {
                let home = crate::catalog::home_clause(e.reference).unwrap_or("8.1");
                f.under_control(e.reference).under_clause(home)
            } else {
                f.under_clause(e.reference)
            });
        }
    }
    cx.out.extend(out);
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

/// ISO031 for management reviews: each action of a held review is
/// followed up by the next held review, and follow-ups name real actions.
fn review_follow_ups(cx: &mut Ctx) {
    let mut held: Vec<(&Document, Date)> = of_kind(cx.ws, Kind::ManagementReview)
        .into_iter()
        .filter_map(|d| date(d.frontmatter.get("held-on")).map(|h| (d, h)))
        .filter(|(_, h)| *h <= cx.as_of)
        .filter(|(d, _)| !cx.is_template(d))
        .collect();
    held.sort_by_key(|(d, h)| (*h, id(d).to_owned()));
    let actions = |d: &Document| tables(&d.frontmatter, "action").len();
    let mut out = Vec::new();
    for (i, (review, _)) in held.iter().enumerate() {
        let follow_ups: Vec<String> = tables(&review.frontmatter, "follow-up")
            .into_iter()
            .filter_map(|(_, t)| text(t, "action").map(str::to_owned))
            .collect();
        // Every follow-up names, as `ID#n`, an action of a review held
        // before this one.
        let earlier: Vec<&str> = held[..i].iter().map(|(d, _)| id(d)).collect();
        let canonical = |name: &str| -> Option<String> {
            let (doc, n) = name.trim().split_once('#')?;
            let doc = earlier
                .iter()
                .find(|e| e.eq_ignore_ascii_case(doc.trim()))?;
            if n.is_empty() || !n.chars().all(|c| c.is_ascii_digit()) || n.starts_with('0') {
                return None;
            }
            let n: usize = n.parse().ok()?;
            let d = cx.index.get(doc)?;
            (n >= 1 && n <= actions(d)).then(|| format!("{doc}#{n}"))
        };
        let follow_ups: Vec<(String, Option<String>)> = follow_ups
            .into_iter()
            .map(|name| {
                let c = canonical(&name);
                (name, c)
            })
            .collect();
        for (name, target) in &follow_ups {
            if target.is_none() {
                out.push(
                    at(
                        &RECORDS_DISAGREE,
                        review,
                        "follow-up",
                        format!(
                            "{} follows up `{name}`, which is not an action of a review held before it (write it as \"MRV-001#2\" for MRV-001's second [[action]])",
                            id(review)
                        ),
                    )
                    .under_clause("9.3.2"),
                );
            }
        }
        // The previous review's actions, each followed up here.
        let Some((previous, _)) = i.checked_sub(1).map(|j| held[j]) else {
            continue;
        };
        let pid = id(previous);
        let missing: Vec<String> = tables(&previous.frontmatter, "action")
            .iter()
            .enumerate()
            .filter(|(n, _)| {
                let name = format!("{pid}#{}", n + 1);
                !follow_ups
                    .iter()
                    .any(|(_, c)| c.as_deref() == Some(name.as_str()))
            })
            .map(|(n, (_, t))| format!("#{} ({})", n + 1, text(t, "action").unwrap_or("?")))
            .collect();
        if !missing.is_empty() {
            out.push(
                at(
                    &RECORDS_DISAGREE,
                    review,
                    "held-on",
                    format!(
                        "{} does not follow up {pid}'s action {}",
                        id(review),
                        missing.join(", ")
                    ),
                )
                .help(format!(
                    "add a `[[follow-up]]` per action: `action = \"{pid}#1\"`, `status` (done, in-progress, not-started, dropped) and a `note`"
                ))
                .under_clause("9.3.2"),
            );
        }
    }
    cx.out.extend(out);
}

/// ISO031 across kinds: PRD risk tiers, harms' risks, audit findings and
/// their corrective actions, corrective-action dates.
fn cross_references(cx: &mut Ctx) {
    let mut out = Vec::new();
    // A PRD restates its AI system's risk tier.
    for prd in cx
        .ws
        .documents()
        .filter(|d| d.is_prd && d.id().is_some() && !cx.is_template(d))
    {
        let Some(block) = prd.frontmatter.get("aims").and_then(Node::as_table) else {
            continue;
        };
        let (Some(sys), Some(tier)) = (text(block, "ai-system"), text(block, "risk-tier")) else {
            continue;
        };
        let Some(system) = cx.index.get(sys) else {
            continue;
        };
        if let Some(actual) = text(&system.frontmatter, "risk-tier")
            && actual != tier
        {
            out.push(
                Finding::new(
                    &RECORDS_DISAGREE,
                    format!(
                        "{} gives {sys} the risk tier `{tier}`, but the inventory says `{actual}`",
                        id(prd)
                    ),
                )
                .document(prd.id())
                .at(
                    &prd.path,
                    &prd.source,
                    block.get("risk-tier").map(|n| n.span.clone()),
                )
                .under_clause("8.1")
                .under_control("A.6.2.2"),
            );
        }
    }
    // A harm's risks concern the assessed system.
    for ia in of_kind(cx.ws, Kind::ImpactAssessment) {
        if cx.is_template(ia) {
            continue;
        }
        let Some(sys) = text(&ia.frontmatter, "ai-system") else {
            continue;
        };
        for (_, harm) in tables(&ia.frontmatter, "harm") {
            for risk in strings(harm, "risks") {
                if let Some(r) = cx.index.get(risk)
                    && let Some(other) = text(&r.frontmatter, "ai-system")
                    && other != sys
                {
                    out.push(
                        at(
                            &RECORDS_DISAGREE,
                            ia,
                            "harm",
                            format!(
                                "{} assesses {sys}, but its harm cites {risk}, a risk of {other}",
                                id(ia)
                            ),
                        )
                        .under_clause("6.1.4"),
                    );
                }
            }
        }
    }
    // Audit findings and the nonconformities opened for them.
    for audit in of_kind(cx.ws, Kind::InternalAudit) {
        if cx.is_template(audit) {
            continue;
        }
        let aid = id(audit);
        let conducted = date(audit.frontmatter.get("conducted-on"));
        for (_, finding) in tables(&audit.frontmatter, "finding") {
            let Some(ncr) = text(finding, "nonconformity") else {
                continue;
            };
            let Some(n) = cx.index.get(ncr) else { continue };
            let source = text(&n.frontmatter, "source");
            if source.is_some_and(|s| s != aid) {
                out.push(
                    at(
                        &RECORDS_DISAGREE,
                        n,
                        "source",
                        format!(
                            "{ncr} was opened for a finding of {aid}, but its `source` is {}",
                            source.unwrap_or("?")
                        ),
                    )
                    .under_clause("10.2"),
                );
            }
            // An audit runs over days and `conducted-on` is its last: a
            // nonconformity raised during it is fine, one raised more than
            // a month earlier was not found by it.
            if let (Some(c), Some(r)) = (conducted, date(n.frontmatter.get("raised-on")))
                && r.add_days(31) < c
            {
                out.push(
                    at(
                        &RECORDS_DISAGREE,
                        n,
                        "raised-on",
                        format!(
                            "{ncr} was raised on {r}, more than a month before the audit {aid} that found it ({c})"
                        ),
                    )
                    .under_clause("10.2"),
                );
            }
        }
    }
    // Results go to management, not back to the auditor.
    for audit in of_kind(cx.ws, Kind::InternalAudit) {
        if cx.is_template(audit) {
            continue;
        }
        let (Some(auditor), Some(to)) = (
            text(&audit.frontmatter, "auditor"),
            text(&audit.frontmatter, "reported-to"),
        ) else {
            continue;
        };
        let (a, t) = (people(cx.ws, auditor), people(cx.ws, to));
        if auditor.eq_ignore_ascii_case(to) || (t.len() == 1 && t == a) {
            out.push(
                at(
                    &RECORDS_DISAGREE,
                    audit,
                    "reported-to",
                    format!(
                        "{} reports its results to its own auditor ({to}), not to management",
                        id(audit)
                    ),
                )
                .under_clause("9.2.2"),
            );
        }
    }
    // A cited record concerns what cites it: a supplier assessment names
    // the supplier or the part, a validation record the system.
    let mentions = |rec: &Document, names: &[&str]| {
        let text = rec.source.to_lowercase();
        names
            .iter()
            .map(|n| n.trim())
            .filter(|n| n.len() >= 3)
            .any(|n| text.contains(&n.to_lowercase()))
    };
    // A system is named by its id, an alias, or most of its title's
    // significant words ("credit", "scoring" for "Credit-risk scoring
    // model").
    let names_system = |rec: &Document, sys: &Document| {
        let mut names: Vec<&str> = vec![id(sys)];
        names.extend(strings(&sys.frontmatter, "aliases"));
        if mentions(rec, &names) {
            return true;
        }
        let text = rec.source.to_lowercase();
        let words: Vec<String> = sys
            .title()
            .unwrap_or("")
            .split(|c: char| !c.is_alphanumeric())
            .map(str::to_lowercase)
            .filter(|w| {
                w.len() >= 4
                    && !matches!(
                        w.as_str(),
                        "model"
                            | "system"
                            | "tool"
                            | "service"
                            | "with"
                            | "from"
                            | "that"
                            | "this"
                            | "for"
                    )
            })
            .collect();
        !words.is_empty()
            && words.iter().filter(|w| text.contains(w.as_str())).count() * 2 >= words.len()
    };
    for sys in of_kind(cx.ws, Kind::AiSystem) {
        if cx.is_template(sys) {
            continue;
        }
        let sid = id(sys);
        if let Some(v) = text(&sys.frontmatter, "validation")
            && let Some(rec) = cx.index.get(v)
            && !names_system(rec, sys)
        {
            out.push(
                at(
                    &RECORDS_DISAGREE,
                    sys,
                    "validation",
                    format!("{sid}'s validation record {v} does not mention {sid} or its names"),
                )
                .under_clause("8.1")
                .under_control("A.6.2.4"),
            );
        }
        for (_, comp) in tables(&sys.frontmatter, "component") {
            let Some(a) = text(comp, "assessment") else {
                continue;
            };
            let Some(rec) = cx.index.get(a) else { continue };
            let supplier = text(comp, "supplier").unwrap_or("");
            let part = text(comp, "name").unwrap_or("");
            // The supplier's distinctive words ("ExampleAI" of "ExampleAI
            // Ltd"), not "the", "model" or "provider".
            const GENERIC: &[&str] = &[
                "the",
                "model",
                "provider",
                "supplier",
                "vendor",
                "company",
                "limited",
                "ltd",
                "inc",
                "gmbh",
                "corp",
                "corporation",
                "group",
                "services",
                "assessed",
            ];
            let distinctive: Vec<&str> = supplier
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.len() >= 4 && !GENERIC.contains(&w.to_lowercase().as_str()))
                .collect();
            let mut names = vec![supplier, part, sid];
            names.extend(distinctive);
            if !mentions(rec, &names) {
                out.push(
                    at(
                        &RECORDS_DISAGREE,
                        sys,
                        "component",
                        format!(
                            "{sid}: the assessment {a} of `{part}` names neither {} nor the part",
                            if supplier.is_empty() {
                                "its supplier"
                            } else {
                                supplier
                            }
                        ),
                    )
                    .under_clause("8.1")
                    .under_control("A.10.3"),
                );
            }
        }
    }
    // A corrective action is not due before the nonconformity was raised.
    for n in of_kind(cx.ws, Kind::Nonconformity) {
        if let (Some(raised), Some(due)) = (
            date(n.frontmatter.get("raised-on")),
            date(n.frontmatter.get("due")),
        ) && due < raised
        {
            out.push(
                at(
                    &RECORDS_DISAGREE,
                    n,
                    "due",
                    format!("{} is due on {due}, before it was raised ({raised})", id(n)),
                )
                .under_clause("10.2"),
            );
        }
    }
    cx.out.extend(out);
}
