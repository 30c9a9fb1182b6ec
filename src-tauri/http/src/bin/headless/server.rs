//! The server side of `sutazai-headless`: the engine serving the API, and
//! the `key` commands, which work on the data dir's database directly,
//! without starting the engine (which would reconcile the fleet and
//! re-queue tasks beside a server that may be running). They write the
//! same audit entries the API does, with `cli` as the actor.

use std::sync::Arc;
use std::time::Duration;

use sutazai_engine::security::{audit, keys, Role};
use sutazai_engine::store::Store;
use sutazai_engine::{logging, Clock, Config, ConfigReport, Engine, SystemClock};
use sutazai_http::CancellationToken;

/// How long background work may take to stop.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// The actor the key commands write in the audit log.
pub const ACTOR: &str = "cli";

/// Starts the engine, serves the API until a signal, stops both.
pub async fn serve(config: Config, report: ConfigReport) -> Result<(), String> {
    let _log_guard = logging::init(&config.data_dir, &config.log_level);
    report.log();
    let addr = config.api_listen;
    let engine = Engine::start(config, report, Arc::new(SystemClock))
        .await
        .map_err(|err| format!("the engine cannot start: {err}"))?;
    let ollama = Arc::new(crate::ollama::ProcessLauncher::default());
    engine.set_ollama_launcher(Arc::clone(&ollama) as Arc<dyn sutazai_engine::llm::serve::OllamaLauncher>);
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
    ollama.stop();
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
pub fn open_store(config: &Config) -> Result<Store, String> {
    sutazai_engine::data_dir::make_private(&config.data_dir)
        .map_err(|err| format!("cannot create the data dir: {err}"))?;
    Store::open(&config.data_dir.join("sutazai.db")).map_err(|err| err.to_string())
}

pub async fn key_create(config: &Config, name: &str, role: &str) -> Result<(), String> {
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

pub async fn key_list(config: &Config) -> Result<(), String> {
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

pub async fn key_revoke(config: &Config, id: &str) -> Result<(), String> {
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
pub fn cli_record(at_ms: i64, action: &str, target: &str, outcome: &str, detail: &str) -> audit::Record {
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
