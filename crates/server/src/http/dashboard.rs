//! The counselor dashboard's files, and the headers every response carries.
//! The dashboard is a static single-page app (built from `dashboard/`) that
//! talks to the `/v1` API like any other client; the server only hands out
//! its files, under a Content-Security-Policy that allows nothing but this
//! origin's own scripts, styles and API.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use tower_http::services::ServeDir;

/// No inline script or style, no other origin, no framing, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The built dashboard, or a page saying how to build it.
pub fn files(dir: Option<&std::path::Path>) -> axum::Router {
    match dir {
        Some(dir) => axum::Router::new().fallback_service(ServeDir::new(dir)),
        None => axum::Router::new().fallback(not_built),
    }
}

async fn not_built(request: Request) -> Response {
    if request.uri().path() != "/" {
        return StatusCode::NOT_FOUND.into_response();
    }
    (
        StatusCode::NOT_FOUND,
        Html(
            "<!doctype html><html lang=\"en\"><title>Steady</title><main><h1>The dashboard is not built</h1>\
             <p>Run <code>cargo xtask server</code>, or build <code>dashboard/</code> with \
             <code>npm ci &amp;&amp; npm run build</code> and start the server with \
             <code>--dashboard-dir dashboard/dist</code>.</p></main></html>",
        ),
    )
        .into_response()
}

/// Security headers on every response. Patient data must not be cached
/// anywhere, so only the dashboard's content-hashed assets may be.
pub async fn headers(secure: bool, request: Request, next: Next) -> Response {
    let immutable = request.uri().path().starts_with("/assets/");
    let mut response = next.run(request).await;
    let cacheable = immutable && response.status().is_success();
    let h = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "no-referrer");
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    if cacheable {
        set(header::CACHE_CONTROL, "public, max-age=31536000, immutable");
    } else {
        set(header::CACHE_CONTROL, "no-store");
    }
    if secure {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        );
    }
    response
}
