//! HTTPS end to end on 127.0.0.1, with a certificate authority made at test
//! time: the server over HTTPS with HSTS, a tablet's sync over it, refusals
//! of certificates nobody trusts, webhooks to an HTTPS receiver, email with
//! STARTTLS and with TLS from the first byte (and never in clear unless
//! configured), slow clients cut off, and the client address behind a
//! trusted proxy.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};
use walkthrough_client::sync::{SyncClient, SyncError};
use walkthrough_e2e::field::*;
use walkthrough_e2e::tls::*;
use walkthrough_e2e::*;
use walkthrough_server::config::{Settings, SmtpSettings, SmtpTls};
use walkthrough_server::dispatch_store::{DispatchStore, OutboxMessage};
use walkthrough_server::store::SqliteStore;

fn demo_server(dir: &std::path::Path, configure: impl FnOnce(&mut Settings)) -> Server {
    let store = Arc::new(SqliteStore::open(&dir.join("server.sqlite")).unwrap());
    walkthrough_server::seed::import_project(store.as_ref(), &walkthrough_fixtures::demo_project(), "demo").unwrap();
    Server::start_with(dir, "127.0.0.1:0", store, configure)
}

fn https(cert: &ServerCert) -> impl FnOnce(&mut Settings) {
    let (c, k) = (cert.cert.clone(), cert.key.clone());
    move |s: &mut Settings| {
        s.tls.cert = Some(c);
        s.tls.key = Some(k);
    }
}

/// A blocking client trusting only `ca`.
fn client_trusting_ca(ca: &TestCa) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().tls_backend_preconfigured(client_trusting(ca)).build().unwrap()
}

#[test]
fn the_server_serves_https_with_hsts_on_every_answer_and_a_tablet_syncs_over_it() {
    let ca = TestCa::new("Walkthrough Test Company CA");
    let cert = ca.server_cert("server");
    let dir = tempfile::tempdir().unwrap();
    let server = demo_server(dir.path(), https(&cert));
    assert!(server.url.starts_with("https://127.0.0.1:"), "{}", server.url);

    let http = client_trusting_ca(&ca);
    for (path, status) in [("/api/v1/health", 200), ("/ui/console/", 200), ("/api/v1/no-such-thing", 404)] {
        let res = http.get(format!("{}{path}", server.url)).send().unwrap();
        assert_eq!(res.status().as_u16(), status, "{path}");
        assert_eq!(
            res.headers().get("strict-transport-security").map(|v| v.to_str().unwrap()),
            Some("max-age=31536000"),
            "HSTS on {path}"
        );
    }

    // The tablet's sync client trusting the company's CA file: signs in and syncs.
    let tablet_dir = tempfile::tempdir().unwrap();
    let mut store = walkthrough_client::Store::open(&tablet_dir.path().join("tablet.sqlite")).unwrap();
    let mut client = SyncClient::with_ca_file(&server.url, Some(&ca.file()));
    client.login("u-insp-li", "demo").unwrap();
    let report = client.sync(&mut store, &project_id(), &mut |_| {}).unwrap();
    assert!(report.docs_received > 0, "{report:?}");

    // Without the CA file the same server is refused in words, at once, not as "offline".
    let mut untrusting = SyncClient::with_ca_file(&server.url, None);
    untrusting.backoff = Duration::from_secs(5);
    let started = Instant::now();
    match untrusting.login("u-insp-li", "demo") {
        Err(e @ SyncError::Certificate(_)) => {
            let words = e.to_string();
            assert!(words.starts_with("the server's certificate is not trusted: "), "{words}");
            assert!(words.contains("not issued by an authority this device trusts"), "{words}");
        }
        other => panic!("expected a certificate refusal, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5), "a certificate refusal is not retried");

    // A CA file that is not one is said so.
    let bogus = dir.path().join("not-a-ca.pem");
    write(&bogus, "hello");
    match SyncClient::with_ca_file(&server.url, Some(&bogus)).login("u-insp-li", "demo") {
        Err(e @ SyncError::Certificate(_)) => assert!(e.to_string().contains("holds no certificate"), "{e}"),
        other => panic!("expected the CA file refused, got {other:?}"),
    }

    // Plain HTTP (scripts/run, a TLS proxy in front) has no HSTS.
    // (Its folder kept while it runs: health reads the database file.)
    let plain_dir = tempfile::tempdir().unwrap();
    let plain = Server::demo(plain_dir.path());
    let res = walkthrough_e2e::http_client().get(format!("{}/api/v1/health", plain.url)).send().unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers().get("strict-transport-security").is_none());
}

#[test]
fn certificate_and_key_files_that_cannot_be_used_are_refused_in_words() {
    let ca = TestCa::new("Walkthrough Test Company CA");
    let cert = ca.server_cert("server");
    let other = ca.server_cert("other");
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    write(&garbage, "not a certificate");
    let check = |cert: Option<&std::path::Path>, key: Option<&std::path::Path>, expected: &str| {
        let mut s = Settings::default();
        s.tls.cert = cert.map(Into::into);
        s.tls.key = key.map(Into::into);
        let e = match walkthrough_server::net::tls_acceptor(&s) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{cert:?} / {key:?} accepted"),
        };
        assert!(e.contains(expected), "{e}");
    };
    check(Some(&cert.cert), None, "tls.cert is set but tls.key is not");
    check(None, Some(&cert.key), "tls.key is set but tls.cert is not");
    check(Some(&garbage), Some(&cert.key), "holds no certificate");
    check(Some(&cert.cert), Some(&garbage), "tls.key");
    check(Some(&dir.path().join("missing.crt")), Some(&cert.key), "missing.crt");
    check(Some(&cert.cert), Some(&other.key), "do not go together");
}

/// Whether the server closes `stream` within `guard`, calling `feed` every
/// 100 ms meanwhile (a slow client's next byte). Whatever the server sends
/// before closing is returned.
fn closed_within(stream: &mut TcpStream, guard: Duration, mut feed: impl FnMut(&mut TcpStream)) -> Option<Vec<u8>> {
    stream.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while start.elapsed() < guard {
        match stream.read(&mut buf) {
            Ok(0) => return Some(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => feed(stream),
            Err(_) => return Some(got),
        }
    }
    None
}

#[test]
fn slow_and_silent_clients_are_cut_off_and_others_still_served() {
    let ca = TestCa::new("Walkthrough Test Company CA");
    let cert = ca.server_cert("server");
    let timeouts = |s: &mut Settings| {
        s.http.header_timeout_secs = 1;
        s.http.body_timeout_secs = 1;
    };
    let dir = tempfile::tempdir().unwrap();
    let plain = demo_server(dir.path(), timeouts);
    let dir2 = tempfile::tempdir().unwrap();
    let tls_setup = https(&cert);
    let secure = demo_server(dir2.path(), move |s| {
        timeouts(s);
        tls_setup(s);
    });
    let guard = Duration::from_secs(15);

    // Opens a connection and sends nothing.
    let mut silent = raw_connect(&plain.url);
    assert!(closed_within(&mut silent, guard, |_| {}).is_some(), "a silent connection is closed");

    // Sends its headers one byte every 100 ms and never finishes them.
    let mut slow = raw_connect(&plain.url);
    slow.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n").unwrap();
    let mut n = 0u64;
    let dribble = closed_within(&mut slow, guard, |s| {
        n += 1;
        let _ = s.write_all(if n.is_multiple_of(20) { b"\r\nX-Slow: " } else { b"a" });
    });
    assert!(dribble.is_some(), "headers sent byte by byte are cut off ({n} bytes sent)");
    assert!(n < 100, "cut off after {n} bytes");

    // A request answered, then the connection left idle.
    let mut idle = raw_connect(&plain.url);
    idle.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let answered = closed_within(&mut idle, guard, |_| {}).expect("an idle kept-alive connection is closed");
    assert!(String::from_utf8_lossy(&answered).starts_with("HTTP/1.1 200"), "answered first");

    // A body that stops half way.
    let mut stalled = raw_connect(&plain.url);
    stalled
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
              Content-Length: 1000\r\n\r\n{\"username\":",
        )
        .unwrap();
    assert!(closed_within(&mut stalled, guard, |_| {}).is_some(), "a stalled body is cut off");

    // Over TLS: a connection that never says hello, and one that stops in
    // the middle of its headers.
    let mut silent_tls = raw_connect(&secure.url);
    assert!(closed_within(&mut silent_tls, guard, |_| {}).is_some(), "a silent TLS connection is closed");
    let config = Arc::new(client_trusting(&ca));
    let tcp = raw_connect(&secure.url);
    let conn = rustls::ClientConnection::new(config, "127.0.0.1".try_into().unwrap()).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a").unwrap();
    tls.sock.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    let cut = loop {
        assert!(start.elapsed() < guard, "a TLS client that stops in its headers is never cut off");
        match tls.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break true,
        }
    };
    assert!(cut);

    // Meanwhile everyone else is served.
    for url in [&plain.url, &secure.url] {
        let http = client_trusting_ca(&ca);
        let res = http.get(format!("{url}/api/v1/health")).send().unwrap();
        assert_eq!(res.status().as_u16(), 200, "{url}");
    }
}

#[test]
fn the_client_address_is_the_peer_unless_a_trusted_proxy_forwards_it() {
    use axum::routing::get;
    use walkthrough_server::net::ClientAddr;
    let serve = |trusted: Vec<std::net::IpAddr>| -> (String, tokio::sync::oneshot::Sender<()>) {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mut settings = Settings::default();
        settings.http.trusted_proxies = trusted;
        let app = axum::Router::new().route("/ip", get(|ClientAddr(ip): ClientAddr| async move { ip.to_string() }));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            rt.block_on(walkthrough_server::net::serve(listener, app, &settings, async {
                let _ = rx.await;
            }))
            .unwrap()
        });
        (url, tx)
    };
    let ip = |url: &str, xff: Option<&str>| -> String {
        let mut req = walkthrough_e2e::http_client().get(format!("{url}/ip"));
        if let Some(x) = xff {
            req = req.header("x-forwarded-for", x);
        }
        req.send().unwrap().text().unwrap()
    };
    let (behind_proxy, _stop1) = serve(vec!["127.0.0.1".parse().unwrap()]);
    assert_eq!(ip(&behind_proxy, Some("198.51.100.7")), "198.51.100.7");
    assert_eq!(ip(&behind_proxy, Some("6.6.6.6, 198.51.100.7")), "198.51.100.7", "only what our proxy appended");
    assert_eq!(ip(&behind_proxy, None), "127.0.0.1");
    let (direct, _stop2) = serve(Vec::new());
    assert_eq!(ip(&direct, Some("198.51.100.7")), "127.0.0.1", "the header is ignored without a trusted proxy");
}

/// One urgent item for c-guan dispatched on `server`: one webhook and one email.
fn dispatch_one_urgent_item(server: &Server) {
    let mut tablet = Tablet::new(&server.url, "u-insp-li");
    tablet.record("B1-0101", "waterproofing", None, 1);
    tablet.sync();
    let cs = Api::login(&server.url, "u-cs-wang");
    assert_eq!(cs.call("POST", &format!("/projects/{PROJECT}/dispatch"), None).1["assigned"], 1);
}

fn wait_for_outbox(server: &Server, what: &str, done: impl Fn(&[OutboxMessage]) -> bool) -> Vec<OutboxMessage> {
    let start = Instant::now();
    loop {
        let all = server.store.outbox(&project_id()).unwrap();
        if done(&all) {
            return all;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "timed out waiting for {what}: {all:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn notify(s: &mut Settings, webhook: Option<String>, smtp_port: u16, tls: SmtpTls, ca: Option<std::path::PathBuf>) {
    s.notify.webhook_url = webhook;
    s.notify.smtp = Some(SmtpSettings {
        host: "127.0.0.1".into(),
        port: Some(smtp_port),
        tls,
        from: "模拟验房 <noreply@example.com>".into(),
        username: None,
        password: None,
    });
    s.notify.digest_minutes = 0;
    s.notify.poll_millis = 100;
    s.notify.retry_base_seconds = 60;
    s.tls.ca_file = ca;
}

#[test]
fn a_webhook_reaches_an_https_receiver_and_email_goes_with_starttls_trusting_the_ca_file() {
    let ca = TestCa::new("Walkthrough Test Company CA");
    let (hook, hooks) = https_webhook_receiver(&ca.server_cert("hook"));
    let (port, mails) = smtp_relay(SmtpSecurity::StartTls(ca.server_cert("smtp").rustls()));
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.file();
    let server = demo_server(dir.path(), |s| notify(s, Some(hook.clone()), port, SmtpTls::Starttls, Some(ca_file)));
    dispatch_one_urgent_item(&server);
    let outbox =
        wait_for_outbox(&server, "both messages sent", |all| all.len() == 2 && all.iter().all(|m| m.status == "sent"));

    let hooks = hooks.lock().unwrap();
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    let body: serde_json::Value = serde_json::from_str(&hooks[0].1).unwrap();
    let webhook = outbox.iter().find(|m| m.channel == "webhook").unwrap();
    assert_eq!(body["delivery_key"], webhook.key.as_str());
    let mails = mails.lock().unwrap();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].0, "the mail was sent after STARTTLS, not in clear");
    assert!(mails[0].1.contains("qian.guohua@guan-fs.example.com"), "{}", mails[0].1);
}

#[test]
fn email_goes_over_implicit_tls_and_a_receiver_nobody_trusts_gets_nothing() {
    let ca = TestCa::new("Walkthrough Test Company CA");
    let stranger = TestCa::new("Somebody Else's CA");
    let (hook, hooks) = https_webhook_receiver(&stranger.server_cert("hook"));
    let (port, mails) = smtp_relay(SmtpSecurity::Implicit(ca.server_cert("smtp").rustls()));
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.file();
    let server = demo_server(dir.path(), |s| notify(s, Some(hook.clone()), port, SmtpTls::Tls, Some(ca_file)));
    dispatch_one_urgent_item(&server);
    let outbox = wait_for_outbox(&server, "the email sent and the webhook failed", |all| {
        all.iter().any(|m| m.channel == "email" && m.status == "sent")
            && all.iter().any(|m| m.channel == "webhook" && m.last_error.is_some())
    });
    let failed = outbox.iter().find(|m| m.channel == "webhook").unwrap();
    assert_ne!(failed.status, "sent");
    let why = failed.last_error.as_deref().unwrap();
    assert!(why.contains("the receiver's certificate is not trusted"), "{why}");
    assert!(hooks.lock().unwrap().is_empty(), "nothing reached a receiver whose certificate is not trusted");
    let mails = mails.lock().unwrap();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].0, "over TLS from the first byte");
}

#[test]
fn email_is_never_sent_in_clear_unless_configured_so() {
    // A relay that does not offer STARTTLS: the default refuses to send.
    let (port, mails) = smtp_relay(SmtpSecurity::Plain);
    let dir = tempfile::tempdir().unwrap();
    let server = demo_server(dir.path(), |s| notify(s, None, port, SmtpTls::Starttls, None));
    dispatch_one_urgent_item(&server);
    let outbox = wait_for_outbox(&server, "the email attempt", |all| all.iter().any(|m| m.last_error.is_some()));
    let failed = outbox.iter().find(|m| m.channel == "email").unwrap();
    assert_ne!(failed.status, "sent");
    assert!(failed.last_error.as_deref().unwrap().to_ascii_lowercase().contains("tls"), "{failed:?}");
    assert!(mails.lock().unwrap().is_empty(), "nothing went out in clear");
    drop(server);

    // Configured plain on purpose: sent.
    let dir = tempfile::tempdir().unwrap();
    let server = demo_server(dir.path(), |s| notify(s, None, port, SmtpTls::None, None));
    dispatch_one_urgent_item(&server);
    wait_for_outbox(&server, "the email sent", |all| all.iter().any(|m| m.channel == "email" && m.status == "sent"));
    let mails = mails.lock().unwrap();
    assert_eq!(mails.len(), 1);
    assert!(!mails[0].0);
}
