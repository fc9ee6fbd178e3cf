//! Findings: what a rule reports, classified the way a certification auditor
//! classifies audit results.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use serde::Serialize;

use crate::rules::Rule;

/// Audit classification, most severe first (so `Ord` sorts by severity).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Classification {
    /// Major nonconformity: a requirement is not met at all, or the system
    /// has broken down; the certificate is withheld until it is closed.
    Major,
    /// Minor nonconformity: a lapse that does not undermine the system;
    /// certification can proceed with a corrective-action plan.
    Minor,
    /// Observation: not yet a nonconformity, but could become one.
    Observation,
    /// Opportunity for improvement.
    Improvement,
}

impl Classification {
    pub const ALL: [Classification; 4] = [
        Classification::Major,
        Classification::Minor,
        Classification::Observation,
        Classification::Improvement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Major => "major",
            Classification::Minor => "minor",
            Classification::Observation => "observation",
            Classification::Improvement => "improvement",
        }
    }

    /// How an auditor's report would say it.
    pub fn label(self) -> &'static str {
        match self {
            Classification::Major => "major nonconformity",
            Classification::Minor => "minor nonconformity",
            Classification::Observation => "observation",
            Classification::Improvement => "opportunity for improvement",
        }
    }

    /// True when a finding of this classification is at least as severe as `threshold`.
    pub fn at_least(self, threshold: Classification) -> bool {
        self <= threshold
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Classification {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Classification::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "`{s}` is not a classification; use major, minor, observation or improvement"
                )
            })
    }
}

/// One gap found by one rule.
#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static Rule,
    /// The rule's classification after `[rules]` in `aims.toml` is applied.
    pub classification: Classification,
    pub message: String,
    /// Id of the document concerned, when known.
    pub document: Option<String>,
    /// Repository-relative path, `/`-separated.
    pub path: Option<String>,
    /// Byte range in the file, for diagnostics that point into it.
    pub span: Option<Range<usize>>,
    /// 1-based line and column (in characters) of the span's start.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// What to do about it, in one line.
    pub help: Option<String>,
    /// The clause this finding concerns, where it is narrower than the
    /// rule's (e.g. 5.2 for a content rule that spans several clauses).
    pub at_clause: Option<&'static str>,
    /// The Annex A control this finding concerns, where the rule is about
    /// controls in general (an SoA entry without evidence names its control).
    pub at_control: Option<&'static str>,
    /// What it follows from, when findings of several rules share one
    /// cause (documents not approved yet, template text): reports group
    /// them into one item to do.
    pub cause: Option<&'static str>,
}

/// The causes findings share (see [`Finding::cause`]).
pub mod causes {
    pub const NOT_APPROVED: &str = "documents not approved yet: `aims approve --all-changed` by an approver (see `aims status`)";
    pub const TEMPLATE: &str = "template text not yet rewritten with your organisation's reality";
}

impl Finding {
    pub fn new(rule: &'static Rule, message: impl Into<String>) -> Finding {
        Finding {
            rule,
            classification: rule.classification,
            message: message.into(),
            document: None,
            path: None,
            span: None,
            line: None,
            column: None,
            help: None,
            at_clause: None,
            at_control: None,
            cause: None,
        }
    }

    /// Marks the finding as following from `cause` (see [`Finding::cause`]).
    pub fn because(mut self, cause: &'static str) -> Finding {
        self.cause = Some(cause);
        self
    }

    /// What to do about it, in one line.
    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    pub fn document(mut self, id: Option<&str>) -> Finding {
        self.document = id.map(str::to_owned);
        self
    }

    /// Places the finding in a file; `span` is a byte range in `source`.
    pub fn at(mut self, path: &str, source: &str, span: Option<Range<usize>>) -> Finding {
        match span {
            Some(span) => self.at_indexed(path, source, &LineIndex::new(source), span),
            None => {
                self.path = Some(path.to_owned());
                self
            }
        }
    }

    /// Like [`Finding::at`], with the file's line index already built.
    pub fn at_indexed(
        mut self,
        path: &str,
        source: &str,
        lines: &LineIndex,
        span: Range<usize>,
    ) -> Finding {
        let (line, column) = lines.line_col(source, span.start);
        self.path = Some(path.to_owned());
        self.line = Some(line);
        self.column = Some(column);
        self.span = Some(span);
        self
    }

    /// Places the finding on a line when no byte span is known.
    pub fn at_line(mut self, path: &str, line: usize) -> Finding {
        self.path = Some(path.to_owned());
        self.line = Some(line);
        self.column = Some(1);
        self
    }

    pub fn clause(&self) -> Option<&'static str> {
        self.at_clause.or(self.rule.clause)
    }

    pub fn control(&self) -> Option<&'static str> {
        self.at_control.or(self.rule.control)
    }

    /// Files the finding under a catalogue clause (ignored when unknown).
    pub fn under_clause(mut self, id: &str) -> Finding {
        self.at_clause = crate::catalog::clause(id).map(|c| c.id);
        self
    }

    /// Files the finding under an Annex A control (ignored when unknown).
    pub fn under_control(mut self, id: &str) -> Finding {
        self.at_control = crate::catalog::control(id).map(|c| c.id);
        self
    }

    /// Sets this finding's classification (a rule whose gaps differ in
    /// weight, e.g. a missing document against an incomplete one).
    pub fn classified(mut self, c: Classification) -> Finding {
        self.classification = c;
        self
    }

    /// What a finding is, apart from where in its file it sits: rule,
    /// document, path and message. An edit above a finding moves its line
    /// but not this, so it matches a finding across two runs or two
    /// commits (the pull-request comment's "introduced" and "resolved",
    /// the GitLab report's fingerprints).
    pub fn identity(&self) -> (&'static str, Option<&str>, Option<&str>, &str) {
        (
            self.rule.code,
            self.document.as_deref(),
            self.path.as_deref(),
            &self.message,
        )
    }

    /// Order of every report: by file, position, then code.
    pub fn sort_key(&self) -> (Option<&str>, usize, usize, &'static str, &str) {
        (
            self.path.as_deref(),
            self.line.unwrap_or(0),
            self.column.unwrap_or(0),
            self.rule.code,
            &self.message,
        )
    }
}

/// 1-based line and column (counted in characters) of byte `offset`.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(source).line_col(source, offset)
}

/// Where each line starts, so that many findings in one file are located
/// in logarithmic time rather than by rescanning the file for each.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(source: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(
                source
                    .bytes()
                    .enumerate()
                    .filter(|(_, b)| *b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        LineIndex { starts }
    }

    /// 1-based line and column (in characters) of byte `offset` in `source`.
    pub fn line_col(&self, source: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(source, offset.min(source.len()));
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        (line, source[start..offset].chars().count() + 1)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Counts by classification.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub major: usize,
    pub minor: usize,
    pub observation: usize,
    pub improvement: usize,
}

impl Summary {
    pub fn of(findings: &[Finding]) -> Summary {
        let mut s = Summary::default();
        for f in findings {
            *s.slot(f.classification) += 1;
        }
        s
    }

    fn slot(&mut self, c: Classification) -> &mut usize {
        match c {
            Classification::Major => &mut self.major,
            Classification::Minor => &mut self.minor,
            Classification::Observation => &mut self.observation,
            Classification::Improvement => &mut self.improvement,
        }
    }

    pub fn count(&self, c: Classification) -> usize {
        match c {
            Classification::Major => self.major,
            Classification::Minor => self.minor,
            Classification::Observation => self.observation,
            Classification::Improvement => self.improvement,
        }
    }

    pub fn total(&self) -> usize {
        self.major + self.minor + self.observation + self.improvement
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.total() == 0 {
            return f.write_str("no findings");
        }
        let parts: Vec<String> = Classification::ALL
            .into_iter()
            .filter(|&c| self.count(c) > 0)
            .map(|c| {
                let n = self.count(c);
                let label = match (c, n) {
                    (c, 1) => c.label(),
                    (Classification::Major, _) => "major nonconformities",
                    (Classification::Minor, _) => "minor nonconformities",
                    (Classification::Observation, _) => "observations",
                    (Classification::Improvement, _) => "opportunities for improvement",
                };
                format!("{n} {label}")
            })
            .collect();
        f.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let s = "ab\ncé\nxyz";
        assert_eq!(line_col(s, 0), (1, 1));
        assert_eq!(line_col(s, 3), (2, 1));
        // 'é' is two bytes; the 'x' on line 3 starts at byte 7.
        assert_eq!(line_col(s, 7), (3, 1));
        assert_eq!(line_col(s, 5), (2, 2));
        assert_eq!(line_col(s, 99), (3, 4));
    }

    #[test]
    fn summary_reads_like_an_audit_report() {
        assert_eq!(Summary::default().to_string(), "no findings");
        let s = Summary {
            major: 2,
            minor: 1,
            observation: 0,
            improvement: 3,
        };
        assert_eq!(
            s.to_string(),
            "2 major nonconformities, 1 minor nonconformity, 3 opportunities for improvement"
        );
    }

    #[test]
    fn severity_order() {
        assert!(Classification::Major.at_least(Classification::Minor));
        assert!(Classification::Minor.at_least(Classification::Minor));
        assert!(!Classification::Observation.at_least(Classification::Minor));
    }
}
