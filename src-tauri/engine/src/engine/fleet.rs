//! The fleet's side of the engine: the registry, deploys, actions, logs
//! and stats, each control action audited; and the fleet's background work
//! (reconcile, then the watch that heals; every event kept in the agent's
//! history).

use std::sync::Arc;
use std::time::Duration;

use tracing::{instrument, warn};

use super::{outcome_of, Engine, VERSION};
use crate::config::Config;
use crate::error::EngineError;
use crate::fleet::model::{
    AgentAction, AgentRow, DeployEvent, DeployReport, FailurePolicy, FleetEvent, FleetEventRecord, HistoryEntry,
    PhaseSummary, ScaleReport, Stray,
};
use crate::fleet::stats::{ContainerStats, StatsPreference};
use crate::fleet::{FleetConfig, FleetError};
use crate::security::tokens::Credentials;
use crate::security::Principal;

impl Engine {
    /// Every catalog agent with its container's live status (`unknown`
    /// while Docker is not reachable).
    pub async fn agents(&self) -> Vec<AgentRow> {
        self.fleet.agents(&self.catalog()).await
    }

    /// Per phase: agents, deployed, healthy, memory needed vs available.
    pub async fn phases(&self) -> Vec<PhaseSummary> {
        self.fleet.phases(&self.catalog()).await
    }

    /// Runs an agent as exactly `instances` containers.
    #[instrument(skip_all, err, fields(by = %by.label(), agent_id, instances))]
    pub async fn scale_agent(&self, agent_id: &str, instances: u32, by: &Principal) -> Result<ScaleReport, FleetError> {
        let result = self.fleet.scale(&self.catalog(), agent_id, instances).await;
        let detail = match &result {
            Ok(report) => format!(
                "{} instances, {} healthy, {} failed",
                report.instances,
                report.healthy,
                report.failed.len()
            ),
            Err(_) => format!("{instances} instances"),
        };
        self.audit_action(by, "fleet.scale", agent_id, &outcome_of(&result), &detail)
            .await;
        result
    }

    /// CPU, memory and network of every running agent container, now.
    pub async fn fleet_stats(&self) -> Result<Vec<ContainerStats>, FleetError> {
        self.fleet.stats().await
    }

    /// Containers with the app's label that no catalog agent accounts for.
    pub async fn strays(&self) -> Result<Vec<Stray>, FleetError> {
        self.fleet.strays(&self.catalog()).await
    }

    /// An agent's history, newest first (at most `limit` entries).
    pub async fn agent_history(&self, agent_id: &str, limit: usize) -> Result<Vec<HistoryEntry>, EngineError> {
        let rows = self.store.agent_events(agent_id).await?;
        Ok(rows
            .into_iter()
            .rev()
            .take(limit)
            .map(|(at_ms, kind, detail)| HistoryEntry {
                at_ms,
                event: FleetEventRecord {
                    kind,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
                },
            })
            .collect())
    }

    /// Deploys a whole phase for `by`; `progress` sees every step.
    #[instrument(skip_all, err, fields(by = %by.label(), phase))]
    pub async fn deploy_phase(
        &self,
        phase: u8,
        policy: FailurePolicy,
        by: &Principal,
        progress: impl Fn(DeployEvent) + Send + Sync,
    ) -> Result<DeployReport, FleetError> {
        let result = self.fleet.deploy_phase(&self.catalog(), phase, policy, progress).await;
        let detail = match &result {
            Ok(report) => format!(
                "{}/{} healthy, {} unchanged, {} failed{} in {} ms",
                report.healthy,
                report.total,
                report.unchanged,
                report.failed.len(),
                if report.rolled_back { ", rolled back" } else { "" },
                report.elapsed_ms
            ),
            Err(_) => format!("policy {policy:?}"),
        };
        self.audit_action(
            by,
            "fleet.deploy",
            &format!("phase {phase}"),
            &outcome_of(&result),
            &detail,
        )
        .await;
        result
    }

    /// Removes every container of a phase for `by`; how many there were.
    #[instrument(skip_all, err, fields(by = %by.label(), phase))]
    pub async fn undeploy_phase(&self, phase: u8, by: &Principal) -> Result<u32, FleetError> {
        let result = self.fleet.undeploy_phase(&self.catalog(), phase).await;
        let detail = result
            .as_ref()
            .map(|n| format!("{n} containers removed"))
            .unwrap_or_default();
        self.audit_action(
            by,
            "fleet.undeploy",
            &format!("phase {phase}"),
            &outcome_of(&result),
            &detail,
        )
        .await;
        result
    }

    /// Start, stop, restart or remove one agent, for `by`.
    #[instrument(skip_all, err, fields(by = %by.label(), agent_id, ?action))]
    pub async fn agent_action(&self, agent_id: &str, action: AgentAction, by: &Principal) -> Result<(), FleetError> {
        let result = self.fleet.act(&self.catalog(), agent_id, action).await;
        let name = match action {
            AgentAction::Start => "agent.start",
            AgentAction::Stop => "agent.stop",
            AgentAction::Restart => "agent.restart",
            AgentAction::Remove => "agent.remove",
        };
        self.audit_action(by, name, agent_id, &outcome_of(&result), "").await;
        result
    }

    /// What self-healing does, as it happens.
    pub fn subscribe_fleet(&self) -> tokio::sync::broadcast::Receiver<FleetEvent> {
        self.fleet.subscribe()
    }

    /// The last lines of an agent's log.
    pub async fn agent_logs(&self, agent_id: &str, tail: u32) -> Result<String, FleetError> {
        self.fleet.logs(agent_id, tail).await
    }

    /// The last `tail` lines of an agent's log, then every new one until the
    /// container goes or the engine stops.
    pub async fn follow_logs(
        &self,
        agent_id: &str,
        tail: u32,
    ) -> Result<futures::stream::BoxStream<'static, Result<String, FleetError>>, FleetError> {
        let stream = self.fleet.follow_logs(agent_id, tail, true).await?;
        let cancel = self.life.token();
        Ok(futures::StreamExt::boxed(futures::StreamExt::take_until(
            stream,
            cancel.cancelled_owned(),
        )))
    }
}

/// Reconciles the fleet with the catalog once Docker answers (retrying
/// every two seconds until it does), then watches it until shutdown.
pub(super) async fn keep_fleet(engine: Arc<Engine>) {
    loop {
        match engine.fleet.reconcile(&engine.catalog()).await {
            Ok(_) => break,
            Err(err) => tracing::debug!(cause = %err, "cannot reconcile the fleet yet"),
        }
        tokio::select! {
            _ = engine.life.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
    engine.fleet.watch(engine.life.token()).await;
}

/// Persists every fleet event in its agent's history.
pub(super) async fn record_fleet_events(engine: Arc<Engine>, mut events: tokio::sync::broadcast::Receiver<FleetEvent>) {
    loop {
        let event = tokio::select! {
            _ = engine.life.cancelled() => break,
            event = events.recv() => event,
        };
        let event = match event {
            Ok(event) => event,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
        };
        let detail = serde_json::to_string(&event).unwrap_or_default();
        if let Err(err) = engine
            .store
            .record_agent_event(event.agent_id(), engine.clock.now_ms(), event.kind(), &detail)
            .await
        {
            warn!(cause = %err, "cannot record an agent event");
        }
    }
}

/// What the fleet takes from the app's configuration.
pub fn fleet_config(config: &Config, stats: StatsPreference, credentials: Credentials) -> FleetConfig {
    FleetConfig {
        endpoint: config.docker_endpoint.clone(),
        docker_timeout: config.probe_timeout.max(Duration::from_secs(10)),
        agent_binary: config.agent_runtime.clone(),
        runtime_version: VERSION.to_string(),
        // Agents call Ollama through the hub's gateway, with their token.
        agent_ollama_url: agent_hub_url(config),
        agent_hub_url: agent_hub_url(config),
        health_timeout: config.health_timeout,
        concurrency: 20,
        stats,
        credentials,
    }
}

/// The hub's API as containers see it (through Docker's host gateway).
pub fn agent_hub_url(config: &Config) -> String {
    format!("http://host.docker.internal:{}", config.api_listen.port())
}
