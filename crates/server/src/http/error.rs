//! The one error type handlers return. It becomes a short JSON body with a
//! code, words a person can act on and, for bad input, the field at fault;
//! causes are logged (without record contents), never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub use steady_model::protocol::{ErrorBody, ErrorCode, ErrorDetail};

use crate::db::DbError;

/// A refusal: its status, its code, words for a person, and the field at
/// fault. Built only through the constructors below, each of which pairs a
/// status with the code a client acts on.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    field: Option<String>,
    retry_after_secs: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after_secs: None,
        }
    }

    fn at(self, field: &str) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..self
        }
    }

    /// A request that cannot be read at all (400): broken JSON, not UTF-8.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::Invalid, message).at(field)
    }

    /// A request that reads but breaks a rule (422), naming the field.
    pub fn unprocessable(field: &str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::Invalid,
            message,
        )
        .at(field)
    }

    /// A body that is not JSON (415).
    pub fn unsupported_media_type(field: &str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::Invalid,
            message,
        )
        .at(field)
    }

    /// A body that could not be taken whole, with the status the body
    /// reader gave (413 when it is too large).
    pub fn unreadable_body(status: StatusCode, field: &str, message: impl Into<String>) -> Self {
        Self::new(status, ErrorCode::Invalid, message).at(field)
    }

    /// A 403 with its own code, for refusals a client acts on (consent_required).
    pub fn forbidden_code(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
    }

    /// A session that has the password but not yet the second factor (401).
    pub fn second_factor(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::SecondFactorRequired,
            message,
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    pub fn too_many(retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyRequests,
                format!(
                    "Too many failed attempts; wait {} seconds and try again.",
                    retry_after_secs.max(1)
                ),
            )
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(StatusCode::GONE, ErrorCode::Gone, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, ErrorCode::Conflict, message)
    }

    /// A fault of the server's own; nothing was changed.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "The server could not complete that; nothing was changed. Try again.",
        )
    }

    /// A push that would take the patient past a quota (413), naming it.
    pub fn quota_exceeded(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::QuotaExceeded,
            message,
        )
        .at("records")
    }

    /// Too many requests in a window (429), with Retry-After.
    pub fn rate_limited(retry_after_secs: u64, message: impl Into<String>) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyRequests,
                message,
            )
        }
    }

    /// The server is at capacity (503), with Retry-After.
    pub fn busy(retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs.max(1)),
            ..Self::unavailable("The server is busy; try again in a moment.")
        }
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            message,
        )
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Conflict(what) => Self::conflict(format!("That {what} is already in use.")),
            DbError::Missing(what) => Self::not_found(format!("That {what} does not exist.")),
            DbError::RateLimited { allowed, retry_ms } => Self::rate_limited(
                (retry_ms as u64).div_ceil(1_000),
                format!(
                    "This device pushed more than {allowed} times in a minute; wait and sync again."
                ),
            ),
            DbError::Quota { what, limit } => Self::quota_exceeded(format!(
                "This push would take the patient past the server's limit of {limit} {what}; nothing was stored. Ask the clinic to raise it, or delete old entries."
            )),
            other => {
                // The cause names tables and constraints, never values.
                tracing::error!(error = %other, "database error");
                Self::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
            },
        };
        let code = self.code;
        let mut response = (self.status, Json(body)).into_response();
        // For the metrics' refusal counts (never sent).
        response.extensions_mut().insert(code);
        if let Some(secs) = self.retry_after_secs
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// A query string that does not read as the route's parameters: a 422
/// saying what is wrong with it.
pub fn unusable_query(e: axum::extract::rejection::QueryRejection) -> ApiError {
    ApiError::unprocessable(
        "query",
        format!("The query is not usable: {}", e.body_text()),
    )
}
