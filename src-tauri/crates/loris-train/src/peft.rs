//! LoRA adapters in PEFT's layout: `adapter_config.json` with the fields PEFT writes and
//! `adapter_model.safetensors` with PEFT's tensor names
//! (`base_model.model.<module>.lora_A.weight`, `[r, in]`; `lora_B.weight`, `[out, r]`) and its
//! `{"format": "pt"}` metadata, so `PeftModel.from_pretrained` loads it.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::Path;

use candle_core::{DType, Tensor};
use serde_json::{Value, json};

use crate::error::{Result, TrainError};
use crate::lora::LoraConfig;
use crate::model::TrainModel;

pub const CONFIG_FILE: &str = "adapter_config.json";
pub const WEIGHTS_FILE: &str = "adapter_model.safetensors";
/// The PEFT release whose `adapter_config.json` fields this layout reproduces.
pub const PEFT_FORMAT_VERSION: &str = "0.21.0";

/// PEFT's tensor name of a LoRA matrix of module `name` (`model.layers.0.self_attn.q_proj`).
pub fn tensor_name(module: &str, which: char) -> String {
    format!("base_model.model.{module}.lora_{which}.weight")
}

/// `adapter_config.json` as PEFT 0.21 writes it for a LoRA on a causal LM.
pub fn adapter_config(config: &LoraConfig, base_model: Option<&str>) -> Value {
    let targets: BTreeSet<&str> = config.targets.iter().map(String::as_str).collect();
    // PEFT keeps the number the user gave: integers stay integers.
    let alpha = if config.alpha.fract() == 0.0 && config.alpha.abs() < 1e15 {
        json!(config.alpha as i64)
    } else {
        json!(config.alpha)
    };
    json!({
        "alora_invocation_tokens": null,
        "alpha_pattern": {},
        "arrow_config": null,
        "auto_mapping": null,
        "base_model_name_or_path": base_model,
        "bias": "none",
        "corda_config": null,
        "ensure_weight_tying": false,
        "eva_config": null,
        "exclude_modules": null,
        "fan_in_fan_out": false,
        "inference_mode": true,
        "init_lora_weights": true,
        "kasa_config": null,
        "layer_replication": null,
        "layers_pattern": null,
        "layers_to_transform": null,
        "loftq_config": {},
        "lora_alpha": alpha,
        "lora_bias": false,
        "lora_dropout": config.dropout as f64,
        "lora_ga_config": null,
        "megatron_config": null,
        "megatron_core": "megatron.core",
        "modules_to_save": null,
        "monteclora_config": null,
        "peft_type": "LORA",
        "peft_version": PEFT_FORMAT_VERSION,
        "qalora_group_size": 16,
        "r": config.rank,
        "rank_pattern": {},
        "revision": null,
        "target_modules": targets.into_iter().collect::<Vec<_>>(),
        "target_parameters": null,
        "task_type": "CAUSAL_LM",
        "trainable_token_indices": null,
        "use_bdlora": null,
        "use_dora": false,
        "use_qalora": false,
        "use_rslora": config.rslora,
        "velora_config": null,
    })
}

/// Writes the adapter of `model` into `dir` (created; files replaced atomically).
pub fn export(
    model: &TrainModel,
    config: &LoraConfig,
    base_model: Option<&str>,
    dir: &Path,
) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| TrainError::io("create", dir, e))?;
    let mut tensors: Vec<(String, Tensor)> = Vec::new();
    for linear in model.lora_modules() {
        let Some(lora) = &linear.lora else { continue };
        tensors.push((
            tensor_name(&linear.name, 'A'),
            lora.a.as_tensor().to_dtype(DType::F32)?,
        ));
        tensors.push((
            tensor_name(&linear.name, 'B'),
            lora.b.as_tensor().to_dtype(DType::F32)?,
        ));
    }
    if tensors.is_empty() {
        return Err(TrainError::InvalidConfig(
            "the model has no LoRA layers to export".into(),
        ));
    }
    let metadata: HashMap<String, String> = [("format".to_owned(), "pt".to_owned())].into();
    let weights = dir.join(WEIGHTS_FILE);
    let tmp = dir.join(format!(".{WEIGHTS_FILE}.partial"));
    let views: Vec<(&str, &Tensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    safetensors::serialize_to_file(views, Some(metadata), &tmp).map_err(|e| {
        TrainError::BadCheckpoint {
            path: tmp.clone(),
            reason: e.to_string(),
        }
    })?;
    fs::rename(&tmp, &weights).map_err(|e| TrainError::io("rename", &tmp, e))?;
    let effective = LoraConfig {
        targets: model.lora_targets(),
        ..config.clone()
    };
    let json = serde_json::to_vec_pretty(&adapter_config(&effective, base_model)).map_err(|e| {
        TrainError::BadCheckpoint {
            path: dir.to_owned(),
            reason: e.to_string(),
        }
    })?;
    let config_path = dir.join(CONFIG_FILE);
    let tmp = dir.join(format!(".{CONFIG_FILE}.partial"));
    fs::write(&tmp, json).map_err(|e| TrainError::io("write", &tmp, e))?;
    fs::rename(&tmp, &config_path).map_err(|e| TrainError::io("rename", &tmp, e))?;
    Ok(())
}
