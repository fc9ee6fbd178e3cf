//! AI system impact assessments (6.1.4, A.5).

use super::*;

rule!(IMPACT_MISSING, "ISO015", "impact-assessment-missing", Some("6.1.4"), Some("A.5.2"), Major,
    summary: "An in-scope AI system has no impact assessment",
    what: "Every AI system in scope must have an `impact-assessment` document naming it in `ai-system`.",
    why: "Clause 6.1.4 and control A.5.2 require the consequences of AI systems for individuals, groups and society to be assessed. A system in scope with no assessment means the process has not been applied to it.",
    fix: "Assess the system with `aims new impact-assessment`, following the impact-assessment procedure, and have it approved.");

rule!(IMPACT_INCOMPLETE, "ISO016", "impact-assessment-incomplete", Some("6.1.4"), Some("A.5.4"), Minor,
    summary: "An impact assessment does not cover individuals, groups and society",
    what: "An impact assessment must cover individuals, groups and society (`covers`, with a section for each), and name trigger criteria, a review cycle and an escalation path.",
    why: "A privacy impact assessment reused as an AI impact assessment covers individuals only. Controls A.5.4 and A.5.5 ask for effects on groups and on society too, and an assessment without triggers or escalation is a one-off snapshot, not a process.",
    fix: "Add the missing audiences to `covers` with a section each, list the `triggers`, set `review-cycle` and `escalation`, and have the assessment approved again.");

rule!(IMPACT_OUTDATED, "ISO017", "impact-assessment-outdated", Some("6.1.4"), Some("A.5.3"), Minor,
    summary: "An impact assessment predates a change to its AI system, or its review cycle has lapsed",
    what: "An impact assessment is outdated when its AI system's document changed after the assessment's last approval (git knows when), or when its `review-cycle` has run out since that approval. For a high-risk system it is a major nonconformity.",
    why: "Assessments must be living documents, redone when the system changes. An auditor who sees the system documentation change after the assessment was signed asks who assessed the change; for a high-risk system the answer decides the classification.",
    fix: "Reassess the system in the light of the change (`aims diff SYS-ID` shows it), update the assessment, and have it approved (or reviewed with `aims approve AIA-ID --review` when nothing changes).");

pub(super) fn check(cx: &mut Ctx, in_scope: &BTreeSet<String>) {
    let assessments = of_kind(cx.ws, Kind::ImpactAssessment);
    for sys in in_scope {
        let Some(d) = cx.index.get(sys.as_str()).copied() else {
            continue;
        };
        if d.kind() != Some(Kind::AiSystem) {
            continue;
        }
        if !assessments
            .iter()
            .any(|a| text(&a.frontmatter, "ai-system") == Some(sys.as_str()))
        {
            cx.out.push(at(
                &IMPACT_MISSING,
                d,
                "id",
                format!("{sys} is in scope but has no impact assessment"),
            ));
        }
    }
    for a in &assessments {
        let aid = id(a);
        let fm = &a.frontmatter;
        let covers: Vec<&str> = strings(fm, "covers");
        for (audience, control) in [
            ("individuals", "A.5.4"),
            ("groups", "A.5.4"),
            ("society", "A.5.5"),
        ] {
            if !covers.contains(&audience) {
                cx.out.push(
                    at(
                        &IMPACT_INCOMPLETE,
                        a,
                        "covers",
                        format!("{aid} does not assess the effects on {audience}"),
                    )
                    .under_control(control),
                );
            }
        }
        let missing: Vec<&str> = [
            ("triggers", strings(fm, "triggers").is_empty()),
            ("review-cycle", text(fm, "review-cycle").is_none()),
            ("escalation", text(fm, "escalation").is_none()),
        ]
        .into_iter()
        .filter(|(_, m)| *m)
        .map(|(k, _)| k)
        .collect();
        if !missing.is_empty() {
            cx.out.push(
                at(
                    &IMPACT_INCOMPLETE,
                    a,
                    "id",
                    format!(
                        "{aid} has no {}: it is a snapshot, not a process",
                        list(&missing)
                    ),
                )
                .under_control("A.5.2"),
            );
        }
        outdated(cx, a);
    }
}

fn outdated(cx: &mut Ctx, a: &Document) {
    let Some(register) = cx.register else { return };
    let aid = id(a);
    let Some(entry) = register.entry(aid) else {
        return;
    };
    let Some(last) = entry.state.last_approval() else {
        return; // never approved: CTL001 says so
    };
    let approved = Date::from_unix(last.time);
    let sys = text(&a.frontmatter, "ai-system").unwrap_or("");
    let high = cx
        .index
        .get(sys)
        .and_then(|d| d.frontmatter.str("risk-tier"))
        .is_some_and(|t| t == "high" || t == "prohibited");
    let class = if high {
        Classification::Major
    } else {
        Classification::Minor
    };
    if let Some(s) = register.entry(sys) {
        let later: Vec<_> = s.revisions.iter().filter(|r| r.time > last.time).collect();
        let why = match (later.last(), s.state.uncommitted) {
            (Some(r), _) => Some(format!(
                "{sys} changed on {} (commit {}) after {aid} was last approved on {approved}",
                Date::from_unix(r.time),
                crate::history::short_id(&r.commit)
            )),
            (None, true) => Some(format!(
                "{sys} has an uncommitted change made after {aid} was last approved on {approved}"
            )),
            (None, false) => None,
        };
        if let Some(why) = why {
            cx.out.push(
                at(
                    &IMPACT_OUTDATED,
                    a,
                    "ai-system",
                    format!("{aid} is outdated: {why}"),
                )
                .classified(class),
            );
            return;
        }
    }
    if let Some(cycle) =
        text(&a.frontmatter, "review-cycle").and_then(|c| c.parse::<Interval>().ok())
    {
        let due = approved.plus(cycle);
        if due < cx.as_of {
            cx.out.push(
                at(
                    &IMPACT_OUTDATED,
                    a,
                    "review-cycle",
                    format!("{aid} is outdated: last approved on {approved}, its {cycle} review cycle ran out on {due}"),
                )
                .classified(class),
            );
        }
    }
}
