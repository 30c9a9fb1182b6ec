//! `sutazai-agent`: the program inside every agent container.
//!
//! - `sutazai-agent` / `sutazai-agent serve`: serve `/health`, `/task`, `/message`, `/metrics`.
//! - `sutazai-agent healthcheck`: exit 0 when the local agent is healthy (for
//!   Docker's exec-form HEALTHCHECK; the image has no shell or curl).
//! - `sutazai-agent version`.
//!
//! Settings come from the environment; see `config.rs`. `SUTAZAI_AGENT_LOG`
//! sets the log level (error, warn, info (default), debug, trace).

mod bus;
mod config;
mod healthcheck;
mod llm;
mod metrics;
mod output;
mod server;
mod task;
mod tools;

use std::process::ExitCode;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

fn main() -> ExitCode {
    let env = |name: &str| std::env::var(name).ok();
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => serve(env),
        Some("healthcheck") => healthcheck::run(env),
        Some("version" | "--version") => {
            println!(
                "sutazai-agent {VERSION} (protocol {})",
                sutazai_protocol::PROTOCOL_VERSION
            );
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("unknown command `{other}`; expected serve, healthcheck or version");
            ExitCode::from(2)
        }
    }
}

fn serve(env: impl Fn(&str) -> Option<String>) -> ExitCode {
    let level = match env("SUTAZAI_AGENT_LOG").as_deref() {
        Some("error") => tracing::Level::ERROR,
        Some("warn") => tracing::Level::WARN,
        Some("debug") => tracing::Level::DEBUG,
        Some("trace") => tracing::Level::TRACE,
        _ => tracing::Level::INFO,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_ansi(false)
        .with_target(false)
        .with_writer(std::io::stderr)
        .init();
    let settings = match config::Settings::from_env(env) {
        Ok(settings) => settings,
        Err(err) => {
            tracing::error!("{err}");
            return ExitCode::from(2);
        }
    };
    // One thread keeps the idle footprint small; the work is IO-bound.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            tracing::error!("cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(server::run(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err}");
            ExitCode::FAILURE
        }
    }
}
