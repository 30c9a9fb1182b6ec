//! An orchestrator on a real SQLite store with agent runtimes as processes
//! on loopback (no Docker): the fleet's endpoints are published by hand.
//! For tests of the orchestrator's and the runs' rules.

use std::sync::Arc;
use std::time::Duration;

use sutazai_engine::catalog::Catalog;
use sutazai_engine::fleet::model::Endpoint;
use sutazai_engine::lifetime::Lifetime;
use sutazai_engine::orchestrator::breaker::BreakerSettings;
use sutazai_engine::orchestrator::retry::RetryPolicy;
use sutazai_engine::orchestrator::router::Weights;
use sutazai_engine::orchestrator::{Orchestrator, OrchestratorConfig};
use sutazai_engine::security::tokens::HubSecret;
use sutazai_engine::store::Store;
use sutazai_engine::SystemClock;
use tokio::sync::watch;

use crate::agent::{shipped_manifest, AgentProcess};

pub const SECRET: &str = "tasks-test-secret-of-at-least-32-chars";

pub struct Hub {
    pub orchestrator: Arc<Orchestrator>,
    pub endpoints: watch::Sender<Arc<Vec<Endpoint>>>,
    pub stop: Lifetime,
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

pub fn settings() -> OrchestratorConfig {
    OrchestratorConfig {
        breaker: BreakerSettings {
            failures_to_open: 50,
            recovery: Duration::from_secs(1),
        },
        retry: RetryPolicy {
            max_attempts: 3,
            base: Duration::from_millis(10),
            cap: Duration::from_millis(50),
        },
        default_timeout: Duration::from_secs(20),
        weights: Weights::default(),
        max_delegation_depth: 2,
    }
}

pub async fn hub(store: &Store, config: OrchestratorConfig) -> Hub {
    let catalog = catalog();
    assert!(catalog.len() >= 69, "the shipped catalog loads");
    let (endpoints, rx) = watch::channel(Arc::new(Vec::new()));
    let stop = Lifetime::new();
    let orchestrator = Orchestrator::new(
        config,
        store.clone(),
        Arc::new(SystemClock),
        Arc::new(move || Arc::clone(&catalog)),
        rx,
        HubSecret::from_text(SECRET),
        stop.clone(),
    );
    orchestrator
        .recover()
        .await
        .expect("the orchestrator recovers its tasks");
    tokio::spawn(Arc::clone(&orchestrator).run());
    Hub {
        orchestrator,
        endpoints,
        stop,
    }
}

/// The agent runtime as a process, requiring the hub's token of its
/// container (of epoch `e1`), as a deploy starts it.
pub fn agent(id: &str, ollama: &str) -> (AgentProcess, Endpoint) {
    let container = sutazai_engine::fleet::spec::container_name(id);
    let secret = HubSecret::from_text(SECRET);
    let (agent_token, hub_token) = (secret.agent_token(&container, "e1"), secret.hub_token(&container, "e1"));
    let process = AgentProcess::start(
        &shipped_manifest(id),
        ollama,
        &[
            ("SUTAZAI_AGENT_TOKEN", agent_token.as_str()),
            ("SUTAZAI_HUB_TOKEN", hub_token.as_str()),
        ],
    );
    let endpoint = Endpoint {
        agent_id: id.into(),
        container,
        port: process.port,
        healthy: true,
        token_epoch: "e1".into(),
    };
    (process, endpoint)
}

/// The shipped catalog, as the hub loads it.
pub fn catalog() -> Arc<Catalog> {
    Arc::new(Catalog::load(&crate::manifest_dir().join("../agents/catalog")))
}

/// A new store in a temporary folder.
pub async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = Store::open(&dir.path().join("sutazai.db")).expect("a new store opens");
    (dir, store)
}
