//! The Docker probe: reachable?, version, API version, containers.

use schemars::JsonSchema;
use std::time::Duration;

use serde::Serialize;
use ts_rs::TS;

use super::Probe;
use crate::config::DockerEndpoint;
use crate::docker::{classify, connect};
use crate::error::{Code, ErrorBody};

/// What a reachable Docker engine reports about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DockerFacts {
    /// The engine's version, e.g. `20.10.24+dfsg1`.
    pub version: String,
    /// The API version spoken after negotiation, e.g. `1.41`.
    pub api_version: String,
    pub os: String,
    pub arch: String,
    pub containers_running: u32,
    pub containers_total: u32,
}

/// Connects to `endpoint` and reports what the engine says, within `timeout`.
pub async fn probe_docker(endpoint: &DockerEndpoint, timeout: Duration) -> Probe<DockerFacts> {
    match tokio::time::timeout(timeout, facts(endpoint, timeout)).await {
        Ok(Ok(facts)) => Probe::Connected(facts),
        Ok(Err(err)) => Probe::Unreachable(classify(endpoint, &err)),
        Err(_) => Probe::Unreachable(ErrorBody {
            code: Code::DockerTimeout,
            message: format!("Docker at {endpoint} did not answer within {} ms", timeout.as_millis()),
        }),
    }
}

async fn facts(endpoint: &DockerEndpoint, timeout: Duration) -> Result<DockerFacts, bollard::errors::Error> {
    let docker = connect(endpoint, timeout)?.negotiate_version().await?;
    let (version, info) = tokio::try_join!(docker.version(), docker.info())?;
    let count = |n: Option<i64>| u32::try_from(n.unwrap_or(0)).unwrap_or(u32::MAX);
    Ok(DockerFacts {
        version: version.version.unwrap_or_default(),
        api_version: docker.client_version().to_string(),
        os: version.os.unwrap_or_default(),
        arch: version.arch.unwrap_or_default(),
        containers_running: count(info.containers_running),
        containers_total: count(info.containers),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_socket_is_reported_as_missing() {
        let dir = tempfile::tempdir().unwrap();
        let endpoint = DockerEndpoint::Unix(dir.path().join("docker.sock"));
        let Probe::Unreachable(err) = probe_docker(&endpoint, Duration::from_secs(2)).await else {
            panic!("a missing socket cannot be connected");
        };
        assert_eq!(err.code, Code::DockerMissing, "{}", err.message);
        assert!(err.message.contains("docker.sock"), "{}", err.message);
    }

    #[tokio::test]
    async fn a_stale_socket_is_reported_as_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docker.sock");
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        let endpoint = DockerEndpoint::Unix(path);
        let Probe::Unreachable(err) = probe_docker(&endpoint, Duration::from_secs(2)).await else {
            panic!("nobody listens on a stale socket");
        };
        assert_eq!(err.code, Code::DockerRefused, "{}", err.message);
    }

    #[tokio::test]
    async fn a_silent_engine_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docker.sock");
        // Accepts connections and never answers.
        let _listener = tokio::net::UnixListener::bind(&path).unwrap();
        let endpoint = DockerEndpoint::Unix(path);
        let Probe::Unreachable(err) = probe_docker(&endpoint, Duration::from_millis(300)).await else {
            panic!("a silent socket cannot answer");
        };
        assert_eq!(err.code, Code::DockerTimeout, "{}", err.message);
    }
}
