//! The dispatcher: serves the queue's lanes in turn, routes each lane's
//! next task, makes the attempt at the chosen agent, and settles what
//! follows (done, retry with backoff elsewhere, dead, cancelled).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use sutazai_protocol::wire::TaskRequest;
use sutazai_protocol::PROTOCOL_VERSION;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::dispatch;
use super::journal::Inserted;
use super::model::{Attempt, Task, TaskFailure, TaskStatus};
use super::outcome;
use super::retry::RetryPolicy;
use super::roster::CallEnd;
use super::router::{self, RouteDecision};
use super::{lock, target_of, Orchestrator};
use crate::fleet::model::Endpoint;
use crate::store::StoreError;

/// A task's place in submission order (the tasks table's `seq`), which a
/// retry keeps.
pub(super) enum Seq {
    Known(i64),
    /// The task's insert, queued before the call went out and committed
    /// while it is under way; its outcome is passed on to the submitter. A
    /// task inserted this way has no idempotency key of its own, so nothing
    /// could have stopped the insert but the database itself; the task is
    /// settled only once it is stored (the writer commits in order). A crash
    /// before that commit leaves no row and no acknowledgement: the
    /// submitter saw the submission fail.
    Committing(
        std::pin::Pin<Box<dyn Future<Output = Inserted> + Send>>,
        oneshot::Sender<Result<i64, StoreError>>,
    ),
}

impl Orchestrator {
    /// Serves the queue until `cancel`.
    pub async fn run(self: Arc<Self>) {
        let mut endpoints = self.endpoints.clone();
        loop {
            let next_due = self.dispatch_ready();
            let pause = next_due
                .map(|at| Duration::from_millis((at - self.clock.now_ms()).clamp(1, 250) as u64))
                .unwrap_or(Duration::from_millis(250));
            tokio::select! {
                _ = self.life.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = endpoints.changed() => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
        self.stopping.cancel();
        let in_flight = lock(&self.state).running.len();
        debug!(
            in_flight,
            "orchestrator stopped; tasks at agents are queued again at the next start"
        );
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
                    contenders.retain(|c| !waiting.task.delegation_chain.iter().any(|a| a == c.agent_id));
                    let avoided = |c: &router::Contender| waiting.avoid.iter().any(|a| a == c.container);
                    if contenders.iter().any(|c| !avoided(c)) {
                        contenders.retain(|c| !avoided(c));
                    }
                    let decision = router::route(&contenders, &self.config.weights);
                    let Some(chosen) = decision.chosen.map(|i| i as usize) else {
                        continue;
                    };
                    let container = contenders[chosen].container;
                    let Some(endpoint) = endpoints.iter().find(|e| e.container == container).cloned() else {
                        continue;
                    };
                    if !state.roster.begin(container, now) {
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
            self.life
                .spawn(async move { this.attempt(task, seq, endpoint, decision).await });
        }
        next_due
    }

    /// Routes a new task at once when its lane is empty and an agent can
    /// take it: the caller then stores it already running (one commit
    /// instead of two) and starts the call with [`Orchestrator::call`].
    pub(super) fn route_now(&self, task: &Task) -> Option<(Endpoint, RouteDecision)> {
        let target = target_of(task);
        let endpoints = self.endpoints.borrow().clone();
        let catalog = (self.catalog)();
        let now = Instant::now();
        let mut state = lock(&self.state);
        if state.queue.has_lane(&target) {
            return None; // tasks before it go first
        }
        let mut contenders = state.roster.contenders(&endpoints, &catalog, &target, now);
        contenders.retain(|c| !task.delegation_chain.iter().any(|a| a == c.agent_id));
        let decision = router::route(&contenders, &self.config.weights);
        let container = contenders.get(decision.chosen? as usize)?.container;
        let endpoint = endpoints.iter().find(|e| e.container == container).cloned()?;
        if !state.roster.begin(container, now) {
            return None;
        }
        state.running.insert(task.id.clone(), CancellationToken::new());
        Some((endpoint, decision))
    }

    /// Takes back a [`Orchestrator::route_now`] whose task was not stored.
    pub(super) fn unroute(&self, task: &Task, endpoint: &Endpoint) {
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
    }

    /// Marks a task as sent to `endpoint`: the next attempt, its routing
    /// decision, status `running`.
    pub(super) fn assign(&self, task: &mut Task, endpoint: &Endpoint, decision: RouteDecision) {
        let started_ms = self.clock.now_ms();
        let score = decision.chosen_candidate().and_then(|c| c.score);
        task.attempts += 1;
        task.status = TaskStatus::Running;
        task.updated_ms = started_ms;
        task.assigned_agent = Some(endpoint.agent_id.clone());
        task.assigned_container = Some(endpoint.container.clone());
        task.route = Some(Arc::new(decision));
        task.attempt_log.push(Attempt {
            number: task.attempts,
            agent_id: endpoint.agent_id.clone(),
            container: endpoint.container.clone(),
            score,
            started_ms,
            finished_ms: None,
            outcome: None,
        });
    }

    /// One attempt of a queued task at the chosen container: recorded, then made.
    async fn attempt(self: Arc<Self>, mut task: Task, seq: i64, endpoint: Endpoint, decision: RouteDecision) {
        self.assign(&mut task, &endpoint, decision);
        task.status = TaskStatus::Dispatched;
        self.emit(&task);
        // Committed before the call: after a crash the table must show every
        // attempt that may have reached an agent, so a second run of the task
        // is always visible as a retry. `dispatched` is the moment before.
        task.status = TaskStatus::Running;
        if let Err(err) = self.journal.save(&task, 0, true).await {
            warn!(task = %task.id, cause = %err, "cannot record the dispatch; not sending it");
            task.attempts -= 1;
            task.attempt_log.pop();
            task.status = TaskStatus::Queued;
            self.unroute(&task, &endpoint);
            let now_ms = self.clock.now_ms();
            lock(&self.state).enqueue(task, seq, now_ms + 500, now_ms, Vec::new());
            return;
        }
        self.call(task, Seq::Known(seq), endpoint).await;
    }

    /// Sends a recorded attempt to its agent and settles what follows.
    pub(super) async fn call(self: Arc<Self>, mut task: Task, seq: Seq, endpoint: Endpoint) {
        let started_ms = task.updated_ms;
        self.journal.record_route(&task);
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
        let link = self.link_for(&endpoint);
        let began = Instant::now();
        let exchange = async {
            let reply = tokio::select! {
                _ = self.stopping.cancelled() => return None,
                _ = switch.cancelled() => None,
                reply = async {
                    match &link {
                        Some(link) => dispatch::call(&self.http, link, &request, left).await,
                        None => dispatch::Reply::Broken(format!("no valid address or token for {}", endpoint.container)),
                    }
                } => Some(reply),
            };
            Some((reply, began.elapsed()))
        };
        let (ended, seq) = match seq {
            Seq::Known(seq) => (exchange.await, Some(seq)),
            Seq::Committing(stored, told) => {
                let stored = async {
                    let outcome = match stored.await {
                        Ok(Ok(seq)) => Ok(seq),
                        Ok(Err(existing)) => {
                            Err(StoreError::Duplicate(format!("task id {} is taken", existing.task.id)))
                        }
                        Err(err) => Err(err),
                    };
                    let seq = outcome.as_ref().ok().copied();
                    if seq.is_none() {
                        // Not stored: stop waiting for the agent and free its
                        // slot before the submitter hears.
                        switch.cancel();
                        self.unroute(&task, &endpoint);
                        lock(&self.state).waiters.remove(&task.id);
                    }
                    let _ = told.send(outcome);
                    seq
                };
                tokio::join!(exchange, stored)
            }
        };
        // Stopping: abandoned without a write (see `stopping`).
        let Some((reply, took)) = ended else {
            return;
        };
        let Some(seq) = seq else {
            // Never stored: abandoned above, and the submitter heard why.
            warn!(task = %task.id, "the task could not be stored; its call was abandoned");
            return;
        };
        let latency_ms = took.as_secs_f64() * 1000.0;
        let now_ms = self.clock.now_ms();
        let facts = outcome::Facts {
            attempts: task.attempts,
            max_attempts: task.max_attempts,
            deadline_ms: task.deadline_ms,
            now_ms,
            agent_id: &endpoint.agent_id,
        };
        let policy = match task.retry_backoff_ms {
            Some(ms) => {
                let base = Duration::from_millis(ms);
                RetryPolicy {
                    base,
                    cap: self.config.retry.cap.max(base),
                    ..self.config.retry
                }
            }
            None => self.config.retry,
        };
        let next = outcome::next(reply.map(dispatch::judge), facts, &policy, || self.jitter_unit());
        let call_end = CallEnd {
            agent_ok: next.agent_ok,
            task_ok: next.status == TaskStatus::Succeeded,
            latency_ms,
        };
        {
            // The agent's figures and the task's place at it, under one lock.
            let mut state = lock(&self.state);
            state.roster.end(&endpoint.container, call_end, Instant::now());
            state.running.remove(&task.id);
        }
        if !next.counts {
            task.attempts -= 1;
        }
        task.updated_ms = now_ms;
        task.status = next.status;
        task.error = next.error;
        if next.result.is_some() {
            task.result = next.result;
        }
        if let Some(last) = task.attempt_log.last_mut() {
            last.finished_ms = Some(now_ms);
            last.outcome = Some(next.outcome);
        }
        let Some(retry) = next.retry else {
            task.finished_ms = Some(now_ms);
            self.wake.notify_one();
            self.settle(task).await;
            return;
        };
        let at = now_ms + retry.after.as_millis() as i64;
        let _ = self.journal.save(&task, at, false).await;
        self.emit(&task);
        let avoid = if retry.avoid_agent {
            vec![endpoint.container.clone()]
        } else {
            Vec::new()
        };
        lock(&self.state).enqueue(task, seq, at, now_ms, avoid);
        self.wake.notify_one();
    }

    /// Persists a task's final state, then tells whoever waits.
    async fn settle(&self, task: Task) {
        if let Err(err) = self.journal.save(&task, 0, true).await {
            warn!(task = %task.id, cause = %err, "cannot record a finished task");
        }
        self.finished(task);
    }

    /// [`Orchestrator::settle`] on its own task, for callers that cannot wait.
    fn finish(self: &Arc<Self>, task: Task) {
        let this = Arc::clone(self);
        self.life.spawn(async move { this.settle(task).await });
    }

    /// Tells whoever waits for the task (the last one gets it without a copy).
    pub(super) fn finished(&self, task: Task) {
        self.emit(&task);
        let mut waiters = lock(&self.state).waiters.remove(&task.id).unwrap_or_default();
        let last = waiters.pop();
        for waiter in waiters {
            let _ = waiter.send(task.clone());
        }
        if let Some(last) = last {
            let _ = last.send(task);
        }
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
}
