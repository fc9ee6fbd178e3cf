//! The ISO/IEC 42001:2023 catalogue as data: clause ids 4–10 with their
//! sub-clauses, the Annex A control groups and the 38 Annex A controls.
//!
//! Only identifiers come from the standard. Every title and every
//! `documented` note is our own short paraphrase written for this tool; no
//! text of the standard is reproduced here. Consult the standard itself for
//! the normative wording.

/// A clause or sub-clause of the main body (clauses 4–10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clause {
    /// Clause id, e.g. `"6.1.2"`.
    pub id: &'static str,
    /// Our own short paraphrase of the clause's topic.
    pub title: &'static str,
    /// Which documented information the clause asks for, in a few of our own
    /// words; `None` where the clause asks for none. For 7.5.1–7.5.3 this
    /// describes the rules that apply to all documented information.
    pub documented: Option<&'static str>,
}

/// An Annex A control group (A.2 … A.10), or one of the two A.6
/// sub-objectives (A.6.1, A.6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// Group id, e.g. `"A.5"` or `"A.6.2"`.
    pub id: &'static str,
    /// Our own short paraphrase of the group's topic.
    pub title: &'static str,
}

/// An Annex A control. Objectives (the `.1` ids) are not controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Control {
    /// Control id, e.g. `"A.6.2.4"`.
    pub id: &'static str,
    /// Top-level group id (`"A.2"` … `"A.10"`); `"A.6"` for both A.6.1.x and
    /// A.6.2.x.
    pub group: &'static str,
    /// Our own short paraphrase of the control's topic.
    pub title: &'static str,
}

const fn c(id: &'static str, title: &'static str, documented: Option<&'static str>) -> Clause {
    Clause {
        id,
        title,
        documented,
    }
}

const fn k(id: &'static str, group: &'static str, title: &'static str) -> Control {
    Control { id, group, title }
}

/// Every clause and sub-clause of clauses 4–10, in document order.
pub static CLAUSES: &[Clause] = &[
    c("4", "The organisation and its setting", None),
    c("4.1", "Issues shaping the organisation's AI work", None),
    c("4.2", "Who has a stake, and their needs", None),
    c(
        "4.3",
        "Boundaries of the management system",
        Some("the scope statement"),
    ),
    c("4.4", "Setting up and running the system", None),
    c("5", "Direction from top management", None),
    c("5.1", "Top management owns the system", None),
    c(
        "5.2",
        "The organisation's stated AI policy",
        Some("the AI policy"),
    ),
    c("5.3", "Who does what, with what authority", None),
    c("6", "Planning the management system", None),
    c("6.1", "Handling risks and opportunities", None),
    c(
        "6.1.1",
        "Risks and opportunities: the basics",
        Some("planned actions on risks and opportunities"),
    ),
    c(
        "6.1.2",
        "Assessing risks arising from AI",
        Some("the risk assessment process and its results"),
    ),
    c(
        "6.1.3",
        "Treating the assessed AI risks",
        Some("treatment process, Statement of Applicability, treatment plan"),
    ),
    c(
        "6.1.4",
        "Assessing consequences of AI systems",
        Some("impact assessment results"),
    ),
    c(
        "6.2",
        "Measurable AI goals and plans",
        Some("the AI objectives"),
    ),
    c("6.3", "Changing the system deliberately", None),
    c("7", "Support for the management system", None),
    c("7.1", "Providing what the system needs", None),
    c(
        "7.2",
        "Making sure people are capable",
        Some("evidence of people's competence"),
    ),
    c("7.3", "People know the policy and their part", None),
    c("7.4", "What to tell whom, and when", None),
    c("7.5", "Keeping documents and records", None),
    c(
        "7.5.1",
        "Which documents and records to keep",
        Some("rules for all documented information: what to keep"),
    ),
    c(
        "7.5.2",
        "Writing, identifying and approving documents",
        Some("rules for all documented information: form and approval"),
    ),
    c(
        "7.5.3",
        "Keeping documents available and protected",
        Some("rules for all documented information: control and retention"),
    ),
    c("8", "Running the AI management system", None),
    c(
        "8.1",
        "Planning and controlling day-to-day work",
        Some("evidence processes ran as planned, as needed"),
    ),
    c(
        "8.2",
        "Running AI risk assessments in practice",
        Some("risk assessment results"),
    ),
    c(
        "8.3",
        "Carrying out AI risk treatment",
        Some("risk treatment results"),
    ),
    c(
        "8.4",
        "Running AI system impact assessments",
        Some("impact assessment results"),
    ),
    c("9", "Checking how the system performs", None),
    c(
        "9.1",
        "Measuring and evaluating performance",
        Some("monitoring and measurement results"),
    ),
    c("9.2", "Auditing the system internally", None),
    c(
        "9.2.1",
        "Internal audits: what they must show",
        Some("audit programme and audit results"),
    ),
    c(
        "9.2.2",
        "Planning and running audit programmes",
        Some("audit programme and audit results"),
    ),
    c("9.3", "Top management reviews the system", None),
    c(
        "9.3.1",
        "Management reviews: when and why",
        Some("management review results"),
    ),
    c(
        "9.3.2",
        "What management reviews must consider",
        Some("management review results"),
    ),
    c(
        "9.3.3",
        "What management reviews decide",
        Some("management review results"),
    ),
    c("10", "Getting better over time", None),
    c("10.1", "Keep improving the system", None),
    c(
        "10.2",
        "Fixing nonconformities and their causes",
        Some("nonconformities, actions taken, results"),
    ),
];

/// Annex A groups A.2 … A.10, with the A.6 sub-objectives A.6.1 and A.6.2
/// listed right after A.6.
pub static GROUPS: &[Group] = &[
    Group {
        id: "A.2",
        title: "Policies that govern AI work",
    },
    Group {
        id: "A.3",
        title: "Organising people inside the organisation",
    },
    Group {
        id: "A.4",
        title: "Resources that AI systems rely on",
    },
    Group {
        id: "A.5",
        title: "Assessing effects of AI systems",
    },
    Group {
        id: "A.6",
        title: "Across the AI system life cycle",
    },
    Group {
        id: "A.6.1",
        title: "Steering responsible AI development",
    },
    Group {
        id: "A.6.2",
        title: "Stages of an AI system's life",
    },
    Group {
        id: "A.7",
        title: "Managing data behind AI systems",
    },
    Group {
        id: "A.8",
        title: "Informing people with a stake",
    },
    Group {
        id: "A.9",
        title: "Using AI systems responsibly",
    },
    Group {
        id: "A.10",
        title: "Suppliers, partners and customers",
    },
];

/// The 38 Annex A controls, A.2.2 … A.10.4, in order.
pub static CONTROLS: &[Control] = &[
    k("A.2.2", "A.2", "A documented policy for AI"),
    k("A.2.3", "A.2", "AI policy consistent with other policies"),
    k("A.2.4", "A.2", "Keeping the AI policy up to date"),
    k("A.3.2", "A.3", "Defined AI roles and duties"),
    k("A.3.3", "A.3", "A channel for raising AI concerns"),
    k("A.4.2", "A.4", "Inventory of resources per AI system"),
    k("A.4.3", "A.4", "Recording the data resources used"),
    k("A.4.4", "A.4", "Recording the tools used"),
    k("A.4.5", "A.4", "Recording compute and system resources"),
    k("A.4.6", "A.4", "Recording people and their skills"),
    k("A.5.2", "A.5", "A process for assessing AI impacts"),
    k("A.5.3", "A.5", "Keeping impact assessment records"),
    k("A.5.4", "A.5", "Effects on individuals and groups"),
    k("A.5.5", "A.5", "Effects on society at large"),
    k("A.6.1.2", "A.6", "Goals for developing AI responsibly"),
    k(
        "A.6.1.3",
        "A.6",
        "Defined responsible design and build processes",
    ),
    k("A.6.2.2", "A.6", "Specifying what new systems must do"),
    k("A.6.2.3", "A.6", "Recording design and development choices"),
    k(
        "A.6.2.4",
        "A.6",
        "Testing systems against their requirements",
    ),
    k("A.6.2.5", "A.6", "Releasing AI systems into use"),
    k("A.6.2.6", "A.6", "Running and watching deployed systems"),
    k("A.6.2.7", "A.6", "Technical records for each AI system"),
    k("A.6.2.8", "A.6", "Keeping event logs from AI systems"),
    k("A.7.2", "A.7", "Governing data for building systems"),
    k("A.7.3", "A.7", "Recording how data is obtained"),
    k("A.7.4", "A.7", "Data quality requirements and checks"),
    k("A.7.5", "A.7", "Tracing where data comes from"),
    k("A.7.6", "A.7", "Preparing data before it is used"),
    k("A.8.2", "A.8", "Documentation and guidance for users"),
    k("A.8.3", "A.8", "Letting outsiders report adverse effects"),
    k("A.8.4", "A.8", "Telling users about incidents"),
    k("A.8.5", "A.8", "What to disclose to stakeholders"),
    k("A.9.2", "A.9", "Processes for using AI responsibly"),
    k("A.9.3", "A.9", "Goals for responsible AI use"),
    k("A.9.4", "A.9", "Using systems only as intended"),
    k(
        "A.10.2",
        "A.10",
        "Sharing responsibilities with other parties",
    ),
    k("A.10.3", "A.10", "Managing suppliers of AI components"),
    k(
        "A.10.4",
        "A.10",
        "Considering customers' needs and expectations",
    ),
];

/// Looks up a clause or sub-clause by id, e.g. `"6.1.2"`.
pub fn clause(id: &str) -> Option<&'static Clause> {
    CLAUSES.iter().find(|c| c.id == id)
}

/// Looks up an Annex A control by id, e.g. `"A.5.2"`. Objective ids (`.1`)
/// are not controls and are not found.
pub fn control(id: &str) -> Option<&'static Control> {
    CONTROLS.iter().find(|c| c.id == id)
}

/// Looks up an Annex A group by id, e.g. `"A.5"` or `"A.6.1"`.
pub fn group(id: &str) -> Option<&'static Group> {
    GROUPS.iter().find(|g| g.id == id)
}

/// The top-level clause (4..10) a clause id belongs to, e.g. "6.1.2" -> "6".
/// The clause under which an Annex A control's operation is audited, for
/// findings about a control that belong in the clause report too: policies
/// under 5.2, internal organisation under 5.3, resources under 7.1, impact
/// assessment under 6.1.4, information for interested parties under 7.4,
/// and life cycle, data, use and third parties under operation (8.1).
pub fn home_clause(control: &str) -> Option<&'static str> {
    let group = self::control(control)?.group;
    Some(match group {
        "A.2" => "5.2",
        "A.3" => "5.3",
        "A.4" => "7.1",
        "A.5" => "6.1.4",
        "A.8" => "7.4",
        _ => "8.1",
    })
}

pub fn top_clause(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Clause ids from the reference file's table (ranges expanded).
    const REFERENCE_CLAUSES: &[&str] = &[
        "4.1", "4.2", "4.3", "4.4", "5.1", "5.2", "5.3", "6.1.1", "6.1.2", "6.1.3", "6.1.4", "6.2",
        "6.3", "7.1", "7.2", "7.3", "7.4", "7.5.1", "7.5.2", "7.5.3", "8.1", "8.2", "8.3", "8.4",
        "9.1", "9.2.1", "9.2.2", "9.3.1", "9.3.2", "9.3.3", "10.1", "10.2",
    ];

    #[test]
    fn exactly_38_controls() {
        assert_eq!(CONTROLS.len(), 38);
    }

    #[test]
    fn per_group_counts() {
        let expected = [
            ("A.2", 3),
            ("A.3", 2),
            ("A.4", 5),
            ("A.5", 4),
            ("A.6", 9),
            ("A.7", 5),
            ("A.8", 4),
            ("A.9", 3),
            ("A.10", 3),
        ];
        for (g, n) in expected {
            let got = CONTROLS.iter().filter(|c| c.group == g).count();
            assert_eq!(got, n, "group {g}");
        }
        let a61 = CONTROLS
            .iter()
            .filter(|c| c.id.starts_with("A.6.1."))
            .count();
        let a62 = CONTROLS
            .iter()
            .filter(|c| c.id.starts_with("A.6.2."))
            .count();
        assert_eq!((a61, a62), (2, 7));
    }

    #[test]
    fn ids_unique() {
        let mut seen = HashSet::new();
        for id in CLAUSES
            .iter()
            .map(|c| c.id)
            .chain(GROUPS.iter().map(|g| g.id))
            .chain(CONTROLS.iter().map(|c| c.id))
        {
            assert!(seen.insert(id), "duplicate id {id}");
        }
    }

    #[test]
    fn every_control_group_exists_and_matches_id() {
        for c in CONTROLS {
            assert!(
                group(c.group).is_some(),
                "{} has unknown group {}",
                c.id,
                c.group
            );
            assert!(
                c.id.starts_with(&format!("{}.", c.group)),
                "{} not under {}",
                c.id,
                c.group
            );
            assert!(!c.id.ends_with(".1"), "{} is an objective id", c.id);
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(clause("6.1.2").map(|c| c.id), Some("6.1.2"));
        assert_eq!(control("A.5.2").map(|c| c.group), Some("A.5"));
        assert_eq!(control("A.6.2.8").map(|c| c.group), Some("A.6"));
        assert!(group("A.6.1").is_some());
        assert!(group("A.6.2").is_some());
        assert!(control("A.5.1").is_none());
        assert!(control("A.11.1").is_none());
        assert!(clause("11").is_none());
    }

    #[test]
    fn titles_are_short_paraphrases() {
        let titles = CLAUSES
            .iter()
            .map(|c| (c.id, c.title))
            .chain(GROUPS.iter().map(|g| (g.id, g.title)))
            .chain(CONTROLS.iter().map(|c| (c.id, c.title)));
        for (id, title) in titles {
            assert!(!title.trim().is_empty(), "{id} has an empty title");
            assert!(title.len() <= 60, "{id} title too long");
            let words = title.split_whitespace().count();
            assert!((3..=8).contains(&words), "{id} title has {words} words");
        }
        for c in CLAUSES {
            if let Some(d) = c.documented {
                assert!(!d.trim().is_empty() && d.len() <= 80, "{}", c.id);
            }
        }
    }

    #[test]
    fn reference_clauses_present() {
        for id in REFERENCE_CLAUSES {
            assert!(clause(id).is_some(), "missing clause {id}");
        }
        for top in [
            "4", "5", "6", "7", "8", "9", "10", "6.1", "7.5", "9.2", "9.3",
        ] {
            assert!(clause(top).is_some(), "missing clause {top}");
        }
        assert_eq!(CLAUSES.len(), 43);
    }

    #[test]
    fn clauses_in_document_order() {
        let key = |id: &str| -> Vec<u32> { id.split('.').map(|p| p.parse().unwrap()).collect() };
        for w in CLAUSES.windows(2) {
            assert!(
                key(w[0].id) < key(w[1].id),
                "{} before {}",
                w[0].id,
                w[1].id
            );
        }
        let ckey =
            |id: &str| -> Vec<u32> { id[2..].split('.').map(|p| p.parse().unwrap()).collect() };
        for w in CONTROLS.windows(2) {
            assert!(
                ckey(w[0].id) < ckey(w[1].id),
                "{} before {}",
                w[0].id,
                w[1].id
            );
        }
    }

    #[test]
    fn documented_follows_reference() {
        for id in [
            "4.3", "5.2", "6.1.1", "6.1.2", "6.1.3", "6.1.4", "6.2", "7.2", "8.1", "8.2", "8.3",
            "8.4", "9.1", "9.2.2", "9.3.3", "10.2",
        ] {
            assert!(clause(id).unwrap().documented.is_some(), "{id}");
        }
        for id in [
            "4.1", "4.2", "4.4", "5.1", "5.3", "6.3", "7.1", "7.3", "7.4", "10.1",
        ] {
            assert!(clause(id).unwrap().documented.is_none(), "{id}");
        }
        assert!(
            clause("6.1.3")
                .unwrap()
                .documented
                .unwrap()
                .contains("Statement of Applicability")
        );
    }

    #[test]
    fn top_clause_of_ids() {
        assert_eq!(top_clause("6.1.2"), "6");
        assert_eq!(top_clause("10.2"), "10");
        assert_eq!(top_clause("4"), "4");
        for c in CLAUSES {
            let top = top_clause(c.id);
            assert!(clause(top).is_some(), "{}", c.id);
            let n: u32 = top.parse().unwrap();
            assert!((4..=10).contains(&n));
        }
    }
}
