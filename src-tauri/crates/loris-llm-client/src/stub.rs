//! An in-process OpenAI-compatible server for tests (feature `stub`).
//!
//! It runs on its own thread with its own tokio runtime, so blocking callers (and tests that
//! have no runtime) can talk to it; each chat request is answered by a caller-supplied handler.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use crate::types::ChatMessage;

/// Model id listed by `GET /v1/models`.
pub const STUB_MODEL: &str = "stub-model";

/// Above the client's request limit so that oversized-request tests hit the client's check,
/// not the server's.
const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// A chat request as the stub received it.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    /// The whole JSON body.
    pub body: Value,
    /// The `Authorization` header as sent.
    pub authorization: Option<String>,
    /// Every request header, names lowercased.
    pub headers: Vec<(String, String)>,
}

impl SeenRequest {
    /// A header's value by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How the stub answers one chat request.
#[derive(Debug, Clone, PartialEq)]
pub enum StubReply {
    /// 200 with a complete chat-completion object whose message content is this text.
    Text(String),
    /// This status with this body sent verbatim (JSON content type when it parses as JSON).
    /// `Status(200, "...")` sends a malformed success.
    Status(u16, String),
    /// Waits (without blocking the server) and then answers with the inner reply.
    Delay(Duration, Box<StubReply>),
    /// Adds a response header (e.g. `Retry-After`) to the inner reply.
    WithHeader(String, String, Box<StubReply>),
}

type Handler = dyn Fn(&SeenRequest, u64) -> StubReply + Send + Sync;

struct Shared {
    handler: Box<Handler>,
    requests: AtomicU64,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
}

/// A running stub server; dropping it stops the server and cancels replies still pending.
pub struct StubServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl StubServer {
    /// Starts a server on `127.0.0.1` (a free port). The handler gets each chat request and its
    /// 0-based arrival number.
    ///
    /// Panics if the socket or runtime cannot be created: this is test support, where failing
    /// loudly is the useful outcome.
    pub fn start(
        handler: impl Fn(&SeenRequest, u64) -> StubReply + Send + Sync + 'static,
    ) -> StubServer {
        let shared = Arc::new(Shared {
            handler: Box::new(handler),
            requests: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            max_in_flight: AtomicU64::new(0),
        });
        // Bound here, not on the server thread, so the port is known before `start` returns.
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("stub server: bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("stub server: non-blocking socket");
        let addr = listener.local_addr().expect("stub server: local address");

        let app = Router::new()
            .route("/v1/chat/completions", post(chat_completions))
            .route("/v1/models", get(models))
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .with_state(Arc::clone(&shared));
        let (shutdown, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("llm-stub-server".into())
            .spawn(move || serve(listener, app, stopped))
            .expect("stub server: spawn thread");
        StubServer {
            addr,
            shared,
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT/v1`, ready for [`crate::Endpoint::base_url`].
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many chat requests have arrived.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// The most chat requests that were being handled at the same moment.
    pub fn max_in_flight(&self) -> u64 {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for StubServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(listener: std::net::TcpListener, app: Router, stopped: oneshot::Receiver<()>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("stub server: tokio runtime");
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::from_std(listener).expect("stub server: tokio listener");
        tokio::select! {
            result = axum::serve(listener, app).into_future() => {
                if let Err(err) = result {
                    tracing::warn!(%err, "stub server stopped");
                }
            }
            _ = stopped => {}
        }
    });
    // Dropping the runtime here cancels connection tasks still sleeping in a `Delay`, so a
    // test does not wait for replies nobody will read.
}

/// Counts a request as in flight for as long as it lives, including when its task is cancelled.
struct InFlight(Arc<Shared>);

impl InFlight {
    fn enter(shared: &Arc<Shared>) -> InFlight {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(Arc::clone(shared))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn chat_completions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let number = shared.requests.fetch_add(1, Ordering::SeqCst);
    let _in_flight = InFlight::enter(&shared);

    let body: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(err) => {
            return openai_error(StatusCode::BAD_REQUEST, &format!("body is not JSON: {err}"));
        }
    };
    let seen = SeenRequest {
        model: body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        messages: body
            .get("messages")
            .and_then(|m| serde_json::from_value(m.clone()).ok())
            .unwrap_or_default(),
        authorization: headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        headers: headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    };

    let mut reply = (shared.handler)(&seen, number);
    let mut extra_headers = Vec::new();
    let mut response = loop {
        match reply {
            StubReply::Delay(wait, inner) => {
                tokio::time::sleep(wait).await;
                reply = *inner;
            }
            StubReply::WithHeader(name, value, inner) => {
                extra_headers.push((name, value));
                reply = *inner;
            }
            StubReply::Text(text) => break completion(&seen, &text),
            StubReply::Status(status, body) => break verbatim(status, body),
        }
    };
    for (name, value) in extra_headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

/// A complete chat-completion object; tokens are whitespace-separated words.
fn completion(seen: &SeenRequest, text: &str) -> Response {
    let prompt_tokens: usize = seen
        .messages
        .iter()
        .map(|m| m.content.split_whitespace().count())
        .sum();
    let completion_tokens = text.split_whitespace().count();
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let model = if seen.model.is_empty() {
        STUB_MODEL
    } else {
        &seen.model
    };
    axum::Json(json!({
        "id": format!("chatcmpl-stub-{created}"),
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": "stop",
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }))
    .into_response()
}

fn verbatim(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = if serde_json::from_str::<Value>(&body).is_ok() {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    (status, [(CONTENT_TYPE, content_type)], body).into_response()
}

fn openai_error(status: StatusCode, message: &str) -> Response {
    let body = json!({"error": {"message": message, "type": "invalid_request_error"}});
    (status, axum::Json(body)).into_response()
}

async fn models() -> Response {
    axum::Json(json!({
        "object": "list",
        "data": [{"id": STUB_MODEL, "object": "model", "created": 0, "owned_by": "loris"}],
    }))
    .into_response()
}
