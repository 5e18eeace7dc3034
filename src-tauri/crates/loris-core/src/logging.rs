//! Logs go to a daily-rotated file in the data dir (a week kept), and to stderr when asked.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::error::{Error, Result};

const LOG_PREFIX: &str = "loris";
const LOG_SUFFIX: &str = "log";
const LOG_FILES_KEPT: usize = 7;

/// Keeps the background log writer alive; logs are flushed when it drops.
pub struct LogGuard {
    _guard: WorkerGuard,
}

/// Installs the global subscriber. `LORIS_LOG` sets the filter (default `info`).
/// Calling it twice is harmless: the second call leaves the first subscriber in place.
pub fn init(log_dir: &Path, to_stderr: bool) -> Result<LogGuard> {
    std::fs::create_dir_all(log_dir).map_err(|e| Error::io("creating directory", log_dir, e))?;
    let appender = Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix(LOG_PREFIX)
        .filename_suffix(LOG_SUFFIX)
        .max_log_files(LOG_FILES_KEPT)
        .build(log_dir)
        .map_err(|e| {
            Error::Internal(format!(
                "cannot open log file in {}: {e}",
                log_dir.display()
            ))
        })?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = || EnvFilter::try_from_env("LORIS_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let file_layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(writer)
        .with_filter(filter());
    let stderr_layer = to_stderr.then(|| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(filter())
    });
    let _ = tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr_layer)
        .try_init();
    Ok(LogGuard { _guard: guard })
}

/// The file today's log lines go to.
pub fn current_log_file(log_dir: &Path) -> PathBuf {
    let date = time::OffsetDateTime::now_utc().date();
    log_dir.join(format!(
        "{LOG_PREFIX}.{:04}-{:02}-{:02}.{LOG_SUFFIX}",
        date.year(),
        u8::from(date.month()),
        date.day()
    ))
}

use tracing_subscriber::Layer as _;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_to_the_named_file() {
        let tmp = tempfile::tempdir().unwrap();
        let guard = init(tmp.path(), false).unwrap();
        tracing::info!("hello from the log test");
        drop(guard);
        let file = current_log_file(tmp.path());
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        // Another test may have installed the global subscriber first; then this file is empty,
        // but it must still be the one the appender created.
        assert!(file.exists(), "{} missing", file.display());
        if !text.is_empty() {
            assert!(text.contains("hello from the log test"));
        }
    }
}
