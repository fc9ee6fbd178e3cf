//! The content judgements on answers worded by other people than the
//! fixtures' author: `tests/corpus/content.toml` holds, per judgement,
//! answers an auditor would reject at once (hollow) and answers an auditor
//! accepts (genuine), from banks, hospitals, retailers, councils and SaaS
//! firms. Every hollow answer must be caught and no genuine one.

use aims::rules::content::substance;
use toml::{Table, Value};

/// Both corpora: `content.toml`, against which the judgements were
/// written, and `heldout.toml`, written afterwards by someone who had not
/// seen them.
fn corpora() -> Vec<(&'static str, Table)> {
    ["content.toml", "heldout.toml", "heldout-2.toml"]
        .into_iter()
        .map(|name| {
            let path = format!("{}/tests/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&path).unwrap();
            (name, text.parse().unwrap())
        })
        .collect()
}

fn entries<'a>(corpus: &'a Table, section: &str, side: &str) -> Vec<&'a Table> {
    let list = corpus[section][side].as_array().unwrap();
    assert!(
        list.len() >= 8,
        "{section}.{side} has {} answers",
        list.len()
    );
    list.iter().map(|v| v.as_table().unwrap()).collect()
}

fn field<'a>(entry: &'a Table, key: &str) -> &'a str {
    entry
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{key} in {entry:?}"))
}

/// Runs `flagged` over both sides of a section and fails listing every
/// hollow answer let through and every genuine answer flagged.
fn judge(section: &str, key: &str, flagged: impl Fn(&Table) -> bool) {
    let mut wrong = Vec::new();
    for (name, corpus) in corpora() {
        for (side, want) in [("hollow", true), ("genuine", false)] {
            for entry in entries(&corpus, section, side) {
                if flagged(entry) != want {
                    let verdict = if want { "let through" } else { "flagged" };
                    wrong.push(format!(
                        "{name}: {side} answer {verdict}: {:?}",
                        field(entry, key)
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{section}:\n{}", wrong.join("\n"));
}

#[test]
fn soa_exclusions_need_a_reason_about_the_organisation() {
    judge("soa-exclusion", "justification", |e| {
        substance::hollow_exclusion(field(e, "justification")).is_some()
    });
}

#[test]
fn objectives_need_a_checkable_target() {
    judge("objective", "target", |e| {
        substance::unmeasurable(field(e, "metric"), field(e, "target")).is_some()
    });
}

#[test]
fn competence_needs_assessed_evidence() {
    judge("competence", "evaluation", |e| {
        substance::weak_evidence(field(e, "evaluation")).is_some()
    });
}

#[test]
fn review_data_needs_figures() {
    judge("review-data", "data", |e| {
        !substance::has_figures(field(e, "data"))
    });
}

#[test]
fn review_decisions_are_not_placeholders() {
    judge("review-decision", "decision", |e| {
        substance::placeholder(field(e, "decision"))
    });
}
