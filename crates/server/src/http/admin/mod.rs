//! What a clinic's admins do: staff accounts, every paired device, and the
//! audit log. Every handler here is authorised by [`Admin`].

pub mod audit;
pub mod devices;
pub mod staff;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::db::Role;
use crate::http::AppState;
use crate::http::auth::Staff;
use crate::http::error::ApiError;

/// A signed-in admin of the clinic (a [`Staff`] session whose role is
/// admin); anyone else signed in gets a 403.
pub struct Admin(pub Staff);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let staff = Staff::from_request_parts(parts, app).await?;
        if staff.session.user.role != Role::Admin {
            return Err(ApiError::forbidden(
                "Only the clinic's admins manage staff accounts and devices and read the audit log.",
            ));
        }
        Ok(Admin(staff))
    }
}
