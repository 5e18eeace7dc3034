//! The training loop: micro-batches in a seeded order, gradient accumulation, clipping, AdamW
//! with a warmup schedule, evaluation and checkpoints, reporting every step to an observer
//! that can ask to stop (and save) or cancel.

use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::Var;
use loris_datasets::PackedSequence;
use serde::Serialize;

use crate::batch::Batch;
use crate::checkpoint::{self, TrainerState};
use crate::config::TrainConfig;
use crate::error::{Result, TrainError};
use crate::lora::DropoutSeed;
use crate::model::TrainModel;
use crate::optim::{AdamW, AdamWConfig, clip_grad_norm};
use crate::rng::SplitMix64;
use crate::schedule::learning_rate;
use crate::step::{Grads, loss_and_grads, loss_only};

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StepMetrics {
    /// 1-based.
    pub step: usize,
    pub total_steps: usize,
    pub epoch: f64,
    pub loss: f64,
    pub learning_rate: f64,
    pub grad_norm: f64,
    /// Every position processed (padding included) per second of this step.
    pub tokens_per_s: f64,
    pub trained_tokens: usize,
    pub elapsed_s: f64,
    pub eta_s: f64,
    /// Resident memory of the process (CPU) or memory in use on the GPU, when known.
    pub memory_bytes: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TrainEvent {
    Step(StepMetrics),
    Eval { step: usize, loss: f64 },
    Checkpoint { step: usize, path: PathBuf },
}

/// What the observer wants after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Continue,
    /// Write a checkpoint and the adapter, then end.
    StopAndSave,
    /// End now, writing nothing more.
    Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Completed,
    Stopped,
    Cancelled,
}

pub struct Trainer {
    pub model: TrainModel,
    pub config: TrainConfig,
    vars: Vec<(String, Var)>,
    optim: AdamW,
    train: Vec<PackedSequence>,
    eval: Vec<PackedSequence>,
    /// Updates done.
    pub step: usize,
    pub losses: Vec<f64>,
    output: PathBuf,
    memory: fn(&TrainModel) -> Option<u64>,
}

impl Trainer {
    pub fn new(
        model: TrainModel,
        config: TrainConfig,
        train: Vec<PackedSequence>,
        eval: Vec<PackedSequence>,
        output: &Path,
    ) -> Result<Self> {
        config.validate()?;
        if train.is_empty() {
            return Err(TrainError::InvalidConfig(
                "the dataset has no training rows".into(),
            ));
        }
        let vars = model.trainable();
        if vars.is_empty() {
            return Err(TrainError::InvalidConfig("nothing to train".into()));
        }
        let optim = AdamW::new(
            AdamWConfig {
                weight_decay: config.weight_decay,
                ..AdamWConfig::default()
            },
            &vars,
        )?;
        Ok(Trainer {
            model,
            config,
            vars,
            optim,
            train,
            eval,
            step: 0,
            losses: Vec::new(),
            output: output.to_owned(),
            memory: crate::memory::in_use,
        })
    }

    /// Continues from a checkpoint written by [`Trainer::save_checkpoint`] with the same
    /// settings: parameters, optimizer moments and the step; the data order and dropout are
    /// functions of the seed and the step, so the loss curve continues as if never stopped.
    pub fn resume(mut self, dir: &Path) -> Result<Self> {
        let state = checkpoint::load(dir, &self.vars, &mut self.optim)?;
        if state.config != self.config.fingerprint() {
            return Err(TrainError::BadCheckpoint {
                path: dir.to_owned(),
                reason: "the checkpoint was written with other training settings".into(),
            });
        }
        self.step = state.step;
        self.losses = state.losses;
        Ok(self)
    }

    pub fn trainable(&self) -> &[(String, Var)] {
        &self.vars
    }

    pub fn micro_batches_per_epoch(&self) -> usize {
        self.train.len().div_ceil(self.config.batch_size)
    }

    pub fn total_steps(&self) -> usize {
        match self.config.max_steps {
            Some(n) => n,
            None => {
                let micro = self.micro_batches_per_epoch() as f64 * self.config.epochs;
                ((micro / self.config.grad_accum as f64).ceil() as usize).max(1)
            }
        }
    }

    /// The sequences of global micro-batch `m`: epoch `m / per_epoch`, in that epoch's
    /// seeded order.
    fn micro_batch(&self, m: usize) -> Result<Batch> {
        let per_epoch = self.micro_batches_per_epoch();
        let epoch = m / per_epoch;
        let within = m % per_epoch;
        let mut order: Vec<usize> = (0..self.train.len()).collect();
        SplitMix64::derive(self.config.seed, &[0xDA7A, epoch as u64]).shuffle(&mut order);
        let start = within * self.config.batch_size;
        let end = (start + self.config.batch_size).min(order.len());
        let seqs: Vec<_> = order[start..end].iter().map(|i| &self.train[*i]).collect();
        Batch::new(&seqs, &self.model.device)
    }

    /// Runs until the last step, or until the observer stops or cancels.
    pub fn run(&mut self, observer: &mut dyn FnMut(&TrainEvent) -> Control) -> Result<Outcome> {
        let total = self.total_steps();
        let started = Instant::now();
        let first_step = self.step;
        while self.step < total {
            let metrics = self.train_step(total, started, first_step)?;
            let mut control = observer(&TrainEvent::Step(metrics));
            let step = self.step;
            if control == Control::Continue
                && let Some(every) = self.config.eval_every
                && (step.is_multiple_of(every) || step == total)
                && !self.eval.is_empty()
            {
                let loss = self.eval_loss()?;
                control = observer(&TrainEvent::Eval { step, loss });
            }
            if control == Control::Cancel {
                return Ok(Outcome::Cancelled);
            }
            let due = self
                .config
                .checkpoint_every
                .is_some_and(|n| step.is_multiple_of(n));
            if due || control == Control::StopAndSave {
                let path = self.save_checkpoint()?;
                if observer(&TrainEvent::Checkpoint { step, path }) == Control::Cancel {
                    return Ok(Outcome::Cancelled);
                }
            }
            if control == Control::StopAndSave {
                return Ok(Outcome::Stopped);
            }
        }
        Ok(Outcome::Completed)
    }

    fn train_step(
        &mut self,
        total: usize,
        started: Instant,
        first_step: usize,
    ) -> Result<StepMetrics> {
        let t0 = Instant::now();
        let accum = self.config.grad_accum;
        let batches = (0..accum)
            .map(|k| self.micro_batch(self.step * accum + k))
            .collect::<Result<Vec<_>>>()?;
        let trained: usize = batches.iter().map(|b| b.trained_tokens).sum();
        let tokens: usize = batches.iter().map(|b| b.tokens).sum();
        let normalizer = trained.max(1) as f64;
        let mut grads = Grads::default();
        let mut loss_sum = 0.0;
        for (k, batch) in batches.iter().enumerate() {
            let dropout = DropoutSeed(Some(
                SplitMix64::derive(self.config.seed, &[0xD70F, self.step as u64, k as u64])
                    .next_u64(),
            ));
            loss_sum += loss_and_grads(
                &self.model,
                &self.vars,
                batch,
                dropout,
                self.config.gradient_checkpointing,
                normalizer,
                &mut grads,
            )?
            .loss_sum;
        }
        let loss = loss_sum / normalizer;
        if !loss.is_finite() {
            return Err(TrainError::Diverged {
                step: self.step + 1,
                what: "the loss",
            });
        }
        let t_opt = Instant::now();
        let grad_norm = clip_grad_norm(&mut grads, self.config.max_grad_norm)?;
        if !grad_norm.is_finite() {
            return Err(TrainError::Diverged {
                step: self.step + 1,
                what: "the gradient norm",
            });
        }
        let lr = learning_rate(
            self.config.schedule,
            self.config.learning_rate,
            self.step,
            self.config.warmup_steps,
            total,
        );
        self.optim.step(&self.vars, &grads, lr)?;
        drop(grads);
        if crate::step::phases_enabled().0 {
            let _ = self.model.device.synchronize();
            eprintln!(
                "  phase {:<10} {:>8.1} ms",
                "optimizer",
                t_opt.elapsed().as_secs_f64() * 1e3
            );
        }
        self.step += 1;
        self.losses.push(loss);
        let step_s = t0.elapsed().as_secs_f64();
        let elapsed = started.elapsed().as_secs_f64();
        let done = (self.step - first_step).max(1) as f64;
        let per_epoch = (self.micro_batches_per_epoch() as f64 / accum as f64).max(1e-9);
        Ok(StepMetrics {
            step: self.step,
            total_steps: total,
            epoch: self.step as f64 / per_epoch,
            loss,
            learning_rate: lr,
            grad_norm,
            tokens_per_s: tokens as f64 / step_s.max(1e-9),
            trained_tokens: trained,
            elapsed_s: elapsed,
            eta_s: elapsed / done * (total - self.step) as f64,
            memory_bytes: (self.memory)(&self.model),
        })
    }

    /// Mean token loss over the held-out split.
    pub fn eval_loss(&self) -> Result<f64> {
        let mut sum = 0.0;
        let mut count = 0usize;
        for chunk in self.eval.chunks(self.config.batch_size) {
            let refs: Vec<_> = chunk.iter().collect();
            let batch = Batch::new(&refs, &self.model.device)?;
            sum += loss_only(&self.model, &batch)?;
            count += batch.trained_tokens;
        }
        Ok(sum / count.max(1) as f64)
    }

    /// Writes `output/checkpoint-<step>` atomically and returns its path.
    pub fn save_checkpoint(&self) -> Result<PathBuf> {
        let state = TrainerState {
            step: self.step,
            config: self.config.fingerprint(),
            losses: self.losses.clone(),
        };
        checkpoint::save(&self.output, &state, &self.vars, &self.optim)
    }

    pub fn output(&self) -> &Path {
        &self.output
    }
}
