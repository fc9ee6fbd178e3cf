//! Outputs of `aims check`. Each format renders the same findings; none of
//! them derives facts of its own.

mod github;
pub mod gitlab;
mod grouped;
mod human;
pub use human::handler as human_handler;
pub mod json;
pub mod markdown;
pub mod register;
mod sarif;
pub mod schemas;
pub mod snippet;

use std::io::{self, Write};

use crate::finding::Finding;
use crate::workspace::Workspace;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Diagnostics for a terminal, pointing into each file.
    Human,
    /// `aims.check/v1` JSON, for scripts.
    Json,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// GitHub Actions workflow commands (annotations on the PR diff).
    Github,
    /// A Markdown report, for job summaries and PR comments.
    Markdown,
    /// GitLab Code Quality JSON, for a `codequality` report artifact
    /// (merge-request widget and pipeline tab).
    Gitlab,
}

pub struct Options {
    /// Colours and Unicode art in human output.
    pub color: bool,
}

pub fn render(
    format: Format,
    findings: &[Finding],
    ws: &Workspace,
    opts: &Options,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::render(findings, ws, opts, out),
        Format::Json => json::render(findings, out),
        Format::Sarif => sarif::render(findings, &ws.config.rule_overrides, out),
        Format::Github => github::render(findings, out),
        Format::Markdown => markdown::render(findings, ws, out),
        Format::Gitlab => gitlab::render(findings, out),
    }
}
