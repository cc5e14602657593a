//! The HTTP API: routes, their OpenAPI document, and the pieces every
//! handler shares. Routes are registered through utoipa-axum, so the
//! OpenAPI document and the router are built from the same list and cannot
//! drift apart. Handlers live by who is asking, each folder matching the
//! extractor that authorises it: [`device`] ([`device::PairedDevice`]),
//! [`counselor`] ([`auth::Staff`]) and [`admin`] ([`admin::Admin`]);
//! signing in and out is [`auth`].

pub mod admin;
pub mod auth;
pub mod counselor;
pub mod dashboard;
pub mod device;
pub mod error;
pub mod limit;
pub mod metrics;
pub mod openapi;
pub mod second_factor;

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::routing::get;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::Settings;
use crate::db::Db;
use error::{ApiError, ErrorBody};

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    /// The key of the keyed hashes pairing codes and CSRF tokens are stored as.
    pub key: Arc<crate::secret::ServerKey>,
    /// Password hashing, capped (see [`limit::Hashing`]).
    pub hashing: Arc<limit::Hashing>,
    /// Stamps the care team's writes; its node id is this instance's own.
    pub clock: Arc<std::sync::Mutex<steady_model::Clock>>,
    /// Which patients' records just changed, for open caseload pages.
    pub live: crate::live::Live,
    /// What `/metrics` reports.
    pub metrics: Arc<metrics::Metrics>,
}

impl AppState {
    /// A fresh stamp from this instance's hybrid logical clock.
    pub fn tick(&self) -> steady_model::Hlc {
        let wall = chrono::Utc::now().timestamp_millis().max(0) as u64;
        self.clock
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .tick(wall)
    }
}

#[derive(OpenApi)]
#[openapi(info(
    title = "Steady server",
    description = "The clinic's server for Steady: staff accounts, caseloads and pairing now; sync and the counselor API as they land."
))]
struct ApiDoc;

/// The router and the OpenAPI document describing every route in it.
pub fn router(state: AppState) -> (axum::Router, OpenApiDoc) {
    let (router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health))
        .routes(routes!(ready))
        .routes(routes!(auth::login, auth::current_session, auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(second_factor::enter_code))
        .routes(routes!(second_factor::begin, second_factor::status))
        .routes(routes!(second_factor::confirm))
        .routes(routes!(
            second_factor::clinic_rule,
            second_factor::set_clinic_rule
        ))
        // A paired device.
        .routes(routes!(device::pair::pair))
        .routes(routes!(device::pair::preview))
        .routes(routes!(device::status, device::unpair))
        .routes(routes!(device::disclosures))
        .routes(routes!(device::give_consent, device::revoke_consent))
        .routes(routes!(device::sync::push))
        .routes(routes!(device::sync::pull))
        // A counselor, for their own caseload.
        .routes(routes!(
            counselor::patients::list_patients,
            counselor::patients::add_patient
        ))
        .routes(routes!(counselor::patients::create_pairing_code))
        .routes(routes!(counselor::patients::list_devices))
        .routes(routes!(counselor::patients::revoke_device))
        .routes(routes!(counselor::caseload::caseload))
        .routes(routes!(counselor::events::caseload_events))
        .routes(routes!(counselor::records::patient_records))
        .routes(routes!(counselor::records::worksheet_templates))
        .routes(routes!(counselor::insight::insights))
        .routes(routes!(counselor::care::assign))
        .routes(routes!(counselor::care::send_message))
        .routes(routes!(counselor::care::mark_replies_read))
        .routes(routes!(counselor::care::add_event))
        .routes(routes!(counselor::care::add_group_sessions))
        .routes(routes!(counselor::care::review_worksheet))
        .routes(routes!(counselor::care::comment_worksheet))
        // The clinic's admins.
        .routes(routes!(admin::staff::list_staff, admin::staff::add_staff))
        .routes(routes!(admin::devices::list_devices))
        .routes(routes!(admin::devices::revoke_device))
        .routes(routes!(admin::audit::audit_log))
        .split_for_parts();
    let mut api = api;
    openapi::complete(&mut api);
    let documented = Arc::new(openapi::Documented::of(&mut api));
    let strict = state.settings.strict_documentation;
    let document = api.clone();
    let secure = state.settings.secure_cookies;
    let files = dashboard::files(state.settings.dashboard_dir.as_deref());
    let router = router
        .route("/v1/openapi.json", get(move || async move { Json(api) }))
        .route("/metrics", get(metrics::metrics))
        .route_layer(axum::middleware::from_fn(move |request, next| {
            log_refusals(documented.clone(), strict, request, next)
        }))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::count,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
        .merge(files)
        .layer(axum::middleware::from_fn(refuse_nul_in_uri))
        .layer(axum::middleware::from_fn(move |request, next| {
            dashboard::headers(secure, request, next)
        }));
    (router, document)
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub database: &'static str,
}

/// Answers when the database does.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses(
        (status = 200, description = "The server and its database answer", body = Health),
        (status = 503, description = "The database does not answer", body = ErrorBody),
    ))]
pub async fn health(State(app): State<AppState>) -> Result<Json<Health>, ApiError> {
    match tokio::time::timeout(Duration::from_secs(5), app.db.health()).await {
        Ok(Ok(())) => Ok(Json(Health {
            status: "ok",
            database: app.db.backend(),
        })),
        _ => Err(ApiError::unavailable("The database does not answer.")),
    }
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    pub status: &'static str,
    pub database: &'static str,
    /// The newest migration applied, which is this version's newest.
    pub schema: i64,
}

/// Ready for traffic: the database answers and its schema is this
/// version's (a load balancer sends no requests to an instance whose
/// database is behind or ahead of it).
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "The database answers and its schema is current", body = Readiness),
        (status = 503, description = "The database does not answer, or its schema is not this version's", body = ErrorBody),
    ))]
pub async fn ready(State(app): State<AppState>) -> Result<Json<Readiness>, ApiError> {
    let schema = match tokio::time::timeout(Duration::from_secs(5), app.db.schema()).await {
        Ok(Ok(schema)) => schema,
        _ => return Err(ApiError::unavailable("The database does not answer.")),
    };
    if !schema.is_current() {
        let latest = |v: &[i64]| v.last().copied().unwrap_or(0);
        return Err(ApiError::unavailable(format!(
            "The database's schema is at migration {}, and this server's is {}: restart the server to migrate it, or run the version that matches.",
            latest(&schema.applied),
            latest(&schema.known)
        )));
    }
    Ok(Json(Readiness {
        status: "ready",
        database: app.db.backend(),
        schema: schema.known.last().copied().unwrap_or(0),
    }))
}

/// A JSON request body whose problems come back as this API's errors, each
/// naming the field at fault: broken JSON is a 400, unknown fields, missing
/// fields and wrong types a 422, a missing JSON content type a 415, and a
/// body over [`MAX_BODY_BYTES`] a 413.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        JsonText::from_request(req, state)
            .await?
            .read()
            .map(JsonBody)
    }
}

/// A [`JsonBody`] taken in but not yet read, so that a handler can read it
/// while it waits for something else.
pub struct JsonText(axum::body::Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonText {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|t| t.trim() == "application/json")
            });
        if !is_json {
            return Err(ApiError::unsupported_media_type(
                "body",
                "Send the body as JSON with Content-Type: application/json.",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|rejection| {
            ApiError::unreadable_body(
                rejection.status(),
                "body",
                format!("The request body is larger than {MAX_BODY_BYTES} bytes; send less at a time."),
            )
        })?;
        Ok(JsonText(bytes))
    }
}

impl JsonText {
    /// The body read as `T`, or what is wrong with it (see [`JsonBody`]).
    pub fn read<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        // UTF-8 checked once for the whole body, rather than string by string.
        let text = std::str::from_utf8(&self.0).map_err(|e| {
            ApiError::invalid("body", format!("The request body is not UTF-8: {e}."))
        })?;
        refuse_deep(text)?;
        if text.contains("\\u0000") {
            refuse_nul(text)?;
        }
        // The common case, fast; a body that fails is read again, tracking
        // the path, to name the field at fault.
        if let Ok(value) = serde_json::from_str::<T>(text) {
            return Ok(value);
        }
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(json_problem)?;
        deserializer.end().map_err(|e| {
            ApiError::invalid("body", format!("The request body is not valid JSON: {e}."))
        })?;
        Ok(value)
    }
}

/// Deepest nesting of arrays and objects a request body may have: no
/// record goes deeper than a few levels, and a deeper one could not be read
/// back once stored inside its stamps.
pub const MAX_JSON_DEPTH: usize = 32;

/// Refuses a body nested deeper than [`MAX_JSON_DEPTH`], before parsing it.
fn refuse_deep(text: &str) -> Result<(), ApiError> {
    if json_depth(text) > MAX_JSON_DEPTH {
        return Err(ApiError::unprocessable(
            "body",
            format!(
                "The request body is nested more than {MAX_JSON_DEPTH} levels deep; no record needs that."
            ),
        ));
    }
    Ok(())
}

/// How deeply the arrays and objects of JSON text nest, read from its
/// bytes without parsing (and so without parsing's recursion). One pass,
/// byte by byte: a body's strings are mostly short, where a search per
/// string costs more than it saves.
pub(crate) fn json_depth(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut deepest, mut at) = (0usize, 0usize, 0usize);
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                at += 1;
                while at < bytes.len() {
                    match bytes[at] {
                        // An escape: the next character is not the end.
                        b'\\' => at += 2,
                        b'"' => break,
                        _ => at += 1,
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        at += 1;
    }
    deepest
}

/// Refuses a body with a NUL character in any string, naming the field:
/// PostgreSQL cannot store one, so neither backend takes it.
fn refuse_nul(text: &str) -> Result<(), ApiError> {
    fn find(value: &serde_json::Value, path: &str) -> Option<String> {
        let at = |key: &str| {
            if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            }
        };
        match value {
            serde_json::Value::String(s) if s.contains('\0') => Some(path.to_owned()),
            serde_json::Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| find(v, &at(&i.to_string()))),
            serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
                if k.contains('\0') {
                    Some(at(k))
                } else {
                    find(v, &at(k))
                }
            }),
            _ => None,
        }
    }
    // A body that does not parse is refused by the parse that follows.
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return Ok(());
    };
    match find(&value, "") {
        None => Ok(()),
        Some(path) => {
            let field = if path.is_empty() {
                "body".to_owned()
            } else {
                path
            };
            Err(ApiError::unprocessable(
                &field,
                format!("{field} holds a NUL character (\\u0000), which is not text; remove it."),
            ))
        }
    }
}

/// Who made a request, once an extractor has checked it: filled in by
/// [`auth::Staff`] and [`device::PairedDevice`], read by [`log_refusals`].
#[derive(Clone, Default)]
pub(crate) struct Actor(Arc<std::sync::Mutex<Option<String>>>);

impl Actor {
    /// Names the request's actor (`user:<id>`, `device:<id>`) in `parts`.
    pub(crate) fn name(parts: &axum::http::request::Parts, actor: String) {
        if let Some(slot) = parts.extensions.get::<Actor>() {
            *slot.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(actor);
        }
    }
}

/// Logs every refused request — its method, route (the template, never
/// the ids in it), actor and status, never its contents — so a probe of
/// other patients' ids, a forged CSRF token or a run of wrong passwords
/// leaves a trace.
///
/// With `strict` (tests), an answer the OpenAPI document does not list for
/// its route becomes a 500 that says so, so a test that meets one fails.
pub(crate) async fn log_refusals(
    documented: Arc<openapi::Documented>,
    strict: bool,
    mut request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let actor = Actor::default();
    request.extensions_mut().insert(actor.clone());
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_owned());
    use axum::response::IntoResponse;
    let response = next.run(request).await;
    let status = response.status();
    if strict
        && let Some(route) = &route
        && status != axum::http::StatusCode::METHOD_NOT_ALLOWED
        && !documented.lists(&method, route, status.as_u16())
    {
        tracing::error!(%method, route, status = status.as_u16(), "an answer the OpenAPI document does not list");
        return (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("undocumented answer: {method} {route} gave {status}"),
        )
            .into_response();
    }
    if status.is_client_error() && route.is_some() {
        let actor = actor.0.lock().unwrap_or_else(|p| p.into_inner()).clone();
        tracing::warn!(
            %method,
            route = %route.as_deref().unwrap_or("-"),
            actor = %actor.as_deref().unwrap_or("anonymous"),
            status = status.as_u16(),
            "refused"
        );
    }
    response
}

/// Refuses a request whose path or query holds an encoded NUL (`%00`):
/// no id or parameter has one, and PostgreSQL could not compare it.
pub(crate) async fn refuse_nul_in_uri(
    request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let uri = request.uri();
    let nul = |part: &str| {
        part.as_bytes()
            .windows(3)
            .any(|w| w.eq_ignore_ascii_case(b"%00"))
    };
    if nul(uri.path()) {
        return ApiError::unprocessable(
            "path",
            "The address holds a NUL character (%00); remove it.",
        )
        .into_response();
    }
    if uri.query().is_some_and(nul) {
        return ApiError::unprocessable(
            "query",
            "The query holds a NUL character (%00); remove it.",
        )
        .into_response();
    }
    next.run(request).await
}

fn json_problem(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let inner = error.inner();
    let message = inner.to_string();
    let path = error.path().to_string();
    // An unknown or missing field is reported at its parent; name the
    // field itself.
    let unknown = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    let field = match (unknown, path.as_str()) {
        (Some(name), "." | "") => name.to_owned(),
        (Some(name), full) if full.ends_with(name) => full.to_owned(),
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, "." | "") => "body".to_owned(),
        (None, p) => p.to_owned(),
    };
    let detail = message.split(" at line ").next().unwrap_or(&message);
    if inner.is_syntax() || inner.is_eof() {
        ApiError::invalid(
            "body",
            format!("The request body is not valid JSON: {detail}."),
        )
    } else {
        ApiError::unprocessable(
            &field,
            format!("The request body is not usable at {field}: {detail}."),
        )
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::json_depth;

    #[test]
    fn depth_counts_nesting_and_skips_strings() {
        assert_eq!(json_depth("1"), 0);
        assert_eq!(json_depth(r#"{"a":[1,{"b":[]}]}"#), 4);
        assert_eq!(json_depth(r#"{"a":"[[[{{{","b":"\"[[["}"#), 1);
        assert_eq!(json_depth(r#"["\\",[["x"]]]"#), 3);
        assert_eq!(json_depth(&"[".repeat(100)), 100);
        assert_eq!(json_depth(r#"{"a":"unterminated"#), 1);
    }

    /// The depth of a value as serde_json reads it.
    fn depth(value: &Value) -> usize {
        match value {
            Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
            Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::from),
            // Strings full of what the scan must not count.
            r#"[\[\]{}"\\a\n\u{e9}]{0,8}"#.prop_map(Value::from),
        ];
        leaf.prop_recursive(12, 64, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map(r#"[\[{"\\k]{0,4}"#, inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn depth_is_what_a_parser_finds(value in value()) {
            let text = serde_json::to_string(&value).unwrap();
            prop_assert_eq!(json_depth(&text), depth(&value));
            let pretty = serde_json::to_string_pretty(&value).unwrap();
            prop_assert_eq!(json_depth(&pretty), depth(&value));
        }
    }
}
