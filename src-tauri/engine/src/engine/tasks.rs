//! The orchestrator's side of the engine: submit (through the threat
//! gate), list, wait, cancel and re-queue tasks, the control actions
//! audited.

use std::time::Duration;

use tracing::instrument;

use super::{outcome_of, Engine};
use crate::config::Config;
use crate::orchestrator::model::{NewTask, Task, TaskEvent, TaskPage, TaskQuery};
use crate::orchestrator::{Orchestrator, OrchestratorConfig, OrchestratorError};
use crate::security::Principal;

impl Engine {
    /// Submits a task for `by`; committed before this returns. Its payload
    /// passes the threat gate first (engine/threats.rs): refused
    /// ([`OrchestratorError::ThreatBlocked`]) or held for a person's
    /// approval ([`OrchestratorError::InputHeld`]), nothing is queued.
    #[instrument(skip_all, err, fields(by = %by.label()))]
    pub async fn submit_task(&self, task: NewTask, by: &Principal) -> Result<Task, OrchestratorError> {
        self.screen_task(&task, by).await?;
        self.orchestrator.submit(task, by).await
    }

    /// Submits a task for `by` and waits (at most `timeout`) until it has
    /// ended; the task as it is then. The threat gate as for
    /// [`Engine::submit_task`].
    #[instrument(skip_all, err, fields(by = %by.label()))]
    pub async fn submit_and_wait(
        &self,
        task: NewTask,
        by: &Principal,
        timeout: Duration,
    ) -> Result<Task, OrchestratorError> {
        self.screen_task(&task, by).await?;
        self.orchestrator.submit_and_wait(task, by, timeout).await
    }

    pub async fn task(&self, id: &str) -> Result<Task, OrchestratorError> {
        self.orchestrator.get(id).await
    }

    pub async fn tasks(&self, query: TaskQuery) -> Result<TaskPage, OrchestratorError> {
        self.orchestrator.list(query).await
    }

    /// Waits (at most `timeout`) until a task has ended.
    pub async fn wait_task(&self, id: &str, timeout: Duration) -> Result<Task, OrchestratorError> {
        self.orchestrator.wait(id, timeout).await
    }

    #[instrument(skip_all, err, fields(by = %by.label(), task = id))]
    pub async fn cancel_task(&self, id: &str, by: &Principal) -> Result<Task, OrchestratorError> {
        let result = self.orchestrator.cancel(id).await;
        self.orchestrator.audit(by, "task.cancel", id, outcome_of(&result));
        result
    }

    #[instrument(skip_all, err, fields(by = %by.label(), task = id))]
    pub async fn requeue_task(&self, id: &str, by: &Principal) -> Result<Task, OrchestratorError> {
        let result = self.orchestrator.requeue(id).await;
        self.orchestrator.audit(by, "task.requeue", id, outcome_of(&result));
        result
    }

    /// Every change of every task.
    pub fn subscribe_tasks(&self) -> tokio::sync::broadcast::Receiver<TaskEvent> {
        self.orchestrator.subscribe()
    }

    /// The orchestrator itself (breakers, load), for the API's health.
    pub fn orchestrator(&self) -> &Orchestrator {
        &self.orchestrator
    }
}

/// What the orchestrator takes from the app's configuration.
pub fn orchestrator_config(config: &Config) -> OrchestratorConfig {
    OrchestratorConfig {
        breaker: crate::orchestrator::breaker::BreakerSettings {
            failures_to_open: config.breaker_failures,
            recovery: config.breaker_recovery,
        },
        retry: crate::orchestrator::retry::RetryPolicy {
            max_attempts: config.task_attempts,
            ..Default::default()
        },
        default_timeout: config.task_timeout,
        weights: crate::orchestrator::router::Weights::default(),
        max_delegation_depth: 5,
    }
}
