//! What the store keeps about the engine itself: its runs (clean stops and
//! crashes), each agent's history and its auto-scaling policy.

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

    /// Every agent's auto-scaling policy (agent id, JSON).
    pub async fn autoscale_policies(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.call(|conn| {
            let mut get = conn.prepare("SELECT agent_id, body FROM autoscale_policies ORDER BY agent_id")?;
            let rows = get.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()
        })
        .await
    }

    /// Sets an agent's auto-scaling policy (JSON), or removes it (`None`).
    pub async fn put_autoscale_policy(
        &self,
        agent_id: &str,
        body: Option<String>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let agent_id = agent_id.to_string();
        self.call(move |conn| {
            match body {
                Some(body) => conn.execute(
                    "INSERT OR REPLACE INTO autoscale_policies (agent_id, updated_ms, body) VALUES (?1, ?2, ?3)",
                    (agent_id, now_ms, body),
                )?,
                None => conn.execute("DELETE FROM autoscale_policies WHERE agent_id = ?1", [agent_id])?,
            };
            Ok(())
        })
        .await
    }
}
