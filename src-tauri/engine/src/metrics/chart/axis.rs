//! The chart's two axes as plotters coordinates: time, ticked on round
//! times of the viewer's clock, and values, ticked on round numbers of the
//! metric's unit. Each axis picks its own ticks and writes its own labels.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

use crate::metrics::series::Unit;

const SECOND: i64 = 1_000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// Tick spacings of the time axis, finest first.
const TIME_STEPS: [i64; 26] = [
    SECOND,
    2 * SECOND,
    5 * SECOND,
    10 * SECOND,
    15 * SECOND,
    30 * SECOND,
    MINUTE,
    2 * MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    2 * DAY,
    7 * DAY,
    14 * DAY,
    28 * DAY,
    56 * DAY,
    91 * DAY,
    182 * DAY,
    364 * DAY,
];

/// The widest range labelled with times of day; wider ones get dates.
const TIMES_UP_TO: i64 = 2 * DAY + HOUR;
/// The widest range whose dates are weekdays; wider ones get months.
const WEEKDAYS_UP_TO: i64 = 31 * DAY;

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Values further from zero are drawn at this (a chart cannot show more).
pub const VALUE_LIMIT: f64 = 1e300;

/// Where `fraction` of the way along `limit` falls, in pixels.
fn pixel(fraction: f64, limit: (i32, i32)) -> i32 {
    let at = f64::from(limit.0) + fraction * f64::from(limit.1 - limit.0);
    if at.is_nan() {
        limit.0
    } else {
        // `as` saturates: a far value lands on the image's edge.
        at.round() as i32
    }
}

/// Every k-th of `ticks`, so that at most `max` are left.
fn thin<T: Copy>(ticks: Vec<T>, max: usize) -> Vec<T> {
    if max == 0 {
        return Vec::new();
    }
    let every = ticks.len().div_ceil(max).max(1);
    ticks.into_iter().step_by(every).collect()
}

/// Time in milliseconds since the epoch, from `from_ms` to `to_ms`.
#[derive(Debug, Clone, Copy)]
pub struct TimeAxis {
    pub from_ms: i64,
    pub to_ms: i64,
    /// The viewer's clock ahead of UTC.
    offset_ms: i64,
    step_ms: i64,
}

impl TimeAxis {
    /// An axis with at most `max_ticks` ticks. The caller checked that
    /// `from_ms < to_ms` and that both are far from `i64`'s ends.
    pub fn new(from_ms: i64, to_ms: i64, offset_minutes: i32, max_ticks: usize) -> TimeAxis {
        let span = to_ms - from_ms;
        let max_ticks = i64::try_from(max_ticks.max(2)).unwrap_or(2);
        // Ranges labelled with dates are ticked on whole days.
        let finest = if span > TIMES_UP_TO { DAY } else { 0 };
        let step_ms = TIME_STEPS
            .iter()
            .copied()
            .filter(|step| *step >= finest)
            .find(|step| span / step <= max_ticks)
            .unwrap_or_else(|| (span / max_ticks / (364 * DAY) + 1) * 364 * DAY);
        TimeAxis {
            from_ms,
            to_ms,
            offset_ms: i64::from(offset_minutes) * MINUTE,
            step_ms,
        }
    }

    /// The ticks: whole multiples of the step on the viewer's clock.
    fn ticks(&self) -> Vec<i64> {
        let step = self.step_ms;
        let local_from = self.from_ms + self.offset_ms;
        let first = (local_from.div_euclid(step) + i64::from(local_from.rem_euclid(step) != 0)) * step - self.offset_ms;
        (0..)
            .map(|i| first + i * step)
            .take_while(|at| *at <= self.to_ms)
            .collect()
    }

    /// `14:05` (with seconds when ticks are seconds apart), or a date when
    /// the range spans days: `Mon 04` up to a month, `Dec 04` beyond.
    pub fn label(&self, at_ms: i64) -> String {
        let local = at_ms + self.offset_ms;
        let days = local.div_euclid(DAY);
        let of_day = local.rem_euclid(DAY);
        let span = self.to_ms - self.from_ms;
        // A midnight inside a range of many hours names its day.
        if span > TIMES_UP_TO || (of_day == 0 && span > 12 * HOUR) {
            let (month, day) = civil(days);
            let name = if span > WEEKDAYS_UP_TO {
                MONTHS.get(month - 1)
            } else {
                // The epoch was a Thursday.
                WEEKDAYS.get(usize::try_from((days + 4).rem_euclid(7)).unwrap_or(0))
            };
            return format!("{} {day:02}", name.unwrap_or(&"?"));
        }
        let (hours, minutes, seconds) = (of_day / HOUR, of_day % HOUR / MINUTE, of_day % MINUTE / SECOND);
        if self.step_ms < MINUTE {
            format!("{hours:02}:{minutes:02}:{seconds:02}")
        } else {
            format!("{hours:02}:{minutes:02}")
        }
    }
}

/// The month (1–12) and day of the month of a day counted from the epoch
/// (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (usize, i64) {
    let z = days + 719_468;
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    (usize::try_from(month).unwrap_or(1), day)
}

impl Ranged for TimeAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = i64;

    fn map(&self, value: &i64, limit: (i32, i32)) -> i32 {
        let fraction = value.saturating_sub(self.from_ms) as f64 / (self.to_ms - self.from_ms) as f64;
        pixel(fraction, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<i64> {
        thin(self.ticks(), hint.max_num_points())
    }

    fn range(&self) -> Range<i64> {
        self.from_ms..self.to_ms
    }
}

impl ValueFormatter<i64> for TimeAxis {
    fn format_ext(&self, value: &i64) -> String {
        self.label(*value)
    }
}

/// A metric's values, from `lo` to `hi`, ticked every `step`.
#[derive(Debug, Clone, Copy)]
pub struct ValueAxis {
    pub lo: f64,
    pub hi: f64,
    step: f64,
    unit: Unit,
}

impl ValueAxis {
    /// From 0 (or the lowest value, if below) to a little above the
    /// highest, on round steps, with at most about `max_ticks` ticks.
    /// `data` is the lowest and highest value drawn, if any.
    pub fn new(data: Option<(f64, f64)>, unit: Unit, max_ticks: usize) -> ValueAxis {
        let (lo, hi) = data
            .map(|(lo, hi)| (lo.clamp(-VALUE_LIMIT, 0.0), hi.clamp(0.0, VALUE_LIMIT)))
            .unwrap_or((0.0, 0.0));
        let hi = if hi - lo > 1e-9 {
            let above = hi + (hi - lo) * 0.05;
            // A whole is not exceeded for headroom's sake.
            match unit {
                Unit::Ratio if hi <= 1.0 => above.min(1.0),
                Unit::Percent if hi <= 100.0 => above.min(100.0),
                _ => above,
            }
        } else {
            // Nothing, or only zeros: the unit's usual scale.
            lo + match unit {
                Unit::Percent => 100.0,
                _ => 1.0,
            }
        };
        let step = nice_step((hi - lo) / max_ticks.max(2) as f64, unit);
        ValueAxis {
            lo: (lo / step).floor() * step,
            hi: (hi / step).ceil() * step,
            step,
            unit,
        }
    }

    fn ticks(&self) -> Vec<f64> {
        let count = ((self.hi - self.lo) / self.step).round().clamp(0.0, 100.0) as usize;
        (0..=count).map(|i| self.lo + i as f64 * self.step).collect()
    }

    /// A value in its unit: `45%`, `512 MiB`, `1.5 s`, `12/s`, `3k`.
    pub fn label(&self, value: f64) -> String {
        let value = if value.abs() < self.step * 1e-6 { 0.0 } else { value };
        let step = self.step;
        match self.unit {
            Unit::Percent => format!("{}%", number(value, step)),
            Unit::Ratio => format!("{}%", number(value * 100.0, step * 100.0)),
            Unit::Milliseconds if step >= 500.0 => format!("{} s", number(value / 1e3, step / 1e3)),
            Unit::Milliseconds => format!("{} ms", number(value, step)),
            Unit::Bytes => self.bytes(value),
            Unit::BytesPerSecond => format!("{}/s", self.bytes(value)),
            Unit::PerSecond => format!("{}/s", self.thousands(value)),
            Unit::Count => self.thousands(value),
        }
    }

    /// In B, KiB, MiB.. as the axis's top calls for.
    fn bytes(&self, value: f64) -> String {
        const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        let top = self.hi.abs().max(self.lo.abs());
        let power = UNITS
            .iter()
            .enumerate()
            .rev()
            .find(|(i, _)| top >= 1024f64.powi(*i as i32))
            .map_or(0, |(i, _)| i);
        let scale = 1024f64.powi(power as i32);
        format!("{} {}", number(value / scale, self.step / scale), UNITS[power])
    }

    /// Plain up to 9999, then in k, M, G, T.
    fn thousands(&self, value: f64) -> String {
        let top = self.hi.abs().max(self.lo.abs());
        if value == 0.0 {
            return "0".into();
        }
        for (power, suffix) in [(4, "T"), (3, "G"), (2, "M"), (1, "k")] {
            let scale = 1000f64.powi(power);
            if top >= 10.0 * scale {
                return format!("{}{suffix}", number(value / scale, self.step / scale));
            }
        }
        number(value, self.step)
    }
}

/// A round step near `raw`: 1, 2 or 5 times a power of ten, or for bytes
/// a power of two (so that 0.25 GiB and 512 MiB come out whole).
fn nice_step(raw: f64, unit: Unit) -> f64 {
    let step = match unit {
        Unit::Bytes | Unit::BytesPerSecond => 2f64.powi(raw.log2().ceil() as i32).max(1.0),
        _ => {
            let power = 10f64.powi(raw.log10().floor() as i32);
            let mantissa = raw / power;
            let round = if mantissa <= 1.0 {
                1.0
            } else if mantissa <= 2.0 {
                2.0
            } else if mantissa <= 5.0 {
                5.0
            } else {
                10.0
            };
            round * power
        }
    };
    let step = if unit == Unit::Count { step.max(1.0) } else { step };
    if step.is_finite() && step > 0.0 {
        step
    } else {
        1.0
    }
}

/// `value` with as many decimals as `step` needs (none for whole steps).
fn number(value: f64, step: f64) -> String {
    if value == 0.0 {
        return "0".into();
    }
    if value.abs() >= 1e15 {
        return format!("{value:.2e}");
    }
    let decimals = (0..6)
        .find(|d| {
            let scaled = step * 10f64.powi(*d);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
        })
        .unwrap_or(6) as usize;
    format!("{value:.decimals$}")
}

impl Ranged for ValueAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        pixel((value - self.lo) / (self.hi - self.lo), limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        thin(self.ticks(), hint.max_num_points())
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for ValueAxis {
    fn format_ext(&self, value: &f64) -> String {
        self.label(*value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The labels of an axis over `minutes` from 2024-12-04 10:00 UTC.
    fn times(minutes: i64, offset_minutes: i32) -> Vec<String> {
        let from = 1_733_306_400_000;
        let axis = TimeAxis::new(from, from + minutes * MINUTE, offset_minutes, 6);
        axis.ticks().into_iter().map(|t| axis.label(t)).collect()
    }

    #[test]
    fn time_ticks_fall_on_round_local_times() {
        assert_eq!(
            times(60, 0),
            ["10:00", "10:10", "10:20", "10:30", "10:40", "10:50", "11:00"]
        );
        // India is 5:30 ahead: ticks stay on the viewer's round minutes.
        assert_eq!(
            times(60, 330),
            ["15:30", "15:40", "15:50", "16:00", "16:10", "16:20", "16:30"]
        );
        assert_eq!(times(1, -300)[..3], ["05:00:00", "05:00:10", "05:00:20"]);
        // A day: the midnight names its day (a Thursday in New York).
        assert_eq!(times(24 * 60, -300), ["06:00", "12:00", "18:00", "Thu 05"]);
        assert_eq!(times(7 * 24 * 60, 0), ["Thu 05", "Sat 07", "Mon 09", "Wed 11"]);
        assert_eq!(times(90 * 24 * 60, 60)[..3], ["Dec 05", "Dec 19", "Jan 02"]);
    }

    #[test]
    fn value_labels_speak_the_unit() {
        let labels = |data: (f64, f64), unit: Unit| {
            let axis = ValueAxis::new(Some(data), unit, 5);
            axis.ticks()
                .into_iter()
                .map(|v| axis.label(v))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(labels((3.0, 87.0), Unit::Percent), "0% 20% 40% 60% 80% 100%");
        // A ratio's headroom stops at the whole.
        assert_eq!(labels((0.2, 0.97), Unit::Ratio), "0% 20% 40% 60% 80% 100%");
        assert_eq!(labels((0.0, 1.4e9), Unit::Bytes), "0 GiB 0.5 GiB 1.0 GiB 1.5 GiB");
        assert_eq!(
            labels((0.0, 3000.0), Unit::BytesPerSecond),
            "0 KiB/s 1 KiB/s 2 KiB/s 3 KiB/s 4 KiB/s"
        );
        assert_eq!(
            labels((12.0, 180.0), Unit::Milliseconds),
            "0 ms 50 ms 100 ms 150 ms 200 ms"
        );
        assert_eq!(labels((0.0, 4_200.0), Unit::Milliseconds), "0 s 1 s 2 s 3 s 4 s 5 s");
        assert_eq!(labels((0.0, 0.3), Unit::PerSecond), "0/s 0.1/s 0.2/s 0.3/s 0.4/s");
        assert_eq!(labels((0.0, 42_000.0), Unit::Count), "0 10k 20k 30k 40k 50k");
        assert_eq!(labels((-12.0, 4.0), Unit::Count), "-15 -10 -5 0 5");
    }
}
