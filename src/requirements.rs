//! The requirements model: for every clause 4.1–10.2 and every Annex A
//! control, the elements its documented information must show, in our own
//! paraphrase (no text of the standard), and how each is judged.
//!
//! An element is judged one of three ways:
//!
//! - [`Check::Field`]: a field, table row or section of documents of one
//!   kind must be there and say something (not blank, not a placeholder,
//!   not a restatement of a sibling). The generic rule ISO029 reports each
//!   gap, under the element's clause or control, with the field to add.
//! - [`Check::Rule`]: an existing rule judges it (its findings are the
//!   element's gaps).
//! - [`Check::Judged`]: only a person can judge it; the reason says why.
//!   The audit lists these for the auditor and they never count as
//!   evidence either way.
//!
//! `aims explain 9.3.2` (or `A.5.5`) prints a clause's or control's
//! elements; the README's "Requirements model" section is generated from
//! [`ELEMENTS`].

use std::collections::BTreeSet;

use crate::date::Date;
use crate::docs::{Document, Kind, Node, Table};
use crate::finding::Classification;

/// One thing a clause's or control's documented information must show.
#[derive(Debug)]
pub struct Element {
    /// Clause (`"9.3.2"`) or Annex A control (`"A.5.5"`) id.
    pub reference: &'static str,
    /// Short kebab-case name, unique within the reference.
    pub name: &'static str,
    /// What must be shown, in our own words.
    pub title: &'static str,
    pub check: Check,
}

impl Element {
    /// `9.3.2/previous-actions`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.reference, self.name)
    }

    pub fn is_control(&self) -> bool {
        self.reference.starts_with("A.")
    }
}

/// How an element is judged.
#[derive(Debug)]
pub enum Check {
    Field(FieldCheck),
    /// An existing rule judges it.
    Rule(RuleCheck),
    /// A person judges it, for this reason.
    Judged(&'static str),
}

/// Which findings of a rule are an element's gaps.
#[derive(Debug)]
pub struct RuleCheck {
    pub code: &'static str,
    /// Findings on documents of this kind, wherever they are filed;
    /// without it, findings filed under the element's clause or control.
    pub on: Option<Kind>,
    /// Only findings whose message names this (a section, a field).
    pub about: Option<&'static str>,
}

/// Whether every applicable document must show an element, or one is enough.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Each,
    Any,
}

/// An element shown by fields, rows or sections of documents of one kind.
///
/// `needs` are locators, all of which must hold:
///
/// - `key`: a frontmatter field that says something;
/// - `table.key`: a field of a sub-table (`[human-oversight]`);
/// - `rows[]`: an array of tables (`[[harm]]`) with at least one row;
/// - `rows[].key`: every row has the field;
/// - `rows[key=value]`: some row has that value;
/// - `§Heading`: a body section with text under it;
/// - `key~@role`: a list naming the role or one of its members.
///
/// `when` conditions select the documents: `key=value`, `key!=value`,
/// `key~value` (a list holds the value), `key<=today` (a date not after
/// the day judged). A condition on a missing field selects nothing.
#[derive(Debug)]
pub struct FieldCheck {
    pub kind: Kind,
    pub when: &'static [&'static str],
    pub needs: &'static [&'static str],
    /// The first locator must not restate the second (`harm[].mitigation`
    /// against `harm[].harm`, `root-cause` against `§Description`).
    pub differs: Option<(&'static str, &'static str)>,
    pub scope: Scope,
    pub classification: Classification,
    /// What to write, shown in the finding.
    pub hint: &'static str,
}

const fn field(kind: Kind, needs: &'static [&'static str], hint: &'static str) -> FieldCheck {
    FieldCheck {
        kind,
        when: &[],
        needs,
        differs: None,
        scope: Scope::Each,
        classification: Classification::Minor,
        hint,
    }
}

impl FieldCheck {
    const fn when(mut self, when: &'static [&'static str]) -> Self {
        self.when = when;
        self
    }
    const fn differs(mut self, a: &'static str, b: &'static str) -> Self {
        self.differs = Some((a, b));
        self
    }
    const fn any(mut self) -> Self {
        self.scope = Scope::Any;
        self
    }
}

const fn e(
    reference: &'static str,
    name: &'static str,
    title: &'static str,
    check: Check,
) -> Element {
    Element {
        reference,
        name,
        title,
        check,
    }
}

const fn f(
    reference: &'static str,
    name: &'static str,
    title: &'static str,
    check: FieldCheck,
) -> Element {
    e(reference, name, title, Check::Field(check))
}

const fn r(
    reference: &'static str,
    name: &'static str,
    title: &'static str,
    code: &'static str,
) -> Element {
    let check = RuleCheck {
        code,
        on: None,
        about: None,
    };
    e(reference, name, title, Check::Rule(check))
}

/// An element a rule judges on documents of `kind` (only its findings that
/// name `about`, when given), wherever the rule files them.
const fn ro(
    reference: &'static str,
    name: &'static str,
    title: &'static str,
    code: &'static str,
    on: Kind,
    about: Option<&'static str>,
) -> Element {
    let check = RuleCheck {
        code,
        on: Some(on),
        about,
    };
    e(reference, name, title, Check::Rule(check))
}

const fn j(
    reference: &'static str,
    name: &'static str,
    title: &'static str,
    why: &'static str,
) -> Element {
    e(reference, name, title, Check::Judged(why))
}

/// The management-review inputs clause 9.3.2 asks for, as `[[input]]`
/// topics.
pub const REVIEW_INPUTS: &[(&str, &str)] = &[
    (
        "previous-actions",
        "Where the actions of earlier reviews stand",
    ),
    (
        "changes",
        "Changes in external and internal issues that bear on the AIMS",
    ),
    (
        "interested-parties",
        "Changes in what interested parties need and expect",
    ),
    (
        "nonconformities",
        "Nonconformities and corrective actions, and their trend",
    ),
    (
        "monitoring",
        "Monitoring and measurement results, and their trend",
    ),
    ("audit-results", "Results of audits"),
    ("objectives", "How far the AI objectives are met"),
    ("opportunities", "Opportunities to improve the AIMS"),
];

const HELD: &[&str] = &["held-on<=today"];
const NOT_ACCEPTED: &[&str] = &["treatment!=accept"];
const PROGRAMME: &[&str] = &["audit-type=programme"];
const REPORT: &[&str] = &["audit-type=report"];
const OUTSOURCED: &[&str] = &["provider!=in-house"];
const ACTIVE: &[&str] = &["lifecycle!=retired"];

/// The elements, clause by clause and control by control.
#[rustfmt::skip]
pub static ELEMENTS: &[Element] = &[
    // 4 Context
    f("4.1", "issues", "The external and internal issues that bear on the AIMS",
        field(Kind::Scope, &["§Context"], "a `## Context` section: what in the market, the law, technology and the organisation shapes its use of AI")),
    f("4.1", "ai-roles", "The organisation's roles towards AI (develops, provides, deploys, uses...)",
        field(Kind::Scope, &["ai-roles"], "`ai-roles = [\"deployer\", \"provider\"]`: the parts the organisation plays for the AI systems in scope")),
    ro("4.2", "parties", "Interested parties and what they need from the AIMS", "DOC011", Kind::Scope, Some("Interested parties")),
    j("4.2", "needs-taken-on", "Which of those needs the AIMS takes on",
        "whether every relevant party and need is listed can only be judged by someone who knows the organisation's market and obligations"),
    r("4.3", "scope-document", "A scope statement", "ISO001"),
    r("4.3", "systems-placed", "Every inventoried AI system inside the AIMS or left out for a reason", "ISO002"),
    ro("4.3", "boundaries", "Where the AIMS starts and stops", "DOC011", Kind::Scope, Some("Boundaries")),
    r("4.4", "processes", "Each clause's process shown by a controlled document", "ISO027"),
    // 5 Leadership
    ro("5.1", "policy-approved", "Top management approves the AI policy", "ISO005", Kind::Policy, None),
    f("5.1", "review-attended", "Top management takes part in the management review",
        field(Kind::ManagementReview, &["attendees~@top-management"], "a member of top management (or the role) in `attendees`").when(HELD)),
    r("5.2", "policy", "An AI policy", "ISO003"),
    r("5.2", "commitments", "The policy commits to meeting requirements and to improving, and is communicated", "ISO004"),
    j("5.2", "fit", "The policy suits the organisation's purpose",
        "whether a policy suits the business is a judgement on its content that needs knowledge of the business"),
    r("5.3", "roles-assigned", "AIMS roles held by named people", "ISO006"),
    j("5.3", "authority", "Role holders have the authority they need",
        "authority shows in interviews and in the decisions people sign, not in a field"),
    // 6 Planning
    f("6.1.1", "opportunities", "Opportunities weighed as well as risks",
        field(Kind::RiskAssessment, &["§Opportunities"], "an `## Opportunities` section: where AI could serve the organisation's aims better, and how that is weighed").any()),
    ro("6.1.1", "actions-planned", "A planned treatment for every risk", "ISO009", Kind::Risk, None),
    r("6.1.2", "criteria", "Risk criteria and scales", "ISO007"),
    r("6.1.2", "levels", "Each risk rated on the method's scales", "ISO008"),
    r("6.1.2", "dimensions", "Each AI system's risks across the six dimensions", "ISO011"),
    ro("6.1.3", "option", "A treatment option for each risk", "DOC005", Kind::Risk, Some("treatment")),
    f("6.1.3", "actions", "Treatment actions, each with an owner and a due date",
        field(Kind::Risk, &["action[]", "action[].owner", "action[].due"], "one `[[action]]` per step of the treatment: `action`, `owner`, `due` (and `status`)").when(NOT_ACCEPTED)),
    r("6.1.3", "controls", "The controls that treat each risk, traced in the SoA", "ISO009"),
    ro("6.1.3", "residual", "Residual risk accepted by its owner", "ISO010", Kind::Risk, None),
    r("6.1.3", "soa", "A Statement of Applicability covering every Annex A control", "ISO012"),
    r("6.1.3", "soa-evidence", "Each applied control shown by records", "ISO013"),
    r("6.1.4", "assessed", "An impact assessment for each AI system in scope", "ISO015"),
    r("6.1.4", "reach", "Impacts on individuals, groups and society considered", "ISO016"),
    f("6.1.4", "harms", "The harms identified, each with whom it affects",
        field(Kind::ImpactAssessment, &["harm[]", "harm[].affected"], "one `[[harm]]` per harm: `affected` (individuals, groups or society), `harm`, `mitigation`, `residual`")),
    f("6.1.4", "mitigations", "A mitigation for each harm, not the harm restated",
        field(Kind::ImpactAssessment, &["harm[].mitigation"], "`mitigation` in each `[[harm]]`: what is done so the harm does not happen or matters less").differs("harm[].mitigation", "harm[].harm")),
    f("6.1.4", "residual", "The impact that remains after mitigation",
        field(Kind::ImpactAssessment, &["harm[].residual"], "`residual` in each `[[harm]]`: what remains, and whether it is acceptable")),
    r("6.2", "measurable", "Objectives with a checkable target", "ISO018"),
    f("6.2", "plan", "What will be done to meet each objective, and with what resources",
        field(Kind::Objective, &["plan"], "`plan = \"...\"`: what will be done, by whom, with what resources")),
    r("6.3", "changes-planned", "Changes reach the AIMS only through approval", "CTL009"),
    // 7 Support
    ro("7.1", "resources", "The resources the AIMS needs, provided and recorded", "ISO014", Kind::Soa, Some("A.4.2")),
    r("7.2", "competence", "Competence required, evaluated and evidenced for each role", "ISO019"),
    ro("7.3", "policy-communicated", "The policy reaches the people it concerns", "ISO004", Kind::Policy, Some("communicated")),
    j("7.3", "awareness", "People know the policy, their part and what failing costs",
        "awareness is found by talking to people, not in documents"),
    j("7.4", "communication", "What is communicated, when, to whom and how",
        "communication arrangements are spread over procedures and records; an auditor samples them"),
    r("7.5.1", "required-documents", "The documented information the standard and the AIMS need", "ISO027"),
    r("7.5.2", "identified", "Each document identified (id, title, owner, kind)", "DOC005"),
    r("7.5.2", "approved", "Each document approved", "CTL001"),
    r("7.5.3", "controlled", "No change in force without approval", "CTL002"),
    r("7.5.3", "reviewed", "Periodic reviews done on time", "CTL006"),
    // 8 Operation
    ro("8.1", "operated", "The processes that implement the controls run and leave records", "ISO013", Kind::Soa, None),
    r("8.1", "product-changes", "Product changes to AI systems carry their AIMS metadata", "ISO026"),
    ro("8.2", "reassessed", "Risks reassessed at planned intervals", "CTL006", Kind::Risk, None),
    r("8.3", "treatment-done", "Treatment actions carried out by their due date", "ISO030"),
    ro("8.4", "reassessed", "Impact assessments redone on their triggers and cycle", "ISO017", Kind::ImpactAssessment, None),
    // 9 Performance evaluation
    ro("9.1", "monitored", "What is measured, how and how often", "DOC005", Kind::Objective, None),
    f("9.1", "results", "Measurement results kept as records",
        field(Kind::Objective, &["results"], "`results = [\"REC-...\"]`: the records holding the measurements")),
    r("9.2.1", "held", "Internal audits held at planned intervals", "ISO020"),
    r("9.2.1", "impartial", "Auditors do not audit their own work", "ISO021"),
    f("9.2.2", "programme", "The audit programme's frequency, methods and responsibilities",
        field(Kind::InternalAudit, &["interval", "methods", "responsibilities"], "`interval`, `methods` (interviews, sampling of records, re-performance...) and `responsibilities` (who plans, conducts and reports)").when(PROGRAMME)),
    f("9.2.2", "scope-criteria", "Each audit's scope and criteria",
        field(Kind::InternalAudit, &["scope", "criteria"], "`scope` (what was audited) and `criteria` (against what: clauses, controls, procedures)").when(REPORT)),
    f("9.2.2", "reported", "Each audit's results reported to management",
        field(Kind::InternalAudit, &["reported-to"], "`reported-to = \"top-management\"`: who received the results").when(REPORT)),
    r("9.3.1", "held", "Management reviews held at planned intervals", "ISO022"),
    f("9.3.2", "previous-actions", "Where the actions of earlier reviews stand",
        field(Kind::ManagementReview, &["input[topic=previous-actions]"], "`[[input]]` with `topic = \"previous-actions\"` and a `summary`").when(HELD)),
    f("9.3.2", "changes", "Changes in external and internal issues",
        field(Kind::ManagementReview, &["input[topic=changes]"], "`[[input]]` with `topic = \"changes\"` and a `summary`").when(HELD)),
    f("9.3.2", "interested-parties", "Changes in what interested parties need and expect",
        field(Kind::ManagementReview, &["input[topic=interested-parties]"], "`[[input]]` with `topic = \"interested-parties\"` and a `summary`").when(HELD)),
    f("9.3.2", "nonconformities", "Nonconformities and corrective actions, and their trend",
        field(Kind::ManagementReview, &["input[topic=nonconformities]"], "`[[input]]` with `topic = \"nonconformities\"` and a `summary`").when(HELD)),
    f("9.3.2", "monitoring", "Monitoring and measurement results",
        field(Kind::ManagementReview, &["input[topic=monitoring]"], "`[[input]]` with `topic = \"monitoring\"` and a `summary`").when(HELD)),
    f("9.3.2", "audit-results", "Audit results",
        field(Kind::ManagementReview, &["input[topic=audit-results]"], "`[[input]]` with `topic = \"audit-results\"` and a `summary`").when(HELD)),
    f("9.3.2", "objectives", "How far the AI objectives are met",
        field(Kind::ManagementReview, &["input[topic=objectives]"], "`[[input]]` with `topic = \"objectives\"` and a `summary`").when(HELD)),
    f("9.3.2", "opportunities", "Opportunities to improve",
        field(Kind::ManagementReview, &["input[topic=opportunities]"], "`[[input]]` with `topic = \"opportunities\"` and a `summary`").when(HELD)),
    f("9.3.2", "input-summaries", "What each input said",
        field(Kind::ManagementReview, &["input[].summary"], "`summary` in each `[[input]]`: what was reported, with figures").when(HELD)),
    r("9.3.2", "follow-up", "Each action of the previous review followed up, with its status", "ISO031"),
    r("9.3.3", "outputs", "Decisions and actions, each action with an owner and a due date", "ISO023"),
    // 10 Improvement
    j("10.1", "improvement", "The AIMS gets better over time",
        "improvement shows across reviews and years; an auditor compares them"),
    ro("10.2", "reaction", "The reaction: what was done to contain it", "DOC005", Kind::Nonconformity, Some("`correction`")),
    f("10.2", "root-cause", "The root cause, not the problem restated",
        field(Kind::Nonconformity, &["root-cause"], "`root-cause`: why it happened, beneath the symptom").differs("root-cause", "§Description")),
    f("10.2", "root-cause-method", "How the root cause was found",
        field(Kind::Nonconformity, &["root-cause-method"], "`root-cause-method = \"5 whys with the model owner\"` (or fishbone, timeline...)")),
    ro("10.2", "action", "A corrective action that removes the cause", "DOC005", Kind::Nonconformity, Some("`corrective-action`")),
    r("10.2", "effectiveness", "The action's effectiveness checked: when, how, with what result", "ISO025"),
    f("10.2", "aims-changes", "Changes to the AIMS the nonconformity calls for, or why none",
        field(Kind::Nonconformity, &["aims-changes"], "`aims-changes = \"...\"`: procedures, risks or controls changed, or why none was needed").when(&["status=closed"])),
    r("10.2", "corrected-on-time", "Corrective actions done by their due date", "ISO024"),
    f("10.2", "source", "Where the nonconformity came from (audit, review, incident, complaint)",
        field(Kind::Nonconformity, &["source"], "`source = \"IAU-002\"`: the audit, review or record that raised it")),
    f("9.2.2", "findings-followed", "Each major or minor audit finding opens a nonconformity",
        field(Kind::InternalAudit, &["finding[classification=major|minor].nonconformity"], "`nonconformity = \"NCR-...\"` in each major or minor `[[finding]]`").when(REPORT)),
    // A.2 Policies
    r("A.2.2", "policy", "An AI policy with the commitments the AIMS needs", "ISO004"),
    j("A.2.3", "alignment", "The AI policy fits the organisation's other policies",
        "fit between policies needs reading them side by side"),
    ro("A.2.4", "reviewed", "The AI policy reviewed on time", "CTL006", Kind::Policy, None),
    // A.3 Internal organisation
    r("A.3.2", "roles", "AI roles defined and held", "ISO006"),
    r("A.3.3", "concerns", "A way to raise concerns, applied and recorded", "ISO014"),
    // A.4 Resources
    r("A.4.2", "resources", "The resources of each AI system recorded", "ISO014"),
    ro("A.4.3", "data", "The data each AI system uses, described", "DOC011", Kind::AiSystem, Some("\"Data\"")),
    r("A.4.4", "tools", "Tools recorded", "ISO014"),
    r("A.4.5", "compute", "Computing and system resources recorded", "ISO014"),
    r("A.4.6", "people", "People's competence recorded", "ISO019"),
    // A.5 Impact assessment
    r("A.5.2", "process", "An impact assessment for each AI system in scope", "ISO015"),
    ro("A.5.3", "records", "Impact assessments documented and kept", "ISO016", Kind::ImpactAssessment, None),
    f("A.5.4", "individuals", "Harms to individuals identified and mitigated",
        field(Kind::ImpactAssessment, &["harm[affected=individuals]"], "a `[[harm]]` with `affected = \"individuals\"`").when(&["covers~individuals"])),
    f("A.5.4", "groups", "Harms to groups identified and mitigated",
        field(Kind::ImpactAssessment, &["harm[affected=groups]"], "a `[[harm]]` with `affected = \"groups\"`").when(&["covers~groups"])),
    f("A.5.5", "society", "Harms to society identified and mitigated",
        field(Kind::ImpactAssessment, &["harm[affected=society]"], "a `[[harm]]` with `affected = \"society\"`").when(&["covers~society"])),
    // A.6 Life cycle
    j("A.6.1.2", "objectives", "Objectives for developing AI responsibly",
        "whether development objectives are responsible is a judgement on their content"),
    r("A.6.1.3", "processes", "Design and development processes", "ISO014"),
    r("A.6.2.2", "requirements", "Requirements of AI systems specified (PRDs carry their AIMS metadata)", "ISO026"),
    r("A.6.2.3", "design", "Design and development recorded", "ISO014"),
    f("A.6.2.4", "validation", "Each deployed AI system verified and validated before release",
        field(Kind::AiSystem, &["validation"], "`validation = \"REC-...\"`: the record of verification and validation against acceptance criteria").when(&["lifecycle=deployed"])),
    r("A.6.2.5", "deployment", "Deployment planned and approved", "ISO014"),
    ro("A.6.2.6", "monitoring", "Each AI system monitored in operation", "DOC011", Kind::AiSystem, Some("Monitoring")),
    r("A.6.2.7", "documentation", "Technical documentation for those who need it", "ISO014"),
    r("A.6.2.8", "logs", "Event logs kept", "ISO014"),
    // A.7 Data
    r("A.7.2", "development-data", "Data for development managed", "ISO014"),
    r("A.7.3", "acquisition", "How data is acquired, recorded", "ISO014"),
    r("A.7.4", "quality", "Data quality requirements met", "ISO014"),
    r("A.7.5", "provenance", "Where data comes from, recorded", "ISO014"),
    r("A.7.6", "preparation", "How data is prepared, recorded", "ISO014"),
    // A.8 Information for interested parties
    r("A.8.2", "user-information", "Information for users", "ISO014"),
    r("A.8.3", "external-reporting", "A way for others to report adverse impacts", "ISO014"),
    r("A.8.4", "incident-communication", "A plan to tell people about incidents", "ISO014"),
    r("A.8.5", "information", "Information owed to interested parties", "ISO014"),
    // A.9 Use
    f("A.9.2", "human-oversight", "Who oversees each AI system, how they intervene, and when they must",
        field(Kind::AiSystem, &["human-oversight.role", "human-oversight.intervention", "human-oversight.trigger"], "a `[human-oversight]` table: `role` (who), `intervention` (how they stop or override it), `trigger` (when they must)").when(ACTIVE)),
    j("A.9.3", "objectives", "Objectives for responsible use",
        "whether use objectives are responsible is a judgement on their content"),
    ro("A.9.4", "intended-use", "Each AI system's intended use stated", "DOC011", Kind::AiSystem, Some("Intended use")),
    // A.10 Third parties
    f("A.10.2", "provider", "Who builds each AI system: in-house, a third party, or both",
        field(Kind::AiSystem, &["provider"], "`provider = \"in-house\"` (or `\"third-party\"`, `\"hybrid\"`)").when(ACTIVE)),
    f("A.10.2", "components", "The parts third parties supply",
        field(Kind::AiSystem, &["component[]"], "one `[[component]]` per supplied part: `name`, `supplier`, `responsibilities`, `assessment`").when(OUTSOURCED)),
    f("A.10.2", "responsibilities", "For each supplied part, who is responsible for what",
        field(Kind::AiSystem, &["component[].supplier", "component[].responsibilities"], "`supplier` and `responsibilities` in each `[[component]]`").when(ACTIVE)),
    f("A.10.3", "supplier-assessment", "Each supplier of a component assessed",
        field(Kind::AiSystem, &["component[].assessment"], "`assessment = \"REC-...\"` in each `[[component]]`: the record of the supplier's assessment").when(ACTIVE)),
    r("A.10.4", "customers", "What customers are owed, and how it is met", "ISO014"),
];

/// The elements of one clause or control.
pub fn of(reference: &str) -> impl Iterator<Item = &'static Element> + '_ {
    ELEMENTS.iter().filter(move |e| e.reference == reference)
}

/// The elements checked against documents of `kind`.
pub fn for_kind(kind: Kind) -> impl Iterator<Item = (&'static Element, &'static FieldCheck)> {
    ELEMENTS.iter().filter_map(move |e| match &e.check {
        Check::Field(c) if c.kind == kind => Some((e, c)),
        _ => None,
    })
}

/// The model as a Markdown table per clause group, for the README.
pub fn markdown_reference() -> String {
    let mut out = String::new();
    out.push_str("| element | what must be shown | how it is judged |\n|---|---|---|\n");
    for e in ELEMENTS {
        let how = match &e.check {
            Check::Field(c) => {
                let needs: Vec<String> = c.needs.iter().map(|n| format!("`{n}`")).collect();
                let when = if c.when.is_empty() {
                    String::new()
                } else {
                    let w: Vec<String> = c.when.iter().map(|w| describe_condition(w)).collect();
                    format!(" when {}", w.join(" and "))
                };
                let restates = c
                    .differs
                    .map(|(a, b)| format!("; `{a}` must not restate `{b}`"))
                    .unwrap_or_default();
                format!(
                    "ISO029: {} in `{}`{when}{restates}",
                    needs.join(", "),
                    c.kind
                )
            }
            Check::Rule(rc) => match rc.on {
                Some(kind) => format!("{} on `{kind}`", rc.code),
                None => rc.code.to_owned(),
            },
            Check::Judged(why) => format!("the auditor: {why}"),
        };
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            e.id(),
            e.title,
            how.replace('|', "\\|")
        ));
    }
    out
}

// ---------------------------------------------------------------------------
// Judging one document

/// What a document is judged against: the day, who holds each role, and
/// which AI systems the scope leaves out (their documents are outside the
/// AIMS, so no element applies to them).
pub struct Context<'a> {
    pub today: Date,
    pub roles: &'a std::collections::BTreeMap<String, Vec<String>>,
    pub excluded: BTreeSet<String>,
}

impl<'a> Context<'a> {
    pub fn new(ws: &'a crate::workspace::Workspace, today: Date) -> Context<'a> {
        // Left out, and not also listed in scope (a contradiction ISO002
        // reports; the system stays under the model meanwhile).
        let scope = ws.documents().find(|d| d.kind() == Some(Kind::Scope));
        let in_scope: BTreeSet<String> = scope
            .and_then(|s| s.frontmatter.get("in-scope"))
            .map(|n| {
                n.strings()
                    .iter()
                    .map(|(s, _)| s.trim().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        let excluded = scope
            .into_iter()
            .flat_map(|scope| rows(&scope.frontmatter, "exclusion"))
            .filter_map(|t| t.str("ai-system").map(|s| s.trim().to_owned()))
            .filter(|s| !in_scope.contains(s))
            .collect();
        Context {
            today,
            roles: &ws.config.roles,
            excluded,
        }
    }
}

/// Why a document does not show an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// What is missing, in a few words (`no \`plan\``).
    pub what: String,
    /// The top-level key to point at (the table or list concerned), if any.
    pub key: Option<String>,
    /// Whether the missing piece is a field the kind's schema requires, so
    /// the document rules already report it.
    pub schema_required: bool,
}

/// A `when` condition in words: "`status` is \"closed\"".
pub fn describe_condition(c: &str) -> String {
    if let Some(key) = c.strip_suffix("<=today") {
        return format!("`{key}` is not after today");
    }
    if let Some((k, v)) = c.split_once("!=") {
        return format!("`{k}` is not \"{v}\"");
    }
    if let Some((k, v)) = c.split_once('~') {
        return format!("`{k}` includes \"{v}\"");
    }
    match c.split_once('=') {
        Some((k, v)) => format!("`{k}` is \"{v}\""),
        None => c.to_owned(),
    }
}

/// Whether the `when` conditions select `d`, which is not about an AI
/// system the scope leaves out.
pub fn applies(check: &FieldCheck, d: &Document, cx: &Context) -> bool {
    let system = match d.kind() {
        Some(Kind::AiSystem) => d.id(),
        _ => d.frontmatter.str("ai-system").map(str::trim),
    };
    if system.is_some_and(|s| cx.excluded.contains(s)) {
        return false;
    }
    check.when.iter().all(|c| condition(&d.frontmatter, c, cx))
}

fn condition(t: &Table, c: &str, cx: &Context) -> bool {
    if let Some(key) = c.strip_suffix("<=today") {
        return date_of(t.get(key)).is_some_and(|d| d <= cx.today);
    }
    if let Some((key, value)) = c.split_once("!=") {
        return t.str(key).is_some_and(|v| v.trim() != value);
    }
    if let Some((key, value)) = c.split_once('~') {
        return t
            .get(key)
            .is_some_and(|n| n.strings().iter().any(|(s, _)| s.trim() == value));
    }
    if let Some((key, value)) = c.split_once('=') {
        return t.str(key).is_some_and(|v| v.trim() == value);
    }
    false
}

fn date_of(node: Option<&Node>) -> Option<Date> {
    match &node?.value {
        crate::docs::Value::Datetime(dt) => crate::config::toml_date(dt),
        crate::docs::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Text that says nothing: blank, a dash, a placeholder ("TBD", "n.a.",
/// "to be determined", "pending", "xxx", "<role>", "[role]", "TODO: ..."),
/// or only a pointer elsewhere ("see above", "see slides").
pub fn blank(s: &str) -> bool {
    let t = s.trim().to_lowercase();
    let bare: String = t
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace() || *c == '/')
        .collect();
    let bare = bare.split_whitespace().collect::<Vec<_>>().join(" ");
    if bare.is_empty() || bare.chars().all(|c| c == 'x' || c == ' ') || bare == "0" {
        return true;
    }
    if (t.starts_with('<') && t.ends_with('>')) || (t.starts_with('[') && t.ends_with(']')) {
        return true;
    }
    const PLACEHOLDERS: &[&str] = &[
        "tbd",
        "tbc",
        "tba",
        "todo",
        "to do",
        "na",
        "n/a",
        "n a",
        "none",
        "nil",
        "unknown",
        "pending",
        "to be determined",
        "to be defined",
        "to be confirmed",
        "to be decided",
        "to be agreed",
        "to follow",
        "later",
        "ongoing",
        "various",
        "see above",
        "see below",
        "as above",
        "as below",
        "idem",
        "same",
        "etc",
    ];
    if PLACEHOLDERS.contains(&bare.as_str()) {
        return true;
    }
    if t.starts_with("replace:")
        || ["todo", "tbd", "n/a", "to be "]
            .iter()
            .any(|p| t.starts_with(p))
    {
        return true;
    }
    // Only a pointer: "see slides", "see the plan", "refer to annex".
    let words = bare.split(' ').count();
    (bare.starts_with("see ") || bare.starts_with("refer to ") || bare.starts_with("cf "))
        && words <= 4
}

/// Whether a field holds prose (a `Text` in the kind's schema, at the top
/// level or in the named table): then one word is not an answer
/// ("Mitigated" is not a mitigation). Names, ids, choices, people and
/// dates may be one word.
fn is_prose(kind: Kind, table: Option<&str>, key: &str) -> bool {
    use crate::docs::schema::Ty;
    let fields = kind.spec().fields;
    let fields = match table {
        None => fields,
        Some(t) => match fields.iter().find(|f| f.name == t).map(|f| f.ty) {
            Some(Ty::Table(inner) | Ty::Tables(inner)) => inner,
            _ => return false,
        },
    };
    fields
        .iter()
        .any(|f| f.name == key && matches!(f.ty, Ty::Text | Ty::Texts))
        && !matches!(key, "name" | "supplier")
}

/// Whether a value says something: a text that is not [`blank`] and, for
/// prose, of at least two words; a list with such an item; a table with
/// keys; a date, number or boolean by being there.
fn says_something(n: &Node, prose: bool) -> bool {
    if let Some(s) = n.as_str() {
        let words = s
            .split_whitespace()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .count();
        return !blank(s) && (words >= 2 || !prose);
    }
    if let Some(items) = n.as_array() {
        return items.iter().any(|i| says_something(i, prose));
    }
    if let Some(t) = n.as_table() {
        return !t.is_empty();
    }
    true
}

fn rows<'a>(t: &'a Table, key: &str) -> Vec<&'a Table> {
    t.get(key)
        .and_then(Node::as_array)
        .map(|items| items.iter().filter_map(Node::as_table).collect())
        .unwrap_or_default()
}

/// The text under a body heading, without guidance quotes.
pub fn section(d: &Document, name: &str) -> Option<String> {
    let hs = &d.headings;
    let i = hs
        .iter()
        .position(|h| crate::docs::normalise_heading(&h.text).eq_ignore_ascii_case(name))?;
    let start = hs[i].span.end;
    let end = hs[i + 1..]
        .iter()
        .find(|h| h.level <= hs[i].level)
        .map_or(d.source.len(), |h| h.span.start);
    let text: Vec<&str> = d
        .source
        .get(start..end)?
        .lines()
        .filter(|l| !l.trim_start().starts_with('>'))
        .collect();
    Some(text.join("\n"))
}

/// Whether the kind's schema requires `key` of this document (so the
/// document rules already report its absence).
fn schema_requires(kind: Kind, fm: &Table, key: &str) -> bool {
    use crate::docs::schema::Req;
    kind.spec().fields.iter().any(|f| {
        f.name == key
            && match f.req {
                Req::Required => true,
                Req::When(k, v) => fm.str(k).is_some_and(|x| x.trim() == v),
                Req::Optional => false,
            }
    })
}

/// The first locator of `check` that `d` does not satisfy, or None when
/// the document shows the element.
pub fn gap(check: &FieldCheck, d: &Document, cx: &Context) -> Option<Gap> {
    let fm = &d.frontmatter;
    // Every missing piece, in one gap: the finding names all of them.
    let gaps: Vec<Gap> = check
        .needs
        .iter()
        .filter_map(|need| need_gap(check.kind, d, fm, need, cx))
        .collect();
    if let Some(first) = gaps.first() {
        return Some(Gap {
            what: gaps
                .iter()
                .map(|g| g.what.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            key: first.key.clone(),
            schema_required: gaps.iter().all(|g| g.schema_required),
        });
    }
    let (a, b) = check.differs?;
    restated(d, a, b)
}

fn need_gap(kind: Kind, d: &Document, fm: &Table, need: &str, cx: &Context) -> Option<Gap> {
    let gap = |what: String, key: &str| {
        Some(Gap {
            what,
            key: Some(key.to_owned()),
            schema_required: false,
        })
    };
    if let Some(name) = need.strip_prefix('§') {
        // Sub-headings alone are no content.
        let text = section(d, name).map(|t| {
            t.lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .collect::<Vec<_>>()
                .join("\n")
        });
        return match text {
            Some(text) if !blank(&text) => None,
            Some(_) => gap(format!("nothing under the `{name}` heading"), "id"),
            None => gap(format!("no `## {name}` section"), "id"),
        };
    }
    if let Some((key, role)) = need.split_once("~@") {
        let members: BTreeSet<String> = cx
            .roles
            .get(role)
            .map(|m| m.iter().map(|e| e.to_ascii_lowercase()).collect())
            .unwrap_or_default();
        let named = fm.get(key).is_some_and(|n| {
            n.strings()
                .iter()
                .any(|(s, _)| s.trim() == role || members.contains(&s.trim().to_ascii_lowercase()))
        });
        return if named {
            None
        } else {
            gap(format!("no member of {role} in `{key}`"), key)
        };
    }
    if let Some((table, rest)) = need.split_once('[') {
        let rows = rows(fm, table);
        let (inner, after) = rest.split_once(']').unwrap_or((rest, ""));
        let key = after.trim_start_matches('.');
        // `rows[k=v1|v2]`: the rows whose `k` is one of the values.
        let filter = inner.split_once('=');
        let selected: Vec<(usize, &Table)> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                filter.is_none_or(|(k, vs)| {
                    r.str(k)
                        .is_some_and(|x| vs.split('|').any(|v| x.trim() == v))
                })
            })
            .map(|(i, r)| (i, *r))
            .collect();
        if key.is_empty() {
            return match filter {
                _ if !selected.is_empty() => None,
                None => gap(format!("no `[[{table}]]` entries"), table),
                Some((k, v)) => gap(format!("no `[[{table}]]` with `{k} = \"{v}\"`"), table),
            };
        }
        let missing: Vec<String> = selected
            .iter()
            .filter(|(_, r)| {
                !r.get(key)
                    .is_some_and(|n| says_something(n, is_prose(kind, Some(table), key)))
            })
            .map(|(i, _)| (i + 1).to_string())
            .collect();
        return match missing.len() {
            0 => None,
            1 => gap(
                format!("`{table}` entry {} has no `{key}`", missing[0]),
                table,
            ),
            _ => gap(
                format!("`{table}` entries {} have no `{key}`", missing.join(", ")),
                table,
            ),
        };
    }
    if let Some((table, key)) = need.split_once('.') {
        let value = fm.get(table);
        let held = value
            .and_then(Node::as_table)
            .and_then(|t| t.get(key))
            .is_some_and(|n| says_something(n, is_prose(kind, Some(table), key)));
        return if held {
            None
        } else if value.is_none() {
            gap(format!("no `[{table}]` table"), table)
        } else if value.and_then(Node::as_table).is_none() {
            gap(
                format!("`{table}` is not a table (write `[{table}]` with its keys)"),
                table,
            )
        } else {
            gap(format!("no `{key}` in `[{table}]`"), table)
        };
    }
    if fm
        .get(need)
        .is_some_and(|n| says_something(n, is_prose(kind, None, need)))
    {
        return None;
    }
    let what = match fm.get(need) {
        Some(_) => format!("`{need}` says nothing (blank, a placeholder or one word)"),
        None => format!("no `{need}`"),
    };
    Some(Gap {
        what,
        key: Some(need.to_owned()),
        schema_required: fm.get(need).is_none() && schema_requires(kind, fm, need),
    })
}

/// The words that carry meaning, for comparing two answers.
fn content_words(s: &str) -> BTreeSet<String> {
    const STOP: &[&str] = &[
        "the", "a", "an", "of", "to", "in", "on", "for", "and", "or", "was", "were", "is", "are",
        "be", "been", "by", "with", "it", "its", "this", "that", "as", "at", "from", "has", "had",
        "have", "did", "do", "does", "which", "who", "when", "because", "them", "they", "their",
        "would", "will", "can", "could", "should", "so",
    ];
    s.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.len() > 1 && !STOP.contains(&w.as_str()))
        .collect()
}

/// Verbs that aim at an outcome without saying how.
const WISHES: &[&str] = &[
    "ensure",
    "ensures",
    "ensuring",
    "avoid",
    "avoids",
    "prevent",
    "prevents",
    "mitigate",
    "mitigated",
    "mitigates",
    "minimise",
    "minimize",
    "reduce",
    "reduces",
    "address",
    "addressed",
    "manage",
    "managed",
    "limit",
    "stop",
    "handle",
    "handled",
];

/// Whether `a` only restates `b`: it adds no word of its own to `b`'s, or
/// it wishes `b` away ("ensure that…", "avoid…") with mostly `b`'s words.
/// "A human reviews all automated declines" adds a mechanism to "no human
/// reviews automated declines" and is not a restatement.
pub fn restates(a: &str, b: &str) -> bool {
    let (wa, wb) = (content_words(a), content_words(b));
    if wa.is_empty() {
        return true;
    }
    let own: Vec<&String> = wa
        .iter()
        .filter(|w| !wb.contains(*w) && !matches!(w.as_str(), "not" | "no" | "never"))
        .collect();
    let shared = wa.len() - own.len();
    let wish = wa.iter().any(|w| WISHES.contains(&w.as_str()));
    own.is_empty() || (wish && own.len() <= 2 && shared * 5 >= wa.len() * 3)
}

fn restated(d: &Document, a: &str, b: &str) -> Option<Gap> {
    let fm = &d.frontmatter;
    // Both in one row: `harm[].mitigation` against `harm[].harm`.
    if let (Some((ta, ka)), Some((tb, kb))) = (a.split_once("[]."), b.split_once("[].")) {
        if ta == tb {
            for (i, row) in rows(fm, ta).iter().enumerate() {
                if let (Some(x), Some(y)) = (row.str(ka), row.str(kb))
                    && restates(x, y)
                {
                    return Some(Gap {
                        what: format!(
                            "`{ta}` entry {}: its `{ka}` only restates its `{kb}`",
                            i + 1
                        ),
                        key: Some(ta.to_owned()),
                        schema_required: false,
                    });
                }
            }
        }
        return None;
    }
    let x = fm.str(a)?;
    let y = match b.strip_prefix('§') {
        Some(name) => section(d, name)?,
        None => fm.str(b)?.to_owned(),
    };
    let described = b
        .strip_prefix('§')
        .map_or(format!("`{b}`"), |n| format!("the {n}"));
    restates(x, &y).then(|| Gap {
        what: format!("`{a}` only restates {described}"),
        key: Some(a.to_owned()),
        schema_required: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;

    /// Every clause 4.1–10.2 without sub-clauses, and every Annex A control,
    /// has at least one element; a clause with sub-clauses is covered by
    /// them.
    #[test]
    fn the_model_covers_every_clause_and_control() {
        for c in catalog::CLAUSES.iter().filter(|c| c.id.contains('.')) {
            let leaf = !catalog::CLAUSES
                .iter()
                .any(|x| x.id.starts_with(&format!("{}.", c.id)));
            if leaf {
                assert!(of(c.id).next().is_some(), "clause {} has no element", c.id);
            }
        }
        for c in catalog::CONTROLS {
            assert!(of(c.id).next().is_some(), "control {} has no element", c.id);
        }
        assert!(
            ELEMENTS
                .iter()
                .all(|e| catalog::clause(e.reference).is_some()
                    || catalog::control(e.reference).is_some())
        );
    }

    /// Each element is checked by a registered rule, or judged by a person
    /// with a reason; names are unique per clause or control; field checks
    /// name fields of their kind's schema.
    #[test]
    fn every_element_is_checked_or_judged_with_a_reason() {
        let mut seen = BTreeSet::new();
        for e in ELEMENTS {
            assert!(seen.insert(e.id()), "duplicate {}", e.id());
            assert!(e.title.len() >= 10, "{}", e.id());
            match &e.check {
                Check::Rule(rc) => assert!(
                    crate::rules::find(rc.code).is_some(),
                    "{}: {} is not a rule",
                    e.id(),
                    rc.code
                ),
                Check::Judged(why) => assert!(why.len() > 30, "{}: say why", e.id()),
                Check::Field(c) => {
                    assert!(!c.needs.is_empty() && c.hint.len() > 10, "{}", e.id());
                    for need in c.needs {
                        if need.starts_with('§') {
                            continue;
                        }
                        let top = need.split(['[', '.', '~']).next().unwrap();
                        assert!(
                            c.kind.spec().fields.iter().any(|f| f.name == top),
                            "{}: `{top}` is not a field of {}",
                            e.id(),
                            c.kind
                        );
                    }
                }
            }
        }
        assert!(
            ELEMENTS
                .iter()
                .filter(|e| matches!(e.check, Check::Field(_)))
                .count()
                >= 20,
            "the model checks structure, not only existing rules"
        );
    }

    #[test]
    fn a_restatement_is_not_an_answer() {
        assert!(restates(
            "The fairness report was late.",
            "The Q3 fairness report was late."
        ));
        assert!(!restates(
            "Nobody owned the report after the analyst left; the hand-over checklist had no AIMS records.",
            "The Q3 fairness report was late."
        ));
    }
}
