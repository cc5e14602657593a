//! The counselor's reads of a patient's shared records, and the worksheet
//! templates they are read against. Every read that returns patient data is
//! written to the append-only audit log first; without an active consent the
//! patient's records answer 404, exactly as for a patient who is not on the
//! caseload.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use steady_model::{Library, Questionnaire, RecordKind};
use ts_rs::TS;
use utoipa::{IntoParams, ToSchema};

use super::own_patient;
use crate::http::AppState;
use crate::http::auth::Staff;
use crate::http::error::{ApiError, ErrorBody};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RecordsQuery {
    /// A kind the patient shares (checkin, trigger, worksheet, plan, event,
    /// attendance, program) or one the care team writes (message, assignment).
    pub kind: String,
    /// Earliest `at` included (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// First `at` excluded (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

/// A record's current values (removed fields left out).
#[derive(Serialize, ToSchema, TS)]
pub struct PatientRecord {
    pub id: String,
    pub kind: String,
    #[schema(value_type = Object)]
    #[ts(type = "Record<string, unknown>")]
    pub fields: BTreeMap<String, Value>,
    /// The stored record could not be read (damaged, or from a version with
    /// other rules); its fields are left out.
    pub unreadable: bool,
    /// The patient withdrew it (made it private after sharing it): the
    /// server keeps none of its contents.
    pub withdrawn: bool,
}

/// One patient's shared records of one kind, optionally in a time range.
/// The care team's own messages and assignments are listed too, with
/// whether the patient has read them.
#[utoipa::path(get, path = "/v1/patients/{patient_id}/records", tag = "counselor",
    params(("patient_id" = String, Path), RecordsQuery),
    responses(
        (status = 200, body = [PatientRecord]),
        (status = 401, body = ErrorBody),
        (status = 404, description = "Not on your caseload, or no active consent", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn patient_records(
    State(app): State<AppState>,
    staff: Staff,
    Path(patient_id): Path<String>,
    query: Result<Query<RecordsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<PatientRecord>>, ApiError> {
    let Query(query) = query.map_err(crate::http::error::unusable_query)?;
    // What the care team itself writes to a patient, and the patient's
    // replies, are readable whenever the patient shares anything, whatever
    // kinds they chose.
    let Some(kind) = RecordKind::parse(&query.kind) else {
        let kinds: Vec<&str> = RecordKind::SHAREABLE
            .iter()
            .chain(&RecordKind::CARE_TEAM)
            .chain(&RecordKind::TO_CARE_TEAM)
            .map(|k| k.as_str())
            .collect();
        return Err(ApiError::unprocessable(
            "kind",
            format!("kind must be one of {}.", kinds.join(", ")),
        ));
    };
    let patient = own_patient(&app, &staff, &patient_id).await?;
    let consent = app
        .db
        .active_consent(&patient.id)
        .await?
        .filter(|c| c.covers(kind))
        .ok_or_else(|| ApiError::not_found("No such patient on your caseload."))?;
    let user = &staff.session.user;
    app.db
        .audit(
            &user.clinic_id,
            &user.id,
            &patient.id,
            "read records",
            &format!("kind={}", query.kind),
        )
        .await?;
    let in_range = |fields: &BTreeMap<String, Value>| {
        let at = fields
            .get("at")
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc));
        match at {
            Some(at) => query.from.is_none_or(|f| at >= f) && query.to.is_none_or(|t| at < t),
            None => query.from.is_none() && query.to.is_none(),
        }
    };
    let listing = app.db.records_of(&patient.id, kind).await?;
    let mut unreadable = listing.unreadable;
    let mut records: Vec<PatientRecord> = listing
        .records
        .into_iter()
        .filter(|r| !r.fields.is_deleted())
        .filter(|r| {
            let reads = kind.read_text(&r.fields.body_text(kind)).is_ok();
            if !reads {
                tracing::warn!(patient = %patient.id, record = %r.id, kind = %kind.as_str(), "stored record does not read as its kind; reported unreadable");
                unreadable.push(r.id.clone());
            }
            reads
        })
        .map(|r| PatientRecord {
            id: r.id,
            kind: r.kind,
            fields: r
                .fields
                .0
                .into_iter()
                .filter_map(|(path, f)| Some((path, f.value?)))
                .collect(),
            unreadable: false,
            withdrawn: false,
        })
        .filter(|r| in_range(&r.fields))
        .collect();
    // A withdrawn record has no time left to place it by: it is listed
    // whatever the range, so the counselor knows the patient took it back.
    records.extend(listing.withdrawn.into_iter().map(|id| PatientRecord {
        id,
        kind: kind.as_str().to_owned(),
        fields: BTreeMap::new(),
        unreadable: false,
        withdrawn: true,
    }));
    // Whatever its time, a record that does not read is reported, so the
    // counselor knows something is missing.
    records.extend(unreadable.into_iter().map(|id| PatientRecord {
        id,
        kind: kind.as_str().to_owned(),
        fields: BTreeMap::new(),
        unreadable: true,
        withdrawn: false,
    }));
    tracing::info!(patient = %patient.id, counselor = %user.id, records = records.len(), consent = %consent.id, "records read");
    Ok(Json(records))
}

/// The worksheet templates the app knows, every version: what a counselor
/// can assign, and the questions to show a filled worksheet's answers under.
#[utoipa::path(get, path = "/v1/worksheet-templates", tag = "counselor",
    responses((status = 200, body = [Object]), (status = 401, body = ErrorBody)))]
pub async fn worksheet_templates(_staff: Staff) -> Json<Vec<&'static Questionnaire>> {
    Json(Library::builtin().all().collect())
}
