//! GitLab Code Quality: the report a `codequality` artifact holds, shown in
//! the merge-request widget and the pipeline's Code Quality tab.
//!
//! GitLab's format (a subset of the CodeClimate issue format) has its own
//! fixed key names (`check_name`, `location.lines.begin`): like SARIF it
//! is an external contract, not one of aims's kebab-case `aims.*/v1`
//! outputs, and has no schema under `schemas/`; tests check every key
//! GitLab documents as required.
//!
//! A fingerprint is the SHA-256 of the finding's identity (rule, document,
//! path, message: see [`Finding::identity`]), never of its line, so an
//! edit above a finding does not make GitLab report it as new and fixed.
//! Findings with the same identity are told apart by their order.

use std::collections::HashMap;
use std::io::{self, Write};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config;
use crate::finding::{Classification, Finding};

/// One issue of the report, with GitLab's own key names.
#[derive(Serialize)]
pub struct Issue {
    pub description: String,
    pub check_name: String,
    pub fingerprint: String,
    pub severity: &'static str,
    pub location: Location,
    pub categories: [&'static str; 1],
}

#[derive(Serialize)]
pub struct Location {
    pub path: String,
    pub lines: Lines,
}

#[derive(Serialize)]
pub struct Lines {
    pub begin: usize,
}

/// GitLab's severities (`info` … `blocker`) from the audit classification:
/// a major nonconformity withholds the certificate, so it blocks.
pub fn severity(c: Classification) -> &'static str {
    match c {
        Classification::Major => "blocker",
        Classification::Minor => "major",
        Classification::Observation => "minor",
        Classification::Improvement => "info",
    }
}

/// The report's issues, in the findings' order.
pub fn issues(findings: &[Finding]) -> Vec<Issue> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    findings
        .iter()
        .map(|f| {
            let (code, document, path, message) = f.identity();
            let mut hash = Sha256::new();
            for part in [code, document.unwrap_or(""), path.unwrap_or(""), message] {
                hash.update(part.as_bytes());
                hash.update([0]);
            }
            let mut fingerprint = crate::history::hex(&hash.finalize());
            let n = seen.entry(fingerprint.clone()).or_insert(0);
            *n += 1;
            if *n > 1 {
                fingerprint = format!("{fingerprint}-{n}");
            }
            let mut description = format!("{} {}: {}", f.rule.code, f.rule.name, f.message);
            if let Some(help) = &f.help {
                description.push_str(" Help: ");
                description.push_str(help);
            }
            Issue {
                // Shown as text in GitLab's widgets: one line, no control
                // characters (see `aims::safe`).
                description: crate::safe::terminal(&description).into_owned(),
                check_name: f.rule.code.to_owned(),
                fingerprint,
                severity: severity(f.classification),
                location: Location {
                    // Findings about the AIMS as a whole point at its
                    // configuration, as in SARIF.
                    path: f.path.clone().unwrap_or_else(|| config::FILE_NAME.into()),
                    lines: Lines {
                        begin: f.line.unwrap_or(1),
                    },
                },
                categories: ["Compliance"],
            }
        })
        .collect()
}

pub fn render(findings: &[Finding], out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &issues(findings))?;
    writeln!(out)
}
