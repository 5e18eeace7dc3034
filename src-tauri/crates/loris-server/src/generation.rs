//! The edge between the wire formats and the engine, shared by both APIs: a conversation in
//! the chat template's (OpenAI-style) message JSON becomes token ids; the engine's output
//! becomes text, reasoning, tool calls and a stop reason.

use std::sync::Arc;

use loris_infer::{
    Engine, FinishReason, GenerateRequest, GenerationEvent, GenerationOutput, RequestHandle,
    SamplingParams,
};
use loris_models::ChatRequest;
use loris_models::tool_calls::ToolCall;
use serde_json::{Value as Json, json};

use crate::error::{ApiError, ErrorKind};
use crate::state::AppState;

/// Sampling settings as the APIs send them; `None` keeps the engine's default.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sampling {
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub top_k: Option<usize>,
    pub min_p: Option<f32>,
    pub presence_penalty: Option<f32>,
    pub frequency_penalty: Option<f32>,
    pub repetition_penalty: Option<f32>,
    pub seed: Option<u64>,
}

impl Sampling {
    /// Checks ranges; errors name the field.
    pub fn to_params(&self) -> Result<SamplingParams, ApiError> {
        let mut p = SamplingParams::default();
        if let Some(t) = self.temperature {
            if !(0.0..=2.0).contains(&t) {
                return Err(ApiError::invalid_field(
                    "temperature",
                    "must be between 0 and 2",
                ));
            }
            p.temperature = t;
        }
        if let Some(v) = self.top_p {
            if v <= 0.0 || v > 1.0 {
                return Err(ApiError::invalid_field(
                    "top_p",
                    "must be above 0 and at most 1",
                ));
            }
            p.top_p = v;
        }
        if let Some(k) = self.top_k {
            p.top_k = k;
        }
        if let Some(v) = self.min_p {
            if !(0.0..=1.0).contains(&v) {
                return Err(ApiError::invalid_field("min_p", "must be between 0 and 1"));
            }
            p.min_p = v;
        }
        for (field, value, target) in [
            (
                "presence_penalty",
                self.presence_penalty,
                &mut p.presence_penalty,
            ),
            (
                "frequency_penalty",
                self.frequency_penalty,
                &mut p.frequency_penalty,
            ),
        ] {
            if let Some(v) = value {
                if !(-2.0..=2.0).contains(&v) {
                    return Err(ApiError::invalid_field(field, "must be between -2 and 2"));
                }
                *target = v;
            }
        }
        if let Some(v) = self.repetition_penalty {
            if v <= 0.0 {
                return Err(ApiError::invalid_field(
                    "repetition_penalty",
                    "must be above 0",
                ));
            }
            p.repetition_penalty = v;
        }
        p.seed = self.seed;
        Ok(p)
    }
}

/// A conversation ready for the chat template, and how to run it.
pub(crate) struct ChatJob {
    pub model: String,
    /// OpenAI-style messages (`role`, `content` text, `tool_calls`, `tool_call_id`).
    pub messages: Vec<Json>,
    /// `{"type": "function", "function": {...}}` definitions; `None`: no tools.
    pub tools: Option<Vec<Json>>,
    pub enable_thinking: Option<bool>,
    pub max_tokens: Option<usize>,
    pub sampling: Sampling,
    pub stop: Vec<String>,
}

/// A request accepted by the engine, with what the edges need to turn its output into a reply.
pub(crate) struct Running {
    pub engine: Arc<Engine>,
    pub handle: RequestHandle,
    pub prompt_tokens: usize,
    /// Tool calls are parsed from the reply (tools were offered, the template has a format).
    pub parse_tools: bool,
}

/// Renders, tokenizes and queues a chat. Nothing reaches the engine unless every field is valid.
pub(crate) fn start_chat(state: &AppState, job: ChatJob) -> Result<Running, ApiError> {
    let params = job.sampling.to_params()?;
    if job.max_tokens == Some(0) {
        return Err(ApiError::invalid_field("max_tokens", "must be at least 1"));
    }
    let engine = state.engine(&job.model)?;
    let has_tools = job.tools.as_ref().is_some_and(|t| !t.is_empty());
    let chat = ChatRequest {
        messages: job.messages,
        tools: job.tools.filter(|t| !t.is_empty()),
        add_generation_prompt: true,
        enable_thinking: job.enable_thinking,
        extra: Default::default(),
    };
    let (_, ids) = engine.assets().encode_chat(&chat).map_err(|e| {
        let e = loris_infer::InferError::from(e);
        let mut err = ApiError::from(e);
        if err.kind == ErrorKind::InvalidRequest {
            err.message = format!("messages: {}", err.message);
            err.param = Some("messages".into());
        }
        err
    })?;
    let prompt_tokens = ids.len();
    let room = engine.info().context_length.saturating_sub(prompt_tokens);
    let max_tokens = job.max_tokens.unwrap_or(room).min(room.max(1));
    let mut request = GenerateRequest::new(ids, max_tokens, params);
    request.stop = job.stop;
    if let Some(thinking) = job.enable_thinking {
        request.split_reasoning = Some(thinking);
    }
    let parse_tools = has_tools && engine.info().tool_call_format.is_some();
    let handle = state.submit(&engine, request)?;
    Ok(Running {
        engine,
        handle,
        prompt_tokens,
        parse_tools,
    })
}

/// Tokenizes plain text and queues it (legacy completions).
pub(crate) fn start_text(
    state: &AppState,
    model: &str,
    prompt: &str,
    max_tokens: Option<usize>,
    sampling: &Sampling,
    stop: Vec<String>,
) -> Result<Running, ApiError> {
    let params = sampling.to_params()?;
    if max_tokens == Some(0) {
        return Err(ApiError::invalid_field("max_tokens", "must be at least 1"));
    }
    if prompt.is_empty() {
        return Err(ApiError::invalid_field("prompt", "must not be empty"));
    }
    let engine = state.engine(model)?;
    let ids = engine
        .assets()
        .encode_text(prompt)
        .map_err(|e| ApiError::from(loris_infer::InferError::from(e)))?;
    let prompt_tokens = ids.len();
    let room = engine.info().context_length.saturating_sub(prompt_tokens);
    let mut request = GenerateRequest::new(ids, max_tokens.unwrap_or(16).min(room.max(1)), params);
    request.stop = stop;
    request.split_reasoning = Some(false);
    let handle = state.submit(&engine, request)?;
    Ok(Running {
        engine,
        handle,
        prompt_tokens,
        parse_tools: false,
    })
}

/// Waits for the whole output (non-streaming replies). Deltas are skipped: `Done` has the text.
pub(crate) async fn finish(running: &mut Running) -> Result<GenerationOutput, ApiError> {
    while let Some(event) = running.handle.events.recv().await {
        match event {
            GenerationEvent::Delta { .. } => {}
            GenerationEvent::Done(output) => return Ok(output),
            GenerationEvent::Error { code, message } => {
                return Err(generation_error(code, message));
            }
        }
    }
    Err(ApiError::from(loris_infer::InferError::EngineStopped))
}

pub(crate) fn generation_error(code: String, message: String) -> ApiError {
    let kind = if code == "context_length_exceeded" || code == "invalid_request" {
        ErrorKind::InvalidRequest
    } else {
        ErrorKind::Internal
    };
    // The code string is ours; keep a static one for the envelope and the message verbatim.
    let code = match code.as_str() {
        "context_length_exceeded" => "context_length_exceeded",
        "invalid_request" => "invalid_request",
        "engine_stopped" => "engine_stopped",
        _ => "inference_failed",
    };
    ApiError::new(kind, code, message)
}

/// Why generation ended, as both APIs need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    /// End of turn (an end-of-generation token).
    EndTurn,
    /// One of the request's stop strings.
    Sequence(String),
    /// The token limit (or the model's context).
    MaxTokens,
    ToolUse,
}

impl Stop {
    pub fn openai(&self) -> &'static str {
        match self {
            Stop::EndTurn | Stop::Sequence(_) => "stop",
            Stop::MaxTokens => "length",
            Stop::ToolUse => "tool_calls",
        }
    }

    pub fn anthropic(&self) -> &'static str {
        match self {
            Stop::EndTurn => "end_turn",
            Stop::Sequence(_) => "stop_sequence",
            Stop::MaxTokens => "max_tokens",
            Stop::ToolUse => "tool_use",
        }
    }

    pub fn sequence(&self) -> Option<&str> {
        match self {
            Stop::Sequence(s) => Some(s),
            _ => None,
        }
    }
}

/// The stop reason of a finished generation: the engine reports "stop" for both an
/// end-of-generation token and a stop string, and names the stop string when there was one.
pub(crate) fn stop_of(output: &GenerationOutput, tool_calls: bool) -> Stop {
    if tool_calls {
        return Stop::ToolUse;
    }
    match output.finish_reason {
        FinishReason::Length | FinishReason::ContextLength => Stop::MaxTokens,
        FinishReason::Stop | FinishReason::Cancelled => match &output.stop_sequence {
            Some(s) => Stop::Sequence(s.clone()),
            None => Stop::EndTurn,
        },
    }
}

/// The reply's text and tool calls.
pub(crate) fn split_tools(running: &Running, text: &str) -> (String, Vec<ToolCall>) {
    if !running.parse_tools {
        return (text.to_owned(), Vec::new());
    }
    match running.engine.info().tool_call_format {
        Some(format) => {
            let parsed = format.parse(text);
            (parsed.content, parsed.tool_calls)
        }
        None => (text.to_owned(), Vec::new()),
    }
}

/// A fresh id with a prefix (`chatcmpl-…`, `msg_…`, `toolu_…`).
pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The system instruction for JSON output (`response_format`): the engine cannot constrain
/// tokens to a grammar yet, so the model is asked to.
pub(crate) fn json_instruction(schema: Option<&Json>) -> String {
    match schema {
        Some(schema) => format!(
            "Reply with a single JSON object only, no other text, that follows this JSON schema: {schema}"
        ),
        None => "Reply with a single JSON object only, no other text.".to_owned(),
    }
}

/// Adds `instruction` to the conversation's system message (or starts one).
pub(crate) fn add_system_instruction(messages: &mut Vec<Json>, instruction: &str) {
    if let Some(first) = messages.first_mut()
        && first["role"] == "system"
    {
        let text = first["content"].as_str().unwrap_or("").to_owned();
        first["content"] = Json::String(if text.is_empty() {
            instruction.to_owned()
        } else {
            format!("{text}\n\n{instruction}")
        });
        return;
    }
    messages.insert(0, json!({"role": "system", "content": instruction}));
}
