//! The README's reference sections are generated from the code; this test
//! fails when they drift. `UPDATE_README=1 cargo test --test readme`
//! rewrites them.

mod common;

fn replace_block(text: &str, name: &str, body: &str) -> String {
    let start = format!("<!-- {name}:start -->\n");
    let end = format!("<!-- {name}:end -->");
    let a = text
        .find(&start)
        .unwrap_or_else(|| panic!("README has no {start}"))
        + start.len();
    let b = text[a..]
        .find(&end)
        .unwrap_or_else(|| panic!("README has no {end}"))
        + a;
    format!("{}{body}{}", &text[..a], &text[b..])
}

#[test]
fn readme_reference_sections_match_the_code() {
    let path = common::project_root().join("README.md");
    let text = std::fs::read_to_string(&path).expect("README.md");
    let mut expected = replace_block(&text, "kinds", &aims::docs::schema::markdown_reference());
    expected = replace_block(&expected, "rules", &aims::rules::markdown_table());
    expected = replace_block(
        &expected,
        "requirements",
        &aims::requirements::markdown_reference(),
    );
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(&path, &expected).unwrap();
        return;
    }
    assert!(
        text == expected,
        "README.md is out of date; run `UPDATE_README=1 cargo test --test readme`"
    );
}

#[test]
fn readme_starts_with_the_two_commands() {
    let text = std::fs::read_to_string(common::project_root().join("README.md")).unwrap();
    let head: String = text.lines().take(12).collect::<Vec<_>>().join("\n");
    assert!(
        head.contains("cargo run -- check -C fixtures/defective"),
        "{head}"
    );
    assert!(head.contains("cargo test"), "{head}");
    let ci = std::fs::read_to_string(common::project_root().join(".ci/run")).unwrap();
    assert!(
        ci.contains("cargo test"),
        "CI runs the README's test command"
    );
}

/// Every command `aims --help` lists has a row in the README's command
/// table and an example line.
#[test]
fn every_command_has_a_readme_example() {
    let text = std::fs::read_to_string(common::project_root().join("README.md")).unwrap();
    let home = tempfile::tempdir().unwrap();
    let help = common::succeed(common::aims(home.path()).arg("--help"));
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let commands: Vec<&str> = help
        .split("Commands:")
        .nth(1)
        .and_then(|s| s.split("\n\n").next())
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() >= 14, "{help}");
    for c in commands {
        assert!(
            text.contains(&format!("| `aims {c}")),
            "no row for `aims {c}` in the README's command table"
        );
        assert!(
            text.lines()
                .any(|l| l.starts_with("    aims ") && l.contains(&format!("aims {c}"))),
            "no example of `aims {c}` in the README"
        );
    }
}
