//! Seed 001's two summaries of the whole system: `status` (the engine, the
//! agents, tasks, runs and alerts at a glance) and `infrastructure` (Docker,
//! Ollama and what the agent containers cost now). Both are read from what
//! the engine already keeps; nothing here is measured anew.

use schemars::JsonSchema;
use serde::Serialize;
use ts_rs::TS;

use super::Engine;
use crate::alerts::model::AlertQuery;
use crate::error::ErrorBody;
use crate::fleet::model::AgentStatus;
use crate::orchestrator::model::{StatusCount, TaskQuery};
use crate::runs::model::{RunQuery, RunStatus};
use crate::status::{DockerFacts, EngineStatus, OllamaFacts, Probe};

/// How many agents are in one status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentCount {
    pub status: AgentStatus,
    pub count: u32,
}

/// Seed 001's `GET /status`: everything at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemStatus {
    /// Docker, Ollama and the data dir as last checked.
    pub engine: EngineStatus,
    /// Agents in the catalog.
    pub agents_total: u32,
    /// The catalog's agents by status (only the statuses some agent has).
    pub agents: Vec<AgentCount>,
    /// Tasks by status, over every task kept.
    pub tasks: Vec<StatusCount>,
    /// Runs queued, running, waiting for approval or paused.
    pub active_runs: u32,
    /// Alerts not resolved.
    pub open_alerts: u32,
}

/// Seed 001's `GET /infrastructure/status`: Docker, Ollama and what the
/// agent containers use now.
#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfrastructureStatus {
    pub docker_endpoint: String,
    pub docker: Probe<DockerFacts>,
    pub ollama_url: String,
    pub ollama: Probe<OllamaFacts>,
    /// The catalog's agents by status.
    pub agents: Vec<AgentCount>,
    /// Running agent containers (a scaled agent counts each instance).
    pub containers: u32,
    /// Their CPU in percent of one core, summed (none before the first
    /// two samples).
    pub cpu_percent: Option<f64>,
    /// Their memory in use, summed.
    #[ts(type = "number")]
    pub memory_bytes: u64,
    /// Why the container figures are missing (Docker down), if they are.
    pub stats_error: Option<String>,
}

impl Engine {
    /// Seed 001's system status.
    pub async fn system_status(&self) -> Result<SystemStatus, ErrorBody> {
        let agents = self.agent_counts().await;
        let tasks = self
            .tasks(TaskQuery {
                limit: Some(1),
                ..TaskQuery::default()
            })
            .await
            .map_err(|err| ErrorBody::from(&err))?;
        let active = RunQuery {
            status: Some(vec![
                RunStatus::Queued,
                RunStatus::Running,
                RunStatus::Waiting,
                RunStatus::Paused,
            ]),
            limit: Some(1),
            ..RunQuery::default()
        };
        let runs = self.runs(active).await.map_err(|err| ErrorBody::from(&err))?;
        let open_alerts = self
            .alerts(AlertQuery::open(10_000))
            .await
            .map_err(|err| ErrorBody::from(&err))?
            .len();
        Ok(SystemStatus {
            engine: self.status(),
            agents_total: agents.iter().map(|a| a.count).sum(),
            agents,
            tasks: tasks.counts,
            active_runs: runs.total,
            open_alerts: u32::try_from(open_alerts).unwrap_or(u32::MAX),
        })
    }

    /// Seed 001's infrastructure status.
    pub async fn infrastructure_status(&self) -> InfrastructureStatus {
        let status = self.status();
        let agents = self.agent_counts().await;
        let (containers, cpu_percent, memory_bytes, stats_error) = match self.fleet_stats().await {
            Ok(stats) => {
                let cpu: Vec<f64> = stats.iter().filter_map(|s| s.cpu_percent).collect();
                (
                    u32::try_from(stats.len()).unwrap_or(u32::MAX),
                    (!cpu.is_empty()).then(|| cpu.iter().sum()),
                    stats.iter().map(|s| s.memory_bytes).sum(),
                    None,
                )
            }
            Err(err) => (0, None, 0, Some(err.to_string())),
        };
        InfrastructureStatus {
            docker_endpoint: status.docker_endpoint,
            docker: status.docker,
            ollama_url: status.ollama_url,
            ollama: status.ollama,
            agents,
            containers,
            cpu_percent,
            memory_bytes,
            stats_error,
        }
    }

    /// The catalog's agents counted by status, in the statuses' order.
    async fn agent_counts(&self) -> Vec<AgentCount> {
        let mut counts: Vec<AgentCount> = Vec::new();
        for row in self.agents().await {
            match counts.iter_mut().find(|c| c.status == row.status) {
                Some(count) => count.count += 1,
                None => counts.push(AgentCount {
                    status: row.status,
                    count: 1,
                }),
            }
        }
        counts.sort_by_key(|c| c.status as u8);
        counts
    }
}
