//! `fake-ollama`: the test suite's fake Ollama ([`sutazai_tests::fake_ollama`])
//! as a program, for the end-to-end tests, which drive the real app and so
//! need a server outside their own process.
//!
//! It is started the way Ollama is: `fake-ollama serve` listens on
//! `OLLAMA_HOST` (`host:port` or `http://host:port`; default
//! `127.0.0.1:11434`) and runs until it is killed. Installed under the name
//! `ollama` on a `PATH`, it is what the app's "Start Ollama" button starts.
//!
//! Test-only settings, from the environment:
//! - `FAKE_OLLAMA_MODELS`: the installed models, comma-separated, each
//!   `name` or `name=size_in_bytes` (default: none).
//! - `FAKE_OLLAMA_CONTROL`: an address for a control listener that is not
//!   part of Ollama's API, so the fake's own paths stay exactly Ollama's:
//!   `PUT /pull` with `{"steps": n, "step_delay_ms": ms, "fail_after": n|null}`
//!   sets how the next pulls go, `GET /calls?path=/api/generate` counts the
//!   requests a path received.
//!
//! On start it prints one line, `listening on http://ADDR`, so a caller that
//! asked for port 0 learns the port.

#![allow(clippy::print_stdout)] // the address line is the program's output

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use sutazai_tests::fake_ollama::{FakeModel, FakeOllama, PullPlan};

const USAGE: &str = "usage: fake-ollama serve   (listens on OLLAMA_HOST, default 127.0.0.1:11434)";

#[derive(Deserialize)]
struct PullSettings {
    steps: u32,
    step_delay_ms: u64,
    fail_after: Option<usize>,
}

#[derive(Deserialize)]
struct CallsQuery {
    path: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("fake-ollama: {e}");
        std::process::exit(2);
    }
}

async fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args != ["serve"] {
        return Err(USAGE.to_string());
    }
    let host = std::env::var("OLLAMA_HOST").unwrap_or_default();
    let addr = listen_addr(&host);
    let models = parse_models(&std::env::var("FAKE_OLLAMA_MODELS").unwrap_or_default())?;
    let fake = FakeOllama::start_on(addr.as_str(), models)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    println!("listening on {}", fake.url());
    let fake = Arc::new(fake);

    if let Ok(control) = std::env::var("FAKE_OLLAMA_CONTROL") {
        let listener = tokio::net::TcpListener::bind(&control)
            .await
            .map_err(|e| format!("FAKE_OLLAMA_CONTROL: cannot listen on {control}: {e}"))?;
        let app = Router::new()
            .route("/pull", put(set_pull))
            .route("/calls", get(calls))
            .with_state(Arc::clone(&fake));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
    }
    std::future::pending::<()>().await;
    Ok(())
}

async fn set_pull(State(fake): State<Arc<FakeOllama>>, Json(s): Json<PullSettings>) -> &'static str {
    fake.set_pull(PullPlan {
        steps: s.steps.max(1),
        step_delay: Duration::from_millis(s.step_delay_ms),
        fail_after: s.fail_after,
    });
    "ok"
}

async fn calls(State(fake): State<Arc<FakeOllama>>, Query(q): Query<CallsQuery>) -> String {
    fake.calls(&q.path).to_string()
}

/// `OLLAMA_HOST` as Ollama reads it: an optional scheme, a host, an
/// optional port (11434).
fn listen_addr(host: &str) -> String {
    let host = host.trim();
    let host = host
        .strip_prefix("http://")
        .or_else(|| host.strip_prefix("https://"))
        .unwrap_or(host)
        .trim_end_matches('/');
    match host {
        "" => "127.0.0.1:11434".to_string(),
        h if h.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) => h.to_string(),
        h => format!("{h}:11434"),
    }
}

fn parse_models(list: &str) -> Result<Vec<FakeModel>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (name, size) = match item.split_once('=') {
                Some((name, size)) => {
                    let size = size
                        .parse::<u64>()
                        .map_err(|_| format!("FAKE_OLLAMA_MODELS: `{item}`: the size must be a number of bytes"))?;
                    (name, Some(size))
                }
                None => (item, None),
            };
            let mut model = FakeModel::new(name);
            if let Some(size) = size {
                model.size = size;
            }
            Ok(model)
        })
        .collect()
}
