//! The retry schedule: exponential backoff with full jitter, up to a budget
//! of attempts.
//!
//! This is a pure function rather than the `backon` crate because the
//! orchestrator does not sleep between attempts: it schedules a retry through
//! its persisted queue, where a task's `not_before` time survives a restart.
//! So it needs the delay for attempt n as a value, with the randomness passed
//! in (which also makes the schedule testable), not a loop that sleeps.

use std::time::Duration;

/// How often and how far apart a failed task is tried again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included (default 4).
    pub max_attempts: u32,
    /// The ceiling of the first retry's delay (default 200 ms); it doubles
    /// with each attempt.
    pub base: Duration,
    /// No delay is longer than this (default 10 s).
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base: Duration::from_millis(200),
            cap: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The ceiling before jitter for the retry after attempt `attempt`
    /// (1-based, 0 is taken as 1): min(cap, base * 2^(attempt-1)); no
    /// overflow for any u32.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        if self.base.is_zero() {
            return Duration::ZERO;
        }
        1u32.checked_shl(attempt.saturating_sub(1))
            .and_then(|factor| self.base.checked_mul(factor))
            .map_or(self.cap, |d| d.min(self.cap))
    }

    /// Full jitter (AWS architecture blog): a uniform draw in [0, ceiling).
    /// `unit` is a random number in [0, 1); values outside are clamped (NaN
    /// counts as 0).
    pub fn delay(&self, attempt: u32, unit: f64) -> Duration {
        let ceiling = self.ceiling(attempt).as_nanos();
        if ceiling == 0 {
            return Duration::ZERO;
        }
        // `unit >= 0.0` is false for NaN too.
        let unit = if unit >= 0.0 { unit.min(1.0) } else { 0.0 };
        // In nanoseconds, so that rounding in `f64` cannot reach the
        // ceiling: a float to int cast saturates, and the draw is capped
        // just below the ceiling.
        let nanos = ((ceiling as f64 * unit) as u128).min(ceiling - 1);
        const NANOS_PER_SEC: u128 = 1_000_000_000;
        let secs = u64::try_from(nanos / NANOS_PER_SEC).unwrap_or(u64::MAX);
        // The remainder is below 10^9, so it fits.
        let sub = u32::try_from(nanos % NANOS_PER_SEC).unwrap_or(0);
        Duration::new(secs, sub)
    }

    /// Whether another attempt is allowed after `attempts_made` attempts.
    pub fn allows_another(&self, attempts_made: u32) -> bool {
        attempts_made < self.max_attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn default_schedule() {
        let p = RetryPolicy::default();
        assert_eq!(
            p,
            RetryPolicy {
                max_attempts: 4,
                base: ms(200),
                cap: ms(10_000)
            }
        );
        // (attempt, ceiling)
        let cases = [
            (0, ms(200)),
            (1, ms(200)),
            (2, ms(400)),
            (3, ms(800)),
            (4, ms(1_600)),
            (5, ms(3_200)),
            (6, ms(6_400)),
            (7, ms(10_000)),
            (8, ms(10_000)),
            (32, ms(10_000)),
            (33, ms(10_000)),
            (u32::MAX, ms(10_000)),
        ];
        for (attempt, want) in cases {
            assert_eq!(p.ceiling(attempt), want, "attempt {attempt}");
        }
    }

    #[test]
    fn delays() {
        let p = RetryPolicy::default();
        // (attempt, unit, delay)
        let cases = [
            (1, 0.0, Duration::ZERO),
            (1, 0.5, ms(100)),
            (2, 0.25, ms(100)),
            (7, 0.5, ms(5_000)),
            (1, -3.0, Duration::ZERO),
            (1, f64::NAN, Duration::ZERO),
            (1, f64::NEG_INFINITY, Duration::ZERO),
            (1, 1.0, ms(200) - Duration::from_nanos(1)),
            (1, 7.5, ms(200) - Duration::from_nanos(1)),
            (1, f64::INFINITY, ms(200) - Duration::from_nanos(1)),
        ];
        for (attempt, unit, want) in cases {
            assert_eq!(p.delay(attempt, unit), want, "attempt {attempt}, unit {unit}");
        }
    }

    #[test]
    fn degenerate_policies() {
        let zero_base = RetryPolicy {
            base: Duration::ZERO,
            ..RetryPolicy::default()
        };
        assert_eq!(zero_base.ceiling(u32::MAX), Duration::ZERO);
        assert_eq!(zero_base.delay(3, 0.9), Duration::ZERO);
        let cap_below_base = RetryPolicy {
            base: ms(500),
            cap: ms(100),
            max_attempts: 2,
        };
        assert_eq!(cap_below_base.ceiling(1), ms(100));
        let huge = RetryPolicy {
            base: Duration::MAX,
            cap: Duration::MAX,
            max_attempts: 1,
        };
        assert_eq!(huge.ceiling(2), Duration::MAX);
        assert!(huge.delay(2, 0.999_999_999_999) < Duration::MAX);
        let none = RetryPolicy {
            max_attempts: 0,
            ..RetryPolicy::default()
        };
        assert!(!none.allows_another(0));
    }

    #[test]
    fn budget() {
        let p = RetryPolicy::default();
        let allowed: Vec<bool> = (0..6).map(|n| p.allows_another(n)).collect();
        assert_eq!(allowed, [true, true, true, true, false, false]);
    }

    fn any_duration() -> impl Strategy<Value = Duration> {
        prop_oneof![
            (0u64..20_000).prop_map(Duration::from_millis),
            (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
            Just(Duration::ZERO),
            Just(Duration::MAX),
        ]
    }

    fn any_policy() -> impl Strategy<Value = RetryPolicy> {
        (any::<u32>(), any_duration(), any_duration()).prop_map(|(max_attempts, base, cap)| RetryPolicy {
            max_attempts,
            base,
            cap,
        })
    }

    fn any_attempt() -> impl Strategy<Value = u32> {
        prop_oneof![0u32..70, any::<u32>()]
    }

    proptest! {
        #[test]
        fn delay_is_below_the_ceiling(p in any_policy(), attempt in any_attempt(), unit in any::<f64>()) {
            let ceiling = p.ceiling(attempt);
            let delay = p.delay(attempt, unit);
            if ceiling.is_zero() {
                prop_assert_eq!(delay, Duration::ZERO);
            } else {
                prop_assert!(delay < ceiling, "{:?} >= {:?}", delay, ceiling);
            }
        }

        #[test]
        fn delay_in_range_for_units(p in any_policy(), attempt in any_attempt(), unit in 0.0f64..1.0) {
            let ceiling = p.ceiling(attempt);
            let delay = p.delay(attempt, unit);
            prop_assert!(delay <= ceiling);
            // Monotone in the random draw.
            prop_assert!(p.delay(attempt, unit / 2.0) <= delay);
        }

        #[test]
        fn ceiling_grows_and_stays_under_the_cap(p in any_policy(), attempt in any_attempt()) {
            let here = p.ceiling(attempt);
            prop_assert!(here <= p.cap);
            prop_assert!(here <= p.ceiling(attempt.saturating_add(1)));
        }

        #[test]
        fn allows_another_within_the_budget(p in any_policy(), made in any::<u32>()) {
            prop_assert_eq!(p.allows_another(made), made < p.max_attempts);
        }
    }
}
