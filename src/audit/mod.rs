//! `aims audit`: a mock certification audit.
//!
//! Every rule's findings are filed under the clause (4–10) and Annex A
//! control they concern, and each clause and control gets the verdict an
//! auditor would write: conformity, observation, minor or major
//! nonconformity, or not applicable (a control the SoA excludes with a
//! justification). Each verdict carries the evidence it rests on (document
//! ids, versions, verified approvals). Then come the readiness summary, the
//! gap matrix and a prioritised corrective-action plan. The model here is
//! the `aims.audit/v1` JSON contract; [`render`] prints it for people.

pub mod crosswalk;
pub mod render;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::catalog;
use crate::control::Register;
use crate::date::Date;
use crate::docs::{Document, Node};
use crate::finding::{Classification, Finding};
use crate::requirements;
use crate::rules::content;
use crate::workspace::Workspace;

pub const SCHEMA: &str = "aims.audit/v1";

/// What an auditor writes against a clause or a control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    MajorNonconformity,
    MinorNonconformity,
    Observation,
    /// No finding, but no positive evidence either: no approved document
    /// of the organisation's own (not template text, content rules passing)
    /// shows the requirement met.
    NotEvidenced,
    Conformity,
    NotApplicable,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::MajorNonconformity => "major nonconformity",
            Verdict::MinorNonconformity => "minor nonconformity",
            Verdict::Observation => "observation",
            Verdict::NotEvidenced => "not evidenced",
            Verdict::Conformity => "conformity",
            Verdict::NotApplicable => "not applicable",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::MajorNonconformity => "major-nonconformity",
            Verdict::MinorNonconformity => "minor-nonconformity",
            Verdict::Observation => "observation",
            Verdict::NotEvidenced => "not-evidenced",
            Verdict::Conformity => "conformity",
            Verdict::NotApplicable => "not-applicable",
        }
    }

    /// The verdict findings of this classification lead to (an opportunity
    /// for improvement does not take conformity away).
    fn of(c: Option<Classification>) -> Verdict {
        match c {
            Some(Classification::Major) => Verdict::MajorNonconformity,
            Some(Classification::Minor) => Verdict::MinorNonconformity,
            Some(Classification::Observation) => Verdict::Observation,
            Some(Classification::Improvement) | None => Verdict::Conformity,
        }
    }
}

/// A finding as the report carries it.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AuditFinding {
    pub code: &'static str,
    pub rule: &'static str,
    pub classification: Classification,
    pub message: String,
    pub clause: Option<&'static str>,
    pub control: Option<&'static str>,
    pub document: Option<String>,
    pub path: Option<String>,
    pub line: Option<usize>,
}

/// A document a verdict rests on, with what git proves about it.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Evidence {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub path: String,
    /// "v2", "v2 + 1 unapproved change", "never approved"; None without git.
    pub version: Option<String>,
    /// Verified approvals of the content in force.
    pub approvals: Vec<ApprovalRef>,
    /// Whether it counts as positive evidence: approved and unchanged since,
    /// not template text, no minor or major finding of its own.
    pub counts: bool,
    /// Why it does not count, when it does not.
    pub why_not: Option<String>,
    /// The product repository it was read from (a `[[source]]`), when not this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<EvidenceOrigin>,
}

/// Where a document kept in a product repository was read.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct EvidenceOrigin {
    /// The `[[source]]` name.
    pub source: String,
    pub repository: String,
    /// The commit read (full hex).
    pub commit: String,
    /// The path inside that repository.
    pub path: String,
}

/// The design and requirements records (PRDs) of one AI system, wherever
/// they are kept (A.6: the system's life cycle).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct SystemLifecycle {
    /// The AI system's id (`SYS-001`), as the PRDs' `[aims] ai-system` names it.
    pub system: String,
    /// Its title, when the inventory has it.
    pub title: Option<String>,
    /// Whether the inventory has it.
    pub inventoried: bool,
    pub prds: Vec<Evidence>,
}

/// A `[[source]]` product repository, and what it yielded.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct SourceRow {
    pub name: String,
    pub repository: String,
    #[serde(rename = "ref")]
    pub reference: String,
    /// The commit read; None when its evidence is missing.
    pub commit: Option<String>,
    /// When that snapshot was fetched.
    pub fetched: Option<Date>,
    pub prds: usize,
    /// Why it could not be fetched or read.
    pub error: Option<String>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ApprovalRef {
    pub by: String,
    pub role: String,
    pub date: Date,
    pub tag: String,
}

/// How one element of the requirements model stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ElementStatus {
    /// Shown by approved documents of the organisation's own.
    Evidenced,
    /// A document lacks it, or its rule reports a gap.
    Missing,
    /// Shown, but by documents that do not count (unapproved, template
    /// text, outside git).
    NotEvidenced,
    /// No document it applies to exists yet (no nonconformity raised, no
    /// system deployed).
    NotExercised,
    /// Left to the auditor's judgement.
    Judged,
}

/// One element of a clause or control, and where it stands.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ElementRow {
    /// `9.3.2/previous-actions`.
    pub id: String,
    pub title: &'static str,
    pub status: ElementStatus,
    /// The documents that show it (evidenced), lack it (missing) or show it
    /// without counting (not evidenced).
    pub documents: Vec<String>,
    /// What is missing, why it does not count, or why a person judges it.
    pub detail: Option<String>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ClauseVerdict {
    pub id: &'static str,
    pub title: &'static str,
    pub verdict: Verdict,
    pub evidence: Vec<Evidence>,
    /// The requirements model's elements for this clause.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub elements: Vec<ElementRow>,
    pub findings: Vec<AuditFinding>,
    /// Sub-clauses (for the top-level clauses 4–10).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clauses: Vec<ClauseVerdict>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ControlVerdict {
    pub id: &'static str,
    pub group: &'static str,
    pub title: &'static str,
    /// What the SoA says: None when the SoA does not list the control.
    pub applicable: Option<bool>,
    pub justification: Option<String>,
    pub procedure: Option<String>,
    pub evidence_records: Vec<String>,
    pub owner: Option<String>,
    pub verdict: Verdict,
    pub evidence: Vec<Evidence>,
    /// The requirements model's elements for this control.
    pub elements: Vec<ElementRow>,
    pub findings: Vec<AuditFinding>,
}

#[derive(Clone, Debug, Default, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Counts {
    pub major: usize,
    pub minor: usize,
    pub observation: usize,
    pub improvement: usize,
}

impl Counts {
    fn add(&mut self, c: Classification) {
        match c {
            Classification::Major => self.major += 1,
            Classification::Minor => self.minor += 1,
            Classification::Observation => self.observation += 1,
            Classification::Improvement => self.improvement += 1,
        }
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Readiness {
    /// `ready`, `not-evidenced`, `corrective-action-plan` or `certificate-withheld`.
    pub status: &'static str,
    pub summary: String,
    /// Findings by classification.
    pub findings: Counts,
    /// Verdicts over the sub-clauses of clauses 4–10.
    pub clauses: BTreeMap<&'static str, usize>,
    /// Verdicts over the 38 Annex A controls.
    pub controls: BTreeMap<&'static str, usize>,
}

/// One row of the gap matrix: a kind of gap, as the seed article tabulates them.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Gap {
    /// A rule's code, or `EVIDENCE` for the clauses and controls not evidenced.
    pub code: &'static str,
    pub gap: &'static str,
    pub classification: Classification,
    pub certification_impact: &'static str,
    pub remediation: &'static str,
    pub occurrences: usize,
    pub references: Vec<&'static str>,
}

/// One corrective action.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Action {
    pub priority: usize,
    pub classification: Classification,
    pub code: &'static str,
    pub reference: String,
    pub document: Option<String>,
    pub action: String,
    pub owner: String,
    pub remediation: &'static str,
    pub findings: Vec<String>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Coverage {
    pub framework: &'static str,
    pub name: &'static str,
    pub parts: Vec<PartCoverage>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct PartCoverage {
    pub id: &'static str,
    pub name: &'static str,
    pub about: &'static str,
    pub controls: Vec<(&'static str, Verdict)>,
    /// Controls applied and in conformity, of those mapped.
    pub conforming: usize,
    pub nonconforming: usize,
    /// Applied, with no finding, but no positive evidence.
    pub not_evidenced: usize,
    pub not_applicable: usize,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Audit {
    #[schemars(extend("const" = "aims.audit/v1"))]
    pub schema: &'static str,
    pub organisation: Option<String>,
    pub as_of: Date,
    pub commit: Option<String>,
    /// False when there was no git history: approvals were not assessed.
    pub history: bool,
    pub limitations: Vec<String>,
    pub readiness: Readiness,
    pub clauses: Vec<ClauseVerdict>,
    pub controls: Vec<ControlVerdict>,
    pub gaps: Vec<Gap>,
    pub actions: Vec<Action>,
    /// Per AI system, its PRDs (A.6 life-cycle evidence), with the
    /// repository and commit each was read at.
    pub lifecycle: Vec<SystemLifecycle>,
    /// The `[[source]]` product repositories read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crosswalk: Option<Coverage>,
}

/// Typical time to close a gap of this rule, from the gap-severity matrix
/// of the seed articles where it names one, and our estimate elsewhere.
pub fn remediation(code: &str) -> (&'static str, u8) {
    match code {
        "ISO003" | "ISO004" | "ISO005" => ("1-2 weeks", 2),
        "ISO007" | "ISO008" | "ISO009" | "ISO010" | "ISO011" => ("3-6 weeks", 6),
        "ISO018" => ("1-2 weeks", 2),
        "ISO019" => ("1 week", 1),
        "ISO012" | "ISO013" | "ISO014" => ("4-8 weeks", 8),
        "ISO015" | "ISO016" | "ISO017" => ("2-4 weeks", 4),
        "ISO022" | "ISO023" => ("1 week", 1),
        "ISO020" => ("4-6 weeks", 6),
        "ISO021" => ("2-4 weeks", 4),
        "ISO001" | "ISO002" | "ISO024" | "ISO025" | "ISO027" => ("1-2 weeks", 2),
        "ISO006" | "ISO026" => ("1 week", 1),
        c if c.starts_with("CTL") => ("1 week", 1),
        _ => ("1-3 days", 0),
    }
}

pub fn certification_impact(c: Classification) -> &'static str {
    match c {
        Classification::Major => "certificate withheld until closed with objective evidence",
        Classification::Minor => {
            "certification can proceed; corrective-action plan with closure date"
        }
        Classification::Observation => "none yet; may become a nonconformity",
        Classification::Improvement => "none",
    }
}

/// The options of one audit.
#[derive(Default)]
pub struct Options {
    pub crosswalk: Option<crosswalk::Framework>,
}

/// Runs every rule and files the findings: the mock audit of `ws` (with
/// git's evidence when `register` is given).
pub fn build(ws: &Workspace, register: Option<&Register>, options: &Options) -> Audit {
    let findings = crate::rules::check(ws, register);
    let as_of = register.map_or_else(|| Date::from_unix(crate::control::now()), |r| r.as_of);
    let by_path: BTreeMap<&str, &Document> = ws.documents().map(|d| (d.path.as_str(), d)).collect();
    let index = ws.index();
    // Documents with minor or major findings of their own.
    // Documents with minor or major findings of their own: by id, and by
    // path where the finding is in a file carrying that id (so a file
    // reusing an id, e.g. a product repository's, flags itself only).
    let id_at: BTreeMap<&str, &str> = ws
        .documents()
        .filter_map(|d| Some((d.path.as_str(), d.id()?)))
        .collect();
    let flagged: BTreeSet<(String, Option<String>)> = findings
        .iter()
        .filter(|f| f.classification.at_least(Classification::Minor))
        .filter_map(|f| {
            let id = f.document.clone()?;
            let at = f
                .path
                .as_deref()
                .filter(|p| id_at.get(p) == Some(&id.as_str()))
                .map(str::to_owned);
            Some((id, at))
        })
        .collect();
    let evidence_of = |d: &Document| evidence(d, register, &flagged);

    // Where each finding is filed.
    let clause_of = |f: &Finding| -> Option<&'static str> {
        let from_doc = f
            .path
            .as_deref()
            .and_then(|p| by_path.get(p))
            .and_then(|d| d.kind())
            .map(|k| k.spec().clause);
        match f.rule.code.get(..3) {
            Some("DOC") => from_doc.or(f.clause()),
            _ => f.clause(),
        }
        .and_then(|c| catalog::clause(c).map(|c| c.id))
    };
    let as_audit = |f: &Finding| AuditFinding {
        code: f.rule.code,
        rule: f.rule.name,
        classification: f.classification,
        message: f.message.clone(),
        clause: clause_of(f),
        control: f.control(),
        document: f.document.clone(),
        path: f.path.clone(),
        line: f.line,
    };
    let all: Vec<AuditFinding> = findings.iter().map(as_audit).collect();

    // Clauses.
    let by_clause = content::evidence_by_clause(ws);
    let controls_own = &ws.documents().any(|d| evidence_of(d).counts);
    let rcx = requirements::Context::new(ws, as_of);
    let clause_row = |c: &'static catalog::Clause| {
        let mine: Vec<AuditFinding> = all
            .iter()
            .filter(|f| f.clause == Some(c.id))
            .cloned()
            .collect();
        let mut evidence: Vec<Evidence> = by_clause
            .get(c.id)
            .map(|docs| docs.iter().map(|d| evidence_of(d)).collect())
            .unwrap_or_default();
        // Obsolete documented information is retained (7.5.3): withdrawn
        // documents, with the approval of their withdrawal.
        if c.id == "7.5.3"
            && let Some(r) = register
        {
            evidence.extend(withdrawn_evidence(r));
        }
        // Conformity needs positive evidence: an approved document of the
        // organisation's own. Document control (7.5) is evidenced by the
        // git register itself, once it controls at least one such document
        // (approving template text controls nothing of the organisation's).
        let by_register = c.id.starts_with("7.5") && register.is_some() && *controls_own;
        let counted = by_register || evidence.iter().any(|e| e.counts);
        let (elements, gaps) = element_rows(c.id, ws, &all, counted, &evidence_of, &rcx);
        let mut mine = mine;
        merge(&mut mine, gaps);
        let mut verdict = Verdict::of(mine.iter().map(|f| f.classification).min());
        if verdict == Verdict::Conformity && (!counted || blocks(&elements)) {
            verdict = Verdict::NotEvidenced;
        }
        ClauseVerdict {
            id: c.id,
            title: c.title,
            verdict,
            evidence,
            elements,
            findings: mine,
            clauses: Vec::new(),
        }
    };
    let mut clauses = Vec::new();
    for top in catalog::CLAUSES.iter().filter(|c| !c.id.contains('.')) {
        let mut row = clause_row(top);
        row.evidence.clear(); // the sub-clauses carry it
        row.clauses = catalog::CLAUSES
            .iter()
            .filter(|c| catalog::top_clause(c.id) == top.id && c.id != top.id)
            .map(clause_row)
            .collect();
        row.verdict = row
            .clauses
            .iter()
            .map(|c| c.verdict)
            .chain([row.verdict])
            .min()
            .unwrap_or(Verdict::Conformity);
        clauses.push(row);
    }

    // Controls, as the SoA states them.
    let entries: Vec<&crate::docs::Table> = content::soa_entries(ws)
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let mut controls = Vec::new();
    for c in catalog::CONTROLS {
        let entry = entries
            .iter()
            .find(|t| t.str("id").map(str::trim) == Some(c.id));
        let get = |k: &str| entry.and_then(|t| t.str(k)).map(|s| s.trim().to_owned());
        let applicable = entry
            .and_then(|t| t.get("applicable"))
            .and_then(Node::as_bool);
        let records: Vec<String> = entry
            .and_then(|t| t.get("evidence"))
            .map(|n| n.strings().into_iter().map(|(s, _)| s.to_owned()).collect())
            .unwrap_or_default();
        let procedure = get("procedure");
        let mut docs: Vec<&Document> = Vec::new();
        if applicable == Some(true) {
            for id in procedure.iter().chain(records.iter()) {
                if let Some(d) = index.get(id.as_str())
                    && !docs.iter().any(|x| std::ptr::eq(*x, *d))
                {
                    docs.push(d);
                }
            }
        }
        let mine: Vec<AuditFinding> = all
            .iter()
            .filter(|f| f.control == Some(c.id))
            .cloned()
            .collect();
        let evidence: Vec<Evidence> = docs.iter().map(|d| evidence_of(d)).collect();
        let counted = evidence.iter().any(|e| e.counts);
        let (elements, gaps) = if applicable == Some(false) {
            (Vec::new(), Vec::new())
        } else {
            element_rows(c.id, ws, &all, counted, &evidence_of, &rcx)
        };
        let mut mine = mine;
        merge(&mut mine, gaps);
        let worst = mine.iter().map(|f| f.classification).min();
        let verdict = match (applicable, worst) {
            (Some(false), None | Some(Classification::Improvement)) => Verdict::NotApplicable,
            _ => match Verdict::of(worst) {
                Verdict::Conformity if !counted || blocks(&elements) => Verdict::NotEvidenced,
                v => v,
            },
        };
        controls.push(ControlVerdict {
            id: c.id,
            group: c.group,
            title: c.title,
            applicable,
            justification: get("justification"),
            procedure,
            evidence_records: records,
            owner: get("owner"),
            verdict,
            evidence,
            elements,
            findings: mine,
        });
    }

    // Readiness.
    let mut counts = Counts::default();
    for f in &all {
        counts.add(f.classification);
    }
    let mut clause_counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for c in clauses.iter().flat_map(|c| &c.clauses) {
        *clause_counts.entry(c.verdict.as_str()).or_default() += 1;
    }
    let mut control_counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for c in &controls {
        *control_counts.entry(c.verdict.as_str()).or_default() += 1;
    }
    let unevidenced = clauses
        .iter()
        .flat_map(|c| &c.clauses)
        .filter(|c| c.verdict == Verdict::NotEvidenced)
        .count()
        + controls
            .iter()
            .filter(|c| c.verdict == Verdict::NotEvidenced)
            .count();
    let (status, summary) = if counts.major > 0 {
        (
            "certificate-withheld",
            format!(
                "Not ready: the certificate would be withheld while {} major nonconformit{} remain{}",
                counts.major,
                if counts.major == 1 { "y" } else { "ies" },
                if counts.major == 1 { "s" } else { "" }
            ),
        )
    } else if counts.minor > 0 {
        (
            "corrective-action-plan",
            format!(
                "Certification can proceed with a corrective-action plan for {} minor nonconformit{}",
                counts.minor,
                if counts.minor == 1 { "y" } else { "ies" }
            ),
        )
    } else if unevidenced > 0 {
        (
            "not-evidenced",
            format!(
                "Not ready: {unevidenced} clause{s} and controls have no approved evidence of the \
                 organisation's own (template text, unapproved, or missing)",
                s = if unevidenced == 1 { "" } else { "s" }
            ),
        )
    } else {
        ("ready", "Ready: no nonconformity found".to_owned())
    };

    let mut gaps = gaps(&findings, &all);
    if unevidenced > 0 {
        let mut references: Vec<&'static str> = clauses
            .iter()
            .flat_map(|c| &c.clauses)
            .filter(|c| c.verdict == Verdict::NotEvidenced)
            .map(|c| c.id)
            .chain(
                controls
                    .iter()
                    .filter(|c| c.verdict == Verdict::NotEvidenced)
                    .map(|c| c.id),
            )
            .collect();
        references.dedup();
        gaps.push(Gap {
            code: "EVIDENCE",
            gap: "No approved evidence of the organisation's own: only template text, unapproved or changed documents, or none",
            classification: Classification::Observation,
            certification_impact: "no conformity can be stated: the auditor asks for evidence and raises a nonconformity where there is none",
            remediation: "1-4 weeks",
            occurrences: unevidenced,
            references,
        });
    }
    let actions = actions(ws, &findings, &all, &entries);
    let mut limitations = Vec::new();
    if register.is_none() {
        limitations.push(
            "No git history: versions, verified approvals, review dates, authorship and \
             document changes were not assessed (rules CTL001-CTL008, ISO005, ISO010, ISO017 \
             and the authorship part of ISO021 did not run). Run the audit in the AIMS's git \
             repository for a complete report."
                .to_owned(),
        );
    }
    let crosswalk = options.crosswalk.map(|fw| coverage(fw, &controls));
    let lifecycle = lifecycle(ws, &evidence_of);
    let sources = ws
        .sources
        .iter()
        .map(|s| SourceRow {
            name: s.name.clone(),
            repository: s.repository.clone(),
            reference: s.reference.clone(),
            commit: s.commit.clone(),
            fetched: s.fetched.map(Date::from_unix),
            prds: s.prds.len(),
            error: s.error.clone(),
        })
        .collect();
    Audit {
        schema: SCHEMA,
        organisation: ws.config.organisation.clone(),
        as_of,
        commit: register.and_then(|r| r.commit.clone()),
        history: register.is_some(),
        limitations,
        readiness: Readiness {
            status,
            summary,
            findings: counts,
            clauses: clause_counts,
            controls: control_counts,
        },
        clauses,
        controls,
        gaps,
        actions,
        lifecycle,
        sources,
        crosswalk,
    }
}

/// Every PRD with an `[aims]` block, by the AI system it names: the
/// inventory's systems first (each, even with no PRD), then systems no
/// inventory entry has.
fn lifecycle(ws: &Workspace, evidence_of: &dyn Fn(&Document) -> Evidence) -> Vec<SystemLifecycle> {
    let mut out: Vec<SystemLifecycle> = ws
        .documents()
        .filter(|d| d.kind() == Some(crate::docs::Kind::AiSystem))
        .filter_map(|d| {
            Some(SystemLifecycle {
                system: d.id()?.to_owned(),
                title: d.title().map(str::to_owned),
                inventoried: true,
                prds: Vec::new(),
            })
        })
        .collect();
    for prd in ws.documents().filter(|d| d.is_prd) {
        let Some(system) = prd
            .frontmatter
            .get("aims")
            .and_then(crate::docs::Node::as_table)
            .and_then(|t| t.str("ai-system"))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        else {
            continue;
        };
        let row = match out.iter().position(|r| r.system == system) {
            Some(i) => &mut out[i],
            None => {
                out.push(SystemLifecycle {
                    system: system.to_owned(),
                    title: None,
                    inventoried: false,
                    prds: Vec::new(),
                });
                out.last_mut().expect("just pushed")
            }
        };
        row.prds.push(evidence_of(prd));
    }
    out
}

/// Whether an element keeps a verdict from conformity: missing, or shown
/// only by documents that do not count.
fn blocks(elements: &[ElementRow]) -> bool {
    elements.iter().any(|e| {
        matches!(
            e.status,
            ElementStatus::Missing | ElementStatus::NotEvidenced
        )
    })
}

/// Where each element of the clause or control `reference` stands, and the
/// findings that show the gaps (to list with the row, wherever their rule
/// files them). `counted`: whether the row has evidence that counts (what
/// a rule-judged element rests on when its rule reports nothing).
fn element_rows(
    reference: &str,
    ws: &Workspace,
    findings: &[AuditFinding],
    counted: bool,
    evidence_of: &dyn Fn(&Document) -> Evidence,
    rcx: &requirements::Context,
) -> (Vec<ElementRow>, Vec<AuditFinding>) {
    use requirements::Check;
    let index = ws.index();
    let kind_of = |f: &AuditFinding| {
        f.document
            .as_deref()
            .and_then(|id| index.get(id))
            .and_then(|d| d.kind())
    };
    let serious = |f: &&AuditFinding| f.classification.at_least(Classification::Minor);
    let mut shown: Vec<AuditFinding> = Vec::new();
    let rows = requirements::of(reference)
        .map(|e| {
            let row = |status, documents: Vec<String>, detail: Option<String>| ElementRow {
                id: e.id(),
                title: e.title,
                status,
                documents,
                detail,
            };
            match &e.check {
                Check::Judged(why) => {
                    row(ElementStatus::Judged, Vec::new(), Some((*why).to_owned()))
                }
                Check::Rule(rc) => {
                    let hits: Vec<&AuditFinding> = findings
                        .iter()
                        .filter(serious)
                        .filter(|f| f.code == rc.code)
                        .filter(|f| match rc.on {
                            // Findings about documents of that kind (for a
                            // control element, not filed under another
                            // control), naming `about` when given.
                            Some(kind) => {
                                kind_of(f) == Some(kind)
                                    && (!e.is_control() || f.control.is_none_or(|c| c == reference))
                                    && rc.about.is_none_or(|a| {
                                        f.message.to_lowercase().contains(&a.to_lowercase())
                                    })
                            }
                            None => {
                                f.control == Some(reference)
                                    || f.control.is_none()
                                        && f.clause.is_some_and(|c| {
                                            c == reference
                                                || reference.starts_with(&format!("{c}."))
                                        })
                            }
                        })
                        .collect();
                    if let Some(f) = hits.first() {
                        shown.extend(hits.iter().map(|f| (*f).clone()));
                        let docs = hits.iter().filter_map(|f| f.document.clone()).collect();
                        return row(
                            ElementStatus::Missing,
                            docs,
                            Some(format!("{}: {}", f.code, f.message)),
                        );
                    }
                    if counted {
                        row(ElementStatus::Evidenced, Vec::new(), None)
                    } else {
                        row(
                            ElementStatus::NotEvidenced,
                            Vec::new(),
                            Some(
                                "no approved document of the organisation's own shows it"
                                    .to_owned(),
                            ),
                        )
                    }
                }
                Check::Field(c) => {
                    let docs: Vec<&Document> = ws
                        .documents()
                        .filter(|d| d.kind() == Some(c.kind) && d.id().is_some())
                        .filter(|d| requirements::applies(c, d, rcx))
                        .collect();
                    if docs.is_empty() {
                        return row(
                            ElementStatus::NotExercised,
                            Vec::new(),
                            Some(format!("no {} it applies to yet", c.kind)),
                        );
                    }
                    let ids = |ds: &[&Document]| {
                        ds.iter()
                            .map(|d| d.id().unwrap_or("?").to_owned())
                            .collect()
                    };
                    // Template text evidences nothing and is ISO028's to
                    // report: such a document counts as not evidenced.
                    let (template, written): (Vec<&Document>, Vec<&Document>) =
                        docs.iter().partition(|d| content::residue(d).whole());
                    let (showing, lacking): (Vec<&Document>, Vec<&Document>) = written
                        .iter()
                        .partition(|d| requirements::gap(c, d, rcx).is_none());
                    let enough = match c.scope {
                        requirements::Scope::Each => lacking.is_empty(),
                        requirements::Scope::Any => !showing.is_empty() || lacking.is_empty(),
                    };
                    if !enough {
                        let lacking_ids: Vec<String> = ids(&lacking);
                        // The findings that report it: ISO029 for this
                        // element, or the document rules for a required field.
                        shown.extend(
                            findings
                                .iter()
                                .filter(serious)
                                .filter(|f| {
                                    f.document.as_ref().is_some_and(|d| lacking_ids.contains(d))
                                        && (f.code == "ISO029" && f.message.contains(&e.id())
                                            || f.code == "DOC005")
                                })
                                .cloned(),
                        );
                        let what = requirements::gap(c, lacking[0], rcx).map(|g| g.what);
                        return row(ElementStatus::Missing, lacking_ids, what);
                    }
                    if showing.is_empty() {
                        return row(
                            ElementStatus::NotEvidenced,
                            ids(&template),
                            Some("still the template's text".to_owned()),
                        );
                    }
                    let shown_ev: Vec<Evidence> = showing.iter().map(|d| evidence_of(d)).collect();
                    let counts = template.is_empty()
                        && match c.scope {
                            requirements::Scope::Each => shown_ev.iter().all(|e| e.counts),
                            requirements::Scope::Any => shown_ev.iter().any(|e| e.counts),
                        };
                    if counts {
                        row(ElementStatus::Evidenced, ids(&showing), None)
                    } else {
                        let why = shown_ev
                            .iter()
                            .find(|e| !e.counts)
                            .and_then(|e| e.why_not.clone().map(|w| format!("{}: {w}", e.id)))
                            .or_else(|| Some("still the template's text".to_owned()));
                        row(ElementStatus::NotEvidenced, ids(&showing), why)
                    }
                }
            }
        })
        .collect();
    (rows, shown)
}

/// `extra` findings added to a row's own, once each.
fn merge(mine: &mut Vec<AuditFinding>, extra: Vec<AuditFinding>) {
    for f in extra {
        let same = |g: &AuditFinding| {
            g.code == f.code && g.message == f.message && g.path == f.path && g.line == f.line
        };
        if !mine.iter().any(same) {
            mine.push(f);
        }
    }
}

fn evidence(
    d: &Document,
    register: Option<&Register>,
    flagged: &BTreeSet<(String, Option<String>)>,
) -> Evidence {
    let id = d.id().unwrap_or("?").to_owned();
    // The row of this file: another file reusing the id has none.
    let entry = register
        .and_then(|r| r.entry(&id))
        .filter(|e| e.path == d.path);
    let version = entry.map(|e| match e.state.version {
        None => "never approved".to_owned(),
        Some(v) if e.state.unapproved_changes > 0 => format!(
            "v{v} + {} unapproved change{}",
            e.state.unapproved_changes,
            if e.state.unapproved_changes == 1 {
                ""
            } else {
                "s"
            }
        ),
        Some(v) => format!("v{v}"),
    });
    let approvals = entry
        .map(|e| {
            content::in_force(e)
                .into_iter()
                .map(|a| ApprovalRef {
                    by: a.signer_email.clone(),
                    role: a.claim.role.clone(),
                    date: Date::from_unix(a.time),
                    tag: a.tag.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    use crate::history::state::State;
    let why_not = if content::residue(d).whole() {
        Some("still the template's text".to_owned())
    } else if register.is_none() {
        Some("approvals cannot be checked without the git history".to_owned())
    } else if !entry
        .is_some_and(|e| matches!(e.state.state, State::Approved | State::ReviewOverdue))
    {
        Some(match entry.map(|e| e.state.state) {
            Some(State::ChangedSinceApproval) => "changed since its approval".to_owned(),
            _ => "not approved".to_owned(),
        })
    } else if flagged.contains(&(id.clone(), None))
        || flagged.contains(&(id.clone(), Some(d.path.clone())))
    {
        Some("it has minor or major findings of its own".to_owned())
    } else {
        None
    };
    Evidence {
        id,
        title: d.title().unwrap_or("").to_owned(),
        kind: d.kind_name().unwrap_or("").to_owned(),
        path: d.path.clone(),
        version,
        approvals,
        counts: why_not.is_none(),
        why_not,
        origin: d.origin.as_ref().map(|o| EvidenceOrigin {
            source: o.source.clone(),
            repository: o.repository.clone(),
            commit: o.commit.clone(),
            path: o.path.clone(),
        }),
    }
}

/// Withdrawn documents as evidence: the version withdrawn and the
/// approval of the withdrawal.
fn withdrawn_evidence(register: &Register) -> Vec<Evidence> {
    register
        .entries
        .iter()
        .filter(|e| e.state.state == crate::history::state::State::Withdrawn)
        .map(|e| {
            let last = e.state.last_approval();
            Evidence {
                id: e.id.clone(),
                title: e.title.clone(),
                kind: e.kind.clone(),
                path: e.path.clone(),
                version: Some(format!(
                    "v{} withdrawn{}",
                    e.state.in_force_version().unwrap_or(0),
                    last.map_or(String::new(), |a| format!(
                        " on {}",
                        Date::from_unix(a.time)
                    ))
                )),
                approvals: last
                    .map(|a| ApprovalRef {
                        by: a.signer_email.clone(),
                        role: a.claim.role.clone(),
                        date: Date::from_unix(a.time),
                        tag: a.tag.clone(),
                    })
                    .into_iter()
                    .collect(),
                // Retained obsolete information: what 7.5.3 asks of it.
                counts: last.is_some(),
                why_not: None,
                origin: None,
            }
        })
        .collect()
}

fn reference(f: &AuditFinding) -> String {
    match (f.clause, f.control) {
        (Some(c), Some(k)) => format!("{c}, {k}"),
        (Some(c), None) => c.to_owned(),
        (None, Some(k)) => k.to_owned(),
        (None, None) => String::new(),
    }
}

fn gaps(findings: &[Finding], all: &[AuditFinding]) -> Vec<Gap> {
    // One row per rule and classification: a rule whose gaps differ in
    // weight (an exclusion without reason against a missing risk link)
    // gets a row for each.
    let mut by_code: BTreeMap<(&'static str, Classification), Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        by_code
            .entry((f.rule.code, all[i].classification))
            .or_default()
            .push(i);
    }
    let mut gaps: Vec<Gap> = by_code
        .into_iter()
        .map(|((code, worst), idx)| {
            let rule = findings[idx[0]].rule;
            let mut refs: Vec<&'static str> = idx
                .iter()
                .flat_map(|i| [all[*i].clause, all[*i].control])
                .flatten()
                .collect();
            refs.sort_by_key(|r| (r.starts_with('A'), sort_key(r)));
            refs.dedup();
            Gap {
                code,
                gap: rule.summary,
                classification: worst,
                certification_impact: certification_impact(worst),
                remediation: remediation(code).0,
                occurrences: idx.len(),
                references: refs,
            }
        })
        .collect();
    gaps.sort_by_key(|g| {
        (
            g.classification,
            std::cmp::Reverse(remediation(g.code).1),
            g.code,
        )
    });
    gaps
}

/// Numeric sort of a dotted id ("A.6.2.10" after "A.6.2.9").
fn sort_key(id: &str) -> Vec<u32> {
    id.trim_start_matches("A.")
        .split('.')
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

fn actions(
    ws: &Workspace,
    findings: &[Finding],
    all: &[AuditFinding],
    soa: &[&crate::docs::Table],
) -> Vec<Action> {
    // One action per rule and place (document, or control for SoA entries).
    let mut groups: BTreeMap<(&'static str, String), Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        let place = match (f.at_control, &f.document) {
            (Some(c), _) => c.to_owned(),
            (None, Some(d)) => d.clone(),
            (None, None) => String::new(),
        };
        groups.entry((f.rule.code, place)).or_default().push(i);
    }
    let index = ws.index();
    let mut actions: Vec<Action> = groups
        .into_values()
        .map(|idx| {
            let f = &findings[idx[0]];
            let worst = idx
                .iter()
                .map(|i| all[*i].classification)
                .min()
                .unwrap_or(f.classification);
            let control_owner = f.at_control.and_then(|c| {
                soa.iter()
                    .find(|t| t.str("id").map(str::trim) == Some(c))
                    .and_then(|t| t.str("owner"))
            });
            let doc_owner = f
                .document
                .as_deref()
                .and_then(|d| index.get(d))
                .and_then(|d| d.owner());
            let owner = control_owner
                .or(doc_owner)
                .map(|o| describe_owner(ws, o.trim()))
                .unwrap_or_else(|| describe_owner(ws, default_owner(ws, f)));
            Action {
                priority: 0,
                classification: worst,
                code: f.rule.code,
                reference: reference(&all[idx[0]]),
                document: f.document.clone(),
                action: f.rule.fix.to_owned(),
                owner,
                remediation: remediation(f.rule.code).0,
                findings: idx.iter().map(|i| findings[*i].message.clone()).collect(),
            }
        })
        .collect();
    // Severity first; within a severity the longest remediation starts first.
    actions.sort_by(|a, b| {
        (
            a.classification,
            std::cmp::Reverse(remediation(a.code).1),
            a.code,
            &a.document,
        )
            .cmp(&(
                b.classification,
                std::cmp::Reverse(remediation(b.code).1),
                b.code,
                &b.document,
            ))
    });
    for (i, a) in actions.iter_mut().enumerate() {
        a.priority = i + 1;
    }
    actions
}

/// Who owns closing a gap that no document's owner answers for.
fn default_owner<'a>(ws: &'a Workspace, f: &Finding) -> &'a str {
    let wanted = match f.clause() {
        Some(c) if c.starts_with('5') || c.starts_with("6.1.3") || c.starts_with("9.3") => {
            "top-management"
        }
        Some(c) if c.starts_with("9.2") => "internal-auditor",
        Some(c)
            if c.starts_with("7.5") && f.document.as_deref() == Some(crate::control::CONFIG_ID) =>
        {
            "top-management"
        }
        _ => "ai-governance-lead",
    };
    ws.config
        .roles
        .get_key_value(wanted)
        .or_else(|| ws.config.roles.get_key_value("ai-governance-lead"))
        .or_else(|| ws.config.roles.get_key_value("top-management"))
        .map_or("the AIMS owner", |(k, _)| k.as_str())
}

/// "alice@x" or "top-management (dana@x, marco@x)".
fn describe_owner(ws: &Workspace, owner: &str) -> String {
    match ws.config.roles.get(owner) {
        Some(members) if !members.is_empty() => format!("{owner} ({})", members.join(", ")),
        Some(_) => format!("{owner} (no members)"),
        None => owner.to_owned(),
    }
}

fn coverage(fw: crosswalk::Framework, controls: &[ControlVerdict]) -> Coverage {
    let parts = fw
        .parts()
        .iter()
        .map(|p| {
            let mapped: Vec<(&'static str, Verdict)> = controls
                .iter()
                .filter(|c| fw.of(c.id).contains(&p.id))
                .map(|c| (c.id, c.verdict))
                .collect();
            PartCoverage {
                id: p.id,
                name: p.name,
                about: p.about,
                conforming: mapped
                    .iter()
                    .filter(|(_, v)| matches!(v, Verdict::Conformity | Verdict::Observation))
                    .count(),
                nonconforming: mapped
                    .iter()
                    .filter(|(_, v)| {
                        matches!(v, Verdict::MajorNonconformity | Verdict::MinorNonconformity)
                    })
                    .count(),
                not_evidenced: mapped
                    .iter()
                    .filter(|(_, v)| *v == Verdict::NotEvidenced)
                    .count(),
                not_applicable: mapped
                    .iter()
                    .filter(|(_, v)| *v == Verdict::NotApplicable)
                    .count(),
                controls: mapped,
            }
        })
        .collect();
    Coverage {
        framework: fw.id(),
        name: fw.name(),
        parts,
    }
}
