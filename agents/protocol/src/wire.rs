//! The hub ↔ agent HTTP API, version [`PROTOCOL_VERSION`].
//!
//! - `POST /task` takes a [`TaskRequest`] and answers a [`TaskResult`] (200)
//!   whether the task succeeded or failed; requests that cannot be taken at
//!   all get an [`ErrorReply`] with 400, 401, 404, 413 or 503.
//! - `GET /health` answers a [`HealthReport`].
//! - `POST /message` takes a [`BusMessage`] from the hub's message bus and
//!   answers a [`MessageAnswer`] (200), which may carry a reply.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::manifest::OutputKind;

/// Bumped on any incompatible change of these types.
pub const PROTOCOL_VERSION: u32 = 1;

/// The payload field of a swarm round (`{"round": n, "others": [...]}`):
/// the hub sets it, and an agent shows the other agents' last answers to
/// its model after the task's own prompt.
pub const SWARM_FIELD: &str = "swarm";

fn v1() -> u32 {
    PROTOCOL_VERSION
}

/// A task sent to an agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskRequest {
    #[serde(default = "v1")]
    pub protocol: u32,
    /// The hub's id for the task.
    pub task_id: String,
    /// One of the manifest's task type names.
    pub task_type: String,
    /// The input; the task type's prompt template reads it as `payload`.
    #[serde(default)]
    pub payload: serde_json::Value,
    /// When the task must be done by (Unix ms). Past it the agent gives up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<i64>,
    /// The same key means the same task (at-least-once delivery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// Correlates logs across hub and agents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

/// What an agent answers for a task it took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "FlatResult")]
pub struct TaskResult {
    pub protocol: u32,
    pub task_id: String,
    pub agent_id: String,
    #[serde(flatten)]
    pub outcome: TaskOutcome,
    /// The model that answered, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub timings: Timings,
}

/// A [`TaskResult`] as it is read: the same fields, flat. Deriving the read
/// through `flatten` (of a tagged enum) made serde copy the whole answer
/// into a generic tree first and read the tree: 1 % of two cores at the
/// hub's thousands of answers a second.
#[derive(Deserialize)]
struct FlatResult {
    protocol: u32,
    task_id: String,
    agent_id: String,
    status: Status,
    #[serde(default)]
    output: Option<Output>,
    #[serde(default)]
    error: Option<TaskError>,
    #[serde(default)]
    model: Option<String>,
    timings: Timings,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    Succeeded,
    Failed,
}

impl TryFrom<FlatResult> for TaskResult {
    type Error = &'static str;

    fn try_from(flat: FlatResult) -> Result<TaskResult, Self::Error> {
        let outcome = match (flat.status, flat.output, flat.error) {
            (Status::Succeeded, Some(output), _) => TaskOutcome::Succeeded { output },
            (Status::Succeeded, None, _) => return Err("missing field `output`"),
            (Status::Failed, _, Some(error)) => TaskOutcome::Failed { error },
            (Status::Failed, _, None) => return Err("missing field `error`"),
        };
        Ok(TaskResult {
            protocol: flat.protocol,
            task_id: flat.task_id,
            agent_id: flat.agent_id,
            outcome,
            model: flat.model,
            timings: flat.timings,
        })
    }
}

/// Succeeded with output, or failed with a reason. Never invented output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TaskOutcome {
    Succeeded { output: Output },
    Failed { error: TaskError },
}

/// A task's output after post-processing by its output kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Output {
    pub kind: OutputKind,
    /// The text as produced (the model's answer, or the tool's report).
    pub text: String,
    /// The parsed value, for `json` outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<serde_json::Value>,
    /// The fenced code blocks, for `code` outputs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub code_blocks: Vec<CodeBlock>,
}

/// One fenced code block and what its syntax check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CodeBlock {
    pub language: Option<String>,
    pub code: String,
    pub syntax: SyntaxCheck,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum SyntaxCheck {
    Ok,
    Error {
        message: String,
        line: Option<u32>,
    },
    /// No checker for this language; only extracted.
    Unchecked,
}

/// Why a task failed or could not be taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TaskError {
    pub code: ErrorCode,
    pub message: String,
}

/// Error classification; clients decide by code, never by message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body is malformed (400).
    BadRequest,
    /// The body is larger than the agent accepts (413).
    TooLarge,
    /// Missing or wrong bearer token (401).
    Unauthorized,
    /// The manifest has no such task type (404).
    UnknownTaskType,
    /// The payload lacks what the task type needs.
    PayloadInvalid,
    /// At the concurrency limit (503); retry later or elsewhere.
    Busy,
    /// Shutting down; no new tasks (503).
    Draining,
    /// The deadline passed before the task finished.
    DeadlineExceeded,
    /// Nothing answers at the Ollama URL.
    LlmUnreachable,
    /// Ollama did not answer in time.
    LlmTimeout,
    /// Neither the preferred nor the fallback model is installed.
    ModelMissing,
    /// Ollama answered with an error.
    LlmError,
    /// Ollama's stream was cut off or malformed.
    LlmBadStream,
    /// The answer is not what the output kind requires (e.g. not JSON).
    OutputInvalid,
}

/// Time and tokens spent on a task.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Timings {
    /// From request received to answer ready.
    pub total_ms: f64,
    /// Waiting for the model.
    pub llm_ms: f64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// The body of a refusal (4xx/503).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorReply {
    pub error: TaskError,
    /// With `unknown_task_type`: the task types the agent knows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_task_types: Option<Vec<String>>,
}

/// `GET /health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HealthReport {
    pub protocol: u32,
    pub agent_id: String,
    pub name: String,
    pub runtime_version: String,
    pub status: HealthStatus,
    pub active_tasks: u32,
    pub max_concurrency: u32,
    pub uptime_ms: u64,
    pub tasks_succeeded: u64,
    pub tasks_failed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Taking tasks.
    Ok,
    /// Finishing in-flight tasks before exiting; no new ones.
    Draining,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_request_gets_defaults() {
        let r: TaskRequest = serde_json::from_str(r#"{"task_id":"t1","task_type":"scan"}"#).unwrap();
        assert_eq!(r.protocol, PROTOCOL_VERSION);
        assert_eq!(r.payload, serde_json::Value::Null);
        assert!(serde_json::from_str::<TaskRequest>(r#"{"task_id":"t1","task_type":"x","extra":1}"#).is_err());
    }

    #[test]
    fn results_are_flat_with_a_status_tag() {
        let result = TaskResult {
            protocol: 1,
            task_id: "t1".into(),
            agent_id: "AG-017".into(),
            outcome: TaskOutcome::Failed {
                error: TaskError {
                    code: ErrorCode::LlmUnreachable,
                    message: "nothing answers".into(),
                },
            },
            model: None,
            timings: Timings::default(),
        };
        let json = serde_json::to_value(&result).unwrap();
        assert_eq!(json["status"], "failed");
        assert_eq!(json["error"]["code"], "llm_unreachable");
        assert_eq!(serde_json::from_value::<TaskResult>(json).unwrap(), result);

        let succeeded = TaskResult {
            outcome: TaskOutcome::Succeeded {
                output: Output {
                    kind: OutputKind::Json,
                    text: r#"{"n":1}"#.into(),
                    json: Some(serde_json::json!({"n": 1})),
                    code_blocks: Vec::new(),
                },
            },
            model: Some("tinyllama".into()),
            ..result
        };
        let text = serde_json::to_string(&succeeded).unwrap();
        assert_eq!(serde_json::from_str::<TaskResult>(&text).unwrap(), succeeded);
    }

    #[test]
    fn a_result_without_what_its_status_needs_is_refused() {
        let base = r#""protocol":1,"task_id":"t1","agent_id":"AG-001","timings":{"total_ms":1.0,"llm_ms":0.0,"prompt_tokens":0,"completion_tokens":0}"#;
        for (body, want) in [
            (format!(r#"{{{base},"status":"succeeded"}}"#), "missing field `output`"),
            (format!(r#"{{{base},"status":"failed"}}"#), "missing field `error`"),
            (format!(r#"{{{base},"status":"maybe"}}"#), "unknown variant `maybe`"),
        ] {
            let err = serde_json::from_str::<TaskResult>(&body).unwrap_err().to_string();
            assert!(err.contains(want), "{body}: {err}");
        }
    }
}

/// A message of the hub's message bus, as the hub hands it to an agent
/// (`POST /message`). The kinds are kept as text so a newer hub's kinds
/// reach an older agent as something it can log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BusMessage {
    pub id: String,
    pub sender_id: String,
    #[serde(default)]
    pub recipient_id: Option<String>,
    /// `task_request`, `health_check`, `system_announcement`, ….
    pub message_type: String,
    /// `point_to_point`, `broadcast`, `publish_subscribe`, `request_response`.
    pub pattern: String,
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub payload: serde_json::Value,
    /// For a reply: the request it answers.
    #[serde(default)]
    pub correlation_id: Option<String>,
    #[serde(default)]
    pub created_ms: i64,
}

/// An agent's answer to a bus message: `{}`, or `{"reply": {...}}`, which
/// the hub stores as a reply to the message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MessageAnswer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<serde_json::Value>,
}
