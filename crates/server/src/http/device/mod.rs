//! What a paired device does with its token: read its consent, consent
//! again or withdraw, unpair itself ([`PairedDevice`] authorises each), and
//! sync ([`sync`]); and how it gets the token ([`pair`]).

pub mod pair;
pub mod sync;

use axum::Json;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use chrono::Utc;
use serde::Serialize;
use steady_model::RecordKind;
use steady_model::protocol::{
    ConsentTerms, Disclosure, DisclosuresQuery, DisclosuresResponse, ErrorBody, MAX_CONSENT,
    consent_recipient,
};
use utoipa::ToSchema;

use crate::db::{Consent, DeviceAuth, NewConsent};
use crate::http::error::ApiError;
use crate::http::{AppState, JsonBody};
use crate::secret::token_hash;

#[derive(Serialize, ToSchema)]
pub struct DeviceStatus {
    pub patient_id: String,
    pub device_id: String,
    /// The consent in force; none once revoked or expired.
    pub consent: Option<Consent>,
}

/// Checks consent terms; bad fields are named `<prefix>recipient` and so on.
pub(crate) fn terms(
    t: ConsentTerms,
    prefix: &str,
    (clinic, counselor): (String, String),
) -> Result<NewConsent, ApiError> {
    // Named by the server, from the people the records go to.
    let recipient = consent_recipient(&counselor, &clinic);
    let purpose = t.purpose.trim().to_owned();
    if purpose.is_empty() || purpose.chars().count() > 500 {
        return Err(ApiError::unprocessable(
            &format!("{prefix}purpose"),
            "Say what the records are shared for, in 1 to 500 characters.",
        ));
    }
    let mut kinds: Vec<String> = Vec::new();
    for kind in t.kinds {
        if !RecordKind::parse(&kind).is_some_and(RecordKind::is_shareable) {
            let shareable: Vec<&str> = RecordKind::SHAREABLE.iter().map(|k| k.as_str()).collect();
            return Err(ApiError::unprocessable(
                &format!("{prefix}kinds"),
                format!(
                    "{kind:?} is not a kind of record; use {}.",
                    shareable.join(", ")
                ),
            ));
        }
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        return Err(ApiError::unprocessable(
            &format!("{prefix}kinds"),
            "Choose at least one kind of record to share.",
        ));
    }
    let now = Utc::now();
    if t.expires_at <= now || t.expires_at > now + MAX_CONSENT {
        return Err(ApiError::unprocessable(
            &format!("{prefix}expires_at"),
            "A consent must end in the future and within two years.",
        ));
    }
    Ok(NewConsent {
        recipient,
        kinds,
        purpose,
        expires_ms: t.expires_at.timestamp_millis(),
    })
}

/// A request from a paired device, by its bearer token.
pub struct PairedDevice(pub DeviceAuth);

impl FromRequestParts<AppState> for PairedDevice {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| ApiError::unauthorized("Pair this device first."))?;
        let device = app
            .db
            .device_by_token(&token_hash(token.trim()))
            .await?
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "This device is no longer paired; pair it again with a new code.",
                )
            })?;
        crate::http::Actor::name(parts, format!("device:{}", device.device_id));
        Ok(PairedDevice(device))
    }
}

/// Who at the clinic read or wrote this patient's records, and when, newest
/// first: the patient's own view of the audit log (42 CFR §2.24). Only the
/// entries about this device's patient.
#[utoipa::path(get, path = "/v1/device/disclosures", tag = "device", params(DisclosuresQuery),
    responses(
        (status = 200, body = DisclosuresResponse),
        (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn disclosures(
    State(app): State<AppState>,
    PairedDevice(device): PairedDevice,
    query: Result<Query<DisclosuresQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<DisclosuresResponse>, ApiError> {
    let Query(query) = query.map_err(crate::http::error::unusable_query)?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::unprocessable(
            "limit",
            format!("A page holds 1 to 500 entries; {limit} was asked for."),
        ));
    }
    // One more than the page, to tell whether more are waiting.
    let mut rows = app
        .db
        .disclosures(&device.patient_id, query.before, limit + 1)
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let entries = rows
        .into_iter()
        .map(|row| {
            // "read records" says its kind in the detail; "write message"
            // in the action.
            let kind = row
                .detail
                .strip_prefix("kind=")
                .or_else(|| row.action.strip_prefix("write "))
                .map(str::to_owned);
            Disclosure {
                id: row.id,
                at: chrono::DateTime::from_timestamp_millis(row.at_ms).unwrap_or_default(),
                who: row.who,
                role: row.role,
                action: row.action,
                kind,
                purpose: row.purpose,
            }
        })
        .collect();
    Ok(Json(DisclosuresResponse { entries, more }))
}

/// This device, its patient and the consent in force.
#[utoipa::path(get, path = "/v1/device", tag = "device",
    responses((status = 200, body = DeviceStatus), (status = 401, body = ErrorBody)))]
pub async fn status(
    State(app): State<AppState>,
    PairedDevice(device): PairedDevice,
) -> Result<Json<DeviceStatus>, ApiError> {
    let consent = app.db.active_consent(&device.patient_id).await?;
    Ok(Json(DeviceStatus {
        patient_id: device.patient_id,
        device_id: device.device_id,
        consent,
    }))
}

/// The patient consents again (or changes what they share) from a paired
/// device; the new consent replaces the one in force.
#[utoipa::path(put, path = "/v1/device/consent", tag = "device", request_body = ConsentTerms,
    responses(
        (status = 200, body = DeviceStatus),
        (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn give_consent(
    State(app): State<AppState>,
    PairedDevice(device): PairedDevice,
    JsonBody(body): JsonBody<ConsentTerms>,
) -> Result<Json<DeviceStatus>, ApiError> {
    let team = app
        .db
        .care_team_of(&device.patient_id)
        .await?
        .ok_or_else(|| {
            ApiError::unauthorized("This device's patient is no longer on a caseload.")
        })?;
    let consent = terms(body, "", team)?;
    app.db
        .give_consent(&device.patient_id, &device.device_id, &consent)
        .await?;
    tracing::info!(patient = %device.patient_id, device = %device.device_id, "consent given");
    let consent = app.db.active_consent(&device.patient_id).await?;
    Ok(Json(DeviceStatus {
        patient_id: device.patient_id,
        device_id: device.device_id,
        consent,
    }))
}

/// The patient withdraws consent: nothing more is shared until they consent again.
#[utoipa::path(delete, path = "/v1/device/consent", tag = "device",
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn revoke_consent(
    State(app): State<AppState>,
    PairedDevice(device): PairedDevice,
) -> Result<StatusCode, ApiError> {
    app.db.revoke_consent(&device.patient_id).await?;
    tracing::info!(patient = %device.patient_id, "consent revoked by patient");
    Ok(StatusCode::NO_CONTENT)
}

/// Unpairs this device: its token stops working.
#[utoipa::path(delete, path = "/v1/device", tag = "device",
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn unpair(
    State(app): State<AppState>,
    PairedDevice(device): PairedDevice,
) -> Result<StatusCode, ApiError> {
    app.db
        .revoke_device(&device.patient_id, &device.device_id)
        .await?;
    tracing::info!(device = %device.device_id, "device unpaired itself");
    Ok(StatusCode::NO_CONTENT)
}
