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

mod admission;
pub mod breaker;
pub(crate) mod dispatch;
mod dispatcher;
mod intake;
mod journal;
pub mod model;
mod outcome;
mod queue;
pub mod retry;
pub mod roster;
mod route_record;
pub mod router;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use tokio::sync::{broadcast, oneshot, watch, Notify};
use tokio_util::sync::CancellationToken;

use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::error::{Code, Coded};
use crate::fleet::model::Endpoint;
use crate::lifetime::Lifetime;
use crate::security::tokens::HubSecret;
use crate::store::{Store, StoreError};
use breaker::BreakerSettings;
use journal::Journal;
use model::{Task, TaskEvent, TaskPage, TaskQuery, TaskSummary};
use queue::{Queue, Target, Ticket};
use retry::RetryPolicy;
use roster::Roster;
use router::Weights;

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
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NoAgent(String),
    /// The threat gate refused the input (threat blocking).
    #[error("input refused as a threat (score {score}): {}", patterns.join(", "))]
    ThreatBlocked { score: f64, patterns: Vec<String> },
    /// The threat gate holds the input as threat `threat_id` until a
    /// person approves or rejects it; nothing is queued yet.
    #[error("input held as threat {threat_id}: it waits for a person's approval in the Security view")]
    InputHeld { threat_id: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Coded for OrchestratorError {
    fn code(&self) -> Code {
        match self {
            Self::Invalid(_) => Code::InvalidRequest,
            Self::NotFound(_) => Code::NotFound,
            Self::Conflict(_) => Code::Conflict,
            Self::Forbidden(_) => Code::Forbidden,
            Self::NoAgent(_) => Code::UnknownAgent,
            Self::ThreatBlocked { .. } => Code::ThreatBlocked,
            Self::InputHeld { .. } => Code::InputHeld,
            // Only a task id can clash: the idempotency key is looked up first.
            Self::Store(StoreError::Duplicate(_)) => Code::Conflict,
            Self::Store(_) => Code::Store,
        }
    }

    fn held_threat(&self) -> Option<i64> {
        match self {
            Self::InputHeld { threat_id } => Some(*threat_id),
            _ => None,
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
    /// Each container's address and service token, made once (an HMAC and
    /// a URL per call were measurable at thousands of tasks a second).
    links: Mutex<HashMap<String, dispatch::Link>>,
    http: dispatch::AgentClient,
    state: Mutex<State>,
    wake: Notify,
    events: broadcast::Sender<TaskEvent>,
    /// Cancelled when `run` ends: calls still at agents are abandoned
    /// without a write, so their tasks stay `running` in the table and the
    /// next start queues them again (as after a crash).
    stopping: CancellationToken,
    /// The engine's lifetime: `run` ends with it, and every call to an
    /// agent runs on it, so shutdown waits for them.
    life: Lifetime,
}

impl State {
    /// Queues a task (again), at once or from `not_before_ms` on.
    fn enqueue(&mut self, task: Task, seq: i64, not_before_ms: i64, now_ms: i64, avoid: Vec<String>) {
        let ticket = Ticket {
            id: task.id.clone(),
            priority: task.priority,
            seq,
        };
        self.queue.push(target_of(&task), ticket, not_before_ms, now_ms);
        self.waiting.insert(task.id.clone(), Waiting { task, seq, avoid });
    }
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
        life: Lifetime,
    ) -> Arc<Orchestrator> {
        let state = State {
            roster: Roster::new(config.breaker),
            jitter: clock.now_ms() as u64 | 1,
            ..State::default()
        };
        Arc::new(Orchestrator {
            config,
            journal: Journal::new(store),
            clock,
            catalog,
            endpoints,
            secret,
            links: Mutex::default(),
            http: dispatch::client(),
            state: Mutex::new(state),
            wake: Notify::new(),
            events: broadcast::channel(4096).0,
            stopping: CancellationToken::new(),
            life,
        })
    }

    /// Every change of every task.
    pub fn subscribe(&self) -> broadcast::Receiver<TaskEvent> {
        self.events.subscribe()
    }

    /// Where the hub calls `endpoint`, with the service token it presents.
    fn link_for(&self, endpoint: &Endpoint) -> Option<dispatch::Link> {
        let mut links = self.links.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(link) = links
            .get(&endpoint.container)
            .filter(|l| l.port == endpoint.port && l.token_epoch == endpoint.token_epoch)
        {
            return Some(link.clone());
        }
        let token = self.secret.hub_token(&endpoint.container, &endpoint.token_epoch);
        let link = dispatch::Link::new(&endpoint.agent_id, endpoint.port, &endpoint.token_epoch, &token)?;
        links.insert(endpoint.container.clone(), link.clone());
        Some(link)
    }

    fn emit(&self, task: &Task) {
        if self.events.receiver_count() == 0 {
            return; // nobody listens: spare building the summary
        }
        let _ = self.events.send(TaskEvent {
            task: TaskSummary::from(task),
        });
    }

    pub async fn get(&self, id: &str) -> Result<Task, OrchestratorError> {
        self.journal
            .get(id)
            .await?
            .ok_or_else(|| OrchestratorError::NotFound(format!("no task {id}")))
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

    /// Every container's breaker and load now: (container, state, in flight).
    pub fn breakers(&self) -> Vec<(String, breaker::BreakerState, u32)> {
        lock(&self.state).roster.breakers(Instant::now())
    }

    /// The metrics' view of the orchestrator: each container's counters
    /// (latencies since the last call) and the tasks waiting.
    pub fn figures(&self) -> (Vec<roster::ContainerFigures>, usize) {
        let mut state = lock(&self.state);
        let waiting = state.queue.len();
        (state.roster.take_figures(Instant::now()), waiting)
    }

    /// Records a task action (`task.submit`, `task.cancel`, `task.requeue`)
    /// in the audit log, with the tasks' own writes.
    pub fn audit(&self, by: &crate::security::Principal, action: &'static str, target: &str, outcome: String) {
        self.journal.audit(crate::security::audit::Record {
            at_ms: self.clock.now_ms(),
            actor: by.label(),
            origin: by.origin(),
            action: action.into(),
            target: target.into(),
            outcome,
            detail: String::new(),
        });
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

/// `t-<ms in base 36>-<48 random bits in hex>`: sortable by time, unique
/// enough to be the primary key (the insert would refuse a clash). The bits
/// come from a thread-local generator seeded once: a task id is no secret,
/// and reading the OS's randomness cost three system calls per task.
fn new_task_id(now_ms: i64) -> String {
    new_id("t", now_ms)
}

/// `<prefix>-<ms in base 36>-<48 random bits in hex>` (tasks `t`, runs `r`).
pub(crate) fn new_id(prefix: &str, now_ms: i64) -> String {
    let random = fastrand::u64(..) & 0xffff_ffff_ffff;
    format!("{prefix}-{}-{random:012x}", radix36(now_ms.max(0) as u64))
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

#[cfg(test)]
mod tests {
    use super::new_task_id;

    #[test]
    fn task_ids_in_one_millisecond_differ_and_later_ones_sort_after() {
        let now = 1_763_800_000_000;
        let ids: std::collections::HashSet<String> = (0..10_000).map(|_| new_task_id(now)).collect();
        assert_eq!(ids.len(), 10_000);
        let id = new_task_id(now);
        let (_, random) = id.rsplit_once('-').expect("t-<time>-<random>");
        assert!(id.starts_with("t-") && random.len() == 12, "{id}");
        assert!(new_task_id(now) < new_task_id(now + 1));
    }
}
