//! The SQLite backend: one file, WAL, `synchronous=FULL`, one writer.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteQueryResult,
    SqliteSynchronous,
};

use super::{Backend, DbError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl Backend for Sqlite {
    const NAME: &'static str = "sqlite";
    const RECORDS_BY_IDS: &'static str = "SELECT id, kind, fields FROM records
         WHERE patient_id = $1 AND id IN (SELECT value FROM json_each($2))";
    // Looking up thousands of numbered parameters by name costs more than
    // the insert itself.
    const NUMBERED_PARAMETERS: bool = false;

    async fn open(url: &str) -> Result<SqlitePool, DbError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // Only the server's user may read the folder and the file (SQLite
        // gives its -wal and -shm files the database file's mode).
        let file = options.get_filename();
        if let Some(dir) = file.parent()
            && !dir.as_os_str().is_empty()
            && !dir.exists()
        {
            crate::secret::private_dir(dir).map_err(|e| DbError::Folder {
                path: dir.to_owned(),
                reason: e.to_string(),
            })?;
        }
        if file != std::path::Path::new(":memory:") && !file.exists() {
            let mut create = std::fs::OpenOptions::new();
            create.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut create, 0o600);
            match create.open(file) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(DbError::Folder {
                        path: file.to_owned(),
                        reason: e.to_string(),
                    });
                }
            }
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        super::migrate(&MIGRATOR, &pool).await?;
        Ok(pool)
    }

    fn migrator() -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }
}

/// The file a `sqlite:` URL names, if it names one.
pub fn file_of(url: &str) -> Option<std::path::PathBuf> {
    let options = SqliteConnectOptions::from_str(url).ok()?;
    let file = options.get_filename();
    (file != std::path::Path::new(":memory:")).then(|| file.to_owned())
}
