//! The package's pages: one stylesheet, one page frame, Markdown rendered
//! without anything that reaches outside the package (raw HTML is shown as
//! text, images as their description, links to other controlled documents
//! point at their pages), and frontmatter as a table.

use std::fmt::Write as _;

use pulldown_cmark::{CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};

use crate::docs::value::{Node, Table, Value};
use crate::redline::escape_html;

pub fn e(s: &str) -> String {
    escape_html(s)
}

/// `style.css`: system fonts only; print gives a clean document.
pub const CSS: &str = r#":root { --ink:#1d2329; --muted:#5b6670; --line:#d8dde2; --major:#b42318; --minor:#b54708; --obs:#175cd3; --ok:#067647; --na:#667085; --warn-bg:#fffaeb; --warn-line:#fedf89; --bad-bg:#fef3f2; --bad-line:#fecdca; --ok-bg:#ecfdf3; --ok-line:#abefc6; }
* { box-sizing: border-box; }
body { font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 1.5rem 1.5rem 3rem; }
header.top { border-bottom: 1px solid var(--line); padding-bottom: .5rem; margin-bottom: 1.2rem; font-size: .9rem; }
header.top a { margin-right: 1rem; }
h1 { font-size: 1.6rem; margin: .2rem 0 .3rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 2px solid var(--line); padding-bottom: .3rem; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
a { color: #175cd3; }
.muted { color: var(--muted); }
.box { border-radius: 8px; padding: .8rem 1.1rem; margin: 1rem 0; border: 1px solid var(--line); }
.box.ok { background: var(--ok-bg); border-color: var(--ok-line); }
.box.warn { background: var(--warn-bg); border-color: var(--warn-line); }
.box.bad { background: var(--bad-bg); border-color: var(--bad-line); }
.box p { margin: .3rem 0; }
.banner { font-weight: 600; border-radius: 8px; padding: .8rem 1.1rem; margin: 1rem 0; border: 1px solid var(--line); }
.banner.certificate-withheld { color: var(--major); background: var(--bad-bg); border-color: var(--bad-line); }
.banner.corrective-action-plan, .banner.not-evidenced { color: var(--minor); background: var(--warn-bg); border-color: var(--warn-line); }
.banner.ready { color: var(--ok); background: var(--ok-bg); border-color: var(--ok-line); }
.tiles { display: grid; grid-template-columns: repeat(4, 1fr); gap: .8rem; margin: 1rem 0; }
.tile { border: 1px solid var(--line); border-radius: 8px; padding: .6rem .9rem; }
.tile b { display: block; font-size: 1.5rem; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1.2rem; margin: .8rem 0; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; font-size: .92rem; }
th, td { border-bottom: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #f5f7f9; }
table.meta th { width: 12rem; background: #f8fafb; font-weight: 600; }
table.meta table { margin: 0; font-size: .88rem; }
.v { white-space: nowrap; font-weight: 600; }
.major-nonconformity, .major { color: var(--major); } .minor-nonconformity, .minor { color: var(--minor); }
.observation { color: var(--obs); } .conformity, .approved, .yes, .improvement { color: var(--ok); } .not-applicable { color: var(--na); }
.changed-since-approval, .review-overdue { color: var(--minor); } .never-approved, .no { color: var(--major); }
code.fp { word-break: break-all; font-size: .8em; } .nw { white-space: nowrap; }
code, pre { font: .88em ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: #f6f8fa; padding: .7rem .9rem; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
article.document { border-top: 1px solid var(--line); margin-top: 1rem; }
article.draft { background: repeating-linear-gradient(-45deg, #fff, #fff 18px, #fff8f0 18px, #fff8f0 36px); padding: 0 1rem; border: 2px dashed var(--minor); }
ul.plain { list-style: none; padding-left: 0; } ul.f { margin: .2rem 0; padding-left: 1.1rem; }
table.hunk { font: 13px/1.45 ui-monospace, monospace; border: 1px solid #d0d7de; }
table.hunk td { padding: 0 .5rem; border: 0; white-space: pre-wrap; }
table.hunk td.n { color: #6e7781; text-align: right; width: 3rem; }
table.hunk tr.del { background: #ffebe9; } table.hunk tr.ins { background: #e6ffec; }
del { text-decoration: line-through; } ins { text-decoration: none; }
del b { background: #ff818266; } ins b { background: #abf2bc; }
.sides .from { color: #a40e26; } .sides .to { color: #116329; }
footer { margin-top: 3rem; font-size: .85rem; color: var(--muted); border-top: 1px solid var(--line); padding-top: .6rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  header.top { display: none; }
  a { color: inherit; text-decoration: none; }
  h2, h3 { break-after: avoid; } tr, .box, .tile { break-inside: avoid; }
  article.draft { background: none; }
}
"#;

/// A page of the package. `depth` is how many folders below the package
/// root it lives (for links back); `nav` adds links after the standard ones.
pub fn page(title: &str, depth: usize, nav: &[(String, &str)], body: &str) -> String {
    let up = "../".repeat(depth);
    let mut links = format!(
        "<a href=\"{up}index.html\">Package index</a><a href=\"{up}register.html\">Register</a>\
         <a href=\"{up}soa.html\">SoA matrix</a><a href=\"{up}audit.html\">Mock audit</a>\
         <a href=\"{up}approvals/index.html\">Approvals</a>"
    );
    for (href, label) in nav {
        let _ = write!(links, "<a href=\"{}\">{}</a>", e(href), e(label));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<link rel=\"stylesheet\" href=\"{up}style.css\">\n</head>\n<body>\n\
         <header class=\"top\">{links}</header>\n{body}\n\
         <footer>aims {} evidence package. Every file is listed with its SHA-256 in \
         <a href=\"{up}manifest.json\">manifest.json</a>; check it with <code>aims verify-export</code>.</footer>\n\
         </body>\n</html>\n",
        e(title),
        env!("CARGO_PKG_VERSION")
    )
}

/// Where a relative link in a document leads, resolved by the caller:
/// the package path (from the page) of a controlled document, or None.
pub type Resolve<'a> = dyn Fn(&str) -> Option<String> + 'a;

/// What became of a link in a document.
enum LinkFate {
    /// Points at a page of the package.
    Kept,
    /// Shown as its text: the target is not in the package.
    Dropped,
    /// A web or mail address: shown as text with the address after it, so
    /// the package never links out (and the address survives printing).
    External(String),
}

/// Renders Markdown for the package: raw HTML is shown as text (a document
/// must not run scripts or load anything), images become their
/// description, links to other controlled documents become links to their
/// package pages, web and mail addresses are written out after their text,
/// and every other link is reduced to its text.
pub fn markdown(body: &str, resolve: &Resolve<'_>) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let mut open_links: Vec<LinkFate> = Vec::new();
    let events = Parser::new_ext(body, options).filter_map(|ev| match ev {
        Event::Html(s) | Event::InlineHtml(s) => Some(Event::Text(s)),
        Event::Start(Tag::HtmlBlock) => Some(Event::Start(Tag::CodeBlock(CodeBlockKind::Indented))),
        Event::End(TagEnd::HtmlBlock) => Some(Event::End(TagEnd::CodeBlock)),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let (fate, event) = match link_target(&dest_url, resolve) {
                Ok(url) => (
                    LinkFate::Kept,
                    Some(Event::Start(Tag::Link {
                        link_type,
                        dest_url: CowStr::from(url),
                        title,
                        id,
                    })),
                ),
                Err(fate) => (fate, None),
            };
            open_links.push(fate);
            event
        }
        Event::End(TagEnd::Link) => match open_links.pop() {
            Some(LinkFate::Kept) => Some(Event::End(TagEnd::Link)),
            Some(LinkFate::External(url)) => Some(Event::Text(format!(" ({url})").into())),
            _ => None,
        },
        // Footnote references link to ids; the note's label is enough.
        Event::FootnoteReference(name) => Some(Event::Text(format!("[{name}]").into())),
        Event::Start(Tag::Image { .. }) => Some(Event::Text("[image: ".into())),
        Event::End(TagEnd::Image) => Some(Event::Text("]".into())),
        other => Some(other),
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// The package page a link names (relative paths to controlled documents
/// only; a `#fragment` is dropped, as rendered headings carry no ids), or
/// what to do with it instead.
fn link_target(dest: &str, resolve: &Resolve<'_>) -> Result<String, LinkFate> {
    let lower = dest.to_ascii_lowercase();
    if ["https://", "http://", "mailto:"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        let shown = dest.strip_prefix("mailto:").unwrap_or(dest);
        return Err(LinkFate::External(shown.to_owned()));
    }
    if dest.contains(':') || dest.starts_with('/') || dest.starts_with('#') {
        return Err(LinkFate::Dropped); // javascript:, file:, data:, absolute, in-page
    }
    let path = dest.split_once('#').map_or(dest, |(p, _)| p);
    resolve(path).ok_or(LinkFate::Dropped)
}

/// A frontmatter value for the metadata table; strings naming a
/// controlled document link to its page through `link`.
pub fn value(v: &Node, link: &dyn Fn(&str) -> Option<String>) -> String {
    match &v.value {
        Value::String(s) => match link(s) {
            Some(href) => format!("<a href=\"{}\">{}</a>", e(&href), e(s)),
            None => e(s),
        },
        Value::Array(items)
            if !items.is_empty() && items.iter().all(|i| i.as_table().is_some()) =>
        {
            let tables: Vec<&Table> = items.iter().filter_map(Node::as_table).collect();
            let mut keys: Vec<&str> = Vec::new();
            for t in &tables {
                for entry in &t.entries {
                    if !keys.contains(&entry.key.as_str()) {
                        keys.push(&entry.key);
                    }
                }
            }
            let rows = tables.iter().map(|t| {
                keys.iter()
                    .map(|k| t.get(k).map_or(String::new(), |v| value(v, link)))
                    .collect()
            });
            table(&keys, rows)
        }
        Value::Array(items) => items
            .iter()
            .map(|i| value(i, link))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Table(t) => metadata(t, link),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Datetime(d) => d.to_string(),
    }
}

/// The frontmatter as a two-column table, in the file's own key order.
pub fn metadata(t: &Table, link: &dyn Fn(&str) -> Option<String>) -> String {
    let mut s = String::from("<table class=\"meta\"><tbody>");
    for entry in &t.entries {
        let _ = write!(
            s,
            "<tr><th>{}</th><td>{}</td></tr>",
            e(&entry.key),
            value(&entry.node, link)
        );
    }
    s.push_str("</tbody></table>");
    s
}

/// `<dl>` of label → HTML value.
pub fn facts(rows: &[(&str, String)]) -> String {
    let mut s = String::from("<dl class=\"facts\">");
    for (k, v) in rows {
        let _ = write!(s, "<dt>{}</dt><dd>{v}</dd>", e(k));
    }
    s.push_str("</dl>");
    s
}

/// A table with a header row; cells are HTML.
pub fn table(head: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut s = String::from("<table><thead><tr>");
    for h in head {
        let _ = write!(s, "<th>{}</th>", e(h));
    }
    s.push_str("</tr></thead><tbody>\n");
    for row in rows {
        s.push_str("<tr>");
        for cell in row {
            let _ = write!(s, "<td>{cell}</td>");
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table>");
    s
}

pub fn link(href: &str, text: &str) -> String {
    format!("<a href=\"{}\">{}</a>", e(href), e(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_never_reaches_outside_the_package() {
        let resolve =
            |p: &str| (p == "../policy/ai.md").then(|| "../POL-001/index.html".to_owned());
        let html = markdown(
            "# T\n\n<script>alert(1)</script>\n\nSee [the policy](../policy/ai.md#scope), \
             [gone](missing.md), [web](https://example.org), [x](javascript:alert(1)) \
             and ![logo](https://cdn.example/logo.png) <img src=x>.\n",
            &resolve,
        );
        assert!(
            !html.contains("<script") && html.contains("&lt;script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("[image: logo]"), "{html}");
        assert!(html.contains("href=\"../POL-001/index.html\""), "{html}");
        assert!(html.contains("web (https://example.org)"), "{html}");
        assert!(!html.contains("href=\"https"), "{html}");
        assert!(
            !html.contains("missing.md") && html.contains("gone"),
            "{html}"
        );
        assert!(!html.contains("javascript"), "{html}");
        assert_eq!(html.matches("<a ").count(), html.matches("</a>").count());
    }
}
