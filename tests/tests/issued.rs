//! Issuing reports over real HTTP on three simulated rounds of the demo
//! project (with photos): the CS center issues the cumulative report as a
//! background job and follows its progress; the stored version is
//! downloaded byte for byte as issued even after the data changed (a second
//! issue is version 2 and differs); the PDF has charts, the accepted risks
//! with their unified answers and both appendices with photos (read back
//! with pdftotext and pdfimages); a share link opens that one version
//! without an account until it is revoked. Inspectors, engineers and
//! strangers cannot issue or share.

use calamine::Reader;
use serde_json::{json, Value};
use std::process::Command;
use walkthrough_e2e::*;

fn client() -> reqwest::blocking::Client {
    walkthrough_e2e::http_client()
}

fn send(rb: reqwest::blocking::RequestBuilder) -> (u16, Vec<u8>) {
    let r = rb.send().expect("request");
    (r.status().as_u16(), r.bytes().expect("body").to_vec())
}

fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
}

/// Issue and follow the job to its end; the stages seen and the result.
fn issue(url: &str, token: &str, round: &str, body: Value) -> (Vec<String>, Value) {
    let (s, b) = send(
        client().post(format!("{url}/api/v1/projects/hj-lanting/reports/{round}/issue")).bearer_auth(token).json(&body),
    );
    assert_eq!(s, 202, "{}", String::from_utf8_lossy(&b));
    let mut job = json_of(&b);
    let mut stages = Vec::new();
    for _ in 0..1200 {
        stages.push(job["stage"].as_str().unwrap_or_default().to_owned());
        if matches!(job["state"].as_str(), Some("done" | "failed")) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        let (s, b) =
            send(client().get(format!("{url}/api/v1/jobs/{}", job["id"].as_str().unwrap())).bearer_auth(token));
        assert_eq!(s, 200);
        job = json_of(&b);
    }
    assert_eq!(job["state"], "done", "{job:#}");
    stages.dedup();
    (stages, job["result"].clone())
}

fn file(url: &str, token: &str, id: &str, format: &str) -> Vec<u8> {
    let (s, b) =
        send(client().get(format!("{url}/api/v1/projects/hj-lanting/issued/{id}?format={format}")).bearer_auth(token));
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&b));
    b
}

fn pdftotext(bytes: &[u8], name: &str) -> String {
    let path = artefacts().join(name);
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("pdftotext").args(["-layout"]).arg(&path).arg("-").output().expect("pdftotext");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_cs_center_issues_downloads_as_issued_and_shares_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    seed_demo_rounds_with(&server.store, 3, 7, true);
    let url = server.url.clone();
    let cs = login(&url, "u-cs-wang");

    // Only the CS center issues; a wrong round is refused at once.
    for who in ["u-insp-li", "u-eng-sun"] {
        let token = login(&url, who);
        let (s, _) = send(
            client()
                .post(format!("{url}/api/v1/projects/hj-lanting/reports/3/issue"))
                .bearer_auth(&token)
                .json(&json!({})),
        );
        assert_eq!(s, 403, "{who} must not issue");
    }
    let (s, _) = send(client().post(format!("{url}/api/v1/projects/hj-lanting/reports/3/issue")).json(&json!({})));
    assert_eq!(s, 401);
    let (s, b) = send(
        client().post(format!("{url}/api/v1/projects/hj-lanting/reports/9/issue")).bearer_auth(&cs).json(&json!({})),
    );
    assert_eq!(s, 404, "{}", String::from_utf8_lossy(&b));
    assert!(json_of(&b)["error"].as_str().unwrap().contains("no round 9"));
    let (s, b) = send(
        client()
            .post(format!("{url}/api/v1/projects/hj-lanting/reports/3/issue"))
            .bearer_auth(&cs)
            .json(&json!({"as_of": "yesterday"})),
    );
    assert_eq!(s, 400);
    assert!(json_of(&b)["error"].as_str().unwrap().contains("not a date"));
    let (s, b) = send(client().get(format!("{url}/api/v1/projects/hj-lanting/issued")).bearer_auth(&cs));
    assert_eq!((s, json_of(&b)), (200, json!([])), "nothing was issued by the refusals");

    // Issue the cumulative report: a job with progress, then version 1.
    let live_before =
        json_of(&send(client().get(format!("{url}/api/v1/projects/hj-lanting/reports/cumulative")).bearer_auth(&cs)).1);
    let (stages, v1) = issue(&url, &cs, "cumulative", json!({}));
    assert!(stages.contains(&"done".to_owned()), "{stages:?}");
    assert!(stages.len() >= 2, "progress was reported: {stages:?}");
    assert_eq!(
        (v1["version"].as_u64(), v1["scope"].as_str(), v1["round"].as_u64()),
        (Some(1), Some("cumulative"), Some(3))
    );
    assert_eq!(v1["issued_by"], "u-cs-wang");
    assert_eq!(v1["with_photos"], true);
    let id1 = v1["id"].as_str().unwrap().to_owned();
    let json1 = file(&url, &cs, &id1, "json");
    let pdf1 = file(&url, &cs, &id1, "pdf");
    let xlsx1 = file(&url, &cs, &id1, "xlsx");
    assert_eq!(pdf1.len() as u64, v1["sizes"]["pdf"].as_u64().unwrap());
    let frozen = json_of(&json1);
    assert_eq!(frozen["tables"], live_before["tables"], "issued as the report stood");

    // The PDF: charts, accepted risks with their answers, both appendices, photos.
    let text = pdftotext(&pdf1, "issued-cumulative-v1.pdf");
    for heading in
        ["图表", "按问题分类", "未完结问题趋势", "不整改风险及统一口径", "重复问题部位", "附录一", "附录二", "室"]
    {
        assert!(text.contains(heading), "the issued PDF lacks {heading:?}");
    }
    let risks = frozen["tables"].as_array().unwrap().iter().find(|t| t["key"] == "accepted_risks").unwrap();
    let rows = risks["rows"].as_array().unwrap();
    assert!(!rows.is_empty(), "the simulation accepts some risks");
    let answer_col = risks["columns"].as_array().unwrap().iter().position(|c| c["key"] == "answer_zh").unwrap();
    for r in rows {
        let answer = r[answer_col].as_str().unwrap();
        assert!(!answer.is_empty(), "every accepted risk has its unified answer: {r}");
        let head: String = answer.chars().take(6).collect();
        assert!(text.contains(&head), "the PDF prints the unified answer {answer:?}");
    }
    let trend = frozen["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 3, "one point per round");
    assert_eq!(trend[2]["open"], frozen["kpis"]["summary"]["open_defects"]);
    let path = artefacts().join("issued-cumulative-v1.pdf");
    let images = Command::new("pdfimages").arg("-list").arg(&path).output().expect("pdfimages");
    let listed = String::from_utf8_lossy(&images.stdout).lines().skip(2).count();
    assert!(listed >= 10, "the appendix prints photos: {listed} images");
    let png = artefacts().join("issued-cumulative-v1");
    let ok = Command::new("pdftoppm").args(["-png", "-r", "60", "-f", "1", "-l", "3"]).arg(&path).arg(&png).status();
    assert!(ok.is_ok_and(|s| s.success()), "pdftoppm");
    // The workbook (read by calamine) has the new tables.
    let wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx1.clone())).unwrap();
    for sheet in ["accepted_risks", "repeat_spots", "contractors"] {
        assert!(wb.sheet_names().iter().any(|s| s == sheet), "sheet {sheet}");
    }

    // The data change: an open defect moves to another contractor.
    let open = json_of(
        &send(
            client()
                .get(format!("{url}/api/v1/projects/hj-lanting/reports/cumulative/defects?filter=open"))
                .bearer_auth(&cs),
        )
        .1,
    );
    let contractors: Vec<String> = live_before["kpis"]["completion"]["own_inspection"]["by_contractor"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let moved = open.as_array().unwrap().iter().any(|d| {
        let Some(holder) = d["contractor"].as_str() else { return false };
        let Some(other) = contractors.iter().find(|c| *c != holder && c.starts_with("c-")) else { return false };
        let (s, _) = send(
            client()
                .post(format!("{url}/api/v1/projects/hj-lanting/defects/{}/assign", d["id"].as_str().unwrap()))
                .bearer_auth(&cs)
                .json(&json!({"contractor": other, "reason": "the first contractor left the site"})),
        );
        s == 200
    });
    assert!(moved, "an open defect could be reassigned");
    let live_after =
        json_of(&send(client().get(format!("{url}/api/v1/projects/hj-lanting/reports/cumulative")).bearer_auth(&cs)).1);
    assert_ne!(live_after["tables"], live_before["tables"], "the live report changed");

    // Version 1 is served exactly as issued; version 2 has the change.
    assert_eq!(file(&url, &cs, &id1, "json"), json1);
    assert_eq!(file(&url, &cs, &id1, "pdf"), pdf1);
    assert_eq!(file(&url, &cs, &id1, "xlsx"), xlsx1);
    let (_, v2) = issue(&url, &cs, "cumulative", json!({"photos": false}));
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["with_photos"], false);
    let id2 = v2["id"].as_str().unwrap().to_owned();
    let json2 = json_of(&file(&url, &cs, &id2, "json"));
    assert_eq!(json2["tables"], live_after["tables"]);
    let (_, v_round) = issue(&url, &cs, "3", json!({"photos": false}));
    assert_eq!(v_round["version"], 1, "versions count per report");
    let list = json_of(&send(client().get(format!("{url}/api/v1/projects/hj-lanting/issued")).bearer_auth(&cs)).1);
    let versions: Vec<(String, u64)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["scope"].as_str().unwrap().to_owned(), r["version"].as_u64().unwrap()))
        .collect();
    assert_eq!(versions, [("round".into(), 1), ("cumulative".into(), 2), ("cumulative".into(), 1)]);
    // Engineers read issued reports; inspectors do not.
    let eng = login(&url, "u-eng-sun");
    assert_eq!(file(&url, &eng, &id1, "pdf"), pdf1);
    let insp = login(&url, "u-insp-li");
    let (s, _) =
        send(client().get(format!("{url}/api/v1/projects/hj-lanting/issued/{id1}?format=pdf")).bearer_auth(&insp));
    assert_eq!(s, 403);

    // A share link opens version 1, without an account, until revoked.
    let (s, _) = send(client().post(format!("{url}/api/v1/projects/hj-lanting/issued/{id1}/shares")).bearer_auth(&eng));
    assert_eq!(s, 403, "engineers do not share");
    let (s, b) = send(client().post(format!("{url}/api/v1/projects/hj-lanting/issued/{id1}/shares")).bearer_auth(&cs));
    assert_eq!(s, 200);
    let made = json_of(&b);
    let token = made["token"].as_str().unwrap().to_owned();
    assert!(made["path"].as_str().unwrap().ends_with(&format!("#{token}")), "the secret travels in the fragment");
    let shared = |format: &str, token: &str| {
        let q = if format.is_empty() { String::new() } else { format!("?format={format}") };
        send(client().get(format!("{url}/api/v1/shared-report{q}")).header("X-Share-Token", token))
    };
    let (s, b) = shared("", &token);
    assert_eq!(s, 200);
    let view = json_of(&b);
    assert_eq!(view["issued"]["version"], 1);
    assert_eq!(view["report"], frozen);
    assert_eq!(shared("pdf", &token), (200, pdf1.clone()));
    let list = json_of(&send(client().get(format!("{url}/api/v1/projects/hj-lanting/issued")).bearer_auth(&cs)).1);
    let share = &list.as_array().unwrap().iter().find(|r| r["id"] == id1.as_str()).unwrap()["shares"][0];
    assert!(share["last_used_at"].is_number(), "opening is recorded");
    let share_id = share["id"].as_str().unwrap();
    let (s, _) = send(
        client().delete(format!("{url}/api/v1/projects/hj-lanting/issued/{id1}/shares/{share_id}")).bearer_auth(&cs),
    );
    assert_eq!(s, 204);
    for t in [token.as_str(), "0123456789abcdef", ""] {
        let (s, b) = shared("pdf", t);
        assert_eq!(s, 401, "token {t:?}");
        assert_eq!(json_of(&b)["error"], "this report link is not valid (it may have expired or been revoked)");
    }
    // Every act is in the project's history.
    let history = json_of(&send(client().get(format!("{url}/api/v1/projects/hj-lanting/history")).bearer_auth(&cs)).1);
    let text = history.to_string();
    for what in
        ["issued cumulative (to round 3) report v1", "issued round 3 report v1", "shared cumulative", "revoked link"]
    {
        assert!(text.contains(what), "history lacks {what:?}: {text}");
    }
}

#[test]
fn the_console_issues_a_report_with_progress_and_its_link_stops_working_when_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    seed_demo_rounds_with(&server.store, 3, 7, true);
    let out = run_browser_script("issued.mjs", &[server.url.as_str(), "hj-lanting"]);
    let v: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(v.get("failure").is_none(), "the browser script failed: {v:#}");
    assert!(!v["stages"].as_array().unwrap().is_empty(), "progress was shown: {v}");
    assert_eq!(v["versions"], json!(["v1"]));
    assert!(v["pdfBytes"].as_u64().unwrap() > 10_000, "the PDF was downloaded: {v}");
    assert!(v["sharedMeta"].as_str().unwrap().contains("第 1 版"), "{v}");
    assert!(v["sharedTables"].as_u64().unwrap() >= 10, "{v}");
    assert_eq!(v["sharedStates"], json!(["revoked"]));
    assert!(v["invalid"].as_str().unwrap().contains("链接无效"), "{v}");
    assert!(v["headingsZh"].as_str().unwrap().contains("发布报告"), "{v}");

    // What the page issued is what the server stored.
    let cs = login(&server.url, "u-cs-wang");
    let (_, b) = send(client().get(format!("{}/api/v1/projects/hj-lanting/issued", server.url)).bearer_auth(&cs));
    let list = json_of(&b);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["sizes"]["pdf"], v["pdfBytes"]);
    assert_eq!(list[0]["shares"][0]["revoked_by"], "u-cs-wang");
}
