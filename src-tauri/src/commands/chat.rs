//! The Chat page: threads, the messages of the branch on screen with their siblings, and
//! replies that stream to the webview as [`ChatEventMessage`]s.
//!
//! The threads, the message tree and the streaming persistence are `loris-chat`'s; this file
//! keeps the replies in flight (so `chat_stop` can cancel one) and forwards their events.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use loris_chat::{
    ChatEvent, ChatService, ChatStore, Message, MessageStatus, NewThread, SamplingFamily,
    SamplingPreset, SearchHit, SendHandle, Thread, ThreadSettings,
};
use loris_core::ApiError;
use loris_infer::Engine;
use serde::{Deserialize, Serialize};
use tauri::State;
use tokio_util::sync::CancellationToken;

use crate::AppState;

/// Search results returned when the UI gives no limit.
const DEFAULT_SEARCH_LIMIT: usize = 50;

/// Where reply events go: the webview in the app, nowhere in tests.
pub type ChatEmitter = Arc<dyn Fn(ChatEventPayload) + Send + Sync>;

/// The chat service and the replies being written now.
pub struct Chat {
    service: ChatService,
    replies: Mutex<HashMap<String, CancellationToken>>,
    emit: ChatEmitter,
}

impl Chat {
    /// Opens the chat tables and marks replies cut short by an earlier exit `interrupted`.
    pub fn open(store: Arc<loris_core::Store>, emit: ChatEmitter) -> Result<Self, ApiError> {
        let chats = ChatStore::new(store);
        let interrupted = chats.recover()?;
        if !interrupted.is_empty() {
            tracing::info!(
                count = interrupted.len(),
                "replies cut short marked interrupted"
            );
        }
        Ok(Chat {
            service: ChatService::new(chats),
            replies: Mutex::new(HashMap::new()),
            emit,
        })
    }

    /// A chat whose events go nowhere, for tests.
    #[cfg(test)]
    pub fn discarding(store: Arc<loris_core::Store>) -> Self {
        Chat::open(store, Arc::new(|_| {})).expect("a fresh store opens")
    }

    fn chats(&self) -> &ChatStore {
        self.service.chats()
    }

    fn replies(&self) -> std::sync::MutexGuard<'_, HashMap<String, CancellationToken>> {
        // A panic while holding the map leaves it usable: it holds only tokens.
        self.replies
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Remembers the reply's cancel token and forwards its events until it ends. With
    /// `title_with`, a reply that completes the thread's first exchange is followed by a title
    /// that model writes, sent as a `title` event.
    fn track(
        self: &Arc<Self>,
        thread_id: &str,
        handle: SendHandle,
        title_with: Option<Arc<Engine>>,
    ) -> ReplyStarted {
        let started = ReplyStarted {
            user_message_id: handle.user_message_id.clone(),
            assistant_message_id: handle.assistant_message_id.clone(),
        };
        self.replies()
            .insert(handle.assistant_message_id.clone(), handle.cancel.clone());
        let chat = Arc::clone(self);
        let thread_id = thread_id.to_owned();
        let message_id = handle.assistant_message_id.clone();
        let mut events = handle.events;
        tauri::async_runtime::spawn(async move {
            let mut completed = false;
            while let Some(event) = events.recv().await {
                completed = matches!(&event, ChatEvent::Done { message }
                    if message.status == MessageStatus::Complete);
                (chat.emit)(ChatEventPayload::from_event(&thread_id, event));
            }
            chat.replies().remove(&message_id);
            if let (true, Some(engine)) = (completed, title_with) {
                let chat = Arc::clone(&chat);
                let titled = tauri::async_runtime::spawn_blocking(move || {
                    let result = chat.service.title_first_exchange(&thread_id, &engine);
                    (chat, thread_id, result)
                })
                .await;
                match titled {
                    Ok((chat, thread_id, Ok(Some(thread)))) => {
                        (chat.emit)(ChatEventPayload::Title {
                            thread_id,
                            title: thread.title,
                        });
                    }
                    Ok((_, _, Ok(None))) => {}
                    Ok((_, thread_id, Err(e))) => {
                        tracing::warn!(thread = %thread_id, "cannot title the thread: {e}");
                    }
                    Err(e) => tracing::warn!("title task failed: {e}"),
                }
            }
        });
        started
    }

    /// Cancels a reply in flight; `false` when it already ended (or never existed).
    pub fn stop(&self, message_id: &str) -> bool {
        match self.replies().get(message_id) {
            Some(cancel) => {
                cancel.cancel();
                true
            }
            None => false,
        }
    }

    /// The thread with its branch on screen, each message with its alternatives.
    pub fn branch(&self, thread_id: &str) -> Result<ChatBranch, ApiError> {
        let view = self.chats().view(thread_id)?;
        let mut messages = Vec::with_capacity(view.messages.len());
        for message in view.messages {
            let siblings = self.chats().siblings(&message.id)?;
            let sibling_ids: Vec<String> = siblings.into_iter().map(|m| m.id).collect();
            let sibling_index = sibling_ids
                .iter()
                .position(|id| *id == message.id)
                .unwrap_or(0) as u32;
            messages.push(BranchMessage {
                message,
                sibling_ids,
                sibling_index,
            });
        }
        Ok(ChatBranch {
            thread: view.thread,
            messages,
        })
    }

    /// The user message a regeneration answers: an assistant message's parent, or the user
    /// message itself.
    fn prompt_of(&self, message_id: &str) -> Result<Message, ApiError> {
        let message = self.chats().message(message_id)?;
        match message.role {
            loris_chat::Role::User => Ok(message),
            loris_chat::Role::Assistant => match message.parent_id.as_deref() {
                Some(parent) => Ok(self.chats().message(parent)?),
                None => Err(invalid("messageId", "this reply answers no message")),
            },
            other => Err(invalid(
                "messageId",
                &format!("a {} message cannot be regenerated", other.as_str()),
            )),
        }
    }
}

fn invalid(field: &str, reason: &str) -> ApiError {
    ApiError::from(loris_core::Error::invalid(field, reason))
}

/// One reply's stream, as the webview receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChatEventPayload {
    #[serde(rename_all = "camelCase")]
    Delta {
        thread_id: String,
        message_id: String,
        content: String,
        reasoning: String,
    },
    /// The reply as stored: status `complete` or `stopped`, usage and timings.
    #[serde(rename_all = "camelCase")]
    Done {
        thread_id: String,
        message_id: String,
        message: Box<Message>,
    },
    /// Generation failed; the text so far is stored with status `error`.
    #[serde(rename_all = "camelCase")]
    Error {
        thread_id: String,
        message_id: String,
        code: String,
        message: String,
    },
    /// The model titled the thread after its first exchange.
    #[serde(rename_all = "camelCase")]
    Title { thread_id: String, title: String },
}

impl ChatEventPayload {
    fn from_event(thread_id: &str, event: ChatEvent) -> Self {
        let thread_id = thread_id.to_owned();
        match event {
            ChatEvent::Delta {
                message_id,
                content,
                reasoning,
            } => ChatEventPayload::Delta {
                thread_id,
                message_id,
                content,
                reasoning,
            },
            ChatEvent::Done { message } => ChatEventPayload::Done {
                thread_id,
                message_id: message.id.clone(),
                message,
            },
            ChatEvent::Error {
                message_id,
                code,
                message,
            } => ChatEventPayload::Error {
                thread_id,
                message_id,
                code,
                message,
            },
        }
    }
}

/// Reply events bridged to the webview. Ephemeral: the stored message is the record; a page
/// that opens late reads `chat_messages`.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct ChatEventMessage(pub ChatEventPayload);

/// A message of the branch on screen and the alternatives beside it ("2 / 3").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BranchMessage {
    pub message: Message,
    /// This message and its siblings, oldest first.
    pub sibling_ids: Vec<String>,
    /// Where this message is in `sibling_ids`.
    pub sibling_index: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ChatBranch {
    pub thread: Thread,
    pub messages: Vec<BranchMessage>,
}

/// One reply of a comparison and the model writing it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CompareReplyStarted {
    pub model_id: String,
    pub assistant_message_id: String,
}

/// A comparison that has started: one user message, a reply per model (siblings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CompareStarted {
    pub user_message_id: String,
    pub replies: Vec<CompareReplyStarted>,
}

/// A loaded model's recommended sampling and the family it was picked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ModelSamplingDefaults {
    pub family: SamplingFamily,
    pub settings: ThreadSettings,
}

/// The ids of a reply that has started; its text arrives as events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ReplyStarted {
    /// The user message stored first; `None` for a regeneration.
    pub user_message_id: Option<String>,
    pub assistant_message_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// The thread with its whole tree, readable by `chat_import`.
    Json,
    /// The branch on screen as a document.
    Markdown,
    /// Every thread's branch on screen, one ShareGPT conversation per line.
    Sharegpt,
}

fn engine(state: &AppState, model_id: &str) -> Result<Arc<Engine>, ApiError> {
    state
        .models
        .get(model_id)
        .map_err(crate::commands::models::infer_error)
}

#[tauri::command]
#[specta::specta]
pub fn chat_threads_list(
    state: State<'_, AppState>,
    access_token: String,
    include_archived: bool,
) -> Result<Vec<Thread>, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.chat.chats().list_threads(include_archived)?)
}

/// A new, empty thread; its title comes from the first message unless given.
#[tauri::command]
#[specta::specta]
pub fn chat_thread_create(
    state: State<'_, AppState>,
    access_token: String,
    title: Option<String>,
    model: Option<String>,
) -> Result<Thread, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.chat.chats().create_thread(NewThread {
        title: title.filter(|t| !t.trim().is_empty()),
        model,
        settings: ThreadSettings::default(),
    })?)
}

#[tauri::command]
#[specta::specta]
pub fn chat_thread_rename(
    state: State<'_, AppState>,
    access_token: String,
    id: String,
    title: String,
) -> Result<Thread, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.chat.chats().set_title(&id, &title)?)
}

#[tauri::command]
#[specta::specta]
pub fn chat_thread_pin(
    state: State<'_, AppState>,
    access_token: String,
    id: String,
    pinned: bool,
) -> Result<Thread, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.chat.chats().set_pinned(&id, pinned)?)
}

#[tauri::command]
#[specta::specta]
pub fn chat_thread_archive(
    state: State<'_, AppState>,
    access_token: String,
    id: String,
    archived: bool,
) -> Result<Thread, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.chat.chats().set_archived(&id, archived)?)
}

#[tauri::command]
#[specta::specta]
pub fn chat_thread_delete(
    state: State<'_, AppState>,
    access_token: String,
    id: String,
) -> Result<(), ApiError> {
    state.authorize(&access_token)?;
    Ok(state.chat.chats().delete_thread(&id)?)
}

#[tauri::command]
#[specta::specta]
pub fn chat_settings_get(
    state: State<'_, AppState>,
    access_token: String,
    id: String,
) -> Result<ThreadSettings, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.chat.chats().thread(&id)?.settings)
}

#[tauri::command]
#[specta::specta]
pub fn chat_settings_set(
    state: State<'_, AppState>,
    access_token: String,
    id: String,
    settings: ThreadSettings,
) -> Result<Thread, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.chat.chats().set_settings(&id, &settings)?)
}

/// The thread and the messages of its branch on screen, root first, with their siblings.
#[tauri::command]
#[specta::specta]
pub fn chat_messages(
    state: State<'_, AppState>,
    access_token: String,
    thread_id: String,
) -> Result<ChatBranch, ApiError> {
    state.authorize(&access_token)?;
    state.chat.branch(&thread_id)
}

/// Shows the branch through `message_id` (one of a message's siblings).
#[tauri::command]
#[specta::specta]
pub fn chat_switch_branch(
    state: State<'_, AppState>,
    access_token: String,
    message_id: String,
) -> Result<ChatBranch, ApiError> {
    state.authorize(&access_token)?;
    let message = state.chat.chats().message(&message_id)?;
    state.chat.chats().switch_branch(&message_id)?;
    state.chat.branch(&message.thread_id)
}

/// Stores `text` as the next user message and starts the reply with the loaded model
/// `model_id`. The reply's text arrives as `ChatEventMessage`s.
#[tauri::command]
#[specta::specta]
pub fn chat_send(
    state: State<'_, AppState>,
    access_token: String,
    thread_id: String,
    text: String,
    model_id: String,
) -> Result<ReplyStarted, ApiError> {
    state.authorize(&access_token)?;
    if text.trim().is_empty() {
        return Err(invalid("text", "write a message first"));
    }
    let engine = engine(&state, &model_id)?;
    state.chat.chats().set_model(&thread_id, Some(&model_id))?;
    let handle = state.chat.service.send(&thread_id, &text, &engine)?;
    Ok(state.chat.track(&thread_id, handle, Some(engine)))
}

/// Stores `text` once and starts a reply from each of the loaded models `model_ids` (two to
/// four, each once), side by side: sibling replies of the user message, each naming its model
/// in its timings. The replies' text arrives as `ChatEventMessage`s.
#[tauri::command]
#[specta::specta]
pub fn chat_send_compare(
    state: State<'_, AppState>,
    access_token: String,
    thread_id: String,
    text: String,
    model_ids: Vec<String>,
) -> Result<CompareStarted, ApiError> {
    state.authorize(&access_token)?;
    if text.trim().is_empty() {
        return Err(invalid("text", "write a message first"));
    }
    let engines = model_ids
        .iter()
        .map(|id| engine(&state, id))
        .collect::<Result<Vec<_>, _>>()?;
    let models: Vec<(&str, &Engine)> = model_ids
        .iter()
        .map(String::as_str)
        .zip(engines.iter().map(|e| e.as_ref()))
        .collect();
    let replies = state
        .chat
        .service
        .send_compare(&thread_id, &text, &models)?;
    if let Some(first) = model_ids.first() {
        state.chat.chats().set_model(&thread_id, Some(first))?;
    }
    let last = replies.len().saturating_sub(1);
    let mut started = CompareStarted {
        user_message_id: String::new(),
        replies: Vec::with_capacity(replies.len()),
    };
    for (i, (reply, engine)) in replies.into_iter().zip(engines).enumerate() {
        // The last reply is the thread's active leaf: the one whose first exchange is titled.
        let title_with = (i == last).then_some(engine);
        let ids = state.chat.track(&thread_id, reply.handle, title_with);
        started.user_message_id = ids.user_message_id.unwrap_or_default();
        started.replies.push(CompareReplyStarted {
            model_id: reply.model_id,
            assistant_message_id: ids.assistant_message_id,
        });
    }
    Ok(started)
}

/// Stops a reply between tokens; the text so far stays, with status `stopped`. `false` when
/// the reply had already ended.
#[tauri::command]
#[specta::specta]
pub fn chat_stop(
    state: State<'_, AppState>,
    access_token: String,
    message_id: String,
) -> Result<bool, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.chat.stop(&message_id))
}

/// Another reply to the same prompt, beside the earlier ones. `message_id` is the assistant
/// message to redo, or the user message to answer.
#[tauri::command]
#[specta::specta]
pub fn chat_regenerate(
    state: State<'_, AppState>,
    access_token: String,
    message_id: String,
    model_id: String,
) -> Result<ReplyStarted, ApiError> {
    state.authorize(&access_token)?;
    let prompt = state.chat.prompt_of(&message_id)?;
    let engine = engine(&state, &model_id)?;
    let handle = state
        .chat
        .service
        .regenerate(&prompt.thread_id, &prompt.id, &engine)?;
    Ok(state.chat.track(&prompt.thread_id, handle, Some(engine)))
}

/// Edits a user message: a new sibling with `text` (the old branch stays) and a reply to it.
#[tauri::command]
#[specta::specta]
pub fn chat_edit(
    state: State<'_, AppState>,
    access_token: String,
    message_id: String,
    text: String,
    model_id: String,
) -> Result<ReplyStarted, ApiError> {
    state.authorize(&access_token)?;
    if text.trim().is_empty() {
        return Err(invalid("text", "write a message first"));
    }
    let engine = engine(&state, &model_id)?;
    let edited = state.chat.chats().edit_user_message(&message_id, &text)?;
    let handle = state
        .chat
        .service
        .regenerate(&edited.thread_id, &edited.id, &engine)?;
    let mut started = state.chat.track(&edited.thread_id, handle, Some(engine));
    started.user_message_id = Some(edited.id);
    Ok(started)
}

/// "Continue from here": the next message follows `message_id`, a new branch beside any
/// that already follow it.
#[tauri::command]
#[specta::specta]
pub fn chat_fork(
    state: State<'_, AppState>,
    access_token: String,
    message_id: String,
) -> Result<ChatBranch, ApiError> {
    state.authorize(&access_token)?;
    let message = state.chat.chats().fork_at(&message_id)?;
    state.chat.branch(&message.thread_id)
}

/// "Continue from this message" in a new thread: the branch up to `message_id` is copied into
/// a new thread (same model and settings); the original thread is unchanged.
#[tauri::command]
#[specta::specta]
pub fn chat_fork_thread(
    state: State<'_, AppState>,
    access_token: String,
    message_id: String,
) -> Result<Thread, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.chat.chats().fork_to_new_thread(&message_id)?)
}

/// The sampling the loaded model `model_id` is meant to run with, from its family.
#[tauri::command]
#[specta::specta]
pub fn chat_sampling_defaults(
    state: State<'_, AppState>,
    access_token: String,
    model_id: String,
) -> Result<ModelSamplingDefaults, ApiError> {
    state.authorize(&access_token)?;
    let engine = engine(&state, &model_id)?;
    Ok(sampling_defaults(
        &engine.info().architecture.to_string(),
        &model_id,
        &engine.info().path,
    ))
}

fn sampling_defaults(
    architecture: &str,
    model_id: &str,
    path: &std::path::Path,
) -> ModelSamplingDefaults {
    // The id may be the user's own name for the model; the file or folder name says more.
    let name = format!("{model_id} {}", path.display());
    let family = SamplingFamily::detect(architecture, &name);
    ModelSamplingDefaults {
        family,
        settings: family.apply(ThreadSettings::default()),
    }
}

#[tauri::command]
#[specta::specta]
pub fn chat_presets_list(
    state: State<'_, AppState>,
    access_token: String,
) -> Result<Vec<SamplingPreset>, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.chat.chats().sampling_presets()?)
}

/// Saves `settings` as the preset `name` (replacing one of that name); returns the presets.
#[tauri::command]
#[specta::specta]
pub fn chat_preset_save(
    state: State<'_, AppState>,
    access_token: String,
    name: String,
    settings: ThreadSettings,
) -> Result<Vec<SamplingPreset>, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.chat.chats().save_sampling_preset(&name, &settings)?)
}

#[tauri::command]
#[specta::specta]
pub fn chat_preset_delete(
    state: State<'_, AppState>,
    access_token: String,
    name: String,
) -> Result<Vec<SamplingPreset>, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.chat.chats().delete_sampling_preset(&name)?)
}

/// Titles and messages matching `query`, best first.
#[tauri::command]
#[specta::specta]
pub fn chat_search(
    state: State<'_, AppState>,
    access_token: String,
    query: String,
    limit: Option<u32>,
) -> Result<Vec<SearchHit>, ApiError> {
    state.authorize(&access_token)?;
    let limit = limit.map_or(DEFAULT_SEARCH_LIMIT, |l| l as usize);
    Ok(state.chat.chats().search(&query, limit)?)
}

/// The thread as text in `format`; the UI saves it where the user picks.
#[tauri::command]
#[specta::specta]
pub fn chat_export(
    state: State<'_, AppState>,
    access_token: String,
    thread_id: String,
    format: ExportFormat,
) -> Result<String, ApiError> {
    state.authorize(&access_token)?;
    export(state.chat.chats(), &thread_id, format)
}

fn export(chats: &ChatStore, thread_id: &str, format: ExportFormat) -> Result<String, ApiError> {
    Ok(match format {
        ExportFormat::Json => chats.export_thread_json(thread_id)?,
        ExportFormat::Markdown => chats.export_thread_markdown(thread_id)?,
        ExportFormat::Sharegpt => chats.export_sharegpt_jsonl()?,
    })
}

/// A thread export (JSON) as a new thread; a malformed file is refused with its own code and
/// changes nothing.
#[tauri::command]
#[specta::specta]
pub fn chat_import(
    state: State<'_, AppState>,
    access_token: String,
    json: String,
) -> Result<Thread, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.chat.chats().import_thread_json(json.as_bytes())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use loris_chat::Role;

    fn chat() -> (tempfile::TempDir, Arc<Chat>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(loris_core::Store::open(&dir.path().join("loris.db")).unwrap());
        (dir, Arc::new(Chat::discarding(store)))
    }

    #[test]
    fn the_branch_lists_each_message_with_its_siblings() {
        let (_dir, chat) = chat();
        let thread = chat.chats().create_thread(NewThread::default()).unwrap();
        let first = chat
            .chats()
            .append_user_message(&thread.id, "Hello")
            .unwrap();
        let edited = chat.chats().edit_user_message(&first.id, "Hi").unwrap();

        let branch = chat.branch(&thread.id).unwrap();
        assert_eq!(branch.messages.len(), 1);
        let shown = &branch.messages[0];
        assert_eq!(shown.message.id, edited.id);
        assert_eq!(shown.sibling_ids, vec![first.id.clone(), edited.id.clone()]);
        assert_eq!(shown.sibling_index, 1);

        chat.chats().switch_branch(&first.id).unwrap();
        let branch = chat.branch(&thread.id).unwrap();
        assert_eq!(branch.messages[0].message.content, "Hello");
        assert_eq!(branch.messages[0].sibling_index, 0);
    }

    #[test]
    fn a_regeneration_answers_the_user_message() {
        let (_dir, chat) = chat();
        let thread = chat.chats().create_thread(NewThread::default()).unwrap();
        let user = chat.chats().append_user_message(&thread.id, "Hi").unwrap();
        let reply = chat
            .chats()
            .add_message(&thread.id, Some(&user.id), Role::Assistant, "Hello.")
            .unwrap();
        assert_eq!(chat.prompt_of(&reply.id).unwrap().id, user.id);
        assert_eq!(chat.prompt_of(&user.id).unwrap().id, user.id);
        let system = chat
            .chats()
            .add_message(&thread.id, None, Role::System, "Be brief.")
            .unwrap();
        assert_eq!(
            chat.prompt_of(&system.id).unwrap_err().code,
            "invalid_input"
        );
        assert_eq!(chat.prompt_of("nope").unwrap_err().code, "not_found");
    }

    #[test]
    fn stopping_a_reply_that_is_not_running_says_so() {
        let (_dir, chat) = chat();
        assert!(!chat.stop("nope"));
        let cancel = CancellationToken::new();
        chat.replies().insert("m".into(), cancel.clone());
        assert!(chat.stop("m"));
        assert!(cancel.is_cancelled());
    }

    #[test]
    fn a_stream_event_carries_its_thread_and_message() {
        let event = ChatEventPayload::from_event(
            "t",
            ChatEvent::Delta {
                message_id: "m".into(),
                content: "Par".into(),
                reasoning: String::new(),
            },
        );
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "delta", "threadId": "t", "messageId": "m",
                "content": "Par", "reasoning": ""})
        );
    }

    #[test]
    fn a_title_event_names_its_thread() {
        let event = ChatEventPayload::Title {
            thread_id: "t".into(),
            title: "French capitals".into(),
        };
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            serde_json::json!({"type": "title", "threadId": "t", "title": "French capitals"})
        );
    }

    #[test]
    fn sampling_defaults_use_the_file_name_when_the_id_is_the_users() {
        let qwen = sampling_defaults(
            "qwen3",
            "my model",
            std::path::Path::new("/m/Qwen3-4B-Q4.gguf"),
        );
        assert_eq!(qwen.family, SamplingFamily::Qwen3Thinking);
        assert_eq!(qwen.settings.top_k, 20);
        let gemma = sampling_defaults("gemma3", "g", std::path::Path::new("/m/x.gguf"));
        assert_eq!(gemma.settings.temperature, 1.0);
        let other = sampling_defaults("llama", "SmolLM2", std::path::Path::new("/m/s.gguf"));
        assert_eq!(other.family, SamplingFamily::Generic);
    }

    #[test]
    fn forking_into_a_new_thread_and_presets_go_through_the_store() {
        let (_dir, chat) = chat();
        let thread = chat.chats().create_thread(NewThread::default()).unwrap();
        let user = chat.chats().append_user_message(&thread.id, "Hi").unwrap();
        let fork = chat.chats().fork_to_new_thread(&user.id).unwrap();
        assert_eq!(chat.branch(&fork.id).unwrap().messages.len(), 1);
        assert_eq!(chat.chats().list_threads(false).unwrap().len(), 2);
        let presets = chat
            .chats()
            .save_sampling_preset("Exact", &ThreadSettings::greedy())
            .unwrap();
        assert_eq!(presets.len(), 1);
    }

    #[test]
    fn every_export_format_reads_the_store() {
        let (_dir, chat) = chat();
        let thread = chat.chats().create_thread(NewThread::default()).unwrap();
        chat.chats()
            .append_user_message(&thread.id, "What is the capital of France?")
            .unwrap();
        let json = export(chat.chats(), &thread.id, ExportFormat::Json).unwrap();
        assert!(json.contains("loris-chat-thread"));
        let markdown = export(chat.chats(), &thread.id, ExportFormat::Markdown).unwrap();
        assert!(markdown.contains("capital of France"));
        let sharegpt = export(chat.chats(), &thread.id, ExportFormat::Sharegpt).unwrap();
        assert!(sharegpt.contains("capital of France"));
        // The export imports back as a new thread; garbage changes nothing.
        let before = chat.chats().list_threads(true).unwrap().len();
        assert!(chat.chats().import_thread_json(b"{").is_err());
        assert_eq!(chat.chats().list_threads(true).unwrap().len(), before);
        chat.chats().import_thread_json(json.as_bytes()).unwrap();
        assert_eq!(chat.chats().list_threads(true).unwrap().len(), before + 1);
    }
}
