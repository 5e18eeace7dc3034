//! The Anthropic-compatible routes: `/v1/messages` (streaming and not) and
//! `/v1/messages/count_tokens`. Errors in Anthropic's envelope.

pub(crate) mod convert;
pub(crate) mod messages;
pub(crate) mod stream;
pub(crate) mod types;
