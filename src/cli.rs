//! The command line's shape: every command, option and help text, as clap
//! reads it. `main` dispatches on it; `aims completions` and `aims man`
//! generate from it; a test walks it so no help text is left empty.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::audit::crosswalk::Framework;
use crate::audit::render::AuditFormat;
use crate::commands::ListFormat;
use crate::finding::Classification;
use crate::pr_comment::PrFormat;
use crate::redline::RedlineFormat;
use crate::report::Format;
use crate::report::register::StatusFormat;
use crate::reviews::ReviewsFormat;

/// Document control and audit readiness for ISO/IEC 42001 AI management
/// systems, straight from a git repository of Markdown documents.
#[derive(Parser)]
#[command(name = "aims", version, propagate_version = true, max_term_width = 100)]
#[command(
    after_help = "Exit codes: 0 no findings at or above --fail-on, 1 findings, 2 the tool could not run.\n\
Start with `aims init` in a new repository, then `aims check`."
)]
pub struct Cli {
    /// Run as if started in DIR (like `git -C`).
    #[arg(short = 'C', id = "chdir", value_name = "DIR", global = true)]
    pub chdir: Option<PathBuf>,

    /// When to use colours in terminal output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    /// Pin the key fingerprints (SHA256:… or OpenPGP) that must have
    /// approved the first configuration (the bootstrap); history rewritten
    /// from another bootstrap then stops the run with exit 2. Comma-separated;
    /// AIMS_TRUST_ANCHOR in the environment does the same.
    #[arg(long, value_name = "FINGERPRINT[,…]", global = true)]
    pub trust_anchor: Option<String>,

    /// Neither read nor write the history cache in .git/aims/cache (the
    /// revision walk, keyed by commit; AIMS_NO_CACHE=1 does the same).
    /// Results are the same either way; only the time differs.
    #[arg(long, global = true)]
    pub no_cache: bool,

    /// Use only what `aims sync` cached of the upstream AIMS (in a product
    /// repository) or of the [[source]] repositories, without fetching
    /// (AIMS_OFFLINE=1 does the same). The hooks never fetch.
    #[arg(long, global = true)]
    pub offline: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum HookAction {
    /// Install the pre-commit and pre-push hooks, running this aims binary.
    Install,
    /// Remove the hooks `aims hook install` wrote (and only those).
    Uninstall,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check every controlled document against the rules
    ///
    /// Reads aims.toml (in this directory or a parent) and every file its
    /// `documents` and `prds` globs match, then reports each finding with its
    /// audit classification, the clause or Annex A control it concerns, and
    /// how to fix it.
    ///
    /// Examples:
    ///   aims check
    ///   aims check --format sarif > aims.sarif
    ///   aims check --format json --fail-on major
    ///   aims check --staged                  # what the pre-commit hook runs
    ///
    /// --staged reads the index (what `git commit` will record), checks the
    /// staged documents, and on a protected branch refuses a change to an
    /// approved document or aims.toml whose new content has no approval.
    /// Drafts and other branches get the document rules only.
    ///
    /// --pre-push reads git's pre-push lines on stdin (or the pre-commit
    /// framework's PRE_COMMIT_FROM_REF/TO_REF/REMOTE_BRANCH) and refuses a
    /// push to a protected branch that changes a document not approved at
    /// the pushed content.
    #[command(verbatim_doc_comment)]
    Check {
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Exit 1 when a finding of this classification or worse exists.
        #[arg(long, value_enum, default_value_t = FailOn::Minor)]
        fail_on: FailOn,
        /// Check the staged content (the index), for a pre-commit hook.
        #[arg(long, conflicts_with = "pre_push")]
        staged: bool,
        /// Check the refs being pushed, for a pre-push hook.
        #[arg(long)]
        pre_push: bool,
    },
    /// Show the document-control register: version, state, approver, review due
    ///
    /// Every fact is derived from git: versions and approvals from signed
    /// tags under refs/tags/aims/ (verified against the approved
    /// allowed-signers file), changes from commit history. aims.toml comes
    /// first: roles and keys are read from its last approved revision.
    ///
    /// Examples:
    ///   aims status
    ///   aims status --as-of 2026-06-30
    ///   aims status --as-of v2.0 --format json
    #[command(verbatim_doc_comment)]
    Status {
        /// Describe the AIMS as it was at the end of DATE (YYYY-MM-DD, UTC)
        /// or at COMMIT (any revision git understands) [default: now, with
        /// the working tree].
        #[arg(long, value_name = "DATE|COMMIT")]
        as_of: Option<String>,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = StatusFormat::Human)]
        format: StatusFormat,
    },
    /// List the reviews falling due: document, owner, approvers, due date
    ///
    /// Every controlled document (and aims.toml) whose periodic review is
    /// due within the window, or overdue. The due date is the register's:
    /// the last approval or review that counts plus the kind's
    /// review-interval. For each: the owner (the people it names, and
    /// their GitHub handles from [people] in aims.toml), the roles that may
    /// approve it with their members, and what to do: a review of
    /// unchanged content (`aims approve ID --review`) or, for a document
    /// changed since its approval, a re-approval (`aims approve ID`).
    ///
    /// --format ics writes an RFC 5545 calendar, one all-day event per
    /// review with the owners as attendees; each event's UID stays the
    /// same across runs, so importing it again (or subscribing to a copy
    /// your CI publishes) updates events instead of adding them. The same
    /// --as-of gives the same bytes.
    ///
    /// Exits 0 whatever is due; the count is in every format.
    ///
    /// Examples:
    ///   aims reviews
    ///   aims reviews --within 90d
    ///   aims reviews --format ics > aims-reviews.ics
    ///   aims reviews --format json | jq '.reviews[] | select(.overdue)'
    ///   aims reviews --format markdown > reminder.md   # the reminder issue's body
    #[command(verbatim_doc_comment)]
    Reviews {
        /// How far ahead to look: `30d`, `6w`, `3 months`, `1 year`.
        #[arg(long, value_name = "INTERVAL", default_value = "30d")]
        within: String,
        /// Describe the AIMS as it was at the end of DATE (YYYY-MM-DD, UTC)
        /// or at COMMIT: "today" is then that day [default: now].
        #[arg(long, value_name = "DATE|COMMIT")]
        as_of: Option<String>,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = ReviewsFormat::Human)]
        format: ReviewsFormat,
    },
    /// Run a mock certification audit and report it like an auditor would
    ///
    /// Every rule runs; each finding is filed under its clause (4-10) and
    /// Annex A control. Each clause and control gets a verdict (conformity,
    /// observation, minor or major nonconformity, not evidenced, not
    /// applicable) with the evidence it rests on: documents, versions,
    /// verified approvals. Conformity needs positive evidence: an approved
    /// document that is not still the template's text and whose rules pass;
    /// without one the verdict is "not evidenced", never conformity. Then a
    /// readiness summary ("certificate would be withheld" while any major
    /// nonconformity remains), a gap matrix and a corrective-action plan
    /// ordered by severity, then remediation time, each action with an owner
    /// taken from the documents.
    ///
    /// Outside a git repository the approval-based checks cannot run; the
    /// report says so at the top.
    ///
    /// Examples:
    ///   aims audit
    ///   aims audit --format html > audit.html
    ///   aims audit --as-of 2026-06-30 --format json
    ///   aims audit --crosswalk eu-ai-act --format markdown
    #[command(verbatim_doc_comment)]
    Audit {
        /// Audit the AIMS as it was at the end of DATE (YYYY-MM-DD, UTC) or
        /// at COMMIT [default: now, with the working tree].
        #[arg(long, value_name = "DATE|COMMIT")]
        as_of: Option<String>,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = AuditFormat::Human)]
        format: AuditFormat,
        /// Also show how the Annex A verdicts cover another framework (our
        /// own indicative mapping).
        #[arg(long, value_enum, value_name = "FRAMEWORK")]
        crosswalk: Option<Framework>,
        /// Exit 1 when a finding is at least this severe.
        #[arg(long, value_enum, default_value_t = FailOn::Minor)]
        fail_on: FailOn,
    },
    /// Write the auditor's evidence package: what was in force, approved, changed
    ///
    /// One folder that shows what was in force, who approved it and how it
    /// changed, and proves it was not altered afterwards.
    ///
    /// The package holds a front page (index.html), the document-control
    /// register (HTML, CSV, JSON), every controlled document rendered as in
    /// force on the as-of date (its last approved version; an unapproved
    /// change is flagged and kept apart, never shown as approved) with its
    /// Markdown source, each document's revision history with redlines
    /// between approved versions, every approval's raw signed tag with its
    /// verification result and key fingerprint (re-verifiable with plain
    /// ssh-keygen or gpgv), the SoA traceability matrix, the mock audit,
    /// and manifest.json with the SHA-256 of every file, itself hashed in
    /// manifest.sha256. Pages work offline and print cleanly.
    ///
    /// book.html is all of it in one self-contained, print-ready file for
    /// a binder: the cover (scope, readiness, as-of, commit), the register,
    /// the SoA matrix and every document in force with its approval box,
    /// in kind order, each on new pages, with the organisation and as-of
    /// in the running header and page numbers. --pdf prints it to
    /// evidence.pdf (listed in the manifest like every file).
    ///
    /// The package is written to a temporary folder and moved into place,
    /// so an interrupted export leaves nothing half-written. A non-empty
    /// --out is refused unless --force.
    ///
    /// With --sign, the manifest is signed with your git signing key (the
    /// one `aims approve` uses: SSH in the `file` namespace, or OpenPGP),
    /// so the package proves who exported it, even apart from the
    /// repository.
    ///
    /// Examples:
    ///   aims export --out evidence
    ///   aims export --out evidence-2026-06-30 --as-of 2026-06-30 --zip evidence-2026-06-30.zip
    ///   aims export --out evidence --sign
    ///   aims export --out evidence --pdf     # also evidence.pdf, for the binder
    ///   aims verify-export evidence
    #[command(verbatim_doc_comment)]
    Export {
        /// The package folder (new, or empty; relative to -C's DIR).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Describe the AIMS as it was at the end of DATE (YYYY-MM-DD, UTC)
        /// or at COMMIT [default: now, with the working tree].
        #[arg(long, value_name = "DATE|COMMIT")]
        as_of: Option<String>,
        /// Also write the package as a zip.
        #[arg(long, value_name = "FILE")]
        zip: Option<PathBuf>,
        /// Replace the package already in --out (and the zip).
        #[arg(long)]
        force: bool,
        /// Sign manifest.json with your git signing key (gpg.format,
        /// user.signingkey), into manifest.json.sig (SSH) or .asc (OpenPGP).
        #[arg(long)]
        sign: bool,
        /// Also print book.html to evidence.pdf with a locally installed
        /// headless Chromium (AIMS_CHROMIUM, else chromium,
        /// chromium-browser or google-chrome on PATH); exit 2 when none.
        #[arg(long)]
        pdf: bool,
    },
    /// Check an evidence package against its manifest
    ///
    /// Re-hashes every file and reports each one missing, added or altered
    /// (exit 1); a zip is read one entry at a time, never past the size the
    /// manifest gives. A signed package's signature must verify for the
    /// signer it names, against the repository's trust root or the files
    /// given. Run inside the repository, it also checks that the commits
    /// and approval tags the package names still exist unchanged (history
    /// not rewritten, tags not moved) and that every in-force document is
    /// byte for byte the content its approval approved.
    ///
    /// Examples:
    ///   aims verify-export evidence
    ///   aims verify-export evidence-2026-06-30.zip
    ///   aims verify-export evidence.zip --allowed-signers allowed_signers --require-signature
    #[command(verbatim_doc_comment)]
    VerifyExport {
        /// The package folder or zip.
        #[arg(value_name = "DIR|ZIP")]
        package: PathBuf,
        /// Judge an SSH signature by this allowed-signers file instead of
        /// the repository's trust root (e.g. outside the repository).
        #[arg(long, value_name = "FILE")]
        allowed_signers: Option<PathBuf>,
        /// Judge an OpenPGP signature by this keyring instead of the
        /// repository's trust root.
        #[arg(long, value_name = "FILE")]
        keyring: Option<PathBuf>,
        /// Fail (exit 1) when the package is not signed.
        #[arg(long)]
        require_signature: bool,
    },
    /// Show a document's revisions and approvals, newest first
    ///
    /// Each approval says whether its signature verified and whether it
    /// counts, and if not, why.
    ///
    /// Examples:
    ///   aims log POL-001
    ///   aims log aims.toml --format json
    #[command(verbatim_doc_comment)]
    Log {
        /// The document's id (or aims.toml).
        id: String,
        /// Show the history as it stood at the end of DATE (YYYY-MM-DD, UTC)
        /// or at COMMIT [default: now, with the working tree].
        #[arg(long, value_name = "DATE|COMMIT")]
        as_of: Option<String>,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Redline a document between two versions: lines, with changed words marked
    ///
    /// FROM and TO are a version (v1, v2), `approved` (the last approved
    /// content), `working` (the working tree), or any commit git understands.
    /// Defaults: the last approved version against the working tree.
    ///
    /// Examples:
    ///   aims diff POL-001
    ///   aims diff POL-001 v1 v2 --format html > redline.html
    #[command(verbatim_doc_comment)]
    Diff {
        /// The document's id (or aims.toml).
        id: String,
        /// The older side: v1, v2…, `approved`, `working`, or a commit
        /// [default: the last approved version].
        from: Option<String>,
        /// The newer side, as FROM [default: `working`, the working tree].
        to: Option<String>,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = RedlineFormat::Human)]
        format: RedlineFormat,
    },
    /// Approve documents' committed content with signed tags
    ///
    /// Writes the Aims-* trailers for the content of each ID in HEAD and
    /// runs `git tag -s`, so your own signing set-up (SSH or OpenPGP) signs
    /// it. Each tag is then verified like any other; one that would not
    /// count is deleted again and the reason given. Refuses when the working
    /// tree differs from the committed document, when you hold none of the
    /// roles that may approve it, or when you authored the change and
    /// require-distinct-approver is set.
    ///
    /// A document HEAD no longer holds (removed, or left without its id)
    /// gets a withdrawal (Aims-Decision: withdrawn). aims.toml approves the
    /// configuration as HEAD holds it, with its allowed signers, keyring and
    /// revocation list; while none is in force, the first configuration on
    /// the branch (the bootstrap). Approving the configuration also seals
    /// every approval record made so far (see `aims seal`).
    ///
    /// Examples:
    ///   aims approve POL-001
    ///   aims approve POL-001 PRO-002 RSK-004
    ///   aims approve --all-changed           # everything waiting for approval
    ///   aims approve RSK-004 --role risk-owner -m "Residual risk accepted"
    ///   aims approve POL-001 --review        # periodic review, no change
    ///   aims approve aims.toml               # the configuration itself
    #[command(verbatim_doc_comment)]
    Approve {
        /// Document ids (or aims.toml), case-insensitive.
        #[arg(value_name = "ID", required_unless_present = "all_changed")]
        ids: Vec<String>,
        /// Also approve every document whose committed content is not approved.
        #[arg(long)]
        all_changed: bool,
        /// The role you approve as [default: the first of yours that may].
        #[arg(long)]
        role: Option<String>,
        /// Record a periodic review of the approved content (no new version).
        #[arg(long)]
        review: bool,
        /// A note for the tag message.
        #[arg(long, short = 'm')]
        message: Option<String>,
    },
    /// Fetch the upstream AIMS, or the [[source]] product repositories
    ///
    /// In a product repository (aims.toml has [upstream]): fetches the
    /// central AIMS at its ref into .git/aims/upstream.git, for `aims check`,
    /// the hooks and `aims new prd` to judge PRDs against. In the central
    /// AIMS: fetches every [[source]] product repository (in parallel) into
    /// .git/aims/sources/NAME.git, whose PRDs then join check, status, audit
    /// and export.
    ///
    /// Fetching uses the system's git, so your credentials, credential
    /// helpers, SSH agent and url.*.insteadOf settings apply. git's own
    /// prompts are off (ssh may still ask on the terminal for a passphrase
    /// or an unknown host key). Other commands fetch the same way before
    /// reading, unless --offline; the hooks read only what is cached. A
    /// failed fetch leaves the earlier snapshot as it was. A fetch still
    /// running after AIMS_FETCH_TIMEOUT seconds (600; 0 for no limit) is
    /// stopped, with what git started, and fails.
    ///
    /// Exits 2 when a repository could not be fetched (each is named, with
    /// git's error); what was fetched is kept.
    ///
    /// Examples:
    ///   aims sync
    ///   aims sync --jobs 4
    ///   aims check --offline      # after a sync, without the network
    #[command(verbatim_doc_comment)]
    Sync {
        /// How many repositories to fetch at once [default: 4 per CPU, 4 to 16].
        #[arg(long, short = 'j', value_name = "N")]
        jobs: Option<usize>,
    },
    /// Seal every approval record made so far against back-dating
    ///
    /// Signs a tag (Aims-Decision: sealed) that lists every tag object
    /// under refs/tags/aims/. From then on, a tag that claims a time before
    /// the seal but is not in its list was made later and back-dated: it is
    /// refused, naming the seal. Signed by a member of a role that approves
    /// the configuration. `aims approve aims.toml` seals too; a scheduled
    /// job (weekly, after each merge) keeps the window for back-dating short.
    ///
    /// Example: aims seal && git push origin 'refs/tags/aims/*'
    #[command(verbatim_doc_comment)]
    Seal,
    /// Markdown for the pull-request bot: what a PR does to the AIMS
    ///
    /// Compares the AIMS where the PR's branch left BASE with HEAD: the
    /// controlled documents it changes (+/- lines, who must still approve,
    /// by role and name), findings it introduces and resolves, reviews
    /// falling due in 30 days, and a one-line verdict. The first line is a
    /// hidden marker so a bot can update its one comment. Long lists are
    /// cut to stay under GitHub's comment limit. Exits 0 either way: the
    /// verdict is in the text (and `ready` in JSON).
    ///
    /// Examples:
    ///   aims pr-comment --base origin/main --head HEAD
    ///   aims pr-comment --base origin/main --head HEAD --url "$PR_URL" > comment.md
    ///   aims pr-comment --base main --head change/POL-001 --format json
    #[command(verbatim_doc_comment)]
    PrComment {
        /// The branch the pull request merges into.
        #[arg(long)]
        base: String,
        /// The pull request's head commit.
        #[arg(long, default_value = "HEAD")]
        head: String,
        /// The pull request's web address, to link each document to its diff.
        #[arg(long)]
        url: Option<String>,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = PrFormat::Markdown)]
        format: PrFormat,
    },
    /// Install or remove the git hooks that guard protected branches
    ///
    /// pre-commit runs `aims check --staged`; pre-push runs `aims check
    /// --pre-push`. They go where git looks for hooks (honouring
    /// core.hooksPath and linked worktrees). A hook already there is kept as
    /// NAME.pre-aims and run first; uninstall removes only aims's hooks and
    /// puts it back. Teams on the pre-commit framework use
    /// .pre-commit-hooks.yaml instead (see the README).
    ///
    /// Examples:
    ///   aims hook install
    ///   aims hook uninstall
    #[command(verbatim_doc_comment)]
    Hook {
        #[command(subcommand)]
        action: HookAction,
    },
    /// List every rule: code, classification, clause or control, summary.
    Rules {
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Explain a rule, or what a clause or control requires
    ///
    /// For a rule: what it checks, why an auditor cares, how to fix it.
    /// For a clause or Annex A control: the elements its documented
    /// information must show (the requirements model), and how each is
    /// judged: by a field aims checks, by a rule, or by the auditor.
    ///
    /// Examples:
    ///   aims explain DOC005
    ///   aims explain 9.3.2
    ///   aims explain A.5.5
    Explain {
        /// A rule code (DOC005) or name (missing-field), a clause (9.3.2) or
        /// an Annex A control (A.5.5).
        code: String,
    },
    /// Scaffold a complete AIMS: aims.toml and every core document
    ///
    /// Writes aims.toml, the scope, AI policy, AI-system inventory entry, risk
    /// method and register, impact assessment, Statement of Applicability
    /// (all 38 Annex A controls), procedures, records, objectives,
    /// competence matrix, internal audit programme, management review,
    /// nonconformity log and a PRD template. Refuses to overwrite existing
    /// files unless --force.
    ///
    /// With --product, sets up a product repository instead: an aims.toml
    /// whose [upstream] names the central AIMS, and .aims/prd-template.md.
    ///
    /// Examples:
    ///   aims init --organisation "Acme Health" --email dana@acme.example
    ///   aims init --product --upstream git@github.com:acme/aims.git
    #[command(verbatim_doc_comment)]
    Init {
        /// Directory to initialise (created if missing).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Overwrite files that already exist.
        #[arg(long)]
        force: bool,
        /// Organisation name written into aims.toml [default: the directory's name].
        #[arg(long)]
        organisation: Option<String>,
        /// Email listed as the first member of every role [default: git user.email].
        #[arg(long)]
        email: Option<String>,
        /// Set up a product repository instead: an aims.toml naming the
        /// central AIMS (--upstream) and a PRD template, nothing else.
        #[arg(long, requires = "upstream")]
        product: bool,
        /// With --product: the central AIMS repository (a URL or path, as
        /// `git fetch` takes it).
        #[arg(long, value_name = "REPOSITORY", requires = "product")]
        upstream: Option<String>,
        /// With --product: the branch or tag of the AIMS in force.
        #[arg(
            long = "ref",
            value_name = "REF",
            default_value = "main",
            requires = "product"
        )]
        reference: String,
    },
    /// Create a document of KIND from its template, with the next free id
    ///
    /// Kinds: policy, procedure, scope, ai-system, risk, risk-assessment,
    /// impact-assessment, soa, objective, competence, management-review,
    /// internal-audit, nonconformity, prd, record.
    ///
    /// Example: aims new risk --title "Drift in credit scores"
    #[command(verbatim_doc_comment)]
    New {
        /// The kind of document.
        kind: String,
        /// Its title.
        #[arg(long, short = 't')]
        title: Option<String>,
        /// Its owner: an email or a role from aims.toml [default: you, or ai-governance-lead].
        #[arg(long)]
        owner: Option<String>,
        /// For a PRD: the inventoried AI system it touches (SYS-001); its risk
        /// tier, risks and impact assessment are filled in from the inventory.
        /// Without it, the inventory's systems are listed.
        #[arg(long, value_name = "ID")]
        system: Option<String>,
    },
    /// Print a shell completion script for SHELL
    ///
    /// Examples:
    ///   aims completions bash > ~/.local/share/bash-completion/completions/aims
    ///   aims completions zsh > "${fpath[1]}/_aims"
    ///   aims completions fish > ~/.config/fish/completions/aims.fish
    #[command(verbatim_doc_comment)]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// Write a man page for aims and for each command into DIR
    ///
    /// Writes aims.1 and aims-COMMAND.1 (roff); read one with `man -l`.
    ///
    /// Examples:
    ///   aims man --out ~/.local/share/man/man1
    ///   aims man --out target/man && man -l target/man/aims-check.1
    #[command(verbatim_doc_comment)]
    Man {
        /// The directory to write the pages to (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Fail on major nonconformities only.
    Major,
    /// Fail on minor nonconformities or worse.
    Minor,
    /// Fail on observations or worse.
    Observation,
    /// Fail on any finding at all.
    Improvement,
}

/// The shells `aims completions` writes for.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    /// Bash (bash-completion).
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// PowerShell.
    Powershell,
    /// Elvish.
    Elvish,
}

impl From<CompletionShell> for clap_complete::Shell {
    fn from(s: CompletionShell) -> clap_complete::Shell {
        match s {
            CompletionShell::Bash => clap_complete::Shell::Bash,
            CompletionShell::Zsh => clap_complete::Shell::Zsh,
            CompletionShell::Fish => clap_complete::Shell::Fish,
            CompletionShell::Powershell => clap_complete::Shell::PowerShell,
            CompletionShell::Elvish => clap_complete::Shell::Elvish,
        }
    }
}

impl From<FailOn> for Classification {
    fn from(f: FailOn) -> Classification {
        match f {
            FailOn::Major => Classification::Major,
            FailOn::Minor => Classification::Minor,
            FailOn::Observation => Classification::Observation,
            FailOn::Improvement => Classification::Improvement,
        }
    }
}
