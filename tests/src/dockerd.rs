//! A private Docker engine for tests that need to stop one: Debian's
//! `dockerd` on its own socket, data root and exec root, in a network
//! namespace of its own (`unshare --net`), so its bridge and iptables never
//! touch the machine's main engine. (`--bridge none` is no way out: dockerd
//! then deletes the host's `docker0`.)

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running private dockerd; stopped (and its folder removed) when dropped.
pub struct PrivateDockerd {
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl PrivateDockerd {
    /// Starts dockerd and waits until it answers (at most `ready_within`).
    pub fn start(ready_within: Duration) -> std::io::Result<PrivateDockerd> {
        // Unix socket paths are limited to ~108 bytes: keep the folder short.
        let dir = tempfile::Builder::new().prefix("sdk").tempdir_in("/tmp")?;
        let root = dir.path();
        let log = std::fs::File::create(root.join("dockerd.log"))?;
        let child = Command::new("unshare")
            .args(["--net", "dockerd"])
            .arg("--host")
            .arg(format!("unix://{}", root.join("docker.sock").display()))
            .arg("--data-root")
            .arg(root.join("data"))
            .arg("--exec-root")
            .arg(root.join("exec"))
            .arg("--pidfile")
            .arg(root.join("docker.pid"))
            .args(["--iptables=false", "--ip-masq=false"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let dockerd = PrivateDockerd {
            dir,
            child: Some(child),
        };
        let deadline = Instant::now() + ready_within;
        while !dockerd.answers() {
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(dockerd.dir.path().join("dockerd.log")).unwrap_or_default();
                return Err(std::io::Error::other(format!(
                    "private dockerd did not answer in time; its log:\n{log}"
                )));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(dockerd)
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("docker.sock")
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The server version as the docker CLI reports it.
    pub fn server_version(&self) -> std::io::Result<String> {
        let out = Command::new("docker")
            .arg("--host")
            .arg(format!("unix://{}", self.socket().display()))
            .args(["version", "--format", "{{.Server.Version}}"])
            .output()?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    fn answers(&self) -> bool {
        self.server_version().is_ok_and(|v| !v.is_empty())
    }

    /// Stops the engine (SIGTERM, then waits for it to exit).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateDockerd {
    fn drop(&mut self) {
        self.stop();
    }
}
