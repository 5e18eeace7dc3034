//! Rows of `chat_threads` and `chat_messages` (migration 4) to records and back, and the
//! queries the other modules share.

use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::error::{Error, Result};
use crate::types::{Message, MessageStatus, Role, Thread, ThreadSettings, TokenUsage};

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub(crate) const THREAD_COLUMNS: &str = "t.id, t.title, t.model, t.pinned, t.archived, t.settings, \
     t.active_leaf_id, t.created_at, t.updated_at";

pub(crate) const MESSAGE_COLUMNS: &str = "m.id, m.thread_id, m.parent_id, m.role, m.content, \
     m.reasoning, m.tool_calls, m.sampling, m.prompt_tokens, m.completion_tokens, m.cached_tokens, \
     m.timings, m.status, m.error, m.created_at";

fn conversion(
    index: usize,
    err: impl std::error::Error + Send + Sync + 'static,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(err))
}

fn json_column<T: serde::de::DeserializeOwned>(
    row: &Row<'_>,
    index: usize,
) -> rusqlite::Result<Option<T>> {
    let text: Option<String> = row.get(index)?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| conversion(index, e)))
        .transpose()
}

#[derive(Debug, thiserror::Error)]
#[error("unknown {what} '{value}'")]
struct UnknownValue {
    what: &'static str,
    value: String,
}

pub(crate) fn thread_from_row(row: &Row<'_>) -> rusqlite::Result<Thread> {
    Ok(Thread {
        id: row.get(0)?,
        title: row.get(1)?,
        model: row.get(2)?,
        pinned: row.get(3)?,
        archived: row.get(4)?,
        settings: json_column::<ThreadSettings>(row, 5)?.unwrap_or_default(),
        active_leaf_id: row.get(6)?,
        created_at: row.get(7)?,
        updated_at: row.get(8)?,
    })
}

pub(crate) fn message_from_row(row: &Row<'_>) -> rusqlite::Result<Message> {
    let role: String = row.get(3)?;
    let role = Role::parse(&role).ok_or_else(|| {
        conversion(
            3,
            UnknownValue {
                what: "role",
                value: role.clone(),
            },
        )
    })?;
    let status: String = row.get(12)?;
    let status = MessageStatus::parse(&status).ok_or_else(|| {
        conversion(
            12,
            UnknownValue {
                what: "status",
                value: status.clone(),
            },
        )
    })?;
    let prompt: Option<i64> = row.get(8)?;
    let completion: Option<i64> = row.get(9)?;
    let cached: Option<i64> = row.get(10)?;
    let usage = match (prompt, completion) {
        (Some(p), Some(c)) => Some(TokenUsage {
            prompt_tokens: p.max(0) as u64,
            completion_tokens: c.max(0) as u64,
            cached_tokens: cached.unwrap_or(0).max(0) as u64,
        }),
        _ => None,
    };
    Ok(Message {
        id: row.get(0)?,
        thread_id: row.get(1)?,
        parent_id: row.get(2)?,
        role,
        content: row.get(4)?,
        reasoning: row.get(5)?,
        tool_calls: json_column(row, 6)?,
        sampling: json_column(row, 7)?,
        usage,
        timings: json_column(row, 11)?,
        status,
        error: row.get(13)?,
        created_at: row.get(14)?,
    })
}

pub(crate) fn get_thread(conn: &Connection, id: &str) -> Result<Thread> {
    conn.query_row(
        &format!("SELECT {THREAD_COLUMNS} FROM chat_threads t WHERE t.id = ?1"),
        [id],
        thread_from_row,
    )
    .optional()?
    .ok_or_else(|| Error::not_found("thread", id))
}

pub(crate) fn get_message(conn: &Connection, id: &str) -> Result<Message> {
    conn.query_row(
        &format!("SELECT {MESSAGE_COLUMNS} FROM chat_messages m WHERE m.id = ?1"),
        [id],
        message_from_row,
    )
    .optional()?
    .ok_or_else(|| Error::not_found("message", id))
}

/// The messages from the root of `leaf`'s branch down to `leaf`, root first.
pub(crate) fn path_to(conn: &Connection, leaf: &str) -> Result<Vec<Message>> {
    let mut stmt = conn.prepare_cached(&format!(
        "WITH RECURSIVE path(id, depth) AS (
             SELECT ?1, 0
             UNION ALL
             SELECT m.parent_id, path.depth + 1 FROM chat_messages m JOIN path ON m.id = path.id
             WHERE m.parent_id IS NOT NULL
         )
         SELECT {MESSAGE_COLUMNS} FROM path JOIN chat_messages m ON m.id = path.id
         ORDER BY path.depth DESC"
    ))?;
    let messages = stmt
        .query_map([leaf], message_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(messages)
}

/// The most recently created leaf under `message` (itself when it has no children).
pub(crate) fn newest_leaf_under(conn: &Connection, message: &str) -> Result<String> {
    let leaf: String = conn.query_row(
        "WITH RECURSIVE sub(id) AS (
             SELECT ?1
             UNION ALL
             SELECT m.id FROM chat_messages m JOIN sub ON m.parent_id = sub.id
         )
         SELECT m.id FROM chat_messages m JOIN sub ON m.id = sub.id
         WHERE NOT EXISTS (SELECT 1 FROM chat_messages c WHERE c.parent_id = m.id)
         ORDER BY m.seq DESC LIMIT 1",
        [message],
        |row| row.get(0),
    )?;
    Ok(leaf)
}

/// The most recently created leaf of a whole thread, `None` when it has no messages.
pub(crate) fn newest_leaf_of_thread(conn: &Connection, thread: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT m.id FROM chat_messages m WHERE m.thread_id = ?1
             AND NOT EXISTS (SELECT 1 FROM chat_messages c WHERE c.parent_id = m.id)
             ORDER BY m.seq DESC LIMIT 1",
            [thread],
            |row| row.get(0),
        )
        .optional()?)
}

pub(crate) fn set_active_leaf(conn: &Connection, thread: &str, leaf: Option<&str>) -> Result<()> {
    conn.execute(
        "UPDATE chat_threads SET active_leaf_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![thread, leaf, now_ms()],
    )?;
    Ok(())
}

/// A message as it is first written.
pub(crate) struct NewMessage<'a> {
    pub id: &'a str,
    pub thread_id: &'a str,
    pub parent_id: Option<&'a str>,
    pub role: Role,
    pub content: &'a str,
    pub reasoning: &'a str,
    pub sampling: Option<&'a ThreadSettings>,
    pub status: MessageStatus,
    pub created_at: i64,
}

pub(crate) fn insert_message(conn: &Connection, m: &NewMessage<'_>) -> Result<()> {
    let sampling = m
        .sampling
        .map(serde_json::to_string)
        .transpose()
        .map_err(|source| Error::StoredJson {
            what: "sampling settings",
            source,
        })?;
    conn.execute(
        "INSERT INTO chat_messages(id, thread_id, parent_id, role, content, reasoning, sampling,
                                   status, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            m.id,
            m.thread_id,
            m.parent_id,
            m.role.as_str(),
            m.content,
            m.reasoning,
            sampling,
            m.status.as_str(),
            m.created_at
        ],
    )?;
    Ok(())
}

pub(crate) fn to_json<T: serde::Serialize>(what: &'static str, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|source| Error::StoredJson { what, source })
}
