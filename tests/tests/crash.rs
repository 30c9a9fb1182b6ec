//! Crash safety: the headless engine (`sutazai-headless`) is SIGKILLed at
//! random moments while 200 tasks run on real agent containers, and started
//! again each time. Every task the API acknowledged reaches a final state,
//! none is lost, none is made twice by the client's re-submissions (same
//! idempotency key), and a task reached an agent more than once only where
//! its attempt log shows a retry.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sutazai_tests::headless::{self, Lcg};

const TASKS: usize = 200;
const KILLS: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_the_engine_at_random_moments_loses_no_task() {
    let headless::Crash {
        hub,
        ollama,
        key,
        base,
        http,
        ..
    } = &headless::phase_1_crash(Duration::from_millis(100), "crash-test").await;
    let mut child = hub.start();

    // The client submits every task until the API acknowledges it, always
    // with the same idempotency key, as a careful client would.
    let submitter = {
        let (http, base, key) = (http.clone(), base.clone(), key.clone());
        tokio::spawn(async move {
            let mut acked = Vec::new();
            for n in 0..TASKS {
                let body = json!({
                    "capability": "backend_development",
                    "taskType": "implement",
                    "payload": {"spec": format!("crash-task-{n:03}"), "language": "python"},
                    "idempotencyKey": format!("crash-{n:03}"),
                    "timeoutMs": 120000,
                });
                loop {
                    let sent = http
                        .post(format!("{base}/tasks"))
                        .bearer_auth(&key)
                        .json(&body)
                        .send()
                        .await;
                    if let Ok(response) = sent {
                        if response.status().is_success() {
                            let task: Value = response.json().await.unwrap();
                            acked.push(task["id"].as_str().unwrap().to_string());
                            break;
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            acked
        })
    };

    let mut random = Lcg::from_clock();
    println!("kill moments seeded with {}", random.0);
    for kill in 1..=KILLS {
        // Kill while tasks are at agents: wait until some are, then a
        // random moment later.
        let waiting = Instant::now();
        loop {
            let running = http
                .get(format!("{base}/tasks?status=running&limit=1"))
                .bearer_auth(key)
                .send()
                .await;
            let total = match running {
                Ok(r) if r.status().is_success() => r.json::<Value>().await.unwrap()["total"].as_u64().unwrap_or(0),
                _ => 0,
            };
            if total > 0 {
                break;
            }
            assert!(
                waiting.elapsed() < Duration::from_secs(30),
                "no task ran within 30 s of a start"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let after = random.below(300);
        tokio::time::sleep(Duration::from_millis(after)).await;
        headless::kill(&mut child);
        println!("kill {kill}: SIGKILL {after} ms after tasks were seen running");
        child = hub.start();
    }
    let acked = tokio::time::timeout(Duration::from_secs(120), submitter)
        .await
        .expect("every task was acknowledged within 120 s")
        .unwrap();
    assert_eq!(acked.len(), TASKS);

    // Every acknowledged task ends.
    let mut tasks: HashMap<String, Value> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    for id in &acked {
        loop {
            let task: Value = http
                .get(format!("{base}/tasks/{id}"))
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let status = task["status"].as_str().unwrap_or_default().to_string();
            if ["succeeded", "failed", "dead", "cancelled"].contains(&status.as_str()) {
                tasks.insert(id.clone(), task);
                break;
            }
            assert!(Instant::now() < deadline, "task {id} is still {status} after 120 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    headless::stop(&mut child);

    // None lost, none doubled by re-submission.
    let mut by_key: HashMap<String, String> = HashMap::new();
    for (id, task) in &tasks {
        let key = task["idempotencyKey"].as_str().unwrap().to_string();
        assert!(by_key.insert(key.clone(), id.clone()).is_none(), "two tasks for {key}");
    }
    assert_eq!(by_key.len(), TASKS, "one task per idempotency key");
    let succeeded = tasks.values().filter(|t| t["status"] == "succeeded").count();
    assert_eq!(succeeded, TASKS, "every task succeeded in the end");

    // Reaching an agent twice shows as a retry in the attempt log.
    let mut runs: HashMap<String, usize> = HashMap::new();
    for request in ollama.requests() {
        if request.path == "/api/chat" || request.path == "/api/generate" {
            if let Some(at) = request.raw_body.find("crash-task-") {
                let marker = &request.raw_body[at..at + "crash-task-000".len()];
                *runs.entry(marker.replace("crash-task-", "crash-")).or_default() += 1;
            }
        }
    }
    let mut twice = 0;
    let mut interrupted = 0;
    for task in tasks.values() {
        let key = task["idempotencyKey"].as_str().unwrap();
        let attempts = task["attemptLog"].as_array().unwrap();
        let ran = runs.get(key).copied().unwrap_or(0);
        assert!(ran >= 1, "{key} succeeded without reaching an agent: {task}");
        assert!(
            ran <= attempts.len(),
            "{key} reached agents {ran} times but its log shows {} attempts: {task}",
            attempts.len()
        );
        if ran > 1 {
            twice += 1;
        }
        interrupted += attempts
            .iter()
            .filter(|a| a["outcome"]["kind"] == "interrupted")
            .count();
    }
    println!(
        "{TASKS} tasks, {KILLS} kills: all succeeded; {interrupted} attempts interrupted by a kill, \
         {twice} tasks ran twice (each with a retry in its log)"
    );
    assert!(interrupted > 0, "the kills hit tasks in flight");

    hub.undeploy(1).await;
}
