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
    if dtype == DType::F64 {
        DType::F64
    } else {
        DType::F32
    }
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
        // Scaling the queries costs `t * d` multiplications instead of `t * t`.
        let q = (q * scale)?.contiguous()?;
        let mut scores = q.matmul(&k.t()?.contiguous()?)?;
        if let Some(cap) = softcap {
            scores = ((scores / cap)?.tanh()? * cap)?;
        }
        let scores = scores.broadcast_add(&mask.to_dtype(scores.dtype())?)?;
        let probs = softmax_last_dim(&scores)?;
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
        let safe = valid
            .where_cond(labels, &labels.zeros_like()?)?
            .to_dtype(DType::U32)?;
        // The max is a constant for the gradient: log-sum-exp's derivative is the softmax
        // whatever is subtracted.
        let max = logits.max_keepdim(D::Minus1)?.detach();
        let lse = (logits
            .broadcast_sub(&max)?
            .exp()?
            .sum_keepdim(D::Minus1)?
            .log()?
            + &max)?;
        let picked = logits.gather(&safe.unsqueeze(1)?, 1)?;
        let nll = (lse - picked)?.squeeze(1)?;
        let mask = valid.to_dtype(logits.dtype())?;
        Ok((nll * mask)?.sum_all()?)
    }
}

/// `x @ w^T` for a weight that is not trained: the gradient flows to `x` only. candle's own
/// matmul backward also computes the weight's gradient, a third of the backward pass's matrix
/// work and a weight-sized buffer per use, which LoRA throws away.
pub fn frozen_matmul(x: &Tensor, w: &Tensor) -> Result<Tensor> {
    let y = x.detach().matmul(&w.t()?)?;
    if !x.track_op() {
        return Ok(y);
    }
    Ok(x.apply_op1(Precomputed {
        name: "loris-frozen-matmul",
        result: y,
        backward: Backward::FrozenMatmul(w.clone()),
    })?)
}

/// Softmax over the last dimension with a gradient: the forward pass is candle's fused kernel
/// (which has no backward of its own), the backward `p * (g - sum(g * p))`, computed in f32.
pub fn softmax_last_dim(x: &Tensor) -> Result<Tensor> {
    let probs = candle_nn::ops::softmax_last_dim(&x.detach())?;
    if !x.track_op() {
        return Ok(probs);
    }
    Ok(x.apply_op1(Precomputed {
        name: "loris-softmax-last-dim",
        result: probs,
        backward: Backward::Softmax,
    })?)
}

enum Backward {
    /// `p * (g - sum(g * p))`, in f32.
    Softmax,
    /// `g @ w`.
    FrozenMatmul(Tensor),
}

/// A result computed without the autograd graph (by a fused kernel, or a matmul whose weight
/// needs no gradient), handed out as the output of a node that knows its own backward pass.
struct Precomputed {
    name: &'static str,
    result: Tensor,
    backward: Backward,
}

impl Precomputed {
    fn copy(&self) -> candle_core::Result<candle_core::Storage> {
        let (storage, layout) = self.result.storage_and_layout();
        storage.try_clone(layout)
    }
}

impl candle_core::CustomOp1 for Precomputed {
    fn name(&self) -> &'static str {
        self.name
    }

    fn cpu_fwd(
        &self,
        _storage: &candle_core::CpuStorage,
        _layout: &candle_core::Layout,
    ) -> candle_core::Result<(candle_core::CpuStorage, candle_core::Shape)> {
        match self.copy()? {
            candle_core::Storage::Cpu(s) => Ok((s, self.result.shape().clone())),
            _ => candle_core::bail!(
                "{}: the input and its result are on different devices",
                self.name
            ),
        }
    }

    #[cfg(feature = "cuda")]
    fn cuda_fwd(
        &self,
        _storage: &candle_core::CudaStorage,
        _layout: &candle_core::Layout,
    ) -> candle_core::Result<(candle_core::CudaStorage, candle_core::Shape)> {
        match self.copy()? {
            candle_core::Storage::Cuda(s) => Ok((s, self.result.shape().clone())),
            _ => candle_core::bail!(
                "{}: the input and its result are on different devices",
                self.name
            ),
        }
    }

    fn bwd(
        &self,
        arg: &Tensor,
        res: &Tensor,
        grad: &Tensor,
    ) -> candle_core::Result<Option<Tensor>> {
        match &self.backward {
            Backward::Softmax => {
                let wide = wide(arg.dtype());
                let p = res.to_dtype(wide)?;
                let g = grad.to_dtype(wide)?;
                let dot = (&g * &p)?.sum_keepdim(D::Minus1)?;
                let dx = (p * g.broadcast_sub(&dot)?)?;
                Ok(Some(dx.to_dtype(arg.dtype())?))
            }
            Backward::FrozenMatmul(w) => Ok(Some(grad.matmul(w)?)),
        }
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
        let y = ReferenceOps
            .rms_norm(&x, &w, 0.0)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        let rms = (12.5f32).sqrt();
        assert!((y[0][0] - 3.0 / rms).abs() < 1e-6);
        assert!((y[0][1] - 8.0 / rms).abs() < 1e-6);
    }
}
