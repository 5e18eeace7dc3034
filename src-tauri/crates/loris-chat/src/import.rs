//! Importing a thread export. Every import makes a new thread with new ids (importing the same
//! file twice gives two copies; nothing is ever overwritten). The whole file is checked before
//! anything is written, and the writes are one transaction: a refused file changes nothing.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use rusqlite::params;

use crate::db::{get_thread, new_id, to_json};
use crate::error::{Error, ImportProblem, Result};
use crate::format::{MessageRecord, THREAD_FORMAT, THREAD_FORMAT_VERSION, ThreadFile};
use crate::threads::ChatStore;
use crate::types::{MessageStatus, Thread};

impl ChatStore {
    /// Imports a thread from the JSON of [`ChatStore::export_thread_json`].
    pub fn import_thread_json(&self, bytes: &[u8]) -> Result<Thread> {
        let file = parse(bytes)?;
        let order = check_tree(&file)?;
        let ids: HashMap<&str, String> = file
            .messages
            .iter()
            .map(|m| (m.id.as_str(), new_id()))
            .collect();
        let thread_id = new_id();
        let mut conn = self.store.conn();
        let tx = conn.transaction()?;
        let t = &file.thread;
        tx.execute(
            "INSERT INTO chat_threads(id, title, model, pinned, archived, settings, created_at,
                                      updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                thread_id,
                t.title.trim(),
                t.model,
                t.pinned,
                t.archived,
                to_json("thread settings", &t.settings)?,
                t.created_at,
                t.updated_at
            ],
        )?;
        for index in order {
            let m = &file.messages[index];
            insert_record(&tx, &thread_id, m, &ids)?;
        }
        let leaf = t.active_leaf_id.as_deref().and_then(|old| ids.get(old));
        tx.execute(
            "UPDATE chat_threads SET active_leaf_id = ?2 WHERE id = ?1",
            params![thread_id, leaf],
        )?;
        let thread = get_thread(&tx, &thread_id)?;
        tx.commit()?;
        Ok(thread)
    }
}

/// JSON first, then the format marker, then the fields: each failure has its own code, and a
/// field error names its path (`messages[2].role`).
fn parse(bytes: &[u8]) -> Result<ThreadFile> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::import(ImportProblem::NotJson, format!("not valid JSON: {e}")))?;
    let format = value.get("format").and_then(|f| f.as_str());
    let version = value.get("version").and_then(|v| v.as_u64());
    if format != Some(THREAD_FORMAT) {
        return Err(Error::import(
            ImportProblem::UnsupportedFormat,
            format!("not a Loris chat thread export (its \"format\" is not \"{THREAD_FORMAT}\")"),
        ));
    }
    if version != Some(THREAD_FORMAT_VERSION) {
        return Err(Error::import(
            ImportProblem::UnsupportedFormat,
            format!(
                "version {} of the thread format; this build reads version {THREAD_FORMAT_VERSION}",
                version.map_or_else(|| "(none)".to_owned(), |v| v.to_string())
            ),
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        Error::import(
            ImportProblem::InvalidField,
            format!("{}: {}", e.path(), e.inner()),
        )
    })
}

/// Checks ids, parents and the active leaf, and returns the order to insert the messages in
/// (parents first). A message whose parents never reach a root is in a cycle.
fn check_tree(file: &ThreadFile) -> Result<Vec<usize>> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, m) in file.messages.iter().enumerate() {
        if index.insert(m.id.as_str(), i).is_some() {
            return Err(Error::import(
                ImportProblem::DuplicateId,
                format!("messages[{i}]: the id '{}' is used twice", m.id),
            ));
        }
    }
    let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (i, m) in file.messages.iter().enumerate() {
        match &m.parent_id {
            None => roots.push(i),
            Some(parent) if index.contains_key(parent.as_str()) => {
                children.entry(parent.as_str()).or_default().push(i)
            }
            Some(parent) => {
                return Err(Error::import(
                    ImportProblem::DanglingParent,
                    format!(
                        "messages[{i}].parentId: '{parent}' is not the id of a message in this file"
                    ),
                ));
            }
        }
    }
    // From the roots down, always taking the earliest message of the file that is ready: every
    // message reached once, parents before children, and the file's own order where it has one
    // (so siblings keep their order).
    let mut order = Vec::with_capacity(file.messages.len());
    let mut ready: BinaryHeap<Reverse<usize>> = roots.into_iter().map(Reverse).collect();
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        if let Some(kids) = children.get(file.messages[i].id.as_str()) {
            ready.extend(kids.iter().copied().map(Reverse));
        }
    }
    if order.len() < file.messages.len() {
        let reached: HashSet<usize> = order.iter().copied().collect();
        let first = (0..file.messages.len())
            .find(|i| !reached.contains(i))
            .unwrap_or(0);
        return Err(Error::import(
            ImportProblem::Cycle,
            format!(
                "messages[{first}] ('{}'): its parent ids form a cycle and never reach a first message",
                file.messages[first].id
            ),
        ));
    }
    if let Some(leaf) = &file.thread.active_leaf_id
        && !index.contains_key(leaf.as_str())
    {
        return Err(Error::import(
            ImportProblem::DanglingActiveLeaf,
            format!("thread.activeLeafId: '{leaf}' is not the id of a message in this file"),
        ));
    }
    Ok(order)
}

pub(crate) fn insert_record(
    conn: &rusqlite::Connection,
    thread_id: &str,
    m: &MessageRecord,
    ids: &HashMap<&str, String>,
) -> Result<()> {
    // A reply that was still being written when it was exported cannot be resumed.
    let status = match m.status {
        MessageStatus::Streaming => MessageStatus::Interrupted,
        other => other,
    };
    let sampling = m
        .sampling
        .as_ref()
        .map(|s| to_json("sampling settings", s))
        .transpose()?;
    let tool_calls = m
        .tool_calls
        .as_ref()
        .map(|t| to_json("tool calls", t))
        .transpose()?;
    let timings = m
        .timings
        .as_ref()
        .map(|t| to_json("timings", t))
        .transpose()?;
    conn.execute(
        "INSERT INTO chat_messages(id, thread_id, parent_id, role, content, reasoning, tool_calls,
             sampling, prompt_tokens, completion_tokens, cached_tokens, timings, status, error,
             created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            ids.get(m.id.as_str()),
            thread_id,
            m.parent_id.as_deref().and_then(|p| ids.get(p)),
            m.role.as_str(),
            m.content,
            m.reasoning,
            tool_calls,
            sampling,
            m.usage.map(|u| u.prompt_tokens as i64),
            m.usage.map(|u| u.completion_tokens as i64),
            m.usage.map(|u| u.cached_tokens as i64),
            timings,
            status.as_str(),
            m.error,
            m.created_at
        ],
    )?;
    Ok(())
}
