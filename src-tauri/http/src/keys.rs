//! `/v1/keys` and `/v1/audit`: API keys and the audit log (admin only).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use schemars::JsonSchema;
use serde::Deserialize;
use sutazai_engine::security::audit::AuditEntry;
use sutazai_engine::security::keys::{ApiKeyInfo, CreatedKey};
use sutazai_engine::security::Role;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{JsonBody, Params};
use crate::Api;

/// A key to make.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    /// 1–64 letters, digits, `-`, `_`, `.` or spaces.
    pub name: String,
    pub role: Role,
}

/// `GET /v1/audit` parameters.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// The newest this many entries (default 100, at most 1000).
    pub limit: Option<u32>,
}

pub async fn list(State(api): State<Api>) -> Result<Json<Vec<ApiKeyInfo>>, ApiError> {
    Ok(Json(api.engine.api_keys().await?))
}

/// Makes a key; the answer is the only time the key is shown.
pub async fn create(
    State(api): State<Api>,
    caller: Caller,
    body: Result<JsonBody<NewKey>, ApiError>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    let NewKey { name, role } = body?.0;
    Ok((
        StatusCode::CREATED,
        Json(api.engine.create_api_key(&name, role, &caller.0).await?),
    ))
}

pub async fn revoke(
    State(api): State<Api>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ApiKeyInfo>, ApiError> {
    let id = id
        .parse()
        .map_err(|_| ApiError::invalid(format!("id: expected a key id (a number), found `{id}`")))?;
    Ok(Json(api.engine.revoke_api_key(id, &caller.0).await?))
}

pub async fn audit(
    State(api): State<Api>,
    params: Result<Params<AuditParams>, ApiError>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let limit = params?.0.limit.unwrap_or(100);
    Ok(Json(api.engine.audit_log(limit).await?))
}
