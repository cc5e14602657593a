//! The clinic's staff and devices, for its admins: who has an account,
//! adding a counselor or admin (what `steady-server admin add-user` does,
//! from the dashboard), and every paired device. Passwords are hashed as at
//! the command line and never logged.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Staff;
use super::error::{ApiError, ErrorBody};
use super::{AppState, JsonBody};
use crate::db::{Accounts, Audit, Caseload, ClinicDevice, NewUser, Role, User};
use crate::secret::hash_password;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    pub email: String,
    pub name: String,
    /// counselor or admin
    pub role: String,
    /// At least 12 characters; the new colleague signs in with it.
    pub password: String,
}

/// The signed-in admin; anyone else gets a 403.
fn admin(staff: &Staff) -> Result<&User, ApiError> {
    if staff.session.user.role == Role::Admin {
        Ok(&staff.session.user)
    } else {
        Err(ApiError::forbidden(
            "Only the clinic's admins manage staff accounts and devices.",
        ))
    }
}

/// The clinic's staff accounts, by name (admins only).
#[utoipa::path(get, path = "/v1/staff", tag = "admin",
    responses(
        (status = 200, body = [User]),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    ))]
pub async fn list_staff(
    State(app): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<User>>, ApiError> {
    admin(&staff)?;
    Ok(Json(app.db.users_of(&staff.session.user.clinic_id).await?))
}

/// Adds a counselor or admin to the admin's clinic.
#[utoipa::path(post, path = "/v1/staff", tag = "admin", request_body = NewStaff,
    params(("X-CSRF-Token" = String, Header, description = "The csrf_token from sign-in")),
    responses(
        (status = 201, body = User),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not an admin, or no CSRF token", body = ErrorBody),
        (status = 409, description = "The email already has an account", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn add_staff(
    State(app): State<AppState>,
    staff: Staff,
    body: Result<JsonBody<NewStaff>, ApiError>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    admin(&staff)?;
    let JsonBody(new) = body?;
    let email = new.email.trim().to_lowercase();
    if !email.contains('@') || email.len() > 254 {
        return Err(ApiError::unprocessable(
            "email",
            "Type the colleague's email address, like dana@clinic.example.",
        ));
    }
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::unprocessable(
            "name",
            "Type the colleague's name (up to 100 characters).",
        ));
    }
    let role = Role::parse(&new.role)
        .ok_or_else(|| ApiError::unprocessable("role", "The role is counselor or admin."))?;
    let password_hash =
        hash_password(&new.password).map_err(|m| ApiError::unprocessable("password", m))?;
    let user = app
        .db
        .create_user(&NewUser {
            clinic_id: staff.session.user.clinic_id.clone(),
            email,
            name: name.to_owned(),
            role,
            password_hash,
        })
        .await?;
    tracing::info!(admin = %staff.session.user.id, user = %user.id, role = ?user.role, "staff account added");
    Ok((StatusCode::CREATED, Json(user)))
}

/// Every device paired in the clinic, with whose it is (admins only): for
/// finding and revoking a lost phone.
#[utoipa::path(get, path = "/v1/devices", tag = "admin",
    responses(
        (status = 200, body = [ClinicDevice]),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    ))]
pub async fn list_devices(
    State(app): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<ClinicDevice>>, ApiError> {
    let user = admin(&staff)?;
    Ok(Json(app.db.clinic_devices(&user.clinic_id, None).await?))
}

/// Revokes any device in the clinic (admins only); its token stops working
/// at once. Written to the audit log for the device's patient.
#[utoipa::path(delete, path = "/v1/devices/{device_id}", tag = "admin",
    params(("device_id" = String, Path), ("X-CSRF-Token" = String, Header, description = "The csrf_token from sign-in")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No such device in this clinic, or already revoked", body = ErrorBody),
    ))]
pub async fn revoke_device(
    State(app): State<AppState>,
    staff: Staff,
    Path(device_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let user = admin(&staff)?;
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
