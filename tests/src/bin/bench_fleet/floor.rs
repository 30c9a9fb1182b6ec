//! (b) the floor: the app's own create bodies sent straight to Docker, 20
//! at once; and the fingerprint that shows (b) and (c) make the same
//! containers as the app.

use super::*;

/// What a container was made with, as Docker reports it, for comparing
/// (b) and (c) with the app's own container. The token is random per
/// container, so only its presence counts.
pub(crate) fn fingerprint(inspect: &ContainerInspectResponse) -> BTreeMap<String, String> {
    let mut f = BTreeMap::new();
    let config = inspect.config.clone().unwrap_or_default();
    let host = inspect.host_config.clone().unwrap_or_default();
    f.insert("image".into(), format!("{:?}", inspect.image));
    f.insert("user".into(), format!("{:?}", config.user));
    let mut env: Vec<String> = config
        .env
        .unwrap_or_default()
        .into_iter()
        .map(|e| match e.split_once('=') {
            // Tokens are per container and per deploy: only their presence counts.
            Some((name @ ("SUTAZAI_AGENT_TOKEN" | "SUTAZAI_HUB_TOKEN"), _)) => format!("{name}=…"),
            _ => e,
        })
        .collect();
    env.sort();
    f.insert("env".into(), format!("{env:?}"));
    let labels: BTreeMap<String, String> = config
        .labels
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k.starts_with("ai.sutazai.") && !k.ends_with("manifest-hash"))
        .map(|(k, v)| match k.ends_with("token-epoch") {
            true => (k, "…".to_string()),
            false => (k, v),
        })
        .collect();
    f.insert("labels".into(), format!("{labels:?}"));
    f.insert("healthcheck".into(), format!("{:?}", config.healthcheck));
    let ports: BTreeMap<String, String> = host
        .port_bindings
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, format!("{v:?}")))
        .collect();
    f.insert("ports".into(), format!("{ports:?}"));
    f.insert("cap_drop".into(), format!("{:?}", host.cap_drop));
    f.insert("security_opt".into(), format!("{:?}", host.security_opt));
    f.insert("read_only".into(), format!("{:?}", host.readonly_rootfs));
    f.insert("memory".into(), format!("{:?}", host.memory));
    f.insert("memory_swap".into(), format!("{:?}", host.memory_swap));
    f.insert("nano_cpus".into(), format!("{:?}", host.nano_cpus));
    f.insert("pids_limit".into(), format!("{:?}", host.pids_limit));
    f.insert("restart".into(), format!("{:?}", host.restart_policy));
    f.insert("extra_hosts".into(), format!("{:?}", host.extra_hosts));
    f.insert("init".into(), format!("{:?}", host.init.unwrap_or(false)));
    f.insert("network".into(), format!("{:?}", host.network_mode));
    f
}

pub(crate) async fn fingerprint_of(docker: &Docker, name: &str) -> BTreeMap<String, String> {
    fingerprint(
        &docker
            .inspect_container(name, None)
            .await
            .expect("the container exists"),
    )
}

/// What the app would hand Docker for each agent of a phase.
pub(crate) struct Prepared {
    pub(crate) entry: Arc<Entry>,
    pub(crate) toml: String,
}

pub(crate) fn prepare(catalog: &Catalog, phase: u8) -> Vec<Prepared> {
    catalog
        .phase(phase)
        .into_iter()
        .map(|entry| Prepared {
            entry: Arc::clone(entry),
            toml: std::fs::read_to_string(&entry.file).expect("manifest readable"),
        })
        .collect()
}

/// How many agents start in each dependency wave (as the deploy orders them).
pub(crate) fn waves(agents: &[Prepared]) -> Vec<usize> {
    let nodes = agents.iter().map(|p| p.entry.manifest.id.as_str());
    let edges = agents.iter().flat_map(|p| {
        let id = p.entry.manifest.id.as_str();
        p.entry.manifest.dependencies.iter().map(move |dep| (dep.as_str(), id))
    });
    let waves = Dag::new(nodes, edges)
        .waves()
        .expect("the catalog has no dependency cycle");
    waves.iter().map(Vec::len).collect()
}

pub(crate) fn spec<'a>(p: &'a Prepared, image: &'a str, ollama: &'a str) -> AgentSpec<'a> {
    AgentSpec {
        manifest: &p.entry.manifest,
        manifest_toml: &p.toml,
        manifest_hash: &p.entry.hash,
        image,
        runtime_version: VERSION,
        ollama_url: ollama,
        hub_url: "http://host.docker.internal:10200",
        token: "bench",
        hub_token: "bench",
        token_epoch: "bench",
        network: Some(NETWORK),
        instance: 1,
    }
}

pub(crate) async fn run_floor(
    docker: &Docker,
    http: &reqwest::Client,
    agents: &[Prepared],
    image: &AgentImage,
    ollama: &str,
    probe: &str,
) -> Run {
    let bodies: Vec<_> = agents
        .iter()
        .map(|p| {
            (
                instance_name(&p.entry.manifest.id, 1),
                p.entry.manifest.port,
                create_body(&spec(p, &image.id, ollama)),
            )
        })
        .collect();
    let t0 = Instant::now();
    let runs = bodies.into_iter().map(|(name, port, body)| async move {
        let options = CreateContainerOptionsBuilder::default().name(&name).build();
        docker
            .create_container(Some(options), body)
            .await
            .unwrap_or_else(|e| panic!("create {name}: {e}"));
        docker
            .start_container(&name, None)
            .await
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let running = t0.elapsed();
        (running, wait_healthy(http, port, t0).await)
    });
    let done = futures::future::join_all(runs).await;
    let running = done.iter().map(|d| d.0).max().unwrap_or_default();
    let healthy = done.iter().map(|d| d.1).max().unwrap_or_default();
    Run {
        running: Some(secs(running)),
        healthy: secs(healthy),
        fingerprint: fingerprint_of(docker, probe).await,
    }
}
