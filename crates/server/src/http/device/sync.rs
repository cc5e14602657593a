//! Sync protocol v1, the device's side: push care-team records (answered per
//! record: applied, or refused with a reason), pull what changed after a
//! cursor, a page at a time. Consent gates both: without an active consent
//! nothing is taken or given, and only the kinds consented to are taken.

use std::str::FromStr;

use axum::Json;
use axum::extract::{Query, State};
use chrono::Utc;
use serde_json::value::RawValue;
use steady_model::merge::{FieldMap, RawJson};
use steady_model::protocol::{
    DEFAULT_PAGE, ErrorBody, ErrorCode, MAX_CLOCK_AHEAD_MS, MAX_FIELD_NAME, MAX_FIELDS, MAX_PAGE,
    MAX_PUSH, PullQuery, PullResponse, PulledRecord, PushRequest, PushResponse, PushResult,
    PushStatus, WireField, WireRecord,
};
use steady_model::{RecordKind, Writer, may_write};

use super::PairedDevice;
use crate::db::{Consent, Incoming, PushLimits, PushOutcome};
use crate::http::error::ApiError;
use crate::http::{AppState, JsonText};

/// A pushed record's fields as the server holds them: each value kept as
/// the JSON text it arrived in, each stamp read (a stamp that is not one
/// makes the request unusable: 422 naming the field).
type Fields = FieldMap<RawJson>;

/// How the OpenAPI document shows a record's fields, whatever form each
/// side holds them in.
type DocFields = std::collections::BTreeMap<String, WireField>;

async fn consent_of(app: &AppState, device: &PairedDevice) -> Result<Consent, ApiError> {
    app.db
        .active_consent(&device.0.patient_id)
        .await?
        .ok_or_else(|| {
            ApiError::forbidden_code(
                ErrorCode::ConsentRequired,
                "There is no active consent to share records; consent again in the app to sync.",
            )
        })
}

/// Checks one pushed record; the reason it is refused, if it is.
fn check(record: WireRecord<Fields>, consent: &Consent, now_ms: u64) -> Result<Incoming, String> {
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
    // the care team's (messages marked read) are theirs already, and a
    // reply was written to them.
    if !consent.covers(kind) {
        return Err(format!(
            "the patient's consent does not cover {} records",
            record.kind
        ));
    }
    if record.fields.0.is_empty() || record.fields.0.len() > MAX_FIELDS {
        return Err(format!("a record carries 1 to {MAX_FIELDS} fields"));
    }
    for (path, field) in &record.fields.0 {
        if path.is_empty() || path.len() > MAX_FIELD_NAME {
            return Err(format!(
                "a field name is empty or longer than {MAX_FIELD_NAME} characters"
            ));
        }
        if path == "visibility" {
            match field.value.as_ref().map(RawJson::get) {
                Some("\"care_team\"") => {}
                // A withdrawal: the patient made a shared record private.
                // It carries that alone, never the record's contents.
                Some("\"private\"") if record.fields.0.len() == 1 => {}
                Some("\"private\"") => {
                    return Err(
                        "a private record stays on the device: withdraw it with its visibility alone"
                            .into(),
                    );
                }
                _ => return Err("visibility is care_team, or private to withdraw".into()),
            }
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
#[utoipa::path(post, path = "/v1/sync/push", tag = "sync", request_body = PushRequest<DocFields>,
    responses(
        (status = 200, description = "Each record applied or refused", body = PushResponse),
        (status = 401, body = ErrorBody),
        (status = 403, description = "No active consent", body = ErrorBody),
        (status = 413, description = "The body is too large, or the push would pass the patient's quota (nothing stored)", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, description = "Too many pushes from this device in a minute; see Retry-After", body = ErrorBody),
    ))]
pub async fn push(
    State(app): State<AppState>,
    device: PairedDevice,
    body: JsonText,
) -> Result<Json<PushResponse>, ApiError> {
    // The body is read while the consent is looked up.
    let (consent, body) = tokio::join!(consent_of(&app, &device), async {
        body.read::<PushRequest<Fields>>()
    });
    let (body, consent) = (body?, consent?);
    if body.records.len() > MAX_PUSH {
        return Err(ApiError::unprocessable(
            "records",
            format!(
                "Push at most {MAX_PUSH} records at a time; {} were sent.",
                body.records.len()
            ),
        ));
    }
    let now = Utc::now().timestamp_millis();
    let now_ms = now.max(0) as u64;
    let mut results: Vec<PushResult> = Vec::with_capacity(body.records.len());
    let mut accepted = Vec::new();
    let mut slots = Vec::new();
    for record in body.records {
        let id = record.id.clone();
        match check(record, &consent, now_ms) {
            Ok(incoming) => {
                slots.push(results.len());
                accepted.push(incoming);
                results.push(PushResult::applied(id));
            }
            Err(reason) => results.push(PushResult::refused(id, reason)),
        }
    }
    let outcomes = app
        .db
        .push(
            &device.0.patient_id,
            accepted,
            &PushLimits {
                quota: app.settings.quota,
                rate: Some((
                    device.0.device_id.clone(),
                    i64::from(app.settings.pushes_per_minute),
                )),
            },
        )
        .await?;
    for (slot, outcome) in slots.into_iter().zip(outcomes) {
        if let PushOutcome::Refused(reason) = outcome {
            results[slot] = PushResult::refused(std::mem::take(&mut results[slot].id), reason);
        }
    }
    let refused = results
        .iter()
        .filter(|r| r.status == PushStatus::Refused)
        .count();
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
        (status = 200, body = PullResponse<DocFields>),
        (status = 401, body = ErrorBody),
        (status = 403, description = "No active consent", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn pull(
    State(app): State<AppState>,
    device: PairedDevice,
    query: Result<Query<PullQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<PullResponse<Box<RawValue>>>, ApiError> {
    let Query(query) = query.map_err(crate::http::error::unusable_query)?;
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
    // The stored text is the wire's `fields` object already. Text that is
    // not (a damaged row) is left out, so that one record never stops a
    // device's sync; the cursor still passes it.
    let records: Vec<_> = rows
        .into_iter()
        .filter_map(|r| {
            let readable = r.fields.starts_with('{')
                && crate::http::json_depth(&r.fields) <= crate::http::MAX_JSON_DEPTH + 2;
            let fields = readable
                .then(|| RawValue::from_string(r.fields).ok())
                .flatten();
            if fields.is_none() {
                tracing::warn!(patient = %device.0.patient_id, record = %r.id, "stored record does not read; left out of the pull");
            }
            Some(PulledRecord {
                id: r.id,
                kind: r.kind,
                fields: fields?,
                change: r.change,
            })
        })
        .collect();
    tracing::info!(patient = %device.0.patient_id, records = records.len(), "pull");
    Ok(Json(PullResponse {
        records,
        cursor,
        more,
    }))
}
