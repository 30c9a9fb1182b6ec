//! What the fleet looks like from outside: per-agent status, deploy progress
//! and summaries. Plain data, shared with the UI.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where an agent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
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

/// What self-healing did, for the UI and the agent's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum FleetEvent {
    /// A dead agent was started again.
    #[serde(rename_all = "camelCase")]
    Restarted {
        agent_id: String,
        attempt: u32,
        reason: String,
    },
    /// An agent died too often and was left stopped.
    #[serde(rename_all = "camelCase")]
    Flapping { agent_id: String, restarts: u32 },
}

/// One row of the Agents view.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
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
    /// Docker's restart count for the container.
    pub restarts: u32,
    /// Why the agent is not healthy, when known.
    pub reason: Option<String>,
}

/// What to do with the healthy part of a phase when some agents fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FailurePolicy {
    /// Remove every container of the phase.
    RollBack,
    /// Leave the healthy agents running.
    KeepHealthy,
}

/// The stages one agent goes through during a deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
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
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
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
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
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

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FailedAgent {
    pub agent_id: String,
    pub reason: String,
}

/// One card of the Deploy view.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PhaseSummary {
    pub phase: u8,
    pub agents: u32,
    pub deployed: u32,
    pub healthy: u32,
    pub memory_needed_mb: u32,
    pub memory_available_mb: u32,
}

/// A lifecycle action on one agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AgentAction {
    Start,
    Stop,
    Restart,
    Remove,
}
