//! CPU time per group of processes (this process, dockerd, docker-proxy,
//! containerd and its shims) from /proc, over a window.

use super::*;

/// Whose CPU a process's time counts towards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Group {
    Bench,
    Dockerd,
    DockerProxy,
    Containerd,
    Shims,
    Agents,
}

impl Group {
    /// The groups the goal's total counts (the agents' own work is not
    /// monitoring).
    pub(crate) const DAEMONS: [Group; 5] = [
        Group::Bench,
        Group::Dockerd,
        Group::DockerProxy,
        Group::Containerd,
        Group::Shims,
    ];

    pub(crate) fn label(self) -> &'static str {
        match self {
            Group::Bench => "this process (the engine runs inside it)",
            Group::Dockerd => "dockerd",
            Group::DockerProxy => "docker-proxy (dockerd's port forwarders)",
            Group::Containerd => "containerd",
            Group::Shims => "containerd-shim (one per container)",
            Group::Agents => "the agents themselves",
        }
    }
}

/// `(ppid, comm, utime+stime, cutime+cstime)` of a process, in ticks.
pub(crate) fn proc_stat(pid: u32) -> Option<(u32, String, u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_string();
    let f: Vec<&str> = text[close + 2..].split_whitespace().collect();
    let n = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
    Some((n(1)? as u32, comm, n(11)? + n(12)?, n(13)? + n(14)?))
}

/// Ticks per process at one moment, with the machine's busy ticks.
pub(crate) struct Snapshot {
    pub(crate) at: Instant,
    pub(crate) procs: HashMap<u32, (Group, u64, u64)>,
    pub(crate) machine_busy: u64,
    /// This process's threads: name and ticks, by thread id.
    pub(crate) threads: HashMap<u32, (String, u64)>,
}

pub(crate) fn own_threads() -> HashMap<u32, (String, u64)> {
    let mut threads = HashMap::new();
    for entry in std::fs::read_dir("/proc/self/task").expect("/proc/self/task").flatten() {
        let Some(tid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (text.find('('), text.rfind(')')) else {
            continue;
        };
        let f: Vec<&str> = text[close + 2..].split_whitespace().collect();
        let n = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        threads.insert(tid, (text[open + 1..close].to_string(), n(11) + n(12)));
    }
    threads
}

pub(crate) fn snapshot() -> Snapshot {
    let me = std::process::id();
    let mut all = HashMap::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        if let Some(stat) = proc_stat(pid) {
            all.insert(pid, stat);
        }
    }
    let group_of = |pid: u32, comm: &str, ppid: u32| -> Option<Group> {
        if pid == me {
            return Some(Group::Bench);
        }
        match comm {
            "dockerd" => Some(Group::Dockerd),
            "docker-proxy" => Some(Group::DockerProxy),
            "containerd" => Some(Group::Containerd),
            c if c.starts_with("containerd-shim") => Some(Group::Shims),
            _ if all.get(&ppid).is_some_and(|p| p.1.starts_with("containerd-shim")) => Some(Group::Agents),
            _ => None,
        }
    };
    let procs = all
        .iter()
        .filter_map(|(pid, (ppid, comm, own, reaped))| Some((*pid, (group_of(*pid, comm, *ppid)?, *own, *reaped))))
        .collect();
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let cpu: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal: busy = all − idle − iowait.
    let machine_busy =
        cpu.iter().take(8).sum::<u64>() - cpu.get(3).copied().unwrap_or(0) - cpu.get(4).copied().unwrap_or(0);
    Snapshot {
        at: Instant::now(),
        procs,
        machine_busy,
        threads: own_threads(),
    }
}

/// % of one core per group over a window.
pub(crate) struct Usage {
    pub(crate) secs: f64,
    pub(crate) by_group: BTreeMap<Group, f64>,
    pub(crate) counts: BTreeMap<Group, usize>,
    /// Time of children these processes reaped (runc, Docker's HEALTHCHECK execs).
    pub(crate) reaped: f64,
    pub(crate) machine: f64,
    /// Processes that came or went during the window.
    pub(crate) churn: usize,
    /// This process by thread name: % of one core and how many threads.
    pub(crate) threads: BTreeMap<String, (f64, usize)>,
}

impl Usage {
    pub(crate) fn total(&self) -> f64 {
        Group::DAEMONS
            .iter()
            .map(|g| self.by_group.get(g).copied().unwrap_or(0.0))
            .sum()
    }
    pub(crate) fn of(&self, g: Group) -> f64 {
        self.by_group.get(&g).copied().unwrap_or(0.0)
    }
}

pub(crate) fn clk_tck() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

pub(crate) fn usage(before: &Snapshot, after: &Snapshot, tck: f64) -> Usage {
    let secs = after.at.duration_since(before.at).as_secs_f64();
    let pct = |ticks: u64| ticks as f64 / tck / secs * 100.0;
    let mut by_group = BTreeMap::new();
    let mut counts = BTreeMap::new();
    let mut reaped = 0;
    let mut churn = 0;
    for (pid, (group, own, children)) in &after.procs {
        let Some((_, own0, children0)) = before.procs.get(pid) else {
            churn += 1;
            continue;
        };
        *by_group.entry(*group).or_insert(0.0) += pct(own.saturating_sub(*own0));
        *counts.entry(*group).or_insert(0) += 1;
        if *group != Group::Agents {
            reaped += children.saturating_sub(*children0);
        }
    }
    churn += before.procs.keys().filter(|p| !after.procs.contains_key(p)).count();
    let mut threads: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    for (tid, (name, ticks)) in &after.threads {
        let name = if *tid == std::process::id() {
            "main (the bench's loop, its fleet_stats() calls)".to_string()
        } else if name.starts_with("notify-rs") {
            format!("{name}… (the engine's catalog watch)")
        } else if name.starts_with("tokio-r") {
            format!("{name} (engine tasks)")
        } else {
            name.clone()
        };
        let ticks = ticks.saturating_sub(before.threads.get(tid).map_or(0, |t| t.1));
        let entry = threads.entry(name).or_insert((0.0, 0));
        entry.0 += pct(ticks);
        entry.1 += 1;
    }
    Usage {
        secs,
        by_group,
        counts,
        reaped: pct(reaped),
        machine: pct(after.machine_busy.saturating_sub(before.machine_busy)),
        churn,
        threads,
    }
}

/// Runs `load` once a second (as close as it can) for `window`, measuring CPU.
/// Returns the usage and each round's duration.
pub(crate) async fn measure<F, Fut>(window: Duration, tck: f64, mut load: F) -> (Usage, Vec<f64>)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let before = snapshot();
    let end = Instant::now() + window;
    let mut rounds = Vec::new();
    while Instant::now() < end {
        let started = Instant::now();
        load().await;
        rounds.push(secs(started.elapsed()));
        let next = (started + Duration::from_secs(1)).min(end);
        tokio::time::sleep_until(next.into()).await;
    }
    (usage(&before, &snapshot(), tck), rounds)
}
