//! Frontmatter as an owned tree of TOML values that remember where they were
//! written, so every finding can point at the file's own line and column.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    Datetime(toml::value::Datetime),
    Array(Vec<Node>),
    Table(Table),
}

impl Value {
    /// How a user would name the type, for "expected a string, found …".
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Boolean(_) => "a boolean",
            Value::Datetime(_) => "a date",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

/// A value and the byte range it occupies in the document.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Range<usize>,
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Boolean(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_table(&self) -> Option<&Table> {
        match &self.value {
            Value::Table(t) => Some(t),
            _ => None,
        }
    }

    /// Strings of a string or an array of strings, with their spans; other
    /// values are skipped (the schema check reports them).
    pub fn strings(&self) -> Vec<(&str, Range<usize>)> {
        match &self.value {
            Value::String(s) => vec![(s.as_str(), self.span.clone())],
            Value::Array(items) => items
                .iter()
                .filter_map(|n| n.as_str().map(|s| (s, n.span.clone())))
                .collect(),
            _ => Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Range<usize>,
    pub node: Node,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub entries: Vec<Entry>,
}

impl Table {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.node)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    pub fn str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Converts a parsed table, shifting spans by `offset` (where the TOML
    /// starts in the file).
    pub fn from_de(table: &DeTable<'_>, offset: usize) -> Table {
        let mut entries: Vec<Entry> = table
            .iter()
            .map(|(k, v)| Entry {
                key: k.get_ref().to_string(),
                key_span: shift(k.span(), offset),
                node: node(v, offset),
            })
            .collect();
        // Source order reads best in diagnostics and outputs.
        entries.sort_by_key(|e| e.key_span.start);
        Table { entries }
    }
}

fn shift(span: Range<usize>, offset: usize) -> Range<usize> {
    span.start + offset..span.end + offset
}

fn node(v: &Spanned<DeValue<'_>>, offset: usize) -> Node {
    let value = match v.get_ref() {
        DeValue::String(s) => Value::String(s.to_string()),
        // `as_str` is already in `from_str_radix` form; only values beyond
        // i64 fail, and they are kept as a number so the type check reports them.
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Integer(n),
            Err(_) => Value::Float(f64::INFINITY),
        },
        DeValue::Float(f) => Value::Float(f.as_str().replace('_', "").parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(b) => Value::Boolean(*b),
        DeValue::Datetime(d) => Value::Datetime(*d),
        DeValue::Array(items) => Value::Array(items.iter().map(|n| node(n, offset)).collect()),
        DeValue::Table(t) => Value::Table(Table::from_de(t, offset)),
    };
    Node {
        value,
        span: shift(v.span(), offset),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_shifted_into_the_file() {
        let toml = "a = 1\nb = [\"x\", \"y\"]\n[t]\nc = 2026-01-31\n";
        let de = DeTable::parse(toml).unwrap();
        let t = Table::from_de(de.get_ref(), 4);
        assert_eq!(t.get("a").unwrap().value, Value::Integer(1));
        let b = t.get("b").unwrap();
        assert_eq!(&toml[b.span.start - 4..b.span.end - 4], "[\"x\", \"y\"]");
        let strings = b.strings();
        assert_eq!(strings[1].0, "y");
        assert_eq!(&toml[strings[1].1.start - 4..strings[1].1.end - 4], "\"y\"");
        let inner = t.get("t").unwrap().as_table().unwrap();
        assert!(matches!(inner.get("c").unwrap().value, Value::Datetime(_)));
        assert_eq!(
            t.entries.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            ["a", "b", "t"]
        );
    }
}
