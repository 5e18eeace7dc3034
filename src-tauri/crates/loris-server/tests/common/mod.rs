//! Test helpers: the SmolLM2 fixture loaded once per test binary, a server over it, and a
//! minimal HTTP/1.1 client on a raw socket (so tests can send any Host header and read a
//! stream's head without its body).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use loris_infer::{EngineOptions, LoadOptions, ModelRegistry};
use loris_server::{Server, ServerConfig, ServerHandle};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const MODEL: &str = "smollm2";

/// SmolLM2-135M-Instruct, f32 weights, one engine thread; shared by the tests of a binary.
pub fn registry() -> Arc<ModelRegistry> {
    static REGISTRY: OnceLock<Arc<ModelRegistry>> = OnceLock::new();
    Arc::clone(REGISTRY.get_or_init(|| load(loris_infer::engine::DEFAULT_MAX_QUEUE)))
}

/// A registry of its own with a queue of `max_queue` requests.
pub fn load(max_queue: usize) -> Arc<ModelRegistry> {
    let path = loris_testkit::fixtures::require_smollm2_gguf();
    let registry = ModelRegistry::new(EngineOptions {
        threads: Some(1),
        max_queue,
    });
    registry
        .load(
            MODEL,
            &path,
            LoadOptions {
                dequantize: true,
                ..Default::default()
            },
        )
        .expect("the SmolLM2 fixture loads");
    Arc::new(registry)
}

pub async fn start(config: ServerConfig, registry: Arc<ModelRegistry>) -> ServerHandle {
    Server::start(ServerConfig { port: 0, ..config }, registry)
        .await
        .expect("the server starts")
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The SSE events: (event name or "", data).
    pub fn events(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for block in self.body.split("\n\n") {
            let mut name = String::new();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_owned();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            if !data.is_empty() {
                out.push((name, data));
            }
        }
        out
    }
}

pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub host: Option<String>,
    pub headers: Vec<(&'a str, String)>,
    pub body: Option<String>,
}

impl<'a> Request<'a> {
    pub fn get(path: &'a str) -> Self {
        Request {
            method: "GET",
            path,
            host: None,
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn post(path: &'a str, body: impl Into<String>) -> Self {
        Request {
            method: "POST",
            path,
            host: None,
            headers: vec![("Content-Type", "application/json".into())],
            body: Some(body.into()),
        }
    }

    pub fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    fn bytes(&self, addr: SocketAddr) -> Vec<u8> {
        let host = self.host.clone().unwrap_or_else(|| addr.to_string());
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n",
            self.method, self.path
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let body = self.body.clone().unwrap_or_default();
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body.as_bytes());
        bytes
    }

    /// Sends and reads the whole response.
    pub async fn send(&self, addr: SocketAddr) -> Reply {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(&self.bytes(addr)).await.expect("write");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read");
        parse(&raw)
    }

    /// Sends and reads only the response head; the connection stays open in the returned stream.
    pub async fn send_head(&self, addr: SocketAddr) -> (u16, TcpStream) {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(&self.bytes(addr)).await.expect("write");
        let mut raw = Vec::new();
        let mut buf = [0u8; 1024];
        while !raw.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).await.expect("read");
            assert!(n > 0, "the connection closed before the response head");
            raw.extend_from_slice(&buf[..n]);
        }
        (parse_status(&raw), stream)
    }
}

fn parse_status(raw: &[u8]) -> u16 {
    let text = String::from_utf8_lossy(raw);
    text.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line")
}

fn parse(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = parse_status(lines.next().unwrap_or("").as_bytes());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body: String::from_utf8(body).expect("a UTF-8 body"),
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = raw.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&raw[..end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .expect("a chunk size");
        if size == 0 {
            return out;
        }
        let start = end + 2;
        out.extend_from_slice(&raw[start..start + size]);
        raw = &raw[start + size + 2..];
    }
}

/// A chat request body for both APIs: the question the fixture answers with "Paris".
pub fn openai_chat(extra: Value) -> String {
    let mut body = serde_json::json!({
        "model": MODEL,
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "temperature": 0,
        "max_tokens": 24,
    });
    merge(&mut body, extra);
    body.to_string()
}

pub fn anthropic_messages(extra: Value) -> String {
    let mut body = serde_json::json!({
        "model": MODEL,
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "temperature": 0,
        "max_tokens": 24,
    });
    merge(&mut body, extra);
    body.to_string()
}

fn merge(body: &mut Value, extra: Value) {
    if let (Some(body), Value::Object(extra)) = (body.as_object_mut(), extra) {
        for (k, v) in extra {
            body.insert(k, v);
        }
    }
}
