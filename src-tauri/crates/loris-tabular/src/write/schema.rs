//! The Parquet type of each output column, inferred from every value the rows hold for it.
//!
//! Only a column whose values agree on one JSON kind gets a native type; anything else is kept
//! as JSON text so no value is ever coerced or lost (a column of `1` and `"1"` must not become
//! all strings or all numbers).

use serde_json::Value;

use crate::Row;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnKind {
    /// BOOLEAN.
    Boolean,
    /// INT64: every number fits `i64`.
    Int64,
    /// DOUBLE: numbers, some of them fractional.
    Double,
    /// BYTE_ARRAY with the String logical type; also used for all-null columns.
    Utf8,
    /// BYTE_ARRAY String holding JSON text, listed in the file's metadata.
    Json,
}

#[derive(Default)]
struct Seen {
    bools: bool,
    ints: bool,
    floats: bool,
    strings: bool,
    other: bool,
}

pub(crate) fn infer_kind(column: &str, rows: &[Row]) -> ColumnKind {
    let mut seen = Seen::default();
    for value in rows.iter().filter_map(|row| row.get(column)) {
        match value {
            Value::Null => {}
            Value::Bool(_) => seen.bools = true,
            Value::Number(n) if n.is_i64() => seen.ints = true,
            Value::Number(n) if n.is_f64() => seen.floats = true,
            // Integers above i64::MAX fit neither INT64 nor DOUBLE exactly; JSON text keeps them.
            Value::Number(_) => seen.other = true,
            Value::String(_) => seen.strings = true,
            Value::Array(_) | Value::Object(_) => seen.other = true,
        }
    }
    let numbers = seen.ints || seen.floats;
    let kinds = usize::from(seen.bools) + usize::from(numbers) + usize::from(seen.strings);
    if seen.other || kinds > 1 {
        ColumnKind::Json
    } else if seen.bools {
        ColumnKind::Boolean
    } else if seen.floats {
        ColumnKind::Double
    } else if seen.ints {
        ColumnKind::Int64
    } else {
        ColumnKind::Utf8
    }
}

/// Column names in order of first appearance across `rows`.
pub(crate) fn column_union<'a>(rows: impl IntoIterator<Item = &'a Row>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut columns = Vec::new();
    for row in rows {
        for key in row.keys() {
            if seen.insert(key.as_str()) {
                columns.push(key.clone());
            }
        }
    }
    columns
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows(values: &[Value]) -> Vec<Row> {
        values
            .iter()
            .map(|v| {
                let mut row = Row::new();
                row.insert("c".into(), v.clone());
                row
            })
            .collect()
    }

    #[test]
    fn kinds_follow_the_values() {
        let cases = [
            (
                vec![json!(true), json!(null), json!(false)],
                ColumnKind::Boolean,
            ),
            (vec![json!(1), json!(-7)], ColumnKind::Int64),
            (vec![json!(1), json!(2.5)], ColumnKind::Double),
            (vec![json!("a"), json!(null)], ColumnKind::Utf8),
            (vec![json!(null), json!(null)], ColumnKind::Utf8),
            (vec![], ColumnKind::Utf8),
            (vec![json!({"k": 1})], ColumnKind::Json),
            (vec![json!([1, 2])], ColumnKind::Json),
            (vec![json!(1), json!("1")], ColumnKind::Json),
            (vec![json!(true), json!(1)], ColumnKind::Json),
            (vec![json!(u64::MAX)], ColumnKind::Json),
        ];
        for (values, want) in cases {
            assert_eq!(infer_kind("c", &rows(&values)), want, "{values:?}");
        }
    }

    #[test]
    fn missing_keys_count_as_null() {
        let mut a = Row::new();
        a.insert("x".into(), json!(1));
        let b = Row::new();
        assert_eq!(infer_kind("x", &[a, b]), ColumnKind::Int64);
    }

    #[test]
    fn union_keeps_first_appearance_order() {
        let a: Row = serde_json::from_value(json!({"b": 1, "a": 2})).unwrap();
        let b: Row = serde_json::from_value(json!({"c": 1, "a": 2})).unwrap();
        assert_eq!(column_union([&a, &b]), vec!["b", "a", "c"]);
    }
}
