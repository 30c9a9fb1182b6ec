//! The agents' containers, through bollard: the image, one dedicated
//! network, phase deploys (dependency order, bounded concurrency, a health
//! gate, per-agent progress, a failure policy), undeploy, scaling, lifecycle
//! actions, logs, stats, and the watch that heals the fleet. Docker is the
//! registry: an agent's containers are found by their names and labels, so
//! the app adopts whatever already runs.

pub mod autoscale;
mod containers;
mod deploy;
pub mod heal;
pub mod image;
mod lifecycle;
pub mod model;
mod network;
mod reconcile;
pub mod spec;
pub mod stats;
mod watch;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use bollard::Docker;
use tokio::sync::{broadcast, Mutex};
use tracing::instrument;

use crate::catalog::{Catalog, Entry};
use crate::clock::Clock;
use crate::config::DockerEndpoint;
use crate::error::{Code, Coded};
pub use containers::{Containers, Placed};
use model::{AgentRow, AgentStatus, FleetEvent, PhaseSummary};

/// The network every agent joins.
pub const NETWORK: &str = "sutazai-agents";

/// The most instances one agent may be scaled to.
pub const MAX_INSTANCES: u32 = 10;

/// What the fleet needs from the configuration.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    pub endpoint: DockerEndpoint,
    /// How long one Docker call may take.
    pub docker_timeout: Duration,
    /// The static agent runtime the image is made from.
    pub agent_binary: PathBuf,
    pub runtime_version: String,
    /// The Ollama-API URL as containers see it.
    pub agent_ollama_url: String,
    /// The hub's local API as containers see it (for sub-tasks).
    pub agent_hub_url: String,
    /// How long a new agent may take to answer `/health`.
    pub health_timeout: Duration,
    /// Containers created and started at once.
    pub concurrency: usize,
    /// Where container stats come from.
    pub stats: stats::StatsPreference,
    /// Issues each new container's service tokens (one per direction).
    pub credentials: crate::security::tokens::Credentials,
}

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("{message}")]
    Unreachable { code: Code, message: String },
    #[error("Docker refused: {0}")]
    Docker(#[from] bollard::errors::Error),
    #[error(transparent)]
    Image(#[from] image::ImageError),
    #[error("no agent {0} in the catalog")]
    UnknownAgent(String),
    #[error("phase {0} has no agents in the catalog")]
    EmptyPhase(u8),
    #[error("an agent runs as 1 to {max} instances, not {asked}")]
    Instances { asked: u32, max: u32 },
    #[error("auto-scaling policy: {0}")]
    Policy(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

impl Coded for FleetError {
    fn code(&self) -> Code {
        match self {
            Self::Unreachable { code, .. } => *code,
            Self::Docker(_) => Code::DockerError,
            Self::Image(_) => Code::AgentImage,
            Self::UnknownAgent(_) | Self::EmptyPhase(_) => Code::UnknownAgent,
            Self::Instances { .. } | Self::Policy(_) => Code::InvalidRequest,
            Self::Store(_) => Code::Store,
        }
    }
}

/// The fleet: one Docker connection, what the user wants running, and the
/// operations on agent containers.
pub struct Fleet {
    config: FleetConfig,
    /// Injected wall-clock time.
    clock: std::sync::Arc<dyn Clock>,
    /// Connected on first use and kept (bollard reconnects per request).
    docker: Mutex<Option<Docker>>,
    /// Polls agents' `/health`; short timeouts.
    http: reqwest::Client,
    /// Containers that should be running (deployed, scaled or started by the
    /// user), by container name. Filled from what runs on the first watch
    /// round, then kept by deploys and actions.
    desired: std::sync::Mutex<Option<HashMap<String, bool>>>,
    /// What self-healing knows: restarts, failed health polls, verdicts.
    healing: std::sync::Mutex<watch::HealState>,
    policy: heal::HealPolicy,
    /// The latest container list, refreshed by the watch.
    seen: std::sync::Mutex<Option<Containers>>,
    /// Resource samples of running containers.
    stats: std::sync::Mutex<stats::Sampler>,
    events: broadcast::Sender<FleetEvent>,
    /// The running agent containers and their health, republished by every
    /// watch round; the orchestrator routes from it.
    endpoints: tokio::sync::watch::Sender<std::sync::Arc<Vec<model::Endpoint>>>,
}

impl Fleet {
    pub fn new(config: FleetConfig, clock: std::sync::Arc<dyn Clock>) -> Fleet {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap_or_default();
        Fleet {
            config,
            clock,
            docker: Mutex::new(None),
            http,
            desired: std::sync::Mutex::new(None),
            healing: std::sync::Mutex::new(watch::HealState::default()),
            policy: heal::HealPolicy::default(),
            seen: std::sync::Mutex::new(None),
            stats: std::sync::Mutex::new(stats::Sampler::default()),
            events: broadcast::channel(512).0,
            endpoints: tokio::sync::watch::channel(std::sync::Arc::new(Vec::new())).0,
        }
    }

    /// Where the running agent containers take tasks, kept current by the watch.
    pub fn endpoints(&self) -> tokio::sync::watch::Receiver<std::sync::Arc<Vec<model::Endpoint>>> {
        self.endpoints.subscribe()
    }

    /// Every lifecycle change: deploys, actions, restarts, verdicts.
    pub fn subscribe(&self) -> broadcast::Receiver<FleetEvent> {
        self.events.subscribe()
    }

    pub(crate) fn emit(&self, event: FleetEvent) {
        let _ = self.events.send(event);
    }

    /// Records whether a container should run (`None`: forget it). Wanting
    /// it again clears a flapping verdict.
    fn want(&self, name: &str, run: Option<bool>) {
        let mut desired = lock(&self.desired);
        let map = desired.get_or_insert_with(HashMap::new);
        match run {
            Some(run) => map.insert(name.to_string(), run),
            None => map.remove(name),
        };
        if run != Some(false) {
            lock(&self.healing).forget(name);
        }
    }

    async fn docker(&self) -> Result<Docker, FleetError> {
        let mut slot = self.docker.lock().await;
        if let Some(docker) = slot.as_ref() {
            return Ok(docker.clone());
        }
        let docker = crate::docker::connect(&self.config.endpoint, self.config.docker_timeout)
            .map_err(|e| self.unreachable(&e))?;
        let docker = tokio::time::timeout(self.config.docker_timeout, docker.negotiate_version())
            .await
            .map_err(|_| self.unreachable(&bollard::errors::Error::RequestTimeoutError))?
            .map_err(|e| self.unreachable(&e))?;
        *slot = Some(docker.clone());
        Ok(docker)
    }

    fn unreachable(&self, err: &bollard::errors::Error) -> FleetError {
        let body = crate::docker::classify(&self.config.endpoint, err);
        FleetError::Unreachable {
            code: body.code,
            message: body.message,
        }
    }

    /// A failed call's error: "not reachable" when Docker itself is gone.
    fn docker_error(&self, err: bollard::errors::Error) -> FleetError {
        match crate::docker::classify(&self.config.endpoint, &err).code {
            Code::DockerMissing | Code::DockerRefused | Code::DockerTimeout => self.unreachable(&err),
            _ => FleetError::Docker(err),
        }
    }

    /// The app's containers, listed now; the watch's view is refreshed too.
    async fn containers(&self, docker: &Docker) -> Result<Containers, FleetError> {
        let containers = Containers::list(docker).await.map_err(|e| self.docker_error(e))?;
        *lock(&self.seen) = Some(containers.clone());
        Ok(containers)
    }

    /// Every catalog agent with its live status. When Docker is not
    /// reachable the registry is still listed, with the status `unknown`.
    #[instrument(skip_all)]
    pub async fn agents(&self, catalog: &Catalog) -> Vec<AgentRow> {
        let listed = match self.docker().await {
            Ok(docker) => self.containers(&docker).await,
            Err(err) => Err(err),
        };
        let containers = match listed {
            Ok(containers) => containers,
            Err(err) => {
                return catalog
                    .all()
                    .map(|entry| AgentRow {
                        status: AgentStatus::Unknown,
                        reason: Some(err.to_string()),
                        ..AgentRow::new(entry)
                    })
                    .collect()
            }
        };
        let rows = catalog.all().map(|entry| self.row(entry, &containers));
        futures::future::join_all(rows).await
    }

    async fn row(&self, entry: &Entry, containers: &Containers) -> AgentRow {
        let m = &entry.manifest;
        let mut row = AgentRow::new(entry);
        row.instances = containers.of(&m.id).count() as u32;
        let Some(primary) = containers.primary(&m.id) else {
            return row;
        };
        row.container_id = primary.summary.id.clone();
        let healing = lock(&self.healing).restarts_of(&primary.name);
        row.restarts = healing.restarts;
        if let Some(restarts) = healing.flapping {
            row.status = AgentStatus::Flapping;
            row.reason = Some(format!(
                "died {restarts} times in {} s; left stopped",
                self.policy.window.as_secs()
            ));
            return row;
        }
        if !primary.running() {
            row.status = AgentStatus::Stopped;
            row.reason = primary.summary.status.clone();
            return row;
        }
        match self.health(m.port).await {
            Ok(()) => {
                row.status = AgentStatus::Healthy;
                row.healthy_at_ms = Some(self.clock.now_ms());
            }
            Err(reason) => {
                // Docker says "health: starting" until its first (rare)
                // check: a container that new is starting, not unhealthy.
                let new = primary
                    .summary
                    .status
                    .as_deref()
                    .is_some_and(|s| s.contains("health: starting"));
                row.status = if new {
                    AgentStatus::Starting
                } else {
                    AgentStatus::Unhealthy
                };
                row.reason = Some(reason);
            }
        }
        row
    }

    /// One `GET /health` on a port published on 127.0.0.1.
    async fn health(&self, port: u16) -> Result<(), String> {
        let url = format!("http://127.0.0.1:{port}/health");
        let response = self.http.get(&url).send().await.map_err(|e| format!("{url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        let body = crate::capped::response(response, crate::capped::HEALTH)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let body: serde_json::Value = serde_json::from_slice(&body).map_err(|e| format!("{url}: {e}"))?;
        match body.get("status").and_then(|s| s.as_str()) {
            Some("ok") => Ok(()),
            other => Err(format!("{url} says {}", other.unwrap_or("nothing"))),
        }
    }

    /// Per phase: agents, how many run, memory needed vs available.
    pub async fn phases(&self, catalog: &Catalog) -> Vec<PhaseSummary> {
        let rows = self.agents(catalog).await;
        let available = memory_available_mb();
        (1..=3)
            .map(|phase| {
                let in_phase: Vec<&AgentRow> = rows.iter().filter(|r| r.phase == phase).collect();
                let deployed = |r: &&&AgentRow| !matches!(r.status, AgentStatus::NotDeployed | AgentStatus::Unknown);
                PhaseSummary {
                    phase,
                    agents: in_phase.len() as u32,
                    deployed: in_phase.iter().filter(deployed).count() as u32,
                    healthy: in_phase.iter().filter(|r| r.status == AgentStatus::Healthy).count() as u32,
                    memory_needed_mb: catalog
                        .phase(phase)
                        .iter()
                        .map(|e| e.manifest.resources.memory_mb)
                        .sum(),
                    memory_available_mb: available,
                }
            })
            .collect()
    }
}

use crate::docker::reason as docker_reason;

/// `MemAvailable` of this host in MB (0 when unknown).
pub fn memory_available_mb() -> u32 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    meminfo
        .lines()
        .find(|l| l.starts_with("MemAvailable:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map(|kb| (kb / 1024) as u32)
        .unwrap_or(0)
}

/// Locks a std mutex, recovering the data if a holder panicked.
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
