//! The HTTP API: routes, their OpenAPI document, and the pieces every
//! handler shares. Routes are registered through utoipa-axum, so the
//! OpenAPI document and the router are built from the same list and cannot
//! drift apart.

pub mod auth;
pub mod caseload;
pub mod counselor;
pub mod device;
pub mod error;
pub mod limit;
pub mod sync;

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::routing::get;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::Settings;
use crate::db::{AnyDatabase, Database};
use error::{ApiError, ErrorBody};
use limit::LoginLimiter;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;

#[derive(Clone)]
pub struct AppState {
    pub db: AnyDatabase,
    pub settings: Arc<Settings>,
    pub logins: Arc<LoginLimiter>,
    /// Wrong pairing codes, counted per client address.
    pub pairings: Arc<LoginLimiter>,
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
        .routes(routes!(auth::login, auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(caseload::list_patients, caseload::add_patient))
        .routes(routes!(caseload::create_pairing_code))
        .routes(routes!(caseload::list_devices))
        .routes(routes!(caseload::revoke_device))
        .routes(routes!(device::pair))
        .routes(routes!(device::status, device::unpair))
        .routes(routes!(device::revoke_consent))
        .routes(routes!(sync::push))
        .routes(routes!(sync::pull))
        .routes(routes!(counselor::patient_records))
        .routes(routes!(counselor::audit_log))
        .split_for_parts();
    let document = api.clone();
    let router = router
        .route("/v1/openapi.json", get(move || async move { Json(api) }))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
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

/// A JSON request body whose problems come back as this API's errors:
/// malformed JSON, unknown fields and wrong types are a 400 naming the
/// problem, a missing content type a 415, an oversized body a 413.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(json_problem(rejection)),
        }
    }
}

fn json_problem(rejection: JsonRejection) -> ApiError {
    let status = rejection.status();
    let text = rejection.body_text();
    // serde's message says which field and why ("unknown field `x`",
    // "missing field `email`", "invalid type: ..."); it never echoes values
    // beyond the field name.
    let detail = text.rsplit(": ").next().unwrap_or(&text).to_owned();
    let field = detail
        .split('`')
        .nth(1)
        .filter(|_| detail.contains("field `"))
        .unwrap_or("body")
        .to_owned();
    let mut error = ApiError::invalid(&field, format!("The request body is not usable: {detail}"));
    error.status = status;
    error
}
