//! Load progress: the weight readers report the bytes they have read, and whoever loads a model
//! can watch the fraction done.
//!
//! The sink is thread-local and set only for the duration of one load ([`track`]), so that each
//! architecture's constructor needs no extra parameter and loads on other threads never mix
//! their counts.

use std::cell::RefCell;
use std::sync::Arc;

/// Receives the fraction of the weights read so far, from 0 to 1, as it grows.
pub type ProgressFn = Arc<dyn Fn(f32) + Send + Sync>;

struct Sink {
    total: u64,
    done: u64,
    /// The last fraction reported, in hundredths: reports go out only when it changes.
    last_percent: u32,
    report: ProgressFn,
}

thread_local! {
    static SINK: RefCell<Option<Sink>> = const { RefCell::new(None) };
}

/// Runs `load` with `report` receiving the fraction of `total_bytes` read. Reports 0 first and
/// 1 after a successful load.
pub fn track<T, E>(
    total_bytes: u64,
    report: ProgressFn,
    load: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    report(0.0);
    // Removes the sink when the load ends, even by a panic.
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            SINK.with(|s| s.borrow_mut().take());
        }
    }
    SINK.with(|s| {
        *s.borrow_mut() = Some(Sink {
            total: total_bytes.max(1),
            done: 0,
            last_percent: 0,
            report,
        })
    });
    let _reset = Reset;
    let result = load();
    if result.is_ok() {
        SINK.with(|s| {
            if let Some(sink) = s.borrow().as_ref() {
                (sink.report)(1.0);
            }
        });
    }
    result
}

/// Called by the weight readers after reading `bytes`; does nothing outside [`track`].
pub(crate) fn advance(bytes: u64) {
    SINK.with(|s| {
        if let Some(sink) = s.borrow_mut().as_mut() {
            sink.done = sink.done.saturating_add(bytes).min(sink.total);
            let percent = (sink.done * 100 / sink.total) as u32;
            if percent > sink.last_percent {
                sink.last_percent = percent;
                (sink.report)(percent as f32 / 100.0);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn reports_growing_fractions_then_one() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let out: Result<u32, ()> =
            track(200, Arc::new(move |f| sink.lock().unwrap().push(f)), || {
                advance(50);
                advance(1);
                advance(149);
                Ok(7)
            });
        assert_eq!(out, Ok(7));
        assert_eq!(*seen.lock().unwrap(), vec![0.0, 0.25, 1.0, 1.0]);
        // Outside `track` nothing is reported.
        advance(10);
        assert_eq!(seen.lock().unwrap().len(), 4);
    }

    #[test]
    fn a_failed_load_does_not_report_completion() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        let out: Result<(), &str> =
            track(10, Arc::new(move |f| sink.lock().unwrap().push(f)), || {
                advance(5);
                Err("bad file")
            });
        assert!(out.is_err());
        assert_eq!(*seen.lock().unwrap(), vec![0.0, 0.5]);
    }
}
