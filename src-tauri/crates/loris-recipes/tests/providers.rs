//! Recipes against an OpenAI-compatible server (the stub from loris-llm-client): previews
//! through the model router, keys, limits on requests in flight, and setup errors.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use loris_llm_client::stub::{StubReply, StubServer};
use loris_recipes::{
    ModelRouter, PreviewOptions, RecipeDocument, RouterOptions, parse_recipe_str, preview,
};
use serde_json::{Value, json};

/// Samplers, an expression, an llm-text column and an llm-judge column.
fn recipe(endpoint: &str, provider_extra: Value, parallel: u64) -> RecipeDocument {
    let mut provider = json!({"name": "stub", "endpoint": endpoint, "provider_type": "openai"});
    for (k, v) in provider_extra.as_object().unwrap() {
        provider[k] = v.clone();
    }
    parse_recipe_str(
        &json!({
            "recipe": {
                "model_providers": [provider],
                "model_configs": [{"alias": "writer", "provider": "stub", "model": "stub-model",
                                   "inference_parameters": {"temperature": 0.7, "max_tokens": 64,
                                                            "max_parallel_requests": parallel}}],
                "columns": [
                    {"name": "animal", "column_type": "sampler", "sampler_type": "category",
                     "params": {"values": ["cat", "dog", "owl"]}},
                    {"name": "age", "column_type": "sampler", "sampler_type": "uniform",
                     "params": {"low": 1, "high": 15}, "convert_to": "int"},
                    {"name": "title", "column_type": "expression",
                     "expr": "A {{ age }}-year-old {{ animal }}"},
                    {"name": "story", "column_type": "llm-text", "model_alias": "writer",
                     "system_prompt": "You write one-line stories.",
                     "prompt": "Write a story titled: {{ title }}"},
                    {"name": "grade", "column_type": "llm-judge", "model_alias": "writer",
                     "prompt": "Grade this story: {{ story }}",
                     "scores": [{"name": "fun", "description": "How fun it is",
                                 "options": {"1": "dull", "2": "fine", "3": "great"}}]}
                ]
            }
        })
        .to_string(),
    )
    .unwrap()
}

fn stub() -> StubServer {
    StubServer::start(|request, _| {
        let prompt = &request.messages.last().unwrap().content;
        if prompt.starts_with("Grade") {
            StubReply::Text("{\"fun\": {\"score\": \"3\", \"reasoning\": \"an owl\"}}".into())
        } else {
            let title = prompt.trim_start_matches("Write a story titled: ");
            StubReply::Delay(
                Duration::from_millis(20),
                Box::new(StubReply::Text(format!("Once, {title} flew away."))),
            )
        }
    })
}

fn router(doc: &RecipeDocument) -> ModelRouter {
    ModelRouter::new(doc, &RouterOptions::default()).unwrap()
}

#[test]
fn five_rows_preview_against_an_openai_compatible_server() {
    let server = stub();
    let doc = recipe(&server.base_url(), json!({}), 2);
    let router = router(&doc);
    let options = PreviewOptions {
        rows: 5,
        seed: 3,
        max_attempts: 2,
    };
    let out = preview(&doc, &options, Some(&router)).unwrap();
    assert_eq!(out.columns, ["animal", "age", "title", "story", "grade"]);
    assert_eq!(out.rows.len(), 5);
    for row in &out.rows {
        let title = row["title"].as_str().unwrap();
        assert_eq!(row["story"], format!("Once, {title} flew away."));
        assert_eq!(row["grade"]["fun"]["score"], "3");
        assert!((1..=15).contains(&row["age"].as_i64().unwrap()));
    }
    // Two requests per row; usage comes from the server's counts.
    assert_eq!(server.requests(), 10);
    let usage = &out.usage["writer"];
    assert_eq!(usage.requests, 10);
    assert!(usage.prompt_tokens > 0 && usage.completion_tokens > 0);
    // At most the configured two requests at once.
    assert!(server.max_in_flight() <= 2, "{}", server.max_in_flight());

    // The same seed gives the same rows.
    let again = preview(&doc, &options, Some(&router)).unwrap();
    assert_eq!(again.rows, out.rows);
}

#[test]
fn requests_carry_the_model_the_parameters_and_the_key_from_the_environment() {
    let server = StubServer::start(|request, _| {
        let ok = request.model == "stub-model"
            && request.authorization.as_deref() == Some("Bearer s3cret")
            && request.body["max_tokens"] == 64
            && request.messages[0].role == "system";
        if request
            .messages
            .last()
            .unwrap()
            .content
            .starts_with("Grade")
        {
            StubReply::Text("{\"fun\": 2}".into())
        } else if ok {
            StubReply::Text("fine".into())
        } else {
            StubReply::Status(400, format!("unexpected request: {}", request.body))
        }
    });
    // SAFETY: the variable name is unique to this test.
    unsafe { std::env::set_var("LORIS_RECIPES_TEST_KEY", "s3cret") };
    let doc = recipe(
        &server.base_url(),
        json!({"api_key_env": "LORIS_RECIPES_TEST_KEY"}),
        4,
    );
    let out = preview(
        &doc,
        &PreviewOptions {
            rows: 2,
            ..PreviewOptions::default()
        },
        Some(&router(&doc)),
    )
    .unwrap();
    assert_eq!(out.rows[0]["story"], "fine");
    assert_eq!(out.rows[0]["grade"]["fun"]["score"], 2);
}

#[test]
fn a_server_error_names_the_column_and_never_the_key() {
    let server = StubServer::start(|_, _| StubReply::Status(401, "bad key".into()));
    let doc = recipe(&server.base_url(), json!({"api_key": "sk-hidden-123"}), 1);
    let err = preview(&doc, &PreviewOptions::default(), Some(&router(&doc))).unwrap_err();
    assert_eq!(err.code(), "recipe_llm_failed");
    let text = err.to_string();
    assert!(text.contains("story") && text.contains("401"), "{text}");
    assert!(!text.contains("sk-hidden-123"), "{text}");
}

#[test]
fn setup_problems_are_typed() {
    // A missing environment variable for the key.
    let doc = recipe(
        "http://127.0.0.1:9/v1",
        json!({"api_key_env": "LORIS_RECIPES_TEST_UNSET_VAR"}),
        1,
    );
    let err = ModelRouter::new(&doc, &RouterOptions::default())
        .err()
        .unwrap();
    assert_eq!(err.code(), "recipe_provider_setup");
    assert!(
        err.to_string().contains("LORIS_RECIPES_TEST_UNSET_VAR"),
        "{err}"
    );

    // A local provider with no model loaded.
    let mut local = recipe("http://x/v1", json!({}), 1);
    local.recipe.model_providers.as_mut().unwrap()[0].provider_type = Some("local".into());
    let err = ModelRouter::new(&local, &RouterOptions::default())
        .err()
        .unwrap();
    assert_eq!(err.code(), "recipe_provider_setup");

    // A key from the keychain.
    let doc = recipe(
        "http://127.0.0.1:9/v1",
        json!({"api_key_keychain": "provider.stub"}),
        1,
    );
    let options = RouterOptions {
        keychain: Some(Arc::new(|name: &str| {
            Ok((name == "provider.stub").then(|| "from-keychain".to_string()))
        })),
        cancelled: Arc::new(AtomicBool::new(false)),
        local: None,
    };
    assert!(ModelRouter::new(&doc, &options).is_ok());
}
