//! Running one step of a run: its templates rendered, then its tasks sent
//! through the orchestrator (so routing, breakers, retries and dead
//! letters are the tasks' own), each with the idempotency key
//! `run:<run>:step:<step>[:<item>]`: after a crash the same step re-attaches
//! to its tasks instead of sending new ones.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::model::{RunStep, StepStatus, StepTask};
use super::patterns::{self, PatternError};
use super::Runs;
use crate::error::Coded;
use crate::orchestrator::model::{NewTask, Task, TaskFailure, TaskStatus};
use crate::security::Principal;
use crate::workflow::model::{Merge, Step, StepKind, Workflow};
use crate::workflow::render::{self, Scope};
use crate::workflow::schedule::{RunEnd, Schedule, StepState};

/// What a running step reports before it ends.
pub(super) enum Progress {
    /// One of the step's tasks was sent or ended.
    Task { step: String, task: StepTask },
    /// A step a hierarchical plan added, as it stands now.
    Step(Box<RunStep>),
    /// The step waits for a healthy agent (why), or goes on (none).
    Held { step: String, why: Option<String> },
}

/// How a step ended.
#[derive(Debug)]
pub(super) enum Ended {
    Succeeded(Value),
    Failed(TaskFailure),
    Cancelled,
}

/// What a step will do, its templates rendered.
pub(super) enum Prepared {
    /// `when` was false.
    Skip,
    /// One input (every kind but forEach).
    One(Value),
    /// A forEach step's input per item.
    Items(Vec<Value>),
}

/// Renders a step's `when`, `forEach` items and input in `scope`.
pub(super) fn prepare(step: &Step, scope: &Scope<'_>) -> Result<Prepared, TaskFailure> {
    let failed = |err: render::RenderError| failure("template", err.to_string());
    if let Some(when) = &step.when {
        if !render::condition(when, scope).map_err(failed)? {
            return Ok(Prepared::Skip);
        }
    }
    match &step.kind {
        StepKind::ForEach { over } => {
            let items = render::items(over, scope).map_err(failed)?;
            let inputs = items
                .iter()
                .map(|item| {
                    render::input(
                        &step.input,
                        &Scope {
                            item: Some(item),
                            ..*scope
                        },
                    )
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(failed)?;
            Ok(Prepared::Items(inputs))
        }
        _ => Ok(Prepared::One(render::input(&step.input, scope).map_err(failed)?)),
    }
}

pub(super) fn failure(code: &str, message: String) -> TaskFailure {
    TaskFailure {
        code: code.into(),
        message,
    }
}

impl From<PatternError> for TaskFailure {
    fn from(err: PatternError) -> Self {
        failure(err.code, err.message)
    }
}

/// What the steps of one run share.
pub(super) struct Context {
    pub runs: Arc<Runs>,
    pub run_id: String,
    pub workflow: Arc<Workflow>,
    pub inputs: Arc<Map<String, Value>>,
    pub progress: mpsc::UnboundedSender<Progress>,
    /// Cancelled when the run is cancelled.
    pub cancel: CancellationToken,
}

impl Context {
    fn principal(&self) -> Principal {
        Principal::Run {
            run_id: self.run_id.clone(),
        }
    }

    fn hold(&self, step: &str, why: Option<String>) {
        let _ = self.progress.send(Progress::Held {
            step: step.to_string(),
            why,
        });
    }

    fn report(&self, step: &str, task: StepTask) {
        let _ = self.progress.send(Progress::Task {
            step: step.to_string(),
            task,
        });
    }
}

/// The value later templates see as a task's output: its parsed JSON when
/// it has one, else its text.
pub fn output_of(result: Option<&Value>) -> Value {
    let Some(result) = result else { return Value::Null };
    match result.get("json") {
        Some(json) if !json.is_null() => json.clone(),
        _ => result.get("text").cloned().unwrap_or(Value::Null),
    }
}

fn tokens_of(task: &Task) -> u64 {
    let usage = task.result.as_ref().and_then(|r| r.get("usage"));
    let field = |name| usage.and_then(|u| u.get(name)).and_then(Value::as_u64).unwrap_or(0);
    field("promptTokens") + field("completionTokens")
}

fn step_task(task: &Task, item: Option<&str>) -> StepTask {
    let why = task.route.as_ref().and_then(|route| {
        let chosen = route.chosen_candidate()?;
        Some(format!(
            "{} ({}) scored best of {} candidate(s) for `{}`",
            chosen.agent_id,
            chosen.container,
            route.candidates.len(),
            task.capability.as_deref().unwrap_or(&task.task_type)
        ))
    });
    StepTask {
        item: item.map(str::to_string),
        task_id: task.id.clone(),
        agent: task.assigned_agent.clone(),
        why: why.or_else(|| task.agent_id.as_ref().map(|a| format!("the step names {a}"))),
        attempts: task.attempts,
        outcome: task.status.is_final().then(|| task.status.as_str().to_string()),
        tokens: tokens_of(task),
        duration_ms: task.finished_ms.map(|end| end - task.created_ms),
    }
}

/// A step's task's idempotency key: `run:<run>:step:<step>[:<item>]`.
fn key(run_id: &str, step_id: &str, item: Option<&str>) -> String {
    match item {
        Some(item) => format!("run:{run_id}:step:{step_id}:{item}"),
        None => format!("run:{run_id}:step:{step_id}"),
    }
}

/// Why `task` cannot be served now: the agent it names, or every agent
/// with its capability, is deployed (running) but not healthy. None when a
/// healthy one can take it, or when none is deployed at all (the task
/// waits in the queue for a deploy, as every task does).
fn unserved(ctx: &Context, task: &NewTask) -> Option<String> {
    let endpoints = ctx.runs.endpoints.borrow().clone();
    let (wanted, what): (Vec<String>, String) = match (&task.agent_id, &task.capability) {
        (Some(agent), _) => (vec![agent.clone()], agent.clone()),
        (None, Some(capability)) => (
            (ctx.runs.catalog)()
                .with_capability(capability)
                .iter()
                .map(|e| e.manifest.id.clone())
                .collect(),
            format!("`{capability}`"),
        ),
        (None, None) => return None,
    };
    let deployed: Vec<&str> = endpoints
        .iter()
        .filter(|e| wanted.contains(&e.agent_id))
        .map(|e| e.agent_id.as_str())
        .collect();
    let healthy = endpoints.iter().any(|e| e.healthy && wanted.contains(&e.agent_id));
    (!deployed.is_empty() && !healthy).then(|| {
        let mut agents = deployed.clone();
        agents.dedup();
        format!(
            "no healthy agent can take {what}: {} deployed but not healthy; it goes on once one is",
            agents.join(", ")
        )
    })
}

/// Waits while `task` cannot be served (see [`unserved`]), the step held
/// with why; Err(None) when the run is cancelled or the engine stops.
async fn until_served(ctx: &Context, step_id: &str, task: &NewTask) -> Result<(), Option<TaskFailure>> {
    let Some(why) = unserved(ctx, task) else { return Ok(()) };
    ctx.hold(step_id, Some(why));
    let mut changes = ctx.runs.endpoints.clone();
    while unserved(ctx, task).is_some() {
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return Err(None) },
            _ = ctx.cancel.cancelled() => return Err(None),
            _ = ctx.runs.life.cancelled() => return Err(None),
        }
    }
    ctx.hold(step_id, None);
    Ok(())
}

/// One task of a step: sent (or re-attached by its key), waited for,
/// reported. Its output, or why it failed. While the agents that could
/// take it are deployed but none is healthy, it waits (held) first.
async fn task(
    ctx: &Context,
    step_id: &str,
    step: &Step,
    item: Option<&str>,
    agent: Option<&str>,
    payload: Value,
) -> Result<Value, Option<TaskFailure>> {
    let key = key(&ctx.run_id, step_id, item);
    let new = NewTask {
        capability: step.capability.clone(),
        agent_id: agent.map(str::to_string).or_else(|| step.agent.clone()),
        task_type: step.task_type.clone().unwrap_or_default(),
        payload,
        timeout_ms: step.timeout_ms,
        idempotency_key: Some(key),
        max_attempts: step.retry.map(|r| r.attempts),
        retry_backoff_ms: step.retry.map(|r| r.backoff_ms).filter(|&ms| ms > 0),
        name: Some(format!("{} / {step_id}", ctx.workflow.id)),
        ..NewTask::default()
    };
    until_served(ctx, step_id, &new).await?;
    let orchestrator = ctx.runs.orchestrator();
    let (mut task, told) = orchestrator
        .submit_watched(new, &ctx.principal())
        .await
        .map_err(|err| Some(failure(&err.code().wire_name(), err.to_string())))?;
    ctx.report(step_id, step_task(&task, item));
    // Told of its end by the waiter placed with it; a task that was there
    // already (a resumed step) is waited for below.
    tokio::select! {
        told = told => if let Ok(ended) = told { task = ended },
        _ = ctx.cancel.cancelled() => {
            let _ = orchestrator.cancel(&task.id).await;
            return Err(None);
        }
        // The engine stops: the task stays, and the step re-attaches to it
        // at the next start.
        _ = ctx.runs.life.cancelled() => return Err(None),
    }
    while !task.status.is_final() {
        let left = Duration::from_millis((task.deadline_ms - ctx.runs.now_ms()).max(0) as u64 + 5_000);
        task = tokio::select! {
            waited = orchestrator.wait(&task.id, left) => waited.map_err(|err| Some(failure(&err.code().wire_name(), err.to_string())))?,
            _ = ctx.cancel.cancelled() => {
                let _ = orchestrator.cancel(&task.id).await;
                return Err(None);
            }
            _ = ctx.runs.life.cancelled() => return Err(None),
        };
    }
    ctx.report(step_id, step_task(&task, item));
    match task.status {
        TaskStatus::Succeeded => Ok(output_of(task.result.as_ref())),
        TaskStatus::Cancelled if ctx.cancel.is_cancelled() => Err(None),
        status => Err(Some(task.error.clone().unwrap_or_else(|| {
            failure(status.as_str(), format!("task {} ended {}", task.id, status.as_str()))
        }))),
    }
}

fn ended(result: Result<Value, Option<TaskFailure>>) -> Ended {
    match result {
        Ok(output) => Ended::Succeeded(output),
        Err(Some(failure)) => Ended::Failed(failure),
        Err(None) => Ended::Cancelled,
    }
}

/// Runs a prepared step to its end. `id` is its id in the run (a planned
/// step's carries its parent); `depth` is how deep in plans it sits.
pub(super) fn run<'a>(
    ctx: &'a Arc<Context>,
    id: &'a str,
    step: &'a Step,
    prepared: Prepared,
    prior: &'a [StepTask],
    depth: u32,
) -> BoxFuture<'a, Ended> {
    Box::pin(async move {
        match (&step.kind, prepared) {
            (_, Prepared::Skip) => Ended::Failed(failure("internal", "a skipped step does not run".into())),
            (StepKind::ForEach { .. }, Prepared::Items(inputs)) => for_each(ctx, id, step, inputs).await,
            (StepKind::Collaborative { agents, merge }, Prepared::One(input)) => {
                collaborate(ctx, id, step, input, *agents, *merge, prior).await
            }
            (StepKind::Swarm { agents, rounds }, Prepared::One(input)) => {
                swarm(ctx, id, step, input, *agents, *rounds, prior).await
            }
            (StepKind::Hierarchical { max_steps, max_depth }, Prepared::One(input)) => {
                coordinate(ctx, id, step, input, *max_steps, depth, *max_depth).await
            }
            (StepKind::Approval { .. }, _) => Ended::Failed(failure(
                "internal",
                "an approval waits in the run, not in a task".into(),
            )),
            (_, Prepared::One(input)) => ended(task(ctx, id, step, None, None, input).await),
            (_, Prepared::Items(_)) => Ended::Failed(failure("internal", "items outside a forEach step".into())),
        }
    })
}

/// One task per item, all at once; the outputs in item order.
async fn for_each(ctx: &Arc<Context>, id: &str, step: &Step, inputs: Vec<Value>) -> Ended {
    // Each item's task on a tokio task of its own, so the items' submits
    // and waits spread over the runtime's threads (inside the driver's one
    // task they ran on one core, at two thirds of plain task throughput).
    let step = Arc::new(step.clone());
    let mut pending: FuturesUnordered<_> = inputs
        .into_iter()
        .enumerate()
        .map(|(i, input)| {
            let (own, id, step) = (Arc::clone(ctx), id.to_string(), Arc::clone(&step));
            ctx.runs.life.spawn(async move {
                let ctx = own;
                let item = i.to_string();
                (i, task(&ctx, &id, &step, Some(&item), None, input).await)
            })
        })
        .collect();
    let mut outputs = vec![Value::Null; pending.len()];
    while let Some(joined) = pending.next().await {
        let Ok((i, result)) = joined else {
            return Ended::Failed(failure("internal", "an item's task stopped unexpectedly".into()));
        };
        match result {
            Ok(output) => outputs[i] = output,
            Err(Some(failure)) => {
                return Ended::Failed(TaskFailure {
                    message: format!("item {i}: {}", failure.message),
                    ..failure
                })
            }
            Err(None) => return Ended::Cancelled,
        }
    }
    Ended::Succeeded(Value::Array(outputs))
}

/// How long a collaborative or swarm step waits for enough healthy agents,
/// as a queued task waits for its agent: right after a start the fleet has
/// not yet said which agents are up (a resumed run gets there first), and
/// an agent may be restarting.
const AGENTS_WAIT: Duration = Duration::from_secs(60);

/// `count` distinct agents that have the step's capability and task type,
/// by id. A resumed step keeps the agents it chose before, so that it
/// re-attaches to their tasks: those in its record and, since a crash may
/// lose the last changes of that record, those its stored tasks' keys name.
/// The others are healthy agents, waited for (at most [`AGENTS_WAIT`])
/// while too few are healthy.
async fn choose_agents(
    ctx: &Context,
    id: &str,
    step: &Step,
    count: u32,
    prior: &[StepTask],
) -> Result<Vec<String>, Ended> {
    let count = count as usize;
    let agent_of = |item: &str| item.rsplit(':').next().unwrap_or(item).to_string();
    let mut chosen: Vec<String> = Vec::new();
    let mut keep = |agent: String| {
        if !chosen.contains(&agent) {
            chosen.push(agent);
        }
    };
    prior
        .iter()
        .filter_map(|t| t.item.as_deref())
        .for_each(|item| keep(agent_of(item)));
    let prefix = format!("{}:", key(&ctx.run_id, id, None));
    match ctx.runs.journal.keyed_items(&prefix).await {
        Ok(items) => items.iter().for_each(|item| keep(agent_of(item))),
        Err(err) => return Err(Ended::Failed(failure("store", err.to_string()))),
    }
    if chosen.len() >= count {
        chosen.truncate(count);
        chosen.sort();
        return Ok(chosen);
    }
    let catalog = ctx.runs.catalog();
    let task_type = step.task_type.as_deref().unwrap_or_default();
    let able = |agent: &str| {
        catalog.get(agent).is_some_and(|entry| {
            step.capability
                .as_ref()
                .is_none_or(|c| entry.manifest.capabilities.contains(c))
                && entry.manifest.knows_task_type(task_type)
        })
    };
    let not_enough = |healthy: &[String]| {
        Ended::Failed(failure(
            "not_enough_agents",
            format!(
                "the step needs {count} distinct healthy agents with capability `{}` and task type `{task_type}`; {} are: {}",
                step.capability.as_deref().unwrap_or("-"),
                healthy.len(),
                if healthy.is_empty() { "none".into() } else { healthy.join(", ") }
            ),
        ))
    };
    let mut endpoints = ctx.runs.endpoints();
    let deadline = tokio::time::Instant::now() + AGENTS_WAIT;
    loop {
        let mut healthy: Vec<String> = endpoints
            .borrow_and_update()
            .iter()
            .filter(|e| e.healthy && able(&e.agent_id))
            .map(|e| e.agent_id.clone())
            .collect();
        healthy.sort();
        healthy.dedup();
        let mut agents = chosen.clone();
        for agent in &healthy {
            if agents.len() < count && !agents.contains(agent) {
                agents.push(agent.clone());
            }
        }
        if agents.len() == count {
            agents.sort();
            return Ok(agents);
        }
        // No catalog agent can ever make up the number: fail at once.
        let could = catalog.all().filter(|entry| able(&entry.manifest.id)).count();
        if could < count {
            return Err(not_enough(&healthy));
        }
        tokio::select! {
            changed = tokio::time::timeout_at(deadline, endpoints.changed()) => {
                if !matches!(changed, Ok(Ok(()))) {
                    return Err(not_enough(&healthy));
                }
            }
            () = ctx.cancel.cancelled() => return Err(Ended::Cancelled),
        }
    }
}

/// The same task to `count` distinct agents, merged.
async fn collaborate(
    ctx: &Context,
    id: &str,
    step: &Step,
    input: Value,
    count: u32,
    merge: Merge,
    prior: &[StepTask],
) -> Ended {
    let agents = match choose_agents(ctx, id, step, count, prior).await {
        Ok(agents) => agents,
        Err(end) => return end,
    };
    let mut pending: FuturesUnordered<_> = agents
        .iter()
        .enumerate()
        .map(|(i, agent)| {
            let input = input.clone();
            async move { (i, task(ctx, id, step, Some(agent), Some(agent), input).await) }
        })
        .collect();
    let mut answers: Vec<Option<Value>> = vec![None; agents.len()];
    let mut failures = Vec::new();
    while let Some((i, result)) = pending.next().await {
        match result {
            Ok(output) if merge == Merge::First => return Ended::Succeeded(output),
            Ok(output) => answers[i] = Some(output),
            Err(None) => return Ended::Cancelled,
            Err(Some(failure)) if merge == Merge::All => {
                return Ended::Failed(TaskFailure {
                    message: format!("{}: {}", agents[i], failure.message),
                    ..failure
                })
            }
            Err(Some(failure)) => failures.push(format!("{}: {}", agents[i], failure.message)),
        }
    }
    let given: Vec<Value> = answers.iter().flatten().cloned().collect();
    match merge {
        Merge::All => Ended::Succeeded(Value::Array(given)),
        Merge::First => Ended::Failed(failure(
            "all_failed",
            format!("every agent failed: {}", failures.join("; ")),
        )),
        Merge::Majority => match patterns::majority(&given, agents.len()) {
            Ok(answer) => Ended::Succeeded(answer),
            Err(err) => Ended::Failed(err.into()),
        },
    }
}

/// `count` agents answer in rounds, each seeing the others' last answers,
/// until they agree or `rounds` have passed.
async fn swarm(
    ctx: &Context,
    id: &str,
    step: &Step,
    input: Value,
    count: u32,
    rounds: u32,
    prior: &[StepTask],
) -> Ended {
    let agents = match choose_agents(ctx, id, step, count, prior).await {
        Ok(agents) => agents,
        Err(end) => return end,
    };
    let mut last: Vec<Option<Value>> = vec![None; agents.len()];
    for round in 1..=rounds {
        let mut pending: FuturesUnordered<_> = agents
            .iter()
            .enumerate()
            .map(|(i, agent)| {
                let others: Vec<Value> = last
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .filter_map(|(_, answer)| answer.clone())
                    .collect();
                let payload = patterns::swarm_payload(&input, round, &others);
                let item = format!("r{round}:{agent}");
                async move { (i, task(ctx, id, step, Some(&item), Some(agent), payload).await) }
            })
            .collect();
        let mut answers: Vec<Option<Value>> = vec![None; agents.len()];
        while let Some((i, result)) = pending.next().await {
            match result {
                Ok(output) => answers[i] = Some(output),
                Err(None) => return Ended::Cancelled,
                Err(Some(_)) => {} // this agent sits the round out
            }
        }
        if answers.iter().all(Option::is_none) {
            return Ended::Failed(failure(
                "all_failed",
                format!("every agent of the swarm failed in round {round}"),
            ));
        }
        let given: Vec<Value> = answers.iter().flatten().cloned().collect();
        if given.len() == agents.len() && patterns::agreed(&given) {
            return Ended::Succeeded(serde_json::json!({ "answer": given[0], "agreed": true, "rounds": round }));
        }
        for (slot, answer) in last.iter_mut().zip(answers) {
            if answer.is_some() {
                *slot = answer;
            }
        }
    }
    let given: Vec<Value> = last.iter().flatten().cloned().collect();
    let answer = patterns::plurality(&given)
        .map(|(a, _)| a.clone())
        .unwrap_or(Value::Null);
    let answers: Map<String, Value> = agents
        .iter()
        .cloned()
        .zip(last.into_iter().map(|a| a.unwrap_or(Value::Null)))
        .collect();
    Ended::Succeeded(serde_json::json!({ "answer": answer, "agreed": false, "rounds": rounds, "answers": answers }))
}

/// A coordinator's task; its output is a plan whose steps then run as steps
/// of this run (`<id>/<step>`), checked exactly like a definition's.
async fn coordinate(
    ctx: &Arc<Context>,
    id: &str,
    step: &Step,
    input: Value,
    max_steps: u32,
    depth: u32,
    max_depth: u32,
) -> Ended {
    let output = match task(ctx, id, step, Some("plan"), None, input).await {
        Ok(output) => output,
        Err(err) => return ended(Err(err)),
    };
    let catalog = ctx.runs.catalog();
    let plan = match patterns::plan(&output, &ctx.workflow, max_steps, depth + 1, max_depth, &catalog) {
        Ok(plan) => plan,
        Err(err) => return Ended::Failed(err.into()),
    };
    let prefix = format!("{id}/");
    match graph(ctx, &plan, &prefix, Some(id), depth + 1).await {
        Ok(outputs) => Ended::Succeeded(Value::Object(outputs)),
        Err(end) => end,
    }
}

/// Runs a plan's steps as the schedule allows, reporting each; their
/// outputs by step id, or how the plan ended otherwise.
async fn graph(
    ctx: &Arc<Context>,
    plan: &Workflow,
    prefix: &str,
    parent: Option<&str>,
    depth: u32,
) -> Result<Map<String, Value>, Ended> {
    let schedule = Schedule::new(plan);
    let ids: Vec<String> = plan.steps.iter().map(|s| format!("{prefix}{}", s.id)).collect();
    let mut records: Vec<RunStep> = plan
        .steps
        .iter()
        .zip(&ids)
        .map(|(s, id)| {
            RunStep::new(
                id.clone(),
                parent.map(str::to_string),
                s.title.clone(),
                kind_name(&s.kind),
            )
        })
        .collect();
    let report = |record: &RunStep| {
        let _ = ctx.progress.send(Progress::Step(Box::new(record.clone())));
    };
    let mut states = vec![StepState::Pending; plan.steps.len()];
    let mut outputs: HashMap<String, Value> = HashMap::new();
    let mut running = FuturesUnordered::new();
    loop {
        let next = schedule.next(&states);
        for &i in &next.skip {
            states[i] = StepState::Skipped;
            records[i].status = StepStatus::Skipped;
            report(&records[i]);
        }
        for &i in &next.start {
            let scope = Scope {
                inputs: Some(&ctx.inputs),
                outputs: Some(&outputs),
                ..Scope::default()
            };
            let now = ctx.runs.now_ms();
            records[i].started_ms = Some(now);
            match prepare(&plan.steps[i], &scope) {
                Ok(Prepared::Skip) => {
                    states[i] = StepState::Skipped;
                    records[i].status = StepStatus::Skipped;
                    records[i].finished_ms = Some(now);
                }
                Ok(prepared) => {
                    states[i] = StepState::Running;
                    records[i].status = StepStatus::Running;
                    if let Prepared::One(input) = &prepared {
                        records[i].input = Some(input.clone());
                    }
                    let (step, id) = (&plan.steps[i], ids[i].as_str());
                    running.push(async move { (i, run(ctx, id, step, prepared, &[], depth).await) });
                }
                Err(failure) => {
                    states[i] = StepState::Failed;
                    records[i].status = StepStatus::Failed;
                    records[i].error = Some(failure);
                    records[i].finished_ms = Some(now);
                }
            }
            report(&records[i]);
        }
        if let Some(end) = next.end {
            return match end {
                RunEnd::Succeeded => Ok(outputs.into_iter().collect()),
                RunEnd::Failed { step } => Err(Ended::Failed(failure(
                    "plan_failed",
                    format!(
                        "planned step `{}` failed: {}",
                        plan.steps[step].id,
                        records[step].error.as_ref().map_or("", |e| e.message.as_str())
                    ),
                ))),
            };
        }
        if !next.start.is_empty() || !next.skip.is_empty() {
            continue;
        }
        let Some((i, end)) = running.next().await else {
            return Err(Ended::Failed(failure(
                "internal",
                "the plan can go no further: nothing runs and nothing can start".into(),
            )));
        };
        records[i].finished_ms = Some(ctx.runs.now_ms());
        match end {
            Ended::Succeeded(output) => {
                states[i] = StepState::Succeeded;
                records[i].status = StepStatus::Succeeded;
                records[i].output = Some(output.clone());
                outputs.insert(plan.steps[i].id.clone(), output);
            }
            Ended::Failed(failure) => {
                states[i] = StepState::Failed;
                records[i].status = StepStatus::Failed;
                records[i].error = Some(failure);
            }
            Ended::Cancelled => {
                records[i].status = StepStatus::Cancelled;
                report(&records[i]);
                return Err(Ended::Cancelled);
            }
        }
        report(&records[i]);
    }
}

/// The kind's name as the run shows it.
pub fn kind_name(kind: &StepKind) -> &'static str {
    match kind {
        StepKind::Task => "task",
        StepKind::ForEach { .. } => "forEach",
        StepKind::Collaborative { .. } => "collaborative",
        StepKind::Hierarchical { .. } => "hierarchical",
        StepKind::Swarm { .. } => "swarm",
        StepKind::Approval { .. } => "approval",
    }
}
