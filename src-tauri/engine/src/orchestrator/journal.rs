//! The tasks table. Writes go through the store's group commit
//! ([`Store::write`]): whatever writes are waiting are committed as one
//! transaction, in the order they were queued. Each write here makes one
//! change (one statement), so a failure spoils only itself.
//!
//! A caller that must not go on before its write is durable awaits it: a
//! submission is acknowledged, and a queued task's attempt is sent, only
//! once committed. One exception saves a commit's wait per task: a new task
//! with no idempotency key of its own that an agent can take at once is sent
//! while its insert, queued first, is being committed. Its submitter still
//! hears only after that commit, and its outcome is recorded after it; a
//! crash in between leaves neither a row nor an acknowledgement, as if the
//! submission had failed (see `dispatcher::Seq`).
//!
//! Writes that a crash may lose safely are sent without waiting: a retry's
//! state (the task is then re-queued, which at-least-once allows) and the
//! routing decision that explains an attempt (the attempt itself, with its
//! agent and score, is in the attempt log, queued before the call).

use std::future::Future;

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;
use tokio::sync::oneshot;

use super::model::{Attempt, StatusCount, Task, TaskFailure, TaskPage, TaskQuery, TaskStatus, TaskSummary};
use super::route_record;
use super::router::RouteDecision;
use crate::store::{Store, StoreError, Write};

#[derive(Clone)]
pub struct Journal {
    store: Store,
}

/// The columns `Task` is read from, in `task_from_row`'s order (a macro so
/// that whole statements can be `concat!`ed at compile time).
macro_rules! task_columns {
    () => {
        "id, status, priority, capability, agent_id, task_type, payload, name, description, \
     idempotency_key, created_ms, updated_ms, deadline_ms, finished_ms, attempts, max_attempts, \
     assigned_agent, assigned_container, \
     (SELECT route FROM task_routes WHERE task_id = tasks.id ORDER BY attempt DESC LIMIT 1), attempt_log, result, error, submitted_by, parent_id, chain, \
     not_before_ms, seq, backoff_ms"
    };
}
const TASK_COLUMNS: &str = task_columns!();

/// How an insert ended: the task's `seq`, or the task that already has the
/// idempotency key.
pub type Inserted = Result<Result<i64, Box<Stored>>, StoreError>;

/// A task with the fields only the dispatcher needs.
#[derive(Debug, Clone)]
pub struct Stored {
    pub task: Task,
    pub not_before_ms: i64,
    pub seq: i64,
}

fn json_col<T: serde::de::DeserializeOwned>(text: Option<String>) -> Option<T> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

fn task_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
    let status: String = r.get(1)?;
    let payload: String = r.get(6)?;
    Ok(Stored {
        task: Task {
            id: r.get(0)?,
            status: TaskStatus::parse(&status).unwrap_or(TaskStatus::Failed),
            priority: r.get(2)?,
            capability: r.get(3)?,
            agent_id: r.get(4)?,
            task_type: r.get(5)?,
            payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
            name: r.get(7)?,
            description: r.get(8)?,
            idempotency_key: r.get(9)?,
            created_ms: r.get(10)?,
            updated_ms: r.get(11)?,
            deadline_ms: r.get(12)?,
            finished_ms: r.get(13)?,
            attempts: r.get(14)?,
            max_attempts: r.get(15)?,
            assigned_agent: r.get(16)?,
            assigned_container: r.get(17)?,
            route: r
                .get::<_, Option<String>>(18)?
                .and_then(|text| route_record::decode(&text))
                .map(std::sync::Arc::new),
            attempt_log: json_col::<Vec<Attempt>>(r.get(19)?).unwrap_or_default(),
            result: json_col::<Value>(r.get(20)?),
            error: json_col::<TaskFailure>(r.get(21)?),
            submitted_by: r.get(22)?,
            parent_id: r.get(23)?,
            delegation_chain: json_col::<Vec<String>>(r.get(24)?).unwrap_or_default(),
            retry_backoff_ms: r.get(27)?,
        },
        not_before_ms: r.get(25)?,
        seq: r.get(26)?,
    })
}

/// The routing decision of the task's latest attempt, once per attempt (an
/// attempt the agent refused as busy is not counted and is replaced).
fn write_route(conn: &Connection, task_id: &str, attempt: u32, route: &RouteDecision) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT OR REPLACE INTO task_routes (task_id, attempt, route) VALUES (?1, ?2, ?3)")?
        .execute(params![task_id, attempt, route_record::encode(route)])?;
    Ok(())
}

fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

impl Journal {
    pub fn new(store: Store) -> Journal {
        Journal { store }
    }

    /// Queues a write without waiting for it.
    fn send(&self, write: Write) {
        if self.store.write(write, None).is_err() {
            tracing::error!("the database writer has stopped; a task write is lost");
        }
    }

    /// Queues a write now; the future ends once it is committed.
    fn queue(&self, write: Write) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        let (done, answer) = oneshot::channel();
        let queued = self.store.write(write, Some(done));
        async move {
            queued?;
            answer.await.unwrap_or(Err(StoreError::Closed))
        }
    }

    /// Inserts a new task, committed before the returned future ends. When a task with
    /// the same idempotency key exists, nothing is written and that task is
    /// returned instead (`Ok(Err(existing))`). A key made from the new
    /// task's own id (none was given) cannot be known, so it is not looked up;
    /// the column's UNIQUE constraint still guards it.
    ///
    /// The write is queued when this is called, before the returned future
    /// is first polled: writes queued after it are committed after it.
    pub fn insert(&self, task: &Task) -> impl Future<Output = Inserted> + Send + 'static {
        // The row's values, taken here: the JSON columns are written out
        // on the caller's thread, and the payload is not copied first.
        let t = task;
        let own_key = t.idempotency_key == t.id;
        let (id, key, status) = (t.id.clone(), t.idempotency_key.clone(), t.status.as_str());
        let (priority, created_ms, updated_ms, deadline_ms) = (t.priority, t.created_ms, t.updated_ms, t.deadline_ms);
        let (attempts, max_attempts, backoff_ms) = (t.attempts, t.max_attempts, t.retry_backoff_ms);
        let texts = [
            t.capability.clone(),
            t.agent_id.clone(),
            t.name.clone(),
            t.description.clone(),
            t.parent_id.clone(),
            t.assigned_agent.clone(),
            t.assigned_container.clone(),
        ];
        let (task_type, submitted_by) = (t.task_type.clone(), t.submitted_by.clone());
        let (payload, chain, attempt_log) = (
            to_json(&t.payload),
            to_json(&t.delegation_chain),
            to_json(&t.attempt_log),
        );
        let (seq_tx, seq_rx) = oneshot::channel();
        let committed = self.queue(Box::new(move |conn| {
            let existing = if own_key {
                None
            } else {
                conn.prepare_cached(concat!("SELECT ", task_columns!(), " FROM tasks WHERE idempotency_key = ?1"))?
                    .query_row([&key], task_from_row)
                    .optional()?
            };
            if let Some(existing) = existing {
                let _ = seq_tx.send(Err(Box::new(existing)));
                return Ok(());
            }
            let [capability, agent_id, name, description, parent_id, assigned_agent, assigned_container] = texts;
            conn.prepare_cached(
                "INSERT INTO tasks (id, status, priority, capability, agent_id, task_type, payload, name, description, \
                 idempotency_key, created_ms, updated_ms, deadline_ms, attempts, max_attempts, submitted_by, parent_id, chain, \
                 assigned_agent, assigned_container, attempt_log, backoff_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?18, ?14, ?15, ?16, ?17, ?19, ?20, ?21, ?22)",
            )?
            .execute(params![
                id,
                status,
                priority,
                capability,
                agent_id,
                task_type,
                payload,
                name,
                description,
                key,
                created_ms,
                updated_ms,
                deadline_ms,
                max_attempts,
                submitted_by,
                parent_id,
                chain,
                attempts,
                assigned_agent,
                assigned_container,
                attempt_log,
                backoff_ms,
            ])?;
            let seq = conn.last_insert_rowid();
            let _ = seq_tx.send(Ok(seq));
            Ok(())
        }));
        async move {
            committed.await?;
            seq_rx.await.map_err(|_| StoreError::Closed)
        }
    }

    /// Records a task's state: status, assignment, attempts, result, error
    /// and retry time, as they are in `task` now. `wait` commits before
    /// returning.
    pub async fn save(&self, task: &Task, not_before_ms: i64, wait: bool) -> Result<(), StoreError> {
        // What the statement needs, taken here (the payload is not
        // rewritten, so it is not copied either).
        let (id, status, updated_ms, finished_ms, attempts, max_attempts, deadline_ms) = (
            task.id.clone(),
            task.status.as_str(),
            task.updated_ms,
            task.finished_ms,
            task.attempts,
            task.max_attempts,
            task.deadline_ms,
        );
        let (agent, container) = (task.assigned_agent.clone(), task.assigned_container.clone());
        let attempt_log = to_json(&task.attempt_log);
        let result = task.result.as_ref().map(to_json);
        let error = task.error.as_ref().map(to_json);
        let write: Write = Box::new(move |conn| {
            conn.prepare_cached(
                "UPDATE tasks SET status = ?2, updated_ms = ?3, finished_ms = ?4, attempts = ?5, max_attempts = ?6, \
                 assigned_agent = ?7, assigned_container = ?8, attempt_log = ?9, result = ?10, \
                 error = ?11, not_before_ms = ?12, deadline_ms = ?13 WHERE id = ?1",
            )?
            .execute(params![
                id,
                status,
                updated_ms,
                finished_ms,
                attempts,
                max_attempts,
                agent,
                container,
                attempt_log,
                result,
                error,
                not_before_ms,
                deadline_ms,
            ])?;
            Ok(())
        });
        if wait {
            self.queue(write).await
        } else {
            self.send(write);
            Ok(())
        }
    }

    /// Records the routing decision of the task's latest attempt with the
    /// next batch of writes (not waited for; see the module's note). A
    /// 20-candidate decision was most of an insert's commit when it went
    /// with it, and it can be written while the agent works.
    pub fn record_route(&self, task: &Task) {
        let Some(route) = task.route.clone() else {
            return;
        };
        let (id, attempt) = (task.id.clone(), task.attempts);
        self.send(Box::new(move |conn| write_route(conn, &id, attempt, &route)));
    }

    /// Appends to the audit log with the next batch (not waited for: the
    /// action it records is already durable or refused).
    pub fn audit(&self, entry: crate::security::audit::Record) {
        self.send(Box::new(move |conn| crate::security::audit::insert(conn, &entry)));
    }

    /// A task as last committed.
    pub async fn get(&self, id: &str) -> Result<Option<Task>, StoreError> {
        let id = id.to_string();
        self.store
            .read(move |conn| {
                conn.query_row(
                    &format!("SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?1"),
                    [&id],
                    task_from_row,
                )
                .optional()
            })
            .await
            .map(|found| found.map(|s| s.task))
    }

    /// Tasks that were queued, dispatched or running when the app last
    /// stopped, oldest first.
    pub async fn unfinished(&self) -> Result<Vec<Stored>, StoreError> {
        self.store
            .call(|conn| {
                let mut stmt = conn.prepare(&format!(
                    "SELECT {TASK_COLUMNS} FROM tasks WHERE status IN ('queued', 'dispatched', 'running') ORDER BY seq"
                ))?;
                let rows = stmt.query_map([], task_from_row)?;
                rows.collect()
            })
            .await
    }

    /// One page of tasks, newest first, with the totals.
    pub async fn list(&self, query: TaskQuery) -> Result<TaskPage, StoreError> {
        self.store
            .read(move |conn| {
                let mut clauses: Vec<String> = Vec::new();
                let mut args: Vec<String> = Vec::new();
                if let Some(statuses) = query.status.as_ref().filter(|s| !s.is_empty()) {
                    let marks: Vec<String> = statuses
                        .iter()
                        .map(|s| {
                            args.push(s.as_str().to_string());
                            format!("?{}", args.len())
                        })
                        .collect();
                    clauses.push(format!("status IN ({})", marks.join(", ")));
                }
                if let Some(capability) = &query.capability {
                    args.push(capability.clone());
                    clauses.push(format!("capability = ?{}", args.len()));
                }
                if let Some(agent) = &query.agent_id {
                    args.push(agent.clone());
                    clauses.push(format!("(assigned_agent = ?{0} OR agent_id = ?{0})", args.len()));
                }
                let filter = if clauses.is_empty() {
                    String::new()
                } else {
                    format!("WHERE {}", clauses.join(" AND "))
                };
                let limit = query.limit.unwrap_or(100).clamp(1, 1000);
                let offset = query.offset.unwrap_or(0);
                let total: u32 = conn.query_row(
                    &format!("SELECT COUNT(*) FROM tasks {filter}"),
                    rusqlite::params_from_iter(args.iter()),
                    |r| r.get(0),
                )?;
                let mut stmt = conn.prepare(&format!(
                    "SELECT {TASK_COLUMNS} FROM tasks {filter} ORDER BY seq DESC LIMIT {limit} OFFSET {offset}"
                ))?;
                let tasks = stmt
                    .query_map(rusqlite::params_from_iter(args.iter()), task_from_row)?
                    .map(|row| row.map(|s| TaskSummary::from(&s.task)))
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let mut counts_stmt = conn.prepare("SELECT status, COUNT(*) FROM tasks GROUP BY status")?;
                let counts = counts_stmt
                    .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?
                    .filter_map(|row| {
                        row.ok()
                            .and_then(|(s, count)| TaskStatus::parse(&s).map(|status| StatusCount { status, count }))
                    })
                    .collect();
                Ok(TaskPage { tasks, total, counts })
            })
            .await
    }
}
