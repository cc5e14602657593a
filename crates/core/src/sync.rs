//! Sync with the clinic's server, protocol v1 (see DESIGN.md, Sync).
//!
//! Push sends the care-team records that changed since the server last
//! acknowledged them — only the fields the patient may write, never a
//! `private` record — and marks each one the server applied. Pull takes the
//! records changed after the stored cursor a page at a time, merges each
//! field by field into the local copy, and advances the cursor in the same
//! transaction that stores the page, so a crash mid-pull repeats a page
//! (harmless: the merge is idempotent) and never skips one.
//!
//! Nothing here logs; errors carry no record contents or tokens.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::Row;
use steady_model::hlc::WireStamp;
use steady_model::merge::{DELETED, FieldMap, Stamped, merge};
use steady_model::{Hlc, RecordKind, Writer, may_write};
use ts_rs::TS;

use crate::error::StoreError;
use crate::store::{Store, wall_ms};

/// Records sent in one push (the server takes at most 500).
pub const PUSH_BATCH: i64 = 500;
/// Records asked for in one pulled page (the server's most).
pub const PULL_PAGE: i64 = 1000;

const PAIRING: &str = "sync.pairing";
const CURSOR: &str = "sync.cursor";
const LOG: &str = "sync.log";

/// What the patient agreed to share, as the app showed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
pub struct ConsentTerms {
    /// Who receives the records: the clinic or care team.
    pub recipient: String,
    /// The kinds of record shared (`checkin`, `trigger`, ...).
    pub kinds: Vec<String>,
    pub purpose: String,
    pub expires_at: DateTime<Utc>,
}

/// This device's pairing with a clinic. The token is a secret: it is never
/// shown, logged or printed (Debug leaves it out).
#[derive(Clone, Serialize, Deserialize)]
pub struct Pairing {
    /// The server's base URL, `https://clinic.example` (no trailing slash).
    pub server: String,
    pub token: String,
    pub patient_id: String,
    pub device_id: String,
    pub paired_at: DateTime<Utc>,
    /// The consent in force; none once the patient withdrew it.
    pub consent: Option<ConsentTerms>,
}

impl fmt::Debug for Pairing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pairing")
            .field("server", &self.server)
            .field("patient_id", &self.patient_id)
            .field("device_id", &self.device_id)
            .field("consent", &self.consent)
            .finish_non_exhaustive()
    }
}

/// How the last attempts went.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct SyncLog {
    #[ts(optional = nullable)]
    pub last_success: Option<DateTime<Utc>>,
    #[ts(optional = nullable)]
    pub last_attempt: Option<DateTime<Utc>>,
    /// What went wrong last time, in words; none after a success.
    #[ts(optional = nullable)]
    pub last_error: Option<String>,
    /// Records the server refused last time, with its reasons.
    pub refused: Vec<Refusal>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Refusal {
    pub id: String,
    pub kind: String,
    pub reason: String,
}

/// The clinic and counselor a pairing code belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PairPreview {
    pub clinic: String,
    pub counselor: String,
}

/// Everything the app shows about sync.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct SyncStatus {
    pub paired: bool,
    #[ts(optional = nullable)]
    pub server: Option<String>,
    #[ts(optional = nullable)]
    pub consent: Option<ConsentTerms>,
    /// Care-team changes the server has not acknowledged yet.
    pub pending: u32,
    /// Pulled records this version cannot read, kept aside.
    pub quarantined: u32,
    pub log: SyncLog,
}

/// What one sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, TS)]
pub struct SyncReport {
    pub pushed: u32,
    pub refused: u32,
    pub pulled: u32,
}

/// Why a sync did not complete, in words the patient can act on.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(
        "This device is not paired with a clinic. Pair it in Settings to share with your care team."
    )]
    NotPaired,
    #[error(
        "Sharing with your clinic is off, so nothing is sent. Turn it back on in Settings to sync."
    )]
    NoConsent,
    #[error("{0}")]
    BadServer(String),
    #[error(
        "Steady could not reach your clinic's server at {host}. You may be offline; it will try again."
    )]
    Unreachable { host: String },
    #[error("Your clinic's server did not answer in time. Steady will try again.")]
    Timeout,
    #[error(
        "This device is no longer paired with your clinic. Ask your counselor for a new code and pair again."
    )]
    Unpaired,
    #[error(
        "Your clinic has no active consent from you, so nothing is shared. Give consent again in Settings to sync."
    )]
    ConsentRequired,
    #[error("Your clinic's server refused the request: {0}")]
    Refused(String),
    #[error("Your clinic's server had a problem (HTTP {0}). Steady will try again.")]
    Server(u16),
    #[error(
        "Your clinic's server answered in a way this version of Steady does not understand ({0}). Steady will try again; updating the app may help."
    )]
    Protocol(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    /// Whether trying again later may succeed without the patient doing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SyncError::Unreachable { .. }
                | SyncError::Timeout
                | SyncError::Server(_)
                | SyncError::Protocol(_)
                | SyncError::Store(_)
        )
    }
}

/// Checks a server address as typed: https, or http to this machine only
/// (for a server started with `cargo xtask server`). Answers the base URL
/// without a trailing slash.
pub fn server_url(text: &str) -> Result<String, SyncError> {
    let text = text.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(text).map_err(|_| {
        SyncError::BadServer(format!(
            "\"{}\" is not a web address; type the address your clinic gave you, like https://steady.clinic.example.",
            text.chars().take(80).collect::<String>()
        ))
    })?;
    let local = matches!(
        url.host_str(),
        Some("localhost" | "127.0.0.1" | "[::1]" | "::1")
    );
    match url.scheme() {
        "https" => {}
        "http" if local => {}
        "http" => {
            return Err(SyncError::BadServer(
                "The address must start with https:// so your records travel encrypted.".into(),
            ));
        }
        _ => {
            return Err(SyncError::BadServer(
                "The address must start with https://.".into(),
            ));
        }
    }
    if url.host_str().is_none() || url.query().is_some() || url.fragment().is_some() {
        return Err(SyncError::BadServer(
            "Type only the server's address, like https://steady.clinic.example.".into(),
        ));
    }
    Ok(text.to_owned())
}

// ---------------------------------------------------------------------------
// The wire (what /v1/sync/push and /v1/sync/pull carry).

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WireField {
    #[serde(default)]
    pub value: Option<Value>,
    pub stamp: WireStamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WireRecord {
    pub id: String,
    pub kind: String,
    pub fields: std::collections::BTreeMap<String, WireField>,
}

#[derive(Deserialize)]
struct PushResult {
    id: String,
    status: String,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
struct PushResponse {
    results: Vec<PushResult>,
}

#[derive(Deserialize)]
struct PulledRecord {
    #[serde(flatten)]
    record: WireRecord,
}

#[derive(Deserialize)]
struct PullResponse {
    records: Vec<PulledRecord>,
    cursor: i64,
    more: bool,
}

#[derive(Deserialize)]
struct PairResponse {
    patient_id: String,
    device_id: String,
    token: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

fn to_wire(id: &str, kind: &str, fields: &FieldMap) -> WireRecord {
    WireRecord {
        id: id.to_owned(),
        kind: kind.to_owned(),
        fields: fields
            .0
            .iter()
            .map(|(path, f)| {
                (
                    path.clone(),
                    WireField {
                        value: f.value.clone(),
                        stamp: f.stamp.into(),
                    },
                )
            })
            .collect(),
    }
}

fn from_wire(record: &WireRecord) -> Result<FieldMap, String> {
    let mut fields = std::collections::BTreeMap::new();
    for (path, f) in &record.fields {
        let stamp = f
            .stamp
            .0
            .clone()
            .map_err(|e| format!("field {path}: {e}"))?;
        fields.insert(
            path.clone(),
            Stamped {
                value: f.value.clone(),
                stamp,
            },
        );
    }
    Ok(FieldMap(fields))
}

// ---------------------------------------------------------------------------
// The store's side.

/// A record as the local store holds it, seen as stamped fields.
fn local_fields(
    kind: RecordKind,
    body: &str,
    stamps: &str,
    deleted: bool,
) -> Result<FieldMap, StoreError> {
    let corrupt = |e: &dyn fmt::Display| StoreError::corrupt(kind.noun(), e);
    let body: Map<String, Value> = serde_json::from_str(body).map_err(|e| corrupt(&e))?;
    let stamps: Map<String, Value> = serde_json::from_str(stamps).map_err(|e| corrupt(&e))?;
    let split = kind.split_fields();
    let mut fields = std::collections::BTreeMap::new();
    for (path, stamp) in stamps {
        let stamp = stamp
            .as_str()
            .and_then(|s| Hlc::from_str(s).ok())
            .ok_or_else(|| corrupt(&"field stamp unreadable"))?;
        let value = if path == DELETED {
            Some(Value::Bool(deleted))
        } else {
            match path.split_once('.') {
                Some((name, key)) if split.contains(&name) => {
                    body.get(name).and_then(|inner| inner.get(key)).cloned()
                }
                _ => body.get(&path).cloned(),
            }
        };
        // The wire cannot tell a null from a removed field (both travel as
        // `"value": null`), so neither does the merge: null is absence.
        let value = value.filter(|v| !v.is_null());
        fields.insert(path, Stamped { value, stamp });
    }
    Ok(FieldMap(fields))
}

/// The kinds a push carries: those consented to, and the care team's
/// messages (the patient marks them read).
fn sent_kinds(consent: &ConsentTerms) -> Vec<String> {
    let mut kinds = consent.kinds.clone();
    kinds.push(RecordKind::Message.as_str().to_owned());
    kinds
}

/// Only the fields the patient may write.
fn patient_fields(kind: RecordKind, fields: FieldMap) -> FieldMap {
    FieldMap(
        fields
            .0
            .into_iter()
            .filter(|(path, _)| may_write(Writer::Patient, kind, path))
            .collect(),
    )
}

struct Outgoing {
    record: WireRecord,
    updated: String,
}

impl Store {
    /// This device's pairing, if it has one.
    pub async fn pairing(&self) -> Result<Option<Pairing>, StoreError> {
        self.setting(PAIRING)
            .await?
            .map(|text| serde_json::from_str(&text).map_err(|e| StoreError::corrupt("pairing", e)))
            .transpose()
    }

    async fn set_pairing(&self, pairing: Option<&Pairing>) -> Result<(), StoreError> {
        match pairing {
            Some(p) => {
                let text =
                    serde_json::to_string(p).map_err(|e| StoreError::corrupt("pairing", e))?;
                self.put_setting(PAIRING, &text).await
            }
            None => {
                sqlx::query("DELETE FROM settings WHERE name IN (?, ?)")
                    .bind(PAIRING)
                    .bind(CURSOR)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }
        }
    }

    /// Starts afresh with a new pairing: cursor 0 and every record unsent.
    async fn begin_pairing(&self, pairing: &Pairing) -> Result<(), StoreError> {
        let text = serde_json::to_string(pairing).map_err(|e| StoreError::corrupt("pairing", e))?;
        let mut tx = self.writer().begin().await?;
        sqlx::query("UPDATE records SET pushed = NULL")
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM settings WHERE name IN (?, ?)")
            .bind(CURSOR)
            .bind(LOG)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value")
            .bind(PAIRING)
            .bind(text)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The server's change number this device has stored everything up to.
    pub async fn sync_cursor(&self) -> Result<i64, StoreError> {
        Ok(self
            .setting(CURSOR)
            .await?
            .and_then(|t| t.parse().ok())
            .unwrap_or(0))
    }

    pub async fn sync_log(&self) -> Result<SyncLog, StoreError> {
        Ok(self
            .setting(LOG)
            .await?
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default())
    }

    async fn put_sync_log(&self, log: &SyncLog) -> Result<(), StoreError> {
        let text = serde_json::to_string(log).map_err(|e| StoreError::corrupt("sync log", e))?;
        self.put_setting(LOG, &text).await
    }

    /// Care-team records of the consented kinds with changes the server has
    /// not acknowledged.
    pub async fn pending_changes(&self) -> Result<u32, StoreError> {
        let consent = self.pairing().await?.and_then(|p| p.consent);
        self.pending_for(consent.as_ref()).await
    }

    async fn pending_for(&self, consent: Option<&ConsentTerms>) -> Result<u32, StoreError> {
        let kinds = consent.map(sent_kinds).unwrap_or_default();
        let kinds = serde_json::to_string(&kinds).map_err(|e| StoreError::corrupt("pairing", e))?;
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM records
             WHERE visibility = 'care_team' AND (pushed IS NULL OR pushed <> updated)
               AND kind IN (SELECT value FROM json_each(?))",
        )
        .bind(kinds)
        .fetch_one(self.reader())
        .await?;
        Ok(n as u32)
    }

    pub async fn sync_status(&self) -> Result<SyncStatus, StoreError> {
        let pairing = self.pairing().await?;
        let quarantined: i64 = sqlx::query_scalar("SELECT count(*) FROM sync_quarantine")
            .fetch_one(self.reader())
            .await?;
        let consent = pairing.as_ref().and_then(|p| p.consent.clone());
        Ok(SyncStatus {
            paired: pairing.is_some(),
            server: pairing.map(|p| p.server),
            pending: self.pending_for(consent.as_ref()).await?,
            consent,
            quarantined: quarantined as u32,
            log: self.sync_log().await?,
        })
    }

    /// Up to `limit` records to push, oldest change first.
    async fn outgoing(&self, kinds: &[String], limit: i64) -> Result<Vec<Outgoing>, StoreError> {
        let kinds = serde_json::to_string(kinds).map_err(|e| StoreError::corrupt("pairing", e))?;
        let rows = sqlx::query(
            "SELECT id, kind, body, stamps, deleted, updated FROM records
             WHERE visibility = 'care_team' AND (pushed IS NULL OR pushed <> updated)
               AND kind IN (SELECT value FROM json_each(?))
             ORDER BY updated LIMIT ?",
        )
        .bind(kinds)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.get("id");
            let kind_text: String = row.get("kind");
            let kind = RecordKind::parse(&kind_text)
                .ok_or_else(|| StoreError::corrupt("record", "unknown kind"))?;
            let fields = local_fields(
                kind,
                row.get("body"),
                row.get("stamps"),
                row.get::<i64, _>("deleted") == 1,
            )?;
            out.push(Outgoing {
                record: to_wire(&id, &kind_text, &patient_fields(kind, fields)),
                updated: row.get("updated"),
            });
        }
        Ok(out)
    }

    /// Marks records as acknowledged at the `updated` stamp that was sent; a
    /// record edited since stays pending.
    async fn mark_pushed(&self, acked: &[(&str, &str)]) -> Result<(), StoreError> {
        let mut tx = self.writer().begin().await?;
        for (id, updated) in acked {
            sqlx::query("UPDATE records SET pushed = ? WHERE id = ?")
                .bind(updated)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Merges a pulled page into the store and stores `cursor`, in one
    /// transaction: one read of the local copies, a merge per record, and
    /// multi-row writes. Answers how many records changed here.
    async fn apply_page(&self, records: &[WireRecord], cursor: i64) -> Result<u32, StoreError> {
        let mut tx = self.writer().begin().await?;
        let ids = serde_json::to_string(&records.iter().map(|r| r.id.as_str()).collect::<Vec<_>>())
            .map_err(|e| StoreError::corrupt("pulled record", e))?;
        let mut local: HashMap<String, LocalRow> = HashMap::new();
        for row in sqlx::query(
            "SELECT id, kind, body, stamps, deleted, pushed FROM records
             WHERE id IN (SELECT value FROM json_each(?))",
        )
        .bind(ids)
        .fetch_all(&mut *tx)
        .await?
        {
            local.insert(
                row.get("id"),
                LocalRow {
                    kind: row.get("kind"),
                    body: row.get("body"),
                    stamps: row.get("stamps"),
                    deleted: row.get::<i64, _>("deleted") == 1,
                    pushed: row.get("pushed"),
                },
            );
        }
        let mut writes: Vec<Write> = Vec::new();
        let mut acks: Vec<(String, Option<String>)> = Vec::new();
        let mut newest: Option<Hlc> = None;
        for record in records {
            match merge_pulled(record, local.get(&record.id))? {
                Merged::Write(write) => {
                    newest = newest.max(Some(write.stamp));
                    // A second copy of the id in this page merges onto this one.
                    local.insert(
                        write.id.clone(),
                        LocalRow {
                            kind: write.kind.as_str().to_owned(),
                            body: write.body.clone(),
                            stamps: write.stamps.clone(),
                            deleted: write.deleted,
                            pushed: write.pushed.clone(),
                        },
                    );
                    writes.retain(|w| w.id != write.id);
                    writes.push(write);
                }
                Merged::Same { pushed } => acks.push((record.id.clone(), pushed)),
                Merged::Unreadable(reason) => {
                    sqlx::query(
                        "INSERT INTO sync_quarantine (id, kind, fields, reason, received_ms)
                         VALUES (?, ?, ?, ?, ?)
                         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind,
                           fields = excluded.fields, reason = excluded.reason,
                           received_ms = excluded.received_ms",
                    )
                    .bind(&record.id)
                    .bind(&record.kind)
                    .bind(
                        serde_json::to_string(&record.fields)
                            .map_err(|e| StoreError::corrupt("pulled record", e))?,
                    )
                    .bind(reason)
                    .bind(wall_ms() as i64)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        for (id, pushed) in &acks {
            sqlx::query("UPDATE records SET pushed = ? WHERE id = ?")
                .bind(pushed)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        for chunk in writes.chunks(WRITE_ROWS) {
            let mut sql = String::from(
                "INSERT INTO records (id, kind, at_ms, deleted, visibility, body, stamps, updated, pushed) VALUES ",
            );
            for i in 0..chunk.len() {
                sql.push_str(if i == 0 {
                    "(?,?,?,?,?,?,?,?,?)"
                } else {
                    ",(?,?,?,?,?,?,?,?,?)"
                });
            }
            sql.push_str(
                " ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms, deleted = excluded.deleted,
                   visibility = excluded.visibility, body = excluded.body, stamps = excluded.stamps,
                   updated = excluded.updated, pushed = excluded.pushed",
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for w in chunk {
                query = query
                    .bind(&w.id)
                    .bind(w.kind.as_str())
                    .bind(w.at_ms)
                    .bind(i64::from(w.deleted))
                    .bind(w.visibility.as_str())
                    .bind(&w.body)
                    .bind(&w.stamps)
                    .bind(w.stamp.to_string())
                    .bind(&w.pushed);
            }
            query.execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES (?, ?)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(CURSOR)
        .bind(cursor.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if let Some(stamp) = newest {
            self.observe(stamp);
        }
        Ok(writes.len() as u32)
    }
}

/// Rows in one multi-row write (9 parameters each, well under SQLite's limit).
const WRITE_ROWS: usize = 500;

/// A record as the store holds it, read for a merge.
struct LocalRow {
    kind: String,
    body: String,
    stamps: String,
    deleted: bool,
    pushed: Option<String>,
}

/// A merged record to write.
struct Write {
    id: String,
    kind: RecordKind,
    at_ms: i64,
    deleted: bool,
    visibility: steady_model::Visibility,
    body: String,
    stamps: String,
    stamp: Hlc,
    pushed: Option<String>,
}

/// What a pulled record does to the local copy.
enum Merged {
    /// It changes the store.
    Write(Write),
    /// It holds nothing new; `pushed` says whether the server now has all
    /// this device has.
    Same { pushed: Option<String> },
    /// This app cannot keep it; the local copy stays as it was.
    Unreadable(String),
}

/// Merges one pulled record with the local copy (if any).
fn merge_pulled(record: &WireRecord, row: Option<&LocalRow>) -> Result<Merged, StoreError> {
    let Some(kind) = RecordKind::parse(&record.kind) else {
        return Ok(Merged::Unreadable(format!(
            "{:?} is not a kind of record this version keeps",
            record.kind
        )));
    };
    let incoming = match from_wire(record) {
        Ok(f) if !f.0.is_empty() => f,
        Ok(_) => return Ok(Merged::Unreadable("the record has no fields".into())),
        Err(e) => return Ok(Merged::Unreadable(e)),
    };
    let (local, pushed) = match row {
        None => (FieldMap::default(), None),
        Some(row) if row.kind != record.kind => {
            return Ok(Merged::Unreadable(
                "its id belongs to a record of another kind here".into(),
            ));
        }
        Some(row) => (
            local_fields(kind, &row.body, &row.stamps, row.deleted)?,
            row.pushed.clone(),
        ),
    };
    // A record this device has never seen is the server's copy as it is;
    // otherwise, whether the server holds all this device has decides what
    // is left to push.
    let (merged, server_has_all) = if row.is_none() {
        (incoming, true)
    } else {
        let merged = merge(&local, &incoming);
        let all = merge(&incoming, &merged) == incoming;
        (merged, all)
    };
    let Some(updated) = merged.last_stamp() else {
        return Ok(Merged::Same { pushed });
    };
    let pushed = if server_has_all {
        Some(updated.to_string())
    } else {
        pushed
    };
    if row.is_some() && merged == local {
        return Ok(Merged::Same { pushed });
    }
    let body = Value::Object(merged.body(kind));
    let (at, visibility) = match kind.read(&body) {
        Ok(read) => read,
        Err(reason) => return Ok(Merged::Unreadable(reason)),
    };
    let stamps: Map<String, Value> = merged
        .0
        .iter()
        .map(|(path, f)| (path.clone(), Value::String(f.stamp.to_string())))
        .collect();
    Ok(Merged::Write(Write {
        id: record.id.clone(),
        kind,
        at_ms: at.timestamp_millis(),
        deleted: merged.is_deleted(),
        visibility,
        body: body.to_string(),
        stamps: Value::Object(stamps).to_string(),
        stamp: updated,
        pushed,
    }))
}

// ---------------------------------------------------------------------------
// The client.

/// Talks to the clinic's server on behalf of one store.
#[derive(Clone)]
pub struct SyncClient {
    http: reqwest::Client,
}

impl Default for SyncClient {
    fn default() -> Self {
        Self::new()
    }
}

impl SyncClient {
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("steady-app/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client's settings are valid");
        Self { http }
    }

    /// A client that sends through `http` (its own proxy or pool settings).
    pub fn with_http(http: reqwest::Client) -> Self {
        Self { http }
    }

    /// Whom `code` pairs with, without using it, so the consent can name them.
    pub async fn preview(&self, server: &str, code: &str) -> Result<PairPreview, SyncError> {
        let server = server_url(server)?;
        let response = self
            .send(
                self.http
                    .post(format!("{server}/v1/pair/preview"))
                    .json(&serde_json::json!({ "code": code })),
                &server,
            )
            .await?;
        decode(response).await
    }

    /// Redeems the counselor's pairing code with the patient's consent and
    /// keeps the device token. Records already in the store are sent on the
    /// next sync.
    pub async fn pair(
        &self,
        store: &Store,
        server: &str,
        code: &str,
        consent: ConsentTerms,
        device_label: &str,
    ) -> Result<SyncStatus, SyncError> {
        let server = server_url(server)?;
        let response = self
            .send(
                self.http
                    .post(format!("{server}/v1/pair"))
                    .json(&serde_json::json!({
                        "code": code,
                        "device_label": device_label,
                        "consent": consent,
                    })),
                &server,
            )
            .await?;
        let paired: PairResponse = decode(response).await?;
        let pairing = Pairing {
            server,
            token: paired.token,
            patient_id: paired.patient_id,
            device_id: paired.device_id,
            paired_at: Utc::now(),
            consent: Some(consent),
        };
        store.begin_pairing(&pairing).await?;
        Ok(store.sync_status().await?)
    }

    /// Withdraws consent at the server, then stops syncing here.
    pub async fn revoke_consent(&self, store: &Store) -> Result<SyncStatus, SyncError> {
        let mut pairing = store.pairing().await?.ok_or(SyncError::NotPaired)?;
        self.send(
            self.http
                .delete(format!("{}/v1/device/consent", pairing.server))
                .bearer_auth(&pairing.token),
            &pairing.server,
        )
        .await?;
        pairing.consent = None;
        store.set_pairing(Some(&pairing)).await?;
        Ok(store.sync_status().await?)
    }

    /// Gives consent again from a paired device.
    pub async fn give_consent(
        &self,
        store: &Store,
        consent: ConsentTerms,
    ) -> Result<SyncStatus, SyncError> {
        let mut pairing = store.pairing().await?.ok_or(SyncError::NotPaired)?;
        self.send(
            self.http
                .put(format!("{}/v1/device/consent", pairing.server))
                .bearer_auth(&pairing.token)
                .json(&consent),
            &pairing.server,
        )
        .await?;
        pairing.consent = Some(consent);
        store.set_pairing(Some(&pairing)).await?;
        Ok(store.sync_status().await?)
    }

    /// Unpairs: tells the server (when it can be reached) and forgets the
    /// pairing here. Records stay on the device.
    pub async fn unpair(&self, store: &Store) -> Result<SyncStatus, SyncError> {
        if let Some(pairing) = store.pairing().await? {
            let sent = self
                .send(
                    self.http
                        .delete(format!("{}/v1/device", pairing.server))
                        .bearer_auth(&pairing.token),
                    &pairing.server,
                )
                .await;
            match sent {
                Ok(_) | Err(SyncError::Unpaired) => {}
                Err(e) => return Err(e),
            }
        }
        store.set_pairing(None).await?;
        Ok(store.sync_status().await?)
    }

    /// Pushes every pending change, then pulls every page; records how it
    /// went in the store's sync log either way.
    pub async fn sync(&self, store: &Store) -> Result<SyncReport, SyncError> {
        let mut log = store.sync_log().await?;
        log.last_attempt = Some(Utc::now());
        let result = self.sync_inner(store, &mut log).await;
        match &result {
            Ok(_) => {
                log.last_success = log.last_attempt;
                log.last_error = None;
            }
            Err(e) => log.last_error = Some(e.to_string()),
        }
        if let Err(SyncError::ConsentRequired) = &result
            && let Some(mut pairing) = store.pairing().await?
        {
            pairing.consent = None;
            store.set_pairing(Some(&pairing)).await?;
        }
        store.put_sync_log(&log).await?;
        result
    }

    async fn sync_inner(&self, store: &Store, log: &mut SyncLog) -> Result<SyncReport, SyncError> {
        let pairing = store.pairing().await?.ok_or(SyncError::NotPaired)?;
        let consent = pairing.consent.as_ref().ok_or(SyncError::NoConsent)?;
        let mut report = SyncReport::default();
        let mut refused = Vec::new();
        loop {
            let batch = store.outgoing(&sent_kinds(consent), PUSH_BATCH).await?;
            if batch.is_empty() {
                break;
            }
            let records: Vec<&WireRecord> = batch.iter().map(|o| &o.record).collect();
            let response = self
                .send(
                    self.http
                        .post(format!("{}/v1/sync/push", pairing.server))
                        .bearer_auth(&pairing.token)
                        .json(&serde_json::json!({ "records": records })),
                    &pairing.server,
                )
                .await?;
            let answer: PushResponse = decode(response).await?;
            if answer.results.len() != batch.len() {
                return Err(SyncError::Protocol(format!(
                    "{} answers to {} records",
                    answer.results.len(),
                    batch.len()
                )));
            }
            let mut acked = Vec::with_capacity(batch.len());
            for (sent, result) in batch.iter().zip(&answer.results) {
                if result.id != sent.record.id {
                    return Err(SyncError::Protocol("answers out of order".into()));
                }
                if result.status == "applied" {
                    report.pushed += 1;
                } else {
                    // A refusal is final for this version of the record: it is
                    // reported, and sent again only once it is edited.
                    report.refused += 1;
                    refused.push(Refusal {
                        id: result.id.clone(),
                        kind: sent.record.kind.clone(),
                        reason: result.reason.clone().unwrap_or_default(),
                    });
                }
                acked.push((sent.record.id.as_str(), sent.updated.as_str()));
            }
            store.mark_pushed(&acked).await?;
        }
        log.refused = refused;
        // Each page is stored with its cursor; the next page is fetched while
        // this one is stored (its cursor is known from the answer already).
        let mut cursor = store.sync_cursor().await?;
        let mut page = self.pull_page(&pairing, cursor).await?;
        loop {
            if page.cursor < cursor {
                return Err(SyncError::Protocol("the cursor went backwards".into()));
            }
            let records: Vec<WireRecord> = page.records.into_iter().map(|r| r.record).collect();
            if !page.more {
                report.pulled += store.apply_page(&records, page.cursor).await?;
                break;
            }
            let (stored, next) = tokio::join!(
                store.apply_page(&records, page.cursor),
                self.pull_page(&pairing, page.cursor)
            );
            report.pulled += stored?;
            cursor = page.cursor;
            page = next?;
        }
        Ok(report)
    }

    async fn pull_page(&self, pairing: &Pairing, after: i64) -> Result<PullResponse, SyncError> {
        let response = self
            .send(
                self.http
                    .get(format!("{}/v1/sync/pull", pairing.server))
                    .bearer_auth(&pairing.token)
                    .query(&[("after", after), ("limit", PULL_PAGE)]),
                &pairing.server,
            )
            .await?;
        decode(response).await
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        server: &str,
    ) -> Result<reqwest::Response, SyncError> {
        let host = reqwest::Url::parse(server)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let response = request.send().await.map_err(|e| {
            if e.is_timeout() {
                SyncError::Timeout
            } else {
                SyncError::Unreachable { host: host.clone() }
            }
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body: Option<ErrorBody> = response.json().await.ok();
        let (code, message) =
            body.map_or_else(Default::default, |b| (b.error.code, b.error.message));
        Err(match status.as_u16() {
            401 => SyncError::Unpaired,
            403 if code == "consent_required" => SyncError::ConsentRequired,
            400..=499 if !message.is_empty() => SyncError::Refused(message),
            s @ 400..=499 => SyncError::Refused(format!("HTTP {s}")),
            s => SyncError::Server(s),
        })
    }
}

async fn decode<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> Result<T, SyncError> {
    let bytes = response.bytes().await.map_err(|e| {
        if e.is_timeout() {
            SyncError::Timeout
        } else {
            SyncError::Protocol("the answer was cut off".into())
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(e.to_string()))
}

/// When to try again after `failures` failed attempts in a row: doubling
/// from `base` up to `cap`, each wait drawn uniformly from its upper half
/// (jitter), so many devices coming back online do not arrive together.
pub fn backoff(failures: u32, base: Duration, cap: Duration, unit_random: f64) -> Duration {
    let exp = base.saturating_mul(1u32 << failures.min(20));
    let ceiling = exp.min(cap);
    ceiling.mul_f64(0.5 + 0.5 * unit_random.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_with_jitter_in_the_upper_half() {
        let base = Duration::from_secs(2);
        let cap = Duration::from_secs(300);
        assert_eq!(backoff(0, base, cap, 1.0), Duration::from_secs(2));
        assert_eq!(backoff(0, base, cap, 0.0), Duration::from_secs(1));
        assert_eq!(backoff(3, base, cap, 1.0), Duration::from_secs(16));
        assert_eq!(backoff(30, base, cap, 1.0), cap);
        assert_eq!(backoff(30, base, cap, 0.0), Duration::from_secs(150));
    }

    #[test]
    fn a_server_address_must_be_https_unless_it_is_this_machine() {
        assert_eq!(
            server_url(" https://steady.clinic.example/ ").unwrap(),
            "https://steady.clinic.example"
        );
        assert_eq!(
            server_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(
            server_url("http://steady.clinic.example")
                .unwrap_err()
                .to_string()
                .contains("https://")
        );
        assert!(
            server_url("clinic")
                .unwrap_err()
                .to_string()
                .contains("not a web address")
        );
        assert!(server_url("ftp://x.example").is_err());
    }

    #[test]
    fn the_token_never_prints() {
        let p = Pairing {
            server: "https://c.example".into(),
            token: "SECRET-TOKEN".into(),
            patient_id: "p".into(),
            device_id: "d".into(),
            paired_at: Utc::now(),
            consent: None,
        };
        assert!(!format!("{p:?}").contains("SECRET"));
    }
}
