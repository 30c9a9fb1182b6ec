//! What the fleet looks like from outside: per-agent status, deploy progress
//! and summaries. Plain data, shared with the UI.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where an agent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// Docker is not reachable, so nobody knows.
    Unknown,
    /// No container.
    NotDeployed,
    /// Container being created or started; not answering `/health` yet.
    Starting,
    /// Answers `/health` with `ok`.
    Healthy,
    /// Running but `/health` fails or says draining.
    Unhealthy,
    /// The container exists and is not running.
    Stopped,
    /// Died too often in a short time; left stopped until started by hand.
    Flapping,
}

/// A change in the fleet, for the UI and the agent's history.
#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum FleetEvent {
    /// Self-healing started a dead agent again, or restarted one that
    /// stopped answering `/health`.
    #[serde(rename_all = "camelCase")]
    Restarted {
        agent_id: String,
        container: String,
        attempt: u32,
        reason: String,
    },
    /// A container the fleet wants running exited without being asked to
    /// (`docker kill`, a crash); self-healing starts it again.
    #[serde(rename_all = "camelCase")]
    Died {
        agent_id: String,
        container: String,
        /// The exit code Docker reported, when it did.
        exit_code: Option<i64>,
    },
    /// The kernel killed a container's process for memory.
    #[serde(rename_all = "camelCase")]
    OutOfMemory { agent_id: String, container: String },
    /// An agent died too often and was left stopped.
    #[serde(rename_all = "camelCase")]
    Flapping {
        agent_id: String,
        container: String,
        restarts: u32,
    },
    /// A deploy or scale brought a container up, or failed to.
    #[serde(rename_all = "camelCase")]
    Deployed {
        agent_id: String,
        container: String,
        stage: DeployStage,
        reason: Option<String>,
    },
    /// The user started, stopped, restarted or removed an agent.
    #[serde(rename_all = "camelCase")]
    Acted { agent_id: String, action: AgentAction },
    /// The user asked for this many instances (failures come as `Deployed`).
    #[serde(rename_all = "camelCase")]
    Scaled { agent_id: String, instances: u32 },
    /// The agent's auto-scaling policy changed its instances, for the
    /// figures it names.
    #[serde(rename_all = "camelCase")]
    Autoscaled {
        agent_id: String,
        decision: super::autoscale::ScaleDecision,
        /// Whether the new instances came up (the reason when not).
        failed: Option<String>,
    },
    /// A container from an older manifest or runtime was replaced at start.
    #[serde(rename_all = "camelCase")]
    Replaced {
        agent_id: String,
        container: String,
        reason: String,
    },
}

impl FleetEvent {
    /// The agent the event is about.
    pub fn agent_id(&self) -> &str {
        match self {
            FleetEvent::Restarted { agent_id, .. }
            | FleetEvent::Died { agent_id, .. }
            | FleetEvent::OutOfMemory { agent_id, .. }
            | FleetEvent::Flapping { agent_id, .. }
            | FleetEvent::Deployed { agent_id, .. }
            | FleetEvent::Acted { agent_id, .. }
            | FleetEvent::Scaled { agent_id, .. }
            | FleetEvent::Autoscaled { agent_id, .. }
            | FleetEvent::Replaced { agent_id, .. } => agent_id,
        }
    }

    /// A short name for the history table.
    pub fn kind(&self) -> &'static str {
        match self {
            FleetEvent::Restarted { .. } => "restarted",
            FleetEvent::Died { .. } => "died",
            FleetEvent::OutOfMemory { .. } => "oom",
            FleetEvent::Flapping { .. } => "flapping",
            FleetEvent::Deployed { .. } => "deployed",
            FleetEvent::Acted { .. } => "acted",
            FleetEvent::Scaled { .. } => "scaled",
            FleetEvent::Autoscaled { .. } => "autoscaled",
            FleetEvent::Replaced { .. } => "replaced",
        }
    }
}

/// One entry of an agent's history, newest first in the UI.
#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    #[ts(type = "number")]
    pub at_ms: i64,
    pub event: FleetEventRecord,
}

/// A stored event: what was recorded, even from an older app version.
#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FleetEventRecord {
    pub kind: String,
    /// The event as JSON (the `FleetEvent` shape of the version that wrote it).
    #[ts(type = "Record<string, unknown>")]
    pub detail: serde_json::Value,
}

/// A container with the app's label that no catalog agent accounts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Stray {
    pub container: String,
    pub state: String,
    pub reason: String,
}

/// One row of the Agents view.
#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentRow {
    pub id: String,
    pub name: String,
    pub title: String,
    pub phase: u8,
    pub kind: String,
    pub port: u16,
    pub capabilities: Vec<String>,
    pub status: AgentStatus,
    pub container_id: Option<String>,
    /// When `/health` last answered ok (ms since the Unix epoch).
    #[ts(type = "number | null")]
    pub healthy_at_ms: Option<i64>,
    /// Unplanned exits the watch has seen (each one healed or flapping).
    pub restarts: u32,
    /// Why the agent is not healthy, when known.
    pub reason: Option<String>,
    /// Containers running this agent (more than 1 when scaled).
    pub instances: u32,
}

impl AgentRow {
    /// The row of an agent with no container.
    pub fn new(entry: &crate::catalog::Entry) -> AgentRow {
        let m = &entry.manifest;
        AgentRow {
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
            instances: 0,
        }
    }
}

/// What to do with the healthy part of a phase when some agents fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailurePolicy {
    /// Remove every container of the phase.
    RollBack,
    /// Leave the healthy agents running.
    KeepHealthy,
}

/// The stages one agent goes through during a deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeployStage {
    Pending,
    Creating,
    Starting,
    Healthy,
    /// Already running with the same manifest and image: nothing to do.
    Unchanged,
    Failed,
    /// Removed again by the rollback.
    RolledBack,
}

/// Progress of a phase deploy, streamed to the UI.
#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum DeployEvent {
    #[serde(rename_all = "camelCase")]
    Started {
        phase: u8,
        /// The agents in dependency order.
        agents: Vec<String>,
        memory_needed_mb: u32,
        memory_available_mb: u32,
        /// Set when the phase's memory limits exceed what the host has free.
        warning: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    Agent {
        phase: u8,
        agent_id: String,
        stage: DeployStage,
        reason: Option<String>,
        #[ts(type = "number")]
        elapsed_ms: u64,
    },
    Finished(DeployReport),
}

/// How a deploy ended.
#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeployReport {
    pub phase: u8,
    pub total: u32,
    pub healthy: u32,
    pub unchanged: u32,
    pub failed: Vec<FailedAgent>,
    pub rolled_back: bool,
    #[ts(type = "number")]
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailedAgent {
    pub agent_id: String,
    pub reason: String,
}

/// One card of the Deploy view.
#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PhaseSummary {
    pub phase: u8,
    pub agents: u32,
    pub deployed: u32,
    pub healthy: u32,
    pub memory_needed_mb: u32,
    pub memory_available_mb: u32,
}

/// What a scale did.
#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScaleReport {
    pub agent_id: String,
    pub instances: u32,
    pub healthy: u32,
    pub failed: Vec<FailedAgent>,
}

/// A lifecycle action on one agent (every instance of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentAction {
    Start,
    Stop,
    Restart,
    Remove,
}

/// Where one running agent container takes tasks, as the watch last saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub agent_id: String,
    /// The container's name: `sutazai-ag-010`, `sutazai-ag-010-2`.
    pub container: String,
    /// Its port published on 127.0.0.1.
    pub port: u16,
    /// Its last `/health` poll succeeded (or none has failed yet).
    pub healthy: bool,
    /// The epoch of its service tokens (its label): the hub presents the
    /// hub → agent token of this epoch.
    pub token_epoch: String,
}
