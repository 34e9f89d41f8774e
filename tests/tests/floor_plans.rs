//! Real floor plans, end to end: a project created and imported in the
//! console (headless Chromium) gets a PDF floor plan, which the server draws
//! as an image; the CS center outlines rooms on it (a rectangle, a polygon,
//! a rectangle undone, a keyboard move undone). The inspector's tablet app
//! (over real HTTP) gets the image and outlines, is refused a pin outside
//! the room and places one inside; the contractor's page shows the plan
//! image with the pin over it, as does the console's defect detail; the
//! printed sheet and the round report embed a reduced copy
//! with the pin drawn where it belongs. Also: a broken PDF and a server
//! without pdftoppm are refused in words, and nothing is stored.

use std::sync::Mutex;
use walkthrough_client::app::view::{PhotoView, Pin};
use walkthrough_client::app::App;
use walkthrough_e2e::field::Api;
use walkthrough_e2e::*;
use walkthrough_fixtures::hostile::{pageless_pdf, pdf_of};

const PROJECT: &str = "hj-yayuan";
const UNITS: &str = "building,floor,number,unit_type\nY1,1,0101,T1\nY1,1,0102,T2\nY1,2,0201,T1\nY1,2,0202,T2\n";

/// `WALKTHROUGH_PDFTOPPM` is read by the server at each upload; the tests
/// that upload PDFs take turns so one's setting never reaches another.
static PDFTOPPM: Mutex<()> = Mutex::new(());

/// A real one-page PDF floor plan, 600 × 420 pt: a thick blue frame at its
/// edges (so a test can find the plan's extent in a rendered sheet) and grey
/// walls.
fn plan_pdf() -> Vec<u8> {
    let content = "0 0 1 RG 12 w 0 0 600 420 re S 0.5 0.5 0.5 RG 4 w 300 0 m 300 420 l S 0 210 m 300 210 l S";
    pdf_of(&[
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 600 420] /Contents 4 0 R /Resources << >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
    ])
}

fn put_plan(api: &Api, unit_type: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
    let res = walkthrough_e2e::http_client()
        .put(format!("{}/api/v1/projects/hj-lanting/unit-types/{unit_type}/floor-plan", api.url))
        .bearer_auth(&api.token)
        .body(body)
        .send()
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().unwrap_or_default())
}

fn get_bytes(api: &Api, path: &str) -> (u16, String, Vec<u8>) {
    let res =
        walkthrough_e2e::http_client().get(format!("{}/api/v1{path}", api.url)).bearer_auth(&api.token).send().unwrap();
    let status = res.status().as_u16();
    let mime = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, mime, res.bytes().unwrap().to_vec())
}

#[test]
fn a_pdf_floor_plan_is_stored_as_an_image_and_a_broken_one_is_refused_in_words() {
    let _turn = PDFTOPPM.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let cs = Api::login(&server.url, "u-cs-wang");
    let plan_of = |api: &Api| {
        let (_, p) = api.call("GET", "/projects/hj-lanting", None);
        p["unit_types"].as_array().unwrap().iter().find(|t| t["id"] == "A").unwrap()["floor_plan"].clone()
    };
    let before = plan_of(&cs);

    // A broken PDF: refused in words; the unit type keeps its plan, nothing is stored.
    let broken = pageless_pdf();
    let (status, v) = put_plan(&cs, "A", broken.clone());
    assert_eq!(status, 422, "{v}");
    let error = v["error"].as_str().unwrap();
    assert!(
        error.starts_with("the PDF cannot be read as a floor plan: its first page could not be drawn ("),
        "{error}"
    );
    assert_eq!(plan_of(&cs), before);
    let broken_hash = walkthrough_client::photos::hash_bytes(&broken);
    assert_eq!(get_bytes(&cs, &format!("/blobs/{broken_hash}")).0, 404, "the refused file is not stored");

    // A server without pdftoppm says so, and what to do instead.
    std::env::set_var("WALKTHROUGH_PDFTOPPM", dir.path().join("no-such-pdftoppm"));
    let (status, v) = put_plan(&cs, "A", plan_pdf());
    std::env::remove_var("WALKTHROUGH_PDFTOPPM");
    assert_eq!(status, 422, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("pdftoppm (Debian's poppler-utils) is not installed. Upload the plan as a PNG or JPEG image"),
        "{v}"
    );
    assert_eq!(plan_of(&cs), before);

    // A real PDF: its first page is kept as a PNG, which is what the unit type points at.
    let (status, v) = put_plan(&cs, "A", plan_pdf());
    assert_eq!(status, 200, "{v}");
    let hash = v["floor_plan"].as_str().unwrap().to_owned();
    assert_eq!(plan_of(&cs), serde_json::json!(hash));
    let (status, mime, png) = get_bytes(&cs, &format!("/blobs/{hash}"));
    assert_eq!((status, mime.as_str()), (200, "image/png"));
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    let (w, h) =
        (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()));
    assert_eq!((w, h), (2000, 1400), "the longer side drawn at 2000 px, the page's shape kept");
    assert_eq!(walkthrough_client::photos::hash_bytes(&png).as_str(), hash);
}

/// An RGB image read from a binary PPM (what `pdftoppm` writes by default).
/// Left, top, right, bottom, in pixels.
type BoundingBox = (usize, usize, usize, usize);

struct Ppm {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

fn read_ppm(bytes: &[u8]) -> Ppm {
    // "P6\n<w> <h>\n255\n" then the pixels.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..at]).into_owned());
    }
    assert_eq!(fields[0], "P6");
    let (width, height) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    Ppm { width, height, rgb: bytes[at + 1..].to_vec() }
}

impl Ppm {
    /// The bounding box (left, top, right, bottom) and the centre of the
    /// pixels that `is` picks, or `None` when there are none.
    fn find(&self, is: impl Fn(u8, u8, u8) -> bool) -> Option<(BoundingBox, (f64, f64))> {
        let (mut l, mut t, mut r, mut b, mut n, mut sx, mut sy) = (usize::MAX, usize::MAX, 0, 0, 0usize, 0f64, 0f64);
        for y in 0..self.height {
            for x in 0..self.width {
                let i = (y * self.width + x) * 3;
                if is(self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]) {
                    (l, t, r, b) = (l.min(x), t.min(y), r.max(x), b.max(y));
                    n += 1;
                    sx += x as f64;
                    sy += y as f64;
                }
            }
        }
        (n > 0).then(|| ((l, t, r, b), (sx / n as f64, sy / n as f64)))
    }
}

#[test]
fn a_floor_plan_set_up_in_the_console_carries_the_tablets_pin_to_the_contractor_and_the_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let (units, plan) = (dir.path().join("units.csv"), dir.path().join("plan.pdf"));
    std::fs::write(&units, UNITS).unwrap();
    std::fs::write(&plan, plan_pdf()).unwrap();

    // The console: project, units, PDF plan, outlines.
    let out = {
        let _turn = PDFTOPPM.lock().unwrap_or_else(|e| e.into_inner());
        run_browser_script("floorplans.mjs", &[&server.url, units.to_str().unwrap(), plan.to_str().unwrap()])
    };
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(v.get("failure").is_none() && v.get("pageErrors").is_none(), "the browser script failed: {v:#}");
    assert_eq!((v["imageWidth"].as_u64(), v["imageHeight"].as_u64()), (Some(2000), Some(1400)), "{v:#}");
    assert_eq!(v["countBefore"], "0 of 5 rooms outlined");
    assert_eq!(v["tooFewCorners"], "A polygon needs at least 3 corners: click on the plan to add them.");
    assert_eq!((v["drawn"].as_u64(), v["afterUndo"].as_u64()), (Some(3), Some(2)), "{v:#}");
    assert_ne!(v["livingMoved"], v["livingBefore"], "the arrow key moves the outline: {v:#}");
    assert_eq!(v["livingAfterUndo"], v["livingBefore"], "and undo puts it back: {v:#}");
    assert_eq!(v["countAfter"], "2 of 5 rooms outlined");
    assert_eq!(v["countZh"], "已绘制 2/5 个房间轮廓");

    // What the server kept: the outlines through the setup edit, recorded with who.
    let cs = Api::login(&server.url, "u-cs-wang");
    let (_, p) = cs.call("GET", &format!("/projects/{PROJECT}"), None);
    let t1 = p["unit_types"].as_array().unwrap().iter().find(|t| t["id"] == "T1").unwrap().clone();
    let hash = t1["floor_plan"].as_str().unwrap().to_owned();
    assert!(v["floorPlan"].as_str().is_some_and(|s| hash.starts_with(s)), "{v:#}");
    let outline = |room: &str| -> Vec<(f64, f64)> {
        let r = t1["rooms"].as_array().unwrap().iter().find(|r| r["id"] == room).unwrap();
        r["outline"]
            .as_array()
            .map_or(Vec::new(), |o| o.iter().map(|p| (p["x"].as_f64().unwrap(), p["y"].as_f64().unwrap())).collect())
    };
    let near = |a: &[(f64, f64)], b: &[(f64, f64)]| {
        a.len() == b.len() && a.iter().zip(b).all(|(p, q)| (p.0 - q.0).abs() < 0.01 && (p.1 - q.1).abs() < 0.01)
    };
    let living = outline("living");
    assert!(near(&living, &[(0.05, 0.05), (0.45, 0.05), (0.45, 0.55), (0.05, 0.55)]), "{living:?}");
    let bed = outline("bed1");
    assert!(near(&bed, &[(0.55, 0.05), (0.95, 0.05), (0.75, 0.5)]), "{bed:?}");
    assert!(outline("kitchen").is_empty(), "the undone rectangle is not saved");
    let (_, history) = cs.call("GET", &format!("/projects/{PROJECT}/history"), None);
    assert!(
        history.to_string().contains("room outlines of unit type T1 (entrance, living, bed1, kitchen, bath1)"),
        "{history}"
    );

    // An inspector and a contractor for the project (through the API: the
    // console's own pages for these are tested elsewhere).
    let (status, invited) = cs.call(
        "POST",
        &format!("/projects/{PROJECT}/people"),
        Some(serde_json::json!({ "username": "u-insp-gao", "name": "高明", "role": "inspector", "org": "物业公司" })),
    );
    assert_eq!(status, 200, "{invited}");
    let round = serde_json::json!({ "op": "put_round", "round": { "no": 1, "start": "2026-09-01", "due": "2026-09-30",
        "assignments": [{ "inspector": "u-insp-gao", "buildings": ["Y1"], "units": [] }] } });
    let (status, e) =
        cs.call("POST", &format!("/projects/{PROJECT}/edits"), Some(serde_json::json!({ "edits": [round] })));
    assert_eq!(status, 200, "{e}");

    // The tablet app: the plan image and the outlines arrive with the sync.
    let tablet_dir = tempfile::tempdir().unwrap();
    let mut app = App::open(tablet_dir.path()).unwrap();
    app.sign_in(server.url.clone(), "u-insp-gao".into(), invited["password"].as_str().unwrap().into()).unwrap();
    app.change_password(invited["password"].as_str().unwrap().into(), "gao-own-password".into()).unwrap();
    app.sync_now().unwrap();
    let unit = "Y1-0101".to_owned();
    let view = app.open_unit(PROJECT.into(), unit.clone(), 1).unwrap();
    assert_eq!(view.floor_plan.as_deref(), Some(hash.as_str()));
    let room_outline = |id: &str| view.rooms.iter().find(|r| r.id == id).unwrap().outline.len();
    assert_eq!((room_outline("living"), room_outline("bed1"), room_outline("kitchen")), (4, 3, 0));
    let shown =
        app.photo(hash.clone(), "preview".into()).unwrap().url.expect("the plan image through the photo command");
    assert!(shown.starts_with("data:image/jpeg;base64,"), "{}", &shown[..40]);

    // The first outlined room with a checklist, and a spot inside its outline.
    let (room, pin) = [("living", Pin { x: 0.25, y: 0.3 }), ("bed1", Pin { x: 0.75, y: 0.15 })]
        .into_iter()
        .find(|(id, _)| view.rooms.iter().any(|r| r.id == *id && !r.items.is_empty()))
        .expect("an outlined room with checklist items");
    let room_view = view.rooms.iter().find(|r| r.id == room).unwrap();
    let item = room_view.items[0].code.clone();
    let mut form = app.draft_defect(PROJECT.into(), unit.clone(), 1, room.into(), Some(item)).unwrap();
    form.spot = "south wall".into();
    form.description = "hollow-sounding tiles".into();
    form.photos = Vec::<PhotoView>::new();
    // Outside the room's outline: refused in words, nothing saved.
    form.pin = Some(Pin { x: 0.8, y: 0.8 });
    let e = app.save_defect(PROJECT.into(), unit.clone(), 1, form.clone()).unwrap_err();
    let expected = format!("the pin must lie within the outline of {} on the floor plan", room_view.name.en);
    assert_eq!((e.kind.as_str(), e.message.as_str()), ("invalid", expected.as_str()));
    assert!(app.open_unit(PROJECT.into(), unit.clone(), 1).unwrap().defects.is_empty());
    form.pin = Some(pin);
    let defect = app.save_defect(PROJECT.into(), unit.clone(), 1, form.clone()).unwrap();
    app.sync_now().unwrap();

    // Dispatch to the trade's contractor, who opens the link.
    let contractor = serde_json::json!({ "op": "put_contractor", "contractor": { "id": "c-tian", "name": { "zh": "天工装饰", "en": "Tiangong Decoration" },
        "kind": "contractor", "trades": [form.trade] } });
    let assign =
        serde_json::json!({ "op": "assign_trade", "assignment": { "trade": form.trade, "contractor": "c-tian" } });
    let (status, e) = cs.call(
        "POST",
        &format!("/projects/{PROJECT}/edits"),
        Some(serde_json::json!({ "edits": [contractor, assign] })),
    );
    assert_eq!(status, 200, "{e}");
    let (status, d) = cs.call("POST", &format!("/projects/{PROJECT}/dispatch"), None);
    assert_eq!((status, d["assigned"].as_u64()), (200, Some(1)), "{d}");
    let (status, link) = cs.call(
        "POST",
        &format!("/projects/{PROJECT}/contractor-links"),
        Some(serde_json::json!({ "contractor": "c-tian" })),
    );
    assert_eq!(status, 200, "{link}");
    let out = run_browser_script("contractor.mjs", &["plan", &server.url, link["path"].as_str().unwrap(), &defect]);
    let c: serde_json::Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(c.get("pageErrors").is_none(), "{out}");
    assert_eq!(c["planWidth"], 2000, "the plan image loads on the contractor's page: {out}");
    let (x, y) = (c["pin"]["x"].as_f64().unwrap(), c["pin"]["y"].as_f64().unwrap());
    assert!((x - pin.x).abs() < 0.02 && (y - pin.y).abs() < 0.02, "the pin sits at its spot on the image: {out}");
    assert_eq!(c["rooms"], 2, "the two outlined rooms are drawn: {out}");

    // The console's defect detail (opened from the dashboard) draws the same image and pin.
    let (_, detail) = cs.call("GET", &format!("/projects/{PROJECT}/defects/{defect}"), None);
    assert_eq!(detail["plan_image"], serde_json::json!(hash), "{detail}");
    let out = run_browser_script("floorplan_defect.mjs", &[&server.url, PROJECT]);
    let c: serde_json::Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(c.get("failure").is_none() && c.get("pageErrors").is_none(), "{c:#}");
    assert_eq!(c["planWidth"], 2000, "{out}");
    let (x, y) = (c["pin"]["x"].as_f64().unwrap(), c["pin"]["y"].as_f64().unwrap());
    assert!((x - pin.x).abs() < 0.02 && (y - pin.y).abs() < 0.02, "the pin sits at its spot on the image: {out}");

    // The printed sheet: a reduced copy of the plan embedded, the pin drawn on it.
    let (status, mime, pdf) = get_bytes(&cs, &format!("/projects/{PROJECT}/rectification.pdf?contractor=c-tian"));
    assert_eq!((status, mime.as_str()), (200, "application/pdf"));
    let sheet = artefacts().join("floor-plan-sheet.pdf");
    std::fs::write(&sheet, &pdf).unwrap();
    let list =
        std::process::Command::new("pdfimages").arg("-list").arg(&sheet).output().expect("pdfimages (poppler-utils)");
    let list = String::from_utf8_lossy(&list.stdout).into_owned();
    // page num type width height …: the printing copy, 320 px on its longer side.
    let plan_row = list.lines().skip(2).find(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.get(3) == Some(&"320") && f.get(4) == Some(&"224")
    });
    assert!(plan_row.is_some(), "the plan's reduced copy (320 × 224) is embedded:\n{list}");
    // The round's report: its appendix prints the unit's plan with its pins too.
    let (status, _, report) = get_bytes(&cs, &format!("/projects/{PROJECT}/reports/1?format=pdf&as_of=2026-12-31"));
    assert_eq!(status, 200);
    let report_pdf = artefacts().join("floor-plan-report.pdf");
    std::fs::write(&report_pdf, &report).unwrap();
    let list = std::process::Command::new("pdfimages").arg("-list").arg(&report_pdf).output().unwrap();
    let list = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(
        list.lines().any(|l| l.split_whitespace().skip(3).take(2).eq(["320", "224"])),
        "the report embeds the plan:\n{list}"
    );
    let text = std::process::Command::new("pdftotext").arg(&report_pdf).arg("-").output().unwrap();
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("户型图位置 #1"),
        "the plan's caption names the pinned defect"
    );

    let render = dir.path().join("sheet");
    let ok = std::process::Command::new("pdftoppm")
        .args(["-f", "1", "-l", "1", "-r", "144"])
        .arg(&sheet)
        .arg(&render)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let page = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.path()).find(|p| {
        p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("sheet") && n.to_string_lossy().ends_with(".ppm"))
    });
    let page = read_ppm(&std::fs::read(page.expect("the rendered page")).unwrap());
    let (frame, _) = page.find(|r, g, b| b > 150 && r < 110 && g < 110).expect("the plan's blue frame on the sheet");
    let (_, dot) = page.find(|r, g, b| r > 180 && g < 100 && b < 100).expect("the red pin on the sheet");
    let (fw, fh) = ((frame.2 - frame.0) as f64, (frame.3 - frame.1) as f64);
    let expected = (frame.0 as f64 + pin.x * fw, frame.1 as f64 + pin.y * fh);
    assert!(
        (dot.0 - expected.0).abs() < 0.04 * fw && (dot.1 - expected.1).abs() < 0.04 * fh,
        "the pin is drawn at {dot:?}, expected near {expected:?} on the plan {frame:?}"
    );
}
