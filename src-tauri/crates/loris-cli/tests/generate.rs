//! `loris generate` on the fetched fixture models (skipped with a note when they are absent).

use std::path::Path;
use std::process::{Command, Output};

use loris_testkit::fixture_or_skip;
use loris_testkit::fixtures;

fn loris(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loris"))
        .args(args)
        .env("LORIS_HOME", home)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap()
}

#[test]
fn smollm2_chat_says_paris() {
    let model = fixture_or_skip!(fixtures::smollm2_gguf());
    let home = tempfile::tempdir().unwrap();
    let out = loris(
        home.path(),
        &[
            "generate",
            "--chat",
            "--dequantize",
            "--temperature",
            "0",
            "--threads",
            "1",
            "--model",
            model.to_str().unwrap(),
            "--prompt",
            "What is the capital of France?",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "The capital of France is Paris.\n",
        "{stderr}"
    );
}

#[test]
fn gemma3_with_its_tokenizer_continues_the_story() {
    let model = fixture_or_skip!(fixtures::gemma3_gguf());
    let dir = fixture_or_skip!(fixtures::tokenizer_dir("gemma3"));
    let home = tempfile::tempdir().unwrap();
    let tokenizer = dir.join("tokenizer.json");
    let out = loris(
        home.path(),
        &[
            "generate",
            "--temperature",
            "0",
            "--max-tokens",
            "20",
            "--json",
            "--model",
            model.to_str().unwrap(),
            "--tokenizer",
            tokenizer.to_str().unwrap(),
            "--prompt",
            "Once upon a time, there was a little",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let output: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = output["text"].as_str().unwrap();
    assert!(
        text.starts_with(
            " girl named Lily. She was a very smart girl, and she loved to play with her friends."
        ),
        "{text:?}"
    );
    assert_eq!(output["usage"]["completion_tokens"], 20);
}

#[test]
fn a_bad_gguf_is_a_typed_error() {
    let home = tempfile::tempdir().unwrap();
    let bad = home.path().join("bad.gguf");
    std::fs::write(&bad, b"GGUF\x07\x00\x00\x00not really").unwrap();
    let out = loris(
        home.path(),
        &[
            "generate",
            "--json",
            "--model",
            bad.to_str().unwrap(),
            "--prompt",
            "hi",
        ],
    );
    assert!(!out.status.success());
    let err: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(err["error"]["code"], "invalid_gguf");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}
