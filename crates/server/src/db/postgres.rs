//! The PostgreSQL backend, for clinics that run several server instances.

use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};

use super::{Database, DbError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Clone, Debug)]
pub struct PostgresDatabase {
    pool: PgPool,
}

impl PostgresDatabase {
    /// Connects to a `postgres:` URL and migrates the database.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }
}

impl PostgresDatabase {
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }
}

super::accounts::accounts_for!(PostgresDatabase, PgRow);
super::caseload::caseload_for!(PostgresDatabase, PgRow);
super::records::records_for!(
    PostgresDatabase,
    PgRow,
    "SELECT id, kind, fields FROM records
     WHERE patient_id = $1 AND id = ANY(ARRAY(SELECT json_array_elements_text($2::json)))",
    true
);
super::audit::audit_for!(PostgresDatabase, PgRow);

impl Database for PostgresDatabase {
    async fn health(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}
