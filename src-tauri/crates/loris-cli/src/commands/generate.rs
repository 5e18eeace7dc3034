//! `loris generate`: load a model, run one prompt, stream the completion to stdout.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use loris_infer::{Engine, EngineOptions, GenerateRequest, LoadOptions, SamplingParams, load};
use loris_models::ChatRequest;

use crate::output::print_json;

#[derive(Args)]
pub struct GenerateArgs {
    /// A GGUF model file or a Hugging Face model folder.
    #[arg(long)]
    model: PathBuf,
    /// The prompt text.
    #[arg(long)]
    prompt: String,
    /// Send the prompt through the model's chat template as one user message.
    #[arg(long)]
    chat: bool,
    /// Most tokens to generate.
    #[arg(long, default_value_t = 256)]
    max_tokens: usize,
    /// Sampling temperature; 0 is greedy.
    #[arg(long, default_value_t = 0.8)]
    temperature: f32,
    /// Seed for sampling (same seed, same output).
    #[arg(long)]
    seed: Option<u64>,
    /// CPU threads for the tensor kernels (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// A tokenizer.json to use instead of the one in the GGUF file.
    #[arg(long)]
    tokenizer: Option<PathBuf>,
    /// Load quantized weights as f32 (matches transformers' arithmetic). The default for
    /// models whose f32 weights fit in 2 GiB.
    #[arg(long, conflicts_with = "keep_quantized")]
    dequantize: bool,
    /// Run on the quantized weights even for a small model.
    #[arg(long)]
    keep_quantized: bool,
    /// `cpu`, `cuda` or `cuda:N` (default: GPU 0 when this build has CUDA and a GPU is
    /// present, else the CPU).
    #[arg(long)]
    device: Option<String>,
}

/// The device `--device` names, else the default one.
pub fn device_from(arg: Option<&str>) -> anyhow::Result<loris_infer::device::Device> {
    Ok(match arg {
        Some(spec) => loris_infer::device::open_device(spec)?,
        None => loris_infer::device::default_device(),
    })
}

pub fn run(args: &GenerateArgs, json: bool) -> anyhow::Result<()> {
    // Folders hold float weights: there is nothing to dequantize.
    let dequantize = args.dequantize
        || (!args.keep_quantized
            && args.model.is_file()
            && loris_infer::prefers_dequantized(&args.model)?);
    let options = LoadOptions {
        dequantize,
        tokenizer: args.tokenizer.clone(),
        device: device_from(args.device.as_deref())?,
        ..Default::default()
    };
    let loaded = load(&args.model, &options)?;
    let engine = Engine::start(
        loaded,
        EngineOptions {
            threads: args.threads,
            ..Default::default()
        },
    )?;
    let assets = engine.assets();
    let ids = if args.chat {
        assets
            .encode_chat(&ChatRequest::single_user(&args.prompt))?
            .1
    } else {
        assets.encode_text(&args.prompt)?
    };
    let sampling = SamplingParams {
        temperature: args.temperature,
        seed: args.seed,
        ..Default::default()
    };
    let handle = engine.submit(GenerateRequest::new(ids, args.max_tokens, sampling))?;

    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr();
    let output = handle.wait(|delta| {
        if json {
            return;
        }
        // Reasoning goes to stderr so stdout carries only the answer.
        if !delta.reasoning.is_empty() {
            let _ = write!(stderr, "{}", delta.reasoning);
        }
        let _ = write!(stdout, "{}", delta.content);
        let _ = stdout.flush();
    })?;
    if json {
        return print_json(&output);
    }
    writeln!(stdout)?;
    let t = &output.timings;
    let info = engine.info();
    let weights = if info.format != "gguf" {
        format!("{} weights", info.quantization)
    } else if info.dequantized {
        "f32 weights".to_owned()
    } else {
        "quantized weights".to_owned()
    };
    eprintln!(
        "[{} prompt + {} generated tokens, {:?}; first token {:.0} ms, {:.1} tokens/s; {weights} on {}]",
        output.usage.prompt_tokens,
        output.usage.completion_tokens,
        output.finish_reason,
        t.time_to_first_token_ms,
        t.decode_tokens_per_s,
        loris_infer::device::device_name(&options.device)
    );
    Ok(())
}
