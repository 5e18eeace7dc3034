//! Language-model columns through a fake provider.

use std::sync::atomic::{AtomicU32, Ordering};

use loris_recipes::{
    LlmCall, LlmProvider, LlmReply, PreviewOptions, ProviderError, RecipeError, parse_recipe_str,
    preview,
};
use serde_json::{Value, json};

/// Echoes prompts for text, answers judges with a fixed score, and fails structured replies
/// `bad_replies` times before answering with JSON.
struct FakeLlm {
    bad_replies: AtomicU32,
    calls: AtomicU32,
}

impl FakeLlm {
    fn new(bad_replies: u32) -> Self {
        FakeLlm {
            bad_replies: AtomicU32::new(bad_replies),
            calls: AtomicU32::new(0),
        }
    }
}

fn reply(text: &str) -> Result<LlmReply, ProviderError> {
    Ok(LlmReply {
        text: text.to_string(),
        prompt_tokens: 3,
        completion_tokens: 2,
    })
}

impl LlmProvider for FakeLlm {
    fn complete(&self, call: &LlmCall<'_>) -> Result<LlmReply, ProviderError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if call.prompt.starts_with("Grade") {
            return reply(
                "```json\n{\"quality\": {\"score\": \"2\", \"reasoning\": \"fine\"}}\n```",
            );
        }
        if call.prompt.starts_with("Data") {
            let bad = self.bad_replies.load(Ordering::SeqCst);
            if bad > 0 {
                self.bad_replies.store(bad - 1, Ordering::SeqCst);
                return reply("Sure! Here it is: {oops");
            }
            return reply("{\"x\": 1}");
        }
        reply(&format!(
            "[{}|{}] {}",
            call.model_alias,
            call.system.unwrap_or("-"),
            call.prompt
        ))
    }
}

fn recipe() -> Value {
    json!({"recipe": {
        "model_providers": [{"name": "local"}],
        "model_configs": [{"alias": "writer", "provider": "local"}],
        "columns": [
            {"name": "topic", "column_type": "sampler", "sampler_type": "category",
             "params": {"values": ["cats"]}},
            {"name": "text", "column_type": "llm-text", "model_alias": "writer",
             "prompt": "Write about {{ topic }}", "system_prompt": "Be {{ 'brief' }}"},
            {"name": "grade", "column_type": "llm-judge", "model_alias": "writer",
             "prompt": "Grade: {{ text }}",
             "scores": [{"name": "quality", "description": "How good",
                         "options": {"1": "bad", "2": "good"}}]},
            {"name": "data", "column_type": "llm-structured", "model_alias": "writer",
             "prompt": "Data for {{ topic }}",
             "output_format": {"type": "object", "properties": {"x": {"type": "integer"}}}}
        ]
    }})
}

#[test]
fn text_judge_and_structured_columns() {
    let doc = parse_recipe_str(&recipe().to_string()).unwrap();
    let llm = FakeLlm::new(1);
    let out = preview(
        &doc,
        &PreviewOptions {
            rows: 2,
            seed: 1,
            max_attempts: 3,
        },
        Some(&llm),
    )
    .unwrap();
    assert_eq!(out.columns, vec!["topic", "text", "grade", "data"]);
    let row = &out.rows[0];
    assert_eq!(row["text"], "[writer|Be brief] Write about cats");
    assert_eq!(
        row["grade"],
        json!({"quality": {"score": "2", "reasoning": "fine"}})
    );
    assert_eq!(row["data"], json!({"x": 1}));
    // 2 rows x 3 model columns, plus the one structured reply that was retried.
    assert_eq!(llm.calls.load(Ordering::SeqCst), 7);
}

#[test]
fn structured_replies_give_up_after_the_attempts() {
    let doc = parse_recipe_str(&recipe().to_string()).unwrap();
    let llm = FakeLlm::new(10);
    let err = preview(
        &doc,
        &PreviewOptions {
            rows: 1,
            seed: 1,
            max_attempts: 2,
        },
        Some(&llm),
    )
    .unwrap_err();
    assert_eq!(err.code(), "recipe_invalid_llm_output");
    match err {
        RecipeError::InvalidLlmOutput {
            column, attempts, ..
        } => {
            assert_eq!(column, "data");
            assert_eq!(attempts, 2);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_judge_score_outside_the_options_is_retried_then_refused() {
    struct Stubborn;
    impl LlmProvider for Stubborn {
        fn complete(&self, _: &LlmCall<'_>) -> Result<LlmReply, ProviderError> {
            reply("{\"quality\": 9}")
        }
    }
    let mut doc = recipe();
    doc["recipe"]["columns"].as_array_mut().unwrap().truncate(3);
    doc["recipe"]["columns"][1] =
        json!({"name": "text", "column_type": "expression", "expr": "hi"});
    let doc = parse_recipe_str(&doc.to_string()).unwrap();
    let err = preview(
        &doc,
        &PreviewOptions {
            rows: 1,
            seed: 1,
            max_attempts: 2,
        },
        Some(&Stubborn),
    )
    .unwrap_err();
    assert_eq!(err.code(), "recipe_invalid_llm_output");
    assert!(err.to_string().contains("not an option"), "{err}");
}

#[test]
fn without_a_provider_model_columns_are_refused() {
    let doc = parse_recipe_str(&recipe().to_string()).unwrap();
    let err = preview(&doc, &PreviewOptions::default(), None).unwrap_err();
    assert_eq!(err.code(), "recipe_no_provider");
    assert!(matches!(err, RecipeError::NoProvider { ref column } if column == "text"));
}

#[test]
fn structured_replies_are_checked_against_the_schema() {
    struct WrongType(AtomicU32);
    impl LlmProvider for WrongType {
        fn complete(&self, call: &LlmCall<'_>) -> Result<LlmReply, ProviderError> {
            // Wrong once, then right: the retry is what makes the row.
            if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
                reply("{\"x\": \"one\"}")
            } else {
                assert!(call.prompt.contains("\"integer\""), "{}", call.prompt);
                reply("{\"x\": 7}")
            }
        }
    }
    let mut doc = recipe();
    let columns = doc["recipe"]["columns"].as_array_mut().unwrap();
    columns.remove(2);
    columns.remove(1);
    let doc = parse_recipe_str(&doc.to_string()).unwrap();
    let llm = WrongType(AtomicU32::new(0));
    let options = PreviewOptions {
        rows: 1,
        seed: 1,
        max_attempts: 2,
    };
    let out = preview(&doc, &options, Some(&llm)).unwrap();
    assert_eq!(out.rows[0]["data"], json!({"x": 7}));
    assert_eq!(out.usage["writer"].requests, 2);

    let always_wrong = WrongType(AtomicU32::new(0));
    let options = PreviewOptions {
        max_attempts: 1,
        ..options
    };
    let err = preview(&doc, &options, Some(&always_wrong)).unwrap_err();
    assert_eq!(err.code(), "recipe_invalid_llm_output");
    assert!(
        err.to_string().contains("does not match the schema"),
        "{err}"
    );
}
