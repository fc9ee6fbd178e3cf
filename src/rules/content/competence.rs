//! Competence (7.2, A.4.6).

use super::substance::Weakness;
use super::*;

rule!(COMPETENCE_INCOMPLETE, "ISO019", "competence-incomplete", Some("7.2"), Some("A.4.6"), Minor,
    summary: "The competence matrix is incomplete or overdue",
    what: "The competence matrix must have an entry for every role in aims.toml, each with required competencies, an evaluation that tests competence (assessed results, supervised or observed practice, recognised qualifications, peer-reviewed work; not attendance, course completion, reading, self-declaration or opinion, whatever the wording; an `evidence-type` of attendance, completion or self-declaration is weak too), evidence records that exist, and a reassessment date that has not passed.",
    why: "Clause 7.2 requires documented evidence of competence, not of training attendance. Auditors interview role holders; a matrix with no evidence, or with overdue reassessments, is a minor nonconformity.",
    fix: "Add the missing roles, name how competence is evaluated (test, certification, observed practice), link the assessment records in `evidence`, and reassess those past `reassess-by`.");

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
        // The evidence type, where the matrix states one, supplies what
        // the words leave unsaid; else the evaluation's words are read.
        let kind = text(t, "evidence-type");
        match (text(t, "evaluation"), kind) {
            (None, _) => gaps.push("no evaluation method".into()),
            (Some(e), Some(k)) if crate::docs::schema::WEAK_EVIDENCE_TYPES.contains(&k) => {
                gaps.push(format!(
                    "evidence of type `{k}`, which shows attendance or self-declaration, not competence (\"{e}\")"
                ));
            }
            // A strong type does not outweigh words that say the person
            // only attended, or has yet to sit the exam.
            (Some(e), Some(k)) => {
                if let Some(w @ (Weakness::Attendance | Weakness::Pending)) =
                    super::substance::evidence_weakness(e)
                {
                    let why = if w == Weakness::Pending {
                        "has not happened yet"
                    } else {
                        "describes attendance or completion"
                    };
                    gaps.push(format!(
                        "an evaluation that {why}, though its evidence type is `{k}` (\"{e}\")"
                    ));
                }
            }
            (Some(e), None) => {
                if let Some(why) = super::substance::weak_evidence(e) {
                    gaps.push(format!(
                        "an evaluation that is weak evidence: {why} (\"{e}\")"
                    ));
                }
            }
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
