//! The typed configuration: defaults ← config file ← environment.
//!
//! Loading never fails. Every problem (an unreadable file, a file that is not
//! TOML, an unknown key, a bad value) becomes a [`ConfigIssue`] that names
//! where it came from, the key and what was expected, and the affected key
//! keeps the value of the layer below. The app therefore always starts, and
//! Settings shows both the effective values (with their origin) and the
//! issues.

mod keeping;
mod keys;
#[cfg(test)]
mod tests;
mod values;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use ts_rs::TS;
use url::Url;

pub use keeping::{Keeping, Retention};
pub use keys::readme_table;
use keys::{Kind, KEYS};
pub use values::{parse_docker_endpoint, parse_ollama_url, DEFAULT_API_PORT};

/// Where the engine finds Docker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerEndpoint {
    /// A local Unix socket, e.g. `/var/run/docker.sock`.
    Unix(PathBuf),
    /// A TCP endpoint spoken over plain HTTP, e.g. `tcp://127.0.0.1:2375`.
    Http(String),
}

impl std::fmt::Display for DockerEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unix(path) => write!(f, "unix://{}", path.display()),
            Self::Http(addr) => write!(f, "tcp://{addr}"),
        }
    }
}

/// The engine's effective, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the database and log files live.
    pub data_dir: PathBuf,
    /// The agent manifests the app manages (seeded from the shipped catalog).
    pub catalog_dir: PathBuf,
    /// The workflow definitions (seeded from the shipped templates).
    pub workflows_dir: PathBuf,
    /// The Docker engine to manage.
    pub docker_endpoint: DockerEndpoint,
    /// The Ollama server's base URL.
    pub ollama_url: Url,
    /// A `tracing` filter directive, e.g. `info` or `sutazai_engine=debug`.
    pub log_level: String,
    /// How long one probe of Docker or Ollama may take.
    pub probe_timeout: Duration,
    /// How often the engine re-checks Docker and Ollama in the background.
    pub status_interval: Duration,
    /// The static agent runtime that agent images are made from.
    pub agent_runtime: PathBuf,
    /// How long a new agent may take to answer `/health` during a deploy.
    pub health_timeout: Duration,
    /// Where the local API listens (loopback by default; agents reach it
    /// through Docker's host gateway as well).
    pub api_listen: std::net::SocketAddr,
    /// Whether `api_listen` may be an address other machines reach.
    pub api_allow_remote: bool,
    /// Requests each API key may make to the API a minute (in one burst
    /// at most as many).
    pub api_rate_per_minute: u32,
    /// Requests each agent may make to the hub and the gateway a minute.
    pub agent_rate_per_minute: u32,
    /// Consecutive failures that open an agent's circuit breaker.
    pub breaker_failures: u32,
    /// How long an open breaker waits before it lets one probe through.
    pub breaker_recovery: Duration,
    /// Attempts a task gets (the first included) before it is dead.
    pub task_attempts: u32,
    /// How long one task may take when it sets no deadline of its own.
    pub task_timeout: Duration,
    /// How long a cached deterministic LLM answer is served (zero: no cache).
    pub llm_cache_ttl: Duration,
    /// LLM calls one model runs at once through the gateway.
    pub llm_model_concurrency: u32,
    /// LLM calls that may wait for one model beyond those running.
    pub llm_queue: u32,
    /// How long one LLM call through the gateway may take, waiting included.
    pub llm_timeout: Duration,
    /// Whether the metrics are sampled once a second.
    pub metrics_collect: bool,
    /// How long the message bus keeps a message whose deliveries are all
    /// finished.
    pub message_retention: Duration,
    /// How long each tier of the metrics history is kept, and its size limit.
    pub metrics: Keeping,
    /// The `PATH` the app was started with: where "Start Ollama" looks for
    /// the `ollama` program. Not a setting; taken from the environment.
    pub search_path: String,
}

/// Where an effective value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ConfigSource {
    Default,
    File { path: String },
    Env { var: String },
}

/// One effective value, as Settings shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigValue {
    pub key: String,
    pub value: String,
    pub source: ConfigSource,
    pub help: String,
}

/// A problem found while loading; the key kept the value of the layer below.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigIssue {
    /// The file path or `environment variable NAME`.
    pub origin: String,
    /// The key concerned, when the problem is about one key.
    pub key: Option<String>,
    pub problem: String,
}

impl std::fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.key {
            Some(key) => write!(f, "{}: key `{}`: {}", self.origin, key, self.problem),
            None => write!(f, "{}: {}", self.origin, self.problem),
        }
    }
}

/// What Settings shows: the effective values, their origins and the issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigReport {
    /// The config file that was looked for (it may not exist).
    pub file: Option<String>,
    pub file_found: bool,
    pub values: Vec<ConfigValue>,
    pub issues: Vec<ConfigIssue>,
    /// Values taken as set that deserve a second look (an API other
    /// machines can reach).
    pub warnings: Vec<ConfigIssue>,
}

impl ConfigReport {
    /// Writes the issues and warnings to the log (once the log is set up).
    pub fn log(&self) {
        for issue in &self.issues {
            tracing::warn!(%issue, "config problem; the key keeps its lower-layer value");
        }
        for warning in &self.warnings {
            tracing::warn!(%warning, "config warning");
        }
    }
}

/// Everything loading reads from the outside, injected so tests control it.
#[derive(Debug, Clone, Default)]
pub struct ConfigInputs {
    /// The environment (normally `std::env::vars()`).
    pub env: HashMap<String, String>,
    /// The data dir used when nothing else says (normally the OS data dir).
    pub default_data_dir: PathBuf,
    /// The config file used when `SUTAZAI_CONFIG` is unset.
    pub default_config_file: Option<PathBuf>,
    /// The agent runtime used when nothing else says (normally next to the app).
    pub default_agent_runtime: PathBuf,
}

impl ConfigInputs {
    /// The real process environment and the OS's standard directories.
    pub fn from_process() -> Self {
        let base_data = dirs::data_dir().unwrap_or_else(std::env::temp_dir);
        Self {
            env: std::env::vars().collect(),
            default_data_dir: base_data.join("sutazai"),
            default_config_file: dirs::config_dir().map(|d| d.join("sutazai").join("config.toml")),
            default_agent_runtime: std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(|dir| dir.join("sutazai-agent")))
                .unwrap_or_else(|| PathBuf::from("/usr/lib/sutazai/sutazai-agent")),
        }
    }
}

/// The environment variable that names the config file.
pub const CONFIG_FILE_ENV: &str = "SUTAZAI_CONFIG";

impl Config {
    /// Loads defaults ← file ← environment. Never fails; see the module doc.
    pub fn load(inputs: &ConfigInputs) -> (Config, ConfigReport) {
        let mut issues = Vec::new();
        let env = |name: &str| inputs.env.get(name).filter(|v| !v.trim().is_empty()).cloned();

        let file = match env(CONFIG_FILE_ENV) {
            Some(path) => Some((PathBuf::from(path), true)),
            None => inputs.default_config_file.clone().map(|p| (p, false)),
        };
        let (table, file_found) = match &file {
            Some((path, explicit)) => read_table(path, *explicit, &mut issues),
            None => (None, false),
        };
        let file_label = file.as_ref().map(|(p, _)| p.display().to_string());

        if let (Some(table), Some(label)) = (&table, &file_label) {
            for key in table.keys() {
                if !KEYS.iter().any(|k| k.name == key) {
                    let known: Vec<_> = KEYS.iter().map(|k| k.name).collect();
                    issues.push(ConfigIssue {
                        origin: label.clone(),
                        key: Some(key.clone()),
                        problem: format!("unknown key; known keys are {}", known.join(", ")),
                    });
                }
            }
        }

        // Each layer's text is set through the key's typed parser; one that
        // fails is an issue and the field keeps the layer below.
        let mut config = Config::unset(inputs);
        let mut values = Vec::new();
        for key in KEYS {
            let default = key.default_text(&config, inputs);
            if let Err(problem) = (key.set)(&mut config, &default) {
                // The tests keep every default valid; this keeps loading total.
                issues.push(ConfigIssue {
                    origin: "default".into(),
                    key: Some(key.name.into()),
                    problem,
                });
            }
            let mut chosen = (default, ConfigSource::Default);
            if let (Some(raw), Some(label)) = (table.as_ref().and_then(|t| t.get(key.name)), &file_label) {
                let text = match (key.kind, raw) {
                    (Kind::Str, toml::Value::String(s)) => Ok(s.clone()),
                    (Kind::Int, toml::Value::Integer(i)) => Ok(i.to_string()),
                    (Kind::Bool, toml::Value::Boolean(b)) => Ok(b.to_string()),
                    (Kind::Bool, other) => Err(format!("expected true or false, found {}", other.type_str())),
                    (Kind::Str, other) => Err(format!("expected a string, found {}", other.type_str())),
                    (Kind::Int, other) => Err(format!("expected an integer, found {}", other.type_str())),
                };
                match text.and_then(|t| (key.set)(&mut config, &t).map(|()| t)) {
                    Ok(text) => chosen = (text, ConfigSource::File { path: label.clone() }),
                    Err(problem) => issues.push(ConfigIssue {
                        origin: label.clone(),
                        key: Some(key.name.to_string()),
                        problem,
                    }),
                }
            }
            if let Some((var, text)) = key.env.iter().find_map(|var| env(var).map(|t| (*var, t))) {
                match (key.set)(&mut config, &text) {
                    Ok(()) => chosen = (text, ConfigSource::Env { var: var.to_string() }),
                    Err(problem) => issues.push(ConfigIssue {
                        origin: format!("environment variable {var}"),
                        key: Some(key.name.to_string()),
                        problem,
                    }),
                }
            }
            values.push(ConfigValue {
                key: key.name.to_string(),
                value: chosen.0,
                source: chosen.1,
                help: key.help.to_string(),
            });
        }

        let mut warnings = Vec::new();
        remote_api_rule(&mut config, &mut values, &mut issues, &mut warnings);
        let report = ConfigReport {
            file: file_label,
            file_found,
            values,
            issues,
            warnings,
        };
        (config, report)
    }
}

fn read_table(path: &Path, explicit: bool, issues: &mut Vec<ConfigIssue>) -> (Option<toml::Table>, bool) {
    let origin = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && !explicit => return (None, false),
        Err(err) => {
            issues.push(ConfigIssue {
                origin,
                key: None,
                problem: format!("cannot read the file: {err}"),
            });
            return (None, err.kind() != std::io::ErrorKind::NotFound);
        }
    };
    match text.parse::<toml::Table>() {
        Ok(table) => (Some(table), true),
        Err(err) => {
            let problem = format!("not valid TOML: {}", err.to_string().trim_end());
            issues.push(ConfigIssue {
                origin,
                key: None,
                problem,
            });
            (None, true)
        }
    }
}

/// The local API listens where other machines can reach it only when the
/// configuration says so twice: a non-loopback `api_listen` without
/// `api_allow_remote = true` keeps the loopback default (an issue names
/// where it came from), and with it Settings shows a warning.
fn remote_api_rule(
    config: &mut Config,
    values: &mut [ConfigValue],
    issues: &mut Vec<ConfigIssue>,
    warnings: &mut Vec<ConfigIssue>,
) {
    let Some(listen) = values.iter_mut().find(|v| v.key == "api_listen") else {
        return;
    };
    if config.api_listen.ip().is_loopback() {
        return;
    }
    let origin = match &listen.source {
        ConfigSource::Default => "default".to_string(),
        ConfigSource::File { path } => path.clone(),
        ConfigSource::Env { var } => format!("environment variable {var}"),
    };
    if config.api_allow_remote {
        warnings.push(ConfigIssue {
            origin,
            key: Some("api_listen".into()),
            problem: format!(
                "the local API listens on {}, where other machines may reach it (api_allow_remote is true); \
                 every request still needs an API key",
                listen.value
            ),
        });
        return;
    }
    issues.push(ConfigIssue {
        origin,
        key: Some("api_listen".into()),
        problem: format!(
            "{} is not a loopback address: other machines could reach the local API there; \
             kept {} (set api_allow_remote = true if you mean it)",
            listen.value,
            values::default_api_listen()
        ),
    });
    config.api_listen = values::default_api_listen();
    listen.value = config.api_listen.to_string();
    listen.source = ConfigSource::Default;
}
