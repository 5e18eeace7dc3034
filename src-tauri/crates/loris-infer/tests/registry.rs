//! The model registry: load with progress events, serve, list, unload, and failures with
//! their codes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use loris_infer::{EngineOptions, LoadOptions, ModelEvent, ModelRegistry};
use loris_testkit::tiny_models::{Arch, TinyModelSpec, write_tiny_model};
use tokio::sync::broadcast::Receiver;

/// A tiny random Llama folder under `root`, or `None` (with a note) without the fixtures.
fn tiny_llama(root: &Path) -> Option<PathBuf> {
    let dir = root.join("tiny");
    match write_tiny_model(&TinyModelSpec::new(Arch::Llama), &dir) {
        Ok(_) => Some(dir),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("SKIPPED: {e}");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

fn drain(events: &mut Receiver<ModelEvent>) -> Vec<ModelEvent> {
    let mut out = Vec::new();
    while let Ok(e) = events.try_recv() {
        out.push(e);
    }
    out
}

#[test]
fn load_serve_list_and_unload_with_events() {
    let root = tempfile::tempdir().unwrap();
    let Some(dir) = tiny_llama(root.path()) else {
        return;
    };
    let registry = ModelRegistry::new(EngineOptions {
        threads: Some(1),
        ..Default::default()
    });
    let mut events = registry.subscribe();

    let engine = registry.load("tiny", &dir, LoadOptions::default()).unwrap();
    let seen = drain(&mut events);
    assert!(matches!(&seen[0], ModelEvent::Loading { id, .. } if id == "tiny"));
    let fractions: Vec<f32> = seen
        .iter()
        .filter_map(|e| match e {
            ModelEvent::Progress { fraction, .. } => Some(*fraction),
            _ => None,
        })
        .collect();
    assert_eq!(fractions.first(), Some(&0.0));
    assert_eq!(fractions.last(), Some(&1.0));
    assert!(fractions.windows(2).all(|w| w[0] <= w[1]), "{fractions:?}");
    assert!(
        matches!(seen.last(), Some(ModelEvent::Loaded { id, info }) if id == "tiny" && info.parameters > 0)
    );

    assert!(std::sync::Arc::ptr_eq(
        &engine,
        &registry.get("tiny").unwrap()
    ));
    let listed = registry.list();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, "tiny");
    assert_eq!(listed[0].info.format, "safetensors");
    let json = serde_json::to_value(&seen[0]).unwrap();
    assert_eq!(json["type"], "loading");

    // Loading again under the same id replaces the model, announcing the unload first.
    registry.load("tiny", &dir, LoadOptions::default()).unwrap();
    let seen = drain(&mut events);
    assert!(matches!(&seen[0], ModelEvent::Unloaded { id } if id == "tiny"));
    assert_eq!(registry.list().len(), 1);

    registry.unload("tiny").unwrap();
    assert!(matches!(
        drain(&mut events).as_slice(),
        [ModelEvent::Unloaded { .. }]
    ));
    assert_eq!(
        registry.get("tiny").err().unwrap().code(),
        "model_not_loaded"
    );
    assert_eq!(
        registry.unload("tiny").err().unwrap().code(),
        "model_not_loaded"
    );
    assert!(registry.list().is_empty());
    // The engine a caller still holds keeps working until it is dropped.
    drop(engine);
    std::thread::sleep(Duration::from_millis(10));
}

#[test]
fn a_failed_load_is_reported_and_leaves_nothing_behind() {
    let root = tempfile::tempdir().unwrap();
    let bad = root.path().join("bad.gguf");
    std::fs::write(&bad, b"not a gguf file at all").unwrap();
    let registry = ModelRegistry::new(EngineOptions::default());
    let mut events = registry.subscribe();
    let err = registry
        .load("bad", &bad, LoadOptions::default())
        .err()
        .unwrap();
    let seen = drain(&mut events);
    assert!(
        matches!(seen.last(), Some(ModelEvent::LoadFailed { id, code, .. }) if id == "bad" && code == err.code()),
        "{seen:?}"
    );
    assert_eq!(
        registry.get("bad").err().unwrap().code(),
        "model_not_loaded"
    );
    assert_eq!(
        registry
            .load(" ", &bad, LoadOptions::default())
            .err()
            .unwrap()
            .code(),
        "invalid_request"
    );
    // The file is untouched.
    assert_eq!(std::fs::read(&bad).unwrap(), b"not a gguf file at all");
}

#[test]
fn a_full_queue_refuses_at_once() {
    use loris_infer::{GenerateRequest, SamplingParams};
    let root = tempfile::tempdir().unwrap();
    let Some(dir) = tiny_llama(root.path()) else {
        return;
    };
    let registry = ModelRegistry::new(EngineOptions {
        threads: Some(1),
        max_queue: 1,
    });
    let engine = registry.load("tiny", &dir, LoadOptions::default()).unwrap();
    let request = || GenerateRequest::new(vec![1, 2, 3], 100_000, SamplingParams::greedy());
    let running = engine.submit(request()).unwrap();
    assert_eq!(engine.pending(), 1);
    let err = engine.submit(request()).err().unwrap();
    assert_eq!(err.code(), "queue_full");
    // Once the running request ends, its place is free again.
    running.cancel.cancel();
    running.wait(|_| {}).unwrap();
    for _ in 0..100 {
        if engine.pending() == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(engine.pending(), 0);
    let again = engine.submit(request()).unwrap();
    again.cancel.cancel();
    again.wait(|_| {}).unwrap();
}
