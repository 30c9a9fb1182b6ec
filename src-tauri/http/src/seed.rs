//! Seed 001's task body, accepted by `POST /v1/tasks` beside the engine's
//! own [`NewTask`]:
//!
//! ```json
//! {"name": "Code Review Task", "description": "Review the auth module",
//!  "type": "code_review", "priority": "high",
//!  "requirements": ["code_review"], "coordination_pattern": "single",
//!  "payload": {"code": "..."}}
//! ```
//!
//! A body with `type` and no `taskType` is read in this shape. `type` is the
//! task type; `priority` is a word (low 2, normal and medium 5, high 8,
//! critical and urgent 10); `requirements` names the capability the task
//! needs. With the `single` coordination pattern (or none) it is one task on
//! one agent, with at most one requirement. With `pipeline`,
//! `collaborative`, `hierarchical` or `swarm` it is an ad-hoc workflow run
//! of that pattern over its requirements (with its `constraints`:
//! `max_agents`, `estimated_duration`, `required_approvals`): 202 with the
//! run's id (also as seed 001's `session_id`) and where to read it.

use schemars::JsonSchema;
use serde::Deserialize;
use std::time::Duration;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use sutazai_engine::orchestrator::model::NewTask;
use sutazai_engine::runs::adhoc::{AdhocTask, Constraints, PATTERNS};
use sutazai_engine::runs::model::RunStatus;
use sutazai_engine::security::Action;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::decode;
use crate::Api;

/// A task in seed 001's shape.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeedTask {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The task type (the engine's `taskType`), e.g. `echo`.
    #[serde(rename = "type")]
    pub task_type: String,
    /// `normal` when absent.
    #[serde(default)]
    pub priority: Option<PriorityWord>,
    /// The capability the task needs; at most one.
    #[serde(default)]
    pub requirements: Vec<String>,
    /// `single` or absent: one task; `pipeline`, `collaborative`,
    /// `hierarchical`, `swarm`: a workflow run.
    #[serde(default)]
    pub coordination_pattern: Option<String>,
    /// Bounds of a workflow run.
    #[serde(default)]
    pub constraints: Option<Constraints>,
    /// The input the task type reads.
    #[serde(default)]
    #[schemars(with = "serde_json::Value")]
    pub payload: serde_json::Value,
}

/// Seed 001's priority words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PriorityWord {
    Low,
    Normal,
    Medium,
    High,
    Critical,
    Urgent,
}

impl PriorityWord {
    /// On the engine's scale of 1 (lowest) to 10 (highest).
    pub fn number(self) -> u8 {
        match self {
            Self::Low => 2,
            Self::Normal | Self::Medium => 5,
            Self::High => 8,
            Self::Critical | Self::Urgent => 10,
        }
    }
}

/// What a submitted body asks for: one task, or a workflow run.
#[derive(Debug)]
pub enum Submission {
    Task(NewTask),
    Run(AdhocTask),
}

/// A submitted body, in either shape.
pub fn submission(body: serde_json::Value) -> Result<Submission, ApiError> {
    let seed_shaped = body.get("taskType").is_none() && body.get("type").is_some();
    if !seed_shaped {
        return decode(body).map(Submission::Task);
    }
    decode::<SeedTask>(body)?.into_submission()
}

/// The answer to a multi-agent task: the run that carries it out.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TaskRun {
    #[serde(rename = "runId")]
    pub run_id: String,
    /// The same id, under the name seed 001's clients read.
    pub session_id: String,
    pub status: RunStatus,
    /// Where to read the run: `/v1/runs/<id>`.
    pub location: String,
}

/// Starts the ad-hoc run of a multi-agent task; 202 (200 once it ended
/// within `wait`).
pub async fn start_run(
    api: &Api,
    caller: &Caller,
    task: &AdhocTask,
    wait: Option<Duration>,
) -> Result<Response, ApiError> {
    caller.require(Action::RunWorkflows)?;
    let mut run = api.engine.start_task_run(task, &caller.0).await?;
    if let Some(wait) = wait {
        run = api.engine.wait_run(&run.id, wait).await?;
    }
    let location = format!("/v1/runs/{}", run.id);
    let status = if run.status.is_final() {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    let body = TaskRun {
        run_id: run.id.clone(),
        session_id: run.id,
        status: run.status,
        location: location.clone(),
    };
    Ok((status, [(header::LOCATION, location)], Json(body)).into_response())
}

impl SeedTask {
    fn into_submission(self) -> Result<Submission, ApiError> {
        if let Some(pattern) = self.coordination_pattern.as_deref().filter(|p| *p != "single") {
            if !PATTERNS.contains(&pattern) {
                return Err(ApiError::invalid(format!(
                    "coordination_pattern: expected single, {}; found `{pattern}`",
                    PATTERNS.join(", ")
                )));
            }
            return Ok(Submission::Run(AdhocTask {
                pattern: pattern.to_string(),
                name: self.name,
                description: self.description,
                task_type: self.task_type,
                requirements: self.requirements,
                payload: self.payload,
                constraints: self.constraints.unwrap_or_default(),
            }));
        }
        if self.constraints.is_some() {
            return Err(ApiError::invalid(
                "constraints: they bound a multi-agent run; a `single` task takes none",
            ));
        }
        if self.requirements.len() > 1 {
            return Err(ApiError::invalid(format!(
                "requirements: a task runs on one agent and needs one capability; found {} ({}); \
                 submit one task per capability",
                self.requirements.len(),
                self.requirements.join(", ")
            )));
        }
        Ok(Submission::Task(NewTask {
            capability: self.requirements.into_iter().next(),
            task_type: self.task_type,
            payload: self.payload,
            priority: self.priority.map(PriorityWord::number),
            name: self.name,
            description: self.description,
            ..NewTask::default()
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

    use serde_json::json;

    use super::*;

    fn refusal(body: serde_json::Value) -> String {
        submission(body).unwrap_err().message
    }

    fn new_task(body: serde_json::Value) -> Result<NewTask, ApiError> {
        match submission(body)? {
            Submission::Task(task) => Ok(task),
            Submission::Run(run) => panic!("a run, not a task: {run:?}"),
        }
    }

    #[test]
    fn seed_001_bodies_become_tasks() {
        let task = new_task(json!({
            "name": "Code Review Task",
            "description": "Review the authentication module",
            "type": "code_review",
            "priority": "high",
            "requirements": ["code_analysis"],
            "coordination_pattern": "single",
            "payload": {"code": "fn main() {}"}
        }))
        .unwrap();
        assert_eq!(task.task_type, "code_review");
        assert_eq!(task.capability.as_deref(), Some("code_analysis"));
        assert_eq!(task.priority, Some(8));
        assert_eq!(task.name.as_deref(), Some("Code Review Task"));
        assert_eq!(task.payload, json!({"code": "fn main() {}"}));
        let bare = new_task(json!({"type": "echo"})).unwrap();
        assert_eq!((bare.capability, bare.priority), (None, None));
    }

    #[test]
    fn the_engine_shape_is_read_as_it_is() {
        let task = new_task(json!({"taskType": "echo", "capability": "x", "priority": 3})).unwrap();
        assert_eq!((task.task_type.as_str(), task.priority), ("echo", Some(3)));
    }

    #[test]
    fn refusals_name_the_field() {
        for (body, field) in [
            (json!({"type": "echo", "priority": "extreme"}), "priority"),
            (json!({"type": "echo", "requirements": ["a", "b"]}), "requirements"),
            (
                json!({"type": "echo", "coordination_pattern": "parallel"}),
                "coordination_pattern",
            ),
            (json!({"type": "echo", "constraints": {}}), "constraints"),
            (
                json!({"type": "echo", "coordination_pattern": "pipeline", "constraints": {"max_agents": "six"}}),
                "max_agents",
            ),
            (json!({"taskType": "echo", "priority": "high"}), "priority"),
            (json!({"taskType": "echo", "bogus": 1}), "bogus"),
            (json!({"capability": "x"}), "taskType"),
        ] {
            let message = refusal(body.clone());
            assert!(message.contains(field), "{body}: {message}");
        }
    }

    #[test]
    fn multi_agent_patterns_are_runs_with_their_constraints() {
        let Submission::Run(run) = submission(json!({
            "name": "Full Stack Application Deployment",
            "type": "deployment",
            "priority": "high",
            "requirements": ["infrastructure_management", "deployment_automation"],
            "coordination_pattern": "pipeline",
            "payload": {"application": "web-app"},
            "constraints": {"max_agents": 6, "estimated_duration": 3600, "required_approvals": ["a", "b"]}
        }))
        .unwrap() else {
            panic!("a run")
        };
        assert_eq!(run.pattern, "pipeline");
        assert_eq!(run.requirements.len(), 2);
        assert_eq!(run.constraints.required_approvals, ["a", "b"]);
        assert_eq!(run.constraints.max_agents, Some(6));
    }
}
