//! A Markdown report: summary line, then one table row per finding.

use std::io::{self, Write};

use crate::finding::{Finding, Summary};
use crate::workspace::Workspace;

pub fn render(findings: &[Finding], ws: &Workspace, out: &mut dyn Write) -> io::Result<()> {
    let org = ws.config.organisation.as_deref().unwrap_or("AIMS");
    writeln!(out, "## aims check: {}\n", cell(org))?;
    let summary = Summary::of(findings);
    if findings.is_empty() {
        writeln!(out, "No findings: every rule passed.")?;
        return Ok(());
    }
    writeln!(out, "**{summary}**\n")?;
    writeln!(
        out,
        "| | Code | Clause / control | Document | Location | Finding |"
    )?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    for f in findings {
        let icon = match f.classification {
            crate::finding::Classification::Major => "🔴 major",
            crate::finding::Classification::Minor => "🟠 minor",
            crate::finding::Classification::Observation => "🟡 observation",
            crate::finding::Classification::Improvement => "🔵 improvement",
        };
        let reference = f.rule.reference();
        let location = match (&f.path, f.line) {
            (Some(p), Some(l)) => format!("`{p}:{l}`"),
            (Some(p), None) => format!("`{p}`"),
            _ => String::new(),
        };
        let mut text = cell(&f.message);
        if let Some(help) = &f.help {
            text.push_str("<br>*");
            text.push_str(&cell(help));
            text.push('*');
        }
        writeln!(
            out,
            "| {icon} | `{}` | {reference} | {} | {location} | {text} |",
            f.rule.code,
            f.document.as_deref().map(cell).unwrap_or_default(),
        )?;
    }
    writeln!(
        out,
        "\n`aims explain CODE` explains each rule: what it checks, why an auditor cares, how to fix it."
    )
}

/// Text safe inside a Markdown table cell.
pub fn cell(s: &str) -> String {
    s.replace('|', "\\|")
        .replace(['\r', '\n'], " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
