//! What the shell keeps between commands.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use futures::stream::BoxStream;
use futures::StreamExt;
use tokio::sync::oneshot;

use sutazai_engine::error::ErrorBody;
use sutazai_engine::{ConfigReport, Engine};

/// Registered once in `setup`.
pub struct Shell {
    /// How the config was resolved; available even when the engine is not.
    pub report: ConfigReport,
    /// The running engine, or why it could not start (shown as a dialog).
    pub engine: Result<Arc<Engine>, ErrorBody>,
    /// Log streams the UI follows.
    pub follows: Follows,
    /// The `ollama serve` started from the Models view, while it runs.
    pub ollama: Arc<crate::ollama::OllamaServe>,
}

/// Streams forwarded to the UI, each until it ends, the UI stops it, or the
/// UI stops listening.
#[derive(Default)]
pub struct Follows {
    next: AtomicU32,
    running: Mutex<HashMap<u32, oneshot::Sender<()>>>,
}

impl Follows {
    /// Forwards `stream` to `send` (which says whether anyone still listens);
    /// returns the id that `stop` takes.
    pub fn start<E: std::fmt::Display + Send + 'static>(
        &self,
        mut stream: BoxStream<'static, Result<String, E>>,
        send: impl Fn(String) -> bool + Send + 'static,
    ) -> u32 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let (stop, mut stopped) = oneshot::channel();
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id, stop);
        tauri::async_runtime::spawn(async move {
            loop {
                let chunk = tokio::select! {
                    _ = &mut stopped => break,
                    chunk = stream.next() => chunk,
                };
                match chunk {
                    Some(Ok(chunk)) => {
                        if !send(chunk) {
                            break;
                        }
                    }
                    Some(Err(err)) => {
                        tracing::warn!(follow = id, cause = %err, "log stream ended");
                        break;
                    }
                    _ => break,
                }
            }
        });
        id
    }

    pub fn stop(&self, id: u32) {
        if let Some(stop) = self
            .running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&id)
        {
            let _ = stop.send(());
        }
    }
}

impl Shell {
    pub fn engine(&self) -> Result<&Arc<Engine>, ErrorBody> {
        self.engine.as_ref().map_err(Clone::clone)
    }
}
