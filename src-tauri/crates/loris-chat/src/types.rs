//! The records a front door sees: threads, messages, their settings and states.

use loris_infer::SamplingParams;
use serde::{Deserialize, Serialize};

/// A thread's generation settings: its system prompt and sampling. Every field has a default,
/// so settings stored by an older build (or written by hand) still read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(default, rename_all = "camelCase")]
pub struct ThreadSettings {
    /// `None` leaves the system turn to the chat template (some add a default one).
    pub system_prompt: Option<String>,
    pub temperature: f32,
    pub top_p: f32,
    #[specta(type = specta_typescript::Number)]
    pub top_k: usize,
    pub min_p: f32,
    pub repetition_penalty: f32,
    pub presence_penalty: f32,
    pub frequency_penalty: f32,
    #[specta(type = specta_typescript::Number)]
    pub max_tokens: usize,
    #[specta(type = Option<specta_typescript::Number>)]
    pub seed: Option<u64>,
}

/// Replies longer than this are cut unless the thread says otherwise.
pub const DEFAULT_MAX_TOKENS: usize = 1024;

impl Default for ThreadSettings {
    fn default() -> Self {
        let s = SamplingParams::default();
        ThreadSettings {
            system_prompt: None,
            temperature: s.temperature,
            top_p: s.top_p,
            top_k: s.top_k,
            min_p: s.min_p,
            repetition_penalty: s.repetition_penalty,
            presence_penalty: s.presence_penalty,
            frequency_penalty: s.frequency_penalty,
            max_tokens: DEFAULT_MAX_TOKENS,
            seed: None,
        }
    }
}

impl ThreadSettings {
    /// Greedy decoding (temperature 0): the same prompt always gives the same reply.
    pub fn greedy() -> Self {
        ThreadSettings {
            temperature: 0.0,
            ..Default::default()
        }
    }

    pub fn sampling(&self) -> SamplingParams {
        SamplingParams {
            temperature: self.temperature,
            top_p: self.top_p,
            top_k: self.top_k,
            min_p: self.min_p,
            repetition_penalty: self.repetition_penalty,
            presence_penalty: self.presence_penalty,
            frequency_penalty: self.frequency_penalty,
            seed: self.seed,
            ..SamplingParams::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Thread {
    pub id: String,
    pub title: String,
    /// The model id or path the thread talks to.
    pub model: Option<String>,
    pub pinned: bool,
    pub archived: bool,
    pub settings: ThreadSettings,
    /// The last message of the branch on screen; `None` for an empty thread.
    pub active_leaf_id: Option<String>,
    /// Unix milliseconds.
    #[specta(type = specta_typescript::Number)]
    pub created_at: i64,
    #[specta(type = specta_typescript::Number)]
    pub updated_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "system" => Some(Role::System),
            "user" => Some(Role::User),
            "assistant" => Some(Role::Assistant),
            "tool" => Some(Role::Tool),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Complete,
    /// Being written now (or, found at start-up, cut short: see `ChatStore::recover`).
    Streaming,
    /// The user stopped it; the text so far is kept.
    Stopped,
    /// The application ended while it was being written; the text so far is kept.
    Interrupted,
    /// Generation failed; `error` says why.
    Error,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Complete => "complete",
            MessageStatus::Streaming => "streaming",
            MessageStatus::Stopped => "stopped",
            MessageStatus::Interrupted => "interrupted",
            MessageStatus::Error => "error",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "complete" => Some(MessageStatus::Complete),
            "streaming" => Some(MessageStatus::Streaming),
            "stopped" => Some(MessageStatus::Stopped),
            "interrupted" => Some(MessageStatus::Interrupted),
            "error" => Some(MessageStatus::Error),
            _ => None,
        }
    }
}

/// Token counts of one reply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    #[specta(type = specta_typescript::Number)]
    pub prompt_tokens: u64,
    #[specta(type = specta_typescript::Number)]
    pub completion_tokens: u64,
    /// Prompt tokens reused from the engine's cache.
    #[specta(type = specta_typescript::Number)]
    pub cached_tokens: u64,
}

impl From<loris_infer::Usage> for TokenUsage {
    fn from(u: loris_infer::Usage) -> Self {
        TokenUsage {
            prompt_tokens: u.prompt_tokens as u64,
            completion_tokens: u.completion_tokens as u64,
            cached_tokens: u.cached_tokens as u64,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
    pub thread_id: String,
    /// `None` for the first message of a branch root.
    pub parent_id: Option<String>,
    pub role: Role,
    pub content: String,
    pub reasoning: String,
    #[specta(type = Option<loris_core::json_type::JsonValue>)]
    pub tool_calls: Option<serde_json::Value>,
    /// The settings the reply was generated with (assistant messages).
    pub sampling: Option<ThreadSettings>,
    pub usage: Option<TokenUsage>,
    /// `loris_infer::Timings` as JSON (time to first token, tokens per second, ...).
    #[specta(type = Option<loris_core::json_type::JsonValue>)]
    pub timings: Option<serde_json::Value>,
    pub status: MessageStatus,
    /// Why generation failed or was cut short.
    pub error: Option<String>,
    /// Unix milliseconds.
    #[specta(type = specta_typescript::Number)]
    pub created_at: i64,
}

/// A thread with the messages of its active branch, root first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ThreadView {
    pub thread: Thread,
    pub messages: Vec<Message>,
}

/// One search hit: a title (`message_id` is `None`) or a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub thread_id: String,
    pub message_id: Option<String>,
    /// The matching text around the hit, matches wrapped in `[` and `]`.
    pub snippet: String,
}
