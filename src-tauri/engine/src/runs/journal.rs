//! Runs and their steps in SQLite. A new run is committed before it is
//! acknowledged; later changes go through the writer's group commit in the
//! order they happen (a crash may lose the last few milliseconds of them,
//! which the run's tasks, keyed by run and step, make good on resume).

use rusqlite::{Connection, OptionalExtension};

use super::model::{Run, RunQuery, RunStep, RunSummary};
use crate::store::{Store, StoreError};

#[derive(Clone)]
pub struct Journal {
    store: Store,
}

/// The run's own row: the run without its steps.
fn run_body(run: &Run) -> String {
    let bare = Run {
        steps: Vec::new(),
        ..run.clone()
    };
    serde_json::to_string(&bare).unwrap_or_default()
}

fn step_body(step: &RunStep) -> String {
    serde_json::to_string(step).unwrap_or_default()
}

fn parse<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|err| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, format!("{what}: {err}").into())
    })
}

fn write_run(conn: &Connection, run: &Run, body: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO runs (id, workflow_id, version, status, created_ms, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, body = excluded.body",
    )?
    .execute(rusqlite::params![
        run.id,
        run.workflow_id,
        run.version,
        run.status.as_str(),
        run.created_ms,
        body
    ])
    .map(drop)
}

fn write_step(conn: &Connection, run_id: &str, position: usize, step: &RunStep) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO run_steps (run_id, step_id, position, body) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (run_id, step_id) DO UPDATE SET body = excluded.body",
    )?
    .execute(rusqlite::params![run_id, step.id, position as i64, step_body(step)])
    .map(drop)
}

fn read_steps(conn: &Connection, run_id: &str) -> rusqlite::Result<Vec<RunStep>> {
    let mut stmt = conn.prepare_cached("SELECT body FROM run_steps WHERE run_id = ?1 ORDER BY position")?;
    let rows = stmt.query_map([run_id], |r| r.get::<_, String>(0))?;
    rows.map(|body| parse(&body?, "a stored run step")).collect()
}

fn read_run(conn: &Connection, id: &str) -> rusqlite::Result<Option<Run>> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM runs WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let Some(body) = body else { return Ok(None) };
    let mut run: Run = parse(&body, "a stored run")?;
    run.steps = read_steps(conn, id)?;
    Ok(Some(run))
}

impl Journal {
    pub fn new(store: Store) -> Journal {
        Journal { store }
    }

    /// Stores a new run with its steps; returns once it is committed.
    pub async fn create(&self, run: &Run) -> Result<(), StoreError> {
        let run = run.clone();
        self.store
            .call(move |conn| {
                let tx = conn.transaction()?;
                write_run(&tx, &run, &run_body(&run))?;
                for (position, step) in run.steps.iter().enumerate() {
                    write_step(&tx, &run.id, position, step)?;
                }
                tx.commit()
            })
            .await
    }

    /// Records the run's own fields (not its steps), in order with the
    /// other writes; `done` hears when it is committed.
    pub fn save_run(&self, run: &Run, done: Option<crate::store::WriteDone>) {
        let body = run_body(run);
        let run = Run {
            steps: Vec::new(),
            ..run.clone()
        };
        let write = Box::new(move |conn: &Connection| write_run(conn, &run, &body));
        if let Err(err) = self.store.write(write, done) {
            tracing::warn!(cause = %err, "cannot record a run");
        }
    }

    /// Records one step, in order with the other writes.
    pub fn save_step(&self, run_id: &str, position: usize, step: &RunStep, done: Option<crate::store::WriteDone>) {
        let (run_id, step) = (run_id.to_string(), step.clone());
        let write = Box::new(move |conn: &Connection| write_step(conn, &run_id, position, &step));
        if let Err(err) = self.store.write(write, done) {
            tracing::warn!(cause = %err, "cannot record a run step");
        }
    }

    /// Waits until every write queued so far is committed.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let (done, committed) = tokio::sync::oneshot::channel();
        self.store.write(Box::new(|_| Ok(())), Some(done))?;
        committed.await.map_err(|_| StoreError::Closed)?
    }

    pub async fn get(&self, id: &str) -> Result<Option<Run>, StoreError> {
        let id = id.to_string();
        self.store.read(move |conn| read_run(conn, &id)).await
    }

    /// The items of the tasks whose idempotency key starts with `prefix`
    /// (`run:<run>:step:<step>:`), by key. A task is committed before the
    /// orchestrator acknowledges it, so these are the items a step sent
    /// tasks for even when the run's record of them was lost in a crash.
    /// (The keys are the runs' own; the table is the orchestrator's.)
    pub async fn keyed_items(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        // Every key with the prefix sorts between it and the prefix with its
        // last character (`:`) replaced by the next one (`;`): a range scan
        // of the key's index.
        let low = prefix.to_string();
        let high = match prefix.strip_suffix(':') {
            Some(stem) => format!("{stem};"),
            None => format!("{prefix}\u{10ffff}"),
        };
        self.store
            .read(move |conn| {
                conn.prepare_cached(
                    "SELECT idempotency_key FROM tasks WHERE idempotency_key > ?1 AND idempotency_key < ?2
                     ORDER BY idempotency_key",
                )?
                .query_map([&low, &high], |r| r.get::<_, String>(0))?
                .map(|key| key.map(|key| key[low.len()..].to_string()))
                .collect()
            })
            .await
    }

    /// Runs the last app run left unfinished, oldest first.
    pub async fn unfinished(&self) -> Result<Vec<Run>, StoreError> {
        self.store
            .read(|conn| {
                let ids: Vec<String> = conn
                    .prepare(
                        "SELECT id FROM runs WHERE status IN ('queued', 'running', 'waiting', 'paused')
                         ORDER BY created_ms, id",
                    )?
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                ids.iter().filter_map(|id| read_run(conn, id).transpose()).collect()
            })
            .await
    }

    /// A page of runs, newest first, and how many match in all.
    pub async fn list(&self, query: RunQuery) -> Result<(Vec<RunSummary>, u32), StoreError> {
        self.store
            .read(move |conn| {
                let mut filters = Vec::new();
                let mut params: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
                if let Some(workflow) = &query.workflow_id {
                    params.push(Box::new(workflow.clone()));
                    filters.push(format!("workflow_id = ?{}", params.len()));
                }
                if let Some(statuses) = query.status.as_ref().filter(|s| !s.is_empty()) {
                    let mut marks = Vec::new();
                    for status in statuses {
                        params.push(Box::new(status.as_str()));
                        marks.push(format!("?{}", params.len()));
                    }
                    filters.push(format!("status IN ({})", marks.join(", ")));
                }
                let filter = if filters.is_empty() {
                    String::new()
                } else {
                    format!("WHERE {}", filters.join(" AND "))
                };
                let refs: Vec<&dyn rusqlite::ToSql> = params.iter().map(|p| p.as_ref()).collect();
                let total: u32 =
                    conn.query_row(&format!("SELECT COUNT(*) FROM runs {filter}"), &refs[..], |r| r.get(0))?;
                let limit = query.limit.unwrap_or(100).clamp(1, 1000);
                let offset = query.offset.unwrap_or(0);
                let ids: Vec<String> = conn
                    .prepare(&format!(
                        "SELECT id FROM runs {filter} ORDER BY created_ms DESC, id DESC LIMIT {limit} OFFSET {offset}"
                    ))?
                    .query_map(&refs[..], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                let mut runs = Vec::with_capacity(ids.len());
                for id in ids {
                    if let Some(run) = read_run(conn, &id)? {
                        runs.push(RunSummary::from(&run));
                    }
                }
                Ok((runs, total))
            })
            .await
    }

    /// Whether a run with `status` exists for the workflow (deleting a
    /// workflow with runs under way is refused).
    pub async fn has_unfinished(&self, workflow_id: &str) -> Result<bool, StoreError> {
        let id = workflow_id.to_string();
        self.store
            .read(move |conn| {
                conn.query_row(
                    "SELECT EXISTS (SELECT 1 FROM runs WHERE workflow_id = ?1
                     AND status IN ('queued', 'running', 'waiting', 'paused'))",
                    [id],
                    |r| r.get(0),
                )
            })
            .await
    }
}
