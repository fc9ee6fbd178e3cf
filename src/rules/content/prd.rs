//! Product documents that touch AI systems (8.1, A.6.2.2).

use super::*;

rule!(PRD_WITHOUT_AIMS, "ISO026", "prd-missing-aims-block", Some("8.1"), Some("A.6.2.2"), Minor,
    summary: "A PRD that touches an AI system has no AIMS metadata block",
    what: "A PRD (matched by `prds` in aims.toml) that names an inventoried AI system (by its id, its title, or one of its `aliases`, as a whole word, in any case) must carry an `[aims]` block (AI system, risk tier, impact, risks, human oversight, monitoring).",
    why: "Control A.6.2.2 asks for requirements of AI systems to be specified and documented. A product change to an AI system that never states its risk tier, impact or monitoring bypasses the AIMS.",
    fix: "Add an `[aims]` table to the PRD's frontmatter with `ai-system`, `risk-tier`, `impact`, `risks`, `human-oversight` and `monitoring`.");

rule!(SOURCE_UNAVAILABLE, "ISO032", "source-unavailable", Some("7.5.3"), Some("A.6.2.2"), Minor,
    summary: "A product repository named by [[source]] could not be read, so its PRDs are missing",
    what: "Every `[[source]]` in aims.toml must be fetched (`aims sync`, or the fetch each command does unless --offline) and its snapshot read. A source with no snapshot at all is a finding, with git's error; one whose fetch failed but whose earlier snapshot is used is reported on standard error with the commit read.",
    why: "The PRDs in product repositories are the design and requirements evidence of the AI systems (A.6). An auditor who asks for them must not get an empty list that looks like \"no PRDs\": evidence is either shown, with its repository and commit, or said to be missing.",
    fix: "Check the source's `repository` and `ref` in aims.toml and that `git fetch REPOSITORY REF` works with your credentials, then run `aims sync`. Remove the entry if the repository is gone.");

rule!(NOT_A_PRD, "ISO033", "not-a-prd", Some("7.5.3"), Some("A.6.2.2"), Minor,
    summary: "A product repository's file read as a PRD is not one, or a source holds no PRD",
    what: "Every file a `[[source]]`'s `prds` globs match (and, in a product repository, every file its own globs match) must be a PRD (`kind = \"prd\"`); any other kind is left out and reported. A source whose globs match no file at the commit read is reported too.",
    why: "A product repository adds design records to the AIMS, nothing else: an AI system, risk or policy declared there would enter the inventory or the register outside the AIMS's own document control, and could make a PRD's references resolve. A source that yields nothing looks like evidence while holding none.",
    fix: "Keep AI systems, risks, assessments and policies in the AIMS repository (`aims new KIND` there), and give each PRD `kind = \"prd\"`. For a source with no PRD, correct its `prds` globs in aims.toml, or remove the entry.");

/// Whether `text` names `name` as a whole word or phrase, ignoring case.
fn names(text: &str, name: &str) -> bool {
    let name = name.trim().to_lowercase();
    if name.len() < 3 {
        return false;
    }
    let lower = text.to_lowercase();
    let bytes = lower.as_bytes();
    lower.match_indices(&name).any(|(i, m)| {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + m.len()).copied();
        let boundary = |c: Option<u8>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
        boundary(before) && boundary(after)
    })
}

pub(super) fn check(cx: &mut Ctx) {
    for source in cx.ws.sources.iter().filter(|s| !s.missing()) {
        for (path, kind) in &source.not_prds {
            cx.out.push(not_a_prd(path, kind));
        }
        if source.prds.is_empty() && source.not_prds.is_empty() {
            let mut f = Finding::new(
                &NOT_A_PRD,
                format!(
                    "source `{}` ({} {}) holds no file its `prds` globs match at commit {}, so it adds no evidence",
                    source.name,
                    source.repository,
                    source.reference,
                    crate::history::short_id(source.commit.as_deref().unwrap_or_default())
                ),
            );
            if let Some(line) = source.line {
                f = f.at_line(crate::config::FILE_NAME, line);
            }
            cx.out.push(f);
        }
    }
    for source in cx.ws.sources.iter().filter(|s| s.missing()) {
        let why = source.error.as_deref().unwrap_or("it could not be read");
        let mut f = Finding::new(
            &SOURCE_UNAVAILABLE,
            format!(
                "source `{}` ({} {}) could not be read, so its PRDs are missing: {why}",
                source.name, source.repository, source.reference
            ),
        );
        if let Some(line) = source.line {
            f = f.at_line(crate::config::FILE_NAME, line);
        }
        cx.out.push(f);
    }
    // Each system by its id, its title (the product name) and its aliases.
    let systems: Vec<(&str, Vec<&str>)> = of_kind(cx.ws, Kind::AiSystem)
        .iter()
        .map(|d| {
            let mut names = vec![id(d)];
            names.extend(d.title());
            names.extend(strings(&d.frontmatter, "aliases"));
            (id(d), names)
        })
        .collect();
    for d in cx.ws.documents().filter(|d| d.is_prd) {
        if d.frontmatter.get("aims").is_some() {
            continue;
        }
        let named: Vec<&str> = systems
            .iter()
            .filter(|(_, ns)| ns.iter().any(|n| names(&d.source, n)))
            .map(|(id, _)| *id)
            .collect();
        if !named.is_empty() {
            cx.out.push(at(
                &PRD_WITHOUT_AIMS,
                d,
                "id",
                format!(
                    "{} names the AI system {} but has no [aims] block",
                    id(d),
                    list(&named)
                ),
            ));
        }
    }
}

/// A file of a product repository, matched as a PRD, that declares `kind`.
pub fn not_a_prd(path: &str, kind: &str) -> Finding {
    Finding::new(
        &NOT_A_PRD,
        format!(
            "{path} declares kind `{kind}`: a product repository adds PRDs to the AIMS, nothing else, so it was not read"
        ),
    )
    .at_line(path, 1)
}
