//! `sutazai-headless`: the engine without a window, serving the local API
//! (for servers, scripts and the crash test), and the API keys' admin.
//!
//! ```text
//! sutazai-headless                         serve until SIGTERM or Ctrl-C
//! sutazai-headless key create <name> --role <admin|operator|analyst|service|guest>
//! sutazai-headless key list
//! sutazai-headless key revoke <id>
//! ```
//!
//! The key commands work on the data dir's database directly, without
//! starting the engine (which would reconcile the fleet and re-queue tasks
//! beside a server that may be running). They write the same audit entries
//! the API does, with `cli` as the actor.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use sutazai_engine::config::ConfigInputs;
use sutazai_engine::security::{audit, keys, Role};
use sutazai_engine::store::Store;
use sutazai_engine::{logging, Clock, Config, ConfigReport, Engine, SystemClock};
use sutazai_http::CancellationToken;

/// mimalloc: the hub allocates per request, per task and per agent call;
/// glibc's malloc cost a tenth of its CPU under load (`./.dev/bench tasks`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How long background work may take to stop.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

const USAGE: &str = "usage:
  sutazai-headless                      serve the local API until SIGTERM or Ctrl-C
  sutazai-headless key create <name> --role <admin|operator|analyst|service|guest>
                                        make an API key and print it (shown only this once)
  sutazai-headless key list             list the API keys (never the keys themselves)
  sutazai-headless key revoke <id>      revoke an API key

The configuration (data dir, listen address, ...) comes from the config file and
the environment, as for the app: SUTAZAI_DATA_DIR, SUTAZAI_API_LISTEN, ...";

/// The actor the key commands write in the audit log.
const ACTOR: &str = "cli";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (config, report) = Config::load(&ConfigInputs::from_process());
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => return fail(&format!("cannot start the async runtime: {err}")),
    };
    let result = match args.as_slice() {
        [] | ["serve"] => runtime.block_on(serve(config, report)),
        ["key", "create", rest @ ..] => runtime.block_on(key_create(&config, rest)),
        ["key", "list"] => runtime.block_on(key_list(&config)),
        ["key", "revoke", id] => runtime.block_on(key_revoke(&config, id)),
        ["help" | "-h" | "--help"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("sutazai-headless: {message}");
    ExitCode::FAILURE
}

/// Starts the engine, serves the API until a signal, stops both.
async fn serve(config: Config, report: ConfigReport) -> Result<(), String> {
    let _log_guard = logging::init(&config.data_dir, &config.log_level);
    report.log();
    let addr = config.api_listen;
    let engine = Engine::start(config, report, Arc::new(SystemClock))
        .await
        .map_err(|err| format!("the engine cannot start: {err}"))?;
    let listeners = match sutazai_http::bind(addr).await {
        Ok(listeners) => listeners,
        Err(err) => {
            engine.shutdown(SHUTDOWN_GRACE).await;
            return Err(format!("cannot listen on {addr}: {err}"));
        }
    };
    // The handlers go in before "listening" is said: a SIGTERM sent as soon
    // as that line is read must stop the server, not kill it or be lost.
    let cancel = CancellationToken::new();
    tokio::spawn(stop_on_signal(cancel.clone()));
    if let Some(addr) = listeners.local_addrs().first() {
        println!("listening on http://{addr}");
    }
    let served = listeners.serve(Arc::clone(&engine), cancel).await;
    engine.shutdown(SHUTDOWN_GRACE).await;
    served.map_err(|err| format!("the API stopped: {err}"))
}

/// Cancels `cancel` at SIGTERM or Ctrl-C. The handlers are installed
/// before this returns (the future only waits), so a signal that arrives
/// right after is neither lost nor fatal.
fn stop_on_signal(cancel: CancellationToken) -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate());
    let interrupt = signal(SignalKind::interrupt());
    async move {
        match (term, interrupt) {
            (Ok(mut term), Ok(mut interrupt)) => tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM: stopping"),
                _ = interrupt.recv() => tracing::info!("Ctrl-C: stopping"),
            },
            (Err(err), _) | (_, Err(err)) => {
                tracing::warn!(cause = %err, "cannot listen for SIGTERM or Ctrl-C; only Ctrl-C's default stops the server");
                std::future::pending::<()>().await;
            }
        }
        cancel.cancel();
    }
}

/// The data dir's database, as the engine opens it.
fn open_store(config: &Config) -> Result<Store, String> {
    sutazai_engine::data_dir::make_private(&config.data_dir)
        .map_err(|err| format!("cannot create the data dir: {err}"))?;
    Store::open(&config.data_dir.join("sutazai.db")).map_err(|err| err.to_string())
}

async fn key_create(config: &Config, args: &[&str]) -> Result<(), String> {
    let (name, role) = match args {
        [name, "--role", role] | ["--role", role, name] => (*name, *role),
        _ => return Err(format!("expected `key create <name> --role <role>`\n\n{USAGE}")),
    };
    let role = Role::parse(role)
        .ok_or_else(|| format!("role: expected admin, operator, analyst, service or guest, found `{role}`"))?;
    keys::check_name(name)?;
    let store = open_store(config)?;
    let now = SystemClock.now_ms();
    let created = keys::create(&store, name, role, ACTOR, now)
        .await
        .map_err(|err| err.to_string())?;
    let detail = format!("role {}", role.as_str());
    audit::record(
        &store,
        cli_record(now, "key.create", &created.info.prefix, "ok", &detail),
    )
    .await
    .map_err(|err| err.to_string())?;
    eprintln!(
        "made API key {} `{}` ({}); it is shown only this once:",
        created.info.id,
        created.info.name,
        role.as_str()
    );
    println!("{}", created.key);
    Ok(())
}

async fn key_list(config: &Config) -> Result<(), String> {
    let store = open_store(config)?;
    let keys = keys::list(&store).await.map_err(|err| err.to_string())?;
    if keys.is_empty() {
        eprintln!("no API keys yet; make one with `sutazai-headless key create <name> --role admin`");
    }
    for key in keys {
        let state = match key.revoked_ms {
            Some(_) => "revoked",
            None => "live",
        };
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            key.id,
            key.prefix,
            key.role.as_str(),
            state,
            key.created_by,
            key.name
        );
    }
    Ok(())
}

async fn key_revoke(config: &Config, id: &str) -> Result<(), String> {
    let id: i64 = id
        .parse()
        .map_err(|_| format!("id: expected a key id (a number, see `key list`), found `{id}`"))?;
    let store = open_store(config)?;
    let now = SystemClock.now_ms();
    let revoked = keys::revoke(&store, id, now).await.map_err(|err| err.to_string())?;
    let (target, outcome) = match &revoked {
        Some(key) => (key.prefix.clone(), "ok".to_string()),
        None => (id.to_string(), format!("refused: no API key {id}")),
    };
    audit::record(&store, cli_record(now, "key.revoke", &target, &outcome, ""))
        .await
        .map_err(|err| err.to_string())?;
    let key = revoked.ok_or_else(|| format!("no API key {id}"))?;
    eprintln!("revoked API key {} `{}` ({})", key.id, key.name, key.prefix);
    Ok(())
}

/// An audit entry for a `key` command: actor and origin `cli`.
fn cli_record(at_ms: i64, action: &str, target: &str, outcome: &str, detail: &str) -> audit::Record {
    audit::Record {
        at_ms,
        actor: ACTOR.into(),
        origin: ACTOR.into(),
        action: action.into(),
        target: target.into(),
        outcome: outcome.into(),
        detail: detail.into(),
    }
}
