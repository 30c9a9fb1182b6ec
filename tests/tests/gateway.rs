//! The LLM gateway, called without a socket (`tower::ServiceExt::oneshot`
//! on the API's router) over a real engine on a temp data dir, forwarding
//! to the fake Ollama. Docker is pointed at a missing socket; nothing here
//! needs it.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sutazai_engine::fleet::stats::StatsPreference;
use sutazai_engine::llm::usage::ModelUsage;
use sutazai_engine::security::tokens::{Credentials, Epochs, HubSecret};
use sutazai_engine::security::Role;
use sutazai_engine::{Engine, SystemClock};
use sutazai_tests::engine::{api_key, config};
use sutazai_tests::fake_ollama::{FakeModel, FakeOllama, Fault};
use tempfile::TempDir;
use tower::ServiceExt;

/// AG-001's models in the shipped catalog.
const PREFERRED: &str = "mistral:7b-instruct-q4_K_M";
const FALLBACK: &str = "llama3.2:1b";

struct Hub {
    engine: Arc<Engine>,
    app: Router,
    ollama: FakeOllama,
    /// AG-001's service token.
    agent: String,
    admin: String,
    analyst: String,
    _dir: TempDir,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    bytes: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.bytes)))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

async fn hub(models: &[&str], env: &[(&str, &str)]) -> Hub {
    let ollama = FakeOllama::start(models.iter().map(|m| FakeModel::new(m)).collect())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = ollama.url();
    let mut vars = vec![
        ("SUTAZAI_DOCKER_HOST", "unix:///nonexistent.sock"),
        ("SUTAZAI_OLLAMA_URL", url.as_str()),
    ];
    vars.extend_from_slice(env);
    let (config, report) = config(dir.path(), &vars);
    let engine = Engine::start(config, report, Arc::new(SystemClock)).await.unwrap();
    let (admin, analyst) = (
        api_key(&engine, Role::Admin).await,
        api_key(&engine, Role::Analyst).await,
    );
    let agent = engine.issue_service_tokens("sutazai-ag-001").await.unwrap().agent_token;
    Hub {
        app: sutazai_http::app(Arc::clone(&engine)),
        engine,
        ollama,
        agent,
        admin,
        analyst,
        _dir: dir,
    }
}

impl Hub {
    async fn call(&self, method: Method, uri: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        call(self.app.clone(), method, uri, token.map(str::to_string), body).await
    }

    async fn generate(&self, body: Value) -> Answer {
        self.call(Method::POST, "/api/generate", Some(&self.agent), Some(body))
            .await
    }

    fn usage(&self, caller: &str, model: &str) -> ModelUsage {
        let stats = self.engine.gateway_stats();
        stats
            .usage
            .into_iter()
            .find(|u| u.caller == caller && u.model == model)
            .unwrap_or_else(|| panic!("no usage for {caller} {model}"))
    }

    async fn stop(self) {
        self.engine.shutdown(Duration::from_secs(2)).await;
    }
}

async fn call(app: Router, method: Method, uri: &str, token: Option<String>, body: Option<Value>) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match body {
        Some(body) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    let response = app.oneshot(request.body(body).unwrap()).await.unwrap();
    let (parts, body) = response.into_parts();
    Answer {
        status: parts.status,
        headers: parts.headers,
        bytes: body.collect().await.unwrap().to_bytes(),
    }
}

/// NDJSON lines without `created_at`, the one field that differs between
/// two answers of the fake.
fn without_times(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|line| {
            let mut value: Value = serde_json::from_str(line).unwrap();
            value.as_object_mut().unwrap().remove("created_at");
            value
        })
        .collect()
}

fn deterministic(prompt: &str) -> Value {
    json!({"model": FALLBACK, "prompt": prompt, "stream": false, "options": {"temperature": 0}})
}

#[tokio::test]
async fn a_missing_or_unknown_token_is_a_401_in_ollamas_shape() {
    let hub = hub(&[FALLBACK], &[]).await;
    for route in sutazai_http::gateway_routes() {
        for token in [
            None,
            Some("sza2.sutazai-ag-001.00.00000000000000000000000000000000"),
            Some("nope"),
        ] {
            let body = (route.method == Method::POST).then(|| deterministic("hi"));
            let answer = hub.call(route.method.clone(), route.path, token, body).await;
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{} with {token:?}", route.path);
            assert!(answer.json()["error"].is_string(), "{}", answer.json());
            assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
        }
    }
    let refused = hub.call(Method::GET, "/api/tags", Some(&hub.analyst), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.json()["error"],
        "role analyst may not call the LLM gateway (roles that may: admin, service)"
    );
    // The engine's status probe calls Ollama too; the model calls did not.
    let model_calls = hub.ollama.calls("/api/generate") + hub.ollama.calls("/api/chat");
    assert_eq!(model_calls, 0, "nothing refused reached Ollama");
    hub.stop().await;
}

#[tokio::test]
async fn an_agent_token_calls_the_gateway_and_nothing_beyond_its_role() {
    let hub = hub(&[FALLBACK], &[]).await;
    let tags = hub.call(Method::GET, "/api/tags", Some(&hub.agent), None).await;
    assert_eq!(tags.status, StatusCode::OK);
    assert_eq!(tags.json()["models"][0]["name"], FALLBACK);
    let admin = hub.call(Method::GET, "/api/tags", Some(&hub.admin), None).await;
    assert_eq!(admin.status, StatusCode::OK, "an admin key may call it too");
    for (method, uri) in [
        (Method::GET, "/v1/tasks"),
        (Method::GET, "/v1/tasks/t-1"),
        (Method::DELETE, "/v1/tasks/t-1"),
        (Method::POST, "/v1/tasks/t-1/requeue"),
        (Method::GET, "/v1/agents"),
        (Method::GET, "/v1/events"),
        (Method::GET, "/v1/keys"),
        (Method::GET, "/v1/audit"),
    ] {
        let answer = hub.call(method.clone(), uri, Some(&hub.agent), None).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{method} {uri}");
        assert_eq!(answer.json()["error"]["code"], "forbidden");
    }
    hub.stop().await;
}

#[tokio::test]
async fn a_cache_hit_returns_the_same_bytes_without_reaching_ollama() {
    let hub = hub(&[FALLBACK], &[]).await;
    let first = hub.generate(deterministic("cache me")).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header("x-sutazai-cache"), None);
    let second = hub.generate(deterministic("cache me")).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.header("x-sutazai-cache"), Some("hit"));
    assert_eq!(second.header("x-sutazai-model"), Some(FALLBACK));
    assert_eq!(second.bytes, first.bytes, "the very same bytes, created_at included");
    assert_eq!(hub.ollama.calls("/api/generate"), 1);

    // A seed is as good as a zero temperature; anything else is asked again.
    let seeded = json!({"model": FALLBACK, "prompt": "s", "stream": false, "options": {"seed": 7, "temperature": 0.9}});
    hub.generate(seeded.clone()).await;
    assert_eq!(hub.generate(seeded).await.header("x-sutazai-cache"), Some("hit"));
    let warm = json!({"model": FALLBACK, "prompt": "w", "stream": false, "options": {"temperature": 0.7}});
    hub.generate(warm.clone()).await;
    assert_eq!(hub.generate(warm).await.header("x-sutazai-cache"), None);
    assert_eq!(hub.ollama.calls("/api/generate"), 4);
    hub.stop().await;
}

#[tokio::test]
async fn a_stream_is_forwarded_unchanged() {
    let hub = hub(&[FALLBACK], &[]).await;
    let http = reqwest::Client::new();
    for (path, body) in [
        (
            "/api/generate",
            json!({"model": FALLBACK, "prompt": "tell me about the hub", "system": "be brief"}),
        ),
        (
            "/api/chat",
            json!({"model": FALLBACK, "messages": [{"role": "user", "content": "hello there"}]}),
        ),
    ] {
        let through = hub.call(Method::POST, path, Some(&hub.agent), Some(body.clone())).await;
        let direct = http
            .post(format!("{}{path}", hub.ollama.url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(through.status.as_u16(), direct.status().as_u16());
        assert_eq!(through.header("content-type"), Some("application/x-ndjson"));
        let direct = direct.bytes().await.unwrap();
        let lines = without_times(&through.bytes);
        assert!(lines.len() > 3, "{path}: {lines:?}");
        assert_eq!(lines, without_times(&direct), "{path}");
        assert_eq!(
            through.bytes.len(),
            direct.len(),
            "{path}: same bytes but the timestamps"
        );
    }
    hub.stop().await;
}

#[tokio::test]
async fn a_busy_model_queues_then_refuses_with_503() {
    let hub = hub(
        &[FALLBACK],
        &[("SUTAZAI_LLM_MODEL_CONCURRENCY", "2"), ("SUTAZAI_LLM_QUEUE", "1")],
    )
    .await;
    hub.ollama.set_fault(Fault::Latency(Duration::from_millis(600)));
    let body = json!({"model": FALLBACK, "prompt": "slow", "stream": false});
    let running: Vec<_> = (0..3)
        .map(|_| {
            let (app, token, body) = (hub.app.clone(), hub.agent.clone(), body.clone());
            tokio::spawn(async move { call(app, Method::POST, "/api/generate", Some(token), Some(body)).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(hub.ollama.calls("/api/generate"), 2, "the third waits in the queue");
    let refused = hub.generate(body.clone()).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        refused.json(),
        json!({"error": format!("model {FALLBACK} is busy: 2 running, 1 waiting; try again later")})
    );
    for answer in running {
        assert_eq!(answer.await.unwrap().status, StatusCode::OK);
    }
    assert_eq!(hub.ollama.calls("/api/generate"), 3);
    let usage = hub.usage("AG-001", FALLBACK);
    assert_eq!((usage.calls, usage.errors), (4, 1));
    hub.stop().await;
}

#[tokio::test]
async fn a_slow_model_times_out_with_504() {
    let hub = hub(&[FALLBACK], &[("SUTAZAI_LLM_TIMEOUT_MS", "200")]).await;
    hub.ollama.set_fault(Fault::Latency(Duration::from_millis(1000)));
    let answer = hub
        .generate(json!({"model": FALLBACK, "prompt": "x", "stream": false}))
        .await;
    assert_eq!(answer.status, StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(
        answer.json()["error"],
        format!("model {FALLBACK} did not answer within 0.2 s (llm_timeout_ms)")
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_missing_preferred_model_falls_back_and_says_so() {
    let hub = hub(&[FALLBACK], &[]).await;
    let answer = hub
        .generate(json!({"model": PREFERRED, "prompt": "hi", "stream": false}))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json());
    assert_eq!(answer.header("x-sutazai-model"), Some(FALLBACK));
    assert_eq!(answer.json()["model"], FALLBACK);
    let models: Vec<_> = hub.ollama.requests().into_iter().filter_map(|r| r.model).collect();
    assert_eq!(models, [PREFERRED, FALLBACK]);
    assert_eq!(hub.usage("AG-001", FALLBACK).fallbacks, 1);

    // Ollama's 404 passes through for a caller without a manifest.
    let missing = hub
        .call(
            Method::POST,
            "/api/generate",
            Some(&hub.admin),
            Some(json!({"model": PREFERRED, "prompt": "hi"})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.json()["error"]
            .as_str()
            .unwrap()
            .contains("not found, try pulling it first"),
        "{}",
        missing.json()
    );
    hub.stop().await;
}

#[tokio::test]
async fn model_names_are_checked_and_an_agent_keeps_to_its_manifest() {
    let hub = hub(&[FALLBACK, "qwen2.5-coder:1.5b"], &[]).await;
    let long = "m".repeat(300);
    let cases = [
        // (who, model, status, what the error says)
        ("agent", "../../etc/passwd", StatusCode::BAD_REQUEST, "model: "),
        ("agent", "", StatusCode::BAD_REQUEST, "model: the model name is empty"),
        ("agent", long.as_str(), StatusCode::BAD_REQUEST, "model: the model name is 300 bytes long"),
        ("admin", "two words", StatusCode::BAD_REQUEST, "model: "),
        // Installed, but not AG-001's: its manifest names two models.
        (
            "agent",
            "qwen2.5-coder:1.5b",
            StatusCode::FORBIDDEN,
            "model qwen2.5-coder:1.5b is not this agent's: its manifest names mistral:7b-instruct-q4_K_M and, as fallback, llama3.2:1b",
        ),
        ("agent", FALLBACK, StatusCode::OK, ""),
        ("admin", "qwen2.5-coder:1.5b", StatusCode::OK, ""),
        // A valid name Ollama does not have.
        ("admin", "no-such-model:7b", StatusCode::NOT_FOUND, "not found"),
    ];
    for (who, model, status, says) in cases {
        let token = if who == "agent" { &hub.agent } else { &hub.admin };
        let body = json!({"model": model, "prompt": "hi", "stream": false});
        let answer = hub.call(Method::POST, "/api/generate", Some(token), Some(body)).await;
        assert_eq!(
            answer.status,
            status,
            "{who} {model:?}: {}",
            String::from_utf8_lossy(&answer.bytes)
        );
        if !says.is_empty() {
            let error = answer.json()["error"].as_str().unwrap().to_string();
            assert!(error.contains(says), "{who} {model:?}: {error}");
        }
    }
    // Counters exist only for models Ollama has: the refused names and the
    // missing one left no row of their own.
    let stats = hub.engine.gateway_stats();
    let mut models: Vec<&str> = stats.by_model.iter().map(|row| row.name.as_str()).collect();
    models.sort_unstable();
    assert_eq!(models, ["(not installed)", FALLBACK, "qwen2.5-coder:1.5b"]);
    let refused = hub
        .ollama
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/generate")
        .count();
    assert_eq!(refused, 3, "only the three valid, allowed calls reached Ollama");
    hub.stop().await;
}

#[tokio::test]
async fn made_up_names_keep_no_counters_when_ollama_fails() {
    let mut hub = hub(&[FALLBACK], &[]).await;
    // Known before the faults: Ollama answered 200 for it.
    let ok = json!({"model": FALLBACK, "prompt": "hi", "stream": false});
    let answer = hub
        .call(Method::POST, "/api/generate", Some(&hub.admin), Some(ok))
        .await;
    assert_eq!(answer.status, StatusCode::OK);

    // (fault, who, model, status, counted under)
    let cases = [
        (Fault::ServerError, "admin", "made-up-1:1b", 500, "(unconfirmed model)"),
        (Fault::ServerError, "admin", "made-up-2:1b", 500, "(unconfirmed model)"),
        (Fault::ServerError, "admin", FALLBACK, 500, FALLBACK),
        // An agent's manifest model is counted by name from its first call.
        (Fault::ServerError, "agent", PREFERRED, 500, PREFERRED),
    ];
    for (fault, who, model, status, counted) in cases {
        hub.ollama.set_fault(fault);
        let token = if who == "agent" { &hub.agent } else { &hub.admin };
        let body = json!({"model": model, "prompt": "hi", "stream": false});
        let answer = hub.call(Method::POST, "/api/generate", Some(token), Some(body)).await;
        assert_eq!(
            answer.status.as_u16(),
            status,
            "{who} {model}: {}",
            String::from_utf8_lossy(&answer.bytes)
        );
        let stats = hub.engine.gateway_stats();
        assert!(
            stats.by_model.iter().any(|row| row.name == counted && row.errors > 0),
            "{who} {model}: an error counted under {counted}: {:?}",
            stats.by_model.iter().map(|r| (&r.name, r.errors)).collect::<Vec<_>>()
        );
    }
    // Ollama down: nothing answers for any name.
    hub.ollama.stop().await;
    for n in 0..50 {
        let body = json!({"model": format!("down-{n}:7b"), "prompt": "hi", "stream": false});
        let answer = hub
            .call(Method::POST, "/api/generate", Some(&hub.admin), Some(body))
            .await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_GATEWAY,
            "{}",
            String::from_utf8_lossy(&answer.bytes)
        );
    }
    let stats = hub.engine.gateway_stats();
    let mut models: Vec<&str> = stats.by_model.iter().map(|row| row.name.as_str()).collect();
    models.sort_unstable();
    assert_eq!(models, ["(unconfirmed model)", FALLBACK, PREFERRED]);
    let unconfirmed = stats.by_model.iter().find(|r| r.name == "(unconfirmed model)").unwrap();
    assert_eq!((unconfirmed.calls, unconfirmed.errors), (52, 52));
    hub.stop().await;
}

#[tokio::test]
async fn accounting_counts_calls_tokens_hits_and_errors() {
    let hub = hub(&[FALLBACK], &[]).await;
    let streamed = hub
        .generate(json!({"model": FALLBACK, "prompt": "one two three four"}))
        .await;
    let last = without_times(&streamed.bytes).pop().unwrap();
    let whole = hub.generate(deterministic("five six")).await.json();
    hub.generate(deterministic("five six")).await;
    hub.ollama.set_fault(Fault::ServerError);
    let failed = hub.generate(json!({"model": FALLBACK, "prompt": "x"})).await;
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(failed.json()["error"], "fake ollama: injected server error");

    let count = |v: &Value, name: &str| v[name].as_u64().unwrap();
    let usage = hub.usage("AG-001", FALLBACK);
    assert_eq!(usage.calls, 4);
    assert_eq!(usage.cache_hits, 1);
    assert_eq!(usage.errors, 1);
    assert_eq!(usage.fallbacks, 0);
    assert_eq!(
        usage.tokens_in,
        count(&last, "prompt_eval_count") + count(&whole, "prompt_eval_count")
    );
    assert_eq!(
        usage.tokens_out,
        count(&last, "eval_count") + count(&whole, "eval_count")
    );
    assert!(usage.tokens_in > 0 && usage.tokens_out > 0);
    assert!(usage.latency_p95_ms >= usage.latency_p50_ms && usage.latency_max_ms > 0.0);
    hub.stop().await;
}

/// A secret and an epochs table in `dir`, as the engine makes them.
fn credentials(dir: &std::path::Path) -> Credentials {
    let store = sutazai_engine::store::Store::open(&dir.join("db")).unwrap();
    let epochs = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(Epochs::load(store))
        .unwrap();
    Credentials {
        secret: HubSecret::load_or_create(dir).unwrap(),
        epochs,
    }
}

#[test]
fn containers_get_the_hub_as_their_ollama() {
    let dir = tempfile::tempdir().unwrap();
    let (config, _) = config(
        dir.path(),
        &[
            ("SUTAZAI_OLLAMA_URL", "http://127.0.0.1:11434"),
            ("SUTAZAI_API_LISTEN", "127.0.0.1:10299"),
        ],
    );
    let fleet = sutazai_engine::engine::fleet_config(&config, StatsPreference::Cheapest, credentials(dir.path()));
    assert_eq!(fleet.agent_ollama_url, "http://host.docker.internal:10299");
    assert_eq!(fleet.agent_ollama_url, fleet.agent_hub_url);
}
