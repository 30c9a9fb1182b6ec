//! Whole workflows: the shipped templates, a new workflow (empty, from a
//! template or a copy of another) and a rename. Import and export are the
//! window's (a file the person picks); over HTTP they are `GET` and
//! `POST /v1/workflows`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sutazai_engine::workflow::files::{Naming, Template};
use sutazai_engine::workflow::model::Workflow;
use sutazai_engine::workflow::SavedVersion;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::Api;

pub async fn templates(State(api): State<Api>) -> Json<Vec<Template>> {
    Json(api.engine.workflow_templates())
}

/// A new workflow; 409 when its id is taken.
pub async fn create(
    State(api): State<Api>,
    caller: Caller,
    body: Result<JsonBody<Workflow>, ApiError>,
) -> Result<(StatusCode, Json<SavedVersion>), ApiError> {
    let saved = api.engine.create_workflow(&body?.0, &caller.0).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

pub async fn from_template(
    State(api): State<Api>,
    caller: Caller,
    Path(template): Path<String>,
    body: Result<JsonBody<Naming>, ApiError>,
) -> Result<(StatusCode, Json<SavedVersion>), ApiError> {
    let saved = api.engine.create_from_template(&template, &body?.0, &caller.0).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

pub async fn copy(
    State(api): State<Api>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<JsonBody<Naming>, ApiError>,
) -> Result<(StatusCode, Json<SavedVersion>), ApiError> {
    let saved = api.engine.duplicate_workflow(&id, &body?.0, &caller.0).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

pub async fn rename(
    State(api): State<Api>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<JsonBody<Naming>, ApiError>,
) -> Result<Json<SavedVersion>, ApiError> {
    Ok(Json(api.engine.rename_workflow(&id, &body?.0, &caller.0).await?))
}
