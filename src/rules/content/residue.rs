//! Template residue: text that is still what `aims init` or `aims new`
//! wrote. A template approved unedited describes an organisation that does
//! not exist; it evidences nothing, however complete it looks.
//!
//! Each document is compared, section by section, with the templates
//! compiled into the binary: the starter document with the same id, and
//! its kind's template. A section whose words are still mostly the
//! template's (a few words changed included) is residue. So are the
//! template's prompts wherever they are left: `> Guidance:` quotes,
//! `Replace:` prompts, TBD/TODO, lines that are only an ellipsis, table
//! rows left without their last cell.

use std::sync::OnceLock;

use similar::TextDiff;

use super::*;

rule!(TEMPLATE_RESIDUE, "ISO028", "template-residue", Some("7.5.2"), None, Major,
    summary: "A document is still (partly) the template's text",
    what: "Each section of a document is compared with the templates aims init and aims new write (the starter document with the same id, and the kind's template): a section whose words are still mostly the template's, a few words changed or not, is residue; so are `> Guidance:` quotes, `Replace:` prompts, TBD/TODO, lines that are only `...`, and table rows whose last cell is empty. A document that is mostly residue, or still holds a `Replace:` prompt, evidences nothing: major for the policy, scope, Statement of Applicability, risk method and impact assessments, minor for other kinds. Residue in an otherwise written document is minor for those five kinds and an observation elsewhere.",
    why: "Auditors recognise template text at once: it describes how an AIMS could work, not how yours does. A policy, scope or SoA copied from a template is a major nonconformity (5.2, 4.3, 6.1.3) because nothing shows the organisation decided it; a record still holding example rows proves no activity took place (7.5.2).",
    fix: "Rewrite each section named in the finding with your organisation's reality (systems, people, figures, decisions), delete the `> Guidance:` quotes, and replace every `Replace:`, TBD and `...`; then have the document approved again. Delete what you do not do rather than keep template text.");

/// The kinds whose template residue withholds a certificate.
const CORE: [Kind; 5] = [
    Kind::Policy,
    Kind::Scope,
    Kind::Soa,
    Kind::RiskAssessment,
    Kind::ImpactAssessment,
];

/// How alike (by words) a section must be to its template's to be residue.
const ALIKE: f32 = 0.7;

/// What of a document is still the template's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Residue {
    /// Sections (and frontmatter fields) still the template's: name and
    /// how alike, 0-1.
    pub sections: Vec<(String, f32)>,
    /// Prompts left in: (what, how many).
    pub markers: Vec<(&'static str, usize)>,
    /// The share of the document's own text that is residue, 0-1.
    pub share: f32,
    /// A `Replace:` prompt is left.
    pub prompts: bool,
}

impl Residue {
    /// Whether the document is template residue as a whole: it evidences
    /// nothing.
    pub fn whole(&self) -> bool {
        self.share >= 0.5 || self.prompts
    }

    pub fn is_empty(&self) -> bool {
        self.sections.is_empty() && self.markers.is_empty()
    }
}

/// One template, parsed: its sections and frontmatter strings.
struct Template {
    sections: Vec<(String, String)>,
    strings: Vec<(String, String)>,
}

/// The templates compiled into the binary, by document id (`init/`) and by
/// kind (`kinds/`), placeholders filled with neutral words.
fn templates() -> &'static (BTreeMap<String, Template>, BTreeMap<String, Template>) {
    static CELL: OnceLock<(BTreeMap<String, Template>, BTreeMap<String, Template>)> =
        OnceLock::new();
    CELL.get_or_init(|| {
        let values: BTreeMap<&str, String> = [
            ("organisation", "organisation"),
            ("email", "owner@example.org"),
            ("today", "2026-01-01"),
            ("in-3-months", "2026-04-01"),
            ("in-6-months", "2026-07-01"),
            ("in-12-months", "2027-01-01"),
            ("id", "DOC-001"),
            ("title", "title"),
            ("owner", "owner@example.org"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .collect();
        let mut by_id = BTreeMap::new();
        let mut by_kind = BTreeMap::new();
        for (path, text) in crate::scaffold::TEMPLATES {
            if !path.ends_with(".md") {
                continue;
            }
            let Ok(filled) = crate::scaffold::fill(text, &values) else {
                continue;
            };
            let crate::docs::Loaded::Document(d) = crate::docs::parse(path, &filled, false) else {
                continue;
            };
            let t = Template {
                sections: sections(&d),
                strings: strings_of(&d),
            };
            if let Some(kind) = path
                .strip_prefix("kinds/")
                .and_then(|p| p.strip_suffix(".md"))
            {
                by_kind.insert(kind.to_owned(), t);
            } else if let Some(id) = d.id().filter(|_| path.starts_with("init/")) {
                by_id.insert(id.to_owned(), t);
            }
        }
        (by_id, by_kind)
    })
}

/// A document's body as (heading, text under it up to the next heading);
/// the text before the first heading is under "".
fn sections(d: &Document) -> Vec<(String, String)> {
    let body_start = d.source.len() - d.body().len();
    let mut out = Vec::new();
    let mut start = body_start;
    let mut name = String::new();
    for h in &d.headings {
        if h.span.start >= start {
            out.push((name.clone(), d.source[start..h.span.start].to_owned()));
        }
        name = crate::docs::normalise_heading(&h.text).to_ascii_lowercase();
        start = h.span.end.max(start);
    }
    out.push((name, d.source[start.min(d.source.len())..].to_owned()));
    out
}

/// Long string values of the frontmatter, by key path.
fn strings_of(d: &Document) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in d.frontmatter.entries.iter().filter(|e| e.key != "title") {
        for (s, _) in e.node.strings() {
            if s.len() >= 30 {
                out.push((e.key.clone(), s.to_owned()));
            }
        }
    }
    out
}

/// The words a person wrote, lower-case: without Markdown punctuation,
/// template prompts, numbers and ids (which say nothing about who wrote
/// them), and without a table's first column (row labels any two tables of
/// the same thing share, such as the Annex A groups).
fn words(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("> Guidance:"))
        .map(|l| {
            let t = l.trim();
            if t.starts_with('|') {
                // A table row: its cells after the first.
                t.trim_matches('|')
                    .split_once('|')
                    .map_or("", |(_, rest)| rest)
            } else {
                l
            }
        })
        .flat_map(str::split_whitespace)
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty() && !w.chars().any(|c| c.is_ascii_digit()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Fewer words than this are too few to tell who wrote them.
const FEW: usize = 8;

fn alike(a: &str, b: &str) -> f32 {
    // Far apart in size cannot be mostly the same text.
    let (la, lb) = (a.len().max(1), b.len().max(1));
    if la > 3 * lb || lb > 3 * la {
        return 0.0;
    }
    TextDiff::from_words(a, b).ratio()
}

/// What of `d` is still template text.
pub fn residue(d: &Document) -> Residue {
    let (by_id, by_kind) = templates();
    let candidates: Vec<&Template> = d
        .id()
        .and_then(|id| by_id.get(id))
        .into_iter()
        .chain(d.kind_name().and_then(|k| by_kind.get(k)))
        .collect();
    let mut out = Residue::default();
    let mut own = 0usize;
    let mut stale = 0usize;
    for (name, text) in sections(d) {
        let mine = words(&text);
        if mine.split(' ').count() < FEW {
            continue;
        }
        own += mine.len();
        let best = candidates
            .iter()
            .flat_map(|t| t.sections.iter().filter(|(n, _)| *n == name))
            .map(|(_, t)| alike(&words(t), &mine))
            .fold(0.0_f32, f32::max);
        if best >= ALIKE {
            stale += mine.len();
            let label = if name.is_empty() {
                "the introduction".to_owned()
            } else {
                name.clone()
            };
            out.sections.push((label, best));
        }
    }
    for (key, value) in strings_of(d) {
        let mine = words(&value);
        if mine.split(' ').count() < FEW {
            continue;
        }
        own += mine.len();
        let best = candidates
            .iter()
            .flat_map(|t| t.strings.iter().filter(|(k, _)| *k == key))
            .map(|(_, v)| alike(&words(v), &mine))
            .fold(0.0_f32, f32::max);
        if best >= 0.9 {
            stale += mine.len();
            out.sections.push((format!("`{key}`"), best));
        }
    }
    out.share = if own == 0 {
        0.0
    } else {
        stale as f32 / own as f32
    };
    let text = d.source.as_ref();
    let count = |f: &dyn Fn(&str) -> bool| text.lines().filter(|l| f(l)).count();
    let guidance = count(&|l| l.trim_start().starts_with("> Guidance:"));
    let replace = text.matches("Replace:").count();
    let todo = count(&|l| {
        l.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| matches!(w, "TBD" | "TODO" | "TBC" | "FIXME"))
    });
    let ellipsis = count(&|l| {
        let t = l
            .trim()
            .trim_start_matches(|c: char| {
                c.is_ascii_digit() || matches!(c, '.' | '-' | '*' | ' ' | ':')
            })
            .trim();
        (l.trim().ends_with("...") || l.trim().ends_with('…'))
            && (t.is_empty() || t == "..." || t == "…" || l.trim().ends_with(": ..."))
    });
    let empty_rows = count(&|l| {
        let t = l.trim();
        t.starts_with('|')
            && t.ends_with('|')
            && !t.contains("---")
            && t.trim_end_matches('|').trim_end().ends_with('|')
    });
    for (what, n) in [
        ("`> Guidance:` quote", guidance),
        ("`Replace:` prompt", replace),
        ("TBD/TODO", todo),
        ("line that is only `...`", ellipsis),
        ("empty table row", empty_rows),
    ] {
        if n > 0 {
            out.markers.push((what, n));
        }
    }
    out.prompts = replace > 0;
    out
}

pub(super) fn check(cx: &mut Ctx) {
    for d in cx.ws.documents() {
        let Some(kind) = d.kind() else { continue };
        let Some(r) = cx.residues.get(d.path.as_str()).cloned() else {
            continue;
        };
        if r.is_empty() {
            continue;
        }
        let core = CORE.contains(&kind);
        let class = match (r.whole(), core) {
            (true, true) => Classification::Major,
            (true, false) | (false, true) => Classification::Minor,
            (false, false) => Classification::Observation,
        };
        let mut names: Vec<String> = Vec::new();
        for (n, _) in &r.sections {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
        let sections = match names.len() {
            0 => String::new(),
            1..=4 => names.join(", "),
            n => format!("{} and {} more", names[..3].join(", "), n - 3),
        };
        let marks: Vec<String> = r
            .markers
            .iter()
            .map(|(w, n)| format!("{n} {w}{}", if *n == 1 { "" } else { "s" }))
            .collect();
        let left = if marks.is_empty() {
            String::new()
        } else {
            format!("{} left in", marks.join(", "))
        };
        let message = if r.whole() {
            let what = [
                (!sections.is_empty()).then(|| format!("the template's text in {sections}")),
                (!left.is_empty()).then(|| left.clone()),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; ");
            format!(
                "{} is template residue ({:.0}% of its text is the template's; {what}): it evidences nothing until rewritten",
                id(d),
                r.share * 100.0
            )
        } else {
            let what = [
                (!sections.is_empty()).then(|| format!("the template's text in {sections}")),
                (!left.is_empty()).then_some(left),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; ");
            format!("{} still holds {what}", id(d))
        };
        cx.out.push(
            at(&TEMPLATE_RESIDUE, d, "id", message)
                .classified(class)
                .because(crate::finding::causes::TEMPLATE),
        );
    }
}
