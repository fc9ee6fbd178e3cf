//! Nonconformity and corrective action (10.2).

use super::*;

rule!(NC_OVERDUE, "ISO024", "nonconformity-overdue", Some("10.2"), None, Minor,
    summary: "A corrective action is past its due date",
    what: "A nonconformity that is not closed must have a `due` date on or after the as-of date.",
    why: "Clause 10.2 requires corrective actions to be taken. An overdue action shows the corrective-action process is not working, which auditors follow up at every surveillance visit.",
    fix: "Complete the corrective action and close the nonconformity with its verification, or re-plan it with a new due date agreed by its owner.");

rule!(NC_UNVERIFIED, "ISO025", "nonconformity-closed-unverified", Some("10.2"), None, Minor,
    summary: "A nonconformity was closed without verifying the action worked",
    what: "A closed nonconformity must record in an `[effectiveness]` table when (`checked-on`, no earlier than it was raised and not after today), how (`method`) and with what `result` the corrective action's effect was checked; the result must be `effective` (a closed nonconformity whose action did not work is not closed). The earlier form, `verified-on` and `verification`, is reported with the table to move them into.",
    why: "Clause 10.2 requires the effectiveness of corrective actions to be reviewed. Closing without verification is the most common corrective-action finding: nobody knows whether the cause is gone.",
    fix: "Verify that the problem has not recurred (a later record, a re-test), then add `[effectiveness]` with `checked-on`, `method` and `result = \"effective\"`; reopen it if the check has not been done or the action did not work.");

pub(super) fn check(cx: &mut Ctx) {
    for n in of_kind(cx.ws, Kind::Nonconformity) {
        let nid = id(n);
        let fm = &n.frontmatter;
        let status = text(fm, "status").unwrap_or("");
        if status == "closed" {
            if let Some(m) = unverified(n, cx.as_of) {
                cx.out.push(at(&NC_UNVERIFIED, n, "status", m));
            }
        } else if let Some(due) = date(fm.get("due"))
            && due < cx.as_of
        {
            cx.out.push(at(
                &NC_OVERDUE,
                n,
                "due",
                format!("{nid} is {status} and its corrective action was due on {due}"),
            ));
        }
    }
}

/// Why a closed nonconformity's effectiveness check does not stand.
fn unverified(n: &Document, today: Date) -> Option<String> {
    let nid = id(n);
    let fm = &n.frontmatter;
    let raised = date(fm.get("raised-on"));
    let Some(check) = fm.get("effectiveness").and_then(Node::as_table) else {
        // The earlier form: say where its values now go.
        return Some(
            if fm.get("verified-on").is_some() || fm.get("verification").is_some() {
                format!(
                    "{nid} records its verification as `verified-on`/`verification`; move them into an `[effectiveness]` table as `checked-on` and `method`, and add `result`"
                )
            } else {
                format!(
                    "{nid} was closed without checking that the corrective action worked (no `[effectiveness]`)"
                )
            },
        );
    };
    let on = date(check.get("checked-on"));
    let method = text(check, "method").filter(|m| !crate::requirements::blank(m));
    let result = text(check, "result");
    let missing: Vec<&str> = [
        ("valid `checked-on` date", on.is_none()),
        ("`method`", method.is_none()),
        ("`result`", result.is_none()),
    ]
    .into_iter()
    .filter(|(_, gone)| *gone)
    .map(|(k, _)| k)
    .collect();
    if !missing.is_empty() {
        return Some(format!(
            "{nid} was closed, but its `[effectiveness]` check has no {}",
            missing.join(" or ")
        ));
    }
    let on = on?;
    // The action is taken after the nonconformity is raised, and checked
    // once it has had time to work: not on the day it was raised.
    if raised.is_some_and(|r| on <= r) {
        return Some(format!(
            "{nid}'s effectiveness was checked on {on}, {} it was raised: no corrective action can have been shown to work by then",
            if raised == Some(on) {
                "the day"
            } else {
                "before"
            }
        ));
    }
    if on > today {
        return Some(format!(
            "{nid} was closed on the strength of an effectiveness check dated {on}, which has not happened yet"
        ));
    }
    if result == Some("not-effective") {
        return Some(format!(
            "{nid} was closed although its effectiveness check found the corrective action not effective"
        ));
    }
    None
}
