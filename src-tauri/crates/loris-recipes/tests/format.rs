//! Import and export: unknown fields survive, bad input gives typed errors and never panics.

use loris_core::Store;
use loris_recipes::format::{MAX_RECIPE_BYTES, to_json_value};
use loris_recipes::store::{get_recipe, save_recipe};
use loris_recipes::{Column, RecipeError, parse_recipe, parse_recipe_str, read_recipe_file};
use serde_json::{Value, json};

/// A Studio-shaped recipe with fields this build does not know at every level.
fn studio_recipe() -> Value {
    json!({
        "recipe": {
            "model_providers": [{"name": "local", "endpoint": "http://127.0.0.1:8080/v1",
                                 "provider_type": "openai", "extra_headers": {"x": "1"}}],
            "mcp_providers": [{"name": "files", "command": "mcp-files", "args": ["--root", "/"]}],
            "model_configs": [{"alias": "writer", "model": "qwen3", "provider": "local",
                               "inference_parameters": {"temperature": 0.7, "max_tokens": 512},
                               "skip_health_check": true}],
            "seed_config": {"source": {"path": "seed.jsonl"}, "sampling_strategy": "shuffle"},
            "tool_configs": [{"tool_alias": "search", "allow_tools": ["find"], "max_tool_call_turns": 3}],
            "columns": [
                {"name": "topic", "column_type": "sampler", "sampler_type": "category",
                 "params": {"values": ["a", "b"], "weights": [1, 2], "future_param": 1},
                 "convert_to": "str", "studio_color": "#fff"},
                {"name": "n", "column_type": "sampler", "sampler_type": "uniform",
                 "params": {"low": 1, "high": 5.5}},
                {"name": "text", "column_type": "llm-text", "model_alias": "writer",
                 "prompt": "Write about {{ topic }}", "system_prompt": "Be brief",
                 "with_trace": "none", "tool_alias": "search", "multi_modal_context": null},
                {"name": "code", "column_type": "llm-code", "model_alias": "writer",
                 "prompt": "Code for {{ topic }}", "code_lang": "python"},
                {"name": "data", "column_type": "llm-structured", "model_alias": "writer",
                 "prompt": "Data for {{ topic }}",
                 "output_format": {"type": "object", "properties": {"x": {"type": "integer"}}}},
                {"name": "grade", "column_type": "llm-judge", "model_alias": "writer",
                 "prompt": "Grade {{ text }}",
                 "scores": [{"name": "quality", "description": "How good",
                             "options": {"1": "bad", "2": "good"}, "weight": 2}]},
                {"name": "valid", "column_type": "validation", "target_columns": ["code"],
                 "validator_type": "code", "validator_params": {"code_lang": "python"},
                 "batch_size": 10},
                {"name": "tag", "column_type": "expression", "expr": "{{ topic }}-x",
                 "dtype": "str", "drop": false}
            ],
            "processors": [{"processor_type": "drop_columns", "column_names": ["n"],
                            "build_stage": "post_batch", "name": "drop n"}],
            "recipe_version": 3
        },
        "run": {"rows": 100, "preview": true, "output_formats": ["jsonl", "parquet"],
                "execution_type": "full", "run_name": "demo", "merge_batches": true,
                "run_config": {"buffer_size": 50}, "priority": "low"},
        "ui": {"nodes": [{"id": "n1", "position": {"x": 1.5, "y": -2}}],
               "edges": [{"source": "n1", "target": "n2"}], "layout_direction": "LR",
               "viewport": {"zoom": 0.75}},
        "schema": "studio/1"
    })
}

#[test]
fn unknown_fields_survive_parse_store_and_export() {
    let original = studio_recipe();
    let text = serde_json::to_string_pretty(&original).unwrap();
    let doc = parse_recipe_str(&text).unwrap();
    assert_eq!(doc.recipe.columns().len(), 8);
    assert!(matches!(doc.recipe.columns()[5], Column::LlmJudge(_)));
    assert_eq!(to_json_value(&doc), original);

    let store = Store::open_in_memory().unwrap();
    let saved = save_recipe(&store, None, "demo", &text).unwrap();
    let back = get_recipe(&store, &saved.id).unwrap();
    assert_eq!(back.json, text);
    let reparsed = back.document().unwrap();
    assert_eq!(reparsed, doc);
    assert_eq!(to_json_value(&reparsed), original);
    // Re-serialized text parses to the same document again.
    let exported = serde_json::to_string(&reparsed).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&exported).unwrap(), original);
}

#[test]
fn a_studio_recipe_validates() {
    let doc = parse_recipe_str(&studio_recipe().to_string()).unwrap();
    let plan = loris_recipes::validate(&doc).unwrap();
    assert_eq!(plan.order_names[0], "topic");
    assert_eq!(plan.order_names.len(), 8);
}

#[test]
fn unknown_column_type_names_its_path() {
    let mut doc = studio_recipe();
    doc["recipe"]["columns"][3]["column_type"] = json!("llm-image");
    let err = parse_recipe_str(&doc.to_string()).unwrap_err();
    assert_eq!(err.code(), "recipe_unknown_column_type");
    match err {
        RecipeError::UnknownColumnType { path, column_type } => {
            assert_eq!(path, "recipe.columns[3].column_type");
            assert_eq!(column_type, "llm-image");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_input_names_the_path() {
    let cases: Vec<(String, &str)> =
        vec![
        ("{\"recipe\": ".to_string(), "recipe"),
        ("[]".to_string(), ""),
        ("{}".to_string(), "recipe"),
        (r#"{"recipe": {"columns": {}}}"#.to_string(), "recipe.columns"),
        (
            r#"{"recipe": {"columns": [{"name": "a", "column_type": "sampler"}]}}"#.to_string(),
            "recipe.columns[0].sampler_type",
        ),
        (
            r#"{"recipe": {"columns": [{"name": "a"}]}}"#.to_string(),
            "recipe.columns[0].column_type",
        ),
        (
            r#"{"recipe": {"columns": [{"name": 3, "column_type": "expression", "expr": ""}]}}"#
                .to_string(),
            "recipe.columns[0].name",
        ),
        (
            r#"{"recipe": {"model_configs": [{"alias": "a", "provider": 1}]}}"#.to_string(),
            "recipe.model_configs[0].provider",
        ),
        (r#"{"recipe": {}, "run": {"execution_type": "later"}}"#.to_string(), "run.execution_type"),
        (r#"{"recipe": {}} trailing"#.to_string(), ""),
    ];
    for (text, path) in cases {
        let err = parse_recipe_str(&text).unwrap_err();
        assert_eq!(err.code(), "recipe_malformed", "{text}: {err}");
        match &err {
            RecipeError::Malformed { path: got, .. } => {
                if path.is_empty() {
                    assert!(got.is_empty() || got == ".", "{text}: {got}");
                } else {
                    assert_eq!(got, path, "{text}: {err}");
                }
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn hostile_input_never_panics() {
    let deep = "[".repeat(100_000);
    assert_eq!(
        parse_recipe(deep.as_bytes()).unwrap_err().code(),
        "recipe_malformed"
    );
    assert_eq!(
        parse_recipe(&[0xff, 0xfe, 0x00]).unwrap_err().code(),
        "recipe_malformed"
    );
    assert_eq!(parse_recipe(b"").unwrap_err().code(), "recipe_malformed");
    // Truncations of a real recipe at every length fail cleanly.
    let text = studio_recipe().to_string();
    for end in (0..text.len()).step_by(7) {
        let _ = parse_recipe(&text.as_bytes()[..end]);
    }
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let big = vec![b' '; MAX_RECIPE_BYTES as usize + 1];
    let err = parse_recipe(&big).unwrap_err();
    assert_eq!(err.code(), "recipe_too_large");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.json");
    std::fs::write(&path, &big).unwrap();
    assert_eq!(
        read_recipe_file(&path).unwrap_err().code(),
        "recipe_too_large"
    );
    let missing = read_recipe_file(&dir.path().join("none.json")).unwrap_err();
    assert_eq!(missing.code(), "recipe_io");
}
