//! Errors: [`ServerError`] for starting and stopping the server (stable codes for the UI), and
//! [`ApiError`] for requests, written in the envelope of the API the client speaks
//! ([`Flavor`]).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use loris_infer::InferError;
use serde_json::json;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// LAN access listens beyond this machine: it needs a way to check API keys.
    #[error("LAN access needs an API key: create one, or pass one")]
    LanNeedsApiKey,

    #[error("invalid server setting '{field}': {reason}")]
    InvalidConfig { field: &'static str, reason: String },

    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: String, reason: String },
}

impl ServerError {
    pub fn code(&self) -> &'static str {
        match self {
            ServerError::LanNeedsApiKey => "lan_needs_api_key",
            ServerError::InvalidConfig { .. } => "invalid_input",
            ServerError::Bind { .. } => "server_bind_failed",
        }
    }
}

/// Which API's error envelope and status conventions a response follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `{"error": {"message", "type", "param", "code"}}`.
    OpenAi,
    /// `{"type": "error", "error": {"type", "message"}}`.
    Anthropic,
}

impl Flavor {
    /// Anthropic's routes are `/v1/messages` and below; everything else answers as OpenAI.
    pub fn for_path(path: &str) -> Self {
        if path == "/v1/messages" || path.starts_with("/v1/messages/") {
            Flavor::Anthropic
        } else {
            Flavor::OpenAi
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Malformed JSON or an invalid field.
    InvalidRequest,
    /// No key, or a key that is unknown, revoked or expired.
    Authentication,
    /// A Host header that is not ours (DNS rebinding) or an origin not allowed.
    Forbidden,
    NotFound,
    /// The engine's queue is full.
    Overloaded,
    /// The request asks for something this server does not do (images, n > 1, ...).
    Unsupported,
    Internal,
}

impl ErrorKind {
    fn status(self, flavor: Flavor) -> StatusCode {
        match self {
            ErrorKind::InvalidRequest | ErrorKind::Unsupported => StatusCode::BAD_REQUEST,
            ErrorKind::Authentication => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            // Anthropic's own "overloaded" status; OpenAI clients know 429 and retry it.
            ErrorKind::Overloaded => match flavor {
                Flavor::OpenAi => StatusCode::TOO_MANY_REQUESTS,
                Flavor::Anthropic => {
                    StatusCode::from_u16(529).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
                }
            },
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn openai_type(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest | ErrorKind::Unsupported | ErrorKind::NotFound => {
                "invalid_request_error"
            }
            ErrorKind::Authentication => "authentication_error",
            ErrorKind::Forbidden => "permission_error",
            ErrorKind::Overloaded => "rate_limit_error",
            ErrorKind::Internal => "server_error",
        }
    }

    fn anthropic_type(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest | ErrorKind::Unsupported => "invalid_request_error",
            ErrorKind::Authentication => "authentication_error",
            ErrorKind::Forbidden => "permission_error",
            ErrorKind::NotFound => "not_found_error",
            ErrorKind::Overloaded => "overloaded_error",
            ErrorKind::Internal => "api_error",
        }
    }
}

/// A refused or failed request. `code` is our stable code (OpenAI's `error.code`).
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub code: &'static str,
    pub message: String,
    /// The request field at fault, when there is one.
    pub param: Option<String>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            code,
            message: message.into(),
            param: None,
        }
    }

    /// An invalid field: the message names it.
    pub fn invalid_field(field: &str, reason: impl std::fmt::Display) -> Self {
        ApiError {
            kind: ErrorKind::InvalidRequest,
            code: "invalid_request",
            message: format!("{field}: {reason}"),
            param: Some(field.to_owned()),
        }
    }

    pub fn unsupported(field: &str, reason: impl std::fmt::Display) -> Self {
        ApiError {
            kind: ErrorKind::Unsupported,
            code: "unsupported",
            message: format!("{field}: {reason}"),
            param: Some(field.to_owned()),
        }
    }

    pub fn status(&self, flavor: Flavor) -> StatusCode {
        self.kind.status(flavor)
    }

    pub fn body(&self, flavor: Flavor) -> serde_json::Value {
        match flavor {
            Flavor::OpenAi => json!({
                "error": {
                    "message": self.message,
                    "type": self.kind.openai_type(),
                    "param": self.param,
                    "code": self.code,
                }
            }),
            Flavor::Anthropic => json!({
                "type": "error",
                "error": { "type": self.kind.anthropic_type(), "message": self.message },
            }),
        }
    }

    pub fn into_response(self, flavor: Flavor) -> Response {
        let mut response = (self.status(flavor), Json(self.body(flavor))).into_response();
        response.extensions_mut().insert(self);
        response
    }
}

impl From<InferError> for ApiError {
    fn from(err: InferError) -> Self {
        let kind = match &err {
            InferError::QueueFull(_) => ErrorKind::Overloaded,
            InferError::ModelNotLoaded(_) => ErrorKind::NotFound,
            // Still loading: retryable, like a full queue.
            InferError::ModelLoading(_) => ErrorKind::Overloaded,
            InferError::InvalidRequest(_)
            | InferError::ContextLengthExceeded { .. }
            | InferError::Model(loris_models::ModelError::Template(_))
            | InferError::Model(loris_models::ModelError::NoChatTemplate) => {
                ErrorKind::InvalidRequest
            }
            _ => ErrorKind::Internal,
        };
        ApiError::new(kind, err.code(), err.to_string())
    }
}

/// A request body that does not parse: the message names the field (`messages[0].role: ...`).
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // serde would also read a struct from an array, naming fields by index: refuse it plainly.
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        None => return Err(ApiError::invalid_field("body", "is empty")),
        Some(_) => return Err(ApiError::invalid_field("body", "must be a JSON object")),
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(value) => {
            de.end()
                .map_err(|e| ApiError::invalid_field("body", format!("invalid JSON: {e}")))?;
            Ok(value)
        }
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(ApiError::invalid_field(
                    "body",
                    format!("invalid JSON: {inner}"),
                ));
            }
            // serde reports a missing field at its parent: name the field itself.
            let field = match (missing_field(&inner.to_string()), path.as_str()) {
                (Some(name), ".") => name.to_owned(),
                (Some(name), parent) => format!("{parent}.{name}"),
                (None, ".") => "body".to_owned(),
                (None, at) => at.to_owned(),
            };
            Err(ApiError::invalid_field(&field, inner))
        }
    }
}

/// The field name in serde's "missing field `name`" message.
fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Req {
        model: String,
        messages: Vec<Msg>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Msg {
        role: String,
    }

    #[test]
    fn parse_errors_name_the_field() {
        let err = parse_json::<Req>(br#"{"model": "m", "messages": [{"role": 3}]}"#).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("messages[0].role"));
        assert!(err.message.starts_with("messages[0].role: invalid type"));

        let err = parse_json::<Req>(br#"{"messages": []}"#).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("model"), "{}", err.message);

        let err = parse_json::<Req>(br#"{"model": "m", "messages": [{}]}"#).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("messages[0].role"));

        let err = parse_json::<Req>(br#"{"model": "#).unwrap_err();
        assert_eq!(err.param.as_deref(), Some("body"));
        assert!(err.message.contains("invalid JSON"));
    }

    #[test]
    fn envelopes_follow_each_api() {
        let err = ApiError::new(ErrorKind::Overloaded, "queue_full", "busy");
        assert_eq!(err.status(Flavor::OpenAi), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(err.status(Flavor::Anthropic).as_u16(), 529);
        assert_eq!(
            err.body(Flavor::Anthropic),
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "busy"}})
        );
        let body = err.body(Flavor::OpenAi);
        assert_eq!(body["error"]["type"], "rate_limit_error");
        assert_eq!(body["error"]["code"], "queue_full");
    }

    #[test]
    fn flavor_follows_the_path() {
        assert_eq!(Flavor::for_path("/v1/messages"), Flavor::Anthropic);
        assert_eq!(
            Flavor::for_path("/v1/messages/count_tokens"),
            Flavor::Anthropic
        );
        assert_eq!(Flavor::for_path("/v1/chat/completions"), Flavor::OpenAi);
    }
}
