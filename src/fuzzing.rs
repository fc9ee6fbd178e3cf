//! Fuzz targets: each parser aims runs on untrusted bytes, as one function
//! of a byte slice that must return (whatever the bytes) and never panic.
//!
//! Two harnesses call them: `fuzz/` (cargo-fuzz, libFuzzer, on nightly,
//! for long runs) and `tests/fuzz.rs` (seeded and bounded, in the normal
//! test suite, so CI exercises every target on every change and replays
//! every input that ever crashed, kept under `tests/fuzz-regressions/`).

use std::ops::Range;

/// A fuzz target: any bytes in, no panic.
pub type Target = fn(&[u8]);

/// Every target, by name.
pub const TARGETS: &[(&str, Target)] = &[
    ("document", document),
    ("config", config),
    ("allowed-signers", allowed_signers),
    ("tag", tag),
    ("signature", signature),
    ("diagnostic", diagnostic),
];

fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// A controlled document: the frontmatter split, TOML, schema fields,
/// headings; then the document rules, as `aims check` runs them.
pub fn document(data: &[u8]) {
    let loaded = crate::docs::load("aims/fuzz.md", data, false);
    // The revision walk's shortcut must read every blob as `load` does.
    let full = match &loaded {
        crate::docs::Loaded::Document(d) => d
            .id()
            .map(|id| (id.to_owned(), d.kind_name().map(str::to_owned))),
        crate::docs::Loaded::Problem { .. } => None,
    };
    assert_eq!(
        crate::docs::identity(data),
        full,
        "identity disagrees with load"
    );
    if let crate::docs::Loaded::Document(d) = &loaded {
        let _ = (d.id(), d.kind(), d.title(), d.owner(), d.body());
        for h in &d.headings {
            let _ = crate::docs::normalise_heading(&h.text);
        }
        let _ = crate::rules::content::residue(d);
    }
}

/// `aims.toml`.
pub fn config(data: &[u8]) {
    let _ = crate::config::Config::parse(&text(data));
}

/// An allowed-signers file (and a revocation list: the same shapes).
pub fn allowed_signers(data: &[u8]) {
    let t = text(data);
    let (signers, _) = crate::history::allowed_signers::parse(&t);
    for s in &signers {
        let _ = s.matches_principal("dana@acme.example");
        let _ = s.allows_namespace("git");
        let _ = s.validity_at(1_780_000_000);
    }
    let _ = crate::history::revoked::parse(&t);
}

/// An annotated tag object and the approval trailers of its message.
pub fn tag(data: &[u8]) {
    let _ = crate::history::signature::split(data);
    if let Ok(t) = crate::history::tag::parse_tag(data) {
        let _ = crate::history::tag::parse_claim(&t.message);
        let _ = crate::history::tag::parse_statement(&t.message);
    }
    let _ = crate::history::tag::parse_claim(&text(data));
}

/// An armored SSH signature, verified against a fixed allowed signer.
pub fn signature(data: &[u8]) {
    let (signers, _) = crate::history::allowed_signers::parse(
        "dana@acme.example namespaces=\"git\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDc6pbDmZ3q1DRrl6zFjOKU5oYlXXw1lm/Ph3tc5GaJa\n",
    );
    let _ = crate::history::signature::verify_ssh(
        b"payload",
        data,
        &signers,
        "dana@acme.example",
        1_780_000_000,
    );
    let _ = crate::history::openpgp::parse_status(&text(data));
}

/// Diagnostics pointing into a source, drawn as the terminal report draws
/// them: one where the first byte says, one at the end of the longest line
/// (miette's renderer panicked on a column past 65,535).
pub fn diagnostic(data: &[u8]) {
    let source = text(data).into_owned();
    let len = source.len();
    let by_byte = if len == 0 {
        0
    } else {
        usize::from(data[0]) * len / 256
    };
    let mut at_end = 0;
    let mut longest = 0;
    let mut start = 0;
    for line in source.split('\n') {
        if line.len() >= longest {
            longest = line.len();
            at_end = start + line.len().saturating_sub(4);
        }
        start += line.len() + 1;
    }
    for at in [by_byte, at_end] {
        draw(&source, at..(at + 3).min(len));
    }
}

fn draw(source: &str, span: Range<usize>) {
    let report = match crate::report::snippet::excerpt(source, &span) {
        Some(e) => miette::Report::new(miette::MietteDiagnostic::new(e)),
        None => {
            // A span must lie on character boundaries.
            let len = source.len();
            let start = (0..=span.start.min(len))
                .rev()
                .find(|&i| source.is_char_boundary(i))
                .unwrap_or(0);
            let end = (span.end.min(len)..=len)
                .find(|&i| source.is_char_boundary(i))
                .unwrap_or(len);
            let diag = miette::MietteDiagnostic::new("fuzz")
                .with_label(miette::LabeledSpan::at(start..end.max(start), "here"));
            miette::Report::new(diag)
                .with_source_code(miette::NamedSource::new("fuzz.md", source.to_owned()))
        }
    };
    let mut out = String::new();
    let _ = crate::report::human_handler(false).render_report(&mut out, report.as_ref());
}
