//! Hostile files sent over real HTTP to the server binary: a workbook with
//! a cell at its far corner, a shared-string table claiming four billion
//! entries, a zip bomb, a CSV of a million columns, a small PNG declaring
//! 11,000 × 11,000 pixels, a truncated JPEG and a "PDF" that is not one.
//! Each is refused in words, the server keeps serving, and its peak memory
//! (VmHWM of the process) stays bounded.

mod common;

use common::*;
use std::time::Duration;
use walkthrough_fixtures::hostile::*;

/// The server's peak resident memory after all of it, at most.
const PEAK_RSS_BOUND_KB: u64 = 400 * 1024;

#[test]
fn hostile_files_are_refused_in_words_and_the_server_stays_up_and_small() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo_server(dir.path());
    let pid = server.child.id();
    let url = &server.url;
    let http = {
        walkthrough_client::tls::install_default_provider();
        reqwest::blocking::Client::builder()
    }
    .timeout(Duration::from_secs(120))
    .build()
    .unwrap();
    let admin = login(&http, url, "u-cs-wang");
    let inspector = login(&http, url, "u-insp-li");
    let before_kb = status_kb(pid, "VmHWM:");

    // (what, method, path, token, body, status, words)
    let jpeg = std::fs::read(walkthrough_fixtures::demo_dir().join("photos").join("wall_crack.jpg")).unwrap();
    let png = png_declaring(11_000, 11_000);
    let cut = truncated_jpeg(&jpeg);
    let mut wide_csv = "x,".repeat(999_999);
    wide_csv.push_str("x\n");
    let huge_sst = r#"<sst uniqueCount="4000000000"><si><t>x</t></si></sst>"#;
    let mut bomb = workbook_parts(None, &unit_rows(), None);
    bomb.push(("xl/media/padding.bin", vec![0u8; 200 << 20]));
    let limits = "unit lists up to 100,000 rows × 256 columns are accepted";
    let units = "/projects/hj-lanting/units";
    let plan = "/projects/hj-lanting/unit-types/A/floor-plan";
    #[allow(clippy::type_complexity)] // a table of cases
    let cases: Vec<(&str, &str, String, &str, Vec<u8>, u16, String)> = vec![
        (
            "far-corner workbook, preview",
            "POST",
            format!("{units}/preview"),
            admin.as_str(),
            far_corner_xlsx(true),
            422,
            format!("the sheet declares 1,048,576 rows × 16,384 columns; {limits}"),
        ),
        (
            "far-corner workbook, import",
            "POST",
            units.to_owned(),
            admin.as_str(),
            far_corner_xlsx(false),
            422,
            format!("the sheet has a cell at XFD1048576 (row 1,048,576, column 16,384); {limits}"),
        ),
        (
            "four billion shared strings",
            "POST",
            format!("{units}/preview"),
            admin.as_str(),
            workbook(None, &unit_rows(), Some(huge_sst)),
            422,
            "declares 4,000,000,000 distinct texts".into(),
        ),
        ("zip bomb", "POST", units.to_owned(), admin.as_str(), zip(&bomb), 422, "unpacks to more than 64 MB".into()),
        (
            "a million columns",
            "POST",
            format!("{units}/preview"),
            admin.as_str(),
            wide_csv.into_bytes(),
            422,
            format!("row 1 has 1,000,000 columns; {limits}"),
        ),
        (
            "11,000 × 11,000 PNG",
            "PUT",
            format!("/blobs/{}", sha256_hex(&png)),
            inspector.as_str(),
            png.clone(),
            415,
            "the image declares 11,000 × 11,000 pixels".into(),
        ),
        (
            "truncated JPEG",
            "PUT",
            format!("/blobs/{}", sha256_hex(&cut)),
            inspector.as_str(),
            cut.clone(),
            415,
            "the JPEG ends before its end-of-image marker".into(),
        ),
        (
            "fake PDF floor plan",
            "PUT",
            plan.to_owned(),
            admin.as_str(),
            fake_pdf(),
            422,
            "the file is not a readable PDF".into(),
        ),
        ("huge PNG floor plan", "PUT", plan.to_owned(), admin.as_str(), png, 422, "11,000 × 11,000 pixels".into()),
        ("truncated JPEG floor plan", "PUT", plan.to_owned(), admin.as_str(), cut, 422, "end-of-image marker".into()),
    ];
    for (what, method, path, token, body, status, words) in cases {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let res = http.request(method, format!("{url}{path}")).bearer_auth(token).body(body).send();
        let res = res.unwrap_or_else(|e| panic!("{what}: the server did not answer ({e})"));
        let got = res.status().as_u16();
        let text = res.text().unwrap();
        assert_eq!(got, status, "{what}: {text}");
        let error = serde_json::from_str::<serde_json::Value>(&text).unwrap()["error"].as_str().unwrap().to_owned();
        assert!(error.contains(&words), "{what}: expected {words:?} in {error:?}");
        assert!(server_alive(&http, url), "{what}: the server stopped serving");
    }

    // Still serving, and what is good still goes through.
    let good = workbook(None, &unit_rows(), None);
    let res = http.post(format!("{url}{units}/preview")).bearer_auth(&admin).body(good).send().unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<serde_json::Value>().unwrap()["units"].as_array().unwrap().len(), 1);
    let res = http.put(format!("{url}/blobs/{}", sha256_hex(&jpeg))).bearer_auth(&inspector).body(jpeg).send();
    assert!(res.unwrap().status().is_success());

    let peak_kb = status_kb(pid, "VmHWM:");
    eprintln!("server peak RSS: {} MB before the hostile files, {} MB after", before_kb / 1024, peak_kb / 1024);
    assert!(
        peak_kb < PEAK_RSS_BOUND_KB,
        "the server's peak memory reached {} MB (bound {} MB)",
        peak_kb / 1024,
        PEAK_RSS_BOUND_KB / 1024
    );
}
