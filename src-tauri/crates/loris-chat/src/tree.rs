//! Messages as a tree: each message has a parent (none for a root), a thread shows one path
//! from a root to its active leaf, and any message can start a new branch. Nothing here
//! deletes a branch unless asked: editing or regenerating adds a sibling.

use rusqlite::{Connection, params};

use crate::db::{self, MESSAGE_COLUMNS, NewMessage, get_message, get_thread, new_id, now_ms};
use crate::error::{Error, Result};
use crate::threads::ChatStore;
use crate::title::title_from_text;
use crate::types::{Message, MessageStatus, Role};

impl ChatStore {
    pub fn message(&self, id: &str) -> Result<Message> {
        get_message(&self.store.conn(), id)
    }

    /// Adds a finished message as a child of `parent_id` (a root when `None`) and makes it the
    /// thread's active leaf. The first user message of an untitled thread titles it.
    pub fn add_message(
        &self,
        thread_id: &str,
        parent_id: Option<&str>,
        role: Role,
        content: &str,
    ) -> Result<Message> {
        let mut conn = self.store.conn();
        let tx = conn.transaction()?;
        let id = add_message_in(&tx, thread_id, parent_id, role, content)?;
        tx.commit()?;
        get_message(&conn, &id)
    }

    /// Adds a user message after the thread's active leaf.
    pub fn append_user_message(&self, thread_id: &str, content: &str) -> Result<Message> {
        let leaf = self.thread(thread_id)?.active_leaf_id;
        self.add_message(thread_id, leaf.as_deref(), Role::User, content)
    }

    /// The messages of the branch from its root to `message_id`, root first.
    pub fn path_to(&self, message_id: &str) -> Result<Vec<Message>> {
        let conn = self.store.conn();
        get_message(&conn, message_id)?;
        db::path_to(&conn, message_id)
    }

    /// `message_id` and its siblings (the messages with the same parent in the same thread),
    /// oldest first: the alternatives a branch switcher shows as "2 / 3".
    pub fn siblings(&self, message_id: &str) -> Result<Vec<Message>> {
        let conn = self.store.conn();
        let message = get_message(&conn, message_id)?;
        let mut stmt = conn.prepare(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM chat_messages m
             WHERE m.thread_id = ?1 AND m.parent_id IS ?2 ORDER BY m.seq"
        ))?;
        let siblings = stmt
            .query_map(
                params![message.thread_id, message.parent_id],
                db::message_from_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(siblings)
    }

    /// The children of `message_id`, oldest first.
    pub fn children(&self, message_id: &str) -> Result<Vec<Message>> {
        let conn = self.store.conn();
        get_message(&conn, message_id)?;
        let mut stmt = conn.prepare(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM chat_messages m WHERE m.parent_id = ?1 ORDER BY m.seq"
        ))?;
        let children = stmt
            .query_map([message_id], db::message_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(children)
    }

    /// Shows the branch through `message_id`: the active leaf becomes the newest leaf below it.
    /// Returns the new active leaf.
    pub fn switch_branch(&self, message_id: &str) -> Result<String> {
        let conn = self.store.conn();
        let message = get_message(&conn, message_id)?;
        let leaf = db::newest_leaf_under(&conn, message_id)?;
        db::set_active_leaf(&conn, &message.thread_id, Some(&leaf))?;
        Ok(leaf)
    }

    /// "Continue from this message": makes `message_id` the active leaf, so the next message
    /// is its child, a new branch beside any it already has.
    pub fn fork_at(&self, message_id: &str) -> Result<Message> {
        let conn = self.store.conn();
        let message = get_message(&conn, message_id)?;
        db::set_active_leaf(&conn, &message.thread_id, Some(message_id))?;
        Ok(message)
    }

    /// Edits a user message the non-destructive way: a new sibling with `content`, made the
    /// active leaf (ready for a reply); the old message and its branch stay.
    pub fn edit_user_message(&self, message_id: &str, content: &str) -> Result<Message> {
        let mut conn = self.store.conn();
        let tx = conn.transaction()?;
        let old = get_message(&tx, message_id)?;
        if old.role != Role::User {
            return Err(Error::invalid(
                "message",
                format!(
                    "only user messages are edited; this one is {}",
                    old.role.as_str()
                ),
            ));
        }
        let id = add_message_in(
            &tx,
            &old.thread_id,
            old.parent_id.as_deref(),
            Role::User,
            content,
        )?;
        tx.commit()?;
        get_message(&conn, &id)
    }

    /// Deletes `message_id` and every message below it. When the active leaf was among them,
    /// the thread shows the newest remaining branch under the deleted message's parent.
    pub fn delete_message(&self, message_id: &str) -> Result<()> {
        let mut conn = self.store.conn();
        let tx = conn.transaction()?;
        let message = get_message(&tx, message_id)?;
        let thread = get_thread(&tx, &message.thread_id)?;
        // One statement, so the parent links are checked only once the whole subtree is gone.
        tx.execute(
            "WITH RECURSIVE sub(id) AS (
                 SELECT ?1
                 UNION ALL
                 SELECT m.id FROM chat_messages m JOIN sub ON m.parent_id = sub.id
             )
             DELETE FROM chat_messages WHERE id IN (SELECT id FROM sub)",
            [message_id],
        )?;
        let leaf_gone = match &thread.active_leaf_id {
            Some(leaf) => !exists(&tx, leaf)?,
            None => false,
        };
        if leaf_gone {
            let leaf = match &message.parent_id {
                Some(parent) => Some(db::newest_leaf_under(&tx, parent)?),
                None => db::newest_leaf_of_thread(&tx, &thread.id)?,
            };
            db::set_active_leaf(&tx, &thread.id, leaf.as_deref())?;
        }
        tx.commit()?;
        Ok(())
    }
}

fn exists(conn: &Connection, message_id: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM chat_messages WHERE id = ?1)",
        [message_id],
        |row| row.get(0),
    )?)
}

/// Checks that `parent_id` is a message of `thread_id`.
pub(crate) fn check_parent(conn: &Connection, thread_id: &str, parent_id: &str) -> Result<()> {
    let parent = get_message(conn, parent_id)?;
    if parent.thread_id != thread_id {
        return Err(Error::invalid(
            "parent",
            format!("message {parent_id} belongs to another thread"),
        ));
    }
    Ok(())
}

/// Inserts a complete message, makes it the active leaf, and titles an untitled thread from
/// its first user message.
fn add_message_in(
    conn: &Connection,
    thread_id: &str,
    parent_id: Option<&str>,
    role: Role,
    content: &str,
) -> Result<String> {
    let thread = get_thread(conn, thread_id)?;
    if let Some(parent) = parent_id {
        check_parent(conn, thread_id, parent)?;
    }
    let id = new_id();
    db::insert_message(
        conn,
        &NewMessage {
            id: &id,
            thread_id,
            parent_id,
            role,
            content,
            reasoning: "",
            sampling: None,
            status: MessageStatus::Complete,
            created_at: now_ms(),
        },
    )?;
    db::set_active_leaf(conn, thread_id, Some(&id))?;
    if role == Role::User && thread.title.is_empty() {
        conn.execute(
            "UPDATE chat_threads SET title = ?2 WHERE id = ?1",
            params![thread_id, title_from_text(content)],
        )?;
    }
    Ok(id)
}
