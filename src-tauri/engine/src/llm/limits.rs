//! Per-model concurrency: at most `running` calls of one model at once, at
//! most `waiting` more queued behind them; a call beyond that is refused
//! at once rather than left to pile up.
//!
//! Two semaphores per model do it: `admitted` (running + waiting permits)
//! decides who may queue, `running` who may call Ollama. A call holds both
//! permits until its answer has been streamed to the end.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Models whose semaphores are kept while idle, before idle ones are
/// forgotten (the catalog names a handful; Ollama hosts tens).
const KEPT_IDLE: usize = 64;

/// The limits of every model, created on first use.
#[derive(Debug)]
pub struct Limits {
    running: usize,
    waiting: usize,
    models: Mutex<HashMap<String, Arc<Model>>>,
}

#[derive(Debug)]
struct Model {
    admitted: Arc<Semaphore>,
    running: Arc<Semaphore>,
}

/// A model has no room: `running` calls run and `waiting` wait.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("model {model} is busy: {running} running, {waiting} waiting; try again later")]
pub struct Busy {
    pub model: String,
    pub running: usize,
    pub waiting: usize,
}

/// A place in a model's queue; [`Ticket::run`] waits for a running slot.
#[derive(Debug)]
pub struct Ticket {
    admitted: OwnedSemaphorePermit,
    running: Arc<Semaphore>,
}

/// The right to call a model, held while its answer streams.
#[derive(Debug)]
pub struct Permit {
    _admitted: OwnedSemaphorePermit,
    _running: OwnedSemaphorePermit,
}

impl Limits {
    /// `running` calls per model at once (at least one), `waiting` queued.
    pub fn new(running: usize, waiting: usize) -> Limits {
        Limits {
            running: running.max(1),
            waiting,
            models: Mutex::new(HashMap::new()),
        }
    }

    /// A place in `model`'s queue, or [`Busy`] when the queue is full.
    pub fn enter(&self, model: &str) -> Result<Ticket, Busy> {
        let mut models = self.models.lock().unwrap_or_else(PoisonError::into_inner);
        if models.len() >= KEPT_IDLE && !models.contains_key(model) {
            // Forget the models no call holds: their semaphores are made
            // anew when asked, so names nobody uses keep no memory.
            let full = self.running + self.waiting;
            models.retain(|_, m| m.admitted.available_permits() < full);
        }
        let limits = models.entry(model.to_string()).or_insert_with(|| {
            Arc::new(Model {
                admitted: Arc::new(Semaphore::new(self.running + self.waiting)),
                running: Arc::new(Semaphore::new(self.running)),
            })
        });
        // Taken under the lock: a model is forgotten only while nobody
        // holds its permits, so two calls never get two semaphores of one
        // model.
        match Arc::clone(&limits.admitted).try_acquire_owned() {
            Ok(admitted) => Ok(Ticket {
                admitted,
                running: Arc::clone(&limits.running),
            }),
            Err(_) => {
                let running = self.running - limits.running.available_permits();
                let admitted = self.running + self.waiting - limits.admitted.available_permits();
                Err(Busy {
                    model: model.to_string(),
                    running,
                    waiting: admitted.saturating_sub(running),
                })
            }
        }
    }
}

impl Ticket {
    /// Waits for a running slot (first come, first served).
    pub async fn run(self) -> Permit {
        let running = match self.running.acquire_owned().await {
            Ok(permit) => permit,
            Err(_) => unreachable!("a model's semaphore is never closed"),
        };
        Permit {
            _admitted: self.admitted,
            _running: running,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_models_are_forgotten_so_names_keep_no_memory() {
        let limits = Limits::new(2, 2);
        let held = limits.enter("kept:1b").unwrap();
        for n in 0..1000 {
            drop(limits.enter(&format!("random-{n}")).unwrap());
        }
        let models = limits.models.lock().unwrap();
        assert!(models.len() <= KEPT_IDLE + 1, "{} models kept", models.len());
        assert!(models.contains_key("kept:1b"), "a model in use is kept");
        drop(held);
    }

    #[tokio::test]
    async fn runs_then_queues_then_refuses() {
        let limits = Limits::new(2, 1);
        let a = limits.enter("m").unwrap_or_else(|b| panic!("{b}")).run().await;
        let _b = limits.enter("m").unwrap_or_else(|b| panic!("{b}")).run().await;
        let queued = limits.enter("m").unwrap_or_else(|b| panic!("{b}"));
        let busy = limits.enter("m").unwrap_err();
        assert_eq!(
            busy.to_string(),
            "model m is busy: 2 running, 1 waiting; try again later"
        );
        assert!(limits.enter("other").is_ok(), "models do not share limits");
        let waiter = tokio::spawn(queued.run());
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(a);
        let _c = waiter.await.unwrap_or_else(|err| panic!("{err}"));
        assert!(limits.enter("m").is_ok(), "a queue place is free again");
    }
}
