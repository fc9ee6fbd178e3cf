//! `aims init` and `aims new`: documents from `policy-templates/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config;
use crate::date::Date;
use crate::docs::Kind;
use crate::workspace::{Workspace, literal_prefix};

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// Replaces `{{name}}` placeholders; an unknown placeholder is a bug in the
/// templates (a unit test proves there are none).
pub fn fill(template: &str, values: &BTreeMap<&str, String>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("unclosed `{{` in template")?;
        let name = &after[..end];
        let value = values
            .get(name)
            .ok_or_else(|| format!("unknown placeholder {{{{{name}}}}}"))?;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Placeholder values every template may use: dates relative to today.
fn date_values(today: Date) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("today", today.to_string()),
        ("in-3-months", today.add_months(3).to_string()),
        ("in-6-months", today.add_months(6).to_string()),
        ("in-12-months", today.add_months(12).to_string()),
    ])
}

/// The email git would use in `dir` (`user.email`), when configured.
pub fn git_email(dir: &Path) -> Option<String> {
    let config = match git2::Repository::discover(dir) {
        Ok(repo) => repo.config().ok()?,
        Err(_) => git2::Config::open_default().ok()?,
    };
    config
        .get_string("user.email")
        .ok()
        .filter(|e| config::is_email(e))
}

pub struct InitOptions {
    pub dir: PathBuf,
    pub force: bool,
    pub organisation: Option<String>,
    pub email: Option<String>,
}

/// What `init` wrote, for the summary.
pub struct Initialised {
    pub root: PathBuf,
    pub files: Vec<String>,
    pub email: String,
    pub email_is_placeholder: bool,
}

pub fn init(opts: &InitOptions) -> miette::Result<Initialised> {
    std::fs::create_dir_all(&opts.dir)
        .map_err(|e| miette::miette!("cannot create {}: {e}", opts.dir.display()))?;
    let root = opts
        .dir
        .canonicalize()
        .map_err(|e| miette::miette!("cannot open {}: {e}", opts.dir.display()))?;
    let (email, email_is_placeholder) = match opts.email.clone().or_else(|| git_email(&root)) {
        Some(e) if config::is_email(&e) => (e, false),
        Some(e) => miette::bail!(
            help = "e.g. --email dana@acme.example",
            "`{e}` is not an email address"
        ),
        None => ("owner@example.org".to_owned(), true),
    };
    let organisation = opts.organisation.clone().unwrap_or_else(|| {
        root.file_name().map_or_else(
            || "Our organisation".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        )
    });
    let mut values = date_values(Date::today());
    values.insert("email", email.clone());
    values.insert("organisation", organisation.replace('"', "'"));

    let (files, existing) = templates_under("init/", &root, opts.force, "aims init")?;
    // Not even --force replaces a configuration that has been approved:
    // roles and keys change by an edit that is itself approved.
    let protected = approved_trust_files(&root);
    let clash: Vec<&str> = existing
        .iter()
        .copied()
        .filter(|p| protected.iter().any(|q| q == p))
        .collect();
    if !clash.is_empty() {
        miette::bail!(
            help = "nothing was written. Edit the configuration and have the change approved \
                    (`aims approve aims.toml`), or run `aims init` in a new directory",
            "aims init --force would overwrite the approved configuration: {}",
            clash.join(", ")
        );
    }
    let mut written = Vec::new();
    for (rel, template) in files {
        let text = fill(template, &values).map_err(|e| miette::miette!("template {rel}: {e}"))?;
        write_file(&root.join(rel), &text)?;
        written.push(rel.to_owned());
    }
    Ok(Initialised {
        root,
        files: written,
        email,
        email_is_placeholder,
    })
}

/// `aims init --product`: a product repository's aims.toml naming its
/// upstream AIMS, and the PRD template `aims new prd` uses there.
pub fn init_product(
    dir: &Path,
    upstream: &str,
    reference: &str,
    force: bool,
) -> miette::Result<Initialised> {
    std::fs::create_dir_all(dir)
        .map_err(|e| miette::miette!("cannot create {}: {e}", dir.display()))?;
    let root = dir
        .canonicalize()
        .map_err(|e| miette::miette!("cannot open {}: {e}", dir.display()))?;
    let mut values = date_values(Date::today());
    values.insert(
        "upstream",
        upstream.replace('\\', "\\\\").replace('"', "\\\""),
    );
    values.insert("ref", reference.to_owned());
    let (files, _) = templates_under("product/", &root, force, "aims init --product")?;
    let mut texts = Vec::new();
    for (rel, template) in files {
        // The PRD template keeps its own placeholders for `aims new prd`.
        let text = if rel.ends_with("prd-template.md") {
            template.to_owned()
        } else {
            fill(template, &values).map_err(|e| miette::miette!("template {rel}: {e}"))?
        };
        // What is about to be written must read as a product configuration
        // (a bad --upstream or --ref writes nothing).
        if rel == config::FILE_NAME {
            config::Config::parse(&text)?;
        }
        texts.push((rel, text));
    }
    let mut written = Vec::new();
    for (rel, text) in texts {
        write_file(&root.join(rel), &text)?;
        written.push(rel.to_owned());
    }
    Ok(Initialised {
        root,
        files: written,
        email: String::new(),
        email_is_placeholder: false,
    })
}

/// Templates as (path, text).
type Templates = Vec<(&'static str, &'static str)>;

/// The templates under `prefix` (paths relative to it), and those that
/// already exist under `root`; refused unless `force` when any exists.
fn templates_under(
    prefix: &str,
    root: &Path,
    force: bool,
    what: &str,
) -> miette::Result<(Templates, Vec<&'static str>)> {
    let files: Vec<(&str, &str)> = TEMPLATES
        .iter()
        .filter_map(|(path, text)| path.strip_prefix(prefix).map(|p| (p, *text)))
        .collect();
    let existing: Vec<&str> = files
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| root.join(p).exists())
        .collect();
    if !existing.is_empty() && !force {
        miette::bail!(
            help = "nothing was written; pass --force to overwrite these files",
            "{what} would overwrite existing files: {}",
            existing.join(", ")
        );
    }
    Ok((files, existing))
}

/// Where a product repository keeps its PRD template (`aims init --product`).
pub const PRODUCT_PRD_TEMPLATE: &str = ".aims/prd-template.md";

/// aims.toml and the trust files it names, when the repository at `root`
/// holds an approval of the configuration (any tag naming aims.toml under
/// refs/tags/aims/, whether or not it counts: in doubt, keep the files).
fn approved_trust_files(root: &Path) -> Vec<String> {
    let Ok(repo) = git2::Repository::open(root) else {
        return Vec::new();
    };
    let approved = crate::history::approvals::read(&repo).is_ok_and(|records| {
        records
            .iter()
            .any(|r| r.document() == Some(crate::control::CONFIG_ID))
    });
    if !approved {
        return Vec::new();
    }
    let mut files = vec![config::FILE_NAME.to_owned()];
    match config::Config::load(root) {
        Ok(c) => {
            files.push(c.allowed_signers);
            files.extend(c.gpg_keyring);
            files.extend(c.revoked_keys);
        }
        Err(_) => files.push(".aims/allowed_signers".to_owned()),
    }
    files
}

fn write_file(path: &Path, text: &str) -> miette::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| miette::miette!("cannot create {}: {e}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|e| miette::miette!("cannot write {}: {e}", path.display()))
}

pub struct NewOptions {
    pub kind: Kind,
    pub title: Option<String>,
    pub owner: Option<String>,
    /// For a PRD: the inventoried AI system it touches (its tier, risks and
    /// impact assessment are filled in from the inventory).
    pub system: Option<String>,
}

/// Writes a new document of `kind` with the next free id; returns its path
/// relative to the root and its id.
pub fn new_document(ws: &Workspace, opts: &NewOptions) -> miette::Result<(String, String)> {
    let spec = opts.kind.spec();
    let id = next_id(ws.documents().filter_map(|d| d.id()), spec.prefix);
    let title = opts
        .title
        .clone()
        .unwrap_or_else(|| format!("New {}", spec.name));
    let owner = match opts.owner.clone() {
        Some(o) => o,
        None => default_owner(ws),
    };
    // A product repository's own PRD template, when it has one.
    let own = (opts.kind == Kind::Prd && ws.config.upstream.is_some())
        .then(|| std::fs::read_to_string(ws.root.join(PRODUCT_PRD_TEMPLATE)).ok())
        .flatten();
    let template = match &own {
        Some(t) => t.as_str(),
        None => TEMPLATES
            .iter()
            .find(|(p, _)| *p == format!("kinds/{}.md", spec.name))
            .map(|(_, t)| *t)
            .ok_or_else(|| miette::miette!("no template for kind {}", spec.name))?,
    };
    let mut values = date_values(Date::today());
    values.insert("id", id.clone());
    values.insert("title", title.replace('\\', "\\\\").replace('"', "\\\""));
    values.insert("owner", owner);
    let mut text =
        fill(template, &values).map_err(|e| miette::miette!("template for {}: {e}", spec.name))?;
    if let Some(system) = &opts.system {
        text = for_system(&text, ws, system)?;
    }

    let globs = if opts.kind == Kind::Prd && !ws.config.prds.is_empty() {
        &ws.config.prds
    } else {
        &ws.config.documents
    };
    let base = globs.first().map(|g| literal_prefix(g)).unwrap_or_default();
    let folder = if opts.kind == Kind::Prd && !ws.config.prds.is_empty() {
        String::new()
    } else {
        spec.folder.to_owned()
    };
    let file = format!("{}-{}.md", id.to_ascii_lowercase(), slug(&title));
    let rel = [base.as_str(), folder.as_str(), file.as_str()]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    if ws.config.classify_path(&rel).is_none() {
        miette::bail!(
            help = "add a glob that matches it to `documents` in aims.toml",
            "{rel} would not be matched by the `documents` globs of aims.toml"
        );
    }
    let path = ws.root.join(&rel);
    if path.exists() {
        miette::bail!("{rel} already exists; nothing was written");
    }
    write_file(&path, &text)?;
    Ok((rel, id))
}

/// The AI systems of the inventory, as `aims new prd` offers them:
/// (id, title, risk tier).
pub fn inventory(ws: &Workspace) -> Vec<(String, String, String)> {
    ws.documents()
        .filter(|d| d.kind() == Some(Kind::AiSystem))
        .filter_map(|d| {
            Some((
                d.id()?.to_owned(),
                d.title().unwrap_or_default().to_owned(),
                d.frontmatter.str("risk-tier").unwrap_or("?").to_owned(),
            ))
        })
        .collect()
}

/// A PRD's `[aims]` block filled in for `system` from the inventory: its
/// id, its risk tier, the risks and the impact assessment that name it.
fn for_system(text: &str, ws: &Workspace, system: &str) -> miette::Result<String> {
    let systems = inventory(ws);
    let Some((id, _, tier)) = systems
        .iter()
        .find(|(id, _, _)| id.eq_ignore_ascii_case(system))
    else {
        let list: Vec<String> = systems
            .iter()
            .map(|(id, title, tier)| format!("{id} ({title}, {tier} risk)"))
            .collect();
        miette::bail!(
            help = if list.is_empty() {
                "the inventory has no AI system yet: add one first (`aims new ai-system` in the AIMS repository)".to_owned()
            } else {
                format!("inventoried systems: {}", list.join("; "))
            },
            "there is no AI system `{system}` in the inventory"
        );
    };
    let naming = |kind: Kind| -> Vec<String> {
        ws.documents()
            .filter(|d| d.kind() == Some(kind))
            .filter(|d| d.frontmatter.str("ai-system").map(str::trim) == Some(id))
            .filter_map(|d| d.id().map(|i| format!("\"{i}\"")))
            .collect()
    };
    let risks = naming(Kind::Risk);
    let assessment = naming(Kind::ImpactAssessment);
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let key = line.split('=').next().unwrap_or_default().trim();
        let replaced = match key {
            "ai-system" => Some(format!("ai-system = \"{id}\"\n")),
            "risk-tier" if tier != "?" => Some(format!("risk-tier = \"{tier}\"\n")),
            "risks" if !risks.is_empty() => Some(format!("risks = [{}]\n", risks.join(", "))),
            // None covers the system: the line goes (it is optional).
            "impact-assessment" => Some(
                assessment
                    .first()
                    .map_or(String::new(), |a| format!("impact-assessment = {a}\n")),
            ),
            _ => None,
        };
        out.push_str(replaced.as_deref().unwrap_or(line));
    }
    Ok(out)
}

fn default_owner(ws: &Workspace) -> String {
    if let Some(email) = git_email(&ws.root)
        && ws.config.roles.values().any(|m| m.contains(&email))
    {
        return email;
    }
    let roles = &ws.config.roles;
    ["ai-governance-lead", "top-management"]
        .iter()
        .find(|r| roles.contains_key(**r))
        .map(|r| (*r).to_owned())
        .or_else(|| roles.keys().next().cloned())
        .unwrap_or_else(|| "ai-governance-lead".to_owned())
}

/// `PREFIX-NNN` one above the highest number in use with that prefix.
pub fn next_id<'a>(ids: impl Iterator<Item = &'a str>, prefix: &str) -> String {
    let highest = ids
        .filter_map(|id| {
            id.strip_prefix(prefix)?
                .strip_prefix('-')?
                .parse::<u32>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    format!("{prefix}-{:03}", highest + 1)
}

fn slug(title: &str) -> String {
    let mut s = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    let s = s.trim_end_matches('-');
    let s: String = s.chars().take(48).collect();
    if s.is_empty() {
        "document".to_owned()
    } else {
        s.trim_end_matches('-').to_owned()
    }
}

/// The `aims.toml` template `aims init` writes.
pub fn init_config_text() -> &'static str {
    TEMPLATES
        .iter()
        .find(|(p, _)| *p == "init/aims.toml")
        .map(|(_, t)| *t)
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn values() -> BTreeMap<&'static str, String> {
        let mut v = date_values("2026-01-31".parse().unwrap());
        for k in [
            "email",
            "organisation",
            "id",
            "title",
            "owner",
            "upstream",
            "ref",
        ] {
            v.insert(k, "x@y.example".into());
        }
        v
    }

    #[test]
    fn every_template_uses_known_placeholders() {
        assert!(!TEMPLATES.is_empty());
        for (path, text) in TEMPLATES {
            fill(text, &values()).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }

    #[test]
    fn every_kind_has_a_template() {
        for spec in crate::docs::schema::KINDS {
            let path = format!("kinds/{}.md", spec.name);
            assert!(TEMPLATES.iter().any(|(p, _)| *p == path), "missing {path}");
        }
    }

    #[test]
    fn the_initial_configuration_loads() {
        let text = fill(init_config_text(), &values()).unwrap();
        Config::parse(&text).unwrap();
    }

    #[test]
    fn ids_and_slugs() {
        assert_eq!(
            next_id(
                ["POL-001", "POL-007", "PRO-009", "POLX-100"].into_iter(),
                "POL"
            ),
            "POL-008"
        );
        assert_eq!(next_id(std::iter::empty(), "RSK"), "RSK-001");
        assert_eq!(slug("AI Policy: v2 (draft)"), "ai-policy-v2-draft");
        assert_eq!(slug("!!!"), "document");
        assert_eq!(
            fill("a {{x}} b", &BTreeMap::from([("x", "1".into())])).unwrap(),
            "a 1 b"
        );
        assert!(fill("{{nope}}", &BTreeMap::new()).is_err());
    }
}
