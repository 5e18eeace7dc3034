//! `loris train`: LoRA or full fine-tuning of a local model on a local dataset, with a progress
//! bar (or one JSON object per step with `--json`), checkpoints, resume, and the masked-token
//! preview (`--preview`) that shows exactly which tokens are trained on.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use loris_datasets::DatasetFormat;
use loris_train::run::{DatasetSettings, RunSpec};
use loris_train::schedule::Schedule;
use loris_train::{Control, MethodKind, Outcome, RunPaths, TrainConfig, TrainEvent};
use serde::Deserialize;

use super::model_args::device_from;

#[derive(Clone, Copy, ValueEnum)]
pub enum MethodArg {
    Lora,
    Full,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ScheduleArg {
    Constant,
    Linear,
    Cosine,
}

#[derive(Args)]
pub struct TrainArgs {
    /// A TOML file with `model`, `dataset`, `output` and a `[training]` table of settings;
    /// flags given on the command line win over it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// A GGUF file (dequantized for training) or a Hugging Face model folder.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// JSONL, JSON, CSV or Parquet: messages, ShareGPT, Alpaca or raw text (detected).
    #[arg(long)]
    pub dataset: Option<PathBuf>,
    /// Override the detected format: messages, sharegpt, alpaca or text.
    #[arg(long)]
    pub format: Option<String>,
    /// A tokenizer.json to use instead of a GGUF's own vocabulary.
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    #[arg(long, value_enum)]
    pub method: Option<MethodArg>,
    #[arg(long)]
    pub max_steps: Option<usize>,
    #[arg(long)]
    pub epochs: Option<f64>,
    /// Peak learning rate.
    #[arg(long)]
    pub lr: Option<f64>,
    /// Sequences per micro-batch.
    #[arg(long)]
    pub batch: Option<usize>,
    #[arg(long)]
    pub grad_accum: Option<usize>,
    /// Sequence length (tokens); packed sequences are exactly this long.
    #[arg(long)]
    pub seq: Option<usize>,
    #[arg(long)]
    pub rank: Option<usize>,
    #[arg(long)]
    pub alpha: Option<f64>,
    #[arg(long)]
    pub dropout: Option<f32>,
    /// Scale LoRA by alpha / sqrt(rank).
    #[arg(long)]
    pub rslora: bool,
    /// Comma-separated LoRA target modules (default: q,k,v,o,gate,up,down projections).
    #[arg(long, value_delimiter = ',')]
    pub targets: Option<Vec<String>>,
    #[arg(long, value_enum)]
    pub schedule: Option<ScheduleArg>,
    #[arg(long)]
    pub warmup: Option<usize>,
    #[arg(long)]
    pub seed: Option<u64>,
    #[arg(long)]
    pub checkpoint_every: Option<usize>,
    #[arg(long)]
    pub eval_every: Option<usize>,
    /// Fraction of the rows held out for evaluation.
    #[arg(long)]
    pub eval_fraction: Option<f64>,
    /// One sample per sequence, padded, instead of packing short samples together.
    #[arg(long)]
    pub no_packing: bool,
    /// Keep every block's activations instead of recomputing them in the backward pass.
    #[arg(long)]
    pub no_gradient_checkpointing: bool,
    /// Train on every token, not only the assistant's replies.
    #[arg(long)]
    pub full_sequence: bool,
    /// Read at most this many rows.
    #[arg(long)]
    pub max_rows: Option<usize>,
    /// Where checkpoints and the adapter go.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// A checkpoint folder (`OUTPUT/checkpoint-N`) to continue from.
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Print the tokens of the first rows with their training mask, and exit.
    #[arg(long)]
    pub preview: bool,
    /// Rows shown by `--preview`.
    #[arg(long, default_value_t = 3)]
    pub preview_rows: usize,
    /// `cpu`, `cuda` or `cuda:N`.
    #[arg(long)]
    pub device: Option<String>,
}

/// The TOML form.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    model: Option<PathBuf>,
    dataset: Option<PathBuf>,
    output: Option<PathBuf>,
    tokenizer: Option<PathBuf>,
    format: Option<String>,
    device: Option<String>,
    #[serde(default)]
    training: Option<TrainConfig>,
}

fn parse_format(name: &str) -> anyhow::Result<DatasetFormat> {
    Ok(name.parse::<DatasetFormat>()?)
}

fn resolve(args: &TrainArgs) -> anyhow::Result<RunSpec> {
    let file = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("could not read {}", path.display()))?;
            toml::from_str::<ConfigFile>(&text)
                .with_context(|| format!("{} is not a valid training config", path.display()))?
        }
        None => ConfigFile::default(),
    };
    let mut c = file.training.unwrap_or_default();
    if let Some(m) = args.method {
        c.method = match m {
            MethodArg::Lora => MethodKind::Lora,
            MethodArg::Full => MethodKind::Full,
        };
    }
    if args.max_steps.is_some() {
        c.max_steps = args.max_steps;
    }
    macro_rules! set {
        ($field:expr, $arg:expr) => {
            if let Some(v) = $arg.clone() {
                $field = v;
            }
        };
    }
    set!(c.epochs, args.epochs);
    set!(c.learning_rate, args.lr);
    set!(c.batch_size, args.batch);
    set!(c.grad_accum, args.grad_accum);
    set!(c.seq_len, args.seq);
    set!(c.lora.rank, args.rank);
    set!(c.lora.alpha, args.alpha);
    set!(c.lora.dropout, args.dropout);
    set!(c.lora.targets, args.targets);
    set!(c.warmup_steps, args.warmup);
    set!(c.seed, args.seed);
    set!(c.eval_fraction, args.eval_fraction);
    if args.rslora {
        c.lora.rslora = true;
    }
    if let Some(s) = args.schedule {
        c.schedule = match s {
            ScheduleArg::Constant => Schedule::Constant,
            ScheduleArg::Linear => Schedule::Linear,
            ScheduleArg::Cosine => Schedule::Cosine,
        };
    }
    if args.checkpoint_every.is_some() {
        c.checkpoint_every = args.checkpoint_every;
    }
    if args.eval_every.is_some() {
        c.eval_every = args.eval_every;
    }
    if args.no_packing {
        c.packing = false;
    }
    if args.no_gradient_checkpointing {
        c.gradient_checkpointing = false;
    }
    if args.full_sequence {
        c.responses_only = false;
    }
    let model = args
        .model
        .clone()
        .or(file.model)
        .context("--model is required")?;
    let dataset = args
        .dataset
        .clone()
        .or(file.dataset)
        .context("--dataset is required")?;
    let output = args
        .output
        .clone()
        .or(file.output)
        .unwrap_or_else(|| PathBuf::from("train-output"));
    let format = match args.format.as_deref().or(file.format.as_deref()) {
        Some(f) => Some(parse_format(f)?),
        None => None,
    };
    let device = device_from(
        args.device
            .as_deref()
            .or(file.device.as_deref())
            .or(Some("cpu")),
    )?;
    Ok(RunSpec {
        paths: RunPaths {
            model,
            dataset,
            output,
        },
        config: c,
        dataset: DatasetSettings {
            format,
            max_rows: args.max_rows,
            ..DatasetSettings::default()
        },
        device,
        tokenizer: args.tokenizer.clone().or(file.tokenizer),
        resume: args.resume.clone(),
    })
}

pub fn run(service: &loris_core::Service, args: &TrainArgs, json: bool) -> anyhow::Result<()> {
    let spec = resolve(args)?;
    if args.preview {
        return preview(&spec, args.preview_rows, json);
    }
    let stop = Arc::new(AtomicBool::new(false));
    // Ctrl-C stops after the current step, writing a checkpoint and the adapter.
    signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&stop))?;
    signal_hook::flag::register(signal_hook::consts::SIGTERM, Arc::clone(&stop))?;

    let mut trainer = loris_train::run::build(&spec)?;
    let run_id = format!("cli-{}", std::process::id());
    let run_id = format!("{run_id}-{}", loris_core::time_fmt::now_rfc3339());
    let store = service.store();
    loris_train::runs::insert(
        store,
        &loris_train::runs::NewRun {
            id: &run_id,
            job_id: None,
            model: &spec.paths.model.to_string_lossy(),
            dataset: &spec.paths.dataset.to_string_lossy(),
            output: &spec.paths.output.to_string_lossy(),
            config: &serde_json::to_value(&spec.config)?,
        },
    )?;
    let total = trainer.total_steps();
    let bar = (!json).then(|| {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:30} {pos}/{len} [{elapsed_precise}<{eta_precise}] {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_position(trainer.step as u64);
        bar
    });
    let mut observe = |event: &TrainEvent| -> Control {
        match event {
            TrainEvent::Step(m) => {
                let _ = loris_train::runs::record_step(store, &run_id, m);
                if json {
                    println!(
                        "{}",
                        serde_json::json!({
                            "step": m.step, "loss": m.loss, "lr": m.learning_rate,
                            "grad_norm": m.grad_norm, "tokens_per_s": m.tokens_per_s,
                            "total_steps": m.total_steps, "elapsed_s": m.elapsed_s,
                            "memory_bytes": m.memory_bytes,
                        })
                    );
                } else if let Some(bar) = &bar {
                    bar.set_position(m.step as u64);
                    bar.set_message(format!(
                        "loss {:.4}  grad {:.3}  lr {:.2e}  {:.0} tok/s",
                        m.loss, m.grad_norm, m.learning_rate, m.tokens_per_s
                    ));
                }
            }
            TrainEvent::Eval { step, loss } => {
                let _ = loris_train::runs::record_eval(store, &run_id, *step, *loss);
                if json {
                    println!("{}", serde_json::json!({ "step": step, "eval_loss": loss }));
                } else if let Some(bar) = &bar {
                    bar.println(format!("step {step}: eval loss {loss:.4}"));
                }
            }
            TrainEvent::Checkpoint { step, path } => {
                let _ =
                    loris_train::runs::record_checkpoint(store, &run_id, &path.to_string_lossy());
                if json {
                    println!(
                        "{}",
                        serde_json::json!({ "step": step, "checkpoint": path })
                    );
                }
            }
        }
        if stop.load(Ordering::Relaxed) {
            Control::StopAndSave
        } else {
            Control::Continue
        }
    };
    let outcome = match trainer.run(&mut observe) {
        Ok(o) => o,
        Err(e) => {
            let _ = loris_train::runs::finish(store, &run_id, "failed", None, Some(&e.to_string()));
            return Err(e.into());
        }
    };
    if let Some(bar) = &bar {
        bar.finish();
    }
    let written = loris_train::run::write_outputs(&trainer, &spec, outcome)?;
    let state = match outcome {
        Outcome::Completed => "completed",
        Outcome::Stopped => "stopped",
        Outcome::Cancelled => "cancelled",
    };
    let written_str = written.as_ref().map(|p| p.to_string_lossy().into_owned());
    loris_train::runs::finish(store, &run_id, state, written_str.as_deref(), None)?;
    if json {
        println!(
            "{}",
            serde_json::json!({ "done": state, "steps": trainer.step, "output": written })
        );
    } else if let Some(p) = written {
        println!(
            "{state} after {} steps; wrote {}",
            trainer.step,
            p.display()
        );
    }
    Ok(())
}

fn preview(spec: &RunSpec, rows: usize, json: bool) -> anyhow::Result<()> {
    let assets = loris_train::run::text_assets(&spec.paths.model, spec.tokenizer.as_deref())?;
    let options = loris_train::run::prepare_options(&spec.config, &spec.dataset);
    let preview = loris_datasets::preview(&spec.paths.dataset, &assets, &options, rows)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&preview)?);
        return Ok(());
    }
    for row in &preview {
        println!("── row {} ──", row.row);
        // Trained tokens in brackets, so the mask is visible without colours.
        let mut out = String::new();
        let mut inside = false;
        for t in &row.tokens {
            if t.trained != inside {
                out.push_str(if t.trained { "⟦" } else { "⟧" });
                inside = t.trained;
            }
            out.push_str(&t.text);
        }
        if inside {
            out.push('⟧');
        }
        println!("{out}");
    }
    println!("(⟦…⟧: tokens trained on)");
    Ok(())
}
