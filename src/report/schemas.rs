//! The JSON Schemas (draft 2020-12) of every JSON output, generated from
//! the very types that serialise it, so schema and output cannot drift.
//! They are published under `schemas/` (a test keeps those files equal to
//! what this module generates, and validates real output against them).
//! External formats with key names of their own (SARIF, GitLab Code
//! Quality, iCalendar) are not `aims.*` outputs and have no schema here;
//! their tests check them against their own specifications.

use schemars::{JsonSchema, generate::SchemaSettings};
use serde_json::Value;

/// The `$id` prefix: a name, not an address (the files live in this
/// repository's `schemas/` folder, wherever it is hosted).
pub const BASE: &str = "urn:aims:schema:";

/// Every published schema: (file name, schema).
pub fn all() -> Vec<(&'static str, Value)> {
    vec![
        one::<crate::report::json::Check>(
            "aims.check.v1.schema.json",
            "`aims check --format json`: every finding, with a summary by classification.",
        ),
        one::<crate::report::register::StatusJson>(
            "aims.status.v1.schema.json",
            "`aims status --format json`: the document-control register.",
        ),
        one::<crate::report::register::LogJson>(
            "aims.log.v1.schema.json",
            "`aims log ID --format json`: one document's revisions and approvals.",
        ),
        one::<crate::reviews::Reviews>(
            "aims.reviews.v1.schema.json",
            "`aims reviews --format json`: the reviews falling due, with owners and approvers.",
        ),
        one::<crate::rules::RulesJson>(
            "aims.rules.v1.schema.json",
            "`aims rules --format json`: the rule catalogue.",
        ),
        one::<crate::audit::Audit>(
            "aims.audit.v1.schema.json",
            "`aims audit --format json`: the mock certification audit.",
        ),
        one::<crate::pr_comment::Comment>(
            "aims.pr-comment.v1.schema.json",
            "`aims pr-comment --format json`: what a pull request does to the AIMS.",
        ),
        one::<crate::export::package::Manifest>(
            "aims.export.v1.schema.json",
            "`manifest.json` of `aims export`: every file of the evidence package with its SHA-256.",
        ),
    ]
}

fn one<T: JsonSchema>(file: &'static str, description: &str) -> (&'static str, Value) {
    // Describes what we write (skipped fields are optional, as serde
    // leaves them out), not what we would read.
    let generator = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator();
    let schema = generator.into_root_schema_for::<T>();
    let mut value = serde_json::to_value(schema).expect("a schema is JSON");
    if let Value::Object(map) = &mut value {
        let name = file.trim_end_matches(".schema.json");
        map.insert("$id".into(), Value::from(format!("{BASE}{name}")));
        map.insert("description".into(), Value::from(description));
    }
    (file, value)
}
