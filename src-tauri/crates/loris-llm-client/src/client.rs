//! The blocking client: one chat call, retried by the policy.

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::Url;
use reqwest::blocking::{Client, Response};
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, LOCATION, RETRY_AFTER,
};
use reqwest::redirect;

use crate::endpoint::{Endpoint, is_credential_header, target_of};
use crate::error::LlmError;
use crate::retry::{Backoff, RetryPolicy, parse_retry_after, sleep_unless_cancelled};
use crate::types::{ChatReply, ChatRequest};
use crate::wire::{MAX_RESPONSE_BYTES, error_message, parse_reply, request_body};

/// Connecting never needs the full request timeout; a dead host should fail (and be retried)
/// quickly even when generation is allowed minutes.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Enough of an error body for its message; the rest is not read.
const ERROR_BODY_LIMIT: u64 = 64 * 1024;

/// A blocking chat-completions client for worker threads.
///
/// `Send + Sync`: share one behind an `Arc` so that all workers reuse its connection pools. It
/// runs its own I/O threads, so create and drop it outside async contexts.
#[derive(Debug)]
pub struct ChatClient {
    /// Honors the system's proxy settings, for remote servers.
    http: Client,
    /// Never proxied: a proxy configured for the internet cannot reach this machine's own
    /// servers, and the environment's proxy variables rarely exclude them.
    direct: Client,
    policy: RetryPolicy,
    backoff: Backoff,
}

/// One failed attempt, with the server's requested wait when it gave one.
struct Failure {
    error: LlmError,
    retry_after: Option<Duration>,
}

impl From<LlmError> for Failure {
    fn from(error: LlmError) -> Failure {
        Failure {
            error,
            retry_after: None,
        }
    }
}

impl ChatClient {
    pub fn new(policy: RetryPolicy) -> Result<ChatClient, LlmError> {
        let builder = || {
            Client::builder()
                .timeout(policy.request_timeout)
                .connect_timeout(policy.request_timeout.min(CONNECT_TIMEOUT))
                .user_agent(concat!("loris-llm-client/", env!("CARGO_PKG_VERSION")))
                // A redirected POST may turn into a GET or carry the key to another host; a base
                // URL that redirects is reported instead, so the user can fix it.
                .redirect(redirect::Policy::none())
        };
        let init = |e: reqwest::Error| LlmError::ClientInit(describe(&e));
        Ok(ChatClient {
            http: builder().build().map_err(init)?,
            direct: builder().no_proxy().build().map_err(init)?,
            policy,
            backoff: Backoff::new(),
        })
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// Sends one chat completion, retrying passing failures by the policy.
    pub fn chat(&self, endpoint: &Endpoint, request: &ChatRequest) -> Result<ChatReply, LlmError> {
        self.chat_cancellable(endpoint, request, &AtomicBool::new(false))
    }

    /// Like [`ChatClient::chat`], but gives up with [`LlmError::Cancelled`] once `cancelled` is
    /// set: before each attempt and during waits between attempts. A request already on the wire
    /// runs until it answers or times out.
    pub fn chat_cancellable(
        &self,
        endpoint: &Endpoint,
        request: &ChatRequest,
        cancelled: &AtomicBool,
    ) -> Result<ChatReply, LlmError> {
        let secrets = endpoint.secrets();
        self.run(endpoint, request, cancelled, &secrets)
            .map_err(|e| e.redact(&secrets))
    }

    fn run(
        &self,
        endpoint: &Endpoint,
        request: &ChatRequest,
        cancelled: &AtomicBool,
        secrets: &[&str],
    ) -> Result<ChatReply, LlmError> {
        let url = endpoint.chat_completions_url()?;
        let headers = request_headers(endpoint)?;
        let body = request_body(endpoint, request)?;
        let target = target_of(&url);
        let max_attempts = self.policy.attempts();

        let mut attempt = 1;
        loop {
            if cancelled.load(Ordering::Relaxed) {
                return Err(LlmError::Cancelled);
            }
            tracing::debug!(%target, model = %request.model, attempt, "sending chat request");
            let failure = match self.send_once(&url, &headers, &body, &target) {
                Ok(mut reply) => {
                    reply.attempts = attempt;
                    return Ok(reply);
                }
                Err(failure) => failure,
            };
            // Scrubbed here already because it is logged below.
            let error = failure.error.redact(secrets);
            if !error.is_retryable() || attempt >= max_attempts {
                return Err(error);
            }
            let wait = match failure.retry_after {
                Some(asked) => asked.min(self.policy.max_delay),
                None => self.backoff.delay(&self.policy, attempt),
            };
            tracing::warn!(
                %target,
                code = error.code(),
                error = %error,
                attempt,
                max_attempts,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "chat request failed; retrying"
            );
            sleep_unless_cancelled(wait, cancelled)?;
            attempt += 1;
        }
    }

    fn send_once(
        &self,
        url: &Url,
        headers: &HeaderMap,
        body: &[u8],
        target: &str,
    ) -> Result<ChatReply, Failure> {
        let http = if is_loopback(url) {
            &self.direct
        } else {
            &self.http
        };
        let response = http
            .post(url.clone())
            .headers(headers.clone())
            .body(body.to_vec())
            .send()
            .map_err(|e| self.transport_error(e, target))?;

        let status = response.status();
        if status.is_success() {
            let body = self.read_reply_body(response, target)?;
            return Ok(parse_reply(&body)?);
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let message = if status.is_redirection() {
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("an unknown location");
            format!("redirected to {location}; use the final address as the base URL")
        } else {
            error_message(&read_error_body(response))
        };
        Err(Failure {
            error: LlmError::HttpStatus {
                status: status.as_u16(),
                message,
            },
            retry_after,
        })
    }

    /// The whole success body, refused past [`MAX_RESPONSE_BYTES`].
    fn read_reply_body(&self, mut response: Response, target: &str) -> Result<Vec<u8>, LlmError> {
        let too_large = || {
            LlmError::BadResponse(format!(
                "the reply is over the {MAX_RESPONSE_BYTES}-byte limit"
            ))
        };
        if response
            .content_length()
            .is_some_and(|len| len > MAX_RESPONSE_BYTES as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        (&mut response)
            .take(MAX_RESPONSE_BYTES as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|e| self.read_error(e, target))?;
        if body.len() > MAX_RESPONSE_BYTES {
            return Err(too_large());
        }
        Ok(body)
    }

    fn transport_error(&self, err: reqwest::Error, target: &str) -> LlmError {
        // The URL is dropped from the error: it may carry credentials in its query.
        let err = err.without_url();
        let target = target.to_string();
        if err.is_timeout() {
            LlmError::Timeout {
                target,
                after: self.policy.request_timeout,
            }
        } else if err.is_connect() {
            LlmError::Connect {
                target,
                message: describe(&err),
            }
        } else if err.is_builder() {
            LlmError::InvalidEndpoint(describe(&err))
        } else {
            LlmError::Transport {
                target,
                message: describe(&err),
            }
        }
    }

    /// Errors while reading the body arrive as `io::Error`, often wrapping a `reqwest::Error`.
    fn read_error(&self, err: std::io::Error, target: &str) -> LlmError {
        if err.kind() == std::io::ErrorKind::TimedOut {
            return LlmError::Timeout {
                target: target.to_string(),
                after: self.policy.request_timeout,
            };
        }
        match err
            .into_inner()
            .map(|inner| inner.downcast::<reqwest::Error>())
        {
            Some(Ok(inner)) => self.transport_error(*inner, target),
            Some(Err(other)) => LlmError::Transport {
                target: target.to_string(),
                message: describe(other.as_ref()),
            },
            None => LlmError::Transport {
                target: target.to_string(),
                message: "the reply body could not be read".into(),
            },
        }
    }
}

/// Up to [`ERROR_BODY_LIMIT`] bytes of an error reply; a body that cannot be read reads as empty
/// because the status alone already says what failed.
fn read_error_body(response: Response) -> Vec<u8> {
    let mut body = Vec::new();
    if response
        .take(ERROR_BODY_LIMIT)
        .read_to_end(&mut body)
        .is_err()
    {
        body.clear();
    }
    body
}

fn request_headers(endpoint: &Endpoint) -> Result<HeaderMap, LlmError> {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    for (name, value) in &endpoint.extra_headers {
        let header = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| LlmError::InvalidEndpoint(format!("invalid header name {name:?}")))?;
        // The value is never quoted: it may be a credential.
        let mut value = HeaderValue::from_str(value.trim())
            .map_err(|_| LlmError::InvalidEndpoint(format!("invalid value for header {header}")))?;
        value.set_sensitive(is_credential_header(header.as_str()));
        headers.insert(header, value);
    }
    if let Some(key) = endpoint
        .api_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        let mut value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
            LlmError::InvalidEndpoint("the API key has characters not allowed in a header".into())
        })?;
        value.set_sensitive(true);
        headers.insert(AUTHORIZATION, value);
    }
    Ok(headers)
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    // IPv6 hosts come bracketed ("[::1]").
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => {
            let name = bare.to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    }
}

/// An error's causes, since the top-level texts of HTTP errors ("error sending request",
/// "client error (Connect)") are wrappers that do not say what went wrong.
fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    if parts.len() > 1 {
        parts.remove(0);
    }
    let specific: Vec<String> = parts
        .iter()
        .filter(|p| !p.starts_with("client error ("))
        .cloned()
        .collect();
    if specific.is_empty() {
        parts.join(": ")
    } else {
        specific.join(": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<ChatClient>();
    }

    #[test]
    fn headers_carry_key_and_extras_without_leaking_them() {
        let mut ep = Endpoint::new("http://h/v1").with_api_key(" sk-abc ");
        ep.extra_headers.insert("X-Title".into(), "Loris".into());
        ep.extra_headers.insert("x-api-key".into(), "other".into());
        let headers = request_headers(&ep).unwrap();
        assert_eq!(headers[AUTHORIZATION], "Bearer sk-abc");
        assert!(headers[AUTHORIZATION].is_sensitive());
        assert!(headers["x-api-key"].is_sensitive());
        assert_eq!(headers["x-title"], "Loris");
        assert_eq!(headers[CONTENT_TYPE], "application/json");
        assert!(!format!("{headers:?}").contains("sk-abc"));
    }

    #[test]
    fn loopback_hosts_are_recognized() {
        for (url, local) in [
            ("http://127.0.0.1:8000/v1", true),
            ("http://127.1.2.3/v1", true),
            ("http://localhost:11434/v1", true),
            ("http://LocalHost/v1", true),
            ("http://[::1]:8000/v1", true),
            ("http://192.168.1.10:8000/v1", false),
            ("https://api.example.com/v1", false),
            ("http://localhost.example.com/v1", false),
        ] {
            assert_eq!(is_loopback(&Url::parse(url).unwrap()), local, "{url}");
        }
    }

    #[test]
    fn describe_keeps_the_specific_causes() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(describe(&io), "refused");
    }

    #[test]
    fn no_key_means_no_authorization_header() {
        let mut ep = Endpoint::new("http://h/v1");
        assert!(request_headers(&ep).unwrap().get(AUTHORIZATION).is_none());
        ep.api_key = Some("  ".into());
        assert!(request_headers(&ep).unwrap().get(AUTHORIZATION).is_none());
    }

    #[test]
    fn bad_headers_are_reported_without_their_value() {
        let mut ep = Endpoint::new("http://h/v1");
        ep.extra_headers.insert("X-Token".into(), "sec\nret".into());
        let err = request_headers(&ep).unwrap_err();
        assert_eq!(err.code(), "llm_invalid_endpoint");
        assert!(!err.to_string().contains("sec"), "{err}");

        let ep = Endpoint::new("http://h/v1").with_api_key("sk-\u{7f}bad");
        let err = request_headers(&ep).unwrap_err();
        assert!(!err.to_string().contains("sk-"), "{err}");

        let mut ep = Endpoint::new("http://h/v1");
        ep.extra_headers.insert("bad name".into(), "v".into());
        assert_eq!(
            request_headers(&ep).unwrap_err().code(),
            "llm_invalid_endpoint"
        );
    }
}
