//! The commands behind the CLI. Each writes its output to `out` and returns
//! whether it found something that should fail the run; `main` maps that
//! to an exit code.

use std::io::Write;
use std::path::Path;

use miette::IntoDiagnostic;

use crate::catalog;
use crate::docs::Kind;
use crate::docs::schema::KINDS;
use crate::finding::Classification;
use crate::report::{self, Format};
use crate::rules::{self, RuleJson};
use crate::scaffold;
use crate::workspace::{self, Workspace};

/// How a command ended, when it could do its job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing at or above the failing classification.
    Clean,
    /// Findings at or above the failing classification.
    Findings,
}

pub struct CheckOptions {
    pub format: Format,
    pub fail_on: Classification,
    pub color: bool,
}

pub fn check(start: &Path, opts: &CheckOptions, out: &mut dyn Write) -> miette::Result<Outcome> {
    let root = workspace::discover(start)?;
    let ws = Workspace::open(&root)?;
    let findings = rules::check(&ws);
    report::render(
        opts.format,
        &findings,
        &ws,
        &report::Options { color: opts.color },
        out,
    )
    .into_diagnostic()?;
    let failing = findings
        .iter()
        .any(|f| f.classification.at_least(opts.fail_on));
    Ok(if failing {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

pub fn list_rules(format: ListFormat, out: &mut dyn Write) -> miette::Result<Outcome> {
    match format {
        ListFormat::Json => {
            let rules: Vec<RuleJson> = rules::ALL.iter().map(|r| RuleJson::from(*r)).collect();
            let doc = serde_json::json!({ "schema": "aims.rules/v1", "rules": rules });
            serde_json::to_writer_pretty(&mut *out, &doc).into_diagnostic()?;
            writeln!(out).into_diagnostic()?;
        }
        ListFormat::Text => {
            writeln!(out, "{:<7} {:<12} {:<8} SUMMARY", "CODE", "CLASS", "CLAUSE")
                .into_diagnostic()?;
            for r in rules::ALL {
                let reference = r.clause.or(r.control).unwrap_or("");
                writeln!(
                    out,
                    "{:<7} {:<12} {:<8} {}",
                    r.code,
                    r.classification.as_str(),
                    reference,
                    r.summary
                )
                .into_diagnostic()?;
            }
            writeln!(out, "\n`aims explain CODE` prints what a rule checks, why an auditor cares and how to fix it.")
                .into_diagnostic()?;
        }
    }
    Ok(Outcome::Clean)
}

pub fn explain(code: &str, out: &mut dyn Write) -> miette::Result<Outcome> {
    let Some(rule) = rules::find(code) else {
        let codes: Vec<&str> = rules::ALL.iter().map(|r| r.code).collect();
        let help = match rules::document::closest(code, &codes) {
            Some(c) => format!("did you mean {c}? `aims rules` lists every rule"),
            None => "`aims rules` lists every rule".to_owned(),
        };
        miette::bail!(help = help, "there is no rule `{code}`");
    };
    let mut text = format!("{} {}: {}\n\n", rule.code, rule.name, rule.summary);
    text.push_str(&format!(
        "Default classification: {}\n",
        rule.classification.label()
    ));
    if let Some(c) = rule.clause {
        let title = catalog::clause(c).map_or("", |c| c.title);
        text.push_str(&format!("ISO/IEC 42001 clause: {c} ({title})\n"));
    }
    if let Some(c) = rule.control {
        let title = catalog::control(c).map_or("", |c| c.title);
        text.push_str(&format!("Annex A control: {c} ({title})\n"));
    }
    text.push('\n');
    text.push_str(&rule.explanation());
    text.push_str(&format!(
        "\n\nTo change its classification or turn it off, in aims.toml:\n\n    [rules]\n    {} = \"observation\"   # or \"off\"\n",
        rule.code
    ));
    out.write_all(text.as_bytes()).into_diagnostic()?;
    Ok(Outcome::Clean)
}

pub fn init(opts: &scaffold::InitOptions, out: &mut dyn Write) -> miette::Result<Outcome> {
    let done = scaffold::init(opts)?;
    let mut text = format!(
        "Initialised an AIMS in {} ({} files).\n",
        done.root.display(),
        done.files.len()
    );
    if done.email_is_placeholder {
        text.push_str(
            "\nNo git user.email was found, so every role in aims.toml lists owner@example.org.\n\
             Replace it with the real members of each role (or rerun with --email).\n",
        );
    } else {
        text.push_str(&format!(
            "\nEvery role in aims.toml lists {} for now; add the real members.\n",
            done.email
        ));
    }
    text.push_str(
        "\nNext:\n  aims check            # every document rule should pass\n  \
         edit aims/…           # replace the guidance with your organisation's reality\n  \
         git add -A && git commit -m \"AIMS: initial documents\"\n",
    );
    out.write_all(text.as_bytes()).into_diagnostic()?;
    Ok(Outcome::Clean)
}

pub fn new(
    start: &Path,
    kind: &str,
    title: Option<String>,
    owner: Option<String>,
    out: &mut dyn Write,
) -> miette::Result<Outcome> {
    let Some(kind) = Kind::parse(kind) else {
        let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
        let help = match rules::document::closest(kind, &names) {
            Some(k) => format!("did you mean {k}? Kinds: {}", names.join(", ")),
            None => format!("kinds: {}", names.join(", ")),
        };
        miette::bail!(help = help, "`{kind}` is not a kind of document");
    };
    let root = workspace::discover(start)?;
    let ws = Workspace::open(&root)?;
    let (rel, id) = scaffold::new_document(&ws, &scaffold::NewOptions { kind, title, owner })?;
    writeln!(out, "Created {id} at {rel}").into_diagnostic()?;
    Ok(Outcome::Clean)
}
