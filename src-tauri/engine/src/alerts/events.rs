//! Rules of events: a container died, a breaker opened, Ollama is down, an
//! input was a threat. Each kind of event is a rule with a severity and a
//! keep-firing time; what happened since the last round, and what is still
//! wrong now, makes its alert bad this round. The life of the alert is the
//! same as a threshold's (`lifecycle::step`, `for` zero, keep-firing from
//! the rule): it fires the round its event comes, stays firing while the
//! trouble lasts, and resolves once it has been quiet for keep-firing.
//! Pure: the engine gathers the events and the conditions.

use std::collections::{BTreeMap, HashMap};

pub use super::event_kind::EventKind;
use super::lifecycle::{step, Change, Comparison, Phase, Threshold};
use super::notify::AlertChange;
use super::rules::{Rule, Signal};

/// Something that makes an event rule's alert bad this round.
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    pub event: EventKind,
    /// What it is about: an agent, a model, a run, a client, a container.
    pub subject: Option<String>,
    /// What happened, for people (`exit code 137`).
    pub detail: String,
}

impl Occurrence {
    pub fn new(event: EventKind, subject: Option<&str>, detail: impl Into<String>) -> Occurrence {
        Occurrence {
            event,
            subject: subject.map(str::to_string),
            detail: detail.into(),
        }
    }
}

/// An event rule's threshold: bad at 1, good at 0, firing once bad for the
/// rule's `for` time (at once with 0), and resolving after its keep-firing
/// time of quiet.
fn event_threshold(rule: &Rule) -> Threshold {
    Threshold {
        comparison: Comparison::Above,
        value: 0.5,
        clear: 0.5,
        for_s: rule.threshold.for_s,
        keep_firing_s: rule.threshold.keep_firing_s,
    }
}

#[derive(Debug, Clone)]
struct Tracked {
    phase: Phase,
    rule: String,
    subject: Option<String>,
}

/// The phases of every alert the event rules have raised.
#[derive(Debug, Default)]
pub struct EventEvaluator {
    phases: BTreeMap<String, Tracked>,
}

impl EventEvaluator {
    /// One round: `bad` is what happened since the last round and what is
    /// still wrong now. Each enabled rule's alert for a subject in it is
    /// bad, each other it tracks is quiet; alerts of a rule disabled or
    /// removed resolve.
    pub fn evaluate(&mut self, rules: &[Rule], bad: &[Occurrence], now_ms: i64) -> Vec<AlertChange> {
        let by_event: HashMap<EventKind, &Rule> = rules
            .iter()
            .filter(|r| r.enabled)
            .filter_map(|r| match r.signal {
                Signal::Event { event } => Some((event, r)),
                _ => None,
            })
            .collect();
        let mut details: BTreeMap<String, &Occurrence> = BTreeMap::new();
        for o in bad {
            let Some(rule) = by_event.get(&o.event) else {
                continue;
            };
            let fingerprint = rule.fingerprint(o.subject.as_deref());
            details.entry(fingerprint.clone()).or_insert(o);
            self.phases.entry(fingerprint).or_insert_with(|| Tracked {
                phase: Phase::Inactive,
                rule: rule.id.clone(),
                subject: o.subject.clone(),
            });
        }
        let mut changes = Vec::new();
        let mut ended = Vec::new();
        for (fingerprint, tracked) in &mut self.phases {
            let known = rules.iter().find(|r| r.id == tracked.rule);
            let Some(rule) = known.filter(|r| r.enabled) else {
                // Disabled or gone: a firing alert resolves.
                if matches!(tracked.phase, Phase::Firing { .. }) {
                    changes.push(AlertChange {
                        fingerprint: fingerprint.clone(),
                        rule: tracked.rule.clone(),
                        rule_name: known.map_or_else(|| tracked.rule.clone(), |r| r.name.clone()),
                        subject: tracked.subject.clone(),
                        severity: known.map_or(super::lifecycle::Severity::Info, |r| r.severity),
                        detail: None,
                        change: Change::Resolved,
                    });
                }
                ended.push(fingerprint.clone());
                continue;
            };
            let occurrence = details.get(fingerprint);
            let value = if occurrence.is_some() { 1.0 } else { 0.0 };
            let (next, change) = step(tracked.phase, &event_threshold(rule), Some(value), now_ms);
            tracked.phase = next;
            if let Some(change) = change {
                changes.push(AlertChange {
                    fingerprint: fingerprint.clone(),
                    rule: rule.id.clone(),
                    rule_name: rule.name.clone(),
                    subject: tracked.subject.clone(),
                    severity: rule.severity,
                    detail: occurrence.map(|o| o.detail.clone()),
                    change,
                });
            }
            if next == Phase::Inactive {
                ended.push(fingerprint.clone());
            }
        }
        for fingerprint in ended {
            self.phases.remove(&fingerprint);
        }
        changes
    }

    /// The alerts firing now: (rule id, subject).
    pub fn firing(&self) -> Vec<(&str, Option<&str>)> {
        self.phases
            .values()
            .filter(|t| matches!(t.phase, Phase::Firing { .. }))
            .map(|t| (t.rule.as_str(), t.subject.as_deref()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::rules::defaults;

    fn died(agent: &str) -> Occurrence {
        Occurrence::new(EventKind::AgentDied, Some(agent), "exit code 137")
    }

    fn fired(changes: &[AlertChange]) -> Vec<String> {
        changes
            .iter()
            .filter(|c| c.change == Change::Fired)
            .map(|c| c.fingerprint.clone())
            .collect()
    }

    fn resolved(changes: &[AlertChange]) -> Vec<String> {
        changes
            .iter()
            .filter(|c| c.change == Change::Resolved)
            .map(|c| c.fingerprint.clone())
            .collect()
    }

    #[test]
    fn an_event_fires_at_once_and_resolves_after_keep_firing_of_quiet() {
        let rules = defaults();
        let keep = i64::from(
            rules
                .iter()
                .find(|r| r.id == "agent_died")
                .map(|r| r.threshold.keep_firing_s)
                .unwrap_or_default(),
        ) * 1000;
        let mut e = EventEvaluator::default();
        let first = e.evaluate(&rules, &[died("AG-001")], 0);
        assert_eq!(fired(&first), vec!["agent_died:AG-001"]);
        assert_eq!(first[0].detail.as_deref(), Some("exit code 137"));
        // The same trouble again, or still: deduplicated, nothing new.
        assert!(e.evaluate(&rules, &[died("AG-001")], 1_000).is_empty());
        // Quiet, but not for long enough.
        assert!(e.evaluate(&rules, &[], 2_000).is_empty());
        assert!(e.evaluate(&rules, &[], 1_000 + keep - 1).is_empty());
        let end = e.evaluate(&rules, &[], 2_000 + keep);
        assert_eq!(resolved(&end), vec!["agent_died:AG-001"]);
        assert!(e.firing().is_empty());
        // It happens again: a new alert.
        assert_eq!(fired(&e.evaluate(&rules, &[died("AG-001")], 3_000 + keep)).len(), 1);
    }

    #[test]
    fn a_lasting_condition_fires_only_after_its_for_time() {
        let rules = defaults();
        let down = || [Occurrence::new(EventKind::OllamaDown, None, "nothing answers")];
        let mut e = EventEvaluator::default();
        // Down at start for 30 s, then up: nothing fires.
        for s in 0..30 {
            assert!(fired(&e.evaluate(&rules, &down(), s * 1000)).is_empty());
        }
        assert!(fired(&e.evaluate(&rules, &[], 30_000)).is_empty());
        // Down for a minute: it fires once, at 60 s.
        let mut at = Vec::new();
        for s in 100..170 {
            if !fired(&e.evaluate(&rules, &down(), s * 1000)).is_empty() {
                at.push(s - 100);
            }
        }
        assert_eq!(at, vec![60]);
    }

    #[test]
    fn twenty_agents_dying_at_once_are_twenty_alerts_of_one_rule() {
        let rules = defaults();
        let mut e = EventEvaluator::default();
        let bad: Vec<Occurrence> = (1..=20).map(|i| died(&format!("AG-{i:03}"))).collect();
        let changes = e.evaluate(&rules, &bad, 0);
        assert_eq!(fired(&changes).len(), 20);
        assert!(changes.iter().all(|c| c.rule == "agent_died"));
        assert_eq!(e.firing().len(), 20);
    }

    #[test]
    fn a_disabled_rule_raises_nothing_and_its_firing_alerts_resolve() {
        let mut rules = defaults();
        let mut e = EventEvaluator::default();
        e.evaluate(&rules, &[died("AG-001")], 0);
        for r in rules.iter_mut().filter(|r| r.id == "agent_died") {
            r.enabled = false;
        }
        let changes = e.evaluate(&rules, &[died("AG-002")], 1_000);
        assert_eq!(resolved(&changes), vec!["agent_died:AG-001"]);
        assert!(fired(&changes).is_empty());
        assert!(e.firing().is_empty());
    }

    #[test]
    fn every_event_has_a_default_rule() {
        let rules = defaults();
        for event in EventKind::ALL {
            assert!(
                rules.iter().any(|r| r.signal == Signal::Event { event }),
                "{event:?} has no rule"
            );
        }
        let events = rules.iter().filter(|r| r.is_event()).count();
        assert_eq!(events, EventKind::ALL.len(), "one rule per event");
    }
}
