//! Print never truncates what people must read: the cumulative report's PDF
//! of the demo after a simulated round, with an accepted risk whose unified
//! answer (统一口径) is 300 Chinese characters and whose contingency plan is
//! long too, and contractors named with 40 characters. Read back with
//! pdftotext's word boxes (poppler, not our writer): each text is found
//! whole in its table column, however many lines and pages it takes, no
//! line of it starts with a closing mark, and nothing is cut with "…".
//! Pages are rendered to PNG by pdftoppm into the test artefacts.

use serde_json::json;
use std::path::Path;
use std::process::Command;
use walkthrough_e2e::field::Api;
use walkthrough_e2e::*;
use walkthrough_server::pdf::lines::no_start;
use walkthrough_server::store::SqliteStore;

const P: &str = "hj-lanting";

/// One line of text as pdftotext places it.
#[derive(Debug)]
struct Word {
    page: usize,
    x: f32,
    y: f32,
    text: String,
}

/// Every word of `pdf` with its page and top-left corner (`pdftotext -bbox`).
fn words(pdf: &Path) -> Vec<Word> {
    let out = Command::new("pdftotext").arg("-bbox").arg(pdf).arg("-").output().expect("pdftotext (poppler-utils)");
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    let html = String::from_utf8(out.stdout).unwrap();
    let attr = |line: &str, name: &str| -> f32 {
        let at = line.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
        line[at..line[at..].find('"').unwrap() + at].parse().unwrap()
    };
    let mut page = 0;
    let mut out = Vec::new();
    for line in html.lines().map(str::trim) {
        if line.starts_with("<page ") {
            page += 1;
        } else if let Some(rest) = line.strip_prefix("<word ") {
            let text = &rest[rest.find('>').unwrap() + 1..rest.rfind("</word>").unwrap()];
            let text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&");
            out.push(Word { page, x: attr(line, "xMin"), y: attr(line, "yMin"), text });
        }
    }
    out
}

/// The lines of the table cell that starts with `start`'s first characters
/// at word `anchor`: the words below it at the same left edge, over page
/// breaks, leaving out the column's header repeated on each page, until
/// they hold as many characters as `start`.
fn cell_lines<'w>(words: &'w [Word], anchor: &Word, start: &str, header: &str) -> Vec<&'w str> {
    let mut below: Vec<&Word> = words
        .iter()
        .filter(|w| (w.x - anchor.x).abs() < 0.5 && (w.page, w.y) >= (anchor.page, anchor.y - 0.1))
        .filter(|w| w.text != header)
        .collect();
    below.sort_by(|a, b| (a.page, a.y).partial_cmp(&(b.page, b.y)).unwrap());
    let want = start.chars().count();
    let mut lines = Vec::new();
    let mut have = 0;
    for w in below {
        if have >= want {
            break;
        }
        have += w.text.chars().count();
        lines.push(w.text.as_str());
    }
    lines
}

/// Where `text` begins in the PDF: the words starting with its first characters.
fn anchors<'w>(words: &'w [Word], text: &str) -> Vec<&'w Word> {
    let head: String = text.chars().take(4).collect();
    words.iter().filter(|w| w.text.starts_with(&head)).collect()
}

/// A text of exactly `n` full-width characters, closing marks and commas
/// thick in it, so that lines cut at a fixed count would often start with
/// one of them.
fn chinese(n: usize, seed: &str) -> String {
    let phrases = [
        "此处为结构梁「不可移位」，",
        "吊顶高度按设计图纸执行。",
        "业主问及时统一答复：",
        "「已在交付资料中说明」。",
        "如业主仍有异议，",
        "由工程师现场解释（附图纸）、",
        "并提供免费吊顶改造方案」；",
        "『同类户型均如此』！",
    ];
    let text: String = seed.chars().chain(phrases.iter().cycle().flat_map(|p| p.chars())).take(n - 1).collect();
    format!("{text}。")
}

#[test]
fn the_report_prints_the_whole_unified_answer_and_whole_contractor_names() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(SqliteStore::open(&dir.path().join("server.sqlite")).unwrap());
    // Every contractor with a name of 40 characters, each told apart by its first one.
    let mut project = walkthrough_fixtures::demo_project();
    let firsts = ["甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸", "子", "丑", "寅", "卯", "辰", "巳"];
    let mut names = Vec::new();
    for (i, c) in project.contractors.values_mut().enumerate() {
        let name =
            format!("{}苏州市华景澜庭第三标段防水及外墙门窗幕墙安装工程施工总承包有限责任公司第一分部", firsts[i]);
        assert_eq!(name.chars().count(), 40, "{name}");
        c.name.zh = name.clone();
        names.push(name);
    }
    walkthrough_server::seed::import_project(store.as_ref(), &project, "demo").unwrap();
    seed_demo_rounds_with(&store, 1, 7, true);
    let server = Server::start(dir.path(), "127.0.0.1:0", store);

    // The CS center accepts the risk of an open defect with a long answer and plan.
    let cs = Api::login(&server.url, "u-cs-wang");
    let (_, open) = cs.call("GET", &format!("/projects/{P}/reports/1/defects?filter=open"), None);
    let defect = open[0]["id"].as_str().unwrap().to_owned();
    let answer = chinese(300, "口径全文：");
    let plan = chinese(180, "预案全文：");
    assert_eq!(answer.chars().count(), 300);
    let body = json!({ "unified_answer": { "zh": answer, "en": "" }, "contingency_plan": plan });
    let (status, v) = cs.call("POST", &format!("/projects/{P}/defects/{defect}/accept-risk"), Some(body));
    assert_eq!(status, 200, "{v}");

    let token = login(&server.url, "u-cs-wang");
    let url = format!("{}/api/v1/projects/{P}/reports/cumulative?format=pdf", server.url);
    let res = walkthrough_e2e::http_client().get(&url).bearer_auth(&token).send().unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let pdf = artefacts().join("print-cumulative.pdf");
    std::fs::write(&pdf, res.bytes().unwrap()).unwrap();
    let words = words(&pdf);

    // The unified answer and the plan, whole, in their columns.
    for (text, header) in [(&answer, "统一口径"), (&plan, "应对预案")] {
        let found = anchors(&words, text);
        assert_eq!(found.len(), 1, "{header} starts once: {found:?}");
        let lines = cell_lines(&words, found[0], text, header);
        assert_eq!(lines.concat(), *text, "{header} is printed whole, line by line: {lines:#?}");
        assert!(lines.len() >= 5, "{header} wraps in its column: {lines:?}");
        for line in &lines[1..] {
            assert!(!line.starts_with(no_start), "a line of {header} starts with a closing mark: {line:?}");
        }
        // The probe is a real one: cut at the column's count of characters,
        // some line would have started with a closing mark.
        let per_line = lines.iter().map(|l| l.chars().count()).max().unwrap();
        let chars: Vec<char> = text.chars().collect();
        assert!(
            (1..chars.len() / per_line).any(|k| no_start(chars[k * per_line])),
            "{header}: lines of {per_line} characters would never start with a closing mark"
        );
    }
    let pages: Vec<usize> = anchors(&words, &answer).iter().map(|w| w.page).collect();

    // Every contractor name whole wherever it is printed: the charts, the
    // tables, each appendix heading and each row of the units' defects.
    let mut wrapped = 0;
    for name in &names {
        for anchor in anchors(&words, name) {
            let lines = cell_lines(&words, anchor, name, "施工单位");
            let joined = lines.concat();
            assert!(joined.starts_with(name.as_str()), "{name} is cut on page {}: {lines:?}", anchor.page);
            wrapped += usize::from(lines.len() > 1);
        }
    }
    assert!(wrapped > 0, "some name wraps in a narrow column");
    let appendix = words.iter().find(|w| w.text.starts_with("附录二")).expect("appendix 2").page;
    let in_appendix = names.iter().any(|n| anchors(&words, n).iter().any(|w| w.page > appendix));
    assert!(in_appendix, "the appendix of the units' defects names the contractors");

    // Nothing is cut with an ellipsis (none of the texts has one).
    let cut: Vec<&Word> = words.iter().filter(|w| w.text.contains('…')).collect();
    assert!(cut.is_empty(), "cut: {cut:?}");

    // The cumulative report says so, and the days past handover read as such.
    let page_one = words.iter().filter(|w| w.page == 1).map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ");
    assert!(page_one.contains("华景·澜庭 · 模拟验收报告（累计至第"), "the footer: {page_one}");
    assert!(page_one.contains("图表（累计至第"), "the charts' title: {page_one}");
    let (_, report) = cs.call("GET", &format!("/projects/{P}/reports/cumulative"), None);
    let days = report["days_to_handover"].as_i64().unwrap();
    let said = if days < 0 { format!("交付已逾期 {} 天", -days) } else { format!("距交付 {days} 天") };
    assert!(page_one.contains(&said), "{said}: {page_one}");
    assert_eq!(report["countdown"]["zh"], json!(said));
    assert!(!page_one.contains(&format!("{days} 天")) || days >= 0, "a negative count: {page_one}");

    // Pages to look at: the one with the answer, and the first of the appendices.
    let first = pages[0];
    let png = artefacts().join("print-cumulative");
    let ok = Command::new("pdftoppm")
        .args(["-png", "-r", "80", "-f", &first.to_string(), "-l", &(first + 1).to_string()])
        .arg(&pdf)
        .arg(&png)
        .status();
    assert!(ok.is_ok_and(|s| s.success()), "pdftoppm");
}
