//! `loris hw` and `loris estimate` as a script would use them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn loris(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_loris"));
    cmd.args(args).env("LORIS_HOME", home);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
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

fn config_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../loris-hardware/tests/fixtures/configs")
        .join(name)
}

#[test]
fn hw_json_has_cpu_ram_disk_and_explains_missing_gpus() {
    let home = tempfile::tempdir().unwrap();
    let out = loris(home.path(), &["hw", "--json"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hw = json(&out);
    assert!(hw["cpu"]["logicalCores"].as_u64().unwrap() >= 1);
    assert!(!hw["cpu"]["model"].as_str().unwrap().is_empty());
    assert!(hw["memory"]["totalBytes"].as_u64().unwrap() > 0);
    assert!(hw["memory"]["availableBytes"].as_u64().is_some());
    // The disk is the one holding the data dir.
    assert_eq!(hw["disk"]["path"], home.path().to_str().unwrap());
    assert!(hw["disk"]["freeBytes"].as_u64().is_some());
    let gpus = hw["gpus"].as_array().unwrap();
    if gpus.is_empty() {
        // A CPU-only machine (like CI) says so, with NVML's reason.
        let reason = hw["gpuUnavailableReason"].as_str().unwrap();
        assert!(reason.starts_with("CPU only: "), "{reason}");
    } else {
        // A GPU machine lists memory and compute capability for each GPU.
        for g in gpus {
            assert!(g["memoryTotalBytes"].as_u64().unwrap() > 0, "{g}");
            assert!(g["computeCapability"].as_str().is_some(), "{g}");
        }
        assert!(hw["gpuUnavailableReason"].is_null());
    }
}

#[test]
fn hw_honours_an_empty_cuda_visible_devices() {
    // An empty CUDA_VISIBLE_DEVICES hides every GPU, on any machine.
    let home = tempfile::tempdir().unwrap();
    let out = loris(
        home.path(),
        &["hw", "--json"],
        &[("CUDA_VISIBLE_DEVICES", "")],
    );
    let hw = json(&out);
    assert_eq!(hw["gpus"], serde_json::json!([]));
    assert!(
        hw["gpuUnavailableReason"]
            .as_str()
            .unwrap()
            .starts_with("CPU only: ")
    );
    let text = loris(home.path(), &["hw"], &[("CUDA_VISIBLE_DEVICES", "")]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("gpus:      none (CPU only"), "{stdout}");
}

#[test]
fn hw_watch_prints_json_lines() {
    let home = tempfile::tempdir().unwrap();
    let out = loris(
        home.path(),
        &["hw", "--watch", "--samples", "2", "--json"],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON sample per line"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["seq"], 1);
    assert!(lines[0]["ramTotalBytes"].as_u64().unwrap() > 0);
}

#[test]
fn estimate_qlora_json_for_a_config_with_a_given_gpu() {
    let home = tempfile::tempdir().unwrap();
    let config = config_fixture("llama-3.2-1b.json");
    let out = loris(
        home.path(),
        &[
            "estimate",
            "--model",
            config.to_str().unwrap(),
            "--method",
            "qlora",
            "--batch",
            "1",
            "--checkpointing",
            "--vram",
            "8",
            "--json",
        ],
        &[("CUDA_VISIBLE_DEVICES", "")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a = json(&out);
    let terms = &a["estimate"]["terms"];
    // Same hand numbers as loris-hardware's unit tests: NF4 + bf16 remainder.
    assert_eq!(terms["weightsBytes"], 1_072_828_416u64);
    assert_eq!(a["estimate"]["trainableParameters"], 11_272_192u64);
    assert_eq!(a["estimate"]["options"]["method"], "qlora");
    assert_eq!(a["devices"][0]["device"]["id"], "given");
    assert_eq!(a["pick"], "given");
    assert_eq!(a["fit"], "fits");
}

#[test]
fn estimate_infer_on_a_folder_and_a_gguf() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        config_fixture("llama-3.1-8b.json"),
        dir.path().join("config.json"),
    )
    .unwrap();
    let out = loris(
        home.path(),
        &[
            "estimate",
            "--model",
            dir.path().to_str().unwrap(),
            "--infer",
            "--context",
            "8192",
            "--json",
        ],
        &[("CUDA_VISIBLE_DEVICES", "")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a = json(&out);
    // 32 layers · 8 KV heads · 256 · 2 bytes · 8192 tokens = 1 GiB.
    assert_eq!(a["estimate"]["terms"]["kvCacheBytes"], 1u64 << 30);
    // Without a GPU, system RAM is still judged for serving.
    assert_eq!(a["devices"][0]["device"]["id"], "cpu");

    let gguf = loris_testkit::fixture_or_skip!(loris_testkit::fixtures::smollm2_gguf());
    let out = loris(
        home.path(),
        &[
            "estimate",
            "--model",
            gguf.to_str().unwrap(),
            "--infer",
            "--context",
            "8192",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("llama (GGUF)") && text.contains("KV cache"),
        "{text}"
    );
}

#[test]
fn a_nonsense_config_is_a_typed_error() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("config.json");
    std::fs::write(
        &bad,
        r#"{"model_type": "llama", "hidden_size": 2048, "num_hidden_layers": 16,
            "num_attention_heads": 0, "intermediate_size": 8192, "vocab_size": 128256}"#,
    )
    .unwrap();
    let out = loris(
        home.path(),
        &["estimate", "--model", bad.to_str().unwrap(), "--json"],
        &[],
    );
    assert!(!out.status.success());
    let err = json(&out);
    assert_eq!(err["error"]["code"], "invalid_config");
    assert_eq!(err["error"]["details"]["field"], "num_attention_heads");

    let missing = loris(
        home.path(),
        &[
            "estimate",
            "--model",
            dir.path().join("nope.gguf").to_str().unwrap(),
            "--json",
        ],
        &[],
    );
    assert_eq!(json(&missing)["error"]["code"], "model_not_found");

    let text = loris(
        home.path(),
        &["estimate", "--model", bad.to_str().unwrap()],
        &[],
    );
    let stderr = String::from_utf8_lossy(&text.stderr);
    assert!(
        stderr.contains("invalid_config") && !stderr.contains("panicked"),
        "{stderr}"
    );
}
