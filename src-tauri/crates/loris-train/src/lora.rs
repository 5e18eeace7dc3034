//! Linear layers with a frozen or trainable weight and an optional LoRA pair:
//! `y = x W^T + b + scale * dropout(x) A^T B^T`, with `scale = alpha / r` (or `alpha / sqrt(r)`
//! with rsLoRA), `A` initialized as PEFT does (Kaiming-uniform, bound `1 / sqrt(in)`) and `B`
//! zero, so training starts from the base model exactly.

use candle_core::{DType, Device, Tensor, Var};
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};
use crate::rng::{SplitMix64, name_hash};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LoraConfig {
    pub rank: usize,
    pub alpha: f64,
    pub dropout: f32,
    pub rslora: bool,
    /// Hugging Face module names (`q_proj`, `down_proj`, ...).
    pub targets: Vec<String>,
}

impl Default for LoraConfig {
    fn default() -> Self {
        LoraConfig {
            rank: 16,
            alpha: 16.0,
            dropout: 0.0,
            rslora: false,
            targets: [
                "q_proj",
                "k_proj",
                "v_proj",
                "o_proj",
                "gate_proj",
                "up_proj",
                "down_proj",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

impl LoraConfig {
    pub fn scale(&self) -> f64 {
        if self.rslora {
            self.alpha / (self.rank as f64).sqrt()
        } else {
            self.alpha / self.rank as f64
        }
    }

    pub fn validate(&self) -> Result<()> {
        if self.rank == 0 {
            return Err(TrainError::InvalidConfig(
                "LoRA rank must be at least 1".into(),
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(TrainError::InvalidConfig(format!(
                "LoRA dropout {} is not in [0, 1)",
                self.dropout
            )));
        }
        if self.targets.is_empty() {
            return Err(TrainError::InvalidConfig("no LoRA target modules".into()));
        }
        Ok(())
    }
}

/// A weight that training leaves alone, or one it updates (kept in f32 and cast to the compute
/// type in the forward pass, so that bf16 training still accumulates updates in f32).
#[derive(Debug, Clone)]
pub enum Param {
    Frozen(Tensor),
    Trainable(Var),
}

impl Param {
    pub fn new(tensor: Tensor, trainable: bool) -> Result<Self> {
        Ok(if trainable {
            Param::Trainable(Var::from_tensor(
                &tensor.to_dtype(master_dtype(tensor.dtype()))?,
            )?)
        } else {
            Param::Frozen(tensor)
        })
    }

    pub fn get(&self, dtype: DType) -> Result<Tensor> {
        let t = match self {
            Param::Frozen(t) => t,
            Param::Trainable(v) => v.as_tensor(),
        };
        Ok(if t.dtype() == dtype {
            t.clone()
        } else {
            t.to_dtype(dtype)?
        })
    }

    pub fn var(&self) -> Option<&Var> {
        match self {
            Param::Trainable(v) => Some(v),
            Param::Frozen(_) => None,
        }
    }
}

/// The type trainable tensors are kept in: f32, or f64 for a model computed in f64 (gradient
/// checks).
pub fn master_dtype(compute: DType) -> DType {
    if compute == DType::F64 {
        DType::F64
    } else {
        DType::F32
    }
}

#[derive(Debug, Clone)]
pub struct LoraPair {
    /// `[rank, in]`
    pub a: Var,
    /// `[out, rank]`
    pub b: Var,
    pub scale: f64,
    pub dropout: f32,
}

#[derive(Debug, Clone)]
pub struct Linear {
    /// The Hugging Face module path, `model.layers.0.self_attn.q_proj`.
    pub name: String,
    pub weight: Param,
    pub bias: Option<Param>,
    pub lora: Option<LoraPair>,
}

/// Per-step randomness for dropout: `None` when evaluating.
#[derive(Debug, Clone, Copy)]
pub struct DropoutSeed(pub Option<u64>);

impl Linear {
    /// Attaches a fresh LoRA pair; `seed` and the module name decide `A`.
    pub fn add_lora(
        &mut self,
        config: &LoraConfig,
        seed: u64,
        device: &Device,
        master: DType,
    ) -> Result<()> {
        let (out, inp) = match &self.weight {
            Param::Frozen(t) => t.dims2()?,
            Param::Trainable(v) => v.dims2()?,
        };
        let bound = 1.0 / (inp as f32).sqrt();
        let mut rng = SplitMix64::derive(seed, &[name_hash(&self.name)]);
        let a: Vec<f32> = (0..config.rank * inp)
            .map(|_| (rng.next_f32() * 2.0 - 1.0) * bound)
            .collect();
        let a =
            Var::from_tensor(&Tensor::from_vec(a, (config.rank, inp), device)?.to_dtype(master)?)?;
        let b = Var::zeros((out, config.rank), master, device)?;
        self.lora = Some(LoraPair {
            a,
            b,
            scale: config.scale(),
            dropout: config.dropout,
        });
        Ok(())
    }

    /// `x` `[..., in]` to `[..., out]`.
    pub fn forward(&self, x: &Tensor, dropout: DropoutSeed) -> Result<Tensor> {
        let dtype = x.dtype();
        let dims = x.dims().to_vec();
        let inp = *dims.last().unwrap_or(&0);
        let rows = x.elem_count() / inp.max(1);
        let x2 = x.reshape((rows, inp))?;
        let mut y = match &self.weight {
            Param::Frozen(w) => crate::ops::frozen_matmul(&x2, &w.to_dtype(dtype)?)?,
            Param::Trainable(_) => x2.matmul(&self.weight.get(dtype)?.t()?)?,
        };
        if let Some(bias) = &self.bias {
            y = y.broadcast_add(&bias.get(dtype)?)?;
        }
        if let Some(lora) = &self.lora {
            let xd = match dropout.0 {
                Some(seed) if lora.dropout > 0.0 => {
                    dropout_mask(&x2, lora.dropout, seed ^ name_hash(&self.name))?
                }
                _ => x2.clone(),
            };
            let a = lora.a.as_tensor().to_dtype(dtype)?;
            let b = lora.b.as_tensor().to_dtype(dtype)?;
            let delta = (xd.matmul(&a.t()?)?.matmul(&b.t()?)? * lora.scale)?;
            y = (y + delta)?;
        }
        let mut out_dims = dims;
        let last = out_dims.len() - 1;
        out_dims[last] = y.dim(1)?;
        Ok(y.reshape(out_dims)?)
    }

    /// The weight with the LoRA update merged, `[out, in]` f32.
    pub fn merged_weight(&self) -> Result<Tensor> {
        let w = self.weight.get(DType::F32)?;
        Ok(match &self.lora {
            Some(l) => (w + (l.b.as_tensor().matmul(l.a.as_tensor())? * l.scale)?)?,
            None => w,
        })
    }
}

/// Inverted dropout with a mask drawn from `seed` (on the host, so it is the same on every
/// device and when a checkpointed layer is recomputed).
fn dropout_mask(x: &Tensor, p: f32, seed: u64) -> Result<Tensor> {
    let mut rng = SplitMix64::new(seed);
    let keep = 1.0 / (1.0 - p);
    let mask: Vec<f32> = (0..x.elem_count())
        .map(|_| if rng.next_f32() < p { 0.0 } else { keep })
        .collect();
    let mask = Tensor::from_vec(mask, x.shape(), x.device())?.to_dtype(x.dtype())?;
    Ok((x * mask)?)
}
