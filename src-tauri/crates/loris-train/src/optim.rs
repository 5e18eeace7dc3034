//! AdamW with f32 moment estimates and decoupled weight decay (Loshchilov & Hutter), the update
//! PyTorch's `torch.optim.AdamW` makes, plus global-norm gradient clipping.

use candle_core::{DType, Tensor, Var};

use crate::error::Result;
use crate::step::Grads;

#[derive(Debug, Clone, Copy)]
pub struct AdamWConfig {
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        AdamWConfig {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

pub struct AdamW {
    pub config: AdamWConfig,
    /// Updates made so far (bias correction).
    pub t: u64,
    /// First and second moments, in the order of the parameters.
    pub moments: Vec<(Tensor, Tensor)>,
}

impl AdamW {
    pub fn new(config: AdamWConfig, vars: &[(String, Var)]) -> Result<Self> {
        let moments = vars
            .iter()
            .map(|(_, v)| -> Result<(Tensor, Tensor)> {
                let z = Tensor::zeros(v.shape(), v.dtype(), v.device())?;
                Ok((z.clone(), z))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(AdamW {
            config,
            t: 0,
            moments,
        })
    }

    /// One update with learning rate `lr`; parameters without a gradient are left as they are
    /// (their moments too).
    pub fn step(&mut self, vars: &[(String, Var)], grads: &Grads, lr: f64) -> Result<()> {
        self.t += 1;
        let c = self.config;
        let correction1 = 1.0 - c.beta1.powi(self.t as i32);
        let correction2 = 1.0 - c.beta2.powi(self.t as i32);
        for ((_, var), (m, v)) in vars.iter().zip(self.moments.iter_mut()) {
            let Some(g) = grads.get(var) else { continue };
            *m = ((&*m * c.beta1)? + (g * (1.0 - c.beta1))?)?;
            *v = ((&*v * c.beta2)? + (g.sqr()? * (1.0 - c.beta2))?)?;
            let m_hat = (&*m / correction1)?;
            let v_hat = (&*v / correction2)?;
            let update = (m_hat / (v_hat.sqrt()? + c.eps)?)?;
            let p = var.as_tensor().clone();
            let decayed = if c.weight_decay > 0.0 {
                (&p * (1.0 - lr * c.weight_decay))?
            } else {
                p
            };
            var.set(&(decayed - (update * lr)?)?)?;
        }
        Ok(())
    }
}

/// The global L2 norm of the gradients; when it passes `max_norm`, every gradient is scaled
/// down to it. Returns the norm before clipping.
pub fn clip_grad_norm(grads: &mut Grads, max_norm: Option<f64>) -> Result<f64> {
    let mut sum = 0f64;
    for g in grads.by_id.values() {
        sum += g
            .sqr()?
            .sum_all()?
            .to_dtype(DType::F64)?
            .to_scalar::<f64>()?;
    }
    let norm = sum.sqrt();
    if let Some(max) = max_norm
        && norm > max
        && norm.is_finite()
    {
        let scale = max / (norm + 1e-6);
        for g in grads.by_id.values_mut() {
            *g = (&*g * scale)?;
        }
    }
    Ok(norm)
}
