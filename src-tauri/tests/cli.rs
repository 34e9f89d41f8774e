//! The tablet app's command line answers `--help` and `--version` without
//! opening a window (no display is needed), and refuses what it does not
//! know with exit code 2 and a hint.

use std::process::Command;

#[test]
fn the_app_answers_help_and_version_without_a_window() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_walkthrough-app"))
            .args(args)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, _) = run(&["--version"]);
    assert_eq!((code, out.trim()), (Some(0), format!("walkthrough-app {}", env!("CARGO_PKG_VERSION")).as_str()));
    let (code, out, _) = run(&["--help"]);
    assert!(code == Some(0) && out.contains("--data-dir <DIR>") && out.contains("WALKTHROUGH_DATA_DIR"), "{out}");
    let (code, _, err) = run(&["--data-dri", "/tmp/x"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("unexpected argument '--data-dri'") && err.contains("--data-dir") && err.contains("--help"),
        "{err}"
    );
    let (code, _, err) = run(&["--data-dir"]);
    assert!(code == Some(2) && err.contains("a value is required for '--data-dir <DIR>'"), "{err}");
}
