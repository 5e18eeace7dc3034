//! `loris bench` on random weights of a tiny config, and `--device` parsing, on the CPU.

use std::path::Path;
use std::process::{Command, Output};

fn loris(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loris"))
        .args(args)
        .env("LORIS_HOME", home)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap()
}

/// A Llama config.json of toy dimensions, with Llama 3's rope scaling and tied embeddings.
const TINY_LLAMA: &str = r#"{
  "architectures": ["LlamaForCausalLM"], "model_type": "llama",
  "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
  "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
  "vocab_size": 300, "max_position_embeddings": 256, "rms_norm_eps": 1e-5,
  "rope_theta": 500000.0, "hidden_act": "silu", "tie_word_embeddings": true,
  "rope_scaling": {"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                   "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
  "torch_dtype": "bfloat16"
}"#;

#[test]
fn bench_runs_random_weights_and_reports_json() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.json");
    std::fs::write(&config, TINY_LLAMA).unwrap();
    let out = loris(
        home.path(),
        &[
            "--json",
            "bench",
            "--random-config",
            config.to_str().unwrap(),
            "--device",
            "cpu",
            "--prompt-tokens",
            "5",
            "--new-tokens",
            "3",
            "--repetitions",
            "2",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["device"], "cpu");
    // The CPU computes in f32 whatever the checkpoint's dtype.
    assert_eq!(report["dtype"], "f32");
    assert_eq!(report["promptTokens"], 5);
    assert_eq!(report["newTokens"], 3);
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    for run in runs {
        assert!(run["decodeTokensPerS"].as_f64().unwrap() > 0.0, "{run}");
    }
    assert!(report["decodeTokensPerS"]["median"].as_f64().unwrap() > 0.0);
}

#[test]
fn bench_with_half_precision_on_the_cpu_still_runs() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.json");
    std::fs::write(&config, TINY_LLAMA).unwrap();
    let out = loris(
        home.path(),
        &[
            "bench",
            "--random-config",
            config.to_str().unwrap(),
            "--device",
            "cpu",
            "--dtype",
            "bf16",
            "--prompt-tokens",
            "4",
            "--new-tokens",
            "2",
            "--repetitions",
            "1",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("cpu, bf16"), "{stdout}");
    assert!(stdout.contains("decode tok/s"), "{stdout}");
}

#[test]
fn an_unknown_device_is_an_invalid_request() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.json");
    std::fs::write(&config, TINY_LLAMA).unwrap();
    let out = loris(
        home.path(),
        &[
            "--json",
            "bench",
            "--random-config",
            config.to_str().unwrap(),
            "--device",
            "tpu:0",
        ],
    );
    assert!(!out.status.success());
    let error: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(error["error"]["code"], "invalid_request", "{error}");
}

#[test]
fn a_config_the_engine_cannot_build_fails_cleanly() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.json");
    std::fs::write(&config, "{\"model_type\": \"llama\"}").unwrap();
    let out = loris(
        home.path(),
        &[
            "--json",
            "bench",
            "--random-config",
            config.to_str().unwrap(),
            "--device",
            "cpu",
        ],
    );
    assert!(!out.status.success());
    let error: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(error["error"]["code"].is_string(), "{error}");
}

#[test]
fn bench_train_reports_speed_memory_and_a_falling_loss() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config.json");
    std::fs::write(&config, TINY_LLAMA).unwrap();
    let out = loris(
        home.path(),
        &[
            "--json",
            "bench-train",
            "--random-config",
            config.to_str().unwrap(),
            "--device",
            "cpu",
            "--batch",
            "2",
            "--seq",
            "64",
            "--rank",
            "4",
            "--steps",
            "6",
            "--warmup-steps",
            "1",
            "--lr",
            "1e-2",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["device"], "cpu");
    assert!(report["tokensPerS"].as_f64().unwrap() > 0.0);
    assert!(report["peakMemoryBytes"].as_u64().unwrap() > 0);
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 6);
    let loss = |i: usize| steps[i]["loss"].as_f64().unwrap();
    assert!(loss(5) < loss(0), "{report}");
    assert!(steps.iter().all(|s| s["gradNorm"].as_f64().unwrap() > 0.0));
}
