//! Both APIs over the SmolLM2 fixture: greedy answers, streams with the exact event order,
//! stop sequences, token counts, concurrent streams, the request log and a graceful stop.

mod common;

use common::{MODEL, Request, anthropic_messages, openai_chat, registry, start};
use loris_server::ServerConfig;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn greedy_answers_in_both_formats() {
    let server = start(ServerConfig::default(), registry()).await;
    let addr = server.local_addr();

    let reply = Request::post("/v1/chat/completions", openai_chat(json!({"seed": 1})))
        .send(addr)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["object"], "chat.completion");
    assert_eq!(body["model"], MODEL);
    let text = body["choices"][0]["message"]["content"].as_str().unwrap();
    assert!(text.contains("Paris"), "{text}");
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(body["choices"][0]["message"]["role"], "assistant");
    let usage = &body["usage"];
    assert_eq!(
        usage["total_tokens"].as_u64().unwrap(),
        usage["prompt_tokens"].as_u64().unwrap() + usage["completion_tokens"].as_u64().unwrap()
    );

    let reply = Request::post("/v1/messages", anthropic_messages(json!({})))
        .header("anthropic-version", "2023-06-01")
        .send(addr)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["type"], "message");
    assert_eq!(body["role"], "assistant");
    assert_eq!(body["content"][0]["type"], "text");
    assert!(
        body["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Paris")
    );
    assert_eq!(body["stop_reason"], "end_turn");
    assert_eq!(body["stop_sequence"], Value::Null);
    assert!(body["usage"]["input_tokens"].as_u64().unwrap() > 5);
    assert!(body["usage"]["output_tokens"].as_u64().unwrap() > 0);

    // count_tokens agrees with what the reply used.
    let count = Request::post("/v1/messages/count_tokens", anthropic_messages(json!({})))
        .send(addr)
        .await
        .json();
    assert_eq!(count["input_tokens"], body["usage"]["input_tokens"]);

    // System as blocks, stop sequences.
    let reply = Request::post(
        "/v1/messages",
        anthropic_messages(json!({
            "system": [{"type": "text", "text": "You are a helpful assistant."}],
            "stop_sequences": ["Paris"],
        })),
    )
    .send(addr)
    .await;
    let body = reply.json();
    assert_eq!(body["stop_reason"], "stop_sequence", "{body}");
    assert_eq!(body["stop_sequence"], "Paris");
    assert!(
        !body["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Paris")
    );

    // Thinking and tools are accepted for any model; a model without a tool-call format or
    // `<think>` tags answers in text.
    let reply = Request::post(
        "/v1/messages",
        anthropic_messages(json!({
            "thinking": {"type": "enabled", "budget_tokens": 1024},
            "tools": [{"name": "capital", "input_schema": {"type": "object"}}],
            "tool_choice": {"type": "auto"},
            "stream": true,
        })),
    )
    .send(addr)
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply
            .events()
            .iter()
            .any(|(name, _)| name == "message_stop")
    );

    let reply = Request::post(
        "/v1/completions",
        json!({"model": MODEL, "prompt": "The capital of France is", "max_tokens": 3, "temperature": 0})
            .to_string(),
    )
    .send(addr)
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["object"], "text_completion");
    assert_eq!(body["choices"][0]["finish_reason"], "length");

    let models = Request::get("/v1/models").send(addr).await.json();
    assert_eq!(models["object"], "list");
    assert_eq!(models["data"][0]["id"], MODEL);
    let one = Request::get("/v1/models/smollm2").send(addr).await;
    assert_eq!(one.json()["id"], MODEL);
    assert_eq!(Request::get("/v1/models/nope").send(addr).await.status, 404);
    server.stop().await;
}

/// The event names of an Anthropic stream, with consecutive deltas folded into one `…delta*`.
fn anthropic_sequence(events: &[(String, String)]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (name, data) in events {
        let value: Value = serde_json::from_str(data).unwrap();
        assert_eq!(
            value["type"],
            name.as_str(),
            "event name and data type differ"
        );
        if name == "content_block_delta"
            && names.last().is_some_and(|n| n == "content_block_delta*")
        {
            continue;
        }
        names.push(if name == "content_block_delta" {
            "content_block_delta*".into()
        } else {
            name.clone()
        });
    }
    names
}

fn check_anthropic_stream(reply: &common::Reply) -> String {
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = reply.events();
    assert_eq!(
        anthropic_sequence(&events),
        [
            "message_start",
            "ping",
            "content_block_start",
            "content_block_delta*",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    let mut text = String::new();
    for (name, data) in &events {
        let value: Value = serde_json::from_str(data).unwrap();
        match name.as_str() {
            "message_start" => {
                assert_eq!(value["message"]["role"], "assistant");
                assert!(value["message"]["usage"]["input_tokens"].as_u64().unwrap() > 0);
            }
            "content_block_start" => assert_eq!(value["content_block"]["type"], "text"),
            "content_block_delta" => {
                assert_eq!(value["index"], 0);
                text.push_str(value["delta"]["text"].as_str().unwrap());
            }
            "message_delta" => {
                assert_eq!(value["delta"]["stop_reason"], "end_turn");
                assert!(value["usage"]["output_tokens"].as_u64().unwrap() > 0);
            }
            _ => {}
        }
    }
    text
}

fn check_openai_stream(reply: &common::Reply) -> String {
    assert_eq!(reply.status, 200, "{}", reply.body);
    let events = reply.events();
    assert_eq!(events.last().unwrap().1, "[DONE]");
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|(_, d)| serde_json::from_str(d).unwrap())
        .collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let usage = chunks.last().unwrap();
    assert_eq!(usage["choices"], json!([]));
    assert!(usage["usage"]["completion_tokens"].as_u64().unwrap() > 0);
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    let ids: std::collections::HashSet<&str> =
        chunks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 1, "every chunk has the same id");
    chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_have_the_exact_event_order() {
    let server = start(ServerConfig::default(), registry()).await;
    let addr = server.local_addr();
    let reply = Request::post("/v1/messages", anthropic_messages(json!({"stream": true})))
        .send(addr)
        .await;
    let text = check_anthropic_stream(&reply);
    assert!(text.contains("Paris"), "{text}");

    let reply = Request::post(
        "/v1/chat/completions",
        openai_chat(json!({"stream": true, "stream_options": {"include_usage": true}})),
    )
    .send(addr)
    .await;
    let text = check_openai_stream(&reply);
    assert!(text.contains("Paris"), "{text}");

    // The log holds both streams, final, with their tokens.
    let log = server.requests();
    assert_eq!(log.len(), 2);
    for entry in &log {
        assert_eq!(entry.status, 200);
        assert!(entry.done);
        assert!(entry.completion_tokens.unwrap() > 0, "{entry:?}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_concurrent_streams_all_complete() {
    let server = start(ServerConfig::default(), registry()).await;
    let addr = server.local_addr();
    let mut clients = Vec::new();
    for i in 0..32 {
        clients.push(tokio::spawn(async move {
            if i % 2 == 0 {
                let reply =
                    Request::post("/v1/messages", anthropic_messages(json!({"stream": true})))
                        .send(addr)
                        .await;
                check_anthropic_stream(&reply)
            } else {
                let reply = Request::post(
                    "/v1/chat/completions",
                    openai_chat(json!({"stream": true, "stream_options": {"include_usage": true}})),
                )
                .send(addr)
                .await;
                check_openai_stream(&reply)
            }
        }));
    }
    for client in clients {
        let text = client.await.expect("a client task panicked");
        assert!(text.contains("Paris"), "{text}");
    }
    assert_eq!(server.submitted(), 32);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_refuses_connections_and_can_start_again() {
    let registry = registry();
    let server = start(ServerConfig::default(), registry.clone()).await;
    let addr = server.local_addr();
    assert_eq!(Request::get("/health").send(addr).await.status, 200);
    server.stop().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());

    let again = loris_server::Server::start(
        ServerConfig {
            port: addr.port(),
            ..Default::default()
        },
        registry,
    )
    .await
    .expect("the same port can be bound again");
    assert_eq!(
        Request::get("/health")
            .send(again.local_addr())
            .await
            .json()["status"],
        "ok"
    );
    again.stop().await;
}
