//! The store on disk: a SQLCipher file opened with its key, a plain database
//! from an earlier version moved into one, and everything erased on request.
//!
//! It fails closed. A file that is there but cannot be opened (no key, the
//! wrong key, damage) is an error the app shows in words; it is never
//! replaced by a new empty database, and nothing here deletes or overwrites
//! it. Only [`set_aside`] and [`erase`], which the app calls after the
//! patient's typed confirmation, move or remove it.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sqlx::{AssertSqlSafe, ConnectOptions, Connection};
use ts_rs::TS;

use crate::applock::LockSettings;

use crate::error::StoreError;
use crate::keys::{KeyError, KeyStore, PASSPHRASE_FILE, StoreKey};
use crate::store::{DB_FILE, Store, connect_options};

/// What the database file in a data folder is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileState {
    /// No file, or an empty one (a first start that stopped before writing
    /// anything): there is nothing to lose.
    Absent,
    /// A plain SQLite database, from a version before encryption.
    Plain,
    /// Anything else: a SQLCipher file (or a damaged one; without the key
    /// the two look the same).
    Encrypted,
}

/// The header every plain SQLite database starts with.
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The suffixes SQLite gives the files beside a database.
const SIDE_FILES: [&str; 3] = ["-wal", "-shm", "-journal"];

/// Where a plain database is exported to before it replaces the original.
const ENCRYPTING_SUFFIX: &str = ".encrypting";

/// A file moved aside by "start fresh" keeps this in its name.
const SET_ASIDE_MARK: &str = ".unreadable-";

pub fn file_state(path: &Path) -> std::io::Result<FileState> {
    use std::io::Read;
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileState::Absent),
        Err(e) => return Err(e),
    };
    let mut head = Vec::with_capacity(16);
    Read::by_ref(&mut file).take(16).read_to_end(&mut head)?;
    Ok(match head.as_slice() {
        [] => FileState::Absent,
        h if h == PLAIN_HEADER => FileState::Plain,
        _ => FileState::Encrypted,
    })
}

/// Why the store could not be opened. Each leaves every file as it was.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "Your Steady log is on this device, but the key that unlocks it is not in this device's password keyring. The keyring may have been reset, or the log copied from another device."
    )]
    KeyMissing,

    #[error(
        "Your Steady log could not be unlocked: the key does not fit it, or the file is damaged."
    )]
    Unreadable,

    #[error("{0}")]
    Key(#[from] KeyError),

    #[error("{0}")]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for OpenError {
    fn from(e: sqlx::Error) -> Self {
        if is_not_a_database(&e) {
            OpenError::Unreadable
        } else {
            OpenError::Store(e.into())
        }
    }
}

/// SQLite's SQLITE_NOTADB (26): what SQLCipher answers for a wrong key or a
/// damaged first page.
fn is_not_a_database(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db.code().as_deref() == Some("26"),
        _ => false,
    }
}

/// Opens the store in `dir` with the key `keys` holds, making both on the
/// first start and moving a plain database into an encrypted one.
pub async fn open(dir: &Path, keys: &dyn KeyStore) -> Result<Store, OpenError> {
    std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
        path: dir.to_owned(),
        source,
    })?;
    let path = dir.join(DB_FILE);
    let state = file_state(&path).map_err(|e| data_file_error(&path, e))?;
    let key = match state {
        FileState::Encrypted => keys.load()?.ok_or(OpenError::KeyMissing)?,
        // Nothing to lose yet, or a plain file to move over. A key already
        // kept is used again: it may be the key of a copy of this folder
        // that a backup will bring back.
        FileState::Absent | FileState::Plain => match keys.load()? {
            Some(key) => key,
            None => {
                let key = StoreKey::random();
                keys.save(&key)?;
                key
            }
        },
    };
    if state == FileState::Plain {
        encrypt_plain(&path, &key).await?;
    }
    Store::open_file(&path, &key).await.map_err(|e| match e {
        StoreError::Database(db) => OpenError::from(db),
        other => OpenError::Store(other),
    })
}

fn data_file_error(path: &Path, source: std::io::Error) -> OpenError {
    OpenError::Store(StoreError::DataDir {
        path: path.to_owned(),
        source,
    })
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Moves the plain database at `path` into an encrypted one, in steps a
/// kill can interrupt anywhere: until the rename, `path` is the complete
/// plain database; after it, the complete encrypted one.
///
/// 1. Checkpoint the plain database's WAL into it and close it (its WAL
///    and SHM go with the last connection).
/// 2. Export everything into `<path>.encrypting` (a leftover from an
///    interrupted run is removed first), then check the copy and sync it.
/// 3. Rename it over `path` and sync the folder.
/// 4. Remove the plain database's WAL and SHM if any were left behind.
async fn encrypt_plain(path: &Path, key: &StoreKey) -> Result<(), OpenError> {
    let fresh = with_suffix(path, ENCRYPTING_SUFFIX);
    let io = |e| data_file_error(path, e);
    remove_if_present(&fresh).map_err(io)?;
    for side in SIDE_FILES {
        remove_if_present(&with_suffix(&fresh, side)).map_err(io)?;
    }

    // The plain connection may not create files (the database must be the
    // one classified), and an attached file shares its flags: the export's
    // file is made empty here, which SQLite reads as a new database.
    std::fs::File::create_new(&fresh).map_err(io)?;
    let mut plain = connect_options(path)
        .create_if_missing(false)
        .connect()
        .await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut plain)
        .await?;
    let version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&mut plain)
        .await?;
    let target = fresh.to_str().ok_or_else(|| {
        data_file_error(
            path,
            std::io::Error::other("the data folder's path is not valid Unicode"),
        )
    })?;
    sqlx::query("ATTACH DATABASE ? AS encrypted KEY ?")
        .bind(target)
        .bind(key.attach_literal().as_str())
        .execute(&mut plain)
        .await?;
    sqlx::query("PRAGMA encrypted.synchronous = FULL")
        .execute(&mut plain)
        .await?;
    sqlx::query("SELECT sqlcipher_export('encrypted')")
        .execute(&mut plain)
        .await?;
    // A pragma takes no bound parameter; `version` is an integer SQLite
    // itself answered.
    sqlx::query(AssertSqlSafe(format!(
        "PRAGMA encrypted.user_version = {version}"
    )))
    .execute(&mut plain)
    .await?;
    sqlx::query("DETACH DATABASE encrypted")
        .execute(&mut plain)
        .await?;
    plain.close().await?;

    // The copy must open with the key and pass SQLite's own check before it
    // replaces anything.
    let mut check = Store::encrypted_options(&fresh, key)
        .create_if_missing(false)
        .connect()
        .await?;
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut check)
        .await?;
    check.close().await?;
    if verdict != "ok" {
        return Err(OpenError::Store(StoreError::corrupt(
            "encrypted copy",
            verdict,
        )));
    }
    std::fs::File::open(&fresh)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    std::fs::rename(&fresh, path).map_err(io)?;
    sync_dir(path).map_err(io)?;
    for side in SIDE_FILES {
        remove_if_present(&with_suffix(path, side)).map_err(io)?;
    }
    Ok(())
}

/// Makes a rename or removal in `path`'s folder durable.
fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Writes `bytes` to `path` so that after a crash `path` holds either its
/// old content or all of `bytes`: a temporary file, synced, renamed over.
pub(crate) fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = with_suffix(path, ".tmp");
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    sync_dir(path)
}

/// "Start fresh": moves the database that could not be opened (and the files
/// beside it) aside, to `steady.db.unreadable-<seconds since 1970>`, unchanged,
/// so the next [`open`] makes a new one. Returns the new name. Nothing is
/// deleted: the old file can still be opened if its key turns up.
pub fn set_aside(dir: &Path) -> std::io::Result<PathBuf> {
    let path = dir.join(DB_FILE);
    let stamp = crate::store::wall_ms() / 1000;
    let aside = with_suffix(&path, &format!("{SET_ASIDE_MARK}{stamp}"));
    for side in SIDE_FILES {
        let from = with_suffix(&path, side);
        if from.exists() {
            std::fs::rename(&from, with_suffix(&aside, side))?;
        }
    }
    std::fs::rename(&path, &aside)?;
    sync_dir(&path)?;
    Ok(aside)
}

/// Erases everything Steady keeps in `dir` — the database, its WAL and SHM,
/// files set aside, the passphrase's parameters, an interrupted export — and
/// then the key in the credential store. The store must be closed first.
/// Files are removed before the key: if a removal fails, the key still opens
/// what is left.
pub fn erase(dir: &Path, keys: &dyn KeyStore) -> Result<(), KeyError> {
    let io = |path: PathBuf| move |source| KeyError::File { path, source };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return keys.delete(),
        Err(source) => {
            return Err(KeyError::File {
                path: dir.to_owned(),
                source,
            });
        }
    };
    for entry in entries {
        let entry = entry.map_err(io(dir.to_owned()))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(DB_FILE) || name.starts_with(PASSPHRASE_FILE) {
            std::fs::remove_file(entry.path()).map_err(io(entry.path()))?;
        }
    }
    sync_dir(&dir.join(DB_FILE)).map_err(io(dir.to_owned()))?;
    keys.delete()
}

/// Files in `dir` that "start fresh" set aside earlier.
pub fn set_aside_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.contains(SET_ASIDE_MARK) && !SIDE_FILES.iter().any(|s| n.ends_with(s))
            })
        })
        .collect();
    out.sort();
    out
}

/// Where the app stands with its store, as the window shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoreState {
    /// The store is open. While `locked`, nothing personal is shown and
    /// every command but the lock screen's is refused.
    Open {
        locked: bool,
        lock: LockSettings,
        /// Seconds until the next passcode may be tried.
        #[ts(type = "number")]
        wait_seconds: u64,
    },
    /// The key comes from a passphrase: set one (`creating`) or enter it.
    Passphrase { creating: bool, why: String },
    /// The store is there but could not be opened; nothing was changed.
    Recovery {
        problem: String,
        /// The data folder, for restoring a backup into.
        folder: String,
        /// Files an earlier "start fresh" set aside.
        set_aside: Vec<String>,
    },
    /// No store at all (no data folder, a newer version's file...).
    Unavailable { message: String },
}
