//! The package's own pages: the register, the SoA traceability matrix,
//! the mock audit and the front page.

use super::*;

impl<'a> Exporter<'a> {
    pub(super) fn register_files(&mut self) -> miette::Result<()> {
        let mut json = Vec::new();
        register_report::render_status(self.register, StatusFormat::Json, &mut json)
            .into_diagnostic()?;
        self.write("register.json", json)?;
        self.write(
            "register.csv",
            register_report::approvals_csv(self.register),
        )?;

        let body = format!(
            "<h1>Document-control register</h1>\n<p class=\"muted\">As of {}; {} controlled documents. \
             Approvals are those of the content in force, each verified against the approved keys. \
             Also as {} and {}.</p>\n{}",
            self.register.as_of,
            self.entries().count(),
            link("register.csv", "CSV"),
            link("register.json", "JSON"),
            self.register_table(Links::Page(0))
        );
        self.write(
            "register.html",
            html::page("Document-control register", 0, &[], &body),
        )
    }

    /// The register as a table: each document with its version, state,
    /// the approvals of the content in force and its review date.
    pub(super) fn register_table(&self, links: Links) -> String {
        let rows: Vec<Vec<String>> = self
            .entries()
            .map(|entry| {
                let s = &entry.state;
                let approvals = crate::rules::content::in_force(entry)
                    .iter()
                    .map(|a| {
                        format!(
                            "{} as <code>{}</code>, {}, {}",
                            e(&a.signer_email),
                            e(&a.claim.role),
                            Date::from_unix(a.time),
                            self.record_ref(&a.tag, links)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("<br>");
                let version = match (s.in_force_version(), s.unapproved_changes) {
                    (None, _) => "-".to_owned(),
                    (Some(v), 0) => format!("v{v}"),
                    (Some(v), n) => format!("v{v} + {n} unapproved"),
                };
                let history = match links {
                    Links::Page(depth) => self
                        .doc_href(&entry.id, "history.html", depth)
                        .map_or(String::new(), |h| link(&h, "history")),
                    Links::Book => String::new(),
                };
                vec![
                    self.doc_ref(&entry.id, links),
                    e(&entry.title),
                    e(&entry.kind),
                    e(&entry.owner),
                    version,
                    format!(
                        "<span class=\"{}\">{}</span>",
                        s.state.as_str(),
                        s.state.as_str()
                    ),
                    approvals,
                    s.review_due.map_or("-".to_owned(), |d| d.to_string()),
                    history,
                ]
            })
            .collect();
        html::table(
            &[
                "ID",
                "Title",
                "Kind",
                "Owner",
                "Version",
                "State",
                "Approved by (in force)",
                "Review due",
                "",
            ],
            rows,
        )
    }

    pub(super) fn soa(&mut self) -> miette::Result<()> {
        let body = format!(
            "<h1>SoA traceability matrix</h1>\n{}",
            self.soa_matrix(Links::Page(0))
        );
        self.write(
            "soa.html",
            html::page("SoA traceability matrix", 0, &[], &body),
        )
    }

    /// The SoA traceability matrix with its introduction: each Annex A
    /// control, its applicability, procedure, evidence, owner and verdict.
    pub(super) fn soa_matrix(&self, links: Links) -> String {
        let members = |role: &str| -> String {
            self.ws.config.roles.get(role).map_or(String::new(), |m| {
                format!("<br><span class=\"muted\">{}</span>", e(&m.join(", ")))
            })
        };
        let doc = |id: &str| -> String {
            match self.register.entry(id) {
                Some(entry) => {
                    let v = match entry.state.in_force_version() {
                        Some(v) => format!("v{v}"),
                        None => "never approved".to_owned(),
                    };
                    format!(
                        "{} <span class=\"{}\">({v}{})</span>",
                        self.doc_ref(id, links),
                        entry.state.state.as_str(),
                        if entry.state.unapproved_changes > 0 {
                            " + unapproved change"
                        } else {
                            ""
                        }
                    )
                }
                None => format!("<span class=\"no\">{} (no such document)</span>", e(id)),
            }
        };
        let rows: Vec<Vec<String>> = self
            .audit
            .controls
            .iter()
            .map(|c: &ControlVerdict| {
                let applicability = match c.applicable {
                    Some(true) => "<span class=\"yes\">applicable</span>".to_owned(),
                    Some(false) => format!(
                        "excluded{}",
                        c.justification.as_deref().map_or(
                            " <span class=\"no\">(no justification)</span>".to_owned(),
                            |j| format!(": {}", e(j))
                        )
                    ),
                    None => "<span class=\"no\">not in the SoA</span>".to_owned(),
                };
                let justification = match (c.applicable, &c.justification) {
                    (Some(true), Some(j)) => format!("<br><span class=\"muted\">{}</span>", e(j)),
                    _ => String::new(),
                };
                let control = match links {
                    Links::Page(_) => format!(
                        "<a id=\"{}\" href=\"audit.html#control-{}\">{}</a> {}",
                        e(c.id),
                        e(c.id),
                        e(c.id),
                        e(c.title)
                    ),
                    Links::Book => format!("<b>{}</b> {}", e(c.id), e(c.title)),
                };
                vec![
                    control,
                    applicability + &justification,
                    c.procedure.as_deref().map_or("-".to_owned(), doc),
                    if c.evidence_records.is_empty() {
                        "-".to_owned()
                    } else {
                        c.evidence_records
                            .iter()
                            .map(|r| doc(r))
                            .collect::<Vec<_>>()
                            .join("<br>")
                    },
                    c.owner.as_deref().map_or("-".to_owned(), |o| {
                        format!("<code>{}</code>{}", e(o), members(o))
                    }),
                    format!(
                        "<span class=\"v {}\">{}</span>",
                        c.verdict.as_str(),
                        c.verdict.label()
                    ),
                ]
            })
            .collect();
        let soa_docs: Vec<String> = self
            .register
            .entries
            .iter()
            .filter(|x| x.kind == "soa")
            .map(|x| doc(&x.id))
            .collect();
        format!(
            "<p class=\"muted\">As of {}. Each Annex A control as the Statement of \
             Applicability ({}) decides it, with the procedure that implements it, the records that evidence it, \
             its owner, and the mock audit's verdict.</p>\n{}",
            self.register.as_of,
            if soa_docs.is_empty() {
                "none found".to_owned()
            } else {
                soa_docs.join(", ")
            },
            html::table(
                &[
                    "Control",
                    "Applicability",
                    "Procedure",
                    "Evidence",
                    "Owner",
                    "Verdict"
                ],
                rows
            )
        )
    }

    pub(super) fn audit_files(&mut self) -> miette::Result<()> {
        use crate::audit::render::{AuditFormat, render};
        for (format, name) in [
            (AuditFormat::Html, "audit.html"),
            (AuditFormat::Json, "audit.json"),
        ] {
            let mut out = Vec::new();
            render(self.audit, format, &mut out).into_diagnostic()?;
            self.write(name, out)?;
        }
        Ok(())
    }

    /// The organisation's name, or a note that aims.toml names none.
    pub(super) fn organisation(&self) -> String {
        self.ws
            .config
            .organisation
            .clone()
            .unwrap_or_else(|| "(organisation not named in aims.toml)".to_owned())
    }

    pub(super) fn index(&mut self) -> miette::Result<()> {
        let org = self.organisation();
        let commit = self.register.commit.as_deref().unwrap_or("(no commit)");
        let mut body = format!(
            "<p class=\"muted\">ISO/IEC 42001 evidence package</p>\n<h1>{}</h1>\n",
            e(&org)
        );
        let moment = if self.register.working_tree {
            let dirty = self.entries().filter(|x| x.state.uncommitted).count();
            if dirty > 0 {
                format!(
                    "{} (working tree; {dirty} document(s) with uncommitted changes, shown as unapproved)",
                    self.register.as_of
                )
            } else {
                format!("{} (working tree, clean)", self.register.as_of)
            }
        } else {
            self.register.as_of.to_string()
        };
        body.push_str(&html::facts(&[
            ("As of", e(&moment)),
            ("Commit", format!("<code>{}</code>", e(commit))),
            ("Scope", self.scope_html(Links::Page(0))),
            (
                "Generated by",
                format!("aims {}", env!("CARGO_PKG_VERSION")),
            ),
        ]));
        body.push_str(&crate::audit::render::readiness_html(self.audit));

        let entries: Vec<&Entry> = self.entries().collect();
        let count = |st: State| entries.iter().filter(|x| x.state.state == st).count();
        let changed = entries
            .iter()
            .filter(|x| x.state.unapproved_changes > 0)
            .count();
        let _ = writeln!(
            body,
            "<h2>In this package</h2>\n<ul>\
             <li>{}: {} controlled documents; {} approved, {} with unapproved changes, {} never approved, {} overdue for review (also {} and {})</li>\
             <li>{}: control → applicability → procedure → evidence → owner</li>\
             <li>{}: verdicts per clause and control, gap matrix, corrective-action plan (also {})</li>\
             <li>{}: {} approval records (signed tags and commit sign-offs, refused ones too) with their verification results and the keys to re-verify them</li>\
             <li>{}: the cover, register, SoA matrix and every document in force with its approvals, in one printable file{}</li>\
             <li>{} and {}: the SHA-256 of every file</li></ul>",
            link("register.html", "Document-control register"),
            entries.len(),
            count(State::Approved),
            changed,
            count(State::NeverApproved),
            count(State::ReviewOverdue),
            link("register.csv", "CSV"),
            link("register.json", "JSON"),
            link("soa.html", "SoA traceability matrix"),
            link("audit.html", "Mock audit"),
            link("audit.json", "JSON"),
            link("approvals/index.html", "Approval records"),
            self.approval_files.len(),
            link(super::book::FILE, "Evidence book"),
            if self.with_pdf {
                format!(" (printed: {})", link(super::pdf::FILE, super::pdf::FILE))
            } else {
                String::new()
            },
            link("manifest.json", "manifest.json"),
            link("manifest.sha256", "manifest.sha256"),
        );

        body.push_str("<h2>Documents</h2>\n");
        let mut by_kind: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
        for x in &entries {
            by_kind.entry(x.kind.as_str()).or_default().push(x);
        }
        for (kind, docs) in by_kind {
            let rows = docs.iter().map(|x| {
                vec![
                    self.doc_link(&x.id, 0),
                    e(&x.title),
                    x.state
                        .in_force_version()
                        .map_or("-".to_owned(), |v| format!("v{v}")),
                    format!(
                        "<span class=\"{}\">{}</span>",
                        x.state.state.as_str(),
                        x.state.state.as_str()
                    ),
                ]
            });
            let _ = writeln!(
                body,
                "<h3>{}</h3>\n{}",
                e(kind),
                html::table(&["ID", "Title", "In force", "State"], rows)
            );
        }
        let _ = writeln!(
            body,
            "<h2>Checking this package</h2>\n<p><code>aims verify-export FOLDER</code> re-hashes every file against \
             <code>manifest.json</code>, reports anything missing, added or altered, and, run inside the repository, \
             checks that the commits and approval tags it names still exist. Without aims: \
             <code>sha256sum -c manifest.sha256</code>, then compare each file with its hash in the manifest. \
             Keep the hash in <code>manifest.sha256</code> apart from the package (in the audit ticket, say): \
             it pins the manifest, which pins every file.</p>"
        );
        let title = format!("Evidence package: {org}");
        self.write("index.html", html::page(&title, 0, &[], &body))
    }

    /// The scope documents with their in-scope systems and exclusions.
    pub(super) fn scope_html(&self, links: Links) -> String {
        let scopes: Vec<&Document> = self
            .ws
            .documents()
            .filter(|d| d.kind_name() == Some("scope"))
            .collect();
        if scopes.is_empty() {
            return "<span class=\"no\">no scope document</span>".to_owned();
        }
        let page = |id: &str| self.doc_ref(id, links);
        let title_of = |id: &str| {
            self.register
                .entry(id)
                .map_or(String::new(), |x| format!(" {}", e(&x.title)))
        };
        scopes
            .iter()
            .filter_map(|d| {
                let id = d.id()?;
                let (in_scope, excluded) = crate::rules::content::scope_systems(d);
                let named = |ids: Vec<&str>| -> Vec<String> {
                    ids.into_iter()
                        .map(|s| format!("{}{}", page(s), title_of(s)))
                        .collect()
                };
                let (in_scope, excluded) = (named(in_scope), named(excluded));
                Some(format!(
                    "{}{}<br>In scope: {}<br>Excluded: {}",
                    page(id),
                    title_of(id),
                    if in_scope.is_empty() {
                        "-".to_owned()
                    } else {
                        in_scope.join("; ")
                    },
                    if excluded.is_empty() {
                        "-".to_owned()
                    } else {
                        excluded.join("; ")
                    }
                ))
            })
            .collect::<Vec<_>>()
            .join("<br>")
    }
}
