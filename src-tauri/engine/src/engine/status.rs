//! What the engine knows of the outside world (Docker, Ollama, the data
//! dir), re-checked in the background and on demand.

use std::sync::Arc;

use tokio::sync::watch;
use tracing::instrument;

use super::Engine;
use crate::status::{probe_docker, probe_ollama, EngineStatus};

impl Engine {
    /// The latest known status (never waits).
    pub fn status(&self) -> EngineStatus {
        self.status.borrow().clone()
    }

    /// A receiver that sees every new status.
    pub fn subscribe_status(&self) -> watch::Receiver<EngineStatus> {
        self.status.subscribe()
    }

    /// Checks Docker and Ollama now (each within the probe timeout),
    /// publishes and returns the result.
    #[instrument(skip_all)]
    pub async fn refresh_status(&self) -> EngineStatus {
        let status = self.check().await;
        self.status.send_replace(status.clone());
        status
    }

    async fn check(&self) -> EngineStatus {
        let timeout = self.config.probe_timeout;
        let (docker, ollama) = tokio::join!(
            probe_docker(&self.config.docker_endpoint, timeout),
            probe_ollama(&self.http, &self.config.ollama_url, timeout),
        );
        EngineStatus {
            docker,
            ollama,
            checked_at_ms: self.clock.now_ms(),
            ..self.status()
        }
    }
}

/// Re-checks the outside world every `status_interval` until shutdown.
pub(super) async fn status_loop(engine: Arc<Engine>) {
    loop {
        tokio::select! {
            _ = engine.life.cancelled() => break,
            _ = engine.refresh_status() => {}
        }
        tokio::select! {
            _ = engine.life.cancelled() => break,
            _ = tokio::time::sleep(engine.config.status_interval) => {}
        }
    }
}
