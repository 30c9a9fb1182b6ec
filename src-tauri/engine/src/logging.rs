//! Tracing to stderr and to a daily rolling file in `<data_dir>/logs`.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// Keeps the file writer flushing; drop it last.
#[must_use = "logs are lost when the guard is dropped"]
pub struct LogGuard {
    _file: Option<WorkerGuard>,
}

/// The folder that holds the log files.
pub fn log_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("logs")
}

/// Installs the global subscriber. When the log folder cannot be created the
/// app logs to stderr only, and says so there. Calling it twice is harmless
/// (the second call changes nothing), which keeps tests simple.
pub fn init(data_dir: &Path, filter: &str) -> LogGuard {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let dir = log_dir(data_dir);
    let made = crate::data_dir::make_private(data_dir).and_then(|()| crate::data_dir::make_private(&dir));
    let file = made.map(|()| {
        let appender = tracing_appender::rolling::daily(&dir, "sutazai.log");
        tracing_appender::non_blocking(appender)
    });
    let stderr = fmt::layer().with_writer(std::io::stderr);
    match file {
        Ok((writer, guard)) => {
            let file_layer = fmt::layer().with_ansi(false).with_writer(writer);
            let _ = tracing_subscriber::registry()
                .with(filter)
                .with(stderr)
                .with(file_layer)
                .try_init();
            LogGuard { _file: Some(guard) }
        }
        Err(err) => {
            let _ = tracing_subscriber::registry().with(filter).with(stderr).try_init();
            tracing::warn!(dir = %dir.display(), cause = %err, "cannot create the log folder; logging to stderr only");
            LogGuard { _file: None }
        }
    }
}
