//! A per-agent circuit breaker: closed, open, half-open.
//!
//! Closed lets every call through and counts failures in a row. At
//! `failures_to_open` it opens and refuses calls. Once `recovery` has passed
//! it is half-open: one probe call goes through; its success closes the
//! breaker, its failure opens it again for another `recovery`.
//!
//! Pure logic: time comes in as [`Instant`] arguments, and the half-open
//! state is derived from them when asked, so nothing needs a timer.

use std::time::Duration;

use tokio::time::Instant;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Settings (from Config): open after `failures_to_open` consecutive
/// failures (default 5); after `recovery` (default 30 s) one probe call is
/// let through (half-open); a success closes it, a failure opens it again for
/// another `recovery`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerSettings {
    /// Failures in a row that open the breaker; 0 is taken as 1.
    pub failures_to_open: u32,
    /// How long the breaker stays open before it lets one probe through.
    pub recovery: Duration,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        BreakerSettings {
            failures_to_open: 5,
            recovery: Duration::from_secs(30),
        }
    }
}

impl BreakerSettings {
    fn threshold(&self) -> u32 {
        self.failures_to_open.max(1)
    }
}

/// Where a breaker stands, as the router and the UI see it. Ordered as
/// declared, so lists that hold it can be sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls go through; failures are counted.
    Closed,
    /// Calls are refused until `recovery` has passed.
    Open,
    /// One probe call may go through to test the agent.
    HalfOpen,
}

/// The breaker of one agent instance.
#[derive(Debug, Clone, Default)]
pub struct Breaker {
    /// Failures in a row since the last success.
    failures: u32,
    /// When the breaker last opened; None while closed.
    opened_at: Option<Instant>,
    /// Whether the half-open probe has been sent and has not ended yet.
    probe_in_flight: bool,
}

impl Breaker {
    /// What the router sees now: Open turns into HalfOpen once `recovery`
    /// has passed since it opened.
    pub fn state(&self, now: Instant, s: &BreakerSettings) -> BreakerState {
        match self.opened_at {
            None => BreakerState::Closed,
            Some(at) if now.saturating_duration_since(at) >= s.recovery => BreakerState::HalfOpen,
            Some(_) => BreakerState::Open,
        }
    }

    /// Whether a call may be sent now (closed: yes; open: no; half-open:
    /// only when no probe is in flight). Does not change anything.
    pub fn allows(&self, now: Instant, s: &BreakerSettings) -> bool {
        match self.state(now, s) {
            BreakerState::Closed => true,
            BreakerState::Open => false,
            BreakerState::HalfOpen => !self.probe_in_flight,
        }
    }

    /// Called when a call is actually sent; in half-open it marks the probe
    /// in flight (so a second call is refused until the probe ends). Returns
    /// false (and changes nothing) when `allows` would be false.
    pub fn begin(&mut self, now: Instant, s: &BreakerSettings) -> bool {
        if !self.allows(now, s) {
            return false;
        }
        if self.state(now, s) == BreakerState::HalfOpen {
            self.probe_in_flight = true;
        }
        true
    }

    /// A call succeeded: closes the breaker and resets the count.
    pub fn on_success(&mut self) {
        *self = Breaker::default();
    }

    /// A call failed: counts it; opens at the threshold; a failed half-open
    /// probe re-opens at `now`.
    ///
    /// A failure reported while open (a call sent before it opened) is
    /// counted but does not push the recovery time back. Any failure seen in
    /// half-open re-opens, whether or not it was the probe: either way the
    /// agent is still failing.
    pub fn on_failure(&mut self, now: Instant, s: &BreakerSettings) {
        self.failures = self.failures.saturating_add(1);
        match self.state(now, s) {
            BreakerState::Closed => {
                if self.failures >= s.threshold() {
                    self.opened_at = Some(now);
                }
            }
            BreakerState::Open => {}
            BreakerState::HalfOpen => {
                self.opened_at = Some(now);
                self.probe_in_flight = false;
            }
        }
    }

    /// A call ended without telling anything about the agent's health (e.g.
    /// cancelled by the user): releases a half-open probe slot without
    /// changing counts.
    pub fn on_abandon(&mut self) {
        self.probe_in_flight = false;
    }

    /// Failures in a row since the last success.
    pub fn consecutive_failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn settings(failures_to_open: u32, recovery_secs: u64) -> BreakerSettings {
        BreakerSettings {
            failures_to_open,
            recovery: Duration::from_secs(recovery_secs),
        }
    }

    /// One thing that can happen to a breaker.
    #[derive(Debug, Clone, Copy)]
    enum Op {
        /// Time moves on by this many milliseconds.
        Advance(u64),
        Begin,
        Success,
        Failure,
        Abandon,
    }

    /// What the breaker is checked for after an operation.
    #[derive(Debug, PartialEq)]
    struct Seen {
        state: BreakerState,
        allows: bool,
        failures: u32,
        /// What `begin` returned, for `Op::Begin`.
        began: Option<bool>,
    }

    /// A breaker driven by [`Op`]s from time zero.
    struct Replay<'a> {
        s: &'a BreakerSettings,
        now: Instant,
        b: Breaker,
    }

    impl<'a> Replay<'a> {
        fn new(s: &'a BreakerSettings) -> Self {
            Replay {
                s,
                now: Instant::now(),
                b: Breaker::default(),
            }
        }

        fn apply(&mut self, op: Op) -> Seen {
            let mut began = None;
            match op {
                Op::Advance(ms) => self.now += Duration::from_millis(ms),
                Op::Begin => began = Some(self.b.begin(self.now, self.s)),
                Op::Success => self.b.on_success(),
                Op::Failure => self.b.on_failure(self.now, self.s),
                Op::Abandon => self.b.on_abandon(),
            }
            Seen {
                state: self.b.state(self.now, self.s),
                allows: self.b.allows(self.now, self.s),
                failures: self.b.consecutive_failures(),
                began,
            }
        }
    }

    /// Runs `ops` from a new breaker and reports what was seen after each.
    fn run(s: &BreakerSettings, ops: &[Op]) -> Vec<Seen> {
        let mut r = Replay::new(s);
        ops.iter().map(|op| r.apply(*op)).collect()
    }

    use BreakerState::{Closed, HalfOpen, Open};
    use Op::{Abandon, Advance, Begin, Failure, Success};

    /// Reads operations written as words: `F` failure, `S` success, `B`
    /// begin, `A` abandon, `+N` N milliseconds pass.
    fn ops(script: &str) -> Vec<Op> {
        script
            .split_whitespace()
            .map(|w| match w {
                "F" => Failure,
                "S" => Success,
                "B" => Begin,
                "A" => Abandon,
                _ => Advance(w.trim_start_matches('+').parse().expect("an advance in milliseconds")),
            })
            .collect()
    }

    #[test]
    fn transitions() {
        // Three failures open; recovery is 10 s.
        let s = settings(3, 10);
        // (what happens, state after, allows after, failures after)
        let cases: &[(&str, BreakerState, bool, u32)] = &[
            ("", Closed, true, 0),
            ("F F", Closed, true, 2),
            ("F F F", Open, false, 3),
            ("F F S F", Closed, true, 1),
            ("F F F +9999", Open, false, 3),
            ("F F F +10000", HalfOpen, true, 3),
            // The probe is in flight: a second call is refused.
            ("F F F +10000 B", HalfOpen, false, 3),
            ("F F F +10000 B S", Closed, true, 0),
            ("F F F +10000 B F", Open, false, 4),
            // A failed probe waits a full recovery from its failure.
            ("F F F +10000 B +5000 F +9999", Open, false, 4),
            ("F F F +10000 B +5000 F +10000", HalfOpen, true, 4),
            ("F F F +10000 B A", HalfOpen, true, 3),
            // A late failure while open does not push the recovery back.
            ("F F F +6000 F +4000", HalfOpen, true, 4),
            ("F A", Closed, true, 1),
            ("F F F +10000 B A B", HalfOpen, false, 3),
        ];
        for (script, state, allows, failures) in cases {
            let mut r = Replay::new(&s);
            for op in ops(script) {
                r.apply(op);
            }
            let got = (r.b.state(r.now, &s), r.b.allows(r.now, &s), r.b.consecutive_failures());
            assert_eq!(got, (*state, *allows, *failures), "{script}");
        }
    }

    #[test]
    fn begin_refused_changes_nothing() {
        let s = settings(1, 10);
        let seen = run(&s, &ops("F B +10000 B B"));
        let began: Vec<_> = seen.iter().filter_map(|x| x.began).collect();
        assert_eq!(began, [false, true, false]);
        assert_eq!(seen[1].state, Open);
    }

    #[test]
    fn zero_threshold_opens_on_the_first_failure() {
        let seen = run(&settings(0, 10), &ops("F"));
        assert_eq!(seen[0].state, Open);
    }

    #[test]
    fn time_before_opening_counts_as_open() {
        let s = settings(1, 10);
        let t = Instant::now() + 100 * SECOND;
        let mut b = Breaker::default();
        b.on_failure(t, &s);
        let earlier = t.checked_sub(SECOND).expect("an instant a second earlier");
        assert_eq!(b.state(earlier, &s), Open);
        assert!(!b.allows(earlier, &s));
    }

    #[test]
    fn defaults() {
        assert_eq!(BreakerSettings::default(), settings(5, 30));
    }

    /// The reference model: an explicit state machine that moves from open
    /// to half-open eagerly when time passes, where the breaker derives it
    /// lazily from `opened_at`.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Model {
        Closed,
        Open { since_ms: u64 },
        HalfOpen { probe: bool },
    }

    struct Reference {
        state: Model,
        failures: u32,
        now_ms: u64,
    }

    impl Reference {
        fn apply(&mut self, s: &BreakerSettings, op: Op) -> Option<bool> {
            let recovery_ms = u64::try_from(s.recovery.as_millis()).unwrap_or(u64::MAX);
            let threshold = s.failures_to_open.max(1);
            let mut began = None;
            match op {
                Op::Advance(ms) => {
                    self.now_ms += ms;
                    if let Model::Open { since_ms } = self.state {
                        if self.now_ms - since_ms >= recovery_ms {
                            self.state = Model::HalfOpen { probe: false };
                        }
                    }
                }
                Op::Begin => {
                    let ok = match self.state {
                        Model::Closed => true,
                        Model::Open { .. } | Model::HalfOpen { probe: true } => false,
                        Model::HalfOpen { probe: false } => {
                            self.state = Model::HalfOpen { probe: true };
                            true
                        }
                    };
                    began = Some(ok);
                }
                Op::Success => {
                    self.state = Model::Closed;
                    self.failures = 0;
                }
                Op::Failure => {
                    self.failures = self.failures.saturating_add(1);
                    match self.state {
                        Model::Closed if self.failures >= threshold => {
                            self.state = Model::Open { since_ms: self.now_ms };
                            // A zero recovery is half-open at once.
                            if recovery_ms == 0 {
                                self.state = Model::HalfOpen { probe: false };
                            }
                        }
                        Model::HalfOpen { .. } => {
                            self.state = if recovery_ms == 0 {
                                Model::HalfOpen { probe: false }
                            } else {
                                Model::Open { since_ms: self.now_ms }
                            };
                        }
                        Model::Closed | Model::Open { .. } => {}
                    }
                }
                Op::Abandon => {
                    if let Model::HalfOpen { probe: true } = self.state {
                        self.state = Model::HalfOpen { probe: false };
                    }
                }
            }
            began
        }

        fn seen(&self, began: Option<bool>) -> Seen {
            let (state, allows) = match self.state {
                Model::Closed => (Closed, true),
                Model::Open { .. } => (Open, false),
                Model::HalfOpen { probe } => (HalfOpen, !probe),
            };
            Seen {
                state,
                allows,
                failures: self.failures,
                began,
            }
        }
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0u64..15_000).prop_map(Op::Advance),
            3 => Just(Op::Begin),
            1 => Just(Op::Success),
            3 => Just(Op::Failure),
            1 => Just(Op::Abandon),
        ]
    }

    fn any_settings() -> impl Strategy<Value = BreakerSettings> {
        (0u32..6, 0u64..12_000).prop_map(|(n, ms)| BreakerSettings {
            failures_to_open: n,
            recovery: Duration::from_millis(ms),
        })
    }

    proptest! {
        #[test]
        fn matches_the_reference_model(s in any_settings(), ops in prop::collection::vec(op(), 0..80)) {
            let seen = run(&s, &ops);
            let mut model = Reference { state: Model::Closed, failures: 0, now_ms: 0 };
            for (i, (op, got)) in ops.iter().zip(&seen).enumerate() {
                let began = model.apply(&s, *op);
                prop_assert_eq!(got, &model.seen(began), "after op {} ({:?})", i, op);
            }
        }

        #[test]
        fn never_allows_while_open_and_one_probe_at_most(s in any_settings(), ops in prop::collection::vec(op(), 0..80)) {
            let mut r = Replay::new(&s);
            // Probes begun in half-open and not ended yet.
            let mut probes = 0u32;
            for op in ops {
                let half_open = r.b.state(r.now, &s) == HalfOpen;
                let seen = r.apply(op);
                match op {
                    Op::Begin if half_open && seen.began == Some(true) => probes += 1,
                    Op::Success | Op::Failure | Op::Abandon => probes = 0,
                    Op::Begin | Op::Advance(_) => {}
                }
                prop_assert!(probes <= 1, "{} probes in flight", probes);
                if seen.state == Open {
                    prop_assert!(!seen.allows);
                    let at = r.b.opened_at.expect("an open breaker knows when it opened");
                    prop_assert!(r.now.saturating_duration_since(at) < s.recovery);
                }
            }
        }

        #[test]
        fn fewer_failures_then_success_never_opens(n in 1u32..50, rounds in 1usize..5) {
            let s = BreakerSettings { failures_to_open: n, recovery: SECOND };
            let t = Instant::now();
            let mut b = Breaker::default();
            for _ in 0..rounds {
                for _ in 1..n {
                    b.on_failure(t, &s);
                    prop_assert_eq!(b.state(t, &s), Closed);
                }
                b.on_success();
                prop_assert_eq!(b.state(t, &s), Closed);
                prop_assert_eq!(b.consecutive_failures(), 0);
            }
        }

        #[test]
        fn exactly_the_threshold_opens(n in 1u32..50, recovery_ms in 1u64..100_000) {
            let s = BreakerSettings { failures_to_open: n, recovery: Duration::from_millis(recovery_ms) };
            let t = Instant::now();
            let mut b = Breaker::default();
            for i in 1..=n {
                prop_assert_eq!(b.state(t, &s), Closed, "open after {} failures", i - 1);
                b.on_failure(t, &s);
            }
            prop_assert_eq!(b.state(t, &s), Open);
            prop_assert_eq!(b.consecutive_failures(), n);
        }
    }
}
