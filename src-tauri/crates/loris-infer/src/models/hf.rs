//! Hugging Face folders (config.json + safetensors) through candle-transformers' model files,
//! one per architecture.
//!
//! candle-transformers' configs read config.json with their own defaults (a missing
//! `rope_theta` silently becomes 10000, transformers 5's `rope_parameters` is not read at
//! all), so each is built from the normalized [`ModelConfig`] instead: the raw file with the
//! normalized values written over it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, IndexOp, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::{gemma2, llama, mistral, phi3, qwen2, qwen3};
use loris_models::{Architecture, ModelConfig, ModelError, RopeScaling};
use serde_json::{Value, json};

use super::CausalLm;
use crate::error::{InferError, Result};

enum Inner {
    Llama {
        model: llama::Llama,
        cache: llama::Cache,
        config: llama::Config,
    },
    Qwen2(qwen2::ModelForCausalLM),
    Qwen3(qwen3::ModelForCausalLM),
    Gemma2(gemma2::Model),
    /// An architecture with its own model file in this crate.
    Own(Box<dyn CausalLm>),
    Mistral(mistral::Model),
    Phi3(phi3::Model),
}

pub struct HfModel {
    inner: Inner,
    context_length: usize,
    device: Device,
    /// What the weights and the KV cache hold (logits leave as f32 whatever it is).
    dtype: DType,
}

impl HfModel {
    /// Loads `dir`'s safetensors (single file or shards) on `device`, computing in `dtype`
    /// (see [`crate::device::default_dtype`]); architectures with their own model file here
    /// compute in f32 whatever `dtype` says.
    pub fn load(dir: &Path, config: &ModelConfig, device: &Device, dtype: DType) -> Result<Self> {
        let tensors = read_safetensors(dir, device)?;
        Self::from_tensors(
            config,
            tensors,
            dir,
            device,
            dtype,
            LlamaImplementation::default_for(device),
        )
    }

    /// [`HfModel::load`] on tensors already read.
    pub fn from_tensors(
        config: &ModelConfig,
        tensors: HashMap<String, Tensor>,
        dir: &Path,
        device: &Device,
        dtype: DType,
        llama: LlamaImplementation,
    ) -> Result<Self> {
        let inner = if config.architecture == Architecture::Gemma3 {
            // candle-transformers' gemma3 does not run on CPU (see models/gemma3.rs).
            Inner::Own(Box::new(super::gemma3::Gemma3::from_hf(
                config, tensors, dir, device,
            )?))
        } else {
            candle_model(
                config,
                VarBuilder::from_tensors(tensors, dtype, device),
                dir,
                device,
                llama,
            )?
        };
        Ok(HfModel {
            inner,
            context_length: config.max_position_embeddings,
            device: device.clone(),
            dtype,
        })
    }

    /// A model of `config`'s shape with random weights (norms at their usual 1), for
    /// benchmarks and tests that need no download. Not for architectures with their own model
    /// file here (Gemma 3).
    pub fn random(
        config: &ModelConfig,
        device: &Device,
        dtype: DType,
        llama: LlamaImplementation,
    ) -> Result<Self> {
        let vb = VarBuilder::from_backend(Box::new(RandomWeights), dtype, device.clone());
        let inner = candle_model(config, vb, Path::new("(random weights)"), device, llama)?;
        Ok(HfModel {
            inner,
            context_length: config.max_position_embeddings,
            device: device.clone(),
            dtype,
        })
    }
}

/// Weights drawn on request: constants where the layer asks for one (norms), else normal with
/// a small deviation so that activations stay finite through many layers. Drawn in f32 and
/// cast: candle's CUDA backend has no half-precision `randn`.
struct RandomWeights;

impl candle_nn::var_builder::SimpleBackend for RandomWeights {
    fn get(
        &self,
        shape: candle_core::Shape,
        _name: &str,
        hint: candle_nn::Init,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        match hint {
            candle_nn::Init::Const(value) => Tensor::ones(shape, DType::F32, device)?
                .affine(value, 0.0)?
                .to_dtype(dtype),
            _ => Tensor::randn(0f32, 0.02, shape, device)?.to_dtype(dtype),
        }
    }

    fn get_unchecked(&self, name: &str, _: DType, _: &Device) -> candle_core::Result<Tensor> {
        candle_core::bail!("random weights have no shape for '{name}'")
    }

    fn contains_tensor(&self, _name: &str) -> bool {
        true
    }
}

/// Which code runs a Llama checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlamaImplementation {
    /// `models/llama_hf.rs`: fewer kernels per token, in the checkpoint's dtype.
    Own,
    /// candle-transformers' `llama`.
    CandleTransformers,
}

impl LlamaImplementation {
    /// Our own on GPUs, where kernel launches bound decode speed; candle-transformers' on the
    /// CPU, where the two run at the same speed and the CPU results are already established.
    pub fn default_for(device: &Device) -> Self {
        if device.is_cpu() {
            LlamaImplementation::CandleTransformers
        } else {
            LlamaImplementation::Own
        }
    }
}

/// The model file for the architecture: candle-transformers', or our Llama.
fn candle_model(
    config: &ModelConfig,
    vb: VarBuilder<'static>,
    dir: &Path,
    device: &Device,
    llama: LlamaImplementation,
) -> Result<Inner> {
    let patched = patched_config(config)?;
    let parse_err = |e: serde_json::Error| {
        InferError::Model(ModelError::InvalidConfig {
            path: dir.join("config.json"),
            field: "(config)".into(),
            reason: e.to_string(),
        })
    };
    let load_err = |e: candle_core::Error| {
        InferError::Model(ModelError::InvalidModel {
            path: dir.to_owned(),
            reason: e.to_string(),
        })
    };
    Ok(match config.architecture {
        Architecture::Llama if llama == LlamaImplementation::Own => {
            Inner::Own(Box::new(super::llama_hf::LlamaHf::new(config, vb)?))
        }
        Architecture::Llama => {
            let cfg: llama::LlamaConfig = serde_json::from_value(patched).map_err(parse_err)?;
            let config = cfg.into_config(false);
            let cache = llama::Cache::new(true, vb.dtype(), &config, device)?;
            Inner::Llama {
                model: llama::Llama::load(vb, &config).map_err(load_err)?,
                cache,
                config,
            }
        }
        Architecture::Qwen2 => Inner::Qwen2(
            qwen2::ModelForCausalLM::new(&serde_json::from_value(patched).map_err(parse_err)?, vb)
                .map_err(load_err)?,
        ),
        Architecture::Qwen3 => Inner::Qwen3(
            qwen3::ModelForCausalLM::new(&serde_json::from_value(patched).map_err(parse_err)?, vb)
                .map_err(load_err)?,
        ),
        Architecture::Gemma2 => Inner::Gemma2(
            gemma2::Model::new(
                false,
                &serde_json::from_value(patched).map_err(parse_err)?,
                vb,
            )
            .map_err(load_err)?,
        ),
        Architecture::Mistral => Inner::Mistral(
            mistral::Model::new(&serde_json::from_value(patched).map_err(parse_err)?, vb)
                .map_err(load_err)?,
        ),
        Architecture::Phi3 => Inner::Phi3(
            phi3::Model::new(&serde_json::from_value(patched).map_err(parse_err)?, vb)
                .map_err(load_err)?,
        ),
        Architecture::Gemma3 => {
            return Err(InferError::UnsupportedModel(
                "gemma3 runs on Loris' own model file".into(),
            ));
        }
    })
}

impl CausalLm for HfModel {
    fn forward(&mut self, tokens: &[u32], offset: usize) -> Result<Tensor> {
        let input = Tensor::new(tokens, &self.device)?.unsqueeze(0)?;
        let logits = match &mut self.inner {
            Inner::Llama { model, cache, .. } => model.forward(&input, offset, cache)?,
            Inner::Qwen2(m) => m.forward(&input, offset)?,
            Inner::Qwen3(m) => m.forward(&input, offset)?,
            Inner::Gemma2(m) => m.forward(&input, offset)?,
            Inner::Own(m) => return m.forward(tokens, offset),
            Inner::Mistral(m) => m.forward(&input, offset)?,
            Inner::Phi3(m) => m.forward(&input, offset)?,
        };
        // `[1, vocab]` or `[1, 1, vocab]` depending on the model file.
        let logits = match logits.rank() {
            3 => logits.i((0, logits.dim(1)? - 1))?,
            _ => logits.i(0)?,
        };
        Ok(logits.to_dtype(DType::F32)?)
    }

    fn clear_cache(&mut self) {
        match &mut self.inner {
            Inner::Llama { cache, config, .. } => {
                // The llama cache has no reset; a fresh one costs the rope table only.
                if let Ok(fresh) = llama::Cache::new(true, self.dtype, config, &self.device) {
                    *cache = fresh;
                }
            }
            Inner::Qwen2(m) => m.clear_kv_cache(),
            Inner::Qwen3(m) => m.clear_kv_cache(),
            Inner::Gemma2(m) => m.clear_kv_cache(),
            Inner::Own(m) => m.clear_cache(),
            Inner::Mistral(m) => m.clear_kv_cache(),
            Inner::Phi3(m) => m.clear_kv_cache(),
        }
    }

    fn context_length(&self) -> usize {
        self.context_length
    }
}

/// The safetensors files of a folder: the shards named by model.safetensors.index.json, else
/// model.safetensors, else every *.safetensors.
pub fn safetensors_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let index = dir.join("model.safetensors.index.json");
    let invalid = |reason: String| {
        InferError::Model(ModelError::InvalidModel {
            path: dir.to_owned(),
            reason,
        })
    };
    if index.is_file() {
        let text = std::fs::read_to_string(&index).map_err(|e| {
            InferError::Model(ModelError::Io {
                action: "read",
                path: index.clone(),
                source: e,
            })
        })?;
        let v: Value =
            serde_json::from_str(&text).map_err(|e| invalid(format!("shard index: {e}")))?;
        let map = v
            .get("weight_map")
            .and_then(Value::as_object)
            .ok_or_else(|| invalid("shard index has no weight_map".into()))?;
        let mut files: Vec<PathBuf> = Vec::new();
        for name in map.values().filter_map(Value::as_str) {
            // Shard names are plain file names inside the folder.
            if name.contains('/') || name.contains('\\') || name.contains("..") {
                return Err(invalid(format!("shard name {name:?} is not a file name")));
            }
            let path = dir.join(name);
            if !files.contains(&path) {
                files.push(path);
            }
        }
        return Ok(files);
    }
    let single = dir.join("model.safetensors");
    if single.is_file() {
        return Ok(vec![single]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| {
            InferError::Model(ModelError::Io {
                action: "list",
                path: dir.to_owned(),
                source: e,
            })
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(invalid("no *.safetensors files".into()));
    }
    Ok(files)
}

/// Reads every tensor into memory (no mmap: a file changed underneath would be undefined
/// behaviour); a truncated or corrupt file is `invalid_model`.
pub fn read_safetensors(dir: &Path, device: &Device) -> Result<HashMap<String, Tensor>> {
    let mut all = HashMap::new();
    for file in safetensors_files(dir)? {
        let tensors = candle_core::safetensors::load(&file, device).map_err(|e| {
            InferError::Model(ModelError::InvalidModel {
                path: file.clone(),
                reason: e.to_string(),
            })
        })?;
        crate::progress::advance(std::fs::metadata(&file).map_or(0, |m| m.len()));
        all.extend(tensors);
    }
    Ok(all)
}

/// config.json with the normalized values written over what candle-transformers reads.
fn patched_config(c: &ModelConfig) -> Result<Value> {
    let mut v = c.raw.clone();
    let Some(obj) = v.as_object_mut() else {
        return Err(InferError::UnsupportedModel(
            "config.json is not an object".into(),
        ));
    };
    let unsupported = |what: String| Err(InferError::UnsupportedModel(what));
    let mut set = |k: &str, x: Value| {
        obj.insert(k.to_owned(), x);
    };
    set("hidden_size", json!(c.hidden_size));
    set("intermediate_size", json!(c.intermediate_size));
    set("num_hidden_layers", json!(c.num_hidden_layers));
    set("num_attention_heads", json!(c.num_attention_heads));
    set("num_key_value_heads", json!(c.num_key_value_heads));
    set("head_dim", json!(c.head_dim));
    set("vocab_size", json!(c.vocab_size));
    set("rms_norm_eps", json!(c.rms_norm_eps));
    set("max_position_embeddings", json!(c.max_position_embeddings));
    set("tie_word_embeddings", json!(c.tie_word_embeddings));
    set("rope_theta", json!(c.rope.theta));
    set("hidden_act", json!(c.hidden_act));
    set("hidden_activation", json!(c.hidden_act));
    set("rope_scaling", Value::Null);
    if c.rope.partial_rotary_factor != 1.0 && c.architecture != Architecture::Phi3 {
        return unsupported(format!(
            "partial_rotary_factor {} for {}",
            c.rope.partial_rotary_factor, c.architecture
        ));
    }
    match (&c.rope.scaling, c.architecture) {
        (RopeScaling::None, _) => {}
        (
            RopeScaling::Llama3 {
                factor,
                low_freq_factor,
                high_freq_factor,
                original_max_position_embeddings,
            },
            Architecture::Llama,
        ) => set(
            "rope_scaling",
            json!({"rope_type": "llama3", "factor": factor, "low_freq_factor": low_freq_factor,
                   "high_freq_factor": high_freq_factor,
                   "original_max_position_embeddings": original_max_position_embeddings}),
        ),
        (RopeScaling::Other { kind, params }, Architecture::Phi3) if kind == "longrope" => {
            let mut scaling = params.clone();
            if let Some(s) = scaling.as_object_mut() {
                s.insert("type".into(), json!("longrope"));
            }
            set("rope_scaling", scaling);
        }
        (scaling, arch) => return unsupported(format!("RoPE scaling {scaling:?} for {arch}")),
    }
    match c.architecture {
        Architecture::Llama if c.head_dim * c.num_attention_heads != c.hidden_size => {
            return unsupported("llama with head_dim != hidden_size / heads".into());
        }
        Architecture::Qwen2 | Architecture::Qwen3 => {
            let window = c.sliding_window;
            set("use_sliding_window", json!(window.is_some()));
            set(
                "sliding_window",
                json!(window.unwrap_or(c.max_position_embeddings)),
            );
            set(
                "max_window_layers",
                json!(
                    c.raw
                        .get("max_window_layers")
                        .cloned()
                        .unwrap_or(json!(c.num_hidden_layers))
                ),
            );
        }
        Architecture::Mistral => set("sliding_window", json!(c.sliding_window)),
        Architecture::Gemma2 => {
            let scalar = c
                .raw
                .get("query_pre_attn_scalar")
                .and_then(Value::as_u64)
                .unwrap_or(c.head_dim as u64);
            set("query_pre_attn_scalar", json!(scalar));
            set(
                "attention_bias",
                json!(
                    c.raw
                        .get("attention_bias")
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                ),
            );
            set("sliding_window", json!(c.sliding_window));
        }
        Architecture::Phi3 => {
            set("partial_rotary_factor", json!(c.rope.partial_rotary_factor));
        }
        Architecture::Llama | Architecture::Gemma3 => {}
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_llama() -> ModelConfig {
        let raw = json!({
            "architectures": ["LlamaForCausalLM"], "model_type": "llama",
            "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 50,
            "max_position_embeddings": 64, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
            "tie_word_embeddings": true
        });
        ModelConfig::from_value(raw, Path::new("config.json")).unwrap()
    }

    #[test]
    fn random_weights_run_in_the_dtype_asked_for() {
        let implementations = [
            LlamaImplementation::CandleTransformers,
            LlamaImplementation::Own,
        ];
        for (dtype, llama) in [DType::F32, DType::BF16]
            .into_iter()
            .flat_map(|d| implementations.map(|l| (d, l)))
        {
            let mut model = HfModel::random(&tiny_llama(), &Device::Cpu, dtype, llama).unwrap();
            let prefill = model.forward(&[1, 2, 3], 0).unwrap();
            let step = model.forward(&[4], 3).unwrap();
            for logits in [prefill, step] {
                assert_eq!(logits.dims(), [50]);
                assert_eq!(logits.dtype(), DType::F32);
                let values = logits.to_vec1::<f32>().unwrap();
                assert!(values.iter().all(|v| v.is_finite()), "{dtype:?} {llama:?}");
            }
            model.clear_cache();
            assert!(model.forward(&[1], 0).is_ok());
        }
    }
}
