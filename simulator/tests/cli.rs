//! The simulator's and the benchmarks' command lines: `--help`, `--version`,
//! and exit code 2 with a hint for what they do not know.

use std::process::Command;

fn run(bin: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(bin).args(args).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn every_simulator_binary_answers_help_and_version_and_refuses_what_it_does_not_know() {
    for (name, bin, option) in [
        ("walkthrough-sim", env!("CARGO_BIN_EXE_walkthrough-sim"), "--server <URL>"),
        ("walkthrough-report-bench", env!("CARGO_BIN_EXE_walkthrough-report-bench"), "[UNITS]"),
        ("walkthrough-sync-bench", env!("CARGO_BIN_EXE_walkthrough-sync-bench"), "Usage: walkthrough-sync-bench"),
    ] {
        let (code, out, _) = run(bin, &["--version"]);
        assert_eq!((code, out.trim()), (Some(0), format!("{name} {}", env!("CARGO_PKG_VERSION")).as_str()));
        let (code, out, _) = run(bin, &["--help"]);
        assert!(code == Some(0) && out.contains(option), "{name} --help:\n{out}");
        let (code, _, err) = run(bin, &["--rounds-of-golf", "3"]);
        assert_eq!(code, Some(2), "{name}: {err}");
        assert!(err.contains("unexpected argument '--rounds-of-golf'") && err.contains("--help"), "{name}: {err}");
    }
    let sim = env!("CARGO_BIN_EXE_walkthrough-sim");
    let (_, out, _) = run(sim, &["--help"]);
    for option in ["--project", "--password", "--rounds", "--seed", "--lang", "--ca-file"] {
        assert!(out.contains(option), "{option} missing:\n{out}");
    }
    let (code, _, err) = run(sim, &["--rounds", "3"]);
    assert!(code == Some(2) && err.contains("--server <URL>"), "{err}");
    let (code, _, err) = run(sim, &["--server", "http://127.0.0.1:9", "--rounds", "three"]);
    assert!(code == Some(2) && err.contains("invalid value 'three' for '--rounds"), "{err}");
    let (code, _, err) = run(env!("CARGO_BIN_EXE_walkthrough-report-bench"), &["many"]);
    assert!(code == Some(2) && err.contains("invalid value 'many'"), "{err}");
}
