//! The ForgeLM chat data sets (real customer-support and code-assistant conversations, fetched
//! by tests/fixtures/fetch.sh) through the Qwen 3 and Llama 3.2 templates.

mod common;

use common::fixture_assets;
use loris_datasets::{DatasetFormat, PrepareOptions, prepare, preview};
use loris_testkit::fixture_or_skip;
use loris_testkit::fixtures::{FORGELM_DATASETS, forgelm_dataset, tokenizer_dir};
use serde_json::Value;

#[test]
fn forgelm_sets_train_every_answer_and_nothing_else() {
    for template in ["qwen3", "llama3_2"] {
        let dir = fixture_or_skip!(tokenizer_dir(template));
        let assets = fixture_assets(&dir);
        for set in FORGELM_DATASETS {
            let path = fixture_or_skip!(forgelm_dataset(set));
            let text = std::fs::read_to_string(&path).unwrap();
            let rows: Vec<Value> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();

            let options = PrepareOptions {
                seq_len: 1024,
                eval_fraction: 0.1,
                seed: 3407,
                ..Default::default()
            };
            let prepared = prepare(&path, &assets, &options).unwrap();
            let report = &prepared.report;
            assert_eq!(report.format, DatasetFormat::Messages);
            assert_eq!(report.rows_read, rows.len());
            assert!(
                report.skipped.is_empty(),
                "{template}/{set}: {:?}",
                report.skipped
            );
            assert_eq!(report.train_samples + report.eval_samples, rows.len());
            assert!(report.eval_samples >= 1);
            assert!(report.trained_tokens > 0 && report.trained_tokens < report.total_tokens);
            println!(
                "{template}/{set}: {} rows, {} train sequences, {} eval, {} of {} tokens trained",
                report.rows_read,
                report.train_sequences,
                report.eval_sequences,
                report.trained_tokens,
                report.total_tokens
            );

            let previews = preview(&path, &assets, &options, rows.len()).unwrap();
            for (row, shown) in rows.iter().zip(&previews) {
                let spans = shown.trained_spans(&assets).unwrap();
                let messages = row["messages"].as_array().unwrap();
                let answers: Vec<&str> = messages
                    .iter()
                    .filter(|m| m["role"] == "assistant")
                    .map(|m| m["content"].as_str().unwrap().trim())
                    .collect();
                assert_eq!(
                    spans.len(),
                    answers.len(),
                    "{template}/{set} row {}",
                    shown.row
                );
                for (span, answer) in spans.iter().zip(&answers) {
                    assert!(
                        span.contains(answer),
                        "{template}/{set} row {}: {span:?}",
                        shown.row
                    );
                }
                let trained = spans.join("");
                for m in messages.iter().filter(|m| m["role"] != "assistant") {
                    let content = m["content"].as_str().unwrap().trim();
                    assert!(
                        content.len() < 12 || !trained.contains(content),
                        "{template}/{set} row {}: {} turn trained",
                        shown.row,
                        m["role"]
                    );
                }
            }
        }
    }
}
