//! Crash safety of workflow runs: 100 runs of a 10-step workflow (a chain
//! and diamond of echo steps, a forEach, a collaborative step and three LLM
//! steps against a slow fake Ollama) on the phase-1 fleet, while the
//! headless engine is SIGKILLed at random moments and started again. Every
//! run ends `succeeded`; each (run, step, item) has exactly one task, which
//! succeeded (a resumed step re-attached to its task instead of sending a
//! new one); and a step's prompt reached the model more than once only
//! where its task's attempt log shows a retry (at-least-once: an attempt
//! cut short by a kill may be sent again).
//!
//! The runs are all started before the first kill: a run's start has no
//! idempotency key, so a client cannot tell whether a start cut short by a
//! kill was committed.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sutazai_tests::headless::{self, Lcg};

const RUNS: usize = 100;
const KILLS: usize = 5;
const WORKFLOW: &str = "crash_runs";
/// The forEach step's items.
const ITEMS: usize = 3;
/// The collaborative step's agents.
const TEAM: usize = 2;
/// A run's tasks: one per step, per forEach item and per collaborating agent.
const TASKS_PER_RUN: usize = 8 + ITEMS + TEAM;
/// The steps that ask the model (`implement`), each with its run's tag in
/// its prompt as `crash-<tag>-<step>:`.
const LLM_STEPS: [&str; 3] = ["draft", "code", "review"];

/// Ten steps: `start` → (`draft`, `left`, `right`, `fan`); `left`, `right`
/// and `fan` → `join` → `team`; `draft` and `join` → `code`; `code` and
/// `team` → `review` → `end`. Echo steps are spread over capabilities, so
/// over most of the fleet.
fn workflow() -> Value {
    let echo = |id: &str, capability: &str, input: Value| json!({"id": id, "capability": capability, "taskType": "echo", "input": input});
    let llm = |id: &str, spec: &str, depends_on: &[&str]| {
        json!({"id": id, "capability": "backend_development", "taskType": "implement",
               "input": {"spec": format!("crash-{{{{ inputs.tag }}}}-{id}: {spec}"), "language": "python"},
               "dependsOn": depends_on})
    };
    json!({
        "id": WORKFLOW,
        "name": "Crash runs",
        "inputs": [
            {"name": "tag", "type": "string", "required": true},
            {"name": "items", "type": "list", "default": (0..ITEMS).map(|i| format!("item-{i}")).collect::<Vec<_>>()}
        ],
        "outputs": [
            {"name": "tag", "from": "{{ steps.end.output.tag }}"},
            {"name": "items", "from": "{{ steps.end.output.items }}"},
            {"name": "team", "from": "{{ steps.end.output.team }}"}
        ],
        "steps": [
            echo("start", "prioritization", json!({"tag": "{{ inputs.tag }}"})),
            llm("draft", "print done", &["start"]),
            echo("left", "planning", json!({"tag": "{{ steps.start.output.tag }}", "side": "left"})),
            echo("right", "validation", json!({"tag": "{{ steps.start.output.tag }}", "side": "right"})),
            {"id": "fan", "kind": {"type": "forEach", "over": "inputs.items"}, "capability": "testing",
             "taskType": "echo", "input": {"item": "{{ item }}", "tag": "{{ steps.start.output.tag }}"}},
            echo("join", "ci_cd", json!({"left": "{{ steps.left.output.side }}",
                                         "right": "{{ steps.right.output.side }}",
                                         "items": "{{ steps.fan.output | length }}"})),
            {"id": "team", "kind": {"type": "collaborative", "agents": TEAM, "merge": "all"},
             "capability": "quality_assurance", "taskType": "echo",
             "input": {"tag": "{{ inputs.tag }}", "items": "{{ steps.join.output.items }}"}},
            llm("code", "after {{ steps.draft.output | length }} chars and {{ steps.join.output.items }} items", &[]),
            llm("review", "{{ steps.code.output | length }} chars", &["team"]),
            echo("end", "risk_assessment", json!({"tag": "{{ inputs.tag }}",
                                                  "items": "{{ steps.join.output.items }}",
                                                  "team": "{{ steps.team.output | length }}",
                                                  "reviewed": "{{ steps.review.output | length > 0 }}"}))
        ]
    })
}

/// A step and, for a step of many tasks, the item of one.
type StepItem = (String, Option<String>);

/// Each (step, item) a run's tasks are keyed by, the collaborative step's
/// items (its agents) left out: they are whichever agents it chose.
fn expected_keys() -> BTreeSet<StepItem> {
    let mut keys: BTreeSet<StepItem> = ["start", "draft", "left", "right", "join", "code", "review", "end"]
        .into_iter()
        .map(|s| (s.to_string(), None))
        .collect();
    keys.extend((0..ITEMS).map(|i| ("fan".to_string(), Some(i.to_string()))));
    keys
}

/// One row of the tasks table.
struct StoredTask {
    id: String,
    key: String,
    status: String,
    attempts: Vec<Value>,
}

/// The tasks of every run, read from the database once the engine has
/// stopped: `run:<run>:step:<step>[:<item>]` keys only.
fn stored_tasks(db: &std::path::Path) -> Vec<StoredTask> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut stmt = conn
        .prepare("SELECT id, idempotency_key, status, attempt_log FROM tasks WHERE idempotency_key LIKE 'run:%'")
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            let log: String = r.get(3)?;
            Ok(StoredTask {
                id: r.get(0)?,
                key: r.get(1)?,
                status: r.get(2)?,
                attempts: serde_json::from_str(&log).unwrap(),
            })
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// `run:<run>:step:<step>[:<item>]` as (run, step, item).
fn parse_key(key: &str) -> (String, String, Option<String>) {
    let rest = key.strip_prefix("run:").unwrap();
    let (run, rest) = rest.split_once(":step:").unwrap();
    match rest.split_once(':') {
        Some((step, item)) => (run.into(), step.into(), Some(item.into())),
        None => (run.into(), rest.into(), None),
    }
}

/// The `total` of a list the API answers at `path` (0 when it does not
/// answer), e.g. how many tasks have succeeded or runs are under way.
async fn total(http: &reqwest::Client, base: &str, key: &str, path: &str) -> u64 {
    let answer = http.get(format!("{base}{path}")).bearer_auth(key).send().await;
    match answer {
        Ok(r) if r.status().is_success() => r.json::<Value>().await.unwrap()["total"].as_u64().unwrap_or(0),
        _ => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_the_engine_mid_run_finishes_every_run_with_each_task_once() {
    let test_started = Instant::now();
    // Slow enough that a kill cuts model calls short.
    let headless::Crash {
        hub,
        dir,
        ollama,
        key,
        base,
        http,
        ..
    } = &headless::phase_1_crash(Duration::from_millis(300), "crash-runs").await;
    let workflows = dir.path().join("workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    std::fs::write(
        workflows.join(format!("{WORKFLOW}.json")),
        serde_json::to_string_pretty(&workflow()).unwrap(),
    )
    .unwrap();
    let mut child = hub.start();
    let deployed_at = test_started.elapsed();

    // Every run is committed before its start is acknowledged.
    let mut tags: HashMap<String, String> = HashMap::new();
    for n in 0..RUNS {
        let tag = format!("r{n:03}");
        let response = http
            .post(format!("{base}/workflows/{WORKFLOW}/runs"))
            .bearer_auth(key)
            .json(&json!({"inputs": {"tag": tag}}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
        let run: Value = response.json().await.unwrap();
        tags.insert(run["id"].as_str().unwrap().to_string(), tag);
    }
    let started_at = test_started.elapsed();

    // Each kill comes once a random share (5–95 %) of the runs' tasks have
    // succeeded, so the kills fall early, midway and late in the runs' lives
    // (two close marks kill an engine that has just resumed its runs).
    let mut random = Lcg::from_clock();
    println!("kill moments seeded with {}", random.0);
    let all_tasks = (RUNS * TASKS_PER_RUN) as u64;
    let mut marks: Vec<u64> = (0..KILLS)
        .map(|_| all_tasks / 20 + random.below(all_tasks * 9 / 10))
        .collect();
    marks.sort_unstable();
    let mut in_flight = Vec::new();
    for (kill, mark) in (1..).zip(marks) {
        let waiting = Instant::now();
        let done = loop {
            let done = total(http, base, key, "/tasks?status=succeeded&limit=1").await;
            if done >= mark {
                break done;
            }
            assert!(
                waiting.elapsed() < Duration::from_secs(60),
                "only {done} of {all_tasks} tasks succeeded 60 s after a start"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let active = total(http, base, key, "/runs?status=active&limit=1").await;
        headless::kill(&mut child);
        println!("kill {kill}: SIGKILL with {done} of {all_tasks} tasks succeeded, {active} runs in flight");
        in_flight.push(active);
        child = hub.start();
    }

    // Every run ends.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let active = total(http, base, key, "/runs?status=active&limit=1").await;
        if active == 0 {
            break;
        }
        if Instant::now() > deadline {
            let page: Value = http
                .get(format!("{base}/runs?status=active&limit=1000"))
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let stuck: Vec<String> = page["runs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_string())
                .collect();
            let first: Value = http
                .get(format!("{base}/runs/{}", stuck[0]))
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            panic!("{active} runs still under way 90 s after the last restart: {stuck:?}; the first: {first:#}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ended_at = test_started.elapsed();
    let mut runs: HashMap<String, Value> = HashMap::new();
    for id in tags.keys() {
        let run: Value = http
            .get(format!("{base}/runs/{id}"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        runs.insert(id.clone(), run);
    }
    headless::stop(&mut child);

    // Every run succeeded, with every step and the outputs of a whole run.
    let failed: Vec<String> = runs
        .iter()
        .filter(|(_, run)| run["status"] != "succeeded")
        .map(|(id, run)| format!("{id} {}: {}", run["status"], run["error"]))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {RUNS} runs did not succeed: {failed:#?}",
        failed.len()
    );
    for (id, run) in &runs {
        let steps = run["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 10, "{id}: {run:#}");
        for step in steps {
            assert_eq!(step["status"], "succeeded", "{id}: {step:#}");
        }
        assert_eq!(
            run["outputs"],
            json!({"tag": tags[id], "items": ITEMS, "team": TEAM}),
            "{id}: {run:#}"
        );
    }

    // Exactly one task per (run, step, item), and it succeeded.
    let tasks = stored_tasks(&dir.path().join("sutazai.db"));
    assert_eq!(tasks.len(), RUNS * TASKS_PER_RUN, "no task more, none less");
    let mut by_run: HashMap<String, BTreeMap<StepItem, Vec<&StoredTask>>> = HashMap::new();
    for task in &tasks {
        let (run, step, item) = parse_key(&task.key);
        assert!(runs.contains_key(&run), "a task of no run started here: {}", task.key);
        by_run
            .entry(run)
            .or_default()
            .entry((step, item))
            .or_default()
            .push(task);
    }
    let expected = expected_keys();
    let mut interrupted = 0;
    for (id, run) in &runs {
        let keyed = by_run.get(id).unwrap_or_else(|| panic!("{id} has no tasks"));
        for ((step, item), tasks) in keyed {
            let succeeded = tasks.iter().filter(|t| t.status == "succeeded").count();
            assert_eq!(
                (tasks.len(), succeeded),
                (1, 1),
                "{id} step {step} item {item:?}: one task, succeeded"
            );
        }
        let plain: BTreeSet<StepItem> = keyed.keys().filter(|(step, _)| step != "team").cloned().collect();
        assert_eq!(plain, expected, "{id}: one task per step and item, none more");
        let team = keyed.keys().filter(|(step, _)| step == "team").count();
        assert_eq!(
            team, TEAM,
            "{id}: the collaborative step asked {TEAM} agents, no others"
        );
        // The run's record names those very tasks.
        let recorded: BTreeSet<&str> = run["steps"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["tasks"].as_array().unwrap())
            .map(|t| t["taskId"].as_str().unwrap())
            .collect();
        let stored: BTreeSet<&str> = keyed.values().flatten().map(|t| t.id.as_str()).collect();
        assert_eq!(recorded, stored, "{id}: its steps record its tasks");
        interrupted += keyed
            .values()
            .flatten()
            .flat_map(|t| &t.attempts)
            .filter(|a| a["outcome"]["kind"] == "interrupted")
            .count();
    }

    // A prompt reached the model again only after an attempt was cut short.
    let mut asked: HashMap<String, usize> = HashMap::new();
    for request in ollama.requests() {
        if request.path != "/api/chat" && request.path != "/api/generate" {
            continue;
        }
        if let Some(at) = request.raw_body.find("crash-r") {
            let marker = &request.raw_body[at..];
            let marker = &marker[..marker.find(':').unwrap()];
            *asked.entry(marker.to_string()).or_default() += 1;
        }
    }
    let mut asked_again = 0;
    for (id, tag) in &tags {
        for step in LLM_STEPS {
            let task = by_run[id][&(step.to_string(), None)][0];
            let times = asked.get(&format!("crash-{tag}-{step}")).copied().unwrap_or(0);
            assert!(times >= 1, "{id} step {step} succeeded without asking the model");
            assert!(
                times <= task.attempts.len(),
                "{id} step {step} asked the model {times} times but its task {} shows {} attempts",
                task.id,
                task.attempts.len()
            );
            if times > 1 {
                asked_again += 1;
            }
        }
    }

    println!(
        "{RUNS} runs of {TASKS_PER_RUN} tasks each, {KILLS} kills with {in_flight:?} runs in flight: every run \
         succeeded, one task per (run, step, item); {interrupted} attempts interrupted by a kill, {asked_again} \
         LLM steps asked the model again (each with a retry in its log)"
    );
    println!(
        "phase 1 up and engine listening at {:.1} s, runs started at {:.1} s, all ended at {:.1} s",
        deployed_at.as_secs_f64(),
        started_at.as_secs_f64(),
        ended_at.as_secs_f64()
    );
    assert!(
        in_flight.iter().all(|&n| n > 0),
        "every kill hit runs in flight: {in_flight:?}"
    );
    assert!(interrupted > 0, "the kills hit tasks at agents");

    hub.undeploy(1).await;
}
