//! The counselor's side of pairing: their caseload, a single-use pairing
//! code for one patient, and that patient's devices. A patient who is not on
//! the counselor's caseload answers 404, exactly like one that does not exist.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

use super::own_patient;
use crate::db::{Device, Patient, Role};
use crate::http::auth::Staff;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::{AppState, JsonBody};
use crate::secret::PAIRING_CODE;

pub use steady_model::pairing::{CODE_ALPHABET, CODE_LENGTH};
/// How long a pairing code can be redeemed.
pub const CODE_LIFETIME: TimeDelta = TimeDelta::minutes(10);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPatient {
    /// How the counselor knows the patient (a first name, initials).
    pub display_name: String,
}

/// A code to type into the app, shown once.
#[derive(Serialize, ToSchema, TS)]
pub struct PairingCode {
    /// Ten characters, shown as two groups of five.
    pub code: String,
    pub expires_at: DateTime<Utc>,
}

/// The signed-in counselor's caseload.
#[utoipa::path(get, path = "/v1/patients", tag = "caseload",
    responses((status = 200, body = [Patient]), (status = 401, body = ErrorBody)))]
pub async fn list_patients(
    State(app): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<Patient>>, ApiError> {
    Ok(Json(app.db.patients_of(&staff.session.user.id).await?))
}

/// Adds a patient to the signed-in counselor's caseload.
#[utoipa::path(post, path = "/v1/patients", tag = "caseload", request_body = NewPatient,
    responses((status = 201, body = Patient), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_patient(
    State(app): State<AppState>,
    staff: Staff,
    JsonBody(body): JsonBody<NewPatient>,
) -> Result<(StatusCode, Json<Patient>), ApiError> {
    if staff.session.user.role != Role::Counselor {
        return Err(ApiError::forbidden("Only counselors keep a caseload."));
    }
    let name = body.display_name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::unprocessable(
            "display_name",
            "Give the patient a name of 1 to 100 characters (a first name or initials is enough).",
        ));
    }
    let patient = app.db.create_patient(&staff.session.user, name).await?;
    tracing::info!(patient = %patient.id, counselor = %staff.session.user.id, "patient added");
    Ok((StatusCode::CREATED, Json(patient)))
}

/// Makes a single-use pairing code for one patient, valid for ten minutes.
#[utoipa::path(post, path = "/v1/patients/{patient_id}/pairing-codes", tag = "caseload",
    params(("patient_id" = String, Path)),
    responses((status = 201, body = PairingCode), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_pairing_code(
    State(app): State<AppState>,
    staff: Staff,
    Path(patient_id): Path<String>,
) -> Result<(StatusCode, Json<PairingCode>), ApiError> {
    let patient = own_patient(&app, &staff, &patient_id).await?;
    let code = {
        let mut rng = rand::rng();
        steady_model::pairing::new_code(|| rng.random_range(0..CODE_ALPHABET.len()))
    };
    let expires_at = Utc::now() + CODE_LIFETIME;
    app.db
        .create_pairing_code(
            &app.key.hash(PAIRING_CODE, &code),
            &patient.id,
            &staff.session.user.id,
            expires_at.timestamp_millis(),
        )
        .await?;
    tracing::info!(patient = %patient.id, "pairing code made");
    Ok((
        StatusCode::CREATED,
        Json(PairingCode {
            code: steady_model::pairing::display_code(&code),
            expires_at,
        }),
    ))
}

/// A patient's devices, revoked ones included.
#[utoipa::path(get, path = "/v1/patients/{patient_id}/devices", tag = "caseload",
    params(("patient_id" = String, Path)),
    responses((status = 200, body = [Device]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_devices(
    State(app): State<AppState>,
    staff: Staff,
    Path(patient_id): Path<String>,
) -> Result<Json<Vec<Device>>, ApiError> {
    let patient = own_patient(&app, &staff, &patient_id).await?;
    Ok(Json(app.db.devices_of(&patient.id).await?))
}

/// Revokes one of a patient's devices: its token stops working at once.
#[utoipa::path(delete, path = "/v1/patients/{patient_id}/devices/{device_id}", tag = "caseload",
    params(("patient_id" = String, Path), ("device_id" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_device(
    State(app): State<AppState>,
    staff: Staff,
    Path((patient_id, device_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let patient = own_patient(&app, &staff, &patient_id).await?;
    if !app.db.revoke_device(&patient.id, &device_id).await? {
        return Err(ApiError::not_found(
            "No such device, or it is already revoked.",
        ));
    }
    tracing::info!(patient = %patient.id, device = %device_id, "device revoked by counselor");
    Ok(StatusCode::NO_CONTENT)
}
