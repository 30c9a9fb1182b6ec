//! Alerts on the engine: the loop that evaluates every rule from the
//! metrics history, keeps each alert in SQLite, and tells the shell which
//! desktop notifications to show; the list and acknowledgement.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use tracing::warn;

use super::Engine;
use crate::alerts::evaluate::{needed, Evaluator};
use crate::alerts::events::Occurrence;
use crate::alerts::journal;
use crate::alerts::model::Alert;
use crate::alerts::notify::{AlertChange, Notice, Notifier, Quiet};
use crate::alerts::rules::{defaults, Rule};
use crate::error::EngineError;
use crate::metrics::series::SeriesKey;
use crate::security::Principal;

/// How often the rules are evaluated (their `for` and keep-firing times
/// are much longer).
const EVERY: Duration = Duration::from_secs(5);

/// What the alert loop tells the shell and the API.
#[derive(Debug, Clone)]
pub enum AlertNews {
    /// An alert fired or resolved.
    Changed(AlertChange),
    /// A desktop notification to show.
    Notify(Notice),
}

impl Engine {
    /// The newest alerts first; only those not resolved with `open_only`.
    pub async fn alerts(&self, open_only: bool, limit: u32) -> Result<Vec<Alert>, EngineError> {
        Ok(journal::list(&self.store, open_only, limit.clamp(1, 1000)).await?)
    }

    /// Acknowledges an alert for `by`.
    pub async fn ack_alert(&self, id: i64, by: &Principal) -> Result<Option<Alert>, EngineError> {
        Ok(journal::ack(&self.store, id, &by.label(), self.clock.now_ms()).await?)
    }

    /// Tells the alert rules that something happened (an input was a
    /// threat, a client went over its limit); its rule's alert fires on
    /// the next round, at most a second later.
    pub fn report(&self, occurrence: Occurrence) {
        self.occurrences
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(occurrence);
    }

    /// Alert changes and notifications as they happen.
    pub fn subscribe_alerts(&self) -> broadcast::Receiver<AlertNews> {
        self.alert_news.subscribe()
    }

    /// The rules in force (seed 001's defaults until rules can be edited).
    pub fn alert_rules(&self) -> Vec<Rule> {
        defaults()
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
    let mut by_window: HashMap<u32, Vec<Rule>> = HashMap::new();
    for r in rules.iter().filter(|r| r.enabled) {
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

/// Every few seconds: evaluates the rules for the fleet and each deployed
/// agent, records what fired or resolved, and hands the notifications on.
pub(super) async fn watch_alerts(engine: Arc<Engine>) {
    let mut evaluator = Evaluator::default();
    let mut notifier = Notifier::new(Quiet::default());
    loop {
        tokio::select! {
            () = engine.life.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
        let rules = engine.alert_rules();
        let mut agents: Vec<String> = engine
            .fleet
            .endpoints()
            .borrow()
            .iter()
            .map(|e| e.agent_id.clone())
            .collect();
        agents.sort();
        agents.dedup();
        let now_ms = engine.clock.now_ms();
        let windows = windows(&engine, &rules, &agents, now_ms).await;
        let changes = evaluator.evaluate(&rules, &agents, &windows, now_ms);
        for change in &changes {
            if let Err(err) = journal::record(&engine.store, change, now_ms).await {
                warn!(cause = %err, alert = %change.fingerprint, "cannot record an alert");
            }
            let _ = engine.alert_news.send(AlertNews::Changed(change.clone()));
        }
        for notice in notifier.plan(&changes, |_| false, now_ms) {
            let _ = engine.alert_news.send(AlertNews::Notify(notice));
        }
    }
}
