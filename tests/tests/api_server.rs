//! The local API's server as a caller on the network meets it: real sockets
//! on loopback. The agents' surface (what Docker's bridge address serves;
//! here on 127.0.0.2, as test traffic stays on loopback) answers agents
//! only; slow and idle connections are closed; connections beyond the cap
//! wait; nothing of a body is read before the caller is known; failed
//! authentications are limited per address; refusals are audited with
//! the caller's address.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sutazai_engine::security::Role;
use sutazai_engine::{Engine, SystemClock};
use sutazai_http::{Limits, Surface};
use sutazai_tests::engine::{api_key, config};
use sutazai_tests::fake_ollama::{FakeModel, FakeOllama};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LIMITS: Limits = Limits {
    max_connections: 4,
    header_read_timeout: Duration::from_secs(1),
};

struct Server {
    engine: Arc<Engine>,
    full: SocketAddr,
    agents: SocketAddr,
    admin: String,
    analyst: String,
    agent: String,
    stop: sutazai_http::CancellationToken,
    _ollama: FakeOllama,
    _dir: TempDir,
}

async fn server() -> Server {
    let ollama = FakeOllama::start(vec![FakeModel::new("mistral:7b-instruct-q4_K_M")])
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (config, report) = config(
        dir.path(),
        &[
            ("SUTAZAI_DOCKER_HOST", "unix:///nonexistent.sock"),
            ("SUTAZAI_OLLAMA_URL", ollama.url().as_str()),
        ],
    );
    let engine = Engine::start(config, report, Arc::new(SystemClock)).await.unwrap();
    let (admin, analyst) = (
        api_key(&engine, Role::Admin).await,
        api_key(&engine, Role::Analyst).await,
    );
    let agent = engine.issue_service_tokens("sutazai-ag-001").await.unwrap().agent_token;
    let listeners = sutazai_http::bind_surfaces(&[
        ("127.0.0.1:0".parse().unwrap(), Surface::Full),
        ("127.0.0.2:0".parse().unwrap(), Surface::Agents),
    ])
    .await
    .unwrap()
    .with_limits(LIMITS);
    let addrs = listeners.local_addrs();
    let stop = sutazai_http::CancellationToken::new();
    tokio::spawn(listeners.serve(Arc::clone(&engine), stop.clone()));
    Server {
        engine,
        full: addrs[0],
        agents: addrs[1],
        admin,
        analyst,
        agent,
        stop,
        _ollama: ollama,
        _dir: dir,
    }
}

impl Server {
    async fn call(
        &self,
        addr: SocketAddr,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        call_from(None, addr, method, path, token, body).await
    }

    async fn stop(self) {
        self.stop.cancel();
        self.engine.shutdown(Duration::from_secs(2)).await;
    }
}

/// One request from `local` (a loopback address of the caller's choice).
async fn call_from(
    local: Option<IpAddr>,
    addr: SocketAddr,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let client = reqwest::Client::builder().local_address(local).build().unwrap();
    let mut request = client.request(method, format!("http://{addr}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Where, how, what, with which token and body, and the status wanted.
type Case<'a> = (SocketAddr, Method, &'a str, Option<&'a str>, Option<Value>, StatusCode);

#[tokio::test(flavor = "multi_thread")]
async fn the_agents_address_serves_agents_only_and_only_what_they_need() {
    let s = server().await;
    let generate = json!({"model": "mistral:7b-instruct-q4_K_M", "prompt": "hi", "stream": false});
    let sub_task = json!({"agentId": "AG-002", "taskType": "echo", "payload": {}, "parentTaskId": "t-none"});
    let (admin, agent) = (Some(s.admin.as_str()), Some(s.agent.as_str()));
    let (on_agents, on_full) = (s.agents, s.full);
    let cases: Vec<Case> = vec![
        // An admin key on the bridge's address: nothing there for it.
        (on_agents, Method::GET, "/v1/keys", admin, None, StatusCode::NOT_FOUND),
        (on_agents, Method::GET, "/v1/audit", admin, None, StatusCode::NOT_FOUND),
        (on_agents, Method::GET, "/v1/tasks", admin, None, StatusCode::NOT_FOUND),
        (
            on_agents,
            Method::POST,
            "/v1/tasks",
            admin,
            Some(sub_task.clone()),
            StatusCode::NOT_FOUND,
        ),
        (on_agents, Method::GET, "/v1/health", admin, None, StatusCode::NOT_FOUND),
        (on_agents, Method::GET, "/api/tags", admin, None, StatusCode::NOT_FOUND),
        // Nobody at all: 401 as anywhere.
        (
            on_agents,
            Method::GET,
            "/v1/health",
            None,
            None,
            StatusCode::UNAUTHORIZED,
        ),
        // An agent: health, sub-tasks (the engine's delegation rules answer:
        // this parent does not exist) and the gateway; nothing else.
        (on_agents, Method::GET, "/v1/health", agent, None, StatusCode::OK),
        (
            on_agents,
            Method::POST,
            "/v1/tasks",
            agent,
            Some(sub_task),
            StatusCode::BAD_REQUEST,
        ),
        (on_agents, Method::GET, "/api/tags", agent, None, StatusCode::OK),
        (
            on_agents,
            Method::POST,
            "/api/generate",
            agent,
            Some(generate),
            StatusCode::OK,
        ),
        (on_agents, Method::GET, "/v1/keys", agent, None, StatusCode::NOT_FOUND),
        (on_agents, Method::GET, "/v1/agents", agent, None, StatusCode::NOT_FOUND),
        (
            on_agents,
            Method::GET,
            "/v1/openapi.json",
            agent,
            None,
            StatusCode::NOT_FOUND,
        ),
        // The loopback address serves the whole API.
        (on_full, Method::GET, "/v1/keys", admin, None, StatusCode::OK),
        (on_full, Method::GET, "/v1/agents", admin, None, StatusCode::OK),
    ];
    for (addr, method, path, token, body, want) in cases {
        let surface = if addr == on_agents { "agents" } else { "full" };
        let (status, answer) = s.call(addr, method.clone(), path, token, body).await;
        assert_eq!(status, want, "{method} {path} on the {surface} surface: {answer}");
        if path == "/v1/tasks" && status == StatusCode::BAD_REQUEST {
            let message = answer["error"]["message"].as_str().unwrap();
            assert!(message.starts_with("parentTaskId: no task t-none"), "{message}");
        }
    }
    s.stop().await;
}

/// Reads from `stream` until the server closes it; what it sent.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> String {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    let read = tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server kept the connection open for {within:?}");
    String::from_utf8_lossy(&seen).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_and_idle_connections_are_closed_after_the_header_timeout() {
    let s = server().await;
    // Half a header, then nothing.
    let mut slow = TcpStream::connect(s.full).await.unwrap();
    slow.write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nAuthorization: Bea")
        .await
        .unwrap();
    let started = Instant::now();
    let answered = read_until_closed(&mut slow, Duration::from_secs(10)).await;
    let waited = started.elapsed();
    println!("half a header: closed after {waited:?}, answer {answered:?}");
    assert!(
        waited >= LIMITS.header_read_timeout - Duration::from_millis(100),
        "{waited:?}"
    );
    assert!(!answered.contains("200 OK"), "{answered}");

    // A whole request, then an idle kept-alive connection.
    let mut idle = TcpStream::connect(s.full).await.unwrap();
    let request = format!(
        "GET /v1/health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n",
        s.admin
    );
    idle.write_all(request.as_bytes()).await.unwrap();
    let started = Instant::now();
    let answered = read_until_closed(&mut idle, Duration::from_secs(10)).await;
    let waited = started.elapsed();
    println!("idle after one request: closed after {waited:?}");
    assert!(answered.starts_with("HTTP/1.1 200 OK"), "{answered}");
    assert!(
        waited >= LIMITS.header_read_timeout - Duration::from_millis(100),
        "{waited:?}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_beyond_the_cap_wait_and_the_other_address_still_answers() {
    let s = server().await;
    // Fill the agents' address: the cap's worth of silent connections.
    let mut held = Vec::new();
    for _ in 0..LIMITS.max_connections {
        held.push(TcpStream::connect(s.agents).await.unwrap());
    }
    // The loopback address has its own slots: it answers at once.
    let (status, _) = s.call(s.full, Method::GET, "/v1/health", Some(&s.admin), None).await;
    assert_eq!(status, StatusCode::OK);
    // One more on the full address waits for a slot there: none is free
    // until the silent ones are closed at the header timeout.
    let mut full_held = Vec::new();
    for _ in 0..LIMITS.max_connections {
        full_held.push(TcpStream::connect(s.full).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let (status, _) = s.call(s.full, Method::GET, "/v1/health", Some(&s.admin), None).await;
    let waited = started.elapsed();
    println!(
        "request {} on a full listener answered after {waited:?}",
        LIMITS.max_connections + 1
    );
    assert_eq!(status, StatusCode::OK, "it waited, and was not refused");
    assert!(waited >= Duration::from_millis(500), "it waited for a slot: {waited:?}");
    drop((held, full_held));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_of_a_body_is_read_before_the_caller_is_known() {
    let s = server().await;
    for path in ["/api/generate", "/v1/tasks"] {
        let mut stream = TcpStream::connect(s.full).await.unwrap();
        // A gigabyte announced, a few bytes sent: the answer comes at once.
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{{\"mo"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let mut buffer = [0u8; 1024];
        let n = tokio::time::timeout(Duration::from_millis(900), stream.read(&mut buffer))
            .await
            .expect("answered before the body and before the header timeout")
            .unwrap();
        let answer = String::from_utf8_lossy(&buffer[..n]);
        assert!(answer.starts_with("HTTP/1.1 401"), "{path}: {answer}");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_authentications_are_limited_per_address_and_refusals_are_audited() {
    let s = server().await;
    let stranger: IpAddr = "127.0.0.3".parse().unwrap();
    let limit = sutazai_http::FAILED_AUTH_PER_MINUTE as usize;
    for n in 0..limit {
        let (status, _) = call_from(Some(stranger), s.full, Method::GET, "/v1/tasks", Some("sk_wrong"), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "failure {}", n + 1);
    }
    // Over the limit: 429, even with a good key (no token is checked).
    for token in ["sk_wrong", s.admin.as_str()] {
        let (status, answer) = call_from(Some(stranger), s.full, Method::GET, "/v1/tasks", Some(token), None).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer}");
        assert_eq!(answer["error"]["code"], "too_many_requests");
    }
    // Other addresses are not affected; a role that may not is a 403.
    let (status, _) = s.call(s.full, Method::GET, "/v1/keys", Some(&s.analyst), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, audit) = s
        .call(s.full, Method::GET, "/v1/audit?limit=100", Some(&s.admin), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let refused: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "api.refused")
        .collect();
    let from_stranger = refused
        .iter()
        .filter(|e| e["origin"].as_str().unwrap().starts_with("127.0.0.3:"))
        .count();
    assert!(
        (limit..=limit + 2).contains(&from_stranger),
        "the stranger's refusals are audited, at most 10 a minute: {from_stranger}"
    );
    let forbidden = refused
        .iter()
        .find(|e| e["actor"] == "key:analyst")
        .expect("the 403 is audited");
    assert_eq!(forbidden["target"], "GET /v1/keys");
    assert!(
        forbidden["origin"].as_str().unwrap().starts_with("127.0.0.1:"),
        "{forbidden}"
    );
    s.stop().await;
}
