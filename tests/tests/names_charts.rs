//! What people read is named, not coded, and charts are whole (issue 16,
//! points 3 and 4), on three simulated rounds of the demo project:
//!
//! - downloads are named from the project, scope, round and version in the
//!   reader's language, with an ASCII `filename=` beside RFC 5987's
//!   `filename*=`, and a project named with quotes and slashes gives a name
//!   that is safe to save;
//! - in headless Chromium, in English and Chinese: the history, accepted
//!   risks, issued reports, drill-downs and a defect's history show names,
//!   never the ids behind them (an id the project does not know is shown
//!   marked); no chart label is clipped; the dashboard at 768 px wide (and
//!   at 1024×768 and 768×1024) has no horizontal page overflow.

use serde_json::{json, Value};
use walkthrough_e2e::field::Api;
use walkthrough_e2e::*;

fn client() -> reqwest::blocking::Client {
    walkthrough_e2e::http_client()
}

/// `GET` with the token: (status, Content-Disposition, body).
fn fetch(url: &str, token: &str, lang: Option<&str>) -> (u16, String, Vec<u8>) {
    let mut rb = client().get(url).bearer_auth(token);
    if let Some(l) = lang {
        rb = rb.header("Accept-Language", l);
    }
    let r = rb.send().expect("request");
    let status = r.status().as_u16();
    let disposition = r
        .headers()
        .get("content-disposition")
        .map(|v| v.to_str().expect("an ASCII header").to_owned())
        .unwrap_or_default();
    (status, disposition, r.bytes().expect("body").to_vec())
}

/// The two names of a Content-Disposition: the ASCII `filename` and the decoded `filename*`.
fn names(disposition: &str) -> (String, String) {
    let plain = disposition.split("filename=\"").nth(1).and_then(|s| s.split('"').next()).unwrap_or_default();
    let star = disposition.split("filename*=UTF-8''").nth(1).unwrap_or_default();
    let mut bytes = Vec::new();
    let mut it = star.bytes();
    while let Some(b) = it.next() {
        if b == b'%' {
            let hex: String = [it.next().unwrap(), it.next().unwrap()].iter().map(|b| *b as char).collect();
            bytes.push(u8::from_str_radix(&hex, 16).unwrap());
        } else {
            bytes.push(b);
        }
    }
    (plain.to_owned(), String::from_utf8(bytes).expect("UTF-8 name"))
}

fn issue(url: &str, token: &str, round: &str) -> Value {
    let r = client()
        .post(format!("{url}/api/v1/projects/hj-lanting/reports/{round}/issue"))
        .bearer_auth(token)
        .json(&json!({ "photos": false }))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let mut job: Value = r.json().unwrap();
    for _ in 0..1200 {
        if matches!(job["state"].as_str(), Some("done" | "failed")) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        job = client()
            .get(format!("{url}/api/v1/jobs/{}", job["id"].as_str().unwrap()))
            .bearer_auth(token)
            .send()
            .unwrap()
            .json()
            .unwrap();
    }
    assert_eq!(job["state"], "done", "{job:#}");
    job["result"].clone()
}

#[test]
fn downloads_are_named_from_project_scope_round_and_version_and_made_safe() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    seed_demo_rounds(&server.store, 1, 7);
    let url = server.url.clone();
    let cs = login(&url, "u-cs-wang");
    let issued = issue(&url, &cs, "1");
    let id = issued["id"].as_str().unwrap();
    let api = format!("{url}/api/v1/projects/hj-lanting");

    let check = |path: &str, lang: Option<&str>, ascii: &str, name: &str| {
        let (status, disposition, body) = fetch(&format!("{api}{path}"), &cs, lang);
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
        assert!(disposition.starts_with("attachment; filename=\""), "{path}: {disposition}");
        assert_eq!(names(&disposition), (ascii.to_owned(), name.to_owned()), "{path} ({lang:?}): {disposition}");
        body
    };
    // Issued: by version, in the language asked for (or the browser's).
    let pdf = check(
        &format!("/issued/{id}?format=pdf&lang=zh-CN"),
        None,
        "Lanting-Residences-round-1-report-v1.pdf",
        "华景·澜庭-第1轮模拟验收报告-v1.pdf",
    );
    assert!(pdf.starts_with(b"%PDF"));
    check(
        &format!("/issued/{id}?format=xlsx"),
        Some("en-GB,en;q=0.9"),
        "Lanting-Residences-round-1-report-v1.xlsx",
        "Lanting Residences-round-1-report-v1.xlsx",
    );
    check(
        &format!("/issued/{id}?format=csv&table=contractors&lang=zh-CN"),
        Some("en"),
        "Lanting-Residences-round-1-report-v1-Contractors.csv",
        "华景·澜庭-第1轮模拟验收报告-v1-施工单位整改情况.csv",
    );
    // Live: by the day the figures are counted to.
    check(
        "/reports/1?format=pdf&photos=0&lang=en",
        None,
        "Lanting-Residences-round-1-report-2026-07-31.pdf",
        "Lanting Residences-round-1-report-2026-07-31.pdf",
    );
    check(
        "/reports/cumulative?format=csv&table=weeks",
        Some("zh-CN,zh;q=0.9"),
        &format!("Lanting-Residences-cumulative-to-round-3-report-{}-Week-by-week-own-inspection.csv", today()),
        &format!("华景·澜庭-累计至第3轮模拟验收报告-{}-每周趋势（自查）.csv", today()),
    );
    // The rectification sheet: the project, the contractor and the round.
    check(
        "/rectification.pdf?contractor=c-guan&round=1",
        None,
        "Lanting-Residences-Jiangsu-Guan-Waterproofing-Engineering-Co.-Ltd.-round-1-rectification-list.pdf",
        "华景·澜庭-江苏固安防水工程有限公司-第1轮整改清单.pdf",
    );

    // A project named with quotes, slashes and a colon: nothing of them reaches either name.
    let edit = json!({ "edits": [{ "op": "set_info", "name": { "zh": "华景\"澜庭\"/二期\\A:B", "en": "Lanting \"Phase 2\"/A\\B" },
        "handover_date": "2026-10-31" }] });
    let r = client().post(format!("{api}/edits")).bearer_auth(&cs).json(&edit).send().unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().unwrap());
    let (_, disposition, _) = fetch(&format!("{api}/issued/{id}?format=pdf&lang=zh-CN"), &cs, None);
    let (ascii, name) = names(&disposition);
    assert_eq!(name, "华景_澜庭__二期_A_B-第1轮模拟验收报告-v1.pdf", "{disposition}");
    assert_eq!(ascii, "Lanting-_Phase-2__A_B-round-1-report-v1.pdf", "{disposition}");
    let header_value = disposition.split("; filename*=").next().unwrap();
    assert_eq!(header_value.matches('"').count(), 2, "only the quotes around the ASCII name: {disposition}");
    assert!(!disposition.contains('/') && !disposition.contains('\\'), "{disposition}");
    assert!(reqwest::header::HeaderValue::from_str(&disposition).is_ok());
}

/// Today in the demo project's zone (a live file is named by its local day).
fn today() -> String {
    walkthrough_core::time::local_date(chrono::Utc::now(), walkthrough_core::time::DEFAULT_ZONE)
        .format("%Y-%m-%d")
        .to_string()
}

#[test]
fn pages_show_names_not_ids_and_charts_are_whole_at_desktop_and_tablet_width() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    seed_demo_rounds(&server.store, 3, 7);
    let url = server.url.clone();
    let cs = Api::login(&url, "u-cs-wang");
    let p = "/projects/hj-lanting";

    // Acts of every kind the history names: setup, people, a link, a reassignment, a risk, an issued report.
    let (_, project) = cs.call("GET", p, None);
    let mut contractor =
        project["contractors"].as_array().unwrap().iter().find(|c| c["id"] == "c-huajian").unwrap().clone();
    contractor["contact"]["phone"] = json!("0512-0000 0000");
    let (s, v) = cs.call(
        "POST",
        &format!("{p}/edits"),
        Some(json!({ "edits": [{ "op": "put_contractor", "contractor": contractor }] })),
    );
    assert_eq!(s, 200, "{v}");
    let invite = json!({ "username": "u-insp-ma", "name": "马丽", "role": "inspector", "org": "" });
    assert_eq!(cs.call("POST", &format!("{p}/people"), Some(invite)).0, 200);
    assert_eq!(cs.call("POST", &format!("{p}/contractor-links"), Some(json!({ "contractor": "c-guan" }))).0, 200);
    let (_, open) = cs.call("GET", &format!("{p}/reports/cumulative/defects?filter=open"), None);
    let open = open.as_array().unwrap();
    let moved = open.iter().find(|d| d["status"] == "assigned").expect("an item with a contractor");
    let from = moved["contractor"].as_str().unwrap().to_owned();
    let to = if from == "c-guan" { "c-huajian" } else { "c-guan" };
    let (s, v) = cs.call(
        "POST",
        &format!("{p}/defects/{}/assign", moved["id"].as_str().unwrap()),
        Some(json!({ "contractor": to, "reason": "the first contractor left the site" })),
    );
    assert_eq!(s, 200, "{v}");
    let english = |c: &str| {
        project["contractors"].as_array().unwrap().iter().find(|x| x["id"] == c).unwrap()["name"]["en"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let risky = open.iter().find(|d| d["id"] != moved["id"]).unwrap();
    let (s, v) = cs.call(
        "POST",
        &format!("{p}/defects/{}/accept-risk", risky["id"].as_str().unwrap()),
        Some(json!({ "unified_answer": { "zh": "按设计交付。", "en": "Handed over as designed." }, "contingency_plan": "现场解释" })),
    );
    assert_eq!(s, 200, "{v}");
    issue(&url, &cs.token, "3");

    // The server sends names: the history's authors and every id its particulars hold.
    let (_, history) = cs.call("GET", &format!("{p}/history"), None);
    let reassign = history.as_array().unwrap().iter().find(|e| e["kind"] == "reassign").unwrap();
    assert_eq!(reassign["by_name"]["zh"], "王敏");
    assert_eq!(reassign["names"][format!("contractor:{to}")]["en"].as_str(), Some(english(to).as_str()));
    assert_eq!(reassign["names"][format!("contractor:{from}")]["known"], true);
    let (_, risks) = cs.call("GET", &format!("{p}/risks"), None);
    assert!(
        risks.as_array().unwrap().iter().any(|r| r["accepted_by_name"]["known"] == false),
        "the simulation's \"cs\""
    );

    // What the browser must not show bare: ids of the project's people and contractors, the
    // authors the server and the simulation write, and room codes.
    let mut ids: Vec<String> = vec!["cs".into(), "dispatch".into(), "contractor:".into()];
    for key in ["people", "contractors"] {
        ids.extend(project[key].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_owned()));
    }
    for ut in project["unit_types"].as_array().unwrap() {
        ids.extend(ut["rooms"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()));
    }
    ids.sort();
    ids.dedup();
    let defect = risky["id"].as_str().unwrap();
    let out = run_browser_script("names_charts.mjs", &[url.as_str(), "hj-lanting", &ids.join(","), defect]);
    let v: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(v.get("failure").is_none(), "the browser script failed: {v:#}");

    for view in v["views"].as_array().unwrap() {
        let name = view["name"].as_str().unwrap();
        // Every page: no bare id anywhere in its text.
        assert_eq!(view["bareIds"], json!([]), "{name}: ids shown as names");
        if let Some(labels) = view.get("labels") {
            assert!(labels["count"].as_u64().unwrap() > 20, "{name}: the charts' labels were measured: {labels}");
            assert_eq!(labels["clipped"], json!([]), "{name}: clipped chart labels");
            assert_eq!(labels["cut"], json!([]), "{name}: labels cut with … and no full text");
        }
        if let Some(overflow) = view.get("overflow") {
            assert!(
                overflow["scrollWidth"].as_u64() <= overflow["innerWidth"].as_u64(),
                "{name}: the page overflows: {overflow}"
            );
        }
    }
    let views: Vec<&str> = v["views"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap()).collect();
    for want in [
        "dashboard-1280-en",
        "dashboard-1280-zh-CN",
        "dashboard-768-en",
        "dashboard-768-zh-CN",
        "dashboard-1024x768-en",
        "dashboard-768x1024-zh-CN",
        "history-en",
        "history-zh-CN",
        "risks-en",
        "risks-zh-CN",
        "issued-en",
        "issued-zh-CN",
        "drill-en",
        "defect-zh-CN",
    ] {
        assert!(views.contains(&want), "{want} not checked: {views:?}");
    }
    // Names were shown where ids were: the reassignment with both contractors, the issuer, the marked unknown author.
    let history_en = v["historyText"]["en"].as_str().unwrap();
    assert!(history_en.contains(&format!("moved from {} to {};", english(&from), english(to))), "{history_en}");
    assert!(v["historyText"]["zh-CN"].as_str().unwrap().contains("王敏"));
    assert!(v["issuedBy"].as_str().unwrap().contains("王敏"), "{v}");
    assert!(v["unknownMarked"].as_u64().unwrap() > 0, "the simulation's \"cs\" is shown marked: {v}");
    // The weekly trend: one point per week the server counts, each with its number.
    let (_, live) = cs.call("GET", &format!("{p}/reports/cumulative"), None);
    let weeks = live["weeks"].as_array().unwrap();
    assert!(weeks.len() >= 10, "{weeks:?}");
    let shown = v["weeks"].as_array().unwrap();
    assert_eq!(shown.len(), weeks.len());
    for (s, w) in shown.iter().zip(weeks) {
        assert_eq!(s["week"], w["week_start"]);
        assert_eq!(s["open"].as_str().unwrap(), w["open"].to_string());
        assert_eq!(s["overdue"].as_str().unwrap(), w["overdue"].to_string());
    }
    // The bars are sorted, largest first.
    for chart in ["categoryBars", "contractorBars"] {
        let values: Vec<u64> =
            v[chart].as_array().unwrap().iter().map(|b| b.as_str().unwrap().parse().unwrap()).collect();
        assert!(values.windows(2).all(|w| w[0] >= w[1]), "{chart}: {values:?}");
        assert!(!values.is_empty());
    }
    // The section links reach every section, and the downloads are named.
    assert!(v["sections"].as_u64().unwrap() >= 10, "{v}");
    assert_eq!(
        v["downloadName"],
        format!("Lanting Residences-cumulative-to-round-3-report-{}-Contractors.csv", today())
    );
    assert_eq!(v["downloadNameZh"], format!("华景·澜庭-累计至第3轮模拟验收报告-{}-施工单位整改情况.csv", today()));
}
