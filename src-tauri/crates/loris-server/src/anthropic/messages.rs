//! `POST /v1/messages` (the non-streaming reply; streams are in [`super::stream`]) and
//! `POST /v1/messages/count_tokens`.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use loris_infer::GenerationOutput;
use loris_models::ChatRequest;
use serde_json::{Value as Json, json};

use super::convert::{chat_job, tool_use_block};
use super::types::MessagesRequest;
use crate::error::{ApiError, Flavor, parse_json};
use crate::generation::{self, Running, new_id};
use crate::request_log::LogTicket;
use crate::state::AppState;

pub(crate) async fn handle(
    State(state): State<Arc<AppState>>,
    ticket: Option<Extension<LogTicket>>,
    body: Bytes,
) -> Response {
    let ticket = ticket.map(|Extension(t)| t);
    match run(&state, ticket, &body).await {
        Ok(response) => response,
        Err(err) => err.into_response(Flavor::Anthropic),
    }
}

async fn run(
    state: &AppState,
    ticket: Option<LogTicket>,
    body: &[u8],
) -> Result<Response, ApiError> {
    let request: MessagesRequest = parse_json(body)?;
    if request.max_tokens.is_none() {
        return Err(ApiError::invalid_field("max_tokens", "is required"));
    }
    let job = chat_job(&request)?;
    let model = job.model.clone();
    let mut running = generation::start_chat(state, job)?;
    if request.stream {
        return Ok(super::stream::respond(ticket, running, model));
    }
    let output = generation::finish(&mut running).await?;
    if let Some(ticket) = &ticket {
        ticket.tokens(output.usage.prompt_tokens, output.usage.completion_tokens);
    }
    Ok(axum::Json(message(&running, &model, &output)).into_response())
}

fn message(running: &Running, model: &str, output: &GenerationOutput) -> Json {
    let (text, calls) = generation::split_tools(running, &output.text);
    let stop = generation::stop_of(output, !calls.is_empty());
    let mut content = Vec::new();
    if !output.reasoning.is_empty() {
        content.push(json!({"type": "thinking", "thinking": output.reasoning, "signature": ""}));
    }
    if !text.is_empty() || calls.is_empty() {
        content.push(json!({"type": "text", "text": text}));
    }
    content.extend(calls.iter().map(tool_use_block));
    json!({
        "id": new_id("msg_"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop.anthropic(),
        "stop_sequence": stop.sequence(),
        "usage": usage(output.usage.prompt_tokens, output.usage.completion_tokens),
    })
}

pub(crate) fn usage(input_tokens: usize, output_tokens: usize) -> Json {
    json!({ "input_tokens": input_tokens, "output_tokens": output_tokens })
}

pub(crate) async fn count_tokens(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    match count(&state, &body) {
        Ok(n) => axum::Json(json!({ "input_tokens": n })).into_response(),
        Err(err) => err.into_response(Flavor::Anthropic),
    }
}

fn count(state: &AppState, body: &[u8]) -> Result<usize, ApiError> {
    let request: MessagesRequest = parse_json(body)?;
    let job = chat_job(&request)?;
    let engine = state.engine(&job.model)?;
    let chat = ChatRequest {
        messages: job.messages,
        tools: job.tools.filter(|t| !t.is_empty()),
        add_generation_prompt: true,
        enable_thinking: job.enable_thinking,
        extra: Default::default(),
    };
    let (_, ids) = engine
        .assets()
        .encode_chat(&chat)
        .map_err(|e| ApiError::from(loris_infer::InferError::from(e)))?;
    Ok(ids.len())
}
