//! The README's tutorial, run as written: every command of its numbered
//! steps, in order, in an empty home with the built `aims` first on PATH.
//! A line ending in `# → TEXT` must print TEXT; every other command must
//! succeed (`aims check` may exit 1: it reports findings).
//!
//! Two things differ from a person at a terminal, and only these: the new
//! SSH keys get an empty passphrase (`-N ''`), and the date is pinned
//! (`AIMS_TODAY`; git's dates advance a minute a step from 09:00 that day).

mod common;

use std::path::Path;

use common::*;

/// The tutorial's commands: (command, expected output or None).
fn tutorial_commands(readme: &str) -> Vec<(String, Option<String>)> {
    let start = readme
        .find("## Tutorial")
        .expect("the README has a tutorial");
    let end = readme[start + 3..]
        .find("\n## ")
        .map_or(readme.len(), |i| start + 3 + i);
    readme[start..end]
        .lines()
        .filter_map(|l| l.strip_prefix("       "))
        .filter(|l| !l.starts_with(' ') && !l.trim().is_empty())
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(|l| match l.split_once("# → ") {
            Some((cmd, expected)) => (cmd.trim().to_owned(), Some(expected.trim().to_owned())),
            None => (l.trim().to_owned(), None),
        })
        .collect()
}

#[test]
fn the_readme_tutorial_runs_as_written() {
    if !have_tools(&["ssh-keygen", "git", "bash"]) {
        return;
    }
    let readme = std::fs::read_to_string(project_root().join("README.md")).unwrap();
    let commands = tutorial_commands(&readme);
    assert!(commands.len() > 15, "{commands:#?}");
    assert!(
        commands.iter().filter(|(_, e)| e.is_some()).count() >= 6,
        "{commands:#?}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_aims")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );

    // One shell runs every step (so `cd` carries over); each command's
    // output and exit code go to files of their own.
    let logs = tmp.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut script = String::new();
    for (i, (cmd, _)) in commands.iter().enumerate() {
        let cmd = cmd.replace("ssh-keygen -t", "ssh-keygen -q -N '' -t");
        // A minute passes between steps, as it would at a terminal.
        let at = format!("{TODAY}T{:02}:{:02}:00Z", 9 + i / 60, i % 60);
        script.push_str(&format!(
            "export GIT_AUTHOR_DATE={at} GIT_COMMITTER_DATE={at}\n\
             {{ {cmd}\n}} > {logs}/{i}.out 2>&1\necho $? > {logs}/{i}.code\n",
            logs = logs.display()
        ));
    }
    let mut shell = hermetic("bash", &home);
    shell
        .current_dir(&work)
        .env("PATH", path)
        .env_remove("GIT_AUTHOR_NAME")
        .env_remove("GIT_AUTHOR_EMAIL")
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("GIT_COMMITTER_EMAIL")
        .env_remove("GIT_CONFIG_GLOBAL")
        .arg("-c")
        .arg(&script);
    succeed(&mut shell);

    for (i, (cmd, expected)) in commands.iter().enumerate() {
        let out = std::fs::read_to_string(logs.join(format!("{i}.out"))).unwrap();
        let code: i32 = std::fs::read_to_string(logs.join(format!("{i}.code")))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let may_find = cmd.starts_with("aims check");
        assert!(
            code == 0 || (may_find && code == 1),
            "step `{cmd}` exited {code}:\n{out}"
        );
        if let Some(expected) = expected {
            assert!(
                out.contains(expected.as_str()),
                "step `{cmd}` should print `{expected}`, but printed:\n{out}"
            );
        }
    }
}
