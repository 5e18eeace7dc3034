//! The login rate limit: 5 failures within 60 s lock the user for 60 s. Kept in SQLite, not in
//! memory, so a restart does not reset it and `loris user reset-password` (another process) can
//! clear it.

use rusqlite::{Connection, params};

use crate::error::Result;

pub(crate) const MAX_FAILURES: i64 = 5;
pub(crate) const WINDOW_SECS: i64 = 60;
pub(crate) const LOCK_SECS: i64 = 60;

/// Seconds left of a lockout, if one is running.
pub(crate) fn remaining(locked_until: Option<i64>, now: i64) -> Option<u64> {
    locked_until
        .filter(|until| *until > now)
        .map(|until| u64::try_from(until - now).unwrap_or(u64::MAX))
}

/// Records a failed attempt. Returns the lock's end when this failure starts a lockout.
pub(crate) fn record_failure(conn: &Connection, user_id: &str, now: i64) -> Result<Option<i64>> {
    conn.execute(
        "DELETE FROM login_failures WHERE user_id = ?1 AND at <= ?2",
        params![user_id, now - WINDOW_SECS],
    )?;
    conn.execute(
        "INSERT INTO login_failures (user_id, at) VALUES (?1, ?2)",
        params![user_id, now],
    )?;
    let recent: i64 = conn.query_row(
        "SELECT count(*) FROM login_failures WHERE user_id = ?1",
        [user_id],
        |r| r.get(0),
    )?;
    if recent < MAX_FAILURES {
        return Ok(None);
    }
    let until = now + LOCK_SECS;
    conn.execute(
        "UPDATE users SET locked_until = ?2 WHERE id = ?1",
        params![user_id, until],
    )?;
    // The lock is the consequence of these failures; after it the count starts over.
    conn.execute("DELETE FROM login_failures WHERE user_id = ?1", [user_id])?;
    Ok(Some(until))
}

/// Forgets failures and any lock: after a successful login, a password change or a reset.
pub(crate) fn clear(conn: &Connection, user_id: &str) -> Result<()> {
    conn.execute("DELETE FROM login_failures WHERE user_id = ?1", [user_id])?;
    conn.execute(
        "UPDATE users SET locked_until = NULL WHERE id = ?1",
        [user_id],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_counts_down_to_nothing() {
        assert_eq!(remaining(None, 100), None);
        assert_eq!(remaining(Some(160), 100), Some(60));
        assert_eq!(remaining(Some(160), 159), Some(1));
        assert_eq!(remaining(Some(160), 160), None);
    }

    #[test]
    fn failures_outside_the_window_do_not_count() {
        let store = loris_core::Store::open_in_memory().unwrap();
        let conn = store.conn();
        let user = super::super::users::insert(&conn, "u", "hash", false, 0).unwrap();
        // Four failures, then a pause longer than the window, then four more: no lock.
        for t in 0..4 {
            assert_eq!(record_failure(&conn, &user.id, t).unwrap(), None);
        }
        for t in 100..104 {
            assert_eq!(record_failure(&conn, &user.id, t).unwrap(), None);
        }
        assert_eq!(record_failure(&conn, &user.id, 104).unwrap(), Some(164));
    }
}
