//! A tier's block while it is filled, in memory, and a stored block read
//! back into points.

use hdrhistogram::Histogram;

use super::super::block;
use super::super::reduce::{Point, Rollup};
use super::super::series::SeriesKey;
use super::super::tier::Tier;
use super::packed::Packed;
use super::HistoryError;

/// A tier's block still being filled.
#[derive(Debug)]
pub(super) struct Open {
    pub(super) start_ms: i64,
    /// Offsets from `start_ms`, in the tier's steps.
    offsets: Packed,
    /// At 1 s one column (the value); rollup tiers min, max, sum, count.
    columns: Vec<Packed>,
    pub(super) dirty: bool,
}

/// The columns of a tier's block: the value, or a rollup's four.
fn width(tier: Tier) -> usize {
    if tier == Tier::Second {
        1
    } else {
        4
    }
}

/// The point at `offset` of a block starting at `start_ms`, from its
/// columns' values there.
fn point(tier: Tier, start_ms: i64, offset: i64, values: &[i64]) -> Point {
    Point {
        at_ms: start_ms + offset * tier.step_ms(),
        rollup: match *values {
            [min, max, sum, count] => Rollup { min, max, sum, count },
            [sum, ..] => Rollup::of(sum),
            [] => Rollup::of(0),
        },
    }
}

impl Open {
    pub(super) fn new(tier: Tier, start_ms: i64) -> Open {
        Open {
            start_ms,
            offsets: Packed::default(),
            columns: vec![Packed::default(); width(tier)],
            dirty: false,
        }
    }

    /// The block as stored (offsets, then the tier's columns); `None` when
    /// its columns do not fit the tier.
    pub(super) fn from_stored(tier: Tier, start_ms: i64, columns: Vec<Vec<i64>>) -> Option<Open> {
        let mut columns = columns.into_iter();
        let offsets = columns.next()?.into_iter().collect();
        let columns: Vec<Packed> = columns.map(|c| c.into_iter().collect()).collect();
        (columns.len() == width(tier)).then_some(Open {
            start_ms,
            offsets,
            columns,
            dirty: false,
        })
    }

    pub(super) fn is_empty(&self) -> bool {
        self.offsets.len() == 0
    }

    /// Where the block's points end (after its last step).
    pub(super) fn end_ms(&self, tier: Tier) -> i64 {
        self.start_ms + (self.offsets.last().unwrap_or(0) + 1) * tier.step_ms()
    }

    pub(super) fn push(&mut self, tier: Tier, at_ms: i64, rollup: Rollup) {
        let offset = (at_ms - self.start_ms) / tier.step_ms();
        if self.offsets.last().is_some_and(|last| last >= offset) {
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
        let columns: Vec<Vec<i64>> = std::iter::once(&self.offsets)
            .chain(&self.columns)
            .map(Packed::to_vec)
            .collect();
        let slices: Vec<&[i64]> = columns.iter().map(Vec::as_slice).collect();
        block::encode(&slices)
    }

    pub(super) fn points(&self, tier: Tier) -> impl Iterator<Item = Point> + '_ {
        let mut columns: Vec<_> = self.columns.iter().map(Packed::iter).collect();
        let mut values = vec![0; columns.len()];
        self.offsets.iter().map(move |offset| {
            for (value, column) in values.iter_mut().zip(columns.iter_mut()) {
                *value = column.next().unwrap_or(0);
            }
            point(tier, self.start_ms, offset, &values)
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
    let Some((offsets, columns)) = columns.split_first().filter(|(_, c)| c.len() == width(tier)) else {
        return Ok(Vec::new().into_iter());
    };
    let points: Vec<Point> = offsets
        .iter()
        .enumerate()
        .map(|(i, offset)| {
            let values: Vec<i64> = columns.iter().map(|c| c[i]).collect();
            point(tier, start, *offset, &values)
        })
        .collect();
    Ok(points.into_iter())
}

pub(super) fn encode_histogram_block(open: &OpenHistograms) -> Vec<u8> {
    let refs: Vec<(u32, &Histogram<u64>)> = open.histograms.iter().map(|(o, h)| (*o, h)).collect();
    block::encode_histograms(&refs)
}
