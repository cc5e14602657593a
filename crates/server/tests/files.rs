//! What the server writes to disk is for its own user only: the SQLite
//! database's folder 0700, the database (and its WAL) and the server key
//! 0600; the key stays the same across restarts.

use std::os::unix::fs::PermissionsExt;

use steady_server::Settings;
use steady_server::testing::start_with;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn the_database_and_key_are_private_to_the_server() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("clinic").join("data");
    let file = dir.join("server.db");
    let settings = Settings::new(format!("sqlite://{}", file.display()));
    let key = settings.key_path().unwrap();
    assert_eq!(key, dir.join("server.db.key"));
    let server = start_with(settings).await;
    let health = reqwest::get(format!("http://{}/healthz", server.addr))
        .await
        .unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    assert_eq!(mode(&dir), 0o700, "the folder");
    assert_eq!(mode(&root.path().join("clinic")), 0o700, "its new parent");
    assert_eq!(mode(&file), 0o600, "the database");
    let wal = dir.join("server.db-wal");
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600, "the write-ahead log");
    }
    assert_eq!(mode(&key), 0o600, "the key");
    let first = std::fs::read_to_string(&key).unwrap();
    assert_eq!(first.trim().len(), 64);
    server.stop().await.unwrap();

    // Started again, it keeps its key.
    let server = start_with(Settings::new(format!("sqlite://{}", file.display()))).await;
    assert_eq!(std::fs::read_to_string(&key).unwrap(), first);
    server.stop().await.unwrap();

    // A damaged key stops the server with words, rather than a new key
    // that would quietly end every session and pairing code.
    std::fs::write(&key, "not a key").unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let refused = steady_server::launch(
        listener,
        Settings::new(format!("sqlite://{}", file.display())),
        std::future::pending(),
    )
    .await;
    let Err(e) = refused else {
        panic!("a damaged key was accepted")
    };
    assert!(e.to_string().contains("is not a server key"), "{e}");
}

#[test]
fn postgres_needs_a_key_file_given() {
    let settings = Settings::new("postgres://steady@db.clinic.example/steady");
    let e = settings.key_path().unwrap_err();
    assert!(e.to_string().contains("--key-file"), "{e}");
}
