//! `aims rules` and `aims explain`.

mod common;

use common::*;

#[test]
fn rules_json_lists_every_rule_documented() {
    let out = run(&project_root(), &["rules", "--format", "json"]);
    assert_eq!(code(&out), 0);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["schema"], "aims.rules/v1");
    let rules = json["rules"].as_array().unwrap();
    assert!(rules.len() >= 13);
    for r in rules {
        for key in ["code", "summary", "explanation", "classification"] {
            assert!(
                r[key].as_str().is_some_and(|s| !s.is_empty()),
                "{key} of {r}"
            );
        }
        assert!(r["clause"].is_string() || r["control"].is_string(), "{r}");
        let explanation = r["explanation"].as_str().unwrap();
        for part in ["What it checks", "Why an auditor cares", "How to fix it"] {
            assert!(explanation.contains(part), "{part} in {r}");
        }
    }
}

#[test]
fn rules_text_is_a_table() {
    let out = run(&project_root(), &["rules"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(text.starts_with("CODE"));
    assert!(text.contains("DOC005  minor"));
}

#[test]
fn explain_prints_one_rule() {
    let out = run(&project_root(), &["explain", "DOC010"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(text.starts_with("DOC010 unresolved-reference"));
    assert!(text.contains("Why an auditor cares"));
    assert!(text.contains("ISO/IEC 42001 clause: 7.5.2"));
    let by_name = stdout(&run(&project_root(), &["explain", "unresolved-reference"]));
    assert_eq!(by_name, text);
}

#[test]
fn explain_an_unknown_code_suggests_one() {
    let out = run(&project_root(), &["explain", "DOC01"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no rule `DOC01`"), "{}", stderr(&out));
}

#[test]
fn help_teaches() {
    let out = run(&project_root(), &["check", "--help"]);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(
        text.contains("--fail-on") && text.contains("Examples:"),
        "{text}"
    );
}
