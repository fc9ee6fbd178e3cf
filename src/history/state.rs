//! A document's derived control state: version, approvals that count,
//! unapproved changes, review due date, all as of a moment. A pure function
//! of the revisions, the verified approvals and the rules each approval is
//! judged by, so the same inputs always give the same register.
//!
//! Rules are not retroactive: each approval is judged by the [`Judge`]'s
//! policy for its own signature time (who could approve then, and whether
//! segregation of duties applied), and by the kind of the content in force
//! when it was given, so that editing an approved document's `kind` is a
//! change the old kind's approvers approve.

use crate::date::{Date, Interval};

use super::approvals::Approval;
use super::revisions::Revision;
use super::tag::{Decision, NO_CONTENT};

/// What decides whether one approval counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// Roles that may approve the governing kind of document.
    pub approver_roles: Vec<String>,
    /// The author of a change may not approve it.
    pub require_distinct_approver: bool,
}

/// The rules in force: for an approval, those of the configuration in force
/// when it was signed; for review dates, those in force now.
pub trait Judge {
    /// The policy `approval` is judged by, for documents of `kind` (the
    /// kind of the content in force when it was given, or of the content it
    /// approves when none was in force).
    fn policy(&self, approval: &Approval, kind: Option<&str>) -> Policy;
    /// The review interval of `kind`, under the rules in force at the moment
    /// described.
    fn review_interval(&self, kind: Option<&str>) -> Interval;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Approved,
    ChangedSinceApproval,
    NeverApproved,
    ReviewOverdue,
    /// Removed after approval, and the removal itself approved.
    Withdrawn,
    /// Not on this branch yet: only approvals of content waiting on
    /// another branch name it.
    Pending,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Approved => "approved",
            State::ChangedSinceApproval => "changed-since-approval",
            State::NeverApproved => "never-approved",
            State::ReviewOverdue => "review-overdue",
            State::Withdrawn => "withdrawn",
            State::Pending => "pending",
        }
    }
}

/// An approval that was verified but does not count for this document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotCounted {
    /// The role is not among the kind's approvers (under the rules in force
    /// when it was signed).
    RoleMayNotApprove { role: String, kind: Option<String> },
    /// The signer authored the approved change.
    SelfApproval { author: String },
    /// The approved blob was never a revision of this document on the branch.
    UnknownContent,
    /// A review (or withdrawal) of content that was never approved.
    NothingApproved,
    /// Signed before the approved content existed, as far as git records
    /// it (on the branch, or in the tagged commit): back-dated.
    BeforeContent { arrived: i64 },
    /// A withdrawal given while the document is still on the branch.
    StillPresent,
    /// A configuration approval that cannot count: the text says why.
    Configuration(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlState {
    /// Number of distinct approved contents (None when never approved).
    pub version: Option<u32>,
    pub state: State,
    /// Approvals that count, oldest first, with the version each gave (a
    /// withdrawal: the version it withdrew).
    pub counted: Vec<(Approval, u32)>,
    /// Verified approvals that do not count, with the reason.
    pub not_counted: Vec<(Approval, NotCounted)>,
    /// Verified approvals of content that is not on this branch yet: they
    /// will count (if they still verify) once it is merged.
    pub pending: Vec<Approval>,
    /// Changes after the last approved content: revisions, plus one for an
    /// uncommitted change.
    pub unapproved_changes: usize,
    /// The working tree differs from the last committed revision.
    pub uncommitted: bool,
    /// The document is no longer on the branch (removed, or unreadable).
    pub removed: bool,
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

    /// The last approved content (a withdrawal names what it withdrew).
    pub fn last_approved_blob(&self) -> Option<&str> {
        self.last_approval().map(|a| a.claim.blob.as_str())
    }

    /// A state for a document only approvals on other branches name.
    pub fn pending(pending: Vec<Approval>) -> ControlState {
        ControlState {
            version: None,
            state: State::Pending,
            counted: Vec::new(),
            not_counted: Vec::new(),
            pending,
            unapproved_changes: 0,
            uncommitted: false,
            removed: false,
            review_due: None,
        }
    }
}

/// The revision an approval is about: the first holding the approved
/// content, or for a withdrawal, the first removal of that content.
fn subject<'r>(revisions: &[&'r Revision], a: &Approval) -> Option<&'r Revision> {
    match a.claim.decision {
        Decision::Withdrawn => revisions
            .windows(2)
            .find(|w| w[0].blob == a.claim.blob && w[1].is_removal())
            .map(|w| w[1]),
        _ => revisions
            .iter()
            .find(|r| !r.is_removal() && r.blob == a.claim.blob)
            .copied(),
    }
}

/// Whether `email` wrote the change an approval is about, by any record:
/// a commit on the branch that brought the approved content (or, for a
/// withdrawal, removed it). Authorship in git is typed, not proven, so the
/// widest reading is the safe one for segregation of duties.
fn authored(revisions: &[&Revision], a: &Approval, email: &str) -> Option<String> {
    let by = |r: &&&Revision| r.author_email.eq_ignore_ascii_case(email);
    match a.claim.decision {
        Decision::Withdrawn => revisions
            .windows(2)
            .filter(|w| w[0].blob == a.claim.blob && w[1].is_removal())
            .map(|w| &w[1])
            .find(by),
        _ => revisions
            .iter()
            .filter(|r| !r.is_removal() && r.blob == a.claim.blob)
            .find(by),
    }
    .map(|r| r.author_email.to_string())
}

/// Derives a document's state from its revisions (oldest first), the
/// verified approvals naming it and `current`, the content the described
/// tree holds under its id (one blob per file carrying it; none when the
/// tree no longer has it), considering only what existed at `as_of` (Unix
/// seconds). `uncommitted` says the working tree holds a change not yet
/// committed. The state is judged against `current`, never against the
/// order in which the history walk met the revisions.
pub fn derive(
    revisions: &[Revision],
    approvals: &[Approval],
    current: &[String],
    judge: &dyn Judge,
    as_of: i64,
    uncommitted: bool,
) -> ControlState {
    let revisions: Vec<&Revision> = revisions.iter().filter(|r| r.time <= as_of).collect();
    let mut approvals: Vec<&Approval> = approvals.iter().filter(|a| a.time <= as_of).collect();
    approvals.sort_by_key(|a| (a.time, a.tag.clone()));
    let kind_of = |blob: &str| {
        revisions
            .iter()
            .find(|r| r.blob == blob)
            .and_then(|r| r.kind.as_deref())
    };

    let mut counted: Vec<(Approval, u32)> = Vec::new();
    let mut not_counted = Vec::new();
    let mut approved_blobs: Vec<&str> = Vec::new();
    let mut last_approval_or_review: Option<i64> = None;
    for a in approvals {
        let refuse = |why| (a.clone(), why);
        let Some(introduced) = subject(&revisions, a) else {
            let why = match a.claim.decision {
                Decision::Withdrawn if approved_blobs.contains(&a.claim.blob.as_str()) => {
                    NotCounted::StillPresent
                }
                _ => NotCounted::UnknownContent,
            };
            not_counted.push(refuse(why));
            continue;
        };
        // The kind whose approvers count: that of the content in force,
        // else that of the content approved.
        let in_force = counted
            .last()
            .filter(|(c, _)| c.claim.decision != Decision::Withdrawn)
            .map(|(c, _)| c.claim.blob.as_str());
        let kind = in_force.map_or(introduced.kind.as_deref(), kind_of);
        let mut policy = judge.policy(a, kind);
        // A change of kind is approved by a role that may approve both
        // kinds, so a lower tier cannot promote a procedure to a policy;
        // when no role may approve both, the old kind's approvers decide.
        let new_kind = introduced.kind.as_deref();
        if in_force.is_some() && new_kind.is_some() && new_kind != kind {
            let other = judge.policy(a, new_kind);
            let both: Vec<String> = policy
                .approver_roles
                .iter()
                .filter(|r| other.approver_roles.contains(r))
                .cloned()
                .collect();
            if !both.is_empty() {
                policy.approver_roles = both;
            }
        }
        if !policy.approver_roles.contains(&a.claim.role) {
            not_counted.push(refuse(NotCounted::RoleMayNotApprove {
                role: a.claim.role.clone(),
                kind: kind.map(str::to_owned),
            }));
            continue;
        }
        // Content cannot be approved before it existed: the earliest
        // record of it is its first commit on the branch, or the tagged
        // commit (an approval given on a pull request before a squash).
        let arrived = introduced.time.min(a.commit_time);
        if a.time < arrived {
            not_counted.push(refuse(NotCounted::BeforeContent { arrived }));
            continue;
        }
        if policy.require_distinct_approver
            && let Some(author) = authored(&revisions, a, &a.signer_email)
        {
            not_counted.push(refuse(NotCounted::SelfApproval { author }));
            continue;
        }
        let known = approved_blobs.contains(&a.claim.blob.as_str());
        match a.claim.decision {
            // A review or withdrawal of content never approved is not an approval.
            Decision::Reviewed | Decision::Withdrawn if !known => {
                not_counted.push(refuse(NotCounted::NothingApproved));
                continue;
            }
            Decision::Approved if !known => approved_blobs.push(&a.claim.blob),
            _ => {}
        }
        let version = approved_blobs
            .iter()
            .position(|b| *b == a.claim.blob)
            .map_or(0, |i| i as u32 + 1);
        if a.claim.decision != Decision::Withdrawn {
            last_approval_or_review =
                Some(last_approval_or_review.map_or(a.time, |t: i64| t.max(a.time)));
        }
        counted.push((a.clone(), version));
    }

    let version = (!approved_blobs.is_empty()).then_some(approved_blobs.len() as u32);
    let removed = current.is_empty();
    let last = counted.last().map(|(a, _)| a);
    let withdrawn = last.is_some_and(|a| a.claim.decision == Decision::Withdrawn);
    // The content in force: what was approved last, or nothing once withdrawn.
    let in_force = last.map(|a| {
        if withdrawn {
            NO_CONTENT
        } else {
            a.claim.blob.as_str()
        }
    });
    let committed_changes = match in_force {
        None => revisions.iter().filter(|r| !r.is_removal()).count(),
        Some(blob) => match revisions.iter().rposition(|r| r.blob == blob) {
            Some(i) => revisions.len() - 1 - i,
            None => revisions.len(),
        },
    };
    let governing = in_force.and_then(kind_of);
    let review_due = last_approval_or_review
        .filter(|_| !withdrawn)
        .map(|t| Date::from_unix(t).plus(judge.review_interval(governing)));
    let today = Date::from_unix(as_of);
    // What the tree holds against what is in force: absent is "no
    // content", and every file carrying the id must hold the approved one.
    let holds_in_force = |blob: &str| {
        if current.is_empty() {
            blob == NO_CONTENT
        } else {
            current.iter().all(|c| c == blob)
        }
    };
    let state = match in_force {
        None => State::NeverApproved,
        Some(a) if !holds_in_force(a) || uncommitted => State::ChangedSinceApproval,
        Some(NO_CONTENT) => State::Withdrawn,
        _ if review_due.is_some_and(|d| d < today) => State::ReviewOverdue,
        _ => State::Approved,
    };
    let changed = state == State::ChangedSinceApproval;
    let unapproved_changes =
        (committed_changes + usize::from(uncommitted)).max(usize::from(changed));
    ControlState {
        version,
        state,
        counted,
        not_counted,
        pending: Vec::new(),
        unapproved_changes,
        uncommitted,
        removed,
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
            commit: format!("c{n}").into(),
            author_name: author.into(),
            author_email: format!("{author}@x.example").into(),
            committer_email: format!("{author}@x.example").into(),
            time: n * DAY,
            blob: blob.into(),
            path: "aims/p.md".into(),
            kind: Some("policy".into()),
        }
    }

    fn approval(n: i64, blob: &str, signer: &str, role: &str, decision: Decision) -> Approval {
        Approval {
            tag: format!("aims/t{n}"),
            commit: format!("c{n}"),
            commit_time: 0,
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

    /// The content the tree held at `as_of`: the last revision's (none
    /// after a removal).
    fn cur(revs: &[Revision], as_of: i64) -> Vec<String> {
        revs.iter()
            .rfind(|r| r.time <= as_of)
            .filter(|r| !r.is_removal())
            .map(|r| vec![r.blob.to_string()])
            .unwrap_or_default()
    }

    /// The same rules for every approval.
    struct Fixed(Policy);

    impl Judge for Fixed {
        fn policy(&self, _: &Approval, _: Option<&str>) -> Policy {
            self.0.clone()
        }
        fn review_interval(&self, _: Option<&str>) -> Interval {
            "30 days".parse().unwrap()
        }
    }

    fn policy(roles: &[String]) -> Fixed {
        Fixed(Policy {
            approver_roles: roles.to_vec(),
            require_distinct_approver: true,
        })
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
        let s = derive(&revs, &apps, &cur(&revs, DAY), &policy(&roles), DAY, false);
        assert_eq!(
            (s.version, s.state, s.unapproved_changes),
            (None, State::NeverApproved, 1)
        );
        // After the first approval: v1, approved, due 30 days later.
        let s = derive(
            &revs,
            &apps,
            &cur(&revs, 2 * DAY),
            &policy(&roles),
            2 * DAY,
            false,
        );
        assert_eq!((s.version, s.state), (Some(1), State::Approved));
        assert_eq!(s.review_due, Some(Date::from_unix(32 * DAY)));
        // After the second approval and two later edits: v2 + 2 unapproved changes.
        let s = derive(
            &revs,
            &apps,
            &cur(&revs, 7 * DAY),
            &policy(&roles),
            7 * DAY,
            false,
        );
        assert_eq!(
            (s.version, s.state, s.unapproved_changes),
            (Some(2), State::ChangedSinceApproval, 2)
        );
        // A review does not make a version but moves the due date.
        let s = derive(
            &revs,
            &apps,
            &cur(&revs, 11 * DAY),
            &policy(&roles),
            11 * DAY,
            false,
        );
        assert_eq!(s.version, Some(2));
        assert_eq!(s.counted.last().unwrap().1, 2);
        assert_eq!(s.review_due, Some(Date::from_unix(40 * DAY)));
    }

    #[test]
    fn overdue_when_the_interval_passed() {
        let roles = vec!["top".to_owned()];
        let revs = [rev(1, "b1", "alice")];
        let apps = [approval(2, "b1", "dana", "top", Decision::Approved)];
        let s = derive(
            &revs,
            &apps,
            &cur(&revs, 40 * DAY),
            &policy(&roles),
            40 * DAY,
            false,
        );
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
        let s = derive(
            &revs,
            &apps,
            &cur(&revs, 9 * DAY),
            &policy(&roles),
            9 * DAY,
            false,
        );
        let reasons: Vec<&NotCounted> = s.not_counted.iter().map(|(_, r)| r).collect();
        assert!(matches!(reasons[0], NotCounted::SelfApproval { .. }));
        assert!(matches!(reasons[1], NotCounted::RoleMayNotApprove { .. }));
        assert!(matches!(reasons[2], NotCounted::UnknownContent));
        assert!(
            matches!(reasons[3], NotCounted::NothingApproved),
            "a review of never-approved content"
        );
        assert_eq!((s.version, s.state), (None, State::NeverApproved));
        // Without segregation of duties the author's approval counts.
        let mut p = policy(&roles);
        p.0.require_distinct_approver = false;
        assert_eq!(
            derive(&revs, &apps, &cur(&revs, 9 * DAY), &p, 9 * DAY, false).version,
            Some(1)
        );
    }

    #[test]
    fn withdrawal_of_approved_content() {
        let roles = vec!["top".to_owned()];
        let mut gone = rev(3, NO_CONTENT, "alice");
        gone.kind = None;
        let revs = [rev(1, "b1", "alice"), gone];
        let apps = [
            approval(2, "b1", "dana", "top", Decision::Approved),
            approval(4, "b1", "dana", "top", Decision::Withdrawn),
        ];
        // Removed, the removal not yet approved: a change, and removed.
        let s = derive(
            &revs,
            &apps,
            &cur(&revs, 3 * DAY),
            &policy(&roles),
            3 * DAY,
            false,
        );
        assert_eq!((s.state, s.removed), (State::ChangedSinceApproval, true));
        let s = derive(
            &revs,
            &apps,
            &cur(&revs, 5 * DAY),
            &policy(&roles),
            5 * DAY,
            false,
        );
        assert_eq!((s.state, s.version), (State::Withdrawn, Some(1)));
        assert_eq!((s.unapproved_changes, s.review_due), (0, None));
        // A withdrawal while the document is still there does not count.
        let s = derive(
            &revs[..1],
            &apps,
            &cur(&revs[..1], 5 * DAY),
            &policy(&roles),
            5 * DAY,
            false,
        );
        assert_eq!(s.state, State::Approved);
        assert!(matches!(s.not_counted[0].1, NotCounted::StillPresent));
    }

    #[test]
    fn approvals_before_their_content_existed_do_not_count() {
        let roles = vec!["top".to_owned()];
        let revs = [rev(5, "b1", "alice")];
        let mut early = approval(2, "b1", "dana", "top", Decision::Approved);
        early.commit_time = 5 * DAY;
        let s = derive(
            &revs,
            &[early.clone()],
            &cur(&revs, 9 * DAY),
            &policy(&roles),
            9 * DAY,
            false,
        );
        assert_eq!(s.state, State::NeverApproved);
        assert_eq!(
            s.not_counted[0].1,
            NotCounted::BeforeContent { arrived: 5 * DAY }
        );
        // Approved on a branch (its commit older) before the squash reached
        // this one: counts.
        early.commit_time = DAY;
        let s = derive(
            &revs,
            &[early],
            &cur(&revs, 9 * DAY),
            &policy(&roles),
            9 * DAY,
            false,
        );
        assert_eq!(s.state, State::Approved);
    }

    /// Record approvers may approve records, policy approvers policies.
    struct ByKind;

    impl Judge for ByKind {
        fn policy(&self, _: &Approval, kind: Option<&str>) -> Policy {
            Policy {
                approver_roles: vec![kind.unwrap_or("none").to_owned()],
                require_distinct_approver: true,
            }
        }
        fn review_interval(&self, _: Option<&str>) -> Interval {
            "1 year".parse().unwrap()
        }
    }

    #[test]
    fn a_kind_change_is_approved_by_the_old_kinds_approvers() {
        let mut as_record = rev(3, "b2", "alice");
        as_record.kind = Some("record".into());
        let revs = [rev(1, "b1", "alice"), as_record];
        let apps = [
            approval(2, "b1", "dana", "policy", Decision::Approved),
            approval(4, "b2", "rita", "record", Decision::Approved),
            approval(5, "b2", "dana", "policy", Decision::Approved),
        ];
        let s = derive(
            &revs,
            &apps[..2],
            &cur(&revs, 9 * DAY),
            &ByKind,
            9 * DAY,
            false,
        );
        assert_eq!((s.state, s.version), (State::ChangedSinceApproval, Some(1)));
        assert!(matches!(
            &s.not_counted[0].1,
            NotCounted::RoleMayNotApprove { kind: Some(k), .. } if k == "policy"
        ));
        // The policy approver approves the change; from then on records'.
        let s = derive(&revs, &apps, &cur(&revs, 9 * DAY), &ByKind, 9 * DAY, false);
        assert_eq!((s.state, s.version), (State::Approved, Some(2)));
    }

    /// Procedure approvers: lead and top; policy approvers: top only.
    struct Tiers;

    impl Judge for Tiers {
        fn policy(&self, _: &Approval, kind: Option<&str>) -> Policy {
            let roles: &[&str] = match kind {
                Some("policy") => &["top"],
                _ => &["lead", "top"],
            };
            Policy {
                approver_roles: roles.iter().map(|r| (*r).to_owned()).collect(),
                require_distinct_approver: true,
            }
        }
        fn review_interval(&self, _: Option<&str>) -> Interval {
            "1 year".parse().unwrap()
        }
    }

    #[test]
    fn promoting_a_procedure_to_a_policy_needs_a_policy_approver() {
        let mut procedure = rev(1, "b1", "alice");
        procedure.kind = Some("procedure".into());
        let revs = [procedure, rev(3, "b2", "alice")];
        let apps = [
            approval(2, "b1", "lena", "lead", Decision::Approved),
            approval(4, "b2", "lena", "lead", Decision::Approved),
        ];
        let s = derive(&revs, &apps, &cur(&revs, 9 * DAY), &Tiers, 9 * DAY, false);
        assert_eq!((s.state, s.version), (State::ChangedSinceApproval, Some(1)));
        let mut top = approval(5, "b2", "dana", "top", Decision::Approved);
        top.tag = "aims/top".into();
        let apps = [apps[0].clone(), apps[1].clone(), top];
        let s = derive(&revs, &apps, &cur(&revs, 9 * DAY), &Tiers, 9 * DAY, false);
        assert_eq!((s.state, s.version), (State::Approved, Some(2)));
    }
}
