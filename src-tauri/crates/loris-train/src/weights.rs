//! The base model's tensors under their Hugging Face names, whatever the file: a safetensors
//! folder as it is, or a GGUF dequantized and turned back into the Hugging Face convention (Q/K
//! rows un-permuted for `llama`, Gemma norms stored as `w` rather than `1 + w`). Training in the
//! Hugging Face convention is what lets an adapter be written with PEFT's names and shapes.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use loris_infer::names::{hf_name, permutes_qk, unpermute_rows};
use loris_models::{Architecture, GgufFile, ModelConfig};

use crate::error::{Result, TrainError};
use crate::spec::ArchSpec;

pub struct BaseModel {
    pub spec: ArchSpec,
    pub tensors: HashMap<String, Tensor>,
}

/// Loads a GGUF file or a Hugging Face folder; floating weights become `dtype` on `device`.
pub fn load_base(path: &Path, device: &Device, dtype: DType) -> Result<BaseModel> {
    if path.is_dir() {
        load_hf(path, device, dtype)
    } else {
        load_gguf(path, device, dtype)
    }
}

fn load_hf(dir: &Path, device: &Device, dtype: DType) -> Result<BaseModel> {
    let config = ModelConfig::from_file(&ModelConfig::path_in(dir))?;
    let spec = ArchSpec::from_config(&config)?;
    let mut tensors = HashMap::new();
    for file in loris_infer::models::hf::safetensors_files(dir)? {
        for (name, t) in candle_core::safetensors::load(&file, device)? {
            tensors.insert(name, t.to_dtype(dtype)?);
        }
    }
    Ok(BaseModel { spec, tensors })
}

fn load_gguf(path: &Path, device: &Device, dtype: DType) -> Result<BaseModel> {
    let file = GgufFile::open(path)?;
    let arch = Architecture::from_gguf(file.architecture()?)?;
    let mut spec = ArchSpec::from_gguf(&file, arch)?;
    let mut reader = file.reader()?;
    let names: Vec<String> = file.content.tensor_infos.keys().cloned().collect();
    let mut tensors = HashMap::new();
    for name in names {
        let q = file.content.tensor(&mut reader, &name, device)?;
        let t = q.dequantize(device)?;
        if name == "rope_freqs.weight" {
            // Llama 3.1+ scaling: per-frequency divisors.
            let factors = t.to_vec1::<f32>()?;
            if factors.len() != spec.inv_freq.len() {
                return Err(TrainError::UnsupportedModel(format!(
                    "rope_freqs has {} factors for {} frequencies",
                    factors.len(),
                    spec.inv_freq.len()
                )));
            }
            spec.inv_freq
                .iter_mut()
                .zip(factors)
                .for_each(|(f, d)| *f /= d);
            continue;
        }
        let Some(hf) = hf_name(&name, arch) else {
            return Err(TrainError::UnsupportedModel(format!(
                "{}: tensor {name} has no Hugging Face counterpart",
                path.display()
            )));
        };
        let t = if spec.norm_plus_one && hf.ends_with("norm.weight") {
            (t - 1.0)?
        } else if permutes_qk(arch) && hf.ends_with("q_proj.weight") {
            unpermute_rows(&t, spec.heads)?
        } else if permutes_qk(arch) && hf.ends_with("k_proj.weight") {
            unpermute_rows(&t, spec.kv_heads)?
        } else {
            t
        };
        tensors.insert(hf, t.to_dtype(dtype)?);
    }
    spec.tied_embeddings = !tensors.contains_key("lm_head.weight");
    if spec.vocab == 0 {
        spec.vocab = tensors
            .get("model.embed_tokens.weight")
            .map(|t| t.dim(0))
            .transpose()?
            .unwrap_or(0);
    }
    Ok(BaseModel { spec, tensors })
}

/// Random weights of a config.json's shape (normal, std 0.02; norms at their neutral value),
/// for benchmarks that need no checkpoint.
pub fn random_base(
    config: &ModelConfig,
    device: &Device,
    dtype: DType,
    seed: u64,
) -> Result<BaseModel> {
    let spec = ArchSpec::from_config(config)?;
    // The CPU backend cannot be seeded: draw there from our own generator.
    let mut host_rng = crate::rng::SplitMix64::new(seed);
    if !device.is_cpu() {
        device.set_seed(seed)?;
    }
    let mut tensors = HashMap::new();
    let mut normal = |shape: (usize, usize)| -> Result<Tensor> {
        let t = if device.is_cpu() {
            let values: Vec<f32> = (0..shape.0 * shape.1)
                .map(|_| {
                    // Box-Muller.
                    let u1 = host_rng.next_f32().max(1e-7);
                    let u2 = host_rng.next_f32();
                    0.02 * (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
                })
                .collect();
            Tensor::from_vec(values, shape, device)?
        } else {
            Tensor::randn(0f32, 0.02, shape, device)?
        };
        Ok(t.to_dtype(dtype)?)
    };
    // Gemma scales by 1 + w: neutral is 0.
    let norm = |n: usize| -> Result<Tensor> {
        let t = if spec.norm_plus_one {
            Tensor::zeros(n, dtype, device)?
        } else {
            Tensor::ones(n, dtype, device)?
        };
        Ok(t)
    };
    let (h, q, kv, inter) = (
        spec.hidden,
        spec.heads * spec.head_dim,
        spec.kv_heads * spec.head_dim,
        spec.intermediate,
    );
    tensors.insert("model.embed_tokens.weight".into(), normal((spec.vocab, h))?);
    tensors.insert("model.norm.weight".into(), norm(h)?);
    if !spec.tied_embeddings {
        tensors.insert("lm_head.weight".into(), normal((spec.vocab, h))?);
    }
    for i in 0..spec.layers {
        let p = |s: &str| format!("model.layers.{i}.{s}");
        if spec.fused_projections {
            tensors.insert(p("self_attn.qkv_proj.weight"), normal((q + 2 * kv, h))?);
            tensors.insert(p("mlp.gate_up_proj.weight"), normal((2 * inter, h))?);
        } else {
            tensors.insert(p("self_attn.q_proj.weight"), normal((q, h))?);
            tensors.insert(p("self_attn.k_proj.weight"), normal((kv, h))?);
            tensors.insert(p("self_attn.v_proj.weight"), normal((kv, h))?);
            tensors.insert(p("mlp.gate_proj.weight"), normal((inter, h))?);
            tensors.insert(p("mlp.up_proj.weight"), normal((inter, h))?);
        }
        if spec.qkv_bias {
            for (name, n) in [("q_proj", q), ("k_proj", kv), ("v_proj", kv)] {
                tensors.insert(
                    p(&format!("self_attn.{name}.bias")),
                    Tensor::zeros(n, dtype, device)?,
                );
            }
        }
        if spec.qk_norm {
            tensors.insert(p("self_attn.q_norm.weight"), norm(spec.head_dim)?);
            tensors.insert(p("self_attn.k_norm.weight"), norm(spec.head_dim)?);
        }
        tensors.insert(p("self_attn.o_proj.weight"), normal((h, q))?);
        tensors.insert(p("mlp.down_proj.weight"), normal((h, inter))?);
        tensors.insert(p("input_layernorm.weight"), norm(h)?);
        tensors.insert(p("post_attention_layernorm.weight"), norm(h)?);
        if spec.sandwich_norms {
            tensors.insert(p("pre_feedforward_layernorm.weight"), norm(h)?);
            tensors.insert(p("post_feedforward_layernorm.weight"), norm(h)?);
        }
    }
    Ok(BaseModel { spec, tensors })
}
