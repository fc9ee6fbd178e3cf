//! `aims check` through the binary: exit codes, locations, formats.

mod common;

use common::*;
use serde_json::Value;

fn findings(json: &Value) -> &Vec<Value> {
    json["findings"].as_array().expect("findings array")
}

#[test]
fn toml_errors_point_at_the_files_own_line() {
    let dir = project_root().join("tests/inputs/malformed");
    let (code, json) = check_json(&dir);
    assert_eq!(code, 1);
    let f = findings(&json)
        .iter()
        .find(|f| f["path"] == "aims/toml-error-line-4.md")
        .expect("finding for the TOML error");
    assert_eq!(f["code"], "DOC003");
    // `owner = = "x"` is frontmatter line 4, file line 5; the error is at the second `=`.
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(5), Some(9))
    );
    assert!(f["help"].as_str().is_some_and(|h| !h.is_empty()));

    let wrong = findings(&json)
        .iter()
        .find(|f| {
            f["path"] == "aims/wrong-type.md"
                && f["message"].as_str().unwrap().contains("risk-tier")
        })
        .expect("wrong type reported");
    assert_eq!(wrong["code"], "DOC006");
    assert_eq!(
        (wrong["line"].as_u64(), wrong["column"].as_u64()),
        (Some(7), Some(13))
    );
}

#[test]
fn malformed_inputs_each_get_their_own_finding() {
    let dir = project_root().join("tests/inputs/malformed");
    let (_, json) = check_json(&dir);
    let expect = [
        ("aims/binary.md", "DOC004"),
        ("aims/latin1.md", "DOC004"),
        ("aims/crlf.md", "DOC013"),
        ("aims/bom.md", "DOC013"),
        ("aims/empty-frontmatter.md", "DOC005"),
        ("aims/empty-file.md", "DOC001"),
        ("aims/yaml.md", "DOC001"),
        ("aims/unterminated.md", "DOC002"),
        ("aims/only-fence.md", "DOC002"),
        ("aims/dup-key.md", "DOC003"),
        ("aims/id-path.md", "DOC006"),
        ("aims/unicode.md", "DOC006"),
    ];
    for (path, code) in expect {
        assert!(
            findings(&json)
                .iter()
                .any(|f| f["path"] == path && f["code"] == code),
            "{path}: expected {code} in {json:#}"
        );
    }
    // CRLF and BOM files still parse: they get no other finding.
    for path in ["aims/crlf.md", "aims/bom.md"] {
        let codes: Vec<_> = findings(&json)
            .iter()
            .filter(|f| f["path"] == path)
            .map(|f| &f["code"])
            .collect();
        assert_eq!(codes, ["DOC013"], "{path}");
    }
}

#[test]
fn no_input_in_tests_or_fixtures_makes_it_panic() {
    let mut dirs = vec![project_root().join("tests/inputs/malformed")];
    for entry in std::fs::read_dir(project_root().join("fixtures")).unwrap() {
        let path = entry.unwrap().path();
        if path.join("aims.toml").is_file() {
            dirs.push(path);
        }
    }
    assert!(
        dirs.len() >= 3,
        "both fixtures and the malformed inputs: {dirs:?}"
    );
    for dir in dirs {
        for format in ["human", "json", "sarif", "github", "markdown"] {
            let out = run(&dir, &["check", "--format", format]);
            assert!(
                matches!(code(&out), 0 | 1),
                "{} --format {format}: {}",
                dir.display(),
                stderr(&out)
            );
            assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
        }
    }
}

#[test]
fn symlinks_and_huge_files_are_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("aims")).unwrap();
    std::fs::write(
        dir.join("aims.toml"),
        "[aims]\nprds = [\"docs/prd/*.md\"]\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.join("aims/escape.md")).unwrap();
    // A base directory that is a link to outside the repository is not walked.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.md"),
        "+++\nid = \"SECRET-1\"\n+++\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.join("docs/prd")).unwrap();
    let mut huge = b"+++\nid = \"REC-1\"\n+++\n".to_vec();
    huge.resize(5 * 1024 * 1024, b'a');
    std::fs::write(dir.join("aims/huge.md"), huge).unwrap();
    let (code, json) = check_json(dir);
    assert_eq!(code, 1);
    for (path, needle) in [
        ("aims/escape.md", "symbolic link"),
        ("aims/huge.md", "bytes"),
    ] {
        let f = findings(&json)
            .iter()
            .find(|f| f["path"] == path)
            .unwrap_or_else(|| panic!("{path}: {json:#}"));
        assert_eq!(f["code"], "DOC004");
        assert!(f["message"].as_str().unwrap().contains(needle), "{f}");
    }
    assert!(
        !json.to_string().contains("SECRET-1") && !json.to_string().contains("docs/prd/secret.md"),
        "{json:#}"
    );
}

#[test]
fn exit_codes_follow_fail_on() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("aims")).unwrap();
    std::fs::write(
        dir.join("aims.toml"),
        "[aims]\n[roles]\nlead = [\"l@x.example\"]\n[rules]\nISO = \"off\"\n",
    )
    .unwrap();
    // Only an observation: an unknown field (the content rules, which would
    // find this one-record AIMS wanting, are turned off as a family).
    std::fs::write(
        dir.join("aims/rec.md"),
        "+++\nid = \"REC-001\"\nkind = \"record\"\ntitle = \"Log\"\nowner = \"lead\"\nlocaton = \"x\"\n+++\n",
    )
    .unwrap();
    assert_eq!(
        code(&run(dir, &["check"])),
        0,
        "an observation does not fail at the default --fail-on minor"
    );
    assert_eq!(code(&run(dir, &["check", "--fail-on", "observation"])), 1);
    assert_eq!(code(&run(dir, &["check", "--fail-on", "improvement"])), 1);
    assert_eq!(code(&run(dir, &["check", "--fail-on", "major"])), 0);
    // The configuration can raise the rule's classification…
    std::fs::write(
        dir.join("aims.toml"),
        "[aims]\n[roles]\nlead = [\"l@x.example\"]\n[rules]\nISO = \"off\"\nDOC007 = \"major\"\n",
    )
    .unwrap();
    let (c, json) = check_json(dir);
    assert_eq!((c, &json["summary"]["major"]), (1, &Value::from(1)));
    // SARIF describes the rule as configured, like its results.
    let sarif: Value =
        serde_json::from_slice(&run(dir, &["check", "--format", "sarif"]).stdout).unwrap();
    let rule = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "DOC007")
        .unwrap()
        .clone();
    assert_eq!(rule["properties"]["classification"], "major");
    assert_eq!(rule["defaultConfiguration"]["level"], "error");
    // …or turn it off.
    std::fs::write(
        dir.join("aims.toml"),
        "[aims]\n[roles]\nlead = [\"l@x.example\"]\n[rules]\nISO = \"off\"\nDOC007 = \"off\"\n",
    )
    .unwrap();
    let (c, json) = check_json(dir);
    assert_eq!((c, findings(&json).len()), (0, 0));
}

#[test]
fn could_not_run_is_exit_2_with_a_diagnostic() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(tmp.path(), &["check"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no aims.toml"), "{}", stderr(&out));
    assert!(stderr(&out).contains("aims init"), "{}", stderr(&out));

    std::fs::write(
        tmp.path().join("aims.toml"),
        "[aims]\ndocuments = [\"aims/**/*.md\"]\nprotected = [\"main\"]\n",
    )
    .unwrap();
    let out = run(tmp.path(), &["check"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("unknown field `protected`"), "{err}");
    assert!(err.contains("aims.toml:3:1"), "points at line 3: {err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn human_output_has_no_colour_when_piped() {
    let out = run(&fixture("defective"), &["check"]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(!text.contains('\u{1b}'), "ANSI escapes in piped output");
    assert!(text.contains("DOC005"), "{text}");
    assert!(
        text.lines().last().unwrap().starts_with("aims: "),
        "ends with a summary"
    );
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let home = tempfile::tempdir().unwrap();
    let mut child = aims(home.path())
        .args(["rules", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn github_annotations_escape_properties_and_data() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("aims")).unwrap();
    std::fs::write(dir.join("aims.toml"), "[aims]\n[rules]\nISO = \"off\"\n").unwrap();
    std::fs::write(dir.join("aims/50%, part: two.md"), "no frontmatter\n").unwrap();
    let out = run(dir, &["check", "--format", "github"]);
    assert_eq!(code(&out), 1);
    let line = stdout(&out).lines().next().unwrap().to_owned();
    assert!(
        line.starts_with("::error file=aims/50%25%2C part%3A two.md,line=1,col=1,title=DOC001 "),
        "{line}"
    );
    // The message carries a line break before its help, escaped as %0A.
    let (_, message) = line.split_once("::").unwrap().1.split_once("::").unwrap();
    assert!(message.contains("%0Ahelp: "), "{message}");
    assert!(!message.contains('\n'));
}

fn validate_sarif(sarif: &Value) {
    // Vendored byte for byte with its licence notice (tests/vendor/sarif/NOTICE.md).
    let schema_path = project_root().join("tests/vendor/sarif/sarif-schema-2.1.0.json");
    let text = std::fs::read_to_string(&schema_path).expect("vendored SARIF schema");
    // The published schema's `run.language` pattern has a stray `]` that
    // strict regex engines reject; it is replaced by the pattern it means.
    // Our output never sets `language`.
    let text = text.replace(
        r"^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$",
        r"^[a-zA-Z]{2}(-[a-zA-Z]{2})?$",
    );
    let mut schema: Value = serde_json::from_str(&text).unwrap();
    // This copy keeps the top-level object under `definitions.Root` and
    // constrains nothing at its top; validate against that definition.
    if schema["definitions"]["Root"].is_object() && schema.get("properties").is_none() {
        schema["$ref"] = Value::from("#/definitions/Root");
    }
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    // The validator does reject what is not SARIF 2.1.0.
    assert!(!validator.is_valid(&serde_json::json!({"version": "2.0.0", "runs": [{}]})));
    let errors: Vec<String> = validator
        .iter_errors(sarif)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF invalid:\n{}", errors.join("\n"));
}

#[test]
fn sarif_validates_against_the_2_1_0_schema() {
    for dir in [
        fixture("defective"),
        project_root().join("tests/inputs/malformed"),
    ] {
        let out = run(&dir, &["check", "--format", "sarif"]);
        let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
        validate_sarif(&sarif);
        let run0 = &sarif["runs"][0];
        let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
        assert!(rules.iter().all(|r| {
            r["fullDescription"]["text"]
                .as_str()
                .unwrap()
                .contains("Why an auditor cares")
        }));
        for result in run0["results"].as_array().unwrap() {
            let index = result["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], result["ruleId"]);
            let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap();
            assert!(
                !uri.starts_with('/') && !uri.contains("://"),
                "relative URI: {uri}"
            );
        }
    }
}

/// The table in fixtures/defective/DEFECTS.md: (path, code, line).
fn planted_defects() -> Vec<(String, String, u64)> {
    let text =
        std::fs::read_to_string(fixture("defective").join("DEFECTS.md")).expect("DEFECTS.md");
    text.lines()
        .filter(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|cells| cells.len() >= 4 && cells[1].starts_with("DOC"))
        .map(|cells| {
            (
                cells[0].clone(),
                cells[1].clone(),
                cells[3].parse().expect("line number"),
            )
        })
        .collect()
}

#[test]
fn every_planted_defect_is_reported_where_it_is() {
    let defects = planted_defects();
    assert!(
        defects.len() >= 15,
        "DEFECTS.md lists the planted defects: {defects:?}"
    );
    let (code, json) = check_json(&fixture("defective"));
    assert_eq!(code, 1);
    for (path, rule, line) in &defects {
        let hit = findings(&json).iter().find(|f| {
            f["path"] == path.as_str() && f["code"] == rule.as_str() && f["line"] == *line
        });
        let f = hit.unwrap_or_else(|| panic!("{path}:{line} {rule} not reported; got:\n{json:#}"));
        assert!(f["classification"].is_string() && f["message"].is_string());
        assert!(f["clause"].is_string() || f["control"].is_string());
        let is_parse_failure = matches!(rule.as_str(), "DOC001" | "DOC002" | "DOC003" | "DOC004");
        assert!(
            is_parse_failure || f["document"].is_string(),
            "document id for {f}"
        );
    }
    // And no other document-rule finding: the rest of the defective AIMS
    // is well formed (its content gaps are ISO findings, checked in audit.rs).
    assert_eq!(
        findings_of(&json, "DOC").len(),
        defects.len(),
        "findings beyond DEFECTS.md: {json:#}"
    );
}

#[test]
fn the_well_kept_fixture_is_clean() {
    let (code, json) = check_json(&fixture("well-kept"));
    assert_eq!(findings(&json), &Vec::<Value>::new());
    assert_eq!(code, 0);
}

/// A complete AIMS written for this test by someone who had not read the
/// rules (`fixtures/fresh`, a hospital): a tool that judges substance must
/// not fault an AIMS that has it. Every format runs without findings.
#[test]
fn a_freshly_written_complete_aims_is_clean() {
    let (exit, json) = check_json(&fixture("fresh"));
    assert_eq!(findings(&json), &Vec::<Value>::new());
    assert_eq!(exit, 0);
    let human = stdout(&run(&fixture("fresh"), &["check"]));
    assert!(human.contains("no findings in 69 documents"), "{human}");
    for format in ["human", "sarif", "github", "markdown"] {
        let out = run(&fixture("fresh"), &["check", "--format", format]);
        assert_eq!(code(&out), 0, "{format}: {}", stderr(&out));
    }
}

fn snapshot_dir() -> std::path::PathBuf {
    project_root().join("tests/snapshots")
}

#[test]
fn every_format_on_the_defective_fixture() {
    for format in ["human", "json", "sarif", "github", "markdown"] {
        let out = run(&fixture("defective"), &["check", "--format", format]);
        assert_eq!(code(&out), 1, "{format}");
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path(snapshot_dir());
        settings.set_prepend_module_to_snapshot(false);
        settings
            .bind(|| insta::assert_snapshot!(format!("check-defective-{format}"), stdout(&out)));
    }
}

#[test]
fn runs_from_a_subdirectory() {
    let out = run(&fixture("well-kept").join("aims"), &["check"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
}

/// A sparse checkout leaves documents out of the working tree; git takes
/// them as the index holds them, and so does aims: status, check and audit
/// say exactly what they say in a full checkout (with a sparse index too,
/// and with a split index, neither of which libgit2 reads). A document
/// deleted in the working tree is still a deletion.
#[test]
fn a_sparse_checkout_reads_the_documents_outside_it_from_the_index() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let (_tmp, dir) = repo("well-kept", true);
    // An unapproved change and a draft outside the checkout-to-be, both
    // committed: the export shows their working copies too.
    std::fs::write(
        dir.join("aims/risk/new-draft.md"),
        "+++\nid = \"RSK-901\"\nkind = \"risk\"\ntitle = \"Draft\"\nowner = \"x@acme.example\"\n+++\n# Draft\n",
    )
    .unwrap();
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "-m", "a draft"]);
    let outputs = |dir: &std::path::Path| -> Vec<String> {
        let mut out: Vec<String> = [
            &["status", "--format", "json"][..],
            &["check", "--format", "json"],
            &["audit", "--format", "json"],
        ]
        .iter()
        .map(|args| {
            let out = run(dir, args);
            assert!(code(&out) < 2, "{args:?}: {}", stderr(&out));
            stdout(&out)
        })
        .collect();
        // The evidence package, file by file.
        let pkg = tempfile::tempdir().unwrap();
        let to = pkg.path().join("pkg");
        let exported = run(dir, &["export", "--out", to.to_str().unwrap()]);
        assert!(code(&exported) < 2, "{}", stderr(&exported));
        for e in walkdir::WalkDir::new(&to).sort_by_file_name() {
            let e = e.unwrap();
            if e.file_type().is_file() {
                let rel = e.path().strip_prefix(&to).unwrap().display().to_string();
                let bytes = std::fs::read(e.path()).unwrap();
                out.push(format!("{rel}: {}", String::from_utf8_lossy(&bytes)));
            }
        }
        out
    };
    let full = outputs(&dir);
    for sparse_index in [false, true] {
        let mut set = vec!["sparse-checkout", "set", "--cone"];
        if sparse_index {
            set.push("--sparse-index");
        }
        set.push("aims/policy");
        git(&dir, &set);
        assert!(!dir.join("aims/risk").exists(), "checked out sparsely");
        assert_eq!(outputs(&dir), full, "sparse index: {sparse_index}");
        git(&dir, &["sparse-checkout", "disable"]);
    }
    git(&dir, &["update-index", "--split-index"]);
    assert!(
        std::fs::read(dir.join(".git/index"))
            .unwrap()
            .windows(4)
            .any(|w| w == b"link")
    );
    assert_eq!(outputs(&dir), full, "split index");
    git(&dir, &["update-index", "--no-split-index"]);

    // Inside the checkout, a deleted document is gone, sparse or not.
    git(&dir, &["sparse-checkout", "set", "--cone", "aims/policy"]);
    std::fs::remove_file(dir.join("aims/policy/ai-policy.md")).unwrap();
    let out = run(&dir, &["status", "--format", "json"]);
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    let policy = status["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "POL-001")
        .unwrap_or_else(|| panic!("{status:#}"));
    assert_eq!(policy["state"], "changed-since-approval", "{policy:#}");
    git(&dir, &["checkout", "--", "aims/policy/ai-policy.md"]);

    // Mallory, who can push but holds no role, stages her key into the
    // allowed signers, a file outside the checkout (so not on disk): the
    // configuration differs from the approved one, whether the entry keeps
    // skip-worktree (read as the index holds it) or not.
    let signers = ".aims/allowed_signers";
    assert!(!dir.join(signers).exists());
    let committed = git(&dir, &["show", &format!("HEAD:{signers}")]);
    let forged = dir.join("forged-signers");
    std::fs::write(
        &forged,
        format!("{committed}mallory@acme.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGz4hkWbHbSmMSL5mo3JRxjnQMnNRrFXqy2BfSlOS7ep\n"),
    )
    .unwrap();
    let blob = git(&dir, &["hash-object", "-w", forged.to_str().unwrap()]);
    std::fs::remove_file(&forged).unwrap();
    let entry = format!("100644,{},{signers}", blob.trim());
    git(&dir, &["update-index", "--cacheinfo", &entry]);
    for skip in [false, true] {
        if skip {
            git(&dir, &["update-index", "--skip-worktree", signers]);
        }
        let (_, json) = check_json(&dir);
        let differs = findings_of(&json, "CTL007")
            .iter()
            .any(|f| f["path"] == signers);
        assert!(differs, "skip-worktree {skip}: {json:#}");
    }
}
