//! The event bus: every event is stored in SQLite with a sequence number, then broadcast.
//!
//! The sequence number is the reconnect cursor. A subscriber that went away remembers the last
//! `seq` it saw; [`EventBus::resume`] hands it exactly the stored events after that one and then
//! the live ones, with no gap and no duplicate.

use std::collections::VecDeque;
use std::sync::Arc;

use rusqlite::params;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::error::{Error, Result};
use crate::store::Store;
use crate::time_fmt::now_rfc3339;

/// How many live events a slow subscriber may fall behind before it re-reads from the store.
const LIVE_BUFFER: usize = 1024;

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AppEvent {
    /// Strictly increasing across all events of this data dir. A JavaScript number holds it
    /// exactly up to 2^53, far beyond any event count.
    #[specta(type = specta_typescript::Number)]
    pub seq: i64,
    pub at: String,
    pub job_id: Option<String>,
    /// A dotted name such as `job.progress`; the payload's shape depends on it.
    pub kind: String,
    #[specta(type = crate::json_type::JsonValue)]
    pub payload: serde_json::Value,
}

pub struct EventBus {
    store: Arc<Store>,
    live: broadcast::Sender<AppEvent>,
}

impl EventBus {
    pub fn new(store: Arc<Store>) -> Self {
        let (live, _) = broadcast::channel(LIVE_BUFFER);
        EventBus { store, live }
    }

    /// Stores the event, then broadcasts it. The store's lock is held across both so that
    /// broadcast order equals `seq` order.
    pub fn publish(
        &self,
        job_id: Option<&str>,
        kind: &str,
        payload: serde_json::Value,
    ) -> Result<AppEvent> {
        let conn = self.store.conn();
        let at = now_rfc3339();
        conn.execute(
            "INSERT INTO events(at, job_id, kind, payload) VALUES (?1, ?2, ?3, ?4)",
            params![at, job_id, kind, payload.to_string()],
        )?;
        let event = AppEvent {
            seq: conn.last_insert_rowid(),
            at,
            job_id: job_id.map(str::to_owned),
            kind: kind.to_owned(),
            payload,
        };
        // No subscriber is not an error: the event is stored and can be replayed.
        let _ = self.live.send(event.clone());
        drop(conn);
        Ok(event)
    }

    /// Stored events with `seq > after_seq`, oldest first, optionally for one job.
    pub fn since(
        &self,
        after_seq: i64,
        job_id: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AppEvent>> {
        let conn = self.store.conn();
        let mut stmt = conn.prepare(
            "SELECT seq, at, job_id, kind, payload FROM events
             WHERE seq > ?1 AND (?2 IS NULL OR job_id = ?2) ORDER BY seq LIMIT ?3",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![after_seq, job_id, limit], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get::<_, String>(4)?,
            ))
        })?;
        let mut events = Vec::new();
        for row in rows {
            let (seq, at, job_id, kind, payload) = row?;
            let payload = serde_json::from_str(&payload).map_err(|source| Error::Json {
                what: format!("event {seq}"),
                source,
            })?;
            events.push(AppEvent {
                seq,
                at,
                job_id,
                kind,
                payload,
            });
        }
        Ok(events)
    }

    /// The highest sequence number published so far (0 when none).
    pub fn last_seq(&self) -> Result<i64> {
        Ok(self
            .store
            .conn()
            .query_row("SELECT coalesce(max(seq), 0) FROM events", [], |row| {
                row.get(0)
            })?)
    }

    /// Live events only, from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<AppEvent> {
        self.live.subscribe()
    }

    /// Everything after `after_seq`: first what was stored, then live events.
    pub fn resume(self: &Arc<Self>, after_seq: i64, job_id: Option<&str>) -> Subscription {
        // Subscribe before reading the backlog, so nothing published in between is missed;
        // duplicates are dropped by comparing seq.
        let live = self.subscribe();
        Subscription {
            bus: Arc::clone(self),
            live,
            backlog: VecDeque::new(),
            last_seq: after_seq,
            job_id: job_id.map(str::to_owned),
            needs_catch_up: true,
        }
    }
}

/// A gap-free stream of events after a given sequence number.
pub struct Subscription {
    bus: Arc<EventBus>,
    live: broadcast::Receiver<AppEvent>,
    backlog: VecDeque<AppEvent>,
    last_seq: i64,
    job_id: Option<String>,
    needs_catch_up: bool,
}

impl Subscription {
    /// The next event, waiting for one if needed. `None` once the bus is gone.
    pub async fn next(&mut self) -> Option<Result<AppEvent>> {
        loop {
            if self.needs_catch_up {
                self.needs_catch_up = false;
                match self
                    .bus
                    .since(self.last_seq, self.job_id.as_deref(), usize::MAX)
                {
                    Ok(events) => self.backlog.extend(events),
                    Err(err) => return Some(Err(err)),
                }
            }
            if let Some(event) = self.backlog.pop_front() {
                self.last_seq = event.seq;
                return Some(Ok(event));
            }
            match self.live.recv().await {
                Ok(event) => {
                    let wanted = self.job_id.is_none() || event.job_id == self.job_id;
                    if event.seq > self.last_seq && wanted {
                        self.last_seq = event.seq;
                        return Some(Ok(event));
                    }
                }
                // Fell behind the live buffer: the store has everything, read it from there.
                Err(broadcast::error::RecvError::Lagged(_)) => self.needs_catch_up = true,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bus() -> Arc<EventBus> {
        Arc::new(EventBus::new(Arc::new(Store::open_in_memory().unwrap())))
    }

    #[tokio::test]
    async fn sequence_numbers_increase() {
        let bus = bus();
        let a = bus.publish(None, "test", serde_json::json!(1)).unwrap();
        let b = bus.publish(None, "test", serde_json::json!(2)).unwrap();
        assert!(b.seq > a.seq);
        assert_eq!(bus.last_seq().unwrap(), b.seq);
    }

    #[tokio::test]
    async fn a_reconnecting_subscriber_gets_exactly_what_it_missed() {
        let bus = bus();
        let mut first = bus.resume(0, None);
        for i in 0..3 {
            bus.publish(None, "test", serde_json::json!(i)).unwrap();
        }
        let mut seen = Vec::new();
        for _ in 0..3 {
            seen.push(first.next().await.unwrap().unwrap());
        }
        let cursor = first.last_seq();
        drop(first); // disconnect
        for i in 3..7 {
            bus.publish(None, "test", serde_json::json!(i)).unwrap();
        }
        let mut again = bus.resume(cursor, None);
        bus.publish(None, "test", serde_json::json!(7)).unwrap();
        let mut replay = Vec::new();
        for _ in 0..5 {
            replay.push(again.next().await.unwrap().unwrap().payload);
        }
        assert_eq!(
            replay,
            (3..8).map(|i| serde_json::json!(i)).collect::<Vec<_>>()
        );
        // Nothing more: no duplicate of the live event that was also stored.
        let extra = tokio::time::timeout(std::time::Duration::from_millis(50), again.next()).await;
        assert!(extra.is_err(), "unexpected extra event {extra:?}");
    }

    #[tokio::test]
    async fn a_lagging_subscriber_catches_up_from_the_store() {
        let bus = bus();
        let mut sub = bus.resume(0, None);
        let total = LIVE_BUFFER + 10;
        for i in 0..total {
            bus.publish(None, "test", serde_json::json!(i)).unwrap();
        }
        for i in 0..total {
            assert_eq!(
                sub.next().await.unwrap().unwrap().payload,
                serde_json::json!(i)
            );
        }
    }
}
