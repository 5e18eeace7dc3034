//! "Continue from this message" in a thread of its own: the branch from its root down to the
//! message is copied, with new ids, into a new thread with the same model and settings. The
//! original thread is left as it was, so the two conversations go on separately.

use std::collections::HashMap;

use rusqlite::params;

use crate::db::{self, get_message, get_thread, new_id, now_ms, to_json};
use crate::error::Result;
use crate::export::record;
use crate::import::insert_record;
use crate::threads::ChatStore;
use crate::title::UNTITLED;
use crate::types::Thread;

/// Added to the original title, so the copy is told apart in the sidebar.
const FORK_SUFFIX: &str = " (fork)";

impl ChatStore {
    /// A new thread holding the branch from its root to `message_id`, whose last message is
    /// that copy of `message_id`. One transaction: on failure nothing is written.
    pub fn fork_to_new_thread(&self, message_id: &str) -> Result<Thread> {
        let mut conn = self.store.conn();
        let tx = conn.transaction()?;
        let message = get_message(&tx, message_id)?;
        let source = get_thread(&tx, &message.thread_id)?;
        let path = db::path_to(&tx, message_id)?;
        let ids: HashMap<String, String> = path.iter().map(|m| (m.id.clone(), new_id())).collect();
        let borrowed: HashMap<&str, String> =
            ids.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let thread_id = new_id();
        let now = now_ms();
        let base = if source.title.is_empty() {
            UNTITLED
        } else {
            source.title.as_str()
        };
        tx.execute(
            "INSERT INTO chat_threads(id, title, model, settings, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
            params![
                thread_id,
                format!("{base}{FORK_SUFFIX}"),
                source.model,
                to_json("thread settings", &source.settings)?,
                now
            ],
        )?;
        for m in path {
            insert_record(&tx, &thread_id, &record(m), &borrowed)?;
        }
        db::set_active_leaf(&tx, &thread_id, ids.get(message_id).map(String::as_str))?;
        let thread = get_thread(&tx, &thread_id)?;
        tx.commit()?;
        Ok(thread)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use loris_core::Store;

    use crate::threads::NewThread;
    use crate::types::{Role, ThreadSettings};

    use super::*;

    #[test]
    fn forking_copies_the_branch_up_to_the_message_into_a_new_thread() {
        let chats = ChatStore::new(Arc::new(Store::open_in_memory().unwrap()));
        let settings = ThreadSettings {
            system_prompt: Some("Be brief.".into()),
            ..ThreadSettings::greedy()
        };
        let thread = chats
            .create_thread(NewThread {
                model: Some("m".into()),
                settings: settings.clone(),
                ..Default::default()
            })
            .unwrap();
        let q1 = chats
            .append_user_message(&thread.id, "Capital of France?")
            .unwrap();
        let a1 = chats
            .add_message(&thread.id, Some(&q1.id), Role::Assistant, "Paris.")
            .unwrap();
        let q2 = chats.append_user_message(&thread.id, "And Spain?").unwrap();
        chats
            .add_message(&thread.id, Some(&q2.id), Role::Assistant, "Madrid.")
            .unwrap();

        let fork = chats.fork_to_new_thread(&a1.id).unwrap();
        assert_ne!(fork.id, thread.id);
        assert_eq!(fork.title, "Capital of France? (fork)");
        assert_eq!(fork.model.as_deref(), Some("m"));
        assert_eq!(fork.settings, settings);

        let view = chats.view(&fork.id).unwrap();
        let texts: Vec<_> = view.messages.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(texts, ["Capital of France?", "Paris."]);
        assert!(view.messages.iter().all(|m| m.id != q1.id && m.id != a1.id));
        assert_eq!(
            view.messages[1].parent_id.as_deref(),
            Some(view.messages[0].id.as_str())
        );
        assert_eq!(
            view.thread.active_leaf_id.as_deref(),
            Some(view.messages[1].id.as_str())
        );

        // The next message of the fork follows the copy; the original keeps its four.
        chats.append_user_message(&fork.id, "And Italy?").unwrap();
        assert_eq!(chats.view(&fork.id).unwrap().messages.len(), 3);
        assert_eq!(chats.view(&thread.id).unwrap().messages.len(), 4);
        assert_eq!(
            chats.fork_to_new_thread("nope").unwrap_err().code(),
            "not_found"
        );
    }
}
