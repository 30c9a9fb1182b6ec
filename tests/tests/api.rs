//! The local API, called without a socket (`tower::ServiceExt::oneshot` on
//! the router), over a real engine on a temp data dir. Docker is pointed at
//! a missing socket: tasks stay queued, which is all these tests need.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sutazai_engine::security::{Principal, Role};
use sutazai_engine::{Engine, SystemClock};
use sutazai_tests::engine::config;
use tempfile::TempDir;
use tower::ServiceExt;

/// Who calls: a key of each role, an agent's service token, or nobody.
const CALLERS: [&str; 6] = ["admin", "operator", "analyst", "service", "guest", "agent"];

/// A task any catalog agent with `code_review` could take.
fn a_task() -> Value {
    json!({"capability": "code_review", "taskType": "echo", "payload": {"text": "hi"}})
}

struct Api {
    engine: Arc<Engine>,
    app: Router,
    tokens: HashMap<&'static str, String>,
    _dir: TempDir,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    /// The JSON body (`Null` for an event stream, which is left unread; a
    /// string for a text answer).
    json: Value,
    /// The event stream's body, unread.
    stream: Option<Body>,
}

impl Answer {
    fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }

    fn message(&self) -> &str {
        self.json["error"]["message"].as_str().unwrap_or("")
    }
}

async fn api() -> Api {
    let dir = tempfile::tempdir().unwrap();
    let (config, report) = config(dir.path(), &[("SUTAZAI_DOCKER_HOST", "unix:///nonexistent.sock")]);
    let engine = Engine::start(config, report, Arc::new(SystemClock)).await.unwrap();
    let mut tokens = HashMap::new();
    for role in [Role::Admin, Role::Operator, Role::Analyst, Role::Service, Role::Guest] {
        let created = engine
            .create_api_key(role.as_str(), role, &Principal::Desktop)
            .await
            .unwrap();
        tokens.insert(role.as_str(), created.key);
    }
    let issued = engine.issue_service_tokens("sutazai-ag-001").await.unwrap();
    tokens.insert("agent", issued.agent_token);
    Api {
        app: sutazai_http::app(Arc::clone(&engine)),
        engine,
        tokens,
        _dir: dir,
    }
}

impl Api {
    /// `who` is a caller from [`CALLERS`], or a raw token.
    async fn call(&self, method: Method, uri: &str, who: Option<&str>, body: Option<Value>) -> Answer {
        let body = body.map(|b| b.to_string().into_bytes());
        self.raw(method, uri, who, "application/json", body).await
    }

    async fn raw(
        &self,
        method: Method,
        uri: &str,
        who: Option<&str>,
        content_type: &str,
        body: Option<Vec<u8>>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(who) = who {
            let token = self.tokens.get(who).cloned().unwrap_or_else(|| who.to_string());
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, content_type);
        }
        let request = request.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let is_stream = parts
            .headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        if is_stream {
            return Answer {
                status: parts.status,
                headers: parts.headers,
                json: Value::Null,
                stream: Some(body),
            };
        }
        let bytes = body.collect().await.unwrap().to_bytes();
        let is_text = parts
            .headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/plain") || v.as_bytes().starts_with(b"text/csv"));
        // `GET /metrics` answers Prometheus's text, `/v1/audit/export` CSV:
        // kept as a JSON string.
        let json = if is_text {
            Value::String(String::from_utf8(bytes.to_vec()).unwrap())
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| panic!("{} answered non-JSON: {}", uri, String::from_utf8_lossy(&bytes)))
        };
        Answer {
            status: parts.status,
            headers: parts.headers,
            json,
            stream: None,
        }
    }

    async fn submit(&self, who: &str, body: Value) -> Answer {
        self.call(Method::POST, "/v1/tasks", Some(who), Some(body)).await
    }

    async fn stop(self) {
        self.engine.shutdown(Duration::from_secs(2)).await;
    }
}

/// A route's path with its parameters filled in.
fn concrete(path: &str) -> String {
    path.replace("{id}", "t-none")
        .replace("{version}", "1")
        .replace("{step}", "s")
        // No such phase: a probe deploys nothing.
        .replace("{phase}", "9")
        // Nothing by these names: a probe pulls, deletes or controls nothing.
        .replace("{name}", "no-such-model")
        .replace("{service}", "no-such-service")
        .replace("{fingerprint}", "no_such_rule")
}

/// A body that passes no check beyond the role's, for routes that take one.
fn probe_body(method: &Method) -> Option<Value> {
    (method == Method::POST).then(|| json!({}))
}

#[tokio::test]
async fn every_endpoint_refuses_a_missing_or_unknown_token_with_401() {
    let api = api().await;
    let bogus = [
        None,
        Some("sk_00000000_0000000000000000000000000000000000000000"),
        Some("sza2.sutazai-ag-001.00.00000000000000000000000000000000"),
        Some("sza2.not-an-agent.00.00000000000000000000000000000000"),
        Some("whatever"),
    ];
    for route in sutazai_http::routes() {
        for token in bogus {
            let uri = concrete(route.path);
            let answer = api
                .call(route.method.clone(), &uri, token, probe_body(&route.method))
                .await;
            assert_eq!(
                answer.status,
                StatusCode::UNAUTHORIZED,
                "{} {uri} with {token:?}",
                route.method
            );
            assert_eq!(answer.code(), "unauthorized");
            assert_eq!(answer.headers[header::WWW_AUTHENTICATE], "Bearer");
        }
    }
    let basic = Request::get("/v1/health")
        .header(header::AUTHORIZATION, format!("Basic {}", api.tokens["admin"]))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        api.app.clone().oneshot(basic).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    api.stop().await;
}

#[tokio::test]
async fn every_endpoint_refuses_exactly_the_roles_its_actions_exclude() {
    let api = api().await;
    for route in sutazai_http::routes() {
        for who in CALLERS {
            let principal = match who {
                "agent" => Principal::Agent {
                    agent_id: "AG-001".into(),
                    container: "sutazai-ag-001".into(),
                    from: None,
                },
                name => Principal::Key {
                    id: 0,
                    name: name.into(),
                    role: Role::parse(name).unwrap(),
                    from: None,
                },
            };
            let role = principal.role();
            let allowed = route.actions.iter().any(|a| principal.allows(*a));
            let uri = concrete(route.path);
            let answer = api
                .call(route.method.clone(), &uri, Some(who), probe_body(&route.method))
                .await;
            let refused = answer.status == StatusCode::FORBIDDEN;
            assert_eq!(
                refused, !allowed,
                "{} {uri} as {who}: {} {}",
                route.method, answer.status, answer.json
            );
            if refused {
                assert_eq!(answer.code(), "forbidden");
                assert!(answer.message().contains(role.as_str()), "{}", answer.message());
            }
        }
    }
    api.stop().await;
}

#[tokio::test]
async fn lesser_roles_are_refused_what_they_may_not_do() {
    let api = api().await;
    let queued = api.submit("operator", a_task()).await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.json);
    let id = queued.json["id"].as_str().unwrap().to_string();
    let task = format!("/v1/tasks/{id}");
    let key = json!({"name": "x", "role": "guest"});
    let top_level = a_task();
    let cases: [(&str, Method, &str, Option<Value>); 9] = [
        ("analyst", Method::POST, "/v1/tasks", Some(top_level.clone())),
        ("analyst", Method::DELETE, &task, None),
        ("operator", Method::POST, "/v1/keys", Some(key.clone())),
        ("operator", Method::GET, "/v1/audit", None),
        ("guest", Method::GET, "/v1/tasks", None),
        ("guest", Method::GET, &task, None),
        ("agent", Method::GET, "/v1/tasks", None),
        ("agent", Method::POST, "/v1/tasks", Some(top_level.clone())),
        ("service", Method::POST, "/v1/tasks", Some(top_level)),
    ];
    for (who, method, uri, body) in cases {
        let answer = api.call(method.clone(), uri, Some(who), body).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{method} {uri} as {who}: {}",
            answer.json
        );
    }
    // An agent may submit a sub-task; the engine then checks the chain (the
    // parent is queued, not running on this agent, so it is a conflict).
    let mut sub_task = a_task();
    sub_task["parentTaskId"] = json!(id);
    let answer = api.submit("agent", sub_task).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.json);
    assert!(answer.message().contains("parentTaskId"), "{}", answer.message());
    api.stop().await;
}

#[tokio::test]
async fn an_analyst_reads_tasks_with_filters_and_paging_but_cannot_submit() {
    let api = api().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let answer = api.submit("operator", a_task()).await;
        assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.json);
        ids.push(answer.json["id"].as_str().unwrap().to_string());
    }
    let cancelled = api
        .call(Method::DELETE, &format!("/v1/tasks/{}", ids[0]), Some("operator"), None)
        .await;
    assert_eq!(cancelled.json["status"], "cancelled");

    let page = api.call(Method::GET, "/v1/tasks", Some("analyst"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.json["total"], 3);
    let check = |query: &'static str, total: u64, rows: usize| {
        let api = &api;
        async move {
            let uri = format!("/v1/tasks?{query}");
            let page = api.call(Method::GET, &uri, Some("analyst"), None).await;
            assert_eq!(page.status, StatusCode::OK, "{uri}: {}", page.json);
            assert_eq!(page.json["total"], total, "{uri}");
            assert_eq!(page.json["tasks"].as_array().unwrap().len(), rows, "{uri}");
        }
    };
    check("status=queued", 2, 2).await;
    check("status=queued,cancelled", 3, 3).await;
    check("status=succeeded", 0, 0).await;
    check("capability=code_review&limit=1", 3, 1).await;
    check("capability=nothing", 0, 0).await;
    check("limit=2&offset=2", 3, 1).await;
    let newest = api.call(Method::GET, "/v1/tasks?limit=1", Some("analyst"), None).await;
    assert_eq!(newest.json["tasks"][0]["id"], ids[2].as_str(), "newest first");

    let one = api
        .call(Method::GET, &format!("/v1/tasks/{}", ids[1]), Some("analyst"), None)
        .await;
    assert_eq!(
        (one.status, one.json["taskType"].as_str()),
        (StatusCode::OK, Some("echo"))
    );
    assert_eq!(one.json["submittedBy"], "key:operator");
    let refused = api.submit("analyst", a_task()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.message().contains("submit tasks"), "{}", refused.message());
    api.stop().await;
}

#[tokio::test]
async fn malformed_bodies_and_parameters_get_400_naming_the_field() {
    let api = api().await;
    let mut wrong_priority = a_task();
    wrong_priority["priority"] = json!("high");
    let mut unknown_field = a_task();
    unknown_field["bogus"] = json!(1);
    let mut out_of_range = a_task();
    out_of_range["priority"] = json!(11);
    let seed = |extra: Value| {
        let mut body = json!({"name": "n", "type": "echo", "requirements": ["code_review"]});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    let cases: Vec<(Method, &str, Value, &str)> = vec![
        (Method::POST, "/v1/tasks", wrong_priority, "priority"),
        (Method::POST, "/v1/tasks", unknown_field, "bogus"),
        (
            Method::POST,
            "/v1/tasks",
            json!({"capability": "code_review"}),
            "taskType",
        ),
        (Method::POST, "/v1/tasks", json!({"taskType": " "}), "taskType"),
        (Method::POST, "/v1/tasks", out_of_range, "priority"),
        (
            Method::POST,
            "/v1/tasks",
            json!({"taskType": "echo", "timeoutMs": -1}),
            "timeoutMs",
        ),
        (
            Method::POST,
            "/v1/tasks",
            seed(json!({"priority": "extreme"})),
            "priority",
        ),
        (
            Method::POST,
            "/v1/tasks",
            seed(json!({"requirements": ["a", "b"]})),
            "requirements",
        ),
        (
            Method::POST,
            "/v1/tasks",
            seed(json!({"coordination_pattern": "parallel"})),
            "coordination_pattern",
        ),
        (
            Method::POST,
            "/v1/tasks",
            seed(json!({"coordination_pattern": "pipeline", "requirements": ["telepathy"]})),
            "requirements",
        ),
        (Method::GET, "/v1/runs?status=bogus", Value::Null, "status"),
        (Method::POST, "/v1/runs/r-none/rerun", json!({"from": "x"}), "from"),
        (
            Method::POST,
            "/v1/tasks",
            seed(json!({"constraints": {}})),
            "constraints",
        ),
        (Method::POST, "/v1/tasks?wait=999999999", a_task(), "wait"),
        (Method::POST, "/v1/tasks?wiat=1", a_task(), "wiat"),
        (Method::POST, "/v1/keys", json!({"name": "x", "role": "boss"}), "role"),
        (Method::POST, "/v1/keys", json!({"role": "guest"}), "name"),
        (Method::GET, "/v1/tasks?status=bogus", Value::Null, "status"),
        (Method::GET, "/v1/tasks?limit=abc", Value::Null, "limit"),
        (Method::GET, "/v1/tasks?stauts=queued", Value::Null, "stauts"),
        (Method::GET, "/v1/audit?limit=-1", Value::Null, "limit"),
        (Method::DELETE, "/v1/keys/abc", Value::Null, "id"),
    ];
    for (method, uri, body, field) in cases {
        let body = (!body.is_null()).then_some(body);
        let answer = api.call(method.clone(), uri, Some("admin"), body.clone()).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{method} {uri} {body:?}: {}",
            answer.json
        );
        assert_eq!(answer.code(), "invalid_request");
        assert!(
            answer.message().contains(field),
            "{method} {uri} {body:?}: `{}` does not name {field}",
            answer.message()
        );
    }
    let not_json = api
        .raw(
            Method::POST,
            "/v1/tasks",
            Some("admin"),
            "application/json",
            Some(b"{\"taskType\":".to_vec()),
        )
        .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert!(not_json.message().contains("JSON"), "{}", not_json.message());
    let plain = api
        .raw(
            Method::POST,
            "/v1/tasks",
            Some("admin"),
            "text/plain",
            Some(a_task().to_string().into_bytes()),
        )
        .await;
    assert_eq!(plain.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(plain.code(), "unsupported_media_type");
    let none = api.call(Method::GET, "/v1/tasks", Some("admin"), None).await;
    assert_eq!(none.json["total"], 0, "no refused body made a task");
    api.stop().await;
}

#[tokio::test]
async fn a_body_over_one_mib_is_refused_with_413() {
    let api = api().await;
    let mut big = a_task();
    big["payload"] = json!({"text": "x".repeat(2 << 20)});
    let answer = api.submit("admin", big.clone()).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", answer.json);
    assert_eq!(answer.code(), "payload_too_large");
    let analyst = api.submit("analyst", big).await;
    assert_eq!(
        analyst.status,
        StatusCode::FORBIDDEN,
        "the role is checked before the body"
    );
    api.stop().await;
}

#[tokio::test]
async fn seed_001_task_bodies_are_accepted() {
    let api = api().await;
    let answer = api
        .submit(
            "operator",
            json!({
                "name": "Code Review Task",
                "description": "Review the authentication module",
                "type": "echo",
                "priority": "high",
                "requirements": ["code_review"],
                "coordination_pattern": "single",
                "payload": {"text": "fn login() {}"}
            }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.json);
    let task = &answer.json;
    assert_eq!(
        (
            &task["taskType"],
            &task["capability"],
            &task["priority"],
            &task["status"]
        ),
        (&json!("echo"), &json!("code_review"), &json!(8), &json!("queued"))
    );
    assert_eq!(task["name"], "Code Review Task");
    assert_eq!(task["description"], "Review the authentication module");
    assert_eq!(task["payload"], json!({"text": "fn login() {}"}));
    assert_eq!(
        answer.headers[header::LOCATION],
        format!("/v1/tasks/{}", task["id"].as_str().unwrap()).as_str()
    );
    assert_eq!(answer.headers[header::CONTENT_TYPE], "application/json");
    let urgent = api
        .submit("operator", json!({"type": "echo", "priority": "urgent"}))
        .await;
    assert_eq!(
        (urgent.status, &urgent.json["priority"]),
        (StatusCode::ACCEPTED, &json!(10))
    );

    // The seed's multi-agent examples are workflow runs of their pattern,
    // accepted exactly as seed 001 writes them ("API Documentation" and
    // "Usage Examples").
    let examples = [
        json!({
            "name": "Code Review Task",
            "description": "Review the authentication module",
            "type": "code_review",
            "priority": "high",
            "requirements": ["code_analysis", "security_review"],
            "coordination_pattern": "collaborative"
        }),
        json!({
            "name": "Generate Authentication Module",
            "description": "Create a secure authentication system with JWT tokens",
            "type": "code_generation",
            "priority": "high",
            "requirements": ["code_generation", "security_implementation"],
            "coordination_pattern": "collaborative",
            "payload": {"language": "python", "framework": "fastapi", "features": ["login", "register", "password_reset"]}
        }),
        json!({
            "name": "Full Stack Application Deployment",
            "description": "Deploy a complete web application with monitoring",
            "type": "deployment",
            "priority": "high",
            "requirements": ["infrastructure_management", "deployment_automation", "monitoring_setup", "security_configuration"],
            "coordination_pattern": "pipeline",
            "payload": {"application": "web-app", "environment": "production", "monitoring": true, "ssl_enabled": true},
            "constraints": {"max_agents": 6, "estimated_duration": 3600, "required_approvals": ["security-review", "infrastructure-review"]}
        }),
    ];
    for example in examples {
        let answer = api.submit("operator", example.clone()).await;
        assert_eq!(
            answer.status,
            StatusCode::ACCEPTED,
            "{}: {}",
            example["name"],
            answer.json
        );
        let run_id = answer.json["runId"].as_str().unwrap().to_string();
        assert_eq!(
            answer.json["session_id"],
            run_id.as_str(),
            "seed 001's clients read `session_id`"
        );
        assert_eq!(answer.headers[header::LOCATION], format!("/v1/runs/{run_id}").as_str());
        let run = api
            .call(Method::GET, &format!("/v1/runs/{run_id}"), Some("analyst"), None)
            .await;
        assert_eq!(run.status, StatusCode::OK, "{}", run.json);
        assert_eq!(run.json["workflowName"], example["name"]);
        let steps: Vec<&str> = run.json["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["kind"].as_str().unwrap())
            .collect();
        if example["coordination_pattern"] == "pipeline" {
            assert_eq!(
                steps,
                ["task", "task", "task", "approval", "approval", "task"],
                "two approvals gate the last stage"
            );
        }
    }
    let active = api
        .call(Method::GET, "/v1/tasks?status=active&limit=10", Some("analyst"), None)
        .await;
    assert_eq!(active.status, StatusCode::OK, "seed 001's list filter: {}", active.json);
    let runs = api
        .call(Method::GET, "/v1/runs?status=active", Some("analyst"), None)
        .await;
    assert_eq!(runs.json["total"], 3, "{}", runs.json);
    api.stop().await;
}

#[tokio::test]
async fn a_task_is_waited_for_cancelled_and_queued_again() {
    let api = api().await;
    let started = Instant::now();
    let waited = api
        .call(Method::POST, "/v1/tasks?wait=300", Some("operator"), Some(a_task()))
        .await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(waited.status, StatusCode::ACCEPTED, "no agent runs it: {}", waited.json);
    assert_eq!(waited.json["status"], "queued");
    let uri = format!("/v1/tasks/{}", waited.json["id"].as_str().unwrap());

    let cancelled = api.call(Method::DELETE, &uri, Some("operator"), None).await;
    assert_eq!(
        (cancelled.status, &cancelled.json["status"]),
        (StatusCode::OK, &json!("cancelled"))
    );
    let again = api.call(Method::DELETE, &uri, Some("operator"), None).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "conflict"));
    let requeued = api
        .call(Method::POST, &format!("{uri}/requeue"), Some("operator"), None)
        .await;
    assert_eq!(
        (requeued.status, &requeued.json["status"]),
        (StatusCode::OK, &json!("queued"))
    );

    let missing = api.call(Method::GET, "/v1/tasks/t-none", Some("operator"), None).await;
    assert_eq!((missing.status, missing.code()), (StatusCode::NOT_FOUND, "not_found"));
    let nobody = api
        .submit("operator", json!({"capability": "no_such_thing", "taskType": "echo"}))
        .await;
    assert_eq!(
        (nobody.status, nobody.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "unknown_agent")
    );
    let no_route = api.call(Method::GET, "/v1/nothing", Some("operator"), None).await;
    assert_eq!((no_route.status, no_route.code()), (StatusCode::NOT_FOUND, "no_route"));
    let wrong = api.call(Method::PUT, "/v1/tasks", Some("operator"), None).await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
    api.stop().await;
}

#[tokio::test]
async fn agents_and_health_are_readable() {
    let api = api().await;
    let agents = api.call(Method::GET, "/v1/agents", Some("analyst"), None).await;
    assert_eq!(agents.status, StatusCode::OK);
    let rows = agents.json.as_array().unwrap();
    assert_eq!(rows.len(), api.engine.catalog().len());
    assert_eq!(rows[0]["status"], "unknown", "Docker is not reachable");
    let one = api.call(Method::GET, "/v1/agents/AG-041", Some("analyst"), None).await;
    assert_eq!(
        (one.status, &one.json["name"]),
        (StatusCode::OK, &json!("mega-code-auditor"))
    );
    let missing = api.call(Method::GET, "/v1/agents/AG-999", Some("analyst"), None).await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::NOT_FOUND, "unknown_agent")
    );

    api.submit("operator", a_task()).await;
    let health = api.call(Method::GET, "/v1/health", Some("guest"), None).await;
    assert_eq!(health.status, StatusCode::OK, "{}", health.json);
    assert_eq!(health.json["queued"], 1);
    assert_eq!(health.json["running"], 0);
    assert!(health.json["version"].is_string());
    assert!(["checking", "unreachable"].contains(&health.json["docker"]["state"].as_str().unwrap()));
    assert!(
        !health
            .json
            .to_string()
            .contains(&api.engine.config().data_dir.display().to_string()),
        "a guest learns no paths"
    );
    api.stop().await;
}

/// Every `$ref` in `value`.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => out.push(target.clone()),
                    _ => refs(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let api = api().await;
    let answer = api.call(Method::GET, "/v1/openapi.json", Some("guest"), None).await;
    assert_eq!(answer.status, StatusCode::OK);
    let doc = answer.json;
    assert_eq!(doc["openapi"], "3.1.0");
    let routes = sutazai_http::routes();
    let mut documented = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented += 1;
            assert!(
                routes
                    .iter()
                    .any(|r| r.path == path && r.method.as_str().eq_ignore_ascii_case(method)),
                "{method} {path} is documented but not routed"
            );
        }
    }
    assert_eq!(documented, routes.len());
    for route in &routes {
        let operation = &doc["paths"][route.path][route.method.as_str().to_ascii_lowercase()];
        assert!(
            operation["summary"].is_string(),
            "{} {} is not documented",
            route.method,
            route.path
        );
        assert!(!operation["x-roles"].as_array().unwrap().is_empty());
    }
    // Prometheus's text is no JSON.
    let scrape = &doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"];
    assert!(
        scrape["text/plain; version=0.0.4; charset=utf-8"]["schema"]["type"] == "string",
        "{scrape}"
    );
    assert!(scrape.get("application/json").is_none(), "{scrape}");
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "Task",
        "NewTask",
        "SeedTask",
        "TaskPage",
        "CreatedKey",
        "Health",
        "AgentRow",
        "Error",
    ] {
        assert!(schemas.contains_key(name), "no schema {name}: {:?}", schemas.keys());
    }
    let mut targets = Vec::new();
    refs(&doc, &mut targets);
    assert!(targets.len() > 10);
    for target in targets {
        let name = target
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("{target}"));
        assert!(schemas.contains_key(name), "dangling {target}");
    }
    // The hand-written agent row matches what the API answers.
    let agents = api.call(Method::GET, "/v1/agents", Some("analyst"), None).await;
    let mut answered: Vec<&String> = agents.json[0].as_object().unwrap().keys().collect();
    let mut described: Vec<&String> = schemas["AgentRow"]["properties"].as_object().unwrap().keys().collect();
    answered.sort();
    described.sort();
    assert_eq!(answered, described);
    api.stop().await;
}

#[tokio::test]
async fn the_event_stream_delivers_a_task_event_after_a_submit() {
    let api = api().await;
    let answer = api.call(Method::GET, "/v1/events", Some("analyst"), None).await;
    assert_eq!(answer.status, StatusCode::OK);
    let mut stream = answer.stream.expect("an event stream");
    let submitted = api.submit("operator", a_task()).await;
    let id = submitted.json["id"].as_str().unwrap().to_string();

    let mut text = String::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    let event = loop {
        let blocks: Vec<&str> = text.split("\n\n").collect();
        let complete = &blocks[..blocks.len() - 1];
        if let Some(event) = complete.iter().find(|e| e.contains("event: task")) {
            break event.to_string();
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = tokio::time::timeout(left, stream.frame())
            .await
            .expect("a task event within 5 s")
            .expect("the stream is open")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            text.push_str(&String::from_utf8_lossy(&data));
        }
    };
    let data = event
        .lines()
        .find_map(|line| line.strip_prefix("data: "))
        .expect("a data line");
    let data: Value = serde_json::from_str(data).unwrap();
    assert_eq!(data["task"]["id"], id.as_str());
    assert_eq!(data["task"]["status"], "queued");
    api.stop().await;
}

#[tokio::test]
async fn keys_are_managed_and_control_actions_audited() {
    let api = api().await;
    let submitted = api.submit("operator", a_task()).await;
    let created = api
        .call(
            Method::POST,
            "/v1/keys",
            Some("admin"),
            Some(json!({"name": "ci bot", "role": "analyst"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let key = created.json["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("sk_"));
    let key_id = created.json["info"]["id"].as_i64().unwrap();
    let with_new_key = api.call(Method::GET, "/v1/tasks", Some(&key), None).await;
    assert_eq!(with_new_key.status, StatusCode::OK);

    let listed = api.call(Method::GET, "/v1/keys", Some("admin"), None).await;
    assert!(
        !listed.json.to_string().contains(&key),
        "a listed key never shows the key"
    );
    assert_eq!(listed.json[0]["name"], "ci bot");

    let revoked = api
        .call(Method::DELETE, &format!("/v1/keys/{key_id}"), Some("admin"), None)
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.json);
    assert!(revoked.json["revokedMs"].is_number());
    let after = api.call(Method::GET, "/v1/tasks", Some(&key), None).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    let missing = api.call(Method::DELETE, "/v1/keys/9999", Some("admin"), None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);

    let audit = api.call(Method::GET, "/v1/audit?limit=50", Some("admin"), None).await;
    assert_eq!(audit.status, StatusCode::OK);
    let entries = audit.json.as_array().unwrap();
    let has = |actor: &str, action: &str, target: &str| {
        entries
            .iter()
            .any(|e| e["actor"] == actor && e["action"] == action && e["target"] == target && e["outcome"] == "ok")
    };
    assert!(
        has("key:operator", "task.submit", submitted.json["id"].as_str().unwrap()),
        "{entries:#?}"
    );
    let prefix = created.json["info"]["prefix"].as_str().unwrap();
    assert!(has("key:admin", "key.create", prefix), "{entries:#?}");
    assert!(has("key:admin", "key.revoke", prefix), "{entries:#?}");
    api.stop().await;
}

#[tokio::test]
async fn metrics_are_queried_over_a_range_by_those_who_read_them() {
    use sutazai_engine::Clock;
    let api = api().await;
    // The collection samples the app itself once a second.
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    let now = SystemClock.now_ms();
    let uri = format!(
        "/v1/metrics/query?series=app_memory_bytes,agents_deployed&from={}&to={now}&step=1000",
        now - 10_000
    );
    let answer = api.call(Method::GET, &uri, Some("analyst"), None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    let reading = &answer.json;
    assert_eq!(reading["width"], 10);
    assert_eq!(reading["tier"], "second");
    let memory = reading["series"][0]["columns"].as_array().unwrap();
    assert!(memory.len() >= 2, "{reading}");
    assert!(memory.iter().all(|c| c["mean"].as_f64().unwrap() > 1e6), "{reading}");
    assert_eq!(reading["series"][1]["columns"][0]["mean"], 0.0, "no agent deployed");
    // The seconds before the engine started are a gap.
    assert!(!reading["gaps"].as_array().unwrap().is_empty(), "{reading}");

    for who in ["guest", "service", "agent"] {
        let answer = api.call(Method::GET, &uri, Some(who), None).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{who}: {}", answer.json);
    }
    let bad = format!("/v1/metrics/query?series=cpu_percent{{AG-001}},nope&from=0&to={now}");
    let answer = api.call(Method::GET, &bad, Some("analyst"), None).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.json);
    assert!(
        answer.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no metric `nope`"),
        "{}",
        answer.json
    );
    let backwards = format!("/v1/metrics/query?series=app_memory_bytes&from={now}&to=0");
    let answer = api.call(Method::GET, &backwards, Some("analyst"), None).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.json);
    assert!(
        answer.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("must be after"),
        "{}",
        answer.json
    );
}

#[tokio::test]
async fn alerts_are_searched_acknowledged_and_silenced_and_rules_edited_through_the_api() {
    let api = api().await;
    // No Ollama answers at the default address on these machines: a real
    // condition, so a real alert (told at once rather than after a minute).
    let mut down = api
        .engine
        .alert_rules()
        .iter()
        .find(|r| r.id == "ollama_down")
        .cloned()
        .unwrap();
    down.threshold.for_s = 0;
    api.engine.set_alert_rule(down, &Principal::Desktop).await.unwrap();
    let open = "/v1/alerts?state=open&text=ollama";
    sutazai_tests::until("Ollama's alert fires", Duration::from_secs(20), async || {
        let answer = api.call(Method::GET, open, Some("analyst"), None).await;
        answer.json.as_array().is_some_and(|a| !a.is_empty())
    })
    .await;
    let answer = api.call(Method::GET, open, Some("analyst"), None).await;
    let alert = &answer.json[0];
    assert_eq!(alert["rule"], "ollama_down", "{alert}");
    assert_eq!(alert["severity"], "critical");
    assert!(alert["detail"].as_str().unwrap().contains("11434"), "{alert}");
    let id = alert["id"].as_i64().unwrap();

    let answer = api
        .call(Method::POST, &format!("/v1/alerts/{id}/ack"), Some("operator"), None)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(answer.json["ackedBy"], "key:operator");
    let answer = api
        .call(Method::POST, "/v1/alerts/999999/ack", Some("operator"), None)
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.json);
    let answer = api
        .call(
            Method::GET,
            "/v1/alerts?state=unacknowledged&text=ollama",
            Some("analyst"),
            None,
        )
        .await;
    assert_eq!(answer.json, json!([]));

    let silence = json!({"fingerprint": "ollama_down", "minutes": 0});
    let answer = api
        .call(Method::POST, "/v1/alerts/silence", Some("operator"), Some(silence))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.json);
    assert!(answer.message().starts_with("minutes:"), "{}", answer.json);
    let silence = json!({"fingerprint": "ollama_down", "minutes": 60});
    let answer = api
        .call(Method::POST, "/v1/alerts/silence", Some("operator"), Some(silence))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(api.engine.alert_silences().await.unwrap().len(), 1);

    // Rules: a bad edit names the field; a good one is in force until reset.
    let rules = api.call(Method::GET, "/v1/alert-rules", Some("analyst"), None).await;
    let mut rule = rules.json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "error_rate")
        .unwrap()
        .clone();
    rule["threshold"]["clear"] = json!(0.5);
    let answer = api
        .call(
            Method::PUT,
            "/v1/alert-rules/error_rate",
            Some("operator"),
            Some(rule.clone()),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.json);
    assert!(
        answer.message().contains("error_rate.threshold: clear (0.5)"),
        "{}",
        answer.json
    );
    rule["threshold"]["clear"] = json!(0.08);
    rule["threshold"]["value"] = json!(0.1);
    let answer = api
        .call(Method::PUT, "/v1/alert-rules/error_rate", Some("operator"), Some(rule))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    let in_force = api.engine.alert_rules();
    let edited = in_force.iter().find(|r| r.id == "error_rate").unwrap();
    assert_eq!(edited.threshold.value, 0.1);
    let answer = api
        .call(Method::DELETE, "/v1/alert-rules/error_rate", Some("operator"), None)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(answer.json["threshold"]["value"], 0.05);

    // Every action above is in the audit log, which exports as CSV.
    let answer = api.call(Method::GET, "/v1/audit/export", Some("admin"), None).await;
    assert_eq!(answer.status, StatusCode::OK);
    let csv = answer.json.as_str().unwrap();
    assert!(
        csv.starts_with("id,at_ms,actor,origin,action,target,outcome,detail\r\n"),
        "{csv}"
    );
    for action in ["alert.ack", "alert.silence", "alert_rule.set", "alert_rule.reset"] {
        assert!(csv.contains(&format!(",{action},")), "{action}: {csv}");
    }
    api.stop().await;
}

#[tokio::test]
async fn a_rules_remedy_starts_its_workflow_behind_an_approval_when_the_alert_fires() {
    let api = api().await;
    let rules = api.call(Method::GET, "/v1/alert-rules", Some("analyst"), None).await;
    let mut rule = rules.json["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "ollama_down")
        .unwrap()
        .clone();
    // A workflow whose steps run without a person's approval is refused.
    rule["remedy"] = json!("code_review");
    let answer = api
        .call(
            Method::PUT,
            "/v1/alert-rules/ollama_down",
            Some("operator"),
            Some(rule.clone()),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.json);
    assert!(
        answer
            .message()
            .contains("ollama_down.remedy: step `quality` of `code_review` does not wait for an approval"),
        "{}",
        answer.json
    );
    rule["remedy"] = json!("incident_response");
    rule["threshold"]["forS"] = json!(0); // at once, not after a minute
    let answer = api
        .call(Method::PUT, "/v1/alert-rules/ollama_down", Some("operator"), Some(rule))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);

    // No Ollama answers here: the alert fires and its remedy starts, and
    // waits for a person at its approval step.
    sutazai_tests::until(
        "the remedy's run waits for approval",
        Duration::from_secs(20),
        async || {
            let runs = api.call(Method::GET, "/v1/runs", Some("analyst"), None).await;
            runs.json["runs"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["workflowId"] == "incident_response" && r["status"] == "waiting")
        },
    )
    .await;
    let log = api.engine.audit_log(100).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.record.action == "alert.remedy" && e.record.outcome == "ok"),
        "{log:#?}"
    );
    api.stop().await;
}
