//! `aims reviews`: the reviews falling due, from the signed approved
//! fixture with pinned dates; the calendar read back by a real iCalendar
//! parser (Python's `icalendar`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use common::approved::*;
use common::*;
use serde_json::Value;

/// `aims reviews ARGS` in `dir` as of `today`; panics unless it exits 0.
fn reviews(dir: &Path, today: &str, args: &[&str]) -> Vec<u8> {
    let home = tempfile::tempdir().unwrap();
    let out = aims(home.path())
        .current_dir(dir)
        .env("AIMS_TODAY", today)
        .arg("reviews")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
    out.stdout
}

fn json(dir: &Path, today: &str, within: &str) -> Value {
    serde_json::from_slice(&reviews(
        dir,
        today,
        &["--within", within, "--format", "json"],
    ))
    .unwrap()
}

/// The calendar's events as Python's `icalendar` reads them: UID, start,
/// summary, attendees, sequence, stamp.
fn parse_ics(bytes: &[u8]) -> Vec<Value> {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("aims.ics");
    std::fs::write(&file, bytes).unwrap();
    let script = r#"
import json, sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
events = []
for e in cal.walk("VEVENT"):
    att = e.get("ATTENDEE")
    att = [] if att is None else ([str(att)] if not isinstance(att, list) else [str(a) for a in att])
    events.append({
        "uid": str(e["UID"]),
        "start": e["DTSTART"].dt.isoformat(),
        "end": e["DTEND"].dt.isoformat(),
        "summary": str(e["SUMMARY"]),
        "description": str(e["DESCRIPTION"]),
        "attendees": att,
        "sequence": int(e["SEQUENCE"]),
        "stamp": e["DTSTAMP"].dt.isoformat(),
    })
print(json.dumps({"version": str(cal["VERSION"]), "events": events}))
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "icalendar could not read the calendar: {}",
        stderr(&out)
    );
    let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(parsed["version"], "2.0");
    parsed["events"].as_array().unwrap().clone()
}

/// Whether Python can import `icalendar` (skips locally, fails under CI).
fn have_icalendar() -> bool {
    if !have_tools(&["python3"]) {
        return false;
    }
    let ok = Command::new("python3")
        .args(["-c", "import icalendar"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "Python's icalendar is required under CI (pip install icalendar)"
        );
        eprintln!("skipping: pip install icalendar");
    }
    ok
}

/// The documents `aims status` says are due for review by `until`: the
/// register's own dates, the oracle for the list.
fn due_by(dir: &Path, today: &str, until: &str) -> BTreeMap<String, String> {
    let home = tempfile::tempdir().unwrap();
    let out = aims(home.path())
        .current_dir(dir)
        .env("AIMS_TODAY", today)
        .args(["status", "--format", "json"])
        .output()
        .unwrap();
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    status["documents"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| {
            let due = d["review-due"].as_str()?;
            (due <= until).then(|| (d["id"].as_str().unwrap().to_owned(), due.to_owned()))
        })
        .collect()
}

#[test]
fn the_calendar_parses_holds_one_event_per_due_review_and_is_stable() {
    if !have_tools(&["ssh-keygen"]) || !have_icalendar() {
        return;
    }
    let (_tmp, dir) = repo("well-kept", true);
    let today = TODAY; // 2026-11-23

    let first = reviews(&dir, today, &["--within", "60d", "--format", "ics"]);
    let second = reviews(&dir, today, &["--within", "60d", "--format", "ics"]);
    assert_eq!(first, second, "two runs give the same bytes");
    let text = String::from_utf8(first.clone()).unwrap();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n") && text.ends_with("END:VCALENDAR\r\n"));
    for (i, line) in text.split("\r\n").enumerate() {
        assert!(!line.contains('\n'), "line {i}: a bare LF");
        assert!(
            line.len() <= 75,
            "line {i} has {} octets: {line}",
            line.len()
        );
    }
    assert!(
        text.contains("\r\n "),
        "long lines are folded (CRLF and a space)"
    );

    let events = parse_ics(&first);
    let expected = due_by(&dir, today, "2027-01-22");
    assert!(
        !expected.is_empty() && expected.len() < 69,
        "some, not all, reviews fall due in 60 days: {expected:?}"
    );
    assert_eq!(events.len(), expected.len(), "one event per due review");
    let uids: BTreeSet<&str> = events.iter().map(|e| e["uid"].as_str().unwrap()).collect();
    assert_eq!(uids.len(), events.len(), "UIDs are unique");
    for e in &events {
        let summary = e["summary"].as_str().unwrap();
        let id = summary.split_whitespace().nth(1).unwrap();
        assert_eq!(
            e["start"].as_str().unwrap(),
            expected[id],
            "{id}: the event is on the register's due date"
        );
        assert_eq!(e["stamp"], "2026-11-23T00:00:00+00:00");
        assert!(
            !e["attendees"].as_array().unwrap().is_empty(),
            "{id}: its owner attends"
        );
        assert!(
            e["attendees"][0].as_str().unwrap().starts_with("mailto:"),
            "{e}"
        );
    }
    // Titles with commas come back whole: TEXT escaping holds.
    let with_comma = events
        .iter()
        .find(|e| e["summary"].as_str().unwrap().contains(','));
    assert!(
        with_comma.is_some(),
        "a title with a comma is in the window"
    );
    // Line breaks in the description are ours, and read back as breaks.
    assert!(
        events[0]["description"]
            .as_str()
            .unwrap()
            .contains("\nOwner: ")
    );

    // A week later, the same reviews keep their UIDs (a re-import updates).
    let later = parse_ics(&reviews(
        &dir,
        "2026-11-30",
        &["--within", "60d", "--format", "ics"],
    ));
    let later_uids: BTreeSet<&str> = later.iter().map(|e| e["uid"].as_str().unwrap()).collect();
    assert!(later.len() >= events.len());
    assert!(uids.is_subset(&later_uids), "{uids:?} vs {later_uids:?}");

    // --within filters on the due date.
    let mut counts = Vec::new();
    for (within, until) in [
        ("30d", "2026-12-23"),
        ("60d", "2027-01-22"),
        ("13w", "2027-02-22"),
        ("2 years", "2028-11-23"),
    ] {
        let r = json(&dir, today, within);
        assert_eq!(r["until"], until, "{within}");
        let listed: BTreeMap<String, String> = r["reviews"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["id"].as_str().unwrap().to_owned(),
                    x["due"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(listed, due_by(&dir, today, until), "{within}");
        let ics = parse_ics(&reviews(
            &dir,
            today,
            &["--within", within, "--format", "ics"],
        ));
        assert_eq!(ics.len(), listed.len(), "{within}");
        counts.push(listed.len());
    }
    assert!(
        counts.windows(2).all(|w| w[0] <= w[1]) && counts[0] < counts[3],
        "{counts:?}"
    );
    assert_eq!(counts[3], 69, "every approved document within two years");

    // A nonsense window is a usage error.
    let home = tempfile::tempdir().unwrap();
    let out = aims(home.path())
        .current_dir(&dir)
        .args(["reviews", "--within", "soon"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--within"), "{}", stderr(&out));
}

#[test]
fn overdue_reviews_and_changed_documents_say_what_to_do() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let (_tmp, dir) = repo("well-kept", true);
    // The policy was approved on 2026-01-23 for 12 months.
    commit_change(
        &dir,
        "alice.moreau@northwind.example",
        "aims/policy/ai-policy.md",
        |t| t + "\nA sentence added after approval.\n",
        "2026-11-20T10:00:00Z",
    );
    let r = json(&dir, "2027-02-01", "30d");
    assert!(r["overdue"].as_u64().unwrap() > 0, "{r:#}");
    let list = r["reviews"].as_array().unwrap();
    let pol = list.iter().find(|x| x["id"] == "POL-001").unwrap();
    assert_eq!(pol["due"], "2027-01-23");
    assert_eq!(pol["overdue"], true);
    assert_eq!(pol["action"], "re-approval");
    assert_eq!(pol["owners"][0], pol["owner"]);
    assert!(
        pol["approvers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["role"] == "top-management"
                && a["people"]
                    .as_array()
                    .unwrap()
                    .contains(&Value::from("marco.silva@northwind.example"))),
        "{pol:#}"
    );
    let unchanged = list.iter().find(|x| x["id"] != "POL-001").unwrap();
    assert_eq!(unchanged["action"], "review");
    for x in list {
        assert_eq!(x["overdue"], x["due"].as_str().unwrap() < "2027-02-01");
    }
    // Overdue first, soonest first.
    let dues: Vec<&str> = list.iter().map(|x| x["due"].as_str().unwrap()).collect();
    assert!(dues.windows(2).all(|w| w[0] <= w[1]), "{dues:?}");

    let md = String::from_utf8(reviews(&dir, "2027-02-01", &["--format", "markdown"])).unwrap();
    assert!(md.starts_with(aims::reviews::MARKER), "{md}");
    assert!(md.contains("`aims approve POL-001`"), "{md}");
    let human = String::from_utf8(reviews(&dir, "2027-02-01", &[])).unwrap();
    assert!(human.contains("POL-001 AI Policy"), "{human}");
    assert!(human.contains("overdue"), "{human}");

    // Nothing due: said plainly, and the Markdown still carries the marker.
    let md = String::from_utf8(reviews(&dir, "2026-02-01", &["--format", "markdown"])).unwrap();
    assert!(md.starts_with(aims::reviews::MARKER) && md.contains("Nothing falls due"));
}

#[test]
fn people_maps_owners_to_github_handles() {
    if !have_tools(&["ssh-keygen"]) {
        return;
    }
    let config = format!(
        "{CONFIG}[rules]\nDOC005 = \"off\"\nDOC011 = \"off\"\n[people]\n\"Dana@acme.example\" = \"dana-gh\"\n"
    );
    let f = Fixture::with_config(&config);
    for (id, path, at) in [
        ("aims.toml", "aims.toml", "2026-01-12T09:00:00Z"),
        ("POL-001", "aims/policy/ai.md", "2026-01-13T09:00:00Z"),
        ("PRO-001", "aims/pro.md", "2026-01-13T09:05:00Z"),
    ] {
        f.approve_by_hand("dana", id, path, "top-management", at);
    }
    let r = json(&f.repo, TODAY, "400d");
    let by_id = |id: &str| {
        r["reviews"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == id)
            .unwrap_or_else(|| panic!("{id} in {r:#}"))
            .clone()
    };
    assert_eq!(
        by_id("POL-001")["assignees"],
        serde_json::json!(["dana-gh"])
    );
    assert_eq!(by_id("PRO-001")["assignees"], serde_json::json!([]));
    // The configuration's owner is a role? Its members are its owners.
    assert!(
        !by_id("aims.toml")["approvers"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}
