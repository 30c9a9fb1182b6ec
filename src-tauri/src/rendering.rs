//! How the web view draws on a machine without a GPU.
//!
//! With no GPU render node (`/dev/dri/renderD*`: a VM, a container, Xvfb),
//! WebKitGTK's accelerated compositing is emulated in software, and a
//! 500-step designer drags at 18 fps instead of 94 (`./.dev/bench
//! designer`). There the app turns compositing off, unless the person set
//! `WEBKIT_DISABLE_COMPOSITING_MODE` themselves.

use std::path::Path;

/// Whether `dri` (normally `/dev/dri`) holds a GPU render node.
fn has_render_node(dri: &Path) -> bool {
    std::fs::read_dir(dri)
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
        })
        .unwrap_or(false)
}

/// Turns WebKit's compositing off when there is no GPU to composite with.
/// Call first thing in `main`, before any thread starts.
pub fn prefer_software_drawing() {
    if cfg!(target_os = "linux")
        && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none()
        && !has_render_node(Path::new("/dev/dri"))
    {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_render_node_is_a_gpu_and_a_missing_or_empty_dri_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_render_node(&dir.path().join("absent")));
        assert!(!has_render_node(dir.path()));
        std::fs::write(dir.path().join("card0"), b"").unwrap();
        assert!(!has_render_node(dir.path()), "a display card alone renders nothing");
        std::fs::write(dir.path().join("renderD128"), b"").unwrap();
        assert!(has_render_node(dir.path()));
    }
}
