//! `loris bench`: decode speed at batch 1, for a model file or folder, or for random weights of
//! a config.json's shape (no download needed).
//!
//! Method: a prompt of `--prompt-tokens` fixed pseudo-random token ids (or `--prompt-text`,
//! tokenized by the model's tokenizer) runs in one forward pass (prefill); then `--new-tokens` tokens are decoded greedily one at a time, each step's logits
//! read back to the host and argmax'ed there, as the engine's sampler does. One untimed warm-up
//! run of the same shape comes first (it loads kernels and, on a GPU, JIT-compiles them), then
//! `--repetitions` timed runs, each from an empty cache. Each decode step is split into the time
//! to issue the forward pass (`host`) and the time waiting for the logits (`wait`): on a GPU,
//! a `host` share near 100% means the step is bound by launching kernels, not by the GPU.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use loris_infer::device::{DType, Device, default_dtype, device_name, parse_dtype};
use loris_infer::models::CausalLm;
use loris_infer::models::hf::{HfModel, LlamaImplementation};
use loris_infer::{LoadOptions, load};
use loris_models::ModelConfig;
use serde::Serialize;

use super::model_args::device_from;
use crate::output::print_json;

#[derive(Args)]
pub struct BenchArgs {
    /// A GGUF model file or a Hugging Face model folder.
    #[arg(long, required_unless_present = "random_config")]
    model: Option<PathBuf>,
    /// A config.json: benchmark a model of that shape with random weights.
    #[arg(long, conflicts_with = "model")]
    random_config: Option<PathBuf>,
    /// `cpu`, `cuda` or `cuda:N` (default: GPU 0 when this build has CUDA and a GPU is
    /// present, else the CPU).
    #[arg(long)]
    device: Option<String>,
    /// f32, bf16 or f16 for safetensors and random weights (default: f32 on the CPU; on a GPU
    /// the checkpoint's dtype, bf16 for random weights).
    #[arg(long)]
    dtype: Option<String>,
    /// Prompt length, in tokens.
    #[arg(long, default_value_t = 128)]
    prompt_tokens: usize,
    /// A prompt text, tokenized by the model's tokenizer, instead of `--prompt-tokens`
    /// pseudo-random ids (to compare with another engine on the same text).
    #[arg(long, conflicts_with_all = ["random_config", "prompt_tokens"])]
    prompt_text: Option<String>,
    /// Tokens to decode after the prompt.
    #[arg(long, default_value_t = 256)]
    new_tokens: usize,
    /// Timed runs after the warm-up run.
    #[arg(long, default_value_t = 5)]
    repetitions: usize,
    /// Load a quantized GGUF's weights as f32.
    #[arg(long)]
    dequantize: bool,
    /// With --random-config: run a Llama on candle-transformers' model file, the reference
    /// our GPU path is measured against.
    #[arg(long, requires = "random_config")]
    reference_llama: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    prefill_ms: f64,
    decode_ms: f64,
    decode_tokens_per_s: f64,
    /// Mean per decode step: issuing the forward pass.
    host_ms_per_token: f64,
    /// Mean per decode step: waiting for and copying the logits.
    wait_ms_per_token: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    median: f64,
    min: f64,
    max: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct BenchReport {
    model: String,
    device: String,
    dtype: String,
    prompt_tokens: usize,
    new_tokens: usize,
    load_ms: f64,
    decode_tokens_per_s: Summary,
    prefill_tokens_per_s: Summary,
    runs: Vec<Run>,
}

pub fn run(args: &BenchArgs, json: bool) -> anyhow::Result<()> {
    if args.prompt_tokens == 0 || args.new_tokens == 0 || args.repetitions == 0 {
        anyhow::bail!("--prompt-tokens, --new-tokens and --repetitions must be at least 1");
    }
    let device = device_from(args.device.as_deref())?;
    let requested = args.dtype.as_deref().map(parse_dtype).transpose()?;
    let started = Instant::now();
    let mut text_prompt = None;
    let (mut model, name, dtype) = match (&args.model, &args.random_config) {
        (_, Some(config)) => {
            let llama = if args.reference_llama {
                LlamaImplementation::CandleTransformers
            } else {
                LlamaImplementation::default_for(&device)
            };
            random_model(config, &device, requested, llama)?
        }
        (Some(path), None) => {
            let options = LoadOptions {
                dequantize: args.dequantize,
                device: device.clone(),
                dtype: requested,
                ..Default::default()
            };
            let loaded = load(path, &options)?;
            let dtype = if loaded.info.format == "gguf" {
                if loaded.info.dequantized {
                    "f32".to_owned()
                } else {
                    loaded.info.quantization.clone()
                }
            } else {
                dtype_name(
                    requested
                        .unwrap_or_else(|| default_dtype(Some(&loaded.info.quantization), &device)),
                )
            };
            if let Some(text) = &args.prompt_text {
                text_prompt = Some(loaded.assets.encode_text(text)?);
            }
            (loaded.model, path.display().to_string(), dtype)
        }
        (None, None) => anyhow::bail!("give --model or --random-config"),
    };
    let load_ms = ms(started);
    let prompt = match text_prompt {
        Some(ids) => ids,
        None => {
            let vocab = model.forward(&[0], 0)?.dim(0)?;
            pseudo_random_tokens(args.prompt_tokens, vocab)
        }
    };
    if prompt.is_empty() {
        anyhow::bail!("the prompt text has no tokens");
    }
    if prompt.len() + args.new_tokens > model.context_length() {
        anyhow::bail!(
            "{} + {} tokens pass the model's context of {}",
            prompt.len(),
            args.new_tokens,
            model.context_length()
        );
    }
    // Warm-up: the same shapes as the timed runs.
    one_run(model.as_mut(), &prompt, args.new_tokens)?;
    let mut runs = Vec::with_capacity(args.repetitions);
    for _ in 0..args.repetitions {
        runs.push(one_run(model.as_mut(), &prompt, args.new_tokens)?);
    }
    let report = BenchReport {
        model: name,
        device: device_name(&device),
        dtype,
        prompt_tokens: prompt.len(),
        new_tokens: args.new_tokens,
        load_ms,
        decode_tokens_per_s: summary(runs.iter().map(|r| r.decode_tokens_per_s)),
        prefill_tokens_per_s: summary(
            runs.iter()
                .map(|r| prompt.len() as f64 * 1000.0 / r.prefill_ms),
        ),
        runs,
    };
    if json {
        return print_json(&report);
    }
    print_table(&report);
    Ok(())
}

/// A model of `config`'s shape with random weights, its label and its dtype's name.
fn random_model(
    config: &Path,
    device: &Device,
    requested: Option<DType>,
    llama: LlamaImplementation,
) -> anyhow::Result<(Box<dyn CausalLm>, String, String)> {
    let parsed = ModelConfig::from_file(config)?;
    // Random weights have no checkpoint dtype: bf16 stands in for it on a GPU.
    let dtype = requested.unwrap_or_else(|| default_dtype(Some("bfloat16"), device));
    let model = HfModel::random(&parsed, device, dtype, llama)
        .with_context(|| format!("random weights for {}", config.display()))?;
    let label = format!(
        "random {} (hidden {}, {} layers, vocab {}; {llama:?})",
        parsed.architecture, parsed.hidden_size, parsed.num_hidden_layers, parsed.vocab_size
    );
    Ok((Box::new(model), label, dtype_name(dtype)))
}

fn dtype_name(dtype: DType) -> String {
    dtype.as_str().to_owned()
}

/// One prefill and `new_tokens` greedy decode steps from an empty cache.
fn one_run(model: &mut dyn CausalLm, prompt: &[u32], new_tokens: usize) -> anyhow::Result<Run> {
    model.clear_cache();
    let start = Instant::now();
    let logits = model.forward(prompt, 0)?;
    let mut token = argmax(&logits.to_dtype(DType::F32)?.to_vec1::<f32>()?);
    let prefill_ms = ms(start);

    let (mut host, mut wait) = (0.0, 0.0);
    let decode_start = Instant::now();
    for i in 0..new_tokens {
        let step = Instant::now();
        let logits = model.forward(&[token], prompt.len() + i)?;
        let issued = Instant::now();
        token = argmax(&logits.to_dtype(DType::F32)?.to_vec1::<f32>()?);
        host += issued.duration_since(step).as_secs_f64() * 1000.0;
        wait += issued.elapsed().as_secs_f64() * 1000.0;
    }
    let decode_ms = ms(decode_start);
    Ok(Run {
        prefill_ms,
        decode_ms,
        decode_tokens_per_s: new_tokens as f64 * 1000.0 / decode_ms,
        host_ms_per_token: host / new_tokens as f64,
        wait_ms_per_token: wait / new_tokens as f64,
    })
}

/// Index of the largest value (the first on ties); NaN never wins.
fn argmax(values: &[f32]) -> u32 {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] || values[best].is_nan() {
            best = i;
        }
    }
    best as u32
}

/// The same ids every run and every machine (a fixed linear congruential sequence), avoiding
/// the lowest ids, where special tokens usually sit.
fn pseudo_random_tokens(n: usize, vocab: usize) -> Vec<u32> {
    let low = vocab.min(1000) / 2;
    let span = (vocab - low).max(1) as u64;
    let mut state = 0x2545_f491_u64;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (low as u64 + (state >> 33) % span) as u32
        })
        .collect()
}

fn summary(values: impl Iterator<Item = f64>) -> Summary {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    let median = match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    };
    Summary {
        median,
        min: v.first().copied().unwrap_or(0.0),
        max: v.last().copied().unwrap_or(0.0),
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn print_table(r: &BenchReport) {
    println!("model   {}", r.model);
    println!(
        "device  {}, {}; prompt {} tokens, {} new tokens, greedy, batch 1; load {:.0} ms",
        r.device, r.dtype, r.prompt_tokens, r.new_tokens, r.load_ms
    );
    println!("run  prefill ms  decode ms  decode tok/s  host ms/tok  wait ms/tok");
    for (i, run) in r.runs.iter().enumerate() {
        println!(
            "{:>3}  {:>10.1}  {:>9.1}  {:>12.1}  {:>11.3}  {:>11.3}",
            i + 1,
            run.prefill_ms,
            run.decode_ms,
            run.decode_tokens_per_s,
            run.host_ms_per_token,
            run.wait_ms_per_token
        );
    }
    let d = &r.decode_tokens_per_s;
    let p = &r.prefill_tokens_per_s;
    println!(
        "decode  {:.1} tok/s median (min {:.1}, max {:.1}); prefill {:.0} tok/s median",
        d.median, d.min, d.max, p.median
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_takes_the_first_largest_and_skips_nan() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0, 2.0]), 1);
        assert_eq!(argmax(&[f32::NAN, 0.5, 0.2]), 1);
    }

    #[test]
    fn prompt_ids_are_fixed_and_inside_the_vocabulary() {
        let a = pseudo_random_tokens(64, 300);
        assert_eq!(a, pseudo_random_tokens(64, 300));
        assert!(a.iter().all(|&t| (150..300).contains(&t)));
        assert!(pseudo_random_tokens(8, 1).iter().all(|&t| t == 0));
    }

    #[test]
    fn summary_takes_the_middle() {
        let s = summary([3.0, 1.0, 2.0, 10.0].into_iter());
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 10.0));
    }
}
