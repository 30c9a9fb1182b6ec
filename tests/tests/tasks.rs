//! The orchestrator's rules with real agent processes on loopback (the
//! static runtime, no Docker: the fleet's endpoints are published by hand),
//! a real SQLite store and the fake Ollama: the dead-letter state and
//! re-queue by hand, cancelling queued and running tasks, priorities,
//! recovery of tasks a stopped orchestrator left in flight, and the
//! delegation rules.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use sutazai_engine::fleet::model::Endpoint;
use sutazai_engine::orchestrator::model::{AttemptOutcome, NewTask, Task, TaskStatus};
use sutazai_engine::orchestrator::OrchestratorError;
use sutazai_engine::security::Principal;
use sutazai_tests::agent::free_port;
use sutazai_tests::fake_ollama::{FakeModel, FakeOllama, Fault};
use sutazai_tests::hub::{agent, hub, settings, store, Hub};

fn echo(agent: &str) -> NewTask {
    NewTask {
        agent_id: Some(agent.into()),
        task_type: "echo".into(),
        payload: json!({"hello": agent}),
        ..NewTask::default()
    }
}

async fn ended(hub: &Hub, task: &Task) -> Task {
    let done = hub.orchestrator.wait(&task.id, Duration::from_secs(20)).await.unwrap();
    assert!(done.status.is_final(), "{done:?}");
    done
}

/// Waits (at most 2 s) until the task is at its agent.
async fn until_running(hub: &Hub, task: &Task) {
    for _ in 0..100 {
        if hub.orchestrator.get(&task.id).await.unwrap().status == TaskStatus::Running {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("task {} did not reach its agent within 2 s", task.id);
}

#[tokio::test]
async fn an_unreachable_agent_makes_a_dead_task_that_requeues_by_hand() {
    let (_dir, store) = store().await;
    let hub = hub(&store, settings()).await;
    // An endpoint where nothing listens.
    hub.endpoints.send_replace(Arc::new(vec![Endpoint {
        agent_id: "AG-001".into(),
        container: "sutazai-ag-001".into(),
        port: free_port(),
        healthy: true,
        token_epoch: "e1".into(),
    }]));
    let task = hub
        .orchestrator
        .submit(echo("AG-001"), &Principal::Desktop)
        .await
        .unwrap();
    let dead = ended(&hub, &task).await;
    assert_eq!(dead.status, TaskStatus::Dead, "{dead:?}");
    assert_eq!(dead.attempts, 3);
    assert_eq!(dead.error.as_ref().unwrap().code, "unreachable");
    assert!(
        dead.error
            .as_ref()
            .unwrap()
            .message
            .contains("gave up after 3 attempts"),
        "{dead:?}"
    );
    assert!(dead
        .attempt_log
        .iter()
        .all(|a| matches!(a.outcome, Some(AttemptOutcome::Failed { .. }))));

    // The agent comes up where the fleet says it is; re-queue by hand.
    let ollama = FakeOllama::start(vec![]).await.unwrap();
    let (_agent, endpoint) = agent("AG-001", &ollama.url());
    hub.endpoints.send_replace(Arc::new(vec![endpoint]));
    let again = hub.orchestrator.requeue(&task.id).await.unwrap();
    assert_eq!(again.status, TaskStatus::Queued);
    let done = ended(&hub, &task).await;
    assert_eq!(done.status, TaskStatus::Succeeded, "{done:?}");
    assert_eq!(done.attempt_log.len(), 4, "three dead attempts and the one that worked");
    assert_eq!(done.result.unwrap()["json"], json!({"hello": "AG-001"}));
    let refused = hub.orchestrator.requeue(&task.id).await.unwrap_err();
    assert!(matches!(refused, OrchestratorError::Conflict(_)), "{refused}");
}

#[tokio::test]
async fn submit_and_wait_answers_with_the_ended_task() {
    let (_dir, store) = store().await;
    let hub = hub(&store, settings()).await;
    let ollama = FakeOllama::start(vec![]).await.unwrap();
    let (_agent, endpoint) = agent("AG-001", &ollama.url());
    hub.endpoints.send_replace(Arc::new(vec![endpoint]));
    let keyed = || NewTask {
        idempotency_key: Some("once".into()),
        ..echo("AG-001")
    };
    let done = hub
        .orchestrator
        .submit_and_wait(keyed(), &Principal::Desktop, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(done.status, TaskStatus::Succeeded, "{done:?}");
    assert_eq!(done.result.unwrap()["json"], json!({"hello": "AG-001"}));
    // The same key again: no new task, and the known one as it ended.
    let again = hub
        .orchestrator
        .submit_and_wait(keyed(), &Principal::Desktop, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!((again.id, again.status), (done.id, TaskStatus::Succeeded));

    // A task nobody can take yet: the wait ends and it is still queued.
    let waiting = hub
        .orchestrator
        .submit_and_wait(echo("AG-002"), &Principal::Desktop, Duration::from_millis(300))
        .await
        .unwrap();
    assert_eq!(waiting.status, TaskStatus::Queued, "{waiting:?}");
}

/// A task without a key of its own goes to its agent while its insert is
/// being committed; when the database refuses the insert, the submitter
/// hears the database's error, nothing stays running, and the agent's slot
/// is free again.
#[tokio::test]
async fn a_task_the_database_refuses_is_not_acknowledged_and_frees_its_agent() {
    let (_dir, store) = store().await;
    let hub = hub(&store, settings()).await;
    let ollama = FakeOllama::start(vec![]).await.unwrap();
    let (_agent, endpoint) = agent("AG-001", &ollama.url());
    let container = endpoint.container.clone();
    hub.endpoints.send_replace(Arc::new(vec![endpoint]));
    store
        .call(|conn| {
            conn.execute_batch(
                "CREATE TRIGGER refuse BEFORE INSERT ON tasks BEGIN SELECT RAISE(ABORT, 'the disk is full'); END;",
            )
        })
        .await
        .unwrap();
    let refused = hub
        .orchestrator
        .submit_and_wait(echo("AG-001"), &Principal::Desktop, Duration::from_secs(20))
        .await
        .unwrap_err();
    assert!(matches!(refused, OrchestratorError::Store(_)), "{refused:?}");
    assert!(refused.to_string().contains("the disk is full"), "{refused}");
    assert_eq!(hub.orchestrator.load(), (0, 0), "nothing queued or running");
    let in_flight: Vec<u32> = hub
        .orchestrator
        .breakers()
        .into_iter()
        .filter(|(name, _, _)| *name == container)
        .map(|(_, _, in_flight)| in_flight)
        .collect();
    assert_eq!(in_flight, vec![0], "the agent's slot is free again");
    let page = hub.orchestrator.list(Default::default()).await.unwrap();
    assert_eq!(page.total, 0, "no task was stored");

    store
        .call(|conn| conn.execute_batch("DROP TRIGGER refuse;"))
        .await
        .unwrap();
    let done = hub
        .orchestrator
        .submit_and_wait(echo("AG-001"), &Principal::Desktop, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(done.status, TaskStatus::Succeeded, "{done:?}");
    let stored = hub.orchestrator.get(&done.id).await.unwrap();
    assert_eq!(stored.status, TaskStatus::Succeeded, "{stored:?}");
}

#[tokio::test]
async fn queued_and_running_tasks_can_be_cancelled() {
    let (_dir, store) = store().await;
    let hub = hub(&store, settings()).await;
    let queued = hub
        .orchestrator
        .submit(echo("AG-002"), &Principal::Desktop)
        .await
        .unwrap();
    let cancelled = hub.orchestrator.cancel(&queued.id).await.unwrap();
    assert_eq!(cancelled.status, TaskStatus::Cancelled);
    assert_eq!(
        hub.orchestrator.get(&queued.id).await.unwrap().status,
        TaskStatus::Cancelled
    );

    let ollama = FakeOllama::start(vec![FakeModel::new("llama3.2:1b")]).await.unwrap();
    ollama.set_fault(Fault::Latency(Duration::from_secs(5)));
    let (_agent, endpoint) = agent("AG-002", &ollama.url());
    hub.endpoints.send_replace(Arc::new(vec![endpoint]));
    let slow = NewTask {
        agent_id: Some("AG-002".into()),
        task_type: "route".into(),
        payload: json!({"request": "a slow one"}),
        ..NewTask::default()
    };
    let running = hub.orchestrator.submit(slow, &Principal::Desktop).await.unwrap();
    until_running(&hub, &running).await;
    let cancelled = hub.orchestrator.cancel(&running.id).await.unwrap();
    assert_eq!(cancelled.status, TaskStatus::Cancelled, "{cancelled:?}");
    assert_eq!(cancelled.attempt_log[0].outcome, Some(AttemptOutcome::Cancelled));
    let again = hub.orchestrator.cancel(&running.id).await.unwrap_err();
    assert!(matches!(again, OrchestratorError::Conflict(_)), "{again}");
}

#[tokio::test]
async fn higher_priorities_go_first() {
    let (_dir, store) = store().await;
    let hub = hub(&store, settings()).await;
    let mut events = hub.orchestrator.subscribe();
    let mut ids = Vec::new();
    for priority in [1u8, 10, 5, 10] {
        let mut new = echo("AG-003");
        new.priority = Some(priority);
        ids.push((
            priority,
            hub.orchestrator.submit(new, &Principal::Desktop).await.unwrap().id,
        ));
    }
    let ollama = FakeOllama::start(vec![]).await.unwrap();
    let (_agent, endpoint) = agent("AG-003", &ollama.url());
    hub.endpoints.send_replace(Arc::new(vec![endpoint]));
    let mut started = Vec::new();
    while started.len() < 4 {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .unwrap()
            .unwrap();
        if event.task.status == TaskStatus::Running && !started.contains(&event.task.id) {
            started.push(event.task.id.clone());
        }
    }
    let priority_of = |id: &String| ids.iter().find(|(_, i)| i == id).unwrap().0;
    let order: Vec<u8> = started.iter().map(priority_of).collect();
    assert_eq!(order, [10, 10, 5, 1]);
    assert_eq!(started[0], ids[1].1, "the older of two equal priorities first");
}

#[tokio::test]
async fn tasks_in_flight_when_the_orchestrator_stopped_are_queued_again() {
    let (_dir, store) = store().await;
    let ollama = FakeOllama::start(vec![FakeModel::new("llama3.2:1b")]).await.unwrap();
    ollama.set_fault(Fault::Latency(Duration::from_secs(3)));
    let (_agent, endpoint) = agent("AG-002", &ollama.url());
    let task = {
        let first = hub(&store, settings()).await;
        first.endpoints.send_replace(Arc::new(vec![endpoint.clone()]));
        let new = NewTask {
            agent_id: Some("AG-002".into()),
            task_type: "route".into(),
            payload: json!({"request": "interrupted"}),
            idempotency_key: Some("recover-me".into()),
            ..NewTask::default()
        };
        let task = first.orchestrator.submit(new, &Principal::Desktop).await.unwrap();
        until_running(&first, &task).await;
        // `running` is committed before the call; wait until the agent's
        // model call has reached Ollama (which holds it for 3 s).
        for _ in 0..100 {
            if ollama.calls("/api/chat") + ollama.calls("/api/generate") > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            ollama.calls("/api/chat") + ollama.calls("/api/generate") > 0,
            "the agent asked its model"
        );
        task
        // `first` stops here with the task at the agent, like a crash: its
        // call is abandoned without a write.
    };
    ollama.set_fault(Fault::None);
    let second = hub(&store, settings()).await;
    let recovered = second.orchestrator.get(&task.id).await.unwrap();
    assert_eq!(recovered.status, TaskStatus::Queued, "{recovered:?}");
    assert_eq!(recovered.attempt_log[0].outcome, Some(AttemptOutcome::Interrupted));
    second.endpoints.send_replace(Arc::new(vec![endpoint]));
    let done = ended(&second, &task).await;
    assert_eq!(done.status, TaskStatus::Succeeded, "{done:?}");
    assert_eq!(done.attempt_log.len(), 2);
    let same = NewTask {
        agent_id: Some("AG-002".into()),
        task_type: "route".into(),
        payload: json!({"request": "interrupted"}),
        idempotency_key: Some("recover-me".into()),
        ..NewTask::default()
    };
    let again = second.orchestrator.submit(same, &Principal::Desktop).await.unwrap();
    assert_eq!(again.id, task.id, "the same idempotency key gives the same task");
    let seen_keys: Vec<String> = ollama
        .requests()
        .iter()
        .filter(|r| r.path == "/api/chat" || r.path == "/api/generate")
        .map(|r| r.raw_body.clone())
        .collect();
    assert!(
        seen_keys.len() >= 2,
        "the task reached the agent twice, as its log says"
    );
}

#[tokio::test]
async fn delegation_is_checked_for_holder_loops_and_depth() {
    let (_dir, store) = store().await;
    let hub = hub(&store, settings()).await;
    let ollama = FakeOllama::start(vec![FakeModel::new("mistral:7b-instruct-q4_K_M")])
        .await
        .unwrap();
    ollama.set_fault(Fault::Latency(Duration::from_secs(5)));
    let (_a1, e1) = agent("AG-001", &ollama.url());
    hub.endpoints.send_replace(Arc::new(vec![e1]));
    let as_agent = |id: &str| Principal::Agent {
        agent_id: id.into(),
        container: sutazai_engine::fleet::spec::container_name(id),
        from: None,
    };

    // An agent may not submit a top-level task.
    let top = hub
        .orchestrator
        .submit(echo("AG-002"), &as_agent("AG-001"))
        .await
        .unwrap_err();
    assert!(matches!(top, OrchestratorError::Forbidden(_)), "{top}");

    let parent = NewTask {
        agent_id: Some("AG-001".into()),
        task_type: "decompose".into(),
        payload: json!({"goal": "plan the release"}),
        ..NewTask::default()
    };
    let parent = hub.orchestrator.submit(parent, &Principal::Desktop).await.unwrap();
    until_running(&hub, &parent).await;
    let sub = |agent: &str, parent: &str| NewTask {
        parent_task_id: Some(parent.into()),
        ..echo(agent)
    };
    // Only the agent running the parent may delegate from it.
    let other = hub
        .orchestrator
        .submit(sub("AG-002", &parent.id), &as_agent("AG-003"))
        .await
        .unwrap_err();
    assert!(matches!(other, OrchestratorError::Forbidden(_)), "{other}");
    // Nobody but that agent may: not the desktop, not a service-role key.
    let service_key = Principal::Key {
        id: 1,
        name: "svc".into(),
        role: sutazai_engine::security::Role::Service,
        from: None,
    };
    for who in [Principal::Desktop, service_key] {
        let refused = hub
            .orchestrator
            .submit(sub("AG-002", &parent.id), &who)
            .await
            .unwrap_err();
        assert!(
            matches!(refused, OrchestratorError::Forbidden(ref m) if m.contains("only the agent running")),
            "{}: {refused}",
            who.label()
        );
    }
    // Back to an agent already in the chain: a loop.
    let looped = hub
        .orchestrator
        .submit(sub("AG-001", &parent.id), &as_agent("AG-001"))
        .await
        .unwrap_err();
    assert!(
        matches!(looped, OrchestratorError::Conflict(ref m) if m.contains("loop")),
        "{looped}"
    );
    // A proper sub-task records the chain.
    let child = hub
        .orchestrator
        .submit(sub("AG-002", &parent.id), &as_agent("AG-001"))
        .await
        .unwrap();
    assert_eq!(child.delegation_chain, ["AG-001"]);
    assert_eq!(child.parent_id.as_deref(), Some(parent.id.as_str()));
    assert_eq!(child.submitted_by, "agent:AG-001");
    // A sub-task of a task that is not running is refused.
    let queued_child = hub
        .orchestrator
        .submit(sub("AG-003", &child.id), &as_agent("AG-002"))
        .await
        .unwrap_err();
    assert!(matches!(queued_child, OrchestratorError::Conflict(_)), "{queued_child}");
}

/// The peak resident memory of this process so far, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

#[tokio::test]
async fn a_hostile_agents_endless_answer_is_cut_at_the_cap() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    const CHUNK: usize = 1 << 20;
    const CHUNKS: usize = 100;
    // An "agent" that answers every task with 100 MB, made as it is sent.
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&sent);
    let app = axum::Router::new().route(
        "/task",
        axum::routing::post(move || {
            let counter = Arc::clone(&counter);
            async move {
                let chunks = futures::StreamExt::map(futures::stream::iter(0..CHUNKS), move |_| {
                    counter.fetch_add(CHUNK, Ordering::Relaxed);
                    Ok::<_, std::io::Error>(vec![b' '; CHUNK])
                });
                axum::body::Body::from_stream(chunks)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let (_dir, store) = store().await;
    let hub = hub(&store, settings()).await;
    hub.endpoints.send_replace(Arc::new(vec![Endpoint {
        agent_id: "AG-001".into(),
        container: "sutazai-ag-001".into(),
        port,
        healthy: true,
        token_epoch: "e1".into(),
    }]));
    let before = peak_rss();
    let task = hub
        .orchestrator
        .submit(
            NewTask {
                max_attempts: Some(1),
                ..echo("AG-001")
            },
            &Principal::Desktop,
        )
        .await
        .unwrap();
    let failed = ended(&hub, &task).await;
    let grown = peak_rss().saturating_sub(before);
    let error = failed.error.clone().unwrap();
    println!(
        "100 MB answer: task {} ({}: {}); the agent got {} MB out; peak memory grew {} MB",
        failed.status.as_str(),
        error.code,
        error.message,
        sent.load(Ordering::Relaxed) >> 20,
        grown >> 20
    );
    assert_eq!(error.code, "too_large", "{error:?}");
    assert!(
        error.message.contains("agent AG-001's answer at http://127.0.0.1:")
            && error.message.ends_with("/task is larger than 16 MiB (cut there)"),
        "{error:?}"
    );
    assert_eq!(failed.attempts, 1, "the task's own maxAttempts");
    assert!(
        sent.load(Ordering::Relaxed) < CHUNK * CHUNKS,
        "the hub stopped reading at the cap"
    );
    assert!(grown < 64 << 20, "the hub kept at most the cap: grew {grown} bytes");
}
