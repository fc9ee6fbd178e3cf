//! The kinds of controlled document and what each must contain.
//!
//! One table, [`KINDS`], is the schema: the frontmatter fields of every kind
//! (with their types and whether they are required), the body sections
//! (Markdown headings) every document of that kind must have, and the id
//! prefix `aims new` uses. Frontmatter keys are kebab-case, like `aims.toml`.

use std::fmt;

/// What a field holds. References are checked against the other documents
/// (or, for roles, against `[roles]` in `aims.toml`) by the reference rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// A non-empty string.
    Text,
    /// A list of non-empty strings.
    Texts,
    /// An email address.
    Email,
    /// An email address or the name of a role in `aims.toml`.
    Person,
    /// A list of [`Ty::Person`].
    Persons,
    /// A role defined in `aims.toml`.
    Role,
    /// A calendar date, `2026-05-31` (TOML local date or a quoted string).
    Date,
    /// A period such as `"12 months"`, `"90 days"`, `"2 weeks"`, `"1 year"`.
    Interval,
    /// `true` or `false`.
    Bool,
    /// A number (integer or decimal).
    Number,
    /// One of the listed strings.
    Enum(&'static [&'static str]),
    /// A list of distinct values, each one of the listed strings.
    EnumList(&'static [&'static str]),
    /// The id of a document of one of these kinds (any kind when empty).
    Ref(&'static [Kind]),
    /// A list of [`Ty::Ref`].
    Refs(&'static [Kind]),
    /// An ISO 42001 clause id from the catalogue, `"6.1.2"`.
    Clauses,
    /// An Annex A control id from the catalogue, `"A.5.2"`.
    Control,
    /// A list of [`Ty::Control`].
    Controls,
    /// A sub-table with these fields.
    Table(&'static [Field]),
    /// An array of tables (`[[name]]`), each with these fields.
    Tables(&'static [Field]),
}

/// When a field must be present.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Req {
    Required,
    Optional,
    /// Required when the sibling field has this value (`"true"`/`"false"`
    /// for booleans), e.g. an SoA entry's `justification` when
    /// `applicable = false`.
    When(&'static str, &'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    pub req: Req,
    /// One line of guidance, shown in diagnostics and the README.
    pub doc: &'static str,
}

const fn req(name: &'static str, ty: Ty, doc: &'static str) -> Field {
    Field {
        name,
        ty,
        req: Req::Required,
        doc,
    }
}
const fn opt(name: &'static str, ty: Ty, doc: &'static str) -> Field {
    Field {
        name,
        ty,
        req: Req::Optional,
        doc,
    }
}
const fn when(
    name: &'static str,
    ty: Ty,
    on: (&'static str, &'static str),
    doc: &'static str,
) -> Field {
    Field {
        name,
        ty,
        req: Req::When(on.0, on.1),
        doc,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Policy,
    Procedure,
    Scope,
    AiSystem,
    Risk,
    RiskAssessment,
    ImpactAssessment,
    Soa,
    Objective,
    Competence,
    ManagementReview,
    InternalAudit,
    Nonconformity,
    Prd,
    Record,
}

impl Kind {
    pub fn spec(self) -> &'static KindSpec {
        KINDS
            .iter()
            .find(|k| k.kind == self)
            .expect("every Kind has an entry in KINDS (checked by a unit test)")
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn parse(name: &str) -> Option<Kind> {
        KINDS.iter().find(|k| k.name == name).map(|k| k.kind)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

pub struct KindSpec {
    pub kind: Kind,
    /// The value of `kind = "…"` in the frontmatter.
    pub name: &'static str,
    /// Prefix of ids `aims new` hands out (`POL` → `POL-004`).
    pub prefix: &'static str,
    /// Folder below the documents root that `aims new` writes to.
    pub folder: &'static str,
    pub description: &'static str,
    /// The clause this kind of document mainly evidences.
    pub clause: &'static str,
    /// Fields beyond the common ones ([`COMMON`]).
    pub fields: &'static [Field],
    /// Headings the body must contain (matched case-insensitively, any level).
    pub sections: &'static [&'static str],
    /// Built-in approver role and review interval; `[kinds.NAME]` in
    /// `aims.toml` overrides them.
    pub default_approvers: &'static [&'static str],
    pub default_review_interval: &'static str,
}

/// Fields every document has.
pub const COMMON: &[Field] = &[
    req(
        "id",
        Ty::Text,
        "the document's identity, stable across renames, e.g. \"POL-001\"",
    ),
    req("kind", Ty::Text, "which schema applies, e.g. \"policy\""),
    req("title", Ty::Text, "a human title"),
    req(
        "owner",
        Ty::Person,
        "accountable person (email) or role from aims.toml",
    ),
    opt(
        "clauses",
        Ty::Clauses,
        "ISO 42001 clauses this document evidences",
    ),
    opt(
        "controls",
        Ty::Controls,
        "Annex A controls this document implements",
    ),
    opt("related", Ty::Refs(&[]), "ids of related documents"),
];

pub const RISK_DIMENSIONS: &[&str] = &[
    "technical-performance",
    "data-quality",
    "ethical-fairness",
    "societal",
    "third-party",
    "explainability",
];

pub const RISK_TIERS: &[&str] = &["minimal", "limited", "high", "prohibited"];

pub const CLASSIFICATIONS: &[&str] = &["major", "minor", "observation", "improvement"];

const SOA_ENTRY: &[Field] = &[
    req("id", Ty::Control, "the Annex A control, e.g. \"A.5.2\""),
    req("applicable", Ty::Bool, "whether the control is applied"),
    when(
        "justification",
        Ty::Text,
        ("applicable", "false"),
        "why an excluded control is excluded",
    ),
    when(
        "procedure",
        Ty::Ref(&[Kind::Procedure, Kind::Policy]),
        ("applicable", "true"),
        "the procedure (or policy) that implements the control",
    ),
    when(
        "evidence",
        Ty::Refs(&[Kind::Record]),
        ("applicable", "true"),
        "records that show the control operating",
    ),
    when(
        "owner",
        Ty::Role,
        ("applicable", "true"),
        "the role responsible for the control",
    ),
    opt(
        "risks",
        Ty::Refs(&[Kind::Risk]),
        "risks this control treats",
    ),
    opt("note", Ty::Text, "implementation remarks"),
];

const SCOPE_EXCLUSION: &[Field] = &[
    req(
        "ai-system",
        Ty::Ref(&[Kind::AiSystem]),
        "the inventoried AI system left out of scope",
    ),
    req("justification", Ty::Text, "why it is outside the AIMS"),
];

const COMPETENCE_ROLE: &[Field] = &[
    req("role", Ty::Role, "the AIMS role"),
    req(
        "competencies",
        Ty::Texts,
        "what a holder of the role must know and be able to do",
    ),
    req(
        "evaluation",
        Ty::Text,
        "how competence is evaluated (test, certification, observed practice)",
    ),
    req(
        "evidence",
        Ty::Refs(&[Kind::Record]),
        "records that show the competence",
    ),
    req("reassess-by", Ty::Date, "when competence is next evaluated"),
    opt(
        "evidence-type",
        Ty::Enum(EVIDENCE_TYPES),
        "what kind of evidence shows the competence (assessed-result, supervised-practice, qualification and peer-review are strong; attendance, completion and self-declaration are not)",
    ),
    opt("people", Ty::Persons, "who holds the role"),
];

/// Kinds of competence evidence, strong ones first.
pub const EVIDENCE_TYPES: &[&str] = &[
    "assessed-result",
    "supervised-practice",
    "qualification",
    "peer-review",
    "attendance",
    "completion",
    "self-declaration",
];

/// The evidence types that do not show competence.
pub const WEAK_EVIDENCE_TYPES: &[&str] = &["attendance", "completion", "self-declaration"];

const REVIEW_ACTION: &[Field] = &[
    req("action", Ty::Text, "what was decided to be done"),
    req("owner", Ty::Person, "who does it"),
    req("due", Ty::Date, "by when"),
];

const AUDIT_FINDING: &[Field] = &[
    req(
        "classification",
        Ty::Enum(CLASSIFICATIONS),
        "major, minor, observation or improvement",
    ),
    req("description", Ty::Text, "what was found, with the evidence"),
    opt("clause", Ty::Clauses, "the clause concerned"),
    opt("control", Ty::Control, "the Annex A control concerned"),
    opt(
        "nonconformity",
        Ty::Ref(&[Kind::Nonconformity]),
        "the corrective-action record opened for it",
    ),
];

const PRD_AIMS: &[Field] = &[
    req(
        "ai-system",
        Ty::Ref(&[Kind::AiSystem]),
        "the inventoried AI system the product touches",
    ),
    req(
        "risk-tier",
        Ty::Enum(RISK_TIERS),
        "minimal, limited, high or prohibited",
    ),
    req(
        "impact",
        Ty::Text,
        "who is affected and how, in one or two sentences",
    ),
    req(
        "risks",
        Ty::Refs(&[Kind::Risk]),
        "risks from the register this change touches",
    ),
    req("human-oversight", Ty::Text, "who can intervene, and how"),
    req(
        "monitoring",
        Ty::Text,
        "what is measured in production, and the alert thresholds",
    ),
    opt(
        "impact-assessment",
        Ty::Ref(&[Kind::ImpactAssessment]),
        "the impact assessment covering this change",
    ),
];

/// The roles an organisation can play towards AI, for a scope's `ai-roles`.
pub const AI_ROLES: &[&str] = &[
    "developer",
    "provider",
    "producer",
    "deployer",
    "operator",
    "user",
    "customer",
    "partner",
    "data-provider",
    "subject",
];

const RISK_ACTION: &[Field] = &[
    req("action", Ty::Text, "one step of the treatment"),
    opt("owner", Ty::Person, "who carries it out"),
    opt("due", Ty::Date, "by when"),
    opt(
        "status",
        Ty::Enum(&["planned", "in-progress", "done", "dropped"]),
        "planned, in-progress, done or dropped",
    ),
];

const HARM: &[Field] = &[
    req("harm", Ty::Text, "what could go wrong for whom"),
    opt(
        "affected",
        Ty::Enum(&["individuals", "groups", "society"]),
        "individuals, groups or society",
    ),
    opt(
        "mitigation",
        Ty::Text,
        "what is done so the harm does not happen, or matters less",
    ),
    opt(
        "residual",
        Ty::Text,
        "what remains after mitigation, and whether it is acceptable",
    ),
    opt(
        "risks",
        Ty::Refs(&[Kind::Risk]),
        "register entries for this harm",
    ),
];

const HUMAN_OVERSIGHT: &[Field] = &[
    opt("role", Ty::Text, "who oversees the system"),
    opt(
        "intervention",
        Ty::Text,
        "how they stop, correct or override it",
    ),
    opt("trigger", Ty::Text, "when they must intervene"),
];

const COMPONENT: &[Field] = &[
    req(
        "name",
        Ty::Text,
        "the supplied part (model, data, platform, service)",
    ),
    opt("supplier", Ty::Text, "who supplies it"),
    opt(
        "responsibilities",
        Ty::Text,
        "what the supplier answers for, and what the organisation does",
    ),
    opt(
        "assessment",
        Ty::Ref(&[Kind::Record]),
        "the record of the supplier's assessment",
    ),
];

/// The topics of a management review's `[[input]]`.
pub const REVIEW_INPUT_TOPICS: &[&str] = &[
    "previous-actions",
    "changes",
    "interested-parties",
    "nonconformities",
    "monitoring",
    "audit-results",
    "objectives",
    "opportunities",
];

const REVIEW_INPUT: &[Field] = &[
    req(
        "topic",
        Ty::Enum(REVIEW_INPUT_TOPICS),
        "which input of clause 9.3.2",
    ),
    opt("summary", Ty::Text, "what was reported, with figures"),
    opt(
        "records",
        Ty::Refs(&[]),
        "the records or documents the input rests on",
    ),
];

const REVIEW_FOLLOW_UP: &[Field] = &[
    req(
        "action",
        Ty::Text,
        "an action of an earlier review, as \"MRV-001#2\" (its second [[action]])",
    ),
    req(
        "status",
        Ty::Enum(&["done", "in-progress", "not-started", "dropped"]),
        "done, in-progress, not-started or dropped",
    ),
    opt("note", Ty::Text, "what happened, or why it was dropped"),
];

const EFFECTIVENESS: &[Field] = &[
    opt("checked-on", Ty::Date, "when effectiveness was checked"),
    opt("method", Ty::Text, "how it was checked"),
    opt(
        "result",
        Ty::Enum(&["effective", "not-effective"]),
        "effective or not-effective",
    ),
];

pub static KINDS: &[KindSpec] = &[
    KindSpec {
        kind: Kind::Policy,
        name: "policy",
        prefix: "POL",
        folder: "policy",
        description: "A policy: the AI policy (5.2) or a topic policy under it.",
        clause: "5.2",
        fields: &[
            req(
                "scope",
                Ty::Ref(&[Kind::Scope]),
                "the AIMS scope document the policy applies to",
            ),
            opt(
                "communicated-via",
                Ty::Texts,
                "channels the policy is communicated through",
            ),
        ],
        sections: &["Purpose", "Commitments"],
        default_approvers: &["top-management"],
        default_review_interval: "12 months",
    },
    KindSpec {
        kind: Kind::Procedure,
        name: "procedure",
        prefix: "PRO",
        folder: "procedures",
        description: "A documented procedure that implements one or more Annex A controls.",
        clause: "8.1",
        fields: &[],
        sections: &["Purpose", "Steps", "Records"],
        default_approvers: &["ai-governance-lead"],
        default_review_interval: "12 months",
    },
    KindSpec {
        kind: Kind::Scope,
        name: "scope",
        prefix: "SCO",
        folder: "scope",
        description: "The AIMS scope (4.3): boundaries, AI systems in scope, exclusions.",
        clause: "4.3",
        fields: &[
            req(
                "in-scope",
                Ty::Refs(&[Kind::AiSystem]),
                "inventoried AI systems inside the AIMS",
            ),
            opt(
                "exclusion",
                Ty::Tables(SCOPE_EXCLUSION),
                "AI systems outside the AIMS, each with a justification",
            ),
            opt(
                "ai-roles",
                Ty::EnumList(AI_ROLES),
                "the parts the organisation plays for its AI systems (developer, provider, deployer, user...)",
            ),
        ],
        sections: &["Boundaries", "Interested parties"],
        default_approvers: &["top-management"],
        default_review_interval: "12 months",
    },
    KindSpec {
        kind: Kind::AiSystem,
        name: "ai-system",
        prefix: "SYS",
        folder: "ai-systems",
        description: "An AI-system inventory entry.",
        clause: "4.3",
        fields: &[
            req("purpose", Ty::Text, "what the system does, for whom"),
            req(
                "risk-tier",
                Ty::Enum(RISK_TIERS),
                "minimal, limited, high or prohibited",
            ),
            req(
                "lifecycle",
                Ty::Enum(&[
                    "concept",
                    "development",
                    "validation",
                    "deployed",
                    "retired",
                ]),
                "where the system is in its life cycle",
            ),
            opt(
                "provider",
                Ty::Enum(&["in-house", "third-party", "hybrid"]),
                "who builds the model",
            ),
            opt(
                "aliases",
                Ty::Texts,
                "other names the system goes by (product names), so documents that name it are found",
            ),
            opt(
                "human-oversight",
                Ty::Table(HUMAN_OVERSIGHT),
                "who oversees the system, how they intervene, and when (A.9)",
            ),
            opt(
                "component",
                Ty::Tables(COMPONENT),
                "[[component]] entries: the parts third parties supply (A.10)",
            ),
            opt(
                "validation",
                Ty::Ref(&[Kind::Record]),
                "the record of verification and validation before release (A.6.2.4)",
            ),
        ],
        sections: &["Intended use", "Data", "Human oversight", "Monitoring"],
        default_approvers: &["ai-governance-lead"],
        default_review_interval: "6 months",
    },
    KindSpec {
        kind: Kind::RiskAssessment,
        name: "risk-assessment",
        prefix: "RAM",
        folder: "risk",
        description: "The AI risk assessment method (6.1.2): criteria and scales.",
        clause: "6.1.2",
        fields: &[
            req(
                "likelihood-scale",
                Ty::Texts,
                "likelihood levels, lowest first",
            ),
            req("severity-scale", Ty::Texts, "severity levels, lowest first"),
            req(
                "acceptance-criteria",
                Ty::Text,
                "which risks may be accepted without treatment, and by whom",
            ),
        ],
        sections: &["Method", "Criteria"],
        default_approvers: &["top-management"],
        default_review_interval: "12 months",
    },
    KindSpec {
        kind: Kind::Risk,
        name: "risk",
        prefix: "RSK",
        folder: "risk/register",
        description: "One entry of the AI risk register (6.1.2, 6.1.3).",
        clause: "6.1.2",
        fields: &[
            req(
                "ai-system",
                Ty::Ref(&[Kind::AiSystem]),
                "the AI system the risk concerns",
            ),
            req(
                "dimension",
                Ty::Enum(RISK_DIMENSIONS),
                "one of the six AI risk dimensions",
            ),
            req(
                "likelihood",
                Ty::Text,
                "a level of the method's likelihood scale",
            ),
            req(
                "severity",
                Ty::Text,
                "a level of the method's severity scale",
            ),
            req(
                "treatment",
                Ty::Enum(&["mitigate", "avoid", "transfer", "accept"]),
                "the treatment option chosen",
            ),
            opt(
                "residual-likelihood",
                Ty::Text,
                "likelihood after treatment",
            ),
            opt("residual-severity", Ty::Text, "severity after treatment"),
            opt(
                "assessment",
                Ty::Ref(&[Kind::RiskAssessment]),
                "the method used, when there is more than one",
            ),
            opt(
                "action",
                Ty::Tables(RISK_ACTION),
                "[[action]] entries: the treatment plan's steps, each with owner, due and status",
            ),
        ],
        sections: &["Description", "Treatment"],
        default_approvers: &["ai-governance-lead"],
        default_review_interval: "6 months",
    },
    KindSpec {
        kind: Kind::ImpactAssessment,
        name: "impact-assessment",
        prefix: "AIA",
        folder: "impact",
        description: "An AI system impact assessment (6.1.4, A.5).",
        clause: "6.1.4",
        fields: &[
            req(
                "ai-system",
                Ty::Ref(&[Kind::AiSystem]),
                "the AI system assessed",
            ),
            req(
                "covers",
                Ty::EnumList(&["individuals", "groups", "society"]),
                "who the assessment considers",
            ),
            req(
                "triggers",
                Ty::Texts,
                "events that require the assessment to be redone",
            ),
            req(
                "review-cycle",
                Ty::Interval,
                "how often it is redone without a trigger",
            ),
            req(
                "escalation",
                Ty::Text,
                "who is told, and how, when an impact exceeds tolerance",
            ),
            opt(
                "harm",
                Ty::Tables(HARM),
                "[[harm]] entries: affected, harm, mitigation, residual",
            ),
        ],
        sections: &["Individuals", "Groups", "Society"],
        default_approvers: &["ai-governance-lead"],
        default_review_interval: "12 months",
    },
    KindSpec {
        kind: Kind::Soa,
        name: "soa",
        prefix: "SOA",
        folder: "soa",
        description: "The Statement of Applicability (6.1.3): every Annex A control, applied or excluded.",
        clause: "6.1.3",
        fields: &[req(
            "control",
            Ty::Tables(SOA_ENTRY),
            "one [[control]] entry per Annex A control",
        )],
        sections: &[],
        default_approvers: &["top-management"],
        default_review_interval: "12 months",
    },
    KindSpec {
        kind: Kind::Objective,
        name: "objective",
        prefix: "OBJ",
        folder: "objectives",
        description: "A measurable AI objective (6.2).",
        clause: "6.2",
        fields: &[
            req("metric", Ty::Text, "what is measured"),
            req(
                "target",
                Ty::Text,
                "the value that means the objective is met",
            ),
            req(
                "frequency",
                Ty::Text,
                "how often it is measured, e.g. \"quarterly\"",
            ),
            req("method", Ty::Text, "how it is measured and evaluated"),
            req("due", Ty::Date, "when the target must be met"),
            opt(
                "target-value",
                Ty::Number,
                "the target as a number, e.g. 95 (with target-unit and target-comparison)",
            ),
            opt(
                "target-unit",
                Ty::Text,
                "the unit of target-value, e.g. \"%\"",
            ),
            opt(
                "target-comparison",
                Ty::Enum(&["at-least", "at-most", "exactly"]),
                "how a measured value meets target-value",
            ),
            opt(
                "policy",
                Ty::Ref(&[Kind::Policy]),
                "the policy the objective serves",
            ),
            opt(
                "ai-systems",
                Ty::Refs(&[Kind::AiSystem]),
                "AI systems the objective concerns",
            ),
            opt(
                "plan",
                Ty::Text,
                "what will be done to meet it, by whom, with what resources",
            ),
            opt(
                "results",
                Ty::Refs(&[Kind::Record]),
                "the records holding the measurements",
            ),
        ],
        sections: &[],
        default_approvers: &["top-management"],
        default_review_interval: "12 months",
    },
    KindSpec {
        kind: Kind::Competence,
        name: "competence",
        prefix: "CMP",
        folder: "competence",
        description: "The competence matrix (7.2): required competencies per AIMS role.",
        clause: "7.2",
        fields: &[req(
            "role",
            Ty::Tables(COMPETENCE_ROLE),
            "one [[role]] entry per AIMS role",
        )],
        sections: &[],
        default_approvers: &["ai-governance-lead"],
        default_review_interval: "12 months",
    },
    KindSpec {
        kind: Kind::ManagementReview,
        name: "management-review",
        prefix: "MRV",
        folder: "management-review",
        description: "The record of a management review (9.3).",
        clause: "9.3",
        fields: &[
            req("held-on", Ty::Date, "date of the meeting"),
            req("attendees", Ty::Persons, "who took part (emails or roles)"),
            opt(
                "action",
                Ty::Tables(REVIEW_ACTION),
                "[[action]] entries: action, owner, due",
            ),
            opt(
                "input",
                Ty::Tables(REVIEW_INPUT),
                "[[input]] entries: the 9.3.2 inputs considered, each with a summary",
            ),
            opt(
                "follow-up",
                Ty::Tables(REVIEW_FOLLOW_UP),
                "[[follow-up]] entries: the status of each action of the previous review",
            ),
        ],
        sections: &["Data reviewed", "Decisions", "Actions"],
        default_approvers: &["top-management"],
        default_review_interval: "12 months",
    },
    KindSpec {
        kind: Kind::InternalAudit,
        name: "internal-audit",
        prefix: "IAU",
        folder: "internal-audit",
        description: "The internal audit programme, or the report of one audit (9.2).",
        clause: "9.2",
        fields: &[
            req(
                "audit-type",
                Ty::Enum(&["programme", "report"]),
                "programme or report",
            ),
            when(
                "interval",
                Ty::Interval,
                ("audit-type", "programme"),
                "how often the AIMS is audited",
            ),
            when(
                "auditor",
                Ty::Person,
                ("audit-type", "report"),
                "who audited",
            ),
            when(
                "conducted-on",
                Ty::Date,
                ("audit-type", "report"),
                "when the audit took place",
            ),
            opt("planned", Ty::Date, "when the next audit is planned"),
            opt("audited", Ty::Refs(&[]), "ids of documents examined"),
            opt(
                "finding",
                Ty::Tables(AUDIT_FINDING),
                "[[finding]] entries: classification, description",
            ),
            opt(
                "methods",
                Ty::Text,
                "programme: how audits are done (interviews, record sampling, re-performance)",
            ),
            opt(
                "responsibilities",
                Ty::Text,
                "programme: who plans, conducts and reports audits",
            ),
            opt("scope", Ty::Text, "report: what the audit covered"),
            opt(
                "criteria",
                Ty::Text,
                "report: what it was audited against (clauses, controls, procedures)",
            ),
            opt(
                "reported-to",
                Ty::Person,
                "report: who received the results",
            ),
        ],
        sections: &[],
        default_approvers: &["top-management"],
        default_review_interval: "12 months",
    },
    KindSpec {
        kind: Kind::Nonconformity,
        name: "nonconformity",
        prefix: "NCR",
        folder: "nonconformities",
        description: "A nonconformity and its corrective action (10.2).",
        clause: "10.2",
        fields: &[
            req("raised-on", Ty::Date, "when it was raised"),
            req(
                "status",
                Ty::Enum(&["open", "in-progress", "closed"]),
                "open, in-progress or closed",
            ),
            req("root-cause", Ty::Text, "why it happened"),
            req("correction", Ty::Text, "what was done to contain it"),
            req("corrective-action", Ty::Text, "what removes the cause"),
            req("due", Ty::Date, "when the corrective action is due"),
            opt(
                "source",
                Ty::Ref(&[]),
                "the audit, review or incident that raised it",
            ),
            opt(
                "root-cause-method",
                Ty::Text,
                "how the root cause was found (5 whys, fishbone, timeline...)",
            ),
            opt(
                "effectiveness",
                Ty::Table(EFFECTIVENESS),
                "when and how the corrective action's effect was checked, and the result",
            ),
            opt(
                "aims-changes",
                Ty::Text,
                "changes to the AIMS it called for, or why none",
            ),
            opt(
                "verified-on",
                Ty::Date,
                "earlier form of `effectiveness.checked-on`",
            ),
            opt(
                "verification",
                Ty::Text,
                "earlier form of `effectiveness.method`",
            ),
        ],
        sections: &["Description"],
        default_approvers: &["ai-governance-lead"],
        default_review_interval: "6 months",
    },
    KindSpec {
        kind: Kind::Prd,
        name: "prd",
        prefix: "PRD",
        folder: "prd",
        description: "A product requirements document; when it touches an AI system, it carries an [aims] block.",
        clause: "8.1",
        fields: &[opt("aims", Ty::Table(PRD_AIMS), "the AIMS metadata block")],
        sections: &[],
        default_approvers: &["ai-governance-lead"],
        default_review_interval: "12 months",
    },
    KindSpec {
        kind: Kind::Record,
        name: "record",
        prefix: "REC",
        folder: "records",
        description: "A record that evidences a control or a competence (training log, test report, dashboard export).",
        clause: "7.5",
        fields: &[
            opt("recorded-on", Ty::Date, "date of the record"),
            opt(
                "location",
                Ty::Text,
                "where the underlying evidence lives (system, path, URL)",
            ),
        ],
        sections: &[],
        default_approvers: &["ai-governance-lead"],
        default_review_interval: "12 months",
    },
];

/// Fields git derives: writing them by hand is a finding. Both spellings of
/// each are caught, since people write both.
pub const DERIVED_FIELDS: &[&str] = &[
    "version",
    "revision",
    "status-approved",
    "approved",
    "approved-by",
    "approver",
    "approvers",
    "approval-date",
    "approved-on",
    "effective-date",
    "last-reviewed",
    "reviewed-on",
    "reviewed-by",
    "next-review",
    "review-due",
];

/// `approved_by` → `approved-by`, for comparison with [`DERIVED_FIELDS`].
pub fn derived_field(key: &str) -> Option<&'static str> {
    let norm = key.to_ascii_lowercase().replace('_', "-");
    DERIVED_FIELDS.iter().copied().find(|f| *f == norm)
}

/// How a type reads in the reference documentation.
fn type_doc(ty: Ty) -> String {
    let kinds = |ks: &[Kind]| {
        if ks.is_empty() {
            "any document".to_owned()
        } else {
            ks.iter().map(|k| k.name()).collect::<Vec<_>>().join(" or ")
        }
    };
    match ty {
        Ty::Text => "string".into(),
        Ty::Texts => "list of strings".into(),
        Ty::Email => "email".into(),
        Ty::Person => "email or role".into(),
        Ty::Persons => "list of emails or roles".into(),
        Ty::Role => "role".into(),
        Ty::Date => "date".into(),
        Ty::Interval => "interval (\"12 months\")".into(),
        Ty::Bool => "boolean".into(),
        Ty::Number => "number".into(),
        Ty::Enum(v) => format!("one of {}", v.join(", ")),
        Ty::EnumList(v) => format!("list of {}", v.join(", ")),
        Ty::Ref(k) => format!("id of {}", kinds(k)),
        Ty::Refs(k) => format!("ids of {}", kinds(k)),
        Ty::Clauses => "clause ids".into(),
        Ty::Control => "control id".into(),
        Ty::Controls => "control ids".into(),
        Ty::Table(_) => "table".into(),
        Ty::Tables(_) => "array of tables".into(),
    }
}

fn fields_doc(out: &mut String, fields: &[Field], prefix: &str) {
    for f in fields {
        let need = match f.req {
            Req::Required => "required".to_owned(),
            Req::Optional => "optional".to_owned(),
            Req::When(other, value) => format!("when `{other} = {value}`"),
        };
        let name = match f.ty {
            Ty::Tables(_) => format!("[[{prefix}{}]]", f.name),
            Ty::Table(_) => format!("[{prefix}{}]", f.name),
            _ => format!("{prefix}{}", f.name),
        };
        out.push_str(&format!(
            "| `{name}` | {} | {need} | {} |\n",
            type_doc(f.ty),
            f.doc
        ));
        if let Ty::Table(sub) | Ty::Tables(sub) = f.ty {
            fields_doc(out, sub, &format!("{}.", f.name));
        }
    }
}

/// The frontmatter reference of every kind, as Markdown (kept in the README;
/// a test fails when the two differ).
pub fn markdown_reference() -> String {
    let mut out = String::from(
        "Every document has these fields:\n\n| field | type | | meaning |\n|---|---|---|---|\n",
    );
    fields_doc(&mut out, COMMON, "");
    out.push_str("\nKeys starting with `x-` are yours; any other unknown key is reported.\n");
    for k in KINDS {
        out.push_str(&format!(
            "\n#### `{}` ({}-NNN, clause {})\n\n{}\n",
            k.name, k.prefix, k.clause, k.description
        ));
        if !k.fields.is_empty() {
            out.push_str("\n| field | type | | meaning |\n|---|---|---|---|\n");
            fields_doc(&mut out, k.fields, "");
        }
        if !k.sections.is_empty() {
            let s: Vec<String> = k.sections.iter().map(|s| format!("\"{s}\"")).collect();
            out.push_str(&format!("\nRequired sections: {}.\n", s.join(", ")));
        }
        out.push_str(&format!(
            "Approved by {} by default; reviewed every {}.\n",
            k.default_approvers.join(", "),
            k.default_review_interval
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_one_spec_and_a_unique_prefix() {
        let all = [
            Kind::Policy,
            Kind::Procedure,
            Kind::Scope,
            Kind::AiSystem,
            Kind::Risk,
            Kind::RiskAssessment,
            Kind::ImpactAssessment,
            Kind::Soa,
            Kind::Objective,
            Kind::Competence,
            Kind::ManagementReview,
            Kind::InternalAudit,
            Kind::Nonconformity,
            Kind::Prd,
            Kind::Record,
        ];
        assert_eq!(all.len(), KINDS.len());
        for k in all {
            assert_eq!(KINDS.iter().filter(|s| s.kind == k).count(), 1, "{k:?}");
            assert_eq!(Kind::parse(k.name()), Some(k));
        }
        let mut prefixes: Vec<_> = KINDS.iter().map(|k| k.prefix).collect();
        prefixes.sort();
        prefixes.dedup();
        assert_eq!(prefixes.len(), KINDS.len());
    }

    #[test]
    fn conditional_fields_name_a_sibling() {
        fn walk(fields: &[Field]) {
            for f in fields {
                if let Req::When(other, _) = f.req {
                    assert!(
                        fields.iter().any(|g| g.name == other),
                        "{} depends on missing {other}",
                        f.name
                    );
                }
                if let Ty::Table(sub) | Ty::Tables(sub) = f.ty {
                    walk(sub);
                }
            }
        }
        for k in KINDS {
            walk(k.fields);
        }
    }

    #[test]
    fn derived_fields_are_caught_in_both_spellings() {
        assert_eq!(derived_field("approved_by"), Some("approved-by"));
        assert_eq!(derived_field("Next-Review"), Some("next-review"));
        assert_eq!(derived_field("title"), None);
    }
}
