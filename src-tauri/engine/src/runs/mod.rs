//! Workflow runs: durable, resumable executions of a pinned definition
//! version.
//!
//! A run is committed (with every step `pending`) before it is
//! acknowledged, then a [`driver`] owns it: it asks the workflow's
//! [`Schedule`](crate::workflow::schedule::Schedule) what may start, starts
//! each step as soon as its own dependencies are done, and records every
//! change of the run and its steps. A step's tasks go through the
//! orchestrator ([`execute`]) keyed by run, step and item, so after a crash
//! [`Runs::recover`] restarts every unfinished run where it stood: a
//! finished step never runs again, and a step in flight re-attaches to its
//! tasks. Re-running from a step starts a new run that takes over the
//! stored outputs of everything upstream of it.

pub mod adhoc;
mod driver;
pub mod execute;
mod journal;
pub mod model;
pub mod patterns;
pub mod preflight;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tracing::{info, warn};

use crate::catalog::Catalog;
use crate::clock::Clock;
use crate::error::{Code, Coded};
use crate::fleet::model::Endpoint;
use crate::lifetime::Lifetime;
use crate::orchestrator::Orchestrator;
use crate::security::Principal;
use crate::store::{Store, StoreError};
use crate::workflow::model::Workflow;
use crate::workflow::{self, render, versions, WorkflowProblem};
use driver::{Command, Driver};
use journal::Journal;
use model::{Decision, NewRun, Run, RunEvent, RunQuery, RunStatus, RunStep, RunSummary, Saved, StepEvent, StepStatus};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("workflow `{id}` has problems: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidWorkflow { id: String, problems: Vec<WorkflowProblem> },
    #[error("{0}")]
    Conflict(String),
    /// The threat gate refused the run's inputs (threat blocking).
    #[error("input refused as a threat (score {score}): {}", patterns.join(", "))]
    ThreatBlocked { score: f64, patterns: Vec<String> },
    /// The threat gate holds the run's start as threat `threat_id` until a
    /// person approves or rejects it; no run exists yet.
    #[error("input held as threat {threat_id}: it waits for a person's approval in the Security view")]
    InputHeld { threat_id: i64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Coded for RunError {
    fn code(&self) -> Code {
        match self {
            Self::NotFound(_) => Code::NotFound,
            Self::Invalid(_) => Code::InvalidRequest,
            Self::InvalidWorkflow { .. } => Code::InvalidWorkflow,
            Self::Conflict(_) => Code::Conflict,
            Self::ThreatBlocked { .. } => Code::ThreatBlocked,
            Self::InputHeld { .. } => Code::InputHeld,
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

/// A change of a run or of one of its steps.
#[derive(Debug, Clone)]
pub enum RunNews {
    Run(RunEvent),
    Step(StepEvent),
}

/// One page of a run list.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunPage {
    pub runs: Vec<RunSummary>,
    /// How many runs match the filters in all.
    pub total: u32,
}

pub struct Runs {
    journal: Journal,
    store: Store,
    orchestrator: Arc<Orchestrator>,
    clock: Arc<dyn Clock>,
    catalog: Arc<dyn Fn() -> Arc<Catalog> + Send + Sync>,
    endpoints: watch::Receiver<Arc<Vec<Endpoint>>>,
    /// The workflows folder: definitions are read from it when a run starts.
    dir: PathBuf,
    /// Every driver runs on it; when it ends, runs stop where they are and
    /// resume at the next start.
    life: Lifetime,
    /// The drivers of the runs under way, by run id.
    live: Mutex<HashMap<String, mpsc::UnboundedSender<Command>>>,
    events: broadcast::Sender<RunNews>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Runs {
    pub fn new(
        store: Store,
        orchestrator: Arc<Orchestrator>,
        clock: Arc<dyn Clock>,
        catalog: Arc<dyn Fn() -> Arc<Catalog> + Send + Sync>,
        endpoints: watch::Receiver<Arc<Vec<Endpoint>>>,
        dir: PathBuf,
        life: Lifetime,
    ) -> Arc<Runs> {
        Arc::new(Runs {
            journal: Journal::new(store.clone()),
            store,
            orchestrator,
            clock,
            catalog,
            endpoints,
            dir,
            life,
            live: Mutex::default(),
            events: broadcast::channel(4096).0,
        })
    }

    pub(crate) fn orchestrator(&self) -> &Arc<Orchestrator> {
        &self.orchestrator
    }

    pub(crate) fn catalog(&self) -> Arc<Catalog> {
        (self.catalog)()
    }

    /// The fleet's endpoints, to read now or to wait for a change of.
    pub(crate) fn endpoints(&self) -> watch::Receiver<Arc<Vec<Endpoint>>> {
        self.endpoints.clone()
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Every change of every run and step.
    pub fn subscribe(&self) -> broadcast::Receiver<RunNews> {
        self.events.subscribe()
    }

    fn emit(&self, news: RunNews) {
        if self.events.receiver_count() > 0 {
            let _ = self.events.send(news);
        }
    }

    fn audit(&self, by: &Principal, action: &'static str, target: &str, outcome: String) {
        self.orchestrator.audit(by, action, target, outcome);
    }

    /// Starts a run of the definition in the workflows folder as it is now
    /// (that text becomes the version the run pins); committed before
    /// this returns.
    pub async fn start(self: &Arc<Self>, workflow_id: &str, new: NewRun, by: &Principal) -> Result<Run, RunError> {
        let result = self.start_unaudited(workflow_id, new, by).await;
        let target = result.as_ref().map_or(workflow_id, |run| run.id.as_str());
        self.audit(by, "run.start", target, outcome(&result));
        result
    }

    async fn start_unaudited(
        self: &Arc<Self>,
        workflow_id: &str,
        new: NewRun,
        by: &Principal,
    ) -> Result<Run, RunError> {
        if !workflow::is_file_id(workflow_id) {
            return Err(RunError::NotFound(format!("no workflow `{workflow_id}`")));
        }
        let id = workflow_id;
        let path = self.dir.join(format!("{id}.json"));
        let text = std::fs::read_to_string(&path).map_err(|_| RunError::NotFound(format!("no workflow `{id}`")))?;
        let definition = workflow::parse(&path, &text, &self.catalog());
        let workflow = match definition.workflow {
            Some(workflow) if definition.problems.is_empty() => workflow,
            _ => {
                return Err(RunError::InvalidWorkflow {
                    id: id.to_string(),
                    problems: definition.problems,
                })
            }
        };
        self.begin(workflow, &text, new, by).await
    }

    /// Starts an ad-hoc run of seed 001's multi-agent task: a definition
    /// of its pattern over its capabilities (kept as a version of
    /// `task_<pattern>`, so the run pins it like any other).
    pub async fn start_task(self: &Arc<Self>, task: &adhoc::AdhocTask, by: &Principal) -> Result<Run, RunError> {
        let result = async {
            let catalog = self.catalog();
            let workflow = adhoc::workflow(task, &catalog).map_err(RunError::Invalid)?;
            let problems = workflow::validate(&workflow, &catalog);
            if !problems.is_empty() {
                return Err(RunError::InvalidWorkflow {
                    id: workflow.id,
                    problems,
                });
            }
            let text = versions::text_of(&workflow);
            let new = NewRun {
                inputs: adhoc::inputs(task),
            };
            self.begin(workflow, &text, new, by).await
        }
        .await;
        let target = result.as_ref().map_or("task", |run| run.id.as_str());
        self.audit(by, "run.start", target, outcome(&result));
        result
    }

    /// Pins `text` as the definition's version, stores the new run and
    /// hands it to a driver.
    async fn begin(
        self: &Arc<Self>,
        workflow: Workflow,
        text: &str,
        new: NewRun,
        by: &Principal,
    ) -> Result<Run, RunError> {
        let inputs = render::inputs(&workflow.inputs, &new.inputs).map_err(|problems| {
            RunError::Invalid(problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
        })?;
        let now = self.now_ms();
        let version = versions::pin(&self.store, &workflow.id, text, now).await?;
        let steps = workflow
            .steps
            .iter()
            .map(|s| RunStep::new(s.id.clone(), None, s.title.clone(), execute::kind_name(&s.kind)))
            .collect();
        let run = self.new_run(&workflow, version, inputs, by, steps, now);
        self.journal.create(&run).await?;
        self.launch(run.clone(), workflow);
        Ok(run)
    }

    fn new_run(
        &self,
        workflow: &Workflow,
        version: u32,
        inputs: Map<String, Value>,
        by: &Principal,
        steps: Vec<RunStep>,
        now: i64,
    ) -> Run {
        Run {
            id: crate::orchestrator::new_id("r", now),
            workflow_id: workflow.id.clone(),
            workflow_name: workflow.name.clone(),
            version,
            status: RunStatus::Queued,
            inputs,
            outputs: None,
            context: Vec::new(),
            error: None,
            started_by: by.label(),
            created_ms: now,
            updated_ms: now,
            finished_ms: None,
            rerun_of: None,
            from_step: None,
            saved: None,
            steps,
        }
    }

    /// Hands a stored run to a driver of its own.
    fn launch(self: &Arc<Self>, run: Run, workflow: Workflow) {
        let (commands, inbox) = mpsc::unbounded_channel();
        lock(&self.live).insert(run.id.clone(), commands);
        let driver = Driver::new(Arc::clone(self), run, Arc::new(workflow), inbox);
        self.life.spawn(driver.drive());
    }

    /// The driver of `run_id` is done with it.
    fn retire(&self, run_id: &str) {
        lock(&self.live).remove(run_id);
    }

    /// The definition a run pinned.
    pub async fn definition(&self, run: &Run) -> Result<Workflow, RunError> {
        let text = versions::body(&self.store, &run.workflow_id, run.version)
            .await?
            .ok_or_else(|| {
                RunError::NotFound(format!(
                    "version {} of workflow `{}` is not stored",
                    run.version, run.workflow_id
                ))
            })?;
        serde_json::from_str(&text).map_err(|err| {
            RunError::Invalid(format!(
                "version {} of workflow `{}` is not a definition: {err}",
                run.version, run.workflow_id
            ))
        })
    }

    /// Restarts every run the last app run left unfinished. Call once, after
    /// the orchestrator has recovered its tasks.
    pub async fn recover(self: &Arc<Self>) -> Result<usize, StoreError> {
        let unfinished = self.journal.unfinished().await?;
        let count = unfinished.len();
        for mut run in unfinished {
            match self.definition(&run).await {
                Ok(workflow) => self.launch(run, workflow),
                Err(err) => {
                    warn!(run = %run.id, cause = %err, "cannot resume a run");
                    let now = self.now_ms();
                    run.status = RunStatus::Failed;
                    run.error = Some(execute::failure("definition_lost", err.to_string()));
                    run.finished_ms = Some(now);
                    run.updated_ms = now;
                    self.journal.save_run(&run, None);
                }
            }
        }
        if count > 0 {
            info!(count, "resumed the runs the last app run left unfinished");
        }
        Ok(count)
    }

    pub async fn get(&self, id: &str) -> Result<Run, RunError> {
        self.journal
            .get(id)
            .await?
            .ok_or_else(|| RunError::NotFound(format!("no run {id}")))
    }

    pub async fn list(&self, query: RunQuery) -> Result<RunPage, RunError> {
        let (runs, total) = self.journal.list(query).await?;
        Ok(RunPage { runs, total })
    }

    /// Waits until the run has ended, at most `timeout`; the run as it is then.
    pub async fn wait(&self, id: &str, timeout: Duration) -> Result<Run, RunError> {
        let mut news = self.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let run = self.get(id).await?;
            if run.status.is_final() || tokio::time::Instant::now() >= deadline {
                return Ok(run);
            }
            // Until this run has ended (or the time is up): the events say
            // its status, so the run is read again only then. (Reading it
            // on every event read a long chain's every step again and again.)
            loop {
                match tokio::time::timeout_at(deadline, news.recv()).await {
                    Ok(Ok(RunNews::Run(event))) if event.run.id == id && event.run.status.is_final() => break,
                    Ok(Ok(_)) => continue,
                    Ok(Err(broadcast::error::RecvError::Lagged(_))) => break,
                    Ok(Err(broadcast::error::RecvError::Closed)) | Err(_) => return self.get(id).await,
                }
            }
        }
    }

    /// Sends a command to a run's driver and waits for its answer.
    async fn command(
        &self,
        id: &str,
        make: impl FnOnce(oneshot::Sender<Result<(), RunError>>) -> Command,
    ) -> Result<(), RunError> {
        let sender = lock(&self.live).get(id).cloned();
        let Some(sender) = sender else {
            let run = self.get(id).await?;
            return Err(RunError::Conflict(format!(
                "run {id} is {}; only a run under way can be changed",
                run.status.as_str()
            )));
        };
        let (reply, answer) = oneshot::channel();
        sender
            .send(make(reply))
            .map_err(|_| RunError::Conflict(format!("run {id} has just ended")))?;
        answer
            .await
            .map_err(|_| RunError::Conflict(format!("run {id} has just ended")))?
    }

    /// Cancels a run and its tasks; the run as it is once they have stopped.
    pub async fn cancel(&self, id: &str, by: &Principal) -> Result<Run, RunError> {
        let result = self.command(id, |reply| Command::Cancel { reply }).await;
        self.audit(by, "run.cancel", id, outcome(&result));
        result?;
        self.wait(id, Duration::from_secs(10)).await
    }

    /// Pauses (`pause`) or resumes a run: steps under way finish, no new
    /// one starts while it is paused.
    pub async fn pause(&self, id: &str, pause: bool, by: &Principal) -> Result<Run, RunError> {
        let result = self.command(id, |reply| Command::Pause { pause, reply }).await;
        let action = if pause { "run.pause" } else { "run.resume" };
        self.audit(by, action, id, outcome(&result));
        result?;
        self.get(id).await
    }

    /// A person approves or rejects an approval step that waits.
    pub async fn decide(
        &self,
        id: &str,
        step: &str,
        approve: bool,
        note: String,
        by: &Principal,
    ) -> Result<Run, RunError> {
        let decision = Decision {
            approve,
            by: by.label(),
            at_ms: self.now_ms(),
            note,
        };
        let result = self
            .command(id, |reply| Command::Decide {
                step: step.to_string(),
                decision,
                reply,
            })
            .await;
        let action = if approve { "run.approve" } else { "run.reject" };
        self.audit(by, action, &format!("{id}/{step}"), outcome(&result));
        result?;
        self.get(id).await
    }

    /// Starts a new run of the same definition version with the same
    /// inputs, from `from_step`: every step upstream of it keeps its stored
    /// output (none of its tasks runs again), and the run records what
    /// that saved.
    pub async fn rerun(self: &Arc<Self>, id: &str, from_step: &str, by: &Principal) -> Result<Run, RunError> {
        let result = self.rerun_unaudited(id, from_step, by).await;
        let outcome = match &result {
            Ok(run) => format!("ok: {}", run.id),
            Err(_) => outcome(&result),
        };
        self.audit(by, "run.rerun", &format!("{id}/{from_step}"), outcome);
        result
    }

    async fn rerun_unaudited(self: &Arc<Self>, id: &str, from_step: &str, by: &Principal) -> Result<Run, RunError> {
        let old = self.get(id).await?;
        if !old.status.is_final() {
            return Err(RunError::Conflict(format!(
                "run {id} is {}; re-run it from a step once it has ended",
                old.status.as_str()
            )));
        }
        let workflow = self.definition(&old).await?;
        let index = workflow.step_index();
        let Some(&from) = index.get(from_step) else {
            return Err(RunError::Invalid(format!(
                "fromStep: version {} of workflow `{}` has no step `{from_step}`",
                old.version, old.workflow_id
            )));
        };
        let upstream = upstream_of(&workflow, from);
        let reused: BTreeSet<&str> = upstream.iter().map(|&i| workflow.steps[i].id.as_str()).collect();
        let mut saved = Saved::default();
        let mut steps = Vec::new();
        for (i, step) in workflow.steps.iter().enumerate() {
            let before = old.steps.iter().find(|s| s.id == step.id && s.parent.is_none());
            match before.filter(|s| upstream.contains(&i) && s.status == StepStatus::Succeeded) {
                Some(kept) => {
                    saved.steps += 1;
                    saved.ms += kept.duration_ms();
                    saved.tokens += kept.tokens();
                    steps.push(RunStep {
                        reused_from: Some(old.id.clone()),
                        ..kept.clone()
                    });
                }
                None => steps.push(RunStep::new(
                    step.id.clone(),
                    None,
                    step.title.clone(),
                    execute::kind_name(&step.kind),
                )),
            }
        }
        // The steps plans added under a reused step come along with it.
        for planned in old
            .steps
            .iter()
            .filter(|s| s.parent.as_deref().is_some_and(|p| reused.contains(p)))
        {
            steps.push(RunStep {
                reused_from: Some(old.id.clone()),
                ..planned.clone()
            });
        }
        let now = self.now_ms();
        let mut run = self.new_run(&workflow, old.version, old.inputs.clone(), by, steps, now);
        run.rerun_of = Some(old.id.clone());
        run.from_step = Some(from_step.to_string());
        run.context = old.context.clone();
        run.saved = Some(saved);
        self.journal.create(&run).await?;
        self.launch(run.clone(), workflow);
        Ok(run)
    }

    /// Whether the workflow has runs under way.
    pub async fn has_unfinished(&self, workflow_id: &str) -> Result<bool, RunError> {
        Ok(self.journal.has_unfinished(workflow_id).await?)
    }
}

/// How an audited run action ended: `ok`, `refused: <why>` when the
/// request was turned down, `failed: <why>` when the store failed.
fn outcome<T>(result: &Result<T, RunError>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(err @ RunError::Store(_)) => format!("failed: {err}"),
        Err(err) => format!("refused: {err}"),
    }
}

/// Every step `from` needs, directly or not.
fn upstream_of(workflow: &Workflow, from: usize) -> BTreeSet<usize> {
    let needs = workflow::validate::dependencies(workflow);
    let mut seen = BTreeSet::new();
    let mut todo = needs[from].clone();
    while let Some(i) = todo.pop() {
        if seen.insert(i) {
            todo.extend(&needs[i]);
        }
    }
    seen
}
