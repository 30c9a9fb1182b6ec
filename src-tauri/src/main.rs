// Keeps a console window from opening next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

//! The desktop shell: window, plugins, commands and events. Every command is
//! one call into `sutazai_engine`; nothing here holds business logic.

mod alerts;
mod commands;
#[cfg(test)]
mod contract;
mod dialog;
mod events;
mod footprint;
mod ipc;
mod ollama;
#[cfg(test)]
mod parity;
mod state;

use std::sync::Arc;
use std::time::Duration;

use sutazai_engine::config::ConfigInputs;
use sutazai_engine::{logging, Config, Engine, SystemClock};
use tauri::Manager;

/// mimalloc: the hub allocates per request, per task and per agent call;
/// glibc's malloc cost a tenth of its CPU under load (`./.dev/bench tasks`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How long background work may take to stop when the app quits.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// SIGTERM or Ctrl-C quits through the normal exit path, so the engine
/// stops cleanly (a plain `kill` would otherwise skip `RunEvent::Exit`).
fn exit_on_signal(app: tauri::AppHandle) {
    tauri::async_runtime::spawn(async move {
        let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
            tracing::warn!("cannot listen for SIGTERM");
            return;
        };
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: quitting"),
            _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C: quitting"),
        }
        app.exit(0);
    });
}

/// Serves the local API on the engine until `stop`. A taken port is a
/// warning: the app runs on without the API.
fn serve_api(engine: Arc<Engine>, stop: sutazai_http::CancellationToken) {
    tauri::async_runtime::spawn(async move {
        let addr = engine.config().api_listen;
        if let Err(err) = sutazai_http::serve(engine, addr, stop).await {
            tracing::warn!(%addr, cause = %err, "the local API cannot listen; the app runs without it");
        }
    });
}

fn main() {
    footprint::allocator_settings();
    footprint::before_webkit();
    let (config, report) = Config::load(&ConfigInputs::from_process());
    let _log_guard = logging::init(&config.data_dir, &config.log_level);
    report.log();

    // Stops the local API when the app quits.
    let api_stop = sutazai_http::CancellationToken::new();
    let api_stop_at_exit = api_stop.clone();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            // A second launch focuses the window that is already open.
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        // For "Start Ollama" only, from Rust (src/ollama.rs); the webview has
        // no shell permission (capabilities/main.json).
        .plugin(tauri_plugin_shell::init())
        // Workflow import and export, from Rust only (src/dialog.rs); the
        // webview has no dialog permission.
        .plugin(tauri_plugin_dialog::init())
        // Alert notifications, from Rust only (src/alerts.rs).
        .plugin(tauri_plugin_notification::init())
        .invoke_handler(ipc::handler())
        .setup(move |app| {
            if let Some(window) = app.get_webview_window("main") {
                footprint::tune(&window);
            }
            let ollama = Arc::new(ollama::OllamaServe::default());
            let started = tauri::async_runtime::block_on(Engine::start(config, report.clone(), Arc::new(SystemClock)));
            let engine = started.map_err(|err| {
                tracing::error!(cause = %err, "the engine cannot start");
                (&err).into()
            });
            if let Ok(engine) = &engine {
                events::forward_status(app.handle().clone(), engine.subscribe_status());
                events::forward_catalog(app.handle().clone(), engine.subscribe_catalog());
                events::forward_fleet(app.handle().clone(), engine.subscribe_fleet());
                events::forward_tasks(app.handle().clone(), engine.subscribe_tasks());
                events::forward_messages(app.handle().clone(), engine.subscribe_messages());
                events::forward_runs(app.handle().clone(), engine.subscribe_runs());
                events::forward_workflows(app.handle().clone(), engine.subscribe_workflows());
                engine.set_ollama_launcher(Arc::new(ollama::ShellLauncher {
                    app: app.handle().clone(),
                    serve: Arc::clone(&ollama),
                }));
                alerts::answer_notifications(app.handle(), Arc::clone(engine));
                let tray = alerts::tray(app.handle());
                alerts::forward_alerts(app.handle().clone(), Arc::clone(engine), tray);
            }
            exit_on_signal(app.handle().clone());
            if let Ok(engine) = &engine {
                serve_api(Arc::clone(engine), api_stop);
            }
            app.manage(state::Shell {
                report,
                engine,
                follows: state::Follows::default(),
                ollama,
            });
            Ok(())
        })
        .build(tauri::generate_context!());

    let app = match app {
        Ok(app) => app,
        Err(err) => {
            tracing::error!(cause = %err, "the window cannot be created");
            eprintln!("SutazAI Control Center cannot start: {err}");
            std::process::exit(1);
        }
    };
    app.run(move |handle, event| {
        if let tauri::RunEvent::Exit = event {
            api_stop_at_exit.cancel();
            let shell = handle.state::<state::Shell>();
            // An `ollama serve` the app started ends with the app.
            shell.ollama.stop();
            if let Ok(engine) = &shell.engine {
                tauri::async_runtime::block_on(engine.shutdown(SHUTDOWN_GRACE));
            }
        }
    });
}
