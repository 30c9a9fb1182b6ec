//! What the store keeps of alerts (migrations 15 and 16): each firing
//! from fire to resolve with who acknowledged it, every notification sent,
//! the silences, and the rules a person changed.

use rusqlite::{params, OptionalExtension, Row};

use super::lifecycle::{Change, Severity};
use super::model::{Alert, AlertNotice, AlertQuery, AlertState, Silence};
use super::notify::{AlertChange, Notice};
use super::rules::Rule;
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
        detail: row.get(10)?,
    })
}

const COLUMNS: &str =
    "id, fingerprint, rule, name, subject, severity, fired_ms, resolved_ms, acked_ms, acked_by, detail";

/// Records that `change` fired (a new alert) or resolved (its open alert
/// ends) at `at_ms`; other changes are not kept.
pub async fn record(store: &Store, change: &AlertChange, at_ms: i64) -> Result<(), StoreError> {
    let change = change.clone();
    store
        .call(move |conn| {
            match change.change {
                Change::Fired => {
                    conn.execute(
                        "INSERT INTO alerts (fingerprint, rule, name, subject, severity, fired_ms, detail)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![
                            change.fingerprint,
                            change.rule,
                            change.rule_name,
                            change.subject,
                            severity_text(change.severity),
                            at_ms,
                            change.detail
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

/// The newest alerts first that match `query` (at most its limit).
pub async fn list(store: &Store, query: AlertQuery) -> Result<Vec<Alert>, StoreError> {
    store
        .call(move |conn| {
            let mut filters = vec!["1 = 1".to_string()];
            let mut args: Vec<rusqlite::types::Value> = Vec::new();
            match query.state {
                Some(AlertState::Open) => filters.push("resolved_ms IS NULL".into()),
                Some(AlertState::Unacknowledged) => filters.push("resolved_ms IS NULL AND acked_ms IS NULL".into()),
                Some(AlertState::Resolved) => filters.push("resolved_ms IS NOT NULL".into()),
                None => {}
            }
            if let Some(severity) = query.severity {
                args.push(severity_text(severity).to_string().into());
                filters.push(format!("severity = ?{}", args.len()));
            }
            if let Some(subject) = query.subject.filter(|s| !s.is_empty()) {
                args.push(subject.into());
                filters.push(format!("subject = ?{}", args.len()));
            }
            if let Some(text) = query.text.filter(|t| !t.trim().is_empty()) {
                args.push(format!("%{}%", text.trim()).into());
                let n = args.len();
                filters.push(format!(
                    "(name LIKE ?{n} OR rule LIKE ?{n} OR subject LIKE ?{n} OR detail LIKE ?{n})"
                ));
            }
            args.push(i64::from(query.limit.clamp(1, 1000)).into());
            let mut get = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM alerts WHERE {} ORDER BY fired_ms DESC, id DESC LIMIT ?{}",
                filters.join(" AND "),
                args.len()
            ))?;
            let rows = get.query_map(rusqlite::params_from_iter(args), alert_of)?;
            rows.collect()
        })
        .await
}

/// Keeps a notification that was sent.
pub async fn record_notice(store: &Store, notice: &Notice, at_ms: i64) -> Result<(), StoreError> {
    let notice = notice.clone();
    store
        .call(move |conn| {
            conn.execute(
                "INSERT INTO alert_notices (at_ms, title, body, severity, fingerprints) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    at_ms,
                    notice.title,
                    notice.body,
                    severity_text(notice.severity),
                    serde_json::to_string(&notice.fingerprints).unwrap_or_default()
                ],
            )?;
            Ok(())
        })
        .await
}

/// The newest notifications sent first.
pub async fn notices(store: &Store, limit: u32) -> Result<Vec<AlertNotice>, StoreError> {
    store
        .call(move |conn| {
            let mut get = conn.prepare(
                "SELECT id, at_ms, title, body, severity, fingerprints FROM alert_notices
                 ORDER BY at_ms DESC, id DESC LIMIT ?1",
            )?;
            let rows = get.query_map([limit.clamp(1, 1000)], |row| {
                Ok(AlertNotice {
                    id: row.get(0)?,
                    at_ms: row.get(1)?,
                    title: row.get(2)?,
                    body: row.get(3)?,
                    severity: severity_of(&row.get::<_, String>(4)?),
                    fingerprints: serde_json::from_str(&row.get::<_, String>(5)?).unwrap_or_default(),
                })
            })?;
            rows.collect()
        })
        .await
}

/// Silences `fingerprint` until `until_ms` (replacing an earlier silence).
pub async fn silence(store: &Store, fingerprint: &str, until_ms: i64, by: &str, at_ms: i64) -> Result<(), StoreError> {
    let (fingerprint, by) = (fingerprint.to_string(), by.to_string());
    store
        .call(move |conn| {
            conn.execute(
                "INSERT INTO alert_silences (fingerprint, until_ms, by, at_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (fingerprint) DO UPDATE SET until_ms = ?2, by = ?3, at_ms = ?4",
                params![fingerprint, until_ms, by, at_ms],
            )?;
            Ok(())
        })
        .await
}

/// Ends a silence now; whether there was one.
pub async fn unsilence(store: &Store, fingerprint: &str) -> Result<bool, StoreError> {
    let fingerprint = fingerprint.to_string();
    store
        .call(move |conn| Ok(conn.execute("DELETE FROM alert_silences WHERE fingerprint = ?1", [fingerprint])? > 0))
        .await
}

/// The silences in force at `now_ms` (the ended ones are forgotten).
pub async fn silences(store: &Store, now_ms: i64) -> Result<Vec<Silence>, StoreError> {
    store
        .call(move |conn| {
            conn.execute("DELETE FROM alert_silences WHERE until_ms <= ?1", [now_ms])?;
            let mut get =
                conn.prepare("SELECT fingerprint, until_ms, by, at_ms FROM alert_silences ORDER BY until_ms")?;
            let rows = get.query_map([], |row| {
                Ok(Silence {
                    fingerprint: row.get(0)?,
                    until_ms: row.get(1)?,
                    by: row.get(2)?,
                    at_ms: row.get(3)?,
                })
            })?;
            rows.collect()
        })
        .await
}

/// The rules a person changed, by id (unreadable ones are skipped: the
/// default stands for them).
pub async fn saved_rules(store: &Store) -> Result<Vec<Rule>, StoreError> {
    store
        .call(|conn| {
            let mut get = conn.prepare("SELECT id, rule FROM alert_rules ORDER BY id")?;
            let rows = get.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
            let mut rules = Vec::new();
            for row in rows {
                let (id, json) = row?;
                match serde_json::from_str::<Rule>(&json) {
                    Ok(rule) => rules.push(rule),
                    Err(err) => {
                        tracing::warn!(rule = %id, cause = %err, "a saved alert rule is unreadable; its default stands")
                    }
                }
            }
            Ok(rules)
        })
        .await
}

/// Keeps a person's version of a rule.
pub async fn save_rule(store: &Store, rule: &Rule, by: &str, at_ms: i64) -> Result<(), StoreError> {
    let (id, json, by) = (
        rule.id.clone(),
        serde_json::to_string(rule).unwrap_or_default(),
        by.to_string(),
    );
    store
        .call(move |conn| {
            conn.execute(
                "INSERT INTO alert_rules (id, rule, updated_ms, updated_by) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET rule = ?2, updated_ms = ?3, updated_by = ?4",
                params![id, json, at_ms, by],
            )?;
            Ok(())
        })
        .await
}

/// Forgets a person's version of a rule: its default stands again.
pub async fn reset_rule(store: &Store, id: &str) -> Result<(), StoreError> {
    let id = id.to_string();
    store
        .call(move |conn| {
            conn.execute("DELETE FROM alert_rules WHERE id = ?1", [id])?;
            Ok(())
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
        let open = list(store, AlertQuery::open(10)).await.unwrap();
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
        assert!(list(store, AlertQuery::open(10)).await.unwrap().is_empty());
        // It fires again: a second alert; the first stays in the history.
        record(store, &change(Change::Fired), 4_000).await.unwrap();
        let all = list(store, AlertQuery::all(10)).await.unwrap();
        assert_eq!(
            all.iter().map(|a| (a.fired_ms, a.resolved_ms)).collect::<Vec<_>>(),
            vec![(4_000, None), (1_000, Some(3_000))]
        );
    }
}
