//! What each series of a chart is called and which colour draws it: one
//! declaration for the drawing and for the app's readout beside it.

use plotters::style::RGBColor;
use schemars::JsonSchema;
use serde::Serialize;
use ts_rs::TS;

use crate::metrics::series::SeriesKey;
use crate::metrics::MetricsReading;

/// The series' colours, in order.
pub(super) const PALETTE: [RGBColor; 10] = [
    RGBColor(0x3b, 0x82, 0xf6),
    RGBColor(0xf5, 0x9e, 0x0b),
    RGBColor(0x10, 0xb9, 0x81),
    RGBColor(0xf4, 0x3f, 0x5e),
    RGBColor(0x8b, 0x5c, 0xf6),
    RGBColor(0x06, 0xb6, 0xd4),
    RGBColor(0xf9, 0x73, 0x16),
    RGBColor(0x84, 0xcc, 0x16),
    RGBColor(0xec, 0x48, 0x99),
    RGBColor(0x64, 0x74, 0x8b),
];

/// One series as the chart's legend shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LegendEntry {
    pub key: String,
    /// Words for people: `tasks succeeded`, `AG-001 p95`.
    pub label: String,
    /// `#rrggbb`.
    pub color: String,
}

/// The colour of the `i`th series.
pub(super) fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A metric's name in words, without its unit (`app_cpu_percent` → `app cpu`).
fn words(metric: &str) -> String {
    let bare = ["_percent", "_bytes", "_ms"]
        .iter()
        .find_map(|unit| metric.strip_suffix(unit))
        .unwrap_or(metric);
    bare.replace('_', " ")
}

/// The legend of a reading: what tells its series apart, in words. Series
/// of one metric are named by their label and percentile; series of
/// different metrics by the metric, then those.
pub fn legend(reading: &MetricsReading) -> Vec<LegendEntry> {
    let keys: Vec<Option<SeriesKey>> = reading.series.iter().map(|s| SeriesKey::parse(&s.key).ok()).collect();
    let one_metric = keys.windows(2).all(|w| match (&w[0], &w[1]) {
        (Some(a), Some(b)) => a.metric == b.metric,
        _ => false,
    });
    let one_label = keys.windows(2).all(|w| match (&w[0], &w[1]) {
        (Some(a), Some(b)) => a.label == b.label,
        _ => false,
    });
    reading
        .series
        .iter()
        .zip(&keys)
        .enumerate()
        .map(|(i, (series, key))| {
            let label = match key {
                None => series.key.clone(),
                Some(key) => {
                    let mut parts = Vec::new();
                    if !one_metric || (key.label.is_none() && key.part.is_none()) {
                        parts.push(words(key.metric));
                    }
                    if let Some(label) = key.label.as_ref().filter(|_| !one_label || keys.len() == 1) {
                        parts.push(label.clone());
                    }
                    if let Some(part) = key.part {
                        parts.push(part.to_string());
                    }
                    if parts.is_empty() {
                        parts.push(words(key.metric));
                    }
                    parts.join(" ")
                }
            };
            let c = colour(i);
            LegendEntry {
                key: series.key.clone(),
                label,
                color: format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::tier::Tier;
    use crate::metrics::SeriesReading;

    fn labels(keys: &[&str]) -> Vec<String> {
        let reading = MetricsReading {
            from_ms: 0,
            to_ms: 1,
            width: 1,
            tier: Tier::Second,
            gaps: Vec::new(),
            series: keys
                .iter()
                .map(|k| SeriesReading {
                    key: k.to_string(),
                    metric: String::new(),
                    unit: crate::metrics::series::Unit::Count,
                    columns: Vec::new(),
                })
                .collect(),
        };
        legend(&reading).into_iter().map(|e| e.label).collect()
    }

    #[test]
    fn series_are_told_apart_in_words() {
        let cases: [(&[&str], &[&str]); 7] = [
            (
                &["tasks_succeeded", "tasks_failed"],
                &["tasks succeeded", "tasks failed"],
            ),
            (
                &["task_latency_ms:p50", "task_latency_ms:p95", "task_latency_ms:p99"],
                &["p50", "p95", "p99"],
            ),
            (&["cpu_percent{AG-001}", "cpu_percent{AG-002}"], &["AG-001", "AG-002"]),
            (&["app_cpu_percent", "machine_cpu_percent"], &["app cpu", "machine cpu"]),
            (&["memory_bytes{AG-001}"], &["AG-001"]),
            (&["queue_depth"], &["queue depth"]),
            (
                &["agents_healthy", "agents_deployed"],
                &["agents healthy", "agents deployed"],
            ),
        ];
        for (keys, expected) in cases {
            assert_eq!(labels(keys), expected, "{keys:?}");
        }
    }

    #[test]
    fn colours_are_written_for_css() {
        let reading_colours: Vec<String> = (0..11)
            .map(|i| {
                let c = colour(i);
                format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
            })
            .collect();
        assert_eq!(reading_colours[0], "#3b82f6");
        assert_eq!(reading_colours[10], reading_colours[0], "the palette repeats");
    }
}
