//! The engine's security side: who presents a token (API key or agent
//! service token), API keys, the requests each API client may make a
//! minute, and the audit log. A further `impl Engine` block beside the
//! composition root (engine/mod.rs).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tracing::{instrument, warn};

use super::Engine;
use crate::error::EngineError;
use crate::fleet::FleetError;
use crate::orchestrator::OrchestratorError;
use crate::security::audit::{self, AuditEntry, Record};
use crate::security::keys::{self, ApiKeyInfo, CreatedKey};
use crate::security::rate::{self, ClientRate, Limited, RateRefusal};
use crate::security::tokens::{IssueError, Issued};
use crate::security::{Principal, Role};

/// Refused API calls written to the audit log per caller address and
/// minute (after a burst as large): a client that keeps failing is
/// recorded, but cannot fill the log. The rest are counted in the next
/// entry that gets through.
const REFUSALS_AUDITED_PER_MINUTE: u32 = 10;

/// Keeps the audit log of refusals bounded per caller address.
pub(crate) struct RefusalAudit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// Refusals not written since the last one that was, per address.
    dropped: std::sync::Mutex<std::collections::HashMap<IpAddr, u64>>,
}

impl RefusalAudit {
    pub(crate) fn new() -> RefusalAudit {
        let per_minute = NonZeroU32::new(REFUSALS_AUDITED_PER_MINUTE).unwrap_or(NonZeroU32::MIN);
        RefusalAudit {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            dropped: Default::default(),
        }
    }

    /// Whether this refusal from `ip` is written, and how many before it
    /// were not.
    fn admit(&self, ip: IpAddr) -> Option<u64> {
        /// Addresses remembered before the oldest are forgotten.
        const MAX_ADDRESSES: usize = 4096;
        let mut dropped = self.dropped.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.limiter.len() > MAX_ADDRESSES {
            self.limiter.retain_recent();
        }
        if self.limiter.check_key(&ip).is_err() {
            if dropped.len() < MAX_ADDRESSES || dropped.contains_key(&ip) {
                *dropped.entry(ip).or_default() += 1;
            }
            return None;
        }
        Some(dropped.remove(&ip).unwrap_or(0))
    }
}

impl Engine {
    /// Who presents `token`, calling from `from`: an API key or the current
    /// service token of an agent container (one of an earlier container of
    /// the same name is refused).
    pub async fn authenticate(&self, token: &str, from: Option<SocketAddr>) -> Result<Option<Principal>, EngineError> {
        if let Some(container) = self.credentials.agent_container(token) {
            let agent_id = crate::fleet::spec::agent_of_container(&container);
            return Ok(agent_id.map(|agent_id| Principal::Agent {
                agent_id,
                container,
                from,
            }));
        }
        let found = self.keyring.verify(token, self.clock.now_ms()).await?;
        Ok(found.map(|info| Principal::Key {
            id: info.id,
            name: info.name,
            role: info.role,
            from,
        }))
    }

    /// Counts one API request of `client` against its quota
    /// (`api_rate_per_minute`): through, or refused with how long to wait.
    /// Only API keys and agents are limited; the desktop and workflow runs
    /// always get through.
    pub fn admit_request(&self, client: &Principal) -> Result<(), Limited> {
        match rate::client_of(client) {
            Some((kind, id)) => self.rates.check(kind, &id, self.clock.now_ms()),
            None => Ok(()),
        }
    }

    /// Each API client seen lately: its quota and what it made of it, for
    /// the Security view.
    pub fn rate_limits(&self) -> Vec<ClientRate> {
        self.rates.clients(self.clock.now_ms())
    }

    /// API clients going over their quota from now on: at most one a
    /// minute per client.
    pub fn subscribe_rate_refusals(&self) -> tokio::sync::broadcast::Receiver<RateRefusal> {
        self.rates.subscribe()
    }

    /// New service tokens for `container`, as a deploy issues them (tests
    /// and benchmarks run agents outside Docker with these); the earlier
    /// ones are refused from now on.
    pub async fn issue_service_tokens(&self, container: &str) -> Result<Issued, EngineError> {
        self.credentials
            .issue(container, self.clock.now_ms())
            .await
            .map_err(|err| match err {
                IssueError::Store(err) => EngineError::Store(err),
                IssueError::Random(source) => EngineError::DataDir {
                    path: "/dev/urandom".into(),
                    source,
                },
            })
    }

    /// What the hub presents to `container` now (benchmarks call agents
    /// directly with it, as a reference).
    pub fn hub_token_for(&self, container: &str) -> Option<String> {
        self.credentials.hub_token_for(container)
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
        self.audit_action(by, "key.create", &created.info.prefix, "ok", &detail)
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
        self.audit_action(by, "key.revoke", &target, &outcome_of(&revoked), "")
            .await;
        revoked
    }

    /// The newest `limit` entries of the audit log, at most
    /// [`audit::MAX_PAGE`].
    pub async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, EngineError> {
        Ok(audit::recent(&self.store, limit.min(audit::MAX_PAGE)).await?)
    }

    /// Records a control action of `by` (one the engine does not record
    /// itself, such as starting Ollama from the window). Never fails: a
    /// log that cannot be written is logged.
    pub async fn audit_action(&self, by: &Principal, action: &str, target: &str, outcome: &str, detail: &str) {
        self.write_audit(Record {
            at_ms: self.clock.now_ms(),
            actor: by.label(),
            origin: by.origin(),
            action: action.into(),
            target: target.into(),
            outcome: outcome.into(),
            detail: detail.into(),
        })
        .await;
    }

    /// Records an API call refused before it did anything (no or an
    /// unknown token: `who` is `None`; a role that may not: the caller),
    /// at most [`REFUSALS_AUDITED_PER_MINUTE`] a minute per address.
    /// `target` is the request (`POST /v1/keys`), `outcome` why.
    pub async fn audit_refusal(&self, who: Option<&Principal>, from: Option<SocketAddr>, target: &str, outcome: &str) {
        let dropped = match from {
            Some(addr) => match self.refusals.admit(addr.ip()) {
                Some(dropped) => dropped,
                None => {
                    // Past what the log keeps a minute: a burst of refusals.
                    if who.is_none() {
                        self.report(crate::alerts::events::Occurrence::new(
                            crate::alerts::events::EventKind::TokensRefused,
                            Some(&addr.ip().to_string()),
                            format!("more than {REFUSALS_AUDITED_PER_MINUTE} calls a minute with no or an unknown key"),
                        ));
                    }
                    return;
                }
            },
            None => 0,
        };
        let detail = match dropped {
            0 => String::new(),
            n => format!("{n} earlier refusals from this address not written (rate limit)"),
        };
        self.write_audit(Record {
            at_ms: self.clock.now_ms(),
            actor: who.map_or_else(|| "anonymous".into(), Principal::label),
            origin: from.map(|addr| addr.to_string()).unwrap_or_default(),
            action: "api.refused".into(),
            target: target.into(),
            outcome: outcome.into(),
            detail,
        })
        .await;
    }

    async fn write_audit(&self, entry: Record) {
        let action = entry.action.clone();
        if let Err(err) = audit::record(&self.store, entry).await {
            warn!(cause = %err, action, "cannot write the audit log");
        }
    }
}

/// How an audited action ended: `ok`, or `refused: <why>` for a request
/// the engine turned down, `failed: <why>` for one that went wrong.
pub(super) fn outcome_of<T, E: AuditOutcome>(result: &Result<T, E>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(err) if err.is_refusal() => format!("refused: {err}"),
        Err(err) => format!("failed: {err}"),
    }
}

/// Whether an error means the request was turned down (bad input, not
/// allowed, conflict) rather than failed on the way.
pub(super) trait AuditOutcome: std::fmt::Display {
    fn is_refusal(&self) -> bool;
}

impl AuditOutcome for OrchestratorError {
    fn is_refusal(&self) -> bool {
        // Every error of the task and key actions is the engine's answer
        // to the request, as before: `refused`.
        true
    }
}

impl AuditOutcome for FleetError {
    fn is_refusal(&self) -> bool {
        matches!(
            crate::error::ErrorBody::from(self).code,
            crate::error::Code::UnknownAgent | crate::error::Code::InvalidRequest | crate::error::Code::Conflict
        )
    }
}

impl AuditOutcome for crate::llm::models::ModelsError {
    fn is_refusal(&self) -> bool {
        false
    }
}
