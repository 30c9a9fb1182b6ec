//! What the store keeps of alerts (the `alerts` table, migration 15): each
//! firing from fire to resolve, and who acknowledged it.

use rusqlite::{params, OptionalExtension, Row};

use super::lifecycle::{Change, Severity};
use super::model::Alert;
use super::notify::AlertChange;
use crate::store::{Store, StoreError};

fn severity_text(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Critical => "critical",
    }
}

fn severity_of(text: &str) -> Severity {
    match text {
        "critical" => Severity::Critical,
        "warning" => Severity::Warning,
        _ => Severity::Info,
    }
}

fn alert_of(row: &Row<'_>) -> rusqlite::Result<Alert> {
    Ok(Alert {
        id: row.get(0)?,
        fingerprint: row.get(1)?,
        rule: row.get(2)?,
        name: row.get(3)?,
        subject: row.get(4)?,
        severity: severity_of(&row.get::<_, String>(5)?),
        fired_ms: row.get(6)?,
        resolved_ms: row.get(7)?,
        acked_ms: row.get(8)?,
        acked_by: row.get(9)?,
    })
}

const COLUMNS: &str = "id, fingerprint, rule, name, subject, severity, fired_ms, resolved_ms, acked_ms, acked_by";

/// Records that `change` fired (a new alert) or resolved (its open alert
/// ends) at `at_ms`; other changes are not kept.
pub async fn record(store: &Store, change: &AlertChange, at_ms: i64) -> Result<(), StoreError> {
    let change = change.clone();
    store
        .call(move |conn| {
            match change.change {
                Change::Fired => {
                    conn.execute(
                        "INSERT INTO alerts (fingerprint, rule, name, subject, severity, fired_ms)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![
                            change.fingerprint,
                            change.rule,
                            change.rule_name,
                            change.subject,
                            severity_text(change.severity),
                            at_ms
                        ],
                    )?;
                }
                Change::Resolved => {
                    conn.execute(
                        "UPDATE alerts SET resolved_ms = ?2 WHERE fingerprint = ?1 AND resolved_ms IS NULL",
                        params![change.fingerprint, at_ms],
                    )?;
                }
                Change::Pending | Change::Withdrawn => {}
            }
            Ok(())
        })
        .await
}

/// The newest alerts first (at most `limit`); only open ones with
/// `open_only`.
pub async fn list(store: &Store, open_only: bool, limit: u32) -> Result<Vec<Alert>, StoreError> {
    store
        .call(move |conn| {
            let filter = if open_only { "WHERE resolved_ms IS NULL" } else { "" };
            let mut get = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM alerts {filter} ORDER BY fired_ms DESC, id DESC LIMIT ?1"
            ))?;
            let rows = get.query_map([limit], alert_of)?;
            rows.collect()
        })
        .await
}

/// Marks an alert acknowledged by `by`; the alert as it is then (none when
/// there is no such alert).
pub async fn ack(store: &Store, id: i64, by: &str, at_ms: i64) -> Result<Option<Alert>, StoreError> {
    let by = by.to_string();
    store
        .call(move |conn| {
            conn.execute(
                "UPDATE alerts SET acked_ms = ?2, acked_by = ?3 WHERE id = ?1 AND acked_ms IS NULL",
                params![id, at_ms, by],
            )?;
            conn.query_row(&format!("SELECT {COLUMNS} FROM alerts WHERE id = ?1"), [id], alert_of)
                .optional()
        })
        .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn an_alert_is_kept_from_fire_to_resolve_with_who_acknowledged_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("sutazai.db")).unwrap();
        let store = &store;
        let change = |change| AlertChange {
            fingerprint: "agent_error_rate:AG-002".into(),
            rule: "agent_error_rate".into(),
            rule_name: "Agent error rate above 5 %".into(),
            subject: Some("AG-002".into()),
            severity: Severity::Warning,
            detail: None,
            change,
        };
        record(store, &change(Change::Pending), 500).await.unwrap();
        record(store, &change(Change::Fired), 1_000).await.unwrap();
        let open = list(store, true, 10).await.unwrap();
        assert_eq!(open.len(), 1);
        let alert = &open[0];
        assert_eq!(
            (alert.fired_ms, alert.resolved_ms, alert.severity),
            (1_000, None, Severity::Warning)
        );
        assert_eq!(alert.subject.as_deref(), Some("AG-002"));
        let acked = ack(store, alert.id, "desktop", 2_000).await.unwrap().unwrap();
        assert_eq!(
            (acked.acked_ms, acked.acked_by.as_deref()),
            (Some(2_000), Some("desktop"))
        );
        assert!(ack(store, 999, "desktop", 2_000).await.unwrap().is_none());
        record(store, &change(Change::Resolved), 3_000).await.unwrap();
        assert!(list(store, true, 10).await.unwrap().is_empty());
        // It fires again: a second alert; the first stays in the history.
        record(store, &change(Change::Fired), 4_000).await.unwrap();
        let all = list(store, false, 10).await.unwrap();
        assert_eq!(
            all.iter().map(|a| (a.fired_ms, a.resolved_ms)).collect::<Vec<_>>(),
            vec![(4_000, None), (1_000, Some(3_000))]
        );
    }
}
