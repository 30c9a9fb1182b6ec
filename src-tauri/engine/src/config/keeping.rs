//! How the metrics history is kept: each tier's retention and the file's
//! size limit (the `metrics_*` keys). Declared here, below the metrics, so
//! the configuration needs nothing above it.

/// How long each tier is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub second_ms: i64,
    pub minute_ms: i64,
    pub hour_ms: i64,
}

impl Default for Retention {
    /// 24 hours of seconds, 30 days of minutes, a year of hours.
    fn default() -> Retention {
        Retention {
            second_ms: 24 * 3_600_000,
            minute_ms: 30 * 24 * 3_600_000,
            hour_ms: 365 * 24 * 3_600_000,
        }
    }
}

/// How the history is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keeping {
    pub retention: Retention,
    /// The file's size limit: past it the oldest blocks go first, seconds
    /// before minutes before hours.
    pub max_bytes: u64,
}

impl Default for Keeping {
    fn default() -> Keeping {
        Keeping {
            retention: Retention::default(),
            max_bytes: 1 << 30,
        }
    }
}
