//! Headless Chromium drives the dashboard on three simulated rounds of the
//! demo project: the CS center signs in, opens round 3's report, and drills
//! from a contractor's "failed twice or more" count to the defects behind
//! it. What the page shows is checked against the server's JSON report and
//! drill-down.

use serde_json::Value;
use walkthrough_e2e::*;

fn get(url: &str, token: &str) -> Value {
    reqwest::blocking::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.json())
        .unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn percent(v: &Value) -> String {
    v.as_f64().map_or("—".into(), |f| format!("{:.1}%", f * 100.0))
}

#[test]
fn the_cs_center_opens_a_round_and_drills_from_failed_twice_to_the_defects() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    seed_demo_rounds(&server.store, 3, 7);
    let out = run_browser_script("dashboard.mjs", &[server.url.as_str(), "hj-lanting", "3"]);
    let v: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(v.get("failure").is_none(), "the browser script failed: {v:#}");

    let token = login(&server.url, "u-cs-wang");
    let base = format!("{}/api/v1/projects/hj-lanting/reports/3", server.url);
    let report = get(&base, &token);
    let days = report["days_to_handover"].as_i64().unwrap();
    assert_eq!(v["title"], format!("Round 3 · as of 2026-10-09 · handover 2026-10-31 ({days} days)"));
    assert_eq!(v["titleZh"], format!("第 3 轮 · 统计截止 2026-10-09 · 交付 2026-10-31（{days} 天）"));

    // The contractors' table on the page is the report's, number for number.
    let table = report["tables"].as_array().unwrap().iter().find(|t| t["key"] == "contractors").unwrap();
    let cols: Vec<&str> = table["columns"].as_array().unwrap().iter().map(|c| c["key"].as_str().unwrap()).collect();
    let rows = table["rows"].as_array().unwrap();
    let shown = v["contractors"].as_array().unwrap();
    assert_eq!(shown.len(), rows.len());
    for (s, r) in shown.iter().zip(rows) {
        assert_eq!(s["_row"], r[0]);
        for (i, key) in cols.iter().enumerate() {
            let expected = match &r[i] {
                Value::String(x) => x.clone(),
                n if key.ends_with("_rate") => percent(n),
                n => n.to_string(),
            };
            if *key == "name_zh" || *key == "contractor" {
                continue; // English page: the English name is shown, the code is the row id.
            }
            assert_eq!(s[*key].as_str(), Some(expected.as_str()), "{} {key}", r[0]);
        }
    }
    let with_twice = rows.iter().filter(|r| r[cols.iter().position(|c| *c == "failed_twice_or_more").unwrap()] != 0);
    assert_eq!(v["drillButtons"].as_u64().unwrap() as usize, with_twice.count());
    // The summary's rates are shown as percentages.
    let timely = v["summary"].as_array().unwrap().iter().find(|r| r["_row"] == "timely_rate").unwrap();
    let expected = report["tables"][0]["rows"].as_array().unwrap().iter().find(|r| r[0] == "timely_rate").unwrap();
    assert_eq!(timely["value"].as_str(), Some(percent(&expected[3]).as_str()));

    // The drill-down: the count clicked is the list shown, and it is the server's list.
    let contractor = v["drillContractor"].as_str().unwrap();
    let count: usize = v["drillCount"].as_str().unwrap().parse().unwrap();
    assert!(count >= 1);
    let list = get(&format!("{base}/defects?filter=failed_twice&contractor={contractor}"), &token);
    let list = list.as_array().unwrap();
    let drilled = v["drillRows"].as_array().unwrap();
    assert_eq!((drilled.len(), list.len()), (count, count), "{v:#}");
    for (d, l) in drilled.iter().zip(list) {
        assert_eq!(d["_row"], l["id"]);
        assert_eq!(d["unit"], l["unit"]);
        assert!(d["failed_rechecks"].as_str().unwrap().parse::<u32>().unwrap() >= 2);
    }
    assert!(v["drillTitle"]
        .as_str()
        .unwrap()
        .ends_with(&format!("{count} items whose repairs failed recheck twice or more")));

    // Chinese headings, no error anywhere.
    let headings: Vec<&str> = v["headingsZh"].as_array().unwrap().iter().map(|h| h.as_str().unwrap()).collect();
    for h in ["概况", "施工单位整改情况", "三类重点问题", "复验结果"] {
        assert!(headings.contains(&h), "{headings:?}");
    }
    assert_eq!(v["errors"], 0);
}
