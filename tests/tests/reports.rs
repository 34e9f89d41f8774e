//! The round report over HTTP on three simulated rounds of the demo project:
//! who may read it, and the same numbers in every format — the JSON (what
//! the dashboard shows), the CSV, the XLSX read back by calamine (not the
//! writer) and the PDF read back by pdftotext (zh-CN headings and figures;
//! pages rendered to PNG by pdftoppm into the test artefacts).

use calamine::{Data, Reader};
use serde_json::Value;
use std::process::Command;
use walkthrough_e2e::*;

const P: &str = "hj-lanting";

fn get(url: &str, token: Option<&str>) -> (u16, Vec<u8>) {
    let mut req = walkthrough_e2e::http_client().get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().unwrap();
    (res.status().as_u16(), res.bytes().unwrap().to_vec())
}

fn error_of(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body).unwrap()["error"].as_str().unwrap_or_default().to_owned()
}

fn percent(v: &Value) -> String {
    v.as_f64().map_or("—".into(), |f| format!("{:.1}%", f * 100.0))
}

#[test]
fn round_report_formats_agree_and_only_staff_may_read_them() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    seed_demo_rounds(&server.store, 3, 7);
    let base = format!("{}/api/v1/projects/{P}/reports", server.url);
    let cs = login(&server.url, "u-cs-wang");

    // Who may read.
    for (user, status) in [("u-insp-li", 403), ("u-eng-sun", 200), ("u-cs-zhao", 200)] {
        let token = login(&server.url, user);
        assert_eq!(get(&format!("{base}/3"), Some(&token)).0, status, "{user}");
    }
    assert_eq!(get(&format!("{base}/3"), None).0, 401);
    // Bad input, in words.
    for (path, status, words) in [
        ("3?format=docx", 400, "format \"docx\" is not offered"),
        ("three", 400, "is not a round"),
        ("9", 404, "has no round 9"),
        ("3?format=csv&table=nope", 400, "no table \"nope\""),
        ("3?as_of=yesterday", 400, "is not a date"),
        ("3/defects?filter=worst", 400, "filter \"worst\" is not offered"),
        ("3/defects?filter=failed_twice&contractor=c-nobody", 422, "contractor `c-nobody` is not in project"),
    ] {
        let (s, body) = get(&format!("{base}/{path}"), Some(&cs));
        assert_eq!(s, status, "{path}");
        assert!(error_of(&body).contains(words), "{path}: {}", error_of(&body));
    }

    let (s, body) = get(&format!("{base}/3"), Some(&cs));
    assert_eq!(s, 200);
    let report: Value = serde_json::from_slice(&body).unwrap();
    let tables = report["tables"].as_array().unwrap();
    let table = |key: &str| tables.iter().find(|t| t["key"] == key).unwrap_or_else(|| panic!("no {key}")).clone();
    let contractors = table("contractors");
    let rows = contractors["rows"].as_array().unwrap();
    assert!(rows.len() >= 5, "{contractors:#}");
    let cols: Vec<&str> =
        contractors["columns"].as_array().unwrap().iter().map(|c| c["key"].as_str().unwrap()).collect();
    let at = |k: &str| cols.iter().position(|c| *c == k).unwrap();
    // The JSON agrees with the core's figures it came from.
    let kpis = &report["kpis"];
    let total: u64 = rows.iter().map(|r| r[at("total")].as_u64().unwrap()).sum();
    assert_eq!(total, kpis["summary"]["defects_to_date"].as_u64().unwrap());
    let twice: u64 = rows.iter().map(|r| r[at("failed_twice_or_more")].as_u64().unwrap()).sum();
    let by_contractor = kpis["rechecks"]["own_inspection"]["failed_twice_or_more_by_contractor"].as_object().unwrap();
    assert_eq!(twice, by_contractor.values().map(|v| v.as_u64().unwrap()).sum::<u64>());
    assert!(twice > 0, "the simulation has repairs that failed twice: {by_contractor:?}");

    // Drill-down: each contractor's "failed twice" count is its list.
    for r in rows {
        let (who, n) = (r[0].as_str().unwrap(), r[at("failed_twice_or_more")].as_u64().unwrap());
        let (s, body) = get(&format!("{base}/3/defects?filter=failed_twice&contractor={who}"), Some(&cs));
        assert_eq!(s, 200);
        let items: Vec<Value> = serde_json::from_slice(&body).unwrap();
        assert_eq!(items.len() as u64, n, "{who}");
        assert!(items.iter().all(|i| i["failed_rechecks"].as_u64().unwrap() >= 2));
    }

    // CSV: the same rows.
    let (s, body) = get(&format!("{base}/3?format=csv&table=contractors"), Some(&cs));
    assert_eq!(s, 200);
    let mut csv = csv_rows(&body);
    assert_eq!(csv.remove(0), cols.iter().map(|c| c.to_string()).collect::<Vec<_>>());
    assert_eq!(csv.len(), rows.len());
    for (line, r) in csv.iter().zip(rows) {
        for (cell, v) in line.iter().zip(r.as_array().unwrap()) {
            match v {
                Value::String(s) => assert_eq!(cell, s),
                Value::Null => assert_eq!(cell, ""),
                n => assert_close(cell.parse::<f64>().unwrap(), n.as_f64().unwrap(), cell),
            }
        }
    }

    // XLSX read by calamine: one sheet per table, numbers as numbers.
    let (s, body) = get(&format!("{base}/3?format=xlsx"), Some(&cs));
    assert_eq!(s, 200);
    std::fs::write(artefacts().join("report-round-3.xlsx"), &body).unwrap();
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(body)).unwrap();
    let mut names = wb.sheet_names().to_vec();
    assert_eq!(names.remove(0), "report");
    assert_eq!(names, tables.iter().map(|t| t["key"].as_str().unwrap().to_owned()).collect::<Vec<_>>());
    for t in tables {
        let key = t["key"].as_str().unwrap();
        let range = wb.worksheet_range(key).unwrap();
        let sheet: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
        let header: Vec<String> = sheet[0].iter().map(|c| c.to_string()).collect();
        let zh: Vec<&str> = t["columns"].as_array().unwrap().iter().map(|c| c["zh"].as_str().unwrap()).collect();
        assert_eq!(header, zh, "{key}");
        let rows = t["rows"].as_array().unwrap();
        assert_eq!(sheet.len() - 1, rows.len(), "{key}");
        for (line, r) in sheet[1..].iter().zip(rows) {
            for (i, v) in r.as_array().unwrap().iter().enumerate() {
                let cell = line.get(i).unwrap_or(&Data::Empty);
                let kind = t["columns"][i]["kind"].as_str().unwrap();
                match v {
                    // Dates are real dates in the workbook.
                    Value::String(s) if kind == "date" => {
                        let Data::DateTime(d) = cell else { panic!("{key}: {cell:?} should be the date {s}") };
                        let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
                        let day = (epoch + chrono::Days::new(d.as_f64() as u64)).format("%Y-%m-%d").to_string();
                        assert_eq!(&day, s, "{key}");
                    }
                    Value::String(s) => assert_eq!(cell, &Data::String(s.clone()), "{key}"),
                    Value::Null => assert_eq!(cell, &Data::Empty, "{key}"),
                    n => match cell {
                        Data::Float(f) => assert_close(*f, n.as_f64().unwrap(), key),
                        other => panic!("{key}: {other:?} should be the number {n}"),
                    },
                }
            }
        }
    }

    // PDF: zh-CN headings and the contractors' figures, read back by pdftotext.
    let (s, body) = get(&format!("{base}/3?format=pdf"), Some(&cs));
    assert_eq!(s, 200);
    assert!(body.starts_with(b"%PDF"));
    let pdf = artefacts().join("report-round-3.pdf");
    std::fs::write(&pdf, &body).unwrap();
    let out = Command::new("pdftotext").args(["-layout"]).arg(&pdf).arg("-").output().expect("pdftotext");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for heading in [
        "模拟验收报告（第 3 轮）",
        "概况",
        "施工单位整改情况",
        "责任工程师整改情况",
        "三类重点问题",
        "复验结果",
        "及时完结率",
        "华景·澜庭",
    ] {
        assert!(text.contains(heading), "the PDF lacks {heading:?}:\n{text}");
    }
    let days = report["days_to_handover"].as_i64().unwrap();
    assert_eq!(days, 22, "round 3 is due 2026-10-09, 22 days before the handover");
    assert!(text.contains("距交付 22 天"), "{text}");
    assert!(text.contains("统计截止：2026-10-09"), "round 3 is due 2026-10-09: {text}");
    assert!(text.contains("第 1 /"), "page numbers: {text}");
    for r in rows {
        let name = r[at("name_zh")].as_str().unwrap();
        // The contractors' table row (the charts and appendices name them too).
        let line = text
            .lines()
            .find(|l| l.contains(name) && l.split_whitespace().count() >= 10)
            .unwrap_or_else(|| panic!("no table row for {name}:\n{text}"));
        let expected = [
            r[at("total")].to_string(),
            r[at("closed")].to_string(),
            percent(&r[at("closed_rate")]),
            percent(&r[at("timely_rate")]),
            r[at("overdue")].to_string(),
            r[at("failed_twice_or_more")].to_string(),
        ];
        let cells: Vec<&str> = line.split_whitespace().collect();
        for e in &expected {
            assert!(cells.contains(&e.as_str()), "{name}: {e} not in {cells:?}");
        }
        assert_eq!(cells[cells.len() - 1], expected[5], "{line}");
    }
    let png = artefacts().join("report-round-3");
    let ok = Command::new("pdftoppm").args(["-png", "-r", "60", "-f", "1", "-l", "2"]).arg(&pdf).arg(&png).status();
    assert!(ok.is_ok_and(|s| s.success()), "pdftoppm");

    // Cumulative, and a round report as of an earlier date.
    let (s, body) = get(&format!("{base}/cumulative"), Some(&cs));
    assert_eq!(s, 200);
    let cum: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((cum["scope"].as_str(), cum["round"].as_u64()), (Some("cumulative"), Some(3)));
    let (_, body) = get(&format!("{base}/2"), Some(&cs));
    let r2: Value = serde_json::from_slice(&body).unwrap();
    // The end of its due day in the project's zone (Asia/Shanghai, UTC+8).
    assert_eq!(r2["as_of"], "2026-09-04T15:59:59.999Z");
    assert!(r2["previous"]["round"] == 1);
}

fn csv_rows(body: &[u8]) -> Vec<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_reader(body);
    rdr.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
}

/// Equal up to the last bit serde_json's float parsing may lose.
fn assert_close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{what}: {a} != {b}");
}
