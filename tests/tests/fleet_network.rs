//! The agents' network when a race made two of its name: two deploys on a
//! new engine can each list no network and each create one (dockerd
//! accepts a second network of a name), after which Docker refuses the
//! name as ambiguous. A deploy keeps one, removes the other and goes on.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bollard::models::NetworkCreateRequest;
use bollard::query_parameters::ListNetworksOptionsBuilder;
use sutazai_engine::fleet::spec::container_name;
use sutazai_engine::fleet::NETWORK;
use sutazai_engine::security::Principal;
use sutazai_engine::{Engine, SystemClock};
use sutazai_tests::docker::ContainerGuard;
use sutazai_tests::engine::config;

const AGENT: &str = "AG-019";

async fn networks(docker: &bollard::Docker) -> Vec<bollard::models::Network> {
    let filters = HashMap::from([("name", vec![NETWORK])]);
    docker
        .list_networks(Some(ListNetworksOptionsBuilder::default().filters(&filters).build()))
        .await
        .unwrap()
        .into_iter()
        .filter(|n| n.name.as_deref() == Some(NETWORK))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_network_of_the_agents_name_is_removed_and_the_deploy_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let (config, report) = config(dir.path(), &[("SUTAZAI_HEALTH_TIMEOUT_MS", "30000")]);
    let engine = Engine::start(config, report, Arc::new(SystemClock)).await.unwrap();
    let name = container_name(AGENT);
    let _guard = ContainerGuard(name.clone());
    let docker = sutazai_engine::docker::connect(&engine.config().docker_endpoint, Duration::from_secs(30)).unwrap();

    // What the race leaves: two networks of the name (made as the fleet
    // makes it, without a duplicate check).
    while networks(&docker).await.len() < 2 {
        let request = NetworkCreateRequest {
            name: NETWORK.into(),
            driver: Some("bridge".into()),
            options: Some(HashMap::from([(
                sutazai_engine::fleet::spec::ICC_OPTION.to_string(),
                "false".to_string(),
            )])),
            ..Default::default()
        };
        docker.create_network(request).await.unwrap();
    }

    let deployed = engine.scale_agent(AGENT, 1, &Principal::Desktop).await.unwrap();
    assert_eq!(deployed.healthy, 1, "{deployed:?}");
    let left = networks(&docker).await;
    assert_eq!(left.len(), 1, "one network of the name is left: {left:?}");
    let on = docker.inspect_container(&name, None).await.unwrap();
    let attached: Vec<&String> = on
        .network_settings
        .as_ref()
        .and_then(|n| n.networks.as_ref())
        .map(|n| n.keys().collect())
        .unwrap_or_default();
    assert_eq!(attached, [NETWORK], "the agent is on it");
    engine.shutdown(Duration::from_secs(5)).await;
}
