//! What the shared SQL needs of a database, and the one store written over
//! it. Every query is written once, in `accounts.rs`, `caseload.rs`,
//! `records.rs` and `audit.rs`, generic over the backend; `sqlite.rs` and
//! `postgres.rs` say only what differs (connecting and migrating, one
//! lookup, how a bulk insert numbers its parameters). The backend is chosen
//! once, from the database URL, in [`super::connect`].
//!
//! Why not `sqlx::Any`: it reaches each backend through its own value enum,
//! copying every bound parameter and every column read (text included) into
//! it, which the ingest path (thousands of parameters a statement) and the
//! pull (a page of stored JSON passed through) would pay on every request;
//! and SQLite's pragmas (WAL, `synchronous=FULL`, foreign keys, the busy
//! timeout) and PostgreSQL's LISTEN would still need the backends' own
//! types. Generic code over `sqlx::Database` keeps each backend's own types.

use sqlx::{Decode, Encode, IntoArguments, Pool, Type};

use super::DbError;

/// A database backend: SQLite or PostgreSQL.
pub trait Backend: sqlx::Database<Arguments: IntoArguments<Self>> {
    /// How `/healthz` names it.
    const NAME: &'static str;
    /// A patient's records whose ids are in a JSON array of text: `$1` the
    /// patient, `$2` the array (`id, kind, fields`).
    const RECORDS_BY_IDS: &'static str;
    /// Whether a multi-row INSERT numbers its parameters (`$1`) or not (`?`).
    const NUMBERED_PARAMETERS: bool;

    /// A pool on `url`, the schema migrated.
    fn open(url: &str) -> impl Future<Output = Result<Pool<Self>, DbError>> + Send;

    /// This version's migrations.
    fn migrator() -> &'static sqlx::migrate::Migrator;

    fn rows_affected(result: &Self::QueryResult) -> u64;
}

/// A Rust type the shared SQL binds as a parameter on backend `B`.
pub trait Bind<B: sqlx::Database>: for<'q> Encode<'q, B> + Type<B> + Send {}

impl<B: sqlx::Database, T> Bind<B> for T where T: for<'q> Encode<'q, B> + Type<B> + Send {}

/// A Rust type the shared SQL binds and reads back as a column on `B`.
pub trait Column<B: sqlx::Database>: Bind<B> + for<'r> Decode<'r, B> {}

impl<B: sqlx::Database, T> Column<B> for T where T: Bind<B> + for<'r> Decode<'r, B> {}

/// Everything the server stores, on backend `B`. The bounds every shared
/// query needs stand on each implementation (`where` clauses are not
/// inherited from a trait):
///
/// ```text
/// for<'c> &'c mut B::Connection: Executor<'c, Database = B>,
/// for<'a> &'a str: Bind<B> + ColumnIndex<B::Row>,
/// String: Column<B>, i64: Column<B>, usize: ColumnIndex<B::Row>,
/// ```
#[derive(Clone, Debug)]
pub struct Sql<B: Backend> {
    pub(super) pool: Pool<B>,
}

impl<B: Backend> Sql<B> {
    /// Connects to `url` and migrates the database.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        Ok(Self {
            pool: B::open(url).await?,
        })
    }

    pub fn pool(&self) -> &Pool<B> {
        &self.pool
    }
}
