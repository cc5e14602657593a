//! The care team's copy of shared records: push merges each incoming record
//! field by field (steady-model's `merge`) and gives every record that
//! changed the patient's next change number; pull reads by change number.
//!
//! Why a pull never skips a change: a push first takes the patient's row in
//! `patient_changes` (an UPDATE, so PostgreSQL locks the row and SQLite takes
//! its one write lock) and holds it until it commits. Change numbers for one
//! patient are therefore handed out, and become visible, in order; a reader
//! who has seen number n has seen every number below it.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use sqlx::{ColumnIndex, Executor, Row as _};
use steady_model::RecordKind;
use steady_model::merge::{FieldMap, RawJson, merge};

use super::{Backend, Bind, Column, DbError, Sql};

/// A record a device pushes, already checked. Its values stay the JSON
/// text they arrived as: the server stores them without looking inside,
/// and checks the merged record against its kind from text.
#[derive(Clone, Debug)]
pub struct Incoming {
    pub id: String,
    pub kind: String,
    pub fields: steady_model::merge::FieldMap<steady_model::merge::RawJson>,
}

/// What became of one pushed record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushOutcome {
    /// Merged (or already there: a replayed push changes nothing).
    Applied,
    Refused(String),
}

/// A record as stored, with the change number of its last change.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRecord {
    pub id: String,
    pub kind: String,
    pub change: i64,
    pub fields: steady_model::merge::FieldMap,
}

/// A patient's stored records of one kind, and those that no longer read
/// (damaged, or written by a version with other rules): listed by id so
/// that a page can say one entry could not be read, never failing for it.
#[derive(Clone, Debug, Default)]
pub struct Listing {
    pub records: Vec<StoredRecord>,
    /// Ids of the records whose stored fields do not read.
    pub unreadable: Vec<String>,
    /// Ids of the records the patient withdrew (made private after sharing):
    /// only that is kept of them.
    pub withdrawn: Vec<String>,
}

/// A stored record with its fields as the stored JSON text, which is
/// already the wire's form: a pull hands it on without decoding it.
#[derive(Clone, Debug)]
pub struct RawRecord {
    pub id: String,
    pub kind: String,
    pub change: i64,
    pub fields: String,
}

impl RawRecord {
    /// The record with its fields read.
    pub fn decode(self) -> Result<StoredRecord, DbError> {
        Ok(StoredRecord {
            fields: serde_json::from_str(&self.fields)
                .map_err(|e| DbError::Corrupt(format!("record fields: {e}")))?,
            id: self.id,
            kind: self.kind,
            change: self.change,
        })
    }
}

/// Shared records, merged and numbered per patient.
#[async_trait]
pub trait Records: Send + Sync {
    /// Merges each record into the patient's copy, in one transaction;
    /// none if the patient would hold more than `quota` allows.
    async fn push(
        &self,
        patient_id: &str,
        records: Vec<Incoming>,
        limits: &PushLimits,
    ) -> Result<Vec<PushOutcome>, DbError>;
    /// The patient's records changed after change `after`, oldest change
    /// first, at most `limit`, with their fields as stored JSON text (the
    /// wire's form already; [`RawRecord::decode`] reads them).
    async fn pull_raw(
        &self,
        patient_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<RawRecord>, DbError>;
    /// The care team's current copy of a patient's records of one kind;
    /// a record whose stored fields do not read is listed apart (and
    /// logged by id, never by content).
    async fn records_of(
        &self,
        patient_id: &str,
        kind: steady_model::RecordKind,
    ) -> Result<Listing, DbError>;
}

/// The most one patient's records may hold on the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub records: i64,
    /// Bytes of stored JSON.
    pub bytes: i64,
}

/// The limits a push is held to: the patient's quota and, for a device's
/// push, how many pushes it may make in a minute (counted in the push's own
/// transaction, so it costs no commit of its own).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushLimits {
    pub quota: Quota,
    /// The device's id and its pushes a minute.
    pub rate: Option<(String, i64)>,
}

impl PushLimits {
    /// The device pushing, if a device is: a device's push is always
    /// counted against its rate.
    pub fn device(&self) -> Option<&str> {
        self.rate.as_ref().map(|(device, _)| device.as_str())
    }
}

/// The window pushes are counted in.
pub const RATE_WINDOW_MS: i64 = 60_000;

/// Most rows in one INSERT statement (5 parameters each).
pub(crate) const WRITE_ROWS: usize = 500;

/// What an INSERT of records does with a record already stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conflict {
    /// Fails the statement.
    Fail,
    /// Replaces its fields and change number.
    Update,
    /// Leaves it.
    Skip,
}

/// `INSERT` of `rows` records, parameters (patient_id, id, kind, fields,
/// change_no) per row, doing `conflict` with a record stored: numbered
/// (`$1`) for PostgreSQL, positional (`?`) for SQLite, where looking up
/// thousands of numbered parameters by name costs more than the insert.
/// Public so the ingest benchmark's bare baseline runs the same INSERT.
pub fn write_sql(rows: usize, numbered: bool, conflict: Conflict) -> String {
    let mut sql =
        String::from("INSERT INTO records (patient_id, id, kind, fields, change_no) VALUES ");
    for row in 0..rows {
        let b = row * 5;
        if row > 0 {
            sql.push(',');
        }
        if numbered {
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5
            ));
        } else {
            sql.push_str("(?, ?, ?, ?, ?)");
        }
    }
    sql.push_str(match conflict {
        Conflict::Fail => "",
        Conflict::Update => {
            " ON CONFLICT (patient_id, id) DO UPDATE SET fields = excluded.fields, change_no = excluded.change_no"
        }
        Conflict::Skip => " ON CONFLICT (patient_id, id) DO NOTHING",
    });
    sql
}

/// Takes the patient's counter row, made if need be, and reads its last
/// change number. It writes the row, so PostgreSQL locks it and SQLite
/// takes its one write lock, until the push ends.
const LOCK_PATIENT: &str = "INSERT INTO patient_changes (patient_id, last_change) VALUES ($1, 0)
     ON CONFLICT (patient_id) DO UPDATE SET last_change = patient_changes.last_change
     RETURNING last_change";

const ADVANCE_CHANGES: &str = "UPDATE patient_changes
     SET last_change = last_change + $2, records = records + $3, bytes = bytes + $4
     WHERE patient_id = $1 RETURNING records, bytes";

const PULL: &str = "SELECT id, kind, fields, change_no FROM records
     WHERE patient_id = $1 AND change_no > $2 ORDER BY change_no LIMIT $3";

const RECORDS_OF_KIND: &str = "SELECT id, kind, fields, change_no FROM records
     WHERE patient_id = $1 AND kind = $2 ORDER BY change_no";

#[async_trait]
impl<B: Backend> Records for Sql<B>
where
    for<'c> &'c mut B::Connection: Executor<'c, Database = B>,
    for<'a> &'a str: Bind<B> + ColumnIndex<B::Row>,
    String: Column<B>,
    i64: Column<B>,
    usize: ColumnIndex<B::Row>,
{
    async fn push(
        &self,
        patient_id: &str,
        records: Vec<Incoming>,
        limits: &PushLimits,
    ) -> Result<Vec<PushOutcome>, DbError> {
        let mut tx = self.pool.begin().await?;
        let mut outcomes: Vec<Option<PushOutcome>> = vec![None; records.len()];
        // Records the server may already hold, with their places in the push.
        let mut known: Vec<(usize, Incoming)> = Vec::new();
        let mut count = Counted::default();
        let mut seen = HashSet::new();
        let repeats = !records.iter().all(|r| seen.insert(r.id.as_str()));
        drop(seen);
        let last = if repeats {
            // An id pushed twice: its copies merge in order, against the
            // stored copy, below.
            let answer = take_patient::<B>(&mut tx, patient_id, limits).await;
            let last;
            (last, tx) = taken(tx, answer).await?;
            known.extend(records.into_iter().enumerate());
            last
        } else {
            // Most pushes carry records new to the server. Each is checked
            // as new and inserted unless the server has it, a part at a time:
            // a part is inserted while the next is checked, so the database
            // and the checks overlap. The rest are merged below.
            let mut parts = Parts::new(records);
            let first = parts.next();
            let (answer, mut checked) =
                tokio::join!(take_patient::<B>(&mut tx, patient_id, limits), async {
                    check_as_new(first)
                });
            let last;
            (last, tx) = taken(tx, answer).await?;
            loop {
                let mut new = Vec::with_capacity(checked.len());
                for (at, record, checked) in checked {
                    match checked {
                        Ok(text) => new.push(New { at, record, text }),
                        Err(_) => known.push((at, record)),
                    }
                }
                let numbered = count.numbers;
                let first_change = last + numbered + 1;
                let next = parts.next();
                let (inserted, next) = if next.is_empty() {
                    let inserted = insert_new::<B>(&mut tx, patient_id, &new, first_change).await;
                    (inserted, None)
                } else {
                    let (inserted, next) = tokio::join!(
                        insert_new::<B>(&mut tx, patient_id, &new, first_change),
                        async { check_as_new(next) },
                    );
                    (inserted, Some(next))
                };
                let inserted = inserted?;
                for (i, New { at, record, text }) in new.into_iter().enumerate() {
                    if inserted.contains(record.id.as_str()) {
                        outcomes[at] = Some(PushOutcome::Applied);
                        // Numbers go up to the last inserted; one skipped
                        // before it leaves a gap, which a pull never minds.
                        count.numbers = numbered + i as i64 + 1;
                        count.added += 1;
                        count.grown += text.len() as i64;
                    } else {
                        known.push((at, record));
                    }
                }
                match next {
                    Some(next) => checked = next,
                    None => break,
                }
            }
            last
        };
        if !known.is_empty() {
            let ids: Vec<&str> = known.iter().map(|(_, r)| r.id.as_str()).collect();
            let (mut stored, stored_bytes) = read_stored::<B>(&mut tx, patient_id, &ids).await?;
            let (places, records): (Vec<usize>, Vec<Incoming>) = known.into_iter().unzip();
            let (done, mut rows) = settle(&mut stored, records);
            for (at, outcome) in places.into_iter().zip(done) {
                outcomes[at] = Some(outcome);
            }
            for row in &mut rows {
                // A row replacing an unreadable copy updates it in place.
                row.fresh &= !stored_bytes.contains_key(&row.id);
                count.added += i64::from(row.fresh);
                count.grown +=
                    row.text.len() as i64 - stored_bytes.get(&row.id).copied().unwrap_or(0);
            }
            write_rows::<B>(&mut tx, patient_id, &rows, last + count.numbers + 1).await?;
            count.numbers += rows.len() as i64;
            audit_withdrawals::<B>(&mut tx, patient_id, &rows, limits).await?;
        }
        if count.numbers > 0 {
            let row = sqlx::query(ADVANCE_CHANGES)
                .bind(patient_id)
                .bind(count.numbers)
                .bind(count.added)
                .bind(count.grown)
                .fetch_one(&mut *tx)
                .await?;
            let (held, bytes): (i64, i64) = (row.try_get("records")?, row.try_get("bytes")?);
            let quota = limits.quota;
            let over = if count.added > 0 && held > quota.records {
                Some(DbError::Quota {
                    what: "records",
                    limit: quota.records,
                })
            } else if count.grown > 0 && bytes > quota.bytes {
                Some(DbError::Quota {
                    what: "bytes of records",
                    limit: quota.bytes,
                })
            } else {
                None
            };
            if let Some(over) = over {
                // The whole push is undone, but it still counts as a push.
                tx.rollback().await?;
                if let Some((device, _)) = &limits.rate {
                    sqlx::query(super::limits::COUNT_IN_WINDOW)
                        .bind(format!("push:{device}").as_str())
                        .bind(super::now_ms())
                        .bind(RATE_WINDOW_MS)
                        .execute(&self.pool)
                        .await?;
                }
                return Err(over);
            }
        }
        tx.commit().await?;
        outcomes
            .into_iter()
            .map(|o| o.ok_or_else(|| DbError::Corrupt("a pushed record was left unsettled".into())))
            .collect()
    }

    async fn pull_raw(
        &self,
        patient_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<RawRecord>, DbError> {
        let rows = sqlx::query(PULL)
            .bind(patient_id)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(raw_of).collect()
    }

    async fn records_of(&self, patient_id: &str, kind: RecordKind) -> Result<Listing, DbError> {
        let rows = sqlx::query(RECORDS_OF_KIND)
            .bind(patient_id)
            .bind(kind.as_str())
            .fetch_all(&self.pool)
            .await?;
        let mut listing = Listing::default();
        for row in &rows {
            let raw = raw_of(row)?;
            let id = raw.id.clone();
            match raw.decode() {
                Ok(record) if record.fields.is_withdrawn() => listing.withdrawn.push(record.id),
                Ok(record) => listing.records.push(record),
                Err(_) => {
                    tracing::warn!(patient = %patient_id, record = %id, kind = %kind.as_str(), "stored record does not read; skipped");
                    listing.unreadable.push(id);
                }
            }
        }
        Ok(listing)
    }
}

/// What a push adds up as it goes: change numbers handed out, records
/// added, bytes grown.
#[derive(Default)]
struct Counted {
    numbers: i64,
    added: i64,
    grown: i64,
}

/// Records checked at a time, inserted while the next part is checked.
const PART: usize = 125;
/// Records in a push's first part, checked while the patient's row is
/// taken, and in its last, inserted while nothing is left to check (of a
/// push long enough to have them).
const FIRST_PART: usize = 60;
const LAST_PART: usize = 25;

/// A push's records, a part at a time, each with its place in the push.
struct Parts {
    records: std::iter::Enumerate<std::vec::IntoIter<Incoming>>,
    first: bool,
}

impl Parts {
    fn new(records: Vec<Incoming>) -> Self {
        Self {
            records: records.into_iter().enumerate(),
            first: true,
        }
    }

    /// The next part; empty once every record is taken. The last part is
    /// short, as nothing is checked while it is inserted.
    fn next(&mut self) -> Vec<(usize, Incoming)> {
        let left = self.records.len();
        let take = if self.first && left > FIRST_PART + LAST_PART {
            FIRST_PART
        } else if left > PART + LAST_PART {
            PART
        } else if left > LAST_PART {
            left - LAST_PART
        } else {
            left
        };
        self.first = false;
        self.records.by_ref().take(take).collect()
    }
}

/// Each record checked as new to the server: its text to store, or why a
/// new record like it would be refused.
fn check_as_new(part: Vec<(usize, Incoming)>) -> Vec<(usize, Incoming, Checked)> {
    part.into_iter()
        .map(|(at, record)| {
            let checked = check(&record.kind, &record.fields);
            (at, record, checked)
        })
        .collect()
}

/// A record checked as new, with its text to insert.
struct New {
    at: usize,
    record: Incoming,
    text: String,
}

/// Counts the push against the device's rate (refused past it), then
/// takes the patient's row: its last change number.
async fn take_patient<B: Backend>(
    tx: &mut sqlx::Transaction<'static, B>,
    patient_id: &str,
    limits: &PushLimits,
) -> Result<i64, DbError>
where
    for<'c> &'c mut B::Connection: Executor<'c, Database = B>,
    for<'a> &'a str: Bind<B> + ColumnIndex<B::Row>,
    i64: Column<B>,
{
    if let Some((device, allowed)) = &limits.rate {
        let now = super::now_ms();
        let row = sqlx::query(super::limits::COUNT_IN_WINDOW)
            .bind(format!("push:{device}").as_str())
            .bind(now)
            .bind(RATE_WINDOW_MS)
            .fetch_one(&mut **tx)
            .await?;
        let (count, started): (i64, i64) = (row.try_get("count")?, row.try_get("started_ms")?);
        if count > *allowed {
            return Err(DbError::RateLimited {
                allowed: *allowed,
                retry_ms: (started + RATE_WINDOW_MS - now).max(1_000),
            });
        }
    }
    Ok(sqlx::query(LOCK_PATIENT)
        .bind(patient_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("last_change")?)
}

/// What [`take_patient`] answered; a push refused for its rate is still
/// committed, so that refused pushes count too.
async fn taken<B: Backend>(
    tx: sqlx::Transaction<'static, B>,
    last: Result<i64, DbError>,
) -> Result<(i64, sqlx::Transaction<'static, B>), DbError> {
    match last {
        Ok(last) => Ok((last, tx)),
        Err(limited @ DbError::RateLimited { .. }) => {
            tx.commit().await?;
            Err(limited)
        }
        Err(e) => Err(e),
    }
}

/// The stored copies of records `ids` (those that read), and the size of
/// each stored copy, read or not.
async fn read_stored<B: Backend>(
    conn: &mut B::Connection,
    patient_id: &str,
    ids: &[&str],
) -> Result<(Stored, HashMap<String, i64>), DbError>
where
    for<'c> &'c mut B::Connection: Executor<'c, Database = B>,
    for<'a> &'a str: Bind<B> + ColumnIndex<B::Row>,
    String: Column<B>,
{
    let ids = serde_json::to_string(ids).map_err(|e| DbError::Corrupt(e.to_string()))?;
    let mut stored: Stored = HashMap::new();
    let mut stored_bytes: HashMap<String, i64> = HashMap::new();
    for row in sqlx::query(B::RECORDS_BY_IDS)
        .bind(patient_id)
        .bind(ids)
        .fetch_all(&mut *conn)
        .await?
    {
        let text: String = row.try_get("fields")?;
        let id: String = row.try_get("id")?;
        stored_bytes.insert(id.clone(), text.len() as i64);
        // A stored copy that no longer reads is replaced by what the
        // device sends, as if the server had never had it.
        let Ok(fields) = serde_json::from_str(&text) else {
            continue;
        };
        stored.insert(id, (row.try_get("kind")?, fields));
    }
    Ok((stored, stored_bytes))
}

/// Inserts records checked as new, numbered `first`, `first + 1`, ... in
/// order, skipping any the server already has; the ids inserted.
async fn insert_new<B: Backend>(
    conn: &mut B::Connection,
    patient_id: &str,
    rows: &[New],
    first: i64,
) -> Result<HashSet<String>, DbError>
where
    for<'c> &'c mut B::Connection: Executor<'c, Database = B>,
    for<'a> &'a str: Bind<B> + ColumnIndex<B::Row>,
    String: Column<B>,
    i64: Bind<B>,
{
    let mut inserted = HashSet::with_capacity(rows.len());
    for (n, chunk) in rows.chunks(WRITE_ROWS).enumerate() {
        let first = first + (n * WRITE_ROWS) as i64;
        let sql = write_sql(chunk.len(), B::NUMBERED_PARAMETERS, Conflict::Skip);
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (i, row) in chunk.iter().enumerate() {
            query = query
                .bind(patient_id)
                .bind(row.record.id.as_str())
                .bind(row.record.kind.as_str())
                .bind(row.text.as_str())
                .bind(first + i as i64);
        }
        let done = query.execute(&mut *conn).await?;
        if B::rows_affected(&done) == chunk.len() as u64 {
            inserted.extend(chunk.iter().map(|row| row.record.id.clone()));
            continue;
        }
        // Some were held already (rare: a replay): those inserted are the
        // ones with this statement's numbers.
        for row in sqlx::query(INSERTED_BETWEEN)
            .bind(patient_id)
            .bind(first)
            .bind(first + chunk.len() as i64 - 1)
            .fetch_all(&mut *conn)
            .await?
        {
            inserted.insert(row.try_get("id")?);
        }
    }
    Ok(inserted)
}

const INSERTED_BETWEEN: &str =
    "SELECT id FROM records WHERE patient_id = $1 AND change_no BETWEEN $2 AND $3";

/// Writes `rows`, numbered `first`, `first + 1`, ... in order: records new
/// to the server inserted (the patient's lock keeps anyone else from
/// adding them meanwhile), known ones updated.
async fn write_rows<B: Backend>(
    conn: &mut B::Connection,
    patient_id: &str,
    rows: &[Row],
    first: i64,
) -> Result<(), DbError>
where
    for<'c> &'c mut B::Connection: Executor<'c, Database = B>,
    for<'a> &'a str: Bind<B>,
    i64: Bind<B>,
{
    let (fresh, known): (Vec<_>, Vec<_>) = rows.iter().enumerate().partition(|(_, r)| r.fresh);
    for (rows, upsert) in [(fresh, Conflict::Fail), (known, Conflict::Update)] {
        for chunk in rows.chunks(WRITE_ROWS) {
            let sql = write_sql(chunk.len(), B::NUMBERED_PARAMETERS, upsert);
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (at, row) in chunk {
                query = query
                    .bind(patient_id)
                    .bind(row.id.as_str())
                    .bind(row.kind.as_str())
                    .bind(row.text.as_str())
                    .bind(first + *at as i64);
            }
            query.execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// The audit log's entry for each record withdrawn, written in the push's
/// transaction: the tombstone and its entry commit together. The device is
/// the actor; the record's id and kind are named, never its contents.
async fn audit_withdrawals<B: Backend>(
    conn: &mut B::Connection,
    patient_id: &str,
    rows: &[Row],
    limits: &PushLimits,
) -> Result<(), DbError>
where
    for<'c> &'c mut B::Connection: Executor<'c, Database = B>,
    for<'a> &'a str: Bind<B>,
    i64: Bind<B>,
{
    for row in rows.iter().filter(|r| r.withdrawn) {
        let Some(device) = limits.device() else {
            return Err(DbError::Corrupt("a withdrawal came from no device".into()));
        };
        let detail = format!("kind={} id={}", row.kind, row.id);
        sqlx::query(AUDIT_WITHDRAWAL)
            .bind(super::now_ms())
            .bind(device)
            .bind(WITHDRAW_ACTION)
            .bind(detail.as_str())
            .bind(patient_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The action a withdrawal is logged as.
pub const WITHDRAW_ACTION: &str = "withdraw record";

const AUDIT_WITHDRAWAL: &str =
    "INSERT INTO audit_log (at_ms, clinic_id, device_id, patient_id, action, detail)
     SELECT $1, clinic_id, $2, id, $3, $4 FROM patients WHERE id = $5";

fn raw_of<R: sqlx::Row>(row: &R) -> Result<RawRecord, DbError>
where
    for<'a> &'a str: ColumnIndex<R>,
    String: Column<R::Database>,
    i64: Column<R::Database>,
{
    Ok(RawRecord {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        change: row.try_get("change_no")?,
        fields: row.try_get("fields")?,
    })
}

/// The stored copies of the records a push touches: id -> (kind, fields).
pub(crate) type Stored = HashMap<String, (String, FieldMap<RawJson>)>;

/// A record to write: its new fields as text, and whether the server had
/// it before this push (then it is inserted, else updated).
pub(crate) struct Row {
    pub id: String,
    pub kind: String,
    pub text: String,
    pub fresh: bool,
    /// The patient withdrew the record with this write: its contents are
    /// dropped and the audit log says so.
    pub withdrawn: bool,
}

/// What one pushed record comes to against its stored copy.
enum Settled {
    Refused(String),
    /// Nothing new: a replay, or only older writes.
    Unchanged,
    Changed {
        merged: FieldMap<RawJson>,
        text: String,
        withdrawn: bool,
    },
}

/// Merges each pushed record onto its stored copy and checks the result;
/// each record's outcome, in push order, and the rows to write. Pure work
/// on values, done while the patient's lock is held; `stored` takes in
/// what an id pushed twice comes to, for its later copies.
pub(crate) fn settle(stored: &mut Stored, records: Vec<Incoming>) -> (Vec<PushOutcome>, Vec<Row>) {
    // An id pushed twice: later copies merge onto earlier ones, in order,
    // and the record is written once. Other records stand alone.
    let mut seen = HashSet::new();
    let repeated: HashSet<String> = records
        .iter()
        .filter(|r| !seen.insert(r.id.as_str()))
        .map(|r| r.id.clone())
        .collect();
    let mut outcomes = Vec::with_capacity(records.len());
    let mut rows: Vec<Row> = Vec::new();
    let mut row_of: HashMap<String, usize> = HashMap::new();
    for Incoming { id, kind, fields } in records {
        let fresh = !stored.contains_key(&id);
        let settled = settle_one(stored.get(&id), &kind, fields);
        outcomes.push(outcome(&settled));
        let Settled::Changed {
            merged,
            text,
            withdrawn,
        } = settled
        else {
            continue;
        };
        if !repeated.contains(&id) {
            rows.push(Row {
                id,
                kind,
                text,
                fresh,
                withdrawn,
            });
            continue;
        }
        match row_of.get(&id) {
            Some(&at) => {
                rows[at].text = text;
                rows[at].withdrawn |= withdrawn;
            }
            None => {
                row_of.insert(id.clone(), rows.len());
                rows.push(Row {
                    id: id.clone(),
                    kind: kind.clone(),
                    text,
                    fresh,
                    withdrawn,
                });
            }
        }
        stored.insert(id, (kind, merged));
    }
    (outcomes, rows)
}

fn outcome(settled: &Settled) -> PushOutcome {
    match settled {
        Settled::Refused(reason) => PushOutcome::Refused(reason.clone()),
        Settled::Unchanged | Settled::Changed { .. } => PushOutcome::Applied,
    }
}

fn settle_one(
    current: Option<&(String, FieldMap<RawJson>)>,
    kind: &str,
    fields: FieldMap<RawJson>,
) -> Settled {
    let merged = match current {
        // A withdrawal of a record the server never held: there is nothing
        // to drop, and nothing is kept.
        None if fields.is_withdrawn() => return Settled::Unchanged,
        // A record the server has never seen is stored as pushed.
        None => fields,
        Some((stored_kind, _)) if stored_kind != kind => {
            return Settled::Refused(format!(
                "this id belongs to a {stored_kind} record, not a {kind}"
            ));
        }
        Some((_, current)) => {
            let merged = merge(current, &fields);
            if merged == *current {
                return Settled::Unchanged;
            }
            merged
        }
    };
    // Made private by the patient: the care team keeps only that. Later
    // writes of its contents with older stamps merge into the same.
    if merged.is_withdrawn() {
        let kept = merged.withdrawn();
        if current.is_some_and(|(_, c)| *c == kept) {
            return Settled::Unchanged;
        }
        return Settled::Changed {
            text: kept.to_text(),
            merged: kept,
            withdrawn: current.is_some_and(|(_, c)| !c.is_withdrawn()),
        };
    }
    match check(kind, &merged) {
        Err(reason) => Settled::Refused(reason),
        Ok(text) => Settled::Changed {
            text,
            merged,
            withdrawn: false,
        },
    }
}

/// A record checked: its text to store, or why it is refused.
type Checked = Result<String, String>;

/// Checks a record as it would be stored. It must pass the rules the app
/// applies before it saves: every field in range, none unknown, none
/// missing.
fn check(kind: &str, fields: &FieldMap<RawJson>) -> Checked {
    let valid = match RecordKind::parse(kind) {
        None => Err(format!("{kind:?} is not a kind of record")),
        Some(k) => k.check_fields(fields),
    };
    valid
        .map(|()| fields.to_text())
        .map_err(|reason| format!("it is not a valid {kind}: {reason}"))
}
