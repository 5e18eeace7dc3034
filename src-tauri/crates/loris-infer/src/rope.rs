//! Rotary position embeddings: the inverse frequencies (with the scaling schemes Loris
//! supports) and the cos/sin rows for the positions of one forward pass.
//!
//! The rows are computed per call rather than as a table over the whole context: a decode step
//! needs one row, and a 128K-context table per layer type would cost hundreds of megabytes.

use candle_core::{Device, Tensor};

use crate::error::{InferError, Result};

#[derive(Debug, Clone)]
pub struct Rope {
    inv_freq: Vec<f32>,
    /// GGUF `llama` stores Q/K permuted for the interleaved (GPT-J) form; Gemma and HF
    /// checkpoints use the rotate-half (NeoX) form.
    interleaved: bool,
    device: Device,
}

/// How to stretch the base frequencies for longer contexts.
#[derive(Debug, Clone, PartialEq)]
pub enum RopeScaling {
    None,
    /// Positions divided by `factor`.
    Linear(f64),
    /// Llama 3.1's frequency-band scaling.
    Llama3 {
        factor: f64,
        low_freq_factor: f64,
        high_freq_factor: f64,
        original_context: usize,
    },
    /// Per-frequency divisors (GGUF `rope_freqs.weight`, llama.cpp's form of Llama 3.1 scaling).
    Factors(Vec<f32>),
}

impl Rope {
    pub fn new(
        dim: usize,
        base: f64,
        scaling: &RopeScaling,
        interleaved: bool,
        device: &Device,
    ) -> Result<Self> {
        if dim == 0 || !dim.is_multiple_of(2) || base <= 0.0 {
            return Err(InferError::UnsupportedModel(format!(
                "RoPE dimension {dim} / base {base}"
            )));
        }
        let mut inv_freq: Vec<f64> = (0..dim / 2)
            .map(|i| 1.0 / base.powf(2.0 * i as f64 / dim as f64))
            .collect();
        match scaling {
            RopeScaling::None => {}
            RopeScaling::Linear(factor) => inv_freq.iter_mut().for_each(|f| *f /= factor),
            RopeScaling::Llama3 {
                factor,
                low_freq_factor,
                high_freq_factor,
                original_context,
            } => {
                let old = *original_context as f64;
                let low_wavelen = old / low_freq_factor;
                let high_wavelen = old / high_freq_factor;
                for f in inv_freq.iter_mut() {
                    let wavelen = 2.0 * std::f64::consts::PI / *f;
                    if wavelen > low_wavelen {
                        *f /= factor;
                    } else if wavelen >= high_wavelen {
                        let smooth = (old / wavelen - low_freq_factor)
                            / (high_freq_factor - low_freq_factor);
                        *f = (1.0 - smooth) * *f / factor + smooth * *f;
                    }
                }
            }
            RopeScaling::Factors(factors) => {
                if factors.len() != inv_freq.len() {
                    return Err(InferError::UnsupportedModel(format!(
                        "rope_freqs has {} factors for {} frequencies",
                        factors.len(),
                        inv_freq.len()
                    )));
                }
                for (f, d) in inv_freq.iter_mut().zip(factors) {
                    *f /= f64::from(*d);
                }
            }
        }
        Ok(Rope {
            inv_freq: inv_freq.into_iter().map(|f| f as f32).collect(),
            interleaved,
            device: device.clone(),
        })
    }

    /// The inverse frequencies after scaling, `dim / 2` of them.
    pub fn inv_freq(&self) -> &[f32] {
        &self.inv_freq
    }

    /// Rotated dimensions per head.
    pub fn dim(&self) -> usize {
        self.inv_freq.len() * 2
    }

    /// cos and sin, `[seq_len, dim / 2]`, for positions `offset..offset + seq_len`.
    pub fn cos_sin(&self, offset: usize, seq_len: usize) -> Result<(Tensor, Tensor)> {
        let half = self.inv_freq.len();
        let mut angles = Vec::with_capacity(seq_len * half);
        for pos in offset..offset + seq_len {
            // Angles in f64: positions past 2^24 lose precision in f32.
            angles.extend(
                self.inv_freq
                    .iter()
                    .map(|f| (pos as f64 * f64::from(*f)) as f32),
            );
        }
        let angles = Tensor::from_vec(angles, (seq_len, half), &self.device)?;
        Ok((angles.cos()?, angles.sin()?))
    }

    /// Applies the rotation to `x` `[batch, heads, seq, head_dim]`; when the rotated dimension
    /// is smaller than `head_dim`, only the leading dimensions rotate.
    pub fn apply(&self, x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor> {
        let head_dim = x.dim(3)?;
        let dim = self.dim();
        let rotate = |t: &Tensor| -> Result<Tensor> {
            let t = t.contiguous()?;
            Ok(if self.interleaved {
                candle_nn::rotary_emb::rope_i(&t, cos, sin)?
            } else {
                candle_nn::rotary_emb::rope(&t, cos, sin)?
            })
        };
        if dim == head_dim {
            return rotate(x);
        }
        let rotated = rotate(&x.narrow(3, 0, dim)?)?;
        let rest = x.narrow(3, dim, head_dim - dim)?;
        Ok(Tensor::cat(&[&rotated, &rest], 3)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn llama3_scaling_leaves_high_frequencies_alone() {
        let base = Rope::new(64, 500000.0, &RopeScaling::None, false, &Device::Cpu).unwrap();
        let scaled = Rope::new(
            64,
            500000.0,
            &RopeScaling::Llama3 {
                factor: 32.0,
                low_freq_factor: 1.0,
                high_freq_factor: 4.0,
                original_context: 8192,
            },
            false,
            &Device::Cpu,
        )
        .unwrap();
        assert_eq!(base.inv_freq[0], scaled.inv_freq[0]);
        let last = base.inv_freq.len() - 1;
        assert!((base.inv_freq[last] / 32.0 - scaled.inv_freq[last]).abs() < 1e-12);
    }

    #[test]
    fn position_zero_is_the_identity() {
        let rope = Rope::new(8, 10000.0, &RopeScaling::None, false, &Device::Cpu).unwrap();
        let x = Tensor::arange(0f32, 16.0, &Device::Cpu)
            .unwrap()
            .reshape((1, 2, 1, 8))
            .unwrap();
        let (cos, sin) = rope.cos_sin(0, 1).unwrap();
        let y = rope.apply(&x, &cos, &sin).unwrap();
        let d = (y - &x)
            .unwrap()
            .abs()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert_eq!(d, 0.0);
    }
}
