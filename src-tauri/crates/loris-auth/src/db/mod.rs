//! The auth tables (migration 2 in `loris-core`): one module per table, plain functions over a
//! connection or transaction. Nothing here sees a password or a token in clear.

pub(crate) mod lockout;
pub(crate) mod sessions;
pub(crate) mod users;
