//! Time as auth sees it. Injected so tests can step over lockouts and expiries without sleeping.

use std::sync::atomic::{AtomicI64, Ordering};

/// Unix time in whole seconds.
pub trait Clock: Send + Sync {
    fn now(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        // A clock before 1970 is a broken machine; 0 keeps every comparison well defined.
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that moves only when told to; for tests (here and in the crates that use auth).
#[derive(Debug)]
pub struct ManualClock {
    now: AtomicI64,
}

impl ManualClock {
    pub fn new(start: i64) -> Self {
        ManualClock {
            now: AtomicI64::new(start),
        }
    }

    pub fn advance(&self, seconds: i64) {
        self.now.fetch_add(seconds, Ordering::SeqCst);
    }

    pub fn set(&self, now: i64) {
        self.now.store(now, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(1_000);
        assert_eq!(clock.now(), 1_000);
        clock.advance(59);
        assert_eq!(clock.now(), 1_059);
        clock.set(5);
        assert_eq!(clock.now(), 5);
    }

    #[test]
    fn system_clock_is_after_2024() {
        assert!(SystemClock.now() > 1_700_000_000);
    }
}
