//! AI risk assessment and treatment (6.1.2, 6.1.3).

use super::*;

rule!(RISK_METHOD_MISSING, "ISO007", "risk-method-missing", Some("6.1.2"), None, Major,
    summary: "There is no usable AI risk assessment method",
    what: "The AIMS needs a `risk-assessment` document with a likelihood scale and a severity scale of at least two levels each and acceptance criteria.",
    why: "Clause 6.1.2 requires risk criteria to be defined so that assessments are repeatable and comparable. Without a method, every risk rating is an opinion, and auditors treat a risk assessment without defined criteria as not conducted: a major nonconformity.",
    fix: "Create it with `aims new risk-assessment`: define the likelihood and severity scales, the acceptance criteria (which risks may be accepted and by whom), and have top management approve it.");

rule!(RISK_OFF_SCALE, "ISO008", "risk-rated-off-scale", Some("6.1.2"), None, Minor,
    summary: "A risk is rated with a level that is not on the method's scale",
    what: "A risk's `likelihood`, `severity`, `residual-likelihood` and `residual-severity` must be levels of the risk assessment method's scales.",
    why: "Ratings off the defined scales cannot be compared or evaluated against the acceptance criteria, so the assessment is not the one the method describes (6.1.2).",
    fix: "Use a level from `likelihood-scale` and `severity-scale` of the risk assessment method, or change the method (and have it approved) if the scale is wrong.");

rule!(RISK_UNTREATED, "ISO009", "risk-without-controls", Some("6.1.3"), None, Minor,
    summary: "A treated risk is not linked to applicable controls",
    what: "A risk whose treatment is not `accept` must name the Annex A controls that treat it (`controls` on the risk, or `risks` on the SoA entry), and those controls must be applicable in the SoA.",
    why: "Clause 6.1.3 requires the risk treatment to determine the controls, and the SoA to reflect them. A treatment with no controls, or with controls the SoA excludes, breaks the chain from risk to control that auditors trace.",
    fix: "List the treating controls in the risk's `controls` field, and make sure each is applicable in the SoA.");

rule!(RESIDUAL_NOT_ACCEPTED, "ISO010", "residual-risk-not-accepted", Some("6.1.2"), None, Minor,
    summary: "The risk owner has not accepted the residual risk",
    what: "Each risk's content in force must carry a verified approval by its owner (the owner's email, or a member of the owner role): that signed approval is the owner's acceptance of the residual risk.",
    why: "Clause 6.1.3 asks for the risk owners' approval of the treatment plan and acceptance of residual risk. An acceptance typed into a document proves nothing; a signature by the owner does.",
    fix: "The owner reviews the risk and runs `aims approve RSK-ID` (the owner's role must be among `[kinds.risk] approvers`, and with `require-distinct-approver` the owner should not also be the author of the change).");

rule!(RISK_DIMENSIONS, "ISO011", "risk-dimensions-uncovered", Some("6.1.2"), None, Minor,
    summary: "An in-scope AI system's risks do not cover all six AI risk dimensions",
    what: "For every AI system in scope, the risk register must hold at least one risk in each of the six dimensions: technical-performance, data-quality, ethical-fairness, societal, third-party and explainability. A system with no risk at all is a major nonconformity.",
    why: "AI risk goes beyond IT risk. Auditors map the register against these dimensions; societal and third-party risks are almost always missed, and an in-scope system with no risk assessed means the assessment was not conducted (6.1.2).",
    fix: "Hold a risk workshop for the system and add a `risk` document for each missing dimension (or record why none applies in a risk whose treatment is `accept`).");

rule!(TREATMENT_OVERDUE, "ISO030", "treatment-action-overdue", Some("8.3"), None, Minor,
    summary: "A risk treatment action is past its due date and not done",
    what: "Each `[[action]]` of a treated risk whose `due` date has passed must have `status = \"done\"` (or `\"dropped\"`); a treatment whose every action was dropped is not carried out, and the risk must be re-assessed.",
    why: "Clause 8.3 requires the risk treatment plan to be implemented. An action past its date and not done means the risk is carried at a level nobody accepted.",
    fix: "Finish the action and set `status = \"done\"`, or re-plan it with a new `due` its owner agrees to (and have the risk approved again).");

pub(super) fn check(cx: &mut Ctx, in_scope: &BTreeSet<String>) {
    treatment_overdue(cx);
    let methods = of_kind(cx.ws, Kind::RiskAssessment);
    let method = methods.first().copied();
    let mut scales: Option<(Vec<String>, Vec<String>)> = None;
    match method {
        None => cx.out.push(
            Finding::new(
                &RISK_METHOD_MISSING,
                "no AI risk assessment method: no document of kind `risk-assessment` defines the criteria and scales",
            )
            .help("`aims new risk-assessment`"),
        ),
        Some(m) => {
            let l: Vec<String> = strings(&m.frontmatter, "likelihood-scale")
                .into_iter()
                .map(lower)
                .collect();
            let s: Vec<String> = strings(&m.frontmatter, "severity-scale")
                .into_iter()
                .map(lower)
                .collect();
            let mut gaps = Vec::new();
            if l.len() < 2 {
                gaps.push("a likelihood scale of two or more levels");
            }
            if s.len() < 2 {
                gaps.push("a severity scale of two or more levels");
            }
            if text(&m.frontmatter, "acceptance-criteria").is_none() {
                gaps.push("acceptance criteria");
            }
            if gaps.is_empty() {
                scales = Some((l, s));
            } else {
                cx.out.push(at(
                    &RISK_METHOD_MISSING,
                    m,
                    "id",
                    format!("{} defines no {}", id(m), gaps.join(", no ")),
                ));
            }
        }
    }

    let soa_entries = soa_entries(cx.ws);
    let applicable: BTreeSet<&str> = soa_entries
        .iter()
        .filter(|(_, t)| t.get("applicable").and_then(Node::as_bool) == Some(true))
        .filter_map(|(_, t)| text(t, "id"))
        .collect();
    let linked_by_soa: BTreeSet<&str> = soa_entries
        .iter()
        .flat_map(|(_, t)| strings(t, "risks"))
        .collect();

    let mut covered: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for r in of_kind(cx.ws, Kind::Risk) {
        let rid = id(r);
        let fm = &r.frontmatter;
        if let Some(sys) = text(fm, "ai-system") {
            let entry = covered.entry(sys).or_default();
            if let Some(dim) = text(fm, "dimension") {
                entry.insert(dim.to_owned());
            }
        }
        if let Some((l, s)) = &scales {
            for (key, scale, name) in [
                ("likelihood", l, "likelihood"),
                ("severity", s, "severity"),
                ("residual-likelihood", l, "likelihood"),
                ("residual-severity", s, "severity"),
            ] {
                if let Some(v) = text(fm, key)
                    && !scale.contains(&lower(v))
                {
                    cx.out.push(at(
                        &RISK_OFF_SCALE,
                        r,
                        key,
                        format!(
                            "{rid}'s {key} `{v}` is not on the method's {name} scale ({})",
                            scale.join(", ")
                        ),
                    ));
                }
            }
        }
        let treatment = text(fm, "treatment");
        if treatment.is_some_and(|t| t != "accept") {
            let controls = strings(fm, "controls");
            if controls.is_empty() && !linked_by_soa.contains(rid) {
                cx.out.push(at(
                    &RISK_UNTREATED,
                    r,
                    "treatment",
                    format!(
                        "{rid} is treated (`{}`) but names no Annex A control",
                        treatment.unwrap_or("")
                    ),
                ));
            } else if !soa_entries.is_empty() {
                let excluded: Vec<&str> = controls
                    .iter()
                    .copied()
                    .filter(|c| catalog::control(c).is_some() && !applicable.contains(c))
                    .collect();
                if !excluded.is_empty() {
                    cx.out.push(at(
                        &RISK_UNTREATED,
                        r,
                        "controls",
                        format!(
                            "{rid} is treated by {} which the SoA does not mark applicable",
                            list(&excluded)
                        ),
                    ));
                }
            }
        }
        if let Some(register) = cx.register
            && let Some(entry) = register.entry(rid)
        {
            let owner = r.owner().map(str::trim).unwrap_or("");
            let owners = people(cx.ws, owner);
            let accepted = in_force(entry)
                .iter()
                .any(|a| owners.contains(&lower(&a.signer_email)));
            if !accepted && !owner.is_empty() {
                let message = if entry.state.last_approval().is_none() {
                    format!(
                        "{rid} has never been approved, so its owner ({owner}) has not accepted the residual risk"
                    )
                } else {
                    format!(
                        "{rid}'s content in force carries no approval by its owner ({owner}): the residual risk is not accepted"
                    )
                };
                let f = at(&RESIDUAL_NOT_ACCEPTED, r, "owner", message);
                cx.out.push(if entry.state.last_approval().is_none() {
                    f.because(crate::finding::causes::NOT_APPROVED)
                } else {
                    f
                });
            }
        }
    }

    let docs = &cx.index;
    for sys in in_scope {
        let Some(d) = docs.get(sys.as_str()).copied() else {
            continue;
        };
        if d.kind() != Some(Kind::AiSystem) {
            continue;
        }
        let have = covered.get(sys.as_str());
        let missing: Vec<&str> = crate::docs::schema::RISK_DIMENSIONS
            .iter()
            .copied()
            .filter(|dim| !have.is_some_and(|h| h.contains(*dim)))
            .collect();
        if have.is_none() {
            cx.out.push(
                at(
                    &RISK_DIMENSIONS,
                    d,
                    "id",
                    format!("{sys} is in scope but no risk in the register concerns it: its risks were never assessed"),
                )
                .classified(Classification::Major),
            );
        } else if !missing.is_empty() {
            cx.out.push(at(
                &RISK_DIMENSIONS,
                d,
                "id",
                format!(
                    "{sys}'s risks do not cover {} of the six dimensions: {}",
                    missing.len(),
                    list(&missing)
                ),
            ));
        }
    }
}

/// ISO030: treatment actions past due and not done.
fn treatment_overdue(cx: &mut Ctx) {
    let mut out = Vec::new();
    for r in of_kind(cx.ws, Kind::Risk) {
        if text(&r.frontmatter, "treatment") == Some("accept") || cx.is_template(r) {
            continue;
        }
        let actions = tables(&r.frontmatter, "action");
        // A treatment whose every step was dropped is no treatment.
        if !actions.is_empty()
            && actions
                .iter()
                .all(|(_, a)| text(a, "status") == Some("dropped"))
        {
            out.push(at(
                &TREATMENT_OVERDUE,
                r,
                "action",
                format!(
                    "{}: every treatment action was dropped, so the `{}` treatment is not carried out; re-assess the risk (and accept it, if that is the decision)",
                    id(r),
                    text(&r.frontmatter, "treatment").unwrap_or("?")
                ),
            ));
        }
        for (n, (_, a)) in actions.iter().enumerate() {
            let status = text(a, "status").unwrap_or("planned");
            if let Some(due) = date(a.get("due"))
                && due < cx.as_of
                && !matches!(status, "done" | "dropped")
            {
                out.push(at(
                    &TREATMENT_OVERDUE,
                    r,
                    "action",
                    format!(
                        "{}'s treatment action {} (\"{}\") was due on {due} and is {status}",
                        id(r),
                        n + 1,
                        text(a, "action").unwrap_or("?")
                    ),
                ));
            }
        }
    }
    cx.out.extend(out);
}
