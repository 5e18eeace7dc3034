//! Dataset files to rows: one reader per file type, picked by the extension. Every reader gives
//! rows as JSON objects, so the format code never sees where a row came from.

mod csv;
mod json;
mod jsonl;
mod parquet;

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{DatasetError, Result, RowRef};

/// One row of a dataset file.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub at: RowRef,
    pub fields: Map<String, Value>,
}

/// The file types this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// One JSON object per line (`.jsonl`, `.ndjson`).
    Jsonl,
    /// A JSON array of objects, or an object wrapping one (`{"data": [...]}`) (`.json`).
    Json,
    /// Comma-separated values with a header row (`.csv`), or tab-separated (`.tsv`).
    Csv { delimiter: u8 },
    /// Apache Parquet (`.parquet`, `.pq`).
    Parquet,
}

impl FileKind {
    /// The kind named by the file's extension (case-insensitive).
    pub fn from_path(path: &Path) -> Result<Self> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        match extension.as_str() {
            "jsonl" | "ndjson" => Ok(FileKind::Jsonl),
            "json" => Ok(FileKind::Json),
            "csv" => Ok(FileKind::Csv { delimiter: b',' }),
            "tsv" => Ok(FileKind::Csv { delimiter: b'\t' }),
            "parquet" | "pq" => Ok(FileKind::Parquet),
            _ => Err(DatasetError::UnsupportedFile {
                path: path.to_owned(),
                extension: if extension.is_empty() {
                    "(no extension)".to_owned()
                } else {
                    format!(".{extension}")
                },
            }),
        }
    }
}

/// Reads at most `limit` rows of `path` (all when `None`). A file without rows is
/// `dataset_empty`; the first malformed row stops the read with its typed error.
pub fn read_rows(path: &Path, limit: Option<usize>) -> Result<Vec<Row>> {
    let kind = FileKind::from_path(path)?;
    let limit = limit.unwrap_or(usize::MAX);
    let rows = match kind {
        FileKind::Jsonl => jsonl::read(path, limit)?,
        FileKind::Json => json::read(path, limit)?,
        FileKind::Csv { delimiter } => csv::read(path, delimiter, limit)?,
        FileKind::Parquet => parquet::read(path, limit)?,
    };
    if rows.is_empty() && limit > 0 {
        return Err(DatasetError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(rows)
}

/// A row from a JSON value that must be an object.
fn object_row(at: RowRef, value: Value) -> Result<Row> {
    match value {
        Value::Object(fields) => Ok(Row { at, fields }),
        other => Err(DatasetError::BadRow {
            at,
            reason: format!("expected a JSON object, found {}", json_kind(&other)),
        }),
    }
}

pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| DatasetError::io(path, e))
}

/// Text without a leading UTF-8 byte order mark, which spreadsheet exports often write.
fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_extension() {
        assert_eq!(
            FileKind::from_path(Path::new("a/b.JSONL")).unwrap(),
            FileKind::Jsonl
        );
        assert_eq!(
            FileKind::from_path(Path::new("b.json")).unwrap(),
            FileKind::Json
        );
        assert_eq!(
            FileKind::from_path(Path::new("b.tsv")).unwrap(),
            FileKind::Csv { delimiter: b'\t' }
        );
        assert_eq!(
            FileKind::from_path(Path::new("b.parquet")).unwrap(),
            FileKind::Parquet
        );
        let err = FileKind::from_path(Path::new("notes.txt")).unwrap_err();
        assert_eq!(err.code(), "dataset_unsupported_file");
        assert!(err.to_string().contains("'.txt'"), "{err}");
        let err = FileKind::from_path(Path::new("README")).unwrap_err();
        assert!(err.to_string().contains("(no extension)"), "{err}");
    }

    #[test]
    fn a_missing_file_is_an_io_error() {
        let err = read_rows(Path::new("/no/such/dir/data.jsonl"), None).unwrap_err();
        assert_eq!(err.code(), "dataset_io");
    }
}
