//! The door every request passes before its handler runs, so nothing of
//! an unauthenticated request's body is read: the bearer token is resolved
//! into the [`Caller`], the endpoint's actions (from the route table) are
//! checked against the caller's role, an address with too many failed
//! authentications gets 429 without any token check, an API key or agent
//! past its requests a minute gets 429 (`rate_limited`), and on the
//! agents' surface (the listener on Docker's bridge) only agents' service
//! tokens get through. Refusals (401, 403, 404 on the agents' surface,
//! 429) go to the audit log, which the engine keeps bounded per address
//! (and to one a minute per client for `rate_limited`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sutazai_engine::security::rate::Limited;
use sutazai_engine::security::{Action, Principal};

use crate::auth::Caller;
use crate::error::{ApiError, HttpCode};
use crate::Api;

/// Failed authentications one address may make a minute (a burst as large
/// first); beyond, its requests get 429 until the quota refills.
pub const FAILED_AUTH_PER_MINUTE: u32 = 10;

/// Which endpoints a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// Every endpoint, to every valid token (the loopback listener).
    Full,
    /// Only what agents need (health, sub-task submits, the LLM gateway),
    /// only to agents' service tokens; everything else is 404 (the listener
    /// on Docker's bridge, which every container on the host can reach).
    Agents,
}

/// What the door needs of one endpoint: its actions, from the route table.
#[derive(Clone)]
pub struct Door {
    pub api: Api,
    pub surface: Surface,
    /// The caller's role must allow one of these.
    pub actions: &'static [Action],
}

/// Failed authentications per address.
pub struct FailedAuth {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// The limiter's clock, to say how long an address must wait.
    clock: governor::clock::DefaultClock,
    /// Addresses that used up their quota, and until when they are refused.
    blocked: Mutex<HashMap<IpAddr, Instant>>,
}

impl Default for FailedAuth {
    fn default() -> Self {
        let per_minute = NonZeroU32::new(FAILED_AUTH_PER_MINUTE).unwrap_or(NonZeroU32::MIN);
        FailedAuth {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            clock: governor::clock::DefaultClock::default(),
            blocked: Mutex::default(),
        }
    }
}

impl FailedAuth {
    /// How long `ip` is still refused, if it is.
    fn blocked_for(&self, ip: IpAddr) -> Option<Duration> {
        let mut blocked = self.blocked.lock().unwrap_or_else(PoisonError::into_inner);
        let until = *blocked.get(&ip)?;
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            blocked.remove(&ip);
            return None;
        }
        Some(left)
    }

    /// Counts a failure of `ip`. Over its quota, it is refused until the
    /// quota has room again: how long, then.
    fn failed(&self, ip: IpAddr) -> Option<Duration> {
        if self.limiter.len() > 4096 {
            self.limiter.retain_recent();
        }
        let not_until = self.limiter.check_key(&ip).err()?;
        let wait = not_until
            .wait_time_from(governor::clock::Clock::now(&self.clock))
            .max(Duration::from_secs(1));
        let mut blocked = self.blocked.lock().unwrap_or_else(PoisonError::into_inner);
        blocked.retain(|_, until| *until > Instant::now());
        blocked.insert(ip, Instant::now() + wait);
        Some(wait)
    }
}

/// The middleware of one endpoint (see the module's note).
pub async fn check(State(door): State<Door>, mut request: Request, next: Next) -> Response {
    let from = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0);
    let target = format!("{} {}", request.method(), request.uri().path());
    let gateway = is_gateway(request.uri());
    let refuse = |err: ApiError| in_shape(err, gateway);
    let api = &door.api;

    if let Some(left) = from.and_then(|addr| api.failed_auth.blocked_for(addr.ip())) {
        return too_many(api, from, &target, left, gateway).await;
    }
    let principal = match authenticate(api, request.headers(), from).await {
        Ok(principal) => principal,
        // Only a missing or unknown token counts against the address: the
        // hub failing to look a key up (its database) is not the caller's.
        Err(err) if err.status == StatusCode::UNAUTHORIZED => {
            if let Some(left) = from.and_then(|addr| api.failed_auth.failed(addr.ip())) {
                return too_many(api, from, &target, left, gateway).await;
            }
            api.engine
                .audit_refusal(None, from, &target, &format!("refused: {}", err.message))
                .await;
            return refuse(err);
        }
        Err(err) => return refuse(err),
    };
    if door.surface == Surface::Agents && !matches!(principal, Principal::Agent { .. }) {
        // Nothing here is for anyone but agents: say no more than that the
        // path is not served.
        api.engine
            .audit_refusal(
                Some(&principal),
                from,
                &target,
                "refused: not an agent's service token on the agents' address",
            )
            .await;
        return refuse(crate::not_found(request.uri().path()));
    }
    if let Err(limited) = api.engine.admit_request(&principal) {
        return rate_limited(api, &principal, from, &target, &limited, gateway).await;
    }
    let caller = Caller(principal);
    if let Err(err) = caller.require_any(door.actions) {
        api.engine
            .audit_refusal(Some(&caller.0), from, &target, &format!("refused: {}", err.message))
            .await;
        return refuse(err);
    }
    request.extensions_mut().insert(caller.clone());
    let response = next.run(request).await;
    // A handler's own 403 (a sub-task's finer rule) is a refusal too.
    if response.status() == StatusCode::FORBIDDEN {
        let why = response
            .extensions()
            .get::<ApiError>()
            .map_or_else(|| "refused".to_string(), |err| format!("refused: {}", err.message));
        api.engine.audit_refusal(Some(&caller.0), from, &target, &why).await;
    }
    response
}

/// 429: `from` failed to authenticate too often; it may try again in `left`.
async fn too_many(api: &Api, from: Option<SocketAddr>, target: &str, left: Duration, gateway: bool) -> Response {
    let seconds = left.as_secs().max(1);
    let err = ApiError::http(
        StatusCode::TOO_MANY_REQUESTS,
        HttpCode::TooManyRequests,
        format!("too many failed authentications from this address; try again in {seconds} s"),
    );
    api.engine
        .audit_refusal(None, from, target, &format!("refused: {}", err.message))
        .await;
    let mut response = in_shape(err, gateway);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// 429: `principal` made more requests this minute than its quota. Only
/// the refusal the engine announces (one a minute per client) is audited.
async fn rate_limited(
    api: &Api,
    principal: &Principal,
    from: Option<SocketAddr>,
    target: &str,
    limited: &Limited,
    gateway: bool,
) -> Response {
    let seconds = limited.retry_after_seconds();
    let err = ApiError::http(
        StatusCode::TOO_MANY_REQUESTS,
        HttpCode::RateLimited,
        format!(
            "rate limit exceeded: {} may make {} requests a minute; try again in {seconds} s",
            principal.label(),
            limited.limit_per_minute
        ),
    );
    if limited.announced {
        api.engine
            .audit_refusal(Some(principal), from, target, &format!("refused: {}", err.message))
            .await;
    }
    let mut response = in_shape(err, gateway);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// Who presents the request's bearer token; 401 when nobody.
async fn authenticate(api: &Api, headers: &HeaderMap, from: Option<SocketAddr>) -> Result<Principal, ApiError> {
    let token = bearer(headers)
        .ok_or_else(|| ApiError::unauthorized("expected `Authorization: Bearer <API key or service token>`"))?;
    api.engine
        .authenticate(token, from)
        .await?
        .ok_or_else(|| ApiError::unauthorized("unknown or revoked token"))
}

/// Whether `uri` is one of the LLM gateway's paths (Ollama's, `/api/…`).
pub fn is_gateway(uri: &axum::http::Uri) -> bool {
    uri.path().starts_with("/api/")
}

/// An error in the shape of the path's API: the `/v1` envelope, or
/// Ollama's `{"error": "…"}` on the gateway's paths.
pub fn in_shape(err: ApiError, gateway: bool) -> Response {
    if !gateway {
        return err.into_response();
    }
    let mut response = (err.status, axum::Json(serde_json::json!({ "error": err.message }))).into_response();
    if err.status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// The token of `Authorization: Bearer <token>` (the scheme in any case).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
