//! Findings as a to-do list, for the reports people read: findings of one
//! rule and classification are one item when there are many of them, and
//! a closing summary counts them by cause. JSON, SARIF and GitHub output
//! keep every finding apart.

use crate::finding::{Classification, Finding};

/// More findings of one rule and weight than this print as one item.
pub const GROUP_FROM: usize = 4;
/// Lines a grouped item lists before it says how many more there are.
pub const SHOWN: usize = 8;

/// A rule's findings of one classification, in report order.
pub struct Group<'a> {
    pub findings: Vec<&'a Finding>,
}

impl Group<'_> {
    pub fn first(&self) -> &Finding {
        self.findings[0]
    }

    pub fn is_grouped(&self) -> bool {
        self.findings.len() >= GROUP_FROM
    }
}

/// The findings in groups, each placed where its first finding is.
pub fn groups(findings: &[Finding]) -> Vec<Group<'_>> {
    let mut out: Vec<Group> = Vec::new();
    for f in findings {
        match out.iter_mut().find(|g| {
            g.first().rule.code == f.rule.code && g.first().classification == f.classification
        }) {
            Some(g) => g.findings.push(f),
            None => out.push(Group { findings: vec![f] }),
        }
    }
    out
}

/// One line of the closing summary: how many findings, of which rules,
/// what they follow from.
pub struct Cause {
    pub count: usize,
    pub worst: Classification,
    pub codes: Vec<&'static str>,
    pub what: String,
}

/// The findings by cause (a shared cause, or the rule's own summary),
/// worst first, then most findings first.
pub fn causes(findings: &[Finding]) -> Vec<Cause> {
    let mut out: Vec<Cause> = Vec::new();
    for f in findings {
        let what = f
            .cause
            .map_or_else(|| f.rule.summary.to_owned(), str::to_owned);
        match out.iter_mut().find(|c| c.what == what) {
            Some(c) => {
                c.count += 1;
                c.worst = c.worst.min(f.classification);
                if !c.codes.contains(&f.rule.code) {
                    c.codes.push(f.rule.code);
                }
            }
            None => out.push(Cause {
                count: 1,
                worst: f.classification,
                codes: vec![f.rule.code],
                what,
            }),
        }
    }
    out.sort_by(|a, b| {
        (a.worst, std::cmp::Reverse(a.count)).cmp(&(b.worst, std::cmp::Reverse(b.count)))
    });
    out
}

/// Where a finding is, as `path:line:column`.
pub fn place(f: &Finding) -> String {
    match (&f.path, f.line, f.column) {
        (Some(p), Some(l), Some(c)) => format!("{p}:{l}:{c}"),
        (Some(p), Some(l), None) => format!("{p}:{l}"),
        (Some(p), None, _) => p.clone(),
        _ => String::new(),
    }
}
