//! The Docker probe: reachable?, version, API version, containers.

use std::time::Duration;

use bollard::{Docker, API_DEFAULT_VERSION};
use serde::Serialize;
use ts_rs::TS;

use super::Probe;
use crate::config::DockerEndpoint;
use crate::error::{Code, ErrorBody};

/// What a reachable Docker engine reports about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
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

/// Builds a client for `endpoint`; connecting is lazy, so this only fails on
/// a malformed endpoint.
pub fn connect(endpoint: &DockerEndpoint, timeout: Duration) -> Result<Docker, bollard::errors::Error> {
    let secs = timeout.as_secs().max(1);
    match endpoint {
        DockerEndpoint::Unix(path) => Docker::connect_with_unix(&path.to_string_lossy(), secs, API_DEFAULT_VERSION),
        DockerEndpoint::Http(addr) => Docker::connect_with_http(&format!("http://{addr}"), secs, API_DEFAULT_VERSION),
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

/// What a failed Docker call means for the user: missing, refused, timed
/// out, or an error answer.
pub fn classify(endpoint: &DockerEndpoint, err: &bollard::errors::Error) -> ErrorBody {
    use bollard::errors::Error as E;
    let io_kind = io_error_kind(err);
    let (code, message) = match err {
        E::SocketNotFoundError(path) => (
            Code::DockerMissing,
            format!("no Docker socket at {path}: is the Docker engine installed and running?"),
        ),
        E::RequestTimeoutError => (
            Code::DockerTimeout,
            format!("Docker at {endpoint} did not answer in time"),
        ),
        E::DockerResponseServerError { status_code, message } => (
            Code::DockerError,
            format!("Docker at {endpoint} answered {status_code}: {message}"),
        ),
        _ if io_kind == Some(std::io::ErrorKind::NotFound) => (
            Code::DockerMissing,
            format!("no Docker socket at {endpoint}: is the Docker engine installed and running?"),
        ),
        _ if io_kind == Some(std::io::ErrorKind::ConnectionRefused) => (
            Code::DockerRefused,
            format!("Docker at {endpoint} refused the connection: the engine is not running"),
        ),
        other => (
            Code::DockerError,
            format!("Docker at {endpoint} is not reachable: {other}"),
        ),
    };
    ErrorBody { code, message }
}

/// The kind of the first `std::io::Error` in the error's source chain.
fn io_error_kind(err: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut current = Some(err);
    while let Some(err) = current {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        current = err.source();
    }
    None
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
