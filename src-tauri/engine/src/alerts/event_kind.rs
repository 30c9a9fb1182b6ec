//! The events an alert rule can watch, apart from how their alerts live
//! (`events.rs`) so that rules and their evaluation both name them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The events a rule can watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum EventKind {
    /// An agent's container exited without being asked to.
    AgentDied,
    /// The kernel killed an agent's container for memory.
    AgentOutOfMemory,
    /// An agent stopped answering `/health` and was restarted.
    AgentUnhealthy,
    /// An agent died too often and was left stopped.
    AgentFlapping,
    /// Self-healing started an agent again.
    AgentRestarted,
    /// An agent's circuit breaker opened.
    BreakerOpened,
    /// A task used all its attempts.
    TaskDeadLettered,
    /// A workflow run failed.
    RunFailed,
    /// A workflow run waits for a person's approval.
    RunWaiting,
    /// Ollama does not answer.
    OllamaDown,
    /// A model a deployed agent needs is not in Ollama.
    ModelMissing,
    /// An input was refused or held as a threat.
    ThreatFound,
    /// A client went over its rate limit.
    RateLimited,
    /// Many API calls with a refused key or token.
    TokensRefused,
    /// A container's settings fail a critical CIS check.
    ContainerAudit,
    /// Little space is left where the app keeps its data.
    DiskLow,
}

impl EventKind {
    /// Every event, in declaration order.
    pub const ALL: [EventKind; 16] = [
        EventKind::AgentDied,
        EventKind::AgentOutOfMemory,
        EventKind::AgentUnhealthy,
        EventKind::AgentFlapping,
        EventKind::AgentRestarted,
        EventKind::BreakerOpened,
        EventKind::TaskDeadLettered,
        EventKind::RunFailed,
        EventKind::RunWaiting,
        EventKind::OllamaDown,
        EventKind::ModelMissing,
        EventKind::ThreatFound,
        EventKind::RateLimited,
        EventKind::TokensRefused,
        EventKind::ContainerAudit,
        EventKind::DiskLow,
    ];

    /// Whether its alerts are about agents (and stay bad while the agent
    /// is deployed but not healthy).
    pub fn about_agents(self) -> bool {
        matches!(
            self,
            EventKind::AgentDied
                | EventKind::AgentOutOfMemory
                | EventKind::AgentUnhealthy
                | EventKind::AgentFlapping
                | EventKind::AgentRestarted
        )
    }
}
