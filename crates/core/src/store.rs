//! The local store: one SQLite file in WAL mode with `synchronous=FULL`, so a
//! write that returned `Ok` has reached the disk and survives a crash or a
//! killed process.
//!
//! Writes go through a single connection, which serialises them and lets an
//! edit read the current value and write the new one in one transaction.
//! Reads use their own small pool and never wait for a write.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, FixedOffset, Local, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sqlx::SqliteConnection;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use steady_model::{
    Body, Clock, Entry, Hlc, NodeId, RecordId, RecordKind, ValidationErrors, Writer, may_write,
};
use ts_rs::TS;

use crate::error::StoreError;
use crate::keys::StoreKey;
use crate::records;

/// The database file's name inside the data folder.
pub const DB_FILE: &str = "steady.db";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The connection settings every Steady database uses. Public so that the
/// benchmark's bare-SQLite baseline runs with exactly the same pragmas.
pub fn connect_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
}

/// The patient's records on this device.
pub struct Store {
    writer: SqlitePool,
    reader: SqlitePool,
    clock: Mutex<Clock>,
    path: PathBuf,
    /// Counts the patient's own writes, so sync can follow them.
    changes: tokio::sync::watch::Sender<u64>,
}

/// Which records to list: newest first, optionally within `[from, to)`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields, default)]
pub struct ListQuery {
    /// Earliest instant included.
    #[ts(optional = nullable)]
    pub from: Option<DateTime<Utc>>,
    /// First instant excluded.
    #[ts(optional = nullable)]
    pub to: Option<DateTime<Utc>>,
    /// Page size, 1 to [`ListQuery::MAX_LIMIT`]; 0 means the default.
    pub limit: u32,
    /// Where the previous page ended.
    #[ts(optional = nullable)]
    pub after: Option<PageCursor>,
}

impl ListQuery {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 500;

    pub fn between(from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        Self {
            from: Some(from),
            to: Some(to),
            ..Self::default()
        }
    }
}

/// One page of a list, and where the next one starts if there is more.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[ts(optional = nullable)]
    pub next: Option<PageCursor>,
}

/// An opaque position in a list: the last item's time and id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(transparent)]
pub struct PageCursor(String);

impl PageCursor {
    fn new(at_ms: i64, id: &str) -> Self {
        Self(format!("{at_ms}_{id}"))
    }

    fn parse(&self) -> Option<(i64, RecordId)> {
        let (at, id) = self.0.split_once('_')?;
        Some((at.parse().ok()?, RecordId::from_str(id).ok()?))
    }
}

impl Store {
    /// Opens (creating if needed) the encrypted store in `dir` with `key`.
    /// The app goes through [`crate::vault::open`], which keeps the key.
    pub async fn open(dir: &Path, key: &StoreKey) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
            path: dir.to_owned(),
            source,
        })?;
        Self::open_file(&dir.join(DB_FILE), key).await
    }

    /// Opens (creating if needed) the encrypted store in the database file
    /// `path` with `key`. A file the key does not open is an error; it is
    /// never replaced.
    pub async fn open_file(path: &Path, key: &StoreKey) -> Result<Self, StoreError> {
        Self::open_with(Self::encrypted_options(path, key)).await
    }

    /// A plain SQLite store, as versions before encryption kept. Only for
    /// tests that make such a database, and for the benchmark's baseline.
    #[doc(hidden)]
    pub async fn open_unencrypted(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(connect_options(path)).await
    }

    /// [`connect_options`] with SQLCipher's key, which sqlx sends before any
    /// other pragma. Public so the benchmark's bare SQLCipher baseline runs
    /// with exactly the same settings.
    pub fn encrypted_options(path: &Path, key: &StoreKey) -> SqliteConnectOptions {
        connect_options(path).pragma("key", key.sqlcipher_literal().to_string())
    }

    async fn open_with(options: SqliteConnectOptions) -> Result<Self, StoreError> {
        let path = options.get_filename().to_owned();
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.clone())
            .await?;
        // SQLCipher is initialised now; exit waits for stores to close.
        crate::closing::wait_at_exit();
        MIGRATOR.run(&writer).await?;
        let clock = Clock::resume(node_id(&writer).await?, last_stamp(&writer).await?);
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self {
            writer,
            reader,
            clock: Mutex::new(clock),
            path,
            changes: tokio::sync::watch::Sender::new(0),
        })
    }

    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    pub(crate) fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// Changes each time a write on this device commits (sync after a
    /// change waits on it).
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    pub(crate) fn changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the connections, waiting for any write in progress.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    /// Validates `draft` and stores it as a new record.
    pub async fn create<B: Body>(&self, draft: B::Draft) -> Result<Entry<B>, StoreError> {
        let data = B::from_draft(draft, local_now())?;
        let fields = fields_of(&data)?;
        let id = RecordId::new();
        let mut conn = self.writer.acquire().await?;
        check_links(&mut conn, &data).await?;
        let stamp = self.tick().to_string();
        let stamps = first_stamps::<B>(&fields, &stamp);
        insert_row(&mut conn, id, &data, &fields, &stamps, &stamp).await?;
        self.changed();
        Ok(Entry { id, data })
    }

    /// Validates every draft, then stores them all in one transaction: either
    /// all are stored or, if any is refused, none is (imports rely on this).
    pub async fn create_all<B: Body>(
        &self,
        drafts: impl IntoIterator<Item = B::Draft>,
    ) -> Result<Vec<Entry<B>>, StoreError> {
        let now = local_now();
        let mut rows = Vec::new();
        for (i, draft) in drafts.into_iter().enumerate() {
            let data = B::from_draft(draft, now).map_err(|e| e.in_batch(i))?;
            let fields = fields_of(&data)?;
            rows.push((RecordId::new(), data, fields));
        }
        let mut tx = self.writer.begin().await?;
        for (_, data, _) in &rows {
            check_links(&mut tx, data).await?;
        }
        let stamp = self.tick().to_string();
        for (id, data, fields) in &rows {
            let stamps = first_stamps::<B>(fields, &stamp);
            insert_row(&mut tx, *id, data, fields, &stamps, &stamp).await?;
        }
        tx.commit().await?;
        self.changed();
        Ok(rows
            .into_iter()
            .map(|(id, data, _)| Entry { id, data })
            .collect())
    }

    /// Validates `draft` and makes it the record's new value. Only the fields
    /// that changed get a new stamp; an edit that changes nothing writes nothing.
    pub async fn update<B: Body>(
        &self,
        id: RecordId,
        draft: B::Draft,
    ) -> Result<Entry<B>, StoreError> {
        let data = B::from_draft(draft, local_now())?;
        let mut tx = self.writer.begin().await?;
        let (entry, wrote) = self.update_row(&mut tx, id, data).await?;
        if wrote {
            tx.commit().await?;
            self.changed();
        }
        Ok(entry)
    }

    /// Writes `data` over record `id` in `tx`, stamping only the fields that
    /// changed; whether anything was written.
    async fn update_row<B: Body>(
        &self,
        tx: &mut sqlx::SqliteConnection,
        id: RecordId,
        data: B,
    ) -> Result<(Entry<B>, bool), StoreError> {
        check_links(&mut *tx, &data).await?;
        let (old, mut stamps) = live_row::<B>(&mut *tx, id).await?;
        let (data, fields) = keep_care_team_fields(data, &old)?;
        let changed = changed_paths::<B>(&old, &fields);
        if changed.is_empty() {
            return Ok((Entry { id, data }, false));
        }
        let stamp = self.tick();
        for field in changed {
            stamps.insert(field, Value::String(stamp.to_string()));
        }
        records::update(
            &mut *tx,
            id,
            data.at().timestamp_millis(),
            data.visibility(),
            &Value::Object(fields).to_string(),
            &Value::Object(stamps).to_string(),
            &stamp.to_string(),
        )
        .await?;
        Ok((Entry { id, data }, true))
    }

    /// Updates some records of one kind and creates others, in one
    /// transaction: every draft is checked first, and either all changes are
    /// stored or, if any is refused, none is.
    pub async fn change_all<B: Body>(
        &self,
        updates: Vec<(RecordId, B::Draft)>,
        creates: Vec<B::Draft>,
    ) -> Result<(Vec<Entry<B>>, Vec<Entry<B>>), StoreError> {
        let now = local_now();
        let mut changed_rows = Vec::new();
        for (i, (id, draft)) in updates.into_iter().enumerate() {
            changed_rows.push((id, B::from_draft(draft, now).map_err(|e| e.in_batch(i))?));
        }
        let offset = changed_rows.len();
        let mut new_rows = Vec::new();
        for (i, draft) in creates.into_iter().enumerate() {
            let data = B::from_draft(draft, now).map_err(|e| e.in_batch(offset + i))?;
            let fields = fields_of(&data)?;
            new_rows.push((RecordId::new(), data, fields));
        }
        let mut tx = self.writer.begin().await?;
        let mut updated = Vec::new();
        for (id, data) in changed_rows {
            updated.push(self.update_row(&mut tx, id, data).await?.0);
        }
        let stamp = self.tick();
        for (id, data, fields) in &new_rows {
            check_links(&mut tx, data).await?;
            let stamps = first_stamps::<B>(fields, &stamp.to_string());
            insert_row(&mut tx, *id, data, fields, &stamps, &stamp.to_string()).await?;
        }
        tx.commit().await?;
        self.changed();
        let created = new_rows
            .into_iter()
            .map(|(id, data, _)| Entry { id, data })
            .collect();
        Ok((updated, created))
    }

    /// Deletes a record by stamping its `deleted` field (a tombstone), so the
    /// deletion can reach other replicas. Deleting it again changes nothing.
    pub async fn delete<B: Body>(&self, id: RecordId) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        let Some((deleted, stamps)) = records::deleted_and_stamps(&mut tx, id, B::KIND).await?
        else {
            return Err(not_found::<B>(id));
        };
        if deleted {
            return Ok(());
        }
        let mut stamps = json_object::<B>(&stamps)?;
        let stamp = self.tick();
        stamps.insert("deleted".into(), Value::String(stamp.to_string()));
        records::mark_deleted(
            &mut tx,
            id,
            &Value::Object(stamps).to_string(),
            &stamp.to_string(),
        )
        .await?;
        tx.commit().await?;
        self.changed();
        Ok(())
    }

    /// One live record.
    pub async fn get<B: Body>(&self, id: RecordId) -> Result<Entry<B>, StoreError> {
        let body = records::live_body(&self.reader, id, B::KIND)
            .await?
            .ok_or_else(|| not_found::<B>(id))?;
        Ok(Entry {
            id,
            data: decode::<B>(&body)?,
        })
    }

    /// Live records of one kind, newest first, a page at a time.
    pub async fn list<B: Body>(&self, query: &ListQuery) -> Result<Page<Entry<B>>, StoreError> {
        let limit = match query.limit {
            0 => ListQuery::DEFAULT_LIMIT,
            n if n <= ListQuery::MAX_LIMIT => n,
            n => {
                return Err(ValidationErrors::single(
                    "limit",
                    format!(
                        "A page holds at most {} entries; {n} were asked for.",
                        ListQuery::MAX_LIMIT
                    ),
                )
                .into());
            }
        };
        let (before_ms, before_id) = match &query.after {
            None => (i64::MAX, String::new()),
            Some(cursor) => {
                let (at, id) = cursor.parse().ok_or_else(|| {
                    ValidationErrors::single(
                        "after",
                        "That page position is not valid; reload the list from the start.",
                    )
                })?;
                (at, id.to_string())
            }
        };
        // Without a cursor, every row is "before" (i64::MAX, ''): the time
        // test alone decides, since no record is stamped at i64::MAX.
        let rows = records::page(
            &self.reader,
            B::KIND,
            (
                query.from.map_or(i64::MIN, |t| t.timestamp_millis()),
                query.to.map_or(i64::MAX, |t| t.timestamp_millis()),
            ),
            (before_ms, &before_id),
            i64::from(limit) + 1,
        )
        .await?;
        let more = rows.len() > limit as usize;
        let mut items = Vec::with_capacity(rows.len().min(limit as usize));
        let mut next = None;
        for (id, at_ms, body) in rows.into_iter().take(limit as usize) {
            if more {
                next = Some(PageCursor::new(at_ms, &id));
            }
            items.push(Entry {
                id: RecordId::from_str(&id).map_err(|e| StoreError::corrupt(B::KIND.noun(), e))?,
                data: decode::<B>(&body)?,
            });
        }
        Ok(Page { items, next })
    }

    /// Takes in a stamp from another replica, so later local stamps are larger.
    pub(crate) fn observe(&self, remote: Hlc) {
        let mut clock = self.clock.lock().unwrap_or_else(|p| p.into_inner());
        clock.observe(remote, wall_ms());
    }

    pub(crate) fn tick(&self) -> Hlc {
        // A poisoned lock means another write panicked mid-tick; the clock's
        // state is two integers that are always consistent, so carry on.
        let mut clock = self.clock.lock().unwrap_or_else(|p| p.into_inner());
        clock.tick(wall_ms())
    }
}

impl Drop for Store {
    /// A store dropped without [`Store::close`] closes on a thread of its
    /// own, which the program's exit waits for (see [`crate::closing`]).
    fn drop(&mut self) {
        if !(self.writer.is_closed() && self.reader.is_closed()) {
            crate::closing::close_in_background(vec![self.writer.clone(), self.reader.clone()]);
        }
    }
}

pub(crate) fn local_now() -> DateTime<FixedOffset> {
    Local::now().fixed_offset()
}

pub(crate) fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn not_found<B: Body>(id: RecordId) -> StoreError {
    StoreError::NotFound {
        noun: B::KIND.noun(),
        id,
    }
}

/// Each stamped path of a record and its value: the top-level fields, except
/// that a split field (see [`Body::SPLIT_FIELDS`]) contributes one path per
/// key, `field.key`.
fn stamped_paths<B: Body>(fields: &Map<String, Value>) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (name, value) in fields {
        match value {
            Value::Object(inner) if B::SPLIT_FIELDS.contains(&name.as_str()) => {
                out.extend(inner.iter().map(|(k, v)| (format!("{name}.{k}"), v)));
            }
            _ => out.push((name.clone(), value)),
        }
    }
    out
}

/// Stamps for a new record: every path gets `stamp`.
fn first_stamps<B: Body>(fields: &Map<String, Value>, stamp: &str) -> Map<String, Value> {
    stamped_paths::<B>(fields)
        .into_iter()
        .map(|(path, _)| (path, Value::String(stamp.to_owned())))
        .collect()
}

/// The paths whose value differs between `old` and `new`, including paths
/// one side lacks (a removed answer is a change too).
fn changed_paths<B: Body>(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<String> {
    let old: std::collections::BTreeMap<String, &Value> =
        stamped_paths::<B>(old).into_iter().collect();
    let new: std::collections::BTreeMap<String, &Value> =
        stamped_paths::<B>(new).into_iter().collect();
    // A null and a missing field are the same value (an empty option); sync
    // stores one as the other.
    fn present<'a>(v: Option<&&'a Value>) -> Option<&'a Value> {
        v.copied().filter(|v| !v.is_null())
    }
    let mut changed: Vec<String> = new
        .iter()
        .filter(|(k, v)| present(old.get(*k)) != present(Some(v)))
        .map(|(k, _)| k.clone())
        .collect();
    changed.extend(
        old.iter()
            .filter(|(k, v)| !new.contains_key(*k) && !v.is_null())
            .map(|(k, _)| k.clone()),
    );
    changed
}

/// `data` with the fields only the care team writes (a worksheet's review and
/// comments, say) as they are in `old`: an edit on the device never changes
/// or drops them.
fn keep_care_team_fields<B: Body>(
    data: B,
    old: &Map<String, Value>,
) -> Result<(B, Map<String, Value>), StoreError> {
    let mut fields = fields_of(&data)?;
    let theirs = |name: &String| !may_write(Writer::Patient, B::KIND, name);
    let before = fields.clone();
    fields.retain(|name, _| !theirs(name));
    for (name, value) in old.iter().filter(|(name, _)| theirs(name)) {
        fields.insert(name.clone(), value.clone());
    }
    if fields == before {
        return Ok((data, fields));
    }
    let data = serde_json::from_value(Value::Object(fields.clone()))
        .map_err(|e| StoreError::corrupt(B::KIND.noun(), e))?;
    Ok((data, fields))
}

/// The record's fields: the top-level keys of its JSON form.
fn fields_of<B: Body>(data: &B) -> Result<Map<String, Value>, StoreError> {
    match serde_json::to_value(data) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(StoreError::corrupt(B::KIND.noun(), "not a JSON object")),
        Err(e) => Err(StoreError::corrupt(B::KIND.noun(), e)),
    }
}

fn decode<B: Body>(body: &str) -> Result<B, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::corrupt(B::KIND.noun(), e))
}

fn json_object<B: Body>(text: &str) -> Result<Map<String, Value>, StoreError> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(StoreError::corrupt(
            B::KIND.noun(),
            "field stamps unreadable",
        )),
    }
}

async fn insert_row<B: Body>(
    conn: &mut SqliteConnection,
    id: RecordId,
    data: &B,
    fields: &Map<String, Value>,
    stamps: &Map<String, Value>,
    stamp: &str,
) -> Result<(), StoreError> {
    let corrupt = |e| StoreError::corrupt(B::KIND.noun(), e);
    records::insert(
        conn,
        records::NewRow {
            id,
            kind: B::KIND,
            at_ms: data.at().timestamp_millis(),
            visibility: data.visibility(),
            body: &serde_json::to_string(fields).map_err(corrupt)?,
            stamps: &serde_json::to_string(stamps).map_err(corrupt)?,
            updated: stamp,
        },
    )
    .await
}

/// The current fields and stamps of a live record, or NotFound.
pub(crate) async fn live_row<B: Body>(
    conn: &mut SqliteConnection,
    id: RecordId,
) -> Result<(Map<String, Value>, Map<String, Value>), StoreError> {
    let (body, stamps) = records::live_body_and_stamps(conn, id, B::KIND)
        .await?
        .ok_or_else(|| not_found::<B>(id))?;
    Ok((json_object::<B>(&body)?, json_object::<B>(&stamps)?))
}

/// Refuses a record that points at a record which is not (or no longer) there.
async fn check_links<B: Body>(conn: &mut SqliteConnection, data: &B) -> Result<(), StoreError> {
    for (field, kind, id) in data.links() {
        if !records::is_live(conn, id, kind).await? {
            return Err(ValidationErrors::single(field, link_gone(kind)).into());
        }
    }
    Ok(())
}

fn link_gone(kind: RecordKind) -> String {
    format!(
        "A linked {} is no longer in your log; remove the link and save again.",
        kind.noun()
    )
}

async fn node_id(pool: &SqlitePool) -> Result<NodeId, StoreError> {
    let stored: Option<String> = sqlx::query_scalar("SELECT node_id FROM replica")
        .fetch_optional(pool)
        .await?;
    if let Some(text) = stored {
        return NodeId::from_str(&text).map_err(|e| StoreError::corrupt("device id", e));
    }
    let node = NodeId::random();
    sqlx::query("INSERT INTO replica (singleton, node_id) VALUES (1, ?)")
        .bind(node.to_string())
        .execute(pool)
        .await?;
    Ok(node)
}

async fn last_stamp(pool: &SqlitePool) -> Result<Option<Hlc>, StoreError> {
    let text = records::last_updated(pool).await?;
    text.map(|t| Hlc::from_str(&t).map_err(|e| StoreError::corrupt("clock stamp", e)))
        .transpose()
}
