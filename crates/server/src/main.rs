//! `steady-server serve` runs the clinic's server; `steady-server admin ...`
//! creates the clinic and its staff accounts.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use steady_server::db::{NewUser, Role};
use steady_server::secret::hash_password;
use steady_server::{Settings, launch};

#[derive(Parser)]
#[command(name = "steady-server", about = "Steady's clinic server", version)]
struct Cli {
    /// Database URL: sqlite://FILE or postgres://USER@HOST/DB. Default: a
    /// SQLite file in the server's data folder.
    #[arg(long, env = "STEADY_DATABASE_URL", global = true)]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and the dashboard.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "STEADY_LISTEN", default_value = "127.0.0.1:8380")]
        listen: SocketAddr,
        /// Mark cookies Secure (HTTPS only). On by default whenever the
        /// server listens on an address other than loopback.
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
        /// Minutes without a request before a dashboard session ends.
        #[arg(long, env = "STEADY_IDLE_MINUTES", default_value_t = 30)]
        idle_minutes: u32,
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
        trusted_proxies: Vec<std::net::IpAddr>,
        /// The server key (made at first start, 0600): by default
        /// `<database file>.key` beside a SQLite database; with PostgreSQL
        /// required, and the same file for every instance.
        #[arg(long, env = "STEADY_KEY_FILE")]
        key_file: Option<PathBuf>,
        /// The most records one patient's devices may store on the server.
        #[arg(
            long,
            env = "STEADY_MAX_RECORDS_PER_PATIENT",
            default_value_t = 200_000
        )]
        max_records_per_patient: i64,
        /// The most megabytes of records one patient's devices may store.
        #[arg(long, env = "STEADY_MAX_MB_PER_PATIENT", default_value_t = 256)]
        max_mb_per_patient: i64,
        /// Pushes one device may make in a minute (a first sync of 20,000
        /// records takes 40).
        #[arg(long, env = "STEADY_PUSHES_PER_MINUTE", default_value_t = 120)]
        pushes_per_minute: u32,
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

fn default_database() -> anyhow::Result<String> {
    let dir = std::env::var_os("STEADY_SERVER_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_DATA_HOME").map(|d| PathBuf::from(d).join("steady-server")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share/steady-server")))
        .context("set STEADY_DATABASE_URL or STEADY_SERVER_DATA_DIR: there is no home folder to keep the database in")?;
    Ok(format!(
        "sqlite://{}",
        dir.join("steady-server.db").display()
    ))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, not in a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("STEADY_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let database = match cli.database {
        Some(url) => url,
        None => default_database()?,
    };
    match cli.command {
        Command::Serve {
            listen,
            secure_cookies,
            insecure_cookies,
            idle_minutes,
            trusted_proxies,
            key_file,
            max_records_per_patient,
            max_mb_per_patient,
            pushes_per_minute,
            dashboard_dir,
        } => {
            if idle_minutes == 0 {
                bail!("--idle-minutes must be at least 1");
            }
            if let Some(dir) = &dashboard_dir
                && !dir.join("index.html").is_file()
            {
                bail!(
                    "{} has no index.html: build the dashboard first (`npm ci && npm run build` in dashboard/, or `cargo xtask server`)",
                    dir.display()
                );
            }
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let mut settings = Settings::new(database);
            settings.secure_cookies =
                secure_cookies || (!insecure_cookies && !listen.ip().is_loopback());
            if insecure_cookies {
                tracing::warn!("cookies are sent without Secure: use this only on a test network");
            }
            settings.trusted_proxies = trusted_proxies;
            settings.key_file = key_file;
            if max_records_per_patient < 1 || max_mb_per_patient < 1 || pushes_per_minute < 1 {
                bail!("the per-patient quotas and --pushes-per-minute must be at least 1");
            }
            settings.quota = steady_server::db::Quota {
                records: max_records_per_patient,
                bytes: max_mb_per_patient.saturating_mul(1 << 20),
            };
            settings.pushes_per_minute = pushes_per_minute;
            settings.idle = std::time::Duration::from_secs(u64::from(idle_minutes) * 60);
            settings.dashboard_dir = dashboard_dir;
            let running = launch(listener, settings, shutdown_signal()).await?;
            println!("steady-server listening on http://{}", running.addr);
            running.wait().await?;
            println!("steady-server stopped");
        }
        Command::Admin { action } => {
            let db = steady_server::db::connect(&database).await?;
            let done = admin(&db, action).await;
            db.close().await;
            done?;
        }
    }
    Ok(())
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
