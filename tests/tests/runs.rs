//! Workflow runs with real agent processes on loopback (the fleet's
//! endpoints published by hand), a real SQLite store and the fake Ollama:
//! every step kind, each onError, retry, timeout, approval, cancel, pause,
//! re-run from a step (the fake Ollama's request log shows the reused steps
//! were not asked again) and a run resumed by a new engine after the old
//! one stopped mid-run.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use sutazai_engine::runs::model::{NewRun, Run, RunStatus, StepStatus};
use sutazai_engine::runs::{RunError, Runs};
use sutazai_engine::security::Principal;
use sutazai_engine::store::Store;
use sutazai_engine::SystemClock;
use sutazai_tests::agent::AgentProcess;
use sutazai_tests::fake_ollama::{FakeModel, FakeOllama, Fault};
use sutazai_tests::hub::{agent, catalog, hub, settings, store, Hub};

const AGENTS: &[&str] = &["AG-001", "AG-002", "AG-003"];

struct World {
    _store_dir: tempfile::TempDir,
    store: Store,
    workflows: tempfile::TempDir,
    ollama: FakeOllama,
    _agents: Vec<AgentProcess>,
    hub: Hub,
    runs: Arc<Runs>,
}

fn runs_on(store: &Store, hub: &Hub, dir: &Path) -> Arc<Runs> {
    let catalog = catalog();
    Runs::new(
        store.clone(),
        Arc::clone(&hub.orchestrator),
        Arc::new(SystemClock),
        Arc::new(move || Arc::clone(&catalog)),
        hub.endpoints.subscribe(),
        dir.to_path_buf(),
        hub.stop.clone(),
    )
}

async fn world() -> World {
    let (store_dir, store) = store().await;
    let models = ["mistral:7b-instruct-q4_K_M", "llama3.2:1b"];
    let ollama = FakeOllama::start(models.into_iter().map(FakeModel::new).collect())
        .await
        .unwrap();
    let hub = hub(&store, settings()).await;
    let (agents, endpoints): (Vec<_>, Vec<_>) = AGENTS.iter().map(|id| agent(id, &ollama.url())).unzip();
    hub.endpoints.send_replace(Arc::new(endpoints));
    let workflows = tempfile::tempdir().unwrap();
    let runs = runs_on(&store, &hub, workflows.path());
    runs.recover().await.unwrap();
    World {
        _store_dir: store_dir,
        store,
        workflows,
        ollama,
        _agents: agents,
        hub,
        runs,
    }
}

impl World {
    /// Writes a definition with these steps (and an input `items`, a list).
    fn define(&self, id: &str, steps: Value) {
        let definition = json!({
            "id": id,
            "name": id,
            "inputs": [
                {"name": "items", "type": "list", "default": ["a", "b", "c"]},
                {"name": "goal", "type": "string", "default": "ship it"}
            ],
            "outputs": [],
            "steps": steps,
        });
        std::fs::write(
            self.workflows.path().join(format!("{id}.json")),
            serde_json::to_string_pretty(&definition).unwrap(),
        )
        .unwrap();
    }

    async fn start(&self, id: &str) -> Run {
        self.runs
            .start(id, NewRun::default(), &Principal::Desktop)
            .await
            .unwrap()
    }

    async fn ended(&self, run: &Run) -> Run {
        let done = self.runs.wait(&run.id, Duration::from_secs(30)).await.unwrap();
        assert!(
            done.status.is_final(),
            "run {} did not end within 30 s: {done:#?}",
            run.id
        );
        // An ended run has no step left pending or running.
        let open: Vec<_> = done
            .steps
            .iter()
            .filter(|s| !s.status.is_final())
            .map(|s| &s.id)
            .collect();
        assert!(open.is_empty(), "run {} ended with steps {open:?} not ended", run.id);
        done
    }

    /// Waits until `check` holds for the run (at most 10 s).
    async fn until(&self, run: &Run, what: &str, check: impl Fn(&Run) -> bool) -> Run {
        for _ in 0..500 {
            let now = self.runs.get(&run.id).await.unwrap();
            if check(&now) {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("run {}: {what} did not happen within 10 s", run.id);
    }
}

fn step<'a>(run: &'a Run, id: &str) -> &'a sutazai_engine::runs::model::RunStep {
    run.steps
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no step {id} in {run:#?}"))
}

fn echo(id: &str, input: Value) -> Value {
    json!({"id": id, "capability": "orchestration", "taskType": "echo", "input": input})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_step_kind_runs_and_records_what_it_did() {
    let w = world().await;
    let plan = json!({"steps": [
        {"id": "one", "agent": "AG-002", "taskType": "echo", "input": {"n": 1}},
        {"id": "two", "agent": "AG-003", "taskType": "echo", "input": {"after": "{{ steps.one.output.n }}"}}
    ]});
    w.ollama.set_reply(Some(plan.to_string()));
    w.define(
        "kinds",
        json!([
            {"id": "first", "capability": "orchestration", "taskType": "echo", "input": {"goal": "{{ inputs.goal }}"},
             "share": [{"key": "greeting", "value": "hello {{ steps.first.output.goal }}"}]},
            {"id": "fan", "kind": {"type": "forEach", "over": "inputs.items"}, "capability": "orchestration",
             "taskType": "echo", "input": {"item": "{{ item }}", "goal": "{{ steps.first.output.goal }}"}},
            {"id": "team", "kind": {"type": "collaborative", "agents": 2, "merge": "majority"},
             "capability": "orchestration", "taskType": "echo", "input": {"q": "same for all"}},
            {"id": "everyone", "kind": {"type": "collaborative", "agents": 2, "merge": "all"},
             "capability": "task_routing", "taskType": "echo", "input": {"q": "x"}},
            {"id": "swarm", "kind": {"type": "swarm", "agents": 2, "rounds": 2},
             "capability": "orchestration", "taskType": "echo", "input": {"q": "agree?"}},
            {"id": "lead", "kind": {"type": "hierarchical", "maxSteps": 5, "maxDepth": 1},
             "agent": "AG-001", "taskType": "decompose", "input": {"goal": "{{ inputs.goal }}"}},
            {"id": "last", "capability": "orchestration", "taskType": "echo",
             "input": {"count": "{{ steps.fan.output | length }}", "shared": "{{ context.greeting }}",
                       "planned": "{{ steps.lead.output.two.after }}"}},
            {"id": "never", "capability": "orchestration", "taskType": "echo", "when": "inputs.items | length > 5"}
        ]),
    );
    let run = w.start("kinds").await;
    assert_eq!(run.status, RunStatus::Queued, "committed before anything ran");
    assert_eq!(run.version, 1, "the file's text is pinned as version 1");
    let done = w.ended(&run).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{done:#?}");

    let fan = step(&done, "fan");
    assert_eq!(
        fan.output,
        Some(
            json!([{"item": "a", "goal": "ship it"}, {"item": "b", "goal": "ship it"}, {"item": "c", "goal": "ship it"}])
        )
    );
    let items: Vec<_> = fan.tasks.iter().map(|t| t.item.clone().unwrap()).collect();
    assert_eq!(items.len(), 3);
    for task in &fan.tasks {
        let stored = w.hub.orchestrator.get(&task.task_id).await.unwrap();
        assert_eq!(
            stored.idempotency_key,
            format!("run:{}:step:fan:{}", done.id, task.item.as_deref().unwrap())
        );
        assert!(task.why.as_deref().unwrap().contains("scored best"), "{task:?}");
    }

    let team = step(&done, "team");
    assert_eq!(team.output, Some(json!({"q": "same for all"})));
    let mut asked: Vec<_> = team.tasks.iter().map(|t| t.agent.clone().unwrap()).collect();
    asked.sort();
    asked.dedup();
    assert_eq!(asked.len(), 2, "two distinct agents: {team:?}");
    let everyone = step(&done, "everyone");
    assert_eq!(
        everyone.output,
        Some(json!([{"q": "x"}, {"q": "x"}])),
        "AG-002 and AG-003 route tasks: {everyone:?}"
    );

    // Both echo agents were shown the same first round, and so agree at once.
    let swarm = step(&done, "swarm").output.clone().unwrap();
    assert_eq!(
        swarm,
        json!({"agreed": true, "rounds": 1, "answer": {"q": "agree?", "swarm": {"round": 1, "others": []}}})
    );
    assert_eq!(step(&done, "swarm").tasks.len(), 2, "two agents, one round");

    let lead = step(&done, "lead");
    assert_eq!(lead.output, Some(json!({"one": {"n": 1}, "two": {"after": 1}})));
    let planned: Vec<_> = done
        .steps
        .iter()
        .filter(|s| s.parent.as_deref() == Some("lead"))
        .collect();
    assert_eq!(planned.len(), 2, "{:#?}", done.steps);
    assert!(planned
        .iter()
        .all(|s| s.status == StepStatus::Succeeded && s.id.starts_with("lead/")));

    let last = step(&done, "last");
    assert_eq!(
        last.output,
        Some(json!({"count": 3, "shared": "hello ship it", "planned": 1}))
    );
    assert_eq!(step(&done, "never").status, StepStatus::Skipped);
    assert_eq!(done.context[0].name, "greeting");

    // A bad start is refused, with where.
    let err = w
        .runs
        .start(
            "kinds",
            NewRun {
                inputs: serde_json::from_value(json!({"items": "nope"})).unwrap(),
            },
            &Principal::Desktop,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("inputs.items"), "{err}");
    let err = w
        .runs
        .start("nope", NewRun::default(), &Principal::Desktop)
        .await
        .unwrap_err();
    assert!(matches!(err, RunError::NotFound(_)), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_collaborative_step_waits_for_the_fleet_to_say_which_agents_are_up() {
    let w = world().await;
    // Right after a start the fleet has not yet said which agents are up,
    // and a resumed run may get there first.
    let fleet = w.hub.endpoints.send_replace(Arc::new(Vec::new()));
    w.define(
        "team",
        json!([{"id": "team", "kind": {"type": "collaborative", "agents": 2, "merge": "all"},
                "capability": "orchestration", "taskType": "echo", "input": {"q": 1}}]),
    );
    let run = w.start("team").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let waiting = w.runs.get(&run.id).await.unwrap();
    assert_eq!(waiting.status, RunStatus::Running, "{waiting:#?}");
    assert_eq!(step(&waiting, "team").status, StepStatus::Running, "{waiting:#?}");
    w.hub.endpoints.send_replace(fleet);
    let done = w.ended(&run).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{done:#?}");
    assert_eq!(step(&done, "team").output, Some(json!([{"q": 1}, {"q": 1}])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_error_continue_stop_and_fallback() {
    let w = world().await;
    // `decompose` needs `payload.goal`: without it the agent refuses the payload.
    let broken = |id: &str, on_error: Value| json!({"id": id, "agent": "AG-001", "taskType": "decompose", "input": {}, "onError": on_error});
    w.define(
        "errors",
        json!([
            broken("soft", json!("continue")),
            echo("needs_soft", json!({"x": "{{ steps.soft.output }}"})),
            echo("other", json!({"x": 1})),
            broken("saved", json!({"fallback": "rescue"})),
            echo("rescue", json!({"rescued": true})),
            echo("after", json!({"x": "{{ steps.saved.output }}"}))
        ]),
    );
    let done = w.ended(&w.start("errors").await).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{done:#?}");
    let soft = step(&done, "soft");
    assert_eq!(soft.status, StepStatus::Failed);
    assert_eq!(soft.error.as_ref().unwrap().code, "payload_invalid", "{soft:?}");
    assert_eq!(step(&done, "needs_soft").status, StepStatus::Skipped);
    assert_eq!(step(&done, "other").status, StepStatus::Succeeded);
    assert_eq!(step(&done, "rescue").status, StepStatus::Succeeded);
    let after = step(&done, "after");
    assert_eq!(
        after.output,
        Some(json!({"x": {"rescued": true}})),
        "the fallback's output stands in for `saved`: {after:?}"
    );

    w.define(
        "stops",
        json!([
            broken("hard", json!("stop")),
            echo("later", json!({"x": "{{ steps.hard.output }}"}))
        ]),
    );
    let done = w.ended(&w.start("stops").await).await;
    assert_eq!(done.status, RunStatus::Failed);
    let error = done.error.unwrap();
    assert_eq!(error.code, "payload_invalid");
    assert!(error.message.starts_with("step `hard`: "), "{}", error.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retries_and_timeouts_are_the_steps_own() {
    let w = world().await;
    w.ollama.set_fault(Fault::ServerError);
    w.define(
        "flaky",
        json!([{"id": "think", "agent": "AG-001", "taskType": "decompose", "input": {"goal": "x"},
                "retry": {"attempts": 2, "backoffMs": 10}}]),
    );
    let done = w.ended(&w.start("flaky").await).await;
    assert_eq!(done.status, RunStatus::Failed);
    let think = step(&done, "think");
    assert_eq!(
        think.tasks[0].attempts, 2,
        "the step's retry, not the default 3: {think:?}"
    );
    assert_eq!(think.tasks[0].outcome.as_deref(), Some("dead"));

    w.ollama.set_fault(Fault::Latency(Duration::from_secs(5)));
    w.define(
        "slow",
        json!([{"id": "think", "agent": "AG-001", "taskType": "decompose", "input": {"goal": "x"},
                "timeoutMs": 400, "retry": {"attempts": 1}}]),
    );
    let started = std::time::Instant::now();
    let done = w.ended(&w.start("slow").await).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the step's timeout ends it: {:?}",
        started.elapsed()
    );
    assert_eq!(done.status, RunStatus::Failed);
    let code = done.error.unwrap().code;
    assert!(["deadline_exceeded", "timeout"].contains(&code.as_str()), "{code}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn approvals_wait_for_people_and_time_out() {
    let w = world().await;
    let approval = |id: &str, approvals: u32, timeout_ms: u64| json!({"id": id, "kind": {"type": "approval", "approvals": approvals, "timeoutMs": timeout_ms}});
    w.define(
        "gated",
        json!([
            approval("review", 2, 60_000),
            echo("ship", json!({"ok": "{{ steps.review.output.approved }}"}))
        ]),
    );
    let run = w.start("gated").await;
    let waiting = w.until(&run, "waiting", |r| r.status == RunStatus::Waiting).await;
    assert_eq!(step(&waiting, "review").status, StepStatus::Waiting);
    let err = w
        .runs
        .decide(&run.id, "ship", true, String::new(), &Principal::Desktop)
        .await
        .unwrap_err();
    assert!(matches!(err, RunError::Conflict(_)), "{err}");
    let once = w
        .runs
        .decide(&run.id, "review", true, "looks fine".into(), &Principal::Desktop)
        .await
        .unwrap();
    assert_eq!(step(&once, "review").decisions.len(), 1, "committed before the answer");
    assert_eq!(step(&once, "review").status, StepStatus::Waiting, "one of two");
    w.runs
        .decide(&run.id, "review", true, String::new(), &Principal::Desktop)
        .await
        .unwrap();
    let done = w.ended(&run).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{done:#?}");
    assert_eq!(step(&done, "ship").output, Some(json!({"ok": true})));

    let run = w.start("gated").await;
    w.until(&run, "waiting", |r| r.status == RunStatus::Waiting).await;
    w.runs
        .decide(&run.id, "review", false, "not today".into(), &Principal::Desktop)
        .await
        .unwrap();
    let done = w.ended(&run).await;
    assert_eq!(done.status, RunStatus::Failed);
    assert_eq!(
        done.error.as_ref().unwrap().message,
        "step `review`: rejected by desktop: not today"
    );

    w.define("hurry", json!([approval("review", 1, 300)]));
    let done = w.ended(&w.start("hurry").await).await;
    assert_eq!(done.error.unwrap().code, "approval_timeout");

    // Who decided is in the audit log.
    let log: Vec<String> = sutazai_engine::security::audit::recent(&w.store, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.record)
        .filter(|e| e.action.starts_with("run."))
        .map(|e| format!("{} {} {} {}", e.action, e.actor, e.target, e.outcome))
        .collect();
    assert!(
        log.iter()
            .any(|l| l.starts_with("run.approve desktop ") && l.ends_with("/review ok")),
        "{log:#?}"
    );
    assert!(log.iter().any(|l| l.starts_with("run.reject desktop ")), "{log:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_stops_the_run_and_its_tasks_and_pause_holds_new_steps() {
    let w = world().await;
    w.ollama.set_fault(Fault::Latency(Duration::from_secs(20)));
    w.define(
        "long",
        json!([{"id": "think", "agent": "AG-001", "taskType": "decompose", "input": {"goal": "x"}},
               echo("then", json!({"x": "{{ steps.think.output }}"}))]),
    );
    let run = w.start("long").await;
    let busy = w
        .until(&run, "a task at an agent", |r| !step(r, "think").tasks.is_empty())
        .await;
    let task_id = step(&busy, "think").tasks[0].task_id.clone();
    let cancelled = w.runs.cancel(&run.id, &Principal::Desktop).await.unwrap();
    assert_eq!(cancelled.status, RunStatus::Cancelled, "{cancelled:#?}");
    assert_eq!(step(&cancelled, "then").status, StepStatus::Cancelled);
    let task = w.hub.orchestrator.get(&task_id).await.unwrap();
    assert_eq!(task.status.as_str(), "cancelled");
    let again = w.runs.cancel(&run.id, &Principal::Desktop).await.unwrap_err();
    assert!(matches!(again, RunError::Conflict(_)), "{again}");

    w.ollama.set_fault(Fault::None);
    w.define(
        "pair",
        json!([
            echo("a", json!({"x": 1})),
            echo("b", json!({"x": "{{ steps.a.output }}"}))
        ]),
    );
    let run = w.start("pair").await;
    let paused = w.runs.pause(&run.id, true, &Principal::Desktop).await.unwrap();
    assert_eq!(paused.status, RunStatus::Paused);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let held = w.runs.get(&run.id).await.unwrap();
    assert_eq!(
        step(&held, "b").status,
        StepStatus::Pending,
        "nothing new starts while paused: {held:#?}"
    );
    w.runs.pause(&run.id, false, &Principal::Desktop).await.unwrap();
    assert_eq!(w.ended(&run).await.status, RunStatus::Succeeded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rerun_from_a_step_reuses_every_output_upstream_of_it() {
    let w = world().await;
    let think =
        |id: &str, goal: &str| json!({"id": id, "agent": "AG-001", "taskType": "decompose", "input": {"goal": goal}});
    w.define(
        "chain",
        json!([
            think("a", "first"),
            think("b", "{{ steps.a.output | tojson }}"),
            think("c", "{{ steps.b.output | tojson }}")
        ]),
    );
    let first = w.ended(&w.start("chain").await).await;
    assert_eq!(first.status, RunStatus::Succeeded, "{first:#?}");
    assert_eq!(w.ollama.calls("/api/chat") + w.ollama.calls("/api/generate"), 3);
    w.ollama.clear_requests();

    let again = w.runs.rerun(&first.id, "c", &Principal::Desktop).await.unwrap();
    let done = w.ended(&again).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{done:#?}");
    assert_eq!(
        w.ollama.calls("/api/chat") + w.ollama.calls("/api/generate"),
        1,
        "only `c` asked the model: {:#?}",
        w.ollama.requests()
    );
    assert_eq!(done.rerun_of.as_deref(), Some(first.id.as_str()));
    assert_eq!(step(&done, "a").reused_from.as_deref(), Some(first.id.as_str()));
    assert_eq!(step(&done, "b").output, step(&first, "b").output);
    assert!(step(&done, "c").reused_from.is_none());
    let saved = done.saved.unwrap();
    assert_eq!(saved.steps, 2);
    assert!(saved.tokens > 0 && saved.ms >= 0, "{saved:?}");
    let err = w.runs.rerun(&first.id, "zz", &Principal::Desktop).await.unwrap_err();
    assert!(err.to_string().contains("no step `zz`"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_engine_resumes_a_run_the_old_one_left_mid_way() {
    let w = world().await;
    w.ollama.set_fault(Fault::Latency(Duration::from_millis(800)));
    w.define(
        "resume",
        json!([echo("quick", json!({"x": 1})),
               {"id": "slow", "agent": "AG-001", "taskType": "decompose", "input": {"goal": "{{ steps.quick.output.x }}"}},
               echo("end", json!({"x": "{{ steps.slow.output | tojson }}"}))]),
    );
    let run = w.start("resume").await;
    w.until(&run, "the slow step at its agent", |r| {
        !step(r, "slow").tasks.is_empty()
    })
    .await;
    // The old engine stops mid-run (its calls abandoned, nothing more written).
    w.hub.stop.cancel();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let left = w.runs.get(&run.id).await.unwrap();
    assert_eq!(left.status, RunStatus::Running);
    assert_eq!(step(&left, "quick").status, StepStatus::Succeeded);
    // The stop ended the step's wait, not the step: it is still under way.
    assert_eq!(step(&left, "slow").status, StepStatus::Running, "{left:#?}");

    let hub = hub(&w.store, settings()).await;
    hub.endpoints.send_replace(w.hub.endpoints.borrow().clone());
    let runs = runs_on(&w.store, &hub, w.workflows.path());
    assert_eq!(runs.recover().await.unwrap(), 1);
    let done = runs.wait(&run.id, Duration::from_secs(30)).await.unwrap();
    assert_eq!(done.status, RunStatus::Succeeded, "{done:#?}");
    // One task per step: the resumed step re-attached to its task.
    for s in &done.steps {
        assert_eq!(s.tasks.len(), 1, "{s:?}");
    }
    let quick = step(&done, "quick").tasks[0].task_id.clone();
    assert_eq!(
        step(&left, "quick").tasks[0].task_id,
        quick,
        "the finished step did not run again"
    );
    assert_eq!(
        step(&left, "slow").tasks[0].task_id,
        step(&done, "slow").tasks[0].task_id
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_step_waits_while_its_agents_are_unhealthy_and_goes_on_by_itself() {
    let w = world().await;
    let healthy = w.hub.endpoints.borrow().clone();
    let sick: Vec<_> = healthy
        .iter()
        .cloned()
        .map(|mut e| {
            e.healthy = false;
            e
        })
        .collect();
    w.hub.endpoints.send_replace(Arc::new(sick));
    w.define("held", json!([echo("one", json!({"text": "hello"}))]));
    let run = w.start("held").await;

    // Held, with why, and nothing sent to an agent.
    let held = w.until(&run, "step one held", |r| step(r, "one").held.is_some()).await;
    let why = step(&held, "one").held.clone().unwrap();
    assert!(why.starts_with("no healthy agent can take `orchestration`"), "{why}");
    assert!(why.contains("deployed but not healthy"), "{why}");
    assert!(step(&held, "one").tasks.is_empty(), "{held:#?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(step(&w.runs.get(&run.id).await.unwrap(), "one").tasks.is_empty());

    // An agent is healthy again: the step goes on by itself.
    w.hub.endpoints.send_replace(healthy);
    let done = w.ended(&run).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{done:#?}");
    assert_eq!(step(&done, "one").held, None);
    assert_eq!(step(&done, "one").status, StepStatus::Succeeded);
}
