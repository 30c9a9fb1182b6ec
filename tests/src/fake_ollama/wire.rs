//! The shapes of the fake's answers (content types, Ollama's error body, a
//! body that is sent step by step) and the faults that bend them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::Fault;

/// How long a [`Fault::TruncatedStream`] waits after the part it sends, so
/// that part reaches the client before the connection is dropped.
const TRUNCATE_PAUSE: Duration = Duration::from_millis(50);

pub(super) const JSON: &str = "application/json; charset=utf-8";
pub(super) const NDJSON: &str = "application/x-ndjson";
pub(super) const TEXT: &str = "text/plain; charset=utf-8";

/// The faults that replace any answer: a 500 or garbage.
pub(super) fn overriding_fault(fault: Fault, content_type: &'static str) -> Option<Response> {
    match fault {
        Fault::ServerError => Some(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "fake ollama: injected server error",
        )),
        Fault::Garbage => Some(with_type(
            StatusCode::OK,
            content_type,
            Body::from("<html><body>fake ollama: injected garbage</body></html>\n}{ not json ][\n\u{1}\u{2}\n"),
        )),
        Fault::None
        | Fault::Latency(_)
        | Fault::TruncatedStream
        | Fault::MidStreamError
        | Fault::Silent
        | Fault::Stall
        | Fault::GarbageLine
        | Fault::LongLine(_) => None,
    }
}

pub(super) fn with_type(status: StatusCode, content_type: &'static str, body: Body) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Ollama's error shape: `{"error": "…"}`.
pub(super) fn error(status: StatusCode, message: &str) -> Response {
    with_type(status, JSON, Body::from(json!({ "error": message }).to_string()))
}

/// A complete, successful, non-streaming answer, unless the fault truncates it.
pub(super) fn complete(content_type: &'static str, body: String, fault: Fault) -> Response {
    if fault != Fault::TruncatedStream {
        return with_type(StatusCode::OK, content_type, Body::from(body));
    }
    let full = body.len();
    let mut cut = full / 2;
    while !body.is_char_boundary(cut) {
        cut -= 1;
    }
    let steps = vec![
        Step::Send(Bytes::copy_from_slice(&body.as_bytes()[..cut])),
        Step::Pause(TRUNCATE_PAUSE),
        Step::Abort,
    ];
    let mut response = with_type(StatusCode::OK, content_type, steps_body(steps));
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(full));
    response
}

/// What a streamed body does next.
pub(super) enum Step {
    /// Sends these bytes as one HTTP chunk.
    Send(Bytes),
    Pause(Duration),
    /// Changes the fake's state at this point of the body (e.g. a pull
    /// installs its model when `success` goes out).
    Run(Box<dyn FnOnce() + Send>),
    /// Sends nothing more and keeps the connection open.
    Hang,
    /// Ends the body in error: the server drops the connection.
    Abort,
}

impl Step {
    /// One NDJSON line.
    pub(super) fn line(value: &Value) -> Step {
        Step::Send(Bytes::from(format!("{value}\n")))
    }
}

/// Applies a stream fault to a streamed body: the faults act after the
/// first line (the first [`Step::Send`]). Faults that do not concern
/// streams leave it as it is.
pub(super) fn faulty(mut steps: Vec<Step>, fault: Fault) -> Vec<Step> {
    let Some(first) = steps.iter().position(|s| matches!(s, Step::Send(_))) else {
        return steps;
    };
    let rest = steps.split_off(first + 1);
    match fault {
        Fault::TruncatedStream => steps.extend([Step::Pause(TRUNCATE_PAUSE), Step::Abort]),
        Fault::MidStreamError => steps.push(Step::line(&json!({
            "error": "fake ollama: injected error mid-stream while running the model"
        }))),
        Fault::Stall => steps.push(Step::Hang),
        Fault::GarbageLine => {
            steps.push(Step::Send(Bytes::from_static(b"}{ fake ollama: not json ][\n")));
            steps.extend(rest);
        }
        Fault::LongLine(length) => {
            // `{"response":"` and `"}` around the filler make `length` bytes.
            let filler = "x".repeat(length.saturating_sub(15));
            steps.push(Step::Send(Bytes::from(format!("{{\"response\":\"{filler}\"}}\n"))));
            steps.extend(rest);
        }
        Fault::None | Fault::Latency(_) | Fault::ServerError | Fault::Garbage | Fault::Silent => steps.extend(rest),
    }
    steps
}

/// An NDJSON response that sends `steps`, each [`Step::Send`] cut into
/// pieces of at most `split` bytes when set.
pub(super) fn stream(steps: Vec<Step>, split: Option<usize>) -> Response {
    let steps = match split {
        Some(size) if size > 0 => steps
            .into_iter()
            .flat_map(|step| match step {
                Step::Send(bytes) => (0..bytes.len())
                    .step_by(size)
                    .map(|at| Step::Send(bytes.slice(at..(at + size).min(bytes.len()))))
                    .collect(),
                other => vec![other],
            })
            .collect(),
        _ => steps,
    };
    with_type(StatusCode::OK, NDJSON, steps_body(steps))
}

fn steps_body(steps: Vec<Step>) -> Body {
    let stream = futures::stream::unfold(steps.into_iter(), |mut steps| async move {
        loop {
            match steps.next()? {
                Step::Send(bytes) => return Some((Ok(bytes), steps)),
                Step::Pause(delay) => tokio::time::sleep(delay).await,
                Step::Run(change) => change(),
                Step::Hang => std::future::pending::<()>().await,
                Step::Abort => {
                    let err = std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "fake ollama: injected truncation",
                    );
                    return Some((Err(err), steps));
                }
            }
        }
    });
    Body::from_stream(stream)
}

/// The current UTC time as Ollama writes `created_at`,
/// e.g. `2026-11-01T10:00:00.123456789Z`.
pub(super) fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

/// `at` as Ollama writes times.
pub(super) fn rfc3339(at: SystemTime) -> String {
    let now = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = now.as_secs();
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        now.subsec_nanos()
    )
}

/// Days since 1970-01-01 to a (year, month, day) date (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A stable 64-hex-digit digest derived from the name (FNV-1a, repeated).
pub(super) fn digest(name: &str) -> String {
    let mut out = String::with_capacity(64);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for round in 0..4u8 {
        for byte in name.bytes().chain([round]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{hash:016x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(86_400 + 61)),
            "1970-01-02T00:01:01.000000000Z"
        );
    }
}
