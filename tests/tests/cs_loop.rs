//! The CS center's loop between rounds, in the console (headless Chromium,
//! tablet width, as the CS-center manager u-cs-wang) against a real server
//! on 127.0.0.1: after a simulated round, dispatch a selection and then all,
//! reassign an item (refused without a reason), a contractor's list and its
//! PDF (read back with pdftotext), a link opened from its decoded QR code in
//! a phone-sized browser and revoked, a notification failing against a
//! local receiver (500) retried once it recovers and received once, and the
//! history with the right person. Plus the API's refusals around them.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use walkthrough_e2e::field::*;
use walkthrough_e2e::*;

/// Accepted bodies by delivery key.
type Received = Arc<Mutex<BTreeMap<String, Vec<String>>>>;

/// A webhook receiver answering 500 until `POST /recover`, then 200; counts
/// what it accepted by the `Idempotency-Key` header.
fn flaky_receiver() -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let received: Received = Arc::default();
    let up = Arc::new(AtomicBool::new(false));
    let r = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (r, up) = (r.clone(), up.clone());
            std::thread::spawn(move || {
                let req = read_request(&mut BufReader::new(stream.try_clone().unwrap()));
                let status = if req.line.contains(" /recover ") {
                    up.store(true, Ordering::SeqCst);
                    "200 OK"
                } else if up.load(Ordering::SeqCst) {
                    r.lock().unwrap().entry(req.key).or_default().push(String::from_utf8_lossy(&req.body).into_owned());
                    "200 OK"
                } else {
                    "500 Internal Server Error"
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-length: 0\r\naccess-control-allow-origin: *\r\nconnection: close\r\n\r\n"
                );
            });
        }
    });
    (base, received)
}

fn history(cs: &Api) -> Vec<Value> {
    let (s, v) = cs.call("GET", &format!("/projects/{PROJECT}/history"), None);
    assert_eq!(s, 200, "{v}");
    v.as_array().unwrap().clone()
}

#[test]
fn the_cs_center_runs_dispatch_links_outbox_and_history_from_the_console() {
    let (receiver, received) = flaky_receiver();
    let hook = format!("{receiver}/hook");
    let dir = tempfile::tempdir().unwrap();
    let store = Server::demo(dir.path()).stop();
    let server = Server::start_with(dir.path(), "127.0.0.1:0", store, move |s| {
        s.notify.webhook_url = Some(hook);
        s.notify.digest_minutes = 0;
        s.notify.poll_millis = 100;
        // Failing stays failing for the test: only "Retry now" sends it again.
        s.notify.retry_base_seconds = 3600;
    });

    // A simulated round: an urgent leak for c-guan, two kitchen items for s-ouya.
    let mut tablet = Tablet::new(&server.url, "u-insp-li");
    let leak = tablet.record("B1-0101", "waterproofing", None, 1);
    let kitchens = [tablet.record("B1-0102", "kitchen", None, 2), tablet.record("B1-0202", "kitchen", None, 3)];
    tablet.sync();
    let cs = Api::login(&server.url, "u-cs-wang");

    // The API refuses what the page must not send, and stores nothing.
    let before = history(&cs).len();
    let (s, v) = cs.call("POST", &format!("/projects/{PROJECT}/dispatch"), Some(json!({ "defects": [] })));
    assert_eq!(s, 422, "{v}");
    let unknown = "01890000-0000-7000-8000-000000000000";
    let (s, v) = cs.call("POST", &format!("/projects/{PROJECT}/dispatch"), Some(json!({ "defects": [unknown] })));
    assert_eq!(s, 422, "{v}");
    assert!(v["error"].as_str().unwrap().contains(unknown), "{v}");
    let (s, v) = cs.call(
        "POST",
        &format!("/projects/{PROJECT}/defects/{}/assign", leak.id),
        Some(json!({ "contractor": "s-ouya", "reason": "  " })),
    );
    assert_eq!(s, 422, "{v}");
    assert!(v["error"].as_str().unwrap().contains("reason"), "{v}");
    let (s, v) = cs.call("POST", &format!("/projects/{PROJECT}/outbox/no-such-key/retry"), None);
    assert_eq!(s, 404, "{v}");
    assert_eq!(history(&cs).len(), before, "refusals record nothing");
    let (_, plan) = cs.call("GET", &format!("/projects/{PROJECT}/dispatch"), None);
    let waiting: usize = plan["groups"].as_array().unwrap().iter().map(|g| g["items"].as_array().unwrap().len()).sum();
    assert_eq!(waiting, 3, "nothing was dispatched by a refusal: {plan}");

    let pdf = dir.path().join("list.pdf");
    let out = run_browser_script("cs_loop.mjs", &[&server.url, PROJECT, &receiver, pdf.to_str().unwrap()]);
    let v: Value = serde_json::from_str(out.trim().lines().last().unwrap()).unwrap();

    // Dispatch: grouped by contractor with deadlines; a selection, then the rest.
    let groups: Vec<&str> =
        v["planBefore"].as_array().unwrap().iter().map(|g| g["contractor"].as_str().unwrap()).collect();
    assert_eq!(groups, ["c-guan", "s-ouya"], "{v:#}");
    for g in v["planBefore"].as_array().unwrap() {
        for it in g["items"].as_array().unwrap() {
            assert!(it["deadline"].as_str().unwrap().chars().any(|c| c.is_ascii_digit()), "a deadline: {it}");
        }
    }
    assert!(v["emptySelection"].as_str().unwrap().contains("Tick"), "{v:#}");
    let left: usize =
        v["planAfterSelection"].as_array().unwrap().iter().map(|g| g["items"].as_array().unwrap().len()).sum();
    assert_eq!(left, 2, "only the selected item went: {v:#}");

    // Reassignment: refused without a reason, then done; the list lost it.
    assert!(v["reassignRefused"].as_str().unwrap().contains("reason"), "{v:#}");
    assert_eq!(v["listContractor"], "s-ouya");
    assert_eq!(v["listItems"].as_array().unwrap().len(), 2);
    assert_eq!(v["listAfter"].as_array().unwrap().len(), 1, "{v:#}");
    let moved = v["reassigned"].as_str().unwrap();
    let to = v["reassignTo"].as_str().unwrap();
    let (_, list) = cs.call("GET", &format!("/projects/{PROJECT}/rectification?contractor={to}"), None);
    let item =
        list["items"].as_array().unwrap().iter().find(|i| i["defect"] == moved).expect("moved to the new contractor");
    assert_eq!(item["responsible"], "s-ouya", "the responsible party stays recorded: {item}");

    // The PDF sheet of s-ouya's list, read back.
    assert_eq!((v["pdfStatus"].as_u64(), v["pdfType"].as_str()), (Some(200), Some("application/pdf")));
    let text = std::process::Command::new("pdftotext").arg(&pdf).arg("-").output().expect("pdftotext (poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout);
    let (gone, kept): (Vec<_>, Vec<_>) = kitchens.iter().partition(|d| d.id.to_string() == moved);
    for expected in ["整改通知单", "苏州欧雅整体橱柜有限公司", "共 1 项", &kept[0].description] {
        assert!(text.contains(expected), "the sheet lacks {expected:?}:\n{text}");
    }
    assert!(!text.contains(&gone[0].description), "the reassigned item left the sheet:\n{text}");

    // The link: the QR code decodes to the address shown, which opens the
    // contractor's page on a phone; revoked, it refuses.
    let shown = v["shownUrl"].as_str().unwrap();
    assert!(shown.starts_with(&server.url) && shown.contains("#k="), "{shown}");
    assert_eq!(v["decodedUrl"], shown, "the QR code decodes to the link");
    assert!(v["phoneItems"].as_u64().unwrap() >= 1, "{v:#}");
    assert!(v["linkState"].as_str().unwrap().starts_with("revoked"), "{v:#}");
    assert!(!v["phoneRefused"].as_str().unwrap().is_empty());
    assert!(v["refusals"].as_u64().unwrap() >= 1);

    // The outbox: a failing message in words, retried after the receiver
    // recovered, received exactly once.
    let key = v["retriedKey"].as_str().unwrap();
    assert!(v["failingError"].as_str().unwrap().contains("500"), "{v:#}");
    assert_eq!(v["recovered"], 200);
    std::thread::sleep(std::time::Duration::from_millis(800));
    let got = received.lock().unwrap().clone();
    assert_eq!(got.get(key).map(Vec::len), Some(1), "the retried message arrived once: {:?}", got.keys());
    let after = server.store.as_ref();
    use walkthrough_server::dispatch_store::DispatchStore;
    let messages = after.outbox(&project_id()).unwrap();
    let m = messages.iter().find(|m| m.key == key).unwrap();
    assert_eq!(m.status, "sent");
    // Retrying a sent message is refused and changes nothing.
    let segment: String = key
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    let (s, e) = cs.call("POST", &format!("/projects/{PROJECT}/outbox/{segment}/retry"), None);
    assert_eq!(s, 422, "{e}");
    assert_eq!(after.outbox(&project_id()).unwrap().iter().find(|m| m.key == key).unwrap(), m, "nothing changed");

    // The history: every act, by the CS-center manager, in both languages.
    let kinds: Vec<String> =
        v["history"].as_array().unwrap().iter().map(|r| r["data_kind"].as_str().unwrap().to_owned()).collect();
    assert!(v["robotRow"].as_str().unwrap().contains("signed"), "{v:#}");
    assert_eq!(v["secretShown"], false, "the robot's secret is write-only");
    assert!(v["phoneWidth"].as_u64().unwrap() <= 390, "the console fits a phone's width: {v:#}");
    assert_eq!(v["tooWide"], json!([]), "nothing sticks out at phone width");
    for k in ["dispatch", "reassign", "link_created", "link_revoked", "robot_set", "robot_removed"] {
        assert!(kinds.iter().any(|x| x == k), "{k} in the history: {kinds:?}");
    }
    assert_eq!(kinds.iter().filter(|k| *k == "dispatch").count(), 2, "a selection, then all: {kinds:?}");
    for r in v["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["data_kind"] != "setup" && r["data_kind"] != "link_created")
    {
        assert_eq!(r["data_by"], "u-cs-wang", "{r}");
    }
    let reassign = v["historyReassign"].as_array().unwrap();
    assert_eq!(reassign.len(), 1, "{v:#}");
    assert!(reassign[0]["what"].as_str().unwrap().contains("the first crew left the site"), "{reassign:?}");
    assert_eq!(reassign[0]["who"].as_str().unwrap(), "王敏", "the person's name, not the account id");
    let by_person = v["historyByPerson"].as_array().unwrap();
    assert!(by_person.iter().all(|r| r["data_by"] == "u-cs-wang") && by_person.len() >= 5, "{by_person:?}");
    assert!(v["historyReassignZh"][0]["what"].as_str().unwrap().contains("改派给"), "{v:#}");
    let api = history(&cs);
    let r = api.iter().find(|e| e["kind"] == "reassign").unwrap();
    assert_eq!((r["by"].as_str(), r["detail"]["old"]["contractor"].as_str()), (Some("u-cs-wang"), Some("s-ouya")));
    assert_eq!(r["detail"]["new"]["contractor"].as_str(), Some(to));
    drop(server);
}
