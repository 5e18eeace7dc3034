//! Sending a message: store the user's turn, render the thread's active branch through the
//! model's chat template, queue it on the engine, and persist the reply as it streams while
//! passing its events on. The reply is driven by a thread of its own, so a caller may drop the
//! events and the reply is still written to the end; cancelling keeps the text so far as
//! `stopped`.

use loris_infer::{Engine, FinishReason, GenerateRequest, GenerationEvent, RequestHandle};
use loris_models::ChatRequest;
use serde::Serialize;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

use crate::error::Result;
use crate::stream::{FinishDetails, Outcome, StreamingMessage};
use crate::threads::ChatStore;
use crate::types::{Message, MessageStatus, ThreadSettings};

/// What a caller sees of a reply, in order: deltas, then one `Done` or `Error`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChatEvent {
    Delta {
        message_id: String,
        content: String,
        reasoning: String,
    },
    /// The reply as stored: its status (`complete` or `stopped`), text, usage and timings.
    Done { message: Box<Message> },
    /// Generation or storage failed; the text so far is stored with status `error`.
    Error {
        message_id: String,
        code: String,
        message: String,
    },
}

/// A reply in progress.
pub struct SendHandle {
    /// The user message `send` stored; `None` for a regeneration.
    pub user_message_id: Option<String>,
    pub assistant_message_id: String,
    pub events: UnboundedReceiver<ChatEvent>,
    /// Stops the reply between tokens; its text so far is kept as `stopped`.
    pub cancel: CancellationToken,
}

impl SendHandle {
    /// Blocks until the reply ends and returns its final event (`Done` or `Error`). Not for use
    /// inside an async runtime (read `events` there).
    pub fn wait(mut self) -> Option<ChatEvent> {
        let mut last = None;
        while let Some(event) = self.events.blocking_recv() {
            last = Some(event);
        }
        last
    }
}

/// Chat on top of the store: sending, regenerating.
#[derive(Clone)]
pub struct ChatService {
    chats: ChatStore,
}

impl ChatService {
    pub fn new(chats: ChatStore) -> Self {
        ChatService { chats }
    }

    pub fn chats(&self) -> &ChatStore {
        &self.chats
    }

    /// Stores `text` as a user message after the thread's active leaf and starts the reply.
    /// When the engine refuses the request (full queue, prompt too long) the user message stays
    /// stored without a reply, and the error is returned: `regenerate` can answer it later.
    pub fn send(&self, thread_id: &str, text: &str, engine: &Engine) -> Result<SendHandle> {
        let user = self.chats.append_user_message(thread_id, text)?;
        let mut handle = self.respond(thread_id, &user.id, engine)?;
        handle.user_message_id = Some(user.id);
        Ok(handle)
    }

    /// A new reply to `user_message_id`, beside any earlier ones (which stay as siblings).
    /// Also what follows `ChatStore::edit_user_message`.
    pub fn regenerate(
        &self,
        thread_id: &str,
        user_message_id: &str,
        engine: &Engine,
    ) -> Result<SendHandle> {
        self.respond(thread_id, user_message_id, engine)
    }

    fn respond(&self, thread_id: &str, parent_id: &str, engine: &Engine) -> Result<SendHandle> {
        let thread = self.chats.thread(thread_id)?;
        let path = self.chats.path_to(parent_id)?;
        if path.first().is_some_and(|m| m.thread_id != thread.id) {
            return Err(crate::error::Error::invalid(
                "parent",
                format!("message {parent_id} belongs to another thread"),
            ));
        }
        let settings = thread.settings;
        let request = chat_request(&settings, &path);
        let (_, ids) = engine
            .assets()
            .encode_chat(&request)
            .map_err(loris_infer::InferError::from)?;
        let generate = GenerateRequest::new(ids, settings.max_tokens, settings.sampling());
        // Queued before the row is written, so a refusal (full queue, prompt too long) leaves
        // no empty reply behind.
        let request = engine.submit(generate)?;
        let reply = self
            .chats
            .begin_assistant_message(thread_id, Some(parent_id), &settings)?;
        let assistant_message_id = reply.id().to_owned();
        let cancel = request.cancel.clone();
        let (tx, events) = unbounded_channel();
        let spawned = std::thread::Builder::new()
            .name("loris-chat-reply".into())
            .spawn(move || drive(request, reply, tx));
        if let Err(e) = spawned {
            // The closure (and with it the request and the reply) is gone: the engine cancels
            // a request whose receiver is dropped, and the reply row is left to `recover`.
            tracing::error!("cannot start the reply thread: {e}");
            return Err(crate::error::Error::Internal(format!(
                "cannot start the reply thread: {e}"
            )));
        }
        Ok(SendHandle {
            user_message_id: None,
            assistant_message_id,
            events,
            cancel,
        })
    }
}

/// The thread's system prompt, then the branch's turns, reasoning left out. A reply that
/// failed before writing anything stays as an empty turn: templates that insist on user and
/// assistant turns alternating still render.
fn chat_request(settings: &ThreadSettings, path: &[Message]) -> ChatRequest {
    let mut messages = Vec::with_capacity(path.len() + 1);
    if let Some(system) = settings.system_prompt.as_deref().filter(|s| !s.is_empty()) {
        messages.push(loris_models::chat_template::message("system", system));
    }
    for m in path {
        let mut turn = loris_models::chat_template::message(m.role.as_str(), &m.content);
        if let Some(calls) = &m.tool_calls {
            turn["tool_calls"] = calls.clone();
        }
        messages.push(turn);
    }
    ChatRequest {
        messages,
        add_generation_prompt: true,
        ..Default::default()
    }
}

/// Reads the engine's events to the end, persisting each and passing it on.
fn drive(mut request: RequestHandle, mut reply: StreamingMessage, tx: UnboundedSender<ChatEvent>) {
    let id = reply.id().to_owned();
    let fail = |reply: StreamingMessage, code: &str, message: String| {
        let stored = reply.finish(Outcome::Error(message.clone()), FinishDetails::default());
        if let Err(e) = stored {
            tracing::error!(message = %id, "cannot store a failed reply: {e}");
        }
        // A caller that went away no longer needs the event.
        let _ = tx.send(ChatEvent::Error {
            message_id: id.clone(),
            code: code.to_owned(),
            message,
        });
    };
    loop {
        match request.events.blocking_recv() {
            Some(GenerationEvent::Delta { content, reasoning }) => {
                if let Err(e) = reply.append_delta(&content, &reasoning) {
                    request.cancel.cancel();
                    return fail(reply, e.code(), e.to_string());
                }
                let _ = tx.send(ChatEvent::Delta {
                    message_id: id.clone(),
                    content,
                    reasoning,
                });
            }
            Some(GenerationEvent::Done(output)) => {
                let outcome = if output.finish_reason == FinishReason::Cancelled {
                    Outcome::Stopped
                } else {
                    Outcome::Complete
                };
                let details = FinishDetails {
                    usage: Some(output.usage.into()),
                    timings: serde_json::to_value(output.timings).ok(),
                    tool_calls: None,
                };
                match reply.finish(outcome, details) {
                    Ok(message) => {
                        debug_assert_ne!(message.status, MessageStatus::Streaming);
                        let _ = tx.send(ChatEvent::Done {
                            message: Box::new(message),
                        });
                    }
                    Err(e) => {
                        tracing::error!(message = %id, "cannot store a finished reply: {e}");
                        let _ = tx.send(ChatEvent::Error {
                            message_id: id.clone(),
                            code: e.code().to_owned(),
                            message: e.to_string(),
                        });
                    }
                }
                return;
            }
            Some(GenerationEvent::Error { code, message }) => return fail(reply, &code, message),
            None => {
                let e = loris_infer::InferError::EngineStopped;
                return fail(reply, e.code(), e.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Role;

    fn message(role: Role, content: &str) -> Message {
        Message {
            id: String::new(),
            thread_id: String::new(),
            parent_id: None,
            role,
            content: content.to_owned(),
            reasoning: "hidden".to_owned(),
            tool_calls: None,
            sampling: None,
            usage: None,
            timings: None,
            status: MessageStatus::Complete,
            error: None,
            created_at: 0,
        }
    }

    #[test]
    fn the_prompt_is_the_system_prompt_then_the_branch() {
        let settings = ThreadSettings {
            system_prompt: Some("Be brief.".into()),
            ..Default::default()
        };
        let path = [
            message(Role::User, "Hi"),
            message(Role::Assistant, ""),
            message(Role::User, "Hi?"),
            message(Role::Assistant, "Hello."),
            message(Role::User, "Bye"),
        ];
        let request = chat_request(&settings, &path);
        assert!(request.add_generation_prompt);
        assert_eq!(
            request.messages,
            vec![
                serde_json::json!({"role": "system", "content": "Be brief."}),
                serde_json::json!({"role": "user", "content": "Hi"}),
                serde_json::json!({"role": "assistant", "content": ""}),
                serde_json::json!({"role": "user", "content": "Hi?"}),
                serde_json::json!({"role": "assistant", "content": "Hello."}),
                serde_json::json!({"role": "user", "content": "Bye"}),
            ]
        );
        // No system prompt: the template decides (some add a default one).
        let request = chat_request(&ThreadSettings::default(), &path[4..]);
        assert_eq!(request.messages.len(), 1);
    }
}
