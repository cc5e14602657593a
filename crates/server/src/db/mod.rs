//! The server's storage behind one trait: a SQLite file by default (one
//! command starts a clinic's server) and PostgreSQL for clinics that run
//! several server instances. Each query is written once, over either
//! backend ([`backend`]); the backend is chosen once, from the database
//! URL, by [`connect`], and handlers hold a [`Db`].

mod accounts;
mod audit;
mod backend;
mod caseload;
mod limits;
mod postgres;
mod records;
mod second_factor;
mod sqlite;

pub use sqlite::file_of as sqlite_file;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;

pub use accounts::{Accounts, Clinic, NewUser, Role, Session, SessionLimits, User};
pub use audit::{Audit, AuditEntry, AuditFilter, DisclosureRow};
pub use backend::{Backend, Bind, Column, Sql};
pub use caseload::{
    Caseload, ClinicDevice, Consent, Device, DeviceAuth, NewConsent, NewDevice, Paired, Patient,
};
pub use limits::{Attempt, Limits, Rule};
pub use records::{
    Conflict, Incoming, Listing, PushLimits, PushOutcome, Quota, RawRecord, Records, StoredRecord,
    write_sql,
};
pub use second_factor::{Enrolment, SecondFactor, Stage};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A unique value (an email) is taken.
    #[error("{0} is already taken")]
    Conflict(&'static str),
    /// A referenced row (a clinic) does not exist.
    #[error("{0} does not exist")]
    Missing(&'static str),
    /// A device pushed more often than it may in a minute.
    #[error("more than {allowed} pushes in a minute")]
    RateLimited { allowed: i64, retry_ms: i64 },
    /// A push would take a patient past a quota.
    #[error("over the quota of {limit} {what}")]
    Quota { what: &'static str, limit: i64 },
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("a stored row could not be read: {0}")]
    Corrupt(String),
    /// A newer steady-server has migrated the database.
    #[error(
        "this database was upgraded by a newer steady-server (it has migration {version}; this version knows up to {latest}): install that version again, or restore the backup taken before the upgrade"
    )]
    Newer { version: i64, latest: i64 },
    /// The database URL names no backend this server has.
    #[error("the database URL must start with sqlite: or postgres:, not {0:?}")]
    UnknownUrl(String),
    /// The database file's folder could not be made.
    #[error("cannot create the folder {path}: {reason}")]
    Folder { path: PathBuf, reason: String },
}

/// Everything the server stores, whichever backend holds it.
#[async_trait]
pub trait Database:
    Accounts + Caseload + Records + Audit + Limits + SecondFactor + Send + Sync + 'static
{
    /// Answers when the database does.
    async fn health(&self) -> Result<(), DbError>;
    /// Closes every connection, waiting for each to finish. A program that
    /// ends calls it first: SQLite's connections close on threads of their
    /// own, and SQLite here is SQLCipher's build (the workspace shares one
    /// libsqlite3-sys), which frees its state at exit; a connection still
    /// closing then reads freed memory (steady-core's `closing` module).
    async fn close(&self);
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// The connection pool's use now, for the metrics.
    fn pool_use(&self) -> PoolUse;
    /// Whether the schema is this version's: every migration it knows
    /// applied, none it does not know.
    async fn schema(&self) -> Result<Schema, DbError>;
    /// [`Records::pull_raw`], each record's fields read.
    async fn pull(
        &self,
        patient_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredRecord>, DbError> {
        self.pull_raw(patient_id, after, limit)
            .await?
            .into_iter()
            .map(RawRecord::decode)
            .collect()
    }
}

/// The migrations a database has had and the ones this version knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    pub applied: Vec<i64>,
    pub known: Vec<i64>,
}

impl Schema {
    /// Every known migration applied and nothing newer.
    pub fn is_current(&self) -> bool {
        self.applied == self.known
    }
}

/// Runs this version's migrations, refusing a database a newer version has
/// migrated: its schema has changes this version does not know, and
/// writing to it could lose them.
pub(crate) async fn migrate<B>(
    migrator: &sqlx::migrate::Migrator,
    pool: &sqlx::Pool<B>,
) -> Result<(), DbError>
where
    B: sqlx::Database,
    B::Connection: sqlx::migrate::Migrate,
{
    match migrator.run(pool).await {
        Err(sqlx::migrate::MigrateError::VersionMissing(version)) => Err(DbError::Newer {
            version,
            latest: migrator.iter().map(|m| m.version).max().unwrap_or(0),
        }),
        other => Ok(other?),
    }
}

/// How many of a pool's connections are busy, idle, and the most it opens.
#[derive(Clone, Copy, Debug)]
pub struct PoolUse {
    pub in_use: usize,
    pub idle: usize,
    pub max: usize,
}

/// The database a server uses: whichever backend its URL named.
pub type Db = Arc<dyn Database>;

/// Opens (creating and migrating) the database at `url`: `sqlite:` (a
/// file) or `postgres:`/`postgresql:`.
pub async fn connect(url: &str) -> Result<Db, DbError> {
    Ok(open(url).await?.0)
}

/// [`connect`], and on PostgreSQL its pool as well, which the instances
/// sharing it announce live changes through. The one place the backend is
/// chosen.
pub async fn open(url: &str) -> Result<(Db, Option<sqlx::PgPool>), DbError> {
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let db = Sql::<sqlx::Postgres>::connect(url).await?;
        let pool = db.pool().clone();
        Ok((Arc::new(db), Some(pool)))
    } else if url.starts_with("sqlite:") {
        Ok((Arc::new(Sql::<sqlx::Sqlite>::connect(url).await?), None))
    } else {
        Err(DbError::UnknownUrl(
            url.split(':').next().unwrap_or_default().to_owned(),
        ))
    }
}

#[async_trait]
impl<B: Backend> Database for Sql<B>
where
    Self: Accounts + Caseload + Records + Audit + Limits + SecondFactor,
    for<'c> &'c mut B::Connection: sqlx::Executor<'c, Database = B>,
    i64: Column<B>,
    (i64,): for<'r> sqlx::FromRow<'r, B::Row>,
{
    async fn health(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    fn backend(&self) -> &'static str {
        <B as Backend>::NAME
    }

    async fn schema(&self) -> Result<Schema, DbError> {
        let applied: Vec<i64> = sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
        )
        .fetch_all(&self.pool)
        .await?;
        let known: Vec<i64> = B::migrator().iter().map(|m| m.version).collect();
        Ok(Schema { applied, known })
    }

    fn pool_use(&self) -> PoolUse {
        let idle = self.pool.num_idle();
        let open = self.pool.size() as usize;
        PoolUse {
            in_use: open.saturating_sub(idle),
            idle,
            max: self.pool.options().get_max_connections() as usize,
        }
    }
}

pub(crate) fn role_of(text: &str) -> Result<Role, DbError> {
    Role::parse(text).ok_or_else(|| DbError::Corrupt(format!("unknown role {text:?}")))
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
