//! The PostgreSQL backend, for clinics that run several server instances.

use sqlx::Postgres;
use sqlx::postgres::{PgPool, PgPoolOptions, PgQueryResult};

use super::{Backend, DbError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Backend for Postgres {
    const NAME: &'static str = "postgres";
    const RECORDS_BY_IDS: &'static str = "SELECT id, kind, fields FROM records
         WHERE patient_id = $1 AND id = ANY(ARRAY(SELECT json_array_elements_text($2::json)))";
    const NUMBERED_PARAMETERS: bool = true;

    async fn open(url: &str) -> Result<PgPool, DbError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect(url)
            .await?;
        super::migrate(&MIGRATOR, &pool).await?;
        Ok(pool)
    }

    fn migrator() -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }
}
