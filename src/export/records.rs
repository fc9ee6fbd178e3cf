//! Approval records: the raw signed objects, split for re-verification
//! by hand, and the page listing every approval with its verdict.

use super::*;

impl<'a> Exporter<'a> {
    /// One verified approval that counts: what was decided, when, by whom.
    pub(super) fn approval_line(&self, a: &Approval, links: Links) -> String {
        let decision = a.claim.decision.as_str();
        format!(
            "{decision} on {} by {} as <code>{}</code> ({}, <span class=\"yes\">signature verified</span>)",
            Date::from_unix(a.time),
            e(&a.signer_email),
            e(&a.claim.role),
            self.record_ref(&a.tag, links),
        )
    }

    /// The record's name, linked to its section of the approvals page
    /// (the book names it only).
    pub(super) fn record_ref(&self, name: &str, links: Links) -> String {
        match links {
            Links::Page(depth) => self.record_link(name, depth),
            Links::Book => format!("<code>{}</code>", e(name)),
        }
    }

    /// A link to an approval record's page section, by name.
    pub(super) fn record_link(&self, name: &str, depth: usize) -> String {
        match self.approval_files.get(name) {
            Some(stem) => format!(
                "<a href=\"{}approvals/index.html#{}\"><code>{}</code></a>",
                "../".repeat(depth),
                e(stem),
                e(name)
            ),
            None => format!("<code>{}</code>", e(name)),
        }
    }

    pub(super) fn approvals_rows<'b>(
        &self,
        rows: impl Iterator<Item = (Option<&'b str>, &'b ApprovalJson)>,
        depth: usize,
        with_document: bool,
    ) -> String {
        let rows: Vec<Vec<String>> = rows
            .map(|(doc, a)| {
                let mut row = Vec::new();
                if with_document {
                    let doc = doc.unwrap_or_default();
                    row.push(self.doc_link(doc, depth));
                }
                let verified = if a.verified {
                    format!(
                        "<span class=\"yes\">verified</span><br><code class=\"fp\">{}</code>",
                        e(a.fingerprint.as_deref().unwrap_or_default())
                    )
                } else {
                    "<span class=\"no\">not verified</span>".to_owned()
                };
                let counts = match (&a.reason, a.version) {
                    (None, Some(v)) => format!("<span class=\"yes\">counts</span> (v{v})"),
                    (None, None) => "<span class=\"yes\">counts</span>".to_owned(),
                    (Some(r), _) => format!("<span class=\"no\">does not count</span>: {}", e(r)),
                };
                row.extend([
                    format!(
                        "<span class=\"nw\">{}</span>",
                        a.date.as_deref().unwrap_or_default()
                    ),
                    e(a.signer.as_deref().unwrap_or("?")),
                    format!("<code>{}</code>", e(a.role.as_deref().unwrap_or("?"))),
                    a.decision.unwrap_or("-").to_owned(),
                    self.record_link(&a.tag, depth),
                    a.commit.as_deref().map_or(String::new(), |c| {
                        format!("<code>{}</code>", e(short_id(c)))
                    }),
                    verified,
                    counts,
                ]);
                row
            })
            .collect();
        let mut head = Vec::new();
        if with_document {
            head.push("Document");
        }
        head.extend([
            "Date",
            "Signer",
            "Role",
            "Decision",
            "Record",
            "Commit",
            "Signature",
            "Counts",
        ]);
        if rows.is_empty() {
            return "<p class=\"muted\">None.</p>\n".to_owned();
        }
        html::table(&head, rows)
    }

    /// Writes an approval's raw record (once per record): the tag object as
    /// git stores it, split into payload and signature, or the signed
    /// commit of a sign-off.
    pub(super) fn approval_record(
        &mut self,
        a: &ApprovalJson,
        document: Option<&str>,
    ) -> miette::Result<()> {
        if self.approval_files.contains_key(&a.tag) {
            return Ok(());
        }
        let git = control::git_error;
        let stem = self.approval_names.name(&a.tag);
        // A product repository's PRD: its tag is in that source's cache.
        let foreign = document.and_then(|d| self.foreign_of(d));
        let (repo, record) = match foreign {
            Some(f) => (&f.repo, f.records.iter().find(|r| r.name == a.tag)),
            None => (self.repo, self.raw_tags.get(a.tag.as_str()).copied()),
        };
        let raw = match record {
            Some(record) => {
                if let Ok(oid) = repo.refname_to_id(&format!("refs/tags/{}", a.tag)) {
                    let (_, tags) = self.refs_for(document.unwrap_or_default());
                    tags.insert(a.tag.clone(), oid.to_string());
                }
                record.raw().map(<[u8]>::to_vec)
            }
            // A commit sign-off: the signed commit object.
            None => match &a.commit {
                Some(c) => {
                    let oid = git2::Oid::from_str(c).map_err(git)?;
                    let odb = self.repo.odb().map_err(git)?;
                    Some(odb.read(oid).map_err(git)?.data().to_vec())
                }
                None => None,
            },
        };
        if let Some(c) = &a.commit
            && a.verified
        {
            let (commits, _) = self.refs_for(document.unwrap_or_default());
            commits.insert(c.clone());
        }
        if let Some(raw) = raw {
            let ext = self.record_ext(&a.tag);
            self.write(&format!("approvals/{stem}.{ext}"), &raw)?;
            let split = signature::split(&raw);
            if let Some((_, sig)) = split.signature {
                self.write(&format!("approvals/{stem}.payload"), split.payload)?;
                self.write(&format!("approvals/{stem}.sig"), sig)?;
            }
        }
        self.approval_files.insert(a.tag.clone(), stem);
        Ok(())
    }

    /// Writes the trust root in force (the keys the signatures were
    /// checked against) into `approvals/`; returns the files' names.
    fn trust_files(&mut self) -> miette::Result<Vec<&'static str>> {
        let mut names = Vec::new();
        let Some(t) = &self.register.trust else {
            return Ok(names);
        };
        let files = [
            (t.root.files.signers.clone(), "allowed_signers"),
            (t.root.files.keyring.clone(), "approvers.gpg"),
        ];
        for (blob, name) in files {
            if let Some(blob) = blob {
                let bytes = crate::history::blob(self.repo, &blob).map_err(control::git_error)?;
                self.write(&format!("approvals/{name}"), bytes)?;
                names.push(name);
            }
        }
        Ok(names)
    }

    pub(super) fn approvals_page(&mut self) -> miette::Result<()> {
        let trust_files = self.trust_files()?;
        let mut body = format!(
            "<h1>Approval records</h1>\n<p>Every approval naming a controlled document as of {}, \
             with the result of verifying its signature against the approved trust root \
             (the keys and roles of the aims.toml in force). For each signed record the package \
             holds the raw object as git stores it (<code>.tag</code>, identical to \
             <code>git cat-file tag NAME</code>), and the signed payload and the signature apart \
             (<code>.payload</code>, <code>.sig</code>), so that anyone can re-verify it without aims.</p>\n",
            self.register.as_of
        );
        if trust_files.is_empty() {
            body.push_str("<div class=\"box bad\"><p><b>No approved trust root:</b> no aims.toml approval was in force, so no approval can be verified.</p></div>\n");
        } else {
            let _ = writeln!(
                body,
                "<h2>Re-verify by hand</h2>\n<p>Keys in force: {}.</p>\n\
                 <pre>ssh-keygen -Y verify -f allowed_signers -I SIGNER -n git \\\n  -O verify-time=YYYYMMDDHHMMSSZ -s NAME.sig &lt; NAME.payload</pre>\n\
                 <p>In the repository: <code>git cat-file tag NAME</code> prints the <code>.tag</code> file byte for byte, and \
                 <code>git -c gpg.ssh.allowedSignersFile=allowed_signers verify-tag NAME</code> checks it. \
                 OpenPGP signatures: <code>gpgv --keyring ./approvers.gpg NAME.sig NAME.payload</code>.</p>",
                trust_files
                    .iter()
                    .map(|f| link(f, f))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }

        let mut rows: Vec<(String, ApprovalJson)> = Vec::new();
        for entry in self.entries() {
            for a in register_report::approvals(entry, self.register) {
                rows.push((entry.id.clone(), a));
            }
        }
        // Refused tags that name no controlled document (unreadable
        // trailers, an id nobody carries): shown, never dropped.
        for r in &self.register.refused {
            let named = r
                .document
                .as_deref()
                .filter(|d| self.register.entry(d).is_some());
            if named.is_none()
                && let Some(a) = register_report::refused(r)
            {
                self.approval_record(&a, r.document.as_deref())?;
                let doc = r.document.clone().unwrap_or_else(|| "(none)".to_owned());
                rows.push((doc, a));
            }
        }
        body.push_str("<h2>All approvals</h2>\n");
        body.push_str(&self.approvals_rows(
            rows.iter().map(|(d, a)| (Some(d.as_str()), a)),
            1,
            true,
        ));

        body.push_str("<h2>Records</h2>\n");
        let mut seen = BTreeSet::new();
        for (doc, a) in &rows {
            if seen.insert(a.tag.clone())
                && let Some(section) = self.record_section(doc, a)
            {
                body.push_str(&section);
            }
        }
        let page = html::page("Approval records", 1, &[], &body);
        self.write("approvals/index.html", page)
    }

    /// One record's section: its files, the result, and the command that
    /// re-verifies it by hand.
    fn record_section(&self, doc: &str, a: &ApprovalJson) -> Option<String> {
        let stem = self.approval_files.get(&a.tag)?;
        let ext = self.record_ext(&a.tag);
        let mut files = Vec::new();
        for x in [ext, "payload", "sig"] {
            let path = format!("{stem}.{x}");
            if self.out.contains(&format!("approvals/{path}")) {
                files.push(link(&path, &path));
            }
        }
        let kind = self.sig_kind(&a.tag);
        let command = match (a.signer.as_deref(), kind) {
            (Some(signer), Some(SignatureKind::Ssh)) if files.len() == 3 => {
                let time = self.tagger_time(&a.tag).unwrap_or_default();
                format!(
                    "<pre>ssh-keygen -Y verify -f allowed_signers -I {} -n git -O verify-time={} -s {stem}.sig &lt; {stem}.payload</pre>",
                    e(signer),
                    time
                )
            }
            (_, Some(SignatureKind::OpenPgp)) if files.len() == 3 => {
                format!("<pre>gpgv --keyring ./approvers.gpg {stem}.sig {stem}.payload</pre>")
            }
            _ if ext == "commit" => {
                "<p>A commit sign-off: <code>git verify-commit COMMIT</code> in the repository checks its signature.</p>".to_owned()
            }
            _ => "<p class=\"no\">No signature to verify.</p>".to_owned(),
        };
        let result = if a.verified {
            format!(
                "<span class=\"yes\">verified</span> for {} with key <code>{}</code>",
                e(a.signer.as_deref().unwrap_or_default()),
                e(a.fingerprint.as_deref().unwrap_or_default())
            )
        } else {
            format!(
                "<span class=\"no\">refused</span>: {}",
                e(a.reason.as_deref().unwrap_or_default())
            )
        };
        Some(format!(
            "<h3 id=\"{}\"><code>{}</code></h3>\n<p>Document {} · {} · files: {}</p>\n{command}\n",
            e(stem),
            e(&a.tag),
            e(doc),
            result,
            if files.is_empty() {
                "none".to_owned()
            } else {
                files.join(", ")
            }
        ))
    }

    /// The raw record's extension: `tag`, or `commit` for a sign-off.
    fn record_ext(&self, name: &str) -> &'static str {
        if self.raw_tags.contains_key(name) {
            "tag"
        } else {
            "commit"
        }
    }

    /// The signature kind of an approval tag (None for a commit sign-off,
    /// whose signature sits in the commit header: `git verify-commit`).
    pub(super) fn sig_kind(&self, name: &str) -> Option<SignatureKind> {
        let raw = self.raw_tags.get(name)?.raw()?;
        signature::split(raw).signature.map(|(k, _)| k)
    }

    /// The tagger time as ssh-keygen's `verify-time` takes it (`Z`: UTC).
    pub(super) fn tagger_time(&self, name: &str) -> Option<String> {
        let (_, t) = self.raw_tags.get(name)?.tagger()?;
        let d = Date::from_unix(t);
        let secs = t.rem_euclid(86_400);
        Some(format!(
            "{}{:02}{:02}{:02}Z",
            d.to_string().replace('-', ""),
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        ))
    }
}
