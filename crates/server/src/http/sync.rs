//! Sync protocol v1, the device's side: push care-team records (answered per
//! record: applied, or refused with a reason), pull what changed after a
//! cursor, a page at a time. Consent gates both: without an active consent
//! nothing is taken or given, and only the kinds consented to are taken.

use std::str::FromStr;

use axum::Json;
use axum::extract::{Query, State};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use steady_model::merge::{FieldMap, RawJson};
use steady_model::{RecordKind, Writer, may_write};
use utoipa::{IntoParams, ToSchema};

use super::device::{PairedDevice, SHAREABLE_KINDS};
use super::error::{ApiError, ErrorBody};
use super::{AppState, JsonBody};
use crate::db::{Caseload, Consent, Incoming, PushOutcome, Records};

/// Most records in one push.
pub const MAX_PUSH: usize = 500;
/// Most records in one pulled page, and the default.
pub const MAX_PAGE: i64 = 1000;
pub const DEFAULT_PAGE: i64 = 500;
/// Most fields in one record.
pub const MAX_FIELDS: usize = 200;
/// How far ahead of the server's clock a stamp may be.
pub const MAX_CLOCK_AHEAD_MS: u64 = 60 * 60 * 1000;

/// One field on the wire: its value (null once removed) and its stamp.
/// (The document's form of steady-model's `Stamped`, which is what is read.)
#[derive(ToSchema)]
pub struct WireField {
    #[schema(value_type = Object)]
    pub value: Option<serde_json::Value>,
    /// The hybrid logical clock stamp, `ms-counter-node`.
    pub stamp: String,
}

/// A record on the wire. Its values are kept as the JSON text they
/// arrived in: the server stores them as they are and checks the merged
/// record against its kind. A stamp that is not one makes the request
/// unusable (422 naming the field), like any other malformed field.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WireRecord {
    pub id: String,
    pub kind: String,
    #[schema(value_type = BTreeMap<String, WireField>)]
    pub fields: FieldMap<RawJson>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub records: Vec<WireRecord>,
}

#[derive(Serialize, ToSchema)]
pub struct PushResult {
    pub id: String,
    /// applied or refused
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PushResponse {
    pub results: Vec<PushResult>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PullQuery {
    /// The cursor from the previous page; 0 (the default) for everything.
    #[serde(default)]
    pub after: i64,
    /// Records per page, 1 to 1000; 500 by default.
    pub limit: Option<i64>,
}

/// A pulled record: a [`WireRecord`] and its change number.
#[derive(Serialize, ToSchema)]
pub struct PulledRecord {
    pub id: String,
    pub kind: String,
    /// Each field: `{"value": ..., "stamp": "ms-counter-node"}`.
    #[schema(value_type = Object)]
    pub fields: Box<serde_json::value::RawValue>,
    /// The change number; the last one of a page is the next cursor.
    pub change: i64,
}

#[derive(Serialize, ToSchema)]
pub struct PullResponse {
    pub records: Vec<PulledRecord>,
    /// Pass as `after` for the next page; store it only once this page is stored.
    pub cursor: i64,
    /// Whether another page is waiting.
    pub more: bool,
}

async fn consent_of(app: &AppState, device: &PairedDevice) -> Result<Consent, ApiError> {
    app.db
        .active_consent(&device.0.patient_id)
        .await?
        .ok_or_else(|| {
            ApiError::forbidden_code(
                "consent_required",
                "There is no active consent to share records; consent again in the app to sync.",
            )
        })
}

/// Checks one pushed record; the reason it is refused, if it is.
fn check(record: WireRecord, consent: &Consent, now_ms: u64) -> Result<Incoming, String> {
    if uuid::Uuid::from_str(&record.id).is_err() {
        return Err("the id is not a UUID".into());
    }
    let Some(kind) = RecordKind::parse(&record.kind) else {
        return Err(format!(
            "{:?} is not a kind of record this server keeps",
            record.kind
        ));
    };
    // The patient's own kinds travel only as far as the consent says;
    // the care team's (messages marked read) are theirs already.
    if SHAREABLE_KINDS.contains(&record.kind.as_str()) && !consent.kinds.contains(&record.kind) {
        return Err(format!(
            "the patient's consent does not cover {} records",
            record.kind
        ));
    }
    if record.fields.0.is_empty() || record.fields.0.len() > MAX_FIELDS {
        return Err(format!("a record carries 1 to {MAX_FIELDS} fields"));
    }
    for (path, field) in &record.fields.0 {
        if path.is_empty() || path.len() > 200 {
            return Err("a field name is empty or longer than 200 characters".into());
        }
        if path == "visibility" && field.value.as_ref().map(RawJson::get) != Some("\"care_team\"") {
            return Err("private records stay on the device".into());
        }
        if !may_write(Writer::Patient, kind, path) {
            return Err(format!(
                "only the care team writes the {path} field of a {}",
                kind.noun()
            ));
        }
        if field.stamp.physical_ms() > now_ms + MAX_CLOCK_AHEAD_MS {
            return Err(format!(
                "field {path} is stamped more than an hour ahead of the server; check the device's clock"
            ));
        }
    }
    Ok(Incoming {
        id: record.id,
        kind: record.kind,
        fields: record.fields,
    })
}

/// Pushes care-team records; each is merged field by field and answered.
#[utoipa::path(post, path = "/v1/sync/push", tag = "sync", request_body = PushRequest,
    responses(
        (status = 200, description = "Each record applied or refused", body = PushResponse),
        (status = 401, body = ErrorBody),
        (status = 403, description = "No active consent", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn push(
    State(app): State<AppState>,
    device: PairedDevice,
    JsonBody(body): JsonBody<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    if body.records.len() > MAX_PUSH {
        return Err(ApiError::unprocessable(
            "records",
            format!(
                "Push at most {MAX_PUSH} records at a time; {} were sent.",
                body.records.len()
            ),
        ));
    }
    let consent = consent_of(&app, &device).await?;
    let now_ms = Utc::now().timestamp_millis().max(0) as u64;
    let mut results: Vec<PushResult> = Vec::with_capacity(body.records.len());
    let mut accepted = Vec::new();
    let mut slots = Vec::new();
    for record in body.records {
        let id = record.id.clone();
        match check(record, &consent, now_ms) {
            Ok(incoming) => {
                slots.push(results.len());
                accepted.push(incoming);
                results.push(PushResult {
                    id,
                    status: "applied",
                    reason: None,
                });
            }
            Err(reason) => results.push(PushResult {
                id,
                status: "refused",
                reason: Some(reason),
            }),
        }
    }
    let outcomes = app.db.push(&device.0.patient_id, accepted).await?;
    for (slot, outcome) in slots.into_iter().zip(outcomes) {
        if let PushOutcome::Refused(reason) = outcome {
            results[slot].status = "refused";
            results[slot].reason = Some(reason);
        }
    }
    let refused = results.iter().filter(|r| r.status == "refused").count();
    if refused < results.len() {
        app.live.changed(&device.0.patient_id).await;
    }
    tracing::info!(
        patient = %device.0.patient_id,
        device = %device.0.device_id,
        records = results.len(),
        refused,
        "push"
    );
    Ok(Json(PushResponse { results }))
}

/// Records changed after a cursor, oldest change first.
#[utoipa::path(get, path = "/v1/sync/pull", tag = "sync", params(PullQuery),
    responses(
        (status = 200, body = PullResponse),
        (status = 401, body = ErrorBody),
        (status = 403, description = "No active consent", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn pull(
    State(app): State<AppState>,
    device: PairedDevice,
    query: Result<Query<PullQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<PullResponse>, ApiError> {
    let Query(query) = query.map_err(super::error::unusable_query)?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::unprocessable(
            "limit",
            format!("A page holds 1 to {MAX_PAGE} records; {limit} was asked for."),
        ));
    }
    if query.after < 0 {
        return Err(ApiError::unprocessable(
            "after",
            "The cursor is never negative; start from 0.",
        ));
    }
    consent_of(&app, &device).await?;
    let mut rows = app
        .db
        .pull_raw(&device.0.patient_id, query.after, limit + 1)
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let cursor = rows.last().map_or(query.after, |r| r.change);
    let records = rows
        .into_iter()
        .map(|r| {
            // The stored text is the wire's `fields` object already.
            let fields = serde_json::value::RawValue::from_string(r.fields)
                .map_err(|e| crate::db::DbError::Corrupt(format!("record fields: {e}")))?;
            Ok(PulledRecord {
                id: r.id,
                kind: r.kind,
                fields,
                change: r.change,
            })
        })
        .collect::<Result<Vec<_>, crate::db::DbError>>()?;
    tracing::info!(patient = %device.0.patient_id, records = records.len(), "pull");
    Ok(Json(PullResponse {
        records,
        cursor,
        more,
    }))
}
