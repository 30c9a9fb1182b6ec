//! What the hub and the agents agree on: the agent [`manifest`] (one TOML
//! file per agent in `agents/catalog/`) and the versioned [`wire`] types of
//! the agent HTTP API (`POST /task`, `GET /health`).
//!
//! Pure data and validation: no IO beyond parsing text, no async.

pub mod manifest;
pub mod wire;

pub use manifest::{Manifest, ManifestError};
pub use wire::{ErrorCode, HealthReport, TaskOutcome, TaskRequest, TaskResult, PROTOCOL_VERSION};
