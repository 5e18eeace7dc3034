//! `loris recipe validate` and `loris recipe preview` as a script would use them.

use std::path::Path;
use std::process::{Command, Output};

fn loris(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loris"))
        .args(args)
        .env("LORIS_HOME", home)
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

const RECIPE: &str = r#"{
  "recipe": {
    "columns": [
      {"name": "animal", "column_type": "sampler", "sampler_type": "category",
       "params": {"values": ["cat", "dog"]}},
      {"name": "age", "column_type": "sampler", "sampler_type": "uniform",
       "params": {"low": 1, "high": 15}, "convert_to": "int"},
      {"name": "line", "column_type": "expression", "expr": "a {{ age }} year old {{ animal }}"}
    ]
  },
  "ui": {"nodes": [], "edges": []}
}"#;

const BROKEN: &str = r#"{
  "recipe": {
    "columns": [
      {"name": "a", "column_type": "expression", "expr": "{{ b }}"},
      {"name": "b", "column_type": "expression", "expr": "{{ a }} {{ ghost }}"}
    ]
  }
}"#;

#[test]
fn validate_prints_the_order_or_every_error() {
    let home = tempfile::tempdir().unwrap();
    let good = home.path().join("good.json");
    std::fs::write(&good, RECIPE).unwrap();
    let out = loris(home.path(), &["recipe", "validate", good.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("order: animal, age, line"));

    let out = loris(
        home.path(),
        &["recipe", "validate", good.to_str().unwrap(), "--json"],
    );
    assert!(out.status.success());
    assert_eq!(
        json(&out)["order"],
        serde_json::json!(["animal", "age", "line"])
    );

    let bad = home.path().join("bad.json");
    std::fs::write(&bad, BROKEN).unwrap();
    let out = loris(home.path(), &["recipe", "validate", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("recipe_unknown_reference  recipe.columns[1].expr"),
        "{stderr}"
    );
    assert!(
        stderr.contains("recipe_cycle  recipe.columns[0]"),
        "{stderr}"
    );

    let out = loris(
        home.path(),
        &["recipe", "validate", bad.to_str().unwrap(), "--json"],
    );
    assert!(!out.status.success());
    let err = json(&out);
    assert_eq!(err["error"]["code"], "recipe_invalid");
    let errors = err["error"]["details"]["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[1]["code"], "recipe_cycle");
    assert_eq!(errors[1]["columns"], serde_json::json!(["a", "b"]));
}

#[test]
fn preview_json_has_the_rows_and_is_reproducible() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("recipe.json");
    std::fs::write(&file, RECIPE).unwrap();
    let path = file.to_str().unwrap();
    let args = ["recipe", "preview", path, "--rows", "5", "--json"];
    let out = loris(home.path(), &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let preview = json(&out);
    assert_eq!(
        preview["columns"],
        serde_json::json!(["animal", "age", "line"])
    );
    let rows = preview["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    for row in rows {
        let line = format!(
            "a {} year old {}",
            row["age"],
            row["animal"].as_str().unwrap()
        );
        assert_eq!(row["line"], line.as_str());
    }
    assert_eq!(json(&loris(home.path(), &args)), preview);

    let llm = home.path().join("llm.json");
    std::fs::write(
        &llm,
        r#"{"recipe": {"model_configs": [{"alias": "m"}], "columns": [
            {"name": "t", "column_type": "llm-text", "model_alias": "m", "prompt": "hi"}]}}"#,
    )
    .unwrap();
    let out = loris(
        home.path(),
        &["recipe", "preview", llm.to_str().unwrap(), "--json"],
    );
    // With no provider it would use the local model, and none was given with --model.
    assert!(!out.status.success());
    let error = &json(&out)["error"];
    assert_eq!(error["code"], "recipe_provider_setup");
    assert!(
        error["message"].as_str().unwrap().contains("load one"),
        "{error}"
    );

    let out = loris(
        home.path(),
        &["recipe", "preview", "/nonexistent/recipe.json", "--json"],
    );
    assert!(!out.status.success());
    assert_eq!(json(&out)["error"]["code"], "recipe_io");
}
