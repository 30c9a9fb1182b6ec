//! What a refused request gets back: an HTTP status and
//! `{"error": {"code": "...", "message": "..."}}`. An input the threat gate
//! holds is not refused yet: 202 and `{"status": "held", "threatId": 7,
//! "message": "..."}`.
//!
//! The code is the engine's [`Code`] (the same one the desktop UI decides
//! by) or one of the few that only HTTP has ([`HttpCode`]). A message about
//! one field starts with that field's name (`priority: ...`), as the
//! engine's own messages do. Internal failures (the store, the data dir) are
//! logged here and reach the client only as their code and a fixed sentence.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sutazai_engine::error::{Code, Coded, ErrorBody};

/// Codes that exist only at the HTTP boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HttpCode {
    /// The body is larger than the limit (1 MiB).
    PayloadTooLarge,
    /// The body is not sent as `application/json`.
    UnsupportedMediaType,
    /// The request took longer than the server allows.
    Timeout,
    /// No such endpoint.
    NoRoute,
    /// Too many failed authentications from the caller's address.
    TooManyRequests,
    /// The caller's API key or agent made more requests this minute than
    /// `api_rate_per_minute` allows.
    RateLimited,
    /// The endpoint exists but not with this method.
    MethodNotAllowed,
}

/// The `code` of an error body: the engine's, or one of HTTP's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ApiCode {
    Engine(Code),
    Http(HttpCode),
}

/// A refused request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ApiCode,
    pub message: String,
    /// The threat an input is held as: the answer is 202 naming it.
    pub held_threat: Option<i64>,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
    code: ApiCode,
    message: &'a str,
}

/// The answer for an input the threat gate holds.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Held<'a> {
    /// Always `held`.
    status: &'static str,
    threat_id: i64,
    message: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ApiCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            held_threat: None,
        }
    }

    /// A bad value; `message` starts with the field's name.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::BAD_REQUEST, ApiCode::Engine(Code::InvalidRequest), message)
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::UNAUTHORIZED, ApiCode::Engine(Code::Unauthorized), message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        Self::new(StatusCode::FORBIDDEN, ApiCode::Engine(Code::Forbidden), message)
    }

    pub fn http(status: StatusCode, code: HttpCode, message: impl Into<String>) -> ApiError {
        Self::new(status, ApiCode::Http(code), message)
    }

    /// From the engine's classification: the status follows the code, and
    /// internal failures keep their details in the log.
    pub fn from_body(body: ErrorBody) -> ApiError {
        let status = match body.code {
            Code::InvalidRequest => StatusCode::BAD_REQUEST,
            Code::InvalidWorkflow => StatusCode::UNPROCESSABLE_ENTITY,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::Conflict => StatusCode::CONFLICT,
            Code::Forbidden => StatusCode::FORBIDDEN,
            Code::Unauthorized => StatusCode::UNAUTHORIZED,
            Code::UnknownAgent => StatusCode::UNPROCESSABLE_ENTITY,
            // Understood, and refused for what it says.
            Code::ThreatBlocked => StatusCode::UNPROCESSABLE_ENTITY,
            // Not done, not refused: waiting for a person.
            Code::InputHeld => StatusCode::ACCEPTED,
            Code::DockerMissing
            | Code::DockerRefused
            | Code::DockerTimeout
            | Code::DockerError
            | Code::OllamaUnreachable
            | Code::OllamaTimeout
            | Code::OllamaError => StatusCode::SERVICE_UNAVAILABLE,
            Code::DataDir
            | Code::Store
            | Code::Catalog
            | Code::EngineUnavailable
            | Code::AgentImage
            | Code::ProgramStart => {
                tracing::error!(code = ?body.code, cause = %body.message, "internal error in an API request");
                return Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ApiCode::Engine(body.code),
                    "internal error; the app's log has the details",
                );
            }
        };
        Self::new(status, ApiCode::Engine(body.code), body.message)
    }

    /// A JSON body that axum could not read.
    pub fn from_json_rejection(rejection: JsonRejection) -> ApiError {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::http(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                HttpCode::UnsupportedMediaType,
                "expected a JSON body with `Content-Type: application/json`",
            ),
            JsonRejection::BytesRejection(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => Self::http(
                StatusCode::PAYLOAD_TOO_LARGE,
                HttpCode::PayloadTooLarge,
                format!("the body is larger than {} bytes", crate::BODY_LIMIT),
            ),
            other => Self::invalid(format!("the body is not valid JSON: {}", root_cause(&other))),
        }
    }

    /// A query string that does not fit the endpoint's parameters.
    pub fn from_query_rejection(rejection: QueryRejection) -> ApiError {
        Self::invalid(root_cause(&rejection))
    }
}

/// The innermost error's text: serde's own words, without axum's prefixes.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Every engine error that knows its code.
impl<E: Coded> From<E> for ApiError {
    fn from(err: E) -> Self {
        let held_threat = err.held_threat();
        ApiError {
            held_threat,
            ..Self::from_body((&err).into())
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(threat_id) = self.held_threat {
            let body = Held {
                status: "held",
                threat_id,
                message: &self.message,
            };
            let mut response = (self.status, axum::Json(body)).into_response();
            response.extensions_mut().insert(self);
            return response;
        }
        let body = Envelope {
            error: Inner {
                code: self.code,
                message: &self.message,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // For the door, which audits refusals with their reason.
        response.extensions_mut().insert(self);
        response
    }
}
