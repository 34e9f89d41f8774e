//! Notifications: a local webhook receiver and a local SMTP sink on
//! 127.0.0.1 receive exactly one accepted message per delivery key, urgent
//! items at once and the rest as a digest per contractor, with a failed
//! delivery retried and the server restarted in the middle of a delivery.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use walkthrough_e2e::field::*;
use walkthrough_e2e::*;
use walkthrough_server::dispatch_store::DispatchStore;

/// What a receiver accepted: delivery key → bodies (one each, we hope).
type Received = Arc<Mutex<BTreeMap<String, Vec<String>>>>;

/// A webhook receiver: the first request is answered slowly (the server is
/// stopped meanwhile), the second with a 500 (to be retried), the rest at once.
fn webhook_receiver() -> (String, Received, Arc<Mutex<u32>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let received: Received = Arc::default();
    let requests = Arc::new(Mutex::new(0u32));
    let (r, n) = (received.clone(), requests.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (r, n) = (r.clone(), n.clone());
            std::thread::spawn(move || {
                let req = read_request(&mut BufReader::new(stream.try_clone().unwrap()));
                let (key, body) = (req.key, req.body);
                let nth = {
                    let mut n = n.lock().unwrap();
                    *n += 1;
                    *n
                };
                let status = match nth {
                    1 => {
                        std::thread::sleep(Duration::from_millis(1500));
                        "200 OK"
                    }
                    2 => "500 Internal Server Error",
                    _ => "200 OK",
                };
                if status.starts_with("200") {
                    r.lock().unwrap().entry(key).or_default().push(String::from_utf8(body).unwrap());
                }
                let _ = write!(stream, "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            });
        }
    });
    (url, received, requests)
}

/// An SMTP sink: accepts every message, keyed by its Message-ID.
fn smtp_sink() -> (u16, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received: Received = Arc::default();
    let r = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let r = r.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let _ = stream.write_all(b"220 sink ESMTP\r\n");
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 0 {
                    let cmd = line.to_ascii_uppercase();
                    if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                        let _ = stream.write_all(b"250-sink\r\n250 8BITMIME\r\n");
                    } else if cmd.starts_with("DATA") {
                        let _ = stream.write_all(b"354 go ahead\r\n");
                        let mut data = String::new();
                        loop {
                            let mut l = String::new();
                            if reader.read_line(&mut l).unwrap_or(0) == 0 || l == ".\r\n" {
                                break;
                            }
                            data.push_str(&l);
                        }
                        let id = data
                            .lines()
                            .find_map(|l| l.strip_prefix("Message-ID:").or_else(|| l.strip_prefix("Message-Id:")))
                            .unwrap_or("")
                            .trim()
                            .to_owned();
                        r.lock().unwrap().entry(id).or_default().push(data);
                        let _ = stream.write_all(b"250 queued\r\n");
                    } else if cmd.starts_with("QUIT") {
                        let _ = stream.write_all(b"221 bye\r\n");
                        break;
                    } else {
                        let _ = stream.write_all(b"250 ok\r\n");
                    }
                    line.clear();
                }
            });
        }
    });
    (port, received)
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn each_delivery_key_arrives_once_across_a_restart_mid_delivery() {
    let (hook, hooks, requests) = webhook_receiver();
    let (smtp_port, mails) = smtp_sink();
    let configure = move |s: &mut walkthrough_server::config::Settings| {
        s.notify.webhook_url = Some(hook.clone());
        s.notify.smtp = Some(walkthrough_server::config::SmtpSettings {
            host: "127.0.0.1".into(),
            port: Some(smtp_port),
            // The sink speaks plain SMTP: TLS is tested in https.rs.
            tls: walkthrough_server::config::SmtpTls::None,
            from: "模拟验房 <noreply@example.com>".into(),
            username: None,
            password: None,
        });
        s.notify.digest_minutes = 0;
        s.notify.poll_millis = 100;
        s.notify.retry_base_seconds = 1;
    };
    let dir = tempfile::tempdir().unwrap();
    let demo = Server::demo(dir.path());
    let store = demo.stop();
    let server = Server::start_with(dir.path(), "127.0.0.1:0", store, configure.clone());

    // Two urgent leaks for c-guan (sent at once, one message each), two
    // kitchen items for s-ouya (one digest).
    let mut tablet = Tablet::new(&server.url, "u-insp-li");
    tablet.record("B1-0101", "waterproofing", None, 1);
    tablet.record("B1-0201", "waterproofing", None, 2);
    tablet.record("B1-0102", "kitchen", None, 3);
    tablet.record("B1-0202", "kitchen", None, 4);
    tablet.sync();
    let cs = Api::login(&server.url, "u-cs-wang");
    assert_eq!(cs.call("POST", &format!("/projects/{PROJECT}/dispatch"), None).1["assigned"], 4);

    // Stop the server while the receiver holds the first webhook.
    wait_for("the first webhook", Duration::from_secs(20), || *requests.lock().unwrap() >= 1);
    let addr = server.url.trim_start_matches("http://").to_owned();
    let store = server.stop();
    let during = store.outbox(&project_id()).unwrap();
    assert!(during.iter().any(|m| m.status == "sent"), "the delivery in hand was finished and recorded: {during:?}");

    // The same address, so the tablet and the CS center find it again.
    let server = Server::start_with(dir.path(), &addr, store.clone(), configure);
    wait_for("every message sent", Duration::from_secs(60), || {
        let all = store.outbox(&project_id()).unwrap();
        all.len() == 6 && all.iter().all(|m| m.status == "sent")
    });
    // A replayed dispatch and a tablet sync add nothing.
    assert_eq!(cs.call("POST", &format!("/projects/{PROJECT}/dispatch"), None).1["assigned"], 0);
    tablet.sync();
    std::thread::sleep(Duration::from_millis(500));

    let outbox = store.outbox(&project_id()).unwrap();
    let keys = |channel: &str| -> Vec<String> {
        let mut k: Vec<String> = outbox.iter().filter(|m| m.channel == channel).map(|m| m.key.clone()).collect();
        k.sort();
        k
    };
    assert_eq!(outbox.len(), 6, "{outbox:?}");
    let hooks = hooks.lock().unwrap();
    assert_eq!(hooks.keys().cloned().collect::<Vec<_>>(), keys("webhook"));
    for (key, bodies) in hooks.iter() {
        assert_eq!(bodies.len(), 1, "{key} accepted {} times", bodies.len());
        let v: serde_json::Value = serde_json::from_str(&bodies[0]).unwrap();
        assert_eq!(v["delivery_key"], key.as_str());
    }
    let urgent: Vec<_> = hooks.values().map(|b| serde_json::from_str::<serde_json::Value>(&b[0]).unwrap()).collect();
    let digest = urgent.iter().find(|v| v["kind"] == "digest").expect("a digest");
    assert_eq!((digest["contractor"]["id"].as_str(), digest["items"].as_array().unwrap().len()), (Some("s-ouya"), 2));
    assert_eq!(urgent.iter().filter(|v| v["kind"] == "urgent" && v["contractor"]["id"] == "c-guan").count(), 2);
    // The 500 was retried: one message took two attempts.
    assert!(outbox.iter().any(|m| m.channel == "webhook" && m.attempts == 2), "{outbox:?}");

    let mails = mails.lock().unwrap();
    assert_eq!(mails.len(), 3, "{:?}", mails.keys());
    for (id, copies) in mails.iter() {
        assert_eq!(copies.len(), 1, "{id} received {} times", copies.len());
    }
    let all_mail = mails.values().map(|c| c[0].clone()).collect::<String>();
    assert!(
        all_mail.contains("qian.guohua@guan-fs.example.com")
            && all_mail.contains("wu.xiaoyan@ouya-kitchen.example.com")
    );

    // The CS center sees the outbox.
    let (status, list) = cs.call("GET", &format!("/projects/{PROJECT}/outbox"), None);
    assert_eq!(status, 200);
    assert!(list.as_array().unwrap().iter().all(|m| m["status"] == "sent"), "{list}");
    drop(server);
}
