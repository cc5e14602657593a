//! The clinic's staff, for its admins: who has an account, and adding a
//! counselor or admin (what `steady-server admin add-user` does, from the
//! dashboard). Passwords are hashed as at the command line and never logged.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use super::Admin;
use crate::db::{NewUser, Role, User};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::{AppState, JsonBody};
use crate::rules;
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

/// The clinic's staff accounts, by name (admins only).
#[utoipa::path(get, path = "/v1/staff", tag = "admin",
    responses(
        (status = 200, body = [User]),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    ))]
pub async fn list_staff(
    State(app): State<AppState>,
    Admin(staff): Admin,
) -> Result<Json<Vec<User>>, ApiError> {
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
    Admin(staff): Admin,
    body: Result<JsonBody<NewStaff>, ApiError>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let JsonBody(new) = body?;
    let email = rules::email(&new.email).map_err(|m| ApiError::unprocessable("email", m))?;
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::unprocessable(
            "name",
            "Type the colleague's name (up to 100 characters).",
        ));
    }
    let role = Role::parse(&new.role)
        .ok_or_else(|| ApiError::unprocessable("role", "The role is counselor or admin."))?;
    let password = new.password.clone();
    let password_hash = app
        .hashing
        .run(move || hash_password(&password))
        .await?
        .map_err(|m| ApiError::unprocessable("password", m))?;
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
