//! What the app does to stay small while it idles (`./.dev/bench
//! footprint` measures each setting against WebKit's defaults in the same
//! run). `SUTAZAI_FOOTPRINT=default` leaves WebKit as it comes, for that
//! reference.
//!
//! - On a machine without a GPU render node (`/dev/dri/renderD*`), WebKit's
//!   accelerated compositing runs in software on llvmpipe: about 90 MB more
//!   in the web process, and a 500-step designer drag at ~1 fps instead of
//!   ~50 (`./.dev/bench designer`). There it is switched off (unless
//!   `WEBKIT_DISABLE_COMPOSITING_MODE` is set either way).
//! - The webview's cache model is WebKit's `DocumentViewer`: the app loads
//!   one local page, so the page and memory caches a browser keeps for
//!   going back and forth hold nothing worth their memory.

use tauri::{Runtime, WebviewWindow};

/// The variable that puts WebKit's defaults back.
const SWITCH: &str = "SUTAZAI_FOOTPRINT";

fn tuned() -> bool {
    std::env::var(SWITCH).map_or(true, |v| v != "default")
}

/// Whether this machine renders on a GPU (a DRM render node exists).
fn has_gpu() -> bool {
    std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// Settings read from the environment when WebKit starts: call first thing
/// in `main`, before any thread exists.
pub fn before_webkit() {
    if tuned() && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() && !has_gpu() {
        // Single-threaded still: no other thread reads the environment.
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
}

/// Settings of the window's webview once it exists.
pub fn tune<R: Runtime>(window: &WebviewWindow<R>) {
    if !tuned() {
        return;
    }
    let applied = window.with_webview(|webview| {
        #[cfg(target_os = "linux")]
        {
            use webkit2gtk::{CacheModel, WebContextExt, WebViewExt};
            if let Some(context) = webview.inner().context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = webview;
    });
    if let Err(err) = applied {
        tracing::warn!(cause = %err, "cannot tune the webview");
    }
}
