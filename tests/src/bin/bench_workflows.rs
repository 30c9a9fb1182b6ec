//! `bench-workflows`: what durable workflow runs cost on top of the tasks
//! they send, with 20 deployed agents and the built-in `echo` task type (no
//! model), each figure next to a reference measured in the same run:
//!
//! - **chain**: a run of 100 `echo` steps, each needing the one before
//!   (`{{ steps.s<i-1>.output.n }}`), from `start_run` to the run's end,
//!   against 100 plain echo tasks submitted and awaited one after another
//!   through the same engine (`submit_and_wait`, the same capability); the
//!   difference over 100 is the workflow layer's cost per step. Goals:
//!   ≤ 0.3 ms a step, the chain ends in ≤ 150 ms.
//! - **fan-out**: one `forEach` step over 1,000 items, items per second,
//!   against 1,000 plain echo tasks submitted at once and awaited. Goal:
//!   ≥ 70 % of the plain rate.
//! - **resume**: 100 runs of a chain under way, the engine stopped
//!   (`shutdown`: runs stay as recorded) and a new one started on the same
//!   data dir: the time from the `Engine::start` call until every
//!   interrupted run has a step that started or ended after it (read from
//!   the steps' recorded times), and until every one has finished a step
//!   again. Goal: ≤ 1 s. All 100 must then succeed.
//!
//! Every step names the capability `orchestration` (AG-001 and AG-002 in
//! phase 1); every reference task does too, so both take the same routes.
//!
//! Run: `./.dev/bench workflows` (needs the phase 1 ports free).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that cannot run should stop loudly

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use sutazai_engine::fleet::model::FailurePolicy;
use sutazai_engine::orchestrator::model::{NewTask, TaskStatus};
use sutazai_engine::runs::model::{NewRun, Run, RunStatus};
use sutazai_engine::runs::RunNews;
use sutazai_engine::security::Principal;
use sutazai_engine::{Clock, Engine, SystemClock};

/// The allocator the app and the headless engine use.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CAPABILITY: &str = "orchestration";
const CHAIN_STEPS: usize = 100;
const CHAIN_REPEATS: usize = 9;
const FAN_ITEMS: usize = 1_000;
const FAN_REPEATS: usize = 7;
const RESUME_RUNS: usize = 100;
/// Long enough that 100 runs are still under way when the engine stops.
const RESUME_STEPS: usize = 40;
const WAIT: Duration = Duration::from_secs(120);

/// A plain echo task; with `keyed`, it carries an idempotency key of its
/// own as every task of a step does (the orchestrator then looks the key
/// up, committed, before it calls the agent).
fn echo_task(n: usize, keyed: bool) -> NewTask {
    static KEYS: AtomicU64 = AtomicU64::new(0);
    NewTask {
        capability: Some(CAPABILITY.into()),
        task_type: "echo".into(),
        payload: json!({"n": n}),
        idempotency_key: keyed.then(|| format!("bench:{}", KEYS.fetch_add(1, Ordering::Relaxed))),
        ..NewTask::default()
    }
}

/// `steps` echo steps, each needing the one before through its template.
fn chain(id: &str, steps: usize) -> Value {
    let steps: Vec<Value> = (0..steps)
        .map(|i| {
            let prev = if i == 0 {
                Value::from(0)
            } else {
                Value::from(format!("{{{{ steps.s{}.output.n }}}}", i - 1))
            };
            json!({"id": format!("s{i}"), "capability": CAPABILITY, "taskType": "echo",
                   "input": {"n": i, "prev": prev}})
        })
        .collect();
    json!({"id": id, "name": id, "steps": steps})
}

/// One forEach step over the input `items`.
fn fan_out(id: &str) -> Value {
    json!({
        "id": id, "name": id,
        "inputs": [{"name": "items", "type": "list", "required": true}],
        "steps": [{"id": "fan", "kind": {"type": "forEach", "over": "inputs.items"},
                   "capability": CAPABILITY, "taskType": "echo", "input": {"item": "{{ item }}"}}]
    })
}

fn define(dir: &Path, definition: &Value) {
    let id = definition["id"].as_str().unwrap();
    std::fs::write(
        dir.join(format!("{id}.json")),
        serde_json::to_string_pretty(definition).unwrap(),
    )
    .unwrap();
}

/// Starts a run and waits for its end: the time that took, the time
/// `start_run` took (the definition read and checked, its version pinned,
/// the run and its steps committed), and the run.
async fn run_once(engine: &Engine, id: &str, inputs: Map<String, Value>) -> (Duration, Duration, Run) {
    let began = Instant::now();
    let run = engine
        .start_run(id, NewRun { inputs }, &Principal::Desktop)
        .await
        .unwrap();
    let started = began.elapsed();
    let run = engine.wait_run(&run.id, WAIT).await.unwrap();
    let took = began.elapsed();
    assert_eq!(run.status, RunStatus::Succeeded, "run of {id}: {:?}", run.error);
    (took, started, run)
}

/// `count` plain echo tasks, each submitted and awaited after the one before.
async fn plain_sequence(engine: &Engine, count: usize, keyed: bool) -> Duration {
    let began = Instant::now();
    for n in 0..count {
        let task = engine
            .submit_and_wait(echo_task(n, keyed), &Principal::Desktop, WAIT)
            .await
            .unwrap();
        assert_eq!(task.status, TaskStatus::Succeeded, "{task:?}");
    }
    began.elapsed()
}

/// `count` plain echo tasks submitted at once, all awaited.
async fn plain_burst(engine: &Arc<Engine>, count: usize, keyed: bool) -> Duration {
    let began = Instant::now();
    let all: Vec<_> = (0..count)
        .map(|n| {
            let engine = Arc::clone(engine);
            tokio::spawn(async move {
                let task = engine
                    .submit_and_wait(echo_task(n, keyed), &Principal::Desktop, WAIT)
                    .await
                    .unwrap();
                assert_eq!(task.status, TaskStatus::Succeeded, "{task:?}");
            })
        })
        .collect();
    for one in all {
        one.await.unwrap();
    }
    began.elapsed()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Prints `label  median …  best …` and the goal, if any.
fn line(label: &str, (median, best): (f64, f64), unit: &str, decimals: usize, goal: &str) {
    println!("  {label:<40} median {median:>8.decimals$} {unit:<7}  best {best:>8.decimals$} {unit:<7} {goal}");
}

/// Median and best (smallest) of some durations, in ms.
fn median_best(mut xs: Vec<f64>) -> (f64, f64) {
    xs.sort_by(f64::total_cmp);
    (xs[xs.len() / 2], xs[0])
}

/// Median and best (largest) of some rates.
fn median_best_rate(mut xs: Vec<f64>) -> (f64, f64) {
    xs.sort_by(f64::total_cmp);
    (xs[xs.len() / 2], xs[xs.len() - 1])
}

async fn start_engine(data_dir: &Path, listen: &str) -> Arc<Engine> {
    let (config, report) =
        sutazai_tests::engine::config(data_dir, &[("SUTAZAI_API_LISTEN", listen), ("SUTAZAI_LOG", "warn")]);
    Engine::start(config, report, Arc::new(SystemClock)).await.unwrap()
}

/// Waits until an echo task for the capability succeeds (the fleet's watch
/// has published the agents).
async fn until_routable(engine: &Engine) {
    let began = Instant::now();
    loop {
        let task = engine
            .submit_and_wait(echo_task(0, false), &Principal::Desktop, Duration::from_secs(5))
            .await
            .unwrap();
        if task.status == TaskStatus::Succeeded {
            return;
        }
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "no agent took a task: {task:?}"
        );
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", sutazai_tests::agent::free_port());
    let engine = start_engine(dir.path(), &listen).await;
    let deployed = engine
        .deploy_phase(1, FailurePolicy::RollBack, &Principal::Desktop, |_| {})
        .await
        .unwrap();
    assert_eq!(deployed.healthy, 20, "phase 1 must deploy healthy: {deployed:?}");
    until_routable(&engine).await;
    let workflows = engine.config().workflows_dir.clone();
    define(&workflows, &chain("bench-chain", CHAIN_STEPS));
    define(&workflows, &fan_out("bench-fan"));
    define(&workflows, &chain("bench-resume", RESUME_STEPS));

    println!("Workflow runs: echo steps (no model) with phase 1 deployed (20 agent containers),");
    println!("every step and every reference task for capability `{CAPABILITY}` (AG-001, AG-002)");

    // (1) The chain against the same number of plain tasks in a row.
    println!(
        "Chain of {CHAIN_STEPS} steps, start_run → run succeeded, against {CHAIN_STEPS} plain tasks \
         submitted and awaited in a row; {CHAIN_REPEATS} times each after one warm-up:"
    );
    run_once(&engine, "bench-chain", Map::new()).await;
    plain_sequence(&engine, CHAIN_STEPS, false).await;
    plain_sequence(&engine, CHAIN_STEPS, true).await;
    let (mut plain, mut keyed, mut chained) = (Vec::new(), Vec::new(), Vec::new());
    let (mut per_step, mut per_key, mut starts) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..CHAIN_REPEATS {
        let reference = ms(plain_sequence(&engine, CHAIN_STEPS, false).await);
        let with_keys = ms(plain_sequence(&engine, CHAIN_STEPS, true).await);
        let (took, started, _) = run_once(&engine, "bench-chain", Map::new()).await;
        let took = ms(took);
        starts.push(ms(started));
        plain.push(reference);
        keyed.push(with_keys);
        chained.push(took);
        per_step.push((took - reference) / CHAIN_STEPS as f64);
        per_key.push((with_keys - reference) / CHAIN_STEPS as f64);
    }
    let plain_label = format!("{CHAIN_STEPS} plain tasks in a row (reference)");
    line(&plain_label, median_best(plain), "ms", 1, "");
    line(
        "the same, each with an idempotency key",
        median_best(keyed),
        "ms",
        1,
        "",
    );
    line(
        "durable run of the chain",
        median_best(chained),
        "ms",
        1,
        "(goal ≤ 150 ms)",
    );
    line(
        "added by the workflow layer per step",
        median_best(per_step),
        "ms",
        3,
        "(goal ≤ 0.3 ms)",
    );
    line("  of which a task's idempotency key", median_best(per_key), "ms", 3, "");
    line("  start_run alone (once per run)", median_best(starts), "ms", 1, "");

    // (2) The fan-out against the same number of plain tasks at once.
    println!(
        "forEach over {FAN_ITEMS} items, start_run → run succeeded, against {FAN_ITEMS} plain tasks \
         submitted at once and awaited; {FAN_REPEATS} times each after one warm-up:"
    );
    let items: Vec<Value> = (0..FAN_ITEMS).map(Value::from).collect();
    let inputs: Map<String, Value> = [("items".to_string(), Value::Array(items))].into_iter().collect();
    run_once(&engine, "bench-fan", inputs.clone()).await;
    plain_burst(&engine, FAN_ITEMS, false).await;
    plain_burst(&engine, FAN_ITEMS, true).await;
    let (mut plain, mut keyed, mut fanned, mut share) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let rate = |took: Duration| FAN_ITEMS as f64 / took.as_secs_f64();
    for _ in 0..FAN_REPEATS {
        let reference = rate(plain_burst(&engine, FAN_ITEMS, false).await);
        let with_keys = rate(plain_burst(&engine, FAN_ITEMS, true).await);
        let (took, _, run) = run_once(&engine, "bench-fan", inputs.clone()).await;
        assert_eq!(run.steps[0].tasks.len(), FAN_ITEMS);
        plain.push(reference);
        keyed.push(with_keys);
        fanned.push(rate(took));
        share.push(rate(took) / reference * 100.0);
    }
    line(
        "plain tasks at once (reference)",
        median_best_rate(plain),
        "tasks/s",
        0,
        "",
    );
    line(
        "the same, each with an idempotency key",
        median_best_rate(keyed),
        "tasks/s",
        0,
        "",
    );
    line("forEach items", median_best_rate(fanned), "items/s", 0, "");
    line(
        "share of the plain rate",
        median_best_rate(share),
        "%",
        0,
        "(goal ≥ 70 %)",
    );

    // (3) 100 runs under way, the engine stopped and started again.
    println!(
        "Resume: {RESUME_RUNS} runs of a {RESUME_STEPS}-step chain under way, the engine stopped \
         (shutdown) and a new one started on the same data dir:"
    );
    let mut news = engine.subscribe_runs();
    let mut ids = Vec::new();
    for _ in 0..RESUME_RUNS {
        let run = engine
            .start_run("bench-resume", NewRun::default(), &Principal::Desktop)
            .await
            .unwrap();
        ids.push(run.id);
    }
    // Stop once about a sixth of all steps have ended, every run mid-way
    // (runs that end before the stop lands are left out of the figures).
    let mut ended_steps = 0;
    while ended_steps < RESUME_RUNS * RESUME_STEPS / 6 {
        match tokio::time::timeout(WAIT, news.recv()).await.unwrap() {
            Ok(RunNews::Step(event)) if event.step.finished_ms.is_some() => ended_steps += 1,
            Ok(_) => {}
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(err) => panic!("run news ended: {err}"),
        }
    }
    drop(news);
    engine.shutdown(Duration::from_secs(5)).await;
    let mut interrupted = Vec::new();
    let mut done_before = 0;
    for id in &ids {
        let run = engine.run(id).await.unwrap();
        if !run.status.is_final() {
            interrupted.push(id.clone());
        }
        done_before += run.steps.iter().filter(|s| s.status.is_final()).count();
    }
    let under_way = interrupted.len();
    drop(engine);
    println!(
        "  at the stop: {under_way} of {RESUME_RUNS} runs under way, {done_before} of {} steps recorded ended",
        RESUME_RUNS * RESUME_STEPS
    );

    let clock = SystemClock;
    let restart_ms = clock.now_ms();
    let began = Instant::now();
    let engine = start_engine(dir.path(), &listen).await;
    let started_in = began.elapsed();
    let mut succeeded = 0;
    let (mut moving, mut stepped) = (Vec::new(), Vec::new());
    for id in &ids {
        let run = engine.wait_run(id, WAIT).await.unwrap();
        if run.status == RunStatus::Succeeded {
            succeeded += 1;
        }
        if !interrupted.contains(id) {
            continue;
        }
        // The first step that started or ended after the restart, and the
        // first that ended after it.
        let after = |t: Option<i64>| t.filter(|&t| t >= restart_ms);
        let first_move = run
            .steps
            .iter()
            .flat_map(|s| [after(s.started_ms), after(s.finished_ms)])
            .flatten()
            .min();
        let first_end = run.steps.iter().filter_map(|s| after(s.finished_ms)).min();
        moving.push((first_move.unwrap() - restart_ms) as f64);
        stepped.push((first_end.unwrap() - restart_ms) as f64);
    }
    let resumed_in = ms(began.elapsed());
    let last = |xs: &[f64]| xs.iter().copied().fold(0.0, f64::max);
    println!("  Engine::start returned after          {:>8.1} ms", ms(started_in));
    println!(
        "  every interrupted run with a step under way again {:>8.0} ms after the start call   (goal ≤ 1,000 ms)",
        last(&moving)
    );
    println!(
        "  every interrupted run with a step ended again     {:>8.0} ms after the start call",
        last(&stepped)
    );
    println!("  all ended after                       {resumed_in:>8.0} ms: {succeeded} of {RESUME_RUNS} succeeded");

    engine.undeploy_phase(1, &Principal::Desktop).await.unwrap();
    engine.shutdown(Duration::from_secs(5)).await;
}
