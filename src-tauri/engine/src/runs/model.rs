//! Runs as the UI and the local API see them: plain data, shared through
//! IPC (ts-rs) and the API's OpenAPI document (schemars).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use ts_rs::TS;

use crate::orchestrator::model::TaskFailure;

/// Where a run stands. `queued → running ⇄ waiting | paused → succeeded |
/// failed | cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Stored, not started yet.
    Queued,
    Running,
    /// Nothing runs; a step waits for a person's approval.
    Waiting,
    /// Paused by a person: steps under way finish, no new one starts.
    Paused,
    Succeeded,
    Failed,
    Cancelled,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Waiting => "waiting",
            Self::Paused => "paused",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<RunStatus> {
        Some(match text {
            "queued" => Self::Queued,
            "running" => Self::Running,
            "waiting" => Self::Waiting,
            "paused" => Self::Paused,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }

    /// Succeeded, failed or cancelled: nothing more will happen.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

/// Where a step of a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    Running,
    /// A task of the step failed and is tried again.
    Retrying,
    /// An approval step waits for people.
    Waiting,
    Succeeded,
    Failed,
    /// Its `when` was false, or a step it needs ended without a result.
    Skipped,
    Cancelled,
}

impl StepStatus {
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Skipped | Self::Cancelled)
    }
}

/// One task a step sent to an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepTask {
    /// Which item (forEach), agent (collaborative) or round and agent
    /// (swarm) the task is for; none for a single task.
    pub item: Option<String>,
    pub task_id: String,
    /// The agent that ran it, and why the router chose it.
    pub agent: Option<String>,
    pub why: Option<String>,
    pub attempts: u32,
    /// Ended: succeeded, failed, dead or cancelled; else none.
    pub outcome: Option<String>,
    /// LLM tokens the task's answer cost (prompt + completion).
    #[ts(type = "number")]
    pub tokens: u64,
    #[ts(type = "number | null")]
    pub duration_ms: Option<i64>,
}

/// A person's approve or reject of an approval step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub approve: bool,
    /// `desktop` or `key:<name>`.
    pub by: String,
    #[ts(type = "number")]
    pub at_ms: i64,
    pub note: String,
}

/// What a re-run took over from the run it re-ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Saved {
    /// Steps whose stored output was reused (none of their tasks ran again).
    pub steps: u32,
    /// Their run time in the original run.
    #[ts(type = "number")]
    pub ms: i64,
    /// Their LLM tokens in the original run.
    #[ts(type = "number")]
    pub tokens: u64,
}

/// One step of a run, whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunStep {
    /// The step's id; a step a hierarchical plan added is `<parent>/<id>`.
    pub id: String,
    /// The hierarchical step whose plan added this one.
    pub parent: Option<String>,
    pub title: String,
    /// `task`, `forEach`, `collaborative`, `hierarchical`, `swarm`, `approval`.
    pub kind: String,
    pub status: StepStatus,
    /// The input as rendered when the step started.
    #[ts(type = "unknown")]
    #[schemars(with = "Option<Value>")]
    pub input: Option<Value>,
    /// What later steps see as `steps.<id>.output`.
    #[ts(type = "unknown")]
    #[schemars(with = "Option<Value>")]
    pub output: Option<Value>,
    pub tasks: Vec<StepTask>,
    pub error: Option<TaskFailure>,
    #[ts(type = "number | null")]
    pub started_ms: Option<i64>,
    #[ts(type = "number | null")]
    pub finished_ms: Option<i64>,
    /// For an approval step: how many approvals it needs, the decisions so
    /// far, and when it times out.
    pub approvals: u32,
    pub decisions: Vec<Decision>,
    #[ts(type = "number | null")]
    pub deadline_ms: Option<i64>,
    /// The run this step's output was taken from (re-run from a later step).
    pub reused_from: Option<String>,
    /// Why the step waits before sending its task, while it does: the
    /// agents that have its capability are deployed but none is healthy
    /// (it goes on by itself once one is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub held: Option<String>,
}

impl RunStep {
    pub fn new(id: String, parent: Option<String>, title: String, kind: &str) -> RunStep {
        RunStep {
            id,
            parent,
            title,
            kind: kind.into(),
            status: StepStatus::Pending,
            input: None,
            output: None,
            tasks: Vec::new(),
            error: None,
            started_ms: None,
            finished_ms: None,
            approvals: 0,
            decisions: Vec::new(),
            deadline_ms: None,
            reused_from: None,
            held: None,
        }
    }

    /// LLM tokens of every task of the step.
    pub fn tokens(&self) -> u64 {
        self.tasks.iter().map(|t| t.tokens).sum()
    }

    pub fn duration_ms(&self) -> i64 {
        match (self.started_ms, self.finished_ms) {
            (Some(start), Some(end)) => (end - start).max(0),
            _ => 0,
        }
    }
}

/// A run, whole: what it ran (the pinned definition version), with what,
/// and every step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    pub id: String,
    pub workflow_id: String,
    pub workflow_name: String,
    /// The definition version the run started with and is drawn with.
    pub version: u32,
    pub status: RunStatus,
    #[ts(type = "Record<string, unknown>")]
    #[schemars(with = "Map<String, Value>")]
    pub inputs: Map<String, Value>,
    /// The workflow's outputs, once it succeeded.
    #[ts(type = "Record<string, unknown> | null")]
    #[schemars(with = "Option<Map<String, Value>>")]
    pub outputs: Option<Map<String, Value>>,
    /// Named values steps shared (seed 003's context), with their expiry.
    pub context: Vec<ContextValue>,
    pub error: Option<TaskFailure>,
    /// Who started it: `desktop`, `key:<name>`.
    pub started_by: String,
    #[ts(type = "number")]
    pub created_ms: i64,
    #[ts(type = "number")]
    pub updated_ms: i64,
    #[ts(type = "number | null")]
    pub finished_ms: Option<i64>,
    /// The run this one re-ran, and the step it re-ran from.
    pub rerun_of: Option<String>,
    pub from_step: Option<String>,
    pub saved: Option<Saved>,
    pub steps: Vec<RunStep>,
}

/// A value a step shared with later ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContextValue {
    pub name: String,
    #[ts(type = "unknown")]
    #[schemars(with = "Value")]
    pub value: Value,
    /// The step that wrote it.
    pub step: String,
    /// Gone after this (unix ms); none: kept as long as the run.
    #[ts(type = "number | null")]
    pub expires_ms: Option<i64>,
}

/// A run in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    pub id: String,
    pub workflow_id: String,
    pub workflow_name: String,
    pub version: u32,
    pub status: RunStatus,
    pub started_by: String,
    #[ts(type = "number")]
    pub created_ms: i64,
    #[ts(type = "number")]
    pub updated_ms: i64,
    #[ts(type = "number | null")]
    pub finished_ms: Option<i64>,
    pub steps_total: u32,
    pub steps_done: u32,
    pub error_code: Option<String>,
    pub rerun_of: Option<String>,
}

impl From<&Run> for RunSummary {
    fn from(run: &Run) -> Self {
        RunSummary {
            id: run.id.clone(),
            workflow_id: run.workflow_id.clone(),
            workflow_name: run.workflow_name.clone(),
            version: run.version,
            status: run.status,
            started_by: run.started_by.clone(),
            created_ms: run.created_ms,
            updated_ms: run.updated_ms,
            finished_ms: run.finished_ms,
            steps_total: run.steps.len() as u32,
            steps_done: run.steps.iter().filter(|s| s.status.is_final()).count() as u32,
            error_code: run.error.as_ref().map(|e| e.code.clone()),
            rerun_of: run.rerun_of.clone(),
        }
    }
}

/// Which runs to list; newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunQuery {
    #[serde(default)]
    #[ts(optional)]
    pub workflow_id: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub status: Option<Vec<RunStatus>>,
    /// At most this many (default 100, at most 1000).
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<u32>,
    #[serde(default)]
    #[ts(optional)]
    pub offset: Option<u32>,
}

/// A run changed (its status, or how many steps have ended).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunEvent {
    pub run: RunSummary,
}

/// A step of a run changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepEvent {
    pub run_id: String,
    pub step: RunStep,
}

/// Starts a run: the workflow's inputs by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewRun {
    #[serde(default)]
    #[ts(type = "Record<string, unknown>")]
    #[schemars(with = "Map<String, Value>")]
    pub inputs: Map<String, Value>,
}
