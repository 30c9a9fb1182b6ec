//! The SutazAI Control Center's engine: everything the desktop shell shows,
//! without the shell. It owns the typed [`Config`], the SQLite [`store`], the
//! probes of the outside world (Docker, Ollama) and the lifecycle that ties
//! them together ([`Engine`]).
//!
//! Architecture invariant: this crate does not depend on tauri (or any UI or
//! HTTP framework). The shell calls one function here per command.

pub mod alerts;
pub mod bus;
pub mod capped;
pub mod catalog;
pub mod clock;
pub mod config;
pub mod dag;
pub mod data_dir;
pub mod docker;
pub mod engine;
pub mod error;
pub mod fleet;
pub mod latency;
pub mod lifetime;
pub mod llm;
pub mod logging;
pub mod metrics;
pub mod orchestrator;
pub mod runs;
pub mod security;
pub mod shipped;
pub mod status;
pub mod store;
pub mod workflow;

pub use clock::{Clock, SystemClock};
pub use config::{Config, ConfigReport};
pub use engine::{AlertNews, Engine};
pub use error::{Code, EngineError};
pub use status::EngineStatus;
