//! What the app itself and the machine cost, from the kernel's files
//! (`/proc/self/stat`, `/proc/self/statm`, `/proc/stat`, `/proc/meminfo`).
//! A handful of numbers a second: reading them by hand is cheaper than a
//! system-information crate that walks every process.

use std::path::{Path, PathBuf};

/// Linux reports process times in USER_HZ, which is 100 on every
/// architecture it runs on (the kernel converts).
const TICKS_PER_SECOND: f64 = 100.0;
/// The page size of x86_64 and aarch64 Linux (statm counts pages).
const PAGE_BYTES: u64 = 4096;

/// The raw counters of one read.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HostCounters {
    /// The app's CPU time in ticks (user + system).
    pub app_ticks: u64,
    pub app_resident_bytes: u64,
    /// The machine's busy and total jiffies over all cores.
    pub busy_ticks: u64,
    pub total_ticks: u64,
    pub cores: u32,
    pub memory_used_bytes: u64,
}

/// Figures between two reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HostFigures {
    pub app_cpu_percent: f64,
    pub app_memory_bytes: f64,
    pub machine_cpu_percent: f64,
    pub machine_memory_bytes: f64,
}

/// Where the files are (a test points this at a folder of its own).
#[derive(Debug, Clone)]
pub struct Proc {
    root: PathBuf,
}

impl Default for Proc {
    fn default() -> Proc {
        Proc {
            root: PathBuf::from("/proc"),
        }
    }
}

impl Proc {
    pub fn at(root: &Path) -> Proc {
        Proc {
            root: root.to_path_buf(),
        }
    }

    /// Reads every counter; `None` where a file is missing (not Linux).
    pub fn read(&self) -> Option<HostCounters> {
        let read = |name: &str| std::fs::read_to_string(self.root.join(name)).ok();
        let app_ticks = process_ticks(&read("self/stat")?)?;
        let app_resident_bytes = resident_pages(&read("self/statm")?)? * PAGE_BYTES;
        let (busy_ticks, total_ticks, cores) = machine_ticks(&read("stat")?)?;
        let memory_used_bytes = memory_used(&read("meminfo")?)?;
        Some(HostCounters {
            app_ticks,
            app_resident_bytes,
            busy_ticks,
            total_ticks,
            cores,
            memory_used_bytes,
        })
    }
}

/// The figures between `before` and `now`, `seconds` apart.
pub fn figures(before: &HostCounters, now: &HostCounters, seconds: f64) -> HostFigures {
    let app = now.app_ticks.saturating_sub(before.app_ticks) as f64 / TICKS_PER_SECOND;
    let total = now.total_ticks.saturating_sub(before.total_ticks) as f64;
    let busy = now.busy_ticks.saturating_sub(before.busy_ticks) as f64;
    HostFigures {
        app_cpu_percent: if seconds > 0.0 { app / seconds * 100.0 } else { 0.0 },
        app_memory_bytes: now.app_resident_bytes as f64,
        // Percent of one core, like every CPU figure of the app.
        machine_cpu_percent: if total > 0.0 {
            busy / total * f64::from(now.cores) * 100.0
        } else {
            0.0
        },
        machine_memory_bytes: now.memory_used_bytes as f64,
    }
}

/// utime + stime of `/proc/<pid>/stat` (fields 14 and 15; the command
/// name in parentheses may hold spaces, so count from its end).
fn process_ticks(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) is index 11.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

fn resident_pages(statm: &str) -> Option<u64> {
    statm.split_whitespace().nth(1)?.parse().ok()
}

/// Busy and total ticks of the `cpu` line, and the number of `cpuN` lines.
fn machine_ticks(stat: &str) -> Option<(u64, u64, u32)> {
    let mut lines = stat.lines();
    let first = lines.next()?;
    let values: Vec<u64> = first
        .strip_prefix("cpu ")?
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest is in user).
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3)? + values.get(4).copied().unwrap_or(0);
    let cores = lines.filter(|l| l.starts_with("cpu")).count();
    Some((
        total.saturating_sub(idle),
        total,
        u32::try_from(cores.max(1)).unwrap_or(1),
    ))
}

/// MemTotal − MemAvailable, in bytes.
fn memory_used(meminfo: &str) -> Option<u64> {
    let field = |name: &str| {
        meminfo
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
    };
    Some(field("MemTotal:")?.saturating_sub(field("MemAvailable:")?) * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_kernel_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("self")).expect("mkdir");
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).expect("write");
        write(
            "self/stat",
            "4242 (sut azai) S 1 4242 4242 0 -1 4194560 1 0 0 0 250 50 0 0 20 0 9 0 1 1 1",
        );
        write("self/statm", "100000 2560 300 1 0 500 0");
        write(
            "stat",
            "cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 50 0 50 350 50 0 0 0 0 0\ncpu1 50 0 50 350 50 0 0 0 0 0\nintr 1",
        );
        write(
            "meminfo",
            "MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    400 kB\n",
        );
        let counters = Proc::at(dir.path()).read().expect("read");
        assert_eq!(
            counters,
            HostCounters {
                app_ticks: 300,
                app_resident_bytes: 2560 * 4096,
                busy_ticks: 200,
                total_ticks: 1000,
                cores: 2,
                memory_used_bytes: 600 * 1024,
            }
        );
        let later = HostCounters {
            app_ticks: 350,
            busy_ticks: 300,
            total_ticks: 1200,
            ..counters
        };
        let f = figures(&counters, &later, 1.0);
        assert_eq!(f.app_cpu_percent, 50.0);
        // 100 busy of 200 ticks on two cores: one whole core.
        assert_eq!(f.machine_cpu_percent, 100.0);
    }

    #[test]
    fn a_missing_file_is_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(Proc::at(dir.path()).read(), None);
    }

    #[test]
    fn this_machine_answers() {
        // Linux: the real files parse.
        assert!(Proc::default().read().is_some());
    }
}
