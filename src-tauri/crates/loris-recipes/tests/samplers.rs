//! Every sampler type and expression columns, through a preview.

use loris_recipes::{PreviewOptions, parse_recipe_str, preview};
use serde_json::{Value, json};

fn all_samplers() -> Value {
    json!({
        "recipe": {
            "columns": [
                {"name": "topic", "column_type": "sampler", "sampler_type": "category",
                 "params": {"values": ["math", "art", "music"], "weights": [0.5, 0.3, 0.2]}},
                {"name": "subtopic", "column_type": "sampler", "sampler_type": "subcategory",
                 "params": {"category": "topic", "values": {
                     "math": ["algebra", "geometry"], "art": ["painting"], "music": ["jazz", "opera"]}}},
                {"name": "score", "column_type": "sampler", "sampler_type": "uniform",
                 "params": {"low": 1, "high": 10}, "convert_to": "int"},
                {"name": "height", "column_type": "sampler", "sampler_type": "gaussian",
                 "params": {"mean": 170, "stddev": 10, "decimal_places": 1}},
                {"name": "flag", "column_type": "sampler", "sampler_type": "bernoulli",
                 "params": {"p": 0.5}},
                {"name": "start", "column_type": "sampler", "sampler_type": "datetime",
                 "params": {"start": "2024-01-01", "end": "2024-12-31", "unit": "D"}},
                {"name": "end", "column_type": "sampler", "sampler_type": "timedelta",
                 "params": {"dt_min": 1, "dt_max": 30, "reference_column_name": "start", "unit": "D"}},
                {"name": "id", "column_type": "sampler", "sampler_type": "uuid",
                 "params": {"prefix": "ID-", "short_form": true, "uppercase": true}},
                {"name": "person", "column_type": "sampler", "sampler_type": "person",
                 "params": {"locale": "en_US", "sex": "Female", "age_range": [20, 30]}},
                {"name": "label", "column_type": "expression",
                 "expr": "{{ topic }}/{{ subtopic }} by {{ person.first_name }}"},
                {"name": "double", "column_type": "expression", "expr": "{{ score * 2 }}", "dtype": "int"},
                {"name": "score_text", "column_type": "sampler", "sampler_type": "uniform",
                 "params": {"low": 0, "high": 1}, "convert_to": "str"}
            ]
        }
    })
}

fn rows(doc: &Value, rows: usize, seed: u64) -> Vec<serde_json::Map<String, Value>> {
    let doc = parse_recipe_str(&doc.to_string()).unwrap();
    preview(
        &doc,
        &PreviewOptions {
            rows,
            seed,
            max_attempts: 3,
        },
        None,
    )
    .unwrap()
    .rows
}

#[test]
fn same_seed_same_rows_other_seed_other_rows() {
    let doc = all_samplers();
    let a = rows(&doc, 20, 42);
    let b = rows(&doc, 20, 42);
    let c = rows(&doc, 20, 43);
    assert_eq!(a, b);
    // Every sampler column differs somewhere under another seed.
    for column in [
        "topic",
        "score",
        "height",
        "flag",
        "start",
        "end",
        "id",
        "person",
        "score_text",
    ] {
        let x: Vec<&Value> = a.iter().map(|r| &r[column]).collect();
        let y: Vec<&Value> = c.iter().map(|r| &r[column]).collect();
        assert_ne!(x, y, "{column}");
    }
}

#[test]
fn every_sampler_respects_its_params() {
    let parents =
        json!({"math": ["algebra", "geometry"], "art": ["painting"], "music": ["jazz", "opera"]});
    for row in rows(&all_samplers(), 200, 7) {
        let topic = row["topic"].as_str().unwrap();
        let subs = parents[topic].as_array().unwrap();
        assert!(subs.contains(&row["subtopic"]), "{row:?}");
        let score = row["score"].as_i64().unwrap();
        assert!((1..=10).contains(&score));
        let height = row["height"].as_f64().unwrap();
        assert!((100.0..240.0).contains(&height));
        assert_eq!((height * 10.0).round(), height * 10.0);
        assert!(row["flag"] == json!(0) || row["flag"] == json!(1));
        let start = row["start"].as_str().unwrap();
        assert!(start.starts_with("2024-") && start.len() == 10, "{start}");
        let end = row["end"].as_str().unwrap();
        assert!(end > start, "{start} {end}");
        let id = row["id"].as_str().unwrap();
        assert!(id.starts_with("ID-") && id.len() == 11, "{id}");
        assert_eq!(&id[3..], id[3..].to_uppercase());
        let person = &row["person"];
        assert_eq!(person["sex"], "Female");
        let age = person["age"].as_i64().unwrap();
        assert!((20..=30).contains(&age));
        let label = format!(
            "{topic}/{} by {}",
            row["subtopic"].as_str().unwrap(),
            person["first_name"].as_str().unwrap()
        );
        assert_eq!(row["label"], json!(label));
        assert_eq!(row["double"].as_i64().unwrap(), score * 2);
        assert!(row["score_text"].is_string());
    }
}

#[test]
fn weights_shape_the_category_counts() {
    let all = rows(&all_samplers(), 1000, 3);
    let math = all.iter().filter(|r| r["topic"] == "math").count();
    let music = all.iter().filter(|r| r["topic"] == "music").count();
    assert!(
        math > music * 2 - 100 && math > 400,
        "math {math}, music {music}"
    );
}

#[test]
fn conditional_params_switch_on_the_row() {
    let doc = json!({"recipe": {"columns": [
        {"name": "kind", "column_type": "sampler", "sampler_type": "category",
         "params": {"values": ["small", "big"]}},
        {"name": "size", "column_type": "sampler", "sampler_type": "uniform",
         "params": {"low": 0, "high": 1},
         "conditional_params": {"kind == 'big'": {"low": 100, "high": 101}}}
    ]}});
    for row in rows(&doc, 50, 1) {
        let size = row["size"].as_f64().unwrap();
        if row["kind"] == "big" {
            assert!((100.0..=101.0).contains(&size));
        } else {
            assert!((0.0..=1.0).contains(&size));
        }
    }
}

#[test]
fn datetime_units_and_uuid_defaults() {
    let doc = json!({"recipe": {"columns": [
        {"name": "when", "column_type": "sampler", "sampler_type": "datetime",
         "params": {"start": "2024-01-01T00:00:00", "end": "2024-01-02T00:00:00", "unit": "h"}},
        {"name": "month", "column_type": "sampler", "sampler_type": "datetime",
         "params": {"start": "2020-01-15", "end": "2021-01-15", "unit": "M"}},
        {"name": "later", "column_type": "sampler", "sampler_type": "timedelta",
         "params": {"dt_min": 1, "dt_max": 3, "reference_column_name": "when", "unit": "h"}},
        {"name": "id", "column_type": "sampler", "sampler_type": "uuid", "params": {}}
    ]}});
    for row in rows(&doc, 30, 9) {
        let when = row["when"].as_str().unwrap();
        assert!(
            when.starts_with("2024-01-0") && when.ends_with(":00:00"),
            "{when}"
        );
        let month = row["month"].as_str().unwrap();
        assert!(
            month.ends_with("-15") && ("2020-01-15"..="2021-01-15").contains(&month),
            "{month}"
        );
        let later = row["later"].as_str().unwrap();
        assert!(later > when && later.len() == 19, "{when} {later}");
        let id = row["id"].as_str().unwrap();
        assert!(uuid_like(id), "{id}");
    }
}

fn uuid_like(id: &str) -> bool {
    id.len() == 36 && id.chars().filter(|c| *c == '-').count() == 4 && id == id.to_lowercase()
}

#[test]
fn expressions_convert_dtypes_and_report_render_errors() {
    let doc = json!({"recipe": {"columns": [
        {"name": "a", "column_type": "sampler", "sampler_type": "uniform",
         "params": {"low": 2, "high": 3}, "convert_to": "float"},
        {"name": "big", "column_type": "expression", "expr": "{{ a > 1 }}", "dtype": "bool"},
        {"name": "half", "column_type": "expression", "expr": "{{ a / 2 }}", "dtype": "float"},
        {"name": "text", "column_type": "expression", "expr": "{% if big %}big{% else %}small{% endif %}"}
    ]}});
    for row in rows(&doc, 5, 0) {
        assert_eq!(row["big"], json!(true));
        let half = row["half"].as_f64().unwrap();
        assert!((1.0..=1.5).contains(&half));
        assert_eq!(row["text"], "big");
    }

    let bad = json!({"recipe": {"columns": [
        {"name": "n", "column_type": "expression", "expr": "not a number", "dtype": "int"}
    ]}});
    let doc = parse_recipe_str(&bad.to_string()).unwrap();
    let err = preview(&doc, &PreviewOptions::default(), None).unwrap_err();
    assert_eq!(err.code(), "recipe_render_failed");
    assert!(err.to_string().contains("`n`"), "{err}");
}

#[test]
fn dropped_columns_leave_the_output() {
    let doc = json!({"recipe": {
        "columns": [
            {"name": "a", "column_type": "sampler", "sampler_type": "bernoulli", "params": {"p": 1.0}},
            {"name": "b", "column_type": "expression", "expr": "{{ a }}", "drop": true},
            {"name": "c", "column_type": "expression", "expr": "{{ b }}!"}
        ],
        "processors": [{"processor_type": "drop_columns", "column_names": ["a"]}]
    }});
    let parsed = parse_recipe_str(&doc.to_string()).unwrap();
    let out = preview(
        &parsed,
        &PreviewOptions {
            rows: 2,
            ..Default::default()
        },
        None,
    )
    .unwrap();
    assert_eq!(out.columns, vec!["c"]);
    assert_eq!(out.rows[0].len(), 1);
    assert_eq!(out.rows[0]["c"], "1!");
}
