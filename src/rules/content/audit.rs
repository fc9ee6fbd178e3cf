//! Internal audit (9.2).

use super::*;

rule!(AUDIT_PROGRAMME, "ISO020", "internal-audit-missing", Some("9.2"), None, Major,
    summary: "There is no internal audit programme, or no internal audit before certification",
    what: "The AIMS needs an internal-audit programme with planned intervals, and at least one audit report conducted before the certification date (`certification-date` in aims.toml) or, without one, by the as-of date.",
    why: "Clause 9.2 requires internal audits at planned intervals. Certification bodies expect one full internal audit before Stage 2; without it the AIMS has never checked itself.",
    fix: "Write the programme (`aims new internal-audit`, `audit-type = \"programme\"`, `interval`), then conduct an audit against clauses 4-10 at least 60 days before Stage 2 and record it as a report.");

rule!(AUDITOR_NOT_INDEPENDENT, "ISO021", "auditor-not-independent", Some("9.2"), None, Minor,
    summary: "An internal auditor audited documents they own or wrote",
    what: "The auditor of an internal-audit report must not own (`owner`, directly or through a role) or have authored (per git history) any document listed in its `audited` field.",
    why: "Clause 9.2 requires auditors to be objective and impartial. Someone auditing their own work cannot be; an auditor reads the report's audited list against the documents' owners and authors.",
    fix: "Have the documents re-audited by someone independent of them, or split the audit so nobody audits their own work; record the auditor's independence in the programme.");

pub(super) fn check(cx: &mut Ctx) {
    let audits = of_kind(cx.ws, Kind::InternalAudit);
    let kind_of = |d: &Document| text(&d.frontmatter, "audit-type").map(str::to_owned);
    let programme = audits
        .iter()
        .find(|d| kind_of(d).as_deref() == Some("programme"));
    match programme {
        None => cx.out.push(
            Finding::new(
                &AUDIT_PROGRAMME,
                "no internal audit programme: no `internal-audit` document with `audit-type = \"programme\"`",
            )
            .help("`aims new internal-audit`"),
        ),
        Some(p) if text(&p.frontmatter, "interval").is_none() => cx.out.push(at(
            &AUDIT_PROGRAMME,
            p,
            "interval",
            format!("{} plans no audit interval", id(p)),
        )),
        Some(_) => {}
    }
    let deadline = cx.ws.config.certification_date.unwrap_or(cx.as_of);
    let reports: Vec<&Document> = audits
        .iter()
        .copied()
        .filter(|d| kind_of(d).as_deref() == Some("report"))
        .collect();
    let before = reports.iter().any(|r| {
        !cx.is_template(r)
            && date(r.frontmatter.get("conducted-on"))
                .is_some_and(|d| d <= deadline && d <= cx.as_of)
    });
    if !before {
        let when = match cx.ws.config.certification_date {
            Some(d) => format!("before the certification date {d} (aims.toml)"),
            None => format!("by {}", cx.as_of),
        };
        let why = super::review::held_why(cx, &reports, "conducted-on", "conducted");
        cx.out.push(
            Finding::new(
                &AUDIT_PROGRAMME,
                format!("no internal audit report conducted {when}{why}"),
            )
            .help(match reports.first() {
                Some(r) => format!(
                    "conduct the audit against the programme, record its scope, criteria, findings and auditor in {} (or a new report), and have it approved",
                    id(r)
                ),
                None => "conduct the audit, then record it: `aims new internal-audit` with `audit-type = \"report\"`".to_owned(),
            }),
        );
    }
    for r in reports {
        independence(cx, r);
    }
}

fn independence(cx: &mut Ctx, r: &Document) {
    let rid = id(r);
    let Some(auditor) = text(&r.frontmatter, "auditor") else {
        return;
    };
    let auditors = people(cx.ws, auditor);
    let mut owned = Vec::new();
    let mut authored = Vec::new();
    for a in strings(&r.frontmatter, "audited") {
        let Some(d) = cx.index.get(a) else { continue };
        if d.owner()
            .is_some_and(|o| !people(cx.ws, o.trim()).is_disjoint(&auditors))
        {
            owned.push(a);
        }
        if let Some(reg) = cx.register
            && let Some(e) = reg.entry(a)
            && e.revisions
                .iter()
                .any(|rev| auditors.contains(&lower(&rev.author_email)))
        {
            authored.push(a);
        }
    }
    let mut why = Vec::new();
    if !owned.is_empty() {
        why.push(format!("owns {}", list(&owned)));
    }
    if !authored.is_empty() {
        why.push(format!("authored changes to {}", list(&authored)));
    }
    if !why.is_empty() {
        cx.out.push(at(
            &AUDITOR_NOT_INDEPENDENT,
            r,
            "auditor",
            format!(
                "{rid}'s auditor {auditor} is not independent of what was audited: {}",
                why.join(" and ")
            ),
        ));
    }
}
