//! The machine's Docker engine, as the integration tests reach it.

use std::process::Command;

/// The endpoint the tests use: `DOCKER_HOST`, or the default socket.
pub fn endpoint() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into())
}

/// The host's address on Docker's default bridge (docker0): where a server
/// must listen for containers to reach it as `host.docker.internal`. Found
/// the way the app finds it (the interface's address): a new engine's
/// `bridge` network has no Gateway in its IPAM config.
pub fn bridge_gateway() -> String {
    match sutazai_http::docker_gateway() {
        Some(gateway) => gateway.to_string(),
        None => panic!("this host has no docker0 interface with an IPv4 address: is a Docker engine running here?"),
    }
}

/// Removes a container by name or id, whatever state it is in.
pub fn remove_container(name: &str) {
    let _ = Command::new("docker").args(["rm", "-f", "-v", name]).output();
}

/// Removes the container when dropped, even if the test panics.
pub struct ContainerGuard(pub String);

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        remove_container(&self.0);
    }
}

/// Removes every container, in any state, that carries `label` (`key=value`).
pub fn remove_labelled(label: &str) {
    let listed = Command::new("docker")
        .args(["ps", "-aq", "--filter", &format!("label={label}")])
        .output();
    if let Ok(listed) = listed {
        let ids: Vec<String> = String::from_utf8_lossy(&listed.stdout)
            .split_whitespace()
            .map(String::from)
            .collect();
        if !ids.is_empty() {
            let _ = Command::new("docker").args(["rm", "-f", "-v"]).args(&ids).output();
        }
    }
}

/// Removes every container of an agent phase when dropped, even if the test
/// panics: a failed test must not leave its fleet (perhaps paused) to the
/// tests that deploy the same phase after it.
pub struct PhaseGuard(pub u8);

impl Drop for PhaseGuard {
    fn drop(&mut self) {
        remove_labelled(&format!("{}={}", sutazai_engine::fleet::spec::LABEL_PHASE, self.0));
    }
}
