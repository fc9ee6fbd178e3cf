//! Document-control rules (CTL…): what git proves about each controlled
//! document — approved with a verified signature by someone holding the
//! role, unchanged since, reviewed on time — and whether the trust root
//! itself (aims.toml and its signer files) is approved. Clause 7.5, and 5.3
//! where roles and segregation of duties are concerned.
//!
//! Every fact comes from the [`Register`]; these rules only read it.

use crate::control::{CONFIG_ID, Entry, Register, not_counted_reason};
use crate::date::Date;
use crate::docs::Document;
use crate::finding::{Classification, Finding};
use crate::history::approvals::Invalid;
use crate::history::state::{NotCounted, State};
use crate::rules::Rule;
use crate::workspace::Workspace;

/// Raised only by the gates (`aims check --staged` and `--pre-push`), which
/// see a change before it lands; the full check reports what landed anyway
/// as CTL001/CTL002.
pub static UNAPPROVED_ON_PROTECTED: Rule = Rule {
    code: "CTL009",
    name: "unapproved-change-on-protected-branch",
    summary: "A change to approved documented information is about to land on a protected branch without approval",
    what: "On a protected branch (`protected-branches` in the approved aims.toml), a commit may not change the content of a document that has been approved (or aims.toml itself) unless that new content carries an approval that counts; and every controlled document a push to a protected branch changes must be approved at its new content. Checked by the pre-commit hook (`aims check --staged`) and the pre-push hook (`aims check --pre-push`).",
    why: "Clause 7.5.3 requires changes to documented information to be controlled. The protected branch is the AIMS in force: an edit committed there unreviewed is an uncontrolled change to the policy people follow, which an auditor records as a nonconformity however quickly it is approved afterwards.",
    fix: "Make the change on a branch (`git switch -c change/ID`), open a pull request, and have a member of an approver role run `aims approve ID` on the branch's commit; merge once `aims status` shows the new content approved. The message names the document's version and who may approve it.",
    clause: Some("7.5.3"),
    control: None,
    classification: Classification::Major,
};

pub static NEVER_APPROVED: Rule = Rule {
    code: "CTL001",
    name: "never-approved",
    summary: "A controlled document has no approval that counts",
    what: "Every controlled document needs at least one approval that counts: a signed tag under `refs/tags/aims/` naming the document and its content, whose signature verifies for a member of a role that may approve the document's kind.",
    why: "Clause 7.5.2 requires documented information to be reviewed and approved for suitability before use. An unapproved policy or procedure is a draft, whatever its text says, and an auditor cannot rely on it as evidence.",
    fix: "Have a member of one of the kind's approver roles (see `[kinds]` in aims.toml) run `aims approve ID`, or sign a tag in the documented format with `git tag -s`. `aims status` shows what each document is waiting for.",
    clause: Some("7.5.2"),
    control: None,
    classification: Classification::Minor,
};

pub static CHANGED_SINCE_APPROVAL: Rule = Rule {
    code: "CTL002",
    name: "changed-since-approval",
    summary: "A document was changed after its last approval",
    what: "The content in force (the working tree, or the commit described with `--as-of`) must be the content that was last approved. Commits or uncommitted edits after the last approval are unapproved changes.",
    why: "Clause 7.5.3 requires changes to documented information to be controlled. A policy edited after its approval is no longer the approved policy; an auditor would find that the text people read is not the text management signed.",
    fix: "Review the change (`aims diff ID` shows the redline against the last approved version) and have an approver run `aims approve ID`, or revert the edit.",
    clause: Some("7.5.3"),
    control: None,
    classification: Classification::Minor,
};

pub static APPROVAL_INVALID: Rule = Rule {
    code: "CTL003",
    name: "approval-invalid",
    summary: "A tag under refs/tags/aims/ is not a valid approval",
    what: "Every tag under `refs/tags/aims/` must be an annotated tag with a signature that verifies for the tagger against the approved allowed-signers file (or OpenPGP keyring), complete `Aims-*` trailers, and an `Aims-Blob` that is the content of `Aims-Path` in the tagged commit. Lightweight, unsigned, forged, tampered, mis-addressed or out-of-validity tags are refused, each with its reason.",
    why: "An approval record that does not verify is not evidence of approval (7.5.3). A forged or tampered tag is worse: it suggests someone tried to create approval evidence without the approver's key.",
    fix: "Find out how the tag was made. If it is a mistake, delete it (`git tag -d NAME`, and `git push --delete origin NAME`) and approve again with `aims approve ID`. If the approver's key is missing, add it to the allowed-signers file and have the configuration approved.",
    clause: Some("7.5.3"),
    control: None,
    classification: Classification::Minor,
};

pub static SELF_APPROVAL: Rule = Rule {
    code: "CTL004",
    name: "self-approval",
    summary: "An approval was made by the author of the change it approves",
    what: "With `require-distinct-approver = true` (the default), an approval by the author of the commit that introduced the approved content does not count.",
    why: "Segregation of duties (clause 5.3, control A.3.2): an approval is an independent check, and nobody can independently check their own work. Auditors look for exactly this in approval records.",
    fix: "Ask another member of an approver role to review and approve the document. If your organisation is genuinely too small, record that decision in aims.toml with `require-distinct-approver = false` (and expect the auditor to ask about it).",
    clause: Some("5.3"),
    control: Some("A.3.2"),
    classification: Classification::Minor,
};

pub static APPROVER_LACKS_ROLE: Rule = Rule {
    code: "CTL005",
    name: "approver-lacks-role",
    summary: "An approval was signed by someone without a role that may approve the document",
    what: "The signer must be a member of the role named in `Aims-Role` in the approved aims.toml, and that role must be among the approvers of the document's kind (`[kinds.KIND] approvers`).",
    why: "Clause 5.3 requires responsibilities and authorities to be assigned; an approval by someone without the authority to give it is not an approval. A role added by an unapproved edit of aims.toml grants nothing.",
    fix: "Have a member of an approver role approve the document, or change the roles in aims.toml and have that change approved by top management first.",
    clause: Some("5.3"),
    control: Some("A.3.2"),
    classification: Classification::Minor,
};

pub static REVIEW_OVERDUE: Rule = Rule {
    code: "CTL006",
    name: "review-overdue",
    summary: "A document's periodic review is overdue",
    what: "A document is due for review its kind's `review-interval` after its last approval or review. After that date without a new approval or an `Aims-Decision: reviewed` tag, the review is overdue.",
    why: "Clause 7.5.3 and the clauses that require periodic review (5.2 policy, 6.1 risk, 9.3 management review) expect documented information to stay suitable. An overdue review is one of the most common minor nonconformities auditors raise.",
    fix: "Review the document. If nothing needs to change, record the review with `aims approve ID --review`; otherwise edit it and approve the new version.",
    clause: Some("7.5.3"),
    control: None,
    classification: Classification::Minor,
};

pub static CONFIG_UNAPPROVED: Rule = Rule {
    code: "CTL007",
    name: "configuration-unapproved",
    summary: "aims.toml or its signer files differ from the approved configuration",
    what: "Roles, approvers and signer keys are read from the last approved revision of aims.toml and of the allowed-signers and keyring files it names. A configuration that was never approved, or that changed after its approval, grants nothing.",
    why: "The configuration decides who may approve what (5.3). If it could be edited without approval, anyone could add themselves as an approver and approve their own changes; an auditor would find document control itself uncontrolled.",
    fix: "Have top management review the change and run `aims approve aims.toml` (the first time, this bootstraps the trust root: see the README). Until then, approvals are checked against the last approved configuration.",
    clause: Some("5.3"),
    control: None,
    classification: Classification::Major,
};

pub static DERIVED_CONTRADICTED: Rule = Rule {
    code: "CTL008",
    name: "derived-field-contradicted",
    summary: "A hand-written version, approver or date contradicts what git proves",
    what: "Where a document still writes a derived field (`version`, `approved-by`, `approval-date`, `next-review`, …), its value is compared with the version, approver and dates derived from signed approvals.",
    why: "Documented information that claims a version or approval the record does not support misleads readers and auditors (7.5.3); it is a typical finding when documents are copied between versions by hand.",
    fix: "Delete the field (see DOC012): `aims status` shows the derived version, approver and review date.",
    clause: Some("7.5.3"),
    control: None,
    classification: Classification::Minor,
};

pub static TAG_OUTSIDE_NAMESPACE: Rule = Rule {
    code: "CTL010",
    name: "approval-tag-outside-namespace",
    summary: "A tag outside refs/tags/aims/ carries approval trailers and approves nothing",
    what: "Only annotated, signed tags under `refs/tags/aims/` are read as approvals. A tag elsewhere (`refs/tags/pol-001-v2`, say) whose message carries `Aims-Document:` trailers looks like an approval to a person and counts for nothing.",
    why: "Someone meant to approve something (7.5.2), and the record of it is not where the document-control system reads it. An auditor comparing what people believe was approved with what the register shows would find the gap.",
    fix: "Have the approver sign the approval again under `aims/` (`aims approve ID`, or `git tag -s aims/…`), then delete the stray tag (`git tag -d NAME` and `git push --delete origin NAME`).",
    clause: Some("7.5.2"),
    control: None,
    classification: Classification::Observation,
};

pub static SIGNER_LINE_UNREADABLE: Rule = Rule {
    code: "CTL011",
    name: "trust-file-line-unreadable",
    summary: "A line of the allowed-signers file or revocation list does not read, so it allows or revokes nothing",
    what: "Each line of the allowed-signers file (git's `allowed_signers` format) and of the revocation list named by `revoked-keys` must read. A line that does not is ignored: an approver whose line is mistyped cannot approve, and a compromised key on a mistyped revocation line is not revoked.",
    why: "The trust files decide whose signatures are evidence (5.3, 7.5.3). A revocation that silently fails leaves a compromised key able to approve; an auditor expects the controls over approval keys to work as written.",
    fix: "Correct the line (the message says what is wrong; `ssh-keygen -l -f FILE` checks a public key), commit it, and have the configuration approved again (`aims approve aims.toml`).",
    clause: Some("5.3"),
    control: None,
    classification: Classification::Minor,
};

pub static WILDCARD_SIGNER: Rule = Rule {
    code: "CTL012",
    name: "wildcard-signer",
    summary: "An allowed-signers line lets one key sign as any matching address",
    what: "A principal pattern with `*` or `?` (e.g. `*@acme.example`) in the allowed-signers file lets the one key on that line sign tags as any matching email, so its holder can approve as any role member of that domain.",
    why: "Approvals are evidence of who decided (5.3, A.3.2 segregation of duties). A key that may speak for everyone makes every approval signed with it attributable to nobody in particular; auditors ask for one key per person.",
    fix: "List each approver's email with their own key, one line per person, and have the configuration approved again. A certificate authority (`cert-authority`) is the way to delegate signing safely.",
    clause: Some("5.3"),
    control: Some("A.3.2"),
    classification: Classification::Observation,
};

pub fn check(ws: &Workspace, register: &Register, out: &mut Vec<Finding>) {
    let start = out.len();
    check_all(ws, register, out);
    // A product repository's PRD is approved there, and its tags are there.
    let origins: std::collections::HashMap<&str, &crate::docs::Origin> = ws
        .documents()
        .filter_map(|d| Some((d.path.as_str(), d.origin.as_deref()?)))
        .collect();
    if origins.is_empty() {
        return;
    }
    for f in &mut out[start..] {
        let origin = f.path.as_deref().and_then(|p| origins.get(p));
        if let (Some(o), Some(help)) = (origin, &mut f.help) {
            help.push_str(&format!(
                " (in the product repository `{}`, {}, where this PRD and its tags are kept)",
                o.source, o.repository
            ));
        }
    }
}

fn check_all(ws: &Workspace, register: &Register, out: &mut Vec<Finding>) {
    for name in &register.stray_tags {
        out.push(
            Finding::new(
                &TAG_OUTSIDE_NAMESPACE,
                format!(
                    "tag {name} carries approval trailers but is not under refs/tags/aims/, so it approves nothing"
                ),
            )
            .help(format!(
                "approve again under aims/ (`aims approve ID`), then `git tag -d {name}`"
            )),
        );
    }
    for t in &register.trust_lines {
        let f = match &t.problem {
            crate::control::TrustLineProblem::Unreadable(why) => Finding::new(
                &SIGNER_LINE_UNREADABLE,
                format!(
                    "{} line {} does not read ({why}), so it allows or revokes nothing",
                    t.path, t.line
                ),
            ),
            crate::control::TrustLineProblem::Wildcard(pattern) => Finding::new(
                &WILDCARD_SIGNER,
                format!(
                    "{} line {} lets one key sign as any address matching `{pattern}`",
                    t.path, t.line
                ),
            ),
        };
        out.push(
            f.document(Some(CONFIG_ID))
                .at_line(&t.path, t.line)
                .help(format!(
                    "`aims explain {}`",
                    match t.problem {
                        crate::control::TrustLineProblem::Unreadable(_) =>
                            SIGNER_LINE_UNREADABLE.code,
                        crate::control::TrustLineProblem::Wildcard(_) => WILDCARD_SIGNER.code,
                    }
                )),
        );
    }
    let index = ws.index();
    config(register, out);
    for entry in &register.entries {
        let doc = index.get(entry.id.as_str()).copied();
        let place = |f: Finding| match doc {
            Some(d) => f.at(&d.path, &d.source, Some(d.key_span("id"))),
            None => f,
        };
        state(entry, register, &place, out);
        if let Some(d) = doc {
            contradictions(entry, d, out);
        }
    }
    for report in &register.refused {
        let Err(invalid) = &report.outcome else {
            continue;
        };
        if matches!(invalid, Invalid::NoTrustRoot) {
            continue; // counted in CTL007's message
        }
        let rule = match invalid {
            Invalid::RoleNotHeld { .. } => &APPROVER_LACKS_ROLE,
            _ => &APPROVAL_INVALID,
        };
        let target = report.document.as_deref();
        let doc = target.and_then(|id| index.get(id).copied());
        let what = target.map_or(String::new(), |id| format!(" of {id}"));
        let source = if report.name.starts_with("commit ") {
            report.name.clone()
        } else {
            format!("tag {}", report.name)
        };
        let f = Finding::new(
            rule,
            format!("{source} is not an approval{what}: {invalid}"),
        )
        .document(target)
        .help(format!(
            "`git cat-file -p {}` shows it; `aims explain {}` says how to fix it",
            report
                .name
                .strip_prefix("commit ")
                .and_then(|r| r.split_whitespace().next())
                .unwrap_or(&report.name),
            rule.code
        ));
        out.push(match (doc, target) {
            (Some(d), _) => f.at(&d.path, &d.source, Some(d.key_span("id"))),
            (None, Some(CONFIG_ID)) => f.at_line(CONFIG_ID, 1),
            (None, _) => f,
        });
    }
}

fn state(
    entry: &Entry,
    register: &Register,
    place: &dyn Fn(Finding) -> Finding,
    out: &mut Vec<Finding>,
) {
    let id = entry.id.as_str();
    let s = &entry.state;
    let push = |rule: &'static Rule, message: String, help: String, out: &mut Vec<Finding>| {
        out.push(place(
            Finding::new(rule, message).document(Some(id)).help(help),
        ));
    };
    match s.state {
        State::NeverApproved => out.push(place(
            Finding::new(&NEVER_APPROVED, format!("{id} has never been approved"))
                .document(Some(id))
                .help(format!(
                    "an approver runs `aims approve {id}`; `aims status` shows who may"
                ))
                .because(crate::finding::causes::NOT_APPROVED),
        )),
        State::ChangedSinceApproval if s.removed => {
            let by = s.last_approval().map_or(String::new(), |a| {
                format!(" by {} on {}", a.signer_email, Date::from_unix(a.time))
            });
            push(
                &CHANGED_SINCE_APPROVAL,
                format!(
                    "{id} was approved as v{}{by} and then removed from the branch (or left without \
                     its id) without an approved withdrawal",
                    s.version.unwrap_or(0)
                ),
                format!(
                    "restore it, or have an approver record the withdrawal: `aims approve {id}` on the \
                     commit that removes it"
                ),
                out,
            )
        }
        State::ChangedSinceApproval => {
            let last = s.last_approval();
            let by = last.map_or(String::new(), |a| {
                format!(" by {} on {}", a.signer_email, Date::from_unix(a.time))
            });
            let uncommitted = if s.uncommitted { ", uncommitted" } else { "" };
            push(
                &CHANGED_SINCE_APPROVAL,
                format!(
                    "{id} changed after its approval as v{}{by}: {} unapproved change{}{uncommitted}",
                    s.version.unwrap_or(0),
                    s.unapproved_changes,
                    plural(s.unapproved_changes)
                ),
                format!("`aims diff {id}` shows the change; then `aims approve {id}`"),
                out,
            )
        }
        State::ReviewOverdue => push(
            &REVIEW_OVERDUE,
            format!(
                "{id}'s review was due on {} (as of {})",
                s.review_due.map_or(String::new(), |d| d.to_string()),
                register.as_of
            ),
            format!("review it; if nothing changes, `aims approve {id} --review`"),
            out,
        ),
        // Withdrawn with an approval; pending on another branch: no gap.
        State::Approved | State::Withdrawn | State::Pending => {}
    }
    for (approval, reason) in &s.not_counted {
        let rule = rule_for(reason);
        push(
            rule,
            format!(
                "the approval of {id} by {} (tag {}) does not count: {}",
                approval.signer_email,
                approval.tag,
                not_counted_reason(reason)
            ),
            format!("`aims explain {}`", rule.code),
            out,
        );
    }
}

fn config(register: &Register, out: &mut Vec<Finding>) {
    let entry = &register.config;
    let waiting = register
        .refused
        .iter()
        .filter(|r| matches!(r.outcome, Err(Invalid::NoTrustRoot)))
        .count();
    let waiting = match waiting {
        0 => String::new(),
        n => format!(
            "; {n} approval tag{} cannot be verified until it is",
            plural(n)
        ),
    };
    let help = "top management reviews it and runs `aims approve aims.toml` (the README's \
                \"Trust root\" section explains the first approval)";
    let message = match (&register.trust, entry.state.state) {
        (None, _) => Some(format!(
            "aims.toml has never been approved, so no role or signer key is in force{waiting}"
        )),
        (Some(_), State::ChangedSinceApproval) => Some(format!(
            "aims.toml changed after its approval as v{}: the change grants nothing until it is approved",
            entry.state.version.unwrap_or(0)
        )),
        _ => None,
    };
    let mut push = |message: String, path: &str| {
        out.push(
            Finding::new(&CONFIG_UNAPPROVED, message)
                .document(Some(CONFIG_ID))
                .at_line(path, 1)
                .help(help),
        );
    };
    if let Some(m) = message {
        push(m, CONFIG_ID);
    }
    for change in &register.trust_changes {
        let how = if change.uncommitted {
            " (uncommitted)"
        } else {
            ""
        };
        push(
            format!(
                "{} differs from the approved configuration's{how}: keys added there grant nothing until aims.toml is approved again",
                change.path
            ),
            &change.path,
        );
    }
    for (approval, reason) in &entry.state.not_counted {
        let rule = rule_for(reason);
        out.push(
            Finding::new(
                rule,
                format!(
                    "the approval of aims.toml by {} (tag {}) does not count: {}",
                    approval.signer_email,
                    approval.tag,
                    not_counted_reason(reason)
                ),
            )
            .document(Some(CONFIG_ID))
            .at_line(CONFIG_ID, 1),
        );
    }
    if entry.state.state == State::ReviewOverdue {
        out.push(
            Finding::new(
                &REVIEW_OVERDUE,
                format!(
                    "aims.toml's review was due on {}",
                    entry
                        .state
                        .review_due
                        .map_or(String::new(), |d| d.to_string())
                ),
            )
            .document(Some(CONFIG_ID))
            .at_line(CONFIG_ID, 1)
            .help(
                "review the roles and keys; if nothing changes, `aims approve aims.toml --review`",
            ),
        );
    }
}

/// Hand-written derived fields whose value disagrees with git.
fn contradictions(entry: &Entry, doc: &Document, out: &mut Vec<Finding>) {
    use crate::docs::Value;
    let s = &entry.state;
    let last = s.last_approval();
    for e in &doc.frontmatter.entries {
        let key = e.key.to_ascii_lowercase().replace('_', "-");
        let written = match &e.node.value {
            Value::String(v) => v.trim().to_owned(),
            Value::Integer(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Datetime(d) => d.to_string(),
            _ => continue,
        };
        let derived: Option<String> = match key.as_str() {
            "version" | "revision" => {
                let n = written
                    .trim_start_matches(['v', 'V'])
                    .split('.')
                    .next()
                    .and_then(|n| n.parse::<u32>().ok());
                match (n, s.version) {
                    (Some(n), Some(v)) if n == v => None,
                    _ => Some(
                        s.version
                            .map_or("none (never approved)".into(), |v| v.to_string()),
                    ),
                }
            }
            "approved-by" | "approver" => {
                let email = last.map(|a| a.signer_email.clone());
                match &email {
                    Some(e)
                        if written
                            .to_ascii_lowercase()
                            .contains(&e.to_ascii_lowercase()) =>
                    {
                        None
                    }
                    _ => Some(email.unwrap_or("nobody (never approved)".into())),
                }
            }
            "approval-date" | "approved-on" | "effective-date" => {
                let date = last.map(|a| Date::from_unix(a.time).to_string());
                match &date {
                    Some(d) if *d == written => None,
                    _ => Some(date.unwrap_or("none (never approved)".into())),
                }
            }
            "next-review" | "review-due" => {
                let due = s.review_due.map(|d| d.to_string());
                match &due {
                    Some(d) if *d == written => None,
                    _ => Some(due.unwrap_or("none (never approved)".into())),
                }
            }
            _ => None,
        };
        if let Some(derived) = derived {
            out.push(
                Finding::new(
                    &DERIVED_CONTRADICTED,
                    format!("`{}` says {written}, but git proves {derived}", e.key),
                )
                .document(Some(&entry.id))
                .at(&doc.path, &doc.source, Some(e.node.span.clone()))
                .help("delete the field: `aims status` shows the derived value"),
            );
        }
    }
}

/// The rule a verified approval that does not count falls under.
fn rule_for(reason: &NotCounted) -> &'static Rule {
    match reason {
        NotCounted::SelfApproval { .. } => &SELF_APPROVAL,
        NotCounted::RoleMayNotApprove { .. } => &APPROVER_LACKS_ROLE,
        NotCounted::UnknownContent
        | NotCounted::NothingApproved
        | NotCounted::BeforeContent { .. }
        | NotCounted::StillPresent
        | NotCounted::Configuration(_) => &APPROVAL_INVALID,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
