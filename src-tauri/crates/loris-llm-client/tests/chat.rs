//! The client against the in-process stub server: success, retries, failures, cancellation.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use loris_llm_client::stub::{StubReply, StubServer};
use loris_llm_client::{
    ChatClient, ChatMessage, ChatRequest, Endpoint, LlmError, MAX_REQUEST_BYTES, RetryPolicy,
};
use serde_json::json;

/// Retries without real waiting, so failure paths stay fast.
fn fast_policy(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(20),
        request_timeout: Duration::from_secs(5),
    }
}

fn client(policy: RetryPolicy) -> ChatClient {
    ChatClient::new(policy).expect("client")
}

fn request(text: &str) -> ChatRequest {
    ChatRequest::new(
        "test-model",
        vec![ChatMessage::system("be brief"), ChatMessage::user(text)],
    )
}

fn status(code: u16, body: &str) -> StubReply {
    StubReply::Status(code, body.to_string())
}

#[test]
fn successful_call_returns_text_and_usage() {
    let server =
        StubServer::start(|seen, _| StubReply::Text(format!("echo {}", seen.messages[1].content)));
    let reply = client(fast_policy(3))
        .chat(
            &Endpoint::new(server.base_url()),
            &request("three word prompt"),
        )
        .unwrap();
    assert_eq!(reply.text, "echo three word prompt");
    assert_eq!(reply.prompt_tokens, 5, "be brief + three word prompt");
    assert_eq!(reply.completion_tokens, 4);
    assert_eq!(reply.attempts, 1);
    assert_eq!(server.requests(), 1);
}

#[test]
fn every_base_url_form_reaches_the_server() {
    let server = StubServer::start(|_, _| StubReply::Text("ok".into()));
    let c = client(fast_policy(1));
    for base in [
        server.base_url(),
        format!("{}/", server.base_url()),
        format!("{}/chat/completions", server.base_url()),
    ] {
        assert_eq!(
            c.chat(&Endpoint::new(base), &request("hi")).unwrap().text,
            "ok"
        );
    }
}

#[test]
fn key_headers_and_body_extras_are_sent() {
    let seen = Arc::new(std::sync::Mutex::new(None));
    let record = Arc::clone(&seen);
    let server = StubServer::start(move |req, _| {
        *record.lock().unwrap() = Some(req.clone());
        StubReply::Text("ok".into())
    });
    let mut endpoint = Endpoint::new(server.base_url()).with_api_key("sk-test-123");
    endpoint
        .extra_headers
        .insert("X-Title".into(), "Loris Studio".into());
    endpoint.extra_body.insert("top_k".into(), json!(40));
    endpoint
        .extra_body
        .insert("repetition_penalty".into(), json!(1.0));
    let mut req = request("hi");
    req.temperature = Some(0.25);
    req.max_tokens = Some(32);
    req.seed = Some(9);
    req.extra.insert("repetition_penalty".into(), json!(1.1));
    client(fast_policy(1)).chat(&endpoint, &req).unwrap();

    let seen = seen.lock().unwrap().clone().expect("request seen");
    assert_eq!(seen.authorization.as_deref(), Some("Bearer sk-test-123"));
    assert_eq!(seen.header("x-title"), Some("Loris Studio"));
    assert_eq!(seen.model, "test-model");
    assert_eq!(seen.messages, req.messages);
    let body = &seen.body;
    assert_eq!(body["stream"], json!(false));
    assert_eq!(body["temperature"], json!(0.25));
    assert_eq!(body["max_tokens"], json!(32));
    assert_eq!(body["seed"], json!(9));
    assert_eq!(body["top_k"], json!(40));
    assert_eq!(body["repetition_penalty"], json!(1.1));
    assert!(body.get("top_p").is_none(), "unset fields are left out");
}

#[test]
fn no_key_sends_no_authorization() {
    let server = StubServer::start(|req, _| StubReply::Text(format!("{:?}", req.authorization)));
    let reply = client(fast_policy(1))
        .chat(&Endpoint::new(server.base_url()), &request("hi"))
        .unwrap();
    assert_eq!(reply.text, "None");
}

#[test]
fn server_errors_are_retried_until_success() {
    let server = StubServer::start(|_, n| {
        if n < 2 {
            status(503, "overloaded")
        } else {
            StubReply::Text("finally".into())
        }
    });
    let reply = client(fast_policy(3))
        .chat(&Endpoint::new(server.base_url()), &request("hi"))
        .unwrap();
    assert_eq!(reply.text, "finally");
    assert_eq!(reply.attempts, 3);
    assert_eq!(server.requests(), 3);
}

#[test]
fn retryable_failures_give_up_after_max_attempts() {
    let server = StubServer::start(|_, _| status(502, r#"{"error":{"message":"upstream down"}}"#));
    let err = client(fast_policy(4))
        .chat(&Endpoint::new(server.base_url()), &request("hi"))
        .unwrap_err();
    assert_eq!(err.code(), "llm_http_status");
    assert_eq!(err.status(), Some(502));
    assert!(err.is_retryable());
    assert!(err.to_string().contains("upstream down"), "{err}");
    assert_eq!(server.requests(), 4);
}

#[test]
fn retry_after_is_honored() {
    let server = StubServer::start(|_, n| match n {
        0 => StubReply::WithHeader(
            "Retry-After".into(),
            "0.3".into(),
            Box::new(status(429, "slow down")),
        ),
        _ => StubReply::Text("ok".into()),
    });
    let policy = RetryPolicy {
        max_delay: Duration::from_secs(5),
        ..fast_policy(3)
    };
    let start = Instant::now();
    let reply = client(policy)
        .chat(&Endpoint::new(server.base_url()), &request("hi"))
        .unwrap();
    let elapsed = start.elapsed();
    assert_eq!(reply.attempts, 2);
    assert!(
        elapsed >= Duration::from_millis(300),
        "waited only {elapsed:?}"
    );
    assert!(elapsed < Duration::from_millis(1500), "waited {elapsed:?}");
}

#[test]
fn retry_after_is_capped_by_max_delay() {
    let server = StubServer::start(|_, n| match n {
        0 => StubReply::WithHeader(
            "Retry-After".into(),
            "30".into(),
            Box::new(status(429, "slow down")),
        ),
        _ => StubReply::Text("ok".into()),
    });
    let policy = RetryPolicy {
        max_delay: Duration::from_millis(150),
        ..fast_policy(3)
    };
    let start = Instant::now();
    let reply = client(policy)
        .chat(&Endpoint::new(server.base_url()), &request("hi"))
        .unwrap();
    let elapsed = start.elapsed();
    assert_eq!(reply.attempts, 2);
    assert!(
        elapsed >= Duration::from_millis(150),
        "waited only {elapsed:?}"
    );
    assert!(elapsed < Duration::from_millis(1000), "waited {elapsed:?}");
}

#[test]
fn client_errors_fail_at_once_with_the_server_message() {
    let server = StubServer::start(|_, _| {
        status(
            400,
            r#"{"error":{"message":"temperature must be <= 2","type":"invalid_request_error"}}"#,
        )
    });
    let err = client(fast_policy(5))
        .chat(&Endpoint::new(server.base_url()), &request("hi"))
        .unwrap_err();
    assert_eq!(err.code(), "llm_http_status");
    assert_eq!(err.status(), Some(400));
    assert!(!err.is_retryable());
    assert_eq!(
        err.to_string(),
        "server answered HTTP 400: temperature must be <= 2"
    );
    assert_eq!(server.requests(), 1);
}

#[test]
fn non_json_error_bodies_are_quoted_briefly() {
    let long = format!("Not Found {}", "x".repeat(2000));
    let server = StubServer::start(move |_, _| status(404, &long));
    let err = client(fast_policy(5))
        .chat(&Endpoint::new(server.base_url()), &request("hi"))
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    let text = err.to_string();
    assert!(text.contains("Not Found xxx"), "{text}");
    assert!(text.len() < 700, "{} chars", text.len());
    assert_eq!(server.requests(), 1);
}

#[test]
fn the_key_never_appears_in_errors() {
    let key = "sk-very-secret-key-42";
    // A server that quotes the credential back, as some providers do on 401.
    let server = StubServer::start(|req, n| {
        let auth = req.authorization.clone().unwrap_or_default();
        let body = json!({"error": {"message": format!("Incorrect API key provided: {auth}")}})
            .to_string();
        if n == 0 {
            status(401, &body)
        } else {
            status(200, &format!("garbage {auth}"))
        }
    });
    let endpoint = Endpoint::new(server.base_url()).with_api_key(key);
    let c = client(fast_policy(3));
    let unauthorized = c.chat(&endpoint, &request("hi")).unwrap_err();
    let malformed = c.chat(&endpoint, &request("hi")).unwrap_err();
    assert_eq!(unauthorized.status(), Some(401));
    assert_eq!(malformed.code(), "llm_bad_response");
    for err in [unauthorized, malformed] {
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(!shown.contains(key), "{shown}");
            assert!(shown.contains("[redacted]"), "{shown}");
        }
    }
    assert!(!format!("{endpoint:?}").contains(key));
}

#[test]
fn slow_replies_time_out_after_retries() {
    let server = StubServer::start(|_, _| {
        StubReply::Delay(
            Duration::from_secs(3),
            Box::new(StubReply::Text("late".into())),
        )
    });
    let policy = RetryPolicy {
        request_timeout: Duration::from_millis(150),
        ..fast_policy(2)
    };
    let start = Instant::now();
    let err = client(policy)
        .chat(&Endpoint::new(server.base_url()), &request("hi"))
        .unwrap_err();
    assert_eq!(err.code(), "llm_timeout", "{err}");
    assert!(err.is_retryable());
    assert_eq!(server.requests(), 2);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn refused_connections_are_retried_then_reported() {
    // A port that was just free: nothing listens there once the listener is dropped.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = Endpoint::new(format!("http://127.0.0.1:{port}/v1"));
    let start = Instant::now();
    let err = client(fast_policy(3))
        .chat(&endpoint, &request("hi"))
        .unwrap_err();
    assert_eq!(err.code(), "llm_connect", "{err}");
    assert!(err.is_retryable());
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn oversized_requests_are_refused_before_sending() {
    let server = StubServer::start(|_, _| StubReply::Text("ok".into()));
    let huge = "word ".repeat(MAX_REQUEST_BYTES / 5 + 1);
    let err = client(fast_policy(3))
        .chat(&Endpoint::new(server.base_url()), &request(&huge))
        .unwrap_err();
    assert_eq!(err.code(), "llm_request_too_large");
    assert!(matches!(
        err,
        LlmError::RequestTooLarge {
            limit: MAX_REQUEST_BYTES,
            ..
        }
    ));
    assert_eq!(server.requests(), 0);
}

#[test]
fn malformed_replies_are_bad_responses_and_not_retried() {
    for body in [
        "{not json",
        r#"{"choices":[]}"#,
        r#"{"object":"chat.completion"}"#,
    ] {
        let server = StubServer::start(move |_, _| status(200, body));
        let err = client(fast_policy(3))
            .chat(&Endpoint::new(server.base_url()), &request("hi"))
            .unwrap_err();
        assert_eq!(err.code(), "llm_bad_response", "{body}: {err}");
        assert_eq!(server.requests(), 1, "{body}");
    }
}

#[test]
fn cancelling_stops_a_retry_wait_promptly() {
    let server = StubServer::start(|_, _| {
        StubReply::WithHeader(
            "Retry-After".into(),
            "10".into(),
            Box::new(status(503, "busy")),
        )
    });
    let policy = RetryPolicy {
        max_delay: Duration::from_secs(10),
        ..fast_policy(5)
    };
    let c = client(policy);
    let cancelled = AtomicBool::new(false);
    let start = Instant::now();
    let err = std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(100));
            cancelled.store(true, Ordering::SeqCst);
        });
        c.chat_cancellable(
            &Endpoint::new(server.base_url()),
            &request("hi"),
            &cancelled,
        )
        .unwrap_err()
    });
    assert_eq!(err, LlmError::Cancelled);
    assert_eq!(err.code(), "llm_cancelled");
    assert!(
        start.elapsed() < Duration::from_millis(800),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(server.requests(), 1);
}

#[test]
fn cancelled_before_start_sends_nothing() {
    let server = StubServer::start(|_, _| StubReply::Text("ok".into()));
    let cancelled = AtomicBool::new(true);
    let err = client(fast_policy(3))
        .chat_cancellable(
            &Endpoint::new(server.base_url()),
            &request("hi"),
            &cancelled,
        )
        .unwrap_err();
    assert_eq!(err.code(), "llm_cancelled");
    assert_eq!(server.requests(), 0);
}

#[test]
fn one_client_serves_many_threads() {
    let server = StubServer::start(|seen, _| {
        StubReply::Delay(
            Duration::from_millis(50),
            Box::new(StubReply::Text(seen.messages[1].content.clone())),
        )
    });
    let c = Arc::new(client(fast_policy(1)));
    let endpoint = Endpoint::new(server.base_url());
    std::thread::scope(|s| {
        for i in 0..6 {
            let (c, endpoint) = (Arc::clone(&c), endpoint.clone());
            s.spawn(move || {
                let reply = c.chat(&endpoint, &request(&format!("n{i}"))).unwrap();
                assert_eq!(reply.text, format!("n{i}"));
            });
        }
    });
    assert_eq!(server.requests(), 6);
}
