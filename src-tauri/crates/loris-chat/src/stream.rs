//! Persisting a reply while it is generated. The message is written at once with status
//! `streaming`; text arrives in deltas that are buffered and appended to the row at most every
//! [`FlushPolicy::interval`] or [`FlushPolicy::max_chars`], so a crash loses at most that much;
//! `finish` writes the rest with the final status, usage and timings. Rows still `streaming` at
//! start-up belonged to a process that ended mid-reply: [`ChatStore::recover`] marks them
//! `interrupted`, keeping their text.

use std::sync::Arc;
use std::time::Instant;

use loris_core::Store;
use rusqlite::params;

use crate::db::{self, NewMessage, get_message, new_id, now_ms, to_json};
use crate::error::Result;
use crate::threads::{ChatStore, FlushPolicy};
use crate::tree::check_parent;
use crate::types::{Message, MessageStatus, Role, ThreadSettings, TokenUsage};

/// How a reply ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Complete,
    /// Stopped by the user; the text so far is kept.
    Stopped,
    /// Generation failed, for this reason; the text so far is kept.
    Error(String),
}

/// What `finish` records beside the outcome.
#[derive(Debug, Clone, Default)]
pub struct FinishDetails {
    pub usage: Option<TokenUsage>,
    /// `loris_infer::Timings` (or any JSON object a front door wants kept).
    pub timings: Option<serde_json::Value>,
    pub tool_calls: Option<serde_json::Value>,
    /// The whole reply text, replacing what was streamed: set when tool calls were parsed out
    /// of it, so the stored text is what remains for the user (and a re-rendered prompt does
    /// not carry each call twice, as text and as a call).
    pub content: Option<String>,
}

/// A reply being written. Dropping it without `finish` writes the pending text and leaves the
/// status `streaming`, for `recover` to settle.
pub struct StreamingMessage {
    store: Arc<Store>,
    id: String,
    policy: FlushPolicy,
    pending_content: String,
    pending_reasoning: String,
    /// Characters waiting to be written.
    pending_chars: usize,
    oldest_pending: Option<Instant>,
    finished: bool,
}

impl ChatStore {
    /// Writes an empty assistant message (status `streaming`) as a child of `parent_id`, makes
    /// it the active leaf, and returns the handle that appends to it.
    pub fn begin_assistant_message(
        &self,
        thread_id: &str,
        parent_id: Option<&str>,
        settings: &ThreadSettings,
    ) -> Result<StreamingMessage> {
        let mut conn = self.store.conn();
        let tx = conn.transaction()?;
        db::get_thread(&tx, thread_id)?;
        if let Some(parent) = parent_id {
            check_parent(&tx, thread_id, parent)?;
        }
        let id = new_id();
        db::insert_message(
            &tx,
            &NewMessage {
                id: &id,
                thread_id,
                parent_id,
                role: Role::Assistant,
                content: "",
                reasoning: "",
                sampling: Some(settings),
                status: MessageStatus::Streaming,
                created_at: now_ms(),
            },
        )?;
        db::set_active_leaf(&tx, thread_id, Some(&id))?;
        tx.commit()?;
        Ok(StreamingMessage {
            store: Arc::clone(&self.store),
            id,
            policy: self.flush,
            pending_content: String::new(),
            pending_reasoning: String::new(),
            pending_chars: 0,
            oldest_pending: None,
            finished: false,
        })
    }

    /// Marks every message still `streaming` as `interrupted`, keeping its text: call once at
    /// start-up, before any reply begins. Returns their ids.
    pub fn recover(&self) -> Result<Vec<String>> {
        let mut conn = self.store.conn();
        let tx = conn.transaction()?;
        let ids = {
            let mut stmt =
                tx.prepare("SELECT id FROM chat_messages WHERE status = 'streaming' ORDER BY seq")?;
            stmt.query_map([], |row| row.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?
        };
        tx.execute(
            "UPDATE chat_messages SET status = 'interrupted',
                 error = 'the application stopped while this reply was being written'
             WHERE status = 'streaming'",
            [],
        )?;
        tx.commit()?;
        for id in &ids {
            tracing::warn!(message = %id, "reply was interrupted by an earlier shutdown");
        }
        Ok(ids)
    }
}

impl StreamingMessage {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Adds text to the reply; it reaches SQLite when the flush policy says so (checked as
    /// deltas arrive: a generation sends one per token or so).
    pub fn append_delta(&mut self, content: &str, reasoning: &str) -> Result<()> {
        if content.is_empty() && reasoning.is_empty() {
            return Ok(());
        }
        self.pending_content.push_str(content);
        self.pending_reasoning.push_str(reasoning);
        self.pending_chars += content.chars().count() + reasoning.chars().count();
        let oldest = *self.oldest_pending.get_or_insert_with(Instant::now);
        if self.pending_chars >= self.policy.max_chars || oldest.elapsed() >= self.policy.interval {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the pending text now.
    pub fn flush(&mut self) -> Result<()> {
        if self.pending_content.is_empty() && self.pending_reasoning.is_empty() {
            return Ok(());
        }
        self.store.conn().execute(
            "UPDATE chat_messages SET content = content || ?2, reasoning = reasoning || ?3
             WHERE id = ?1",
            params![self.id, self.pending_content, self.pending_reasoning],
        )?;
        self.pending_content.clear();
        self.pending_reasoning.clear();
        self.pending_chars = 0;
        self.oldest_pending = None;
        Ok(())
    }

    /// Writes the rest of the text and the final state in one statement.
    pub fn finish(mut self, outcome: Outcome, details: FinishDetails) -> Result<Message> {
        let (status, error) = match outcome {
            Outcome::Complete => (MessageStatus::Complete, None),
            Outcome::Stopped => (MessageStatus::Stopped, None),
            Outcome::Error(reason) => (MessageStatus::Error, Some(reason)),
        };
        let usage = details.usage;
        let timings = details
            .timings
            .as_ref()
            .map(|t| to_json("timings", t))
            .transpose()?;
        let tool_calls = details
            .tool_calls
            .as_ref()
            .map(|t| to_json("tool calls", t))
            .transpose()?;
        let (content_sql, content) = match details.content {
            Some(whole) => ("content = ?2", whole),
            // Cloned, not taken: if the write fails, `Drop` still flushes the pending text.
            None => ("content = content || ?2", self.pending_content.clone()),
        };
        let conn = self.store.conn();
        conn.execute(
            &format!(
                "UPDATE chat_messages SET {content_sql}, reasoning = reasoning || ?3,
                 status = ?4, error = ?5, prompt_tokens = ?6, completion_tokens = ?7,
                 cached_tokens = ?8, timings = ?9, tool_calls = ?10
             WHERE id = ?1"
            ),
            params![
                self.id,
                content,
                self.pending_reasoning,
                status.as_str(),
                error,
                usage.map(|u| u.prompt_tokens as i64),
                usage.map(|u| u.completion_tokens as i64),
                usage.map(|u| u.cached_tokens as i64),
                timings,
                tool_calls
            ],
        )?;
        let message = get_message(&conn, &self.id)?;
        drop(conn);
        self.pending_content.clear();
        self.finished = true;
        Ok(message)
    }
}

impl Drop for StreamingMessage {
    fn drop(&mut self) {
        if !self.finished
            && let Err(e) = self.flush()
        {
            tracing::warn!(message = %self.id, "cannot write the rest of a reply: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threads::NewThread;

    fn chats(max_chars: usize) -> ChatStore {
        let store = Arc::new(Store::open_in_memory().unwrap());
        ChatStore::new(store).with_flush_policy(FlushPolicy {
            interval: std::time::Duration::from_secs(3600),
            max_chars,
        })
    }

    #[test]
    fn deltas_reach_the_row_once_enough_text_waits() {
        let chats = chats(10);
        let thread = chats.create_thread(NewThread::default()).unwrap();
        let user = chats.append_user_message(&thread.id, "hi").unwrap();
        let mut reply = chats
            .begin_assistant_message(&thread.id, Some(&user.id), &ThreadSettings::greedy())
            .unwrap();
        reply.append_delta("Hello", "").unwrap();
        assert_eq!(chats.message(reply.id()).unwrap().content, "");
        reply.append_delta(" there", "mm").unwrap();
        let row = chats.message(reply.id()).unwrap();
        assert_eq!(row.content, "Hello there");
        assert_eq!(row.reasoning, "mm");
        assert_eq!(row.status, MessageStatus::Streaming);
        reply.append_delta("!", "").unwrap();
        let done = reply
            .finish(
                Outcome::Complete,
                FinishDetails {
                    usage: Some(TokenUsage {
                        prompt_tokens: 5,
                        completion_tokens: 3,
                        cached_tokens: 1,
                    }),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(done.content, "Hello there!");
        assert_eq!(done.status, MessageStatus::Complete);
        assert_eq!(done.usage.unwrap().completion_tokens, 3);
        assert_eq!(done.sampling, Some(ThreadSettings::greedy()));
        assert_eq!(
            chats.view(&thread.id).unwrap().thread.active_leaf_id,
            Some(done.id)
        );
    }

    #[test]
    fn finishing_with_whole_content_replaces_the_streamed_text() {
        let chats = chats(1);
        let thread = chats.create_thread(NewThread::default()).unwrap();
        let user = chats.append_user_message(&thread.id, "weather?").unwrap();
        let mut reply = chats
            .begin_assistant_message(&thread.id, Some(&user.id), &ThreadSettings::default())
            .unwrap();
        reply
            .append_delta("Checking. <tool_call>{}</tool_call>", "")
            .unwrap();
        let calls = serde_json::json!([{"type": "function", "function": {"name": "f"}}]);
        let done = reply
            .finish(
                Outcome::Complete,
                FinishDetails {
                    content: Some("Checking.".into()),
                    tool_calls: Some(calls.clone()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(done.content, "Checking.");
        assert_eq!(done.tool_calls, Some(calls));
    }

    #[test]
    fn an_unfinished_reply_is_flushed_on_drop_and_recovered_as_interrupted() {
        let chats = chats(1000);
        let thread = chats.create_thread(NewThread::default()).unwrap();
        let user = chats.append_user_message(&thread.id, "hi").unwrap();
        let mut reply = chats
            .begin_assistant_message(&thread.id, Some(&user.id), &ThreadSettings::default())
            .unwrap();
        reply.append_delta("partial", "").unwrap();
        let id = reply.id().to_owned();
        drop(reply);
        assert_eq!(chats.recover().unwrap(), vec![id.clone()]);
        let row = chats.message(&id).unwrap();
        assert_eq!(row.status, MessageStatus::Interrupted);
        assert_eq!(row.content, "partial");
        assert!(row.error.is_some());
        // Only once: a second start-up finds nothing.
        assert!(chats.recover().unwrap().is_empty());
    }
}
