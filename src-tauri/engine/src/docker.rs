//! The Docker adapter: a client for the configured endpoint, and what a
//! failed call means (missing, refused, timed out, or an error answer).
//! The status probe and the fleet both reach Docker through it.

use std::time::Duration;

use bollard::{Docker, API_DEFAULT_VERSION};

use crate::config::DockerEndpoint;
use crate::error::{Code, ErrorBody};

/// Builds a client for `endpoint`; connecting is lazy, so this only fails on
/// a malformed endpoint.
pub fn connect(endpoint: &DockerEndpoint, timeout: Duration) -> Result<Docker, bollard::errors::Error> {
    let secs = timeout.as_secs().max(1);
    match endpoint {
        DockerEndpoint::Unix(path) => Docker::connect_with_unix(&path.to_string_lossy(), secs, API_DEFAULT_VERSION),
        DockerEndpoint::Http(addr) => Docker::connect_with_http(&format!("http://{addr}"), secs, API_DEFAULT_VERSION),
    }
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

/// What Docker said, without bollard's wrapping: the daemon's message for an
/// error answer, the error itself otherwise.
pub fn reason(err: &bollard::errors::Error) -> String {
    match err {
        bollard::errors::Error::DockerResponseServerError { message, .. } => message.clone(),
        other => other.to_string(),
    }
}
