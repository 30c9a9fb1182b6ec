//! Copying the WAL back into the database file, off the writer's path.
//!
//! A thread with its own connection does the bulk of it every
//! [`EVERY`], never blocking the writer (PASSIVE). Such a checkpoint copies
//! only what the WAL held when it began, and SQLite starts a WAL over from
//! its beginning only once all of it is copied back; with a writer that
//! never pauses, that never happened: the WAL grew by 50 to 75 MB a second
//! of steady tasks (past 1 GB in a benchmark), and the syncs of all that new
//! file space stalled the whole machine. So the thread copies in passes, each
//! shorter than the last, and then hands the little that is left to the
//! writer ([`Job::Checkpoint`]): with no other writer its checkpoint copies
//! everything, and its next commit starts the WAL over.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;

use super::Job;

/// How often the WAL is copied back into the database file.
///
/// A page written again before a round is copied once: a task's row and the
/// index pages it touches are written several times within seconds. Measured
/// with `bench-tasks` (latency phases, one task at a time), every 3 s instead
/// of every 1 s the thread copied for 475 ms instead of 814 ms, and the
/// writer stopped for the round's end 3 times instead of 10 (each stop a
/// little longer: see the sync in [`spawn`]). The hub's added p99
/// on the API path fell by 0.12 ms on average, lower in 6 of 8 alternating
/// pairs (the machine's own noise is larger). Every 5 s was no better. The
/// cost: the WAL holds up to 3 s of writes (≈ 100 MB at 2,000 tasks a second
/// one at a time, 45 MB under load).
pub(super) const EVERY: Duration = Duration::from_secs(3);

/// Passes of the checkpoint thread per round before the writer finishes.
const PASSES: usize = 3;

/// Starts the checkpoint thread; it runs until the returned sender is
/// dropped, then leaves the WAL empty behind. It reads and copies pages; it
/// writes no rows.
pub(super) fn spawn(path: &Path, every: Duration, jobs: mpsc::Sender<Job>) -> std::io::Result<mpsc::Sender<()>> {
    let (stop, stopped) = mpsc::channel::<()>();
    let path = path.to_path_buf();
    std::thread::Builder::new()
        .name("sutazai-checkpoint".into())
        .spawn(move || {
            let conn = match Connection::open(&path) {
                Ok(conn) => conn,
                Err(err) => {
                    tracing::warn!(cause = %err, "cannot open the database for checkpoints");
                    return;
                }
            };
            let file = std::fs::File::open(&path).ok();
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                if round(&conn) {
                    continue;
                }
                // SQLite syncs the database file only when a checkpoint
                // reaches the WAL's end; under steady writes only the
                // writer's does, and its sync then flushed every page the
                // passes had copied. Measured in `bench-tasks`, the writer
                // stopped for 12 to 15 ms a round (at most 30); with this
                // sync first (15 to 20 ms, here) it stops for 3 to 4 ms.
                if let Some(file) = &file {
                    if let Err(err) = file.sync_data() {
                        tracing::debug!(cause = %err, "cannot sync the database file; the writer's checkpoint will");
                    }
                }
                if jobs.send(Job::Checkpoint).is_err() {
                    break;
                }
            }
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        })?;
    Ok(stop)
}

/// One round of passes; whether the WAL is copied back entirely (nothing
/// was added during the last pass, or a pass failed and the next round
/// retries).
fn round(conn: &Connection) -> bool {
    let mut seen = 0;
    for _ in 0..PASSES {
        match pass(conn) {
            Ok(frames) if frames == seen => return true,
            Ok(frames) => seen = frames,
            Err(err) => {
                tracing::debug!(cause = %err, "checkpoint failed; the next one retries");
                return true;
            }
        }
    }
    false
}

/// Copies the WAL back as far as it reached when this began, without
/// waiting for the writer; returns that many frames. Another checkpoint
/// running at the same time is an error (busy).
pub(super) fn pass(conn: &Connection) -> rusqlite::Result<i64> {
    let (busy, frames): (bool, i64) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get(0)?, row.get(1)?))
    })?;
    if busy {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("another checkpoint is running".into()),
        ));
    }
    Ok(frames)
}
