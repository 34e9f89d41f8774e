//! The real tablet app (the Tauri binary) under Xvfb, driven through
//! tauri-driver / WebKitWebDriver by `data-testid`, against the real server:
//! sign in, inspect a unit with two failed items (one with a marked photo
//! and a floor-plan pin), go offline, record more, come back and sync; a
//! second inspector's app sees the defects; round 2 rechecks one as passed
//! and one as failed again; the first app restarts with everything there.
//! Screenshots of the main screens go to docs/screenshots/. And the unit
//! grid, a unit and the defect form pass axe-core in both languages, the
//! form being a dialog that Escape closes; Tab reaches "add photo" and the
//! floor plan, whose pin the arrow keys move and Enter places, and the markup
//! editor gives focus back to the photo that opened it. The company
//! certificate chosen on the sign-in screen lets the app sign in to, and
//! sync with, a server over HTTPS whose certificate a company's own
//! authority issued.
//!
//! Needs what `scripts/test` provides: the app built
//! (`cargo build -p walkthrough-app`), tauri-driver, WebKitWebDriver, Xvfb
//! and ImageMagick's `import`.

use fantoccini::{elements::Element, Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use walkthrough_e2e::*;

/// An X display of our own, the WebDriver bridge, and screenshots of both.
struct Desktop {
    display: String,
    xvfb: Child,
    driver: Child,
    port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn app_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("WALKTHROUGH_APP_BIN") {
        return p.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
    let bin = target.join("debug/walkthrough-app");
    assert!(
        bin.exists(),
        "{} is missing: build the app first (scripts/test does: cargo build -p walkthrough-app)",
        bin.display()
    );
    bin
}

fn tauri_driver() -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let candidates = [home.join(".cargo/bin/tauri-driver"), PathBuf::from("/usr/local/bin/tauri-driver")];
    candidates
        .into_iter()
        .find(|p| p.exists())
        .expect("tauri-driver is missing: scripts/test installs it (cargo install tauri-driver --locked --version ^2)")
}

impl Desktop {
    fn start() -> Self {
        // Each desktop of this process its own display (the tests run in parallel).
        static STARTED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = 90 + (std::process::id() % 9) + 10 * STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let display = format!(":{n}");
        let xvfb = Command::new("Xvfb")
            .args([display.as_str(), "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is missing: scripts/test installs it (Debian package xvfb)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
            assert!(Instant::now() < deadline, "Xvfb did not start on {display}");
            std::thread::sleep(Duration::from_millis(100));
        }
        let port = free_port();
        let driver = Command::new(tauri_driver())
            .args(["--port", &port.to_string(), "--native-port", &free_port().to_string()])
            .env("DISPLAY", &display)
            // Background sync would race the test's own sync taps.
            .env("WALKTHROUGH_SYNC_EVERY_SECS", "3600")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver failed to start");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tauri-driver did not listen on {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { display, xvfb, driver, port }
    }

    /// The app with its own data directory: a tablet.
    async fn open_app(&self, data: &Path) -> Client {
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({
                "application": app_binary(),
                "args": ["--data-dir", data],
            }),
        );
        let c = ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a WebDriver session with the app");
        wait_attr(&c, "[data-testid=app-root]", "data-ready", "1").await;
        c
    }

    /// A screenshot of the whole display (what a person would see).
    fn screenshot(&self, name: &str) {
        std::thread::sleep(Duration::from_millis(600));
        let dir = root().join("docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join(format!("{name}.png"));
        let status = Command::new("import")
            .args(["-display", &self.display, "-window", "root", out.to_str().unwrap()])
            .status()
            .expect("ImageMagick's import is missing: scripts/test installs it");
        assert!(status.success(), "screenshot {name} failed");
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        // SIGTERM, so tauri-driver stops its WebKitWebDriver too.
        let _ = Command::new("kill").arg(self.driver.id().to_string()).status();
        let _ = self.driver.wait();
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}

const WAIT: Duration = Duration::from_secs(30);

async fn el(c: &Client, testid: &str) -> Element {
    match c.wait().at_most(WAIT).for_element(Locator::Css(&format!("[data-testid=\"{testid}\"]"))).await {
        Ok(e) => e,
        Err(e) => {
            let html = c.source().await.unwrap_or_default();
            panic!("no element with data-testid={testid}: {e}; page:\n{}", &html[..html.len().min(6000)])
        }
    }
}

async fn css(c: &Client, selector: &str) -> Element {
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("no element {selector}: {e}"))
}

async fn tap(c: &Client, testid: &str) {
    // The page re-renders after every answer from the app: an element found
    // a moment ago may have been replaced; find it again.
    for attempt in 0.. {
        match el(c, testid).await.click().await {
            Ok(_) => return,
            Err(e) if attempt < 10 => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot tap {testid}: {e}"),
        }
    }
}

/// Tap the middle of the highlighted room on the defect form's floor plan
/// (an SVG polygon, which WebDriver cannot click as an element): a pointer
/// moved there in viewport coordinates, pressed and released.
async fn tap_room_on_plan(c: &Client) {
    use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
    // The form renders after the app answers: wait for the room to be drawn.
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid=plan] .room.current polygon"))
        .await
        .expect("the defect form's plan highlights the room");
    let at = c
        .execute(
            "const r = document.querySelector('[data-testid=plan] .room.current polygon').getBoundingClientRect();\
             return [r.x + r.width / 2, r.y + r.height / 2];",
            vec![],
        )
        .await
        .unwrap();
    let (x, y) = (at[0].as_f64().unwrap(), at[1].as_f64().unwrap());
    let tap = MouseActions::new("finger".into())
        .then(PointerAction::MoveTo { duration: None, x, y })
        .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
        .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
    c.perform_actions(tap).await.unwrap();
}

async fn tap_css(c: &Client, selector: &str) {
    for attempt in 0.. {
        match css(c, selector).await.click().await {
            Ok(_) => return,
            Err(e) if attempt < 10 => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot tap {selector}: {e}"),
        }
    }
}

async fn select_round(c: &Client, round: &str) {
    for attempt in 0.. {
        match el(c, "round-select").await.select_by_value(round).await {
            Ok(_) => break,
            Err(e) if attempt < 10 => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot choose round {round}: {e}"),
        }
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
}

async fn type_into(c: &Client, testid: &str, text: &str) {
    let e = el(c, testid).await;
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// Wait until the element matching `selector` has `attr` = `value`.
async fn wait_attr(c: &Client, selector: &str, attr: &str, value: &str) -> Element {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(e) = c.find(Locator::Css(selector)).await {
            if e.attr(attr).await.ok().flatten().as_deref() == Some(value) {
                return e;
            }
        }
        if Instant::now() > deadline {
            let html = c.source().await.unwrap_or_default();
            panic!("{selector} never had {attr}={value:?}; page:\n{}", &html[..html.len().min(4000)]);
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn wait_text(c: &Client, testid: &str, text: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        if el(c, testid).await.text().await.ok().as_deref() == Some(text) {
            return;
        }
        assert!(Instant::now() < deadline, "{testid} never showed {text:?}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn wait_gone(c: &Client, testid: &str) {
    let deadline = Instant::now() + WAIT;
    while c.find(Locator::Css(&format!("[data-testid=\"{testid}\"]"))).await.is_ok() {
        assert!(Instant::now() < deadline, "{testid} did not close");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn sign_in(c: &Client, url: &str, user: &str) {
    type_into(c, "signin-server", url).await;
    type_into(c, "signin-username", user).await;
    type_into(c, "signin-password", "demo").await;
    tap(c, "signin-submit").await;
    el(c, "unit-grid").await;
}

/// Fail the first checklist line not yet recorded in the current room and fill the form.
async fn fail_item(c: &Client, spot: &str, description: &str) {
    tap_css(c, ".item[data-outcome=\"\"] button.fail").await;
    el(c, "defect-form").await;
    type_into(c, "defect-spot", spot).await;
    type_into(c, "defect-description", description).await;
}

async fn save_defect(c: &Client) {
    tap(c, "defect-save").await;
    wait_gone(c, "defect-form").await;
}

async fn sync(c: &Client) {
    let before = el(c, "sync-status").await.attr("data-last").await.unwrap().unwrap_or_default();
    tap(c, "sync-button").await;
    // Done when the last-sync time moved on, nothing is pending and nothing runs.
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(e) = c.find(Locator::Css("[data-testid=sync-status]")).await {
            let attr = |name: &'static str| {
                let e = e.clone();
                async move { e.attr(name).await.ok().flatten().unwrap_or_default() }
            };
            let (last, pending, running) =
                (attr("data-last").await, attr("data-pending").await, attr("data-running").await);
            if last != before && pending == "0" && running == "0" {
                return;
            }
        }
        assert!(Instant::now() < deadline, "the sync did not finish");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn count_defects(c: &Client) -> String {
    el(c, "tab-defects").await.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inspectors_walk_a_unit_offline_sync_recheck_and_restart_in_the_real_app() {
    let data = tempfile::tempdir().unwrap();
    let server_dir = data.path().join("server");
    std::fs::create_dir_all(&server_dir).unwrap();
    // (The server runs its own runtime: start and stop it from plain threads.)
    let server = {
        let dir = server_dir.clone();
        std::thread::spawn(move || Server::demo(&dir)).join().unwrap()
    };
    let url = server.url.clone();
    let desktop = Desktop::start();
    let tablet_a = data.path().join("tablet-li");
    let tablet_b = data.path().join("tablet-liu");
    let photo = walkthrough_fixtures::demo_dir().join("photos/wall_crack.jpg");

    // ---- Inspector 李 signs in and walks a unit.
    let c = desktop.open_app(&tablet_a).await;
    el(&c, "signin").await;
    // A wrong password is said in words and the form stays filled.
    type_into(&c, "signin-server", &url).await;
    type_into(&c, "signin-username", "u-insp-li").await;
    type_into(&c, "signin-password", "nope").await;
    tap(&c, "signin-submit").await;
    let err = el(&c, "signin-error").await.text().await.unwrap();
    assert!(err.contains("wrong account or password"), "{err}");
    assert_eq!(el(&c, "signin-username").await.prop("value").await.unwrap().as_deref(), Some("u-insp-li"));
    sign_in(&c, &url, "u-insp-li").await;
    // Today is after round 3 began; this walk is round 1's.
    select_round(&c, "1").await;
    wait_attr(&c, "button.unit.mine", "data-status", "not_started").await;
    desktop.screenshot("unit-grid");

    tap_css(&c, "button.unit.mine").await;
    let unit = el(&c, "unit-view").await.attr("data-unit").await.unwrap().unwrap();

    // First failed item: a photo with a circle and a label, and a pin on the plan.
    fail_item(&c, "north wall, 1.2 m above floor", "hairline crack").await;
    el(&c, "photo-input").await.send_keys(photo.to_str().unwrap()).await.unwrap();
    wait_attr(&c, "[data-testid=photo-thumb-0] img", "data-loaded", "1").await;
    let shown_ms: f64 = c
        .execute("return (window.__photoTimings && Object.values(window.__photoTimings)[0]) || -1", vec![])
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    println!("photo visible as a thumbnail {shown_ms:.0} ms after it was chosen");
    assert!(shown_ms >= 0.0, "the thumbnail timing was not recorded");
    tap(&c, "photo-thumb-0").await;
    el(&c, "markup-editor").await;
    wait_attr(&c, "[data-testid=markup-surface] img", "data-loaded", "1").await;
    tap(&c, "tool-circle").await;
    tap(&c, "markup-surface").await;
    wait_text(&c, "mark-count", "1").await;
    tap(&c, "tool-arrow").await;
    tap(&c, "markup-surface").await;
    tap(&c, "markup-undo").await;
    tap(&c, "tool-label").await;
    type_into(&c, "markup-label-text", "裂缝").await;
    tap(&c, "markup-surface").await;
    let marks = el(&c, "markup-marks").await.html(false).await.unwrap();
    assert!(marks.contains("<circle") && marks.contains("裂缝") && !marks.contains("<line"), "{marks}");
    desktop.screenshot("markup-editor");
    tap(&c, "markup-done").await;
    // The pin goes inside the defect's room (the highlighted outline): a
    // pin outside an outlined room is refused.
    tap_room_on_plan(&c).await;
    el(&c, "pin-set").await;
    save_defect(&c).await;

    // Second failed item, no photo.
    fail_item(&c, "door frame", "paint drips").await;
    save_defect(&c).await;
    assert!(count_defects(&c).await.contains('2'));
    desktop.screenshot("walkthrough");
    sync(&c).await;

    // ---- Offline: record more, the app says it is offline and keeps the work.
    let store = std::thread::spawn(move || server.stop()).join().unwrap();
    fail_item(&c, "window sill", "sealant gap").await;
    save_defect(&c).await;
    tap(&c, "sync-button").await;
    wait_attr(&c, "[data-testid=error-banner]", "data-kind", "offline").await;
    wait_attr(&c, "[data-testid=sync-status]", "data-pending", "1").await;
    el(&c, "offline").await;

    // ---- Back online.
    let addr = url.trim_start_matches("http://").to_owned();
    let server = {
        let dir = server_dir.clone();
        std::thread::spawn(move || Server::start(&dir, &addr, store)).join().unwrap()
    };
    sync(&c).await;
    c.close().await.unwrap();

    // ---- Inspector 刘 (same building) sees all three; round 2 rechecks two of them.
    let c = desktop.open_app(&tablet_b).await;
    sign_in(&c, &url, "u-insp-liu").await;
    tap(&c, &format!("unit-{unit}")).await;
    assert!(count_defects(&c).await.contains('3'));
    tap(&c, "tab-defects").await;
    // The marked photo arrives from the server with its marks.
    let figure = css(&c, "[data-testid^=\"defect-photo-\"] .overlay").await.html(false).await.unwrap();
    assert!(figure.contains("<circle") && figure.contains("裂缝"), "{figure}");
    tap(&c, "back").await;
    select_round(&c, "2").await;
    tap(&c, &format!("unit-{unit}")).await;
    tap(&c, "tab-recheck").await;
    let queue = c.find_all(Locator::Css("[data-testid^=\"recheck-open-\"]")).await.unwrap();
    assert_eq!(queue.len(), 3, "every open defect of round 1 is in the round-2 queue");
    desktop.screenshot("recheck-queue");
    tap_css(&c, "[data-testid^=\"recheck-open-\"]").await;
    tap(&c, "recheck-pass").await;
    wait_gone(&c, "recheck-modal").await;
    tap_css(&c, "[data-testid^=\"recheck-open-\"]").await;
    // Failing again needs a note: the error shows, the modal stays.
    tap(&c, "recheck-fail").await;
    el(&c, "recheck-error").await;
    type_into(&c, "recheck-note", "still cracked").await;
    tap(&c, "recheck-fail").await;
    wait_gone(&c, "recheck-modal").await;
    let done = c.find_all(Locator::Css("[data-testid^=\"recheck-done-\"]")).await.unwrap();
    assert_eq!(done.len(), 2);
    let failed_again = c.find_all(Locator::Css("[data-done=\"false\"]")).await.unwrap();
    assert_eq!(failed_again.len(), 1);
    sync(&c).await;
    c.close().await.unwrap();

    // ---- In the basement: 刘's app restarts with the server stopped; 李's
    // marked photo (kept as a preview when 刘 first saw it online) still
    // renders, with its marks.
    let store = std::thread::spawn(move || server.stop()).join().unwrap();
    let c = desktop.open_app(&tablet_b).await;
    el(&c, "unit-grid").await;
    select_round(&c, "1").await;
    tap(&c, &format!("unit-{unit}")).await;
    tap(&c, "tab-defects").await;
    let img = wait_attr(&c, "[data-testid^=\"defect-photo-\"] img", "data-loaded", "1").await;
    let width = c.execute("return arguments[0].naturalWidth", vec![serde_json::to_value(&img).unwrap()]).await.unwrap();
    assert!(width.as_f64().unwrap_or(0.0) > 0.0, "the photo renders offline: naturalWidth {width}");
    let figure = css(&c, "[data-testid^=\"defect-photo-\"] .overlay").await.html(false).await.unwrap();
    assert!(figure.contains("<circle") && figure.contains("裂缝"), "{figure}");
    desktop.screenshot("offline-photos");
    c.close().await.unwrap();
    let server = {
        let dir = server_dir.clone();
        let addr = url.trim_start_matches("http://").to_owned();
        std::thread::spawn(move || Server::start(&dir, &addr, store)).join().unwrap()
    };

    // ---- 李's app restarts: still signed in, everything there; sync brings 刘's rechecks.
    let c = desktop.open_app(&tablet_a).await;
    el(&c, "unit-grid").await;
    tap(&c, &format!("unit-{unit}")).await;
    assert!(count_defects(&c).await.contains('3'));
    sync(&c).await;
    tap(&c, "back").await;
    select_round(&c, "2").await;
    tap(&c, &format!("unit-{unit}")).await;
    tap(&c, "tab-defects").await;
    // (The tab renders again when the sync's results arrive: wait for them.)
    let started = std::time::Instant::now();
    let counts = loop {
        let verified = c.find_all(Locator::Css("[data-testid^=\"defect-\"][data-status=\"verified\"]")).await.unwrap();
        let failed =
            c.find_all(Locator::Css("[data-testid^=\"defect-\"][data-status=\"failed_recheck\"]")).await.unwrap();
        let counts = (verified.len(), failed.len());
        if counts == (1, 1) || started.elapsed() > WAIT {
            break counts;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(counts, (1, 1));
    c.close().await.unwrap();
    std::thread::spawn(move || drop(server)).join().unwrap();
}

/// axe-core and our own checks (`walkthrough_e2e::a11y`) on the screen the app shows now.
async fn audit(c: &Client) -> serde_json::Value {
    let loaded = c.execute("return typeof window.walkthroughA11yAudit === 'function'", vec![]).await.unwrap();
    if loaded != serde_json::Value::Bool(true) {
        c.execute(&format!("{}\n;return true;", walkthrough_e2e::a11y::audit_script()), vec![]).await.unwrap();
    }
    let script = "const done = arguments[arguments.length - 1];\
                  window.walkthroughA11yAudit().then(done, (e) => done({ error: String(e) }));";
    let v = c.execute_async(script, vec![]).await.unwrap();
    assert!(v.get("error").is_none(), "the audit failed: {v}");
    v
}

async fn press(c: &Client, key: &str) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key.chars().next().unwrap() })
        .then(KeyAction::Up { value: key.chars().next().unwrap() });
    c.perform_actions(keys).await.unwrap();
}

/// Press `key` with Shift held.
async fn press_shifted(c: &Client, key: &str) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let k = key.chars().next().unwrap();
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: '\u{e008}' })
        .then(KeyAction::Down { value: k })
        .then(KeyAction::Up { value: k })
        .then(KeyAction::Up { value: '\u{e008}' });
    c.perform_actions(keys).await.unwrap();
}

const TAB: &str = "\u{e004}";
const ENTER: &str = "\u{e007}";
const ESCAPE: &str = "\u{e00c}";
const ARROW_LEFT: &str = "\u{e012}";
const ARROW_UP: &str = "\u{e013}";
const ARROW_RIGHT: &str = "\u{e014}";

/// Press Tab (Shift+Tab when `back`) until the control `testid` has focus, at most `limit` times.
async fn tab_to(c: &Client, testid: &str, back: bool, limit: usize) {
    let mut seen = Vec::new();
    for _ in 0..limit {
        if back {
            press_shifted(c, TAB).await;
        } else {
            press(c, TAB).await;
        }
        let now = focused_testid(c).await;
        if now.as_deref() == Some(testid) {
            return;
        }
        seen.push(now.unwrap_or_else(|| "(no test id)".into()));
    }
    panic!("Tab never reached {testid} in {limit} presses; focus went {seen:?}");
}

/// The focused element's outline, as drawn (style and width).
async fn focus_ring(c: &Client, selector_from_focus: &str) -> (String, f64) {
    let v = c
        .execute(
            &format!(
                "const e = document.activeElement.closest('{selector_from_focus}'); const s = getComputedStyle(e);\
                 return [s.outlineStyle, parseFloat(s.outlineWidth) || 0];"
            ),
            vec![],
        )
        .await
        .unwrap();
    (v[0].as_str().unwrap_or("").to_owned(), v[1].as_f64().unwrap_or(0.0))
}

/// The keyboard's pin on the defect form's plan (else the placed pin): x, y, and both as the
/// page writes them (two decimals).
async fn plan_cursor(c: &Client) -> (f64, f64, String) {
    let v = c
        .execute(
            "const p = document.querySelector('[data-testid=plan] [data-testid=plan-cursor]') \
               || document.querySelector('[data-testid=plan] [data-testid=plan-pin]');\
             return p ? [Number(p.dataset.x), Number(p.dataset.y),\
               Number(p.dataset.x).toFixed(2) + ', ' + Number(p.dataset.y).toFixed(2)] : null;",
            vec![],
        )
        .await
        .unwrap();
    let a = v.as_array().unwrap_or_else(|| panic!("no pin on the plan: {v}"));
    (a[0].as_f64().unwrap(), a[1].as_f64().unwrap(), a[2].as_str().unwrap().to_owned())
}

async fn focused_testid(c: &Client) -> Option<String> {
    c.execute("return document.activeElement && document.activeElement.dataset.testid || null", vec![])
        .await
        .unwrap()
        .as_str()
        .map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tablets_grid_unit_and_defect_form_pass_axe_in_both_languages() {
    use walkthrough_e2e::a11y::{assert_clean, photo_alts};
    let data = tempfile::tempdir().unwrap();
    let server_dir = data.path().join("server");
    std::fs::create_dir_all(&server_dir).unwrap();
    // Round 1 played, with photos: units with defects to open.
    let server = {
        let dir = server_dir.clone();
        std::thread::spawn(move || {
            let server = Server::demo(&dir);
            seed_demo_rounds_with(&server.store, 1, 7, true);
            server
        })
        .join()
        .unwrap()
    };
    let desktop = Desktop::start();
    let c = desktop.open_app(&data.path().join("tablet-li")).await;
    let mut audits = serde_json::Map::new();
    el(&c, "signin").await;
    // The window's content security policy: a script put into the page (as
    // an unescaped value would be) never runs, while the app's own do.
    let injected = c
        .execute(
            "const s = document.createElement('script'); s.textContent = 'window.__injected = 1'; \
             document.body.appendChild(s); return window.__injected === 1",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(injected, serde_json::json!(false), "an inline script ran in the tablet's window: no CSP");
    let lang = |c: &Client| {
        let c = c.clone();
        async move { c.execute("return document.documentElement.lang", vec![]).await.unwrap().as_str().unwrap().to_owned() }
    };
    audits.insert(format!("signin.{}", lang(&c).await), audit(&c).await);
    sign_in(&c, &server.url, "u-insp-li").await;
    select_round(&c, "1").await;
    // A unit of mine with open defects.
    css(&c, "button.unit.mine .count").await;
    for _ in 0..2 {
        let l = lang(&c).await;
        audits.insert(format!("grid.{l}"), audit(&c).await);
        let unit = c
            .execute(
                "return document.querySelector('button.unit.mine .count').closest('button').dataset.testid",
                vec![],
            )
            .await
            .unwrap();
        tap(&c, unit.as_str().unwrap()).await;
        el(&c, "unit-view").await;
        audits.insert(format!("unit.{l}"), audit(&c).await);
        tap(&c, "tab-defects").await;
        // A defect with a photo, to open the markup editor from.
        css(&c, ".panel.defect .photos figure").await;
        let opener = c
            .execute(
                "return document.querySelector('.panel.defect .photos figure').closest('.panel.defect')\
                   .querySelector('[data-testid^=open-defect-]').dataset.testid",
                vec![],
            )
            .await
            .unwrap()
            .as_str()
            .expect("a defect with a photo has an edit button")
            .to_owned();
        audits.insert(format!("defects.{l}"), audit(&c).await);
        tap(&c, &opener).await;
        el(&c, "defect-form").await;
        audits.insert(format!("defect-form.{l}"), audit(&c).await);
        // A dialog: focus inside it, Escape closes it and gives focus back to what opened it.
        let inside = c.execute("return !!document.activeElement.closest('[role=dialog]')", vec![]).await.unwrap();
        assert_eq!(inside, serde_json::Value::Bool(true), "{l}: focus moves into the defect form");

        // By keyboard alone: Tab reaches "add photo" (a real file input, its label showing the
        // focus) and then the floor plan, which shows a focus ring.
        tab_to(&c, "photo-input", false, 40).await;
        let (style, width) = focus_ring(&c, "label").await;
        assert!(style != "none" && width >= 2.0, "{l}: the add-photo control shows focus: {style} {width}");
        tab_to(&c, "plan", false, 5).await;
        let (style, width) = focus_ring(&c, "[data-testid=plan]").await;
        assert!(style != "none" && width >= 2.0, "{l}: the plan shows focus: {style} {width}");
        // The arrow keys move the pin, the live note says where it is; Enter places it.
        let start = plan_cursor(&c).await;
        for key in [ARROW_RIGHT, ARROW_RIGHT, ARROW_UP] {
            press(&c, key).await;
        }
        let moved = plan_cursor(&c).await;
        assert!(
            // (Positions are kept to three decimals.)
            (moved.0 - start.0 - 0.02).abs() < 0.0015 && (start.1 - moved.1 - 0.01).abs() < 0.0015,
            "{l}: two steps right and one up moved the pin from {start:?} to {moved:?}"
        );
        let note = el(&c, "plan-note").await;
        assert_eq!(note.attr("aria-live").await.unwrap().as_deref(), Some("polite"));
        let said = note.text().await.unwrap();
        let (x, y) = moved.2.split_once(", ").unwrap();
        assert!(said.contains(x) && said.contains(y), "{l}: the note says where the pin is ({}): {said}", moved.2);
        press(&c, ARROW_LEFT).await;
        let moved = plan_cursor(&c).await;
        press(&c, ENTER).await;
        let deadline = Instant::now() + WAIT;
        while el(&c, "pin-set").await.text().await.unwrap_or_default().trim() != moved.2 {
            assert!(Instant::now() < deadline, "{l}: Enter did not place the pin at {}", moved.2);
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        assert_eq!(focused_testid(&c).await.as_deref(), Some("plan"), "{l}: focus stays on the plan");
        let placed = el(&c, "plan-note").await.text().await.unwrap();
        assert_ne!(placed, said, "{l}: the note says the pin was placed");

        // The markup editor opened from a photo by keyboard gives focus back to that photo when it
        // closes, by Escape or by Done.
        tab_to(&c, "photo-thumb-0", true, 10).await;
        for close in ["escape", "done"] {
            press(&c, ENTER).await;
            el(&c, "markup-editor").await;
            let inside = c
                .execute("return !!document.activeElement.closest('[data-testid=markup-editor]')", vec![])
                .await
                .unwrap();
            assert_eq!(inside, serde_json::Value::Bool(true), "{l}: focus moves into the markup editor");
            if close == "escape" {
                press(&c, ESCAPE).await;
            } else {
                tab_to(&c, "markup-done", false, 10).await;
                press(&c, ENTER).await;
            }
            wait_gone(&c, "markup-editor").await;
            el(&c, "defect-form").await;
            assert_eq!(
                focused_testid(&c).await.as_deref(),
                Some("photo-thumb-0"),
                "{l}: closing the markup editor ({close}) returns focus to the photo that opened it"
            );
        }
        press(&c, ESCAPE).await;
        wait_gone(&c, "defect-form").await;
        assert_eq!(focused_testid(&c).await.as_deref(), Some(opener.as_str()), "{l}: Escape returns focus");
        tap(&c, "back").await;
        el(&c, "unit-grid").await;
        tap(&c, "lang-toggle").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let audits = serde_json::Value::Object(audits);
    let expected: Vec<String> = ["grid", "unit", "defects", "defect-form"]
        .iter()
        .flat_map(|p| [format!("{p}.en"), format!("{p}.zh-CN")])
        .collect();
    assert_clean(&audits, &expected.iter().map(String::as_str).collect::<Vec<_>>());
    for (page, prefix) in [("defect-form.en", "Defect photo 1 of "), ("defect-form.zh-CN", "缺陷照片 1/")] {
        let alts = photo_alts(&audits[page]);
        assert!(alts.iter().any(|a| a.starts_with(prefix)), "{page}: {alts:?}");
    }
    c.close().await.unwrap();
    std::thread::spawn(move || drop(server)).join().unwrap();
}

/// The server over HTTPS with a certificate that `ca` issued, on the demo project.
fn https_demo_server(dir: &Path, ca: &walkthrough_e2e::tls::TestCa) -> Server {
    // (The server runs its own runtime: started from a plain thread.)
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let store = std::sync::Arc::new(
                    walkthrough_server::store::SqliteStore::open(&dir.join("server.sqlite")).expect("server database"),
                );
                walkthrough_server::seed::import_project(store.as_ref(), &walkthrough_fixtures::demo_project(), "demo")
                    .expect("demo project");
                Server::start_https(dir, "127.0.0.1:0", store, ca, "server")
            })
            .join()
            .unwrap()
    })
}

/// The company-certificate field's legend on the sign-in screen.
async fn legend(c: &Client) -> String {
    css(c, "[data-testid=company-ca] legend").await.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_company_certificate_is_chosen_on_the_sign_in_screen_and_trusted_by_sign_in_and_sync() {
    let company = walkthrough_e2e::tls::TestCa::new("Walkthrough Test Company CA");
    let data = tempfile::tempdir().unwrap();
    let server = https_demo_server(data.path(), &company);
    assert!(server.url.starts_with("https://127.0.0.1:"), "{}", server.url);
    let desktop = Desktop::start();
    let tablet = data.path().join("tablet-li");
    let c = desktop.open_app(&tablet).await;
    el(&c, "signin").await;

    // The optional field, in both languages.
    assert_eq!(legend(&c).await, "Company certificate (CA, PEM)");
    tap(&c, "lang-toggle").await;
    wait_attr(&c, "html", "lang", "zh-CN").await;
    assert_eq!(legend(&c).await, "公司证书（CA，PEM 格式）");
    tap(&c, "lang-toggle").await;
    wait_attr(&c, "html", "lang", "en").await;

    // Without the company's certificate: refused in words as a certificate
    // problem (not "offline"), saying the company certificate can be added.
    type_into(&c, "signin-server", &server.url).await;
    type_into(&c, "signin-username", "u-insp-li").await;
    type_into(&c, "signin-password", "demo").await;
    tap(&c, "signin-submit").await;
    let err = wait_attr(&c, "[data-testid=signin-error]", "data-kind", "certificate").await.text().await.unwrap();
    assert!(err.contains("the server's certificate is not trusted"), "{err}");
    assert!(err.contains("\"Company certificate\""), "{err}");
    assert!(!err.contains("cannot be reached") && !err.contains("Offline"), "{err}");
    let hint = el(&c, "signin-ca-hint").await.text().await.unwrap();
    assert!(hint.contains("Company certificate"), "{hint}");
    tap(&c, "lang-toggle").await;
    wait_attr(&c, "html", "lang", "zh-CN").await;
    let hint = el(&c, "signin-ca-hint").await.text().await.unwrap();
    assert!(hint.contains("公司证书"), "{hint}");
    tap(&c, "lang-toggle").await;
    wait_attr(&c, "html", "lang", "en").await;

    // A file that is not a PEM certificate: refused at once, nothing kept.
    let notes = data.path().join("notes.txt");
    std::fs::write(&notes, "the wifi password is on the fridge").unwrap();
    el(&c, "company-ca-input").await.send_keys(notes.to_str().unwrap()).await.unwrap();
    let refused = el(&c, "company-ca-error").await.text().await.unwrap();
    assert!(refused.contains("notes.txt is not a PEM certificate"), "{refused}");
    assert!(c.find(Locator::Css("[data-testid=company-ca-chosen]")).await.is_err(), "nothing kept");

    // The company's certificate: kept, shown by name and fingerprint.
    el(&c, "company-ca-input").await.send_keys(company.file().to_str().unwrap()).await.unwrap();
    let chosen = wait_attr(&c, "[data-testid=company-ca-chosen]", "data-file", "ca.pem").await;
    let shown = chosen.text().await.unwrap();
    assert!(shown.contains("1 certificate") && shown.contains("SHA-256"), "{shown}");
    assert!(c.find(Locator::Css("[data-testid=company-ca-error]")).await.is_err(), "the refusal is gone");
    desktop.screenshot("signin-company-ca");

    // Signed in over HTTPS (the form kept what was typed), and a sync works.
    tap(&c, "signin-submit").await;
    el(&c, "unit-grid").await;
    sync(&c).await;
    assert!(c.find(Locator::Css("[data-testid=error-banner]")).await.is_err(), "no error after the sync");
    c.close().await.unwrap();

    // After a restart the certificate is still trusted: another sync works.
    let c = desktop.open_app(&tablet).await;
    el(&c, "unit-grid").await;
    sync(&c).await;
    assert!(c.find(Locator::Css("[data-testid=error-banner]")).await.is_err(), "no error after the sync");

    // The company moves to another authority: the signed-in tablet's sync is
    // refused in words, and the error offers the field; the new certificate
    // chosen there is kept and the sync goes through.
    let other = walkthrough_e2e::tls::TestCa::new("Walkthrough Test Company CA 2");
    let cert = other.server_cert("server-2");
    let addr = server.url.trim_start_matches("https://").to_owned();
    let dir = data.path().to_owned();
    let server = std::thread::spawn(move || {
        let store = server.stop();
        Server::start_with(&dir, &addr, store, move |s| {
            s.tls.cert = Some(cert.cert.clone());
            s.tls.key = Some(cert.key.clone());
        })
    })
    .join()
    .unwrap();
    tap(&c, "sync-button").await;
    let banner = wait_attr(&c, "[data-testid=error-banner]", "data-kind", "certificate").await;
    let words = banner.text().await.unwrap();
    assert!(words.contains("the company certificate chosen on this tablet (ca.pem) did not issue it"), "{words}");
    assert!(c.find(Locator::Css("[data-testid=offline]")).await.is_err(), "not said to be offline");
    el(&c, "company-ca-input").await.send_keys(other.file().to_str().unwrap()).await.unwrap();
    wait_gone(&c, "error-banner").await;
    wait_attr(&c, "[data-testid=sync-status]", "data-running", "0").await;
    assert!(c.find(Locator::Css("[data-testid=error-banner]")).await.is_err(), "the sync went through");
    c.close().await.unwrap();
    std::thread::spawn(move || drop(server)).join().unwrap();
}
