//! Threads: create, list, rename, pin, archive, settings, delete.

use std::sync::Arc;
use std::time::Duration;

use loris_core::Store;
use rusqlite::params;

use crate::db::{self, THREAD_COLUMNS, get_thread, new_id, now_ms, to_json};
use crate::error::{Error, Result};
use crate::types::{Thread, ThreadSettings, ThreadView};

/// Titles longer than this are refused from a user; generated ones are cut to
/// [`crate::title::TITLE_CHARS`].
const MAX_TITLE_CHARS: usize = 500;

/// How often a streaming reply's text is written to SQLite: a crash loses at most this much.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushPolicy {
    /// Pending text is written once it is this old...
    pub interval: Duration,
    /// ...or once this many characters wait, whichever comes first.
    pub max_chars: usize,
}

impl Default for FlushPolicy {
    fn default() -> Self {
        FlushPolicy {
            interval: Duration::from_millis(250),
            max_chars: 512,
        }
    }
}

/// What a new thread starts with. An empty title is filled from the first user message.
#[derive(Debug, Clone, Default)]
pub struct NewThread {
    pub title: Option<String>,
    pub model: Option<String>,
    pub settings: ThreadSettings,
}

/// The chat tables of the store: threads and their message trees.
#[derive(Clone)]
pub struct ChatStore {
    pub(crate) store: Arc<Store>,
    pub(crate) flush: FlushPolicy,
}

impl ChatStore {
    pub fn new(store: Arc<Store>) -> Self {
        ChatStore {
            store,
            flush: FlushPolicy::default(),
        }
    }

    /// The same store with another flush policy for streaming replies.
    pub fn with_flush_policy(mut self, flush: FlushPolicy) -> Self {
        self.flush = flush;
        self
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn create_thread(&self, new: NewThread) -> Result<Thread> {
        let title = match new.title {
            Some(title) => checked_title(&title)?,
            None => String::new(),
        };
        let id = new_id();
        let now = now_ms();
        let conn = self.store.conn();
        conn.execute(
            "INSERT INTO chat_threads(id, title, model, settings, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            params![
                id,
                title,
                new.model,
                to_json("thread settings", &new.settings)?,
                now
            ],
        )?;
        get_thread(&conn, &id)
    }

    pub fn thread(&self, id: &str) -> Result<Thread> {
        get_thread(&self.store.conn(), id)
    }

    /// Threads for the sidebar: pinned first, then the most recently updated.
    pub fn list_threads(&self, include_archived: bool) -> Result<Vec<Thread>> {
        let conn = self.store.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {THREAD_COLUMNS} FROM chat_threads t WHERE ?1 OR t.archived = 0
             ORDER BY t.pinned DESC, t.updated_at DESC, t.seq DESC"
        ))?;
        let threads = stmt
            .query_map([include_archived], db::thread_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(threads)
    }

    /// A thread with the messages of its active branch, root first.
    pub fn view(&self, id: &str) -> Result<ThreadView> {
        let conn = self.store.conn();
        let thread = get_thread(&conn, id)?;
        let messages = match &thread.active_leaf_id {
            Some(leaf) => db::path_to(&conn, leaf)?,
            None => Vec::new(),
        };
        Ok(ThreadView { thread, messages })
    }

    /// Replaces the title (the user's, or one a model wrote from the first exchange).
    pub fn set_title(&self, id: &str, title: &str) -> Result<Thread> {
        let title = checked_title(title)?;
        self.update_thread(id, "title = ?2", params![id, title])
    }

    pub fn set_pinned(&self, id: &str, pinned: bool) -> Result<Thread> {
        self.update_thread(id, "pinned = ?2", params![id, pinned])
    }

    pub fn set_archived(&self, id: &str, archived: bool) -> Result<Thread> {
        self.update_thread(id, "archived = ?2", params![id, archived])
    }

    pub fn set_model(&self, id: &str, model: Option<&str>) -> Result<Thread> {
        self.update_thread(id, "model = ?2", params![id, model])
    }

    pub fn set_settings(&self, id: &str, settings: &ThreadSettings) -> Result<Thread> {
        let json = to_json("thread settings", settings)?;
        self.update_thread(id, "settings = ?2", params![id, json])
    }

    fn update_thread(&self, id: &str, set: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Thread> {
        let conn = self.store.conn();
        let sql = format!(
            "UPDATE chat_threads SET {set}, updated_at = {} WHERE id = ?1",
            now_ms()
        );
        if conn.execute(&sql, args)? == 0 {
            return Err(Error::not_found("thread", id));
        }
        get_thread(&conn, id)
    }

    /// Deletes a thread and all of its messages.
    pub fn delete_thread(&self, id: &str) -> Result<()> {
        let mut conn = self.store.conn();
        let tx = conn.transaction()?;
        // The active leaf first, so no row points at a message while the messages go.
        let found = tx.execute(
            "UPDATE chat_threads SET active_leaf_id = NULL WHERE id = ?1",
            [id],
        )?;
        if found == 0 {
            return Err(Error::not_found("thread", id));
        }
        tx.execute("DELETE FROM chat_messages WHERE thread_id = ?1", [id])?;
        tx.execute("DELETE FROM chat_threads WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(())
    }
}

fn checked_title(title: &str) -> Result<String> {
    let title = title.trim();
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(Error::invalid(
            "title",
            format!("at most {MAX_TITLE_CHARS} characters"),
        ));
    }
    Ok(title.to_owned())
}
