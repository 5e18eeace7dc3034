//! The `auth_sessions` (refresh-token families) and `refresh_tokens` tables.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;
use crate::token::{ACCESS_TOKEN_TTL_SECS, REFRESH_TOKEN_TTL_SECS};

/// Why a family was revoked, as stored (for support, never shown as a code).
pub(crate) mod reason {
    pub const LOGOUT: &str = "logout";
    pub const REFRESH_TOKEN_REUSED: &str = "refresh_token_reused";
    pub const PASSWORD_CHANGED: &str = "password_changed";
    pub const PASSWORD_RESET: &str = "password_reset";
}

/// Starts a family; its id is the access tokens' `sid`.
pub(crate) fn create(conn: &Connection, user_id: &str, now: i64) -> Result<String> {
    let id = uuid::Uuid::new_v4().to_string();
    conn.execute(
        "INSERT INTO auth_sessions (id, user_id, created_at) VALUES (?1, ?2, ?3)",
        params![id, user_id, now],
    )?;
    Ok(id)
}

/// Stores a refresh token by its hash; returns when it expires.
pub(crate) fn add_refresh_token(
    conn: &Connection,
    session_id: &str,
    token_hash: &str,
    now: i64,
) -> Result<i64> {
    let expires_at = now + REFRESH_TOKEN_TTL_SECS;
    conn.execute(
        "INSERT INTO refresh_tokens (token_hash, session_id, issued_at, expires_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![token_hash, session_id, now, expires_at],
    )?;
    Ok(expires_at)
}

pub(crate) struct RefreshRow {
    pub session_id: String,
    pub user_id: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub session_revoked: bool,
}

pub(crate) fn find_refresh(conn: &Connection, token_hash: &str) -> Result<Option<RefreshRow>> {
    Ok(conn
        .query_row(
            "SELECT t.session_id, s.user_id, t.expires_at, t.used_at, s.revoked_at IS NOT NULL
             FROM refresh_tokens t JOIN auth_sessions s ON s.id = t.session_id
             WHERE t.token_hash = ?1",
            [token_hash],
            |row| {
                Ok(RefreshRow {
                    session_id: row.get(0)?,
                    user_id: row.get(1)?,
                    expires_at: row.get(2)?,
                    used_at: row.get(3)?,
                    session_revoked: row.get(4)?,
                })
            },
        )
        .optional()?)
}

/// Spends a refresh token. It stays in the table, so presenting it again is recognized as reuse.
pub(crate) fn mark_used(conn: &Connection, token_hash: &str, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE refresh_tokens SET used_at = ?2 WHERE token_hash = ?1",
        params![token_hash, now],
    )?;
    Ok(())
}

/// Whether the family is live and belongs to the user.
pub(crate) fn is_active(conn: &Connection, session_id: &str, user_id: &str) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM auth_sessions WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL",
            params![session_id, user_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Revokes one family. Returns whether it was live.
pub(crate) fn revoke(conn: &Connection, session_id: &str, now: i64, why: &str) -> Result<bool> {
    let changed = conn.execute(
        "UPDATE auth_sessions SET revoked_at = ?2, revoked_reason = ?3
         WHERE id = ?1 AND revoked_at IS NULL",
        params![session_id, now, why],
    )?;
    Ok(changed > 0)
}

pub(crate) fn revoke_user(conn: &Connection, user_id: &str, now: i64, why: &str) -> Result<usize> {
    Ok(conn.execute(
        "UPDATE auth_sessions SET revoked_at = ?2, revoked_reason = ?3
         WHERE user_id = ?1 AND revoked_at IS NULL",
        params![user_id, now, why],
    )?)
}

pub(crate) fn revoke_all(conn: &Connection, now: i64, why: &str) -> Result<usize> {
    Ok(conn.execute(
        "UPDATE auth_sessions SET revoked_at = ?1, revoked_reason = ?2 WHERE revoked_at IS NULL",
        params![now, why],
    )?)
}

/// Drops expired refresh tokens, and families with no token left once their last access token
/// has expired too. Keeps the tables from growing with every login.
pub(crate) fn prune(conn: &Connection, now: i64) -> Result<()> {
    conn.execute("DELETE FROM refresh_tokens WHERE expires_at <= ?1", [now])?;
    conn.execute(
        "DELETE FROM auth_sessions
         WHERE created_at <= ?1
           AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.session_id = auth_sessions.id)",
        [now - ACCESS_TOKEN_TTL_SECS],
    )?;
    Ok(())
}
