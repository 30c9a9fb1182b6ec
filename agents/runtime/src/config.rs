//! The agent's settings, all from the environment (a container has nothing
//! else), validated before anything starts.

use std::net::SocketAddr;
use std::time::Duration;

use sutazai_protocol::Manifest;

/// Everything the agent needs to run.
#[derive(Debug, Clone)]
pub struct Settings {
    pub manifest: Manifest,
    /// Base URL of an Ollama-API server: Ollama itself or the hub's gateway.
    pub ollama_url: String,
    /// The bearer token sent to the Ollama URL (the hub's gateway) and with
    /// sub-tasks: `SUTAZAI_AGENT_TOKEN`.
    pub token: Option<String>,
    /// The bearer token required on `POST /task`: `SUTAZAI_HUB_TOKEN` (the
    /// hub's own, another than the agent's), or `SUTAZAI_AGENT_TOKEN` when
    /// only that is set (an agent run by hand).
    pub accept_token: Option<String>,
    pub listen: SocketAddr,
    /// Tasks run at once; beyond it `POST /task` answers 503.
    pub max_concurrency: usize,
    /// How long in-flight tasks may run after SIGTERM.
    pub drain: Duration,
    /// How long one model call may take.
    pub llm_timeout: Duration,
    /// The largest request body accepted.
    pub max_body_bytes: usize,
    /// The hub's API, for the bus's topics: `SUTAZAI_HUB_URL`.
    pub hub_url: Option<String>,
    /// The bus topics the agent subscribes to at start: `SUTAZAI_TOPICS`,
    /// a comma list.
    pub topics: Vec<String>,
}

pub const ENV_MANIFEST: &str = "SUTAZAI_AGENT_MANIFEST";
pub const ENV_MANIFEST_FILE: &str = "SUTAZAI_AGENT_MANIFEST_FILE";

impl Settings {
    /// Reads the settings through `env` (normally `std::env::var`).
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let (label, text) = match (env(ENV_MANIFEST), env(ENV_MANIFEST_FILE)) {
            (Some(text), _) => (ENV_MANIFEST.to_string(), text),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(&path).map_err(|err| format!("cannot read {path}: {err}"))?;
                (path, text)
            }
            (None, None) => {
                return Err(format!(
                    "set {ENV_MANIFEST} (the manifest's TOML) or {ENV_MANIFEST_FILE}"
                ))
            }
        };
        let manifest = Manifest::from_toml(&label, &text).map_err(|err| format!("invalid manifest:\n{err}"))?;
        let number = |name: &str, default: u64, range: std::ops::RangeInclusive<u64>| -> Result<u64, String> {
            match env(name) {
                None => Ok(default),
                Some(text) => match text.trim().parse::<u64>() {
                    Ok(n) if range.contains(&n) => Ok(n),
                    _ => Err(format!(
                        "{name}: expected a whole number from {} to {}, found `{text}`",
                        range.start(),
                        range.end()
                    )),
                },
            }
        };
        let listen = match env("SUTAZAI_AGENT_LISTEN") {
            Some(text) => text
                .parse()
                .map_err(|_| format!("SUTAZAI_AGENT_LISTEN: expected ip:port, found `{text}`"))?,
            // Inside its container the agent must accept the published port's traffic.
            None => SocketAddr::from(([0, 0, 0, 0], manifest.port)),
        };
        let ollama_url = env("SUTAZAI_OLLAMA_URL").unwrap_or_else(|| "http://host.docker.internal:11434".into());
        if !(ollama_url.starts_with("http://") || ollama_url.starts_with("https://")) {
            return Err(format!(
                "SUTAZAI_OLLAMA_URL: expected an http:// URL, found `{ollama_url}`"
            ));
        }
        let token = env("SUTAZAI_AGENT_TOKEN").filter(|t| !t.is_empty());
        let accept_token = env("SUTAZAI_HUB_TOKEN")
            .filter(|t| !t.is_empty())
            .or_else(|| token.clone());
        Ok(Settings {
            manifest,
            ollama_url: ollama_url.trim_end_matches('/').to_string(),
            token,
            accept_token,
            listen,
            max_concurrency: number("SUTAZAI_AGENT_MAX_CONCURRENCY", 4, 1..=1024)? as usize,
            drain: Duration::from_secs(number("SUTAZAI_AGENT_DRAIN_SECS", 30, 0..=3600)?),
            llm_timeout: Duration::from_secs(number("SUTAZAI_AGENT_LLM_TIMEOUT_SECS", 300, 1..=3600)?),
            max_body_bytes: number("SUTAZAI_AGENT_MAX_BODY_BYTES", 1 << 20, 1024..=(64 << 20))? as usize,
            hub_url: env("SUTAZAI_HUB_URL")
                .filter(|u| !u.is_empty())
                .map(|u| u.trim_end_matches('/').to_string()),
            topics: env("SUTAZAI_TOPICS")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
        })
    }
}
