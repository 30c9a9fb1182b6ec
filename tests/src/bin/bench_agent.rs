//! `bench-agent`: the agent runtime's figures, each next to a reference
//! measured in the same run.
//!
//! - binary size (and the image Docker built from it);
//! - idle memory of one agent container (goal ≤ 5 MB), and of the same
//!   binary as a plain process;
//! - runtime overhead per task excluding the model call, against the fake
//!   Ollama at zero latency: inside the agent (total − LLM time), and the
//!   client's round trip through the agent vs straight to the fake;
//! - catalog load time for the 69 shipped manifests vs only reading them.
//!
//! Run: `./.dev/bench` (builds the static runtime first).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that cannot run should stop loudly

use std::time::{Duration, Instant};

use bollard::query_parameters::CreateContainerOptionsBuilder;
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use sutazai_engine::catalog::Catalog;
use sutazai_engine::config::parse_docker_endpoint;
use sutazai_engine::fleet::image;
use sutazai_engine::fleet::spec::{create_body, AgentSpec};
use sutazai_protocol::Manifest;
use sutazai_tests::agent::{binary, free_port, shipped_manifest, AgentProcess};
use sutazai_tests::docker::{endpoint, ContainerGuard};
use sutazai_tests::fake_ollama::{FakeModel, FakeOllama};

const TASKS: u64 = 2000;
const WARMUP: u64 = 100;

fn mb(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / 1_000_000.0)
}

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn row(name: &str, h: &Histogram<u64>) {
    let us = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "  {name:<44} p50 {:>7.3} ms  p95 {:>7.3} ms  p99 {:>7.3} ms",
        us(0.50),
        us(0.95),
        us(0.99)
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let bin = binary();
    let size = std::fs::metadata(&bin).unwrap().len();
    println!(
        "bench-agent — sutazai-agent {} ({})",
        env!("CARGO_PKG_VERSION"),
        bin.display()
    );
    println!("note: the agent is the static release binary; this driver, the fake Ollama and the catalog loader run");
    println!("      in the profile `.dev/bench` builds them with (release)\n");

    // 1. Size.
    let docker = sutazai_engine::docker::connect(&parse_docker_endpoint(&endpoint()).unwrap(), Duration::from_secs(30))
        .unwrap()
        .negotiate_version()
        .await
        .expect("a Docker engine answers");
    let img = image::ensure(&docker, &bin, env!("CARGO_PKG_VERSION")).await.unwrap();
    let image_size = docker.inspect_image(&img.tag).await.unwrap().size.unwrap_or(0) as u64;
    println!("binary size");
    println!("  sutazai-agent (static, stripped)             {}", mb(size));
    println!(
        "  reference: the image Docker made of it       {} ({})\n",
        mb(image_size),
        img.id
    );

    // 2. Idle memory.
    let manifest_text = shipped_manifest("AG-017");
    let port = free_port();
    let text = manifest_text.replace("port = 10316", &format!("port = {port}"));
    let manifest = Manifest::from_toml("AG-017", &text).unwrap();
    let name = format!("sutazai-bench-{}", std::process::id());
    let _guard = ContainerGuard(name.clone());
    let spec = AgentSpec {
        manifest: &manifest,
        manifest_toml: &text,
        manifest_hash: "bench",
        image: &img.tag,
        runtime_version: env!("CARGO_PKG_VERSION"),
        ollama_url: "http://host.docker.internal:11434",
        hub_url: "http://host.docker.internal:10200",
        token: "bench",
        hub_token: "bench",
        token_epoch: "bench",
        network: None,
        instance: 1,
    };
    docker
        .create_container(
            Some(CreateContainerOptionsBuilder::default().name(&name).build()),
            create_body(&spec),
        )
        .await
        .unwrap();
    docker.start_container(&name, None).await.unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(format!("{url}/health")).await.is_err() {
        assert!(Instant::now() < deadline, "the container never answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Some real work first, so the figure is "idle after use", not "never touched".
    for i in 0..200 {
        let body = json!({"task_id": format!("w{i}"), "task_type": "scan", "payload": {"text": "' OR 1=1 --"}});
        reqwest::Client::new()
            .post(format!("{url}/task"))
            .bearer_auth("bench")
            .json(&body)
            .send()
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pid = docker
        .inspect_container(&name, None)
        .await
        .unwrap()
        .state
        .unwrap()
        .pid
        .unwrap() as u32;
    let container_rss = rss_kb(pid) * 1024;
    let plain = AgentProcess::start(
        &manifest_text.replace("port = 10316", &format!("port = {}", free_port())),
        "http://127.0.0.1:9",
        &[("SUTAZAI_AGENT_LOG", "warn")],
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let fresh_rss = rss_kb(plain.pid()) * 1024;
    for i in 0..200 {
        let body = json!({"task_id": format!("w{i}"), "task_type": "scan", "payload": {"text": "' OR 1=1 --"}});
        reqwest::Client::new()
            .post(format!("{}/task", plain.url))
            .json(&body)
            .send()
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let plain_rss = rss_kb(plain.pid()) * 1024;
    drop(plain);
    println!("idle memory (RSS)");
    println!(
        "  one agent container, after 200 scans          {}   (goal ≤ 5 MB)",
        mb(container_rss)
    );
    println!("  reference: same binary on the host, 200 scans {}", mb(plain_rss));
    println!("  reference: same binary on the host, unused    {}\n", mb(fresh_rss));

    // 3. Overhead per task.
    let ag001 = shipped_manifest("AG-001");
    let preferred = Manifest::from_toml("AG-001", &ag001).unwrap().model.preferred;
    let fake = FakeOllama::start(vec![FakeModel::new(&preferred)]).await.unwrap();
    fake.set_reply(Some("{\"subtasks\": []}".into()));
    let agent = AgentProcess::start(&ag001, &fake.url(), &[("SUTAZAI_AGENT_LOG", "warn")]);
    let client = reqwest::Client::new();
    let mut inside = Histogram::<u64>::new(3).unwrap();
    let mut through_agent = Histogram::<u64>::new(3).unwrap();
    let mut direct = Histogram::<u64>::new(3).unwrap();
    let generate =
        json!({"model": preferred, "prompt": "Goal: bench", "system": "x", "stream": true, "format": "json"});
    for i in 0..(TASKS + WARMUP) {
        let body = json!({"task_id": format!("b{i}"), "task_type": "decompose", "payload": {"goal": "bench"}});
        let started = Instant::now();
        let result: Value = client
            .post(format!("{}/task", agent.url))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let round_trip = started.elapsed();
        assert_eq!(result["status"], "succeeded", "{result}");
        let started = Instant::now();
        let text = client
            .post(format!("{}/api/generate", fake.url()))
            .json(&generate)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let direct_trip = started.elapsed();
        assert!(text.contains("\"done\":true"));
        if i >= WARMUP {
            let t = &result["timings"];
            let overhead_ms = t["total_ms"].as_f64().unwrap() - t["llm_ms"].as_f64().unwrap();
            inside.record((overhead_ms * 1000.0).max(1.0) as u64).unwrap();
            through_agent.record(round_trip.as_micros() as u64).unwrap();
            direct.record(direct_trip.as_micros() as u64).unwrap();
        }
    }
    println!("overhead per task, {TASKS} tasks (AG-001 decompose, fake Ollama at zero latency)");
    row("inside the agent: total − LLM time", &inside);
    row("client round trip through the agent", &through_agent);
    row("reference: client round trip to the fake", &direct);
    println!("  (goal: p99 inside the agent ≤ 0.5 ms)\n");

    // 4. Catalog load.
    let dir = sutazai_tests::manifest_dir().join("../agents/catalog");
    let runs = 20;
    let mut load = Vec::new();
    let mut read = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let catalog = Catalog::load(&dir);
        load.push(started.elapsed());
        assert_eq!(catalog.len(), 69);
        let started = Instant::now();
        for entry in catalog.all() {
            std::hint::black_box(std::fs::read(&entry.file).unwrap());
        }
        read.push(started.elapsed());
    }
    load.sort();
    read.sort();
    println!("catalog load, 69 manifests, median of {runs}");
    println!(
        "  parse + validate + cross-check               {:.2} ms",
        load[runs / 2].as_secs_f64() * 1000.0
    );
    println!(
        "  reference: reading the same files            {:.2} ms",
        read[runs / 2].as_secs_f64() * 1000.0
    );
}
