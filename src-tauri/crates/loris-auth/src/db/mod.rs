//! The auth tables (migrations 2 and 3 in `loris-core`): one module per table, plain functions
//! over a connection or transaction. Nothing here sees a password, a token or a key in clear.

pub(crate) mod api_keys;
pub(crate) mod lockout;
pub(crate) mod sessions;
pub(crate) mod users;
