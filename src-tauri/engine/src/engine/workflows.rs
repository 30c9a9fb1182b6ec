//! The workflows' side of the engine. So far: the definitions in the
//! workflows folder, each checked against the catalog as loaded now.

use super::Engine;
use crate::workflow::{self, Definition};

impl Engine {
    /// Every definition in the workflows folder, valid or not (with its
    /// problems), sorted by file name.
    pub fn workflows(&self) -> Vec<Definition> {
        workflow::load_dir(&self.config.workflows_dir, &self.catalog())
    }
}
