//! Terminal output: a miette diagnostic per finding, pointing at the file's
//! own line and column, then a one-line summary.

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
    for f in findings {
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
        let mut diag = MietteDiagnostic::new(message)
            .with_code(code)
            .with_severity(severity);
        if let Some(help) = &f.help {
            diag = diag.with_help(help.clone());
        }
        let report = match (source, &f.span) {
            (Some((path, text)), Some(span)) if !text.is_empty() => {
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
        writeln!(out)?;
    }
    let documents = ws.loaded.len();
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
