//! Anomaly of one series (latency, error rate, CPU, memory) against its own
//! rolling baseline (issue 22): an exponentially weighted mean and variance
//! with a half-life in samples. Pure: `Baseline::observe` takes the next
//! value and returns how far it is from what was expected, in spreads (`z`);
//! an alert rule will later feed that score to `lifecycle::step`.
//!
//! Four guards keep the score honest:
//! - a warm-up: the first samples only teach, nothing is anomalous yet;
//! - a floor on the spread (absolute, and relative to the mean), so a flat
//!   series does not make every small wiggle an anomaly;
//! - outliers (`|z| > k`, on either side) are not learned, so an incident
//!   does not become the new normal while it lasts;
//! - but `adapt_after` outliers in a row on the same side are a level
//!   shift: the baseline restarts from those samples and the new level is
//!   normal from then on.
//!
//! Missing data (NaN, infinities) is skipped: it neither scores nor teaches.

use serde::{Deserialize, Serialize};

/// Which side of the baseline is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Direction {
    /// Only high is bad (latency, error rate, CPU, memory).
    #[default]
    Above,
    /// Only low is bad (throughput, success rate).
    Below,
    /// Both sides are bad.
    Both,
}

/// How a baseline learns and when a value is anomalous.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ts_rs::TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AnomalySettings {
    /// After this many samples a sample's weight in the baseline has
    /// halved.
    pub half_life: u32,
    /// The first samples only teach the baseline: no score until this many
    /// were learned.
    pub warm_up: u32,
    /// A value is anomalous past this many spreads from the baseline.
    pub k: f64,
    /// Which side of the baseline is bad.
    pub direction: Direction,
    /// The spread is at least this, in the series' unit (never zero, so a
    /// constant series still gives a finite score).
    pub min_spread_abs: f64,
    /// The spread is at least this fraction of the baseline's mean.
    pub min_spread_rel: f64,
    /// After this many outliers in a row on the same side the baseline
    /// restarts from them: a level shift becomes the new normal.
    pub adapt_after: u32,
}

impl Default for AnomalySettings {
    /// Five minutes' half-life, a minute's warm-up and a minute before a
    /// shift is the new normal at one sample a second; 4 spreads, high is
    /// bad. The floors suit a series whose values are about 1 or more:
    /// a flat series must move 20 % (4 × 5 %) to be anomalous.
    fn default() -> Self {
        AnomalySettings {
            half_life: 300,
            warm_up: 60,
            k: 4.0,
            direction: Direction::Above,
            min_spread_abs: 1e-3,
            min_spread_rel: 0.05,
            adapt_after: 60,
        }
    }
}

/// At most a day of one-second samples for the counts.
const MAX_SAMPLES: u32 = 86_400;

impl AnomalySettings {
    /// What is wrong with the settings, each problem naming the field.
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(1..=MAX_SAMPLES).contains(&self.half_life) {
            problems.push(format!("halfLife: 1 to {MAX_SAMPLES} samples, not {}", self.half_life));
        }
        if !(1..=MAX_SAMPLES).contains(&self.warm_up) {
            problems.push(format!("warmUp: 1 to {MAX_SAMPLES} samples, not {}", self.warm_up));
        }
        if !(self.k.is_finite() && self.k > 0.0 && self.k <= 100.0) {
            problems.push(format!("k: more than 0 and at most 100, not {}", self.k));
        }
        if !(self.min_spread_abs.is_finite() && self.min_spread_abs > 0.0) {
            problems.push(format!("minSpreadAbs: a number above 0, not {}", self.min_spread_abs));
        }
        if !(self.min_spread_rel.is_finite() && (0.0..=1.0).contains(&self.min_spread_rel)) {
            problems.push(format!("minSpreadRel: 0 to 1, not {}", self.min_spread_rel));
        }
        // A shorter run is a spike, not a shift: one outlier would become
        // the baseline.
        if !(3..=MAX_SAMPLES).contains(&self.adapt_after) {
            problems.push(format!(
                "adaptAfter: 3 to {MAX_SAMPLES} samples, not {}",
                self.adapt_after
            ));
        }
        problems
    }

    /// The weight of a new sample once the baseline is full.
    fn alpha(&self) -> f64 {
        1.0 - 0.5f64.powf(1.0 / f64::from(self.half_life.max(1)))
    }

    /// How bad a score is: its distance from the baseline on the bad
    /// side, in spreads (negative on the good side).
    pub fn badness(&self, score: &Score) -> f64 {
        match self.direction {
            Direction::Above => score.z,
            Direction::Below => -score.z,
            Direction::Both => score.z.abs(),
        }
    }

    /// Whether a score is anomalous on the bad side.
    pub fn is_anomaly(&self, score: &Score) -> bool {
        match self.direction {
            Direction::Above => score.z > self.k,
            Direction::Below => score.z < -self.k,
            Direction::Both => score.z.abs() > self.k,
        }
    }
}

/// How far one value is from its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Score {
    /// `(value - expected) / spread`: positive above the baseline. Always
    /// finite.
    pub z: f64,
    /// The baseline's mean before this value.
    pub expected: f64,
    /// The baseline's standard deviation, raised to the floors.
    pub spread: f64,
}

/// A weighted mean and variance (Finch's incremental formulas). The weight
/// of a new sample is `1/n` while that is above the half-life's, so early
/// samples count equally (Welford's mean and population variance) instead
/// of the first one dominating.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
struct Moments {
    /// Samples learned (saturating).
    n: u64,
    mean: f64,
    /// Never negative or NaN: at most `f64::MAX`.
    var: f64,
}

impl Moments {
    /// Learns finite `x` with weight at least `alpha` (0 for a plain
    /// average).
    fn push(&mut self, x: f64, alpha: f64) {
        self.n = self.n.saturating_add(1);
        // u64 to f64 only loses precision far beyond any real count.
        let a = (1.0 / self.n as f64).max(alpha);
        if a >= 1.0 {
            self.mean = x;
            self.var = 0.0;
            return;
        }
        let diff = x - self.mean;
        // A convex combination (not `mean + a * diff`, which overflows for
        // values of opposite sign near `f64::MAX`), kept between the two
        // against rounding.
        let (lo, hi) = (self.mean.min(x), self.mean.max(x));
        self.mean = (self.mean * (1.0 - a) + x * a).clamp(lo, hi);
        let var = (1.0 - a) * (self.var + a * diff * diff);
        self.var = if var.is_finite() { var } else { f64::MAX };
    }
}

/// A run of outliers on one side: the level a shift would move the
/// baseline to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Run {
    above: bool,
    moments: Moments,
}

/// One series' rolling baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Baseline {
    settings: AnomalySettings,
    moments: Moments,
    /// Samples learned since the start, for the warm-up (saturating; a
    /// level shift does not restart it).
    learned: u64,
    /// Outliers in a row on one side, not learned (yet).
    run: Option<Run>,
}

impl Baseline {
    /// An empty baseline, if the settings are valid.
    pub fn new(settings: AnomalySettings) -> Result<Self, Vec<String>> {
        let problems = settings.check();
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Baseline {
            settings,
            moments: Moments::default(),
            learned: 0,
            run: None,
        })
    }

    /// How this baseline learns and scores.
    pub fn settings(&self) -> &AnomalySettings {
        &self.settings
    }

    /// Scores `value` against the baseline, then learns from it unless it
    /// is an outlier. `None` during the warm-up (the value is learned) and
    /// for a value that is not a number (skipped).
    pub fn observe(&mut self, value: f64) -> Option<Score> {
        if !value.is_finite() {
            return None;
        }
        if self.learned < u64::from(self.settings.warm_up) {
            self.learn(value);
            return None;
        }
        let score = self.score(value);
        let k = self.settings.k;
        if score.z.abs() <= k {
            self.run = None;
            self.learn(value);
            return Some(score);
        }
        let above = score.z > 0.0;
        let mut run = match self.run.take() {
            Some(run) if run.above == above => run,
            _ => Run {
                above,
                moments: Moments::default(),
            },
        };
        run.moments.push(value, 0.0);
        if run.moments.n >= u64::from(self.settings.adapt_after) {
            // A level shift: the run is the new baseline.
            self.moments = run.moments;
        } else {
            self.run = Some(run);
        }
        Some(score)
    }

    fn learn(&mut self, value: f64) {
        self.learned = self.learned.saturating_add(1);
        self.moments.push(value, self.settings.alpha());
    }

    fn score(&self, value: f64) -> Score {
        let expected = self.moments.mean;
        let spread = self
            .moments
            .var
            .sqrt()
            .max(self.settings.min_spread_abs)
            .max(self.settings.min_spread_rel * expected.abs());
        // The difference overflows for values of opposite sign near
        // `f64::MAX`; the spread is finite and above 0, so z is never NaN.
        let z = ((value - expected) / spread).clamp(-f64::MAX, f64::MAX);
        Score { z, expected, spread }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A tiny deterministic generator (Knuth's MMIX LCG).
    struct Lcg(u64);

    impl Lcg {
        /// Uniform in (0, 1].
        fn uniform(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((self.0 >> 11) as f64 + 1.0) / (1u64 << 53) as f64
        }

        /// Standard normal (Box–Muller).
        fn normal(&mut self) -> f64 {
            let (u1, u2) = (self.uniform(), self.uniform());
            (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        }
    }

    /// `n` samples of `level(i)` plus normal noise of `sigma`.
    fn series(seed: u64, n: usize, sigma: f64, level: impl Fn(usize) -> f64) -> Vec<f64> {
        let mut rng = Lcg(seed);
        (0..n).map(|i| level(i) + sigma * rng.normal()).collect()
    }

    fn both() -> AnomalySettings {
        AnomalySettings {
            direction: Direction::Both,
            ..AnomalySettings::default()
        }
    }

    /// Observes `value`: whether it is anomalous on the bad side.
    fn flag(baseline: &mut Baseline, value: f64) -> bool {
        let settings = *baseline.settings();
        baseline.observe(value).is_some_and(|s| settings.is_anomaly(&s))
    }

    /// Observes every value and returns the baseline and the indices of
    /// the anomalies.
    fn run(settings: AnomalySettings, values: &[f64]) -> (Baseline, Vec<usize>) {
        let mut baseline = Baseline::new(settings).expect("valid settings");
        let flagged = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| flag(&mut baseline, *v).then_some(i))
            .collect();
        (baseline, flagged)
    }

    #[test]
    fn a_stationary_noisy_series_has_almost_no_anomalies() {
        for seed in [1, 2, 3] {
            let values = series(seed, 10_000, 10.0, |_| 100.0);
            let (baseline, flagged) = run(both(), &values);
            // At most 0.1 % (a normal series is past 4σ 0.006 % of the time).
            assert!(
                flagged.len() <= 10,
                "seed {seed}: {} anomalies: {flagged:?}",
                flagged.len()
            );
            assert!(
                (baseline.moments.mean - 100.0).abs() < 3.0,
                "seed {seed}: {:?}",
                baseline.moments
            );
            let sd = baseline.moments.var.sqrt();
            assert!((7.0..13.0).contains(&sd), "seed {seed}: sd {sd}");
        }
    }

    #[test]
    fn a_spike_of_ten_sigma_is_flagged_and_not_learned() {
        let mut values = series(7, 3_000, 10.0, |_| 100.0);
        values[2_000] = 200.0;
        let (_, flagged) = run(both(), &values);
        assert_eq!(flagged, vec![2_000]);

        let mut baseline = Baseline::new(both()).expect("valid settings");
        for v in &values[..2_000] {
            baseline.observe(*v);
        }
        let before = baseline.moments;
        let score = baseline.observe(200.0).expect("past the warm-up");
        assert!(score.z > 7.0, "{score:?}");
        assert_eq!(baseline.moments, before, "the spike was learned");
    }

    #[test]
    fn a_step_is_flagged_then_absorbed_after_adapt_after_samples() {
        let settings = both();
        let adapt = settings.adapt_after as usize;
        let values = series(11, 4_000, 10.0, |i| if i < 2_000 { 100.0 } else { 200.0 });
        let (baseline, flagged) = run(settings, &values);
        let before: Vec<&usize> = flagged.iter().filter(|i| **i < 2_000).collect();
        let after: Vec<&usize> = flagged.iter().filter(|i| **i >= 2_000 + adapt).collect();
        // Every sample of the shift is flagged until it is the new normal.
        let during = flagged.iter().filter(|i| (2_000..2_000 + adapt).contains(*i)).count();
        assert_eq!(during, adapt, "{flagged:?}");
        assert!(before.len() <= 2, "before the shift: {before:?}");
        assert!(after.len() <= 2, "after the shift: {after:?}");
        assert!((baseline.moments.mean - 200.0).abs() < 3.0, "{:?}", baseline.moments);

        // A step down is bad only where low is bad.
        let down = series(11, 4_000, 10.0, |i| if i < 2_000 { 100.0 } else { 0.0 });
        let (_, above) = run(AnomalySettings::default(), &down);
        assert!(above.is_empty(), "{above:?}");
        let below = AnomalySettings {
            direction: Direction::Below,
            ..AnomalySettings::default()
        };
        let (_, flagged) = run(below, &down);
        assert_eq!(flagged.len(), adapt, "{flagged:?}");
    }

    #[test]
    fn a_flat_series_moving_one_percent_is_not_flagged() {
        // (what, flat level, then, anomalous)
        let cases = [
            ("+1 % of a flat 100", 100.0, 101.0, false),
            ("-1 % of a flat 100", 100.0, 99.0, false),
            ("+10 % of a flat 100", 100.0, 110.0, false),
            ("+30 % of a flat 100", 100.0, 130.0, true),
            ("a flat 0 then 0.001", 0.0, 0.001, false),
            ("a flat 0 then 0.01", 0.0, 0.01, true),
        ];
        for (what, flat, then, anomalous) in cases {
            let mut baseline = Baseline::new(both()).expect("valid settings");
            for _ in 0..1_000 {
                assert!(!flag(&mut baseline, flat), "{what}: the flat part");
            }
            assert_eq!(flag(&mut baseline, then), anomalous, "{what}");
        }
    }

    #[test]
    fn the_warm_up_gives_no_score() {
        let settings = AnomalySettings {
            warm_up: 5,
            ..AnomalySettings::default()
        };
        let mut baseline = Baseline::new(settings).expect("valid settings");
        let scores: Vec<Option<Score>> = [1.0, 2.0, 1.0, 2.0, 1000.0, 1.5]
            .iter()
            .map(|v| baseline.observe(*v))
            .collect();
        assert!(scores[..5].iter().all(Option::is_none), "{scores:?}");
        let last = scores[5].expect("past the warm-up");
        // Everything in the warm-up was learned, the 1000 too.
        assert!((last.expected - 201.2).abs() < 1e-9, "{last:?}");
    }

    #[test]
    fn not_a_number_is_skipped_and_does_not_poison_the_baseline() {
        let values = series(5, 500, 10.0, |_| 100.0);
        let mut baseline = Baseline::new(both()).expect("valid settings");
        for v in &values {
            baseline.observe(*v);
        }
        let before = baseline.clone();
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(baseline.observe(v), None);
        }
        assert_eq!(baseline, before);
        let score = baseline.observe(100.0).expect("past the warm-up");
        assert!(score.z.is_finite() && score.z.abs() < 1.0, "{score:?}");
    }

    #[test]
    fn a_slow_drift_is_tracked_without_alarms() {
        // 100 to 200 over 10,000 samples: ten sigmas, 0.01 a sample.
        let level = |i: usize| 100.0 + 0.01 * i as f64;
        let values = series(13, 10_000, 10.0, level);
        let (baseline, flagged) = run(both(), &values);
        assert!(flagged.len() <= 10, "{flagged:?}");
        // The lag of an exponential mean behind a trend: slope × (1 − α) / α,
        // about 4.3 here.
        let lag = level(9_999) - baseline.moments.mean;
        assert!((0.0..8.0).contains(&lag), "lag {lag}");
    }

    #[test]
    fn bad_settings_name_the_field() {
        let d = AnomalySettings::default();
        assert!(d.check().is_empty(), "{:?}", d.check());
        // (what, settings, the field named)
        let cases = [
            ("no half-life", AnomalySettings { half_life: 0, ..d }, "halfLife"),
            ("no warm-up", AnomalySettings { warm_up: 0, ..d }, "warmUp"),
            ("k not a number", AnomalySettings { k: f64::NAN, ..d }, "k:"),
            ("k zero", AnomalySettings { k: 0.0, ..d }, "k:"),
            (
                "no absolute floor",
                AnomalySettings {
                    min_spread_abs: 0.0,
                    ..d
                },
                "minSpreadAbs",
            ),
            (
                "relative floor above 1",
                AnomalySettings {
                    min_spread_rel: 2.0,
                    ..d
                },
                "minSpreadRel",
            ),
            ("adapt after one", AnomalySettings { adapt_after: 1, ..d }, "adaptAfter"),
        ];
        for (what, settings, field) in cases {
            let problems = settings.check();
            assert_eq!(problems.len(), 1, "{what}: {problems:?}");
            assert!(problems[0].starts_with(field), "{what}: {problems:?}");
            assert!(Baseline::new(settings).is_err(), "{what}");
        }
    }

    #[test]
    fn settings_and_baselines_round_trip_through_json() {
        let settings: AnomalySettings =
            serde_json::from_str(r#"{"halfLife": 60, "direction": "both"}"#).expect("partial settings");
        assert_eq!(settings.half_life, 60);
        assert_eq!(settings.direction, Direction::Both);
        assert_eq!(settings.k, 4.0);
        assert!(serde_json::from_str::<AnomalySettings>(r#"{"halflife": 60}"#).is_err());

        let (baseline, _) = run(settings, &series(3, 200, 1.0, |_| 5.0));
        let json = serde_json::to_string(&baseline).expect("serialize");
        let back: Baseline = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, baseline);
    }

    /// Finite values of any size (normal, subnormal, zero) and, now and
    /// then, no value at all.
    fn any_value() -> impl Strategy<Value = f64> {
        prop_oneof![
            8 => -1e6f64..1e6,
            4 => proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL | proptest::num::f64::ZERO,
            1 => Just(f64::NAN),
            1 => Just(f64::INFINITY),
        ]
    }

    proptest! {
        /// Whatever the values and settings: the mean stays within the
        /// values seen, the variance is never negative or NaN, and every
        /// score is finite.
        #[test]
        fn the_baseline_stays_within_the_values_seen(
            values in proptest::collection::vec(any_value(), 1..400),
            half_life in 1u32..500,
            warm_up in 1u32..50,
            adapt_after in 3u32..50,
            k in 0.5f64..10.0,
        ) {
            let settings = AnomalySettings { half_life, warm_up, adapt_after, k, ..AnomalySettings::default() };
            let mut baseline = Baseline::new(settings).expect("valid settings");
            let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
            for v in values {
                let score = baseline.observe(v);
                if v.is_finite() {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
                if let Some(s) = score {
                    prop_assert!(s.z.is_finite() && s.spread.is_finite() && s.spread > 0.0, "{s:?}");
                }
                let m = baseline.moments;
                if m.n > 0 {
                    prop_assert!(lo <= m.mean && m.mean <= hi, "mean {} outside {lo}..{hi}", m.mean);
                }
                prop_assert!(m.var >= 0.0 && m.var.is_finite(), "variance {}", m.var);
            }
        }
    }
}
