use std::collections::HashMap;

use bollard::models::{
    ContainerState, DeviceMapping, EndpointSettings, HealthConfig, NetworkSettings, ResourcesUlimits, RestartPolicy,
};

use super::*;

/// An engine that enforces everything the rules look at.
const FULL_HOST: HostSecurity = HostSecurity {
    apparmor: true,
    selinux: true,
    seccomp: true,
    userns: false,
};

/// A container made the way the fleet makes an agent's (`fleet/spec.rs`).
fn hardened() -> ContainerInspectResponse {
    ContainerInspectResponse {
        id: Some("c0ffee".into()),
        name: Some("/sutazai-ag-001".into()),
        image: Some("sha256:abc".into()),
        state: Some(ContainerState {
            running: Some(true),
            ..Default::default()
        }),
        app_armor_profile: Some("docker-default".into()),
        process_label: Some("system_u:system_r:container_t:s0:c1,c2".into()),
        config: Some(ContainerConfig {
            image: Some("sutazai-agent:0.1.0".into()),
            healthcheck: Some(HealthConfig {
                test: Some(vec!["CMD".into(), "/agent".into(), "healthcheck".into()]),
                ..Default::default()
            }),
            ..Default::default()
        }),
        host_config: Some(HostConfig {
            port_bindings: Some(HashMap::from([(
                "8001/tcp".to_string(),
                Some(vec![PortBinding {
                    host_ip: Some("127.0.0.1".into()),
                    host_port: Some("8001".into()),
                }]),
            )])),
            cap_drop: Some(vec!["ALL".into()]),
            security_opt: Some(vec!["no-new-privileges:true".into()]),
            readonly_rootfs: Some(true),
            memory: Some(256 * 1024 * 1024),
            nano_cpus: Some(500_000_000),
            cpu_shares: Some(256),
            pids_limit: Some(64),
            restart_policy: Some(RestartPolicy {
                name: Some(RestartPolicyNameEnum::ON_FAILURE),
                maximum_retry_count: Some(5),
            }),
            network_mode: Some("sutazai-agents".into()),
            ..Default::default()
        }),
        network_settings: Some(NetworkSettings {
            networks: Some(HashMap::from([(
                "sutazai-agents".to_string(),
                EndpointSettings::default(),
            )])),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn settings(c: &mut ContainerInspectResponse) -> &mut HostConfig {
    c.host_config.get_or_insert_with(HostConfig::default)
}

fn bind(source: &str, target: &str) -> MountPoint {
    MountPoint {
        typ: Some("bind".into()),
        source: Some(source.into()),
        destination: Some(target.into()),
        rw: Some(true),
        propagation: Some("rprivate".into()),
        ..Default::default()
    }
}

fn publish(c: &mut ContainerInspectResponse, ip: Option<&str>, port: &str) {
    settings(c).port_bindings = Some(HashMap::from([(
        "8080/tcp".to_string(),
        Some(vec![PortBinding {
            host_ip: ip.map(String::from),
            host_port: Some(port.into()),
        }]),
    )]));
}

fn ids(checks: &[Check], verdict: Verdict) -> Vec<&str> {
    checks
        .iter()
        .filter(|c| c.verdict == verdict)
        .map(|c| c.id.as_str())
        .collect()
}

#[test]
fn a_hardened_container_passes_every_check() {
    let checks = checks(&hardened(), &FULL_HOST);
    let not_passed: Vec<_> = checks.iter().filter(|c| c.verdict != Verdict::Pass).collect();
    assert!(not_passed.is_empty(), "{not_passed:#?}");
    assert!(checks.iter().all(|c| c.fix.is_none() && c.severity.is_none()));
}

#[test]
fn the_rules_follow_the_benchmark_order_once_each() {
    let checks = checks(&hardened(), &FULL_HOST);
    let numbers: Vec<(u32, u32)> = checks
        .iter()
        .map(|c| {
            let (major, minor) = c.id.split_once('.').unwrap();
            (major.parse().unwrap(), minor.parse().unwrap())
        })
        .collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    assert_eq!(checks.len(), 26);
}

#[test]
fn what_the_engine_does_not_enforce_does_not_apply() {
    let bare = HostSecurity::default();
    let checks = checks(&hardened(), &bare);
    assert_eq!(ids(&checks, Verdict::NotApplicable), ["5.1", "5.2", "5.21"]);
    assert!(ids(&checks, Verdict::Warn).is_empty());
}

type Mutation = fn(&mut ContainerInspectResponse);

/// What is wrong, how to make it so, the checks that warn, the critical
/// ones among them, and the checks that inform.
type Case = (
    &'static str,
    Mutation,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

/// Each row: what is wrong, how, and the checks that warn (with the
/// critical ones) and inform; every other check passes.
#[test]
fn each_bad_setting_warns_with_a_fix() {
    let cases: &[Case] = &[
        (
            "privileged",
            |c| settings(c).privileged = Some(true),
            &["5.4", "5.21"],
            &["5.4"],
            &[],
        ),
        (
            "cap_add SYS_ADMIN",
            |c| settings(c).cap_add = Some(vec!["SYS_ADMIN".into()]),
            &["5.3"],
            &[],
            &[],
        ),
        (
            "default capabilities",
            |c| settings(c).cap_drop = None,
            &["5.3"],
            &[],
            &[],
        ),
        (
            "docker.sock mounted",
            |c| c.mounts = Some(vec![bind("/var/run/docker.sock", "/var/run/docker.sock")]),
            &["5.31"],
            &["5.31"],
            &[],
        ),
        (
            "/etc mounted",
            |c| c.mounts = Some(vec![bind("/etc", "/host/etc")]),
            &["5.5"],
            &["5.5"],
            &[],
        ),
        (
            "/ mounted",
            |c| c.mounts = Some(vec![bind("/", "/host")]),
            &["5.5"],
            &["5.5"],
            &[],
        ),
        (
            "a data folder mounted",
            |c| c.mounts = Some(vec![bind("/srv/data", "/data")]),
            &[],
            &[],
            &[],
        ),
        (
            "host network",
            |c| settings(c).network_mode = Some("host".into()),
            &["5.9"],
            &["5.9"],
            &[],
        ),
        ("no memory limit", |c| settings(c).memory = Some(0), &["5.10"], &[], &[]),
        (
            "default CPU shares, no CPU limit",
            |c| {
                settings(c).cpu_shares = Some(1024);
                settings(c).nano_cpus = None;
            },
            &["5.11"],
            &[],
            &[],
        ),
        (
            "writable root",
            |c| settings(c).readonly_rootfs = None,
            &["5.12"],
            &[],
            &[],
        ),
        (
            "port on 0.0.0.0",
            |c| publish(c, Some("0.0.0.0"), "18080"),
            &["5.13"],
            &[],
            &[],
        ),
        (
            "port on every interface",
            |c| publish(c, Some(""), "18080"),
            &["5.13"],
            &[],
            &[],
        ),
        (
            "all ports published",
            |c| settings(c).publish_all_ports = Some(true),
            &["5.13"],
            &[],
            &[],
        ),
        (
            "port 80 on loopback",
            |c| publish(c, Some("127.0.0.1"), "80"),
            &["5.7"],
            &[],
            &[],
        ),
        (
            "port on one LAN address",
            |c| publish(c, Some("192.168.1.5"), "8080"),
            &[],
            &[],
            &[],
        ),
        (
            "restart always",
            |c| {
                settings(c).restart_policy = Some(RestartPolicy {
                    name: Some(RestartPolicyNameEnum::ALWAYS),
                    maximum_retry_count: None,
                })
            },
            &["5.14"],
            &[],
            &[],
        ),
        (
            "on-failure without a limit",
            |c| settings(c).restart_policy.as_mut().unwrap().maximum_retry_count = Some(0),
            &["5.14"],
            &[],
            &[],
        ),
        (
            "no restart policy",
            |c| settings(c).restart_policy = None,
            &[],
            &[],
            &[],
        ),
        (
            "host PID",
            |c| settings(c).pid_mode = Some("host".into()),
            &["5.15"],
            &["5.15"],
            &[],
        ),
        (
            "host IPC",
            |c| settings(c).ipc_mode = Some("host".into()),
            &["5.16"],
            &[],
            &[],
        ),
        (
            "a host device",
            |c| {
                settings(c).devices = Some(vec![DeviceMapping {
                    path_on_host: Some("/dev/kvm".into()),
                    ..Default::default()
                }])
            },
            &["5.17"],
            &[],
            &[],
        ),
        (
            "ulimits overridden",
            |c| {
                settings(c).ulimits = Some(vec![ResourcesUlimits {
                    name: Some("nofile".into()),
                    soft: Some(65536),
                    hard: Some(65536),
                }])
            },
            &[],
            &[],
            &["5.18"],
        ),
        (
            "shared propagation",
            |c| {
                let mut m = bind("/srv/data", "/data");
                m.propagation = Some("rshared".into());
                c.mounts = Some(vec![m]);
            },
            &["5.19"],
            &[],
            &[],
        ),
        (
            "host UTS",
            |c| settings(c).uts_mode = Some("host".into()),
            &["5.20"],
            &[],
            &[],
        ),
        (
            "seccomp unconfined",
            |c| {
                settings(c).security_opt = Some(vec!["no-new-privileges".into(), "seccomp=unconfined".into()]);
            },
            &["5.21"],
            &[],
            &[],
        ),
        (
            "a cgroup parent",
            |c| settings(c).cgroup_parent = Some("/custom".into()),
            &[],
            &[],
            &["5.24"],
        ),
        (
            "new privileges allowed",
            |c| settings(c).security_opt = None,
            &["5.25"],
            &[],
            &[],
        ),
        (
            "no-new-privileges false",
            |c| settings(c).security_opt = Some(vec!["no-new-privileges=false".into()]),
            &["5.25"],
            &[],
            &[],
        ),
        (
            "health check disabled",
            |c| c.config.as_mut().unwrap().healthcheck.as_mut().unwrap().test = Some(vec!["NONE".into()]),
            &["5.26"],
            &[],
            &[],
        ),
        (
            "no health check",
            |c| c.config.as_mut().unwrap().healthcheck = None,
            &["5.26"],
            &[],
            &[],
        ),
        (
            "unlimited PIDs",
            |c| settings(c).pids_limit = Some(-1),
            &["5.28"],
            &[],
            &[],
        ),
        (
            "default bridge",
            |c| {
                settings(c).network_mode = Some("bridge".into());
                c.network_settings = Some(NetworkSettings {
                    networks: Some(HashMap::from([("bridge".to_string(), EndpointSettings::default())])),
                    ..Default::default()
                });
            },
            &["5.29"],
            &[],
            &[],
        ),
        (
            "host user namespace",
            |c| settings(c).userns_mode = Some("host".into()),
            &["5.30"],
            &[],
            &[],
        ),
        (
            "AppArmor unconfined",
            |c| c.app_armor_profile = Some("unconfined".into()),
            &["5.1"],
            &[],
            &[],
        ),
        (
            "SELinux labelling off",
            |c| {
                settings(c).security_opt = Some(vec!["no-new-privileges".into(), "label=disable".into()]);
            },
            &["5.2"],
            &[],
            &[],
        ),
    ];
    for (what, mutate, warns, critical, infos) in cases {
        let mut container = hardened();
        mutate(&mut container);
        let checks = checks(&container, &FULL_HOST);
        assert_eq!(ids(&checks, Verdict::Warn), *warns, "{what}: {checks:#?}");
        assert_eq!(ids(&checks, Verdict::Info), *infos, "{what}: {checks:#?}");
        for check in checks.iter().filter(|c| c.verdict == Verdict::Warn) {
            let expected = match critical.contains(&check.id.as_str()) {
                true => FindingSeverity::Critical,
                false => FindingSeverity::Warning,
            };
            assert_eq!(check.severity, Some(expected), "{what}: {check:?}");
            assert!(check.fix.as_deref().is_some_and(|f| f.len() > 10), "{what}: {check:?}");
            assert!(!check.detail.is_empty(), "{what}: {check:?}");
        }
        for check in checks.iter().filter(|c| c.verdict == Verdict::Info) {
            assert_eq!(check.severity, Some(FindingSeverity::Info), "{what}: {check:?}");
            assert!(check.fix.is_some(), "{what}: {check:?}");
        }
    }
}

#[test]
fn a_host_network_makes_publishing_rules_not_apply() {
    let mut container = hardened();
    settings(&mut container).network_mode = Some("host".into());
    publish(&mut container, Some("0.0.0.0"), "80");
    let checks = checks(&container, &FULL_HOST);
    assert_eq!(ids(&checks, Verdict::NotApplicable), ["5.7", "5.13", "5.29"]);
}

#[test]
fn the_audit_counts_warnings_and_critical_findings_and_names_the_container() {
    let mut container = hardened();
    settings(&mut container).privileged = Some(true);
    settings(&mut container).memory = None;
    container.mounts = Some(vec![bind("/var/run/docker.sock", "/var/run/docker.sock")]);
    let owner = Owner {
        ours: true,
        agent_id: Some("AG-001".into()),
    };
    let audit = audit(&container, &FULL_HOST, owner);
    assert_eq!(
        (audit.container.as_str(), audit.id.as_str(), audit.image.as_str()),
        ("sutazai-ag-001", "c0ffee", "sutazai-agent:0.1.0")
    );
    assert!(audit.ours && audit.running);
    assert_eq!(audit.agent_id.as_deref(), Some("AG-001"));
    // 5.4 and 5.31 critical; 5.10 and 5.21 (privileged: no seccomp) warnings.
    assert_eq!((audit.critical, audit.warnings), (2, 2));
}

#[test]
fn only_system_folders_and_what_lies_below_them_are_sensitive() {
    let cases = [
        ("/", Some("/")),
        ("/etc", Some("/etc")),
        ("/etc/", Some("/etc")),
        ("/etc/ssl/certs", Some("/etc")),
        ("/usr/local/share", Some("/usr")),
        ("/proc", Some("/proc")),
        ("/lib/modules", Some("/lib")),
        ("/libx", None),
        ("/library", None),
        ("/home/me/data", None),
        ("/var/run/docker.sock", None),
        ("/srv", None),
    ];
    for (source, expected) in cases {
        assert_eq!(sensitive(source), expected, "{source}");
    }
}

#[test]
fn the_engines_security_options_are_read_by_name() {
    let info = |options: &[&str]| SystemInfo {
        security_options: Some(options.iter().map(|o| o.to_string()).collect()),
        ..Default::default()
    };
    assert_eq!(
        HostSecurity::of(&info(&["name=seccomp,profile=default"])),
        HostSecurity {
            seccomp: true,
            ..Default::default()
        }
    );
    assert_eq!(
        HostSecurity::of(&info(&[
            "name=apparmor",
            "name=seccomp,profile=builtin",
            "name=selinux",
            "name=userns",
            "name=cgroupns"
        ])),
        HostSecurity {
            apparmor: true,
            selinux: true,
            seccomp: true,
            userns: true,
        }
    );
    assert_eq!(HostSecurity::of(&SystemInfo::default()), HostSecurity::default());
}
