//! Full runs: batches on disk, resume after an interruption, merge, the paged reader, the
//! error-rate gate and processor outputs.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use loris_recipes::run::{
    Manifest, OutputFormat, RunEvent, RunInputs, RunOptions, merge_run, read_run_page, run_full,
};
use loris_recipes::{
    LlmCall, LlmProvider, LlmReply, ProviderError, RecipeDocument, parse_recipe_str,
};
use serde_json::{Value, json};

/// Answers every call; cancels the run after `cancel_after` calls, as a kill would stop it.
struct Writer<'a> {
    calls: AtomicUsize,
    cancel_after: usize,
    cancel: &'a AtomicBool,
    fail_every: usize,
}

impl LlmProvider for Writer<'_> {
    fn complete(&self, call: &LlmCall<'_>) -> Result<LlmReply, ProviderError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if n >= self.cancel_after {
            self.cancel.store(true, Ordering::SeqCst);
        }
        if self.fail_every > 0 && n.is_multiple_of(self.fail_every) {
            return Err(ProviderError::new(
                "llm_http_status",
                "HTTP 503: overloaded",
            ));
        }
        Ok(LlmReply {
            text: format!("about {}", call.prompt),
            prompt_tokens: 4,
            completion_tokens: 2,
        })
    }
    fn max_in_flight(&self, _: &str) -> usize {
        3
    }
}

fn recipe(extra_run_config: Value) -> RecipeDocument {
    parse_recipe_str(
        &json!({
            "recipe": {
                "model_providers": [{"name": "p", "endpoint": "http://127.0.0.1:9/v1"}],
                "model_configs": [{"alias": "w", "provider": "p", "model": "m"}],
                "columns": [
                    {"name": "id", "column_type": "sampler", "sampler_type": "uuid"},
                    {"name": "n", "column_type": "sampler", "sampler_type": "uniform",
                     "params": {"low": 0, "high": 100}, "convert_to": "int"},
                    {"name": "text", "column_type": "llm-text", "model_alias": "w",
                     "prompt": "item {{ n }}"},
                    {"name": "secret", "column_type": "expression", "expr": "{{ n * 2 }}",
                     "drop": true}
                ],
                "processors": [{"processor_type": "schema_transform", "name": "chat",
                                "template": {"messages": [
                                    {"role": "user", "content": "Tell me about {{ n }}"},
                                    {"role": "assistant", "content": "{{ text }}"}]}}]
            },
            "run": {"rows": 200, "run_config": extra_run_config}
        })
        .to_string(),
    )
    .unwrap()
}

fn options() -> RunOptions {
    RunOptions {
        rows: 200,
        batch_size: 20,
        seed: 7,
        max_attempts: 1,
        formats: vec![OutputFormat::Jsonl, OutputFormat::Parquet],
        merge: true,
    }
}

fn all_rows(dir: &Path) -> Vec<serde_json::Map<String, Value>> {
    let mut rows = Vec::new();
    loop {
        let page = read_run_page(dir, rows.len() as u64, 64).unwrap();
        if page.rows.is_empty() {
            return rows;
        }
        rows.extend(page.rows);
    }
}

#[test]
fn an_interrupted_run_resumes_from_its_last_batch_with_exactly_the_rows_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let doc = recipe(json!({}));
    let options = options();
    let cancel = AtomicBool::new(false);
    let writer = Writer {
        calls: AtomicUsize::new(0),
        cancel_after: 70,
        cancel: &cancel,
        fail_every: 0,
    };
    let inputs = RunInputs {
        doc: &doc,
        options: &options,
        llm: Some(&writer),
        seed_rows: None,
    };
    let err = run_full(&inputs, dir.path(), &cancel, &|_| {}).unwrap_err();
    assert_eq!(err.code(), "recipe_cancelled");
    let manifest = Manifest::read(dir.path()).unwrap().unwrap();
    let written = manifest.batches.len();
    assert!((3..10).contains(&written), "{written} batches");
    assert!(!manifest.completed);
    let before = all_rows(dir.path());
    assert_eq!(before.len(), written * 20);

    // The second attempt generates only the missing batches.
    let resume_cancel = AtomicBool::new(false);
    let resumed_writer = Writer {
        calls: AtomicUsize::new(0),
        cancel_after: usize::MAX,
        cancel: &resume_cancel,
        fail_every: 0,
    };
    let inputs = RunInputs {
        llm: Some(&resumed_writer),
        ..inputs
    };
    let events = Mutex::new(Vec::new());
    let summary = run_full(&inputs, dir.path(), &resume_cancel, &|e| {
        events.lock().unwrap().push(e)
    })
    .unwrap();
    assert_eq!(summary.rows_written, 200);
    assert_eq!(summary.resumed_batches, written);
    assert_eq!(
        resumed_writer.calls.load(Ordering::SeqCst),
        200 - written * 20
    );
    let rows = all_rows(dir.path());
    assert_eq!(rows.len(), 200);
    let ids: HashSet<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 200, "no duplicate rows");
    // The rows written before the interruption are untouched.
    assert_eq!(&rows[..before.len()], &before[..]);
    assert!(rows.iter().all(|r| !r.contains_key("secret")));

    // The same run without an interruption gives the same sampled values.
    let fresh = tempfile::tempdir().unwrap();
    let again = Writer {
        calls: AtomicUsize::new(0),
        cancel_after: usize::MAX,
        cancel: &resume_cancel,
        fail_every: 0,
    };
    let inputs = RunInputs {
        llm: Some(&again),
        ..inputs
    };
    run_full(&inputs, fresh.path(), &resume_cancel, &|_| {}).unwrap();
    assert_eq!(all_rows(fresh.path()), rows);

    // Events: started (resumed), a batch event per new batch with usage, columns, merged.
    let events = events.into_inner().unwrap();
    assert!(
        matches!(events[0], RunEvent::Started { resumed_batches, .. } if resumed_batches == written)
    );
    let batches: Vec<&RunEvent> = events
        .iter()
        .filter(|e| matches!(e, RunEvent::Batch { .. }))
        .collect();
    assert_eq!(batches.len(), 10 - written);
    match batches.last().unwrap() {
        RunEvent::Batch {
            rows_done,
            usage,
            eta_seconds,
            ..
        } => {
            assert_eq!(*rows_done, 200);
            assert_eq!(usage["w"].requests, 200);
            assert_eq!(usage["w"].completion_tokens, 400);
            assert_eq!(*eta_seconds, Some(0.0));
        }
        _ => unreachable!(),
    }
    assert!(
        events
            .iter()
            .any(|e| matches!(e, RunEvent::Column { column, .. } if column == "text"))
    );
    // Column progress is thinned out, and always ends at the batch's size.
    let last_batch: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            RunEvent::Column {
                batch: 9,
                column,
                done,
                ..
            } if column == "text" => Some(*done),
            _ => None,
        })
        .collect();
    assert!(last_batch.len() <= 21, "{last_batch:?}");
    assert_eq!(last_batch.last(), Some(&20));
    assert!(matches!(events.last().unwrap(), RunEvent::Merged { .. }));

    // Merged files hold every row, in order, in both formats; the processor's too.
    let merged = loris_tabular::read_rows(&dir.path().join("dataset.jsonl")).unwrap();
    assert_eq!(merged, rows);
    let parquet = loris_tabular::read_rows(&dir.path().join("dataset.parquet")).unwrap();
    assert_eq!(parquet.len(), 200);
    assert_eq!(parquet[5]["id"], rows[5]["id"]);
    assert_eq!(parquet[5]["n"], rows[5]["n"]);
    let chat = loris_tabular::read_rows(&dir.path().join("processors/chat/chat.jsonl")).unwrap();
    assert_eq!(chat.len(), 200);
    assert_eq!(chat[0]["messages"][1]["content"], rows[0]["text"]);
}

#[test]
fn a_changed_recipe_does_not_resume_into_an_old_folder() {
    let dir = tempfile::tempdir().unwrap();
    let cancel = AtomicBool::new(false);
    let writer = Writer {
        calls: AtomicUsize::new(0),
        cancel_after: usize::MAX,
        cancel: &cancel,
        fail_every: 0,
    };
    let doc = recipe(json!({}));
    let mut options = options();
    options.rows = 20;
    let inputs = RunInputs {
        doc: &doc,
        options: &options,
        llm: Some(&writer),
        seed_rows: None,
    };
    run_full(&inputs, dir.path(), &cancel, &|_| {}).unwrap();
    let mut other = options.clone();
    other.seed = 8;
    let inputs = RunInputs {
        options: &other,
        ..inputs
    };
    let err = run_full(&inputs, dir.path(), &cancel, &|_| {}).unwrap_err();
    assert_eq!(err.code(), "recipe_run_mismatch");
    // Batches with other files would leave the folder half one way, half the other.
    let mut jsonl_only = options.clone();
    jsonl_only.formats = vec![OutputFormat::Jsonl];
    let inputs = RunInputs {
        options: &jsonl_only,
        ..inputs
    };
    let err = run_full(&inputs, dir.path(), &cancel, &|_| {}).unwrap_err();
    assert_eq!(err.code(), "recipe_run_mismatch");
    // Nothing was lost.
    assert_eq!(all_rows(dir.path()).len(), 20);
    assert_eq!(merge_run(dir.path()).unwrap().len(), 4);
}

#[test]
fn failed_rows_are_left_out_and_too_many_failures_stop_the_run() {
    let cancel = AtomicBool::new(false);
    // One call in ten fails: those rows are dropped and counted.
    let dir = tempfile::tempdir().unwrap();
    let doc = recipe(json!({"shutdown_error_rate": 0.5, "shutdown_error_window": 10}));
    let mut options = options();
    options.rows = 40;
    let writer = Writer {
        calls: AtomicUsize::new(0),
        cancel_after: usize::MAX,
        cancel: &cancel,
        fail_every: 10,
    };
    let inputs = RunInputs {
        doc: &doc,
        options: &options,
        llm: Some(&writer),
        seed_rows: None,
    };
    let summary = run_full(&inputs, dir.path(), &cancel, &|_| {}).unwrap();
    assert_eq!(summary.failed_rows, 4);
    assert_eq!(summary.rows_written, 36);
    assert_eq!(summary.usage["w"].failed_requests, 4);

    // Every call failing trips the gate after the window.
    let dir = tempfile::tempdir().unwrap();
    let broken = Writer {
        calls: AtomicUsize::new(0),
        cancel_after: usize::MAX,
        cancel: &cancel,
        fail_every: 1,
    };
    let inputs = RunInputs {
        llm: Some(&broken),
        ..inputs
    };
    let err = run_full(&inputs, dir.path(), &cancel, &|_| {}).unwrap_err();
    assert_eq!(err.code(), "recipe_error_rate_exceeded");
    assert!(err.to_string().contains("overloaded"), "{err}");
    assert!(broken.calls.load(Ordering::SeqCst) < 20);
}

#[test]
fn bad_run_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cancel = AtomicBool::new(false);
    let doc = recipe(json!({}));
    for (rows, batch) in [(0, 10), (10, 0)] {
        let options = RunOptions {
            rows,
            batch_size: batch,
            ..options()
        };
        let inputs = RunInputs {
            doc: &doc,
            options: &options,
            llm: None,
            seed_rows: None,
        };
        let err = run_full(&inputs, dir.path(), &cancel, &|_| {}).unwrap_err();
        assert_eq!(err.code(), "recipe_invalid_option");
    }
    assert_eq!(
        OutputFormat::parse_list(Some(&json!(["csv"])))
            .unwrap_err()
            .code(),
        "recipe_invalid_option"
    );
}
