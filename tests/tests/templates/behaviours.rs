//! What a run does besides succeeding, on the same real agent containers
//! the templates ran on: each `onError`, a step's own retry and timeout,
//! an approval approved and one rejected, a cancel with a task at an agent,
//! and a re-run from a step that takes the outputs upstream of it from the
//! run it re-runs (the fake Ollama's request log shows which steps asked a
//! model).
//!
//! Every step that asks a model is AG-001's `decompose`, whose prompt reads
//! `{{ payload.goal }}` with no default: without a goal the agent refuses
//! the payload (`payload_invalid`), a failure that is the same every time.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sutazai_engine::runs::model::{Run, RunStatus, StepStatus};
use sutazai_engine::runs::RunError;
use sutazai_engine::security::Principal;
use sutazai_engine::Engine;
use sutazai_tests::fake_ollama::{FakeOllama, Fault};

use super::{output, step, until};

/// A step that asks AG-001's model to break `goal` down.
fn think(id: &str, goal: &str) -> Value {
    json!({"id": id, "agent": "AG-001", "taskType": "decompose", "input": {"goal": goal}})
}

/// A step AG-001 refuses: `decompose` without a goal.
fn broken(id: &str, on_error: Value) -> Value {
    json!({"id": id, "agent": "AG-001", "taskType": "decompose", "input": {}, "onError": on_error})
}

/// Writes a definition into the engine's workflows folder.
fn define(engine: &Engine, id: &str, steps: Value) {
    let definition = json!({"id": id, "name": id, "inputs": [], "outputs": [], "steps": steps});
    std::fs::write(
        engine.config().workflows_dir.join(format!("{id}.json")),
        serde_json::to_string_pretty(&definition).unwrap(),
    )
    .unwrap();
}

async fn start(engine: &Engine, id: &str) -> Run {
    let run = engine
        .start_run(id, Default::default(), &Principal::Desktop)
        .await
        .unwrap_or_else(|err| panic!("{id}: the run does not start: {err}"));
    assert_eq!(run.status, RunStatus::Queued, "{run:#?}");
    run
}

async fn ended(engine: &Engine, run: &Run) -> Run {
    let done = engine.wait_run(&run.id, Duration::from_secs(60)).await.unwrap();
    assert!(
        done.status.is_final(),
        "{}: did not end in 60 s: {done:#?}",
        run.workflow_id
    );
    done
}

/// The first line of what AG-001's model answered for step `id`: the
/// fake echoes the prompt's first 80 characters, and the prompt's first
/// line is `Goal: <goal>`.
fn goal_seen(run: &Run, id: &str) -> String {
    let answer = output(run, id);
    let echo = answer["echo"].as_str().unwrap_or_else(|| panic!("{id}: {answer}"));
    echo.lines().next().unwrap_or_default().to_string()
}

fn status_of(run: &Run, ids: &[&str]) -> Vec<StepStatus> {
    ids.iter().map(|id| step(run, id).status).collect()
}

/// The first line of the prompt of each model call the fake received.
fn asked(ollama: &FakeOllama) -> Vec<String> {
    let mut goals: Vec<String> = ollama
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/generate" || r.path == "/api/chat")
        .map(|r| {
            let prompt = r.prompt.unwrap_or_else(|| {
                let messages = r.messages.unwrap_or_default();
                let last = messages.as_array().and_then(|m| m.last()).cloned();
                last.and_then(|m| m["content"].as_str().map(String::from))
                    .unwrap_or_default()
            });
            prompt.lines().next().unwrap_or_default().to_string()
        })
        .collect();
    goals.sort();
    goals
}

/// `continue` (the steps that need the failed one are skipped, the rest go
/// on) and `fallback` (the fallback's output stands in for the failed
/// step; an unused fallback never runs).
async fn on_error_continue_and_fallback(engine: &Engine) {
    define(
        engine,
        "errors_go_on",
        json!([
            broken("soft", json!("continue")),
            think("needs_soft", "{{ steps.soft.output.echo }}"),
            think("other", "independent"),
            broken("saved", json!({"fallback": "rescue"})),
            think("rescue", "rescue"),
            think("after", "after {{ steps.saved.output.echo }}"),
            {"id": "fine", "agent": "AG-001", "taskType": "decompose", "input": {"goal": "fine"},
             "onError": {"fallback": "unused"}},
            think("unused", "unused")
        ]),
    );
    let done = ended(engine, &start(engine, "errors_go_on").await).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{done:#?}");
    assert!(done.error.is_none(), "{done:#?}");
    for id in ["soft", "saved"] {
        let failed = step(&done, id);
        assert_eq!(failed.status, StepStatus::Failed, "{failed:#?}");
        assert_eq!(failed.error.as_ref().unwrap().code, "payload_invalid", "{failed:#?}");
        assert_eq!(
            failed.tasks.len(),
            1,
            "a refused payload is not tried again: {failed:#?}"
        );
        assert_eq!(failed.tasks[0].outcome.as_deref(), Some("failed"), "{failed:#?}");
        assert!(failed.output.is_none(), "{failed:#?}");
    }
    assert_eq!(
        status_of(&done, &["needs_soft", "other", "rescue", "after", "fine"]),
        [
            StepStatus::Skipped,
            StepStatus::Succeeded,
            StepStatus::Succeeded,
            StepStatus::Succeeded,
            StepStatus::Succeeded,
        ],
        "{done:#?}"
    );
    // The fallback of a step that succeeded never runs: skipped when the
    // run ends.
    let unused = step(&done, "unused");
    assert_eq!(
        (unused.status, unused.started_ms, unused.tasks.len()),
        (StepStatus::Skipped, None, 0),
        "{unused:#?}"
    );
    assert!(step(&done, "needs_soft").tasks.is_empty(), "{done:#?}");
    assert_eq!(goal_seen(&done, "other"), "Goal: independent");
    assert_eq!(goal_seen(&done, "rescue"), "Goal: rescue");
    let rescued = output(&done, "rescue")["echo"].as_str().unwrap().to_string();
    assert_eq!(
        step(&done, "after").input,
        Some(json!({"goal": format!("after {rescued}")})),
        "the fallback's output stands in for `saved`"
    );
    assert_eq!(goal_seen(&done, "after"), "Goal: after Goal: rescue");
}

/// `stop`: the run fails with the step's code, and says which step.
async fn on_error_stop(engine: &Engine) {
    define(
        engine,
        "errors_stop",
        json!([
            broken("hard", json!("stop")),
            think("later", "{{ steps.hard.output.echo }}")
        ]),
    );
    let done = ended(engine, &start(engine, "errors_stop").await).await;
    assert_eq!(done.status, RunStatus::Failed, "{done:#?}");
    let error = done.error.clone().unwrap();
    assert_eq!(error.code, "payload_invalid", "{done:#?}");
    assert!(error.message.starts_with("step `hard`: "), "{}", error.message);
    let hard = step(&done, "hard").error.clone().unwrap();
    assert_eq!(
        (error.code.as_str(), error.message.as_str()),
        (hard.code.as_str(), format!("step `hard`: {}", hard.message).as_str()),
        "the run's error is the step's"
    );
    assert_eq!(
        status_of(&done, &["hard", "later"]),
        [StepStatus::Failed, StepStatus::Skipped],
        "{done:#?}"
    );
    assert!(step(&done, "later").tasks.is_empty(), "{done:#?}");
    println!("  stop:     {}: {}", error.code, error.message);
}

fn gated(engine: &Engine, id: &str) {
    define(
        engine,
        id,
        json!([
            {"id": "review", "kind": {"type": "approval", "approvals": 1, "timeoutMs": 60_000}},
            think("ship", "ship {{ steps.review.output.approved | tojson }}")
        ]),
    );
}

/// One approval approved (the step after it runs with its output) and one
/// rejected (the run fails with the person's note).
async fn approvals(engine: &Engine) {
    gated(engine, "gate_approved");
    gated(engine, "gate_rejected");
    let (yes, no) = (
        start(engine, "gate_approved").await,
        start(engine, "gate_rejected").await,
    );
    for run in [&yes, &no] {
        // The run's own status is written just after its step's (two
        // writes), so wait until both say so.
        let waiting = until(engine, &run.id, "the review waits", |r| {
            r.status.is_final() || (step(r, "review").status == StepStatus::Waiting && r.status != RunStatus::Queued)
        })
        .await;
        assert_eq!(
            (waiting.status, status_of(&waiting, &["review", "ship"])),
            (RunStatus::Waiting, vec![StepStatus::Waiting, StepStatus::Pending]),
            "{waiting:#?}"
        );
    }
    engine
        .decide_step(&yes.id, "review", true, "ship it".into(), &Principal::Desktop)
        .await
        .unwrap();
    engine
        .decide_step(&no.id, "review", false, "not today".into(), &Principal::Desktop)
        .await
        .unwrap();

    let yes = ended(engine, &yes).await;
    assert_eq!(yes.status, RunStatus::Succeeded, "{yes:#?}");
    let review = step(&yes, "review");
    assert_eq!(review.output, Some(json!({"approved": true, "by": ["desktop"]})));
    assert_eq!(
        review
            .decisions
            .iter()
            .map(|d| (d.approve, d.by.as_str(), d.note.as_str()))
            .collect::<Vec<_>>(),
        [(true, "desktop", "ship it")]
    );
    assert!(step(&yes, "ship").started_ms >= review.finished_ms, "{yes:#?}");
    assert_eq!(goal_seen(&yes, "ship"), "Goal: ship true");

    let no = ended(engine, &no).await;
    assert_eq!(no.status, RunStatus::Failed, "{no:#?}");
    let error = no.error.as_ref().unwrap();
    assert_eq!(
        (error.code.as_str(), error.message.as_str()),
        ("rejected", "step `review`: rejected by desktop: not today")
    );
    assert_eq!(
        status_of(&no, &["review", "ship"]),
        [StepStatus::Failed, StepStatus::Skipped],
        "{no:#?}"
    );
    assert!(step(&no, "ship").tasks.is_empty(), "{no:#?}");
    println!("  rejected: {}: {}", error.code, error.message);
}

/// Four steps: `c` needs `b` needs `a`; `d` needs only `a`.
async fn first_run_of_the_chain(engine: &Engine) -> Run {
    define(
        engine,
        "chain",
        json!([
            think("a", "alpha"),
            think("b", "beta after {{ steps.a.output.echo }}"),
            think("c", "gamma after {{ steps.b.output.echo }}"),
            think("d", "delta after {{ steps.a.output.echo }}")
        ]),
    );
    let first = ended(engine, &start(engine, "chain").await).await;
    assert_eq!(first.status, RunStatus::Succeeded, "{first:#?}");
    assert_eq!(goal_seen(&first, "c"), "Goal: gamma after Goal: beta after Goal: alpha");
    first
}

/// Re-run from `c`: `a` and `b` (upstream of it) are taken from the first
/// run, `c` and `d` (not upstream of it) ask the model again, and nothing
/// else does. Nothing else may run meanwhile (the request log is global).
async fn rerun_from_a_step(engine: &Engine, ollama: &FakeOllama, first: &Run) {
    ollama.clear_requests();
    let again = engine.rerun(&first.id, "c", &Principal::Desktop).await.unwrap();
    let done = ended(engine, &again).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{done:#?}");
    assert_eq!(
        asked(ollama),
        [
            "Goal: delta after Goal: alpha",
            "Goal: gamma after Goal: beta after Goal: alpha"
        ],
        "only the re-run steps asked the model: {:#?}",
        ollama.requests()
    );
    assert_eq!(
        (done.rerun_of.as_deref(), done.from_step.as_deref()),
        (Some(first.id.as_str()), Some("c"))
    );
    for id in ["a", "b"] {
        let (kept, was) = (step(&done, id), step(first, id));
        assert_eq!(kept.reused_from.as_deref(), Some(first.id.as_str()), "{kept:#?}");
        assert_eq!((&kept.output, &kept.tasks), (&was.output, &was.tasks), "{kept:#?}");
    }
    for id in ["c", "d"] {
        let (new, was) = (step(&done, id), step(first, id));
        assert_eq!(new.reused_from, None, "{new:#?}");
        assert_eq!(new.tasks.len(), 1, "{new:#?}");
        assert_ne!(new.tasks[0].task_id, was.tasks[0].task_id, "a new task: {new:#?}");
        assert_eq!((&new.input, &new.output), (&was.input, &was.output), "{new:#?}");
    }
    let saved = done.saved.clone().unwrap();
    let (a, b) = (step(first, "a"), step(first, "b"));
    assert_eq!(saved.steps, 2, "{saved:?}");
    assert_eq!(saved.tokens, a.tokens() + b.tokens(), "{saved:?}");
    assert!(saved.tokens > 0, "the model's answers cost tokens: {saved:?}");
    assert_eq!(saved.ms, a.duration_ms() + b.duration_ms(), "{saved:?}");
}

/// A step's own retry (its attempts, against an Ollama that answers 500)
/// and timeout (against a slow one). The fault is global: nothing else may
/// run meanwhile.
async fn retry_and_timeout(engine: &Engine, ollama: &FakeOllama) {
    ollama.set_fault(Fault::ServerError);
    ollama.clear_requests();
    define(
        engine,
        "flaky",
        json!([{"id": "think", "agent": "AG-001", "taskType": "decompose", "input": {"goal": "flaky"},
                "retry": {"attempts": 2, "backoffMs": 10}}]),
    );
    let done = ended(engine, &start(engine, "flaky").await).await;
    assert_eq!(done.status, RunStatus::Failed, "{done:#?}");
    let flaky = step(&done, "think");
    assert_eq!(flaky.status, StepStatus::Failed, "{flaky:#?}");
    assert_eq!(flaky.tasks.len(), 1, "{flaky:#?}");
    assert_eq!(
        (flaky.tasks[0].attempts, flaky.tasks[0].outcome.as_deref()),
        (2, Some("dead")),
        "the step's two attempts, not the default three: {flaky:#?}"
    );
    let task = engine.task(&flaky.tasks[0].task_id).await.unwrap();
    assert_eq!((task.attempts, task.max_attempts), (2, 2), "{task:#?}");
    assert_eq!(
        asked(ollama),
        ["Goal: flaky", "Goal: flaky"],
        "one model call per attempt reached Ollama"
    );
    let error = done.error.clone().unwrap();
    assert_eq!(error.code, "llm_error", "{error:?}");
    assert!(
        error.message.starts_with("step `think`: gave up after 2 attempts; "),
        "{}",
        error.message
    );
    println!("  retry:    {}: {}", error.code, error.message);

    ollama.set_fault(Fault::Latency(Duration::from_secs(3)));
    define(
        engine,
        "slow",
        json!([{"id": "think", "agent": "AG-001", "taskType": "decompose", "input": {"goal": "slow"},
                "timeoutMs": 400, "retry": {"attempts": 1}}]),
    );
    let began = Instant::now();
    let done = ended(engine, &start(engine, "slow").await).await;
    let took = began.elapsed();
    assert!(took < Duration::from_secs(3), "the step's timeout ends it: {took:?}");
    assert_eq!(done.status, RunStatus::Failed, "{done:#?}");
    let error = done.error.clone().unwrap();
    // Who saw the 400 ms pass first, the agent or the hub, words it. The hub
    // waits for what is left of the deadline when it sends, so its figure is
    // the 400 ms less the few it took to pick and call the agent.
    assert_eq!(error.code, "deadline_exceeded", "{error:?}");
    let by_hub = error
        .message
        .strip_prefix("step `think`: the deadline passed; last error: the agent did not answer within ")
        .and_then(|rest| rest.strip_suffix(" ms"))
        .and_then(|ms| ms.parse::<u64>().ok())
        .is_some_and(|ms| (300..=400).contains(&ms));
    let by_agent = error
        .message
        .starts_with("step `think`: the task did not finish within its deadline (");
    assert!(by_hub || by_agent, "the step's own 400 ms: {error:?}");
    let slow = step(&done, "think");
    assert_eq!(slow.tasks[0].attempts, 1, "{slow:#?}");
    println!(
        "  timeout:  {}: {} (a 400 ms step against a 3 s model ended in {} ms)",
        error.code,
        error.message,
        took.as_millis()
    );
}

/// Cancel while the first step's task is at its agent: the run, the step
/// after it and the task are cancelled.
async fn cancel_in_flight(engine: &Engine, ollama: &FakeOllama) {
    ollama.set_fault(Fault::Latency(Duration::from_secs(10)));
    define(
        engine,
        "long",
        json!([
            think("think", "long"),
            think("then", "then {{ steps.think.output.echo }}")
        ]),
    );
    let run = start(engine, "long").await;
    let busy = until(engine, &run.id, "a task at AG-001", |r| {
        step(r, "think").tasks.first().is_some_and(|t| t.agent.is_some())
    })
    .await;
    let task_id = step(&busy, "think").tasks[0].task_id.clone();
    let cancelled = engine.cancel_run(&run.id, &Principal::Desktop).await.unwrap();
    assert_eq!(cancelled.status, RunStatus::Cancelled, "{cancelled:#?}");
    assert_eq!(
        status_of(&cancelled, &["think", "then"]),
        [StepStatus::Cancelled, StepStatus::Cancelled],
        "{cancelled:#?}"
    );
    let task = engine.task(&task_id).await.unwrap();
    assert_eq!(
        (task.status.as_str(), task.assigned_agent.as_deref()),
        ("cancelled", Some("AG-001")),
        "{task:#?}"
    );
    let again = engine.cancel_run(&run.id, &Principal::Desktop).await.unwrap_err();
    assert!(matches!(again, RunError::Conflict(_)), "an ended run: {again}");
}

/// Runs every case above; the templates' runs have ended.
pub async fn check(engine: &Engine, ollama: &FakeOllama) {
    let began = Instant::now();
    // Without faults, at once.
    let ((), (), (), first) = futures::join!(
        on_error_continue_and_fallback(engine),
        on_error_stop(engine),
        approvals(engine),
        first_run_of_the_chain(engine),
    );
    println!("onError continue, stop, fallback and two approvals checked");
    // One at a time from here: the request log and the faults are global.
    rerun_from_a_step(engine, ollama, &first).await;
    println!("re-run from `c` reused `a` and `b`");
    retry_and_timeout(engine, ollama).await;
    cancel_in_flight(engine, ollama).await;
    ollama.set_fault(Fault::None);
    println!(
        "retry, timeout and cancel checked; behaviours took {} ms",
        began.elapsed().as_millis()
    );
}
