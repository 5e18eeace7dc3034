//! The one error type of the crate, with stable codes for callers that store or match failures.

use std::time::Duration;

/// Why a chat call (or the key lookup before it) failed.
///
/// Messages never contain the API key: server text that echoes it is redacted before an error
/// leaves [`crate::ChatClient`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    /// The endpoint URL or one of its headers cannot be used.
    #[error("invalid endpoint: {0}")]
    InvalidEndpoint(String),

    /// The HTTP client could not be set up (TLS roots, runtime thread).
    #[error("could not set up the HTTP client: {0}")]
    ClientInit(String),

    /// No connection could be made (refused, DNS failure, TLS handshake failure).
    #[error("could not connect to {target}: {message}")]
    Connect { target: String, message: String },

    /// The connection broke after the request started (reset, closed early).
    #[error("connection to {target} failed: {message}")]
    Transport { target: String, message: String },

    /// No complete reply arrived within the policy's request timeout.
    #[error("no reply from {target} within {}", fmt_duration(*.after))]
    Timeout { target: String, after: Duration },

    /// The server answered with a non-success status.
    #[error("server answered HTTP {status}: {message}")]
    HttpStatus { status: u16, message: String },

    /// A success status whose body is not a usable chat-completions reply.
    #[error("unusable reply from the server: {0}")]
    BadResponse(String),

    /// The request body is over [`crate::MAX_REQUEST_BYTES`]; nothing was sent.
    #[error("request is {bytes} bytes, over the {limit}-byte limit")]
    RequestTooLarge { bytes: usize, limit: usize },

    /// A configured key source holds no key.
    #[error("no API key found in {what}")]
    MissingApiKey { what: String },

    /// The keychain lookup itself failed.
    #[error("could not read keychain entry {entry}: {message}")]
    Keychain { entry: String, message: String },

    /// The caller's cancel flag was set.
    #[error("cancelled")]
    Cancelled,
}

/// Statuses that signal a passing condition (overload, restart, rate limit) rather than a bad
/// request, so the same request may succeed later.
pub(crate) const RETRYABLE_STATUSES: [u16; 9] = [408, 409, 425, 429, 500, 502, 503, 504, 529];

impl LlmError {
    /// A stable snake_case identifier, safe to persist and compare.
    pub fn code(&self) -> &'static str {
        match self {
            LlmError::InvalidEndpoint(_) => "llm_invalid_endpoint",
            LlmError::ClientInit(_) => "llm_client_init",
            LlmError::Connect { .. } => "llm_connect",
            LlmError::Transport { .. } => "llm_transport",
            LlmError::Timeout { .. } => "llm_timeout",
            LlmError::HttpStatus { .. } => "llm_http_status",
            LlmError::BadResponse(_) => "llm_bad_response",
            LlmError::RequestTooLarge { .. } => "llm_request_too_large",
            LlmError::MissingApiKey { .. } => "llm_missing_api_key",
            LlmError::Keychain { .. } => "llm_keychain",
            LlmError::Cancelled => "llm_cancelled",
        }
    }

    /// Whether sending the same request again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            LlmError::Connect { .. } | LlmError::Transport { .. } | LlmError::Timeout { .. } => {
                true
            }
            LlmError::HttpStatus { status, .. } => RETRYABLE_STATUSES.contains(status),
            _ => false,
        }
    }

    /// The HTTP status for [`LlmError::HttpStatus`], else `None`.
    pub fn status(&self) -> Option<u16> {
        match self {
            LlmError::HttpStatus { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Replaces every occurrence of each secret in the error's text with `[redacted]`.
    ///
    /// Servers sometimes quote the credential they rejected, so text from the wire is scrubbed
    /// before it reaches logs or the UI.
    pub(crate) fn redact(self, secrets: &[&str]) -> LlmError {
        let scrub = |text: String| {
            secrets
                .iter()
                .filter(|s| !s.is_empty())
                .fold(text, |acc, s| acc.replace(s, "[redacted]"))
        };
        match self {
            LlmError::InvalidEndpoint(m) => LlmError::InvalidEndpoint(scrub(m)),
            LlmError::ClientInit(m) => LlmError::ClientInit(scrub(m)),
            LlmError::Connect { target, message } => LlmError::Connect {
                target: scrub(target),
                message: scrub(message),
            },
            LlmError::Transport { target, message } => LlmError::Transport {
                target: scrub(target),
                message: scrub(message),
            },
            LlmError::Timeout { target, after } => LlmError::Timeout {
                target: scrub(target),
                after,
            },
            LlmError::HttpStatus { status, message } => LlmError::HttpStatus {
                status,
                message: scrub(message),
            },
            LlmError::BadResponse(m) => LlmError::BadResponse(scrub(m)),
            LlmError::Keychain { entry, message } => LlmError::Keychain {
                entry,
                message: scrub(message),
            },
            other => other,
        }
    }
}

fn fmt_duration(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_snake_case() {
        let cases = [
            (LlmError::Cancelled, "llm_cancelled"),
            (LlmError::BadResponse("x".into()), "llm_bad_response"),
            (
                LlmError::RequestTooLarge { bytes: 2, limit: 1 },
                "llm_request_too_large",
            ),
            (
                LlmError::MissingApiKey { what: "x".into() },
                "llm_missing_api_key",
            ),
            (
                LlmError::HttpStatus {
                    status: 400,
                    message: String::new(),
                },
                "llm_http_status",
            ),
        ];
        for (err, code) in cases {
            assert_eq!(err.code(), code);
        }
    }

    #[test]
    fn retryable_statuses_and_kinds() {
        for status in [408, 409, 425, 429, 500, 502, 503, 504] {
            let err = LlmError::HttpStatus {
                status,
                message: String::new(),
            };
            assert!(err.is_retryable(), "{status}");
        }
        for status in [400, 401, 403, 404, 413, 422] {
            let err = LlmError::HttpStatus {
                status,
                message: String::new(),
            };
            assert!(!err.is_retryable(), "{status}");
        }
        let timeout = LlmError::Timeout {
            target: "h".into(),
            after: Duration::from_millis(5),
        };
        assert!(timeout.is_retryable());
        assert!(!LlmError::Cancelled.is_retryable());
        assert!(!LlmError::BadResponse(String::new()).is_retryable());
    }

    #[test]
    fn redact_scrubs_every_text_field() {
        let err = LlmError::HttpStatus {
            status: 401,
            message: "Incorrect API key provided: sk-123 (sk-123)".into(),
        }
        .redact(&["sk-123", ""]);
        assert_eq!(
            err.to_string(),
            "server answered HTTP 401: Incorrect API key provided: [redacted] ([redacted])"
        );
    }

    #[test]
    fn timeout_message_reads_well() {
        let err = LlmError::Timeout {
            target: "127.0.0.1:1".into(),
            after: Duration::from_millis(150),
        };
        assert_eq!(err.to_string(), "no reply from 127.0.0.1:1 within 150 ms");
    }
}
