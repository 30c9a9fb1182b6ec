//! The agent runtime as a real process on loopback, for tests and benches.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The static agent binary built by `.dev/lib.sh` (`build_agent`).
pub fn binary() -> PathBuf {
    let path = binary_path();
    assert!(
        path.exists(),
        "no agent runtime at {}; build it with `source .dev/lib.sh && build_agent` (the test command does)",
        path.display()
    );
    path
}

/// Where the static agent binary is expected.
pub fn binary_path() -> PathBuf {
    match std::env::var_os("SUTAZAI_AGENT_BIN") {
        Some(path) => PathBuf::from(path),
        None => {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| crate::manifest_dir().join("../target"));
            target.join("x86_64-unknown-linux-gnu/agent/sutazai-agent")
        }
    }
}

/// The TOML of a shipped manifest, by id.
pub fn shipped_manifest(id: &str) -> String {
    let root = crate::manifest_dir().join("../agents/catalog");
    for phase in 1..=3 {
        let dir = root.join(format!("phase-{phase}"));
        for entry in std::fs::read_dir(&dir).expect("the catalog folder exists").flatten() {
            if entry.file_name().to_string_lossy().starts_with(&format!("{id}-")) {
                return std::fs::read_to_string(entry.path()).expect("manifest readable");
            }
        }
    }
    panic!("no shipped manifest for {id}");
}

/// A loopback port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A running agent process; killed when dropped.
pub struct AgentProcess {
    pub child: Child,
    pub url: String,
    pub port: u16,
}

impl AgentProcess {
    /// Starts the runtime with `manifest` on a free loopback port and waits
    /// until `/health` answers.
    pub fn start(manifest: &str, ollama_url: &str, extra_env: &[(&str, &str)]) -> AgentProcess {
        let port = free_port();
        let mut command = Command::new(binary());
        command
            .env_clear()
            .env("SUTAZAI_AGENT_MANIFEST", manifest)
            .env("SUTAZAI_OLLAMA_URL", ollama_url)
            .env("SUTAZAI_AGENT_LISTEN", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in extra_env {
            command.env(k, v);
        }
        let child = command.spawn().expect("the agent starts");
        let agent = AgentProcess {
            child,
            url: format!("http://127.0.0.1:{port}"),
            port,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the agent did not listen within 20 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        agent
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let _ = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status();
    }

    /// Waits for the process to exit (at most `within`); its exit code.
    pub fn wait_exit(&mut self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
