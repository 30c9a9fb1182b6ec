//! Alert rules over the metrics: what each watches (one series, or a ratio
//! of sums such as failed over ended tasks), for the fleet or for each
//! agent, over which window, against which threshold. The defaults are
//! seed 001's four thresholds. Pure: the evaluation loop reads the series a
//! rule names and hands their window figures to [`Rule::value`].

use std::collections::{BTreeSet, HashMap};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::anomaly::AnomalySettings;
use super::event_kind::EventKind;
use super::lifecycle::{Comparison, Severity, Threshold};
use crate::metrics::reduce::Total;
use crate::metrics::series::{Label, SeriesKey};

/// What a rule covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Scope {
    /// One alert for the whole fleet.
    Fleet,
    /// One alert per deployed agent (its series carry the agent's label).
    EachAgent,
}

/// The value a rule compares with its threshold, over its window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase", tag = "kind", deny_unknown_fields)]
#[ts(rename = "RuleSignal")]
pub enum Signal {
    /// The mean of one series (`task_latency_ms:p95`; for each agent its
    /// label is added).
    Mean { series: String },
    /// The sum of some series over the sum of others (`tasks_failed` over
    /// `tasks_succeeded` + `tasks_failed`); no value while the
    /// denominator is zero.
    Ratio {
        numerator: Vec<String>,
        denominator: Vec<String>,
    },
    /// An event (a container died, a breaker opened): bad the round it
    /// happens and while its trouble lasts. Of the threshold, `forS` is how
    /// long a lasting condition (Ollama down) must hold before it fires (an
    /// event that happens once fires only with 0) and `keepFiringS` how
    /// long the alert stays after the trouble ends.
    Event { event: EventKind },
    /// The mean of one series over the window against its own rolling
    /// baseline: the value compared with the threshold is how many spreads
    /// it is from what was expected, on the bad side (none during the
    /// warm-up).
    Anomaly { series: String, baseline: AnomalySettings },
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub severity: Severity,
    pub scope: Scope,
    pub signal: Signal,
    /// The window the signal is read over, in seconds.
    pub window_s: u32,
    pub threshold: Threshold,
    pub enabled: bool,
    /// A workflow (by id) to start when the alert fires, with the alert as
    /// its input `alert`; its first step must be an approval, so a person
    /// decides before anything is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub remedy: Option<String>,
}

impl Rule {
    /// Whether the rule watches an event rather than the metrics.
    pub fn is_event(&self) -> bool {
        matches!(self.signal, Signal::Event { .. })
    }

    /// The series keys the rule reads for `agent` (none for a fleet rule).
    pub fn series(&self, agent: Option<&str>) -> Vec<String> {
        let name = |s: &String| match agent {
            Some(a) => format!("{s}{{{a}}}"),
            None => s.clone(),
        };
        match &self.signal {
            Signal::Mean { series } | Signal::Anomaly { series, .. } => vec![name(series)],
            Signal::Ratio { numerator, denominator } => {
                let all: BTreeSet<String> = numerator.iter().chain(denominator).map(name).collect();
                all.into_iter().collect()
            }
            Signal::Event { .. } => Vec::new(),
        }
    }

    /// The signal's value from its series' windows (keyed as
    /// [`Rule::series`] names them); none without data.
    pub fn value(&self, agent: Option<&str>, windows: &HashMap<String, Total>) -> Option<f64> {
        let name = |s: &String| match agent {
            Some(a) => format!("{s}{{{a}}}"),
            None => s.clone(),
        };
        match &self.signal {
            Signal::Mean { series } | Signal::Anomaly { series, .. } => {
                let w = windows.get(&name(series))?;
                (w.count > 0).then(|| w.sum / f64::from(w.count))
            }
            Signal::Ratio { numerator, denominator } => {
                let sum =
                    |keys: &[String]| -> f64 { keys.iter().filter_map(|k| windows.get(&name(k))).map(|w| w.sum).sum() };
                let below = sum(denominator);
                (below > 0.0).then(|| sum(numerator) / below)
            }
            Signal::Event { .. } => None,
        }
    }

    /// The alert's identity for `agent` (deduplication).
    pub fn fingerprint(&self, agent: Option<&str>) -> String {
        match agent {
            Some(a) => format!("{}:{a}", self.id),
            None => self.id.clone(),
        }
    }

    /// What is wrong with the rule, each problem naming the field.
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let id_ok = !self.id.is_empty()
            && self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !id_ok {
            problems.push(format!("id `{}`: lowercase letters, digits and `_`", self.id));
        }
        if self.name.trim().is_empty() {
            problems.push(format!("{}.name: empty", self.id));
        }
        if !(1..=3600).contains(&self.window_s) {
            problems.push(format!("{}.windowS: 1 to 3600 seconds, not {}", self.id, self.window_s));
        }
        if let Err(e) = self.threshold.check() {
            problems.push(format!("{}.threshold: {e}", self.id));
        }
        let names: Vec<&String> = match &self.signal {
            Signal::Event { .. } => Vec::new(),
            Signal::Mean { series } => vec![series],
            Signal::Anomaly { series, baseline } => {
                for problem in baseline.check() {
                    problems.push(format!("{}.signal.baseline.{problem}", self.id));
                }
                vec![series]
            }
            Signal::Ratio { numerator, denominator } => {
                if numerator.is_empty() || denominator.is_empty() {
                    problems.push(format!(
                        "{}.signal: a ratio needs a numerator and a denominator",
                        self.id
                    ));
                }
                numerator.iter().chain(denominator).collect()
            }
        };
        for series in names {
            match SeriesKey::parse(series) {
                Err(e) => problems.push(format!("{}.signal: {e}", self.id)),
                Ok(key) if key.label.is_some() => problems.push(format!(
                    "{}.signal: `{series}` names a label; the scope adds it",
                    self.id
                )),
                Ok(key) if self.scope == Scope::EachAgent && key.metric().label != Label::Agent => {
                    problems.push(format!(
                        "{}.signal: `{series}` is not kept per agent, so it cannot be watched for each agent",
                        self.id
                    ))
                }
                Ok(_) => {}
            }
        }
        problems
    }
}

/// What is wrong with a set of rules: each rule's problems, and ids used
/// twice.
pub fn check_all(rules: &[Rule]) -> Vec<String> {
    let mut problems: Vec<String> = rules.iter().flat_map(Rule::check).collect();
    let mut seen = BTreeSet::new();
    for r in rules {
        if !seen.insert(&r.id) {
            problems.push(format!("id `{}`: used by two rules", r.id));
        }
    }
    problems
}

fn threshold(comparison: Comparison, value: f64, clear: f64, for_s: u32) -> Threshold {
    Threshold {
        comparison,
        value,
        clear,
        for_s,
        keep_firing_s: 30,
    }
}

fn tasks_ended() -> Vec<String> {
    vec!["tasks_succeeded".into(), "tasks_failed".into()]
}

/// Seed 001's thresholds: agent health below 80 %, success rate below
/// 90 %, response time above 10 s, error rate above 5 % — the fleet's and
/// each agent's.
pub fn defaults() -> Vec<Rule> {
    use Comparison::{Above, Below};
    let rule = |id: &str, name: &str, severity, scope, signal, window_s, threshold| Rule {
        id: id.into(),
        name: name.into(),
        severity,
        scope,
        signal,
        window_s,
        threshold,
        enabled: true,
        remedy: None,
    };
    let mean = |series: &str| Signal::Mean { series: series.into() };
    let failed_share = || Signal::Ratio {
        numerator: vec!["tasks_failed".into()],
        denominator: tasks_ended(),
    };
    let succeeded_share = || Signal::Ratio {
        numerator: vec!["tasks_succeeded".into()],
        denominator: tasks_ended(),
    };
    vec![
        rule(
            "fleet_health",
            "Fleet health below 80 %",
            Severity::Critical,
            Scope::Fleet,
            Signal::Ratio {
                numerator: vec!["agents_healthy".into()],
                denominator: vec!["agents_deployed".into()],
            },
            30,
            threshold(Below, 0.80, 0.85, 30),
        ),
        rule(
            "success_rate",
            "Success rate below 90 %",
            Severity::Warning,
            Scope::Fleet,
            succeeded_share(),
            300,
            threshold(Below, 0.90, 0.92, 60),
        ),
        rule(
            "agent_success_rate",
            "Agent success rate below 90 %",
            Severity::Warning,
            Scope::EachAgent,
            succeeded_share(),
            300,
            threshold(Below, 0.90, 0.92, 60),
        ),
        rule(
            "response_time",
            "Response time above 10 s",
            Severity::Warning,
            Scope::Fleet,
            mean("task_latency_ms:p95"),
            60,
            threshold(Above, 10_000.0, 8_000.0, 60),
        ),
        rule(
            "agent_response_time",
            "Agent response time above 10 s",
            Severity::Warning,
            Scope::EachAgent,
            mean("task_latency_ms:p95"),
            60,
            threshold(Above, 10_000.0, 8_000.0, 60),
        ),
        rule(
            "error_rate",
            "Error rate above 5 %",
            Severity::Warning,
            Scope::Fleet,
            failed_share(),
            300,
            threshold(Above, 0.05, 0.04, 60),
        ),
        rule(
            "agent_error_rate",
            "Agent error rate above 5 %",
            Severity::Warning,
            Scope::EachAgent,
            failed_share(),
            300,
            threshold(Above, 0.05, 0.04, 60),
        ),
    ]
    .into_iter()
    .chain(anomaly_defaults())
    .chain(event_defaults())
    .collect()
}

/// Each agent's latency, failures, CPU and memory against its own rolling
/// baseline: 4 spreads above it for 30 s fires; back under 3 for a minute
/// resolves.
fn anomaly_defaults() -> Vec<Rule> {
    let rule = |id: &str, name: &str, series: &str| Rule {
        id: id.into(),
        name: name.into(),
        severity: Severity::Warning,
        scope: Scope::EachAgent,
        signal: Signal::Anomaly {
            series: series.into(),
            baseline: AnomalySettings::default(),
        },
        window_s: 10,
        threshold: Threshold {
            comparison: Comparison::Above,
            value: 4.0,
            clear: 3.0,
            for_s: 30,
            keep_firing_s: 60,
        },
        enabled: true,
        remedy: None,
    };
    vec![
        rule("agent_latency_anomaly", "Agent latency unusual", "task_latency_ms:p95"),
        rule("agent_failures_anomaly", "Agent failures unusual", "tasks_failed"),
        rule("agent_cpu_anomaly", "Agent CPU unusual", "cpu_percent"),
        rule("agent_memory_anomaly", "Agent memory unusual", "memory_bytes"),
    ]
}

/// One rule for each event, with how long its alert stays after the
/// trouble ends (an agent's: after it is healthy again).
fn event_defaults() -> Vec<Rule> {
    use EventKind::*;
    use Severity::{Critical, Info, Warning};
    let rule = |event: EventKind, id: &str, name: &str, severity, keep_firing_s| Rule {
        id: id.into(),
        name: name.into(),
        severity,
        scope: if event.about_agents() {
            Scope::EachAgent
        } else {
            Scope::Fleet
        },
        signal: Signal::Event { event },
        window_s: 1,
        threshold: Threshold {
            comparison: Comparison::Above,
            value: 0.5,
            clear: 0.5,
            for_s: 0,
            keep_firing_s,
        },
        enabled: true,
        remedy: None,
    };
    // Not at once: Ollama starting, or not started yet when the app is, is
    // not an incident; down for a minute is.
    let mut ollama_down = rule(OllamaDown, "ollama_down", "Ollama unreachable", Critical, 30);
    ollama_down.threshold.for_s = 60;
    vec![
        rule(AgentDied, "agent_died", "Agent container died", Critical, 30),
        rule(AgentOutOfMemory, "agent_oom", "Agent killed for memory", Critical, 30),
        rule(AgentUnhealthy, "agent_unhealthy", "Agent unhealthy", Warning, 30),
        rule(
            AgentFlapping,
            "agent_flapping",
            "Agent flapping, left stopped",
            Critical,
            30,
        ),
        rule(
            AgentRestarted,
            "agent_restarted",
            "Agent restarted by self-healing",
            Info,
            30,
        ),
        rule(BreakerOpened, "breaker_opened", "Circuit breaker open", Warning, 30),
        rule(
            TaskDeadLettered,
            "task_dead_lettered",
            "Task dead-lettered",
            Warning,
            300,
        ),
        rule(RunFailed, "run_failed", "Workflow run failed", Warning, 300),
        rule(RunWaiting, "run_waiting", "Workflow run waits for approval", Info, 0),
        ollama_down,
        rule(ModelMissing, "model_missing", "Model missing for an agent", Warning, 30),
        rule(ThreatFound, "threat_found", "Threat in an input", Critical, 300),
        rule(RateLimited, "rate_limited", "Rate limit exceeded", Warning, 120),
        rule(
            TokensRefused,
            "tokens_refused",
            "Burst of refused API keys",
            Critical,
            300,
        ),
        rule(
            ContainerAudit,
            "container_audit",
            "Critical container audit finding",
            Critical,
            0,
        ),
        rule(DiskLow, "disk_low", "Low disk space in the data dir", Critical, 60),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(figures: &[(&str, f64, u32)]) -> HashMap<String, Total> {
        figures
            .iter()
            .map(|(k, sum, count)| {
                (
                    k.to_string(),
                    Total {
                        sum: *sum,
                        count: *count,
                    },
                )
            })
            .collect()
    }

    fn rule(id: &str) -> Rule {
        defaults().into_iter().find(|r| r.id == id).expect("a default rule")
    }

    #[test]
    fn the_defaults_are_valid_and_cover_seed_001() {
        let rules = defaults();
        assert_eq!(check_all(&rules), Vec::<String>::new());
        for id in ["fleet_health", "success_rate", "response_time", "error_rate"] {
            assert!(rules.iter().any(|r| r.id == id), "{id}");
        }
    }

    #[test]
    fn values_come_from_the_window_figures() {
        // 45 succeeded and 5 failed in the window: 10 % errors, 90 % success.
        let w = windows(&[("tasks_succeeded", 45.0, 300), ("tasks_failed", 5.0, 300)]);
        assert_eq!(rule("error_rate").value(None, &w), Some(0.1));
        assert_eq!(rule("success_rate").value(None, &w), Some(0.9));
        // Per agent, the label is added.
        let w = windows(&[
            ("tasks_succeeded{AG-001}", 1.0, 300),
            ("tasks_failed{AG-001}", 3.0, 300),
        ]);
        assert_eq!(rule("agent_error_rate").value(Some("AG-001"), &w), Some(0.75));
        assert_eq!(
            rule("agent_error_rate").series(Some("AG-001")),
            vec!["tasks_failed{AG-001}", "tasks_succeeded{AG-001}"]
        );
        // Nothing ended: no value, so nothing fires or resolves.
        let w = windows(&[("tasks_succeeded", 0.0, 300), ("tasks_failed", 0.0, 300)]);
        assert_eq!(rule("error_rate").value(None, &w), None);
        // A mean.
        let w = windows(&[("task_latency_ms:p95", 36_000.0, 3)]);
        assert_eq!(rule("response_time").value(None, &w), Some(12_000.0));
        assert_eq!(rule("response_time").value(None, &HashMap::new()), None);
        assert_eq!(
            rule("agent_response_time").fingerprint(Some("AG-007")),
            "agent_response_time:AG-007"
        );
    }

    #[test]
    fn bad_rules_name_the_field() {
        let mut broken = rule("agent_error_rate");
        broken.id = "Bad Id".into();
        broken.window_s = 0;
        broken.signal = Signal::Mean {
            series: "queue_depth".into(),
        };
        broken.threshold.clear = 0.5;
        let problems = broken.check();
        let expected = [
            "id `Bad Id`",
            "windowS: 1 to 3600",
            "threshold: clear (0.5) must be on the good side",
            "`queue_depth` is not kept per agent",
        ];
        for e in expected {
            assert!(problems.iter().any(|p| p.contains(e)), "{e}: {problems:?}");
        }
        let mut labelled = rule("response_time");
        labelled.signal = Signal::Mean {
            series: "cpu_percent{AG-001}".into(),
        };
        assert!(labelled.check()[0].contains("names a label"));
        let mut unknown = rule("response_time");
        unknown.signal = Signal::Mean { series: "nope".into() };
        assert!(unknown.check()[0].contains("no metric `nope`"));
        let twice = [rule("error_rate"), rule("error_rate")];
        assert!(check_all(&twice).iter().any(|p| p.contains("used by two rules")));
    }
}
