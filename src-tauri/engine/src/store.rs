//! The SQLite store: one writer thread owns the connection; everything
//! durable goes through [`Store::call`] or, for many small writes from many
//! callers, [`Store::write`] (group commit). Migrations are forward-only and
//! numbered by SQLite's `user_version`.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

mod checkpoint;

/// Forward-only migrations; entry `i` moves the schema from version `i` to `i + 1`.
/// Never edit a shipped entry: add a new one.
const MIGRATIONS: &[&str] = &[
    // 1: every start and clean stop of the engine, so a crash is visible.
    "CREATE TABLE engine_runs (
        id          INTEGER PRIMARY KEY,
        version     TEXT    NOT NULL,
        started_ms  INTEGER NOT NULL,
        stopped_ms  INTEGER
    );",
    // 2: what self-healing did to each agent, for its history.
    "CREATE TABLE agent_events (
        id          INTEGER PRIMARY KEY,
        agent_id    TEXT    NOT NULL,
        at_ms       INTEGER NOT NULL,
        kind        TEXT    NOT NULL,
        detail      TEXT    NOT NULL
    );
    CREATE INDEX agent_events_by_agent ON agent_events (agent_id, at_ms);",
    // 3: durable tasks (orchestrator). JSON columns hold what is only ever
    // read whole: payload, route, attempts, result, error, chain.
    "CREATE TABLE tasks (
        seq             INTEGER PRIMARY KEY,
        id              TEXT    NOT NULL UNIQUE,
        status          TEXT    NOT NULL,
        priority        INTEGER NOT NULL,
        capability      TEXT,
        agent_id        TEXT,
        task_type       TEXT    NOT NULL,
        payload         TEXT    NOT NULL,
        name            TEXT,
        description     TEXT,
        idempotency_key TEXT    NOT NULL UNIQUE,
        created_ms      INTEGER NOT NULL,
        updated_ms      INTEGER NOT NULL,
        deadline_ms     INTEGER NOT NULL,
        not_before_ms   INTEGER NOT NULL DEFAULT 0,
        finished_ms     INTEGER,
        attempts        INTEGER NOT NULL DEFAULT 0,
        max_attempts    INTEGER NOT NULL,
        assigned_agent  TEXT,
        assigned_container TEXT,
        route           TEXT,
        attempt_log     TEXT    NOT NULL DEFAULT '[]',
        result          TEXT,
        error           TEXT,
        submitted_by    TEXT    NOT NULL,
        parent_id       TEXT,
        chain           TEXT    NOT NULL DEFAULT '[]'
    );
    CREATE INDEX tasks_by_status ON tasks (status, seq);",
    // 4: API keys (only a hash is kept) and the audit log of control actions.
    "CREATE TABLE api_keys (
        id          INTEGER PRIMARY KEY,
        name        TEXT    NOT NULL,
        role        TEXT    NOT NULL,
        prefix      TEXT    NOT NULL,
        hash        TEXT    NOT NULL UNIQUE,
        created_ms  INTEGER NOT NULL,
        created_by  TEXT    NOT NULL,
        revoked_ms  INTEGER,
        last_used_ms INTEGER
    );
    CREATE TABLE audit_log (
        id          INTEGER PRIMARY KEY,
        at_ms       INTEGER NOT NULL,
        actor       TEXT    NOT NULL,
        action      TEXT    NOT NULL,
        target      TEXT    NOT NULL,
        outcome     TEXT    NOT NULL,
        detail      TEXT    NOT NULL DEFAULT ''
    );",
    // 5: each attempt's routing decision in its own table, written once.
    // In the tasks row (4 KB for 20 candidates) every status change
    // rewrote it: SQLite writes a whole record on any update.
    "CREATE TABLE task_routes (
        task_id     TEXT    NOT NULL,
        attempt     INTEGER NOT NULL,
        route       TEXT    NOT NULL,
        PRIMARY KEY (task_id, attempt)
    ) WITHOUT ROWID;
    INSERT INTO task_routes (task_id, attempt, route)
        SELECT id, MAX(attempts, 1), route FROM tasks WHERE route IS NOT NULL;
    ALTER TABLE tasks DROP COLUMN route;",
    // 6: the LLM gateway's answers to deterministic requests, by the
    // SHA-256 of what decides the answer (see `llm::cache`).
    "CREATE TABLE llm_cache (
        key         TEXT    PRIMARY KEY,
        model       TEXT    NOT NULL,
        body        BLOB    NOT NULL,
        created_ms  INTEGER NOT NULL,
        expires_ms  INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX llm_cache_by_expiry ON llm_cache (expires_ms);",
    // 7: routing decisions in a rowid table. WITHOUT ROWID keeps whole rows
    // in the key's tree, so a 1 KB decision spilled into overflow pages and
    // every insert's search read whole decisions, overflow and all, to
    // compare keys: a quarter of the writer's time at thousands of tasks a
    // second. Now the decisions are appended, and the key is a small index.
    "CREATE TABLE task_routes_by_row (
        id          INTEGER PRIMARY KEY,
        task_id     TEXT    NOT NULL,
        attempt     INTEGER NOT NULL,
        route       TEXT    NOT NULL,
        UNIQUE (task_id, attempt)
    );
    INSERT INTO task_routes_by_row (task_id, attempt, route)
        SELECT task_id, attempt, route FROM task_routes ORDER BY task_id, attempt;
    DROP TABLE task_routes;
    ALTER TABLE task_routes_by_row RENAME TO task_routes;",
    // 8: where an audited action came from (`window`, `cli`, an API
    // caller's address); older rows have none.
    "ALTER TABLE audit_log ADD COLUMN origin TEXT NOT NULL DEFAULT '';",
    // 9: the epoch of each agent container's service tokens, new at every
    // (re)deploy, so a token of an earlier container is refused.
    "CREATE TABLE service_epochs (
        container   TEXT    PRIMARY KEY,
        epoch       TEXT    NOT NULL,
        issued_ms   INTEGER NOT NULL
    ) WITHOUT ROWID;",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error("database {path} has schema version {found}, newer than this app's {supported}; use a newer app")]
    TooNew { path: String, found: i64, supported: i64 },
    #[error("database migration to version {version} failed: {source}")]
    Migrate { version: i64, source: rusqlite::Error },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("cannot start the database writer: {0}")]
    Thread(std::io::Error),
    #[error("the database writer has stopped")]
    Closed,
    /// A write met a UNIQUE or PRIMARY KEY constraint: the row exists.
    #[error("already stored: {0}")]
    Duplicate(String),
    /// A write was refused by another constraint or failed on its own; the
    /// others of its group were committed.
    #[error("database write refused: {0}")]
    Refused(String),
    /// The group the write was in could not be committed (a full disk, an
    /// I/O error): nothing of it was.
    #[error("cannot commit the database writes: {0}")]
    Commit(String),
}

impl StoreError {
    /// What one failed write of a group means for its writer.
    fn of_write(err: &rusqlite::Error) -> StoreError {
        use rusqlite::ffi::{SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE};
        match err {
            rusqlite::Error::SqliteFailure(failure, message)
                if matches!(
                    failure.extended_code,
                    SQLITE_CONSTRAINT_UNIQUE | SQLITE_CONSTRAINT_PRIMARYKEY
                ) =>
            {
                StoreError::Duplicate(message.clone().unwrap_or_else(|| failure.to_string()))
            }
            other => StoreError::Refused(other.to_string()),
        }
    }
}

/// One small write for [`Store::write`]; it runs inside a transaction.
pub type Write = Box<dyn FnOnce(&Connection) -> rusqlite::Result<()> + Send>;
/// Where a [`Store::write`] caller hears how its write ended.
pub type WriteDone = oneshot::Sender<Result<(), StoreError>>;

enum Job {
    /// Runs alone, with the connection to itself.
    Call(Box<dyn FnOnce(&mut Connection) + Send>),
    /// Joins the writes queued right behind it in one transaction.
    Write(Write, Option<WriteDone>),
    /// Finishes the checkpoint thread's round (see [`checkpoint`]).
    Checkpoint,
}

/// At most this many writes go into one transaction.
const GROUP: usize = 1024;

/// A handle to the one writer. Cheap to clone; the writer thread ends when
/// the last handle is dropped.
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::Sender<Job>,
    path: PathBuf,
    schema_version: i64,
    /// Dropped with the last handle, which ends the checkpoint thread.
    _checkpoints: std::sync::Arc<mpsc::Sender<()>>,
}

/// The page size of a new database. SQLite's usual 4 KB made every commit
/// of a task write whole 4 KB pages to the WAL (about 11 per task: the row,
/// three index entries, the routing record, the audit entry, the header),
/// 45 KB a task and 75 MB a second of steady tasks that the checkpoints then
/// synced to disk. With 1 KB pages a task writes more of them (about 15: a
/// 1 KB leaf holds fewer rows, so pages split more often), but 15 KB in all,
/// a third (measured by parsing the WAL). A database made with another page
/// size keeps it.
const PAGE_SIZE: i64 = 1024;
/// After a burst, the WAL file shrinks back to this size when it starts over.
const WAL_SIZE_LIMIT: i64 = 64 << 20;
/// The writer's page cache, in KiB (SQLite's default is 2,000). When an
/// insert splits pages, SQLite's balancing parks a page under the locking
/// page's number (1 GiB in, beyond every real page) for a moment; the commit
/// then drops every cached page numbered past the end of the database and
/// so visits each cached page. Under steady tasks that was one commit in
/// six, ~90 µs each with 1,770 cached pages, 6 % of the writer's time
/// (perf, with a probe on the scan); 512 KiB holds ~450 pages. The writes
/// touch a few dozen (the right-hand edges of each table and index), and
/// what the app reads (a task, a page of 100) fits beside them.
const CACHE_KIB: i64 = 512;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the database, applies pending migrations
    /// and starts the writer thread.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_checkpointing(path, checkpoint::EVERY)
    }

    fn open_checkpointing(path: &Path, every: std::time::Duration) -> Result<Store, StoreError> {
        let label = path.display().to_string();
        let open_err = |source| StoreError::Open {
            path: label.clone(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.pragma_update(None, "page_size", PAGE_SIZE).map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(open_err)?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB).map_err(open_err)?;
        let schema_version = migrate(&mut conn, &label)?;
        // Checkpoints (which sync the WAL and the database file) run on their
        // own thread, not inside whichever commit crosses the WAL's size
        // threshold; the writer only finishes each round's last few frames.
        conn.pragma_update(None, "wal_autocheckpoint", 0).map_err(open_err)?;
        conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)
            .map_err(open_err)?;

        let (jobs, inbox) = mpsc::channel::<Job>();
        let checkpoints = checkpoint::spawn(path, every, jobs.clone()).map_err(StoreError::Thread)?;
        std::thread::Builder::new()
            .name("sutazai-store".into())
            .spawn(move || {
                let mut next = inbox.recv().ok();
                while let Some(job) = next.take() {
                    match job {
                        Job::Call(call) => call(&mut conn),
                        Job::Checkpoint => {
                            if let Err(err) = checkpoint::pass(&conn) {
                                tracing::debug!(cause = %err, "checkpoint failed; the next one retries");
                            }
                        }
                        Job::Write(write, done) => {
                            // Every write already queued behind this one joins
                            // it, up to the first job of another kind.
                            let mut group = vec![(write, done)];
                            while group.len() < GROUP {
                                match inbox.try_recv() {
                                    Ok(Job::Write(write, done)) => group.push((write, done)),
                                    Ok(other) => {
                                        next = Some(other);
                                        break;
                                    }
                                    Err(_) => break,
                                }
                            }
                            commit_group(&conn, group);
                        }
                    }
                    if next.is_none() {
                        next = inbox.recv().ok();
                    }
                }
            })
            .map_err(StoreError::Thread)?;
        Ok(Store {
            jobs,
            path: path.to_path_buf(),
            schema_version,
            _checkpoints: std::sync::Arc::new(checkpoints),
        })
    }

    /// Runs `f` on the writer thread and returns its result.
    pub async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Job::Call(Box::new(move |conn| {
            let _ = reply.send(f(conn));
        }));
        self.jobs.send(job).map_err(|_| StoreError::Closed)?;
        Ok(answer.await.map_err(|_| StoreError::Closed)??)
    }

    /// Queues a small write (group commit): the writes that wait together
    /// are committed as one transaction, in the order they were queued.
    /// A statement that fails is undone by SQLite itself and fails only its
    /// write; the others are committed. A write whose statements must stand
    /// or fall together opens a savepoint of its own (a savepoint around
    /// every write cost the writer 8 % of its time, for writes that are one
    /// statement). `done` hears the outcome once the transaction is
    /// committed; without it the write is not waited for.
    pub fn write(&self, write: Write, done: Option<WriteDone>) -> Result<(), StoreError> {
        self.jobs.send(Job::Write(write, done)).map_err(|_| StoreError::Closed)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn schema_version(&self) -> i64 {
        self.schema_version
    }

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
        self.call(move |conn| {
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

/// Commits a group of writes as one transaction and tells each waiting
/// writer how its own write ended.
fn commit_group(conn: &Connection, group: Vec<(Write, Option<WriteDone>)>) {
    let (writes, dones): (Vec<Write>, Vec<Option<WriteDone>>) = group.into_iter().unzip();
    let outcome = (|| {
        let tx = conn.unchecked_transaction()?;
        let mut results = Vec::with_capacity(writes.len());
        for write in writes {
            match write(&tx) {
                Ok(()) => results.push(Ok(())),
                // SQLite has undone the failed statement (a constraint) and
                // the transaction goes on, unless the error ended it (a full
                // disk, an I/O error): then the whole group fails.
                Err(err) if tx.is_autocommit() => return Err(err),
                Err(err) => results.push(Err(StoreError::of_write(&err))),
            }
        }
        tx.commit()?;
        Ok::<_, rusqlite::Error>(results)
    })();
    match outcome {
        Ok(results) => {
            for (done, result) in dones.into_iter().zip(results) {
                if let Some(done) = done {
                    let _ = done.send(result);
                }
            }
        }
        Err(err) => {
            tracing::error!(cause = %err, "cannot commit a group of writes");
            for done in dones.into_iter().flatten() {
                let _ = done.send(Err(StoreError::Commit(err.to_string())));
            }
        }
    }
}

fn migrate(conn: &mut Connection, label: &str) -> Result<i64, StoreError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: label.to_string(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let version = index as i64 + 1;
        if version <= found {
            continue; // applied already
        }
        let step = |conn: &mut Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", version)?;
            tx.commit()
        };
        step(conn).map_err(|source| StoreError::Migrate { version, source })?;
    }
    Ok(SCHEMA_VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn migrates_a_new_database_and_reopens_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sutazai.db");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version(), SCHEMA_VERSION);
        let first = store.record_start("0.1.0", 1_000).await.unwrap();
        drop(store);

        let store = Store::open(&path).unwrap();
        let second = store.record_start("0.1.0", 2_000).await.unwrap();
        assert_eq!(
            store.unclean_runs_before(second).await.unwrap(),
            1,
            "the first run never stopped"
        );
        store.record_stop(second, 3_000).await.unwrap();
        let third = store.record_start("0.1.0", 4_000).await.unwrap();
        assert_eq!(store.unclean_runs_before(third).await.unwrap(), 1);
        assert!(first < second && second < third);
        let mode: String = store
            .call(|c| c.pragma_query_value(None, "journal_mode", |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let page_size: i64 = store
            .call(|c| c.pragma_query_value(None, "page_size", |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(page_size, PAGE_SIZE);
    }

    /// Under writes that never pause, the WAL still starts over: it holds a
    /// round's worth of frames, not every frame ever written.
    #[tokio::test]
    async fn the_wal_starts_over_under_steady_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sutazai.db");
        let store = Store::open_checkpointing(&path, std::time::Duration::from_millis(50)).unwrap();
        store
            .call(|c| c.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)", []))
            .await
            .unwrap();
        let began = std::time::Instant::now();
        let mut commits = 0_i64;
        while began.elapsed() < std::time::Duration::from_millis(1500) {
            let (done, committed) = oneshot::channel();
            let write: Write = Box::new(|c| {
                c.execute("INSERT INTO rows (body) VALUES (?1)", ["x".repeat(800)])
                    .map(drop)
            });
            store.write(write, Some(done)).unwrap();
            committed.await.unwrap().unwrap();
            commits += 1;
        }
        let wal = std::fs::metadata(dir.path().join("sutazai.db-wal")).unwrap().len() as i64;
        // Every commit appends at least one frame (a page and its header).
        let appended = commits * (PAGE_SIZE + 24);
        assert!(
            wal < appended / 3,
            "the WAL holds {wal} bytes after {commits} commits ({appended} bytes appended)"
        );
        let rows: i64 = store
            .call(|c| c.query_row("SELECT COUNT(*) FROM rows", [], |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(rows, commits, "no write is lost");
    }

    /// Queues `writes` behind a call that holds the writer until all are
    /// queued, so that they are committed as one group; their outcomes.
    async fn one_group(store: &Store, writes: Vec<Write>) -> Vec<Result<(), StoreError>> {
        let (queued_tx, queued_rx) = std::sync::mpsc::channel::<()>();
        let (holding_tx, holding) = oneshot::channel::<()>();
        let hold = {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .call(move |_| {
                        let _ = holding_tx.send(());
                        let _ = queued_rx.recv();
                        Ok(())
                    })
                    .await
            })
        };
        holding.await.unwrap();
        let mut answers = Vec::new();
        for write in writes {
            let (done, answer) = oneshot::channel();
            store.write(write, Some(done)).unwrap();
            answers.push(answer);
        }
        queued_tx.send(()).unwrap();
        hold.await.unwrap().unwrap();
        let mut outcomes = Vec::new();
        for answer in answers {
            outcomes.push(answer.await.unwrap());
        }
        outcomes
    }

    /// Every row `sql` selects, each read by `row`.
    async fn rows<T: Send + 'static>(
        store: &Store,
        sql: &'static str,
        row: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Vec<T> {
        store
            .call(move |c| c.prepare(sql)?.query_map([], row)?.collect())
            .await
            .unwrap()
    }

    async fn ids(store: &Store) -> Vec<i64> {
        rows(store, "SELECT id FROM rows ORDER BY id", |r| r.get(0)).await
    }

    #[tokio::test]
    async fn a_failed_write_spoils_only_itself_unless_it_ends_the_transaction() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        store
            .call(|c| c.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY)", []))
            .await
            .unwrap();
        let insert =
            |id: i64| -> Write { Box::new(move |c| c.execute("INSERT INTO rows (id) VALUES (?1)", [id]).map(drop)) };

        // A constraint: SQLite undoes the statement, the group goes on.
        let outcomes = one_group(&store, vec![insert(1), insert(1), insert(2)]).await;
        assert!(outcomes[0].is_ok() && outcomes[2].is_ok(), "{outcomes:?}");
        match &outcomes[1] {
            Err(StoreError::Duplicate(message)) => assert!(message.contains("UNIQUE constraint failed: rows.id")),
            other => panic!("a second row of one id is a duplicate, not {other:?}"),
        }
        assert_eq!(ids(&store).await, vec![1, 2]);

        // An error that ends the transaction fails the whole group: nothing
        // of it is committed, and every write hears so.
        let ends: Write = Box::new(|c| {
            c.execute_batch("ROLLBACK")?;
            Err(rusqlite::Error::InvalidQuery)
        });
        let outcomes = one_group(&store, vec![insert(3), ends, insert(4)]).await;
        assert!(outcomes.iter().all(Result::is_err), "{outcomes:?}");
        assert_eq!(ids(&store).await, vec![1, 2]);

        // And the writer goes on.
        let outcomes = one_group(&store, vec![insert(5)]).await;
        assert!(matches!(outcomes[..], [Ok(())]), "{outcomes:?}");
        assert_eq!(ids(&store).await, vec![1, 2, 5]);
    }

    async fn routes(store: &Store) -> Vec<(String, u32, String)> {
        let sql = "SELECT task_id, attempt, route FROM task_routes ORDER BY task_id, attempt";
        rows(store, sql, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).await
    }

    /// A database at version 6 keeps its routing decisions through the move
    /// to a rowid table, and a decision written again for the same attempt
    /// still replaces the first.
    #[tokio::test]
    async fn routing_decisions_survive_migration_7() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sutazai.db");
        {
            let conn = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..6] {
                conn.execute_batch(sql).unwrap();
            }
            conn.execute(
                "INSERT INTO task_routes (task_id, attempt, route) VALUES ('t-1', 1, '[0]'), ('t-1', 2, '[1]')",
                [],
            )
            .unwrap();
            conn.pragma_update(None, "user_version", 6).unwrap();
        }
        let store = Store::open(&path).unwrap();
        let row = |attempt: u32, route: &str| ("t-1".to_string(), attempt, route.to_string());
        assert_eq!(routes(&store).await, vec![row(1, "[0]"), row(2, "[1]")]);
        store
            .call(|c| {
                c.execute(
                    "INSERT OR REPLACE INTO task_routes (task_id, attempt, route) VALUES ('t-1', 2, '[2]')",
                    [],
                )
            })
            .await
            .unwrap();
        assert_eq!(routes(&store).await, vec![row(1, "[0]"), row(2, "[2]")]);
    }

    #[tokio::test]
    async fn refuses_a_database_from_a_newer_app() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sutazai.db");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        let err = Store::open(&path).unwrap_err();
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
    }

    #[tokio::test]
    async fn sql_errors_come_back_to_the_caller() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let err = store
            .call(|c| c.execute("INSERT INTO nowhere VALUES (1)", []))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no such table: nowhere"), "{err}");
    }
}
