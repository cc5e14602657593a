//! `steady-server serve` runs the clinic's server; `steady-server admin ...`
//! creates the clinic and its staff accounts; `steady-server check-config`
//! says whether the configuration is good. Settings come from
//! [`steady_server::config`].

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use steady_server::config::{Config, FileConfig, LogFormat, Overrides, Problems};
use steady_server::db::{NewUser, Role};
use steady_server::launch;
use steady_server::secret::hash_password;

#[derive(Parser)]
#[command(name = "steady-server", about = "Steady's clinic server", version)]
struct Cli {
    /// The configuration file (TOML; every key is described in the example
    /// installed as /etc/steady-server/server.toml). Environment variables
    /// and flags override it.
    #[arg(long, env = "STEADY_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Database URL: sqlite://FILE or postgres://USER@HOST/DB. Default: a
    /// SQLite file in the server's data folder.
    #[arg(long, env = "STEADY_DATABASE_URL", global = true)]
    database: Option<String>,
    /// A file whose first line is the database URL (keeps a password off
    /// the command line and out of the environment).
    #[arg(long, env = "STEADY_DATABASE_URL_FILE", global = true)]
    database_url_file: Option<PathBuf>,
    /// A file whose first line is the PostgreSQL password, put into the
    /// database URL.
    #[arg(long, env = "STEADY_DATABASE_PASSWORD_FILE", global = true)]
    database_password_file: Option<PathBuf>,
    /// The server key (made at first start, 0600): by default
    /// `<database file>.key` beside a SQLite database; with PostgreSQL
    /// required, and the same file for every instance.
    #[arg(long, env = "STEADY_KEY_FILE", global = true)]
    key_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

/// The settings `serve` and `check-config` share; each overrides the file.
#[derive(clap::Args, Clone)]
struct ServeFlags {
    /// Address to listen on (default 127.0.0.1:8380).
    #[arg(long, env = "STEADY_LISTEN")]
    listen: Option<String>,
    /// Mark cookies Secure (HTTPS only). On by default with TLS, behind a
    /// trusted proxy, and whenever the server listens off loopback.
    #[arg(long, env = "STEADY_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Leave cookies without Secure even off loopback: only for a test
    /// network without HTTPS, never for patients' data.
    #[arg(
        long,
        env = "STEADY_INSECURE_COOKIES",
        conflicts_with = "secure_cookies"
    )]
    insecure_cookies: bool,
    /// Minutes without a request before a dashboard session ends
    /// (default 30).
    #[arg(long, env = "STEADY_IDLE_MINUTES")]
    idle_minutes: Option<u32>,
    /// The built dashboard folder (`dashboard/dist`), served at `/`.
    #[arg(long, env = "STEADY_DASHBOARD_DIR")]
    dashboard_dir: Option<PathBuf>,
    /// A reverse proxy's address whose X-Forwarded-For names the client
    /// (repeat for several, or separate with commas); from any other
    /// peer the header is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "STEADY_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Option<Vec<String>>,
    /// The certificate chain to serve HTTPS with (PEM); read again on SIGHUP.
    #[arg(long, env = "STEADY_TLS_CERTIFICATE")]
    tls_certificate: Option<PathBuf>,
    /// The certificate's private key (PEM); read again on SIGHUP.
    #[arg(long, env = "STEADY_TLS_PRIVATE_KEY")]
    tls_private_key: Option<PathBuf>,
    /// The most records one patient's devices may store on the server
    /// (default 200000).
    #[arg(long, env = "STEADY_MAX_RECORDS_PER_PATIENT")]
    max_records_per_patient: Option<i64>,
    /// The most megabytes of records one patient's devices may store
    /// (default 256).
    #[arg(long, env = "STEADY_MAX_MB_PER_PATIENT")]
    max_mb_per_patient: Option<i64>,
    /// Pushes one device may make in a minute (default 120; a first sync
    /// of 20,000 records takes 40).
    #[arg(long, env = "STEADY_PUSHES_PER_MINUTE")]
    pushes_per_minute: Option<u32>,
    /// Addresses or networks `/metrics` answers (default loopback only).
    #[arg(long, env = "STEADY_METRICS_ALLOW", value_delimiter = ',')]
    metrics_allow: Option<Vec<String>>,
    /// Log lines as `text` (default) or `json` (one object a line).
    #[arg(long, env = "STEADY_LOG_FORMAT")]
    log_format: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and the dashboard. SIGHUP reads the TLS certificate
    /// and key again; SIGTERM lets requests in flight finish, then stops.
    Serve {
        #[command(flatten)]
        flags: ServeFlags,
    },
    /// Check the configuration (file, environment and flags) without
    /// serving: prints the settings it resolves to, or every problem, and
    /// exits non-zero on a problem.
    CheckConfig {
        #[command(flatten)]
        flags: ServeFlags,
    },
    /// Set up the clinic and its staff.
    Admin {
        #[command(subcommand)]
        action: Admin,
    },
}

#[derive(Subcommand)]
enum Admin {
    /// Remove a staff member's second factor (a lost phone): they set up a
    /// new one at their next sign-in. Recorded in the account events with
    /// the operating-system user who ran it.
    ResetSecondFactor {
        #[arg(long)]
        email: String,
    },
    /// Copy the whole database into a new file while the server runs
    /// (SQLite: VACUUM INTO; PostgreSQL: pg_dump's custom format). The
    /// server key is not in it: keep a copy of that apart.
    Backup {
        /// The new backup file (never overwritten).
        #[arg(long, required_unless_present = "into", conflicts_with = "into")]
        to: Option<PathBuf>,
        /// A folder to put the backup in, named by the time it was taken
        /// (steady-server-20261202T023000Z.backup): for a timer.
        #[arg(long)]
        into: Option<PathBuf>,
        /// With --into: keep only the newest this many backups there.
        #[arg(long, requires = "into")]
        keep: Option<usize>,
    },
    /// Put a backup into an empty database (the configured one), then run
    /// the migrations a backup from an earlier version needs.
    Restore {
        /// The backup file `admin backup` made.
        #[arg(long)]
        from: PathBuf,
    },
    /// Create a clinic; prints its id.
    CreateClinic {
        #[arg(long)]
        name: String,
    },
    /// Add a counselor or admin. The password is read from STEADY_PASSWORD,
    /// or else from the first line of standard input.
    AddUser {
        #[arg(long)]
        clinic: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// counselor or admin
        #[arg(long, default_value = "counselor")]
        role: String,
    },
}

impl Cli {
    /// The configuration file's settings under the environment and flags.
    fn config(&self, flags: Option<&ServeFlags>) -> Result<Config, Problems> {
        let file = match &self.config {
            Some(path) => FileConfig::read(path)?,
            None => FileConfig::default(),
        };
        let mut over = Overrides {
            database_url: self.database.clone(),
            database_url_file: self.database_url_file.clone(),
            database_password_file: self.database_password_file.clone(),
            data_dir: std::env::var_os("STEADY_SERVER_DATA_DIR").map(PathBuf::from),
            key_file: self.key_file.clone(),
            ..Overrides::default()
        };
        if let Some(f) = flags.cloned() {
            over.listen = f.listen;
            over.secure_cookies = if f.secure_cookies {
                Some(true)
            } else if f.insecure_cookies {
                Some(false)
            } else {
                None
            };
            over.idle_minutes = f.idle_minutes;
            over.dashboard_dir = f.dashboard_dir;
            over.trusted_proxies = f.trusted_proxies;
            over.tls_certificate = f.tls_certificate;
            over.tls_private_key = f.tls_private_key;
            over.max_records_per_patient = f.max_records_per_patient;
            over.max_mb_per_patient = f.max_mb_per_patient;
            over.pushes_per_minute = f.pushes_per_minute;
            over.metrics_allow = f.metrics_allow;
            over.log_format = f.log_format;
        }
        Config::resolve(file, over)
    }
}

fn init_logs(format: LogFormat) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("STEADY_LOG").unwrap_or_else(|_| "info".into());
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    match format {
        LogFormat::Json => logs.json().flatten_event(true).init(),
        // Colours only for a person at a terminal, not in a log file.
        LogFormat::Text => logs
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let flags = match &cli.command {
        Command::Serve { flags } | Command::CheckConfig { flags } => Some(flags),
        Command::Admin { .. } => None,
    };
    let config = match cli.config(flags) {
        Ok(config) => config,
        Err(problems) => {
            eprintln!("steady-server: {problems}");
            return ExitCode::from(2);
        }
    };
    init_logs(config.log_format);
    let done = match cli.command {
        Command::CheckConfig { .. } => {
            print!("{}", describe(&config));
            println!("The configuration is good.");
            Ok(())
        }
        Command::Serve { .. } => serve(config).await,
        Command::Admin { action } => run_admin(&config, action).await,
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("steady-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// What a configuration resolves to, for `check-config`: no secret, only
/// where each comes from.
fn describe(config: &Config) -> String {
    let database = match config.database_url.split_once("://") {
        Some((scheme, rest)) if scheme.starts_with("postgres") => {
            let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            format!("{scheme}://…@{host}")
        }
        _ => config.database_url.clone(),
    };
    let tls = match &config.tls {
        Some(files) => format!(
            "certificate {}, key {}",
            files.certificate.display(),
            files.private_key.display()
        ),
        None => "off (plain HTTP: loopback or behind a proxy that terminates TLS)".into(),
    };
    let list = |items: Vec<String>| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join(", ")
        }
    };
    format!(
        "listen:            {}\n\
         database:          {database}\n\
         key file:          {}\n\
         TLS:               {tls}\n\
         secure cookies:    {}\n\
         trusted proxies:   {}\n\
         dashboard:         {}\n\
         idle sign-out:     {} minutes\n\
         limits:            {} records, {} MB per patient; {} pushes a minute per device\n\
         metrics from:      {}\n\
         log format:        {:?}\n",
        config.listen,
        config
            .key_file
            .as_ref()
            .map_or("beside the SQLite database".into(), |k| k
                .display()
                .to_string()),
        if config.secure_cookies { "yes" } else { "no" },
        list(
            config
                .trusted_proxies
                .iter()
                .map(ToString::to_string)
                .collect()
        ),
        config
            .dashboard_dir
            .as_ref()
            .map_or("not served".into(), |d| d.display().to_string()),
        config.idle_minutes,
        config.max_records_per_patient,
        config.max_mb_per_patient,
        config.pushes_per_minute,
        list(
            config
                .metrics_allow
                .iter()
                .map(ToString::to_string)
                .collect()
        ),
        config.log_format,
    )
}

async fn serve(config: Config) -> anyhow::Result<()> {
    if !config.secure_cookies && !config.listen.ip().is_loopback() {
        tracing::warn!("cookies are sent without Secure: use this only on a test network");
    }
    let listen = config.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let running = launch(listener, config.settings(), shutdown_signal()).await?;
    let scheme = if running.certificates.is_some() {
        "https"
    } else {
        "http"
    };
    println!("steady-server listening on {scheme}://{}", running.addr);
    #[cfg(unix)]
    if let Some(certificates) = running.certificates.clone() {
        let mut hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
        tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                match certificates.reload() {
                    Ok(()) => tracing::info!("TLS certificate read again (SIGHUP)"),
                    Err(e) => tracing::error!(
                        error = %e,
                        "the TLS certificate could not be read again; still serving the previous one"
                    ),
                }
            }
        });
    }
    running.wait().await?;
    // Whoever started the server may have stopped reading its output.
    let _ = writeln!(std::io::stdout(), "steady-server stopped");
    Ok(())
}

async fn run_admin(config: &Config, action: Admin) -> anyhow::Result<()> {
    match action {
        Admin::Backup { to, into, keep } => {
            let to = match (to, into) {
                (Some(to), _) => to,
                (None, Some(dir)) => steady_server::backup::in_folder(&dir)?,
                (None, None) => bail!("say where the backup goes: --to FILE or --into FOLDER"),
            };
            steady_server::backup::backup(&config.database_url, &to).await?;
            if let (Some(keep), Some(dir)) = (keep, to.parent()) {
                for old in steady_server::backup::prune(dir, keep.max(1))? {
                    println!("Removed the older backup {}.", old.display());
                }
            }
            let counts = steady_server::backup::counts(&config.database_url).await?;
            println!(
                "Backed up to {} (the database held {counts} when it finished).",
                to.display()
            );
            println!(
                "The server key ({}) is not in the backup: keep a copy of it apart from the backups.",
                config.settings().key_path()?.display()
            );
            return Ok(());
        }
        Admin::Restore { from } => {
            let counts = steady_server::backup::restore(&config.database_url, &from).await?;
            println!("Restored {counts} from {}.", from.display());
            let key = config.settings().key_path()?;
            if !key.exists() {
                println!(
                    "There is no server key at {}: copy the one kept with the backups there before starting the server, or staff recovery codes will not work.",
                    key.display()
                );
            }
            return Ok(());
        }
        _ => {}
    }
    let db = steady_server::db::connect(&config.database_url).await?;
    let done = admin(&db, action).await;
    db.close().await;
    done
}

/// One `steady-server admin` command.
async fn admin(db: &steady_server::db::Db, action: Admin) -> anyhow::Result<()> {
    match action {
        Admin::ResetSecondFactor { email } => {
            let email =
                steady_server::rules::email(&email).map_err(|m| anyhow::anyhow!("--email: {m}"))?;
            let Some((user, _)) = db.user_by_email(&email).await? else {
                bail!("there is no account with the email {email}");
            };
            let by_whom = format!(
                "steady-server admin (run by {})",
                std::env::var("USER").unwrap_or_else(|_| "an unknown user".into())
            );
            db.reset_second_factor(&user.id, &by_whom).await?;
            println!(
                "The second factor of {email} is removed; they set up a new one at their next sign-in."
            );
        }
        Admin::CreateClinic { name } => {
            let name = name.trim();
            if name.is_empty() {
                bail!("give the clinic a name with --name");
            }
            let clinic = db.create_clinic(name).await?;
            println!("{}", clinic.id);
        }
        Admin::AddUser {
            clinic,
            email,
            name,
            role,
        } => {
            let role = Role::parse(&role)
                .with_context(|| format!("--role must be counselor or admin, not {role:?}"))?;
            let email =
                steady_server::rules::email(&email).map_err(|m| anyhow::anyhow!("--email: {m}"))?;
            let password = match std::env::var("STEADY_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let password_hash = hash_password(&password).map_err(anyhow::Error::msg)?;
            let user = db
                .create_user(&NewUser {
                    clinic_id: clinic,
                    email,
                    name: name.trim().to_owned(),
                    role,
                    password_hash,
                })
                .await?;
            println!("{}", user.id);
        }
        Admin::Backup { .. } | Admin::Restore { .. } => {
            bail!("backups are taken without opening the database here")
        }
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}
