//! Sending through a real model (the SmolLM2 starter fixture): the reply streamed and stored
//! with its usage, a regeneration beside it, a cancelled reply kept as `stopped`, and a process
//! killed mid-reply found `interrupted` on the next start.
//!
//! The kill test re-runs this binary as the "app" process (filtered to `child_process`), kills
//! it with SIGKILL while its reply streams, then opens the same database again.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use loris_chat::{
    ChatEvent, ChatService, ChatStore, FlushPolicy, MessageStatus, NewThread, Role, ThreadSettings,
};
use loris_core::Store;
use loris_infer::{Engine, EngineOptions, LoadOptions};
use loris_testkit::{fixture_or_skip, fixtures};

const CHILD_ENV: &str = "LORIS_CHAT_TEST_CHILD_HOME";
const PARIS: &str = "The capital of France is Paris.";

fn engine(path: &Path) -> Engine {
    let loaded = loris_infer::load_gguf(
        path,
        &LoadOptions {
            dequantize: true,
            ..Default::default()
        },
    )
    .unwrap();
    Engine::start(loaded, EngineOptions::default()).unwrap()
}

fn service(store: Arc<Store>, flush: FlushPolicy) -> ChatService {
    ChatService::new(ChatStore::new(store).with_flush_policy(flush))
}

/// Writes every delta at once, so the stored text is exactly what was streamed so far.
const EVERY_DELTA: FlushPolicy = FlushPolicy {
    interval: Duration::ZERO,
    max_chars: 1,
};

#[test]
fn send_streams_and_stores_the_reply_then_regenerates_beside_it() {
    let path = fixture_or_skip!(fixtures::smollm2_gguf());
    let engine = engine(&path);
    let chat = service(
        Arc::new(Store::open_in_memory().unwrap()),
        FlushPolicy::default(),
    );
    let thread = chat
        .chats()
        .create_thread(NewThread {
            settings: ThreadSettings {
                max_tokens: 32,
                ..ThreadSettings::greedy()
            },
            ..Default::default()
        })
        .unwrap()
        .id;
    let mut handle = chat
        .send(&thread, "What is the capital of France?", &engine)
        .unwrap();
    let user_id = handle.user_message_id.clone().unwrap();
    let mut streamed = String::new();
    let mut done = None;
    while let Some(event) = handle.events.blocking_recv() {
        match event {
            ChatEvent::Delta {
                content,
                message_id,
                ..
            } => {
                assert_eq!(message_id, handle.assistant_message_id);
                streamed.push_str(&content);
            }
            ChatEvent::Done { message } => done = Some(*message),
            ChatEvent::Error { code, message, .. } => panic!("{code}: {message}"),
        }
    }
    let message = done.expect("a done event");
    assert_eq!(streamed, PARIS);
    assert_eq!(message.content, PARIS);
    assert_eq!(message.status, MessageStatus::Complete);
    assert_eq!(message.parent_id.as_deref(), Some(user_id.as_str()));
    let usage = message.usage.unwrap();
    assert!(usage.prompt_tokens > 5, "{usage:?}");
    assert!(usage.completion_tokens >= 7, "{usage:?}");
    assert!(message.timings.is_some());
    assert_eq!(message.sampling.unwrap().temperature, 0.0);

    let stored = chat.chats().view(&thread).unwrap();
    assert_eq!(stored.thread.title, "What is the capital of France?");
    let texts: Vec<(Role, &str)> = stored
        .messages
        .iter()
        .map(|m| (m.role, m.content.as_str()))
        .collect();
    assert_eq!(
        texts,
        [
            (Role::User, "What is the capital of France?"),
            (Role::Assistant, PARIS)
        ]
    );

    // Regenerate: a second reply to the same user message, greedy so the same text, and the
    // prompt now comes from the engine's cache.
    let again = chat.regenerate(&thread, &user_id, &engine).unwrap();
    assert_eq!(again.user_message_id, None);
    let Some(ChatEvent::Done { message: second }) = again.wait() else {
        panic!("no done event");
    };
    let second = *second;
    assert_eq!(second.content, PARIS);
    assert!(second.usage.unwrap().cached_tokens > 0);
    let replies = chat.chats().siblings(&second.id).unwrap();
    assert_eq!(replies.len(), 2);
    assert_eq!(
        chat.chats().thread(&thread).unwrap().active_leaf_id,
        Some(second.id)
    );
}

#[test]
fn a_cancelled_reply_keeps_its_text_as_stopped() {
    let path = fixture_or_skip!(fixtures::smollm2_gguf());
    let engine = engine(&path);
    let chat = service(Arc::new(Store::open_in_memory().unwrap()), EVERY_DELTA);
    let thread = chat
        .chats()
        .create_thread(NewThread {
            settings: ThreadSettings {
                max_tokens: 400,
                ..ThreadSettings::greedy()
            },
            ..Default::default()
        })
        .unwrap()
        .id;
    let mut handle = chat
        .send(&thread, "Write a long story about a dragon.", &engine)
        .unwrap();
    let mut streamed = String::new();
    let mut deltas = 0;
    let mut done = None;
    while let Some(event) = handle.events.blocking_recv() {
        match event {
            ChatEvent::Delta { content, .. } => {
                streamed.push_str(&content);
                deltas += 1;
                if deltas == 3 {
                    handle.cancel.cancel();
                }
            }
            ChatEvent::Done { message } => done = Some(*message),
            ChatEvent::Error { code, message, .. } => panic!("{code}: {message}"),
        }
    }
    let message = done.expect("a done event");
    assert_eq!(message.status, MessageStatus::Stopped);
    assert!(!message.content.is_empty());
    assert_eq!(message.content, streamed);
    assert!(message.usage.unwrap().completion_tokens < 400);
    assert_eq!(
        chat.chats().message(&message.id).unwrap().status,
        MessageStatus::Stopped
    );
}

#[test]
fn child_process() {
    // Only does something when started by the kill test below.
    let Ok(home) = std::env::var(CHILD_ENV) else {
        return;
    };
    let home = Path::new(&home);
    let path = fixtures::require_smollm2_gguf();
    let engine = engine(&path);
    let store = Arc::new(Store::open(&home.join("loris.db")).unwrap());
    let chat = service(store, EVERY_DELTA);
    let thread = chat
        .chats()
        .create_thread(NewThread {
            settings: ThreadSettings {
                max_tokens: 2000,
                ..ThreadSettings::greedy()
            },
            ..Default::default()
        })
        .unwrap()
        .id;
    let mut handle = chat
        .send(&thread, "Write a long story about a dragon.", &engine)
        .unwrap();
    // Announce the reply once some of it is stored, then keep generating until killed.
    for _ in 0..3 {
        match handle.events.blocking_recv() {
            Some(ChatEvent::Delta { .. }) => {}
            other => panic!("expected a delta, got {other:?}"),
        }
    }
    let announce = home.join("message-id");
    std::fs::write(announce.with_extension("tmp"), &handle.assistant_message_id).unwrap();
    std::fs::rename(announce.with_extension("tmp"), &announce).unwrap();
    while handle.events.blocking_recv().is_some() {}
    std::thread::sleep(Duration::from_secs(600));
}

#[test]
fn a_reply_killed_mid_stream_is_interrupted_with_its_text_on_restart() {
    let _model = fixture_or_skip!(fixtures::smollm2_gguf());
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, home.path())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let announce = home.path().join("message-id");
    let mut message_id = None;
    for _ in 0..2400 {
        if let Ok(id) = std::fs::read_to_string(&announce) {
            message_id = Some(id);
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the child process ended early: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let Some(message_id) = message_id else {
        let _ = child.kill();
        panic!("the child process never started its reply");
    };
    child.kill().unwrap();
    child.wait().unwrap();

    let chats = ChatStore::new(Arc::new(
        Store::open(&home.path().join("loris.db")).unwrap(),
    ));
    let before = chats.message(&message_id).unwrap();
    assert_eq!(before.status, MessageStatus::Streaming);
    assert!(!before.content.is_empty());
    assert_eq!(chats.recover().unwrap(), vec![message_id.clone()]);
    let after = chats.message(&message_id).unwrap();
    assert_eq!(after.status, MessageStatus::Interrupted);
    assert_eq!(after.content, before.content);
    assert!(after.error.is_some());
}
