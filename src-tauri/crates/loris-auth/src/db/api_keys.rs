//! The `api_keys` table (migration 3 in `loris-core`). Keys are looked up by their hash only.

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::Result;

pub(crate) struct ApiKeyRow {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

const COLUMNS: &str = "id, name, prefix, created_at, last_used_at, expires_at, revoked_at";

fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ApiKeyRow> {
    Ok(ApiKeyRow {
        id: row.get(0)?,
        name: row.get(1)?,
        prefix: row.get(2)?,
        created_at: row.get(3)?,
        last_used_at: row.get(4)?,
        expires_at: row.get(5)?,
        revoked_at: row.get(6)?,
    })
}

pub(crate) struct NewApiKey<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

pub(crate) fn insert(conn: &Connection, key: &NewApiKey<'_>) -> Result<()> {
    conn.execute(
        "INSERT INTO api_keys (id, name, prefix, key_hash, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            key.id,
            key.name,
            key.prefix,
            key.key_hash,
            key.created_at,
            key.expires_at
        ],
    )?;
    Ok(())
}

pub(crate) fn by_hash(conn: &Connection, key_hash: &str) -> Result<Option<ApiKeyRow>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM api_keys WHERE key_hash = ?1"),
            [key_hash],
            from_row,
        )
        .optional()?)
}

/// Every key, revoked ones included, newest first.
pub(crate) fn list(conn: &Connection) -> Result<Vec<ApiKeyRow>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM api_keys ORDER BY created_at DESC, rowid DESC"
    ))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Returns whether a key with this id exists (revoking twice is not an error).
pub(crate) fn revoke(conn: &Connection, id: &str, now: i64) -> Result<bool> {
    conn.execute(
        "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, now],
    )?;
    Ok(conn
        .query_row("SELECT 1 FROM api_keys WHERE id = ?1", [id], |_| Ok(()))
        .optional()?
        .is_some())
}

pub(crate) fn touch(conn: &Connection, id: &str, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}
