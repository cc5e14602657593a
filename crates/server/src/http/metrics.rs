//! `GET /metrics` in Prometheus' text format, for the clinic's monitoring:
//! requests and latency by route, sync pushes and pulls, refusals and
//! limits hit by their error code, the database pool in use and the live
//! streams open. Every label is a route template (`/v1/patients/{id}`,
//! never an id), a method, a status or an error code: nothing about a
//! patient, a person or a token can reach a label. Only the addresses the
//! configuration allows may read it (loopback by default).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use super::AppState;
use super::error::{ApiError, ErrorCode};
use super::limit::ClientAddress;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Answer {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Refusal {
    route: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolState {
    state: &'static str,
}

/// The server's counters, shared by every request.
pub struct Metrics {
    registry: Registry,
    requests: Family<Answer, Counter>,
    latency: Family<Route, Histogram>,
    refusals: Family<Refusal, Counter>,
    limits: Family<Refusal, Counter>,
    pushes: Family<Outcome, Counter>,
    pulls: Family<Outcome, Counter>,
    pool: Family<PoolState, Gauge>,
    streams: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

/// The route a request matched, as its template; files and unknown paths
/// share one name each, so a path's text never becomes a label.
fn route_of(request: &Request) -> String {
    match request.extensions().get::<MatchedPath>() {
        Some(path) => path.as_str().to_owned(),
        None if request.uri().path().starts_with("/v1/") => "unmatched".to_owned(),
        None => "dashboard files".to_owned(),
    }
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("steady");
        let requests = Family::<Answer, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        // 1 ms to about 16 s.
        let latency = Family::<Route, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 15))
        });
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer a request, by method and route template",
            prometheus_client::registry::Unit::Seconds,
            latency.clone(),
        );
        let refusals = Family::<Refusal, Counter>::default();
        registry.register(
            "http_refusals",
            "Requests refused (4xx), by route template and error code",
            refusals.clone(),
        );
        let limits = Family::<Refusal, Counter>::default();
        registry.register(
            "limits_hit",
            "Requests refused by a limit (sign-in and pairing attempts, push rate, quotas, password hashing busy), by route template and error code",
            limits.clone(),
        );
        let pushes = Family::<Outcome, Counter>::default();
        registry.register(
            "sync_pushes",
            "Sync pushes from devices, by status",
            pushes.clone(),
        );
        let pulls = Family::<Outcome, Counter>::default();
        registry.register(
            "sync_pulls",
            "Sync pulls by devices, by status",
            pulls.clone(),
        );
        let pool = Family::<PoolState, Gauge>::default();
        registry.register(
            "database_connections",
            "The database pool's connections: in use, idle, and the most it opens",
            pool.clone(),
        );
        let streams = Gauge::default();
        registry.register(
            "live_streams_open",
            "Dashboard live-update streams open on this instance",
            streams.clone(),
        );
        Arc::new(Self {
            registry,
            requests,
            latency,
            refusals,
            limits,
            pushes,
            pulls,
            pool,
            streams,
        })
    }

    /// Counts one answered request.
    fn record(&self, method: &str, route: String, status: u16, code: Option<ErrorCode>, took: f64) {
        let code = code.map(|c| {
            serde_json::to_value(c)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "unknown".into())
        });
        if route == "/v1/sync/push" {
            self.pushes.get_or_create(&Outcome { status }).inc();
        } else if route == "/v1/sync/pull" {
            self.pulls.get_or_create(&Outcome { status }).inc();
        }
        if (400..500).contains(&status) {
            let refusal = Refusal {
                route: route.clone(),
                code: code.clone().unwrap_or_else(|| "none".into()),
            };
            if matches!(
                code.as_deref(),
                Some("too_many_requests" | "quota_exceeded")
            ) {
                self.limits.get_or_create(&refusal).inc();
            }
            self.refusals.get_or_create(&refusal).inc();
        }
        self.latency
            .get_or_create(&Route {
                method: method.to_owned(),
                route: route.clone(),
            })
            .observe(took);
        self.requests
            .get_or_create(&Answer {
                method: method.to_owned(),
                route,
                status,
            })
            .inc();
    }
}

/// Counts every request, once its answer is ready.
pub async fn count(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = route_of(&request);
    let response = next.run(request).await;
    let code = response.extensions().get::<ErrorCode>().copied();
    app.metrics.record(
        &method,
        route,
        response.status().as_u16(),
        code,
        started.elapsed().as_secs_f64(),
    );
    response
}

/// The metrics, to an allowed address.
pub async fn metrics(
    State(app): State<AppState>,
    ClientAddress(client): ClientAddress,
) -> Result<Response, ApiError> {
    if !app
        .settings
        .metrics_allow
        .iter()
        .any(|net| net.contains(&client))
    {
        tracing::warn!(%client, "metrics refused to an address not allowed");
        return Err(ApiError::forbidden(
            "This address may not read the metrics; add it to metrics.allow in the server's configuration.",
        ));
    }
    let pool = app.db.pool_use();
    let m = &app.metrics;
    for (state, value) in [
        ("in_use", pool.in_use),
        ("idle", pool.idle),
        ("max", pool.max),
    ] {
        m.pool
            .get_or_create(&PoolState { state })
            .set(i64::try_from(value).unwrap_or(i64::MAX));
    }
    m.streams
        .set(i64::try_from(app.live.open_streams()).unwrap_or(i64::MAX));
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &m.registry)
        .map_err(|_| ApiError::internal())?;
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    Ok(response)
}
