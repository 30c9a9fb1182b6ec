//! One run's driver: it owns the run while it is under way. It starts each
//! step as soon as the schedule allows, hears the steps' progress and
//! ends, the person's commands (cancel, pause, approve) and the approvals'
//! timeouts, and records every change before it tells anyone.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::execute::{self, failure, Context, Ended, Prepared, Progress};
use super::model::{ContextValue, Decision, Run, RunEvent, RunStatus, RunSummary, StepEvent, StepStatus};
use super::{RunError, RunNews, Runs};
use crate::orchestrator::model::TaskFailure;
use crate::workflow::model::{OnError, StepKind, Workflow};
use crate::workflow::render::{self, Scope};
use crate::workflow::schedule::{RunEnd, Schedule, StepState};

/// What a person asks of a run under way.
pub(super) enum Command {
    Cancel {
        reply: oneshot::Sender<Result<(), RunError>>,
    },
    Pause {
        pause: bool,
        reply: oneshot::Sender<Result<(), RunError>>,
    },
    Decide {
        step: String,
        decision: Decision,
        reply: oneshot::Sender<Result<(), RunError>>,
    },
}

type Running = FuturesUnordered<BoxFuture<'static, (usize, Ended)>>;

/// How long a step's task progress (a task sent, an attempt ended) may wait
/// to be recorded. A forEach step of 1,000 items reports 2,000 times and
/// its record holds every task: recording each report rewrote the whole
/// list each time. A step's own changes (started, retrying, ended) are
/// recorded at once; a crash loses at most this much task progress, which
/// the tasks' keys make good on resume.
const PROGRESS_EVERY: Duration = Duration::from_millis(50);

pub(super) struct Driver {
    ctx: Arc<Context>,
    /// The run as it stands; what is recorded is a copy of it.
    run: Run,
    schedule: Schedule,
    /// Per definition step (by index), where it stands for the schedule.
    states: Vec<StepState>,
    /// The outputs of the steps that succeeded, by step id.
    outputs: HashMap<String, Value>,
    /// Where each step (planned ones too) sits in `run.steps`.
    index: HashMap<String, usize>,
    /// Taken by `drive`, which listens to them.
    commands: Option<mpsc::UnboundedReceiver<Command>>,
    progress: Option<mpsc::UnboundedReceiver<Progress>>,
    paused: bool,
    /// Steps (places in `run.steps`) with task progress not recorded yet,
    /// and when it is due.
    unsaved: BTreeSet<usize>,
    save_due: Option<tokio::time::Instant>,
}

impl Driver {
    pub(super) fn new(
        runs: Arc<Runs>,
        run: Run,
        workflow: Arc<Workflow>,
        commands: mpsc::UnboundedReceiver<Command>,
    ) -> Driver {
        let (progress_tx, progress) = mpsc::unbounded_channel();
        let ctx = Arc::new(Context {
            runs,
            run_id: run.id.clone(),
            workflow: Arc::clone(&workflow),
            inputs: Arc::new(run.inputs.clone()),
            progress: progress_tx,
            cancel: CancellationToken::new(),
        });
        let index: HashMap<String, usize> = run.steps.iter().enumerate().map(|(i, s)| (s.id.clone(), i)).collect();
        let mut states = vec![StepState::Pending; workflow.steps.len()];
        let mut outputs = HashMap::new();
        // A resumed run: what ended stays ended; what was under way starts
        // again and re-attaches to its tasks.
        for (i, step) in workflow.steps.iter().enumerate() {
            let Some(record) = index.get(&step.id).map(|&p| &run.steps[p]) else {
                continue;
            };
            states[i] = match record.status {
                StepStatus::Succeeded => {
                    outputs.insert(step.id.clone(), record.output.clone().unwrap_or(Value::Null));
                    StepState::Succeeded
                }
                StepStatus::Failed | StepStatus::Cancelled => StepState::Failed,
                StepStatus::Skipped => StepState::Skipped,
                StepStatus::Pending | StepStatus::Running | StepStatus::Retrying | StepStatus::Waiting => {
                    StepState::Pending
                }
            };
        }
        for i in 0..workflow.steps.len() {
            if states[i] == StepState::Succeeded {
                stand_in(&workflow, i, &states, &mut outputs);
            }
        }
        Driver {
            schedule: Schedule::new(&workflow),
            paused: run.status == RunStatus::Paused,
            ctx,
            run,
            states,
            outputs,
            index,
            commands: Some(commands),
            progress: Some(progress),
            unsaved: BTreeSet::new(),
            save_due: None,
        }
    }

    fn runs(&self) -> &Runs {
        &self.ctx.runs
    }

    fn now(&self) -> i64 {
        self.ctx.runs.now_ms()
    }

    /// Records step `p` (its place in `run.steps`) and tells the listeners.
    fn save_step(&mut self, p: usize) {
        self.unsaved.remove(&p);
        self.run.updated_ms = self.now();
        let step = &self.run.steps[p];
        self.runs().journal.save_step(&self.run.id, p, step, None);
        self.runs().emit(RunNews::Step(StepEvent {
            run_id: self.run.id.clone(),
            step: step.clone(),
        }));
    }

    /// Records step `p`'s task progress within [`PROGRESS_EVERY`].
    fn save_progress_soon(&mut self, p: usize) {
        if self.unsaved.is_empty() {
            self.save_due = Some(tokio::time::Instant::now() + PROGRESS_EVERY);
        }
        self.unsaved.insert(p);
    }

    /// Records every step with task progress not recorded yet.
    fn save_progress(&mut self) {
        while let Some(p) = self.unsaved.first().copied() {
            self.save_step(p);
        }
    }

    fn save_run(&mut self) {
        self.run.updated_ms = self.now();
        self.runs().journal.save_run(&self.run, None);
        self.emit_run();
    }

    fn emit_run(&self) {
        self.runs().emit(RunNews::Run(RunEvent {
            run: RunSummary::from(&self.run),
        }));
    }

    /// Where definition step `i` sits in `run.steps`.
    fn place(&self, i: usize) -> usize {
        self.index[&self.ctx.workflow.steps[i].id]
    }

    /// What the run's templates see: its inputs, the outputs so far and
    /// `context` (from [`Driver::context`]).
    fn scope<'a>(&'a self, context: &'a Map<String, Value>) -> Scope<'a> {
        Scope {
            inputs: Some(&self.ctx.inputs),
            outputs: Some(&self.outputs),
            context: Some(context),
            item: None,
        }
    }

    /// The run's shared context as templates see it: the values not expired.
    fn context(&self) -> Map<String, Value> {
        let now = self.now();
        self.run
            .context
            .iter()
            .filter(|c| c.expires_ms.is_none_or(|at| at > now))
            .map(|c| (c.name.clone(), c.value.clone()))
            .collect()
    }

    pub(super) async fn drive(mut self) {
        let mut running: Running = FuturesUnordered::new();
        let life = self.runs().life.token();
        let (Some(mut commands), Some(mut progress)) = (self.commands.take(), self.progress.take()) else {
            return;
        };
        loop {
            if self.ctx.cancel.is_cancelled() {
                if running.is_empty() {
                    return self.finish(RunStatus::Cancelled, None).await;
                }
            } else {
                loop {
                    let next = self.schedule.next(&self.states);
                    let mut changed = false;
                    for &i in &next.skip {
                        self.skip(i);
                        changed = true;
                    }
                    if !self.paused {
                        for &i in &next.start {
                            self.start(i, &mut running);
                            changed = true;
                        }
                    }
                    if let Some(end) = next.end.filter(|_| running.is_empty()) {
                        return self.end(end).await;
                    }
                    if !changed {
                        break;
                    }
                }
            }
            self.settle_status(&running);
            let deadline = self.next_deadline();
            tokio::select! {
                // Checked first: when the app stops, the steps' waits end
                // too, and none of those ends may be recorded as the step's.
                biased;
                // The app stops: the run stays as recorded and resumes at the next start.
                _ = life.cancelled() => return self.save_progress(),
                Some((i, end)) = running.next(), if !running.is_empty() => {
                    if life.is_cancelled() {
                        return self.save_progress();
                    }
                    // The step's last progress comes first.
                    while let Ok(news) = progress.try_recv() {
                        self.progressed(news);
                    }
                    self.ended(i, end)
                }
                Some(news) = progress.recv() => self.progressed(news),
                Some(command) = commands.recv() => self.command(command).await,
                _ = sleep_until_ms(deadline, self.now()), if deadline.is_some() => self.time_out_approvals(),
                _ = sleep_until(self.save_due), if !self.unsaved.is_empty() => self.save_progress(),
            }
        }
    }

    /// Running, waiting (only approvals are open) or paused, as it is now.
    fn settle_status(&mut self, running: &Running) {
        let waiting = self.run.steps.iter().any(|s| s.status == StepStatus::Waiting);
        let status = if self.ctx.cancel.is_cancelled() {
            self.run.status
        } else if self.paused {
            RunStatus::Paused
        } else if running.is_empty() && waiting {
            RunStatus::Waiting
        } else {
            RunStatus::Running
        };
        if status != self.run.status {
            self.run.status = status;
            self.save_run();
        }
    }

    fn skip(&mut self, i: usize) {
        self.states[i] = StepState::Skipped;
        let p = self.place(i);
        let now = self.now();
        let step = &mut self.run.steps[p];
        step.status = StepStatus::Skipped;
        step.finished_ms = Some(now);
        self.save_step(p);
    }

    fn start(&mut self, i: usize, running: &mut Running) {
        let p = self.place(i);
        let now = self.now();
        let workflow = Arc::clone(&self.ctx.workflow);
        let step = &workflow.steps[i];
        self.states[i] = StepState::Running;
        if let StepKind::Approval { approvals, timeout_ms } = step.kind {
            let record = &mut self.run.steps[p];
            record.status = StepStatus::Waiting;
            record.approvals = approvals;
            record.started_ms.get_or_insert(now);
            record.deadline_ms.get_or_insert(now + timeout_ms as i64);
            return self.save_step(p);
        }
        let context = self.context();
        let scope = self.scope(&context);
        let prepared = execute::prepare(step, &scope);
        let record = &mut self.run.steps[p];
        record.started_ms = Some(now);
        match prepared {
            Ok(Prepared::Skip) => {
                self.states[i] = StepState::Skipped;
                record.status = StepStatus::Skipped;
                record.finished_ms = Some(now);
            }
            Err(failure) => {
                self.states[i] = StepState::Failed;
                record.status = StepStatus::Failed;
                record.error = Some(failure);
                record.finished_ms = Some(now);
            }
            Ok(prepared) => {
                record.status = StepStatus::Running;
                record.input = Some(match &prepared {
                    Prepared::Items(items) => Value::Array(items.clone()),
                    Prepared::One(input) => input.clone(),
                    Prepared::Skip => Value::Null,
                });
                let prior = record.tasks.clone();
                let ctx = Arc::clone(&self.ctx);
                running.push(Box::pin(async move {
                    let step = &ctx.workflow.steps[i];
                    let end = execute::run(&ctx, &step.id, step, prepared, &prior, 0).await;
                    (i, end)
                }));
            }
        }
        self.save_step(p);
    }

    fn progressed(&mut self, progress: Progress) {
        match progress {
            Progress::Task { step, task } => {
                let Some(&p) = self.index.get(&step) else { return };
                let record = &mut self.run.steps[p];
                let retrying = task.outcome.is_none() && task.attempts > 1 && record.status == StepStatus::Running;
                if retrying {
                    record.status = StepStatus::Retrying;
                }
                match record.tasks.iter_mut().find(|t| t.item == task.item) {
                    Some(known) => *known = task,
                    None => record.tasks.push(task),
                }
                if retrying {
                    self.save_step(p);
                } else {
                    self.save_progress_soon(p);
                }
            }
            Progress::Held { step, why } => {
                let Some(&p) = self.index.get(&step) else { return };
                self.run.steps[p].held = why;
                self.save_step(p);
            }
            Progress::Step(planned) => {
                let p = match self.index.get(&planned.id) {
                    Some(&p) => {
                        let keep = std::mem::take(&mut self.run.steps[p].tasks);
                        self.run.steps[p] = *planned;
                        if self.run.steps[p].tasks.is_empty() {
                            self.run.steps[p].tasks = keep;
                        }
                        p
                    }
                    None => {
                        self.run.steps.push(*planned);
                        let p = self.run.steps.len() - 1;
                        self.index.insert(self.run.steps[p].id.clone(), p);
                        p
                    }
                };
                self.save_step(p);
            }
        }
    }

    fn ended(&mut self, i: usize, end: Ended) {
        let p = self.place(i);
        let now = self.now();
        match end {
            Ended::Succeeded(output) => {
                self.states[i] = StepState::Succeeded;
                let id = self.ctx.workflow.steps[i].id.clone();
                self.outputs.insert(id, output.clone());
                stand_in(&self.ctx.workflow, i, &self.states, &mut self.outputs);
                let record = &mut self.run.steps[p];
                record.status = StepStatus::Succeeded;
                record.output = Some(output);
                record.error = None;
                if let Err(failure) = self.share(i) {
                    self.states[i] = StepState::Failed;
                    self.run.steps[p].status = StepStatus::Failed;
                    self.run.steps[p].error = Some(failure);
                }
            }
            Ended::Failed(failure) => {
                self.states[i] = StepState::Failed;
                self.run.steps[p].status = StepStatus::Failed;
                self.run.steps[p].error = Some(failure);
            }
            Ended::Cancelled => {
                self.states[i] = StepState::Failed;
                self.run.steps[p].status = StepStatus::Cancelled;
            }
        }
        self.run.steps[p].finished_ms = Some(now);
        self.save_step(p);
        self.emit_run();
    }

    /// Puts the values step `i` shares into the run's context.
    fn share(&mut self, i: usize) -> Result<(), TaskFailure> {
        let step = &self.ctx.workflow.steps[i];
        if step.share.is_empty() {
            return Ok(());
        }
        let context = self.context();
        let now = self.now();
        let mut values = Vec::new();
        for (s, share) in step.share.iter().enumerate() {
            let scope = self.scope(&context);
            let value = render::input(&Value::String(share.value.clone()), &scope)
                .map_err(|err| failure("template", format!("share[{s}].value: {}", err.message)))?;
            values.push(ContextValue {
                name: share.key.clone(),
                value,
                step: step.id.clone(),
                expires_ms: share.ttl_ms.map(|ttl| now + ttl as i64),
            });
        }
        for value in values {
            self.run.context.retain(|c| c.name != value.name);
            self.run.context.push(value);
        }
        self.save_run();
        Ok(())
    }

    async fn command(&mut self, command: Command) {
        match command {
            Command::Cancel { reply } => {
                self.ctx.cancel.cancel();
                for p in 0..self.run.steps.len() {
                    if self.run.steps[p].status == StepStatus::Waiting {
                        self.run.steps[p].status = StepStatus::Cancelled;
                        self.save_step(p);
                    }
                }
                let _ = reply.send(Ok(()));
            }
            Command::Pause { pause, reply } => {
                self.paused = pause;
                self.run.status = if pause { RunStatus::Paused } else { RunStatus::Running };
                self.save_run();
                let _ = reply.send(self.runs().journal.flush().await.map_err(Into::into));
            }
            Command::Decide { step, decision, reply } => {
                let result = self.decide(&step, decision);
                if result.is_ok() {
                    // A decision is committed before it is acknowledged.
                    if let Err(err) = self.runs().journal.flush().await {
                        let _ = reply.send(Err(err.into()));
                        return;
                    }
                }
                let _ = reply.send(result);
            }
        }
    }

    fn decide(&mut self, step: &str, decision: Decision) -> Result<(), RunError> {
        let Some(&p) = self.index.get(step) else {
            return Err(RunError::NotFound(format!("run {} has no step `{step}`", self.run.id)));
        };
        let Some(i) = self.ctx.workflow.steps.iter().position(|s| s.id == step) else {
            return Err(RunError::NotFound(format!("run {} has no step `{step}`", self.run.id)));
        };
        let now = self.now();
        let record = &mut self.run.steps[p];
        if record.status != StepStatus::Waiting {
            return Err(RunError::Conflict(format!(
                "step `{step}` is {}, not waiting for an approval",
                serde_json::to_value(record.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            )));
        }
        let approve = decision.approve;
        record.decisions.push(decision);
        let approvals = record.decisions.iter().filter(|d| d.approve).count() as u32;
        if !approve {
            let last = record.decisions.last().cloned();
            record.status = StepStatus::Failed;
            record.error = Some(failure(
                "rejected",
                format!(
                    "rejected by {}{}",
                    last.as_ref().map_or("", |d| d.by.as_str()),
                    last.as_ref()
                        .filter(|d| !d.note.is_empty())
                        .map_or(String::new(), |d| format!(": {}", d.note))
                ),
            ));
            record.finished_ms = Some(now);
            self.states[i] = StepState::Failed;
        } else if approvals >= record.approvals {
            record.status = StepStatus::Succeeded;
            let by: Vec<&str> = record.decisions.iter().map(|d| d.by.as_str()).collect();
            let output = serde_json::json!({ "approved": true, "by": by });
            record.output = Some(output.clone());
            record.finished_ms = Some(now);
            self.states[i] = StepState::Succeeded;
            self.outputs.insert(step.to_string(), output);
        }
        self.save_step(p);
        self.emit_run();
        Ok(())
    }

    /// The soonest time an approval that waits runs out.
    fn next_deadline(&self) -> Option<i64> {
        self.run
            .steps
            .iter()
            .filter(|s| s.status == StepStatus::Waiting)
            .filter_map(|s| s.deadline_ms)
            .min()
    }

    fn time_out_approvals(&mut self) {
        let now = self.now();
        for (i, step) in self.ctx.workflow.clone().steps.iter().enumerate() {
            let p = self.index[&step.id];
            let record = &mut self.run.steps[p];
            if record.status == StepStatus::Waiting && record.deadline_ms.is_some_and(|at| at <= now) {
                record.status = StepStatus::Failed;
                record.error = Some(failure(
                    "approval_timeout",
                    format!(
                        "{} of {} approvals came before the step timed out",
                        record.decisions.len(),
                        record.approvals
                    ),
                ));
                record.finished_ms = Some(now);
                self.states[i] = StepState::Failed;
                self.save_step(p);
            }
        }
    }

    /// The schedule says the run has ended.
    async fn end(self, end: RunEnd) {
        match end {
            RunEnd::Succeeded => self.finish(RunStatus::Succeeded, None).await,
            RunEnd::Failed { step } => {
                let p = self.place(step);
                let record = &self.run.steps[p];
                let cause = record
                    .error
                    .clone()
                    .unwrap_or_else(|| failure("failed", "the step failed".into()));
                let error = TaskFailure {
                    code: cause.code,
                    message: format!("step `{}`: {}", record.id, cause.message),
                };
                self.finish(RunStatus::Failed, Some(error)).await
            }
        }
    }

    async fn finish(mut self, status: RunStatus, error: Option<TaskFailure>) {
        self.save_progress();
        let now = self.now();
        self.run.status = status;
        self.run.error = error;
        self.run.finished_ms = Some(now);
        // A step that never ran ends with the run: cancelled with it, or
        // skipped (a fallback whose step succeeded; what a stop left).
        let left = if status == RunStatus::Cancelled {
            StepStatus::Cancelled
        } else {
            StepStatus::Skipped
        };
        for p in 0..self.run.steps.len() {
            if !self.run.steps[p].status.is_final() {
                self.run.steps[p].status = left;
                self.run.steps[p].finished_ms.get_or_insert(now);
                self.save_step(p);
            }
        }
        if status == RunStatus::Succeeded {
            match self.outputs() {
                Ok(outputs) => self.run.outputs = Some(outputs),
                Err(failure) => {
                    self.run.status = RunStatus::Failed;
                    self.run.error = Some(failure);
                }
            }
        }
        self.run.updated_ms = now;
        self.runs().journal.save_run(&self.run, None);
        // The end is committed before anyone hears of it.
        if let Err(err) = self.runs().journal.flush().await {
            tracing::warn!(run = %self.run.id, cause = %err, "cannot record the end of a run");
        }
        self.runs().retire(&self.run.id);
        self.emit_run();
    }

    /// The workflow's outputs, rendered from the steps' outputs.
    fn outputs(&self) -> Result<Map<String, Value>, TaskFailure> {
        let context = self.context();
        let scope = self.scope(&context);
        self.ctx
            .workflow
            .outputs
            .iter()
            .map(|output| {
                render::input(&Value::String(output.from.clone()), &scope)
                    .map(|value| (output.name.clone(), value))
                    .map_err(|err| failure("template", format!("outputs.{}: {}", output.name, err.message)))
            })
            .collect()
    }
}

/// A fallback that succeeded stands in for the steps it replaced: their
/// output, for the steps after them, is its output.
fn stand_in(workflow: &Workflow, fallback: usize, states: &[StepState], outputs: &mut HashMap<String, Value>) {
    let id = &workflow.steps[fallback].id;
    let Some(output) = outputs.get(id).cloned() else { return };
    for (j, step) in workflow.steps.iter().enumerate() {
        if matches!(&step.on_error, OnError::Fallback(target) if target == id) && states[j] == StepState::Failed {
            outputs.insert(step.id.clone(), output.clone());
        }
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    tokio::time::sleep_until(at.unwrap_or_else(tokio::time::Instant::now)).await;
}

/// Sleeps until the wall-clock time `at_ms` (`now_ms` is the time now).
async fn sleep_until_ms(at_ms: Option<i64>, now_ms: i64) {
    let wait = at_ms.map_or(0, |at| (at - now_ms).max(0)) as u64;
    tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
}
