//! GitHub Actions workflow commands: one annotation per finding.
//!
//! Escaping follows the runner's rules: in the message, `%`, CR and LF are
//! percent-encoded; in properties (file, title), `:` and `,` are as well.

use std::io::{self, Write};

use crate::finding::{Classification, Finding, Summary};

pub fn render(findings: &[Finding], out: &mut dyn Write) -> io::Result<()> {
    for f in findings {
        let level = match f.classification {
            Classification::Major | Classification::Minor => "error",
            Classification::Observation => "warning",
            Classification::Improvement => "notice",
        };
        let mut props = Vec::new();
        if let Some(path) = &f.path {
            props.push(format!("file={}", escape_property(path)));
            if let Some(line) = f.line {
                props.push(format!("line={line}"));
            }
            if let Some(col) = f.column {
                props.push(format!("col={col}"));
            }
        }
        let title = format!(
            "{} {} ({})",
            f.rule.code,
            f.rule.name,
            f.classification.label()
        );
        props.push(format!("title={}", escape_property(&title)));
        let mut message = f.message.clone();
        if let Some(help) = &f.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        writeln!(
            out,
            "::{level} {}::{}",
            props.join(","),
            escape_data(&message)
        )?;
    }
    writeln!(out, "aims: {}", Summary::of(findings))
}

pub fn escape_data(s: &str) -> String {
    crate::safe::github_data(s)
}

pub fn escape_property(s: &str) -> String {
    crate::safe::github_property(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_expects() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_data("a: b, c"), "a: b, c");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
