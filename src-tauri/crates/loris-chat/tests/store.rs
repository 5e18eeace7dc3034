//! The chat store without a model: branches, edits, deletes, search, export and import,
//! recovery of replies cut short.

use std::sync::Arc;

use loris_chat::{
    ChatStore, FinishDetails, MessageStatus, NewThread, Outcome, Role, ThreadFile, ThreadSettings,
};
use loris_core::Store;

fn chats() -> ChatStore {
    ChatStore::new(Arc::new(Store::open_in_memory().unwrap()))
}

/// A finished assistant reply to `parent`.
fn reply(chats: &ChatStore, thread: &str, parent: &str, text: &str) -> String {
    let mut reply = chats
        .begin_assistant_message(thread, Some(parent), &ThreadSettings::default())
        .unwrap();
    reply.append_delta(text, "").unwrap();
    reply
        .finish(Outcome::Complete, FinishDetails::default())
        .unwrap()
        .id
}

fn contents(chats: &ChatStore, thread: &str) -> Vec<String> {
    chats
        .view(thread)
        .unwrap()
        .messages
        .into_iter()
        .map(|m| m.content)
        .collect()
}

#[test]
fn fts5_is_compiled_in() {
    let chats = chats();
    let used: bool = chats
        .store()
        .conn()
        .query_row("SELECT sqlite_compileoption_used('ENABLE_FTS5')", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(used);
}

#[test]
fn the_first_user_message_titles_the_thread_and_a_setter_replaces_it() {
    let chats = chats();
    let thread = chats.create_thread(NewThread::default()).unwrap();
    assert_eq!(thread.title, "");
    chats
        .append_user_message(&thread.id, "What is the capital of France?\nThanks")
        .unwrap();
    assert_eq!(
        chats.thread(&thread.id).unwrap().title,
        "What is the capital of France?"
    );
    // A later user message leaves it alone.
    chats.append_user_message(&thread.id, "And Spain?").unwrap();
    assert_eq!(
        chats.thread(&thread.id).unwrap().title,
        "What is the capital of France?"
    );
    let renamed = chats.set_title(&thread.id, "  Capitals  ").unwrap();
    assert_eq!(renamed.title, "Capitals");
    // A thread created with a title keeps it.
    let named = chats
        .create_thread(NewThread {
            title: Some("Mine".into()),
            ..Default::default()
        })
        .unwrap();
    chats.append_user_message(&named.id, "hello").unwrap();
    assert_eq!(chats.thread(&named.id).unwrap().title, "Mine");
}

#[test]
fn threads_list_pinned_first_and_hide_archived() {
    let chats = chats();
    let a = chats.create_thread(NewThread::default()).unwrap();
    let b = chats.create_thread(NewThread::default()).unwrap();
    let c = chats.create_thread(NewThread::default()).unwrap();
    chats.set_pinned(&a.id, true).unwrap();
    chats.set_archived(&b.id, true).unwrap();
    let listed: Vec<String> = chats
        .list_threads(false)
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(listed, vec![a.id.clone(), c.id.clone()]);
    assert_eq!(chats.list_threads(true).unwrap().len(), 3);
    let settings = ThreadSettings {
        system_prompt: Some("Be brief.".into()),
        ..ThreadSettings::greedy()
    };
    assert_eq!(
        chats.set_settings(&c.id, &settings).unwrap().settings,
        settings
    );
    assert_eq!(
        chats.set_title("nope", "x").unwrap_err().code(),
        "not_found"
    );
}

#[test]
fn fork_starts_a_branch_and_siblings_switch_the_active_path() {
    let chats = chats();
    let thread = chats.create_thread(NewThread::default()).unwrap().id;
    let u1 = chats.append_user_message(&thread, "one").unwrap().id;
    let a1 = reply(&chats, &thread, &u1, "reply one");
    let u2 = chats.append_user_message(&thread, "two").unwrap().id;
    let a2 = reply(&chats, &thread, &u2, "reply two");
    assert_eq!(
        contents(&chats, &thread),
        ["one", "reply one", "two", "reply two"]
    );

    // Continue from the first reply: the next message starts a second branch under it.
    chats.fork_at(&a1).unwrap();
    assert_eq!(contents(&chats, &thread), ["one", "reply one"]);
    let u2b = chats.append_user_message(&thread, "two, again").unwrap().id;
    assert_eq!(
        contents(&chats, &thread),
        ["one", "reply one", "two, again"]
    );
    let siblings: Vec<String> = chats
        .siblings(&u2b)
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(siblings, vec![u2.clone(), u2b.clone()]);
    assert_eq!(chats.children(&a1).unwrap().len(), 2);

    // Switching to the older sibling shows its branch down to its newest leaf.
    let leaf = chats.switch_branch(&u2).unwrap();
    assert_eq!(leaf, a2);
    assert_eq!(
        contents(&chats, &thread),
        ["one", "reply one", "two", "reply two"]
    );
    // Roots are siblings too.
    assert_eq!(chats.siblings(&u1).unwrap().len(), 1);
    assert_eq!(chats.path_to(&u2b).unwrap().len(), 3);
}

#[test]
fn editing_a_user_message_adds_a_sibling_ready_for_a_new_reply() {
    let chats = chats();
    let thread = chats.create_thread(NewThread::default()).unwrap().id;
    let u1 = chats
        .append_user_message(&thread, "Capital of Frnace?")
        .unwrap();
    let a1 = reply(&chats, &thread, &u1.id, "Did you mean France?");
    let edited = chats
        .edit_user_message(&u1.id, "Capital of France?")
        .unwrap();
    assert_eq!(edited.parent_id, u1.parent_id);
    assert_eq!(edited.role, Role::User);
    assert_eq!(contents(&chats, &thread), ["Capital of France?"]);
    // Regenerating is a reply under the edited message; the old branch stays reachable.
    let a2 = reply(&chats, &thread, &edited.id, "Paris.");
    assert_eq!(contents(&chats, &thread), ["Capital of France?", "Paris."]);
    assert_eq!(chats.siblings(&u1.id).unwrap().len(), 2);
    assert_eq!(chats.switch_branch(&u1.id).unwrap(), a1);
    // A second reply to the same user message is a sibling of the first.
    let a3 = reply(&chats, &thread, &edited.id, "It is Paris.");
    let replies: Vec<String> = chats
        .siblings(&a3)
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(replies, vec![a2, a3]);
    // Only user messages are edited.
    let err = chats.edit_user_message(&replies[0], "x").unwrap_err();
    assert_eq!(err.code(), "invalid_input");
}

#[test]
fn deleting_a_message_removes_its_subtree_and_moves_the_active_leaf() {
    let chats = chats();
    let thread = chats.create_thread(NewThread::default()).unwrap().id;
    let u1 = chats.append_user_message(&thread, "one").unwrap().id;
    let a1 = reply(&chats, &thread, &u1, "reply one");
    let u2 = chats.append_user_message(&thread, "two").unwrap().id;
    reply(&chats, &thread, &u2, "reply two");
    chats.fork_at(&a1).unwrap();
    let u2b = chats.append_user_message(&thread, "other two").unwrap().id;
    let a2b = reply(&chats, &thread, &u2b, "other reply");
    chats.switch_branch(&u2).unwrap();

    // Deleting the branch on screen shows the remaining one under the same parent.
    chats.delete_message(&u2).unwrap();
    assert_eq!(chats.message(&u2).unwrap_err().code(), "not_found");
    assert_eq!(
        chats.thread(&thread).unwrap().active_leaf_id.as_deref(),
        Some(a2b.as_str())
    );
    assert_eq!(
        contents(&chats, &thread),
        ["one", "reply one", "other two", "other reply"]
    );
    // Deleting the root empties the thread.
    chats.delete_message(&u1).unwrap();
    assert!(chats.view(&thread).unwrap().messages.is_empty());
    let n: i64 = chats
        .store()
        .conn()
        .query_row("SELECT count(*) FROM chat_messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn deleting_a_thread_removes_its_messages_and_their_index() {
    let chats = chats();
    let keep = chats.create_thread(NewThread::default()).unwrap().id;
    chats.append_user_message(&keep, "kept words").unwrap();
    let gone = chats.create_thread(NewThread::default()).unwrap().id;
    let u = chats.append_user_message(&gone, "doomed words").unwrap().id;
    reply(&chats, &gone, &u, "doomed reply");
    chats.delete_thread(&gone).unwrap();
    assert_eq!(chats.thread(&gone).unwrap_err().code(), "not_found");
    assert!(chats.search("doomed", 10).unwrap().is_empty());
    assert_eq!(chats.search("kept", 10).unwrap().len(), 2);
    assert_eq!(chats.delete_thread(&gone).unwrap_err().code(), "not_found");
}

#[test]
fn search_finds_titles_and_messages_with_snippets() {
    let chats = chats();
    let france = chats.create_thread(NewThread::default()).unwrap().id;
    let u = chats
        .append_user_message(&france, "What is the capital of France?")
        .unwrap()
        .id;
    let answer = reply(
        &chats,
        &france,
        &u,
        "The capital of France is Paris, a city on the Seine with many museums.",
    );
    let other = chats.create_thread(NewThread::default()).unwrap().id;
    chats
        .append_user_message(&other, "Write a haiku about the sea")
        .unwrap();

    let hits = chats.search("paris", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].thread_id, france);
    assert_eq!(hits[0].message_id.as_deref(), Some(answer.as_str()));
    assert!(hits[0].snippet.contains("[Paris]"), "{}", hits[0].snippet);

    // The title hit comes first, then the user message with the same words.
    let hits = chats.search("capital fran", 10).unwrap();
    assert_eq!(hits[0].message_id, None);
    assert_eq!(hits[0].snippet, "What is the [capital] of [France]?");
    assert_eq!(hits.len(), 3, "{hits:?}");

    // Streamed text is searchable once flushed; diacritics fold.
    chats.set_title(&other, "Poème de la mer").unwrap();
    assert_eq!(chats.search("poeme", 10).unwrap()[0].thread_id, other);
    // FTS5 syntax in the query is text, not an error.
    assert!(chats.search("\"unbalanced AND (", 10).unwrap().is_empty());
    assert!(chats.search("   ", 10).unwrap().is_empty());
    assert_eq!(chats.search("the", 1).unwrap().len(), 1);
}

#[test]
fn export_import_round_trip_makes_a_copy_with_new_ids() {
    let chats = chats();
    let settings = ThreadSettings {
        system_prompt: Some("You are terse.".into()),
        temperature: 0.2,
        seed: Some(7),
        ..Default::default()
    };
    let thread = chats
        .create_thread(NewThread {
            title: None,
            model: Some("smollm2".into()),
            settings: settings.clone(),
        })
        .unwrap()
        .id;
    let u1 = chats.append_user_message(&thread, "Hello").unwrap().id;
    let mut r = chats
        .begin_assistant_message(&thread, Some(&u1), &settings)
        .unwrap();
    r.append_delta("Hi.", "thinking about it").unwrap();
    r.finish(Outcome::Stopped, FinishDetails::default())
        .unwrap();
    let edited = chats.edit_user_message(&u1, "Hello there").unwrap().id;
    reply(&chats, &thread, &edited, "Hi there.");

    let json = chats.export_thread_json(&thread).unwrap();
    let first = chats.import_thread_json(json.as_bytes()).unwrap();
    let second = chats.import_thread_json(json.as_bytes()).unwrap();
    assert_ne!(first.id, thread);
    assert_ne!(first.id, second.id, "re-importing makes another copy");
    assert_eq!(first.settings, settings);
    assert_eq!(first.model.as_deref(), Some("smollm2"));

    let original: ThreadFile = serde_json::from_str(&json).unwrap();
    let copy = chats.export_thread(&first.id).unwrap();
    assert_eq!(copy.messages.len(), original.messages.len());
    // Same tree and text under new ids.
    let strip = |f: &ThreadFile| {
        f.messages
            .iter()
            .map(|m| {
                let parent = m.parent_id.as_ref().map(|p| {
                    f.messages
                        .iter()
                        .position(|x| &x.id == p)
                        .expect("parent in file")
                });
                (
                    parent,
                    m.role,
                    m.content.clone(),
                    m.reasoning.clone(),
                    m.status,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&copy), strip(&original));
    assert!(
        copy.messages
            .iter()
            .all(|m| original.messages.iter().all(|o| o.id != m.id))
    );
    assert_eq!(contents(&chats, &first.id), ["Hello there", "Hi there."]);
    assert_eq!(first.title, "Hello");

    // Markdown: the active branch; ShareGPT: one line per thread.
    let md = chats.export_thread_markdown(&thread).unwrap();
    assert_eq!(
        md,
        "# Hello\n\n## System\n\nYou are terse.\n\n## User\n\nHello there\n\n## Assistant\n\nHi there.\n"
    );
    let jsonl = chats.export_sharegpt_jsonl().unwrap();
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[0],
        serde_json::json!({"conversations": [
            {"from": "system", "value": "You are terse."},
            {"from": "human", "value": "Hello there"},
            {"from": "gpt", "value": "Hi there."},
        ]})
    );
}

fn counts(chats: &ChatStore) -> [i64; 4] {
    let conn = chats.store().conn();
    let count = |table: &str| -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    [
        count("chat_threads"),
        count("chat_messages"),
        count("chat_thread_fts"),
        count("chat_message_fts"),
    ]
}

#[test]
fn malformed_imports_are_refused_with_their_code_and_change_nothing() {
    let chats = chats();
    let thread = chats.create_thread(NewThread::default()).unwrap().id;
    let u = chats.append_user_message(&thread, "Hello").unwrap().id;
    let a = reply(&chats, &thread, &u, "Hi.");
    reply(&chats, &thread, &u, "Hello!");
    let good: serde_json::Value =
        serde_json::from_str(&chats.export_thread_json(&thread).unwrap()).unwrap();
    let before = counts(&chats);

    let with = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v = good.clone();
        f(&mut v);
        serde_json::to_vec(&v).unwrap()
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated",
            b"{\"format\": \"loris-chat-th".to_vec(),
            "import_not_json",
        ),
        ("not json", b"hello".to_vec(), "import_not_json"),
        (
            "another format",
            br#"{"conversations": []}"#.to_vec(),
            "import_unsupported_format",
        ),
        (
            "future version",
            with(&|v| v["version"] = 2.into()),
            "import_unsupported_format",
        ),
        (
            "missing role",
            with(&|v| {
                v["messages"][1].as_object_mut().unwrap().remove("role");
            }),
            "import_invalid_field",
        ),
        (
            "wrong type",
            with(&|v| v["messages"][0]["content"] = 5.into()),
            "import_invalid_field",
        ),
        (
            "unknown role",
            with(&|v| v["messages"][0]["role"] = "wizard".into()),
            "import_invalid_field",
        ),
        (
            "dangling parent",
            with(&|v| v["messages"][2]["parentId"] = "nowhere".into()),
            "import_dangling_parent",
        ),
        (
            "cycle",
            with(&|v| {
                let first = v["messages"][1]["id"].clone();
                v["messages"][0]["parentId"] = first;
            }),
            "import_cycle",
        ),
        (
            "self parent",
            with(&|v| {
                let own = v["messages"][2]["id"].clone();
                v["messages"][2]["parentId"] = own;
            }),
            "import_cycle",
        ),
        (
            "duplicate id",
            with(&|v| v["messages"][2]["id"] = a.clone().into()),
            "import_duplicate_id",
        ),
        (
            "dangling active leaf",
            with(&|v| v["thread"]["activeLeafId"] = "gone".into()),
            "import_dangling_active_leaf",
        ),
    ];
    for (name, bytes, code) in cases {
        let err = chats.import_thread_json(&bytes).unwrap_err();
        assert_eq!(err.code(), code, "{name}: {err}");
        assert_eq!(counts(&chats), before, "{name} changed the store");
    }
    // The messages name the place in the file.
    let err = chats
        .import_thread_json(&with(&|v| {
            v["messages"][1].as_object_mut().unwrap().remove("role");
        }))
        .unwrap_err();
    assert!(err.to_string().contains("messages[1]"), "{err}");
    assert!(err.to_string().contains("role"), "{err}");
}

#[test]
fn replies_left_streaming_are_interrupted_on_reopen_with_their_text() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("loris.db");
    let (thread, streaming_id) = {
        let chats = ChatStore::new(Arc::new(Store::open(&path).unwrap()));
        let thread = chats.create_thread(NewThread::default()).unwrap().id;
        let u = chats
            .append_user_message(&thread, "Tell me a story")
            .unwrap()
            .id;
        let mut r = chats
            .begin_assistant_message(&thread, Some(&u), &ThreadSettings::default())
            .unwrap();
        r.append_delta("Once upon", "").unwrap();
        r.flush().unwrap();
        let id = r.id().to_owned();
        // As if the process died: the handle never finishes.
        std::mem::forget(r);
        (thread, id)
    };
    let chats = ChatStore::new(Arc::new(Store::open(&path).unwrap()));
    assert_eq!(
        chats.message(&streaming_id).unwrap().status,
        MessageStatus::Streaming
    );
    assert_eq!(chats.recover().unwrap(), vec![streaming_id.clone()]);
    let message = chats.message(&streaming_id).unwrap();
    assert_eq!(message.status, MessageStatus::Interrupted);
    assert_eq!(message.content, "Once upon");
    let view = chats.view(&thread).unwrap();
    assert_eq!(view.messages.last().unwrap().id, streaming_id);
}
