//! Where requests go: the server's base URL, its credential and any provider-specific extras.

use std::collections::BTreeMap;
use std::fmt;

use reqwest::Url;
use serde_json::{Map, Value};

use crate::error::LlmError;

const CHAT_PATH: &str = "chat/completions";

/// An OpenAI-compatible server.
#[derive(Clone, Default, PartialEq)]
pub struct Endpoint {
    /// The API root, e.g. `http://127.0.0.1:8000/v1`. A trailing slash or a full
    /// `.../chat/completions` URL is accepted too.
    pub base_url: String,
    /// Sent as `Authorization: Bearer <key>` when set.
    pub api_key: Option<String>,
    /// Sent with every request (e.g. `OpenAI-Organization`, routing headers of proxies).
    pub extra_headers: BTreeMap<String, String>,
    /// Merged into every request body (e.g. `chat_template_kwargs` of vLLM).
    pub extra_body: Map<String, Value>,
}

impl Endpoint {
    /// An endpoint with only a base URL: no key, no extras.
    pub fn new(base_url: impl Into<String>) -> Endpoint {
        Endpoint {
            base_url: base_url.into(),
            ..Endpoint::default()
        }
    }

    /// The same endpoint with a bearer key.
    pub fn with_api_key(mut self, api_key: impl Into<String>) -> Endpoint {
        self.api_key = Some(api_key.into());
        self
    }

    /// The full chat-completions URL, whichever form `base_url` was given in.
    pub fn chat_completions_url(&self) -> Result<Url, LlmError> {
        let trimmed = self.base_url.trim().trim_end_matches('/');
        let root = trimmed
            .strip_suffix(CHAT_PATH)
            .map(|r| r.trim_end_matches('/'))
            .unwrap_or(trimmed);
        if root.is_empty() {
            return Err(LlmError::InvalidEndpoint("the base URL is empty".into()));
        }
        let url = Url::parse(&format!("{root}/{CHAT_PATH}"))
            .map_err(|e| LlmError::InvalidEndpoint(format!("bad base URL: {e}")))?;
        match url.scheme() {
            "http" | "https" => {}
            other => {
                return Err(LlmError::InvalidEndpoint(format!(
                    "unsupported URL scheme {other:?}; use http or https"
                )));
            }
        }
        if url.host_str().is_none() {
            return Err(LlmError::InvalidEndpoint("the base URL has no host".into()));
        }
        Ok(url)
    }

    /// Values that must never show up in errors or logs: the key, and header values whose name
    /// suggests a credential.
    pub(crate) fn secrets(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.api_key.iter().map(String::as_str).collect();
        out.extend(
            self.extra_headers
                .iter()
                .filter(|(name, _)| is_credential_header(name))
                .map(|(_, value)| value.as_str()),
        );
        out.retain(|s| !s.trim().is_empty());
        out
    }
}

/// Header names that carry credentials by convention (`Authorization`, `x-api-key`,
/// `api-key`, `X-Auth-Token`, ...).
pub(crate) fn is_credential_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["auth", "key", "token", "secret", "cookie"]
        .iter()
        .any(|word| lower.contains(word))
}

/// Where a URL points, without path, query or user info, for error messages.
pub(crate) fn target_of(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        _ => url.scheme().to_string(),
    }
}

// Hand-written so that printing an endpoint (in logs, in test failures) never shows the key.
impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: BTreeMap<&str, &str> = self
            .extra_headers
            .iter()
            .map(|(k, v)| {
                let shown = if is_credential_header(k) {
                    "[redacted]"
                } else {
                    v.as_str()
                };
                (k.as_str(), shown)
            })
            .collect();
        f.debug_struct("Endpoint")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("extra_headers", &headers)
            .field("extra_body", &self.extra_body)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(base: &str) -> String {
        Endpoint::new(base)
            .chat_completions_url()
            .unwrap()
            .to_string()
    }

    #[test]
    fn base_url_forms_are_normalized() {
        let want = "http://127.0.0.1:8000/v1/chat/completions";
        assert_eq!(url("http://127.0.0.1:8000/v1"), want);
        assert_eq!(url("http://127.0.0.1:8000/v1/"), want);
        assert_eq!(url(" http://127.0.0.1:8000/v1/chat/completions "), want);
        assert_eq!(url("http://127.0.0.1:8000/v1/chat/completions/"), want);
        assert_eq!(
            url("https://api.example.com"),
            "https://api.example.com/chat/completions"
        );
    }

    #[test]
    fn unusable_urls_are_rejected() {
        for bad in ["", "  ", "/chat/completions", "ftp://host/v1", "not a url"] {
            let err = Endpoint::new(bad).chat_completions_url().unwrap_err();
            assert_eq!(err.code(), "llm_invalid_endpoint", "{bad:?}");
        }
    }

    #[test]
    fn debug_hides_credentials() {
        let mut ep = Endpoint::new("http://h/v1").with_api_key("sk-secret-1");
        ep.extra_headers
            .insert("X-Api-Key".into(), "other-secret".into());
        ep.extra_headers.insert("X-Title".into(), "Loris".into());
        let shown = format!("{ep:?}");
        assert!(!shown.contains("sk-secret-1"), "{shown}");
        assert!(!shown.contains("other-secret"), "{shown}");
        assert!(shown.contains("Loris"), "{shown}");
        assert_eq!(ep.secrets(), vec!["sk-secret-1", "other-secret"]);
    }

    #[test]
    fn target_omits_user_info_and_path() {
        let u = Url::parse("https://user:pw@api.example.com/v1/chat/completions?key=k").unwrap();
        assert_eq!(target_of(&u), "api.example.com:443");
    }
}
