//! The fleet through the local API, as a script drives it, on a real Docker
//! engine: phase 1 deployed with its progress as server-sent events, the
//! agent list filtered as seed 001 filters it, one agent stopped, started,
//! restarted and scaled with seed 001's control body, its logs read and
//! followed, its history, the live stats, seed 001's status summaries, and
//! the phase undeployed; and the refusals (unknown agent or phase, a bad
//! action, a role that may not).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::time::Duration;

use reqwest::{Client, Method, StatusCode};
use serde_json::json;
use sutazai_engine::security::{Principal, Role};
use sutazai_tests::caller::Caller;
use sutazai_tests::docker::PhaseGuard;
use sutazai_tests::engine::{api_key, start_with_api};
use sutazai_tests::fake_ollama::{FakeModel, FakeOllama};
use sutazai_tests::until;

const AGENT: &str = "AG-005";

#[tokio::test(flavor = "multi_thread")]
async fn a_script_deploys_controls_reads_and_undeploys_phase_1() {
    let dir = tempfile::tempdir().unwrap();
    let ollama = FakeOllama::start_for_agents(vec![FakeModel::new("llama3.2:1b")])
        .await
        .unwrap();
    let (engine, listen, stop) = start_with_api(
        dir.path(),
        &[
            ("SUTAZAI_OLLAMA_URL", ollama.url().as_str()),
            ("SUTAZAI_HEALTH_TIMEOUT_MS", "20000"),
        ],
    )
    .await;
    let _fleet = PhaseGuard(1);
    engine.undeploy_phase(1, &Principal::Desktop).await.unwrap();
    let http = Client::new();
    let base = format!("http://{listen}");
    let operator = Caller {
        http: http.clone(),
        base: base.clone(),
        key: api_key(&engine, Role::Operator).await,
    };
    let analyst = Caller {
        http,
        base,
        key: api_key(&engine, Role::Analyst).await,
    };

    // Deploy with progress as it happens.
    let events = operator
        .events(Method::POST, "/v1/phases/1/deploy", None, |event| event != "progress")
        .await;
    let (last, report) = events.last().unwrap();
    assert_eq!(last, "done", "{events:?}");
    assert_eq!(
        report["healthy"].as_u64().unwrap() + report["unchanged"].as_u64().unwrap(),
        20,
        "{report}"
    );
    let progress = events.iter().filter(|(e, _)| e == "progress").count();
    assert!(progress > 20, "{progress} progress events");
    assert!(events
        .iter()
        .any(|(e, d)| e == "progress" && d["agentId"] == AGENT && d["stage"] == "healthy"));

    // Seed 001's filters.
    let (status, healthy) = analyst
        .call(Method::GET, "/v1/agents?status=healthy&phase=1", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{healthy}");
    assert_eq!(healthy.as_array().unwrap().len(), 20, "{healthy}");
    let (_, reviewers) = analyst
        .call(
            Method::GET,
            "/v1/agents?status=healthy,stopped&capability=code_review",
            None,
        )
        .await;
    let reviewers = reviewers.as_array().unwrap();
    assert!(!reviewers.is_empty());
    assert!(reviewers
        .iter()
        .all(|r| r["capabilities"].as_array().unwrap().contains(&json!("code_review"))));
    let (status, bad) = analyst.call(Method::GET, "/v1/agents?status=asleep", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad["error"]["message"].as_str().unwrap().contains("asleep"), "{bad}");

    // Seed 001's control: stop, start, restart, scale.
    let control = format!("/v1/agents/{AGENT}/control");
    let (status, row) = operator
        .call(Method::POST, &control, Some(json!({"action": "stop"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{row}");
    assert_eq!(row["status"], "stopped", "{row}");
    let (status, row) = operator
        .call(Method::POST, &control, Some(json!({"action": "start"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{row}");
    let (status, row) = operator
        .call(Method::POST, &control, Some(json!({"action": "restart"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{row}");
    let (status, scaled) = operator
        .call(Method::POST, &control, Some(json!({"action": "scale", "instances": 2})))
        .await;
    assert_eq!(status, StatusCode::OK, "{scaled}");
    assert_eq!(scaled["instances"], 2, "{scaled}");
    assert_eq!(scaled["healthy"], 2, "{scaled}");
    let (_, scaled) = operator
        .call(Method::POST, &control, Some(json!({"action": "scale", "instances": 1})))
        .await;
    assert_eq!(scaled["instances"], 1, "{scaled}");

    // Refusals.
    let (status, body) = operator
        .call(Method::POST, &control, Some(json!({"action": "explode"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().starts_with("action"),
        "{body}"
    );
    let (status, body) = operator
        .call(Method::POST, &control, Some(json!({"action": "scale"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = operator
        .call(
            Method::POST,
            "/v1/agents/AG-999/control",
            Some(json!({"action": "stop"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = analyst
        .call(Method::POST, &control, Some(json!({"action": "stop"})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = operator.call(Method::POST, "/v1/phases/7/deploy", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("phases: 1, 2, 3"),
        "{body}"
    );

    // Logs: the last lines, then followed.
    until("the agent logs", Duration::from_secs(20), async || {
        let (status, text) = analyst
            .call(Method::GET, &format!("/v1/agents/{AGENT}/logs?tail=20"), None)
            .await;
        status == StatusCode::OK && text.as_str().is_some_and(|t| !t.is_empty())
    })
    .await;
    let followed = tokio::time::timeout(
        Duration::from_secs(20),
        analyst.events(
            Method::GET,
            &format!("/v1/agents/{AGENT}/logs?tail=5&follow=true"),
            None,
            |_| true,
        ),
    )
    .await
    .unwrap();
    assert_eq!(followed[0].0, "log", "{followed:?}");
    assert!(!followed[0].1["text"].as_str().unwrap().is_empty());

    // The history has what the script did.
    let (_, history) = analyst
        .call(Method::GET, &format!("/v1/agents/{AGENT}/history?limit=50"), None)
        .await;
    let kinds: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["event"]["kind"].as_str())
        .collect();
    assert!(!kinds.is_empty(), "{history}");

    // Stats and seed 001's summaries.
    let (status, stats) = analyst.call(Method::GET, "/v1/fleet/stats", None).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert!(stats.as_array().unwrap().iter().any(|s| s["agentId"] == AGENT));
    let (status, system) = analyst.call(Method::GET, "/v1/status", None).await;
    assert_eq!(status, StatusCode::OK, "{system}");
    assert_eq!(system["agentsTotal"], 69, "{system}");
    assert_eq!(system["engine"]["docker"]["state"], "connected", "{system}");
    let (status, infra) = analyst.call(Method::GET, "/v1/infrastructure/status", None).await;
    assert_eq!(status, StatusCode::OK, "{infra}");
    assert!(infra["containers"].as_u64().unwrap() >= 20, "{infra}");
    assert!(infra["memoryBytes"].as_u64().unwrap() > 0, "{infra}");
    let (_, phases) = analyst.call(Method::GET, "/v1/phases", None).await;
    assert_eq!(phases[0]["healthy"], 20, "{phases}");

    // Undeploy.
    let (status, removed) = operator.call(Method::POST, "/v1/phases/1/undeploy", None).await;
    assert_eq!(status, StatusCode::OK, "{removed}");
    assert_eq!(removed["removed"], 20, "{removed}");
    let (_, audit) = Caller {
        http: Client::new(),
        base: format!("http://{listen}"),
        key: api_key(&engine, Role::Admin).await,
    }
    .call(Method::GET, "/v1/audit?limit=100", None)
    .await;
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["action"].as_str())
        .collect();
    for action in [
        "fleet.deploy",
        "agent.stop",
        "agent.start",
        "agent.restart",
        "fleet.undeploy",
    ] {
        assert!(actions.contains(&action), "{action} not audited: {actions:?}");
    }

    stop.cancel();
    engine.shutdown(Duration::from_secs(5)).await;
}
