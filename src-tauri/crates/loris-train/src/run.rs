//! A training run assembled from paths and settings: the base model on a device, its chat
//! template and tokenizer, the prepared dataset, the trainer (resumed when asked), and what is
//! written at the end (the PEFT adapter, or the full model's weights).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::{DType, Device};
use loris_datasets::{ColumnMapping, DatasetFormat, PrepareOptions, PreparedDataset};
use loris_models::{GgufFile, ModelConfig, TextAssets};

use crate::config::{MethodKind, RunPaths, TrainConfig};
use crate::error::{Result, TrainError};
use crate::model::{Method, TrainModel};
use crate::ops::ReferenceOps;
use crate::trainer::{Outcome, Trainer};
use crate::weights::load_base;

/// How the dataset's rows are read, beyond what detection finds.
#[derive(Debug, Clone, Default)]
pub struct DatasetSettings {
    pub format: Option<DatasetFormat>,
    pub mapping: ColumnMapping,
    pub max_rows: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct RunSpec {
    pub paths: RunPaths,
    pub config: TrainConfig,
    pub dataset: DatasetSettings,
    pub device: Device,
    /// A tokenizer.json for a GGUF whose own vocabulary should not be used.
    pub tokenizer: Option<PathBuf>,
    /// A checkpoint folder to continue from.
    pub resume: Option<PathBuf>,
}

/// f32 on the CPU; bf16 activations on a GPU (trainable tensors stay f32).
pub fn compute_dtype(device: &Device) -> DType {
    if device.is_cpu() {
        DType::F32
    } else {
        DType::BF16
    }
}

/// The tokenizer and chat template the dataset is formatted with.
pub fn text_assets(model: &Path, tokenizer: Option<&Path>) -> Result<TextAssets> {
    if model.is_dir() {
        let config = ModelConfig::from_file(&ModelConfig::path_in(model))?;
        Ok(TextAssets::from_hf_dir(model, Some(&config))?)
    } else {
        let file = GgufFile::open(model)?;
        Ok(TextAssets::from_gguf(&file, tokenizer)?)
    }
}

pub fn prepare_options(config: &TrainConfig, dataset: &DatasetSettings) -> PrepareOptions {
    PrepareOptions {
        format: dataset.format,
        mapping: dataset.mapping.clone(),
        seq_len: config.seq_len,
        responses_only: config.responses_only,
        packing: config.packing,
        eval_fraction: config.eval_fraction,
        seed: config.seed,
        max_rows: dataset.max_rows,
        ..PrepareOptions::default()
    }
}

pub fn prepare_dataset(spec: &RunSpec) -> Result<PreparedDataset> {
    let assets = text_assets(&spec.paths.model, spec.tokenizer.as_deref())?;
    Ok(loris_datasets::prepare(
        &spec.paths.dataset,
        &assets,
        &prepare_options(&spec.config, &spec.dataset),
    )?)
}

/// Loads everything a run needs; resumes from `spec.resume` when set.
pub fn build(spec: &RunSpec) -> Result<Trainer> {
    spec.config.validate()?;
    let data = prepare_dataset(spec)?;
    let dtype = compute_dtype(&spec.device);
    let base = load_base(&spec.paths.model, &spec.device, dtype)?;
    let method = match spec.config.method {
        MethodKind::Lora => Method::Lora(spec.config.lora.clone()),
        MethodKind::Full => Method::Full,
    };
    let model = TrainModel::new(
        base,
        &method,
        spec.config.seed,
        Arc::new(ReferenceOps),
        dtype,
    )?;
    let trainer = Trainer::new(
        model,
        spec.config.clone(),
        data.train,
        data.eval,
        &spec.paths.output,
    )?;
    match &spec.resume {
        Some(dir) => trainer.resume(dir),
        None => Ok(trainer),
    }
}

/// What the run leaves behind: `output/adapter` (LoRA, PEFT layout) or
/// `output/model.safetensors` (full fine-tuning, Hugging Face names). Nothing when cancelled.
pub fn write_outputs(
    trainer: &Trainer,
    spec: &RunSpec,
    outcome: Outcome,
) -> Result<Option<PathBuf>> {
    if outcome == Outcome::Cancelled {
        return Ok(None);
    }
    let base_name = spec.paths.model.to_string_lossy().into_owned();
    match spec.config.method {
        MethodKind::Lora => {
            let dir = spec.paths.output.join("adapter");
            crate::peft::export(&trainer.model, &spec.config.lora, Some(&base_name), &dir)?;
            Ok(Some(dir))
        }
        MethodKind::Full => {
            std::fs::create_dir_all(&spec.paths.output)
                .map_err(|e| TrainError::io("create", &spec.paths.output, e))?;
            let path = spec.paths.output.join("model.safetensors");
            let tmp = spec.paths.output.join(".model.safetensors.partial");
            let tensors: std::collections::HashMap<String, candle_core::Tensor> = trainer
                .trainable()
                .iter()
                .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
                .collect();
            candle_core::safetensors::save(&tensors, &tmp)?;
            std::fs::rename(&tmp, &path).map_err(|e| TrainError::io("rename", &tmp, e))?;
            Ok(Some(path))
        }
    }
}
