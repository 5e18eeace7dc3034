//! The recent requests, kept in memory for Settings to show: method, path, status, tokens,
//! duration. A ring buffer: the oldest entry goes when it is full. Nothing about the request's
//! content or its key is kept.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestLogEntry {
    pub id: u64,
    /// Unix milliseconds when the request arrived.
    pub at_ms: u64,
    pub method: String,
    pub path: String,
    /// 0 while the handler runs.
    pub status: u16,
    pub prompt_tokens: Option<usize>,
    pub completion_tokens: Option<usize>,
    /// Arrival to the last byte for streams, to the response otherwise.
    pub duration_ms: f64,
    /// Whether the entry is final (a stream's entry is final when the stream ends).
    pub done: bool,
}

pub struct RequestLog {
    entries: Mutex<VecDeque<RequestLogEntry>>,
    capacity: usize,
    next_id: AtomicU64,
}

impl RequestLog {
    pub fn new(capacity: usize) -> Self {
        RequestLog {
            entries: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
            capacity: capacity.max(1),
            next_id: AtomicU64::new(1),
        }
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> Vec<RequestLogEntry> {
        self.lock().iter().cloned().collect()
    }

    /// Records a request as it arrives; the ticket fills in the rest.
    pub(crate) fn start(self: &Arc<Self>, method: &str, path: &str) -> LogTicket {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let at_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        let mut entries = self.lock();
        if entries.len() == self.capacity {
            entries.pop_front();
        }
        entries.push_back(RequestLogEntry {
            id,
            at_ms,
            method: method.to_owned(),
            path: path.to_owned(),
            status: 0,
            prompt_tokens: None,
            completion_tokens: None,
            duration_ms: 0.0,
            done: false,
        });
        LogTicket {
            id,
            started: Instant::now(),
            log: Arc::clone(self),
            streaming: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        }
    }

    fn update(&self, id: u64, f: impl FnOnce(&mut RequestLogEntry)) {
        // Entries are in id order; an entry already pushed out of the ring is simply gone.
        let mut entries = self.lock();
        if let Some(entry) = entries.iter_mut().rev().find(|e| e.id == id) {
            f(entry);
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<RequestLogEntry>> {
        // Every change is a whole-entry push, pop or field write: a poisoned lock is consistent.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One request's entry, carried in the request's extensions to the handler.
#[derive(Clone)]
pub(crate) struct LogTicket {
    id: u64,
    started: Instant,
    log: Arc<RequestLog>,
    streaming: Arc<std::sync::atomic::AtomicBool>,
}

impl LogTicket {
    fn elapsed_ms(&self) -> f64 {
        self.started.elapsed().as_secs_f64() * 1000.0
    }

    /// The response head is out. A stream's entry stays open until [`LogTicket::stream_done`].
    pub(crate) fn responded(&self, status: u16) {
        let streaming = self.streaming.load(Ordering::SeqCst);
        let elapsed = self.elapsed_ms();
        self.log.update(self.id, |e| {
            e.status = status;
            if !streaming && !e.done {
                e.duration_ms = elapsed;
                e.done = true;
            }
        });
    }

    pub(crate) fn tokens(&self, prompt: usize, completion: usize) {
        self.log.update(self.id, |e| {
            e.prompt_tokens = Some(prompt);
            e.completion_tokens = Some(completion);
        });
    }

    /// The response is a stream: its entry is final when the stream ends.
    pub(crate) fn streaming(&self) {
        self.streaming.store(true, Ordering::SeqCst);
    }

    pub(crate) fn stream_done(&self) {
        let elapsed = self.elapsed_ms();
        self.log.update(self.id, |e| {
            e.duration_ms = elapsed;
            e.done = true;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_newest_entries() {
        let log = Arc::new(RequestLog::new(2));
        for path in ["/a", "/b", "/c"] {
            log.start("GET", path).responded(200);
        }
        let paths: Vec<String> = log.entries().into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["/b", "/c"]);
        assert!(log.entries().iter().all(|e| e.done && e.status == 200));
    }

    #[test]
    fn a_stream_entry_is_final_when_the_stream_ends() {
        let log = Arc::new(RequestLog::new(4));
        let ticket = log.start("POST", "/v1/messages");
        ticket.streaming();
        ticket.responded(200);
        assert!(!log.entries()[0].done);
        ticket.tokens(10, 5);
        ticket.stream_done();
        let entry = &log.entries()[0];
        assert!(entry.done);
        assert_eq!(
            (entry.prompt_tokens, entry.completion_tokens),
            (Some(10), Some(5))
        );
    }
}
