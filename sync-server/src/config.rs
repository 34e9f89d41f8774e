//! Settings: defaults, then a TOML file, then environment variables.

use serde::Deserialize;
use std::net::SocketAddr;
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
    /// Notifications to contractors (the outbox).
    pub notify: NotifySettings,
    /// Sign-in throttling and password hashing.
    pub auth: crate::auth::AuthSettings,
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
    #[serde(default = "smtp_port")]
    pub port: u16,
    /// The sender, e.g. `模拟验房 <noreply@example.com>`.
    pub from: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

fn smtp_port() -> u16 {
    25
}

// The password stays out of logs.
impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
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
            notify: NotifySettings::default(),
            auth: crate::auth::AuthSettings::default(),
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
        if let Some(v) = var("TOKEN_TTL_HOURS") {
            s.token_ttl_hours = v.parse().map_err(|e| anyhow::anyhow!("WALKTHROUGH_TOKEN_TTL_HOURS={v:?}: {e}"))?;
        }
        if let Some(v) = var("WEBHOOK_URL") {
            s.notify.webhook_url = Some(v);
        }
        Ok(s)
    }
}
