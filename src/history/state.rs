//! A document's derived control state: version, approvals that count,
//! unapproved changes, review due date, all as of a moment. A pure function
//! of the revisions, the verified approvals and the kind's policy, so the
//! same inputs always give the same register.

use crate::date::{Date, Interval};

use super::approvals::Approval;
use super::revisions::Revision;
use super::tag::Decision;

/// What decides whether an approval counts for a document.
pub struct Policy<'a> {
    /// Roles that may approve this kind of document.
    pub approver_roles: &'a [String],
    pub review_interval: Interval,
    /// The author of a change may not approve it.
    pub require_distinct_approver: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Approved,
    ChangedSinceApproval,
    NeverApproved,
    ReviewOverdue,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Approved => "approved",
            State::ChangedSinceApproval => "changed-since-approval",
            State::NeverApproved => "never-approved",
            State::ReviewOverdue => "review-overdue",
        }
    }
}

/// An approval that was verified but does not count for this document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotCounted {
    /// The role is not among the kind's approvers.
    RoleMayNotApprove { role: String },
    /// The signer authored the approved change.
    SelfApproval { author: String },
    /// The approved blob was never a revision of this document.
    UnknownContent,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlState {
    /// Number of distinct approved contents (None when never approved).
    pub version: Option<u32>,
    pub state: State,
    /// Approvals that count, oldest first, with the version each gave.
    pub counted: Vec<(Approval, u32)>,
    /// Verified approvals that do not count, with the reason.
    pub not_counted: Vec<(Approval, NotCounted)>,
    /// Changes after the last approved content: revisions, plus one for an
    /// uncommitted change.
    pub unapproved_changes: usize,
    /// The working tree differs from the last committed revision.
    pub uncommitted: bool,
    pub review_due: Option<Date>,
}

impl ControlState {
    /// The latest approval that made or confirmed the content in force.
    pub fn last_approval(&self) -> Option<&Approval> {
        self.counted.last().map(|(a, _)| a)
    }

    /// The version number of the content in force. It differs from
    /// `version` (the count of approved contents) when an earlier content
    /// was approved again.
    pub fn in_force_version(&self) -> Option<u32> {
        self.counted.last().map(|(_, v)| *v)
    }
}

/// Derives a document's state from its revisions (oldest first) and the
/// verified approvals naming it, considering only what existed at `as_of`
/// (Unix seconds). `uncommitted` says the working tree holds a change not
/// yet committed.
pub fn derive(
    revisions: &[Revision],
    approvals: &[Approval],
    policy: &Policy<'_>,
    as_of: i64,
    uncommitted: bool,
) -> ControlState {
    let revisions: Vec<&Revision> = revisions.iter().filter(|r| r.time <= as_of).collect();
    let mut approvals: Vec<&Approval> = approvals.iter().filter(|a| a.time <= as_of).collect();
    approvals.sort_by_key(|a| (a.time, a.tag.clone()));

    let mut counted = Vec::new();
    let mut not_counted = Vec::new();
    let mut approved_blobs: Vec<&str> = Vec::new();
    let mut last_approval_or_review: Option<i64> = None;
    for a in approvals {
        if !policy.approver_roles.contains(&a.claim.role) {
            not_counted.push((
                a.clone(),
                NotCounted::RoleMayNotApprove {
                    role: a.claim.role.clone(),
                },
            ));
            continue;
        }
        // The change approved is the first revision holding that content.
        let Some(introduced) = revisions.iter().find(|r| r.blob == a.claim.blob) else {
            not_counted.push((a.clone(), NotCounted::UnknownContent));
            continue;
        };
        if policy.require_distinct_approver
            && introduced
                .author_email
                .eq_ignore_ascii_case(&a.signer_email)
        {
            not_counted.push((
                a.clone(),
                NotCounted::SelfApproval {
                    author: introduced.author_email.clone(),
                },
            ));
            continue;
        }
        if !approved_blobs.contains(&a.claim.blob.as_str()) {
            // A review of content never approved is not an approval.
            if a.claim.decision == Decision::Reviewed {
                not_counted.push((a.clone(), NotCounted::UnknownContent));
                continue;
            }
            approved_blobs.push(&a.claim.blob);
        }
        let version = approved_blobs
            .iter()
            .position(|b| *b == a.claim.blob)
            .map_or(0, |i| i as u32 + 1);
        last_approval_or_review =
            Some(last_approval_or_review.map_or(a.time, |t: i64| t.max(a.time)));
        counted.push((a.clone(), version));
    }

    let version = (!approved_blobs.is_empty()).then_some(approved_blobs.len() as u32);
    let current = revisions.last().map(|r| r.blob.as_str());
    let last_approved = counted.last().map(|(a, _)| a.claim.blob.as_str());
    let committed_changes = match last_approved {
        None => revisions.len(),
        Some(blob) => match revisions.iter().rposition(|r| r.blob == blob) {
            Some(i) => revisions.len() - 1 - i,
            None => revisions.len(),
        },
    };
    let unapproved_changes = committed_changes + usize::from(uncommitted);
    let review_due =
        last_approval_or_review.map(|t| Date::from_unix(t).plus(policy.review_interval));
    let today = Date::from_unix(as_of);
    let state = match (last_approved, current) {
        (None, _) => State::NeverApproved,
        (Some(a), Some(c)) if a != c || uncommitted => State::ChangedSinceApproval,
        _ if review_due.is_some_and(|d| d < today) => State::ReviewOverdue,
        _ => State::Approved,
    };
    ControlState {
        version,
        state,
        counted,
        not_counted,
        unapproved_changes,
        uncommitted,
        review_due,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::signature::Verified;
    use crate::history::tag::Claim;

    const DAY: i64 = 86_400;

    fn rev(n: i64, blob: &str, author: &str) -> Revision {
        Revision {
            commit: format!("c{n}"),
            author_name: author.into(),
            author_email: format!("{author}@x.example"),
            committer_email: format!("{author}@x.example"),
            time: n * DAY,
            blob: blob.into(),
            path: "aims/p.md".into(),
        }
    }

    fn approval(n: i64, blob: &str, signer: &str, role: &str, decision: Decision) -> Approval {
        Approval {
            tag: format!("aims/t{n}"),
            commit: format!("c{n}"),
            claim: Claim {
                document: "POL-001".into(),
                path: "aims/p.md".into(),
                blob: blob.into(),
                role: role.into(),
                decision,
            },
            signer_name: signer.into(),
            signer_email: format!("{signer}@x.example"),
            time: n * DAY,
            signature: Verified {
                fingerprint: "SHA256:x".into(),
                line: Some(1),
            },
        }
    }

    fn policy(roles: &[String]) -> Policy<'_> {
        Policy {
            approver_roles: roles,
            review_interval: "30 days".parse().unwrap(),
            require_distinct_approver: true,
        }
    }

    #[test]
    fn versions_changes_and_reviews() {
        let roles = vec!["top".to_owned()];
        let revs = [
            rev(1, "b1", "alice"),
            rev(3, "b2", "alice"),
            rev(5, "b3", "alice"),
            rev(6, "b4", "alice"),
        ];
        let apps = [
            approval(2, "b1", "dana", "top", Decision::Approved),
            approval(4, "b2", "dana", "top", Decision::Approved),
            approval(10, "b2", "dana", "top", Decision::Reviewed),
        ];
        // Before any approval.
        let s = derive(&revs, &apps, &policy(&roles), DAY, false);
        assert_eq!(
            (s.version, s.state, s.unapproved_changes),
            (None, State::NeverApproved, 1)
        );
        // After the first approval: v1, approved, due 30 days later.
        let s = derive(&revs, &apps, &policy(&roles), 2 * DAY, false);
        assert_eq!((s.version, s.state), (Some(1), State::Approved));
        assert_eq!(s.review_due, Some(Date::from_unix(32 * DAY)));
        // After the second approval and two later edits: v2 + 2 unapproved changes.
        let s = derive(&revs, &apps, &policy(&roles), 7 * DAY, false);
        assert_eq!(
            (s.version, s.state, s.unapproved_changes),
            (Some(2), State::ChangedSinceApproval, 2)
        );
        // A review does not make a version but moves the due date.
        let s = derive(&revs, &apps, &policy(&roles), 11 * DAY, false);
        assert_eq!(s.version, Some(2));
        assert_eq!(s.counted.last().unwrap().1, 2);
        assert_eq!(s.review_due, Some(Date::from_unix(40 * DAY)));
    }

    #[test]
    fn overdue_when_the_interval_passed() {
        let roles = vec!["top".to_owned()];
        let revs = [rev(1, "b1", "alice")];
        let apps = [approval(2, "b1", "dana", "top", Decision::Approved)];
        let s = derive(&revs, &apps, &policy(&roles), 40 * DAY, false);
        assert_eq!(s.state, State::ReviewOverdue);
    }

    #[test]
    fn approvals_that_do_not_count() {
        let roles = vec!["top".to_owned()];
        let revs = [rev(1, "b1", "alice")];
        let apps = [
            approval(2, "b1", "alice", "top", Decision::Approved),
            approval(3, "b1", "dana", "lead", Decision::Approved),
            approval(4, "zz", "dana", "top", Decision::Approved),
            approval(5, "b1", "dana", "top", Decision::Reviewed),
        ];
        let s = derive(&revs, &apps, &policy(&roles), 9 * DAY, false);
        let reasons: Vec<&NotCounted> = s.not_counted.iter().map(|(_, r)| r).collect();
        assert!(matches!(reasons[0], NotCounted::SelfApproval { .. }));
        assert!(matches!(reasons[1], NotCounted::RoleMayNotApprove { .. }));
        assert!(matches!(reasons[2], NotCounted::UnknownContent));
        assert!(
            matches!(reasons[3], NotCounted::UnknownContent),
            "a review of never-approved content"
        );
        assert_eq!((s.version, s.state), (None, State::NeverApproved));
        // Without segregation of duties the author's approval counts.
        let mut p = policy(&roles);
        p.require_distinct_approver = false;
        assert_eq!(derive(&revs, &apps, &p, 9 * DAY, false).version, Some(1));
    }
}
