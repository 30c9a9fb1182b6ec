//! What the shell keeps between commands.

use std::sync::Arc;

use sutazai_engine::error::ErrorBody;
use sutazai_engine::{ConfigReport, Engine};

/// Registered once in `setup`.
pub struct Shell {
    /// How the config was resolved; available even when the engine is not.
    pub report: ConfigReport,
    /// The running engine, or why it could not start (shown as a dialog).
    pub engine: Result<Arc<Engine>, ErrorBody>,
}

impl Shell {
    pub fn engine(&self) -> Result<&Arc<Engine>, ErrorBody> {
        self.engine.as_ref().map_err(Clone::clone)
    }
}
