//! Full runs as jobs: a recipe_runs record, progress events, cancel, resume, and runs left
//! running by a crash marked interrupted.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use loris_core::Store;
use loris_core::events::EventBus;
use loris_core::jobs::JobManager;
use loris_llm_client::stub::{StubReply, StubServer};
use loris_recipes::RouterOptions;
use loris_recipes::jobs::{
    RunEnvironment, get_run, list_runs, mark_interrupted_runs, resume_run, start_run,
};
use loris_recipes::run::{OutputFormat, RunOptions, read_run_page};
use loris_recipes::store::save_recipe;
use serde_json::json;

fn wait_for(store: &Store, run_id: &str, what: &str, done: impl Fn(&str, u64) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let run = get_run(store, run_id).unwrap();
        if done(&run.state, run.rows_done) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {run:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn ids(dir: &Path) -> Vec<String> {
    let page = read_run_page(dir, 0, 1000).unwrap();
    page.rows
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_job_reports_progress_cancels_and_resumes() {
    let server = StubServer::start(|_, n| {
        StubReply::Delay(
            Duration::from_millis(10),
            Box::new(StubReply::Text(format!("reply {n}"))),
        )
    });
    let store = Arc::new(Store::open_in_memory().unwrap());
    let bus = Arc::new(EventBus::new(Arc::clone(&store)));
    let jobs = Arc::new(JobManager::new(Arc::clone(&store), Arc::clone(&bus)));
    let recipe = json!({"recipe": {
        "model_providers": [{"name": "s", "endpoint": server.base_url()}],
        "model_configs": [{"alias": "w", "provider": "s", "model": "m",
                           "inference_parameters": {"max_parallel_requests": 1}}],
        "columns": [
            {"name": "id", "column_type": "sampler", "sampler_type": "uuid"},
            {"name": "text", "column_type": "llm-text", "model_alias": "w", "prompt": "hi"}
        ]
    }});
    let saved = save_recipe(&store, None, "job test", &recipe.to_string()).unwrap();
    let runs_dir = tempfile::tempdir().unwrap();
    let env = RunEnvironment {
        runs_dir: runs_dir.path().to_path_buf(),
        seed_dir: runs_dir.path().to_path_buf(),
        router: RouterOptions::default(),
    };
    let options = RunOptions {
        rows: 60,
        batch_size: 10,
        seed: 1,
        max_attempts: 1,
        formats: vec![OutputFormat::Jsonl],
        merge: true,
    };
    let started = start_run(&jobs, &store, &env, &saved.id, options).unwrap();
    let store_for_wait = Arc::clone(&store);
    let run_id = started.run_id.clone();
    tokio::task::spawn_blocking(move || {
        wait_for(&store_for_wait, &run_id, "two batches", |_, rows| {
            rows >= 20
        })
    })
    .await
    .unwrap();
    jobs.cancel(&started.job_id).unwrap();
    let (store_for_wait, run_id) = (Arc::clone(&store), started.run_id.clone());
    tokio::task::spawn_blocking(move || {
        wait_for(&store_for_wait, &run_id, "the cancel", |state, _| {
            state == "cancelled"
        })
    })
    .await
    .unwrap();
    let output = Path::new(&started.output).to_path_buf();
    let before = ids(&output);
    assert!(before.len() >= 20 && before.len() < 60, "{}", before.len());

    // Progress events of the job, in order, with batch and column events.
    let events = bus.since(0, Some(&started.job_id), 1000).unwrap();
    let kinds: Vec<String> = events
        .iter()
        .filter(|e| e.kind == "job.progress")
        .map(|e| e.payload["event"]["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds[0], "started");
    assert!(kinds.iter().any(|k| k == "batch") && kinds.iter().any(|k| k == "column"));
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));

    let resumed = resume_run(&jobs, &store, &env, &started.run_id).unwrap();
    assert_eq!(resumed.output, started.output);
    let (store_for_wait, run_id) = (Arc::clone(&store), started.run_id.clone());
    tokio::task::spawn_blocking(move || {
        wait_for(&store_for_wait, &run_id, "completion", |state, _| {
            state == "completed"
        })
    })
    .await
    .unwrap();
    let run = get_run(&store, &started.run_id).unwrap();
    assert_eq!(run.rows_done, 60);
    let after = ids(&output);
    assert_eq!(after.len(), 60);
    assert_eq!(after.iter().collect::<HashSet<_>>().len(), 60);
    assert_eq!(&after[..before.len()], &before[..]);
    assert!(output.join("dataset.jsonl").is_file());
    assert_eq!(list_runs(&store, &saved.id).unwrap().len(), 1);

    // A completed run does not start again; one left "running" by a crash is interrupted and
    // resumes (here with nothing left to do).
    let err = resume_run(&jobs, &store, &env, &started.run_id).unwrap_err();
    assert_eq!(err.code(), "recipe_invalid_option");
    store
        .conn()
        .execute("UPDATE recipe_runs SET state = 'running'", [])
        .unwrap();
    assert_eq!(mark_interrupted_runs(&store).unwrap(), 1);
    assert_eq!(
        get_run(&store, &started.run_id).unwrap().state,
        "interrupted"
    );
    resume_run(&jobs, &store, &env, &started.run_id).unwrap();
    let (store_for_wait, run_id) = (Arc::clone(&store), started.run_id.clone());
    tokio::task::spawn_blocking(move || {
        wait_for(&store_for_wait, &run_id, "completion", |state, _| {
            state == "completed"
        })
    })
    .await
    .unwrap();
    assert_eq!(ids(&output).len(), 60);

    // An unknown recipe is refused before anything is recorded.
    let err = start_run(
        &jobs,
        &store,
        &env,
        "nope",
        RunOptions {
            rows: 1,
            ..resumed_options()
        },
    )
    .unwrap_err();
    assert_eq!(err.code(), "recipe_not_found");
}

fn resumed_options() -> RunOptions {
    RunOptions {
        rows: 1,
        batch_size: 1,
        seed: 0,
        max_attempts: 1,
        formats: vec![OutputFormat::Jsonl],
        merge: false,
    }
}
