//! The rules a new task must pass before it is stored, and the rules of
//! delegation (which sub-tasks an agent may submit). Pure: the intake looks
//! up what they need (the catalog, the parent task) and applies the answer.

use std::time::Duration;

use super::model::{NewTask, Task, TaskStatus};
use super::queue::Target;
use super::roster::Roster;
use super::{OrchestratorError, MAX_PAYLOAD_BYTES, MAX_TIMEOUT};
use crate::catalog::Catalog;

/// What a task gets when it asks for nothing.
#[derive(Debug, Clone, Copy)]
pub struct Defaults {
    pub timeout: Duration,
    pub max_attempts: u32,
}

/// A new task's settings after the rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Admitted {
    pub priority: u8,
    pub timeout: Duration,
    pub max_attempts: u32,
    /// Who may take it: an agent, a capability and its task type.
    pub target: Target,
}

/// The longest first retry delay a task may ask for.
pub const MAX_BACKOFF_MS: u64 = 3_600_000;

fn invalid(message: impl Into<String>) -> OrchestratorError {
    OrchestratorError::Invalid(message.into())
}

/// Checks a new task against the rules and the catalog. An error names the
/// field and what was expected.
pub fn admit(new: &NewTask, catalog: &Catalog, defaults: Defaults) -> Result<Admitted, OrchestratorError> {
    let task_type = new.task_type.trim().to_string();
    if task_type.is_empty() {
        return Err(invalid("taskType: expected a task type name such as `echo`"));
    }
    let priority = new.priority.unwrap_or(5);
    if !(1..=10).contains(&priority) {
        return Err(invalid(format!(
            "priority: expected 1 (lowest) to 10 (highest), found {priority}"
        )));
    }
    let timeout = match new.timeout_ms {
        Some(0) => return Err(invalid("timeoutMs: expected at least 1 ms")),
        Some(ms) if Duration::from_millis(ms) > MAX_TIMEOUT => {
            return Err(invalid(format!(
                "timeoutMs: expected at most {} ms (a day), found {ms}",
                MAX_TIMEOUT.as_millis()
            )))
        }
        Some(ms) => Duration::from_millis(ms),
        None => defaults.timeout,
    };
    let max_attempts = new.max_attempts.unwrap_or(defaults.max_attempts);
    if !(1..=100).contains(&max_attempts) {
        return Err(invalid(format!("maxAttempts: expected 1 to 100, found {max_attempts}")));
    }
    if let Some(ms) = new.retry_backoff_ms {
        if ms > MAX_BACKOFF_MS {
            return Err(invalid(format!(
                "retryBackoffMs: expected at most {MAX_BACKOFF_MS} ms (an hour), found {ms}"
            )));
        }
    }
    let payload_len = serde_json::to_string(&new.payload).map(|s| s.len()).unwrap_or(0);
    if payload_len > MAX_PAYLOAD_BYTES {
        return Err(invalid(format!(
            "payload: {payload_len} bytes; at most {MAX_PAYLOAD_BYTES} are accepted"
        )));
    }
    if let Some(key) = &new.idempotency_key {
        if key.is_empty() || key.len() > 200 {
            return Err(invalid("idempotencyKey: expected 1 to 200 characters"));
        }
    }
    let trimmed = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(String::from)
    };
    let capability = trimmed(&new.capability);
    let agent_id = trimmed(&new.agent_id);
    if let Some(id) = &agent_id {
        let Some(entry) = catalog.get(id) else {
            return Err(OrchestratorError::NoAgent(format!(
                "agentId: no agent {id} in the catalog"
            )));
        };
        if let Some(cap) = &capability {
            if !entry.manifest.capabilities.contains(cap) {
                return Err(OrchestratorError::NoAgent(format!(
                    "agentId: {id} has no capability `{cap}`"
                )));
            }
        }
        if !entry.manifest.knows_task_type(&task_type) {
            return Err(OrchestratorError::NoAgent(format!(
                "taskType: {id} has no task type `{task_type}`; it knows {}",
                entry.manifest.task_type_names().join(", ")
            )));
        }
    }
    let target = Target {
        agent_id,
        capability,
        task_type,
    };
    if !Roster::anyone_could(catalog, &target) {
        let what = match &target.capability {
            Some(cap) => format!("capability `{cap}` and task type `{}`", target.task_type),
            None => format!("task type `{}`", target.task_type),
        };
        return Err(OrchestratorError::NoAgent(format!(
            "no agent in the catalog has {what}"
        )));
    }
    Ok(Admitted {
        priority,
        timeout,
        max_attempts,
        target,
    })
}

/// The delegation chain of a sub-task of `parent`, submitted by the agent
/// `agent_id` from its container `container`: only the agent running the
/// parent may delegate from it, the chain may not grow past `max_depth`
/// agents, and it may not loop back to an agent already in it.
pub fn delegation_chain(
    parent: &Task,
    agent_id: &str,
    container: &str,
    target: &Target,
    catalog: &Catalog,
    max_depth: usize,
) -> Result<Vec<String>, OrchestratorError> {
    let parent_id = &parent.id;
    if !matches!(parent.status, TaskStatus::Dispatched | TaskStatus::Running) {
        return Err(OrchestratorError::Conflict(format!(
            "parentTaskId: task {parent_id} is {}, not running; only a running task can delegate",
            parent.status.as_str()
        )));
    }
    let holder = parent.assigned_agent.clone().unwrap_or_default();
    let holder_container = parent.assigned_container.as_deref().unwrap_or_default();
    if agent_id != holder || container != holder_container {
        return Err(OrchestratorError::Forbidden(format!(
            "task {parent_id} runs on {holder} ({holder_container}), not on {agent_id} ({container})"
        )));
    }
    let mut chain = parent.delegation_chain.clone();
    chain.push(holder);
    if chain.len() > max_depth {
        return Err(OrchestratorError::Conflict(format!(
            "delegation chain {} is deeper than {max_depth} agents",
            chain.join(" → "),
        )));
    }
    if let Some(id) = &target.agent_id {
        if chain.contains(id) {
            return Err(OrchestratorError::Conflict(format!(
                "delegation loop: {id} is already in the chain {}",
                chain.join(" → ")
            )));
        }
    }
    let outside_chain = catalog.all().any(|entry| {
        let m = &entry.manifest;
        !chain.contains(&m.id)
            && m.knows_task_type(&target.task_type)
            && target.capability.as_ref().is_none_or(|c| m.capabilities.contains(c))
            && target.agent_id.as_ref().is_none_or(|id| *id == m.id)
    });
    if !outside_chain {
        return Err(OrchestratorError::Conflict(format!(
            "delegation loop: every agent that could take it is already in the chain {}",
            chain.join(" → ")
        )));
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::OnceLock;

    use super::*;
    use crate::error::{Code, ErrorBody};

    /// The shipped catalog (69 agents), loaded once.
    fn catalog() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| Catalog::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../agents/catalog")))
    }

    const DEFAULTS: Defaults = Defaults {
        timeout: Duration::from_secs(120),
        max_attempts: 4,
    };

    fn new(change: impl FnOnce(&mut NewTask)) -> NewTask {
        let mut task: NewTask = serde_json::from_value(serde_json::json!({"taskType": "echo"})).unwrap();
        change(&mut task);
        task
    }

    fn refusal(result: Result<impl std::fmt::Debug, OrchestratorError>) -> (Code, String) {
        let err = result.expect_err("refused");
        let body = ErrorBody::from(&err);
        (body.code, body.message)
    }

    #[test]
    fn a_plain_task_gets_the_defaults() {
        let admitted = admit(&new(|_| {}), catalog(), DEFAULTS).unwrap();
        assert_eq!(admitted.priority, 5);
        assert_eq!(admitted.timeout, DEFAULTS.timeout);
        assert_eq!(admitted.max_attempts, 4);
        assert_eq!(admitted.target.task_type, "echo");
        assert_eq!((admitted.target.agent_id, admitted.target.capability), (None, None));
    }

    /// One row per rule: what is wrong → the code and the start of the
    /// message, which names the field.
    #[test]
    fn each_rule_names_the_field() {
        #[allow(clippy::type_complexity)]
        let table: Vec<(fn(&mut NewTask), Code, &str)> = vec![
            (
                |t| t.task_type = "  ".into(),
                Code::InvalidRequest,
                "taskType: expected",
            ),
            (
                |t| t.priority = Some(0),
                Code::InvalidRequest,
                "priority: expected 1 (lowest) to 10",
            ),
            (
                |t| t.priority = Some(11),
                Code::InvalidRequest,
                "priority: expected 1 (lowest) to 10",
            ),
            (
                |t| t.retry_backoff_ms = Some(3_600_001),
                Code::InvalidRequest,
                "retryBackoffMs: expected at most 3600000 ms (an hour)",
            ),
            (
                |t| t.timeout_ms = Some(0),
                Code::InvalidRequest,
                "timeoutMs: expected at least 1 ms",
            ),
            (
                |t| t.timeout_ms = Some(86_400_001),
                Code::InvalidRequest,
                "timeoutMs: expected at most 86400000 ms",
            ),
            (
                |t| t.max_attempts = Some(0),
                Code::InvalidRequest,
                "maxAttempts: expected 1 to 100, found 0",
            ),
            (
                |t| t.max_attempts = Some(101),
                Code::InvalidRequest,
                "maxAttempts: expected 1 to 100, found 101",
            ),
            (
                |t| t.payload = serde_json::Value::String("x".repeat(MAX_PAYLOAD_BYTES)),
                Code::InvalidRequest,
                "payload: 1048578 bytes",
            ),
            (
                |t| t.idempotency_key = Some(String::new()),
                Code::InvalidRequest,
                "idempotencyKey: expected 1 to 200",
            ),
            (
                |t| t.idempotency_key = Some("k".repeat(201)),
                Code::InvalidRequest,
                "idempotencyKey: expected 1 to 200",
            ),
            (
                |t| t.agent_id = Some("AG-999".into()),
                Code::UnknownAgent,
                "agentId: no agent AG-999 in the catalog",
            ),
            (
                |t| {
                    t.agent_id = Some("AG-001".into());
                    t.capability = Some("cooking".into());
                },
                Code::UnknownAgent,
                "agentId: AG-001 has no capability `cooking`",
            ),
            (
                |t| {
                    t.agent_id = Some("AG-001".into());
                    t.task_type = "juggle".into();
                },
                Code::UnknownAgent,
                "taskType: AG-001 has no task type `juggle`; it knows",
            ),
            (
                |t| t.task_type = "juggle".into(),
                Code::UnknownAgent,
                "no agent in the catalog has task type `juggle`",
            ),
            (
                |t| t.capability = Some("cooking".into()),
                Code::UnknownAgent,
                "no agent in the catalog has capability `cooking` and task type `echo`",
            ),
        ];
        for (change, code, message) in table {
            let (found, said) = refusal(admit(&new(change), catalog(), DEFAULTS));
            assert_eq!(found, code, "{said}");
            assert!(said.starts_with(message), "{said:?} should start with {message:?}");
        }
    }

    #[test]
    fn blanks_are_trimmed_and_limits_are_inclusive() {
        let admitted = admit(
            &new(|t| {
                t.agent_id = Some("  ".into());
                t.capability = Some(" ".into());
                t.task_type = " echo ".into();
                t.priority = Some(10);
                t.timeout_ms = Some(86_400_000);
                t.max_attempts = Some(100);
            }),
            catalog(),
            DEFAULTS,
        )
        .unwrap();
        assert_eq!((admitted.priority, admitted.max_attempts), (10, 100));
        assert_eq!(admitted.timeout, MAX_TIMEOUT);
        assert_eq!(admitted.target.task_type, "echo");
        assert_eq!((admitted.target.agent_id, admitted.target.capability), (None, None));
    }

    fn parent(status: TaskStatus, chain: &[&str]) -> Task {
        let mut task: Task = serde_json::from_value(serde_json::json!({
            "id": "t-parent", "status": status.as_str(), "priority": 5, "taskType": "echo", "payload": null,
            "idempotencyKey": "t-parent", "createdMs": 0, "updatedMs": 0, "deadlineMs": 1, "attempts": 1,
            "maxAttempts": 4, "route": null, "attemptLog": [], "submittedBy": "desktop",
            "delegationChain": [],
        }))
        .unwrap();
        task.assigned_agent = Some("AG-001".into());
        task.assigned_container = Some("sutazai-ag-001".into());
        task.delegation_chain = chain.iter().map(|a| a.to_string()).collect();
        task
    }

    fn target(agent_id: Option<&str>) -> Target {
        Target {
            agent_id: agent_id.map(String::from),
            capability: None,
            task_type: "echo".into(),
        }
    }

    #[test]
    fn the_agent_running_the_parent_may_delegate_and_the_chain_grows() {
        let chain = delegation_chain(
            &parent(TaskStatus::Running, &["AG-002"]),
            "AG-001",
            "sutazai-ag-001",
            &target(None),
            catalog(),
            5,
        )
        .unwrap();
        assert_eq!(chain, vec!["AG-002", "AG-001"]);
    }

    #[test]
    fn each_delegation_rule_says_why() {
        let running = parent(TaskStatus::Running, &[]);
        #[allow(clippy::type_complexity)]
        let table: Vec<(Task, &str, &str, Target, usize, Code, &str)> = vec![
            (
                parent(TaskStatus::Succeeded, &[]),
                "AG-001",
                "sutazai-ag-001",
                target(None),
                5,
                Code::Conflict,
                "parentTaskId: task t-parent is succeeded, not running",
            ),
            (
                running.clone(),
                "AG-002",
                "sutazai-ag-002",
                target(None),
                5,
                Code::Forbidden,
                "task t-parent runs on AG-001 (sutazai-ag-001), not on AG-002",
            ),
            (
                running.clone(),
                "AG-001",
                "sutazai-ag-001-2",
                target(None),
                5,
                Code::Forbidden,
                "task t-parent runs on AG-001 (sutazai-ag-001), not on AG-001 (sutazai-ag-001-2)",
            ),
            (
                parent(TaskStatus::Running, &["AG-002", "AG-003"]),
                "AG-001",
                "sutazai-ag-001",
                target(None),
                2,
                Code::Conflict,
                "delegation chain AG-002 → AG-003 → AG-001 is deeper than 2 agents",
            ),
            (
                running.clone(),
                "AG-001",
                "sutazai-ag-001",
                target(Some("AG-001")),
                5,
                Code::Conflict,
                "delegation loop: AG-001 is already in the chain AG-001",
            ),
        ];
        for (parent, agent, container, target, depth, code, message) in table {
            let (found, said) = refusal(delegation_chain(&parent, agent, container, &target, catalog(), depth));
            assert_eq!(found, code, "{said}");
            assert!(said.starts_with(message), "{said:?} should start with {message:?}");
        }
    }
}
