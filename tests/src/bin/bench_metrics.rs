//! `bench-metrics`: what the metrics pipeline costs, each figure next to a
//! reference measured in the same run.
//!
//! - **store**: a day of 1 s samples for 69 agents (every series the
//!   collector writes for them and for the fleet, with realistic shapes:
//!   noisy CPU, slowly moving memory, counters mostly zero) written into
//!   the history in bulk: samples per second (goal ≥ 200,000/s) and bytes
//!   on disk per sample at full detail (goal ≤ 2), against one SQLite row
//!   per sample (an hour of the same samples, the design not taken).
//! - **query**: a 24 h chart read from full detail and drawn by plotters
//!   (goal ≤ 30 ms) and a 3,600-point chart (goal ≤ 5 ms), against the same
//!   24 h chart from the minute tier the range picks on its own.
//! - **open blocks**: the history's memory after the longest life of a
//!   block of seconds (599 s of the same samples fed one second at a time,
//!   flushed each minute as the app does): live heap bytes, against the
//!   same samples kept as plain `i64` columns (offset and value per
//!   second, what the open blocks held before they were packed).
//! - **memory**: `sutazai-headless` idle on a data dir holding that day of
//!   history against one with an empty store: resident memory after
//!   settling (goal: no more than +20 MB).
//! - **collection** (with `--fleet`): all 69 agents deployed, the engine's
//!   CPU over a minute with collection on against the same fleet with it
//!   off (`metrics_collect = false`), in % of one core (goal ≤ 1 %).
//!
//! Run: `./.dev/bench metrics` (the fleet part needs Docker and the agents'
//! ports free).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a benchmark that cannot run should stop loudly

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use stats_alloc::{Region, StatsAlloc};
use sutazai_engine::fleet::model::FailurePolicy;
use sutazai_engine::metrics::chart::{self, ChartSpec};
use sutazai_engine::metrics::history::{History, Keeping, SeriesId};
use sutazai_engine::metrics::reduce::Window;
use sutazai_engine::metrics::series::SeriesKey;
use sutazai_engine::metrics::tier::Tier;
use sutazai_engine::metrics::{MetricsReading, SeriesReading};
use sutazai_engine::security::Principal;
use sutazai_engine::{Engine, SystemClock};

/// mimalloc, as the app, counted: the open blocks' share of the heap.
#[global_allocator]
static ALLOCATOR: StatsAlloc<mimalloc::MiMalloc> = StatsAlloc::new(mimalloc::MiMalloc);

const AGENTS: usize = 69;
const DAY_S: i64 = 86_400;
/// The day ends here (a whole day, aligned to blocks).
const END_MS: i64 = 1_800_000_000_000;

/// How a series moves.
#[derive(Clone, Copy)]
enum Shape {
    /// Noisy around a level (CPU percent).
    Noisy(f64, f64),
    /// A level that steps now and then (memory bytes).
    Drifting(f64),
    /// Mostly zero, sometimes a few (counters per second).
    Sparse,
    /// A constant (agents deployed).
    Level(f64),
}

/// The series the collector writes for 69 agents and the fleet.
fn series() -> Vec<(SeriesKey, Shape)> {
    let mut out = Vec::new();
    let per_agent: [(&'static str, Shape); 14] = [
        ("cpu_percent", Shape::Noisy(1.5, 1.0)),
        ("memory_bytes", Shape::Drifting(6.0e6)),
        ("net_rx_bytes", Shape::Noisy(300.0, 200.0)),
        ("net_tx_bytes", Shape::Noisy(250.0, 200.0)),
        ("restarts", Shape::Level(0.0)),
        ("tasks_started", Shape::Sparse),
        ("tasks_succeeded", Shape::Sparse),
        ("tasks_failed", Shape::Level(0.0)),
        ("active_tasks", Shape::Sparse),
        ("breakers_open", Shape::Level(0.0)),
        ("agent_llm_calls", Shape::Sparse),
        ("agent_llm_cache_hits", Shape::Sparse),
        ("agent_llm_tokens_in", Shape::Sparse),
        ("agent_llm_tokens_out", Shape::Sparse),
    ];
    for i in 1..=AGENTS {
        let agent = format!("AG-{i:03}");
        for (metric, shape) in per_agent {
            out.push((SeriesKey::new(metric, Some(&agent)), shape));
        }
    }
    for (metric, shape) in per_agent {
        out.push((SeriesKey::new(metric, None), shape));
    }
    let system: [(&'static str, Shape); 15] = [
        ("queue_depth", Shape::Sparse),
        ("agents_healthy", Shape::Level(69.0)),
        ("agents_deployed", Shape::Level(69.0)),
        ("llm_calls", Shape::Sparse),
        ("llm_cache_hits", Shape::Sparse),
        ("llm_tokens_in", Shape::Sparse),
        ("llm_tokens_out", Shape::Sparse),
        ("runs_started", Shape::Sparse),
        ("runs_succeeded", Shape::Sparse),
        ("runs_failed", Shape::Level(0.0)),
        ("runs_active", Shape::Sparse),
        ("app_cpu_percent", Shape::Noisy(2.0, 1.0)),
        ("app_memory_bytes", Shape::Drifting(9.0e7)),
        ("machine_cpu_percent", Shape::Noisy(20.0, 8.0)),
        ("machine_memory_bytes", Shape::Drifting(3.0e9)),
    ];
    for (metric, shape) in system {
        out.push((SeriesKey::new(metric, None), shape));
    }
    out
}

/// A small, fast generator (the figures need no better randomness).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The samples of one second, for every series (`state` carries drifts).
fn values(shapes: &[Shape], state: &mut [f64], rng: &mut Rng, out: &mut Vec<f64>) {
    out.clear();
    for (shape, s) in shapes.iter().zip(state.iter_mut()) {
        let v = match *shape {
            Shape::Noisy(level, spread) => (level + (rng.next() - 0.5) * 2.0 * spread).max(0.0),
            Shape::Drifting(level) => {
                if *s == 0.0 {
                    *s = level;
                }
                if rng.next() < 0.05 {
                    *s += ((rng.next() - 0.5) * 65_536.0).round() * 4.0;
                }
                *s
            }
            Shape::Sparse => {
                let r = rng.next();
                if r < 0.9 {
                    0.0
                } else {
                    (r * 40.0).floor() - 35.0
                }
            }
            Shape::Level(v) => v,
        };
        out.push(v.max(0.0));
    }
}

/// Writes `seconds` of samples ending at END_MS into the history at `path`;
/// the samples written and the seconds it took.
fn fill(path: &Path, seconds: i64) -> (u64, f64) {
    let all = series();
    let shapes: Vec<Shape> = all.iter().map(|(_, s)| *s).collect();
    let mut history = History::open(path, Keeping::default()).unwrap();
    let ids: Vec<SeriesId> = all.iter().map(|(k, _)| history.id(k).unwrap()).collect();
    let mut state = vec![0.0; all.len()];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut row = Vec::with_capacity(all.len());
    let start = END_MS - seconds * 1000;
    let began = Instant::now();
    let mut samples = 0u64;
    for s in 0..seconds {
        let at = start + s * 1000;
        values(&shapes, &mut state, &mut rng, &mut row);
        for (id, v) in ids.iter().zip(&row) {
            history.record(*id, at, *v).unwrap();
        }
        samples += ids.len() as u64;
        // The history's thread writes once a minute; in bulk, every ten.
        if s % 600 == 599 {
            history.flush(at).unwrap();
        }
    }
    history.flush(END_MS).unwrap();
    (samples, began.elapsed().as_secs_f64())
}

/// The same samples as one SQLite row each (an hour of them): rows per
/// second and bytes per row.
fn rows_reference(path: &Path, seconds: i64) -> (f64, f64) {
    let all = series();
    let shapes: Vec<Shape> = all.iter().map(|(_, s)| *s).collect();
    let mut db = rusqlite::Connection::open(path).unwrap();
    db.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
         CREATE TABLE samples (series INTEGER NOT NULL, at_ms INTEGER NOT NULL, value REAL NOT NULL,
                               PRIMARY KEY (series, at_ms)) WITHOUT ROWID;",
    )
    .unwrap();
    let mut state = vec![0.0; all.len()];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut row = Vec::with_capacity(all.len());
    let began = Instant::now();
    let tx = db.transaction().unwrap();
    {
        let mut put = tx.prepare("INSERT INTO samples VALUES (?1, ?2, ?3)").unwrap();
        for s in 0..seconds {
            values(&shapes, &mut state, &mut rng, &mut row);
            for (i, v) in row.iter().enumerate() {
                put.execute(rusqlite::params![i as i64, s * 1000, v]).unwrap();
            }
        }
    }
    tx.commit().unwrap();
    let took = began.elapsed().as_secs_f64();
    db.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
    let rows = (seconds as usize * all.len()) as f64;
    (rows / took, file_bytes(path) as f64 / rows)
}

/// Live heap bytes now.
fn heap_bytes(region: &Region<'_, mimalloc::MiMalloc>) -> f64 {
    let change = region.change();
    // A reallocation's growth is counted in `bytes_allocated` already.
    change.bytes_allocated as f64 - change.bytes_deallocated as f64
}

/// The history's heap growth over the 599 s one block of seconds lives,
/// in MB, and the same samples' size as plain `i64` columns.
fn open_blocks_mb(path: &Path) -> (f64, f64) {
    let all = series();
    let shapes: Vec<Shape> = all.iter().map(|(_, s)| *s).collect();
    let mut history = History::open(path, Keeping::default()).unwrap();
    let ids: Vec<SeriesId> = all.iter().map(|(k, _)| history.id(k).unwrap()).collect();
    let mut state = vec![0.0; all.len()];
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut row = Vec::with_capacity(all.len());
    let start = Tier::Second.block_start(END_MS);
    let region = Region::new(&ALLOCATOR);
    let mut plain: Vec<(Vec<i64>, Vec<i64>)> = vec![(Vec::new(), Vec::new()); all.len()];
    for s in 0..599 {
        let at = start + s * 1000;
        values(&shapes, &mut state, &mut rng, &mut row);
        for ((id, v), (offsets, stored)) in ids.iter().zip(&row).zip(plain.iter_mut()) {
            history.record(*id, at, *v).unwrap();
            offsets.push(s);
            stored.push(v.round() as i64);
        }
        if s % 60 == 59 {
            history.flush(at).unwrap();
        }
    }
    history.flush(start + 599_000).unwrap();
    let reference = plain
        .iter()
        .map(|(o, v)| (o.capacity() + v.capacity()) * 8)
        .sum::<usize>() as f64
        / 1e6;
    drop(plain);
    let packed = heap_bytes(&region) / 1e6;
    drop(history);
    (packed, reference)
}

fn file_bytes(path: &Path) -> u64 {
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) + std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
}

/// Reads and draws one chart: milliseconds, median of `n`.
fn chart_ms(history: &History, keys: &[SeriesKey], window: Window, tier: Option<Tier>, n: usize) -> (f64, Tier, usize) {
    let spec = ChartSpec {
        title: "bench".into(),
        width: window.width,
        height: 240,
        utc_offset_minutes: 0,
        dark: false,
    };
    let mut times = Vec::new();
    let mut last = (Tier::Second, 0);
    for _ in 0..n {
        let began = Instant::now();
        let mut series = Vec::new();
        let mut chosen = tier;
        for key in keys {
            let r = history.read(key, window, chosen, END_MS).unwrap();
            chosen = Some(r.tier);
            last = (r.tier, r.columns.len());
            series.push(SeriesReading {
                key: key.to_string(),
                metric: key.metric().name.to_string(),
                unit: key.metric().unit,
                columns: r.columns,
            });
        }
        let tier = chosen.unwrap_or(Tier::Second);
        let gaps = history
            .gaps(&SeriesKey::new("app_memory_bytes", None), window, tier, END_MS)
            .unwrap();
        let reading = MetricsReading {
            from_ms: window.from_ms,
            to_ms: window.to_ms,
            width: window.width,
            tier,
            gaps,
            series,
        };
        let (svg, _) = chart::svg(&reading, &spec).unwrap();
        assert!(svg.len() > 1000);
        times.push(began.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], last.0, last.1)
}

/// Resident memory of `sutazai-headless` on `data_dir` after it settled, MB.
fn headless_rss_mb(binary: &Path, data_dir: &Path) -> f64 {
    let port = sutazai_tests::agent::free_port();
    let mut child = Command::new(binary)
        .env("SUTAZAI_DATA_DIR", data_dir)
        .env("SUTAZAI_API_LISTEN", format!("127.0.0.1:{port}"))
        .env("SUTAZAI_LOG", "warn")
        .env("SUTAZAI_DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(20));
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    kb / 1024.0
}

/// CPU seconds this process has used (user + system).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 1..];
    let f: Vec<&str> = after.split_whitespace().collect();
    (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) / 100.0
}

/// The engine's CPU in % of one core over `seconds`, with 69 agents up.
async fn engine_cpu(data_dir: &Path, listen: &str, collect: bool, seconds: u64) -> f64 {
    let flag = if collect { "true" } else { "false" };
    let (config, report) = sutazai_tests::engine::config(
        data_dir,
        &[
            ("SUTAZAI_API_LISTEN", listen),
            ("SUTAZAI_LOG", "warn"),
            ("SUTAZAI_METRICS_COLLECT", flag),
        ],
    );
    let engine = Engine::start(config, report, Arc::new(SystemClock)).await.unwrap();
    for phase in 1..=3 {
        let report = engine
            .deploy_phase(phase, FailurePolicy::KeepHealthy, &Principal::Desktop, |_| {})
            .await
            .unwrap();
        assert!(report.healthy > 0, "phase {phase} did not deploy: {report:?}");
    }
    // Settle: the fleet's watch and the first stats reads.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let before = cpu_seconds();
    let began = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let used = cpu_seconds() - before;
    let percent = used / began.elapsed().as_secs_f64() * 100.0;
    engine.shutdown(Duration::from_secs(5)).await;
    percent
}

fn line(label: &str, value: f64, unit: &str, reference: &str, goal: &str) {
    println!("  {label:<52} {value:>12.2} {unit:<10} {reference:<40} {goal}");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let fleet = std::env::args().any(|a| a == "--fleet");
    let dir = tempfile::tempdir().unwrap();
    let with_history = dir.path().join("with-history");
    std::fs::create_dir_all(&with_history).unwrap();
    let db = with_history.join(sutazai_engine::engine::METRICS_FILE);
    let count = series().len();
    println!("Metrics history: {count} series (69 agents and the fleet), 1 s samples");

    // (2) and (3): the day in bulk, against a row per sample.
    let (samples, took) = fill(&db, DAY_S);
    let history = History::open(&db, Keeping::default()).unwrap();
    let stored = history.size_bytes().unwrap();
    let (row_rate, row_bytes) = rows_reference(&dir.path().join("rows.db"), 3_600);
    println!("Storing (a day written in bulk; the reference: an hour as one SQLite row per sample):");
    line(
        "samples stored per second",
        samples as f64 / took,
        "samples/s",
        &format!("rows: {row_rate:.0} rows/s"),
        "(goal ≥ 200,000/s)",
    );
    line(
        "bytes on disk per 1 s sample (all tiers counted)",
        stored as f64 / samples as f64,
        "bytes",
        &format!("rows: {row_bytes:.1} bytes/row"),
        "(goal ≤ 2)",
    );
    println!(
        "  the day: {samples} samples, {:.1} MB on disk, written in {took:.1} s",
        stored as f64 / 1e6
    );

    // (4) Reading and drawing.
    let fleet_cpu = [SeriesKey::new("cpu_percent", Some("AG-001"))];
    let latency_like = [
        SeriesKey::new("app_cpu_percent", None),
        SeriesKey::new("machine_cpu_percent", None),
    ];
    let day = Window {
        from_ms: END_MS - DAY_S * 1000,
        to_ms: END_MS,
        width: 800,
    };
    let hour = Window {
        from_ms: END_MS - 3_600_000,
        to_ms: END_MS,
        width: 800,
    };
    let (minute_ms, minute_tier, minute_cols) = chart_ms(&history, &fleet_cpu, day, None, 21);
    let (full_ms, _, full_cols) = chart_ms(&history, &fleet_cpu, day, Some(Tier::Second), 21);
    let (hour_ms, _, hour_cols) = chart_ms(&history, &latency_like[..1], hour, Some(Tier::Second), 21);
    println!("Query and draw (SVG, 800 px wide; median of 21):");
    line(
        "24 h chart from full detail (86,400 points)",
        full_ms,
        "ms",
        &format!("{minute_tier:?} tier: {minute_ms:.2} ms ({minute_cols} columns)"),
        "(goal ≤ 30 ms)",
    );
    line("3,600-point chart (1 h of seconds)", hour_ms, "ms", "", "(goal ≤ 5 ms)");
    println!("  columns drawn: {full_cols} (day), {hour_cols} (hour)");

    // (6) The open blocks in memory.
    let (packed_mb, plain_mb) = open_blocks_mb(&dir.path().join("open.db"));
    println!("Open blocks in memory (599 s of seconds, live heap of the history):");
    line(
        "history after a block's whole life",
        packed_mb,
        "MB",
        &format!("plain i64 columns: {plain_mb:.1} MB"),
        "",
    );

    // (5) Idle memory with the day of history against an empty store.
    if let Some(headless) = std::env::var_os("SUTAZAI_HEADLESS") {
        let empty = dir.path().join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        let headless = PathBuf::from(headless);
        let with = headless_rss_mb(&headless, &with_history);
        let without = headless_rss_mb(&headless, &empty);
        println!("Idle memory of sutazai-headless (VmRSS after 20 s, Docker away):");
        line(
            "with a day of history for 69 agents",
            with,
            "MB",
            &format!("empty store: {without:.1} MB"),
            &format!("(+{:.1} MB; goal ≤ +20 MB)", with - without),
        );
    }

    // (1) Collection's CPU over the same fleet.
    if fleet {
        let data = dir.path().join("fleet");
        std::fs::create_dir_all(&data).unwrap();
        println!("Collection with 69 agents deployed (the engine's CPU over 60 s, % of one core):");
        // One address for both engines: the agents keep the hub's URL.
        let listen = format!("127.0.0.1:{}", sutazai_tests::agent::free_port());
        let off = engine_cpu(&data, &listen, false, 60).await;
        let on = engine_cpu(&data, &listen, true, 60).await;
        line(
            "engine with collection on",
            on,
            "% core",
            &format!("off: {off:.2} % core"),
            &format!("(collection: {:+.2} %; goal ≤ 1 %)", on - off),
        );
        let (config, report) =
            sutazai_tests::engine::config(&data, &[("SUTAZAI_API_LISTEN", &listen), ("SUTAZAI_LOG", "warn")]);
        let engine = Engine::start(config, report, Arc::new(SystemClock)).await.unwrap();
        for phase in 1..=3 {
            engine.undeploy_phase(phase, &Principal::Desktop).await.unwrap();
        }
        engine.shutdown(Duration::from_secs(5)).await;
    }
}
