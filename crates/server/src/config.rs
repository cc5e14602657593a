//! The server's configuration: one TOML file (`--config` or
//! `STEADY_CONFIG`; every key is described in `packaging/server.toml`),
//! each setting overridable by an environment variable and then by a flag.
//! Secrets come from files a service manager can protect (`*_file` keys or
//! `*_FILE` variables), so they need never be written on a command line,
//! where every user of the machine can read them.
//!
//! [`Config::resolve`] checks everything at once and reports every problem,
//! each naming its key, so `steady-server check-config` can list them all.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use ipnet::IpNet;
use serde::Deserialize;

/// The settings as written in the file; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct FileConfig {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub database_url_file: Option<PathBuf>,
    pub database_password_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub dashboard_dir: Option<PathBuf>,
    pub idle_minutes: Option<u32>,
    pub secure_cookies: Option<bool>,
    pub trusted_proxies: Option<Vec<String>>,
    #[serde(default)]
    pub tls: TlsSection,
    #[serde(default)]
    pub limits: LimitsSection,
    #[serde(default)]
    pub metrics: MetricsSection,
    #[serde(default)]
    pub log: LogSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    pub certificate: Option<PathBuf>,
    pub private_key: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    pub max_records_per_patient: Option<i64>,
    pub max_mb_per_patient: Option<i64>,
    pub pushes_per_minute: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSection {
    pub allow: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSection {
    pub format: Option<String>,
}

/// What the environment and the command line said; each wins over the
/// file (a flag over its variable: clap reads both).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub database_url_file: Option<PathBuf>,
    pub database_password_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub dashboard_dir: Option<PathBuf>,
    pub idle_minutes: Option<u32>,
    pub secure_cookies: Option<bool>,
    pub trusted_proxies: Option<Vec<String>>,
    pub tls_certificate: Option<PathBuf>,
    pub tls_private_key: Option<PathBuf>,
    pub max_records_per_patient: Option<i64>,
    pub max_mb_per_patient: Option<i64>,
    pub pushes_per_minute: Option<u32>,
    pub metrics_allow: Option<Vec<String>>,
    pub log_format: Option<String>,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// For a person reading a terminal or the journal.
    Text,
    /// One JSON object a line, for a log collector.
    Json,
}

/// The server's certificate chain and its key, both PEM files; read at
/// start and again on SIGHUP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    pub certificate: PathBuf,
    pub private_key: PathBuf,
}

/// Everything resolved and checked.
#[derive(Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    pub key_file: Option<PathBuf>,
    pub dashboard_dir: Option<PathBuf>,
    pub idle_minutes: u32,
    pub secure_cookies: bool,
    pub trusted_proxies: Vec<IpAddr>,
    pub tls: Option<TlsFiles>,
    pub max_records_per_patient: i64,
    pub max_mb_per_patient: i64,
    pub pushes_per_minute: u32,
    pub metrics_allow: Vec<IpNet>,
    pub log_format: LogFormat,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8380";

/// The problems found in a configuration, each a sentence naming its key.
#[derive(Debug)]
pub struct Problems(pub Vec<String>);

impl std::fmt::Display for Problems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_slice() {
            [one] => write!(f, "{one}"),
            many => {
                write!(f, "{} problems in the configuration:", many.len())?;
                for p in many {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Problems {}

impl FileConfig {
    /// Reads a configuration file; a syntax error or an unknown key names
    /// the line.
    pub fn read(path: &Path) -> Result<Self, Problems> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Problems(vec![format!(
                "cannot read the configuration file {}: {e}",
                path.display()
            )])
        })?;
        toml::from_str(&text).map_err(|e| {
            Problems(vec![format!(
                "{}: {}",
                path.display(),
                e.to_string().trim_end()
            )])
        })
    }
}

impl Config {
    /// The file's settings under the overrides, with the defaults for
    /// anything neither gives; every problem at once.
    pub fn resolve(file: FileConfig, over: Overrides) -> Result<Config, Problems> {
        let mut problems = Vec::new();
        let mut problem = |p: String| problems.push(p);

        let listen_text = over
            .listen
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen = listen_text.parse::<SocketAddr>().unwrap_or_else(|_| {
            problem(format!(
                "listen: {listen_text:?} is not an address and port, such as 0.0.0.0:443 or 127.0.0.1:8380"
            ));
            DEFAULT_LISTEN.parse().expect("the default address parses")
        });

        let database_url = database_url(
            over.database_url.or(file.database_url),
            over.database_url_file.or(file.database_url_file),
            over.database_password_file.or(file.database_password_file),
            over.data_dir.or(file.data_dir),
        )
        .unwrap_or_else(|p| {
            problem(p);
            String::new()
        });

        let key_file = over.key_file.or(file.key_file);
        if key_file.is_none()
            && (database_url.starts_with("postgres:") || database_url.starts_with("postgresql:"))
        {
            problem("key_file: with PostgreSQL the server needs a key file (every instance the same one); it is made at first start if missing".into());
        }
        if let Some(key) = &key_file
            && let Some(dir) = key.parent()
            && !dir.as_os_str().is_empty()
            && !dir.is_dir()
        {
            problem(format!(
                "key_file: the folder {} does not exist",
                dir.display()
            ));
        }

        let dashboard_dir = over.dashboard_dir.or(file.dashboard_dir);
        if let Some(dir) = &dashboard_dir
            && !dir.join("index.html").is_file()
        {
            problem(format!(
                "dashboard_dir: {} has no index.html: build the dashboard first (`npm ci && npm run build` in dashboard/, or `cargo xtask server`)",
                dir.display()
            ));
        }

        let idle_minutes = over.idle_minutes.or(file.idle_minutes).unwrap_or(30);
        if idle_minutes == 0 {
            problem("idle_minutes: must be at least 1".into());
        }

        let trusted_proxies = over
            .trusted_proxies
            .or(file.trusted_proxies)
            .unwrap_or_default()
            .iter()
            .filter_map(|p| match p.trim().parse::<IpAddr>() {
                Ok(ip) => Some(ip),
                Err(_) => {
                    problem(format!(
                        "trusted_proxies: {p:?} is not an IP address (name the proxy's own address, such as 127.0.0.1)"
                    ));
                    None
                }
            })
            .collect::<Vec<_>>();

        let certificate = over.tls_certificate.or(file.tls.certificate);
        let private_key = over.tls_private_key.or(file.tls.private_key);
        let mut tls_readable = true;
        let tls = match (certificate, private_key) {
            (Some(certificate), Some(private_key)) => {
                for (key, path) in [
                    ("tls.certificate", &certificate),
                    ("tls.private_key", &private_key),
                ] {
                    if let Err(e) = std::fs::File::open(path) {
                        tls_readable = false;
                        problem(format!("{key}: cannot read {}: {e}", path.display()));
                    }
                }
                Some(TlsFiles {
                    certificate,
                    private_key,
                })
            }
            (None, None) => None,
            (Some(_), None) => {
                problem("tls.private_key: a certificate is set but not its private key".into());
                None
            }
            (None, Some(_)) => {
                problem("tls.certificate: a private key is set but not its certificate".into());
                None
            }
        };
        if let Some(files) = &tls
            && tls_readable
            && let Err(e) = crate::tls::load(files)
        {
            problem(format!("tls: {e}"));
        }

        // Cookies are Secure wherever the browser reaches the server over
        // HTTPS: its own TLS, or a proxy that terminates it, or any address
        // but loopback (a clinic's network is not a test bench).
        let secure_cookies = over
            .secure_cookies
            .or(file.secure_cookies)
            .unwrap_or(tls.is_some() || !trusted_proxies.is_empty() || !listen.ip().is_loopback());

        let max_records_per_patient = over
            .max_records_per_patient
            .or(file.limits.max_records_per_patient)
            .unwrap_or(200_000);
        let max_mb_per_patient = over
            .max_mb_per_patient
            .or(file.limits.max_mb_per_patient)
            .unwrap_or(256);
        let pushes_per_minute = over
            .pushes_per_minute
            .or(file.limits.pushes_per_minute)
            .unwrap_or(120);
        for (key, value) in [
            ("limits.max_records_per_patient", max_records_per_patient),
            ("limits.max_mb_per_patient", max_mb_per_patient),
            ("limits.pushes_per_minute", i64::from(pushes_per_minute)),
        ] {
            if value < 1 {
                problem(format!("{key}: must be at least 1, not {value}"));
            }
        }

        let metrics_allow = over
            .metrics_allow
            .or(file.metrics.allow)
            .unwrap_or_else(|| vec!["127.0.0.1".into(), "::1".into()])
            .iter()
            .filter_map(|a| match network(a) {
                Some(net) => Some(net),
                None => {
                    problem(format!(
                        "metrics.allow: {a:?} is not an address or a network (such as 10.0.0.5 or 10.0.0.0/24)"
                    ));
                    None
                }
            })
            .collect();

        let log_format = match over
            .log_format
            .or(file.log.format)
            .as_deref()
            .map(str::trim)
        {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                problem(format!("log.format: must be text or json, not {other:?}"));
                LogFormat::Text
            }
        };

        if !problems.is_empty() {
            return Err(Problems(problems));
        }
        Ok(Config {
            listen,
            database_url,
            key_file,
            dashboard_dir,
            idle_minutes,
            secure_cookies,
            trusted_proxies,
            tls,
            max_records_per_patient,
            max_mb_per_patient,
            pushes_per_minute,
            metrics_allow,
            log_format,
        })
    }

    /// The library's settings for [`crate::launch`].
    pub fn settings(&self) -> crate::Settings {
        let mut settings = crate::Settings::new(self.database_url.clone());
        settings.secure_cookies = self.secure_cookies;
        settings.idle = std::time::Duration::from_secs(u64::from(self.idle_minutes) * 60);
        settings.dashboard_dir = self.dashboard_dir.clone();
        settings.trusted_proxies = self.trusted_proxies.clone();
        settings.key_file = self.key_file.clone();
        settings.quota = crate::db::Quota {
            records: self.max_records_per_patient,
            bytes: self.max_mb_per_patient.saturating_mul(1 << 20),
        };
        settings.pushes_per_minute = self.pushes_per_minute;
        settings.tls = self.tls.clone();
        settings.metrics_allow = self.metrics_allow.clone();
        settings
    }
}

/// `10.0.0.0/24`, or one address as a network of one.
fn network(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

/// The database URL from the one place it is given, its password from a
/// file when one is named.
fn database_url(
    url: Option<String>,
    url_file: Option<PathBuf>,
    password_file: Option<PathBuf>,
    data_dir: Option<PathBuf>,
) -> Result<String, String> {
    let url = match (url, url_file) {
        (Some(_), Some(_)) => {
            return Err(
                "database_url: set the database URL or a file holding it (database_url_file), not both"
                    .into(),
            );
        }
        (Some(url), None) => url,
        (None, Some(file)) => secret_file(&file, "database_url_file")?,
        (None, None) => default_database(data_dir)?,
    };
    let url = url.trim().to_owned();
    if !(url.starts_with("sqlite:")
        || url.starts_with("postgres:")
        || url.starts_with("postgresql:"))
    {
        let scheme = url.split(':').next().unwrap_or_default();
        return Err(format!(
            "database_url: must start with sqlite: or postgres:, not {scheme:?}"
        ));
    }
    match password_file {
        None => Ok(url),
        Some(file) => {
            let password = secret_file(&file, "database_password_file")?;
            with_password(&url, &password).map_err(|e| format!("database_password_file: {e}"))
        }
    }
}

/// A secret's file: its first line, the file readable only by its owner
/// (and its group, for a service's own group).
fn secret_file(path: &Path, key: &str) -> Result<String, String> {
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o004 != 0 {
            return Err(format!(
                "{key}: {} can be read by every user of this machine; `chmod 640` it (or 600)",
                path.display()
            ));
        }
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{key}: cannot read {}: {e}", path.display()))?;
    let line = text.lines().next().unwrap_or_default().trim().to_owned();
    if line.is_empty() {
        return Err(format!("{key}: {} is empty", path.display()));
    }
    Ok(line)
}

/// `url` with `password` put in, percent-encoded.
fn with_password(url: &str, password: &str) -> Result<String, String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err("the database URL has no ://".into());
    };
    if !scheme.starts_with("postgres") {
        return Err("a password file is only for a PostgreSQL database".into());
    }
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let Some((user_info, host)) = authority.rsplit_once('@') else {
        return Err("the database URL names no user (postgres://USER@HOST/DATABASE)".into());
    };
    if user_info.contains(':') {
        return Err("the database URL already has a password: remove it from the URL".into());
    }
    let encoded: String = password
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    Ok(format!("{scheme}://{user_info}:{encoded}@{host}{path}"))
}

/// A SQLite file in the server's data folder.
fn default_database(data_dir: Option<PathBuf>) -> Result<String, String> {
    let dir = data_dir
        .or_else(|| {
            std::env::var_os("XDG_DATA_HOME").map(|d| PathBuf::from(d).join("steady-server"))
        })
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/steady-server"))
        })
        .ok_or(
            "database_url: set it, or data_dir: there is no home folder to keep the database in",
        )?;
    Ok(format!(
        "sqlite://{}",
        dir.join("steady-server.db").display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(toml: &str, over: Overrides) -> Result<Config, Problems> {
        let file: FileConfig = toml::from_str(toml).expect("test TOML parses");
        Config::resolve(file, over)
    }

    fn sqlite() -> Overrides {
        Overrides {
            database_url: Some("sqlite:///tmp/steady-config-test.db".into()),
            ..Overrides::default()
        }
    }

    #[test]
    fn the_environment_and_flags_win_over_the_file() {
        let config = resolve(
            "listen = \"127.0.0.1:9000\"\nidle_minutes = 10\n[limits]\npushes_per_minute = 5",
            Overrides {
                idle_minutes: Some(20),
                ..sqlite()
            },
        )
        .unwrap();
        assert_eq!(config.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(config.idle_minutes, 20);
        assert_eq!(config.pushes_per_minute, 5);
        assert!(!config.secure_cookies, "loopback without TLS");
    }

    #[test]
    fn every_problem_is_reported_by_its_key() {
        let problems = resolve(
            "listen = \"everywhere\"\nidle_minutes = 0\ntrusted_proxies = [\"proxy.local\"]\n\
             [metrics]\nallow = [\"10.0.0.0/33\"]\n[log]\nformat = \"xml\"\n[tls]\ncertificate = \"/nope.pem\"",
            sqlite(),
        )
        .unwrap_err()
        .0;
        let all = problems.join("\n");
        for key in [
            "listen:",
            "idle_minutes:",
            "trusted_proxies:",
            "metrics.allow:",
            "log.format:",
            "tls.private_key:",
        ] {
            assert!(all.contains(key), "{key} missing from:\n{all}");
        }
        assert_eq!(problems.len(), 6, "{all}");
    }

    #[test]
    fn an_unknown_key_is_refused_naming_it() {
        let err =
            toml::from_str::<FileConfig>("listen = \"127.0.0.1:1\"\nlisen = 3\n").unwrap_err();
        assert!(err.to_string().contains("lisen"), "{err}");
    }

    #[test]
    fn off_loopback_or_behind_a_proxy_cookies_are_secure() {
        let open = resolve("listen = \"0.0.0.0:8380\"", sqlite()).unwrap();
        assert!(open.secure_cookies);
        let proxied = resolve("trusted_proxies = [\"127.0.0.1\"]", sqlite()).unwrap();
        assert!(proxied.secure_cookies);
        let forced = resolve(
            "listen = \"0.0.0.0:8380\"\nsecure_cookies = false",
            sqlite(),
        )
        .unwrap();
        assert!(!forced.secure_cookies);
    }

    #[test]
    fn a_password_file_fills_the_url_and_a_readable_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("password");
        std::fs::write(&file, "s3cret/with:odd@chars\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let url = database_url(
            Some("postgres://steady@db.clinic.internal:5432/steady".into()),
            None,
            Some(file.clone()),
            None,
        )
        .unwrap();
        assert_eq!(
            url,
            "postgres://steady:s3cret%2Fwith%3Aodd%40chars@db.clinic.internal:5432/steady"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = database_url(
                Some("postgres://steady@db/steady".into()),
                None,
                Some(file),
                None,
            )
            .unwrap_err();
            assert!(err.contains("chmod 640"), "{err}");
        }
    }

    #[test]
    fn postgres_needs_a_key_file() {
        let err = resolve(
            "database_url = \"postgres://steady@db/steady\"",
            Overrides::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("key_file:"), "{err}");
    }
}
