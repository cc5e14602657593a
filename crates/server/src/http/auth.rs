//! Staff sign-in for the dashboard: a session cookie (HttpOnly,
//! SameSite=Strict, Secure behind TLS) and a CSRF token that every
//! state-changing browser request must echo in `X-CSRF-Token`.

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::limit::{self, ClientAddress, Counter};
use super::{AppState, JsonBody};
use crate::db::{Role, Session, SessionLimits, Stage, User, now_ms};
use crate::secret::{CSRF_STORED, CSRF_TOKEN, dummy_hash, new_token, token_hash, verify_password};

pub const SESSION_COOKIE: &str = "steady_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub email: String,
    pub password: String,
}

/// The signed-in account, the token to send back in `X-CSRF-Token`, and
/// how far signing in has got: a second factor may be awaited, or have to
/// be set up first.
#[derive(Serialize, ToSchema, TS)]
pub struct SignedIn {
    pub user: User,
    pub csrf_token: String,
    pub stage: Stage,
}

/// Signs a counselor or admin in.
#[utoipa::path(post, path = "/v1/session", tag = "accounts", request_body = Login,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = SignedIn),
        (status = 401, description = "Wrong email or password", body = ErrorBody),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = ErrorBody),
    ))]
pub async fn login(
    State(app): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Login>,
) -> Result<Response, ApiError> {
    let email = body.email.trim().to_lowercase();
    // Counted before the password is checked, so guesses sent at once
    // cannot all be checked before any is counted.
    let address_text = address.to_string();
    let taken = limit::take(
        &app.db,
        "POST /v1/session",
        &[
            Counter {
                name: "sign-in-address",
                of: &address_text,
                rule: limit::SIGN_IN_ADDRESS,
            },
            Counter {
                name: "sign-in-account",
                of: &email,
                rule: limit::SIGN_IN_ACCOUNT,
            },
        ],
    )
    .await?;
    let found = match app.db.user_by_email(&email).await {
        Ok(found) => found,
        Err(e) => {
            taken.give_back(&app.db).await;
            return Err(e.into());
        }
    };
    let password = body.password;
    let checked = app
        .hashing
        .run(move || match found {
            Some((user, hash)) => {
                let ok = verify_password(&password, &hash);
                (Some(user), ok)
            }
            None => {
                verify_password(&password, dummy_hash());
                (None, false)
            }
        })
        .await;
    let (user, ok) = match checked {
        Ok(checked) => checked,
        Err(busy) => {
            taken.give_back(&app.db).await;
            return Err(busy);
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        return Err(ApiError::unauthorized(
            "That email and password do not match an account; check them and try again.",
        ));
    };
    taken.give_back(&app.db).await;
    let stage = stage_after_password(&app, &user, &headers).await?;
    let token = new_token();
    // Derived from the cookie, so the page can ask for it again; stored
    // only as its keyed hash.
    let csrf_token = app.key.hash(CSRF_TOKEN, &token);
    app.db
        .create_session(
            &token_hash(&token),
            &user.id,
            &app.key.hash(CSRF_STORED, &csrf_token),
            stage,
            now_ms(),
        )
        .await?;
    tracing::info!(user = %user.id, stage = stage.as_str(), "password accepted");
    // A browser-session cookie: it goes when the browser closes, and the
    // server ends it sooner when idle.
    let cookie = cookie_value(&app, SESSION_COOKIE, &token, "");
    let mut response = Json(SignedIn {
        user,
        csrf_token,
        stage,
    })
    .into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|_| ApiError::unavailable("Try again."))?,
    );
    Ok(response)
}

/// Signs out: the session ends on the server and the cookie is cleared.
#[utoipa::path(delete, path = "/v1/session", tag = "accounts",
    params(("X-CSRF-Token" = String, Header, description = "The csrf_token from sign-in")),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Missing or wrong CSRF token", body = ErrorBody),
    ))]
pub async fn logout(
    State(app): State<AppState>,
    Partial(staff): Partial,
) -> Result<Response, ApiError> {
    app.db.delete_session(&staff.token_hash).await?;
    tracing::info!(user = %staff.session.user.id, "signed out");
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("steady_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok(response)
}

/// The page's own session: who is signed in, the CSRF token to send with
/// changes, and how long without input before the page signs itself out.
/// A dashboard page opened or reloaded reads its token from here.
#[derive(Serialize, ToSchema, TS)]
pub struct CurrentSession {
    pub user: User,
    pub csrf_token: String,
    pub stage: Stage,
    #[ts(type = "number")]
    pub idle_seconds: u64,
}

/// The current browser session.
#[utoipa::path(get, path = "/v1/session", tag = "accounts",
    responses(
        (status = 200, description = "Signed in", body = CurrentSession),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorBody),
    ))]
pub async fn current_session(
    State(app): State<AppState>,
    Partial(staff): Partial,
) -> Json<CurrentSession> {
    Json(CurrentSession {
        csrf_token: staff.csrf_token,
        stage: staff.session.stage,
        user: staff.session.user,
        idle_seconds: app.settings.idle.as_secs(),
    })
}

/// The signed-in account.
#[utoipa::path(get, path = "/v1/me", tag = "accounts",
    responses(
        (status = 200, description = "The signed-in account", body = User),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
pub async fn me(staff: Staff) -> Json<User> {
    Json(staff.session.user)
}

/// Which sessions are open at `now_ms`: seen within the idle limit and
/// started within the absolute lifetime.
pub(crate) fn open_sessions(app: &AppState, now_ms: i64) -> SessionLimits {
    let ago =
        |d: std::time::Duration| now_ms - i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2);
    SessionLimits {
        seen_since_ms: ago(app.settings.idle),
        started_since_ms: ago(app.settings.lifetime),
    }
}

/// A signed-in counselor or admin. Extracting it checks the session cookie,
/// ends an idle session, for any method but GET/HEAD checks the CSRF
/// token, and refuses a session still waiting for its second factor.
pub struct Staff {
    pub session: Session,
    /// The CSRF token the page sends back, derived from the session's cookie.
    pub csrf_token: String,
    pub(crate) token_hash: String,
}

/// A session however far it has got in signing in: for reading the page's
/// own session, signing out, and entering or setting up a second factor.
pub struct Partial(pub Staff);

pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let Partial(staff) = Partial::from_request_parts(parts, app).await?;
        match staff.session.stage {
            Stage::SignedIn => Ok(staff),
            Stage::SecondFactor => Err(awaiting_code()),
            Stage::Enrol => Err(ApiError::second_factor(
                "Set up a second factor (an authenticator app) to finish signing in.",
            )),
        }
    }
}

impl FromRequestParts<AppState> for Partial {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let token = cookie(&parts.headers, SESSION_COOKIE)
            .ok_or_else(|| ApiError::unauthorized("Sign in first."))?;
        let hash = token_hash(&token);
        let now = now_ms();
        let session = app
            .db
            .session(&hash, open_sessions(app, now), now)
            .await?
            .ok_or_else(|| ApiError::unauthorized("Your session has ended; sign in again."))?;
        super::Actor::name(parts, format!("user:{}", session.user.id));
        if parts.method != Method::GET && parts.method != Method::HEAD {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if sent.is_empty() || app.key.hash(CSRF_STORED, sent) != session.csrf_token {
                return Err(ApiError::forbidden(
                    "This request lacks the page's CSRF token; reload the page and try again.",
                ));
            }
        }
        Ok(Partial(Staff {
            csrf_token: app.key.hash(CSRF_TOKEN, &token),
            session,
            token_hash: hash,
        }))
    }
}

/// The refusal of a session whose second factor is still awaited.
pub(crate) fn awaiting_code() -> ApiError {
    ApiError::second_factor("Enter the code from your authenticator app to finish signing in.")
}

/// Cookie of a browser that may skip the second factor for a while.
pub const BROWSER_COOKIE: &str = "steady_browser";

/// How long a browser may skip the second factor once trusted.
pub const REMEMBER_BROWSER: std::time::Duration = std::time::Duration::from_secs(12 * 3600);

/// Where a right password leaves a sign-in: signed in; or awaiting the code
/// of an enrolled second factor (unless this browser was trusted within
/// [`REMEMBER_BROWSER`]); or, for an account that needs one and has none,
/// setting it up. Admins always need one; counselors when the clinic says so.
async fn stage_after_password(
    app: &AppState,
    user: &User,
    headers: &HeaderMap,
) -> Result<Stage, ApiError> {
    let enrolled = app
        .db
        .enrolment(&user.id)
        .await?
        .is_some_and(|e| e.confirmed);
    if enrolled {
        let remembered = match cookie(headers, BROWSER_COOKIE) {
            Some(token) => {
                app.db
                    .browser_remembered(&token_hash(&token), &user.id)
                    .await?
            }
            None => false,
        };
        return Ok(if remembered {
            Stage::SignedIn
        } else {
            Stage::SecondFactor
        });
    }
    let needed = user.role == Role::Admin
        || app
            .db
            .counselors_need_second_factor(&user.clinic_id)
            .await?;
    Ok(if needed {
        Stage::Enrol
    } else {
        Stage::SignedIn
    })
}

/// The `Set-Cookie` value of a session-bound cookie, `Secure` when the
/// server says so.
pub(crate) fn cookie_value(app: &AppState, name: &str, value: &str, extra: &str) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict{extra}{}",
        if app.settings.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    )
}
