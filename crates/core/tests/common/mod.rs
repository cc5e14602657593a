//! Helpers shared by the store's integration tests.

#![allow(dead_code)] // each test binary uses its own subset

use serde_json::{Map, Value};
use steady_core::Store;
use steady_model::RecordId;

/// A record's field stamps, read straight from the database file.
pub async fn stamps(store: &Store, id: RecordId) -> Map<String, Value> {
    let pool = sqlx::SqlitePool::connect_with(steady_core::connect_options(store.path()))
        .await
        .unwrap();
    let text: String = sqlx::query_scalar("SELECT stamps FROM records WHERE id = ?")
        .bind(id.to_string())
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    serde_json::from_str(&text).unwrap()
}
