//! Phase deploys: the image and the network first, then the phase's agents
//! wave by wave in dependency order (up to `concurrency` at once), each
//! through a health gate, with progress for every step and the failure
//! policy at the end.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::models::{ContainerSummary, ContainerSummaryStateEnum, NetworkCreateRequest};
use bollard::query_parameters::{CreateContainerOptionsBuilder, ListNetworksOptionsBuilder};
use bollard::Docker;
use tokio::sync::Semaphore;
use tracing::{info, instrument, warn};

use super::model::{DeployEvent, DeployReport, DeployStage, FailedAgent, FailurePolicy};
use super::spec::{container_name, create_body, AgentSpec, LABEL_MANIFEST_HASH};
use super::{docker_reason, image, memory_available_mb, new_token, Fleet, FleetError, NETWORK};
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
}
