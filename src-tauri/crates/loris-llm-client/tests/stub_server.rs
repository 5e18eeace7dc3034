//! The stub server itself: response shape, models listing, counters, shutdown.

use std::sync::Barrier;
use std::time::Duration;

use loris_llm_client::stub::{STUB_MODEL, StubReply, StubServer};
use loris_llm_client::{ChatClient, ChatMessage, ChatRequest, Endpoint, RetryPolicy};
use serde_json::{Value, json};

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

#[test]
fn chat_reply_is_a_complete_openai_object() {
    let server = StubServer::start(|_, _| StubReply::Text("two words".into()));
    let url = format!("{}/chat/completions", server.base_url());
    let body = json!({"model": "m1", "messages": [{"role": "user", "content": "a b c"}]});
    let resp = http().post(url).json(&body).send().unwrap();
    assert_eq!(resp.status(), 200);
    let value: Value = resp.json().unwrap();
    assert!(value["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(value["object"], "chat.completion");
    assert!(value["created"].as_u64().is_some_and(|t| t > 0));
    assert_eq!(value["model"], "m1");
    assert_eq!(
        value["choices"][0]["message"],
        json!({"role": "assistant", "content": "two words"})
    );
    assert_eq!(value["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        value["usage"],
        json!({"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5})
    );
}

#[test]
fn models_are_listed() {
    let server = StubServer::start(|_, _| StubReply::Text(String::new()));
    let value: Value = http()
        .get(format!("{}/models", server.base_url()))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(value["object"], "list");
    assert_eq!(value["data"][0]["id"], STUB_MODEL);
    assert_eq!(server.requests(), 0, "only chat requests are counted");
}

#[test]
fn status_replies_are_sent_verbatim_with_headers() {
    let server = StubServer::start(|_, _| {
        StubReply::WithHeader(
            "Retry-After".into(),
            "7".into(),
            Box::new(StubReply::Status(
                429,
                "{\"error\":{\"message\":\"later\"}}".into(),
            )),
        )
    });
    let resp = http()
        .post(format!("{}/chat/completions", server.base_url()))
        .json(&json!({"model": "m", "messages": []}))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(resp.text().unwrap(), "{\"error\":{\"message\":\"later\"}}");
}

#[test]
fn non_json_requests_get_an_openai_error() {
    let server = StubServer::start(|_, _| StubReply::Text("unused".into()));
    let resp = http()
        .post(format!("{}/chat/completions", server.base_url()))
        .body("nope")
        .send()
        .unwrap();
    assert_eq!(resp.status(), 400);
    let value: Value = resp.json().unwrap();
    assert!(value["error"]["message"].as_str().is_some());
}

#[test]
fn request_numbers_count_from_zero() {
    let server = StubServer::start(|_, n| StubReply::Text(n.to_string()));
    let client = ChatClient::new(RetryPolicy::default()).unwrap();
    let endpoint = Endpoint::new(server.base_url());
    let req = ChatRequest::new("m", vec![ChatMessage::user("hi")]);
    let texts: Vec<String> = (0..3)
        .map(|_| client.chat(&endpoint, &req).unwrap().text)
        .collect();
    assert_eq!(texts, ["0", "1", "2"]);
    assert_eq!(server.requests(), 3);
}

#[test]
fn max_in_flight_counts_concurrent_requests() {
    const THREADS: usize = 4;
    let server = StubServer::start(|_, _| {
        StubReply::Delay(
            Duration::from_millis(400),
            Box::new(StubReply::Text("ok".into())),
        )
    });
    let client = ChatClient::new(RetryPolicy::default()).unwrap();
    let endpoint = Endpoint::new(server.base_url());
    let req = ChatRequest::new("m", vec![ChatMessage::user("hi")]);

    // Sequential calls never overlap.
    client.chat(&endpoint, &req).unwrap();
    assert_eq!(server.max_in_flight(), 1);

    let barrier = Barrier::new(THREADS);
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                barrier.wait();
                client.chat(&endpoint, &req).unwrap();
            });
        }
    });
    assert_eq!(server.max_in_flight(), THREADS as u64);
    assert_eq!(server.requests(), THREADS as u64 + 1);
}

#[test]
fn dropping_the_server_stops_it_promptly() {
    let server = StubServer::start(|_, _| {
        StubReply::Delay(
            Duration::from_secs(30),
            Box::new(StubReply::Text("late".into())),
        )
    });
    let addr = server.addr();
    let policy = RetryPolicy {
        max_attempts: 1,
        request_timeout: Duration::from_millis(100),
        ..RetryPolicy::default()
    };
    let err = ChatClient::new(policy)
        .unwrap()
        .chat(
            &Endpoint::new(server.base_url()),
            &ChatRequest::new("m", vec![]),
        )
        .unwrap_err();
    assert_eq!(err.code(), "llm_timeout");

    let start = std::time::Instant::now();
    drop(server);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "nothing listens after drop"
    );
}
