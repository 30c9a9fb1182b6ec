//! A private Docker engine for tests that need to stop one: Debian's
//! `dockerd` on its own socket, data root and exec root, in a network
//! namespace of its own (`unshare --net`, loopback up), so its bridge and
//! iptables never touch the machine's main engine. (`--bridge none` is no
//! way out: dockerd then deletes the host's `docker0`.) Ports its containers
//! publish on 127.0.0.1 are reachable from a thread that enters that
//! namespace (`enter_network`).

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
        let mut dockerd = PrivateDockerd { dir, child: None };
        dockerd.restart(ready_within)?;
        Ok(dockerd)
    }

    /// Starts the engine again on the same data root (after `stop`), in a
    /// new network namespace; waits until it answers.
    pub fn restart(&mut self, ready_within: Duration) -> std::io::Result<()> {
        self.stop();
        let root = self.dir.path();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(root.join("dockerd.log"))?;
        let child = Command::new("unshare")
            .args([
                "--net",
                "sh",
                "-c",
                "ip link set lo up && exec dockerd \"$@\"",
                "dockerd",
            ])
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
        self.child = Some(child);
        let deadline = Instant::now() + ready_within;
        while !self.answers() {
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(self.dir.path().join("dockerd.log")).unwrap_or_default();
                return Err(std::io::Error::other(format!(
                    "private dockerd did not answer in time; its log:\n{log}"
                )));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(())
    }

    /// Moves the calling thread (only it) into the engine's network
    /// namespace, where its containers' ports are published.
    pub fn enter_network(&self) -> std::io::Result<()> {
        let pid = self
            .child
            .as_ref()
            .ok_or_else(|| std::io::Error::other("the private dockerd is not running"))?
            .id();
        let netns = std::fs::File::open(format!("/proc/{pid}/ns/net"))?;
        nix::sched::setns(netns, nix::sched::CloneFlags::CLONE_NEWNET).map_err(std::io::Error::from)
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
