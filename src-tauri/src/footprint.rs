//! Settings that keep the app small while it idles, opt-in for now with
//! `SUTAZAI_FOOTPRINT=lean` (`./.dev/bench footprint` measures them against
//! WebKit's defaults in the same run). Not the default yet: with
//! compositing off, WebKitWebDriver's screenshot of the Models view hangs
//! (the end-to-end test `test_models_pull_cancel_fail_and_delete` times
//! out), which is not understood.
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

/// The variable that turns the settings on (`lean`).
const SWITCH: &str = "SUTAZAI_FOOTPRINT";

fn tuned() -> bool {
    std::env::var(SWITCH).is_ok_and(|v| v == "lean")
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
