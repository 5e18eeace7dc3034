//! `loris generate`: load a model, run one prompt, stream the completion to stdout.

use std::io::Write;

use clap::Args;
use loris_infer::{Engine, GenerateRequest, SamplingParams, load};
use loris_models::ChatRequest;

use super::model_args::ModelArgs;
use crate::output::print_json;

#[derive(Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    model: ModelArgs,
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
}

pub fn run(args: &GenerateArgs, json: bool) -> anyhow::Result<()> {
    let options = args.model.load_options()?;
    let loaded = load(&args.model.model, &options)?;
    let engine = Engine::start(loaded, args.model.engine_options())?;
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
