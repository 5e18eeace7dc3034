//! Reading whole files into rows, one module per format.

mod csv;
mod json;
pub(crate) mod jsonl;
pub(crate) mod parquet;
mod parquet_value;
mod temporal;

use std::path::Path;

use serde_json::Value;

use crate::Row;
use crate::error::{Result, TabularError};
use crate::format::TableFormat;

/// Every row of a CSV, JSON, JSONL or Parquet file, chosen by extension.
///
/// A text file with no content gives no rows; a zero-byte Parquet file is damaged.
pub fn read_rows(path: &Path) -> Result<Vec<Row>> {
    match TableFormat::from_path(path)? {
        TableFormat::Csv => csv::read_all(path),
        TableFormat::Json => json::read_all(path),
        TableFormat::Jsonl => jsonl::read_all(path),
        TableFormat::Parquet => parquet::read_all(path),
    }
}

/// Rows in the file. JSONL counts non-blank lines and Parquet reads its footer, so neither
/// parses rows; CSV walks its records; JSON parses the document.
pub fn count_rows(path: &Path) -> Result<u64> {
    match TableFormat::from_path(path)? {
        TableFormat::Csv => csv::count(path),
        TableFormat::Json => json::read_all(path).map(|rows| rows.len() as u64),
        TableFormat::Jsonl => jsonl::count(path),
        TableFormat::Parquet => Ok(parquet::ParquetSource::open(path)?.total_rows()),
    }
}

/// A whole file as UTF-8 text, without a leading byte-order mark.
pub(crate) fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| TabularError::io(path, e))?;
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(&bytes);
    match std::str::from_utf8(body) {
        Ok(text) => Ok(text.to_owned()),
        Err(e) => Err(TabularError::BadText {
            path: path.to_owned(),
            offset: (e.valid_up_to() + bytes.len() - body.len()) as u64,
        }),
    }
}

/// "an array", "a number", ... for messages about a value of the wrong kind.
pub(crate) fn value_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
