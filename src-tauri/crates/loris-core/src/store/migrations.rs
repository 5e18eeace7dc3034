//! Versioned schema migrations, tracked in `PRAGMA user_version`.
//!
//! Migrations are append-only: a released migration is never edited, a change is a new entry.
//! Each runs in its own transaction together with the version bump.

use std::path::Path;

use rusqlite::Connection;

use crate::error::{Error, Result};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "settings, jobs and events",
        sql: r#"
        CREATE TABLE settings (
            key         TEXT PRIMARY KEY,
            value       TEXT NOT NULL CHECK (json_valid(value)),
            updated_at  TEXT NOT NULL
        );
        CREATE TABLE jobs (
            id          TEXT PRIMARY KEY,
            kind        TEXT NOT NULL,
            state       TEXT NOT NULL CHECK (state IN
                          ('queued','running','completed','failed','cancelled','interrupted')),
            params      TEXT NOT NULL CHECK (json_valid(params)),
            result      TEXT CHECK (result IS NULL OR json_valid(result)),
            error       TEXT,
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        );
        CREATE INDEX jobs_by_state ON jobs(state);
        -- Every event the bus publishes, in publication order. seq is the reconnect cursor.
        CREATE TABLE events (
            seq         INTEGER PRIMARY KEY AUTOINCREMENT,
            at          TEXT NOT NULL,
            job_id      TEXT REFERENCES jobs(id) ON DELETE CASCADE,
            kind        TEXT NOT NULL,
            payload     TEXT NOT NULL CHECK (json_valid(payload))
        );
        CREATE INDEX events_by_job ON events(job_id, seq);
    "#,
    },
    Migration {
        version: 2,
        name: "users, sessions and refresh tokens (loris-auth)",
        // Times are unix seconds from loris-auth's clock. No column holds a password, a token or a
        // key in clear: passwords are argon2id PHC strings, refresh tokens their SHA-256.
        sql: r#"
        CREATE TABLE users (
            id                    TEXT PRIMARY KEY,
            username              TEXT NOT NULL UNIQUE COLLATE NOCASE,
            password_hash         TEXT NOT NULL,
            -- Bumped on every change or reset; access tokens carry it, so older ones are refused.
            password_version      INTEGER NOT NULL DEFAULT 1,
            must_change_password  INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
            locked_until          INTEGER,
            created_at            INTEGER NOT NULL,
            password_changed_at   INTEGER NOT NULL
        );
        -- Recent failed logins of a known user: the rate-limit window.
        CREATE TABLE login_failures (
            user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            at          INTEGER NOT NULL
        );
        CREATE INDEX login_failures_by_user ON login_failures(user_id, at);
        -- One row per login: the refresh-token family, the `sid` of its access tokens.
        CREATE TABLE auth_sessions (
            id              TEXT PRIMARY KEY,
            user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created_at      INTEGER NOT NULL,
            revoked_at      INTEGER,
            revoked_reason  TEXT
        );
        CREATE INDEX auth_sessions_by_user ON auth_sessions(user_id);
        CREATE TABLE refresh_tokens (
            token_hash  TEXT PRIMARY KEY,
            session_id  TEXT NOT NULL REFERENCES auth_sessions(id) ON DELETE CASCADE,
            issued_at   INTEGER NOT NULL,
            expires_at  INTEGER NOT NULL,
            used_at     INTEGER
        );
        CREATE INDEX refresh_tokens_by_session ON refresh_tokens(session_id);
    "#,
    },
    Migration {
        version: 3,
        name: "LAN API keys (loris-auth)",
        // Keys are stored as their SHA-256 (256 random bits: nothing to brute-force); `prefix` is
        // the start of the key, shown in lists so the user can tell keys apart.
        sql: r#"
        CREATE TABLE api_keys (
            id            TEXT PRIMARY KEY,
            name          TEXT NOT NULL,
            prefix        TEXT NOT NULL,
            key_hash      TEXT NOT NULL UNIQUE,
            created_at    INTEGER NOT NULL,
            last_used_at  INTEGER,
            expires_at    INTEGER,
            revoked_at    INTEGER
        );
    "#,
    },
];

pub const LATEST_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

pub fn migrate(conn: &Connection, path: &Path) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if current > LATEST_VERSION {
        return Err(Error::DatabaseTooNew {
            path: path.to_path_buf(),
            found: current,
            supported: LATEST_VERSION,
        });
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applying migration"
        );
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let applied = conn.execute_batch(migration.sql).and_then(|()| {
            conn.execute_batch(&format!("PRAGMA user_version = {}", migration.version))
        });
        match applied {
            Ok(()) => conn.execute_batch("COMMIT")?,
            Err(err) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(err.into());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_strictly_increasing() {
        for pair in MIGRATIONS.windows(2) {
            assert!(pair[0].version < pair[1].version);
        }
        assert_eq!(MIGRATIONS[0].version, 1);
    }

    #[test]
    fn running_twice_changes_nothing() {
        let conn = Connection::open_in_memory().unwrap();
        migrate(&conn, Path::new(":memory:")).unwrap();
        conn.execute("INSERT INTO settings VALUES ('k', '1', 'now')", [])
            .unwrap();
        migrate(&conn, Path::new(":memory:")).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM settings", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }
}
