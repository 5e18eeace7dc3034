//! Parquet output through the low-level column writers.
//!
//! Every column is OPTIONAL and flat (JSON nesting goes into JSON-text columns, see
//! [`super::schema`]), so a column chunk is just definition levels plus the non-null values.
//! Only standard physical and logical types are used, so pyarrow, pandas and DuckDB read the
//! files as ordinary tables.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use parquet::basic::{Compression, LogicalType, Repetition, Type as PhysicalType, ZstdLevel};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use serde_json::Value;

use super::atomic::write_atomic;
use super::schema::{ColumnKind, infer_kind};
use crate::Row;
use crate::error::{Result, TabularError};
use crate::read::parquet::JSON_COLUMNS_KEY;

/// Rows per row group: small enough that paging decodes little beyond the page it needs,
/// large enough that compression and dictionaries pay off.
const ROW_GROUP_ROWS: usize = 4096;

/// Writes `rows` as Parquet with one OPTIONAL column per name in `columns`, in that order.
/// Keys of a row that are not in `columns` are not written; missing keys are null.
pub fn write_parquet(path: &Path, columns: &[String], rows: &[Row]) -> Result<()> {
    let mut names = HashSet::new();
    if let Some(dup) = columns.iter().find(|name| !names.insert(name.as_str())) {
        return Err(TabularError::BadSchema {
            path: path.to_owned(),
            reason: format!("column `{dup}` is listed twice"),
        });
    }
    let kinds: Vec<ColumnKind> = columns.iter().map(|c| infer_kind(c, rows)).collect();
    let fail = |reason: String| TabularError::Write {
        path: path.to_owned(),
        reason,
    };
    let schema = Arc::new(build_schema(columns, &kinds).map_err(|e| fail(e.to_string()))?);
    let properties = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .build(),
    );
    let json_columns: Vec<&str> = columns
        .iter()
        .zip(&kinds)
        .filter(|(_, kind)| **kind == ColumnKind::Json)
        .map(|(name, _)| name.as_str())
        .collect();

    write_atomic(path, |out| {
        let mut writer =
            SerializedFileWriter::new(out, schema, properties).map_err(|e| fail(e.to_string()))?;
        if !json_columns.is_empty() {
            let list = serde_json::to_string(&json_columns).unwrap_or_default();
            writer.append_key_value_metadata(KeyValue::new(JSON_COLUMNS_KEY.to_owned(), list));
        }
        for group in rows.chunks(ROW_GROUP_ROWS) {
            let mut group_writer = writer.next_row_group().map_err(|e| fail(e.to_string()))?;
            for (name, kind) in columns.iter().zip(&kinds) {
                let mut column = group_writer
                    .next_column()
                    .map_err(|e| fail(e.to_string()))?
                    .ok_or_else(|| fail(format!("column `{name}`: schema has fewer columns")))?;
                write_column(column.untyped(), name, *kind, group)
                    .map_err(|e| fail(format!("column `{name}`: {e}")))?;
                column.close().map_err(|e| fail(e.to_string()))?;
            }
            group_writer.close().map_err(|e| fail(e.to_string()))?;
        }
        writer.close().map_err(|e| fail(e.to_string()))?;
        Ok(())
    })
}

fn build_schema(columns: &[String], kinds: &[ColumnKind]) -> parquet::errors::Result<Type> {
    let fields = columns
        .iter()
        .zip(kinds)
        .map(|(name, kind)| {
            let (physical, logical) = match kind {
                ColumnKind::Boolean => (PhysicalType::BOOLEAN, None),
                ColumnKind::Int64 => (PhysicalType::INT64, None),
                ColumnKind::Double => (PhysicalType::DOUBLE, None),
                ColumnKind::Utf8 | ColumnKind::Json => {
                    (PhysicalType::BYTE_ARRAY, Some(LogicalType::String))
                }
            };
            Type::primitive_type_builder(name, physical)
                .with_repetition(Repetition::OPTIONAL)
                .with_logical_type(logical)
                .build()
                .map(Arc::new)
        })
        .collect::<parquet::errors::Result<Vec<_>>>()?;
    Type::group_type_builder("schema")
        .with_fields(fields)
        .build()
}

/// Definition levels (1 = value present) and the present values of one column.
fn levels_and_values<'r, T>(
    rows: &'r [Row],
    name: &str,
    convert: impl Fn(&'r Value) -> Option<T>,
) -> (Vec<i16>, Vec<T>) {
    let mut levels = Vec::with_capacity(rows.len());
    let mut values = Vec::new();
    for row in rows {
        match row.get(name).and_then(&convert) {
            Some(value) => {
                levels.push(1);
                values.push(value);
            }
            None => levels.push(0),
        }
    }
    (levels, values)
}

fn write_column(
    writer: &mut ColumnWriter<'_>,
    name: &str,
    kind: ColumnKind,
    rows: &[Row],
) -> parquet::errors::Result<()> {
    match (writer, kind) {
        (ColumnWriter::BoolColumnWriter(w), ColumnKind::Boolean) => {
            let (levels, values) = levels_and_values(rows, name, Value::as_bool);
            w.write_batch(&values, Some(&levels), None)?;
        }
        (ColumnWriter::Int64ColumnWriter(w), ColumnKind::Int64) => {
            let (levels, values) = levels_and_values(rows, name, Value::as_i64);
            w.write_batch(&values, Some(&levels), None)?;
        }
        (ColumnWriter::DoubleColumnWriter(w), ColumnKind::Double) => {
            let (levels, values) = levels_and_values(rows, name, Value::as_f64);
            w.write_batch(&values, Some(&levels), None)?;
        }
        (ColumnWriter::ByteArrayColumnWriter(w), ColumnKind::Utf8) => {
            let (levels, values) = levels_and_values(rows, name, |v| {
                v.as_str().map(|s| ByteArray::from(s.as_bytes().to_vec()))
            });
            w.write_batch(&values, Some(&levels), None)?;
        }
        (ColumnWriter::ByteArrayColumnWriter(w), ColumnKind::Json) => {
            let (levels, values) = levels_and_values(rows, name, |v| match v {
                Value::Null => None,
                other => Some(ByteArray::from(other.to_string().into_bytes())),
            });
            w.write_batch(&values, Some(&levels), None)?;
        }
        _ => {
            return Err(parquet::errors::ParquetError::General(
                "column writer does not match the inferred type".to_owned(),
            ));
        }
    }
    Ok(())
}
