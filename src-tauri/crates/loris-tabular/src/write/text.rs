//! CSV and JSON-array output, for merges whose destination is one of those formats.

use std::io::Write;
use std::path::Path;

use serde_json::Value;

use super::atomic::{io_err, write_atomic};
use crate::Row;
use crate::error::{Result, TabularError};

/// CSV with a header of `columns`. Strings are written as they are, null and missing values as
/// empty fields, and anything else as its JSON text.
pub(crate) fn write_csv(path: &Path, columns: &[String], rows: &[Row]) -> Result<()> {
    write_atomic(path, |out| {
        let mut writer = csv::Writer::from_writer(out);
        let csv_err = |e: csv::Error| match e.into_kind() {
            csv::ErrorKind::Io(source) => TabularError::io(path, source),
            other => TabularError::Write {
                path: path.to_owned(),
                reason: format!("{other:?}"),
            },
        };
        if !columns.is_empty() {
            writer.write_record(columns).map_err(csv_err)?;
        }
        for row in rows {
            let record = columns.iter().map(|c| match row.get(c) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            });
            writer.write_record(record).map_err(csv_err)?;
        }
        writer.flush().map_err(io_err(path))
    })
}

/// A JSON array of row objects.
pub(crate) fn write_json(path: &Path, rows: &[Row]) -> Result<()> {
    write_atomic(path, |out| {
        serde_json::to_writer(&mut *out, rows).map_err(|e| io_err(path)(e.into()))?;
        out.write_all(b"\n").map_err(io_err(path))
    })
}
