//! Responses-only masks through real chat templates (the fetched fixture tokenizers): the exact
//! trained text of Qwen 3 and Llama 3.2 conversations, and for every fixture template that each
//! assistant answer is trained and no other turn's text is.

mod common;

use common::{chat, fixture_assets, trained_spans, write_jsonl};
use loris_datasets::{PrepareOptions, preview};
use loris_testkit::fixture_or_skip;
use loris_testkit::fixtures::{TOKENIZERS, tokenizer_dir};

fn options() -> PrepareOptions {
    PrepareOptions {
        seq_len: 4096,
        ..Default::default()
    }
}

#[test]
fn llama3_2_trains_the_answer_and_eot_id() {
    let dir = fixture_or_skip!(tokenizer_dir("llama3_2"));
    let assets = fixture_assets(&dir);
    let tmp = tempfile::tempdir().unwrap();
    let path = write_jsonl(
        tmp.path(),
        "d.jsonl",
        &[
            chat(&[
                ("user", "What is the capital of France?"),
                ("assistant", "The capital is Paris."),
            ]),
            chat(&[
                ("system", "You are terse."),
                ("user", "Capital of France?"),
                ("assistant", "Paris."),
                ("user", "And of Italy?"),
                ("assistant", "  Rome.\n"),
            ]),
        ],
    );
    let spans = trained_spans(&path, &assets, &options(), 10);
    assert_eq!(spans[0], ["The capital is Paris.<|eot_id|>"]);
    // Llama 3 trims the content, so the padding around "Rome." is not in the rendering.
    assert_eq!(spans[1], ["Paris.<|eot_id|>", "Rome.<|eot_id|>"]);
}

#[test]
fn qwen3_trains_the_last_think_block_and_im_end() {
    let dir = fixture_or_skip!(tokenizer_dir("qwen3"));
    let assets = fixture_assets(&dir);
    let tmp = tempfile::tempdir().unwrap();
    let path = write_jsonl(
        tmp.path(),
        "d.jsonl",
        &[
            chat(&[
                ("user", "What is the capital of France?"),
                ("assistant", "The capital is Paris."),
            ]),
            chat(&[
                ("system", "You are terse."),
                ("user", "Capital of France?"),
                ("assistant", "Paris."),
                ("user", "And of Italy?"),
                ("assistant", "Rome."),
            ]),
            chat(&[
                ("user", "2+2?"),
                ("assistant", "<think>\nAdd them.\n</think>\n\n4"),
            ]),
        ],
    );
    let spans = trained_spans(&path, &assets, &options(), 10);
    assert_eq!(
        spans[0],
        ["<think>\n\n</think>\n\nThe capital is Paris.<|im_end|>"]
    );
    // Qwen 3 prints the (empty) think block before the last turn only.
    assert_eq!(
        spans[1],
        ["Paris.<|im_end|>", "<think>\n\n</think>\n\nRome.<|im_end|>"]
    );
    assert_eq!(spans[2], ["<think>\nAdd them.\n</think>\n\n4<|im_end|>"]);
}

#[test]
fn the_preview_marks_tokens_and_serializes_in_camel_case() {
    let dir = fixture_or_skip!(tokenizer_dir("qwen3"));
    let assets = fixture_assets(&dir);
    let tmp = tempfile::tempdir().unwrap();
    let path = write_jsonl(
        tmp.path(),
        "d.jsonl",
        &[chat(&[("user", "Hi"), ("assistant", "Hello!")])],
    );
    let rows = preview(&path, &assets, &options(), 5).unwrap();
    assert_eq!(rows.len(), 1);
    let text: String = rows[0].tokens.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(
        text,
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nHello!<|im_end|>\n"
    );
    let trained: String = rows[0]
        .tokens
        .iter()
        .filter(|t| t.trained)
        .map(|t| t.text.as_str())
        .collect();
    assert_eq!(trained, "<think>\n\n</think>\n\nHello!<|im_end|>");
    let json = serde_json::to_value(&rows[0]).unwrap();
    assert_eq!(json["row"], 1);
    assert_eq!(json["line"], 1);
    assert!(json["tokens"][0]["id"].is_u64());
    assert_eq!(json["tokens"][0]["trained"], false);
    assert!(json["skipped"].is_null());
}

/// Every fixture template: each assistant answer's text is inside a trained span, and no
/// system or user text is.
#[test]
fn every_fixture_template_trains_exactly_the_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_jsonl(
        tmp.path(),
        "d.jsonl",
        &[chat(&[
            ("system", "SYSTEM-PROMPT-TEXT"),
            ("user", "FIRST-QUESTION"),
            ("assistant", "FIRST-ANSWER"),
            ("user", "SECOND-QUESTION"),
            ("assistant", "SECOND-ANSWER"),
        ])],
    );
    let mut checked = 0;
    for name in TOKENIZERS {
        let Some(dir) = tokenizer_dir(name) else {
            loris_testkit::fixtures::print_skip_note(&format!("tokenizers/{name}"));
            continue;
        };
        let assets = fixture_assets(&dir);
        let spans = trained_spans(&path, &assets, &options(), 1).remove(0);
        let joined = spans.join("|");
        for answer in ["FIRST-ANSWER", "SECOND-ANSWER"] {
            assert!(
                joined.contains(answer),
                "{name}: {answer} not trained: {spans:?}"
            );
        }
        for context in ["SYSTEM-PROMPT-TEXT", "QUESTION", "user", "system"] {
            assert!(
                !joined.contains(context),
                "{name}: {context} trained: {spans:?}"
            );
        }
        let eos: Vec<String> = assets
            .eos_token_ids
            .iter()
            .filter_map(|id| assets.tokenizer.id_to_token(*id))
            .collect();
        for span in &spans {
            assert!(
                eos.iter().any(|e| span.ends_with(e.as_str())),
                "{name}: span {span:?} does not end with an end-of-turn token ({eos:?})"
            );
        }
        println!("{name}: {spans:?}");
        checked += 1;
    }
    println!("checked {checked} templates");
}

#[test]
fn tool_calls_are_trained_and_tool_results_are_not() {
    let tmp = tempfile::tempdir().unwrap();
    let call = serde_json::json!({"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}});
    let tools = serde_json::json!([{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]);
    let path = write_jsonl(
        tmp.path(),
        "d.jsonl",
        &[serde_json::json!({
            "messages": [
                {"role": "user", "content": "Weather in Paris?"},
                {"role": "assistant", "content": "", "tool_calls": [call]},
                {"role": "tool", "content": "SUNNY-22C"},
                {"role": "assistant", "content": "It is sunny and 22C."}
            ],
            "tools": tools
        })],
    );
    let expected = [
        (
            "qwen3",
            [
                "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>",
                "<think>\n\n</think>\n\nIt is sunny and 22C.<|im_end|>",
            ],
        ),
        (
            "llama3_2",
            [
                "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|>",
                "It is sunny and 22C.<|eot_id|>",
            ],
        ),
    ];
    for (name, want) in expected {
        let dir = fixture_or_skip!(tokenizer_dir(name));
        let assets = fixture_assets(&dir);
        assert_eq!(
            trained_spans(&path, &assets, &options(), 1).remove(0),
            want,
            "{name}"
        );
    }

    // The same call with `"content": null`, as OpenAI clients send it.
    let null_content =
        std::fs::read_to_string(&path)
            .unwrap()
            .replacen("\"content\":\"\"", "\"content\":null", 1);
    assert!(null_content.contains("null"));
    let path = common::write_text(tmp.path(), "null.jsonl", &null_content);
    for (name, want) in expected {
        let dir = fixture_or_skip!(tokenizer_dir(name));
        let assets = fixture_assets(&dir);
        assert_eq!(
            trained_spans(&path, &assets, &options(), 1).remove(0),
            want,
            "{name}"
        );
    }
}
