//! The agents' network: one bridge of its own, with traffic between its
//! containers off, made once and kept single even when two deploys race on
//! a new engine.

use std::collections::HashMap;

use bollard::models::NetworkCreateRequest;
use bollard::query_parameters::ListNetworksOptionsBuilder;
use bollard::Docker;
use tracing::{info, warn};

use super::{docker_reason, image, Fleet, NETWORK};

impl Fleet {
    /// The agents' network, with traffic between its containers off: agents
    /// talk to the hub only (sub-tasks and models go through it), so one
    /// taken-over agent cannot reach the others' ports. A network an older
    /// version made with that traffic on is made anew when no container is
    /// on it; otherwise the log says how to get there.
    pub(super) async fn ensure_network(&self, docker: &Docker) -> Result<(), bollard::errors::Error> {
        // dockerd creates a second network of the same name when asked: list
        // first, and keep one if a race (two deploys on a new engine) made two.
        let networks = one_network(docker).await?;
        if let Some(existing) = networks.first() {
            let icc_off = existing
                .options
                .as_ref()
                .and_then(|options| options.get(super::spec::ICC_OPTION))
                .is_some_and(|value| value == "false");
            if icc_off {
                return Ok(());
            }
            let inspect = docker.inspect_network(NETWORK, None).await?;
            if inspect.containers.as_ref().is_some_and(|c| !c.is_empty()) {
                warn!(
                    network = NETWORK,
                    "the agents' network lets its containers talk to each other (an older version made it); \
                     undeploy every phase and deploy again to have it made without"
                );
                return Ok(());
            }
            // Docker 20.10 can keep endpoints of removed containers and then
            // refuses; the old network still works, so the deploy goes on.
            if let Err(err) = docker.remove_network(NETWORK).await {
                warn!(
                    network = NETWORK,
                    cause = %docker_reason(&err),
                    "the agents' network lets its containers talk to each other (an older version made it) \
                     and cannot be made anew; remove it with `docker network rm {NETWORK}` when no agent runs"
                );
                return Ok(());
            }
            info!(
                network = NETWORK,
                "removed the agents' network to make it anew without inter-container traffic"
            );
        }
        let labels = HashMap::from([(image::LABEL_APP.to_string(), "sutazai-control-center".to_string())]);
        let request = NetworkCreateRequest {
            name: NETWORK.into(),
            driver: Some("bridge".into()),
            labels: Some(labels),
            options: Some(HashMap::from([(
                super::spec::ICC_OPTION.to_string(),
                "false".to_string(),
            )])),
            ..Default::default()
        };
        docker.create_network(request).await?;
        info!(network = NETWORK, "created the agents' network");
        // Another deploy may have listed and created at the same time.
        one_network(docker).await?;
        Ok(())
    }
}

/// The agents' networks (none or one). When a race (two deploys on a new
/// engine, each listing before the other created) left several of the
/// name, one is kept, the one with containers or else the smallest id, so
/// every deploy that sees the race keeps the same one, and the others are
/// removed. While there are two, Docker refuses the name as ambiguous, so
/// containers are on one of them at most.
pub(super) async fn one_network(docker: &Docker) -> Result<Vec<bollard::models::Network>, bollard::errors::Error> {
    let filters = HashMap::from([("name", vec![NETWORK])]);
    let mut networks: Vec<_> = docker
        .list_networks(Some(ListNetworksOptionsBuilder::default().filters(&filters).build()))
        .await?
        .into_iter()
        .filter(|n| n.name.as_deref() == Some(NETWORK))
        .collect();
    networks.sort_by(|a, b| a.id.cmp(&b.id));
    if networks.len() > 1 {
        let mut in_use = None;
        for (at, network) in networks.iter().enumerate() {
            let Some(id) = network.id.as_deref() else { continue };
            let inspect = docker.inspect_network(id, None).await?;
            if inspect.containers.is_some_and(|c| !c.is_empty()) {
                in_use = Some(at);
                break;
            }
        }
        if let Some(at) = in_use {
            networks.swap(0, at);
        }
    }
    for duplicate in networks.iter().skip(1) {
        let Some(id) = duplicate.id.as_deref() else { continue };
        match docker.remove_network(id).await {
            Ok(()) => info!(network = NETWORK, id, "removed a second network of the agents' name"),
            // Gone already: the other deploy removed it.
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => {}
            Err(err) => {
                warn!(network = NETWORK, id, cause = %docker_reason(&err), "cannot remove a second network of the agents' name")
            }
        }
    }
    networks.truncate(1);
    Ok(networks)
}
