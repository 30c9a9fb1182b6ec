//! `GET /metrics` as Prometheus sees it. The engine and its API run in
//! process; one agent (AG-025) runs in a container on the real Docker
//! engine, its LLM calls going through the hub's gateway to the fake
//! Ollama. `promtool check metrics` must accept a scrape, and a real
//! Prometheus (Debian's package), scraping every second with an analyst
//! key, must answer its query API with what the app itself counted: the
//! agent's three tasks, their latencies and its LLM calls.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sutazai_engine::fleet::spec::LABEL_AGENT_ID;
use sutazai_engine::orchestrator::model::{NewTask, TaskStatus};
use sutazai_engine::security::{Principal, Role};
use sutazai_tests::agent::free_port;
use sutazai_tests::docker::remove_labelled;
use sutazai_tests::engine::{api_key, deploy_one, start_with_api};
use sutazai_tests::fake_ollama::{FakeModel, FakeOllama};
use sutazai_tests::until;

/// An agent no other Docker test deploys alone, with a plain text task.
const AGENT: &str = "AG-025";
const MODEL: &str = "llama3.2:1b";
const TASKS: usize = 3;

const PROMETHEUS: &str = "/usr/bin/prometheus";
const PROMTOOL: &str = "/usr/bin/promtool";

/// Removes the agent's containers when dropped, even if the test panics.
struct AgentGuard;

impl Drop for AgentGuard {
    fn drop(&mut self) {
        remove_labelled(&format!("{LABEL_AGENT_ID}={AGENT}"));
    }
}

/// A Prometheus server; killed when dropped, even if the test panics.
struct Prometheus {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Prometheus {
    /// Starts Prometheus in `dir`, scraping `target`'s `/metrics` every
    /// second with `key` as the bearer token.
    fn start(dir: &Path, target: &str, key: &str) -> Prometheus {
        let config = dir.join("prometheus.yml");
        let mut file = std::fs::File::create(&config).unwrap();
        write!(
            file,
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
             scrape_configs:\n  - job_name: sutazai\n    metrics_path: /metrics\n\
             \x20   authorization:\n      type: Bearer\n      credentials: {key}\n\
             \x20   static_configs:\n      - targets: ['{target}']\n"
        )
        .unwrap();
        let port = free_port();
        let log = dir.join("prometheus.log");
        let child = Command::new(PROMETHEUS)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {PROMETHEUS} (Debian's `prometheus` package): {err}"));
        Prometheus {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The value of `query` now, if it has one.
    async fn value(&self, http: &reqwest::Client, query: &str) -> Option<f64> {
        let answer: Value = http
            .get(format!("{}/api/v1/query", self.url))
            .query(&[("query", query)])
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        assert_eq!(answer["status"], "success", "{query}: {answer}");
        let result = answer["data"]["result"].as_array()?;
        assert!(result.len() <= 1, "{query} has more than one series: {answer}");
        result.first()?["value"][1].as_str()?.parse().ok()
    }

    /// What Prometheus says of its scrapes of the app.
    async fn targets(&self, http: &reqwest::Client) -> Value {
        let answer = http.get(format!("{}/api/v1/targets", self.url)).send().await;
        match answer {
            Ok(answer) => answer.json().await.unwrap_or(Value::Null),
            Err(err) => json!(err.to_string()),
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of the sample line `series` in a scrape.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn prometheus_scrapes_what_the_app_counted() {
    let began = Instant::now();
    let ollama = FakeOllama::start_for_agents(vec![FakeModel::new(MODEL)]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (engine, listen, stop_api) = start_with_api(
        dir.path(),
        &[
            ("SUTAZAI_OLLAMA_URL", ollama.url().as_str()),
            ("SUTAZAI_LLM_MODEL_CONCURRENCY", "100"),
            ("SUTAZAI_HEALTH_TIMEOUT_MS", "20000"),
        ],
    )
    .await;
    let analyst = api_key(&engine, Role::Analyst).await;
    let http = reqwest::Client::new();
    let metrics_url = format!("http://{listen}/metrics");
    let scrape = async |token: Option<&str>| {
        let mut request = http.get(&metrics_url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let answer = request.send().await.unwrap();
        let status = answer.status();
        let content_type = answer.headers()["content-type"].to_str().unwrap().to_string();
        (status, content_type, answer.text().await.unwrap())
    };
    let (status, _, _) = scrape(None).await;
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED);
    let guest = api_key(&engine, Role::Guest).await;
    assert_eq!(scrape(Some(&guest)).await.0, reqwest::StatusCode::FORBIDDEN);

    // One agent in Docker, three tasks through it (each an LLM call).
    let _agent = AgentGuard;
    remove_labelled(&format!("{LABEL_AGENT_ID}={AGENT}"));
    deploy_one(&engine, AGENT).await;
    let prometheus = Prometheus::start(dir.path(), &listen.to_string(), &analyst);
    let mut succeeded = 0;
    for i in 0..TASKS {
        let task = NewTask {
            agent_id: Some(AGENT.into()),
            task_type: "explain".into(),
            payload: json!({"question": format!("what is a spike train? ({i})")}),
            ..NewTask::default()
        };
        let id = engine.submit_task(task, &Principal::Desktop).await.unwrap().id;
        let done = engine.wait_task(&id, Duration::from_secs(30)).await.unwrap();
        assert_eq!(done.status, TaskStatus::Succeeded, "{done:?}");
        succeeded += 1;
    }

    // The app's own scrape shows them once the collection's second is up.
    let requests = format!(r#"agent_requests_total{{agent_id="{AGENT}",status="success"}}"#);
    let durations = format!(r#"agent_request_duration_seconds_count{{agent_id="{AGENT}"}}"#);
    let llm_calls = format!(r#"sutazai_agent_llm_calls_total{{agent_id="{AGENT}"}}"#);
    let mut text = String::new();
    until(
        "the app's /metrics counts the tasks",
        Duration::from_secs(10),
        async || {
            let (status, content_type, body) = scrape(Some(&analyst)).await;
            assert_eq!(status, reqwest::StatusCode::OK, "{body}");
            assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
            text = body;
            sample(&text, &requests) == Some(succeeded as f64)
        },
    )
    .await;
    assert_eq!(sample(&text, &durations), Some(succeeded as f64), "{text}");
    let calls = engine
        .gateway_stats()
        .by_caller
        .iter()
        .find(|u| u.name == AGENT)
        .map(|u| u.calls)
        .unwrap_or_else(|| panic!("the gateway counted {AGENT}'s calls: {:?}", engine.gateway_stats()));
    assert!(calls >= TASKS as u64, "{calls}");
    assert_eq!(sample(&text, &llm_calls), Some(calls as f64), "{text}");
    assert!(
        text.contains(&format!(r#"sutazai_llm_calls_total{{model="{MODEL}"}}"#)),
        "{text}"
    );

    // promtool accepts the scrape as it is.
    let mut promtool = Command::new(PROMTOOL)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {PROMTOOL} (Debian's `prometheus` package): {err}"));
    promtool.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(
        checked.status.success() && checked.stdout.is_empty() && checked.stderr.is_empty(),
        "promtool check metrics: {}\n{}{}\n{text}",
        checked.status,
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );

    // Prometheus scraped the same figures.
    let mut seen = None;
    let waited = Instant::now();
    while seen != Some(succeeded as f64) {
        if waited.elapsed() > Duration::from_secs(30) {
            panic!(
                "Prometheus says {requests} is {seen:?}, not {succeeded}\ntargets: {}\nlog: {}",
                prometheus.targets(&http).await,
                prometheus.log()
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        seen = prometheus.value(&http, &requests).await;
    }
    assert_eq!(prometheus.value(&http, &durations).await, Some(succeeded as f64));
    assert_eq!(prometheus.value(&http, &llm_calls).await, Some(calls as f64));
    let p95 = format!(r#"histogram_quantile(0.95, agent_request_duration_seconds_bucket{{agent_id="{AGENT}"}})"#);
    let p95 = prometheus.value(&http, &p95).await.unwrap();
    assert!(p95 > 0.0 && p95 <= 30.0, "{p95}");
    let up = prometheus.value(&http, "up").await;
    assert_eq!(up, Some(1.0), "targets: {}", prometheus.targets(&http).await);

    drop(prometheus);
    stop_api.cancel();
    engine.shutdown(Duration::from_secs(5)).await;
    eprintln!("prometheus test took {:?}", began.elapsed());
}
