//! Parquet rows through the record API (no Arrow).
//!
//! Row counts come from the footer, so paging skips whole row groups without decoding them.
//! Columns listed under [`JSON_COLUMNS_KEY`] hold JSON text written by this crate and are
//! parsed back into values. The record API panics on some type annotations it does not know
//! and on some damaged pages; every entry point runs under [`guard`] so such a file yields a
//! typed error instead.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::Path;

use parquet::basic::LogicalType;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Row as ParquetRow;
use serde_json::Value;

use super::parquet_value::{Temporal, column_to_json};
use crate::Row;
use crate::error::{Location, Result, TabularError};
use crate::guard::catch_panic;

/// Key-value metadata entry naming the columns that hold JSON text (a JSON array of names).
pub const JSON_COLUMNS_KEY: &str = "loris.json_columns";

/// An open Parquet file with what its footer says about decoding its columns.
pub(crate) struct ParquetSource<'p> {
    path: &'p Path,
    reader: SerializedFileReader<File>,
    json_columns: HashSet<String>,
    temporal: HashMap<String, Temporal>,
}

impl<'p> ParquetSource<'p> {
    pub(crate) fn open(path: &'p Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| TabularError::io(path, e))?;
        let reader = guard(path, || {
            SerializedFileReader::new(file)
                .map_err(|e| TabularError::bad_parquet(path, e.to_string()))
        })?;
        let meta = reader.metadata().file_metadata();
        let json_columns = match meta
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|entry| entry.key == JSON_COLUMNS_KEY))
            .and_then(|entry| entry.value.as_deref())
        {
            Some(text) => serde_json::from_str::<Vec<String>>(text)
                .map_err(|e| {
                    TabularError::bad_parquet(path, format!("metadata `{JSON_COLUMNS_KEY}`: {e}"))
                })?
                .into_iter()
                .collect(),
            None => HashSet::new(),
        };
        let temporal = meta
            .schema_descr()
            .root_schema()
            .get_fields()
            .iter()
            .filter(|field| field.is_primitive())
            .filter_map(|field| {
                let info = field.get_basic_info();
                let temporal = match info.logical_type_ref()? {
                    LogicalType::Timestamp(t) => Temporal::Timestamp {
                        unit: t.unit,
                        utc: t.is_adjusted_to_u_t_c,
                    },
                    LogicalType::Time(t) => Temporal::Time { unit: t.unit },
                    _ => return None,
                };
                Some((info.name().to_owned(), temporal))
            })
            .collect();
        Ok(ParquetSource {
            path,
            reader,
            json_columns,
            temporal,
        })
    }

    /// Total rows, from the footer alone.
    pub(crate) fn total_rows(&self) -> u64 {
        self.reader
            .metadata()
            .row_groups()
            .iter()
            .map(|rg| u64::try_from(rg.num_rows()).unwrap_or(0))
            .sum()
    }

    /// Up to `limit` rows starting at row `offset` (0-based), skipping row groups that end
    /// before `offset` without reading their pages.
    pub(crate) fn read_range(&self, offset: u64, limit: usize) -> Result<Vec<Row>> {
        guard(self.path, || self.read_range_unguarded(offset, limit))
    }

    fn read_range_unguarded(&self, offset: u64, limit: usize) -> Result<Vec<Row>> {
        let mut rows = Vec::new();
        let mut group_start: u64 = 0;
        for (index, group) in self.reader.metadata().row_groups().iter().enumerate() {
            if rows.len() >= limit {
                break;
            }
            let group_rows = u64::try_from(group.num_rows()).unwrap_or(0);
            let group_end = group_start.saturating_add(group_rows);
            if group_end <= offset {
                group_start = group_end;
                continue;
            }
            let skip = usize::try_from(offset.saturating_sub(group_start)).unwrap_or(usize::MAX);
            let group_reader = self
                .reader
                .get_row_group(index)
                .map_err(|e| self.bad(format!("row group {index}: {e}")))?;
            let iter = group_reader
                .get_row_iter(None)
                .map_err(|e| self.bad(format!("row group {index}: {e}")))?;
            for (i, row) in iter.enumerate().skip(skip) {
                if rows.len() >= limit {
                    break;
                }
                let number = group_start + i as u64 + 1;
                let row = row.map_err(|e| self.bad(format!("row {number}: {e}")))?;
                rows.push(self.convert(&row, number)?);
            }
            group_start = group_end;
        }
        Ok(rows)
    }

    fn convert(&self, row: &ParquetRow, number: u64) -> Result<Row> {
        let mut out = Row::new();
        for (name, field) in row.get_column_iter() {
            let value = column_to_json(field, self.temporal.get(name).copied());
            let value = match value {
                Value::String(text) if self.json_columns.contains(name) => {
                    serde_json::from_str(&text).map_err(|e| {
                        TabularError::bad_row(
                            self.path,
                            Location::row(number).with_field(name.as_str()),
                            format!("JSON column holds invalid JSON: {e}"),
                        )
                    })?
                }
                other => other,
            };
            out.insert(name.clone(), value);
        }
        Ok(out)
    }

    fn bad(&self, reason: String) -> TabularError {
        TabularError::bad_parquet(self.path, reason)
    }
}

pub(crate) fn read_all(path: &Path) -> Result<Vec<Row>> {
    ParquetSource::open(path)?.read_range(0, usize::MAX)
}

/// Runs `f`, turning a panic inside the Parquet decoder into `tabular_bad_parquet`.
fn guard<T>(path: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_panic(f).unwrap_or_else(|panic| Err(TabularError::bad_parquet(path, panic)))
}
