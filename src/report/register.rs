//! Outputs of `aims status` and `aims log`: the document-control register
//! and one document's history, as the [`Register`] derived them.

use std::io::{self, Write};

use serde::Serialize;

use crate::control::{Entry, Register, not_counted_reason};
use crate::date::Date;
use crate::history::approvals::{Approval, TagReport};
use crate::history::state::State;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFormat {
    /// An aligned table for a terminal.
    Human,
    /// `aims.status/v1` JSON.
    Json,
    /// One row per document, for spreadsheets.
    Csv,
    /// A Markdown table.
    Markdown,
}

/// `aims status --format json`.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct StatusJson<'a> {
    #[schemars(extend("const" = "aims.status/v1"))]
    pub schema: &'static str,
    /// The day described (UTC).
    pub as_of: Date,
    /// The commit described (null before the first commit).
    pub commit: Option<String>,
    /// Documents were read from the working tree.
    pub working_tree: bool,
    /// aims.toml first, then every controlled document by id.
    pub documents: Vec<DocumentJson<'a>>,
}

/// `aims log ID --format json`.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct LogJson<'a> {
    #[schemars(extend("const" = "aims.log/v1"))]
    pub schema: &'static str,
    pub document: DocumentJson<'a>,
    /// Newest first.
    pub revisions: Vec<RevisionJson<'a>>,
}

/// One approval as the register shows it: counted or not, and why.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ApprovalJson {
    pub signer: Option<String>,
    pub role: Option<String>,
    pub date: Option<String>,
    #[schemars(extend("enum" = ["approved", "reviewed", "withdrawn", null]))]
    pub decision: Option<&'static str>,
    /// The signature verified for the signer against the approved trust root.
    pub verified: bool,
    /// The approval counts for the document.
    pub counts: bool,
    /// The version it made or confirmed, when it counts.
    pub version: Option<u32>,
    pub commit: Option<String>,
    pub tag: String,
    pub fingerprint: Option<String>,
    /// Why it does not count, when it does not.
    pub reason: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct DocumentJson<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub kind: &'a str,
    pub owner: &'a str,
    pub path: &'a str,
    pub version: Option<u32>,
    #[schemars(extend("enum" = ["approved", "changed-since-approval", "never-approved", "review-overdue", "withdrawn", "pending"]))]
    pub state: &'static str,
    pub approvals: Vec<ApprovalJson>,
    pub review_due: Option<String>,
    pub unapproved_changes: usize,
    pub uncommitted: bool,
}

/// Every approval of an entry, oldest first: those that count, verified
/// ones that do not, and refused tags naming it.
pub fn approvals(entry: &Entry, register: &Register) -> Vec<ApprovalJson> {
    let s = &entry.state;
    let mut out: Vec<(i64, ApprovalJson)> = Vec::new();
    for (a, version) in &s.counted {
        out.push((a.time, verified(a, Some(*version), None)));
    }
    for (a, why) in &s.not_counted {
        out.push((a.time, verified(a, None, Some(not_counted_reason(why)))));
    }
    for a in &s.pending {
        out.push((
            a.time,
            verified(
                a,
                None,
                Some("approved content waiting for merge: not on this branch yet".to_owned()),
            ),
        ));
    }
    for r in register
        .refused
        .iter()
        .filter(|r| r.document.as_deref() == Some(entry.id.as_str()))
    {
        if let Some(json) = refused(r) {
            out.push((r.time.unwrap_or(0), json));
        }
    }
    out.sort_by(|a, b| (a.0, &a.1.tag).cmp(&(b.0, &b.1.tag)));
    out.into_iter().map(|(_, a)| a).collect()
}

/// A refused tag (or sign-off) as the register shows it; None for a
/// report that is not a refusal.
pub fn refused(r: &TagReport) -> Option<ApprovalJson> {
    let Err(invalid) = &r.outcome else {
        return None;
    };
    Some(ApprovalJson {
        signer: r.tagger.clone(),
        role: r.role.clone(),
        date: r.time.map(|t| Date::from_unix(t).to_string()),
        decision: None,
        verified: false,
        counts: false,
        version: None,
        commit: r.commit.clone(),
        tag: r.name.clone(),
        fingerprint: None,
        reason: Some(invalid.to_string()),
    })
}

/// A verified approval: it counts (with the version it made) or not (with
/// the reason).
fn verified(a: &Approval, version: Option<u32>, reason: Option<String>) -> ApprovalJson {
    ApprovalJson {
        signer: Some(a.signer_email.clone()),
        role: Some(a.claim.role.clone()),
        date: Some(Date::from_unix(a.time).to_string()),
        decision: Some(a.claim.decision.as_str()),
        verified: true,
        counts: reason.is_none(),
        version,
        commit: Some(a.commit.clone()),
        tag: a.tag.clone(),
        fingerprint: Some(a.signature.fingerprint.clone()),
        reason,
    }
}

pub fn document_json<'a>(entry: &'a Entry, register: &Register) -> DocumentJson<'a> {
    DocumentJson {
        id: &entry.id,
        title: &entry.title,
        kind: &entry.kind,
        owner: &entry.owner,
        path: &entry.path,
        version: entry.state.version,
        state: entry.state.state.as_str(),
        approvals: approvals(entry, register),
        review_due: entry.state.review_due.map(|d| d.to_string()),
        unapproved_changes: entry.state.unapproved_changes,
        uncommitted: entry.state.uncommitted,
    }
}

/// aims.toml first, then the documents by id.
fn rows(register: &Register) -> impl Iterator<Item = &Entry> {
    std::iter::once(&register.config).chain(&register.entries)
}

pub fn render_status(
    register: &Register,
    format: StatusFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        StatusFormat::Json => {
            let documents: Vec<DocumentJson> =
                rows(register).map(|e| document_json(e, register)).collect();
            let doc = StatusJson {
                schema: "aims.status/v1",
                as_of: register.as_of,
                commit: register.commit.clone(),
                working_tree: register.working_tree,
                documents,
            };
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)
        }
        StatusFormat::Csv => {
            writeln!(
                out,
                "id,title,kind,owner,path,version,state,approved_by,approved_role,approved_on,review_due,unapproved_changes"
            )?;
            for e in rows(register) {
                let last = e.state.last_approval();
                let fields = [
                    e.id.clone(),
                    e.title.clone(),
                    e.kind.clone(),
                    e.owner.clone(),
                    e.path.clone(),
                    e.state.version.map_or(String::new(), |v| v.to_string()),
                    e.state.state.as_str().to_owned(),
                    last.map_or(String::new(), |a| a.signer_email.clone()),
                    last.map_or(String::new(), |a| a.claim.role.clone()),
                    last.map_or(String::new(), |a| Date::from_unix(a.time).to_string()),
                    e.state.review_due.map_or(String::new(), |d| d.to_string()),
                    e.state.unapproved_changes.to_string(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                writeln!(out, "{}", line.join(","))?;
            }
            Ok(())
        }
        StatusFormat::Markdown => {
            writeln!(
                out,
                "## Document-control register as of {}\n",
                register.as_of
            )?;
            writeln!(
                out,
                "| ID | Title | Kind | Version | State | Approved by | On | Review due |"
            )?;
            writeln!(out, "|---|---|---|---|---|---|---|---|")?;
            for e in rows(register) {
                let last = e.state.last_approval();
                writeln!(
                    out,
                    "| `{}` | {} | {} | {} | {} | {} | {} | {} |",
                    e.id,
                    super::markdown::cell(&e.title),
                    e.kind,
                    version_label(e),
                    state_label(e),
                    last.map_or(String::new(), |a| format!(
                        "{} ({})",
                        a.signer_email, a.claim.role
                    )),
                    last.map_or(String::new(), |a| Date::from_unix(a.time).to_string()),
                    e.state.review_due.map_or(String::new(), |d| d.to_string()),
                )?;
            }
            Ok(())
        }
        StatusFormat::Human => render_human(register, out),
    }
}

/// The register for a spreadsheet (the evidence package's register.csv):
/// one row per document and approval, a document without approvals on a
/// row of its own, so that a filter shows any signer, tag or verdict.
pub fn approvals_csv(register: &Register) -> String {
    let mut s = String::from(
        "id,title,kind,owner,path,version,state,review_due,unapproved_changes,\
         approval_signer,approval_role,approval_date,approval_decision,approval_verified,\
         approval_counts,approval_version,approval_tag,approval_commit,approval_fingerprint,approval_note\n",
    );
    for entry in rows(register) {
        let st = &entry.state;
        let doc = [
            entry.id.clone(),
            entry.title.clone(),
            entry.kind.clone(),
            entry.owner.clone(),
            entry.path.clone(),
            st.version.map_or(String::new(), |v| v.to_string()),
            st.state.as_str().to_owned(),
            st.review_due.map_or(String::new(), |d| d.to_string()),
            st.unapproved_changes.to_string(),
        ];
        let approvals = approvals(entry, register);
        let yes_no = |b: bool| if b { "yes" } else { "no" }.to_owned();
        let mut rows: Vec<Vec<String>> = approvals
            .iter()
            .map(|a| {
                vec![
                    a.signer.clone().unwrap_or_default(),
                    a.role.clone().unwrap_or_default(),
                    a.date.clone().unwrap_or_default(),
                    a.decision.unwrap_or_default().to_owned(),
                    yes_no(a.verified),
                    yes_no(a.counts),
                    a.version.map_or(String::new(), |v| v.to_string()),
                    a.tag.clone(),
                    a.commit.clone().unwrap_or_default(),
                    a.fingerprint.clone().unwrap_or_default(),
                    a.reason.clone().unwrap_or_default(),
                ]
            })
            .collect();
        if rows.is_empty() {
            rows.push(vec![String::new(); 11]);
        }
        for row in rows {
            let line: Vec<String> = doc.iter().chain(&row).map(|f| csv_field(f)).collect();
            s.push_str(&line.join(","));
            s.push('\n');
        }
    }
    s
}

fn version_label(e: &Entry) -> String {
    match (e.state.version, e.state.unapproved_changes) {
        (None, _) => "-".to_owned(),
        (Some(v), 0) => format!("v{v}"),
        (Some(v), n) => format!("v{v} + {n}"),
    }
}

fn state_label(e: &Entry) -> String {
    let s = &e.state;
    match s.state {
        State::Approved => "approved".to_owned(),
        State::ReviewOverdue => "review overdue".to_owned(),
        State::NeverApproved => "never approved".to_owned(),
        State::ChangedSinceApproval if s.removed => "removed (unapproved)".to_owned(),
        State::ChangedSinceApproval if s.uncommitted => "changed (uncommitted)".to_owned(),
        State::ChangedSinceApproval => "changed".to_owned(),
        State::Withdrawn => "withdrawn".to_owned(),
        State::Pending => "pending (approved, waiting for merge)".to_owned(),
    }
    .to_owned()
        + if !s.pending.is_empty() && s.state != State::Pending {
            "; approval pending merge"
        } else {
            ""
        }
}

fn render_human(register: &Register, out: &mut dyn Write) -> io::Result<()> {
    let header = [
        "ID",
        "TITLE",
        "VERSION",
        "STATE",
        "APPROVED BY",
        "ON",
        "REVIEW DUE",
    ];
    let mut table: Vec<[String; 7]> = vec![header.map(str::to_owned)];
    for e in rows(register) {
        let last = e.state.last_approval();
        let t = |s: &str| crate::safe::terminal(s).into_owned();
        table.push([
            t(&e.id),
            truncate(&t(&e.title), 34),
            version_label(e),
            state_label(e),
            last.map_or("-".to_owned(), |a| {
                format!("{} ({})", t(&a.signer_email), t(&a.claim.role))
            }),
            last.map_or("-".to_owned(), |a| Date::from_unix(a.time).to_string()),
            e.state.review_due.map_or("-".to_owned(), |d| d.to_string()),
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|i| {
            table
                .iter()
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in &table {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i == 6 {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    let count = |st: State| {
        register
            .entries
            .iter()
            .filter(|e| e.state.state == st)
            .count()
    };
    let when = match (&register.commit, register.working_tree) {
        (_, true) => "the working tree".to_owned(),
        (Some(c), false) => format!("commit {}", crate::history::short_id(c)),
        (None, false) => "no commit".to_owned(),
    };
    writeln!(
        out,
        "\n{} documents as of {} ({when}): {} approved, {} changed since approval, {} never approved, {} review overdue",
        register.entries.len(),
        register.as_of,
        count(State::Approved),
        count(State::ChangedSinceApproval),
        count(State::NeverApproved),
        count(State::ReviewOverdue),
    )?;
    match &register.trust {
        None => writeln!(
            out,
            "aims.toml has never been approved: no approval can count until top management approves it (`aims approve aims.toml`)."
        )?,
        Some(t) => {
            if !register.trust_changes.is_empty() || register.config.state.state != State::Approved
            {
                writeln!(
                    out,
                    "Roles and keys are read from aims.toml as approved by {} on {} (tag {}); later edits grant nothing until approved.",
                    t.approval.signer_email,
                    Date::from_unix(t.approval.time),
                    t.approval.tag
                )?;
            }
        }
    }
    let refused = register.refused.len();
    if refused > 0 {
        writeln!(
            out,
            "{refused} tag{} under refs/tags/aims/ did not count as approvals: `aims check` says why.",
            if refused == 1 { "" } else { "s" }
        )?;
    }
    Ok(())
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

pub fn csv_field(s: &str) -> String {
    crate::safe::csv(s)
}

/// One line of a document's history.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct RevisionJson<'a> {
    pub commit: &'a str,
    pub date: String,
    pub author: &'a str,
    pub author_email: &'a str,
    /// Where the document was (for aims.toml: the trust files that changed).
    pub path: &'a str,
    /// The content's blob id; 40 zeros for a removal.
    pub blob: &'a str,
    /// The approved version this content is, if any.
    pub version: Option<u32>,
}

pub fn render_log(
    entry: &Entry,
    register: &Register,
    format: crate::commands::ListFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    let version_of = |blob: &str| {
        entry
            .state
            .counted
            .iter()
            .find(|(a, _)| a.claim.blob == blob)
            .map(|(_, v)| *v)
    };
    let approvals = approvals(entry, register);
    if format == crate::commands::ListFormat::Json {
        let revisions: Vec<RevisionJson> = entry
            .revisions
            .iter()
            .rev()
            .map(|r| RevisionJson {
                commit: &r.commit,
                date: Date::from_unix(r.time).to_string(),
                author: &r.author_name,
                author_email: &r.author_email,
                path: &r.path,
                blob: &r.blob,
                version: version_of(&r.blob),
            })
            .collect();
        let doc = LogJson {
            schema: "aims.log/v1",
            document: document_json(entry, register),
            revisions,
        };
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        return writeln!(out);
    }
    let t = |s: &str| crate::safe::terminal(s).into_owned();
    writeln!(
        out,
        "{} {} ({}) — {}, {}",
        t(&entry.id),
        t(&entry.title),
        t(&entry.kind),
        match entry.state.version {
            Some(v) => format!("v{v}"),
            None => "no approved version".to_owned(),
        },
        state_label(entry)
    )?;
    if let Some(due) = entry.state.review_due {
        writeln!(out, "Review due {due}")?;
    }
    writeln!(out)?;
    // Events newest first: revisions and approvals interleaved by time.
    let mut events: Vec<(i64, u8, String)> = Vec::new();
    if entry.state.uncommitted {
        events.push((
            i64::MAX,
            0,
            "(working tree)  uncommitted change — not approved".to_owned(),
        ));
    }
    // The configuration's versions are its files as a whole, numbered by
    // the chain; a document's, its content.
    let config_numbers = (entry.id == crate::control::CONFIG_ID).then(|| register.chain.numbers());
    for (i, r) in entry.revisions.iter().enumerate() {
        let number = match &config_numbers {
            Some(numbers) => numbers.get(i).copied().flatten(),
            None if r.is_removal() => None,
            None => version_of(&r.blob),
        };
        let mark = match number {
            Some(v) => format!("content of v{v}"),
            None if r.is_removal() => "removed".to_owned(),
            None => "not approved".to_owned(),
        };
        events.push((
            r.time,
            1,
            format!(
                "{}  commit {}  {} <{}>  {}  — {mark}",
                Date::from_unix(r.time),
                crate::history::short_id(&r.commit),
                t(&r.author_name),
                t(&r.author_email),
                t(&r.path)
            ),
        ));
    }
    for a in &approvals {
        let status = match (a.counts, a.verified) {
            (true, _) => format!(
                "counts as v{} · signature verified ({})",
                a.version.unwrap_or(0),
                a.fingerprint.as_deref().unwrap_or("")
            ),
            (false, true) => format!(
                "signature verified, does not count: {}",
                a.reason.as_deref().unwrap_or("")
            ),
            (false, false) => format!("NOT VERIFIED: {}", a.reason.as_deref().unwrap_or("")),
        };
        let time = a
            .date
            .as_deref()
            .and_then(|d| d.parse::<Date>().ok())
            .map_or(0, crate::control::end_of_day);
        events.push((
            time,
            2,
            format!(
                "{}  tag {}  {} by {} as {}  — {status}",
                a.date.as_deref().unwrap_or("????-??-??"),
                a.tag,
                a.decision.unwrap_or("claimed"),
                a.signer.as_deref().unwrap_or("?"),
                a.role.as_deref().unwrap_or("?"),
            ),
        ));
    }
    for s in register
        .signoffs
        .iter()
        .filter(|s| s.documents.iter().any(|(id, _, _)| *id == entry.id))
    {
        events.push((
            s.time,
            3,
            format!(
                "{}  commit {}  {}: {}  — commit signature verified",
                Date::from_unix(s.time),
                crate::history::short_id(&s.commit),
                s.trailer.as_str(),
                s.email
            ),
        ));
    }
    events.sort_by_key(|e| std::cmp::Reverse((e.0, e.1)));
    for (_, _, line) in events {
        // One event, one line: whatever a tag or commit holds.
        writeln!(out, "{}", t(&line))?;
    }
    Ok(())
}
