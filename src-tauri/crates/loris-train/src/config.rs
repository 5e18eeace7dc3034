//! A training run's settings: what the CLI flags, a TOML file and the app's form all fill in.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Result, TrainError};
use crate::lora::LoraConfig;
use crate::schedule::Schedule;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MethodKind {
    #[default]
    Lora,
    Full,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TrainConfig {
    pub method: MethodKind,
    pub lora: LoraConfig,
    pub learning_rate: f64,
    pub schedule: Schedule,
    pub warmup_steps: usize,
    pub weight_decay: f64,
    /// Gradients are scaled down to this global norm; `None`: no clipping.
    pub max_grad_norm: Option<f64>,
    pub batch_size: usize,
    pub grad_accum: usize,
    pub seq_len: usize,
    pub epochs: f64,
    /// Overrides `epochs` when set.
    pub max_steps: Option<usize>,
    pub seed: u64,
    /// Evaluate on the held-out split every N steps (and at the end); `None`: never.
    pub eval_every: Option<usize>,
    pub eval_fraction: f64,
    /// Write a checkpoint every N steps; `None`: only when stopped and at the end.
    pub checkpoint_every: Option<usize>,
    pub gradient_checkpointing: bool,
    pub packing: bool,
    pub responses_only: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            method: MethodKind::Lora,
            lora: LoraConfig::default(),
            learning_rate: 2e-4,
            schedule: Schedule::Linear,
            warmup_steps: 5,
            weight_decay: 0.01,
            max_grad_norm: Some(1.0),
            batch_size: 2,
            grad_accum: 4,
            seq_len: 2048,
            epochs: 1.0,
            max_steps: None,
            seed: 3407,
            eval_every: None,
            eval_fraction: 0.0,
            checkpoint_every: None,
            gradient_checkpointing: true,
            packing: true,
            responses_only: true,
        }
    }
}

impl TrainConfig {
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(TrainError::InvalidConfig(m));
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return bad(format!(
                "learning rate {} must be positive",
                self.learning_rate
            ));
        }
        if self.batch_size == 0 || self.grad_accum == 0 {
            return bad("batch size and gradient accumulation must be at least 1".into());
        }
        if self.seq_len < 2 {
            return bad(format!("sequence length {} is too short", self.seq_len));
        }
        if self.max_steps == Some(0) || (self.max_steps.is_none() && self.epochs <= 0.0) {
            return bad("nothing to train: zero steps or epochs".into());
        }
        if !(0.0..1.0).contains(&self.eval_fraction) {
            return bad(format!(
                "eval fraction {} is not in [0, 1)",
                self.eval_fraction
            ));
        }
        if self.checkpoint_every == Some(0) || self.eval_every == Some(0) {
            return bad("checkpoint and eval intervals must be at least 1 step".into());
        }
        if self.method == MethodKind::Lora {
            self.lora.validate()?;
        }
        Ok(())
    }

    /// The paths are not part of the config: a config file can be reused across models.
    pub fn fingerprint(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Where a run reads from and writes to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunPaths {
    pub model: PathBuf,
    pub dataset: PathBuf,
    pub output: PathBuf,
}
