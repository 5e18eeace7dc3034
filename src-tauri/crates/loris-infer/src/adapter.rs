//! LoRA adapters in PEFT's layout, merged into the base weights at load time:
//! `W' = W + scale * B A` with `scale = lora_alpha / r` (`/ sqrt(r)` with rsLoRA). A merged
//! model runs at the base model's speed; a quantized GGUF weight that receives an update is
//! dequantized first.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::{DType, Device, Tensor};
use loris_models::{Architecture, ModelError};
use serde::Deserialize;

use crate::error::{InferError, Result};

#[derive(Deserialize)]
struct AdapterConfig {
    r: usize,
    lora_alpha: f64,
    #[serde(default)]
    use_rslora: bool,
    #[serde(default)]
    use_dora: bool,
    #[serde(default)]
    peft_type: Option<String>,
}

/// The weight updates of an adapter, by the Hugging Face weight name they add to
/// (`model.layers.0.self_attn.q_proj.weight`), f32 `[out, in]`, on the CPU.
#[derive(Debug, Clone)]
pub struct LoraAdapter {
    pub path: PathBuf,
    deltas: HashMap<String, Tensor>,
}

impl LoraAdapter {
    /// Reads `adapter_config.json` and `adapter_model.safetensors` from `dir`.
    pub fn load(dir: &Path) -> Result<Self> {
        let invalid = |reason: String| {
            InferError::Model(ModelError::InvalidModel {
                path: dir.to_owned(),
                reason,
            })
        };
        let config_path = dir.join("adapter_config.json");
        let text = std::fs::read(&config_path).map_err(|e| {
            InferError::Model(ModelError::Io {
                action: "read",
                path: config_path.clone(),
                source: e,
            })
        })?;
        let config: AdapterConfig = serde_json::from_slice(&text)
            .map_err(|e| invalid(format!("adapter_config.json: {e}")))?;
        if config.peft_type.as_deref().is_some_and(|t| t != "LORA") || config.use_dora {
            return Err(invalid("only plain LoRA adapters can be loaded".into()));
        }
        if config.r == 0 {
            return Err(invalid("adapter rank is 0".into()));
        }
        let scale = if config.use_rslora {
            config.lora_alpha / (config.r as f64).sqrt()
        } else {
            config.lora_alpha / config.r as f64
        };
        let weights = dir.join("adapter_model.safetensors");
        let tensors = candle_core::safetensors::load(&weights, &Device::Cpu)
            .map_err(|e| invalid(format!("adapter_model.safetensors: {e}")))?;
        let mut deltas = HashMap::new();
        for (name, a) in &tensors {
            let Some(module) = name
                .strip_prefix("base_model.model.")
                .and_then(|n| n.strip_suffix(".lora_A.weight"))
            else {
                continue;
            };
            let b_name = format!("base_model.model.{module}.lora_B.weight");
            let b = tensors
                .get(&b_name)
                .ok_or_else(|| invalid(format!("{b_name} is missing")))?;
            let a = a.to_dtype(DType::F32)?;
            let b = b.to_dtype(DType::F32)?;
            let delta = (b
                .matmul(&a)
                .map_err(|e| invalid(format!("{module}: {e}")))?
                * scale)?;
            deltas.insert(format!("{module}.weight"), delta);
        }
        if deltas.is_empty() {
            return Err(invalid("the adapter has no LoRA tensors".into()));
        }
        Ok(LoraAdapter {
            path: dir.to_owned(),
            deltas,
        })
    }

    pub fn len(&self) -> usize {
        self.deltas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.deltas.is_empty()
    }

    /// Adds the updates to Hugging Face tensors read from a checkpoint.
    pub fn merge_into(&self, tensors: &mut HashMap<String, Tensor>) -> Result<()> {
        for (name, delta) in &self.deltas {
            let w = tensors.get(name).ok_or_else(|| {
                InferError::UnsupportedModel(format!(
                    "the adapter updates {name}, which the model does not have"
                ))
            })?;
            let merged = merge(w, delta, name)?;
            tensors.insert(name.clone(), merged);
        }
        Ok(())
    }

    /// The updates under llama.cpp names, in the GGUF's row order.
    pub fn for_gguf(
        &self,
        arch: Architecture,
        heads: usize,
        kv_heads: usize,
    ) -> Result<GgufDeltas> {
        let mut by_hf: HashMap<&str, &Tensor> =
            self.deltas.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let mut out = HashMap::new();
        // Walk the llama.cpp names a model of this size can have.
        let layers = self
            .deltas
            .keys()
            .filter_map(|k| {
                k.strip_prefix("model.layers.")?
                    .split('.')
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .max()
            .map_or(0, |m| m + 1);
        let stems = [
            "attn_q",
            "attn_k",
            "attn_v",
            "attn_qkv",
            "attn_output",
            "ffn_gate",
            "ffn_up",
            "ffn_down",
        ];
        for layer in 0..layers {
            for stem in stems {
                let gguf = format!("blk.{layer}.{stem}.weight");
                let Some(hf) = crate::names::hf_name(&gguf, arch) else {
                    continue;
                };
                let Some(delta) = by_hf.remove(hf.as_str()) else {
                    continue;
                };
                let delta = if crate::names::permutes_qk(arch) && stem == "attn_q" {
                    crate::names::permute_rows(delta, heads)?
                } else if crate::names::permutes_qk(arch) && stem == "attn_k" {
                    crate::names::permute_rows(delta, kv_heads)?
                } else {
                    delta.clone()
                };
                out.insert(gguf, delta);
            }
        }
        if let Some(name) = by_hf.keys().next() {
            return Err(InferError::UnsupportedModel(format!(
                "the adapter updates {name}, which this GGUF model does not have"
            )));
        }
        Ok(GgufDeltas(Arc::new(out)))
    }
}

fn merge(w: &Tensor, delta: &Tensor, name: &str) -> Result<Tensor> {
    if w.dims() != delta.dims() {
        return Err(InferError::UnsupportedModel(format!(
            "the adapter's update of {name} is {:?}, the weight is {:?}",
            delta.dims(),
            w.dims()
        )));
    }
    let merged = (w.to_dtype(DType::F32)? + delta.to_device(w.device())?)?;
    Ok(merged.to_dtype(w.dtype())?)
}

/// Updates by llama.cpp tensor name, consulted by the GGUF weight reader while a model loads.
#[derive(Debug, Clone)]
pub struct GgufDeltas(Arc<HashMap<String, Tensor>>);

thread_local! {
    static ACTIVE: RefCell<Option<GgufDeltas>> = const { RefCell::new(None) };
}

/// Runs `load` with `deltas` merged into the GGUF weights it reads (thread-local, like load
/// progress, so the architectures' constructors need no extra parameter).
pub fn with_gguf_deltas<T>(
    deltas: Option<GgufDeltas>,
    load: impl FnOnce() -> Result<T>,
) -> Result<T> {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            ACTIVE.with(|a| a.borrow_mut().take());
        }
    }
    ACTIVE.with(|a| *a.borrow_mut() = deltas);
    let _reset = Reset;
    load()
}

/// The dense weight with its update, when the active adapter has one for `name`.
pub(crate) fn merged_gguf_weight(
    name: &str,
    dense: impl FnOnce() -> Result<Tensor>,
) -> Result<Option<Tensor>> {
    let delta = ACTIVE.with(|a| a.borrow().as_ref().and_then(|d| d.0.get(name).cloned()));
    match delta {
        None => Ok(None),
        Some(delta) => Ok(Some(merge(&dense()?, &delta, name)?)),
    }
}
