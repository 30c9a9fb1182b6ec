//! Where the CLI finds the engine and which key it shows: `--url` /
//! `SUTAZAI_URL`, else where the config's `api_listen` says the engine
//! listens; `--key` / `SUTAZAI_API_KEY`, else the CLI's own admin key in
//! `<data_dir>/cli.key`, made on first use in the engine's key store (as
//! `key create` makes keys). Whoever can read the data dir could already
//! read its database, so the file gives nobody more than they had.

use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use sutazai_engine::config::ConfigSource;
use sutazai_engine::security::{keys, Role};
use sutazai_engine::{Clock, Config, ConfigReport, SystemClock};

use crate::cli::Global;
use crate::client::{Client, Failure};
use crate::server::{cli_record, open_store, ACTOR};

/// The name of the CLI's own key, in the key store and the data dir.
const KEY_NAME: &str = "cli";

/// Which key the CLI shows, for what to say when the API refuses it.
pub enum KeyOrigin {
    /// `--key` or `SUTAZAI_API_KEY`.
    Given,
    /// The CLI's own key, in this file.
    Own(PathBuf),
}

/// A client of the engine the flags, the environment and the config name.
pub async fn client(global: &Global, config: &Config, report: &ConfigReport) -> Result<(Client, KeyOrigin), Failure> {
    let (url, origin) = match &global.url {
        Some(url) => (url.clone(), "from --url or SUTAZAI_URL".to_string()),
        None => (listen_url(config.api_listen), listen_origin(report)),
    };
    let (key, key_origin) = match &global.key {
        Some(key) => (key.trim().to_string(), KeyOrigin::Given),
        None => {
            let path = config.data_dir.join("cli.key");
            (own_key(config, &path).await?, KeyOrigin::Own(path))
        }
    };
    Ok((Client::new(&url, origin, key)?, key_origin))
}

/// `failure` with what to do added when it is the API refusing the key
/// (401): the given key is not live, or the CLI's own was revoked or
/// belongs to another data dir.
pub async fn explain(failure: Failure, origin: &KeyOrigin, config: &Config, key: &str) -> Failure {
    let Failure::Refused {
        status,
        code,
        message,
        hint: _,
    } = failure
    else {
        return failure;
    };
    if status != reqwest::StatusCode::UNAUTHORIZED {
        return Failure::Refused {
            status,
            code,
            message,
            hint: String::new(),
        };
    }
    let hint = match origin {
        KeyOrigin::Own(path) => own_key_refused(config, path, key).await,
        KeyOrigin::Given => "\nthe key from --key or SUTAZAI_API_KEY is not a live key of this engine: make one with \
              `sutazai-headless key create <name> --role admin` on the engine's machine"
            .to_string(),
    };
    Failure::Refused {
        status,
        code,
        message,
        hint,
    }
}

/// The URL of an engine listening on `addr`: an unspecified address
/// (`0.0.0.0`, `::`) is reached on loopback.
fn listen_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => std::net::Ipv4Addr::LOCALHOST.into(),
        ip if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// Where `api_listen` was read, said when nothing answers there.
fn listen_origin(report: &ConfigReport) -> String {
    let source = report
        .values
        .iter()
        .find(|value| value.key == "api_listen")
        .map(|value| &value.source);
    match source {
        Some(ConfigSource::File { path }) => format!("api_listen in {path}"),
        Some(ConfigSource::Env { var }) => format!("api_listen from {var}"),
        _ => "api_listen's default; set --url or SUTAZAI_URL for another".to_string(),
    }
}

/// The CLI's own key: read from `path`, or made (an admin key named
/// `cli`, audited with actor `cli`) and written there with mode 0600.
async fn own_key(config: &Config, path: &Path) -> Result<String, Failure> {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => return Ok(text.trim().to_string()),
        Ok(_) => {
            return Err(Failure::Local(format!(
                "{} is empty: delete it and run again to make a new key",
                path.display()
            )))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(Failure::Local(format!("cannot read {}: {err}", path.display()))),
    }
    let store = open_store(config).map_err(Failure::Local)?;
    let now = SystemClock.now_ms();
    let created = keys::create(&store, KEY_NAME, Role::Admin, ACTOR, now)
        .await
        .map_err(|err| Failure::Local(format!("cannot make the CLI's key: {err}")))?;
    sutazai_engine::security::audit::record(
        &store,
        cli_record(
            now,
            "key.create",
            &created.info.prefix,
            "ok",
            "role admin (the CLI's own key)",
        ),
    )
    .await
    .map_err(|err| Failure::Local(format!("cannot audit the CLI's key: {err}")))?;
    write_private(path, &created.key)
        .map_err(|err| Failure::Local(format!("cannot write the CLI's key to {}: {err}", path.display())))?;
    Ok(created.key)
}

/// Writes `key` to a new file only its owner may read.
fn write_private(path: &Path, key: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    writeln!(file, "{key}")
}

/// What to say when the engine refuses the CLI's own key: revoked, or not
/// a key of this data dir (the engine serves another one).
async fn own_key_refused(config: &Config, path: &Path, key: &str) -> String {
    let fix = format!("delete {} and run again to make a new one", path.display());
    let prefix: String = key.splitn(3, '_').take(2).collect::<Vec<_>>().join("_");
    let known = match open_store(config) {
        Ok(store) => keys::list(&store).await.ok(),
        Err(_) => None,
    };
    match known.and_then(|keys| keys.into_iter().find(|k| k.prefix == prefix)) {
        Some(info) if info.revoked_ms.is_some() => format!(
            "\nthe CLI's key in {} (API key {}, {}) was revoked: {fix}",
            path.display(),
            info.id,
            info.prefix
        ),
        Some(_) => format!(
            "\nthe CLI's key in {} is live in {}: the engine at this URL serves another data dir \
             (set SUTAZAI_DATA_DIR to its data dir, or pass --key)",
            path.display(),
            data_dir_db(config).display()
        ),
        None => format!(
            "\nthe CLI's key in {} is not in this data dir's key store: {fix}",
            path.display()
        ),
    }
}

fn data_dir_db(config: &Config) -> PathBuf {
    config.data_dir.join("sutazai.db")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unspecified_listen_address_is_reached_on_loopback() {
        let any: SocketAddr = "0.0.0.0:10200".parse().unwrap();
        assert_eq!(listen_url(any), "http://127.0.0.1:10200");
        let any6: SocketAddr = "[::]:10200".parse().unwrap();
        assert_eq!(listen_url(any6), "http://[::1]:10200");
        let set: SocketAddr = "127.0.0.2:9".parse().unwrap();
        assert_eq!(listen_url(set), "http://127.0.0.2:9");
    }
}
