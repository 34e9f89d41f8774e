//! The simulator's three rounds against the real server over HTTPS on
//! 127.0.0.1, its certificate signed by a company CA made at test time that
//! the tablets are given as their CA file; without it they refuse the
//! server in words.

use std::process::Command;
use std::sync::Arc;
use walkthrough_e2e::tls::TestCa;
use walkthrough_e2e::Server;
use walkthrough_server::store::SqliteStore;

#[test]
fn three_rounds_over_https_trusting_the_company_ca_and_refused_without_it() {
    let ca = TestCa::new("Walkthrough Test Company CA");
    let cert = ca.server_cert("server");
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("server.sqlite")).unwrap());
    walkthrough_server::seed::import_project(store.as_ref(), &walkthrough_fixtures::demo_project(), "demo").unwrap();
    let server = Server::start_with(dir.path(), "127.0.0.1:0", store, |s| {
        s.tls.cert = Some(cert.cert.clone());
        s.tls.key = Some(cert.key.clone());
    });
    assert!(server.url.starts_with("https://"));
    let sim = env!("CARGO_BIN_EXE_walkthrough-sim");

    // Not given the CA: refused in words before anything is done.
    let out = Command::new(sim)
        .args(["--server", &server.url, "--rounds", "1", "--lang", "en"])
        .env_remove(walkthrough_client::tls::CA_FILE_VAR)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a server nobody vouches for was accepted");
    assert!(stderr.contains("the server's certificate is not trusted"), "{stderr}");

    // Given it (as the tablet app is, by WALKTHROUGH_CA_FILE): three rounds,
    // every replica equal to the server's state.
    let out = Command::new(sim)
        .args(["--server", &server.url, "--rounds", "3", "--lang", "en"])
        .env(walkthrough_client::tls::CA_FILE_VAR, ca.file())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the simulator failed over HTTPS:\n{stdout}\n{stderr}");
    assert!(stdout.contains("Every tablet agrees with the server."), "{stdout}");
}
