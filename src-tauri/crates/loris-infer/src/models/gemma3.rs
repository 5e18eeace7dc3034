//! Gemma 3 (text), from GGUF or from a Hugging Face checkpoint.
//!
//! Written here rather than using candle-transformers 0.11.1's model files: its
//! `quantized_gemma3` applies SiLU in the MLP where Gemma 3 uses tanh-approximated GELU
//! (upstream issue #3745) and ignores the sliding window once the prompt is processed; its
//! `gemma3` fails on CPU (it appends non-contiguous values to its KV cache) and both allocate
//! RoPE tables for 128K positions per layer.
//!
//! Gemma 3 specifics: embeddings scaled by sqrt(hidden); RMSNorm after attention and after the
//! MLP as well as before, with weights `1 + w` (GGUF stores them so; [`Transform::AddOne`] for
//! Hugging Face checkpoints); per-head RMSNorm of queries and keys; sliding-window layers with
//! their own RoPE base between full-attention ones.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use loris_models::{GgufFile, LayerType, ModelConfig, RopeScaling as ConfigRopeScaling};

use super::CausalLm;
use crate::attention::{KvCache, attend, last_position};
use crate::error::{InferError, Result};
use crate::rope::{Rope, RopeScaling};
use crate::weights::{GgufWeights, HfWeights, Linear, RmsNorm, Transform, WeightSource};

/// Gemma 3's pattern: every sixth layer attends globally. llama.cpp hard-codes it, as its
/// converter does not record it; a file that does record one
/// (`gemma3.attention.sliding_window_pattern`) is followed.
const SLIDING_WINDOW_PATTERN: usize = 6;
/// RoPE base of the sliding-window layers in GGUF files, fixed by the architecture
/// (transformers' `rope_local_base_freq`; llama.cpp's `rope_freq_base_train_swa` for gemma3).
const LOCAL_ROPE_BASE: f64 = 10_000.0;

/// The hyperparameters, from GGUF metadata or config.json.
#[derive(Debug, Clone)]
pub struct Params {
    pub hidden: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub eps: f64,
    pub context_length: usize,
    pub window: usize,
    /// One entry per layer: sliding-window or full attention.
    pub sliding: Vec<bool>,
    pub global_base: f64,
    pub global_scaling: RopeScaling,
    pub local_base: f64,
    pub attn_scale: f64,
}

struct Layer {
    attn_norm: RmsNorm,
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    q_norm: RmsNorm,
    k_norm: RmsNorm,
    post_attn_norm: RmsNorm,
    ffn_norm: RmsNorm,
    gate: Linear,
    up: Linear,
    down: Linear,
    post_ffn_norm: RmsNorm,
    /// `Some(window)` for sliding-window layers.
    window: Option<usize>,
    cache: KvCache,
}

pub struct Gemma3 {
    embed: candle_nn::Embedding,
    embed_scale: f64,
    layers: Vec<Layer>,
    norm: RmsNorm,
    lm_head: Linear,
    global_rope: Rope,
    local_rope: Rope,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    attn_scale: f64,
    context_length: usize,
    device: Device,
}

impl Gemma3 {
    pub fn from_gguf(file: &GgufFile, device: &Device, dequantize: bool) -> Result<Self> {
        let key = |k: &str| format!("gemma3.{k}");
        let hidden = file.req_usize(&key("embedding_length"))?;
        let blocks = file.req_usize(&key("block_count"))?;
        let heads = file.req_usize(&key("attention.head_count"))?;
        let kv_heads = file
            .opt_usize(&key("attention.head_count_kv"))?
            .unwrap_or(heads);
        let head_dim = file.req_usize(&key("attention.key_length"))?;
        let pattern = file
            .opt_usize(&key("attention.sliding_window_pattern"))?
            .unwrap_or(SLIDING_WINDOW_PATTERN)
            .max(1);
        let global_scaling = match file.opt_str(&key("rope.scaling.type"))? {
            None | Some("none") => RopeScaling::None,
            // Gemma 3 4B+ stretch the global layers' positions by 8 (transformers `linear`).
            Some("linear") => RopeScaling::Linear(file.req_f64(&key("rope.scaling.factor"))?),
            Some(other) => {
                return Err(InferError::UnsupportedModel(format!(
                    "RoPE scaling '{other}'"
                )));
            }
        };
        // transformers scales by query_pre_attn_scalar^-0.5, which is head_dim for every Gemma 3
        // except 27B (hidden / heads); llama.cpp makes the same distinction by model size.
        let scalar = if hidden == 5376 && blocks == 62 {
            hidden / heads.max(1)
        } else {
            head_dim
        };
        let params = Params {
            hidden,
            heads,
            kv_heads,
            head_dim,
            eps: file.req_f64(&key("attention.layer_norm_rms_epsilon"))?,
            context_length: file.req_usize(&key("context_length"))?,
            window: file.req_usize(&key("attention.sliding_window"))?,
            sliding: (0..blocks).map(|i| (i + 1) % pattern != 0).collect(),
            global_base: file.req_f64(&key("rope.freq_base"))?,
            global_scaling,
            local_base: LOCAL_ROPE_BASE,
            attn_scale: 1.0 / (scalar as f64).sqrt(),
        };
        let mut weights = GgufWeights::new(file, device, dequantize)?;
        Self::load(&params, &mut weights, device)
    }

    /// From config.json and the checkpoint's tensors (f32).
    pub fn from_hf(
        config: &ModelConfig,
        tensors: HashMap<String, Tensor>,
        dir: &Path,
        device: &Device,
    ) -> Result<Self> {
        let raw = &config.raw;
        for cap in ["attn_logit_softcapping", "final_logit_softcapping"] {
            if raw.get(cap).is_some_and(|v| !v.is_null()) {
                return Err(InferError::UnsupportedModel(format!("Gemma 3 with {cap}")));
            }
        }
        let global_scaling = match &config.rope.scaling {
            ConfigRopeScaling::None => RopeScaling::None,
            ConfigRopeScaling::Linear { factor } => RopeScaling::Linear(*factor),
            other => {
                return Err(InferError::UnsupportedModel(format!(
                    "Gemma 3 with RoPE scaling {other:?}"
                )));
            }
        };
        let scalar = raw
            .get("query_pre_attn_scalar")
            .and_then(|v| v.as_f64())
            .unwrap_or(config.head_dim as f64);
        let params = Params {
            hidden: config.hidden_size,
            heads: config.num_attention_heads,
            kv_heads: config.num_key_value_heads,
            head_dim: config.head_dim,
            eps: config.rms_norm_eps,
            context_length: config.max_position_embeddings,
            window: config
                .sliding_window
                .unwrap_or(config.max_position_embeddings),
            sliding: config
                .layer_types
                .iter()
                .map(|t| *t == LayerType::SlidingAttention)
                .collect(),
            global_base: config.rope.theta,
            global_scaling,
            local_base: config.rope.local_theta.unwrap_or(config.rope.theta),
            attn_scale: 1.0 / scalar.sqrt(),
        };
        let mut weights = HfWeights::new(tensors, hf_name, dir.to_owned());
        Self::load(&params, &mut weights, device)
    }

    fn load(p: &Params, w: &mut dyn WeightSource, device: &Device) -> Result<Self> {
        if p.heads == 0 || p.kv_heads == 0 || !p.heads.is_multiple_of(p.kv_heads) {
            return Err(InferError::UnsupportedModel(format!(
                "{} heads, {} KV heads",
                p.heads, p.kv_heads
            )));
        }
        let global_rope = Rope::new(p.head_dim, p.global_base, &p.global_scaling, false, device)?;
        let local_rope = Rope::new(p.head_dim, p.local_base, &RopeScaling::None, false, device)?;
        let embed_weight = w.dense("token_embd.weight")?;
        let lm_head = if w.has("output.weight") {
            w.linear("output.weight")?
        } else {
            w.linear("token_embd.weight")?
        };
        let mut layers = Vec::with_capacity(p.sliding.len());
        for (i, sliding) in p.sliding.iter().enumerate() {
            let n = |s: &str| format!("blk.{i}.{s}.weight");
            let mut norm =
                |s: &str| -> Result<RmsNorm> { Ok(RmsNorm::new(w.dense(&n(s))?, p.eps)) };
            let attn_norm = norm("attn_norm")?;
            let q_norm = norm("attn_q_norm")?;
            let k_norm = norm("attn_k_norm")?;
            let post_attn_norm = norm("post_attention_norm")?;
            let ffn_norm = norm("ffn_norm")?;
            let post_ffn_norm = norm("post_ffw_norm")?;
            layers.push(Layer {
                attn_norm,
                q: w.linear(&n("attn_q"))?,
                k: w.linear(&n("attn_k"))?,
                v: w.linear(&n("attn_v"))?,
                o: w.linear(&n("attn_output"))?,
                q_norm,
                k_norm,
                post_attn_norm,
                ffn_norm,
                gate: w.linear(&n("ffn_gate"))?,
                up: w.linear(&n("ffn_up"))?,
                down: w.linear(&n("ffn_down"))?,
                post_ffn_norm,
                window: sliding.then_some(p.window),
                cache: KvCache::default(),
            });
        }
        Ok(Gemma3 {
            embed: candle_nn::Embedding::new(embed_weight, p.hidden),
            embed_scale: (p.hidden as f64).sqrt(),
            layers,
            norm: RmsNorm::new(w.dense("output_norm.weight")?, p.eps),
            lm_head,
            global_rope,
            local_rope,
            heads: p.heads,
            kv_heads: p.kv_heads,
            head_dim: p.head_dim,
            attn_scale: p.attn_scale,
            context_length: p.context_length,
            device: device.clone(),
        })
    }
}

/// llama.cpp tensor name → transformers' Gemma 3 name.
fn hf_name(gguf: &str) -> Option<(String, Transform)> {
    let plain = |s: &str| Some((s.to_owned(), Transform::None));
    match gguf {
        "token_embd.weight" => return plain("model.embed_tokens.weight"),
        "output.weight" => return plain("lm_head.weight"),
        "output_norm.weight" => return Some(("model.norm.weight".into(), Transform::AddOne)),
        _ => {}
    }
    let rest = gguf.strip_prefix("blk.")?;
    let (layer, name) = rest.split_once('.')?;
    let (hf, transform) = match name.strip_suffix(".weight")? {
        "attn_q" => ("self_attn.q_proj", Transform::None),
        "attn_k" => ("self_attn.k_proj", Transform::None),
        "attn_v" => ("self_attn.v_proj", Transform::None),
        "attn_output" => ("self_attn.o_proj", Transform::None),
        "attn_q_norm" => ("self_attn.q_norm", Transform::AddOne),
        "attn_k_norm" => ("self_attn.k_norm", Transform::AddOne),
        "attn_norm" => ("input_layernorm", Transform::AddOne),
        "post_attention_norm" => ("post_attention_layernorm", Transform::AddOne),
        "ffn_norm" => ("pre_feedforward_layernorm", Transform::AddOne),
        "post_ffw_norm" => ("post_feedforward_layernorm", Transform::AddOne),
        "ffn_gate" => ("mlp.gate_proj", Transform::None),
        "ffn_up" => ("mlp.up_proj", Transform::None),
        "ffn_down" => ("mlp.down_proj", Transform::None),
        _ => return None,
    };
    Some((format!("model.layers.{layer}.{hf}.weight"), transform))
}

impl CausalLm for Gemma3 {
    fn forward(&mut self, tokens: &[u32], offset: usize) -> Result<Tensor> {
        let seq = tokens.len();
        let input = Tensor::new(tokens, &self.device)?.unsqueeze(0)?;
        let mut x = (candle_core::Module::forward(&self.embed, &input)? * self.embed_scale)?;
        let global = self.global_rope.cos_sin(offset, seq)?;
        let local = self.local_rope.cos_sin(offset, seq)?;
        for layer in &mut self.layers {
            let (rope, (cos, sin)) = match layer.window {
                Some(_) => (&self.local_rope, &local),
                None => (&self.global_rope, &global),
            };
            let h = layer.attn_norm.forward(&x)?;
            let split =
                |t: Tensor, n: usize| t.reshape((1, seq, n, self.head_dim))?.transpose(1, 2);
            let q = layer
                .q_norm
                .forward(&split(layer.q.forward(&h)?, self.heads)?)?;
            let k = layer
                .k_norm
                .forward(&split(layer.k.forward(&h)?, self.kv_heads)?)?;
            let v = split(layer.v.forward(&h)?, self.kv_heads)?.contiguous()?;
            let q = rope.apply(&q, cos, sin)?;
            let k = rope.apply(&k, cos, sin)?;
            let a = attend(
                &mut layer.cache,
                &q,
                &k,
                &v,
                offset,
                layer.window,
                self.attn_scale,
            )?;
            x = (x + layer.post_attn_norm.forward(&layer.o.forward(&a)?)?)?;

            let h = layer.ffn_norm.forward(&x)?;
            // tanh-approximated GELU (`gelu_pytorch_tanh`), not SiLU.
            let gated = (layer.gate.forward(&h)?.gelu()? * layer.up.forward(&h)?)?;
            x = (x + layer.post_ffn_norm.forward(&layer.down.forward(&gated)?)?)?;
        }
        let x = self.norm.forward(&last_position(&x)?)?;
        Ok(self.lm_head.forward(&x)?.squeeze(0)?)
    }

    fn clear_cache(&mut self) {
        self.layers.iter_mut().for_each(|l| l.cache.clear());
    }

    fn rewind_cache(&mut self, positions: usize) -> Result<bool> {
        for layer in &mut self.layers {
            if !layer.cache.rewind(positions, layer.window)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn context_length(&self) -> usize {
        self.context_length
    }
}
