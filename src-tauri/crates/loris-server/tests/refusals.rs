//! Requests that must be refused before they reach the engine: no key while LAN access is on,
//! a revoked key, a foreign Host header (DNS rebinding), a page's Origin, malformed JSON,
//! invalid fields. Each gets its status and its API's envelope; the engine sees none of them.

mod common;

use std::sync::Arc;

use common::{MODEL, Request, anthropic_messages, openai_chat, registry, start};
use loris_auth::ApiKeys;
use loris_core::Store;
use loris_server::ServerConfig;
use serde_json::json;

fn assert_openai_error(reply: &common::Reply, status: u16, kind: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["error"]["type"], kind, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

fn assert_anthropic_error(reply: &common::Reply, status: u16, kind: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["type"], "error", "{body}");
    assert_eq!(body["error"]["type"], kind, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lan_access_requires_a_live_key() {
    let store = Arc::new(Store::open_in_memory().unwrap());
    let keys = Arc::new(ApiKeys::new(Arc::clone(&store)).unwrap());
    let live = keys.create("laptop", None).unwrap();
    let revoked = keys.create("old phone", None).unwrap();
    keys.revoke(&revoked.key.id).unwrap();
    let server = start(
        ServerConfig {
            lan: true,
            // LAN rules, but bound to loopback so the test opens nothing to the network.
            host: Some("127.0.0.1".parse().unwrap()),
            keys: Some(keys.clone()),
            ..Default::default()
        },
        registry(),
    )
    .await;
    let addr = server.local_addr();

    // No key.
    let reply = Request::post("/v1/chat/completions", openai_chat(json!({})))
        .send(addr)
        .await;
    assert_openai_error(&reply, 401, "authentication_error");
    let reply = Request::post("/v1/messages", anthropic_messages(json!({})))
        .header("anthropic-version", "2023-06-01")
        .send(addr)
        .await;
    assert_anthropic_error(&reply, 401, "authentication_error");

    // A revoked key, in either header.
    let reply = Request::post("/v1/chat/completions", openai_chat(json!({})))
        .header("Authorization", format!("Bearer {}", revoked.secret))
        .send(addr)
        .await;
    assert_openai_error(&reply, 401, "authentication_error");
    assert!(
        reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
    let reply = Request::post("/v1/messages", anthropic_messages(json!({})))
        .header("x-api-key", revoked.secret.clone())
        .send(addr)
        .await;
    assert_anthropic_error(&reply, 401, "authentication_error");

    // A wrong scheme, an unknown key.
    let reply = Request::get("/v1/models")
        .header("Authorization", format!("Basic {}", live.secret))
        .send(addr)
        .await;
    assert_openai_error(&reply, 401, "authentication_error");
    let reply = Request::get("/v1/models")
        .header("x-api-key", "lsk-not-a-key")
        .send(addr)
        .await;
    assert_openai_error(&reply, 401, "authentication_error");
    assert_eq!(
        server.submitted(),
        0,
        "a refused request reached the engine"
    );

    // The live key works in both headers; any anthropic-version is accepted.
    let reply = Request::get("/v1/models")
        .header("Authorization", format!("Bearer {}", live.secret))
        .send(addr)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["data"][0]["id"], MODEL);
    let reply = Request::post("/v1/messages/count_tokens", anthropic_messages(json!({})))
        .header("x-api-key", live.secret.clone())
        .header("anthropic-version", "2099-01-01")
        .send(addr)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.json()["input_tokens"].as_u64().unwrap() > 5);
    assert!(
        keys.list()
            .unwrap()
            .iter()
            .any(|k| k.id == live.key.id && k.last_used_at.is_some())
    );

    // Health needs no key.
    assert_eq!(Request::get("/health").send(addr).await.status, 200);
    assert_eq!(server.submitted(), 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_hosts_and_origins_are_refused() {
    let server = start(ServerConfig::default(), registry()).await;
    let addr = server.local_addr();
    let port = addr.port();

    for host in [
        format!("evil.example:{port}"),
        format!("192.168.1.20:{port}"),
    ] {
        let reply = Request::post("/v1/chat/completions", openai_chat(json!({})))
            .host(host.clone())
            .send(addr)
            .await;
        assert_openai_error(&reply, 403, "permission_error");
        assert!(reply.body.contains(&host), "{}", reply.body);
        let reply = Request::post("/v1/messages", anthropic_messages(json!({})))
            .host(host)
            .send(addr)
            .await;
        assert_anthropic_error(&reply, 403, "permission_error");
    }
    let reply = Request::get("/v1/models")
        .header("Origin", "https://evil.example")
        .send(addr)
        .await;
    assert_openai_error(&reply, 403, "permission_error");
    assert!(reply.header("access-control-allow-origin").is_none());
    assert_eq!(server.submitted(), 0);

    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let reply = Request::get("/v1/models").host(host).send(addr).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_hosts_and_origins_get_in() {
    let server = start(
        ServerConfig {
            allowed_hosts: vec!["studio.local".into()],
            allowed_origins: vec!["http://localhost:5173".into()],
            ..Default::default()
        },
        registry(),
    )
    .await;
    let addr = server.local_addr();
    let reply = Request::get("/v1/models")
        .host("studio.local")
        .header("Origin", "http://localhost:5173")
        .send(addr)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("http://localhost:5173")
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_and_invalid_fields_are_400_naming_the_field() {
    let server = start(ServerConfig::default(), registry()).await;
    let addr = server.local_addr();

    let openai_cases = [
        (
            r#"{"model": "smollm2", "messages": ["#.to_owned(),
            "invalid JSON",
        ),
        ("[1, 2]".to_owned(), "body"),
        (r#"{"messages": []}"#.to_owned(), "model"),
        (
            openai_chat(json!({"messages": [{"role": "robot", "content": "hi"}]})),
            "messages[0].role",
        ),
        (
            openai_chat(json!({"messages": [{"role": "user"}]})),
            "messages[0].content",
        ),
        (openai_chat(json!({"messages": []})), "messages"),
        (openai_chat(json!({"temperature": 7})), "temperature"),
        (openai_chat(json!({"temperature": "hot"})), "temperature"),
        (openai_chat(json!({"top_p": 0})), "top_p"),
        (openai_chat(json!({"max_tokens": 0})), "max_tokens"),
        (openai_chat(json!({"max_tokens": -3})), "max_tokens"),
        (
            openai_chat(json!({"stop": ["a", "b", "c", "d", "e"]})),
            "stop",
        ),
        (openai_chat(json!({"n": 2})), "n"),
        (
            openai_chat(json!({"tool_choice": "sometimes", "tools": []})),
            "tool_choice",
        ),
        (
            openai_chat(json!({"response_format": {"type": "xml"}})),
            "response_format",
        ),
        (
            openai_chat(
                json!({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}),
            ),
            "messages[0].content[0]",
        ),
    ];
    for (body, field) in openai_cases {
        let reply = Request::post("/v1/chat/completions", body.clone())
            .send(addr)
            .await;
        assert_openai_error(&reply, 400, "invalid_request_error");
        let message = reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(field), "{body} → {message}");
    }

    let anthropic_cases = [
        ("{".to_owned(), "invalid JSON"),
        (
            json!({"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}).to_string(),
            "max_tokens",
        ),
        (
            anthropic_messages(json!({"temperature": 1.5})),
            "temperature",
        ),
        (
            anthropic_messages(json!({"messages": [{"role": "system", "content": "hi"}]})),
            "messages[0].role",
        ),
        (
            anthropic_messages(json!({"stop_sequences": "Paris"})),
            "stop_sequences",
        ),
        (anthropic_messages(json!({"system": 42})), "system"),
        (
            anthropic_messages(json!({"tools": [{"name": "weather"}]})),
            "tools[0].input_schema",
        ),
        (
            anthropic_messages(
                json!({"messages": [{"role": "user", "content": [{"type": "image", "source": {}}]}]}),
            ),
            "messages[0].content[0]",
        ),
    ];
    for (body, field) in anthropic_cases {
        let reply = Request::post("/v1/messages", body.clone()).send(addr).await;
        assert_anthropic_error(&reply, 400, "invalid_request_error");
        let message = reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(field), "{body} → {message}");
    }

    // An unknown model is a 404 naming the loaded ones.
    let reply = Request::post(
        "/v1/chat/completions",
        openai_chat(json!({"model": "gpt-9"})),
    )
    .send(addr)
    .await;
    assert_openai_error(&reply, 404, "invalid_request_error");
    assert!(reply.body.contains(MODEL));
    let reply = Request::post(
        "/v1/messages",
        anthropic_messages(json!({"model": "claude-9"})),
    )
    .send(addr)
    .await;
    assert_anthropic_error(&reply, 404, "not_found_error");
    let reply = Request::get("/v2/nothing").send(addr).await;
    assert_openai_error(&reply, 404, "invalid_request_error");

    assert_eq!(
        server.submitted(),
        0,
        "an invalid request reached the engine"
    );
    // Every refusal is in the request log, with its status.
    let log = server.requests();
    assert!(log.iter().all(|e| e.done && e.status >= 400), "{log:?}");
    assert!(
        log.iter()
            .any(|e| e.path == "/v1/messages" && e.status == 400)
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_is_refused_at_once() {
    let registry = common::load(1);
    let server = start(ServerConfig::default(), Arc::clone(&registry)).await;
    let addr = server.local_addr();

    // A stream's head is sent after its request is queued: the queue is full from then on.
    let (status, busy) = Request::post(
        "/v1/chat/completions",
        openai_chat(json!({"stream": true, "max_tokens": 2000, "temperature": 1.0})),
    )
    .send_head(addr)
    .await;
    assert_eq!(status, 200);
    assert_eq!(server.submitted(), 1);

    let reply = Request::post("/v1/chat/completions", openai_chat(json!({})))
        .send(addr)
        .await;
    assert_openai_error(&reply, 429, "rate_limit_error");
    assert_eq!(reply.json()["error"]["code"], "queue_full");
    let reply = Request::post("/v1/messages", anthropic_messages(json!({"stream": true})))
        .send(addr)
        .await;
    assert_anthropic_error(&reply, 529, "overloaded_error");
    assert_eq!(server.submitted(), 1);

    // The client going away cancels its generation and frees the queue.
    drop(busy);
    let mut freed = false;
    for _ in 0..600 {
        let engine = registry.get(MODEL).unwrap();
        if engine.pending() == 0 {
            freed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(freed, "the abandoned generation was not cancelled");
    let reply = Request::post(
        "/v1/chat/completions",
        openai_chat(json!({"max_tokens": 4})),
    )
    .send(addr)
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    server.stop().await;
}
