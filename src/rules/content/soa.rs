//! The Statement of Applicability (6.1.3).

use super::*;

rule!(SOA_INCOMPLETE, "ISO012", "soa-incomplete", Some("6.1.3"), None, Major,
    summary: "The Statement of Applicability is missing, or does not list every Annex A control",
    what: "The AIMS needs one `soa` document listing all 38 Annex A controls, each once, as applicable or excluded.",
    why: "Clause 6.1.3 requires the SoA to contain every Annex A control with a decision. A control the SoA does not mention was never considered, which an auditor records as a major nonconformity.",
    fix: "Add a `[[control]]` entry for each missing control (`aims init` writes an SoA with all 38), with `applicable` and either its procedure, evidence and owner, or a justification.");

rule!(SOA_DECORATIVE, "ISO013", "soa-decorative", Some("6.1.3"), None, Major,
    summary: "An applicable control has no evidence of implementation",
    what: "Every control the SoA marks applicable must name at least one evidence record that exists.",
    why: "An SoA that lists controls as applied but cannot be traced to operational evidence is decorative. Auditors treat it as worse than not having the control: the organisation does not know its own AIMS. Major nonconformity.",
    fix: "Name in `evidence` the records that show the control operating (`aims new record`), or mark the control excluded with a justification if it is not applied.");

rule!(SOA_UNTRACED, "ISO014", "soa-untraced", Some("6.1.3"), None, Minor,
    summary: "An SoA entry is not traced: an applied control without procedure, owner or risk, or an exclusion without reason",
    what: "An excluded control needs a justification that gives a reason tied to the organisation: a fact about its own AI systems or activities that leaves the control nothing to act on (a justification that only says, in any words, that the control does not apply is none). Every applicable control needs a procedure that exists and is approved, an owner role with members, and a link to a risk treatment (a risk naming the control in `controls`, or `risks` on the entry) or, for a control applied for another reason, a `note` saying why it is included. A missing link alone is an opportunity for improvement.",
    why: "The traceability matrix (control, procedure, evidence, owner) is what auditors build when they test the SoA (6.1.3). An unapproved procedure is not in force; a control no risk needs was not selected by the risk treatment.",
    fix: "Approve the procedure (`aims approve PRO-ID`), name an owner role, and link the control to the risks it treats.");

/// The `[[control]]` entries of the (first) Statement of Applicability.
pub fn soa_entries(ws: &Workspace) -> Vec<(std::ops::Range<usize>, &Table)> {
    of_kind(ws, Kind::Soa)
        .first()
        .map(|d| tables(&d.frontmatter, "control"))
        .unwrap_or_default()
}

pub(super) fn check(cx: &mut Ctx) {
    let soas = of_kind(cx.ws, Kind::Soa);
    let Some(s) = soas.first().copied() else {
        cx.out.push(
            Finding::new(
                &SOA_INCOMPLETE,
                "no Statement of Applicability: no document of kind `soa`",
            )
            .help("`aims new soa` (or `aims init` in an empty folder) writes one with all 38 controls"),
        );
        return;
    };
    let sid = id(s);
    let entries = tables(&s.frontmatter, "control");
    let listed: BTreeSet<&str> = entries.iter().filter_map(|(_, t)| text(t, "id")).collect();
    for c in catalog::CONTROLS {
        if !listed.contains(c.id) {
            cx.out.push(
                at(
                    &SOA_INCOMPLETE,
                    s,
                    "control",
                    format!("{sid} does not list {} ({})", c.id, c.title),
                )
                .under_control(c.id),
            );
        }
    }
    let risk_links: BTreeSet<String> = of_kind(cx.ws, Kind::Risk)
        .iter()
        .flat_map(|r| strings(&r.frontmatter, "controls"))
        .map(str::to_owned)
        .collect();
    for (span, t) in &entries {
        let Some(cid) = text(t, "id") else { continue };
        if catalog::control(cid).is_none() {
            continue; // an unknown id is DOC006
        }
        let place = |rule: &'static Rule, message: String| {
            Finding::new(rule, message)
                .document(Some(sid))
                .at(&s.path, &s.source, Some(span.clone()))
                .under_control(cid)
        };
        if t.get("applicable").and_then(Node::as_bool) != Some(true) {
            match text(t, "justification") {
                None => cx.out.push(place(
                    &SOA_UNTRACED,
                    format!("{cid} is excluded in {sid} without a justification"),
                )),
                Some(j) => {
                    if let Some(why) = super::substance::hollow_exclusion(j) {
                        cx.out.push(place(
                            &SOA_UNTRACED,
                            format!("{cid}'s exclusion in {sid} is not justified: {why} (\"{j}\")"),
                        ));
                    }
                }
            }
            continue;
        }
        let evidence = strings(t, "evidence");
        let existing: Vec<&str> = evidence
            .iter()
            .copied()
            .filter(|e| {
                cx.index
                    .get(e)
                    .is_some_and(|d| d.kind() == Some(Kind::Record))
            })
            .collect();
        if existing.is_empty() {
            let message = if evidence.is_empty() {
                format!("{cid} is applicable in {sid} but names no evidence record")
            } else {
                format!(
                    "{cid} is applicable in {sid} but none of its evidence exists ({})",
                    list(&evidence)
                )
            };
            cx.out.push(place(&SOA_DECORATIVE, message));
        }
        match text(t, "procedure") {
            None => cx.out.push(place(
                &SOA_UNTRACED,
                format!("{cid} is applicable in {sid} but names no procedure"),
            )),
            Some(p) => match cx.index.get(p) {
                None => cx.out.push(place(
                    &SOA_UNTRACED,
                    format!("{cid}'s procedure {p} does not exist"),
                )),
                Some(_) => {
                    if let Some(reg) = cx.register
                        && let Some(e) = reg.entry(p)
                        && e.state.version.is_none()
                    {
                        cx.out.push(
                            place(
                                &SOA_UNTRACED,
                                format!("{cid}'s procedure {p} has never been approved, so it is not in force"),
                            )
                            .because(crate::finding::causes::NOT_APPROVED),
                        );
                    }
                }
            },
        }
        match text(t, "owner") {
            None => cx.out.push(place(
                &SOA_UNTRACED,
                format!("{cid} is applicable in {sid} but has no owner role"),
            )),
            Some(o) if people(cx.ws, o).is_empty() && cx.ws.config.has_role(o) => {
                cx.out.push(place(
                    &SOA_UNTRACED,
                    format!("{cid}'s owner role `{o}` has no members"),
                ))
            }
            Some(_) => {}
        }
        if strings(t, "risks").is_empty() && !risk_links.contains(cid) && text(t, "note").is_none()
        {
            cx.out.push(
                place(
                    &SOA_UNTRACED,
                    format!("{cid} is applicable but no risk names it as a treatment, and its entry gives no reason for including it (`note`)"),
                )
                .classified(Classification::Improvement),
            );
        }
    }
}
