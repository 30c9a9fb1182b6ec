//! The audit log: every control action (submit, cancel, re-queue, key
//! created or revoked): who, what, on what, when, and how it ended.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::store::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub at_ms: i64,
    /// `desktop`, `key:<name>`, `agent:<id>`.
    pub actor: String,
    /// `task.submit`, `task.cancel`, `task.requeue`, `key.create`, `key.revoke`.
    pub action: String,
    pub target: String,
    /// `ok` or `refused: <why>`.
    pub outcome: String,
    pub detail: String,
}

/// Appends one entry on `conn` (inside whatever transaction it is in).
pub fn insert(
    conn: &rusqlite::Connection,
    at_ms: i64,
    actor: &str,
    action: &str,
    target: &str,
    outcome: &str,
    detail: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at_ms, actor, action, target, outcome, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute((at_ms, actor, action, target, outcome, detail))?;
    Ok(())
}

/// Appends one entry.
pub async fn record(
    store: &Store,
    at_ms: i64,
    actor: &str,
    action: &str,
    target: &str,
    outcome: &str,
    detail: &str,
) -> Result<(), StoreError> {
    let row = (
        at_ms,
        actor.to_string(),
        action.to_string(),
        target.to_string(),
        outcome.to_string(),
        detail.to_string(),
    );
    store
        .call(move |conn| {
            let (at_ms, actor, action, target, outcome, detail) = row;
            insert(conn, at_ms, &actor, &action, &target, &outcome, &detail)
        })
        .await
}

/// The newest `limit` entries, newest first.
pub async fn recent(store: &Store, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
    store
        .call(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT id, at_ms, actor, action, target, outcome, detail FROM audit_log ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    at_ms: r.get(1)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    target: r.get(4)?,
                    outcome: r.get(5)?,
                    detail: r.get(6)?,
                })
            })?;
            rows.collect()
        })
        .await
}
