//! Clauses no document evidences (ISO027).

use super::*;

rule!(CLAUSE_NOT_EVIDENCED, "ISO027", "clause-not-evidenced", Some("4.4"), None, Observation,
    summary: "No controlled document evidences a clause",
    what: "Each sub-clause of clauses 4-10 should be cited (`clauses`) by at least one controlled document, or be the main clause of a document's kind. A clause that asks for documented information is an observation; any other an opportunity for improvement.",
    why: "An auditor samples every clause. Where no document points at a clause, the evidence has to come from interviews alone, which is where surprises happen.",
    fix: "Cite the clause in the documents that evidence it (`clauses = [\"…\"]`), or write the missing documented information.");

/// The documents that evidence each clause: those citing it, an ancestor or
/// a descendant of it, or whose kind mainly evidences it.
pub fn evidence_by_clause(ws: &Workspace) -> BTreeMap<&'static str, Vec<&Document>> {
    let mut out: BTreeMap<&'static str, Vec<&Document>> = BTreeMap::new();
    for d in ws.documents() {
        let mut cited: Vec<String> = strings(&d.frontmatter, "clauses")
            .into_iter()
            .map(str::to_owned)
            .collect();
        if let Some(k) = d.kind() {
            cited.push(k.spec().clause.to_owned());
        }
        for c in catalog::CLAUSES {
            let hit = cited.iter().any(|x| {
                x == c.id
                    || c.id.starts_with(&format!("{x}."))
                    || x.starts_with(&format!("{}.", c.id))
            });
            if hit {
                let v = out.entry(c.id).or_default();
                if !v.iter().any(|e| std::ptr::eq(*e, d)) {
                    v.push(d);
                }
            }
        }
    }
    out
}

pub(super) fn check(cx: &mut Ctx) {
    let by_clause = evidence_by_clause(cx.ws);
    for c in catalog::CLAUSES {
        if !c.id.contains('.') || by_clause.contains_key(c.id) {
            continue;
        }
        // Document control (7.5) is evidenced by the register itself.
        if c.id.starts_with("7.5") && cx.register.is_some() {
            continue;
        }
        let class = if c.documented.is_some() {
            Classification::Observation
        } else {
            Classification::Improvement
        };
        cx.out.push(
            Finding::new(
                &CLAUSE_NOT_EVIDENCED,
                format!(
                    "no controlled document evidences clause {} ({})",
                    c.id, c.title
                ),
            )
            .under_clause(c.id)
            .classified(class),
        );
    }
}
