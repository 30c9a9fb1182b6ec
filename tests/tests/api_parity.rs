//! What the Models, Metrics, Security, Settings views and the designer do,
//! through the local API on real sockets, over a real engine with the fake
//! Ollama: models listed, pulled (progress as server-sent events, and as
//! JSON), a pull cancelled that does not run, a model deleted; the
//! gateway's statistics; the catalog, capabilities and configuration (admin
//! only); the metrics catalog and a chart (SVG, and the PNG the window
//! exports); silences and notifications; the rate limits; a designer draft
//! kept, read and thrown away; "Start Ollama" and seed 001's service
//! control. Docker is pointed at a missing socket: an agent as a service
//! reaches the fleet, which says Docker is missing.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::time::Duration;

use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use sutazai_engine::security::Role;
use sutazai_tests::caller::Caller;
use sutazai_tests::engine::{api_key, start_with_api};
use sutazai_tests::fake_ollama::{FakeModel, FakeOllama, PullPlan};

#[tokio::test(flavor = "multi_thread")]
async fn the_windows_views_answer_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let ollama = FakeOllama::start(vec![FakeModel::new("llama3.2:1b")]).await.unwrap();
    ollama.set_pull(PullPlan {
        steps: 5,
        ..PullPlan::default()
    });
    let (engine, listen, stop) = start_with_api(
        dir.path(),
        &[
            ("SUTAZAI_OLLAMA_URL", ollama.url().as_str()),
            ("SUTAZAI_DOCKER_HOST", "unix:///nonexistent.sock"),
        ],
    )
    .await;
    let caller = |key: String| Caller {
        http: Client::new(),
        base: format!("http://{listen}"),
        key,
    };
    let admin = caller(api_key(&engine, Role::Admin).await);
    let operator = caller(api_key(&engine, Role::Operator).await);
    let analyst = caller(api_key(&engine, Role::Analyst).await);

    // Models: listed, pulled with progress, pulled as JSON, deleted.
    let (status, models) = analyst.call(Method::GET, "/v1/models", None).await;
    assert_eq!(status, StatusCode::OK, "{models}");
    assert!(models.to_string().contains("llama3.2:1b"), "{models}");
    let events = operator
        .events(
            Method::POST,
            "/v1/models/pull",
            Some(json!({"name": "qwen2.5-coder:1.5b"})),
            |_| false,
        )
        .await;
    let progress = events.iter().filter(|(e, _)| e == "progress").count();
    assert!(progress >= 5, "{events:?}");
    let (last, done) = events.last().unwrap();
    assert_eq!(last, "done", "{events:?}");
    assert_eq!(done["name"], "qwen2.5-coder:1.5b");
    assert_eq!(done["status"], "success");
    let (status, pulled) = operator
        .call(Method::POST, "/v1/models/pull", Some(json!({"name": "phi3:mini"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{pulled}");
    let (_, models) = analyst.call(Method::GET, "/v1/models", None).await;
    assert!(models.to_string().contains("qwen2.5-coder:1.5b"), "{models}");
    assert!(models.to_string().contains("phi3:mini"), "{models}");
    let (status, body) = operator.call(Method::DELETE, "/v1/models/phi3%3Amini", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, models) = analyst.call(Method::GET, "/v1/models", None).await;
    assert!(!models.to_string().contains("phi3:mini"), "{models}");
    let (status, body) = operator.call(Method::DELETE, "/v1/models/pull/phi3%3Amini", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = operator
        .call(Method::POST, "/v1/models/pull", Some(json!({"name": "../etc"})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = analyst
        .call(Method::POST, "/v1/models/pull", Some(json!({"name": "phi3:mini"})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The gateway, the catalog, the configuration.
    let (status, stats) = analyst.call(Method::GET, "/v1/gateway/stats", None).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert!(stats["byModel"].is_array(), "{stats}");
    let (_, catalog) = analyst.call(Method::GET, "/v1/catalog", None).await;
    assert_eq!(catalog["agents"], 69, "{catalog}");
    let (_, capabilities) = analyst.call(Method::GET, "/v1/capabilities", None).await;
    assert!(capabilities
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["capability"] == "code_review"));
    let (status, config) = admin.call(Method::GET, "/v1/config", None).await;
    assert_eq!(status, StatusCode::OK, "{config}");
    assert!(config["values"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v.to_string().contains("ollama_url")));
    let (status, _) = operator.call(Method::GET, "/v1/config", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, refreshed) = analyst.call(Method::POST, "/v1/status/refresh", None).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_eq!(refreshed["ollama"]["state"], "connected", "{refreshed}");

    // Metrics: the catalog and a chart (SVG drawn by plotters).
    let (status, metrics) = analyst.call(Method::GET, "/v1/metrics/catalog", None).await;
    assert_eq!(status, StatusCode::OK, "{metrics}");
    assert!(!metrics["metrics"].as_array().unwrap().is_empty());
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let (status, chart) = analyst
        .call(
            Method::POST,
            "/v1/metrics/chart",
            Some(json!({
                "query": {"series": ["cpu_percent"], "fromMs": now - 300_000, "toMs": now, "width": 400},
                "spec": {"title": "CPU", "width": 400, "height": 200, "utcOffsetMinutes": 0, "dark": false}
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{chart}");
    assert!(chart["svg"].as_str().unwrap().contains("<svg"), "{chart}");
    let png = analyst
        .http
        .post(format!("{}/v1/metrics/chart?format=png", analyst.base))
        .bearer_auth(&analyst.key)
        .json(&json!({
            "query": {"series": ["cpu_percent"], "fromMs": now - 300_000, "toMs": now, "width": 400},
            "spec": {"title": "CPU", "width": 400, "height": 200, "utcOffsetMinutes": 0, "dark": true}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(png.status(), StatusCode::OK);
    assert_eq!(png.headers()["content-type"], "image/png");
    let png = png.bytes().await.unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{:?}", &png[..png.len().min(16)]);
    let (status, body) = analyst
        .call(Method::POST, "/v1/metrics/chart?format=gif", Some(json!({"query": {}})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("format"), "{body}");
    let (status, chart) = analyst
        .call(Method::POST, "/v1/metrics/chart", Some(json!({"query": {}})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{chart}");
    assert!(
        chart["error"]["message"].as_str().unwrap().starts_with("query"),
        "{chart}"
    );

    // Alerts: a silence listed and ended; the notifications sent.
    let (status, _) = operator
        .call(
            Method::POST,
            "/v1/alerts/silence",
            Some(json!({"fingerprint": "agent_died:AG-001", "minutes": 60})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, silences) = analyst.call(Method::GET, "/v1/alerts/silences", None).await;
    assert_eq!(silences[0]["fingerprint"], "agent_died:AG-001", "{silences}");
    let (status, _) = operator
        .call(Method::DELETE, "/v1/alerts/silences/agent_died%3AAG-001", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, silences) = analyst.call(Method::GET, "/v1/alerts/silences", None).await;
    assert_eq!(silences, json!([]));
    let (status, _) = operator
        .call(Method::DELETE, "/v1/alerts/silences/agent_died%3AAG-001", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, notices) = analyst.call(Method::GET, "/v1/alerts/notices?limit=5", None).await;
    assert_eq!(status, StatusCode::OK, "{notices}");
    assert!(notices.is_array());
    let (status, rates) = admin.call(Method::GET, "/v1/rate-limits", None).await;
    assert_eq!(status, StatusCode::OK, "{rates}");
    assert!(
        !rates.as_array().unwrap().is_empty(),
        "the admin's own requests count: {rates}"
    );

    // A designer draft: kept, read, thrown away.
    let (_, definition) = analyst.call(Method::GET, "/v1/workflows/code_review", None).await;
    let mut workflow = definition["workflow"].clone();
    assert!(workflow.is_object(), "{definition}");
    workflow["name"] = json!("Code review (edited)");
    let (status, draft) = operator
        .call(
            Method::PUT,
            "/v1/workflows/code_review/draft",
            Some(json!({"workflow": workflow, "base": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{draft}");
    let (_, draft) = analyst.call(Method::GET, "/v1/workflows/code_review/draft", None).await;
    assert_eq!(draft["workflow"]["name"], "Code review (edited)", "{draft}");
    let (status, _) = operator
        .call(Method::DELETE, "/v1/workflows/code_review/draft", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, draft) = analyst.call(Method::GET, "/v1/workflows/code_review/draft", None).await;
    assert_eq!(draft, Value::Null);

    // "Start Ollama" and seed 001's service control.
    let (status, body) = operator.call(Method::POST, "/v1/ollama/start", None).await;
    assert_eq!(status, StatusCode::CONFLICT, "no launcher in a bare engine: {body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("ollama serve"),
        "{body}"
    );
    let (status, body) = operator
        .call(
            Method::POST,
            "/v1/infrastructure/services/ollama/control",
            Some(json!({"action": "stop"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = operator
        .call(
            Method::POST,
            "/v1/infrastructure/services/AG-005/control",
            Some(json!({"action": "restart"})),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "the fleet answers: {body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("Docker"), "{body}");
    let (status, body) = operator
        .call(
            Method::POST,
            "/v1/infrastructure/services/redis/control",
            Some(json!({"action": "restart"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("redis"), "{body}");
    let (status, _) = analyst
        .call(
            Method::POST,
            "/v1/infrastructure/services/AG-005/control",
            Some(json!({"action": "restart"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    stop.cancel();
    engine.shutdown(Duration::from_secs(5)).await;
}
