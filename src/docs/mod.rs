//! Controlled documents: Markdown files with TOML frontmatter.
//!
//! Loading a file never fails: a file that cannot be read as a document
//! yields a [`Problem`] that the document rules turn into a finding.

pub mod frontmatter;
pub mod schema;
pub mod value;

use std::ops::Range;
use std::sync::Arc;

use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use toml::de::DeTable;

pub use schema::Kind;
pub use value::{Node, Table, Value};

/// Files larger than this are not read as documents.
pub const MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;

const BOM: &str = "\u{feff}";

#[derive(Clone, Debug)]
pub struct Document {
    /// Repository-relative, `/`-separated.
    pub path: String,
    pub source: Arc<str>,
    /// Matched by the `prds` globs of `aims.toml`.
    pub is_prd: bool,
    pub frontmatter: Table,
    /// Byte ranges of the frontmatter's parts.
    pub split: frontmatter::Split,
    pub headings: Vec<Heading>,
    pub encoding: Encoding,
    /// Where a document read from another repository came from (a
    /// `[[source]]` product repository); `None` for this repository's own.
    pub origin: Option<Arc<Origin>>,
}

/// A document's repository of origin, when it is not this one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The `[[source]]` name.
    pub source: String,
    /// The repository as aims.toml names it.
    pub repository: String,
    /// The commit its snapshot was read at (full hex).
    pub commit: String,
    /// The path inside that repository.
    pub path: String,
}

/// Encoding details that parse fine but are worth a note.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Encoding {
    pub bom: bool,
    pub crlf: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub text: String,
    pub span: Range<usize>,
}

/// Why a file could not be read as a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Line 1 is not `+++`.
    NoFrontmatter,
    Unterminated {
        open: Range<usize>,
        near_miss: Option<Range<usize>>,
    },
    InvalidToml {
        message: String,
        span: Option<Range<usize>>,
    },
    Binary,
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
        line: usize,
    },
    TooLarge {
        bytes: u64,
    },
    Symlink,
    Io(String),
}

/// The outcome of reading one file.
#[derive(Clone, Debug)]
pub enum Loaded {
    Document(Box<Document>),
    /// Text that is not a usable document; `source` is kept for diagnostics.
    Problem {
        path: String,
        source: Arc<str>,
        problem: Problem,
    },
}

impl Loaded {
    pub fn path(&self) -> &str {
        match self {
            Loaded::Document(d) => &d.path,
            Loaded::Problem { path, .. } => path,
        }
    }
}

/// Reads a document from raw bytes.
pub fn load(path: &str, bytes: &[u8], is_prd: bool) -> Loaded {
    let problem = |problem, source: &str| Loaded::Problem {
        path: path.to_owned(),
        source: Arc::from(source),
        problem,
    };
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return problem(
            Problem::TooLarge {
                bytes: bytes.len() as u64,
            },
            "",
        );
    }
    if bytes.iter().take(8192).any(|&b| b == 0) {
        return problem(Problem::Binary, "");
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let offset = e.valid_up_to();
            let line = bytes[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
            // Keep the valid prefix so the diagnostic can show context.
            let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
            return problem(Problem::NotUtf8 { offset, line }, valid);
        }
    };
    parse(path, text, is_prd)
}

/// The id and kind `bytes` declare, exactly as [`load`] would read them,
/// without the rest (the body's headings, the frontmatter's tree): what
/// the revision walk needs of every historic blob. None where `load` gives
/// a problem or a document without an id.
pub fn identity(bytes: &[u8]) -> Option<(String, Option<String>)> {
    if bytes.len() > MAX_DOCUMENT_BYTES || bytes.iter().take(8192).any(|&b| b == 0) {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let split = frontmatter::split(text).ok()?;
    let table = DeTable::parse(&text[split.toml]).ok()?;
    let string = |key: &str| {
        table
            .get_ref()
            .iter()
            .find(|(k, _)| k.get_ref() == key)
            .and_then(|(_, v)| match v.get_ref() {
                toml::de::DeValue::String(s) => Some(s.to_string()),
                _ => None,
            })
    };
    let id = string("id")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())?;
    Some((id, string("kind")))
}

/// Parses a document from text.
pub fn parse(path: &str, text: &str, is_prd: bool) -> Loaded {
    let source: Arc<str> = Arc::from(text);
    let bom = text.starts_with(BOM);
    let skip = if bom { BOM.len() } else { 0 };
    let shift = |r: Range<usize>| r.start + skip..r.end + skip;
    let problem = |problem| Loaded::Problem {
        path: path.to_owned(),
        source: source.clone(),
        problem,
    };
    let split = match frontmatter::split(&text[skip..]) {
        Ok(s) => frontmatter::Split {
            open: shift(s.open),
            toml: shift(s.toml),
            close: shift(s.close),
            body: shift(s.body),
        },
        Err(frontmatter::SplitError::Missing) => return problem(Problem::NoFrontmatter),
        Err(frontmatter::SplitError::Unterminated { open, near_miss }) => {
            return problem(Problem::Unterminated {
                open: shift(open),
                near_miss: near_miss.map(shift),
            });
        }
    };
    let toml_text = &text[split.toml.clone()];
    let frontmatter = match DeTable::parse(toml_text) {
        Ok(table) => Table::from_de(table.get_ref(), split.toml.start),
        Err(e) => {
            return problem(Problem::InvalidToml {
                message: e.message().trim_end().to_owned(),
                span: e
                    .span()
                    .map(|r| r.start + split.toml.start..r.end + split.toml.start),
            });
        }
    };
    let headings = headings(&text[split.body.clone()], split.body.start);
    Loaded::Document(Box::new(Document {
        path: path.to_owned(),
        encoding: Encoding {
            bom,
            crlf: text.contains("\r\n"),
        },
        source,
        is_prd,
        frontmatter,
        split,
        headings,
        origin: None,
    }))
}

fn headings(body: &str, offset: usize) -> Vec<Heading> {
    let mut out = Vec::new();
    let mut current: Option<Heading> = None;
    for (event, range) in Parser::new(body).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                current = Some(Heading {
                    level: level as u8,
                    text: String::new(),
                    span: range.start + offset..range.end + offset,
                });
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = current.as_mut() {
                    h.text.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some(mut h) = current.take() {
                    h.text = h.text.trim().to_owned();
                    out.push(h);
                }
            }
            _ => {}
        }
    }
    out
}

impl Document {
    pub fn id(&self) -> Option<&str> {
        self.frontmatter
            .str("id")
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    pub fn kind_name(&self) -> Option<&str> {
        self.frontmatter.str("kind")
    }

    pub fn kind(&self) -> Option<Kind> {
        self.kind_name().and_then(Kind::parse)
    }

    pub fn title(&self) -> Option<&str> {
        self.frontmatter.str("title")
    }

    pub fn owner(&self) -> Option<&str> {
        self.frontmatter.str("owner")
    }

    pub fn body(&self) -> &str {
        &self.source[self.split.body.clone()]
    }

    /// The span of a top-level key, or of the opening fence when absent: the
    /// place a finding about that key points at.
    pub fn key_span(&self, key: &str) -> Range<usize> {
        self.frontmatter
            .entry(key)
            .map_or(self.split.open.clone(), |e| e.key_span.clone())
    }

    /// True when the body has a heading with this text (case-insensitive,
    /// ignoring numbering such as "2." and a trailing colon).
    pub fn has_section(&self, name: &str) -> bool {
        self.headings
            .iter()
            .any(|h| normalise_heading(&h.text).eq_ignore_ascii_case(name))
    }
}

pub fn normalise_heading(text: &str) -> &str {
    let t = text.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ')');
    t.trim().trim_end_matches(':').trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        match parse("a.md", text, false) {
            Loaded::Document(d) => *d,
            Loaded::Problem { problem, .. } => panic!("{problem:?}"),
        }
    }

    #[test]
    fn toml_error_spans_point_into_the_file() {
        let text = "+++\nid = \"X-1\"\nkind = policy\n+++\n";
        let Loaded::Problem {
            problem:
                Problem::InvalidToml {
                    span: Some(span),
                    message,
                },
            ..
        } = parse("a.md", text, false)
        else {
            panic!("expected a TOML error");
        };
        // The error is on frontmatter line 2, which is file line 3.
        assert_eq!(crate::finding::line_col(text, span.start).0, 3, "{message}");
    }

    #[test]
    fn bom_and_crlf_still_parse() {
        let d = doc("\u{feff}+++\r\nid = \"POL-1\"\r\n+++\r\n## Purpose\r\n");
        assert_eq!(d.id(), Some("POL-1"));
        assert!(d.encoding.bom && d.encoding.crlf);
        assert!(d.has_section("purpose"));
        assert_eq!(&d.source[d.key_span("id")], "id");
    }

    #[test]
    fn sections_ignore_numbering_and_case() {
        let d = doc("+++\n+++\n# Title\n\n## 1. Data reviewed:\n\n### `Decisions`\n");
        assert!(d.has_section("Data reviewed"));
        assert!(d.has_section("decisions"));
        assert!(!d.has_section("Actions"));
    }

    #[test]
    fn bad_bytes_are_problems_not_panics() {
        assert!(matches!(
            load("a.md", b"+++\n\0\n", false),
            Loaded::Problem {
                problem: Problem::Binary,
                ..
            }
        ));
        let Loaded::Problem {
            problem: Problem::NotUtf8 { offset, line },
            ..
        } = load("a.md", b"+++\nid = \"\xff\"\n+++\n", false)
        else {
            panic!("expected NotUtf8");
        };
        assert_eq!((offset, line), (10, 2));
    }
}
