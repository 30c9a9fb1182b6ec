//! The audit log: every control action (tasks, API keys, the fleet, models,
//! starting Ollama) and every refused API call: who, from where, what, on
//! what, when, and how it ended. Targets and details are cut at
//! [`MAX_TEXT`] characters, so no caller can grow a row without bound.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::store::{Store, StoreError};

/// One entry of the log as stored: its id and what was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    #[ts(type = "number")]
    pub id: i64,
    #[serde(flatten)]
    #[ts(flatten)]
    pub record: Record,
}

/// The entries as CSV (RFC 4180): a header line, then one line each;
/// a field with a comma, a quote or a line break is quoted, its quotes
/// doubled. Times are milliseconds since the Unix epoch.
pub fn to_csv(entries: &[AuditEntry]) -> String {
    fn field(text: &str) -> String {
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_string()
        }
    }
    let mut out = String::from("id,at_ms,actor,origin,action,target,outcome,detail\r\n");
    for e in entries {
        let r = &e.record;
        let fields = [
            e.id.to_string(),
            r.at_ms.to_string(),
            field(&r.actor),
            field(&r.origin),
            field(&r.action),
            field(&r.target),
            field(&r.outcome),
            field(&r.detail),
        ];
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The most entries one read of the log returns.
pub const MAX_PAGE: u32 = 1000;

/// The most characters of a target, outcome or detail kept in a row.
pub const MAX_TEXT: usize = 512;

/// What one entry records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    #[ts(type = "number")]
    pub at_ms: i64,
    /// `desktop`, `key:<name>`, `agent:<id>`, `cli`, `anonymous`.
    pub actor: String,
    /// Where it came from: `window`, `cli`, or the API caller's `ip:port`.
    pub origin: String,
    /// `task.submit`, `task.cancel`, `task.requeue`, `key.create`,
    /// `key.revoke`, `fleet.deploy`, `fleet.undeploy`, `fleet.scale`,
    /// `agent.start|stop|restart|remove`, `model.pull`, `model.delete`,
    /// `ollama.start`, `api.refused`.
    pub action: String,
    pub target: String,
    /// `ok`, `refused: <why>` or `failed: <why>`.
    pub outcome: String,
    pub detail: String,
}

/// `text` cut to [`MAX_TEXT`] characters, marked with `…` when cut.
fn capped(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_TEXT) {
        None => text.into(),
        Some((end, _)) => format!("{}…", &text[..end]).into(),
    }
}

/// Appends one entry on `conn` (inside whatever transaction it is in).
pub fn insert(conn: &rusqlite::Connection, entry: &Record) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at_ms, actor, origin, action, target, outcome, detail) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute((
        entry.at_ms,
        capped(&entry.actor),
        capped(&entry.origin),
        capped(&entry.action),
        capped(&entry.target),
        capped(&entry.outcome),
        capped(&entry.detail),
    ))?;
    Ok(())
}

/// Appends one entry.
pub async fn record(store: &Store, entry: Record) -> Result<(), StoreError> {
    store.call(move |conn| insert(conn, &entry)).await
}

/// The newest `limit` entries, newest first.
pub async fn recent(store: &Store, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
    store
        .call(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT id, at_ms, actor, origin, action, target, outcome, detail FROM audit_log \
                 ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], |r| {
                Ok(AuditEntry {
                    id: r.get(0)?,
                    record: Record {
                        at_ms: r.get(1)?,
                        actor: r.get(2)?,
                        origin: r.get(3)?,
                        action: r.get(4)?,
                        target: r.get(5)?,
                        outcome: r.get(6)?,
                        detail: r.get(7)?,
                    },
                })
            })?;
            rows.collect()
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_are_cut_on_a_character_boundary() {
        let cases = [
            ("short", "short".to_string()),
            (&*"é".repeat(MAX_TEXT), "é".repeat(MAX_TEXT)),
            (&*"é".repeat(MAX_TEXT + 1), format!("{}…", "é".repeat(MAX_TEXT))),
        ];
        for (text, expected) in cases {
            assert_eq!(capped(text), expected);
        }
    }
}
