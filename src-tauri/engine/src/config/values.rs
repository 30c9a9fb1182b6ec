//! How a key's text becomes a typed value: each parser names what it
//! expected and what it found.

use std::path::{Path, PathBuf};

use url::Url;

use super::DockerEndpoint;

pub(super) const DEFAULT_OLLAMA_URL: &str = "http://127.0.0.1:11434";
/// The local API's default port (agents use 10300 and up).
pub const DEFAULT_API_PORT: u16 = 10200;

/// Where the local API listens unless told otherwise: loopback only.
pub fn default_api_listen() -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], DEFAULT_API_PORT))
}

pub(super) fn absolute_path(text: &str) -> Result<PathBuf, String> {
    if Path::new(text).is_absolute() {
        Ok(PathBuf::from(text))
    } else {
        Err(format!("expected an absolute path, found `{text}`"))
    }
}

pub(super) fn log_filter(text: &str) -> Result<String, String> {
    tracing_subscriber::EnvFilter::try_new(text)
        .map(|_| text.to_string())
        .map_err(|err| format!("expected a tracing filter such as `info` or `sutazai_engine=debug`: {err}"))
}

pub(super) fn boolean(text: &str) -> Result<bool, String> {
    match text.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("expected true or false, found `{text}`")),
    }
}

pub(super) fn api_listen(text: &str) -> Result<std::net::SocketAddr, String> {
    text.trim()
        .parse::<std::net::SocketAddr>()
        .map_err(|_| format!("expected ip:port such as 127.0.0.1:{DEFAULT_API_PORT}, found `{text}`"))
}

pub(super) fn count(text: &str) -> Result<u32, String> {
    within(text, 1, 1000).map(|n| n as u32)
}

/// A whole number in `lo..=hi`.
pub(super) fn within(text: &str, lo: u64, hi: u64) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        Ok(n) => Err(format!("expected a whole number between {lo} and {hi}, found {n}")),
        Err(_) => Err(format!("expected a whole number, found `{text}`")),
    }
}

pub(super) fn millis(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(ms) if (1..=600_000).contains(&ms) => Ok(ms),
        Ok(ms) => Err(format!("expected milliseconds between 1 and 600000, found {ms}")),
        Err(_) => Err(format!("expected a whole number of milliseconds, found `{text}`")),
    }
}

/// A cache lifetime: zero (no cache) up to a week.
pub(super) fn ttl(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(ms) if ms <= 604_800_000 => Ok(ms),
        Ok(ms) => Err(format!("expected milliseconds between 0 and 604800000, found {ms}")),
        Err(_) => Err(format!("expected a whole number of milliseconds, found `{text}`")),
    }
}

/// Requests a minute: at least one, at most a million.
pub(super) fn rate(text: &str) -> Result<u32, String> {
    within(text, 1, 1_000_000).map(|n| n as u32)
}

/// A queue length: zero (refuse at once when busy) up to ten thousand.
pub(super) fn queue(text: &str) -> Result<u32, String> {
    within(text, 0, 10_000).map(|n| n as u32)
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
