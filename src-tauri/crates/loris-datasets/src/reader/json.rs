//! A JSON document: an array of row objects, an object wrapping such an array under an obvious
//! key (`{"data": [...]}`, `{"train": [...]}`, ...), or a single row object. Files named `.json`
//! that are really JSON Lines are common, so a document with trailing content whose first line is
//! an object on its own is read as JSON Lines.

use std::path::Path;

use serde_json::Value;

use super::{Row, jsonl, object_row, read_file, strip_bom};
use crate::error::{DatasetError, Result, RowRef};

/// Keys that hold the rows in wrapped documents, in order of preference.
const WRAPPER_KEYS: [&str; 9] = [
    "data",
    "rows",
    "records",
    "examples",
    "train",
    "items",
    "instances",
    "samples",
    "dataset",
];

pub(super) fn read(path: &Path, limit: usize) -> Result<Vec<Row>> {
    let bytes = read_file(path)?;
    let bytes = strip_bom(&bytes);
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(_) if looks_like_json_lines(bytes) => return jsonl::parse(path, bytes, limit),
        Err(e) => {
            return Err(DatasetError::BadJson {
                path: path.to_owned(),
                line: e.line(),
                column: e.column(),
                reason: e.to_string(),
            });
        }
    };
    let elements = match value {
        Value::Array(items) => items,
        Value::Object(mut fields) => match wrapped_rows_key(&fields) {
            Some(key) => match fields.remove(&key) {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            },
            None => vec![Value::Object(fields)],
        },
        other => {
            return Err(DatasetError::BadRow {
                at: RowRef::row(1),
                reason: format!(
                    "expected a list of row objects, found {}",
                    super::json_kind(&other)
                ),
            });
        }
    };
    elements
        .into_iter()
        .take(limit)
        .enumerate()
        .map(|(i, v)| object_row(RowRef::row(i + 1), v))
        .collect()
}

/// The key under which an object document keeps its rows: a known wrapper key holding a list of
/// objects, else the only key that holds one.
fn wrapped_rows_key(fields: &serde_json::Map<String, Value>) -> Option<String> {
    let holds_rows = |v: &Value| {
        v.as_array()
            .is_some_and(|items| items.iter().all(Value::is_object))
    };
    if let Some(key) = WRAPPER_KEYS
        .iter()
        .find(|k| fields.get(**k).is_some_and(holds_rows))
    {
        return Some((*key).to_owned());
    }
    let mut candidates = fields
        .iter()
        .filter(|(_, v)| holds_rows(v) && !is_row_list(v));
    match (candidates.next(), candidates.next()) {
        (Some((key, _)), None) => Some(key.clone()),
        _ => None,
    }
}

/// A list that is a row's own field (a conversation's messages), not a list of rows: its
/// objects carry message keys.
fn is_row_list(value: &Value) -> bool {
    value.as_array().is_some_and(|items| {
        items
            .first()
            .and_then(Value::as_object)
            .is_some_and(|o| ["role", "from"].iter().any(|k| o.contains_key(*k)))
    })
}

/// The first non-blank line parses as an object on its own and more content follows.
fn looks_like_json_lines(bytes: &[u8]) -> bool {
    let mut lines = bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace));
    let first = lines.next();
    let more = lines.next().is_some();
    more && first
        .is_some_and(|l| matches!(serde_json::from_slice::<Value>(l), Ok(Value::Object(_))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(text: &str) -> Result<Vec<Row>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.json");
        std::fs::write(&path, text).unwrap();
        read(&path, usize::MAX)
    }

    #[test]
    fn arrays_wrappers_and_single_objects() {
        let rows = read_str(r#"[{"text": "a"}, {"text": "b"}]"#).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].at, RowRef::row(2));
        let rows = read_str(r#"{"version": 2, "data": [{"text": "a"}]}"#).unwrap();
        assert_eq!(rows[0].fields["text"], "a");
        let rows = read_str(r#"{"meta": {}, "my_rows": [{"text": "a"}, {"text": "b"}]}"#).unwrap();
        assert_eq!(rows.len(), 2);
        // A single conversation object is one row, not a wrapper around its messages.
        let rows = read_str(r#"{"messages": [{"role": "user", "content": "hi"}]}"#).unwrap();
        assert_eq!(rows.len(), 1);
        assert!(rows[0].fields.contains_key("messages"));
    }

    #[test]
    fn json_lines_in_a_json_file_are_read() {
        let rows = read_str("{\"text\": \"a\"}\n{\"text\": \"b\"}\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].at, RowRef::line(2, 2));
    }

    #[test]
    fn errors_name_the_line_and_row() {
        let err = read_str("[\n{\"text\": \"a\"},\n{\"text\": }\n]").unwrap_err();
        assert_eq!(err.code(), "dataset_bad_json");
        assert!(err.to_string().contains("line 3"), "{err}");
        let err = read_str(r#"[{"text": "a"}, 3]"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "row 2: expected a JSON object, found a number"
        );
        let err = read_str("42").unwrap_err();
        assert_eq!(err.code(), "dataset_bad_row");
    }
}
