//! Headless Chromium drives the dashboard on three simulated rounds of the
//! demo project: the CS center signs in, opens round 3's report, and drills
//! from a contractor's "failed twice or more" count to the defects behind
//! it. What the page shows is checked against the server's JSON report and
//! drill-down.

use serde_json::{json, Value};
use walkthrough_e2e::*;

fn get(url: &str, token: &str) -> Value {
    walkthrough_e2e::http_client()
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
    // The days to handover in words (22 days before it: round 3 is due 2026-10-09).
    assert_eq!(report["countdown"], json!({ "zh": "距交付 22 天", "en": "22 days to handover" }));
    assert_eq!(v["title"], "Round 3 · as of 2026-10-09 · handover 2026-10-31 (22 days to handover)");
    assert_eq!(v["titleZh"], "第 3 轮 · 统计截止 2026-10-09 · 交付 2026-10-31（距交付 22 天）");

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
        // The unit by its building and door number, in the page's language; never its code.
        assert_eq!(d["unit"], l["unit_name"]["en"]);
        assert_ne!(d["unit"], l["unit"]);
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

fn table<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["tables"].as_array().unwrap().iter().find(|t| t["key"] == key).unwrap_or_else(|| panic!("no table {key}"))
}

/// A column of a report table by row key: (row key, value).
fn column(report: &Value, key: &str, col: &str) -> Vec<(String, Value)> {
    let t = table(report, key);
    let i = t["columns"].as_array().unwrap().iter().position(|c| c["key"] == col).unwrap();
    t["rows"].as_array().unwrap().iter().map(|r| (r[0].as_str().unwrap().to_owned(), r[i].clone())).collect()
}

fn summary(report: &Value, metric: &str) -> Value {
    table(report, "summary")["rows"].as_array().unwrap().iter().find(|r| r[0] == metric).unwrap()[3].clone()
}

#[test]
fn the_cs_center_reads_charts_and_progress_opens_a_marked_defect_accepts_its_risk_and_reads_the_company() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    seed_demo_rounds(&server.store, 3, 7);
    // One defect with a marked photo, recorded and synced by a tablet.
    let mut tablet = walkthrough_e2e::field::Tablet::new(&server.url, "u-insp-li");
    let marked = tablet.record("B1-0101", "waterproofing", Some("floor_drain_blocked.jpg"), 1);
    tablet.sync();
    let (unit, defect) = (marked.unit.to_string(), marked.id.to_string());
    let token = login(&server.url, "u-cs-wang");
    let api = |path: &str| get(&format!("{}/api/v1/projects/hj-lanting{path}", server.url), &token);
    // The figures to date and the progress before the page accepts a risk (which changes them).
    let report = api("/reports/cumulative");
    let open: Vec<Value> =
        get(&format!("{}/api/v1/projects/hj-lanting/reports/cumulative/defects?filter=open", server.url), &token)
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["unit"] == unit.as_str())
            .cloned()
            .collect();
    let model = api("");
    let mut expected = Vec::new();
    for round in model["rounds"].as_array().unwrap() {
        let no = round["no"].as_u64().unwrap();
        for p in api(&format!("/rounds/{no}/progress")).as_array().unwrap() {
            expected.push((
                no.to_string(),
                p["inspector"].clone(),
                p["assigned"].clone(),
                p["started"].clone(),
                p["done"].clone(),
            ));
        }
    }
    let out = run_browser_script("dashboard_risks.mjs", &[server.url.as_str(), "hj-lanting", &unit, &defect]);
    let v: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(v.get("failure").is_none(), "the browser script failed: {v:#}");

    // The charts' bars carry the numbers of the tables on the page, which are the report's.
    let bars = |key: &str| -> Vec<(String, Value)> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                (
                    b["key"].as_str().unwrap().to_owned(),
                    Value::from(b["value"].as_str().unwrap().parse::<u64>().unwrap()),
                )
            })
            .collect()
    };
    let shown = |rows: &str, key: &str| -> Vec<(String, Value)> {
        v[rows]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (r["_row"].as_str().unwrap().to_owned(), Value::from(r[key].as_str().unwrap().parse::<u64>().unwrap()))
            })
            .collect()
    };
    // The bars show the table's numbers, largest first (ties in the order of
    // their labels, which the table does not share).
    for (chart, rows, key) in [("categoryBars", "categories", "own"), ("contractorBars", "contractors", "open")] {
        let drawn = bars(chart);
        let values: Vec<u64> = drawn.iter().map(|(_, v)| v.as_u64().unwrap()).collect();
        assert!(values.windows(2).all(|w| w[0] >= w[1]), "{chart} is sorted largest first: {drawn:?}");
        let (mut drawn, mut table) = (drawn, shown(rows, key));
        drawn.sort_by(|a, b| a.0.cmp(&b.0));
        table.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(drawn, table, "{chart} draws the {rows} table");
    }
    assert_eq!(shown("categories", "own"), column(&report, "categories", "own"));
    assert_eq!(shown("contractors", "open"), column(&report, "contractors", "open"));
    assert!(!v["categoryBars"].as_array().unwrap().is_empty());
    // The trend: one point per started round, each that round's report.
    let trend = v["trend"].as_array().unwrap();
    assert_eq!(trend.len(), 3, "{trend:?}");
    for point in trend {
        let round = api(&format!("/reports/{}", point["round"].as_str().unwrap()));
        assert_eq!(point["open"].as_str().unwrap(), summary(&round, "open_defects").to_string());
        assert_eq!(point["overdue"].as_str().unwrap(), summary(&round, "overdue").to_string());
        assert_eq!(point["found"].as_str().unwrap(), summary(&round, "defects_found").to_string());
    }
    // The figures to date are the cumulative report's.
    for kpi in v["kpis"].as_array().unwrap() {
        let expected = summary(&report, kpi["key"].as_str().unwrap());
        assert_eq!(kpi["value"].as_str().unwrap(), expected.to_string(), "{kpi}");
    }
    assert_eq!(v["handoverDays"].as_str().unwrap(), report["days_to_handover"].to_string());
    // In words: "31 days past handover" once it is past, never "-31 days left".
    let countdown = report["countdown"]["en"].as_str().unwrap();
    assert_eq!(v["handoverText"], json!(format!("Handover 2026-10-31: {countdown}")));
    let days = report["days_to_handover"].as_i64().unwrap();
    assert!(days >= 0 || countdown == format!("{} days past handover", -days), "{countdown}");
    // Progress: every inspector of every round, as the progress API says.
    let shown: Vec<_> = v["progress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let n = |k: &str| Value::from(r[k].as_str().unwrap().parse::<u64>().unwrap());
            (
                r["data_round"].as_str().unwrap().to_owned(),
                r["data_inspector"].clone(),
                n("assigned"),
                n("started"),
                n("done"),
            )
        })
        .collect();
    assert_eq!(shown, expected, "the progress before the risk was accepted");
    assert!(v["openButtons"].as_u64().unwrap() > 0 && v["overdueButtons"].as_u64().unwrap() > 0, "{v:#}");

    // From the unit's open count to its open defects, as the drill-down API lists them.
    let drilled: Vec<&str> = v["unitDrill"].as_array().unwrap().iter().map(|r| r["_row"].as_str().unwrap()).collect();
    let listed: Vec<&str> = open.iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(drilled, listed);
    let unit_name = format!("Building {} {}", &unit[1..2], &unit[3..]);
    assert!(
        v["unitDrillTitle"].as_str().unwrap().starts_with(&format!("Unit {unit_name}: {} open", listed.len())),
        "{v:#}"
    );

    // From a contractor's overdue count to the defects behind it (not changed by the risk accepted later).
    let contractor = v["overdueContractor"].as_str().unwrap();
    let overdue = get(
        &format!(
            "{}/api/v1/projects/hj-lanting/reports/cumulative/defects?filter=overdue&contractor={contractor}",
            server.url
        ),
        &token,
    );
    let overdue: Vec<&str> = overdue.as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    let drilled: Vec<&str> =
        v["overdueDrill"].as_array().unwrap().iter().map(|r| r["_row"].as_str().unwrap()).collect();
    assert_eq!(drilled, overdue);
    assert_eq!(v["overdueCount"].as_str().unwrap(), overdue.len().to_string());
    assert!(v["overdueTitle"].as_str().unwrap().ends_with(&format!(": {} overdue items", overdue.len())), "{v:#}");

    // The defect: its photo loaded with every mark drawn, its history.
    assert_eq!(v["defectShown"], defect.as_str());
    assert_eq!(v["photos"], 1);
    assert!(v["photoWidth"].as_u64().unwrap() > 0);
    assert_eq!(v["markShapes"], 3, "circle, arrow and label");
    // Its history: the recording, then each event the API lists (none yet for a new defect).
    let detail = api(&format!("/defects/{defect}"));
    let mut events = vec![Value::from("found")];
    events.extend(
        detail["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] != "accepted_risk")
            .map(|e| e["type"].clone()),
    );
    assert_eq!(v["history"].as_array().unwrap(), &events);

    // Accepted as a risk: refused without a plan (in words), then shown, listed, and in the API.
    assert!(v["riskError"].as_str().unwrap().contains("contingency plan"), "{v:#}");
    assert_eq!(v["riskShown"], "此处为结构梁，无法调整；交付资料中已说明。");
    assert_eq!(v["statusAfter"], "accepted_risk");
    // The accepted risks page lists what the API lists (the simulation accepted some too), this one among them.
    let risks = api("/risks");
    let risks = risks.as_array().unwrap();
    let listed = v["risks"].as_array().unwrap();
    let ids = |rows: &[Value], key: &str| rows.iter().map(|r| r[key].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(ids(listed, "_row"), ids(risks, "defect"));
    let ours = risks.iter().find(|r| r["defect"] == defect.as_str()).expect("the accepted risk in the API");
    assert_eq!(ours["risk"]["unified_answer"]["zh"], "此处为结构梁，无法调整；交付资料中已说明。");
    let shown = listed.iter().find(|r| r["_row"] == defect.as_str()).expect("the accepted risk on the page");
    assert_eq!(shown["answer"], "此处为结构梁，无法调整；交付资料中已说明。");
    assert_eq!(shown["plan"], "交付时由工程师现场解释并提供图纸");
    // Edited on the page: the new plan is listed and is the API's.
    let edited = v["risksEdited"].as_array().unwrap();
    assert_eq!(ids(edited, "_row"), ids(risks, "defect"));
    for (row, api_row) in edited.iter().zip(risks) {
        let expected = if row["_row"] == defect.as_str() {
            "提供免费吊顶改造方案"
        } else {
            api_row["risk"]["contingency_plan"].as_str().unwrap()
        };
        assert_eq!(row["plan"], expected);
    }
    assert_eq!(
        (&ours["risk"]["contingency_plan"], &ours["risk"]["edits"]),
        (&json!("提供免费吊顶改造方案"), &json!(1))
    );

    // The company page: the overview's figures, a row per project.
    let overview = get(&format!("{}/api/v1/company/overview", server.url), &token);
    let company = v["company"].as_array().unwrap();
    let projects = overview["projects"].as_array().unwrap();
    assert_eq!(company.len(), projects.len());
    for (row, p) in company.iter().zip(projects) {
        assert_eq!(row["_row"], p["id"]);
        for key in ["units", "units_inspected", "open_defects", "overdue", "failed_twice_or_more"] {
            assert_eq!(row[key].as_str().unwrap(), p[key].to_string(), "{key}");
        }
        // The days in words, never a negative count.
        assert_eq!(row["days_to_handover"], p["countdown"]["en"]);
        let days = p["days_to_handover"].as_i64().unwrap();
        let words = if days < 0 { format!("{} days past handover", -days) } else { format!("{days} days to handover") };
        assert!(days.abs() <= 1 || row["days_to_handover"] == json!(words), "{row}");
        for key in ["closed_rate", "timely_rate"] {
            assert_eq!(row[key].as_str().unwrap(), percent(&p[key]), "{key}");
        }
    }

    // Chinese, and no error anywhere; an inspector is refused.
    assert_eq!(v["companyTitleZh"], "华景地产苏州公司 的项目");
    let headers: Vec<&str> = v["companyHeadersZh"].as_array().unwrap().iter().map(|h| h.as_str().unwrap()).collect();
    for h in ["完结率", "及时完结率", "距交付"] {
        assert!(headers.contains(&h), "{headers:?}");
    }
    let headings: Vec<&str> =
        v["dashboardHeadingsZh"].as_array().unwrap().iter().map(|h| h.as_str().unwrap()).collect();
    for h in ["轮次计划进度", "图表", "本轮问题按分类（自查）", "各轮未完结问题趋势"] {
        assert!(headings.contains(&h), "{headings:?}");
    }
    assert_eq!(v["errors"], 0);
    assert_eq!(v["inspectorRefused"], "此页面仅供客服中心使用，您的账号无权访问。");
}
