//! `prepare` and `preview` end to end on files of every kind, with a byte-level tokenizer (one
//! token per byte) and a ChatML template, so these tests need no fetched fixture.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{
    CHATML, ENDOFTEXT, IM_END, byte_assets, chat, trained_spans, write_jsonl, write_text,
};
use loris_datasets::{
    ColumnMapping, DatasetFormat, IGNORE_INDEX, Overlong, PAD_SEGMENT, PackedSequence,
    PrepareOptions, SkipReason, prepare, preview,
};
use serde_json::json;

fn options(seq_len: usize) -> PrepareOptions {
    PrepareOptions {
        seq_len,
        ..Default::default()
    }
}

#[test]
fn each_format_end_to_end() {
    let assets = byte_assets(Some(CHATML));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    let messages = write_jsonl(
        dir,
        "m.jsonl",
        &[chat(&[("system", "S"), ("user", "Q"), ("assistant", "A1")])],
    );
    let sharegpt = write_text(
        dir,
        "s.json",
        r#"{"data": [{"conversations": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A2"}]}]}"#,
    );
    let alpaca = write_text(
        dir,
        "a.csv",
        "instruction,input,output\nAdd,1 2,3\nSay hi,,hi\n",
    );
    let text = write_jsonl(dir, "t.jsonl", &[json!({"text": "abc"})]);

    let o = options(256);
    let cases = [
        (
            &messages,
            DatasetFormat::Messages,
            vec![vec!["A1<|im_end|>"]],
        ),
        (
            &sharegpt,
            DatasetFormat::ShareGpt,
            vec![vec!["A2<|im_end|>"]],
        ),
        (
            &alpaca,
            DatasetFormat::Alpaca,
            vec![vec!["3<|im_end|>"], vec!["hi<|im_end|>"]],
        ),
        // The first token is never a target; the EOS is appended and trained.
        (&text, DatasetFormat::Text, vec![vec!["bc<|im_end|>"]]),
    ];
    for (path, format, expected) in cases {
        let prepared = prepare(path, &assets, &o).unwrap();
        assert_eq!(prepared.report.format, format, "{}", path.display());
        assert_eq!(
            trained_spans(path, &assets, &o, 10),
            expected,
            "{}",
            path.display()
        );
    }

    // The Alpaca user turn joins instruction and input.
    let rows = preview(&alpaca, &assets, &o, 1).unwrap();
    let text: String = rows[0].tokens.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(
        text,
        "<|im_start|>user\nAdd\n\n1 2<|im_end|>\n<|im_start|>assistant\n3<|im_end|>\n"
    );
}

#[test]
fn alpaca_without_a_chat_template_uses_the_alpaca_prompt() {
    let assets = byte_assets(None);
    let tmp = tempfile::tempdir().unwrap();
    let path = write_jsonl(
        tmp.path(),
        "a.jsonl",
        &[json!({"instruction": "Add", "input": "1 2", "output": "3"})],
    );
    let rows = preview(&path, &assets, &options(512), 1).unwrap();
    let text: String = rows[0].tokens.iter().map(|t| t.text.as_str()).collect();
    assert!(text.starts_with("Below is an instruction"), "{text}");
    assert!(
        text.ends_with("### Input:\n1 2\n\n### Response:\n3<|im_end|>"),
        "{text}"
    );
    assert_eq!(rows[0].trained_spans(&assets).unwrap(), ["3<|im_end|>"]);

    // Chats cannot be formatted without a template.
    let path = write_jsonl(
        tmp.path(),
        "m.jsonl",
        &[chat(&[("user", "Q"), ("assistant", "A")])],
    );
    let err = prepare(&path, &assets, &options(512)).unwrap_err();
    assert_eq!(err.code(), "dataset_no_chat_template");
}

#[test]
fn responses_only_off_trains_the_whole_conversation() {
    let assets = byte_assets(Some(CHATML));
    let tmp = tempfile::tempdir().unwrap();
    let path = write_jsonl(
        tmp.path(),
        "m.jsonl",
        &[chat(&[("user", "Q"), ("assistant", "A")])],
    );
    let o = PrepareOptions {
        responses_only: false,
        ..options(256)
    };
    let spans = trained_spans(&path, &assets, &o, 1);
    // Everything but the first token, which nothing predicts.
    assert_eq!(
        spans,
        [["user\nQ<|im_end|>\n<|im_start|>assistant\nA<|im_end|>\n"]]
    );
}

#[test]
fn a_column_mapping_resolves_unknown_columns() {
    let assets = byte_assets(Some(CHATML));
    let tmp = tempfile::tempdir().unwrap();
    let path = write_text(tmp.path(), "qa.csv", "question,answer\nWhy?,Because.\n");
    let err = prepare(&path, &assets, &options(256)).unwrap_err();
    assert_eq!(err.code(), "dataset_unknown_format");
    assert!(err.to_string().contains("[answer, question]"), "{err}");

    let o = PrepareOptions {
        mapping: ColumnMapping {
            instruction: Some("question".into()),
            output: Some("answer".into()),
            ..Default::default()
        },
        ..options(256)
    };
    let prepared = prepare(&path, &assets, &o).unwrap();
    assert_eq!(prepared.report.format, DatasetFormat::Alpaca);
    assert_eq!(
        trained_spans(&path, &assets, &o, 1),
        [["Because.<|im_end|>"]]
    );

    // A chat column under another name, with the ShareGPT spelling.
    let path = write_jsonl(
        tmp.path(),
        "c.jsonl",
        &[json!({"dialog": [{"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]})],
    );
    let o = PrepareOptions {
        mapping: ColumnMapping {
            conversations: Some("dialog".into()),
            ..Default::default()
        },
        ..options(256)
    };
    assert_eq!(
        prepare(&path, &assets, &o).unwrap().report.format,
        DatasetFormat::ShareGpt
    );
    assert_eq!(trained_spans(&path, &assets, &o, 1), [["A<|im_end|>"]]);
}

/// A Parquet file with a list-of-structs `messages` column and an int column, written with the
/// parquet crate's low-level writer (definition levels: messages 1, list 2, element 3, field 4).
fn write_chat_parquet(path: &Path) {
    use parquet::data_type::{ByteArray, ByteArrayType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    let schema = parse_message_type(
        "message schema {
            OPTIONAL group messages (LIST) {
                REPEATED group list {
                    OPTIONAL group element {
                        OPTIONAL BYTE_ARRAY role (UTF8);
                        OPTIONAL BYTE_ARRAY content (UTF8);
                    }
                }
            }
            REQUIRED INT64 id;
        }",
    )
    .unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = SerializedFileWriter::new(
        file,
        Arc::new(schema),
        Arc::new(WriterProperties::builder().build()),
    )
    .unwrap();
    // Two rows: [user Q1, assistant A1] and [user Q2, assistant A2].
    let roles: Vec<ByteArray> = ["user", "assistant", "user", "assistant"]
        .map(ByteArray::from)
        .to_vec();
    let contents: Vec<ByteArray> = ["Q1", "A1", "Q2", "A2"].map(ByteArray::from).to_vec();
    let def = [4i16, 4, 4, 4];
    let rep = [0i16, 1, 0, 1];
    let mut group = writer.next_row_group().unwrap();
    let mut column = 0;
    while let Some(mut col) = group.next_column().unwrap() {
        match column {
            0 => {
                col.typed::<ByteArrayType>()
                    .write_batch(&roles, Some(&def), Some(&rep))
                    .unwrap();
            }
            1 => {
                col.typed::<ByteArrayType>()
                    .write_batch(&contents, Some(&def), Some(&rep))
                    .unwrap();
            }
            _ => {
                col.typed::<Int64Type>()
                    .write_batch(&[7, 8], None, None)
                    .unwrap();
            }
        }
        col.close().unwrap();
        column += 1;
    }
    group.close().unwrap();
    writer.close().unwrap();
}

fn write_text_parquet(path: &Path, texts: &[&str]) {
    use parquet::data_type::{ByteArray, ByteArrayType};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    let schema = parse_message_type("message schema { REQUIRED BYTE_ARRAY text (UTF8); }").unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = SerializedFileWriter::new(
        file,
        Arc::new(schema),
        Arc::new(WriterProperties::builder().build()),
    )
    .unwrap();
    let values: Vec<ByteArray> = texts.iter().map(|t| ByteArray::from(*t)).collect();
    let mut group = writer.next_row_group().unwrap();
    while let Some(mut col) = group.next_column().unwrap() {
        col.typed::<ByteArrayType>()
            .write_batch(&values, None, None)
            .unwrap();
        col.close().unwrap();
    }
    group.close().unwrap();
    writer.close().unwrap();
}

#[test]
fn parquet_lists_and_structs_become_chats() {
    let assets = byte_assets(Some(CHATML));
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("chat.parquet");
    write_chat_parquet(&path);
    let prepared = prepare(&path, &assets, &options(256)).unwrap();
    assert_eq!(prepared.report.format, DatasetFormat::Messages);
    assert_eq!(prepared.report.rows_read, 2);
    assert_eq!(
        trained_spans(&path, &assets, &options(256), 5),
        [["A1<|im_end|>"], ["A2<|im_end|>"]]
    );
    let rows = preview(&path, &assets, &options(256), 5).unwrap();
    assert_eq!((rows[1].row, rows[1].line), (2, None));

    let path = tmp.path().join("text.parquet");
    write_text_parquet(&path, &["hello", "world"]);
    let prepared = prepare(&path, &assets, &options(256)).unwrap();
    assert_eq!(prepared.report.format, DatasetFormat::Text);
    assert_eq!(prepared.report.total_tokens, 2 * 6);
}

#[test]
fn malformed_files_are_typed_errors_naming_the_place() {
    let assets = byte_assets(Some(CHATML));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let o = options(256);

    let ok = chat(&[("user", "Q"), ("assistant", "A")]).to_string();
    let path = write_text(dir, "bad.jsonl", &format!("{ok}\n\n{{\"messages\": [}}\n"));
    let err = prepare(&path, &assets, &o).unwrap_err();
    assert_eq!(err.code(), "dataset_bad_json");
    assert!(err.to_string().contains("line 3"), "{err}");

    let path = write_text(
        dir,
        "missing.jsonl",
        &format!("{ok}\n{{\"messages\": null, \"x\": 1}}\n"),
    );
    let err = prepare(&path, &assets, &o).unwrap_err();
    assert_eq!(err.code(), "dataset_missing_field");
    assert_eq!(err.to_string(), "line 2: missing field 'messages'");

    let path = write_text(dir, "nocol.csv", "instruction,answer\nA,B\n");
    let o_alpaca = PrepareOptions {
        format: Some(DatasetFormat::Alpaca),
        ..options(256)
    };
    let err = prepare(&path, &assets, &o_alpaca).unwrap_err();
    assert_eq!(err.code(), "dataset_missing_field");
    assert_eq!(err.to_string(), "line 2: missing field 'output'");

    let path = write_text(
        dir,
        "role.jsonl",
        &chat(&[("user", "Q"), ("narrator", "A")]).to_string(),
    );
    let err = prepare(&path, &assets, &o).unwrap_err();
    assert_eq!(err.code(), "dataset_bad_role");
    assert!(
        err.to_string().contains("messages[1].role is 'narrator'"),
        "{err}"
    );

    for (name, text) in [
        ("empty.jsonl", ""),
        ("blank.jsonl", "\n \n"),
        ("empty.json", "[]"),
        ("header.csv", "text\n"),
    ] {
        let err = prepare(&write_text(dir, name, text), &assets, &o).unwrap_err();
        assert_eq!(err.code(), "dataset_empty", "{name}: {err}");
    }

    let err = prepare(&write_text(dir, "notes.txt", "hi"), &assets, &o).unwrap_err();
    assert_eq!(err.code(), "dataset_unsupported_file");
    let err = prepare(
        &write_text(dir, "junk.parquet", "not parquet at all"),
        &assets,
        &o,
    )
    .unwrap_err();
    assert_eq!(err.code(), "dataset_bad_parquet");
    let err = prepare(&write_text(dir, "ragged.csv", "a,b\n1\n"), &assets, &o).unwrap_err();
    assert_eq!(err.code(), "dataset_bad_csv");
    let err = prepare(&write_text(dir, "e.jsonl", &ok), &assets, &options(1)).unwrap_err();
    assert_eq!(err.code(), "dataset_invalid_options");

    // A template that refuses a row (here: any system turn) names the row.
    let strict = byte_assets(Some(
        "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{{ m.content }}{% endfor %}",
    ));
    let path = write_jsonl(
        dir,
        "sys.jsonl",
        &[
            chat(&[("user", "Q"), ("assistant", "A")]),
            chat(&[("system", "S"), ("user", "Q"), ("assistant", "A")]),
        ],
    );
    let err = prepare(&path, &strict, &o).unwrap_err();
    assert_eq!(err.code(), "dataset_template_error");
    assert!(
        err.to_string().starts_with("line 2: chat template error:"),
        "{err}"
    );
    assert!(
        err.to_string().contains("System role not supported"),
        "{err}"
    );
}

#[test]
fn long_rows_error_skip_or_truncate() {
    let assets = byte_assets(Some(CHATML));
    let tmp = tempfile::tempdir().unwrap();
    let long = "x".repeat(100);
    let path = write_jsonl(
        tmp.path(),
        "d.jsonl",
        &[
            chat(&[("user", "Q"), ("assistant", "short")]),
            chat(&[("user", "Q"), ("assistant", &long)]),
            chat(&[("user", "only a question")]),
        ],
    );
    let o = |overlong| PrepareOptions {
        overlong,
        ..options(64)
    };

    let err = prepare(&path, &assets, &o(Overlong::Error)).unwrap_err();
    assert_eq!(err.code(), "dataset_row_too_long");
    assert!(
        err.to_string()
            .starts_with("line 2: 122 tokens is longer than the sequence length 64"),
        "{err}"
    );

    let prepared = prepare(&path, &assets, &o(Overlong::Skip)).unwrap();
    let report = &prepared.report;
    assert_eq!(report.rows_read, 3);
    assert_eq!(report.train_samples, 1);
    assert_eq!(report.skipped.len(), 2);
    assert_eq!(report.skipped[0].line, Some(2));
    assert_eq!(
        report.skipped[0].reason,
        SkipReason::TooLong {
            tokens: 122,
            seq_len: 64
        }
    );
    assert_eq!(report.skipped[1].reason, SkipReason::NoAssistantTurn);
    let json = serde_json::to_value(report).unwrap();
    assert_eq!(
        json["skipped"][0]["reason"],
        json!({"code": "too_long", "tokens": 122, "seqLen": 64})
    );
    assert_eq!(json["trainedTokens"], report.trained_tokens);

    let prepared = prepare(&path, &assets, &o(Overlong::Truncate)).unwrap();
    assert_eq!(prepared.report.train_samples, 2);
    assert_eq!(prepared.report.truncated_rows, 1);
    assert!(prepared.train.iter().all(|s| s.len() == 64));

    // Nothing left to train on is an error of its own.
    let path = write_jsonl(
        tmp.path(),
        "long.jsonl",
        &[chat(&[("user", "Q"), ("assistant", &long)])],
    );
    let err = prepare(&path, &assets, &o(Overlong::Skip)).unwrap_err();
    assert_eq!(err.code(), "dataset_no_usable_rows");
    assert!(err.to_string().contains("line 1: 122 tokens"), "{err}");
}

/// Checks the packed-sequence contract against the samples it was built from.
fn check_sequence(seq: &PackedSequence, seq_len: usize, pad_id: u32) {
    assert_eq!(seq.len(), seq_len);
    assert_eq!(seq.labels.len(), seq_len);
    assert_eq!(seq.position_ids.len(), seq_len);
    assert_eq!(seq.segment_ids.len(), seq_len);
    let real = seq.unpadded_len();
    assert!(real > 0);
    for i in 0..seq_len {
        if i >= real {
            assert_eq!(seq.segment_ids[i], PAD_SEGMENT);
            assert_eq!(seq.input_ids[i], pad_id);
            assert_eq!(seq.labels[i], IGNORE_INDEX);
            continue;
        }
        let segment = seq.segment_ids[i];
        if i == 0 {
            assert_eq!((segment, seq.position_ids[i]), (0, 0));
        } else if segment == seq.segment_ids[i - 1] {
            assert_eq!(seq.position_ids[i], seq.position_ids[i - 1] + 1);
        } else {
            // A new segment: the next index, and positions restart.
            assert_eq!(segment, seq.segment_ids[i - 1] + 1);
            assert_eq!(seq.position_ids[i], 0);
        }
        let same_segment_next = i + 1 < real && seq.segment_ids[i + 1] == segment;
        if !same_segment_next {
            assert_eq!(
                seq.labels[i], IGNORE_INDEX,
                "label across a boundary at {i}"
            );
        } else if seq.labels[i] != IGNORE_INDEX {
            assert_eq!(
                seq.labels[i],
                i64::from(seq.input_ids[i + 1]),
                "unshifted label at {i}"
            );
        }
    }
}

fn many_chats(n: usize) -> Vec<serde_json::Value> {
    (0..n)
        .map(|i| {
            let answer = format!("answer-{i:03}-{}", "y".repeat(i % 17));
            chat(&[("user", &format!("question {i}")), ("assistant", &answer)])
        })
        .collect()
}

#[test]
fn packing_keeps_segments_apart_and_labels_shifted() {
    let assets = byte_assets(Some(CHATML));
    let tmp = tempfile::tempdir().unwrap();
    let path = write_jsonl(tmp.path(), "d.jsonl", &many_chats(40));
    let seq_len = 200;
    let packed = prepare(&path, &assets, &options(seq_len)).unwrap();
    let single = prepare(
        &path,
        &assets,
        &PrepareOptions {
            packing: false,
            ..options(seq_len)
        },
    )
    .unwrap();
    let pad = packed.report.pad_id;
    assert_eq!(pad, ENDOFTEXT);
    for seq in packed.train.iter().chain(&single.train) {
        check_sequence(seq, seq_len, pad);
    }
    assert!(packed.train.len() < single.train.len());
    assert_eq!(single.train.len(), 40);
    assert!(single.train.iter().all(|s| s.segments() == 1));
    assert!(packed.train.iter().any(|s| s.segments() > 1));
    // Same samples, same targets, either way.
    assert_eq!(packed.report.trained_tokens, single.report.trained_tokens);
    assert_eq!(packed.report.total_tokens, single.report.total_tokens);
    assert_eq!(
        packed.report.padding_tokens,
        packed.train.len() * seq_len - packed.report.total_tokens
    );
    // Every trained target is an answer byte or the closing <|im_end|>.
    let targets: usize = packed
        .train
        .iter()
        .flat_map(|s| s.labels.iter())
        .filter(|l| **l == i64::from(IM_END))
        .count();
    assert_eq!(targets, 40);
    let mut trained = 0;
    for i in 0..40 {
        trained += format!("answer-{i:03}-{}", "y".repeat(i % 17)).len() + 1;
    }
    assert_eq!(packed.report.trained_tokens, trained);
}

#[test]
fn the_split_is_deterministic_in_the_seed() {
    let assets = byte_assets(Some(CHATML));
    let tmp = tempfile::tempdir().unwrap();
    let rows: Vec<_> = (0..30)
        .map(|i| json!({"text": format!("row-{i:02}")}))
        .collect();
    let path = write_jsonl(tmp.path(), "d.jsonl", &rows);
    let o = |seed| PrepareOptions {
        seed,
        packing: false,
        eval_fraction: 0.2,
        ..options(32)
    };
    // The rows of a split, by their text.
    let texts = |seqs: &[PackedSequence]| -> Vec<String> {
        seqs.iter()
            .map(|s| {
                let ids = &s.input_ids[..s.unpadded_len()];
                assets.tokenizer.decode(ids, true).unwrap()
            })
            .collect()
    };
    let a = prepare(&path, &assets, &o(7)).unwrap();
    let b = prepare(&path, &assets, &o(7)).unwrap();
    let c = prepare(&path, &assets, &o(8)).unwrap();
    assert_eq!(a.train, b.train);
    assert_eq!(a.eval, b.eval);
    assert_eq!((a.report.train_rows, a.report.eval_rows), (24, 6));
    assert_eq!(a.eval.len(), 6);
    let (train, eval) = (texts(&a.train), texts(&a.eval));
    assert!(eval.iter().all(|e| !train.contains(e)));
    let mut all: Vec<String> = train.iter().chain(&eval).cloned().collect();
    all.sort();
    assert_eq!(
        all,
        (0..30).map(|i| format!("row-{i:02}")).collect::<Vec<_>>()
    );
    assert_ne!(texts(&c.eval), eval, "another seed, another split");
    // Shuffled: the train split is not in file order.
    assert_ne!(train, {
        let mut sorted = train.clone();
        sorted.sort();
        sorted
    });

    let rows_option = PrepareOptions {
        eval_rows: Some(3),
        ..o(7)
    };
    assert_eq!(prepare(&path, &assets, &rows_option).unwrap().eval.len(), 3);
    let limited = PrepareOptions {
        max_rows: Some(10),
        ..o(7)
    };
    assert_eq!(
        prepare(&path, &assets, &limited).unwrap().report.rows_read,
        10
    );
}

/// Damaged files of every kind give errors, never panics.
#[test]
fn damaged_files_never_panic() {
    let assets = byte_assets(Some(CHATML));
    let tmp = tempfile::tempdir().unwrap();
    let good_jsonl = format!(
        "{}\n{}\n",
        chat(&[("system", "S"), ("user", "Q"), ("assistant", "A")]),
        json!({"conversations": [{"from": "human", "value": [1]}, {"from": "gpt"}]})
    );
    let good_json = r#"{"data": [{"instruction": "i", "input": {"a": 1}, "output": "o"}]}"#;
    let good_csv = "instruction,input,output\n\"a\",\"b\",\"c\"\n";
    let parquet_path = tmp.path().join("p.parquet");
    write_chat_parquet(&parquet_path);
    let good_parquet = std::fs::read(&parquet_path).unwrap();
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut outcomes = 0;
    for (name, original) in [
        ("f.jsonl", good_jsonl.into_bytes()),
        ("f.json", good_json.as_bytes().to_vec()),
        ("f.csv", good_csv.as_bytes().to_vec()),
        ("f.parquet", good_parquet),
    ] {
        for round in 0..60 {
            let mut bytes = original.clone();
            let edits = 1 + (next() % 4) as usize;
            for _ in 0..edits {
                if bytes.is_empty() {
                    break;
                }
                let at = (next() as usize) % bytes.len();
                match next() % 3 {
                    0 => bytes[at] = next() as u8,
                    1 => bytes.truncate(at),
                    _ => bytes.insert(at, b"{[\",:\n"[(next() % 6) as usize]),
                }
            }
            let path = tmp.path().join(format!("{round}-{name}"));
            std::fs::write(&path, &bytes).unwrap();
            let _ = prepare(&path, &assets, &options(128));
            let _ = preview(&path, &assets, &options(128), 3);
            outcomes += 1;
        }
    }
    assert_eq!(outcomes, 240);
}
