//! What the store keeps about the engine itself: its runs (clean stops and
//! crashes) and each agent's history.

use super::{Store, StoreError};

impl Store {
    /// Records an engine start and returns its run id.
    pub async fn record_start(&self, version: &str, now_ms: i64) -> Result<i64, StoreError> {
        let version = version.to_string();
        self.call(move |conn| {
            conn.execute(
                "INSERT INTO engine_runs (version, started_ms) VALUES (?1, ?2)",
                (version, now_ms),
            )?;
            Ok(conn.last_insert_rowid())
        })
        .await
    }

    /// Marks a run as cleanly stopped.
    pub async fn record_stop(&self, run_id: i64, now_ms: i64) -> Result<(), StoreError> {
        self.call(move |conn| {
            conn.execute("UPDATE engine_runs SET stopped_ms = ?1 WHERE id = ?2", (now_ms, run_id))?;
            Ok(())
        })
        .await
    }

    /// Appends one event to an agent's history.
    pub async fn record_agent_event(
        &self,
        agent_id: &str,
        at_ms: i64,
        kind: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        let (agent_id, kind, detail) = (agent_id.to_string(), kind.to_string(), detail.to_string());
        self.call(move |conn| {
            conn.execute(
                "INSERT INTO agent_events (agent_id, at_ms, kind, detail) VALUES (?1, ?2, ?3, ?4)",
                (agent_id, at_ms, kind, detail),
            )?;
            Ok(())
        })
        .await
    }

    /// An agent's history, oldest first: (at_ms, kind, detail).
    pub async fn agent_events(&self, agent_id: &str) -> Result<Vec<(i64, String, String)>, StoreError> {
        let agent_id = agent_id.to_string();
        self.read(move |conn| {
            let mut stmt =
                conn.prepare("SELECT at_ms, kind, detail FROM agent_events WHERE agent_id = ?1 ORDER BY id")?;
            let rows = stmt.query_map([agent_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect()
        })
        .await
    }

    /// How many earlier runs ended without a clean stop (crashes or kills).
    pub async fn unclean_runs_before(&self, run_id: i64) -> Result<i64, StoreError> {
        self.call(move |conn| {
            conn.query_row(
                "SELECT COUNT(*) FROM engine_runs WHERE id < ?1 AND stopped_ms IS NULL",
                [run_id],
                |row| row.get(0),
            )
        })
        .await
    }
}
