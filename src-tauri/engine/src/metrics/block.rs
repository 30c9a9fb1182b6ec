//! How a block of samples is written to bytes: columns of integers, each
//! compressed with pco (delta and bit-packing chosen per column), and
//! latency histograms in HdrHistogram's V2 format. Pure: no SQLite here.

use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use hdrhistogram::Histogram;
use pco::standalone::{simple_compress, simple_decompress};
use pco::ChunkConfig;

/// The first byte of every block; a block of another version is refused.
const VERSION: u8 = 1;
/// pco's effort: 4 compresses a block of 600 samples about as well as the
/// default 8 at a fraction of the time (measured by `./.dev/bench metrics`).
const LEVEL: usize = 4;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BlockError {
    #[error("block is cut short at byte {0}")]
    Short(usize),
    #[error("block has version {0}, this app reads version {VERSION}")]
    Version(u8),
    #[error("block column {column}: {reason}")]
    Column { column: usize, reason: String },
    #[error("block columns have different lengths")]
    Ragged,
}

/// Writes equally long columns of integers.
pub fn encode(columns: &[&[i64]]) -> Vec<u8> {
    let len = columns.first().map_or(0, |c| c.len());
    debug_assert!(columns.iter().all(|c| c.len() == len), "ragged block");
    let mut out = vec![VERSION, u8::try_from(columns.len()).unwrap_or(u8::MAX)];
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
    if len == 0 {
        return out;
    }
    let config = ChunkConfig::default().with_compression_level(LEVEL);
    for column in columns {
        // pco only fails on an invalid config, which this is not.
        let bytes = simple_compress(column, &config).unwrap_or_default();
        out.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(&bytes);
    }
    out
}

/// Reads what [`encode`] wrote.
pub fn decode(bytes: &[u8]) -> Result<Vec<Vec<i64>>, BlockError> {
    let mut at = Cursor { bytes, at: 0 };
    let version = at.take(1)?[0];
    if version != VERSION {
        return Err(BlockError::Version(version));
    }
    let count = usize::from(at.take(1)?[0]);
    let len = at.u32()? as usize;
    if len == 0 {
        return Ok(vec![Vec::new(); count]);
    }
    let mut columns = Vec::with_capacity(count);
    for column in 0..count {
        let size = at.u32()? as usize;
        let chunk = at.take(size)?;
        let values: Vec<i64> = simple_decompress(chunk).map_err(|err| BlockError::Column {
            column,
            reason: err.to_string(),
        })?;
        if values.len() != len {
            return Err(BlockError::Ragged);
        }
        columns.push(values);
    }
    Ok(columns)
}

/// Writes histograms, each with its offset in the block (in the tier's steps).
pub fn encode_histograms(histograms: &[(u32, &Histogram<u64>)]) -> Vec<u8> {
    let mut out = vec![VERSION];
    out.extend_from_slice(&u32::try_from(histograms.len()).unwrap_or(u32::MAX).to_le_bytes());
    let mut serializer = V2Serializer::new();
    let mut buf = Vec::new();
    for (offset, histogram) in histograms {
        buf.clear();
        // V2 only fails to write into a failing writer; a Vec never fails.
        if serializer.serialize(histogram, &mut buf).is_err() {
            continue;
        }
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&u32::try_from(buf.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(&buf);
    }
    out
}

/// Reads what [`encode_histograms`] wrote.
pub fn decode_histograms(bytes: &[u8]) -> Result<Vec<(u32, Histogram<u64>)>, BlockError> {
    let mut at = Cursor { bytes, at: 0 };
    let version = at.take(1)?[0];
    if version != VERSION {
        return Err(BlockError::Version(version));
    }
    let count = at.u32()? as usize;
    let mut deserializer = Deserializer::new();
    let mut out = Vec::with_capacity(count.min(4096));
    for column in 0..count {
        let offset = at.u32()?;
        let size = at.u32()? as usize;
        let mut chunk = at.take(size)?;
        let histogram = deserializer.deserialize(&mut chunk).map_err(|err| BlockError::Column {
            column,
            reason: format!("histogram: {err:?}"),
        })?;
        out.push((offset, histogram));
    }
    Ok(out)
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], BlockError> {
        let end = self.at.checked_add(n).filter(|end| *end <= self.bytes.len());
        let end = end.ok_or(BlockError::Short(self.bytes.len()))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn u32(&mut self) -> Result<u32, BlockError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_round_trip() {
        let times: Vec<i64> = (0..600).collect();
        let values: Vec<i64> = (0..600).map(|i| (i * 7919) % 1000 - 500).collect();
        let bytes = encode(&[&times, &values]);
        assert_eq!(decode(&bytes).expect("decodes"), vec![times, values]);
    }

    #[test]
    fn an_empty_block_round_trips() {
        let bytes = encode(&[&[], &[]]);
        assert_eq!(decode(&bytes).expect("decodes"), vec![Vec::<i64>::new(), Vec::new()]);
    }

    #[test]
    fn regular_times_cost_next_to_nothing() {
        let times: Vec<i64> = (0..600).collect();
        let steady = vec![123_456_789_i64; 600];
        let bytes = encode(&[&times, &steady]);
        assert!(bytes.len() < 100, "{} bytes", bytes.len());
    }

    #[test]
    fn broken_blocks_are_errors_not_panics() {
        let bytes = encode(&[&[1, 2, 3]]);
        assert!(matches!(decode(&bytes[..bytes.len() - 2]), Err(BlockError::Short(_))));
        assert_eq!(decode(&[9]), Err(BlockError::Version(9)));
        assert!(decode(&[]).is_err());
        let mut garbled = bytes.clone();
        let last = garbled.len() - 1;
        garbled[10..last].fill(0xff);
        assert!(decode(&garbled).is_err());
    }

    #[test]
    fn histograms_round_trip() {
        let mut a = Histogram::<u64>::new(3).expect("histogram");
        a.record(12).expect("in range");
        a.record(4_000).expect("in range");
        let b = Histogram::<u64>::new(3).expect("histogram");
        let bytes = encode_histograms(&[(0, &a), (7, &b)]);
        let back = decode_histograms(&bytes).expect("decodes");
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].0, 0);
        assert_eq!(back[0].1, a);
        assert_eq!(back[1].0, 7);
        assert_eq!(back[1].1.len(), 0);
        assert!(decode_histograms(&bytes[..bytes.len() - 1]).is_err());
    }
}
