//! Splits a document into its TOML frontmatter and Markdown body.
//!
//! The contract is line-based and strict: line 1 is exactly `+++`, and the
//! frontmatter ends at the next line that is exactly `+++`. A trailing `\r`
//! (CRLF files) is tolerated so that such files still parse; the encoding
//! rule reports the line endings separately.

use std::ops::Range;

/// Byte ranges of the parts of a document (all relative to the text given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// The opening `+++` line, without its line break.
    pub open: Range<usize>,
    /// The TOML between the fences.
    pub toml: Range<usize>,
    /// The closing `+++` line, without its line break.
    pub close: Range<usize>,
    /// Everything after the closing line.
    pub body: Range<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SplitError {
    /// Line 1 is not `+++`.
    Missing,
    /// No closing `+++`. `near_miss` is a line that looks like a fence but is
    /// not exactly one (`+++ `, ` +++`), which is usually the cause.
    Unterminated {
        open: Range<usize>,
        near_miss: Option<Range<usize>>,
    },
}

pub fn split(text: &str) -> Result<Split, SplitError> {
    let mut lines = lines(text);
    let open = match lines.next() {
        Some((range, "+++")) => range,
        _ => return Err(SplitError::Missing),
    };
    let mut near_miss = None;
    for (range, content) in lines {
        if content == "+++" {
            let body_start = next_line_start(text, range.end);
            return Ok(Split {
                toml: next_line_start(text, open.end)..range.start,
                open,
                close: range,
                body: body_start..text.len(),
            });
        }
        if near_miss.is_none() && content.trim() == "+++" {
            near_miss = Some(range);
        }
    }
    Err(SplitError::Unterminated { open, near_miss })
}

/// Lines with their byte ranges, without `\n` or `\r\n`.
fn lines(text: &str) -> impl Iterator<Item = (Range<usize>, &str)> {
    let mut start = 0;
    text.split_inclusive('\n').map(move |raw| {
        let content = raw.strip_suffix('\n').unwrap_or(raw);
        let content = content.strip_suffix('\r').unwrap_or(content);
        let range = start..start + content.len();
        start += raw.len();
        (range, content)
    })
}

fn next_line_start(text: &str, line_end: usize) -> usize {
    text[line_end..]
        .find('\n')
        .map_or(text.len(), |i| line_end + i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_document() {
        let text = "+++\nid = \"POL-001\"\n+++\n# Title\n";
        let s = split(text).unwrap();
        assert_eq!(&text[s.toml.clone()], "id = \"POL-001\"\n");
        assert_eq!(&text[s.body.clone()], "# Title\n");
        assert_eq!(&text[s.close.clone()], "+++");
    }

    #[test]
    fn crlf_and_no_trailing_newline() {
        let text = "+++\r\nid = \"A-1\"\r\n+++\r\nbody";
        let s = split(text).unwrap();
        assert_eq!(&text[s.toml.clone()], "id = \"A-1\"\r\n");
        assert_eq!(&text[s.body], "body");
        let s = split("+++\n+++").unwrap();
        assert!(s.toml.is_empty() && s.body.is_empty());
    }

    #[test]
    fn fences_must_be_exact() {
        assert_eq!(split("++\nid = 1\n+++\n"), Err(SplitError::Missing));
        assert_eq!(split(" +++\n+++\n"), Err(SplitError::Missing));
        assert_eq!(split(""), Err(SplitError::Missing));
        assert_eq!(split("# Title\n"), Err(SplitError::Missing));
        match split("+++\nid = 1\n+++ \n") {
            Err(SplitError::Unterminated {
                near_miss: Some(r), ..
            }) => assert_eq!(r, 11..15),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            split("+++\nid = 1\n"),
            Err(SplitError::Unterminated {
                near_miss: None,
                ..
            })
        ));
    }
}
