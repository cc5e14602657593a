//! The store on disk: encrypted from the first start, a plain database moved
//! over whole, and a file that cannot be opened left exactly as it was.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use steady_core::keys::{Given, KeyError, KeyStore};
use steady_core::vault::{self, FileState};
use steady_core::{DB_FILE, ListQuery, OpenError, Store, StoreKey};
use steady_model::{CheckIn, CheckInDraft, TriggerDraft, TriggerEntry, Visibility};

/// A credential store in memory, as the keychain behaves: empty until a key
/// is saved.
#[derive(Default)]
struct Memory(Mutex<Option<StoreKey>>);

impl KeyStore for Memory {
    fn load(&self) -> Result<Option<StoreKey>, KeyError> {
        Ok(self.0.lock().unwrap().clone())
    }
    fn save(&self, key: &StoreKey) -> Result<(), KeyError> {
        *self.0.lock().unwrap() = Some(key.clone());
        Ok(())
    }
    fn delete(&self) -> Result<(), KeyError> {
        *self.0.lock().unwrap() = None;
        Ok(())
    }
}

fn note(i: usize) -> CheckInDraft {
    CheckInDraft {
        craving: (i % 11) as i32,
        note: format!("{} entry {i}", common::MARKER),
        ..Default::default()
    }
}

/// Every file in `dir` and its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

async fn all_notes(store: &Store) -> Vec<String> {
    let page = store
        .list::<CheckIn>(&ListQuery {
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(page.next.is_none());
    let mut notes: Vec<String> = page.items.into_iter().map(|e| e.data.note).collect();
    notes.sort();
    notes
}

#[tokio::test]
async fn the_first_start_makes_a_key_and_an_encrypted_store_with_no_plain_text() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Memory::default();
    let store = vault::open(dir.path(), &keys).await.unwrap();
    assert!(keys.load().unwrap().is_some(), "the key was kept");
    store.create::<CheckIn>(note(1)).await.unwrap();
    store
        .create::<TriggerEntry>(TriggerDraft {
            category: "people".into(),
            description: format!("{} saw the old crowd", common::MARKER),
            intensity: 6,
            response: "left early".into(),
            checkin_id: None,
            at: None,
            visibility: Visibility::Private,
        })
        .await
        .unwrap();
    // While the store is open (WAL and SHM in place) and after it closed.
    let db = dir.path().join(DB_FILE);
    assert!(dir.path().join("steady.db-wal").exists());
    assert_eq!(
        common::files_containing(dir.path(), common::MARKER.as_bytes()),
        Vec::<PathBuf>::new()
    );
    store.close().await;
    assert_eq!(vault::file_state(&db).unwrap(), FileState::Encrypted);
    assert_eq!(
        common::files_containing(dir.path(), common::MARKER.as_bytes()),
        Vec::<PathBuf>::new()
    );
    common::assert_not_plain_sqlite(&db).await;

    let again = vault::open(dir.path(), &keys).await.unwrap();
    assert_eq!(
        all_notes(&again).await,
        vec![format!("{} entry 1", common::MARKER)]
    );
    again.close().await;
    let pool = sqlx::SqlitePool::connect_with(Store::encrypted_options(
        &db,
        &keys.load().unwrap().unwrap(),
    ))
    .await
    .unwrap();
    let version: String = sqlx::query_scalar("PRAGMA cipher_version")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert!(version.starts_with('4'), "SQLCipher {version}");
}

#[tokio::test]
async fn a_plain_database_moves_into_an_encrypted_one_whole_and_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(DB_FILE);
    let plain = Store::open_unencrypted(&db).await.unwrap();
    for i in 0..300 {
        plain.create::<CheckIn>(note(i)).await.unwrap();
    }
    let before = all_notes(&plain).await;
    plain.close().await;
    assert!(!common::files_containing(dir.path(), common::MARKER.as_bytes()).is_empty());

    let keys = Memory::default();
    let store = vault::open(dir.path(), &keys).await.unwrap();
    assert_eq!(
        all_notes(&store).await,
        before,
        "every record, exactly once"
    );
    store.close().await;
    assert_eq!(vault::file_state(&db).unwrap(), FileState::Encrypted);
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        left,
        vec![DB_FILE.to_owned()],
        "no plain WAL, SHM or copy left"
    );
    assert_eq!(
        common::files_containing(dir.path(), common::MARKER.as_bytes()),
        Vec::<PathBuf>::new()
    );
}

#[tokio::test]
async fn a_missing_key_a_wrong_key_and_a_damaged_file_each_fail_closed_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Memory::default();
    let store = vault::open(dir.path(), &keys).await.unwrap();
    for i in 0..20 {
        store.create::<CheckIn>(note(i)).await.unwrap();
    }
    store.close().await;
    let db = dir.path().join(DB_FILE);

    // The keyring lost the key.
    let before = snapshot(dir.path());
    let err = vault::open(dir.path(), &Memory::default())
        .await
        .err()
        .unwrap();
    assert!(matches!(err, OpenError::KeyMissing), "{err}");
    assert!(
        err.to_string().contains("key that unlocks it is not in"),
        "{err}"
    );
    assert_eq!(snapshot(dir.path()), before);

    // Another key.
    let err = vault::open(dir.path(), &Given(StoreKey::random()))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, OpenError::Unreadable), "{err}");
    assert_eq!(snapshot(dir.path()), before);

    // A damaged first page, with the right key.
    let mut bytes = std::fs::read(&db).unwrap();
    for b in &mut bytes[100..140] {
        *b ^= 0x5a;
    }
    std::fs::write(&db, &bytes).unwrap();
    let damaged = snapshot(dir.path());
    let err = vault::open(dir.path(), &keys).await.err().unwrap();
    assert!(matches!(err, OpenError::Unreadable), "{err}");
    assert_eq!(snapshot(dir.path()), damaged);

    // Opening the file directly never creates or rewrites it either.
    let err = Store::open_file(&db, &StoreKey::random())
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("file is not a database"), "{err}");
    assert_eq!(snapshot(dir.path()), damaged);
}

#[tokio::test]
async fn starting_fresh_keeps_the_unreadable_file_aside_and_erasing_removes_everything() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Memory::default();
    let store = vault::open(dir.path(), &keys).await.unwrap();
    store.create::<CheckIn>(note(1)).await.unwrap();
    store.close().await;
    let original = std::fs::read(dir.path().join(DB_FILE)).unwrap();

    keys.delete().unwrap();
    assert!(matches!(
        vault::open(dir.path(), &keys).await.err().unwrap(),
        OpenError::KeyMissing
    ));
    let aside = vault::set_aside(dir.path()).unwrap();
    assert_eq!(std::fs::read(&aside).unwrap(), original, "moved, unchanged");
    assert_eq!(vault::set_aside_files(dir.path()), vec![aside]);

    let fresh = vault::open(dir.path(), &keys).await.unwrap();
    assert_eq!(all_notes(&fresh).await, Vec::<String>::new());
    fresh.create::<CheckIn>(note(2)).await.unwrap();
    fresh.close().await;

    vault::erase(dir.path(), &keys).unwrap();
    assert_eq!(snapshot(dir.path()), BTreeMap::new(), "no file left");
    assert!(keys.load().unwrap().is_none(), "no key left");
}

#[tokio::test]
async fn a_passphrase_store_opens_with_its_passphrase_only() {
    use steady_core::keys::PassphraseParams;
    let dir = tempfile::tempdir().unwrap();
    let key = PassphraseParams::create(dir.path(), "four calm words here").unwrap();
    let store = vault::open(dir.path(), &Given(key)).await.unwrap();
    store.create::<CheckIn>(note(3)).await.unwrap();
    store.close().await;

    let params = PassphraseParams::read(dir.path()).unwrap().unwrap();
    let wrong = params.derive("four calm words hear").unwrap();
    let before = snapshot(dir.path());
    assert!(matches!(
        vault::open(dir.path(), &Given(wrong)).await.err().unwrap(),
        OpenError::Unreadable
    ));
    assert_eq!(snapshot(dir.path()), before);
    let right = params.derive("four calm words here").unwrap();
    let store = vault::open(dir.path(), &Given(right)).await.unwrap();
    assert_eq!(all_notes(&store).await.len(), 1);
    assert_eq!(
        common::files_containing(dir.path(), common::MARKER.as_bytes()),
        Vec::<PathBuf>::new()
    );
}
