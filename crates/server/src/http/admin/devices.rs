//! Every device paired in the clinic, for its admins: finding and revoking
//! a lost phone.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::Admin;
use crate::db::ClinicDevice;
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};

/// Every device paired in the clinic, with whose it is (admins only): for
/// finding and revoking a lost phone.
#[utoipa::path(get, path = "/v1/devices", operation_id = "list_clinic_devices", tag = "admin",
    responses(
        (status = 200, body = [ClinicDevice]),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    ))]
pub async fn list_devices(
    State(app): State<AppState>,
    Admin(staff): Admin,
) -> Result<Json<Vec<ClinicDevice>>, ApiError> {
    let user = &staff.session.user;
    Ok(Json(app.db.clinic_devices(&user.clinic_id, None).await?))
}

/// Revokes any device in the clinic (admins only); its token stops working
/// at once. Written to the audit log for the device's patient.
#[utoipa::path(delete, path = "/v1/devices/{device_id}", operation_id = "revoke_clinic_device", tag = "admin",
    params(("device_id" = String, Path), ("X-CSRF-Token" = String, Header, description = "The csrf_token from sign-in")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such device in this clinic, or already revoked", body = ErrorBody),
    ))]
pub async fn revoke_device(
    State(app): State<AppState>,
    Admin(staff): Admin,
    Path(device_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let user = &staff.session.user;
    let gone = || ApiError::not_found("No such device in this clinic, or it is already revoked.");
    let device = app
        .db
        .clinic_devices(&user.clinic_id, Some(&device_id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(gone)?;
    if !app.db.revoke_device(&device.patient_id, &device_id).await? {
        return Err(gone());
    }
    app.db
        .audit(
            &user.clinic_id,
            &user.id,
            &device.patient_id,
            "revoke device",
            &device_id,
        )
        .await?;
    tracing::info!(patient = %device.patient_id, device = %device_id, "device revoked by admin");
    Ok(StatusCode::NO_CONTENT)
}
