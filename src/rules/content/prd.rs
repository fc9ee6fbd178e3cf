//! Product documents that touch AI systems (8.1, A.6.2.2).

use super::*;

rule!(PRD_WITHOUT_AIMS, "ISO026", "prd-missing-aims-block", Some("8.1"), Some("A.6.2.2"), Minor,
    summary: "A PRD that touches an AI system has no AIMS metadata block",
    what: "A PRD (matched by `prds` in aims.toml) that names an inventoried AI system must carry an `[aims]` block (AI system, risk tier, impact, risks, human oversight, monitoring).",
    why: "Control A.6.2.2 asks for requirements of AI systems to be specified and documented. A product change to an AI system that never states its risk tier, impact or monitoring bypasses the AIMS.",
    fix: "Add an `[aims]` table to the PRD's frontmatter with `ai-system`, `risk-tier`, `impact`, `risks`, `human-oversight` and `monitoring`.");

pub(super) fn check(cx: &mut Ctx) {
    let systems: Vec<&str> = of_kind(cx.ws, Kind::AiSystem)
        .iter()
        .map(|d| id(d))
        .collect();
    for d in cx.ws.documents().filter(|d| d.is_prd) {
        if d.frontmatter.get("aims").is_some() {
            continue;
        }
        let named: Vec<&str> = systems
            .iter()
            .copied()
            .filter(|s| d.source.contains(s))
            .collect();
        if !named.is_empty() {
            cx.out.push(at(
                &PRD_WITHOUT_AIMS,
                d,
                "id",
                format!(
                    "{} names the AI system {} but has no [aims] block",
                    id(d),
                    list(&named)
                ),
            ));
        }
    }
}
