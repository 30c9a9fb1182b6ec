//! The SQLite store: one writer thread owns the connection; everything
//! durable goes through [`Store::call`] or, for many small writes from many
//! callers, [`Store::write`] (group commit). Queries that need not wait
//! behind commits go to read-only connections beside it ([`Store::read`]).
//! Migrations are forward-only and numbered by SQLite's `user_version`
//! (schema.rs).

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

mod checkpoint;
mod reader;
mod runs;
mod schema;

use schema::migrate;
pub use schema::SCHEMA_VERSION;

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
    /// Read-only connections for [`Store::read`].
    readers: std::sync::Arc<reader::Readers>,
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
            readers: std::sync::Arc::new(reader::Readers::new(path)),
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

    /// Runs the query `f` on a read-only connection, off the writer: it sees
    /// what was committed before it began and never waits behind a commit.
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let readers = std::sync::Arc::clone(&self.readers);
        let answer = tokio::task::spawn_blocking(move || readers.run(f)).await;
        Ok(answer.map_err(|_| StoreError::Closed)??)
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

#[cfg(test)]
mod tests;
