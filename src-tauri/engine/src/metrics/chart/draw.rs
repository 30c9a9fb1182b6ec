//! The drawing itself, over any plotters backend: the title and legend,
//! the axes, the gaps, then the series.

use plotters::coord::Shift;
use plotters::drawing::DrawingAreaErrorKind;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{TimeAxis, ValueAxis, VALUE_LIMIT};
use super::legend::{colour, legend};
use super::{ChartSpec, PlotArea};
use crate::metrics::series::Unit;
use crate::metrics::{MetricsReading, SeriesReading};

/// The pixels around the plot: the value labels' width on the left, the
/// time labels' height below, the title's row on top.
const VALUE_LABELS: u32 = 64;
const TIME_LABELS: u32 = 26;
const RIGHT: u32 = 16;
const TITLE_ROW: u32 = 30;
const LEGEND_ROW: u32 = 16;
const LEGEND_ROWS: u32 = 3;
/// A legend character's width at 12 px, about; a swatch and its spacing.
const CHAR_WIDTH: i32 = 7;
const SWATCH: i32 = 14;
const MIN_PLOT_HEIGHT: u32 = 40;
/// The least room between two labels.
const TIME_LABEL_ROOM: u32 = 80;
const VALUE_LABEL_ROOM: u32 = 36;
/// Gap words need this many pixels.
const ROOM_FOR_NOT_RUNNING: i32 = 96;
const ROOM_FOR_NO_DATA: i32 = 48;

/// The colours around the series.
struct Look {
    background: RGBColor,
    title: RGBColor,
    label: RGBColor,
    grid: RGBColor,
    axis: RGBColor,
    gap: RGBColor,
    /// How much of a series' colour its min–max band takes.
    band: f64,
}

const LIGHT: Look = Look {
    background: RGBColor(0xff, 0xff, 0xff),
    title: RGBColor(0x11, 0x18, 0x27),
    label: RGBColor(0x6b, 0x72, 0x80),
    grid: RGBColor(0xe5, 0xe7, 0xeb),
    axis: RGBColor(0x9c, 0xa3, 0xaf),
    gap: RGBColor(0xf3, 0xf4, 0xf6),
    band: 0.18,
};

const DARK: Look = Look {
    background: RGBColor(0x11, 0x18, 0x27),
    title: RGBColor(0xf9, 0xfa, 0xfb),
    label: RGBColor(0x9c, 0xa3, 0xaf),
    grid: RGBColor(0x1f, 0x29, 0x37),
    axis: RGBColor(0x4b, 0x55, 0x63),
    gap: RGBColor(0x1c, 0x25, 0x33),
    band: 0.28,
};

/// A column ready to draw: its middle in time, its values finite.
#[derive(Debug, Clone, Copy)]
struct Point {
    at_ms: i64,
    min: f64,
    max: f64,
    mean: f64,
}

/// The columns of `series` that can be drawn, in time order.
fn points(series: &SeriesReading, reading: &MetricsReading) -> Vec<Point> {
    let half_column = (reading.to_ms - reading.from_ms) / i64::from(reading.width.max(1)) / 2;
    let mut points: Vec<Point> = series
        .columns
        .iter()
        .filter(|c| (reading.from_ms..reading.to_ms).contains(&c.at_ms))
        .filter(|c| c.min.is_finite() && c.max.is_finite() && c.mean.is_finite())
        .map(|c| {
            let keep = |v: f64| v.clamp(-VALUE_LIMIT, VALUE_LIMIT);
            Point {
                at_ms: (c.at_ms + half_column).min(reading.to_ms),
                min: keep(c.min.min(c.mean)),
                max: keep(c.max.max(c.mean)),
                mean: keep(c.mean),
            }
        })
        .collect();
    points.sort_by_key(|p| p.at_ms);
    points
}

/// A legend entry's width: a swatch, the key (its first 100 characters
/// are enough to fill any row) and a space.
fn entry_width(key: &str) -> i32 {
    SWATCH + CHAR_WIDTH * key.chars().take(100).count() as i32 + SWATCH
}

/// The series' legend entries laid out in `rows` rows under the title:
/// each entry's series, left edge and row; and how many did not fit.
fn place(keys: &[&str], left: i32, right: i32, rows: u32) -> (Vec<(usize, i32, u32)>, usize) {
    let mut placed = Vec::new();
    let (mut x, mut row) = (left, 0);
    for (i, key) in keys.iter().enumerate() {
        if x + entry_width(key) > right && x > left {
            (x, row) = (left, row + 1);
        }
        if row >= rows {
            return (placed, keys.len() - i);
        }
        placed.push((i, x, row));
        x += entry_width(key);
    }
    (placed, 0)
}

fn font(size: f64, colour: &RGBColor) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(colour)
}

type Drawn<T, DB> = Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;
type Plot<DB> = DrawingArea<DB, Cartesian2d<TimeAxis, ValueAxis>>;

/// Draws the chart on `root`; where the plot went.
pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    reading: &MetricsReading,
    spec: &ChartSpec,
) -> Drawn<PlotArea, DB> {
    let look = if spec.dark { &DARK } else { &LIGHT };
    root.fill(&look.background)?;
    let top = header(root, reading, spec, look)?;

    // The axes, with as many ticks as there is room for.
    let all: Vec<Vec<Point>> = reading.series.iter().map(|s| points(s, reading)).collect();
    let plot_width = spec.width.saturating_sub(VALUE_LABELS + RIGHT);
    let plot_height = spec.height.saturating_sub(top + TIME_LABELS);
    let time_ticks = (plot_width / TIME_LABEL_ROOM) as usize;
    let time = TimeAxis::new(reading.from_ms, reading.to_ms, spec.utc_offset_minutes, time_ticks);
    let lows_and_highs = all.iter().flatten().map(|p| (p.min, p.max));
    let data = lows_and_highs.reduce(|(lo, hi), (min, max)| (lo.min(min), hi.max(max)));
    // One axis for all: a chart's series are one metric's (its agents,
    // its percentiles), so the first series' unit labels it.
    let unit = reading.series.first().map_or(Unit::Count, |s| s.unit);
    let values = ValueAxis::new(data, unit, (plot_height / VALUE_LABEL_ROOM) as usize);
    let mut chart = ChartBuilder::on(root)
        .margin_top(top)
        .margin_right(RIGHT)
        .x_label_area_size(TIME_LABELS)
        .y_label_area_size(VALUE_LABELS)
        .build_cartesian_2d(time, values)?;
    chart
        .configure_mesh()
        .x_labels(64)
        .y_labels(64)
        .max_light_lines(0)
        .bold_line_style(look.grid.stroke_width(1))
        .axis_style(look.axis.stroke_width(1))
        .label_style(font(12.0, &look.label))
        .draw()?;

    let plot = chart.plotting_area();
    let has_data = all.iter().any(|p| !p.is_empty());
    gaps(plot, reading, look, has_data)?;
    if !has_data {
        let style = font(14.0, &look.label).pos(Pos::new(HPos::Center, VPos::Center));
        let middle = middle(reading.from_ms, reading.to_ms, &values);
        plot.draw(&Text::new("no data in this range", middle, style))?;
    }
    for (i, points) in all.iter().enumerate() {
        series(plot, reading, points, colour(i), look)?;
    }

    let (xs, ys) = plot.get_pixel_range();
    let pixels = |v: i32| u32::try_from(v).unwrap_or(0);
    Ok(PlotArea {
        left: pixels(xs.start),
        top: pixels(ys.start),
        width: pixels(xs.end - xs.start),
        height: pixels(ys.end - ys.start),
    })
}

/// The title, then the legend in as many rows as fit; where the plot can
/// start.
fn header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    reading: &MetricsReading,
    spec: &ChartSpec,
    look: &Look,
) -> Drawn<u32, DB> {
    let left = VALUE_LABELS as i32;
    root.draw(&Text::new(spec.title.as_str(), (left, 8), font(15.0, &look.title)))?;
    let room = spec.height.saturating_sub(TITLE_ROW + TIME_LABELS + MIN_PLOT_HEIGHT) / LEGEND_ROW;
    let entries = legend(reading);
    let keys: Vec<&str> = entries.iter().map(|e| e.label.as_str()).collect();
    let right = spec.width.saturating_sub(RIGHT) as i32;
    let (placed, left_out) = place(&keys, left, right, room.min(LEGEND_ROWS));
    let mut after = (left, 0);
    for &(i, x, row) in &placed {
        let y = (TITLE_ROW + row * LEGEND_ROW) as i32;
        root.draw(&Rectangle::new([(x, y + 3), (x + 10, y + 13)], colour(i).filled()))?;
        root.draw(&Text::new(keys[i], (x + SWATCH, y + 1), font(12.0, &look.label)))?;
        after = (x + entry_width(keys[i]), y);
    }
    if left_out > 0 {
        let (x, y) = after;
        root.draw(&Text::new(
            format!("+{left_out} more"),
            (x, y + 1),
            font(12.0, &look.label),
        ))?;
    }
    let rows = placed.last().map_or(0, |&(_, _, row)| row + 1);
    Ok(TITLE_ROW + rows * LEGEND_ROW + 4)
}

/// The middle of a span of time, half way up the axis.
fn middle(from_ms: i64, to_ms: i64, values: &ValueAxis) -> (i64, f64) {
    (
        from_ms + (to_ms - from_ms) / 2,
        values.lo + (values.hi - values.lo) / 2.0,
    )
}

/// Where the app was not running: shaded, and said so where it fits (and
/// where some data shows that something was running at all).
fn gaps<DB: DrawingBackend>(plot: &Plot<DB>, reading: &MetricsReading, look: &Look, has_data: bool) -> Drawn<(), DB> {
    let (time, values) = (plot.as_coord_spec().x_spec(), plot.as_coord_spec().y_spec());
    let width = plot.dim_in_pixel().0 as i32;
    for gap in &reading.gaps {
        let from_ms = gap.from_ms.clamp(reading.from_ms, reading.to_ms);
        let to_ms = gap.to_ms.clamp(reading.from_ms, reading.to_ms);
        if to_ms <= from_ms {
            continue;
        }
        let band = [(from_ms, values.hi), (to_ms, values.lo)];
        plot.draw(&Rectangle::new(band, look.gap.filled()))?;
        let words = match time.map(&to_ms, (0, width)) - time.map(&from_ms, (0, width)) {
            pixels if pixels >= ROOM_FOR_NOT_RUNNING => "app not running",
            pixels if pixels >= ROOM_FOR_NO_DATA => "no data",
            _ => continue,
        };
        if has_data {
            let style = font(12.0, &look.label).pos(Pos::new(HPos::Center, VPos::Center));
            plot.draw(&Text::new(words, middle(from_ms, to_ms, values), style))?;
        }
    }
    Ok(())
}

/// One series: its band and its line, broken where columns are missing.
fn series<DB: DrawingBackend>(
    plot: &Plot<DB>,
    reading: &MetricsReading,
    points: &[Point],
    colour: RGBColor,
    look: &Look,
) -> Drawn<(), DB> {
    let values = plot.as_coord_spec().y_spec();
    let on_axis = |v: f64| v.clamp(values.lo, values.hi);
    // Columns further apart than this have missing ones between them (a
    // tier's points may be sparser than the columns).
    let column_ms = (reading.to_ms - reading.from_ms) / i64::from(reading.width.max(1));
    let break_ms = (column_ms * 5 / 2).max(3 * reading.tier.step_ms());
    for run in points.chunk_by(|a, b| b.at_ms - a.at_ms <= break_ms) {
        if let [only] = run {
            // One column alone: a stroke from its min to its max.
            let stroke = vec![(only.at_ms, on_axis(only.min)), (only.at_ms, on_axis(only.max))];
            plot.draw(&PathElement::new(stroke, colour.stroke_width(2)))?;
            plot.draw(&Circle::new((only.at_ms, on_axis(only.mean)), 2, colour.filled()))?;
            continue;
        }
        if run.iter().any(|p| p.max > p.min) {
            let highs = run.iter().map(|p| (p.at_ms, on_axis(p.max)));
            let lows = run.iter().rev().map(|p| (p.at_ms, on_axis(p.min)));
            let band: Vec<_> = highs.chain(lows).collect();
            plot.draw(&Polygon::new(band, colour.mix(look.band).filled()))?;
        }
        let line: Vec<_> = run.iter().map(|p| (p.at_ms, on_axis(p.mean))).collect();
        plot.draw(&PathElement::new(line, colour.stroke_width(2)))?;
    }
    Ok(())
}
