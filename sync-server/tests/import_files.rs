//! The unit lists a CS center really has, through the server's HTTP import
//! endpoint: CSV saved by Chinese Excel (GB18030/GBK), CSV UTF-8 with a
//! byte-order mark, XLSX with a merged title row and a note row above the
//! header, an entrance (单元) column; a list with bad rows refused with the
//! row numbers Excel shows, nothing imported.

mod common;

use common::*;
use reqwest::blocking::Client;
use serde_json::Value;

const PROJECT: &str = "hj-lanting";

struct Console {
    http: Client,
    url: String,
    token: String,
    _server: Server,
    _dir: tempfile::TempDir,
}

impl Console {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let server = demo_server(dir.path());
        walkthrough_client::tls::install_default_provider();
        let http = Client::new();
        let token = login(&http, &server.url, "u-cs-wang");
        Console { http, url: server.url.clone(), token, _server: server, _dir: dir }
    }

    /// `POST …/units[/preview]?query` with `body`: (status, JSON answer).
    fn post(&self, path: &str, query: &str, body: Vec<u8>) -> (u16, Value) {
        let res = self
            .http
            .post(format!("{}/projects/{PROJECT}/{path}{query}", self.url))
            .bearer_auth(&self.token)
            .body(body)
            .send()
            .unwrap();
        (res.status().as_u16(), res.json().unwrap())
    }

    fn project(&self) -> Value {
        let res = self.http.get(format!("{}/projects/{PROJECT}", self.url)).bearer_auth(&self.token).send().unwrap();
        res.json().unwrap()
    }

    /// The project's units as (id, building, floor, number, unit type).
    fn units(&self) -> Vec<(String, String, i64, String, String)> {
        let s = |u: &Value, k: &str| u[k].as_str().unwrap().to_owned();
        let project = self.project();
        let units = project["units"].as_array().unwrap().iter();
        units
            .map(|u| (s(u, "id"), s(u, "building"), u["floor"].as_i64().unwrap(), s(u, "number"), s(u, "unit_type")))
            .collect()
    }

    /// The project's buildings as (id, Chinese name, floors).
    fn buildings(&self) -> Vec<(String, String, u64)> {
        let project = self.project();
        let buildings = project["buildings"].as_array().unwrap().iter();
        buildings
            .map(|b| {
                (
                    b["id"].as_str().unwrap().into(),
                    b["name"]["zh"].as_str().unwrap().into(),
                    b["floors"].as_u64().unwrap(),
                )
            })
            .collect()
    }

    /// Import `body`: the preview first (which must agree), then the import.
    /// Returns the units added, as the project lists them afterwards (sorted).
    fn import(&self, query: &str, body: Vec<u8>) -> Vec<(String, String, i64, String, String)> {
        let before = self.units();
        let (status, preview) = self.post("units/preview", query, body.clone());
        assert_eq!(status, 200, "{preview:#}");
        assert_eq!(preview["errors"], serde_json::json!([]), "{preview:#}");
        let (status, added) = self.post("units", query, body);
        assert_eq!(status, 200, "{added:#}");
        let after = self.units();
        let mut new: Vec<_> = after.into_iter().filter(|u| !before.contains(u)).collect();
        new.sort();
        assert_eq!(added["added"].as_u64(), Some(new.len() as u64));
        assert_eq!(preview["units"].as_array().unwrap().len(), new.len());
        new
    }
}

fn unit(id: &str, building: &str, floor: i64, number: &str, unit_type: &str) -> (String, String, i64, String, String) {
    (id.into(), building.into(), floor, number.into(), unit_type.into())
}

/// A workbook as a sales system exports it: `above` are the rows above the
/// header (a title or note merged across the table, or a blank row), then
/// `rows` from the header on; the cells of `numbers` columns are numbers
/// below the header, empty cells are left out.
fn workbook(above: &[Option<&str>], rows: &[&[&str]], numbers: &[usize]) -> Vec<u8> {
    use rust_xlsxwriter::{Format, FormatAlign, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let width = rows.iter().map(|r| r.len()).max().unwrap_or(1) as u16;
    let title = Format::new().set_bold().set_align(FormatAlign::Center);
    for (r, text) in above.iter().enumerate() {
        if let Some(text) = text {
            sheet.merge_range(r as u32, 0, r as u32, width - 1, text, &title).unwrap();
        }
    }
    let top = above.len() as u32;
    for (r, row) in rows.iter().enumerate() {
        for (c, text) in row.iter().enumerate().filter(|(_, t)| !t.is_empty()) {
            match text.parse::<f64>() {
                Ok(n) if r > 0 && numbers.contains(&c) => sheet.write_number(top + r as u32, c as u16, n).unwrap(),
                _ => sheet.write_string(top + r as u32, c as u16, *text).unwrap(),
            };
        }
    }
    book.save_to_buffer().unwrap()
}

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable, "{text} is all GBK");
    bytes.into_owned()
}

#[test]
fn a_gbk_csv_from_chinese_excel_imports_with_its_title_row_and_building_names() {
    let c = Console::start();
    // As Excel (zh-CN) saves "CSV (逗号分隔)": GBK, CRLF, a title row and a
    // blank row above the header, buildings as people write them.
    let text = "华景·兰亭 房源清单（2026年11月）,,,\r\n,,,\r\n楼栋,楼层,房间号,户型\r\n\
                3号楼,1,0101,A\r\n3号楼,1,0102,B\r\n1号楼,30层,3001室,C\r\n";
    let bytes = gbk(text);
    assert!(std::str::from_utf8(&bytes).is_err(), "the file is not UTF-8");
    let (_, preview) = c.post("units/preview", "", bytes.clone());
    assert_eq!(preview["header_row"], 3, "{preview:#}");
    assert_eq!(preview["headers"], serde_json::json!(["楼栋", "楼层", "房间号", "户型"]));
    assert_eq!(preview["first_rows"][0][0], "华景·兰亭 房源清单（2026年11月）");
    assert_eq!(preview["mapping"]["number"], "房间号");
    let added = c.import("", bytes);
    assert_eq!(
        added,
        vec![
            unit("3-0101", "3", 1, "0101", "A"),
            unit("3-0102", "3", 1, "0102", "B"),
            unit("B1-3001", "B1", 30, "3001", "C")
        ]
    );
    let buildings = c.buildings();
    assert!(buildings.contains(&("3".into(), "3栋".into(), 1)), "{buildings:?}");
    assert!(buildings.iter().any(|b| b.0 == "B1" && b.2 == 30), "1号楼 is the project's B1: {buildings:?}");
}

#[test]
fn a_utf8_csv_with_a_byte_order_mark_and_english_headers_imports() {
    let c = Console::start();
    let csv = "\u{feff}Building,Floor,Room No.,Unit type\nB5,2,0201,A\nB5,2,0202,Type B: 3 bed, 2 bath\n";
    // The second data row has an unquoted comma: refused with its number.
    let (_, preview) = c.post("units/preview", "", csv.as_bytes().to_vec());
    assert_eq!(preview["header_row"], 1);
    assert_eq!(preview["mapping"]["building"], "Building", "the byte-order mark is not part of the header");
    assert_eq!(preview["errors"][0]["row"], 3, "{preview:#}");
    let csv = "\u{feff}Building,Floor,Room No.,Unit type\r\nB5,2,0201,A\r\nB5,2,0202,\"Type B: 3 bed, 2 bath\"\r\n";
    let added = c.import("", csv.as_bytes().to_vec());
    assert_eq!(added, vec![unit("B5-0201", "B5", 2, "0201", "A"), unit("B5-0202", "B5", 2, "0202", "B")]);
}

#[test]
fn an_xlsx_with_a_merged_title_row_and_a_note_row_imports_from_its_header() {
    let c = Console::start();
    let bytes = workbook(
        &[Some("华景·兰亭 5号楼 房源明细表"), Some("说明：本表由销售系统导出，房号以合同为准。")],
        &[
            &["序号", "楼号", "单元", "所在楼层", "室号", "户型编码"],
            &["1", "5号楼", "1单元", "3", "301", "A"],
            &["2", "5号楼", "2单元", "3", "301", "A"],
            &["3", "5号楼", "2单元", "4", "401", "A"],
        ],
        &[0, 3],
    );
    let (_, preview) = c.post("units/preview", "", bytes.clone());
    assert_eq!(preview["header_row"], 3, "{preview:#}");
    assert_eq!(preview["mapping"]["entrance"], "单元");
    assert_eq!(preview["first_rows"][0][0], "华景·兰亭 5号楼 房源明细表");
    let added = c.import("", bytes);
    assert_eq!(
        added,
        vec![
            unit("5-1-301", "5", 3, "1-301", "A"),
            unit("5-2-301", "5", 3, "2-301", "A"),
            unit("5-2-401", "5", 4, "2-401", "A")
        ]
    );
}

#[test]
fn an_entrance_column_is_part_of_each_units_address_and_a_chosen_header_row_is_used() {
    let c = Console::start();
    // Headers the server does not know, under a title row: the person
    // says which row is the header and which column holds what.
    let csv = "6号楼 各单元房源,,,,\n幢,梯,层次,门号,型\n6,1,1,101,B\n6,2,1,101,B\n6,2,2,201,C\n";
    let (_, preview) = c.post("units/preview", "", csv.as_bytes().to_vec());
    assert_eq!(preview["header_row"], 1, "nothing names a column, so the first row is offered: {preview:#}");
    assert_eq!(preview["errors"][0]["row"], 1);
    let query = "?header_row=2&building=%E5%B9%A2&entrance=%E6%A2%AF&floor=%E5%B1%82%E6%AC%A1&number=%E9%97%A8%E5%8F%B7&unit_type=%E5%9E%8B";
    let added = c.import(query, csv.as_bytes().to_vec());
    assert_eq!(
        added,
        vec![
            unit("6-1-101", "6", 1, "1-101", "B"),
            unit("6-2-101", "6", 1, "2-101", "B"),
            unit("6-2-201", "6", 2, "2-201", "C")
        ]
    );
    // Known headers with an entrance column need no mapping.
    let csv = "楼栋,单元,楼层,房号,户型\n7,1,5,501,A\n7,2,5,501,A\n";
    let added = c.import("", csv.as_bytes().to_vec());
    assert_eq!(added, vec![unit("7-1-501", "7", 5, "1-501", "A"), unit("7-2-501", "7", 5, "2-501", "A")]);
}

#[test]
fn a_list_with_bad_rows_is_refused_with_excel_row_numbers_and_nothing_is_imported() {
    let c = Console::start();
    let before = c.units();
    // Title, blank and note rows above the header: Excel shows the header as row 4.
    let bytes = workbook(
        &[Some("房源清单"), None, Some("注：楼层填数字")],
        &[
            &["楼栋", "楼层", "房号", "户型"],
            &["8", "1", "101", "A"],
            &["8", "一", "102", "A"],
            &["", "", "", ""],
            &["8", "2", "201", "Z"],
            &["8", "1", "101", "A"],
        ],
        &[1],
    );
    let expected = serde_json::json!([
        {"row": 6, "reason": "floor \"一\" is not a whole number"},
        {"row": 8, "reason": "unit type \"Z\" is not one of this project's (A, B, C)"},
        {"row": 9, "reason": "unit 8-101 is already in the project or appears twice"},
    ]);
    let (status, preview) = c.post("units/preview", "", bytes.clone());
    assert_eq!(status, 200);
    assert_eq!(preview["header_row"], 4);
    assert_eq!(preview["errors"], expected, "{preview:#}");
    let (status, refused) = c.post("units", "", bytes);
    assert_eq!(status, 422, "{refused:#}");
    assert_eq!(
        refused["error"],
        "3 row(s) cannot be imported, so nothing was imported:\n\
         row 6: floor \"一\" is not a whole number\n\
         row 8: unit type \"Z\" is not one of this project's (A, B, C)\n\
         row 9: unit 8-101 is already in the project or appears twice"
    );
    // The same in GBK CSV, blank line included.
    let csv = "房源清单,,,\r\n\r\n注：楼层填数字,,,\r\n楼栋,楼层,房号,户型\r\n8,1,101,A\r\n8,一,102,A\r\n\r\n8,2,201,Z\r\n8,1,101,A\r\n";
    let (_, preview) = c.post("units/preview", "", gbk(csv));
    assert_eq!(preview["errors"], expected, "{preview:#}");
    let (status, _) = c.post("units", "", gbk(csv));
    assert_eq!(status, 422);
    assert_eq!(c.units(), before, "nothing was imported");
    assert!(!c.buildings().iter().any(|b| b.0 == "8"), "nor a building");
}

#[test]
fn files_that_are_no_unit_list_are_refused_in_words() {
    let c = Console::start();
    for (bytes, needle) in [
        (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest".to_vec(), "an old Excel workbook (.xls); save it as XLSX or CSV"),
        (b"\xFF\xFEb\x00u\x00".to_vec(), "UTF-16 text"),
        (b"\xEF\xBB\xBFok,\xFF\n".to_vec(), "starts as UTF-8 text but byte 7 is not UTF-8"),
        (vec![0x81, 0x20, 0xFF, 0xFE, 0x30], "neither an XLSX workbook nor CSV text in UTF-8 or GB18030/GBK"),
    ] {
        let (status, answer) = c.post("units", "", bytes);
        assert_eq!(status, 422, "{answer:#}");
        assert!(answer["error"].as_str().unwrap().contains(needle), "{needle}: {answer:#}");
    }
}
