//! Loss and gradients of one micro-batch.
//!
//! The pass is split at block boundaries: the LM head and the loss run over chunks of rows, each
//! chunk's hidden states a leaf of its own graph, so the `[rows, vocab]` logits never exist whole;
//! the gradient of the last hidden states then flows back through the blocks. With gradient
//! checkpointing the blocks first run without keeping their graphs (only each block's input is
//! kept) and each block is run again, last to first, to back-propagate through it alone.

use std::collections::HashMap;

use candle_core::{DType, Tensor, TensorId, Var, backprop::GradStore};

use crate::batch::Batch;
use crate::error::Result;
use crate::lora::DropoutSeed;
use crate::model::TrainModel;

/// Whether `LORIS_TRAIN_PHASES` (per step) and `LORIS_TRAIN_PHASES_BLOCK` (inside block 1)
/// timings were asked for; read once, as the timers sit on the per-block path.
pub(crate) fn phases_enabled() -> (bool, bool) {
    static FLAGS: std::sync::OnceLock<(bool, bool)> = std::sync::OnceLock::new();
    *FLAGS.get_or_init(|| {
        let step = std::env::var_os("LORIS_TRAIN_PHASES").is_some();
        (
            step,
            step && std::env::var_os("LORIS_TRAIN_PHASES_BLOCK").is_some(),
        )
    })
}

/// With `LORIS_TRAIN_PHASES=1`, each micro-batch prints where its time went (the device is
/// synchronized at each phase boundary, which itself costs a little).
pub(crate) fn phase_timer(device: &candle_core::Device, on: bool) -> impl FnMut(&str) {
    let device = device.clone();
    let mut last = std::time::Instant::now();
    move |name: &str| {
        if on {
            let _ = device.synchronize();
            eprintln!(
                "  phase {name:<10} {:>8.1} ms",
                last.elapsed().as_secs_f64() * 1e3
            );
            last = std::time::Instant::now();
        }
    }
}

/// Rows of logits materialized at once: `ROW_BUDGET / vocab`.
const LOGIT_ELEMENTS_PER_CHUNK: usize = 1 << 26;

/// Summed gradients of the trainable tensors, in their master type (f32).
#[derive(Default)]
pub struct Grads {
    pub by_id: HashMap<TensorId, Tensor>,
}

impl Grads {
    fn collect(&mut self, store: &GradStore, vars: &[(String, Var)]) -> Result<()> {
        for (_, var) in vars {
            if let Some(g) = store.get(var.as_tensor()) {
                let g = g.to_dtype(var.dtype())?;
                let entry = match self.by_id.remove(&var.id()) {
                    Some(acc) => (acc + g)?,
                    None => g,
                };
                self.by_id.insert(var.id(), entry);
            }
        }
        Ok(())
    }

    pub fn get(&self, var: &Var) -> Option<&Tensor> {
        self.by_id.get(&var.id())
    }
}

pub struct MicroResult {
    /// Summed token losses of the micro-batch.
    pub loss_sum: f64,
}

/// Forward and backward of `batch`; the loss is divided by `normalizer` (the trained tokens of
/// the whole accumulated step) before differentiation, and gradients are added to `grads`.
pub fn loss_and_grads(
    model: &TrainModel,
    vars: &[(String, Var)],
    batch: &Batch,
    dropout: DropoutSeed,
    checkpointing: bool,
    normalizer: f64,
    grads: &mut Grads,
) -> Result<MicroResult> {
    let mut phase = phase_timer(&model.device, phases_enabled().0);
    let ctx = batch.context(&model.spec, model.dtype, dropout)?;
    phase("context");
    let blocks = model.blocks();
    let mut inputs: Vec<Tensor> = Vec::new();
    let embedded = model.embed(batch)?;
    let mut x = if checkpointing {
        embedded.detach()
    } else {
        embedded.clone()
    };
    for i in 0..blocks {
        if checkpointing {
            inputs.push(x.clone());
            x = model.block(i, &x, &ctx)?.detach();
        } else {
            x = model.block(i, &x, &ctx)?;
        }
    }
    phase("forward");
    let (b, t, hidden) = x.dims3()?;
    let rows = b * t;
    let flat = x.reshape((rows, hidden))?.detach();
    let chunk = (LOGIT_ELEMENTS_PER_CHUNK / model.spec.vocab.max(1)).clamp(1, rows);
    let mut loss_sum = 0f64;
    let mut hidden_grads = Vec::new();
    let mut start = 0;
    while start < rows {
        let len = chunk.min(rows - start);
        let h = Var::from_tensor(&flat.narrow(0, start, len)?)?;
        let labels = batch.labels.narrow(0, start, len)?;
        let sum = model
            .ops()
            .cross_entropy_sum(&model.head(h.as_tensor())?, &labels)?;
        loss_sum += sum.to_dtype(DType::F64)?.to_scalar::<f64>()?;
        let store = (sum / normalizer)?.backward()?;
        grads.collect(&store, vars)?;
        hidden_grads.push(match store.get(h.as_tensor()) {
            Some(g) => g.to_dtype(model.dtype)?,
            None => h.as_tensor().zeros_like()?,
        });
        start += len;
    }
    let mut upstream = Tensor::cat(&hidden_grads, 0)?.reshape((b, t, hidden))?;
    phase("head+loss");
    if checkpointing {
        for i in (0..blocks).rev() {
            let input = Var::from_tensor(&inputs[i])?;
            let out = model.block(i, input.as_tensor(), &ctx)?;
            let store = (out * &upstream)?.sum_all()?.backward()?;
            grads.collect(&store, vars)?;
            upstream = match store.get(input.as_tensor()) {
                Some(g) => g.clone(),
                None => upstream.zeros_like()?,
            };
            inputs.truncate(i);
        }
        if vars.iter().any(|(n, _)| n == "model.embed_tokens.weight") {
            let store = (embedded * &upstream)?.sum_all()?.backward()?;
            grads.collect(&store, vars)?;
        }
    } else {
        let store = (x * &upstream)?.sum_all()?.backward()?;
        grads.collect(&store, vars)?;
    }
    phase("backward");
    Ok(MicroResult { loss_sum })
}

/// Summed token losses of `batch` without gradients.
pub fn loss_only(model: &TrainModel, batch: &Batch) -> Result<f64> {
    let ctx = batch.context(&model.spec, model.dtype, DropoutSeed(None))?;
    let mut x = model.embed(batch)?.detach();
    for i in 0..model.blocks() {
        x = model.block(i, &x, &ctx)?.detach();
    }
    let (b, t, hidden) = x.dims3()?;
    let rows = b * t;
    let flat = x.reshape((rows, hidden))?;
    let chunk = (LOGIT_ELEMENTS_PER_CHUNK / model.spec.vocab.max(1)).clamp(1, rows);
    let mut total = 0f64;
    let mut start = 0;
    while start < rows {
        let len = chunk.min(rows - start);
        let logits = model.head(&flat.narrow(0, start, len)?)?.detach();
        let sum = model
            .ops()
            .cross_entropy_sum(&logits, &batch.labels.narrow(0, start, len)?)?;
        total += sum.to_dtype(DType::F64)?.to_scalar::<f64>()?;
        start += len;
    }
    Ok(total)
}
