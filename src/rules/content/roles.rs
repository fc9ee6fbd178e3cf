//! Roles, responsibilities and authorities (5.3, A.3.2).

use super::*;

rule!(ROLE_WITHOUT_MEMBERS, "ISO006", "role-without-members", Some("5.3"), Some("A.3.2"), Minor,
    summary: "A role the AIMS relies on has no members",
    what: "Every role named as an owner, an approver (`[kinds]`), an SoA control owner or a competence-matrix role must be defined in `[roles]` in aims.toml with at least one member.",
    why: "Clause 5.3 requires responsibilities and authorities to be assigned. A role with nobody in it is an accountability gap: nobody can approve, own or answer for what it is responsible for.",
    fix: "Add the people who hold the role to `[roles]` in aims.toml, and have the configuration approved.");

pub(super) fn check(cx: &mut Ctx) {
    let mut used: BTreeMap<String, String> = BTreeMap::new(); // role -> where
    for spec in crate::docs::schema::KINDS {
        for r in &cx.ws.config.kind_policy(spec.kind).approvers {
            used.entry(r.clone())
                .or_insert_with(|| format!("approves {} documents", spec.name));
        }
    }
    for d in cx.ws.documents() {
        if let Some(o) = d.owner().map(str::trim)
            && !crate::config::is_email(o)
            && cx.ws.config.has_role(o)
        {
            used.entry(o.to_owned())
                .or_insert_with(|| format!("owns {}", id(d)));
        }
        for key in ["control", "role"] {
            for (_, t) in tables(&d.frontmatter, key) {
                for k in ["owner", "role"] {
                    if let Some(r) = text(t, k)
                        && cx.ws.config.has_role(r)
                    {
                        used.entry(r.to_owned())
                            .or_insert_with(|| format!("is named in {}", id(d)));
                    }
                }
            }
        }
    }
    for (role, why) in used {
        if cx.ws.config.roles.get(&role).is_some_and(Vec::is_empty) {
            cx.out.push(
                Finding::new(
                    &ROLE_WITHOUT_MEMBERS,
                    format!("role `{role}` has no members in aims.toml, but it {why}"),
                )
                .document(Some(crate::control::CONFIG_ID))
                .at_line(crate::config::FILE_NAME, 1),
            );
        }
    }
}
