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

/// The window pushes are counted in.
pub const RATE_WINDOW_MS: i64 = 60_000;

/// Most rows in one INSERT statement (5 parameters each).
pub(crate) const WRITE_ROWS: usize = 500;

/// `INSERT` of `rows` records, parameters (patient_id, id, kind, fields,
/// change_no) per row, `ON CONFLICT DO UPDATE` when `upsert`: numbered
/// (`$1`) for PostgreSQL, positional (`?`) for SQLite, where looking up
/// thousands of numbered parameters by name costs more than the insert.
/// Public so the ingest benchmark's bare baseline runs the same INSERT.
pub fn write_sql(rows: usize, numbered: bool, upsert: bool) -> String {
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
    if upsert {
        sql.push_str(
            " ON CONFLICT (patient_id, id) DO UPDATE SET fields = excluded.fields, change_no = excluded.change_no",
        );
    }
    sql
}

const ENSURE_COUNTER: &str = "INSERT INTO patient_changes (patient_id, last_change) VALUES ($1, 0)
     ON CONFLICT (patient_id) DO NOTHING";

const LOCK_PATIENT: &str =
    "UPDATE patient_changes SET last_change = last_change WHERE patient_id = $1";

const ADVANCE_CHANGES: &str = "UPDATE patient_changes
     SET last_change = last_change + $2, records = records + $3, bytes = bytes + $4
     WHERE patient_id = $1 RETURNING last_change, records, bytes";

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
        let quota = limits.quota;
        let mut tx = self.pool.begin().await?;
        if let Some((device, allowed)) = &limits.rate {
            let now = super::now_ms();
            let row = sqlx::query(super::limits::COUNT_IN_WINDOW)
                .bind(format!("push:{device}").as_str())
                .bind(now)
                .bind(RATE_WINDOW_MS)
                .fetch_one(&mut *tx)
                .await?;
            let (count, started): (i64, i64) = (row.try_get("count")?, row.try_get("started_ms")?);
            if count > *allowed {
                // Committed, so the refused pushes count too.
                tx.commit().await?;
                return Err(DbError::RateLimited {
                    allowed: *allowed,
                    retry_ms: (started + RATE_WINDOW_MS - now).max(1_000),
                });
            }
        }
        sqlx::query(ENSURE_COUNTER)
            .bind(patient_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(LOCK_PATIENT)
            .bind(patient_id)
            .execute(&mut *tx)
            .await?;
        // Every stored record the push touches, in one query.
        let ids = serde_json::to_string(&records.iter().map(|r| r.id.as_str()).collect::<Vec<_>>())
            .map_err(|e| DbError::Corrupt(e.to_string()))?;
        let mut stored: Stored = HashMap::new();
        let mut stored_bytes: HashMap<String, i64> = HashMap::new();
        for row in sqlx::query(B::RECORDS_BY_IDS)
            .bind(patient_id)
            .bind(ids)
            .fetch_all(&mut *tx)
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
        let (outcomes, mut changed) = settle(stored, records);
        for row in &mut changed {
            // A row replacing an unreadable copy updates it in place.
            row.fresh &= !stored_bytes.contains_key(&row.id);
        }
        if !changed.is_empty() {
            let added = changed.iter().filter(|c| c.fresh).count() as i64;
            let grown: i64 = changed
                .iter()
                .map(|c| c.text.len() as i64 - stored_bytes.get(&c.id).copied().unwrap_or(0))
                .sum();
            // Numbers for every change at once: last - n + 1 ..= last.
            let row = sqlx::query(ADVANCE_CHANGES)
                .bind(patient_id)
                .bind(changed.len() as i64)
                .bind(added)
                .bind(grown)
                .fetch_one(&mut *tx)
                .await?;
            let (last, held, bytes): (i64, i64, i64) = (
                row.try_get("last_change")?,
                row.try_get("records")?,
                row.try_get("bytes")?,
            );
            let over = if added > 0 && held > quota.records {
                Some(DbError::Quota {
                    what: "records",
                    limit: quota.records,
                })
            } else if grown > 0 && bytes > quota.bytes {
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
            let first = last - changed.len() as i64 + 1;
            // Records new to the server are inserted; the patient's lock
            // keeps anyone else from adding them meanwhile.
            let (fresh, known): (Vec<_>, Vec<_>) =
                changed.iter().enumerate().partition(|(_, c)| c.fresh);
            for (rows, upsert) in [(fresh, false), (known, true)] {
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
                    query.execute(&mut *tx).await?;
                }
            }
        }
        tx.commit().await?;
        Ok(outcomes)
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
}

/// What one pushed record comes to against its stored copy.
enum Settled {
    Refused(String),
    /// Nothing new: a replay, or only older writes.
    Unchanged,
    Changed {
        merged: FieldMap<RawJson>,
        text: String,
    },
}

/// Merges each pushed record onto its stored copy and checks the result;
/// each record's outcome, in push order, and the rows to write. Pure work
/// on values, done while the patient's lock is held.
pub(crate) fn settle(mut stored: Stored, records: Vec<Incoming>) -> (Vec<PushOutcome>, Vec<Row>) {
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
        let Settled::Changed { merged, text } = settled else {
            continue;
        };
        if !repeated.contains(&id) {
            rows.push(Row {
                id,
                kind,
                text,
                fresh,
            });
            continue;
        }
        match row_of.get(&id) {
            Some(&at) => rows[at].text = text,
            None => {
                row_of.insert(id.clone(), rows.len());
                rows.push(Row {
                    id: id.clone(),
                    kind: kind.clone(),
                    text,
                    fresh,
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
    // The merged record must pass the rules the app applies before it
    // saves: every field in range, none unknown, none missing.
    let valid = match RecordKind::parse(kind) {
        None => Err(format!("{kind:?} is not a kind of record")),
        Some(k) => k.check_fields(&merged),
    };
    match valid {
        Err(reason) => Settled::Refused(format!("it is not a valid {kind}: {reason}")),
        Ok(()) => Settled::Changed {
            text: merged.to_text(),
            merged,
        },
    }
}
