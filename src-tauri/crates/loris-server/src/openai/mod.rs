//! The OpenAI-compatible routes. Request bodies in [`types`]; errors in OpenAI's envelope.

pub(crate) mod chat;
pub(crate) mod completions;
pub(crate) mod models;
pub(crate) mod types;
