//! The commands behind the CLI. Each writes its output to `out` and returns
//! whether it found something that should fail the run; `main` maps that
//! to an exit code.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use miette::IntoDiagnostic;

use crate::approve::{self, ApproveOptions};
use crate::audit::crosswalk::Framework;
use crate::audit::render::AuditFormat;
use crate::catalog;
use crate::control::{self, AsOf, Register};
use crate::date::Date;
use crate::docs::Kind;
use crate::docs::schema::KINDS;
use crate::finding::Classification;
use crate::gate;
use crate::hooks;
use crate::redline::{self, RedlineFormat, Side};
use crate::report::register::{self as register_report, StatusFormat};
use crate::report::{self, Format};
use crate::rules::{self, RuleJson};
use crate::scaffold;
use crate::workspace::{self, Workspace};

/// How a command ended, when it could do its job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing at or above the failing classification.
    Clean,
    /// Findings at or above the failing classification.
    Findings,
}

pub struct CheckOptions {
    pub format: Format,
    pub fail_on: Classification,
    pub color: bool,
    pub mode: CheckMode,
}

/// What `aims check` reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CheckMode {
    /// The working tree and the whole history.
    #[default]
    All,
    /// The index, for the pre-commit hook.
    Staged,
    /// git's pre-push lines (or the pre-commit framework's variables).
    PrePush,
}

pub fn check(start: &Path, opts: &CheckOptions, out: &mut dyn Write) -> miette::Result<Outcome> {
    let root = workspace::discover(start)?;
    let checked = match opts.mode {
        CheckMode::All => vec![check_all(&root)?],
        CheckMode::Staged => vec![gate::staged(&root)?],
        CheckMode::PrePush => gate::pre_push(&root, &pushed_updates(&root)?)?,
    };
    let mut failing = false;
    for c in &checked {
        report::render(
            opts.format,
            &c.findings,
            &c.ws,
            &report::Options { color: opts.color },
            out,
        )
        .into_diagnostic()?;
        failing |= c
            .findings
            .iter()
            .any(|f| f.classification.at_least(opts.fail_on));
    }
    ends_with_process(checked);
    Ok(if failing {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// Every rule over the working tree, with the register where there is a
/// git history.
fn check_all(root: &Path) -> miette::Result<gate::Checked> {
    let (ws, register) = match control::open_repository(root)? {
        Ok(repo) => {
            if is_product(root)? {
                return crate::product::check(root, &repo, crate::sync::offline());
            }
            let (ws, register) = crate::sources::open(root, &repo, &AsOf::Now)?;
            (ws, Some(register))
        }
        Err(why) if is_product(root)? => {
            miette::bail!(
                help = "run `git init` here: the upstream AIMS is fetched into .git/aims",
                "{why}; a product repository's PRDs are checked against its upstream AIMS, which \
                 aims caches in the repository"
            );
        }
        Err(why) => {
            // Loud, but not fatal: the document rules still apply.
            eprintln!(
                "aims: note: {why}; the document-control rules (CTL…) need the git history \
                 and were skipped"
            );
            (Workspace::open(root)?, None)
        }
    };
    let findings = rules::check(&ws, register.as_ref());
    ends_with_process(register);
    Ok(gate::Checked { ws, findings })
}

/// Whether the repository at `root` is a product repository (its
/// aims.toml names an `[upstream]`).
fn is_product(root: &Path) -> miette::Result<bool> {
    Ok(crate::config::Config::load(root)?.upstream.is_some())
}

/// The refs a push updates: from the pre-commit framework's variables,
/// else git's pre-push lines on stdin.
fn pushed_updates(root: &Path) -> miette::Result<Vec<gate::Update>> {
    if let Some(update) = gate::update_from_env(root)? {
        return Ok(vec![update]);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        miette::bail!(
            help = "install it as a hook (`aims hook install`), or pipe lines in: \
                    echo \"refs/heads/main $(git rev-parse HEAD) refs/heads/main \
                    $(git rev-parse origin/main)\" | aims check --pre-push",
            "--pre-push reads git's pre-push lines on stdin"
        );
    }
    let text = std::io::read_to_string(stdin).into_diagnostic()?;
    gate::parse_updates(&text)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// Plain text for a terminal.
    Text,
    /// JSON for scripts (`aims.rules/v1`, `aims.log/v1`).
    Json,
}

pub fn list_rules(format: ListFormat, out: &mut dyn Write) -> miette::Result<Outcome> {
    match format {
        ListFormat::Json => {
            let rules: Vec<RuleJson> = rules::ALL.iter().map(|r| RuleJson::from(*r)).collect();
            let doc = crate::rules::RulesJson {
                schema: "aims.rules/v1",
                rules,
            };
            serde_json::to_writer_pretty(&mut *out, &doc).into_diagnostic()?;
            writeln!(out).into_diagnostic()?;
        }
        ListFormat::Text => {
            writeln!(out, "{:<7} {:<12} {:<8} SUMMARY", "CODE", "CLASS", "CLAUSE")
                .into_diagnostic()?;
            for r in rules::ALL {
                let reference = r.clause.or(r.control).unwrap_or("");
                writeln!(
                    out,
                    "{:<7} {:<12} {:<8} {}",
                    r.code,
                    r.classification.as_str(),
                    reference,
                    r.summary
                )
                .into_diagnostic()?;
            }
            writeln!(out, "\n`aims explain CODE` prints what a rule checks, why an auditor cares and how to fix it.")
                .into_diagnostic()?;
        }
    }
    Ok(Outcome::Clean)
}

/// What a clause or control requires, from the requirements model.
fn explain_reference(reference: &str) -> Option<String> {
    use crate::requirements::{self, Check};
    // An element id as aims prints it: `9.3.2/previous-actions`.
    let reference = reference.split('/').next().unwrap_or(reference);
    let upper = reference.to_ascii_uppercase();
    if let Some(g) = catalog::group(&upper) {
        let controls: Vec<String> = catalog::CONTROLS
            .iter()
            .filter(|c| c.id.starts_with(&format!("{}.", g.id)))
            .map(|c| format!("  {} {}", c.id, c.title))
            .collect();
        return Some(format!(
            "{} {}\n\nIts controls (`aims explain` each for its elements):\n{}\n",
            g.id,
            g.title,
            controls.join("\n")
        ));
    }
    let (id, title) = match catalog::clause(reference) {
        Some(c) => (c.id, c.title),
        None => {
            let c = catalog::control(&upper)?;
            (c.id, c.title)
        }
    };
    let mut text = format!(
        "{id} {title}
"
    );
    let children: Vec<&str> = catalog::CLAUSES
        .iter()
        .filter(|c| c.id.starts_with(&format!("{id}.")))
        .map(|c| c.id)
        .collect();
    let elements: Vec<_> = requirements::of(id).collect();
    if elements.is_empty() {
        text.push_str(&format!(
            "
Its elements are those of its sub-clauses: {}.
",
            children.join(", ")
        ));
        return Some(text);
    }
    text.push_str(
        "
What its documented information must show, and how aims judges it:
",
    );
    for e in elements {
        let how = match &e.check {
            Check::Field(c) => {
                let when = if c.when.is_empty() {
                    String::new()
                } else {
                    let when: Vec<String> = c
                        .when
                        .iter()
                        .map(|w| requirements::describe_condition(w))
                        .collect();
                    format!(" whose {}", when.join(" and "))
                };
                let which = match c.scope {
                    requirements::Scope::Each => "each",
                    requirements::Scope::Any => "at least one",
                };
                format!(
                    "in {which} {} document{when} (ISO029): add {}",
                    c.kind, c.hint
                )
            }
            Check::Rule(rc) => {
                let summary = rules::find(rc.code).map_or("", |r| r.summary);
                let on = match (rc.on, rc.about) {
                    (Some(kind), Some(about)) => format!(" (on {kind} documents, about {about})"),
                    (Some(kind), None) => format!(" (on {kind} documents)"),
                    _ => String::new(),
                };
                format!("by rule {}{on}: {summary}", rc.code)
            }
            Check::Judged(why) => format!("by the auditor, not by aims: {why}"),
        };
        text.push_str(&format!(
            "
  {}
    {}
    {how}
",
            e.id(),
            e.title
        ));
    }
    Some(text)
}

pub fn explain(code: &str, out: &mut dyn Write) -> miette::Result<Outcome> {
    if let Some(text) = explain_reference(code.trim()) {
        out.write_all(text.as_bytes()).into_diagnostic()?;
        return Ok(Outcome::Clean);
    }
    let looks_like_reference = code.trim().starts_with(|c: char| c.is_ascii_digit())
        || code.trim().to_ascii_uppercase().starts_with("A.");
    if looks_like_reference {
        miette::bail!(
            help = "clauses run from 4 to 10.2 and controls from A.2.2 to A.10.4; `aims rules` lists the rules",
            "there is no clause or control `{}`",
            code.trim()
        );
    }
    let Some(rule) = rules::find(code) else {
        let codes: Vec<&str> = rules::ALL.iter().map(|r| r.code).collect();
        let help = match rules::document::closest(code, &codes) {
            Some(c) => format!("did you mean {c}? `aims rules` lists every rule"),
            None => "`aims rules` lists every rule".to_owned(),
        };
        miette::bail!(help = help, "there is no rule `{code}`");
    };
    let mut text = format!("{} {}: {}\n\n", rule.code, rule.name, rule.summary);
    text.push_str(&format!(
        "Default classification: {}\n",
        rule.classification.label()
    ));
    if let Some(c) = rule.clause {
        let title = catalog::clause(c).map_or("", |c| c.title);
        text.push_str(&format!("ISO/IEC 42001 clause: {c} ({title})\n"));
    }
    if let Some(c) = rule.control {
        let title = catalog::control(c).map_or("", |c| c.title);
        text.push_str(&format!("Annex A control: {c} ({title})\n"));
    }
    text.push('\n');
    text.push_str(&rule.explanation());
    text.push_str(&format!(
        "\n\nTo change its classification or turn it off, in aims.toml:\n\n    [rules]\n    {} = \"observation\"   # or \"off\"\n",
        rule.code
    ));
    out.write_all(text.as_bytes()).into_diagnostic()?;
    Ok(Outcome::Clean)
}

/// `aims init --product`: the product side of an AIMS.
pub fn init_product(
    dir: &Path,
    upstream: &str,
    reference: &str,
    force: bool,
    out: &mut dyn Write,
) -> miette::Result<Outcome> {
    let done = scaffold::init_product(dir, upstream, reference, force)?;
    let text = format!(
        "Initialised a product repository in {} ({}), answering to the AIMS at {upstream} ({reference}).\n\n\
         Next:\n  aims sync              # fetch the AIMS with your git credentials\n  \
         aims new prd --system SYS-001 --title \"…\"   # a PRD, from {}\n  \
         aims check             # every PRD against the AIMS\n  \
         aims hook install      # the same check before each commit\n",
        done.root.display(),
        done.files.join(", "),
        scaffold::PRODUCT_PRD_TEMPLATE
    );
    out.write_all(text.as_bytes()).into_diagnostic()?;
    Ok(Outcome::Clean)
}

pub fn init(opts: &scaffold::InitOptions, out: &mut dyn Write) -> miette::Result<Outcome> {
    let done = scaffold::init(opts)?;
    let mut text = format!(
        "Initialised an AIMS in {} ({} files).\n",
        done.root.display(),
        done.files.len()
    );
    if done.email_is_placeholder {
        text.push_str(
            "\nNo git user.email was found, so every role in aims.toml lists owner@example.org.\n\
             Replace it with the real members of each role (or rerun with --email).\n",
        );
    } else {
        text.push_str(&format!(
            "\nEvery role in aims.toml lists {} for now; add the real members.\n",
            done.email
        ));
    }
    text.push_str(
        "\nNext:\n  aims check            # every document rule should pass\n  \
         edit aims/…           # replace the guidance with your organisation's reality\n  \
         git add -A && git commit -m \"AIMS: initial documents\"\n",
    );
    out.write_all(text.as_bytes()).into_diagnostic()?;
    Ok(Outcome::Clean)
}

pub fn new(
    start: &Path,
    kind: &str,
    title: Option<String>,
    owner: Option<String>,
    system: Option<String>,
    out: &mut dyn Write,
) -> miette::Result<Outcome> {
    let Some(kind) = Kind::parse(kind) else {
        let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
        let help = match rules::document::closest(kind, &names) {
            Some(k) => format!("did you mean {k}? Kinds: {}", names.join(", ")),
            None => format!("kinds: {}", names.join(", ")),
        };
        miette::bail!(help = help, "`{kind}` is not a kind of document");
    };
    let root = workspace::discover(start)?;
    let mut ws = Workspace::open(&root)?;
    let product = ws.config.upstream.is_some();
    if product {
        if kind != Kind::Prd {
            miette::bail!(
                help = "a product repository holds PRDs (`aims new prd`); the other documents live in the upstream AIMS",
                "`aims new {}` belongs in the AIMS repository",
                kind.name()
            );
        }
        // The upstream's documents: its inventory to offer, and its ids,
        // so the new PRD's id is free in both repositories.
        let repo = control::require_repository(&root)?;
        let upstream =
            crate::sources::upstream_for(&root, &repo, &ws.config, crate::sync::offline())?;
        let mine = std::mem::take(&mut ws.loaded);
        ws.context = upstream.ws.loaded.len();
        ws.loaded = upstream.ws.loaded;
        ws.loaded.extend(mine);
    }
    let opts = scaffold::NewOptions {
        kind,
        title,
        owner,
        system,
    };
    let (rel, id) = scaffold::new_document(&ws, &opts)?;
    writeln!(out, "Created {id} at {rel}").into_diagnostic()?;
    if kind == Kind::Prd && opts.system.is_none() {
        let systems = scaffold::inventory(&ws);
        if !systems.is_empty() {
            let from = if product {
                "the upstream AIMS's"
            } else {
                "the"
            };
            writeln!(
                out,
                "\nAI systems in {from} inventory (name one in [aims] ai-system, or run again with --system ID to fill the block in):"
            )
            .into_diagnostic()?;
            for (id, title, tier) in systems {
                writeln!(
                    out,
                    "  {id:<10} {} ({tier} risk)",
                    crate::safe::terminal(&title)
                )
                .into_diagnostic()?;
            }
        }
    }
    Ok(Outcome::Clean)
}

/// Opens the register as of a moment; a repository is required.
fn open_register(
    start: &Path,
    as_of: Option<&str>,
) -> miette::Result<(PathBuf, git2::Repository, Register)> {
    let root = workspace::discover(start)?;
    let repo = control::require_repository(&root)?;
    if is_product(&root)? {
        if as_of.is_some() {
            miette::bail!(
                help = "run it without --as-of; the upstream AIMS answers for past moments",
                "--as-of is not supported in a product repository"
            );
        }
        let (_ws, register) =
            crate::sources::product_register(&root, &repo, crate::sync::offline())?;
        return Ok((root, repo, register));
    }
    let as_of = as_of.map_or(AsOf::Now, AsOf::parse);
    let (_ws, register) = crate::sources::open(&root, &repo, &as_of)?;
    Ok((root, repo, register))
}

pub struct AuditOptions<'a> {
    pub as_of: Option<&'a str>,
    pub format: AuditFormat,
    pub crosswalk: Option<Framework>,
    pub fail_on: Classification,
}

/// `aims audit`: every rule, filed per clause and control, with verdicts,
/// a gap matrix and an action plan.
pub fn audit(start: &Path, opts: &AuditOptions, out: &mut dyn Write) -> miette::Result<Outcome> {
    let root = workspace::discover(start)?;
    // A past moment needs git; now can be judged without it, loudly.
    let repo = match opts.as_of {
        Some(_) => Ok(control::require_repository(&root)?),
        None => control::open_repository(&root)?,
    };
    let (ws, register) = match repo {
        Ok(repo) => {
            let as_of = opts.as_of.map_or(AsOf::Now, AsOf::parse);
            let (ws, register) = crate::sources::open(&root, &repo, &as_of)?;
            (ws, Some(register))
        }
        Err(why) => {
            eprintln!(
                "aims: note: {why}; versions, approvals and authorship cannot be \
                 assessed, and the report says so"
            );
            (Workspace::open(&root)?, None)
        }
    };
    let report = crate::audit::build(
        &ws,
        register.as_ref(),
        &crate::audit::Options {
            crosswalk: opts.crosswalk,
        },
    );
    crate::audit::render::render(&report, opts.format, out).into_diagnostic()?;
    let n = &report.readiness.findings;
    let failing = [
        (Classification::Major, n.major),
        (Classification::Minor, n.minor),
        (Classification::Observation, n.observation),
        (Classification::Improvement, n.improvement),
    ]
    .into_iter()
    .any(|(c, count)| count > 0 && c.at_least(opts.fail_on));
    ends_with_process((ws, register, report));
    Ok(if failing {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

pub fn status(
    start: &Path,
    as_of: Option<&str>,
    format: StatusFormat,
    out: &mut dyn Write,
) -> miette::Result<Outcome> {
    let (_, _, register) = open_register(start, as_of)?;
    register_report::render_status(&register, format, out).into_diagnostic()?;
    ends_with_process(register);
    Ok(Outcome::Clean)
}

/// Leaves a large value to the end of the process rather than freeing it
/// piece by piece (a register of a large AIMS is millions of small
/// allocations: a tenth of its run): for the commands' last values only.
/// What a drop would have cleaned up outside the process, the temporary
/// keyrings given to gpg, is removed here.
pub fn ends_with_process<T>(value: T) {
    std::mem::forget(value);
    crate::control::trust::remove_written_keyrings();
}

/// `aims reviews`: the reviews falling due, from the register.
pub fn reviews(
    start: &Path,
    within: &str,
    as_of: Option<&str>,
    format: crate::reviews::ReviewsFormat,
    out: &mut dyn Write,
) -> miette::Result<Outcome> {
    let within = crate::reviews::parse_within(within)
        .map_err(|e| miette::miette!(help = "e.g. --within 30d", "--within: {e}"))?;
    let (_, _, register) = open_register(start, as_of)?;
    let reviews = crate::reviews::build(&register, within);
    crate::reviews::render(&reviews, format, out).into_diagnostic()?;
    Ok(Outcome::Clean)
}

pub fn log(
    start: &Path,
    id: &str,
    as_of: Option<&str>,
    format: ListFormat,
    out: &mut dyn Write,
) -> miette::Result<Outcome> {
    let (_, _, register) = open_register(start, as_of)?;
    let entry = register.find(id)?;
    register_report::render_log(entry, &register, format, out).into_diagnostic()?;
    Ok(Outcome::Clean)
}

pub struct DiffOptions<'a> {
    pub id: &'a str,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub format: RedlineFormat,
    pub color: bool,
}

/// One side of a redline: a version (`v2`, `2`), `approved` (the last
/// approved content), `head`, `working` (the working tree), or any commit.
fn side(
    repo: &git2::Repository,
    root: &Path,
    entry: &control::Entry,
    spec: &str,
) -> miette::Result<(String, String)> {
    let git = |e: git2::Error| miette::miette!("{}", e.message());
    let blob_text = |blob: &str| -> miette::Result<String> {
        let bytes = crate::history::blob(repo, blob).map_err(git)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    };
    let approved_label = |a: &crate::history::approvals::Approval, v: u32| {
        format!(
            "v{v} (approved {} by {} as {})",
            Date::from_unix(a.time),
            a.signer_email,
            a.claim.role
        )
    };
    let versions: Vec<(&crate::history::approvals::Approval, u32)> = entry
        .versions()
        .into_iter()
        .map(|v| (v.approvals[0], v.number))
        .collect();
    let lower = spec.to_ascii_lowercase();
    if lower == "working" || lower == "worktree" {
        let text = crate::workspace::WorkingTree::new(root)
            .read(&entry.path)
            .ok_or_else(|| {
                miette::miette!("cannot read {}: it is not in the working tree", entry.path)
            })?;
        return Ok((
            "working tree".to_owned(),
            String::from_utf8_lossy(&text).into_owned(),
        ));
    }
    if lower == "approved" {
        let Some((a, v)) = versions.last() else {
            miette::bail!("{} has never been approved", entry.id);
        };
        return Ok((approved_label(a, *v), blob_text(&a.claim.blob)?));
    }
    if let Ok(n) = lower.trim_start_matches('v').parse::<u32>()
        && (lower.starts_with('v') || !lower.is_empty() && lower.len() < 4)
    {
        let Some((a, v)) = versions.iter().find(|(_, v)| *v == n) else {
            miette::bail!(
                help = format!("{} has {} approved version(s)", entry.id, versions.len()),
                "{} has no version {n}",
                entry.id
            );
        };
        return Ok((approved_label(a, *v), blob_text(&a.claim.blob)?));
    }
    let commit = repo
        .revparse_single(spec)
        .and_then(|o| o.peel_to_commit())
        .map_err(|e| {
            miette::miette!(
                help = "a version (v1), `approved`, `working`, `head`, or a commit",
                "`{spec}` names no version or commit: {}",
                e.message()
            )
        })?;
    let tree = commit.tree().map_err(git)?;
    // The document's path at that commit: the newest of its known paths.
    for rev in entry.revisions.iter().rev() {
        if let Some((_, bytes)) = crate::history::blob_at(repo, &tree, &rev.path).map_err(git)? {
            let short = commit.id().to_string();
            return Ok((
                format!(
                    "commit {} ({})",
                    &short[..12],
                    Date::from_unix(commit.time().seconds())
                ),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
    miette::bail!("{} did not exist at {spec}", entry.id)
}

pub fn diff(start: &Path, opts: &DiffOptions<'_>, out: &mut dyn Write) -> miette::Result<Outcome> {
    // This repository's documents: a [[source]]'s PRD has its history in
    // its own repository (diff it there).
    let root = workspace::discover(start)?;
    let repo = control::require_repository(&root)?;
    let (_ws, register) = Register::open(&root, &repo, &AsOf::Now)?;
    let entry = register.find(opts.id)?;
    let from_spec = match opts.from {
        Some(f) => f,
        None if entry.state.version.is_some() => "approved",
        None => miette::bail!(
            help = format!(
                "give two versions or commits, e.g. `aims diff {} HEAD~1 working`",
                opts.id
            ),
            "{} has never been approved, so there is no approved version to compare with",
            opts.id
        ),
    };
    let to_spec = opts.to.unwrap_or("working");
    let (from_label, from_text) = side(&repo, &root, entry, from_spec)?;
    let (to_label, to_text) = side(&repo, &root, entry, to_spec)?;
    let title = format!("{} {}", entry.id, entry.title);
    let text = redline::render(
        &title,
        &Side {
            label: from_label,
            text: &from_text,
        },
        &Side {
            label: to_label,
            text: &to_text,
        },
        opts.format,
        opts.color,
    );
    out.write_all(text.as_bytes()).into_diagnostic()?;
    Ok(Outcome::Clean)
}

pub fn approve(
    start: &Path,
    opts: &ApproveOptions,
    out: &mut dyn Write,
) -> miette::Result<Outcome> {
    use crate::history::tag::Decision;
    let root = workspace::discover(start)?;
    let done = approve::approve(&root, opts)?;
    let mut text = String::new();
    for d in &done {
        let what = match (d.decision, d.version) {
            (_, 0) => format!(
                "Approved {} on this branch; it counts where the content is merged",
                d.id
            ),
            (Decision::Reviewed, v) => format!("Recorded the review of {} v{v}", d.id),
            (Decision::Withdrawn, v) => format!("Approved the withdrawal of {} (last v{v})", d.id),
            (Decision::Approved, v) => format!("Approved {} as v{v}", d.id),
        };
        text.push_str(&format!(
            "{what} (role {}): tag {} is signed and verified ({}).\n",
            d.role, d.tag, d.fingerprint
        ));
        if let Some(note) = &d.commit_note {
            text.push_str(&format!("Note: {note}.\n"));
        }
        if let Some(seal) = &d.seal {
            text.push_str(&format!(
                "Sealed every approval record made so far: tag {seal}.\n"
            ));
        }
    }
    text.push_str("Share them: git push origin 'refs/tags/aims/*'\n");
    out.write_all(text.as_bytes()).into_diagnostic()?;
    Ok(Outcome::Clean)
}

/// `aims sync`: fetch the upstream (product repository) or every
/// `[[source]]` (central AIMS) into the caches under .git/aims.
pub fn sync(start: &Path, jobs: Option<usize>, out: &mut dyn Write) -> miette::Result<Outcome> {
    let root = workspace::discover(start)?;
    let config = crate::config::Config::load(&root)?;
    let repo = control::require_repository(&root)?;
    let list: Vec<crate::sync::Job> = match &config.upstream {
        Some(remote) => vec![crate::sync::Job {
            name: "upstream".into(),
            remote: remote.clone(),
            dir: crate::sync::upstream_dir(&repo),
        }],
        None => config
            .sources
            .iter()
            .map(|s| crate::sync::Job {
                name: s.name.clone(),
                remote: s.remote.clone(),
                dir: crate::sync::source_dir(&repo, &s.name),
            })
            .collect(),
    };
    if list.is_empty() {
        miette::bail!(
            help = "a product repository names its AIMS under [upstream]; the central AIMS lists \
                    product repositories as [[source]] entries (see the README, \
                    \"PRDs in product repositories\")",
            "aims.toml names no [upstream] and no [[source]]: there is nothing to sync"
        );
    }
    let parallel = jobs.unwrap_or_else(crate::sync::default_parallel);
    let started = std::time::Instant::now();
    let fetched = crate::sync::fetch_all(&root, &list, parallel, true);
    let mut failed = Vec::new();
    for f in &fetched {
        let name = crate::safe::terminal(&f.job.name);
        let repository = crate::safe::terminal(&f.job.remote.repository);
        match (&f.error, &f.snapshot) {
            (None, Some(s)) => writeln!(
                out,
                "{name}: {repository} {} at {} ({:.1} s)",
                f.job.remote.reference,
                crate::history::short_id_of(&s.commit),
                f.seconds
            ),
            (Some(e), _) => {
                failed.push(f.job.name.clone());
                writeln!(
                    out,
                    "{name}: {repository} {} could not be fetched: {}{}",
                    f.job.remote.reference,
                    crate::safe::terminal(e),
                    match &f.snapshot {
                        Some(s) => format!(
                            " (the snapshot cached earlier, at {}, is kept)",
                            crate::history::short_id_of(&s.commit)
                        ),
                        None => String::new(),
                    }
                )
            }
            (None, None) => writeln!(out, "{name}: nothing fetched"),
        }
        .into_diagnostic()?;
    }
    writeln!(
        out,
        "{} of {} fetched in {:.1} s",
        fetched.len() - failed.len(),
        fetched.len(),
        started.elapsed().as_secs_f64()
    )
    .into_diagnostic()?;
    if !failed.is_empty() {
        out.flush().into_diagnostic()?;
        miette::bail!(
            help = "check each repository's address in aims.toml and that `git fetch` works \
                    there with your credentials",
            "{} of {} could not be fetched: {}",
            failed.len(),
            fetched.len(),
            failed.join(", ")
        );
    }
    Ok(Outcome::Clean)
}

pub fn seal(start: &Path, out: &mut dyn Write) -> miette::Result<Outcome> {
    let root = workspace::discover(start)?;
    let name = approve::seal(&root)?;
    writeln!(
        out,
        "Sealed every approval record made so far: tag {name} is signed and verified.\n\
         Share it: git push origin {name}"
    )
    .into_diagnostic()?;
    Ok(Outcome::Clean)
}

/// `aims hook install` / `aims hook uninstall`.
pub fn hook(start: &Path, install: bool, out: &mut dyn Write) -> miette::Result<Outcome> {
    use crate::hooks::Action;
    let root = workspace::discover(start)?;
    let done = if install {
        let binary = std::env::current_exe()
            .map_err(|e| miette::miette!("cannot find the aims binary: {e}"))?;
        hooks::install(&root, &binary)?
    } else {
        hooks::uninstall(&root)?
    };
    for d in done {
        let path = d.path.display();
        let line = match d.action {
            Action::Installed => format!("installed {path}"),
            Action::Updated => format!("updated {path}"),
            Action::Chained => format!(
                "installed {path}; the hook that was there is kept as {}.pre-aims and runs first",
                d.hook
            ),
            Action::Removed => format!("removed {path}"),
            Action::Restored => format!("removed {path} and put back the hook it chained"),
            Action::NotOurs => format!("left {path}: it is not an aims hook"),
            Action::Absent => format!("no {} hook at {path}", d.hook),
        };
        writeln!(out, "{line}").into_diagnostic()?;
    }
    Ok(Outcome::Clean)
}

/// `aims pr-comment`.
pub fn pr_comment(
    start: &Path,
    opts: &crate::pr_comment::Options,
    out: &mut dyn Write,
) -> miette::Result<Outcome> {
    let root = workspace::discover(start)?;
    let comment = crate::pr_comment::build(&root, opts)?;
    crate::pr_comment::render(&comment, opts.format, out).into_diagnostic()?;
    Ok(Outcome::Clean)
}

/// `aims export`: the evidence package, then one paragraph saying what
/// was written and how to check it.
pub fn export(
    start: &Path,
    opts: &crate::export::Options,
    out: &mut dyn Write,
) -> miette::Result<Outcome> {
    let root = workspace::discover(start)?;
    let s = crate::export::export(&root, &opts.out, opts)?;
    let commit = s.commit.as_deref().map_or(String::new(), |c| {
        format!(" (commit {})", crate::history::short_id(c))
    });
    let mut text = format!(
        "Exported the evidence package as of {}{commit} to {}\n  \
         {} controlled documents, {} approval records, {} files and the manifest, {:.1} MB\n  \
         manifest.json SHA-256 {} (keep it apart from the package)\n",
        s.as_of,
        s.out.display(),
        s.documents,
        s.approvals,
        s.files,
        s.bytes as f64 / 1_000_000.0,
        s.manifest_sha256
    );
    if let Some(z) = &s.zip {
        text.push_str(&format!("  zip: {}\n", z.display()));
    }
    if let Some((file, signer)) = &s.signed {
        text.push_str(&format!("  signed by {signer}: {file}\n"));
    }
    text.push_str(&format!(
        "Open {} in a browser; check it with `aims verify-export {}`.\n",
        s.out.join("index.html").display(),
        s.out.display()
    ));
    out.write_all(text.as_bytes()).into_diagnostic()?;
    Ok(Outcome::Clean)
}

/// `aims verify-export`: re-hashes a package; inside a repository, also
/// checks that the commits and tags it names still exist.
pub fn verify_export(
    start: &Path,
    package: &Path,
    allowed_signers: Option<&Path>,
    keyring: Option<&Path>,
    require_signature: bool,
    out: &mut dyn Write,
) -> miette::Result<Outcome> {
    let repo = control::discover(start)?;
    if let Some(r) = &repo {
        control::check_objects(r)?;
    }
    let v = crate::export::verify_export(
        package,
        &crate::export::VerifyOptions {
            repo: repo.as_ref(),
            allowed_signers,
            keyring,
            require_signature,
        },
    )?;
    let mut text = String::new();
    for p in &v.problems {
        text.push_str(&format!("FAIL {p}\n"));
    }
    for n in &v.notes {
        text.push_str(&format!("note: {n}\n"));
    }
    let what = match &v.manifest {
        Some(m) => format!(
            "as of {}{}",
            m.as_of,
            m.commit.as_deref().map_or(String::new(), |c| format!(
                ", commit {}",
                crate::history::short_id(c)
            ))
        ),
        None => String::new(),
    };
    if v.problems.is_empty() {
        let refs = if repo.is_some() {
            format!(
                ", every commit and approval tag it names is in the repository, and its {} \
                 in-force documents are the content their approvals approved",
                v.in_force_checked
            )
        } else {
            String::new()
        };
        text.push_str(&format!(
            "OK {}: {} files match manifest.json ({what}){refs}\n",
            package.display(),
            v.files
        ));
        if let Some(s) = &v.signed {
            text.push_str(&format!(
                "   signed by {} at {} ({} key {}{}), judged by {}\n",
                s.claim.signer,
                crate::date::format_time(s.claim.signed_at),
                match s.claim.format {
                    crate::export::sign::Format::Ssh => "SSH",
                    crate::export::sign::Format::Openpgp => "OpenPGP",
                },
                s.verified.fingerprint,
                s.verified
                    .line
                    .map_or(String::new(), |l| format!(", allowed signers line {l}")),
                s.source
            ));
        }
    } else {
        text.push_str(&format!(
            "{} problem(s) in {}: the package is not as exported\n",
            v.problems.len(),
            package.display()
        ));
    }
    out.write_all(text.as_bytes()).into_diagnostic()?;
    Ok(if v.problems.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

/// `aims completions SHELL`: the completion script, from the command tree.
pub fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> miette::Result<Outcome> {
    use clap::CommandFactory;
    let mut cmd = crate::cli::Cli::command();
    clap_complete::generate(shell, &mut cmd, "aims", out);
    Ok(Outcome::Clean)
}

/// `aims man --out DIR`: aims.1 and one page per command.
pub fn man(dir: &Path, out: &mut dyn Write) -> miette::Result<Outcome> {
    use clap::CommandFactory;
    std::fs::create_dir_all(dir)
        .map_err(|e| miette::miette!("cannot create {}: {e}", dir.display()))?;
    let cmd = crate::cli::Cli::command();
    let mut written = Vec::new();
    let mut write_page = |name: String, cmd: clap::Command| -> miette::Result<()> {
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut page)
            .into_diagnostic()?;
        let path = dir.join(format!("{name}.1"));
        std::fs::write(&path, page)
            .map_err(|e| miette::miette!("cannot write {}: {e}", path.display()))?;
        written.push(path);
        Ok(())
    };
    for sub in cmd.get_subcommands().filter(|c| c.get_name() != "help") {
        let name = format!("aims-{}", sub.get_name());
        write_page(name.clone(), sub.clone().name(name))?;
    }
    write_page("aims".to_owned(), cmd)?;
    writeln!(
        out,
        "Wrote {} man pages to {}; read one with `man -l {}`.",
        written.len(),
        dir.display(),
        dir.join("aims-check.1").display()
    )
    .into_diagnostic()?;
    Ok(Outcome::Clean)
}
