//! The CIS Docker Benchmark's section 5 ("Container Runtime") through the
//! engine's own container audit (`security::container_audit`), on a real
//! Docker engine: an agent container the engine deployed has no warning,
//! a container made badly on purpose is reported with what to fix, and
//! Docker being away is an error that names where it was looked for.
//!
//! A few things the audit cannot see in a container's settings are checked
//! here for our agent only: 5.6 (no sshd runs: the process list), 5.8 (only
//! the manifest's port is exposed), traffic between agents (§2.1 asks it
//! of the default bridge; the agents' own network is ours to set) and a
//! bounded container log.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::query_parameters::{CreateContainerOptionsBuilder, TopOptionsBuilder};
use sutazai_engine::fleet::image;
use sutazai_engine::fleet::model::AgentAction;
use sutazai_engine::fleet::spec::{container_name, ICC_OPTION};
use sutazai_engine::fleet::{FleetError, NETWORK};
use sutazai_engine::security::container_audit::{ContainerAudit, FindingSeverity, Verdict};
use sutazai_engine::security::Principal;
use sutazai_engine::{Code, Engine, SystemClock};
use sutazai_tests::agent::{binary, free_port};
use sutazai_tests::docker::ContainerGuard;
use sutazai_tests::engine::config;

const AGENT: &str = "AG-021";

/// The audit as a table, for the test's output.
fn print(audit: &ContainerAudit) {
    println!("CIS Docker Benchmark, section 5, on {}:", audit.container);
    for check in &audit.checks {
        let verdict = match check.verdict {
            Verdict::Pass => format!("pass: {}", check.detail),
            Verdict::Warn => format!(
                "WARN ({:?}): {}; fix: {}",
                check.severity,
                check.detail,
                check.fix.as_deref().unwrap_or_default()
            ),
            Verdict::Info => format!("info: {}", check.detail),
            Verdict::NotApplicable => format!("n/a: {}", check.detail),
        };
        println!("  {:<5} {:<36} {verdict}", check.id, check.title);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deployed_agent_passes_cis_docker_benchmark_section_5() {
    let dir = tempfile::tempdir().unwrap();
    let (config, report) = config(dir.path(), &[("SUTAZAI_HEALTH_TIMEOUT_MS", "30000")]);
    let engine = Engine::start(config, report, Arc::new(SystemClock)).await.unwrap();
    let name = container_name(AGENT);
    let _guard = ContainerGuard(name.clone());
    let scaled = engine.scale_agent(AGENT, 1, &Principal::Desktop).await.unwrap();
    assert_eq!(scaled.healthy, 1, "{scaled:?}");

    let audits = engine.audit_containers().await.unwrap();
    let audit = audits.iter().find(|a| a.container == name).unwrap();
    print(audit);
    assert!(audit.ours && audit.running, "{audit:?}");
    assert_eq!(audit.agent_id.as_deref(), Some(AGENT));
    let ours = audits.iter().take_while(|a| a.ours).count();
    assert!(
        audits.iter().skip(ours).all(|a| !a.ours),
        "the app's containers come first"
    );

    // What the audit cannot see in the container's settings.
    let docker = sutazai_engine::docker::connect(&engine.config().docker_endpoint, Duration::from_secs(30)).unwrap();
    let inspect = docker.inspect_container(&name, None).await.unwrap();
    let top = docker
        .top_processes(&name, Some(TopOptionsBuilder::default().ps_args("-o pid,comm").build()))
        .await
        .unwrap();
    let processes: Vec<String> = top.processes.unwrap_or_default().into_iter().flatten().collect();
    let port = engine.catalog().get(AGENT).unwrap().manifest.port;
    let exposed = inspect.config.clone().unwrap().exposed_ports.unwrap_or_default();
    let network = docker.inspect_network(NETWORK, None).await.unwrap();
    let icc = network.options.unwrap_or_default().get(ICC_OPTION).cloned();
    let log = inspect.host_config.clone().unwrap().log_config.unwrap_or_default();
    let beyond = [
        (
            "5.6 no sshd",
            !processes.iter().any(|p| p.contains("sshd")),
            format!("{processes:?}"),
        ),
        (
            "5.8 only the needed port",
            exposed == vec![format!("{port}/tcp")],
            format!("{exposed:?}"),
        ),
        (
            "2.1* no traffic between agents on their network",
            icc.as_deref() == Some("false"),
            format!("{ICC_OPTION} = {icc:?}"),
        ),
        (
            "container log size bounded",
            log.config.unwrap_or_default().contains_key("max-size"),
            "json-file log without max-size".into(),
        ),
    ];
    let failed: Vec<_> = beyond.iter().filter(|(_, ok, _)| !ok).collect();
    let warnings: Vec<_> = audit.checks.iter().filter(|c| c.verdict == Verdict::Warn).collect();
    let (warn_count, critical) = (audit.warnings, audit.critical);

    engine
        .agent_action(AGENT, AgentAction::Remove, &Principal::Desktop)
        .await
        .unwrap();
    engine.shutdown(Duration::from_secs(2)).await;
    assert!(warnings.is_empty(), "{warnings:#?}");
    assert_eq!((warn_count, critical), (0, 0));
    assert!(failed.is_empty(), "{failed:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_badly_made_container_is_reported_with_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let (config, report) = config(dir.path(), &[]);
    let engine = Engine::start(config, report, Arc::new(SystemClock)).await.unwrap();
    let docker = sutazai_engine::docker::connect(&engine.config().docker_endpoint, Duration::from_secs(30))
        .unwrap()
        .negotiate_version()
        .await
        .unwrap();
    let image = image::ensure(&docker, &binary(), sutazai_engine::engine::VERSION)
        .await
        .unwrap();

    // Created, never started: the audit reads stopped containers too, and
    // nothing of the host is touched. Two, because Docker discards the
    // published ports of a container on the host's network. The only image
    // here is the agent's, whose app label a container inherits: each
    // overrides it, so it is someone else's.
    let suffix = std::process::id();
    let on_host = format!("cis-audit-on-host-{suffix}");
    let published = format!("cis-audit-published-{suffix}");
    let _guards = (ContainerGuard(on_host.clone()), ContainerGuard(published.clone()));
    let create = |name: &str, host_config: HostConfig| {
        let body = ContainerCreateBody {
            image: Some(image.tag.clone()),
            exposed_ports: Some(vec!["8080/tcp".into()]),
            labels: Some(HashMap::from([(image::LABEL_APP.to_string(), "cis-test".to_string())])),
            host_config: Some(host_config),
            ..Default::default()
        };
        let options = CreateContainerOptionsBuilder::default().name(name).build();
        let docker = docker.clone();
        async move { docker.create_container(Some(options), body).await.unwrap() }
    };
    create(
        &on_host,
        HostConfig {
            privileged: Some(true),
            network_mode: Some("host".into()),
            binds: Some(vec!["/var/run/docker.sock:/var/run/docker.sock".into()]),
            ..Default::default()
        },
    )
    .await;
    create(
        &published,
        HostConfig {
            port_bindings: Some(HashMap::from([(
                "8080/tcp".to_string(),
                Some(vec![PortBinding {
                    host_ip: Some("0.0.0.0".into()),
                    host_port: Some(free_port().to_string()),
                }]),
            )])),
            ..Default::default()
        },
    )
    .await;

    let audits = engine.audit_containers().await.unwrap();
    engine.shutdown(Duration::from_secs(2)).await;
    let warned = |container: &str, id: &str, severity: FindingSeverity| {
        let audit = audits.iter().find(|a| a.container == container).unwrap();
        print(audit);
        assert!(!audit.ours && audit.agent_id.is_none() && !audit.running, "{audit:?}");
        assert_eq!(audit.image, image.tag);
        let check = audit.checks.iter().find(|c| c.id == id).unwrap();
        assert_eq!(check.verdict, Verdict::Warn, "{container}: {check:?}");
        assert_eq!(check.severity, Some(severity), "{container}: {check:?}");
        assert!(
            check.fix.as_deref().is_some_and(|f| !f.is_empty()),
            "{container}: {check:?}"
        );
    };
    warned(&on_host, "5.4", FindingSeverity::Critical);
    warned(&on_host, "5.9", FindingSeverity::Critical);
    warned(&on_host, "5.31", FindingSeverity::Critical);
    warned(&published, "5.13", FindingSeverity::Warning);
    let audit = audits.iter().find(|a| a.container == on_host).unwrap();
    assert!(audit.critical >= 3, "{audit:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_names_the_docker_endpoint_when_docker_is_away() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("docker.sock");
    let host = format!("unix://{}", socket.display());
    let (config, report) = config(dir.path(), &[("DOCKER_HOST", host.as_str())]);
    let engine = Engine::start(config, report, Arc::new(SystemClock)).await.unwrap();
    let err = engine.audit_containers().await.unwrap_err();
    engine.shutdown(Duration::from_secs(2)).await;
    let FleetError::Unreachable { code, message } = err else {
        panic!("not reported as unreachable: {err}");
    };
    assert_eq!(code, Code::DockerMissing, "{message}");
    assert!(message.contains(&socket.display().to_string()), "{message}");
}
