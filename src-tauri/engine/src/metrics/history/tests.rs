//! The history on a real SQLite file in a tempdir.

use super::*;
use crate::metrics::reduce::{Gap, Window};
use crate::metrics::tier::Retention;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;

fn open(dir: &tempfile::TempDir) -> History {
    History::open(&dir.path().join("metrics.db"), Keeping::default()).expect("opens")
}

fn cpu() -> SeriesKey {
    SeriesKey::new("cpu_percent", Some("AG-001"))
}

/// `seconds` of samples from `start`: value = second % 100 (percent).
fn fill(history: &mut History, key: &SeriesKey, start: i64, seconds: i64) {
    let id = history.id(key).expect("id");
    for s in 0..seconds {
        history.record(id, start + s * 1000, (s % 100) as f64).expect("record");
    }
}

fn window(from_ms: i64, to_ms: i64, width: u32) -> Window {
    Window { from_ms, to_ms, width }
}

#[test]
fn samples_come_back_from_every_tier_before_and_after_a_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let start = 10 * HOUR;
    {
        let mut h = open(&dir);
        fill(&mut h, &cpu(), start, 3 * 3600);
        // Read while open: the open blocks answer.
        let r = h
            .read(
                &cpu(),
                window(start, start + 100_000, 100),
                Some(Tier::Second),
                start + 4 * HOUR,
            )
            .expect("read");
        assert_eq!(r.columns.len(), 100);
        assert_eq!(r.columns[42].mean, 42.0);
        h.flush(start + 3 * HOUR).expect("flush");
    }
    let h = open(&dir);
    let now = start + 3 * HOUR;
    let seconds = h
        .read(&cpu(), window(start, start + 100_000, 100), Some(Tier::Second), now)
        .expect("read");
    assert_eq!(seconds.columns[99].max, 99.0);
    // Minutes: each holds 0..59 or 60..99,0..19 and so on; min/max/mean kept.
    let minutes = h
        .read(&cpu(), window(start, start + 2 * HOUR, 120), Some(Tier::Minute), now)
        .expect("read");
    assert_eq!(minutes.columns.len(), 120);
    assert_eq!((minutes.columns[0].min, minutes.columns[0].max), (0.0, 59.0));
    assert!((minutes.columns[0].mean - 29.5).abs() < 1e-9);
    // Hours: the first two closed (the third is still being summed up
    // and was not written: it is lost with the process, by design).
    let hours = h
        .read(&cpu(), window(start, start + 3 * HOUR, 3), Some(Tier::Hour), now)
        .expect("read");
    assert_eq!(hours.columns.len(), 2);
    assert_eq!((hours.columns[0].min, hours.columns[0].max), (0.0, 99.0));
}

#[test]
fn a_restart_within_a_block_continues_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let start = 10 * HOUR;
    {
        let mut h = open(&dir);
        fill(&mut h, &cpu(), start, 100);
        h.flush(start + 100_000).expect("flush");
    }
    let mut h = open(&dir);
    // The app was away 50 s, then samples again in the same block.
    fill(&mut h, &cpu(), start + 150_000, 100);
    h.flush(start + 250_000).expect("flush");
    let h = open(&dir);
    let w = window(start, start + 250_000, 250);
    let r = h.read(&cpu(), w, Some(Tier::Second), start + 400_000).expect("read");
    assert_eq!(r.columns.len(), 200, "both stretches kept");
    let heartbeat = cpu();
    let gaps = h.gaps(&heartbeat, w, Tier::Second, start + 400_000).expect("gaps");
    assert_eq!(
        gaps,
        vec![Gap {
            from_ms: start + 100_000,
            to_ms: start + 150_000
        }]
    );
}

#[test]
fn latency_percentiles_merge_over_minutes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = open(&dir);
    let key = SeriesKey::new("task_latency_ms", Some("AG-001"));
    let id = h.id(&key).expect("id");
    let start = 10 * HOUR;
    // 10 minutes, one second each with 1..=100 ms; minute 7 also 5 s.
    for minute in 0..10 {
        let mut second = crate::latency::latency_histogram();
        for ms in 1..=100_u64 {
            second.record(ms * 1000).expect("in range");
        }
        if minute == 7 {
            second.record(5_000_000).expect("in range");
        }
        h.record_latencies(id, start + minute * MIN, &second).expect("record");
    }
    let p100 = SeriesKey::parse("task_latency_ms:p99{AG-001}").expect("key");
    let r = h
        .read(
            &p100,
            window(start, start + 10 * MIN, 10),
            Some(Tier::Minute),
            start + HOUR,
        )
        .expect("read");
    assert_eq!(r.columns.len(), 10);
    // Two significant digits: within 1 %.
    assert!((r.columns[0].mean - 99.0).abs() <= 1.5, "{:?}", r.columns[0]);
    // All ten minutes in one column: the one slow call is past p99.
    let one = h
        .read(
            &p100,
            window(start, start + 10 * MIN, 1),
            Some(Tier::Minute),
            start + HOUR,
        )
        .expect("read");
    assert!((one.columns[0].mean - 99.0).abs() <= 1.5, "{:?}", one.columns[0]);
}

#[test]
fn retention_drops_old_blocks_and_the_size_limit_the_oldest_detail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keeping = Keeping {
        retention: Retention {
            second_ms: HOUR,
            ..Retention::default()
        },
        max_bytes: 1 << 30,
    };
    let mut h = History::open(&dir.path().join("metrics.db"), keeping).expect("opens");
    let start = 10 * HOUR;
    fill(&mut h, &cpu(), start, 3 * 3600);
    h.flush(start + 3 * HOUR).expect("flush");
    let now = start + 3 * HOUR;
    let old = h
        .read(&cpu(), window(start, start + HOUR, 60), Some(Tier::Second), now)
        .expect("read");
    assert!(old.columns.is_empty(), "seconds older than an hour are gone");
    let kept = h
        .read(&cpu(), window(start, start + HOUR, 60), Some(Tier::Minute), now)
        .expect("read");
    assert_eq!(kept.columns.len(), 60, "their minutes stay");

    // A limit below what is stored: seconds go first, minutes stay.
    let mut small = History::open(
        &dir.path().join("small.db"),
        Keeping {
            max_bytes: 64 * 1024,
            ..Keeping::default()
        },
    )
    .expect("opens");
    for agent in 1..=40 {
        let key = SeriesKey::new("cpu_percent", Some(&format!("AG-{agent:03}")));
        fill(&mut small, &key, start, 1800);
    }
    small.flush(start + 1800 * 1000).expect("flush");
    assert!(small.size_bytes().expect("size") <= 64 * 1024);
    let minutes = small
        .read(
            &cpu(),
            window(start, start + 1800 * 1000, 30),
            Some(Tier::Minute),
            start + HOUR,
        )
        .expect("read");
    assert_eq!(minutes.columns.len(), 30);
}

#[test]
fn a_broken_block_is_an_error_that_names_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let start = 10 * HOUR;
    {
        let mut h = open(&dir);
        fill(&mut h, &cpu(), start, 60);
        h.flush(start + MIN).expect("flush");
    }
    let db = Connection::open(dir.path().join("metrics.db")).expect("opens");
    db.execute("UPDATE blocks SET data = x'01020304'", []).expect("garble");
    let h = open(&dir);
    let err = h
        .read(&cpu(), window(start, start + MIN, 60), Some(Tier::Second), start + HOUR)
        .expect_err("a broken block");
    let text = err.to_string();
    assert!(
        text.contains("cpu_percent{AG-001}") && text.contains("cut short"),
        "{text}"
    );
}

#[test]
fn a_window_sums_its_seconds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = open(&dir);
    let start = 10 * HOUR;
    fill(&mut h, &cpu(), start, 100);
    let t = h.total(&cpu(), start, start + 10_000).expect("total");
    assert_eq!((t.sum, t.count), (45.0, 10));
    let none = h.total(&cpu(), start - 10_000, start).expect("total");
    assert_eq!((none.sum, none.count), (0.0, 0));
}
