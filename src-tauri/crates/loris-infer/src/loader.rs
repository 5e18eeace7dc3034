//! Loading a model file into something the engine can run, with its text assets and the
//! metadata the UI shows.

use std::path::{Path, PathBuf};

use candle_core::quantized::GgmlDType;
use candle_core::{DType, Device};
use loris_models::{
    Architecture, GgufFile, ModelConfig, ModelError, TextAssets, TokenizerSource, ToolCallFormat,
};
use serde::Serialize;

use crate::adapter::{LoraAdapter, with_gguf_deltas};
use crate::error::{InferError, Result};
use crate::models::hf::{HfModel, LlamaImplementation};
use crate::models::{CausalLm, gemma2::Gemma2, gemma3::Gemma3, llama::Llama, phi3::Phi3};

#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Load quantized GGUF weights as f32 (see `weights`).
    pub dequantize: bool,
    /// A tokenizer.json to use instead of the GGUF's own tokenizer.
    pub tokenizer: Option<PathBuf>,
    /// A chat template to use instead of the model's; validated before use.
    pub chat_template: Option<String>,
    /// `cpu` or a GPU (see [`crate::device::open_device`]).
    pub device: Device,
    /// Float type of a safetensors model's weights and cache; `None`: f32 on the CPU, the
    /// checkpoint's own half-precision type on a GPU ([`crate::device::default_dtype`]).
    /// GGUF models ignore it.
    pub dtype: Option<DType>,
    /// A LoRA adapter in PEFT's layout, merged into the weights as they load.
    pub adapter: Option<PathBuf>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            dequantize: false,
            tokenizer: None,
            chat_template: None,
            device: Device::Cpu,
            dtype: None,
            adapter: None,
        }
    }
}

/// What a loaded model is, for the UI and the API's `/v1/models`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    pub path: PathBuf,
    pub format: &'static str,
    pub architecture: Architecture,
    pub parameters: u64,
    pub context_length: usize,
    /// The file's quantization (`Q4_K_M`, `Q4_1`, `F16`, ...).
    pub quantization: String,
    pub dequantized: bool,
    pub has_chat_template: bool,
    /// How the chat template asks for tool calls, for parsing replies at the edges.
    pub tool_call_format: Option<ToolCallFormat>,
    pub eos_token_ids: Vec<u32>,
    pub tokenizer: TokenizerSource,
}

pub struct LoadedModel {
    pub model: Box<dyn CausalLm>,
    pub assets: TextAssets,
    pub info: ModelInfo,
}

/// Loads a GGUF file, or a Hugging Face folder (config.json + safetensors).
pub fn load(path: &Path, options: &LoadOptions) -> Result<LoadedModel> {
    if path.is_dir() {
        load_hf_dir(path, options)
    } else {
        load_gguf(path, options)
    }
}

/// Loads a Hugging Face model folder: config.json, safetensors (single or sharded, any float
/// dtype; computed in f32 on the CPU, see [`LoadOptions::dtype`]), tokenizer files and
/// generation_config.json.
pub fn load_hf_dir(dir: &Path, options: &LoadOptions) -> Result<LoadedModel> {
    let config_path = dir.join("config.json");
    if !config_path.is_file() {
        return Err(InferError::Model(ModelError::InvalidModel {
            path: dir.to_owned(),
            reason: "no config.json: not a Hugging Face model folder".into(),
        }));
    }
    let config = ModelConfig::from_file(&config_path)?;
    let dtype = options
        .dtype
        .unwrap_or_else(|| crate::device::default_dtype(config.dtype.as_deref(), &options.device));
    // Every shard's header is checked before any weight is read.
    let mut parameters = 0u64;
    for file in crate::models::hf::safetensors_files(dir)? {
        parameters += safetensors_parameters(&file)?;
    }
    let mut tensors = crate::models::hf::read_safetensors(dir, &options.device)?;
    if let Some(adapter) = &options.adapter {
        LoraAdapter::load(adapter)?.merge_into(&mut tensors)?;
    }
    let model = HfModel::from_tensors(
        &config,
        tensors,
        dir,
        &options.device,
        dtype,
        LlamaImplementation::default_for(&options.device),
    )?;
    let mut assets = match &options.tokenizer {
        Some(path) => {
            let dir = path.parent().unwrap_or(Path::new("."));
            let mut a = TextAssets::from_hf_dir(dir, Some(&config))?;
            a.tokenizer = loris_models::Tokenizer::from_file(path)?;
            a
        }
        None => TextAssets::from_hf_dir(dir, Some(&config))?,
    };
    if let Some(template) = &options.chat_template {
        assets.set_chat_template(template)?;
    }
    let info = ModelInfo {
        path: dir.to_owned(),
        format: "safetensors",
        architecture: config.architecture,
        parameters,
        context_length: model.context_length(),
        quantization: config.dtype.clone().unwrap_or_else(|| "unknown".into()),
        dequantized: false,
        has_chat_template: assets.chat_template.is_some(),
        tool_call_format: assets
            .chat_template
            .as_ref()
            .and_then(|t| ToolCallFormat::detect(t.source())),
        eos_token_ids: assets.eos_token_ids.clone(),
        tokenizer: assets.tokenizer.source().clone(),
    };
    Ok(LoadedModel {
        model: Box::new(model),
        assets,
        info,
    })
}

/// Element count of every tensor in a safetensors file, from its header alone, which is checked
/// against the file (offsets, sizes, dtypes) before any tensor is read.
fn safetensors_parameters(path: &Path) -> Result<u64> {
    let header = loris_gguf::safetensors::read_file(path).map_err(|e| match e {
        loris_gguf::safetensors::SafetensorsError::Io { action, source, .. } => {
            InferError::Model(ModelError::Io {
                action,
                path: path.to_owned(),
                source,
            })
        }
        other => InferError::Model(ModelError::InvalidModel {
            path: path.to_owned(),
            reason: other.to_string(),
        }),
    })?;
    Ok(header.parameters())
}

/// Bytes of weights a load reads: what load progress is measured against.
pub fn weight_bytes(path: &Path) -> Result<u64> {
    if path.is_dir() {
        let mut total = 0;
        for file in crate::models::hf::safetensors_files(path)? {
            total += std::fs::metadata(&file).map_or(0, |m| m.len());
        }
        return Ok(total);
    }
    let file = GgufFile::open(path)?;
    Ok(file
        .content
        .tensor_infos
        .values()
        .map(|t| {
            let blocks = t.shape.elem_count() / t.ggml_dtype.block_size();
            (blocks * t.ggml_dtype.type_size()) as u64
        })
        .sum())
}

/// f32 weights up to this size are dequantized by default (see [`prefers_dequantized`]).
pub const AUTO_DEQUANTIZE_MAX_BYTES: u64 = 2 << 30;

/// Whether a GGUF model is small enough that running it on dequantized f32 weights is the
/// better default: candle's CPU kernels for several quantization types (Q4_1 especially) are
/// slower than f32 matmuls for models of a few hundred million parameters, and f32 matches
/// transformers' arithmetic. Larger models stay quantized to save memory.
pub fn prefers_dequantized(path: &Path) -> Result<bool> {
    let file = GgufFile::open(path)?;
    let parameters: u64 = file
        .content
        .tensor_infos
        .values()
        .map(|t| t.shape.elem_count() as u64)
        .sum();
    Ok(parameters.saturating_mul(4) <= AUTO_DEQUANTIZE_MAX_BYTES)
}

/// Loads a GGUF file.
pub fn load_gguf(path: &Path, options: &LoadOptions) -> Result<LoadedModel> {
    let file = GgufFile::open(path)?;
    let arch_name = file.architecture()?;
    let architecture = Architecture::from_gguf(arch_name)?;
    let deltas = match &options.adapter {
        Some(dir) => {
            let heads = file.req_usize(&format!("{arch_name}.attention.head_count"))?;
            let kv_heads = file
                .opt_usize(&format!("{arch_name}.attention.head_count_kv"))?
                .unwrap_or(heads);
            Some(LoraAdapter::load(dir)?.for_gguf(architecture, heads, kv_heads)?)
        }
        None => None,
    };
    let model = with_gguf_deltas(deltas, || build_gguf_model(&file, architecture, options))?;
    // An explicit tokenizer.json wins; one lying beside the file comes next.
    let beside = path
        .parent()
        .map(|d| d.join("tokenizer.json"))
        .filter(|p| p.is_file());
    let tokenizer = options.tokenizer.clone().or(beside);
    let mut assets = TextAssets::from_gguf(&file, tokenizer.as_deref())?;
    if let Some(template) = &options.chat_template {
        assets.set_chat_template(template)?;
    }
    let info = ModelInfo {
        path: path.to_owned(),
        format: "gguf",
        architecture,
        parameters: file
            .content
            .tensor_infos
            .values()
            .map(|t| t.shape.elem_count() as u64)
            .sum(),
        context_length: model.context_length(),
        quantization: quantization(&file),
        dequantized: options.dequantize,
        has_chat_template: assets.chat_template.is_some(),
        tool_call_format: assets
            .chat_template
            .as_ref()
            .and_then(|t| ToolCallFormat::detect(t.source())),
        eos_token_ids: assets.eos_token_ids.clone(),
        tokenizer: assets.tokenizer.source().clone(),
    };
    Ok(LoadedModel {
        model,
        assets,
        info,
    })
}

/// `general.file_type` as llama.cpp names it, else the dtype holding most weights.
fn quantization(file: &GgufFile) -> String {
    let named = match file.opt_u64("general.file_type").ok().flatten() {
        Some(0) => Some("F32"),
        Some(1) => Some("F16"),
        Some(2) => Some("Q4_0"),
        Some(3) => Some("Q4_1"),
        Some(7) => Some("Q8_0"),
        Some(8) => Some("Q5_0"),
        Some(9) => Some("Q5_1"),
        Some(10) => Some("Q2_K"),
        Some(11) => Some("Q3_K_S"),
        Some(12) => Some("Q3_K_M"),
        Some(13) => Some("Q3_K_L"),
        Some(14) => Some("Q4_K_S"),
        Some(15) => Some("Q4_K_M"),
        Some(16) => Some("Q5_K_S"),
        Some(17) => Some("Q5_K_M"),
        Some(18) => Some("Q6_K"),
        Some(32) => Some("BF16"),
        _ => None,
    };
    if let Some(name) = named {
        return name.to_owned();
    }
    let mut by_type: Vec<(GgmlDType, u64)> = Vec::new();
    for info in file.content.tensor_infos.values() {
        let n = info.shape.elem_count() as u64;
        match by_type.iter_mut().find(|(t, _)| *t == info.ggml_dtype) {
            Some((_, total)) => *total += n,
            None => by_type.push((info.ggml_dtype, n)),
        }
    }
    by_type
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map_or_else(|| "unknown".to_owned(), |(t, _)| format!("{t:?}"))
}

/// The architecture's model over a GGUF file's weights.
fn build_gguf_model(
    file: &GgufFile,
    architecture: Architecture,
    options: &LoadOptions,
) -> Result<Box<dyn CausalLm>> {
    Ok(match architecture {
        Architecture::Llama | Architecture::Mistral | Architecture::Qwen2 | Architecture::Qwen3 => {
            Box::new(Llama::from_gguf(
                file,
                architecture,
                &options.device,
                options.dequantize,
            )?)
        }
        Architecture::Gemma2 => Box::new(Gemma2::from_gguf(
            file,
            &options.device,
            options.dequantize,
        )?),
        Architecture::Gemma3 => Box::new(Gemma3::from_gguf(
            file,
            &options.device,
            options.dequantize,
        )?),
        Architecture::Phi3 => Box::new(Phi3::from_gguf(file, &options.device, options.dequantize)?),
    })
}
