//! `sutazai-agent healthcheck`: one GET of the local `/health` over a plain
//! TCP socket (no HTTP client needed), for Docker's HEALTHCHECK.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::time::Duration;

pub fn run(env: impl Fn(&str) -> Option<String>) -> ExitCode {
    match check(env) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("unhealthy: {err}");
            ExitCode::FAILURE
        }
    }
}

fn check(env: impl Fn(&str) -> Option<String>) -> Result<(), String> {
    let port = match env("SUTAZAI_AGENT_LISTEN").and_then(|l| l.parse::<SocketAddr>().ok()) {
        Some(addr) => addr.port(),
        None => crate::config::Settings::from_env(&env)?.listen.port(),
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let timeout = Duration::from_secs(3);
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("connect {addr}: {e}"))?;
    stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("write: {e}"))?;
    // The answer is a few hundred bytes; whatever listens on the port, no
    // more than this is read.
    const MAX_ANSWER: u64 = 64 << 10;
    let mut answer = String::new();
    stream
        .take(MAX_ANSWER)
        .read_to_string(&mut answer)
        .map_err(|e| format!("read: {e}"))?;
    let status_line = answer.lines().next().unwrap_or_default();
    if !status_line.contains(" 200 ") {
        return Err(format!("GET /health answered `{status_line}`"));
    }
    if !answer.contains("\"status\":\"ok\"") {
        return Err("the agent is draining".into());
    }
    Ok(())
}
