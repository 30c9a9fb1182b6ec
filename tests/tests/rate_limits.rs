//! Requests a minute per API client (seed 003: 100), through the local
//! API without a socket (`tower::ServiceExt::oneshot` on the router), over
//! a real engine on a temp data dir. Docker is pointed at a missing socket:
//! nothing here needs it.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::Value;
use sutazai_engine::security::rate::ClientKind;
use sutazai_engine::security::Role;
use sutazai_engine::{Engine, SystemClock};
use sutazai_tests::engine::{api_key, config};
use tower::ServiceExt;

const PER_MINUTE: u64 = 100;

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    json: Value,
}

async fn call(app: &Router, method: Method, uri: &str, token: &str) -> Answer {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let (parts, body) = app.clone().oneshot(request).await.unwrap().into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    Answer {
        status: parts.status,
        headers: parts.headers,
        json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

/// Calls `GET /v1/health` with `token` until it is refused (at most twice
/// the quota): the answers let through, and the refusal.
///
/// GCRA lets one more request through for each 600 ms that passes (a
/// hundredth of the minute), so on a slow machine a few past the hundredth
/// may still get through: at most one per 600 ms the calls took.
async fn until_refused(app: &Router, token: &str) -> (u64, Answer) {
    let began = Instant::now();
    for n in 0..2 * PER_MINUTE {
        let answer = call(app, Method::GET, "/v1/health", token).await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            let refills = began.elapsed().as_millis() as u64 / (60_000 / PER_MINUTE);
            assert!(
                (PER_MINUTE..=PER_MINUTE + refills).contains(&n),
                "refused after {n} requests in {:?}",
                began.elapsed()
            );
            return (n, answer);
        }
        assert!(
            answer.status.is_success(),
            "request {n}: {} {}",
            answer.status,
            answer.json
        );
    }
    panic!("{} requests and none refused", 2 * PER_MINUTE);
}

/// The `Retry-After` header in whole seconds.
fn retry_after(answer: &Answer) -> u64 {
    answer.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn each_api_key_and_agent_gets_100_requests_a_minute_then_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let (config, report) = config(
        dir.path(),
        &[
            ("SUTAZAI_DOCKER_HOST", "unix:///nonexistent.sock"),
            ("SUTAZAI_API_RATE_PER_MINUTE", "100"),
            ("SUTAZAI_AGENT_RATE_PER_MINUTE", "100"),
        ],
    );
    let engine = Engine::start(config, report, Arc::new(SystemClock)).await.unwrap();
    let mut refusals = engine.subscribe_rate_refusals();
    let operator = api_key(&engine, Role::Operator).await;
    let analyst = api_key(&engine, Role::Analyst).await;
    let agent = engine.issue_service_tokens("sutazai-ag-001").await.unwrap().agent_token;
    let app = sutazai_http::app(Arc::clone(&engine));

    // One key: its first hundred go through, the next is refused.
    let (allowed, refused) = until_refused(&app, &operator).await;
    assert!(retry_after(&refused) >= 1, "{:?}", refused.headers);
    assert_eq!(refused.json["error"]["code"], "rate_limited", "{}", refused.json);
    let message = refused.json["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("key:operator") && message.contains("100 requests a minute"),
        "{message}"
    );
    // Refused again, on every route.
    let again = call(&app, Method::GET, "/v1/tasks", &operator).await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS, "{}", again.json);

    // Another key is not affected.
    let other = call(&app, Method::GET, "/v1/health", &analyst).await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.json);

    // An agent's service token has its own quota, on the hub's routes and
    // the LLM gateway's alike; the gateway refuses in Ollama's shape.
    let (_, refused) = until_refused(&app, &agent).await;
    assert_eq!(refused.json["error"]["code"], "rate_limited");
    let gateway = call(&app, Method::GET, "/api/tags", &agent).await;
    assert_eq!(gateway.status, StatusCode::TOO_MANY_REQUESTS, "{}", gateway.json);
    assert!(retry_after(&gateway) >= 1);
    let said = gateway.json["error"].as_str().unwrap();
    assert!(said.starts_with("rate limit exceeded: agent:AG-001"), "{said}");

    // The Security view's counters.
    let keys = engine.api_keys().await.unwrap();
    let id_of = |name: &str| keys.iter().find(|k| k.name == name).unwrap().id;
    let rates = engine.rate_limits();
    let rate = |client: &str| {
        rates
            .iter()
            .find(|r| r.client == client)
            .unwrap_or_else(|| panic!("{rates:?}"))
    };
    let operator_rate = rate(&format!("key:{}", id_of("operator")));
    assert_eq!(operator_rate.kind, ClientKind::ApiKey);
    assert_eq!(operator_rate.limit_per_minute, 100);
    assert_eq!(u64::from(operator_rate.allowed_last_minute), allowed);
    assert_eq!((operator_rate.refused_last_minute, operator_rate.refused_total), (2, 2));
    assert!(operator_rate.last_refused_ms.is_some());
    let analyst_rate = rate(&format!("key:{}", id_of("analyst")));
    assert_eq!((analyst_rate.allowed_last_minute, analyst_rate.refused_total), (1, 0));
    let agent_rate = rate("agent:AG-001");
    assert_eq!(agent_rate.kind, ClientKind::Agent);
    assert_eq!(agent_rate.refused_total, 2);

    // One refusal a minute per client is announced, and audited.
    let mut announced = Vec::new();
    while let Ok(refusal) = refusals.try_recv() {
        announced.push(refusal.client);
    }
    assert_eq!(announced, [format!("key:{}", id_of("operator")), "agent:AG-001".into()]);
    let audited: Vec<_> = engine
        .audit_log(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.record.action == "api.refused")
        .map(|e| (e.record.actor, e.record.outcome))
        .collect();
    assert_eq!(audited.len(), 2, "{audited:?}");
    for (actor, outcome) in &audited {
        assert!(["key:operator", "agent:AG-001"].contains(&actor.as_str()), "{actor}");
        assert!(outcome.starts_with("refused: rate limit exceeded"), "{outcome}");
    }

    // And each client over its limit is an alert.
    let operator_client = format!("key:{}", id_of("operator"));
    let query = || sutazai_engine::alerts::model::AlertQuery {
        text: Some("rate_limited".into()),
        ..sutazai_engine::alerts::model::AlertQuery::open(10)
    };
    sutazai_tests::until("both rate alerts fire", Duration::from_secs(10), async || {
        engine.alerts(query()).await.unwrap().len() == 2
    })
    .await;
    let mut subjects: Vec<String> = engine
        .alerts(query())
        .await
        .unwrap()
        .into_iter()
        .filter_map(|a| a.subject)
        .collect();
    subjects.sort();
    assert_eq!(subjects, ["agent:AG-001".to_string(), operator_client]);
    engine.shutdown(Duration::from_secs(2)).await;
}
