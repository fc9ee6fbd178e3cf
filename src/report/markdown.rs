//! A Markdown report: summary line, one table row per finding (one row
//! for many findings of one rule), then what to do, by cause.

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
    let row = |f: &Finding, lead: Option<String>, out: &mut dyn Write| -> io::Result<()> {
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
        let mut text = match lead {
            Some(lead) => format!("{lead}{}", cell(&f.message)),
            None => cell(&f.message),
        };
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
        )
    };
    for g in super::grouped::groups(findings) {
        if !g.is_grouped() {
            for f in &g.findings {
                row(f, None, out)?;
            }
            continue;
        }
        // Many findings of one rule: one row, the first in full, the
        // others by place.
        let places: Vec<String> = g
            .findings
            .iter()
            .skip(1)
            .take(super::grouped::SHOWN)
            .map(|f| format!("`{}`", super::grouped::place(f)))
            .collect();
        let more = g.findings.len().saturating_sub(super::grouped::SHOWN + 1);
        let also = format!(
            "also at {}{}<br>",
            places.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
        row(
            g.first(),
            Some(format!(
                "**{} findings.** {also}The first: ",
                g.findings.len()
            )),
            out,
        )?;
    }
    let causes = super::grouped::causes(findings);
    if findings.len() >= super::grouped::GROUP_FROM && causes.len() > 1 {
        writeln!(out, "\n**To do, by cause**\n")?;
        for c in &causes {
            writeln!(
                out,
                "- {} × {}: {} ({})",
                c.count,
                c.worst.label(),
                cell(&c.what),
                c.codes.join(", ")
            )?;
        }
    }
    writeln!(
        out,
        "\n`aims explain CODE` explains each rule: what it checks, why an auditor cares, how to fix it."
    )
}

/// Text safe inside a Markdown table cell.
pub fn cell(s: &str) -> String {
    crate::safe::markdown(&s.replace(['\r', '\n'], " "))
}
