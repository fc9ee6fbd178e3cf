//! Every JSON output has a published JSON Schema (draft 2020-12) under
//! `schemas/`, generated from the types that serialise it; real output of
//! every command validates against it; and every key is kebab-case.
//! `UPDATE_SCHEMAS=1 cargo test --test schemas` rewrites the files.

mod common;

use common::approved::*;
use common::*;
use serde_json::Value;

fn published(file: &str) -> Value {
    let path = project_root().join("schemas").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_published_schemas_are_the_codes() {
    let mut stale = Vec::new();
    for (file, schema) in aims::report::schemas::all() {
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        let path = project_root().join("schemas").join(file);
        if std::env::var_os("UPDATE_SCHEMAS").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(file);
        }
    }
    assert!(
        stale.is_empty(),
        "schemas/ is out of date ({stale:?}); run `UPDATE_SCHEMAS=1 cargo test --test schemas`"
    );
}

/// Every object key in `v`, with where it is.
fn keys(v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                out.push(format!("{at}/{k}"));
                keys(x, &format!("{at}/{k}"), out);
            }
        }
        Value::Array(list) => {
            for x in list {
                keys(x, &format!("{at}/[]"), out);
            }
        }
        _ => {}
    }
}

fn kebab(k: &str) -> bool {
    !k.is_empty()
        && k.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[test]
fn every_schema_names_its_properties_in_kebab_case() {
    let mut bad = Vec::new();
    for (file, schema) in aims::report::schemas::all() {
        let mut all = Vec::new();
        keys(&schema, "", &mut all);
        for path in all {
            // Property names sit right below a "properties" keyword.
            let parts: Vec<&str> = path.split('/').collect();
            if parts.len() >= 2
                && parts[parts.len() - 2] == "properties"
                && !kebab(parts[parts.len() - 1])
            {
                bad.push(format!("{file}: {path}"));
            }
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Validates `output` (a command's stdout) against `file`, and checks its
/// keys are kebab-case.
fn validate(file: &str, what: &str, output: &[u8]) {
    let value: Value = serde_json::from_slice(output).unwrap_or_else(|e| {
        panic!(
            "{what}: not JSON ({e}): {}",
            String::from_utf8_lossy(output)
        )
    });
    let validator = jsonschema::validator_for(&published(file)).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .take(10)
        .collect();
    assert!(
        errors.is_empty(),
        "{what} against {file}:\n{}",
        errors.join("\n")
    );
    let mut all = Vec::new();
    keys(&value, "", &mut all);
    // Keys under these maps are data (tag names, control ids), not names.
    let data_maps = ["/references/tags/"];
    let bad: Vec<&String> = all
        .iter()
        .filter(|p| !data_maps.iter().any(|m| p.contains(m)))
        .filter(|p| !kebab(p.rsplit('/').next().unwrap_or_default()))
        .collect();
    assert!(bad.is_empty(), "{what}: keys not in kebab-case: {bad:?}");
}

fn json_of(dir: &std::path::Path, args: &[&str]) -> Vec<u8> {
    let out = run(dir, args);
    assert!(code(&out) < 2, "{args:?}: {}", stderr(&out));
    out.stdout
}

#[test]
fn every_json_output_validates_against_its_schema() {
    // The rule catalogue and the files-only check and audit.
    let defective = fixture("defective");
    validate(
        "aims.rules.v1.schema.json",
        "rules",
        &json_of(&defective, &["rules", "--format", "json"]),
    );
    validate(
        "aims.check.v1.schema.json",
        "check (files)",
        &json_of(&defective, &["check", "--format", "json"]),
    );
    validate(
        "aims.audit.v1.schema.json",
        "audit (files)",
        &json_of(&defective, &["audit", "--format", "json"]),
    );
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    // A repository with signed approvals, a pending one, a withdrawal and
    // a refusal: every state the register knows.
    let (_tmp, repo) = common::repo("well-kept", true);
    for args in [
        &["check", "--format", "json"][..],
        &["status", "--format", "json"],
        &["audit", "--format", "json"],
        &["audit", "--format", "json", "--crosswalk", "eu-ai-act"],
        &["audit", "--format", "json", "--crosswalk", "nist-ai-rmf"],
        &["log", "POL-001", "--format", "json"],
        &["reviews", "--within", "400d", "--format", "json"],
        &["reviews", "--format", "json"],
        &["log", "aims.toml", "--format", "json"],
        &[
            "pr-comment",
            "--base",
            "HEAD~3",
            "--head",
            "HEAD",
            "--format",
            "json",
        ],
    ] {
        let file = match args[0] {
            "pr-comment" => "aims.pr-comment.v1.schema.json".to_owned(),
            other => format!("aims.{other}.v1.schema.json"),
        };
        validate(&file, &args.join(" "), &json_of(&repo, args));
    }
    let out = run(&repo, &["export", "--out", "../evidence"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let manifest = std::fs::read(repo.parent().unwrap().join("evidence/manifest.json")).unwrap();
    validate("aims.export.v1.schema.json", "manifest.json", &manifest);

    let f = Fixture::approved();
    f.git(&["switch", "-q", "-c", "change"]);
    edit_policy(&f.repo, "Second text.");
    f.commit("alice", "2026-02-01T10:00:00Z", "v2");
    f.approve_by_hand(
        "dana",
        "POL-001",
        "aims/policy/ai.md",
        "top-management",
        "2026-02-02T09:00:00Z",
    );
    f.git(&["switch", "-q", "main"]);
    let last = f.blob("HEAD", "aims/pro.md");
    f.git(&["rm", "-q", "aims/pro.md"]);
    f.commit("alice", "2026-02-03T10:00:00Z", "withdraw");
    f.tag(
        "dana",
        Some("dana"),
        "aims/pro-001/withdrawn",
        &claim(
            "PRO-001",
            "aims/pro.md",
            &last,
            "top-management",
            "withdrawn",
        ),
        "2026-02-04T09:00:00Z",
        "HEAD",
    );
    f.tag(
        "mallory",
        Some("mallory"),
        "aims/x/forged",
        "no trailers",
        "2026-02-04T09:00:00Z",
        "HEAD",
    );
    let status = json_of(&f.repo, &["status", "--format", "json"]);
    let text = String::from_utf8_lossy(&status);
    assert!(
        text.contains("\"withdrawn\"") && text.contains("waiting for merge"),
        "{text}"
    );
    validate(
        "aims.status.v1.schema.json",
        "status (withdrawn, pending)",
        &status,
    );
    validate(
        "aims.log.v1.schema.json",
        "log (withdrawn)",
        &json_of(&f.repo, &["log", "PRO-001", "--format", "json"]),
    );
    validate(
        "aims.check.v1.schema.json",
        "check (refusals)",
        &json_of(&f.repo, &["check", "--format", "json"]),
    );
    validate(
        "aims.pr-comment.v1.schema.json",
        "pr-comment (withdrawal)",
        &json_of(
            &f.repo,
            &[
                "pr-comment",
                "--base",
                "HEAD~1",
                "--head",
                "HEAD",
                "--format",
                "json",
            ],
        ),
    );
}
