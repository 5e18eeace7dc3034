//! Validation columns, llm-code, seeds from files and documents, and schema_transform, through
//! previews; and the validation errors of their settings, each with its JSON path.

use std::path::Path;

use loris_recipes::seeds::load_recipe_seed;
use loris_recipes::{
    LlmCall, LlmProvider, LlmReply, PreviewOptions, ProviderError, RecipeDocument, RecipeError,
    SeedRows, parse_recipe_str, preview, preview_with_seed, validate,
};
use serde_json::{Value, json};

fn doc(recipe: Value) -> RecipeDocument {
    parse_recipe_str(&json!({ "recipe": recipe }).to_string()).unwrap()
}

fn rows(n: usize) -> PreviewOptions {
    PreviewOptions {
        rows: n,
        seed: 1,
        max_attempts: 1,
    }
}

#[test]
fn validation_columns_check_python_sql_and_typescript() {
    let recipe = doc(json!({"columns": [
        {"name": "kind", "column_type": "sampler", "sampler_type": "category",
         "params": {"values": ["good"]}},
        {"name": "py", "column_type": "expression",
         "expr": "{% if kind == 'good' %}def f(x):\n    return x * 2{% endif %}"},
        {"name": "py_bad", "column_type": "expression", "expr": "def f(:\n  pass"},
        {"name": "sql", "column_type": "expression",
         "expr": "INSERT INTO t VALUES (1); SELECT count(*) FROM t;"},
        {"name": "ts", "column_type": "expression", "expr": "const n: number = 1;"},
        {"name": "py_check", "column_type": "validation", "target_columns": ["py", "py_bad"],
         "validator_type": "code", "validator_params": {"code_lang": "python"}},
        {"name": "sql_check", "column_type": "validation", "target_columns": ["sql"],
         "validator_type": "code",
         "validator_params": {"code_lang": "sql:sqlite", "sqlite_setup": "CREATE TABLE t (x INT);"}},
        {"name": "sql_no_table", "column_type": "validation", "target_columns": ["sql"],
         "validator_type": "code", "validator_params": {"code_lang": "sql:sqlite"}},
        {"name": "ts_check", "column_type": "validation", "target_columns": ["ts"],
         "validator_type": "local_callable",
         "validator_params": {"validation_function": "unsloth_oxc_validator:typescript:syntax:auto"}},
        {"name": "js_check", "column_type": "validation", "target_columns": ["ts"],
         "validator_type": "code", "validator_params": {"code_lang": "javascript"}}
    ]}));
    let out = preview(&recipe, &rows(1), None).unwrap();
    let row = &out.rows[0];
    let py = &row["py_check"];
    assert_eq!(py["is_valid"], false, "{py}");
    assert_eq!(py["targets"]["py"]["is_valid"], true);
    assert_eq!(py["targets"]["py_bad"]["is_valid"], false);
    assert_eq!(py["targets"]["py_bad"]["error_messages"][0]["line"], 1);
    assert_eq!(row["sql_check"]["is_valid"], true, "{}", row["sql_check"]);
    assert_eq!(row["sql_no_table"]["is_valid"], false);
    assert!(
        row["sql_no_table"]["error_messages"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no such table")
    );
    assert_eq!(row["ts_check"]["is_valid"], true, "{}", row["ts_check"]);
    assert_eq!(
        row["js_check"]["is_valid"], false,
        "type annotations are not JavaScript"
    );
}

/// Answers code prompts with fenced code, other prompts with their own text.
struct Coder;

impl LlmProvider for Coder {
    fn complete(&self, call: &LlmCall<'_>) -> Result<LlmReply, ProviderError> {
        let text = if call.prompt.contains("SQL") {
            "Here you go:\n```sql\nSELECT 1 AS one;\n```\nEnjoy.".to_string()
        } else {
            format!("[{}]", call.prompt)
        };
        Ok(LlmReply {
            text,
            prompt_tokens: 1,
            completion_tokens: 1,
        })
    }
}

#[test]
fn llm_code_keeps_the_code_and_a_validator_checks_it() {
    let recipe = doc(json!({
        "model_configs": [{"alias": "m"}],
        "columns": [
            {"name": "query", "column_type": "llm-code", "model_alias": "m",
             "prompt": "Write SQL", "code_lang": "sql:sqlite"},
            {"name": "valid", "column_type": "validation", "target_columns": ["query"],
             "validator_params": {"code_lang": "sql:sqlite"}}
        ]
    }));
    let out = preview(&recipe, &rows(2), Some(&Coder)).unwrap();
    assert_eq!(out.rows[0]["query"], "SELECT 1 AS one;");
    assert_eq!(out.rows[1]["valid"]["is_valid"], true);
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn seed_datasets_start_every_row_and_templates_use_their_columns() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "seed.jsonl",
        "{\"q\": \"one\", \"n\": 1}\n{\"q\": \"two\", \"n\": 2}\n{\"q\": \"three\", \"n\": 3}\n",
    );
    write(dir.path(), "seed.csv", "q,n\nalpha,1\nbeta,2\n");
    let recipe = |seed: Value| {
        doc(json!({
            "seed_config": seed,
            "model_configs": [{"alias": "m"}],
            "columns": [
                {"name": "answer", "column_type": "llm-text", "model_alias": "m",
                 "prompt": "Answer {{ q }}"},
                {"name": "double", "column_type": "expression", "expr": "{{ n | int * 2 }}",
                 "dtype": "int"}
            ],
            "processors": [{"processor_type": "drop_columns", "column_names": ["n"]}]
        }))
    };
    let ordered = recipe(
        json!({"source": {"seed_type": "local", "path": "seed.jsonl"},
                                "sampling_strategy": "ordered"}),
    );
    let seed = load_recipe_seed(&ordered, dir.path(), 0).unwrap().unwrap();
    let out = preview_with_seed(
        &ordered,
        &rows(4),
        Some(&Coder),
        Some(&seed as &dyn SeedRows),
    )
    .unwrap();
    assert_eq!(out.columns, ["q", "answer", "double"]);
    let qs: Vec<&str> = out.rows.iter().map(|r| r["q"].as_str().unwrap()).collect();
    // Seeds cycle when the run is longer than the seed.
    assert_eq!(qs, ["one", "two", "three", "one"]);
    assert_eq!(out.rows[1]["answer"], "[Answer two]");
    assert_eq!(out.rows[2]["double"], 6);

    // A partition of a CSV file.
    let csv = recipe(json!({"source": {"path": "seed.csv"},
                            "selection_strategy": {"index": 1, "num_partitions": 2}}));
    let seed = load_recipe_seed(&csv, dir.path(), 0).unwrap().unwrap();
    let out =
        preview_with_seed(&csv, &rows(2), Some(&Coder), Some(&seed as &dyn SeedRows)).unwrap();
    assert!(out.rows.iter().all(|r| r["q"] == "beta"), "{:?}", out.rows);

    // Shuffled: reproducible from the seed.
    let shuffled =
        recipe(json!({"source": {"path": "seed.jsonl"}, "sampling_strategy": "shuffle"}));
    let a = load_recipe_seed(&shuffled, dir.path(), 5).unwrap().unwrap();
    let b = load_recipe_seed(&shuffled, dir.path(), 5).unwrap().unwrap();
    assert_eq!(a.rows(), b.rows());

    // Without the seed's columns, the same recipe does not validate.
    let err = preview(&ordered, &rows(1), Some(&Coder)).unwrap_err();
    assert_eq!(err.code(), "recipe_invalid");

    // A seed file that is not there.
    let missing = recipe(json!({"source": {"path": "nope.jsonl"}}));
    let err = load_recipe_seed(&missing, dir.path(), 0).unwrap_err();
    assert!(matches!(err, RecipeError::Seed { .. }), "{err:?}");
    assert_eq!(err.code(), "tabular_io");
}

#[test]
fn documents_are_split_into_chunks_that_seed_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let paragraph = "Loris Studio keeps every model on your machine. ".repeat(20);
    write(
        dir.path(),
        "notes.md",
        &format!("# Notes\r\n\r\n{paragraph}\r\n\r\n\r\n\r\n{paragraph}"),
    );
    let recipe = doc(json!({
        "seed_config": {"source": {"seed_type": "unstructured", "path": "notes.md",
                                   "chunk_size": 300, "chunk_overlap": 50}},
        "model_configs": [{"alias": "m"}],
        "columns": [{"name": "question", "column_type": "llm-text", "model_alias": "m",
                     "prompt": "Ask about: {{ chunk_text }}"}]
    }));
    let seed = load_recipe_seed(&recipe, dir.path(), 0).unwrap().unwrap();
    assert!(seed.len() >= 6, "{} chunks", seed.len());
    let out = preview_with_seed(
        &recipe,
        &rows(3),
        Some(&Coder),
        Some(&seed as &dyn SeedRows),
    )
    .unwrap();
    for row in &out.rows {
        let chunk = row["chunk_text"].as_str().unwrap();
        assert!(chunk.chars().count() <= 300);
        assert!(!chunk.contains('\r'));
        assert_eq!(row["question"], format!("[Ask about: {chunk}]"));
    }
}

#[test]
fn settings_of_validators_processors_and_models_are_checked_with_their_paths() {
    let recipe = doc(json!({
        "model_configs": [{"alias": "m", "inference_parameters": {"temperature": 9}}],
        "columns": [
            {"name": "a", "column_type": "expression", "expr": "x"},
            {"name": "v1", "column_type": "validation", "target_columns": ["a"],
             "validator_params": {"code_lang": "cobol"}},
            {"name": "v2", "column_type": "validation", "target_columns": ["a"],
             "validator_type": "remote", "validator_params": {}},
            {"name": "v3", "column_type": "validation", "target_columns": ["a"],
             "validator_type": "local_callable",
             "validator_params": {"validation_function": "def f(df): return df"}}
        ],
        "processors": [
            {"processor_type": "schema_transform", "template": {"x": "{{ a }}"}},
            {"processor_type": "schema_transform", "name": "out", "template": "nope"},
            {"processor_type": "schema_transform", "name": "ok",
             "template": {"m": [{"content": "{{ ghost }}"}]}}
        ]
    }));
    let errors = validate(&recipe).unwrap_err();
    let found: Vec<(&str, &str)> = errors.iter().map(|e| (e.code(), e.path())).collect();
    for expected in [
        (
            "recipe_invalid_params",
            "recipe.model_configs[0].inference_parameters.temperature",
        ),
        (
            "recipe_invalid_params",
            "recipe.columns[1].validator_params.code_lang",
        ),
        ("recipe_invalid_params", "recipe.columns[2].validator_type"),
        (
            "recipe_invalid_params",
            "recipe.columns[3].validator_params.validation_function",
        ),
        ("recipe_invalid_params", "recipe.processors[0].name"),
        ("recipe_invalid_params", "recipe.processors[1].template"),
        (
            "recipe_unknown_reference",
            "recipe.processors[2].template.m[0].content",
        ),
    ] {
        assert!(found.contains(&expected), "{expected:?} not in {found:?}");
    }
}
