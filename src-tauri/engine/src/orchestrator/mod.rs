//! The orchestrator: durable tasks routed to the best healthy agent.
//!
//! A submitted task is committed to the tasks table before it is
//! acknowledged, then waits in the in-memory [`queue`]. The dispatcher
//! serves the queue's lanes in turn: for each lane's next task the
//! [`router`] scores the containers that could take it (from the fleet's
//! endpoints and the [`roster`]'s live figures and breakers) and the task
//! goes to the best one over HTTP ([`dispatch`]). Failures are retried with
//! backoff and full jitter ([`retry`]), on another agent when the agent was
//! at fault; each container has a circuit breaker ([`breaker`]). At start,
//! tasks that were in flight when the app stopped are queued again
//! (at-least-once; the idempotency key goes to the agent each time).

pub mod breaker;
mod dispatch;
mod journal;
pub mod model;
mod queue;
pub mod retry;
mod roster;
pub mod router;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sutazai_protocol::wire::TaskRequest;
use sutazai_protocol::PROTOCOL_VERSION;
use tokio::sync::{broadcast, oneshot, watch, Notify};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::error::{Code, ErrorBody};
use crate::fleet::model::Endpoint;
use crate::security::tokens::HubSecret;
use crate::security::Principal;
use crate::store::{Store, StoreError};
use breaker::BreakerSettings;
use dispatch::Verdict;
use journal::Journal;
use model::{
    Attempt, AttemptOutcome, NewTask, Task, TaskEvent, TaskFailure, TaskPage, TaskQuery, TaskStatus, TaskSummary,
};
use queue::{Queue, Target, Ticket};
use retry::RetryPolicy;
use roster::{CallEnd, Roster};
use router::{RouteDecision, Weights};

/// What the orchestrator takes from the configuration.
#[derive(Debug, Clone)]
pub struct OrchestratorConfig {
    pub breaker: BreakerSettings,
    pub retry: RetryPolicy,
    /// A task's time when it asks for none.
    pub default_timeout: Duration,
    pub weights: Weights,
    /// How many agents may delegate one below the other.
    pub max_delegation_depth: usize,
}

/// The longest timeout a task may ask for.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);
/// The largest payload accepted, serialised.
pub const MAX_PAYLOAD_BYTES: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum OrchestratorError {
    #[error("{0}")]
    Invalid(String),
    #[error("no task {0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NoAgent(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<&OrchestratorError> for ErrorBody {
    fn from(err: &OrchestratorError) -> Self {
        let code = match err {
            OrchestratorError::Invalid(_) => Code::InvalidRequest,
            OrchestratorError::NotFound(_) => Code::NotFound,
            OrchestratorError::Conflict(_) => Code::Conflict,
            OrchestratorError::Forbidden(_) => Code::Forbidden,
            OrchestratorError::NoAgent(_) => Code::UnknownAgent,
            OrchestratorError::Store(_) => Code::Store,
        };
        ErrorBody {
            code,
            message: err.to_string(),
        }
    }
}

/// A queued task with what the dispatcher needs beside it.
struct Waiting {
    task: Task,
    /// Submission order, kept across retries.
    seq: i64,
    /// Containers that failed this task; tried again only when no other can.
    avoid: Vec<String>,
}

#[derive(Default)]
struct State {
    queue: Queue,
    waiting: HashMap<String, Waiting>,
    roster: Roster,
    /// Tasks at an agent now, with the switch that abandons the call.
    running: HashMap<String, CancellationToken>,
    /// Callers waiting for a task to end.
    waiters: HashMap<String, Vec<oneshot::Sender<Task>>>,
    /// When queued tasks were last checked against their deadlines.
    swept_ms: i64,
    /// Seeds the retry jitter.
    jitter: u64,
}

pub struct Orchestrator {
    config: OrchestratorConfig,
    journal: Journal,
    clock: Arc<dyn Clock>,
    catalog: Arc<dyn Fn() -> Arc<Catalog> + Send + Sync>,
    endpoints: watch::Receiver<Arc<Vec<Endpoint>>>,
    secret: HubSecret,
    http: reqwest::Client,
    state: Mutex<State>,
    wake: Notify,
    events: broadcast::Sender<TaskEvent>,
}

fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Orchestrator {
    pub fn new(
        config: OrchestratorConfig,
        store: Store,
        clock: Arc<dyn Clock>,
        catalog: Arc<dyn Fn() -> Arc<Catalog> + Send + Sync>,
        endpoints: watch::Receiver<Arc<Vec<Endpoint>>>,
        secret: HubSecret,
    ) -> Arc<Orchestrator> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            .build()
            .unwrap_or_default();
        let state = State {
            roster: Roster::new(config.breaker),
            jitter: clock.now_ms() as u64 | 1,
            ..State::default()
        };
        Arc::new(Orchestrator {
            config,
            journal: Journal::start(store),
            clock,
            catalog,
            endpoints,
            secret,
            http,
            state: Mutex::new(state),
            wake: Notify::new(),
            events: broadcast::channel(4096).0,
        })
    }

    /// Every change of every task.
    pub fn subscribe(&self) -> broadcast::Receiver<TaskEvent> {
        self.events.subscribe()
    }

    fn emit(&self, task: &Task) {
        let _ = self.events.send(TaskEvent {
            task: TaskSummary::from(task),
        });
    }

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
            let target = target_of(&task);
            let mut state = lock(&self.state);
            state.queue.push(
                target.clone(),
                Ticket {
                    id: task.id.clone(),
                    priority: task.priority,
                    seq: stored.seq,
                },
                stored.not_before_ms,
                now,
            );
            state.waiting.insert(
                task.id.clone(),
                Waiting {
                    task,
                    seq: stored.seq,
                    avoid: Vec::new(),
                },
            );
        }
        if count > 0 {
            info!(count, "re-queued the tasks the last run left unfinished");
        }
        self.wake.notify_one();
        Ok(count)
    }

    /// Checks and stores a new task, then queues it. Returns the task as
    /// committed (or, for a known idempotency key, the task that has it).
    pub async fn submit(&self, new: NewTask, by: &Principal) -> Result<Task, OrchestratorError> {
        let catalog = (self.catalog)();
        let now = self.clock.now_ms();
        let task_type = new.task_type.trim().to_string();
        if task_type.is_empty() {
            return Err(OrchestratorError::Invalid(
                "taskType: expected a task type name such as `echo`".into(),
            ));
        }
        let priority = new.priority.unwrap_or(5);
        if !(1..=10).contains(&priority) {
            return Err(OrchestratorError::Invalid(format!(
                "priority: expected 1 (lowest) to 10 (highest), found {priority}"
            )));
        }
        let timeout = match new.timeout_ms {
            Some(0) => return Err(OrchestratorError::Invalid("timeoutMs: expected at least 1 ms".into())),
            Some(ms) if Duration::from_millis(ms) > MAX_TIMEOUT => {
                return Err(OrchestratorError::Invalid(format!(
                    "timeoutMs: expected at most {} ms (a day), found {ms}",
                    MAX_TIMEOUT.as_millis()
                )))
            }
            Some(ms) => Duration::from_millis(ms),
            None => self.config.default_timeout,
        };
        let max_attempts = new.max_attempts.unwrap_or(self.config.retry.max_attempts);
        if !(1..=100).contains(&max_attempts) {
            return Err(OrchestratorError::Invalid(format!(
                "maxAttempts: expected 1 to 100, found {max_attempts}"
            )));
        }
        let payload_len = serde_json::to_string(&new.payload).map(|s| s.len()).unwrap_or(0);
        if payload_len > MAX_PAYLOAD_BYTES {
            return Err(OrchestratorError::Invalid(format!(
                "payload: {payload_len} bytes; at most {MAX_PAYLOAD_BYTES} are accepted"
            )));
        }
        if let Some(key) = &new.idempotency_key {
            if key.is_empty() || key.len() > 200 {
                return Err(OrchestratorError::Invalid(
                    "idempotencyKey: expected 1 to 200 characters".into(),
                ));
            }
        }
        let capability = new.capability.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
        let agent_id = new.agent_id.map(|a| a.trim().to_string()).filter(|a| !a.is_empty());
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
            agent_id: agent_id.clone(),
            capability: capability.clone(),
            task_type: task_type.clone(),
        };
        if !Roster::anyone_could(&catalog, &target) {
            let what = match &capability {
                Some(cap) => format!("capability `{cap}` and task type `{task_type}`"),
                None => format!("task type `{task_type}`"),
            };
            return Err(OrchestratorError::NoAgent(format!(
                "no agent in the catalog has {what}"
            )));
        }
        let (parent_id, chain) = self
            .delegation(new.parent_task_id.as_deref(), by, &target, &catalog)
            .await?;
        let id = new_task_id(now);
        let task = Task {
            id: id.clone(),
            status: TaskStatus::Queued,
            priority,
            capability,
            agent_id,
            task_type,
            payload: new.payload,
            name: new.name,
            description: new.description,
            idempotency_key: new.idempotency_key.unwrap_or_else(|| id.clone()),
            created_ms: now,
            updated_ms: now,
            deadline_ms: now + timeout.as_millis() as i64,
            finished_ms: None,
            attempts: 0,
            max_attempts,
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
        let seq = match self.journal.insert(&task).await? {
            Ok(seq) => seq,
            Err(existing) => {
                debug!(task = %existing.task.id, key = %existing.task.idempotency_key, "known idempotency key");
                return Ok(existing.task);
            }
        };
        {
            let mut state = lock(&self.state);
            state.queue.push(
                target.clone(),
                Ticket {
                    id: id.clone(),
                    priority,
                    seq,
                },
                0,
                now,
            );
            state.waiting.insert(
                id,
                Waiting {
                    task: task.clone(),
                    seq,
                    avoid: Vec::new(),
                },
            );
        }
        self.wake.notify_one();
        self.emit(&task);
        Ok(task)
    }

    /// The parent and delegation chain of a sub-task, after the checks:
    /// only the agent running the parent may delegate from it, the chain
    /// may not loop back to an agent already in it, and it may not grow
    /// past the depth limit.
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
        let parent = self
            .journal
            .get(parent_id)
            .await?
            .ok_or_else(|| OrchestratorError::Invalid(format!("parentTaskId: no task {parent_id}")))?;
        if !matches!(parent.status, TaskStatus::Dispatched | TaskStatus::Running) {
            return Err(OrchestratorError::Conflict(format!(
                "parentTaskId: task {parent_id} is {}, not running; only a running task can delegate",
                parent.status.as_str()
            )));
        }
        let holder = parent.assigned_agent.clone().unwrap_or_default();
        if let Principal::Agent { agent_id, .. } = by {
            if *agent_id != holder {
                return Err(OrchestratorError::Forbidden(format!(
                    "task {parent_id} runs on {holder}, not on {agent_id}"
                )));
            }
        }
        let mut chain = parent.delegation_chain.clone();
        chain.push(holder);
        if chain.len() > self.config.max_delegation_depth {
            return Err(OrchestratorError::Conflict(format!(
                "delegation chain {} is deeper than {} agents",
                chain.join(" → "),
                self.config.max_delegation_depth
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
        Ok((Some(parent_id.to_string()), chain))
    }

    pub async fn get(&self, id: &str) -> Result<Task, OrchestratorError> {
        self.journal
            .get(id)
            .await?
            .ok_or_else(|| OrchestratorError::NotFound(id.to_string()))
    }

    pub async fn list(&self, query: TaskQuery) -> Result<TaskPage, OrchestratorError> {
        Ok(self.journal.list(query).await?)
    }

    /// Waits until the task has ended, at most `timeout`; the task as it is then.
    pub async fn wait(&self, id: &str, timeout: Duration) -> Result<Task, OrchestratorError> {
        let (tx, rx) = oneshot::channel();
        let pending = {
            let mut state = lock(&self.state);
            state.waiters.entry(id.to_string()).or_default().push(tx);
            state.waiting.contains_key(id) || state.running.contains_key(id)
        };
        // A task held in memory has not ended (its end is announced to the
        // waiters); otherwise the table says.
        if !pending {
            let found = self.get(id).await;
            if found.as_ref().map_or(true, |task| task.status.is_final()) {
                lock(&self.state).waiters.remove(id);
                return found;
            }
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(task)) => Ok(task),
            _ => self.get(id).await,
        }
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
            self.finished(&task);
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
        let seq = self.journal_seq(&task);
        let target = target_of(&task);
        {
            let mut state = lock(&self.state);
            state.queue.push(
                target.clone(),
                Ticket {
                    id: task.id.clone(),
                    priority: task.priority,
                    seq,
                },
                0,
                now,
            );
            state.waiting.insert(
                task.id.clone(),
                Waiting {
                    task: task.clone(),
                    seq,
                    avoid: Vec::new(),
                },
            );
        }
        self.wake.notify_one();
        self.emit(&task);
        Ok(task)
    }

    /// A re-queued task goes behind the tasks of its priority queued so far.
    fn journal_seq(&self, task: &Task) -> i64 {
        i64::MAX / 2 + task.updated_ms
    }

    /// Serves the queue until `cancel`.
    pub async fn run(self: Arc<Self>, cancel: CancellationToken) {
        let mut endpoints = self.endpoints.clone();
        loop {
            let next_due = self.dispatch_ready();
            let pause = next_due
                .map(|at| Duration::from_millis((at - self.clock.now_ms()).clamp(1, 250) as u64))
                .unwrap_or(Duration::from_millis(250));
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = endpoints.changed() => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
        let running: Vec<CancellationToken> = lock(&self.state).running.values().cloned().collect();
        debug!(in_flight = running.len(), "orchestrator stopping");
    }

    /// Routes every task that can go now; the time the next retry is due.
    fn dispatch_ready(self: &Arc<Self>) -> Option<i64> {
        let now_ms = self.clock.now_ms();
        let now = Instant::now();
        let endpoints = self.endpoints.borrow().clone();
        let catalog = (self.catalog)();
        let mut expired: Vec<(Task, TaskFailure)> = Vec::new();
        let mut launches: Vec<(Task, i64, Endpoint, RouteDecision)> = Vec::new();
        let next_due = {
            let mut guard = lock(&self.state);
            let state = &mut *guard;
            let next_due = state.queue.wake(now_ms);
            if now_ms - state.swept_ms >= 250 {
                state.swept_ms = now_ms;
                let late: Vec<String> = state
                    .waiting
                    .iter()
                    .filter(|(_, w)| w.task.deadline_ms <= now_ms)
                    .map(|(id, _)| id.clone())
                    .collect();
                for id in late {
                    if state.queue.remove(&id) {
                        if let Some(w) = state.waiting.remove(&id) {
                            let message = format!(
                                "the deadline passed while the task waited for an agent ({} attempts made)",
                                w.task.attempts
                            );
                            let failure = TaskFailure {
                                code: "deadline_exceeded".into(),
                                message: w
                                    .task
                                    .error
                                    .as_ref()
                                    .map_or(message.clone(), |e| format!("{message}; last error: {}", e.message)),
                            };
                            expired.push((w.task, failure));
                        }
                    }
                }
            }
            let mut progress = true;
            while progress {
                progress = false;
                for target in state.queue.targets() {
                    let Some(ticket) = state.queue.peek(&target) else {
                        continue;
                    };
                    let Some(waiting) = state.waiting.get(&ticket.id) else {
                        state.queue.pop(&target);
                        continue;
                    };
                    let mut contenders = state.roster.contenders(&endpoints, &catalog, &target, now);
                    contenders.retain(|c| !waiting.task.delegation_chain.contains(&c.agent_id));
                    if contenders.iter().any(|c| !waiting.avoid.contains(&c.container)) {
                        contenders.retain(|c| !waiting.avoid.contains(&c.container));
                    }
                    let decision = router::route(&contenders, &self.config.weights);
                    let Some(chosen) = decision.chosen.map(|i| i as usize) else {
                        continue;
                    };
                    let container = contenders[chosen].container.clone();
                    let Some(endpoint) = endpoints.iter().find(|e| e.container == container).cloned() else {
                        continue;
                    };
                    if !state.roster.begin(&container, now) {
                        continue;
                    }
                    state.queue.pop(&target);
                    let Some(waiting) = state.waiting.remove(&ticket.id) else {
                        continue;
                    };
                    state.running.insert(ticket.id.clone(), CancellationToken::new());
                    launches.push((waiting.task, waiting.seq, endpoint, decision));
                    progress = true;
                }
            }
            next_due
        };
        for (mut task, failure) in expired {
            task.status = TaskStatus::Failed;
            task.updated_ms = now_ms;
            task.finished_ms = Some(now_ms);
            task.error = Some(failure);
            self.finish(task);
        }
        for (task, seq, endpoint, decision) in launches {
            let this = Arc::clone(self);
            tokio::spawn(async move { this.attempt(task, seq, endpoint, decision).await });
        }
        next_due
    }

    /// One attempt of a task at the chosen container, and what follows it.
    async fn attempt(self: Arc<Self>, mut task: Task, seq: i64, endpoint: Endpoint, decision: RouteDecision) {
        let started_ms = self.clock.now_ms();
        let score = decision
            .chosen
            .and_then(|i| decision.candidates.get(i as usize))
            .and_then(|c| c.score);
        task.attempts += 1;
        task.status = TaskStatus::Dispatched;
        task.updated_ms = started_ms;
        task.assigned_agent = Some(endpoint.agent_id.clone());
        task.assigned_container = Some(endpoint.container.clone());
        task.route = Some(decision);
        task.attempt_log.push(Attempt {
            number: task.attempts,
            agent_id: endpoint.agent_id.clone(),
            container: endpoint.container.clone(),
            score,
            started_ms,
            finished_ms: None,
            outcome: None,
        });
        // Committed before the call: after a crash the table must show every
        // attempt that may have reached an agent, so a second run of the task
        // is always visible as a retry.
        if let Err(err) = self.journal.save(&task, 0, true).await {
            warn!(task = %task.id, cause = %err, "cannot record the dispatch; not sending it");
            task.attempts -= 1;
            task.attempt_log.pop();
            task.status = TaskStatus::Queued;
            let now_ms = self.clock.now_ms();
            let mut state = lock(&self.state);
            state.running.remove(&task.id);
            state.roster.end(
                &endpoint.container,
                CallEnd {
                    agent_ok: None,
                    task_ok: false,
                    latency_ms: 0.0,
                },
                Instant::now(),
            );
            let target = target_of(&task);
            let ticket = Ticket {
                id: task.id.clone(),
                priority: task.priority,
                seq,
            };
            state.queue.push(target, ticket, now_ms + 500, now_ms);
            state.waiting.insert(
                task.id.clone(),
                Waiting {
                    task,
                    seq,
                    avoid: Vec::new(),
                },
            );
            return;
        }
        task.status = TaskStatus::Running;
        let _ = self.journal.save(&task, 0, false).await;
        self.emit(&task);

        let switch = lock(&self.state).running.get(&task.id).cloned().unwrap_or_default();
        let request = TaskRequest {
            protocol: PROTOCOL_VERSION,
            task_id: task.id.clone(),
            task_type: task.task_type.clone(),
            payload: task.payload.clone(),
            deadline_ms: Some(task.deadline_ms),
            idempotency_key: Some(task.idempotency_key.clone()),
            trace_id: None,
        };
        let left = Duration::from_millis((task.deadline_ms - started_ms).max(1) as u64);
        let token = self.secret.token_for(&endpoint.container);
        let began = Instant::now();
        let reply = tokio::select! {
            _ = switch.cancelled() => None,
            reply = dispatch::call(&self.http, endpoint.port, &token, &request, left) => Some(reply),
        };
        let latency_ms = began.elapsed().as_secs_f64() * 1000.0;
        let now_ms = self.clock.now_ms();
        let now = Instant::now();
        task.updated_ms = now_ms;
        let outcome;
        let mut requeue_at = None;
        match reply.map(dispatch::judge) {
            None => {
                lock(&self.state).roster.end(
                    &endpoint.container,
                    CallEnd {
                        agent_ok: None,
                        task_ok: false,
                        latency_ms,
                    },
                    now,
                );
                outcome = AttemptOutcome::Cancelled;
                task.status = TaskStatus::Cancelled;
                task.error = Some(TaskFailure {
                    code: "cancelled".into(),
                    message: format!("cancelled while {} ran it", endpoint.agent_id),
                });
            }
            Some(Verdict::Succeeded(output)) => {
                self.end_call(&endpoint, true, true, latency_ms, now);
                outcome = AttemptOutcome::Succeeded;
                task.status = TaskStatus::Succeeded;
                task.result = Some(output);
                task.error = None;
            }
            Some(Verdict::Failed(failure)) => {
                self.end_call(&endpoint, true, false, latency_ms, now);
                outcome = AttemptOutcome::Failed {
                    failure: failure.clone(),
                    retried: false,
                };
                task.status = TaskStatus::Failed;
                task.error = Some(failure);
            }
            Some(Verdict::Retry {
                failure,
                agent_fault,
                counts,
            }) => {
                self.end_call(&endpoint, !agent_fault, false, latency_ms, now);
                if !counts {
                    task.attempts -= 1;
                }
                let past_deadline = now_ms >= task.deadline_ms;
                let another = self.config.retry.allows_another(task.attempts);
                outcome = AttemptOutcome::Failed {
                    failure: failure.clone(),
                    retried: !past_deadline && another,
                };
                if past_deadline {
                    task.status = TaskStatus::Failed;
                    task.error = Some(TaskFailure {
                        code: "deadline_exceeded".into(),
                        message: format!("the deadline passed; last error: {}", failure.message),
                    });
                } else if !another {
                    task.status = TaskStatus::Dead;
                    task.error = Some(TaskFailure {
                        code: failure.code.clone(),
                        message: format!("gave up after {} attempts; last: {}", task.attempts, failure.message),
                    });
                } else {
                    task.status = TaskStatus::Queued;
                    task.error = Some(failure);
                    let delay = if counts {
                        let unit = self.jitter_unit();
                        self.config.retry.delay(task.attempts, unit)
                    } else {
                        Duration::from_millis(20)
                    };
                    requeue_at = Some((now_ms + delay.as_millis() as i64, agent_fault));
                }
            }
        }
        if let Some(last) = task.attempt_log.last_mut() {
            last.finished_ms = Some(now_ms);
            last.outcome = Some(outcome);
        }
        lock(&self.state).running.remove(&task.id);
        match requeue_at {
            Some((at, agent_fault)) => {
                let _ = self.journal.save(&task, at, false).await;
                self.emit(&task);
                let target = target_of(&task);
                let mut state = lock(&self.state);
                state.queue.push(
                    target.clone(),
                    Ticket {
                        id: task.id.clone(),
                        priority: task.priority,
                        seq,
                    },
                    at,
                    now_ms,
                );
                let mut avoid = Vec::new();
                if agent_fault {
                    avoid.push(endpoint.container.clone());
                }
                state.waiting.insert(task.id.clone(), Waiting { task, seq, avoid });
            }
            None => {
                task.finished_ms = Some(now_ms);
                self.finish(task);
            }
        }
        self.wake.notify_one();
    }

    fn end_call(&self, endpoint: &Endpoint, agent_ok: bool, task_ok: bool, latency_ms: f64, now: Instant) {
        lock(&self.state).roster.end(
            &endpoint.container,
            CallEnd {
                agent_ok: Some(agent_ok),
                task_ok,
                latency_ms,
            },
            now,
        );
    }

    /// Persists a task's final state, then tells whoever waits.
    fn finish(self: &Arc<Self>, task: Task) {
        let this = Arc::clone(self);
        tokio::spawn(async move {
            if let Err(err) = this.journal.save(&task, 0, true).await {
                warn!(task = %task.id, cause = %err, "cannot record a finished task");
            }
            this.finished(&task);
        });
    }

    fn finished(&self, task: &Task) {
        let waiters = lock(&self.state).waiters.remove(&task.id).unwrap_or_default();
        for waiter in waiters {
            let _ = waiter.send(task.clone());
        }
        self.emit(task);
    }

    /// A number in [0, 1) for retry jitter (xorshift; quality is not the point).
    fn jitter_unit(&self) -> f64 {
        let mut state = lock(&self.state);
        let mut x = state.jitter;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state.jitter = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Every container's breaker and load now: (container, state, in flight).
    pub fn breakers(&self) -> Vec<(String, breaker::BreakerState, u32)> {
        lock(&self.state).roster.breakers(Instant::now())
    }

    /// Tasks waiting for an agent or a retry time, and tasks at agents now.
    pub fn load(&self) -> (usize, usize) {
        let state = lock(&self.state);
        (state.queue.len(), state.running.len())
    }
}

fn target_of(task: &Task) -> Target {
    Target {
        agent_id: task.agent_id.clone(),
        capability: task.capability.clone(),
        task_type: task.task_type.clone(),
    }
}

/// `t-<ms in base 36>-<random>`: sortable by time, unique enough to be the
/// primary key (the insert would refuse a clash).
fn new_task_id(now_ms: i64) -> String {
    let random = crate::security::tokens::random_hex(6).unwrap_or_else(|_| format!("{:012x}", now_ms));
    format!("t-{}-{random}", radix36(now_ms.max(0) as u64))
}

fn radix36(mut n: u64) -> String {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}
