//! Who may ask: the checks every request passes (its `Host`, its origin,
//! the session cookie from pairing), pairing itself, and the marks on a
//! connection that keep it from being closed while it is busy or paired.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{Shared, refuse};
use crate::console::listener::{ConnState, Tag};
use crate::console::pairing::{Refusal, hex, unhex};

/// Marks a request's connection busy from the moment its head has arrived
/// (hyper calls the service then) until its response, and upgraded when it
/// becomes a WebSocket: such a connection is not closed for quiet.
pub(super) async fn activity(request: Request, next: Next) -> Response {
    let conn = connection(&request);
    let _busy = conn.as_ref().map(|c| c.begin());
    let response = next.run(request).await;
    if response.status() == StatusCode::SWITCHING_PROTOCOLS
        && let Some(conn) = &conn
    {
        conn.mark_upgraded();
    }
    response
}

/// The checks every request passes before it is served. A connection on
/// which a request carried a known token, or paired, is marked
/// authenticated: it is not evicted for a new connection.
pub(super) async fn guard(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let conn = connection(&request);
    let headers = request.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if host != Some(shared.host.as_str()) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            format!("this console answers only as {}", shared.host),
        );
    }
    let path = request.uri().path();
    let changes = request.method() != Method::GET && request.method() != Method::HEAD;
    let upgrade = path == "/api/live";
    if changes || upgrade {
        let origin = headers.get(header::ORIGIN).and_then(|h| h.to_str().ok());
        if origin != Some(shared.origin.as_str()) {
            return refuse(
                StatusCode::FORBIDDEN,
                "this request must come from the console's own page",
            );
        }
    }
    let known = token(headers).is_some_and(|t| {
        shared
            .pairing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .knows(&t)
    });
    if known && let Some(conn) = &conn {
        conn.mark_authenticated();
    }
    let pairing = path == "/api/pair";
    if path.starts_with("/api/") && !pairing && !known {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "not paired: type the code the app shows",
        );
    }
    let response = next.run(request).await;
    if pairing
        && response.status() == StatusCode::OK
        && let Some(conn) = &conn
    {
        conn.mark_authenticated();
    }
    response
}

/// Pairs a browser that gives the code the app shows: it gets the session
/// cookie.
pub(super) async fn pair(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let Ok(PairBody { code }) = serde_json::from_slice::<PairBody>(&body) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "expected {\"code\": \"the six digits the app shows\"}",
        );
    };
    let result = shared
        .pairing
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pair(&code, Instant::now());
    match result {
        Ok(token) => {
            crate::tell!("stillpoint: a browser paired with the console");
            let cookie = format!(
                "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/",
                hex(&token)
            );
            let mut response = axum::Json(serde_json::json!({ "paired": true })).into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err((why, news)) => {
            // Said once when it happens, never per try, never with a code.
            if let Some(news) = news {
                crate::tell!("stillpoint: {news}");
            }
            if why == Refusal::TooManyTries {
                let mut response = refuse(StatusCode::TOO_MANY_REQUESTS, why.to_string());
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
                return response;
            }
            refuse(StatusCode::FORBIDDEN, why.to_string())
        }
    }
}

/// What a browser sends to pair.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PairBody {
    code: String,
}

/// The session cookie's name.
const COOKIE: &str = "stillpoint_console";

/// The connection a request came on, from the listener.
fn connection(request: &Request) -> Option<Arc<ConnState>> {
    request
        .extensions()
        .get::<ConnectInfo<Tag>>()
        .map(|info| info.0.0.clone())
}

/// The session token from the request's cookie, if it carries one.
fn token(headers: &HeaderMap) -> Option<[u8; 32]> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .and_then(|(_, value)| unhex(value))
}
