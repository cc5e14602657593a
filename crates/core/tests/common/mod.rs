//! Helpers shared by the store's integration tests.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use steady_core::{Store, StoreKey};
use steady_model::RecordId;

/// The key every test store here is made with, so a test can open its
/// store again.
pub fn key() -> StoreKey {
    StoreKey::from_bytes([7; 32])
}

/// A record's field stamps, read straight from the database file.
pub async fn stamps(store: &Store, id: RecordId) -> Map<String, Value> {
    let pool = sqlx::SqlitePool::connect_with(Store::encrypted_options(store.path(), &key()))
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

/// A string no byte of an encrypted store may contain.
pub const MARKER: &str = "STEADY-PLAINTEXT-MARKER-7f3a";

/// Every file under `dir` (recursively) that contains `needle` anywhere.
pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path)
                && bytes.windows(needle.len()).any(|w| w == needle)
            {
                found.push(path);
            }
        }
    }
    found
}

/// Plain SQLite, without the key, refuses the file.
pub async fn assert_not_plain_sqlite(db: &Path) {
    use sqlx::ConnectOptions;
    let plain = steady_core::connect_options(db)
        .create_if_missing(false)
        .read_only(true)
        .connect()
        .await;
    let err = match plain {
        Ok(mut conn) => sqlx::query("SELECT count(*) FROM sqlite_master")
            .execute(&mut conn)
            .await
            .expect_err("plain SQLite read the encrypted store"),
        Err(e) => e,
    };
    assert!(
        err.to_string().contains("file is not a database"),
        "plain SQLite said: {err}"
    );
}
