//! Per-container service credentials, one for each direction, rotated at
//! every (re)deploy of the container:
//!
//! - agent → hub, `sza2.<container>.<epoch>.<mac>`: what the agent presents
//!   to the hub's API (sub-tasks, the LLM gateway);
//! - hub → agent, `szh2.<container>.<epoch>.<mac>`: what the hub presents on
//!   the agent's `POST /task`.
//!
//! `mac` is the first 32 hex digits of HMAC-SHA256(hub secret, direction ‖
//! 0 ‖ container ‖ 0 ‖ epoch), so the hub checks a token (and knows which
//! container presents it) without storing tokens, and can call a container
//! it adopted after a restart. The epoch is 16 random bytes made when the
//! container is created, kept in SQLite ([`Epochs`]) and on the container
//! as a label: a token of an earlier container of the same name no longer
//! matches the epoch in force, so the hub refuses it. One credential never
//! works in the other direction. Containers never see the secret.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use sutazai_protocol::constant_time_eq;

use crate::store::{Store, StoreError};

/// The hub's secret: 32 random bytes, hex, kept in `<data_dir>/hub.secret`
/// (mode 0600), made on first start.
#[derive(Clone)]
pub struct HubSecret(String);

impl std::fmt::Debug for HubSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HubSecret(…)")
    }
}

impl HubSecret {
    /// Reads the secret in `data_dir`, creating it when missing.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<HubSecret> {
        let path = data_dir.join("hub.secret");
        match std::fs::read_to_string(&path) {
            Ok(text) if text.trim().len() >= 32 => return Ok(HubSecret(text.trim().to_string())),
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(err),
        }
        let secret = random_hex(32)?;
        let tmp = data_dir.join("hub.secret.tmp");
        {
            use std::io::Write;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&tmp)?;
            file.write_all(secret.as_bytes())?;
            file.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        Ok(HubSecret(secret))
    }

    /// A fixed secret (tests and benchmarks).
    pub fn from_text(text: &str) -> HubSecret {
        HubSecret(text.to_string())
    }

    /// What the agent in `container` presents to the hub.
    pub fn agent_token(&self, container: &str, epoch: &str) -> String {
        format!(
            "{AGENT_TO_HUB}.{container}.{epoch}.{}",
            self.mac(AGENT_TO_HUB, container, epoch)
        )
    }

    /// What the hub presents to the agent in `container`.
    pub fn hub_token(&self, container: &str, epoch: &str) -> String {
        format!(
            "{HUB_TO_AGENT}.{container}.{epoch}.{}",
            self.mac(HUB_TO_AGENT, container, epoch)
        )
    }

    /// The container and epoch of a genuine agent → hub token (whether that
    /// epoch is still the container's is [`Epochs`]' to say).
    pub fn verify_agent_token(&self, token: &str) -> Option<(String, String)> {
        let rest = token.strip_prefix(AGENT_TO_HUB)?.strip_prefix('.')?;
        let (rest, mac) = rest.rsplit_once('.')?;
        let (container, epoch) = rest.rsplit_once('.')?;
        let expected = self.mac(AGENT_TO_HUB, container, epoch);
        constant_time_eq(expected.as_bytes(), mac.as_bytes()).then(|| (container.to_string(), epoch.to_string()))
    }

    fn mac(&self, direction: &str, container: &str, epoch: &str) -> String {
        // HMAC takes a key of any length; this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.0.as_bytes()) else {
            return String::new();
        };
        for part in [direction, container, epoch] {
            mac.update(part.as_bytes());
            mac.update(&[0]);
        }
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

/// The prefix (and HMAC domain) of agent → hub tokens.
const AGENT_TO_HUB: &str = "sza2";
/// The prefix (and HMAC domain) of hub → agent tokens.
const HUB_TO_AGENT: &str = "szh2";

/// Both halves of the agents' credentials: the secret that derives tokens
/// and the epochs in force. Cheap to clone.
#[derive(Clone)]
pub struct Credentials {
    pub secret: HubSecret,
    pub epochs: Epochs,
}

/// A new container's tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    pub epoch: String,
    /// What the agent presents to the hub.
    pub agent_token: String,
    /// What the agent requires of the hub.
    pub hub_token: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(…)")
    }
}

impl Credentials {
    /// New tokens for `container`; any earlier ones are refused from now on.
    pub async fn issue(&self, container: &str, at_ms: i64) -> Result<Issued, IssueError> {
        let epoch = self.epochs.issue(container, at_ms).await?;
        Ok(Issued {
            agent_token: self.secret.agent_token(container, &epoch),
            hub_token: self.secret.hub_token(container, &epoch),
            epoch,
        })
    }

    /// The hub → agent token of `container`'s epoch in force.
    pub fn hub_token_for(&self, container: &str) -> Option<String> {
        let epoch = self.epochs.lock().get(container).cloned()?;
        Some(self.secret.hub_token(container, &epoch))
    }

    /// The container whose current agent → hub token `token` is.
    pub fn agent_container(&self, token: &str) -> Option<String> {
        let (container, epoch) = self.secret.verify_agent_token(token)?;
        self.epochs.is_current(&container, &epoch).then_some(container)
    }
}

/// Why no epoch could be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("cannot read random bytes for a service token: {0}")]
    Random(std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The epoch in force for each agent container: issued when the fleet
/// creates one, committed to SQLite (`service_epochs`) before the
/// container gets its tokens, and read at every check of an agent's token.
#[derive(Clone)]
pub struct Epochs {
    store: Store,
    current: Arc<Mutex<HashMap<String, String>>>,
}

impl Epochs {
    /// The epochs the store holds.
    pub async fn load(store: Store) -> Result<Epochs, StoreError> {
        let rows: Vec<(String, String)> = store
            .call(|conn| {
                let mut stmt = conn.prepare("SELECT container, epoch FROM service_epochs")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect()
            })
            .await?;
        Ok(Epochs {
            store,
            current: Arc::new(Mutex::new(rows.into_iter().collect())),
        })
    }

    /// A new epoch for `container`, in force once this returns: every token
    /// of its earlier epochs is refused from then on.
    pub async fn issue(&self, container: &str, at_ms: i64) -> Result<String, IssueError> {
        let epoch = random_hex(16).map_err(IssueError::Random)?;
        let row = (container.to_string(), epoch.clone());
        self.store
            .call(move |conn| {
                conn.execute(
                    "INSERT INTO service_epochs (container, epoch, issued_ms) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (container) DO UPDATE SET epoch = excluded.epoch, issued_ms = excluded.issued_ms",
                    (&row.0, &row.1, at_ms),
                )
                .map(drop)
            })
            .await?;
        self.lock().insert(container.to_string(), epoch.clone());
        Ok(epoch)
    }

    /// Whether `epoch` is the one in force for `container`.
    pub fn is_current(&self, container: &str, epoch: &str) -> bool {
        self.lock()
            .get(container)
            .is_some_and(|current| constant_time_eq(current.as_bytes(), epoch.as_bytes()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `n` random bytes from the OS, as hex.
pub fn random_hex(n: usize) -> std::io::Result<String> {
    let mut bytes = vec![0u8; n];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_name_their_container_and_epoch_and_work_one_way_only() {
        let secret = HubSecret::from_text("0123456789abcdef0123456789abcdef");
        let token = secret.agent_token("sutazai-ag-017", "e1");
        let parsed = secret.verify_agent_token(&token);
        assert_eq!(parsed, Some(("sutazai-ag-017".into(), "e1".into())));
        let refused = [
            (
                "another container's name with this mac",
                token.replace("ag-017", "ag-001"),
            ),
            ("another epoch with this mac", token.replace(".e1.", ".e2.")),
            (
                "the hub's token for the same container",
                secret.hub_token("sutazai-ag-017", "e1"),
            ),
            (
                "a token of another secret",
                HubSecret::from_text("another secret of at least 32 chars!").agent_token("sutazai-ag-017", "e1"),
            ),
            (
                "the old format",
                "sza1.sutazai-ag-017.00000000000000000000000000000000".into(),
            ),
            ("no dots", "sza2.nodot".into()),
            ("nothing", String::new()),
        ];
        for (what, token) in refused {
            assert_eq!(secret.verify_agent_token(&token), None, "{what}");
        }
        assert_ne!(secret.hub_token("c", "e1"), secret.hub_token("c", "e2"));
    }

    #[tokio::test]
    async fn a_new_epoch_retires_the_old_one_and_survives_a_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("db")).expect("store");
        let epochs = Epochs::load(store.clone()).await.expect("load");
        let first = epochs.issue("sutazai-ag-001", 1).await.expect("issue");
        assert!(epochs.is_current("sutazai-ag-001", &first));
        let second = epochs.issue("sutazai-ag-001", 2).await.expect("issue");
        assert_ne!(first, second);
        assert!(!epochs.is_current("sutazai-ag-001", &first));
        assert!(!epochs.is_current("sutazai-ag-002", &second));
        let reloaded = Epochs::load(store).await.expect("reload");
        assert!(reloaded.is_current("sutazai-ag-001", &second));
        assert!(!reloaded.is_current("sutazai-ag-001", &first));
    }

    #[test]
    fn the_secret_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = HubSecret::load_or_create(dir.path()).expect("create");
        let again = HubSecret::load_or_create(dir.path()).expect("read");
        assert_eq!(first.agent_token("c", "e"), again.agent_token("c", "e"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("hub.secret"))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
