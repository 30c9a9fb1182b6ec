//! Settings that keep the app small while it idles. `./.dev/bench footprint`
//! measures them against WebKit's and the allocator's defaults in the same
//! run; `SUTAZAI_FOOTPRINT` picks them:
//!
//! - unset (as shipped): transparent huge pages off, the DocumentViewer
//!   cache model and, without a GPU, Skia painting on the CPU, below;
//! - `lean`: those, and accelerated compositing off where there is no GPU.
//!   Opt-in only: with compositing off, WebKitWebDriver's screenshot of the
//!   Models view hangs (the end-to-end test
//!   `test_models_pull_cancel_fail_and_delete` times out), which is not
//!   understood;
//! - `defaults`: none of them (the bench's reference).
//!
//! What each one buys (debug build, no GPU, PSS after 30 s on the Overview):
//!
//! - Transparent huge pages off, for the app and the WebKit processes it
//!   starts (the flag is inherited): mimalloc commits its arenas eagerly and
//!   asks for huge pages, so a few small allocations kept whole 2 MiB pages
//!   resident: 24 MB of the app process.
//! - The webview's cache model is WebKit's `DocumentViewer`: the app loads
//!   one local page, so the page and memory caches a browser keeps for
//!   going back and forth hold nothing worth their memory.
//! - Without a GPU render node (`/dev/dri/renderD*`), WebKit's Skia paints
//!   the page on the CPU (`WEBKIT_SKIA_ENABLE_CPU_RENDERING=1`, unless set
//!   either way) instead of on llvmpipe, Mesa's GL in software: about 29 MB
//!   less in the web process; compositing stays on, so WebKitWebDriver's
//!   screenshots keep working.
//! - On a machine without a GPU render node (`/dev/dri/renderD*`), WebKit's
//!   accelerated compositing runs in software on llvmpipe: about 90 MB more
//!   in the web process, and a 500-step designer drag at ~1 fps instead of
//!   ~50 (`./.dev/bench designer`). With `lean` it is switched off there
//!   (unless `WEBKIT_DISABLE_COMPOSITING_MODE` is set either way).

use tauri::{Runtime, WebviewWindow};

/// The variable that picks the settings (`lean`, `defaults`).
const SWITCH: &str = "SUTAZAI_FOOTPRINT";

/// WebKit paints the page's tiles with Skia on the CPU instead of on GL.
const SKIA_CPU: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";

/// Which settings apply, from `SUTAZAI_FOOTPRINT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settings {
    /// WebKit's and the allocator's own defaults: the reference.
    Defaults,
    /// The settings every feature works with.
    Shipped,
    /// Shipped, and no accelerated compositing without a GPU.
    Lean,
}

fn settings() -> Settings {
    match std::env::var(SWITCH).as_deref() {
        Ok("defaults") => Settings::Defaults,
        Ok("lean") => Settings::Lean,
        _ => Settings::Shipped,
    }
}

/// Whether this machine renders on a GPU (a DRM render node exists).
fn has_gpu() -> bool {
    std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// Settings of the process, read when WebKit starts its processes: call
/// first thing in `main`, before any thread exists.
pub fn before_webkit() {
    let settings = settings();
    if settings == Settings::Defaults {
        return;
    }
    #[cfg(target_os = "linux")]
    if let Err(err) = rustix::thread::disable_transparent_huge_pages(true) {
        // Logging starts later; a kernel without the flag just keeps them.
        eprintln!("cannot turn transparent huge pages off: {err}");
    }
    if has_gpu() {
        return;
    }
    // Single-threaded still: no other thread reads the environment.
    if std::env::var_os(SKIA_CPU).is_none() {
        std::env::set_var(SKIA_CPU, "1");
    }
    if settings == Settings::Lean && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1");
    }
}

/// Settings of the window's webview once it exists.
pub fn tune<R: Runtime>(window: &WebviewWindow<R>) {
    if settings() == Settings::Defaults {
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
