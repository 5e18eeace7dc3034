//! Exported adapters have the names, shapes, dtypes, metadata and adapter_config.json fields
//! that PEFT 0.21 writes for the same model and LoRA settings (tests/fixtures/peft, written by
//! PEFT itself: names and shapes only).

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use candle_core::DType;
use loris_testkit::tiny_models::Arch;
use loris_train::{LoraConfig, Method};
use serde_json::Value;

fn reference() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../tests/fixtures/peft/peft_reference.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn lora_of(case: &Value) -> LoraConfig {
    let l = &case["lora"];
    LoraConfig {
        rank: l["r"].as_u64().unwrap() as usize,
        alpha: l["lora_alpha"].as_f64().unwrap(),
        dropout: l["lora_dropout"].as_f64().unwrap() as f32,
        rslora: l["use_rslora"].as_bool().unwrap_or(false),
        targets: l["target_modules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect(),
    }
}

fn compare(case_name: &str, model_path: &std::path::Path) {
    let reference = reference();
    let case = &reference["cases"][case_name];
    let lora = lora_of(case);
    let model = common::model(model_path, &Method::Lora(lora.clone()), DType::F32, 0);
    let out = tempfile::tempdir().unwrap();
    loris_train::peft::export(&model, &lora, None, out.path()).unwrap();

    // Tensors: names, shapes, dtypes.
    let bytes = std::fs::read(out.path().join("adapter_model.safetensors")).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let ours: BTreeMap<String, (Vec<usize>, String)> = st
        .tensors()
        .into_iter()
        .map(|(n, v)| {
            (
                n,
                (
                    v.shape().to_vec(),
                    format!("{:?}", v.dtype()).to_lowercase(),
                ),
            )
        })
        .collect();
    let theirs: BTreeMap<String, (Vec<usize>, String)> = case["tensors"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(n, v)| {
            let shape = v["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap() as usize)
                .collect();
            let dtype = v["dtype"].as_str().unwrap().replace("float32", "f32");
            (n.clone(), (shape, dtype))
        })
        .collect();
    assert_eq!(ours, theirs, "{case_name}: tensors");
    let (_, metadata) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let metadata: BTreeMap<_, _> = metadata
        .metadata()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let expected: BTreeMap<String, String> =
        serde_json::from_value(case["metadata"].clone()).unwrap();
    assert_eq!(metadata, expected, "{case_name}: metadata");

    // adapter_config.json: every key, every value (target_modules as a set).
    let mut ours: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("adapter_config.json")).unwrap())
            .unwrap();
    let mut theirs = case["adapter_config"].clone();
    for v in [&mut ours, &mut theirs] {
        let mut t: Vec<String> = v["target_modules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_owned())
            .collect();
        t.sort();
        v["target_modules"] = serde_json::json!(t);
    }
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&ours), keys(&theirs), "{case_name}: config keys");
    for k in keys(&theirs) {
        if k == "lora_dropout" {
            let (a, b) = (ours[&k].as_f64().unwrap(), theirs[&k].as_f64().unwrap());
            assert!((a - b).abs() < 1e-6, "{case_name}: {k}");
        } else {
            assert_eq!(ours[&k], theirs[&k], "{case_name}: {k}");
        }
    }
}

#[test]
fn tiny_models_match_peft() {
    for (case, arch) in [
        ("tiny_llama_r8_rslora", Arch::Llama),
        ("tiny_qwen3_r4_qv", Arch::Qwen3),
        ("tiny_gemma3_r8", Arch::Gemma3),
        ("tiny_phi3_r8", Arch::Phi3),
    ] {
        let root = tempfile::tempdir().unwrap();
        let Some(tiny) = common::tiny(arch, root.path()) else {
            return;
        };
        compare(case, &tiny.dir);
    }
}

#[test]
fn smollm2_adapter_matches_peft() {
    let Some(path) = loris_testkit::fixtures::smollm2_gguf() else {
        eprintln!("SKIPPED: SmolLM2 fixture missing");
        return;
    };
    compare("smollm2_135m_r16", &path);
}
