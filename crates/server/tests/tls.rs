//! `steady-server serve` speaking HTTPS itself, configured by a TOML file:
//! a certificate made here (rcgen) under a test CA, HSTS and Secure
//! cookies, and a renewed certificate read on SIGHUP while a connection
//! opened before it carries on. `check-config` names what is wrong.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rcgen::KeyPair;
use rustls::pki_types::ServerName;
use steady_server::testing::TestCa;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

fn server(config: &Path) -> (Child, BufReader<std::process::ChildStdout>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_steady-server"))
        .args(["--config"])
        .arg(config)
        .arg("serve")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(base.starts_with("https://127.0.0.1:"), "{line}");
    (child, out, base)
}

/// A TLS connection to `port` that trusts only the test CA.
async fn connect(ca: &TestCa, port: u16) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(ca.roots())
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap()
}

/// One HTTP/1.1 request on an open connection, kept alive; the status line
/// and headers, and the body.
async fn get<S>(stream: &mut tokio::io::BufReader<S>, path: &str) -> (String, String)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    stream
        .get_mut()
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        stream.read_line(&mut line).await.unwrap();
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap();
        }
        if line == "\r\n" || line.is_empty() {
            break;
        }
        head.push_str(&line);
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.unwrap();
    (head, String::from_utf8(body).unwrap())
}

fn served_certificate(stream: &tokio_rustls::client::TlsStream<tokio::net::TcpStream>) -> Vec<u8> {
    stream.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

#[tokio::test]
async fn https_with_a_renewed_certificate_read_on_sighup_keeps_open_connections() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    let first = ca.issue(dir.path(), "first");
    let config = dir.path().join("server.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{dir}/data\"\n\n[tls]\ncertificate = \"{dir}/cert.pem\"\nprivate_key = \"{dir}/key.pem\"\n",
            dir = dir.path().display()
        ),
    )
    .unwrap();
    let (mut child, mut out, base) = server(&config);
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();

    // A connection opened now, and a request on it.
    let open = connect(&ca, port).await;
    assert_eq!(served_certificate(&open), first);
    let mut open = tokio::io::BufReader::new(open);
    let (head, body) = get(&mut open, "/healthz").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(body.contains("\"ok\""), "{body}");
    let head = head.to_ascii_lowercase();
    assert!(
        head.contains("strict-transport-security: max-age="),
        "HSTS: {head}"
    );

    // Plain HTTP on the HTTPS port gets nowhere.
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());

    // The certificate is renewed on disk and the server told.
    let second = ca.issue(dir.path(), "second");
    assert_ne!(first, second);
    Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    let mut fresh = None;
    for _ in 0..50 {
        let conn = connect(&ca, port).await;
        if served_certificate(&conn) == second {
            fresh = Some(conn);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let fresh = fresh.expect("new connections get the renewed certificate");
    // The server did not restart: the connection from before still works.
    let (head, _) = get(&mut open, "/readyz").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let mut fresh = tokio::io::BufReader::new(fresh);
    let (head, body) = get(&mut fresh, "/readyz").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(body.contains("\"ready\""), "{body}");

    // A broken renewal keeps the certificate being served.
    std::fs::write(dir.path().join("cert.pem"), "not a certificate").unwrap();
    Command::new("kill")
        .args(["-HUP", &child.id().to_string()])
        .status()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let conn = connect(&ca, port).await;
    assert_eq!(served_certificate(&conn), second);
    assert!(child.try_wait().unwrap().is_none(), "still serving");

    // Sign-in cookies are Secure over HTTPS.
    let http = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let r = http
        .post(format!("https://localhost:{port}/v1/session"))
        .json(&serde_json::json!({"email": "nobody@clinic.example", "password": "not the password at all"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let csrf = http
        .get(format!("https://localhost:{port}/v1/session"))
        .send()
        .await
        .unwrap();
    for cookie in csrf.headers().get_all("set-cookie") {
        assert!(cookie.to_str().unwrap().contains("Secure"), "{cookie:?}");
    }

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "steady-server stopped");
}

fn check_config(config: &Path, env: &[(&str, &str)]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_steady-server"))
        .arg("--config")
        .arg(config)
        .arg("check-config")
        .envs(env.iter().copied())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_config_says_what_is_wrong_and_the_environment_overrides_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let ca = TestCa::new();
    ca.issue(dir.path(), "mismatch");
    // A key that is not the certificate's.
    std::fs::write(
        dir.path().join("other-key.pem"),
        KeyPair::generate().unwrap().serialize_pem(),
    )
    .unwrap();
    let config = dir.path().join("server.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"0.0.0.0:443\"\ndata_dir = \"{dir}/data\"\nidle_minutes = 0\n\n[tls]\ncertificate = \"{dir}/cert.pem\"\nprivate_key = \"{dir}/other-key.pem\"\n\n[metrics]\nallow = [\"monitoring.local\"]\n",
            dir = dir.path().display()
        ),
    )
    .unwrap();
    let (ok, _, err) = check_config(&config, &[]);
    assert!(!ok);
    assert!(err.contains("3 problems"), "{err}");
    assert!(err.contains("idle_minutes: must be at least 1"), "{err}");
    assert!(err.contains("metrics.allow: \"monitoring.local\""), "{err}");
    assert!(
        err.contains("do not make a certificate with its key"),
        "{err}"
    );

    // The environment wins over the file.
    let key = dir.path().join("key.pem");
    let (ok, out, err) = check_config(
        &config,
        &[
            ("STEADY_IDLE_MINUTES", "15"),
            ("STEADY_TLS_PRIVATE_KEY", key.to_str().unwrap()),
            ("STEADY_METRICS_ALLOW", "10.0.0.0/24,127.0.0.1"),
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("idle sign-out:     15 minutes"), "{out}");
    assert!(out.contains("10.0.0.0/24, 127.0.0.1/32"), "{out}");
    assert!(out.contains("secure cookies:    yes"), "{out}");
    assert!(out.contains("The configuration is good."), "{out}");

    // A password only from a file, never shown.
    let password = dir.path().join("db-password");
    std::fs::write(&password, "correct horse\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (ok, out, err) = check_config(
        &config,
        &[
            ("STEADY_IDLE_MINUTES", "15"),
            ("STEADY_TLS_PRIVATE_KEY", key.to_str().unwrap()),
            ("STEADY_METRICS_ALLOW", "127.0.0.1"),
            (
                "STEADY_DATABASE_URL",
                "postgres://steady@db.clinic.internal/steady",
            ),
            ("STEADY_DATABASE_PASSWORD_FILE", password.to_str().unwrap()),
            (
                "STEADY_KEY_FILE",
                dir.path().join("server.key").to_str().unwrap(),
            ),
        ],
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("postgres://…@db.clinic.internal/steady"),
        "{out}"
    );
    assert!(
        !out.contains("correct") && !err.contains("correct"),
        "{out}{err}"
    );

    // A misspelt key is named with its line.
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\nidle_minuts = 5\n").unwrap();
    let (ok, _, err) = check_config(&config, &[]);
    assert!(!ok);
    assert!(
        err.contains("line 2") && err.contains("idle_minuts"),
        "{err}"
    );
}
