//! Self-healing policy: when a deployed agent's container is found dead, it
//! is restarted at once, then with exponential backoff; an agent that needs
//! more than `max_restarts` restarts within `window` is flapping and is left
//! stopped. Pure: time is passed in.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct HealPolicy {
    pub max_restarts: usize,
    pub window: Duration,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for HealPolicy {
    fn default() -> Self {
        Self {
            max_restarts: 3,
            window: Duration::from_secs(120),
            base_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// What to do about a dead agent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Restart it; this is restart number `attempt` within the window.
    Restart { attempt: u32 },
    /// Too soon after the last restart.
    Wait,
    /// Flapping: leave it stopped.
    GiveUp { restarts: usize },
}

/// One agent's recent restarts.
#[derive(Debug, Clone, Default)]
pub struct Healing {
    restarts: VecDeque<Instant>,
}

impl Healing {
    /// Decides for a dead agent at `now`, recording a restart when it says so.
    pub fn decide(&mut self, now: Instant, policy: &HealPolicy) -> Decision {
        while self
            .restarts
            .front()
            .is_some_and(|t| now.duration_since(*t) > policy.window)
        {
            self.restarts.pop_front();
        }
        let done = self.restarts.len();
        if done >= policy.max_restarts {
            return Decision::GiveUp { restarts: done };
        }
        if let Some(last) = self.restarts.back() {
            let factor = 1u32 << (done - 1).min(16);
            let backoff = policy.base_backoff.saturating_mul(factor).min(policy.max_backoff);
            if now.duration_since(*last) < backoff {
                return Decision::Wait;
            }
        }
        self.restarts.push_back(now);
        Decision::Restart {
            attempt: done as u32 + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restarts_at_once_then_backs_off_then_gives_up() {
        let policy = HealPolicy::default();
        let t0 = Instant::now();
        let mut h = Healing::default();
        let at = |s: u64| t0 + Duration::from_millis(s);
        assert_eq!(h.decide(at(0), &policy), Decision::Restart { attempt: 1 });
        assert_eq!(h.decide(at(500), &policy), Decision::Wait, "1 s after the first");
        assert_eq!(h.decide(at(1_000), &policy), Decision::Restart { attempt: 2 });
        assert_eq!(h.decide(at(2_500), &policy), Decision::Wait, "2 s after the second");
        assert_eq!(h.decide(at(3_000), &policy), Decision::Restart { attempt: 3 });
        assert_eq!(h.decide(at(60_000), &policy), Decision::GiveUp { restarts: 3 });
    }

    #[test]
    fn old_restarts_leave_the_window() {
        let policy = HealPolicy::default();
        let t0 = Instant::now();
        let mut h = Healing::default();
        for (i, s) in [0u64, 2, 6].into_iter().enumerate() {
            assert_eq!(
                h.decide(t0 + Duration::from_secs(s), &policy),
                Decision::Restart { attempt: i as u32 + 1 }
            );
        }
        // At 121 s only the first restart has left the two-minute window.
        assert_eq!(
            h.decide(t0 + Duration::from_secs(121), &policy),
            Decision::Restart { attempt: 3 }
        );
    }

    /// Whatever the timing, never more than `max_restarts` within a window.
    #[test]
    fn never_more_restarts_than_allowed_in_a_window() {
        let policy = HealPolicy::default();
        let t0 = Instant::now();
        for step_ms in [1u64, 10, 100, 250, 999, 1000, 4000, 40_000] {
            let mut h = Healing::default();
            let mut restarts: Vec<u64> = Vec::new();
            for i in 0..2000u64 {
                let now = i * step_ms;
                if let Decision::Restart { .. } = h.decide(t0 + Duration::from_millis(now), &policy) {
                    restarts.push(now);
                }
            }
            for (i, start) in restarts.iter().enumerate() {
                let within = restarts[i..]
                    .iter()
                    .filter(|t| **t - start <= policy.window.as_millis() as u64)
                    .count();
                assert!(
                    within <= policy.max_restarts,
                    "step {step_ms} ms: {within} restarts in a window"
                );
            }
        }
    }
}
