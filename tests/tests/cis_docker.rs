//! The CIS Docker Benchmark's section 5 ("Container Runtime") on an agent
//! container the engine deployed, read back from Docker itself: one row per
//! check, each a pass, a warning, or not applicable on this host with why.
//! Any warning fails the test. (5.22 and 5.23 are about `docker exec` and
//! 5.27 about pulling images: nothing a container's settings show, and the
//! app never execs into agents nor pulls.)

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;
use std::time::Duration;

use bollard::models::{ContainerInspectResponse, RestartPolicyNameEnum, SystemInfo};
use bollard::query_parameters::TopOptionsBuilder;
use sutazai_engine::fleet::model::AgentAction;
use sutazai_engine::fleet::spec::{container_name, ICC_OPTION};
use sutazai_engine::fleet::NETWORK;
use sutazai_engine::security::Principal;
use sutazai_engine::{Engine, SystemClock};
use sutazai_tests::docker::ContainerGuard;
use sutazai_tests::engine::config;

const AGENT: &str = "AG-021";

#[derive(Debug, PartialEq)]
enum Verdict {
    Pass,
    Warn(String),
    /// Not applicable on this host, and why.
    NotApplicable(String),
}

use Verdict::{NotApplicable, Pass, Warn};

fn pass_if(ok: bool, why: impl FnOnce() -> String) -> Verdict {
    if ok {
        Pass
    } else {
        Warn(why())
    }
}

/// Every §5 check of `c` on a host described by `info`; `processes` are
/// the container's commands.
fn section_5(
    c: &ContainerInspectResponse,
    info: &SystemInfo,
    processes: &[String],
    port: u16,
) -> Vec<(&'static str, &'static str, Verdict)> {
    let host = c.host_config.clone().unwrap();
    let config = c.config.clone().unwrap();
    let security_opt = host.security_opt.clone().unwrap_or_default();
    let host_security = info.security_options.clone().unwrap_or_default();
    let has = |name: &str| host_security.iter().any(|o| o.contains(&format!("name={name}")));
    let mounts = c.mounts.clone().unwrap_or_default();
    let bindings = host.port_bindings.clone().unwrap_or_default();
    let host_ports: Vec<_> = bindings.values().flatten().flatten().collect();
    let not_host = |mode: &Option<String>| mode.as_deref() != Some("host");
    vec![
        (
            "5.1",
            "AppArmor profile",
            if has("apparmor") {
                pass_if(
                    c.app_armor_profile
                        .as_deref()
                        .is_some_and(|p| !p.is_empty() && p != "unconfined"),
                    || format!("profile {:?}", c.app_armor_profile),
                )
            } else {
                NotApplicable("the host kernel has no AppArmor (docker info lists none)".into())
            },
        ),
        (
            "5.2",
            "SELinux options",
            if has("selinux") {
                pass_if(security_opt.iter().any(|o| o.starts_with("label")), || {
                    "no SELinux label".into()
                })
            } else {
                NotApplicable("SELinux is not enabled in this engine".into())
            },
        ),
        (
            "5.3",
            "capabilities dropped",
            pass_if(
                host.cap_drop.as_deref() == Some(&["ALL".to_string()][..])
                    && host.cap_add.clone().unwrap_or_default().is_empty(),
                || format!("cap_drop {:?}, cap_add {:?}", host.cap_drop, host.cap_add),
            ),
        ),
        (
            "5.4",
            "not privileged",
            pass_if(host.privileged != Some(true), || "privileged".into()),
        ),
        (
            "5.5",
            "no sensitive host folders mounted",
            pass_if(mounts.is_empty(), || format!("{mounts:?}")),
        ),
        (
            "5.6",
            "no sshd",
            pass_if(!processes.iter().any(|p| p.contains("sshd")), || {
                format!("{processes:?}")
            }),
        ),
        (
            "5.7",
            "no privileged host ports",
            pass_if(
                host_ports.iter().all(|b| {
                    b.host_port
                        .as_deref()
                        .and_then(|p| p.parse::<u16>().ok())
                        .is_none_or(|p| p >= 1024)
                }),
                || format!("{host_ports:?}"),
            ),
        ),
        (
            "5.8",
            "only the needed port",
            pass_if(
                config.exposed_ports.clone().unwrap_or_default() == vec![format!("{port}/tcp")],
                || format!("{:?}", config.exposed_ports),
            ),
        ),
        (
            "5.9",
            "host network not shared",
            pass_if(not_host(&host.network_mode), || "network_mode host".into()),
        ),
        (
            "5.10",
            "memory limited",
            pass_if(host.memory.unwrap_or(0) > 0, || "no memory limit".into()),
        ),
        (
            "5.11",
            "CPU priority set",
            pass_if(!matches!(host.cpu_shares, None | Some(0) | Some(1024)), || {
                format!("cpu_shares {:?}", host.cpu_shares)
            }),
        ),
        (
            "5.12",
            "read-only root filesystem",
            pass_if(host.readonly_rootfs == Some(true), || "writable root".into()),
        ),
        (
            "5.13",
            "ports bound to one host interface",
            pass_if(
                !host_ports.is_empty() && host_ports.iter().all(|b| b.host_ip.as_deref() == Some("127.0.0.1")),
                || format!("{host_ports:?}"),
            ),
        ),
        ("5.14", "on-failure restarts at most 5", {
            let policy = host.restart_policy.clone().unwrap_or_default();
            pass_if(
                policy.name == Some(RestartPolicyNameEnum::ON_FAILURE)
                    && policy.maximum_retry_count.is_some_and(|n| (1..=5).contains(&n)),
                || format!("{policy:?}"),
            )
        }),
        (
            "5.15",
            "host PID namespace not shared",
            pass_if(not_host(&host.pid_mode), || "pid host".into()),
        ),
        (
            "5.16",
            "host IPC namespace not shared",
            pass_if(not_host(&host.ipc_mode), || "ipc host".into()),
        ),
        (
            "5.17",
            "no host devices",
            pass_if(host.devices.clone().unwrap_or_default().is_empty(), || {
                format!("{:?}", host.devices)
            }),
        ),
        (
            "5.18",
            "default ulimits not overridden",
            pass_if(host.ulimits.clone().unwrap_or_default().is_empty(), || {
                format!("{:?}", host.ulimits)
            }),
        ),
        (
            "5.19",
            "no shared mount propagation",
            pass_if(
                mounts
                    .iter()
                    .all(|m| m.propagation.as_deref().is_none_or(|p| !p.contains("shared"))),
                || format!("{mounts:?}"),
            ),
        ),
        (
            "5.20",
            "host UTS namespace not shared",
            pass_if(not_host(&host.uts_mode), || "uts host".into()),
        ),
        (
            "5.21",
            "seccomp profile not disabled",
            pass_if(
                has("seccomp")
                    && !security_opt
                        .iter()
                        .any(|o| o.contains("seccomp=unconfined") || o.contains("seccomp:unconfined")),
                || format!("engine {host_security:?}, container {security_opt:?}"),
            ),
        ),
        (
            "5.24",
            "cgroup parent is the default",
            pass_if(host.cgroup_parent.as_deref().unwrap_or_default().is_empty(), || {
                format!("{:?}", host.cgroup_parent)
            }),
        ),
        (
            "5.25",
            "no new privileges",
            pass_if(
                security_opt
                    .iter()
                    .any(|o| o.starts_with("no-new-privileges") && !o.ends_with("false")),
                || format!("{security_opt:?}"),
            ),
        ),
        (
            "5.26",
            "health check",
            pass_if(
                config
                    .healthcheck
                    .as_ref()
                    .and_then(|h| h.test.clone())
                    .is_some_and(|t| t.first().is_some_and(|k| k != "NONE")),
                || format!("{:?}", config.healthcheck),
            ),
        ),
        (
            "5.28",
            "PIDs limited",
            pass_if(host.pids_limit.unwrap_or(0) > 0, || format!("{:?}", host.pids_limit)),
        ),
        ("5.29", "not on Docker's default bridge", {
            let networks: Vec<String> = c
                .network_settings
                .clone()
                .and_then(|n| n.networks)
                .unwrap_or_default()
                .into_keys()
                .collect();
            pass_if(!networks.iter().any(|n| n == "bridge"), || format!("{networks:?}"))
        }),
        (
            "5.30",
            "host user namespace not shared",
            pass_if(not_host(&host.userns_mode), || "userns host".into()),
        ),
        (
            "5.31",
            "Docker socket not mounted",
            pass_if(
                !mounts
                    .iter()
                    .any(|m| m.source.as_deref().is_some_and(|s| s.contains("docker.sock"))),
                || format!("{mounts:?}"),
            ),
        ),
    ]
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

    let docker = sutazai_engine::docker::connect(&engine.config().docker_endpoint, Duration::from_secs(30)).unwrap();
    let inspect = docker.inspect_container(&name, None).await.unwrap();
    let info = docker.info().await.unwrap();
    let top = docker
        .top_processes(&name, Some(TopOptionsBuilder::default().ps_args("-o pid,comm").build()))
        .await
        .unwrap();
    let processes: Vec<String> = top.processes.unwrap_or_default().into_iter().flatten().collect();
    let port = engine.catalog().get(AGENT).unwrap().manifest.port;

    let mut rows = section_5(&inspect, &info, &processes, port);
    // Beyond §5: agents cannot reach each other on their network (§2.1 asks
    // it of the default bridge; the agents' own network is ours to set).
    let network = docker.inspect_network(NETWORK, None).await.unwrap();
    let icc = network.options.unwrap_or_default().get(ICC_OPTION).cloned();
    rows.push((
        "2.1*",
        "no traffic between agents on their network",
        pass_if(icc.as_deref() == Some("false"), || format!("{ICC_OPTION} = {icc:?}")),
    ));
    let log = inspect.host_config.clone().unwrap().log_config.unwrap_or_default();
    rows.push((
        "log",
        "container log size bounded",
        pass_if(log.config.unwrap_or_default().contains_key("max-size"), || {
            "json-file log without max-size".into()
        }),
    ));

    println!("CIS Docker Benchmark, section 5, on {name}:");
    for (id, what, verdict) in &rows {
        let verdict = match verdict {
            Pass => "pass".to_string(),
            Warn(why) => format!("WARN: {why}"),
            NotApplicable(why) => format!("n/a: {why}"),
        };
        println!("  {id:<5} {what:<40} {verdict}");
    }
    let warnings: Vec<_> = rows.iter().filter(|(_, _, v)| matches!(v, Warn(_))).collect();
    engine
        .agent_action(AGENT, AgentAction::Remove, &Principal::Desktop)
        .await
        .unwrap();
    engine.shutdown(Duration::from_secs(2)).await;
    assert!(warnings.is_empty(), "{warnings:#?}");
}
