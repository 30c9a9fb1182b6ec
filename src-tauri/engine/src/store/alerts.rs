//! What the store keeps of alerts: each firing from fire to resolve, and
//! who acknowledged it.

use rusqlite::{params, OptionalExtension, Row};

use super::{Store, StoreError};
use crate::alerts::lifecycle::Severity;
use crate::alerts::model::Alert;
use crate::alerts::notify::AlertChange;

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

impl Store {
    /// Records that `change` fired (a new alert) or resolved (its open
    /// alert ends) at `at_ms`; other changes are not kept.
    pub async fn record_alert_change(&self, change: &AlertChange, at_ms: i64) -> Result<(), StoreError> {
        let change = change.clone();
        self.call(move |conn| {
            use crate::alerts::lifecycle::Change;
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
    pub async fn alerts(&self, open_only: bool, limit: u32) -> Result<Vec<Alert>, StoreError> {
        self.call(move |conn| {
            let filter = if open_only { "WHERE resolved_ms IS NULL" } else { "" };
            let mut get = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM alerts {filter} ORDER BY fired_ms DESC, id DESC LIMIT ?1"
            ))?;
            let rows = get.query_map([limit], alert_of)?;
            rows.collect()
        })
        .await
    }

    /// Marks an alert acknowledged by `by`; the alert as it is then (none
    /// when there is no such alert).
    pub async fn ack_alert(&self, id: i64, by: &str, at_ms: i64) -> Result<Option<Alert>, StoreError> {
        let by = by.to_string();
        self.call(move |conn| {
            conn.execute(
                "UPDATE alerts SET acked_ms = ?2, acked_by = ?3 WHERE id = ?1 AND acked_ms IS NULL",
                params![id, at_ms, by],
            )?;
            conn.query_row(&format!("SELECT {COLUMNS} FROM alerts WHERE id = ?1"), [id], alert_of)
                .optional()
        })
        .await
    }
}
