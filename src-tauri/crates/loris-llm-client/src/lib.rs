//! A blocking client for OpenAI-compatible chat-completions endpoints (llama.cpp, vLLM, Ollama,
//! hosted APIs), built for worker threads: bounded request and reply sizes, retries with
//! jittered backoff, cancellation between attempts, and errors with stable codes that never
//! carry the API key.
//!
//! With the `stub` feature, [`stub::StubServer`] provides an in-process server for tests.

mod client;
mod endpoint;
mod error;
mod keys;
mod retry;
mod types;
mod wire;

#[cfg(feature = "stub")]
pub mod stub;

pub use client::ChatClient;
pub use endpoint::Endpoint;
pub use error::LlmError;
pub use keys::resolve_api_key;
pub use retry::RetryPolicy;
pub use types::{ChatMessage, ChatReply, ChatRequest};
pub use wire::{MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES};
