//! The engine's security side: who presents a token (API key or agent
//! service token), API keys, and the audit log. A further `impl Engine`
//! block next to engine.rs.

use tracing::{instrument, warn};

use super::{outcome_of, Engine};
use crate::error::EngineError;
use crate::orchestrator::OrchestratorError;
use crate::security::audit::{self, AuditEntry};
use crate::security::keys::{self, ApiKeyInfo, CreatedKey};
use crate::security::{Principal, Role};

impl Engine {
    /// Who presents `token`: an API key or an agent's service token.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Principal>, EngineError> {
        if let Some(container) = self.secret.verify(token) {
            let agent_id = crate::fleet::spec::agent_of_container(&container);
            return Ok(agent_id.map(|agent_id| Principal::Agent { agent_id, container }));
        }
        let found = self.keyring.verify(token, self.clock.now_ms()).await?;
        Ok(found.map(|info| Principal::Key {
            id: info.id,
            name: info.name,
            role: info.role,
        }))
    }

    pub async fn api_keys(&self) -> Result<Vec<ApiKeyInfo>, EngineError> {
        Ok(keys::list(&self.store).await?)
    }

    /// Makes an API key; the only time the key itself is seen.
    #[instrument(skip_all, err, fields(by = %by.label(), name))]
    pub async fn create_api_key(
        &self,
        name: &str,
        role: Role,
        by: &Principal,
    ) -> Result<CreatedKey, OrchestratorError> {
        keys::check_name(name).map_err(OrchestratorError::Invalid)?;
        let created = keys::create(&self.store, name, role, &by.label(), self.clock.now_ms()).await?;
        let detail = format!("role {}", role.as_str());
        self.audit_with(by, "key.create", &created.info.prefix, "ok", &detail)
            .await;
        Ok(created)
    }

    #[instrument(skip_all, err, fields(by = %by.label(), id))]
    pub async fn revoke_api_key(&self, id: i64, by: &Principal) -> Result<ApiKeyInfo, OrchestratorError> {
        let revoked = keys::revoke(&self.store, id, self.clock.now_ms())
            .await?
            .ok_or_else(|| OrchestratorError::NotFound(format!("no API key {id}")));
        self.keyring.forget_all();
        let target = revoked
            .as_ref()
            .map(|k| k.prefix.clone())
            .unwrap_or_else(|_| id.to_string());
        self.audit(by, "key.revoke", &target, &outcome_of(&revoked)).await;
        revoked
    }

    /// The newest entries of the audit log.
    pub async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, EngineError> {
        Ok(audit::recent(&self.store, limit).await?)
    }

    async fn audit(&self, by: &Principal, action: &str, target: &str, outcome: &str) {
        self.audit_with(by, action, target, outcome, "").await;
    }

    async fn audit_with(&self, by: &Principal, action: &str, target: &str, outcome: &str, detail: &str) {
        let at = self.clock.now_ms();
        if let Err(err) = audit::record(&self.store, at, &by.label(), action, target, outcome, detail).await {
            warn!(cause = %err, action, "cannot write the audit log");
        }
    }
}
