//! Sync protocol v1 as it travels: the bodies of `/v1/pair`, `/v1/sync/push`
//! and `/v1/sync/pull`, the consent a patient signs, the error body every
//! refusal carries, and the limits both sides keep. The app's client and
//! the server's handlers both use these types, and the server's OpenAPI
//! document is derived from them (the `openapi` feature), so the three
//! cannot disagree.
//!
//! A record's fields are generic (`F`): each side holds them in the form
//! it works with — the app parses values ([`crate::merge::FieldMap`]) and
//! reads pulled stamps leniently ([`WireField`]), the server keeps values as
//! the JSON text they arrived in. On the wire they are one JSON object of
//! `{"value": ..., "stamp": "ms-counter-node"}` per field name.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::hlc::WireStamp;

/// Most records in one push.
pub const MAX_PUSH: usize = 500;
/// Most records in one pulled page.
pub const MAX_PAGE: i64 = 1000;
/// Records in a pulled page when the device does not say.
pub const DEFAULT_PAGE: i64 = 500;
/// Most fields in one record.
pub const MAX_FIELDS: usize = 200;
/// Longest field name, in bytes.
pub const MAX_FIELD_NAME: usize = 200;
/// How far ahead of the server's clock a stamp may be.
pub const MAX_CLOCK_AHEAD_MS: u64 = 60 * 60 * 1000;
/// The longest a consent may last before the patient is asked again.
pub const MAX_CONSENT: TimeDelta = TimeDelta::days(2 * 365);

/// One field as a device reads it from a pull: its value (null once
/// removed) and its stamp, kept even when it is not one so that one bad
/// stamp sets aside only its own record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WireField {
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub value: Option<Value>,
    /// The hybrid logical clock stamp, `ms-counter-node`.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub stamp: WireStamp,
}

/// A record as a device pushes it: its id (a UUID), its kind, and its
/// stamped fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(bound = ""))]
pub struct WireRecord<F> {
    pub id: String,
    /// A [`crate::RecordKind`]'s text form. Text on the wire, so that one
    /// record of a kind the other side does not keep is refused (or set
    /// aside) on its own.
    pub kind: String,
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<String, WireField>))]
    pub fields: F,
}

/// `POST /v1/sync/push`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(bound = ""))]
pub struct PushRequest<F> {
    /// At most [`MAX_PUSH`].
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<WireRecord<std::collections::BTreeMap<String, WireField>>>))]
    pub records: Vec<WireRecord<F>>,
}

/// What became of one pushed record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PushStatus {
    /// Merged (or already there: a replayed push changes nothing).
    Applied,
    /// Not stored; the reason says why. Final for this version of the record.
    Refused,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResult {
    pub id: String,
    pub status: PushStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl PushResult {
    pub fn applied(id: String) -> Self {
        Self {
            id,
            status: PushStatus::Applied,
            reason: None,
        }
    }

    pub fn refused(id: String, reason: String) -> Self {
        Self {
            id,
            status: PushStatus::Refused,
            reason: Some(reason),
        }
    }
}

/// The answer to a push: one result per record, in the order sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    pub results: Vec<PushResult>,
}

/// `GET /v1/sync/pull`'s query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct PullQuery {
    /// The cursor from the previous page; 0 (the default) for everything.
    #[serde(default)]
    pub after: i64,
    /// Records per page, 1 to 1000; 500 by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// `GET /v1/device/disclosures`' query: a page of the log, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct DisclosuresQuery {
    /// Entries older than this one (its `id`); the newest when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
    /// Entries per page, 1 to 500; 100 by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// One read or write of the patient's records by the care team, as the
/// clinic's audit log holds it (42 CFR §2.24: who the records were
/// disclosed to).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Disclosure {
    /// The log entry's number, for `before`.
    #[ts(type = "number")]
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The staff member's name.
    pub who: String,
    /// `counselor` or `admin`.
    pub role: String,
    /// What they did, as the log says it: `read records`, `read insights`,
    /// `read caseload summary`, `write message`, `revoke device`, ...
    pub action: String,
    /// The kind of record read or written, where the entry names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub kind: Option<String>,
    /// The purpose of the consent in force at the time, if one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub purpose: Option<String>,
}

/// A page of disclosures, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisclosuresResponse {
    pub entries: Vec<Disclosure>,
    /// Whether older entries are waiting (ask with `before`).
    pub more: bool,
}

/// A pulled record: its fields and its change number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(bound = ""))]
pub struct PulledRecord<F> {
    pub id: String,
    pub kind: String,
    /// Each field: `{"value": ..., "stamp": "ms-counter-node"}`.
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<String, WireField>))]
    pub fields: F,
    /// The change number; the last one of a page is the next cursor.
    pub change: i64,
}

/// A page of changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(bound = ""))]
pub struct PullResponse<F> {
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<PulledRecord<std::collections::BTreeMap<String, WireField>>>))]
    pub records: Vec<PulledRecord<F>>,
    /// Pass as `after` for the next page; store it only once this page is stored.
    pub cursor: i64,
    /// Whether another page is waiting.
    pub more: bool,
}

/// Who a consent names as receiving the records (42 CFR §2.31 asks for
/// the recipient by name): the counselor and their clinic, in the words the
/// app's consent screen uses.
pub fn consent_recipient(counselor: &str, clinic: &str) -> String {
    format!("{counselor} and the care team at {clinic}")
}

/// The consent as the app showed it and the patient accepted it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentTerms {
    /// Who receives the records, as the app showed it. The server records
    /// its own naming of the same people ([`consent_recipient`]), from the
    /// pairing code's counselor and clinic, never what a device sends.
    pub recipient: String,
    /// Which kinds of record are shared (`checkin`, `trigger`, ...: the
    /// kinds a patient may share).
    pub kinds: Vec<String>,
    /// What they are shared for.
    pub purpose: String,
    /// When the consent ends unless renewed.
    pub expires_at: DateTime<Utc>,
}

/// `POST /v1/pair`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PairRequest {
    /// The code from the counselor, with or without its dash.
    pub code: String,
    /// How the device is listed for the counselor ("Ana's phone").
    #[serde(default)]
    pub device_label: String,
    pub consent: ConsentTerms,
}

/// The answer to a pairing.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PairResponse {
    pub patient_id: String,
    pub device_id: String,
    /// The device's secret, shown once: send it as `Authorization: Bearer …`.
    pub token: String,
    /// The consent as the server recorded it, with the recipient it names
    /// (absent from servers before it named the recipient itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentTerms>,
}

/// `POST /v1/pair/preview`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewRequest {
    pub code: String,
}

/// Whom a pairing code would pair with, for the consent the app shows first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PairPreview {
    pub clinic: String,
    pub counselor: String,
}

/// What kind of refusal an error is, for programs; the message is for people.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ErrorCode {
    /// Bad input; `field` names it.
    Invalid,
    /// No session, or no device token that works.
    Unauthorized,
    Forbidden,
    /// The patient has no active consent: nothing syncs until they consent again.
    ConsentRequired,
    NotFound,
    Conflict,
    /// A pairing code that is used or expired.
    Gone,
    /// A limit was reached; `Retry-After` says when to try again.
    TooManyRequests,
    /// The patient's records would pass the server's quota (413).
    QuotaExceeded,
    /// Signed in with the password only: the second factor is awaited, or
    /// has to be set up first (401).
    SecondFactorRequired,
    Unavailable,
    Internal,
    /// A code this version does not know (a newer server's).
    #[default]
    #[serde(other)]
    Other,
}

/// The JSON every error answers with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    #[serde(default)]
    pub code: ErrorCode,
    /// For people.
    #[serde(default)]
    pub message: String,
    /// The request field at fault, for bad input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::merge::FieldMap;

    #[test]
    fn statuses_and_codes_travel_as_snake_case_and_unknown_codes_still_read() {
        let result = PushResult::refused("r1".into(), "no".into());
        assert_eq!(
            serde_json::to_string(&result).unwrap(),
            r#"{"id":"r1","status":"refused","reason":"no"}"#
        );
        assert_eq!(
            serde_json::to_string(&PushResult::applied("r2".into())).unwrap(),
            r#"{"id":"r2","status":"applied"}"#
        );
        let body: ErrorBody = serde_json::from_str(
            r#"{"error":{"code":"consent_required","message":"Consent again."}}"#,
        )
        .unwrap();
        assert_eq!(body.error.code, ErrorCode::ConsentRequired);
        let newer: ErrorBody =
            serde_json::from_str(r#"{"error":{"code":"some_new_code","message":"m"}}"#).unwrap();
        assert_eq!(newer.error.code, ErrorCode::Other);
    }

    #[test]
    fn a_pushed_record_reads_as_the_pulled_form_reads_it() {
        let text = r#"{"id":"0190f0f0-0000-7000-8000-000000000000","kind":"checkin","fields":{"craving":{"value":7,"stamp":"000001700000000-0000000000-00000000000000aa"}}}"#;
        let pushed: WireRecord<FieldMap> = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&pushed).unwrap(), text);
        let lenient: WireRecord<BTreeMap<String, WireField>> = serde_json::from_str(text).unwrap();
        assert!(lenient.fields["craving"].stamp.0.is_ok());
    }
}
