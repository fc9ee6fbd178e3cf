//! The command line teaches: every command, option and value has a help
//! text, summaries read alike, shells complete it and man renders it.

mod common;

use clap::CommandFactory;
use common::*;

/// Every command and subcommand, with its path ("aims check").
fn commands() -> Vec<(String, clap::Command)> {
    fn walk(prefix: &str, cmd: &clap::Command, out: &mut Vec<(String, clap::Command)>) {
        let name = format!("{prefix}{}", cmd.get_name());
        out.push((name.clone(), cmd.clone()));
        for sub in cmd.get_subcommands() {
            walk(&format!("{name} "), sub, out);
        }
    }
    let mut out = Vec::new();
    walk("", &aims::cli::Cli::command(), &mut out);
    out
}

#[test]
fn no_help_text_is_empty_and_summaries_read_alike() {
    let mut problems = Vec::new();
    for (name, cmd) in commands() {
        let about = cmd.get_about().map(|a| a.to_string()).unwrap_or_default();
        if about.trim().is_empty() {
            problems.push(format!("`{name}` has no summary"));
        } else if about.trim_end().ends_with('.') {
            // clap's convention, which its derive applies to one-line
            // summaries: no full stop.
            problems.push(format!("`{name}`'s summary ends with a full stop: {about}"));
        } else if !about.starts_with(|c: char| c.is_uppercase()) {
            problems.push(format!(
                "`{name}`'s summary does not start with a capital: {about}"
            ));
        }
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if arg.is_hide_set() || matches!(id, "help" | "version") {
                continue;
            }
            let flag = !arg.get_action().takes_values();
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            if help.trim().is_empty() {
                problems.push(format!("`{name}`: option/argument `{id}` has no help"));
            }
            for value in arg.get_possible_values().into_iter().filter(|_| !flag) {
                if value.is_hide_set() {
                    continue;
                }
                let h = value.get_help().map(|h| h.to_string()).unwrap_or_default();
                if h.trim().is_empty() {
                    problems.push(format!(
                        "`{name} --{id}`: the value `{}` is not described",
                        value.get_name()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn bash_completes_the_commands() {
    if !have_tools(&["bash"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = run(tmp.path(), &["completions", "bash"]);
    assert_eq!(code(&out), 0);
    let script = tmp.path().join("aims.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    // What bash does on `aims ch<TAB>`: the completion function fills
    // COMPREPLY from COMP_WORDS.
    let probe = format!(
        "source {}\nCOMP_WORDS=(aims ch)\nCOMP_CWORD=1\nCOMP_LINE='aims ch'\nCOMP_POINT=7\n_aims aims ch aims\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        script.display()
    );
    let home = tempfile::tempdir().unwrap();
    let done = succeed(hermetic("bash", home.path()).arg("-c").arg(probe));
    let words: Vec<String> = stdout(&done).lines().map(str::to_owned).collect();
    assert_eq!(words, ["check"], "{words:?}");
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let out = run(tmp.path(), &["completions", shell]);
        assert_eq!(code(&out), 0, "{shell}");
        assert!(stdout(&out).contains("approve"), "{shell}");
    }
}

#[test]
fn man_pages_render() {
    if !have_tools(&["man"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = run(tmp.path(), &["man", "--out", "pages"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let names: Vec<String> = commands()
        .iter()
        .filter(|(n, _)| n.matches(' ').count() <= 1 && !n.ends_with(" help"))
        .map(|(n, _)| n.replace(' ', "-"))
        .collect();
    for name in &names {
        assert!(
            tmp.path().join(format!("pages/{name}.1")).is_file(),
            "{name}.1"
        );
    }
    let home = tempfile::tempdir().unwrap();
    let page = tmp.path().join("pages/aims-approve.1");
    let rendered = succeed(
        hermetic("man", home.path())
            .env("MANWIDTH", "80")
            .arg("-l")
            .arg(&page),
    );
    let text = stdout(&rendered);
    assert!(text.contains("aims-approve"), "{text}");
    assert!(text.contains("--all-changed"), "{text}");
}

#[test]
fn ids_are_case_insensitive_and_typos_get_a_suggestion() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = common::approved::Fixture::approved();
    for args in [["log", "pol-001"], ["log", "Pol-001"], ["diff", "pol-001"]] {
        let out = f.aims(&args);
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).contains("POL-001"), "{args:?}");
    }
    let out = f.aims(&["log", "pol-01"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("did you mean POL-001"),
        "{}",
        stderr(&out)
    );
    let out = run(&f.repo, &["explain", "doc05"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("did you mean"), "{}", stderr(&out));
    let out = run(&f.repo, &["explain", "doc005"]);
    assert_eq!(code(&out), 0);
}
