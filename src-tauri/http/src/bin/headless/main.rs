//! `sutazai-headless`: the engine without a window, serving the local API
//! (for servers, scripts and the crash test), the API keys' admin, and a
//! command line for a running engine, as Docker's CLI is for dockerd.
//!
//! ```text
//! sutazai-headless [serve]                 serve until SIGTERM or Ctrl-C
//! sutazai-headless key create|list|revoke  the key store, on the data dir's database
//! sutazai-headless status|agents|deploy|task|run|message|models|…   clients of the API
//! ```
//!
//! The client commands never start an engine: they call the API of the
//! one serving (the app or `serve`) at `--url`, by default where the
//! config's `api_listen` says it listens. See [`cli::EXIT_CODES`].

#[macro_use]
mod output;
mod cli;
mod client;
mod connect;
mod fleet;
mod messages;
mod models;
mod ollama;
mod runs;
mod server;
mod tasks;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use sutazai_engine::config::ConfigInputs;
use sutazai_engine::{Config, ConfigReport};

use crate::cli::{Cli, Command, KeyCommand, Shell};
use crate::client::{Client, Failure};

/// mimalloc: the hub allocates per request, per task and per agent call;
/// glibc's malloc cost a tenth of its CPU under load (`./.dev/bench tasks`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // clap prints usage errors and exits 2, and `--help` exits 0.
    let cli = Cli::parse();
    if let Some(Command::Completions { shell }) = &cli.command {
        completions(*shell);
        return ExitCode::SUCCESS;
    }
    let (config, report) = Config::load(&ConfigInputs::from_process());
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => return fail(&format!("cannot start the async runtime: {err}"), 1),
    };
    let command = cli.command.unwrap_or(Command::Serve);
    let served = match &command {
        Command::Serve => Some(runtime.block_on(server::serve(config.clone(), report.clone()))),
        Command::Key(KeyCommand::Create { name, role }) => {
            Some(runtime.block_on(server::key_create(&config, name, role)))
        }
        Command::Key(KeyCommand::List) => Some(runtime.block_on(server::key_list(&config))),
        Command::Key(KeyCommand::Revoke { id }) => Some(runtime.block_on(server::key_revoke(&config, id))),
        _ => None,
    };
    if let Some(result) = served {
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => fail(&message, 1),
        };
    }
    match runtime.block_on(client_command(&cli.global, &command, &config, &report)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => fail(&failure.to_string(), failure.exit_code()),
    }
}

fn fail(message: &str, code: u8) -> ExitCode {
    eprintln!("sutazai-headless: {message}");
    ExitCode::from(code)
}

/// Runs a client command against the engine the flags and config name; a
/// refused key is explained (revoked, or of another data dir).
async fn client_command(
    global: &cli::Global,
    command: &Command,
    config: &Config,
    report: &ConfigReport,
) -> Result<(), Failure> {
    let (client, origin) = connect::client(global, config, report).await?;
    match dispatch(&client, command, global.json).await {
        Ok(()) => Ok(()),
        Err(failure) => Err(connect::explain(failure, &origin, config, client.key()).await),
    }
}

async fn dispatch(client: &Client, command: &Command, json: bool) -> Result<(), Failure> {
    match command {
        Command::Status => fleet::status(client, json).await,
        Command::Agents(filter) => fleet::agents(client, filter, json).await,
        Command::Agent { id } => fleet::agent(client, id, json).await,
        Command::Start { id } => fleet::control(client, id, "start", None, json).await,
        Command::Stop { id } => fleet::control(client, id, "stop", None, json).await,
        Command::Restart { id } => fleet::control(client, id, "restart", None, json).await,
        Command::Remove { id } => fleet::control(client, id, "remove", None, json).await,
        Command::Scale { id, instances } => fleet::control(client, id, "scale", Some(*instances), json).await,
        Command::Logs(logs) => fleet::logs(client, logs, json).await,
        Command::Stats => fleet::stats(client, json).await,
        Command::Phases => fleet::phases(client, json).await,
        Command::Deploy(deploy) => fleet::deploy(client, deploy, json).await,
        Command::Undeploy { phase } => fleet::undeploy(client, *phase, json).await,
        Command::Task(task) => tasks::run(client, task, json).await,
        Command::Run(run) => runs::run(client, run, json).await,
        Command::Workflows => runs::workflows(client, json).await,
        Command::Message(message) => messages::run(client, message, json).await,
        Command::Topics => messages::topics(client, json).await,
        Command::Models(models) => models::run(client, models.command.as_ref(), json).await,
        Command::Alerts { open } => models::alerts(client, *open, json).await,
        Command::Serve | Command::Key(_) | Command::Completions { .. } => Ok(()),
    }
}

/// Writes the completion script of `shell` on stdout.
fn completions(shell: Shell) {
    let mut command = Cli::command();
    let mut stdout = std::io::stdout();
    match shell {
        Shell::Bash => clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut command,
            "sutazai-headless",
            &mut stdout,
        ),
        Shell::Zsh => clap_complete::generate(clap_complete::Shell::Zsh, &mut command, "sutazai-headless", &mut stdout),
        Shell::Fish => clap_complete::generate(
            clap_complete::Shell::Fish,
            &mut command,
            "sutazai-headless",
            &mut stdout,
        ),
    }
}
