//! Risk flags: why a counselor may want to reach out to a patient now,
//! from their check-ins and attendance. The caseload ranks by them.

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::checkin::{CheckIn, Outcome};
use crate::program::{Attendance, AttendanceStatus};

/// Why a counselor may want to reach out, most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RiskFlag {
    /// A check-in in the last 7 days says the patient used.
    Lapse,
    /// A craving of 8 or more in the last 72 hours.
    HighCraving,
    /// A session marked missed in the last 7 days.
    MissedGroup,
    /// No check-in for 3 days (or none at all).
    NoCheckIn,
}

impl RiskFlag {
    /// How the caseload names it.
    pub fn label(self) -> &'static str {
        match self {
            RiskFlag::Lapse => "Lapse reported",
            RiskFlag::HighCraving => "Craving 8+ in the last 72 hours",
            RiskFlag::MissedGroup => "Missed a group",
            RiskFlag::NoCheckIn => "No check-in for 3 days",
        }
    }
}

/// The craving at or above which a check-in raises a flag.
pub const HIGH_CRAVING: u8 = 8;

/// The flags a patient's check-ins and attendance raise at `now`, most
/// urgent first, and the time of the last check-in.
pub fn risk_flags(
    checkins: &[CheckIn],
    attendance: &[Attendance],
    now: DateTime<Utc>,
) -> (Vec<RiskFlag>, Option<DateTime<FixedOffset>>) {
    let within = |at: DateTime<FixedOffset>, span: TimeDelta| at <= now && now - span <= at;
    let mut flags = Vec::new();
    if checkins
        .iter()
        .any(|c| c.outcome == Some(Outcome::Used) && within(c.at, TimeDelta::days(7)))
    {
        flags.push(RiskFlag::Lapse);
    }
    if checkins.iter().any(|c| {
        i32::from(c.craving) >= i32::from(HIGH_CRAVING) && within(c.at, TimeDelta::hours(72))
    }) {
        flags.push(RiskFlag::HighCraving);
    }
    if attendance
        .iter()
        .any(|a| a.status == AttendanceStatus::Missed && within(a.at, TimeDelta::days(7)))
    {
        flags.push(RiskFlag::MissedGroup);
    }
    let last = checkins.iter().map(|c| c.at).filter(|at| *at <= now).max();
    if last.is_none_or(|at| now - at.to_utc() > TimeDelta::days(3)) {
        flags.push(RiskFlag::NoCheckIn);
    }
    (flags, last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Body, Visibility};

    #[test]
    fn risk_flags_follow_the_windows() {
        use crate::checkin::CheckInDraft;
        let now = DateTime::parse_from_rfc3339("2026-11-27T12:00:00Z")
            .unwrap()
            .to_utc();
        let checkin = |at: &str, craving: i32, outcome: Option<&str>| {
            let at = DateTime::parse_from_rfc3339(at).unwrap();
            CheckIn::from_draft(
                CheckInDraft {
                    at: Some(at),
                    craving,
                    outcome: outcome.map(str::to_owned),
                    ..CheckInDraft::default()
                },
                at,
            )
            .unwrap()
        };
        let (flags, last) = risk_flags(&[], &[], now);
        assert_eq!(flags, [RiskFlag::NoCheckIn]);
        assert_eq!(last, None);
        // 8 within 72 h flags; 9 just outside does not; 7 inside does not.
        let recent = [
            checkin("2026-11-24T12:30:00Z", 8, None),
            checkin("2026-11-24T11:30:00Z", 9, None),
            checkin("2026-11-27T09:00:00Z", 7, None),
        ];
        let (flags, last) = risk_flags(&recent, &[], now);
        assert_eq!(flags, [RiskFlag::HighCraving]);
        assert_eq!(
            last.unwrap().to_utc().to_rfc3339(),
            "2026-11-27T09:00:00+00:00"
        );
        let older = [checkin("2026-11-24T11:30:00Z", 9, None)];
        assert_eq!(risk_flags(&older, &[], now).0, [RiskFlag::NoCheckIn]);
        let lapse = [checkin("2026-11-21T12:30:00Z", 2, Some("used"))];
        assert_eq!(
            risk_flags(&lapse, &[], now).0,
            [RiskFlag::Lapse, RiskFlag::NoCheckIn]
        );
        let at = DateTime::parse_from_rfc3339("2026-11-26T18:00:00-07:00").unwrap();
        let missed = Attendance {
            event_id: crate::ids::RecordId::new(),
            occurrence: at.naive_local(),
            at,
            status: AttendanceStatus::Missed,
            minutes: 0,
            visibility: Visibility::CareTeam,
        };
        assert_eq!(
            risk_flags(&recent[2..], &[missed], now).0,
            [RiskFlag::MissedGroup]
        );
    }
}
