//! AI objectives (6.2).

use super::*;

rule!(OBJECTIVE_NOT_MEASURABLE, "ISO018", "objective-not-measurable", Some("6.2"), None, Major,
    summary: "An AI objective is an intention, not a measurable objective",
    what: "Every objective needs a metric, a target, an owner who is a person or a role (not \"the team\"), a measurement frequency, a method and a due date; and the AIMS needs at least one objective. The target must be a level that can be checked: a quantity, threshold or countable outcome (a typed `target-value` with `target-unit` and `target-comparison`, or a number in `target` that is not a date, or \"all\", \"zero\", \"none of\"); \"improve\", \"increase\" or \"better\" are a direction, not a target.",
    why: "Clause 6.2 requires measurable objectives monitored at defined intervals. \"Deploy AI responsibly\" is an intention: the auditor cannot tell what success means, who achieves it or by when. Major nonconformity.",
    fix: "Write the definition of done: fill in `metric`, `target`, `frequency`, `method` and `due`, and make the owner a named person or a role from aims.toml.");

pub(super) fn check(cx: &mut Ctx) {
    let objectives = of_kind(cx.ws, Kind::Objective);
    if objectives.is_empty() {
        cx.out.push(
            Finding::new(
                &OBJECTIVE_NOT_MEASURABLE,
                "no AI objectives: no document of kind `objective`",
            )
            .help("`aims new objective`"),
        );
    }
    for o in objectives {
        let fm = &o.frontmatter;
        let mut missing: Vec<&str> = ["metric", "target", "frequency", "method"]
            .into_iter()
            .filter(|k| text(fm, k).is_none())
            .collect();
        if date(fm.get("due")).is_none() {
            missing.push("due date");
        }
        let owner = o.owner().map(str::trim).unwrap_or("");
        if !is_accountable(cx.ws, owner) {
            missing.push("an owner who is a person or a role");
        }
        // Present but not a level that can be checked: a typed target
        // (target-value) settles it; free text is read.
        let typed = fm.get("target-value").is_some();
        if missing.is_empty()
            && !typed
            && let (Some(metric), Some(target)) = (text(fm, "metric"), text(fm, "target"))
            && let Some(why) = super::substance::unmeasurable(metric, target)
        {
            cx.out.push(at(
                &OBJECTIVE_NOT_MEASURABLE,
                o,
                "target",
                format!(
                    "{} \"{}\" is not measurable: {why} (target: \"{target}\")",
                    id(o),
                    o.title().unwrap_or("")
                ),
            ));
        }
        if !missing.is_empty() {
            cx.out.push(at(
                &OBJECTIVE_NOT_MEASURABLE,
                o,
                "id",
                format!(
                    "{} \"{}\" is an intention, not a measurable objective: no {}",
                    id(o),
                    o.title().unwrap_or(""),
                    missing.join(", no ")
                ),
            ));
        }
    }
}
