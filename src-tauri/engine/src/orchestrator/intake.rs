//! What comes in: new tasks (checked, stored, queued), sub-tasks an agent
//! delegates (the chain rules), cancel and re-queue, and the tasks the last
//! run left unfinished.

use std::sync::Arc;
use std::time::Duration;

use tracing::{debug, info};

use super::admission;
use super::dispatcher::Seq;
use super::model::{AttemptOutcome, NewTask, Task, TaskFailure, TaskStatus};
use super::queue::Target;
use super::{lock, new_task_id, Orchestrator, OrchestratorError};
use crate::catalog::Catalog;
use crate::fleet::model::Endpoint;
use crate::security::Principal;
use crate::store::StoreError;

impl Orchestrator {
    /// Queues again the tasks the last run left unfinished; an attempt that
    /// was under way is marked interrupted. Call once, before `run`.
    pub async fn recover(&self) -> Result<usize, StoreError> {
        let now = self.clock.now_ms();
        let unfinished = self.journal.unfinished().await?;
        let count = unfinished.len();
        for stored in unfinished {
            let mut task = stored.task;
            if task.status != TaskStatus::Queued {
                if let Some(last) = task.attempt_log.last_mut().filter(|a| a.outcome.is_none()) {
                    last.outcome = Some(AttemptOutcome::Interrupted);
                    last.finished_ms = Some(now);
                }
                task.status = TaskStatus::Queued;
                task.updated_ms = now;
                self.journal.save(&task, stored.not_before_ms, true).await?;
            }
            lock(&self.state).enqueue(task, stored.seq, stored.not_before_ms, now, Vec::new());
        }
        if count > 0 {
            info!(count, "re-queued the tasks the last run left unfinished");
        }
        self.wake.notify_one();
        Ok(count)
    }

    /// Checks and stores a new task, then queues it. Returns the task as
    /// committed (or, for a known idempotency key, the task that has it).
    /// The submission (or its refusal) is recorded in the audit log.
    pub async fn submit(self: &Arc<Self>, new: NewTask, by: &Principal) -> Result<Task, OrchestratorError> {
        self.admit_audited(new, by, None).await
    }

    /// Submits a task and waits up to `timeout` for it to end; the task as
    /// it is then. The waiter is in place before the task is sent: an agent
    /// may answer before a separate [`Orchestrator::wait`] would have
    /// registered, and that wait then read the task back from the table.
    pub async fn submit_and_wait(
        self: &Arc<Self>,
        new: NewTask,
        by: &Principal,
        timeout: Duration,
    ) -> Result<Task, OrchestratorError> {
        let (task, rx) = self.submit_watched(new, by).await?;
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(ended)) => Ok(ended),
            // No waiter was placed (a known idempotency key): wait as usual.
            Ok(Err(_)) => self.wait(&task.id, timeout).await,
            Err(_) => self.get(&task.id).await,
        }
    }

    /// Submits a task and answers with it and the receiver of its end. The
    /// waiter is in place before the task is sent, so an answer that comes
    /// at once is not missed. For a known idempotency key no waiter is
    /// placed: the receiver reports closed, and the caller waits with
    /// [`Orchestrator::wait`].
    pub async fn submit_watched(
        self: &Arc<Self>,
        new: NewTask,
        by: &Principal,
    ) -> Result<(Task, tokio::sync::oneshot::Receiver<Task>), OrchestratorError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = self.admit_audited(new, by, Some(tx)).await?;
        Ok((task, rx))
    }

    async fn admit_audited(
        self: &Arc<Self>,
        new: NewTask,
        by: &Principal,
        waiter: Option<tokio::sync::oneshot::Sender<Task>>,
    ) -> Result<Task, OrchestratorError> {
        let result = self.admit(new, by, waiter).await;
        let (target, outcome) = match &result {
            Ok(task) => (task.id.as_str(), "ok".to_string()),
            Err(err) => ("", format!("refused: {err}")),
        };
        self.audit(by, "task.submit", target, outcome);
        result
    }

    async fn admit(
        self: &Arc<Self>,
        new: NewTask,
        by: &Principal,
        waiter: Option<tokio::sync::oneshot::Sender<Task>>,
    ) -> Result<Task, OrchestratorError> {
        let catalog = (self.catalog)();
        let now = self.clock.now_ms();
        let defaults = admission::Defaults {
            timeout: self.config.default_timeout,
            max_attempts: self.config.retry.max_attempts,
        };
        let admitted = admission::admit(&new, &catalog, defaults)?;
        let (parent_id, chain) = self
            .delegation(new.parent_task_id.as_deref(), by, &admitted.target, &catalog)
            .await?;
        let Target {
            agent_id,
            capability,
            task_type,
        } = admitted.target;
        let id = new_task_id(now);
        let task = Task {
            id: id.clone(),
            status: TaskStatus::Queued,
            priority: admitted.priority,
            capability,
            agent_id,
            task_type,
            payload: new.payload,
            name: new.name,
            description: new.description,
            idempotency_key: new.idempotency_key.unwrap_or_else(|| id.clone()),
            created_ms: now,
            updated_ms: now,
            deadline_ms: now + admitted.timeout.as_millis() as i64,
            finished_ms: None,
            attempts: 0,
            max_attempts: admitted.max_attempts,
            retry_backoff_ms: new.retry_backoff_ms,
            assigned_agent: None,
            assigned_container: None,
            route: None,
            attempt_log: Vec::new(),
            result: None,
            error: None,
            submitted_by: by.label(),
            parent_id,
            delegation_chain: chain,
        };
        // The fast way: an agent is free and nothing waits before this task,
        // so it is stored already running and sent at once.
        let mut task = task;
        let routed = self.route_now(&task).map(|(endpoint, decision)| {
            self.assign(&mut task, &endpoint, decision);
            endpoint
        });
        let stored = self.journal.insert(&task);
        if let Some(waiter) = waiter {
            lock(&self.state)
                .waiters
                .entry(task.id.clone())
                .or_default()
                .push(waiter);
        }
        match routed {
            // No key was given, so no earlier task can have it: the call goes
            // out while the insert, queued first, is committed (see
            // [`Seq::Committing`]). The answer still waits for the commit.
            Some(endpoint) if task.idempotency_key == task.id => {
                let (told, heard) = tokio::sync::oneshot::channel();
                let this = Arc::clone(self);
                let sent = task.clone();
                self.emit(&task);
                self.life.spawn(async move {
                    let seq = Seq::Committing(Box::pin(stored), told);
                    this.call(sent, seq, endpoint).await
                });
                match heard.await {
                    Ok(Ok(_)) => Ok(task),
                    // The call has let go of the agent and of the waiter.
                    Ok(Err(err)) => Err(err.into()),
                    Err(_) => {
                        lock(&self.state).waiters.remove(&task.id);
                        Err(StoreError::Closed.into())
                    }
                }
            }
            routed => {
                let forget = |routed: &Option<Endpoint>| {
                    lock(&self.state).waiters.remove(&task.id);
                    if let Some(endpoint) = routed {
                        self.unroute(&task, endpoint);
                    }
                };
                let seq = match stored.await {
                    Ok(Ok(seq)) => seq,
                    Ok(Err(existing)) => {
                        forget(&routed);
                        debug!(task = %existing.task.id, key = %existing.task.idempotency_key, "known idempotency key");
                        return Ok(existing.task);
                    }
                    Err(err) => {
                        forget(&routed);
                        return Err(err.into());
                    }
                };
                self.emit(&task);
                match routed {
                    Some(endpoint) => {
                        let this = Arc::clone(self);
                        let sent = task.clone();
                        self.life
                            .spawn(async move { this.call(sent, Seq::Known(seq), endpoint).await });
                    }
                    None => {
                        lock(&self.state).enqueue(task.clone(), seq, 0, now, Vec::new());
                        self.wake.notify_one();
                    }
                }
                Ok(task)
            }
        }
    }

    /// The parent and delegation chain of a sub-task, after the checks
    /// ([`admission::delegation_chain`]); only an agent delegates.
    async fn delegation(
        &self,
        parent_id: Option<&str>,
        by: &Principal,
        target: &Target,
        catalog: &Catalog,
    ) -> Result<(Option<String>, Vec<String>), OrchestratorError> {
        let Some(parent_id) = parent_id else {
            if matches!(by, Principal::Agent { .. }) {
                return Err(OrchestratorError::Forbidden(
                    "an agent may only submit sub-tasks of a task it runs (parentTaskId)".into(),
                ));
            }
            return Ok((None, Vec::new()));
        };
        // Only an agent delegates, and only from the task its own container
        // runs: a sub-task borrows the parent's place in the chain.
        let Principal::Agent {
            agent_id, container, ..
        } = by
        else {
            return Err(OrchestratorError::Forbidden(format!(
                "parentTaskId: only the agent running task {parent_id} may submit its sub-tasks, not {}",
                by.label()
            )));
        };
        let parent = self
            .journal
            .get(parent_id)
            .await?
            .ok_or_else(|| OrchestratorError::Invalid(format!("parentTaskId: no task {parent_id}")))?;
        let chain = admission::delegation_chain(
            &parent,
            agent_id,
            container,
            target,
            catalog,
            self.config.max_delegation_depth,
        )?;
        Ok((Some(parent_id.to_string()), chain))
    }

    /// Cancels a task: a queued one at once; one at an agent is abandoned
    /// (the hub stops waiting; the agent may still finish it).
    pub async fn cancel(&self, id: &str) -> Result<Task, OrchestratorError> {
        let (queued, running) = {
            let mut state = lock(&self.state);
            let queued = if state.queue.remove(id) {
                state.waiting.remove(id).map(|w| w.task)
            } else {
                None
            };
            (queued, state.running.get(id).cloned())
        };
        if let Some(mut task) = queued {
            let now = self.clock.now_ms();
            task.status = TaskStatus::Cancelled;
            task.updated_ms = now;
            task.finished_ms = Some(now);
            task.error = Some(TaskFailure {
                code: "cancelled".into(),
                message: "cancelled while queued".into(),
            });
            self.journal.save(&task, 0, true).await?;
            self.finished(task.clone());
            return Ok(task);
        }
        if let Some(switch) = running {
            switch.cancel();
            return self.wait(id, Duration::from_secs(5)).await;
        }
        let task = self.get(id).await?;
        Err(OrchestratorError::Conflict(format!(
            "task {id} is {}; only queued or running tasks can be cancelled",
            task.status.as_str()
        )))
    }

    /// Queues a dead, failed or cancelled task again, with a fresh attempt
    /// budget and deadline.
    pub async fn requeue(&self, id: &str) -> Result<Task, OrchestratorError> {
        let mut task = self.get(id).await?;
        if !matches!(
            task.status,
            TaskStatus::Dead | TaskStatus::Failed | TaskStatus::Cancelled
        ) {
            return Err(OrchestratorError::Conflict(format!(
                "task {id} is {}; only dead, failed or cancelled tasks can be queued again",
                task.status.as_str()
            )));
        }
        let now = self.clock.now_ms();
        let timeout = (task.deadline_ms - task.created_ms).max(1);
        task.status = TaskStatus::Queued;
        task.updated_ms = now;
        task.deadline_ms = now + timeout;
        task.finished_ms = None;
        task.error = None;
        task.result = None;
        task.max_attempts = task.attempts + self.config.retry.max_attempts;
        self.journal.save(&task, 0, true).await?;
        // Behind the tasks of its priority queued so far.
        let seq = i64::MAX / 2 + now;
        lock(&self.state).enqueue(task.clone(), seq, 0, now, Vec::new());
        self.wake.notify_one();
        self.emit(&task);
        Ok(task)
    }
}
