//! Gemma 2, from GGUF (Hugging Face folders run through `hf.rs`).
//!
//! Gemma 2 specifics, as llama.cpp's converter stores them: embeddings scaled by sqrt(hidden);
//! RMSNorm before and after both attention and the MLP, with weights `1 + w` (the converter adds
//! the 1); tanh-approximated GELU in the MLP; attention scores soft-capped to
//! `cap * tanh(s / cap)` and the final logits likewise; sliding-window attention on even layers,
//! full attention on odd ones, one RoPE base for both.

use candle_core::{Device, Tensor};
use loris_models::GgufFile;

use super::CausalLm;
use crate::attention::{KvCache, Scale, attend, last_position};
use crate::error::{InferError, Result};
use crate::rope::{Rope, RopeScaling};
use crate::weights::{GgufWeights, Linear, RmsNorm, WeightSource};

/// Defaults llama.cpp uses when a Gemma 2 GGUF omits them: the values of every released
/// checkpoint (its converter writes the soft caps and window, but never the RoPE base).
const DEFAULT_WINDOW: usize = 4096;
const DEFAULT_ATTN_SOFTCAP: f64 = 50.0;
const DEFAULT_FINAL_SOFTCAP: f64 = 30.0;
const DEFAULT_ROPE_BASE: f64 = 10_000.0;
/// Every second layer attends globally, starting with a sliding one (transformers' `layer_types`,
/// llama.cpp's swa pattern 2).
const SLIDING_WINDOW_PATTERN: usize = 2;
/// Gemma 2 27B, the one size whose `query_pre_attn_scalar` is hidden / heads, not head_dim.
/// GGUF does not record the scalar; llama.cpp tells the sizes apart by layer count.
const LAYERS_27B: usize = 46;

struct Layer {
    attn_norm: RmsNorm,
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
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

pub struct Gemma2 {
    embed: candle_nn::Embedding,
    embed_scale: f64,
    layers: Vec<Layer>,
    norm: RmsNorm,
    lm_head: Linear,
    rope: Rope,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    attn_scale: Scale,
    final_softcap: Option<f64>,
    context_length: usize,
    device: Device,
}

/// A soft cap from metadata: absent means the default, zero or less means none.
fn softcap(file: &GgufFile, key: &str, default: f64) -> Result<Option<f64>> {
    let cap = file.opt_f64(key)?.unwrap_or(default);
    Ok((cap > 0.0).then_some(cap))
}

impl Gemma2 {
    pub fn from_gguf(file: &GgufFile, device: &Device, dequantize: bool) -> Result<Self> {
        let key = |k: &str| format!("gemma2.{k}");
        let hidden = file.req_usize(&key("embedding_length"))?;
        let blocks = file.req_usize(&key("block_count"))?;
        let heads = file.req_usize(&key("attention.head_count"))?;
        let kv_heads = file
            .opt_usize(&key("attention.head_count_kv"))?
            .unwrap_or(heads);
        if heads == 0 || kv_heads == 0 || !heads.is_multiple_of(kv_heads) {
            return Err(InferError::UnsupportedModel(format!(
                "{heads} heads, {kv_heads} KV heads"
            )));
        }
        let head_dim = file
            .opt_usize(&key("attention.key_length"))?
            .unwrap_or(hidden / heads);
        let eps = file.req_f64(&key("attention.layer_norm_rms_epsilon"))?;
        let context_length = file.req_usize(&key("context_length"))?;
        let window = file
            .opt_usize(&key("attention.sliding_window"))?
            .unwrap_or(DEFAULT_WINDOW);
        let base = file
            .opt_f64(&key("rope.freq_base"))?
            .unwrap_or(DEFAULT_ROPE_BASE);
        // transformers scales by query_pre_attn_scalar^-0.5.
        let scalar = if blocks == LAYERS_27B {
            hidden / heads
        } else {
            head_dim
        };
        let attn_scale = Scale {
            factor: 1.0 / (scalar as f64).sqrt(),
            softcap: softcap(file, &key("attn_logit_softcapping"), DEFAULT_ATTN_SOFTCAP)?,
        };
        let final_softcap = softcap(file, &key("final_logit_softcapping"), DEFAULT_FINAL_SOFTCAP)?;
        let rope = Rope::new(head_dim, base, &RopeScaling::None, false, device)?;

        let mut w = GgufWeights::new(file, device, dequantize)?;
        let embed_weight = w.dense("token_embd.weight")?;
        // The converter drops lm_head (Gemma ties it); a file that has one is followed.
        let lm_head = if w.has("output.weight") {
            w.linear("output.weight")?
        } else {
            w.linear("token_embd.weight")?
        };
        let mut layers = Vec::with_capacity(blocks);
        for i in 0..blocks {
            let n = |s: &str| format!("blk.{i}.{s}.weight");
            let mut norm = |s: &str| -> Result<RmsNorm> { Ok(RmsNorm::new(w.dense(&n(s))?, eps)) };
            let attn_norm = norm("attn_norm")?;
            let post_attn_norm = norm("post_attention_norm")?;
            let ffn_norm = norm("ffn_norm")?;
            let post_ffn_norm = norm("post_ffw_norm")?;
            let sliding = (i + 1) % SLIDING_WINDOW_PATTERN != 0;
            layers.push(Layer {
                attn_norm,
                q: w.linear(&n("attn_q"))?,
                k: w.linear(&n("attn_k"))?,
                v: w.linear(&n("attn_v"))?,
                o: w.linear(&n("attn_output"))?,
                post_attn_norm,
                ffn_norm,
                gate: w.linear(&n("ffn_gate"))?,
                up: w.linear(&n("ffn_up"))?,
                down: w.linear(&n("ffn_down"))?,
                post_ffn_norm,
                window: sliding.then_some(window),
                cache: KvCache::default(),
            });
        }
        Ok(Gemma2 {
            embed: candle_nn::Embedding::new(embed_weight, hidden),
            embed_scale: (hidden as f64).sqrt(),
            layers,
            norm: RmsNorm::new(w.dense("output_norm.weight")?, eps),
            lm_head,
            rope,
            heads,
            kv_heads,
            head_dim,
            attn_scale,
            final_softcap,
            context_length,
            device: device.clone(),
        })
    }
}

impl CausalLm for Gemma2 {
    fn forward(&mut self, tokens: &[u32], offset: usize) -> Result<Tensor> {
        let seq = tokens.len();
        let input = Tensor::new(tokens, &self.device)?.unsqueeze(0)?;
        let mut x = (candle_core::Module::forward(&self.embed, &input)? * self.embed_scale)?;
        let (cos, sin) = self.rope.cos_sin(offset, seq)?;
        for layer in &mut self.layers {
            let h = layer.attn_norm.forward(&x)?;
            let split =
                |t: Tensor, n: usize| t.reshape((1, seq, n, self.head_dim))?.transpose(1, 2);
            let q = split(layer.q.forward(&h)?, self.heads)?;
            let k = split(layer.k.forward(&h)?, self.kv_heads)?;
            let v = split(layer.v.forward(&h)?, self.kv_heads)?.contiguous()?;
            let q = self.rope.apply(&q, &cos, &sin)?;
            let k = self.rope.apply(&k, &cos, &sin)?;
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
            // tanh-approximated GELU (`gelu_pytorch_tanh`).
            let gated = (layer.gate.forward(&h)?.gelu()? * layer.up.forward(&h)?)?;
            x = (x + layer.post_ffn_norm.forward(&layer.down.forward(&gated)?)?)?;
        }
        let x = self.norm.forward(&last_position(&x)?)?;
        let logits = self.lm_head.forward(&x)?.squeeze(0)?;
        Ok(match self.final_softcap {
            Some(cap) => ((logits / cap)?.tanh()? * cap)?,
            None => logits,
        })
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
