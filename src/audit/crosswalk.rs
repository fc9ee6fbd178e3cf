//! Crosswalks from Annex A controls to other AI frameworks, as data.
//!
//! Both mappings are our own reading, written for this tool: which NIST AI
//! RMF functions and which EU AI Act obligations (for high-risk systems) a
//! control helps to evidence. They are indicative, not an official
//! crosswalk; the names below are our short paraphrases, not either text.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Framework {
    /// NIST AI Risk Management Framework 1.0: Govern, Map, Measure, Manage.
    NistAiRmf,
    /// EU AI Act obligations for high-risk AI systems.
    EuAiAct,
}

impl Framework {
    pub fn name(self) -> &'static str {
        match self {
            Framework::NistAiRmf => "NIST AI RMF 1.0",
            Framework::EuAiAct => "EU AI Act (high-risk obligations)",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Framework::NistAiRmf => "nist-ai-rmf",
            Framework::EuAiAct => "eu-ai-act",
        }
    }

    /// The framework's parts, in order: (id, name, what it is about).
    pub fn parts(self) -> &'static [Part] {
        match self {
            Framework::NistAiRmf => NIST,
            Framework::EuAiAct => EU,
        }
    }

    /// The parts of this framework a control supports.
    pub fn of(self, control: &str) -> &'static [&'static str] {
        MAP.iter()
            .find(|m| m.0 == control)
            .map_or(&[][..], |m| match self {
                Framework::NistAiRmf => m.1,
                Framework::EuAiAct => m.2,
            })
    }
}

#[derive(Clone, Copy, Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Part {
    pub id: &'static str,
    pub name: &'static str,
    pub about: &'static str,
}

const fn p(id: &'static str, name: &'static str, about: &'static str) -> Part {
    Part { id, name, about }
}

static NIST: &[Part] = &[
    p(
        "govern",
        "Govern",
        "culture, policies, roles and accountability for AI risk",
    ),
    p(
        "map",
        "Map",
        "context, intended use and the risks and impacts of each system",
    ),
    p(
        "measure",
        "Measure",
        "testing, metrics and monitoring of identified risks",
    ),
    p(
        "manage",
        "Manage",
        "prioritising, treating and responding to risks over time",
    ),
];

static EU: &[Part] = &[
    p(
        "art-9",
        "Art. 9 Risk management",
        "a risk-management system over the whole life cycle",
    ),
    p(
        "art-10",
        "Art. 10 Data governance",
        "quality and governance of training, validation and test data",
    ),
    p(
        "art-11",
        "Art. 11 Technical documentation",
        "documentation showing how the system meets its obligations",
    ),
    p(
        "art-12",
        "Art. 12 Record-keeping",
        "automatic logging of events over the system's lifetime",
    ),
    p(
        "art-13",
        "Art. 13 Transparency",
        "information and instructions for those who deploy the system",
    ),
    p(
        "art-14",
        "Art. 14 Human oversight",
        "people able to understand, monitor and override the system",
    ),
    p(
        "art-15",
        "Art. 15 Accuracy and robustness",
        "appropriate accuracy, robustness and cybersecurity",
    ),
    p(
        "art-17",
        "Art. 17 Quality management",
        "a documented quality-management system for the provider",
    ),
];

/// Control → (NIST AI RMF functions, EU AI Act articles).
type Row = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

static MAP: &[Row] = &[
    ("A.2.2", &["govern"], &["art-17"]),
    ("A.2.3", &["govern"], &["art-17"]),
    ("A.2.4", &["govern"], &["art-17"]),
    ("A.3.2", &["govern"], &["art-14", "art-17"]),
    ("A.3.3", &["govern"], &["art-17"]),
    ("A.4.2", &["map"], &["art-11"]),
    ("A.4.3", &["map"], &["art-10", "art-11"]),
    ("A.4.4", &["map"], &["art-11"]),
    ("A.4.5", &["map"], &["art-11"]),
    ("A.4.6", &["govern"], &["art-14", "art-17"]),
    ("A.5.2", &["map"], &["art-9"]),
    ("A.5.3", &["map", "govern"], &["art-9", "art-11"]),
    ("A.5.4", &["map", "measure"], &["art-9"]),
    ("A.5.5", &["map"], &["art-9"]),
    ("A.6.1.2", &["govern"], &["art-17"]),
    ("A.6.1.3", &["govern", "manage"], &["art-9", "art-17"]),
    ("A.6.2.2", &["map"], &["art-11", "art-17"]),
    ("A.6.2.3", &["map"], &["art-11"]),
    ("A.6.2.4", &["measure"], &["art-15", "art-17"]),
    ("A.6.2.5", &["manage"], &["art-14", "art-17"]),
    ("A.6.2.6", &["measure", "manage"], &["art-12", "art-15"]),
    ("A.6.2.7", &["map"], &["art-11", "art-13"]),
    ("A.6.2.8", &["measure", "manage"], &["art-12"]),
    ("A.7.2", &["map"], &["art-10"]),
    ("A.7.3", &["map"], &["art-10"]),
    ("A.7.4", &["measure"], &["art-10", "art-15"]),
    ("A.7.5", &["map"], &["art-10", "art-12"]),
    ("A.7.6", &["map", "measure"], &["art-10"]),
    ("A.8.2", &["map"], &["art-13"]),
    ("A.8.3", &["govern", "manage"], &["art-9", "art-13"]),
    ("A.8.4", &["manage"], &["art-13", "art-17"]),
    ("A.8.5", &["govern"], &["art-13"]),
    ("A.9.2", &["govern"], &["art-14"]),
    ("A.9.3", &["govern"], &["art-14"]),
    ("A.9.4", &["manage"], &["art-13", "art-14"]),
    ("A.10.2", &["govern"], &["art-17"]),
    ("A.10.3", &["govern", "manage"], &["art-10", "art-17"]),
    ("A.10.4", &["govern", "map"], &["art-13"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_is_mapped_once_to_known_parts() {
        for c in crate::catalog::CONTROLS {
            assert_eq!(
                MAP.iter().filter(|m| m.0 == c.id).count(),
                1,
                "{} mapped once",
                c.id
            );
            for fw in [Framework::NistAiRmf, Framework::EuAiAct] {
                let parts = fw.of(c.id);
                assert!(!parts.is_empty(), "{} has a {} mapping", c.id, fw.id());
                for part in parts {
                    assert!(fw.parts().iter().any(|p| p.id == *part), "{part}");
                }
            }
        }
        assert_eq!(MAP.len(), crate::catalog::CONTROLS.len());
        // Every part of each framework is reached by some control.
        for fw in [Framework::NistAiRmf, Framework::EuAiAct] {
            for part in fw.parts() {
                assert!(MAP.iter().any(|m| {
                    let v = if fw == Framework::NistAiRmf { m.1 } else { m.2 };
                    v.contains(&part.id)
                }));
            }
        }
    }
}
