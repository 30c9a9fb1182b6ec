//! What a run does next, from where its steps stand. Pure: the run engine
//! records each step's state and asks [`Schedule::next`] what to start,
//! what to skip and whether the run has ended.
//!
//! The rules:
//! - a step starts as soon as every step it needs has succeeded (no
//!   lock-step waves);
//! - a step that is some step's `fallback` runs only in that step's place,
//!   when it failed; its success counts as the failed step's;
//! - a step whose need ended without a result (failed with `continue`,
//!   skipped, or replaced by a fallback that did not succeed) is skipped,
//!   and so on down the graph;
//! - a step that failed with `stop` (or whose fallback did not succeed)
//!   ends the run as failed: nothing new starts, the run ends when nothing
//!   runs any more;
//! - the run succeeds when every step has ended and none stopped it.

use super::model::{OnError, Workflow};
use super::validate::dependencies;

/// Where one step of a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    /// Not started (perhaps never, for a fallback).
    Pending,
    /// Started and not ended (running, retrying, waiting for a person).
    Running,
    Succeeded,
    Failed,
    Skipped,
}

impl StepState {
    fn ended(self) -> bool {
        matches!(self, StepState::Succeeded | StepState::Failed | StepState::Skipped)
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    Succeeded,
    /// A step that stops the run failed (its index).
    Failed {
        step: usize,
    },
}

/// What to do now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Next {
    /// Steps to start, in definition order.
    pub start: Vec<usize>,
    /// Steps to mark skipped (a need ended without a result).
    pub skip: Vec<usize>,
    /// Set once the run has ended.
    pub end: Option<RunEnd>,
}

/// A workflow's graph, ready to schedule runs of it.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Per step, the steps it needs (explicit and implied by templates).
    needs: Vec<Vec<usize>>,
    /// Per step, how a failure is handled.
    on_error: Vec<Handling>,
    /// Per step, the steps it is the fallback of: a step with any runs only
    /// in the place of one of them.
    replaces: Vec<Vec<usize>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handling {
    Stop,
    Continue,
    Fallback(usize),
}

impl Schedule {
    /// The schedule of a workflow that passed validation.
    pub fn new(workflow: &Workflow) -> Schedule {
        let index = workflow.step_index();
        let on_error: Vec<Handling> = workflow
            .steps
            .iter()
            .map(|s| match &s.on_error {
                OnError::Stop => Handling::Stop,
                OnError::Continue => Handling::Continue,
                OnError::Fallback(target) => index
                    .get(target.as_str())
                    .map_or(Handling::Stop, |&t| Handling::Fallback(t)),
            })
            .collect();
        let mut replaces = vec![Vec::new(); on_error.len()];
        for (j, handling) in on_error.iter().enumerate() {
            if let Handling::Fallback(t) = handling {
                replaces[*t].push(j);
            }
        }
        Schedule {
            needs: dependencies(workflow),
            on_error,
            replaces,
        }
    }

    /// What the run does next, given where each step stands.
    pub fn next(&self, states: &[StepState]) -> Next {
        let mut next = Next::default();
        let stopped = (0..states.len()).find(|&i| self.stops(i, states));
        for i in 0..states.len() {
            if states[i] != StepState::Pending {
                continue;
            }
            // A fallback runs only in the place of a step that failed.
            let replaces = &self.replaces[i];
            if !replaces.is_empty() && !replaces.iter().any(|&j| states[j] == StepState::Failed) {
                continue;
            }
            let results: Vec<Option<bool>> = self.needs[i].iter().map(|&n| self.result(n, states)).collect();
            if results.contains(&Some(false)) {
                next.skip.push(i);
            } else if stopped.is_none() && results.iter().all(|r| *r == Some(true)) {
                next.start.push(i);
            }
        }
        let running = states.contains(&StepState::Running);
        let waiting = !next.start.is_empty() || !next.skip.is_empty();
        if !running && !waiting {
            next.end = Some(match stopped {
                Some(step) => RunEnd::Failed { step },
                None => RunEnd::Succeeded,
            });
        }
        next
    }

    /// Whether step `i` has a result its dependents can use: `Some(true)`
    /// yes, `Some(false)` it ended without one, `None` not decided yet.
    fn result(&self, i: usize, states: &[StepState]) -> Option<bool> {
        match (states[i], self.on_error[i]) {
            (StepState::Succeeded, _) => Some(true),
            (StepState::Failed, Handling::Fallback(f)) => match states[f] {
                StepState::Succeeded => Some(true),
                s if s.ended() => Some(false),
                _ => None,
            },
            (StepState::Failed | StepState::Skipped, _) => Some(false),
            (StepState::Pending | StepState::Running, _) => None,
        }
    }

    /// Whether step `i` ended the run: it failed and nothing takes its place.
    fn stops(&self, i: usize, states: &[StepState]) -> bool {
        if states[i] != StepState::Failed {
            return false;
        }
        match self.on_error[i] {
            Handling::Stop => true,
            Handling::Continue => false,
            Handling::Fallback(f) => states[f].ended() && states[f] != StepState::Succeeded,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    /// A workflow of `n` echo steps `s0…` where each `(a, b)` of `edges`
    /// makes `sb` need `sa`, and `on_error` sets some steps' handling.
    fn workflow(n: usize, edges: &[(usize, usize)], on_error: &[(usize, serde_json::Value)]) -> Workflow {
        let steps: Vec<serde_json::Value> = (0..n)
            .map(|i| {
                let needs: Vec<String> = edges
                    .iter()
                    .filter(|(_, b)| *b == i)
                    .map(|(a, _)| format!("s{a}"))
                    .collect();
                let mut step =
                    json!({"id": format!("s{i}"), "agent": "AG-001", "taskType": "echo", "dependsOn": needs});
                if let Some((_, handling)) = on_error.iter().find(|(s, _)| *s == i) {
                    step["onError"] = handling.clone();
                }
                step
            })
            .collect();
        serde_json::from_value(json!({"id": "w", "name": "W", "steps": steps})).unwrap()
    }

    /// Runs a schedule to its end; `fails` says which steps fail. Returns
    /// the order steps started in and how the run ended.
    fn drive(schedule: &Schedule, n: usize, fails: &[usize]) -> (Vec<usize>, Vec<StepState>, RunEnd) {
        let mut states = vec![StepState::Pending; n];
        let mut started = Vec::new();
        for _ in 0..(4 * n + 4) {
            let next = schedule.next(&states);
            if let Some(end) = next.end {
                return (started, states, end);
            }
            for i in next.skip {
                states[i] = StepState::Skipped;
            }
            for &i in &next.start {
                assert_eq!(states[i], StepState::Pending, "s{i} started twice");
                states[i] = StepState::Running;
                started.push(i);
            }
            // Every running step ends before the next round.
            for (i, state) in states.iter_mut().enumerate() {
                if *state == StepState::Running {
                    *state = if fails.contains(&i) {
                        StepState::Failed
                    } else {
                        StepState::Succeeded
                    };
                }
            }
        }
        panic!("the run did not end: {states:?}");
    }

    proptest! {
        /// Random DAGs where nothing fails: every step runs once, never
        /// before the steps it needs, and the run succeeds.
        #[test]
        fn every_step_runs_once_after_its_needs(n in 1usize..25, raw in proptest::collection::vec((0usize..25, 0usize..25), 0..60)) {
            let edges: Vec<(usize, usize)> = raw.into_iter().filter(|(a, b)| a < b && *b < n).collect();
            let schedule = Schedule::new(&workflow(n, &edges, &[]));
            let (started, states, end) = drive(&schedule, n, &[]);
            prop_assert_eq!(end, RunEnd::Succeeded);
            prop_assert!(states.iter().all(|s| *s == StepState::Succeeded));
            let mut sorted = started.clone();
            sorted.sort_unstable();
            prop_assert_eq!(sorted, (0..n).collect::<Vec<_>>());
            let at = |i: usize| started.iter().position(|s| *s == i).unwrap();
            for (a, b) in &edges {
                prop_assert!(at(*a) < at(*b), "s{} started before s{} it needs", b, a);
            }
        }
    }

    #[test]
    fn a_step_starts_as_soon_as_its_own_needs_are_done() {
        // s0 → s1 → s2, and s3 alone: s3 does not wait for s0's wave.
        let schedule = Schedule::new(&workflow(4, &[(0, 1), (1, 2)], &[]));
        use StepState::*;
        assert_eq!(schedule.next(&[Pending, Pending, Pending, Pending]).start, vec![0, 3]);
        assert_eq!(schedule.next(&[Succeeded, Pending, Pending, Running]).start, vec![1]);
        assert_eq!(schedule.next(&[Succeeded, Succeeded, Pending, Running]).start, vec![2]);
        assert_eq!(
            schedule.next(&[Succeeded, Succeeded, Succeeded, Running]).end,
            None,
            "s3 still runs"
        );
    }

    #[test]
    fn a_fallback_waits_for_what_it_needs() {
        use StepState::*;
        // s1 falls back to s2, which needs s0 (still running).
        let w = workflow(3, &[(0, 2)], &[(1, json!({"fallback": "s2"}))]);
        let schedule = Schedule::new(&w);
        assert_eq!(schedule.next(&[Pending, Pending, Pending]).start, vec![0, 1]);
        assert_eq!(schedule.next(&[Running, Failed, Pending]).start, Vec::<usize>::new());
        assert_eq!(schedule.next(&[Succeeded, Failed, Pending]).start, vec![2]);
        assert_eq!(
            schedule.next(&[Succeeded, Failed, Succeeded]).end,
            Some(RunEnd::Succeeded)
        );
    }

    /// One row per rule: (failing steps, onError) → how each step ends and
    /// how the run ends. Graph: s0 → s1 → s2, s3 alone; s4 is s1's
    /// fallback where one is set.
    #[test]
    fn failures_follow_on_error() {
        use StepState::*;
        let fallback = |to: &str| json!({"fallback": to});
        #[allow(clippy::type_complexity)]
        let table: Vec<(
            &str,
            Vec<usize>,
            Vec<(usize, serde_json::Value)>,
            Vec<StepState>,
            RunEnd,
        )> = vec![
            (
                "stop: what needs it is skipped, nothing new starts, the run fails",
                vec![1],
                vec![],
                vec![Succeeded, Failed, Skipped, Succeeded, Succeeded],
                RunEnd::Failed { step: 1 },
            ),
            (
                "continue: dependents skipped, the rest goes on",
                vec![1],
                vec![(1, json!("continue"))],
                vec![Succeeded, Failed, Skipped, Succeeded, Succeeded],
                RunEnd::Succeeded,
            ),
            (
                "fallback succeeds: it takes the step's place",
                vec![1],
                vec![(1, fallback("s4"))],
                vec![Succeeded, Failed, Succeeded, Succeeded, Succeeded],
                RunEnd::Succeeded,
            ),
            (
                "fallback fails: the run fails",
                vec![1, 4],
                vec![(1, fallback("s4"))],
                vec![Succeeded, Failed, Skipped, Succeeded, Failed],
                RunEnd::Failed { step: 1 },
            ),
            (
                "a fallback never needed never runs",
                vec![],
                vec![(1, fallback("s4"))],
                vec![Succeeded, Succeeded, Succeeded, Succeeded, Pending],
                RunEnd::Succeeded,
            ),
        ];
        for (case, fails, on_error, want, end) in table {
            let w = workflow(5, &[(0, 1), (1, 2)], &on_error);
            let (_, states, found) = drive(&Schedule::new(&w), 5, &fails);
            assert_eq!((states, found), (want, end), "{case}");
        }
    }
}
