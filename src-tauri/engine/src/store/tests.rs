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

/// Under writes that never pause, the WAL still starts over: SQLite then
/// writes frames from its beginning again and counts the restart in the
/// WAL header's checkpoint sequence number. Before the checkpoints came in
/// rounds, it never restarted and grew by every frame written.
///
/// Counted, not timed: a busy machine (CI runs test binaries side by side)
/// may hold the checkpoint thread back for a while, which delays a restart
/// but must not prevent it.
#[tokio::test]
async fn the_wal_starts_over_under_steady_writes() {
    const RESTARTS: u32 = 3;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sutazai.db");
    let wal_path = dir.path().join("sutazai.db-wal");
    let store = Store::open_checkpointing(&path, std::time::Duration::from_millis(50)).unwrap();
    store
        .call(|c| c.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)", []))
        .await
        .unwrap();
    let first = wal_restarts(&wal_path);
    let began = std::time::Instant::now();
    let mut commits = 0_i64;
    while wal_restarts(&wal_path) < first + RESTARTS && began.elapsed() < std::time::Duration::from_secs(60) {
        for _ in 0..100 {
            let (done, committed) = oneshot::channel();
            let write: Write = Box::new(|c| {
                c.execute("INSERT INTO rows (body) VALUES (?1)", ["x".repeat(800)])
                    .map(drop)
            });
            store.write(write, Some(done)).unwrap();
            committed.await.unwrap().unwrap();
            commits += 1;
        }
    }
    let restarts = wal_restarts(&wal_path) - first;
    let wal = std::fs::metadata(&wal_path).unwrap().len();
    assert!(
        restarts >= RESTARTS,
        "the WAL started over {restarts} times in {commits} commits and holds {wal} bytes"
    );
    let rows: i64 = store
        .call(|c| c.query_row("SELECT COUNT(*) FROM rows", [], |r| r.get(0)))
        .await
        .unwrap();
    assert_eq!(rows, commits, "no write is lost");
}

/// How many times the WAL has started over: its header's checkpoint
/// sequence number (bytes 12..16, big-endian; SQLite's file format).
fn wal_restarts(wal: &std::path::Path) -> u32 {
    use std::io::Read;
    let mut header = [0_u8; 16];
    match std::fs::File::open(wal).and_then(|mut f| f.read_exact(&mut header)) {
        Ok(()) => u32::from_be_bytes([header[12], header[13], header[14], header[15]]),
        Err(_) => 0,
    }
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
        for sql in &schema::MIGRATIONS[..6] {
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

/// The rows' ids, read off the writer.
async fn read_ids(store: &Store) -> Vec<i64> {
    store
        .read(|c| {
            c.prepare("SELECT id FROM rows ORDER BY id")?
                .query_map([], |r| r.get(0))?
                .collect()
        })
        .await
        .unwrap()
}

/// A read sees what was committed and does not wait while the writer is
/// busy (here: held by a call until the read has answered).
#[tokio::test]
async fn reads_do_not_wait_behind_the_writer() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.db")).unwrap();
    store
        .call(|c| c.execute_batch("CREATE TABLE rows (id INTEGER PRIMARY KEY); INSERT INTO rows VALUES (1)"))
        .await
        .unwrap();
    let (release, held) = std::sync::mpsc::channel::<()>();
    let (holding, writing) = oneshot::channel::<()>();
    let writer = store.clone();
    let busy = tokio::spawn(async move {
        writer
            .call(move |c| {
                let tx = c.unchecked_transaction()?;
                tx.execute("INSERT INTO rows VALUES (2)", [])?;
                let _ = holding.send(());
                let _ = held.recv();
                tx.commit()
            })
            .await
    });
    writing.await.unwrap();
    let seen = read_ids(&store).await;
    assert_eq!(
        seen,
        vec![1],
        "the read answered while the writer was held, with what was committed"
    );
    let refused = store.read(|c| c.execute("INSERT INTO rows VALUES (3)", [])).await;
    assert!(refused.is_err(), "a reader cannot write");
    release.send(()).unwrap();
    busy.await.unwrap().unwrap();
    let seen = read_ids(&store).await;
    assert_eq!(seen, vec![1, 2]);
}
