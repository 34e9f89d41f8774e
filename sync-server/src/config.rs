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
        Ok(s)
    }
}
