//! Agents' service tokens in a real Docker engine: each container gets one
//! token to present to the hub and another that the hub must present to
//! it; neither works the other way, and a redeployed agent's old tokens no
//! longer work anywhere. An agent made with another data dir's tokens is
//! made anew by a deploy. With its token, an agent submits a sub-task of
//! the task it runs on the agents' address.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;
use sutazai_engine::fleet::model::AgentAction;
use sutazai_engine::fleet::spec::container_name;
use sutazai_engine::orchestrator::model::{NewTask, TaskStatus};
use sutazai_engine::security::Principal;
use sutazai_engine::{Engine, SystemClock};
use sutazai_http::Surface;
use sutazai_tests::agent::free_port;
use sutazai_tests::docker::ContainerGuard;
use sutazai_tests::engine::config;
use sutazai_tests::fake_ollama::{FakeModel, FakeOllama, Fault};
use tower::ServiceExt;

const AGENT: &str = "AG-022";

/// The container's (agent → hub, hub → agent) tokens, from its environment.
async fn tokens_of(engine: &Engine, container: &str) -> (String, String) {
    let docker = sutazai_engine::docker::connect(&engine.config().docker_endpoint, Duration::from_secs(30)).unwrap();
    let env = docker
        .inspect_container(container, None)
        .await
        .unwrap()
        .config
        .unwrap()
        .env
        .unwrap();
    let var = |name: &str| {
        env.iter()
            .find_map(|e| e.strip_prefix(&format!("{name}=")).map(String::from))
            .unwrap_or_else(|| panic!("no {name} in the container's environment"))
    };
    (var("SUTAZAI_AGENT_TOKEN"), var("SUTAZAI_HUB_TOKEN"))
}

/// The status of `GET /v1/health` on the API with `token`.
async fn api_status(engine: &Arc<Engine>, token: &str) -> StatusCode {
    let request = Request::get("/v1/health")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    sutazai_http::app(Arc::clone(engine))
        .oneshot(request)
        .await
        .unwrap()
        .status()
}

/// The status of the agent's `POST /task` with `token`.
async fn agent_status(port: u16, token: &str) -> reqwest::StatusCode {
    reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/task"))
        .bearer_auth(token)
        .json(&json!({"task_id": "tok-1", "task_type": "echo", "payload": {"text": "hi"}}))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redeployed_agents_old_tokens_no_longer_work_and_none_works_the_other_way() {
    let dir = tempfile::tempdir().unwrap();
    let (config, report) = config(dir.path(), &[("SUTAZAI_HEALTH_TIMEOUT_MS", "30000")]);
    let engine = Engine::start(config, report, Arc::new(SystemClock)).await.unwrap();
    let name = container_name(AGENT);
    let _guard = ContainerGuard(name.clone());
    let port = engine.catalog().get(AGENT).unwrap().manifest.port;

    let deployed = engine.scale_agent(AGENT, 1, &Principal::Desktop).await.unwrap();
    assert_eq!(deployed.healthy, 1, "{deployed:?}");
    let (old_agent, old_hub) = tokens_of(&engine, &name).await;
    assert_ne!(old_agent, old_hub, "one credential per direction");
    assert_eq!(api_status(&engine, &old_agent).await, StatusCode::OK);
    assert_eq!(agent_status(port, &old_hub).await, reqwest::StatusCode::OK);
    // Neither works the other way.
    assert_eq!(api_status(&engine, &old_hub).await, StatusCode::UNAUTHORIZED);
    assert_eq!(agent_status(port, &old_agent).await, reqwest::StatusCode::UNAUTHORIZED);

    // Redeploy: a new container of the same name, with new tokens.
    engine
        .agent_action(AGENT, AgentAction::Remove, &Principal::Desktop)
        .await
        .unwrap();
    let again = engine.scale_agent(AGENT, 1, &Principal::Desktop).await.unwrap();
    assert_eq!(again.healthy, 1, "{again:?}");
    let (new_agent, new_hub) = tokens_of(&engine, &name).await;
    assert_ne!((&new_agent, &new_hub), (&old_agent, &old_hub));

    assert_eq!(
        api_status(&engine, &old_agent).await,
        StatusCode::UNAUTHORIZED,
        "old agent token"
    );
    assert_eq!(api_status(&engine, &new_agent).await, StatusCode::OK, "new agent token");
    assert_eq!(
        agent_status(port, &old_hub).await,
        reqwest::StatusCode::UNAUTHORIZED,
        "old hub token"
    );
    assert_eq!(engine.hub_token_for(&name).as_deref(), Some(new_hub.as_str()));

    // The hub calls the new container with the new token.
    let task = NewTask {
        agent_id: Some(AGENT.into()),
        task_type: "echo".into(),
        payload: json!({"text": "after the redeploy"}),
        ..NewTask::default()
    };
    let done = engine
        .submit_and_wait(task, &Principal::Desktop, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(done.status, TaskStatus::Succeeded, "{:?}", done.error);

    engine
        .agent_action(AGENT, AgentAction::Remove, &Principal::Desktop)
        .await
        .unwrap();
    engine.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_whose_tokens_another_data_dir_issued_is_replaced_by_a_deploy() {
    const OTHER: &str = "AG-018";
    let name = container_name(OTHER);
    let _guard = ContainerGuard(name.clone());
    let start = |dir: &std::path::Path| {
        let (config, report) = config(dir, &[("SUTAZAI_HEALTH_TIMEOUT_MS", "30000")]);
        Engine::start(config, report, Arc::new(SystemClock))
    };
    let first_dir = tempfile::tempdir().unwrap();
    let first = start(first_dir.path()).await.unwrap();
    let deployed = first.scale_agent(OTHER, 1, &Principal::Desktop).await.unwrap();
    assert_eq!(deployed.healthy, 1, "{deployed:?}");
    let (first_token, _) = tokens_of(&first, &name).await;
    first.shutdown(Duration::from_secs(2)).await;

    // Another data dir: another secret, no epochs. The running container is
    // adopted, but its tokens are not in force here.
    let second_dir = tempfile::tempdir().unwrap();
    let second = start(second_dir.path()).await.unwrap();
    assert_eq!(api_status(&second, &first_token).await, StatusCode::UNAUTHORIZED);
    // A deploy does not take it as unchanged: it makes it anew with tokens
    // of this hub.
    let again = second.scale_agent(OTHER, 1, &Principal::Desktop).await.unwrap();
    assert_eq!(again.healthy, 1, "{again:?}");
    let (second_token, _) = tokens_of(&second, &name).await;
    assert_ne!(second_token, first_token);
    assert_eq!(api_status(&second, &second_token).await, StatusCode::OK);
    // And deploying it again now is a no-op: the same tokens.
    second.scale_agent(OTHER, 1, &Principal::Desktop).await.unwrap();
    assert_eq!(tokens_of(&second, &name).await.0, second_token);
    second
        .agent_action(OTHER, AgentAction::Remove, &Principal::Desktop)
        .await
        .unwrap();
    second.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_submits_a_sub_task_of_the_task_it_runs_on_the_agents_address() {
    // A slow model keeps the parent task running at the agent.
    let ollama = FakeOllama::start(vec![FakeModel::new("mistral:7b-instruct-q4_K_M")])
        .await
        .unwrap();
    ollama.set_fault(Fault::Latency(Duration::from_secs(4)));
    let port = free_port();
    let gateway = sutazai_http::docker_gateway().expect("this host has Docker's bridge");
    let dir = tempfile::tempdir().unwrap();
    let (config, report) = config(
        dir.path(),
        &[
            ("SUTAZAI_HEALTH_TIMEOUT_MS", "30000"),
            ("SUTAZAI_OLLAMA_URL", ollama.url().as_str()),
            ("SUTAZAI_API_LISTEN", format!("127.0.0.1:{port}").as_str()),
        ],
    );
    let engine = Engine::start(config, report, Arc::new(SystemClock)).await.unwrap();
    // As the app serves it, plus the agents' surface on a loopback address
    // for this test's own requests (test traffic stays on loopback).
    let listeners = sutazai_http::bind_surfaces(&[
        (([127, 0, 0, 1], port).into(), Surface::Full),
        ((gateway, port).into(), Surface::Agents),
        (([127, 0, 0, 2], port).into(), Surface::Agents),
    ])
    .await
    .unwrap();
    let stop = sutazai_http::CancellationToken::new();
    tokio::spawn(listeners.serve(Arc::clone(&engine), stop.clone()));

    let agent = "AG-017";
    let name = container_name(agent);
    let _guard = ContainerGuard(name.clone());
    let deployed = engine.scale_agent(agent, 1, &Principal::Desktop).await.unwrap();
    assert_eq!(deployed.healthy, 1, "{deployed:?}");
    let (agent_token, _) = tokens_of(&engine, &name).await;

    let parent = NewTask {
        agent_id: Some(agent.into()),
        task_type: "assess".into(),
        payload: json!({"text": "is this an attack?"}),
        ..NewTask::default()
    };
    let parent = engine.submit_task(parent, &Principal::Desktop).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while engine.task(&parent.id).await.unwrap().status != TaskStatus::Running {
        assert!(std::time::Instant::now() < deadline, "the parent never ran");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The agent, with its own token, on the address agents use.
    let answer = reqwest::Client::new()
        .post(format!("http://127.0.0.2:{port}/v1/tasks"))
        .bearer_auth(&agent_token)
        .json(&json!({
            "capability": "code_review",
            "taskType": "echo",
            "payload": {"text": "a sub-task"},
            "parentTaskId": parent.id,
        }))
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(status, reqwest::StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["parentId"], parent.id.as_str(), "{body}");
    assert_eq!(body["delegationChain"], json!([agent]), "{body}");
    assert_eq!(body["submittedBy"], "agent:AG-017", "{body}");

    stop.cancel();
    engine
        .agent_action(agent, AgentAction::Remove, &Principal::Desktop)
        .await
        .unwrap();
    engine.shutdown(Duration::from_secs(2)).await;
}
