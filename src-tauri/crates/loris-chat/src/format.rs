//! The thread export file: one thread with its whole message tree and settings. Import reads
//! the same file. Fields an older or hand-written file may lack have defaults; the ones that
//! carry the conversation (ids, roles, text, times) are required.

use serde::{Deserialize, Serialize};

use crate::types::{MessageStatus, Role, ThreadSettings, TokenUsage};

/// The `format` field of every thread export.
pub const THREAD_FORMAT: &str = "loris-chat-thread";
/// The version this build writes and reads.
pub const THREAD_FORMAT_VERSION: u64 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadFile {
    pub format: String,
    pub version: u64,
    pub thread: ThreadRecord,
    /// Parents before children.
    pub messages: Vec<MessageRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadRecord {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub pinned: bool,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub settings: ThreadSettings,
    #[serde(default)]
    pub active_leaf_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRecord {
    pub id: String,
    #[serde(default)]
    pub parent_id: Option<String>,
    pub role: Role,
    pub content: String,
    #[serde(default)]
    pub reasoning: String,
    #[serde(default)]
    pub tool_calls: Option<serde_json::Value>,
    #[serde(default)]
    pub sampling: Option<ThreadSettings>,
    #[serde(default)]
    pub usage: Option<TokenUsage>,
    #[serde(default)]
    pub timings: Option<serde_json::Value>,
    #[serde(default = "complete")]
    pub status: MessageStatus,
    #[serde(default)]
    pub error: Option<String>,
    pub created_at: i64,
}

fn complete() -> MessageStatus {
    MessageStatus::Complete
}
