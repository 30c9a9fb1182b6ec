//! A column of an open block as it is kept in memory: each value as the
//! varint of its change from the one before (zigzag, so small falls are
//! small too).
//!
//! An open block lives until its tier's block closes (10 minutes of
//! seconds, 6 hours of minutes, 10 days of hours), and every series of a
//! monitored fleet has one per tier: about 1,000 series with 69 agents. As
//! plain `i64` columns (offset and value, 16 bytes a second, up to twice
//! that with `Vec`'s growth) the seconds grew the app by 17 MB over each
//! block's ten minutes; packed, by 2.4 MB (`./.dev/bench metrics`, "open
//! blocks"). An idle agent's values barely change, and a change of less
//! than 64 steps takes one byte.

use integer_encoding::VarInt;

#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Packed {
    bytes: Vec<u8>,
    last: i64,
    len: usize,
}

impl Packed {
    pub(super) fn push(&mut self, value: i64) {
        let mut buf = [0u8; 10];
        let n = value.wrapping_sub(self.last).encode_var(&mut buf);
        self.bytes.extend_from_slice(&buf[..n]);
        self.last = value;
        self.len += 1;
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The newest value.
    pub(super) fn last(&self) -> Option<i64> {
        (self.len > 0).then_some(self.last)
    }

    pub(super) fn iter(&self) -> Values<'_> {
        Values {
            bytes: &self.bytes,
            value: 0,
        }
    }

    pub(super) fn to_vec(&self) -> Vec<i64> {
        self.iter().collect()
    }
}

impl FromIterator<i64> for Packed {
    fn from_iter<I: IntoIterator<Item = i64>>(values: I) -> Packed {
        let mut packed = Packed::default();
        for v in values {
            packed.push(v);
        }
        packed
    }
}

/// The values of a [`Packed`] column, oldest first.
pub(super) struct Values<'a> {
    bytes: &'a [u8],
    value: i64,
}

impl Iterator for Values<'_> {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        // Only `push` wrote these bytes: each one decodes.
        let (change, n) = i64::decode_var(self.bytes)?;
        self.bytes = &self.bytes[n..];
        self.value = self.value.wrapping_add(change);
        Some(self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn values_come_back_as_pushed(values in proptest::collection::vec(any::<i64>(), 0..700)) {
            let packed: Packed = values.iter().copied().collect();
            prop_assert_eq!(packed.len(), values.len());
            prop_assert_eq!(packed.last(), values.last().copied());
            prop_assert_eq!(packed.to_vec(), values);
        }
    }

    #[test]
    fn a_steady_series_costs_a_byte_a_value() {
        let offsets: Packed = (0..600).collect();
        let memory: Packed = (0..600).map(|i| 52_428_800 + (i % 7) * 4096).collect();
        assert_eq!(offsets.bytes.len(), 600);
        // The first value is a change from zero; then ±24 576 at most.
        assert!(memory.bytes.len() <= 4 + 599 * 3, "{} bytes", memory.bytes.len());
        let idle: Packed = std::iter::repeat_n(0, 600).collect();
        assert_eq!(idle.bytes.len(), 600);
    }
}
