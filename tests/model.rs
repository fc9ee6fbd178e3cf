//! The requirements model, element by element: in the well-kept AIMS,
//! signed and approved in git, take away one element (or make it hollow)
//! and exactly one major or minor finding must appear, under the right
//! clause or control, and `aims audit` must not rate that clause or control
//! "conformity". An AIMS written to the earlier templates gets one precise
//! finding per missing element.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

/// The file of the document with this id under `dir`.
fn file_of(dir: &Path, id: &str) -> PathBuf {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .find(|p| {
            std::fs::read_to_string(p)
                .is_ok_and(|t| t.lines().any(|l| l.trim() == format!("id = \"{id}\"")))
        })
        .unwrap_or_else(|| panic!("no document {id} in {}", dir.display()))
}

fn edit(dir: &Path, id: &str, change: impl FnOnce(&str) -> String) {
    let path = file_of(dir, id);
    let text = std::fs::read_to_string(&path).unwrap();
    let changed = change(&text);
    assert_ne!(text, changed, "the edit of {id} changed nothing");
    std::fs::write(&path, changed).unwrap();
}

/// The frontmatter's lines, and the index of the closing `+++`.
fn lines(text: &str) -> (Vec<String>, usize) {
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let close = lines.iter().skip(1).position(|l| l == "+++").unwrap() + 1;
    (lines, close)
}

fn join(lines: Vec<String>) -> String {
    lines.join("\n") + "\n"
}

/// The line range of the `n`th table with this header (`[[harm]]`), or of
/// the first one whose `key = "value"` matches, up to the next header.
fn table_range(lines: &[String], close: usize, header: &str, pick: Pick) -> (usize, usize) {
    let starts: Vec<usize> = (0..close).filter(|&i| lines[i].trim() == header).collect();
    let end = |s: usize| {
        (s + 1..close)
            .find(|&i| lines[i].trim_start().starts_with('['))
            .unwrap_or(close)
    };
    let s = match pick {
        Pick::First => starts[0],
        Pick::Where(key, value) => *starts
            .iter()
            .find(|&&s| {
                lines[s..end(s)]
                    .iter()
                    .any(|l| l.trim() == format!("{key} = \"{value}\""))
            })
            .unwrap_or_else(|| panic!("no {header} with {key} = {value}")),
    };
    (s, end(s))
}

#[derive(Clone, Copy)]
enum Pick {
    First,
    Where(&'static str, &'static str),
}

fn key_line(lines: &[String], from: usize, to: usize, key: &str) -> usize {
    (from..to)
        .find(|&i| {
            lines[i].starts_with(&format!("{key} =")) || lines[i].starts_with(&format!("{key}="))
        })
        .unwrap_or_else(|| panic!("no `{key}` in lines {from}..{to}: {:#?}", &lines[from..to]))
}

/// Removes a top-level key (a one-line value).
fn drop_key(key: &'static str) -> impl FnOnce(&str) -> String {
    move |text| {
        let (mut lines, close) = lines(text);
        let first_table = (1..close)
            .find(|&i| lines[i].trim_start().starts_with('['))
            .unwrap_or(close);
        let i = key_line(&lines, 1, first_table, key);
        lines.remove(i);
        join(lines)
    }
}

/// Removes a key from a table.
fn drop_in(header: &'static str, pick: Pick, key: &'static str) -> impl FnOnce(&str) -> String {
    move |text| {
        let (mut lines, close) = lines(text);
        let (s, e) = table_range(&lines, close, header, pick);
        let i = key_line(&lines, s, e, key);
        lines.remove(i);
        join(lines)
    }
}

/// Sets a key of a table to a TOML value.
fn set_in(
    header: &'static str,
    pick: Pick,
    key: &'static str,
    value: String,
) -> impl FnOnce(&str) -> String {
    move |text| {
        let (mut lines, close) = lines(text);
        let (s, e) = table_range(&lines, close, header, pick);
        let i = key_line(&lines, s, e, key);
        lines[i] = format!("{key} = {value}");
        join(lines)
    }
}

/// Removes a whole table.
fn drop_table(header: &'static str, pick: Pick) -> impl FnOnce(&str) -> String {
    move |text| {
        let (mut lines, close) = lines(text);
        let (s, e) = table_range(&lines, close, header, pick);
        lines.drain(s..e);
        join(lines)
    }
}

/// The well-kept AIMS with `change` made, committed by its authors and
/// approved by signed tags as `fixtures/make-repo.sh --approve` does.
fn approved_variant(change: impl FnOnce(&Path)) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    copy_dir(&fixture("well-kept"), &src);
    change(&src);
    let dest = tmp.path().join("repo");
    approved_repo_from(&src, &dest);
    (tmp, dest)
}

fn audit(dir: &Path) -> Value {
    let out = run(dir, &["audit", "--format", "json"]);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The row of a clause, sub-clause or control.
fn row<'a>(audit: &'a Value, reference: &str) -> &'a Value {
    let mut rows: Vec<&Value> = Vec::new();
    for c in audit["clauses"].as_array().unwrap() {
        rows.push(c);
        rows.extend(c["clauses"].as_array().unwrap());
    }
    rows.extend(audit["controls"].as_array().unwrap());
    rows.into_iter()
        .find(|r| r["id"] == reference)
        .unwrap_or_else(|| panic!("no row {reference}"))
}

/// Exactly one major or minor finding, with this code, filed under
/// `reference` (a clause or a control); the audit does not call
/// `reference` conformity, and its element is not evidenced.
fn exactly_one_gap(dir: &Path, code: &str, reference: &str, element: &str) {
    let (_, json) = check_json(dir);
    let serious: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| matches!(f["classification"].as_str(), Some("major" | "minor")))
        .collect();
    assert_eq!(serious.len(), 1, "{serious:#?}");
    let f = serious[0];
    assert_eq!(f["code"], code, "{f:#}");
    let filed = if reference.starts_with("A.") {
        &f["control"]
    } else {
        &f["clause"]
    };
    assert_eq!(filed, reference, "{f:#}");
    assert!(f["path"].is_string() && f["line"].is_u64(), "{f:#}");
    let audit = audit(dir);
    let r = row(&audit, reference);
    assert_ne!(r["verdict"], "conformity", "{r:#}");
    assert_ne!(
        r["verdict"], "not-evidenced",
        "a finding, not a shrug: {r:#}"
    );
    let status = r["elements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == format!("{reference}/{element}"))
        .unwrap_or_else(|| panic!("no element {element} in {r:#}"))["status"]
        .clone();
    assert_eq!(status, "missing", "{r:#}");
}

#[test]
fn the_approved_well_kept_aims_evidences_every_checked_element() {
    if !have_tools(&["git", "ssh-keygen"]) {
        return;
    }
    let (_tmp, dir) = approved_variant(|_| {});
    let (code, json) = check_json(&dir);
    assert_eq!(json["findings"], serde_json::json!([]), "{json:#}");
    assert_eq!(code, 0);
    let audit = audit(&dir);
    // Every element the model checks is evidenced or not yet exercised;
    // the verdicts that rest on them are conformity.
    for reference in [
        "6.1.3", "6.1.4", "9.2.2", "9.3.2", "10.2", "A.5.4", "A.5.5", "A.9.2", "A.10.2",
    ] {
        let r = row(&audit, reference);
        assert_eq!(r["verdict"], "conformity", "{r:#}");
        for e in r["elements"].as_array().unwrap() {
            assert!(
                matches!(
                    e["status"].as_str(),
                    Some("evidenced" | "not-exercised" | "judged")
                ),
                "{e:#}"
            );
        }
    }
}

macro_rules! element_case {
    ($name:ident, $id:literal, $edit:expr, $code:literal, $reference:literal, $element:literal) => {
        #[test]
        fn $name() {
            if !have_tools(&["git", "ssh-keygen"]) {
                return;
            }
            let (_tmp, dir) = approved_variant(|src| edit(src, $id, $edit));
            exactly_one_gap(&dir, $code, $reference, $element);
        }
    };
}

// Clause 6: treatment actions and impact assessments.
element_case!(
    a_treatment_action_without_owner,
    "RSK-001",
    drop_in("[[action]]", Pick::First, "owner"),
    "ISO029",
    "6.1.3",
    "actions"
);
element_case!(
    a_mitigation_that_restates_its_harm,
    "AIA-001",
    |t: &str| {
        let (lines, close) = lines(t);
        let (s, e) = table_range(&lines, close, "[[harm]]", Pick::First);
        let harm = lines[key_line(&lines, s, e, "harm")]
            .split_once('=')
            .unwrap()
            .1
            .trim()
            .to_owned();
        set_in("[[harm]]", Pick::First, "mitigation", harm)(t)
    },
    "ISO029",
    "6.1.4",
    "mitigations"
);
element_case!(
    an_objective_without_a_plan,
    "OBJ-001",
    drop_key("plan"),
    "ISO029",
    "6.2",
    "plan"
);
// Clause 8: treatment carried out.
element_case!(
    a_treatment_action_overdue,
    "RSK-001",
    |t: &str| {
        let t = set_in("[[action]]", Pick::First, "due", "2026-02-27".into())(t);
        set_in(
            "[[action]]",
            Pick::First,
            "status",
            "\"in-progress\"".into(),
        )(&t)
    },
    "ISO030",
    "8.3",
    "treatment-done"
);
// Clause 9: monitoring, audit, review.
element_case!(
    an_objective_without_results,
    "OBJ-002",
    drop_key("results"),
    "ISO029",
    "9.1",
    "results"
);
element_case!(
    an_audit_report_without_criteria,
    "IAU-002",
    drop_key("criteria"),
    "ISO029",
    "9.2.2",
    "scope-criteria"
);
element_case!(
    an_audit_programme_without_methods,
    "IAU-001",
    drop_key("methods"),
    "ISO029",
    "9.2.2",
    "programme"
);
element_case!(
    a_review_that_ignores_previous_actions,
    "MRV-001",
    drop_table("[[input]]", Pick::Where("topic", "previous-actions")),
    "ISO029",
    "9.3.2",
    "previous-actions"
);
element_case!(
    a_review_following_up_an_action_that_does_not_exist,
    "MRV-001",
    |t: &str| {
        let (mut lines, close) = lines(t);
        lines.splice(
            close..close,
            [
                "".to_owned(),
                "[[follow-up]]".into(),
                "action = \"MRV-001#9\"".into(),
                "status = \"done\"".into(),
            ],
        );
        join(lines)
    },
    "ISO031",
    "9.3.2",
    "follow-up"
);
// Clause 10: corrective action.
element_case!(
    a_root_cause_that_restates_the_problem,
    "NCR-001",
    |t: &str| {
        let body = t.split("## Description").nth(1).unwrap();
        let first = body
            .trim()
            .split("\n\n")
            .next()
            .unwrap()
            .replace('\n', " ")
            .replace('"', "'");
        let (mut lines, close) = lines(t);
        let i = key_line(&lines, 1, close, "root-cause");
        lines[i] = format!("root-cause = \"{first}\"");
        join(lines)
    },
    "ISO029",
    "10.2",
    "root-cause"
);
element_case!(
    a_closed_nonconformity_whose_action_did_not_work,
    "NCR-001",
    set_in(
        "[effectiveness]",
        Pick::First,
        "result",
        "\"not-effective\"".into()
    ),
    "ISO025",
    "10.2",
    "effectiveness"
);
// Annex A.5, A.9, A.10.
element_case!(
    an_impact_assessment_without_societal_harm,
    "AIA-001",
    drop_table("[[harm]]", Pick::Where("affected", "society")),
    "ISO029",
    "A.5.5",
    "society"
);
element_case!(
    a_system_without_an_oversight_trigger,
    "SYS-001",
    drop_in("[human-oversight]", Pick::First, "trigger"),
    "ISO029",
    "A.9.2",
    "human-oversight"
);
element_case!(
    a_supplied_component_never_assessed,
    "SYS-002",
    drop_in("[[component]]", Pick::First, "assessment"),
    "ISO029",
    "A.10.3",
    "supplier-assessment"
);

/// An AIMS written to the templates before the model (the well-kept
/// example as it was): it loads, nothing panics, and each missing element
/// is one finding with file, line and the field to add.
#[test]
fn an_aims_written_to_the_earlier_templates_gets_one_finding_per_missing_element() {
    let legacy = fixture("legacy");
    let out = run(&legacy, &["check", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for f in findings {
        let code = f["code"].as_str().unwrap();
        assert!(
            matches!(code, "ISO029" | "ISO025"),
            "only the model's new elements are missing: {f:#}"
        );
        assert!(f["path"].is_string() && f["line"].is_u64(), "{f:#}");
        let help = f["help"].as_str().unwrap_or("");
        let message = f["message"].as_str().unwrap();
        if code == "ISO029" {
            assert!(help.starts_with("add ") && help.contains('`'), "{f:#}");
            // One finding per document and element.
            let element = message
                .rsplit_once(" (")
                .unwrap()
                .1
                .split(':')
                .next()
                .unwrap()
                .to_owned();
            assert!(
                seen.insert((f["document"].to_string(), element)),
                "twice: {f:#}"
            );
        } else {
            assert!(message.contains("[effectiveness]"), "{f:#}");
        }
    }
    // Every kind that gained elements is reported.
    for needle in [
        "4.1/ai-roles",
        "6.1.1/opportunities",
        "6.1.3/actions",
        "6.1.4/harms",
        "6.2/plan",
        "9.1/results",
        "9.2.2/programme",
        "9.2.2/scope-criteria",
        "9.3.2/previous-actions",
        "10.2/root-cause-method",
        "A.9.2/human-oversight",
        "A.6.2.4/validation",
        "A.10.2/components",
    ] {
        assert!(
            findings
                .iter()
                .any(|f| f["message"].as_str().unwrap().contains(needle)),
            "{needle}"
        );
    }
    // Every format renders it.
    for format in ["human", "sarif", "github", "markdown"] {
        let out = run(&legacy, &["check", "--format", format]);
        assert_eq!(code(&out), 1, "{format}: {}", stderr(&out));
    }
    let out = run(&legacy, &["audit", "--format", "html"]);
    assert!(stdout(&out).contains("elements:"), "{}", stderr(&out));
}

/// A copy of the well-kept AIMS (no git: the content rules run) with
/// `change` made; the codes of its major and minor findings.
fn serious_codes_after(change: impl FnOnce(&Path)) -> Vec<(String, String)> {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("well-kept"), tmp.path());
    change(tmp.path());
    let (_, json) = check_json(tmp.path());
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| matches!(f["classification"].as_str(), Some("major" | "minor")))
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Values an auditor rejects at once, in fields the model reads: each is
/// one finding naming the element. (Found by a second read of the model:
/// all of these passed before.)
#[test]
fn hollow_values_are_not_answers() {
    type Edit = Box<dyn FnOnce(&str) -> String>;
    let cases: Vec<(&str, &str, Edit, &str, &str)> = vec![
        (
            "placeholder role",
            "SYS-001",
            Box::new(set_in(
                "[human-oversight]",
                Pick::First,
                "role",
                "\"TBA\"".into(),
            )),
            "ISO029",
            "A.9.2/human-oversight",
        ),
        (
            "dash",
            "SYS-001",
            Box::new(set_in(
                "[human-oversight]",
                Pick::First,
                "intervention",
                "\"—\"".into(),
            )),
            "ISO029",
            "A.9.2/human-oversight",
        ),
        (
            "to be determined",
            "SYS-001",
            Box::new(set_in(
                "[human-oversight]",
                Pick::First,
                "trigger",
                "\"to be determined\"".into(),
            )),
            "ISO029",
            "A.9.2/human-oversight",
        ),
        (
            "one-word mitigation",
            "AIA-001",
            Box::new(set_in(
                "[[harm]]",
                Pick::First,
                "mitigation",
                "\"Mitigated\"".into(),
            )),
            "ISO029",
            "6.1.4/mitigations",
        ),
        (
            "pending residual",
            "AIA-001",
            Box::new(set_in(
                "[[harm]]",
                Pick::First,
                "residual",
                "\"pending\"".into(),
            )),
            "ISO029",
            "6.1.4/residual",
        ),
        (
            "pointer summary",
            "MRV-001",
            Box::new(set_in(
                "[[input]]",
                Pick::Where("topic", "monitoring"),
                "summary",
                "\"see slides\"".into(),
            )),
            "ISO029",
            "9.3.2/input-summaries",
        ),
        (
            "xxx summary",
            "MRV-001",
            Box::new(set_in(
                "[[input]]",
                Pick::Where("topic", "changes"),
                "summary",
                "\"xxx\"".into(),
            )),
            "ISO029",
            "9.3.2/input-summaries",
        ),
        (
            "one-word criteria",
            "IAU-002",
            Box::new(|t: &str| {
                let (mut lines, close) = lines(t);
                let i = key_line(&lines, 1, close, "criteria");
                lines[i] = "criteria = \"ISO\"".into();
                join(lines)
            }),
            "ISO029",
            "9.2.2/scope-criteria",
        ),
        (
            "n.a. method",
            "NCR-001",
            Box::new(|t: &str| {
                let (mut lines, close) = lines(t);
                let i = key_line(&lines, 1, close, "root-cause-method");
                lines[i] = "root-cause-method = \"n.a.\"".into();
                join(lines)
            }),
            "ISO029",
            "10.2/root-cause-method",
        ),
        (
            "reported to the auditor",
            "IAU-002",
            Box::new(|t: &str| {
                let (mut lines, close) = lines(t);
                let auditor = lines[key_line(&lines, 1, close, "auditor")]
                    .split_once('=')
                    .unwrap()
                    .1
                    .trim()
                    .to_owned();
                let i = key_line(&lines, 1, close, "reported-to");
                lines[i] = format!("reported-to = {auditor}");
                join(lines)
            }),
            "ISO031",
            "own auditor",
        ),
        (
            "unrelated assessment",
            "SYS-002",
            Box::new(set_in(
                "[[component]]",
                Pick::First,
                "assessment",
                "\"REC-001\"".into(),
            )),
            "ISO031",
            "names neither",
        ),
        (
            "checked the day it was raised",
            "NCR-001",
            Box::new(|t: &str| {
                let (lines, close) = lines(t);
                let raised = lines[key_line(&lines, 1, close, "raised-on")]
                    .split_once('=')
                    .unwrap()
                    .1
                    .trim()
                    .to_owned();
                set_in("[effectiveness]", Pick::First, "checked-on", raised)(t)
            }),
            "ISO025",
            "the day it was raised",
        ),
        (
            "every action dropped",
            "RSK-001",
            Box::new(|t: &str| {
                t.replace("status = \"done\"", "status = \"dropped\"")
                    .replace("status = \"planned\"", "status = \"dropped\"")
                    .replace("status = \"in-progress\"", "status = \"dropped\"")
            }),
            "ISO030",
            "every treatment action was dropped",
        ),
        (
            "no provider",
            "SYS-002",
            Box::new(drop_key("provider")),
            "ISO029",
            "A.10.2/provider",
        ),
        (
            "Context with sub-headings only",
            "SCO-001",
            Box::new(|t: &str| {
                let (head, rest) = t.split_once("## Context").unwrap();
                let next = rest.find("\n## ").unwrap();
                format!(
                    "{head}## Context\n\n### External issues\n\n### Internal issues\n{}",
                    &rest[next..]
                )
            }),
            "ISO029",
            "4.1/issues",
        ),
    ];
    for (what, id, change, code, needle) in cases {
        let found = serious_codes_after(|dir| edit(dir, id, change));
        assert_eq!(found.len(), 1, "{what}: {found:#?}");
        assert_eq!(found[0].0, code, "{what}: {found:#?}");
        assert!(found[0].1.contains(needle), "{what}: {found:#?}");
    }
}

/// And what an auditor accepts is not flagged: a countermeasure that
/// shares the harm's words, a nonconformity raised during its audit, a
/// system both excluded and in scope stays under the model.
#[test]
fn real_answers_are_not_flagged() {
    let found = serious_codes_after(|dir| {
        edit(dir, "AIA-001", |t| {
            let t = set_in(
                "[[harm]]",
                Pick::First,
                "harm",
                "\"Automated declines are final: no human reviews them\"".into(),
            )(t);
            set_in(
                "[[harm]]",
                Pick::First,
                "mitigation",
                "\"A human reviews all automated declines\"".into(),
            )(&t)
        })
    });
    assert_eq!(found, Vec::<(String, String)>::new());
    // Raised four days before the audit's last day, while it ran.
    let found = serious_codes_after(|dir| {
        let audit = std::fs::read_to_string(file_of(dir, "IAU-002")).unwrap();
        let (lines, close) = lines(&audit);
        let on = lines[key_line(&lines, 1, close, "conducted-on")]
            .split_once('=')
            .unwrap()
            .1
            .trim()
            .to_owned();
        let day: aims::date::Date = on.parse().unwrap();
        let during = day.add_days(-4).to_string();
        edit(dir, "NCR-001", |t| {
            let (mut lines, close) = self::lines(t);
            let i = key_line(&lines, 1, close, "raised-on");
            lines[i] = format!("raised-on = {during}");
            join(lines)
        });
    });
    assert_eq!(found, Vec::<(String, String)>::new());
    // Listed in scope and excluded too: ISO002 says so, and the system
    // stays under the model (its missing oversight is still reported).
    let found = serious_codes_after(|dir| {
        edit(dir, "SCO-001", |t| {
            format!(
                "{}\n[[exclusion]]\nai-system = \"SYS-001\"\njustification = \"Run by the vendor's staff on its own premises.\"\n+++{}",
                &t[..t[3..].find("\n+++").unwrap() + 3],
                &t[t[3..].find("\n+++").unwrap() + 7..]
            )
        });
        edit(dir, "SYS-001", drop_table("[human-oversight]", Pick::First));
    });
    let codes: Vec<&str> = found.iter().map(|(c, _)| c.as_str()).collect();
    assert!(
        codes.contains(&"ISO002") && codes.contains(&"ISO029"),
        "{found:#?}"
    );
}
