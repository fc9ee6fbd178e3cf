//! Redlines: what changed between two versions of a document, by lines,
//! with the changed words inside a changed line marked. Frontmatter and
//! body are compared alike (the frontmatter is part of what was approved).

use std::fmt::Write as _;

use similar::{ChangeTag, TextDiff};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RedlineFormat {
    /// A unified diff for a terminal; changed words in colour, or marked
    /// `[-old-]{+new+}` without colour.
    Human,
    /// Markdown (GitHub renders the `<del>`/`<ins>` marks).
    Markdown,
    /// A self-contained HTML page.
    Html,
}

/// One side of a redline.
pub struct Side<'a> {
    /// What it is, e.g. "v1 (approved 2026-01-20 by dana@acme.example)".
    pub label: String,
    pub text: &'a str,
}

/// Number of unchanged lines shown around each change.
const CONTEXT: usize = 3;

/// A line of the redline: its tag, old and new line numbers, and its
/// pieces (emphasised or not).
struct Line {
    tag: ChangeTag,
    old: Option<usize>,
    new: Option<usize>,
    pieces: Vec<(bool, String)>,
}

fn hunks(from: &str, to: &str) -> Vec<Vec<Line>> {
    let diff = TextDiff::from_lines(from, to);
    let mut out = Vec::new();
    for group in diff.grouped_ops(CONTEXT) {
        let mut lines = Vec::new();
        for op in &group {
            // No deadline: the same inputs always give the same redline.
            for change in diff.iter_inline_changes_deadline(op, None) {
                let pieces = change
                    .iter_strings_lossy()
                    .map(|(emph, s)| (emph, s.trim_end_matches(['\n', '\r']).to_owned()))
                    .filter(|(_, s)| !s.is_empty())
                    .collect();
                lines.push(Line {
                    tag: change.tag(),
                    old: change.old_index().map(|i| i + 1),
                    new: change.new_index().map(|i| i + 1),
                    pieces,
                });
            }
        }
        out.push(lines);
    }
    out
}

/// Lines added and removed.
pub fn counts(from: &str, to: &str) -> (usize, usize) {
    let diff = TextDiff::from_lines(from, to);
    let mut added = 0;
    let mut removed = 0;
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Insert => added += 1,
            ChangeTag::Delete => removed += 1,
            ChangeTag::Equal => {}
        }
    }
    (added, removed)
}

pub fn render(
    title: &str,
    from: &Side<'_>,
    to: &Side<'_>,
    format: RedlineFormat,
    color: bool,
) -> String {
    let hunks = hunks(from.text, to.text);
    let (added, removed) = counts(from.text, to.text);
    match format {
        RedlineFormat::Human => human(title, from, to, &hunks, (added, removed), color),
        RedlineFormat::Markdown => markdown(title, from, to, &hunks, (added, removed)),
        RedlineFormat::Html => html(title, from, to, &hunks, (added, removed)),
    }
}

fn human(
    title: &str,
    from: &Side<'_>,
    to: &Side<'_>,
    hunks: &[Vec<Line>],
    (added, removed): (usize, usize),
    color: bool,
) -> String {
    let (red, green, bold_red, bold_green, cyan, reset) = if color {
        (
            "\x1b[31m",
            "\x1b[32m",
            "\x1b[1;41;37m",
            "\x1b[1;42;30m",
            "\x1b[36m",
            "\x1b[0m",
        )
    } else {
        ("", "", "", "", "", "")
    };
    let mut s = String::new();
    let _ = writeln!(s, "{}", crate::safe::terminal(title));
    let _ = writeln!(s, "--- {}", from.label);
    let _ = writeln!(s, "+++ {}", to.label);
    if hunks.is_empty() {
        let _ = writeln!(s, "(no changes)");
        return s;
    }
    for hunk in hunks {
        let first = &hunk[0];
        let _ = writeln!(
            s,
            "{cyan}@@ -{} +{} @@{reset}",
            first.old.unwrap_or(0),
            first.new.unwrap_or(0)
        );
        for line in hunk {
            let (sign, base, emph, open, close) = match line.tag {
                ChangeTag::Equal => (' ', "", "", "", ""),
                ChangeTag::Delete => ('-', red, bold_red, "[-", "-]"),
                ChangeTag::Insert => ('+', green, bold_green, "{+", "+}"),
            };
            let only_part = line.pieces.iter().all(|(e, _)| *e) || line.pieces.len() == 1;
            let mut text = String::new();
            for (emphasised, piece) in &line.pieces {
                if *emphasised && !only_part {
                    if color {
                        text.push_str(&format!("{emph}{piece}{reset}{base}"));
                    } else {
                        text.push_str(&format!("{open}{piece}{close}"));
                    }
                } else {
                    text.push_str(piece);
                }
            }
            let _ = writeln!(s, "{base}{sign}{text}{reset}");
        }
    }
    let _ = writeln!(s, "\n{added} line(s) added, {removed} removed");
    s
}

fn markdown(
    title: &str,
    from: &Side<'_>,
    to: &Side<'_>,
    hunks: &[Vec<Line>],
    (added, removed): (usize, usize),
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "### Redline: {}\n", crate::safe::markdown(title));
    let _ = writeln!(
        s,
        "From **{}** to **{}**: {added} line(s) added, {removed} removed.\n",
        escape_html(&from.label),
        escape_html(&to.label)
    );
    if hunks.is_empty() {
        let _ = writeln!(s, "No changes.");
        return s;
    }
    let _ = writeln!(s, "<pre>");
    for (i, hunk) in hunks.iter().enumerate() {
        if i > 0 {
            let _ = writeln!(s, "…");
        }
        for line in hunk {
            let _ = writeln!(s, "{}", html_line(line));
        }
    }
    let _ = writeln!(s, "</pre>");
    s
}

fn html_line(line: &Line) -> String {
    let (sign, tag) = match line.tag {
        ChangeTag::Equal => (' ', ""),
        ChangeTag::Delete => ('-', "del"),
        ChangeTag::Insert => ('+', "ins"),
    };
    let mut text = String::new();
    for (emphasised, piece) in &line.pieces {
        let piece = escape_html(piece);
        if *emphasised && !tag.is_empty() {
            text.push_str(&format!("<{tag}><b>{piece}</b></{tag}>"));
        } else if !tag.is_empty() {
            text.push_str(&format!("<{tag}>{piece}</{tag}>"));
        } else {
            text.push_str(&piece);
        }
    }
    format!("{sign} {text}")
}

fn html(
    title: &str,
    from: &Side<'_>,
    to: &Side<'_>,
    hunks: &[Vec<Line>],
    counts: (usize, usize),
) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Redline: {}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
        escape_html(title),
        html_body(title, from, to, hunks, counts)
    )
}

/// The redline as an HTML fragment (a heading, the two sides, the hunks)
/// for a page of one's own: rows are `tr.eq|del|ins` in `table.hunk`.
pub fn html_fragment(title: &str, from: &Side<'_>, to: &Side<'_>) -> String {
    let hunks = hunks(from.text, to.text);
    html_body(title, from, to, &hunks, counts(from.text, to.text))
}

fn html_body(
    title: &str,
    from: &Side<'_>,
    to: &Side<'_>,
    hunks: &[Vec<Line>],
    (added, removed): (usize, usize),
) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<h1>Redline: {}</h1>\n<p class=\"sides\"><span class=\"from\">− {}</span><br>\
         <span class=\"to\">+ {}</span></p>\n<p>{added} line(s) added, {removed} removed.</p>\n",
        escape_html(title),
        escape_html(&from.label),
        escape_html(&to.label)
    );
    if hunks.is_empty() {
        let _ = writeln!(s, "<p>No changes.</p>");
    }
    for hunk in hunks {
        let _ = writeln!(s, "<table class=\"hunk\">");
        for line in hunk {
            let class = match line.tag {
                ChangeTag::Equal => "eq",
                ChangeTag::Delete => "del",
                ChangeTag::Insert => "ins",
            };
            let num = |n: Option<usize>| n.map_or(String::new(), |n| n.to_string());
            let body = html_line(line);
            let _ = writeln!(
                s,
                "<tr class=\"{class}\"><td class=\"n\">{}</td><td class=\"n\">{}</td><td><code>{}</code></td></tr>",
                num(line.old),
                num(line.new),
                body
            );
        }
        let _ = writeln!(s, "</table>");
    }
    s
}

/// The redline page's styles (self-contained: no fonts or images).
const STYLE: &str = "body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1b1f24; }
h1 { font-size: 1.4rem; }
.sides .from { color: #a40e26; } .sides .to { color: #116329; }
table.hunk { border-collapse: collapse; width: 100%; margin: 1rem 0; font: 13px/1.45 ui-monospace, monospace; border: 1px solid #d0d7de; }
td { padding: 0 .5rem; vertical-align: top; white-space: pre-wrap; }
td.n { color: #6e7781; text-align: right; width: 3rem; user-select: none; }
tr.del { background: #ffebe9; } tr.ins { background: #e6ffec; }
del { text-decoration: line-through; } ins { text-decoration: none; }
del b { background: #ff818266; } ins b { background: #abf2bc; }
@media print { body { margin: 0; max-width: none; } table.hunk { page-break-inside: avoid; } }
";

pub fn escape_html(s: &str) -> String {
    crate::safe::html(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_level_marks_without_colour() {
        let from = Side {
            label: "v1".into(),
            text: "title\nWe review models yearly.\nend\n",
        };
        let to = Side {
            label: "v2".into(),
            text: "title\nWe review models quarterly.\nend\n",
        };
        let out = render("POL-001", &from, &to, RedlineFormat::Human, false);
        assert!(out.contains("-We review models [-yearly.-]"), "{out}");
        assert!(out.contains("+We review models {+quarterly.+}"), "{out}");
        assert!(out.contains("1 line(s) added, 1 removed"), "{out}");
        let html = render("POL-001", &from, &to, RedlineFormat::Html, false);
        assert!(html.contains("<del><b>yearly.</b></del>"), "{html}");
        assert!(!html.contains("http"), "self-contained");
        let same = render("POL-001", &from, &from, RedlineFormat::Markdown, false);
        assert!(same.contains("No changes."));
    }
}
