//! A tier's block while it is filled, in memory, and a stored block read
//! back into points.

use hdrhistogram::Histogram;

use super::super::block;
use super::super::reduce::{Point, Rollup};
use super::super::series::SeriesKey;
use super::super::tier::Tier;
use super::HistoryError;

/// A tier's block still being filled.
#[derive(Debug)]
pub(super) struct Open {
    pub(super) start_ms: i64,
    /// Offsets from `start_ms`, in the tier's steps.
    pub(super) offsets: Vec<i64>,
    /// At 1 s one column (the value); rollup tiers min, max, sum, count.
    pub(super) columns: Vec<Vec<i64>>,
    pub(super) dirty: bool,
}

impl Open {
    pub(super) fn new(tier: Tier, start_ms: i64) -> Open {
        let width = if tier == Tier::Second { 1 } else { 4 };
        Open {
            start_ms,
            offsets: Vec::new(),
            columns: vec![Vec::new(); width],
            dirty: false,
        }
    }

    pub(super) fn push(&mut self, tier: Tier, at_ms: i64, rollup: Rollup) {
        let offset = (at_ms - self.start_ms) / tier.step_ms();
        if self.offsets.last().is_some_and(|last| *last >= offset) {
            return; // a second sample for a step already stored
        }
        self.offsets.push(offset);
        if tier == Tier::Second {
            self.columns[0].push(rollup.sum);
        } else {
            for (column, v) in self
                .columns
                .iter_mut()
                .zip([rollup.min, rollup.max, rollup.sum, rollup.count])
            {
                column.push(v);
            }
        }
        self.dirty = true;
    }

    pub(super) fn encode(&self) -> Vec<u8> {
        let mut columns: Vec<&[i64]> = vec![&self.offsets];
        columns.extend(self.columns.iter().map(Vec::as_slice));
        block::encode(&columns)
    }

    pub(super) fn points(&self, tier: Tier) -> impl Iterator<Item = Point> + '_ {
        self.offsets.iter().enumerate().map(move |(i, offset)| Point {
            at_ms: self.start_ms + offset * tier.step_ms(),
            rollup: if tier == Tier::Second {
                Rollup::of(self.columns[0][i])
            } else {
                Rollup {
                    min: self.columns[0][i],
                    max: self.columns[1][i],
                    sum: self.columns[2][i],
                    count: self.columns[3][i],
                }
            },
        })
    }
}

/// A tier's block of latency histograms still being filled.
#[derive(Debug)]
pub(super) struct OpenHistograms {
    pub(super) start_ms: i64,
    pub(super) histograms: Vec<(u32, Histogram<u64>)>,
    pub(super) dirty: bool,
}

/// The points of a stored block of `key` (none when its columns do not fit
/// the tier).
pub(super) fn decode_points(
    key: &SeriesKey,
    tier: Tier,
    start: i64,
    data: &[u8],
) -> Result<std::vec::IntoIter<Point>, HistoryError> {
    let columns = block::decode(data).map_err(|source| HistoryError::Block {
        series: key.to_string(),
        start_ms: start,
        source,
    })?;
    let mut open = Open::new(tier, start);
    let mut columns = columns.into_iter();
    open.offsets = columns.next().unwrap_or_default();
    open.columns = columns.collect();
    if open.columns.len() != if tier == Tier::Second { 1 } else { 4 } {
        return Ok(Vec::new().into_iter());
    }
    Ok(open.points(tier).collect::<Vec<_>>().into_iter())
}

pub(super) fn encode_histogram_block(open: &OpenHistograms) -> Vec<u8> {
    let refs: Vec<(u32, &Histogram<u64>)> = open.histograms.iter().map(|(o, h)| (*o, h)).collect();
    block::encode_histograms(&refs)
}
