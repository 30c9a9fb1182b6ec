//! The store's tiers: every sample at 1 s, rollups per minute and per
//! hour, each kept for its own time; which tier a query reads.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use crate::config::Retention;

/// One level of detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Tier {
    /// Every sample, one a second.
    Second,
    /// Per minute: min, max, sum and count, and latency histograms merged.
    Minute,
    /// Per hour, from the minutes.
    Hour,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Second, Tier::Minute, Tier::Hour];

    /// The time between two points of this tier.
    pub const fn step_ms(self) -> i64 {
        match self {
            Tier::Second => 1_000,
            Tier::Minute => 60_000,
            Tier::Hour => 3_600_000,
        }
    }

    /// The time one stored block covers: 600 seconds, 6 hours of minutes,
    /// 10 days of hours (a few hundred points each, where compression pays).
    pub const fn block_ms(self) -> i64 {
        match self {
            Tier::Second => 600_000,
            Tier::Minute => 6 * 3_600_000,
            Tier::Hour => 240 * 3_600_000,
        }
    }

    /// Where the block holding `at_ms` starts.
    pub fn block_start(self, at_ms: i64) -> i64 {
        at_ms.div_euclid(self.block_ms()) * self.block_ms()
    }

    /// The tier's number in the database.
    pub const fn code(self) -> i64 {
        match self {
            Tier::Second => 0,
            Tier::Minute => 1,
            Tier::Hour => 2,
        }
    }
}

impl Retention {
    pub fn of(&self, tier: Tier) -> i64 {
        match tier {
            Tier::Second => self.second_ms,
            Tier::Minute => self.minute_ms,
            Tier::Hour => self.hour_ms,
        }
    }
}

/// The tier a chart of `width` pixels over `from_ms..to_ms` reads: the
/// coarsest whose step still fits in one pixel column (so no column is
/// empty for lack of detail), among those that still hold `from_ms`.
pub fn choose(from_ms: i64, to_ms: i64, width: u32, now_ms: i64, retention: &Retention) -> Tier {
    let per_pixel = (to_ms - from_ms).max(1) / i64::from(width.max(1));
    let holds = |tier: Tier| now_ms - retention.of(tier) <= from_ms;
    let mut chosen = Tier::Second;
    for tier in Tier::ALL {
        if tier.step_ms() <= per_pixel || !holds(chosen) {
            chosen = tier;
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;
    const HOUR: i64 = 60 * MIN;
    const DAY: i64 = 24 * HOUR;

    #[test]
    fn the_range_picks_the_tier() {
        let now = 400 * DAY;
        let r = Retention::default();
        // (range, width, tier)
        let table = [
            (5 * MIN, 800, Tier::Second),
            (HOUR, 800, Tier::Second),
            (24 * HOUR, 800, Tier::Minute),
            (24 * HOUR, 100_000, Tier::Second),
            (7 * DAY, 800, Tier::Minute),
            (30 * DAY, 800, Tier::Minute),
            (30 * DAY, 200, Tier::Hour),
            (365 * DAY, 800, Tier::Hour),
        ];
        for (range, width, tier) in table {
            assert_eq!(
                choose(now - range, now, width, now, &r),
                tier,
                "{range} ms over {width} px"
            );
        }
    }

    #[test]
    fn a_range_older_than_a_tier_keeps_goes_coarser() {
        let now = 400 * DAY;
        let r = Retention::default();
        // Ten minutes, but two days ago: the seconds are gone.
        assert_eq!(
            choose(now - 2 * DAY, now - 2 * DAY + 10 * MIN, 800, now, &r),
            Tier::Minute
        );
        // Ten minutes, sixty days ago: only hours are left.
        assert_eq!(
            choose(now - 60 * DAY, now - 60 * DAY + 10 * MIN, 800, now, &r),
            Tier::Hour
        );
    }

    #[test]
    fn blocks_align() {
        assert_eq!(Tier::Second.block_start(1_234_567), 1_200_000);
        assert_eq!(Tier::Minute.block_start(-1), -Tier::Minute.block_ms());
        for tier in Tier::ALL {
            assert_eq!(tier.block_ms() % tier.step_ms(), 0);
        }
    }
}
