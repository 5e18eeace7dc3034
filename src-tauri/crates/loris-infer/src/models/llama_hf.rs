//! Llama from a Hugging Face checkpoint, computed in the checkpoint's own dtype, with few
//! kernels per decode step: what a GPU runs (see docs/perf.md, `## GPU`).
//!
//! At batch 1 a GPU decode step is bound by launching kernels, not by arithmetic or memory:
//! candle-transformers' `llama` spends about 30 kernels per layer (separate q/k/v and gate/up
//! projections, f32 casts around attention, keys and values repeated for grouped-query
//! attention). Here each layer runs about 17:
//!
//! - q/k/v are one matmul, gate/up another (weights concatenated at load time);
//! - the attention scale is folded into the q rows (RoPE is linear, so it commutes);
//! - RoPE works on the `[batch, seq, heads, dim]` layout the projection produces (no transpose
//!   copies);
//! - a single-token step groups the query heads of each key/value head
//!   (`[kv_heads, n_rep, dim]`) instead of repeating keys and values;
//! - softmax runs in the model dtype (candle's kernel accumulates in f32).
//!
//! Weights load through a [`VarBuilder`], so the same code runs a checkpoint or random weights.

use candle_core::{D, DType, Device, Module, Tensor};
use candle_nn::{Embedding, Init, Linear, VarBuilder};
use loris_models::{ModelConfig, RopeScaling as ConfigRopeScaling};

use super::CausalLm;
use crate::error::{InferError, Result};
use crate::rope::{Rope, RopeScaling};

struct Layer {
    input_norm: Tensor,
    /// `[q; k; v]` rows, q pre-scaled by `1 / sqrt(head_dim)`.
    qkv: Linear,
    o: Linear,
    post_norm: Tensor,
    /// `[gate; up]` rows.
    gate_up: Linear,
    down: Linear,
    k_cache: Cache,
    v_cache: Cache,
}

/// Keys or values of one layer: a `[1, kv_heads, capacity, head_dim]` buffer whose first `len`
/// positions are filled. A step writes its positions in place (one copy kernel) instead of
/// concatenating the whole cache (two); the buffer doubles when full, up to the context.
#[derive(Default)]
struct Cache {
    buffer: Option<Tensor>,
    len: usize,
}

impl Cache {
    /// Appends `x` `[1, kv_heads, seq, head_dim]`; returns the filled part, a view.
    fn append(&mut self, x: &Tensor, context: usize) -> Result<Tensor> {
        let (b, kv, seq, d) = x.dims4()?;
        let needed = self.len + seq;
        let capacity = match &self.buffer {
            Some(buffer) => buffer.dim(2)?,
            None => 0,
        };
        if needed > capacity {
            let grown = (capacity * 2).max(256).min(context).max(needed);
            let fresh = Tensor::zeros((b, kv, grown, d), x.dtype(), x.device())?;
            if let Some(old) = &self.buffer
                && self.len > 0
            {
                fresh.slice_set(&old.narrow(2, 0, self.len)?.contiguous()?, 2, 0)?;
            }
            self.buffer = Some(fresh);
        }
        let Some(buffer) = &self.buffer else {
            return Err(InferError::InvalidRequest("KV cache buffer missing".into()));
        };
        buffer.slice_set(&x.contiguous()?, 2, self.len)?;
        self.len = needed;
        Ok(buffer.narrow(2, 0, needed)?)
    }

    fn clear(&mut self) {
        self.buffer = None;
        self.len = 0;
    }
}

pub struct LlamaHf {
    embed: Embedding,
    layers: Vec<Layer>,
    norm: Tensor,
    lm_head: Linear,
    rope: Rope,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    intermediate: usize,
    eps: f32,
    dtype: DType,
    context_length: usize,
    device: Device,
}

/// Where a weight's values come from when the backend draws them (random weights): norms
/// start at 1, everything else small.
const NORM: Init = Init::Const(1.0);
const WEIGHT: Init = Init::Randn {
    mean: 0.0,
    stdev: 0.02,
};

impl LlamaHf {
    /// Builds the model from `vb` (transformers' tensor names), in `vb`'s dtype.
    pub fn new(config: &ModelConfig, vb: VarBuilder) -> Result<Self> {
        let c = config;
        let unsupported = |what: String| Err(InferError::UnsupportedModel(what));
        for flag in ["attention_bias", "mlp_bias"] {
            if c.raw.get(flag).and_then(|v| v.as_bool()) == Some(true) {
                return unsupported(format!("llama with {flag}"));
            }
        }
        if c.hidden_act != "silu" {
            return unsupported(format!("llama with hidden_act {}", c.hidden_act));
        }
        if c.rope.partial_rotary_factor != 1.0 {
            return unsupported("llama with partial rotary factor".into());
        }
        let (heads, kv_heads, d) = (c.num_attention_heads, c.num_key_value_heads, c.head_dim);
        if heads == 0 || kv_heads == 0 || heads % kv_heads != 0 {
            return unsupported(format!("{heads} heads, {kv_heads} KV heads"));
        }
        let scaling = match &c.rope.scaling {
            ConfigRopeScaling::None => RopeScaling::None,
            ConfigRopeScaling::Linear { factor } => RopeScaling::Linear(*factor),
            ConfigRopeScaling::Llama3 {
                factor,
                low_freq_factor,
                high_freq_factor,
                original_max_position_embeddings,
            } => RopeScaling::Llama3 {
                factor: *factor,
                low_freq_factor: *low_freq_factor,
                high_freq_factor: *high_freq_factor,
                original_context: *original_max_position_embeddings,
            },
            other => return unsupported(format!("llama with RoPE scaling {other:?}")),
        };
        let device = vb.device().clone();
        let dtype = vb.dtype();
        let rope = Rope::new(d, c.rope.theta, &scaling, false, &device)?;
        let (hidden, inter) = (c.hidden_size, c.intermediate_size);

        let vb_m = vb.pp("model");
        let embed_weight =
            vb_m.get_with_hints((c.vocab_size, hidden), "embed_tokens.weight", WEIGHT)?;
        let scale = 1.0 / (d as f64).sqrt();
        let mut layers = Vec::with_capacity(c.num_hidden_layers);
        for i in 0..c.num_hidden_layers {
            let l = vb_m.pp(format!("layers.{i}"));
            let w = |name: &str, rows: usize, cols: usize| {
                l.get_with_hints((rows, cols), &format!("{name}.weight"), WEIGHT)
            };
            // Scaled in f32: bf16 would round twice.
            let q = (w("self_attn.q_proj", heads * d, hidden)?.to_dtype(DType::F32)? * scale)?
                .to_dtype(dtype)?;
            let qkv = Tensor::cat(
                &[
                    &q,
                    &w("self_attn.k_proj", kv_heads * d, hidden)?,
                    &w("self_attn.v_proj", kv_heads * d, hidden)?,
                ],
                0,
            )?;
            let gate_up = Tensor::cat(
                &[
                    &w("mlp.gate_proj", inter, hidden)?,
                    &w("mlp.up_proj", inter, hidden)?,
                ],
                0,
            )?;
            layers.push(Layer {
                input_norm: l.get_with_hints(hidden, "input_layernorm.weight", NORM)?,
                qkv: Linear::new(qkv, None),
                o: Linear::new(w("self_attn.o_proj", hidden, heads * d)?, None),
                post_norm: l.get_with_hints(hidden, "post_attention_layernorm.weight", NORM)?,
                gate_up: Linear::new(gate_up, None),
                down: Linear::new(w("mlp.down_proj", hidden, inter)?, None),
                k_cache: Cache::default(),
                v_cache: Cache::default(),
            });
        }
        let lm_head = if c.tie_word_embeddings {
            Linear::new(embed_weight.clone(), None)
        } else {
            Linear::new(
                vb.get_with_hints((c.vocab_size, hidden), "lm_head.weight", WEIGHT)?,
                None,
            )
        };
        Ok(LlamaHf {
            embed: Embedding::new(embed_weight, hidden),
            layers,
            norm: vb_m.get_with_hints(hidden, "norm.weight", NORM)?,
            lm_head,
            rope,
            heads,
            kv_heads,
            head_dim: d,
            intermediate: inter,
            eps: c.rms_norm_eps as f32,
            dtype,
            context_length: c.max_position_embeddings,
            device,
        })
    }

    /// One decoder layer on `x` `[1, seq, hidden]`.
    fn layer(
        &self,
        layer: &mut Layer,
        x: &Tensor,
        cos: &Tensor,
        sin: &Tensor,
        offset: usize,
    ) -> Result<Tensor> {
        let h = candle_nn::ops::rms_norm(x, &layer.input_norm, self.eps)?;
        let a = self.attention(layer, &h, cos, sin, offset)?;
        let x = (x + layer.o.forward(&a)?)?;
        let h = candle_nn::ops::rms_norm(&x, &layer.post_norm, self.eps)?;
        let gate_up = layer.gate_up.forward(&h)?;
        let gate = gate_up.narrow(D::Minus1, 0, self.intermediate)?;
        let up = gate_up.narrow(D::Minus1, self.intermediate, self.intermediate)?;
        let mlp = (candle_nn::ops::silu(&gate)? * up)?;
        Ok((x + layer.down.forward(&mlp)?)?)
    }

    /// Self-attention of one layer for `x` `[1, seq, hidden]` (already normalized) at
    /// positions `offset..offset + seq`; returns `[1, seq, heads * head_dim]`.
    fn attention(
        &self,
        layer: &mut Layer,
        x: &Tensor,
        cos: &Tensor,
        sin: &Tensor,
        offset: usize,
    ) -> Result<Tensor> {
        let (b, seq, _) = x.dims3()?;
        let (h, kv, d) = (self.heads, self.kv_heads, self.head_dim);
        let qkv = layer.qkv.forward(x)?;
        let part = |start: usize, n: usize| -> Result<Tensor> {
            Ok(qkv
                .narrow(D::Minus1, start * d, n * d)?
                .contiguous()?
                .reshape((b, seq, n, d))?)
        };
        // Queries and keys sit side by side in the projection: one RoPE kernel rotates both.
        let qk = candle_nn::rotary_emb::rope_thd(&part(0, h + kv)?, cos, sin)?;
        let q = qk.narrow(2, 0, h)?;
        let k = qk.narrow(2, h, kv)?;
        let v = part(h + kv, kv)?;
        // The cache is `[b, kv, positions, d]`; `k` and `v` below are views of it.
        let k = layer
            .k_cache
            .append(&k.transpose(1, 2)?, self.context_length)?;
        let v = layer
            .v_cache
            .append(&v.transpose(1, 2)?, self.context_length)?;
        let kv_len = k.dim(2)?;
        let n_rep = h / kv;

        if seq == 1 {
            // Query heads grouped by their key/value head: no repeated keys, no mask.
            let q = q.reshape((b, kv, n_rep, d))?;
            let scores = q.matmul(&k.t()?)?;
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            return Ok(probs.matmul(&v)?.reshape((b, 1, h * d))?);
        }
        let q = q.transpose(1, 2)?.contiguous()?;
        let repeat = |t: &Tensor| -> Result<Tensor> {
            if n_rep == 1 {
                return Ok(t.contiguous()?);
            }
            Ok(t.unsqueeze(2)?
                .expand((b, kv, n_rep, kv_len, d))?
                .reshape((b, h, kv_len, d))?)
        };
        let scores = q.matmul(&repeat(&k)?.t()?)?;
        let mask = causal_mask(seq, kv_len, offset, &self.device)?.to_dtype(self.dtype)?;
        let scores = scores.broadcast_add(&mask)?;
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let out = probs.matmul(&repeat(&v)?)?;
        Ok(out.transpose(1, 2)?.reshape((b, seq, h * d))?)
    }
}

/// `[seq, kv_len]` of 0 / -inf: query `i` (position `offset + i`) sees keys up to its own
/// position; the cache starts at position 0.
fn causal_mask(seq: usize, kv_len: usize, offset: usize, device: &Device) -> Result<Tensor> {
    let values: Vec<f32> = (0..seq)
        .flat_map(|i| {
            (0..kv_len).map(move |j| {
                if j <= offset + i {
                    0.0
                } else {
                    f32::NEG_INFINITY
                }
            })
        })
        .collect();
    Ok(Tensor::from_vec(values, (seq, kv_len), device)?)
}

impl CausalLm for LlamaHf {
    fn forward(&mut self, tokens: &[u32], offset: usize) -> Result<Tensor> {
        let seq = tokens.len();
        let input = Tensor::new(tokens, &self.device)?.unsqueeze(0)?;
        let mut x = self.embed.forward(&input)?;
        let (cos, sin) = self.rope.cos_sin(offset, seq)?;
        let (cos, sin) = (cos.to_dtype(self.dtype)?, sin.to_dtype(self.dtype)?);
        // The layers leave `self` for the loop so that each can be borrowed mutably (its
        // cache) beside `self`; they come back whatever the outcome.
        let mut layers = std::mem::take(&mut self.layers);
        let mut step = || -> Result<Tensor> {
            for layer in &mut layers {
                x = self.layer(layer, &x, &cos, &sin, offset)?;
            }
            Ok(x.narrow(1, seq - 1, 1)?.contiguous()?)
        };
        let result = step();
        self.layers = layers;
        let h = candle_nn::ops::rms_norm(&result?, &self.norm, self.eps)?;
        Ok(self
            .lm_head
            .forward(&h)?
            .flatten_all()?
            .to_dtype(DType::F32)?)
    }

    fn clear_cache(&mut self) {
        for layer in &mut self.layers {
            layer.k_cache.clear();
            layer.v_cache.clear();
        }
    }

    fn context_length(&self) -> usize {
        self.context_length
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::hf::{HfModel, LlamaImplementation};
    use std::collections::HashMap;

    /// A tiny Llama 3 config with grouped-query attention and Llama 3 RoPE scaling.
    fn config() -> ModelConfig {
        let raw = serde_json::json!({
            "architectures": ["LlamaForCausalLM"], "model_type": "llama",
            "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 40,
            "max_position_embeddings": 128, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
            "tie_word_embeddings": false, "torch_dtype": "float32",
            "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                             "high_freq_factor": 4.0, "original_max_position_embeddings": 16}
        });
        ModelConfig::from_value(raw, std::path::Path::new("config.json")).unwrap()
    }

    /// Random tensors under transformers' names, norms away from 1 so that they count.
    fn tensors(c: &ModelConfig) -> HashMap<String, Tensor> {
        let dev = Device::Cpu;
        let (h, d, i) = (c.hidden_size, c.head_dim, c.intermediate_size);
        let mut shapes: Vec<(String, Vec<usize>)> = vec![
            ("model.embed_tokens.weight".into(), vec![c.vocab_size, h]),
            ("model.norm.weight".into(), vec![h]),
            ("lm_head.weight".into(), vec![c.vocab_size, h]),
        ];
        for l in 0..c.num_hidden_layers {
            let p = format!("model.layers.{l}");
            shapes.extend([
                (format!("{p}.input_layernorm.weight"), vec![h]),
                (format!("{p}.post_attention_layernorm.weight"), vec![h]),
                (
                    format!("{p}.self_attn.q_proj.weight"),
                    vec![c.num_attention_heads * d, h],
                ),
                (
                    format!("{p}.self_attn.k_proj.weight"),
                    vec![c.num_key_value_heads * d, h],
                ),
                (
                    format!("{p}.self_attn.v_proj.weight"),
                    vec![c.num_key_value_heads * d, h],
                ),
                (
                    format!("{p}.self_attn.o_proj.weight"),
                    vec![h, c.num_attention_heads * d],
                ),
                (format!("{p}.mlp.gate_proj.weight"), vec![i, h]),
                (format!("{p}.mlp.up_proj.weight"), vec![i, h]),
                (format!("{p}.mlp.down_proj.weight"), vec![h, i]),
            ]);
        }
        shapes
            .into_iter()
            .map(|(name, shape)| {
                let t = if shape.len() == 1 {
                    Tensor::rand(0.5f32, 1.5, shape, &dev).unwrap()
                } else {
                    Tensor::randn(0f32, 0.2, shape, &dev).unwrap()
                };
                (name, t)
            })
            .collect()
    }

    fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    }

    /// Same logits as candle-transformers' llama on the same weights, for a prefill and for
    /// single-token steps after it.
    #[test]
    fn matches_candle_transformers_llama() {
        let c = config();
        let weights = tensors(&c);
        let vb = VarBuilder::from_tensors(weights.clone(), DType::F32, &Device::Cpu);
        let mut ours = LlamaHf::new(&c, vb).unwrap();
        let mut reference = HfModel::from_tensors(
            &c,
            weights,
            std::path::Path::new("."),
            &Device::Cpu,
            DType::F32,
            LlamaImplementation::CandleTransformers,
        )
        .unwrap();
        let prompt = [3u32, 17, 5, 29, 11];
        let a = ours.forward(&prompt, 0).unwrap();
        let b = reference.forward(&prompt, 0).unwrap();
        assert!(max_diff(&a, &b) < 1e-4, "prefill: {}", max_diff(&a, &b));
        for (i, token) in [7u32, 38, 2].into_iter().enumerate() {
            let a = ours.forward(&[token], prompt.len() + i).unwrap();
            let b = reference.forward(&[token], prompt.len() + i).unwrap();
            assert!(max_diff(&a, &b) < 1e-4, "step {i}: {}", max_diff(&a, &b));
        }
        // A second prefill after clearing starts from scratch.
        ours.clear_cache();
        let again = ours.forward(&prompt, 0).unwrap();
        reference.clear_cache();
        let want = reference.forward(&prompt, 0).unwrap();
        assert!(max_diff(&again, &want) < 1e-4);
        // A multi-token step on a non-empty cache (chunked prefill) agrees too.
        ours.clear_cache();
        ours.forward(&prompt[..2], 0).unwrap();
        let chunked = ours.forward(&prompt[2..], 2).unwrap();
        assert!(max_diff(&chunked, &want) < 1e-4);
    }
}
