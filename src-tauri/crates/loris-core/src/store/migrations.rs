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
    Migration {
        version: 4,
        name: "chat threads, messages and their full-text index (loris-chat)",
        // Times are unix milliseconds. `seq` is each row's stable integer key (a text primary key
        // leaves SQLite free to renumber rowids on VACUUM, which would break the FTS5 indexes
        // that point at them); it also orders siblings. Messages form a tree through `parent_id`;
        // a subtree is deleted by one statement, so `parent_id` has no cascade (a cascade would
        // recurse once per level, and SQLite bounds that depth).
        sql: r#"
        CREATE TABLE chat_threads (
            seq             INTEGER PRIMARY KEY,
            id              TEXT NOT NULL UNIQUE,
            title           TEXT NOT NULL,
            model           TEXT,
            pinned          INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
            archived        INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
            settings        TEXT NOT NULL CHECK (json_valid(settings)),
            active_leaf_id  TEXT REFERENCES chat_messages(id) ON DELETE SET NULL,
            created_at      INTEGER NOT NULL,
            updated_at      INTEGER NOT NULL
        );
        CREATE INDEX chat_threads_by_updated ON chat_threads(archived, pinned, updated_at);
        CREATE TABLE chat_messages (
            seq                INTEGER PRIMARY KEY,
            id                 TEXT NOT NULL UNIQUE,
            thread_id          TEXT NOT NULL REFERENCES chat_threads(id) ON DELETE CASCADE,
            parent_id          TEXT REFERENCES chat_messages(id),
            role               TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
            content            TEXT NOT NULL DEFAULT '',
            reasoning          TEXT NOT NULL DEFAULT '',
            tool_calls         TEXT CHECK (tool_calls IS NULL OR json_valid(tool_calls)),
            sampling           TEXT CHECK (sampling IS NULL OR json_valid(sampling)),
            prompt_tokens      INTEGER,
            completion_tokens  INTEGER,
            cached_tokens      INTEGER,
            timings            TEXT CHECK (timings IS NULL OR json_valid(timings)),
            status             TEXT NOT NULL CHECK (status IN
                                 ('complete', 'streaming', 'stopped', 'interrupted', 'error')),
            error              TEXT,
            created_at         INTEGER NOT NULL
        );
        CREATE INDEX chat_messages_by_thread ON chat_messages(thread_id, seq);
        CREATE INDEX chat_messages_by_parent ON chat_messages(parent_id, seq);
        CREATE INDEX chat_messages_streaming ON chat_messages(status) WHERE status = 'streaming';
        -- Full-text search over titles and message text: external-content FTS5 tables kept in
        -- step by triggers.
        CREATE VIRTUAL TABLE chat_thread_fts USING fts5(
            title, content = 'chat_threads', content_rowid = 'seq',
            tokenize = 'unicode61 remove_diacritics 2');
        CREATE VIRTUAL TABLE chat_message_fts USING fts5(
            content, content = 'chat_messages', content_rowid = 'seq',
            tokenize = 'unicode61 remove_diacritics 2');
        CREATE TRIGGER chat_threads_fts_insert AFTER INSERT ON chat_threads BEGIN
            INSERT INTO chat_thread_fts(rowid, title) VALUES (new.seq, new.title);
        END;
        CREATE TRIGGER chat_threads_fts_delete AFTER DELETE ON chat_threads BEGIN
            INSERT INTO chat_thread_fts(chat_thread_fts, rowid, title)
                VALUES ('delete', old.seq, old.title);
        END;
        CREATE TRIGGER chat_threads_fts_update AFTER UPDATE OF title ON chat_threads BEGIN
            INSERT INTO chat_thread_fts(chat_thread_fts, rowid, title)
                VALUES ('delete', old.seq, old.title);
            INSERT INTO chat_thread_fts(rowid, title) VALUES (new.seq, new.title);
        END;
        CREATE TRIGGER chat_messages_fts_insert AFTER INSERT ON chat_messages BEGIN
            INSERT INTO chat_message_fts(rowid, content) VALUES (new.seq, new.content);
        END;
        CREATE TRIGGER chat_messages_fts_delete AFTER DELETE ON chat_messages BEGIN
            INSERT INTO chat_message_fts(chat_message_fts, rowid, content)
                VALUES ('delete', old.seq, old.content);
        END;
        CREATE TRIGGER chat_messages_fts_update AFTER UPDATE OF content ON chat_messages BEGIN
            INSERT INTO chat_message_fts(chat_message_fts, rowid, content)
                VALUES ('delete', old.seq, old.content);
            INSERT INTO chat_message_fts(rowid, content) VALUES (new.seq, new.content);
        END;
    "#,
    },
    Migration {
        version: 5,
        name: "training runs and their metrics",
        sql: r#"
        CREATE TABLE train_runs (
            id              TEXT PRIMARY KEY,
            job_id          TEXT,
            model           TEXT NOT NULL,
            dataset         TEXT NOT NULL,
            output          TEXT NOT NULL,
            -- The TrainConfig as JSON.
            config          TEXT NOT NULL,
            -- running | completed | stopped | cancelled | failed | interrupted
            state           TEXT NOT NULL,
            total_steps     INTEGER,
            last_step       INTEGER NOT NULL DEFAULT 0,
            last_checkpoint TEXT,
            adapter         TEXT,
            error           TEXT,
            created_at      TEXT NOT NULL,
            updated_at      TEXT NOT NULL
        );
        CREATE TABLE train_metrics (
            run_id        TEXT NOT NULL REFERENCES train_runs(id) ON DELETE CASCADE,
            step          INTEGER NOT NULL,
            -- train | eval
            kind          TEXT NOT NULL,
            loss          REAL NOT NULL,
            learning_rate REAL,
            grad_norm     REAL,
            tokens_per_s  REAL,
            elapsed_s     REAL,
            memory_bytes  INTEGER,
            PRIMARY KEY (run_id, kind, step)
        );
    "#,
    },
    Migration {
        version: 6,
        name: "data recipes and their runs (loris-recipes)",
        sql: r#"
        CREATE TABLE recipes (
            id          TEXT PRIMARY KEY,
            name        TEXT NOT NULL,
            -- The recipe document exactly as imported or saved, unknown fields included.
            json        TEXT NOT NULL,
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        );
        CREATE TABLE recipe_runs (
            id          TEXT PRIMARY KEY,
            recipe_id   TEXT NOT NULL REFERENCES recipes(id) ON DELETE CASCADE,
            -- preview | full
            kind        TEXT NOT NULL,
            -- queued | running | completed | cancelled | failed | interrupted
            state       TEXT NOT NULL,
            rows_done   INTEGER NOT NULL DEFAULT 0,
            -- Where the rows went (a file or folder), once known.
            output      TEXT,
            error       TEXT,
            created_at  TEXT NOT NULL,
            updated_at  TEXT NOT NULL
        );
        CREATE INDEX recipe_runs_by_recipe ON recipe_runs(recipe_id, created_at);
    "#,
    },
    Migration {
        version: 7,
        name: "recipe runs: their job and settings, so an interrupted run can resume",
        sql: r#"
        ALTER TABLE recipe_runs ADD COLUMN job_id TEXT;
        -- The run's options (rows, batch size, seed, formats) as JSON.
        ALTER TABLE recipe_runs ADD COLUMN settings TEXT;
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
