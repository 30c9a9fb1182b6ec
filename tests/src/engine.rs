//! The engine as the integration tests start it.

use std::collections::HashMap;
use std::path::Path;

use sutazai_engine::config::ConfigInputs;
use sutazai_engine::{Config, ConfigReport};

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
