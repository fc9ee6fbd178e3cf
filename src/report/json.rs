//! `aims.check/v1`: the stable JSON contract described in DESIGN.md.

use std::io::{self, Write};

use serde::Serialize;

use crate::finding::{Classification, Finding, Summary};

#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Check<'a> {
    #[schemars(extend("const" = "aims.check/v1"))]
    pub schema: &'static str,
    pub findings: Vec<FindingJson<'a>>,
    pub summary: Summary,
}

#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct FindingJson<'a> {
    pub code: &'static str,
    pub rule: &'static str,
    pub classification: Classification,
    pub message: &'a str,
    pub clause: Option<&'static str>,
    pub control: Option<&'static str>,
    pub document: Option<&'a str>,
    pub path: Option<&'a str>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub help: Option<&'a str>,
}

impl<'a> From<&'a Finding> for FindingJson<'a> {
    fn from(f: &'a Finding) -> Self {
        FindingJson {
            code: f.rule.code,
            rule: f.rule.name,
            classification: f.classification,
            message: &f.message,
            clause: f.clause(),
            control: f.control(),
            document: f.document.as_deref(),
            path: f.path.as_deref(),
            line: f.line,
            column: f.column,
            help: f.help.as_deref(),
        }
    }
}

pub fn render(findings: &[Finding], out: &mut dyn Write) -> io::Result<()> {
    let check = Check {
        schema: "aims.check/v1",
        findings: findings.iter().map(FindingJson::from).collect(),
        summary: Summary::of(findings),
    };
    serde_json::to_writer_pretty(&mut *out, &check)?;
    writeln!(out)
}
