//! A patient's insights for the counselor: the craving trend, the
//! weekday-by-hour heatmap, top triggers, HALT counts and weekly hours
//! against the target — steady-model's `insight`, the one implementation the
//! app will show too, over the kinds the patient shares. A read of the
//! patient's records, so consented and audited like one.

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use steady_model::insight::{
    CopingResult, DayCraving, HaltCounts, HeatCell, InsightRecords, TriggerCount, WeekAttendance,
    patient_today, report,
};
use steady_model::{Attendance, CheckIn, Program, TriggerEntry};
use ts_rs::TS;
use utoipa::{IntoParams, ToSchema};

use super::{Typed, consented_patient, shared};
use crate::http::AppState;
use crate::http::auth::Staff;
use crate::http::error::{ApiError, ErrorBody};

/// The longest window, in days.
pub const MAX_DAYS: u32 = 366;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InsightsQuery {
    /// Days in the window, 1 to 366; 30 by default.
    pub days: Option<u32>,
    /// The window's last day; by default today on the patient's clock
    /// (the offset of their latest check-in).
    pub to: Option<NaiveDate>,
}

/// What a window of a patient's records adds up to. A section built from a
/// kind the patient does not share is empty.
#[derive(Serialize, ToSchema, TS)]
pub struct Insights {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: u32,
    pub shared_kinds: Vec<String>,
    /// Each day, oldest first: check-ins, mean and highest craving.
    #[schema(value_type = Vec<Object>)]
    pub trend: Vec<DayCraving>,
    /// 168 cells, Monday 00:00 first: check-ins and mean craving.
    #[schema(value_type = Vec<Object>)]
    pub heatmap: Vec<HeatCell>,
    #[schema(value_type = Vec<Object>)]
    pub top_triggers: Vec<TriggerCount>,
    #[schema(value_type = Object)]
    pub halt: HaltCounts,
    /// Each week (Monday start) the window touches: attended minutes and
    /// sessions against the program's weekly target.
    #[schema(value_type = Vec<Object>)]
    pub weeks: Vec<WeekAttendance>,
    /// Each coping strategy named, with how often the craving passed
    /// without use afterwards.
    #[schema(value_type = Vec<Object>)]
    pub helped: Vec<CopingResult>,
    /// Stored records that could not be read, left out of every figure.
    pub unreadable: u32,
    /// Records the patient withdrew (made private after sharing), left out
    /// of every figure; the server keeps nothing of them.
    pub withdrawn: u32,
}

/// One patient's insights over a window of days.
#[utoipa::path(get, path = "/v1/patients/{patient_id}/insights", tag = "counselor",
    params(("patient_id" = String, Path), InsightsQuery),
    responses(
        (status = 200, body = Insights),
        (status = 401, body = ErrorBody),
        (status = 404, description = "Not on your caseload, or no active consent", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
pub async fn insights(
    State(app): State<AppState>,
    staff: Staff,
    Path(patient_id): Path<String>,
    query: Result<Query<InsightsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Insights>, ApiError> {
    let (patient, consent) = consented_patient(&app, &staff, &patient_id).await?;
    let Query(query) = query.map_err(crate::http::error::unusable_query)?;
    let days = query.days.unwrap_or(30);
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(ApiError::unprocessable(
            "days",
            format!("Ask for 1 to {MAX_DAYS} days; {days} was asked for."),
        ));
    }
    if let Some(to) = query.to {
        steady_model::validation::plausible_date(to)
            .map_err(|reason| ApiError::unprocessable("to", reason))?;
    }
    let user = &staff.session.user;
    app.db
        .audit(
            &user.clinic_id,
            &user.id,
            &patient.id,
            "read insights",
            &format!("days={days}"),
        )
        .await?;
    let checkins: Typed<CheckIn> = shared(&app, &patient, &consent).await?;
    let triggers: Typed<TriggerEntry> = shared(&app, &patient, &consent).await?;
    let attendance: Typed<Attendance> = shared(&app, &patient, &consent).await?;
    let program: Typed<Program> = shared(&app, &patient, &consent).await?;
    let unreadable =
        checkins.unreadable + triggers.unreadable + attendance.unreadable + program.unreadable;
    let withdrawn =
        checkins.withdrawn + triggers.withdrawn + attendance.withdrawn + program.withdrawn;
    let records = InsightRecords {
        checkins: &checkins.values,
        triggers: &triggers.values,
        attendance: &attendance.values,
        target_hours: program.values.first().map(|p| p.weekly_hours_target),
    };
    let to = query
        .to
        .unwrap_or_else(|| patient_today(records.checkins, Utc::now()));
    let r = report(&records, to, days);
    tracing::info!(patient = %patient.id, counselor = %user.id, days, "insights read");
    Ok(Json(Insights {
        from: r.from,
        to: r.to,
        days: r.days,
        shared_kinds: consent.kinds.clone(),
        trend: r.trend,
        heatmap: r.heatmap,
        top_triggers: r.top_triggers,
        halt: r.halt,
        weeks: r.weeks,
        helped: r.helped,
        unreadable,
        withdrawn,
    }))
}
