//! The caseload, most urgent first: each patient's risk flags (steady-model's
//! `risk_flags`), last check-in and its craving, and this week's hours
//! against the program's target. Search, filters and other orders are the
//! page's: a caseload is tens of patients, all of them sent.

use axum::Json;
use axum::extract::State;
use chrono::{Offset, Utc};
use serde::Serialize;
use steady_model::insight::{WeekAttendance, weekly_hours};
use steady_model::{Attendance, CheckIn, Program, Reply, RiskFlag, risk_flags};
use ts_rs::TS;
use utoipa::ToSchema;

use super::shared;
use crate::db::Patient;
use crate::http::AppState;
use crate::http::auth::Staff;
use crate::http::error::{ApiError, ErrorBody};

/// One patient on the caseload, with what calls for attention.
#[derive(Serialize, ToSchema, TS)]
pub struct CaseloadEntry {
    pub patient: Patient,
    /// Whether the patient's consent to share is in force; without it
    /// nothing else is shown.
    pub sharing: bool,
    /// Most urgent first: lapse, high_craving, missed_group, no_check_in.
    #[schema(value_type = Vec<String>)]
    pub flags: Vec<RiskFlag>,
    /// The flags in words, in the same order.
    pub flag_labels: Vec<&'static str>,
    /// When the last check-in was logged (RFC 3339, the patient's offset).
    pub last_checkin: Option<String>,
    /// The craving (0 to 10) of the last check-in.
    #[ts(optional = nullable)]
    pub last_craving: Option<u8>,
    /// This week (Monday to Sunday on the patient's clock): the hours
    /// attended, against the program's weekly target when it is shared.
    #[ts(optional = nullable)]
    #[schema(value_type = Option<Object>)]
    pub this_week: Option<WeekAttendance>,
    /// Replies from the patient the care team has not read yet.
    pub unread_replies: u32,
    /// Stored check-ins and attendance marks that could not be read, left
    /// out of the flags.
    pub unreadable: u32,
}

/// The caseload, most urgent first: each patient's risk flags and last
/// check-in. Reading a patient's flags is a read of their records, so each
/// one shown is written to the audit log.
#[utoipa::path(get, path = "/v1/caseload", tag = "care",
    responses((status = 200, body = [CaseloadEntry]), (status = 401, body = ErrorBody)))]
pub async fn caseload(
    State(app): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<CaseloadEntry>>, ApiError> {
    let user = &staff.session.user;
    let now = Utc::now();
    let mut entries = Vec::new();
    for patient in app.db.patients_of(&user.id).await? {
        let consent = app.db.active_consent(&patient.id).await?;
        let Some(consent) = consent else {
            entries.push(CaseloadEntry {
                patient,
                sharing: false,
                flags: Vec::new(),
                flag_labels: Vec::new(),
                last_checkin: None,
                last_craving: None,
                this_week: None,
                unread_replies: 0,
                unreadable: 0,
            });
            continue;
        };
        app.db
            .audit(
                &user.clinic_id,
                &user.id,
                &patient.id,
                "read caseload summary",
                "",
            )
            .await?;
        let checkins = shared::<CheckIn>(&app, &patient, &consent).await?;
        let attendance = shared::<Attendance>(&app, &patient, &consent).await?;
        let program = shared::<Program>(&app, &patient, &consent).await?;
        let replies = shared::<Reply>(&app, &patient, &consent).await?;
        let unread_replies = replies
            .values
            .iter()
            .filter(|r| r.read_at.is_none())
            .count();
        let unreadable =
            checkins.unreadable + attendance.unreadable + program.unreadable + replies.unreadable;
        let (checkins, attendance) = (checkins.values, attendance.values);
        let (flags, last) = risk_flags(&checkins, &attendance, now);
        let last_craving = last.and_then(|at| {
            checkins
                .iter()
                .filter(|c| c.at == at)
                .map(|c| c.craving.value())
                .max()
        });
        // The patient's week: on the clock of their last check-in.
        let offset = last.map_or(Utc.fix(), |at| *at.offset());
        let today = now.with_timezone(&offset).date_naive();
        let target = program.values.first().map(|p| p.weekly_hours_target);
        let this_week = weekly_hours(&attendance, today, 1, target).pop();
        entries.push(CaseloadEntry {
            patient,
            sharing: true,
            flag_labels: flags.iter().map(|f| f.label()).collect(),
            flags,
            last_checkin: last.map(|t| t.to_rfc3339()),
            last_craving,
            this_week,
            unread_replies: u32::try_from(unread_replies).unwrap_or(u32::MAX),
            unreadable,
        });
    }
    // Most flags first, the most urgent flag breaking ties; then those
    // sharing (whose quiet is known) before those not; then by name.
    entries.sort_by(|a, b| {
        b.flags
            .len()
            .cmp(&a.flags.len())
            .then_with(|| a.flags.first().cmp(&b.flags.first()))
            .then_with(|| b.sharing.cmp(&a.sharing))
            .then_with(|| a.patient.display_name.cmp(&b.patient.display_name))
    });
    Ok(Json(entries))
}
