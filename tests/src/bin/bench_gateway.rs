//! `bench-gateway`: what the hub's LLM gateway costs an agent, each figure
//! next to the same call made straight to Ollama in the same run.
//!
//! Ollama is the fake (`sutazai_tests::fake_ollama`) with no latency of its
//! own, so the difference between the two paths is the gateway: the hub's
//! HTTP listener, the agent token check, the cache lookup, the per-model
//! limit, forwarding over HTTP, streaming back and the accounting.
//!
//! - **overhead**: one non-streaming `POST /api/generate` at a time whose
//!   sampling is not fixed (so never cached), through the gateway with
//!   AG-001's service token vs straight to the fake (p50/p99; goal ≤ 1 ms
//!   added at p99);
//! - **cache hit**: the same deterministic request again (`temperature: 0`),
//!   answered from the SQLite cache without Ollama (goal ≤ 0.5 ms);
//! - **time to first streamed byte**: a streaming generate, until the first
//!   body chunk arrives, and until the `done` line;
//! - **throughput**: 32 clients with one call each in flight (the per-model
//!   limit raised to 64 so that it measures the gateway, not the limit).
//!
//! Run: `./.dev/bench gateway`. No Docker needed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a benchmark that cannot run should stop loudly

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde_json::{json, Value};
use sutazai_engine::llm::gateway::CACHE_HEADER;
use sutazai_engine::{Engine, SystemClock};
use sutazai_tests::bench::{added_ms, latency, row, throughput};
use sutazai_tests::fake_ollama::{FakeModel, FakeOllama};
use tokio_util::sync::CancellationToken;

/// The global allocator of the app and the headless engine.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// AG-001's preferred model in the shipped catalog.
const MODEL: &str = "mistral:7b-instruct-q4_K_M";
const SAMPLES: u64 = 3000;
const WARMUP: u64 = 300;
const CLIENTS: usize = 32;
const LOAD_FOR: Duration = Duration::from_secs(5);

/// One path to "Ollama": a base URL and the token to send, if any.
#[derive(Clone)]
struct Target {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Target {
    async fn post(&self, path: &str, body: &Value) -> Option<reqwest::Response> {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        request.send().await.ok().filter(|r| r.status().is_success())
    }

    /// A whole non-streaming answer; whether it was a complete one.
    async fn answer(&self, body: Value) -> bool {
        match self.post("/api/generate", &body).await {
            Some(r) => r.json::<Value>().await.is_ok_and(|v| v["done"] == true),
            None => false,
        }
    }

    /// A whole answer that came from the gateway's cache.
    async fn hit(&self, body: Value) -> bool {
        match self.post("/api/generate", &body).await {
            Some(r) if r.headers().get(CACHE_HEADER).is_some_and(|v| v == "hit") => {
                r.json::<Value>().await.is_ok_and(|v| v["done"] == true)
            }
            _ => false,
        }
    }

    /// A streaming answer: the time to its first body chunk and to its end
    /// (microseconds), or None when it failed.
    async fn stream(&self, body: Value) -> Option<(u64, u64)> {
        let began = Instant::now();
        let mut response = self.post("/api/generate", &body).await?;
        let mut first = None;
        let mut tail = Vec::new();
        while let Some(chunk) = response.chunk().await.ok()? {
            first.get_or_insert_with(|| began.elapsed().as_micros() as u64);
            tail.extend_from_slice(&chunk);
        }
        let last = String::from_utf8_lossy(&tail);
        let done = last.lines().last().is_some_and(|l| l.contains("\"done\":true"));
        done.then(|| (first.unwrap_or(0), began.elapsed().as_micros() as u64))
    }
}

/// A request no cache may answer (sampling not fixed), numbered so each
/// prompt differs.
fn uncached(n: u64) -> Value {
    json!({"model": MODEL, "prompt": format!("summarise item {n}"), "stream": false})
}

fn cached() -> Value {
    json!({"model": MODEL, "prompt": "summarise the release notes", "stream": false, "options": {"temperature": 0}})
}

fn streamed(n: u64) -> Value {
    json!({"model": MODEL, "prompt": format!("write a haiku about item {n}")})
}

async fn first_byte(target: &Target) -> (Histogram<u64>, Histogram<u64>) {
    let mut first = Histogram::<u64>::new(3).unwrap();
    let mut whole = Histogram::<u64>::new(3).unwrap();
    for n in 0..WARMUP + SAMPLES {
        let (f, w) = target.stream(streamed(n)).await.expect("a streamed answer failed");
        if n >= WARMUP {
            first.record(f).unwrap();
            whole.record(w).unwrap();
        }
    }
    (first, whole)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let ollama = FakeOllama::start(vec![FakeModel::new(MODEL)]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = sutazai_tests::agent::free_port();
    let listen = format!("127.0.0.1:{port}");
    let url = ollama.url();
    let (config, report) = sutazai_tests::engine::config(
        dir.path(),
        &[
            ("SUTAZAI_API_LISTEN", listen.as_str()),
            ("SUTAZAI_DOCKER_HOST", "unix:///nonexistent.sock"),
            ("SUTAZAI_OLLAMA_URL", url.as_str()),
            ("SUTAZAI_LOG", "warn"),
            // The gateway's overhead with one agent token, not the limiter's.
            ("SUTAZAI_AGENT_RATE_PER_MINUTE", "1000000"),
            // Room for every client at once: the default (2 per model, 16
            // queued) measures the limit, not the gateway.
            ("SUTAZAI_LLM_MODEL_CONCURRENCY", "64"),
        ],
    );
    let engine = Engine::start(config, report, Arc::new(SystemClock)).await.unwrap();
    let cancel = CancellationToken::new();
    let server = tokio::spawn(sutazai_http::serve(
        Arc::clone(&engine),
        listen.parse().unwrap(),
        cancel.clone(),
    ));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build().unwrap();
    let direct = Target {
        http: http.clone(),
        base: url.clone(),
        token: None,
    };
    let token = engine.issue_service_tokens("sutazai-ag-001").await.unwrap().agent_token;
    let gateway = Target {
        http,
        base: format!("http://{listen}"),
        token: Some(token),
    };
    // The cache answers from the second call on.
    assert!(gateway.answer(cached()).await, "the gateway must answer");

    println!("LLM gateway: POST /api/generate to a fake Ollama with no latency of its own ({MODEL})");
    println!("Latency, one call at a time, {SAMPLES} samples after {WARMUP} warm-up:");
    let d = direct.clone();
    let direct_h = latency(WARMUP, SAMPLES, |n| d.answer(uncached(n))).await;
    row("direct to Ollama, not cached (reference)", &direct_h);
    let g = gateway.clone();
    let gateway_h = latency(WARMUP, SAMPLES, |n| g.answer(uncached(n + 1_000_000))).await;
    row("through the gateway, not cached", &gateway_h);
    println!(
        "  added by the gateway:  p50 {:.3} ms, p99 {:.3} ms   (goal: p99 ≤ 1 ms)",
        added_ms(&gateway_h, &direct_h, 0.5),
        added_ms(&gateway_h, &direct_h, 0.99)
    );
    let g = gateway.clone();
    let hit_h = latency(WARMUP, SAMPLES, |_| g.hit(cached())).await;
    row("through the gateway, cache hit", &hit_h);
    println!(
        "  cache hit:  p50 {:.3} ms, p99 {:.3} ms   (goal ≤ 0.5 ms; the direct call above is the reference)",
        hit_h.value_at_quantile(0.5) as f64 / 1000.0,
        hit_h.value_at_quantile(0.99) as f64 / 1000.0
    );

    println!("Streaming generate (one chunk a word, then the done line):");
    let (direct_first, direct_whole) = first_byte(&direct).await;
    row("direct: first byte (reference)", &direct_first);
    let (gateway_first, gateway_whole) = first_byte(&gateway).await;
    row("gateway: first byte", &gateway_first);
    row("direct: done line (reference)", &direct_whole);
    row("gateway: done line", &gateway_whole);
    println!(
        "  added to the first byte:  p50 {:.3} ms, p99 {:.3} ms",
        added_ms(&gateway_first, &direct_first, 0.5),
        added_ms(&gateway_first, &direct_first, 0.99)
    );

    println!(
        "Throughput, {CLIENTS} clients with one call in flight each, {} s each:",
        LOAD_FOR.as_secs()
    );
    let d = direct.clone();
    let (rate, failed) = throughput(CLIENTS, LOAD_FOR, move |n| {
        let d = d.clone();
        async move { d.answer(uncached(n)).await }
    })
    .await;
    println!("  direct to Ollama (reference)    {rate:>8.0} calls/s  ({failed} failed)");
    let g = gateway.clone();
    let (rate, failed) = throughput(CLIENTS, LOAD_FOR, move |n| {
        let g = g.clone();
        async move { g.answer(uncached(n + 500_000_000)).await }
    })
    .await;
    println!("  through the gateway, not cached {rate:>8.0} calls/s  ({failed} failed)");
    let g = gateway.clone();
    let (rate, failed) = throughput(CLIENTS, LOAD_FOR, move |_| {
        let g = g.clone();
        async move { g.hit(cached()).await }
    })
    .await;
    println!("  through the gateway, cache hits {rate:>8.0} calls/s  ({failed} failed)");

    let stats = engine.gateway_stats();
    let usage = stats.usage.iter().find(|u| u.caller == "AG-001" && u.model == MODEL);
    if let Some(u) = usage {
        println!(
            "Accounted by the gateway for AG-001: {} calls, {} cache hits, {} errors, {} tokens in, {} out",
            u.calls, u.cache_hits, u.errors, u.tokens_in, u.tokens_out
        );
    }
    println!(
        "Ollama received {} generate calls (the cache hits never reach it)",
        ollama.calls("/api/generate")
    );

    cancel.cancel();
    let _ = server.await;
    engine.shutdown(Duration::from_secs(5)).await;
}
