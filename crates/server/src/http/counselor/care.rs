//! What counselors write into a patient's records — assignments, check-up
//! messages, sessions, a worksheet's review and comments. Writes go through the same merge as a device's push,
//! stamped by this server's clock, so they reach the patient's devices on
//! their next pull. The rule of who may write which field is steady-model's
//! `may_write`, the one the app follows too.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use steady_model::merge::{FieldMap, RawJson, Stamped};
use steady_model::{
    Assignment, AssignmentDraft, Body, Comment, Event, EventDraft, Message, MessageDraft, RecordId,
    RecordKind, ValidationErrors, WorksheetReview, Writer, may_write,
};
use ts_rs::TS;
use utoipa::ToSchema;

use super::consented_patient;
use crate::db::{Consent, Incoming, Patient, PushLimits, PushOutcome, StoredRecord};
use crate::http::auth::Staff;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::{AppState, JsonBody};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssignment {
    /// A built-in worksheet template's id, e.g. `cbt-thought-record`.
    pub template: String,
    pub due: Option<NaiveDate>,
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub text: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    pub text: String,
}

/// The record a write created or changed.
#[derive(Serialize, ToSchema, TS)]
pub struct Written {
    pub id: String,
    pub kind: String,
    #[schema(value_type = Object)]
    #[ts(type = "Record<string, unknown>")]
    pub fields: Map<String, Value>,
}

/// A validation refusal as a 422 naming the first field at fault.
fn refused(e: ValidationErrors) -> ApiError {
    let first = &e.fields()[0];
    ApiError::unprocessable(&first.field, e.to_string())
}

fn now_fixed() -> chrono::DateTime<chrono::FixedOffset> {
    Utc::now().fixed_offset()
}

/// Merges `fields` into the patient's record `id` as the care team, audited.
async fn write(
    app: &AppState,
    staff: &Staff,
    patient: &Patient,
    kind: RecordKind,
    id: &str,
    fields: Map<String, Value>,
) -> Result<Written, ApiError> {
    let stamp = app.tick();
    let mut stamped = BTreeMap::new();
    for (path, value) in &fields {
        if !may_write(Writer::CareTeam, kind, path) {
            return Err(ApiError::unprocessable(
                path,
                format!(
                    "The care team does not write the {path} field of a {}.",
                    kind.noun()
                ),
            ));
        }
        stamped.insert(
            path.clone(),
            Stamped {
                // On the wire a null is an absent value; store it as one.
                value: Some(value).filter(|v| !v.is_null()).map(RawJson::of),
                stamp,
            },
        );
    }
    let user = &staff.session.user;
    app.db
        .audit(
            &user.clinic_id,
            &user.id,
            &patient.id,
            &format!("write {}", kind.as_str()),
            &format!("id={id}"),
        )
        .await?;
    let outcome = app
        .db
        .push(
            &patient.id,
            vec![Incoming {
                id: id.to_owned(),
                kind: kind.as_str().to_owned(),
                fields: FieldMap(stamped),
            }],
            &PushLimits {
                quota: app.settings.quota,
                rate: None,
            },
        )
        .await?;
    if let Some(PushOutcome::Refused(reason)) = outcome.into_iter().next() {
        return Err(ApiError::unprocessable(kind.as_str(), reason));
    }
    app.live.changed(&patient.id).await;
    tracing::info!(patient = %patient.id, counselor = %user.id, kind = kind.as_str(), "care team wrote");
    Ok(Written {
        id: id.to_owned(),
        kind: kind.as_str().to_owned(),
        fields,
    })
}

fn fields_of<B: Body>(value: &B) -> Result<Map<String, Value>, ApiError> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ApiError::internal()),
    }
}

/// Creates a care-team record of kind `B` for the patient. Whose patient
/// comes first: a stranger's id is a 404 whatever the body, which is read
/// (by `draft`) only after.
async fn create<B: Body>(
    app: &AppState,
    staff: &Staff,
    patient_id: &str,
    draft: impl FnOnce() -> Result<B::Draft, ApiError>,
) -> Result<(StatusCode, Json<Written>), ApiError> {
    let (patient, _) = consented_patient(app, staff, patient_id).await?;
    let value = B::from_draft(draft()?, now_fixed()).map_err(refused)?;
    let id = RecordId::new().to_string();
    let fields = fields_of(&value)?;
    let written = write(app, staff, &patient, B::KIND, &id, fields).await?;
    Ok((StatusCode::CREATED, Json(written)))
}

/// Assigns a worksheet to the patient, optionally with a due date.
#[utoipa::path(post, path = "/v1/patients/{patient_id}/assignments", tag = "care",
    params(("patient_id" = String, Path)), request_body = NewAssignment,
    responses(
        (status = 201, body = Written),
        (status = 404, description = "Not on your caseload, or no active consent", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn assign(
    State(app): State<AppState>,
    staff: Staff,
    Path(patient_id): Path<String>,
    body: Result<JsonBody<NewAssignment>, ApiError>,
) -> Result<(StatusCode, Json<Written>), ApiError> {
    let from = staff.session.user.name.clone();
    create::<Assignment>(&app, &staff, &patient_id, || {
        let JsonBody(body) = body?;
        Ok(AssignmentDraft {
            template: body.template,
            due: body.due,
            note: body.note,
            from,
        })
    })
    .await
}

/// Sends the patient a check-up message.
#[utoipa::path(post, path = "/v1/patients/{patient_id}/messages", tag = "care",
    params(("patient_id" = String, Path)), request_body = NewMessage,
    responses(
        (status = 201, body = Written),
        (status = 404, description = "Not on your caseload, or no active consent", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn send_message(
    State(app): State<AppState>,
    staff: Staff,
    Path(patient_id): Path<String>,
    body: Result<JsonBody<NewMessage>, ApiError>,
) -> Result<(StatusCode, Json<Written>), ApiError> {
    let from = staff.session.user.name.clone();
    create::<Message>(&app, &staff, &patient_id, || {
        let JsonBody(body) = body?;
        Ok(MessageDraft {
            text: body.text,
            from,
        })
    })
    .await
}

/// Adds a session (a group, a class, an appointment) to the patient's schedule.
#[utoipa::path(post, path = "/v1/patients/{patient_id}/events", tag = "care",
    params(("patient_id" = String, Path)),
    request_body(content = Object, description = "An event: title, kind, place, link, start (local), zone (IANA), duration_minutes, recurrence, exceptions, reminder_minutes"),
    responses(
        (status = 201, body = Written),
        (status = 404, description = "Not on your caseload, or no active consent", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn add_event(
    State(app): State<AppState>,
    staff: Staff,
    Path(patient_id): Path<String>,
    body: Result<JsonBody<EventDraft>, ApiError>,
) -> Result<(StatusCode, Json<Written>), ApiError> {
    create::<Event>(&app, &staff, &patient_id, || {
        let JsonBody(mut draft) = body?;
        draft.visibility = steady_model::Visibility::CareTeam;
        Ok(draft)
    })
    .await
}

/// Most patients one group session is added for at once.
pub const MAX_GROUP: usize = 100;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroupSessions {
    /// Patients on your caseload, each sharing with you.
    pub patient_ids: Vec<String>,
    /// The session, as for one patient: title, kind, place, link, start
    /// (local), zone (IANA), duration_minutes, recurrence, exceptions,
    /// reminder_minutes.
    #[schema(value_type = Object)]
    pub event: EventDraft,
}

#[derive(Serialize, ToSchema, TS)]
pub struct GroupSessions {
    /// One per patient, in the order asked.
    pub sessions: Vec<Written>,
}

/// Adds one (usually recurring) group session to many patients' schedules
/// at once. Every patient and the session are checked before anything is
/// written: one patient who is not yours, or not sharing, refuses the lot.
#[utoipa::path(post, path = "/v1/group-sessions", tag = "care",
    request_body = NewGroupSessions,
    responses(
        (status = 201, body = GroupSessions),
        (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn add_group_sessions(
    State(app): State<AppState>,
    staff: Staff,
    body: Result<JsonBody<NewGroupSessions>, ApiError>,
) -> Result<(StatusCode, Json<GroupSessions>), ApiError> {
    let JsonBody(NewGroupSessions { patient_ids, event }) = body?;
    if patient_ids.is_empty() || patient_ids.len() > MAX_GROUP {
        return Err(ApiError::unprocessable(
            "patient_ids",
            format!("Choose 1 to {MAX_GROUP} patients."),
        ));
    }
    let mut patients: Vec<Patient> = Vec::with_capacity(patient_ids.len());
    for (i, id) in patient_ids.iter().enumerate() {
        let field = format!("patient_ids[{i}]");
        if patient_ids[..i].contains(id) {
            return Err(ApiError::unprocessable(
                &field,
                "This patient is listed twice.",
            ));
        }
        match consented_patient(&app, &staff, id).await {
            Ok((patient, _)) => patients.push(patient),
            Err(e) if e.status() == StatusCode::NOT_FOUND => {
                return Err(ApiError::unprocessable(
                    &field,
                    "This patient is not on your caseload, or is not sharing with you.",
                ));
            }
            Err(e) => return Err(e),
        }
    }
    let draft = EventDraft {
        visibility: steady_model::Visibility::CareTeam,
        ..event
    };
    let session = Event::from_draft(draft, now_fixed()).map_err(|e| {
        let first = &e.fields()[0];
        ApiError::unprocessable(&format!("event.{}", first.field), e.to_string())
    })?;
    let fields = fields_of(&session)?;
    let mut sessions = Vec::with_capacity(patients.len());
    for patient in &patients {
        let id = RecordId::new().to_string();
        sessions.push(
            write(
                &app,
                &staff,
                patient,
                RecordKind::Event,
                &id,
                fields.clone(),
            )
            .await?,
        );
    }
    tracing::info!(counselor = %staff.session.user.id, patients = sessions.len(), "group sessions added");
    Ok((StatusCode::CREATED, Json(GroupSessions { sessions })))
}

/// How many replies a read marked.
#[derive(Serialize, ToSchema, TS)]
pub struct RepliesRead {
    pub marked: u32,
}

/// Marks every reply the patient sent read, once: the counselor's page
/// shows the conversation. The patient's devices learn of it on their next
/// pull.
#[utoipa::path(post, path = "/v1/patients/{patient_id}/replies/read", tag = "care",
    params(("patient_id" = String, Path)),
    responses(
        (status = 200, body = RepliesRead),
        (status = 404, description = "Not on your caseload, or no active consent", body = ErrorBody),
    ))]
pub async fn mark_replies_read(
    State(app): State<AppState>,
    staff: Staff,
    Path(patient_id): Path<String>,
) -> Result<Json<RepliesRead>, ApiError> {
    let (patient, _consent) = consented_patient(&app, &staff, &patient_id).await?;
    let unread: Vec<String> = app
        .db
        .records_of(&patient.id, RecordKind::Reply)
        .await?
        .records
        .into_iter()
        .filter(|r| !r.fields.is_deleted())
        .filter(|r| {
            r.fields
                .0
                .get("read_at")
                .is_none_or(|f| f.value.as_ref().is_none_or(Value::is_null))
        })
        .map(|r| r.id)
        .collect();
    let now = serde_json::to_value(now_fixed()).map_err(|_| ApiError::internal())?;
    for id in &unread {
        let mut fields = Map::new();
        fields.insert("read_at".into(), now.clone());
        write(&app, &staff, &patient, RecordKind::Reply, id, fields).await?;
    }
    Ok(Json(RepliesRead {
        marked: u32::try_from(unread.len()).unwrap_or(u32::MAX),
    }))
}

/// The patient's worksheet `id`, if shared and not deleted.
async fn shared_worksheet(
    app: &AppState,
    patient: &Patient,
    consent: &Consent,
    id: &str,
) -> Result<StoredRecord, ApiError> {
    let gone = || ApiError::not_found("No such worksheet for this patient.");
    if !consent.shares(RecordKind::Worksheet) {
        return Err(gone());
    }
    app.db
        .records_of(&patient.id, RecordKind::Worksheet)
        .await?
        .records
        .into_iter()
        .find(|r| r.id == id && !r.fields.is_deleted())
        .ok_or_else(gone)
}

/// Marks a worksheet reviewed.
#[utoipa::path(put, path = "/v1/patients/{patient_id}/worksheets/{worksheet_id}/review", tag = "care",
    params(("patient_id" = String, Path), ("worksheet_id" = String, Path)),
    responses(
        (status = 200, body = Written),
        (status = 404, description = "Not on your caseload, no active consent, or no such worksheet", body = ErrorBody),
    ))]
pub async fn review_worksheet(
    State(app): State<AppState>,
    staff: Staff,
    Path((patient_id, worksheet_id)): Path<(String, String)>,
) -> Result<Json<Written>, ApiError> {
    let (patient, consent) = consented_patient(&app, &staff, &patient_id).await?;
    shared_worksheet(&app, &patient, &consent, &worksheet_id).await?;
    let review = WorksheetReview {
        by: staff.session.user.name.clone(),
        at: now_fixed(),
    };
    let mut fields = Map::new();
    fields.insert(
        "review".into(),
        serde_json::to_value(review).map_err(|_| ApiError::internal())?,
    );
    let written = write(
        &app,
        &staff,
        &patient,
        RecordKind::Worksheet,
        &worksheet_id,
        fields,
    )
    .await?;
    Ok(Json(written))
}

/// Adds a comment to a worksheet.
#[utoipa::path(post, path = "/v1/patients/{patient_id}/worksheets/{worksheet_id}/comments", tag = "care",
    params(("patient_id" = String, Path), ("worksheet_id" = String, Path)), request_body = NewComment,
    responses(
        (status = 201, body = Written),
        (status = 404, description = "Not on your caseload, no active consent, or no such worksheet", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn comment_worksheet(
    State(app): State<AppState>,
    staff: Staff,
    Path((patient_id, worksheet_id)): Path<(String, String)>,
    body: Result<JsonBody<NewComment>, ApiError>,
) -> Result<(StatusCode, Json<Written>), ApiError> {
    let (patient, consent) = consented_patient(&app, &staff, &patient_id).await?;
    let sheet = shared_worksheet(&app, &patient, &consent, &worksheet_id).await?;
    let JsonBody(body) = body?;
    let text = steady_model::care::comment_text(&body.text).map_err(refused)?;
    let mut comments: Vec<Comment> = sheet
        .fields
        .0
        .get("comments")
        .and_then(|f| f.value.clone())
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    comments.push(Comment {
        by: staff.session.user.name.clone(),
        at: now_fixed(),
        text,
    });
    let mut fields = Map::new();
    fields.insert(
        "comments".into(),
        serde_json::to_value(comments).map_err(|_| ApiError::internal())?,
    );
    let written = write(
        &app,
        &staff,
        &patient,
        RecordKind::Worksheet,
        &worksheet_id,
        fields,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(written)))
}
