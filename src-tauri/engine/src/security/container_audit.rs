//! The CIS Docker Benchmark v1.6, section 5 ("Container Runtime"), on any
//! container: what Docker's inspect answer and the engine's facts show,
//! one [`Check`] per rule, each with what was found and, for a warning,
//! the `docker run` flag or compose key to change. Pure: the caller
//! inspects (see `engine/container_audit.rs`).
//!
//! Left out, because a container's settings do not show them: 5.6 (sshd
//! runs inside: needs the process list), 5.8 (only the needed ports are
//! open: needs to know what the service needs), 5.22 and 5.23 (`docker
//! exec` with privileges or as root) and 5.27 (images pulled before use).

use bollard::models::{
    ContainerConfig, ContainerInspectResponse, HostConfig, MountPoint, PortBinding, RestartPolicyNameEnum, SystemInfo,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What one check concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The container meets the rule.
    Pass,
    /// The container breaks the rule; the check says how to fix it.
    Warn,
    /// Worth knowing but not wrong in itself (the benchmark's manual checks).
    Info,
    /// The rule does not apply on this engine (e.g. no AppArmor).
    NotApplicable,
}

/// How bad a finding is (the alerts' levels, kept apart so this module
/// needs nothing of the alerts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum FindingSeverity {
    Info,
    Warning,
    Critical,
}

/// One rule of section 5 on one container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// The benchmark's number: `5.4`.
    pub id: String,
    pub title: String,
    pub verdict: Verdict,
    /// How bad the finding is: `critical` or `warning` for a warn, `info`
    /// for an info, none for a pass or a rule that does not apply.
    pub severity: Option<FindingSeverity>,
    /// What was found, for people.
    pub detail: String,
    /// What to change (a `docker run` flag, a compose key), for a warn or an info.
    pub fix: Option<String>,
}

/// Section 5 on one container of the Docker engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerAudit {
    /// Its name, without Docker's leading `/`.
    pub container: String,
    /// Docker's id.
    pub id: String,
    /// The image it was created from, as given (`sutazai-agent:0.1.0`).
    pub image: String,
    /// Whether the app made it (it carries the app's label).
    pub ours: bool,
    /// The catalog agent it runs, for one of ours.
    pub agent_id: Option<String>,
    pub running: bool,
    pub checks: Vec<Check>,
    /// Warns of severity `warning`.
    pub warnings: u32,
    /// Warns of severity `critical`.
    pub critical: u32,
}

/// Who made a container, as its labels say; the engine reads them (the
/// labels are the fleet's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Owner {
    pub ours: bool,
    pub agent_id: Option<String>,
}

/// What the Docker engine itself enforces, from `docker info`'s security
/// options (`name=apparmor`, `name=seccomp,profile=default`, …).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostSecurity {
    pub apparmor: bool,
    pub selinux: bool,
    pub seccomp: bool,
    /// The engine remaps users into a user namespace (`--userns-remap`).
    pub userns: bool,
}

impl HostSecurity {
    pub fn of(info: &SystemInfo) -> HostSecurity {
        let options = info.security_options.as_deref().unwrap_or_default();
        let has = |name: &str| {
            let wanted = format!("name={name}");
            options.iter().any(|o| o.split(',').any(|part| part == wanted))
        };
        HostSecurity {
            apparmor: has("apparmor"),
            selinux: has("selinux"),
            seccomp: has("seccomp"),
            userns: has("userns"),
        }
    }
}

/// Every check of section 5 on `inspect`, on an engine that enforces `host`.
pub fn audit(inspect: &ContainerInspectResponse, host: &HostSecurity, owner: Owner) -> ContainerAudit {
    let checks = checks(inspect, host);
    let count = |severity| {
        let n = checks
            .iter()
            .filter(|c| c.verdict == Verdict::Warn && c.severity == Some(severity))
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    };
    let config = inspect.config.as_ref();
    ContainerAudit {
        container: inspect
            .name
            .as_deref()
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_string(),
        id: inspect.id.clone().unwrap_or_default(),
        image: config
            .and_then(|c| c.image.clone())
            .or_else(|| inspect.image.clone())
            .unwrap_or_default(),
        ours: owner.ours,
        agent_id: owner.agent_id,
        running: inspect.state.as_ref().and_then(|s| s.running) == Some(true),
        warnings: count(FindingSeverity::Warning),
        critical: count(FindingSeverity::Critical),
        checks,
    }
}

/// The checks alone, in the benchmark's order.
pub fn checks(inspect: &ContainerInspectResponse, host: &HostSecurity) -> Vec<Check> {
    let seen = Seen::of(inspect, host);
    RULES
        .iter()
        .map(|rule| {
            let (verdict, severity, detail, fix) = match (rule.test)(&seen) {
                Found::Pass(detail) => (Verdict::Pass, None, detail, None),
                Found::Warn { detail, fix } => (Verdict::Warn, Some(rule.severity), detail, Some(fix)),
                Found::Info { detail, fix } => (Verdict::Info, Some(FindingSeverity::Info), detail, Some(fix)),
                Found::NotApplicable(detail) => (Verdict::NotApplicable, None, detail, None),
            };
            Check {
                id: rule.id.to_string(),
                title: rule.title.to_string(),
                verdict,
                severity,
                detail,
                fix,
            }
        })
        .collect()
}

/// One rule: its number and title as the benchmark has them, how bad
/// breaking it is, and the test.
struct Rule {
    id: &'static str,
    title: &'static str,
    severity: FindingSeverity,
    test: fn(&Seen) -> Found,
}

/// What a rule's test found.
enum Found {
    Pass(String),
    Warn { detail: String, fix: String },
    Info { detail: String, fix: String },
    NotApplicable(String),
}

fn warn(detail: impl Into<String>, fix: impl Into<String>) -> Found {
    Found::Warn {
        detail: detail.into(),
        fix: fix.into(),
    }
}

fn pass(detail: impl Into<String>) -> Found {
    Found::Pass(detail.into())
}

const fn rule(id: &'static str, title: &'static str, severity: FindingSeverity, test: fn(&Seen) -> Found) -> Rule {
    Rule {
        id,
        title,
        severity,
        test,
    }
}

const CRITICAL: FindingSeverity = FindingSeverity::Critical;
const WARNING: FindingSeverity = FindingSeverity::Warning;

/// Section 5, in order.
const RULES: &[Rule] = &[
    rule("5.1", "AppArmor profile", WARNING, apparmor),
    rule("5.2", "SELinux options", WARNING, selinux),
    rule("5.3", "capabilities dropped", WARNING, capabilities),
    rule("5.4", "not privileged", CRITICAL, privileged),
    rule("5.5", "no sensitive host folders mounted", CRITICAL, sensitive_mounts),
    rule("5.7", "no privileged host ports", WARNING, privileged_ports),
    rule("5.9", "host network not shared", CRITICAL, host_network),
    rule("5.10", "memory limited", WARNING, memory),
    rule("5.11", "CPU priority set", WARNING, cpu),
    rule("5.12", "read-only root filesystem", WARNING, read_only),
    rule("5.13", "ports bound to one host interface", WARNING, one_interface),
    rule("5.14", "on-failure restarts at most 5", WARNING, restarts),
    rule("5.15", "host PID namespace not shared", CRITICAL, host_pid),
    rule("5.16", "host IPC namespace not shared", WARNING, host_ipc),
    rule("5.17", "no host devices", WARNING, devices),
    rule("5.18", "default ulimits not overridden", WARNING, ulimits),
    rule("5.19", "no shared mount propagation", WARNING, propagation),
    rule("5.20", "host UTS namespace not shared", WARNING, host_uts),
    rule("5.21", "seccomp profile not disabled", WARNING, seccomp),
    rule("5.24", "cgroup parent is the default", WARNING, cgroup_parent),
    rule("5.25", "no new privileges", WARNING, no_new_privileges),
    rule("5.26", "health check", WARNING, health_check),
    rule("5.28", "PIDs limited", WARNING, pids),
    rule("5.29", "not on Docker's default bridge", WARNING, default_bridge),
    rule("5.30", "host user namespace not shared", WARNING, host_userns),
    rule("5.31", "Docker socket not mounted", CRITICAL, docker_socket),
];

/// The host folders 5.5 names; a mount of one of them or of anything
/// below it (except below `/`) is sensitive.
const SENSITIVE: [&str; 8] = ["/", "/boot", "/dev", "/etc", "/lib", "/proc", "/sys", "/usr"];

/// The parts of an inspect answer the rules read, absent ones as defaults.
struct Seen<'a> {
    inspect: &'a ContainerInspectResponse,
    host: &'a HostSecurity,
    settings: HostConfig,
    config: ContainerConfig,
    mounts: Vec<MountPoint>,
    security_opt: Vec<String>,
}

impl<'a> Seen<'a> {
    fn of(inspect: &'a ContainerInspectResponse, host: &'a HostSecurity) -> Seen<'a> {
        let settings = inspect.host_config.clone().unwrap_or_default();
        let security_opt = settings.security_opt.clone().unwrap_or_default();
        Seen {
            inspect,
            host,
            config: inspect.config.clone().unwrap_or_default(),
            mounts: inspect.mounts.clone().unwrap_or_default(),
            security_opt,
            settings,
        }
    }

    fn privileged(&self) -> bool {
        self.settings.privileged == Some(true)
    }

    /// Whether a namespace mode (`--network`, `--pid`, …) is the host's.
    fn is_host(mode: &Option<String>) -> bool {
        mode.as_deref() == Some("host")
    }

    /// Published ports: `(container port, host binding)`.
    fn published(&self) -> Vec<(&str, &PortBinding)> {
        let mut published: Vec<_> = self
            .settings
            .port_bindings
            .iter()
            .flatten()
            .flat_map(|(port, bindings)| bindings.iter().flatten().map(move |b| (port.as_str(), b)))
            .collect();
        published.sort_by(|a, b| a.0.cmp(b.0));
        published
    }

    /// A `--security-opt` setting's value: `seccomp=unconfined` and
    /// `seccomp:unconfined` both give `Some("unconfined")`; a bare
    /// `no-new-privileges` gives `Some("")`.
    fn security_opt(&self, key: &str) -> Option<&str> {
        self.security_opt.iter().find_map(|o| {
            let rest = o.strip_prefix(key)?;
            if rest.is_empty() {
                Some("")
            } else {
                rest.strip_prefix('=').or_else(|| rest.strip_prefix(':'))
            }
        })
    }
}

fn binding_text(port: &str, b: &PortBinding) -> String {
    let ip = b.host_ip.as_deref().filter(|ip| !ip.is_empty()).unwrap_or("0.0.0.0");
    let host_port = b.host_port.as_deref().filter(|p| !p.is_empty()).unwrap_or("any");
    format!("{port} on {ip}:{host_port}")
}

fn mount_text(m: &MountPoint) -> String {
    let source = m.source.as_deref().unwrap_or_default();
    let target = m.destination.as_deref().unwrap_or_default();
    let mode = if m.rw == Some(false) { "read-only" } else { "read-write" };
    format!("{source} at {target} ({mode})")
}

fn list(items: &[String]) -> String {
    items.join(", ")
}

fn apparmor(s: &Seen) -> Found {
    if !s.host.apparmor {
        return Found::NotApplicable("the engine has no AppArmor (docker info lists none)".into());
    }
    match s.inspect.app_armor_profile.as_deref() {
        Some(profile) if !profile.is_empty() && profile != "unconfined" => pass(format!("profile {profile}")),
        profile => warn(
            format!("AppArmor profile {}", profile.filter(|p| !p.is_empty()).unwrap_or("none")),
            "run it under a profile: --security-opt apparmor=docker-default (compose: security_opt: [\"apparmor=docker-default\"])",
        ),
    }
}

fn selinux(s: &Seen) -> Found {
    if !s.host.selinux {
        return Found::NotApplicable("SELinux is not enabled in this engine".into());
    }
    let fix =
        "keep SELinux labelling on: drop label=disable, or set --security-opt label=type:… (compose: security_opt:)";
    if s.security_opt("label") == Some("disable") {
        return warn("SELinux labelling disabled (label=disable)", fix);
    }
    let process_label = s.inspect.process_label.as_deref().unwrap_or_default();
    match s.security_opt("label") {
        Some(label) => pass(format!("label {label}")),
        None if !process_label.is_empty() => pass(format!("process label {process_label}")),
        None => warn("no SELinux label", fix),
    }
}

fn capabilities(s: &Seen) -> Found {
    let added = s.settings.cap_add.clone().unwrap_or_default();
    let dropped = s.settings.cap_drop.clone().unwrap_or_default();
    let drops_all = dropped.iter().any(|c| c.eq_ignore_ascii_case("ALL"));
    if drops_all && added.is_empty() {
        return pass("drops ALL, adds none");
    }
    let mut found = Vec::new();
    let mut fix = Vec::new();
    if !added.is_empty() {
        found.push(format!("adds {}", list(&added)));
        fix.push(format!(
            "remove --cap-add {} unless it needs them (compose: cap_add:)",
            list(&added)
        ));
    }
    if !drops_all {
        found.push(match dropped.is_empty() {
            true => "keeps Docker's default capabilities".to_string(),
            false => format!("drops only {}", list(&dropped)),
        });
        fix.push("--cap-drop ALL, then --cap-add only what it needs (compose: cap_drop: [ALL])".into());
    }
    warn(found.join("; "), fix.join("; "))
}

fn privileged(s: &Seen) -> Found {
    match s.privileged() {
        true => warn(
            "runs privileged: every capability, every host device, no seccomp or AppArmor",
            "remove --privileged (compose: drop privileged: true); add back only the capabilities it needs with --cap-add",
        ),
        false => pass("not privileged"),
    }
}

/// The sensitive folder `source` is or lies below.
fn sensitive(source: &str) -> Option<&'static str> {
    let source = match source.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    };
    SENSITIVE.into_iter().find(|dir| {
        source == *dir || (*dir != "/" && source.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/')))
    })
}

fn sensitive_mounts(s: &Seen) -> Found {
    let bad: Vec<String> = s
        .mounts
        .iter()
        .filter(|m| m.source.as_deref().and_then(sensitive).is_some())
        .map(mount_text)
        .collect();
    if bad.is_empty() {
        let binds = s.mounts.iter().filter(|m| m.typ.as_deref() == Some("bind")).count();
        return pass(match binds {
            0 => "no host folders mounted".to_string(),
            n => format!("{n} bind mount(s), none of a system folder"),
        });
    }
    warn(
        format!("mounts host system folders: {}", list(&bad)),
        "remove these bind mounts (-v / compose volumes:); mount only the files it needs, read-only",
    )
}

fn privileged_ports(s: &Seen) -> Found {
    if Seen::is_host(&s.settings.network_mode) {
        return Found::NotApplicable("it uses the host's network (5.9): nothing is published".into());
    }
    let low: Vec<String> = s
        .published()
        .into_iter()
        .filter(|(_, b)| {
            b.host_port
                .as_deref()
                .and_then(|p| p.parse::<u16>().ok())
                .is_some_and(|p| p > 0 && p < 1024)
        })
        .map(|(port, b)| binding_text(port, b))
        .collect();
    if low.is_empty() {
        return pass("no host port below 1024");
    }
    warn(
        format!("publishes on privileged host ports: {}", list(&low)),
        "publish on a host port from 1024 up: -p 8080:80 (compose: ports: [\"8080:80\"])",
    )
}

fn host_network(s: &Seen) -> Found {
    match s.settings.network_mode.as_deref() {
        Some("host") => warn(
            "shares the host's network stack (network_mode host)",
            "remove --network host (compose: drop network_mode: host); publish only what it serves with -p 127.0.0.1:PORT:PORT",
        ),
        mode => pass(format!("network mode {}", mode.unwrap_or("default"))),
    }
}

fn memory(s: &Seen) -> Found {
    match s.settings.memory.unwrap_or(0) {
        bytes if bytes > 0 => pass(format!("limited to {} MiB", bytes / (1024 * 1024))),
        _ => warn(
            "no memory limit",
            "--memory 512m (compose: mem_limit: 512m, or deploy.resources.limits.memory)",
        ),
    }
}

fn cpu(s: &Seen) -> Found {
    let shares = s.settings.cpu_shares.unwrap_or(0);
    let nano = s.settings.nano_cpus.unwrap_or(0);
    let quota = s.settings.cpu_quota.unwrap_or(0);
    let mut found = Vec::new();
    if shares != 0 && shares != 1024 {
        found.push(format!("CPU shares {shares}"));
    }
    if nano > 0 {
        found.push(format!("at most {:.2} CPUs", nano as f64 / 1e9));
    }
    if quota > 0 {
        found.push(format!("CPU quota {quota} µs"));
    }
    if found.is_empty() {
        return warn(
            "default CPU shares (1024) and no CPU limit",
            "--cpus 1 or --cpu-shares 512 (compose: cpus: / cpu_shares:)",
        );
    }
    pass(found.join(", "))
}

fn read_only(s: &Seen) -> Found {
    match s.settings.readonly_rootfs == Some(true) {
        true => pass("root filesystem read-only"),
        false => warn(
            "root filesystem writable",
            "--read-only, with --tmpfs /tmp for scratch space (compose: read_only: true)",
        ),
    }
}

fn one_interface(s: &Seen) -> Found {
    if Seen::is_host(&s.settings.network_mode) {
        return Found::NotApplicable("it uses the host's network (5.9): nothing is published".into());
    }
    let published = s.published();
    let open: Vec<String> = published
        .iter()
        .filter(|(_, b)| matches!(b.host_ip.as_deref(), None | Some("" | "0.0.0.0" | "::")))
        .map(|(port, b)| binding_text(port, b))
        .collect();
    if s.settings.publish_all_ports == Some(true) {
        return warn(
            "publishes every exposed port on all interfaces (-P)",
            "drop -P (--publish-all); publish each port on one interface: -p 127.0.0.1:PORT:PORT (compose: ports: [\"127.0.0.1:PORT:PORT\"])",
        );
    }
    if !open.is_empty() {
        return warn(
            format!("published on all interfaces: {}", list(&open)),
            "bind to one interface: -p 127.0.0.1:HOST_PORT:PORT (compose: ports: [\"127.0.0.1:HOST_PORT:PORT\"])",
        );
    }
    match published.is_empty() {
        true => pass("publishes no ports"),
        false => pass(list(
            &published
                .iter()
                .map(|(port, b)| binding_text(port, b))
                .collect::<Vec<_>>(),
        )),
    }
}

fn restarts(s: &Seen) -> Found {
    let policy = s.settings.restart_policy.clone().unwrap_or_default();
    let max = policy.maximum_retry_count.unwrap_or(0);
    let fix = "--restart on-failure:5 (compose: restart: on-failure:5)";
    match policy.name {
        None | Some(RestartPolicyNameEnum::EMPTY | RestartPolicyNameEnum::NO) => pass("no restart policy"),
        Some(RestartPolicyNameEnum::ON_FAILURE) if (1..=5).contains(&max) => {
            pass(format!("on-failure, at most {max} restarts"))
        }
        Some(RestartPolicyNameEnum::ON_FAILURE) if max <= 0 => warn("on-failure without a limit", fix),
        Some(RestartPolicyNameEnum::ON_FAILURE) => warn(format!("on-failure, up to {max} restarts"), fix),
        Some(name) => warn(format!("restart {name}: restarted without end"), fix),
    }
}

fn namespace(mode: &Option<String>, flag: &str, key: &str) -> Found {
    match Seen::is_host(mode) {
        true => warn(
            format!("shares the host's namespace ({flag} host)"),
            format!("remove {flag} host (compose: drop {key}: host)"),
        ),
        false => pass(format!(
            "own namespace ({})",
            mode.as_deref().filter(|m| !m.is_empty()).unwrap_or("default")
        )),
    }
}

fn host_pid(s: &Seen) -> Found {
    namespace(&s.settings.pid_mode, "--pid", "pid")
}

fn host_ipc(s: &Seen) -> Found {
    namespace(&s.settings.ipc_mode, "--ipc", "ipc")
}

fn host_uts(s: &Seen) -> Found {
    namespace(&s.settings.uts_mode, "--uts", "uts")
}

fn devices(s: &Seen) -> Found {
    let devices: Vec<String> = s
        .settings
        .devices
        .iter()
        .flatten()
        .map(|d| d.path_on_host.clone().unwrap_or_default())
        .collect();
    match devices.is_empty() {
        true => pass("no host devices"),
        false => warn(
            format!("host devices: {}", list(&devices)),
            "remove --device unless it needs them, and then add :r or :rw only as needed (compose: devices:)",
        ),
    }
}

fn ulimits(s: &Seen) -> Found {
    let set: Vec<String> = s
        .settings
        .ulimits
        .iter()
        .flatten()
        .map(|u| {
            format!(
                "{}={}:{}",
                u.name.as_deref().unwrap_or_default(),
                u.soft.unwrap_or_default(),
                u.hard.unwrap_or_default()
            )
        })
        .collect();
    match set.is_empty() {
        true => pass("the engine's default ulimits"),
        false => Found::Info {
            detail: format!("ulimits overridden: {}", list(&set)),
            fix: "keep --ulimit (compose: ulimits:) only where the engine's defaults are too small".into(),
        },
    }
}

fn propagation(s: &Seen) -> Found {
    let shared: Vec<String> = s
        .mounts
        .iter()
        .filter(|m| m.propagation.as_deref().is_some_and(|p| p.contains("shared")))
        .map(mount_text)
        .collect();
    match shared.is_empty() {
        true => pass("no mount with shared propagation"),
        false => warn(
            format!("shared propagation: {}", list(&shared)),
            "mount with private propagation: drop :shared / :rshared (compose: bind.propagation:)",
        ),
    }
}

fn seccomp(s: &Seen) -> Found {
    if !s.host.seccomp {
        return Found::NotApplicable("the engine has no seccomp support".into());
    }
    if s.security_opt("seccomp") == Some("unconfined") {
        return warn(
            "seccomp disabled (seccomp=unconfined)",
            "remove --security-opt seccomp=unconfined (compose: security_opt:); Docker's default profile applies then",
        );
    }
    if s.privileged() {
        return warn(
            "privileged: Docker applies no seccomp profile",
            "remove --privileged (compose: drop privileged: true)",
        );
    }
    match s.security_opt("seccomp") {
        Some(profile) => pass(format!("seccomp profile {profile}")),
        None => pass("the engine's default seccomp profile"),
    }
}

fn cgroup_parent(s: &Seen) -> Found {
    match s.settings.cgroup_parent.as_deref().unwrap_or_default() {
        "" => pass("the default cgroup parent"),
        parent => Found::Info {
            detail: format!("cgroup parent {parent}"),
            fix: "leave --cgroup-parent (compose: cgroup_parent:) unset unless the host's resource plan needs it"
                .into(),
        },
    }
}

fn no_new_privileges(s: &Seen) -> Found {
    match s.security_opt("no-new-privileges") {
        Some(value) if value != "false" => pass("no-new-privileges set"),
        _ => warn(
            "may gain privileges through setuid binaries",
            "--security-opt no-new-privileges (compose: security_opt: [\"no-new-privileges:true\"])",
        ),
    }
}

fn health_check(s: &Seen) -> Found {
    let test = s
        .config
        .healthcheck
        .as_ref()
        .and_then(|h| h.test.clone())
        .unwrap_or_default();
    match test.first().map(String::as_str) {
        Some("NONE") => warn(
            "health check disabled (--no-healthcheck)",
            "drop --no-healthcheck (compose: healthcheck: disable: true)",
        ),
        Some(_) => pass(format!(
            "health check: {}",
            test.iter().skip(1).cloned().collect::<Vec<_>>().join(" ")
        )),
        None => warn(
            "no health check",
            "add a HEALTHCHECK to the image or --health-cmd (compose: healthcheck: test:)",
        ),
    }
}

fn pids(s: &Seen) -> Found {
    match s.settings.pids_limit.unwrap_or(0) {
        limit if limit > 0 => pass(format!("at most {limit} processes")),
        _ => warn(
            "no PIDs limit: a fork bomb can exhaust the host",
            "--pids-limit 100 (compose: pids_limit: 100)",
        ),
    }
}

fn default_bridge(s: &Seen) -> Found {
    let mut networks: Vec<String> = s
        .inspect
        .network_settings
        .as_ref()
        .and_then(|n| n.networks.as_ref())
        .map(|n| n.keys().cloned().collect())
        .unwrap_or_default();
    networks.sort();
    let mode = s.settings.network_mode.as_deref().unwrap_or_default();
    if mode == "host" {
        return Found::NotApplicable("it uses the host's network (5.9)".into());
    }
    if networks.iter().any(|n| n == "bridge") || (networks.is_empty() && matches!(mode, "bridge" | "default")) {
        return warn(
            "on Docker's default bridge (docker0), where every container can reach every other",
            "attach it to a network of its own: docker network create NAME, then --network NAME (compose: networks:)",
        );
    }
    match networks.is_empty() {
        true => pass(format!("network mode {}", if mode.is_empty() { "none" } else { mode })),
        false => pass(format!("networks {}", list(&networks))),
    }
}

fn host_userns(s: &Seen) -> Found {
    match (Seen::is_host(&s.settings.userns_mode), s.host.userns) {
        (true, _) => warn(
            "shares the host's user namespace (--userns host)",
            "remove --userns host (compose: drop userns_mode: host)",
        ),
        (false, true) => pass("in the engine's remapped user namespace"),
        (false, false) => pass("not set to the host's (the engine does not remap users)"),
    }
}

fn docker_socket(s: &Seen) -> Found {
    let is_socket = |path: Option<&str>| path.is_some_and(|p| p.ends_with("docker.sock"));
    let socket: Vec<String> = s
        .mounts
        .iter()
        .filter(|m| is_socket(m.source.as_deref()) || is_socket(m.destination.as_deref()))
        .map(mount_text)
        .collect();
    match socket.is_empty() {
        true => pass("the Docker socket is not mounted"),
        false => warn(
            format!("mounts the Docker socket, which is root on the host: {}", list(&socket)),
            "remove the bind of docker.sock (-v / compose volumes:); if it must reach Docker, put a socket proxy in front that allows only the calls it needs",
        ),
    }
}

#[cfg(test)]
#[path = "container_audit_tests.rs"]
mod tests;
