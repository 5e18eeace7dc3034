//! Training as a job: progress events every step, metrics in the run history, and
//! stop-and-save ending with a checkpoint and an adapter.

mod common;

use std::sync::Arc;
use std::time::Duration;

use candle_core::Device;
use loris_core::{DataDir, JobState, Service};
use loris_testkit::tiny_models::Arch;
use loris_train::job::TrainJobs;
use loris_train::run::{DatasetSettings, RunSpec};
use loris_train::{RunPaths, TrainConfig, runs};

fn dataset(dir: &std::path::Path) -> std::path::PathBuf {
    let rows: Vec<String> = (0..12)
        .map(|i| {
            serde_json::json!({"messages": [
                {"role": "user", "content": format!("Say {i}.")},
                {"role": "assistant", "content": format!("{i}.")},
            ]})
            .to_string()
        })
        .collect();
    let path = dir.join("data.jsonl");
    std::fs::write(&path, rows.join("\n")).unwrap();
    path
}

fn spec(
    model: &std::path::Path,
    data: &std::path::Path,
    out: &std::path::Path,
    steps: usize,
) -> RunSpec {
    RunSpec {
        paths: RunPaths {
            model: model.to_owned(),
            dataset: data.to_owned(),
            output: out.to_owned(),
        },
        config: TrainConfig {
            batch_size: 1,
            grad_accum: 1,
            seq_len: 128,
            max_steps: Some(steps),
            ..TrainConfig::default()
        },
        dataset: DatasetSettings::default(),
        device: Device::Cpu,
        tokenizer: None,
        resume: None,
    }
}

/// Waits for the job's final record.
async fn finished(service: &Service, job_id: &str) -> loris_core::JobRecord {
    loop {
        let r = service.jobs().get(job_id).unwrap();
        if r.state.is_final() {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits for the job's first step event; fails if the job ends before one.
async fn first_step(service: &Service, job_id: &str) {
    loop {
        let events = service.events().since(0, Some(job_id), 100).unwrap();
        if events.iter().any(|e| e.payload["kind"] == "step") {
            return;
        }
        let r = service.jobs().get(job_id).unwrap();
        assert!(!r.state.is_final(), "the run ended early: {:?}", r.error);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_reports_every_step_and_keeps_its_history() {
    let root = tempfile::tempdir().unwrap();
    let Some(tiny) = common::tiny(Arch::Qwen2, &root.path().join("m")) else {
        return;
    };
    let service = Service::open(DataDir::at(root.path().join("data"))).unwrap();
    let jobs = Arc::new(TrainJobs::default());
    let data = dataset(root.path());
    let started = jobs
        .start(
            service.jobs(),
            service.store(),
            spec(&tiny.dir, &data, &root.path().join("out"), 4),
        )
        .unwrap();
    let record = finished(&service, &started.job_id).await;
    assert_eq!(record.state, JobState::Completed, "{:?}", record.error);
    let progress: Vec<_> = service
        .events()
        .since(0, Some(&started.job_id), 1000)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "job.progress" && e.payload["kind"] == "step")
        .collect();
    assert_eq!(progress.len(), 4);
    let m = &progress[3].payload["metrics"];
    for key in [
        "step",
        "totalSteps",
        "loss",
        "learningRate",
        "gradNorm",
        "tokensPerS",
        "elapsedS",
        "etaS",
    ] {
        assert!(m.get(key).is_some(), "{key} missing in {m}");
    }
    assert_eq!(m["step"], 4);
    let run = runs::get(service.store(), &started.run_id)
        .unwrap()
        .unwrap();
    assert_eq!(run.state, "completed");
    assert_eq!(run.last_step, 4);
    assert!(
        run.adapter
            .as_deref()
            .is_some_and(|a| a.ends_with("adapter"))
    );
    let metrics = runs::metrics(service.store(), &started.run_id).unwrap();
    assert_eq!(metrics.iter().filter(|m| m.kind == "train").count(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_and_save_writes_a_checkpoint_and_the_adapter() {
    let root = tempfile::tempdir().unwrap();
    let Some(tiny) = common::tiny(Arch::Llama, &root.path().join("m")) else {
        return;
    };
    let service = Service::open(DataDir::at(root.path().join("data"))).unwrap();
    let jobs = Arc::new(TrainJobs::default());
    let data = dataset(root.path());
    let out = root.path().join("out");
    let started = jobs
        .start(
            service.jobs(),
            service.store(),
            spec(&tiny.dir, &data, &out, 10_000),
        )
        .unwrap();
    first_step(&service, &started.job_id).await;
    assert!(jobs.stop_and_save(&started.job_id));
    let record = finished(&service, &started.job_id).await;
    assert_eq!(record.state, JobState::Completed, "{:?}", record.error);
    let run = runs::get(service.store(), &started.run_id)
        .unwrap()
        .unwrap();
    assert_eq!(run.state, "stopped");
    assert!(run.last_step < 10_000);
    let checkpoint = run.last_checkpoint.unwrap();
    assert!(
        std::path::Path::new(&checkpoint)
            .join("trainer_state.json")
            .is_file()
    );
    assert!(out.join("adapter/adapter_config.json").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_ends_the_run_without_an_adapter() {
    let root = tempfile::tempdir().unwrap();
    let Some(tiny) = common::tiny(Arch::Llama, &root.path().join("m")) else {
        return;
    };
    let service = Service::open(DataDir::at(root.path().join("data"))).unwrap();
    let jobs = Arc::new(TrainJobs::default());
    let data = dataset(root.path());
    let out = root.path().join("out");
    let started = jobs
        .start(
            service.jobs(),
            service.store(),
            spec(&tiny.dir, &data, &out, 10_000),
        )
        .unwrap();
    first_step(&service, &started.job_id).await;
    service.jobs().cancel(&started.job_id).unwrap();
    let record = finished(&service, &started.job_id).await;
    assert_eq!(record.state, JobState::Cancelled);
    let run = runs::get(service.store(), &started.run_id)
        .unwrap()
        .unwrap();
    assert_eq!(run.state, "cancelled");
    assert!(!out.join("adapter").exists());
}
