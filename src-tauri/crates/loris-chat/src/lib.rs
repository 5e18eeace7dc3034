//! Loris Studio chat: threads whose messages form a tree (branches from edits, regenerations
//! and forks), replies persisted while they stream, full-text search, export and import.
//! No Tauri: the app's commands, the CLI and tests call it directly.
//!
//! - [`ChatStore`] (`threads`, `tree`, `stream`, `search`, `export`, `import`): the
//!   `chat_threads` and `chat_messages` tables of migration 4 in `loris-core`'s store;
//! - [`ChatService`]: a user message in, a streamed and stored reply out, through a
//!   `loris_infer::Engine`;
//! - [`title`]: a thread's first title from its first user message, then one the model writes;
//! - [`sampling_defaults`] (each model family's recommended sampling) and [`presets`] (named
//!   settings the user saves, in the store's settings).
//!
//! ```no_run
//! use std::sync::Arc;
//! use loris_chat::{ChatEvent, ChatService, ChatStore, NewThread, ThreadSettings};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let engine: loris_infer::Engine = todo!();
//! let store = Arc::new(loris_core::Store::open("loris.db".as_ref())?);
//! let chats = ChatStore::new(store);
//! chats.recover()?; // replies cut short by an earlier exit become `interrupted`
//! let thread = chats.create_thread(NewThread { settings: ThreadSettings::greedy(), ..Default::default() })?;
//! let mut reply = ChatService::new(chats).send(&thread.id, "Hi!", &engine)?;
//! while let Some(event) = reply.events.blocking_recv() {
//!     if let ChatEvent::Delta { content, .. } = event { print!("{content}"); }
//! }
//! # Ok(())
//! # }
//! ```

mod db;
pub mod error;
mod export;
mod fork;
pub mod format;
mod import;
pub mod presets;
pub mod sampling_defaults;
mod search;
mod service;
mod stream;
mod threads;
pub mod title;
mod tree;
pub mod types;

pub use error::{Error, ImportProblem, Result};
pub use format::{MessageRecord, ThreadFile, ThreadRecord};
/// The models on this machine the chat's model picker offers (GGUF files and Hugging Face
/// folders in the user's folders and the HF cache); front doors reach them through the chat.
pub use loris_models::local_models;
pub use presets::SamplingPreset;
pub use sampling_defaults::{SamplingFamily, defaults_for};
pub use service::{ChatEvent, ChatService, CompareReply, MODEL_KEY, SendHandle};
pub use stream::{FinishDetails, Outcome, StreamingMessage};
pub use threads::{ChatStore, FlushPolicy, NewThread};
pub use types::{
    Message, MessageStatus, Role, SearchHit, Thread, ThreadSettings, ThreadView, TokenUsage,
};
