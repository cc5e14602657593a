//! What counselors write into a patient's records — assignments, check-up
//! messages, sessions, a worksheet's review and comments — and the caseload
//! with its risk flags. Writes go through the same merge as a device's push,
//! stamped by this server's clock, so they reach the patient's devices on
//! their next pull. The rule of who may write which field is steady-model's
//! `may_write`, the one the app follows too.

use std::collections::{BTreeMap, HashSet};
use std::convert::Infallible;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use chrono::{NaiveDate, Utc};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use steady_model::merge::{FieldMap, RawJson, Stamped};
use steady_model::{
    Assignment, AssignmentDraft, Attendance, Body, CheckIn, Comment, Event, EventDraft, Message,
    MessageDraft, RecordId, RecordKind, RiskFlag, ValidationErrors, WorksheetReview, Writer,
    may_write, risk_flags,
};
use utoipa::ToSchema;

use super::AppState;
use super::JsonBody;
use super::auth::Staff;
use super::caseload::own_patient;
use super::error::{ApiError, ErrorBody};
use crate::db::{
    Accounts, Audit, Caseload, Consent, Incoming, Patient, PushOutcome, Records, StoredRecord,
};
use crate::live::Change;

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
#[derive(Serialize, ToSchema)]
pub struct Written {
    pub id: String,
    pub kind: String,
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
}

/// One patient on the caseload, with what calls for attention.
#[derive(Serialize, ToSchema)]
pub struct CaseloadEntry {
    pub patient: Patient,
    /// Whether the patient's consent to share is in force; without it
    /// nothing else is shown.
    pub sharing: bool,
    /// Most urgent first: lapse, high_craving, missed_group, no_check_in.
    #[schema(value_type = Vec<String>)]
    pub flags: Vec<RiskFlag>,
    /// The flags in words, in the same order.
    pub flag_labels: Vec<&'static str>,
    /// When the last check-in was logged (RFC 3339, the patient's offset).
    pub last_checkin: Option<String>,
}

/// A validation refusal as a 422 naming the first field at fault.
fn refused(e: ValidationErrors) -> ApiError {
    let first = &e.fields()[0];
    ApiError::unprocessable(&first.field, e.to_string())
}

/// The patient, if on this counselor's caseload with consent in force.
pub(super) async fn consented_patient(
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

#[derive(Serialize, ToSchema)]
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

/// The patient's worksheet `id`, if shared and not deleted.
async fn shared_worksheet(
    app: &AppState,
    patient: &Patient,
    consent: &Consent,
    id: &str,
) -> Result<StoredRecord, ApiError> {
    let gone = || ApiError::not_found("No such worksheet for this patient.");
    if !consent.kinds.iter().any(|k| k == "worksheet") {
        return Err(gone());
    }
    app.db
        .records_of(&patient.id, RecordKind::Worksheet)
        .await?
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

/// Live records of one kind, read as that kind; unreadable ones skipped.
pub(super) async fn typed<B: Body>(app: &AppState, patient: &Patient) -> Result<Vec<B>, ApiError> {
    Ok(app
        .db
        .records_of(&patient.id, B::KIND)
        .await?
        .into_iter()
        .filter(|r| !r.fields.is_deleted())
        .filter_map(|r| serde_json::from_value(Value::Object(r.fields.body(B::KIND))).ok())
        .collect())
}

/// Live: which of this counselor's patients just had records change, as
/// server-sent events — `changed` with `{"patient_id": ...}`, or `missed`
/// when some were lost and the page should refresh everything. Ids only:
/// reading what changed stays an audited request.
#[utoipa::path(get, path = "/v1/caseload/events", tag = "care",
    responses(
        (status = 200, description = "An event stream (text/event-stream)", content_type = "text/event-stream"),
        (status = 401, body = ErrorBody),
    ))]
pub async fn caseload_events(
    State(app): State<AppState>,
    staff: Staff,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let counselor = staff.session.user.id.clone();
    let mine: HashSet<String> = app
        .db
        .patients_of(&counselor)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let mut session_check = tokio::time::interval(SESSION_CHECK);
    session_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let watch = Watch {
        subscription: app.live.subscribe(),
        app,
        counselor,
        token_hash: staff.token_hash,
        session_check,
        mine,
        others: HashSet::new(),
    };
    let stream = futures_util::stream::unfold(watch, |mut watch| async move {
        let event = watch.next().await?;
        Some((Ok(event), watch))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// How often an open event stream checks that its session has not ended
/// (signed out, or idle on every other page).
const SESSION_CHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// One counselor's view of the live changes.
struct Watch {
    app: AppState,
    counselor: String,
    /// The session that opened the stream; the stream ends with it.
    token_hash: String,
    session_check: tokio::time::Interval,
    subscription: crate::live::Subscription,
    mine: HashSet<String>,
    /// Patients seen not to be on this caseload.
    others: HashSet<String>,
}

impl Watch {
    /// The next event for this counselor; none once the server stops or
    /// the session ends. Checking the session does not count as activity,
    /// so an open stream never keeps an idle session alive.
    async fn next(&mut self) -> Option<SseEvent> {
        loop {
            let change = tokio::select! {
                change = self.subscription.next() => change?,
                _ = self.session_check.tick() => {
                    let now = crate::db::now_ms();
                    let since = super::auth::idle_since(&self.app, now);
                    match self.app.db.session_open(&self.token_hash, since).await {
                        Ok(true) => continue,
                        Ok(false) => return None,
                        Err(e) => {
                            tracing::warn!(error = %e, "event stream: could not check the session");
                            continue;
                        }
                    }
                }
            };
            let patient_id = match change {
                Change::Missed => return Some(SseEvent::default().event("missed").data("{}")),
                Change::Patient(id) => id,
            };
            if self.others.contains(&patient_id) {
                continue;
            }
            if !self.mine.contains(&patient_id) {
                // Perhaps added to the caseload since the page opened.
                match self.app.db.patient_of(&self.counselor, &patient_id).await {
                    Ok(Some(_)) => {
                        self.mine.insert(patient_id.clone());
                    }
                    _ => {
                        self.others.insert(patient_id);
                        continue;
                    }
                }
            }
            let data = serde_json::json!({ "patient_id": patient_id }).to_string();
            return Some(SseEvent::default().event("changed").data(data));
        }
    }
}

/// The caseload, most urgent first: each patient's risk flags and last
/// check-in. Reading a patient's flags is a read of their records, so each
/// one shown is written to the audit log.
#[utoipa::path(get, path = "/v1/caseload", tag = "care",
    responses((status = 200, body = [CaseloadEntry]), (status = 401, body = ErrorBody)))]
pub async fn caseload(
    State(app): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<CaseloadEntry>>, ApiError> {
    let user = &staff.session.user;
    let now = Utc::now();
    let mut entries = Vec::new();
    for patient in app.db.patients_of(&user.id).await? {
        let consent = app.db.active_consent(&patient.id).await?;
        let Some(consent) = consent else {
            entries.push(CaseloadEntry {
                patient,
                sharing: false,
                flags: Vec::new(),
                flag_labels: Vec::new(),
                last_checkin: None,
            });
            continue;
        };
        app.db
            .audit(
                &user.clinic_id,
                &user.id,
                &patient.id,
                "read caseload summary",
                "",
            )
            .await?;
        let checkins: Vec<CheckIn> = if consent.shares(RecordKind::CheckIn) {
            typed(&app, &patient).await?
        } else {
            Vec::new()
        };
        let attendance: Vec<Attendance> = if consent.shares(RecordKind::Attendance) {
            typed(&app, &patient).await?
        } else {
            Vec::new()
        };
        let (flags, last) = risk_flags(&checkins, &attendance, now);
        entries.push(CaseloadEntry {
            patient,
            sharing: true,
            flag_labels: flags.iter().map(|f| f.label()).collect(),
            flags,
            last_checkin: last.map(|t| t.to_rfc3339()),
        });
    }
    // Most flags first, the most urgent flag breaking ties; then by name.
    entries.sort_by(|a, b| {
        b.flags
            .len()
            .cmp(&a.flags.len())
            .then_with(|| a.flags.first().cmp(&b.flags.first()))
            .then_with(|| a.patient.display_name.cmp(&b.patient.display_name))
    });
    Ok(Json(entries))
}
