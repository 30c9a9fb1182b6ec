//! Threat blocking: every task and run input is scanned before anything is
//! queued. A real engine on a temp data dir with Docker pointed at a
//! missing socket: a task for a capability nobody serves stays queued,
//! which is all these tests need.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sutazai_engine::orchestrator::model::{NewTask, TaskQuery, TaskStatus};
use sutazai_engine::orchestrator::OrchestratorError;
use sutazai_engine::runs::model::{NewRun, RunQuery};
use sutazai_engine::runs::RunError;
use sutazai_engine::security::threats::{ThreatAction, ThreatSource};
use sutazai_engine::security::{Principal, Role};
use sutazai_engine::{Engine, SystemClock};
use sutazai_tests::engine::config;
use tempfile::TempDir;
use tower::ServiceExt;

/// Scores above the scanner's block threshold (`stacked_ddl`, 0.85, and more).
const INJECTED: &str = "'; DROP TABLE users; --";
/// In the scanner's challenge band: `comment_terminator` (0.55) alone.
const CHALLENGED: &str = "admin'--";

async fn engine() -> (Arc<Engine>, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (config, report) = config(dir.path(), &[("SUTAZAI_DOCKER_HOST", "unix:///nonexistent.sock")]);
    let engine = Engine::start(config, report, Arc::new(SystemClock)).await.unwrap();
    (engine, dir)
}

fn task(text: &str) -> NewTask {
    NewTask {
        capability: Some("code_review".into()),
        task_type: "echo".into(),
        payload: json!({ "task": text }),
        ..Default::default()
    }
}

async fn task_count(engine: &Engine) -> u32 {
    engine.tasks(TaskQuery::default()).await.unwrap().total
}

async fn audited(engine: &Engine, action: &str) -> Vec<String> {
    engine
        .audit_log(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.record.action == action)
        .map(|e| {
            format!(
                "{} {} {} {}",
                e.record.actor, e.record.target, e.record.outcome, e.record.detail
            )
        })
        .collect()
}

#[tokio::test]
async fn an_injected_task_is_refused_naming_the_pattern_and_nothing_is_queued() {
    let (engine, _dir) = engine().await;
    let agent = Principal::Agent {
        agent_id: "AG-001".into(),
        container: "sutazai-ag-001".into(),
        from: None,
    };
    for by in [Principal::Desktop, agent] {
        let err = engine.submit_task(task(INJECTED), &by).await.unwrap_err();
        let OrchestratorError::ThreatBlocked { score, patterns } = &err else {
            panic!("not refused as a threat: {err:?}");
        };
        assert!(*score > 0.8, "{err}");
        assert!(patterns.iter().any(|p| p == "stacked_ddl"), "{err}");
        assert!(
            err.to_string().starts_with("input refused as a threat (score "),
            "{err}"
        );
        assert!(err.to_string().contains("stacked_ddl"), "{err}");
    }
    let err = engine
        .submit_and_wait(task(INJECTED), &Principal::Desktop, Duration::from_millis(10))
        .await
        .unwrap_err();
    assert!(matches!(err, OrchestratorError::ThreatBlocked { .. }), "{err:?}");
    assert_eq!(task_count(&engine).await, 0, "nothing is queued");

    let threats = engine.threats(10).await.unwrap();
    assert_eq!(threats.len(), 3);
    let bys: Vec<&str> = threats.iter().map(|t| t.by.as_str()).collect();
    assert_eq!(bys, ["desktop", "agent:AG-001", "desktop"], "newest first");
    for threat in &threats {
        assert_eq!(threat.action, ThreatAction::Blocked);
        assert_eq!(threat.source, ThreatSource::Task);
        assert!(threat.patterns.iter().any(|p| p == "stacked_ddl"), "{threat:?}");
        assert!(threat.excerpt.contains("DROP TABLE"), "{threat:?}");
        assert_eq!(threat.result_id, None);
    }
    let blocks = audited(&engine, "threat.block").await;
    assert_eq!(blocks.len(), 3, "{blocks:#?}");
    assert!(
        blocks.iter().all(|b| b.contains("refused: input refused as a threat")),
        "{blocks:#?}"
    );

    // A benign task passes.
    let passed = engine
        .submit_task(task("review the login form"), &Principal::Desktop)
        .await;
    assert_eq!(passed.unwrap().status, TaskStatus::Queued);
    assert_eq!(engine.threats(10).await.unwrap().len(), 3);
    engine.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn a_challenged_task_is_held_until_approved_or_rejected() {
    let (engine, _dir) = engine().await;
    let operator = Principal::Key {
        id: 1,
        name: "ops".into(),
        role: Role::Operator,
        from: None,
    };
    let held = |err: OrchestratorError| match err {
        OrchestratorError::InputHeld { threat_id } => threat_id,
        other => panic!("not held: {other:?}"),
    };
    let first = held(engine.submit_task(task(CHALLENGED), &operator).await.unwrap_err());
    let second = held(
        engine
            .submit_and_wait(task(CHALLENGED), &operator, Duration::from_millis(10))
            .await
            .unwrap_err(),
    );
    assert_eq!(task_count(&engine).await, 0, "nothing is queued while held");
    let listed = engine.threats(10).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed
        .iter()
        .all(|t| t.action == ThreatAction::Held && t.by == "key:ops"));
    assert!(
        listed[0].patterns.iter().any(|p| p == "comment_terminator"),
        "{listed:?}"
    );

    // Approved: submitted as the operator would have, past the gate.
    let approved = engine.approve_threat(first, &Principal::Desktop).await.unwrap();
    assert_eq!(approved.action, ThreatAction::Approved);
    assert_eq!(approved.decided_by.as_deref(), Some("desktop"));
    assert!(approved.decided_ms.is_some());
    let task_id = approved.result_id.clone().unwrap();
    let made = engine.task(&task_id).await.unwrap();
    assert_eq!(made.status, TaskStatus::Queued);
    assert_eq!(made.submitted_by, "key:ops");
    assert_eq!(made.payload, json!({ "task": CHALLENGED }));
    let again = engine.approve_threat(first, &Principal::Desktop).await.unwrap_err();
    assert!(matches!(again, OrchestratorError::Conflict(_)), "{again}");

    // Rejected: nothing is submitted.
    let rejected = engine.reject_threat(second, &Principal::Desktop).await.unwrap();
    assert_eq!(rejected.action, ThreatAction::Rejected);
    assert_eq!(rejected.result_id, None);
    assert_eq!(task_count(&engine).await, 1);
    let late = engine.approve_threat(second, &Principal::Desktop).await.unwrap_err();
    assert!(matches!(late, OrchestratorError::Conflict(_)), "{late}");
    let missing = engine.reject_threat(9999, &Principal::Desktop).await.unwrap_err();
    assert!(matches!(missing, OrchestratorError::NotFound(_)), "{missing}");

    assert_eq!(audited(&engine, "threat.hold").await.len(), 2);
    let approvals = audited(&engine, "threat.approve").await;
    assert!(
        approvals.iter().any(|a| a.contains(&format!("ok: {task_id}"))),
        "{approvals:#?}"
    );
    assert_eq!(
        audited(&engine, "threat.reject").await.len(),
        2,
        "the rejection and the refused one"
    );
    engine.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn run_inputs_are_scanned_and_a_held_run_starts_on_approval() {
    let (engine, _dir) = engine().await;
    let definition = serde_json::from_value(json!({
        "id": "greet",
        "name": "greet",
        "inputs": [{"name": "goal", "type": "string", "default": "ship it"}],
        "outputs": [],
        "steps": [{"id": "one", "capability": "code_review", "taskType": "echo", "input": {"goal": "{{ inputs.goal }}"}}],
    }))
    .unwrap();
    engine
        .save_workflow(&definition, None, &Principal::Desktop)
        .await
        .unwrap();
    let inputs = |goal: &str| NewRun {
        inputs: serde_json::from_value(json!({ "goal": goal })).unwrap(),
    };
    let runs = || async { engine.runs(RunQuery::default()).await.unwrap().total };

    let err = engine
        .start_run("greet", inputs(INJECTED), &Principal::Desktop)
        .await
        .unwrap_err();
    assert!(matches!(err, RunError::ThreatBlocked { .. }), "{err:?}");
    assert!(err.to_string().contains("stacked_ddl"), "{err}");
    let err = engine
        .start_run("greet", inputs(CHALLENGED), &Principal::Desktop)
        .await
        .unwrap_err();
    let RunError::InputHeld { threat_id } = err else {
        panic!("not held: {err:?}");
    };
    assert_eq!(runs().await, 0);
    let listed = engine.threats(10).await.unwrap();
    assert_eq!(
        listed.iter().map(|t| (t.source, t.action)).collect::<Vec<_>>(),
        [
            (ThreatSource::Run, ThreatAction::Held),
            (ThreatSource::Run, ThreatAction::Blocked)
        ]
    );

    let approved = engine.approve_threat(threat_id, &Principal::Desktop).await.unwrap();
    let run = engine.run(approved.result_id.as_deref().unwrap()).await.unwrap();
    assert_eq!(run.workflow_id, "greet");
    assert_eq!(runs().await, 1);
    engine.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn material_to_analyse_is_recorded_and_let_through_and_a_block_is_an_alert() {
    let (engine, _dir) = engine().await;
    // A task for the security agents (AG-017 alone has `threat_detection`):
    // hostile text is what they read.
    let assess = NewTask {
        capability: Some("threat_detection".into()),
        task_type: "assess".into(),
        payload: json!({ "text": INJECTED }),
        ..Default::default()
    };
    let queued = engine.submit_task(assess, &Principal::Desktop).await.unwrap();
    assert_eq!(queued.status, TaskStatus::Queued);
    // A workflow input declared untrusted is let through too; the others
    // are still gated.
    let definition = serde_json::from_value(json!({
        "id": "screen",
        "name": "screen",
        "inputs": [
            {"name": "order", "type": "string", "untrusted": true},
            {"name": "goal", "type": "string", "default": "check it"}
        ],
        "outputs": [],
        "steps": [{"id": "one", "capability": "code_review", "taskType": "echo", "input": {"order": "{{ inputs.order }}"}}],
    }))
    .unwrap();
    engine
        .save_workflow(&definition, None, &Principal::Desktop)
        .await
        .unwrap();
    let inputs = |order: &str, goal: &str| NewRun {
        inputs: serde_json::from_value(json!({ "order": order, "goal": goal })).unwrap(),
    };
    engine
        .start_run("screen", inputs(INJECTED, "check it"), &Principal::Desktop)
        .await
        .unwrap();
    let err = engine
        .start_run("screen", inputs("a plain order", INJECTED), &Principal::Desktop)
        .await
        .unwrap_err();
    assert!(matches!(err, RunError::ThreatBlocked { .. }), "{err:?}");

    let listed = engine.threats(10).await.unwrap();
    assert_eq!(
        listed.iter().map(|t| (t.source, t.action)).collect::<Vec<_>>(),
        [
            (ThreatSource::Run, ThreatAction::Blocked),
            (ThreatSource::Run, ThreatAction::Forwarded),
            (ThreatSource::Task, ThreatAction::Forwarded),
        ]
    );
    assert_eq!(audited(&engine, "threat.forward").await.len(), 2);
    // Only the block is an alert, naming the pattern.
    let alert = async || {
        engine
            .alerts(sutazai_engine::alerts::model::AlertQuery {
                text: Some("threat_found".into()),
                ..sutazai_engine::alerts::model::AlertQuery::open(10)
            })
            .await
            .unwrap()
    };
    sutazai_tests::until("the threat alert fires", Duration::from_secs(10), async || {
        !alert().await.is_empty()
    })
    .await;
    let fired = alert().await;
    assert_eq!(fired.len(), 1, "{fired:?}");
    assert_eq!(fired[0].subject.as_deref(), Some("desktop"));
    let detail = fired[0].detail.as_deref().unwrap_or_default();
    assert!(
        detail.starts_with("blocked run input") && detail.contains("stacked_ddl"),
        "{detail}"
    );
    engine.shutdown(Duration::from_secs(2)).await;
}

/// `POST /v1/tasks` through the router, as `role`'s key.
async fn post_task(app: &axum::Router, key: &str, body: Value) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/v1/tasks")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn the_api_answers_422_for_a_refused_input_and_202_for_a_held_one() {
    let (engine, _dir) = engine().await;
    let app = sutazai_http::app(Arc::clone(&engine));
    let operator = sutazai_tests::engine::api_key(&engine, Role::Operator).await;
    let admin = sutazai_tests::engine::api_key(&engine, Role::Admin).await;
    let body = |text: &str| json!({"capability": "code_review", "taskType": "echo", "payload": {"task": text}});

    let (status, refused) = post_task(&app, &operator, body(INJECTED)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], "threat_blocked");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("input refused as a threat (score ") && message.contains("stacked_ddl"),
        "{message}"
    );

    let (status, held) = post_task(&app, &operator, body(CHALLENGED)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{held}");
    assert_eq!(held["status"], "held");
    let threat_id = held["threatId"].as_i64().unwrap();
    assert!(held["message"].as_str().unwrap().contains("Security view"), "{held}");
    assert_eq!(task_count(&engine).await, 0);

    // Seed 001's body shape goes through the same gate.
    let seed = json!({"type": "echo", "requirements": ["code_review"], "payload": {"q": INJECTED}});
    let (status, refused) = post_task(&app, &operator, seed).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");

    let call = |method: Method, uri: String, key: String| {
        let app = app.clone();
        async move {
            let request = Request::builder()
                .method(method)
                .uri(uri)
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .body(Body::empty())
                .unwrap();
            let response = app.oneshot(request).await.unwrap();
            let status = response.status();
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            (status, serde_json::from_slice::<Value>(&bytes).unwrap())
        }
    };
    let (status, listed) = call(Method::GET, "/v1/threats?limit=10".into(), admin.clone()).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert_eq!(listed[1]["action"], "held");
    assert_eq!(listed[1]["id"], threat_id);
    let (status, _) = call(Method::GET, "/v1/threats".into(), operator.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the audit log's readers only");

    let approve = format!("/v1/threats/{threat_id}/approve");
    let (status, approved) = call(Method::POST, approve.clone(), operator.clone()).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["action"], "approved");
    assert!(approved["resultId"].is_string(), "{approved}");
    assert_eq!(task_count(&engine).await, 1);
    let (status, again) = call(Method::POST, approve, operator.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, bad) = call(Method::POST, "/v1/threats/x/reject".into(), operator).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    engine.shutdown(Duration::from_secs(2)).await;
}
