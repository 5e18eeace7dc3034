//! One generation: prefill the prompt, then sample, detokenize and stream token by token until
//! an end-of-generation token, a stop string, the token limit, the context limit or
//! cancellation.

use std::time::Instant;

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::error::{InferError, Result};
use crate::json_constraint::{JsonConstraint, JsonStatus};
use crate::models::CausalLm;
use crate::sampling::{Sampler, SamplingParams};
use crate::text_stream::{Detokenizer, ReasoningSplitter, Split, StopMatcher};
use loris_models::Tokenizer;

/// Prompt tokens per forward pass during prefill: bounds the attention scratch memory and lets
/// cancellation land between chunks of a long prompt.
const PREFILL_CHUNK: usize = 256;

/// What the engine needs: token ids and settings; text only for stop strings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GenerateRequest {
    pub prompt_tokens: Vec<u32>,
    pub max_tokens: usize,
    pub sampling: SamplingParams,
    /// Generation ends before any of these strings; they are not part of the output.
    #[serde(default)]
    pub stop: Vec<String>,
    /// Split `<think>…</think>` into `reasoning`; `None`: when the vocabulary has both tags.
    #[serde(default)]
    pub split_reasoning: Option<bool>,
    /// Hold the output to this JSON schema while it is generated (see [`JsonConstraint`]).
    #[serde(default)]
    pub json_schema: Option<serde_json::Value>,
}

impl GenerateRequest {
    pub fn new(prompt_tokens: Vec<u32>, max_tokens: usize, sampling: SamplingParams) -> Self {
        GenerateRequest {
            prompt_tokens,
            max_tokens,
            sampling,
            stop: Vec::new(),
            split_reasoning: None,
            json_schema: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// An end-of-generation token or a stop string.
    Stop,
    /// `max_tokens` reached.
    Length,
    /// The model's context is full.
    ContextLength,
    Cancelled,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    /// Prompt tokens whose keys and values came from the previous request's cache.
    #[serde(default)]
    pub cached_tokens: usize,
}

/// The tokens whose keys and values sit in the model's cache, in order. The engine keeps one
/// per model so that a request sharing a prefix with the previous one (a chat turn that
/// resends the conversation) only runs its new tokens.
#[derive(Debug, Default)]
pub struct PromptCache {
    tokens: Vec<u32>,
}

impl PromptCache {
    pub fn tokens(&self) -> &[u32] {
        &self.tokens
    }

    /// Makes the model's cache hold the longest reusable prefix of `prompt` and returns its
    /// length. At least one prompt token is always run, to get logits.
    fn prepare(&mut self, model: &mut dyn CausalLm, prompt: &[u32]) -> Result<usize> {
        let common = self
            .tokens
            .iter()
            .zip(prompt)
            .take_while(|(a, b)| a == b)
            .count();
        let keep = common.min(prompt.len().saturating_sub(1));
        if keep > 0 && model.rewind_cache(keep)? {
            self.tokens.truncate(keep);
            return Ok(keep);
        }
        self.reset(model);
        Ok(0)
    }

    fn reset(&mut self, model: &mut dyn CausalLm) {
        model.clear_cache();
        self.tokens.clear();
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    /// Request start to the first generated token.
    pub time_to_first_token_ms: f64,
    pub prompt_ms: f64,
    pub prompt_tokens_per_s: f64,
    /// Time spent after the first token.
    pub decode_ms: f64,
    /// Tokens after the first, per second of decode time.
    pub decode_tokens_per_s: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerationOutput {
    pub text: String,
    pub reasoning: String,
    pub tokens: Vec<u32>,
    pub finish_reason: FinishReason,
    /// The stop string that ended generation (`finish_reason` is then `stop`); `None` for an
    /// end-of-generation token or any other reason.
    #[serde(default)]
    pub stop_sequence: Option<String>,
    pub usage: Usage,
    pub timings: Timings,
}

/// Streamed pieces of output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GenerationEvent {
    Delta { content: String, reasoning: String },
    Done(GenerationOutput),
    Error { code: String, message: String },
}

/// Runs `request` on `model` from an empty cache. `on_delta` receives text as it is produced;
/// returning `false` from it cancels (the receiver went away).
pub fn generate(
    model: &mut dyn CausalLm,
    tokenizer: &Tokenizer,
    eos_ids: &[u32],
    request: &GenerateRequest,
    cancel: &CancellationToken,
    on_delta: &mut dyn FnMut(&Split) -> bool,
) -> Result<GenerationOutput> {
    let mut cache = PromptCache::default();
    generate_cached(
        model, &mut cache, tokenizer, eos_ids, request, cancel, on_delta,
    )
}

/// Like [`generate`], reusing what `cache` says the model's cache already holds. After an
/// error the cache is cleared: its content is unknown.
pub fn generate_cached(
    model: &mut dyn CausalLm,
    cache: &mut PromptCache,
    tokenizer: &Tokenizer,
    eos_ids: &[u32],
    request: &GenerateRequest,
    cancel: &CancellationToken,
    on_delta: &mut dyn FnMut(&Split) -> bool,
) -> Result<GenerationOutput> {
    let result = run(model, cache, tokenizer, eos_ids, request, cancel, on_delta);
    if result.is_err() {
        cache.reset(model);
    }
    result
}

fn run(
    model: &mut dyn CausalLm,
    cache: &mut PromptCache,
    tokenizer: &Tokenizer,
    eos_ids: &[u32],
    request: &GenerateRequest,
    cancel: &CancellationToken,
    on_delta: &mut dyn FnMut(&Split) -> bool,
) -> Result<GenerationOutput> {
    let start = Instant::now();
    let prompt = &request.prompt_tokens;
    if prompt.is_empty() {
        return Err(InferError::InvalidRequest(
            "the prompt has no tokens".into(),
        ));
    }
    let context = model.context_length();
    if prompt.len() >= context {
        return Err(InferError::ContextLengthExceeded {
            prompt: prompt.len(),
            context,
        });
    }
    let split_reasoning = request.split_reasoning.unwrap_or_else(|| {
        tokenizer.token_to_id("<think>").is_some() && tokenizer.token_to_id("</think>").is_some()
    });
    let starts_inside = split_reasoning && ends_inside_think(tokenizer, prompt)?;

    let reused = cache.prepare(model, prompt)?;
    let mut sampler = Sampler::new(request.sampling.clone());
    let constraint = request.json_schema.clone().map(JsonConstraint::new);
    let mut detok = Detokenizer::new(tokenizer);
    let mut stops = StopMatcher::new(&request.stop);
    let mut splitter = ReasoningSplitter::new(split_reasoning, starts_inside);
    let mut history: Vec<u32> = prompt.clone();
    let mut generated: Vec<u32> = Vec::new();
    let mut text = Split::default();
    let emit = |piece: Split, text: &mut Split, on_delta: &mut dyn FnMut(&Split) -> bool| -> bool {
        if piece.content.is_empty() && piece.reasoning.is_empty() {
            return true;
        }
        text.content.push_str(&piece.content);
        text.reasoning.push_str(&piece.reasoning);
        on_delta(&piece)
    };

    let mut logits = None;
    let counts = PromptCounts {
        total: prompt.len(),
        cached: reused,
    };
    for (i, chunk) in prompt[reused..].chunks(PREFILL_CHUNK).enumerate() {
        if cancel.is_cancelled() {
            return Ok(finish(
                text,
                generated,
                FinishReason::Cancelled,
                counts,
                start,
                None,
                None,
            ));
        }
        logits = Some(model.forward(chunk, reused + i * PREFILL_CHUNK)?);
        cache.tokens.extend_from_slice(chunk);
    }
    let prompt_done = Instant::now();
    let mut first_token_at = None;
    let mut logits =
        logits.ok_or_else(|| InferError::InvalidRequest("the prompt has no tokens".into()))?;

    let reason = loop {
        if cancel.is_cancelled() {
            break FinishReason::Cancelled;
        }
        if generated.len() >= request.max_tokens {
            break FinishReason::Length;
        }
        let mut values = logits.to_dtype(candle_core::DType::F32)?.to_vec1::<f32>()?;
        let token = match &constraint {
            None => sampler.sample(&mut values, &history),
            Some(c) => {
                let temperature = request.sampling.temperature;
                let choice =
                    constrained_token(c, tokenizer, eos_ids, &generated, &mut values, temperature)?;
                match choice {
                    Some(()) => sampler.sample(&mut values, &history),
                    // Nothing the schema allows is left: end here (the reply may be cut short).
                    None => break FinishReason::Stop,
                }
            }
        };
        first_token_at.get_or_insert_with(Instant::now);
        if eos_ids.contains(&token) {
            break FinishReason::Stop;
        }
        generated.push(token);
        history.push(token);
        let delta = detok.push(token)?;
        let (shown, stopped) = stops.push(&delta);
        if !emit(splitter.push(&shown), &mut text, on_delta) {
            break FinishReason::Cancelled;
        }
        if stopped {
            break FinishReason::Stop;
        }
        if let Some(c) = &constraint
            && c.status(&tokenizer.decode(&generated, false)?)
                == (JsonStatus::Complete { more: false })
        {
            // The document is whole and nothing may follow it.
            break FinishReason::Stop;
        }
        if generated.len() >= request.max_tokens {
            break FinishReason::Length;
        }
        let position = prompt.len() + generated.len() - 1;
        if position + 1 >= context {
            break FinishReason::ContextLength;
        }
        logits = model.forward(&[token], position)?;
        cache.tokens.push(token);
    };
    // Text held back as a possible stop-string prefix turned out not to be one (after a stop
    // string matched there is none).
    let held = stops.finish();
    emit(splitter.push(&held), &mut text, on_delta);
    emit(splitter.finish(), &mut text, on_delta);
    let mut output = finish(
        text,
        generated,
        reason,
        counts,
        start,
        Some(prompt_done),
        first_token_at,
    );
    output.stop_sequence = stops.matched().map(str::to_owned);
    Ok(output)
}

/// Candidates checked against the schema per step, most likely first.
const MAX_CONSTRAINED_CHECKS: usize = 4096;
/// Allowed candidates kept for sampling (at temperature 0 the first one is taken).
const CONSTRAINED_CANDIDATES: usize = 16;

/// Leaves finite only the logits of tokens that keep the output a prefix of a document the
/// schema accepts (an end-of-generation token only once it is complete). `None` when no
/// candidate is allowed.
fn constrained_token(
    constraint: &JsonConstraint,
    tokenizer: &Tokenizer,
    eos_ids: &[u32],
    generated: &[u32],
    values: &mut [f32],
    temperature: f32,
) -> Result<Option<()>> {
    let current = tokenizer.decode(generated, false)?;
    let complete = matches!(constraint.status(&current), JsonStatus::Complete { .. });
    let mut order: Vec<u32> = (0..values.len() as u32)
        .filter(|&i| values[i as usize].is_finite())
        .collect();
    order.sort_unstable_by(|&a, &b| values[b as usize].total_cmp(&values[a as usize]));
    let wanted = if temperature <= 0.0 {
        1
    } else {
        CONSTRAINED_CANDIDATES
    };
    let mut allowed = Vec::with_capacity(wanted);
    let mut ids = generated.to_vec();
    for &token in order.iter().take(MAX_CONSTRAINED_CHECKS) {
        let ok = if eos_ids.contains(&token) {
            complete
        } else {
            ids.push(token);
            let text = tokenizer.decode(&ids, false)?;
            ids.pop();
            text.len() > current.len()
                && text.starts_with(&current)
                && constraint.status(&text) != JsonStatus::Invalid
        };
        if ok {
            allowed.push(token);
            if allowed.len() >= wanted {
                break;
            }
        }
    }
    if allowed.is_empty() {
        return Ok(None);
    }
    for (i, v) in values.iter_mut().enumerate() {
        if !allowed.contains(&(i as u32)) {
            *v = f32::NEG_INFINITY;
        }
    }
    Ok(Some(()))
}

#[derive(Debug, Clone, Copy)]
struct PromptCounts {
    total: usize,
    cached: usize,
}

fn finish(
    text: Split,
    tokens: Vec<u32>,
    finish_reason: FinishReason,
    prompt: PromptCounts,
    start: Instant,
    prompt_done: Option<Instant>,
    first_token: Option<Instant>,
) -> GenerationOutput {
    let ms = |a: Instant, b: Instant| b.duration_since(a).as_secs_f64() * 1000.0;
    let end = Instant::now();
    let mut timings = Timings::default();
    if let Some(p) = prompt_done {
        timings.prompt_ms = ms(start, p);
        timings.prompt_tokens_per_s = per_second(prompt.total - prompt.cached, timings.prompt_ms);
    }
    if let Some(f) = first_token {
        timings.time_to_first_token_ms = ms(start, f);
        timings.decode_ms = ms(f, end);
        timings.decode_tokens_per_s = per_second(tokens.len().saturating_sub(1), timings.decode_ms);
    }
    GenerationOutput {
        text: text.content,
        reasoning: text.reasoning,
        usage: Usage {
            prompt_tokens: prompt.total,
            completion_tokens: tokens.len(),
            cached_tokens: prompt.cached,
        },
        tokens,
        finish_reason,
        stop_sequence: None,
        timings,
    }
}

fn per_second(count: usize, ms: f64) -> f64 {
    if ms > 0.0 {
        count as f64 / (ms / 1000.0)
    } else {
        0.0
    }
}

/// Whether the prompt leaves the model inside an open `<think>` block (templates that force
/// thinking end the prompt with the opening tag).
fn ends_inside_think(tokenizer: &Tokenizer, prompt: &[u32]) -> Result<bool> {
    let tail = &prompt[prompt.len().saturating_sub(8)..];
    let text = tokenizer.decode(tail, false)?;
    let open = text.rfind("<think>");
    let close = text.rfind("</think>");
    Ok(match (open, close) {
        (Some(o), Some(c)) => o > c,
        (Some(_), None) => true,
        _ => false,
    })
}
