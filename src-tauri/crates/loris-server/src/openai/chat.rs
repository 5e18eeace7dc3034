//! `POST /v1/chat/completions`, streaming and not.

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use loris_infer::{GenerationEvent, GenerationOutput};
use loris_models::tool_calls::ToolCall;
use serde_json::{Value as Json, json};

use super::types::{
    ChatCompletionRequest, Content, Message, Part, ResponseFormat, Role, StopField, Tool,
    ToolChoice,
};
use crate::error::{ApiError, Flavor, parse_json};
use crate::generation::{
    self, ChatJob, Running, add_system_instruction, json_instruction, new_id, unix_now,
};
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
    let mut request: ChatCompletionRequest = parse_json(body)?;
    if request.n.is_some_and(|n| n != 1) {
        return Err(ApiError::unsupported(
            "n",
            "only one choice (n = 1) is served",
        ));
    }
    if request.messages.is_empty() {
        return Err(ApiError::invalid_field("messages", "must not be empty"));
    }
    let mut messages = template_messages(&request.messages)?;
    match &request.response_format {
        Some(ResponseFormat::JsonObject) => {
            add_system_instruction(&mut messages, &json_instruction(None))
        }
        Some(ResponseFormat::JsonSchema { json_schema }) => add_system_instruction(
            &mut messages,
            &json_instruction(json_schema.schema.as_ref()),
        ),
        Some(ResponseFormat::Text) | None => {}
    }
    let tools = offered_tools(request.tools.as_deref(), request.tool_choice.as_ref())?;
    let stop = request
        .stop
        .take()
        .map(StopField::into_vec)
        .transpose()?
        .unwrap_or_default();
    let enable_thinking = request
        .chat_template_kwargs
        .as_ref()
        .and_then(|k| k.get("enable_thinking"))
        .and_then(Json::as_bool);
    let include_usage = request
        .stream_options
        .as_ref()
        .is_some_and(|o| o.include_usage);
    let model = request.model.clone();
    let running = generation::start_chat(
        state,
        ChatJob {
            model: request.model.clone(),
            messages,
            tools,
            enable_thinking,
            max_tokens: request.max_completion_tokens.or(request.max_tokens),
            sampling: request.sampling(),
            stop,
        },
    )?;
    if request.stream {
        return Ok(stream(ticket, running, model, include_usage));
    }
    let mut running = running;
    let output = generation::finish(&mut running).await?;
    if let Some(ticket) = &ticket {
        ticket.tokens(output.usage.prompt_tokens, output.usage.completion_tokens);
    }
    Ok(axum::Json(completion(&running, &model, &output)).into_response())
}

/// The messages as the chat template reads them.
fn template_messages(messages: &[Message]) -> Result<Vec<Json>, ApiError> {
    let mut out = Vec::with_capacity(messages.len());
    for (i, message) in messages.iter().enumerate() {
        let role = match message.role {
            Role::System | Role::Developer => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        };
        let text = match &message.content {
            None => None,
            Some(Content::Text(text)) => Some(text.clone()),
            Some(Content::Parts(parts)) => {
                let mut text = String::new();
                for (j, part) in parts.iter().enumerate() {
                    match part {
                        Part::Text { text: t } => text.push_str(t),
                        Part::Refusal { refusal } => text.push_str(refusal),
                        Part::ImageUrl { .. } | Part::InputAudio { .. } | Part::File { .. } => {
                            return Err(ApiError::unsupported(
                                &format!("messages[{i}].content[{j}]"),
                                "only text content is supported",
                            ));
                        }
                    }
                }
                Some(text)
            }
        };
        let has_calls = message.tool_calls.as_ref().is_some_and(|c| !c.is_empty());
        if text.is_none() && !has_calls {
            return Err(ApiError::invalid_field(
                &format!("messages[{i}].content"),
                "is required",
            ));
        }
        let mut entry = json!({ "role": role, "content": text.unwrap_or_default() });
        if let Some(calls) = &message.tool_calls {
            let calls: Vec<Json> = calls
                .iter()
                .map(|c| {
                    // Templates print the arguments object with `tojson`; OpenAI sends a string.
                    let arguments = serde_json::from_str::<Json>(&c.function.arguments)
                        .unwrap_or_else(|_| Json::String(c.function.arguments.clone()));
                    json!({
                        "id": c.id.clone().unwrap_or_else(|| new_id("call_")),
                        "type": "function",
                        "function": { "name": c.function.name, "arguments": arguments },
                    })
                })
                .collect();
            entry["tool_calls"] = Json::Array(calls);
        }
        if let Some(id) = &message.tool_call_id {
            entry["tool_call_id"] = json!(id);
        }
        if let Some(name) = &message.name {
            entry["name"] = json!(name);
        }
        if let Some(reasoning) = &message.reasoning_content {
            entry["reasoning_content"] = json!(reasoning);
        }
        out.push(entry);
    }
    Ok(out)
}

/// The tool definitions the template gets, after `tool_choice`.
fn offered_tools(
    tools: Option<&[Tool]>,
    choice: Option<&ToolChoice>,
) -> Result<Option<Vec<Json>>, ApiError> {
    let Some(tools) = tools else {
        return Ok(None);
    };
    let mut defs = Vec::with_capacity(tools.len());
    for (i, tool) in tools.iter().enumerate() {
        if tool.kind != "function" {
            return Err(ApiError::unsupported(
                &format!("tools[{i}].type"),
                "only function tools are supported",
            ));
        }
        if tool.function.name.is_empty() {
            return Err(ApiError::invalid_field(
                &format!("tools[{i}].function.name"),
                "must not be empty",
            ));
        }
        let mut function = json!({ "name": tool.function.name });
        if let Some(d) = &tool.function.description {
            function["description"] = json!(d);
        }
        function["parameters"] = tool
            .function
            .parameters
            .clone()
            .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
        defs.push(json!({ "type": "function", "function": function }));
    }
    match choice {
        None => Ok(Some(defs)),
        Some(ToolChoice::Mode(mode)) => match mode.as_str() {
            "none" => Ok(None),
            "auto" | "required" => Ok(Some(defs)),
            other => Err(ApiError::invalid_field(
                "tool_choice",
                format!("'{other}' is not one of none, auto, required"),
            )),
        },
        Some(ToolChoice::Named(named)) => {
            let name = &named.function.name;
            let chosen: Vec<Json> = defs
                .into_iter()
                .filter(|d| d["function"]["name"] == name.as_str())
                .collect();
            if chosen.is_empty() {
                return Err(ApiError::invalid_field(
                    "tool_choice",
                    format!("no tool is named '{name}'"),
                ));
            }
            Ok(Some(chosen))
        }
    }
}

fn tool_calls_json(calls: &[ToolCall], with_index: bool) -> Json {
    Json::Array(
        calls
            .iter()
            .enumerate()
            .map(|(i, call)| {
                let mut c = json!({
                    "id": new_id("call_"),
                    "type": "function",
                    "function": { "name": call.name, "arguments": call.arguments.to_string() },
                });
                if with_index {
                    c["index"] = json!(i);
                }
                c
            })
            .collect(),
    )
}

fn usage_json(output: &GenerationOutput) -> Json {
    let u = &output.usage;
    json!({
        "prompt_tokens": u.prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "total_tokens": u.prompt_tokens + u.completion_tokens,
        "prompt_tokens_details": { "cached_tokens": u.cached_tokens },
    })
}

fn completion(running: &Running, model: &str, output: &GenerationOutput) -> Json {
    let (content, calls) = generation::split_tools(running, &output.text);
    let stop = generation::stop_of(output, !calls.is_empty());
    let mut message = json!({ "role": "assistant", "content": content });
    if !calls.is_empty() {
        message["tool_calls"] = tool_calls_json(&calls, false);
        if content.trim().is_empty() {
            message["content"] = Json::Null;
        }
    }
    if !output.reasoning.is_empty() {
        message["reasoning_content"] = json!(output.reasoning);
    }
    json!({
        "id": new_id("chatcmpl-"),
        "object": "chat.completion",
        "created": unix_now(),
        "model": model,
        "system_fingerprint": null,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": stop.openai(),
        }],
        "usage": usage_json(output),
    })
}

/// Writes the chunks of one streamed completion.
struct Chunks {
    id: String,
    created: u64,
    model: String,
    include_usage: bool,
}

impl Chunks {
    fn chunk(&self, delta: Json, finish_reason: Option<&str>) -> Json {
        let mut chunk = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": null,
            "choices": [{
                "index": 0,
                "delta": delta,
                "logprobs": null,
                "finish_reason": finish_reason,
            }],
        });
        if self.include_usage {
            chunk["usage"] = Json::Null;
        }
        chunk
    }

    fn usage(&self, output: &GenerationOutput) -> Json {
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": null,
            "choices": [],
            "usage": usage_json(output),
        })
    }
}

fn stream(
    ticket: Option<LogTicket>,
    running: Running,
    model: String,
    include_usage: bool,
) -> Response {
    let chunks = Chunks {
        id: new_id("chatcmpl-"),
        created: unix_now(),
        model,
        include_usage,
    };
    let log = ticket.clone();
    sse::respond(ticket, move |tx| async move {
        let mut running = running;
        let send = |value: Json| {
            let tx = tx.clone();
            async move { tx.send(sse::data(&value)).await.is_ok() }
        };
        if !send(chunks.chunk(json!({"role": "assistant", "content": ""}), None)).await {
            return;
        }
        while let Some(event) = running.handle.events.recv().await {
            match event {
                GenerationEvent::Delta { content, reasoning } => {
                    let mut delta = serde_json::Map::new();
                    if !reasoning.is_empty() {
                        delta.insert("reasoning_content".into(), json!(reasoning));
                    }
                    // With tools offered, text is held until the end: it may be a tool call.
                    if !content.is_empty() && !running.parse_tools {
                        delta.insert("content".into(), json!(content));
                    }
                    if !delta.is_empty() && !send(chunks.chunk(Json::Object(delta), None)).await {
                        return;
                    }
                }
                GenerationEvent::Done(output) => {
                    if let Some(log) = &log {
                        log.tokens(output.usage.prompt_tokens, output.usage.completion_tokens);
                    }
                    let (content, calls) = generation::split_tools(&running, &output.text);
                    if running.parse_tools {
                        if !content.is_empty()
                            && !send(chunks.chunk(json!({ "content": content }), None)).await
                        {
                            return;
                        }
                        if !calls.is_empty()
                            && !send(chunks.chunk(
                                json!({ "tool_calls": tool_calls_json(&calls, true) }),
                                None,
                            ))
                            .await
                        {
                            return;
                        }
                    }
                    let stop = generation::stop_of(&output, !calls.is_empty());
                    if !send(chunks.chunk(json!({}), Some(stop.openai()))).await {
                        return;
                    }
                    if chunks.include_usage && !send(chunks.usage(&output)).await {
                        return;
                    }
                    let _ = tx
                        .send(axum::response::sse::Event::default().data("[DONE]"))
                        .await;
                    return;
                }
                GenerationEvent::Error { code, message } => {
                    let err = generation::generation_error(code, message);
                    let _ = send(err.body(Flavor::OpenAi)).await;
                    return;
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: Json) -> ChatCompletionRequest {
        parse_json(body.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn tool_calls_and_parts_reach_the_template_as_it_expects() {
        let req = request(json!({
            "model": "m",
            "messages": [
                {"role": "developer", "content": [{"type": "text", "text": "Be brief."}]},
                {"role": "user", "content": "Weather in Paris?"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function",
                     "function": {"name": "weather", "arguments": "{\"city\": \"Paris\"}"}}
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "sunny"}
            ],
        }));
        let messages = template_messages(&req.messages).unwrap();
        assert_eq!(
            messages[0],
            json!({"role": "system", "content": "Be brief."})
        );
        let call = &messages[2]["tool_calls"][0];
        assert_eq!(call["function"]["arguments"], json!({"city": "Paris"}));
        assert_eq!(call["id"], "call_1");
        assert_eq!(messages[3]["tool_call_id"], "call_1");
    }

    #[test]
    fn tool_choice_selects_the_offered_tools() {
        let req = request(json!({
            "model": "m",
            "messages": [{"role": "user", "content": "hi"}],
            "tools": [
                {"type": "function", "function": {"name": "a"}},
                {"type": "function", "function": {"name": "b", "parameters": {"type": "object"}}}
            ],
        }));
        let tools = req.tools.as_deref();
        let all = offered_tools(tools, None).unwrap().unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0]["function"]["parameters"]["type"], "object");
        let none = offered_tools(tools, Some(&ToolChoice::Mode("none".into()))).unwrap();
        assert!(none.is_none());
        let named: ToolChoice =
            serde_json::from_value(json!({"type": "function", "function": {"name": "b"}})).unwrap();
        let one = offered_tools(tools, Some(&named)).unwrap().unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0]["function"]["name"], "b");
        let missing: ToolChoice =
            serde_json::from_value(json!({"type": "function", "function": {"name": "zz"}}))
                .unwrap();
        assert_eq!(
            offered_tools(tools, Some(&missing))
                .unwrap_err()
                .param
                .as_deref(),
            Some("tool_choice")
        );
    }
}
