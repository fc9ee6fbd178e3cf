//! The rule catalogue.
//!
//! Each rule is a constant next to the code that checks it, carrying its own
//! documentation: what it checks, why an auditor cares, how to fix it. That
//! one text feeds `aims rules`, `aims explain`, the SARIF rule descriptions
//! and the README. [`ALL`] is the registry; a unit test proves codes are
//! unique and every rule is documented.

pub mod content;
pub mod control;
pub mod document;

use serde::Serialize;

use crate::control::Register;
use crate::finding::{Classification, Finding};
use crate::workspace::Workspace;

#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable code, e.g. `DOC005`. Never reused for another meaning.
    pub code: &'static str,
    /// Stable kebab-case name, e.g. `missing-field`.
    pub name: &'static str,
    pub summary: &'static str,
    /// What the rule checks.
    pub what: &'static str,
    /// Why a certification auditor cares.
    pub why: &'static str,
    /// How to fix a finding.
    pub fix: &'static str,
    /// ISO 42001 clause the rule evidences.
    pub clause: Option<&'static str>,
    /// Annex A control the rule evidences.
    pub control: Option<&'static str>,
    /// Default classification; `[rules]` in `aims.toml` may change it.
    pub classification: Classification,
}

impl Rule {
    /// The clause and/or control, as reports print them: "7.5.2", "A.5.2" or both.
    pub fn reference(&self) -> String {
        [self.clause, self.control]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The full explanation, as `aims explain` prints it.
    pub fn explanation(&self) -> String {
        format!(
            "What it checks: {}\n\nWhy an auditor cares: {}\n\nHow to fix it: {}",
            self.what, self.why, self.fix
        )
    }
}

/// Every rule, in code order.
pub static ALL: &[&Rule] = &[
    &control::NEVER_APPROVED,
    &control::CHANGED_SINCE_APPROVAL,
    &control::APPROVAL_INVALID,
    &control::SELF_APPROVAL,
    &control::APPROVER_LACKS_ROLE,
    &control::REVIEW_OVERDUE,
    &control::CONFIG_UNAPPROVED,
    &control::DERIVED_CONTRADICTED,
    &control::UNAPPROVED_ON_PROTECTED,
    &control::TAG_OUTSIDE_NAMESPACE,
    &control::SIGNER_LINE_UNREADABLE,
    &control::WILDCARD_SIGNER,
    &document::FRONTMATTER_MISSING,
    &document::FRONTMATTER_UNTERMINATED,
    &document::FRONTMATTER_INVALID,
    &document::UNREADABLE,
    &document::MISSING_FIELD,
    &document::INVALID_VALUE,
    &document::UNKNOWN_FIELD,
    &document::UNKNOWN_KIND,
    &document::DUPLICATE_ID,
    &document::UNRESOLVED_REFERENCE,
    &document::MISSING_SECTION,
    &document::DERIVED_FIELD,
    &document::ENCODING,
    &content::SCOPE_MISSING,
    &content::SYSTEM_NOT_SCOPED,
    &content::POLICY_MISSING,
    &content::POLICY_INADEQUATE,
    &content::POLICY_NOT_TOP_MANAGEMENT,
    &content::ROLE_WITHOUT_MEMBERS,
    &content::RISK_METHOD_MISSING,
    &content::RISK_OFF_SCALE,
    &content::RISK_UNTREATED,
    &content::RESIDUAL_NOT_ACCEPTED,
    &content::RISK_DIMENSIONS,
    &content::SOA_INCOMPLETE,
    &content::SOA_DECORATIVE,
    &content::SOA_UNTRACED,
    &content::IMPACT_MISSING,
    &content::IMPACT_INCOMPLETE,
    &content::IMPACT_OUTDATED,
    &content::OBJECTIVE_NOT_MEASURABLE,
    &content::COMPETENCE_INCOMPLETE,
    &content::AUDIT_PROGRAMME,
    &content::AUDITOR_NOT_INDEPENDENT,
    &content::REVIEW_MISSING,
    &content::REVIEW_WEAK,
    &content::NC_OVERDUE,
    &content::NC_UNVERIFIED,
    &content::PRD_WITHOUT_AIMS,
    &content::CLAUSE_NOT_EVIDENCED,
    &content::TEMPLATE_RESIDUE,
    &content::ELEMENT_MISSING,
    &content::TREATMENT_OVERDUE,
    &content::RECORDS_DISAGREE,
    &content::SOURCE_UNAVAILABLE,
    &content::NOT_A_PRD,
];

/// True for a rule family's prefix, `CTL`, `DOC` or `ISO` (any case).
pub fn is_family(prefix: &str) -> bool {
    prefix.len() == 3 && ALL.iter().any(|r| r.code[..3].eq_ignore_ascii_case(prefix))
}

pub fn find(code: &str) -> Option<&'static Rule> {
    ALL.iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code) || r.name == code)
}

/// Runs every rule over the workspace (and, where there is a git history,
/// its document-control register), applies the configuration's overrides,
/// and returns the findings in report order. Without a register the
/// content rules judge as of today and skip what only git can tell.
pub fn check(ws: &Workspace, register: Option<&Register>) -> Vec<Finding> {
    let mut findings = Vec::new();
    document::check(ws, &mut findings);
    if let Some(register) = register {
        control::check(ws, register, &mut findings);
    }
    let as_of = register.map_or_else(
        || crate::date::Date::from_unix(crate::control::now()),
        |r| r.as_of,
    );
    content::check(ws, register, as_of, &mut findings);
    finish(ws, findings)
}

/// The document rules alone (frontmatter, schema, references): what the
/// pre-commit gate judges a staged change by.
pub fn check_documents(ws: &Workspace) -> Vec<Finding> {
    let mut findings = Vec::new();
    document::check(ws, &mut findings);
    finish(ws, findings)
}

/// [`check_documents`] for the documents `ws` holds, references resolved
/// against `targets` (see [`document::check_with`]).
pub fn check_documents_with(ws: &Workspace, targets: &document::Targets<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    document::check_with(ws, targets, &mut findings);
    finish(ws, findings)
}

/// Applies aims.toml's `[rules]` settings and sorts into report order.
pub fn finish(ws: &Workspace, mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.retain_mut(|f| match ws.config.rule_setting(f.rule.code) {
        Some(None) => false,
        Some(Some(c)) => {
            f.classification = c;
            true
        }
        None => true,
    });
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings
}

/// `aims rules --format json`.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct RulesJson {
    #[schemars(extend("const" = "aims.rules/v1"))]
    pub schema: &'static str,
    pub rules: Vec<RuleJson>,
}

/// JSON form of a rule (`aims rules --format json`, schema `aims.rules/v1`).
#[derive(Serialize, schemars::JsonSchema)]
pub struct RuleJson {
    pub code: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    pub explanation: String,
    pub clause: Option<&'static str>,
    pub control: Option<&'static str>,
    pub classification: Classification,
}

impl From<&Rule> for RuleJson {
    fn from(r: &Rule) -> RuleJson {
        RuleJson {
            code: r.code,
            name: r.name,
            summary: r.summary,
            explanation: r.explanation(),
            clause: r.clause,
            control: r.control,
            classification: r.classification,
        }
    }
}

/// The rule list as a Markdown table (kept in the README; a test fails when
/// the two differ).
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| code | name | classification | clause | summary |\n|---|---|---|---|---|\n",
    );
    for r in ALL {
        let reference = r.reference();
        out.push_str(&format!(
            "| `{}` | {} | {} | {reference} | {} |\n",
            r.code,
            r.name,
            r.classification.as_str(),
            r.summary
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut codes = HashSet::new();
        let mut names = HashSet::new();
        for r in ALL {
            assert!(codes.insert(r.code), "duplicate code {}", r.code);
            assert!(names.insert(r.name), "duplicate name {}", r.name);
            assert!(
                r.code.len() == 6
                    && r.code[..3].chars().all(|c| c.is_ascii_uppercase())
                    && r.code[3..].chars().all(|c| c.is_ascii_digit()),
                "{}",
                r.code
            );
            assert!(crate::config::is_role_name(r.name), "{}", r.name);
        }
        let mut sorted: Vec<_> = ALL.iter().map(|r| r.code).collect();
        sorted.sort();
        assert_eq!(
            sorted,
            ALL.iter().map(|r| r.code).collect::<Vec<_>>(),
            "ALL is in code order"
        );
    }

    /// Every `rule!` in the sources is in ALL (an unregistered rule has
    /// no `aims explain`, no SARIF descriptor, and cannot be configured).
    #[test]
    fn every_rule_is_registered() {
        let mut defined = Vec::new();
        for entry in walkdir::WalkDir::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src/rules")) {
            let entry = entry.unwrap();
            if entry.path().extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                // `rule!(NAME, "ISO001", ...)` and `Rule { code: "CTL001", ...`.
                for marker in ["rule!(", "code: \""] {
                    for part in text.split(marker).skip(1) {
                        let code = part
                            .split('"')
                            .nth(usize::from(marker == "rule!("))
                            .unwrap_or("");
                        if code.len() == 6 && code[3..].chars().all(|c| c.is_ascii_digit()) {
                            defined.push(code.to_owned());
                        }
                    }
                }
            }
        }
        assert!(defined.len() > 40, "{defined:?}");
        for code in defined {
            assert!(
                ALL.iter().any(|r| r.code == code),
                "{code} is not in rules::ALL"
            );
        }
    }

    #[test]
    fn every_rule_is_documented() {
        for r in ALL {
            for (part, text) in [
                ("summary", r.summary),
                ("what", r.what),
                ("why", r.why),
                ("fix", r.fix),
            ] {
                assert!(text.trim().len() >= 20, "{} has no real {part}", r.code);
                assert!(
                    text.trim_end().ends_with('.') == (part != "summary"),
                    "{} {part} punctuation",
                    r.code
                );
            }
            assert!(
                r.clause.is_some() || r.control.is_some(),
                "{} names no clause or control",
                r.code
            );
            if let Some(c) = r.clause {
                assert!(
                    crate::catalog::clause(c).is_some(),
                    "{}: unknown clause {c}",
                    r.code
                );
            }
            if let Some(c) = r.control {
                assert!(
                    crate::catalog::control(c).is_some(),
                    "{}: unknown control {c}",
                    r.code
                );
            }
        }
    }

    #[test]
    fn find_by_code_or_name() {
        assert_eq!(find("doc005").map(|r| r.code), Some("DOC005"));
        assert_eq!(find("missing-field").map(|r| r.code), Some("DOC005"));
        assert!(find("XYZ").is_none());
    }
}
