//! The lifetime every long-lived part of the engine is started with: the
//! engine's shutdown switch and the tracker shutdown waits on.
//!
//! The pattern each subsystem follows (fleet, orchestrator, catalog watch,
//! status; later workflows, metrics, alerts):
//! - it is built from its own config, its handles (store, clock, Docker)
//!   passed in;
//! - its background loops and every task it spawns run on the
//!   [`Lifetime`] it is started with, so shutdown stops and waits for them;
//! - what it reports arrives through its `subscribe()` (a broadcast or
//!   watch receiver of its own event type);
//! - its errors are its own `thiserror` enum with a `code()` (the [`Code`]
//!   that crosses to the UI and the API).
//!
//! [`Code`]: crate::error::Code

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, WaitForCancellationFuture};
use tokio_util::task::TaskTracker;

/// The engine's shutdown switch and the tracker of everything it started.
/// Cheap to clone; every clone is the same lifetime.
#[derive(Clone, Default)]
pub struct Lifetime {
    cancel: CancellationToken,
    tracker: TaskTracker,
}

impl Lifetime {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `task` until it ends; shutdown waits for it.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.tracker.spawn(task)
    }

    /// Resolves once shutdown has begun.
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        self.cancel.cancelled()
    }

    /// The shutdown switch itself, for streams and loops that take one.
    pub fn token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Begins shutdown without waiting for anything.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Begins shutdown and waits at most `grace` for every task to end;
    /// false when some did not.
    pub async fn end(&self, grace: Duration) -> bool {
        self.cancel.cancel();
        self.tracker.close();
        tokio::time::timeout(grace, self.tracker.wait()).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn ending_waits_for_tracked_tasks_up_to_the_grace() {
        let life = Lifetime::new();
        let polite = life.clone();
        life.spawn(async move {
            polite.cancelled().await;
            tokio::time::sleep(Duration::from_secs(1)).await;
        });
        assert!(
            life.end(Duration::from_secs(5)).await,
            "a task that stops in 1 s ends within 5 s"
        );

        let life = Lifetime::new();
        life.spawn(tokio::time::sleep(Duration::from_secs(60)));
        assert!(
            !life.end(Duration::from_secs(5)).await,
            "a task that ignores shutdown outlives the grace"
        );
    }
}
