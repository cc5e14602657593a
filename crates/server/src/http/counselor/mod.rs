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

/// A patient's live records of one kind, read as that kind, and how many
/// could not be read: those are left out and counted, so one damaged record
/// never fails a page.
pub(crate) struct Typed<B> {
    pub values: Vec<B>,
    pub unreadable: u32,
    /// Records the patient withdrew: counted, nothing of them kept.
    pub withdrawn: u32,
}

/// The patient's live records of a kind they share, read as that kind;
/// none for a kind they do not share.
pub(crate) async fn shared<B: Body>(
    app: &AppState,
    patient: &Patient,
    consent: &Consent,
) -> Result<Typed<B>, ApiError> {
    let mut typed = Typed {
        values: Vec::new(),
        unreadable: 0,
        withdrawn: 0,
    };
    if !consent.covers(B::KIND) {
        return Ok(typed);
    }
    let listing = app.db.records_of(&patient.id, B::KIND).await?;
    let mut unreadable = listing.unreadable.len();
    typed.withdrawn = u32::try_from(listing.withdrawn.len()).unwrap_or(u32::MAX);
    for record in listing.records {
        if record.fields.is_deleted() {
            continue;
        }
        match serde_json::from_value(Value::Object(record.fields.into_body(B::KIND))) {
            Ok(value) => typed.values.push(value),
            Err(_) => {
                tracing::warn!(patient = %patient.id, record = %record.id, kind = %B::KIND.as_str(), "stored record does not read as its kind; skipped");
                unreadable += 1;
            }
        }
    }
    typed.unreadable = u32::try_from(unreadable).unwrap_or(u32::MAX);
    Ok(typed)
}
