//! The store's key: 256 random bits, kept in the platform's credential
//! store, or derived from a passphrase where a desktop has none. The key is
//! never written anywhere in plain text; only the passphrase's salt and the
//! derivation's parameters are (they are not secret).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use argon2::{Algorithm, Argon2, Params, Version};
use keyring_core::{CredentialStore, Entry};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

/// The credential store's service name for every key Steady keeps.
pub const SERVICE: &str = "Steady";

/// The file, beside the database, that says the key comes from a passphrase
/// and holds the derivation's salt and parameters.
pub const PASSPHRASE_FILE: &str = "steady.passphrase";

/// A passphrase is at least this many characters.
pub const MIN_PASSPHRASE_CHARS: usize = 10;

/// A SQLCipher key: 32 random bytes, wiped from memory when dropped.
#[derive(Clone)]
pub struct StoreKey(Zeroizing<[u8; 32]>);

impl StoreKey {
    /// A new random key from the operating system's generator.
    pub fn random() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom(&mut bytes[..]);
        Self(bytes)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The key as SQLCipher's raw-key literal, `"x'<64 hex digits>'"`, which
    /// uses the bytes as the AES-256 key directly (no key derivation).
    pub(crate) fn sqlcipher_literal(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("\"x'{}'\"", self.hex().as_str()))
    }

    /// The same, as the text an `ATTACH ... KEY ?` binds.
    pub(crate) fn attach_literal(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("x'{}'", self.hex().as_str()))
    }

    fn hex(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(64));
        for b in self.0.iter() {
            out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
            out.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
        }
        out
    }

    fn from_hex(text: &str) -> Option<Self> {
        let mut out = Zeroizing::new([0u8; 32]);
        decode_hex(text, &mut out[..])?;
        Some(Self(out))
    }
}

/// Fills `out` from `text`, two hex digits a byte; `None` unless `text` is
/// exactly that long and all hex.
fn decode_hex(text: &str, out: &mut [u8]) -> Option<()> {
    let bytes = text.as_bytes();
    if bytes.len() != out.len() * 2 {
        return None;
    }
    for (byte, pair) in out.iter_mut().zip(bytes.chunks(2)) {
        let hi = char::from(pair[0]).to_digit(16)?;
        let lo = char::from(pair[1]).to_digit(16)?;
        *byte = (hi * 16 + lo) as u8;
    }
    Some(())
}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreKey(hidden)")
    }
}

/// Fills `out` from the operating system's cryptographic generator.
fn getrandom(out: &mut [u8]) {
    // Without the kernel's randomness there is no safe key to make.
    getrandom::fill(out).expect("the operating system's random generator");
}

/// Why a key could not be kept or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The platform has no credential store this app can reach (a bare
    /// window manager without a Secret Service, say).
    #[error(
        "This device has no password keyring that Steady can use ({0}). Steady can instead lock your log with a passphrase you choose."
    )]
    Unavailable(String),

    /// The credential store answered, but refused or failed.
    #[error(
        "The device's password keyring did not answer as expected ({0}). Unlock the keyring (signing in again usually does), then try again."
    )]
    Failed(String),

    /// What the credential store holds under Steady's name is not a key.
    #[error(
        "The password keyring holds something under Steady's name that is not a key Steady made."
    )]
    NotAKey,

    #[error("{0}")]
    Passphrase(String),

    #[error("Steady could not read or write {path}: {source}.")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Where a store's key is kept.
pub trait KeyStore: Send + Sync {
    /// The key, or `None` if none is kept.
    fn load(&self) -> Result<Option<StoreKey>, KeyError>;
    /// Keeps `key`, replacing any kept before.
    fn save(&self, key: &StoreKey) -> Result<(), KeyError>;
    /// Forgets the key (erasing the device).
    fn delete(&self) -> Result<(), KeyError>;
}

/// The platform's credential store: Secret Service on Linux, the Keychain on
/// macOS and iOS, Credential Manager on Windows, the Android keystore.
pub struct Keychain {
    entry: Entry,
}

impl Keychain {
    /// The entry for the store in `dir`. Each data folder has its own key,
    /// named by the folder's path.
    pub fn for_dir(dir: &Path) -> Result<Self, KeyError> {
        let store = platform_store()?;
        let account = format!("store key for {}", absolute(dir).display());
        let entry = Entry::new_in_store(&store, SERVICE, &account)
            .map_err(|e| KeyError::Failed(e.to_string()))?;
        Ok(Self { entry })
    }
}

fn absolute(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned())
}

#[cfg(any(target_os = "linux", target_os = "freebsd"))]
fn platform_store() -> Result<Arc<CredentialStore>, KeyError> {
    let store = zbus_secret_service_keyring_store::Store::new().map_err(unavailable)?;
    Ok(store)
}

#[cfg(any(target_os = "macos", target_os = "ios"))]
fn platform_store() -> Result<Arc<CredentialStore>, KeyError> {
    let store = apple_native_keyring_store::keychain::Store::new().map_err(unavailable)?;
    Ok(store)
}

#[cfg(target_os = "windows")]
fn platform_store() -> Result<Arc<CredentialStore>, KeyError> {
    let store = windows_native_keyring_store::Store::new().map_err(unavailable)?;
    Ok(store)
}

#[cfg(target_os = "android")]
fn platform_store() -> Result<Arc<CredentialStore>, KeyError> {
    // The Android keystore wraps a key that encrypts the entry in the app's
    // own SharedPreferences; the app's context comes from ndk-context, which
    // Tauri's Android runtime initialises.
    let store = android_native_keyring_store::Store::new().map_err(unavailable)?;
    Ok(store)
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "macos",
    target_os = "ios",
    target_os = "windows",
    target_os = "android"
)))]
fn platform_store() -> Result<Arc<CredentialStore>, KeyError> {
    Err(KeyError::Unavailable(
        "no credential store is known for this platform".into(),
    ))
}

fn unavailable(e: keyring_core::Error) -> KeyError {
    KeyError::Unavailable(e.to_string())
}

impl KeyStore for Keychain {
    fn load(&self) -> Result<Option<StoreKey>, KeyError> {
        match self.entry.get_secret() {
            Ok(secret) => {
                let secret = Zeroizing::new(secret);
                let text = std::str::from_utf8(&secret).map_err(|_| KeyError::NotAKey)?;
                StoreKey::from_hex(text).map(Some).ok_or(KeyError::NotAKey)
            }
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain_error(e)),
        }
    }

    fn save(&self, key: &StoreKey) -> Result<(), KeyError> {
        let hex = key.hex();
        self.entry
            .set_secret(hex.as_bytes())
            .map_err(keychain_error)
    }

    fn delete(&self) -> Result<(), KeyError> {
        match self.entry.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain_error(e)),
        }
    }
}

fn keychain_error(e: keyring_core::Error) -> KeyError {
    match e {
        keyring_core::Error::NoStorageAccess(_) | keyring_core::Error::NoDefaultStore => {
            KeyError::Unavailable(e.to_string())
        }
        other => KeyError::Failed(other.to_string()),
    }
}

/// A key held in memory only: one derived from a passphrase, or a test's.
pub struct Given(pub StoreKey);

impl KeyStore for Given {
    fn load(&self) -> Result<Option<StoreKey>, KeyError> {
        Ok(Some(self.0.clone()))
    }

    fn save(&self, _key: &StoreKey) -> Result<(), KeyError> {
        Err(KeyError::Passphrase(
            "A key made from a passphrase cannot be replaced by another.".into(),
        ))
    }

    fn delete(&self) -> Result<(), KeyError> {
        Ok(())
    }
}

/// How a passphrase becomes the key: argon2id, 64 MiB, 3 passes, one lane,
/// a 16-byte random salt, a 32-byte output. Kept in [`PASSPHRASE_FILE`] so a
/// later version can raise them for new stores and still open old ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassphraseParams {
    pub kdf: String,
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// The salt, in hex.
    pub salt: String,
}

impl PassphraseParams {
    pub const MEMORY_KIB: u32 = 64 * 1024;
    pub const ITERATIONS: u32 = 3;
    pub const PARALLELISM: u32 = 1;

    fn new() -> Self {
        let mut salt = [0u8; 16];
        getrandom(&mut salt);
        Self {
            kdf: "argon2id".into(),
            memory_kib: Self::MEMORY_KIB,
            iterations: Self::ITERATIONS,
            parallelism: Self::PARALLELISM,
            salt: salt.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }

    /// The key this passphrase gives.
    pub fn derive(&self, passphrase: &str) -> Result<StoreKey, KeyError> {
        if self.kdf != "argon2id" {
            return Err(KeyError::Passphrase(format!(
                "This log was locked with \"{}\", which this version of Steady cannot use; install the newest Steady.",
                self.kdf
            )));
        }
        let mut salt = [0u8; 16];
        decode_hex(&self.salt, &mut salt)
            .ok_or_else(|| KeyError::Passphrase(format!("{PASSPHRASE_FILE} is damaged.")))?;
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
            .map_err(|e| KeyError::Passphrase(format!("{PASSPHRASE_FILE} is damaged ({e}).")))?;
        let mut out = Zeroizing::new([0u8; 32]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(passphrase.as_bytes(), &salt, &mut out[..])
            .map_err(|e| KeyError::Passphrase(e.to_string()))?;
        Ok(StoreKey(out))
    }

    /// The parameters kept in `dir`, if the store there is locked with a
    /// passphrase.
    pub fn read(dir: &Path) -> Result<Option<Self>, KeyError> {
        let path = dir.join(PASSPHRASE_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| KeyError::Passphrase(format!("{} is damaged ({e}).", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(KeyError::File { path, source }),
        }
    }

    /// Checks `passphrase`, makes new parameters, writes them to `dir`
    /// (durably, replacing the file in one step) and returns the key.
    pub fn create(dir: &Path, passphrase: &str) -> Result<StoreKey, KeyError> {
        check_passphrase(passphrase)?;
        let params = Self::new();
        let key = params.derive(passphrase)?;
        let text =
            serde_json::to_vec_pretty(&params).map_err(|e| KeyError::Passphrase(e.to_string()))?;
        crate::vault::write_durably(&dir.join(PASSPHRASE_FILE), &text).map_err(|source| {
            KeyError::File {
                path: dir.join(PASSPHRASE_FILE),
                source,
            }
        })?;
        Ok(key)
    }
}

/// A passphrase must be long enough to stand against guessing offline.
pub fn check_passphrase(passphrase: &str) -> Result<(), KeyError> {
    let chars = passphrase.chars().count();
    if chars < MIN_PASSPHRASE_CHARS {
        return Err(KeyError::Passphrase(format!(
            "Choose a passphrase of at least {MIN_PASSPHRASE_CHARS} characters; a few words you will remember work well."
        )));
    }
    if passphrase.trim() != passphrase {
        return Err(KeyError::Passphrase(
            "The passphrase starts or ends with a space; remove it, so you can type it again the same way."
                .into(),
        ));
    }
    Ok(())
}

/// Wipes a passphrase the caller no longer needs.
pub fn forget(mut passphrase: String) {
    passphrase.zeroize();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_reads_back_from_its_hex_and_never_prints() {
        let key = StoreKey::random();
        let again = StoreKey::from_hex(&key.hex()).unwrap();
        assert_eq!(key.0[..], again.0[..]);
        assert_eq!(format!("{key:?}"), "StoreKey(hidden)");
        assert_ne!(StoreKey::random().0[..], key.0[..]);
        assert!(key.sqlcipher_literal().starts_with("\"x'"));
        assert_eq!(key.sqlcipher_literal().len(), 64 + 5);
    }

    #[test]
    fn random_keys_use_every_bit() {
        // Over many keys, every bit of every byte is sometimes set and
        // sometimes clear (a fixed uuid version bit would show here).
        let mut ors = [0u8; 32];
        let mut ands = [0xffu8; 32];
        for _ in 0..200 {
            let k = StoreKey::random();
            for i in 0..32 {
                ors[i] |= k.0[i];
                ands[i] &= k.0[i];
            }
        }
        assert_eq!(ors, [0xff; 32]);
        assert_eq!(ands, [0; 32]);
    }

    #[test]
    fn a_passphrase_gives_the_same_key_with_the_same_salt_only() {
        let dir = tempfile::tempdir().unwrap();
        let key = PassphraseParams::create(dir.path(), "correct horse battery").unwrap();
        let params = PassphraseParams::read(dir.path()).unwrap().unwrap();
        assert_eq!(params.memory_kib, 65536);
        assert_eq!(params.iterations, 3);
        assert_eq!(
            params.derive("correct horse battery").unwrap().0[..],
            key.0[..]
        );
        assert_ne!(
            params.derive("correct horse batterY").unwrap().0[..],
            key.0[..]
        );
        let other = PassphraseParams::new();
        assert_ne!(
            other.derive("correct horse battery").unwrap().0[..],
            key.0[..]
        );
        let text = std::fs::read_to_string(dir.path().join(PASSPHRASE_FILE)).unwrap();
        assert!(!text.contains(key.hex().as_str()));
    }

    #[test]
    fn short_or_padded_passphrases_are_refused_in_words() {
        let dir = tempfile::tempdir().unwrap();
        let e = PassphraseParams::create(dir.path(), "short").unwrap_err();
        assert!(e.to_string().contains("at least 10 characters"), "{e}");
        let e = PassphraseParams::create(dir.path(), " long enough phrase").unwrap_err();
        assert!(e.to_string().contains("space"), "{e}");
        assert!(!dir.path().join(PASSPHRASE_FILE).exists());
    }
}
