//! The key in the platform's credential store, for real: GNOME Keyring on
//! the tests' own D-Bus session (`cargo xtask test` starts it).

use steady_core::keys::KeyStore;
use steady_core::{Keychain, Store, StoreKey};

#[tokio::test]
async fn the_keyring_keeps_a_key_per_data_folder_and_forgets_it_on_erase() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session: run `cargo xtask test`, which starts one with GNOME Keyring"
    );
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let keys_a = Keychain::for_dir(a.path()).expect("a Secret Service");
    let keys_b = Keychain::for_dir(b.path()).unwrap();
    assert!(keys_a.load().unwrap().is_none());
    let key = StoreKey::random();
    keys_a.save(&key).unwrap();
    assert!(
        keys_b.load().unwrap().is_none(),
        "each folder has its own key"
    );
    let store = steady_core::vault::open(a.path(), &keys_a).await.unwrap();
    store.close().await;
    // The key from the keyring opens the store; it is the one saved.
    let loaded = keys_a.load().unwrap().unwrap();
    Store::open(a.path(), &loaded).await.unwrap().close().await;
    Store::open(a.path(), &key).await.unwrap().close().await;
    steady_core::vault::erase(a.path(), &keys_a).unwrap();
    assert!(keys_a.load().unwrap().is_none());
}
