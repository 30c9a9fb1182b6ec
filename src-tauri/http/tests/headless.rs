//! The headless binary as a real process: make a key, serve on a free
//! loopback port, answer with that key, stop cleanly on SIGTERM.
//!
//! It lives in this crate (not `tests/`) because cargo only tells a
//! package's own tests where its binaries are.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_sutazai-headless");

fn headless(data_dir: &Path) -> Command {
    let config = data_dir.join("config.toml");
    std::fs::write(&config, "").unwrap();
    let mut command = Command::new(BINARY);
    command
        .env("SUTAZAI_CONFIG", &config)
        .env("SUTAZAI_DATA_DIR", data_dir)
        .env("SUTAZAI_API_LISTEN", "127.0.0.1:0")
        .env("SUTAZAI_DOCKER_HOST", "unix:///nonexistent.sock")
        .env("SUTAZAI_LOG", "warn");
    command
}

fn run(data_dir: &Path, args: &[&str]) -> Output {
    let output = headless(data_dir).args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A plain HTTP/1.1 GET; the status code and the body.
fn get(addr: SocketAddr, path: &str, token: Option<&str>) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn serves_the_api_with_a_key_made_by_the_cli_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let created = run(dir.path(), &["key", "create", "ops", "--role", "admin"]);
    let key = String::from_utf8(created.stdout).unwrap().trim().to_string();
    assert!(key.starts_with("sk_"), "{key}");
    let listed = String::from_utf8(run(dir.path(), &["key", "list"]).stdout).unwrap();
    assert!(
        listed.contains("ops") && listed.contains("admin") && listed.contains("live"),
        "{listed}"
    );
    assert!(!listed.contains(&key));

    let mut server = headless(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = server.stdout.take().unwrap();
    let (lines, line) = mpsc::channel();
    std::thread::spawn(move || {
        for text in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(text);
        }
    });
    let first = line
        .recv_timeout(Duration::from_secs(60))
        .expect("a line when listening");
    let addr: SocketAddr = first
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("{first}"))
        .parse()
        .unwrap();
    assert!(addr.ip().is_loopback());

    let (status, body) = get(addr, "/v1/health", Some(&key));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"queued\":0"), "{body}");
    assert_eq!(get(addr, "/v1/health", None).0, 401);

    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running 20 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");

    let id = listed.split('\t').next().unwrap();
    run(dir.path(), &["key", "revoke", id]);
    let listed = String::from_utf8(run(dir.path(), &["key", "list"]).stdout).unwrap();
    assert!(listed.contains("revoked"), "{listed}");
}

#[test]
fn refuses_a_bad_command_or_role() {
    let dir = tempfile::tempdir().unwrap();
    let bad_role = headless(dir.path())
        .args(["key", "create", "x", "--role", "boss"])
        .output()
        .unwrap();
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("role"));
    let unknown = headless(dir.path()).arg("frobnicate").output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}
