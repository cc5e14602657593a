//! What a signed-in counselor does with their own caseload: patients and
//! their pairing codes and devices, the caseload ranked by risk and its live
//! changes, a patient's records and insights, and the care team's writes.
//! Every handler here is authorised by [`Staff`] and reaches only the
//! counselor's own patients: another's answers 404, exactly like one that
//! does not exist.

pub mod care;
pub mod caseload;
pub mod events;
pub mod insight;
pub mod patients;
pub mod records;

use serde_json::Value;
use steady_model::Body;

use crate::db::{Consent, Patient, Role};
use crate::http::AppState;
use crate::http::auth::Staff;
use crate::http::error::ApiError;

fn not_found() -> ApiError {
    ApiError::not_found("No such patient on your caseload.")
}

/// The patient if they are on this counselor's caseload.
pub(crate) async fn own_patient(
    app: &AppState,
    staff: &Staff,
    patient_id: &str,
) -> Result<Patient, ApiError> {
    if staff.session.user.role != Role::Counselor {
        return Err(not_found());
    }
    app.db
        .patient_of(&staff.session.user.id, patient_id)
        .await?
        .ok_or_else(not_found)
}

/// The patient, if on this counselor's caseload with consent in force.
pub(crate) async fn consented_patient(
    app: &AppState,
    staff: &Staff,
    patient_id: &str,
) -> Result<(Patient, Consent), ApiError> {
    let patient = own_patient(app, staff, patient_id).await?;
    let consent = app
        .db
        .active_consent(&patient.id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such patient on your caseload."))?;
    Ok((patient, consent))
}

/// Live records of one kind, read as that kind; unreadable ones skipped.
pub(crate) async fn typed<B: Body>(app: &AppState, patient: &Patient) -> Result<Vec<B>, ApiError> {
    Ok(app
        .db
        .records_of(&patient.id, B::KIND)
        .await?
        .into_iter()
        .filter(|r| !r.fields.is_deleted())
        .filter_map(|r| serde_json::from_value(Value::Object(r.fields.body(B::KIND))).ok())
        .collect())
}
