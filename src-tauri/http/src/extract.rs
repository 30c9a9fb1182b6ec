//! Bodies and query strings read with errors that name the field.

use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::Json;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body of type `T`. Syntax errors, a wrong content type and the
/// size limit are axum's checks; the shape is checked here with the path of
/// the offending field (`priority: invalid type: string "high", expected u8`).
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let Json(value) = Json::<serde_json::Value>::from_request(req, state)
            .await
            .map_err(ApiError::from_json_rejection)?;
        decode(value).map(JsonBody)
    }
}

/// `value` as a `T`; the error names the field.
pub fn decode<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|err| ApiError::invalid(err.to_string()))
}

/// An optional JSON body: the default `T` when the body is empty.
pub fn body_or_default<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|err| ApiError::invalid(format!("the body is not JSON: {err}")))?;
    decode(value)
}

/// Query parameters of type `T`; a bad one is a 400 that names it.
#[derive(Debug)]
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Query::try_from_uri(&parts.uri)
            .map(|Query(params)| Params(params))
            .map_err(ApiError::from_query_rejection)
    }
}
