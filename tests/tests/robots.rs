//! Notifications reach contractors' group robots — WeCom (企业微信) and
//! DingTalk (钉钉) — with a working link to their page, against local
//! receivers on 127.0.0.1 that check the body and, for DingTalk, the
//! signature the way those services document it; and the database never
//! holds a live link's secret.

use base64::Engine as _;
use hmac::Mac as _;
use std::collections::BTreeMap;
use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use walkthrough_e2e::field::*;
use walkthrough_e2e::*;

/// What a robot accepted: the message bodies (JSON), in order.
type Accepted = Arc<Mutex<Vec<serde_json::Value>>>;

/// A group robot on 127.0.0.1. `check` looks at (query, body) and returns
/// the robot's errcode and errmsg; the answer is always HTTP 200, as theirs is.
fn robot(
    check: impl Fn(&BTreeMap<String, String>, &serde_json::Value) -> (i64, String) + Send + Sync + 'static,
) -> (String, Accepted) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/robot/send?access_token=abc", listener.local_addr().unwrap());
    let accepted: Accepted = Arc::default();
    let (a, check) = (accepted.clone(), Arc::new(check));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (a, check) = (a.clone(), check.clone());
            std::thread::spawn(move || {
                let request = read_request(&mut BufReader::new(stream.try_clone().unwrap()));
                let target = request.line.split(' ').nth(1).unwrap_or("").to_owned();
                let body = request.body;
                let query: BTreeMap<String, String> = reqwest::Url::parse(&format!("http://x{target}"))
                    .unwrap()
                    .query_pairs()
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
                let (code, msg) = check(&query, &json);
                if code == 0 {
                    a.lock().unwrap().push(json);
                }
                let answer = serde_json::json!({ "errcode": code, "errmsg": msg }).to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            });
        }
    });
    (url, accepted)
}

/// WeCom's group robot: `{"msgtype":"markdown","markdown":{"content":…}}`,
/// content at most 4096 bytes.
fn wecom() -> (String, Accepted) {
    robot(|_, body| match (body["msgtype"].as_str(), body["markdown"]["content"].as_str()) {
        (Some("markdown"), Some(c)) if !c.is_empty() && c.len() <= 4096 => (0, "ok".into()),
        (Some("markdown"), _) => (40058, "markdown.content exceed max length or empty".into()),
        _ => (40008, "invalid message type".into()),
    })
}

/// DingTalk's group robot with 加签: `timestamp` (ms, within an hour) and
/// `sign` = Base64(HMAC-SHA256(secret, "{timestamp}\n{secret}")) in the query;
/// `{"msgtype":"markdown","markdown":{"title":…,"text":…}}`.
fn dingtalk(secret: &'static str) -> (String, Accepted) {
    robot(move |query, body| {
        let (Some(ts), Some(sign)) = (query.get("timestamp"), query.get("sign")) else {
            return (310000, "sign not match, more: missing timestamp or sign".into());
        };
        let ts_ms: i64 = ts.parse().unwrap_or(0);
        if (chrono::Utc::now().timestamp_millis() - ts_ms).abs() > 3_600_000 {
            return (310000, "sign not match, more: timestamp is too far from now".into());
        }
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{ts}\n{secret}").as_bytes());
        let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        if *sign != expected {
            return (310000, "sign not match".into());
        }
        match (body["msgtype"].as_str(), body["markdown"]["title"].as_str(), body["markdown"]["text"].as_str()) {
            (Some("markdown"), Some(t), Some(x)) if !t.is_empty() && !x.is_empty() => (0, "ok".into()),
            _ => (300001, "param error: markdown needs title and text".into()),
        }
    })
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The link in a robot's markdown: `(…/ui/contractor/#k=SECRET)`.
fn link_in(text: &str) -> String {
    let start = text.find("/ui/contractor/#k=").expect("a link to the contractor's page");
    let begin = text[..start].rfind('(').unwrap() + 1;
    let end = start + text[start..].find(')').unwrap();
    text[begin..end].to_owned()
}

#[test]
fn wecom_and_dingtalk_robots_get_signed_messages_with_a_link_that_opens_the_page() {
    let (wecom_url, wecom_got) = wecom();
    let (ding_url, ding_got) = dingtalk("SECgood");
    let dir = tempfile::tempdir().unwrap();
    let demo = Server::demo(dir.path());
    let store = demo.stop();
    let server = Server::start_with(dir.path(), "127.0.0.1:0", store, |s| {
        s.notify.digest_minutes = 0;
        s.notify.poll_millis = 100;
        s.notify.retry_base_seconds = 1;
        s.public_url = Some("https://walkthrough.example.com/".into());
    });
    let cs = Api::login(&server.url, "u-cs-wang");
    let put = |contractor: &str, body: serde_json::Value| {
        cs.call("PUT", &format!("/projects/{PROJECT}/contractor-channels/{contractor}"), Some(body))
    };
    // Refused in words: not a robot, a WeCom secret, an unknown contractor.
    let (status, v) = put("c-guan", serde_json::json!({ "kind": "slack", "webhook": ding_url }));
    assert_eq!(status, 422, "{v}");
    assert!(v["error"].as_str().unwrap().contains("wecom"), "{v}");
    let (status, v) = put("c-guan", serde_json::json!({ "kind": "dingtalk", "webhook": "not a url" }));
    assert_eq!(status, 422, "{v}");
    let (status, v) = put("s-ouya", serde_json::json!({ "kind": "wecom", "webhook": wecom_url, "secret": "SECx" }));
    assert_eq!(status, 422, "{v}");
    let (status, _) = put("c-nobody", serde_json::json!({ "kind": "wecom", "webhook": wecom_url }));
    assert_eq!(status, 422);
    // c-guan's DingTalk robot, first with a wrong secret; s-ouya's WeCom robot.
    let (status, v) = put("c-guan", serde_json::json!({ "kind": "dingtalk", "webhook": ding_url, "secret": "SECbad" }));
    assert_eq!(status, 200, "{v}");
    assert_eq!(put("s-ouya", serde_json::json!({ "kind": "wecom", "webhook": wecom_url })).0, 200);
    let (_, list) = cs.call("GET", &format!("/projects/{PROJECT}/contractor-channels"), None);
    assert!(!list.to_string().contains("SECbad"), "the secret never goes back to a browser: {list}");
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    let insp = Api::login(&server.url, "u-insp-li");
    assert_eq!(insp.call("GET", &format!("/projects/{PROJECT}/contractor-channels"), None).0, 403);
    assert_eq!(
        insp.call(
            "PUT",
            &format!("/projects/{PROJECT}/contractor-channels/c-guan"),
            Some(serde_json::json!({ "kind": "wecom", "webhook": wecom_url }))
        )
        .0,
        403
    );

    let mut tablet = Tablet::new(&server.url, "u-insp-li");
    let leak = tablet.record("B1-0101", "waterproofing", None, 1);
    tablet.record("B1-0102", "kitchen", None, 3);
    tablet.sync();
    assert_eq!(cs.call("POST", &format!("/projects/{PROJECT}/dispatch"), None).0, 200);

    // The wrong signature is refused by the robot: failing, with its words.
    let outbox = || cs.call("GET", &format!("/projects/{PROJECT}/outbox"), None).1;
    wait_for("the DingTalk message to fail", || {
        outbox().as_array().unwrap().iter().any(|m| {
            m["channel"] == "dingtalk"
                && m["status"] == "failing"
                && m["last_error"]
                    .as_str()
                    .is_some_and(|e| e.contains("errcode 310000") && e.contains("sign not match"))
        })
    });
    assert!(ding_got.lock().unwrap().is_empty());
    // The CS center fixes the secret; the retry is signed right and accepted.
    assert_eq!(
        put("c-guan", serde_json::json!({ "kind": "dingtalk", "webhook": ding_url, "secret": "SECgood" })).0,
        200
    );
    wait_for("DingTalk to accept", || !ding_got.lock().unwrap().is_empty());
    wait_for("WeCom to accept", || !wecom_got.lock().unwrap().is_empty());

    let ding = ding_got.lock().unwrap()[0].clone();
    let text = ding["markdown"]["text"].as_str().unwrap();
    assert!(ding["markdown"]["title"].as_str().unwrap().contains("紧急整改"), "{ding}");
    assert!(text.contains("江苏固安防水工程有限公司") && text.contains("B1-0101"), "{text}");
    let link = link_in(text);
    assert!(link.starts_with("https://walkthrough.example.com/ui/contractor/#k="), "the public address: {link}");
    let wecom_text = wecom_got.lock().unwrap()[0]["markdown"]["content"].as_str().unwrap().to_owned();
    assert!(wecom_text.contains("B1-0102"), "{wecom_text}");
    let wecom_link = link_in(&wecom_text);
    assert_ne!(link, wecom_link, "each contractor their own link");

    // The link works: c-guan's page lists the leak.
    let (status, page) = as_link(&server.url, &link, "GET", "/items", None);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&leak.id.to_string()), "{page}");
    let (status, page) = as_link(&server.url, &wecom_link, "GET", "/items", None);
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains(&leak.id.to_string()), "s-ouya's page shows only theirs");

    // A stolen database holds no live link: not in the outbox, not anywhere in the file.
    let secret = link.rsplit_once("#k=").unwrap().1.to_owned();
    assert!(outbox().to_string().contains("{{contractor_link}}"), "messages keep a placeholder");
    assert!(!outbox().to_string().contains(&secret));
    let mut bytes = Vec::new();
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let p = f.unwrap().path();
        if p.file_name().unwrap().to_string_lossy().starts_with("server.sqlite") {
            bytes.extend(std::fs::read(&p).unwrap());
        }
    }
    assert!(!bytes.is_empty());
    assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "the secret is in the database file");
}
