//! The trust model against deliberate attacks, each built with plain git
//! and ssh-keygen as an attacker with push rights but no role would build
//! it: hijacking the trust root off the branch, back-dating with an expired
//! key, rewriting history from a new bootstrap; and the lifecycle a real
//! AIMS lives through: people leave, keys rotate, rules tighten, documents
//! are withdrawn, approvals wait on pull requests, kinds change.

mod common;

use std::process::Output;

use common::approved::*;
use common::*;
use serde_json::Value;

/// `aims ARGS` signing as `who` with key `key` (their git set-up), at `date`.
fn aims_as(f: &Fixture, who: &str, key: &str, date: &str, args: &[&str]) -> Output {
    let gitconfig = f.keys.join(format!("{who}-{key}.gitconfig"));
    std::fs::write(
        &gitconfig,
        format!(
            "[user]\n\tname = {who}\n\temail = {who}@acme.example\n\tsigningkey = {}\n[gpg]\n\tformat = ssh\n",
            f.keys.join(key).display()
        ),
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    aims(home.path())
        .current_dir(&f.repo)
        .env("GIT_CONFIG_GLOBAL", &gitconfig)
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("GIT_COMMITTER_EMAIL")
        .env("GIT_COMMITTER_DATE", date)
        .args(args)
        .output()
        .unwrap()
}

/// `ssh-keygen -l`'s SHA256 fingerprint of `keys/NAME.pub`.
fn fingerprint(f: &Fixture, name: &str) -> String {
    let home = tempfile::tempdir().unwrap();
    let out = succeed(
        hermetic("ssh-keygen", home.path())
            .arg("-lf")
            .arg(f.keys.join(format!("{name}.pub"))),
    );
    stdout(&out)
        .split_whitespace()
        .nth(1)
        .expect("a fingerprint")
        .to_owned()
}

fn public(f: &Fixture, name: &str) -> String {
    std::fs::read_to_string(f.keys.join(format!("{name}.pub")))
        .unwrap()
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every approval (and refusal) of `id` in `aims status --format json`.
fn approvals(f: &Fixture, extra: &[&str], id: &str) -> Vec<Value> {
    f.doc(extra, id)["approvals"].as_array().unwrap().clone()
}

fn by_tag<'a>(approvals: &'a [Value], tag: &str) -> &'a Value {
    approvals
        .iter()
        .find(|a| a["tag"] == tag)
        .unwrap_or_else(|| panic!("{tag} in {approvals:#?}"))
}

fn write(f: &Fixture, path: &str, text: &str) {
    let p = f.repo.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// The signers file: one line per (email, key name, options).
fn signers(f: &Fixture, lines: &[(&str, &str, &str)]) -> String {
    lines
        .iter()
        .map(|(email, key, options)| {
            let options = if options.is_empty() {
                String::new()
            } else {
                format!("{options} ")
            };
            format!("{email} {options}{}\n", public(f, key))
        })
        .collect()
}

fn config_claim(f: &Fixture, rev: &str) -> String {
    claim(
        "aims.toml",
        "aims.toml",
        &f.blob(rev, "aims.toml"),
        "top-management",
        "approved",
    )
}

fn rev(f: &Fixture, spec: &str) -> String {
    f.git(&["rev-parse", spec]).trim().to_owned()
}

#[test]
fn a_trust_root_hijacked_off_the_branch_counts_for_nothing() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = Fixture::approved();
    let pol_v1 = f.blob("HEAD", "aims/policy/ai.md");

    // Mallory (push rights, no role) makes a commit off the branch: the
    // approved aims.toml byte for byte, but the signers file maps Dana's
    // email to Mallory's own key.
    f.git(&["switch", "-q", "--detach", "HEAD"]);
    write(
        &f,
        ".aims/allowed_signers",
        &signers(&f, &[(DANA, "mallory", ""), (ALICE, "alice", "")]),
    );
    f.commit("mallory", "2026-01-11T08:00:00Z", "tidy signers");
    let forged = rev(&f, "HEAD");
    assert_eq!(f.blob("HEAD", "aims.toml"), f.blob("main", "aims.toml"));
    // A configuration approval "by Dana", signed with Mallory's key: dated
    // before the real one, and again with today's date.
    let config = config_claim(&f, "HEAD");
    f.tag(
        "dana",
        Some("mallory"),
        "aims/config/forged",
        &config,
        "2026-01-11T12:00:00Z",
        &forged,
    );
    f.tag(
        "dana",
        Some("mallory"),
        "aims/config/forged-today",
        &config,
        "2026-11-20T12:00:00Z",
        &forged,
    );
    // And a new policy text approved "by Dana" on that side line.
    edit_policy(&f.repo, "Mallory's policy.");
    f.commit("mallory", "2026-01-19T08:00:00Z", "policy");
    f.approve_by_hand(
        "dana",
        "POL-001",
        "aims/policy/ai.md",
        "top-management",
        "2026-01-20T09:00:00Z",
    );
    // Swapped in by a tag only; and on the branch's own policy too.
    f.git(&["switch", "-q", "main"]);
    f.tag(
        "dana",
        Some("mallory"),
        "aims/pol-001/forged-today",
        &claim(
            "POL-001",
            "aims/policy/ai.md",
            &pol_v1,
            "top-management",
            "approved",
        ),
        "2026-11-20T12:00:00Z",
        "main",
    );

    // The real trust root stands; every forgery is refused with its reason.
    let config = f.doc(&[], "aims.toml");
    assert_eq!(
        (config["state"].clone(), config["version"].clone()),
        ("approved".into(), 1.into())
    );
    let cfg = approvals(&f, &[], "aims.toml");
    let real = cfg
        .iter()
        .find(|a| a["counts"] == true)
        .expect("the real approval counts");
    assert_eq!(real["date"], "2026-01-12");
    for forged in ["aims/config/forged", "aims/config/forged-today"] {
        let a = by_tag(&cfg, forged);
        assert_eq!(
            (a["counts"].clone(), a["verified"].clone()),
            (false.into(), false.into()),
            "{a:#}"
        );
    }
    assert!(
        by_tag(&cfg, "aims/config/forged")["reason"]
            .as_str()
            .unwrap()
            .contains("no approved aims.toml names the signers")
            || by_tag(&cfg, "aims/config/forged")["reason"]
                .as_str()
                .unwrap()
                .contains("no approved configuration was in force"),
        "{cfg:#?}"
    );
    assert!(
        by_tag(&cfg, "aims/config/forged-today")["reason"]
            .as_str()
            .unwrap()
            .contains("a key not in the allowed signers"),
        "{cfg:#?}"
    );
    let pol = f.doc(&[], "POL-001");
    assert_eq!(
        (pol["state"].clone(), pol["version"].clone()),
        ("approved".into(), 1.into())
    );
    let pol_approvals = pol["approvals"].as_array().unwrap();
    let counted: Vec<&Value> = pol_approvals
        .iter()
        .filter(|a| a["counts"] == true)
        .collect();
    assert_eq!(counted.len(), 1, "{pol:#}");
    assert_eq!(counted[0]["date"], "2026-01-13");
    let today = by_tag(pol_approvals, "aims/pol-001/forged-today");
    assert!(
        today["reason"]
            .as_str()
            .unwrap()
            .contains("a key not in the allowed signers")
    );
    let side = pol_approvals
        .iter()
        .find(|a| a["date"] == "2026-01-20")
        .expect("the side-line approval is listed");
    assert_eq!(side["counts"], false);
    let findings = f.control_findings();
    assert!(
        has(&findings, "CTL003", "aims/config/forged-today"),
        "{findings:?}"
    );
    assert!(
        has(&findings, "CTL003", "aims/pol-001/forged-today"),
        "{findings:?}"
    );
    assert!(!has(&findings, "CTL007", ""), "{findings:?}");

    // An older revision of aims.toml on the branch that was never approved
    // (Alice adds Mallory to a role): Mallory cannot approve it for Dana.
    let text = std::fs::read_to_string(f.repo.join("aims.toml")).unwrap();
    write(
        &f,
        "aims.toml",
        &text.replace(
            "[\"alice@acme.example\"]",
            "[\"alice@acme.example\", \"mallory@acme.example\"]",
        ),
    );
    write(
        &f,
        ".aims/allowed_signers",
        &(std::fs::read_to_string(f.repo.join(".aims/allowed_signers")).unwrap()
            + &signers(&f, &[("mallory@acme.example", "mallory", "")])),
    );
    f.commit("alice", "2026-02-01T08:00:00Z", "add mallory");
    f.tag(
        "dana",
        Some("mallory"),
        "aims/config/forged-v2",
        &config_claim(&f, "HEAD"),
        "2026-11-21T12:00:00Z",
        "HEAD",
    );
    f.tag(
        "mallory",
        Some("mallory"),
        "aims/config/self",
        &config_claim(&f, "HEAD"),
        "2026-11-21T12:00:00Z",
        "HEAD",
    );
    let config = f.doc(&[], "aims.toml");
    assert_eq!(config["state"], "changed-since-approval", "{config:#}");
    for tag in ["aims/config/forged-v2", "aims/config/self"] {
        let a = by_tag(config["approvals"].as_array().unwrap(), tag);
        assert_eq!(a["counts"], false, "{a:#}");
        assert!(
            a["reason"]
                .as_str()
                .unwrap()
                .contains("a key not in the allowed signers"),
            "{a:#}"
        );
    }
    // Mallory's approval of the procedure as the lead she added herself: nothing.
    let pro = f.blob("HEAD", "aims/pro.md");
    f.tag(
        "mallory",
        Some("mallory"),
        "aims/pro-001/mallory",
        &claim(
            "PRO-001",
            "aims/pro.md",
            &pro,
            "ai-governance-lead",
            "approved",
        ),
        "2026-11-21T13:00:00Z",
        "HEAD",
    );
    let a = by_tag(&approvals(&f, &[], "PRO-001"), "aims/pro-001/mallory").clone();
    assert_eq!(
        (a["counts"].clone(), a["verified"].clone()),
        (false.into(), false.into())
    );
}

#[test]
fn a_pinned_anchor_refuses_history_rewritten_from_a_new_bootstrap() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = Fixture::approved();
    let dana = fingerprint(&f, "dana");
    let mallory = fingerprint(&f, "mallory");
    let ok = f.aims(&["status", "--trust-anchor", &dana]);
    assert_eq!(code(&ok), 0, "{}", both(&ok));
    let wrong = f.aims(&["status", "--trust-anchor", &mallory]);
    assert_eq!(code(&wrong), 2, "{}", both(&wrong));
    assert!(
        both(&wrong).contains("pinned trust anchor"),
        "{}",
        both(&wrong)
    );

    // Mallory rewrites main from a new root: the same files, but her key
    // for Dana's email, and a self-approved bootstrap.
    let config = std::fs::read_to_string(f.repo.join("aims.toml")).unwrap();
    f.git(&["switch", "-q", "--orphan", "rewritten"]);
    write(&f, "aims.toml", &config);
    write(
        &f,
        ".aims/allowed_signers",
        &signers(&f, &[(DANA, "mallory", ""), (ALICE, "alice", "")]),
    );
    write(&f, "aims/policy/ai.md", &policy("First text."));
    write(&f, "aims/pro.md", &procedure("Steps."));
    f.commit("mallory", "2026-01-10T10:00:00Z", "initial AIMS");
    f.tag(
        "dana",
        Some("mallory"),
        "aims/config/rewritten",
        &config_claim(&f, "HEAD"),
        "2026-01-12T09:00:00Z",
        "HEAD",
    );
    f.git(&["branch", "-f", "main", "rewritten"]);
    f.git(&["switch", "-q", "main"]);

    // Without an anchor the rewritten bootstrap stands (the README says
    // so); with Dana's key pinned, the run stops.
    assert_eq!(f.doc(&[], "aims.toml")["state"], "approved");
    let pinned = f.aims(&["status", "--trust-anchor", &dana]);
    assert_eq!(code(&pinned), 2, "{}", both(&pinned));
    assert!(
        both(&pinned).contains("history may have been rewritten"),
        "{}",
        both(&pinned)
    );
    let home = tempfile::tempdir().unwrap();
    let by_env = aims(home.path())
        .current_dir(&f.repo)
        .env("AIMS_TRUST_ANCHOR", &dana)
        .args(["check"])
        .output()
        .unwrap();
    assert_eq!(code(&by_env), 2, "{}", both(&by_env));
}

/// aims.toml with Erin valid until `erin_until` (YYYYMMDD) as top management.
fn erin_fixture(config: &str, erin_options: &str) -> Fixture {
    let f = Fixture::with_config(config);
    let text = signers(
        &f,
        &[
            (DANA, "dana", "namespaces=\"git\""),
            (ALICE, "alice", ""),
            (ERIN, "erin", erin_options),
        ],
    );
    write(&f, ".aims/allowed_signers", &text);
    f.commit("alice", "2026-01-10T11:00:00Z", "signers");
    // The bootstrap (the first commit's configuration), then this one.
    f.tag(
        "dana",
        Some("dana"),
        "aims/config/v1",
        &config_claim(&f, "HEAD~1"),
        "2026-01-11T09:00:00Z",
        "HEAD~1",
    );
    f.approve_by_hand(
        "dana",
        "aims.toml",
        "aims.toml",
        "top-management",
        "2026-01-12T09:00:00Z",
    );
    f
}

const QUIET: &str = "[rules]\nDOC005 = \"off\"\nDOC011 = \"off\"\n";

#[test]
fn back_dating_before_the_content_or_before_a_seal_is_refused() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = erin_fixture(&format!("{CONFIG}{QUIET}"), "valid-before=\"20260301\"");
    assert_eq!(
        f.doc(&[], "aims.toml")["version"],
        2,
        "{:#}",
        f.doc(&[], "aims.toml")
    );
    f.approve_by_hand(
        "dana",
        "POL-001",
        "aims/policy/ai.md",
        "top-management",
        "2026-01-13T09:00:00Z",
    );

    // New content on 2026-11-01, long after Erin's key expired.
    edit_policy(&f.repo, "Text of November.");
    f.commit("alice", "2026-11-01T10:00:00Z", "policy v2");
    let blob = f.blob("HEAD", "aims/policy/ai.md");
    let v2 = claim(
        "POL-001",
        "aims/policy/ai.md",
        &blob,
        "top-management",
        "approved",
    );
    // Signed today: the key has expired. Back-dated into its validity: the
    // content did not exist yet.
    f.tag(
        "erin",
        Some("erin"),
        "aims/pol-001/erin-today",
        &v2,
        "2026-11-20T09:00:00Z",
        "HEAD",
    );
    f.tag(
        "erin",
        Some("erin"),
        "aims/pol-001/erin-february",
        &v2,
        "2026-02-15T09:00:00Z",
        "HEAD",
    );

    // Dana seals on 2026-06-01 (her clock said so).
    let sealed = aims_as(&f, "dana", "dana", "2026-06-01T09:00:00Z", &["seal"]);
    assert_eq!(code(&sealed), 0, "{}", both(&sealed));
    let seal = f.git(&["tag", "--list", "aims/seal/*"]).trim().to_owned();
    assert!(!seal.is_empty());

    // The careful attacker: a commit off the branch with a forged date that
    // holds the new content, approved "in February".
    f.git(&["switch", "-q", "--detach", "HEAD~1"]);
    edit_policy(&f.repo, "Text of November.");
    let home = tempfile::tempdir().unwrap();
    succeed(
        git_as(&f.repo, home.path(), "erin", "erin", "2026-02-10T10:00:00Z")
            .args(["commit", "-q", "-am", "early"]),
    );
    assert_eq!(f.blob("HEAD", "aims/policy/ai.md"), blob);
    f.tag(
        "erin",
        Some("erin"),
        "aims/pol-001/erin-sealed-out",
        &v2,
        "2026-02-15T10:00:00Z",
        "HEAD",
    );
    f.git(&["switch", "-q", "main"]);

    let pol = f.doc(&[], "POL-001");
    assert_eq!(
        (pol["state"].clone(), pol["version"].clone()),
        ("changed-since-approval".into(), 1.into()),
        "{pol:#}"
    );
    let list = pol["approvals"].as_array().unwrap();
    let reason = |tag: &str| {
        by_tag(list, tag)["reason"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        reason("aims/pol-001/erin-today").contains("had expired"),
        "{list:#?}"
    );
    assert!(
        reason("aims/pol-001/erin-february").contains("before the approved content existed"),
        "{list:#?}"
    );
    let sealed_out = reason("aims/pol-001/erin-sealed-out");
    assert!(
        sealed_out.contains(&format!("before seal {seal}")),
        "{sealed_out}"
    );
    assert!(sealed_out.contains("back-dated"), "{sealed_out}");
    let findings = f.control_findings();
    assert!(
        has(&findings, "CTL003", "aims/pol-001/erin-sealed-out"),
        "{findings:?}"
    );
    assert!(
        has(&findings, "CTL003", "aims/pol-001/erin-february"),
        "{findings:?}"
    );
}

#[test]
fn leavers_rotation_and_stricter_rules_keep_past_approvals_and_revocation_voids_them() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let relaxed = format!(
        "[aims]\norganisation = \"Test\"\nrequire-distinct-approver = false\n\
         [roles]\ntop-management = [\"{DANA}\", \"{ERIN}\"]\nai-governance-lead = [\"{ALICE}\"]\n\
         [kinds.procedure]\napprovers = [\"ai-governance-lead\", \"top-management\"]\n{QUIET}"
    );
    let f = erin_fixture(&relaxed, "");
    keygen(&f.keys, "dana2");
    // Erin approves the policy; Alice her own procedure (allowed then).
    let erin_v1 = f.approve_by_hand(
        "erin",
        "POL-001",
        "aims/policy/ai.md",
        "top-management",
        "2026-02-01T09:00:00Z",
    );
    let alice_v1 = f.approve_by_hand(
        "alice",
        "PRO-001",
        "aims/pro.md",
        "ai-governance-lead",
        "2026-02-01T09:05:00Z",
    );
    let before = f.doc(&[], "POL-001");
    assert_eq!(before["state"], "approved");

    // Erin leaves: out of top management, her key valid only until June;
    // Dana's key is rotated; segregation of duties is switched on. Dana
    // approves this with her old key (the configuration in force).
    let strict = relaxed
        .replace(
            "require-distinct-approver = false",
            "require-distinct-approver = true",
        )
        .replace(
            &format!("[\"{DANA}\", \"{ERIN}\"]"),
            &format!("[\"{DANA}\"]"),
        );
    write(&f, "aims.toml", &strict);
    write(
        &f,
        ".aims/allowed_signers",
        &signers(
            &f,
            &[
                (DANA, "dana2", ""),
                (ALICE, "alice", ""),
                (ERIN, "erin", "valid-before=\"20260601\""),
            ],
        ),
    );
    f.commit(
        "alice",
        "2026-05-30T10:00:00Z",
        "Erin leaves; Dana's new key",
    );
    f.approve_by_hand(
        "dana",
        "aims.toml",
        "aims.toml",
        "top-management",
        "2026-06-01T09:00:00Z",
    );
    assert_eq!(f.doc(&[], "aims.toml")["version"], 3);

    // Every earlier approval still counts, as it did at the time.
    for (id, tag) in [("POL-001", &erin_v1), ("PRO-001", &alice_v1)] {
        let doc = f.doc(&[], id);
        assert_eq!(
            (doc["state"].clone(), doc["version"].clone()),
            ("approved".into(), 1.into()),
            "{doc:#}"
        );
        assert_eq!(
            by_tag(doc["approvals"].as_array().unwrap(), tag)["counts"],
            true
        );
    }
    // The register as of March says the same about March as today does.
    let march = f.doc(&["--as-of", "2026-03-01"], "POL-001");
    assert_eq!(march["approvals"], before["approvals"]);
    assert_eq!(march["version"], 1);

    // After leaving, Erin's approval no longer counts; Dana's new key does.
    edit_policy(&f.repo, "Second text.");
    f.commit("alice", "2026-07-01T10:00:00Z", "policy v2");
    let late = f.approve_by_hand(
        "erin",
        "POL-001",
        "aims/policy/ai.md",
        "top-management",
        "2026-07-02T09:00:00Z",
    );
    let pol = f.doc(&[], "POL-001");
    assert_eq!(pol["state"], "changed-since-approval");
    assert!(
        by_tag(pol["approvals"].as_array().unwrap(), &late)["reason"]
            .as_str()
            .unwrap()
            .contains("had expired")
    );
    let blob = f.blob("HEAD", "aims/policy/ai.md");
    f.tag(
        "dana",
        Some("dana2"),
        "aims/pol-001/dana-new-key",
        &claim(
            "POL-001",
            "aims/policy/ai.md",
            &blob,
            "top-management",
            "approved",
        ),
        "2026-07-03T09:00:00Z",
        "HEAD",
    );
    let pol = f.doc(&[], "POL-001");
    assert_eq!(
        (pol["state"].clone(), pol["version"].clone()),
        ("approved".into(), 2.into()),
        "{pol:#}"
    );
    // Her old key signs nothing new.
    f.tag(
        "dana",
        Some("dana"),
        "aims/pol-001/dana-old-key",
        &claim(
            "POL-001",
            "aims/policy/ai.md",
            &blob,
            "top-management",
            "reviewed",
        ),
        "2026-07-04T09:00:00Z",
        "HEAD",
    );
    let old = by_tag(&approvals(&f, &[], "POL-001"), "aims/pol-001/dana-old-key").clone();
    assert_eq!(old["counts"], false, "{old:#}");

    // Erin's key turns out to be compromised: a revocation list in an
    // approved configuration voids everything it signed.
    let with_list = strict.replace(
        "[aims]\n",
        "[aims]\nrevoked-keys = \".aims/revoked_keys\"\n",
    );
    write(&f, "aims.toml", &with_list);
    write(
        &f,
        ".aims/revoked_keys",
        &format!("# compromised laptop\n{} erin\n", public(&f, "erin")),
    );
    f.commit("alice", "2026-08-01T10:00:00Z", "revoke Erin's key");
    f.tag(
        "dana",
        Some("dana2"),
        "aims/config/revocation",
        &config_claim(&f, "HEAD"),
        "2026-08-02T09:00:00Z",
        "HEAD",
    );
    assert_eq!(f.doc(&[], "aims.toml")["version"], 4);
    let pol = f.doc(&[], "POL-001");
    let erin = by_tag(pol["approvals"].as_array().unwrap(), &erin_v1);
    assert_eq!(erin["counts"], false);
    assert!(
        erin["reason"].as_str().unwrap().contains("revocation list"),
        "{erin:#}"
    );
    // Dana's approval stands alone now: the only approved content is v2's.
    assert_eq!(
        (pol["state"].clone(), pol["version"].clone()),
        ("approved".into(), 1.into()),
        "{pol:#}"
    );
    assert!(has(&f.control_findings(), "CTL003", "revocation list"));
    // The register says which key, and that nothing it signed counts.
    let log = stdout(&f.aims(&["log", "POL-001"]));
    assert!(log.contains(&fingerprint(&f, "erin")), "{log}");
}

#[test]
fn withdrawal_needs_an_approval_in_both_gates_and_keeps_the_record() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = Fixture::approved();
    let last = f.blob("HEAD", "aims/pro.md");
    let approved_text = std::fs::read_to_string(f.repo.join("aims/pro.md")).unwrap();

    // On main, removing the approved procedure is refused at commit time…
    f.git(&["rm", "-q", "aims/pro.md"]);
    let staged = f.aims(&["check", "--staged"]);
    assert_eq!(code(&staged), 1, "{}", both(&staged));
    assert!(both(&staged).contains("CTL009"), "{}", both(&staged));
    assert!(both(&staged).contains("removes it"), "{}", both(&staged));
    // …and at push time, for a removal and for a document that lost its
    // frontmatter (committed past the hook).
    let remote = rev(&f, "HEAD");
    f.commit("alice", "2026-02-01T10:00:00Z", "remove PRO-001");
    let push = |f: &Fixture| {
        let home = tempfile::tempdir().unwrap();
        let mut child = aims(home.path())
            .current_dir(&f.repo)
            .args(["check", "--pre-push"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        let line = format!(
            "refs/heads/main {} refs/heads/main {remote}\n",
            rev(f, "HEAD")
        );
        child
            .stdin
            .take()
            .unwrap()
            .write_all(line.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let pushed = push(&f);
    assert_eq!(code(&pushed), 1, "{}", both(&pushed));
    assert!(
        both(&pushed).contains("without an approved withdrawal"),
        "{}",
        both(&pushed)
    );
    f.git(&["reset", "-q", "--hard", &remote]);
    write(&f, "aims/pro.md", "Steps, with the frontmatter gone.\n");
    f.commit("alice", "2026-02-01T10:00:00Z", "oops");
    let pushed = push(&f);
    assert_eq!(code(&pushed), 1, "{}", both(&pushed));
    assert!(both(&pushed).contains("PRO-001"), "{}", both(&pushed));
    f.git(&["reset", "-q", "--hard", &remote]);

    // The withdrawal, on a branch, approved by top management.
    f.git(&["switch", "-q", "-c", "withdraw/PRO-001"]);
    f.git(&["rm", "-q", "aims/pro.md"]);
    f.commit("alice", "2026-02-02T10:00:00Z", "withdraw PRO-001");
    f.tag(
        "dana",
        Some("dana"),
        "aims/pro-001/withdrawn",
        &claim(
            "PRO-001",
            "aims/pro.md",
            &last,
            "top-management",
            "withdrawn",
        ),
        "2026-02-03T09:00:00Z",
        "HEAD",
    );
    f.git(&["switch", "-q", "main"]);
    f.git(&["rm", "-q", "aims/pro.md"]);
    let staged = f.aims(&["check", "--staged"]);
    assert!(!both(&staged).contains("CTL009"), "{}", both(&staged));
    f.commit("alice", "2026-02-04T10:00:00Z", "withdraw PRO-001");

    let pro = f.doc(&[], "PRO-001");
    assert_eq!(
        (pro["state"].clone(), pro["version"].clone()),
        ("withdrawn".into(), 1.into()),
        "{pro:#}"
    );
    let findings = f.control_findings();
    assert!(
        !findings.iter().any(|(_, m)| m.contains("PRO-001")),
        "{findings:?}"
    );
    // A human register says so, and the export keeps the last approved text.
    let status = stdout(&f.aims(&["status"]));
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("PRO-001") && l.contains("withdrawn")),
        "{status}"
    );
    let audit: Value =
        serde_json::from_slice(&f.aims(&["audit", "--format", "json"]).stdout).unwrap();
    let audit = audit.to_string();
    assert!(audit.contains("v1 withdrawn on 2026-02-03"), "{audit}");
    let out = f.aims(&["export", "--out", "../evidence"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
    let dir = f.repo.parent().unwrap().join("evidence/documents/PRO-001");
    assert_eq!(
        std::fs::read_to_string(dir.join("in-force.md")).unwrap(),
        approved_text
    );
    let page = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(page.to_lowercase().contains("withdrawn"), "{page}");
}

#[test]
fn an_approval_waiting_on_a_pull_request_is_pending_then_counts() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = Fixture::approved();
    f.git(&["switch", "-q", "-c", "change/POL-001"]);
    edit_policy(&f.repo, "Second text.");
    f.commit("alice", "2026-02-01T10:00:00Z", "policy v2");
    let tag = f.approve_by_hand(
        "dana",
        "POL-001",
        "aims/policy/ai.md",
        "top-management",
        "2026-02-02T09:00:00Z",
    );
    f.git(&["switch", "-q", "main"]);

    // On main: no document-control finding, the approval shown as waiting.
    let findings = f.control_findings();
    assert!(findings.is_empty(), "{findings:?}");
    let pol = f.doc(&[], "POL-001");
    assert_eq!(
        (pol["state"].clone(), pol["version"].clone()),
        ("approved".into(), 1.into())
    );
    let waiting = by_tag(pol["approvals"].as_array().unwrap(), &tag);
    assert_eq!(
        (waiting["counts"].clone(), waiting["verified"].clone()),
        (false.into(), true.into())
    );
    assert!(
        waiting["reason"]
            .as_str()
            .unwrap()
            .contains("waiting for merge")
    );
    assert!(stdout(&f.aims(&["status"])).contains("approval pending merge"));

    // Merged: it counts.
    let home = tempfile::tempdir().unwrap();
    succeed(
        git_as(
            &f.repo,
            home.path(),
            "alice",
            "alice",
            "2026-02-03T10:00:00Z",
        )
        .args(["merge", "-q", "--no-ff", "-m", "merge", "change/POL-001"]),
    );
    let pol = f.doc(&[], "POL-001");
    assert_eq!(
        (pol["state"].clone(), pol["version"].clone()),
        ("approved".into(), 2.into()),
        "{pol:#}"
    );
}

#[test]
fn a_kind_change_is_approved_by_the_old_kinds_approvers() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let config = format!(
        "[aims]\norganisation = \"Test\"\n[roles]\ntop-management = [\"{DANA}\"]\n\
         ai-governance-lead = [\"{ALICE}\"]\nrecords = [\"{ERIN}\"]\n\
         [kinds.record]\napprovers = [\"records\"]\n{QUIET}"
    );
    let f = erin_fixture(&config, "");
    f.approve_by_hand(
        "dana",
        "POL-001",
        "aims/policy/ai.md",
        "top-management",
        "2026-01-13T09:00:00Z",
    );
    // The policy becomes a "record"; the records keeper approves it.
    let text = std::fs::read_to_string(f.repo.join("aims/policy/ai.md")).unwrap();
    write(
        &f,
        "aims/policy/ai.md",
        &text.replace("kind = \"policy\"", "kind = \"record\""),
    );
    f.commit("alice", "2026-02-01T10:00:00Z", "demote the policy");
    let erin = f.approve_by_hand(
        "erin",
        "POL-001",
        "aims/policy/ai.md",
        "records",
        "2026-02-02T09:00:00Z",
    );
    let pol = f.doc(&[], "POL-001");
    assert_eq!(
        (pol["state"].clone(), pol["version"].clone()),
        ("changed-since-approval".into(), 1.into()),
        "{pol:#}"
    );
    let reason = by_tag(pol["approvals"].as_array().unwrap(), &erin)["reason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(reason.contains("may not approve a policy"), "{reason}");
    assert!(has(
        &f.control_findings(),
        "CTL005",
        "may not approve a policy"
    ));
    // Top management approves the change; from then on it is a record.
    f.approve_by_hand(
        "dana",
        "POL-001",
        "aims/policy/ai.md",
        "top-management",
        "2026-02-03T09:00:00Z",
    );
    assert_eq!(f.doc(&[], "POL-001")["version"], 2);
    write(
        &f,
        "aims/policy/ai.md",
        &text
            .replace("kind = \"policy\"", "kind = \"record\"")
            .replace("First text.", "Filed."),
    );
    f.commit("alice", "2026-02-04T10:00:00Z", "record edit");
    f.approve_by_hand(
        "erin",
        "POL-001",
        "aims/policy/ai.md",
        "records",
        "2026-02-05T09:00:00Z",
    );
    let pol = f.doc(&[], "POL-001");
    assert_eq!(
        (pol["state"].clone(), pol["version"].clone()),
        ("approved".into(), 3.into()),
        "{pol:#}"
    );
}

#[test]
fn configuration_commands_stray_tags_and_wildcards() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = Fixture::approved();
    // init --force never overwrites the approved configuration.
    let before = std::fs::read_to_string(f.repo.join("aims.toml")).unwrap();
    let init = f.aims(&["init", "--force"]);
    assert_eq!(code(&init), 2, "{}", both(&init));
    assert!(
        both(&init).contains("would overwrite the approved configuration"),
        "{}",
        both(&init)
    );
    assert_eq!(
        std::fs::read_to_string(f.repo.join("aims.toml")).unwrap(),
        before
    );

    // Only the signers file changes: `aims approve aims.toml` approves it
    // (and seals), and `aims log aims.toml` shows the change.
    write(
        &f,
        ".aims/allowed_signers",
        &(std::fs::read_to_string(f.repo.join(".aims/allowed_signers")).unwrap()
            + &signers(&f, &[("*@acme.example", "mallory", "")])),
    );
    f.commit("alice", "2026-02-01T10:00:00Z", "a shared key");
    let approved = aims_as(
        &f,
        "dana",
        "dana",
        "2026-02-02T09:00:00Z",
        &["approve", "aims.toml"],
    );
    assert_eq!(code(&approved), 0, "{}", both(&approved));
    assert!(
        stdout(&approved).contains("Approved aims.toml as v2"),
        "{}",
        stdout(&approved)
    );
    assert!(
        stdout(&approved).contains("Sealed every approval record"),
        "{}",
        stdout(&approved)
    );
    let log = stdout(&f.aims(&["log", "aims.toml"]));
    assert!(
        log.lines()
            .any(|l| l.contains(".aims/allowed_signers") && l.contains("content of v2")),
        "{log}"
    );
    assert_eq!(f.doc(&[], "aims.toml")["version"], 2);
    // The wildcard is worth a finding; a stray approval tag too.
    f.tag(
        "dana",
        Some("dana"),
        "pol-001-approved",
        &claim(
            "POL-001",
            "aims/policy/ai.md",
            &f.blob("HEAD", "aims/policy/ai.md"),
            "top-management",
            "approved",
        ),
        "2026-02-03T09:00:00Z",
        "HEAD",
    );
    let findings = f.control_findings();
    assert!(has(&findings, "CTL012", "*@acme.example"), "{findings:?}");
    assert!(has(&findings, "CTL010", "pol-001-approved"), "{findings:?}");

    // Several documents at once, and --all-changed.
    edit_policy(&f.repo, "Second text.");
    write(&f, "aims/pro.md", &procedure("More steps."));
    f.commit("alice", "2026-02-04T10:00:00Z", "two edits");
    let both_out = aims_as(
        &f,
        "dana",
        "dana",
        "2026-02-05T09:00:00Z",
        &["approve", "--all-changed"],
    );
    assert_eq!(code(&both_out), 0, "{}", both(&both_out));
    for id in ["POL-001", "PRO-001"] {
        assert_eq!(f.doc(&[], id)["version"], 2, "{id}");
    }
    let nothing = aims_as(
        &f,
        "dana",
        "dana",
        "2026-02-05T09:30:00Z",
        &["approve", "--all-changed"],
    );
    assert_eq!(code(&nothing), 2);
    assert!(
        both(&nothing).contains("nothing to approve"),
        "{}",
        both(&nothing)
    );
    let role = aims_as(
        &f,
        "dana",
        "dana",
        "2026-02-05T09:30:00Z",
        &["approve", "POL-001", "--role", "nobody"],
    );
    assert_eq!(code(&role), 2);
    assert!(
        both(&role).contains("there is no role `nobody`"),
        "{}",
        both(&role)
    );
}

/// A seal message listing `ids`, as `aims seal` writes one.
fn seal_message(role: &str, ids: &[String]) -> String {
    let mut m = format!("Seal\n\nAims-Role: {role}\nAims-Decision: sealed\n");
    for id in ids {
        m.push_str(&format!("Aims-Sealed: {id}\n"));
    }
    m
}

/// Every tag object under refs/tags/aims/, but `except`.
fn tag_ids(f: &Fixture, except: &[&str]) -> Vec<String> {
    f.git(&[
        "for-each-ref",
        "--format=%(objectname) %(refname)",
        "refs/tags/aims/",
    ])
    .lines()
    .filter(|l| {
        !except
            .iter()
            .any(|e| l.ends_with(&format!("refs/tags/{e}")))
    })
    .map(|l| l.split(' ').next().unwrap().to_owned())
    .collect()
}

fn without_erin(f: &Fixture) {
    let text = std::fs::read_to_string(f.repo.join("aims.toml")).unwrap();
    write(
        f,
        "aims.toml",
        &text.replace(
            &format!("[\"{DANA}\", \"{ERIN}\"]"),
            &format!("[\"{DANA}\"]"),
        ),
    );
}

/// Dana and Erin in top management with valid keys, the configuration
/// approved (bootstrap, then this one) and POL-001 approved by Dana.
fn two_top_managers() -> Fixture {
    let config = CONFIG.replace("[rules]", "") + QUIET;
    let f = erin_fixture(&config, "");
    f.approve_by_hand(
        "dana",
        "POL-001",
        "aims/policy/ai.md",
        "top-management",
        "2026-01-13T09:00:00Z",
    );
    f
}

#[test]
fn content_the_tree_does_not_hold_is_not_in_force() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = Fixture::approved();
    // Mallory edits the approved policy, then merges a side commit that
    // restores the approved text with `-s ours` (keeping her edit).
    edit_policy(&f.repo, "Mallory's text.");
    f.commit("mallory", "2026-02-01T10:00:00Z", "edit");
    f.git(&["switch", "-q", "-c", "side"]);
    edit_policy(&f.repo, "First text.");
    f.commit("mallory", "2026-02-01T10:01:00Z", "restore");
    f.git(&["switch", "-q", "main"]);
    let home = tempfile::tempdir().unwrap();
    succeed(
        git_as(
            &f.repo,
            home.path(),
            "mallory",
            "mallory",
            "2026-02-01T10:02:00Z",
        )
        .args([
            "merge", "-q", "--no-ff", "-s", "ours", "-m", "merge", "side",
        ]),
    );
    assert_eq!(f.doc(&[], "POL-001")["state"], "changed-since-approval");
    // A copy of the approved text beside an unapproved edit: the id is
    // not in its approved state while any file carrying it differs.
    let g = Fixture::approved();
    std::fs::copy(
        g.repo.join("aims/policy/ai.md"),
        g.repo.join("aims/zz-copy.md"),
    )
    .unwrap();
    edit_policy(&g.repo, "Mallory's text.");
    g.commit("mallory", "2026-02-01T10:00:00Z", "edit and copy");
    assert_eq!(g.doc(&[], "POL-001")["state"], "changed-since-approval");
}

#[test]
fn a_back_dated_revert_or_a_bent_first_parent_line_does_not_restore_an_old_configuration() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = two_top_managers();
    let before = rev(&f, "HEAD");
    // June: Erin leaves, approved by Dana.
    without_erin(&f);
    f.commit("alice", "2026-06-01T10:00:00Z", "Erin leaves");
    f.approve_by_hand(
        "dana",
        "aims.toml",
        "aims.toml",
        "top-management",
        "2026-06-02T09:00:00Z",
    );
    let after = rev(&f, "HEAD");

    // Mallory: a merge whose first parent is older than Erin's removal,
    // dated in the future, so the removal "arrives" next year.
    f.git(&["switch", "-q", "-c", "side", &before]);
    write(&f, "notes.txt", "side\n");
    f.commit("mallory", "2026-11-22T08:00:00Z", "side");
    f.git(&["switch", "-q", "main"]);
    let home = tempfile::tempdir().unwrap();
    let tree = f.git(&["rev-parse", "main^{tree}"]);
    let merge = succeed(
        git_as(
            &f.repo,
            home.path(),
            "mallory",
            "mallory",
            "2027-06-01T00:00:00Z",
        )
        .args([
            "commit-tree",
            tree.trim(),
            "-p",
            "side",
            "-p",
            "main",
            "-m",
            "merge",
        ]),
    );
    f.git(&["update-ref", "refs/heads/main", stdout(&merge).trim()]);
    f.git(&["reset", "-q", "--hard"]);
    edit_policy(&f.repo, "Erin's text.");
    f.commit("mallory", "2026-11-22T10:00:00Z", "policy");
    let erin = f.approve_by_hand(
        "erin",
        "POL-001",
        "aims/policy/ai.md",
        "top-management",
        "2026-11-22T11:00:00Z",
    );
    let a = by_tag(&approvals(&f, &[], "POL-001"), &erin).clone();
    assert_eq!(a["counts"], false, "{a:#}");
    assert_eq!(f.doc(&[], "aims.toml")["state"], "approved");

    // Reverting the configuration to the one with Erin, back-dated: it
    // needs approving again.
    f.git(&["reset", "-q", "--hard", &after]);
    f.git(&["checkout", "-q", &before, "--", "aims.toml", ".aims"]);
    f.commit("erin", "2026-02-01T12:00:00Z", "tidy-up");
    edit_policy(&f.repo, "Erin's text, again.");
    f.commit("mallory", "2026-11-20T10:00:00Z", "policy");
    let erin = f.approve_by_hand(
        "erin",
        "POL-001",
        "aims/policy/ai.md",
        "top-management",
        "2026-11-20T11:00:00Z",
    );
    assert_eq!(f.doc(&[], "aims.toml")["state"], "changed-since-approval");
    assert_eq!(
        by_tag(&approvals(&f, &[], "POL-001"), &erin)["counts"],
        false
    );
    assert!(has(
        &f.control_findings(),
        "CTL007",
        "changed after its approval"
    ));
}

#[test]
fn a_leavers_back_dated_seal_or_configuration_cannot_undo_a_real_seal() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = two_top_managers();
    without_erin(&f);
    f.commit("alice", "2026-06-01T10:00:00Z", "Erin leaves");
    let approved = aims_as(
        &f,
        "dana",
        "dana",
        "2026-06-02T09:00:00Z",
        &["approve", "aims.toml"],
    );
    assert_eq!(code(&approved), 0, "{}", both(&approved));
    let dana_seal = f.git(&["tag", "--list", "aims/seal/*"]).trim().to_owned();

    // Erin, who kept her key, signs an empty seal dated inside her tenure.
    f.tag(
        "erin",
        Some("erin"),
        "aims/seal/erin",
        &seal_message("top-management", &[]),
        "2026-05-31T09:00:00Z",
        "HEAD",
    );
    let pol = f.doc(&[], "POL-001");
    assert_eq!(pol["state"], "approved", "{pol:#}");
    // She approves, back-dated, a configuration that revokes Dana's key and
    // makes Mallory top management; Mallory seals, leaving Dana's seal out.
    let text = std::fs::read_to_string(f.repo.join("aims.toml")).unwrap();
    write(
        &f,
        "aims.toml",
        &text
            .replace("[aims]\n", "[aims]\nrevoked-keys = \".aims/revoked\"\n")
            .replace(
                &format!("[\"{DANA}\"]"),
                &format!("[\"{DANA}\", \"mallory@acme.example\"]"),
            ),
    );
    write(&f, ".aims/revoked", &format!("{}\n", public(&f, "dana")));
    let signers = std::fs::read_to_string(f.repo.join(".aims/allowed_signers")).unwrap();
    write(
        &f,
        ".aims/allowed_signers",
        &(signers + &signers_line(&f, "mallory@acme.example", "mallory")),
    );
    f.commit("mallory", "2026-05-01T10:00:00Z", "tidy-up");
    f.tag(
        "erin",
        Some("erin"),
        "aims/config/erin",
        &config_claim(&f, "HEAD"),
        "2026-05-02T09:00:00Z",
        "HEAD",
    );
    let ids = tag_ids(&f, &[&dana_seal]);
    f.tag(
        "mallory",
        Some("mallory"),
        "aims/seal/mallory",
        &seal_message("top-management", &ids),
        "2026-11-22T09:00:00Z",
        "HEAD",
    );
    let pol = f.doc(&[], "POL-001");
    assert_eq!(pol["state"], "approved", "Dana's approvals stand: {pol:#}");
    let config = f.doc(&[], "aims.toml");
    assert_eq!(config["state"], "changed-since-approval");
    let erin = by_tag(config["approvals"].as_array().unwrap(), "aims/config/erin");
    assert!(
        erin["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("before seal {dana_seal}")),
        "{erin:#}"
    );
}

fn signers_line(f: &Fixture, email: &str, key: &str) -> String {
    signers(f, &[(email, key, "")])
}

#[test]
fn the_trust_root_survives_its_first_approvers_revocation_and_odd_files() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = two_top_managers();
    let erin = f.approve_by_hand(
        "erin",
        "PRO-001",
        "aims/pro.md",
        "top-management",
        "2026-02-01T09:00:00Z",
    );
    // Dana's key (which approved the first configuration) is compromised;
    // Erin approves the revocation.
    let text = std::fs::read_to_string(f.repo.join("aims.toml")).unwrap();
    write(
        &f,
        "aims.toml",
        &text.replace("[aims]\n", "[aims]\nrevoked-keys = \".aims/revoked\"\n"),
    );
    write(&f, ".aims/revoked", &format!("{}\n", public(&f, "dana")));
    f.commit("alice", "2026-03-01T10:00:00Z", "revoke Dana's key");
    f.tag(
        "erin",
        Some("erin"),
        "aims/config/revoke",
        &config_claim(&f, "HEAD"),
        "2026-03-02T09:00:00Z",
        "HEAD",
    );
    assert_eq!(f.doc(&[], "aims.toml")["state"], "approved");
    assert_eq!(
        by_tag(&approvals(&f, &[], "PRO-001"), &erin)["counts"],
        true
    );
    assert_eq!(f.doc(&[], "POL-001")["state"], "never-approved");

    // A trust file path that names a directory, for one commit: absent,
    // never fatal.
    let text = std::fs::read_to_string(f.repo.join("aims.toml")).unwrap();
    write(&f, "aims.toml", &text.replace(".aims/revoked", "aims"));
    f.commit("mallory", "2026-04-01T10:00:00Z", "odd");
    write(&f, "aims.toml", &text);
    f.commit("mallory", "2026-04-01T10:05:00Z", "back");
    let out = f.aims(&["status"]);
    assert_eq!(code(&out), 0, "{}", both(&out));
}

#[test]
fn gates_consult_the_approved_configuration_and_guard_merges() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = Fixture::approved();
    // A committed (unapproved) edit that stops protecting main does not
    // unprotect it for the next commit.
    let text = std::fs::read_to_string(f.repo.join("aims.toml")).unwrap();
    write(
        &f,
        "aims.toml",
        &text.replace("[aims]\n", "[aims]\nprotected-branches = []\n"),
    );
    f.commit("mallory", "2026-02-01T10:00:00Z", "unprotect");
    edit_policy(&f.repo, "Mallory's text.");
    f.git(&["add", "-A"]);
    let staged = f.aims(&["check", "--staged"]);
    assert_eq!(code(&staged), 1, "{}", both(&staged));
    assert!(both(&staged).contains("CTL009"));
    f.git(&["reset", "-q", "--hard"]);

    // A configuration change "approved" on a branch by a role that may
    // not approve the configuration is refused on main.
    f.git(&["switch", "-q", "-c", "change/config"]);
    let text = std::fs::read_to_string(f.repo.join("aims.toml")).unwrap();
    write(
        &f,
        "aims.toml",
        &text.replace(
            "[\"alice@acme.example\"]",
            "[\"alice@acme.example\", \"dana@acme.example\"]",
        ),
    );
    f.commit("mallory", "2026-02-02T10:00:00Z", "config");
    f.tag(
        "alice",
        Some("alice"),
        "aims/config/alice",
        &claim(
            "aims.toml",
            "aims.toml",
            &f.blob("HEAD", "aims.toml"),
            "ai-governance-lead",
            "approved",
        ),
        "2026-02-02T11:00:00Z",
        "HEAD",
    );
    f.git(&["switch", "-q", "main"]);
    f.git(&["checkout", "-q", "change/config", "--", "aims.toml"]);
    let staged = f.aims(&["check", "--staged"]);
    assert_eq!(code(&staged), 1, "{}", both(&staged));
    f.git(&["reset", "-q", "--hard"]);

    // A merge into main runs the pre-merge-commit hook.
    let installed = f.aims(&["hook", "install"]);
    assert_eq!(code(&installed), 0, "{}", both(&installed));
    assert!(f.repo.join(".git/hooks/pre-merge-commit").is_file());
    f.git(&["switch", "-q", "-c", "edit"]);
    edit_policy(&f.repo, "Unapproved text.");
    f.commit("mallory", "2026-02-03T10:00:00Z", "edit");
    f.git(&["switch", "-q", "main"]);
    write(&f, "notes.txt", "unrelated\n");
    f.commit("alice", "2026-02-03T10:30:00Z", "unrelated");
    let home = tempfile::tempdir().unwrap();
    let merged = git_as(
        &f.repo,
        home.path(),
        "mallory",
        "mallory",
        "2026-02-03T11:00:00Z",
    )
    .env("AIMS_BIN", env!("CARGO_BIN_EXE_aims"))
    .args(["merge", "--no-ff", "-m", "merge", "edit"])
    .output()
    .unwrap();
    assert!(!merged.status.success(), "{}", both(&merged));
    assert!(both(&merged).contains("CTL009"), "{}", both(&merged));

    // A blank anchor is an error, never "off".
    for blank in ["", " ", ","] {
        let out = f.aims(&["status", "--trust-anchor", blank]);
        assert_eq!(code(&out), 2, "{blank:?}");
    }
}

/// A reading from scratch looks for configuration changes only where the
/// revision walk saw the top-level entries holding today's trust files
/// change (aims.toml, `.aims/`). Trust files that once lay elsewhere
/// (`keys/signers`) are followed there too: Mallory's edit of the old
/// signers file, with no change to aims.toml, is a configuration version
/// of its own, with and without the cache.
#[test]
fn trust_files_kept_elsewhere_once_are_followed_there() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let f = Fixture::approved();
    let move_signers = |from: &str, to: &str, who: &str, date: &str| {
        std::fs::create_dir_all(f.repo.join(to).parent().unwrap()).unwrap();
        f.git(&["mv", from, to]);
        let config = std::fs::read_to_string(f.repo.join("aims.toml"))
            .unwrap()
            .replace(
                &format!("allowed-signers = \"{from}\""),
                &format!("allowed-signers = \"{to}\""),
            );
        write(&f, "aims.toml", &config);
        f.commit(who, date, &format!("signers to {to}"));
    };
    move_signers(
        ".aims/allowed_signers",
        "keys/signers",
        "alice",
        "2026-02-01T10:00:00Z",
    );
    let approved = aims_as(
        &f,
        "dana",
        "dana",
        "2026-02-02T09:00:00Z",
        &["approve", "aims.toml"],
    );
    assert_eq!(code(&approved), 0, "{}", both(&approved));
    // Mallory maps Dana's address to her own key in the old place.
    let text = std::fs::read_to_string(f.repo.join("keys/signers")).unwrap();
    write(
        &f,
        "keys/signers",
        &(text + &signers(&f, &[(DANA, "mallory", "")])),
    );
    f.commit("mallory", "2026-02-03T10:00:00Z", "one more key");
    move_signers(
        "keys/signers",
        ".aims/allowed_signers",
        "alice",
        "2026-02-04T10:00:00Z",
    );

    for extra in [&["--no-cache"][..], &[], &[]] {
        let log = stdout(&f.aims(&[&["log", "aims.toml"][..], extra].concat()));
        let mallory = log
            .lines()
            .find(|l| l.contains("mallory@acme.example"))
            .unwrap_or_else(|| panic!("Mallory's change is a version: {log}"));
        assert!(mallory.contains("keys/signers"), "{mallory}");
        let status = f.doc(extra, "aims.toml");
        assert_eq!(status["version"], 2, "{status:#}");
        assert_eq!(status["unapproved-changes"], 2, "{status:#}");
    }
}
