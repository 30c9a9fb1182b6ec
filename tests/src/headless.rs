//! The headless engine (`sutazai-headless`) as a child process that a crash
//! test may SIGKILL and start again on the same data dir, and the phase-1
//! fleet it adopts.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sutazai_engine::fleet::model::{DeployReport, FailurePolicy};
use sutazai_engine::security::Principal;
use sutazai_engine::{Engine, SystemClock};

use crate::agent::free_port;
use crate::docker::{bridge_gateway, PhaseGuard};
use crate::engine::config;
use crate::fake_ollama::{FakeModel, FakeOllama, Fault};

/// The headless binary, built beside the tests by `cargo test --workspace`.
pub fn binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its own path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary sits in target/<profile>/deps");
    let bin = dir.join("sutazai-headless");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build --workspace` (cargo test --workspace builds it)",
        bin.display()
    );
    bin
}

/// Where and how the headless engine runs: every start uses the same data
/// dir, so it finds what the killed one left.
pub struct Headless {
    pub data_dir: PathBuf,
    pub port: u16,
    pub ollama_url: String,
    pub config_file: PathBuf,
}

impl Headless {
    /// A headless engine on `data_dir` (with an empty config file there),
    /// serving the API on 127.0.0.1:`port`.
    pub fn new(data_dir: &Path, port: u16, ollama_url: &str) -> Headless {
        let config_file = data_dir.join("config.toml");
        std::fs::write(&config_file, "").expect("the config file is written");
        Headless {
            data_dir: data_dir.to_path_buf(),
            port,
            ollama_url: ollama_url.to_string(),
            config_file,
        }
    }

    /// The API's base URL (`http://127.0.0.1:<port>/v1`).
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    fn command(&self) -> Command {
        let mut command = Command::new(binary());
        command
            .env("SUTAZAI_CONFIG", &self.config_file)
            .env("SUTAZAI_DATA_DIR", &self.data_dir)
            .env("SUTAZAI_API_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("SUTAZAI_OLLAMA_URL", &self.ollama_url)
            .env("SUTAZAI_AGENT_BIN", crate::agent::binary_path())
            .env("SUTAZAI_TASK_ATTEMPTS", "10")
            // The fake answers at once: no model needs protecting here.
            .env("SUTAZAI_LLM_MODEL_CONCURRENCY", "1000")
            .env("SUTAZAI_LLM_QUEUE", "10000")
            .env("SUTAZAI_LOG", "warn")
            // Crash tests poll hard with one key; rate limits are tested
            // on their own (tests/tests/rate_limits.rs).
            .env("SUTAZAI_API_RATE_PER_MINUTE", "1000000")
            .env("SUTAZAI_AGENT_RATE_PER_MINUTE", "1000000")
            .stdin(Stdio::null());
        command
    }

    /// Deploys `phase` with an engine in this process (undeploying what an
    /// earlier test left first), so that the headless engine adopts the
    /// containers: same data dir, so the same hub secret. Agents reach
    /// Ollama through the hub's gateway, so they are given the headless
    /// engine's port from the start.
    pub async fn deploy(&self, phase: u8) -> DeployReport {
        let listen = format!("127.0.0.1:{}", self.port);
        let env = [
            ("SUTAZAI_OLLAMA_URL", self.ollama_url.as_str()),
            ("SUTAZAI_API_LISTEN", &listen),
        ];
        let (config, report) = config(&self.data_dir, &env);
        let engine = Engine::start(config, report, Arc::new(SystemClock))
            .await
            .expect("an engine starts on the data dir");
        engine
            .undeploy_phase(phase, &Principal::Desktop)
            .await
            .expect("an earlier fleet is removed");
        let deployed = engine
            .deploy_phase(phase, FailurePolicy::RollBack, &Principal::Desktop, |_| {})
            .await
            .expect("the phase deploys");
        engine.shutdown(Duration::from_secs(5)).await;
        deployed
    }

    /// Removes `phase`'s containers with an engine in this process (the
    /// headless one must have stopped).
    pub async fn undeploy(&self, phase: u8) {
        let (config, report) = config(&self.data_dir, &[]);
        let engine = Engine::start(config, report, Arc::new(SystemClock))
            .await
            .expect("an engine starts on the data dir");
        engine
            .undeploy_phase(phase, &Principal::Desktop)
            .await
            .expect("the fleet is removed");
        engine.shutdown(Duration::from_secs(5)).await;
    }

    /// Starts the engine and waits until it says it listens.
    pub fn start(&self) -> Child {
        let mut child = self
            .command()
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("sutazai-headless starts");
        let stdout = child.stdout.take().expect("its stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let line = lines
                .next()
                .expect("the hub printed nothing before exiting")
                .expect("its stdout is text");
            if line.contains("listening on") {
                break;
            }
            assert!(Instant::now() < deadline, "the hub did not listen within 30 s");
        }
        // Keep draining its stdout so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        child
    }

    /// A new operator API key, made by the key command on the data dir.
    pub fn create_key(&self, name: &str) -> String {
        let out = self
            .command()
            .args(["key", "create", name, "--role", "operator"])
            .output()
            .expect("the key command runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        text.split_whitespace()
            .find(|w| w.starts_with("sk_"))
            .unwrap_or_else(|| panic!("no key in: {text}"))
            .to_string()
    }
}

/// SIGKILLs the engine and reaps it.
pub fn kill(child: &mut Child) {
    signal(child, nix::sys::signal::Signal::SIGKILL);
}

/// Stops the engine with SIGTERM and waits until it has exited.
pub fn stop(child: &mut Child) {
    signal(child, nix::sys::signal::Signal::SIGTERM);
}

fn signal(child: &mut Child, signal: nix::sys::signal::Signal) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("a pid fits an i32"));
    // It may have exited already; waiting reaps it either way.
    let _ = nix::sys::signal::kill(pid, signal);
    let _ = child.wait();
}

/// A small deterministic generator for kill moments: a test prints its
/// seed, so a failing schedule can be told apart from another.
pub struct Lcg(pub u64);

impl Lcg {
    /// Seeded from the clock.
    pub fn from_clock() -> Lcg {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos());
        Lcg(nanos as u64)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// What a crash test runs against: the fake Ollama on Docker's bridge,
/// answering every prompt with one code block after `latency`; phase 1
/// deployed (removed when this is dropped) for a headless engine on a data
/// dir of its own; an operator key and an HTTP client for its API.
pub struct Crash {
    // Dropped in this order: the engine's handle, then the phase.
    pub hub: Headless,
    _fleet: PhaseGuard,
    pub dir: tempfile::TempDir,
    pub ollama: FakeOllama,
    pub key: String,
    /// The API's base URL (`http://127.0.0.1:<port>/v1`).
    pub base: String,
    pub http: reqwest::Client,
}

/// Sets up a [`Crash`]; the headless engine is not started yet.
pub async fn phase_1_crash(latency: Duration, key_name: &str) -> Crash {
    let ollama = FakeOllama::start_on(
        format!("{}:0", bridge_gateway()).as_str(),
        vec![FakeModel::new("qwen2.5-coder:1.5b")],
    )
    .await
    .expect("the fake Ollama listens on the bridge");
    ollama.set_reply(Some("```python\nprint('done')\n```".into()));
    ollama.set_fault(Fault::Latency(latency));
    let dir = tempfile::tempdir().expect("a temporary data dir");
    // Phase 1 is deployed by an engine in this process; the headless hub
    // adopts the containers.
    let fleet = PhaseGuard(1);
    let hub = Headless::new(dir.path(), free_port(), &ollama.url());
    let deployed = hub.deploy(1).await;
    assert_eq!(deployed.healthy, 20, "{deployed:?}");
    let key = hub.create_key(key_name);
    let base = hub.base();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("an HTTP client");
    Crash {
        hub,
        _fleet: fleet,
        dir,
        ollama,
        key,
        base,
        http,
    }
}
