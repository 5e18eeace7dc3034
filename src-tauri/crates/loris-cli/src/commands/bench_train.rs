//! `loris bench-train`: training throughput and memory for random weights of a config.json's
//! shape on random tokens, with the loss and gradient norms of the same run (a fast step that
//! does not train is not a result).
//!
//! Method: the model is built from the config with random weights (std 0.02) in the device's
//! training type (bf16 on a GPU, f32 on the CPU); LoRA pairs on the chosen modules; every
//! sequence repeats one seeded stretch of 256 distinct ids from the first 4096 (each id
//! determines the next: something to learn), and every position is trained; `--batch`
//! sequences per step, no accumulation. `--steps` optimizer steps run; the first
//! `--warmup-steps` are reported but left out of the summary (kernel loading, allocator
//! growth). Tokens/s counts every position of the batch; memory is the device's memory in use
//! after each step (the process's resident memory on the CPU), and the peak is their maximum.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use loris_datasets::PackedSequence;
use loris_models::ModelConfig;
use loris_train::rng::SplitMix64;
use loris_train::run::compute_dtype;
use loris_train::schedule::Schedule;
use loris_train::weights::random_base;
use loris_train::{
    Control, LoraConfig, Method, ReferenceOps, TrainConfig, TrainEvent, TrainModel, Trainer,
};
use serde::Serialize;

use super::model_args::device_from;
use crate::output::print_json;

/// Token ids the benchmark data is drawn from.
const DATA_VOCAB: usize = 4096;
/// Length of the stretch each sequence repeats.
const PERIOD: usize = 256;

#[derive(Args)]
pub struct BenchTrainArgs {
    /// The config.json whose shape is trained.
    #[arg(long)]
    random_config: PathBuf,
    #[arg(long)]
    device: Option<String>,
    #[arg(long, default_value_t = 4)]
    batch: usize,
    #[arg(long, default_value_t = 2048)]
    seq: usize,
    #[arg(long, default_value_t = 16)]
    rank: usize,
    #[arg(long, default_value_t = 16.0)]
    alpha: f64,
    #[arg(long, default_value_t = 12)]
    steps: usize,
    #[arg(long, default_value_t = 2)]
    warmup_steps: usize,
    #[arg(long, default_value_t = 2e-4)]
    lr: f64,
    /// Keep every block's activations instead of recomputing them.
    #[arg(long)]
    no_checkpointing: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct StepRow {
    step: usize,
    loss: f64,
    grad_norm: f64,
    tokens_per_s: f64,
    memory_bytes: Option<u64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    device: String,
    dtype: String,
    batch: usize,
    seq: usize,
    rank: usize,
    checkpointing: bool,
    trainable_parameters: usize,
    /// Mean over the steps after the warm-up.
    tokens_per_s: f64,
    peak_memory_bytes: Option<u64>,
    steps: Vec<StepRow>,
}

pub fn run(args: &BenchTrainArgs, json: bool) -> anyhow::Result<()> {
    let device = device_from(args.device.as_deref())?;
    let dtype = compute_dtype(&device);
    let config = ModelConfig::from_file(&args.random_config)?;
    let base = random_base(&config, &device, dtype, 7)?;
    let vocab = base.spec.vocab;
    let lora = LoraConfig {
        rank: args.rank,
        alpha: args.alpha,
        ..LoraConfig::default()
    };
    let model = TrainModel::new(
        base,
        &Method::Lora(lora.clone()),
        7,
        Arc::new(ReferenceOps),
        dtype,
    )?;
    let mut rng = SplitMix64::new(11);
    // Something learnable, so that the loss shows training works: one seeded stretch of
    // `PERIOD` distinct ids from the first `DATA_VOCAB`, repeated to fill every sequence, so
    // each id determines the next.
    let mut pool: Vec<u32> = (0..DATA_VOCAB.min(vocab) as u32).collect();
    rng.shuffle(&mut pool);
    let stretch: Vec<u32> = pool.into_iter().take(PERIOD).collect();
    let data: Vec<PackedSequence> = (0..args.batch * args.steps)
        .map(|k| {
            let ids: Vec<u32> = (0..args.seq)
                .map(|i| stretch[(i + k) % stretch.len()])
                .collect();
            let mut labels: Vec<i64> = ids[1..].iter().map(|t| i64::from(*t)).collect();
            labels.push(-100);
            PackedSequence {
                input_ids: ids,
                labels,
                position_ids: (0..args.seq as u32).collect(),
                segment_ids: vec![0; args.seq],
            }
        })
        .collect();
    let train = TrainConfig {
        lora,
        learning_rate: args.lr,
        schedule: Schedule::Constant,
        warmup_steps: 0,
        batch_size: args.batch,
        grad_accum: 1,
        seq_len: args.seq,
        max_steps: Some(args.steps),
        gradient_checkpointing: !args.no_checkpointing,
        ..TrainConfig::default()
    };
    let out = tempfile_dir()?;
    let mut trainer = Trainer::new(model, train, data, vec![], &out)?;
    let trainable_parameters = trainer
        .trainable()
        .iter()
        .map(|(_, v)| v.elem_count())
        .sum();
    let mut steps = Vec::new();
    trainer.run(&mut |e| {
        if let TrainEvent::Step(m) = e {
            if !json {
                eprintln!(
                    "step {:>3}  loss {:.4}  grad {:.3}  {:>8.0} tok/s  mem {}",
                    m.step,
                    m.loss,
                    m.grad_norm,
                    m.tokens_per_s,
                    m.memory_bytes
                        .map_or("?".into(), crate::output::human_bytes)
                );
            }
            steps.push(StepRow {
                step: m.step,
                loss: m.loss,
                grad_norm: m.grad_norm,
                tokens_per_s: m.tokens_per_s,
                memory_bytes: m.memory_bytes,
            });
        }
        Control::Continue
    })?;
    let timed: Vec<&StepRow> = steps.iter().skip(args.warmup_steps).collect();
    let tokens_per_s =
        timed.iter().map(|s| s.tokens_per_s).sum::<f64>() / timed.len().max(1) as f64;
    let peak_memory_bytes = steps.iter().filter_map(|s| s.memory_bytes).max();
    let report = Report {
        device: loris_infer::device::device_name(&device),
        dtype: format!("{dtype:?}").to_lowercase(),
        batch: args.batch,
        seq: args.seq,
        rank: args.rank,
        checkpointing: !args.no_checkpointing,
        trainable_parameters,
        tokens_per_s,
        peak_memory_bytes,
        steps,
    };
    let _ = std::fs::remove_dir_all(&out);
    if json {
        print_json(&report)
    } else {
        println!(
            "{} tok/s (mean of steps {}..{}), peak memory {}",
            report.tokens_per_s.round(),
            args.warmup_steps + 1,
            args.steps,
            report
                .peak_memory_bytes
                .map_or("?".into(), crate::output::human_bytes)
        );
        Ok(())
    }
}

/// Checkpoints are off, but the trainer wants an output folder.
fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("loris-bench-train-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
