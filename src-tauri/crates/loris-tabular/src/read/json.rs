//! A whole-file JSON document: an array of row objects, or an object wrapping that array under
//! `data` or `rows` (the shape many dataset exports use).

use std::path::Path;

use serde_json::Value;

use super::{read_text, value_kind};
use crate::Row;
use crate::error::{Location, Result, TabularError};

pub(crate) fn read_all(path: &Path) -> Result<Vec<Row>> {
    let text = read_text(path)?;
    // An empty file is a dataset with no rows yet, not a syntax error.
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let value: Value = serde_json::from_str(&text).map_err(|e| TabularError::BadJson {
        path: path.to_owned(),
        line: e.line() as u64,
        column: e.column() as u64,
        reason: e.to_string(),
    })?;
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut map) => {
            match ["data", "rows"]
                .iter()
                .find_map(|key| match map.remove(*key) {
                    Some(Value::Array(items)) => Some(items),
                    _ => None,
                }) {
                Some(items) => items,
                None => {
                    return Err(structure(
                        path,
                        "an object without a `data` or `rows` array",
                    ));
                }
            }
        }
        other => return Err(structure(path, value_kind(&other))),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(map) => Ok(map),
            other => Err(TabularError::bad_row(
                path,
                Location::row(i as u64 + 1),
                format!("expected a JSON object, found {}", value_kind(&other)),
            )),
        })
        .collect()
}

fn structure(path: &Path, found: &str) -> TabularError {
    TabularError::BadStructure {
        path: path.to_owned(),
        reason: format!(
            "expected an array of row objects (or {{\"data\": [...]}} / {{\"rows\": [...]}}), found {found}"
        ),
    }
}
