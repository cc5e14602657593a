//! The `records` table, and every statement that reads or writes it: the
//! store's creates, edits, deletions and lists, the schedule's lookups, and
//! sync's bookkeeping. One row a record: its kind, time and visibility, its
//! JSON body, the stamp of each field, the stamp of its last change
//! (`updated`) and of the last change the server acknowledged (`pushed`).
//!
//! Rows come back as text; reading them as a kind is the caller's work.

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection, SqlitePool};
use steady_model::{RecordId, RecordKind, Visibility};

use crate::error::StoreError;

/// A new record's row.
pub(crate) struct NewRow<'a> {
    pub id: RecordId,
    pub kind: RecordKind,
    pub at_ms: i64,
    pub visibility: Visibility,
    pub body: &'a str,
    pub stamps: &'a str,
    pub updated: &'a str,
}

pub(crate) async fn insert(conn: &mut SqliteConnection, row: NewRow<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO records (id, kind, at_ms, visibility, body, stamps, updated)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(row.id.to_string())
    .bind(row.kind.as_str())
    .bind(row.at_ms)
    .bind(row.visibility.as_str())
    .bind(row.body)
    .bind(row.stamps)
    .bind(row.updated)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A live record's new value: its time, visibility, body and stamps.
pub(crate) async fn update(
    conn: &mut SqliteConnection,
    id: RecordId,
    at_ms: i64,
    visibility: Visibility,
    body: &str,
    stamps: &str,
    updated: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE records SET at_ms = ?, visibility = ?, body = ?, stamps = ?, updated = ?
         WHERE id = ?",
    )
    .bind(at_ms)
    .bind(visibility.as_str())
    .bind(body)
    .bind(stamps)
    .bind(updated)
    .bind(id.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A live record's body and stamps, without a change of time or visibility.
pub(crate) async fn set_body(
    conn: &mut SqliteConnection,
    id: RecordId,
    body: &str,
    stamps: &str,
    updated: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE records SET body = ?, stamps = ?, updated = ? WHERE id = ?")
        .bind(body)
        .bind(stamps)
        .bind(updated)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Whether a record of `kind` with `id` exists, deleted or not, and its stamps.
pub(crate) async fn deleted_and_stamps(
    conn: &mut SqliteConnection,
    id: RecordId,
    kind: RecordKind,
) -> Result<Option<(bool, String)>, StoreError> {
    let row = sqlx::query("SELECT deleted, stamps FROM records WHERE id = ? AND kind = ?")
        .bind(id.to_string())
        .bind(kind.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| (r.get::<i64, _>("deleted") == 1, r.get("stamps"))))
}

/// Marks a record deleted (its tombstone), with its new stamps.
pub(crate) async fn mark_deleted(
    conn: &mut SqliteConnection,
    id: RecordId,
    stamps: &str,
    updated: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE records SET deleted = 1, stamps = ?, updated = ? WHERE id = ?")
        .bind(stamps)
        .bind(updated)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A live record's body.
pub(crate) async fn live_body(
    pool: &SqlitePool,
    id: RecordId,
    kind: RecordKind,
) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT body FROM records WHERE id = ? AND kind = ? AND deleted = 0")
            .bind(id.to_string())
            .bind(kind.as_str())
            .fetch_optional(pool)
            .await?,
    )
}

/// A live record's body and stamps.
pub(crate) async fn live_body_and_stamps(
    conn: &mut SqliteConnection,
    id: RecordId,
    kind: RecordKind,
) -> Result<Option<(String, String)>, StoreError> {
    let row =
        sqlx::query("SELECT body, stamps FROM records WHERE id = ? AND kind = ? AND deleted = 0")
            .bind(id.to_string())
            .bind(kind.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map(|r| (r.get("body"), r.get("stamps"))))
}

/// Whether a live record of `kind` with `id` exists.
pub(crate) async fn is_live(
    conn: &mut SqliteConnection,
    id: RecordId,
    kind: RecordKind,
) -> Result<bool, StoreError> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM records WHERE id = ? AND kind = ? AND deleted = 0")
            .bind(id.to_string())
            .bind(kind.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    Ok(found.is_some())
}

/// One page of live records of `kind` with `at` in `from_ms..to_ms`, newest
/// first, before the position (`before_ms`, `before_id`): at most `limit`
/// rows of `(id, at_ms, body)`.
pub(crate) async fn page(
    pool: &SqlitePool,
    kind: RecordKind,
    (from_ms, to_ms): (i64, i64),
    (before_ms, before_id): (i64, &str),
    limit: i64,
) -> Result<Vec<(String, i64, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, at_ms, body FROM records
         WHERE kind = ? AND deleted = 0 AND at_ms >= ? AND at_ms < ?
           AND (at_ms < ? OR (at_ms = ? AND id < ?))
         ORDER BY at_ms DESC, id DESC
         LIMIT ?",
    )
    .bind(kind.as_str())
    .bind(from_ms)
    .bind(to_ms)
    .bind(before_ms)
    .bind(before_ms)
    .bind(before_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.get("id"), r.get("at_ms"), r.get("body")))
        .collect())
}

/// Every live record of `kind`, oldest first: `(id, body)`.
pub(crate) async fn all_live(
    pool: &SqlitePool,
    kind: RecordKind,
) -> Result<Vec<(String, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, body FROM records WHERE kind = ? AND deleted = 0 ORDER BY at_ms, id",
    )
    .bind(kind.as_str())
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.get("id"), r.get("body")))
        .collect())
}

/// The live attendance mark for one occurrence of an event, if any.
pub(crate) async fn attendance_for(
    pool: &SqlitePool,
    event_id: &str,
    occurrence: &str,
) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM records WHERE kind = 'attendance' AND deleted = 0
           AND json_extract(body, '$.event_id') = ? AND json_extract(body, '$.occurrence') = ?",
    )
    .bind(event_id)
    .bind(occurrence)
    .fetch_optional(pool)
    .await?)
}

/// The newest stamp of any change on this device.
pub(crate) async fn last_updated(pool: &SqlitePool) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT max(updated) FROM records")
        .fetch_one(pool)
        .await?)
}

// ---------------------------------------------------------------------------
// Sync's bookkeeping.

/// Marks every record unsent (a new pairing starts from nothing).
pub(crate) async fn forget_pushed(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    sqlx::query("UPDATE records SET pushed = NULL")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Records of `kinds` (a JSON array, bound twice) waiting to be pushed:
/// care-team records with changes the server has not acknowledged, and
/// records made private after the server got them (a withdrawal, which
/// carries only the visibility). Each half reads its own partial index.
const PENDING: &str = "SELECT id, kind, body, stamps, deleted, updated, visibility FROM records
     WHERE visibility = 'care_team' AND (pushed IS NULL OR pushed <> updated)
       AND kind IN (SELECT value FROM json_each(?))
     UNION ALL
     SELECT id, kind, body, stamps, deleted, updated, visibility FROM records
     WHERE visibility = 'private' AND pushed IS NOT NULL AND pushed <> updated
       AND kind IN (SELECT value FROM json_each(?))";

/// Records waiting to be pushed (see [`PENDING`]).
pub(crate) async fn count_pending(pool: &SqlitePool, kinds: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM ({PENDING}) AS pending"
    )))
    .bind(kinds)
    .bind(kinds)
    .fetch_one(pool)
    .await?)
}

/// A record waiting to be pushed, as stored.
pub(crate) struct PendingRow {
    pub id: String,
    pub kind: String,
    pub body: String,
    pub stamps: String,
    pub deleted: bool,
    pub updated: String,
    /// Made private after it was shared: only its visibility is sent.
    pub withdrawn: bool,
}

/// Up to `limit` care-team records of `kinds` (a JSON array) waiting to be
/// pushed, oldest change first.
pub(crate) async fn pending(
    pool: &SqlitePool,
    kinds: &str,
    limit: i64,
) -> Result<Vec<PendingRow>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{PENDING} ORDER BY updated LIMIT ?"
    )))
    .bind(kinds)
    .bind(kinds)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| PendingRow {
            id: r.get("id"),
            kind: r.get("kind"),
            body: r.get("body"),
            stamps: r.get("stamps"),
            deleted: deleted(r),
            updated: r.get("updated"),
            withdrawn: r.get::<String, _>("visibility") == "private",
        })
        .collect())
}

/// Notes that the server holds the record as of stamp `pushed` (none:
/// nothing acknowledged).
pub(crate) async fn set_pushed(
    conn: &mut SqliteConnection,
    id: &str,
    pushed: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE records SET pushed = ? WHERE id = ?")
        .bind(pushed)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A stored record, read for a merge.
pub(crate) struct MergeRow {
    pub id: String,
    pub kind: String,
    pub body: String,
    pub stamps: String,
    pub deleted: bool,
    pub pushed: Option<String>,
}

/// The records whose ids are in `ids` (a JSON array), deleted or not.
pub(crate) async fn by_ids(
    conn: &mut SqliteConnection,
    ids: &str,
) -> Result<Vec<MergeRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, kind, body, stamps, deleted, pushed FROM records
         WHERE id IN (SELECT value FROM json_each(?))",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| MergeRow {
            id: r.get("id"),
            kind: r.get("kind"),
            body: r.get("body"),
            stamps: r.get("stamps"),
            deleted: deleted(r),
            pushed: r.get("pushed"),
        })
        .collect())
}

impl From<&MergedRow> for MergeRow {
    /// A row about to be written, as the next merge of the same id reads it.
    fn from(row: &MergedRow) -> Self {
        MergeRow {
            id: row.id.clone(),
            kind: row.kind.as_str().to_owned(),
            body: row.body.clone(),
            stamps: row.stamps.clone(),
            deleted: row.deleted,
            pushed: row.pushed.clone(),
        }
    }
}

/// A merged record to write, new here or not.
pub(crate) struct MergedRow {
    pub id: String,
    pub kind: RecordKind,
    pub at_ms: i64,
    pub deleted: bool,
    pub visibility: Visibility,
    pub body: String,
    pub stamps: String,
    pub updated: String,
    pub pushed: Option<String>,
}

/// Rows in one multi-row write (9 parameters each, well under SQLite's limit).
const WRITE_ROWS: usize = 500;

/// Writes merged records, inserting new ones and replacing known ones, in
/// multi-row statements.
pub(crate) async fn upsert_merged(
    conn: &mut SqliteConnection,
    rows: &[MergedRow],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(WRITE_ROWS) {
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
                .bind(&w.updated)
                .bind(&w.pushed);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

fn deleted(row: &SqliteRow) -> bool {
    row.get::<i64, _>("deleted") == 1
}
