//! What the hub and the agents agree on: the agent [`manifest`] (one TOML
//! file per agent in `agents/catalog/`) and the versioned [`wire`] types of
//! the agent HTTP API (`POST /task`, `GET /health`).
//!
//! Pure data and validation: no IO beyond parsing text, no async.

pub mod manifest;
pub mod wire;

pub use manifest::{Manifest, ManifestError};

/// Compares two secrets without an early exit, so the time taken says
/// nothing about where they differ (only whether the lengths do). The hub
/// and the agents check tokens with it.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
pub use wire::{ErrorCode, HealthReport, TaskOutcome, TaskRequest, TaskResult, PROTOCOL_VERSION};
