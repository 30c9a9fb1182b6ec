//! What the hub and the agents agree on: the agent [`manifest`] (one TOML
//! file per agent in `agents/catalog/`) and the versioned [`wire`] types of
//! the agent HTTP API (`POST /task`, `GET /health`), and the [`threat`] scan
//! both the hub and AG-017 run on untrusted text.
//!
//! Pure data and validation: no IO beyond parsing text, no async.

pub mod manifest;
pub mod threat;
pub mod wire;

pub use manifest::{Manifest, ManifestError};

/// Compares two secrets without an early exit, so the time taken says
/// nothing about where they differ (only whether the lengths do). The hub
/// and the agents check tokens with it. `subtle` keeps the optimiser from
/// turning the comparison back into one that stops at the first difference.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}
pub use wire::{ErrorCode, HealthReport, TaskOutcome, TaskRequest, TaskResult, PROTOCOL_VERSION};

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn equal_only_when_every_byte_and_the_length_match() {
        let cases: &[(&[u8], &[u8], bool)] = &[
            (b"token", b"token", true),
            (b"", b"", true),
            (b"token", b"tokeN", false),
            (b"token", b"Token", false),
            (b"token", b"toke", false),
            (b"token", b"token!", false),
            (b"token", b"", false),
            // Bytes that differ only in one bit, anywhere.
            (&[0x00, 0x80], &[0x00, 0x00], false),
            (&[0x01, 0x00], &[0x00, 0x00], false),
        ];
        for (a, b, equal) in cases {
            assert_eq!(constant_time_eq(a, b), *equal, "{a:?} vs {b:?}");
            assert_eq!(constant_time_eq(b, a), *equal, "{b:?} vs {a:?}");
        }
    }
}
