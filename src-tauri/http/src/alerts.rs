//! `/v1/alerts` and `/v1/alert-rules`: the alerts kept (search,
//! acknowledge, silence) and the rules (read, replace, reset);
//! `/v1/containers/audit`, the CIS §5 audit of every container; and
//! `/v1/audit/export`, the audit log as CSV.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use schemars::JsonSchema;
use serde::Deserialize;
use sutazai_engine::alerts::model::{Alert, AlertNotice, AlertQuery, AlertRules, Silence};
use sutazai_engine::alerts::rules::Rule;
use sutazai_engine::security::container_audit::ContainerAudit;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{JsonBody, Params};
use crate::keys::AuditParams;
use crate::Api;

/// The CSV's media type.
pub const CSV: &str = "text/csv; charset=utf-8";

/// A silence to set.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewSilence {
    /// The alert's fingerprint (`agent_died:AG-001`).
    pub fingerprint: String,
    /// How long, 1 to 10080 minutes (a week).
    pub minutes: u32,
}

fn alert_id(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::invalid(format!("id: expected an alert id (a number), found `{id}`")))
}

pub async fn list(
    State(api): State<Api>,
    params: Result<Params<AlertQuery>, ApiError>,
) -> Result<Json<Vec<Alert>>, ApiError> {
    let Params(query) = params?;
    Ok(Json(api.engine.alerts(query).await?))
}

pub async fn ack(State(api): State<Api>, caller: Caller, Path(id): Path<String>) -> Result<Json<Alert>, ApiError> {
    let id = alert_id(&id)?;
    match api.engine.ack_alert(id, &caller.0).await? {
        Some(alert) => Ok(Json(alert)),
        None => Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            crate::error::ApiCode::Engine(sutazai_engine::Code::NotFound),
            format!("no alert {id}"),
        )),
    }
}

pub async fn silence(
    State(api): State<Api>,
    caller: Caller,
    body: Result<JsonBody<NewSilence>, ApiError>,
) -> Result<Json<Silence>, ApiError> {
    let NewSilence { fingerprint, minutes } = body?.0;
    Ok(Json(api.engine.silence_alert(&fingerprint, minutes, &caller.0).await?))
}

pub async fn rules(State(api): State<Api>) -> Json<AlertRules> {
    Json(AlertRules {
        rules: api.engine.alert_rules().as_ref().clone(),
        defaults: api.engine.default_alert_rules(),
    })
}

pub async fn set_rule(
    State(api): State<Api>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<JsonBody<Rule>, ApiError>,
) -> Result<Json<Rule>, ApiError> {
    let rule = body?.0;
    if rule.id != id {
        return Err(ApiError::invalid(format!(
            "id: the path names `{id}`, the body `{}`",
            rule.id
        )));
    }
    Ok(Json(api.engine.set_alert_rule(rule, &caller.0).await?))
}

pub async fn reset_rule(
    State(api): State<Api>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Rule>, ApiError> {
    Ok(Json(api.engine.reset_alert_rule(&id, &caller.0).await?))
}

pub async fn containers(State(api): State<Api>) -> Result<Json<Vec<ContainerAudit>>, ApiError> {
    Ok(Json(api.engine.audit_containers().await?))
}

pub async fn audit_csv(
    State(api): State<Api>,
    params: Result<Params<AuditParams>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let limit = params?.0.limit.unwrap_or(1000);
    let entries = api.engine.audit_log(limit).await?;
    Ok((
        [
            (header::CONTENT_TYPE, CSV),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"audit-log.csv\""),
        ],
        sutazai_engine::security::audit::to_csv(&entries),
    ))
}

/// `?limit=` of the notifications sent.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeParams {
    /// The newest this many (default 100, at most 1000).
    pub limit: Option<u32>,
}

pub async fn silences(State(api): State<Api>) -> Result<Json<Vec<Silence>>, ApiError> {
    Ok(Json(api.engine.alert_silences().await?))
}

/// Ends the silence of a fingerprint; 404 when there was none.
pub async fn unsilence(
    State(api): State<Api>,
    caller: Caller,
    Path(fingerprint): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if api.engine.unsilence_alert(&fingerprint, &caller.0).await? {
        Ok(Json(serde_json::json!({ "fingerprint": fingerprint })))
    } else {
        Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            crate::error::ApiCode::Engine(sutazai_engine::Code::NotFound),
            format!("fingerprint: `{fingerprint}` is not silenced"),
        ))
    }
}

pub async fn notices(
    State(api): State<Api>,
    params: Result<Params<NoticeParams>, ApiError>,
) -> Result<Json<Vec<AlertNotice>>, ApiError> {
    let limit = params?.0.limit.unwrap_or(100).min(1000);
    Ok(Json(api.engine.alert_notices(limit).await?))
}
