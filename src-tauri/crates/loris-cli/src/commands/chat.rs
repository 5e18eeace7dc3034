//! `loris chat`: an interactive conversation with a local model in the terminal.
//!
//! Each turn sends the whole conversation through the model's chat template; the engine reuses
//! the KV cache of the part it has already seen, so only the new turn is processed. Ctrl-C stops
//! the reply being written; Ctrl-C twice at the prompt, Ctrl-D or `/exit` leaves.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use loris_infer::{Engine, GenerateRequest, GenerationEvent, SamplingParams};
use loris_models::ChatRequest;
use loris_models::chat_template::message;
use serde_json::Value as Json;

use super::model_args::ModelArgs;

const HELP: &str = "\
Commands:
  /system TEXT   set the system message (and start over)
  /reset         forget the conversation
  /exit          leave (also Ctrl-D)
A line ending in \\ continues on the next line. Ctrl-C stops a reply.";

#[derive(Args)]
pub struct ChatArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// A system message for the conversation.
    #[arg(long)]
    system: Option<String>,
    /// Most tokens per reply.
    #[arg(long, default_value_t = 1024)]
    max_tokens: usize,
    /// Sampling temperature; 0 is greedy.
    #[arg(long, default_value_t = 0.7)]
    temperature: f32,
    /// Nucleus sampling: keep the smallest set of tokens whose probability reaches this.
    #[arg(long, default_value_t = 0.95)]
    top_p: f32,
    /// Seed for sampling (same seed, same replies).
    #[arg(long)]
    seed: Option<u64>,
    /// For models that think before answering (Qwen 3 style): `on` or `off`.
    #[arg(long, value_parser = ["on", "off"])]
    think: Option<String>,
}

/// The conversation so far, as chat-template messages.
struct Conversation {
    system: Option<String>,
    turns: Vec<Json>,
}

impl Conversation {
    fn request(&self, enable_thinking: Option<bool>) -> ChatRequest {
        let mut messages = Vec::with_capacity(self.turns.len() + 1);
        if let Some(system) = &self.system {
            messages.push(message("system", system));
        }
        messages.extend(self.turns.iter().cloned());
        ChatRequest {
            messages,
            add_generation_prompt: true,
            enable_thinking,
            ..Default::default()
        }
    }
}

pub fn run(args: &ChatArgs) -> anyhow::Result<()> {
    let path = &args.model.model;
    eprintln!("loading {} ...", path.display());
    let loaded = loris_infer::load(path, &args.model.load_options()?)?;
    let engine = Engine::start(loaded, args.model.engine_options())?;
    let info = engine.info();
    if !info.has_chat_template {
        anyhow::bail!(
            "{} has no chat template: use `loris generate` for plain text completion",
            path.display()
        );
    }
    eprintln!(
        "{} ({}, {} parameters, context {}). /help for commands.",
        info.architecture, info.quantization, info.parameters, info.context_length
    );

    // The first Ctrl-C sets the flag (stopping a reply); a second one while it is still set
    // ends the process, so Ctrl-C twice at the prompt quits.
    let interrupted = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register_conditional_shutdown(
        signal_hook::consts::SIGINT,
        130,
        Arc::clone(&interrupted),
    )
    .context("cannot watch Ctrl-C")?;
    signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&interrupted))
        .context("cannot watch Ctrl-C")?;

    let sampling = SamplingParams {
        temperature: args.temperature,
        top_p: args.top_p,
        seed: args.seed,
        ..Default::default()
    };
    let enable_thinking = args.think.as_deref().map(|t| t == "on");
    let mut conversation = Conversation {
        system: args.system.clone(),
        turns: Vec::new(),
    };
    let interactive = std::io::stdin().is_terminal();
    let mut lines = std::io::stdin().lock().lines();
    loop {
        let Some(input) = read_message(&mut lines, interactive)? else {
            break;
        };
        interrupted.store(false, Ordering::SeqCst);
        match input.trim() {
            "" => continue,
            "/exit" | "/quit" => break,
            "/help" => {
                eprintln!("{HELP}");
                continue;
            }
            "/reset" => {
                conversation.turns.clear();
                eprintln!("(conversation cleared)");
                continue;
            }
            text if text.starts_with("/system") => {
                let system = text["/system".len()..].trim();
                conversation.system = (!system.is_empty()).then(|| system.to_owned());
                conversation.turns.clear();
                eprintln!("(system message set; conversation cleared)");
                continue;
            }
            text if text.starts_with('/') => {
                eprintln!("unknown command {text}; /help lists them");
                continue;
            }
            _ => {}
        }
        conversation.turns.push(message("user", &input));
        let (_, ids) = engine
            .assets()
            .encode_chat(&conversation.request(enable_thinking))?;
        let request = GenerateRequest::new(ids, args.max_tokens, sampling.clone());
        match reply(&engine, request, &interrupted) {
            Ok(text) => conversation.turns.push(message("assistant", &text)),
            Err(e) => {
                // The turn is dropped so the conversation stays one the model can continue.
                conversation.turns.pop();
                eprintln!("error: {e:#}");
            }
        }
    }
    Ok(())
}

/// Reads one message: a line, or several joined where a line ends in `\`. `None` at the end
/// of input.
fn read_message(
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
    interactive: bool,
) -> anyhow::Result<Option<String>> {
    let mut message = String::new();
    loop {
        if interactive {
            eprint!("{}", if message.is_empty() { "> " } else { ". " });
        }
        let Some(line) = lines.next() else {
            return Ok((!message.is_empty()).then_some(message));
        };
        let line = line.context("cannot read the input")?;
        match line.strip_suffix('\\') {
            Some(part) => {
                message.push_str(part);
                message.push('\n');
            }
            None => {
                message.push_str(&line);
                return Ok(Some(message));
            }
        }
    }
}

/// Streams one reply to stdout (thinking to stderr) and returns its text.
fn reply(
    engine: &Engine,
    request: GenerateRequest,
    interrupted: &Arc<AtomicBool>,
) -> anyhow::Result<String> {
    let mut handle = engine.submit(request)?;
    // Ctrl-C arrives as a flag; this watcher turns it into a cancel of the running request,
    // which lands within one token (or one prefill chunk).
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (cancel, done, interrupted) = (
            handle.cancel.clone(),
            Arc::clone(&done),
            Arc::clone(interrupted),
        );
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                if interrupted.swap(false, Ordering::SeqCst) {
                    cancel.cancel();
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr();
    let mut result = Err(anyhow::anyhow!("the engine stopped"));
    while let Some(event) = handle.events.blocking_recv() {
        match event {
            GenerationEvent::Delta { content, reasoning } => {
                let _ = write!(stderr, "{reasoning}");
                let _ = write!(stdout, "{content}");
                let _ = stdout.flush();
            }
            GenerationEvent::Done(output) => {
                let _ = writeln!(stdout);
                let u = &output.usage;
                eprintln!(
                    "[{} prompt tokens ({} reused), {} generated, {:?}; first token {:.0} ms, {:.1} tokens/s]",
                    u.prompt_tokens,
                    u.cached_tokens,
                    u.completion_tokens,
                    output.finish_reason,
                    output.timings.time_to_first_token_ms,
                    output.timings.decode_tokens_per_s
                );
                result = Ok(output.text);
                break;
            }
            GenerationEvent::Error { code, message } => {
                result = Err(anyhow::anyhow!("[{code}] {message}"));
                break;
            }
        }
    }
    done.store(true, Ordering::SeqCst);
    let _ = watcher.join();
    result
}
