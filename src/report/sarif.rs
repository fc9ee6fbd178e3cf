//! SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning and
//! others). Every rule of the catalogue is listed, so rule indices are
//! stable across runs; URIs are relative to the repository root.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{Value, json};

use crate::config;
use crate::finding::{Classification, Finding};
use crate::rules::{ALL, Rule};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(c: Classification) -> &'static str {
    match c {
        Classification::Major | Classification::Minor => "error",
        Classification::Observation => "warning",
        Classification::Improvement => "note",
    }
}

/// A rule as configured: its classification after `[rules]` in aims.toml,
/// or `None` when the configuration turns it off.
fn rule_json(r: &Rule, overrides: &Overrides) -> Value {
    let setting = overrides
        .get(r.code)
        .or_else(|| overrides.get(&r.code[..3]))
        .copied()
        .unwrap_or(Some(r.classification));
    let classification = setting.unwrap_or(r.classification);
    let mut tags = vec!["iso42001".to_owned(), classification.as_str().to_owned()];
    tags.extend(r.clause.map(|c| format!("clause-{c}")));
    tags.extend(r.control.map(|c| format!("control-{c}")));
    json!({
        "id": r.code,
        "name": r.name,
        "shortDescription": { "text": r.summary },
        "fullDescription": { "text": r.explanation() },
        "help": {
            "text": r.fix,
            "markdown": format!("**What it checks.** {}\n\n**Why an auditor cares.** {}\n\n**How to fix it.** {}", r.what, r.why, r.fix),
        },
        "defaultConfiguration": { "level": level(classification), "enabled": setting.is_some() },
        "properties": {
            "tags": tags,
            "classification": classification,
            "clause": r.clause,
            "control": r.control,
        },
    })
}

fn result_json(f: &Finding) -> Value {
    let index = ALL
        .iter()
        .position(|r| std::ptr::eq(*r, f.rule))
        .expect("every rule is registered in ALL");
    let mut message = f.message.clone();
    if let Some(help) = &f.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    // Code scanning needs a location for every result; findings about the
    // AIMS as a whole point at its configuration.
    let uri = encode_uri_path(f.path.as_deref().unwrap_or(config::FILE_NAME));
    let mut region = serde_json::Map::new();
    region.insert("startLine".into(), json!(f.line.unwrap_or(1)));
    if let Some(col) = f.column {
        region.insert("startColumn".into(), json!(col));
    }
    json!({
        "ruleId": f.rule.code,
        "ruleIndex": index,
        "level": level(f.classification),
        "message": { "text": message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri, "uriBaseId": "%SRCROOT%" },
                "region": region,
            },
        }],
        "properties": {
            "classification": f.classification,
            "clause": f.clause(),
            "control": f.control(),
            "document": f.document,
        },
    })
}

/// Percent-encodes a relative path for a SARIF URI, keeping `/`.
fn encode_uri_path(path: &str) -> String {
    crate::safe::percent(path, b"-._~/")
}

type Overrides = BTreeMap<String, Option<Classification>>;

pub fn render(findings: &[Finding], overrides: &Overrides, out: &mut dyn Write) -> io::Result<()> {
    let sarif = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "aims",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/aims-compliance/aims",
                    "rules": ALL.iter().map(|r| rule_json(r, overrides)).collect::<Vec<_>>(),
                },
            },
            "columnKind": "unicodeCodePoints",
            "results": findings.iter().map(result_json).collect::<Vec<_>>(),
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &sarif)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            super::encode_uri_path("aims/AI policy #2.md"),
            "aims/AI%20policy%20%232.md"
        );
        assert_eq!(super::encode_uri_path("aims/é.md"), "aims/%C3%A9.md");
    }
}
