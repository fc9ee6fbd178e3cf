//! ISO 42001 content rules (ISO…): what a certification auditor checks in
//! the substance of the AIMS, beyond well-formed documents and approvals.
//!
//! Classifications follow the gap-severity matrix auditors use: a
//! requirement not met at all (no AI policy, no risk method, no measurable
//! objectives, an SoA whose controls have no evidence) is a major
//! nonconformity; a lapse in a working process (incomplete competence
//! records, a weak management-review record) is a minor one.
//!
//! The rules read the documents; those that need git (who approved what,
//! who wrote what, when a document changed) also read the [`Register`] and
//! are skipped, loudly, without one.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog;
use crate::control::{Entry, Register};
use crate::date::{Date, Interval};
use crate::docs::{Document, Kind, Node, Table};
use crate::finding::{Classification, Finding};
use crate::rules::Rule;
use crate::workspace::Workspace;

macro_rules! rule {
    ($name:ident, $code:literal, $kebab:literal, $clause:expr, $control:expr, $class:ident,
     summary: $summary:literal, what: $what:literal, why: $why:literal, fix: $fix:literal) => {
        pub static $name: Rule = Rule {
            code: $code,
            name: $kebab,
            summary: $summary,
            what: $what,
            why: $why,
            fix: $fix,
            clause: $clause,
            control: $control,
            classification: Classification::$class,
        };
    };
}

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

rule!(POLICY_MISSING, "ISO003", "ai-policy-missing", Some("5.2"), Some("A.2.2"), Major,
    summary: "There is no AI policy",
    what: "The AIMS needs an AI policy: a document of kind `policy` that cites clause 5.2 (or, when no policy cites it, the only policy there is).",
    why: "Clause 5.2 requires top management to establish an AI policy. Its absence is a major nonconformity: the certificate is withheld until it exists.",
    fix: "Create it with `aims new policy`, cite clause 5.2, reference the scope, state the commitments, say how it is communicated, and have top management approve it.");

rule!(POLICY_INADEQUATE, "ISO004", "ai-policy-inadequate", Some("5.2"), Some("A.2.2"), Major,
    summary: "The AI policy lacks what clause 5.2 asks of it",
    what: "The AI policy must reference the AIMS scope (`scope`), state commitments (a Commitments section covering applicable requirements, continual improvement and responsible, human-centred AI), say how it is communicated (`communicated-via` or a Communication section), and be about AI: a policy with no AI-specific content and no link to the AI systems or objectives is a recycled security or privacy policy.",
    why: "Auditors read the policy line by line against 5.2. A recycled policy with \"AI\" swapped in, or an aspirational one with no link to actual systems and objectives, is the most common cause of a major nonconformity on this clause.",
    fix: "Rewrite the missing parts: reference the scope document, add a Commitments section that names the three commitments, list the communication channels in `communicated-via`, and tie the policy to the AI systems and objectives it governs by id.");

rule!(POLICY_NOT_TOP_MANAGEMENT, "ISO005", "ai-policy-not-top-management", Some("5.2"), Some("A.2.2"), Major,
    summary: "The AI policy in force is not approved by top management",
    what: "The AI policy's content in force must carry an approval, verified from a signed tag, by a member of the `top-management` role.",
    why: "Clause 5.2 makes the AI policy top management's own statement. A policy approved only by a manager, or not at all, is not evidence of top management's direction, whatever the document says.",
    fix: "Have a member of `top-management` review the policy and run `aims approve POL-ID` (see `aims status` for what is in force).");

rule!(ROLE_WITHOUT_MEMBERS, "ISO006", "role-without-members", Some("5.3"), Some("A.3.2"), Minor,
    summary: "A role the AIMS relies on has no members",
    what: "Every role named as an owner, an approver (`[kinds]`), an SoA control owner or a competence-matrix role must be defined in `[roles]` in aims.toml with at least one member.",
    why: "Clause 5.3 requires responsibilities and authorities to be assigned. A role with nobody in it is an accountability gap: nobody can approve, own or answer for what it is responsible for.",
    fix: "Add the people who hold the role to `[roles]` in aims.toml, and have the configuration approved.");

rule!(RISK_METHOD_MISSING, "ISO007", "risk-method-missing", Some("6.1.2"), None, Major,
    summary: "There is no usable AI risk assessment method",
    what: "The AIMS needs a `risk-assessment` document with a likelihood scale and a severity scale of at least two levels each and acceptance criteria.",
    why: "Clause 6.1.2 requires risk criteria to be defined so that assessments are repeatable and comparable. Without a method, every risk rating is an opinion, and auditors treat a risk assessment without defined criteria as not conducted: a major nonconformity.",
    fix: "Create it with `aims new risk-assessment`: define the likelihood and severity scales, the acceptance criteria (which risks may be accepted and by whom), and have top management approve it.");

rule!(RISK_OFF_SCALE, "ISO008", "risk-rated-off-scale", Some("6.1.2"), None, Minor,
    summary: "A risk is rated with a level that is not on the method's scale",
    what: "A risk's `likelihood`, `severity`, `residual-likelihood` and `residual-severity` must be levels of the risk assessment method's scales.",
    why: "Ratings off the defined scales cannot be compared or evaluated against the acceptance criteria, so the assessment is not the one the method describes (6.1.2).",
    fix: "Use a level from `likelihood-scale` and `severity-scale` of the risk assessment method, or change the method (and have it approved) if the scale is wrong.");

rule!(RISK_UNTREATED, "ISO009", "risk-without-controls", Some("6.1.3"), None, Minor,
    summary: "A treated risk is not linked to applicable controls",
    what: "A risk whose treatment is not `accept` must name the Annex A controls that treat it (`controls` on the risk, or `risks` on the SoA entry), and those controls must be applicable in the SoA.",
    why: "Clause 6.1.3 requires the risk treatment to determine the controls, and the SoA to reflect them. A treatment with no controls, or with controls the SoA excludes, breaks the chain from risk to control that auditors trace.",
    fix: "List the treating controls in the risk's `controls` field, and make sure each is applicable in the SoA.");

rule!(RESIDUAL_NOT_ACCEPTED, "ISO010", "residual-risk-not-accepted", Some("6.1.2"), None, Minor,
    summary: "The risk owner has not accepted the residual risk",
    what: "Each risk's content in force must carry a verified approval by its owner (the owner's email, or a member of the owner role): that signed approval is the owner's acceptance of the residual risk.",
    why: "Clause 6.1.3 asks for the risk owners' approval of the treatment plan and acceptance of residual risk. An acceptance typed into a document proves nothing; a signature by the owner does.",
    fix: "The owner reviews the risk and runs `aims approve RSK-ID` (the owner's role must be among `[kinds.risk] approvers`, and with `require-distinct-approver` the owner should not also be the author of the change).");

rule!(RISK_DIMENSIONS, "ISO011", "risk-dimensions-uncovered", Some("6.1.2"), None, Minor,
    summary: "An in-scope AI system's risks do not cover all six AI risk dimensions",
    what: "For every AI system in scope, the risk register must hold at least one risk in each of the six dimensions: technical-performance, data-quality, ethical-fairness, societal, third-party and explainability. A system with no risk at all is a major nonconformity.",
    why: "AI risk goes beyond IT risk. Auditors map the register against these dimensions; societal and third-party risks are almost always missed, and an in-scope system with no risk assessed means the assessment was not conducted (6.1.2).",
    fix: "Hold a risk workshop for the system and add a `risk` document for each missing dimension (or record why none applies in a risk whose treatment is `accept`).");

rule!(SOA_INCOMPLETE, "ISO012", "soa-incomplete", Some("6.1.3"), None, Major,
    summary: "The Statement of Applicability is missing, or does not list every Annex A control",
    what: "The AIMS needs one `soa` document listing all 38 Annex A controls, each once, as applicable or excluded.",
    why: "Clause 6.1.3 requires the SoA to contain every Annex A control with a decision. A control the SoA does not mention was never considered, which an auditor records as a major nonconformity.",
    fix: "Add a `[[control]]` entry for each missing control (`aims init` writes an SoA with all 38), with `applicable` and either its procedure, evidence and owner, or a justification.");

rule!(SOA_DECORATIVE, "ISO013", "soa-decorative", Some("6.1.3"), None, Major,
    summary: "An applicable control has no evidence of implementation",
    what: "Every control the SoA marks applicable must name at least one evidence record that exists.",
    why: "An SoA that lists controls as applied but cannot be traced to operational evidence is decorative. Auditors treat it as worse than not having the control: the organisation does not know its own AIMS. Major nonconformity.",
    fix: "Name in `evidence` the records that show the control operating (`aims new record`), or mark the control excluded with a justification if it is not applied.");

rule!(SOA_UNTRACED, "ISO014", "soa-untraced", Some("6.1.3"), None, Minor,
    summary: "An SoA entry is not traced: an applied control without procedure, owner or risk, or an exclusion without reason",
    what: "An excluded control needs a justification. Every applicable control needs a procedure that exists and is approved, an owner role with members, and a link to a risk treatment (a risk naming the control in `controls`, or `risks` on the entry) or, for a control applied for another reason, a `note` saying why it is included. A missing link alone is an opportunity for improvement.",
    why: "The traceability matrix (control, procedure, evidence, owner) is what auditors build when they test the SoA (6.1.3). An unapproved procedure is not in force; a control no risk needs was not selected by the risk treatment.",
    fix: "Approve the procedure (`aims approve PRO-ID`), name an owner role, and link the control to the risks it treats.");

rule!(IMPACT_MISSING, "ISO015", "impact-assessment-missing", Some("6.1.4"), Some("A.5.2"), Major,
    summary: "An in-scope AI system has no impact assessment",
    what: "Every AI system in scope must have an `impact-assessment` document naming it in `ai-system`.",
    why: "Clause 6.1.4 and control A.5.2 require the consequences of AI systems for individuals, groups and society to be assessed. A system in scope with no assessment means the process has not been applied to it.",
    fix: "Assess the system with `aims new impact-assessment`, following the impact-assessment procedure, and have it approved.");

rule!(IMPACT_INCOMPLETE, "ISO016", "impact-assessment-incomplete", Some("6.1.4"), Some("A.5.4"), Minor,
    summary: "An impact assessment does not cover individuals, groups and society",
    what: "An impact assessment must cover individuals, groups and society (`covers`, with a section for each), and name trigger criteria, a review cycle and an escalation path.",
    why: "A privacy impact assessment reused as an AI impact assessment covers individuals only. Controls A.5.4 and A.5.5 ask for effects on groups and on society too, and an assessment without triggers or escalation is a one-off snapshot, not a process.",
    fix: "Add the missing audiences to `covers` with a section each, list the `triggers`, set `review-cycle` and `escalation`, and have the assessment approved again.");

rule!(IMPACT_OUTDATED, "ISO017", "impact-assessment-outdated", Some("6.1.4"), Some("A.5.3"), Minor,
    summary: "An impact assessment predates a change to its AI system, or its review cycle has lapsed",
    what: "An impact assessment is outdated when its AI system's document changed after the assessment's last approval (git knows when), or when its `review-cycle` has run out since that approval. For a high-risk system it is a major nonconformity.",
    why: "Assessments must be living documents, redone when the system changes. An auditor who sees the system documentation change after the assessment was signed asks who assessed the change; for a high-risk system the answer decides the classification.",
    fix: "Reassess the system in the light of the change (`aims diff SYS-ID` shows it), update the assessment, and have it approved (or reviewed with `aims approve AIA-ID --review` when nothing changes).");

rule!(OBJECTIVE_NOT_MEASURABLE, "ISO018", "objective-not-measurable", Some("6.2"), None, Major,
    summary: "An AI objective is an intention, not a measurable objective",
    what: "Every objective needs a metric, a target, an owner who is a person or a role (not \"the team\"), a measurement frequency, a method and a due date; and the AIMS needs at least one objective.",
    why: "Clause 6.2 requires measurable objectives monitored at defined intervals. \"Deploy AI responsibly\" is an intention: the auditor cannot tell what success means, who achieves it or by when. Major nonconformity.",
    fix: "Write the definition of done: fill in `metric`, `target`, `frequency`, `method` and `due`, and make the owner a named person or a role from aims.toml.");

rule!(COMPETENCE_INCOMPLETE, "ISO019", "competence-incomplete", Some("7.2"), Some("A.4.6"), Minor,
    summary: "The competence matrix is incomplete or overdue",
    what: "The competence matrix must have an entry for every role in aims.toml, each with required competencies, an evaluation method that tests competence (not attendance or self-assessment), evidence records that exist, and a reassessment date that has not passed.",
    why: "Clause 7.2 requires documented evidence of competence, not of training attendance. Auditors interview role holders; a matrix with no evidence, or with overdue reassessments, is a minor nonconformity.",
    fix: "Add the missing roles, name how competence is evaluated (test, certification, observed practice), link the assessment records in `evidence`, and reassess those past `reassess-by`.");

rule!(AUDIT_PROGRAMME, "ISO020", "internal-audit-missing", Some("9.2"), None, Major,
    summary: "There is no internal audit programme, or no internal audit before certification",
    what: "The AIMS needs an internal-audit programme with planned intervals, and at least one audit report conducted before the certification date (`certification-date` in aims.toml) or, without one, by the as-of date.",
    why: "Clause 9.2 requires internal audits at planned intervals. Certification bodies expect one full internal audit before Stage 2; without it the AIMS has never checked itself.",
    fix: "Write the programme (`aims new internal-audit`, `audit-type = \"programme\"`, `interval`), then conduct an audit against clauses 4-10 at least 60 days before Stage 2 and record it as a report.");

rule!(AUDITOR_NOT_INDEPENDENT, "ISO021", "auditor-not-independent", Some("9.2"), None, Minor,
    summary: "An internal auditor audited documents they own or wrote",
    what: "The auditor of an internal-audit report must not own (`owner`, directly or through a role) or have authored (per git history) any document listed in its `audited` field.",
    why: "Clause 9.2 requires auditors to be objective and impartial. Someone auditing their own work cannot be; an auditor reads the report's audited list against the documents' owners and authors.",
    fix: "Have the documents re-audited by someone independent of them, or split the audit so nobody audits their own work; record the auditor's independence in the programme.");

rule!(REVIEW_MISSING, "ISO022", "management-review-missing", Some("9.3"), None, Major,
    summary: "No management review has been held within its interval",
    what: "The AIMS needs a management-review record whose `held-on` date is within the management-review kind's review interval of the as-of date; none at all is a major nonconformity, an overdue one a minor.",
    why: "Clause 9.3 requires top management to review the AIMS at planned intervals. Certification bodies expect one completed review before Stage 2.",
    fix: "Hold the review with top management, record it with `aims new management-review`, and have the record approved.");

rule!(REVIEW_WEAK, "ISO023", "management-review-weak", Some("9.3"), None, Minor,
    summary: "A management-review record does not show data, decisions and actions",
    what: "A management-review record must show the data reviewed with values (a Data reviewed section with figures), decisions, and actions each with an owner and a due date (`[[action]]`). \"No issues identified\" with no data is flagged.",
    why: "An auditor who was not in the room must be able to reconstruct what was reviewed and decided. A checkbox agenda and \"no issues identified\" is a minor nonconformity on clause 9.3.",
    fix: "Record the metrics reviewed and their current values, the decisions taken, and each action as an `[[action]]` with `owner` and `due`.");

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

rule!(PRD_WITHOUT_AIMS, "ISO026", "prd-missing-aims-block", Some("8.1"), Some("A.6.2.2"), Minor,
    summary: "A PRD that touches an AI system has no AIMS metadata block",
    what: "A PRD (matched by `prds` in aims.toml) that names an inventoried AI system must carry an `[aims]` block (AI system, risk tier, impact, risks, human oversight, monitoring).",
    why: "Control A.6.2.2 asks for requirements of AI systems to be specified and documented. A product change to an AI system that never states its risk tier, impact or monitoring bypasses the AIMS.",
    fix: "Add an `[aims]` table to the PRD's frontmatter with `ai-system`, `risk-tier`, `impact`, `risks`, `human-oversight` and `monitoring`.");

rule!(CLAUSE_NOT_EVIDENCED, "ISO027", "clause-not-evidenced", Some("4.4"), None, Observation,
    summary: "No controlled document evidences a clause",
    what: "Each sub-clause of clauses 4-10 should be cited (`clauses`) by at least one controlled document, or be the main clause of a document's kind. A clause that asks for documented information is an observation; any other an opportunity for improvement.",
    why: "An auditor samples every clause. Where no document points at a clause, the evidence has to come from interviews alone, which is where surprises happen.",
    fix: "Cite the clause in the documents that evidence it (`clauses = [\"…\"]`), or write the missing documented information.");

/// The content rules, in code order.
pub static RULES: &[&Rule] = &[
    &SCOPE_MISSING,
    &SYSTEM_NOT_SCOPED,
    &POLICY_MISSING,
    &POLICY_INADEQUATE,
    &POLICY_NOT_TOP_MANAGEMENT,
    &ROLE_WITHOUT_MEMBERS,
    &RISK_METHOD_MISSING,
    &RISK_OFF_SCALE,
    &RISK_UNTREATED,
    &RESIDUAL_NOT_ACCEPTED,
    &RISK_DIMENSIONS,
    &SOA_INCOMPLETE,
    &SOA_DECORATIVE,
    &SOA_UNTRACED,
    &IMPACT_MISSING,
    &IMPACT_INCOMPLETE,
    &IMPACT_OUTDATED,
    &OBJECTIVE_NOT_MEASURABLE,
    &COMPETENCE_INCOMPLETE,
    &AUDIT_PROGRAMME,
    &AUDITOR_NOT_INDEPENDENT,
    &REVIEW_MISSING,
    &REVIEW_WEAK,
    &NC_OVERDUE,
    &NC_UNVERIFIED,
    &PRD_WITHOUT_AIMS,
    &CLAUSE_NOT_EVIDENCED,
];

/// What the content rules look at.
struct Ctx<'a> {
    ws: &'a Workspace,
    register: Option<&'a Register>,
    as_of: Date,
    index: BTreeMap<&'a str, &'a Document>,
    out: &'a mut Vec<Finding>,
}

/// Runs the content rules. `as_of` is the day judged (the register's, or
/// today without git).
pub fn check(ws: &Workspace, register: Option<&Register>, as_of: Date, out: &mut Vec<Finding>) {
    let mut cx = Ctx {
        ws,
        register,
        as_of,
        index: ws.index(),
        out,
    };
    let in_scope = scope(&mut cx);
    policy(&mut cx);
    roles(&mut cx);
    risks(&mut cx, &in_scope);
    soa(&mut cx);
    impact(&mut cx, &in_scope);
    objectives(&mut cx);
    competence(&mut cx);
    internal_audit(&mut cx);
    management_review(&mut cx);
    nonconformities(&mut cx);
    prds(&mut cx);
    evidenced(&mut cx);
}

// ---------------------------------------------------------------------------
// helpers

fn of_kind(ws: &Workspace, kind: Kind) -> Vec<&Document> {
    ws.documents()
        .filter(|d| d.kind() == Some(kind) && d.id().is_some())
        .collect()
}

fn id(d: &Document) -> &str {
    d.id().unwrap_or("?")
}

/// A finding in `d`, pointing at `key` (or the frontmatter's opening line).
fn at(rule: &'static Rule, d: &Document, key: &str, message: String) -> Finding {
    Finding::new(rule, message)
        .document(d.id())
        .at(&d.path, &d.source, Some(d.key_span(key)))
}

fn strings<'a>(t: &'a Table, key: &str) -> Vec<&'a str> {
    t.get(key).map_or_else(Vec::new, |n| {
        n.strings()
            .into_iter()
            .map(|(s, _)| s.trim())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

fn text<'a>(t: &'a Table, key: &str) -> Option<&'a str> {
    t.str(key).map(str::trim).filter(|s| !s.is_empty())
}

fn date(node: Option<&Node>) -> Option<Date> {
    let node = node?;
    match &node.value {
        crate::docs::Value::Datetime(dt) => crate::config::toml_date(dt),
        crate::docs::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The entries of an array of tables (`[[key]]`), each with the span it
/// occupies in the file (where a finding about it points).
fn tables<'a>(t: &'a Table, key: &str) -> Vec<(std::ops::Range<usize>, &'a Table)> {
    t.get(key)
        .and_then(Node::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|n| n.as_table().map(|t| (n.span.clone(), t)))
                .collect()
        })
        .unwrap_or_default()
}

/// The people a person field names: the email, or the role's members.
fn people(ws: &Workspace, who: &str) -> BTreeSet<String> {
    if crate::config::is_email(who) {
        return BTreeSet::from([who.to_ascii_lowercase()]);
    }
    ws.config
        .roles
        .get(who)
        .map(|m| m.iter().map(|e| e.to_ascii_lowercase()).collect())
        .unwrap_or_default()
}

/// An owner that names nobody in particular: neither an email nor a role.
fn is_accountable(ws: &Workspace, who: &str) -> bool {
    crate::config::is_email(who) || ws.config.has_role(who)
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

fn list(items: &[&str]) -> String {
    items.join(", ")
}

/// The approvals that count for the content in force: the blob the last
/// counted approval made or confirmed, and every counted approval of it.
pub fn in_force(entry: &Entry) -> Vec<&crate::history::approvals::Approval> {
    let Some(last) = entry.state.last_approval() else {
        return Vec::new();
    };
    let blob = &last.claim.blob;
    entry
        .state
        .counted
        .iter()
        .map(|(a, _)| a)
        .filter(|a| &a.claim.blob == blob)
        .collect()
}

// ---------------------------------------------------------------------------
// 4.3

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
fn scope(cx: &mut Ctx) -> BTreeSet<String> {
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

// ---------------------------------------------------------------------------
// 5.2

/// Words that only an AI policy would use; a recycled security policy has
/// none of them.
const AI_TERMS: &[&str] = &[
    "model",
    "fairness",
    "bias",
    "human oversight",
    "human review",
    "explainab",
    "transparen",
    "impact assessment",
    "training data",
    "automated decision",
    "machine learning",
    "human-centred",
    "human-centered",
    "responsible ai",
    "generative",
];

fn the_ai_policy(ws: &Workspace) -> Option<&Document> {
    let policies = of_kind(ws, Kind::Policy);
    policies
        .iter()
        .find(|d| strings(&d.frontmatter, "clauses").contains(&"5.2"))
        .or_else(|| (policies.len() == 1).then(|| &policies[0]))
        .copied()
}

fn policy(cx: &mut Ctx) {
    let Some(p) = the_ai_policy(cx.ws) else {
        cx.out.push(
            Finding::new(
                &POLICY_MISSING,
                "no AI policy: no document of kind `policy` cites clause 5.2",
            )
            .help("`aims new policy`, then cite clause 5.2"),
        );
        return;
    };
    let pid = id(p);
    let body = lower(p.body());
    if text(&p.frontmatter, "scope").is_none() {
        cx.out.push(at(
            &POLICY_INADEQUATE,
            p,
            "scope",
            format!("{pid} does not reference the AIMS scope (`scope`)"),
        ));
    }
    if !p.has_section("Commitments") {
        cx.out.push(at(
            &POLICY_INADEQUATE,
            p,
            "id",
            format!("{pid} states no commitments (no Commitments section)"),
        ));
    } else {
        let missing: Vec<&str> = [
            ("applicable requirements", &["requirement"][..]),
            (
                "continual improvement",
                &["continual improvement", "continuous improvement", "improve"][..],
            ),
            (
                "responsible, human-centred AI",
                &["responsible", "human-centred", "human-centered"][..],
            ),
        ]
        .into_iter()
        .filter(|(_, words)| !words.iter().any(|w| body.contains(w)))
        .map(|(what, _)| what)
        .collect();
        if !missing.is_empty() {
            cx.out.push(at(
                &POLICY_INADEQUATE,
                p,
                "id",
                format!("{pid} does not commit to {}", list(&missing)),
            ));
        }
    }
    let communicated =
        !strings(&p.frontmatter, "communicated-via").is_empty() || p.has_section("Communication");
    if !communicated {
        cx.out.push(
            at(
                &POLICY_INADEQUATE,
                p,
                "id",
                format!("{pid} does not say how it is communicated (`communicated-via` or a Communication section)"),
            )
            .classified(Classification::Minor),
        );
    }
    let ai_words = AI_TERMS.iter().filter(|w| body.contains(*w)).count();
    let linked = cx.index.values().any(|d| {
        matches!(d.kind(), Some(Kind::AiSystem | Kind::Objective))
            && d.id().is_some_and(|i| p.source.contains(i))
    });
    if ai_words < 2 && !linked {
        cx.out.push(at(
            &POLICY_INADEQUATE,
            p,
            "title",
            format!("{pid} reads as a recycled security or privacy policy: no AI-specific content and no link to the AI systems or objectives"),
        ));
    }
    let Some(register) = cx.register else { return };
    let Some(entry) = register.entry(pid) else {
        return;
    };
    let approvals = in_force(entry);
    let top: BTreeSet<String> = people(cx.ws, "top-management");
    let by_top = approvals
        .iter()
        .any(|a| a.claim.role == "top-management" || top.contains(&lower(&a.signer_email)));
    if !by_top {
        let message = if approvals.is_empty() {
            format!("{pid} has no approval in force, so top management has not approved it")
        } else {
            let who: Vec<String> = approvals
                .iter()
                .map(|a| format!("{} as {}", a.signer_email, a.claim.role))
                .collect();
            format!(
                "{pid} is approved by {} but by no member of top-management",
                who.join(", ")
            )
        };
        cx.out
            .push(at(&POLICY_NOT_TOP_MANAGEMENT, p, "id", message));
    }
}

// ---------------------------------------------------------------------------
// 5.3

fn roles(cx: &mut Ctx) {
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

// ---------------------------------------------------------------------------
// 6.1.2, 6.1.3

fn risks(cx: &mut Ctx, in_scope: &BTreeSet<String>) {
    let methods = of_kind(cx.ws, Kind::RiskAssessment);
    let method = methods.first().copied();
    let mut scales: Option<(Vec<String>, Vec<String>)> = None;
    match method {
        None => cx.out.push(
            Finding::new(
                &RISK_METHOD_MISSING,
                "no AI risk assessment method: no document of kind `risk-assessment` defines the criteria and scales",
            )
            .help("`aims new risk-assessment`"),
        ),
        Some(m) => {
            let l: Vec<String> = strings(&m.frontmatter, "likelihood-scale")
                .into_iter()
                .map(lower)
                .collect();
            let s: Vec<String> = strings(&m.frontmatter, "severity-scale")
                .into_iter()
                .map(lower)
                .collect();
            let mut gaps = Vec::new();
            if l.len() < 2 {
                gaps.push("a likelihood scale of two or more levels");
            }
            if s.len() < 2 {
                gaps.push("a severity scale of two or more levels");
            }
            if text(&m.frontmatter, "acceptance-criteria").is_none() {
                gaps.push("acceptance criteria");
            }
            if gaps.is_empty() {
                scales = Some((l, s));
            } else {
                cx.out.push(at(
                    &RISK_METHOD_MISSING,
                    m,
                    "id",
                    format!("{} defines no {}", id(m), gaps.join(", no ")),
                ));
            }
        }
    }

    let soa_entries = soa_entries(cx.ws);
    let applicable: BTreeSet<&str> = soa_entries
        .iter()
        .filter(|(_, t)| t.get("applicable").and_then(Node::as_bool) == Some(true))
        .filter_map(|(_, t)| text(t, "id"))
        .collect();
    let linked_by_soa: BTreeSet<&str> = soa_entries
        .iter()
        .flat_map(|(_, t)| strings(t, "risks"))
        .collect();

    let mut covered: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for r in of_kind(cx.ws, Kind::Risk) {
        let rid = id(r);
        let fm = &r.frontmatter;
        if let Some(sys) = text(fm, "ai-system") {
            let entry = covered.entry(sys).or_default();
            if let Some(dim) = text(fm, "dimension") {
                entry.insert(dim.to_owned());
            }
        }
        if let Some((l, s)) = &scales {
            for (key, scale, name) in [
                ("likelihood", l, "likelihood"),
                ("severity", s, "severity"),
                ("residual-likelihood", l, "likelihood"),
                ("residual-severity", s, "severity"),
            ] {
                if let Some(v) = text(fm, key)
                    && !scale.contains(&lower(v))
                {
                    cx.out.push(at(
                        &RISK_OFF_SCALE,
                        r,
                        key,
                        format!(
                            "{rid}'s {key} `{v}` is not on the method's {name} scale ({})",
                            scale.join(", ")
                        ),
                    ));
                }
            }
        }
        let treatment = text(fm, "treatment");
        if treatment.is_some_and(|t| t != "accept") {
            let controls = strings(fm, "controls");
            if controls.is_empty() && !linked_by_soa.contains(rid) {
                cx.out.push(at(
                    &RISK_UNTREATED,
                    r,
                    "treatment",
                    format!(
                        "{rid} is treated (`{}`) but names no Annex A control",
                        treatment.unwrap_or("")
                    ),
                ));
            } else if !soa_entries.is_empty() {
                let excluded: Vec<&str> = controls
                    .iter()
                    .copied()
                    .filter(|c| catalog::control(c).is_some() && !applicable.contains(c))
                    .collect();
                if !excluded.is_empty() {
                    cx.out.push(at(
                        &RISK_UNTREATED,
                        r,
                        "controls",
                        format!(
                            "{rid} is treated by {} which the SoA does not mark applicable",
                            list(&excluded)
                        ),
                    ));
                }
            }
        }
        if let Some(register) = cx.register
            && let Some(entry) = register.entry(rid)
        {
            let owner = r.owner().map(str::trim).unwrap_or("");
            let owners = people(cx.ws, owner);
            let accepted = in_force(entry)
                .iter()
                .any(|a| owners.contains(&lower(&a.signer_email)));
            if !accepted && !owner.is_empty() {
                let message = if entry.state.last_approval().is_none() {
                    format!(
                        "{rid} has never been approved, so its owner ({owner}) has not accepted the residual risk"
                    )
                } else {
                    format!(
                        "{rid}'s content in force carries no approval by its owner ({owner}): the residual risk is not accepted"
                    )
                };
                cx.out.push(at(&RESIDUAL_NOT_ACCEPTED, r, "owner", message));
            }
        }
    }

    let docs = &cx.index;
    for sys in in_scope {
        let Some(d) = docs.get(sys.as_str()).copied() else {
            continue;
        };
        if d.kind() != Some(Kind::AiSystem) {
            continue;
        }
        let have = covered.get(sys.as_str());
        let missing: Vec<&str> = crate::docs::schema::RISK_DIMENSIONS
            .iter()
            .copied()
            .filter(|dim| !have.is_some_and(|h| h.contains(*dim)))
            .collect();
        if have.is_none() {
            cx.out.push(
                at(
                    &RISK_DIMENSIONS,
                    d,
                    "id",
                    format!("{sys} is in scope but no risk in the register concerns it: its risks were never assessed"),
                )
                .classified(Classification::Major),
            );
        } else if !missing.is_empty() {
            cx.out.push(at(
                &RISK_DIMENSIONS,
                d,
                "id",
                format!(
                    "{sys}'s risks do not cover {} of the six dimensions: {}",
                    missing.len(),
                    list(&missing)
                ),
            ));
        }
    }
}

/// The `[[control]]` entries of the (first) Statement of Applicability.
pub fn soa_entries(ws: &Workspace) -> Vec<(std::ops::Range<usize>, &Table)> {
    of_kind(ws, Kind::Soa)
        .first()
        .map(|d| tables(&d.frontmatter, "control"))
        .unwrap_or_default()
}

fn soa(cx: &mut Ctx) {
    let soas = of_kind(cx.ws, Kind::Soa);
    let Some(s) = soas.first().copied() else {
        cx.out.push(
            Finding::new(
                &SOA_INCOMPLETE,
                "no Statement of Applicability: no document of kind `soa`",
            )
            .help("`aims new soa` (or `aims init` in an empty folder) writes one with all 38 controls"),
        );
        return;
    };
    let sid = id(s);
    let entries = tables(&s.frontmatter, "control");
    let listed: BTreeSet<&str> = entries.iter().filter_map(|(_, t)| text(t, "id")).collect();
    for c in catalog::CONTROLS {
        if !listed.contains(c.id) {
            cx.out.push(
                at(
                    &SOA_INCOMPLETE,
                    s,
                    "control",
                    format!("{sid} does not list {} ({})", c.id, c.title),
                )
                .under_control(c.id),
            );
        }
    }
    let risk_links: BTreeSet<String> = of_kind(cx.ws, Kind::Risk)
        .iter()
        .flat_map(|r| strings(&r.frontmatter, "controls"))
        .map(str::to_owned)
        .collect();
    for (span, t) in &entries {
        let Some(cid) = text(t, "id") else { continue };
        if catalog::control(cid).is_none() {
            continue; // an unknown id is DOC006
        }
        let place = |rule: &'static Rule, message: String| {
            Finding::new(rule, message)
                .document(Some(sid))
                .at(&s.path, &s.source, Some(span.clone()))
                .under_control(cid)
        };
        if t.get("applicable").and_then(Node::as_bool) != Some(true) {
            if text(t, "justification").is_none() {
                cx.out.push(place(
                    &SOA_UNTRACED,
                    format!("{cid} is excluded in {sid} without a justification"),
                ));
            }
            continue;
        }
        let evidence = strings(t, "evidence");
        let existing: Vec<&str> = evidence
            .iter()
            .copied()
            .filter(|e| {
                cx.index
                    .get(e)
                    .is_some_and(|d| d.kind() == Some(Kind::Record))
            })
            .collect();
        if existing.is_empty() {
            let message = if evidence.is_empty() {
                format!("{cid} is applicable in {sid} but names no evidence record")
            } else {
                format!(
                    "{cid} is applicable in {sid} but none of its evidence exists ({})",
                    list(&evidence)
                )
            };
            cx.out.push(place(&SOA_DECORATIVE, message));
        }
        match text(t, "procedure") {
            None => cx.out.push(place(
                &SOA_UNTRACED,
                format!("{cid} is applicable in {sid} but names no procedure"),
            )),
            Some(p) => match cx.index.get(p) {
                None => cx.out.push(place(
                    &SOA_UNTRACED,
                    format!("{cid}'s procedure {p} does not exist"),
                )),
                Some(_) => {
                    if let Some(reg) = cx.register
                        && let Some(e) = reg.entry(p)
                        && e.state.version.is_none()
                    {
                        cx.out.push(place(
                            &SOA_UNTRACED,
                            format!("{cid}'s procedure {p} has never been approved, so it is not in force"),
                        ));
                    }
                }
            },
        }
        match text(t, "owner") {
            None => cx.out.push(place(
                &SOA_UNTRACED,
                format!("{cid} is applicable in {sid} but has no owner role"),
            )),
            Some(o) if people(cx.ws, o).is_empty() && cx.ws.config.has_role(o) => {
                cx.out.push(place(
                    &SOA_UNTRACED,
                    format!("{cid}'s owner role `{o}` has no members"),
                ))
            }
            Some(_) => {}
        }
        if strings(t, "risks").is_empty() && !risk_links.contains(cid) && text(t, "note").is_none()
        {
            cx.out.push(
                place(
                    &SOA_UNTRACED,
                    format!("{cid} is applicable but no risk names it as a treatment, and its entry gives no reason for including it (`note`)"),
                )
                .classified(Classification::Improvement),
            );
        }
    }
}

// ---------------------------------------------------------------------------
// 6.1.4, A.5

fn impact(cx: &mut Ctx, in_scope: &BTreeSet<String>) {
    let assessments = of_kind(cx.ws, Kind::ImpactAssessment);
    for sys in in_scope {
        let Some(d) = cx.index.get(sys.as_str()).copied() else {
            continue;
        };
        if d.kind() != Some(Kind::AiSystem) {
            continue;
        }
        if !assessments
            .iter()
            .any(|a| text(&a.frontmatter, "ai-system") == Some(sys.as_str()))
        {
            cx.out.push(at(
                &IMPACT_MISSING,
                d,
                "id",
                format!("{sys} is in scope but has no impact assessment"),
            ));
        }
    }
    for a in &assessments {
        let aid = id(a);
        let fm = &a.frontmatter;
        let covers: Vec<&str> = strings(fm, "covers");
        for (audience, control) in [
            ("individuals", "A.5.4"),
            ("groups", "A.5.4"),
            ("society", "A.5.5"),
        ] {
            if !covers.contains(&audience) {
                cx.out.push(
                    at(
                        &IMPACT_INCOMPLETE,
                        a,
                        "covers",
                        format!("{aid} does not assess the effects on {audience}"),
                    )
                    .under_control(control),
                );
            }
        }
        let missing: Vec<&str> = [
            ("triggers", strings(fm, "triggers").is_empty()),
            ("review-cycle", text(fm, "review-cycle").is_none()),
            ("escalation", text(fm, "escalation").is_none()),
        ]
        .into_iter()
        .filter(|(_, m)| *m)
        .map(|(k, _)| k)
        .collect();
        if !missing.is_empty() {
            cx.out.push(
                at(
                    &IMPACT_INCOMPLETE,
                    a,
                    "id",
                    format!(
                        "{aid} has no {}: it is a snapshot, not a process",
                        list(&missing)
                    ),
                )
                .under_control("A.5.2"),
            );
        }
        outdated(cx, a);
    }
}

fn outdated(cx: &mut Ctx, a: &Document) {
    let Some(register) = cx.register else { return };
    let aid = id(a);
    let Some(entry) = register.entry(aid) else {
        return;
    };
    let Some(last) = entry.state.last_approval() else {
        return; // never approved: CTL001 says so
    };
    let approved = Date::from_unix(last.time);
    let sys = text(&a.frontmatter, "ai-system").unwrap_or("");
    let high = cx
        .index
        .get(sys)
        .and_then(|d| d.frontmatter.str("risk-tier"))
        .is_some_and(|t| t == "high" || t == "prohibited");
    let class = if high {
        Classification::Major
    } else {
        Classification::Minor
    };
    if let Some(s) = register.entry(sys) {
        let later: Vec<_> = s.revisions.iter().filter(|r| r.time > last.time).collect();
        let why = match (later.last(), s.state.uncommitted) {
            (Some(r), _) => Some(format!(
                "{sys} changed on {} (commit {}) after {aid} was last approved on {approved}",
                Date::from_unix(r.time),
                crate::history::short_id(&r.commit)
            )),
            (None, true) => Some(format!(
                "{sys} has an uncommitted change made after {aid} was last approved on {approved}"
            )),
            (None, false) => None,
        };
        if let Some(why) = why {
            cx.out.push(
                at(
                    &IMPACT_OUTDATED,
                    a,
                    "ai-system",
                    format!("{aid} is outdated: {why}"),
                )
                .classified(class),
            );
            return;
        }
    }
    if let Some(cycle) =
        text(&a.frontmatter, "review-cycle").and_then(|c| c.parse::<Interval>().ok())
    {
        let due = approved.plus(cycle);
        if due < cx.as_of {
            cx.out.push(
                at(
                    &IMPACT_OUTDATED,
                    a,
                    "review-cycle",
                    format!("{aid} is outdated: last approved on {approved}, its {cycle} review cycle ran out on {due}"),
                )
                .classified(class),
            );
        }
    }
}

// ---------------------------------------------------------------------------
// 6.2

fn objectives(cx: &mut Ctx) {
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

// ---------------------------------------------------------------------------
// 7.2

/// Evaluations that show attendance or opinion, not competence.
const WEAK_EVALUATIONS: &[&str] = &[
    "webinar",
    "attendance",
    "self-assess",
    "self assess",
    "opinion",
];

fn competence(cx: &mut Ctx) {
    let matrices = of_kind(cx.ws, Kind::Competence);
    let Some(m) = matrices.first().copied() else {
        cx.out.push(
            Finding::new(
                &COMPETENCE_INCOMPLETE,
                "no competence matrix: no document of kind `competence`",
            )
            .classified(Classification::Major)
            .help("`aims new competence`"),
        );
        return;
    };
    let mid = id(m);
    let entries = tables(&m.frontmatter, "role");
    let mut seen = BTreeSet::new();
    for (span, t) in &entries {
        let role = text(t, "role").unwrap_or("?");
        seen.insert(role.to_owned());
        let mut gaps: Vec<String> = Vec::new();
        if strings(t, "competencies").is_empty() {
            gaps.push("no required competencies".into());
        }
        match text(t, "evaluation") {
            None => gaps.push("no evaluation method".into()),
            Some(e) if WEAK_EVALUATIONS.iter().any(|w| lower(e).contains(w)) => {
                gaps.push(format!(
                    "an evaluation that shows attendance or opinion, not competence (\"{e}\")"
                ));
            }
            Some(_) => {}
        }
        let evidence = strings(t, "evidence");
        if !evidence.iter().any(|e| cx.index.contains_key(e)) {
            gaps.push("no evidence record".into());
        }
        match date(t.get("reassess-by")) {
            None => gaps.push("no reassessment date".into()),
            Some(d) if d < cx.as_of => gaps.push(format!("reassessment overdue since {d}")),
            Some(_) => {}
        }
        if !gaps.is_empty() {
            cx.out.push(
                Finding::new(
                    &COMPETENCE_INCOMPLETE,
                    format!("{mid}: role `{role}` has {}", gaps.join("; ")),
                )
                .document(Some(mid))
                .at(&m.path, &m.source, Some(span.clone())),
            );
        }
    }
    let missing: Vec<&str> = cx
        .ws
        .config
        .roles
        .keys()
        .map(String::as_str)
        .filter(|r| !seen.contains(*r))
        .collect();
    if !missing.is_empty() {
        cx.out.push(at(
            &COMPETENCE_INCOMPLETE,
            m,
            "role",
            format!(
                "{mid} has no entry for the role{} {}",
                if missing.len() == 1 { "" } else { "s" },
                list(&missing)
            ),
        ));
    }
}

// ---------------------------------------------------------------------------
// 9.2

fn internal_audit(cx: &mut Ctx) {
    let audits = of_kind(cx.ws, Kind::InternalAudit);
    let kind_of = |d: &Document| text(&d.frontmatter, "audit-type").map(str::to_owned);
    let programme = audits
        .iter()
        .find(|d| kind_of(d).as_deref() == Some("programme"));
    match programme {
        None => cx.out.push(
            Finding::new(
                &AUDIT_PROGRAMME,
                "no internal audit programme: no `internal-audit` document with `audit-type = \"programme\"`",
            )
            .help("`aims new internal-audit`"),
        ),
        Some(p) if text(&p.frontmatter, "interval").is_none() => cx.out.push(at(
            &AUDIT_PROGRAMME,
            p,
            "interval",
            format!("{} plans no audit interval", id(p)),
        )),
        Some(_) => {}
    }
    let deadline = cx.ws.config.certification_date.unwrap_or(cx.as_of);
    let reports: Vec<&Document> = audits
        .iter()
        .copied()
        .filter(|d| kind_of(d).as_deref() == Some("report"))
        .collect();
    let before = reports.iter().any(|r| {
        date(r.frontmatter.get("conducted-on")).is_some_and(|d| d <= deadline && d <= cx.as_of)
    });
    if !before {
        let when = match cx.ws.config.certification_date {
            Some(d) => format!("before the certification date {d} (aims.toml)"),
            None => format!("by {}", cx.as_of),
        };
        cx.out.push(Finding::new(
            &AUDIT_PROGRAMME,
            format!("no internal audit report conducted {when}"),
        ));
    }
    for r in reports {
        independence(cx, r);
    }
}

fn independence(cx: &mut Ctx, r: &Document) {
    let rid = id(r);
    let Some(auditor) = text(&r.frontmatter, "auditor") else {
        return;
    };
    let auditors = people(cx.ws, auditor);
    let mut owned = Vec::new();
    let mut authored = Vec::new();
    for a in strings(&r.frontmatter, "audited") {
        let Some(d) = cx.index.get(a) else { continue };
        if d.owner()
            .is_some_and(|o| !people(cx.ws, o.trim()).is_disjoint(&auditors))
        {
            owned.push(a);
        }
        if let Some(reg) = cx.register
            && let Some(e) = reg.entry(a)
            && e.revisions
                .iter()
                .any(|rev| auditors.contains(&lower(&rev.author_email)))
        {
            authored.push(a);
        }
    }
    let mut why = Vec::new();
    if !owned.is_empty() {
        why.push(format!("owns {}", list(&owned)));
    }
    if !authored.is_empty() {
        why.push(format!("authored changes to {}", list(&authored)));
    }
    if !why.is_empty() {
        cx.out.push(at(
            &AUDITOR_NOT_INDEPENDENT,
            r,
            "auditor",
            format!(
                "{rid}'s auditor {auditor} is not independent of what was audited: {}",
                why.join(" and ")
            ),
        ));
    }
}

// ---------------------------------------------------------------------------
// 9.3

fn management_review(cx: &mut Ctx) {
    let reviews = of_kind(cx.ws, Kind::ManagementReview);
    let interval = cx
        .ws
        .config
        .kind_policy(Kind::ManagementReview)
        .review_interval;
    let latest = reviews
        .iter()
        .filter_map(|r| date(r.frontmatter.get("held-on")).map(|d| (d, *r)))
        .filter(|(d, _)| *d <= cx.as_of)
        .max_by_key(|(d, _)| *d);
    match latest {
        None => cx.out.push(
            Finding::new(
                &REVIEW_MISSING,
                format!("no management review held by {}", cx.as_of),
            )
            .help("`aims new management-review`"),
        ),
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
    for r in reviews {
        let body = lower(r.body());
        let mut gaps = Vec::new();
        let data = section_text(r, "Data reviewed");
        if !data
            .as_deref()
            .is_some_and(|t| t.chars().any(|c| c.is_ascii_digit()))
        {
            gaps.push("no data reviewed with values");
        }
        if !r.has_section("Decisions") {
            gaps.push("no decisions");
        }
        let actions = tables(&r.frontmatter, "action");
        let complete = actions
            .iter()
            .filter(|(_, t)| text(t, "owner").is_some() && date(t.get("due")).is_some())
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

/// The text under a heading, up to the next heading of the same or a
/// higher level.
fn section_text(d: &Document, name: &str) -> Option<String> {
    let hs = &d.headings;
    let i = hs
        .iter()
        .position(|h| crate::docs::normalise_heading(&h.text).eq_ignore_ascii_case(name))?;
    let start = hs[i].span.end;
    let end = hs[i + 1..]
        .iter()
        .find(|h| h.level <= hs[i].level)
        .map_or(d.source.len(), |h| h.span.start);
    d.source.get(start..end).map(str::to_owned)
}

// ---------------------------------------------------------------------------
// 10.2

fn nonconformities(cx: &mut Ctx) {
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

// ---------------------------------------------------------------------------
// PRDs

fn prds(cx: &mut Ctx) {
    let systems: Vec<&str> = of_kind(cx.ws, Kind::AiSystem)
        .iter()
        .map(|d| id(d))
        .collect();
    for d in cx.ws.documents().filter(|d| d.is_prd) {
        if d.frontmatter.get("aims").is_some() {
            continue;
        }
        let named: Vec<&str> = systems
            .iter()
            .copied()
            .filter(|s| d.source.contains(s))
            .collect();
        if !named.is_empty() {
            cx.out.push(at(
                &PRD_WITHOUT_AIMS,
                d,
                "id",
                format!(
                    "{} names the AI system {} but has no [aims] block",
                    id(d),
                    list(&named)
                ),
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// clauses without evidence

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

fn evidenced(cx: &mut Ctx) {
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
