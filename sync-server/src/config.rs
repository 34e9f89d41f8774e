//! Settings: defaults, then a TOML file, then environment variables.

use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Where to listen, e.g. `127.0.0.1:8080`.
    pub listen: SocketAddr,
    /// The embedded SQLite database file.
    pub database: PathBuf,
    /// How long a sign-in lasts. Tablets work offline for days: long.
    pub token_ttl_hours: i64,
    /// The largest request body (a batch of documents).
    pub max_body_bytes: usize,
    /// The largest photo.
    pub max_blob_bytes: usize,
    /// The compiled web front ends (`ui/dist`: console, contractor page),
    /// served under `/ui/`.
    pub ui_dir: PathBuf,
    /// How long a contractor link lasts unless the CS center says otherwise.
    pub link_days: i64,
    /// The address people open the server at (e.g.
    /// `https://walkthrough.example.com`, behind a proxy): every link the
    /// server sends starts with it (`WALKTHROUGH_PUBLIC_URL`). Default: the
    /// listening address.
    pub public_url: Option<String>,
    /// The key contractor-link secrets are derived from, made on first
    /// start. Keep it out of database backups: with it and a stolen database
    /// one could rebuild live links (`WALKTHROUGH_LINK_KEY_FILE`). Default:
    /// beside the database, `<database>.link-key`.
    pub link_key_file: Option<PathBuf>,
    /// A bearer token that lets a scraper elsewhere read `/metrics`
    /// (`WALKTHROUGH_METRICS_TOKEN`). Without it only this machine and the
    /// trusted proxies themselves may.
    pub metrics_token: Option<String>,
    /// Notifications to contractors (the outbox).
    pub notify: NotifySettings,
    /// Sign-in throttling and password hashing.
    pub auth: crate::auth::AuthSettings,
    /// HTTPS: the server's own certificate, and the CA file trusted for
    /// what it connects to (webhooks, SMTP).
    pub tls: TlsSettings,
    /// Connections: how long slow clients are waited for, and the proxy
    /// whose `X-Forwarded-For` names the client.
    pub http: HttpSettings,
    /// What tablets are told at sync.
    pub tablet: TabletSettings,
}

/// What the server tells tablets at each sync.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TabletSettings {
    /// The storage a tablet may use for the photo previews and floor plans
    /// it downloads for offline work, in MB (`WALKTHROUGH_TABLET_PHOTO_BUDGET_MB`).
    pub photo_budget_mb: u64,
}

impl Default for TabletSettings {
    fn default() -> Self {
        Self { photo_budget_mb: 2048 }
    }
}

/// With `cert` and `key` the server serves HTTPS (and HSTS); without, plain
/// HTTP (behind a TLS proxy, or on a laptop).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsSettings {
    /// The certificate chain, PEM (`WALKTHROUGH_TLS_CERT`).
    pub cert: Option<PathBuf>,
    /// Its private key, PEM: PKCS#8, PKCS#1 or SEC1 (`WALKTHROUGH_TLS_KEY`).
    pub key: Option<PathBuf>,
    /// A company's own certificate authority (PEM), trusted in addition to
    /// the system's roots for webhooks and SMTP (`WALKTHROUGH_CA_FILE`).
    pub ca_file: Option<PathBuf>,
}

impl TlsSettings {
    /// Whether the server serves HTTPS.
    pub fn enabled(&self) -> bool {
        self.cert.is_some() || self.key.is_some()
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// A request's line and headers (and the TLS handshake) must arrive
    /// within this many seconds of the connection opening, or of the
    /// previous answer on a kept-alive connection (so it is also the idle
    /// timeout); else the connection is closed.
    pub header_timeout_secs: u64,
    /// The longest wait for the next part of a request body; a stalled
    /// upload is cut off.
    pub body_timeout_secs: u64,
    /// Proxies (e.g. the TLS proxy in front) whose `X-Forwarded-For` header
    /// is believed for the client's address. Empty: the header is ignored
    /// and the connection's address is the client's.
    pub trusted_proxies: Vec<IpAddr>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self { header_timeout_secs: 15, body_timeout_secs: 30, trusted_proxies: Vec::new() }
    }
}

/// Where the outbox delivers, and how it batches and retries.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifySettings {
    /// Every notice is POSTed here as JSON (e.g. a bridge to the company's
    /// messaging app). None: no webhook.
    pub webhook_url: Option<String>,
    /// The SMTP relay for email to contractors' contact addresses. None: no email.
    pub smtp: Option<SmtpSettings>,
    /// Non-urgent notices are gathered into one digest per contractor once
    /// the oldest has waited this long.
    pub digest_minutes: u64,
    /// The first retry waits this long; each further one twice as long (at most an hour).
    pub retry_base_seconds: u64,
    /// Attempts before a message is given up as dead (still listed for the CS center).
    pub max_attempts: u32,
    /// How often the outbox looks for work.
    pub poll_millis: u64,
}

impl Default for NotifySettings {
    fn default() -> Self {
        Self {
            webhook_url: None,
            smtp: None,
            digest_minutes: 60,
            retry_base_seconds: 30,
            max_attempts: 12,
            poll_millis: 1000,
        }
    }
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    /// Default: 465 with `tls = "tls"`, else 25.
    #[serde(default)]
    pub port: Option<u16>,
    /// `starttls` (the default: the relay must offer STARTTLS, or nothing is
    /// sent), `tls` (TLS from the first byte, "SMTPS") or `none` (plain
    /// text, only when configured so).
    #[serde(default)]
    pub tls: SmtpTls,
    /// The sender, e.g. `模拟验房 <noreply@example.com>`.
    pub from: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

/// How the connection to the SMTP relay is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    #[default]
    Starttls,
    Tls,
    None,
}

impl SmtpSettings {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(if self.tls == SmtpTls::Tls { 465 } else { 25 })
    }
}

// The password stays out of logs.
impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("from", &self.from)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".parse().expect("valid address"),
            database: PathBuf::from("data/walkthrough.sqlite"),
            token_ttl_hours: 24 * 30,
            max_body_bytes: 64 * 1024 * 1024,
            max_blob_bytes: walkthrough_client::photos::MAX_BYTES,
            ui_dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/dist")),
            link_days: 60,
            public_url: None,
            link_key_file: None,
            metrics_token: None,
            notify: NotifySettings::default(),
            auth: crate::auth::AuthSettings::default(),
            tls: TlsSettings::default(),
            http: HttpSettings::default(),
            tablet: TabletSettings::default(),
        }
    }
}

impl Settings {
    /// Defaults, then `file` (if given), then `WALKTHROUGH_*` variables.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut s = match file {
            Some(f) => {
                let text =
                    std::fs::read_to_string(f).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", f.display()))?;
                toml::from_str(&text)
                    .map_err(|e| anyhow::anyhow!("{} is not a valid settings file: {e}", f.display()))?
            }
            None => Settings::default(),
        };
        let var = |name: &str| std::env::var(format!("WALKTHROUGH_{name}")).ok();
        if let Some(v) = var("LISTEN") {
            s.listen = v.parse().map_err(|e| anyhow::anyhow!("WALKTHROUGH_LISTEN={v:?} is not an address: {e}"))?;
        }
        if let Some(v) = var("DATABASE") {
            s.database = v.into();
        }
        if let Some(v) = var("UI_DIR") {
            s.ui_dir = v.into();
        }
        if let Some(v) = var("PUBLIC_URL") {
            s.public_url = Some(v);
        }
        if let Some(v) = var("LINK_KEY_FILE") {
            s.link_key_file = Some(v.into());
        }
        if let Some(v) = var("METRICS_TOKEN") {
            s.metrics_token = Some(v);
        }
        if let Some(v) = var("WEBHOOK_URL") {
            s.notify.webhook_url = Some(v);
        }
        if let Some(v) = var("TLS_CERT") {
            s.tls.cert = Some(v.into());
        }
        if let Some(v) = var("TLS_KEY") {
            s.tls.key = Some(v.into());
        }
        if let Some(v) = var("CA_FILE") {
            s.tls.ca_file = Some(v.into());
        }
        if let Some(v) = var("TRUSTED_PROXIES") {
            s.http.trusted_proxies = v
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(|a| {
                    a.parse::<IpAddr>()
                        .map_err(|e| anyhow::anyhow!("WALKTHROUGH_TRUSTED_PROXIES: {a:?} is not an IP address: {e}"))
                })
                .collect::<anyhow::Result<_>>()?;
        }
        number("TOKEN_TTL_HOURS", &mut s.token_ttl_hours)?;
        number("MAX_BODY_BYTES", &mut s.max_body_bytes)?;
        number("MAX_BLOB_BYTES", &mut s.max_blob_bytes)?;
        number("LINK_DAYS", &mut s.link_days)?;
        number("TABLET_PHOTO_BUDGET_MB", &mut s.tablet.photo_budget_mb)?;
        number("HEADER_TIMEOUT_SECS", &mut s.http.header_timeout_secs)?;
        number("BODY_TIMEOUT_SECS", &mut s.http.body_timeout_secs)?;
        number("NOTIFY_DIGEST_MINUTES", &mut s.notify.digest_minutes)?;
        number("NOTIFY_RETRY_BASE_SECONDS", &mut s.notify.retry_base_seconds)?;
        number("NOTIFY_MAX_ATTEMPTS", &mut s.notify.max_attempts)?;
        number("NOTIFY_POLL_MILLIS", &mut s.notify.poll_millis)?;
        let a = &mut s.auth;
        number("AUTH_ACCOUNT_FAILURES", &mut a.account_failures)?;
        number("AUTH_ADDRESS_FAILURES", &mut a.address_failures)?;
        number("AUTH_LOCK_SECONDS", &mut a.lock_seconds)?;
        number("AUTH_MAX_LOCK_SECONDS", &mut a.max_lock_seconds)?;
        number("AUTH_WINDOW_SECONDS", &mut a.window_seconds)?;
        number("AUTH_MAX_ENTRIES", &mut a.max_entries)?;
        number("AUTH_HASH_PERMITS", &mut a.hash_permits)?;
        number("AUTH_HASH_WAIT_MS", &mut a.hash_wait_ms)?;
        smtp_from_env(&mut s.notify.smtp)?;
        s.check()?;
        Ok(s)
    }
}

/// `WALKTHROUGH_{name}`, when set, as a number into `target`.
fn number<T: std::str::FromStr>(name: &str, target: &mut T) -> anyhow::Result<()>
where
    T::Err: std::fmt::Display,
{
    if let Ok(v) = std::env::var(format!("WALKTHROUGH_{name}")) {
        *target = v.trim().parse().map_err(|e| anyhow::anyhow!("WALKTHROUGH_{name}={v:?} is not a number: {e}"))?;
    }
    Ok(())
}

/// `WALKTHROUGH_SMTP_*`: over the file's `[notify.smtp]`, or the whole of
/// it (then `WALKTHROUGH_SMTP_HOST` and `WALKTHROUGH_SMTP_FROM` are needed).
fn smtp_from_env(smtp: &mut Option<SmtpSettings>) -> anyhow::Result<()> {
    let var = |name: &str| std::env::var(format!("WALKTHROUGH_SMTP_{name}")).ok();
    let names = ["HOST", "PORT", "TLS", "FROM", "USERNAME", "PASSWORD"];
    if names.iter().all(|n| var(n).is_none()) {
        return Ok(());
    }
    let s = match smtp.take() {
        Some(s) => smtp.insert(s),
        None => smtp.insert(SmtpSettings {
            host: var("HOST").ok_or_else(|| {
                anyhow::anyhow!("WALKTHROUGH_SMTP_* is set but not WALKTHROUGH_SMTP_HOST (the relay's name)")
            })?,
            port: None,
            tls: SmtpTls::default(),
            from: var("FROM").ok_or_else(|| {
                anyhow::anyhow!("WALKTHROUGH_SMTP_* is set but not WALKTHROUGH_SMTP_FROM (the sender's address)")
            })?,
            username: None,
            password: None,
        }),
    };
    if let Some(v) = var("HOST") {
        s.host = v;
    }
    if let Some(v) = var("FROM") {
        s.from = v;
    }
    if let Some(v) = var("PORT") {
        s.port = Some(v.trim().parse().map_err(|e| anyhow::anyhow!("WALKTHROUGH_SMTP_PORT={v:?}: {e}"))?);
    }
    if let Some(v) = var("TLS") {
        s.tls = serde_json::from_value(serde_json::Value::String(v.trim().to_owned()))
            .map_err(|_| anyhow::anyhow!("WALKTHROUGH_SMTP_TLS={v:?} is not starttls, tls or none"))?;
    }
    if let Some(v) = var("USERNAME") {
        s.username = Some(v);
    }
    if let Some(v) = var("PASSWORD") {
        s.password = Some(v);
    }
    Ok(())
}

impl Settings {
    /// What every link the server sends starts with (no trailing slash).
    pub fn public_base_url(&self) -> String {
        match self.public_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => u.trim_end_matches('/').to_owned(),
            None => format!("{}://{}", if self.tls.enabled() { "https" } else { "http" }, self.listen),
        }
    }

    /// Where the link key lives: as set, else beside the database.
    pub fn link_key_path(&self) -> PathBuf {
        self.link_key_file.clone().unwrap_or_else(|| {
            let mut p = self.database.clone().into_os_string();
            p.push(".link-key");
            p.into()
        })
    }

    /// Settings that cannot work, refused in words before anything starts.
    pub fn check(&self) -> anyhow::Result<()> {
        if let Some(u) = self.public_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            if !(u.starts_with("https://") || u.starts_with("http://")) {
                anyhow::bail!("public_url {u:?} is not an address people can open: it starts with https://");
            }
        }
        match (&self.tls.cert, &self.tls.key) {
            (Some(_), None) => {
                anyhow::bail!("tls.cert is set but tls.key is not: HTTPS needs both (WALKTHROUGH_TLS_KEY)")
            }
            (None, Some(_)) => {
                anyhow::bail!("tls.key is set but tls.cert is not: HTTPS needs both (WALKTHROUGH_TLS_CERT)")
            }
            _ => {}
        }
        if self.http.header_timeout_secs == 0 || self.http.body_timeout_secs == 0 {
            anyhow::bail!("http.header_timeout_secs and http.body_timeout_secs must be at least 1 second");
        }
        Ok(())
    }
}
