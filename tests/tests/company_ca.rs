//! The company certificate (CA, PEM) an inspector or the IT person chooses on
//! the tablet's sign-in screen, through the same `App` commands the window
//! calls, against a server over HTTPS whose certificate a company's own
//! authority issued: refused in words without it (never "offline"); files
//! that are not a PEM certificate refused in words with nothing kept; the
//! right one kept in the tablet's store across restarts and trusted by every
//! sign-in and sync; `WALKTHROUGH_CA_FILE` overriding it for a managed
//! install. (One test in this binary: it sets the variable.)

use base64::Engine as _;
use std::sync::Arc;
use walkthrough_client::app::App;
use walkthrough_e2e::tls::TestCa;
use walkthrough_e2e::Server;
use walkthrough_server::store::SqliteStore;

const PROJECT: &str = "hj-lanting";

/// A file as the window sends it (`FileReader.readAsDataURL`).
fn data_url(bytes: &[u8]) -> String {
    format!("data:application/x-x509-ca-cert;base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// The DER bytes of the first certificate of `pem`.
fn der_of(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(b64).unwrap()
}

#[test]
fn a_company_certificate_chosen_on_the_tablet_is_checked_kept_across_restarts_and_trusted_by_every_sync() {
    std::env::remove_var(walkthrough_client::tls::CA_FILE_VAR);
    let company = TestCa::new("Walkthrough Test Company CA");
    let rogue = TestCa::new("Somebody Else's CA");
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("server.sqlite")).unwrap());
    walkthrough_server::seed::import_project(store.as_ref(), &walkthrough_fixtures::demo_project(), "demo").unwrap();
    let server = Server::start_https(dir.path(), "127.0.0.1:0", store, &company, "server");
    let url = server.url.clone();
    let addr = url.trim_start_matches("https://").to_owned();
    let tablet = tempfile::tempdir().unwrap();

    // Without the company's certificate: refused as a certificate problem,
    // saying what can be done about it here; nobody is signed in.
    let mut app = App::open(tablet.path()).unwrap();
    assert!(app.status().unwrap().trust.company_ca.is_none());
    let e = app.sign_in(url.clone(), "u-insp-li".into(), "demo".into()).unwrap_err();
    assert_eq!(e.kind, "certificate", "{e:?}");
    assert!(e.message.starts_with("the server's certificate is not trusted: "), "{}", e.message);
    assert!(
        e.message.contains("add its certificate (CA, PEM) on this tablet under \"Company certificate\""),
        "{}",
        e.message
    );
    assert!(!e.message.contains("cannot be reached"), "{}", e.message);
    assert!(app.status().unwrap().session.is_none());

    // Files that are not a PEM certificate: refused in words, nothing kept.
    let key = company.server_cert("leaf").key_pem;
    let broken = "-----BEGIN CERTIFICATE-----\nthis is not base64 at all!\n-----END CERTIFICATE-----\n";
    let garbled = "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
    let cases: Vec<(&str, String, &str)> = vec![
        ("notes.txt", "hello, this is not a certificate".into(), "is not a PEM certificate: it holds no certificate"),
        ("server.key", key.clone(), "is not a PEM certificate: it holds a private key"),
        ("server.key", data_url(key.as_bytes()), "it holds a private key"),
        ("empty.pem", "  \n".into(), "is empty"),
        ("company.der", data_url(&der_of(&company.pem)), "binary (DER) certificate; export it as PEM"),
        ("broken.pem", broken.into(), "is not a PEM certificate file"),
        ("garbled.pem", garbled.into(), "cannot be trusted as an authority"),
        ("photo.jpg", data_url(&[0xff, 0xd8, 0xff, 0xe0, 0, 0x10, b'J', b'F']), "is not a PEM certificate"),
        ("huge.pem", "A".repeat(3 * 1024 * 1024), "too large"),
        // A certificate with its key in one file (a server's combined PEM):
        // the key must never be copied to tablets.
        ("combined.pem", format!("{}{key}", company.pem), "holds a private key beside its certificate"),
    ];
    for (name, data, expected) in &cases {
        let e = app.set_company_ca(name.to_string(), data.clone()).unwrap_err();
        assert_eq!(e.kind, "invalid", "{name}: {e:?}");
        assert!(e.message.starts_with(name), "{name}: {}", e.message);
        assert!(e.message.contains(expected), "{name}: {}", e.message);
        assert!(app.status().unwrap().trust.company_ca.is_none(), "{name}: nothing kept");
    }

    // The company's certificate, as the window sends it: kept and shown
    // with its fingerprint (SHA-256 of the certificate).
    let status = app.set_company_ca("company-ca.pem".into(), data_url(company.pem.as_bytes())).unwrap();
    let ca = status.trust.company_ca.expect("kept");
    assert_eq!((ca.file_name.as_str(), ca.certificates), ("company-ca.pem", 1));
    let expected_fp = {
        use sha2::Digest;
        sha2::Sha256::digest(der_of(&company.pem)).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
    };
    assert_eq!(ca.fingerprint, expected_fp);
    assert_eq!(status.trust.ca_file_override, None);

    // Signed in, and the first sync brought the project.
    let status = app.sign_in(url.clone(), "u-insp-li".into(), "demo".into()).unwrap();
    assert!(status.sync.last_error.is_none(), "{status:?}");
    let session = status.session.expect("signed in");
    assert!(session.projects.iter().any(|p| p.id == PROJECT), "{session:?}");
    drop(app);

    // After a restart (the file it came from gone): still kept, and a
    // sync with work on it goes through.
    std::fs::remove_file(company.file()).unwrap();
    let mut app = App::open(tablet.path()).unwrap();
    let status = app.status().unwrap();
    assert_eq!(status.trust.company_ca.as_ref().map(|c| c.file_name.as_str()), Some("company-ca.pem"));
    walkthrough_e2e::record_a_result(&mut app, PROJECT);
    assert!(app.status().unwrap().sync.pending_changes > 0);
    let status = app.sync_now().unwrap();
    assert_eq!(status.sync.pending_changes, 0, "{status:?}");

    // A wrong file later does not replace the kept certificate.
    app.set_company_ca("notes.txt".into(), "hello".into()).unwrap_err();
    assert_eq!(app.status().unwrap().trust.company_ca.map(|c| c.file_name), Some("company-ca.pem".to_owned()));

    // Another authority's certificate at the server's address: refused,
    // saying the chosen certificate did not issue it.
    let store = server.stop();
    let impostor = Server::start_https(dir.path(), &addr, store, &rogue, "impostor");
    let e = app.sync_now().unwrap_err();
    assert_eq!(e.kind, "certificate", "{e:?}");
    assert!(
        e.message.contains("the company certificate chosen on this tablet (company-ca.pem) did not issue it"),
        "{}",
        e.message
    );

    // A managed install: WALKTHROUGH_CA_FILE is trusted instead of the
    // chosen certificate (here the other authority's, so that server is
    // trusted now), and the status says so.
    std::env::set_var(walkthrough_client::tls::CA_FILE_VAR, rogue.file());
    let status = app.sync_now().unwrap();
    assert_eq!(status.trust.ca_file_override, Some(rogue.file().display().to_string()));
    assert!(status.sync.last_error.is_none(), "{status:?}");
    std::env::remove_var(walkthrough_client::tls::CA_FILE_VAR);
    assert_eq!(app.sync_now().unwrap_err().kind, "certificate", "the chosen certificate again");

    // Removed: the system's roots only, kept so across a restart.
    let store = impostor.stop();
    let _server = Server::start_https(dir.path(), &addr, store, &company, "server-again");
    let status = app.clear_company_ca().unwrap();
    assert!(status.trust.company_ca.is_none());
    drop(app);
    let mut app = App::open(tablet.path()).unwrap();
    assert!(app.status().unwrap().trust.company_ca.is_none());
    let e = app.sync_now().unwrap_err();
    assert_eq!(e.kind, "certificate", "{e:?}");
    assert!(e.message.contains("under \"Company certificate\""), "{}", e.message);
}
