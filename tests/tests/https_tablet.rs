//! The tablet app (the same `App` the window drives) against a server over
//! HTTPS: trusted through the company's CA file (`WALKTHROUGH_CA_FILE`), then
//! an impostor at the same address with a certificate of another authority.
//! The impostor is refused in words as a certificate problem, never as
//! "offline", and the inspector's work stays on the tablet until the real
//! server is back. (One test in this binary: it sets the variable.)

use std::sync::Arc;
use walkthrough_client::app::App;
use walkthrough_e2e::tls::TestCa;
use walkthrough_e2e::Server;
use walkthrough_server::store::SqliteStore;

const PROJECT: &str = "hj-lanting";

#[test]
fn a_certificate_the_tablet_does_not_trust_is_said_in_words_and_its_work_is_kept() {
    let company = TestCa::new("Walkthrough Test Company CA");
    let rogue = TestCa::new("Somebody Else's CA");
    std::env::set_var(walkthrough_client::tls::CA_FILE_VAR, company.file());

    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("server.sqlite")).unwrap());
    walkthrough_server::seed::import_project(store.as_ref(), &walkthrough_fixtures::demo_project(), "demo").unwrap();
    let server = Server::start_https(dir.path(), "127.0.0.1:0", store, &company, "server");
    let url = server.url.clone();
    let addr = url.trim_start_matches("https://").to_owned();

    // Signed in over HTTPS; one result recorded offline-style (committed locally).
    let tablet = tempfile::tempdir().unwrap();
    let mut app = App::open(tablet.path()).unwrap();
    let status = app.sign_in(url.clone(), "u-insp-li".into(), "demo".into()).unwrap();
    assert!(status.session.is_some() && status.sync.last_error.is_none(), "{status:?}");
    let (unit, room, item) = walkthrough_e2e::record_a_result(&mut app, PROJECT);
    let pending = app.status().unwrap().sync.pending_changes;
    assert!(pending > 0);

    // An impostor answers at the server's address.
    let store = server.stop();
    let impostor = Server::start_https(dir.path(), &addr, store.clone(), &rogue, "impostor");
    let e = app.sync_now().unwrap_err();
    assert_eq!(e.kind, "certificate", "{e:?}");
    assert!(e.message.starts_with("the server's certificate is not trusted: "), "{}", e.message);
    assert!(e.message.contains("not issued by an authority this device trusts"), "{}", e.message);
    assert!(e.message.contains("your work is kept on this tablet"), "{}", e.message);
    assert!(!e.message.contains("cannot be reached"), "{}", e.message);
    let status = app.status().unwrap();
    assert_eq!(status.sync.pending_changes, pending, "nothing was lost or marked synced");
    assert_eq!(status.sync.last_error.as_deref(), Some(e.message.as_str()));
    let view = app.open_unit(PROJECT.into(), unit.clone(), 1).unwrap();
    let line = view.rooms.iter().find(|r| r.id == room).unwrap().items.iter().find(|i| i.code == item).unwrap();
    assert_eq!(line.outcome.as_deref(), Some("pass"), "the result is still on the tablet");

    // A fresh tablet cannot sign in to the impostor (the password never leaves).
    let other = tempfile::tempdir().unwrap();
    let mut fresh = App::open(other.path()).unwrap();
    let e = fresh.sign_in(impostor.url.clone(), "u-insp-chen".into(), "demo".into()).unwrap_err();
    assert_eq!(e.kind, "certificate", "{e:?}");
    assert!(fresh.status().unwrap().session.is_none());

    // The real server back at its address: the work goes up.
    let store = impostor.stop();
    let _server = Server::start_https(dir.path(), &addr, store, &company, "server-again");
    let status = app.sync_now().unwrap();
    assert_eq!(status.sync.pending_changes, 0, "{status:?}");
    assert!(status.sync.last_error.is_none());
}
