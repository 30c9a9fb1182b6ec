//! Pure arithmetic of the store: rollups, and a series reduced to a chart's
//! pixel columns (min and max per column, so a one-sample spike always
//! shows), with the spans that have no data at all.

use hdrhistogram::Histogram;
use schemars::JsonSchema;
use serde::Serialize;
use ts_rs::TS;

/// Samples summed up: what a minute or an hour keeps of each series, in the
/// metric's stored integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rollup {
    pub min: i64,
    pub max: i64,
    pub sum: i64,
    pub count: i64,
}

impl Rollup {
    pub fn of(value: i64) -> Rollup {
        Rollup {
            min: value,
            max: value,
            sum: value,
            count: 1,
        }
    }

    pub fn merge(&mut self, other: &Rollup) {
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sum = self.sum.saturating_add(other.sum);
        self.count += other.count;
    }
}

/// A stored point: when, and the rollup of what it covers (a 1 s sample is
/// a rollup of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    pub at_ms: i64,
    pub rollup: Rollup,
}

/// A series over a window, in the metric's unit: the sum of its 1 s points
/// and how many there were (a rate's sum is the count of events).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Total {
    pub sum: f64,
    pub count: u32,
}

/// One pixel column of a chart, in the metric's unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Column {
    /// Where the column starts.
    #[ts(type = "number")]
    pub at_ms: i64,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
}

/// A span with no data: the app was not running, or nothing was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Gap {
    #[ts(type = "number")]
    pub from_ms: i64,
    #[ts(type = "number")]
    pub to_ms: i64,
}

/// The window a chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from_ms: i64,
    pub to_ms: i64,
    pub width: u32,
}

impl Window {
    /// The column `at_ms` falls in, if inside.
    fn column(&self, at_ms: i64) -> Option<usize> {
        if at_ms < self.from_ms || at_ms >= self.to_ms {
            return None;
        }
        let span = i128::from(self.to_ms - self.from_ms);
        let i = i128::from(at_ms - self.from_ms) * i128::from(self.width) / span;
        usize::try_from(i).ok()
    }

    fn column_start(&self, i: usize) -> i64 {
        let span = i128::from(self.to_ms - self.from_ms);
        let offset = span * i as i128 / i128::from(self.width.max(1));
        self.from_ms + i64::try_from(offset).unwrap_or(0)
    }
}

/// Reduces `points` (in time order) to at most `window.width` columns; a
/// column with no point is left out. `scale` turns stored integers into
/// the unit.
pub fn reduce(points: impl IntoIterator<Item = Point>, window: Window, scale: f64) -> Vec<Column> {
    let mut columns: Vec<(usize, Rollup)> = Vec::new();
    for point in points {
        let Some(i) = window.column(point.at_ms) else { continue };
        match columns.last_mut() {
            Some((last, rollup)) if *last == i => rollup.merge(&point.rollup),
            _ => columns.push((i, point.rollup)),
        }
    }
    columns
        .into_iter()
        .map(|(i, r)| Column {
            at_ms: window.column_start(i),
            min: r.min as f64 * scale,
            max: r.max as f64 * scale,
            mean: r.sum as f64 / r.count.max(1) as f64 * scale,
        })
        .collect()
}

/// One percentile per column, from the histograms merged in each column
/// (`histograms` in time order).
pub fn reduce_percentile<'h>(
    histograms: impl IntoIterator<Item = (i64, &'h Histogram<u64>)>,
    window: Window,
    percentile: f64,
    scale: f64,
) -> Vec<Column> {
    let mut columns: Vec<(usize, Histogram<u64>)> = Vec::new();
    for (at_ms, histogram) in histograms {
        let Some(i) = window.column(at_ms) else { continue };
        match columns.last_mut() {
            Some((last, merged)) if *last == i => {
                // Histograms of one metric share their bounds; `add` only
                // fails past them, and then the sample is left out.
                let _ = merged.add(histogram);
            }
            _ => columns.push((i, histogram.clone())),
        }
    }
    columns
        .into_iter()
        .filter(|(_, h)| !h.is_empty())
        .map(|(i, h)| {
            let value = h.value_at_percentile(percentile) as f64 * scale;
            Column {
                at_ms: window.column_start(i),
                min: value,
                max: value,
                mean: value,
            }
        })
        .collect()
}

/// The spans inside the window with no point for longer than three steps
/// (`times` in order). The last two seconds before `now_ms` are never a
/// gap: their samples may be on their way.
pub fn gaps(times: impl IntoIterator<Item = i64>, window: Window, step_ms: i64, now_ms: i64) -> Vec<Gap> {
    let tolerance = 3 * step_ms;
    let end = window.to_ms.min(now_ms - 2_000);
    let mut out = Vec::new();
    let mut covered = window.from_ms - step_ms;
    for at in times {
        if at < window.from_ms - step_ms {
            continue;
        }
        if at >= end {
            break;
        }
        if at - covered > tolerance {
            out.push(Gap {
                from_ms: (covered + step_ms).max(window.from_ms),
                to_ms: at,
            });
        }
        covered = at;
    }
    if end - covered > tolerance {
        out.push(Gap {
            from_ms: (covered + step_ms).max(window.from_ms),
            to_ms: end,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(values: &[(i64, i64)]) -> Vec<Point> {
        values
            .iter()
            .map(|&(at_ms, v)| Point {
                at_ms,
                rollup: Rollup::of(v),
            })
            .collect()
    }

    #[test]
    fn a_one_sample_spike_survives_reduction() {
        // A day of 1 s samples at 10, one of them 9000, onto 800 columns.
        let day = 86_400;
        let mut values: Vec<(i64, i64)> = (0..day).map(|s| (s * 1000, 10)).collect();
        values[43_210].1 = 9_000;
        let window = Window {
            from_ms: 0,
            to_ms: day * 1000,
            width: 800,
        };
        let columns = reduce(points(&values), window, 0.01);
        assert_eq!(columns.len(), 800);
        let peak = columns.iter().map(|c| c.max).fold(0.0, f64::max);
        assert_eq!(peak, 90.0);
        assert!(columns.iter().filter(|c| c.max > 0.1).count() == 1);
        // The spike's column still averages near the steady value.
        let spiked = columns.iter().find(|c| c.max == 90.0).expect("the spike's column");
        assert!(spiked.mean < 1.0 && spiked.min == 0.1, "{spiked:?}");
    }

    #[test]
    fn rollups_merge_min_max_sum_count() {
        let mut r = Rollup::of(5);
        r.merge(&Rollup::of(-2));
        r.merge(&Rollup {
            min: 1,
            max: 40,
            sum: 100,
            count: 10,
        });
        assert_eq!(
            r,
            Rollup {
                min: -2,
                max: 40,
                sum: 103,
                count: 12
            }
        );
    }

    #[test]
    fn columns_mean_over_their_points_and_skip_empty_ones() {
        let window = Window {
            from_ms: 0,
            to_ms: 4_000,
            width: 4,
        };
        let columns = reduce(points(&[(0, 2), (500, 4), (2_000, 10), (9_000, 99)]), window, 1.0);
        let got: Vec<_> = columns.iter().map(|c| (c.at_ms, c.min, c.max, c.mean)).collect();
        assert_eq!(got, vec![(0, 2.0, 4.0, 3.0), (2_000, 10.0, 10.0, 10.0)]);
    }

    #[test]
    fn merged_minutes_give_the_raw_p99() {
        // Sixty minutes of latencies; the p99 of the merged minute
        // histograms equals the p99 of every raw sample within the
        // histogram's precision (3 significant digits).
        let mut raw = Histogram::<u64>::new(3).expect("histogram");
        let mut minutes = Vec::new();
        let mut seed = 7_u64;
        for minute in 0..60_i64 {
            let mut h = Histogram::<u64>::new(3).expect("histogram");
            for _ in 0..500 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let latency = 1 + (seed >> 33) % 2_000 + if minute == 42 { 50_000 } else { 0 };
                h.record(latency).expect("in range");
                raw.record(latency).expect("in range");
            }
            minutes.push((minute * 60_000, h));
        }
        let window = Window {
            from_ms: 0,
            to_ms: 3_600_000,
            width: 1,
        };
        let merged = reduce_percentile(minutes.iter().map(|(t, h)| (*t, h)), window, 99.0, 1.0);
        let exact = raw.value_at_percentile(99.0) as f64;
        assert_eq!(merged.len(), 1);
        let err = (merged[0].mean - exact).abs() / exact;
        assert!(err <= 0.001, "merged p99 {} vs raw {exact}", merged[0].mean);
    }

    #[test]
    fn gaps_are_where_nothing_was_stored() {
        let window = Window {
            from_ms: 0,
            to_ms: 100_000,
            width: 100,
        };
        // Samples 0..20 s and 60..100 s; now is well past the window.
        let times: Vec<i64> = (0..20).chain(60..100).map(|s| s * 1000).collect();
        let found = gaps(times, window, 1000, 1_000_000);
        assert_eq!(
            found,
            vec![Gap {
                from_ms: 20_000,
                to_ms: 60_000
            }]
        );
        // Nothing at all: one gap over the window.
        assert_eq!(
            gaps([], window, 1000, 1_000_000),
            vec![Gap {
                from_ms: 0,
                to_ms: 100_000
            }]
        );
        // The last seconds before now are not a gap yet.
        let times: Vec<i64> = (0..98).map(|s| s * 1000).collect();
        assert!(gaps(times, window, 1000, 99_500).is_empty());
    }
}
