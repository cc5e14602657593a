//! The app's side of pairing: redeeming a code with the patient's consent
//! for a device token, and what the device can then do with its token (read
//! its consent, revoke the consent, revoke itself).

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use chrono::Utc;
use serde::Serialize;
use steady_model::RecordKind;
use steady_model::protocol::{
    ConsentTerms, ErrorBody, MAX_CONSENT, PairPreview, PairRequest, PairResponse, PreviewRequest,
};
use utoipa::ToSchema;

use super::caseload::CODE_ALPHABET;
use super::error::ApiError;
use super::{AppState, JsonBody};
use crate::db::{Caseload, Consent, DeviceAuth, NewConsent, NewDevice};
use crate::secret::{new_token, token_hash};

#[derive(Serialize, ToSchema)]
pub struct DeviceStatus {
    pub patient_id: String,
    pub device_id: String,
    /// The consent in force; none once revoked or expired.
    pub consent: Option<Consent>,
}

/// Checks consent terms; bad fields are named `<prefix>recipient` and so on.
fn terms(t: ConsentTerms, prefix: &str) -> Result<NewConsent, ApiError> {
    let recipient = t.recipient.trim().to_owned();
    if recipient.is_empty() || recipient.chars().count() > 200 {
        return Err(ApiError::invalid(
            &format!("{prefix}recipient"),
            "Say who receives the records, in 1 to 200 characters.",
        ));
    }
    let purpose = t.purpose.trim().to_owned();
    if purpose.is_empty() || purpose.chars().count() > 500 {
        return Err(ApiError::invalid(
            &format!("{prefix}purpose"),
            "Say what the records are shared for, in 1 to 500 characters.",
        ));
    }
    let mut kinds: Vec<String> = Vec::new();
    for kind in t.kinds {
        if !RecordKind::parse(&kind).is_some_and(RecordKind::is_shareable) {
            let shareable: Vec<&str> = RecordKind::SHAREABLE.iter().map(|k| k.as_str()).collect();
            return Err(ApiError::invalid(
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
        return Err(ApiError::invalid(
            &format!("{prefix}kinds"),
            "Choose at least one kind of record to share.",
        ));
    }
    let now = Utc::now();
    if t.expires_at <= now || t.expires_at > now + MAX_CONSENT {
        return Err(ApiError::invalid(
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

/// A code as typed: upper case, without spaces or dashes.
fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Checks a code without using it: the clinic and counselor it pairs with,
/// so the app can name them in the consent. Wrong codes count against the
/// same limit as redeeming.
#[utoipa::path(post, path = "/v1/pair/preview", tag = "device", request_body = PreviewRequest,
    responses(
        (status = 200, body = PairPreview),
        (status = 410, description = "The code is unknown, used or expired", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, description = "Too many wrong codes from this address; see Retry-After", body = ErrorBody),
    ))]
pub async fn preview(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(body): JsonBody<PreviewRequest>,
) -> Result<Json<PairPreview>, ApiError> {
    if let Some(wait) = app.pairings.check(peer.ip(), None) {
        return Err(ApiError::too_many(wait));
    }
    let code = checked_code(&app, peer, &body.code)?;
    match app.db.code_preview(&token_hash(&code)).await? {
        Some((clinic, counselor)) => Ok(Json(PairPreview { clinic, counselor })),
        None => {
            app.pairings.record_failure(peer.ip(), None);
            Err(ApiError::gone(
                "That code has expired or was already used; ask your counselor for a new one.",
            ))
        }
    }
}

/// The code as typed, normalized, if it has the shape of one; a
/// malformed code counts as a wrong one.
fn checked_code(app: &AppState, peer: SocketAddr, code: &str) -> Result<String, ApiError> {
    let code = normalize(code);
    if code.len() != super::caseload::CODE_LENGTH
        || !code.bytes().all(|b| CODE_ALPHABET.contains(&b))
    {
        app.pairings.record_failure(peer.ip(), None);
        return Err(ApiError::invalid(
            "code",
            "A pairing code is 10 letters and digits, like ABCDE-FGH23.",
        ));
    }
    Ok(code)
}

/// Redeems a pairing code with the patient's consent; answers the device token.
#[utoipa::path(post, path = "/v1/pair", tag = "device", request_body = PairRequest,
    responses(
        (status = 201, body = PairResponse),
        (status = 410, description = "The code is unknown, used or expired", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 429, description = "Too many wrong codes from this address; see Retry-After", body = ErrorBody),
    ))]
pub async fn pair(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(body): JsonBody<PairRequest>,
) -> Result<(StatusCode, Json<PairResponse>), ApiError> {
    if let Some(wait) = app.pairings.check(peer.ip(), None) {
        tracing::warn!(peer = %peer.ip(), "pairing refused: too many wrong codes");
        return Err(ApiError::too_many(wait));
    }
    let consent = terms(body.consent, "consent.")?;
    let code = checked_code(&app, peer, &body.code)?;
    let label = match body.device_label.trim() {
        "" => "Patient's device".to_owned(),
        l => l.chars().take(100).collect(),
    };
    let token = new_token();
    let device = NewDevice {
        token_hash: token_hash(&token),
        label,
    };
    let Some(paired) = app.db.redeem(&token_hash(&code), &device, &consent).await? else {
        app.pairings.record_failure(peer.ip(), None);
        tracing::info!(peer = %peer.ip(), "pairing code refused");
        return Err(ApiError::gone(
            "That code has expired or was already used; ask your counselor for a new one.",
        ));
    };
    tracing::info!(patient = %paired.patient_id, device = %paired.device_id, "device paired");
    Ok((
        StatusCode::CREATED,
        Json(PairResponse {
            patient_id: paired.patient_id,
            device_id: paired.device_id,
            token,
        }),
    ))
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
        app.db
            .device_by_token(&token_hash(token.trim()))
            .await?
            .map(PairedDevice)
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "This device is no longer paired; pair it again with a new code.",
                )
            })
    }
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
    let consent = terms(body, "")?;
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
