//! Untrusted text in output, one policy per format.
//!
//! Titles, field values, commit subjects, author names and messages that
//! quote them come from whoever can push to the repository. Every renderer
//! passes them through this module before printing:
//!
//! - **terminal**: control characters (escape sequences that move the
//!   cursor, clear the screen or write the clipboard with OSC 52; BEL;
//!   carriage returns and line breaks inside one value; bidirectional
//!   overrides) are shown as visible symbols instead of acting.
//! - **CSV**: a cell a spreadsheet would evaluate (starting with `=`, `+`,
//!   `-`, `@`, tab or carriage return) is prefixed with `'`, as OWASP
//!   recommends, then quoted as RFC 4180 asks.
//! - **Markdown** (check summaries, PR comments, audit reports): table
//!   pipes escaped, HTML tags (`</details>`) escaped, `@user` and
//!   `@org/team` mentions defused with a zero-width joiner, control
//!   characters visible.
//! - **HTML**: escaped, control characters visible.
//! - **GitHub workflow commands**: escaped as the runner expects (`%`,
//!   line breaks), after the terminal policy, so no `::command::` can start
//!   a line of the log.
//!
//! - **iCalendar** (`aims reviews --format ics`): TEXT values with control
//!   characters visible, then `\\`, `;`, `,` and line breaks escaped as
//!   RFC 5545 asks; parameter values without quotes; mail addresses
//!   percent-encoded in `mailto:` URIs.
//! - **CSS strings** (the evidence book's running header): every character
//!   outside a small safe set written as a CSS escape, so nothing ends the
//!   string or the `<style>` element.
//! - **GitLab Code Quality** descriptions: the terminal policy (GitLab shows
//!   them as one line of text).
//!
//! JSON and SARIF are safe by their encoding: serde escapes every control
//! character.

use std::borrow::Cow;

/// The visible stand-in for a control character: the Unicode control
/// pictures for C0 and DEL (`␛` for ESC), `⟨U+XXXX⟩` for C1 controls and
/// bidirectional overrides.
fn visible(c: char) -> Option<String> {
    let code = c as u32;
    match code {
        0x00..=0x1F => char::from_u32(0x2400 + code).map(String::from),
        0x7F => Some("␡".into()),
        0x80..=0x9F | 0x200E | 0x200F | 0x202A..=0x202E | 0x2066..=0x2069 => {
            Some(format!("⟨U+{code:04X}⟩"))
        }
        _ => None,
    }
}

/// One value, for a terminal: every control character visible, line
/// breaks included (a value is one line).
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| visible(c).is_some()) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match visible(c) {
            Some(v) => out.push_str(&v),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A multi-line text for a terminal: control characters visible except
/// the line breaks and tabs that lay it out.
pub fn terminal_text(s: &str) -> Cow<'_, str> {
    if !s
        .chars()
        .any(|c| c != '\n' && c != '\t' && visible(c).is_some())
    {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.split('\n')
            .map(|line| {
                line.split('\t')
                    .map(|part| terminal(part).into_owned())
                    .collect::<Vec<_>>()
                    .join("\t")
            })
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// The last line of defence, over everything a command prints: control
/// characters become visible, except line breaks, tabs, the carriage
/// return of a CRLF line end, and (when colour is on) the colour codes
/// aims itself writes (`ESC [ digits ; … m`), which can neither move the
/// cursor nor reach the clipboard.
pub fn stream(bytes: &[u8], colour: bool) -> Cow<'_, [u8]> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        // Not UTF-8 (never produced by aims): only the C0 bytes are defused.
        if !bytes
            .iter()
            .any(|&b| b < 0x20 && !matches!(b, b'\n' | b'\t' | b'\r'))
        {
            return Cow::Borrowed(bytes);
        }
        return Cow::Owned(
            bytes
                .iter()
                .map(|&b| {
                    if b < 0x20 && !matches!(b, b'\n' | b'\t' | b'\r') {
                        b'?'
                    } else {
                        b
                    }
                })
                .collect(),
        );
    };
    let chars: Vec<char> = text.chars().collect();
    let is_sgr = |i: usize| -> usize {
        // Length of `ESC [ [0-9;]* m` starting at i, or 0.
        if chars.get(i + 1) != Some(&'[') {
            return 0;
        }
        let mut j = i + 2;
        while chars
            .get(j)
            .is_some_and(|c| c.is_ascii_digit() || *c == ';')
        {
            j += 1;
        }
        if chars.get(j) == Some(&'m') {
            j + 1 - i
        } else {
            0
        }
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut changed = false;
    while i < chars.len() {
        let c = chars[i];
        let keep = match c {
            '\n' | '\t' => true,
            '\r' => chars.get(i + 1) == Some(&'\n'),
            '\u{1b}' if colour => {
                let n = is_sgr(i);
                if n > 0 {
                    out.extend(&chars[i..i + n]);
                    i += n;
                    continue;
                }
                false
            }
            _ => visible(c).is_none(),
        };
        if keep {
            out.push(c);
        } else {
            changed = true;
            out.push_str(&visible(c).unwrap_or_default());
        }
        i += 1;
    }
    if changed {
        Cow::Owned(out.into_bytes())
    } else {
        Cow::Borrowed(bytes)
    }
}

/// One CSV cell: never a formula, quoted when needed.
pub fn csv(s: &str) -> String {
    let s = terminal(s);
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let s = if formula {
        format!("'{s}")
    } else {
        s.into_owned()
    };
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Text for Markdown prose or a table cell: no table break, no HTML, no
/// mention, no control character.
pub fn markdown(s: &str) -> String {
    let s = terminal(s);
    let mut out = String::with_capacity(s.len() + 8);
    let mut prev: Option<char> = None;
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // `@name` after a non-word character is a mention on GitHub:
            // a zero-width joiner after the `@` defuses it, and the text
            // reads the same.
            '@' if !prev.is_some_and(|p| p.is_alphanumeric() || p == '_' || p == '.')
                && chars
                    .get(i + 1)
                    .is_some_and(|n| n.is_alphanumeric() || *n == '-' || *n == '_') =>
            {
                out.push('@');
                out.push('\u{200D}');
            }
            _ => out.push(c),
        }
        prev = Some(c);
    }
    out
}

/// HTML text or attribute value: escaped, control characters visible,
/// line breaks included (HTML printed to a CI log must not start a line
/// with a workflow command); tabs kept.
pub fn html(s: &str) -> String {
    s.split('\t')
        .map(|part| terminal(part).into_owned())
        .collect::<Vec<_>>()
        .join("\t")
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// An iCalendar TEXT value (RFC 5545 3.3.11): control characters visible
/// (a value is one line), then backslash, semicolon and comma escaped.
pub fn ics_text(s: &str) -> String {
    terminal(s)
        .replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
}

/// An iCalendar parameter value, to be written between double quotes:
/// no quote, no control character.
pub fn ics_param(s: &str) -> String {
    terminal(s).replace('"', "'")
}

/// A mail address for a `mailto:` URI: percent-encoded outside the
/// characters an address and a URI share.
pub fn ics_uri(s: &str) -> String {
    percent(s, b"@.-_+~")
}

/// `s` for a URI: ASCII letters, digits and the bytes in `keep` as they
/// are, every other byte percent-encoded.
pub fn percent(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The inside of a double-quoted CSS string: letters, digits, spaces and
/// a few punctuation marks as they are, everything else as `\HEX `.
pub fn css_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in terminal(s).chars() {
        if c.is_alphanumeric() || " .,:()-_/".contains(c) {
            out.push(c);
        } else {
            out.push_str(&format!("\\{:x} ", c as u32));
        }
    }
    out
}

/// The message part of a GitHub workflow command.
pub fn github_data(s: &str) -> String {
    let escaped = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    terminal(&escaped).into_owned()
}

/// A property of a GitHub workflow command (`file=`, `title=`).
pub fn github_property(s: &str) -> String {
    github_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "=HYPERLINK(\"http://x\") \u{1b}]52;c;ZXZpbA==\u{7} \u{1b}[2J\u{1b}[H @org/team </details>\n::error::pwned \u{202E}txt.exe";

    #[test]
    fn every_policy_defuses_the_hostile_title() {
        let t = terminal(HOSTILE);
        assert!(!t.contains('\u{1b}') && !t.contains('\u{7}') && !t.contains('\n'));
        assert!(!t.contains('\u{202E}'));
        assert!(t.contains("␛]52"));
        let c = csv(HOSTILE);
        assert!(c.starts_with("\"'=") || c.starts_with("'="), "{c}");
        assert_eq!(csv("-1"), "'-1");
        assert_eq!(csv("plain"), "plain");
        let m = markdown(HOSTILE);
        assert!(!m.contains("@org") && m.contains("@\u{200D}org"));
        assert!(!m.contains("</details>"));
        assert_eq!(markdown("mail dana@acme.example"), "mail dana@acme.example");
        let h = html(HOSTILE);
        assert!(!h.contains('<') && !h.contains('\u{1b}'));
        let g = github_data(HOSTILE);
        assert!(!g.contains('\n') && !g.contains('\u{1b}'));
        assert_eq!(terminal_text("a\tb\nc"), "a\tb\nc");
        let shown = stream(HOSTILE.as_bytes(), true);
        let shown = std::str::from_utf8(&shown).unwrap();
        assert!(
            !shown.contains("\u{1b}]") && !shown.contains("\u{1b}[2J") && !shown.contains('\u{7}')
        );
        let i = ics_text(HOSTILE);
        assert!(!i.contains('\n') && !i.contains('\u{1b}'));
        assert_eq!(ics_text("a;b,c\\d"), "a\\;b\\,c\\\\d");
        assert!(!ics_param(HOSTILE).contains('"'));
        assert_eq!(ics_uri("dana@acme.example"), "dana@acme.example");
        assert_eq!(ics_uri("a b;c:d"), "a%20b%3Bc%3Ad");
        let css = css_string(HOSTILE);
        assert!(!css.contains('"') && !css.contains('<') && !css.contains('\u{1b}'));
        assert_eq!(css_string("Acme (UK) Ltd."), "Acme (UK) Ltd.");
        let coloured = "\u{1b}[31mred\u{1b}[0m\r\n";
        assert_eq!(&*stream(coloured.as_bytes(), true), coloured.as_bytes());
        assert!(!stream(coloured.as_bytes(), false).contains(&0x1b));
    }
}
