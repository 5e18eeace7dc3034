//! Checks every request passes before any handler reads its body: the `Host` header (against
//! DNS rebinding), the `Origin` (a browser page not allowed by CORS), then the API key. Also
//! opens the request's log entry.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::{ApiError, ErrorKind, Flavor};
use crate::state::AppState;

/// Which `Host` headers are ours. A DNS-rebinding page reaches us under the attacker's host
/// name, so names are refused unless the user allowed them; IP literals cannot be rebound and
/// are accepted (loopback ones only, unless LAN access is on).
#[derive(Debug, Clone)]
pub(crate) struct HostCheck {
    pub lan: bool,
    pub allowed: Vec<String>,
}

impl HostCheck {
    pub fn allows(&self, host: &str) -> bool {
        let name = strip_port(host).to_ascii_lowercase();
        if name == "localhost" {
            return true;
        }
        let literal = name.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = literal.parse::<IpAddr>() {
            return self.lan || ip.is_loopback();
        }
        self.allowed.iter().any(|a| a.eq_ignore_ascii_case(&name))
    }
}

/// `example.com:8139` → `example.com`; `[::1]:8139` → `[::1]`.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

/// The key in `x-api-key` (Anthropic's SDKs) or `Authorization: Bearer` (OpenAI's, and
/// Anthropic's with `auth_token`).
fn presented_key(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    if let Some(value) = headers.get("x-api-key") {
        return value.to_str().map(|s| Some(s.trim())).map_err(|_| {
            ApiError::new(
                ErrorKind::Authentication,
                "invalid_api_key",
                "x-api-key is not valid text",
            )
        });
    }
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().unwrap_or("");
    match value.split_once(' ') {
        Some((scheme, key)) if scheme.eq_ignore_ascii_case("bearer") => Ok(Some(key.trim())),
        _ => Err(ApiError::new(
            ErrorKind::Authentication,
            "invalid_api_key",
            "the Authorization header must be 'Bearer <API key>'",
        )),
    }
}

fn check(state: &AppState, request: &Request) -> Result<(), ApiError> {
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    match host {
        Some(host) if state.hosts.allows(host) => {}
        Some(host) => {
            return Err(ApiError::new(
                ErrorKind::Forbidden,
                "host_not_allowed",
                format!("the Host '{host}' is not allowed"),
            ));
        }
        None => {
            return Err(ApiError::new(
                ErrorKind::Forbidden,
                "host_not_allowed",
                "the request has no Host header",
            ));
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !state.origins.iter().any(|o| o == origin) {
            return Err(ApiError::new(
                ErrorKind::Forbidden,
                "origin_not_allowed",
                format!("the origin '{origin}' is not allowed"),
            ));
        }
    }
    // CORS preflights carry no credentials; the layer above answers them.
    if request.method() == Method::OPTIONS || request.uri().path() == "/health" {
        return Ok(());
    }
    if let Some(keys) = &state.keys {
        match presented_key(headers)? {
            Some(key) if !key.is_empty() => keys.check(key)?,
            _ => {
                return Err(ApiError::new(
                    ErrorKind::Authentication,
                    "missing_api_key",
                    "an API key is required: send it as 'Authorization: Bearer <key>' or 'x-api-key'",
                ));
            }
        }
    }
    Ok(())
}

pub(crate) async fn guard(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let flavor = Flavor::for_path(&path);
    let ticket = state.log.start(request.method().as_str(), &path);
    let response = match check(&state, &request) {
        Ok(()) => {
            request.extensions_mut().insert(ticket.clone());
            next.run(request).await
        }
        Err(err) => {
            tracing::info!(path = %path, code = err.code, "request refused");
            err.into_response(flavor)
        }
    };
    ticket.responded(response.status().as_u16());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_loopback_only_unless_lan() {
        let local = HostCheck {
            lan: false,
            allowed: vec!["studio.local".into()],
        };
        for ok in [
            "localhost",
            "localhost:8139",
            "127.0.0.1:8139",
            "[::1]:8139",
            "STUDIO.local:80",
        ] {
            assert!(local.allows(ok), "{ok}");
        }
        for refused in [
            "evil.example:8139",
            "192.168.1.5:8139",
            "localhost.evil.example",
        ] {
            assert!(!local.allows(refused), "{refused}");
        }
        let lan = HostCheck {
            lan: true,
            allowed: vec![],
        };
        assert!(lan.allows("192.168.1.5:8139"));
        assert!(!lan.allows("evil.example"));
    }

    #[test]
    fn keys_come_from_either_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(presented_key(&headers).unwrap(), None);
        headers.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(presented_key(&headers).unwrap(), Some("abc"));
        headers.insert("x-api-key", "xyz".parse().unwrap());
        assert_eq!(presented_key(&headers).unwrap(), Some("xyz"));
        let mut basic = HeaderMap::new();
        basic.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert!(presented_key(&basic).is_err());
    }
}
