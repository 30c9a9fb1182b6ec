//! The one shape of a latency histogram, for every subsystem that counts
//! durations (the orchestrator's calls, the LLM gateway, workflow steps)
//! and the metrics that merge them: merging needs equal bounds.

use hdrhistogram::Histogram;

/// Microseconds from 1 µs to an hour, 2 significant digits (what a
/// percentile on a chart can show).
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 2).expect("valid bounds")
}
