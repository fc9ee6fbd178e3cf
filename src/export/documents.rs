//! The documents: each one's page at the content in force, its sources,
//! its revision history and the redlines between approved versions.

use super::*;

/// One document as the package holds it, for its pages.
pub(super) struct Doc<'e> {
    entry: &'e Entry,
    /// Its folder in the package (`documents/<ID>`).
    dir: String,
    /// The sources' extension: `md`, or `toml` for aims.toml.
    ext: &'static str,
    /// The approval that made the content in force, and that content.
    in_force: Option<(&'e Approval, String)>,
    /// The document as of the as-of moment.
    current: Option<String>,
    /// `working.EXT` (an unapproved version) was written.
    working: bool,
    /// `unapproved-changes.html` was written.
    unapproved_redline: bool,
    versions: Vec<Version<'e>>,
    /// Redlines between consecutive approved versions: (from, to, file).
    redlines: Vec<(u32, u32, String)>,
}

impl<'a> Exporter<'a> {
    /// A blob's bytes, as approved (never re-encoded).
    pub(super) fn blob_bytes(&self, blob: &str) -> miette::Result<Vec<u8>> {
        // A product repository's PRD content is in its source's cache
        // (objects are named by their content, so any holder will do).
        let found = crate::history::blob(self.repo, blob);
        let found = match found {
            Err(e) if e.code() == git2::ErrorCode::NotFound => self
                .foreign
                .iter()
                .find_map(|f| crate::history::blob(&f.repo, blob).ok())
                .ok_or(e),
            other => other,
        };
        found.map_err(|e| {
            miette::miette!(
                "the approved content {blob} cannot be read: {}",
                e.message()
            )
        })
    }

    pub(super) fn blob_text(&self, blob: &str) -> miette::Result<String> {
        Ok(lossy(&self.blob_bytes(blob)?))
    }

    /// The document's bytes as of the as-of moment (working tree, or the
    /// as-of commit's tree): what an unapproved change looks like.
    pub(super) fn current_bytes(&self, entry: &Entry) -> miette::Result<Option<Vec<u8>>> {
        if let Some(f) = self.foreign_of(&entry.id) {
            // A product repository's PRD: as its snapshot holds it.
            let origin = self
                .ws
                .documents()
                .find(|d| d.path == entry.path)
                .and_then(|d| d.origin.clone());
            let Some(origin) = origin else {
                return Ok(None);
            };
            let git = control::git_error;
            let tree = git2::Oid::from_str(&origin.commit)
                .and_then(|c| f.repo.find_commit(c))
                .and_then(|c| c.tree())
                .map_err(git)?;
            return Ok(crate::history::blob_at(&f.repo, &tree, &origin.path)
                .map_err(git)?
                .map(|(_, b)| b));
        }
        if self.register.working_tree {
            return match std::fs::read(self.ws.root.join(&entry.path)) {
                Ok(b) => Ok(Some(b)),
                // Outside a sparse checkout: as the index holds it.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    Ok(self.working.read(&entry.path))
                }
                Err(e) => miette::bail!("cannot read {}: {e}", entry.path),
            };
        }
        let Some(commit) = &self.register.commit else {
            return Ok(None);
        };
        let git = control::git_error;
        let tree = git2::Oid::from_str(commit)
            .and_then(|c| self.repo.find_commit(c))
            .and_then(|c| c.tree())
            .map_err(git)?;
        Ok(crate::history::blob_at(self.repo, &tree, &entry.path)
            .map_err(git)?
            .map(|(_, b)| b))
    }

    /// Where a link from the document at repository path `from` to
    /// `target` (a relative path) leads: the linked document's page or
    /// book section.
    pub(super) fn resolve_from(&self, from: &str, target: &str, links: Links) -> Option<String> {
        let mut parts: Vec<&str> = from.split('/').collect();
        parts.pop();
        for c in target.split('/') {
            match c {
                "" | "." => {}
                ".." => {
                    parts.pop()?;
                }
                c => parts.push(c),
            }
        }
        let path = parts.join("/");
        let id = self.by_path.get(path.as_str())?;
        self.doc_target(id, links)
    }

    pub(super) fn document(&mut self, entry: &'a Entry) -> miette::Result<()> {
        // Approval records first, so the pages can link to them.
        for a in register_report::approvals(entry, self.register) {
            self.approval_record(&a, Some(&entry.id))?;
        }
        let (commits, _) = self.refs_for(&entry.id);
        for r in &entry.revisions {
            commits.insert(r.commit.to_string());
        }
        let mut doc = self.sources(entry)?;
        doc.redlines = self.version_redlines(&doc)?;
        doc.unapproved_redline = self.unapproved_redline(&doc)?;
        self.document_page(&doc)?;
        self.history_page(&doc)
    }

    /// Writes the document's sources, byte for byte: the content in force
    /// and, when there is an unapproved version, that too.
    fn sources(&mut self, entry: &'a Entry) -> miette::Result<Doc<'a>> {
        let folder = self.folder(&entry.id).unwrap_or("_").to_owned();
        let dir = format!("documents/{folder}");
        let ext = if entry.path.ends_with(".toml") {
            "toml"
        } else {
            "md"
        };
        // The approval that made the content in force (later ones may
        // be reviews, or the same content approved again).
        let approved = match crate::rules::content::in_force(entry).first() {
            Some(a) => Some((*a, self.blob_bytes(&a.claim.blob)?)),
            None => None,
        };
        let current = self.current_bytes(entry)?;
        let state = &entry.state;
        let unapproved = state.unapproved_changes > 0 || state.state == State::NeverApproved;
        if let Some((a, bytes)) = &approved {
            let file = format!("{dir}/in-force.{ext}");
            self.write(&file, bytes)?;
            self.refs.in_force.push(package::InForce {
                file,
                document: entry.id.clone(),
                path: a.claim.path.clone(),
                blob: a.claim.blob.clone(),
                commit: a.commit.clone(),
                tag: a.tag.clone(),
                source: self.foreign_of(&entry.id).map(|f| f.name.clone()),
            });
        }
        let working = match (&current, unapproved) {
            (Some(bytes), true) => {
                self.write(&format!("{dir}/working.{ext}"), bytes)?;
                true
            }
            _ => false,
        };
        Ok(Doc {
            entry,
            dir,
            ext,
            in_force: approved.map(|(a, b)| (a, lossy(&b))),
            current: current.map(|b| lossy(&b)),
            working,
            unapproved_redline: false,
            versions: entry.versions(),
            redlines: Vec::new(),
        })
    }

    /// A redline page in the document's folder.
    fn redline_page(
        &mut self,
        doc: &Doc,
        name: &str,
        title: &str,
        body: &str,
    ) -> miette::Result<()> {
        let nav = [
            ("history.html".to_owned(), "History"),
            ("index.html".to_owned(), doc.entry.id.as_str()),
        ];
        let page = html::page(title, 2, &nav, body);
        self.write(&format!("{}/{name}", doc.dir), page)
    }

    /// Redlines between consecutive approved versions: (from, to, file).
    fn version_redlines(&mut self, doc: &Doc) -> miette::Result<Vec<(u32, u32, String)>> {
        let entry = doc.entry;
        let label = |v: &Version| {
            let first = v.approvals[0];
            format!(
                "v{} (approved {} by {} as {})",
                v.number,
                Date::from_unix(first.time),
                first.signer_email,
                first.claim.role
            )
        };
        let mut redlines = Vec::new();
        for pair in doc.versions.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let name = format!("redline-v{}-v{}.html", a.number, b.number);
            let from = self.blob_text(a.blob)?;
            let to = self.blob_text(b.blob)?;
            let body = crate::redline::html_fragment(
                &format!(
                    "{} {}: v{} to v{}",
                    entry.id, entry.title, a.number, b.number
                ),
                &crate::redline::Side {
                    label: label(a),
                    text: &from,
                },
                &crate::redline::Side {
                    label: label(b),
                    text: &to,
                },
            );
            let title = format!("{} v{} to v{}", entry.id, a.number, b.number);
            self.redline_page(doc, &name, &title, &body)?;
            redlines.push((a.number, b.number, name));
        }
        Ok(redlines)
    }

    /// The redline from the content in force to the unapproved version,
    /// when there is one; returns whether it was written.
    fn unapproved_redline(&mut self, doc: &Doc) -> miette::Result<bool> {
        let state = &doc.entry.state;
        let (Some((a, approved)), Some(now)) = (&doc.in_force, &doc.current) else {
            return Ok(false);
        };
        if state.unapproved_changes == 0 {
            return Ok(false);
        }
        let version = state.in_force_version().unwrap_or(0);
        let body = crate::redline::html_fragment(
            &format!("{} {}: changes not approved", doc.entry.id, doc.entry.title),
            &crate::redline::Side {
                label: format!(
                    "v{version} in force (approved {} by {})",
                    Date::from_unix(a.time),
                    a.signer_email
                ),
                text: approved,
            },
            &crate::redline::Side {
                label: format!(
                    "unapproved version as of {}{}",
                    self.register.as_of,
                    if state.uncommitted {
                        " (uncommitted)"
                    } else {
                        ""
                    }
                ),
                text: now,
            },
        );
        let body = format!(
            "<div class=\"box warn\"><p><b>Not in force.</b> These changes have not been approved; \
             the version in force is v{version}.</p></div>\n{body}"
        );
        let title = format!("{}: unapproved changes", doc.entry.id);
        self.redline_page(doc, "unapproved-changes.html", &title, &body)?;
        Ok(true)
    }

    fn document_page(&mut self, doc: &Doc) -> miette::Result<()> {
        let (entry, dir, ext) = (doc.entry, &doc.dir, doc.ext);
        let (in_force, current) = (doc.in_force.as_ref(), doc.current.as_deref());
        let (working, unapproved_redline) = (doc.working, doc.unapproved_redline);
        let s = &entry.state;
        let mut body = String::new();
        let _ = writeln!(
            body,
            "<p class=\"muted\">{} · as of {}</p>\n<h1>{} {}</h1>",
            e(&entry.kind),
            self.register.as_of,
            e(&entry.id),
            e(&entry.title)
        );
        let version = match s.in_force_version() {
            Some(v) => format!("v{v}"),
            None => "none".to_owned(),
        };
        let _ = writeln!(
            body,
            "{}",
            html::facts(&[
                ("Owner", e(&entry.owner)),
                ("Path", format!("<code>{}</code>", e(&entry.path))),
                (
                    "Repository",
                    match self.foreign_of(&entry.id) {
                        Some(f) => format!(
                            "product repository <b>{}</b> (<code>{}</code>, {}), read at commit <code>{}</code>",
                            e(&f.name),
                            e(&f.repository),
                            e(&f.reference),
                            e(&f.commit)
                        ),
                        None => "this AIMS repository".to_owned(),
                    }
                ),
                ("Version in force", version.clone()),
                (
                    "State",
                    format!(
                        "<span class=\"{}\">{}</span>",
                        s.state.as_str(),
                        e(s.state.as_str())
                    )
                ),
                (
                    "Review due",
                    s.review_due.map_or("-".to_owned(), |d| d.to_string())
                ),
            ])
        );

        // What is in force, said first and plainly.
        match in_force {
            Some(_) => {
                let class = if s.unapproved_changes > 0 || s.state == State::ReviewOverdue {
                    "warn"
                } else {
                    "ok"
                };
                // Every approval and review of the content in force.
                let decisions: Vec<String> = crate::rules::content::in_force(entry)
                    .into_iter()
                    .map(|a| self.approval_line(a, Links::Page(2)))
                    .collect();
                let _ = writeln!(
                    body,
                    "<div class=\"box {class}\"><p><b>In force: {version}</b>, {}.</p>",
                    decisions.join("; ")
                );
                if s.unapproved_changes > 0 {
                    let mut links = Vec::new();
                    if unapproved_redline {
                        links.push(link(
                            "unapproved-changes.html",
                            "redline against the version in force",
                        ));
                    }
                    if working {
                        links.push(link(&format!("working.{ext}"), "the unapproved source"));
                    }
                    let _ = writeln!(
                        body,
                        "<p><b>Unapproved change:</b> {} change(s) after {version}{} are not approved and not in force; \
                         the content below is {version}. See the {}.</p>",
                        s.unapproved_changes,
                        if s.uncommitted {
                            ", one of them uncommitted"
                        } else {
                            ""
                        },
                        links.join(" and ")
                    );
                }
                if s.state == State::ReviewOverdue {
                    let _ = writeln!(
                        body,
                        "<p><b>Review overdue:</b> the review was due on {}.</p>",
                        s.review_due.map_or("-".to_owned(), |d| d.to_string())
                    );
                }
                body.push_str("</div>\n");
            }
            None => {
                let _ = writeln!(
                    body,
                    "<div class=\"box bad\"><p><b>Never approved: no version of {} is in force on {}.</b> \
                     The draft below is shown for information only; it is not an approved document.</p></div>",
                    e(&entry.id),
                    self.register.as_of
                );
            }
        }

        // The content: the version in force, or the labelled draft.
        let (text, draft) = match (in_force, current) {
            (Some((_, t)), _) => (Some(t.as_str()), false),
            (None, Some(t)) => (Some(t), true),
            (None, None) => (None, true),
        };
        if let Some(text) = text {
            body.push_str(&self.rendered(entry, text, draft, Links::Page(2)));
        }
        let mut sources = Vec::new();
        if in_force.is_some() {
            sources.push(link(
                &format!("in-force.{ext}"),
                &format!("source of {version} (in force)"),
            ));
        }
        if working {
            sources.push(link(
                &format!("working.{ext}"),
                "unapproved source (not in force)",
            ));
        }
        sources.push(link("history.html", "revision history and approvals"));
        let _ = writeln!(
            body,
            "<h2>Sources</h2>\n<ul>{}</ul>",
            sources
                .iter()
                .map(|s| format!("<li>{s}</li>"))
                .collect::<String>()
        );
        let nav = [("history.html".to_owned(), "History")];
        let page = html::page(&format!("{} {}", entry.id, entry.title), 2, &nav, &body);
        self.write(&format!("{dir}/index.html"), page)
    }

    /// The metadata table and the body of `text`.
    pub(super) fn rendered(&self, entry: &Entry, text: &str, draft: bool, links: Links) -> String {
        let class = if draft { "document draft" } else { "document" };
        let mut s = format!("<article class=\"{class}\">\n");
        if draft {
            s.push_str("<p class=\"minor\"><b>Draft: not approved, not in force.</b></p>\n");
        }
        let doc = match crate::docs::parse(&entry.path, text, false) {
            Loaded::Document(d) if !entry.path.ends_with(".toml") => Some(d),
            _ => None,
        };
        match doc {
            Some(d) => {
                let link = |v: &str| self.doc_target(v, links).filter(|_| v != entry.id);
                s.push_str("<h2>Metadata</h2>\n");
                s.push_str(&html::metadata(&d.frontmatter, &link));
                s.push_str("\n<h2>Content</h2>\n");
                s.push_str(&html::markdown(d.body(), &|p: &str| {
                    self.resolve_from(&entry.path, p, links)
                }));
            }
            None => {
                let _ = write!(s, "<pre>{}</pre>", e(text));
            }
        }
        s.push_str("</article>\n");
        s
    }

    fn history_page(&mut self, doc: &Doc) -> miette::Result<()> {
        let (entry, dir) = (doc.entry, &doc.dir);
        let (versions, redlines) = (&doc.versions, &doc.redlines);
        let mut body = format!(
            "<h1>History of {} {}</h1>\n<p class=\"muted\">Revisions on the branch up to {}, oldest first. \
             A version is content approved by a signed approval that counts.</p>\n",
            e(&entry.id),
            e(&entry.title),
            self.register.as_of
        );
        body.push_str("<h2>Approved versions</h2>\n");
        if versions.is_empty() {
            body.push_str("<p class=\"never-approved\">Never approved.</p>\n");
        } else {
            let rows = versions.iter().map(|v| {
                let by = v
                    .approvals
                    .iter()
                    .map(|a| self.approval_line(a, Links::Page(2)))
                    .collect::<Vec<_>>()
                    .join("<br>");
                let redline = redlines
                    .iter()
                    .find(|(_, to, _)| *to == v.number)
                    .map_or(String::new(), |(from, _, name)| {
                        link(name, &format!("v{from} → v{}", v.number))
                    });
                vec![
                    format!("v{}", v.number),
                    format!("<code>{}</code>", e(short_id(v.blob))),
                    by,
                    redline,
                ]
            });
            body.push_str(&html::table(
                &["Version", "Content (blob)", "Approvals", "Redline"],
                rows,
            ));
        }
        if doc.unapproved_redline {
            let _ = writeln!(
                body,
                "<p class=\"changed-since-approval\">{} unapproved change(s) after the version in force: {}.</p>",
                entry.state.unapproved_changes,
                link("unapproved-changes.html", "redline")
            );
        }

        body.push_str("<h2>Revisions</h2>\n");
        let rows = entry.revisions.iter().map(|r| {
            let version = versions
                .iter()
                .find(|v| v.blob == r.blob)
                .map_or(String::new(), |v| format!("becomes v{}", v.number));
            vec![
                Date::from_unix(r.time).to_string(),
                format!("<code>{}</code>", e(short_id(&r.commit))),
                e(&r.author_email),
                format!("<code>{}</code>", e(&r.path)),
                version,
            ]
        });
        body.push_str(&html::table(
            &["Date", "Commit", "Author", "Path", "Version"],
            rows,
        ));
        if entry.state.uncommitted {
            body.push_str("<p class=\"changed-since-approval\">The working tree holds an uncommitted change.</p>\n");
        }

        body.push_str("<h2>Approvals</h2>\n<p class=\"muted\">Every approval naming this document: those that count, verified ones that do not, and refused tags.</p>\n");
        let all = register_report::approvals(entry, self.register);
        body.push_str(&self.approvals_rows(all.iter().map(|a| (None, a)), 2, false));
        let nav = [("index.html".to_owned(), entry.id.as_str())];
        let page = html::page(&format!("History of {}", entry.id), 2, &nav, &body);
        self.write(&format!("{dir}/history.html"), page)
    }
}
