//! Tasks as the UI and the local API see them: plain data, shared through
//! IPC (ts-rs) and the API's OpenAPI document (schemars).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use std::sync::Arc;

use super::router::RouteDecision;

/// Where a task stands. `queued → dispatched → running → succeeded | failed
/// | dead | cancelled`; a retry goes back to `queued`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Waiting for an agent (new, or waiting for its retry time).
    Queued,
    /// An agent was chosen and the attempt is being recorded (the moment
    /// before `running`; seen in events, not kept in the table).
    Dispatched,
    /// The agent holds the task.
    Running,
    Succeeded,
    /// Failed for a reason a retry cannot fix (bad payload, deadline).
    Failed,
    /// Every attempt failed; kept with its last error (the dead-letter list).
    Dead,
    Cancelled,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Dispatched => "dispatched",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Dead => "dead",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<TaskStatus> {
        Some(match text {
            "queued" => Self::Queued,
            "dispatched" => Self::Dispatched,
            "running" => Self::Running,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "dead" => Self::Dead,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }

    /// Succeeded, failed, dead or cancelled: nothing more will happen.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Dead | Self::Cancelled)
    }
}

/// A task to submit. Either `capability` or `agentId` says who may take it
/// (both: that agent, which must have the capability); `taskType` must be
/// one the agent knows (`echo` is built into every agent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewTask {
    #[serde(default)]
    #[ts(optional)]
    pub capability: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub agent_id: Option<String>,
    pub task_type: String,
    /// The input the task type's prompt template (or tool) reads.
    #[serde(default)]
    #[ts(type = "unknown")]
    #[schemars(with = "serde_json::Value")]
    pub payload: serde_json::Value,
    /// 1 (lowest) to 10 (highest); 5 when absent.
    #[serde(default)]
    #[ts(optional)]
    pub priority: Option<u8>,
    /// How long the task may take from submission, in ms (default: the
    /// configured task timeout).
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub timeout_ms: Option<u64>,
    /// Submitting the same key again returns the first task instead of a
    /// new one; the key goes to the agent with every attempt.
    #[serde(default)]
    #[ts(optional)]
    pub idempotency_key: Option<String>,
    /// Attempts before the task is dead (default: the configured number).
    #[serde(default)]
    #[ts(optional)]
    pub max_attempts: Option<u32>,
    /// The first retry's delay ceiling in ms, doubling with each retry
    /// (default: the configured one).
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub retry_backoff_ms: Option<u64>,
    #[serde(default)]
    #[ts(optional)]
    pub name: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub description: Option<String>,
    /// For a sub-task an agent delegates: the task it is working on.
    #[serde(default)]
    #[ts(optional)]
    pub parent_task_id: Option<String>,
}

/// Why a task failed (or an attempt did): a code clients decide by, and a
/// sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskFailure {
    /// The agent's error code (`deadline_exceeded`, `payload_invalid`, …) or
    /// the hub's (`unreachable`, `no_agent`, `cancelled`, `timeout`).
    pub code: String,
    pub message: String,
}

/// One try at running a task on one agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub number: u32,
    pub agent_id: String,
    pub container: String,
    /// The chosen agent's score.
    pub score: Option<f64>,
    #[ts(type = "number")]
    pub started_ms: i64,
    #[ts(type = "number | null")]
    pub finished_ms: Option<i64>,
    /// None while running.
    pub outcome: Option<AttemptOutcome>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AttemptOutcome {
    Succeeded,
    Failed {
        failure: TaskFailure,
        /// Whether the task was retried after it.
        retried: bool,
    },
    Cancelled,
    /// The app stopped (or crashed) while the attempt ran; the task was
    /// queued again at the next start.
    Interrupted,
}

/// A task, whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub id: String,
    pub status: TaskStatus,
    pub priority: u8,
    pub capability: Option<String>,
    /// The agent the submitter named, if any.
    pub agent_id: Option<String>,
    pub task_type: String,
    #[ts(type = "unknown")]
    #[schemars(with = "serde_json::Value")]
    pub payload: serde_json::Value,
    pub name: Option<String>,
    pub description: Option<String>,
    pub idempotency_key: String,
    #[ts(type = "number")]
    pub created_ms: i64,
    #[ts(type = "number")]
    pub updated_ms: i64,
    #[ts(type = "number")]
    pub deadline_ms: i64,
    #[ts(type = "number | null")]
    pub finished_ms: Option<i64>,
    pub attempts: u32,
    pub max_attempts: u32,
    /// Its own first retry delay ceiling, when it has one.
    #[ts(type = "number | null")]
    pub retry_backoff_ms: Option<u64>,
    /// The agent that holds or last held it.
    pub assigned_agent: Option<String>,
    pub assigned_container: Option<String>,
    /// The last routing decision: every candidate, its score, who won.
    /// Shared, not copied: a task is cloned several times on its way and
    /// the decision holds every candidate.
    #[serde(with = "shared")]
    #[ts(as = "Option<RouteDecision>")]
    #[schemars(with = "Option<RouteDecision>")]
    pub route: Option<Arc<RouteDecision>>,
    pub attempt_log: Vec<Attempt>,
    /// The agent's output (`{kind, text, json?, codeBlocks?}`) and what it
    /// cost (`usage`: model, tokens, LLM time), when it succeeded.
    #[ts(type = "unknown")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub result: Option<serde_json::Value>,
    /// The last error (kept on dead tasks: the dead-letter reason).
    pub error: Option<TaskFailure>,
    /// Who submitted it: `ui`, `key:<name>`, `agent:<id>`.
    pub submitted_by: String,
    pub parent_id: Option<String>,
    /// The agents that delegated down to this task, first to last.
    pub delegation_chain: Vec<String>,
}

/// A task in a list: what the Tasks view's rows show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskSummary {
    pub id: String,
    pub status: TaskStatus,
    pub priority: u8,
    pub capability: Option<String>,
    pub task_type: String,
    pub name: Option<String>,
    pub assigned_agent: Option<String>,
    pub attempts: u32,
    #[ts(type = "number")]
    pub created_ms: i64,
    #[ts(type = "number")]
    pub updated_ms: i64,
    #[ts(type = "number | null")]
    pub finished_ms: Option<i64>,
    pub error_code: Option<String>,
}

impl From<&Task> for TaskSummary {
    fn from(t: &Task) -> Self {
        TaskSummary {
            id: t.id.clone(),
            status: t.status,
            priority: t.priority,
            capability: t.capability.clone(),
            task_type: t.task_type.clone(),
            name: t.name.clone(),
            assigned_agent: t.assigned_agent.clone(),
            attempts: t.attempts,
            created_ms: t.created_ms,
            updated_ms: t.updated_ms,
            finished_ms: t.finished_ms,
            error_code: t.error.as_ref().map(|e| e.code.clone()),
        }
    }
}

/// Which tasks to list; newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaskQuery {
    #[serde(default)]
    #[ts(optional)]
    pub status: Option<Vec<TaskStatus>>,
    #[serde(default)]
    #[ts(optional)]
    pub capability: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub agent_id: Option<String>,
    /// At most this many (default 100, at most 1000).
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<u32>,
    /// Skip this many (paging).
    #[serde(default)]
    #[ts(optional)]
    pub offset: Option<u32>,
}

/// One page of a task list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskPage {
    pub tasks: Vec<TaskSummary>,
    /// How many tasks match the filters in all.
    pub total: u32,
    /// Tasks per status over all tasks (for the view's counters).
    pub counts: Vec<StatusCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusCount {
    pub status: TaskStatus,
    pub count: u32,
}

/// A task changed (submitted, routed, finished, retried, cancelled).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskEvent {
    pub task: TaskSummary,
}

/// (De)serialises an `Option<Arc<T>>` as an `Option<T>` (serde's own `rc`
/// feature would change serde for the whole workspace).
mod shared {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize>(value: &Option<Arc<T>>, serializer: S) -> Result<S::Ok, S::Error> {
        value.as_deref().serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        deserializer: D,
    ) -> Result<Option<Arc<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(|value| value.map(Arc::new))
    }
}
