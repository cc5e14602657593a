//! The staff's second factor: TOTP (RFC 6238: SHA-1, six digits, 30-second
//! steps, one step of clock skew either way), set up from the dashboard
//! with a QR code of its `otpauth://` address, confirmed by its first code,
//! with ten single-use recovery codes shown once and stored as keyed
//! hashes. A code is taken once: each account keeps the last time step it
//! accepted. Entering a code counts as a guess under the sign-in limits.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde::{Deserialize, Serialize};
use totp_rs::{Algorithm, Secret, TOTP};
use ts_rs::TS;
use utoipa::ToSchema;

use super::admin::Admin;
use super::auth::{
    BROWSER_COOKIE, CurrentSession, Partial, REMEMBER_BROWSER, Staff, awaiting_code, cookie_value,
};
use super::error::{ApiError, ErrorBody};
use super::limit::{self, Counter};
use super::{AppState, JsonBody};
use crate::db::{Role, Stage, User, now_ms};
use crate::secret::{new_token, token_hash};

/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// The keyed hash's purpose for recovery codes.
const RECOVERY_CODE: &str = "recovery-code";
const STEP_SECONDS: u64 = 30;

fn totp(secret: &str, account: &str) -> Result<TOTP, ApiError> {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|_| ApiError::internal())?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS,
        bytes,
        Some("Steady".to_owned()),
        account.to_owned(),
    )
    .map_err(|_| ApiError::internal())
}

/// The time step a six-digit code belongs to, within one step either way
/// of now; none if it is no code of this secret.
fn step_of(totp: &TOTP, code: &str) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = chrono::Utc::now().timestamp().max(0) as u64 / STEP_SECONDS;
    let mut found = None;
    // Every candidate is compared, so the time taken says nothing.
    for step in [now.saturating_sub(1), now, now + 1] {
        let made = totp.generate(step * STEP_SECONDS);
        let same = made
            .bytes()
            .zip(code.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
        if same && found.is_none() {
            found = Some(step as i64);
        }
    }
    found
}

fn normalized_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase()
}

fn new_recovery_code() -> String {
    let mut rng = rand::rng();
    let mut pick = || RECOVERY_ALPHABET[rng.random_range(0..RECOVERY_ALPHABET.len())] as char;
    let first: String = (0..5).map(|_| pick()).collect();
    let second: String = (0..5).map(|_| pick()).collect();
    format!("{first}-{second}")
}

/// Counts a code entered for the account as a guess, under the sign-in
/// limit of its account.
async fn take_code_attempt(
    app: &AppState,
    user_id: &str,
    route: &str,
) -> Result<limit::Taken, ApiError> {
    limit::take(
        &app.db,
        route,
        &[Counter {
            name: "second-factor-account",
            of: user_id,
            rule: limit::SIGN_IN_ACCOUNT,
        }],
    )
    .await
}

/// A code from the authenticator app, or a recovery code.
#[derive(Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorCode {
    pub code: String,
    /// Skip the code on this browser for the next 12 hours.
    #[serde(default)]
    pub remember_browser: bool,
}

/// Finishes signing in with the second factor: a code from the
/// authenticator app (each taken once), or a recovery code (each usable once).
#[utoipa::path(post, path = "/v1/session/second-factor", operation_id = "enter_second_factor_code", tag = "accounts", request_body = SecondFactorCode,
    params(("X-CSRF-Token" = String, Header, description = "The csrf_token from sign-in")),
    responses(
        (status = 200, description = "Signed in", body = CurrentSession),
        (status = 401, description = "Not signed in, or the code is wrong or was used already", body = ErrorBody),
        (status = 409, description = "This session is not waiting for a code", body = ErrorBody),
        (status = 429, description = "Too many wrong codes; see Retry-After", body = ErrorBody),
    ))]
pub async fn enter_code(
    State(app): State<AppState>,
    Partial(staff): Partial,
    JsonBody(body): JsonBody<SecondFactorCode>,
) -> Result<Response, ApiError> {
    if staff.session.stage != Stage::SecondFactor {
        return Err(ApiError::conflict(
            "This session is not waiting for a code; reload the page.",
        ));
    }
    let user = &staff.session.user;
    let taken = take_code_attempt(&app, &user.id, "POST /v1/session/second-factor").await?;
    let enrolment = app
        .db
        .enrolment(&user.id)
        .await?
        .filter(|e| e.confirmed)
        .ok_or_else(|| ApiError::conflict("This account has no second factor set up."))?;
    let right = match step_of(&totp(&enrolment.secret, &user.email)?, &body.code) {
        Some(step) => app.db.take_step(&user.id, step).await?,
        None => {
            let code = normalized_recovery(&body.code);
            code.len() == 10
                && app
                    .db
                    .use_recovery_code(&user.id, &app.key.hash(RECOVERY_CODE, &code))
                    .await?
        }
    };
    if !right {
        return Err(ApiError::unauthorized(
            "That code is not right, or was used already; enter the code your app shows now, or a recovery code.",
        ));
    }
    taken.give_back(&app.db).await;
    app.db.set_stage(&staff.token_hash, Stage::SignedIn).await?;
    tracing::info!(user = %user.id, "signed in with the second factor");
    let mut response = Json(CurrentSession {
        user: user.clone(),
        csrf_token: staff.csrf_token.clone(),
        stage: Stage::SignedIn,
        idle_seconds: app.settings.idle.as_secs(),
    })
    .into_response();
    if body.remember_browser {
        let token = new_token();
        let expires = now_ms() + REMEMBER_BROWSER.as_millis() as i64;
        app.db
            .remember_browser(&token_hash(&token), &user.id, expires)
            .await?;
        let cookie = cookie_value(
            &app,
            BROWSER_COOKIE,
            &token,
            &format!("; Max-Age={}", REMEMBER_BROWSER.as_secs()),
        );
        response.headers_mut().insert(
            header::SET_COOKIE,
            HeaderValue::from_str(&cookie).map_err(|_| ApiError::internal())?,
        );
    }
    Ok(response)
}

/// A new secret to add to an authenticator app.
#[derive(Serialize, ToSchema, TS)]
pub struct NewSecondFactor {
    /// The secret in base32, for typing into the app.
    pub secret: String,
    /// The `otpauth://totp/...` address the QR code shows.
    pub otpauth_url: String,
}

/// Starts setting up the second factor: a new secret, confirmed by the
/// first code from it. An account that has one keeps it (an admin resets it).
#[utoipa::path(post, path = "/v1/second-factor", operation_id = "begin_second_factor", tag = "accounts",
    params(("X-CSRF-Token" = String, Header, description = "The csrf_token from sign-in")),
    responses(
        (status = 200, body = NewSecondFactor),
        (status = 409, description = "This account has a second factor already", body = ErrorBody),
    ))]
pub async fn begin(
    State(app): State<AppState>,
    Partial(staff): Partial,
) -> Result<Json<NewSecondFactor>, ApiError> {
    if staff.session.stage == Stage::SecondFactor {
        return Err(awaiting_code());
    }
    let user = &staff.session.user;
    let secret = match Secret::generate_secret().to_encoded() {
        Secret::Encoded(s) => s,
        Secret::Raw(_) => return Err(ApiError::internal()),
    };
    if !app.db.begin_enrolment(&user.id, &secret).await? {
        return Err(ApiError::conflict(
            "This account has a second factor already; an admin can reset it if the phone is lost.",
        ));
    }
    tracing::info!(user = %user.id, "second factor enrolment started");
    Ok(Json(NewSecondFactor {
        otpauth_url: totp(&secret, &user.email)?.get_url(),
        secret,
    }))
}

/// The ten recovery codes, shown once.
#[derive(Serialize, ToSchema, TS)]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// Confirms the second factor with its first code; answers the recovery
/// codes, which are never shown again, and finishes signing in.
#[utoipa::path(post, path = "/v1/second-factor/confirm", operation_id = "confirm_second_factor", tag = "accounts", request_body = SecondFactorCode,
    params(("X-CSRF-Token" = String, Header, description = "The csrf_token from sign-in")),
    responses(
        (status = 200, body = RecoveryCodes),
        (status = 409, description = "No set-up is under way", body = ErrorBody),
        (status = 422, description = "The code is not the app's current one", body = ErrorBody),
        (status = 429, description = "Too many wrong codes; see Retry-After", body = ErrorBody),
    ))]
pub async fn confirm(
    State(app): State<AppState>,
    Partial(staff): Partial,
    JsonBody(body): JsonBody<SecondFactorCode>,
) -> Result<Json<RecoveryCodes>, ApiError> {
    if staff.session.stage == Stage::SecondFactor {
        return Err(awaiting_code());
    }
    let user = &staff.session.user;
    let taken = take_code_attempt(&app, &user.id, "POST /v1/second-factor/confirm").await?;
    let pending = app
        .db
        .enrolment(&user.id)
        .await?
        .filter(|e| !e.confirmed)
        .ok_or_else(|| ApiError::conflict("No set-up is under way; start again."))?;
    let Some(step) = step_of(&totp(&pending.secret, &user.email)?, &body.code) else {
        return Err(ApiError::unprocessable(
            "code",
            "That is not the code your app shows now; check the app's clock and enter the six digits again.",
        ));
    };
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes: Vec<String> = codes
        .iter()
        .map(|c| app.key.hash(RECOVERY_CODE, &normalized_recovery(c)))
        .collect();
    if !app.db.confirm_enrolment(&user.id, step, &hashes).await? {
        return Err(ApiError::conflict("No set-up is under way; start again."));
    }
    taken.give_back(&app.db).await;
    app.db.set_stage(&staff.token_hash, Stage::SignedIn).await?;
    tracing::info!(user = %user.id, "second factor set up");
    Ok(Json(RecoveryCodes {
        recovery_codes: codes,
    }))
}

/// The account's second factor: whether it is set up, whether it is
/// required, and how many recovery codes are left.
#[derive(Serialize, ToSchema, TS)]
pub struct SecondFactorStatus {
    pub enrolled: bool,
    pub required: bool,
    #[ts(type = "number")]
    pub recovery_codes_left: i64,
}

/// The signed-in account's second factor.
#[utoipa::path(get, path = "/v1/second-factor", operation_id = "second_factor_status", tag = "accounts",
    responses((status = 200, body = SecondFactorStatus)))]
pub async fn status(
    State(app): State<AppState>,
    staff: Staff,
) -> Result<Json<SecondFactorStatus>, ApiError> {
    let user = &staff.session.user;
    Ok(Json(SecondFactorStatus {
        enrolled: app
            .db
            .enrolment(&user.id)
            .await?
            .is_some_and(|e| e.confirmed),
        required: required(&app, user).await?,
        recovery_codes_left: app.db.recovery_codes_left(&user.id).await?,
    }))
}

async fn required(app: &AppState, user: &User) -> Result<bool, ApiError> {
    Ok(user.role == Role::Admin
        || app
            .db
            .counselors_need_second_factor(&user.clinic_id)
            .await?)
}

/// Whether the clinic's counselors need a second factor (admins always do).
#[derive(Serialize, Deserialize, ToSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct ClinicSecondFactor {
    pub counselors: bool,
}

/// The clinic's rule for counselors' second factor.
#[utoipa::path(get, path = "/v1/clinic/second-factor", operation_id = "clinic_second_factor_rule", tag = "admin",
    responses((status = 200, body = ClinicSecondFactor)))]
pub async fn clinic_rule(
    State(app): State<AppState>,
    Admin(staff): Admin,
) -> Result<Json<ClinicSecondFactor>, ApiError> {
    Ok(Json(ClinicSecondFactor {
        counselors: app
            .db
            .counselors_need_second_factor(&staff.session.user.clinic_id)
            .await?,
    }))
}

/// Sets whether the clinic's counselors need a second factor; those who
/// have none set it up at their next sign-in.
#[utoipa::path(put, path = "/v1/clinic/second-factor", operation_id = "set_clinic_second_factor_rule", tag = "admin", request_body = ClinicSecondFactor,
    params(("X-CSRF-Token" = String, Header, description = "The csrf_token from sign-in")),
    responses((status = 200, body = ClinicSecondFactor)))]
pub async fn set_clinic_rule(
    State(app): State<AppState>,
    Admin(staff): Admin,
    JsonBody(body): JsonBody<ClinicSecondFactor>,
) -> Result<Json<ClinicSecondFactor>, ApiError> {
    app.db
        .set_counselors_need_second_factor(&staff.session.user.clinic_id, body.counselors)
        .await?;
    tracing::info!(admin = %staff.session.user.id, counselors = body.counselors, "clinic second factor rule set");
    Ok(Json(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_found_in_its_step_and_nothing_else_passes() {
        let secret = match Secret::generate_secret().to_encoded() {
            Secret::Encoded(s) => s,
            Secret::Raw(_) => unreachable!(),
        };
        let t = totp(&secret, "dana@clinic.example").unwrap();
        let now = chrono::Utc::now().timestamp() as u64;
        let code = t.generate(now);
        let step = step_of(&t, &code).unwrap();
        assert!((step - (now / STEP_SECONDS) as i64).abs() <= 1);
        assert_eq!(
            step_of(&t, &format!("{} {}", &code[..3], &code[3..])),
            Some(step)
        );
        let old = t.generate(now - 10 * STEP_SECONDS);
        assert!(old == code || step_of(&t, &old).is_none());
        for bad in ["", "12345", "1234567", "abcdef"] {
            assert_eq!(step_of(&t, bad), None, "{bad:?}");
        }
        assert!(
            t.get_url()
                .starts_with("otpauth://totp/Steady:dana%40clinic.example?secret=")
        );
    }

    #[test]
    fn recovery_codes_are_ten_characters_read_loosely() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(
            normalized_recovery(&code.to_uppercase()),
            code.replace('-', "")
        );
    }
}
