//! Exports: one thread as JSON (the whole tree and its settings, the file import reads) or as
//! Markdown (the branch on screen), and every thread as ShareGPT JSONL (one line per thread,
//! its active branch as `conversations` of `{from, value}`), the layout fine-tuning data sets
//! use.

use rusqlite::Connection;

use crate::db::{self, MESSAGE_COLUMNS, get_thread};
use crate::error::{Error, Result};
use crate::format::{
    MessageRecord, THREAD_FORMAT, THREAD_FORMAT_VERSION, ThreadFile, ThreadRecord,
};
use crate::threads::ChatStore;
use crate::types::{Message, Role, Thread};

impl ChatStore {
    /// One thread with every message of its tree, parents before children.
    pub fn export_thread(&self, thread_id: &str) -> Result<ThreadFile> {
        let conn = self.store.conn();
        let thread = get_thread(&conn, thread_id)?;
        let messages = all_messages(&conn, thread_id)?;
        Ok(ThreadFile {
            format: THREAD_FORMAT.to_owned(),
            version: THREAD_FORMAT_VERSION,
            thread: ThreadRecord {
                id: thread.id,
                title: thread.title,
                model: thread.model,
                pinned: thread.pinned,
                archived: thread.archived,
                settings: thread.settings,
                active_leaf_id: thread.active_leaf_id,
                created_at: thread.created_at,
                updated_at: thread.updated_at,
            },
            messages: messages.into_iter().map(record).collect(),
        })
    }

    /// [`export_thread`](Self::export_thread) as pretty-printed JSON.
    pub fn export_thread_json(&self, thread_id: &str) -> Result<String> {
        let file = self.export_thread(thread_id)?;
        serde_json::to_string_pretty(&file).map_err(|source| Error::StoredJson {
            what: "thread export",
            source,
        })
    }

    /// The thread's active branch as Markdown: the title, the system prompt, then each turn
    /// under its role, reasoning folded in a `<details>` block.
    pub fn export_thread_markdown(&self, thread_id: &str) -> Result<String> {
        let view = self.view(thread_id)?;
        let mut out = format!("# {}\n", display_title(&view.thread));
        if let Some(system) = &view.thread.settings.system_prompt {
            out.push_str(&format!("\n## System\n\n{}\n", system.trim_end()));
        }
        for message in &view.messages {
            out.push_str(&format!("\n## {}\n\n", role_heading(message.role)));
            if !message.reasoning.is_empty() {
                out.push_str(&format!(
                    "<details><summary>Reasoning</summary>\n\n{}\n\n</details>\n\n",
                    message.reasoning.trim_end()
                ));
            }
            out.push_str(message.content.trim_end());
            out.push('\n');
        }
        Ok(out)
    }

    /// Every thread (archived ones too) as ShareGPT JSONL: one line per thread with messages,
    /// its active branch as `{"conversations": [{"from", "value"}, ...]}`, the system prompt
    /// first. Replies that failed with no text are left out.
    pub fn export_sharegpt_jsonl(&self) -> Result<String> {
        let mut out = String::new();
        for thread in self.list_threads(true)? {
            let view = self.view(&thread.id)?;
            let mut conversations = Vec::new();
            if let Some(system) = &thread.settings.system_prompt {
                conversations.push(turn("system", system));
            }
            for message in view.messages.iter().filter(|m| !m.content.is_empty()) {
                conversations.push(turn(sharegpt_from(message.role), &message.content));
            }
            if conversations.iter().all(|t| t["from"] == "system") {
                continue;
            }
            let line = serde_json::json!({ "conversations": conversations });
            out.push_str(&line.to_string());
            out.push('\n');
        }
        Ok(out)
    }
}

fn turn(from: &str, value: &str) -> serde_json::Value {
    serde_json::json!({ "from": from, "value": value })
}

fn sharegpt_from(role: Role) -> &'static str {
    match role {
        Role::System => "system",
        Role::User => "human",
        Role::Assistant => "gpt",
        Role::Tool => "tool",
    }
}

fn role_heading(role: Role) -> &'static str {
    match role {
        Role::System => "System",
        Role::User => "User",
        Role::Assistant => "Assistant",
        Role::Tool => "Tool",
    }
}

fn display_title(thread: &Thread) -> &str {
    if thread.title.is_empty() {
        crate::title::UNTITLED
    } else {
        &thread.title
    }
}

pub(crate) fn all_messages(conn: &Connection, thread_id: &str) -> Result<Vec<Message>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM chat_messages m WHERE m.thread_id = ?1 ORDER BY m.seq"
    ))?;
    let messages = stmt
        .query_map([thread_id], db::message_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(messages)
}

pub(crate) fn record(m: Message) -> MessageRecord {
    MessageRecord {
        id: m.id,
        parent_id: m.parent_id,
        role: m.role,
        content: m.content,
        reasoning: m.reasoning,
        tool_calls: m.tool_calls,
        sampling: m.sampling,
        usage: m.usage,
        timings: m.timings,
        status: m.status,
        error: m.error,
        created_at: m.created_at,
    }
}
