//! `loris train` end to end on a tiny model: the masked-token preview, typed errors for bad
//! datasets, and a process killed between checkpoints that resumes on the same loss curve.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use loris_testkit::tiny_models::{Arch, TinyModelSpec, write_tiny_model};
use serde_json::Value;

fn loris(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_loris"))
        .args(args)
        .env("LORIS_HOME", home)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .unwrap()
}

fn chats(n: usize) -> String {
    (0..n)
        .map(|i| {
            serde_json::json!({"messages": [
                {"role": "user", "content": format!("What is {i} plus {i}?")},
                {"role": "assistant", "content": format!("{i} plus {i} is {}.", 2 * i)},
            ]})
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn setup() -> Option<(tempfile::TempDir, String, String)> {
    let root = tempfile::tempdir().unwrap();
    let model = match write_tiny_model(&TinyModelSpec::new(Arch::Llama), root.path().join("model"))
    {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("SKIPPED: {e}");
            return None;
        }
        Err(e) => panic!("{e}"),
    };
    let data = root.path().join("data.jsonl");
    std::fs::write(&data, chats(16)).unwrap();
    let model = model.dir.to_string_lossy().into_owned();
    let data = data.to_string_lossy().into_owned();
    Some((root, model, data))
}

#[test]
fn preview_shows_the_trained_tokens() {
    let Some((root, model, data)) = setup() else {
        return;
    };
    let out = loris(
        root.path(),
        &[
            "--json",
            "train",
            "--preview",
            "--preview-rows",
            "2",
            "--model",
            &model,
            "--dataset",
            &data,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let trained: String = rows[1]["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["trained"].as_bool().unwrap())
        .map(|t| t["text"].as_str().unwrap())
        .collect();
    assert_eq!(trained, "1 plus 1 is 2.<|eot_id|>");
}

#[test]
fn malformed_datasets_fail_with_a_code_naming_the_line() {
    let Some((root, model, _)) = setup() else {
        return;
    };
    let bad = root.path().join("bad.jsonl");
    std::fs::write(&bad, format!("{}\n{{not json\n", chats(1))).unwrap();
    let out = loris(
        root.path(),
        &[
            "--json",
            "train",
            "--model",
            &model,
            "--dataset",
            bad.to_str().unwrap(),
            "--max-steps",
            "1",
        ],
    );
    assert!(!out.status.success());
    let err: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(err["error"]["code"], "dataset_bad_json", "{err}");
    assert!(
        err["error"]["message"].as_str().unwrap().contains("line 2"),
        "{err}"
    );

    let empty = root.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let out = loris(
        root.path(),
        &[
            "--json",
            "train",
            "--model",
            &model,
            "--dataset",
            empty.to_str().unwrap(),
        ],
    );
    let err: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(err["error"]["code"], "dataset_empty", "{err}");
}

fn train_args<'a>(model: &'a str, data: &'a str, output: &'a str) -> Vec<&'a str> {
    vec![
        "--json",
        "train",
        "--model",
        model,
        "--dataset",
        data,
        "--output",
        output,
        "--max-steps",
        "8",
        "--checkpoint-every",
        "2",
        "--batch",
        "1",
        "--grad-accum",
        "2",
        "--seq",
        "64",
        "--lr",
        "5e-3",
        "--rank",
        "4",
        "--alpha",
        "8",
        "--dropout",
        "0.1",
    ]
}

fn losses(lines: &[Value]) -> Vec<(u64, f64)> {
    lines
        .iter()
        .filter(|l| l.get("loss").is_some())
        .map(|l| (l["step"].as_u64().unwrap(), l["loss"].as_f64().unwrap()))
        .collect()
}

#[test]
fn a_killed_run_resumes_on_the_same_loss_curve() {
    let Some((root, model, data)) = setup() else {
        return;
    };
    let straight = root.path().join("straight");
    let out = loris(
        root.path(),
        &train_args(&model, &data, straight.to_str().unwrap()),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference = losses(&json_lines(&out.stdout));
    assert_eq!(reference.len(), 8);
    assert!(straight.join("adapter/adapter_model.safetensors").is_file());

    // Kill -9 once step 3 is reported: checkpoint-2 is on disk, step 4's is not.
    let crashed = root.path().join("crashed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_loris"))
        .args(train_args(&model, &data, crashed.to_str().unwrap()))
        .env("LORIS_HOME", root.path())
        .env("RAYON_NUM_THREADS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    for line in BufReader::new(stdout).lines() {
        let v: Value = serde_json::from_str(&line.unwrap()).unwrap_or(Value::Null);
        if v["step"] == 3 && v.get("loss").is_some() {
            child.kill().unwrap();
            break;
        }
    }
    child.wait().unwrap();
    assert!(crashed.join("checkpoint-2/trainer_state.json").is_file());
    assert!(
        !crashed.join("adapter").exists(),
        "the killed run wrote no adapter"
    );

    let resume = crashed.join("checkpoint-2");
    let mut args = train_args(&model, &data, crashed.to_str().unwrap());
    args.extend(["--resume", resume.to_str().unwrap()]);
    let out = loris(root.path(), &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let resumed = losses(&json_lines(&out.stdout));
    assert_eq!(
        resumed.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        vec![3, 4, 5, 6, 7, 8]
    );
    for ((step, a), (_, b)) in resumed.iter().zip(&reference[2..]) {
        assert!(
            (a - b).abs() <= 1e-6 * b.abs().max(1.0),
            "step {step}: {a} vs {b}"
        );
    }
}

#[test]
fn a_toml_config_file_sets_the_run_and_flags_win_over_it() {
    let Some((root, model, data)) = setup() else {
        return;
    };
    let out_dir = root.path().join("from-toml");
    let config = root.path().join("train.toml");
    std::fs::write(
        &config,
        format!(
            "model = {model:?}\ndataset = {data:?}\noutput = {:?}\n\n[training]\nmax_steps = 5\nbatch_size = 1\ngrad_accum = 1\nseq_len = 64\nlearning_rate = 0.005\n\n[training.lora]\nrank = 4\nalpha = 8.0\ndropout = 0.0\nrslora = true\ntargets = [\"q_proj\", \"v_proj\"]\n",
            out_dir.to_string_lossy()
        ),
    )
    .unwrap();
    let out = loris(
        root.path(),
        &[
            "--json",
            "train",
            "--config",
            config.to_str().unwrap(),
            "--max-steps",
            "2",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        losses(&json_lines(&out.stdout)).len(),
        2,
        "--max-steps wins over the file"
    );
    let adapter: Value = serde_json::from_slice(
        &std::fs::read(out_dir.join("adapter/adapter_config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(adapter["r"], 4);
    assert_eq!(adapter["use_rslora"], true);
    assert_eq!(
        adapter["target_modules"],
        serde_json::json!(["q_proj", "v_proj"])
    );

    std::fs::write(&config, "[training]\nno_such_setting = 1\n").unwrap();
    let out = loris(
        root.path(),
        &["--json", "train", "--config", config.to_str().unwrap()],
    );
    assert!(!out.status.success());
}
