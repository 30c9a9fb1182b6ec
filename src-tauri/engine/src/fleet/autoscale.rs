//! Auto-scaling (seed 001): a per-agent policy, off unless set, that moves
//! an agent's instances between a minimum and a maximum from one signal
//! averaged over a window of the metrics history, with a cooldown between
//! changes. Pure: the engine reads the figures and applies the decision.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What a policy watches, per instance of the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Signal {
    /// Tasks at the agent (in flight) per instance: its queue.
    Tasks,
    /// The agent's task latency p95 in milliseconds.
    LatencyP95Ms,
    /// CPU per instance, percent of one core.
    Cpu,
}

impl Signal {
    /// The series of the agent's metric the signal reads, and whether it
    /// is divided by the instances.
    pub fn series(self, agent_id: &str) -> (String, bool) {
        match self {
            Signal::Tasks => (format!("active_tasks{{{agent_id}}}"), true),
            Signal::LatencyP95Ms => (format!("task_latency_ms:p95{{{agent_id}}}"), false),
            Signal::Cpu => (format!("cpu_percent{{{agent_id}}}"), true),
        }
    }
}

/// One agent's policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutoscalePolicy {
    pub min: u32,
    pub max: u32,
    pub signal: Signal,
    /// Above this (the window's mean) one instance is added.
    pub scale_up_above: f64,
    /// Below this one is removed.
    pub scale_down_below: f64,
    /// The window the signal is averaged over (10..=3600 s).
    pub window_s: u32,
    /// No change sooner than this after the last one (0..=86400 s).
    pub cooldown_s: u32,
}

impl AutoscalePolicy {
    /// What is wrong with the policy, naming the field.
    pub fn check(&self, max_instances: u32) -> Result<(), String> {
        if self.min < 1 || self.max > max_instances || self.min > self.max {
            return Err(format!(
                "min and max: 1 ≤ min ≤ max ≤ {max_instances}, not {}..{}",
                self.min, self.max
            ));
        }
        if !(self.scale_down_below.is_finite() && self.scale_up_above.is_finite())
            || self.scale_down_below < 0.0
            || self.scale_down_below >= self.scale_up_above
        {
            return Err(format!(
                "scaleDownBelow ({}) must be at least 0 and below scaleUpAbove ({})",
                self.scale_down_below, self.scale_up_above
            ));
        }
        if !(10..=3600).contains(&self.window_s) {
            return Err(format!("windowS: 10 to 3600 seconds, not {}", self.window_s));
        }
        if self.cooldown_s > 86_400 {
            return Err(format!("cooldownS: at most 86400 seconds, not {}", self.cooldown_s));
        }
        Ok(())
    }
}

/// A change the policy asks for, with the figures behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScaleDecision {
    pub from: u32,
    pub to: u32,
    pub signal: Signal,
    /// The signal's value over the window (per instance where it says so).
    pub value: f64,
    /// The threshold it crossed.
    pub threshold: f64,
    pub window_s: u32,
}

/// What the policy asks for now: `instances` running, `value` the signal
/// over the window (none when the window has no data: nothing changes),
/// the last change `since_change_s` ago (none: never).
pub fn decide(
    policy: &AutoscalePolicy,
    instances: u32,
    value: Option<f64>,
    since_change_s: Option<u64>,
) -> Option<ScaleDecision> {
    let decision = |to: u32, value: f64, threshold: f64| ScaleDecision {
        from: instances,
        to,
        signal: policy.signal,
        value,
        threshold,
        window_s: policy.window_s,
    };
    // Outside the bounds (a person scaled by hand, or the policy changed):
    // back inside at once, cooldown or not.
    if instances < policy.min {
        return Some(decision(policy.min, value.unwrap_or(0.0), f64::from(policy.min)));
    }
    if instances > policy.max {
        return Some(decision(policy.max, value.unwrap_or(0.0), f64::from(policy.max)));
    }
    let value = value?;
    if since_change_s.is_some_and(|s| s < u64::from(policy.cooldown_s)) {
        return None;
    }
    if value > policy.scale_up_above && instances < policy.max {
        return Some(decision(instances + 1, value, policy.scale_up_above));
    }
    if value < policy.scale_down_below && instances > policy.min {
        return Some(decision(instances - 1, value, policy.scale_down_below));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> AutoscalePolicy {
        AutoscalePolicy {
            min: 1,
            max: 3,
            signal: Signal::Tasks,
            scale_up_above: 2.0,
            scale_down_below: 0.5,
            window_s: 60,
            cooldown_s: 120,
        }
    }

    #[test]
    fn the_policy_decides() {
        // (instances, value, seconds since the last change, asked for)
        type Row = (u32, Option<f64>, Option<u64>, Option<u32>);
        let table: [Row; 10] = [
            (1, Some(3.0), None, Some(2)),
            (2, Some(3.0), Some(121), Some(3)),
            (3, Some(9.0), None, None),     // at the maximum
            (2, Some(3.0), Some(60), None), // cooling down
            (2, Some(0.1), Some(500), Some(1)),
            (1, Some(0.0), None, None),       // at the minimum
            (2, Some(1.0), None, None),       // between the thresholds
            (2, None, None, None),            // no data: no change
            (0, None, Some(1), Some(1)),      // below the bounds, at once
            (5, Some(9.0), Some(1), Some(3)), // above them, at once
        ];
        for (instances, value, since, expected) in table {
            let got = decide(&policy(), instances, value, since).map(|d| d.to);
            assert_eq!(
                got, expected,
                "{instances} instances, value {value:?}, {since:?} s since a change"
            );
        }
    }

    #[test]
    fn a_decision_carries_its_figures() {
        let d = decide(&policy(), 1, Some(3.5), None).expect("up");
        assert_eq!((d.from, d.to, d.value, d.threshold, d.window_s), (1, 2, 3.5, 2.0, 60));
    }

    #[test]
    fn bad_policies_name_the_field() {
        let cases = [
            (AutoscalePolicy { min: 0, ..policy() }, "min and max"),
            (AutoscalePolicy { max: 11, ..policy() }, "min and max"),
            (
                AutoscalePolicy {
                    scale_down_below: 3.0,
                    ..policy()
                },
                "scaleDownBelow",
            ),
            (
                AutoscalePolicy {
                    window_s: 5,
                    ..policy()
                },
                "windowS",
            ),
            (
                AutoscalePolicy {
                    cooldown_s: 100_000,
                    ..policy()
                },
                "cooldownS",
            ),
        ];
        for (p, field) in cases {
            let err = p.check(10).expect_err(field);
            assert!(err.contains(field), "{err}");
        }
        assert!(policy().check(10).is_ok());
    }
}
