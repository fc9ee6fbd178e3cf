//! `aims export` and `aims verify-export`: the evidence package built from
//! real git repositories with SSH-signed approvals, checked file by file,
//! link by link, byte by byte, and in headless Chromium.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

const POLICY: &str = "aims/policy/ai-policy.md";
const NEW_TEXT: &str = "We review every model card before each release.";

/// `aims export` in `dir` with `args`; panics unless it exits `expect`.
fn export(dir: &Path, args: &[&str], expect: i32) -> std::process::Output {
    let mut all = vec!["export"];
    all.extend(args);
    let out = run(dir, &all);
    assert_eq!(
        code(&out),
        expect,
        "aims {all:?}\nstdout: {}\nstderr: {}",
        stdout(&out),
        stderr(&out)
    );
    out
}

fn verify(dir: &Path, package: &Path) -> (i32, String) {
    let out = run(dir, &["verify-export", package.to_str().unwrap()]);
    (code(&out), format!("{}{}", stdout(&out), stderr(&out)))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn manifest(package: &Path) -> Value {
    serde_json::from_str(&read(&package.join("manifest.json"))).unwrap()
}

/// Every file in the package, as `/`-separated paths.
fn files(package: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![package.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(package).unwrap();
                out.insert(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out
}

/// Signs `aims/pol-001/v2` as Marco (top management) for the policy's
/// content at HEAD, with the fixture's own key for him.
fn approve_policy_v2(dir: &Path, date: &str) {
    let blob = git(dir, &["rev-parse", &format!("HEAD:{POLICY}")]);
    let message = format!(
        "Approve POL-001\n\nAims-Document: POL-001\nAims-Path: {POLICY}\nAims-Blob: {}\n\
         Aims-Role: top-management\nAims-Decision: approved\n",
        blob.trim()
    );
    let key = dir.join(".git/aims-fixture-keys/marco");
    let home = tempfile::tempdir().unwrap();
    succeed(
        hermetic("git", home.path())
            .current_dir(dir)
            .env("GIT_COMMITTER_NAME", "Marco Silva")
            .env("GIT_COMMITTER_EMAIL", "marco.silva@northwind.example")
            .env("GIT_COMMITTER_DATE", date)
            .args(["-c", "gpg.format=ssh", "-c"])
            .arg(format!("user.signingkey={}", key.display()))
            .args(["tag", "-s", "aims/pol-001/v2", "-m", &message, "HEAD"]),
    );
}

/// Every `href`/`src` in every page, resolved: it must name a file of the
/// package (and, with a fragment, an element with that id).
fn assert_links_resolve(package: &Path) {
    let attr = regex::Regex::new(r#"(?:href|src)="([^"]*)""#).unwrap();
    let all = files(package);
    let mut checked = 0;
    for page in all.iter().filter(|f| f.ends_with(".html")) {
        let html = read(&package.join(page));
        assert!(!html.contains("<script"), "{page} has a script");
        assert!(!html.contains("<img"), "{page} has an image");
        for cap in attr.captures_iter(&html) {
            let href = cap[1].replace("&amp;", "&");
            assert!(
                !href.contains("://") && !href.starts_with("//") && !href.starts_with('/'),
                "{page}: {href} leaves the package"
            );
            let (path, fragment) = match href.split_once('#') {
                Some((p, f)) => (p.to_owned(), Some(f.to_owned())),
                None => (href.clone(), None),
            };
            let target = if path.is_empty() {
                page.clone()
            } else {
                let mut parts: Vec<&str> = page.split('/').collect();
                parts.pop();
                for c in path.split('/') {
                    match c {
                        ".." => assert!(parts.pop().is_some(), "{page}: {href} leaves the package"),
                        "." | "" => {}
                        c => parts.push(c),
                    }
                }
                parts.join("/")
            };
            assert!(
                all.contains(&target),
                "{page}: {href} → {target} is not in the package"
            );
            if let Some(f) = fragment {
                let html = read(&package.join(&target));
                assert!(
                    html.contains(&format!("id=\"{f}\"")),
                    "{page}: {href}: no id {f} in {target}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} links");
}

/// Flips one byte of `path` and returns what it was.
fn tamper(path: &Path) -> Vec<u8> {
    let before = std::fs::read(path).unwrap();
    let mut after = before.clone();
    let i = after.len() / 2;
    after[i] ^= 0x01;
    std::fs::write(path, &after).unwrap();
    before
}

#[test]
fn the_package_is_complete_and_verify_export_catches_any_change() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let (tmp, dir) = repo("well-kept", true);
    let ev = tmp.path().join("ev");
    let zip = tmp.path().join("ev.zip");
    let out = export(
        &dir,
        &["--out", "../ev", "--as-of", TODAY, "--zip", "../ev.zip"],
        0,
    );
    assert!(
        stdout(&out).contains("69 controlled documents"),
        "{}",
        stdout(&out)
    );
    // Not a terminal: no progress on standard error.
    assert!(
        !stderr(&out).contains("exporting documents"),
        "{}",
        stderr(&out)
    );

    let all = files(&ev);
    for f in [
        "index.html",
        "style.css",
        "register.html",
        "register.csv",
        "register.json",
        "soa.html",
        "audit.html",
        "audit.json",
        "approvals/index.html",
        "approvals/allowed_signers",
        "approvals/aims_pol-001_v1.tag",
        "approvals/aims_pol-001_v1.payload",
        "approvals/aims_pol-001_v1.sig",
        "documents/POL-001/index.html",
        "documents/POL-001/in-force.md",
        "documents/POL-001/history.html",
        "documents/aims.toml/in-force.toml",
        "manifest.json",
        "manifest.sha256",
    ] {
        assert!(all.contains(f), "{f} missing from {all:#?}");
    }
    // Every controlled document has its pages and its approved source.
    let register: Value = serde_json::from_str(&read(&ev.join("register.json"))).unwrap();
    let documents = register["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 69);
    for d in documents {
        let id = d["id"].as_str().unwrap();
        let ext = if id == "aims.toml" { "toml" } else { "md" };
        for f in ["index.html", "history.html", &format!("in-force.{ext}")] {
            assert!(all.contains(&format!("documents/{id}/{f}")), "{id}/{f}");
        }
        assert!(
            !all.contains(&format!("documents/{id}/working.{ext}")),
            "{id}: all approved"
        );
    }
    assert_eq!(
        read(&ev.join("documents/POL-001/in-force.md")),
        read(&dir.join(POLICY))
    );

    // The manifest: the commit, the day, the tool, and every file.
    let m = manifest(&ev);
    assert_eq!(m["schema"], "aims.export/v1");
    assert_eq!(m["commit"], git(&dir, &["rev-parse", "HEAD"]).trim());
    assert_eq!(m["as-of"], TODAY);
    assert_eq!(m["tool"]["version"], env!("CARGO_PKG_VERSION"));
    let listed: BTreeSet<String> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    let mut expected = all.clone();
    expected.remove("manifest.json");
    expected.remove("manifest.sha256");
    assert_eq!(listed, expected);
    let tag_id = git(&dir, &["rev-parse", "refs/tags/aims/pol-001/v1"]);
    assert_eq!(m["references"]["tags"]["aims/pol-001/v1"], tag_id.trim());
    // `sha256sum -c` agrees with the manifest's own hash line.
    let sums = std::process::Command::new("sha256sum")
        .current_dir(&ev)
        .args(["-c", "manifest.sha256"])
        .output()
        .unwrap();
    assert!(sums.status.success(), "{}", stdout(&sums));

    // The register: who approved, verified, with tag and commit.
    let csv = read(&ev.join("register.csv"));
    let pol = csv.lines().find(|l| l.starts_with("POL-001,")).unwrap();
    assert!(
        pol.contains("marco.silva@northwind.example,top-management,2026-01-23,approved,yes,yes,1,aims/pol-001/v1"),
        "{pol}"
    );
    let page = read(&ev.join("documents/POL-001/index.html"));
    assert!(page.contains("In force: v1"), "{page}");
    assert!(page.contains("marco.silva@northwind.example"));
    assert!(page.contains("<table class=\"meta\">"), "frontmatter table");
    assert!(page.contains("<h2>Commitments</h2>"), "rendered Markdown");

    // The approval record is the tag as git stores it, and re-verifies
    // with plain ssh-keygen against the exported keys, outside the repository.
    let raw = std::fs::read(ev.join("approvals/aims_pol-001_v1.tag")).unwrap();
    let cat = succeed(std::process::Command::new("git").current_dir(&dir).args([
        "cat-file",
        "tag",
        "aims/pol-001/v1",
    ]));
    assert_eq!(raw, cat.stdout);
    let approvals = read(&ev.join("approvals/index.html"));
    let fingerprint = register["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "POL-001")
        .unwrap()["approvals"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(fingerprint.starts_with("SHA256:") && approvals.contains(&fingerprint));
    let payload = std::fs::File::open(ev.join("approvals/aims_pol-001_v1.payload")).unwrap();
    let ssh = std::process::Command::new("ssh-keygen")
        .current_dir(ev.join("approvals"))
        .args([
            "-Y",
            "verify",
            "-f",
            "allowed_signers",
            "-I",
            "marco.silva@northwind.example",
            "-n",
            "git",
            "-s",
            "aims_pol-001_v1.sig",
        ])
        .stdin(payload)
        .output()
        .unwrap();
    assert!(ssh.status.success(), "{}{}", stdout(&ssh), stderr(&ssh));
    assert!(
        stdout(&ssh).contains("Good \"git\" signature"),
        "{}",
        stdout(&ssh)
    );
    // The command the page gives for this record, run as printed.
    let pattern = r"<pre>(ssh-keygen -Y verify [^<]*-s aims_pol-001_v1\.sig &lt; aims_pol-001_v1\.payload)</pre>";
    let command = regex::Regex::new(pattern)
        .unwrap()
        .captures(&approvals)
        .unwrap_or_else(|| panic!("no ssh-keygen command for aims/pol-001/v1"))[1]
        .replace("&lt;", "<");
    assert!(
        command.contains("-I marco.silva@northwind.example")
            && command.contains("verify-time=20260123"),
        "{command}"
    );
    let ssh = std::process::Command::new("sh")
        .current_dir(ev.join("approvals"))
        .args(["-c", &command])
        .output()
        .unwrap();
    assert!(
        ssh.status.success(),
        "{command}: {}{}",
        stdout(&ssh),
        stderr(&ssh)
    );

    assert_links_resolve(&ev);

    // Verified as exported, in the repository and outside it.
    let (rc, text) = verify(&dir, &ev);
    assert_eq!(rc, 0, "{text}");
    assert!(
        text.contains("every commit and approval tag it names is in the repository"),
        "{text}"
    );
    let (rc, text) = verify(tmp.path(), &ev);
    assert_eq!(rc, 0, "{text}");
    assert!(text.contains("not inside a git repository"), "{text}");

    // One byte changed in any kind of file: exit 1, naming it.
    for f in [
        "index.html",
        "style.css",
        "register.csv",
        "register.json",
        "audit.json",
        "approvals/aims_pol-001_v1.tag",
        "approvals/allowed_signers",
        "documents/POL-001/in-force.md",
        "documents/SOA-001/history.html",
        "manifest.json",
        "manifest.sha256",
    ] {
        let path = ev.join(f);
        let before = tamper(&path);
        let (rc, text) = verify(&dir, &ev);
        assert_eq!(rc, 1, "{f}: {text}");
        let named = text
            .lines()
            .any(|l| l.starts_with("FAIL ") && l.contains(f));
        assert!(named, "{f}: {text}");
        std::fs::write(&path, before).unwrap();
    }
    // Missing and extra files.
    let gone = ev.join("documents/RSK-001/in-force.md");
    let kept = std::fs::read(&gone).unwrap();
    std::fs::remove_file(&gone).unwrap();
    std::fs::write(ev.join("documents/POL-001/note.txt"), "added later").unwrap();
    let (rc, text) = verify(&dir, &ev);
    assert_eq!(rc, 1, "{text}");
    assert!(
        text.contains("FAIL documents/RSK-001/in-force.md: missing"),
        "{text}"
    );
    assert!(
        text.contains("FAIL documents/POL-001/note.txt: extra"),
        "{text}"
    );
    std::fs::write(&gone, &kept).unwrap();
    std::fs::remove_file(ev.join("documents/POL-001/note.txt")).unwrap();
    assert_eq!(verify(&dir, &ev).0, 0);
    // A symlink is not the file, even to the same bytes.
    #[cfg(unix)]
    {
        let copy = tmp.path().join("copy.md");
        std::fs::write(&copy, &kept).unwrap();
        std::fs::remove_file(&gone).unwrap();
        std::os::unix::fs::symlink(&copy, &gone).unwrap();
        let (rc, text) = verify(&dir, &ev);
        assert_eq!(rc, 1, "{text}");
        assert!(
            text.contains("FAIL documents/RSK-001/in-force.md: not a regular file"),
            "{text}"
        );
        std::fs::remove_file(&gone).unwrap();
        std::fs::write(&gone, &kept).unwrap();
    }

    // The zip holds the same package under one folder.
    let (rc, text) = verify(&dir, &zip);
    assert_eq!(rc, 0, "{text}");
    let altered = tmp.path().join("altered.zip");
    rewrite_zip(&zip, &altered, "ev/register.csv");
    let (rc, text) = verify(&dir, &altered);
    assert_eq!(rc, 1, "{text}");
    assert!(text.contains("FAIL register.csv: altered"), "{text}");
}

/// Copies a zip, changing one byte of the entry `name`.
fn rewrite_zip(from: &Path, to: &Path, name: &str) {
    let mut src = zip::ZipArchive::new(std::fs::File::open(from).unwrap()).unwrap();
    let mut dst = zip::ZipWriter::new(std::fs::File::create(to).unwrap());
    let mut seen = false;
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        let entry = f.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        if entry == name {
            bytes[0] ^= 0x01;
            seen = true;
        }
        dst.start_file(entry, zip::write::SimpleFileOptions::default())
            .unwrap();
        dst.write_all(&bytes).unwrap();
    }
    dst.finish().unwrap();
    assert!(seen, "{name} not in the zip");
}

#[test]
fn as_of_before_a_later_approval_shows_the_earlier_version_in_force() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let (tmp, dir) = repo("well-kept", true);
    let v1 = read(&dir.join(POLICY));
    commit_change(
        &dir,
        "alice.moreau@northwind.example",
        POLICY,
        |t| t + "\n" + NEW_TEXT + "\n",
        "2026-11-20T10:00:00Z",
    );
    approve_policy_v2(&dir, "2026-11-22T09:00:00Z");

    // 2026-11-21: changed and committed, not yet approved.
    let before = tmp.path().join("before");
    export(
        &dir,
        &["--out", before.to_str().unwrap(), "--as-of", "2026-11-21"],
        0,
    );
    let pol = before.join("documents/POL-001");
    assert_eq!(read(&pol.join("in-force.md")), v1);
    assert!(read(&pol.join("working.md")).contains(NEW_TEXT));
    let page = read(&pol.join("index.html"));
    assert!(page.contains("In force: v1"), "{page}");
    assert!(
        page.contains("Unapproved change:</b> 1 change(s) after v1"),
        "{page}"
    );
    let content = page.split("<h2>Content</h2>").nth(1).unwrap();
    assert!(
        !content.contains(NEW_TEXT),
        "the unapproved text is not shown as in force"
    );
    assert!(read(&pol.join("unapproved-changes.html")).contains("<ins>"));
    assert!(!pol.join("redline-v1-v2.html").exists());
    assert!(!read(&before.join("approvals/index.html")).contains("aims/pol-001/v2"));
    assert_eq!(verify(&dir, &before).0, 0);

    // 2026-11-23: v2 approved and in force; the redline shows the change.
    let after = tmp.path().join("after");
    export(
        &dir,
        &["--out", after.to_str().unwrap(), "--as-of", TODAY],
        0,
    );
    let pol = after.join("documents/POL-001");
    assert!(read(&pol.join("in-force.md")).contains(NEW_TEXT));
    assert!(!pol.join("working.md").exists());
    assert!(read(&pol.join("index.html")).contains("In force: v2"));
    let redline = read(&pol.join("redline-v1-v2.html"));
    assert!(
        redline.contains(&format!("<ins>{NEW_TEXT}</ins>")) || redline.contains(NEW_TEXT),
        "{redline}"
    );
    let history = read(&pol.join("history.html"));
    assert!(
        history.contains("redline-v1-v2.html") && history.contains("becomes v2"),
        "{history}"
    );
    assert_links_resolve(&after);
    assert_eq!(verify(&dir, &after).0, 0);

    // History rewritten: the approved commit and its tag are gone.
    let v2_commit = git(&dir, &["rev-parse", "HEAD"]);
    git(&dir, &["tag", "-d", "aims/pol-001/v2"]);
    git(&dir, &["reset", "-q", "--hard", "HEAD~1"]);
    git(&dir, &["reflog", "expire", "--expire=now", "--all"]);
    git(&dir, &["gc", "-q", "--prune=now"]);
    let (rc, text) = verify(&dir, &after);
    assert_eq!(rc, 1, "{text}");
    assert!(
        text.contains(&format!(
            "commit {} is not in this repository",
            v2_commit.trim()
        )),
        "{text}"
    );
    assert!(
        text.contains("tag aims/pol-001/v2 no longer exists"),
        "{text}"
    );
}

#[test]
fn an_unapproved_working_change_is_flagged_never_passed_off_as_approved() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let (tmp, dir) = repo("well-kept", true);
    let approved = read(&dir.join(POLICY));
    std::fs::write(dir.join(POLICY), format!("{approved}\n{NEW_TEXT}\n")).unwrap();
    // A new draft, never approved, with an id that would escape the folder.
    std::fs::write(
        dir.join("aims/policy/draft.md"),
        "+++\nid = \"../../escape\"\nkind = \"policy\"\ntitle = \"Draft\"\nowner = \"alice.moreau@northwind.example\"\n+++\n# Draft\n\nNot yet.\n",
    )
    .unwrap();
    // A forged tag object whose `object` line is markup, not an id.
    let forged = "object <img src=x>\u{e9}\u{e9}aaaa\ntype commit\ntag aims/pol-001/forged\n\
                  tagger Eve <eve@evil.example> 1790000000 +0000\n\nApprove POL-001\n\n\
                  Aims-Document: POL-001\nAims-Path: aims/policy/ai-policy.md\nAims-Blob: 0000\n\
                  Aims-Role: top-management\nAims-Decision: approved\n";
    let file = tmp.path().join("forged");
    std::fs::write(&file, forged).unwrap();
    let oid = git(
        &dir,
        &[
            "hash-object",
            "-t",
            "tag",
            "--literally",
            "-w",
            file.to_str().unwrap(),
        ],
    );
    // update-ref would refuse it; a loose ref file is what a fetch could bring.
    let reference = dir.join(".git/refs/tags/aims/pol-001/forged");
    std::fs::create_dir_all(reference.parent().unwrap()).unwrap();
    std::fs::write(&reference, oid).unwrap();

    let ev = tmp.path().join("ev");
    export(&dir, &["--out", ev.to_str().unwrap()], 0);
    let approvals = read(&ev.join("approvals/index.html"));
    assert!(
        approvals.contains("aims/pol-001/forged"),
        "the forged tag is listed"
    );
    assert!(approvals.contains("refused"), "and refused");
    assert!(
        !approvals.contains("<img") && approvals.contains("&lt;img"),
        "escaped"
    );

    let pol = ev.join("documents/POL-001");
    assert_eq!(read(&pol.join("in-force.md")), approved);
    assert!(read(&pol.join("working.md")).contains(NEW_TEXT));
    let page = read(&pol.join("index.html"));
    assert!(page.contains("In force: v1"), "{page}");
    assert!(page.contains("one of them uncommitted"), "{page}");
    assert!(
        !page
            .split("<h2>Content</h2>")
            .nth(1)
            .unwrap()
            .contains(NEW_TEXT)
    );
    let m = manifest(&ev);
    assert_eq!(m["working-tree"], true);
    assert_eq!(
        m["uncommitted"],
        serde_json::json!(["aims/policy/ai-policy.md", "aims/policy/draft.md"])
    );

    // The draft: inside the package, never approved, labelled as a draft.
    let all = files(&ev);
    let draft: Vec<&String> = all.iter().filter(|f| f.contains("escape")).collect();
    assert!(!draft.is_empty(), "{all:#?}");
    for f in &draft {
        assert!(f.starts_with("documents/_._.._escape/"), "{f}");
    }
    assert!(!tmp.path().join("escape").exists());
    let page = read(&ev.join("documents/_._.._escape/index.html"));
    assert!(
        page.contains("Never approved: no version of ../../escape is in force"),
        "{page}"
    );
    assert!(page.contains("article class=\"document draft\""));
    assert!(!all.contains("documents/_._.._escape/in-force.md"));
    assert_links_resolve(&ev);
    assert_eq!(verify(&dir, &ev).0, 0);
}

#[test]
fn the_destination_is_new_or_empty_and_replaced_only_with_force() {
    let (tmp, dir) = repo("well-kept", false);
    let ev = tmp.path().join("ev");
    std::fs::create_dir(&ev).unwrap();
    std::fs::write(ev.join("notes.txt"), "mine").unwrap();
    let out = export(&dir, &["--out", ev.to_str().unwrap()], 2);
    assert!(stderr(&out).contains("is not empty"), "{}", stderr(&out));
    assert_eq!(read(&ev.join("notes.txt")), "mine");

    // An empty folder is fine; a second export needs --force.
    std::fs::remove_file(ev.join("notes.txt")).unwrap();
    export(&dir, &["--out", ev.to_str().unwrap()], 0);
    export(&dir, &["--out", ev.to_str().unwrap()], 2);
    export(&dir, &["--out", ev.to_str().unwrap(), "--force"], 0);
    assert_eq!(verify(&dir, &ev).0, 0);

    // --force replaces an evidence package, nothing else.
    let mine = tmp.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("thesis.docx"), "years of work").unwrap();
    let out = export(&dir, &["--out", mine.to_str().unwrap(), "--force"], 2);
    assert!(
        stderr(&out).contains("holds no evidence package"),
        "{}",
        stderr(&out)
    );
    assert_eq!(read(&mine.join("thesis.docx")), "years of work");
    let out = export(&dir, &["--out", "ev3", "--zip", "aims.toml", "--force"], 2);
    assert!(
        stderr(&out).contains("not an evidence package zip"),
        "{}",
        stderr(&out)
    );
    assert!(read(&dir.join("aims.toml")).contains("[roles]"));
    let out = export(&dir, &["--out", ".git/ev", "--force"], 2);
    assert!(stderr(&out).contains(".git"), "{}", stderr(&out));

    // A manifest edited to hold text where an id belongs: reported, no crash.
    let m = read(&ev.join("manifest.json"));
    let commit = manifest(&ev)["commit"].as_str().unwrap().to_owned();
    std::fs::write(
        ev.join("manifest.json"),
        m.replace(
            &commit,
            "a\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}",
        ),
    )
    .unwrap();
    let (rc, text) = verify(&dir, &ev);
    assert_eq!(rc, 1, "{text}");
    assert!(text.contains("FAIL manifest.json"), "{text}");
    std::fs::write(ev.join("manifest.json"), m).unwrap();

    // The zip does not go inside the package.
    let out = export(&dir, &["--out", "../ev2", "--zip", "../ev2/ev2.zip"], 2);
    assert!(
        stderr(&out).contains("inside the package folder"),
        "{}",
        stderr(&out)
    );
    assert!(!tmp.path().join("ev2").exists());
    // Never the repository, a folder holding it, or the documents' own globs.
    for bad in [".", "..", "aims/evidence", "aims/x/../evidence"] {
        let out = export(&dir, &["--out", bad, "--force"], 2);
        assert!(!stderr(&out).is_empty());
    }
    assert!(dir.join("aims.toml").exists() && !dir.join("aims/evidence").exists());
    // Nothing half-written is left behind.
    let leftovers: Vec<PathBuf> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".aims-export")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Never approved, so nothing is in force, and the package says so.
    let page = read(&ev.join("documents/POL-001/index.html"));
    assert!(page.contains("Never approved"), "{page}");
    assert!(!ev.join("documents/POL-001/in-force.md").exists());
}

#[test]
fn the_package_renders_in_headless_chromium() {
    if !have_tools(&["ssh-keygen", "chromium"]) {
        return;
    }
    let (tmp, dir) = repo("well-kept", true);
    let ev = tmp.path().join("ev");
    export(&dir, &["--out", ev.to_str().unwrap(), "--as-of", TODAY], 0);
    for (page, expect) in [
        ("index.html", "Northwind Lending Ltd."),
        ("documents/POL-001/index.html", "In force: v1"),
    ] {
        let url = format!("file://{}", ev.join(page).display());
        let shot = tmp.path().join(format!("{}.png", page.replace('/', "_")));
        let profile = tempfile::tempdir().unwrap();
        let chromium = |extra: &[String]| {
            std::process::Command::new("timeout")
                .arg("120")
                .arg("chromium")
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--window-size=1200,1500",
                ])
                .arg(format!("--user-data-dir={}", profile.path().display()))
                .args(extra)
                .arg(&url)
                .output()
                .unwrap()
        };
        let out = chromium(&[format!("--screenshot={}", shot.display())]);
        assert!(out.status.success(), "{}", stderr(&out));
        let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("{page}: no screenshot: {e}"));
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{page}: not a PNG");
        assert!(
            png.len() > 20_000,
            "{page}: {} bytes, a blank page?",
            png.len()
        );
        // The DOM Chromium built holds the page's own content.
        let dom = chromium(&["--dump-dom".to_owned()]);
        assert!(stdout(&dom).contains(expect), "{page}: {}", stdout(&dom));
    }
}

/// `aims ARGS` in `dir` as `who` (name, email), signing with `key` (SSH).
fn aims_as(dir: &Path, who: (&str, &str), key: &Path, args: &[&str]) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    aims(home.path())
        .current_dir(dir)
        .env("GIT_COMMITTER_NAME", who.0)
        .env("GIT_COMMITTER_EMAIL", who.1)
        .env("GIT_CONFIG_COUNT", "2")
        .env("GIT_CONFIG_KEY_0", "gpg.format")
        .env("GIT_CONFIG_VALUE_0", "ssh")
        .env("GIT_CONFIG_KEY_1", "user.signingkey")
        .env("GIT_CONFIG_VALUE_1", key)
        .args(args)
        .output()
        .unwrap()
}

/// Rewrites a package the way a careful forger would: `file` gets
/// `content`, `edit` changes the manifest as it likes, and the manifest's
/// hashes and `manifest.sha256` are made to agree.
fn forge(package: &Path, file: &str, content: &[u8], edit: impl FnOnce(&mut Value)) {
    use sha2::{Digest, Sha256};
    std::fs::write(package.join(file), content).unwrap();
    let mut m = manifest(package);
    edit(&mut m);
    let hex = |b: &[u8]| aims::history::hex(&Sha256::digest(b));
    for f in m["files"].as_array_mut().unwrap() {
        if f["path"] == file {
            f["sha256"] = hex(content).into();
            f["size"] = content.len().into();
        }
    }
    let json = format!("{}\n", serde_json::to_string_pretty(&m).unwrap());
    std::fs::write(package.join("manifest.json"), &json).unwrap();
    std::fs::write(
        package.join("manifest.sha256"),
        format!("{}  manifest.json\n", hex(json.as_bytes())),
    )
    .unwrap();
}

#[test]
fn a_signed_export_names_its_signer_and_a_rewritten_manifest_is_refused_both_ways() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let (tmp, dir) = repo("well-kept", true);
    let keys = dir.join(".git/aims-fixture-keys");
    let dana = ("Dana Whitfield", "dana.whitfield@northwind.example");
    let out = aims_as(
        &dir,
        dana,
        &keys.join("dana"),
        &["export", "--out", "../ev", "--sign"],
    );
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("signed by dana.whitfield@northwind.example"),
        "{}",
        stdout(&out)
    );
    let ev = tmp.path().join("ev");
    assert!(ev.join("manifest.json.sig").exists());
    let m = manifest(&ev);
    assert_eq!(m["signature"]["signer"], dana.1);
    assert_eq!(m["signature"]["format"], "ssh");
    assert_eq!(
        m["references"]["in-force"].as_array().unwrap().len(),
        files(&ev)
            .iter()
            .filter(|f| f.contains("/in-force."))
            .count()
    );

    // ssh-keygen agrees, by hand, as the package's README would tell an auditor.
    let home = tempfile::tempdir().unwrap();
    let by_hand = hermetic("ssh-keygen", home.path())
        .args(["-Y", "verify", "-f"])
        .arg(dir.join(".aims/allowed_signers"))
        .args(["-I", dana.1, "-n", "file", "-s"])
        .arg(ev.join("manifest.json.sig"))
        .stdin(std::fs::File::open(ev.join("manifest.json")).unwrap())
        .output()
        .unwrap();
    assert!(
        by_hand.status.success(),
        "{}",
        String::from_utf8_lossy(&by_hand.stderr)
    );

    // Inside the repository: judged by the trust root; who and when.
    let (rc, text) = verify(&dir, &ev);
    assert_eq!(rc, 0, "{text}");
    assert!(
        text.contains("signed by dana.whitfield@northwind.example at 20")
            && text.contains("SHA256:")
            && text.contains("trust root"),
        "{text}"
    );
    assert!(
        text.contains("in-force documents are the content their approvals approved"),
        "{text}"
    );

    // Outside it: only with signers given.
    let away = tempfile::tempdir().unwrap();
    let (rc, text) = verify(away.path(), &ev);
    assert_eq!(rc, 1, "{text}");
    assert!(text.contains("--allowed-signers"), "{text}");
    let signers = dir.join(".aims/allowed_signers");
    let signers = signers.to_str().unwrap();
    let outside = |package: &Path, extra: &[&str]| {
        let mut args = vec![
            "verify-export",
            package.to_str().unwrap(),
            "--allowed-signers",
            signers,
        ];
        args.extend(extra);
        let out = run(away.path(), &args);
        (code(&out), format!("{}{}", stdout(&out), stderr(&out)))
    };
    let (rc, text) = outside(&ev, &[]);
    assert_eq!(rc, 0, "{text}");
    assert!(
        text.contains("signed by dana.whitfield@northwind.example"),
        "{text}"
    );

    // A forger softens the policy in force and makes the manifest agree.
    let softened = b"+++\nid = \"POL-001\"\n+++\n# AI policy\n\nAnything goes.\n";
    let forged = tmp.path().join("forged");
    copy_dir(&ev, &forged);
    const IN_FORCE: &str = "documents/POL-001/in-force.md";
    forge(&forged, IN_FORCE, softened, |_| {});
    // 1. Signed: the signature no longer matches, wherever it is checked.
    let (rc, text) = outside(&forged, &[]);
    assert_eq!(rc, 1, "{text}");
    assert!(
        text.contains("manifest.json.sig: the signature does not count")
            && text.contains("tampered or forged"),
        "{text}"
    );
    // 2. Signature stripped: outside, only --require-signature catches it;
    // inside, the in-force content is checked against git.
    std::fs::remove_file(forged.join("manifest.json.sig")).unwrap();
    let (rc, text) = outside(&forged, &[]);
    assert_eq!(rc, 1, "{text}");
    assert!(text.contains("says it was signed"), "{text}");
    forge(&forged, IN_FORCE, softened, |m| {
        m.as_object_mut().unwrap().remove("signature");
    });
    let (rc, text) = outside(&forged, &[]);
    assert_eq!(
        rc, 0,
        "an unsigned, self-consistent package passes outside: {text}"
    );
    assert!(text.contains("not signed"), "{text}");
    let (rc, text) = outside(&forged, &["--require-signature"]);
    assert_eq!(rc, 1, "{text}");
    let (rc, text) = verify(&dir, &forged);
    assert_eq!(rc, 1, "{text}");
    assert!(
        text.contains("FAIL documents/POL-001/in-force.md: not the approved content"),
        "{text}"
    );
    // 3. The claim rewritten too: the approval approved other bytes.
    let blob = git2::Oid::hash_object(git2::ObjectType::Blob, softened)
        .unwrap()
        .to_string();
    forge(&forged, IN_FORCE, softened, |m| {
        for c in m["references"]["in-force"].as_array_mut().unwrap() {
            if c["file"] == IN_FORCE {
                c["blob"] = blob.clone().into();
            }
        }
    });
    let (rc, text) = verify(&dir, &forged);
    assert_eq!(rc, 1, "{text}");
    assert!(
        text.contains("aims/pol-001/v1 approved aims/policy/ai-policy.md"),
        "{text}"
    );
    // 4. A claim deleted: the source is unchecked, and said so.
    forge(&forged, IN_FORCE, softened, |m| {
        m["references"]["in-force"]
            .as_array_mut()
            .unwrap()
            .retain(|c| c["document"] != "POL-001");
    });
    let (rc, text) = verify(&dir, &forged);
    assert_eq!(rc, 1, "{text}");
    assert!(
        text.contains("documents/POL-001/in-force.md: the manifest claims no approval"),
        "{text}"
    );
    // 5. Someone with push rights but no role commits the softened policy,
    // tags it unsigned as an "approval" and points the claim at it.
    std::fs::write(dir.join(POLICY), softened).unwrap();
    git(&dir, &["add", POLICY]);
    git(&dir, &["commit", "-q", "-m", "soften"]);
    git(
        &dir,
        &["tag", "-a", "aims/pol-001/v9", "-m", "Approve POL-001"],
    );
    let commit = git(&dir, &["rev-parse", "HEAD"]).trim().to_owned();
    let tag = git(&dir, &["rev-parse", "aims/pol-001/v9"])
        .trim()
        .to_owned();
    forge(&forged, IN_FORCE, softened, |m| {
        m["references"]["in-force"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "file": IN_FORCE, "document": "POL-001", "path": POLICY,
                "blob": blob, "commit": commit, "tag": "aims/pol-001/v9",
            }));
        m["references"]["tags"]["aims/pol-001/v9"] = tag.into();
    });
    let (rc, text) = verify(&dir, &forged);
    assert_eq!(rc, 1, "{text}");
    assert!(
        text.contains("aims/pol-001/v9 is not an approval of POL-001 that counts"),
        "{text}"
    );

    // 6. The forger re-signs with a key of their own: not a trusted signer.
    let (mallory, _) = keygen(tmp.path(), "mallory");
    let out = aims_as(
        &dir,
        ("Mallory", "mallory@northwind.example"),
        &mallory,
        &["export", "--out", "../ev-m", "--sign"],
    );
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let (rc, text) = verify(&dir, &tmp.path().join("ev-m"));
    assert_eq!(rc, 1, "{text}");
    assert!(text.contains("a key not in the allowed signers"), "{text}");
    // And dana's key outside the `file` namespace would not do either.
    let narrowed = tmp.path().join("git-only");
    std::fs::write(
        &narrowed,
        std::fs::read_to_string(dir.join(".aims/allowed_signers"))
            .unwrap()
            .replace("git,file", "git"),
    )
    .unwrap();
    let out = run(
        away.path(),
        &[
            "verify-export",
            ev.to_str().unwrap(),
            "--allowed-signers",
            narrowed.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&out), 1);
    assert!(
        stdout(&out).contains("does not allow the `file` namespace"),
        "{}",
        stdout(&out)
    );
}

/// A package of one file, `big.bin`, whose manifest gives it `size` bytes,
/// zipped with `actual` zero bytes in its place.
fn bomb(path: &Path, size: u64, actual: usize) {
    use sha2::{Digest, Sha256};
    let hex = |b: &[u8]| aims::history::hex(&Sha256::digest(b));
    let m = serde_json::json!({
        "schema": "aims.export/v1",
        "tool": {"name": "aims", "version": "0"},
        "organisation": null, "as-of": "2026-06-30", "commit": null,
        "working-tree": false, "uncommitted": [],
        "references": {"commits": [], "tags": {}},
        "files": [{"path": "big.bin", "sha256": hex(b"0123456789"), "size": size}],
    });
    let json = format!("{}\n", serde_json::to_string_pretty(&m).unwrap());
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(actual > u32::MAX as usize);
    zip.start_file("ev/manifest.json", options).unwrap();
    zip.write_all(json.as_bytes()).unwrap();
    zip.start_file("ev/manifest.sha256", options).unwrap();
    zip.write_all(format!("{}  manifest.json\n", hex(json.as_bytes())).as_bytes())
        .unwrap();
    zip.start_file("ev/big.bin", options).unwrap();
    let chunk = vec![0u8; 1 << 20];
    let mut left = actual;
    while left > 0 {
        let n = left.min(chunk.len());
        zip.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    zip.finish().unwrap();
}

#[test]
fn a_zip_bomb_is_refused_without_being_inflated() {
    let tmp = tempfile::tempdir().unwrap();
    // 32 MiB of zeros (a few dozen KB zipped) where the manifest says 10 bytes.
    let z = tmp.path().join("bomb.zip");
    bomb(&z, 10, 32 << 20);
    assert!(std::fs::metadata(&z).unwrap().len() < 1 << 20);
    let (rc, text) = verify(tmp.path(), &z);
    assert_eq!(rc, 1, "{text}");
    assert!(
        text.contains("FAIL big.bin: declares 33554432 bytes, more than the 10 allowed"),
        "{text}"
    );
    // A manifest that owns up to a huge file is refused unread.
    bomb(&z, 5 << 30, 1);
    let (rc, text) = verify(tmp.path(), &z);
    assert_eq!(rc, 1, "{text}");
    assert!(
        text.contains("more than the 4294967296 bytes verify-export reads"),
        "{text}"
    );
    // In a folder, a file grown past its size is read no further than that.
    let dir = tmp.path().join("ev");
    std::fs::create_dir(&dir).unwrap();
    bomb(&z, 10, 32 << 20);
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&z).unwrap()).unwrap();
    for name in ["manifest.json", "manifest.sha256", "big.bin"] {
        let mut bytes = Vec::new();
        archive
            .by_name(&format!("ev/{name}"))
            .unwrap()
            .read_to_end(&mut bytes)
            .unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    let (rc, text) = verify(tmp.path(), &dir);
    assert_eq!(rc, 1, "{text}");
    assert!(
        text.contains("FAIL big.bin: altered (larger than the 10 bytes the manifest says"),
        "{text}"
    );
}

#[test]
fn an_export_removes_what_killed_exports_left_behind() {
    let (tmp, dir) = repo("well-kept", false);
    let parent = tmp.path();
    // A process id no system hands out, and this test's own (alive).
    let dead = [
        ".aims-export-999999999-a1b2c3",
        ".aims-export-old-999999999-d4e5f6",
    ];
    for d in dead {
        std::fs::create_dir_all(parent.join(d).join("documents")).unwrap();
        std::fs::write(parent.join(d).join("documents/x.md"), "half").unwrap();
    }
    std::fs::write(parent.join(".aims-export-999999999-g7h8.zip"), "half").unwrap();
    let live = format!(".aims-export-{}-running", std::process::id());
    std::fs::create_dir(parent.join(&live)).unwrap();
    export(&dir, &["--out", "../ev"], 0);
    let left: Vec<String> = std::fs::read_dir(parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".aims-export-"))
        .collect();
    assert_eq!(left, [live]);
}

/// The text of each page of a PDF, as `pdftotext` reads it, whitespace
/// collapsed (a title wrapped over two lines reads as one).
fn pdf_pages(pdf: &Path) -> Vec<String> {
    let out = succeed(std::process::Command::new("pdftotext").arg(pdf).arg("-"));
    stdout(&out)
        .split('\u{c}')
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn the_evidence_book_prints_every_document_with_its_approver_on_its_own_pages() {
    if !have_tools(&["ssh-keygen", "chromium", "pdftotext"]) {
        return;
    }
    let (tmp, dir) = repo("well-kept", true);
    let ev = tmp.path().join("ev");
    let out = export(
        &dir,
        &["--out", ev.to_str().unwrap(), "--as-of", TODAY, "--pdf"],
        0,
    );
    assert!(stdout(&out).contains("Exported"), "{}", stdout(&out));

    // book.html: self-contained and print-ready.
    let book = read(&ev.join("book.html"));
    // (Addresses in a document's text stay text; no attribute loads or
    // links anything outside the file: assert_links_resolve below.)
    for forbidden in [
        "<link", "<script", "<img", "<iframe", "src=", "url(", "@import",
    ] {
        assert!(!book.contains(forbidden), "book.html holds {forbidden}");
    }
    assert!(!book.contains("href=\"") || !book.contains("href=\"http"));
    for needed in ["@page", "break-before: page", "counter(page)", "@top-left"] {
        assert!(book.contains(needed), "book.html lacks {needed}");
    }
    assert_links_resolve(&ev);

    // Listed in the manifest like every file, and the package verifies.
    let m = manifest(&ev);
    let listed: BTreeSet<&str> = m["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(listed.contains("book.html") && listed.contains("evidence.pdf"));
    let (rc, text) = verify(&dir, &ev);
    assert_eq!(rc, 0, "{text}");
    assert!(read(&ev.join("index.html")).contains("href=\"evidence.pdf\""));
    let pdf = std::fs::read(ev.join("evidence.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));

    // What pdftotext reads: every controlled document on pages of its own,
    // with its title and the approver of the content in force.
    let pages = pdf_pages(&ev.join("evidence.pdf"));
    assert!(pages.len() > 69, "{} pages", pages.len());
    let register: Value = serde_json::from_str(&read(&ev.join("register.json"))).unwrap();
    let documents = register["documents"].as_array().unwrap();
    assert_eq!(documents.len(), 69);
    // Where each document starts: the page with its section's first line
    // (kind · owner · path); no page starts two documents.
    let mut starts: Vec<(usize, &Value)> = Vec::new();
    for d in documents {
        let line = format!(
            "{} · {} · {}",
            d["kind"].as_str().unwrap(),
            d["owner"].as_str().unwrap(),
            d["path"].as_str().unwrap()
        );
        let found: Vec<usize> = (0..pages.len())
            .filter(|&i| pages[i].contains(&line))
            .collect();
        assert_eq!(found.len(), 1, "{line}: on pages {found:?}");
        starts.push((found[0], d));
    }
    starts.sort_by_key(|(p, _)| *p);
    for w in starts.windows(2) {
        assert!(
            w[0].0 < w[1].0,
            "{} and {} start on the same page: no page break between documents",
            w[0].1["id"],
            w[1].1["id"]
        );
    }
    for (k, (first, d)) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(pages.len(), |(p, _)| *p);
        let text = pages[*first..end].join(" ");
        let id = d["id"].as_str().unwrap();
        let title = d["title"].as_str().unwrap();
        // pdftotext joins a line broken after a hyphen without it.
        let heading = format!("{id} {title}").replace('-', "");
        assert!(text.replace('-', "").contains(&heading), "{id}: no title");
        let approvers: Vec<&str> = d["approvals"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["counts"] == true)
            .filter_map(|a| a["signer"].as_str())
            .collect();
        assert!(!approvers.is_empty(), "{id}: approved in this fixture");
        let last = approvers.last().unwrap();
        assert!(
            text.contains(last),
            "{id}: approver {last} not on its pages"
        );
        assert!(text.contains("signature verified"), "{id}");
    }
    // The running header and the page numbers, on every page.
    let n = pages.iter().filter(|p| !p.is_empty()).count();
    for (i, p) in pages.iter().filter(|p| !p.is_empty()).enumerate() {
        assert!(
            p.contains("Northwind Lending Ltd. · ISO/IEC 42001 evidence as of 2026-11-23"),
            "page {}: {p}",
            i + 1
        );
        assert!(
            p.contains(&format!("Page {} of {n}", i + 1)),
            "page {}",
            i + 1
        );
    }
    // The cover: scope, readiness, as-of, commit.
    let commit = git(&dir, &["rev-parse", "HEAD"]);
    assert!(pages[0].contains(commit.trim()) && pages[0].contains("SCO-001"));
    assert!(pages[0].contains("Ready"), "{}", pages[0]);

    // No browser: exit 2 naming the package, and nothing written.
    let empty = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let none = tmp.path().join("none");
    let out = aims(home.path())
        .current_dir(&dir)
        .env("PATH", empty.path())
        .args(["export", "--out", none.to_str().unwrap(), "--pdf"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("chromium"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("apt-get install chromium"),
        "{}",
        stderr(&out)
    );
    assert!(!none.exists());
    let out = aims(home.path())
        .current_dir(&dir)
        .env("AIMS_CHROMIUM", tmp.path().join("no-such-browser"))
        .args(["export", "--out", none.to_str().unwrap(), "--pdf"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("AIMS_CHROMIUM"), "{}", stderr(&out));
    assert!(!none.exists());
}
