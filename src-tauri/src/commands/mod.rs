//! Tauri commands, one file per domain. Each returns `Result<T, ApiError>` so the webview gets
//! `{code, message, details}` on failure.

pub mod app;
pub mod auth;
pub mod chat;
pub mod events;
pub mod hardware;
pub mod jobs;
pub mod local_models;
pub mod models;
pub mod recipes;
pub mod server;
pub mod train;
