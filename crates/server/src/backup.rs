//! `steady-server admin backup` and `admin restore`: a copy of the whole
//! database taken while the server runs, and that copy put into an empty
//! database. A SQLite database is copied with `VACUUM INTO`, which reads
//! one consistent snapshot (every write committed before it began, none
//! after) into a compact file; a PostgreSQL database with `pg_dump` in its
//! custom format, which also reads one snapshot, restored by `pg_restore`
//! in one transaction. Each backup is what its own backend reads back; the
//! file says which it is, so a restore cannot mistake one for the other.
//!
//! The server key is not in the backup: it hashes staff recovery codes, so
//! it is kept apart from the backups (see the README), and a restore onto
//! another machine needs it copied there too.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use sqlx::{Connection, Row};

/// A SQLite database file's first bytes.
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
/// A `pg_dump --format=custom` archive's first bytes.
const PG_DUMP_MAGIC: &[u8] = b"PGDMP";

/// What a backup or restore moved, for the person running it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub clinics: i64,
    pub staff: i64,
    pub patients: i64,
    pub devices: i64,
    pub records: i64,
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = |count: i64, one: &str, many: &str| {
            format!("{count} {}", if count == 1 { one } else { many })
        };
        write!(
            f,
            "{}, {}, {}, {}, {}",
            n(self.clinics, "clinic", "clinics"),
            n(self.staff, "staff account", "staff accounts"),
            n(self.patients, "patient", "patients"),
            n(self.devices, "paired device", "paired devices"),
            n(self.records, "record", "records"),
        )
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres:") || url.starts_with("postgresql:")
}

/// Copies the database at `url` into the new file `to`, readable only by
/// this user.
pub async fn backup(url: &str, to: &Path) -> anyhow::Result<()> {
    if to.exists() {
        bail!(
            "{} already exists: name a new file (a backup never overwrites one)",
            to.display()
        );
    }
    if let Some(dir) = to.parent()
        && !dir.as_os_str().is_empty()
        && !dir.is_dir()
    {
        bail!("the folder {} does not exist", dir.display());
    }
    // Made first, empty and private: the copy holds patients' records.
    private_file(to)?;
    let done = if is_postgres(url) {
        pg_dump(url, to)
    } else {
        vacuum_into(url, to).await
    };
    if done.is_err() {
        let _ = std::fs::remove_file(to);
    }
    done
}

/// What [`in_folder`] names a backup: this, the time, `.backup`.
const FOLDER_PREFIX: &str = "steady-server-";

/// A new backup's path in `dir` (made, private, if missing), named by the
/// time it is taken so that names sort by age.
pub fn in_folder(dir: &Path) -> anyhow::Result<std::path::PathBuf> {
    if !dir.exists() {
        crate::secret::private_dir(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    Ok(dir.join(format!("{FOLDER_PREFIX}{stamp}.backup")))
}

/// Removes all but the newest `keep` backups [`in_folder`] made in `dir`;
/// what it removed.
pub fn prune(dir: &Path, keep: usize) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut backups: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the folder {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(FOLDER_PREFIX) && n.ends_with(".backup"))
        })
        .collect();
    backups.sort();
    let old = backups.len().saturating_sub(keep);
    let removed: Vec<_> = backups.drain(..old).collect();
    for path in &removed {
        std::fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))?;
    }
    Ok(removed)
}

fn private_file(path: &Path) -> anyhow::Result<()> {
    let mut create = std::fs::OpenOptions::new();
    create.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut create, 0o600);
    create
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    Ok(())
}

async fn vacuum_into(url: &str, to: &Path) -> anyhow::Result<()> {
    let Some(file) = crate::db::sqlite_file(url) else {
        bail!("an in-memory database has nothing to back up");
    };
    if !file.is_file() {
        bail!("there is no database at {}", file.display());
    }
    let mut conn = sqlx::SqliteConnection::connect(url).await?;
    let target = to
        .to_str()
        .context("the backup's path is not UTF-8; choose another")?;
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(&mut conn)
        .await
        .context("copying the database")?;
    conn.close().await?;
    sync_file(to)
}

/// The connection URL without its password, and the password, so that it
/// is passed to PostgreSQL's tools in their environment rather than on a
/// command line every user of the machine can read.
fn split_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let Some((user_info, host)) = authority.rsplit_once('@') else {
        return (url.to_owned(), None);
    };
    let Some((user, password)) = user_info.split_once(':') else {
        return (url.to_owned(), None);
    };
    (
        format!("{scheme}://{user}@{host}{path}"),
        Some(percent_decode(password)),
    )
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(hex) = std::str::from_utf8(&bytes[i + 1..i + 3])
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn postgres_tool(tool: &str, url: &str) -> (Command, String) {
    let (url, password) = split_password(url);
    let mut cmd = Command::new(tool);
    if let Some(password) = password {
        cmd.env("PGPASSWORD", password);
    }
    (cmd, url)
}

fn run_tool(mut cmd: Command, what: &str) -> anyhow::Result<()> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd.output().map_err(|e| {
        anyhow::anyhow!(
            "cannot run {program} ({e}): install PostgreSQL's client tools (the Debian package postgresql-client)"
        )
    })?;
    if !out.status.success() {
        bail!(
            "{what}: {program} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn pg_dump(url: &str, to: &Path) -> anyhow::Result<()> {
    let (mut cmd, url) = postgres_tool("pg_dump", url);
    cmd.args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
        .arg(to)
        .arg("--dbname")
        .arg(url);
    run_tool(cmd, "backing up the PostgreSQL database")?;
    sync_file(to)
}

fn sync_file(path: &Path) -> anyhow::Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("writing {} to disk", path.display()))
}

/// Puts the backup `from` into the empty database at `url`, then opens it
/// (running the migrations a backup from an earlier version needs) and
/// counts what it holds.
pub async fn restore(url: &str, from: &Path) -> anyhow::Result<Counts> {
    let mut head = [0u8; 16];
    let read = {
        use std::io::Read;
        let mut file =
            std::fs::File::open(from).with_context(|| format!("cannot read {}", from.display()))?;
        file.read(&mut head)?
    };
    let head = &head[..read];
    if head.starts_with(SQLITE_MAGIC) {
        if is_postgres(url) {
            bail!(
                "{} is a SQLite backup: it restores into a SQLite database (sqlite://FILE), not PostgreSQL",
                from.display()
            );
        }
        restore_sqlite(url, from).await?;
    } else if head.starts_with(PG_DUMP_MAGIC) {
        if !is_postgres(url) {
            bail!(
                "{} is a PostgreSQL backup (pg_dump): it restores into a PostgreSQL database (postgres://…)",
                from.display()
            );
        }
        restore_postgres(url, from).await?;
    } else {
        bail!(
            "{} is not a backup steady-server made (neither a SQLite file nor a pg_dump archive)",
            from.display()
        );
    }
    let db = crate::db::connect(url)
        .await
        .context("opening the restored database")?;
    db.close().await;
    counts(url).await
}

async fn restore_sqlite(url: &str, from: &Path) -> anyhow::Result<()> {
    let Some(file) = crate::db::sqlite_file(url) else {
        bail!("restore into a database file (sqlite://FILE), not into memory");
    };
    // The backup must read, and be Steady's.
    let source = format!("sqlite://{}?mode=ro", from.display());
    let mut conn = sqlx::SqliteConnection::connect(&source)
        .await
        .with_context(|| format!("{} does not open as a SQLite database", from.display()))?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('_sqlx_migrations', 'records', 'users')",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    if check != "ok" {
        bail!("{} is damaged: {check}", from.display());
    }
    if tables != 3 {
        bail!("{} is not a steady-server database", from.display());
    }
    if file.exists() {
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
            .await
            .with_context(|| format!("{} is not a SQLite database", file.display()))?;
        let tables: i64 =
            sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
                .fetch_one(&mut conn)
                .await?;
        conn.close().await?;
        if tables > 0 {
            bail!(
                "{} already holds a database: a restore goes into an empty one (stop the server, move that file away, then restore)",
                file.display()
            );
        }
    }
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.exists() {
        crate::secret::private_dir(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    }
    // Copied beside the target, then renamed over it: a restore cut short
    // leaves no half-written database behind.
    let partial = dir.join(format!(
        ".{}.restoring",
        file.file_name().and_then(|n| n.to_str()).unwrap_or("db")
    ));
    let _ = std::fs::remove_file(&partial);
    private_file(&partial)?;
    std::fs::copy(from, &partial)
        .with_context(|| format!("copying {} to {}", from.display(), partial.display()))?;
    sync_file(&partial)?;
    for stale in ["-wal", "-shm"] {
        let mut name = file.clone().into_os_string();
        name.push(stale);
        let _ = std::fs::remove_file(name);
    }
    std::fs::rename(&partial, &file)
        .with_context(|| format!("moving the restored database to {}", file.display()))?;
    std::fs::File::open(dir).and_then(|d| d.sync_all()).ok();
    Ok(())
}

async fn restore_postgres(url: &str, from: &Path) -> anyhow::Result<()> {
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .context("connecting to the PostgreSQL database to restore into")?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    if tables > 0 {
        bail!(
            "the database already holds {tables} tables: a restore goes into an empty database (create a new one with createdb, then restore into it)"
        );
    }
    let (mut cmd, url) = postgres_tool("pg_restore", url);
    cmd.args([
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        "--dbname",
    ])
    .arg(url)
    .arg(from);
    run_tool(cmd, "restoring into PostgreSQL")
}

/// What the database at `url` holds.
pub async fn counts(url: &str) -> anyhow::Result<Counts> {
    const SQL: &str = "SELECT (SELECT count(*) FROM clinics), (SELECT count(*) FROM users), \
        (SELECT count(*) FROM patients), (SELECT count(*) FROM devices), (SELECT count(*) FROM records)";
    let row_counts = |row: &dyn Fn(usize) -> Result<i64, sqlx::Error>| -> anyhow::Result<Counts> {
        Ok(Counts {
            clinics: row(0)?,
            staff: row(1)?,
            patients: row(2)?,
            devices: row(3)?,
            records: row(4)?,
        })
    };
    if is_postgres(url) {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        let row = sqlx::query(SQL).fetch_one(&mut conn).await?;
        conn.close().await?;
        row_counts(&|i| row.try_get::<i64, _>(i))
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await?;
        let row = sqlx::query(SQL).fetch_one(&mut conn).await?;
        conn.close().await?;
        row_counts(&|i| row.try_get::<i64, _>(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_keeps_the_newest_backups() {
        let dir = tempfile::tempdir().unwrap();
        let mut made = Vec::new();
        for _ in 0..4 {
            let path = in_folder(dir.path()).unwrap();
            std::fs::write(&path, "x").unwrap();
            made.push(path);
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        std::fs::write(dir.path().join("notes.txt"), "kept").unwrap();
        let removed = prune(dir.path(), 2).unwrap();
        assert_eq!(removed, made[..2]);
        assert!(made[2].exists() && made[3].exists());
        assert!(dir.path().join("notes.txt").exists());
    }

    #[test]
    fn the_password_goes_to_the_environment_not_the_url() {
        let (url, password) = split_password("postgres://steady:p%40ss%2Fw@db:5432/steady");
        assert_eq!(url, "postgres://steady@db:5432/steady");
        assert_eq!(password.as_deref(), Some("p@ss/w"));
        let (url, password) = split_password("postgres://steady@db/steady");
        assert_eq!(url, "postgres://steady@db/steady");
        assert_eq!(password, None);
    }
}
