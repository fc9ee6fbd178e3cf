//! Product repositories (issue 18): PRDs kept where engineering writes
//! them, checked against the central AIMS (`[upstream]`), and read by the
//! central AIMS (`[[source]]`). Every repository here is a real git
//! repository; remotes are reached by path, as `git fetch` reaches them.

mod common;

use std::path::{Path, PathBuf};

use common::approved::{both, claim};
use common::*;
use serde_json::Value;

const PRD: &str = "fixtures/well-kept/docs/prd/prd-001-plain-language-decline-letter.md";

/// The well-kept PRD, with its id and any other replacements.
fn prd(id: &str, edits: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string(project_root().join(PRD))
        .unwrap()
        .replace("PRD-001", id);
    for (from, to) in edits {
        assert!(text.contains(from), "{from} in the PRD");
        text = text.replace(from, to);
    }
    text
}

/// The central AIMS: the well-kept fixture, approved with signed tags,
/// with `extra` appended to its aims.toml before the history is made.
fn central(tmp: &Path, extra: &str) -> PathBuf {
    let src = tmp.join("central-src");
    copy_dir(&fixture("well-kept"), &src);
    let config = src.join("aims.toml");
    let text = std::fs::read_to_string(&config).unwrap() + extra;
    std::fs::write(&config, text).unwrap();
    let dest = tmp.join("central");
    approved_repo_from(&src, &dest);
    dest
}

/// A product repository at `dir` with `files`, committed by Lena (who
/// holds no role) on 2026-07-01, on branch `branch`.
fn product(dir: &Path, branch: &str, config: &str, files: &[(&str, String)]) {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", branch]);
    std::fs::write(dir.join("aims.toml"), config).unwrap();
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    commit_as(
        dir,
        "lena.hoffmann@northwind.example",
        "2026-07-01T10:00:00Z",
        "PRDs",
    );
}

fn commit_as(dir: &Path, email: &str, date: &str, message: &str) {
    let home = tempfile::tempdir().unwrap();
    git(dir, &["add", "-A"]);
    succeed(
        hermetic("git", home.path())
            .current_dir(dir)
            .env("GIT_AUTHOR_EMAIL", email)
            .env("GIT_COMMITTER_EMAIL", email)
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .args(["commit", "-q", "-m", message]),
    );
}

/// `aims ARGS` in `dir` with extra environment.
fn aims_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = common::aims(home.path());
    cmd.current_dir(dir).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn json(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", stdout(o), stderr(o)))
}

/// Signs an approval tag of `id` in `dir` as `email` with `key`, claiming `role`.
/// The findings of `check --format json` with rule `code`.
fn findings_of<'a>(check: &'a Value, code: &str) -> Vec<&'a Value> {
    check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

fn tag_by_hand(dir: &Path, email: &str, key: &Path, id: &str, path: &str, role: &str) -> String {
    let blob = git(dir, &["rev-parse", &format!("HEAD:{path}")])
        .trim()
        .to_owned();
    let signer = key.file_name().unwrap().to_str().unwrap();
    let name = format!("aims/{}/{signer}-{}", id.to_lowercase(), &blob[..8]);
    let home = tempfile::tempdir().unwrap();
    succeed(
        hermetic("git", home.path())
            .current_dir(dir)
            .env("GIT_COMMITTER_EMAIL", email)
            .env("GIT_COMMITTER_DATE", "2026-07-02T10:00:00Z")
            .args(["-c", "gpg.format=ssh", "-c"])
            .arg(format!("user.signingkey={}", key.display()))
            .args([
                "tag",
                "-s",
                &name,
                "-m",
                &claim(id, path, &blob, role, "approved"),
            ]),
    );
    name
}

const PRODUCT_CONFIG: &str = "[aims]\nprds = [\"docs/prd/**/*.md\"]\n\n[upstream]\nrepository = \"../central\"\nref = \"main\"\n";

#[test]
fn a_product_repository_checks_its_prds_against_the_upstream_aims() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    central(tmp.path(), "");
    let payments = tmp.path().join("payments");
    product(
        &payments,
        "main",
        PRODUCT_CONFIG,
        &[
            ("docs/prd/prd-pay-001.md", prd("PRD-PAY-001", &[])),
            (
                "docs/prd/prd-pay-002.md",
                prd(
                    "PRD-PAY-002",
                    &[("ai-system = \"SYS-001\"", "ai-system = \"SYS-009\"")],
                ),
            ),
            (
                "docs/prd/prd-pay-003.md",
                prd(
                    "PRD-PAY-003",
                    &[("risk-tier = \"high\"", "risk-tier = \"limited\"")],
                ),
            ),
        ],
    );

    // Nothing cached: --offline stops with the fix, and so does the hook.
    let out = run(&payments, &["check", "--offline"]);
    assert_eq!(code(&out), 2, "{}", both(&out));
    assert!(both(&out).contains("run `aims sync`"), "{}", both(&out));
    git(&payments, &["add", "-A"]);
    let out = run(&payments, &["check", "--staged"]);
    assert_eq!(code(&out), 2, "{}", both(&out));

    let out = run(&payments, &["sync"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(
        stdout(&out).contains("upstream: ../central main at"),
        "{}",
        stdout(&out)
    );

    // Exactly the two problems, at file, line and column.
    let out = run(&payments, &["check", "--offline", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    let found: Vec<(String, String, u64, u64)> = json(&out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["path"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("DOC010".into(), "docs/prd/prd-pay-002.md".into(), 11, 13),
            ("ISO031".into(), "docs/prd/prd-pay-003.md".into(), 12, 13),
        ],
        "{}",
        stdout(&out)
    );
    // Without --offline it fetches first, with the same verdict.
    let out = run(&payments, &["check"]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert!(
        stdout(&out).contains("2 minor nonconformities in 3 documents"),
        "{}",
        stdout(&out)
    );

    // The pre-commit gate reads the cache: a staged PRD naming an unknown
    // system is stopped; an unchanged bad PRD elsewhere is not its business.
    std::fs::write(
        payments.join("docs/prd/prd-pay-004.md"),
        prd(
            "PRD-PAY-004",
            &[("ai-system = \"SYS-001\"", "ai-system = \"SYS-777\"")],
        ),
    )
    .unwrap();
    git(&payments, &["add", "-A"]);
    let out = run(&payments, &["check", "--staged", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    let paths: Vec<&str> = json(&out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect::<Vec<_>>()
        .into_iter()
        .map(|p| {
            if p.ends_with("004.md") {
                "004"
            } else {
                "other"
            }
        })
        .collect();
    assert_eq!(paths, ["004"]);
    git(
        &payments,
        &["rm", "-q", "--cached", "docs/prd/prd-pay-004.md"],
    );
    std::fs::remove_file(payments.join("docs/prd/prd-pay-004.md")).unwrap();

    // Differently worded real PRDs: one naming the system by its title
    // without an [aims] block is ISO026; one with the block is fine.
    std::fs::write(
        payments.join("docs/prd/prd-pay-005.md"),
        "+++\nid = \"PRD-PAY-005\"\nkind = \"prd\"\ntitle = \"PRD: faster referrals\"\n\
         owner = \"lena.hoffmann@northwind.example\"\n+++\n# Faster referrals\n\n\
         Underwriters see the credit-risk scoring model's top reasons next to each referral.\n",
    )
    .unwrap();
    let out = run(&payments, &["check", "--offline", "--format", "json"]);
    let codes: Vec<String> = json(&out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == "docs/prd/prd-pay-005.md")
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(codes, ["ISO026"], "{}", stdout(&out));
    std::fs::remove_file(payments.join("docs/prd/prd-pay-005.md")).unwrap();

    // Scaffolding: `aims init --product` in a new repository, then
    // `aims new prd` offers the upstream's systems and fills one in.
    let fresh = tmp.path().join("fresh");
    let out = run(
        tmp.path(),
        &["init", "--product", "--upstream", "../central", "fresh"],
    );
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(fresh.join(".aims/prd-template.md").is_file());
    git(&fresh, &["init", "-q", "-b", "main"]);
    // A bad ref writes nothing.
    let bad = tmp.path().join("bad");
    let out = run(
        tmp.path(),
        &[
            "init",
            "--product",
            "--upstream",
            "../central",
            "--ref",
            "no good",
            "bad",
        ],
    );
    assert_eq!(code(&out), 2, "{}", both(&out));
    assert!(!bad.join("aims.toml").exists() && !bad.join(".aims").exists());
    let out = run(&fresh, &["new", "prd", "--title", "Reminder timing"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let listed = stdout(&out);
    assert!(listed.contains("Created PRD-002"), "{listed}");
    assert!(
        listed.contains("SYS-001    Credit-risk scoring model (high risk)")
            && listed.contains("SYS-002")
            && listed.contains("SYS-003"),
        "{listed}"
    );
    let out = run(
        &fresh,
        &[
            "new",
            "prd",
            "--offline",
            "--title",
            "Letter",
            "--system",
            "SYS-001",
        ],
    );
    assert_eq!(code(&out), 0, "{}", both(&out));
    let text = std::fs::read_to_string(fresh.join("docs/prd/prd-003-letter.md")).unwrap();
    assert!(text.contains("ai-system = \"SYS-001\"\n"), "{text}");
    assert!(text.contains("risk-tier = \"high\"\n"), "{text}");
    assert!(text.contains("impact-assessment = \"AIA-001\"\n"), "{text}");
    let out = run(&fresh, &["new", "prd", "--offline", "--system", "SYS-404"]);
    assert_eq!(code(&out), 2);
    assert!(
        both(&out).contains("inventoried systems: SYS-001"),
        "{}",
        both(&out)
    );
    let out = run(&fresh, &["new", "risk", "--offline"]);
    assert_eq!(code(&out), 2);
    assert!(
        both(&out).contains("belongs in the AIMS repository"),
        "{}",
        both(&out)
    );

    // The upstream is gone: the fetch fails loudly, and the cached
    // snapshot (named, with its commit) is used.
    std::fs::rename(tmp.path().join("central"), tmp.path().join("moved")).unwrap();
    let out = run(&payments, &["check"]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert!(
        stderr(&out).contains("could not be fetched")
            && stderr(&out).contains("using the snapshot"),
        "{}",
        stderr(&out)
    );
    let out = run(&payments, &["sync"]);
    assert_eq!(code(&out), 2, "{}", both(&out));
    assert!(
        both(&out).contains("1 of 1 could not be fetched: upstream"),
        "{}",
        both(&out)
    );
}

#[test]
fn a_product_pull_request_names_the_impact_assessment_to_review() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    central(tmp.path(), "");
    let payments = tmp.path().join("payments");
    product(
        &payments,
        "main",
        PRODUCT_CONFIG,
        &[("docs/prd/prd-pay-001.md", prd("PRD-PAY-001", &[]))],
    );
    git(
        &payments,
        &["checkout", "-q", "-b", "letter-for-co-applicants"],
    );
    let file = payments.join("docs/prd/prd-pay-001.md");
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "Changing the model, its features or the decision thresholds.",
        "Changing the model. The letter now also goes to co-applicants.",
    );
    std::fs::write(&file, text).unwrap();
    // A new feature that reads like AI and names no inventoried system.
    std::fs::write(
        payments.join("docs/prd/prd-pay-002.md"),
        "+++\nid = \"PRD-PAY-002\"\nkind = \"prd\"\ntitle = \"PRD: dispute triage\"\n\
         owner = \"lena.hoffmann@northwind.example\"\n+++\n# Dispute triage\n\n\
         A large language model reads each card dispute and routes it.\n",
    )
    .unwrap();
    // A PRD of the limited-risk SYS-002, and a feature that is not AI
    // ("maintain", "e-mail", "HTML" hold no AI term as a word): no asks.
    std::fs::write(
        payments.join("docs/prd/prd-pay-003.md"),
        prd(
            "PRD-PAY-003",
            &[
                ("ai-system = \"SYS-001\"", "ai-system = \"SYS-002\""),
                ("risk-tier = \"high\"", "risk-tier = \"limited\""),
                (
                    "impact-assessment = \"AIA-001\"",
                    "impact-assessment = \"AIA-002\"",
                ),
            ],
        ),
    )
    .unwrap();
    std::fs::write(
        payments.join("docs/prd/prd-pay-004.md"),
        "+++\nid = \"PRD-PAY-004\"\nkind = \"prd\"\ntitle = \"PRD: receipts\"\n\
         owner = \"lena.hoffmann@northwind.example\"\n+++\n# Receipts\n\n\
         We maintain an HTML e-mail receipt for every payment; the ai-ops mailbox gets a copy.\n",
    )
    .unwrap();
    // The pull request also changes how [upstream] is named: both sides are
    // then read against the head's upstream, as CI syncs it.
    std::fs::write(
        payments.join("aims.toml"),
        PRODUCT_CONFIG.replace("ref = \"main\"", "ref = \"refs/heads/main\""),
    )
    .unwrap();
    commit_as(
        &payments,
        "lena.hoffmann@northwind.example",
        "2026-08-01T10:00:00Z",
        "co-applicants",
    );
    assert_eq!(code(&run(&payments, &["sync"])), 0);

    let out = run(
        &payments,
        &[
            "pr-comment",
            "--offline",
            "--base",
            "main",
            "--head",
            "HEAD",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", both(&out));
    let c = json(&out);
    let asks = c["asks"].as_array().unwrap();
    let review = asks
        .iter()
        .find(|a| a["action"] == "review-impact-assessment")
        .unwrap_or_else(|| panic!("{c:#}"));
    assert_eq!(review["prd"], "PRD-PAY-001");
    assert_eq!(review["system"], "SYS-001");
    assert_eq!(review["tier"], "high");
    assert_eq!(review["assessments"][0]["id"], "AIA-001");
    assert_eq!(
        review["assessments"][0]["owner"],
        "rahul.iyer@northwind.example"
    );
    assert_eq!(review["approvers"][0]["role"], "ai-governance-lead");
    assert_eq!(
        review["approvers"][0]["people"],
        serde_json::json!([
            "alice.moreau@northwind.example",
            "kwame.mensah@northwind.example"
        ])
    );
    let inventory = asks
        .iter()
        .find(|a| a["action"] == "add-inventory-entry")
        .unwrap_or_else(|| panic!("{c:#}"));
    assert_eq!(inventory["prd"], "PRD-PAY-002");
    assert!(
        inventory["why"]
            .as_str()
            .unwrap()
            .contains("large language model")
    );

    let out = run(
        &payments,
        &["pr-comment", "--base", "main", "--head", "HEAD"],
    );
    let md = stdout(&out);
    assert!(md.contains("#### What this means for the AIMS"), "{md}");
    assert!(
        md.contains("Review: **AIA-001**") && md.contains("owner rahul.iyer@northwind.example"),
        "{md}"
    );
    // The pre-push hook: pushing the branch to protected main is stopped
    // (the changed PRD is not approved under the upstream's trust root);
    // pushing it to its own branch is not.
    let head = git(&payments, &["rev-parse", "HEAD"]).trim().to_owned();
    let base = git(&payments, &["rev-parse", "main"]).trim().to_owned();
    for (branch, expected) in [("main", 1), ("letter-for-co-applicants", 0)] {
        let home = tempfile::tempdir().unwrap();
        let mut child = common::aims(home.path())
            .current_dir(&payments)
            .args(["check", "--pre-push", "--format", "json"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        let line = format!("refs/heads/x {head} refs/heads/{branch} {base}\n");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(line.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(code(&out), expected, "{branch}: {}", both(&out));
        if expected == 1 {
            let codes: Vec<(String, String)> = json(&out)["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f["code"].as_str().unwrap().to_owned(),
                        f["document"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect();
            assert!(
                codes.contains(&("CTL009".into(), "PRD-PAY-001".into())),
                "{codes:?}"
            );
            assert!(
                both(&out).contains("alice.moreau@northwind.example"),
                "{}",
                both(&out)
            );
        }
    }

    // The same PRD on a limited-risk system asks for nothing.
    let quiet = asks
        .iter()
        .filter(|a| a["prd"] == "PRD-PAY-003" || a["prd"] == "PRD-PAY-004")
        .count();
    assert_eq!(quiet, 0, "{c:#}");
    assert_eq!(asks.len(), 2, "{c:#}");
}

#[test]
fn the_central_aims_reads_its_sources_prds_as_evidence_and_exports_them() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let sources = "\n[[source]]\nname = \"payments\"\nrepository = \"../payments.git\"\n\
                   prds = [\"docs/prd/**/*.md\"]\n\n[[source]]\nname = \"lending\"\n\
                   repository = \"../lending.git\"\nref = \"trunk\"\nprds = [\"prd/*.md\"]\n\n\
                   [[source]]\nname = \"gone\"\nrepository = \"../gone.git\"\nprds = [\"prd/*.md\"]\n";
    let central = central(tmp.path(), sources);
    let keys = central.join(".git/aims-fixture-keys");

    // Two product repositories, published as bare repositories.
    let payments = tmp.path().join("payments");
    product(
        &payments,
        "main",
        "[aims]\nprds = [\"docs/prd/**/*.md\"]\n\n[upstream]\nrepository = \"../central\"\n",
        &[("docs/prd/prd-pay-001.md", prd("PRD-PAY-001", &[]))],
    );
    // Alice (ai-governance-lead) approves PRD-PAY-001 in the product
    // repository; Dana (top management, no PRD role) and Mallory (a key
    // of her own, push rights only) try to approve PRD-PAY-002.
    std::fs::write(
        payments.join("docs/prd/prd-pay-002.md"),
        prd("PRD-PAY-002", &[("Rollout", "Launch")]),
    )
    .unwrap();
    commit_as(
        &payments,
        "lena.hoffmann@northwind.example",
        "2026-07-01T11:00:00Z",
        "second",
    );
    let approved = tag_by_hand(
        &payments,
        "alice.moreau@northwind.example",
        &keys.join("alice"),
        "PRD-PAY-001",
        "docs/prd/prd-pay-001.md",
        "ai-governance-lead",
    );
    tag_by_hand(
        &payments,
        "dana.whitfield@northwind.example",
        &keys.join("dana"),
        "PRD-PAY-002",
        "docs/prd/prd-pay-002.md",
        "ai-governance-lead",
    );
    let (mallory, _) = keygen(tmp.path(), "mallory");
    tag_by_hand(
        &payments,
        "alice.moreau@northwind.example",
        &mallory,
        "PRD-PAY-002",
        "docs/prd/prd-pay-002.md",
        "ai-governance-lead",
    );
    git(
        &payments,
        &["clone", "-q", "--bare", ".", "../payments.git"],
    );

    let lending = tmp.path().join("lending-work");
    product(
        &lending,
        "trunk",
        "[aims]\nprds = [\"prd/*.md\"]\n\n[upstream]\nrepository = \"../central\"\nref = \"main\"\n",
        &[(
            "prd/prd-lend-001.md",
            prd(
                "PRD-LEND-001",
                &[
                    ("ai-system = \"SYS-001\"", "ai-system = \"SYS-002\""),
                    ("risk-tier = \"high\"", "risk-tier = \"limited\""),
                    (
                        "impact-assessment = \"AIA-001\"",
                        "impact-assessment = \"AIA-002\"",
                    ),
                ],
            ),
        )],
    );
    git(&lending, &["clone", "-q", "--bare", ".", "../lending.git"]);

    // Fifty-source scale is tested below; here: two that fetch, one that does not.
    let out = run(&central, &["sync"]);
    assert_eq!(code(&out), 2, "{}", both(&out));
    let text = both(&out);
    assert!(text.contains("payments: ../payments.git main at"), "{text}");
    assert!(text.contains("lending: ../lending.git trunk at"), "{text}");
    assert!(
        text.contains("gone: ../gone.git main could not be fetched"),
        "{text}"
    );
    assert!(text.contains("1 of 3 could not be fetched: gone"), "{text}");
    let payments_head = git(&payments, &["rev-parse", "HEAD"]).trim().to_owned();
    let lending_head = git(&lending, &["rev-parse", "HEAD"]).trim().to_owned();

    // A fetch that fails keeps the earlier snapshot whole, its approval
    // tags included: an outage is not a withdrawal.
    std::fs::rename(tmp.path().join("payments.git"), tmp.path().join("away.git")).unwrap();
    assert_eq!(code(&run(&central, &["sync"])), 2);
    let status = json(&run(&central, &["status", "--offline", "--format", "json"]));
    let pay1 = status["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "PRD-PAY-001")
        .unwrap()
        .clone();
    assert_eq!(pay1["state"], "approved", "{pay1:#}");
    std::fs::rename(tmp.path().join("away.git"), tmp.path().join("payments.git")).unwrap();
    // Offline, the missing source's finding carries git's own reason.
    let check = json(&run(&central, &["check", "--offline", "--format", "json"]));
    let gone = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "ISO032")
        .unwrap()
        .clone();
    assert!(
        gone["message"]
            .as_str()
            .unwrap()
            .contains("the last fetch failed"),
        "{gone:#}"
    );

    // Status: the sources' PRDs with their approvals judged by the central trust root.
    let out = run(&central, &["status", "--offline", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let status = json(&out);
    let doc = |id: &str| {
        status["documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {status:#}"))
            .clone()
    };
    assert_eq!(doc("PRD-PAY-001")["state"], "approved");
    assert_eq!(
        doc("PRD-PAY-001")["path"],
        "payments:docs/prd/prd-pay-001.md"
    );
    assert_eq!(
        doc("PRD-PAY-002")["state"],
        "never-approved",
        "{:#}",
        doc("PRD-PAY-002")
    );
    assert_eq!(doc("PRD-LEND-001")["state"], "never-approved");
    assert_eq!(doc("POL-001")["state"], "approved");

    // Check: the missing source is a finding at its aims.toml entry.
    let out = run(&central, &["check", "--offline", "--format", "json"]);
    let check = json(&out);
    let iso032 = findings_of(&check, "ISO032");
    assert_eq!(iso032.len(), 1, "{check:#}");
    assert_eq!(iso032[0]["path"], "aims.toml");
    assert!(iso032[0]["message"].as_str().unwrap().contains("`gone`"));
    // Dana's and Mallory's tags are refused, each with its reason.
    let refused: Vec<String> = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "CTL003" || f["code"] == "CTL005")
        .map(|f| {
            format!(
                "{} {}",
                f["code"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .filter(|m| m.contains("prd-pay-002"))
        .collect();
    assert_eq!(refused.len(), 2, "{check:#}");
    assert!(
        refused.iter().any(|m| m.starts_with("CTL005")
            && m.contains("dana")
            && m.contains("does not hold the role")),
        "{refused:?}"
    );
    assert!(
        refused.iter().any(|m| m.starts_with("CTL003")
            && m.contains("mallory")
            && m.contains("not in the allowed signers")),
        "{refused:?}"
    );

    // Audit: A.6 evidence per system, with repository and commit; the
    // missing source said to be missing.
    let out = run(&central, &["audit", "--offline", "--format", "json"]);
    let audit = json(&out);
    let system = |id: &str| {
        audit["lifecycle"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["system"] == id)
            .unwrap_or_else(|| panic!("{id} in {:#}", audit["lifecycle"]))
            .clone()
    };
    let sys1 = system("SYS-001");
    let origins: Vec<(String, Option<String>)> = sys1["prds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_owned(),
                p["origin"]["commit"].as_str().map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(
        origins,
        [
            ("PRD-001".to_owned(), None),
            ("PRD-PAY-001".to_owned(), Some(payments_head.clone())),
            ("PRD-PAY-002".to_owned(), Some(payments_head.clone())),
        ]
    );
    assert_eq!(sys1["prds"][1]["origin"]["repository"], "../payments.git");
    assert_eq!(sys1["prds"][1]["counts"], true);
    assert_eq!(sys1["prds"][2]["counts"], false);
    assert_eq!(
        system("SYS-002")["prds"][0]["origin"]["commit"],
        lending_head.as_str()
    );
    let gone = audit["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "gone")
        .unwrap()
        .clone();
    assert_eq!(gone["commit"], Value::Null);
    assert!(gone["error"].as_str().is_some());
    let out = run(&central, &["audit", "--offline"]);
    let human = stdout(&out);
    assert!(
        human.contains("gone") && human.contains("EVIDENCE MISSING"),
        "{human}"
    );
    assert!(
        human.contains(&format!(
            "payments (../payments.git) at {}",
            &payments_head[..12]
        )),
        "{human}"
    );

    // Export: the PRDs' pages name their repository and commit, the
    // manifest records the sources, and verify-export passes.
    let pkg = tmp.path().join("pkg");
    let out = run(
        &central,
        &["export", "--offline", "--out", pkg.to_str().unwrap()],
    );
    assert_eq!(code(&out), 0, "{}", both(&out));
    let page = std::fs::read_to_string(pkg.join("documents/PRD-PAY-001/index.html")).unwrap();
    assert!(
        page.contains("product repository <b>payments</b>"),
        "{page}"
    );
    assert!(page.contains(&payments_head), "{page}");
    let in_force = std::fs::read_to_string(pkg.join("documents/PRD-PAY-001/in-force.md")).unwrap();
    assert_eq!(in_force, prd("PRD-PAY-001", &[]));
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(pkg.join("manifest.json")).unwrap()).unwrap();
    let refs = &manifest["references"]["sources"];
    assert_eq!(refs["payments"]["commit"], payments_head.as_str());
    assert!(refs["payments"]["tags"][&approved].is_string(), "{refs:#}");
    assert_eq!(refs["lending"]["ref"], "trunk");
    let out = run(&central, &["verify-export", pkg.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(stdout(&out).contains("\nOK "), "{}", stdout(&out));

    // The approval tag deleted from the product repository (and synced):
    // the package no longer matches, and says which source.
    git(
        &payments,
        &[
            "push",
            "-q",
            "--delete",
            "../payments.git",
            &format!("refs/tags/{approved}"),
        ],
    );
    // (the `gone` source still fails: exit 2)
    assert_eq!(code(&run(&central, &["sync"])), 2);
    let out = run(&central, &["verify-export", pkg.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "{}", both(&out));
    assert!(both(&out).contains("(source `payments`"), "{}", both(&out));
}

#[test]
fn a_product_repository_cannot_take_over_or_add_aims_documents() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let central = central(
        tmp.path(),
        "\n[[source]]\nname = \"rogue\"\nrepository = \"../rogue\"\nprds = [\"docs/*.md\"]\n",
    );
    let keys = central.join(".git/aims-fixture-keys");
    // Someone with push rights to a product repository:
    // - a PRD carrying the AI policy's id, softened, with a real top
    //   manager's signature on it;
    // - an AI system of their own (SYS-777, minimal risk), and a PRD that
    //   names it, so its references would resolve and its tier agree.
    let rogue = tmp.path().join("rogue");
    let policy = std::fs::read_to_string(central.join("aims/policy/ai-policy.md"))
        .unwrap()
        .replace("kind = \"policy\"", "kind = \"prd\"")
        .replace("## ", "## Softened: ");
    let system = std::fs::read_to_string(central.join("aims/ai-systems/sys-003-code-assistant.md"))
        .unwrap()
        .replace("SYS-003", "SYS-777");
    product(
        &rogue,
        "main",
        "[aims]\nprds = [\"docs/*.md\"]\n\n[upstream]\nrepository = \"../central\"\n",
        &[
            ("docs/policy.md", policy),
            ("docs/sys-777.md", system),
            (
                "docs/prd-rogue-001.md",
                prd(
                    "PRD-ROGUE-001",
                    &[
                        ("ai-system = \"SYS-001\"", "ai-system = \"SYS-777\""),
                        ("risk-tier = \"high\"", "risk-tier = \"minimal\""),
                    ],
                ),
            ),
        ],
    );
    tag_by_hand(
        &rogue,
        "dana.whitfield@northwind.example",
        &keys.join("dana"),
        "POL-001",
        "docs/policy.md",
        "top-management",
    );
    assert_eq!(code(&run(&central, &["sync"])), 0);

    // The register: POL-001 is the AIMS's, approved as before.
    let status = json(&run(&central, &["status", "--offline", "--format", "json"]));
    let rows = |id: &str| -> Vec<Value> {
        status["documents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["id"] == id)
            .cloned()
            .collect()
    };
    let pols = rows("POL-001");
    assert_eq!(pols.len(), 1);
    assert_eq!(pols[0]["path"], "aims/policy/ai-policy.md");
    assert_eq!(pols[0]["state"], "approved");
    assert!(rows("SYS-777").is_empty(), "{status:#}");

    // The check: the reused id on the product's file, the AI system left
    // out (ISO033), and the PRD naming it unresolved.
    let out = run(&central, &["check", "--offline", "--format", "json"]);
    let found: Vec<(String, String)> = json(&out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"].as_str().is_some_and(|p| p.starts_with("rogue:")))
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for expected in [
        ("DOC009", "rogue:docs/policy.md"),
        ("ISO033", "rogue:docs/sys-777.md"),
        ("DOC010", "rogue:docs/prd-rogue-001.md"),
    ] {
        assert!(
            found.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {found:?}"
        );
    }
    // The same in the product repository's own check.
    assert_eq!(code(&run(&rogue, &["sync"])), 0);
    let local = json(&run(&rogue, &["check", "--offline", "--format", "json"]));
    let codes: Vec<(String, String)> = local["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        codes.contains(&("ISO033".into(), "docs/sys-777.md".into())),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("DOC010".into(), "docs/prd-rogue-001.md".into())),
        "{codes:?}"
    );

    // The audit: the AIMS's policy still counts as evidence; SYS-777 is no
    // inventoried system; the rogue PRD-001-alike carries no approval.
    let audit = json(&run(&central, &["audit", "--offline", "--format", "json"]));
    let clause_5_2 = audit["clauses"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["clauses"].as_array().unwrap().iter())
        .find(|c| c["id"] == "5.2")
        .unwrap()
        .clone();
    let pol = clause_5_2["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "POL-001" && e["path"] == "aims/policy/ai-policy.md")
        .unwrap_or_else(|| panic!("{clause_5_2:#}"))
        .clone();
    assert_eq!(pol["counts"], true, "{pol:#}");
    let systems: Vec<(String, bool)> = audit["lifecycle"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["system"].as_str().unwrap().to_owned(),
                s["inventoried"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(systems.contains(&("SYS-777".into(), false)), "{systems:?}");

    // The export: the policy's page is the AIMS's, and the package verifies.
    let pkg = tmp.path().join("pkg");
    let out = run(
        &central,
        &["export", "--offline", "--out", pkg.to_str().unwrap()],
    );
    assert_eq!(code(&out), 0, "{}", both(&out));
    let page = std::fs::read_to_string(pkg.join("documents/POL-001/index.html")).unwrap();
    assert!(page.contains("this AIMS repository"), "{page}");
    let out = run(&central, &["verify-export", pkg.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", both(&out));
}

#[test]
fn sync_fetches_fifty_sources_in_parallel() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = String::from("[aims]\n");
    for i in 0..50 {
        let dir = tmp.path().join(format!("p{i:02}"));
        product(
            &dir,
            "main",
            "[aims]\nprds = [\"prd/*.md\"]\n\n[upstream]\nrepository = \"../central\"\n",
            &[("prd/a.md", prd(&format!("PRD-{i:03}"), &[]))],
        );
        config.push_str(&format!(
            "\n[[source]]\nname = \"p{i:02}\"\nrepository = \"../p{i:02}\"\nprds = [\"prd/*.md\"]\n"
        ));
    }
    let central = tmp.path().join("central");
    std::fs::create_dir_all(&central).unwrap();
    git(&central, &["init", "-q", "-b", "main"]);
    std::fs::write(central.join("aims.toml"), config).unwrap();
    let out = aims_env(&central, &["sync", "--jobs", "8"], &[]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    assert!(
        stdout(&out).contains("50 of 50 fetched"),
        "{}",
        stdout(&out)
    );
    for i in 0..50 {
        let head = git(&tmp.path().join(format!("p{i:02}")), &["rev-parse", "HEAD"]);
        assert!(stdout(&out).contains(&format!("p{i:02}: ../p{i:02} main at {}", &head[..12])));
    }
    // Every source's PRDs are read; a source whose globs match nothing is
    // a finding at its aims.toml entry, not an empty list.
    let text = std::fs::read_to_string(central.join("aims.toml"))
        .unwrap()
        .replacen(
            "name = \"p07\"\nrepository = \"../p07\"\nprds = [\"prd/*.md\"]",
            "name = \"p07\"\nrepository = \"../p07\"\nprds = [\"docs/prd/*.md\"]",
            1,
        );
    std::fs::write(central.join("aims.toml"), text).unwrap();
    let audit = json(&run(&central, &["audit", "--offline", "--format", "json"]));
    let sources = audit["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 50);
    assert_eq!(sources.iter().filter(|s| s["prds"] == 1).count(), 49);
    let check = json(&run(&central, &["check", "--offline", "--format", "json"]));
    let empty = findings_of(&check, "ISO033");
    assert_eq!(empty.len(), 1, "{check:#}");
    assert_eq!(empty[0]["path"], "aims.toml");
    assert!(empty[0]["message"].as_str().unwrap().contains("`p07`"));
}

#[test]
fn configuration_mistakes_are_refused_with_their_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[aims]\n[[source]]\nname = \"Pay Ments\"\nrepository = \"../p\"\nprds = [\"*.md\"]\n",
            "not a valid source name",
        ),
        (
            "[aims]\n[[source]]\nname = \"p\"\nrepository = \"--upload-pack=touch /tmp/x\"\nprds = [\"*.md\"]\n",
            "not a repository git can fetch",
        ),
        (
            "[aims]\n[[source]]\nname = \"p\"\nrepository = \"ext::sh -c touch% /tmp/x\"\nprds = [\"*.md\"]\n",
            "transport that runs commands",
        ),
        (
            "[aims]\n[[source]]\nname = \"p\"\nrepository = \"../p\"\nref = \"main..evil\"\nprds = [\"*.md\"]\n",
            "not a branch, tag or ref name",
        ),
        (
            "[aims]\n[[source]]\nname = \"p\"\nrepository = \"../p\"\nprds = []\n",
            "lists no `prds` globs",
        ),
        (
            "[aims]\n[[source]]\nname = \"p\"\nrepository = \"../a\"\nprds = [\"*.md\"]\n[[source]]\nname = \"p\"\nrepository = \"../b\"\nprds = [\"*.md\"]\n",
            "two [[source]] entries are named `p`",
        ),
        (
            "[aims]\n[upstream]\nrepository = \"../c\"\n[roles]\nlead = [\"a@b.example\"]\n",
            "[roles] has no effect in a product repository",
        ),
        (
            "[aims]\n[upstream]\nrepository = \"../c\"\n[rules]\nISO = \"off\"\n",
            "[rules] has no effect in a product repository",
        ),
        (
            "[aims]\nallowed-signers = \"keys\"\n[upstream]\nrepository = \"../c\"\n",
            "`allowed-signers` has no effect in a product repository",
        ),
    ];
    for (text, message) in cases {
        std::fs::write(tmp.path().join("aims.toml"), text).unwrap();
        let out = run(tmp.path(), &["sync"]);
        assert_eq!(code(&out), 2, "{text}: {}", both(&out));
        assert!(both(&out).contains(message), "{text}: {}", both(&out));
    }
}

/// `aims sync` in a central AIMS with two sources, one of which never
/// answers (an ssh URL whose ssh command is `ssh`, a shell command: no
/// network), run with no terminal, as in CI (at a terminal, where ssh may
/// prompt on it, aims stops git alone), and `AIMS_FETCH_TIMEOUT=limit`.
fn stuck_sync(tmp: &Path, ssh: &str, limit: &str) -> std::process::Child {
    let dir = tmp.join("p0");
    product(
        &dir,
        "main",
        "[aims]\nprds = [\"prd/*.md\"]\n\n[upstream]\nrepository = \"../central\"\n",
        &[("prd/a.md", prd("PRD-001", &[]))],
    );
    let central = tmp.join("central");
    std::fs::create_dir_all(&central).unwrap();
    git(&central, &["init", "-q", "-b", "main"]);
    std::fs::write(
        central.join("aims.toml"),
        "[aims]\n\n[[source]]\nname = \"p0\"\nrepository = \"../p0\"\nprds = [\"prd/*.md\"]\n\n\
         [[source]]\nname = \"stuck\"\nrepository = \"ssh://aims-test.invalid/stuck.git\"\n\
         prds = [\"prd/*.md\"]\n",
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let mut cmd = common::aims(home.path());
    // SAFETY: setsid is async-signal-safe, and nothing else runs between
    // fork and exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            libc::setsid();
            Ok(())
        });
    }
    cmd.current_dir(&central)
        .args(["sync"])
        .env("AIMS_FETCH_TIMEOUT", limit)
        // git runs it through a shell with the host and command after it:
        // a comment leaves them out.
        .env("GIT_SSH_COMMAND", ssh)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// The processes that run exactly `args`.
fn running_pids(args: &str) -> Vec<i32> {
    let ps = std::process::Command::new("ps")
        .args(["-eo", "pid=,args="])
        .output()
        .unwrap();
    String::from_utf8_lossy(&ps.stdout)
        .lines()
        .filter_map(|l| {
            let (pid, rest) = l.trim().split_once(' ')?;
            (rest.trim() == args).then(|| pid.parse().ok())?
        })
        .collect()
}

fn running(args: &str) -> usize {
    running_pids(args).len()
}

/// Waits for `child` to end; a hang is a failure, not a wait.
fn ended(mut child: std::process::Child, what: &str) -> std::process::Output {
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{what}: still running after 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// A remote that never answers: the fetch is stopped at
/// `AIMS_FETCH_TIMEOUT`, with everything git started, and said so; the
/// other source is fetched.
#[test]
fn a_fetch_that_never_answers_is_stopped_at_its_time_limit() {
    let tmp = tempfile::tempdir().unwrap();
    // A sleep no other test runs, to look for afterwards.
    let sleeper = "sleep 113";
    let out = ended(
        stuck_sync(tmp.path(), &format!("{sleeper} #"), "2"),
        "a 2 s fetch limit",
    );
    let text = both(&out);
    assert_eq!(code(&out), 2, "{text}");
    assert!(
        text.contains("gave no answer in 2 s and was stopped")
            && text.contains("AIMS_FETCH_TIMEOUT")
            && text.contains("1 of 2 could not be fetched: stuck"),
        "{text}"
    );
    assert_eq!(running(sleeper), 0, "`{sleeper}` left running");
    // A limit that is not a number of seconds is refused, not guessed.
    let out = aims_env(
        &tmp.path().join("central"),
        &["sync"],
        &[("AIMS_FETCH_TIMEOUT", "2s")],
    );
    assert_eq!(code(&out), 2, "{}", both(&out));
    assert!(
        both(&out).contains("AIMS_FETCH_TIMEOUT is `2s`"),
        "{}",
        both(&out)
    );
}

/// A signal that ends aims (a CI job cancelled, `timeout`) reaches the
/// fetches it runs in process groups of their own: nothing is left behind.
#[test]
fn a_signal_that_ends_aims_ends_its_fetches_too() {
    let tmp = tempfile::tempdir().unwrap();
    let sleeper = "sleep 114";
    let child = stuck_sync(tmp.path(), &format!("{sleeper} #"), "60");
    let start = std::time::Instant::now();
    while running(sleeper) == 0 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "the stuck fetch never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // To aims's process group, as a job runner or `timeout` sends it.
    // SAFETY: kill has no memory effects.
    assert_eq!(
        unsafe { libc::kill(-(child.id() as i32), libc::SIGTERM) },
        0
    );
    let out = ended(child, "aims after SIGTERM");
    assert!(out.status.code().is_none(), "ended by the signal");
    let start = std::time::Instant::now();
    while running(sleeper) > 0 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "`{sleeper}` left running after aims ended"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A fetch that fails while something git started still holds its error
/// output open: reported at once with git's own lines, not when that ends.
#[test]
fn a_failed_fetch_is_reported_without_waiting_for_what_git_left_running() {
    let tmp = tempfile::tempdir().unwrap();
    let sleeper = "sleep 115";
    let ssh = format!("{sleeper} >/dev/null </dev/null & exit 255 #");
    let out = ended(stuck_sync(tmp.path(), &ssh, "60"), "a failed fetch");
    let text = both(&out);
    assert_eq!(code(&out), 2, "{text}");
    assert!(
        text.contains("Could not read from remote repository")
            && text.contains("1 of 2 could not be fetched: stuck"),
        "{text}"
    );
    // Left running by git's ssh, not by aims (a finished fetch's group is
    // not stopped: an ssh connection it shares may outlive it on purpose).
    for pid in running_pids(sleeper) {
        // SAFETY: kill has no memory effects.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}
