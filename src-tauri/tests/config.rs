//! The app's window configuration points at files that exist: the UI it
//! shows (built into `ui/dist` by `npm run build`) and its icon. (Having an
//! integration test also makes `cargo test --workspace` build the
//! `walkthrough-app` binary, with the workspace's features, for the
//! end-to-end test in `tests/` to drive.)

use std::path::Path;

#[test]
fn the_window_shows_the_tablet_ui_and_has_its_icon() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let conf: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(here.join("tauri.conf.json")).unwrap()).unwrap();
    let dist = here.join(conf["build"]["frontendDist"].as_str().unwrap());
    let url = conf["app"]["windows"][0]["url"].as_str().unwrap();
    assert_eq!(url, "app/index.html");
    let source = here.join("../ui").join(url);
    assert!(source.is_file(), "{} is missing", source.display());
    assert!(dist.ends_with("ui/dist"), "the window shows the compiled UI, not the sources: {}", dist.display());
    assert!(conf["app"]["withGlobalTauri"].as_bool().unwrap(), "ui/app/ipc.ts calls window.__TAURI__");
    for icon in conf["bundle"]["icon"].as_array().unwrap() {
        assert!(here.join(icon.as_str().unwrap()).is_file(), "icon {icon} is missing");
    }
}
