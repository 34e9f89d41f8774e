//! The real server on a free port of 127.0.0.1, for tests.
#![allow(dead_code)]

use std::sync::Arc;
use walkthrough_client::app::App;
use walkthrough_server::store::SqliteStore;

/// The server on a free port, stopped when dropped.
pub struct TestServer {
    pub url: String,
    pub store: Arc<SqliteStore>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("server.sqlite")).unwrap());
        walkthrough_server::seed::import_project(store.as_ref(), &walkthrough_fixtures::demo_project(), "demo")
            .unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let settings = walkthrough_server::config::Settings { max_body_bytes: 4 * 1024 * 1024, ..Default::default() };
        let state = walkthrough_server::AppState::new(store.clone(), settings);
        let thread = std::thread::spawn(move || {
            rt.block_on(walkthrough_server::serve(listener, state, async {
                let _ = rx.await;
            }))
            .unwrap();
        });
        Self { url, store, stop: Some(tx), thread: Some(thread), _dir: dir }
    }
}

impl TestServer {
    /// Stop answering: tablets now find the server unreachable.
    pub fn stop(&mut self) {
        let _ = self.stop.take().map(|s| s.send(()));
        let _ = self.thread.take().map(|t| t.join());
    }

    /// Serve again on the same address and data (after `stop`).
    pub fn restart(&mut self) {
        self.stop();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let addr = self.url.trim_start_matches("http://").to_owned();
        let listener = rt.block_on(tokio::net::TcpListener::bind(&addr)).unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let settings = walkthrough_server::config::Settings { max_body_bytes: 4 * 1024 * 1024, ..Default::default() };
        let state = walkthrough_server::AppState::new(self.store.clone(), settings);
        self.thread = Some(std::thread::spawn(move || {
            rt.block_on(walkthrough_server::serve(listener, state, async {
                let _ = rx.await;
            }))
            .unwrap();
        }));
        self.stop = Some(tx);
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.stop.take().map(|s| s.send(()));
        let _ = self.thread.take().map(|t| t.join());
    }
}

/// A checklist line: its room and its item.
pub type Line = (String, String);

/// The first unit of the signed-in inspector's round-1 assignment in the
/// demo project, and three checklist lines of it (first, last, second).
pub fn first_assigned(app: &mut App) -> (String, Line, Line, Line) {
    let grid = app.unit_grid("hj-lanting".into(), 1).unwrap();
    let unit = grid
        .buildings
        .iter()
        .flat_map(|b| b.floors.iter().flat_map(|f| f.units.iter()))
        .find(|u| u.assigned)
        .expect("an assigned unit")
        .id
        .clone();
    let view = app.open_unit("hj-lanting".into(), unit.clone(), 1).unwrap();
    let lines: Vec<(String, String)> =
        view.rooms.iter().flat_map(|r| r.items.iter().map(move |i| (r.id.clone(), i.code.clone()))).collect();
    let last = lines.len() - 1;
    (unit, lines[0].clone(), lines[last].clone(), lines[1].clone())
}
