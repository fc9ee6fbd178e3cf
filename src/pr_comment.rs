//! `aims pr-comment --base REF --head REF`: what a pull request does to the
//! AIMS, for a sticky comment by the CI bot. The controlled documents it
//! changes (with the approvals still missing, by role and by name), the
//! findings it introduces and resolves (the full check at base and at
//! head, compared), reviews falling due, and a one-line verdict.
//!
//! Both sides are read from git (their trees, the history up to them, the
//! approval tags as of now), never from the working tree, so the comment
//! describes the pull request and nothing else.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::Path;

use git2::{Oid, Repository};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::control::{self, CONFIG_ID, Entry, Register};
use crate::date::Date;
use crate::docs::Kind;
use crate::finding::{Classification, Finding};
use crate::history::state::State;
use crate::report::json::FindingJson;
use crate::report::markdown::cell;
use crate::rules;
use crate::workspace::Workspace;

/// The first line of every comment: the bot finds its own comment by it.
pub const MARKER: &str = "<!-- aims:pr-comment -->";
/// GitHub refuses comments longer than 65,536 characters; keep a margin.
pub const LIMIT: usize = 60_000;
/// Reviews due within this many days are listed.
const REVIEW_WINDOW_DAYS: i64 = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PrFormat {
    /// The comment itself, as the bot posts it.
    Markdown,
    /// `aims.pr-comment/v1` JSON, for a bot of your own.
    Json,
}

pub struct Options {
    pub base: String,
    pub head: String,
    /// The pull request's web address: changed documents link to their
    /// diff in its "Files changed" tab.
    pub url: Option<String>,
    pub format: PrFormat,
}

#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Comment {
    #[schemars(extend("const" = "aims.pr-comment/v1"))]
    pub schema: &'static str,
    pub base: String,
    pub head: String,
    pub as_of: Date,
    pub ready: bool,
    pub verdict: String,
    pub changed: Vec<Changed>,
    pub introduced: Vec<Judged>,
    pub resolved: Vec<Judged>,
    #[serde(rename = "reviews-due")]
    pub reviews_due: Vec<ReviewDue>,
    /// What the changed PRDs ask of the AIMS: impact assessments to review
    /// (a high-risk system's requirements changed), inventory entries to add.
    pub asks: Vec<Ask>,
}

/// Something a PRD change asks the AIMS owner to do.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Ask {
    /// `review-impact-assessment` or `add-inventory-entry`.
    pub action: &'static str,
    pub prd: String,
    pub path: String,
    /// The AI system the PRD names, when it names one.
    pub system: Option<String>,
    /// Its risk tier in the inventory, when it has one.
    pub tier: Option<String>,
    /// Why, in a sentence.
    pub why: String,
    /// The impact assessments to review (empty: none covers the system yet).
    pub assessments: Vec<Assessment>,
    /// Who approves what is asked for (the assessment, or the inventory entry).
    pub approvers: Vec<Missing>,
}

/// An impact assessment to review, with who answers for it.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Assessment {
    pub id: String,
    pub title: String,
    /// Its owner as written (an email or a role), with the role's members.
    pub owner: String,
    pub owner_people: Vec<String>,
}

/// A controlled document the pull request adds, changes, moves or removes.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Changed {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub path: String,
    /// `added`, `modified`, `moved`, `removed`.
    pub change: &'static str,
    pub added: usize,
    pub removed: usize,
    /// The state at head (null when removed).
    pub state: Option<&'static str>,
    pub version: Option<u32>,
    /// The approval that covers the head content, when there is one.
    #[serde(rename = "approved-by")]
    pub approved_by: Option<ApprovedBy>,
    /// Who may still approve it, when it needs an approval.
    pub missing: Vec<Missing>,
    pub link: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ApprovedBy {
    pub signer: String,
    pub role: String,
    pub date: Date,
}

#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Missing {
    pub role: String,
    /// Members of the role who may approve (not the change's authors when
    /// require-distinct-approver is set).
    pub people: Vec<String>,
    /// Members left out because they wrote the change.
    pub authors: Vec<String>,
}

/// A finding introduced or resolved, serialised as in `aims.check/v1`.
pub struct Judged(pub Finding);

impl Serialize for Judged {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        FindingJson::from(&self.0).serialize(s)
    }
}

impl schemars::JsonSchema for Judged {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        FindingJson::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        FindingJson::json_schema(generator)
    }
}

#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ReviewDue {
    pub id: String,
    pub title: String,
    #[serde(rename = "review-due")]
    pub review_due: Date,
    pub overdue: bool,
}

/// One side of the pull request, checked in full.
struct Side {
    ws: Workspace,
    register: Register,
    findings: Vec<Finding>,
}

fn side(
    root: &Path,
    repo: &Repository,
    commit: Oid,
    now: i64,
    offline: &mut bool,
    upstream_of: Option<&Config>,
    records: &mut Option<Vec<crate::history::approvals::TagRecord>>,
) -> miette::Result<Side> {
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(control::git_error)?;
    let ws = Workspace::from_tree(root, repo, &tree)?;
    if ws.config.upstream.is_some() {
        // A product repository: its PRDs against the upstream AIMS as the
        // head names it (fetched once, for the first side read), so a pull
        // request that changes [upstream] is judged by what it proposes.
        let (ws, register, findings) =
            crate::product::side(root, repo, commit, *offline, upstream_of)?;
        *offline = true;
        return Ok(Side {
            ws,
            register,
            findings,
        });
    }
    // The approval tags are the repository's, the same for both sides:
    // read once.
    let records = match records {
        Some(records) => records,
        None => records.insert(crate::history::approvals::read(repo).map_err(control::git_error)?),
    };
    let register = Register::build_for(&ws, repo, Some(commit), now, false, records, None)?;
    let findings = rules::check(&ws, Some(&register));
    Ok(Side {
        ws,
        register,
        findings,
    })
}

fn resolve(repo: &Repository, spec: &str) -> miette::Result<Oid> {
    control::resolve_commit(repo, spec).map_err(|e| {
        miette::miette!(
            help = "in GitHub Actions: `--base origin/${{ github.base_ref }} --head HEAD`, \
                        after a checkout with `fetch-depth: 0`",
            "cannot resolve `{spec}`: {}",
            e.message()
        )
    })
}

/// Compares the AIMS at `base` and `head`.
pub fn build(root: &Path, opts: &Options) -> miette::Result<Comment> {
    let repo = control::require_repository(root)?;
    let base_id = resolve(&repo, &opts.base)?;
    let head_id = resolve(&repo, &opts.head)?;
    // Where the branch left the base: changes made on the base since are
    // not the pull request's.
    let fork = repo.merge_base(base_id, head_id).map_err(|e| {
        miette::miette!(
            "`{}` and `{}` share no history: {}",
            opts.base,
            opts.head,
            e.message()
        )
    })?;
    let now = control::now();
    // The base may predate the AIMS (a pull request that introduces it).
    // It is built first: the head's walk then only extends the base's
    // (history::cache) when the branch is a line of commits on top of it.
    let git = control::git_error;
    let fork_tree = repo.find_commit(fork).and_then(|c| c.tree()).map_err(git)?;
    let mut offline = crate::sync::offline();
    let mut records = None;
    // The head's configuration, whose [upstream] both sides are read against.
    let head_tree = repo
        .find_commit(head_id)
        .and_then(|c| c.tree())
        .map_err(git)?;
    let head_config = crate::history::blob_at(&repo, &head_tree, crate::config::FILE_NAME)
        .map_err(git)?
        .and_then(|(_, bytes)| Config::parse(std::str::from_utf8(&bytes).ok()?).ok())
        .filter(|c| c.upstream.is_some());
    let base = match fork_tree.get_name(crate::config::FILE_NAME) {
        Some(_) => Some(side(
            root,
            &repo,
            fork,
            now,
            &mut offline,
            head_config.as_ref(),
            &mut records,
        )?),
        None => None,
    };
    let head = side(
        root,
        &repo,
        head_id,
        now,
        &mut offline,
        head_config.as_ref(),
        &mut records,
    )?;

    // The pull request's own commits: their authors may not approve.
    let mut walk = repo.revwalk().map_err(git)?;
    walk.push(head_id).map_err(git)?;
    walk.hide(fork).map_err(git)?;
    let mut pr_commits = BTreeSet::new();
    for oid in walk {
        pr_commits.insert(oid.map_err(git)?.to_string());
    }

    let approved = head.register.trust.as_ref().map(|a| &a.root.config);
    let config = approved.unwrap_or(&head.ws.config);
    let mut changed = Vec::new();
    let base_entries: BTreeMap<&str, &Entry> = base
        .iter()
        .flat_map(|b| std::iter::once(&b.register.config).chain(&b.register.entries))
        .map(|e| (e.id.as_str(), e))
        .collect();
    for entry in std::iter::once(&head.register.config).chain(&head.register.entries) {
        let head_blob = entry.revisions.last().map(|r| &*r.blob);
        let before = base_entries.get(entry.id.as_str());
        let base_blob = before.and_then(|e| e.revisions.last()).map(|r| &*r.blob);
        let gone = |b: Option<&str>| b.is_none_or(|b| b == crate::history::revisions::NO_CONTENT);
        let change = match before {
            None if gone(head_blob) => continue,
            None => "added",
            Some(_) if gone(head_blob) && gone(base_blob) => continue,
            Some(_) if gone(head_blob) => "removed",
            Some(_) if head_blob != base_blob => "modified",
            Some(b) if b.path != entry.path => "moved",
            Some(_) => continue,
        };
        let old = match (before, &base) {
            (Some(b), Some(side)) => text_of(&side.ws, &b.path),
            _ => String::new(),
        };
        let (added, removed) = crate::redline::counts(&old, &text_of(&head.ws, &entry.path));
        let kind = Kind::parse(&entry.kind);
        let roles = match kind {
            None => config.kind_policy(Kind::Policy).approvers.clone(),
            Some(k) => config.kind_policy(k).approvers.clone(),
        };
        let authors: BTreeSet<String> = entry
            .revisions
            .iter()
            .filter(|r| pr_commits.contains(&*r.commit))
            .map(|r| r.author_email.to_lowercase())
            .collect();
        let needs = !matches!(
            entry.state.state,
            State::Approved | State::ReviewOverdue | State::Withdrawn | State::Pending
        );
        let missing = if needs {
            missing(&roles, config, &authors)
        } else {
            Vec::new()
        };
        let approved_by = (!needs)
            .then(|| entry.state.last_approval())
            .flatten()
            .map(|a| ApprovedBy {
                signer: a.signer_email.clone(),
                role: a.claim.role.clone(),
                date: Date::from_unix(a.time),
            });
        changed.push(Changed {
            id: entry.id.clone(),
            title: entry.title.clone(),
            kind: entry.kind.clone(),
            path: entry.path.clone(),
            change,
            added,
            removed,
            state: Some(entry.state.state.as_str()),
            version: entry.state.version,
            approved_by,
            missing,
            link: opts.url.as_deref().map(|u| file_link(u, &entry.path)),
        });
    }
    let head_ids: BTreeSet<&str> = std::iter::once(CONFIG_ID)
        .chain(head.register.entries.iter().map(|e| e.id.as_str()))
        .collect();
    for (id, entry) in &base_entries {
        if !head_ids.contains(id) {
            let old = base
                .as_ref()
                .map_or(String::new(), |b| text_of(&b.ws, &entry.path));
            changed.push(Changed {
                id: entry.id.clone(),
                title: entry.title.clone(),
                kind: entry.kind.clone(),
                path: entry.path.clone(),
                change: "removed",
                added: 0,
                removed: old.lines().count(),
                state: None,
                version: entry.state.version,
                approved_by: None,
                missing: Vec::new(),
                link: None,
            });
        }
    }
    changed.sort_by(|a, b| (a.id != CONFIG_ID, &a.id).cmp(&(b.id != CONFIG_ID, &b.id)));

    // Findings are compared by what they say and where, not by line
    // numbers, which an edit above them moves.
    let key = Finding::identity;
    let base_findings: &[Finding] = base.as_ref().map_or(&[], |b| &b.findings);
    let before: BTreeSet<_> = base_findings.iter().map(key).collect();
    let after: BTreeSet<_> = head.findings.iter().map(key).collect();
    let introduced: Vec<Judged> = head
        .findings
        .iter()
        .filter(|f| !before.contains(&key(f)))
        .map(|f| Judged(f.clone()))
        .collect();
    let resolved: Vec<Judged> = base_findings
        .iter()
        .filter(|f| !after.contains(&key(f)))
        .map(|f| Judged(f.clone()))
        .collect();

    let today = Date::from_unix(now);
    let horizon = Date::from_days(today.to_days() + REVIEW_WINDOW_DAYS);
    let mut reviews_due: Vec<ReviewDue> = crate::reviews::due(&head.register, horizon)
        .map(|(e, due)| ReviewDue {
            id: e.id.clone(),
            title: e.title.clone(),
            review_due: due,
            overdue: due < today,
        })
        .collect();
    reviews_due.sort_by(|a, b| (a.review_due, &a.id).cmp(&(b.review_due, &b.id)));

    let asks = asks(&changed, &head.ws, config);

    let unapproved = changed.iter().filter(|c| !c.missing.is_empty()).count();
    let failing = introduced
        .iter()
        .filter(|j| j.0.classification.at_least(Classification::Minor))
        .count();
    let ready = unapproved == 0 && failing == 0;
    let verdict = if ready {
        match changed.len() {
            0 => "✅ No controlled document changes, and no findings introduced.".to_owned(),
            n => format!(
                "✅ Ready: {} approved at the proposed content, and no findings introduced.",
                plural(n, "changed document", "changed documents")
            ),
        }
    } else {
        let mut parts = Vec::new();
        if unapproved > 0 {
            parts.push(format!(
                "{} approval",
                plural(unapproved, "document needs", "documents need")
            ));
        }
        if failing > 0 {
            parts.push(format!(
                "{} introduced",
                plural(failing, "nonconformity", "nonconformities")
            ));
        }
        format!("❌ Not ready to merge: {}.", parts.join("; "))
    };
    crate::commands::ends_with_process((base, head));
    Ok(Comment {
        schema: "aims.pr-comment/v1",
        base: fork.to_string(),
        head: head_id.to_string(),
        as_of: today,
        ready,
        verdict,
        changed,
        introduced,
        resolved,
        reviews_due,
        asks,
    })
}

/// Tiers whose systems' requirement changes call for a reassessment.
const REASSESSED_TIERS: &[&str] = &["high", "prohibited"];

/// Words that say a PRD describes an AI feature.
const AI_TERMS: &[&str] = &[
    "AI",
    "ML",
    "LLM",
    "artificial intelligence",
    "machine learning",
    "machine-learning",
    "large language model",
    "generative",
    "neural network",
    "classifier",
    "chatbot",
];

/// What the changed PRDs ask of the AIMS (A.5: an impact assessment is
/// reviewed when a high-risk system's purpose, data or users change; A.4/
/// A.6: every AI system is inventoried before it is built on).
fn asks(changed: &[Changed], ws: &Workspace, config: &Config) -> Vec<Ask> {
    let index = ws.index();
    let role_people = |who: &str| -> Vec<String> {
        config
            .roles
            .get(who)
            .cloned()
            .unwrap_or_else(|| vec![who.to_owned()])
    };
    let approvers = |kind: Kind| {
        missing(
            &config.kind_policy(kind).approvers,
            config,
            &BTreeSet::new(),
        )
    };
    let mut out = Vec::new();
    for c in changed.iter().filter(|c| c.change != "removed") {
        let Some(doc) = ws.documents().find(|d| d.path == c.path && d.is_prd) else {
            continue;
        };
        let block = doc
            .frontmatter
            .get("aims")
            .and_then(crate::docs::Node::as_table);
        let system = block
            .and_then(|b| b.str("ai-system"))
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let Some(system) = system else {
            // No [aims] block: a new feature that reads like AI, naming no
            // inventoried system.
            if c.change == "added" && block.is_none() {
                let names_system = ws
                    .documents()
                    .filter(|d| d.kind() == Some(Kind::AiSystem))
                    .filter_map(|d| d.id())
                    .any(|id| mentions(&doc.source, id));
                let term = AI_TERMS.iter().find(|t| mentions(&doc.source, t));
                if let (false, Some(term)) = (names_system, term) {
                    out.push(Ask {
                        action: "add-inventory-entry",
                        prd: c.id.clone(),
                        path: c.path.clone(),
                        system: None,
                        tier: None,
                        why: format!(
                            "it describes an AI feature (it says \"{term}\") but names no inventoried AI system: inventory the system in the AIMS repository (`aims new ai-system`) and add an [aims] block naming it, or say why it is not AI"
                        ),
                        assessments: Vec::new(),
                        approvers: approvers(Kind::AiSystem),
                    });
                }
            }
            continue;
        };
        let Some(inventoried) = index
            .get(system)
            .filter(|d| d.kind() == Some(Kind::AiSystem))
        else {
            out.push(Ask {
                action: "add-inventory-entry",
                prd: c.id.clone(),
                path: c.path.clone(),
                system: Some(system.to_owned()),
                tier: None,
                why: format!(
                    "it names the AI system {system}, which the inventory does not have: add its inventory entry in the AIMS repository (`aims new ai-system`) or correct the id"
                ),
                assessments: Vec::new(),
                approvers: approvers(Kind::AiSystem),
            });
            continue;
        };
        let tier = inventoried
            .frontmatter
            .str("risk-tier")
            .map(|t| t.trim().to_owned());
        if !tier
            .as_deref()
            .is_some_and(|t| REASSESSED_TIERS.contains(&t))
        {
            continue;
        }
        // The assessment the PRD names, else every one of the system.
        let named = block
            .and_then(|b| b.str("impact-assessment"))
            .and_then(|id| index.get(id.trim()))
            .filter(|d| d.kind() == Some(Kind::ImpactAssessment));
        let assessments: Vec<Assessment> = match named {
            Some(d) => vec![*d],
            None => ws
                .documents()
                .filter(|d| d.kind() == Some(Kind::ImpactAssessment))
                .filter(|d| d.frontmatter.str("ai-system").map(str::trim) == Some(system))
                .collect(),
        }
        .into_iter()
        .map(|d| {
            let owner = d.owner().unwrap_or_default().to_owned();
            Assessment {
                id: d.id().unwrap_or_default().to_owned(),
                title: d.title().unwrap_or_default().to_owned(),
                owner_people: role_people(&owner),
                owner,
            }
        })
        .collect();
        let what = if c.change == "added" {
            "adds a PRD for"
        } else {
            "changes the PRD of"
        };
        let why = if assessments.is_empty() {
            format!(
                "it {what} {system}, a {} risk system, and no impact assessment covers {system}: assess it before the change ships",
                tier.as_deref().unwrap_or_default()
            )
        } else {
            format!(
                "it {what} {system}, a {} risk system: if its purpose, data or users change, its impact assessment must be reviewed before the change ships",
                tier.as_deref().unwrap_or_default()
            )
        };
        out.push(Ask {
            action: "review-impact-assessment",
            prd: c.id.clone(),
            path: c.path.clone(),
            system: Some(system.to_owned()),
            tier,
            why,
            assessments,
            approvers: approvers(Kind::ImpactAssessment),
        });
    }
    out
}

/// Whether `text` has `term` as a whole word: case-insensitive, except for
/// short all-capital terms (`AI`), which must be written so.
fn mentions(text: &str, term: &str) -> bool {
    let exact = term.len() <= 3 && term.chars().all(|c| c.is_ascii_uppercase());
    let (hay, needle) = if exact {
        (text.to_owned(), term.to_owned())
    } else {
        (text.to_lowercase(), term.to_lowercase())
    };
    let bytes = hay.as_bytes();
    hay.match_indices(&needle).any(|(i, m)| {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + m.len()).copied();
        let edge = |c: Option<u8>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
        edge(before) && edge(after)
    })
}

fn text_of(ws: &Workspace, path: &str) -> String {
    ws.source(path).unwrap_or_default().to_owned()
}

fn missing(roles: &[String], config: &Config, authors: &BTreeSet<String>) -> Vec<Missing> {
    roles
        .iter()
        .map(|role| {
            let (authors, people) = config
                .roles
                .get(role)
                .into_iter()
                .flatten()
                .cloned()
                .partition(|m: &String| {
                    config.require_distinct_approver && authors.contains(&m.to_lowercase())
                });
            Missing {
                role: role.clone(),
                people,
                authors,
            }
        })
        .collect()
}

/// The file's anchor in the pull request's "Files changed" tab: GitHub
/// names it `diff-` and the SHA-256 of the path.
fn file_link(url: &str, path: &str) -> String {
    let digest = Sha256::digest(path.as_bytes());
    let hex = crate::history::hex(&digest);
    format!("{}/files#diff-{hex}", url.trim_end_matches('/'))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub fn render(comment: &Comment, format: PrFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        PrFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, comment)?;
            writeln!(out)
        }
        PrFormat::Markdown => {
            // Long lists are cut until the comment fits GitHub's limit.
            for cap in [usize::MAX, 50, 10, 0] {
                let text = markdown(comment, cap);
                if text.len() <= LIMIT || cap == 0 {
                    return out.write_all(text.as_bytes());
                }
            }
            Ok(())
        }
    }
}

fn markdown(c: &Comment, cap: usize) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let short = |id: &str| crate::history::short_id(id).to_owned();
    let _ = writeln!(s, "{MARKER}");
    let _ = writeln!(s, "### AIMS review\n\n**{}**\n", c.verdict);
    let more = |s: &mut String, shown: usize, total: usize, what: &str| {
        if total > shown {
            let _ = writeln!(
                s,
                "\n… and {} more {what} (`aims pr-comment --format json` lists them all).",
                total - shown
            );
        }
    };

    if c.changed.is_empty() {
        let _ = writeln!(s, "This pull request changes no controlled document.\n");
    } else {
        let _ = writeln!(
            s,
            "#### Controlled documents changed ({})\n\n| Document | Change | Lines | Approval |\n|---|---|---|---|",
            c.changed.len()
        );
        for d in c.changed.iter().take(cap) {
            let name = format!("**{}** {}", cell(&d.id), cell(&d.title));
            let name = match &d.link {
                Some(link) => format!("[{name}]({link})"),
                None => name,
            };
            let approval = if d.change == "removed" && d.state == Some("withdrawn") {
                match &d.approved_by {
                    Some(a) => format!(
                        "✅ withdrawal approved by {} ({}) on {}",
                        cell(&a.signer),
                        cell(&a.role),
                        a.date
                    ),
                    None => "✅ withdrawal approved".to_owned(),
                }
            } else if d.change == "removed" && d.missing.is_empty() {
                "removed (never approved: nothing to withdraw)".to_owned()
            } else if let Some(a) = &d.approved_by {
                format!(
                    "✅ v{} approved by {} ({}) on {}, waiting for merge",
                    d.version.unwrap_or(0),
                    cell(&a.signer),
                    cell(&a.role),
                    a.date
                )
            } else {
                let who: Vec<String> = d
                    .missing
                    .iter()
                    .map(|m| match (m.people.is_empty(), m.authors.is_empty()) {
                        (false, _) => format!("{}: {}", cell(&m.role), cell(&m.people.join(", "))),
                        (true, true) => format!("{} (a role with no members)", cell(&m.role)),
                        (true, false) => format!(
                            "{} (no member but the change's author {})",
                            cell(&m.role),
                            cell(&m.authors.join(", "))
                        ),
                    })
                    .collect();
                format!("⏳ needs approval from {}", who.join(" or "))
            };
            let _ = writeln!(
                s,
                "| {name} | {} | +{} −{} | {approval} |",
                d.change, d.added, d.removed
            );
        }
        more(
            &mut s,
            cap.min(c.changed.len()),
            c.changed.len(),
            "documents",
        );
        let _ = writeln!(
            s,
            "\nRedline of a document: `aims diff ID {} {}`; approve: `aims approve ID` on the branch.\n",
            short(&c.base),
            short(&c.head)
        );
    }

    if !c.asks.is_empty() {
        let _ = writeln!(s, "#### What this means for the AIMS\n");
        let people = |m: &[Missing]| -> String {
            m.iter()
                .map(|m| {
                    if m.people.is_empty() {
                        cell(&m.role)
                    } else {
                        format!("{} ({})", cell(&m.role), cell(&m.people.join(", ")))
                    }
                })
                .collect::<Vec<_>>()
                .join(" or ")
        };
        for a in c.asks.iter().take(cap) {
            let _ = write!(
                s,
                "- **{}** (`{}`): {}",
                cell(&a.prd),
                cell(&a.path),
                cell(&a.why)
            );
            match a.action {
                "review-impact-assessment" if !a.assessments.is_empty() => {
                    let list: Vec<String> = a
                        .assessments
                        .iter()
                        .map(|x| {
                            let owner = if x.owner_people == [x.owner.clone()] {
                                cell(&x.owner)
                            } else {
                                format!("{} ({})", cell(&x.owner), cell(&x.owner_people.join(", ")))
                            };
                            format!("**{}** {}, owner {owner}", cell(&x.id), cell(&x.title))
                        })
                        .collect();
                    let _ = writeln!(
                        s,
                        "\n  - Review: {}; its re-approval is signed by {}.",
                        list.join("; "),
                        people(&a.approvers)
                    );
                }
                _ => {
                    let _ = writeln!(s, "\n  - Approved by {}.", people(&a.approvers));
                }
            }
        }
        more(&mut s, cap.min(c.asks.len()), c.asks.len(), "requests");
        let _ = writeln!(s);
    }

    for (title, list) in [
        ("Findings introduced", &c.introduced),
        ("Findings resolved", &c.resolved),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(s, "#### {title} ({})\n", list.len());
        for j in list.iter().take(cap) {
            let f = &j.0;
            let place = match (&f.path, f.line) {
                (Some(p), Some(l)) => format!(" `{p}:{l}`"),
                (Some(p), None) => format!(" `{p}`"),
                _ => String::new(),
            };
            let _ = writeln!(
                s,
                "- **{}** `{}`{place}: {}",
                f.classification.as_str(),
                f.rule.code,
                cell(&f.message)
            );
        }
        more(&mut s, cap.min(list.len()), list.len(), "findings");
        s.push('\n');
    }

    if !c.reviews_due.is_empty() {
        let _ = writeln!(s, "#### Reviews falling due\n");
        for r in c.reviews_due.iter().take(cap) {
            let when = if r.overdue { "overdue since" } else { "due" };
            let _ = writeln!(
                s,
                "- **{}** {}: {when} {}",
                cell(&r.id),
                cell(&r.title),
                r.review_due
            );
        }
        more(
            &mut s,
            cap.min(c.reviews_due.len()),
            c.reviews_due.len(),
            "reviews",
        );
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "<sub>aims {} · base {} → head {} · as of {}</sub>",
        env!("CARGO_PKG_VERSION"),
        short(&c.base),
        short(&c.head),
        c.as_of
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_use_githubs_file_anchor() {
        // sha256("aims/policy/ai.md")
        let link = file_link("https://github.com/o/r/pull/7/", "aims/policy/ai.md");
        assert!(link.starts_with("https://github.com/o/r/pull/7/files#diff-"));
        assert_eq!(
            link.len(),
            "https://github.com/o/r/pull/7/files#diff-".len() + 64
        );
    }
}
