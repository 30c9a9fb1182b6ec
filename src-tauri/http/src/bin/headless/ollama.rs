//! "Start Ollama" in the headless server: `ollama serve` as a child
//! process in its own process group (its runners go with it), each output
//! line to the log under target `ollama`, one at a time, stopped with the
//! server. The engine decides what runs; this only spawns it.

use std::process::Stdio;
use std::sync::{Arc, Mutex, PoisonError};

use sutazai_engine::llm::serve::{self, OllamaLaunch, OllamaLauncher, OllamaStarted, ServeError};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

/// The `ollama serve` this server started, while it runs.
#[derive(Default)]
pub struct ProcessLauncher {
    child: Arc<Mutex<Option<u32>>>,
}

impl OllamaLauncher for ProcessLauncher {
    fn start(&self, launch: OllamaLaunch) -> Result<OllamaStarted, ServeError> {
        let mut slot = self.child.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(pid) = *slot {
            return Err(ServeError::AlreadyRunning(pid));
        }
        let spawned = Command::new(&launch.program)
            .args(serve::ARGS)
            .env("OLLAMA_HOST", &launch.host)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(false)
            .spawn();
        let mut child = spawned.map_err(|err| ServeError::Spawn {
            program: launch.program.display().to_string(),
            reason: err.to_string(),
        })?;
        let Some(pid) = child.id() else {
            return Err(ServeError::Spawn {
                program: launch.program.display().to_string(),
                reason: "it exited at once".into(),
            });
        };
        tracing::info!(target: "ollama", pid, program = %launch.program.display(), host = %launch.host, "started ollama serve");
        if let Some(out) = child.stdout.take() {
            tokio::spawn(lines(out, pid, "stdout"));
        }
        if let Some(err) = child.stderr.take() {
            tokio::spawn(lines(err, pid, "stderr"));
        }
        *slot = Some(pid);
        tokio::spawn(reap(child, pid, Arc::clone(&self.child)));
        Ok(launch.started(pid))
    }
}

impl ProcessLauncher {
    /// Stops the running `ollama serve` and its runners, if any.
    pub fn stop(&self) {
        let pid = self.child.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(pid) = pid {
            let group = i32::try_from(pid).map(nix::unistd::Pid::from_raw);
            match group.map(|g| nix::sys::signal::killpg(g, nix::sys::signal::Signal::SIGTERM)) {
                Ok(Ok(())) => tracing::info!(target: "ollama", pid, "stopped ollama serve"),
                Ok(Err(err)) => tracing::warn!(target: "ollama", pid, cause = %err, "cannot stop ollama serve"),
                Err(_) => {}
            }
        }
    }
}

/// Logs each line the child writes.
async fn lines(stream: impl AsyncRead + Unpin, pid: u32, name: &'static str) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::info!(target: "ollama", pid, stream = name, "{line}");
    }
}

/// Waits for the child's exit, logs it and frees the slot.
async fn reap(mut child: Child, pid: u32, slot: Arc<Mutex<Option<u32>>>) {
    match child.wait().await {
        Ok(status) => tracing::info!(target: "ollama", pid, %status, "ollama serve exited"),
        Err(err) => tracing::warn!(target: "ollama", pid, cause = %err, "ollama serve"),
    }
    let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
    if *slot == Some(pid) {
        *slot = None;
    }
}
