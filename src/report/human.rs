//! Terminal output: a miette diagnostic per finding, pointing at the file's
//! own line and column; many findings of one rule as one item listing
//! where they are; then what to do, by cause, and a one-line summary.

use std::io::{self, Write};

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource, Report,
    Severity,
};

use super::Options;
use crate::finding::{Classification, Finding, Summary};
use crate::workspace::Workspace;

pub fn render(
    findings: &[Finding],
    ws: &Workspace,
    opts: &Options,
    out: &mut dyn Write,
) -> io::Result<()> {
    let handler = handler(opts.color);
    let render_one = |f: &Finding, out: &mut dyn Write| -> io::Result<()> {
        let severity = match f.classification {
            Classification::Major | Classification::Minor => Severity::Error,
            Classification::Observation => Severity::Warning,
            Classification::Improvement => Severity::Advice,
        };
        let reference = f.rule.reference();
        let code = format!(
            "{} {} · {} · {reference}",
            f.rule.code,
            f.rule.name,
            f.classification.label()
        );
        let source = f.path.as_deref().and_then(|p| ws.source(p).map(|s| (p, s)));
        let message = match (&f.path, &f.span, f.line) {
            (Some(path), None, Some(line)) => format!("{path}:{line}: {}", f.message),
            (Some(path), None, None) => format!("{path}: {}", f.message),
            _ => f.message.clone(),
        };
        let message = crate::safe::terminal(&message).into_owned();
        let mut diag = MietteDiagnostic::new(message)
            .with_code(code)
            .with_severity(severity);
        if let Some(help) = &f.help {
            diag = diag.with_help(crate::safe::terminal(help).into_owned());
        }
        // A span on a very long line gets an excerpt, not a snippet.
        let excerpt = match (source, &f.span) {
            (Some((_, text)), Some(span)) => super::snippet::excerpt(text, span),
            _ => None,
        };
        if let (Some(e), Some(path)) = (&excerpt, &f.path) {
            diag = MietteDiagnostic::new(format!("{path}, {e}: {}", f.message))
                .with_code(diag.code.clone().unwrap_or_default())
                .with_severity(severity);
            if let Some(help) = &f.help {
                diag = diag.with_help(help.clone());
            }
        }
        let report = match (source, &f.span) {
            (Some((path, text)), Some(span)) if !text.is_empty() && excerpt.is_none() => {
                let label = f.document.as_deref().map(|id| format!("in {id}"));
                diag = diag.with_label(LabeledSpan::new_with_span(label, span.clone()));
                Report::new(diag).with_source_code(NamedSource::new(path, text.to_owned()))
            }
            _ => Report::new(diag),
        };
        let mut text = String::new();
        handler
            .render_report(&mut text, report.as_ref())
            .map_err(|e| io::Error::other(e.to_string()))?;
        out.write_all(text.as_bytes())?;
        writeln!(out)
    };
    let groups = super::grouped::groups(findings);
    for g in &groups {
        if !g.is_grouped() {
            for f in &g.findings {
                render_one(f, out)?;
            }
            continue;
        }
        let f = g.first();
        writeln!(
            out,
            "{} {} · {} · {} — {} findings",
            f.rule.code,
            f.rule.name,
            f.classification.label(),
            f.rule.reference(),
            g.findings.len()
        )?;
        let width = g
            .findings
            .iter()
            .take(super::grouped::SHOWN)
            .map(|f| super::grouped::place(f).chars().count())
            .max()
            .unwrap_or(0);
        for f in g.findings.iter().take(super::grouped::SHOWN) {
            let place = super::grouped::place(f);
            if width == 0 {
                writeln!(out, "  {}", f.message)?;
            } else {
                writeln!(out, "  {place:<width$}  {}", f.message)?;
            }
        }
        let more = g.findings.len().saturating_sub(super::grouped::SHOWN);
        if more > 0 {
            writeln!(
                out,
                "  … and {more} more (`aims check --format json` lists every finding)"
            )?;
        }
        if let Some(help) = &f.help {
            writeln!(out, "  help, for the first: {help}")?;
        }
        writeln!(
            out,
            "  `aims explain {}` says how to fix them\n",
            f.rule.code
        )?;
    }
    let causes = super::grouped::causes(findings);
    if findings.len() >= super::grouped::GROUP_FROM && causes.len() > 1 {
        writeln!(out, "To do, by cause:")?;
        for c in &causes {
            writeln!(
                out,
                "  {:>4} × {:<20} {} ({})",
                c.count,
                c.worst.label(),
                c.what,
                c.codes.join(", ")
            )?;
        }
        writeln!(out)?;
    }
    let documents = ws.file_count();
    let plural = if documents == 1 { "" } else { "s" };
    writeln!(
        out,
        "aims: {} in {documents} document{plural}",
        Summary::of(findings)
    )
}

pub fn handler(color: bool) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme).with_width(100)
}
