//! Every reader format, including empty and damaged files.

mod common;

use std::fs;
use std::sync::Arc;

use common::{row, write};
use loris_tabular::{TabularError, count_rows, read_rows, write_parquet};
use parquet::data_type::{
    ByteArrayType, DoubleType, FixedLenByteArrayType, FloatType, Int32Type, Int64Type,
};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use serde_json::json;

#[test]
fn csv_keeps_values_as_strings_in_header_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "seed.csv",
        "\u{feff}zip,name,score\n02134,\"Bo, Jr\",7\n99999,Zoë,\n",
    );
    let rows = read_rows(&path).unwrap();
    assert_eq!(
        rows,
        vec![
            row(json!({"zip": "02134", "name": "Bo, Jr", "score": "7"})),
            row(json!({"zip": "99999", "name": "Zoë", "score": ""})),
        ]
    );
    let keys: Vec<&String> = rows[0].keys().collect();
    assert_eq!(keys, ["zip", "name", "score"]);
    assert_eq!(count_rows(&path).unwrap(), 2);
}

#[test]
fn csv_ragged_row_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "ragged.csv", "a,b\n1,2\n3\n4,5\n");
    let err = read_rows(&path).unwrap_err();
    assert_eq!(err.code(), "tabular_bad_csv");
    match &err {
        TabularError::BadCsv { line, .. } => assert_eq!(*line, 3),
        other => panic!("unexpected {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("ragged.csv") && text.contains("line 3"),
        "{text}"
    );
    assert_eq!(count_rows(&path).unwrap_err().code(), "tabular_bad_csv");
}

#[test]
fn csv_duplicate_header_and_bad_utf8_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let dup = write(dir.path(), "dup.csv", "a,b,a\n1,2,3\n");
    let err = read_rows(&dup).unwrap_err();
    assert_eq!(err.code(), "tabular_bad_csv");
    assert!(err.to_string().contains("`a`"), "{err}");

    let latin1 = write(dir.path(), "latin1.csv", b"a,b\n1,caf\xe9\n".as_slice());
    let err = read_rows(&latin1).unwrap_err();
    assert_eq!(err.code(), "tabular_bad_csv");
    assert!(err.to_string().contains("line 2"), "{err}");
}

#[test]
fn json_accepts_an_array_or_a_data_or_rows_wrapper() {
    let dir = tempfile::tempdir().unwrap();
    let want = vec![
        row(json!({"q": "a", "n": 1})),
        row(json!({"q": "b", "n": 2})),
    ];
    for (name, body) in [
        (
            "plain.json",
            json!([{"q": "a", "n": 1}, {"q": "b", "n": 2}]),
        ),
        (
            "data.json",
            json!({"data": [{"q": "a", "n": 1}, {"q": "b", "n": 2}]}),
        ),
        (
            "rows.json",
            json!({"meta": 1, "rows": [{"q": "a", "n": 1}, {"q": "b", "n": 2}]}),
        ),
    ] {
        let path = write(dir.path(), name, serde_json::to_vec_pretty(&body).unwrap());
        assert_eq!(read_rows(&path).unwrap(), want, "{name}");
        assert_eq!(count_rows(&path).unwrap(), 2, "{name}");
    }
}

#[test]
fn json_damage_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let syntax = write(
        dir.path(),
        "syntax.json",
        "[\n  {\"a\": 1},\n  {\"a\": }\n]",
    );
    match read_rows(&syntax).unwrap_err() {
        TabularError::BadJson { line, .. } => assert_eq!(line, 3),
        other => panic!("unexpected {other:?}"),
    }

    let not_object = write(dir.path(), "items.json", "[{\"a\": 1}, 5]");
    let err = read_rows(&not_object).unwrap_err();
    assert_eq!(err.code(), "tabular_bad_row");
    assert!(err.to_string().contains("row 2"), "{err}");

    for (name, body) in [("scalar.json", "42"), ("object.json", "{\"a\": 1}")] {
        let path = write(dir.path(), name, body);
        assert_eq!(
            read_rows(&path).unwrap_err().code(),
            "tabular_bad_structure",
            "{name}"
        );
    }
}

#[test]
fn jsonl_bad_line_is_named_by_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "batch.jsonl",
        "{\"a\":1}\n\n{\"a\":2,}\n{\"a\":3}\n",
    );
    let err = read_rows(&path).unwrap_err();
    assert_eq!(err.code(), "tabular_bad_json");
    match &err {
        TabularError::BadJson { line, .. } => assert_eq!(*line, 3),
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("batch.jsonl"), "{err}");
    // Counting does not parse, so it still answers.
    assert_eq!(count_rows(&path).unwrap(), 3);

    let scalar = write(dir.path(), "scalar.ndjson", "{\"a\":1}\n\"text\"\n");
    let err = read_rows(&scalar).unwrap_err();
    assert_eq!(err.code(), "tabular_bad_row");
    assert!(err.to_string().contains("line 2"), "{err}");
}

#[test]
fn empty_text_files_have_no_rows_and_empty_parquet_is_damaged() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["e.csv", "e.json", "e.jsonl"] {
        let path = write(dir.path(), name, "");
        assert!(read_rows(&path).unwrap().is_empty(), "{name}");
        assert_eq!(count_rows(&path).unwrap(), 0, "{name}");
    }
    let header_only = write(dir.path(), "h.csv", "a,b\n");
    assert!(read_rows(&header_only).unwrap().is_empty());
    let blank = write(dir.path(), "blank.jsonl", "\n  \n\n");
    assert!(read_rows(&blank).unwrap().is_empty());

    let parquet = write(dir.path(), "e.parquet", "");
    assert_eq!(
        read_rows(&parquet).unwrap_err().code(),
        "tabular_bad_parquet"
    );
    assert_eq!(
        count_rows(&parquet).unwrap_err().code(),
        "tabular_bad_parquet"
    );
}

#[test]
fn unknown_extensions_and_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let txt = write(dir.path(), "notes.txt", "hello");
    assert_eq!(
        read_rows(&txt).unwrap_err().code(),
        "tabular_unsupported_format"
    );
    let missing = dir.path().join("missing.jsonl");
    let err = read_rows(&missing).unwrap_err();
    assert_eq!(err.code(), "tabular_io");
    assert!(err.to_string().contains("missing.jsonl"), "{err}");
}

fn sample_parquet(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("sample.parquet");
    let rows: Vec<_> = (0..50)
        .map(|i| row(json!({"id": i, "text": format!("row {i} ✓"), "meta": {"i": i}})))
        .collect();
    let columns = ["id", "text", "meta"].map(String::from);
    write_parquet(&path, &columns, &rows).unwrap();
    path
}

#[test]
fn truncated_parquet_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_parquet(dir.path());
    let bytes = fs::read(&path).unwrap();
    for cut in [4, bytes.len() / 2, bytes.len() - 1] {
        let damaged = write(dir.path(), "cut.parquet", &bytes[..cut]);
        let err = read_rows(&damaged).unwrap_err();
        assert_eq!(err.code(), "tabular_bad_parquet", "cut at {cut}");
        assert!(err.to_string().contains("cut.parquet"), "{err}");
    }
    let garbage = write(
        dir.path(),
        "garbage.parquet",
        b"PAR1 not really parquet PAR1",
    );
    assert_eq!(
        read_rows(&garbage).unwrap_err().code(),
        "tabular_bad_parquet"
    );
}

#[test]
fn corrupted_parquet_bytes_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = sample_parquet(dir.path());
    let bytes = fs::read(&path).unwrap();
    let step = (bytes.len() / 40).max(1);
    for at in (4..bytes.len().saturating_sub(8)).step_by(step) {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x5A;
        let file = write(dir.path(), "flip.parquet", &damaged);
        // Either the damage is harmless or it is reported; reaching the next line is the test.
        if let Err(err) = read_rows(&file) {
            assert!(
                matches!(err.code(), "tabular_bad_parquet" | "tabular_bad_row"),
                "byte {at}: {err}"
            );
        }
    }
}

/// A file as other writers make it: dates, timestamps of every unit, small ints, floats,
/// decimals, raw bytes, a list and a struct.
#[test]
fn parquet_types_from_other_writers_map_to_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typed.parquet");
    let schema = parse_message_type(
        "message schema {
            optional int32 day (DATE);
            optional int64 ts_ms (TIMESTAMP(MILLIS,true));
            optional int64 ts_ns (TIMESTAMP(NANOS,true));
            optional int64 ts_local (TIMESTAMP(MICROS,false));
            optional float f;
            optional int32 small (INTEGER(8,true));
            optional int32 price (DECIMAL(9,2));
            optional binary raw;
            optional group tags (LIST) {
                repeated group list { optional binary element (STRING); }
            }
            optional group point { optional int32 x; optional double y; }
        }",
    )
    .unwrap();
    let file = fs::File::create(&path).unwrap();
    let props = Arc::new(WriterProperties::builder().build());
    let mut writer = SerializedFileWriter::new(file, Arc::new(schema), props).unwrap();
    let mut group = writer.next_row_group().unwrap();
    let mut index = 0;
    while let Some(mut col) = group.next_column().unwrap() {
        let present = [1i16, 0];
        let written = match index {
            0 => col
                .typed::<Int32Type>()
                .write_batch(&[19_723], Some(&present), None),
            1 => col
                .typed::<Int64Type>()
                .write_batch(&[1_704_164_645_123], Some(&present), None),
            2 => col.typed::<Int64Type>().write_batch(
                &[1_704_164_645_000_000_001],
                Some(&present),
                None,
            ),
            3 => {
                col.typed::<Int64Type>()
                    .write_batch(&[1_704_164_645_000_000], Some(&present), None)
            }
            4 => col
                .typed::<FloatType>()
                .write_batch(&[1.5], Some(&present), None),
            5 => col
                .typed::<Int32Type>()
                .write_batch(&[-7], Some(&present), None),
            6 => col
                .typed::<Int32Type>()
                .write_batch(&[-12_345], Some(&present), None),
            7 => col.typed::<ByteArrayType>().write_batch(
                &[vec![0xffu8, 0xfe].into()],
                Some(&present),
                None,
            ),
            8 => col.typed::<ByteArrayType>().write_batch(
                &["a".into(), "b".into()],
                Some(&[3, 3, 0]),
                Some(&[0, 1, 0]),
            ),
            9 => col
                .typed::<Int32Type>()
                .write_batch(&[1], Some(&[2, 0]), None),
            10 => col
                .typed::<DoubleType>()
                .write_batch(&[2.5], Some(&[2, 0]), None),
            _ => unreachable!(),
        };
        written.unwrap();
        col.close().unwrap();
        index += 1;
    }
    group.close().unwrap();
    writer.close().unwrap();

    let rows = read_rows(&path).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0],
        row(json!({
            "day": "2024-01-01",
            "ts_ms": "2024-01-02T03:04:05.123Z",
            "ts_ns": "2024-01-02T03:04:05.000000001Z",
            "ts_local": "2024-01-02T03:04:05",
            "f": 1.5,
            "small": -7,
            "price": "-123.45",
            "raw": "//4=",
            "tags": ["a", "b"],
            "point": {"x": 1, "y": 2.5},
        }))
    );
    assert!(rows[1].values().all(|v| v.is_null()), "{:?}", rows[1]);
    assert_eq!(count_rows(&path).unwrap(), 2);
}

/// The record API panics on annotations it does not implement (INTERVAL here); the reader
/// reports that as a damaged file instead.
#[test]
fn parquet_types_the_record_api_cannot_decode_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("interval.parquet");
    let schema =
        parse_message_type("message schema { optional fixed_len_byte_array(12) iv (INTERVAL); }")
            .unwrap();
    let file = fs::File::create(&path).unwrap();
    let props = Arc::new(WriterProperties::builder().build());
    let mut writer = SerializedFileWriter::new(file, Arc::new(schema), props).unwrap();
    let mut group = writer.next_row_group().unwrap();
    let mut col = group.next_column().unwrap().unwrap();
    col.typed::<FixedLenByteArrayType>()
        .write_batch(&[vec![0u8; 12].into()], Some(&[1]), None)
        .unwrap();
    col.close().unwrap();
    group.close().unwrap();
    writer.close().unwrap();

    assert_eq!(count_rows(&path).unwrap(), 1);
    let err = read_rows(&path).unwrap_err();
    assert_eq!(err.code(), "tabular_bad_parquet");
    assert!(err.to_string().contains("interval.parquet"), "{err}");
}
