//! What the end-to-end tests share: the real server on a free port of
//! 127.0.0.1 with the demo project, and the browser scripts in `ui/e2e/`
//! (playwright-core driving Debian's Chromium).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use walkthrough_server::store::SqliteStore;

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the repository").to_path_buf()
}

/// Where tests leave what a person may want to look at (screenshots, PDFs).
pub fn artefacts() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("e2e-artefacts");
    std::fs::create_dir_all(&dir).expect("artefacts directory");
    dir
}

/// The real server, stopped when dropped. Its data lives in `dir`, so a
/// test can stop it and start it again on the same data.
pub struct Server {
    pub url: String,
    pub store: Arc<SqliteStore>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// A fresh server with the demo project (every demo account's password is "demo").
    pub fn demo(dir: &Path) -> Self {
        let store = Arc::new(SqliteStore::open(&dir.join("server.sqlite")).expect("server database"));
        walkthrough_server::seed::import_project(store.as_ref(), &walkthrough_fixtures::demo_project(), "demo")
            .expect("demo project");
        Self::start(dir, "127.0.0.1:0", store)
    }

    /// The server on the data already in `dir`, listening on `addr`.
    pub fn start(dir: &Path, addr: &str, store: Arc<SqliteStore>) -> Self {
        Self::start_with(dir, addr, store, |_| {})
    }

    /// The same, with settings changed by `configure` (e.g. where
    /// notifications go).
    pub fn start_with(
        dir: &Path,
        addr: &str,
        store: Arc<SqliteStore>,
        configure: impl FnOnce(&mut walkthrough_server::config::Settings),
    ) -> Self {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let listener = rt.block_on(tokio::net::TcpListener::bind(addr)).expect("listen");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mut settings = walkthrough_server::config::Settings {
            ui_dir: ui_dist(),
            // Kept with the data, so links outlive a restart.
            link_key_file: Some(dir.join("link.key")),
            ..Default::default()
        };
        configure(&mut settings);
        let scheme = if settings.tls.enabled() { "https" } else { "http" };
        let url = format!("{scheme}://{}", listener.local_addr().expect("address"));
        let state = walkthrough_server::AppState::new(store.clone(), settings);
        let thread = std::thread::spawn(move || {
            rt.block_on(walkthrough_server::serve(listener, state, async {
                let _ = rx.await;
            }))
            .expect("server");
        });
        Self { url, store, stop: Some(tx), thread: Some(thread) }
    }

    /// Stop answering (a tablet "in the basement" sees connection refused).
    /// Over HTTPS, with a certificate for 127.0.0.1 that `ca` issues
    /// (`name` names its files).
    pub fn start_https(dir: &Path, addr: &str, store: Arc<SqliteStore>, ca: &tls::TestCa, name: &str) -> Self {
        let cert = ca.server_cert(name);
        Self::start_with(dir, addr, store, move |s| {
            s.tls.cert = Some(cert.cert.clone());
            s.tls.key = Some(cert.key.clone());
        })
    }

    pub fn stop(mut self) -> Arc<SqliteStore> {
        self.shutdown();
        self.store.clone()
    }

    fn shutdown(&mut self) {
        let _ = self.stop.take().map(|s| s.send(()));
        let _ = self.thread.take().map(|t| t.join());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The compiled front ends. `scripts/test` builds them first.
pub fn ui_dist() -> PathBuf {
    let dist = root().join("ui/dist");
    assert!(
        dist.join("shared").is_dir(),
        "{} is missing: build the UI first (scripts/test does: npm ci && npm run build in ui/)",
        dist.display()
    );
    dist
}

/// Debian's Chromium (`WALKTHROUGH_CHROMIUM` overrides).
pub fn chromium() -> PathBuf {
    let path =
        std::env::var_os("WALKTHROUGH_CHROMIUM").map(PathBuf::from).unwrap_or_else(|| "/usr/bin/chromium".into());
    assert!(path.exists(), "{} is missing: install Debian's chromium (scripts/test does)", path.display());
    path
}

/// Run a browser script from `ui/e2e/` with Node, passing `args`; the
/// script gets `WALKTHROUGH_CHROMIUM` and `WALKTHROUGH_ARTEFACTS` in its
/// environment. Panics with the script's output when it fails. Returns
/// its standard output (scripts print JSON for the test to check).
pub fn run_browser_script(script: &str, args: &[&str]) -> String {
    let path = root().join("ui/e2e").join(script);
    assert!(root().join("ui/node_modules/playwright-core").is_dir(), "ui/node_modules is missing: run npm ci in ui/");
    let out = Command::new("node")
        .arg(&path)
        .args(args)
        .env("WALKTHROUGH_CHROMIUM", chromium())
        .env("WALKTHROUGH_ARTEFACTS", artefacts())
        .current_dir(root().join("ui"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run node {}: {e}", path.display()));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}", out.status);
    stdout
}
pub mod a11y;
pub mod field;
pub mod tls;

/// Play `rounds` rounds of the demo project in memory (the fixtures'
/// simulation: inspectors, dispatch, contractors, rechecks; seeded) and put
/// every unit document with its read-model rows into the server's store, as
/// syncs would have. For report and dashboard tests.
pub fn seed_demo_rounds(store: &SqliteStore, rounds: u32, seed: u64) {
    seed_demo_rounds_with(store, rounds, seed, false)
}

/// The same, and with `photos` the inspectors attach the demo photos (with
/// marks) to defects, the photos stored on the server as a tablet's upload
/// leaves them.
pub fn seed_demo_rounds_with(store: &SqliteStore, rounds: u32, seed: u64, photos: bool) {
    use walkthrough_server::store::Store;
    let project = walkthrough_fixtures::demo_project();
    let mut behaviour = walkthrough_fixtures::simulate::Behaviour::default();
    if photos {
        for (hash, path) in walkthrough_fixtures::demo_photos().expect("demo photos") {
            store.put_blob(&hash, "image/jpeg", &std::fs::read(path).expect("demo photo")).expect("photo stored");
            behaviour.photos.push(hash);
        }
    }
    let mut sim = walkthrough_fixtures::simulate::Simulation::new(&project, seed, behaviour);
    for round in project.rounds.keys().filter(|r| r.0 <= rounds) {
        sim.play_round(*round).expect("simulated round");
    }
    walkthrough_server::seed::store_units(store, &project, sim.units.iter_mut()).expect("units stored");
}

/// Sign in over HTTP; the bearer token.
pub fn login(url: &str, user: &str) -> String {
    let v: serde_json::Value = {
        walkthrough_client::tls::install_default_provider();
        reqwest::blocking::Client::new()
    }
    .post(format!("{url}/api/v1/auth/login"))
    .json(&serde_json::json!({ "username": user, "password": "demo" }))
    .send()
    .and_then(|r| r.error_for_status())
    .and_then(|r| r.json())
    .unwrap_or_else(|e| panic!("sign-in as {user}: {e}"));
    v["token"].as_str().expect("token").to_owned()
}

/// A blocking HTTP client for a test's own requests. reqwest is built
/// without a TLS provider (the client crate installs ring's), so it is
/// installed first: a test must not depend on another having run before it.
/// The signed-in tablet records one result offline: the first item of the
/// first room of its first assigned unit in round 1, passed. Returns the
/// unit, the room and the item.
pub fn record_a_result(app: &mut walkthrough_client::app::App, project: &str) -> (String, String, String) {
    let grid = app.unit_grid(project.into(), 1).unwrap();
    let unit = grid
        .buildings
        .iter()
        .flat_map(|b| b.floors.iter().flat_map(|f| f.units.iter()))
        .find(|u| u.assigned)
        .expect("an assigned unit")
        .id
        .clone();
    let view = app.open_unit(project.into(), unit.clone(), 1).unwrap();
    let (room, item) = (view.rooms[0].id.clone(), view.rooms[0].items[0].code.clone());
    app.set_result(project.into(), unit.clone(), 1, room.clone(), item.clone(), Some("pass".into())).unwrap();
    (unit, room, item)
}

pub fn http_client() -> reqwest::blocking::Client {
    walkthrough_client::tls::install_default_provider();
    reqwest::blocking::Client::new()
}
