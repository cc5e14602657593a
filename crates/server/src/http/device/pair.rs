//! Pairing: a patient's device redeems the counselor's code with the
//! patient's consent for a device token; a code can be checked first, so the
//! consent can name whom it is given to. Wrong codes are limited per address.

use std::net::IpAddr;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use steady_model::protocol::{
    ConsentTerms, ErrorBody, PairPreview, PairRequest, PairResponse, PreviewRequest,
};

use super::terms;
use crate::db::NewDevice;
use crate::http::error::ApiError;
use crate::http::limit::{self, ClientAddress, Counter, Taken};
use crate::http::{AppState, JsonBody};
use crate::secret::{PAIRING_CODE, new_token, token_hash};

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
    ClientAddress(address): ClientAddress,
    JsonBody(body): JsonBody<PreviewRequest>,
) -> Result<Json<PairPreview>, ApiError> {
    let taken = take_code_attempt(&app, address, "POST /v1/pair/preview").await?;
    let code = checked_code(&body.code)?;
    match app
        .db
        .code_preview(&app.key.hash(PAIRING_CODE, &code))
        .await?
    {
        Some((clinic, counselor)) => {
            taken.give_back(&app.db).await;
            Ok(Json(PairPreview { clinic, counselor }))
        }
        None => Err(ApiError::gone(
            "That code has expired or was already used; ask your counselor for a new one.",
        )),
    }
}

/// Counts a pairing code tried from `address`, before it is looked up.
async fn take_code_attempt(
    app: &AppState,
    address: IpAddr,
    route: &str,
) -> Result<Taken, ApiError> {
    let address = address.to_string();
    limit::take(
        &app.db,
        route,
        &[Counter {
            name: "pairing-address",
            of: &address,
            rule: limit::PAIRING_ADDRESS,
        }],
    )
    .await
}

/// The code as typed, normalized, if it has the shape of one; a
/// malformed code counts as a wrong one.
fn checked_code(code: &str) -> Result<String, ApiError> {
    steady_model::pairing::read_code(code)
        .map_err(|problem| ApiError::unprocessable("code", problem.words()))
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
    ClientAddress(address): ClientAddress,
    JsonBody(body): JsonBody<PairRequest>,
) -> Result<(StatusCode, Json<PairResponse>), ApiError> {
    let taken = take_code_attempt(&app, address, "POST /v1/pair").await?;
    let code = checked_code(&body.code)?;
    let code_hash = app.key.hash(PAIRING_CODE, &code);
    // The consent names the people the code pairs with, as the server
    // knows them; a code it does not know is refused below all the same.
    let team = app.db.code_preview(&code_hash).await?;
    let named = team.clone().unwrap_or_default();
    let consent = match terms(body.consent, "consent.", named) {
        Ok(consent) => consent,
        Err(e) => {
            // Bad terms are no guess at the code.
            taken.give_back(&app.db).await;
            return Err(e);
        }
    };
    let label = match body.device_label.trim() {
        "" => "Patient's device".to_owned(),
        l => l.chars().take(100).collect(),
    };
    let token = new_token();
    let device = NewDevice {
        token_hash: token_hash(&token),
        label,
    };
    let recorded = ConsentTerms {
        recipient: consent.recipient.clone(),
        kinds: consent.kinds.clone(),
        purpose: consent.purpose.clone(),
        expires_at: chrono::DateTime::from_timestamp_millis(consent.expires_ms).unwrap_or_default(),
    };
    let redeemed = match team {
        Some(_) => app.db.redeem(&code_hash, &device, &consent).await?,
        None => None,
    };
    let Some(paired) = redeemed else {
        return Err(ApiError::gone(
            "That code has expired or was already used; ask your counselor for a new one.",
        ));
    };
    taken.give_back(&app.db).await;
    tracing::info!(patient = %paired.patient_id, device = %paired.device_id, "device paired");
    Ok((
        StatusCode::CREATED,
        Json(PairResponse {
            patient_id: paired.patient_id,
            device_id: paired.device_id,
            token,
            consent: Some(recorded),
        }),
    ))
}
