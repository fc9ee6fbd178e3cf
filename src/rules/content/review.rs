//! Management review (9.3).

use super::*;

rule!(REVIEW_MISSING, "ISO022", "management-review-missing", Some("9.3"), None, Major,
    summary: "No management review has been held within its interval",
    what: "The AIMS needs a management-review record whose `held-on` date is within the management-review kind's review interval of the as-of date; none at all is a major nonconformity, an overdue one a minor.",
    why: "Clause 9.3 requires top management to review the AIMS at planned intervals. Certification bodies expect one completed review before Stage 2.",
    fix: "Hold the review with top management, record it with `aims new management-review`, and have the record approved.");

rule!(REVIEW_WEAK, "ISO023", "management-review-weak", Some("9.3"), None, Minor,
    summary: "A management-review record does not show data, decisions and actions",
    what: "The record of a management review held (dated no later than the day judged, and not the template's text) must show the data reviewed with values (a Data reviewed section with performance figures: counts, rates, measured values; dates, quarters, years and document ids are not figures), decisions (not placeholders such as \"none\", \"TBD\", \"...\" or \"discussed\"), and actions each with an owner and a due date (`[[action]]`, whose text is not a placeholder). \"No issues identified\" with no data is flagged.",
    why: "An auditor who was not in the room must be able to reconstruct what was reviewed and decided. A checkbox agenda and \"no issues identified\" is a minor nonconformity on clause 9.3.",
    fix: "Record the metrics reviewed and their current values, the decisions taken, and each action as an `[[action]]` with `owner` and `due`.");

pub(super) fn check(cx: &mut Ctx) {
    let reviews = of_kind(cx.ws, Kind::ManagementReview);
    let interval = cx
        .ws
        .config
        .kind_policy(Kind::ManagementReview)
        .review_interval;
    // A record dated after the day judged is a plan; a record still the
    // template's records nothing.
    let latest = reviews
        .iter()
        .filter(|r| !cx.is_template(r))
        .filter_map(|r| date(r.frontmatter.get("held-on")).map(|d| (d, *r)))
        .filter(|(d, _)| *d <= cx.as_of)
        .max_by_key(|(d, _)| *d);
    match latest {
        None => {
            let why = held_why(cx, &reviews, "held-on", "held");
            cx.out.push(
                Finding::new(
                    &REVIEW_MISSING,
                    format!("no management review held by {}{why}", cx.as_of),
                )
                .help(match reviews.first() {
                    Some(r) => format!(
                        "hold the review with top management, record what was reviewed, decided and assigned in {} (or a new record), and have it approved",
                        id(r)
                    ),
                    None => "hold the review with top management, then record it: `aims new management-review`".to_owned(),
                }),
            )
        }
        Some((held, r)) if held.plus(interval) < cx.as_of => cx.out.push(
            at(
                &REVIEW_MISSING,
                r,
                "held-on",
                format!(
                    "the last management review ({}, {held}) is older than the {interval} interval",
                    id(r)
                ),
            )
            .classified(Classification::Minor),
        ),
        Some(_) => {}
    }
    // The record of each review held (a planned one has nothing to show
    // yet; template text is ISO028's).
    let held: Vec<&Document> = reviews
        .iter()
        .copied()
        .filter(|r| {
            !cx.is_template(r) && date(r.frontmatter.get("held-on")).is_some_and(|d| d <= cx.as_of)
        })
        .collect();
    for r in held {
        let body = lower(r.body());
        let mut gaps = Vec::new();
        let data = crate::requirements::section(r, "Data reviewed");
        if !data.as_deref().is_some_and(super::substance::has_figures) {
            gaps.push(
                "no data reviewed with values (dates, quarters, years and ids are not figures)",
            );
        }
        // Decisions: the items under the heading, placeholders ("none",
        // "...", "TBD", "discussed") not counted.
        let decided = crate::requirements::section(r, "Decisions").is_some_and(|t| {
            t.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('>'))
                .any(|l| !super::substance::placeholder(l))
        });
        if !decided {
            gaps.push("no decisions");
        }
        let actions = tables(&r.frontmatter, "action");
        let complete = actions
            .iter()
            .filter(|(_, t)| text(t, "owner").is_some() && date(t.get("due")).is_some())
            .filter(|(_, t)| text(t, "action").is_some_and(|a| !super::substance::placeholder(a)))
            .count();
        if complete == 0 {
            gaps.push("no actions with owners and due dates");
        }
        if !gaps.is_empty() {
            let nothing = if body.contains("no issues identified") {
                " (\"no issues identified\" is not a record of what was reviewed)"
            } else {
                ""
            };
            cx.out.push(at(
                &REVIEW_WEAK,
                r,
                "id",
                format!("{}: {}{nothing}", id(r), gaps.join(", ")),
            ));
        }
    }
}

/// Why the records of an activity (`field` the date it was `done`) do not
/// show it done by the day judged: dated later (planned), or still the
/// template's text. Empty when there are none.
pub(super) fn held_why(cx: &Ctx, records: &[&Document], field: &str, done: &str) -> String {
    let mut why = Vec::new();
    for r in records {
        match date(r.frontmatter.get(field)) {
            _ if cx.is_template(r) => why.push(format!(
                "{} is still the template's text, so it records nothing",
                id(r)
            )),
            Some(d) if d > cx.as_of => why.push(format!(
                "{} is dated {d}, after {}: it is planned, not {done}",
                id(r),
                cx.as_of
            )),
            _ => {}
        }
    }
    if why.is_empty() {
        String::new()
    } else {
        format!(" ({})", why.join("; "))
    }
}
