//! Days and times follow the project's time zone end to end: a deadline at
//! 2026-10-31T17:00Z is 01:00 on 1 Nov in Shanghai, and the contractor's
//! page (in a browser set to another zone), the printed sheet, the API and
//! the report say so; the CS center changes the zone in the console (an
//! unknown zone is refused in words, nothing stored), and everything then
//! reads in the new zone.

use walkthrough_core::*;
use walkthrough_e2e::field::*;
use walkthrough_e2e::*;

fn shown_deadline(server: &Server, link: &str, defect: DefectId) -> (String, serde_json::Value) {
    // The phone's own zone is neither of the project's.
    let out = run_browser_script("local_time.mjs", &["contractor", &server.url, link, "America/Los_Angeles"]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(v.get("pageErrors").is_none() && v.get("error").is_none(), "{out}");
    assert_eq!(v["browserZone"], "America/Los_Angeles", "{out}");
    let item = v["items"].as_array().unwrap().iter().find(|i| i["defect"] == defect.to_string()).expect("listed");
    (item["shown"].as_str().unwrap().to_owned(), item.clone())
}

fn sheet_text(cs: &Api, contractor: &str) -> String {
    let res = http_client()
        .get(format!("{}/api/v1/projects/{PROJECT}/rectification.pdf?contractor={contractor}", cs.url))
        .bearer_auth(&cs.token)
        .send()
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let pdf = std::env::temp_dir().join(format!("local-time-sheet-{}.pdf", std::process::id()));
    std::fs::write(&pdf, res.bytes().unwrap()).unwrap();
    let out =
        std::process::Command::new("pdftotext").args([pdf.as_os_str(), "-".as_ref()]).output().expect("pdftotext");
    let _ = std::fs::remove_file(&pdf);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn deadlines_and_report_days_follow_the_projects_zone() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let mut tablet = Tablet::new(&server.url, "u-insp-li");
    let leak = tablet.record("B1-0101", "waterproofing", Some("floor_drain_blocked.jpg"), 1);
    tablet.sync();
    let cs = Api::login(&server.url, "u-cs-wang");
    assert_eq!(cs.call("POST", &format!("/projects/{PROJECT}/dispatch"), None).0, 200);
    // A failed recheck gives the repair a new deadline: 2026-10-31T17:00Z.
    let deadline = time::parse("2026-10-31T17:00:00Z");
    assert_eq!(tablet.project().time_zone, "Asia/Shanghai", "the demo project is in Shanghai");
    tablet.fail_recheck(&leak, deadline);
    let (_, link) = cs.link("c-guan");

    // Shanghai: 01:00 on 1 Nov, whatever zone the phone is in.
    let (shown, item) = shown_deadline(&server, &link, leak.id);
    assert_eq!(item["deadline"].as_i64(), Some(deadline.timestamp_millis()), "the API keeps the instant");
    assert!(shown.contains("2026-11-01 01:00 (UTC+08:00)"), "{shown}");
    let (status, body) = as_link(&server.url, &link, "GET", "/items", None);
    let page: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, page["time_zone"].as_str()), (200, Some("Asia/Shanghai")), "{body}");
    let sheet = sheet_text(&cs, "c-guan");
    assert!(sheet.contains("2026-11-01 01:00 (UTC+08:00)"), "the sheet prints Shanghai time:\n{sheet}");
    assert!(!sheet.contains("2026-10-31 17:00"), "{sheet}");

    // A report "as of 31 Oct" counts to the end of 31 Oct in Shanghai.
    let (status, report) = cs.call("GET", &format!("/projects/{PROJECT}/reports/cumulative?as_of=2026-10-31"), None);
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["time_zone"], "Asia/Shanghai");
    assert_eq!(time::parse(report["as_of"].as_str().unwrap()), time::parse("2026-10-31T15:59:59.999Z"));
    assert_eq!(report["days_to_handover"], 0, "handover is 31 Oct");

    // The console: an unknown zone is refused in words and nothing is stored;
    // a good one is saved and listed.
    let out = run_browser_script("local_time.mjs", &["settings", &server.url, "Beijing", "America/New_York"]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(v.get("pageErrors").is_none() && v.get("error").is_none(), "{out}");
    assert_eq!(v["zoneBefore"], "Asia/Shanghai", "{out}");
    assert!(v["refusal"].as_str().unwrap().contains("unknown time zone \"Beijing\""), "{out}");
    assert_eq!(
        (v["zoneListed"].as_str(), v["zoneAfter"].as_str()),
        (Some("America/New_York"), Some("America/New_York"))
    );
    // Over the API too: refused, and the zone stays.
    let bad = serde_json::json!({ "edits": [{ "op": "set_time_zone", "time_zone": "Mars/Olympus" }] });
    let (status, body) = cs.call("POST", &format!("/projects/{PROJECT}/edits"), Some(bad));
    assert_eq!(status, 422, "{body}");
    assert!(body["error"].as_str().unwrap().contains("Mars/Olympus"), "{body}");
    let (_, project) = cs.call("GET", &format!("/projects/{PROJECT}"), None);
    assert_eq!(project["time_zone"], "America/New_York");
    let (_, history) = cs.call("GET", &format!("/projects/{PROJECT}/history"), None);
    assert!(history.to_string().contains("time zone America/New_York"), "the change is in the history: {history}");

    // New York (daylight time until 1 Nov): 13:00 on 31 Oct. The instant is the same.
    let (shown, item) = shown_deadline(&server, &link, leak.id);
    assert_eq!(item["deadline"].as_i64(), Some(deadline.timestamp_millis()));
    assert!(shown.contains("2026-10-31 13:00 (UTC-04:00)"), "{shown}");
    let sheet = sheet_text(&cs, "c-guan");
    assert!(sheet.contains("2026-10-31 13:00 (UTC-04:00)"), "the sheet prints New York time:\n{sheet}");
    let (_, report) = cs.call("GET", &format!("/projects/{PROJECT}/reports/cumulative?as_of=2026-10-31"), None);
    assert_eq!(report["time_zone"], "America/New_York");
    assert_eq!(time::parse(report["as_of"].as_str().unwrap()), time::parse("2026-11-01T03:59:59.999Z"));
    assert_eq!(report["days_to_handover"], 0);

    // The tablet learns the zone by sync.
    tablet.sync();
    assert_eq!(tablet.project().zone(), time::parse_zone("America/New_York").unwrap());
}
