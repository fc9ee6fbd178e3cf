//! A small AIMS repository with real SSH keys for Dana and Erin (top
//! management), Alice (AI governance lead) and Mallory (nobody), committed
//! by Alice; approvals are made with plain `git tag -s`.

use std::path::{Path, PathBuf};
use std::process::Output;

use super::*;
use serde_json::Value;

pub const DANA: &str = "dana@acme.example";
pub const ALICE: &str = "alice@acme.example";
pub const ERIN: &str = "erin@acme.example";

pub struct Fixture {
    pub tmp: tempfile::TempDir,
    pub repo: PathBuf,
    pub keys: PathBuf,
}

pub fn policy(body: &str) -> String {
    format!(
        "+++\nid = \"POL-001\"\nkind = \"policy\"\ntitle = \"AI Policy\"\nowner = \"{DANA}\"\n+++\n# AI Policy\n\n{body}\n"
    )
}

pub fn procedure(body: &str) -> String {
    format!(
        "+++\nid = \"PRO-001\"\nkind = \"procedure\"\ntitle = \"Risk procedure\"\nowner = \"{ALICE}\"\n+++\n# Risk procedure\n\n{body}\n"
    )
}

pub const CONFIG: &str = "[aims]\norganisation = \"Test\"\nallowed-signers = \".aims/allowed_signers\"\n\
[roles]\ntop-management = [\"dana@acme.example\", \"erin@acme.example\"]\n\
ai-governance-lead = [\"alice@acme.example\"]\n\
[kinds.procedure]\napprovers = [\"ai-governance-lead\", \"top-management\"]\n";

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::with_config(CONFIG)
    }

    /// aims.toml, POL-001 and PRO-001 approved by Dana. The fixture's
    /// documents are short, so the rules about required fields and
    /// sections are turned off: these repositories test document control.
    pub fn approved() -> Fixture {
        let config = format!("{CONFIG}[rules]\nDOC005 = \"off\"\nDOC011 = \"off\"\n");
        let f = Fixture::with_config(&config);
        f.approve_by_hand(
            "dana",
            "aims.toml",
            "aims.toml",
            "top-management",
            "2026-01-12T09:00:00Z",
        );
        f.approve_by_hand(
            "dana",
            "POL-001",
            "aims/policy/ai.md",
            "top-management",
            "2026-01-13T09:00:00Z",
        );
        f.approve_by_hand(
            "dana",
            "PRO-001",
            "aims/pro.md",
            "top-management",
            "2026-01-13T09:05:00Z",
        );
        f
    }

    /// `git ARGS` in `dir` as Alice, returning the output whatever it is.
    pub fn git_try(dir: &Path, args: &[&str]) -> Output {
        let home = tempfile::tempdir().unwrap();
        git_as(dir, home.path(), "alice", "alice", "2026-02-01T10:00:00Z")
            .args(args)
            .output()
            .unwrap()
    }

    /// The fixture with another aims.toml.
    pub fn with_config(config: &str) -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        let keys = tmp.path().join("keys");
        std::fs::create_dir_all(repo.join("aims/policy")).unwrap();
        std::fs::create_dir_all(repo.join(".aims")).unwrap();
        std::fs::create_dir_all(&keys).unwrap();
        let (_, dana) = keygen(&keys, "dana");
        let (_, alice) = keygen(&keys, "alice");
        let (_, erin) = keygen(&keys, "erin");
        keygen(&keys, "mallory");
        std::fs::write(
            repo.join(".aims/allowed_signers"),
            format!(
                "{DANA} namespaces=\"git\" {dana}\n{ALICE} {alice}\n\
                 {ERIN} valid-before=\"20260101\" {erin}\n"
            ),
        )
        .unwrap();
        std::fs::write(repo.join("aims.toml"), config).unwrap();
        std::fs::write(repo.join("aims/policy/ai.md"), policy("First text.")).unwrap();
        std::fs::write(repo.join("aims/pro.md"), procedure("Steps.")).unwrap();
        let f = Fixture { tmp, repo, keys };
        f.git(&["init", "-q", "-b", "main"]);
        f.commit("alice", "2026-01-10T10:00:00Z", "initial AIMS");
        f
    }

    pub fn git(&self, args: &[&str]) -> String {
        git(&self.repo, args)
    }

    pub fn commit(&self, who: &str, date: &str, message: &str) {
        let home = tempfile::tempdir().unwrap();
        succeed(git_as(&self.repo, home.path(), who, who, date).args(["add", "-A"]));
        succeed(
            git_as(&self.repo, home.path(), who, who, date).args(["commit", "-q", "-m", message]),
        );
    }

    pub fn blob(&self, rev: &str, path: &str) -> String {
        self.git(&["rev-parse", &format!("{rev}:{path}")])
            .trim()
            .to_owned()
    }

    /// `git tag` by `who` at `date` on `target`: signed with `key` (SSH)
    /// when given, else an unsigned annotated tag.
    pub fn tag(
        &self,
        who: &str,
        key: Option<&str>,
        name: &str,
        message: &str,
        date: &str,
        target: &str,
    ) {
        let home = tempfile::tempdir().unwrap();
        let mut cmd = hermetic("git", home.path());
        cmd.current_dir(&self.repo)
            .env("GIT_COMMITTER_NAME", who)
            .env("GIT_COMMITTER_EMAIL", format!("{who}@acme.example"))
            .env("GIT_COMMITTER_DATE", date);
        match key {
            Some(key) => {
                cmd.args(["-c", "gpg.format=ssh", "-c"])
                    .arg(format!("user.signingkey={}", self.keys.join(key).display()))
                    .args(["tag", "-s", name, "-m", message, target]);
            }
            None => {
                cmd.args(["tag", "-a", name, "-m", message, target]);
            }
        }
        succeed(&mut cmd);
    }

    /// The documented approval format, signed by `who` with their own key.
    pub fn approve_by_hand(
        &self,
        who: &str,
        id: &str,
        path: &str,
        role: &str,
        date: &str,
    ) -> String {
        let blob = self.blob("HEAD", path);
        let name = format!("aims/{}/{who}-{}", id.to_lowercase(), &blob[..8]);
        self.tag(
            who,
            Some(who),
            &name,
            &claim(id, path, &blob, role, "approved"),
            date,
            "HEAD",
        );
        name
    }

    pub fn aims(&self, args: &[&str]) -> std::process::Output {
        run(&self.repo, args)
    }

    pub fn status(&self, extra: &[&str]) -> Value {
        let mut args = vec!["status", "--format", "json"];
        args.extend(extra);
        let out = self.aims(&args);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    pub fn doc(&self, extra: &[&str], id: &str) -> Value {
        let status = self.status(extra);
        status["documents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {status:#}"))
            .clone()
    }

    /// The CTL findings, as (code, message).
    pub fn control_findings(&self) -> Vec<(String, String)> {
        let (_, json) = check_json(&self.repo);
        findings_of(&json, "CTL")
            .iter()
            .map(|f| {
                (
                    f["code"].as_str().unwrap().to_owned(),
                    f["message"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }
}

pub fn claim(id: &str, path: &str, blob: &str, role: &str, decision: &str) -> String {
    format!(
        "Approve {id}\n\nAims-Document: {id}\nAims-Path: {path}\nAims-Blob: {blob}\nAims-Role: {role}\nAims-Decision: {decision}"
    )
}

pub fn has(findings: &[(String, String)], code: &str, needle: &str) -> bool {
    findings
        .iter()
        .any(|(c, m)| c == code && m.contains(needle))
}

/// Stdout and stderr, with diagnostics' wrapping and frames undone.
pub fn both(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
        .split_whitespace()
        .filter(|w| !matches!(*w, "│" | "×"))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn edit_policy(dir: &Path, body: &str) {
    std::fs::write(dir.join("aims/policy/ai.md"), policy(body)).unwrap();
}
