//! The `users` table.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;
use crate::types::{AuthUser, UserSummary};

#[derive(Debug, Clone)]
pub(crate) struct UserRow {
    pub id: String,
    pub username: String,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub password_version: i64,
    pub must_change_password: bool,
    pub locked_until: Option<i64>,
    pub created_at: i64,
    pub password_changed_at: i64,
}

impl UserRow {
    pub fn to_auth_user(&self) -> AuthUser {
        AuthUser {
            id: self.id.clone(),
            username: self.username.clone(),
            must_change_password: self.must_change_password,
        }
    }

    pub fn to_summary(&self) -> UserSummary {
        UserSummary {
            id: self.id.clone(),
            username: self.username.clone(),
            must_change_password: self.must_change_password,
            created_at: self.created_at,
            password_changed_at: self.password_changed_at,
            locked_until: self.locked_until,
        }
    }
}

const COLUMNS: &str = "id, username, password_hash, password_version, must_change_password, \
                       locked_until, created_at, password_changed_at";

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: row.get(0)?,
        username: row.get(1)?,
        password_hash: row.get(2)?,
        password_version: row.get(3)?,
        must_change_password: row.get(4)?,
        locked_until: row.get(5)?,
        created_at: row.get(6)?,
        password_changed_at: row.get(7)?,
    })
}

pub(crate) fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?)
}

/// Usernames compare without regard to ASCII case (the column is `COLLATE NOCASE`).
pub(crate) fn by_username(conn: &Connection, username: &str) -> Result<Option<UserRow>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM users WHERE username = ?1"),
            [username],
            from_row,
        )
        .optional()?)
}

pub(crate) fn by_id(conn: &Connection, id: &str) -> Result<Option<UserRow>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM users WHERE id = ?1"),
            [id],
            from_row,
        )
        .optional()?)
}

pub(crate) fn list(conn: &Connection) -> Result<Vec<UserRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM users ORDER BY created_at, username"
    ))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn insert(
    conn: &Connection,
    username: &str,
    password_hash: &str,
    must_change_password: bool,
    now: i64,
) -> Result<UserRow> {
    let id = uuid::Uuid::new_v4().to_string();
    conn.execute(
        "INSERT INTO users (id, username, password_hash, password_version, must_change_password,
                            created_at, password_changed_at)
         VALUES (?1, ?2, ?3, 1, ?4, ?5, ?5)",
        params![id, username, password_hash, must_change_password, now],
    )?;
    Ok(UserRow {
        id,
        username: username.to_owned(),
        password_hash: password_hash.to_owned(),
        password_version: 1,
        must_change_password,
        locked_until: None,
        created_at: now,
        password_changed_at: now,
    })
}

/// A new password: bumps the password version (so every older token is refused) and clears any
/// lockout. Returns the updated row.
pub(crate) fn set_password(
    conn: &Connection,
    id: &str,
    password_hash: &str,
    must_change_password: bool,
    now: i64,
) -> Result<Option<UserRow>> {
    conn.execute(
        "UPDATE users SET password_hash = ?2, password_version = password_version + 1,
                          must_change_password = ?3, locked_until = NULL,
                          password_changed_at = ?4
         WHERE id = ?1",
        params![id, password_hash, must_change_password, now],
    )?;
    by_id(conn, id)
}

/// Replaces a hash made with older parameters; the password itself did not change.
pub(crate) fn replace_hash(conn: &Connection, id: &str, password_hash: &str) -> Result<()> {
    conn.execute(
        "UPDATE users SET password_hash = ?2 WHERE id = ?1",
        params![id, password_hash],
    )?;
    Ok(())
}
