//! What the benchmark binaries share: latency in a row of sequential
//! requests and throughput under concurrent clients, both in microseconds
//! on hdrhistogram, and one way to print a latency row.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a benchmark that cannot run should stop loudly

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// Prints `name p50 … p99 … max …` in milliseconds.
pub fn row(name: &str, h: &Histogram<u64>) {
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "  {name:<46} p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms",
        ms(0.50),
        ms(0.99),
        h.max() as f64 / 1000.0
    );
}

/// `h`'s quantile `q` minus `reference`'s, in milliseconds.
pub fn added_ms(h: &Histogram<u64>, reference: &Histogram<u64>, q: f64) -> f64 {
    (h.value_at_quantile(q) as f64 - reference.value_at_quantile(q) as f64) / 1000.0
}

/// Runs `one` `warmup + samples` times in a row and records the last
/// `samples` (microseconds). `one` returns whether the request succeeded; a
/// failure stops the benchmark.
pub async fn latency<F, Fut>(warmup: u64, samples: u64, one: F) -> Histogram<u64>
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = bool>,
{
    let mut h = Histogram::<u64>::new(3).unwrap();
    for n in 0..warmup + samples {
        let began = Instant::now();
        assert!(one(n).await, "request {n} failed");
        if n >= warmup {
            h.record(began.elapsed().as_micros() as u64).unwrap();
        }
    }
    h
}

/// `clients` loops, each with one request in flight, for `duration`:
/// requests per second and how many failed.
pub async fn throughput<F, Fut>(clients: usize, duration: Duration, one: F) -> (f64, u64)
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = bool> + Send,
{
    let one = Arc::new(one);
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let began = Instant::now();
    let loops: Vec<_> = (0..clients)
        .map(|c| {
            let (one, done, failed) = (Arc::clone(&one), Arc::clone(&done), Arc::clone(&failed));
            tokio::spawn(async move {
                let mut n = c as u64 * 1_000_000;
                while began.elapsed() < duration {
                    if one(n).await {
                        done.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                    n += 1;
                }
            })
        })
        .collect();
    for client in loops {
        client.await.unwrap();
    }
    let elapsed = began.elapsed().as_secs_f64();
    (
        done.load(Ordering::Relaxed) as f64 / elapsed,
        failed.load(Ordering::Relaxed),
    )
}
