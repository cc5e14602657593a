//! The SQLite backend: one file, WAL, `synchronous=FULL`, one writer.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::SqliteRow;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{Database, DbError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

#[derive(Clone, Debug)]
pub struct SqliteDatabase {
    pool: SqlitePool,
}

impl SqliteDatabase {
    /// Opens (creating if needed) the database at a `sqlite:` URL and migrates it.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        if let Some(dir) = options.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                DbError::Corrupt(format!("cannot create the folder {}: {e}", dir.display()))
            })?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    /// A database file at `path`.
    pub async fn open(path: &Path) -> Result<Self, DbError> {
        Self::connect(&format!("sqlite://{}", path.display())).await
    }
}

super::accounts::accounts_for!(SqliteDatabase, SqliteRow);
super::caseload::caseload_for!(SqliteDatabase, SqliteRow);
super::records::records_for!(
    SqliteDatabase,
    SqliteRow,
    "SELECT id, kind, fields FROM records
     WHERE patient_id = $1 AND id IN (SELECT value FROM json_each($2))",
    false
);
super::audit::audit_for!(SqliteDatabase, SqliteRow);

impl Database for SqliteDatabase {
    async fn health(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
