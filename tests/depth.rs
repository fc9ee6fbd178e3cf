//! No false assurance: an AIMS approved as `aims init` wrote it, with the
//! review and audit records left as `aims new` wrote them, is not ready,
//! and nothing in it is rated "conformity" on the strength of template
//! text. Approving a template is easy for anyone with push rights and a
//! key; it must not read as evidence.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// `aims init` in a new repository, signed by Dana alone (segregation of
/// duties off, as the README's solo trial does), everything approved
/// unedited; then a management review and an internal audit created and
/// approved untouched.
fn approved_templates() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    std::fs::create_dir(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    let (key, public) = keygen(tmp.path(), "dana");
    for (k, v) in [
        ("user.name", "Dana"),
        ("user.email", "dana@acme.example"),
        ("gpg.format", "ssh"),
        ("user.signingkey", key.to_str().unwrap()),
    ] {
        git(&dir, &["config", k, v]);
    }
    let ok = |args: &[&str]| {
        let out = as_dana(&dir, args);
        assert_eq!(code(&out), 0, "aims {args:?}: {}", both(&out));
        stdout(&out)
    };
    ok(&[
        "init",
        "--organisation",
        "Acme Health",
        "--email",
        "dana@acme.example",
    ]);
    std::fs::create_dir_all(dir.join(".aims")).unwrap();
    std::fs::write(
        dir.join(".aims/allowed_signers"),
        format!("dana@acme.example namespaces=\"git\" {public}\n"),
    )
    .unwrap();
    let config = std::fs::read_to_string(dir.join("aims.toml")).unwrap();
    let solo = config.replace(
        "require-distinct-approver = true",
        "require-distinct-approver = false",
    );
    assert_ne!(config, solo, "aims.toml has the segregation switch");
    std::fs::write(dir.join("aims.toml"), solo).unwrap();
    commit(&dir, "AIMS as aims init wrote it");
    ok(&["approve", "aims.toml"]);
    ok(&["approve", "--all-changed"]);
    ok(&[
        "new",
        "management-review",
        "--title",
        "Management review Q4",
    ]);
    ok(&["new", "internal-audit", "--title", "First internal audit"]);
    commit(&dir, "Review and audit records");
    ok(&["approve", "--all-changed"]);
    let status = ok(&["status"]);
    assert!(
        status.contains("0 changed since approval, 0 never approved"),
        "{status}"
    );
    tmp
}

/// `aims ARGS` as Dana: her name on the commits and tags.
fn as_dana(dir: &Path, args: &[&str]) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    aims(home.path())
        .current_dir(dir)
        .envs(DANA)
        .args(args)
        .output()
        .unwrap()
}

const DANA: [(&str, &str); 4] = [
    ("GIT_AUTHOR_NAME", "Dana"),
    ("GIT_AUTHOR_EMAIL", "dana@acme.example"),
    ("GIT_COMMITTER_NAME", "Dana"),
    ("GIT_COMMITTER_EMAIL", "dana@acme.example"),
];

fn commit(dir: &Path, message: &str) {
    let home = tempfile::tempdir().unwrap();
    git(dir, &["add", "-A"]);
    succeed(
        hermetic("git", home.path())
            .current_dir(dir)
            .envs(DANA)
            .args(["commit", "-q", "-m", message]),
    );
}

fn repo(tmp: &tempfile::TempDir) -> std::path::PathBuf {
    tmp.path().join("repo")
}

fn both(o: &std::process::Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

fn audit(dir: &Path) -> Value {
    let out = run(dir, &["audit", "--format", "json"]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", both(&out)))
}

/// Every clause, sub-clause and control row of an audit.
fn rows(audit: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for c in audit["clauses"].as_array().unwrap() {
        out.push(c);
        out.extend(c["clauses"].as_array().unwrap());
    }
    out.extend(audit["controls"].as_array().unwrap());
    out
}

/// The ids of every AIMS document in the working tree.
fn document_ids(dir: &Path) -> Vec<String> {
    let mut ids = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
    {
        if entry.path().starts_with(dir.join(".git"))
            || entry.path().extension().is_none_or(|e| e != "md")
        {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        if let Some(id) = text.lines().find_map(|l| l.strip_prefix("id = \"")) {
            ids.push(id.trim_end_matches('"').to_owned());
        }
    }
    ids.sort();
    ids
}

fn residue_ids(dir: &Path) -> Vec<String> {
    let (_, json) = check_json(dir);
    let mut ids: Vec<String> = findings_of(&json, "ISO028")
        .iter()
        .map(|f| f["document"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[test]
fn approved_templates_are_not_ready_and_evidence_nothing() {
    if !have_tools(&["git", "ssh-keygen"]) {
        return;
    }
    let tmp = approved_templates();
    let dir = repo(&tmp);
    let audit = audit(&dir);
    assert_eq!(
        audit["readiness"]["status"], "certificate-withheld",
        "{:#}",
        audit["readiness"]
    );

    // Every document, the two new records included, is template residue.
    let ids = document_ids(&dir);
    assert_eq!(ids.len(), 57, "{ids:?}");
    assert!(ids.iter().any(|i| i == "MRV-002") && ids.iter().any(|i| i == "IAU-002"));
    assert_eq!(residue_ids(&dir), ids);

    // No verdict of conformity anywhere: every row's evidence is template
    // text, and each says so.
    let rows = rows(&audit);
    assert_eq!(
        rows.len(),
        aims::catalog::CLAUSES.len() + aims::catalog::CONTROLS.len(),
        "every clause, sub-clause and control"
    );
    for row in &rows {
        assert_ne!(row["verdict"], "conformity", "{row:#}");
        for e in row["evidence"].as_array().into_iter().flatten() {
            assert_eq!(e["counts"], false, "{e:#}");
            assert_eq!(e["why-not"], "still the template's text", "{e:#}");
        }
    }
    let controls = &audit["readiness"]["controls"];
    assert_eq!(controls["not-evidenced"], 38, "{controls:#}");

    // The untouched review and audit records clear neither major, and the
    // findings say why.
    let (_, json) = check_json(&dir);
    for (code, record) in [("ISO020", "IAU-002"), ("ISO022", "MRV-002")] {
        let f = &findings_of(&json, code)[0];
        assert_eq!(f["classification"], "major");
        let message = f["message"].as_str().unwrap();
        assert!(
            message.contains(&format!(
                "{record} is still the template's text, so it records nothing"
            )),
            "{message}"
        );
        // A record exists: the help does not tell you to create one.
        assert!(!f["help"].as_str().unwrap().contains("aims new"), "{f:#}");
    }
}

/// A lightly edited template is still the template; a rewritten one is not.
#[test]
fn a_lightly_edited_template_is_still_residue_and_a_rewrite_is_not() {
    if !have_tools(&["git", "ssh-keygen"]) {
        return;
    }
    let tmp = approved_templates();
    let dir = repo(&tmp);
    let policy = dir.join("aims/policy/pol-001-ai-policy.md");
    let aia = dir.join("aims/impact/aia-001-customer-support-assistant.md");
    let original = std::fs::read_to_string(&policy).unwrap();
    assert!(original.contains("\ncommunicated-via = ["), "{original}");

    // What a hurried editor does: delete the guidance, name the company,
    // change a few words in each paragraph.
    let touch = |text: &str| -> String {
        let (front, body) = text[3..].split_once("+++").unwrap();
        let body: Vec<String> = body
            .lines()
            .filter(|l| !l.starts_with('>'))
            .map(|l| {
                if l.starts_with('#') || l.trim().is_empty() {
                    l.to_owned()
                } else {
                    l.replacen("the ", "our ", 1)
                        .replacen(" and ", " & ", 1)
                        .replacen("organisation", "Acme Health", 1)
                }
            })
            .collect();
        format!("+++{front}+++{}\n", body.join("\n"))
    };
    for path in [&policy, &aia] {
        let text = std::fs::read_to_string(path).unwrap();
        let touched = touch(&text);
        assert_ne!(text, touched);
        std::fs::write(path, touched).unwrap();
    }
    let residue = residue_ids(&dir);
    assert!(residue.contains(&"POL-001".to_owned()), "{residue:?}");
    assert!(residue.contains(&"AIA-001".to_owned()), "{residue:?}");

    // Written in the organisation's own words, the policy is no longer
    // residue: the rule can tell the difference.
    let front = &original[..original[3..].find("communicated-via").unwrap() + 3];
    std::fs::write(
        &policy,
        format!(
            "{front}communicated-via = [\"Nurses' Monday huddle\", \"The patient portal's AI page\"]\n+++\n# AI Policy\n\n\
             Acme Health runs two AI systems: a symptom-checker chatbot on the patient \
             portal and a triage model that orders the nurses' callback queue. This policy \
             binds everyone who builds, buys or operates them.\n\n\
             ## Commitments\n\n\
             1. No model reaches patients before the clinical safety officer signs its \
             validation report against the thresholds in OBJ-001.\n\
             2. Every patient can reach a nurse by phone within the hour, whatever the \
             chatbot answers; the chatbot says so in its first message.\n\
             3. Complaints that mention the chatbot are read by the AI governance lead \
             weekly and counted in REC-011.\n\n\
             ## Roles\n\n\
             The board approves this policy yearly; the AI governance lead owns the \
             procedures under it; risk owners accept residual risk up to the level in \
             RAM-001.\n"
        ),
    )
    .unwrap();
    let residue = residue_ids(&dir);
    assert!(!residue.contains(&"POL-001".to_owned()), "{residue:?}");
    assert!(residue.contains(&"AIA-001".to_owned()), "{residue:?}");
}

#[test]
fn a_prd_that_names_a_system_by_an_alias_needs_an_aims_block() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert_eq!(
        code(&run(dir, &["init", "--email", "dana@acme.example"])),
        0
    );
    let system = dir.join("aims/ai-systems/sys-001-customer-support-assistant.md");
    let text = std::fs::read_to_string(&system).unwrap();
    std::fs::write(
        &system,
        text.replacen(
            "\nkind = ",
            "\naliases = [\"Ask Aria\", \"helpdesk-bot\"]\nkind = ",
            1,
        ),
    )
    .unwrap();
    let prd = |name: &str, body: &str| {
        std::fs::write(
            dir.join(format!("docs/prd/{name}.md")),
            format!("+++\nid = \"PRD-{name}\"\nkind = \"prd\"\ntitle = \"{name}\"\nowner = \"ai-governance-lead\"\n+++\n# {name}\n\n{body}\n"),
        )
        .unwrap();
    };
    // By alias, in another case and inflected; by the other alias.
    prd(
        "900",
        "Make ASK ARIA's greeting shorter for returning customers.",
    );
    prd(
        "901",
        "Route refund questions from the helpdesk-bot to a person.",
    );
    // Not a mention: a longer word that contains the alias.
    prd("902", "Rename the Ask Arianna marketing page.");
    let (_, json) = check_json(dir);
    let flagged: Vec<&str> = findings_of(&json, "ISO026")
        .iter()
        .map(|f| f["document"].as_str().unwrap_or(""))
        .filter(|d| d.starts_with("PRD-9"))
        .map(|d| &d[4..])
        .map(|d| match d {
            "900" => "900",
            "901" => "901",
            _ => "other",
        })
        .collect();
    assert_eq!(flagged, ["900", "901"], "{:#}", json["findings"]);
    let message = findings_of(&json, "ISO026")
        .into_iter()
        .find(|f| f["document"] == "PRD-900")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("SYS-001"), "{message}");
}

#[test]
fn cascaded_findings_are_grouped_for_people_and_complete_for_machines() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    git(dir, &["init", "-q", "-b", "main"]);
    assert_eq!(
        code(&run(dir, &["init", "--email", "dana@acme.example"])),
        0
    );
    let (_, json) = check_json(dir);
    let findings = json["findings"].as_array().unwrap();
    let human = stdout(&run(dir, &["check"]));
    let lines = human.lines().count();
    assert!(
        findings.len() > 150 && lines < findings.len(),
        "{} findings in {lines} lines",
        findings.len()
    );
    // The 38 controls whose procedure is unapproved are one group, with a
    // pointer to the rest, and the closing to-do list names the causes.
    assert!(human.contains("… and "), "{human}");
    let todo = &human[human.find("To do, by cause:").expect("a to-do list")..];
    for code in ["CTL001", "ISO014", "ISO028", "ISO020", "ISO022", "CTL007"] {
        assert!(todo.contains(code), "{code} in\n{todo}");
    }
    // The groups' counts add up to every finding.
    let counted: usize = todo
        .lines()
        .filter_map(|l| l.trim().split_once(" × "))
        .map(|(n, _)| n.trim().parse::<usize>().unwrap())
        .sum();
    assert_eq!(counted, findings.len(), "{todo}");

    // SARIF lists each finding.
    let sarif: Value =
        serde_json::from_slice(&run(dir, &["check", "--format", "sarif"]).stdout).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        findings.len()
    );
    let markdown = stdout(&run(dir, &["check", "--format", "markdown"]));
    assert!(markdown.lines().count() < findings.len(), "{markdown}");
}
