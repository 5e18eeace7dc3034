//! The JSON of the chat-completions protocol: building request bodies and reading replies.

use serde_json::{Map, Value, json};

use crate::endpoint::Endpoint;
use crate::error::LlmError;
use crate::types::{ChatReply, ChatRequest};

/// Request bodies over this size are refused before sending: servers reject them anyway, and a
/// body this large usually means a runaway prompt template.
pub const MAX_REQUEST_BYTES: usize = 4 * 1024 * 1024;

/// Reply bodies over this size are refused: a chat completion never needs this much, and the
/// cap keeps a misbehaving server from exhausting memory.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// How much of a non-JSON error body is quoted in an error.
const ERROR_SNIPPET_CHARS: usize = 500;

/// Serializes the request body, refusing it when over [`MAX_REQUEST_BYTES`].
pub(crate) fn request_body(
    endpoint: &Endpoint,
    request: &ChatRequest,
) -> Result<Vec<u8>, LlmError> {
    let mut body = Map::new();
    body.insert("model".into(), Value::String(request.model.clone()));
    body.insert("messages".into(), json!(request.messages));
    let optional = [
        ("temperature", request.temperature.map(Value::from)),
        ("top_p", request.top_p.map(Value::from)),
        ("max_tokens", request.max_tokens.map(Value::from)),
        ("seed", request.seed.map(Value::from)),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            body.insert(name.into(), value);
        }
    }
    for (k, v) in endpoint.extra_body.iter().chain(request.extra.iter()) {
        body.insert(k.clone(), v.clone());
    }
    // Set last: this client reads one JSON object, so a streamed (SSE) reply would be unusable
    // whatever the extras asked for.
    body.insert("stream".into(), Value::Bool(false));

    let bytes = serde_json::to_vec(&Value::Object(body))
        .map_err(|e| LlmError::BadResponse(format!("could not encode the request: {e}")))?;
    if bytes.len() > MAX_REQUEST_BYTES {
        return Err(LlmError::RequestTooLarge {
            bytes: bytes.len(),
            limit: MAX_REQUEST_BYTES,
        });
    }
    Ok(bytes)
}

/// Reads text and usage out of a success body. `attempts` is left for the caller to fill in.
pub(crate) fn parse_reply(body: &[u8]) -> Result<ChatReply, LlmError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| LlmError::BadResponse(format!("not JSON ({e}): {}", snippet(body))))?;
    if let Some(message) = openai_error_message(&value) {
        // Some servers answer 200 with an error object instead of a failure status.
        return Err(LlmError::BadResponse(format!(
            "server reported an error: {message}"
        )));
    }
    let choice = value
        .get("choices")
        .and_then(Value::as_array)
        .and_then(|choices| choices.first())
        .ok_or_else(|| LlmError::BadResponse("no choices in the reply".into()))?;
    let text = message_text(choice)
        .ok_or_else(|| LlmError::BadResponse("the first choice has no text content".into()))?;
    let usage = value.get("usage");
    Ok(ChatReply {
        text,
        prompt_tokens: token_count(usage, "prompt_tokens"),
        completion_tokens: token_count(usage, "completion_tokens"),
        attempts: 0,
    })
}

/// `message.content`, else the legacy completions `text`. Reasoning fields
/// (`reasoning_content`) are ignored: callers want the answer only.
fn message_text(choice: &Value) -> Option<String> {
    let content = choice.get("message").and_then(|m| m.get("content"));
    match content {
        Some(Value::String(text)) => return Some(text.clone()),
        // Content-part arrays ([{"type":"text","text":...}]) from servers that mirror the
        // request format.
        Some(Value::Array(parts)) => {
            let texts: Vec<&str> = parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect();
            if !texts.is_empty() {
                return Some(texts.concat());
            }
        }
        _ => {}
    }
    choice
        .get("text")
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn token_count(usage: Option<&Value>, field: &str) -> u64 {
    let Some(value) = usage.and_then(|u| u.get(field)) else {
        return 0;
    };
    // Some servers send counts as floats; negative or non-numeric counts read as 0.
    value
        .as_u64()
        .or_else(|| value.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
        .unwrap_or(0)
}

/// The human-readable part of an error body: OpenAI's `{"error":{"message":...}}` (or a plain
/// `{"error":"..."}` / `{"message":"..."}`) when present, else the start of the body.
pub(crate) fn error_message(body: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<Value>(body)
        && let Some(message) = openai_error_message(&value).or_else(|| {
            value
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
    {
        return message;
    }
    let text = snippet(body);
    if text.is_empty() {
        "(empty body)".into()
    } else {
        text
    }
}

fn openai_error_message(value: &Value) -> Option<String> {
    match value.get("error")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(obj) => Some(
            obj.get("message")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| Value::Object(obj.clone()).to_string()),
        ),
        _ => None,
    }
}

/// The first [`ERROR_SNIPPET_CHARS`] characters of a body, lossily decoded, trimmed.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(ERROR_SNIPPET_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ChatMessage;

    fn body_of(endpoint: &Endpoint, request: &ChatRequest) -> Value {
        serde_json::from_slice(&request_body(endpoint, request).unwrap()).unwrap()
    }

    #[test]
    fn body_has_required_fields_and_skips_unset_ones() {
        let req = ChatRequest::new("m", vec![ChatMessage::user("hi")]);
        let body = body_of(&Endpoint::new("http://h/v1"), &req);
        assert_eq!(
            body,
            json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": false})
        );
    }

    #[test]
    fn body_merges_sampling_and_extras_in_order() {
        let mut ep = Endpoint::new("http://h/v1");
        ep.extra_body.insert("top_k".into(), json!(20));
        ep.extra_body.insert("min_p".into(), json!(0.1));
        let mut req = ChatRequest::new("m", vec![]);
        req.temperature = Some(0.5);
        req.top_p = Some(0.9);
        req.max_tokens = Some(64);
        req.seed = Some(7);
        req.extra.insert("min_p".into(), json!(0.2));
        req.extra.insert("stream".into(), json!(true));
        let body = body_of(&ep, &req);
        assert_eq!(body["temperature"], json!(0.5));
        assert_eq!(body["top_p"], json!(0.9));
        assert_eq!(body["max_tokens"], json!(64));
        assert_eq!(body["seed"], json!(7));
        assert_eq!(body["top_k"], json!(20));
        assert_eq!(
            body["min_p"],
            json!(0.2),
            "request extras override endpoint extras"
        );
        assert_eq!(
            body["stream"],
            json!(false),
            "streaming cannot be switched on"
        );
    }

    #[test]
    fn oversized_body_is_refused() {
        let big = "x".repeat(MAX_REQUEST_BYTES);
        let req = ChatRequest::new("m", vec![ChatMessage::user(big)]);
        let err = request_body(&Endpoint::new("http://h/v1"), &req).unwrap_err();
        assert_eq!(err.code(), "llm_request_too_large");
    }

    #[test]
    fn reply_reads_content_and_usage() {
        let body = br#"{"choices":[{"message":{"role":"assistant","content":"hello","reasoning_content":"thinking..."}}],
            "usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}"#;
        let reply = parse_reply(body).unwrap();
        assert_eq!(reply.text, "hello");
        assert_eq!((reply.prompt_tokens, reply.completion_tokens), (12, 3));
    }

    #[test]
    fn reply_falls_back_to_text_and_tolerates_missing_usage() {
        for body in [
            &br#"{"choices":[{"text":"legacy"}]}"#[..],
            br#"{"choices":[{"message":{"content":null},"text":"legacy"}]}"#,
            br#"{"choices":[{"message":{"content":[{"type":"text","text":"leg"},{"type":"text","text":"acy"}]}}]}"#,
        ] {
            let reply = parse_reply(body).unwrap();
            assert_eq!(reply.text, "legacy");
            assert_eq!((reply.prompt_tokens, reply.completion_tokens), (0, 0));
        }
        let reply = parse_reply(br#"{"choices":[{"message":{"content":""}}],"usage":{"prompt_tokens":2.0,"completion_tokens":-1}}"#).unwrap();
        assert_eq!(
            (
                reply.text.as_str(),
                reply.prompt_tokens,
                reply.completion_tokens
            ),
            ("", 2, 0)
        );
    }

    #[test]
    fn unusable_replies_are_bad_responses() {
        for body in [
            &b"<html>gateway</html>"[..],
            b"",
            b"[]",
            br#"{"choices":[]}"#,
            br#"{"choices":[{"message":{"content":null}}]}"#,
            br#"{"choices":[{"message":{"content":42}}]}"#,
            br#"{"error":{"message":"model crashed"}}"#,
        ] {
            let err = parse_reply(body).unwrap_err();
            assert_eq!(
                err.code(),
                "llm_bad_response",
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let err = parse_reply(br#"{"error":{"message":"model crashed"}}"#).unwrap_err();
        assert!(err.to_string().contains("model crashed"));
    }

    #[test]
    fn error_message_prefers_the_openai_shape() {
        assert_eq!(
            error_message(
                br#"{"error":{"message":"bad temperature","type":"invalid_request_error"}}"#
            ),
            "bad temperature"
        );
        assert_eq!(error_message(br#"{"error":"plain"}"#), "plain");
        assert_eq!(error_message(br#"{"message":"flat"}"#), "flat");
        assert_eq!(
            error_message(b"  Service Unavailable \n"),
            "Service Unavailable"
        );
        assert_eq!(error_message(b""), "(empty body)");
        let long = "é".repeat(600);
        let msg = error_message(long.as_bytes());
        assert_eq!(msg.chars().count(), ERROR_SNIPPET_CHARS + 1);
    }
}
