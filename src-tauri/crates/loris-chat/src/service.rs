//! Sending a message: store the user's turn, render the thread's active branch through the
//! model's chat template, queue it on the engine, and persist the reply as it streams while
//! passing its events on. The reply is driven by a thread of its own, so a caller may drop the
//! events and the reply is still written to the end; cancelling keeps the text so far as
//! `stopped`.
//!
//! Tool calls in a finished reply are parsed in the model's own format
//! (`loris_models::tool_calls`) and stored on the message, the text around them as its content.
//! A comparison sends one user message to several models, each reply a sibling of the others.
//! After the first exchange of a thread, [`ChatService::title_first_exchange`] asks the model
//! for a title.

use loris_infer::{
    Engine, FinishReason, GenerateRequest, GenerationEvent, RequestHandle, SamplingParams,
};
use loris_models::ChatRequest;
use loris_models::tool_calls::ToolCallFormat;
use serde::Serialize;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::stream::{FinishDetails, Outcome, StreamingMessage};
use crate::threads::ChatStore;
use crate::title::{TITLE_MAX_TOKENS, generated_title, title_from_text};
use crate::types::{Message, MessageStatus, Role, Thread, ThreadSettings};

/// The key of a reply's `timings` object that names the model that wrote it (a comparison's
/// replies are told apart by it).
pub const MODEL_KEY: &str = "model";

/// A comparison asks at most this many models at once.
pub const MAX_COMPARED: usize = 4;

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

/// One reply of a comparison and the model writing it.
pub struct CompareReply {
    pub model_id: String,
    pub handle: SendHandle,
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
        let mut handle = self.respond(thread_id, &user.id, engine, None)?;
        handle.user_message_id = Some(user.id);
        Ok(handle)
    }

    /// Stores `text` once and starts one reply per model, side by side: the replies are
    /// siblings under the user message (the last one is the thread's active leaf), each with
    /// its model id in its `timings` under [`MODEL_KEY`]. The models run at once, each on its
    /// own engine. Two to [`MAX_COMPARED`] models, each id once. When an engine refuses its
    /// request, the replies already started are stopped and the error is returned.
    pub fn send_compare(
        &self,
        thread_id: &str,
        text: &str,
        models: &[(&str, &Engine)],
    ) -> Result<Vec<CompareReply>> {
        if models.len() < 2 || models.len() > MAX_COMPARED {
            return Err(Error::invalid(
                "models",
                format!("compare two to {MAX_COMPARED} models"),
            ));
        }
        for (i, (id, _)) in models.iter().enumerate() {
            if models[..i].iter().any(|(other, _)| other == id) {
                return Err(Error::invalid(
                    "models",
                    format!("'{id}' is picked twice: compare different models"),
                ));
            }
        }
        let user = self.chats.append_user_message(thread_id, text)?;
        let mut replies: Vec<CompareReply> = Vec::with_capacity(models.len());
        for (model_id, engine) in models {
            match self.respond(thread_id, &user.id, engine, Some(model_id)) {
                Ok(mut handle) => {
                    handle.user_message_id = Some(user.id.clone());
                    replies.push(CompareReply {
                        model_id: (*model_id).to_owned(),
                        handle,
                    });
                }
                Err(e) => {
                    for started in &replies {
                        started.handle.cancel.cancel();
                    }
                    return Err(e);
                }
            }
        }
        Ok(replies)
    }

    /// Replaces the title of a thread whose branch on screen is its first exchange (one user
    /// message and its complete reply) with one `engine` writes, unless the title was already
    /// changed from the first line of the user's message (renamed, or titled before). The
    /// model's answer is cleaned; on failure or an empty answer the first line stays. Blocks
    /// while the model writes (up to [`TITLE_MAX_TOKENS`] tokens, greedy). Returns the thread
    /// when its title was set, `None` when it was not this thread's first exchange.
    pub fn title_first_exchange(&self, thread_id: &str, engine: &Engine) -> Result<Option<Thread>> {
        let view = self.chats.view(thread_id)?;
        let [user, reply] = view.messages.as_slice() else {
            return Ok(None);
        };
        let first_exchange = user.role == Role::User
            && reply.role == Role::Assistant
            && reply.status == MessageStatus::Complete
            && !reply.content.trim().is_empty()
            && view.thread.title == title_from_text(&user.content);
        if !first_exchange {
            return Ok(None);
        }
        let title = generated_title(&user.content, &reply.content, |request| {
            ask_once(engine, &request)
        });
        Ok(Some(self.chats.set_title(thread_id, &title)?))
    }

    /// A new reply to `user_message_id`, beside any earlier ones (which stay as siblings).
    /// Also what follows `ChatStore::edit_user_message`.
    pub fn regenerate(
        &self,
        thread_id: &str,
        user_message_id: &str,
        engine: &Engine,
    ) -> Result<SendHandle> {
        self.respond(thread_id, user_message_id, engine, None)
    }

    fn respond(
        &self,
        thread_id: &str,
        parent_id: &str,
        engine: &Engine,
        model_id: Option<&str>,
    ) -> Result<SendHandle> {
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
        let finish = ReplyFinish {
            tool_format: engine.info().tool_call_format,
            model_id: model_id.map(str::to_owned),
        };
        let spawned = std::thread::Builder::new()
            .name("loris-chat-reply".into())
            .spawn(move || drive(request, reply, finish, tx));
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

/// One short greedy generation, thinking left out: the model's text.
fn ask_once(engine: &Engine, request: &ChatRequest) -> Result<String> {
    let (_, ids) = engine
        .assets()
        .encode_chat(request)
        .map_err(loris_infer::InferError::from)?;
    let generate = GenerateRequest::new(ids, TITLE_MAX_TOKENS, SamplingParams::greedy());
    let output = engine.submit(generate)?.wait(|_| {})?;
    Ok(output.text)
}

/// What the reply's end needs to know besides the engine's output.
struct ReplyFinish {
    /// The tool call format the model's chat template teaches, if any.
    tool_format: Option<ToolCallFormat>,
    /// Recorded in the reply's `timings` under [`MODEL_KEY`].
    model_id: Option<String>,
}

impl ReplyFinish {
    /// The reply's usage and timings, and its tool calls with the text around them when a
    /// complete reply holds any.
    fn details(&self, output: &loris_infer::GenerationOutput, outcome: &Outcome) -> FinishDetails {
        let mut timings = serde_json::to_value(output.timings).ok();
        if let (Some(serde_json::Value::Object(map)), Some(id)) = (&mut timings, &self.model_id) {
            map.insert(MODEL_KEY.to_owned(), serde_json::Value::String(id.clone()));
        }
        let (content, tool_calls) = match (outcome, self.tool_format) {
            (Outcome::Complete, Some(format)) => split_tool_calls(format, &output.text),
            _ => (None, None),
        };
        FinishDetails {
            usage: Some(output.usage.into()),
            timings,
            tool_calls,
            content,
        }
    }
}

/// The text left for the user and the calls, OpenAI-style
/// (`{"id", "type": "function", "function": {"name", "arguments"}}`, the shape chat templates
/// read back); `(None, None)` when the reply calls nothing.
fn split_tool_calls(
    format: ToolCallFormat,
    text: &str,
) -> (Option<String>, Option<serde_json::Value>) {
    let parsed = format.parse(text);
    if parsed.tool_calls.is_empty() {
        return (None, None);
    }
    let calls = parsed
        .tool_calls
        .into_iter()
        .map(|call| {
            serde_json::json!({
                "id": format!("call_{}", uuid::Uuid::new_v4().simple()),
                "type": "function",
                "function": { "name": call.name, "arguments": call.arguments },
            })
        })
        .collect();
    (
        Some(parsed.content.trim().to_owned()),
        Some(serde_json::Value::Array(calls)),
    )
}

/// Reads the engine's events to the end, persisting each and passing it on.
fn drive(
    mut request: RequestHandle,
    mut reply: StreamingMessage,
    finish: ReplyFinish,
    tx: UnboundedSender<ChatEvent>,
) {
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
                let details = finish.details(&output, &outcome);
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

    fn output(text: &str) -> loris_infer::GenerationOutput {
        loris_infer::GenerationOutput {
            text: text.to_owned(),
            reasoning: String::new(),
            tokens: Vec::new(),
            finish_reason: FinishReason::Stop,
            stop_sequence: None,
            usage: Default::default(),
            timings: Default::default(),
        }
    }

    #[test]
    fn tool_calls_are_parsed_from_a_complete_reply() {
        let finish = ReplyFinish {
            tool_format: Some(ToolCallFormat::Qwen),
            model_id: Some("qwen".into()),
        };
        let text = "Let me look.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
        let details = finish.details(&output(text), &Outcome::Complete);
        assert_eq!(details.content.as_deref(), Some("Let me look."));
        let calls = details.tool_calls.unwrap();
        assert_eq!(calls[0]["type"], "function");
        assert_eq!(calls[0]["function"]["name"], "get_weather");
        assert_eq!(calls[0]["function"]["arguments"]["city"], "Paris");
        assert!(calls[0]["id"].as_str().unwrap().starts_with("call_"));
        assert_eq!(details.timings.unwrap()[MODEL_KEY], "qwen");

        // Llama 3: the whole reply is the call.
        let llama = ReplyFinish {
            tool_format: Some(ToolCallFormat::Llama3),
            model_id: None,
        };
        let details = llama.details(
            &output(r#"{"name": "add", "parameters": {"a": 1, "b": 2}}"#),
            &Outcome::Complete,
        );
        assert_eq!(details.content.as_deref(), Some(""));
        assert_eq!(
            details.tool_calls.unwrap()[0]["function"]["arguments"]["b"],
            2
        );
    }

    #[test]
    fn plain_stopped_or_formatless_replies_keep_their_text() {
        let qwen = ReplyFinish {
            tool_format: Some(ToolCallFormat::Qwen),
            model_id: None,
        };
        let plain = qwen.details(&output("Paris."), &Outcome::Complete);
        assert_eq!((plain.content, plain.tool_calls), (None, None));
        assert!(plain.timings.unwrap().get(MODEL_KEY).is_none());
        let call = "<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>";
        let stopped = qwen.details(&output(call), &Outcome::Stopped);
        assert_eq!(stopped.tool_calls, None);
        let none = ReplyFinish {
            tool_format: None,
            model_id: None,
        };
        assert_eq!(
            none.details(&output(call), &Outcome::Complete).tool_calls,
            None
        );
    }
}
