//! The SQLite store: one file in the data dir, WAL mode, foreign keys on, versioned migrations.
//!
//! One connection behind a mutex: writes are short and SQLite serializes them anyway, and a
//! single connection keeps transactions simple. Long work never holds the lock.

mod migrations;
mod settings;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::error::{Error, Result};

pub use migrations::{LATEST_VERSION, MIGRATIONS};

pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// A file that is not a SQLite database, or is damaged, gives [`Error::DatabaseCorrupt`].
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| classify(path, e))?;
        Self::configure(&conn).map_err(|e| classify(path, e))?;
        check_integrity(&conn, path)?;
        migrations::migrate(&conn, path)?;
        Ok(Store {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    /// An in-memory store, for tests.
    pub fn open_in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory()?;
        Self::configure(&conn)?;
        migrations::migrate(&conn, Path::new(":memory:"))?;
        Ok(Store {
            path: PathBuf::from(":memory:"),
            conn: Mutex::new(conn),
        })
    }

    fn configure(conn: &Connection) -> rusqlite::Result<()> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // journal_mode returns a row, so it is read with query_row rather than executed.
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")?;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection, for the service modules that own a table.
    pub fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (transactions roll
        // back on drop), so a poisoned lock is still safe to use.
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` inside one transaction: all of its writes land, or none do.
    pub fn transaction<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }
}

/// SQLite reports a non-database file lazily, on the first statement; map those codes to the
/// typed error that names the file.
fn classify(path: &Path, err: rusqlite::Error) -> Error {
    match err.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => {
            Error::DatabaseCorrupt {
                path: path.to_path_buf(),
                reason: err.to_string(),
            }
        }
        Some(ErrorCode::CannotOpen) => Error::io(
            "opening database",
            path,
            std::io::Error::other(err.to_string()),
        ),
        _ => Error::Database(err),
    }
}

fn check_integrity(conn: &Connection, path: &Path) -> Result<()> {
    let verdict: String = conn
        .query_row("PRAGMA quick_check(1)", [], |row| row.get(0))
        .map_err(|e| classify(path, e))?;
    if verdict == "ok" {
        Ok(())
    } else {
        Err(Error::DatabaseCorrupt {
            path: path.to_path_buf(),
            reason: verdict,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_an_empty_database_then_reopens_it() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("loris.db");
        {
            let store = Store::open(&path).unwrap();
            assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
            store
                .set_setting("ui.theme", &serde_json::json!("dark"))
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), LATEST_VERSION);
        assert_eq!(
            store.setting("ui.theme").unwrap(),
            Some(serde_json::json!("dark"))
        );
        let mode: String = store
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = store
            .conn()
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
    }

    #[test]
    fn a_file_that_is_not_a_database_gives_a_typed_error() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("loris.db");
        std::fs::write(&path, b"this is not sqlite at all, just some text that is long enough to be a header..........................................").unwrap();
        let err = Store::open(&path).err().expect("must fail");
        assert_eq!(err.code(), "database_corrupt", "{err}");
        assert!(err.to_string().contains("loris.db"));
        // Nothing was lost: the file is left as it was for the user to inspect.
        assert!(
            std::fs::read(&path)
                .unwrap()
                .starts_with(b"this is not sqlite")
        );
    }

    #[test]
    fn a_damaged_database_gives_a_typed_error() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("loris.db");
        {
            let store = Store::open(&path).unwrap();
            let conn = store.conn();
            conn.execute_batch("PRAGMA journal_mode = DELETE;").unwrap();
            for i in 0..200 {
                conn.execute(
                    "INSERT INTO settings(key, value, updated_at) VALUES (?1, ?2, 'x')",
                    (format!("k{i}"), format!("\"{}\"", "v".repeat(200))),
                )
                .unwrap();
            }
        }
        // Overwrite everything after the 100-byte header with garbage.
        let mut bytes = std::fs::read(&path).unwrap();
        for b in bytes.iter_mut().skip(100) {
            *b = 0xA5;
        }
        std::fs::write(&path, &bytes).unwrap();
        let _ = std::fs::remove_file(path.with_extension("db-wal"));
        let _ = std::fs::remove_file(path.with_extension("db-shm"));
        let err = Store::open(&path).err().expect("must fail");
        assert_eq!(err.code(), "database_corrupt", "{err}");
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("loris.db");
        {
            let store = Store::open(&path).unwrap();
            store
                .conn()
                .execute_batch(&format!("PRAGMA user_version = {}", LATEST_VERSION + 5))
                .unwrap();
        }
        let err = Store::open(&path).err().expect("must fail");
        assert_eq!(err.code(), "database_too_new");
    }

    #[test]
    fn transaction_rolls_back_on_error() {
        let store = Store::open_in_memory().unwrap();
        let result: Result<()> = store.transaction(|tx| {
            tx.execute(
                "INSERT INTO settings(key, value, updated_at) VALUES ('a', '1', 'x')",
                [],
            )?;
            Err(Error::Cancelled)
        });
        assert!(result.is_err());
        assert_eq!(store.setting("a").unwrap(), None);
    }
}
