//! The life of one alert: inactive → pending (the condition holds, not yet
//! for long enough) → firing → resolved (back to inactive). A threshold has
//! a `for` time, so a single bad second does not fire, and hysteresis plus
//! a keep-firing time, so a value sitting on the line does not flap.
//! Pure: `step` takes the value now and says what changed.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// How bad an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

/// Which side of the threshold is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Comparison {
    /// Bad above the value (response time, error rate).
    Above,
    /// Bad below the value (success rate, healthy agents).
    Below,
}

/// When a value is bad, and when it is good again.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Threshold {
    pub comparison: Comparison,
    /// Past this the condition holds.
    pub value: f64,
    /// The value must come back past this (on the good side of `value`) to
    /// count as good: hysteresis. Equal to `value` for none.
    pub clear: f64,
    /// The condition must hold this long before the alert fires.
    pub for_s: u32,
    /// A firing alert resolves only after the value stayed good this long.
    pub keep_firing_s: u32,
}

impl Threshold {
    /// Whether `value` is bad.
    pub fn breached(&self, value: f64) -> bool {
        match self.comparison {
            Comparison::Above => value > self.value,
            Comparison::Below => value < self.value,
        }
    }

    /// Whether `value` is good again (past the clear line).
    pub fn cleared(&self, value: f64) -> bool {
        match self.comparison {
            Comparison::Above => value <= self.clear,
            Comparison::Below => value >= self.clear,
        }
    }

    /// What is wrong with the threshold, naming the field.
    pub fn check(&self) -> Result<(), String> {
        if !self.value.is_finite() || !self.clear.is_finite() {
            return Err("value and clear must be numbers".into());
        }
        let on_good_side = match self.comparison {
            Comparison::Above => self.clear <= self.value,
            Comparison::Below => self.clear >= self.value,
        };
        if !on_good_side {
            return Err(format!(
                "clear ({}) must be on the good side of value ({}): {} it",
                self.clear,
                self.value,
                match self.comparison {
                    Comparison::Above => "at or below",
                    Comparison::Below => "at or above",
                }
            ));
        }
        if self.for_s > 86_400 || self.keep_firing_s > 86_400 {
            return Err("forS and keepFiringS: at most 86400 seconds".into());
        }
        Ok(())
    }
}

/// Where one alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS, JsonSchema)]
#[serde(tag = "phase", rename_all = "camelCase")]
pub enum Phase {
    #[default]
    Inactive,
    /// The condition has held since then, not yet for `for`.
    #[serde(rename_all = "camelCase")]
    Pending {
        #[ts(type = "number")]
        since_ms: i64,
    },
    /// Firing since then; good again since `cleared_ms` (not yet for
    /// `keep_firing`), if it is.
    #[serde(rename_all = "camelCase")]
    Firing {
        #[ts(type = "number")]
        since_ms: i64,
        #[ts(type = "number | null")]
        cleared_ms: Option<i64>,
    },
}

/// What a step changed, for the alert's record and its notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The condition began to hold.
    Pending,
    /// It held long enough: the alert fires.
    Fired,
    /// It stopped holding before it fired.
    Withdrawn,
    /// A firing alert is good again (for long enough).
    Resolved,
}

/// The next phase of an alert given the value now (`None`: no data this
/// time, which changes nothing, so a gap never fires or resolves).
pub fn step(phase: Phase, threshold: &Threshold, value: Option<f64>, now_ms: i64) -> (Phase, Option<Change>) {
    let Some(value) = value.filter(|v| v.is_finite()) else {
        return (phase, None);
    };
    let held_for = |since: i64| now_ms - since >= i64::from(threshold.for_s) * 1000;
    match phase {
        Phase::Inactive if threshold.breached(value) => {
            if threshold.for_s == 0 {
                (
                    Phase::Firing {
                        since_ms: now_ms,
                        cleared_ms: None,
                    },
                    Some(Change::Fired),
                )
            } else {
                (Phase::Pending { since_ms: now_ms }, Some(Change::Pending))
            }
        }
        Phase::Inactive => (phase, None),
        Phase::Pending { since_ms } if threshold.breached(value) => {
            if held_for(since_ms) {
                (
                    Phase::Firing {
                        since_ms: now_ms,
                        cleared_ms: None,
                    },
                    Some(Change::Fired),
                )
            } else {
                (phase, None)
            }
        }
        Phase::Pending { .. } => (Phase::Inactive, Some(Change::Withdrawn)),
        Phase::Firing { since_ms, cleared_ms } => {
            if !threshold.cleared(value) {
                return (
                    Phase::Firing {
                        since_ms,
                        cleared_ms: None,
                    },
                    None,
                );
            }
            let cleared = cleared_ms.unwrap_or(now_ms);
            if now_ms - cleared >= i64::from(threshold.keep_firing_s) * 1000 {
                (Phase::Inactive, Some(Change::Resolved))
            } else {
                (
                    Phase::Firing {
                        since_ms,
                        cleared_ms: Some(cleared),
                    },
                    None,
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Seed 001: success rate below 90 % for 30 s; good again from 92 %,
    /// for 10 s.
    fn success_rate() -> Threshold {
        Threshold {
            comparison: Comparison::Below,
            value: 0.90,
            clear: 0.92,
            for_s: 30,
            keep_firing_s: 10,
        }
    }

    /// Runs `values` one a second from 0 and returns each second's change.
    fn run(threshold: &Threshold, values: &[Option<f64>]) -> (Phase, Vec<(i64, Change)>) {
        let mut phase = Phase::Inactive;
        let mut changes = Vec::new();
        for (s, value) in values.iter().enumerate() {
            let now = s as i64 * 1000;
            let (next, change) = step(phase, threshold, *value, now);
            phase = next;
            if let Some(c) = change {
                changes.push((s as i64, c));
            }
        }
        (phase, changes)
    }

    fn repeat(value: f64, seconds: usize) -> Vec<Option<f64>> {
        vec![Some(value); seconds]
    }

    #[test]
    fn the_lifecycle_as_a_table() {
        use Change::{Fired, Pending, Resolved, Withdrawn};
        let t = success_rate();
        // (what, values one a second, changes at which seconds)
        type Case = (&'static str, Vec<Option<f64>>, Vec<(i64, Change)>);
        let cases: Vec<Case> = vec![
            ("good all along", repeat(0.99, 60), vec![]),
            (
                "a bad blip is withdrawn",
                [repeat(0.5, 5), repeat(0.99, 5)].concat(),
                vec![(0, Pending), (5, Withdrawn)],
            ),
            ("bad for 30 s fires", repeat(0.5, 31), vec![(0, Pending), (30, Fired)]),
            (
                "good again for 10 s resolves",
                [repeat(0.5, 31), repeat(0.95, 11)].concat(),
                vec![(0, Pending), (30, Fired), (41, Resolved)],
            ),
            (
                "on the line (between value and clear) keeps firing, never flaps",
                [repeat(0.5, 31), repeat(0.91, 100)].concat(),
                vec![(0, Pending), (30, Fired)],
            ),
            (
                "good for less than keep-firing, then bad: still the one alert",
                [repeat(0.5, 31), repeat(0.95, 5), repeat(0.5, 5), repeat(0.95, 11)].concat(),
                vec![(0, Pending), (30, Fired), (51, Resolved)],
            ),
            (
                "no data changes nothing",
                [repeat(0.5, 31), vec![None; 100]].concat(),
                vec![(0, Pending), (30, Fired)],
            ),
        ];
        for (what, values, expected) in cases {
            let (_, changes) = run(&t, &values);
            assert_eq!(changes, expected, "{what}");
        }
    }

    #[test]
    fn no_for_time_fires_at_once_and_above_works_the_same() {
        let latency = Threshold {
            comparison: Comparison::Above,
            value: 10_000.0,
            clear: 8_000.0,
            for_s: 0,
            keep_firing_s: 0,
        };
        let (_, changes) = run(&latency, &[Some(12_000.0), Some(9_000.0), Some(7_000.0)]);
        assert_eq!(changes, vec![(0, Change::Fired), (2, Change::Resolved)]);
    }

    #[test]
    fn bad_thresholds_name_the_field() {
        let wrong_side = Threshold {
            clear: 0.85,
            ..success_rate()
        };
        assert!(wrong_side.check().expect_err("clear below").contains("at or above"));
        let nan = Threshold {
            value: f64::NAN,
            ..success_rate()
        };
        assert!(nan.check().is_err());
        let long = Threshold {
            for_s: 100_000,
            ..success_rate()
        };
        assert!(long.check().expect_err("long").contains("forS"));
        assert!(success_rate().check().is_ok());
    }

    proptest! {
        /// Whatever the values: an alert fires only after the condition held
        /// for `for` seconds without a break, resolves only after it fired
        /// and stayed good for `keep_firing`, and changes alternate
        /// sensibly (no resolve without a fire, no two fires in a row).
        #[test]
        fn fires_only_after_for_and_resolves_only_after_firing(
            values in proptest::collection::vec(proptest::option::weighted(0.9, 0.0f64..1.0), 1..400),
            for_s in 0u32..20,
            keep in 0u32..20,
        ) {
            let t = Threshold { comparison: Comparison::Below, value: 0.5, clear: 0.6, for_s, keep_firing_s: keep };
            let (_, changes) = run(&t, &values);
            let mut firing = false;
            for (s, change) in &changes {
                match change {
                    Change::Fired => {
                        prop_assert!(!firing, "fired twice at {s}");
                        // Every known value of the last `for` seconds was bad.
                        let from = (*s - i64::from(for_s)).max(0) as usize;
                        prop_assert!(values[from..=*s as usize].iter().flatten().all(|v| t.breached(*v)));
                        firing = true;
                    }
                    Change::Resolved => {
                        prop_assert!(firing, "resolved at {s} without firing");
                        let from = (*s - i64::from(keep)).max(0) as usize;
                        prop_assert!(values[from..=*s as usize].iter().flatten().all(|v| t.cleared(*v)));
                        firing = false;
                    }
                    Change::Pending | Change::Withdrawn => prop_assert!(!firing, "{change:?} while firing at {s}"),
                }
            }
        }
    }
}
