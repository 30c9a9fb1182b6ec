//! Charts of the metrics history, drawn by plotters: an SVG for the UI and
//! a PNG for export, both from one drawing (`draw`) over any backend.
//!
//! Each series is a light band from each column's min to its max and a
//! line through its means, broken where columns are missing; the spans
//! where the app was not running are shaded. The returned [`PlotArea`]
//! tells the UI where time runs, so it can map a pointer back to it.

mod axis;
mod draw;
mod legend;

pub use legend::{legend, LegendEntry};

use std::path::{Path, PathBuf};

use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{MetricsError, MetricsReading};

/// How to draw a chart.
#[derive(Debug, Clone, PartialEq, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChartSpec {
    pub title: String,
    /// The image's size in pixels.
    pub width: u32,
    pub height: u32,
    /// The viewer's clock ahead of UTC, for the time labels.
    pub utc_offset_minutes: i32,
    /// Light text on a dark background.
    pub dark: bool,
}

/// Where the plot sits in the image, in pixels: time runs from `left`
/// (the reading's `fromMs`) to `left + width` (its `toMs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlotArea {
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
}

const MIN_SIZE: (u32, u32) = (160, 100);
/// A bitmap this size is already about 100 MB.
const MAX_SIZE: (u32, u32) = (8_000, 4_000);
/// Beyond this (the year 275760) a time has no date to label it with.
const TIME_LIMIT_MS: i64 = 8_640_000_000_000_000;

/// Draws `reading` as an SVG document.
pub fn svg(reading: &MetricsReading, spec: &ChartSpec) -> Result<(String, PlotArea), MetricsError> {
    check(reading, spec)?;
    let mut out = String::new();
    let plot = {
        let root = SVGBackend::with_string(&mut out, (spec.width, spec.height)).into_drawing_area();
        let plot = draw::draw(&root, reading, spec).map_err(failed)?;
        root.present().map_err(failed)?;
        plot
    };
    Ok((out, plot))
}

/// Draws `reading` as a PNG file at `path`, whatever its name ends with.
/// The file appears whole or not at all.
pub fn png(reading: &MetricsReading, spec: &ChartSpec, path: &Path) -> Result<PlotArea, MetricsError> {
    check(reading, spec)?;
    let partial = partial(path)?;
    let drawn = (|| {
        // plotters picks the format from the name: the partial file's is `.png`.
        let root = BitMapBackend::new(&partial, (spec.width, spec.height)).into_drawing_area();
        let plot = draw::draw(&root, reading, spec).map_err(failed)?;
        root.present().map_err(failed)?;
        Ok(plot)
    })();
    let written = drawn.and_then(|plot| {
        std::fs::rename(&partial, path)
            .map(|()| plot)
            .map_err(|err| MetricsError::Chart(format!("cannot write {}: {err}", path.display())))
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

/// A hidden file next to `path` to draw into first.
fn partial(path: &Path) -> Result<PathBuf, MetricsError> {
    let name = path
        .file_name()
        .ok_or_else(|| MetricsError::Chart(format!("{} names no file", path.display())))?;
    Ok(path.with_file_name(format!(".{}.partial.png", name.to_string_lossy())))
}

fn failed<E: std::error::Error + Send + Sync>(err: DrawingAreaErrorKind<E>) -> MetricsError {
    MetricsError::Chart(err.to_string())
}

/// Refuses what no chart can be drawn of.
fn check(reading: &MetricsReading, spec: &ChartSpec) -> Result<(), MetricsError> {
    let bad = |message: String| Err(MetricsError::Chart(message));
    if !(MIN_SIZE.0..=MAX_SIZE.0).contains(&spec.width) || !(MIN_SIZE.1..=MAX_SIZE.1).contains(&spec.height) {
        return bad(format!(
            "a chart is {}×{} to {}×{} pixels, not {}×{}",
            MIN_SIZE.0, MIN_SIZE.1, MAX_SIZE.0, MAX_SIZE.1, spec.width, spec.height
        ));
    }
    if reading.to_ms <= reading.from_ms {
        return bad(format!("the range {}..{} is empty", reading.from_ms, reading.to_ms));
    }
    if reading.from_ms < -TIME_LIMIT_MS || reading.to_ms > TIME_LIMIT_MS {
        return bad(format!(
            "the range {}..{} is past any date",
            reading.from_ms, reading.to_ms
        ));
    }
    if spec.utc_offset_minutes.unsigned_abs() > 24 * 60 {
        return bad(format!(
            "a time zone is less than a day from UTC, not {} minutes",
            spec.utc_offset_minutes
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::reduce::{Column, Gap};
    use crate::metrics::series::Unit;
    use crate::metrics::tier::Tier;
    use crate::metrics::SeriesReading;

    /// 2024-12-04 10:00 UTC.
    const T0: i64 = 1_733_306_400_000;

    /// A reading of ten minutes in 60 columns of 10 s.
    fn reading(series: Vec<SeriesReading>, gaps: Vec<Gap>) -> MetricsReading {
        MetricsReading {
            from_ms: T0,
            to_ms: T0 + 600_000,
            width: 60,
            tier: Tier::Second,
            gaps,
            series,
        }
    }

    /// A series of `(column, min, mean, max)`.
    fn series(key: &str, unit: Unit, columns: &[(i64, f64, f64, f64)]) -> SeriesReading {
        SeriesReading {
            key: key.into(),
            metric: key.split(['{', ':']).next().unwrap_or(key).into(),
            unit,
            columns: columns
                .iter()
                .map(|&(i, min, mean, max)| Column {
                    at_ms: T0 + i * 10_000,
                    min,
                    max,
                    mean,
                })
                .collect(),
        }
    }

    fn spec() -> ChartSpec {
        ChartSpec {
            title: "CPU".into(),
            width: 480,
            height: 240,
            utc_offset_minutes: 60,
            dark: false,
        }
    }

    /// The two agents' CPU with the app stopped for three minutes.
    fn two_agents() -> MetricsReading {
        let running = || (0..60).filter(|i| !(24..42).contains(i));
        let wave: Vec<_> = running().map(|i| (i, 14.0, 20.0 + (i * 7 % 13) as f64, 30.0)).collect();
        let steady: Vec<_> = running().map(|i| (i, 48.0, 50.0 + (i % 5) as f64, 58.0)).collect();
        reading(
            vec![
                series("cpu_percent{AG-001}", Unit::Percent, &wave),
                series("cpu_percent{AG-002}", Unit::Percent, &steady),
            ],
            vec![Gap {
                from_ms: T0 + 240_000,
                to_ms: T0 + 420_000,
            }],
        )
    }

    /// The words of every text in `svg`.
    fn texts(svg: &str) -> Vec<&str> {
        let lines: Vec<&str> = svg.lines().collect();
        lines
            .windows(2)
            .filter(|w| w[0].starts_with("<text"))
            .map(|w| w[1])
            .collect()
    }

    /// Every `y` of the points of elements in `colour`.
    fn heights(svg: &str, colour: &str) -> Vec<i32> {
        svg.lines()
            .filter(|line| line.contains(colour))
            .filter_map(|line| line.split("points=\"").nth(1)?.split('"').next())
            .flat_map(|points| points.split_whitespace())
            .filter_map(|xy| xy.split_once(',')?.1.parse().ok())
            .collect()
    }

    #[test]
    fn a_small_reading_draws_the_same_svg() {
        let (svg, plot) = svg(&two_agents(), &spec()).expect("drawn");
        assert_eq!(
            plot,
            PlotArea {
                left: 64,
                top: 50,
                width: 400,
                height: 164
            }
        );
        insta::assert_snapshot!("two_agents", svg);
    }

    #[test]
    fn a_one_column_spike_reaches_its_height() {
        // Steady at 10% with one column at 90%, and one lone column at 70%.
        let mut columns: Vec<_> = (0..40).map(|i| (i, 9.0, 10.0, 11.0)).collect();
        columns[20] = (20, 9.0, 12.0, 90.0);
        columns.push((55, 70.0, 70.0, 70.0));
        let (svg, plot) = svg(
            &reading(vec![series("cpu_percent", Unit::Percent, &columns)], vec![]),
            &spec(),
        )
        .expect("drawn");
        // The axis runs 0–100%: 90% is a tenth down from the top, 70% three.
        let at = |percent: f64| plot.top as f64 + plot.height as f64 * (1.0 - percent / 100.0);
        let ys = heights(&svg, "#3B82F6");
        for percent in [90.0, 70.0] {
            assert!(
                ys.iter().any(|&y| (f64::from(y) - at(percent)).abs() <= 1.5),
                "{percent}% at {} not in {ys:?}",
                at(percent)
            );
        }
        assert_eq!(texts(&svg).into_iter().rfind(|t| t.ends_with('%')), Some("100%"));
    }

    #[test]
    fn gaps_say_the_app_was_not_running() {
        let (svg, _) = svg(&two_agents(), &spec()).expect("drawn");
        assert!(texts(&svg).contains(&"app not running"), "{svg}");
        // Ninety seconds are 60 pixels: room for fewer words.
        let mut narrow = two_agents();
        narrow.gaps[0].to_ms = narrow.gaps[0].from_ms + 90_000;
        let (svg, _) = super::svg(&narrow, &spec()).expect("drawn");
        let words = texts(&svg);
        assert!(
            words.contains(&"no data") && !words.contains(&"app not running"),
            "{svg}"
        );
    }

    #[test]
    fn an_empty_reading_draws_axes_and_says_so() {
        for empty in [
            reading(vec![], vec![]),
            reading(vec![series("cpu_percent", Unit::Percent, &[])], vec![]),
        ] {
            let (svg, _) = svg(&empty, &spec()).expect("drawn");
            let words = texts(&svg);
            assert!(words.contains(&"no data in this range"), "{svg}");
            assert!(words.contains(&"11:00"), "{svg}");
        }
    }

    #[test]
    fn a_legend_too_long_for_its_rows_counts_the_rest() {
        let many = (1..=30).map(|n| {
            series(
                &format!("cpu_percent{{AG-{n:03}}}"),
                Unit::Percent,
                &[(n, 1.0, 2.0, 3.0)],
            )
        });
        let (svg, plot) = svg(&reading(many.collect(), vec![]), &spec()).expect("drawn");
        // Three rows of five entries (`AG-001` each: one metric, told
        // apart by the agent).
        assert!(texts(&svg).contains(&"+15 more"), "{svg}");
        assert_eq!(plot.top, 30 + 3 * 16 + 4);
    }

    #[test]
    fn png_writes_a_whole_png_file_whatever_its_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dark = ChartSpec { dark: true, ..spec() };
        for name in ["cpu.png", "cpu"] {
            let path = dir.path().join(name);
            let plot = png(&two_agents(), &dark, &path).expect("written");
            assert_eq!(plot.left, 64);
            let bytes = std::fs::read(&path).expect("the file");
            assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}");
        }
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("the dir")
            .map(|e| e.expect("an entry").file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["cpu", "cpu.png"]);
        let nowhere = dir.path().join("missing").join("cpu.png");
        let err = png(&two_agents(), &dark, &nowhere).expect_err("no such directory");
        assert!(matches!(err, MetricsError::Chart(_)), "{err}");
    }

    #[test]
    fn odd_input_is_an_error_or_a_chart_never_a_panic() {
        let odd = [
            (0, f64::NAN, f64::NAN, f64::NAN),
            (1, f64::NEG_INFINITY, 1.0, f64::INFINITY),
            (2, -1e308, 1e308, f64::MAX),
            (3, 5.0, -2.0, 1.0),
            (-5, 1.0, 1.0, 1.0),
            (900, 1.0, 1.0, 1.0),
        ];
        let far = Gap {
            from_ms: i64::MIN,
            to_ms: i64::MAX,
        };
        let mut night = spec();
        (night.dark, night.utc_offset_minutes) = (true, -840);
        for unit in [Unit::Bytes, Unit::Milliseconds, Unit::Ratio, Unit::Count] {
            let chart = reading(vec![series("queue_depth", unit, &odd)], vec![far]);
            svg(&chart, &night).expect("drawn");
        }
        let tiny = [(30, 1e-320, 1e-320, 1e-320)];
        svg(
            &reading(vec![series("queue_depth", Unit::Count, &tiny)], vec![]),
            &spec(),
        )
        .expect("drawn");

        let sized = |width, height| ChartSpec {
            width,
            height,
            ..spec()
        };
        let mut far_east = spec();
        far_east.utc_offset_minutes = i32::MIN;
        let (mut empty, mut endless) = (two_agents(), two_agents());
        empty.to_ms = empty.from_ms;
        endless.from_ms = i64::MIN;
        let refused = [
            (two_agents(), sized(1, 240), "pixels"),
            (two_agents(), sized(480, 100_000), "pixels"),
            (two_agents(), far_east, "time zone"),
            (empty, spec(), "is empty"),
            (endless, spec(), "past any date"),
        ];
        for (chart, spec, expected) in refused {
            let err = svg(&chart, &spec).expect_err(expected);
            assert!(err.to_string().contains(expected), "{err}");
        }
    }
}
