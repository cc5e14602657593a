//! The clinic's append-only audit log, for its admins: every read and
//! write of patient data, filtered by who, whom, what and when.

use axum::Json;
use axum::extract::{Query, State};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use ts_rs::TS;
use utoipa::IntoParams;

use super::Admin;
use crate::db::{AuditEntry, AuditFilter};
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};

/// The audit log's filters, each optional (the dashboard's query string).
#[derive(Deserialize, IntoParams, TS)]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct AuditQuery {
    pub patient_id: Option<String>,
    pub actor_id: Option<String>,
    /// The exact action, e.g. `read records`.
    pub action: Option<String>,
    /// Entries at or after this instant (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Entries before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// 1 to 1000; 200 by default.
    #[ts(type = "number")]
    pub limit: Option<i64>,
}

/// The clinic's audit log, newest first (admins only).
#[utoipa::path(get, path = "/v1/audit", tag = "admin", params(AuditQuery),
    responses(
        (status = 200, body = [AuditEntry]),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn audit_log(
    State(app): State<AppState>,
    Admin(staff): Admin,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let Query(query) = query.map_err(crate::http::error::unusable_query)?;
    let limit = query.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::unprocessable(
            "limit",
            "Ask for 1 to 1000 entries.",
        ));
    }
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from >= to
    {
        return Err(ApiError::unprocessable(
            "to",
            "Ask for a time range whose end comes after its start.",
        ));
    }
    let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let filter = AuditFilter {
        patient_id: blank(query.patient_id),
        actor_id: blank(query.actor_id),
        action: blank(query.action),
        from_ms: query.from.map(|t| t.timestamp_millis()),
        to_ms: query.to.map(|t| t.timestamp_millis()),
        limit,
    };
    Ok(Json(
        app.db
            .audit_log(&staff.session.user.clinic_id, &filter)
            .await?,
    ))
}
