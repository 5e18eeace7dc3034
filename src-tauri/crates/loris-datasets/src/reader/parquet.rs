//! Parquet through the crate's record API (no Arrow): each row's fields become JSON values:
//! strings, numbers and booleans as themselves, lists as arrays, structs and maps as objects.
//! Columns that a data recipe wrote as JSON text (named in the file's `loris.json_columns`
//! metadata) are read back as the JSON they hold, so a generated dataset trains as-is.

use std::fs::File;
use std::path::Path;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Field, Row as ParquetRow};
use serde_json::{Map, Number, Value};

use super::Row;
use crate::error::{DatasetError, Result, RowRef};

/// The metadata key under which a data recipe lists its JSON-text columns.
const JSON_COLUMNS_KEY: &str = "loris.json_columns";

pub(super) fn read(path: &Path, limit: usize) -> Result<Vec<Row>> {
    let bad = |reason: String| DatasetError::BadParquet {
        path: path.to_owned(),
        reason,
    };
    let file = File::open(path).map_err(|e| DatasetError::io(path, e))?;
    let reader = SerializedFileReader::new(file).map_err(|e| bad(e.to_string()))?;
    let json_columns: Vec<String> = reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .into_iter()
        .flatten()
        .filter(|kv| kv.key == JSON_COLUMNS_KEY)
        .filter_map(|kv| kv.value.as_deref())
        .filter_map(|v| serde_json::from_str::<Vec<String>>(v).ok())
        .flatten()
        .collect();
    let iter = reader.get_row_iter(None).map_err(|e| bad(e.to_string()))?;
    let mut rows = Vec::new();
    for (index, row) in iter.take(limit).enumerate() {
        let row = row.map_err(|e| bad(format!("row {}: {e}", index + 1)))?;
        let mut fields = row_to_map(&row);
        for name in &json_columns {
            if let Some(Value::String(text)) = fields.get(name)
                && let Ok(value) = serde_json::from_str::<Value>(text)
            {
                fields.insert(name.clone(), value);
            }
        }
        rows.push(Row {
            at: RowRef::row(index + 1),
            fields,
        });
    }
    Ok(rows)
}

fn row_to_map(row: &ParquetRow) -> Map<String, Value> {
    row.get_column_iter()
        .map(|(name, field)| (name.clone(), field_to_json(field)))
        .collect()
}

fn float(value: f64) -> Value {
    Number::from_f64(value).map_or(Value::Null, Value::Number)
}

fn field_to_json(field: &Field) -> Value {
    match field {
        Field::Null => Value::Null,
        Field::Bool(b) => Value::Bool(*b),
        Field::Byte(n) => Value::from(*n),
        Field::Short(n) => Value::from(*n),
        Field::Int(n) => Value::from(*n),
        Field::Long(n) => Value::from(*n),
        Field::UByte(n) => Value::from(*n),
        Field::UShort(n) => Value::from(*n),
        Field::UInt(n) => Value::from(*n),
        Field::ULong(n) => Value::from(*n),
        Field::Float16(n) => float(f64::from(*n)),
        Field::Float(n) => float(f64::from(*n)),
        Field::Double(n) => float(*n),
        Field::Str(s) => Value::String(s.clone()),
        // Binary columns without a UTF-8 annotation often hold text all the same.
        Field::Bytes(b) => match std::str::from_utf8(b.data()) {
            Ok(text) => Value::String(text.to_owned()),
            Err(_) => Value::Array(b.data().iter().map(|x| Value::from(*x)).collect()),
        },
        Field::Group(row) => Value::Object(row_to_map(row)),
        Field::ListInternal(list) => {
            Value::Array(list.elements().iter().map(field_to_json).collect())
        }
        Field::MapInternal(map) => Value::Object(
            map.entries()
                .iter()
                .map(|(k, v)| {
                    let key = match field_to_json(k) {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (key, field_to_json(v))
                })
                .collect(),
        ),
        // Decimals, dates and times: their display text (never dataset text columns).
        other => Value::String(other.to_string()),
    }
}
