//! The typed configuration: defaults ← config file ← environment.
//!
//! Loading never fails. Every problem (an unreadable file, a file that is not
//! TOML, an unknown key, a bad value) becomes a [`ConfigIssue`] that names
//! where it came from, the key and what was expected, and the affected key
//! keeps the value of the layer below. The app therefore always starts, and
//! Settings shows both the effective values (with their origin) and the
//! issues.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use ts_rs::TS;
use url::Url;

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
    /// The `PATH` the app was started with: where "Start Ollama" looks for
    /// the `ollama` program. Not a setting; taken from the environment.
    pub search_path: String,
}

/// Where an effective value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ConfigSource {
    Default,
    File { path: String },
    Env { var: String },
}

/// One effective value, as Settings shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConfigValue {
    pub key: String,
    pub value: String,
    pub source: ConfigSource,
    pub help: String,
}

/// A problem found while loading; the key kept the value of the layer below.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
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

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int,
    Bool,
}

struct Key {
    name: &'static str,
    env: &'static [&'static str],
    kind: Kind,
    help: &'static str,
}

const KEYS: &[Key] = &[
    Key {
        name: "data_dir",
        env: &["SUTAZAI_DATA_DIR"],
        kind: Kind::Str,
        help: "absolute path of the folder holding the database and logs",
    },
    Key {
        name: "catalog_dir",
        env: &["SUTAZAI_CATALOG_DIR"],
        kind: Kind::Str,
        help: "absolute path of the agent manifests folder (default: <data_dir>/catalog)",
    },
    Key {
        name: "docker_endpoint",
        env: &["SUTAZAI_DOCKER_HOST", "DOCKER_HOST"],
        kind: Kind::Str,
        help: "Docker engine: unix:///path/to/docker.sock or tcp://host:port",
    },
    Key {
        name: "ollama_url",
        env: &["SUTAZAI_OLLAMA_URL"],
        kind: Kind::Str,
        help: "Ollama base URL, e.g. http://127.0.0.1:11434",
    },
    Key {
        name: "log_level",
        env: &["SUTAZAI_LOG"],
        kind: Kind::Str,
        help: "tracing filter, e.g. info or sutazai_engine=debug",
    },
    Key {
        name: "probe_timeout_ms",
        env: &["SUTAZAI_PROBE_TIMEOUT_MS"],
        kind: Kind::Int,
        help: "how long one Docker or Ollama check may take (1..=600000 ms)",
    },
    Key {
        name: "agent_runtime",
        env: &["SUTAZAI_AGENT_BIN"],
        kind: Kind::Str,
        help: "absolute path of the static agent runtime the agent image is made from",
    },
    Key {
        name: "health_timeout_ms",
        env: &["SUTAZAI_HEALTH_TIMEOUT_MS"],
        kind: Kind::Int,
        help: "how long a new agent may take to answer /health during a deploy (1..=600000 ms)",
    },
    Key {
        name: "status_interval_ms",
        env: &["SUTAZAI_STATUS_INTERVAL_MS"],
        kind: Kind::Int,
        help: "how often Docker and Ollama are re-checked (1..=600000 ms)",
    },
    Key {
        name: "api_listen",
        env: &["SUTAZAI_API_LISTEN"],
        kind: Kind::Str,
        help: "ip:port of the local API (a loopback address unless api_allow_remote is true)",
    },
    Key {
        name: "api_allow_remote",
        env: &["SUTAZAI_API_ALLOW_REMOTE"],
        kind: Kind::Bool,
        help: "let api_listen be an address other machines can reach (true or false)",
    },
    Key {
        name: "breaker_failures",
        env: &["SUTAZAI_BREAKER_FAILURES"],
        kind: Kind::Int,
        help: "consecutive failures that open an agent's circuit breaker (1..=1000)",
    },
    Key {
        name: "breaker_recovery_ms",
        env: &["SUTAZAI_BREAKER_RECOVERY_MS"],
        kind: Kind::Int,
        help: "how long an open breaker waits before one probe call (1..=600000 ms)",
    },
    Key {
        name: "task_attempts",
        env: &["SUTAZAI_TASK_ATTEMPTS"],
        kind: Kind::Int,
        help: "attempts a task gets, the first included, before it is dead (1..=1000)",
    },
    Key {
        name: "task_timeout_ms",
        env: &["SUTAZAI_TASK_TIMEOUT_MS"],
        kind: Kind::Int,
        help: "how long a task may take when it sets no deadline (1..=600000 ms)",
    },
    Key {
        name: "llm_cache_ttl_ms",
        env: &["SUTAZAI_LLM_CACHE_TTL_MS"],
        kind: Kind::Int,
        help: "how long the gateway serves a cached deterministic LLM answer (0..=604800000 ms; 0 turns the cache off)",
    },
    Key {
        name: "llm_model_concurrency",
        env: &["SUTAZAI_LLM_MODEL_CONCURRENCY"],
        kind: Kind::Int,
        help: "LLM calls one model runs at once through the gateway (1..=1000)",
    },
    Key {
        name: "llm_queue",
        env: &["SUTAZAI_LLM_QUEUE"],
        kind: Kind::Int,
        help: "LLM calls that may wait for a busy model before the gateway answers 503 (0..=10000)",
    },
    Key {
        name: "llm_timeout_ms",
        env: &["SUTAZAI_LLM_TIMEOUT_MS"],
        kind: Kind::Int,
        help: "how long one LLM call through the gateway may take, waiting included (1..=600000 ms)",
    },
];

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

        let mut values = Vec::new();
        let mut resolved: HashMap<&'static str, String> = HashMap::new();
        for key in KEYS {
            let default = match key.name {
                // Follows the data dir wherever that came from.
                "catalog_dir" => resolved
                    .get("data_dir")
                    .map(|d| format!("{d}/catalog"))
                    .unwrap_or_default(),
                _ => default_value(key.name, inputs),
            };
            let mut chosen = (default, ConfigSource::Default);
            if let (Some(table), Some(label)) = (&table, &file_label) {
                if let Some(raw) = table.get(key.name) {
                    let text = match (key.kind, raw) {
                        (Kind::Str, toml::Value::String(s)) => Ok(s.clone()),
                        (Kind::Int, toml::Value::Integer(i)) => Ok(i.to_string()),
                        (Kind::Bool, toml::Value::Boolean(b)) => Ok(b.to_string()),
                        (Kind::Bool, other) => Err(format!("expected true or false, found {}", other.type_str())),
                        (Kind::Str, other) => Err(format!("expected a string, found {}", other.type_str())),
                        (Kind::Int, other) => Err(format!("expected an integer, found {}", other.type_str())),
                    };
                    match text.and_then(|t| validate(key.name, &t).map(|_| t)) {
                        Ok(text) => chosen = (text, ConfigSource::File { path: label.clone() }),
                        Err(problem) => issues.push(ConfigIssue {
                            origin: label.clone(),
                            key: Some(key.name.to_string()),
                            problem,
                        }),
                    }
                }
            }
            if let Some((var, text)) = key.env.iter().find_map(|var| env(var).map(|t| (*var, t))) {
                match validate(key.name, &text) {
                    Ok(()) => chosen = (text, ConfigSource::Env { var: var.to_string() }),
                    Err(problem) => issues.push(ConfigIssue {
                        origin: format!("environment variable {var}"),
                        key: Some(key.name.to_string()),
                        problem,
                    }),
                }
            }
            resolved.insert(key.name, chosen.0.clone());
            values.push(ConfigValue {
                key: key.name.to_string(),
                value: chosen.0,
                source: chosen.1,
                help: key.help.to_string(),
            });
        }

        let mut warnings = Vec::new();
        remote_api_rule(&mut resolved, &mut values, &mut issues, &mut warnings);
        let get = |name: &str| resolved.get(name).cloned().unwrap_or_default();
        // Every resolved value passed `validate`, so these conversions succeed;
        // the fallbacks only keep the function total.
        let config = Config {
            data_dir: PathBuf::from(get("data_dir")),
            catalog_dir: PathBuf::from(get("catalog_dir")),
            docker_endpoint: parse_docker_endpoint(&get("docker_endpoint"))
                .unwrap_or_else(|_| DockerEndpoint::Unix("/var/run/docker.sock".into())),
            ollama_url: parse_ollama_url(&get("ollama_url"))
                .unwrap_or_else(|_| Url::parse(DEFAULT_OLLAMA_URL).expect("constant url parses")),
            log_level: get("log_level"),
            probe_timeout: Duration::from_millis(parse_ms(&get("probe_timeout_ms")).unwrap_or(3000)),
            status_interval: Duration::from_millis(parse_ms(&get("status_interval_ms")).unwrap_or(3000)),
            agent_runtime: PathBuf::from(get("agent_runtime")),
            health_timeout: Duration::from_millis(parse_ms(&get("health_timeout_ms")).unwrap_or(30_000)),
            api_listen: get("api_listen")
                .parse()
                .unwrap_or_else(|_| std::net::SocketAddr::from(([127, 0, 0, 1], DEFAULT_API_PORT))),
            breaker_failures: parse_count(&get("breaker_failures")).unwrap_or(5),
            breaker_recovery: Duration::from_millis(parse_ms(&get("breaker_recovery_ms")).unwrap_or(30_000)),
            task_attempts: parse_count(&get("task_attempts")).unwrap_or(4),
            task_timeout: Duration::from_millis(parse_ms(&get("task_timeout_ms")).unwrap_or(120_000)),
            llm_cache_ttl: Duration::from_millis(parse_ttl(&get("llm_cache_ttl_ms")).unwrap_or(3_600_000)),
            llm_model_concurrency: parse_count(&get("llm_model_concurrency")).unwrap_or(2),
            llm_queue: parse_queue(&get("llm_queue")).unwrap_or(16),
            llm_timeout: Duration::from_millis(parse_ms(&get("llm_timeout_ms")).unwrap_or(300_000)),
            search_path: inputs.env.get("PATH").cloned().unwrap_or_default(),
        };
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

const DEFAULT_OLLAMA_URL: &str = "http://127.0.0.1:11434";
/// The local API's default port (agents use 10300 and up).
pub const DEFAULT_API_PORT: u16 = 10200;

fn default_value(key: &str, inputs: &ConfigInputs) -> String {
    match key {
        "data_dir" => inputs.default_data_dir.display().to_string(),
        "docker_endpoint" => "unix:///var/run/docker.sock".into(),
        "ollama_url" => DEFAULT_OLLAMA_URL.into(),
        "log_level" => "info".into(),
        "probe_timeout_ms" => "3000".into(),
        "status_interval_ms" => "3000".into(),
        "agent_runtime" => inputs.default_agent_runtime.display().to_string(),
        "health_timeout_ms" => "30000".into(),
        "api_listen" => format!("127.0.0.1:{DEFAULT_API_PORT}"),
        "api_allow_remote" => "false".into(),
        "breaker_failures" => "5".into(),
        "breaker_recovery_ms" => "30000".into(),
        "task_attempts" => "4".into(),
        "task_timeout_ms" => "120000".into(),
        // Seed 000's one hour.
        "llm_cache_ttl_ms" => "3600000".into(),
        "llm_model_concurrency" => "2".into(),
        "llm_queue" => "16".into(),
        "llm_timeout_ms" => "300000".into(),
        _ => String::new(),
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

fn validate(key: &str, text: &str) -> Result<(), String> {
    match key {
        "data_dir" | "catalog_dir" | "agent_runtime" if Path::new(text).is_absolute() => Ok(()),
        "data_dir" | "catalog_dir" | "agent_runtime" => Err(format!("expected an absolute path, found `{text}`")),
        "docker_endpoint" => parse_docker_endpoint(text).map(|_| ()),
        "ollama_url" => parse_ollama_url(text).map(|_| ()),
        "log_level" => tracing_subscriber::EnvFilter::try_new(text)
            .map(|_| ())
            .map_err(|err| format!("expected a tracing filter such as `info` or `sutazai_engine=debug`: {err}")),
        "probe_timeout_ms"
        | "status_interval_ms"
        | "health_timeout_ms"
        | "breaker_recovery_ms"
        | "task_timeout_ms"
        | "llm_timeout_ms" => parse_ms(text).map(|_| ()),
        "breaker_failures" | "task_attempts" | "llm_model_concurrency" => parse_count(text).map(|_| ()),
        "llm_cache_ttl_ms" => parse_ttl(text).map(|_| ()),
        "llm_queue" => parse_queue(text).map(|_| ()),
        "api_allow_remote" => match text.trim() {
            "true" | "false" => Ok(()),
            _ => Err(format!("expected true or false, found `{text}`")),
        },
        "api_listen" => text
            .trim()
            .parse::<std::net::SocketAddr>()
            .map(|_| ())
            .map_err(|_| format!("expected ip:port such as 127.0.0.1:{DEFAULT_API_PORT}, found `{text}`")),
        _ => Ok(()),
    }
}

/// The local API listens where other machines can reach it only when the
/// configuration says so twice: a non-loopback `api_listen` without
/// `api_allow_remote = true` keeps the loopback default (an issue names
/// where it came from), and with it Settings shows a warning.
fn remote_api_rule(
    resolved: &mut HashMap<&'static str, String>,
    values: &mut [ConfigValue],
    issues: &mut Vec<ConfigIssue>,
    warnings: &mut Vec<ConfigIssue>,
) {
    let Some(listen) = values.iter_mut().find(|v| v.key == "api_listen") else {
        return;
    };
    let loopback = listen
        .value
        .trim()
        .parse::<std::net::SocketAddr>()
        .is_ok_and(|addr| addr.ip().is_loopback());
    if loopback {
        return;
    }
    let origin = match &listen.source {
        ConfigSource::Default => "default".to_string(),
        ConfigSource::File { path } => path.clone(),
        ConfigSource::Env { var } => format!("environment variable {var}"),
    };
    if resolved.get("api_allow_remote").is_some_and(|v| v.trim() == "true") {
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
             kept 127.0.0.1:{DEFAULT_API_PORT} (set api_allow_remote = true if you mean it)",
            listen.value
        ),
    });
    let default = format!("127.0.0.1:{DEFAULT_API_PORT}");
    resolved.insert("api_listen", default.clone());
    listen.value = default;
    listen.source = ConfigSource::Default;
}

fn parse_count(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        Ok(n) => Err(format!("expected a whole number between 1 and 1000, found {n}")),
        Err(_) => Err(format!("expected a whole number, found `{text}`")),
    }
}

fn parse_ms(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(ms) if (1..=600_000).contains(&ms) => Ok(ms),
        Ok(ms) => Err(format!("expected milliseconds between 1 and 600000, found {ms}")),
        Err(_) => Err(format!("expected a whole number of milliseconds, found `{text}`")),
    }
}

/// A cache lifetime: zero (no cache) up to a week.
fn parse_ttl(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(ms) if ms <= 604_800_000 => Ok(ms),
        Ok(ms) => Err(format!("expected milliseconds between 0 and 604800000, found {ms}")),
        Err(_) => Err(format!("expected a whole number of milliseconds, found `{text}`")),
    }
}

/// A queue length: zero (refuse at once when busy) up to ten thousand.
fn parse_queue(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if n <= 10_000 => Ok(n),
        Ok(n) => Err(format!("expected a whole number between 0 and 10000, found {n}")),
        Err(_) => Err(format!("expected a whole number, found `{text}`")),
    }
}

/// Parses `unix:///path`, a bare absolute socket path, `tcp://host:port` or
/// `http://host:port`.
pub fn parse_docker_endpoint(text: &str) -> Result<DockerEndpoint, String> {
    let text = text.trim();
    if let Some(path) = text.strip_prefix("unix://") {
        if Path::new(path).is_absolute() {
            return Ok(DockerEndpoint::Unix(path.into()));
        }
        return Err(format!("expected unix:///absolute/path, found `{text}`"));
    }
    if Path::new(text).is_absolute() {
        return Ok(DockerEndpoint::Unix(text.into()));
    }
    for scheme in ["tcp://", "http://"] {
        if let Some(addr) = text.strip_prefix(scheme) {
            let addr = addr.trim_end_matches('/');
            let valid = addr
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
            if valid {
                return Ok(DockerEndpoint::Http(addr.to_string()));
            }
            return Err(format!("expected {scheme}host:port, found `{text}`"));
        }
    }
    Err(format!(
        "expected unix:///path/to/docker.sock or tcp://host:port, found `{text}`"
    ))
}

/// Parses an Ollama base URL (`http` or `https`, with a host).
pub fn parse_ollama_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|err| format!("expected a URL such as {DEFAULT_OLLAMA_URL}: {err}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "expected an http:// or https:// URL with a host, found `{text}`"
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(dir: &Path, env: &[(&str, &str)]) -> ConfigInputs {
        ConfigInputs {
            env: env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            default_data_dir: dir.join("data"),
            default_config_file: Some(dir.join("config.toml")),
            default_agent_runtime: dir.join("sutazai-agent"),
        }
    }

    fn value<'a>(report: &'a ConfigReport, key: &str) -> &'a ConfigValue {
        report.values.iter().find(|v| v.key == key).expect("key is reported")
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let dir = tempfile::tempdir().unwrap();
        let (config, report) = Config::load(&inputs(dir.path(), &[]));
        assert_eq!(config.data_dir, dir.path().join("data"));
        assert_eq!(config.catalog_dir, dir.path().join("data/catalog"));
        assert_eq!(
            config.docker_endpoint,
            DockerEndpoint::Unix("/var/run/docker.sock".into())
        );
        assert_eq!(config.ollama_url.as_str(), "http://127.0.0.1:11434/");
        assert_eq!(config.probe_timeout, Duration::from_secs(3));
        assert_eq!(config.llm_cache_ttl, Duration::from_secs(3600));
        assert_eq!((config.llm_model_concurrency, config.llm_queue), (2, 16));
        assert_eq!(config.llm_timeout, Duration::from_secs(300));
        assert!(report.issues.is_empty(), "{:?}", report.issues);
        assert!(!report.file_found);
        assert!(report.values.iter().all(|v| v.source == ConfigSource::Default));
    }

    #[test]
    fn file_overrides_defaults_and_env_overrides_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            "ollama_url = \"http://10.1.2.3:11434\"\nprobe_timeout_ms = 500\nlog_level = \"debug\"\n",
        )
        .unwrap();
        let (config, report) = Config::load(&inputs(
            dir.path(),
            &[("SUTAZAI_LOG", "warn"), ("DOCKER_HOST", "tcp://127.0.0.1:2375")],
        ));
        assert!(report.issues.is_empty(), "{:?}", report.issues);
        assert_eq!(config.ollama_url.as_str(), "http://10.1.2.3:11434/");
        assert_eq!(config.probe_timeout, Duration::from_millis(500));
        assert_eq!(config.log_level, "warn");
        assert_eq!(config.docker_endpoint, DockerEndpoint::Http("127.0.0.1:2375".into()));
        let file = dir.path().join("config.toml").display().to_string();
        assert_eq!(value(&report, "ollama_url").source, ConfigSource::File { path: file });
        assert_eq!(
            value(&report, "log_level").source,
            ConfigSource::Env {
                var: "SUTAZAI_LOG".into()
            }
        );
        assert_eq!(
            value(&report, "docker_endpoint").source,
            ConfigSource::Env {
                var: "DOCKER_HOST".into()
            }
        );
    }

    #[test]
    fn the_catalog_follows_the_data_dir_unless_set() {
        let dir = tempfile::tempdir().unwrap();
        let (config, _) = Config::load(&inputs(dir.path(), &[("SUTAZAI_DATA_DIR", "/srv/sutazai")]));
        assert_eq!(config.catalog_dir, PathBuf::from("/srv/sutazai/catalog"));
        let (config, _) = Config::load(&inputs(dir.path(), &[("SUTAZAI_CATALOG_DIR", "/opt/agents")]));
        assert_eq!(config.catalog_dir, PathBuf::from("/opt/agents"));
    }

    #[test]
    fn sutazai_docker_host_wins_over_docker_host() {
        let dir = tempfile::tempdir().unwrap();
        let env = [
            ("DOCKER_HOST", "tcp://127.0.0.1:1"),
            ("SUTAZAI_DOCKER_HOST", "unix:///tmp/d.sock"),
        ];
        let (config, _) = Config::load(&inputs(dir.path(), &env));
        assert_eq!(config.docker_endpoint, DockerEndpoint::Unix("/tmp/d.sock".into()));
    }

    /// Each bad file names the file, the key and the problem, and the key
    /// keeps its default.
    #[test]
    fn bad_files_are_reported_and_defaults_kept() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("this is = = not toml", None, "not valid TOML"),
            (
                "colour = \"blue\"",
                Some("colour"),
                "unknown key; known keys are data_dir",
            ),
            (
                "probe_timeout_ms = \"fast\"",
                Some("probe_timeout_ms"),
                "expected an integer, found string",
            ),
            (
                "probe_timeout_ms = 0",
                Some("probe_timeout_ms"),
                "between 1 and 600000, found 0",
            ),
            (
                "ollama_url = \"ftp://x\"",
                Some("ollama_url"),
                "expected an http:// or https:// URL",
            ),
            (
                "ollama_url = 11434",
                Some("ollama_url"),
                "expected a string, found integer",
            ),
            (
                "docker_endpoint = \"ssh://me@host\"",
                Some("docker_endpoint"),
                "expected unix:///path",
            ),
            (
                "data_dir = \"relative/dir\"",
                Some("data_dir"),
                "expected an absolute path",
            ),
            ("log_level = \"[[[\"", Some("log_level"), "expected a tracing filter"),
        ];
        for (text, key, problem) in cases {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("config.toml");
            std::fs::write(&path, text).unwrap();
            let (config, report) = Config::load(&inputs(dir.path(), &[]));
            assert_eq!(report.issues.len(), 1, "{text}: {:?}", report.issues);
            let issue = &report.issues[0];
            assert_eq!(issue.origin, path.display().to_string(), "{text}");
            assert_eq!(issue.key.as_deref(), *key, "{text}");
            assert!(issue.problem.contains(problem), "{text}: {}", issue.problem);
            assert_eq!(config.probe_timeout, Duration::from_secs(3), "{text}");
            assert!(
                report.values.iter().all(|v| v.source == ConfigSource::Default),
                "{text}"
            );
        }
    }

    #[test]
    fn one_bad_key_does_not_discard_the_good_ones() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            "probe_timeout_ms = -5\nstatus_interval_ms = 750\n",
        )
        .unwrap();
        let (config, report) = Config::load(&inputs(dir.path(), &[]));
        assert_eq!(report.issues.len(), 1);
        assert_eq!(config.status_interval, Duration::from_millis(750));
        assert_eq!(config.probe_timeout, Duration::from_secs(3));
    }

    #[test]
    fn unreadable_or_missing_explicit_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        let (_, report) = Config::load(&inputs(dir.path(), &[(CONFIG_FILE_ENV, missing.to_str().unwrap())]));
        assert_eq!(report.issues.len(), 1);
        assert!(
            report.issues[0].problem.starts_with("cannot read the file"),
            "{:?}",
            report.issues
        );

        // A directory where a file is expected cannot be read either.
        let (_, report) = Config::load(&inputs(dir.path(), &[(CONFIG_FILE_ENV, dir.path().to_str().unwrap())]));
        assert!(
            report.issues[0].problem.starts_with("cannot read the file"),
            "{:?}",
            report.issues
        );
    }

    #[test]
    fn bad_environment_values_are_reported_and_lower_layers_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (config, report) = Config::load(&inputs(dir.path(), &[("SUTAZAI_OLLAMA_URL", "not a url")]));
        assert_eq!(config.ollama_url.as_str(), "http://127.0.0.1:11434/");
        assert_eq!(report.issues[0].origin, "environment variable SUTAZAI_OLLAMA_URL");
        assert_eq!(report.issues[0].key.as_deref(), Some("ollama_url"));
    }

    #[test]
    fn a_remote_api_address_needs_api_allow_remote() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cases = [
            (vec![("SUTAZAI_API_LISTEN", "127.0.0.5:9000")], "127.0.0.5:9000", None),
            (
                vec![("SUTAZAI_API_LISTEN", "0.0.0.0:10200")],
                "127.0.0.1:10200",
                Some("0.0.0.0:10200 is not a loopback address"),
            ),
            (
                vec![
                    ("SUTAZAI_API_LISTEN", "0.0.0.0:10200"),
                    ("SUTAZAI_API_ALLOW_REMOTE", "true"),
                ],
                "0.0.0.0:10200",
                Some("the local API listens on 0.0.0.0:10200"),
            ),
            (
                vec![
                    ("SUTAZAI_API_LISTEN", "[::]:10200"),
                    ("SUTAZAI_API_ALLOW_REMOTE", "yes"),
                ],
                "127.0.0.1:10200",
                Some("[::]:10200 is not a loopback address"),
            ),
        ];
        for (env, listen, said) in cases {
            let (config, report) = Config::load(&inputs(dir.path(), &env));
            assert_eq!(config.api_listen.to_string(), listen, "{env:?}");
            assert_eq!(value(&report, "api_listen").value, listen);
            let about = |list: &[ConfigIssue]| list.iter().find(|i| i.key.as_deref() == Some("api_listen")).cloned();
            let found = about(&report.issues).or(about(&report.warnings));
            match said {
                None => assert!(found.is_none(), "{env:?}: {found:?}"),
                Some(text) => {
                    let found = found.unwrap_or_else(|| panic!("{env:?}: nothing said"));
                    assert!(found.problem.starts_with(text), "{}", found.problem);
                    assert_eq!(found.origin, "environment variable SUTAZAI_API_LISTEN");
                    // Kept as set: a warning; refused: a problem.
                    assert_eq!(
                        about(&report.warnings).is_some(),
                        listen != "127.0.0.1:10200",
                        "{env:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn docker_endpoints() {
        assert_eq!(
            parse_docker_endpoint("/run/docker.sock"),
            Ok(DockerEndpoint::Unix("/run/docker.sock".into()))
        );
        assert_eq!(
            parse_docker_endpoint("http://localhost:2375/"),
            Ok(DockerEndpoint::Http("localhost:2375".into()))
        );
        assert!(parse_docker_endpoint("tcp://nohost").is_err());
        assert!(parse_docker_endpoint("unix://relative").is_err());
        assert_eq!(DockerEndpoint::Unix("/a.sock".into()).to_string(), "unix:///a.sock");
    }
}
