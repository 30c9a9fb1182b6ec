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
//! needs. A task runs on one agent, so this endpoint takes at most one
//! requirement and only the `single` coordination pattern (or none); the
//! seed's other patterns (collaborative, pipeline, parallel, hierarchical)
//! are workflows and are refused with a 400 that says so, rather than run
//! as something they are not.

use schemars::JsonSchema;
use serde::Deserialize;
use sutazai_engine::orchestrator::model::NewTask;

use crate::error::ApiError;
use crate::extract::decode;

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
    /// `single` or absent; the other patterns are workflows.
    #[serde(default)]
    pub coordination_pattern: Option<String>,
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

/// A submitted body, in either shape, as the engine's task.
pub fn new_task(body: serde_json::Value) -> Result<NewTask, ApiError> {
    let seed_shaped = body.get("taskType").is_none() && body.get("type").is_some();
    if !seed_shaped {
        return decode(body);
    }
    decode::<SeedTask>(body)?.into_new_task()
}

impl SeedTask {
    fn into_new_task(self) -> Result<NewTask, ApiError> {
        if let Some(pattern) = self.coordination_pattern.as_deref().filter(|p| *p != "single") {
            return Err(ApiError::invalid(format!(
                "coordination_pattern: `{pattern}` takes several agents, which is a workflow; \
                 this endpoint runs one task on one agent (send `single` or leave it out)"
            )));
        }
        if self.requirements.len() > 1 {
            return Err(ApiError::invalid(format!(
                "requirements: a task runs on one agent and needs one capability; found {} ({}); \
                 submit one task per capability",
                self.requirements.len(),
                self.requirements.join(", ")
            )));
        }
        Ok(NewTask {
            capability: self.requirements.into_iter().next(),
            task_type: self.task_type,
            payload: self.payload,
            priority: self.priority.map(PriorityWord::number),
            name: self.name,
            description: self.description,
            ..NewTask::default()
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

    use serde_json::json;

    use super::*;

    fn refusal(body: serde_json::Value) -> String {
        new_task(body).unwrap_err().message
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
                json!({"type": "echo", "coordination_pattern": "collaborative"}),
                "coordination_pattern",
            ),
            (json!({"type": "echo", "constraints": {}}), "constraints"),
            (json!({"taskType": "echo", "priority": "high"}), "priority"),
            (json!({"taskType": "echo", "bogus": 1}), "bogus"),
            (json!({"capability": "x"}), "taskType"),
        ] {
            let message = refusal(body.clone());
            assert!(message.contains(field), "{body}: {message}");
        }
    }
}
