//! CSV with a header row. Every value stays a string: a seed column of zip codes or ids must
//! not turn into numbers, and the recipe templates render text anyway.

use std::path::Path;

use serde_json::Value;

use crate::Row;
use crate::error::{Result, TabularError};

pub(crate) fn read_all(path: &Path) -> Result<Vec<Row>> {
    let mut reader = open(path)?;
    let headers = headers(path, &mut reader)?;
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| csv_error(path, e))?
    {
        let row: Row = headers
            .iter()
            .zip(record.iter())
            .map(|(name, value)| (name.clone(), Value::String(value.to_owned())))
            .collect();
        rows.push(row);
    }
    Ok(rows)
}

/// Data records (header excluded), checking shape as it goes but building no rows.
pub(crate) fn count(path: &Path) -> Result<u64> {
    let mut reader = open(path)?;
    headers(path, &mut reader)?;
    let mut record = csv::ByteRecord::new();
    let mut count = 0;
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(path, e))?
    {
        count += 1;
    }
    Ok(count)
}

fn open(path: &Path) -> Result<csv::Reader<std::fs::File>> {
    csv::ReaderBuilder::new()
        .has_headers(true)
        // Ragged rows are an error, not padding: a shifted column would feed wrong values.
        .flexible(false)
        .from_path(path)
        .map_err(|e| csv_error(path, e))
}

fn headers(path: &Path, reader: &mut csv::Reader<std::fs::File>) -> Result<Vec<String>> {
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| csv_error(path, e))?
        .iter()
        .map(str::to_owned)
        .collect();
    for (i, name) in headers.iter().enumerate() {
        if headers[..i].contains(name) {
            return Err(TabularError::BadCsv {
                path: path.to_owned(),
                line: 1,
                reason: format!("column `{name}` appears twice in the header"),
            });
        }
    }
    Ok(headers)
}

fn csv_error(path: &Path, err: csv::Error) -> TabularError {
    let line = err.position().map_or(0, csv::Position::line);
    match err.into_kind() {
        csv::ErrorKind::Io(source) => TabularError::io(path, source),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => TabularError::BadCsv {
            path: path.to_owned(),
            line,
            reason: format!("expected {expected_len} fields like the header, found {len}"),
        },
        csv::ErrorKind::Utf8 { err, .. } => TabularError::BadCsv {
            path: path.to_owned(),
            line,
            reason: format!("field {} is not UTF-8", err.field() + 1),
        },
        other => TabularError::BadCsv {
            path: path.to_owned(),
            line,
            reason: format!("{other:?}"),
        },
    }
}
