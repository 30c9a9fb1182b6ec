//! "Start Ollama": runs `ollama serve` through tauri-plugin-shell's Rust API.
//!
//! The engine decides what runs ([`OllamaLaunch`]: the program found on
//! `PATH`, `OLLAMA_HOST` from the configured URL); this module spawns it,
//! forwards each output line to the app log (target `ollama`), logs its
//! exit, allows one at a time, and kills it when the app exits. The webview
//! holds no `shell:*` permission: it can only ask for this one command,
//! which takes no parameters.

use std::sync::{Arc, Mutex, PoisonError};

use sutazai_engine::llm::serve::{self, OllamaLaunch, OllamaLauncher, OllamaStarted, ServeError};
use tauri::{AppHandle, Runtime};
use tauri_plugin_shell::process::{CommandChild, CommandEvent};
use tauri_plugin_shell::ShellExt;

/// The `ollama serve` this app started, while it runs.
#[derive(Default)]
pub struct OllamaServe {
    child: Arc<Mutex<Option<CommandChild>>>,
}

impl OllamaServe {
    /// Spawns `launch.program serve`; refused while an earlier one runs.
    pub fn start<R: Runtime>(&self, app: &AppHandle<R>, launch: OllamaLaunch) -> Result<OllamaStarted, ServeError> {
        let mut slot = self.child.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(running) = slot.as_ref() {
            return Err(ServeError::AlreadyRunning(running.pid()));
        }
        let spawned = app
            .shell()
            .command(&launch.program)
            .args(serve::ARGS)
            .env("OLLAMA_HOST", &launch.host)
            // Ollama starts runner processes; they go with it.
            .set_process_group(true)
            .spawn();
        let (events, child) = spawned.map_err(|err| ServeError::Spawn {
            program: launch.program.display().to_string(),
            reason: err.to_string(),
        })?;
        let pid = child.pid();
        tracing::info!(target: "ollama", pid, program = %launch.program.display(), host = %launch.host, "started ollama serve");
        *slot = Some(child);
        tauri::async_runtime::spawn(forward(events, pid, Arc::clone(&self.child)));
        Ok(launch.started(pid))
    }

    /// Kills the running `ollama serve` (and its runners), if any.
    pub fn stop(&self) {
        let child = self.child.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(child) = child {
            let pid = child.pid();
            match child.kill() {
                Ok(()) => tracing::info!(target: "ollama", pid, "stopped ollama serve"),
                Err(err) => tracing::warn!(target: "ollama", pid, cause = %err, "cannot stop ollama serve"),
            }
        }
    }
}

/// Logs the child's output line by line and its exit, then frees the slot.
async fn forward(
    mut events: tauri::async_runtime::Receiver<CommandEvent>,
    pid: u32,
    slot: Arc<Mutex<Option<CommandChild>>>,
) {
    while let Some(event) = events.recv().await {
        match event {
            CommandEvent::Stdout(line) => {
                tracing::info!(target: "ollama", pid, stream = "stdout", "{}", String::from_utf8_lossy(&line).trim_end())
            }
            CommandEvent::Stderr(line) => {
                tracing::info!(target: "ollama", pid, stream = "stderr", "{}", String::from_utf8_lossy(&line).trim_end())
            }
            CommandEvent::Error(err) => tracing::warn!(target: "ollama", pid, cause = %err, "ollama serve"),
            CommandEvent::Terminated(end) => {
                tracing::info!(target: "ollama", pid, code = ?end.code, signal = ?end.signal, "ollama serve exited");
                break;
            }
            _ => {}
        }
    }
    let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
    if slot.as_ref().is_some_and(|child| child.pid() == pid) {
        *slot = None;
    }
}

/// The engine's launcher in the app: [`OllamaServe`] with the app's handle.
pub struct ShellLauncher<R: Runtime> {
    pub app: AppHandle<R>,
    pub serve: Arc<OllamaServe>,
}

impl<R: Runtime> OllamaLauncher for ShellLauncher<R> {
    fn start(&self, launch: OllamaLaunch) -> Result<OllamaStarted, ServeError> {
        self.serve.start(&self.app, launch)
    }
}
