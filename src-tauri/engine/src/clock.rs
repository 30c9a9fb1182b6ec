//! Time is injected so that tests control it.
//!
//! - Wall-clock time (what is stored and shown: `created_ms`, deadlines,
//!   history) comes from a [`Clock`] handed to each subsystem; nothing else
//!   reads `SystemTime`. Pure rules take `now_ms` as an argument.
//! - Monotonic time (timeouts, breakers' recovery, the fleet watch's
//!   pacing, caches' trust) is tokio's (`tokio::time::Instant`, `sleep`),
//!   never `std::time::Instant`, so a test on a paused runtime
//!   (`#[tokio::test(start_paused = true)]`) moves it with `advance`.

use std::time::{SystemTime, UNIX_EPOCH};

/// A source of wall-clock time in milliseconds since the Unix epoch.
pub trait Clock: Send + Sync + 'static {
    fn now_ms(&self) -> i64;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}
