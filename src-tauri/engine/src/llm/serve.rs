//! Starting a locally installed Ollama (issue 6, "Start Ollama"): where the
//! `ollama` program is, and what exactly the shell runs. The shell spawns
//! the process (through tauri-plugin-shell); this module decides *what* runs,
//! and nothing the UI sends reaches it: the program comes from `PATH`, the
//! one argument is `serve`, and `OLLAMA_HOST` is the configured URL's
//! `host:port`, so Ollama listens where the app looks for it.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Serialize;
use ts_rs::TS;
use url::{Host, Url};

use crate::error::{Code, Coded, ErrorBody};

/// The program's name on `PATH`.
pub const PROGRAM: &str = "ollama";

/// The arguments: always exactly these.
pub const ARGS: [&str; 1] = ["serve"];

/// The first `name` in the directories of `path_var` (a `PATH` value) for
/// which `exists` holds. Empty and relative entries are skipped: they mean
/// "the current directory", which is not a place to pick a program from.
pub fn find_program(name: &str, path_var: &str, exists: impl Fn(&Path) -> bool) -> Option<PathBuf> {
    path_var
        .split(':')
        .map(Path::new)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(name))
        .find(|candidate| exists(candidate))
}

/// Whether `path` is a file someone may execute (symlinks followed).
pub fn is_executable_file(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// `OLLAMA_HOST` for a child that must serve at `url`: `host:port`, the
/// scheme's port when the URL names none (as the app's client uses it).
pub fn ollama_host(url: &Url) -> Option<String> {
    let port = url.port_or_known_default()?;
    match url.host()? {
        Host::Domain(name) => Some(format!("{name}:{port}")),
        Host::Ipv4(ip) => Some(format!("{ip}:{port}")),
        Host::Ipv6(ip) => Some(format!("[{ip}]:{port}")),
    }
}

/// Whether `url` is on this computer (a loopback address or `localhost`):
/// the only place "Start Ollama" can make Ollama answer.
pub fn is_local(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// What the shell runs: `program serve` with `OLLAMA_HOST=host`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OllamaLaunch {
    pub program: PathBuf,
    /// The value of `OLLAMA_HOST` for the child.
    pub host: String,
    /// Where the app's log (which receives the child's output) is written.
    pub log_dir: String,
}

impl OllamaLaunch {
    /// The answer to the UI once the child runs.
    pub fn started(&self, pid: u32) -> OllamaStarted {
        OllamaStarted {
            pid,
            program: self.program.display().to_string(),
            host: self.host.clone(),
            log_dir: self.log_dir.clone(),
        }
    }
}

/// A started `ollama serve`, as the Models view learns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OllamaStarted {
    pub pid: u32,
    pub program: String,
    /// `OLLAMA_HOST` of the child.
    pub host: String,
    /// The app's log folder, where the child's output goes.
    pub log_dir: String,
}

/// Starts `ollama serve` as the host allows: the desktop app through
/// tauri-plugin-shell, the headless server as a child process. The engine
/// decides what runs ([`OllamaLaunch`]); the launcher only spawns it.
pub trait OllamaLauncher: Send + Sync {
    fn start(&self, launch: OllamaLaunch) -> Result<OllamaStarted, ServeError>;
}

/// Why `ollama serve` was not started.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("no `ollama` program on PATH; install Ollama (https://ollama.com/download) and start the app again")]
    NotInstalled,
    #[error("the Ollama URL {0} names no host and port to serve on")]
    NoHost(String),
    #[error("the Ollama URL {0} is another computer's address; the app starts Ollama only on this one")]
    NotLocal(String),
    #[error("ollama serve is already running (pid {0}); see the app log for its output")]
    AlreadyRunning(u32),
    #[error("cannot start {program}: {reason}")]
    Spawn { program: String, reason: String },
    #[error("this engine was started without a way to start programs; start `ollama serve` yourself")]
    NoLauncher,
}

impl Coded for ServeError {
    fn code(&self) -> Code {
        match self {
            Self::NotInstalled => Code::NotFound,
            Self::NoHost(_) | Self::NotLocal(_) => Code::InvalidRequest,
            Self::AlreadyRunning(_) | Self::NoLauncher => Code::Conflict,
            Self::Spawn { .. } => Code::ProgramStart,
        }
    }
}

impl From<ServeError> for ErrorBody {
    fn from(err: ServeError) -> Self {
        (&err).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_computers_addresses_are_local() {
        for (url, local) in [
            ("http://127.0.0.1:11434", true),
            ("http://localhost:11434", true),
            ("http://LOCALHOST", true),
            ("http://127.0.0.2:8080", true),
            ("http://[::1]:11434", true),
            ("http://10.0.0.5:11434", false),
            ("http://gpu-box.lan:11434", false),
            ("http://[2001:db8::1]:11434", false),
        ] {
            let parsed = Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(is_local(&parsed), local, "{url}");
        }
    }

    fn find(path_var: &str, present: &[&str]) -> Option<String> {
        find_program("ollama", path_var, |p| present.iter().any(|x| Path::new(x) == p)).map(|p| p.display().to_string())
    }

    #[test]
    fn the_first_directory_that_has_the_program_wins() {
        let present = ["/opt/b/ollama", "/usr/bin/ollama"];
        assert_eq!(
            find("/opt/a:/opt/b:/usr/bin", &present).as_deref(),
            Some("/opt/b/ollama")
        );
        assert_eq!(find("/usr/bin:/opt/b", &present).as_deref(), Some("/usr/bin/ollama"));
        assert_eq!(find("/opt/a", &present), None);
        assert_eq!(find("", &present), None);
    }

    #[test]
    fn empty_and_relative_entries_are_skipped() {
        let present = ["ollama", "bin/ollama", "/usr/bin/ollama"];
        assert_eq!(find(":bin:.:/usr/bin", &present).as_deref(), Some("/usr/bin/ollama"));
        assert_eq!(find("::bin", &present), None);
    }

    #[test]
    fn a_real_directory_is_searched_for_an_executable_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("ollama");
        std::fs::write(&program, "#!/bin/sh\n").unwrap();
        let path_var = dir.path().display().to_string();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(find_program("ollama", &path_var, is_executable_file), None);
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(find_program("ollama", &path_var, is_executable_file), Some(program));
        // A directory named like the program is not it.
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::create_dir(dir.path().join("sub/ollama")).unwrap();
        let sub = dir.path().join("sub").display().to_string();
        assert_eq!(find_program("ollama", &sub, is_executable_file), None);
    }

    #[test]
    fn the_host_is_the_configured_urls_host_and_port() {
        let host = |u: &str| ollama_host(&Url::parse(u).unwrap());
        assert_eq!(host("http://127.0.0.1:11434").as_deref(), Some("127.0.0.1:11434"));
        assert_eq!(host("http://127.0.0.1:40001/").as_deref(), Some("127.0.0.1:40001"));
        assert_eq!(host("http://localhost").as_deref(), Some("localhost:80"));
        assert_eq!(host("https://gpu.lan").as_deref(), Some("gpu.lan:443"));
        assert_eq!(host("http://[::1]:11500").as_deref(), Some("[::1]:11500"));
    }
}
