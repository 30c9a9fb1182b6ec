//! One evaluation round: every enabled rule, for the fleet or for each
//! deployed agent, stepped with its value now; what changed comes back as
//! alert changes for the record and the notifier. Pure: the caller reads
//! the windows of the series [`needed`] names.

use std::collections::{BTreeMap, HashMap};

use super::anomaly::Baseline;
use super::lifecycle::{step, Change, Phase};
use super::notify::AlertChange;
use super::rules::{Rule, Scope, Signal};
use crate::metrics::reduce::Total;

/// Every series the rules read this round, each once.
pub fn needed(rules: &[Rule], agents: &[String]) -> Vec<String> {
    let mut all: Vec<String> = rules
        .iter()
        .filter(|r| r.enabled && !r.is_event())
        .flat_map(|r| match r.scope {
            Scope::Fleet => r.series(None),
            Scope::EachAgent => agents.iter().flat_map(|a| r.series(Some(a))).collect(),
        })
        .collect();
    all.sort();
    all.dedup();
    all
}

/// The phases of every alert the rules have raised, and the anomaly
/// rules' baselines, by fingerprint.
#[derive(Debug, Default)]
pub struct Evaluator {
    phases: BTreeMap<String, Tracked>,
    baselines: BTreeMap<String, Baseline>,
}

#[derive(Debug, Clone)]
struct Tracked {
    phase: Phase,
    rule: String,
    subject: Option<String>,
}

impl Evaluator {
    /// Steps every enabled rule with its value now. An alert whose rule
    /// was disabled, or whose agent is no longer deployed, resolves.
    pub fn evaluate(
        &mut self,
        rules: &[Rule],
        agents: &[String],
        windows: &HashMap<String, Total>,
        now_ms: i64,
    ) -> Vec<AlertChange> {
        let mut changes = Vec::new();
        let mut live = std::collections::BTreeSet::new();
        for rule in rules.iter().filter(|r| r.enabled && !r.is_event()) {
            let subjects: Vec<Option<&str>> = match rule.scope {
                Scope::Fleet => vec![None],
                Scope::EachAgent => agents.iter().map(|a| Some(a.as_str())).collect(),
            };
            for subject in subjects {
                let fingerprint = rule.fingerprint(subject);
                let tracked = self.phases.entry(fingerprint.clone()).or_insert_with(|| Tracked {
                    phase: Phase::Inactive,
                    rule: rule.id.clone(),
                    subject: subject.map(str::to_string),
                });
                let value = match &rule.signal {
                    Signal::Anomaly { baseline, .. } => {
                        let mean = rule.value(subject, windows);
                        // A rule edited since: its baseline starts over.
                        let learned = self.baselines.get(&fingerprint).map(Baseline::settings);
                        if learned != Some(baseline) {
                            match Baseline::new(*baseline) {
                                Ok(fresh) => {
                                    self.baselines.insert(fingerprint.clone(), fresh);
                                }
                                Err(_) => continue, // checked when the rule was saved
                            }
                        }
                        let tracker = self.baselines.get_mut(&fingerprint);
                        mean.zip(tracker)
                            .and_then(|(m, b)| b.observe(m).map(|score| b.settings().badness(&score)))
                    }
                    _ => rule.value(subject, windows),
                };
                let (next, change) = step(tracked.phase, &rule.threshold, value, now_ms);
                tracked.phase = next;
                if let Some(change) = change {
                    changes.push(AlertChange {
                        fingerprint: fingerprint.clone(),
                        rule: rule.id.clone(),
                        rule_name: rule.name.clone(),
                        subject: subject.map(str::to_string),
                        severity: rule.severity,
                        detail: None,
                        change,
                    });
                }
                live.insert(fingerprint);
            }
        }
        // What no rule watches any more ends: a firing alert resolves.
        self.baselines.retain(|f, _| live.contains(f));
        let gone: Vec<String> = self.phases.keys().filter(|f| !live.contains(*f)).cloned().collect();
        for fingerprint in gone {
            let Some(tracked) = self.phases.remove(&fingerprint) else {
                continue;
            };
            if let Phase::Firing { .. } = tracked.phase {
                let rule = rules.iter().find(|r| r.id == tracked.rule);
                changes.push(AlertChange {
                    fingerprint,
                    rule: tracked.rule.clone(),
                    rule_name: rule.map_or(tracked.rule.clone(), |r| r.name.clone()),
                    subject: tracked.subject,
                    severity: rule.map_or(super::lifecycle::Severity::Info, |r| r.severity),
                    detail: None,
                    change: Change::Resolved,
                });
            }
        }
        changes
    }

    /// The alerts firing now, by fingerprint.
    pub fn firing(&self) -> Vec<&str> {
        self.phases
            .iter()
            .filter(|(_, t)| matches!(t.phase, Phase::Firing { .. }))
            .map(|(f, _)| f.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::rules::defaults;

    fn agents(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    /// The windows of one second: `failed` of `ended` tasks per agent.
    fn tasks(per_agent: &[(&str, f64, f64)]) -> HashMap<String, Total> {
        let mut w = HashMap::new();
        let (mut ok_all, mut failed_all) = (0.0, 0.0);
        for (agent, ok, failed) in per_agent {
            w.insert(format!("tasks_succeeded{{{agent}}}"), Total { sum: *ok, count: 300 });
            w.insert(
                format!("tasks_failed{{{agent}}}"),
                Total {
                    sum: *failed,
                    count: 300,
                },
            );
            ok_all += ok;
            failed_all += failed;
        }
        w.insert(
            "tasks_succeeded".into(),
            Total {
                sum: ok_all,
                count: 300,
            },
        );
        w.insert(
            "tasks_failed".into(),
            Total {
                sum: failed_all,
                count: 300,
            },
        );
        w
    }

    fn run(
        e: &mut Evaluator,
        agents: &[String],
        w: &HashMap<String, Total>,
        from_s: i64,
        seconds: i64,
    ) -> Vec<(i64, String, Change)> {
        let rules = defaults();
        (from_s..from_s + seconds)
            .flat_map(|s| {
                e.evaluate(&rules, agents, w, s * 1000)
                    .into_iter()
                    .filter(|c| matches!(c.change, Change::Fired | Change::Resolved))
                    .map(move |c| (s, c.fingerprint, c.change))
            })
            .collect()
    }

    #[test]
    fn a_failing_agent_fires_its_own_alerts_and_the_fleets() {
        let mut e = Evaluator::default();
        let fleet = agents(&["AG-001", "AG-002"]);
        // AG-002 fails 30 of 100; AG-001 is fine: the fleet fails 30 of 200.
        let bad = tasks(&[("AG-001", 100.0, 0.0), ("AG-002", 70.0, 30.0)]);
        let fired = run(&mut e, &fleet, &bad, 0, 61);
        let mut names: Vec<&str> = fired.iter().map(|(_, f, _)| f.as_str()).collect();
        names.sort_unstable();
        // The fleet's success is 85 % too: below 90 %.
        assert_eq!(
            names,
            [
                "agent_error_rate:AG-002",
                "agent_success_rate:AG-002",
                "error_rate",
                "success_rate"
            ],
            "after the rules' 60 s: {fired:?}"
        );
        assert!(fired.iter().all(|(s, _, c)| *s == 60 && *c == Change::Fired));
        assert_eq!(e.firing().len(), 4);
        // Healthy again: each resolves after its 30 s of keep-firing.
        let good = tasks(&[("AG-001", 100.0, 0.0), ("AG-002", 100.0, 0.0)]);
        let resolved = run(&mut e, &fleet, &good, 61, 31);
        assert_eq!(resolved.len(), 4, "{resolved:?}");
        assert!(resolved.iter().all(|(s, _, c)| *s == 91 && *c == Change::Resolved));
        assert!(e.firing().is_empty());
    }

    #[test]
    fn an_agent_that_goes_away_resolves_its_alerts() {
        let mut e = Evaluator::default();
        let bad = tasks(&[("AG-002", 0.0, 10.0)]);
        run(&mut e, &agents(&["AG-002"]), &bad, 0, 61);
        assert!(e.firing().contains(&"agent_error_rate:AG-002"));
        let after = run(&mut e, &[], &tasks(&[]), 61, 1);
        let resolved: Vec<&str> = after.iter().map(|(_, f, _)| f.as_str()).collect();
        assert!(resolved.contains(&"agent_error_rate:AG-002"), "{after:?}");
    }

    #[test]
    fn the_rules_say_what_to_read() {
        let rules = defaults();
        let keys = needed(&rules, &agents(&["AG-001"]));
        for k in [
            "agents_healthy",
            "agents_deployed",
            "task_latency_ms:p95{AG-001}",
            "tasks_failed{AG-001}",
        ] {
            assert!(keys.iter().any(|x| x == k), "{k}: {keys:?}");
        }
        let mut off = rules.clone();
        off.iter_mut().for_each(|r| r.enabled = false);
        assert!(needed(&off, &agents(&["AG-001"])).is_empty());
    }

    #[test]
    fn an_agents_cpu_far_above_its_own_baseline_fires_then_resolves() {
        let rules: Vec<Rule> = defaults().into_iter().filter(|r| r.id == "agent_cpu_anomaly").collect();
        let fleet = agents(&["AG-001"]);
        let cpu = |value: f64| {
            HashMap::from([(
                "cpu_percent{AG-001}".to_string(),
                Total {
                    sum: value * 10.0,
                    count: 10,
                },
            )])
        };
        let mut e = Evaluator::default();
        let mut changes = Vec::new();
        // Ten minutes of 10 % ± 1 (the warm-up and the baseline)...
        for s in 0..600_i64 {
            let wiggle = if s % 2 == 0 { 1.0 } else { -1.0 };
            changes.extend(e.evaluate(&rules, &fleet, &cpu(10.0 + wiggle), s * 1000));
        }
        assert!(changes.is_empty(), "a steady series raises nothing: {changes:?}");
        // ...then 90 % for a minute: pending, fired after `for` (30 s)...
        for s in 600..660_i64 {
            changes.extend(e.evaluate(&rules, &fleet, &cpu(90.0), s * 1000));
        }
        let fired = changes.iter().filter(|c| c.change == Change::Fired).count();
        assert_eq!(fired, 1, "{changes:?}");
        assert_eq!(changes[0].change, Change::Pending);
        assert_eq!(e.firing(), vec!["agent_cpu_anomaly:AG-001"]);
        // ...and back to normal: resolved after keep-firing (60 s), once.
        changes.clear();
        for s in 660..800_i64 {
            changes.extend(e.evaluate(&rules, &fleet, &cpu(10.0), s * 1000));
        }
        let resolved: Vec<&AlertChange> = changes.iter().filter(|c| c.change == Change::Resolved).collect();
        assert_eq!(resolved.len(), 1, "{changes:?}");
        assert!(e.firing().is_empty());
    }
}
