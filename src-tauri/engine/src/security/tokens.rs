//! Per-agent service tokens. Each agent container gets a token derived from
//! the hub's secret and the container's name, so the hub can check a token
//! (and knows which container presents it) without storing one per
//! container, and can call a container it adopted after a restart.
//!
//! Format: `sza1.<container>.<mac>` where `mac` is the first 32 hex digits of
//! SHA-256(secret ‖ 0x00 ‖ container). Containers never see the secret.

use std::path::Path;

use sha2::{Digest, Sha256};

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

    /// The token of one container.
    pub fn token_for(&self, container: &str) -> String {
        format!("sza1.{container}.{}", self.mac(container))
    }

    /// The container a token belongs to, when the token is genuine.
    pub fn verify(&self, token: &str) -> Option<String> {
        let rest = token.strip_prefix("sza1.")?;
        let (container, mac) = rest.rsplit_once('.')?;
        let expected = self.mac(container);
        constant_time_eq(expected.as_bytes(), mac.as_bytes()).then(|| container.to_string())
    }

    fn mac(&self, container: &str) -> String {
        let mut hash = Sha256::new();
        hash.update(self.0.as_bytes());
        hash.update([0u8]);
        hash.update(container.as_bytes());
        hex::encode(&hash.finalize()[..16])
    }
}

/// `n` random bytes from the OS, as hex.
pub fn random_hex(n: usize) -> std::io::Result<String> {
    let mut bytes = vec![0u8; n];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut bytes)?;
    Ok(hex::encode(bytes))
}

/// Compares without an early exit, so timing says nothing about a secret.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_container_and_cannot_be_forged() {
        let secret = HubSecret::from_text("0123456789abcdef0123456789abcdef");
        let token = secret.token_for("sutazai-ag-017");
        assert_eq!(secret.verify(&token).as_deref(), Some("sutazai-ag-017"));
        let forged = token.replace("ag-017", "ag-001");
        assert_eq!(secret.verify(&forged), None, "another container's name with this mac");
        let other = HubSecret::from_text("another secret of at least 32 chars!");
        assert_eq!(other.verify(&token), None);
        assert_eq!(secret.verify("sza1.nodot"), None);
        assert_eq!(secret.verify(""), None);
    }

    #[test]
    fn the_secret_is_made_once_and_kept_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = HubSecret::load_or_create(dir.path()).expect("create");
        let again = HubSecret::load_or_create(dir.path()).expect("read");
        assert_eq!(first.token_for("c"), again.token_for("c"));
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
