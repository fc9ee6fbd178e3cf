//! `aims.toml`: where documents live, who holds which role, which roles
//! approve which kinds, review intervals, and rule overrides.
//!
//! Unknown keys are errors (a typo in a compliance configuration must not
//! pass silently). Every mistake is a diagnostic pointing into the file;
//! a configuration error stops the run with exit code 2.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};
use miette::{LabeledSpan, MietteDiagnostic, NamedSource, Report};
use serde::Deserialize;
use toml::de::DeTable;

use crate::date::{Date, Interval};
use crate::docs::Kind;
use crate::finding::Classification;
use crate::rules;

pub const FILE_NAME: &str = "aims.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    aims: RawAims,
    #[serde(default)]
    roles: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    kinds: BTreeMap<String, RawKind>,
    #[serde(default)]
    rules: BTreeMap<String, String>,
    #[serde(default)]
    people: BTreeMap<String, String>,
    upstream: Option<RawUpstream>,
    #[serde(default)]
    source: Vec<RawSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawUpstream {
    repository: String,
    #[serde(default = "default_ref", rename = "ref")]
    reference: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSource {
    name: String,
    repository: String,
    #[serde(default = "default_ref", rename = "ref")]
    reference: String,
    prds: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAims {
    organisation: Option<String>,
    documents: Option<Vec<String>>,
    #[serde(default)]
    prds: Vec<String>,
    #[serde(default = "default_protected")]
    protected_branches: Vec<String>,
    #[serde(default = "default_signers")]
    allowed_signers: String,
    gpg_keyring: Option<String>,
    revoked_keys: Option<String>,
    #[serde(default = "yes")]
    require_distinct_approver: bool,
    certification_date: Option<toml::value::Datetime>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawKind {
    approvers: Option<Vec<String>>,
    review_interval: Option<String>,
}

fn default_documents() -> Vec<String> {
    vec!["aims/**/*.md".to_owned()]
}
fn default_ref() -> String {
    "main".to_owned()
}
fn default_protected() -> Vec<String> {
    vec!["main".to_owned()]
}
fn default_signers() -> String {
    ".aims/allowed_signers".to_owned()
}
fn yes() -> bool {
    true
}

/// The configuration in force.
#[derive(Clone, Debug)]
pub struct Config {
    pub organisation: Option<String>,
    pub documents: Vec<String>,
    pub prds: Vec<String>,
    pub protected_branches: Vec<String>,
    pub allowed_signers: String,
    pub gpg_keyring: Option<String>,
    /// Keys whose every signature is void (compromised), one per line.
    pub revoked_keys: Option<String>,
    pub require_distinct_approver: bool,
    pub certification_date: Option<Date>,
    /// Role name → member emails.
    pub roles: BTreeMap<String, Vec<String>>,
    kinds: BTreeMap<Kind, KindPolicy>,
    /// Rule code → classification, or `None` when the rule is turned off.
    pub rule_overrides: BTreeMap<String, Option<Classification>>,
    /// Email → GitHub handle (`[people]`), for assigning reminders.
    pub people: BTreeMap<String, String>,
    documents_set: GlobSet,
    prds_set: GlobSet,
    /// In a product repository: the central AIMS it answers to.
    pub upstream: Option<Remote>,
    /// In the central AIMS: the product repositories whose PRDs it reads.
    pub sources: Vec<Source>,
}

/// A repository aims fetches with the system's git: a URL or a path (a
/// relative path is relative to the directory of aims.toml), and a ref.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remote {
    pub repository: String,
    pub reference: String,
}

/// A product repository named by `[[source]]` in the central AIMS.
#[derive(Clone, Debug)]
pub struct Source {
    /// Short name, unique: lowercase letters, digits and hyphens.
    pub name: String,
    pub remote: Remote,
    pub prds: Vec<String>,
    prds_set: GlobSet,
}

impl Source {
    /// Whether a path of the source's tree is one of its PRDs.
    pub fn is_prd(&self, rel: &str) -> bool {
        self.prds_set.is_match(rel)
    }
}

/// Who approves a kind of document, and how often it is reviewed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindPolicy {
    pub approvers: Vec<String>,
    pub review_interval: Interval,
}

impl Config {
    /// Reads `aims.toml` from the repository root.
    pub fn load(root: &Path) -> miette::Result<Config> {
        let path = root.join(FILE_NAME);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            miette::miette!(
                help = "run `aims init` to create one, or `-C DIR` to point at the repository",
                "cannot read {}: {e}",
                path.display()
            )
        })?;
        Config::parse(&text)
    }

    pub fn parse(text: &str) -> miette::Result<Config> {
        let err = |span: Option<Range<usize>>, message: String, help: &str| -> Report {
            // A span on a very long line: an excerpt, not a snippet.
            let excerpt = span
                .as_ref()
                .and_then(|s| crate::report::snippet::excerpt(text, s));
            if let Some(e) = excerpt {
                let diag = MietteDiagnostic::new(format!("{message} ({FILE_NAME}, {e})"))
                    .with_code("aims::config")
                    .with_help(help);
                return Report::new(diag);
            }
            let mut diag = MietteDiagnostic::new(message)
                .with_code("aims::config")
                .with_help(help);
            if let Some(span) = span {
                diag = diag.with_label(LabeledSpan::at(span, "here"));
            }
            Report::new(diag).with_source_code(NamedSource::new(FILE_NAME, text.to_owned()))
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            err(
                e.span(),
                format!("invalid {FILE_NAME}: {}", e.message().trim_end()),
                "see the `aims.toml` section of the README for every key; keys are kebab-case",
            )
        })?;
        // Parsed again only to find where a key was written, for the
        // semantic errors below; the text parsed once already.
        let tree = DeTable::parse(text).ok();
        let span_of = |path: &[&str]| tree.as_ref().and_then(|t| key_span(t.get_ref(), path));

        let mut roles = BTreeMap::new();
        for (role, members) in raw.roles {
            if !is_role_name(&role) {
                return Err(err(
                    span_of(&["roles", &role]),
                    format!("`{role}` is not a valid role name"),
                    "role names are lowercase words joined by hyphens, e.g. ai-governance-lead",
                ));
            }
            for m in &members {
                if !is_email(m) {
                    return Err(err(
                        span_of(&["roles", &role]),
                        format!("role `{role}` lists `{m}`, which is not an email address"),
                        "list members by the email they sign approvals with, e.g. [\"dana@acme.example\"]",
                    ));
                }
            }
            roles.insert(role, members);
        }

        let mut kinds = BTreeMap::new();
        for spec in crate::docs::schema::KINDS {
            let policy = KindPolicy {
                approvers: spec
                    .default_approvers
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
                review_interval: spec
                    .default_review_interval
                    .parse()
                    .expect("built-in review intervals parse (unit-tested)"),
            };
            kinds.insert(spec.kind, policy);
        }
        for (name, raw_kind) in raw.kinds {
            let Some(kind) = Kind::parse(&name) else {
                let known: Vec<_> = crate::docs::schema::KINDS.iter().map(|k| k.name).collect();
                return Err(err(
                    span_of(&["kinds", &name]),
                    format!("`[kinds.{name}]`: there is no document kind `{name}`"),
                    &format!("known kinds: {}", known.join(", ")),
                ));
            };
            let policy = kinds
                .get_mut(&kind)
                .expect("every kind has a default policy");
            if let Some(approvers) = raw_kind.approvers {
                if approvers.is_empty() {
                    return Err(err(
                        span_of(&["kinds", &name, "approvers"]),
                        format!(
                            "`[kinds.{name}] approvers` is empty: nobody could approve a {name}"
                        ),
                        "name at least one role from [roles]",
                    ));
                }
                for a in &approvers {
                    if !roles.contains_key(a) {
                        return Err(err(
                            span_of(&["kinds", &name, "approvers"]),
                            format!(
                                "`[kinds.{name}] approvers` names `{a}`, which is not a role in [roles]"
                            ),
                            "define the role under [roles] with its members, or fix the name",
                        ));
                    }
                }
                policy.approvers = approvers;
            }
            if let Some(interval) = raw_kind.review_interval {
                policy.review_interval = interval.parse().map_err(|e: String| {
                    err(
                        span_of(&["kinds", &name, "review-interval"]),
                        e,
                        "e.g. review-interval = \"12 months\"",
                    )
                })?;
            }
        }

        let mut rule_overrides = BTreeMap::new();
        for (code, setting) in raw.rules {
            // A rule by code or name, or a whole family ("ISO" for every
            // ISO… rule); stored by code or family, upper-case.
            let key = match rules::find(&code) {
                Some(rule) => rule.code.to_owned(),
                None if rules::is_family(&code) => code.to_ascii_uppercase(),
                None => {
                    return Err(err(
                        span_of(&["rules", &code]),
                        format!("`[rules] {code}`: there is no rule with that code"),
                        "`aims rules` lists every rule code; a family (CTL, DOC, ISO) sets all its rules",
                    ));
                }
            };
            let value = if setting == "off" {
                None
            } else {
                Some(setting.parse::<Classification>().map_err(|e| {
                    err(
                        span_of(&["rules", &code]),
                        e,
                        "or \"off\" to disable the rule",
                    )
                })?)
            };
            rule_overrides.insert(key, value);
        }

        for (email, handle) in &raw.people {
            if !is_email(email) {
                return Err(err(
                    span_of(&["people", email]),
                    format!("`[people]` maps `{email}`, which is not an email address"),
                    "map each person's email to their GitHub handle, e.g. \"dana@acme.example\" = \"dana-s\"",
                ));
            }
            if !is_handle(handle) {
                return Err(err(
                    span_of(&["people", email]),
                    format!("`[people]`: `{handle}` is not a GitHub handle"),
                    "a handle is 1-39 letters, digits or single hyphens, without the @, e.g. \"dana-s\"",
                ));
            }
        }

        let globs_at = |at: Option<Range<usize>>, list: &[String]| -> miette::Result<GlobSet> {
            let mut b = GlobSetBuilder::new();
            for g in list {
                if !is_inside(g) {
                    return Err(err(
                        at.clone(),
                        format!("`{g}` reaches outside the repository"),
                        "globs are relative to the directory of aims.toml, without `..` or a leading `/`",
                    ));
                }
                let glob = Glob::new(g).map_err(|e| {
                    err(
                        at.clone(),
                        format!("`{g}` is not a valid glob: {e}"),
                        "e.g. \"aims/**/*.md\"",
                    )
                })?;
                b.add(glob);
            }
            b.build()
                .map_err(|e| err(at.clone(), e.to_string(), "check the globs"))
        };
        let globs = |key: &str, list: &[String]| globs_at(span_of(&["aims", key]), list);
        // A product repository keeps PRDs, not the AIMS's documents.
        let documents = raw.aims.documents.unwrap_or_else(|| {
            if raw.upstream.is_some() {
                Vec::new()
            } else {
                default_documents()
            }
        });
        let documents_set = globs("documents", &documents)?;
        let prds_set = globs("prds", &raw.aims.prds)?;

        let upstream = match raw.upstream {
            None => None,
            Some(u) => {
                let at = span_of(&["upstream"]);
                if !raw.source.is_empty() {
                    return Err(err(
                        span_of(&["source"]),
                        "a product repository (with [upstream]) cannot have [[source]] entries"
                            .into(),
                        "[[source]] belongs in the central AIMS's aims.toml; a product \
                         repository names only its [upstream]",
                    ));
                }
                for key in ["roles", "kinds", "people", "rules"] {
                    if has_table(tree.as_ref(), key) {
                        return Err(err(
                            span_of(&[key]),
                            format!("[{key}] has no effect in a product repository"),
                            "roles, approvers, rule settings and people come from the upstream \
                             AIMS's aims.toml; remove the table here",
                        ));
                    }
                }
                // The trust root and document globs of the AIMS are the
                // upstream's too; a product repository has PRDs only.
                for key in [
                    "documents",
                    "allowed-signers",
                    "gpg-keyring",
                    "revoked-keys",
                    "require-distinct-approver",
                    "certification-date",
                ] {
                    if aims_has(tree.as_ref(), key) {
                        return Err(err(
                            span_of(&["aims", key]),
                            format!("`{key}` has no effect in a product repository"),
                            "a product repository's aims.toml names its `prds`, its \
                             `protected-branches` and its [upstream]; the rest is the upstream \
                             AIMS's",
                        ));
                    }
                }
                Some(remote(u.repository, u.reference, at, &err)?)
            }
        };
        let mut sources: Vec<Source> = Vec::new();
        for (i, s) in raw.source.into_iter().enumerate() {
            let at = source_span(tree.as_ref(), i).or_else(|| span_of(&["source"]));
            if !is_source_name(&s.name) {
                return Err(err(
                    at,
                    format!("[[source]] name `{}` is not a valid source name", s.name),
                    "lowercase letters, digits and hyphens, e.g. name = \"payments\"",
                ));
            }
            if sources.iter().any(|o| o.name == s.name) {
                return Err(err(
                    at,
                    format!("two [[source]] entries are named `{}`", s.name),
                    "give each product repository a name of its own",
                ));
            }
            if s.prds.is_empty() {
                return Err(err(
                    at,
                    format!("[[source]] `{}` lists no `prds` globs", s.name),
                    "name where its PRDs live, e.g. prds = [\"docs/prd/**/*.md\"]",
                ));
            }
            let prds_set = globs_at(at.clone(), &s.prds)?;
            sources.push(Source {
                name: s.name,
                remote: remote(s.repository, s.reference, at, &err)?,
                prds: s.prds,
                prds_set,
            });
        }

        let certification_date = match raw.aims.certification_date {
            None => None,
            Some(dt) => Some(toml_date(&dt).ok_or_else(|| {
                err(
                    span_of(&["aims", "certification-date"]),
                    format!("certification-date `{dt}` is not a plain date"),
                    "write a date without time, e.g. certification-date = 2027-03-15",
                )
            })?),
        };

        let paths = [
            ("allowed-signers", Some(&raw.aims.allowed_signers)),
            ("gpg-keyring", raw.aims.gpg_keyring.as_ref()),
            ("revoked-keys", raw.aims.revoked_keys.as_ref()),
        ];
        for (key, path) in paths.into_iter().filter_map(|(k, p)| Some((k, p?))) {
            if !is_inside(path) {
                return Err(err(
                    span_of(&["aims", key]),
                    format!("`{key}` = `{path}` reaches outside the repository"),
                    "the trust root is kept in the repository, e.g. \".aims/allowed_signers\"",
                ));
            }
            if path.chars().any(char::is_control) {
                return Err(err(
                    span_of(&["aims", key]),
                    format!("`{key}` = {path:?} holds a control character"),
                    "name the file as git stores it, e.g. \".aims/allowed_signers\"",
                ));
            }
        }

        Ok(Config {
            organisation: raw.aims.organisation,
            documents,
            prds: raw.aims.prds,
            protected_branches: raw.aims.protected_branches,
            allowed_signers: raw.aims.allowed_signers,
            gpg_keyring: raw.aims.gpg_keyring,
            revoked_keys: raw.aims.revoked_keys,
            require_distinct_approver: raw.aims.require_distinct_approver,
            certification_date,
            roles,
            kinds,
            rule_overrides,
            people: raw.people,
            documents_set,
            prds_set,
            upstream,
            sources,
        })
    }

    /// The same configuration with its globs narrowed to exactly `paths`
    /// (path, is PRD), so a history walk reads only those files: the
    /// pre-commit gate's way of staying proportional to what is staged.
    pub fn narrowed(&self, paths: &[(String, bool)]) -> Config {
        let exact = |prd: bool| {
            let list: Vec<String> = paths
                .iter()
                .filter(|(_, p)| *p == prd)
                .map(|(path, _)| globset::escape(path))
                .collect();
            let mut b = GlobSetBuilder::new();
            // An escaped path is always a valid glob.
            for glob in list.iter().filter_map(|g| Glob::new(g).ok()) {
                b.add(glob);
            }
            (list, b.build().unwrap_or_else(|_| GlobSet::empty()))
        };
        let (documents, documents_set) = exact(false);
        let (prds, prds_set) = exact(true);
        Config {
            documents,
            prds,
            documents_set,
            prds_set,
            ..self.clone()
        }
    }

    /// This configuration's policies, reading a `[[source]]`'s tree: its
    /// PRD globs, no other documents.
    pub fn for_source(&self, source: &Source) -> Config {
        Config {
            documents: Vec::new(),
            documents_set: GlobSet::empty(),
            prds: source.prds.clone(),
            prds_set: source.prds_set.clone(),
            ..self.clone()
        }
    }

    /// This configuration's policies, reading a product repository that
    /// answers to it: the product's globs (`product`, its own aims.toml).
    pub fn for_product(&self, product: &Config) -> Config {
        Config {
            documents: product.documents.clone(),
            documents_set: product.documents_set.clone(),
            prds: product.prds.clone(),
            prds_set: product.prds_set.clone(),
            ..self.clone()
        }
    }

    pub fn kind_policy(&self, kind: Kind) -> &KindPolicy {
        self.kinds.get(&kind).expect("every kind has a policy")
    }

    /// Whether a repository-relative path is a controlled document, and
    /// whether it is a PRD.
    pub fn classify_path(&self, rel: &str) -> Option<bool> {
        if self.prds_set.is_match(rel) {
            Some(true)
        } else if self.documents_set.is_match(rel) {
            Some(false)
        } else {
            None
        }
    }

    /// `[rules]` for one rule: its own line, else its family's; `None`
    /// when neither says anything, `Some(None)` when it is turned off.
    pub fn rule_setting(&self, code: &str) -> Option<Option<Classification>> {
        self.rule_overrides
            .get(code)
            .or_else(|| code.get(..3).and_then(|f| self.rule_overrides.get(f)))
            .copied()
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.contains_key(role)
    }

    /// The GitHub handle `[people]` maps `email` to (case-insensitive).
    pub fn person(&self, email: &str) -> Option<&str> {
        self.people
            .iter()
            .find(|(e, _)| e.eq_ignore_ascii_case(email))
            .map(|(_, h)| h.as_str())
    }
}

/// Builds a configuration error pointing at a span.
type ErrorAt<'a> = dyn Fn(Option<Range<usize>>, String, &str) -> Report + 'a;

/// A remote's repository and ref, refused where git would read them as
/// options or where the ref is not a plain ref name.
fn remote(
    repository: String,
    reference: String,
    at: Option<Range<usize>>,
    err: &ErrorAt<'_>,
) -> miette::Result<Remote> {
    let repository = repository.trim().to_owned();
    if repository.is_empty() || repository.starts_with('-') || repository.contains('\n') {
        return Err(err(
            at,
            format!("`repository` = `{repository}` is not a repository git can fetch"),
            "a URL (https://…, ssh://…, git@host:path, file://…) or a path to a repository",
        ));
    }
    if repository.starts_with("ext::") || repository.starts_with("fd::") {
        return Err(err(
            at,
            format!("`repository` = `{repository}` uses a transport that runs commands"),
            "use an https, ssh, git or file URL, or a path",
        ));
    }
    if !is_ref_name(&reference) {
        return Err(err(
            at,
            format!("`ref` = `{reference}` is not a branch, tag or ref name"),
            "e.g. ref = \"main\", ref = \"refs/tags/aims-2026\"",
        ));
    }
    Ok(Remote {
        repository,
        reference,
    })
}

/// A ref name as `git check-ref-format --allow-onelevel` would accept it
/// (a conservative subset: no option-like or revision-syntax names).
pub fn is_ref_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(['-', '/', '.'])
        && !s.ends_with(['/', '.'])
        && !s.ends_with(".lock")
        && !s.contains("..")
        && !s.contains("//")
        && !s.contains("@{")
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
}

/// A `[[source]]` name: it names a folder under .git/aims/sources.
pub fn is_source_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn has_table(tree: Option<&toml::Spanned<DeTable<'_>>>, key: &str) -> bool {
    tree.is_some_and(|t| t.get_ref().iter().any(|(k, _)| k.get_ref() == key))
}

/// Whether `[aims]` sets `key`.
fn aims_has(tree: Option<&toml::Spanned<DeTable<'_>>>, key: &str) -> bool {
    let Some(t) = tree else { return false };
    t.get_ref().iter().any(|(k, v)| {
        k.get_ref() == "aims"
            && matches!(v.get_ref(), toml::de::DeValue::Table(a) if a.iter().any(|(k, _)| k.get_ref() == key))
    })
}

/// Where the `i`th `[[source]]` entry was written.
fn source_span(tree: Option<&toml::Spanned<DeTable<'_>>>, i: usize) -> Option<Range<usize>> {
    let (_, value) = tree?
        .get_ref()
        .iter()
        .find(|(k, _)| k.get_ref() == "source")?;
    match value.get_ref() {
        toml::de::DeValue::Array(items) => items.get(i).map(|v| v.span()),
        _ => Some(value.span()),
    }
}

/// A GitHub user name: letters, digits and single inner hyphens, 1-39.
pub fn is_handle(s: &str) -> bool {
    (1..=39).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// The date of a TOML datetime that is a plain date.
pub fn toml_date(dt: &toml::value::Datetime) -> Option<Date> {
    match (dt.date, dt.time, dt.offset) {
        (Some(d), None, None) => Date::new(i32::from(d.year), d.month, d.day),
        _ => None,
    }
}

fn key_span(table: &DeTable<'_>, path: &[&str]) -> Option<Range<usize>> {
    let (first, rest) = path.split_first()?;
    let (key, value) = table.iter().find(|(k, _)| k.get_ref() == first)?;
    if rest.is_empty() {
        return Some(key.span());
    }
    match value.get_ref() {
        toml::de::DeValue::Table(t) => key_span(t, rest).or_else(|| Some(key.span())),
        _ => Some(key.span()),
    }
}

/// A relative path (or glob) that stays inside the repository.
pub fn is_inside(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.starts_with('\\')
        && !path.contains(':')
        && !path.split(['/', '\\']).any(|c| c == "..")
}

pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c == '<' || c == '>' || c == ',')
        && !domain.contains('@')
}

pub fn is_role_name(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "[aims]\n";

    fn error_of(text: &str) -> String {
        let report = Config::parse(text).expect_err("should be rejected");
        let mut out = String::new();
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .render_report(&mut out, report.as_ref())
            .unwrap();
        out
    }

    #[test]
    fn defaults_apply() {
        let c = Config::parse(MINIMAL).unwrap();
        assert_eq!(c.documents, ["aims/**/*.md"]);
        assert_eq!(c.protected_branches, ["main"]);
        assert!(c.require_distinct_approver);
        assert_eq!(c.kind_policy(Kind::Policy).approvers, ["top-management"]);
        assert_eq!(
            c.kind_policy(Kind::Policy).review_interval.to_string(),
            "12 months"
        );
        assert_eq!(c.classify_path("aims/policy/ai.md"), Some(false));
        assert_eq!(c.classify_path("README.md"), None);
    }

    #[test]
    fn overrides_apply() {
        let c = Config::parse(
            "[aims]\nprds = [\"docs/prd/*.md\"]\n[roles]\nboard = [\"b@x.example\"]\n\
             [kinds.policy]\napprovers = [\"board\"]\nreview-interval = \"6 months\"\n\
             [rules]\nDOC007 = \"off\"\nDOC011 = \"major\"\n",
        )
        .unwrap();
        assert_eq!(c.kind_policy(Kind::Policy).approvers, ["board"]);
        assert_eq!(c.rule_overrides["DOC007"], None);
        assert_eq!(c.rule_overrides["DOC011"], Some(Classification::Major));
        assert_eq!(c.classify_path("docs/prd/a.md"), Some(true));
    }

    #[test]
    fn every_mistake_points_at_its_line() {
        let cases = [
            ("[aims]\ndocument = [\"a\"]\n", "unknown field", "2 │"),
            (
                "[aims]\n[roles]\nlead = \"a@b.example\"\n",
                "invalid type",
                "3 │",
            ),
            (
                "[aims]\n[roles]\nlead = [\"not an email\"]\n",
                "not an email",
                "3 │",
            ),
            ("[aims]\n[kinds.polcy]\n", "no document kind", "2 │"),
            (
                "[aims]\n[kinds.policy]\napprovers = [\"ghost\"]\n",
                "not a role",
                "3 │",
            ),
            (
                "[aims]\n[kinds.policy]\nreview-interval = \"yearly\"\n",
                "not an interval",
                "3 │",
            ),
            (
                "[aims]\n[rules]\nXYZ001 = \"off\"\n",
                "no rule with that code",
                "3 │",
            ),
            (
                "[aims]\n[rules]\nDOC001 = \"critical\"\n",
                "not a classification",
                "3 │",
            ),
            ("[aims]\ndocuments = [\"a/[\"]\n", "not a valid glob", "2 │"),
            (
                "[aims]\ncertification-date = 2027-01-01T10:00:00\n",
                "not a plain date",
                "2 │",
            ),
            (
                "[aims]\ndocuments = [\"../outside/*.md\"]\n",
                "outside the repository",
                "2 │",
            ),
            (
                "[aims]\nrevoked-keys = \"rev\\u0000oked/list\"\n",
                "holds a control character",
                "2 │",
            ),
            (
                "[aims]\nprds = [\"/etc/*.md\"]\n",
                "outside the repository",
                "2 │",
            ),
            (
                "[aims]\ngpg-keyring = \"approvers.gpg/../../x\"\n",
                "outside the repository",
                "2 │",
            ),
            ("[aims\n", "invalid aims.toml", "1 │"),
            (
                "[aims]\n[people]\n\"dana\" = \"dana-s\"\n",
                "not an email",
                "3 │",
            ),
            (
                "[aims]\n[people]\n\"dana@acme.example\" = \"@dana\"\n",
                "not a GitHub handle",
                "3 │",
            ),
        ];
        for (text, message, line) in cases {
            let out = error_of(text);
            assert!(out.contains(message), "{text:?}: {out}");
            assert!(
                out.contains(line),
                "{text:?} should point at line {line}: {out}"
            );
            assert!(out.contains("help:"), "{out}");
        }
    }

    #[test]
    fn emails_and_roles() {
        assert!(is_email("dana@acme.example"));
        assert!(!is_email("dana"));
        assert!(!is_email("the AI team"));
        assert!(!is_email("a@b"));
        assert!(is_role_name("ai-governance-lead"));
        assert!(!is_role_name("The AI team"));
    }
}
