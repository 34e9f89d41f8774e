//! Headless Chromium: the CS center imports the unit lists it really has in
//! the console — an XLSX with a merged title row and a note row above the
//! header (found), a CSV with unknown headers under a title row (the person
//! chooses the header row and the columns, with an entrance column), and a
//! GBK CSV from Chinese Excel — and the project then has exactly those units.

use serde_json::{json, Value};
use walkthrough_e2e::*;

fn workbook() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let title = rust_xlsxwriter::Format::new().set_bold().set_align(rust_xlsxwriter::FormatAlign::Center);
    sheet.merge_range(0, 0, 0, 4, "华景·兰亭 5号楼 房源明细表", &title).unwrap();
    sheet
        .merge_range(1, 0, 1, 4, "说明：本表由销售系统导出，房号以合同为准。", &rust_xlsxwriter::Format::new())
        .unwrap();
    for (r, row) in [
        ["楼号", "单元", "所在楼层", "室号", "户型编码"],
        ["5号楼", "1单元", "3", "301", "A"],
        ["5号楼", "2单元", "3", "301", "B"],
    ]
    .iter()
    .enumerate()
    {
        for (c, text) in row.iter().enumerate() {
            match text.parse::<f64>() {
                Ok(n) if c == 2 => sheet.write_number(r as u32 + 2, c as u16, n).unwrap(),
                _ => sheet.write_string(r as u32 + 2, c as u16, *text).unwrap(),
            };
        }
    }
    book.save_to_buffer().unwrap()
}

const CHOSEN: &str = "6号楼 各单元房源,,,,\n幢,梯,层次,门号,型\n6,1,1,101,B\n6,2,1,101,C\n";
const GBK: &str = "华景·兰亭 房源清单,,,\r\n,,,\r\n楼栋,楼层,房间号,户型\r\n1号楼,30,3001,C\r\n";

fn units(url: &str, token: &str) -> Vec<Value> {
    let project: Value = walkthrough_e2e::http_client()
        .get(format!("{url}/api/v1/projects/hj-lanting"))
        .bearer_auth(token)
        .send()
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.json())
        .unwrap();
    project["units"].as_array().unwrap().clone()
}

#[test]
fn the_cs_center_imports_a_workbook_a_csv_with_a_chosen_header_row_and_a_gbk_csv() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let (book, chosen, gbk) =
        (dir.path().join("units.xlsx"), dir.path().join("chosen.csv"), dir.path().join("gbk.csv"));
    std::fs::write(&book, workbook()).unwrap();
    std::fs::write(&chosen, CHOSEN).unwrap();
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(GBK);
    assert!(!unmappable);
    std::fs::write(&gbk, &bytes).unwrap();
    let args =
        [server.url.as_str(), "hj-lanting", book.to_str().unwrap(), chosen.to_str().unwrap(), gbk.to_str().unwrap()];
    let out = run_browser_script("imports.mjs", &args);
    let v: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(v.get("failure").is_none(), "the browser script failed: {v:#}");

    assert_eq!(v["before"], 69);
    // The workbook's header was found in row 3, with its entrance column.
    assert_eq!(v["bookHeaderRow"], "3");
    let options = v["bookHeaderOptions"].as_array().unwrap();
    assert_eq!(options[0], "Row 1: 华景·兰亭 5号楼 房源明细表");
    assert_eq!(options[2], "Row 3: 楼号 | 单元 | 所在楼层 | 室号 | 户型编码");
    assert_eq!(v["bookEntrance"], "单元");
    assert_eq!(v["bookErrors"], json!([]));
    assert_eq!(v["bookRows"], json!([["5-1-301", "5", "3", "1-301", "A"], ["5-2-301", "5", "3", "2-301", "B"]]));
    assert!(v["bookCount"].as_str().unwrap().starts_with("71 units in 3 buildings."), "{v:#}");
    // The CSV: first row 1 is offered and refused, then row 2 chosen.
    let first = v["chosenFirstError"][0].as_str().unwrap();
    assert!(first.starts_with("Row 1: the header needs the columns building, floor, number and unit_type"), "{first}");
    let second = v["chosenHeaderError"][0].as_str().unwrap();
    assert!(second.starts_with("Row 2: the header needs the columns"), "{second}");
    assert_eq!(v["chosenHeaderRow"], "2");
    assert_eq!(v["chosenSummary"], "2 units to add · new buildings: 6 · new unit types: —");
    assert_eq!(v["chosenRows"], json!([["6-1-101", "6", "1", "1-101", "B"], ["6-2-101", "6", "1", "2-101", "C"]]));
    assert!(v["chosenCount"].as_str().unwrap().starts_with("73 units in 4 buildings."), "{v:#}");
    // The GBK file: its header found again in row 3; 1号楼 is the project's B1.
    assert_eq!(v["gbkErrors"], json!([]));
    assert_eq!(v["gbkRows"], json!([["B1-3001", "B1", "30", "3001", "C"]]));
    assert!(v["gbkCount"].as_str().unwrap().starts_with("74 units in 4 buildings."), "{v:#}");

    // The server has exactly these units.
    let token = login(&server.url, "u-cs-wang");
    let all = units(&server.url, &token);
    assert_eq!(all.len(), 74);
    for (id, building, floor, number, unit_type) in [
        ("5-1-301", "5", 3, "1-301", "A"),
        ("5-2-301", "5", 3, "2-301", "B"),
        ("6-1-101", "6", 1, "1-101", "B"),
        ("6-2-101", "6", 1, "2-101", "C"),
        ("B1-3001", "B1", 30, "3001", "C"),
    ] {
        let u = all.iter().find(|u| u["id"] == id).unwrap_or_else(|| panic!("{id} is missing"));
        assert_eq!(
            u,
            &json!({"id": id, "building": building, "floor": floor, "number": number, "unit_type": unit_type})
        );
    }
}
