//! Scope (4.3): the scope document and the AI-system inventory agree.

use super::*;

rule!(SCOPE_MISSING, "ISO001", "scope-missing", Some("4.3"), None, Major,
    summary: "There is no AIMS scope document",
    what: "The AIMS needs one document of kind `scope` that names the AI systems inside the management system and those left out.",
    why: "Clause 4.3 requires the scope to be determined and available as documented information. Without it an auditor cannot tell what the certificate would cover, and the audit cannot start.",
    fix: "Create it with `aims new scope`, list the inventoried AI systems in `in-scope`, add an `[[exclusion]]` with a justification for each system left out, and have top management approve it.");

rule!(SYSTEM_NOT_SCOPED, "ISO002", "ai-system-not-scoped", Some("4.3"), None, Minor,
    summary: "An inventoried AI system is neither in scope nor excluded with a justification",
    what: "Every `ai-system` document must appear in the scope's `in-scope` list or in one of its `[[exclusion]]` entries, and not in both.",
    why: "An auditor compares the AI inventory with the scope (4.3). A system that is in neither is an unexplained boundary: either the scope is incomplete or the inventory is, and exclusions must be justified.",
    fix: "Add the system's id to `in-scope` in the scope document, or add an `[[exclusion]]` with `ai-system` and a `justification`.");

/// A scope document's AI systems: those in `in-scope`, and those its
/// `[[exclusion]]` entries leave out (ids trimmed, empty ones dropped).
pub fn scope_systems(scope: &Document) -> (Vec<&str>, Vec<&str>) {
    let in_scope = strings(&scope.frontmatter, "in-scope");
    let excluded = tables(&scope.frontmatter, "exclusion")
        .into_iter()
        .filter_map(|(_, t)| text(t, "ai-system"))
        .collect();
    (in_scope, excluded)
}

/// Returns the ids of the AI systems in scope.
pub(super) fn check(cx: &mut Ctx) -> BTreeSet<String> {
    let scopes = of_kind(cx.ws, Kind::Scope);
    let systems = of_kind(cx.ws, Kind::AiSystem);
    let Some(scope) = scopes.first() else {
        cx.out.push(
            Finding::new(
                &SCOPE_MISSING,
                "no document of kind `scope`: the AIMS has no defined boundaries",
            )
            .help("`aims new scope`"),
        );
        return systems.iter().map(|d| id(d).to_owned()).collect();
    };
    let (in_scope, excluded) = scope_systems(scope);
    let in_scope: BTreeSet<String> = in_scope.into_iter().map(str::to_owned).collect();
    let excluded: BTreeSet<String> = excluded.into_iter().map(str::to_owned).collect();
    for sys in &systems {
        let sid = id(sys);
        let (i, e) = (in_scope.contains(sid), excluded.contains(sid));
        let message = match (i, e) {
            (false, false) => format!(
                "{sid} ({}) is in the AI inventory but neither in {}'s scope nor excluded from it",
                sys.title().unwrap_or(""),
                id(scope)
            ),
            (true, true) => format!(
                "{sid} is both in {}'s scope and excluded from it",
                id(scope)
            ),
            _ => continue,
        };
        cx.out
            .push(at(&SYSTEM_NOT_SCOPED, scope, "in-scope", message));
    }
    in_scope
}
