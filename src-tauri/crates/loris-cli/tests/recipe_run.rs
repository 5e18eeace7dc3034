//! `loris recipe run` against an OpenAI-compatible server, killed mid-way and run again, and
//! `loris recipe preview` against the starter model loaded in-process.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use loris_llm_client::stub::{StubReply, StubServer};
use loris_testkit::{fixture_or_skip, fixtures};
use serde_json::{Value, json};

fn write_recipe(dir: &Path, recipe: &Value) -> std::path::PathBuf {
    let path = dir.join("recipe.json");
    std::fs::write(&path, serde_json::to_string_pretty(recipe).unwrap()).unwrap();
    path
}

fn batch_count(run: &Path) -> usize {
    std::fs::read_dir(run.join("batches"))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".jsonl"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn a_killed_run_resumes_and_ends_with_exactly_the_rows_asked_for() {
    let server = StubServer::start(|request, _| {
        let prompt = request.messages.last().unwrap().content.clone();
        StubReply::Delay(
            Duration::from_millis(15),
            Box::new(StubReply::Text(format!("re: {prompt}"))),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let recipe = write_recipe(
        dir.path(),
        &json!({
            "recipe": {
                "model_providers": [{"name": "stub", "endpoint": server.base_url()}],
                "model_configs": [{"alias": "w", "provider": "stub", "model": "m",
                                   "inference_parameters": {"max_parallel_requests": 2}}],
                "columns": [
                    {"name": "id", "column_type": "sampler", "sampler_type": "uuid"},
                    {"name": "topic", "column_type": "sampler", "sampler_type": "category",
                     "params": {"values": ["rain", "sun", "snow"]}},
                    {"name": "text", "column_type": "llm-text", "model_alias": "w",
                     "prompt": "A line about {{ topic }}"}
                ]
            },
            "run": {"rows": 200, "run_config": {"buffer_size": 20}}
        }),
    );
    let run_dir = dir.path().join("out");
    let args = [
        "recipe",
        "run",
        recipe.to_str().unwrap(),
        "--output",
        run_dir.to_str().unwrap(),
        "--seed",
        "5",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_loris"))
        .args(args)
        .env("LORIS_HOME", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it (no chance to clean up) once some batches are on disk.
    let deadline = Instant::now() + Duration::from_secs(120);
    while batch_count(&run_dir) < 3 {
        assert!(Instant::now() < deadline, "no batches were written");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it was killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let written = batch_count(&run_dir);
    assert!(written < 10, "the run finished before it was killed");
    let requests_before = server.requests();

    let out = Command::new(env!("CARGO_BIN_EXE_loris"))
        .args(args)
        .arg("--json")
        .env("LORIS_HOME", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The progress lines come first, then the summary.
    let lines: Vec<&str> = stdout.lines().collect();
    let started: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(started["type"], "started");
    // The batch being written at the kill may have its files but not its place in run.json:
    // that one is written again.
    let resumed_batches = started["resumed_batches"].as_u64().unwrap() as usize;
    assert!(
        resumed_batches >= written - 1 && resumed_batches >= 2,
        "{started}"
    );
    let rows = loris_tabular::read_rows(&run_dir.join("dataset.jsonl")).unwrap();
    assert_eq!(rows.len(), 200);
    let ids: HashSet<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 200, "no duplicates");
    for row in &rows {
        assert_eq!(
            row["text"],
            format!("re: A line about {}", row["topic"].as_str().unwrap())
        );
    }
    // Only the missing rows were asked for again (a batch cut off mid-way at most twice).
    let resumed = server.requests() - requests_before;
    assert_eq!(
        resumed,
        200 - resumed_batches as u64 * 20,
        "requests on resume"
    );
    let parquet = loris_tabular::read_rows(&run_dir.join("dataset.parquet")).unwrap();
    assert_eq!(parquet.len(), 200);
}

#[test]
fn five_rows_preview_against_the_starter_model_in_process() {
    let model = fixture_or_skip!(fixtures::smollm2_gguf());
    let dir = tempfile::tempdir().unwrap();
    let recipe = write_recipe(
        dir.path(),
        &json!({
            "recipe": {
                "model_providers": [{"name": "app", "provider_type": "local"}],
                "model_configs": [{"alias": "small", "provider": "app", "model": "starter",
                                   "inference_parameters": {"temperature": 0, "max_tokens": 96}}],
                "columns": [
                    {"name": "city", "column_type": "sampler", "sampler_type": "category",
                     "params": {"values": ["Paris", "Rome", "Madrid"]}},
                    {"name": "year", "column_type": "sampler", "sampler_type": "uniform",
                     "params": {"low": 1900, "high": 2000}, "convert_to": "int"},
                    {"name": "question", "column_type": "expression",
                     "expr": "What is {{ city }} famous for?"},
                    {"name": "answer", "column_type": "llm-text", "model_alias": "small",
                     "prompt": "{{ question }} Answer in one sentence."},
                    {"name": "grade", "column_type": "llm-judge", "model_alias": "small",
                     "prompt": "Question: {{ question }}\nAnswer: {{ answer }}\nIs the answer relevant?",
                     "scores": [{"name": "relevant", "description": "Does it answer the question",
                                 "options": {"yes": "it does", "no": "it does not"}}]}
                ]
            }
        }),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_loris"))
        .args([
            "--json",
            "recipe",
            "preview",
            recipe.to_str().unwrap(),
            "--rows",
            "5",
            "--model",
            model.to_str().unwrap(),
            "--threads",
            "1",
        ])
        .env("LORIS_HOME", dir.path())
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{stderr}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let preview: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = preview["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    for row in rows {
        let answer = row["answer"].as_str().unwrap();
        assert!(!answer.trim().is_empty(), "{row}");
        let score = &row["grade"]["relevant"]["score"];
        assert!(score == "yes" || score == "no", "{row}");
    }
    assert!(preview["usage"]["small"]["requests"].as_u64().unwrap() >= 10);
}

#[test]
fn a_generated_chat_dataset_goes_to_the_trainer_as_is() {
    let model = fixture_or_skip!(fixtures::smollm2_gguf());
    let server = StubServer::start(|request, _| {
        let prompt = request.messages.last().unwrap().content.clone();
        StubReply::Text(format!(
            "Here is help with {}.",
            prompt.trim_start_matches("Help with ")
        ))
    });
    let dir = tempfile::tempdir().unwrap();
    let recipe = write_recipe(
        dir.path(),
        &json!({
            "recipe": {
                "model_providers": [{"name": "stub", "endpoint": server.base_url()}],
                "model_configs": [{"alias": "w", "provider": "stub", "model": "m"}],
                "columns": [
                    {"name": "topic", "column_type": "sampler", "sampler_type": "category",
                     "params": {"values": ["passwords", "invoices", "refunds"]}},
                    {"name": "reply", "column_type": "llm-text", "model_alias": "w",
                     "prompt": "Help with {{ topic }}"}
                ],
                "processors": [{"processor_type": "schema_transform", "name": "chat",
                                "template": {"messages": [
                                    {"role": "user", "content": "I need help with {{ topic }}."},
                                    {"role": "assistant", "content": "{{ reply }}"}]}}]
            },
            "run": {"rows": 12, "run_config": {"buffer_size": 5}}
        }),
    );
    let run_dir = dir.path().join("out");
    let out = Command::new(env!("CARGO_BIN_EXE_loris"))
        .args([
            "recipe",
            "run",
            recipe.to_str().unwrap(),
            "--output",
            run_dir.to_str().unwrap(),
        ])
        .env("LORIS_HOME", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Both merged files of the processor go to `loris train --preview` unchanged.
    for file in ["chat.jsonl", "chat.parquet"] {
        let dataset = run_dir.join("processors/chat").join(file);
        let out = Command::new(env!("CARGO_BIN_EXE_loris"))
            .args([
                "--json",
                "train",
                "--preview",
                "--model",
                model.to_str().unwrap(),
                "--dataset",
                dataset.to_str().unwrap(),
            ])
            .env("LORIS_HOME", dir.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{file}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The assistant turn, generated by the recipe, is what trains.
        let preview: Value = serde_json::from_str(&stdout).unwrap();
        let trained: String = preview[0]["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["trained"] == true)
            .map(|t| t["text"].as_str().unwrap())
            .collect();
        assert!(
            trained.starts_with("Here is help with"),
            "{file}: {trained}"
        );
    }
}
