//! Every validation error, with its code and JSON path, all reported at once.

use loris_recipes::{ValidationError, parse_recipe_str, validate};
use serde_json::{Value, json};

fn errors(doc: Value) -> Vec<ValidationError> {
    let doc = parse_recipe_str(&doc.to_string()).unwrap();
    validate(&doc).expect_err("the recipe should not validate")
}

fn codes_and_paths(errors: &[ValidationError]) -> Vec<(&'static str, String)> {
    errors
        .iter()
        .map(|e| (e.code(), e.path().to_string()))
        .collect()
}

fn models() -> Value {
    json!({
        "model_providers": [{"name": "local", "endpoint": "http://127.0.0.1:8080/v1"}],
        "model_configs": [{"alias": "writer", "model": "qwen", "provider": "local"}]
    })
}

#[test]
fn a_valid_recipe_gets_a_dependency_order() {
    let mut recipe = models();
    recipe["columns"] = json!([
        {"name": "summary", "column_type": "llm-text", "model_alias": "writer",
         "prompt": "Summarize {{ text }} about {{ topic }}"},
        {"name": "text", "column_type": "expression", "expr": "{{ topic | upper }}"},
        {"name": "topic", "column_type": "sampler", "sampler_type": "category",
         "params": {"values": ["a"]}},
        {"name": "check", "column_type": "validation", "target_columns": ["summary"],
         "validator_type": "code", "validator_params": {"code_lang": "python"}}
    ]);
    let doc = parse_recipe_str(&json!({ "recipe": recipe }).to_string()).unwrap();
    let plan = validate(&doc).unwrap();
    assert_eq!(plan.order_names, vec!["topic", "text", "summary", "check"]);
    assert_eq!(plan.order, vec![2, 1, 0, 3]);
}

#[test]
fn a_three_column_cycle_is_listed_in_order() {
    let errs = errors(json!({"recipe": {"columns": [
        {"name": "free", "column_type": "sampler", "sampler_type": "bernoulli", "params": {"p": 0.5}},
        {"name": "a", "column_type": "expression", "expr": "{{ b }}"},
        {"name": "b", "column_type": "expression", "expr": "{{ c }} {{ free }}"},
        {"name": "c", "column_type": "expression", "expr": "{{ a }}"}
    ]}}));
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(
        errs[0],
        ValidationError::Cycle {
            path: "recipe.columns[1]".into(),
            columns: vec!["a".into(), "b".into(), "c".into()],
        }
    );
    assert_eq!(errs[0].code(), "recipe_cycle");
    assert!(
        errs[0].to_string().contains("a -> b -> c -> a"),
        "{}",
        errs[0]
    );
}

#[test]
fn a_column_that_uses_itself_is_a_cycle() {
    let errs = errors(json!({"recipe": {"columns": [
        {"name": "x", "column_type": "expression", "expr": "{{ x }}"}
    ]}}));
    assert_eq!(
        codes_and_paths(&errs),
        vec![("recipe_cycle", "recipe.columns[0]".to_string())]
    );
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let recipe = json!({
        "model_providers": [{"name": "local"}],
        "model_configs": [
            {"alias": "writer", "model": "m", "provider": "local"},
            {"alias": "orphan", "model": "m", "provider": "elsewhere"}
        ],
        "columns": [
            {"name": "topic", "column_type": "sampler", "sampler_type": "category",
             "params": {"values": ["a", "b"]}},
            {"name": "topic", "column_type": "expression", "expr": "x"},
            {"name": "story", "column_type": "llm-text", "model_alias": "nobody",
             "prompt": "About {{ topic }}", "system_prompt": "Be {{ tone }}"},
            {"name": "sub", "column_type": "sampler", "sampler_type": "subcategory",
             "params": {"category": "missing_parent", "values": {"a": ["x"]}}},
            {"name": "later", "column_type": "sampler", "sampler_type": "timedelta",
             "params": {"dt_min": 0, "dt_max": 3, "reference_column_name": "no_date"}},
            {"name": "check", "column_type": "validation", "target_columns": ["story", "ghost"],
             "validator_params": {"code_lang": "sql:sqlite"}},
            {"name": "data", "column_type": "llm-structured", "model_alias": "writer",
             "prompt": "json please", "output_format": {"type": "array", "items": {}}},
            {"name": "data2", "column_type": "llm-structured", "model_alias": "writer",
             "prompt": "json please", "output_format": "not json"},
            {"name": "broken", "column_type": "expression", "expr": "{{ unclosed"},
            {"name": "coin", "column_type": "sampler", "sampler_type": "bernoulli",
             "params": {"p": 2}},
            {"name": "dice", "column_type": "sampler", "sampler_type": "poisson", "params": {}}
        ],
        "processors": [{"processor_type": "drop_columns", "column_names": ["nowhere"]}]
    });
    let errs = errors(json!({ "recipe": recipe }));
    let got = codes_and_paths(&errs);
    let expected: Vec<(&str, &str)> = vec![
        ("recipe_duplicate_name", "recipe.columns[1].name"),
        (
            "recipe_missing_provider",
            "recipe.model_configs[1].provider",
        ),
        (
            "recipe_missing_model_config",
            "recipe.columns[2].model_alias",
        ),
        (
            "recipe_unknown_reference",
            "recipe.columns[2].system_prompt",
        ),
        (
            "recipe_unknown_reference",
            "recipe.columns[3].params.category",
        ),
        (
            "recipe_unknown_reference",
            "recipe.columns[4].params.reference_column_name",
        ),
        (
            "recipe_unknown_reference",
            "recipe.columns[5].target_columns[1]",
        ),
        ("recipe_invalid_schema", "recipe.columns[6].output_format"),
        ("recipe_invalid_schema", "recipe.columns[7].output_format"),
        ("recipe_invalid_template", "recipe.columns[8].expr"),
        ("recipe_invalid_params", "recipe.columns[9].params.p"),
        ("recipe_invalid_params", "recipe.columns[10].sampler_type"),
        (
            "recipe_unknown_reference",
            "recipe.processors[0].column_names[0]",
        ),
    ];
    let expected: Vec<(&str, String)> = expected
        .into_iter()
        .map(|(c, p)| (c, p.to_string()))
        .collect();
    assert_eq!(got, expected, "{errs:#?}");
    let tone = errs
        .iter()
        .find(|e| e.path() == "recipe.columns[2].system_prompt")
        .unwrap();
    assert_eq!(
        *tone,
        ValidationError::UnknownReference {
            path: "recipe.columns[2].system_prompt".into(),
            column: "story".into(),
            reference: "tone".into(),
        }
    );
}

#[test]
fn unknown_reference_in_a_prompt_and_a_bad_param_type() {
    let mut recipe = models();
    recipe["columns"] = json!([
        {"name": "q", "column_type": "llm-text", "model_alias": "writer", "prompt": "{{ nope }}"},
        {"name": "u", "column_type": "sampler", "sampler_type": "uniform",
         "params": {"low": "one", "high": 2}}
    ]);
    let errs = errors(json!({ "recipe": recipe }));
    assert_eq!(
        codes_and_paths(&errs),
        vec![
            (
                "recipe_unknown_reference",
                "recipe.columns[0].prompt".to_string()
            ),
            (
                "recipe_invalid_params",
                "recipe.columns[1].params.low".to_string()
            ),
        ]
    );
}

#[test]
fn jinja_globals_and_loop_variables_are_not_references() {
    let doc = parse_recipe_str(
        &json!({"recipe": {"columns": [
            {"name": "n", "column_type": "expression",
             "expr": "{% for i in range(3) %}{{ loop.index }}{{ i }}{% endfor %}{% set x = 1 %}{{ x }}"}
        ]}})
        .to_string(),
    )
    .unwrap();
    assert!(validate(&doc).is_ok());
}
