//! The app never freezes (issue 13): while a background sync talks to a
//! server that answers slowly, or accepts connections and never answers,
//! the screens' commands (status, unit grid, open a unit, record a result)
//! keep answering through the same `SharedApp` the window uses. The test
//! fails if one waits longer than a generous bound.

mod common;
use common::{first_assigned, TestServer};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use walkthrough_client::app::{App, SharedApp};

const PROJECT: &str = "hj-lanting";
/// The longest a tap may wait for its answer.
const BOUND: Duration = Duration::from_secs(2);

/// Between the tablet and the server: passes bytes on, late (`delay_ms`),
/// or not at all (`STALL`: connections are accepted and held, never answered).
struct Proxy {
    url: String,
    delay_ms: Arc<AtomicU64>,
    /// Every connection, so a change of mode can cut them.
    conns: Arc<Mutex<Vec<TcpStream>>>,
}

const STALL: u64 = u64::MAX;

impl Proxy {
    fn start(upstream: &str) -> Self {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let delay_ms = Arc::new(AtomicU64::new(0));
        let conns: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (delay, held) = (delay_ms.clone(), conns.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                held.lock().unwrap().push(client.try_clone().unwrap());
                if delay.load(Ordering::SeqCst) == STALL {
                    continue; // accepted, never answered
                }
                let Ok(server) = TcpStream::connect(&upstream) else { continue };
                held.lock().unwrap().push(server.try_clone().unwrap());
                let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c_in, &mut s_out);
                    let _ = s_out.shutdown(Shutdown::Write);
                });
                let (mut s_in, mut c_out, delay) = (server, client, delay.clone());
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    let mut first = true;
                    loop {
                        let n = match s_in.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        // Each answer arrives late.
                        if first {
                            std::thread::sleep(Duration::from_millis(delay.load(Ordering::SeqCst).min(60_000)));
                        }
                        first = false;
                        if c_out.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = c_out.shutdown(Shutdown::Write);
                });
            }
        });
        Self { url, delay_ms, conns }
    }

    /// Change how the server answers; open connections are cut, so the
    /// tablet's next request meets the new mode.
    fn set_delay(&self, ms: u64) {
        self.delay_ms.store(ms, Ordering::SeqCst);
        for c in self.conns.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }

    fn connections(&self) -> usize {
        self.conns.lock().unwrap().len()
    }
}

/// Run one command and return how long it took; fails once it has waited
/// longer than `BOUND` (the command runs on its own thread, so a command
/// stuck behind the sync fails the test instead of hanging it).
fn timed(app: &SharedApp, name: &str, args: serde_json::Value) -> (serde_json::Value, Duration) {
    let (tx, rx) = std::sync::mpsc::channel();
    let (app, owned) = (app.clone(), name.to_owned());
    let t = Instant::now();
    std::thread::spawn(move || {
        let _ = tx.send(app.call(&owned, args));
    });
    match rx.recv_timeout(BOUND) {
        Ok(answer) => (answer.unwrap_or_else(|e| panic!("{name}: {e:?}")), t.elapsed()),
        Err(_) => panic!("{name} waited more than {BOUND:?} while a sync ran"),
    }
}

/// Run the screens' commands over and over for `how_long` while a sync
/// runs, and return the slowest answer of each.
fn taps(app: &SharedApp, unit: &str, line: &(String, String), how_long: Duration) -> Vec<(String, Duration)> {
    let mut slowest: Vec<(String, Duration)> = Vec::new();
    let started = Instant::now();
    let mut i = 0;
    while started.elapsed() < how_long {
        let outcome = if i % 2 == 0 { "pass" } else { "fail" };
        i += 1;
        for (name, args) in [
            ("status", serde_json::json!({})),
            ("unit_grid", serde_json::json!({ "project": PROJECT, "round": 1 })),
            ("open_unit", serde_json::json!({ "project": PROJECT, "unit": unit, "round": 1 })),
            (
                "set_result",
                serde_json::json!({ "project": PROJECT, "unit": unit, "round": 1, "room": line.0, "item": line.1, "outcome": outcome }),
            ),
        ] {
            let (_, took) = timed(app, name, args);
            match slowest.iter_mut().find(|(n, _)| n == name) {
                Some((_, d)) => *d = (*d).max(took),
                None => slowest.push((name.to_owned(), took)),
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    slowest
}

#[test]
fn the_screens_keep_answering_while_a_sync_waits_for_a_slow_or_silent_server() {
    let server = TestServer::start();
    let proxy = Proxy::start(&server.url);
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::open(dir.path()).unwrap();
    app.sign_in(proxy.url.clone(), "u-insp-li".into(), "demo".into()).unwrap();
    let (unit, line, _, _) = first_assigned(&mut app);
    let app = SharedApp::new(app);

    // A silent server: the sync hangs on its first request.
    proxy.set_delay(STALL);
    let syncing = {
        let app = app.clone();
        std::thread::spawn(move || app.call("sync_now", serde_json::json!({})))
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while timed(&app, "status", serde_json::json!({})).0["sync"]["running"] != true {
        assert!(Instant::now() < deadline, "the sync did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    let slowest = taps(&app, &unit, &line, Duration::from_secs(3));
    assert_eq!(slowest.len(), 4);
    assert!(proxy.connections() > 0, "the sync is waiting on the silent server");
    assert!(!syncing.is_finished(), "the sync is still waiting");
    let (status, _) = timed(&app, "status", serde_json::json!({}));
    assert_eq!(status["sync"]["running"], true);
    // Asking for another sync meanwhile answers at once with the status.
    let (again, _) = timed(&app, "sync_now", serde_json::json!({}));
    assert_eq!(again["sync"]["running"], true);

    // A slow server (every answer 700 ms late): the sync works through its
    // steps, the taps' changes go up with it.
    proxy.set_delay(700);
    let slow = taps(&app, &unit, &line, Duration::from_secs(3));
    assert_eq!(slow.len(), 4);
    let result = syncing.join().unwrap();
    assert!(result.is_ok(), "{result:?}");

    // Back to normal: the tablet and the server agree.
    proxy.set_delay(0);
    let status = app.call("sync_now", serde_json::json!({})).unwrap();
    assert_eq!(status["sync"]["pending_changes"], 0, "{status}");
    assert_eq!(status["sync"]["running"], false);
}
