//! `loris chat` driven through its standard input with the starter model (skipped with a note
//! when the fixture is absent).

use std::io::Write;
use std::process::{Command, Stdio};

use loris_testkit::fixture_or_skip;
use loris_testkit::fixtures;

#[test]
fn two_turns_stream_answers_and_reuse_the_cache() {
    let model = fixture_or_skip!(fixtures::smollm2_gguf());
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_loris"))
        .args([
            "chat",
            "--dequantize",
            "--temperature",
            "0",
            "--threads",
            "1",
            "--max-tokens",
            "24",
            "--model",
            model.to_str().unwrap(),
        ])
        .env("LORIS_HOME", home.path())
        .env("RAYON_NUM_THREADS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            b"What is the capital of France?\n/bogus\nAnd of\\\nGermany?\n/exit\nnever read\n",
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let replies: Vec<&str> = stdout.lines().collect();
    assert_eq!(replies.len(), 2, "{stdout}");
    assert_eq!(replies[0], "The capital of France is Paris.");
    assert!(stderr.contains("unknown command /bogus"), "{stderr}");
    // The second turn reuses the first turn's cache.
    let reused: Vec<usize> = stderr
        .lines()
        .filter_map(|l| l.split(" reused)").next()?.rsplit('(').next()?.parse().ok())
        .collect();
    assert_eq!(reused.len(), 2, "{stderr}");
    assert_eq!(reused[0], 0);
    assert!(reused[1] > 10, "{stderr}");
}

#[test]
fn a_missing_model_is_a_typed_error() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_loris"))
        .args(["--json", "chat", "--model", "/nonexistent/model.gguf"])
        .env("LORIS_HOME", home.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(err["error"]["code"].is_string(), "{err}");
}
