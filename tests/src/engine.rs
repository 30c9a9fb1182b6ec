//! The engine as the integration tests start it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sutazai_engine::config::ConfigInputs;
use sutazai_engine::fleet::model::AgentStatus;
use sutazai_engine::security::Principal;
use sutazai_engine::{Config, ConfigReport, Engine, SystemClock};

/// A config for a test: data in `data_dir`, the machine's Docker engine
/// (`DOCKER_HOST` when set), the static agent runtime, and `env` on top.
pub fn config(data_dir: &Path, env: &[(&str, &str)]) -> (Config, ConfigReport) {
    let mut vars: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    if let Ok(host) = std::env::var("DOCKER_HOST") {
        vars.entry("DOCKER_HOST".into()).or_insert(host);
    }
    let inputs = ConfigInputs {
        env: vars,
        default_data_dir: data_dir.to_path_buf(),
        default_config_file: None,
        default_agent_runtime: crate::agent::binary_path(),
    };
    let (config, report) = Config::load(&inputs);
    assert!(report.issues.is_empty(), "{:?}", report.issues);
    (config, report)
}

/// A new API key of `role` (named after it), made by the desktop user.
pub async fn api_key(engine: &sutazai_engine::Engine, role: sutazai_engine::security::Role) -> String {
    match engine
        .create_api_key(role.as_str(), role, &sutazai_engine::security::Principal::Desktop)
        .await
    {
        Ok(created) => created.key,
        Err(err) => panic!("cannot make a {} key: {err}", role.as_str()),
    }
}

/// The engine with its API serving on a free loopback port (agents reach
/// the LLM gateway through it), `env` on top of [`config`]: the engine,
/// the API's address, and the switch that stops the API.
pub async fn start_with_api(
    data_dir: &Path,
    env: &[(&str, &str)],
) -> (Arc<Engine>, SocketAddr, sutazai_http::CancellationToken) {
    let listen = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap_or_else(|err| panic!("no free port: {err}"));
    let address = listen.to_string();
    let mut vars = vec![("SUTAZAI_API_LISTEN", address.as_str())];
    vars.extend_from_slice(env);
    let (config, report) = config(data_dir, &vars);
    let engine = match Engine::start(config, report, Arc::new(SystemClock)).await {
        Ok(engine) => engine,
        Err(err) => panic!("the engine does not start: {err}"),
    };
    let api = match sutazai_http::bind(listen).await {
        Ok(api) => api,
        Err(err) => panic!("the API does not listen on {listen}: {err}"),
    };
    let stop = sutazai_http::CancellationToken::new();
    tokio::spawn(api.serve(Arc::clone(&engine), stop.clone()));
    (engine, listen, stop)
}

/// Deploys `agent` alone and waits (at most 30 s) until the fleet lists it
/// healthy.
pub async fn deploy_one(engine: &Engine, agent: &str) {
    match engine.scale_agent(agent, 1, &Principal::Desktop).await {
        Ok(report) => assert_eq!(report.healthy, 1, "{report:?}"),
        Err(err) => panic!("{agent} does not deploy: {err}"),
    }
    crate::until(&format!("{agent} is healthy"), Duration::from_secs(30), async || {
        engine
            .agents()
            .await
            .iter()
            .any(|r| r.id == agent && r.status == AgentStatus::Healthy)
    })
    .await;
}
