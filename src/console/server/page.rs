//! The console's page, embedded (no build step, nothing fetched from
//! elsewhere), served with a policy that lets it load only itself.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The page.
pub(super) async fn index() -> Response {
    page(INDEX, "text/html; charset=utf-8")
}

/// The page's script.
pub(super) async fn script() -> Response {
    page(SCRIPT, "text/javascript; charset=utf-8")
}

/// The page's style.
pub(super) async fn style() -> Response {
    page(STYLE, "text/css; charset=utf-8")
}

/// The page, embedded: no build step, nothing fetched from elsewhere.
const INDEX: &str = include_str!("../../../assets/console/index.html");
const SCRIPT: &str = include_str!("../../../assets/console/console.js");
const STYLE: &str = include_str!("../../../assets/console/console.css");

/// The page's policy: its own script and style, this server, nothing else.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn page(body: &'static str, kind: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}
