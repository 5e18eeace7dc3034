//! Phi-3 (and Phi-4, which GGUF stores as `phi3`), from GGUF (Hugging Face folders run through
//! `hf.rs`).
//!
//! Phi-3 specifics, as llama.cpp's converter stores them: q, k and v in one matrix
//! (`attn_qkv`, q rows first) and gate and up in one (`ffn_up`, gate rows first); rotate-half
//! RoPE, possibly on the leading `rope.dimension_count` dimensions of each head only
//! (`partial_rotary_factor`); for the 128K models, LongRoPE factors as tensors
//! (`rope_factors_short`, `rope_factors_long`) with `rope.scaling.attn_factor`.
//!
//! Not followed: `attention.sliding_window`. llama.cpp disables it for Phi-3 and the Hugging
//! Face path (candle-transformers' phi3) ignores it too, so both paths attend over the whole
//! cache.

use candle_core::{Device, Tensor};
use loris_models::GgufFile;

use super::CausalLm;
use crate::attention::{KvCache, attend, last_position};
use crate::error::{InferError, Result};
use crate::rope::{Rope, RopeScaling};
use crate::weights::{GgufWeights, Linear, RmsNorm, WeightSource};

/// The q, k and v projections: fused as the converter writes Phi-3's `qkv_proj`, or apart, as
/// llama.cpp also accepts for this architecture.
enum Qkv {
    Fused(Linear),
    Split { q: Linear, k: Linear, v: Linear },
}

/// The gate and up projections: fused (`ffn_up`, `[2 * ff, hidden]`, gate rows first) as the
/// converter writes Phi-3's `gate_up_proj`, or apart.
enum GateUp {
    Fused(Linear),
    Split { gate: Linear, up: Linear },
}

struct Layer {
    attn_norm: RmsNorm,
    qkv: Qkv,
    o: Linear,
    ffn_norm: RmsNorm,
    gate_up: GateUp,
    down: Linear,
    cache: KvCache,
}

/// Phi-3's rotary embedding. With LongRoPE factors, positions inside the original context use
/// the short factors and positions beyond it the long ones, as the Hugging Face path does
/// (transformers switches to the long factors once the sequence passes the original context;
/// keys already cached keep their rotation either way); cos and sin are scaled by the
/// attention factor, as in transformers and llama.cpp.
struct PhiRope {
    short: Rope,
    long: Option<Rope>,
    original_context: usize,
    attn_factor: f64,
}

impl PhiRope {
    fn cos_sin(&self, offset: usize, seq: usize) -> Result<(Tensor, Tensor)> {
        let end = offset + seq;
        let (cos, sin) = match &self.long {
            Some(long) if end > self.original_context => {
                let first_long = self.original_context.max(offset);
                let (long_cos, long_sin) = long.cos_sin(first_long, end - first_long)?;
                if first_long == offset {
                    (long_cos, long_sin)
                } else {
                    let (short_cos, short_sin) = self.short.cos_sin(offset, first_long - offset)?;
                    (
                        Tensor::cat(&[&short_cos, &long_cos], 0)?,
                        Tensor::cat(&[&short_sin, &long_sin], 0)?,
                    )
                }
            }
            _ => self.short.cos_sin(offset, seq)?,
        };
        if self.attn_factor == 1.0 {
            return Ok((cos, sin));
        }
        Ok(((cos * self.attn_factor)?, (sin * self.attn_factor)?))
    }

    fn apply(&self, x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor> {
        // Short and long differ in frequencies only, which cos and sin carry.
        self.short.apply(x, cos, sin)
    }
}

pub struct Phi3 {
    embed: candle_nn::Embedding,
    layers: Vec<Layer>,
    norm: RmsNorm,
    lm_head: Linear,
    rope: PhiRope,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    ff: usize,
    context_length: usize,
    device: Device,
}

impl Phi3 {
    pub fn from_gguf(file: &GgufFile, device: &Device, dequantize: bool) -> Result<Self> {
        let key = |k: &str| format!("phi3.{k}");
        let hidden = file.req_usize(&key("embedding_length"))?;
        let blocks = file.req_usize(&key("block_count"))?;
        let ff = file.req_usize(&key("feed_forward_length"))?;
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
        // Required, as in llama.rs: a silent default base would be wrong for most models.
        let base = file.req_f64(&key("rope.freq_base"))?;
        let rope_dim = file
            .opt_usize(&key("rope.dimension_count"))?
            .unwrap_or(head_dim);
        if rope_dim > head_dim {
            return Err(InferError::UnsupportedModel(format!(
                "RoPE over {rope_dim} dimensions of {head_dim}-dimensional heads"
            )));
        }

        let mut w = GgufWeights::new(file, device, dequantize)?;
        let rope = rope(file, &mut w, rope_dim, base, context_length, device)?;
        let embed_weight = w.dense("token_embd.weight")?;
        let lm_head = if w.has("output.weight") {
            w.linear("output.weight")?
        } else {
            w.linear("token_embd.weight")?
        };
        let mut layers = Vec::with_capacity(blocks);
        for i in 0..blocks {
            let n = |s: &str| format!("blk.{i}.{s}.weight");
            let qkv = if w.has(&n("attn_qkv")) {
                Qkv::Fused(w.linear(&n("attn_qkv"))?)
            } else {
                Qkv::Split {
                    q: w.linear(&n("attn_q"))?,
                    k: w.linear(&n("attn_k"))?,
                    v: w.linear(&n("attn_v"))?,
                }
            };
            let gate_up = if w.has(&n("ffn_gate")) {
                GateUp::Split {
                    gate: w.linear(&n("ffn_gate"))?,
                    up: w.linear(&n("ffn_up"))?,
                }
            } else {
                GateUp::Fused(w.linear(&n("ffn_up"))?)
            };
            layers.push(Layer {
                attn_norm: RmsNorm::new(w.dense(&n("attn_norm"))?, eps),
                qkv,
                o: w.linear(&n("attn_output"))?,
                ffn_norm: RmsNorm::new(w.dense(&n("ffn_norm"))?, eps),
                gate_up,
                down: w.linear(&n("ffn_down"))?,
                cache: KvCache::default(),
            });
        }
        Ok(Phi3 {
            embed: candle_nn::Embedding::new(embed_weight, hidden),
            layers,
            norm: RmsNorm::new(w.dense("output_norm.weight")?, eps),
            lm_head,
            rope,
            heads,
            kv_heads,
            head_dim,
            ff,
            context_length,
            device: device.clone(),
        })
    }
}

/// Plain RoPE, or LongRoPE when the file carries the factor tensors.
fn rope(
    file: &GgufFile,
    w: &mut GgufWeights<'_>,
    dim: usize,
    base: f64,
    context_length: usize,
    device: &Device,
) -> Result<PhiRope> {
    let factors = |w: &mut GgufWeights<'_>, name: &str| -> Result<RopeScaling> {
        Ok(RopeScaling::Factors(w.dense(name)?.to_vec1::<f32>()?))
    };
    let (short, long) = if w.has("rope_factors_long.weight") {
        (
            factors(w, "rope_factors_short.weight")?,
            Some(factors(w, "rope_factors_long.weight")?),
        )
    } else {
        (RopeScaling::None, None)
    };
    // Rotate-half: the converter does not permute Phi-3's rows.
    let short = Rope::new(dim, base, &short, false, device)?;
    let long = long
        .map(|l| Rope::new(dim, base, &l, false, device))
        .transpose()?;
    Ok(PhiRope {
        short,
        long,
        original_context: file
            .opt_usize("phi3.rope.scaling.original_context_length")?
            .unwrap_or(context_length),
        attn_factor: file
            .opt_f64("phi3.rope.scaling.attn_factor")?
            .unwrap_or(1.0),
    })
}

impl CausalLm for Phi3 {
    fn forward(&mut self, tokens: &[u32], offset: usize) -> Result<Tensor> {
        let seq = tokens.len();
        let input = Tensor::new(tokens, &self.device)?.unsqueeze(0)?;
        let mut x = candle_core::Module::forward(&self.embed, &input)?;
        let (cos, sin) = self.rope.cos_sin(offset, seq)?;
        let scale = 1.0 / (self.head_dim as f64).sqrt();
        let (q_out, kv_out) = (self.heads * self.head_dim, self.kv_heads * self.head_dim);
        for layer in &mut self.layers {
            let h = layer.attn_norm.forward(&x)?;
            let (q, k, v) = match &layer.qkv {
                Qkv::Fused(qkv) => {
                    let qkv = qkv.forward(&h)?;
                    (
                        qkv.narrow(2, 0, q_out)?,
                        qkv.narrow(2, q_out, kv_out)?,
                        qkv.narrow(2, q_out + kv_out, kv_out)?,
                    )
                }
                Qkv::Split { q, k, v } => (q.forward(&h)?, k.forward(&h)?, v.forward(&h)?),
            };
            let split =
                |t: Tensor, n: usize| t.reshape((1, seq, n, self.head_dim))?.transpose(1, 2);
            let q = self.rope.apply(&split(q, self.heads)?, &cos, &sin)?;
            let k = self.rope.apply(&split(k, self.kv_heads)?, &cos, &sin)?;
            let v = split(v, self.kv_heads)?.contiguous()?;
            let a = attend(&mut layer.cache, &q, &k, &v, offset, None, scale)?;
            x = (x + layer.o.forward(&a)?)?;

            let h = layer.ffn_norm.forward(&x)?;
            let (gate, up) = match &layer.gate_up {
                GateUp::Fused(gate_up) => {
                    let gu = gate_up.forward(&h)?;
                    (gu.narrow(2, 0, self.ff)?, gu.narrow(2, self.ff, self.ff)?)
                }
                GateUp::Split { gate, up } => (gate.forward(&h)?, up.forward(&h)?),
            };
            let gated = (candle_nn::ops::silu(&gate)? * up)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Two frequencies; original context 3.
    fn rope(long: bool, attn_factor: f64) -> PhiRope {
        let make = |factors: Vec<f32>| {
            Rope::new(
                4,
                10_000.0,
                &RopeScaling::Factors(factors),
                false,
                &Device::Cpu,
            )
            .unwrap()
        };
        PhiRope {
            short: make(vec![1.0, 2.0]),
            long: long.then(|| make(vec![4.0, 8.0])),
            original_context: 3,
            attn_factor,
        }
    }

    fn rows(t: &Tensor) -> Vec<Vec<f32>> {
        t.to_vec2::<f32>().unwrap()
    }

    #[test]
    fn long_factors_start_at_the_original_context() {
        let with_long = rope(true, 1.0);
        let short_only = rope(false, 1.0);
        let (all, _) = with_long.cos_sin(0, 5).unwrap();
        let (short, _) = short_only.cos_sin(0, 5).unwrap();
        let (all, short) = (rows(&all), rows(&short));
        assert_eq!(all[..3], short[..3]);
        assert_ne!(all[3], short[3]);
        // A step past the boundary gives the same rows as the prompt did.
        let (step, _) = with_long.cos_sin(4, 1).unwrap();
        assert_eq!(rows(&step)[0], all[4]);
        let (across, _) = with_long.cos_sin(2, 2).unwrap();
        assert_eq!(rows(&across), all[2..4].to_vec());
    }

    #[test]
    fn attn_factor_scales_cos_and_sin() {
        let (c1, s1) = rope(true, 1.0).cos_sin(0, 5).unwrap();
        let (c2, s2) = rope(true, 2.0).cos_sin(0, 5).unwrap();
        let twice = |a: &Tensor, b: &Tensor| {
            let d = ((a * 2.0).unwrap() - b).unwrap().abs().unwrap();
            d.max_all().unwrap().to_scalar::<f32>().unwrap()
        };
        assert!(twice(&c1, &c2) < 1e-6);
        assert!(twice(&s1, &s2) < 1e-6);
    }
}
