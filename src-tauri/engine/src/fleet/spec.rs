//! How an agent's container is made: named and labelled so Docker is the
//! service registry, and least-privilege by default (DESIGN.md §6): non-root,
//! no capabilities, no new privileges, read-only root filesystem, the
//! manifest's memory/CPU/PID limits and a CPU weight below a default
//! container's, its port published on 127.0.0.1 only, no host mounts, never
//! the Docker socket, a bounded log, and on-failure restarts (5, as the CIS
//! Docker Benchmark §5.14 asks).

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, HostConfig, HostConfigLogConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};
use sutazai_protocol::Manifest;

use super::image::{AGENT_USER, LABEL_APP, LABEL_RUNTIME_VERSION};

pub const LABEL_AGENT_ID: &str = "ai.sutazai.agent.id";
pub const LABEL_PHASE: &str = "ai.sutazai.agent.phase";
pub const LABEL_MANIFEST_HASH: &str = "ai.sutazai.agent.manifest-hash";
/// Which instance of a scaled agent (1 when absent).
pub const LABEL_INSTANCE: &str = "ai.sutazai.agent.instance";
/// The epoch of the container's service tokens (see `security::tokens`).
pub const LABEL_TOKEN_EPOCH: &str = "ai.sutazai.agent.token-epoch";

/// How often Docker itself restarts an agent that exits with an error
/// before giving up (CIS Docker Benchmark §5.14 asks for at most 5); the
/// engine's self-healing takes over after that, with its own backoff and
/// flapping verdict.
pub const RESTART_RETRIES: i64 = 5;

/// An agent's CPU weight (`--cpu-shares`) per CPU of its limit: half a
/// default container's 1,024, so agents yield to the desktop and to other
/// containers under contention (CIS §5.11 asks for a weight set on
/// purpose; 1,024 is the default it warns about).
pub const CPU_SHARES_PER_CPU: f64 = 512.0;

/// Docker's json-file log of one container: at most 3 files of 10 MB.
pub const LOG_MAX_SIZE: &str = "10m";
pub const LOG_MAX_FILES: &str = "3";

/// The bridge driver's switch for traffic between a network's containers;
/// the agents' network has it off.
pub const ICC_OPTION: &str = "com.docker.network.bridge.enable_icc";

/// Everything that goes into one agent container.
#[derive(Debug, Clone)]
pub struct AgentSpec<'a> {
    pub manifest: &'a Manifest,
    /// The manifest's TOML, handed to the runtime through the environment.
    pub manifest_toml: &'a str,
    pub manifest_hash: &'a str,
    /// `sutazai-agent:<version>` or an image id.
    pub image: &'a str,
    pub runtime_version: &'a str,
    /// The Ollama-API URL as the container sees it.
    pub ollama_url: &'a str,
    /// The hub's local API as the container sees it.
    pub hub_url: &'a str,
    /// What the agent presents to the hub (`SUTAZAI_AGENT_TOKEN`).
    pub token: &'a str,
    /// What the agent requires of the hub on `POST /task`
    /// (`SUTAZAI_HUB_TOKEN`).
    pub hub_token: &'a str,
    /// The tokens' epoch, kept as a label.
    pub token_epoch: &'a str,
    /// The network to join; `None` for Docker's default bridge.
    pub network: Option<&'a str>,
    /// 1 for the agent's own container, published on the manifest's port;
    /// further instances of a scaled agent get a port chosen by Docker.
    pub instance: u32,
}

/// `sutazai-ag-017`: the agent's first (or only) container.
pub fn container_name(agent_id: &str) -> String {
    format!("sutazai-{}", agent_id.to_ascii_lowercase())
}

/// Whether `container` is `agent_id`'s first instance, [`container_name`],
/// without building that name.
pub fn is_first_instance(agent_id: &str, container: &str) -> bool {
    container.strip_prefix("sutazai-").is_some_and(|rest| {
        rest.len() == agent_id.len()
            && rest
                .bytes()
                .zip(agent_id.bytes())
                .all(|(a, b)| a == b.to_ascii_lowercase())
    })
}

/// `sutazai-ag-017` for instance 1, `sutazai-ag-017-2` for the second.
pub fn instance_name(agent_id: &str, instance: u32) -> String {
    match instance {
        0 | 1 => container_name(agent_id),
        n => format!("{}-{n}", container_name(agent_id)),
    }
}

/// The agent a canonical container name belongs to: `sutazai-ag-017-2` → `AG-017`.
pub fn agent_of_container(name: &str) -> Option<String> {
    let rest = name.strip_prefix("sutazai-")?;
    let (prefix, tail) = rest.split_once('-')?;
    let number: String = tail.chars().take_while(char::is_ascii_digit).collect();
    let after = &tail[number.len()..];
    let valid_tail = after.is_empty()
        || after
            .strip_prefix('-')
            .is_some_and(|n| n.parse::<u32>().is_ok_and(|n| n >= 2));
    (!prefix.is_empty() && prefix.chars().all(|c| c.is_ascii_lowercase()) && !number.is_empty() && valid_tail)
        .then(|| format!("{}-{number}", prefix.to_ascii_uppercase()))
}

/// The bus topics an agent subscribes to at start: its capabilities and
/// `all`.
fn topics(m: &Manifest) -> String {
    let mut topics: Vec<&str> = m.capabilities.iter().map(String::as_str).collect();
    topics.push(crate::bus::TOPIC_ALL);
    topics.join(",")
}

/// The create body for the agent's container.
pub fn create_body(spec: &AgentSpec<'_>) -> ContainerCreateBody {
    let m = spec.manifest;
    let port = format!("{}/tcp", m.port);
    let labels = HashMap::from([
        (LABEL_APP.to_string(), "sutazai-control-center".to_string()),
        (LABEL_AGENT_ID.to_string(), m.id.clone()),
        (LABEL_PHASE.to_string(), m.phase.to_string()),
        (LABEL_MANIFEST_HASH.to_string(), spec.manifest_hash.to_string()),
        (LABEL_RUNTIME_VERSION.to_string(), spec.runtime_version.to_string()),
        (LABEL_INSTANCE.to_string(), spec.instance.to_string()),
        (LABEL_TOKEN_EPOCH.to_string(), spec.token_epoch.to_string()),
    ]);
    let env = vec![
        format!("SUTAZAI_AGENT_MANIFEST={}", spec.manifest_toml),
        format!("SUTAZAI_OLLAMA_URL={}", spec.ollama_url),
        format!("SUTAZAI_AGENT_TOKEN={}", spec.token),
        format!("SUTAZAI_HUB_TOKEN={}", spec.hub_token),
        format!("SUTAZAI_HUB_URL={}", spec.hub_url),
        format!("SUTAZAI_AGENT_LISTEN=0.0.0.0:{}", m.port),
        format!("SUTAZAI_TOPICS={}", topics(m)),
    ];
    let bindings = HashMap::from([(
        port.clone(),
        Some(vec![PortBinding {
            host_ip: Some("127.0.0.1".into()),
            // Empty: Docker picks a free port for a further instance.
            host_port: Some(if spec.instance <= 1 {
                m.port.to_string()
            } else {
                String::new()
            }),
        }]),
    )]);
    let memory = i64::from(m.resources.memory_mb) * 1024 * 1024;
    let host_config = HostConfig {
        port_bindings: Some(bindings),
        cap_drop: Some(vec!["ALL".into()]),
        security_opt: Some(vec!["no-new-privileges:true".into()]),
        readonly_rootfs: Some(true),
        memory: Some(memory),
        memory_swap: Some(memory),
        nano_cpus: Some((f64::from(m.resources.cpus) * 1e9) as i64),
        cpu_shares: Some(((f64::from(m.resources.cpus) * CPU_SHARES_PER_CPU) as i64).max(2)),
        pids_limit: Some(i64::from(m.resources.pids)),
        restart_policy: Some(RestartPolicy {
            name: Some(RestartPolicyNameEnum::ON_FAILURE),
            maximum_retry_count: Some(RESTART_RETRIES),
        }),
        log_config: Some(HostConfigLogConfig {
            typ: Some("json-file".into()),
            config: Some(HashMap::from([
                ("max-size".to_string(), LOG_MAX_SIZE.to_string()),
                ("max-file".to_string(), LOG_MAX_FILES.to_string()),
            ])),
        }),
        extra_hosts: Some(vec!["host.docker.internal:host-gateway".into()]),
        network_mode: spec.network.map(str::to_owned),
        init: Some(false),
        ..Default::default()
    };
    ContainerCreateBody {
        image: Some(spec.image.to_string()),
        user: Some(AGENT_USER.to_string()),
        env: Some(env),
        labels: Some(labels),
        exposed_ports: Some(vec![port]),
        host_config: Some(host_config),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_first_instance_has_the_plain_name() {
        use super::{instance_name, is_first_instance};
        assert!(is_first_instance("AG-017", &instance_name("AG-017", 1)));
        assert!(!is_first_instance("AG-017", &instance_name("AG-017", 2)));
        assert!(!is_first_instance("AG-017", "sutazai-ag-018"));
        assert!(!is_first_instance("AG-017", "ag-017"));
    }

    #[test]
    fn container_names_give_their_agent() {
        use super::{agent_of_container, instance_name};
        assert_eq!(
            agent_of_container(&instance_name("AG-017", 1)).as_deref(),
            Some("AG-017")
        );
        assert_eq!(
            agent_of_container(&instance_name("AG-017", 3)).as_deref(),
            Some("AG-017")
        );
        assert_eq!(agent_of_container("sutazai-ag-017-x"), None);
        assert_eq!(agent_of_container("other-ag-017"), None);
        assert_eq!(agent_of_container("sutazai-ag-"), None);
    }
}
