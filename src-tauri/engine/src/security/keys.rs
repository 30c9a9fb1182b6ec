//! API keys for the local API: made here, shown once, kept only as a
//! SHA-256 hash with a short prefix so people can tell keys apart.
//! Format: `sk_<prefix 8 hex>_<secret 40 hex>`.

use rusqlite::OptionalExtension;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use ts_rs::TS;

use super::tokens::random_hex;
use super::Role;
use crate::store::{Store, StoreError};

/// A key as listed (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyInfo {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// The key's first characters, `sk_1a2b3c4d`.
    pub prefix: String,
    #[ts(type = "number")]
    pub created_ms: i64,
    pub created_by: String,
    #[ts(type = "number | null")]
    pub revoked_ms: Option<i64>,
    #[ts(type = "number | null")]
    pub last_used_ms: Option<i64>,
}

/// A new key: the only time the key is seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedKey {
    pub key: String,
    pub info: ApiKeyInfo,
}

/// A key name: 1–64 letters, digits, `-`, `_`, `.` or spaces.
pub fn check_name(name: &str) -> Result<(), String> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.len() > 64 {
        return Err("a key name has 1 to 64 characters".into());
    }
    if !trimmed
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '))
    {
        return Err(format!(
            "a key name may hold letters, digits, '-', '_', '.' and spaces, not `{trimmed}`"
        ));
    }
    Ok(())
}

fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn info_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ApiKeyInfo> {
    let role: String = row.get(2)?;
    Ok(ApiKeyInfo {
        id: row.get(0)?,
        name: row.get(1)?,
        role: Role::parse(&role).unwrap_or(Role::Guest),
        prefix: row.get(3)?,
        created_ms: row.get(4)?,
        created_by: row.get(5)?,
        revoked_ms: row.get(6)?,
        last_used_ms: row.get(7)?,
    })
}

const COLUMNS: &str = "id, name, role, prefix, created_ms, created_by, revoked_ms, last_used_ms";

/// Makes a key; the caller shows `key` once.
pub async fn create(
    store: &Store,
    name: &str,
    role: Role,
    created_by: &str,
    now_ms: i64,
) -> Result<CreatedKey, StoreError> {
    let prefix = random_hex(4).map_err(StoreError::Thread)?;
    let secret = random_hex(20).map_err(StoreError::Thread)?;
    let key = format!("sk_{prefix}_{secret}");
    let (name, created_by, digest, shown) = (
        name.trim().to_string(),
        created_by.to_string(),
        hash(&key),
        format!("sk_{prefix}"),
    );
    let info = store
        .call(move |conn| {
            conn.execute(
                "INSERT INTO api_keys (name, role, prefix, hash, created_ms, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                (&name, role.as_str(), &shown, &digest, now_ms, &created_by),
            )?;
            let id = conn.last_insert_rowid();
            conn.query_row(&format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1"), [id], info_from_row)
        })
        .await?;
    Ok(CreatedKey { key, info })
}

/// Every key, newest first (revoked ones too).
pub async fn list(store: &Store) -> Result<Vec<ApiKeyInfo>, StoreError> {
    store
        .read(|conn| {
            let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM api_keys ORDER BY id DESC"))?;
            let rows = stmt.query_map([], info_from_row)?;
            rows.collect()
        })
        .await
}

/// Revokes a key; `None` when there is no such key.
pub async fn revoke(store: &Store, id: i64, now_ms: i64) -> Result<Option<ApiKeyInfo>, StoreError> {
    store
        .call(move |conn| {
            conn.execute(
                "UPDATE api_keys SET revoked_ms = COALESCE(revoked_ms, ?1) WHERE id = ?2",
                (now_ms, id),
            )?;
            conn.query_row(
                &format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1"),
                [id],
                info_from_row,
            )
            .optional()
        })
        .await
}

/// The live key a presented key matches, if any; records its use.
pub async fn verify(store: &Store, presented: &str, now_ms: i64) -> Result<Option<ApiKeyInfo>, StoreError> {
    if !presented.starts_with("sk_") {
        return Ok(None);
    }
    let digest = hash(presented);
    store
        .call(move |conn| {
            let found = conn
                .query_row(
                    &format!("SELECT {COLUMNS} FROM api_keys WHERE hash = ?1 AND revoked_ms IS NULL"),
                    [&digest],
                    info_from_row,
                )
                .optional()?;
            if let Some(info) = &found {
                conn.execute("UPDATE api_keys SET last_used_ms = ?1 WHERE id = ?2", (now_ms, info.id))?;
            }
            Ok(found)
        })
        .await
}

/// Live keys recently checked, so a busy API client costs no database
/// round trip per request. An entry is trusted for [`Keyring::TRUST`]; a
/// revocation through the engine clears the cache at once, one made by
/// another process (the headless CLI) takes effect within that time.
#[derive(Debug)]
pub struct Keyring {
    store: Store,
    recent: std::sync::Mutex<std::collections::HashMap<String, (ApiKeyInfo, tokio::time::Instant)>>,
}

impl Keyring {
    pub const TRUST: std::time::Duration = std::time::Duration::from_secs(2);
    /// At most this many keys are remembered.
    const CAPACITY: usize = 1024;

    pub fn new(store: Store) -> Keyring {
        Keyring {
            store,
            recent: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// Like [`verify`], from memory when the key was checked recently.
    pub async fn verify(&self, presented: &str, now_ms: i64) -> Result<Option<ApiKeyInfo>, StoreError> {
        if !presented.starts_with("sk_") {
            return Ok(None);
        }
        let digest = hash(presented);
        {
            let recent = self.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((info, at)) = recent.get(&digest) {
                if at.elapsed() < Self::TRUST {
                    return Ok(Some(info.clone()));
                }
            }
        }
        let found = verify(&self.store, presented, now_ms).await?;
        let mut recent = self.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match &found {
            Some(info) => {
                if recent.len() >= Self::CAPACITY {
                    recent.clear();
                }
                recent.insert(digest, (info.clone(), tokio::time::Instant::now()));
            }
            None => {
                recent.remove(&digest);
            }
        }
        Ok(found)
    }

    /// Forgets every remembered key (after a revocation).
    pub fn forget_all(&self) {
        self.recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_key_works_until_revoked_and_only_its_hash_is_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("s.db")).expect("store");
        let created = create(&store, "ci bot", Role::Operator, "desktop", 1_000)
            .await
            .expect("create");
        assert!(created.key.starts_with(&created.info.prefix));
        let found = verify(&store, &created.key, 2_000)
            .await
            .expect("verify")
            .expect("live key");
        assert_eq!((found.role, found.name.as_str()), (Role::Operator, "ci bot"));
        assert_eq!(verify(&store, "sk_00000000_nope", 2_000).await.expect("verify"), None);
        let stored: String = store
            .call(|c| c.query_row("SELECT group_concat(prefix || hash) FROM api_keys", [], |r| r.get(0)))
            .await
            .expect("read");
        assert!(!stored.contains(&created.key[12..]), "the secret part is not stored");
        let revoked = revoke(&store, created.info.id, 3_000)
            .await
            .expect("revoke")
            .expect("exists");
        assert_eq!(revoked.revoked_ms, Some(3_000));
        assert_eq!(verify(&store, &created.key, 4_000).await.expect("verify"), None);
        assert_eq!(list(&store).await.expect("list")[0].last_used_ms, Some(2_000));
    }

    /// A keyring that has checked a live key, which the store has revoked
    /// since (behind the keyring's back).
    async fn checked_then_revoked() -> (tempfile::TempDir, Keyring, CreatedKey) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("s.db")).expect("store");
        let keyring = Keyring::new(store.clone());
        let created = create(&store, "bot", Role::Analyst, "desktop", 1_000)
            .await
            .expect("create");
        assert!(keyring.verify(&created.key, 2_000).await.expect("verify").is_some());
        revoke(&store, created.info.id, 3_000).await.expect("revoke");
        (dir, keyring, created)
    }

    #[tokio::test]
    async fn the_keyring_remembers_live_keys_and_forgets_them_on_demand() {
        let (_dir, keyring, created) = checked_then_revoked().await;
        assert!(
            keyring.verify(&created.key, 4_000).await.expect("verify").is_some(),
            "trusted from memory for a moment"
        );
        keyring.forget_all();
        assert_eq!(keyring.verify(&created.key, 5_000).await.expect("verify"), None);
    }

    /// A key revoked by another process (the headless CLI) is trusted from
    /// memory for [`Keyring::TRUST`] at most. On tokio's paused clock: no
    /// timer is pending while the store answers, so time moves only when
    /// the test advances it.
    #[tokio::test(start_paused = true)]
    async fn a_key_revoked_elsewhere_stops_working_within_the_trust_time() {
        let (_dir, keyring, created) = checked_then_revoked().await;
        tokio::time::advance(Keyring::TRUST - std::time::Duration::from_millis(1)).await;
        assert!(keyring.verify(&created.key, 4_000).await.expect("verify").is_some());
        tokio::time::advance(std::time::Duration::from_millis(1)).await;
        assert_eq!(keyring.verify(&created.key, 5_000).await.expect("verify"), None);
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("ci-bot 2").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a/b").is_err());
        assert!(check_name(&"x".repeat(65)).is_err());
    }
}
