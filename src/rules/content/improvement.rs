//! Nonconformity and corrective action (10.2).

use super::*;

rule!(NC_OVERDUE, "ISO024", "nonconformity-overdue", Some("10.2"), None, Minor,
    summary: "A corrective action is past its due date",
    what: "A nonconformity that is not closed must have a `due` date on or after the as-of date.",
    why: "Clause 10.2 requires corrective actions to be taken. An overdue action shows the corrective-action process is not working, which auditors follow up at every surveillance visit.",
    fix: "Complete the corrective action and close the nonconformity with its verification, or re-plan it with a new due date agreed by its owner.");

rule!(NC_UNVERIFIED, "ISO025", "nonconformity-closed-unverified", Some("10.2"), None, Minor,
    summary: "A nonconformity was closed without verifying the action worked",
    what: "A closed nonconformity must record when (`verified-on`) and how (`verification`) the effectiveness of its corrective action was verified, no earlier than it was raised.",
    why: "Clause 10.2 requires the effectiveness of corrective actions to be reviewed. Closing without verification is the most common corrective-action finding: nobody knows whether the cause is gone.",
    fix: "Verify that the problem has not recurred (a later record, a re-test), then fill in `verified-on` and `verification`; reopen it if it has not been verified.");

pub(super) fn check(cx: &mut Ctx) {
    for n in of_kind(cx.ws, Kind::Nonconformity) {
        let nid = id(n);
        let fm = &n.frontmatter;
        let status = text(fm, "status").unwrap_or("");
        if status == "closed" {
            let verified = date(fm.get("verified-on"));
            let how = text(fm, "verification");
            let raised = date(fm.get("raised-on"));
            let message = match (verified, how) {
                (None, _) | (_, None) => Some(format!(
                    "{nid} was closed without verifying that the corrective action worked"
                )),
                (Some(v), Some(_)) if raised.is_some_and(|r| v < r) => Some(format!(
                    "{nid}'s effectiveness was verified on {v}, before it was raised"
                )),
                _ => None,
            };
            if let Some(m) = message {
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
