//! `aims audit`: the mock certification audit, on the fixtures and on real
//! git repositories built from them (with throw-away SSH approval keys).

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

fn audit_json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["audit", "--format", "json"];
    args.extend(extra);
    let out = run(dir, &args);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(&out), stderr(&out)));
    (code(&out), json)
}

/// Every finding in the report, wherever it is filed, once.
fn all_findings(audit: &Value) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut push = |f: &Value| {
        if !out.contains(f) {
            out.push(f.clone());
        }
    };
    for top in audit["clauses"].as_array().unwrap() {
        top["findings"]
            .as_array()
            .unwrap()
            .iter()
            .for_each(&mut push);
        for c in top["clauses"].as_array().unwrap() {
            c["findings"].as_array().unwrap().iter().for_each(&mut push);
        }
    }
    for c in audit["controls"].as_array().unwrap() {
        c["findings"].as_array().unwrap().iter().for_each(&mut push);
    }
    out
}

/// The clause or control row `reference` names.
fn row<'a>(audit: &'a Value, reference: &str) -> &'a Value {
    if reference.starts_with("A.") {
        return audit["controls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == reference)
            .unwrap_or_else(|| panic!("control {reference}"));
    }
    audit["clauses"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| std::iter::once(t).chain(t["clauses"].as_array().unwrap()))
        .find(|c| c["id"] == reference)
        .unwrap_or_else(|| panic!("clause {reference}"))
}

fn severity(verdict_or_class: &str) -> u8 {
    match verdict_or_class {
        "major" | "major-nonconformity" => 0,
        "minor" | "minor-nonconformity" => 1,
        "observation" => 2,
        _ => 3,
    }
}

/// The content-gap table of fixtures/defective/DEFECTS.md: (code, ref,
/// classification, document).
fn planted_gaps() -> Vec<[String; 4]> {
    let text = std::fs::read_to_string(fixture("defective").join("DEFECTS.md")).unwrap();
    text.lines()
        .map(|l| l.split('|').map(str::trim).collect::<Vec<_>>())
        .filter(|c| c.len() == 6 && c[1].starts_with("ISO"))
        .map(|c| [c[1], c[2], c[3], c[4]].map(str::to_owned))
        .collect()
}

fn assert_planted_gaps_reported(audit: &Value) {
    let gaps = planted_gaps();
    assert!(gaps.len() >= 12, "{gaps:?}");
    let all = all_findings(audit);
    for [code, reference, class, doc] in &gaps {
        let place = row(audit, reference);
        let hit = place["findings"].as_array().unwrap().iter().find(|f| {
            f["code"] == code.as_str()
                && f["document"] == doc.as_str()
                && f["classification"] == class.as_str()
        });
        assert!(
            hit.is_some(),
            "{code} {class} on {doc} not filed under {reference}: {:#}",
            place["findings"]
        );
        // The verdict is at least as severe as the gap.
        let verdict = place["verdict"].as_str().unwrap();
        assert!(
            severity(verdict) <= severity(class),
            "{reference} is {verdict} despite a {class} gap"
        );
    }
    // The content majors are exactly the planted ones (plus, with git, the
    // unapproved policy).
    let mut majors: Vec<(String, String)> = all
        .iter()
        .filter(|f| {
            f["classification"] == "major" && f["code"].as_str().unwrap().starts_with("ISO")
        })
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["document"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    majors.sort();
    majors.dedup();
    let mut planted: Vec<(String, String)> = gaps
        .iter()
        .filter(|g| g[2] == "major")
        .map(|g| (g[0].clone(), g[3].clone()))
        .collect();
    if audit["history"] == true {
        planted.push(("ISO005".into(), "POL-001".into()));
    }
    planted.sort();
    planted.dedup();
    assert_eq!(majors, planted);
    assert_eq!(audit["readiness"]["status"], "certificate-withheld");
}

#[test]
fn the_well_kept_aims_is_ready_for_certification() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let (_tmp, dir) = repo("well-kept", true);
    let (code, audit) = audit_json(&dir, &[]);
    assert_eq!(audit["schema"], "aims.audit/v1");
    assert_eq!(audit["history"], true);
    assert_eq!(
        audit["readiness"]["findings"]["major"],
        0,
        "{:#?}",
        all_findings(&audit)
    );
    assert_eq!(
        audit["readiness"]["findings"]["minor"],
        0,
        "{:#?}",
        all_findings(&audit)
    );
    assert_eq!(audit["readiness"]["status"], "ready");
    assert_eq!(code, 0);
    // Verdicts rest on evidence git proves: the policy, approved by top
    // management, with its signer and date.
    let policy = row(&audit, "5.2")["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "POL-001")
        .expect("POL-001 evidences 5.2")
        .clone();
    assert_eq!(policy["version"], "v1");
    assert_eq!(policy["approvals"][0]["role"], "top-management");
    assert_eq!(
        policy["approvals"][0]["by"],
        "marco.silva@northwind.example"
    );
    assert_eq!(policy["approvals"][0]["date"], "2026-01-23");
    // The files alone (no git) judge the same content, and say what they
    // could not judge.
    let (code, plain) = audit_json(&fixture("well-kept"), &[]);
    assert_eq!(code, 0);
    assert_eq!(plain["history"], false);
    assert!(
        plain["limitations"][0]
            .as_str()
            .unwrap()
            .contains("No git history")
    );
}

#[test]
fn the_defective_aims_gets_each_planted_gap_with_the_articles_classification() {
    // From the files...
    let (code, audit) = audit_json(&fixture("defective"), &[]);
    assert_eq!(code, 1);
    assert_planted_gaps_reported(&audit);
    // ...and from git, where nothing is approved either.
    let (_tmp, dir) = repo("defective", false);
    let (code, audit) = audit_json(&dir, &[]);
    assert_eq!(code, 1);
    assert_planted_gaps_reported(&audit);
    // The gap matrix carries the article's impact and remediation time, and
    // the action plan is ordered by severity with owners from the documents.
    let gaps = audit["gaps"].as_array().unwrap();
    let soa = gaps.iter().find(|g| g["code"] == "ISO013").unwrap();
    assert_eq!(soa["classification"], "major");
    assert_eq!(soa["remediation"], "4-8 weeks");
    assert!(
        soa["certification-impact"]
            .as_str()
            .unwrap()
            .contains("withheld")
    );
    let review = gaps.iter().find(|g| g["code"] == "ISO023").unwrap();
    assert_eq!(review["classification"], "minor");
    assert_eq!(review["remediation"], "1 week");
    let actions = audit["actions"].as_array().unwrap();
    let ranks: Vec<u8> = actions
        .iter()
        .map(|a| severity(a["classification"].as_str().unwrap()))
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    let objective = actions
        .iter()
        .find(|a| a["code"] == "ISO018" && a["document"] == "OBJ-001")
        .unwrap();
    assert_eq!(objective["owner"], "ben.carter@brightwater.example");
    let decorative = actions
        .iter()
        .find(|a| a["code"] == "ISO013" && a["reference"] == "6.1.3, A.7.4")
        .unwrap();
    assert!(
        decorative["owner"]
            .as_str()
            .unwrap()
            .starts_with("risk-owner (maya.chen@brightwater.example)"),
        "the SoA entry's owner role: {decorative:#}"
    );
}

#[test]
fn a_missing_policy_and_a_missing_risk_method_are_major() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&fixture("well-kept"), tmp.path());
    std::fs::remove_file(tmp.path().join("aims/risk/risk-assessment-method.md")).unwrap();
    std::fs::remove_file(tmp.path().join("aims/policy/ai-policy.md")).unwrap();
    let (code, audit) = audit_json(tmp.path(), &[]);
    assert_eq!(code, 1);
    for (code, clause) in [("ISO003", "5.2"), ("ISO007", "6.1.2")] {
        let place = row(&audit, clause);
        assert_eq!(place["verdict"], "major-nonconformity", "{clause}");
        assert!(
            place["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["code"] == code && f["classification"] == "major"),
            "{code} under {clause}: {place:#}"
        );
    }
}

#[test]
fn every_annex_a_control_has_a_verdict_that_agrees_with_the_soa() {
    for name in ["well-kept", "defective"] {
        let (_, audit) = audit_json(&fixture(name), &[]);
        let controls = audit["controls"].as_array().unwrap();
        assert_eq!(controls.len(), 38, "{name}");
        let soa_text =
            std::fs::read_to_string(fixture(name).join("aims/soa/statement-of-applicability.md"))
                .unwrap();
        let toml_text = soa_text.split("+++").nth(1).unwrap();
        let soa: toml::Table = toml::from_str(toml_text).unwrap();
        let entries = soa["control"].as_array().unwrap();
        for c in controls {
            let id = c["id"].as_str().unwrap();
            let verdict = c["verdict"].as_str().unwrap();
            assert!(
                [
                    "conformity",
                    "not-evidenced",
                    "observation",
                    "minor-nonconformity",
                    "major-nonconformity",
                    "not-applicable"
                ]
                .contains(&verdict),
                "{id}: {verdict}"
            );
            let entry = entries.iter().find(|e| e["id"].as_str() == Some(id));
            match entry {
                None => {
                    assert_eq!(c["applicable"], Value::Null, "{name} {id}");
                    assert_eq!(
                        verdict, "major-nonconformity",
                        "{name}: {id} is not in the SoA"
                    );
                }
                Some(e) => {
                    let applicable = e["applicable"].as_bool().unwrap();
                    assert_eq!(c["applicable"], applicable, "{name} {id}");
                    if applicable {
                        assert_ne!(verdict, "not-applicable", "{name} {id}");
                    } else if e.get("justification").is_some() {
                        assert_eq!(verdict, "not-applicable", "{name} {id}");
                    } else {
                        assert_eq!(
                            verdict, "minor-nonconformity",
                            "{name}: {id} excluded without a reason"
                        );
                    }
                }
            }
        }
    }
}

fn codes_for(audit: &Value, code: &str) -> Vec<Value> {
    all_findings(audit)
        .into_iter()
        .filter(|f| f["code"] == code)
        .collect()
}

#[test]
fn changing_an_ai_system_after_its_impact_assessment_makes_it_outdated() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let (_tmp, dir) = repo("well-kept", true);
    let (_, before) = audit_json(&dir, &[]);
    assert!(codes_for(&before, "ISO017").is_empty());
    commit_change(
        &dir,
        "priya.nair@northwind.example",
        "aims/ai-systems/sys-001-credit-risk-scoring.md",
        |t| t + "\nThe model now also scores top-up loans.\n",
        "2026-11-20T10:00:00Z",
    );
    let (code, after) = audit_json(&dir, &[]);
    assert_eq!(code, 1);
    let outdated = codes_for(&after, "ISO017");
    assert_eq!(outdated.len(), 1, "{outdated:#?}");
    let f = &outdated[0];
    assert_eq!(f["document"], "AIA-001");
    let message = f["message"].as_str().unwrap();
    assert!(
        message.contains("outdated") && message.contains("SYS-001 changed on 2026-11-20"),
        "{message}"
    );
    // SYS-001 is a high-risk system: an outdated assessment is major.
    assert_eq!(f["classification"], "major");
    assert!(row(&after, "A.5.3")["verdict"] == "major-nonconformity");
    // The support assistant's assessment is untouched.
    assert!(!message.contains("AIA-002"));
}

#[test]
fn an_auditor_who_owns_and_wrote_what_they_audited_is_not_independent() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let (_tmp, dir) = repo("well-kept", true);
    let (_, before) = audit_json(&dir, &[]);
    assert!(codes_for(&before, "ISO021").is_empty());
    // The risk owner signs the audit report instead of the internal auditor.
    commit_change(
        &dir,
        "ivan.petrov@northwind.example",
        "aims/internal-audit/iau-002-2026-audit-report.md",
        |t| {
            t.replace(
                "auditor = \"ivan.petrov@northwind.example\"",
                "auditor = \"rahul.iyer@northwind.example\"",
            )
        },
        "2026-11-20T10:00:00Z",
    );
    let (_, after) = audit_json(&dir, &[]);
    let found = codes_for(&after, "ISO021");
    assert_eq!(found.len(), 1, "{found:#?}");
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.contains("rahul.iyer@northwind.example"),
        "{message}"
    );
    assert!(message.contains("owns RAM-001"), "{message}");
    assert!(message.contains("authored changes to RAM-001"), "{message}");
    assert_eq!(found[0]["clause"], "9.2");
    assert_eq!(row(&after, "9.2")["verdict"], "minor-nonconformity");
}

#[test]
fn html_is_one_self_contained_page_and_json_follows_the_schema() {
    let out = run(&fixture("defective"), &["audit", "--format", "html"]);
    assert_eq!(code(&out), 1);
    let html = stdout(&out);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    assert!(html.contains("<style>"));
    for external in [
        "http://", "https://", "<script", "<link", "<img", "src=", "@import", "url(",
    ] {
        assert!(!html.contains(external), "external asset: {external}");
    }
    assert!(html.contains("certificate would be withheld"));
    for c in ["A.2.2", "A.6.2.8", "A.10.4"] {
        assert!(html.contains(&format!("id=\"control-{c}\"")), "{c}");
    }
    // Text from the documents is escaped.
    assert!(!html.contains("<b>Limitation.</b> <"));

    let (_, audit) = audit_json(&fixture("defective"), &["--crosswalk", "nist-ai-rmf"]);
    assert_eq!(audit["schema"], "aims.audit/v1");
    for key in [
        "as-of",
        "readiness",
        "clauses",
        "controls",
        "gaps",
        "actions",
        "limitations",
    ] {
        assert!(audit.get(key).is_some(), "{key}");
    }
    let tops: Vec<&str> = audit["clauses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(tops, ["4", "5", "6", "7", "8", "9", "10"]);
    for f in all_findings(&audit) {
        for key in ["code", "rule", "classification", "message"] {
            assert!(f[key].is_string(), "{key} in {f}");
        }
    }
    let parts: Vec<&str> = audit["crosswalk"]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(parts, ["govern", "map", "measure", "manage"]);
    let (_, eu) = audit_json(&fixture("well-kept"), &["--crosswalk", "eu-ai-act"]);
    let eu_parts = eu["crosswalk"]["parts"].as_array().unwrap();
    assert_eq!(eu_parts.len(), 8);
    let human = stdout(&run(
        &fixture("well-kept"),
        &["audit", "--crosswalk", "eu-ai-act"],
    ));
    assert!(human.contains("Art. 14 Human oversight"), "{human}");
    let md = stdout(&run(
        &fixture("defective"),
        &["audit", "--format", "markdown"],
    ));
    assert!(md.contains("| gap | classification | certification impact | typical remediation |"));
}
