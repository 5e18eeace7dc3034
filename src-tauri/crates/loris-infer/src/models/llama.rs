//! Llama and the architectures GGUF stores in Llama's layout, from GGUF:
//!
//! - `llama`: Llama 2/3.x, SmolLM2, Mistral v0.x. Q/K rows are stored permuted for the
//!   interleaved RoPE form (llama.cpp's converter does so).
//! - `qwen2`: adds q/k/v biases; rotate-half RoPE, rows not permuted.
//! - `qwen3`: adds a per-head RMSNorm of queries and keys before RoPE; rotate-half RoPE.
//!
//! Written here rather than using candle-transformers' `quantized_llama` because that one
//! cannot dequantize weights on request, caps the context at 4096 positions and ignores Llama
//! 3.1's `rope_freqs` scaling.

use candle_core::{Device, Tensor};
use loris_models::{Architecture, GgufFile};

use super::CausalLm;
use crate::attention::{KvCache, attend, last_position};
use crate::error::{InferError, Result};
use crate::rope::{Rope, RopeScaling};
use crate::weights::{GgufWeights, Linear, RmsNorm, WeightSource};

/// What distinguishes the architectures that share this file.
#[derive(Debug, Clone, Copy)]
struct Variant {
    /// Metadata key prefix (`general.architecture`).
    key: &'static str,
    interleaved_rope: bool,
    qkv_bias: bool,
    qk_norm: bool,
}

impl Variant {
    fn of(arch: Architecture) -> Result<Self> {
        let (key, interleaved_rope, qkv_bias, qk_norm) = match arch {
            Architecture::Llama | Architecture::Mistral => ("llama", true, false, false),
            Architecture::Qwen2 => ("qwen2", false, true, false),
            Architecture::Qwen3 => ("qwen3", false, false, true),
            other => {
                return Err(InferError::UnsupportedModel(format!(
                    "{other} is not a Llama-layout GGUF architecture"
                )));
            }
        };
        Ok(Variant {
            key,
            interleaved_rope,
            qkv_bias,
            qk_norm,
        })
    }
}

struct Layer {
    attn_norm: RmsNorm,
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    /// Qwen 3 only.
    qk_norm: Option<(RmsNorm, RmsNorm)>,
    ffn_norm: RmsNorm,
    gate: Linear,
    up: Linear,
    down: Linear,
    cache: KvCache,
}

pub struct Llama {
    embed: candle_nn::Embedding,
    layers: Vec<Layer>,
    norm: RmsNorm,
    lm_head: Linear,
    rope: Rope,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    context_length: usize,
    device: Device,
}

impl Llama {
    /// Loads a `llama`, `qwen2` or `qwen3` GGUF (`arch` from `general.architecture`).
    pub fn from_gguf(
        file: &GgufFile,
        arch: Architecture,
        device: &Device,
        dequantize: bool,
    ) -> Result<Self> {
        let variant = Variant::of(arch)?;
        let key = |k: &str| format!("{}.{k}", variant.key);
        let hidden = file.req_usize(&key("embedding_length"))?;
        let blocks = file.req_usize(&key("block_count"))?;
        let heads = file.req_usize(&key("attention.head_count"))?;
        let kv_heads = file
            .opt_usize(&key("attention.head_count_kv"))?
            .unwrap_or(heads);
        if heads == 0 || kv_heads == 0 || heads % kv_heads != 0 {
            return Err(InferError::UnsupportedModel(format!(
                "{heads} heads, {kv_heads} KV heads"
            )));
        }
        let head_dim = file
            .opt_usize(&key("attention.key_length"))?
            .unwrap_or(hidden / heads);
        let eps = file.req_f64(&key("attention.layer_norm_rms_epsilon"))?;
        let context_length = file.req_usize(&key("context_length"))?;
        // The RoPE base is required: llama.cpp's default of 10000 is wrong for most models
        // that would omit it.
        let base = file.req_f64(&key("rope.freq_base"))?;
        let rope_dim = file
            .opt_usize(&key("rope.dimension_count"))?
            .unwrap_or(head_dim);

        let mut w = GgufWeights::new(file, device, dequantize)?;
        let scaling = if w.has("rope_freqs.weight") {
            RopeScaling::Factors(w.dense("rope_freqs.weight")?.to_vec1::<f32>()?)
        } else {
            match file.opt_str(&key("rope.scaling.type"))? {
                None | Some("none") => RopeScaling::None,
                Some("linear") => RopeScaling::Linear(file.req_f64(&key("rope.scaling.factor"))?),
                Some(other) => {
                    return Err(InferError::UnsupportedModel(format!(
                        "RoPE scaling '{other}'"
                    )));
                }
            }
        };
        let rope = Rope::new(rope_dim, base, &scaling, variant.interleaved_rope, device)?;

        let embed_weight = w.dense("token_embd.weight")?;
        let lm_head = if w.has("output.weight") {
            w.linear("output.weight")?
        } else {
            // Tied embeddings (SmolLM2, Llama 3.2 1B/3B, small Qwens).
            w.linear("token_embd.weight")?
        };
        let mut layers = Vec::with_capacity(blocks);
        for i in 0..blocks {
            let n = |s: &str| format!("blk.{i}.{s}.weight");
            let mut projection = |s: &str| -> Result<Linear> {
                let linear = w.linear(&n(s))?;
                Ok(if variant.qkv_bias {
                    linear.with_bias(w.dense(&format!("blk.{i}.{s}.bias"))?)
                } else {
                    linear
                })
            };
            let (q, k, v) = (
                projection("attn_q")?,
                projection("attn_k")?,
                projection("attn_v")?,
            );
            let qk_norm = if variant.qk_norm {
                Some((
                    RmsNorm::new(w.dense(&n("attn_q_norm"))?, eps),
                    RmsNorm::new(w.dense(&n("attn_k_norm"))?, eps),
                ))
            } else {
                None
            };
            layers.push(Layer {
                attn_norm: RmsNorm::new(w.dense(&n("attn_norm"))?, eps),
                q,
                k,
                v,
                o: w.linear(&n("attn_output"))?,
                qk_norm,
                ffn_norm: RmsNorm::new(w.dense(&n("ffn_norm"))?, eps),
                gate: w.linear(&n("ffn_gate"))?,
                up: w.linear(&n("ffn_up"))?,
                down: w.linear(&n("ffn_down"))?,
                cache: KvCache::default(),
            });
        }
        Ok(Llama {
            embed: candle_nn::Embedding::new(embed_weight, hidden),
            layers,
            norm: RmsNorm::new(w.dense("output_norm.weight")?, eps),
            lm_head,
            rope,
            heads,
            kv_heads,
            head_dim,
            context_length,
            device: device.clone(),
        })
    }
}

impl CausalLm for Llama {
    fn forward(&mut self, tokens: &[u32], offset: usize) -> Result<Tensor> {
        let seq = tokens.len();
        let input = Tensor::new(tokens, &self.device)?.unsqueeze(0)?;
        let mut x = candle_core::Module::forward(&self.embed, &input)?;
        let (cos, sin) = self.rope.cos_sin(offset, seq)?;
        let scale = 1.0 / (self.head_dim as f64).sqrt();
        for layer in &mut self.layers {
            let h = layer.attn_norm.forward(&x)?;
            let split =
                |t: Tensor, n: usize| t.reshape((1, seq, n, self.head_dim))?.transpose(1, 2);
            let mut q = split(layer.q.forward(&h)?, self.heads)?;
            let mut k = split(layer.k.forward(&h)?, self.kv_heads)?;
            if let Some((q_norm, k_norm)) = &layer.qk_norm {
                q = q_norm.forward(&q)?;
                k = k_norm.forward(&k)?;
            }
            let v = split(layer.v.forward(&h)?, self.kv_heads)?;
            let q = self.rope.apply(&q, &cos, &sin)?;
            let k = self.rope.apply(&k, &cos, &sin)?;
            let a = attend(
                &mut layer.cache,
                &q,
                &k,
                &v.contiguous()?,
                offset,
                None,
                scale,
            )?;
            x = (x + layer.o.forward(&a)?)?;

            let h = layer.ffn_norm.forward(&x)?;
            let gated =
                (candle_nn::ops::silu(&layer.gate.forward(&h)?)? * layer.up.forward(&h)?)?;
            x = (x + layer.down.forward(&gated)?)?;
        }
        let x = self.norm.forward(&last_position(&x)?)?;
        Ok(self.lm_head.forward(&x)?.squeeze(0)?)
    }

    fn clear_cache(&mut self) {
        self.layers.iter_mut().for_each(|l| l.cache.clear());
    }

    fn rewind_cache(&mut self, positions: usize) -> Result<bool> {
        for layer in &mut self.layers {
            if !layer.cache.rewind(positions, None)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn context_length(&self) -> usize {
        self.context_length
    }
}
