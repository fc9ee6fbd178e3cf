//! Document rules (DOC…): every controlled document can be read, follows the
//! schema of its kind, has a unique id, references what exists, has its
//! required sections, and leaves derived fields to git. These are the
//! "documented information" requirements of clause 7.5.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::catalog;
use crate::config::{is_email, toml_date};
use crate::docs::schema::{COMMON, Field, KINDS, Kind, Req, Ty, derived_field};
use crate::docs::{Document, Loaded, MAX_DOCUMENT_BYTES, Node, Problem, Table, Value};
use crate::finding::{Classification, Finding, LineIndex};
use crate::rules::Rule;
use crate::workspace::Workspace;

pub static FRONTMATTER_MISSING: Rule = Rule {
    code: "DOC001",
    name: "frontmatter-missing",
    summary: "A controlled document has no TOML frontmatter",
    what: "Every file matched by the `documents` or `prds` globs must start with a line that is exactly `+++`, followed by TOML frontmatter and a closing `+++` line.",
    why: "Clause 7.5.2 requires documented information to be identified (id, title, owner). A file without frontmatter has no identity, no owner and no kind, so it cannot be controlled, approved or traced from the Statement of Applicability.",
    fix: "Add a frontmatter block at the very top: `+++`, then `id`, `kind`, `title` and `owner`, then `+++`. `aims new KIND` writes a correct skeleton. If the file is not a controlled document, move it outside the `documents` globs.",
    clause: Some("7.5.2"),
    control: None,
    classification: Classification::Minor,
};

pub static FRONTMATTER_UNTERMINATED: Rule = Rule {
    code: "DOC002",
    name: "frontmatter-unterminated",
    summary: "The frontmatter is never closed by a `+++` line",
    what: "After the opening `+++`, a line that is exactly `+++` (no spaces) must close the frontmatter.",
    why: "Without the closing line the whole file would be read as metadata: the document's content and identity are both lost, so it cannot be controlled (7.5.2).",
    fix: "Add a line containing exactly `+++` after the last frontmatter key. Check for trailing spaces on an existing closing line.",
    clause: Some("7.5.2"),
    control: None,
    classification: Classification::Minor,
};

pub static FRONTMATTER_INVALID: Rule = Rule {
    code: "DOC003",
    name: "frontmatter-invalid-toml",
    summary: "The frontmatter is not valid TOML",
    what: "The text between the `+++` lines must parse as TOML.",
    why: "A document whose metadata cannot be read has no verifiable id, kind or owner; none of its approvals, references or reviews can be established (7.5.2).",
    fix: "Fix the TOML at the position shown. Strings need double quotes (`title = \"AI Policy\"`), dates are bare (`due = 2026-12-31`), lists use brackets (`controls = [\"A.2.2\"]`).",
    clause: Some("7.5.2"),
    control: None,
    classification: Classification::Minor,
};

pub static UNREADABLE: Rule = Rule {
    code: "DOC004",
    name: "unreadable-document",
    summary: "A file matched as a controlled document cannot be read as text",
    what: "Controlled documents must be UTF-8 text files of reasonable size; binary files, invalid UTF-8, symbolic links and files over the size limit are not read.",
    why: "Documented information must be available and suitable for use (7.5.3). A file the tool cannot read cannot be reviewed, diffed or exported as evidence.",
    fix: "Convert the file to UTF-8 Markdown, replace a symbolic link by the file itself, or move binary evidence (PDFs, images) outside the `documents` globs and reference it from a `record` document.",
    clause: Some("7.5.3"),
    control: None,
    classification: Classification::Minor,
};

pub static MISSING_FIELD: Rule = Rule {
    code: "DOC005",
    name: "missing-field",
    summary: "A required frontmatter field is missing or empty",
    what: "Each kind of document has required fields (see the README or `aims new KIND`); some are required only in a context, such as `evidence` for an applicable SoA control or `justification` for an excluded one.",
    why: "Required fields carry what an auditor asks for first: who owns the document, which AI system a risk concerns, how an objective is measured, what evidences a control. An empty cell in the traceability chain is an audit finding (7.5.2, and the clause the document evidences).",
    fix: "Add the field with a real value. The finding's help line says what the field holds.",
    clause: Some("7.5.2"),
    control: None,
    classification: Classification::Minor,
};

pub static INVALID_VALUE: Rule = Rule {
    code: "DOC006",
    name: "invalid-field-value",
    summary: "A frontmatter field has the wrong type or an invalid value",
    what: "Field values must have the documented type (string, list, date, boolean) and, for enumerations, dates, emails, intervals, clause and Annex A control ids, a valid value.",
    why: "A value the tool cannot interpret cannot be checked: an unknown control id breaks SoA traceability, an invalid date hides an overdue review (7.5.2).",
    fix: "Write the value in the expected form; the finding says which. Dates are `YYYY-MM-DD`, intervals are like \"12 months\", control ids look like \"A.6.2.4\".",
    clause: Some("7.5.2"),
    control: None,
    classification: Classification::Minor,
};

pub static UNKNOWN_FIELD: Rule = Rule {
    code: "DOC007",
    name: "unknown-field",
    summary: "A frontmatter field is not part of the document's schema",
    what: "Keys that the kind does not define are reported, with the closest known key when there is one. Keys starting with `x-` are free for your own use.",
    why: "A misspelt key (`ownr`) silently drops information the auditor relies on, while the document looks complete to its author.",
    fix: "Correct the spelling, remove the key, or rename a deliberate extension to start with `x-`.",
    clause: Some("7.5.2"),
    control: None,
    classification: Classification::Observation,
};

pub static UNKNOWN_KIND: Rule = Rule {
    code: "DOC008",
    name: "unknown-kind",
    summary: "The document's `kind` is not a known kind",
    what: "`kind` must be one of: policy, procedure, scope, ai-system, risk, risk-assessment, impact-assessment, soa, objective, competence, management-review, internal-audit, nonconformity, prd, record.",
    why: "The kind decides which schema, approvers and review interval apply. A document of unknown kind escapes every check the AIMS relies on (7.5.2).",
    fix: "Set `kind` to one of the known kinds (the finding suggests the closest).",
    clause: Some("7.5.2"),
    control: None,
    classification: Classification::Minor,
};

pub static DUPLICATE_ID: Rule = Rule {
    code: "DOC009",
    name: "duplicate-id",
    summary: "Two documents share one id",
    what: "Every controlled document must have an id of its own.",
    why: "Approvals, versions and history follow the id. Two documents with one id merge their histories and make it impossible to say which one an approval covers (7.5.3).",
    fix: "Give one of the documents a new id (`aims new` hands out the next free one) and update references to it.",
    clause: Some("7.5.3"),
    control: None,
    classification: Classification::Minor,
};

pub static UNRESOLVED_REFERENCE: Rule = Rule {
    code: "DOC010",
    name: "unresolved-reference",
    summary: "A reference names a document or role that does not exist",
    what: "References by id must name an existing document of an allowed kind (a risk's `ai-system` must be an ai-system, an SoA entry's `evidence` must be records). Owners and roles must be an email address or a role defined under `[roles]` in aims.toml.",
    why: "Traceability is what auditors test: from SoA control to procedure to evidence, from risk to AI system. A dangling reference is a broken chain, and an owner like \"the AI team\" names nobody accountable (5.3, 7.5.2).",
    fix: "Correct the id, create the missing document (`aims new KIND`), or name an accountable person by email or a defined role.",
    clause: Some("7.5.2"),
    control: None,
    classification: Classification::Minor,
};

pub static MISSING_SECTION: Rule = Rule {
    code: "DOC011",
    name: "missing-section",
    summary: "A required section (heading) is missing from the document body",
    what: "Each kind has required body sections, found as Markdown headings of any level (case does not matter; numbering such as \"2.\" is ignored). For example a management review needs \"Data reviewed\", \"Decisions\" and \"Actions\".",
    why: "The sections hold the substance the standard asks for; a management review that says only \"no issues identified\" has no data, decisions or actions an auditor could verify (7.5.2 and the document's own clause).",
    fix: "Add the heading and write the content under it. `aims new KIND` shows the expected structure.",
    clause: Some("7.5.2"),
    control: None,
    classification: Classification::Minor,
};

pub static DERIVED_FIELD: Rule = Rule {
    code: "DOC012",
    name: "derived-field-written",
    summary: "A field that git derives (version, approver, review dates) is written by hand",
    what: "Version, approver, approval date, last review and next review are derived from signed approval tags and commit history. Frontmatter must not state them.",
    why: "A hand-typed \"approved by\" or \"version 2.1\" is a claim without evidence; when it disagrees with the signed record the auditor sees uncontrolled documented information (7.5.3).",
    fix: "Delete the field. Versions, approvals and review dates are derived from signed approval tags (`refs/tags/aims/…`) and commit history, never from the document's own text.",
    clause: Some("7.5.3"),
    control: None,
    classification: Classification::Minor,
};

pub static ENCODING: Rule = Rule {
    code: "DOC013",
    name: "non-canonical-encoding",
    summary: "The document uses CRLF line endings or starts with a byte-order mark",
    what: "Documents are read fine with CRLF line endings or a UTF-8 byte-order mark, but the canonical form is LF and no BOM.",
    why: "Mixed line endings make redlines between versions noisy and can change blob ids between checkouts, which obscures what an approval covered (7.5.3).",
    fix: "Add `*.md text eol=lf` to `.gitattributes` and renormalise (`git add --renormalize .`), and save files as UTF-8 without BOM.",
    clause: Some("7.5.2"),
    control: None,
    classification: Classification::Improvement,
};

pub fn check(ws: &Workspace, out: &mut Vec<Finding>) {
    let targets: Targets<'_> = ws
        .index()
        .into_iter()
        .map(|(id, doc)| (id, doc.kind()))
        .collect();
    check_with(ws, &targets, out);
}

/// [`check`], with references resolved against `targets` (every id of the
/// AIMS and its first document's kind) rather than against the documents
/// `ws` holds: the pre-commit gate reads only some documents in full and
/// knows the others by id and kind alone. Duplicate ids are reported among
/// the documents of `ws`.
pub fn check_with(ws: &Workspace, targets: &Targets<'_>, out: &mut Vec<Finding>) {
    let index = targets;
    for loaded in &ws.loaded {
        match loaded {
            Loaded::Problem {
                path,
                source,
                problem,
            } => out.push(problem_finding(path, source, problem)),
            Loaded::Document(doc) => {
                let mut ctx = Ctx {
                    ws,
                    index,
                    doc,
                    lines: LineIndex::new(&doc.source),
                    out,
                };
                ctx.check_document();
            }
        }
    }
    duplicate_ids(ws, out);
}

fn problem_finding(path: &str, source: &str, problem: &Problem) -> Finding {
    let at_start = |rule, message: &str| Finding::new(rule, message).at(path, source, Some(0..0));
    match problem {
        Problem::NoFrontmatter => {
            let first = source.trim_start_matches('\u{feff}').lines().next().unwrap_or("");
            let (message, help) = if source.trim().is_empty() {
                ("the file is empty: a controlled document needs frontmatter", "start the file with `+++`, the id/kind/title/owner keys, and `+++`; `aims new KIND` writes one")
            } else if first.trim() == "---" {
                ("the frontmatter is YAML (`---`); aims reads TOML between `+++` lines", "replace the `---` lines by `+++` and write the keys as TOML: `title = \"AI Policy\"`")
            } else {
                ("no frontmatter: line 1 must be exactly `+++`", "start the file with `+++`, the id/kind/title/owner keys, and `+++`; `aims new KIND` writes one")
            };
            at_start(&FRONTMATTER_MISSING, message).help(help)
        }
        Problem::Unterminated { open, near_miss } => {
            let f = Finding::new(&FRONTMATTER_UNTERMINATED, "the frontmatter opened here is never closed by a line that is exactly `+++`")
                .at(path, source, Some(open.clone()));
            match near_miss {
                Some(r) => {
                    let line = crate::finding::line_col(source, r.start).0;
                    f.help(format!("line {line} looks like a closing fence but has extra spaces; make it exactly `+++`"))
                }
                None => f.help("add a line `+++` after the last frontmatter key"),
            }
        }
        Problem::InvalidToml { message, span } => Finding::new(
            &FRONTMATTER_INVALID,
            format!("invalid TOML in the frontmatter: {}", first_line(message)),
        )
        .at(path, source, Some(span.clone().unwrap_or(0..0)))
        .help("strings need double quotes (title = \"AI Policy\"), dates are bare (due = 2026-12-31), lists use brackets"),
        Problem::Binary => at_start(&UNREADABLE, "this is a binary file, not a Markdown document")
            .help("move binary evidence outside the `documents` globs and describe it in a `record` document"),
        Problem::NotUtf8 { line, .. } => Finding::new(&UNREADABLE, format!("the file is not valid UTF-8 (first bad byte on line {line})"))
            .at_line(path, *line)
            .help("re-save the file as UTF-8"),
        Problem::TooLarge { bytes } => at_start(
            &UNREADABLE,
            &format!("the file is {bytes} bytes; documents over {MAX_DOCUMENT_BYTES} bytes are not read"),
        )
        .help("split the document, or keep large evidence outside the `documents` globs"),
        Problem::Symlink => at_start(&UNREADABLE, "this is a symbolic link; links are not followed, since they can point outside the repository")
            .help("replace the link by the document itself"),
        Problem::Io(e) => at_start(&UNREADABLE, &format!("cannot read the file: {e}")).help("check the file's permissions"),
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// Id → the first document (in path order) that uses it.
pub type Index<'a> = BTreeMap<&'a str, &'a Document>;

/// Id → the kind of the first document (in path order) that uses it: what
/// a reference is resolved against.
pub type Targets<'a> = BTreeMap<&'a str, Option<Kind>>;

struct Ctx<'a, 'o> {
    ws: &'a Workspace,
    index: &'a Targets<'a>,
    doc: &'a Document,
    lines: LineIndex,
    out: &'o mut Vec<Finding>,
}

impl Ctx<'_, '_> {
    fn report(
        &mut self,
        rule: &'static Rule,
        span: Range<usize>,
        message: String,
        help: impl Into<String>,
    ) {
        let f = Finding::new(rule, message)
            .document(self.doc.id())
            .at_indexed(&self.doc.path, &self.doc.source, &self.lines, span)
            .help(help);
        self.out.push(f);
    }

    fn check_document(&mut self) {
        let doc = self.doc;
        if doc.encoding.crlf || doc.encoding.bom {
            let what = match (doc.encoding.crlf, doc.encoding.bom) {
                (true, true) => "starts with a UTF-8 byte-order mark and uses CRLF line endings",
                (true, false) => "uses CRLF line endings",
                _ => "starts with a UTF-8 byte-order mark",
            };
            self.report(
                &ENCODING,
                0..0,
                format!("the document {what}"),
                "add `*.md text eol=lf` to .gitattributes and save as UTF-8 without BOM",
            );
        }
        if doc.frontmatter.is_empty() {
            self.report(
                &MISSING_FIELD,
                doc.split.open.clone(),
                "the frontmatter is empty".into(),
                "every document needs at least id, kind, title and owner, e.g. id = \"POL-001\"",
            );
            return;
        }
        let kind = self.check_kind();
        let mut fields: Vec<Field> = COMMON.to_vec();
        if let Some(kind) = kind {
            fields.extend_from_slice(kind.spec().fields);
        }
        let frontmatter = &doc.frontmatter;
        self.check_table(
            frontmatter,
            &fields,
            "",
            doc.split.open.clone(),
            kind.is_some(),
            true,
        );
        if let Some(node) = frontmatter.get("id")
            && let Some(id) = node.as_str()
            && !id.trim().is_empty()
            && !is_valid_id(id)
        {
            self.report(
                &INVALID_VALUE,
                node.span.clone(),
                format!("`{id}` is not a usable id"),
                "ids are letters, digits, '.', '_' and '-' (up to 64), starting with a letter or digit, e.g. \"POL-001\"",
            );
        }
        if let Some(kind) = kind {
            for section in kind.spec().sections {
                if !doc.has_section(section) {
                    self.report(
                        &MISSING_SECTION,
                        doc.split.open.clone(),
                        format!("a {kind} needs a section \"{section}\""),
                        format!("add a heading `## {section}` and its content; `aims new {kind}` shows the expected structure"),
                    );
                }
            }
        }
    }

    fn check_kind(&mut self) -> Option<Kind> {
        let node = self.doc.frontmatter.get("kind")?;
        let name = node.as_str()?;
        let kind = Kind::parse(name);
        if kind.is_none() && !name.trim().is_empty() {
            let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
            let help = match closest(name, &names) {
                Some(s) => format!("did you mean \"{s}\"? Known kinds: {}", names.join(", ")),
                None => format!("known kinds: {}", names.join(", ")),
            };
            self.report(
                &UNKNOWN_KIND,
                node.span.clone(),
                format!("`{name}` is not a kind of document"),
                help,
            );
        }
        kind
    }

    /// Checks one table against its fields. `place` prefixes messages for
    /// entries of arrays of tables (`[[control]] A.6.2.4: `).
    fn check_table(
        &mut self,
        table: &Table,
        fields: &[Field],
        place: &str,
        at: Range<usize>,
        known: bool,
        top: bool,
    ) {
        for field in fields {
            match table.get(field.name) {
                Some(node) => self.check_value(field, node, place),
                None => {
                    let why = match field.req {
                        Req::Required => Some(String::new()),
                        Req::Optional => None,
                        Req::When(other, value) => {
                            let holds = table.get(other).is_some_and(|n| match &n.value {
                                Value::Boolean(b) => b.to_string() == value,
                                Value::String(s) => s == value,
                                _ => false,
                            });
                            let shown = if value == "true" || value == "false" {
                                value.to_owned()
                            } else {
                                format!("\"{value}\"")
                            };
                            holds.then(|| format!(" (required when {other} = {shown})"))
                        }
                    };
                    if let Some(why) = why {
                        self.report(
                            &MISSING_FIELD,
                            at.clone(),
                            format!("{place}missing required field `{}`{why}", field.name),
                            format!("{}: {}", field.name, field.doc),
                        );
                    }
                }
            }
        }
        for entry in &table.entries {
            if fields.iter().any(|f| f.name == entry.key) || entry.key.starts_with("x-") {
                continue;
            }
            if let (true, Some(derived)) = (top, derived_field(&entry.key)) {
                self.report(
                    &DERIVED_FIELD,
                    entry.key_span.clone(),
                    format!("`{}` is derived from git and must not be written by hand", entry.key),
                    format!("delete it: the {derived} is derived from signed approval tags and history, not typed in"),
                );
                continue;
            }
            if !known {
                continue;
            }
            let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
            let help = match closest(&entry.key, &names) {
                Some(s) => {
                    format!("did you mean `{s}`? Keys starting with `x-` are free for your own use")
                }
                None => format!(
                    "known keys here: {}; keys starting with `x-` are free for your own use",
                    names.join(", ")
                ),
            };
            self.report(
                &UNKNOWN_FIELD,
                entry.key_span.clone(),
                format!("{place}unknown field `{}`", entry.key),
                help,
            );
        }
    }

    fn check_value(&mut self, field: &Field, node: &Node, place: &str) {
        let name = field.name;
        let wrong = |expected: &str| {
            format!(
                "{place}`{name}` must be {expected}, found {}",
                node.value.type_name()
            )
        };
        match field.ty {
            Ty::Text => match node.as_str() {
                Some(s) if s.trim().is_empty() => self.empty(field, node, place),
                Some(_) => {}
                None => self.report(
                    &INVALID_VALUE,
                    node.span.clone(),
                    wrong("a string"),
                    format!("{name} = \"…\""),
                ),
            },
            Ty::Email => match node.as_str() {
                Some(s) if is_email(s) => {}
                _ => self.report(
                    &INVALID_VALUE,
                    node.span.clone(),
                    format!("{place}`{name}` must be an email address"),
                    format!("{name} = \"dana@acme.example\""),
                ),
            },
            Ty::Person | Ty::Role => match node.as_str() {
                Some(s) if s.trim().is_empty() => self.empty(field, node, place),
                Some(s) => self.person(field, s, node.span.clone(), place),
                None => self.report(
                    &INVALID_VALUE,
                    node.span.clone(),
                    wrong("a string"),
                    format!("{name} = \"ai-governance-lead\""),
                ),
            },
            Ty::Date => {
                let ok = match &node.value {
                    Value::Datetime(dt) => toml_date(dt).is_some(),
                    Value::String(s) => s.parse::<crate::date::Date>().is_ok(),
                    _ => false,
                };
                if !ok {
                    self.report(
                        &INVALID_VALUE,
                        node.span.clone(),
                        format!("{place}`{name}` must be a date (YYYY-MM-DD)"),
                        format!("{name} = 2026-12-31"),
                    );
                }
            }
            Ty::Interval => match node.as_str().map(str::parse::<crate::date::Interval>) {
                Some(Ok(_)) => {}
                Some(Err(e)) => self.report(
                    &INVALID_VALUE,
                    node.span.clone(),
                    format!("{place}`{name}`: {e}"),
                    format!("{name} = \"12 months\""),
                ),
                None => self.report(
                    &INVALID_VALUE,
                    node.span.clone(),
                    wrong("a string such as \"12 months\""),
                    format!("{name} = \"12 months\""),
                ),
            },
            Ty::Number => {
                if !matches!(
                    node.value,
                    crate::docs::Value::Integer(_) | crate::docs::Value::Float(_)
                ) {
                    self.report(
                        &INVALID_VALUE,
                        node.span.clone(),
                        wrong("a number"),
                        format!("{name} = 95"),
                    );
                }
            }
            Ty::Bool => {
                if node.as_bool().is_none() {
                    self.report(
                        &INVALID_VALUE,
                        node.span.clone(),
                        wrong("true or false"),
                        format!("{name} = true"),
                    );
                }
            }
            Ty::Enum(values) => match node.as_str() {
                Some(s) if values.contains(&s) => {}
                Some(s) => self.bad_choice(name, s, values, node.span.clone(), place),
                None => self.report(
                    &INVALID_VALUE,
                    node.span.clone(),
                    wrong("a string"),
                    format!("one of: {}", values.join(", ")),
                ),
            },
            Ty::Ref(kinds) => match node.as_str() {
                Some(s) if s.trim().is_empty() => self.empty(field, node, place),
                Some(s) => self.reference(field, s, kinds, node.span.clone(), place),
                None => self.report(
                    &INVALID_VALUE,
                    node.span.clone(),
                    wrong("a document id (a string)"),
                    format!("{name} = \"SYS-001\""),
                ),
            },
            Ty::Control => match node.as_str() {
                Some(s) => self.control(name, s, node.span.clone(), place),
                None => self.report(
                    &INVALID_VALUE,
                    node.span.clone(),
                    wrong("a control id"),
                    format!("{name} = \"A.6.2.4\""),
                ),
            },
            Ty::Clauses | Ty::Controls => {
                let items: Vec<&Node> = match &node.value {
                    Value::String(_) => vec![node],
                    Value::Array(items) => items.iter().collect(),
                    _ => {
                        self.report(
                            &INVALID_VALUE,
                            node.span.clone(),
                            wrong("a list of ids"),
                            format!("{name} = [\"…\"]"),
                        );
                        return;
                    }
                };
                for item in items {
                    match (item.as_str(), field.ty) {
                        (Some(s), Ty::Controls) => self.control(name, s, item.span.clone(), place),
                        (Some(s), _) if catalog::clause(s).is_some() => {}
                        (Some(s), _) => self.report(
                            &INVALID_VALUE,
                            item.span.clone(),
                            format!("{place}`{name}`: `{s}` is not an ISO 42001 clause"),
                            "clauses run from 4.1 to 10.2, e.g. \"6.1.2\" (ids as in the standard's table of contents)",
                        ),
                        (None, _) => self.report(
                            &INVALID_VALUE,
                            item.span.clone(),
                            format!("{place}`{name}` must list ids as strings"),
                            format!("{name} = [\"…\"]"),
                        ),
                    }
                }
            }
            Ty::Texts | Ty::Persons | Ty::Refs(_) | Ty::EnumList(_) => {
                let Some(items) = node.as_array() else {
                    self.report(
                        &INVALID_VALUE,
                        node.span.clone(),
                        wrong("a list"),
                        format!("{name} = [\"…\"]"),
                    );
                    return;
                };
                if items.is_empty() && field.req != Req::Optional {
                    self.empty(field, node, place);
                }
                let mut seen = std::collections::HashSet::new();
                for item in items {
                    let Some(s) = item.as_str() else {
                        self.report(
                            &INVALID_VALUE,
                            item.span.clone(),
                            format!(
                                "{place}`{name}` must list strings, found {}",
                                item.value.type_name()
                            ),
                            format!("{name} = [\"…\"]"),
                        );
                        continue;
                    };
                    if !seen.insert(s) {
                        self.report(
                            &INVALID_VALUE,
                            item.span.clone(),
                            format!("{place}`{name}` lists `{s}` twice"),
                            "remove the repetition",
                        );
                        continue;
                    }
                    match field.ty {
                        Ty::Texts if s.trim().is_empty() => self.empty(field, item, place),
                        Ty::Persons => self.person(field, s, item.span.clone(), place),
                        Ty::Refs(kinds) => {
                            self.reference(field, s, kinds, item.span.clone(), place)
                        }
                        Ty::EnumList(values) if !values.contains(&s) => {
                            self.bad_choice(name, s, values, item.span.clone(), place)
                        }
                        _ => {}
                    }
                }
            }
            Ty::Table(sub) => match node.as_table() {
                Some(t) => {
                    let inner = format!("{place}[{name}] ");
                    self.check_table(t, sub, &inner, node.span.clone(), true, false);
                }
                None => self.report(
                    &INVALID_VALUE,
                    node.span.clone(),
                    wrong("a table"),
                    format!("write it as a [{name}] section"),
                ),
            },
            Ty::Tables(sub) => {
                let Some(items) = node.as_array() else {
                    self.report(
                        &INVALID_VALUE,
                        node.span.clone(),
                        wrong("an array of tables"),
                        format!("write each entry as a [[{name}]] section"),
                    );
                    return;
                };
                if items.is_empty() && field.req == Req::Required {
                    self.empty(field, node, place);
                }
                for (i, item) in items.iter().enumerate() {
                    let Some(t) = item.as_table() else {
                        self.report(
                            &INVALID_VALUE,
                            item.span.clone(),
                            format!("{place}`{name}` entries must be tables"),
                            format!("write each entry as a [[{name}]] section"),
                        );
                        continue;
                    };
                    let label = ["id", "role", "ai-system", "action"]
                        .iter()
                        .find_map(|k| t.str(k))
                        .map_or_else(|| format!("#{}", i + 1), str::to_owned);
                    let inner = format!("{place}[[{name}]] {label}: ");
                    self.check_table(t, sub, &inner, item.span.clone(), true, false);
                }
            }
        }
    }

    fn empty(&mut self, field: &Field, node: &Node, place: &str) {
        self.report(
            &MISSING_FIELD,
            node.span.clone(),
            format!("{place}`{}` is empty", field.name),
            format!("{}: {}", field.name, field.doc),
        );
    }

    fn bad_choice(
        &mut self,
        name: &str,
        value: &str,
        values: &[&str],
        span: Range<usize>,
        place: &str,
    ) {
        let help = match closest(value, values) {
            Some(s) => format!("did you mean \"{s}\"? Allowed: {}", values.join(", ")),
            None => format!("allowed: {}", values.join(", ")),
        };
        self.report(
            &INVALID_VALUE,
            span,
            format!("{place}`{name}` cannot be \"{value}\""),
            help,
        );
    }

    fn control(&mut self, name: &str, id: &str, span: Range<usize>, place: &str) {
        if catalog::control(id).is_some() {
            return;
        }
        let help = if catalog::group(id).is_some() || id.ends_with(".1") {
            format!("`{id}` is a group objective, not a control; controls start at .2 (e.g. A.5.2)")
        } else {
            "Annex A has 38 controls, from A.2.2 to A.10.4, e.g. \"A.6.2.4\"".to_owned()
        };
        self.report(
            &INVALID_VALUE,
            span,
            format!("{place}`{name}`: `{id}` is not an Annex A control"),
            help,
        );
    }

    fn person(&mut self, field: &Field, value: &str, span: Range<usize>, place: &str) {
        let name = field.name;
        let roles = &self.ws.config.roles;
        if field.ty == Ty::Role || !value.contains('@') {
            if roles.contains_key(value) {
                return;
            }
            let role_names: Vec<&str> = roles.keys().map(String::as_str).collect();
            let help = match closest(value, &role_names) {
                Some(s) => format!("did you mean the role \"{s}\"?"),
                None if role_names.is_empty() => {
                    "define the role under [roles] in aims.toml with its members".to_owned()
                }
                None => format!("roles in aims.toml: {}", role_names.join(", ")),
            };
            let message = if field.ty == Ty::Role {
                format!("{place}`{name}` names `{value}`, which is not a role in aims.toml")
            } else {
                format!(
                    "{place}`{name}` is `{value}`, which is neither an email address nor a role in aims.toml"
                )
            };
            let help = if field.ty == Ty::Role {
                help
            } else {
                format!("name an accountable person by email or a defined role; {help}")
            };
            self.report(&UNRESOLVED_REFERENCE, span, message, help);
        } else if !is_email(value) {
            self.report(
                &INVALID_VALUE,
                span,
                format!("{place}`{name}`: `{value}` is not a valid email address"),
                "e.g. \"dana@acme.example\"",
            );
        }
    }

    fn reference(
        &mut self,
        field: &Field,
        id: &str,
        kinds: &[Kind],
        span: Range<usize>,
        place: &str,
    ) {
        let name = field.name;
        let expected = || {
            kinds
                .iter()
                .map(|k| k.name())
                .collect::<Vec<_>>()
                .join(" or ")
        };
        match self.index.get(id) {
            None => {
                let ids: Vec<&str> = self
                    .index
                    .iter()
                    .filter(|(_, kind)| {
                        kinds.is_empty() || kind.is_some_and(|k| kinds.contains(&k))
                    })
                    .map(|(id, _)| *id)
                    .collect();
                let help = match closest(id, &ids) {
                    Some(s) => format!("did you mean \"{s}\"?"),
                    None if kinds.is_empty() => "create the document or correct the id".to_owned(),
                    None => format!("create it with `aims new {}` or correct the id", kinds[0]),
                };
                self.report(
                    &UNRESOLVED_REFERENCE,
                    span,
                    format!("{place}`{name}` refers to `{id}`, but no document has that id"),
                    help,
                );
            }
            Some(target) => {
                let Some(kind) = *target else { return };
                if !kinds.is_empty() && !kinds.contains(&kind) {
                    self.report(
                        &UNRESOLVED_REFERENCE,
                        span,
                        format!(
                            "{place}`{name}` refers to `{id}`, which is a {kind}, not a {}",
                            expected()
                        ),
                        format!("`{name}` must name a {}", expected()),
                    );
                }
            }
        }
    }
}

fn duplicate_ids(ws: &Workspace, out: &mut Vec<Finding>) {
    let mut by_id: BTreeMap<&str, Vec<&Document>> = BTreeMap::new();
    for doc in ws.documents() {
        if let Some(id) = doc.id() {
            by_id.entry(id).or_default().push(doc);
        }
    }
    for (id, docs) in by_id {
        let Some((first, rest)) = docs.split_first() else {
            continue;
        };
        for doc in rest {
            let span = doc.frontmatter.get("id").map(|n| n.span.clone());
            out.push(
                Finding::new(&DUPLICATE_ID, format!("id `{id}` is already used by {}", first.path))
                    .document(Some(id))
                    .at(&doc.path, &doc.source, span)
                    .help("give this document an id of its own (`aims new` hands out the next free one) and update references"),
            );
        }
    }
}

pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.starts_with(|c: char| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The candidate closest to `word` by edit distance, when it is close.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word_l = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&word_l, &c.to_ascii_lowercase()), *c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(closest("ownr", &["owner", "title"]), Some("owner"));
        assert_eq!(closest("polcy", &["policy", "procedure"]), Some("policy"));
        assert_eq!(closest("zzz", &["owner"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn ids() {
        assert!(is_valid_id("POL-001"));
        assert!(is_valid_id("sys.credit_v2"));
        assert!(!is_valid_id("../etc"));
        assert!(!is_valid_id("has space"));
        assert!(!is_valid_id(""));
    }
}
