//! Every configuration key, declared once as a row: its name in the file,
//! its environment variables, what it means, its default, and how its text
//! becomes a typed value of [`Config`]. Loading, Settings and the README's
//! table all read these rows.

use std::path::PathBuf;
use std::time::Duration;

use super::values::{
    absolute_path, api_listen, boolean, count, default_api_listen, log_filter, millis, parse_docker_endpoint,
    parse_ollama_url, queue, rate, ttl, within, DEFAULT_OLLAMA_URL,
};
use super::{Config, ConfigInputs};

/// The TOML type a key takes in the config file.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    Str,
    Int,
    Bool,
}

/// Where a key's default comes from.
pub(super) enum Fallback {
    /// The same everywhere.
    Value(&'static str),
    /// Found from the machine or from keys before it; `shown` says how, for
    /// the README.
    Computed {
        shown: &'static str,
        value: fn(&Config, &ConfigInputs) -> String,
    },
}

/// One configuration key.
pub(super) struct Key {
    /// The key in the config file and in Settings.
    pub name: &'static str,
    /// The environment variables that set it, the first set one winning.
    pub env: &'static [&'static str],
    pub kind: Kind,
    pub help: &'static str,
    pub default: Fallback,
    /// Parses the text and sets the typed field; an error says what was
    /// expected and leaves the field as it was.
    pub set: fn(&mut Config, &str) -> Result<(), String>,
}

impl Key {
    /// The default's text for this machine; keys earlier in [`KEYS`] are
    /// set in `config` already.
    pub fn default_text(&self, config: &Config, inputs: &ConfigInputs) -> String {
        match &self.default {
            Fallback::Value(text) => (*text).to_string(),
            Fallback::Computed { value, .. } => value(config, inputs),
        }
    }
}

/// Sets `field` to a parsed value; a parse error leaves it as it was.
fn put<T>(field: &mut T, parsed: Result<T, String>) -> Result<(), String> {
    *field = parsed?;
    Ok(())
}

fn ms(text: &str) -> Result<Duration, String> {
    millis(text).map(Duration::from_millis)
}

/// The keys in the order they are resolved: a default may use keys above it.
pub(super) const KEYS: &[Key] = &[
    Key {
        name: "data_dir",
        env: &["SUTAZAI_DATA_DIR"],
        kind: Kind::Str,
        help: "absolute path of the folder holding the database and logs",
        default: Fallback::Computed {
            shown: "`~/.local/share/sutazai`",
            value: |_, inputs| inputs.default_data_dir.display().to_string(),
        },
        set: |c, t| put(&mut c.data_dir, absolute_path(t)),
    },
    Key {
        name: "catalog_dir",
        env: &["SUTAZAI_CATALOG_DIR"],
        kind: Kind::Str,
        help: "absolute path of the agent manifests folder (seeded from the shipped agents/catalog/)",
        default: Fallback::Computed {
            shown: "`<data_dir>/catalog`",
            // Follows the data dir wherever that came from.
            value: |config, _| config.data_dir.join("catalog").display().to_string(),
        },
        set: |c, t| put(&mut c.catalog_dir, absolute_path(t)),
    },
    Key {
        name: "workflows_dir",
        env: &["SUTAZAI_WORKFLOWS_DIR"],
        kind: Kind::Str,
        help: "absolute path of the workflow definitions folder (seeded from the shipped agents/workflows/)",
        default: Fallback::Computed {
            shown: "`<data_dir>/workflows`",
            // Follows the data dir wherever that came from.
            value: |config, _| config.data_dir.join("workflows").display().to_string(),
        },
        set: |c, t| put(&mut c.workflows_dir, absolute_path(t)),
    },
    Key {
        name: "docker_endpoint",
        env: &["SUTAZAI_DOCKER_HOST", "DOCKER_HOST"],
        kind: Kind::Str,
        help: "Docker engine: unix:///path/to/docker.sock or tcp://host:port",
        default: Fallback::Value("unix:///var/run/docker.sock"),
        set: |c, t| put(&mut c.docker_endpoint, parse_docker_endpoint(t)),
    },
    Key {
        name: "ollama_url",
        env: &["SUTAZAI_OLLAMA_URL"],
        kind: Kind::Str,
        help: "Ollama base URL, e.g. http://127.0.0.1:11434",
        default: Fallback::Value(DEFAULT_OLLAMA_URL),
        set: |c, t| put(&mut c.ollama_url, parse_ollama_url(t)),
    },
    Key {
        name: "log_level",
        env: &["SUTAZAI_LOG"],
        kind: Kind::Str,
        help: "tracing filter, e.g. info or sutazai_engine=debug",
        default: Fallback::Value("info"),
        set: |c, t| put(&mut c.log_level, log_filter(t)),
    },
    Key {
        name: "probe_timeout_ms",
        env: &["SUTAZAI_PROBE_TIMEOUT_MS"],
        kind: Kind::Int,
        help: "how long one Docker or Ollama check may take (1..=600000 ms)",
        default: Fallback::Value("3000"),
        set: |c, t| put(&mut c.probe_timeout, ms(t)),
    },
    Key {
        name: "agent_runtime",
        env: &["SUTAZAI_AGENT_BIN"],
        kind: Kind::Str,
        help: "absolute path of the static agent runtime the agent image is made from",
        default: Fallback::Computed {
            shown: "`sutazai-agent` next to the app (the launch and test commands set it)",
            value: |_, inputs| inputs.default_agent_runtime.display().to_string(),
        },
        set: |c, t| put(&mut c.agent_runtime, absolute_path(t)),
    },
    Key {
        name: "health_timeout_ms",
        env: &["SUTAZAI_HEALTH_TIMEOUT_MS"],
        kind: Kind::Int,
        help: "how long a new agent may take to answer /health during a deploy (1..=600000 ms)",
        default: Fallback::Value("30000"),
        set: |c, t| put(&mut c.health_timeout, ms(t)),
    },
    Key {
        name: "status_interval_ms",
        env: &["SUTAZAI_STATUS_INTERVAL_MS"],
        kind: Kind::Int,
        help: "how often Docker and Ollama are re-checked (1..=600000 ms)",
        default: Fallback::Value("3000"),
        set: |c, t| put(&mut c.status_interval, ms(t)),
    },
    Key {
        name: "api_listen",
        env: &["SUTAZAI_API_LISTEN"],
        kind: Kind::Str,
        help: "ip:port of the local API; agents reach it on Docker's bridge gateway. A non-loopback \
               address is refused (the default is kept, Settings says why) unless api_allow_remote is true",
        default: Fallback::Computed {
            shown: "`127.0.0.1:10200`",
            value: |_, _| default_api_listen().to_string(),
        },
        set: |c, t| put(&mut c.api_listen, api_listen(t)),
    },
    Key {
        name: "api_allow_remote",
        env: &["SUTAZAI_API_ALLOW_REMOTE"],
        kind: Kind::Bool,
        help: "let api_listen be an address other machines can reach (true or false); Settings then shows a warning",
        default: Fallback::Value("false"),
        set: |c, t| put(&mut c.api_allow_remote, boolean(t)),
    },
    Key {
        name: "api_rate_per_minute",
        env: &["SUTAZAI_API_RATE_PER_MINUTE"],
        kind: Kind::Int,
        help: "requests each API key may make to the local API a minute, in one burst at most as many \
               (1..=1000000); beyond, 429 with Retry-After",
        // Seed 003's 100 a minute per client.
        default: Fallback::Value("100"),
        set: |c, t| put(&mut c.api_rate_per_minute, rate(t)),
    },
    Key {
        name: "agent_rate_per_minute",
        env: &["SUTAZAI_AGENT_RATE_PER_MINUTE"],
        kind: Kind::Int,
        help: "requests each agent (all its containers, with their service tokens) may make to the hub and \
               the LLM gateway a minute (1..=1000000); beyond, 429 with Retry-After",
        // Agents work for every client at once: 20 a second each stops a
        // runaway loop without slowing honest work (a model call takes
        // seconds).
        default: Fallback::Value("1200"),
        set: |c, t| put(&mut c.agent_rate_per_minute, rate(t)),
    },
    Key {
        name: "breaker_failures",
        env: &["SUTAZAI_BREAKER_FAILURES"],
        kind: Kind::Int,
        help: "consecutive failures that open an agent's circuit breaker (1..=1000)",
        default: Fallback::Value("5"),
        set: |c, t| put(&mut c.breaker_failures, count(t)),
    },
    Key {
        name: "breaker_recovery_ms",
        env: &["SUTAZAI_BREAKER_RECOVERY_MS"],
        kind: Kind::Int,
        help: "how long an open breaker waits before one probe call (1..=600000 ms)",
        default: Fallback::Value("30000"),
        set: |c, t| put(&mut c.breaker_recovery, ms(t)),
    },
    Key {
        name: "task_attempts",
        env: &["SUTAZAI_TASK_ATTEMPTS"],
        kind: Kind::Int,
        help: "attempts a task gets, the first included, before it is dead (1..=1000)",
        default: Fallback::Value("4"),
        set: |c, t| put(&mut c.task_attempts, count(t)),
    },
    Key {
        name: "task_timeout_ms",
        env: &["SUTAZAI_TASK_TIMEOUT_MS"],
        kind: Kind::Int,
        help: "how long a task may take when it sets no deadline (1..=600000 ms)",
        default: Fallback::Value("120000"),
        set: |c, t| put(&mut c.task_timeout, ms(t)),
    },
    Key {
        name: "llm_cache_ttl_ms",
        env: &["SUTAZAI_LLM_CACHE_TTL_MS"],
        kind: Kind::Int,
        help: "how long the gateway serves a cached deterministic LLM answer (0..=604800000 ms; 0 turns the cache off)",
        // Seed 000's one hour.
        default: Fallback::Value("3600000"),
        set: |c, t| put(&mut c.llm_cache_ttl, ttl(t).map(Duration::from_millis)),
    },
    Key {
        name: "llm_model_concurrency",
        env: &["SUTAZAI_LLM_MODEL_CONCURRENCY"],
        kind: Kind::Int,
        help: "LLM calls one model runs at once through the gateway (1..=1000)",
        default: Fallback::Value("2"),
        set: |c, t| put(&mut c.llm_model_concurrency, count(t)),
    },
    Key {
        name: "llm_queue",
        env: &["SUTAZAI_LLM_QUEUE"],
        kind: Kind::Int,
        help: "LLM calls that may wait for a busy model before the gateway answers 503 (0..=10000)",
        default: Fallback::Value("16"),
        set: |c, t| put(&mut c.llm_queue, queue(t)),
    },
    Key {
        name: "llm_timeout_ms",
        env: &["SUTAZAI_LLM_TIMEOUT_MS"],
        kind: Kind::Int,
        help: "how long one LLM call through the gateway may take, waiting included (1..=600000 ms; 504 after)",
        default: Fallback::Value("300000"),
        set: |c, t| put(&mut c.llm_timeout, ms(t)),
    },
    Key {
        name: "metrics_collect",
        env: &["SUTAZAI_METRICS_COLLECT"],
        kind: Kind::Bool,
        help: "sample every metric once a second into the metrics history (true or false; false leaves charts and /metrics empty)",
        default: Fallback::Value("true"),
        set: |c, t| put(&mut c.metrics_collect, boolean(t)),
    },
    Key {
        name: "message_retention_hours",
        env: &["SUTAZAI_MESSAGE_RETENTION_HOURS", "MESSAGE_RETENTION_HOURS"],
        kind: Kind::Int,
        help: "how long the message bus keeps a message once none of its deliveries is pending (1..=87600 hours)",
        default: Fallback::Value("168"),
        set: |c, t| put(&mut c.message_retention, within(t, 1, 87_600).map(|h| Duration::from_secs(h * 3600))),
    },
    Key {
        name: "metrics_max_mb",
        env: &["SUTAZAI_METRICS_MAX_MB"],
        kind: Kind::Int,
        help: "size limit of the metrics history file (16..=1000000 MB); past it the oldest detail goes first",
        default: Fallback::Value("1024"),
        set: |c, t| put(&mut c.metrics.max_bytes, within(t, 16, 1_000_000).map(|mb| mb << 20)),
    },
    Key {
        name: "metrics_keep_seconds_hours",
        env: &["SUTAZAI_METRICS_KEEP_SECONDS_HOURS"],
        kind: Kind::Int,
        help: "how long every 1 s sample is kept (1..=720 hours)",
        default: Fallback::Value("24"),
        set: |c, t| put(&mut c.metrics.retention.second_ms, within(t, 1, 720).map(|h| h as i64 * 3_600_000)),
    },
    Key {
        name: "metrics_keep_minutes_days",
        env: &["SUTAZAI_METRICS_KEEP_MINUTES_DAYS"],
        kind: Kind::Int,
        help: "how long the 1-minute rollups are kept (1..=3650 days)",
        default: Fallback::Value("30"),
        set: |c, t| put(&mut c.metrics.retention.minute_ms, within(t, 1, 3650).map(|d| d as i64 * 86_400_000)),
    },
    Key {
        name: "metrics_keep_hours_days",
        env: &["SUTAZAI_METRICS_KEEP_HOURS_DAYS"],
        kind: Kind::Int,
        help: "how long the 1-hour rollups are kept (1..=3650 days)",
        default: Fallback::Value("365"),
        set: |c, t| put(&mut c.metrics.retention.hour_ms, within(t, 1, 3650).map(|d| d as i64 * 86_400_000)),
    },
];

impl Config {
    /// The starting point of loading: every field is set from its key's
    /// default right after (the tests check every default is valid).
    pub(super) fn unset(inputs: &ConfigInputs) -> Config {
        Config {
            data_dir: PathBuf::new(),
            catalog_dir: PathBuf::new(),
            workflows_dir: PathBuf::new(),
            docker_endpoint: super::DockerEndpoint::Unix(PathBuf::new()),
            ollama_url: url::Url::parse(DEFAULT_OLLAMA_URL).expect("the constant URL parses"),
            log_level: String::new(),
            probe_timeout: Duration::ZERO,
            status_interval: Duration::ZERO,
            agent_runtime: PathBuf::new(),
            health_timeout: Duration::ZERO,
            api_listen: default_api_listen(),
            api_allow_remote: false,
            api_rate_per_minute: 0,
            agent_rate_per_minute: 0,
            breaker_failures: 0,
            breaker_recovery: Duration::ZERO,
            task_attempts: 0,
            task_timeout: Duration::ZERO,
            llm_cache_ttl: Duration::ZERO,
            llm_model_concurrency: 0,
            llm_queue: 0,
            llm_timeout: Duration::ZERO,
            metrics_collect: true,
            message_retention: Duration::ZERO,
            metrics: super::Keeping::default(),
            search_path: inputs.env.get("PATH").cloned().unwrap_or_default(),
        }
    }
}

/// The README's configuration table, from the rows.
pub fn readme_table() -> String {
    let mut out = String::from("| key | environment | default | meaning |\n|---|---|---|---|\n");
    for key in KEYS {
        let env: Vec<String> = key.env.iter().map(|v| format!("`{v}`")).collect();
        let default = match &key.default {
            Fallback::Value(text) => format!("`{text}`"),
            Fallback::Computed { shown, .. } => (*shown).to_string(),
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            key.name,
            env.join(", then "),
            default,
            key.help
        ));
    }
    out
}
