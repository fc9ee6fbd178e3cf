//! `aims pr-comment` on a real branch: changed documents with the approvers
//! still missing by name, findings introduced and resolved, reviews falling
//! due, the verdict; the Markdown is a snapshot (commit ids redacted, since
//! the repository holds freshly generated keys).

mod common;

use common::approved::*;
use common::*;
use serde_json::Value;

const BROKEN: &str = "+++\nid = \"REC-001\"\nkind = \"record\"\ntitle = \"Training log\"\nowner = \"alice@acme.example\"\ncolour = \"blue\"\n+++\n# Training log\n";

/// main: the approved fixture plus a record with an unknown field.
/// change/POL-001: edits the approved policy (by Alice), fixes the record,
/// and adds a document of an unknown kind.
fn pull_request() -> Fixture {
    let f = Fixture::approved();
    std::fs::write(f.repo.join("aims/rec.md"), BROKEN).unwrap();
    f.commit("alice", "2026-02-01T10:00:00Z", "training log");
    f.git(&["switch", "-q", "-c", "change/POL-001"]);
    edit_policy(
        &f.repo,
        "First text.\n\nA second paragraph on human oversight.",
    );
    std::fs::write(
        f.repo.join("aims/rec.md"),
        BROKEN.replace("colour = \"blue\"\n", ""),
    )
    .unwrap();
    std::fs::write(
        f.repo.join("aims/memo.md"),
        "+++\nid = \"MEMO-001\"\nkind = \"memo\"\ntitle = \"Memo\"\nowner = \"alice@acme.example\"\n+++\n# Memo\n",
    )
    .unwrap();
    f.commit(
        "alice",
        "2026-02-02T10:00:00Z",
        "AI policy: human oversight",
    );
    f
}

fn pr_comment(f: &Fixture, today: &str, extra: &[&str]) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    aims(home.path())
        .current_dir(&f.repo)
        .env("AIMS_TODAY", today)
        .args(["pr-comment", "--base", "main", "--head", "change/POL-001"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn a_pull_request_comment_lists_changes_approvers_and_findings() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = pull_request();
    let out = pr_comment(
        &f,
        "2026-12-30",
        &["--url", "https://github.com/acme/aims/pull/7"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("<!-- aims:pr-comment -->\n"), "{text}");
    let ids = regex::Regex::new(r"\b[0-9a-f]{12}\b").unwrap();
    let redacted = ids.replace_all(&text, "<commit>");
    insta::assert_snapshot!("pr-comment", redacted);
    // The README shows this very comment.
    let readme = std::fs::read_to_string(project_root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("```markdown\n{redacted}```")),
        "README.md's example pull-request comment differs from the output"
    );

    let out = pr_comment(&f, "2026-12-30", &["--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["schema"], "aims.pr-comment/v1");
    assert_eq!(json["ready"], false);
    let changed = json["changed"].as_array().unwrap();
    let pol = changed.iter().find(|c| c["id"] == "POL-001").unwrap();
    assert_eq!(pol["change"], "modified");
    assert_eq!(pol["state"], "changed-since-approval");
    assert_eq!(
        (pol["added"].as_u64(), pol["removed"].as_u64()),
        (Some(2), Some(0))
    );
    // Alice wrote the change; top management (Dana, Erin) must approve it.
    assert_eq!(pol["missing"][0]["role"], "top-management");
    assert_eq!(pol["missing"][0]["people"], serde_json::json!([DANA, ERIN]));
    let codes = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    f["code"].as_str().unwrap(),
                    f["document"].as_str().unwrap_or("-")
                )
            })
            .collect()
    };
    let introduced = codes(&json["introduced"]);
    assert!(
        introduced.contains(&"CTL002 POL-001".to_owned()),
        "{introduced:?}"
    );
    assert!(
        introduced.contains(&"DOC008 MEMO-001".to_owned()),
        "{introduced:?}"
    );
    let resolved = codes(&json["resolved"]);
    assert!(
        resolved.contains(&"DOC007 REC-001".to_owned()),
        "{resolved:?}"
    );
    assert!(
        !resolved.iter().any(|r| r.starts_with("CTL002")),
        "{resolved:?}"
    );

    // Dana approves the branch's policy: it no longer waits for anyone.
    f.approve_by_hand(
        "dana",
        "POL-001",
        "aims/policy/ai.md",
        "top-management",
        "2026-02-03T09:00:00Z",
    );
    let out = pr_comment(&f, "2026-12-30", &["--format", "json"]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let pol = json["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "POL-001")
        .unwrap()
        .clone();
    assert_eq!(pol["state"], "approved");
    assert_eq!(pol["approved-by"]["signer"], DANA);
    assert!(pol["missing"].as_array().unwrap().is_empty());
}

#[test]
fn a_long_comment_is_summarised_under_githubs_limit() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = Fixture::approved();
    f.git(&["switch", "-q", "-c", "bulk"]);
    // 600 new drafts, each with a long title and an unknown field.
    let title = "A very long document title that repeats itself ".repeat(3);
    for i in 0..600 {
        std::fs::write(
            f.repo.join(format!("aims/rec-{i:03}.md")),
            format!(
                "+++\nid = \"REC-{i:03}\"\nkind = \"record\"\ntitle = \"{title}{i}\"\nowner = \"alice@acme.example\"\nunknown-{i} = 1\n+++\n# Record\n"
            ),
        )
        .unwrap();
    }
    f.commit("alice", "2026-02-02T10:00:00Z", "bulk records");
    let home = tempfile::tempdir().unwrap();
    let out = aims(home.path())
        .current_dir(&f.repo)
        .args(["pr-comment", "--base", "main", "--head", "bulk"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.len() <= 65_536, "{} characters", text.len());
    assert!(text.contains("more documents"), "not summarised");
    assert!(text.contains("#### Controlled documents changed (600)"));
}
