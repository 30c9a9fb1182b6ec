//! The container audit: the CIS Docker Benchmark's section 5 on every
//! container of the Docker engine, the app's and anyone else's, running or
//! stopped. Docker is asked here; the checks are `security::container_audit`.

use std::collections::HashMap;
use std::time::Duration;

use bollard::errors::Error as DockerError;
use bollard::models::ContainerInspectResponse;
use bollard::query_parameters::ListContainersOptionsBuilder;
use bollard::Docker;
use futures::{StreamExt, TryStreamExt};
use tracing::instrument;

use super::Engine;
use crate::config::DockerEndpoint;
use crate::docker::{classify, connect};
use crate::error::Code;
use crate::fleet::image::LABEL_APP;
use crate::fleet::spec::LABEL_AGENT_ID;
use crate::fleet::FleetError;
use crate::security::container_audit::{audit, ContainerAudit, HostSecurity, Owner};

/// Containers inspected at once.
const INSPECT_AT_ONCE: usize = 8;

impl Engine {
    /// Audits every container of the Docker engine (running and stopped):
    /// the app's first, then the others, each by name. Fails naming the
    /// endpoint when Docker cannot be reached.
    #[instrument(skip_all, err)]
    pub async fn audit_containers(&self) -> Result<Vec<ContainerAudit>, FleetError> {
        let endpoint = &self.config.docker_endpoint;
        let timeout = self.config.probe_timeout.max(Duration::from_secs(10));
        let docker = connect(endpoint, timeout).map_err(|err| unreachable(endpoint, &err))?;
        let docker = tokio::time::timeout(timeout, docker.negotiate_version())
            .await
            .map_err(|_| unreachable(endpoint, &DockerError::RequestTimeoutError))?
            .map_err(|err| unreachable(endpoint, &err))?;
        let listing = ListContainersOptionsBuilder::default().all(true).build();
        let (info, listed) = tokio::try_join!(docker.info(), docker.list_containers(Some(listing)))
            .map_err(|err| failed(endpoint, err))?;
        let host = HostSecurity::of(&info);
        let inspected: Vec<Option<ContainerInspectResponse>> = futures::stream::iter(listed)
            .filter_map(|summary| async move { summary.id })
            .map(|id| inspect(&docker, id))
            .buffer_unordered(INSPECT_AT_ONCE)
            .map_err(|err| failed(endpoint, err))
            .try_collect()
            .await?;
        let mut audits: Vec<ContainerAudit> = inspected
            .into_iter()
            .flatten()
            .map(|inspect| {
                let owner = owner(inspect.config.as_ref().and_then(|c| c.labels.as_ref()));
                audit(&inspect, &host, owner)
            })
            .collect();
        audits.sort_by(|a, b| b.ours.cmp(&a.ours).then_with(|| a.container.cmp(&b.container)));
        Ok(audits)
    }
}

/// A container's inspect answer; `None` when it was removed after the listing.
async fn inspect(docker: &Docker, id: String) -> Result<Option<ContainerInspectResponse>, DockerError> {
    match docker.inspect_container(&id, None).await {
        Ok(inspect) => Ok(Some(inspect)),
        Err(DockerError::DockerResponseServerError { status_code: 404, .. }) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Whether the app made a container, and which agent it runs, by its labels.
fn owner(labels: Option<&HashMap<String, String>>) -> Owner {
    let label = |key: &str| labels.and_then(|l| l.get(key)).map(String::as_str);
    let ours = label(LABEL_APP) == Some("sutazai-control-center");
    Owner {
        ours,
        agent_id: label(LABEL_AGENT_ID).filter(|_| ours).map(String::from),
    }
}

fn unreachable(endpoint: &DockerEndpoint, err: &DockerError) -> FleetError {
    let body = classify(endpoint, err);
    FleetError::Unreachable {
        code: body.code,
        message: body.message,
    }
}

/// A failed call's error: "not reachable" when Docker itself is gone.
fn failed(endpoint: &DockerEndpoint, err: DockerError) -> FleetError {
    match classify(endpoint, &err).code {
        Code::DockerMissing | Code::DockerRefused | Code::DockerTimeout => unreachable(endpoint, &err),
        _ => FleetError::Docker(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_apps_label_makes_a_container_ours_and_names_its_agent() {
        let labels = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let cases = [
            (
                labels(&[(LABEL_APP, "sutazai-control-center"), (LABEL_AGENT_ID, "AG-001")]),
                true,
                Some("AG-001"),
            ),
            (labels(&[(LABEL_APP, "sutazai-control-center")]), true, None),
            (
                labels(&[(LABEL_APP, "someone-else"), (LABEL_AGENT_ID, "AG-001")]),
                false,
                None,
            ),
            (labels(&[("com.docker.compose.project", "web")]), false, None),
        ];
        for (labels, ours, agent) in cases {
            let owner = owner(Some(&labels));
            assert_eq!((owner.ours, owner.agent_id.as_deref()), (ours, agent), "{labels:?}");
        }
        assert_eq!(owner(None), Owner::default());
    }
}
