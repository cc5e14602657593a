//! steady-server: the clinic's server. Staff accounts and sessions now;
//! pairing, sync, the counselor API and the dashboard build on it. The
//! server is a library with [`launch`], so tests run the real thing on
//! 127.0.0.1:0; `main.rs` only reads settings and calls it.

pub mod backup;
pub mod config;
pub mod db;
pub mod http;
pub mod live;
pub mod rules;
pub mod secret;
#[doc(hidden)]
pub mod testing;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use http::{AppState, router};

/// The allocator of every program that runs the server: its binary, its
/// tests and the benchmark. A push allocates and frees many small values (a
/// key, a value and a text per field), some on another thread than made
/// them: checking 125 pushed check-ins took 320–400 µs with mimalloc against
/// 600–660 µs with the C library's allocator, in the same benchmark.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How the server runs; from flags and environment in `main.rs`.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `sqlite://path/to/file.db` or `postgres://...`.
    pub database_url: String,
    /// Add `Secure` to cookies; on whenever the server is reached over TLS.
    pub secure_cookies: bool,
    /// A browser session ends after this long without a request, and an
    /// open dashboard signs itself out after this long without input.
    pub idle: Duration,
    /// A browser session ends this long after sign-in, however busy.
    pub lifetime: Duration,
    /// The built dashboard (`dashboard/dist`), served at `/`; without it
    /// `/` says how to build it.
    pub dashboard_dir: Option<std::path::PathBuf>,
    /// Reverse proxies whose `X-Forwarded-For` names the client; from any
    /// other peer the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The server key's file ([`secret::ServerKey`]); by default beside a
    /// SQLite database (`<file>.key`). Required with PostgreSQL, where every
    /// instance must be given the same file.
    pub key_file: Option<std::path::PathBuf>,
    /// The most one patient's records may hold.
    pub quota: db::Quota,
    /// Pushes one device may make in a minute.
    pub pushes_per_minute: u32,
    /// Turn any answer the OpenAPI document does not list into a 500 that
    /// names it: for tests, never for a clinic.
    pub strict_documentation: bool,
    /// Serve HTTPS with this certificate and key instead of plain HTTP.
    pub tls: Option<config::TlsFiles>,
    /// The addresses `/metrics` answers (after [`Self::trusted_proxies`]
    /// have named the client).
    pub metrics_allow: Vec<ipnet::IpNet>,
}

impl Settings {
    /// The server key's file: the one set, or the SQLite database's own.
    pub fn key_path(&self) -> anyhow::Result<std::path::PathBuf> {
        if let Some(file) = &self.key_file {
            return Ok(file.clone());
        }
        match db::sqlite_file(&self.database_url) {
            Some(db) if self.database_url.starts_with("sqlite:") => {
                let mut name = db.into_os_string();
                name.push(".key");
                Ok(name.into())
            }
            _ => anyhow::bail!(
                "give the server a key file with --key-file (STEADY_KEY_FILE): with PostgreSQL, every instance must use the same one; it is made at first start if missing"
            ),
        }
    }
}

impl Settings {
    pub fn new(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            secure_cookies: false,
            idle: Duration::from_secs(30 * 60),
            lifetime: Duration::from_secs(12 * 3600),
            dashboard_dir: None,
            trusted_proxies: Vec::new(),
            key_file: None,
            // Years of a heavy user's entries: 20 check-ins a day for five
            // years is 36,500 records of about a kilobyte each.
            quota: db::Quota {
                records: 200_000,
                bytes: 256 << 20,
            },
            // A first sync of 20,000 records takes 40 pushes.
            pushes_per_minute: 120,
            strict_documentation: false,
            tls: None,
            metrics_allow: vec![
                ipnet::IpNet::from(std::net::IpAddr::from([127, 0, 0, 1])),
                ipnet::IpNet::from(std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST)),
            ],
        }
    }
}

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    /// The certificate served, when the server speaks HTTPS itself.
    pub certificates: Option<Arc<tls::Certificates>>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops taking connections, lets requests in flight finish, and returns.
    pub async fn stop(self) -> std::io::Result<()> {
        let _ = self.stop.send(());
        self.task
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }

    /// Waits until the server stops by itself (it does not, barring errors).
    pub async fn wait(self) -> std::io::Result<()> {
        let Running { stop, task, .. } = self;
        let result = task.await.unwrap_or_else(|e| Err(std::io::Error::other(e)));
        drop(stop);
        result
    }
}

/// Connects to the database (migrating it), then serves on `listener` until
/// stopped or until `shutdown` resolves.
pub async fn launch(
    listener: TcpListener,
    settings: Settings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Running> {
    // A certificate that cannot be read stops the start before the
    // database is opened.
    let certificates = match &settings.tls {
        Some(files) => Some(tls::Certificates::open(files.clone()).map_err(anyhow::Error::msg)?),
        None => None,
    };
    let (db, postgres) = db::open(&settings.database_url).await?;
    let key =
        secret::ServerKey::load_or_create(&settings.key_path()?).map_err(anyhow::Error::msg)?;
    let (live, listening) = live::Live::start(postgres).await?;
    let closing = live.clone();
    let closing_db = db.clone();
    let state = AppState {
        db,
        live,
        settings: Arc::new(settings),
        hashing: http::limit::Hashing::new(),
        metrics: http::metrics::Metrics::new(),
        key: Arc::new(key),
        clock: Arc::new(std::sync::Mutex::new(steady_model::Clock::new(
            steady_model::NodeId::random(),
        ))),
    };
    let (app, _) = router(state);
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        tokio::select! {
            _ = stopped => {}
            () = shutdown => {}
        }
        // Open event streams end, so the shutdown can finish.
        closing.close();
    };
    let served = match &certificates {
        Some(certificates) => {
            let listener = tls::TlsListener::new(listener, certificates)?;
            tokio::spawn(serve(listener, app, shutdown))
        }
        None => tokio::spawn(serve(listener, app, shutdown)),
    };
    let task = tokio::spawn(async move {
        let served = served
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
        if let Some(listening) = listening {
            listening.abort();
        }
        // Every connection closed before the program may end (see
        // `Database::close`).
        closing_db.close().await;
        served
    });
    tracing::info!(%addr, tls = certificates.is_some(), "steady-server listening");
    Ok(Running {
        addr,
        certificates,
        stop,
        task,
    })
}

/// Serves `app` on `listener` until `shutdown`, letting requests in flight
/// finish; each request knows its peer's address.
async fn serve<L>(
    listener: L,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    use axum::serve::ListenerExt;
    axum::serve(
        listener.tap_io(|_| {}),
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
