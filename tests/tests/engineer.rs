//! Headless Chromium: the CS center invites an engineer of the project
//! department in the console; the engineer signs in (setting a password)
//! after three simulated rounds, with an accepted risk and an issued,
//! shared report, and sees the dashboard, the accepted risks and the issued
//! reports of the project — read-only: only the pages an engineer may open,
//! and on each of them no control that writes (every button, field and form
//! there is listed and checked against the controls that only read).

use serde_json::{json, Value};
use walkthrough_e2e::*;

fn call(method: &str, url: &str, token: &str, body: Option<Value>) -> Value {
    let http = walkthrough_e2e::http_client();
    let rb = match method {
        "GET" => http.get(url),
        _ => http.post(url).json(&body.unwrap_or(json!({}))),
    };
    let res = rb.bearer_auth(token).send().unwrap();
    assert!(res.status().is_success(), "{method} {url}: {}", res.status());
    res.json().unwrap_or(Value::Null)
}

#[test]
fn an_engineer_reads_the_dashboard_risks_and_issued_reports_without_a_write_control() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    seed_demo_rounds(&server.store, 3, 7);
    let api = format!("{}/api/v1/projects/hj-lanting", server.url);
    let cs = login(&server.url, "u-cs-wang");
    // The CS center accepts a risk, issues the cumulative report and shares it.
    let open = call("GET", &format!("{api}/reports/cumulative/defects?filter=open"), &cs, None);
    let defect = open[0]["id"].as_str().unwrap().to_owned();
    let answer = json!({"unified_answer": {"zh": "结构梁无法移动。", "en": "A beam; it cannot move."}, "contingency_plan": "交付时现场解释"});
    call("POST", &format!("{api}/defects/{defect}/accept-risk"), &cs, Some(answer));
    let mut job = call("POST", &format!("{api}/reports/cumulative/issue"), &cs, Some(json!({"photos": false})));
    for _ in 0..1200 {
        if matches!(job["state"].as_str(), Some("done" | "failed")) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        job = call("GET", &format!("{}/api/v1/jobs/{}", server.url, job["id"].as_str().unwrap()), &cs, None);
    }
    assert_eq!(job["state"], "done", "{job:#}");
    let issued = job["result"]["id"].as_str().unwrap().to_owned();
    call("POST", &format!("{api}/issued/{issued}/shares"), &cs, Some(json!({"days": 30})));

    let args = [server.url.as_str(), "hj-lanting", "u-eng-new", "Gongcheng-2026-new"];
    let out = run_browser_script("engineer.mjs", &args);
    let v: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(v.get("failure").is_none(), "the browser script failed: {v:#}");

    assert_eq!(v["invitedStatus"], "Active", "{v:#}");
    assert_eq!(v["nav"], json!(["nav-dashboard", "nav-issued", "nav-risks"]), "only the pages an engineer reads");
    assert_eq!(v["unitsByAddress"], 0, "a CS-center page is not opened by its address");
    assert!(v["dashboardDefect"].is_string());
    assert!(v["riskRows"].as_u64() >= Some(1), "{v:#}");
    assert!(!v["riskDefectRisk"].as_str().unwrap().is_empty(), "the answer is shown: {v:#}");
    assert_eq!(v["issuedRows"], 1);
    assert_eq!(v["shares"], 1, "the report's share is listed");
    // The controls that only read: choose a round, download, drill down,
    // open and close a defect's panel, jump to a section of the page.
    let reads = |b: &str| {
        matches!(
            b,
            "report-round"
                | "download-csv"
                | "drill-close"
                | "open-defect"
                | "risk-open"
                | "defect-close"
                | "section-link"
        ) || b.starts_with("download-")
            || b.starts_with("drill-")
            || b.starts_with("issued-")
    };
    for page in ["dashboard", "risks", "issued"] {
        let c = &v["controls"][page];
        assert_eq!(c["forms"], 0, "{page}: {c:#}");
        for control in c["buttons"].as_array().unwrap().iter().chain(c["fields"].as_array().unwrap()) {
            let control = control.as_str().unwrap();
            assert!(reads(control), "{page} shows {control:?}, which is not a reading control: {c:#}");
        }
    }
    // The controls were found at all: the round choice, a defect opened, the downloads.
    assert!(v["controls"]["dashboard"]["fields"].as_array().unwrap().contains(&json!("report-round")), "{v:#}");
    assert!(v["controls"]["dashboard"]["buttons"].as_array().unwrap().contains(&json!("defect-close")), "{v:#}");
    assert!(v["controls"]["issued"]["buttons"].as_array().unwrap().contains(&json!("issued-pdf")), "{v:#}");
    // The account the console created is an engineer's.
    let store = &server.store;
    let user = walkthrough_server::store::Store::user_by_name(store.as_ref(), "u-eng-new").unwrap().unwrap();
    assert_eq!(user.role, walkthrough_core::model::Role::Engineer);
}
