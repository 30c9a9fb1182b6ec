//! The agents' containers, through bollard: the image, one dedicated
//! network, phase deploys (dependency order, bounded concurrency, a health
//! gate, per-agent progress, a failure policy), undeploy, and lifecycle
//! actions. Docker is the registry: an agent's container is found by its
//! name and labels, so the app adopts whatever already runs.

mod deploy;
pub mod heal;
pub mod image;
pub mod model;
pub mod spec;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bollard::models::{ContainerSummary, ContainerSummaryStateEnum};
use bollard::query_parameters::{
    ListContainersOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder, RestartContainerOptionsBuilder,
    StopContainerOptionsBuilder,
};
use bollard::Docker;
use futures::StreamExt;
use tokio::sync::{broadcast, Mutex};
use tracing::{info, instrument, warn};

use crate::catalog::{Catalog, Entry};
use crate::config::DockerEndpoint;
use model::{AgentAction, AgentRow, AgentStatus, FleetEvent, PhaseSummary};
use spec::{container_name, LABEL_AGENT_ID};

/// The network every agent joins.
pub const NETWORK: &str = "sutazai-agents";

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
    /// How long a new agent may take to answer `/health`.
    pub health_timeout: Duration,
    /// Containers created and started at once.
    pub concurrency: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("Docker is not reachable at {endpoint}: {message}")]
    Unreachable { endpoint: String, message: String },
    #[error("Docker refused: {0}")]
    Docker(#[from] bollard::errors::Error),
    #[error(transparent)]
    Image(#[from] image::ImageError),
    #[error("no agent {0} in the catalog")]
    UnknownAgent(String),
    #[error("phase {0} has no agents in the catalog")]
    EmptyPhase(u8),
}

/// The fleet: one Docker connection and the operations on agent containers.
pub struct Fleet {
    config: FleetConfig,
    /// Connected on first use and kept; dropped when a call finds it broken.
    docker: Mutex<Option<Docker>>,
    http: reqwest::Client,
    /// Agents that should be running (deployed or started by the user).
    /// Filled from what runs on the first heal, then kept by deploys and actions.
    desired: std::sync::Mutex<Option<HashMap<String, bool>>>,
    /// Recent restarts per agent, and the agents left stopped as flapping.
    healing: std::sync::Mutex<HashMap<String, heal::Healing>>,
    flapping: std::sync::Mutex<HashMap<String, u32>>,
    policy: heal::HealPolicy,
    events: broadcast::Sender<FleetEvent>,
}

impl Fleet {
    pub fn new(config: FleetConfig) -> Fleet {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap_or_default();
        Fleet {
            config,
            docker: Mutex::new(None),
            http,
            desired: std::sync::Mutex::new(None),
            healing: std::sync::Mutex::new(HashMap::new()),
            flapping: std::sync::Mutex::new(HashMap::new()),
            policy: heal::HealPolicy::default(),
            events: broadcast::channel(256).0,
        }
    }

    /// Every restart and flapping verdict of self-healing.
    pub fn subscribe(&self) -> broadcast::Receiver<FleetEvent> {
        self.events.subscribe()
    }

    /// Records whether an agent should run (`None`: forget it).
    fn want(&self, agent_id: &str, run: Option<bool>) {
        let mut desired = lock(&self.desired);
        let map = desired.get_or_insert_with(HashMap::new);
        match run {
            Some(run) => map.insert(agent_id.to_string(), run),
            None => map.remove(agent_id),
        };
        if run == Some(true) || run.is_none() {
            lock(&self.flapping).remove(agent_id);
            lock(&self.healing).remove(agent_id);
        }
    }

    /// One round of self-healing: every agent that should run but whose
    /// container is dead is restarted (with backoff), or left stopped as
    /// flapping when it keeps dying.
    pub async fn heal(&self) -> Result<(), FleetError> {
        let docker = self.docker().await?;
        let containers = self.containers(&docker).await?;
        let running = |c: &ContainerSummary| c.state == Some(ContainerSummaryStateEnum::RUNNING);
        let dead: Vec<(String, String)> = {
            let mut desired = lock(&self.desired);
            // On the first round, adopt what already runs.
            let map = desired.get_or_insert_with(|| {
                containers
                    .iter()
                    .filter(|(_, c)| running(c))
                    .map(|(id, _)| (id.clone(), true))
                    .collect()
            });
            map.retain(|id, _| containers.contains_key(id));
            map.iter()
                .filter(|(_, want)| **want)
                .filter_map(|(id, _)| {
                    let c = &containers[id];
                    (!running(c)).then(|| (id.clone(), c.status.clone().unwrap_or_else(|| "not running".into())))
                })
                .collect()
        };
        for (agent_id, reason) in dead {
            let decision = lock(&self.healing)
                .entry(agent_id.clone())
                .or_default()
                .decide(Instant::now(), &self.policy);
            match decision {
                heal::Decision::Wait => {}
                heal::Decision::Restart { attempt } => {
                    warn!(agent = %agent_id, attempt, %reason, "agent died; restarting it");
                    match docker.start_container(&container_name(&agent_id), None).await {
                        Ok(()) | Err(bollard::errors::Error::DockerResponseServerError { status_code: 304, .. }) => {
                            let _ = self.events.send(FleetEvent::Restarted {
                                agent_id,
                                attempt,
                                reason,
                            });
                        }
                        Err(err) => warn!(agent = %agent_id, cause = %err, "cannot restart the agent"),
                    }
                }
                heal::Decision::GiveUp { restarts } => {
                    warn!(agent = %agent_id, restarts, "agent is flapping; leaving it stopped");
                    lock(&self.desired)
                        .get_or_insert_with(HashMap::new)
                        .insert(agent_id.clone(), false);
                    lock(&self.flapping).insert(agent_id.clone(), restarts as u32);
                    let _ = docker.stop_container(&container_name(&agent_id), None).await;
                    let _ = self.events.send(FleetEvent::Flapping {
                        agent_id,
                        restarts: restarts as u32,
                    });
                }
            }
        }
        Ok(())
    }

    async fn docker(&self) -> Result<Docker, FleetError> {
        let mut slot = self.docker.lock().await;
        if let Some(docker) = slot.as_ref() {
            return Ok(docker.clone());
        }
        let unreachable = |message: String| FleetError::Unreachable {
            endpoint: self.config.endpoint.to_string(),
            message,
        };
        let docker = crate::status::connect(&self.config.endpoint, self.config.docker_timeout)
            .map_err(|e| unreachable(e.to_string()))?;
        let docker = tokio::time::timeout(self.config.docker_timeout, docker.negotiate_version())
            .await
            .map_err(|_| unreachable("no answer in time".into()))?
            .map_err(|e| unreachable(e.to_string()))?;
        *slot = Some(docker.clone());
        Ok(docker)
    }

    /// The app's containers by agent id (only those with the canonical name).
    async fn containers(&self, docker: &Docker) -> Result<HashMap<String, ContainerSummary>, FleetError> {
        let filters = HashMap::from([("label", vec![format!("{}=sutazai-control-center", image::LABEL_APP)])]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let list = docker.list_containers(Some(options)).await?;
        let mut by_agent = HashMap::new();
        for container in list {
            let Some(id) = container.labels.as_ref().and_then(|l| l.get(LABEL_AGENT_ID)).cloned() else {
                continue;
            };
            let canonical = format!("/{}", container_name(&id));
            if container.names.as_ref().is_some_and(|n| n.contains(&canonical)) {
                by_agent.insert(id, container);
            }
        }
        Ok(by_agent)
    }

    /// Every catalog agent with its live status.
    #[instrument(skip_all, err)]
    pub async fn agents(&self, catalog: &Catalog) -> Result<Vec<AgentRow>, FleetError> {
        let docker = self.docker().await?;
        let containers = self.containers(&docker).await?;
        let rows = catalog.all().map(|entry| {
            let container = containers.get(&entry.manifest.id).cloned();
            let docker = docker.clone();
            async move { self.row(&docker, entry, container.as_ref()).await }
        });
        Ok(futures::future::join_all(rows).await)
    }

    async fn row(&self, docker: &Docker, entry: &Entry, container: Option<&ContainerSummary>) -> AgentRow {
        let m = &entry.manifest;
        let mut row = AgentRow {
            id: m.id.clone(),
            name: m.name.clone(),
            title: m.title.clone(),
            phase: m.phase,
            kind: serde_json::to_value(m.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            port: m.port,
            capabilities: m.capabilities.clone(),
            status: AgentStatus::NotDeployed,
            container_id: None,
            healthy_at_ms: None,
            restarts: 0,
            reason: None,
        };
        let Some(container) = container else { return row };
        row.container_id = container.id.clone();
        if let Some(id) = &container.id {
            if let Ok(inspect) = docker.inspect_container(id, None).await {
                row.restarts = u32::try_from(inspect.restart_count.unwrap_or(0)).unwrap_or(0);
            }
        }
        if let Some(restarts) = lock(&self.flapping).get(&m.id) {
            row.status = AgentStatus::Flapping;
            row.reason = Some(format!(
                "died {restarts} times in {} s; left stopped",
                self.policy.window.as_secs()
            ));
            return row;
        }
        if container.state != Some(ContainerSummaryStateEnum::RUNNING) {
            row.status = AgentStatus::Stopped;
            row.reason = container.status.clone();
            return row;
        }
        match self.health(m.port).await {
            Ok(()) => {
                row.status = AgentStatus::Healthy;
                row.healthy_at_ms = Some(now_ms());
            }
            Err(reason) => {
                row.status = AgentStatus::Unhealthy;
                row.reason = Some(reason);
            }
        }
        row
    }

    /// One `GET /health` on the agent's published port.
    async fn health(&self, port: u16) -> Result<(), String> {
        let url = format!("http://127.0.0.1:{port}/health");
        let response = self.http.get(&url).send().await.map_err(|e| format!("{url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        let body: serde_json::Value = response.json().await.map_err(|e| format!("{url}: {e}"))?;
        match body.get("status").and_then(|s| s.as_str()) {
            Some("ok") => Ok(()),
            other => Err(format!("{url} says {}", other.unwrap_or("nothing"))),
        }
    }

    /// Per phase: agents, how many run, memory needed vs available.
    pub async fn phases(&self, catalog: &Catalog) -> Result<Vec<PhaseSummary>, FleetError> {
        let rows = self.agents(catalog).await?;
        let available = memory_available_mb();
        Ok((1..=3)
            .map(|phase| {
                let in_phase: Vec<&AgentRow> = rows.iter().filter(|r| r.phase == phase).collect();
                PhaseSummary {
                    phase,
                    agents: in_phase.len() as u32,
                    deployed: in_phase.iter().filter(|r| r.status != AgentStatus::NotDeployed).count() as u32,
                    healthy: in_phase.iter().filter(|r| r.status == AgentStatus::Healthy).count() as u32,
                    memory_needed_mb: catalog
                        .phase(phase)
                        .iter()
                        .map(|e| e.manifest.resources.memory_mb)
                        .sum(),
                    memory_available_mb: available,
                }
            })
            .collect())
    }

    /// Removes an agent's container whatever its state; absent is fine.
    async fn remove(&self, docker: &Docker, agent_id: &str) {
        let options = RemoveContainerOptionsBuilder::default().force(true).v(true).build();
        match docker.remove_container(&container_name(agent_id), Some(options)).await {
            Ok(()) => {}
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => {}
            Err(err) => warn!(agent = agent_id, cause = %err, "cannot remove the container"),
        }
    }

    /// Removes every container of `phase`; returns how many there were.
    #[instrument(skip(self, catalog), err)]
    pub async fn undeploy_phase(&self, catalog: &Catalog, phase: u8) -> Result<u32, FleetError> {
        let docker = self.docker().await?;
        let containers = self.containers(&docker).await?;
        let ids: Vec<String> = catalog
            .phase(phase)
            .iter()
            .map(|e| e.manifest.id.clone())
            .filter(|id| containers.contains_key(id))
            .collect();
        futures::future::join_all(ids.iter().map(|id| self.remove(&docker, id))).await;
        for id in &ids {
            self.want(id, None);
        }
        info!(phase, removed = ids.len(), "phase undeployed");
        Ok(ids.len() as u32)
    }

    /// Start, stop, restart or remove one agent's container.
    #[instrument(skip(self, catalog), err)]
    pub async fn act(&self, catalog: &Catalog, agent_id: &str, action: AgentAction) -> Result<(), FleetError> {
        if catalog.get(agent_id).is_none() {
            return Err(FleetError::UnknownAgent(agent_id.to_string()));
        }
        let docker = self.docker().await?;
        let name = container_name(agent_id);
        self.want(
            agent_id,
            match action {
                AgentAction::Start | AgentAction::Restart => Some(true),
                AgentAction::Stop => Some(false),
                AgentAction::Remove => None,
            },
        );
        match action {
            AgentAction::Start => docker.start_container(&name, None).await?,
            AgentAction::Stop => {
                docker
                    .stop_container(&name, Some(StopContainerOptionsBuilder::default().t(10).build()))
                    .await?
            }
            AgentAction::Restart => {
                docker
                    .restart_container(&name, Some(RestartContainerOptionsBuilder::default().t(10).build()))
                    .await?
            }
            AgentAction::Remove => self.remove(&docker, agent_id).await,
        }
        Ok(())
    }

    /// The last `tail` lines of an agent's log (stdout and stderr).
    pub async fn logs(&self, agent_id: &str, tail: u32) -> Result<String, FleetError> {
        let docker = self.docker().await?;
        // Docker's default is neither stream (a 400): ask for both.
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .tail(&tail.to_string())
            .build();
        let mut stream = docker.logs(&container_name(agent_id), Some(options));
        let mut out = String::new();
        while let Some(chunk) = stream.next().await {
            out.push_str(&chunk?.to_string());
        }
        Ok(out)
    }
}

fn docker_reason(err: &bollard::errors::Error) -> String {
    match err {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// A random bearer token for one agent container.
fn new_token() -> String {
    let mut bytes = [0u8; 16];
    if let Ok(mut urandom) = std::fs::File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut urandom, &mut bytes);
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

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

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Locks a std mutex, recovering the data if a holder panicked.
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
