//! The metrics history: every series in three tiers (1 s, 1 min, 1 h), in
//! its own SQLite file so that nothing here ever waits on, or holds up,
//! the tasks' writer. Samples gather in memory in the open block of each
//! tier and are written compressed ([`block`]) when a block closes and at
//! each [`History::flush`] (the metrics thread calls it once a minute), so
//! a crash loses at most that minute. Rollups are made as samples pass
//! (a minute closes when the next one begins), never by reading back.
//!
//! One `History` is owned by one thread; it is not shared.

use std::collections::HashMap;
use std::path::Path;

use hdrhistogram::Histogram;
use rusqlite::{params, Connection, OptionalExtension};

mod open;
mod packed;
mod read;

use super::block;
use super::reduce::{Column, Rollup};
use super::series::SeriesKey;
use super::tier::Tier;
pub use crate::config::Keeping;
use open::{encode_histogram_block, Open, OpenHistograms};

/// A series' number in this history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeriesId(usize);

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("metrics database {path}: {source}")]
    Open { path: String, source: rusqlite::Error },
    #[error("metrics database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("metrics block of {series} at {start_ms}: {source}")]
    Block {
        series: String,
        start_ms: i64,
        source: block::BlockError,
    },
}

#[derive(Debug)]
struct Series {
    /// The row id in the `series` table.
    row: i64,
    /// The metric's resolution (looked up once).
    resolution: f64,
    /// Open blocks of the 1 s, minute and hour tiers.
    open: [Option<Open>; 3],
    /// The minute and the hour being summed up.
    minute: Option<(i64, Rollup)>,
    hour: Option<(i64, Rollup)>,
    /// Latency metrics: the minute's and the hour's histogram being merged,
    /// and the open blocks of histograms (minute and hour tiers).
    minute_histogram: Option<(i64, Histogram<u64>)>,
    hour_histogram: Option<(i64, Histogram<u64>)>,
    histogram_blocks: [Option<OpenHistograms>; 2],
}

/// What a query reads back.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub tier: Tier,
    pub columns: Vec<Column>,
}

pub struct History {
    db: Connection,
    keeping: Keeping,
    series: Vec<Series>,
    ids: HashMap<SeriesKey, SeriesId>,
    /// Closed blocks not yet written: (series row, tier, start, end, data).
    pending: Vec<(i64, i64, i64, i64, Vec<u8>)>,
    pending_histograms: Vec<(i64, i64, i64, Vec<u8>)>,
}

const SCHEMA: &str = "
    PRAGMA auto_vacuum = INCREMENTAL;
    CREATE TABLE IF NOT EXISTS series (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE
    );
    CREATE TABLE IF NOT EXISTS blocks (
        series INTEGER NOT NULL,
        tier INTEGER NOT NULL,
        start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (series, tier, start_ms)
    );
    CREATE TABLE IF NOT EXISTS histograms (
        series INTEGER NOT NULL,
        tier INTEGER NOT NULL,
        start_ms INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (series, tier, start_ms)
    );
";

impl History {
    /// Opens (or makes) the history at `path`.
    pub fn open(path: &Path, keeping: Keeping) -> Result<History, HistoryError> {
        let open_err = |source| HistoryError::Open {
            path: path.display().to_string(),
            source,
        };
        let db = Connection::open(path).map_err(open_err)?;
        db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .map_err(open_err)?;
        db.execute_batch(SCHEMA).map_err(open_err)?;
        Ok(History {
            db,
            keeping,
            series: Vec::new(),
            ids: HashMap::new(),
            pending: Vec::new(),
            pending_histograms: Vec::new(),
        })
    }

    /// The number of `key`, made (and stored) on first use.
    pub fn id(&mut self, key: &SeriesKey) -> Result<SeriesId, HistoryError> {
        if let Some(id) = self.ids.get(key) {
            return Ok(*id);
        }
        let text = key.to_string();
        self.db
            .execute("INSERT OR IGNORE INTO series (key) VALUES (?1)", [&text])?;
        let row: i64 = self
            .db
            .query_row("SELECT id FROM series WHERE key = ?1", [&text], |r| r.get(0))?;
        let id = SeriesId(self.series.len());
        self.series.push(Series {
            row,
            resolution: key.metric().resolution,
            open: [None, None, None],
            minute: None,
            hour: None,
            minute_histogram: None,
            hour_histogram: None,
            histogram_blocks: [None, None],
        });
        self.ids.insert(key.clone(), id);
        Ok(id)
    }

    /// Keeps one sample of a series (`at_ms` on a whole second; a second
    /// sample for the same second is dropped).
    pub fn record(&mut self, id: SeriesId, at_ms: i64, value: f64) -> Result<(), HistoryError> {
        let stored = (value / self.series[id.0].resolution).round() as i64;
        let sample = Rollup::of(stored);
        self.append(id, Tier::Second, at_ms, sample)?;
        let minute = at_ms.div_euclid(Tier::Minute.step_ms()) * Tier::Minute.step_ms();
        let series = &mut self.series[id.0];
        let closed = match &mut series.minute {
            Some((m, rollup)) if *m == minute => {
                rollup.merge(&sample);
                None
            }
            slot => slot.replace((minute, sample)),
        };
        if let Some((m, rollup)) = closed {
            self.close_minute(id, m, rollup)?;
        }
        Ok(())
    }

    /// Merges the latencies of one second into the series' minute (a
    /// [`Kind::Latency`] metric's base series).
    pub fn record_latencies(
        &mut self,
        id: SeriesId,
        at_ms: i64,
        latencies: &Histogram<u64>,
    ) -> Result<(), HistoryError> {
        let minute = at_ms.div_euclid(Tier::Minute.step_ms()) * Tier::Minute.step_ms();
        let series = &mut self.series[id.0];
        let closed = match &mut series.minute_histogram {
            Some((m, merged)) if *m == minute => {
                let _ = merged.add(latencies);
                None
            }
            slot => slot.replace((minute, latencies.clone())),
        };
        if let Some((m, histogram)) = closed {
            self.close_histogram(id, Tier::Minute, m, histogram)?;
        }
        Ok(())
    }

    fn close_minute(&mut self, id: SeriesId, minute: i64, rollup: Rollup) -> Result<(), HistoryError> {
        self.append(id, Tier::Minute, minute, rollup)?;
        let hour = minute.div_euclid(Tier::Hour.step_ms()) * Tier::Hour.step_ms();
        let series = &mut self.series[id.0];
        let closed = match &mut series.hour {
            Some((h, total)) if *h == hour => {
                total.merge(&rollup);
                None
            }
            slot => slot.replace((hour, rollup)),
        };
        if let Some((h, total)) = closed {
            self.append(id, Tier::Hour, h, total)?;
        }
        Ok(())
    }

    fn close_histogram(
        &mut self,
        id: SeriesId,
        tier: Tier,
        at_ms: i64,
        histogram: Histogram<u64>,
    ) -> Result<(), HistoryError> {
        if tier == Tier::Minute {
            let hour = at_ms.div_euclid(Tier::Hour.step_ms()) * Tier::Hour.step_ms();
            let series = &mut self.series[id.0];
            let closed = match &mut series.hour_histogram {
                Some((h, merged)) if *h == hour => {
                    let _ = merged.add(&histogram);
                    None
                }
                slot => slot.replace((hour, histogram.clone())),
            };
            if let Some((h, merged)) = closed {
                self.close_histogram(id, Tier::Hour, h, merged)?;
            }
        }
        let slot = usize::from(tier == Tier::Hour);
        let start = tier.block_start(at_ms);
        let series = &mut self.series[id.0];
        if series.histogram_blocks[slot]
            .as_ref()
            .is_some_and(|b| b.start_ms != start)
        {
            let done = series.histogram_blocks[slot].take().expect("checked above");
            let data = encode_histogram_block(&done);
            self.pending_histograms
                .push((series.row, tier.code(), done.start_ms, data));
        }
        let row = series.row;
        if series.histogram_blocks[slot].is_none() {
            let mut histograms = Vec::new();
            let stored: Option<Vec<u8>> = self
                .db
                .query_row(
                    "SELECT data FROM histograms WHERE series = ?1 AND tier = ?2 AND start_ms = ?3",
                    params![row, tier.code(), start],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(data) = stored {
                histograms = block::decode_histograms(&data).unwrap_or_default();
            }
            self.series[id.0].histogram_blocks[slot] = Some(OpenHistograms {
                start_ms: start,
                histograms,
                dirty: false,
            });
        }
        let open = self.series[id.0].histogram_blocks[slot].as_mut().expect("made above");
        let offset = u32::try_from((at_ms - start) / tier.step_ms()).unwrap_or(0);
        open.histograms.retain(|(o, _)| *o != offset);
        open.histograms.push((offset, histogram));
        open.dirty = true;
        Ok(())
    }

    fn append(&mut self, id: SeriesId, tier: Tier, at_ms: i64, rollup: Rollup) -> Result<(), HistoryError> {
        let start = tier.block_start(at_ms);
        let slot = tier.code() as usize;
        let series = &mut self.series[id.0];
        if series.open[slot].as_ref().is_some_and(|b| b.start_ms != start) {
            let done = series.open[slot].take().expect("checked above");
            if !done.is_empty() {
                let end = done.end_ms(tier);
                self.pending
                    .push((series.row, tier.code(), done.start_ms, end, done.encode()));
            }
        }
        if self.series[id.0].open[slot].is_none() {
            let opened = self.reopen(self.series[id.0].row, tier, start)?;
            self.series[id.0].open[slot] = Some(opened);
        }
        if let Some(open) = self.series[id.0].open[slot].as_mut() {
            open.push(tier, at_ms, rollup);
        }
        Ok(())
    }

    /// The block starting at `start` as stored (the app was restarted
    /// within it), or a new one.
    fn reopen(&self, row: i64, tier: Tier, start: i64) -> Result<Open, HistoryError> {
        let stored: Option<Vec<u8>> = self
            .db
            .query_row(
                "SELECT data FROM blocks WHERE series = ?1 AND tier = ?2 AND start_ms = ?3",
                params![row, tier.code(), start],
                |r| r.get(0),
            )
            .optional()?;
        let stored = stored.and_then(|data| block::decode(&data).ok());
        Ok(stored
            .and_then(|columns| Open::from_stored(tier, start, columns))
            .unwrap_or_else(|| Open::new(tier, start)))
    }

    /// Writes closed blocks and the open ones that changed, in one
    /// transaction, then applies retention and the size limit.
    pub fn flush(&mut self, now_ms: i64) -> Result<(), HistoryError> {
        let tx = self.db.transaction()?;
        {
            let mut put = tx.prepare_cached(
                "INSERT OR REPLACE INTO blocks (series, tier, start_ms, end_ms, data) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (row, tier, start, end, data) in self.pending.drain(..) {
                put.execute(params![row, tier, start, end, data])?;
            }
            for series in &mut self.series {
                for (tier, open) in Tier::ALL.iter().zip(series.open.iter_mut()) {
                    let Some(open) = open.as_mut().filter(|o| o.dirty) else {
                        continue;
                    };
                    put.execute(params![
                        series.row,
                        tier.code(),
                        open.start_ms,
                        open.end_ms(*tier),
                        open.encode()
                    ])?;
                    open.dirty = false;
                }
            }
            let mut put = tx.prepare_cached(
                "INSERT OR REPLACE INTO histograms (series, tier, start_ms, data) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (row, tier, start, data) in self.pending_histograms.drain(..) {
                put.execute(params![row, tier, start, data])?;
            }
            for series in &mut self.series {
                for (tier, open) in [Tier::Minute, Tier::Hour]
                    .iter()
                    .zip(series.histogram_blocks.iter_mut())
                {
                    let Some(open) = open.as_mut().filter(|o| o.dirty) else {
                        continue;
                    };
                    put.execute(params![
                        series.row,
                        tier.code(),
                        open.start_ms,
                        encode_histogram_block(open)
                    ])?;
                    open.dirty = false;
                }
            }
            for tier in Tier::ALL {
                let before = now_ms - self.keeping.retention.of(tier);
                tx.execute(
                    "DELETE FROM blocks WHERE tier = ?1 AND end_ms < ?2",
                    params![tier.code(), before],
                )?;
                tx.execute(
                    "DELETE FROM histograms WHERE tier = ?1 AND start_ms + ?2 < ?3",
                    params![tier.code(), tier.block_ms(), before],
                )?;
            }
        }
        tx.commit()?;
        self.limit_size()?;
        Ok(())
    }

    /// The bytes the file holds (pages in use, not free ones).
    pub fn size_bytes(&self) -> Result<u64, HistoryError> {
        let pages: i64 = self.db.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let free: i64 = self.db.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
        let size: i64 = self.db.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        Ok(u64::try_from((pages - free) * size).unwrap_or(0))
    }

    /// Past the size limit, drops the oldest blocks (finest tier first)
    /// until the file is under nine tenths of it, and gives the space back.
    fn limit_size(&mut self) -> Result<(), HistoryError> {
        if self.size_bytes()? <= self.keeping.max_bytes {
            return Ok(());
        }
        let target = self.keeping.max_bytes / 10 * 9;
        for tier in Tier::ALL {
            loop {
                let oldest: Option<i64> =
                    self.db
                        .query_row("SELECT MIN(start_ms) FROM blocks WHERE tier = ?1", [tier.code()], |r| {
                            r.get(0)
                        })?;
                let Some(oldest) = oldest else { break };
                self.db.execute(
                    "DELETE FROM blocks WHERE tier = ?1 AND start_ms = ?2",
                    params![tier.code(), oldest],
                )?;
                self.db.execute(
                    "DELETE FROM histograms WHERE tier = ?1 AND start_ms <= ?2",
                    params![tier.code(), oldest],
                )?;
                if self.size_bytes()? <= target {
                    self.db.execute_batch("PRAGMA incremental_vacuum")?;
                    return Ok(());
                }
            }
        }
        self.db.execute_batch("PRAGMA incremental_vacuum")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
