//! Alerts on the engine: the loop that evaluates every rule each second
//! (the metric rules from the history, the event rules from what the
//! subsystems report and what is wrong now), keeps each alert and each
//! notification in SQLite, and tells the shell and the API; the rules a
//! person edits, silences and acknowledgements.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use tokio::sync::broadcast;
use tokio::time::Instant;
use tracing::warn;

use super::alert_sources::Sources;
use super::Engine;
use crate::alerts::evaluate::{needed, Evaluator};
use crate::alerts::events::{EventEvaluator, Occurrence};
use crate::alerts::journal;
use crate::alerts::lifecycle::Change;
use crate::alerts::model::{Alert, AlertNotice, AlertQuery, Silence};
use crate::alerts::notify::{AlertChange, Notice, Notifier, Quiet};
use crate::alerts::rules::{check_all, defaults, Rule, Signal};
use crate::error::EngineError;
use crate::metrics::series::SeriesKey;
use crate::runs::model::NewRun;
use crate::security::Principal;

/// How often the rules are evaluated.
const EVERY: Duration = Duration::from_secs(1);

/// Events that come together (20 agents killed at once) wait this long
/// for each other, so they are one round and one notification.
const GATHER: Duration = Duration::from_millis(300);

/// The longest silence, a week.
const MAX_SILENCE_MINUTES: u32 = 7 * 24 * 60;

/// What the alert loop tells the shell and the API.
#[derive(Debug, Clone)]
pub enum AlertNews {
    /// An alert fired or resolved.
    Changed(AlertChange),
    /// A desktop notification to show.
    Notify(Notice),
}

/// How long the rounds took since the last look, for the bench.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertRounds {
    pub rounds: u64,
    /// Time spent in rounds, reading the history and writing included.
    pub busy: Duration,
    pub mean_us: f64,
    pub p99_us: u64,
    pub max_us: u64,
}

/// Each round's duration in microseconds.
pub(super) type RoundTimes = std::sync::Mutex<hdrhistogram::Histogram<u64>>;

pub(super) fn round_times() -> RoundTimes {
    std::sync::Mutex::new(crate::latency::latency_histogram())
}

/// The rules in force: the defaults with a person's changes over them.
pub(super) type RuleBook = RwLock<Arc<Vec<Rule>>>;

/// The defaults, each replaced by its saved version when there is one.
pub(super) fn merged(saved: Vec<Rule>) -> Vec<Rule> {
    let mut saved: HashMap<String, Rule> = saved.into_iter().map(|r| (r.id.clone(), r)).collect();
    defaults()
        .into_iter()
        .map(|d| saved.remove(&d.id).unwrap_or(d))
        .collect()
}

impl Engine {
    /// The newest alerts first that match `query`.
    pub async fn alerts(&self, query: AlertQuery) -> Result<Vec<Alert>, EngineError> {
        Ok(journal::list(&self.store, query).await?)
    }

    /// Acknowledges an alert for `by`.
    pub async fn ack_alert(&self, id: i64, by: &Principal) -> Result<Option<Alert>, EngineError> {
        let acked = journal::ack(&self.store, id, &by.label(), self.clock.now_ms()).await?;
        let outcome = if acked.is_some() {
            "ok"
        } else {
            "refused: no such alert"
        };
        self.audit_action(by, "alert.ack", &id.to_string(), outcome, "").await;
        Ok(acked)
    }

    /// Silences the alert `fingerprint` for `minutes`: it sends no
    /// notification until then (its record is kept as ever).
    pub async fn silence_alert(&self, fingerprint: &str, minutes: u32, by: &Principal) -> Result<Silence, EngineError> {
        if !(1..=MAX_SILENCE_MINUTES).contains(&minutes) {
            return Err(EngineError::Invalid(format!(
                "minutes: 1 to {MAX_SILENCE_MINUTES} (a week), not {minutes}"
            )));
        }
        if fingerprint.trim().is_empty() {
            return Err(EngineError::Invalid("fingerprint: empty".into()));
        }
        let now = self.clock.now_ms();
        let until = now + i64::from(minutes) * 60_000;
        journal::silence(&self.store, fingerprint, until, &by.label(), now).await?;
        self.audit_action(by, "alert.silence", fingerprint, "ok", &format!("{minutes} min"))
            .await;
        Ok(Silence {
            fingerprint: fingerprint.to_string(),
            until_ms: until,
            by: by.label(),
            at_ms: now,
        })
    }

    /// Ends a silence; whether there was one.
    pub async fn unsilence_alert(&self, fingerprint: &str, by: &Principal) -> Result<bool, EngineError> {
        let ended = journal::unsilence(&self.store, fingerprint).await?;
        self.audit_action(
            by,
            "alert.unsilence",
            fingerprint,
            if ended { "ok" } else { "refused: not silenced" },
            "",
        )
        .await;
        Ok(ended)
    }

    /// The silences in force.
    pub async fn alert_silences(&self) -> Result<Vec<Silence>, EngineError> {
        Ok(journal::silences(&self.store, self.clock.now_ms()).await?)
    }

    /// The newest desktop notifications sent first.
    pub async fn alert_notices(&self, limit: u32) -> Result<Vec<AlertNotice>, EngineError> {
        Ok(journal::notices(&self.store, limit).await?)
    }

    /// Tells the alert rules that something happened (an input was a
    /// threat, a client went over its limit); its rule's alert fires on
    /// the next round, at most a second later.
    pub fn report(&self, occurrence: Occurrence) {
        self.occurrences
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(occurrence);
    }

    /// Alert changes and notifications as they happen.
    pub fn subscribe_alerts(&self) -> broadcast::Receiver<AlertNews> {
        self.alert_news.subscribe()
    }

    /// The rules in force.
    pub fn alert_rules(&self) -> Arc<Vec<Rule>> {
        Arc::clone(&self.rules.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The rules as shipped.
    pub fn default_alert_rules(&self) -> Vec<Rule> {
        defaults()
    }

    /// Replaces a rule with a person's version, checked first: it must be
    /// one of the rules there are, and an event rule watches its event.
    pub async fn set_alert_rule(&self, rule: Rule, by: &Principal) -> Result<Rule, EngineError> {
        let Some(default) = defaults().into_iter().find(|d| d.id == rule.id) else {
            return Err(EngineError::NotFound(format!("no alert rule `{}`", rule.id)));
        };
        if let (Signal::Event { event: was }, Signal::Event { event: now }) = (&default.signal, &rule.signal) {
            if was != now {
                return Err(EngineError::Invalid(format!(
                    "{}.signal: this rule watches {was:?}, not {now:?}",
                    rule.id
                )));
            }
        } else if default.is_event() != rule.is_event() {
            return Err(EngineError::Invalid(format!(
                "{}.signal: an event rule stays an event rule, a metric rule a metric rule",
                rule.id
            )));
        }
        if let Some(remedy) = &rule.remedy {
            self.check_remedy(&rule.id, remedy)?;
        }
        let mut all: Vec<Rule> = self.alert_rules().iter().filter(|r| r.id != rule.id).cloned().collect();
        all.push(rule.clone());
        let problems = check_all(&all);
        if !problems.is_empty() {
            return Err(EngineError::Invalid(problems.join("; ")));
        }
        journal::save_rule(&self.store, &rule, &by.label(), self.clock.now_ms()).await?;
        self.reload_rules().await?;
        self.audit_action(by, "alert_rule.set", &rule.id, "ok", "").await;
        Ok(rule)
    }

    /// Puts a rule back to its default; the default.
    pub async fn reset_alert_rule(&self, id: &str, by: &Principal) -> Result<Rule, EngineError> {
        let Some(default) = defaults().into_iter().find(|d| d.id == id) else {
            return Err(EngineError::NotFound(format!("no alert rule `{id}`")));
        };
        journal::reset_rule(&self.store, id).await?;
        self.reload_rules().await?;
        self.audit_action(by, "alert_rule.reset", id, "ok", "").await;
        Ok(default)
    }

    /// A remedy must be a valid workflow whose every task step waits,
    /// directly or not, for an approval step: a person decides first.
    fn check_remedy(&self, rule: &str, id: &str) -> Result<(), EngineError> {
        let invalid = |why: String| EngineError::Invalid(format!("{rule}.remedy: {why}"));
        let definition = self.workflow(id).map_err(|_| invalid(format!("no workflow `{id}`")))?;
        let Some(workflow) = definition.workflow.as_ref().filter(|_| definition.is_valid()) else {
            return Err(invalid(format!("workflow `{id}` has problems; fix it first")));
        };
        let index: HashMap<&str, usize> = workflow
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        let approved_first = |start: usize| {
            let mut seen = vec![false; workflow.steps.len()];
            let mut todo: Vec<usize> = definition
                .needs
                .get(start)
                .into_iter()
                .flatten()
                .filter_map(|n| index.get(n.as_str()).copied())
                .collect();
            while let Some(i) = todo.pop() {
                if std::mem::replace(&mut seen[i], true) {
                    continue;
                }
                if !workflow.steps[i].kind.runs_tasks() {
                    return true;
                }
                todo.extend(
                    definition
                        .needs
                        .get(i)
                        .into_iter()
                        .flatten()
                        .filter_map(|n| index.get(n.as_str()).copied()),
                );
            }
            false
        };
        for (i, step) in workflow.steps.iter().enumerate() {
            if step.kind.runs_tasks() && !approved_first(i) {
                return Err(invalid(format!(
                    "step `{}` of `{id}` does not wait for an approval step; a remedy asks a person first",
                    step.id
                )));
            }
        }
        Ok(())
    }

    /// Starts each fired alert's remedy, if its rule has one.
    fn start_remedies(self: &Arc<Self>, rules: &[Rule], changes: &[AlertChange]) {
        for change in changes.iter().filter(|c| c.change == Change::Fired) {
            let Some(remedy) = rules
                .iter()
                .find(|r| r.id == change.rule)
                .and_then(|r| r.remedy.clone())
            else {
                continue;
            };
            let alert = serde_json::json!({
                "fingerprint": change.fingerprint,
                "rule": change.rule,
                "name": change.rule_name,
                "subject": change.subject,
                "severity": change.severity,
                "detail": change.detail,
            });
            let engine = Arc::clone(self);
            self.life.spawn(async move {
                let mut inputs = serde_json::Map::new();
                inputs.insert("alert".into(), alert);
                let started = engine.start_run(&remedy, NewRun { inputs }, &Principal::Desktop).await;
                let (target, outcome) = match &started {
                    Ok(run) => (run.id.clone(), "ok".to_string()),
                    Err(err) => (remedy.clone(), format!("failed: {err}")),
                };
                engine
                    .audit_action(&Principal::Desktop, "alert.remedy", &target, &outcome, &remedy)
                    .await;
            });
        }
    }

    async fn reload_rules(&self) -> Result<(), EngineError> {
        let rules = merged(journal::saved_rules(&self.store).await?);
        *self.rules.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(rules);
        Ok(())
    }

    /// How long the alert rounds took since the last call (which starts
    /// over): what evaluating every rule costs.
    pub fn take_alert_rounds(&self) -> AlertRounds {
        let mut times = self.round_times.lock().unwrap_or_else(PoisonError::into_inner);
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let busy = Duration::from_micros((times.mean() * times.len() as f64) as u64);
        let rounds = AlertRounds {
            rounds: times.len(),
            busy,
            mean_us: times.mean(),
            p99_us: times.value_at_quantile(0.99),
            max_us: times.max(),
        };
        times.reset();
        rounds
    }

    fn take_occurrences(&self) -> Vec<Occurrence> {
        std::mem::take(&mut *self.occurrences.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Reads each series' total over each rule's window, by the key the rules
/// name it with.
async fn windows(
    engine: &Engine,
    rules: &[Rule],
    agents: &[String],
    now_ms: i64,
) -> HashMap<String, crate::metrics::reduce::Total> {
    let mut by_window: BTreeMap<u32, Vec<Rule>> = BTreeMap::new();
    for r in rules.iter().filter(|r| r.enabled && !r.is_event()) {
        by_window.entry(r.window_s).or_default().push(r.clone());
    }
    let mut out = HashMap::new();
    for (window_s, rules) in by_window {
        let names = needed(&rules, agents);
        let keys: Vec<SeriesKey> = names.iter().filter_map(|n| SeriesKey::parse(n).ok()).collect();
        let from = now_ms - i64::from(window_s) * 1000;
        match engine.metrics.totals(keys.clone(), from, now_ms).await {
            Ok(totals) => {
                for (key, total) in keys.iter().zip(totals) {
                    out.insert(key.to_string(), total);
                }
            }
            Err(err) => warn!(cause = %err, "alert rules cannot read the metrics"),
        }
    }
    out
}

/// Every second, and at once when events come: evaluates the rules for
/// the fleet and each deployed agent, records what fired or resolved and
/// the notifications, and hands both on.
pub(super) async fn watch_alerts(engine: Arc<Engine>) {
    let mut metric_rules = Evaluator::default();
    let mut event_rules = EventEvaluator::default();
    let mut notifier = Notifier::new(Quiet::default());
    let mut sources = Sources::new(&engine);
    let mut next = Instant::now() + EVERY;
    loop {
        tokio::select! {
            () = engine.life.cancelled() => return,
            () = tokio::time::sleep_until(next) => {}
            news = sources.next() => {
                if sources.take(news) {
                    next = next.min(Instant::now() + GATHER);
                }
                continue;
            }
        }
        next = Instant::now() + EVERY;
        let began = Instant::now();
        round(
            &engine,
            &mut metric_rules,
            &mut event_rules,
            &mut notifier,
            &mut sources,
        )
        .await;
        let took = u64::try_from(began.elapsed().as_micros()).unwrap_or(u64::MAX);
        let _ = engine
            .round_times
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(took.max(1));
    }
}

/// One round of every rule.
async fn round(
    engine: &Arc<Engine>,
    metric_rules: &mut Evaluator,
    event_rules: &mut EventEvaluator,
    notifier: &mut Notifier,
    sources: &mut Sources,
) {
    let rules = engine.alert_rules();
    let now_ms = engine.clock.now_ms();
    let agents = sources.deployed_agents(engine);
    let windows = windows(engine, &rules, &agents, now_ms).await;
    let mut changes = metric_rules.evaluate(&rules, &agents, &windows, now_ms);
    let mut bad = engine.take_occurrences();
    bad.extend(sources.drain());
    bad.extend(sources.still_wrong(engine, &event_rules.firing(), &rules).await);
    changes.extend(event_rules.evaluate(&rules, &bad, now_ms));
    if changes.is_empty() && !notifier.has_pending() {
        return;
    }
    for change in &changes {
        if let Err(err) = journal::record(&engine.store, change, now_ms).await {
            warn!(cause = %err, alert = %change.fingerprint, "cannot record an alert");
        }
        let _ = engine.alert_news.send(AlertNews::Changed(change.clone()));
    }
    engine.start_remedies(&rules, &changes);
    let silenced: Vec<String> = match journal::silences(&engine.store, now_ms).await {
        Ok(s) => s.into_iter().map(|s| s.fingerprint).collect(),
        Err(err) => {
            warn!(cause = %err, "cannot read the silences");
            Vec::new()
        }
    };
    for notice in notifier.plan(&changes, |c| silenced.contains(&c.fingerprint), now_ms) {
        if let Err(err) = journal::record_notice(&engine.store, &notice, now_ms).await {
            warn!(cause = %err, "cannot record a notification");
        }
        let _ = engine.alert_news.send(AlertNews::Notify(notice));
    }
}
