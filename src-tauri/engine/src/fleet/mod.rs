//! The agents' containers, through bollard: the image, one dedicated
//! network, phase deploys (dependency order, bounded concurrency, a health
//! gate, per-agent progress, a failure policy), undeploy, and lifecycle
//! actions. Docker is the registry: an agent's container is found by its
//! name and labels, so the app adopts whatever already runs.

pub mod heal;
pub mod image;
pub mod model;
pub mod spec;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::models::{ContainerSummary, ContainerSummaryStateEnum, NetworkCreateRequest};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, ListNetworksOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, RestartContainerOptionsBuilder, StopContainerOptionsBuilder,
};
use bollard::Docker;
use futures::StreamExt;
use tokio::sync::{broadcast, Mutex, Semaphore};
use tracing::{info, instrument, warn};

use crate::catalog::{Catalog, Entry};
use crate::config::DockerEndpoint;
use model::{
    AgentAction, AgentRow, AgentStatus, DeployEvent, DeployReport, DeployStage, FailedAgent, FailurePolicy, FleetEvent,
    PhaseSummary,
};
use spec::{container_name, create_body, AgentSpec, LABEL_AGENT_ID, LABEL_MANIFEST_HASH};

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

    /// Deploys every agent of `phase`: dependencies first, the rest
    /// concurrently (bounded), each through a health gate. `progress` sees
    /// every step. On failure `policy` decides what stays.
    #[instrument(skip(self, catalog, progress), err)]
    pub async fn deploy_phase(
        &self,
        catalog: &Catalog,
        phase: u8,
        policy: FailurePolicy,
        progress: impl Fn(DeployEvent) + Send + Sync,
    ) -> Result<DeployReport, FleetError> {
        let started = Instant::now();
        let entries: BTreeMap<String, Arc<Entry>> = catalog
            .phase(phase)
            .into_iter()
            .map(|e| (e.manifest.id.clone(), Arc::clone(e)))
            .collect();
        if entries.is_empty() {
            return Err(FleetError::EmptyPhase(phase));
        }
        let ids: Vec<&str> = entries.keys().map(String::as_str).collect();
        let order = catalog.dependency_order(&ids);
        let needed: u32 = entries.values().map(|e| e.manifest.resources.memory_mb).sum();
        let available = memory_available_mb();
        let warning = (needed > available)
            .then(|| format!("the phase's memory limits add up to {needed} MB but only {available} MB are available"));
        progress(DeployEvent::Started {
            phase,
            agents: order.clone(),
            memory_needed_mb: needed,
            memory_available_mb: available,
            warning,
        });
        let step = |agent_id: &str, stage: DeployStage, reason: Option<String>| {
            progress(DeployEvent::Agent {
                phase,
                agent_id: agent_id.to_string(),
                stage,
                reason,
                elapsed_ms: started.elapsed().as_millis() as u64,
            });
        };
        for id in &order {
            step(id, DeployStage::Pending, None);
        }

        let docker = self.docker().await?;
        let image = image::ensure(&docker, &self.config.agent_binary, &self.config.runtime_version).await?;
        self.ensure_network(&docker).await?;
        let existing = self.containers(&docker).await?;

        // Waves: an agent runs in the wave after its latest dependency.
        let mut wave_of: HashMap<&str, usize> = HashMap::new();
        for id in &order {
            let deps = &entries[id].manifest.dependencies;
            let wave = deps
                .iter()
                .filter_map(|d| wave_of.get(d.as_str()))
                .map(|w| w + 1)
                .max()
                .unwrap_or(0);
            wave_of.insert(id, wave);
        }
        let waves = wave_of.values().copied().max().unwrap_or(0) + 1;
        let slots = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        let mut outcome: HashMap<String, Result<DeployStage, String>> = HashMap::new();
        for wave in 0..waves {
            let members: Vec<&str> = order
                .iter()
                .map(String::as_str)
                .filter(|id| wave_of[id] == wave)
                .collect();
            let runs = members.into_iter().map(|id| {
                let entry = Arc::clone(&entries[id]);
                let blocked = entry
                    .manifest
                    .dependencies
                    .iter()
                    .find_map(|dep| match outcome.get(dep) {
                        Some(Err(_)) => Some(format!("its dependency {dep} failed")),
                        _ => None,
                    });
                let (docker, image, slots, existing) = (&docker, &image, Arc::clone(&slots), existing.get(id));
                let step = &step;
                async move {
                    if let Some(reason) = blocked {
                        step(&entry.manifest.id, DeployStage::Failed, Some(reason.clone()));
                        return (entry.manifest.id.clone(), Err(reason));
                    }
                    let _slot = slots.acquire().await;
                    let result = self.deploy_one(docker, &entry, image, existing, step).await;
                    match &result {
                        Ok(stage) => step(&entry.manifest.id, *stage, None),
                        Err(reason) => step(&entry.manifest.id, DeployStage::Failed, Some(reason.clone())),
                    }
                    (entry.manifest.id.clone(), result)
                }
            });
            outcome.extend(futures::future::join_all(runs).await);
        }

        let failed: Vec<FailedAgent> = order
            .iter()
            .filter_map(|id| match &outcome[id] {
                Err(reason) => Some(FailedAgent {
                    agent_id: id.clone(),
                    reason: reason.clone(),
                }),
                Ok(_) => None,
            })
            .collect();
        let rolled_back = !failed.is_empty() && policy == FailurePolicy::RollBack;
        for id in &order {
            let up = !rolled_back && outcome[id].is_ok();
            self.want(id, up.then_some(true));
        }
        if rolled_back {
            warn!(phase, failed = failed.len(), "rolling the phase back");
            for id in &order {
                self.remove(&docker, id).await;
                if outcome[id].is_ok() {
                    step(id, DeployStage::RolledBack, None);
                }
            }
        }
        let count = |stage| outcome.values().filter(|o| matches!(o, Ok(s) if *s == stage)).count() as u32;
        let report = DeployReport {
            phase,
            total: order.len() as u32,
            healthy: if rolled_back {
                0
            } else {
                count(DeployStage::Healthy) + count(DeployStage::Unchanged)
            },
            unchanged: if rolled_back { 0 } else { count(DeployStage::Unchanged) },
            failed,
            rolled_back,
            elapsed_ms: started.elapsed().as_millis() as u64,
        };
        info!(
            phase,
            healthy = report.healthy,
            total = report.total,
            elapsed_ms = report.elapsed_ms,
            "phase deployed"
        );
        progress(DeployEvent::Finished(report.clone()));
        Ok(report)
    }

    /// Creates, starts and health-gates one agent; a running container with
    /// the same manifest and image that answers `/health` is left alone.
    async fn deploy_one(
        &self,
        docker: &Docker,
        entry: &Entry,
        image: &image::AgentImage,
        existing: Option<&ContainerSummary>,
        step: &(impl Fn(&str, DeployStage, Option<String>) + Sync),
    ) -> Result<DeployStage, String> {
        let m = &entry.manifest;
        let name = container_name(&m.id);
        if let Some(container) = existing {
            let same_manifest = container.labels.as_ref().and_then(|l| l.get(LABEL_MANIFEST_HASH)) == Some(&entry.hash);
            let same_image = container.image_id.as_deref() == Some(image.id.as_str());
            let running = container.state == Some(ContainerSummaryStateEnum::RUNNING);
            if same_manifest && same_image && running && self.health(m.port).await.is_ok() {
                return Ok(DeployStage::Unchanged);
            }
            self.remove(docker, &m.id).await;
        }
        step(&m.id, DeployStage::Creating, None);
        let toml =
            std::fs::read_to_string(&entry.file).map_err(|e| format!("cannot read {}: {e}", entry.file.display()))?;
        let token = new_token();
        let spec = AgentSpec {
            manifest: m,
            manifest_toml: &toml,
            manifest_hash: &entry.hash,
            image: &image.id,
            runtime_version: &self.config.runtime_version,
            ollama_url: &self.config.agent_ollama_url,
            token: &token,
            network: Some(NETWORK),
        };
        let options = CreateContainerOptionsBuilder::default().name(&name).build();
        docker
            .create_container(Some(options), create_body(&spec))
            .await
            .map_err(|e| docker_reason(&e))?;
        step(&m.id, DeployStage::Starting, None);
        if let Err(err) = docker.start_container(&name, None).await {
            // A failed start leaves the container in `Created`: clean it up.
            self.remove(docker, &m.id).await;
            return Err(docker_reason(&err));
        }
        let deadline = Instant::now() + self.config.health_timeout;
        loop {
            let last = match self.health(m.port).await {
                Ok(()) => return Ok(DeployStage::Healthy),
                Err(reason) => reason,
            };
            if let Ok(inspect) = docker.inspect_container(&name, None).await {
                let state = inspect.state.unwrap_or_default();
                if state.running == Some(false) {
                    let logs = self.logs(&m.id, 5).await.unwrap_or_default();
                    return Err(format!(
                        "the container exited with code {}: {}",
                        state.exit_code.unwrap_or(-1),
                        logs.trim()
                    ));
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "no healthy answer within {} s ({last})",
                    self.config.health_timeout.as_secs()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn ensure_network(&self, docker: &Docker) -> Result<(), FleetError> {
        // dockerd creates a second network of the same name when asked: list first.
        let filters = HashMap::from([("name", vec![NETWORK])]);
        let networks = docker
            .list_networks(Some(ListNetworksOptionsBuilder::default().filters(&filters).build()))
            .await?;
        if networks.iter().any(|n| n.name.as_deref() == Some(NETWORK)) {
            return Ok(());
        }
        let labels = HashMap::from([(image::LABEL_APP.to_string(), "sutazai-control-center".to_string())]);
        let request = NetworkCreateRequest {
            name: NETWORK.into(),
            driver: Some("bridge".into()),
            labels: Some(labels),
            ..Default::default()
        };
        docker.create_network(request).await?;
        info!(network = NETWORK, "created the agents' network");
        Ok(())
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
