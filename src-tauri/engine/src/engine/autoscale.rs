//! Auto-scaling on the engine: each agent's policy kept in SQLite, and the
//! loop that reads every policy's signal from the metrics history, asks the
//! pure rule ([`crate::fleet::autoscale::decide`]) and scales the fleet.
//! Every change lands in the agent's history with the figures behind it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tracing::{instrument, warn};

use super::{outcome_of, Engine};
use crate::fleet::autoscale::{decide, AutoscalePolicy};
use crate::fleet::model::FleetEvent;
use crate::fleet::{FleetError, MAX_INSTANCES};
use crate::metrics::MetricsQuery;
use crate::security::Principal;

/// How often the policies are looked at.
const EVERY: Duration = Duration::from_secs(5);

impl Engine {
    /// `agent_id`'s auto-scaling policy, if one is set.
    pub async fn autoscale_policy(&self, agent_id: &str) -> Result<Option<AutoscalePolicy>, FleetError> {
        Ok(self.autoscale_policies().await?.remove(agent_id))
    }

    /// Sets (or, with `None`, removes) `agent_id`'s auto-scaling policy.
    #[instrument(skip_all, err, fields(by = %by.label(), agent_id))]
    pub async fn set_autoscale_policy(
        &self,
        agent_id: &str,
        policy: Option<AutoscalePolicy>,
        by: &Principal,
    ) -> Result<(), FleetError> {
        if self.catalog().get(agent_id).is_none() {
            return Err(FleetError::UnknownAgent(agent_id.to_string()));
        }
        if let Some(p) = &policy {
            p.check(MAX_INSTANCES).map_err(FleetError::Policy)?;
        }
        let body = policy.as_ref().map(|p| serde_json::to_string(p).unwrap_or_default());
        let detail = body.clone().unwrap_or_else(|| "off".into());
        let result = self
            .store
            .put_autoscale_policy(agent_id, body, self.clock.now_ms())
            .await
            .map_err(FleetError::from);
        self.audit_action(by, "fleet.autoscale", agent_id, &outcome_of(&result), &detail)
            .await;
        result
    }

    async fn autoscale_policies(&self) -> Result<HashMap<String, AutoscalePolicy>, FleetError> {
        let rows = self.store.autoscale_policies().await?;
        let mut out = HashMap::new();
        for (agent, body) in rows {
            match serde_json::from_str(&body) {
                Ok(policy) => {
                    out.insert(agent, policy);
                }
                Err(err) => warn!(agent = %agent, cause = %err, "a stored auto-scaling policy does not parse"),
            }
        }
        Ok(out)
    }

    /// The mean of `series` over the last `window_s` seconds, if it has data.
    async fn signal(&self, series: String, window_s: u32) -> Option<f64> {
        let now = self.clock.now_ms();
        let query = MetricsQuery {
            series: vec![series],
            from_ms: now - i64::from(window_s) * 1000,
            to_ms: now,
            width: Some(1),
            tier: Some(crate::metrics::tier::Tier::Second),
        };
        let reading = self.metrics.query(&query, now).await.ok()?;
        reading.series.first()?.columns.first().map(|c| c.mean)
    }
}

/// Looks at every policy every few seconds and applies what it asks for.
pub(super) async fn autoscale(engine: Arc<Engine>) {
    let mut last_change: HashMap<String, Instant> = HashMap::new();
    loop {
        tokio::select! {
            () = engine.life.cancelled() => return,
            () = tokio::time::sleep(EVERY) => {}
        }
        let policies = match engine.autoscale_policies().await {
            Ok(p) => p,
            Err(err) => {
                warn!(cause = %err, "cannot read the auto-scaling policies");
                continue;
            }
        };
        if policies.is_empty() {
            continue;
        }
        let endpoints = engine.fleet.endpoints().borrow().clone();
        for (agent_id, policy) in policies {
            let instances = u32::try_from(endpoints.iter().filter(|e| e.agent_id == agent_id).count()).unwrap_or(0);
            if instances == 0 {
                continue; // not deployed: a policy never deploys an agent
            }
            let (series, per_instance) = policy.signal.series(&agent_id);
            let value = engine.signal(series, policy.window_s).await.map(|v| {
                if per_instance {
                    v / f64::from(instances)
                } else {
                    v
                }
            });
            let since = last_change.get(&agent_id).map(|at| at.elapsed().as_secs());
            let Some(decision) = decide(&policy, instances, value, since) else {
                continue;
            };
            last_change.insert(agent_id.clone(), Instant::now());
            let result = engine.fleet.scale(&engine.catalog(), &agent_id, decision.to).await;
            let failed = match result {
                Ok(report) if report.failed.is_empty() => None,
                Ok(report) => Some(format!("{} of {} failed", report.failed.len(), report.instances)),
                Err(err) => Some(err.to_string()),
            };
            engine.fleet.emit(FleetEvent::Autoscaled {
                agent_id,
                decision,
                failed,
            });
        }
    }
}
