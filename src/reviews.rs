//! `aims reviews`: every controlled document whose periodic review falls
//! due within a window (or is overdue), with its owner, the people who may
//! approve it and the due date, for the document owners who must act on
//! time: a table, `aims.reviews/v1` JSON, Markdown for a reminder issue,
//! and an RFC 5545 calendar to subscribe to.
//!
//! Outputs only: the due date is the register's (last approval or review
//! plus the kind's review interval, see [`crate::history::state`]); the
//! roles, approvers and `[people]` come from the configuration in force.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::{self, Config};
use crate::control::{Entry, Register};
use crate::date::{Date, Interval};
use crate::docs::Kind;
use crate::history::state::State;

/// The first line of the Markdown: the reminder workflow finds its own
/// issue by it (and by its author).
pub const MARKER: &str = "<!-- aims:reviews -->";

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReviewsFormat {
    /// A table for a terminal.
    Human,
    /// `aims.reviews/v1` JSON, for scripts and the reminder workflow.
    Json,
    /// Markdown, for the reminder issue (its first line is a marker).
    Markdown,
    /// An iCalendar file (RFC 5545): one all-day event per due review, to
    /// import or subscribe to.
    Ics,
}

/// What the owner must do by the due date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Review the approved content, unchanged (`aims approve ID --review`).
    Review,
    /// The document changed since its approval: the review approves the
    /// new content (`aims approve ID`).
    ReApproval,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Review => "review",
            Action::ReApproval => "re-approval",
        }
    }

    fn command(self, id: &str) -> String {
        match self {
            Action::Review => format!("aims approve {id} --review"),
            Action::ReApproval => format!("aims approve {id}"),
        }
    }
}

/// `aims reviews --format json`.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Reviews {
    #[schemars(extend("const" = "aims.reviews/v1"))]
    pub schema: &'static str,
    pub organisation: Option<String>,
    /// The day described (UTC): "today".
    pub as_of: Date,
    /// The commit described (null before the first commit).
    pub commit: Option<String>,
    /// The window, as given (`30 days`).
    pub within: String,
    /// The last day of the window: reviews due on or before it are listed.
    pub until: Date,
    pub overdue: usize,
    /// Soonest first; overdue ones first of all.
    pub reviews: Vec<Due>,
}

/// One review falling due.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Due {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub path: String,
    /// The `owner` field: an email or a role.
    pub owner: String,
    /// The people the owner names: the email, or the role's members.
    pub owners: Vec<String>,
    /// Their GitHub handles, from `[people]` in aims.toml (those mapped).
    pub assignees: Vec<String>,
    pub due: Date,
    pub overdue: bool,
    pub action: Action,
    /// The version in force.
    pub version: Option<u32>,
    /// The last approval or review that counts (its day).
    pub last_reviewed: Option<Date>,
    /// Who may approve it: each role with its members.
    pub approvers: Vec<Approvers>,
    /// How many approvals and reviews count for it: grows with each one,
    /// so a calendar takes a re-issued event as newer (its SEQUENCE).
    pub sequence: usize,
    /// A name for this review that stays the same across runs: the
    /// calendar event's UID.
    pub uid: String,
}

#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Approvers {
    pub role: String,
    pub people: Vec<String>,
}

/// `30d`, `6w`, `30 days`, `3 months`, `1 year`.
pub fn parse_within(s: &str) -> Result<Interval, String> {
    let t = s.trim();
    let short = t
        .strip_suffix(['d', 'D'])
        .map(|n| (n, "days"))
        .or_else(|| t.strip_suffix(['w', 'W']).map(|n| (n, "weeks")));
    match short {
        Some((n, unit)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{n} {unit}").parse()
        }
        _ => t
            .parse()
            .map_err(|e: String| format!("{e}; for --within also `30d` or `6w` (days, weeks)")),
    }
}

/// The reviews due on or before `today + within`, from the register.
pub fn build(register: &Register, within: Interval) -> Reviews {
    let today = register.as_of;
    let until = today.plus(within);
    let config = &register.policy;
    // A repository-stable part of each UID: the commit that brought
    // aims.toml to the branch (the same in every clone).
    let anchor = register.config.revisions.first().map_or("", |r| &*r.commit);
    let mut reviews: Vec<Due> = due(register, until)
        .map(|(e, due)| {
            let s = &e.state;
            let action = if s.state == State::ChangedSinceApproval {
                Action::ReApproval
            } else {
                Action::Review
            };
            let owners = owners(config, &e.owner);
            Due {
                id: e.id.clone(),
                title: e.title.clone(),
                kind: e.kind.clone(),
                path: e.path.clone(),
                owner: e.owner.clone(),
                assignees: owners
                    .iter()
                    .filter_map(|o| config.person(o).map(str::to_owned))
                    .collect(),
                owners,
                due,
                overdue: due < today,
                action,
                version: s.in_force_version(),
                last_reviewed: s
                    .counted
                    .iter()
                    .map(|(a, _)| a.time)
                    .max()
                    .map(Date::from_unix),
                approvers: approvers(config, e),
                sequence: s.counted.len(),
                uid: uid(anchor, &e.id, action),
            }
        })
        .collect();
    reviews.sort_by(|a, b| (a.due, &a.id).cmp(&(b.due, &b.id)));
    Reviews {
        schema: "aims.reviews/v1",
        organisation: config.organisation.clone(),
        as_of: today,
        commit: register.commit.clone(),
        within: within.to_string(),
        until,
        overdue: reviews.iter().filter(|r| r.overdue).count(),
        reviews,
    }
}

/// Every row (aims.toml first) whose review is due on or before `until`,
/// with its due date: the one list `aims reviews` and the pull-request
/// comment share.
pub fn due(register: &Register, until: Date) -> impl Iterator<Item = (&Entry, Date)> {
    std::iter::once(&register.config)
        .chain(&register.entries)
        .filter_map(move |e| {
            let due = e.state.review_due?;
            (due <= until).then_some((e, due))
        })
}

/// The people an `owner` field names: an email, or a role's members.
fn owners(config: &Config, owner: &str) -> Vec<String> {
    if config::is_email(owner) {
        return vec![owner.to_owned()];
    }
    config.roles.get(owner).cloned().unwrap_or_default()
}

/// The roles that may approve the document's kind (the configuration: as
/// policies), each with its members.
fn approvers(config: &Config, e: &Entry) -> Vec<Approvers> {
    let kind = Kind::parse(&e.kind).unwrap_or(Kind::Policy);
    config
        .kind_policy(kind)
        .approvers
        .iter()
        .map(|role| Approvers {
            role: role.clone(),
            people: config.roles.get(role).cloned().unwrap_or_default(),
        })
        .collect()
}

/// `<id>-<action>-<hash>@aims`: the same for the same document and action
/// in every run and clone, different across repositories.
fn uid(anchor: &str, id: &str, action: Action) -> String {
    let mut h = Sha256::new();
    for part in [anchor, id, action.as_str()] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let hash = crate::history::hex(&h.finalize());
    let readable: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    format!("{readable}-{}-{}@aims", action.as_str(), &hash[..20])
}

pub fn render(r: &Reviews, format: ReviewsFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        ReviewsFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, r)?;
            writeln!(out)
        }
        ReviewsFormat::Human => out.write_all(human(r).as_bytes()),
        ReviewsFormat::Markdown => out.write_all(markdown(r).as_bytes()),
        ReviewsFormat::Ics => out.write_all(ics(r).as_bytes()),
    }
}

fn when(d: &Due) -> String {
    if d.overdue {
        format!("overdue since {}", d.due)
    } else {
        format!("due {}", d.due)
    }
}

fn approvers_text(d: &Due, safe: &dyn Fn(&str) -> String) -> String {
    d.approvers
        .iter()
        .map(|a| match a.people.is_empty() {
            true => format!("{} (no members)", safe(&a.role)),
            false => format!("{} ({})", safe(&a.role), safe(&a.people.join(", "))),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn human(r: &Reviews) -> String {
    let t = |s: &str| crate::safe::terminal(s).into_owned();
    let mut s = String::new();
    if r.reviews.is_empty() {
        let _ = writeln!(
            s,
            "No review falls due by {} ({} from {}).",
            r.until, r.within, r.as_of
        );
        return s;
    }
    for d in &r.reviews {
        let _ = writeln!(
            s,
            "{}  {} {} ({}, v{}): {} by {}\n    owner {}; approvers {}\n    then: {}",
            d.due,
            t(&d.id),
            t(&d.title),
            t(&d.kind),
            d.version.unwrap_or(0),
            d.action.as_str(),
            if d.overdue {
                "now (overdue)"
            } else {
                "the due date"
            },
            t(&d.owner),
            approvers_text(d, &t),
            d.action.command(&t(&d.id)),
        );
    }
    let _ = writeln!(
        s,
        "\n{} review(s) due by {} ({} from {}), {} overdue.",
        r.reviews.len(),
        r.until,
        r.within,
        r.as_of,
        r.overdue
    );
    s
}

fn markdown(r: &Reviews) -> String {
    use crate::report::markdown::cell;
    let mut s = format!("{MARKER}\n");
    let org = r
        .organisation
        .as_deref()
        .map_or(String::new(), |o| format!(": {}", cell(o)));
    let _ = writeln!(s, "### AIMS reviews falling due{org}\n");
    if r.reviews.is_empty() {
        let _ = writeln!(
            s,
            "Nothing falls due by {} ({} from {}).",
            r.until, r.within, r.as_of
        );
        return s;
    }
    let _ = writeln!(
        s,
        "**{} review(s) due by {}, {} overdue** (as of {}).\n",
        r.reviews.len(),
        r.until,
        r.overdue,
        r.as_of
    );
    let _ = writeln!(
        s,
        "| Due | Document | Owner | Action | Approvers |\n|---|---|---|---|---|"
    );
    for d in &r.reviews {
        let due = if d.overdue {
            format!("**{}** (overdue)", d.due)
        } else {
            d.due.to_string()
        };
        let _ = writeln!(
            s,
            "| {due} | **{}** {} | {} | {}: `{}` | {} |",
            cell(&d.id),
            cell(&d.title),
            cell(&d.owner),
            d.action.as_str(),
            cell(&d.action.command(&d.id)).replace('`', "'"),
            approvers_text(d, &|x: &str| cell(x)),
        );
    }
    let _ = writeln!(
        s,
        "\n<sub>aims {} · as of {}. A review with no change is `aims approve ID --review`; \
         a changed document needs `aims approve ID` by an approver.</sub>",
        env!("CARGO_PKG_VERSION"),
        r.as_of
    );
    s
}

/// RFC 5545: CRLF line ends, lines folded at 75 octets, TEXT escaped,
/// all-day events, a DTSTAMP taken from the as-of day so that two runs
/// give the same bytes.
fn ics(r: &Reviews) -> String {
    use crate::safe::{ics_param, ics_text, ics_uri};
    let date = |d: Date| d.to_string().replace('-', "");
    let stamp = format!("{}T000000Z", date(r.as_of));
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".into(),
        "VERSION:2.0".into(),
        format!("PRODID:-//aims//aims {}//EN", env!("CARGO_PKG_VERSION")),
        "CALSCALE:GREGORIAN".into(),
        format!(
            "X-WR-CALNAME:{}",
            ics_text(&format!(
                "AIMS reviews{}",
                r.organisation
                    .as_deref()
                    .map_or(String::new(), |o| format!(": {o}"))
            ))
        ),
    ];
    for d in &r.reviews {
        let verb = match d.action {
            Action::Review => "Review",
            Action::ReApproval => "Re-approve",
        };
        let mut description = vec![
            format!(
                "{} {} ({}) {}.",
                d.id,
                d.title,
                d.kind,
                when(d).replace("due", "review due")
            ),
            format!("Owner: {}.", d.owner),
            format!("Approvers: {}.", approvers_text(d, &|x: &str| x.to_owned())),
            format!("Then: {}", d.action.command(&d.id)),
            format!("File: {}", d.path),
        ];
        if let Some(last) = d.last_reviewed {
            description.insert(1, format!("Last approved or reviewed {last}."));
        }
        // Each part escaped on its own; the line breaks between them are ours.
        let description: Vec<String> = description.iter().map(|p| ics_text(p)).collect();
        lines.extend([
            "BEGIN:VEVENT".into(),
            format!("UID:{}", ics_text(&d.uid)),
            format!("DTSTAMP:{stamp}"),
            format!("DTSTART;VALUE=DATE:{}", date(d.due)),
            format!("DTEND;VALUE=DATE:{}", date(d.due.add_days(1))),
            format!("SEQUENCE:{}", d.sequence),
            format!(
                "SUMMARY:{}",
                ics_text(&format!("{verb} {} {}", d.id, d.title))
            ),
            format!("DESCRIPTION:{}", description.join("\\n")),
            format!("CATEGORIES:AIMS,{}", d.action.as_str().to_ascii_uppercase()),
            "TRANSP:TRANSPARENT".into(),
            "STATUS:CONFIRMED".into(),
        ]);
        for owner in &d.owners {
            lines.push(format!(
                "ATTENDEE;CN=\"{}\";ROLE=REQ-PARTICIPANT:mailto:{}",
                ics_param(owner),
                ics_uri(owner)
            ));
        }
        lines.push("END:VEVENT".into());
    }
    lines.push("END:VCALENDAR".into());
    let mut s = String::new();
    for line in lines {
        fold(&line, &mut s);
    }
    s
}

/// One content line, folded so that no line exceeds 75 octets (a fold is
/// CRLF and a space, never inside a UTF-8 character).
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_takes_short_and_long_forms() {
        assert_eq!(parse_within("30d").unwrap().to_string(), "30 days");
        assert_eq!(parse_within("6w").unwrap().to_string(), "6 weeks");
        assert_eq!(parse_within("3 months").unwrap().to_string(), "3 months");
        assert!(parse_within("d").is_err());
        assert!(parse_within("30x").is_err());
        assert!(parse_within("-3d").is_err());
    }

    #[test]
    fn lines_fold_at_75_octets_without_splitting_characters() {
        let mut s = String::new();
        let line = format!("SUMMARY:{}", "é".repeat(80));
        fold(&line, &mut s);
        for l in s.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = s.replace("\r\n ", "");
        assert_eq!(unfolded.trim_end(), line);
    }
}
