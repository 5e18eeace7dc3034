//! JSON Lines: one object per line; blank lines are ignored.

use std::path::Path;

use serde_json::Value;

use super::{Row, object_row, read_file, strip_bom};
use crate::error::{DatasetError, Result, RowRef};

pub(super) fn read(path: &Path, limit: usize) -> Result<Vec<Row>> {
    let bytes = read_file(path)?;
    parse(path, strip_bom(&bytes), limit)
}

pub(super) fn parse(path: &Path, bytes: &[u8], limit: usize) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for (index, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        if rows.len() >= limit {
            break;
        }
        let line = index + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let value: Value = serde_json::from_slice(raw).map_err(|e| DatasetError::BadJson {
            path: path.to_owned(),
            line,
            column: e.column(),
            reason: e.to_string(),
        })?;
        rows.push(object_row(RowRef::line(rows.len() + 1, line), value)?);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Vec<Row>> {
        parse(Path::new("d.jsonl"), text.as_bytes(), usize::MAX)
    }

    #[test]
    fn blank_lines_are_skipped_and_lines_counted() {
        let rows = parse_str("{\"text\":\"a\"}\r\n\n  \n{\"text\":\"b\"}").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].at, RowRef::line(1, 1));
        assert_eq!(rows[1].at, RowRef::line(2, 4));
        assert_eq!(rows[1].fields["text"], "b");
    }

    #[test]
    fn a_bad_line_is_named() {
        let err = parse_str("{\"text\":\"a\"}\n{\"text\": oops}\n").unwrap_err();
        assert_eq!(err.code(), "dataset_bad_json");
        assert!(err.to_string().contains("line 2"), "{err}");
        let err = parse_str("{\"text\":\"a\"}\n[1, 2]\n").unwrap_err();
        assert_eq!(err.code(), "dataset_bad_row");
        assert_eq!(
            err.to_string(),
            "line 2: expected a JSON object, found a list"
        );
    }

    #[test]
    fn the_limit_stops_reading() {
        let rows = parse(Path::new("d.jsonl"), b"{}\n{}\nnot json", 2).unwrap();
        assert_eq!(rows.len(), 2);
    }
}
