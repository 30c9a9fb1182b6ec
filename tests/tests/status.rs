//! The engine's status against the real world: a real Docker engine (the
//! test command starts one when none answers), a private dockerd this test
//! stops, and the fake Ollama.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sutazai_engine::error::Code;
use sutazai_engine::error::Coded;
use sutazai_engine::status::Probe;
use sutazai_engine::{Engine, EngineError, SystemClock};
use sutazai_tests::dockerd::PrivateDockerd;
use sutazai_tests::engine::config;
use sutazai_tests::fake_ollama::{self, FakeModel, FakeOllama, Fault};

async fn start(data_dir: &Path, env: &[(&str, &str)]) -> Arc<Engine> {
    let (config, report) = config(data_dir, env);
    Engine::start(config, report, Arc::new(SystemClock))
        .await
        .expect("engine starts")
}

fn docker_cli(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().expect("the docker CLI runs");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn reports_the_real_docker_engine_and_the_fake_ollama() {
    let ollama = FakeOllama::start(vec![
        FakeModel::new("llama3.2:1b"),
        FakeModel::new("qwen2.5-coder:1.5b"),
    ])
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let engine = start(dir.path(), &[("SUTAZAI_OLLAMA_URL", &ollama.url())]).await;

    let status = engine.refresh_status().await;
    let Probe::Connected(docker) = &status.docker else {
        panic!("docker is reachable: {:?}", status.docker)
    };
    assert_eq!(
        docker.version,
        docker_cli(&["version", "--format", "{{.Server.Version}}"])
    );
    assert!(docker.api_version.starts_with("1."), "{}", docker.api_version);
    assert!(docker.containers_running <= docker.containers_total);
    let Probe::Connected(facts) = &status.ollama else {
        panic!("the fake answers: {:?}", status.ollama)
    };
    assert_eq!(facts.version, fake_ollama::VERSION);
    assert_eq!(facts.model_count, 2);
    assert_eq!(status.data.data_dir, dir.path().display().to_string());
    assert!(Path::new(&status.data.database).exists());
    assert!(status.checked_at_ms > 0);
    engine.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn an_ollama_error_body_is_reported_with_its_text() {
    let ollama = FakeOllama::start(vec![]).await.unwrap();
    ollama.set_fault(Fault::ServerError);
    let dir = tempfile::tempdir().unwrap();
    let engine = start(dir.path(), &[("SUTAZAI_OLLAMA_URL", &ollama.url())]).await;
    let status = engine.refresh_status().await;
    let Probe::Unreachable(err) = &status.ollama else {
        panic!("{:?}", status.ollama)
    };
    assert_eq!(err.code, Code::OllamaError);
    assert!(
        err.message.contains("500") && err.message.contains("injected server error"),
        "{}",
        err.message
    );
    engine.shutdown(Duration::from_secs(2)).await;
}

#[tokio::test]
async fn a_data_dir_that_cannot_be_created_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let (config, report) = config(&file.join("data"), &[]);
    let err = Engine::start(config, report, Arc::new(SystemClock))
        .await
        .err()
        .expect("start fails");
    assert!(matches!(err, EngineError::DataDir { .. }), "{err}");
    assert_eq!(err.code(), Code::DataDir);
    assert!(err.to_string().contains("a-file/data"), "{err}");
}

#[tokio::test]
async fn a_clean_stop_is_remembered_and_a_crash_is_noticed() {
    let dir = tempfile::tempdir().unwrap();
    let engine = start(dir.path(), &[]).await;
    engine.shutdown(Duration::from_secs(2)).await;
    drop(engine);
    let engine = start(dir.path(), &[]).await;
    assert_eq!(engine.status().data.unclean_previous_runs, 0);
    drop(engine); // no shutdown: as if the app was killed
    let engine = start(dir.path(), &[]).await;
    assert_eq!(engine.status().data.unclean_previous_runs, 1);
    engine.shutdown(Duration::from_secs(2)).await;
}

/// The background checker notices a Docker engine going away, on its own.
#[tokio::test(flavor = "multi_thread")]
async fn status_follows_a_docker_engine_that_stops() {
    let mut dockerd = tokio::task::spawn_blocking(|| PrivateDockerd::start(Duration::from_secs(60)))
        .await
        .unwrap()
        .expect("a private dockerd starts");
    let version = dockerd.server_version().unwrap();
    let socket = format!("unix://{}", dockerd.socket().display());
    let dir = tempfile::tempdir().unwrap();
    let engine = start(
        dir.path(),
        &[("SUTAZAI_DOCKER_HOST", &socket), ("SUTAZAI_STATUS_INTERVAL_MS", "200")],
    )
    .await;
    let mut updates = engine.subscribe_status();

    let connected = wait_for(&mut updates, |s| matches!(s.docker, Probe::Connected(_))).await;
    let Probe::Connected(facts) = connected.docker else {
        unreachable!()
    };
    assert_eq!(facts.version, version);

    tokio::task::spawn_blocking(move || dockerd.stop()).await.unwrap();
    let gone = wait_for(&mut updates, |s| matches!(s.docker, Probe::Unreachable(_))).await;
    let Probe::Unreachable(err) = gone.docker else {
        unreachable!()
    };
    assert!(matches!(err.code, Code::DockerMissing | Code::DockerRefused), "{err:?}");
    engine.shutdown(Duration::from_secs(2)).await;
}

async fn wait_for(
    updates: &mut tokio::sync::watch::Receiver<sutazai_engine::EngineStatus>,
    done: impl Fn(&sutazai_engine::EngineStatus) -> bool,
) -> sutazai_engine::EngineStatus {
    // A bound so a broken checker fails the test instead of hanging it.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if done(&updates.borrow_and_update()) {
            return updates.borrow().clone();
        }
        let left = deadline.saturating_duration_since(Instant::now());
        tokio::time::timeout(left, updates.changed())
            .await
            .expect("the status changes within 30 s")
            .expect("the engine is running");
    }
}
