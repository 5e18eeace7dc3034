//! The operations a training step spends its time in, behind one trait so that fused GPU
//! kernels (RMSNorm, RoPE, attention, gated MLP, chunked cross-entropy) can replace the
//! reference versions without touching the model. [`ReferenceOps`] builds each one from candle
//! primitives whose gradients candle's autograd already knows; a kernel implementation is tested
//! against it.

use candle_core::{D, DType, Tensor};

use crate::error::Result;
use crate::spec::Activation;

pub trait TrainOps: Send + Sync {
    /// RMS normalization over the last dimension, computed in f32, times `weight`.
    fn rms_norm(&self, x: &Tensor, weight: &Tensor, eps: f64) -> Result<Tensor>;

    /// Rotate-half RoPE of `x` `[batch, heads, seq, rope_dim]` with `cos`/`sin`
    /// `[batch, 1, seq, rope_dim / 2]`.
    fn rope(&self, x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor>;

    /// Attention of `q` `[b, heads, t, d]` over `k`, `v` `[b, kv_heads, t, d]` with an additive
    /// `mask` `[b, 1, t, t]` (0 or -inf), logits scaled and optionally soft-capped.
    fn attention(
        &self,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        mask: &Tensor,
        scale: f64,
        softcap: Option<f64>,
    ) -> Result<Tensor>;

    /// `act(gate) * up`.
    fn gated(&self, gate: &Tensor, up: &Tensor, activation: Activation) -> Result<Tensor>;

    /// Sum over rows of the negative log-likelihood of `labels` (`-100`: ignored) under
    /// `logits` `[rows, vocab]`, in f32.
    fn cross_entropy_sum(&self, logits: &Tensor, labels: &Tensor) -> Result<Tensor>;
}

/// The type reductions run in: f32, or f64 for an f64 model (gradient checks).
fn wide(dtype: DType) -> DType {
    if dtype == DType::F64 { DType::F64 } else { DType::F32 }
}

/// Candle primitives only.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReferenceOps;

impl TrainOps for ReferenceOps {
    fn rms_norm(&self, x: &Tensor, weight: &Tensor, eps: f64) -> Result<Tensor> {
        let dtype = x.dtype();
        let x32 = x.to_dtype(wide(dtype))?;
        let mean_square = x32.sqr()?.mean_keepdim(D::Minus1)?;
        let normed = x32.broadcast_div(&(mean_square + eps)?.sqrt()?)?;
        Ok(normed
            .to_dtype(dtype)?
            .broadcast_mul(&weight.to_dtype(dtype)?)?)
    }

    fn rope(&self, x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor> {
        let half = x.dim(D::Minus1)? / 2;
        let x1 = x.narrow(D::Minus1, 0, half)?;
        let x2 = x.narrow(D::Minus1, half, half)?;
        let cos = cos.to_dtype(x.dtype())?;
        let sin = sin.to_dtype(x.dtype())?;
        let first = (x1.broadcast_mul(&cos)? - x2.broadcast_mul(&sin)?)?;
        let second = (x2.broadcast_mul(&cos)? + x1.broadcast_mul(&sin)?)?;
        Ok(Tensor::cat(&[first, second], D::Minus1)?)
    }

    fn attention(
        &self,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        mask: &Tensor,
        scale: f64,
        softcap: Option<f64>,
    ) -> Result<Tensor> {
        let (b, heads, t, d) = q.dims4()?;
        let kv_heads = k.dim(1)?;
        let repeat = |x: &Tensor| -> Result<Tensor> {
            if kv_heads == heads {
                return Ok(x.clone());
            }
            let rep = heads / kv_heads;
            Ok(x.unsqueeze(2)?
                .broadcast_as((b, kv_heads, rep, t, d))?
                .reshape((b, heads, t, d))?)
        };
        let k = repeat(k)?;
        let v = repeat(v)?;
        let mut scores = (q.contiguous()?.matmul(&k.t()?.contiguous()?)? * scale)?;
        if let Some(cap) = softcap {
            scores = ((scores / cap)?.tanh()? * cap)?;
        }
        let wide = wide(q.dtype());
        let scores = scores
            .to_dtype(wide)?
            .broadcast_add(&mask.to_dtype(wide)?)?;
        // candle's fused softmax has no backward pass: this one is built from primitives.
        // The max is a constant for the gradient (softmax is shift-invariant).
        let max = scores.max_keepdim(D::Minus1)?.detach();
        let exp = scores.broadcast_sub(&max)?.exp()?;
        let probs = exp
            .broadcast_div(&exp.sum_keepdim(D::Minus1)?)?
            .to_dtype(q.dtype())?;
        Ok(probs.matmul(&v.contiguous()?)?)
    }

    fn gated(&self, gate: &Tensor, up: &Tensor, activation: Activation) -> Result<Tensor> {
        let activated = match activation {
            Activation::Silu => candle_nn::ops::silu(gate)?,
            Activation::GeluTanh => gate.gelu()?,
        };
        Ok((activated * up)?)
    }

    fn cross_entropy_sum(&self, logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
        let logits = logits.to_dtype(wide(logits.dtype()))?;
        let valid = labels.ge(0i64)?;
        let safe = valid.where_cond(labels, &labels.zeros_like()?)?.to_dtype(DType::U32)?;
        // The max is a constant for the gradient: log-sum-exp's derivative is the softmax
        // whatever is subtracted.
        let max = logits.max_keepdim(D::Minus1)?.detach();
        let lse = (logits.broadcast_sub(&max)?.exp()?.sum_keepdim(D::Minus1)?.log()? + &max)?;
        let picked = logits.gather(&safe.unsqueeze(1)?, 1)?;
        let nll = (lse - picked)?.squeeze(1)?;
        let mask = valid.to_dtype(logits.dtype())?;
        Ok((nll * mask)?.sum_all()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn cross_entropy_ignores_masked_rows_and_matches_the_formula() {
        let logits = Tensor::new(&[[1f32, 2.0, 3.0], [0.5, 0.5, 0.5]], &Device::Cpu).unwrap();
        let labels = Tensor::new(&[2i64, -100], &Device::Cpu).unwrap();
        let loss = ReferenceOps
            .cross_entropy_sum(&logits, &labels)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        let lse = (1f32.exp() + 2f32.exp() + 3f32.exp()).ln();
        assert!((loss - (lse - 3.0)).abs() < 1e-5, "{loss}");
    }

    #[test]
    fn rms_norm_matches_the_formula() {
        let x = Tensor::new(&[[3f32, 4.0]], &Device::Cpu).unwrap();
        let w = Tensor::new(&[1f32, 2.0], &Device::Cpu).unwrap();
        let y = ReferenceOps.rms_norm(&x, &w, 0.0).unwrap().to_vec2::<f32>().unwrap();
        let rms = (12.5f32).sqrt();
        assert!((y[0][0] - 3.0 / rms).abs() < 1e-6);
        assert!((y[0][1] - 8.0 / rms).abs() < 1e-6);
    }
}
