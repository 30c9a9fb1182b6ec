//! The history's read side: points and histograms of a series, stored and
//! still open, reduced for a window; the gaps where the app was away.

use hdrhistogram::Histogram;
use rusqlite::params;

use super::open::decode_points;
use super::{History, HistoryError, Reading};
use crate::metrics::block;
use crate::metrics::reduce::{self, Gap, Point, Total, Window};
use crate::metrics::series::{Kind, SeriesKey, HISTOGRAM_MS, PERCENTILES};
use crate::metrics::tier::{self, Tier};

impl History {
    /// The points of `key` in `tier` between `from_ms` and `to_ms`, stored
    /// and still open, in time order.
    fn points(&self, key: &SeriesKey, tier: Tier, from_ms: i64, to_ms: i64) -> Result<Vec<Point>, HistoryError> {
        let Some(id) = self.ids.get(key).copied() else {
            return self.stored_points(key, tier, from_ms, to_ms, None);
        };
        let series = &self.series[id.0];
        let open = series.open[tier.code() as usize].as_ref();
        let mut points = self.stored_points(key, tier, from_ms, to_ms, open.map(|o| o.start_ms))?;
        // Closed blocks not written yet (the next flush writes them).
        for (row, code, start, _, data) in &self.pending {
            if *row != series.row || *code != tier.code() {
                continue;
            }
            points.extend(decode_points(key, tier, *start, data)?.filter(|p| p.at_ms >= from_ms && p.at_ms < to_ms));
        }
        points.sort_by_key(|p| p.at_ms);
        if let Some(open) = open {
            points.extend(open.points(tier).filter(|p| p.at_ms >= from_ms && p.at_ms < to_ms));
        }
        // The minute or hour still being summed up.
        let partial = match tier {
            Tier::Second => None,
            Tier::Minute => series.minute,
            Tier::Hour => series.hour,
        };
        if let Some((at, rollup)) = partial {
            if at >= from_ms && at < to_ms && points.last().is_none_or(|p| p.at_ms < at) {
                points.push(Point { at_ms: at, rollup });
            }
        }
        Ok(points)
    }

    fn stored_points(
        &self,
        key: &SeriesKey,
        tier: Tier,
        from_ms: i64,
        to_ms: i64,
        skip_start: Option<i64>,
    ) -> Result<Vec<Point>, HistoryError> {
        let mut get = self.db.prepare_cached(
            "SELECT b.start_ms, b.data FROM blocks b JOIN series s ON s.id = b.series
             WHERE s.key = ?1 AND b.tier = ?2 AND b.end_ms > ?3 AND b.start_ms < ?4 ORDER BY b.start_ms",
        )?;
        let rows = get.query_map(params![key.to_string(), tier.code(), from_ms, to_ms], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut points = Vec::new();
        for row in rows {
            let (start, data) = row?;
            if Some(start) == skip_start {
                continue;
            }
            points.extend(decode_points(key, tier, start, &data)?.filter(|p| p.at_ms >= from_ms && p.at_ms < to_ms));
        }
        Ok(points)
    }

    /// The histograms of a latency series in `tier` (minute or hour).
    fn histograms(
        &self,
        key: &SeriesKey,
        tier: Tier,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(i64, Histogram<u64>)>, HistoryError> {
        let slot = usize::from(tier == Tier::Hour);
        let id = self.ids.get(key).copied();
        let open = id.and_then(|id| self.series[id.0].histogram_blocks[slot].as_ref());
        let mut get = self.db.prepare_cached(
            "SELECT h.start_ms, h.data FROM histograms h JOIN series s ON s.id = h.series
             WHERE s.key = ?1 AND h.tier = ?2 AND h.start_ms + ?3 > ?4 AND h.start_ms < ?5 ORDER BY h.start_ms",
        )?;
        let rows = get.query_map(
            params![key.to_string(), tier.code(), tier.block_ms(), from_ms, to_ms],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)),
        )?;
        let mut out = Vec::new();
        let mut add = |start: i64, histograms: Vec<(u32, Histogram<u64>)>| {
            for (offset, h) in histograms {
                let at = start + i64::from(offset) * tier.step_ms();
                if at >= from_ms && at < to_ms {
                    out.push((at, h));
                }
            }
        };
        for row in rows {
            let (start, data) = row?;
            if open.is_some_and(|o| o.start_ms == start) {
                continue;
            }
            let histograms = block::decode_histograms(&data).map_err(|source| HistoryError::Block {
                series: key.to_string(),
                start_ms: start,
                source,
            })?;
            add(start, histograms);
        }
        if let Some(id) = id {
            let row = self.series[id.0].row;
            for (r, code, start, data) in &self.pending_histograms {
                if *r == row && *code == tier.code() {
                    let histograms = block::decode_histograms(data).map_err(|source| HistoryError::Block {
                        series: key.to_string(),
                        start_ms: *start,
                        source,
                    })?;
                    add(*start, histograms);
                }
            }
        }
        if let Some(open) = open {
            add(open.start_ms, open.histograms.clone());
        }
        if let Some(id) = id {
            let series = &self.series[id.0];
            let partial = if tier == Tier::Minute {
                &series.minute_histogram
            } else {
                &series.hour_histogram
            };
            if let Some((at, h)) = partial {
                if *at >= from_ms && *at < to_ms {
                    out.push((*at, h.clone()));
                }
            }
        }
        out.sort_by_key(|(at, _)| *at);
        Ok(out)
    }

    /// `key` over the window: the tier picked from the range (or the one
    /// asked for), reduced to the window's columns.
    pub fn read(
        &self,
        key: &SeriesKey,
        window: Window,
        tier: Option<Tier>,
        now_ms: i64,
    ) -> Result<Reading, HistoryError> {
        let metric = key.metric();
        let tier = tier.unwrap_or_else(|| {
            tier::choose(
                window.from_ms,
                window.to_ms,
                window.width,
                now_ms,
                &self.keeping.retention,
            )
        });
        let percentile = key
            .part
            .and_then(|part| PERCENTILES.iter().find(|(name, _)| *name == part))
            .map(|(_, p)| *p);
        let columns = match (metric.kind, percentile, tier) {
            (Kind::Latency, Some(p), Tier::Minute | Tier::Hour) => {
                let base = SeriesKey {
                    part: None,
                    ..key.clone()
                };
                let histograms = self.histograms(&base, tier, window.from_ms, window.to_ms)?;
                reduce::reduce_percentile(histograms.iter().map(|(at, h)| (*at, h)), window, p, HISTOGRAM_MS)
            }
            _ => {
                let points = self.points(key, tier, window.from_ms, window.to_ms)?;
                reduce::reduce(points, window, metric.resolution)
            }
        };
        Ok(Reading { tier, columns })
    }

    /// Where the app was not running inside the window: the spans with no
    /// sample of `heartbeat`, a series recorded every second while it runs.
    pub fn gaps(
        &self,
        heartbeat: &SeriesKey,
        window: Window,
        tier: Tier,
        now_ms: i64,
    ) -> Result<Vec<Gap>, HistoryError> {
        let points = self.points(heartbeat, tier, window.from_ms, window.to_ms)?;
        Ok(reduce::gaps(
            points.iter().map(|p| p.at_ms),
            window,
            tier.step_ms(),
            now_ms,
        ))
    }

    /// `key`'s 1 s points between `from_ms` and `to_ms`, summed (alert
    /// rules read their windows so).
    pub fn total(&self, key: &SeriesKey, from_ms: i64, to_ms: i64) -> Result<Total, HistoryError> {
        let points = self.points(key, Tier::Second, from_ms, to_ms)?;
        let sum: i64 = points.iter().map(|p| p.rollup.sum).sum();
        Ok(Total {
            sum: sum as f64 * key.metric().resolution,
            count: u32::try_from(points.len()).unwrap_or(u32::MAX),
        })
    }
}
