//! The harness itself: the real server serves `ui/dist` and headless
//! Chromium loads it.

use walkthrough_e2e::*;

#[test]
fn chromium_loads_the_served_front_end() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let out = run_browser_script("smoke.mjs", &[&server.url]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["status"], 200, "{out}");
    assert_eq!(v["hasRoot"], true, "{out}");
}
