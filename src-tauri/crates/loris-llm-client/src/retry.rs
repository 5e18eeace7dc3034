//! When to try again and how long to wait first.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::LlmError;

/// How persistent a [`crate::ChatClient`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total requests per call, the first included; 0 is read as 1.
    pub max_attempts: u32,
    /// The backoff ceiling before the first retry; it doubles each retry.
    pub base_delay: Duration,
    /// The longest wait between attempts, `Retry-After` included.
    pub max_delay: Duration,
    /// The limit for one whole request (connect, send, generate, read). Generous by default
    /// because local models can take minutes on long outputs.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            request_timeout: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    pub(crate) fn attempts(&self) -> u32 {
        self.max_attempts.max(1)
    }
}

/// Full-jitter exponential backoff: a uniform wait in `[0, min(max, base * 2^retry))`, which
/// spreads retries from many workers hitting one server instead of synchronizing them.
///
/// The random source is a SplitMix64 sequence over an atomic counter: lock-free, shareable
/// across threads, and good enough for spreading waits (not for anything secret).
#[derive(Debug)]
pub(crate) struct Backoff {
    state: AtomicU64,
}

const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

impl Backoff {
    pub(crate) fn new() -> Backoff {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        // A process-wide counter separates clients created within the clock's resolution.
        static CREATED: AtomicU64 = AtomicU64::new(0);
        let nth = CREATED.fetch_add(1, Ordering::Relaxed);
        Backoff::with_seed(nanos ^ nth.wrapping_mul(GOLDEN_GAMMA).rotate_left(17))
    }

    pub(crate) fn with_seed(seed: u64) -> Backoff {
        Backoff {
            state: AtomicU64::new(seed),
        }
    }

    fn next_u64(&self) -> u64 {
        let mut z = self
            .state
            .fetch_add(GOLDEN_GAMMA, Ordering::Relaxed)
            .wrapping_add(GOLDEN_GAMMA);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The wait before retry number `retry` (1 for the first retry).
    pub(crate) fn delay(&self, policy: &RetryPolicy, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(32);
        let ceiling = policy
            .base_delay
            .saturating_mul(1u32 << doublings.min(31))
            .min(policy.max_delay);
        let ceiling_nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        if ceiling_nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(self.next_u64() % ceiling_nanos)
    }
}

/// A `Retry-After` header value in seconds (fractions accepted). HTTP dates are not read: the
/// caller falls back to backoff for them.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs: f64 = value.trim().parse().ok()?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(secs.min(86_400.0)))
}

/// How often a wait looks at the cancel flag; short enough that cancelling feels immediate.
const CANCEL_POLL: Duration = Duration::from_millis(10);

/// Sleeps for `duration`, returning early with [`LlmError::Cancelled`] once `cancelled` is set.
pub(crate) fn sleep_unless_cancelled(
    duration: Duration,
    cancelled: &AtomicBool,
) -> Result<(), LlmError> {
    let deadline = Instant::now() + duration;
    loop {
        if cancelled.load(Ordering::Relaxed) {
            return Err(LlmError::Cancelled);
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(());
        }
        std::thread::sleep((deadline - now).min(CANCEL_POLL));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(base_ms: u64, max_ms: u64) -> RetryPolicy {
        RetryPolicy {
            base_delay: Duration::from_millis(base_ms),
            max_delay: Duration::from_millis(max_ms),
            ..RetryPolicy::default()
        }
    }

    #[test]
    fn defaults_match_the_documented_values() {
        let p = RetryPolicy::default();
        assert_eq!(p.max_attempts, 3);
        assert_eq!(p.base_delay, Duration::from_millis(250));
        assert_eq!(p.max_delay, Duration::from_secs(8));
        assert_eq!(p.request_timeout, Duration::from_secs(300));
        assert_eq!(
            RetryPolicy {
                max_attempts: 0,
                ..p
            }
            .attempts(),
            1
        );
    }

    #[test]
    fn delays_stay_under_the_growing_ceiling() {
        let backoff = Backoff::with_seed(42);
        let p = policy(100, 1000);
        for retry in 1..=40 {
            let ceiling = Duration::from_millis((100u64 << (retry - 1).min(20)).min(1000));
            for _ in 0..50 {
                assert!(backoff.delay(&p, retry) < ceiling, "retry {retry}");
            }
        }
    }

    #[test]
    fn delays_are_jittered() {
        let backoff = Backoff::with_seed(7);
        let p = policy(1000, 1000);
        let mut seen: Vec<Duration> = (0..20).map(|_| backoff.delay(&p, 1)).collect();
        seen.sort();
        seen.dedup();
        assert!(seen.len() > 15, "{seen:?}");
        let mean = seen.iter().map(Duration::as_secs_f64).sum::<f64>() / seen.len() as f64;
        assert!((0.2..0.8).contains(&mean), "mean {mean}");
    }

    #[test]
    fn zero_base_means_no_wait() {
        assert_eq!(
            Backoff::with_seed(1).delay(&policy(0, 1000), 3),
            Duration::ZERO
        );
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after(" 0.25 "),
            Some(Duration::from_millis(250))
        );
        assert_eq!(parse_retry_after("0"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("NaN"), None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn sleep_returns_early_when_cancelled() {
        let flag = AtomicBool::new(true);
        let start = Instant::now();
        let err = sleep_unless_cancelled(Duration::from_secs(10), &flag).unwrap_err();
        assert_eq!(err, LlmError::Cancelled);
        assert!(start.elapsed() < Duration::from_millis(100));
        let flag = AtomicBool::new(false);
        sleep_unless_cancelled(Duration::from_millis(5), &flag).unwrap();
    }
}
