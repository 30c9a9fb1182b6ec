//! Container stats: CPU, memory and network per agent container, sampled on
//! demand (the metrics collection asks once a second; the Agents view
//! shares its samples). Their history is the metrics store's.
//!
//! The cheapest correct source is the kernel's own counters, read where
//! Docker puts each container: its cgroup (v1 `cpuacct`/`memory` or v2
//! unified) found from `/proc/<pid>/cgroup` of its first process, and
//! `/proc/<pid>/net/dev` of its network namespace. That costs the daemon
//! nothing. Docker's stats API (one-shot) is the fallback when the files are
//! not ours to read (a remote Docker host, another PID namespace); it makes
//! dockerd, containerd and each shim work for every sample.

use schemars::JsonSchema;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::time::Instant;

use bollard::query_parameters::StatsOptionsBuilder;
use bollard::Docker;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{lock, Fleet, FleetError, Placed};

/// Samples closer together than this are served from the last one.
const FRESH: Duration = Duration::from_millis(500);

/// Where a sample's figures came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatsSource {
    CgroupV1,
    CgroupV2,
    DockerApi,
}

/// Which source the fleet may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatsPreference {
    /// The kernel's counters where readable, Docker's API otherwise.
    #[default]
    Cheapest,
    /// Docker's API only (for measuring it against the counters).
    DockerApi,
}

/// One container's resource use at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStats {
    pub agent_id: String,
    pub container: String,
    pub instance: u32,
    /// Percent of one core since the previous sample (none on the first).
    pub cpu_percent: Option<f64>,
    /// Memory in use, not counting reclaimable page cache (as `docker stats`).
    #[ts(type = "number")]
    pub memory_bytes: u64,
    #[ts(type = "number | null")]
    pub memory_limit_bytes: Option<u64>,
    /// Bytes received and sent since the container started.
    #[ts(type = "number")]
    pub net_rx_bytes: u64,
    #[ts(type = "number")]
    pub net_tx_bytes: u64,
    pub net_rx_per_s: Option<f64>,
    pub net_tx_per_s: Option<f64>,
    #[ts(type = "number")]
    pub at_ms: i64,
    pub source: StatsSource,
}

/// The raw counters of one read.
#[derive(Debug, Clone, Copy)]
struct Counters {
    at: Instant,
    cpu_ns: u64,
    memory: u64,
    limit: Option<u64>,
    rx: u64,
    tx: u64,
}

/// Where a container's counters live in this host's files.
#[derive(Debug, Clone)]
struct Files {
    version: StatsSource,
    cpu: PathBuf,
    memory: PathBuf,
    /// `/proc/<pid>/net/dev`.
    net: PathBuf,
}

/// The sampler's memory: where to read, the previous counters, recent samples.
#[derive(Debug, Default)]
pub struct Sampler {
    /// By container id; `None` when the files are not readable here.
    files: HashMap<String, Option<Files>>,
    previous: HashMap<String, Counters>,
    /// The last sample: when, of which running containers, and its figures.
    latest: Option<(Instant, Vec<String>, Vec<ContainerStats>)>,
}

impl Fleet {
    /// The resource use of every running agent container, now.
    /// Two callers a moment apart (the metrics collection and a view) share
    /// one sample, unless the running containers changed in between.
    pub async fn stats(&self) -> Result<Vec<ContainerStats>, FleetError> {
        let docker = self.docker().await?;
        let cached = lock(&self.seen).clone();
        let containers = match cached {
            Some(containers) => containers,
            None => self.containers(&docker).await?,
        };
        let running: Vec<&Placed> = containers.all().filter(|p| p.running()).collect();
        let names: Vec<String> = running.iter().map(|p| p.name.clone()).collect();
        if let Some((at, of, latest)) = &lock(&self.stats).latest {
            if at.elapsed() < FRESH && *of == names {
                return Ok(latest.clone());
            }
        }
        let reads = running.iter().map(|p| self.read(&docker, p));
        let reads = futures::future::join_all(reads).await;
        let mut sampler = lock(&self.stats);
        let at_ms = self.clock.now_ms();
        let mut samples = Vec::new();
        for (p, read) in running.iter().zip(reads) {
            let Some((source, now)) = read else { continue };
            let id = p.summary.id.clone().unwrap_or_default();
            let before = sampler.previous.insert(id, now);
            let per_s = |delta: u64, before: &Counters| {
                let secs = now.at.duration_since(before.at).as_secs_f64();
                (secs > 0.0).then(|| delta as f64 / secs)
            };
            let sample = ContainerStats {
                agent_id: p.agent_id.clone(),
                container: p.name.clone(),
                instance: p.instance,
                cpu_percent: before
                    .as_ref()
                    .and_then(|b| per_s(now.cpu_ns.saturating_sub(b.cpu_ns), b))
                    .map(|ns_per_s| ns_per_s / 1e7),
                memory_bytes: now.memory,
                memory_limit_bytes: now.limit,
                net_rx_bytes: now.rx,
                net_tx_bytes: now.tx,
                net_rx_per_s: before.as_ref().and_then(|b| per_s(now.rx.saturating_sub(b.rx), b)),
                net_tx_per_s: before.as_ref().and_then(|b| per_s(now.tx.saturating_sub(b.tx), b)),
                at_ms,
                source,
            };
            samples.push(sample);
        }
        sampler.latest = Some((Instant::now(), names, samples.clone()));
        Ok(samples)
    }

    async fn read(&self, docker: &Docker, p: &Placed) -> Option<(StatsSource, Counters)> {
        let id = p.summary.id.clone()?;
        if self.config.stats == StatsPreference::Cheapest {
            let known = lock(&self.stats).files.get(&id).cloned();
            let files = match known {
                Some(files) => files,
                None => {
                    let pid = docker
                        .inspect_container(&id, None)
                        .await
                        .ok()
                        .and_then(|i| i.state?.pid)
                        .filter(|pid| *pid > 0);
                    let files = pid.and_then(|pid| locate(Path::new("/"), &id, pid));
                    lock(&self.stats).files.insert(id.clone(), files.clone());
                    files
                }
            };
            if let Some(files) = files {
                if let Some(counters) = read_files(&files) {
                    return Some((files.version, counters));
                }
                // The process is gone (restarted): find it again next time.
                lock(&self.stats).files.remove(&id);
            }
        }
        read_api(docker, &id).await.map(|c| (StatsSource::DockerApi, c))
    }
}

/// Finds a container's counter files from its first process's cgroup,
/// checking that the cgroup really is that container's.
fn locate(root: &Path, container_id: &str, pid: i64) -> Option<Files> {
    let proc = root.join(format!("proc/{pid}"));
    let cgroup = std::fs::read_to_string(proc.join("cgroup")).ok()?;
    let sys = root.join("sys/fs/cgroup");
    let net = proc.join("net/dev");
    let under = |path: &str| sys.join(path.trim_start_matches('/'));
    let mut cpu = None;
    let mut memory = None;
    let mut unified = None;
    for line in cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        if !path.contains(container_id) {
            continue;
        }
        match controllers {
            "" => unified = Some(path.to_string()),
            c if c.split(',').any(|c| c == "cpuacct") => cpu = Some(under(&format!("cpuacct{path}"))),
            c if c.split(',').any(|c| c == "memory") => memory = Some(under(&format!("memory{path}"))),
            _ => {}
        }
    }
    let files = match (cpu, memory, unified) {
        (Some(cpu), Some(memory), _) => Files {
            version: StatsSource::CgroupV1,
            cpu,
            memory,
            net,
        },
        (_, _, Some(path)) => Files {
            version: StatsSource::CgroupV2,
            cpu: under(&path),
            memory: under(&path),
            net,
        },
        _ => return None,
    };
    read_files(&files).map(|_| files)
}

fn read_files(files: &Files) -> Option<Counters> {
    let at = Instant::now();
    let read = |dir: &Path, name: &str| std::fs::read_to_string(dir.join(name)).ok();
    let (cpu_ns, used, inactive, limit) = match files.version {
        StatsSource::CgroupV1 => {
            let cpu_ns = read(&files.cpu, "cpuacct.usage")?.trim().parse().ok()?;
            let used: u64 = read(&files.memory, "memory.usage_in_bytes")?.trim().parse().ok()?;
            let stat = read(&files.memory, "memory.stat")?;
            let limit: Option<u64> = read(&files.memory, "memory.limit_in_bytes").and_then(|l| l.trim().parse().ok());
            // v1 reports "no limit" as a huge page-aligned number.
            let limit = limit.filter(|l| *l < (1 << 60));
            (cpu_ns, used, stat_field(&stat, "total_inactive_file"), limit)
        }
        _ => {
            let usec = stat_field(&read(&files.cpu, "cpu.stat")?, "usage_usec")?;
            let used: u64 = read(&files.memory, "memory.current")?.trim().parse().ok()?;
            let stat = read(&files.memory, "memory.stat")?;
            let limit = read(&files.memory, "memory.max").and_then(|l| l.trim().parse().ok());
            (usec * 1000, used, stat_field(&stat, "inactive_file"), limit)
        }
    };
    let (rx, tx) = net_dev(&std::fs::read_to_string(&files.net).ok()?);
    Some(Counters {
        at,
        cpu_ns,
        memory: used.saturating_sub(inactive.unwrap_or(0)),
        limit,
        rx,
        tx,
    })
}

/// `key value` lines, as cgroup `*.stat` files have them.
fn stat_field(stat: &str, key: &str) -> Option<u64> {
    stat.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

/// Bytes received and sent on every interface but loopback.
fn net_dev(text: &str) -> (u64, u64) {
    text.lines()
        .skip(2)
        .filter_map(|l| {
            let (iface, rest) = l.split_once(':')?;
            if iface.trim() == "lo" {
                return None;
            }
            let fields: Vec<u64> = rest.split_whitespace().filter_map(|f| f.parse().ok()).collect();
            Some((*fields.first()?, *fields.get(8)?))
        })
        .fold((0, 0), |(rx, tx), (r, t)| (rx + r, tx + t))
}

/// One sample through Docker's stats API (one-shot: no second read inside).
async fn read_api(docker: &Docker, id: &str) -> Option<Counters> {
    let options = StatsOptionsBuilder::default().stream(false).one_shot(true).build();
    let stats = docker.stats(id, Some(options)).next().await?.ok()?;
    let at = Instant::now();
    let memory = stats.memory_stats.unwrap_or_default();
    let inactive = memory
        .stats
        .as_ref()
        .and_then(|s| s.get("total_inactive_file").or_else(|| s.get("inactive_file")).copied());
    let (rx, tx) = stats.networks.unwrap_or_default().values().fold((0, 0), |(rx, tx), n| {
        (rx + n.rx_bytes.unwrap_or(0), tx + n.tx_bytes.unwrap_or(0))
    });
    Some(Counters {
        at,
        cpu_ns: stats.cpu_stats?.cpu_usage?.total_usage?,
        memory: memory.usage.unwrap_or(0).saturating_sub(inactive.unwrap_or(0)),
        limit: memory.limit,
        rx,
        tx,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake host root with one container's cgroup v1 and v2 files.
    fn host(version: StatsSource) -> (tempfile::TempDir, String) {
        let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let id = "abc123".to_string();
        let write = |path: &str, text: &str| {
            let path = root.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap_or(root.path())).unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
        };
        let net = "Inter-|   Receive                                                |  Transmit\n \
             face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n\
             \x20   lo:     500       5    0    0    0     0          0         0      500       5    0    0    0     0       0          0\n\
             \x20 eth0:    1200      10    0    0    0     0          0         0      3400      20    0    0    0     0       0          0\n";
        write("proc/42/net/dev", net);
        match version {
            StatsSource::CgroupV1 => {
                write(
                    "proc/42/cgroup",
                    &format!("9:memory:/docker/{id}\n4:cpu,cpuacct:/docker/{id}\n0::/\n"),
                );
                write(
                    &format!("sys/fs/cgroup/cpuacct/docker/{id}/cpuacct.usage"),
                    "2500000000\n",
                );
                write(
                    &format!("sys/fs/cgroup/memory/docker/{id}/memory.usage_in_bytes"),
                    "10485760\n",
                );
                write(
                    &format!("sys/fs/cgroup/memory/docker/{id}/memory.stat"),
                    "cache 4096\ntotal_inactive_file 2097152\n",
                );
                write(
                    &format!("sys/fs/cgroup/memory/docker/{id}/memory.limit_in_bytes"),
                    "67108864\n",
                );
            }
            _ => {
                write("proc/42/cgroup", &format!("0::/system.slice/docker-{id}.scope\n"));
                let dir = format!("sys/fs/cgroup/system.slice/docker-{id}.scope");
                write(&format!("{dir}/cpu.stat"), "usage_usec 2500000\nuser_usec 1\n");
                write(&format!("{dir}/memory.current"), "10485760\n");
                write(&format!("{dir}/memory.stat"), "anon 1\ninactive_file 2097152\n");
                write(&format!("{dir}/memory.max"), "max\n");
            }
        }
        (root, id)
    }

    #[test]
    fn cgroup_v1_and_v2_counters_are_read_like_docker_stats() {
        for version in [StatsSource::CgroupV1, StatsSource::CgroupV2] {
            let (root, id) = host(version);
            let files = locate(root.path(), &id, 42).unwrap_or_else(|| panic!("{version:?} not located"));
            assert_eq!(files.version, version);
            let c = read_files(&files).unwrap_or_else(|| panic!("{version:?} not read"));
            assert_eq!(c.cpu_ns, 2_500_000_000, "{version:?}");
            assert_eq!(c.memory, 8 << 20, "{version:?}: usage minus inactive file cache");
            let limit = (version == StatsSource::CgroupV1).then_some(64 << 20);
            assert_eq!(c.limit, limit, "{version:?}: v2 says max");
            assert_eq!((c.rx, c.tx), (1200, 3400), "{version:?}: loopback not counted");
        }
    }

    #[test]
    fn a_process_of_another_cgroup_is_not_taken_for_the_container() {
        let (root, _) = host(StatsSource::CgroupV1);
        assert!(locate(root.path(), "someone-else", 42).is_none());
        assert!(locate(root.path(), "abc123", 7).is_none(), "no such process");
    }
}
