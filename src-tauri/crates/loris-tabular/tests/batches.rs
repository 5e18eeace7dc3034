//! Writing generated batches, merging them, and paging through the result.

mod common;

use std::fs;
use std::path::PathBuf;

use common::{entries, row, write};
use loris_tabular::{
    JSON_COLUMNS_KEY, MAX_PAGE_ROWS, Row, count_rows, merge_files, read_page, read_rows,
    write_jsonl, write_parquet,
};
use parquet::basic::{Compression, LogicalType, Type as PhysicalType};
use parquet::file::reader::{FileReader, SerializedFileReader};
use serde_json::{Value, json};

/// Every kind of value a generated row can hold, with nulls and missing keys.
fn mixed_rows() -> Vec<Row> {
    vec![
        row(json!({
            "text": "héllo ✓ 日本語 🦥", "n": 1, "x": 0.5, "flag": true,
            "meta": {"tags": ["a", "b"], "depth": {"k": null}}, "empty": null, "sparse": "s"
        })),
        row(json!({
            "text": null, "n": i64::MIN, "x": -1e-300, "flag": false,
            "meta": [1, "two", 3.5, null], "empty": null
        })),
        row(json!({
            "text": "", "n": i64::MAX, "x": 1.7976931348623157e308, "flag": null,
            "meta": "plain string", "empty": null, "sparse": null
        })),
    ]
}

fn columns() -> Vec<String> {
    ["text", "n", "x", "flag", "meta", "empty", "sparse"]
        .map(String::from)
        .to_vec()
}

/// The rows as they read back: every column present, missing keys as null.
fn filled(rows: &[Row], columns: &[String]) -> Vec<Row> {
    rows.iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| (c.clone(), r.get(c).cloned().unwrap_or(Value::Null)))
                .collect()
        })
        .collect()
}

#[test]
fn parquet_round_trip_keeps_every_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("batch.parquet");
    let rows = mixed_rows();
    write_parquet(&path, &columns(), &rows).unwrap();
    let back = read_rows(&path).unwrap();
    assert_eq!(back, filled(&rows, &columns()));
    let keys: Vec<&String> = back[0].keys().collect();
    assert_eq!(keys, columns().iter().collect::<Vec<_>>());
    assert_eq!(entries(dir.path()), vec!["batch.parquet"]);
}

#[test]
fn parquet_schema_uses_standard_types_and_lists_json_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("batch.parquet");
    write_parquet(&path, &columns(), &mixed_rows()).unwrap();
    let reader = SerializedFileReader::new(fs::File::open(&path).unwrap()).unwrap();
    let meta = reader.metadata().file_metadata();
    let types: Vec<(String, PhysicalType, Option<LogicalType>)> = meta
        .schema_descr()
        .columns()
        .iter()
        .map(|c| {
            (
                c.name().to_owned(),
                c.physical_type(),
                c.logical_type_ref().cloned(),
            )
        })
        .collect();
    let utf8 = Some(LogicalType::String);
    assert_eq!(
        types,
        vec![
            ("text".into(), PhysicalType::BYTE_ARRAY, utf8.clone()),
            ("n".into(), PhysicalType::INT64, None),
            ("x".into(), PhysicalType::DOUBLE, None),
            ("flag".into(), PhysicalType::BOOLEAN, None),
            ("meta".into(), PhysicalType::BYTE_ARRAY, utf8.clone()),
            ("empty".into(), PhysicalType::BYTE_ARRAY, utf8.clone()),
            ("sparse".into(), PhysicalType::BYTE_ARRAY, utf8),
        ]
    );
    let json_columns = meta
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|e| e.key == JSON_COLUMNS_KEY))
        .and_then(|e| e.value.clone())
        .unwrap();
    assert_eq!(json_columns, r#"["meta"]"#);
    let group = reader.metadata().row_group(0);
    assert!(
        group
            .columns()
            .iter()
            .all(|c| matches!(c.compression(), Compression::ZSTD(_)))
    );
}

#[test]
fn ints_and_floats_share_a_double_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("n.parquet");
    let rows = vec![row(json!({"v": 1})), row(json!({"v": 2.5}))];
    write_parquet(&path, &["v".to_owned()], &rows).unwrap();
    assert_eq!(
        read_rows(&path).unwrap(),
        vec![row(json!({"v": 1.0})), row(json!({"v": 2.5}))]
    );
}

#[test]
fn parquet_with_no_rows_and_bad_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.parquet");
    write_parquet(&path, &["a".to_owned()], &[]).unwrap();
    assert!(read_rows(&path).unwrap().is_empty());
    assert_eq!(count_rows(&path).unwrap(), 0);
    let page = read_page(&path, 0, 10).unwrap();
    assert_eq!((page.rows.len(), page.total), (0, 0));

    let dup = dir.path().join("dup.parquet");
    let err = write_parquet(&dup, &["a".to_owned(), "a".to_owned()], &[]).unwrap_err();
    assert_eq!(err.code(), "tabular_bad_schema");
    assert!(!dup.exists());
}

#[test]
fn jsonl_round_trip_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("batch.jsonl");
    let rows = mixed_rows();
    write_jsonl(&path, &rows).unwrap();
    assert_eq!(read_rows(&path).unwrap(), rows);
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 3);
    assert!(text.ends_with('\n'));
    assert_eq!(entries(dir.path()), vec!["batch.jsonl"]);
}

#[test]
fn atomic_writes_replace_and_leave_no_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("out.jsonl");
    let parquet = dir.path().join("out.parquet");
    for round in 0..3 {
        let rows: Vec<Row> = (0..=round).map(|i| row(json!({"i": i}))).collect();
        write_jsonl(&jsonl, &rows).unwrap();
        write_parquet(&parquet, &["i".to_owned()], &rows).unwrap();
        assert_eq!(count_rows(&jsonl).unwrap(), round + 1);
        assert_eq!(count_rows(&parquet).unwrap(), round + 1);
    }
    assert_eq!(entries(dir.path()), vec!["out.jsonl", "out.parquet"]);

    // A failing merge (missing input) leaves the old output and no temporary file.
    let missing = dir.path().join("missing.jsonl");
    let err = merge_files(&[jsonl.clone(), missing], &jsonl).unwrap_err();
    assert_eq!(err.code(), "tabular_io");
    assert_eq!(count_rows(&jsonl).unwrap(), 3);
    assert_eq!(entries(dir.path()), vec!["out.jsonl", "out.parquet"]);
}

fn three_batches(dir: &std::path::Path, ext: &str) -> Vec<PathBuf> {
    (0..3)
        .map(|b| {
            let path = dir.join(format!("batch-{b}.{ext}"));
            let rows: Vec<Row> = (0..4)
                .map(|i| {
                    // Batch 1 has a float score and batch 2 an extra column, so the merged
                    // schema differs from every single batch.
                    let mut r = row(json!({"batch": b, "i": i, "text": format!("b{b} r{i}")}));
                    r.insert("score".into(), if b == 1 { json!(0.5) } else { json!(i) });
                    if b == 2 {
                        r.insert("extra".into(), json!({"k": i}));
                    }
                    r
                })
                .collect();
            if ext == "parquet" {
                let columns: Vec<String> = rows[0].keys().cloned().collect();
                write_parquet(&path, &columns, &rows).unwrap();
            } else {
                write_jsonl(&path, &rows).unwrap();
            }
            path
        })
        .collect()
}

#[test]
fn merge_three_jsonl_batches() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = three_batches(dir.path(), "jsonl");
    let output = dir.path().join("merged.jsonl");
    assert_eq!(merge_files(&inputs, &output).unwrap(), 12);
    let rows = read_rows(&output).unwrap();
    assert_eq!(rows.len(), 12);
    assert_eq!(rows[4]["batch"], 1);
    assert_eq!(rows[4]["score"], 0.5);
    assert_eq!(rows[11]["extra"], json!({"k": 3}));
    assert!(!rows[0].contains_key("extra"));
}

#[test]
fn merge_three_parquet_batches_reinfers_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = three_batches(dir.path(), "parquet");
    let output = dir.path().join("merged.parquet");
    assert_eq!(merge_files(&inputs, &output).unwrap(), 12);
    let rows = read_rows(&output).unwrap();
    assert_eq!(rows.len(), 12);
    // Ints in batches 0 and 2 and floats in batch 1 merge into one DOUBLE column.
    assert_eq!(rows[1]["score"], json!(1.0));
    assert_eq!(rows[5]["score"], json!(0.5));
    // A column only batch 2 has is null before it, and keeps its JSON values.
    assert_eq!(rows[0]["extra"], Value::Null);
    assert_eq!(rows[10]["extra"], json!({"k": 2}));
    let keys: Vec<&String> = rows[0].keys().collect();
    assert_eq!(keys, ["batch", "i", "text", "score", "extra"]);

    // Other outputs take the same rows.
    let csv = dir.path().join("merged.csv");
    assert_eq!(merge_files(&inputs, &csv).unwrap(), 12);
    let csv_rows = read_rows(&csv).unwrap();
    assert_eq!(csv_rows[10]["extra"], json!("{\"k\":2}"));
    assert_eq!(csv_rows[0]["extra"], json!(""));
    let json_out = dir.path().join("merged.json");
    assert_eq!(merge_files(&inputs, &json_out).unwrap(), 12);
    // A JSON output keeps each input's rows as they read, without a shared schema.
    let concatenated: Vec<Row> = inputs.iter().flat_map(|p| read_rows(p).unwrap()).collect();
    assert_eq!(read_rows(&json_out).unwrap(), concatenated);
}

#[test]
fn merge_into_an_unknown_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = three_batches(dir.path(), "jsonl");
    let err = merge_files(&inputs, &dir.path().join("merged.xlsx")).unwrap_err();
    assert_eq!(err.code(), "tabular_unsupported_format");
}

fn numbered(n: usize) -> Vec<Row> {
    (0..n)
        .map(|i| row(json!({"i": i, "t": format!("row {i}")})))
        .collect()
}

fn ids(rows: &[Row]) -> Vec<u64> {
    rows.iter().map(|r| r["i"].as_u64().unwrap()).collect()
}

#[test]
fn jsonl_pages_stream_and_report_the_total() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.jsonl");
    write_jsonl(&path, &numbered(25)).unwrap();
    let page = read_page(&path, 10, 10).unwrap();
    assert_eq!((page.offset, page.total), (10, 25));
    assert_eq!(ids(&page.rows), (10..20).collect::<Vec<_>>());
    assert_eq!(
        ids(&read_page(&path, 20, 10).unwrap().rows),
        (20..25).collect::<Vec<_>>()
    );
    let past = read_page(&path, 100, 10).unwrap();
    assert!(past.rows.is_empty());
    assert_eq!((past.offset, past.total), (100, 25));
    let none = read_page(&path, 0, 0).unwrap();
    assert_eq!((none.rows.len(), none.total), (0, 25));

    // A damaged line outside the page does not stop the page; inside it does.
    let text = fs::read_to_string(&path).unwrap() + "{broken\n";
    let damaged = write(dir.path(), "d.jsonl", text);
    assert_eq!(read_page(&damaged, 0, 5).unwrap().total, 26);
    let err = read_page(&damaged, 24, 5).unwrap_err();
    assert_eq!(err.code(), "tabular_bad_json");
    assert!(err.to_string().contains("line 26"), "{err}");
}

#[test]
fn page_limit_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    write_jsonl(&path, &numbered(MAX_PAGE_ROWS + 200)).unwrap();
    let page = read_page(&path, 0, usize::MAX).unwrap();
    assert_eq!(page.rows.len(), MAX_PAGE_ROWS);
    assert_eq!(page.total, (MAX_PAGE_ROWS + 200) as u64);
}

#[test]
fn parquet_pages_cross_row_groups() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.parquet");
    // More than two row groups' worth, so pages skip whole groups and span a boundary.
    let n = 9000;
    write_parquet(&path, &["i".to_owned(), "t".to_owned()], &numbered(n)).unwrap();
    let reader = SerializedFileReader::new(fs::File::open(&path).unwrap()).unwrap();
    assert!(reader.num_row_groups() >= 3);
    let boundary = reader.metadata().row_group(0).num_rows() as u64;

    let page = read_page(&path, boundary - 3, 6).unwrap();
    assert_eq!(page.total, n as u64);
    assert_eq!(
        ids(&page.rows),
        (boundary - 3..boundary + 3).collect::<Vec<_>>()
    );
    let tail = read_page(&path, n as u64 - 2, 10).unwrap();
    assert_eq!(ids(&tail.rows), vec![n as u64 - 2, n as u64 - 1]);
    let past = read_page(&path, n as u64 + 5, 10).unwrap();
    assert!(past.rows.is_empty());
    assert_eq!(past.total, n as u64);
    assert_eq!(count_rows(&path).unwrap(), n as u64);
}

#[test]
fn csv_and_json_pages() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "p.csv", "i\n0\n1\n2\n3\n");
    let page = read_page(&csv, 1, 2).unwrap();
    assert_eq!(page.total, 4);
    assert_eq!(
        page.rows,
        vec![row(json!({"i": "1"})), row(json!({"i": "2"}))]
    );
    let json = write(dir.path(), "p.json", r#"[{"i":0},{"i":1}]"#);
    let page = read_page(&json, 5, 2).unwrap();
    assert_eq!((page.rows.len(), page.total), (0, 2));
}
