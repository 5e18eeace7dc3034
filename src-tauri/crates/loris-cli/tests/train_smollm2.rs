//! LoRA on the starter model (SmolLM2-135M-Instruct, GGUF dequantized, CPU, one thread) with
//! the ForgeLM customer-support chats for 30 steps: the loss falls, gradient norms are not
//! zero, and the exported adapter, loaded for chat, answers a training prompt differently
//! from the base model.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn loris(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loris"))
        .args(args)
        .env("LORIS_HOME", home)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap()
}

fn reply(home: &Path, model: &str, adapter: Option<&str>, prompt: &str) -> String {
    let mut args = vec![
        "generate",
        "--model",
        model,
        "--dequantize",
        "--chat",
        "--temperature",
        "0",
        "--max-tokens",
        "40",
        "--device",
        "cpu",
        "--prompt",
        prompt,
    ];
    if let Some(a) = adapter {
        args.extend(["--adapter", a]);
    }
    let out = loris(home, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn lora_on_smollm2_changes_its_answers() {
    let (Some(model), Some(data)) = (
        loris_testkit::fixtures::smollm2_gguf(),
        loris_testkit::fixtures::forgelm_dataset("customer-support"),
    ) else {
        loris_testkit::fixtures::print_skip_note("SmolLM2 GGUF or ForgeLM customer-support");
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let output = home.path().join("run");
    let (model, data) = (model.to_str().unwrap(), data.to_str().unwrap());
    let out = loris(
        home.path(),
        &[
            "--json",
            "train",
            "--model",
            model,
            "--dataset",
            data,
            "--output",
            output.to_str().unwrap(),
            "--max-steps",
            "30",
            "--batch",
            "1",
            "--grad-accum",
            "1",
            "--seq",
            "256",
            "--lr",
            "1e-3",
            "--warmup",
            "3",
            "--rank",
            "16",
            "--alpha",
            "32",
            "--no-gradient-checkpointing",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let steps: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("loss").is_some())
        .collect();
    assert_eq!(steps.len(), 30);
    let loss: Vec<f64> = steps.iter().map(|s| s["loss"].as_f64().unwrap()).collect();
    let grad: Vec<f64> = steps
        .iter()
        .map(|s| s["grad_norm"].as_f64().unwrap())
        .collect();
    eprintln!("loss: {loss:.3?}");
    eprintln!("grad norm: {grad:.3?}");
    assert!(grad.iter().all(|g| *g > 0.0 && g.is_finite()));
    let first: f64 = loss[..5].iter().sum::<f64>() / 5.0;
    let last: f64 = loss[25..].iter().sum::<f64>() / 5.0;
    assert!(
        last < 0.8 * first,
        "loss did not fall: {first:.3} -> {last:.3}"
    );

    let adapter = output.join("adapter");
    let prompt = "Hi, I forgot my password. Can you reset it for me?";
    let base = reply(home.path(), model, None, prompt);
    let tuned = reply(home.path(), model, Some(adapter.to_str().unwrap()), prompt);
    eprintln!("base:  {base}\ntuned: {tuned}");
    assert_ne!(base, tuned);
}
