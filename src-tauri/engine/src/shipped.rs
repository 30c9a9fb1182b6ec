//! What ships inside the app, and how it seeds the user's folders on first
//! start: the agent catalog and the workflow templates.

use std::path::Path;

/// The shipped agent catalog: (path inside the catalog folder, TOML text).
pub const CATALOG: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/shipped_catalog.rs"));

/// The shipped workflow templates and their schema: (file name, JSON text).
pub const WORKFLOWS: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/shipped_workflows.rs"));

/// Writes `files` into `dir` when `dir` does not exist yet; whether it did.
/// The folder appears whole or not at all, and one the user already has is
/// never touched.
pub fn seed(dir: &Path, files: &[(&str, &str)]) -> std::io::Result<bool> {
    if dir.exists() {
        return Ok(false);
    }
    let staging = dir.with_extension("seeding");
    let _ = std::fs::remove_dir_all(&staging);
    for (rel, text) in files {
        let path = staging.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, text)?;
    }
    std::fs::rename(&staging, dir)?;
    Ok(true)
}
