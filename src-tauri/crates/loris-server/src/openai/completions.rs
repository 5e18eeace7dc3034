//! `POST /v1/completions`: plain-text prompts, no chat template.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use loris_infer::{GenerationEvent, GenerationOutput};
use serde_json::{Value as Json, json};

use super::types::{CompletionRequest, PromptField, StopField};
use crate::error::{ApiError, Flavor, parse_json};
use crate::generation::{self, Running, new_id, unix_now};
use crate::request_log::LogTicket;
use crate::sse;
use crate::state::AppState;

pub(crate) async fn handle(
    State(state): State<Arc<AppState>>,
    ticket: Option<Extension<LogTicket>>,
    body: Bytes,
) -> Response {
    let ticket = ticket.map(|Extension(t)| t);
    match run(&state, ticket, &body).await {
        Ok(response) => response,
        Err(err) => err.into_response(Flavor::OpenAi),
    }
}

async fn run(
    state: &AppState,
    ticket: Option<LogTicket>,
    body: &[u8],
) -> Result<Response, ApiError> {
    let mut request: CompletionRequest = parse_json(body)?;
    if request.n.is_some_and(|n| n != 1) {
        return Err(ApiError::unsupported(
            "n",
            "only one choice (n = 1) is served",
        ));
    }
    if request.echo == Some(true) {
        return Err(ApiError::unsupported("echo", "echo is not supported"));
    }
    let prompt = match &request.prompt {
        PromptField::One(p) => p.clone(),
        PromptField::Many(list) if list.len() == 1 => list[0].clone(),
        PromptField::Many(_) => {
            return Err(ApiError::unsupported(
                "prompt",
                "give one prompt per request",
            ));
        }
    };
    let stop = request
        .stop
        .take()
        .map(StopField::into_vec)
        .transpose()?
        .unwrap_or_default();
    let include_usage = request
        .stream_options
        .as_ref()
        .is_some_and(|o| o.include_usage);
    let mut running = generation::start_text(
        state,
        &request.model,
        &prompt,
        request.max_tokens,
        &request.sampling(),
        stop,
    )?;
    let model = request.model.clone();
    if request.stream {
        return Ok(stream(ticket, running, model, include_usage));
    }
    let output = generation::finish(&mut running).await?;
    if let Some(ticket) = &ticket {
        ticket.tokens(output.usage.prompt_tokens, output.usage.completion_tokens);
    }
    let stop = generation::stop_of(&output, false);
    Ok(axum::Json(json!({
        "id": new_id("cmpl-"),
        "object": "text_completion",
        "created": unix_now(),
        "model": model,
        "system_fingerprint": null,
        "choices": [{
            "index": 0,
            "text": output.text,
            "logprobs": null,
            "finish_reason": stop.openai(),
        }],
        "usage": usage(&output),
    }))
    .into_response())
}

fn usage(output: &GenerationOutput) -> Json {
    json!({
        "prompt_tokens": output.usage.prompt_tokens,
        "completion_tokens": output.usage.completion_tokens,
        "total_tokens": output.usage.prompt_tokens + output.usage.completion_tokens,
    })
}

fn stream(
    ticket: Option<LogTicket>,
    running: Running,
    model: String,
    include_usage: bool,
) -> Response {
    let id = new_id("cmpl-");
    let created = unix_now();
    let log = ticket.clone();
    sse::respond(ticket, move |tx| async move {
        let mut running = running;
        let chunk = |text: &str, finish: Option<&str>| {
            let mut c = json!({
                "id": id,
                "object": "text_completion",
                "created": created,
                "model": model,
                "choices": [{ "index": 0, "text": text, "logprobs": null, "finish_reason": finish }],
            });
            if include_usage {
                c["usage"] = Json::Null;
            }
            c
        };
        while let Some(event) = running.handle.events.recv().await {
            let value = match event {
                GenerationEvent::Delta { content, .. } if content.is_empty() => continue,
                GenerationEvent::Delta { content, .. } => chunk(&content, None),
                GenerationEvent::Done(output) => {
                    if let Some(log) = &log {
                        log.tokens(output.usage.prompt_tokens, output.usage.completion_tokens);
                    }
                    let stop = generation::stop_of(&output, false);
                    if tx
                        .send(sse::data(&chunk("", Some(stop.openai()))))
                        .await
                        .is_err()
                    {
                        return;
                    }
                    if include_usage {
                        let mut last = chunk("", None);
                        last["choices"] = json!([]);
                        last["usage"] = usage(&output);
                        if tx.send(sse::data(&last)).await.is_err() {
                            return;
                        }
                    }
                    let _ = tx
                        .send(axum::response::sse::Event::default().data("[DONE]"))
                        .await;
                    return;
                }
                GenerationEvent::Error { code, message } => {
                    let err = generation::generation_error(code, message);
                    let _ = tx.send(sse::data(&err.body(Flavor::OpenAi))).await;
                    return;
                }
            };
            if tx.send(sse::data(&value)).await.is_err() {
                return;
            }
        }
    })
}
