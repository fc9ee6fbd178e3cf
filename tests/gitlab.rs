//! GitLab: `aims check --format gitlab` against the keys GitLab's Code
//! Quality report format documents as required (docs.gitlab.com, "Code
//! Quality report format": description, check_name, fingerprint,
//! severity, location.path, location.lines.begin), and the CI/CD template
//! under templates/gitlab through yamllint, a real YAML parser and the
//! static checks `gitlab-ci-local` would make offline.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

const TEMPLATE: &str = "templates/gitlab/aims.gitlab-ci.yml";

/// Every problem with one issue of a Code Quality report, by the
/// documented required keys and types.
fn issue_problems(i: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let string = |k: &str| i[k].as_str().is_some_and(|s| !s.trim().is_empty());
    for k in ["description", "check_name", "fingerprint"] {
        if !string(k) {
            p.push(format!("`{k}` is not a non-empty string: {i}"));
        }
    }
    if !matches!(
        i["severity"].as_str(),
        Some("info" | "minor" | "major" | "critical" | "blocker")
    ) {
        p.push(format!("`severity` is not one GitLab knows: {i}"));
    }
    match i["location"]["path"].as_str() {
        Some(path) if !path.is_empty() && !path.starts_with('/') && !path.contains("..") => {}
        _ => p.push(format!("`location.path` is not a relative path: {i}")),
    }
    let line = i["location"]["lines"]["begin"]
        .as_u64()
        .or_else(|| i["location"]["positions"]["begin"]["line"].as_u64());
    if line.is_none_or(|l| l == 0) {
        p.push(format!("no line (`location.lines.begin`): {i}"));
    }
    p
}

fn gitlab(dir: &Path) -> Vec<Value> {
    let out = run(dir, &["check", "--format", "gitlab"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.starts_with('\u{feff}'), "GitLab refuses a BOM");
    let v: Value = serde_json::from_str(&text).unwrap();
    v.as_array().expect("a single JSON array").clone()
}

fn fingerprints(report: &[Value]) -> BTreeMap<String, Value> {
    report
        .iter()
        .map(|i| (i["fingerprint"].as_str().unwrap().to_owned(), i.clone()))
        .collect()
}

#[test]
fn the_code_quality_report_has_every_documented_key_and_stable_fingerprints() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("defective");
    copy_dir(&fixture("defective"), &dir);
    let report = gitlab(&dir);
    let problems: Vec<String> = report.iter().flat_map(issue_problems).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The check itself finds what it should.
    assert!(!issue_problems(&serde_json::json!({"description": "x", "check_name": "A", "fingerprint": "f", "severity": "major nonconformity", "location": {"path": "/etc/x", "lines": {"begin": 0}}})).is_empty());

    // One issue per finding, severity from the classification.
    let (_, json) = check_json(&dir);
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(report.len(), findings.len());
    for (i, f) in report.iter().zip(findings) {
        assert_eq!(i["check_name"], f["code"]);
        let severity = match f["classification"].as_str().unwrap() {
            "major" => "blocker",
            "minor" => "major",
            "observation" => "minor",
            _ => "info",
        };
        assert_eq!(i["severity"], severity, "{i}");
        assert!(
            i["description"]
                .as_str()
                .unwrap()
                .contains(f["message"].as_str().unwrap())
        );
    }

    // Unique, and the same in a second run.
    let first = fingerprints(&report);
    assert_eq!(first.len(), report.len(), "fingerprints are unique");
    assert_eq!(fingerprints(&gitlab(&dir)), first);

    // The competence matrix's owner is "the AI team": that finding's
    // fingerprint changes with it; a line added above it moves its line,
    // not its fingerprint.
    const MATRIX: &str = "aims/competence/competence-matrix.md";
    let path = dir.join(MATRIX);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("owner = \"the AI team\""), "{text}");
    let about_owner = |r: &BTreeMap<String, Value>| -> Vec<(String, u64)> {
        r.iter()
            .filter(|(_, i)| {
                i["location"]["path"] == MATRIX
                    && i["description"].as_str().unwrap().contains("AI team")
            })
            .map(|(f, i)| (f.clone(), i["location"]["lines"]["begin"].as_u64().unwrap()))
            .collect()
    };
    let before = about_owner(&first);
    assert_eq!(before.len(), 1, "{before:?}");
    std::fs::write(
        &path,
        text.replacen("+++\n", "+++\n# moved down a line\n", 1),
    )
    .unwrap();
    let moved = fingerprints(&gitlab(&dir));
    let after = about_owner(&moved);
    assert_eq!(after[0].0, before[0].0, "same finding, same fingerprint");
    assert_eq!(after[0].1, before[0].1 + 1, "on the next line");
    assert_eq!(
        moved.keys().collect::<Vec<_>>(),
        first.keys().collect::<Vec<_>>()
    );

    std::fs::write(
        &path,
        text.replace("owner = \"the AI team\"", "owner = \"the AI crew\""),
    )
    .unwrap();
    let changed = fingerprints(&gitlab(&dir));
    assert!(
        !changed.contains_key(&before[0].0),
        "the changed finding has a new fingerprint"
    );
    let elsewhere = |r: &BTreeMap<String, Value>| -> BTreeSet<String> {
        r.iter()
            .filter(|(_, i)| i["location"]["path"] != MATRIX)
            .map(|(f, _)| f.clone())
            .collect()
    };
    assert_eq!(
        elsewhere(&changed),
        elsewhere(&first),
        "findings elsewhere keep theirs"
    );
}

/// The template as data, read by a real YAML parser (PyYAML, which
/// yamllint installs).
fn parse_yaml(text: &str) -> Value {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("ci.yml");
    std::fs::write(&file, text).unwrap();
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "not YAML: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The keywords GitLab CI/CD accepts in a job.
const JOB_KEYWORDS: &[&str] = &[
    "after_script",
    "allow_failure",
    "artifacts",
    "before_script",
    "cache",
    "coverage",
    "dependencies",
    "environment",
    "except",
    "extends",
    "hooks",
    "id_tokens",
    "image",
    "inherit",
    "interruptible",
    "needs",
    "only",
    "parallel",
    "release",
    "resource_group",
    "retry",
    "rules",
    "script",
    "secrets",
    "services",
    "stage",
    "tags",
    "timeout",
    "trigger",
    "variables",
    "when",
];
const GLOBAL_KEYWORDS: &[&str] = &["default", "include", "stages", "variables", "workflow"];

/// Static checks of a GitLab CI/CD file, as `gitlab-ci-local` makes them
/// before running anything, plus what this template promises.
fn template_problems(ci: &Value, readme: &str) -> Vec<String> {
    let mut p = Vec::new();
    let Some(top) = ci.as_object() else {
        return vec!["not a mapping".into()];
    };
    let vars = ci["variables"].as_object().cloned().unwrap_or_default();
    if vars.get("GIT_DEPTH").and_then(Value::as_str) != Some("0") {
        p.push("GIT_DEPTH is not \"0\" (a full clone)".into());
    }
    if !vars
        .get("GIT_FETCH_EXTRA_FLAGS")
        .and_then(Value::as_str)
        .is_some_and(|f| f.contains("--tags"))
    {
        p.push("GIT_FETCH_EXTRA_FLAGS does not fetch --tags".into());
    }
    for (k, v) in &vars {
        if !v.is_string() {
            p.push(format!("variable {k} is not a string"));
        }
        if !readme.contains(&format!("`{k}`")) {
            p.push(format!("the README does not document variable `{k}`"));
        }
    }
    let stages: Vec<&str> = ci["stages"]
        .as_array()
        .map(|s| s.iter().filter_map(Value::as_str).collect())
        .unwrap_or_else(|| vec!["build", "test", "deploy"]);
    let jobs: BTreeMap<&String, &Value> = top
        .iter()
        .filter(|(k, _)| !GLOBAL_KEYWORDS.contains(&k.as_str()))
        .collect();
    let visible: BTreeSet<&str> = jobs
        .keys()
        .filter(|k| !k.starts_with('.'))
        .map(|k| k.as_str())
        .collect();
    for (name, job) in &jobs {
        let Some(job) = job.as_object() else {
            p.push(format!("job {name} is not a mapping"));
            continue;
        };
        for k in job.keys() {
            if !JOB_KEYWORDS.contains(&k.as_str()) {
                p.push(format!("job {name}: unknown keyword `{k}`"));
            }
        }
        // With `extends` resolved (one level, as here).
        let mut merged = serde_json::Map::new();
        if let Some(parent) = job.get("extends").and_then(Value::as_str) {
            match jobs.get(&parent.to_owned()).and_then(|j| j.as_object()) {
                Some(base) => merged.extend(base.clone()),
                None => p.push(format!("job {name} extends unknown `{parent}`")),
            }
        }
        merged.extend(job.clone());
        if name.starts_with('.') {
            continue;
        }
        if merged["script"].as_array().is_none_or(|s| s.is_empty()) {
            p.push(format!("job {name} has no script"));
        }
        let stage = merged
            .get("stage")
            .and_then(Value::as_str)
            .unwrap_or("test");
        if !stages.contains(&stage) {
            p.push(format!("job {name}: stage {stage} is not in stages"));
        }
        for n in merged
            .get("needs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !n.as_str().is_some_and(|n| visible.contains(n)) {
                p.push(format!("job {name} needs unknown {n}"));
            }
        }
        if !readme.contains(&format!("`{name}`")) {
            p.push(format!("the README does not document job `{name}`"));
        }
    }
    // The check job writes the report its artifact declares.
    let check = &ci["aims-check"];
    let report = check["artifacts"]["reports"]["codequality"].as_str();
    let script = check["script"].to_string();
    match report {
        Some(file)
            if script.contains(&format!(
                "--format gitlab --fail-on \\\"$AIMS_FAIL_ON\\\" > {file}"
            )) => {}
        _ => p.push(format!(
            "aims-check does not write its codequality report ({report:?})"
        )),
    }
    if check["artifacts"]["when"] != "always" {
        p.push("aims-check keeps its report only on success".into());
    }
    // The note job: merge requests only, pr-comment's marker, our own note.
    let note = &ci["aims-mr-note"];
    let script = note["script"].to_string();
    if !note["rules"].to_string().contains("merge_request_event") {
        p.push("aims-mr-note does not run on merge requests".into());
    }
    for needle in [
        "aims pr-comment",
        aims::pr_comment::MARKER,
        "CI_JOB_TOKEN",
        "AIMS_GITLAB_TOKEN",
        ".author.id",
        "PUT",
        "/notes",
    ] {
        if !script.contains(needle) {
            p.push(format!("aims-mr-note: no `{needle}`"));
        }
    }
    p
}

#[test]
fn the_gitlab_template_lints_parses_and_has_what_the_readme_documents() {
    if !have_tools(&["yamllint", "python3"]) {
        return;
    }
    let root = project_root();
    let file = root.join(TEMPLATE);
    let lint = Command::new("yamllint")
        .args(["-f", "parsable", "-d", "relaxed"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(lint.status.success(), "{}", stdout(&lint));
    let text = std::fs::read_to_string(&file).unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let ci = parse_yaml(&text);
    let problems = template_problems(&ci, &readme);
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The checks find what they look for.
    let broken = parse_yaml(
        &text
            .replace("GIT_DEPTH: \"0\"", "GIT_DEPTH: \"1\"")
            .replace(
                "codequality: gl-code-quality-report.json",
                "codequality: other.json",
            )
            .replace(
                "  stage: test\n  needs: []",
                "  stage: tset\n  needs: [aims-nothing]",
            ),
    );
    let found = template_problems(&broken, &readme);
    for needle in ["GIT_DEPTH", "codequality", "tset", "aims-nothing"] {
        assert!(
            found.iter().any(|p| p.contains(needle)),
            "{needle}: {found:?}"
        );
    }
    assert!(
        !template_problems(&ci, "").is_empty(),
        "an undocumented template fails"
    );
    // And yamllint fails on broken YAML.
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.yml");
    std::fs::write(&bad, "a: [1, 2\nb: c\n").unwrap();
    let lint = Command::new("yamllint")
        .args(["-d", "relaxed"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!lint.status.success());
}
