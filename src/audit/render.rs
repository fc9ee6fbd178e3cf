//! The mock-audit report for people (terminal, Markdown, a self-contained
//! HTML page) and for machines (`aims.audit/v1` JSON).

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::audit::{Audit, AuditFinding, ClauseVerdict, ControlVerdict, Evidence, SourceRow};
use crate::finding::Classification;
use crate::redline::escape_html;
use crate::report::markdown::cell;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    /// The report for a terminal.
    Human,
    /// Markdown, for a job summary or a wiki.
    Markdown,
    /// One self-contained page that prints cleanly.
    Html,
    /// `aims.audit/v1` JSON, for scripts.
    Json,
}

pub fn render(audit: &Audit, format: AuditFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        AuditFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, audit)?;
            writeln!(out)
        }
        AuditFormat::Human => out.write_all(human(audit).as_bytes()),
        AuditFormat::Markdown => out.write_all(markdown(audit).as_bytes()),
        AuditFormat::Html => out.write_all(html(audit).as_bytes()),
    }
}

fn title(audit: &Audit) -> String {
    match &audit.organisation {
        Some(o) => format!("Mock ISO/IEC 42001 audit: {o}"),
        None => "Mock ISO/IEC 42001 audit".to_owned(),
    }
}

fn moment(audit: &Audit) -> String {
    match &audit.commit {
        Some(c) => format!(
            "as of {} (commit {})",
            audit.as_of,
            crate::history::short_id(c)
        ),
        None => format!("as of {}", audit.as_of),
    }
}

fn counts_line(audit: &Audit) -> String {
    let c = &audit.readiness.findings;
    format!(
        "{} major, {} minor nonconformities; {} observations; {} opportunities for improvement",
        c.major, c.minor, c.observation, c.improvement
    )
}

fn version(e: &Evidence) -> String {
    let mut s = e.id.clone();
    if let Some(v) = &e.version {
        let _ = write!(s, " {v}");
    }
    if let Some(a) = e.approvals.last() {
        let _ = write!(s, " (approved by {} as {} on {})", a.by, a.role, a.date);
    }
    if let Some(w) = &e.why_not {
        let _ = write!(s, " — does not count: {w}");
    }
    s
}

/// Where a PRD was read: this repository, or a product repository at a commit.
fn origin_text(e: &Evidence, audit: &Audit) -> String {
    match &e.origin {
        Some(o) => format!(
            "{} ({}) at {}, {}",
            o.source,
            o.repository,
            crate::history::short_id(&o.commit),
            o.path
        ),
        None => format!(
            "this repository{}, {}",
            audit.commit.as_deref().map_or(String::new(), |c| format!(
                " at {}",
                crate::history::short_id(c)
            )),
            e.path
        ),
    }
}

/// A `[[source]]`: the commit read, or that its evidence is missing.
fn source_text(s: &SourceRow) -> String {
    match &s.commit {
        Some(c) => format!(
            "{} {} at {}{}, {} PRD{}{}",
            s.repository,
            s.reference,
            crate::history::short_id(c),
            s.fetched
                .map_or(String::new(), |d| format!(" (fetched {d})")),
            s.prds,
            if s.prds == 1 { "" } else { "s" },
            s.error.as_deref().map_or(String::new(), |e| format!(
                "; the latest fetch failed ({e}), so this is an older snapshot"
            ))
        ),
        None => format!(
            "{} {}: EVIDENCE MISSING, its PRDs could not be read ({})",
            s.repository,
            s.reference,
            s.error.as_deref().unwrap_or("no snapshot")
        ),
    }
}

/// The life-cycle section as (system heading, lines under it).
fn lifecycle_rows(audit: &Audit) -> Vec<(String, Vec<String>)> {
    audit
        .lifecycle
        .iter()
        .map(|l| {
            let heading = match (&l.title, l.inventoried) {
                (Some(t), _) => format!("{} {t}", l.system),
                (None, true) => l.system.clone(),
                (None, false) => format!("{} (not in the inventory)", l.system),
            };
            let lines = if l.prds.is_empty() {
                vec!["no PRD names it".to_owned()]
            } else {
                l.prds
                    .iter()
                    .map(|p| format!("{} — {}", version(p), origin_text(p, audit)))
                    .collect()
            };
            (heading, lines)
        })
        .collect()
}

/// A gap row's grade: the classification, or "not evidenced".
fn grade(g: &crate::audit::Gap) -> (&'static str, &'static str) {
    if g.code == "EVIDENCE" {
        ("not-evidenced", "not evidenced")
    } else {
        (g.classification.as_str(), g.classification.label())
    }
}

// ---------------------------------------------------------------------------
// terminal

/// A verdict's findings under its line: observations and worse.
/// Where a row's requirement elements stand, in one line: how many are
/// evidenced, which are missing or not evidenced (with the documents), and
/// which are left to the auditor. None when the row has no elements.
fn elements_text(elements: &[super::ElementRow]) -> Option<String> {
    use super::ElementStatus as S;
    if elements.is_empty() {
        return None;
    }
    let name = |e: &super::ElementRow| e.id.rsplit('/').next().unwrap_or(&e.id).to_owned();
    let with_docs = |e: &super::ElementRow| {
        if e.documents.is_empty() {
            name(e)
        } else {
            format!("{} ({})", name(e), e.documents.join(", "))
        }
    };
    let of = |status: S| -> Vec<String> {
        elements
            .iter()
            .filter(|e| e.status == status)
            .map(with_docs)
            .collect()
    };
    let checked = elements.iter().filter(|e| e.status != S::Judged).count();
    let evidenced = elements.iter().filter(|e| e.status == S::Evidenced).count();
    let mut parts = vec![format!("{evidenced} of {checked} evidenced")];
    for (label, status) in [
        ("missing", S::Missing),
        ("not evidenced", S::NotEvidenced),
        ("not yet exercised", S::NotExercised),
    ] {
        let items = of(status);
        if !items.is_empty() {
            parts.push(format!("{label}: {}", items.join(", ")));
        }
    }
    let judged: Vec<String> = elements
        .iter()
        .filter(|e| e.status == S::Judged)
        .map(name)
        .collect();
    if !judged.is_empty() {
        parts.push(format!("for the auditor: {}", judged.join(", ")));
    }
    Some(parts.join("; "))
}

/// The evidence of one verdict, on one line: ids with versions, and why
/// those that do not count do not, said once per reason.
fn evidence_line(evidence: &[super::Evidence]) -> String {
    let mut counting = Vec::new();
    let mut not: Vec<(&str, Vec<String>)> = Vec::new();
    for e in evidence {
        let id = match &e.version {
            Some(v) => format!("{} {v}", e.id),
            None => e.id.clone(),
        };
        match &e.why_not {
            None => counting.push(id),
            Some(w) => match not.iter_mut().find(|(r, _)| r == w) {
                Some((_, ids)) => ids.push(id),
                None => not.push((w, vec![id])),
            },
        }
    }
    let mut parts = Vec::new();
    if !counting.is_empty() {
        parts.push(counting.join(", "));
    }
    for (why, ids) in not {
        let these = if ids.len() == 1 {
            "does not count"
        } else {
            "do not count"
        };
        parts.push(format!("{} ({these}: {why})", ids.join(", ")));
    }
    parts.join("; ")
}

fn findings_lines(s: &mut String, findings: &[AuditFinding]) {
    for f in findings
        .iter()
        .filter(|f| f.classification <= Classification::Observation)
    {
        let _ = writeln!(
            s,
            "             - {} {}: {}",
            f.code,
            f.classification,
            crate::safe::terminal(&f.message)
        );
    }
}

fn human(audit: &Audit) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} {}",
        crate::safe::terminal(&title(audit)),
        moment(audit)
    );
    for l in &audit.limitations {
        let _ = writeln!(s, "\nLIMITATION: {l}");
    }
    let _ = writeln!(s, "\n{}\n{}", audit.readiness.summary, counts_line(audit));
    let _ = writeln!(s, "\nClauses");
    for top in &audit.clauses {
        let _ = writeln!(
            s,
            "  {:<8} {:<22} {}",
            top.id,
            top.verdict.label(),
            top.title
        );
        for c in &top.clauses {
            let _ = writeln!(s, "    {:<6} {:<22} {}", c.id, c.verdict.label(), c.title);
            if !c.evidence.is_empty() {
                let _ = writeln!(s, "             evidence: {}", evidence_line(&c.evidence));
            }
            if let Some(line) = elements_text(&c.elements) {
                let _ = writeln!(s, "             elements: {line}");
            }
            findings_lines(&mut s, &c.findings);
        }
    }
    let _ = writeln!(s, "\nAnnex A controls");
    for c in &audit.controls {
        let _ = writeln!(s, "  {:<8} {:<22} {}", c.id, c.verdict.label(), c.title);
        if let Some(line) = elements_text(&c.elements) {
            let _ = writeln!(s, "             elements: {line}");
        }
        findings_lines(&mut s, &c.findings);
    }
    if !audit.lifecycle.is_empty() {
        let _ = writeln!(s, "\nAI system life cycle (A.6): the PRDs of each system");
        for (heading, lines) in lifecycle_rows(audit) {
            let _ = writeln!(s, "  {}", crate::safe::terminal(&heading));
            for l in lines {
                let _ = writeln!(s, "           {}", crate::safe::terminal(&l));
            }
        }
    }
    if !audit.sources.is_empty() {
        let _ = writeln!(s, "\nProduct repositories ([[source]])");
        for src in &audit.sources {
            let _ = writeln!(
                s,
                "  {:<12} {}",
                src.name,
                crate::safe::terminal(&source_text(src))
            );
        }
    }
    let _ = writeln!(s, "\nGap matrix");
    for g in &audit.gaps {
        let _ = writeln!(
            s,
            "  {} {:<12} {:>3}x  {:<10} {}  [{}]",
            g.code,
            grade(g).0,
            g.occurrences,
            g.remediation,
            g.gap,
            g.certification_impact
        );
    }
    let _ = writeln!(
        s,
        "\nCorrective-action plan (severity first, longest remediation first)"
    );
    for a in &audit.actions {
        let doc = a.document.as_deref().unwrap_or("-");
        let _ = writeln!(
            s,
            "  {:>3}. {} {} {} ({}) owner: {}; allow {}",
            a.priority,
            a.classification.as_str(),
            a.code,
            doc,
            a.reference,
            crate::safe::terminal(&a.owner),
            a.remediation
        );
        for m in &a.findings {
            let _ = writeln!(s, "        - {}", crate::safe::terminal(m));
        }
    }
    if let Some(cw) = &audit.crosswalk {
        let _ = writeln!(s, "\nCrosswalk: {}", cw.name);
        for p in &cw.parts {
            let _ = writeln!(
                s,
                "  {:<34} {:>2} controls: {} conforming, {} nonconforming, {} not evidenced, {} not applicable",
                p.name,
                p.controls.len(),
                p.conforming,
                p.nonconforming,
                p.not_evidenced,
                p.not_applicable
            );
        }
    }
    s
}

// ---------------------------------------------------------------------------
// Markdown

fn markdown(audit: &Audit) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n\n{}\n", title(audit), moment(audit));
    for l in &audit.limitations {
        let _ = writeln!(s, "> **Limitation:** {l}\n");
    }
    let _ = writeln!(
        s,
        "## Readiness\n\n**{}**\n\n{}.\n",
        audit.readiness.summary,
        counts_line(audit)
    );
    let _ = writeln!(
        s,
        "## Gap matrix\n\n| gap | classification | certification impact | typical remediation | occurrences | clause / control |\n|---|---|---|---|---|---|"
    );
    for g in &audit.gaps {
        let _ = writeln!(
            s,
            "| {} ({}) | {} | {} | {} | {} | {} |",
            cell(g.gap),
            g.code,
            grade(g).1,
            g.certification_impact,
            g.remediation,
            g.occurrences,
            g.references.join(", ")
        );
    }
    let _ = writeln!(
        s,
        "\n## Corrective-action plan\n\nSeverity first; within a severity, the longest remediation starts first.\n\n| # | classification | gap | document | owner | allow | findings |\n|---|---|---|---|---|---|---|"
    );
    for a in &audit.actions {
        let _ = writeln!(
            s,
            "| {} | {} | {} ({}) | {} | {} | {} | {} |",
            a.priority,
            a.classification.label(),
            a.code,
            a.reference,
            a.document.as_deref().unwrap_or(""),
            cell(&a.owner),
            a.remediation,
            cell(&a.findings.join("; "))
        );
    }
    let _ = writeln!(
        s,
        "\n## Clauses 4-10\n\n| clause | verdict | evidence | findings |\n|---|---|---|---|"
    );
    for top in &audit.clauses {
        let _ = writeln!(
            s,
            "| **{} {}** | **{}** | | |",
            top.id,
            cell(top.title),
            top.verdict.label()
        );
        for c in &top.clauses {
            let _ = writeln!(
                s,
                "| {} {} | {} | {} | {} |",
                c.id,
                cell(c.title),
                c.verdict.label(),
                cell(
                    &c.evidence
                        .iter()
                        .map(version)
                        .chain(elements_text(&c.elements).map(|t| format!("elements: {t}")))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                cell(&findings_text(c.findings.iter().map(|f| (
                    f.code,
                    f.classification,
                    f.message.as_str()
                ))))
            );
        }
    }
    let _ = writeln!(
        s,
        "\n## Annex A controls\n\n| control | SoA | verdict | procedure | evidence | owner | findings |\n|---|---|---|---|---|---|---|"
    );
    for c in &audit.controls {
        let _ = writeln!(
            s,
            "| {} {} | {} | {} | {} | {} | {} | {} |",
            c.id,
            cell(c.title),
            soa_text(c),
            c.verdict.label(),
            c.procedure.as_deref().unwrap_or(""),
            cell(
                &std::iter::once(c.evidence_records.join(", "))
                    .chain(elements_text(&c.elements).map(|t| format!("elements: {t}")))
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            c.owner.as_deref().unwrap_or(""),
            cell(&findings_text(c.findings.iter().map(|f| (
                f.code,
                f.classification,
                f.message.as_str()
            ))))
        );
    }
    if !audit.lifecycle.is_empty() {
        let _ = writeln!(
            s,
            "\n## AI system life cycle (A.6)\n\n| AI system | PRDs: version, approval, where read |\n|---|---|"
        );
        for (heading, lines) in lifecycle_rows(audit) {
            let _ = writeln!(s, "| {} | {} |", cell(&heading), cell(&lines.join("; ")));
        }
    }
    if !audit.sources.is_empty() {
        let _ = writeln!(
            s,
            "\n## Product repositories\n\n| source | repository, ref, commit read |\n|---|---|"
        );
        for src in &audit.sources {
            let _ = writeln!(s, "| {} | {} |", cell(&src.name), cell(&source_text(src)));
        }
    }
    if let Some(cw) = &audit.crosswalk {
        let _ = writeln!(
            s,
            "\n## Crosswalk: {}\n\nOur own indicative mapping of Annex A controls; not an official crosswalk.\n\n| part | controls | conforming | nonconforming | not evidenced | not applicable |\n|---|---|---|---|---|---|",
            cw.name
        );
        for p in &cw.parts {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} |",
                p.name,
                p.controls
                    .iter()
                    .map(|(c, _)| *c)
                    .collect::<Vec<_>>()
                    .join(", "),
                p.conforming,
                p.nonconforming,
                p.not_evidenced,
                p.not_applicable
            );
        }
    }
    s
}

fn soa_text(c: &ControlVerdict) -> String {
    match c.applicable {
        Some(true) => "applicable".into(),
        Some(false) => format!(
            "excluded: {}",
            c.justification.as_deref().unwrap_or("(no justification)")
        ),
        None => "not in the SoA".into(),
    }
}

fn findings_text<'a>(fs: impl Iterator<Item = (&'static str, Classification, &'a str)>) -> String {
    fs.map(|(code, c, m)| format!("{code} ({c}): {m}"))
        .collect::<Vec<_>>()
        .join("; ")
}

// ---------------------------------------------------------------------------
// HTML

const CSS: &str = r#"
:root { --ink:#1d2329; --muted:#5b6670; --line:#d8dde2; --major:#b42318; --minor:#b54708; --obs:#175cd3; --ok:#067647; --na:#667085; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 2rem 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .2rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 2px solid var(--line); padding-bottom: .3rem; }
.muted { color: var(--muted); }
.banner { border-radius: 8px; padding: 1rem 1.2rem; margin: 1.2rem 0; font-weight: 600; }
.banner.certificate-withheld { background:#fef3f2; border:1px solid #fecdca; color: var(--major); }
.banner.corrective-action-plan, .banner.not-evidenced { background:#fffaeb; border:1px solid #fedf89; color: var(--minor); }
.banner.ready { background:#ecfdf3; border:1px solid #abefc6; color: var(--ok); }
.limit { background:#fffaeb; border-left: 4px solid var(--minor); padding: .6rem 1rem; }
.tiles { display: grid; grid-template-columns: repeat(4, 1fr); gap: .8rem; }
.tile { border: 1px solid var(--line); border-radius: 8px; padding: .7rem 1rem; }
.tile b { display: block; font-size: 1.6rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; font-size: .92rem; }
th, td { border-bottom: 1px solid var(--line); padding: .4rem .5rem; text-align: left; vertical-align: top; }
th { background: #f5f7f9; }
tr.top td { background: #fafbfc; font-weight: 600; }
.v { white-space: nowrap; font-weight: 600; }
.major-nonconformity, .major { color: var(--major); } .minor-nonconformity, .minor { color: var(--minor); }
.observation, .not-evidenced { color: var(--obs); } .conformity, .improvement { color: var(--ok); } .not-applicable { color: var(--na); }
ul.f { margin: .2rem 0; padding-left: 1.1rem; } ul.f li { margin: .1rem 0; }
code { font: .88em ui-monospace, SFMono-Regular, Menlo, monospace; }
nav a { margin-right: 1rem; }
@media print { body { max-width: none; padding: 0; font-size: 11px; } nav { display: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } .tiles { grid-template-columns: repeat(4, 1fr); } }
"#;

fn e(s: &str) -> String {
    escape_html(s)
}

fn html(audit: &Audit) -> String {
    let mut s = String::new();
    let t = e(&title(audit));
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{t}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
    );
    let _ = writeln!(
        s,
        "<h1>{t}</h1>\n<p class=\"muted\">{}; generated by aims {}</p>",
        e(&moment(audit)),
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        s,
        "<nav><a href=\"#gaps\">Gap matrix</a><a href=\"#actions\">Action plan</a><a href=\"#clauses\">Clauses</a><a href=\"#controls\">Annex A</a>{}</nav>",
        if audit.crosswalk.is_some() {
            "<a href=\"#crosswalk\">Crosswalk</a>"
        } else {
            ""
        }
    );
    for l in &audit.limitations {
        let _ = writeln!(s, "<p class=\"limit\"><b>Limitation.</b> {}</p>", e(l));
    }
    s.push_str(&readiness_html(audit));

    let _ = writeln!(
        s,
        "<h2 id=\"gaps\">Gap matrix</h2>\n<table><thead><tr><th>Gap</th><th>Classification</th><th>Certification impact</th><th>Typical remediation</th><th>Count</th><th>Clause / control</th></tr></thead><tbody>"
    );
    for g in &audit.gaps {
        let _ = writeln!(
            s,
            "<tr><td>{} <code>{}</code></td><td class=\"v {}\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(g.gap),
            g.code,
            grade(g).0,
            grade(g).1,
            e(g.certification_impact),
            g.remediation,
            g.occurrences,
            e(&g.references.join(", "))
        );
    }
    let _ = writeln!(s, "</tbody></table>");

    let _ = writeln!(
        s,
        "<h2 id=\"actions\">Corrective-action plan</h2>\n<p class=\"muted\">Severity first; within a severity, the longest remediation starts first.</p>\n<table><thead><tr><th>#</th><th>Classification</th><th>Action</th><th>Owner</th><th>Allow</th></tr></thead><tbody>"
    );
    for a in &audit.actions {
        let items: String = a
            .findings
            .iter()
            .map(|m| format!("<li>{}</li>", e(m)))
            .collect();
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td class=\"v {}\">{}</td><td><code>{}</code> {} {}<ul class=\"f\">{items}</ul><span class=\"muted\">{}</span></td><td>{}</td><td>{}</td></tr>",
            a.priority,
            a.classification.as_str(),
            a.classification.label(),
            a.code,
            e(&a.reference),
            a.document
                .as_deref()
                .map(|d| format!("<b>{}</b>", e(d)))
                .unwrap_or_default(),
            e(&a.action),
            e(&a.owner),
            a.remediation
        );
    }
    let _ = writeln!(s, "</tbody></table>");

    let _ = writeln!(
        s,
        "<h2 id=\"clauses\">Clauses 4&ndash;10</h2>\n<table><thead><tr><th>Clause</th><th>Verdict</th><th>Evidence</th><th>Findings</th></tr></thead><tbody>"
    );
    for top in &audit.clauses {
        let _ = writeln!(
            s,
            "<tr class=\"top\"><td>{} {}</td><td class=\"v {}\">{}</td><td></td><td>{}</td></tr>",
            top.id,
            e(top.title),
            top.verdict.as_str(),
            top.verdict.label(),
            findings_html(top)
        );
        for c in &top.clauses {
            let _ = writeln!(
                s,
                "<tr id=\"clause-{}\"><td>{} {}</td><td class=\"v {}\">{}</td><td>{}</td><td>{}</td></tr>",
                c.id,
                c.id,
                e(c.title),
                c.verdict.as_str(),
                c.verdict.label(),
                evidence_html(&c.evidence) + &elements_html(&c.elements),
                findings_html(c)
            );
        }
    }
    let _ = writeln!(s, "</tbody></table>");

    let _ = writeln!(
        s,
        "<h2 id=\"controls\">Annex A controls</h2>\n<table><thead><tr><th>Control</th><th>Statement of Applicability</th><th>Verdict</th><th>Evidence</th><th>Findings</th></tr></thead><tbody>"
    );
    for c in &audit.controls {
        let soa = match c.applicable {
            Some(true) => format!(
                "applicable; procedure {}, owner {}",
                e(c.procedure.as_deref().unwrap_or("none")),
                e(c.owner.as_deref().unwrap_or("none"))
            ),
            _ => e(&soa_text(c)),
        };
        let fs: String = c
            .findings
            .iter()
            .map(|f| {
                format!(
                    "<li><code>{}</code> <span class=\"{}\">{}</span>: {}</li>",
                    f.code,
                    f.classification.as_str(),
                    f.classification.as_str(),
                    e(&f.message)
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "<tr id=\"control-{}\"><td>{} {}</td><td>{soa}</td><td class=\"v {}\">{}</td><td>{}</td><td><ul class=\"f\">{fs}</ul></td></tr>",
            c.id,
            c.id,
            e(c.title),
            c.verdict.as_str(),
            c.verdict.label(),
            evidence_html(&c.evidence) + &elements_html(&c.elements)
        );
    }
    let _ = writeln!(s, "</tbody></table>");

    if !audit.lifecycle.is_empty() {
        let _ = writeln!(
            s,
            "<h2 id=\"lifecycle\">AI system life cycle (A.6)</h2>\n<table><thead><tr><th>AI system</th><th>PRDs: version, approval, where read</th></tr></thead><tbody>"
        );
        for (heading, lines) in lifecycle_rows(audit) {
            let items: String = lines.iter().map(|l| format!("<li>{}</li>", e(l))).collect();
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td><ul class=\"f\">{items}</ul></td></tr>",
                e(&heading)
            );
        }
        let _ = writeln!(s, "</tbody></table>");
    }
    if !audit.sources.is_empty() {
        let _ = writeln!(
            s,
            "<h2 id=\"sources\">Product repositories</h2>\n<table><thead><tr><th>Source</th><th>Repository, ref, commit read</th></tr></thead><tbody>"
        );
        for src in &audit.sources {
            let class = if src.commit.is_none() {
                " class=\"v nonconforming\""
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "<tr><td>{}</td><td{class}>{}</td></tr>",
                e(&src.name),
                e(&source_text(src))
            );
        }
        let _ = writeln!(s, "</tbody></table>");
    }
    if let Some(cw) = &audit.crosswalk {
        let _ = writeln!(
            s,
            "<h2 id=\"crosswalk\">Crosswalk: {}</h2>\n<p class=\"muted\">Our own indicative mapping of Annex A controls; not an official crosswalk.</p>\n<table><thead><tr><th>Part</th><th>Controls</th><th>Conforming</th><th>Nonconforming</th><th>Not evidenced</th><th>Not applicable</th></tr></thead><tbody>",
            e(cw.name)
        );
        for p in &cw.parts {
            let cs: Vec<String> = p
                .controls
                .iter()
                .map(|(c, v)| format!("<span class=\"{}\">{c}</span>", v.as_str()))
                .collect();
            let _ = writeln!(
                s,
                "<tr><td><b>{}</b><br><span class=\"muted\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                e(p.name),
                e(p.about),
                cs.join(" "),
                p.conforming,
                p.nonconforming,
                p.not_evidenced,
                p.not_applicable
            );
        }
        let _ = writeln!(s, "</tbody></table>");
    }
    s.push_str("</body>\n</html>\n");
    s
}

/// The readiness banner and the four counts (`div.banner.<status>`,
/// `div.tiles`), for the report and the evidence package's front page.
pub fn readiness_html(audit: &Audit) -> String {
    let r = &audit.readiness;
    format!(
        "<div class=\"banner {}\">{}</div>\n<div class=\"tiles\"><div class=\"tile major\"><b>{}</b>major nonconformities</div><div class=\"tile minor\"><b>{}</b>minor nonconformities</div><div class=\"tile observation\"><b>{}</b>observations</div><div class=\"tile improvement\"><b>{}</b>opportunities for improvement</div></div>\n",
        r.status,
        e(&r.summary),
        r.findings.major,
        r.findings.minor,
        r.findings.observation,
        r.findings.improvement
    )
}

fn elements_html(elements: &[super::ElementRow]) -> String {
    elements_text(elements)
        .map(|t| format!("<div class=\"muted\">elements: {}</div>", e(&t)))
        .unwrap_or_default()
}

fn evidence_html(ev: &[Evidence]) -> String {
    if ev.is_empty() {
        return "<span class=\"muted\">none</span>".into();
    }
    let items: String = ev
        .iter()
        .map(|x| format!("<li>{}</li>", e(&version(x))))
        .collect();
    format!("<ul class=\"f\">{items}</ul>")
}

fn findings_html(c: &ClauseVerdict) -> String {
    let items: String = c
        .findings
        .iter()
        .map(|f| {
            format!(
                "<li><code>{}</code> <span class=\"{}\">{}</span>: {}</li>",
                f.code,
                f.classification.as_str(),
                f.classification.as_str(),
                e(&f.message)
            )
        })
        .collect();
    if items.is_empty() {
        String::new()
    } else {
        format!("<ul class=\"f\">{items}</ul>")
    }
}
