//! Sign-in under load, against the server binary in a child process: 100
//! concurrent bad sign-ins keep its peak memory bounded (password hashing
//! is limited to a few at once; the rest wait, or are told the server is
//! busy), and it keeps serving. And the server's operator (the command
//! line) may reset another CS admin's password, which the console refuses.

mod common;

use common::{free_port, SERVER};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(dir: &std::path::Path, port: u16) -> Running {
    let config = dir.join("settings.toml");
    // Throttling out of the way: what is measured is the bound on hashing.
    std::fs::write(&config, "[auth]\naccount_failures = 100000\naddress_failures = 100000\n").unwrap();
    let db = dir.join("server.sqlite");
    Running(common::spawn(&db, port, &[("WALKTHROUGH_CONFIG", &config)], Duration::from_secs(20)))
}

/// Peak resident memory of a process, in MB.
fn peak_mb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM in /proc/PID/status");
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() / 1024
}

#[test]
fn a_hundred_concurrent_bad_sign_ins_keep_the_servers_memory_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite");
    let seeded =
        Command::new(SERVER).arg("seed-demo").env("WALKTHROUGH_DATABASE", &db).stdout(Stdio::null()).status().unwrap();
    assert!(seeded.success());
    let port = free_port();
    let server = start(dir.path(), port);
    let url = format!("http://127.0.0.1:{port}");
    let before = peak_mb(server.0.id());

    let barrier = std::sync::Arc::new(std::sync::Barrier::new(100));
    let threads: Vec<_> = (0..100)
        .map(|i| {
            let (url, barrier) = (url.clone(), barrier.clone());
            std::thread::spawn(move || {
                let client = {
                    walkthrough_client::tls::install_default_provider();
                    reqwest::blocking::Client::builder()
                }
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap();
                barrier.wait();
                let user = if i % 2 == 0 { "u-insp-li".to_owned() } else { format!("nobody-{i}") };
                let r = client
                    .post(format!("{url}/api/v1/auth/login"))
                    .json(&serde_json::json!({ "username": user, "password": "wrong" }))
                    .send()
                    .unwrap();
                let status = r.status().as_u16();
                let body: serde_json::Value = r.json().unwrap_or_default();
                (status, body["error"].as_str().unwrap_or("").to_owned())
            })
        })
        .collect();
    let answers: Vec<(u16, String)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let peak = peak_mb(server.0.id());
    for (status, error) in &answers {
        match status {
            401 => assert_eq!(error, "wrong username or password"),
            503 => assert_eq!(error, "the server is busy; try again in a moment"),
            other => panic!("unexpected answer {other}: {error}"),
        }
    }
    assert!(answers.iter().filter(|(s, _)| *s == 401).count() >= 50, "{answers:?}");
    // Without the bound each of the 100 hashes holds ~19 MB at once (1.9 GB).
    assert!(peak < 400, "peak resident memory {peak} MB (before the sign-ins {before} MB)");

    // Still serving, and a right password still works.
    let r = {
        walkthrough_client::tls::install_default_provider();
        reqwest::blocking::Client::new()
    }
    .post(format!("{url}/api/v1/auth/login"))
    .json(&serde_json::json!({ "username": "u-insp-li", "password": "demo" }))
    .send()
    .unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn the_operator_may_reset_a_cs_admins_password_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite");
    let run = |args: &[&str]| {
        let out = Command::new(SERVER).args(args).env("WALKTHROUGH_DATABASE", &db).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(&["seed-demo"]);
    let out = run(&["reset-password", "hj-lanting", "u-cs-zhao", "--by", "u-cs-wang"]);
    let password = out.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(out.starts_with("new temporary password of u-cs-zhao: ") && password.len() == 12, "{out}");
    use walkthrough_server::store::Store;
    let store = walkthrough_server::store::SqliteStore::open(&db).unwrap();
    let zhao = store.user_by_name("u-cs-zhao").unwrap().unwrap();
    assert!(walkthrough_server::auth::verify_password(&password, &zhao.password_hash));
    assert!(store.must_change_password(&zhao.id).unwrap(), "a reset password is temporary");
}
