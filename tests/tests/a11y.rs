//! Accessibility basics of the web front ends in headless Chromium, on three
//! simulated rounds of the demo (with photos): axe-core's WCAG 2 A/AA rules
//! (labels, image alt, button, link and select names, the page's language
//! and title, valid ARIA, contrast) find nothing on any console page, a
//! defect in full and the contractor's page, in English and Chinese; photos
//! say what they are; every SVG has a name. And a keyboard-only person
//! signs in, opens a page from the navigation, opens a defect and closes it
//! with Escape, focus visible and returned each time.

use serde_json::Value;
use walkthrough_e2e::a11y::{assert_clean, photo_alts};
use walkthrough_e2e::field::*;
use walkthrough_e2e::*;

fn json(out: &str) -> Value {
    let v: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(v.get("failure").is_none() && v.get("pageErrors").is_none(), "the browser script failed: {v:#}");
    v
}

fn seeded() -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    seed_demo_rounds_with(&server.store, 3, 7, true);
    (dir, server)
}

#[test]
fn every_console_page_passes_axe_in_both_languages_and_photos_say_what_they_are() {
    let (_dir, server) = seeded();
    let v = json(&run_browser_script("a11y.mjs", &["console", &server.url, PROJECT]));
    let mut expected = vec!["signin.en", "signin.zh-CN"];
    let pages = [
        "projects",
        "units",
        "unit-types",
        "standards",
        "categories",
        "contractors",
        "people",
        "rounds",
        "dispatch",
        "links",
        "outbox",
        "history",
        "risks",
        "issued",
        "company",
        "defect",
    ];
    let names: Vec<String> = pages.iter().flat_map(|p| [format!("{p}.en"), format!("{p}.zh-CN")]).collect();
    expected.extend(names.iter().map(String::as_str));
    assert_clean(&v, &expected);

    // The defect's photos: "Defect photo 1 of 2: …" with where and what.
    for (lang, prefix) in [("en", "Defect photo 1 of "), ("zh-CN", "缺陷照片 1/")] {
        let alts = photo_alts(&v[format!("defect.{lang}")]);
        let photos: Vec<&String> =
            alts.iter().filter(|a| !a.starts_with("Floor plan") && !a.starts_with("户型图")).collect();
        assert!(!photos.is_empty(), "{lang}: the defect opened has photos: {alts:?}");
        assert!(photos[0].starts_with(prefix) && photos[0].len() > prefix.len() + 4, "{lang}: {alts:?}");
    }
}

#[test]
fn the_contractors_page_passes_axe_in_both_languages() {
    let (_dir, server) = seeded();
    let cs = Api::login(&server.url, "u-cs-wang");
    // The contractor with the most open items after three rounds.
    let (_, report) = cs.call("GET", &format!("/projects/{PROJECT}/reports/cumulative"), None);
    let table = report["tables"].as_array().unwrap().iter().find(|t| t["key"] == "contractors").unwrap();
    let col = table["columns"].as_array().unwrap().iter().position(|c| c["key"] == "open").unwrap();
    let busiest = table["rows"].as_array().unwrap().iter().max_by_key(|r| r[col].as_u64().unwrap_or(0)).unwrap();
    let (_, path) = cs.link(busiest[0].as_str().unwrap());
    let v = json(&run_browser_script("a11y.mjs", &["contractor", &server.url, &path]));
    assert_clean(&v, &["contractor.zh-CN", "contractor-form.zh-CN", "contractor.en"]);
    for (page, prefix) in [("contractor.en", "Defect photo 1 of "), ("contractor.zh-CN", "缺陷照片 1/")] {
        let alts = photo_alts(&v[page]);
        assert!(alts.iter().any(|a| a.starts_with(prefix)), "{page}: {alts:?}");
    }
}

#[test]
fn the_console_works_with_the_keyboard_alone() {
    let (_dir, server) = seeded();
    let v = json(&run_browser_script("a11y.mjs", &["keyboard", &server.url, PROJECT]));
    let step = |name: &str| &v["steps"][name];
    // Every focus stop shows where it is.
    for (name, s) in v["steps"].as_object().unwrap() {
        if s["testid"].is_string() {
            assert_eq!(s["outline"], true, "{name}: focus is visible on {s}");
        }
    }
    assert_eq!(step("skip")["testid"], "skip-link", "the first Tab stop is the skip link: {v:#}");
    assert_eq!(step("afterPick")["testid"], "project-picker", "choosing a project keeps focus on the picker: {v:#}");
    assert_eq!(step("afterNav")["testid"], "page", "the page opened from the navigation takes focus: {v:#}");
    assert_eq!(step("skipAgain")["testid"], "skip-link", "{v:#}");
    assert_eq!(step("afterSkip")["testid"], "page", "the skip link moves focus to the page: {v:#}");
    assert_eq!(step("nav")["tag"], "a");
    assert_eq!(step("openDefect")["tag"], "button", "a row opens its defect with a button: {v:#}");
    let opened = step("inDefect");
    assert_eq!(opened["defect"], opened["opener"], "the defect of the row: {v:#}");
    assert_eq!(opened["testid"], "defect-title", "focus moves into the opened defect: {v:#}");
    let closed = step("afterEscape");
    assert_eq!(
        (closed["testid"].as_str(), &closed["row"]),
        (Some("open-defect"), &opened["opener"]),
        "Escape returns focus: {v:#}"
    );
}
