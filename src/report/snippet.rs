//! Source snippets that every terminal can show.
//!
//! miette's graphical handler panics on a column past 65,535, and a line of
//! thousands of characters helps nobody anyway. When a span sits on (or
//! next to) a line longer than [`LONG_LINE`], the diagnostic carries no
//! source snippet; [`excerpt`] gives a short window around the spot
//! instead, with its line and column.

use std::ops::Range;

/// Lines longer than this are not drawn as snippets.
pub const LONG_LINE: usize = 1_000;

/// Characters shown either side of the spot in an excerpt.
const WINDOW: usize = 60;

/// None when the snippet around `span` can be drawn as it is; otherwise a
/// one-line excerpt: `line L, column C: …before⟦here⟧after…`.
pub fn excerpt(text: &str, span: &Range<usize>) -> Option<String> {
    let start = span.start.min(text.len());
    let start = (0..=start)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_no = text[..start].matches('\n').count() + 1;
    // The span's lines and one either side, as miette draws them.
    let from = text[..line_start.saturating_sub(1)]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = span.end.clamp(start, text.len());
    let end = (end..=text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    let after_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    let to = text[after_end..]
        .get(1..)
        .and_then(|rest| rest.find('\n').map(|i| after_end + 1 + i))
        .unwrap_or(text.len());
    let long = text[from..to]
        .lines()
        .any(|l| l.chars().count() > LONG_LINE);
    if !long {
        return None;
    }
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let before: String = text[line_start..start]
        .chars()
        .rev()
        .take(WINDOW)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let after: String = text[start..line_end].chars().take(WINDOW).collect();
    let column = text[line_start..start].chars().count() + 1;
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| if c.is_control() { '·' } else { c })
            .collect()
    };
    Some(format!(
        "line {line_no}, column {column} (a line of {} characters): …{}⟦here⟧{}…",
        text[line_start..line_end].chars().count(),
        clean(&before),
        clean(&after)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_draw_and_long_ones_are_excerpted() {
        let text = "a = 1\nb = 2\n";
        assert_eq!(excerpt(text, &(6..7)), None);
        let long = format!("x = \"{}\"\ny = z\n", "é".repeat(70_000));
        let at = long.find("y = z").unwrap();
        let e = excerpt(&long, &(at..at + 1)).expect("the neighbouring line is long");
        assert!(e.starts_with("line 2, column 1"), "{e}");
        let e = excerpt(&long, &(70_000..70_001)).unwrap();
        assert!(e.contains("line 1") && e.len() < 400, "{e}");
        // Past the end (an empty last line beside a short one): drawable;
        // inside a character: an excerpt. No panic either way.
        assert_eq!(excerpt(&long, &(long.len() + 5..long.len() + 9)), None);
        assert!(
            excerpt(&long, &(6..7))
                .unwrap()
                .contains("line 1, column 6")
        );
    }
}
