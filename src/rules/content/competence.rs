//! Competence (7.2, A.4.6).

use super::*;

rule!(COMPETENCE_INCOMPLETE, "ISO019", "competence-incomplete", Some("7.2"), Some("A.4.6"), Minor,
    summary: "The competence matrix is incomplete or overdue",
    what: "The competence matrix must have an entry for every role in aims.toml, each with required competencies, an evaluation method that tests competence (not attendance or self-assessment), evidence records that exist, and a reassessment date that has not passed.",
    why: "Clause 7.2 requires documented evidence of competence, not of training attendance. Auditors interview role holders; a matrix with no evidence, or with overdue reassessments, is a minor nonconformity.",
    fix: "Add the missing roles, name how competence is evaluated (test, certification, observed practice), link the assessment records in `evidence`, and reassess those past `reassess-by`.");

/// Evaluations that show attendance or opinion, not competence.
const WEAK_EVALUATIONS: &[&str] = &[
    "webinar",
    "attendance",
    "self-assess",
    "self assess",
    "opinion",
];

pub(super) fn check(cx: &mut Ctx) {
    let matrices = of_kind(cx.ws, Kind::Competence);
    let Some(m) = matrices.first().copied() else {
        cx.out.push(
            Finding::new(
                &COMPETENCE_INCOMPLETE,
                "no competence matrix: no document of kind `competence`",
            )
            .classified(Classification::Major)
            .help("`aims new competence`"),
        );
        return;
    };
    let mid = id(m);
    let entries = tables(&m.frontmatter, "role");
    let mut seen = BTreeSet::new();
    for (span, t) in &entries {
        let role = text(t, "role").unwrap_or("?");
        seen.insert(role.to_owned());
        let mut gaps: Vec<String> = Vec::new();
        if strings(t, "competencies").is_empty() {
            gaps.push("no required competencies".into());
        }
        match text(t, "evaluation") {
            None => gaps.push("no evaluation method".into()),
            Some(e) if WEAK_EVALUATIONS.iter().any(|w| lower(e).contains(w)) => {
                gaps.push(format!(
                    "an evaluation that shows attendance or opinion, not competence (\"{e}\")"
                ));
            }
            Some(_) => {}
        }
        let evidence = strings(t, "evidence");
        if !evidence.iter().any(|e| cx.index.contains_key(e)) {
            gaps.push("no evidence record".into());
        }
        match date(t.get("reassess-by")) {
            None => gaps.push("no reassessment date".into()),
            Some(d) if d < cx.as_of => gaps.push(format!("reassessment overdue since {d}")),
            Some(_) => {}
        }
        if !gaps.is_empty() {
            cx.out.push(
                Finding::new(
                    &COMPETENCE_INCOMPLETE,
                    format!("{mid}: role `{role}` has {}", gaps.join("; ")),
                )
                .document(Some(mid))
                .at(&m.path, &m.source, Some(span.clone())),
            );
        }
    }
    let missing: Vec<&str> = cx
        .ws
        .config
        .roles
        .keys()
        .map(String::as_str)
        .filter(|r| !seen.contains(*r))
        .collect();
    if !missing.is_empty() {
        cx.out.push(at(
            &COMPETENCE_INCOMPLETE,
            m,
            "role",
            format!(
                "{mid} has no entry for the role{} {}",
                if missing.len() == 1 { "" } else { "s" },
                list(&missing)
            ),
        ));
    }
}
