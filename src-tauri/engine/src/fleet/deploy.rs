//! Phase deploys: the image and the network first, then the phase's agents
//! wave by wave in dependency order (up to `concurrency` at once), each
//! through a health gate, with progress for every step and the failure
//! policy at the end. Scaling one agent to N instances uses the same path.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use bollard::query_parameters::CreateContainerOptionsBuilder;
use bollard::Docker;
use tokio::sync::Semaphore;
use tracing::{info, instrument, warn};

use super::model::{DeployEvent, DeployReport, DeployStage, FailedAgent, FailurePolicy, FleetEvent, ScaleReport};
use super::network::one_network;
use super::spec::{create_body, instance_name, AgentSpec};
use super::{docker_reason, image, memory_available_mb, Fleet, FleetError, Placed, MAX_INSTANCES, NETWORK};
use crate::catalog::{Catalog, Entry};

impl Fleet {
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
        let waves = catalog.dependency_waves(&ids);
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
        self.ensure_network(&docker).await.map_err(|e| self.docker_error(e))?;
        let existing = self.containers(&docker).await?;

        // Waves: an agent runs in the wave after its latest dependency.
        let slots = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        let mut outcome: HashMap<String, Result<DeployStage, String>> = HashMap::new();
        for wave in &waves {
            let runs = wave.iter().map(String::as_str).map(|id| {
                let entry = Arc::clone(&entries[id]);
                let blocked = entry
                    .manifest
                    .dependencies
                    .iter()
                    .find_map(|dep| match outcome.get(dep) {
                        Some(Err(_)) => Some(format!("its dependency {dep} failed")),
                        _ => None,
                    });
                let (docker, image, slots, existing) = (&docker, &image, Arc::clone(&slots), existing.primary(id));
                let step = &step;
                async move {
                    if let Some(reason) = blocked {
                        step(&entry.manifest.id, DeployStage::Failed, Some(reason.clone()));
                        return (entry.manifest.id.clone(), Err(reason));
                    }
                    let _slot = slots.acquire().await;
                    let result = self
                        .deploy_one(docker, &entry, image, existing, 1, step)
                        .await
                        .map(|(stage, _port)| stage);
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
        if !failed.is_empty() {
            // Docker itself going away is not the agents' fault: say so.
            if let Err(err) = tokio::time::timeout(self.config.docker_timeout, docker.ping())
                .await
                .unwrap_or(Err(bollard::errors::Error::RequestTimeoutError))
            {
                let FleetError::Unreachable { code, message } = self.unreachable(&err) else {
                    unreachable!("unreachable() makes Unreachable")
                };
                warn!(phase, cause = %message, "Docker went away during the deploy");
                return Err(FleetError::Unreachable {
                    code,
                    message: format!(
                        "{message}; the deploy of phase {phase} stopped with {} of {} agents failed",
                        failed.len(),
                        order.len()
                    ),
                });
            }
        }
        let rolled_back = !failed.is_empty() && policy == FailurePolicy::RollBack;
        for id in &order {
            let up = !rolled_back && outcome[id].is_ok();
            self.want(&instance_name(id, 1), up.then_some(true));
        }
        if rolled_back {
            warn!(phase, failed = failed.len(), "rolling the phase back");
            for id in &order {
                self.remove(&docker, &instance_name(id, 1)).await;
                if outcome[id].is_ok() {
                    step(id, DeployStage::RolledBack, None);
                }
            }
        }
        for id in &order {
            let (stage, reason) = match &outcome[id] {
                Ok(DeployStage::Unchanged) => continue,
                Ok(_) if rolled_back => (DeployStage::RolledBack, None),
                Ok(stage) => (*stage, None),
                Err(reason) => (DeployStage::Failed, Some(reason.clone())),
            };
            self.emit(FleetEvent::Deployed {
                agent_id: id.clone(),
                container: instance_name(id, 1),
                stage,
                reason,
            });
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

    /// Creates, starts and health-gates one instance of an agent; returns
    /// the stage reached and the port it answers on. A running container
    /// with the same manifest and image that answers `/health` is left alone.
    pub(super) async fn deploy_one(
        &self,
        docker: &Docker,
        entry: &Entry,
        image: &image::AgentImage,
        existing: Option<&Placed>,
        instance: u32,
        step: &(impl Fn(&str, DeployStage, Option<String>) + Sync),
    ) -> Result<(DeployStage, u16), String> {
        let m = &entry.manifest;
        let name = instance_name(&m.id, instance);
        if let Some(container) = existing {
            let same_manifest = container.manifest_hash() == Some(entry.hash.as_str());
            let same_image = container.summary.image_id.as_deref() == Some(image.id.as_str());
            // Tokens not in force here (a new data dir, a replacement that
            // did not finish): the hub would refuse its calls with 401.
            let tokens_in_force = container
                .token_epoch()
                .is_some_and(|epoch| self.config.credentials.epochs.is_current(&name, epoch));
            if let (true, true, true, true, Some(port)) = (
                same_manifest,
                same_image,
                tokens_in_force,
                container.running(),
                container.published_port(m.port),
            ) {
                if self.health(port).await.is_ok() {
                    return Ok((DeployStage::Unchanged, port));
                }
            }
            // Its exit is planned: not one for self-healing to count.
            self.want(&name, None);
            self.remove(docker, &name).await;
        }
        step(&m.id, DeployStage::Creating, None);
        let toml =
            std::fs::read_to_string(&entry.file).map_err(|e| format!("cannot read {}: {e}", entry.file.display()))?;
        // New tokens for the new container: its predecessor's are refused
        // from here on.
        let now_ms = self.clock.now_ms();
        let issued = self
            .config
            .credentials
            .issue(&name, now_ms)
            .await
            .map_err(|e| format!("cannot issue its service tokens: {e}"))?;
        let spec = AgentSpec {
            manifest: m,
            manifest_toml: &toml,
            manifest_hash: &entry.hash,
            image: &image.id,
            runtime_version: &self.config.runtime_version,
            ollama_url: &self.config.agent_ollama_url,
            hub_url: &self.config.agent_hub_url,
            token: &issued.agent_token,
            hub_token: &issued.hub_token,
            token_epoch: &issued.epoch,
            network: Some(NETWORK),
            instance,
        };
        let options = CreateContainerOptionsBuilder::default().name(&name).build();
        let created = docker.create_container(Some(options.clone()), create_body(&spec)).await;
        match created {
            // Another deploy made a second network of the agents' name after
            // this one ensured it (Docker says only this, no code): keep
            // one and try once more.
            Err(err) if docker_reason(&err).contains("is ambiguous") => {
                one_network(docker).await.map_err(|e| docker_reason(&e))?;
                docker
                    .create_container(Some(options), create_body(&spec))
                    .await
                    .map_err(|e| docker_reason(&e))?;
            }
            created => {
                created.map_err(|e| docker_reason(&e))?;
            }
        }
        step(&m.id, DeployStage::Starting, None);
        if let Err(err) = docker.start_container(&name, None).await {
            // A failed start leaves the container in `Created`: clean it up.
            self.remove(docker, &name).await;
            return Err(docker_reason(&err));
        }
        let port = if instance <= 1 {
            m.port
        } else {
            published_port(docker, &name, m.port).await?
        };
        let deadline = Instant::now() + self.config.health_timeout;
        loop {
            let last = match self.health(port).await {
                Ok(()) => return Ok((DeployStage::Healthy, port)),
                Err(reason) => reason,
            };
            match docker.inspect_container(&name, None).await {
                Ok(inspect) => {
                    let state = inspect.state.unwrap_or_default();
                    if state.running == Some(false) {
                        let logs = self.logs_of(docker, &name, 5).await;
                        return Err(format!(
                            "the container exited with code {}: {}",
                            state.exit_code.unwrap_or(-1),
                            logs.trim()
                        ));
                    }
                }
                Err(err) => return Err(format!("cannot follow the container: {}", docker_reason(&err))),
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

    /// Runs `agent_id` as exactly `instances` containers: the first on the
    /// manifest's port, the others on ports Docker picks (127.0.0.1 only).
    /// Extra instances are removed; missing ones deployed and health-gated.
    #[instrument(skip(self, catalog), err)]
    pub async fn scale(&self, catalog: &Catalog, agent_id: &str, instances: u32) -> Result<ScaleReport, FleetError> {
        if !(1..=MAX_INSTANCES).contains(&instances) {
            return Err(FleetError::Instances {
                asked: instances,
                max: MAX_INSTANCES,
            });
        }
        let entry = catalog
            .get(agent_id)
            .ok_or_else(|| FleetError::UnknownAgent(agent_id.to_string()))?;
        let docker = self.docker().await?;
        let image = image::ensure(&docker, &self.config.agent_binary, &self.config.runtime_version).await?;
        self.ensure_network(&docker).await.map_err(|e| self.docker_error(e))?;
        let containers = self.containers(&docker).await?;
        for extra in containers.of(agent_id).filter(|p| p.instance > instances) {
            self.want(&extra.name, None);
            self.remove(&docker, &extra.name).await;
        }
        let quiet = |_: &str, _: DeployStage, _: Option<String>| {};
        let runs = (1..=instances).map(|n| {
            let existing = containers.get(&instance_name(agent_id, n));
            let (docker, image, entry, quiet) = (&docker, &image, &entry, &quiet);
            async move { (n, self.deploy_one(docker, entry, image, existing, n, quiet).await) }
        });
        let mut failed = Vec::new();
        let mut healthy = 0;
        for (n, result) in futures::future::join_all(runs).await {
            let container = instance_name(agent_id, n);
            match result {
                Ok((stage, _)) => {
                    healthy += 1;
                    self.want(&container, Some(true));
                    if stage != DeployStage::Unchanged {
                        self.emit(FleetEvent::Deployed {
                            agent_id: agent_id.to_string(),
                            container,
                            stage,
                            reason: None,
                        });
                    }
                }
                Err(reason) => {
                    self.emit(FleetEvent::Deployed {
                        agent_id: agent_id.to_string(),
                        container: container.clone(),
                        stage: DeployStage::Failed,
                        reason: Some(reason.clone()),
                    });
                    failed.push(FailedAgent {
                        agent_id: container,
                        reason,
                    });
                }
            }
        }
        self.emit(FleetEvent::Scaled {
            agent_id: agent_id.to_string(),
            instances,
        });
        info!(agent = agent_id, instances, healthy, "agent scaled");
        Ok(ScaleReport {
            agent_id: agent_id.to_string(),
            instances,
            healthy,
            failed,
        })
    }

    /// The last lines a container wrote, or nothing.
    async fn logs_of(&self, docker: &Docker, name: &str, tail: u32) -> String {
        use futures::StreamExt;
        let mut stream = super::lifecycle::log_stream(docker, name, tail, false);
        let mut out = String::new();
        while let Some(Ok(chunk)) = stream.next().await {
            out.push_str(&chunk);
        }
        out
    }
}

/// Where Docker published the container's `private` port on 127.0.0.1.
async fn published_port(docker: &Docker, name: &str, private: u16) -> Result<u16, String> {
    let inspect = docker
        .inspect_container(name, None)
        .await
        .map_err(|e| docker_reason(&e))?;
    inspect
        .network_settings
        .and_then(|n| n.ports)
        .and_then(|ports| ports.get(&format!("{private}/tcp")).cloned().flatten())
        .and_then(|bindings| bindings.into_iter().find_map(|b| b.host_port?.parse().ok()))
        .ok_or_else(|| format!("Docker published no port for {private}/tcp"))
}
