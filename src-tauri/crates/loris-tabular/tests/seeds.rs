//! Seed loading: sources, selections, orderings and unstructured documents.

mod common;

use std::path::Path;

use common::{minimal_pdf, row, write};
use loris_tabular::{
    CHUNK_TEXT_COLUMN, Row, SeedConfig, SeedTable, load_seed, read_document_text, write_jsonl,
};
use serde_json::{Value, json};

fn seed_file(dir: &Path, n: usize) {
    let rows: Vec<Row> = (0..n)
        .map(|i| row(json!({"id": i, "topic": format!("topic {i}")})))
        .collect();
    write_jsonl(&dir.join("data/seed.jsonl"), &rows).unwrap();
}

fn config(extra: Value) -> SeedConfig {
    let mut value = json!({"source": {"seed_type": "local", "path": "data/seed.jsonl"}});
    if let (Some(target), Value::Object(extra)) = (value.as_object_mut(), extra) {
        target.extend(extra);
    }
    SeedConfig::from_json(&value).unwrap()
}

fn ids(table: &SeedTable) -> Vec<u64> {
    (0..table.len())
        .map(|i| table.row(i)["id"].as_u64().unwrap())
        .collect()
}

#[test]
fn ordered_seed_takes_every_row_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    seed_file(dir.path(), 5);
    let table = load_seed(&config(json!({})), dir.path(), 7).unwrap();
    assert_eq!(table.columns, ["id", "topic"]);
    assert_eq!(ids(&table), vec![0, 1, 2, 3, 4]);
    // Rows cycle when generation asks for more than the seed has.
    assert_eq!(table.row(5)["id"], 0);
    assert_eq!(table.row(13)["id"], 3);
}

#[test]
fn index_range_is_inclusive_and_stops_at_the_last_row() {
    let dir = tempfile::tempdir().unwrap();
    seed_file(dir.path(), 10);
    let table = load_seed(
        &config(json!({"selection_strategy": {"start": 2, "end": 4}})),
        dir.path(),
        0,
    )
    .unwrap();
    assert_eq!(ids(&table), vec![2, 3, 4]);
    let table = load_seed(
        &config(json!({"selection_strategy": {"start": 7, "end": 99}})),
        dir.path(),
        0,
    )
    .unwrap();
    assert_eq!(ids(&table), vec![7, 8, 9]);
    let err = load_seed(
        &config(json!({"selection_strategy": {"start": 10, "end": 20}})),
        dir.path(),
        0,
    )
    .unwrap_err();
    assert_eq!(err.code(), "tabular_empty_seed");
    assert!(err.to_string().contains("seed.jsonl"), "{err}");
}

#[test]
fn partition_blocks_split_rows_between_workers() {
    let dir = tempfile::tempdir().unwrap();
    seed_file(dir.path(), 10);
    let mut all = Vec::new();
    for index in 0..4 {
        let cfg = config(json!({"selection_strategy": {"index": index, "num_partitions": 4}}));
        all.push(ids(&load_seed(&cfg, dir.path(), 0).unwrap()));
    }
    assert_eq!(
        all,
        vec![vec![0, 1], vec![2, 3, 4], vec![5, 6], vec![7, 8, 9]]
    );

    seed_file(dir.path(), 2);
    let cfg = config(json!({"selection_strategy": {"index": 0, "num_partitions": 3}}));
    assert_eq!(
        load_seed(&cfg, dir.path(), 0).unwrap_err().code(),
        "tabular_empty_seed"
    );
}

#[test]
fn shuffle_is_reproducible_and_applies_after_selection() {
    let dir = tempfile::tempdir().unwrap();
    seed_file(dir.path(), 60);
    let cfg = config(json!({
        "sampling_strategy": "shuffle",
        "selection_strategy": {"start": 10, "end": 49}
    }));
    let a = ids(&load_seed(&cfg, dir.path(), 1234).unwrap());
    let b = ids(&load_seed(&cfg, dir.path(), 1234).unwrap());
    let c = ids(&load_seed(&cfg, dir.path(), 1235).unwrap());
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_ne!(a, (10..50).collect::<Vec<_>>());
    let mut sorted = a.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (10..50).collect::<Vec<_>>());

    // The same partition names the same rows whichever the ordering.
    let part = |sampling: &str| {
        let cfg = config(json!({
            "sampling_strategy": sampling,
            "selection_strategy": {"index": 2, "num_partitions": 3}
        }));
        let mut ids = ids(&load_seed(&cfg, dir.path(), 9).unwrap());
        ids.sort_unstable();
        ids
    };
    assert_eq!(part("shuffle"), part("ordered"));
}

#[test]
fn paths_are_relative_to_the_base_dir_unless_absolute() {
    let dir = tempfile::tempdir().unwrap();
    seed_file(dir.path(), 3);
    let absolute = dir.path().join("data/seed.jsonl");
    let cfg = SeedConfig::from_json(&json!({"source": {"path": absolute}})).unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    assert_eq!(load_seed(&cfg, elsewhere.path(), 0).unwrap().len(), 3);
    let err = load_seed(&config(json!({})), elsewhere.path(), 0).unwrap_err();
    assert_eq!(err.code(), "tabular_io");
}

#[test]
fn an_empty_seed_file_is_an_empty_seed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "empty.csv", "a,b\n");
    let cfg = SeedConfig::from_json(&json!({"source": {"path": "empty.csv"}})).unwrap();
    let err = load_seed(&cfg, dir.path(), 0).unwrap_err();
    assert_eq!(err.code(), "tabular_empty_seed");
    assert!(err.to_string().contains("empty.csv"), "{err}");
}

fn unstructured(path: &str, size: usize, overlap: usize) -> SeedConfig {
    SeedConfig::from_json(&json!({"source": {
        "seed_type": "unstructured", "path": path, "chunk_size": size, "chunk_overlap": overlap
    }}))
    .unwrap()
}

#[test]
fn markdown_is_normalised_and_chunked() {
    let dir = tempfile::tempdir().unwrap();
    let paragraph = "Sloths move slowly through the canopy and sleep most of the day.";
    let body = format!("# Notes\r\n\r\n\r\n\r\n{paragraph}\r\n\r\n{paragraph}\r{paragraph}\n");
    write(dir.path(), "notes.md", body);
    let text = read_document_text(&dir.path().join("notes.md")).unwrap();
    assert!(!text.contains('\r'));
    assert!(text.starts_with("# Notes\n\nSloths"), "{text:?}");

    let table = load_seed(&unstructured("notes.md", 80, 20), dir.path(), 0).unwrap();
    assert_eq!(table.columns, [CHUNK_TEXT_COLUMN]);
    assert!(table.len() > 2);
    for chunk in table.rows() {
        let text = chunk[CHUNK_TEXT_COLUMN].as_str().unwrap();
        assert!(text.chars().count() <= 80, "{text:?}");
        assert!(!text.trim().is_empty());
    }
    // The first chunk ends at the paragraph break after the heading or at a word boundary.
    let first = table.row(0)[CHUNK_TEXT_COLUMN].as_str().unwrap();
    assert!(
        first.ends_with(|c: char| c.is_alphanumeric() || c == '.'),
        "{first:?}"
    );
}

#[test]
fn an_empty_document_is_an_empty_seed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "blank.txt", "\r\n  \n\n\t\n");
    let err = load_seed(&unstructured("blank.txt", 100, 10), dir.path(), 0).unwrap_err();
    assert_eq!(err.code(), "tabular_empty_seed");
}

#[test]
fn unreadable_documents_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "latin1.txt", b"caf\xe9".as_slice());
    let err = load_seed(&unstructured("latin1.txt", 100, 10), dir.path(), 0).unwrap_err();
    assert_eq!(err.code(), "tabular_bad_text");
    assert!(err.to_string().contains("offset 3"), "{err}");

    write(dir.path(), "notes.docx", "x");
    let err = load_seed(&unstructured("notes.docx", 100, 10), dir.path(), 0).unwrap_err();
    assert_eq!(err.code(), "tabular_unsupported_format");

    write(
        dir.path(),
        "broken.pdf",
        "%PDF-1.4\n1 0 obj\n<< /Type /Catalog\n%%EOF",
    );
    let err = load_seed(&unstructured("broken.pdf", 100, 10), dir.path(), 0).unwrap_err();
    assert_eq!(err.code(), "tabular_bad_pdf");
    assert!(err.to_string().contains("broken.pdf"), "{err}");

    // A valid PDF cut short is damaged, not a crash.
    let pdf = minimal_pdf(&["Hello"]);
    write(dir.path(), "cut.pdf", &pdf[..pdf.len() / 2]);
    let result = load_seed(&unstructured("cut.pdf", 100, 10), dir.path(), 0);
    assert!(result.is_err());
}

#[test]
fn a_pdf_seed_yields_its_text() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "paper.pdf",
        minimal_pdf(&["Hello Loris PDF seed", "Second line of text"]),
    );
    let text = read_document_text(&dir.path().join("paper.pdf")).unwrap();
    // Each `Td` line move becomes a line break.
    assert_eq!(text, "Hello Loris PDF seed\nSecond line of text");
    let table = load_seed(&unstructured("paper.pdf", 1200, 200), dir.path(), 0).unwrap();
    assert_eq!(table.len(), 1);
    assert_eq!(table.row(0)[CHUNK_TEXT_COLUMN].as_str().unwrap(), text);
}
