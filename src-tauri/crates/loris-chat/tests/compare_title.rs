//! Through a real model (the starter SmolLM2 fixture): one prompt answered by two loaded models
//! side by side (the same file loaded twice, dequantized and quantized, as two model ids, as a
//! model with and without an adapter will be), stored as sibling replies that name their model;
//! and the title the model writes after the first exchange.

use std::path::Path;
use std::sync::Arc;

use loris_chat::{
    ChatEvent, ChatService, ChatStore, MODEL_KEY, MessageStatus, NewThread, Role, ThreadSettings,
    title::{TITLE_CHARS, title_from_text},
};
use loris_core::Store;
use loris_infer::{Engine, EngineOptions, LoadOptions};
use loris_testkit::{fixture_or_skip, fixtures};

fn engine(path: &Path, dequantize: bool) -> Engine {
    let loaded = loris_infer::load_gguf(
        path,
        &LoadOptions {
            dequantize,
            ..Default::default()
        },
    )
    .unwrap();
    Engine::start(loaded, EngineOptions::default()).unwrap()
}

fn chat() -> ChatService {
    ChatService::new(ChatStore::new(Arc::new(Store::open_in_memory().unwrap())))
}

fn short_greedy() -> NewThread {
    NewThread {
        settings: ThreadSettings {
            max_tokens: 12,
            ..ThreadSettings::greedy()
        },
        ..Default::default()
    }
}

#[test]
fn two_models_answer_one_prompt_as_sibling_replies() {
    let path = fixture_or_skip!(fixtures::smollm2_gguf());
    let f32 = engine(&path, true);
    let q4 = engine(&path, false);
    let chat = chat();
    let thread = chat.chats().create_thread(short_greedy()).unwrap().id;

    let replies = chat
        .send_compare(
            &thread,
            "What is the capital of France?",
            &[("smol-f32", &f32), ("smol-q4", &q4)],
        )
        .unwrap();
    assert_eq!(replies.len(), 2);
    let user_id = replies[0].handle.user_message_id.clone().unwrap();
    assert_eq!(
        replies[1].handle.user_message_id.as_deref(),
        Some(user_id.as_str())
    );
    let mut stored = Vec::new();
    for reply in replies {
        let model = reply.model_id.clone();
        let Some(ChatEvent::Done { message }) = reply.handle.wait() else {
            panic!("{model}: no done event");
        };
        assert_eq!(message.status, MessageStatus::Complete, "{model}");
        assert!(!message.content.is_empty(), "{model}");
        assert_eq!(message.parent_id.as_deref(), Some(user_id.as_str()));
        assert_eq!(message.timings.as_ref().unwrap()[MODEL_KEY], model.as_str());
        stored.push(message.id);
    }
    let siblings: Vec<String> = chat
        .chats()
        .siblings(&stored[0])
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(siblings, stored);
    // One user message, its two replies; the last one started is on screen.
    let view = chat.chats().view(&thread).unwrap();
    assert_eq!(view.messages.len(), 2);
    assert_eq!(view.thread.active_leaf_id.as_ref(), Some(&stored[1]));
}

#[test]
fn a_comparison_needs_two_different_models_and_stores_nothing_otherwise() {
    let smol = fixture_or_skip!(fixtures::smollm2_gguf());
    let smol = engine(&smol, true);
    let chat = chat();
    let thread = chat.chats().create_thread(short_greedy()).unwrap().id;
    let err = chat
        .send_compare(&thread, "Hi", &[("smol", &smol)])
        .err()
        .unwrap();
    assert_eq!(err.code(), "invalid_input");
    let err = chat
        .send_compare(&thread, "Hi", &[("smol", &smol), ("smol", &smol)])
        .err()
        .unwrap();
    assert_eq!(err.code(), "invalid_input");
    assert!(chat.chats().view(&thread).unwrap().messages.is_empty());
}

#[test]
fn the_model_titles_the_thread_after_the_first_exchange() {
    let smol = fixture_or_skip!(fixtures::smollm2_gguf());
    let smol = engine(&smol, true);
    let chat = chat();
    let question = "What is the capital of France?";
    let thread = chat.chats().create_thread(short_greedy()).unwrap().id;
    // Before any reply there is nothing to title.
    assert_eq!(chat.title_first_exchange(&thread, &smol).unwrap(), None);
    let Some(ChatEvent::Done { .. }) = chat.send(&thread, question, &smol).unwrap().wait() else {
        panic!("no done event");
    };
    assert_eq!(
        chat.chats().thread(&thread).unwrap().title,
        title_from_text(question)
    );

    let titled = chat.title_first_exchange(&thread, &smol).unwrap().unwrap();
    let title = titled.title;
    assert!(!title.is_empty());
    assert!(
        !title.contains('\n') && !title.starts_with('"'),
        "{title:?}"
    );
    assert!(title.chars().count() <= TITLE_CHARS + 1, "{title:?}");
    assert_eq!(chat.chats().thread(&thread).unwrap().title, title);

    // A renamed thread keeps its name; a second exchange is not the first.
    let renamed = chat.chats().create_thread(short_greedy()).unwrap().id;
    chat.send(&renamed, question, &smol).unwrap().wait();
    chat.chats().set_title(&renamed, "Mine").unwrap();
    assert_eq!(chat.title_first_exchange(&renamed, &smol).unwrap(), None);
    chat.send(&thread, "And of Spain?", &smol).unwrap().wait();
    assert_eq!(chat.title_first_exchange(&thread, &smol).unwrap(), None);
    let view = chat.chats().view(&thread).unwrap();
    assert_eq!(view.messages.len(), 4);
    assert_eq!(view.messages[2].role, Role::User);
}
