//! Loris Studio's LAN API: an OpenAI- and Anthropic-compatible HTTP server over the models of a
//! [`loris_infer::ModelRegistry`], started and stopped at run time. No Tauri dependency.
//!
//! - [`config`]: what it binds (loopback unless LAN access is on) and whom it lets in;
//! - [`guard`](crate::guard): Host header (DNS rebinding), Origin, API key, before any body is read;
//! - `openai/` and `anthropic/`: the wire formats, converted at the edge to chat-template
//!   messages and token ids ([`generation`](crate::generation)); the engine sees neither JSON
//!   format;
//! - [`request_log`]: recent requests in memory, for Settings.
//!
//! ```no_run
//! # async fn demo(registry: std::sync::Arc<loris_infer::ModelRegistry>) -> Result<(), loris_server::ServerError> {
//! let server = loris_server::Server::start(loris_server::ServerConfig::default(), registry).await?;
//! println!("listening on http://{}", server.local_addr());
//! server.stop().await;
//! # Ok(())
//! # }
//! ```

mod anthropic;
pub mod config;
pub mod error;
mod generation;
mod guard;
pub mod keys;
mod openai;
pub mod request_log;
mod routes;
mod server;
mod sse;
mod state;

pub use config::{DEFAULT_PORT, ServerConfig};
pub use error::{ApiError, ErrorKind, Flavor, ServerError};
pub use keys::{AnyKey, KeyCheck, StaticKey};
pub use request_log::{RequestLog, RequestLogEntry};
pub use server::{Server, ServerHandle};
