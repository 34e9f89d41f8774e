//! Workbooks made at test time, part by part, so a test can say exactly what
//! a hostile sheet declares (rust_xlsxwriter writes only honest ones).
#![allow(dead_code)]

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Units" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

/// A zip of `parts` (name, bytes), deflated.
pub fn zip(parts: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).large_file(true);
    for (name, bytes) in parts {
        w.start_file(*name, options).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// The parts of a one-sheet workbook: `sheet_data` inside `<sheetData>`,
/// an optional `<dimension ref>`, and an optional shared-string table.
pub fn workbook_parts(dimension: Option<&str>, sheet_data: &str, shared: Option<&str>) -> Vec<(&'static str, Vec<u8>)> {
    let dimension = dimension.map(|d| format!(r#"<dimension ref="{d}"/>"#)).unwrap_or_default();
    let sheet = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>{sheet_data}</sheetData></worksheet>"#
    );
    let mut parts = vec![
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes().to_vec()),
        ("_rels/.rels", RELS.as_bytes().to_vec()),
        ("xl/workbook.xml", WORKBOOK.as_bytes().to_vec()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes().to_vec()),
        ("xl/worksheets/sheet1.xml", sheet.into_bytes()),
    ];
    if let Some(shared) = shared {
        parts.push(("xl/sharedStrings.xml", shared.as_bytes().to_vec()));
    }
    parts
}

pub fn workbook(dimension: Option<&str>, sheet_data: &str, shared: Option<&str>) -> Vec<u8> {
    zip(&workbook_parts(dimension, sheet_data, shared))
}

/// An inline-string cell.
pub fn cell(at: &str, text: &str) -> String {
    format!(r#"<c r="{at}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

/// A good unit list: the header and one unit of building B5.
pub fn unit_rows() -> String {
    let header = ["building", "floor", "number", "unit_type"];
    let unit = ["B5", "3", "0301", "A"];
    let row = |n: usize, cells: [&str; 4]| {
        let cols = ["A", "B", "C", "D"];
        let cells: String = cells.iter().zip(cols).map(|(t, c)| cell(&format!("{c}{n}"), t)).collect();
        format!(r#"<row r="{n}">{cells}</row>"#)
    };
    row(1, header) + &row(2, unit)
}

/// The far-corner workbook: a good unit list that also declares (and
/// holds) a cell at XFD1048576, Excel's last. A reader that builds a
/// rectangle over the used area allocates 17 billion cells for it.
pub fn far_corner_xlsx(declare: bool) -> Vec<u8> {
    let data = unit_rows() + r#"<row r="1048576">"# + &cell("XFD1048576", "x") + "</row>";
    workbook(declare.then_some("A1:XFD1048576"), &data, None)
}

// ---- The server binary as a child process, on the demo data. ----

pub const SERVER: &str = env!("CARGO_BIN_EXE_walkthrough-server");
pub struct Server {
    pub child: Child,
    /// Up to and including `/api/v1`.
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The server binary serving `db` on 127.0.0.1:`port` (with `env` besides),
/// once it accepts connections, waiting at most `wait`.
pub fn spawn(db: &std::path::Path, port: u16, env: &[(&str, &std::path::Path)], wait: Duration) -> Child {
    let mut cmd = Command::new(SERVER);
    cmd.arg("serve")
        .env("WALKTHROUGH_DATABASE", db)
        .env("WALKTHROUGH_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    let deadline = Instant::now() + wait;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

pub fn start(db: &std::path::Path) -> Server {
    let port = free_port();
    let child = spawn(db, port, &[], Duration::from_secs(30));
    Server { child, url: format!("http://127.0.0.1:{port}/api/v1") }
}

/// A field of `/proc/PID/status`, in kB.
pub fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("no {field} in {status}"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

pub fn login(http: &reqwest::blocking::Client, url: &str, user: &str) -> String {
    let res = http
        .post(format!("{url}/auth/login"))
        .json(&serde_json::json!({"username": user, "password": "demo"}))
        .send()
        .unwrap();
    assert!(res.status().is_success(), "sign-in of {user}: {}", res.status());
    res.json::<serde_json::Value>().unwrap()["token"].as_str().unwrap().to_owned()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    walkthrough_client::photos::hash_bytes(bytes).0
}

/// The demo seeded into a database in `dir`, served.
pub fn demo_server(dir: &std::path::Path) -> Server {
    let db = dir.join("server.sqlite");
    let seeded = Command::new(SERVER).arg("seed-demo").env("WALKTHROUGH_DATABASE", &db).stdout(Stdio::null()).status();
    assert!(seeded.unwrap().success());
    start(&db)
}

pub fn server_alive(http: &reqwest::blocking::Client, url: &str) -> bool {
    http.get(format!("{url}/health")).send().is_ok_and(|r| r.status().is_success())
}
