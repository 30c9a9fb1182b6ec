//! Settings that keep the app small while it idles. `./.dev/bench footprint`
//! measures them against WebKit's and the allocator's own defaults
//! (`SUTAZAI_FOOTPRINT=defaults`) in the same run.
//!
//! What each one buys (release build, no GPU, PSS after 30 s on the
//! Overview; README, "footprint"):
//!
//! - Transparent huge pages off, for the app and the WebKit processes it
//!   starts (the flag is inherited): mimalloc commits its arenas eagerly and
//!   asks for huge pages, so a few small allocations kept whole 2 MiB pages
//!   resident (about 24 MB of the app process).
//! - The webview's cache model is WebKit's `DocumentViewer`: the app loads
//!   one local page, so the page and memory caches a browser keeps for
//!   going back and forth hold nothing worth their memory.
//! - Without a GPU render node (`/dev/dri/renderD*`) WebKit would do its
//!   GPU work on llvmpipe, Mesa's GL in software:
//!   - accelerated compositing is off (`WEBKIT_DISABLE_COMPOSITING_MODE=1`):
//!     about 55 MB less in the web process, and a 500-step designer drag
//!     at 144 fps instead of 38 (`./.dev/bench designer`). WebKitWebDriver's
//!     screenshots need the page to paint (tests/e2e/conftest.py,
//!     `App.screenshot`);
//!   - Skia paints on the CPU (`WEBKIT_SKIA_ENABLE_CPU_RENDERING=1`): about
//!     29 MB less in the web process while compositing is on.
//!
//!   - with nothing composited, the app process opens no GL at all: GTK
//!     would open GLX when it starts, and WebKit an EGL display when it
//!     starts its web process, to ask which render node and buffer
//!     formats to use. Either one loads Mesa, whose llvmpipe driver maps
//!     libLLVM (29 MB of the app process, launch to interactive 1.09 s
//!     instead of 0.55). `GDK_GL=disable` keeps GTK's; WebKit's is kept
//!     by naming the render node it would ask for
//!     (`WEBKIT_WEB_RENDER_DEVICE_FILE`, a path that is no device: there
//!     is none) and by not using its DMA-BUF renderer
//!     (`WEBKIT_DISABLE_DMABUF_RENDERER=1`), which only compositing used.
//!     The web process still opens its own EGL display (surfaceless):
//!     WebKit aborts without one.
//!
//!   Each variable set beforehand, to anything, is left as it is
//!   (`WEBKIT_DISABLE_COMPOSITING_MODE=0` brings compositing back, and then
//!   the app process opens GL as WebKit needs).
//! - The page's JavaScript garbage is collected sooner: after the heap has
//!   grown by half (`JSC_smallHeapGrowthFactor=1.5`) rather than doubled,
//!   and with no 32 MB floor between collections (`JSC_largeHeapSize`,
//!   a browser page's default). The page's own heap is ≈ 5 MB, but every
//!   object that dies holds memory outside it until it is collected (an
//!   IPC call's fetch and response, the DOM a render replaced): with the
//!   defaults the Overview's web process grew for minutes between
//!   collections. Collecting a heap this small takes a few milliseconds:
//!   the idle window's CPU is unchanged, the 500-step designer drag ran at
//!   121 fps instead of 138 (README, "footprint").
//! - JavaScriptCore runs the page's scripts in its interpreter and its
//!   baseline JIT, without its two optimizing compilers (DFG and FTL:
//!   `JSC_useDFGJIT=0`, `JSC_useFTLJIT=0`). The page's scripts are short
//!   event handlers and renders: with 69 agents the web process held
//!   8.4 MB less at its highest (126.7 against 135.1 MB, same run, `dist`
//!   build), 4.3 MB of that from FTL alone. The cost shows only in the heaviest script,
//!   the 500-step designer drag: 83 fps against 125 (goal 30), opening
//!   the workflow and auto-layout unchanged within noise. Either set to
//!   `1` beforehand brings its tier back.
//! - mimalloc hands memory it has freed back to the system at once
//!   (`MIMALLOC_PURGE_DELAY=0`) instead of a second later: with 69 agents
//!   monitored the app process held 4.4 MB less (same run, `dist` build),
//!   at the same CPU. mimalloc reads its settings from the environment as
//!   the process loads, before `main`: the app executes itself again,
//!   once, with the setting in its environment (same process, same
//!   arguments).

use tauri::{Runtime, WebviewWindow};

/// The variable that picks the reference (`defaults`).
const SWITCH: &str = "SUTAZAI_FOOTPRINT";

/// WebKit's compositing of the page's layers on GL.
const NO_COMPOSITING: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

/// WebKit paints the page's tiles with Skia on the CPU instead of on GL.
const SKIA_CPU: &str = "WEBKIT_SKIA_ENABLE_CPU_RENDERING";

/// Without compositing, the GL the app process would open only to learn
/// what compositing could use (see the module's notes).
const NO_GL: [(&str, &str); 3] = [
    ("GDK_GL", "disable"),
    ("WEBKIT_WEB_RENDER_DEVICE_FILE", "/dev/dri/none"),
    ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
];

/// When JavaScriptCore collects the web process's garbage (it reads its
/// options from `JSC_<name>`): once the heap has grown by half, with a
/// floor of 1 MB instead of 32 MB.
const JS_COLLECTION: [(&str, &str); 2] = [("JSC_smallHeapGrowthFactor", "1.5"), ("JSC_largeHeapSize", "1048576")];

/// JavaScriptCore without its optimizing compilers (see the module's notes).
const JS_TIERS: [(&str, &str); 2] = [("JSC_useDFGJIT", "0"), ("JSC_useFTLJIT", "0")];

/// mimalloc returns freed memory to the system at once, not after its
/// default delay of a second.
const ALLOCATOR: (&str, &str) = ("MIMALLOC_PURGE_DELAY", "0");

/// Whether the settings apply: not with `SUTAZAI_FOOTPRINT=defaults`.
fn tuned() -> bool {
    std::env::var(SWITCH).as_deref() != Ok("defaults")
}

/// Whether this machine renders on a GPU (a DRM render node exists).
fn has_gpu() -> bool {
    std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}

/// mimalloc's settings (see the module's notes), which it reads before
/// `main` runs: replaces the process with the same program, the same
/// arguments and the setting in its environment, unless the setting is
/// there already (that is, after the first time) or set by the user. Call
/// first thing in `main`. Should that fail, the app runs on with mimalloc's
/// default, which costs memory and nothing else.
pub fn allocator_settings() {
    let (name, value) = ALLOCATOR;
    if !tuned() || std::env::var_os(name).is_some() {
        return;
    }
    let program = match std::env::current_exe() {
        Ok(program) => program,
        Err(err) => return eprintln!("cannot find the app's own program ({err}): {name} stays unset"),
    };
    let mut args = std::env::args_os();
    let arg0 = args.next().unwrap_or_else(|| program.clone().into_os_string());
    let mut again = std::process::Command::new(&program);
    again.args(args).env(name, value);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // `exec` returns only when it failed.
        let err = again.arg0(arg0).exec();
        eprintln!(
            "cannot start {} again with {name}={value} ({err}): mimalloc keeps its default",
            program.display()
        );
    }
    #[cfg(not(unix))]
    let _ = (again, arg0);
}

/// Settings of the process, read when WebKit starts its processes: call
/// first thing in `main`, before any thread exists.
pub fn before_webkit() {
    if !tuned() {
        return;
    }
    #[cfg(target_os = "linux")]
    if let Err(err) = rustix::thread::disable_transparent_huge_pages(true) {
        // Logging starts later; a kernel without the flag just keeps them.
        eprintln!("cannot turn transparent huge pages off: {err}");
    }
    let mut settings = JS_COLLECTION.to_vec();
    settings.extend(JS_TIERS);
    if !has_gpu() {
        settings.extend([(NO_COMPOSITING, "1"), (SKIA_CPU, "1")]);
        // WebKit composites unless the variable is set to anything but `0`.
        let compositing = std::env::var(NO_COMPOSITING).is_ok_and(|v| v == "0");
        if !compositing {
            settings.extend(NO_GL);
        }
    }
    for (name, value) in settings {
        if std::env::var_os(name).is_none() {
            // Single-threaded still: no other thread reads the environment.
            std::env::set_var(name, value);
        }
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
