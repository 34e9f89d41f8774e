//! What a downloaded file is called: named from the project, the scope,
//! the round and the version as people file them
//! (`华景·澜庭-第3轮模拟验收报告-v2.pdf`, `Lanting Residences-round-3-report-v2.pdf`),
//! in the reader's language (`?lang=en|zh-CN`, else `Accept-Language`), with
//! an ASCII `filename=` for old clients beside RFC 5987's `filename*=`.
//! Whatever the project is called, the name is safe to save: path
//! separators, quotes and control characters never reach it.

use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use walkthrough_core::model::{I18nText, Lang, Project};
use walkthrough_core::RoundNo;

/// The reader's language: `lang` when given, else the first language of
/// `Accept-Language` that is Chinese or English, else Chinese.
pub fn lang_of(lang: Option<&str>, headers: &HeaderMap) -> Lang {
    let pick = |s: &str| {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    };
    if let Some(l) = lang.and_then(pick) {
        return l;
    }
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    accept.split(',').find_map(|part| pick(part.split(';').next().unwrap_or_default())).unwrap_or(Lang::Zh)
}

/// What a report file holds: its scope and round, the version when it was
/// issued, else the day its figures are counted to.
pub struct ReportFile<'a> {
    pub cumulative: bool,
    pub round: RoundNo,
    pub version: Option<u32>,
    pub as_of: chrono::NaiveDate,
    /// A table's name (zh, en) for a CSV of one table.
    pub table: Option<(&'a str, &'a str)>,
}

/// The name of a report file (without the extension) in `lang`.
pub fn report_stem(project: &Project, f: &ReportFile<'_>, lang: Lang) -> String {
    let n = f.round.0;
    let mut stem = match (lang, f.cumulative) {
        (Lang::Zh, false) => format!("{}-第{n}轮模拟验收报告", name(&project.name, lang, project)),
        (Lang::Zh, true) => format!("{}-累计至第{n}轮模拟验收报告", name(&project.name, lang, project)),
        (Lang::En, false) => format!("{}-round-{n}-report", name(&project.name, lang, project)),
        (Lang::En, true) => format!("{}-cumulative-to-round-{n}-report", name(&project.name, lang, project)),
    };
    match f.version {
        Some(v) => stem.push_str(&format!("-v{v}")),
        None => stem.push_str(&format!("-{}", f.as_of.format("%Y-%m-%d"))),
    }
    if let Some((zh, en)) = f.table {
        stem.push('-');
        stem.push_str(if lang == Lang::Zh || en.is_empty() { zh } else { en });
    }
    stem
}

/// The rectification sheet of a contractor (for a round, or everything open).
pub fn sheet_stem(project: &Project, contractor: &I18nText, round: Option<RoundNo>, lang: Lang) -> String {
    let p = name(&project.name, lang, project);
    let c = contractor.get(lang);
    match (lang, round) {
        (Lang::Zh, Some(r)) => format!("{p}-{c}-第{}轮整改清单", r.0),
        (Lang::Zh, None) => format!("{p}-{c}-整改清单"),
        (Lang::En, Some(r)) => format!("{p}-{c}-round-{}-rectification-list", r.0),
        (Lang::En, None) => format!("{p}-{c}-rectification-list"),
    }
}

fn name<'a>(text: &'a I18nText, lang: Lang, project: &'a Project) -> &'a str {
    let s = text.get(lang);
    if s.trim().is_empty() {
        project.id.as_str()
    } else {
        s
    }
}

/// A file name safe on every system: no path separators, quotes, control
/// characters or characters Windows refuses (each becomes `_`), spaces
/// collapsed, no leading or trailing dots and spaces, at most 150 characters.
pub fn safe_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
            '_'
        } else if c.is_whitespace() {
            ' '
        } else {
            c
        };
        if !(c == ' ' && out.ends_with(' ')) {
            out.push(c);
        }
    }
    let out: String = out.trim_matches(|c: char| c == '.' || c == ' ').chars().take(150).collect();
    if out.is_empty() {
        "download".into()
    } else {
        out
    }
}

/// An ASCII name for clients that do not read `filename*`: letters, digits,
/// `.`, `-` and `_` only (spaces become `-`), from the English name.
pub fn ascii_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        let c = match c {
            c if c.is_ascii_alphanumeric() || matches!(c, '.' | '_') => c,
            ' ' | '-' | '/' | '\\' | '·' => '-',
            _ => continue,
        };
        if !(c == '-' && (out.is_empty() || out.ends_with('-'))) {
            out.push(c);
        }
    }
    out.trim_matches(|c| c == '-' || c == '.').to_owned()
}

/// `attachment; filename="<ascii>"; filename*=UTF-8''<name percent-encoded>`.
pub fn disposition(name: &str, ascii: &str) -> String {
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// A file to download: its name from `stem` in the reader's language
/// (`stems` gives the stem in a language), the ASCII name from the English one.
pub fn file(mime: &str, stems: impl Fn(Lang) -> String, lang: Lang, ext: &str, bytes: Vec<u8>) -> Response {
    let name = format!("{}.{ext}", safe_name(&stems(lang)));
    let mut ascii = ascii_name(&safe_name(&stems(Lang::En)));
    if ascii.is_empty() {
        ascii = "download".into();
    }
    let ascii = format!("{ascii}.{ext}");
    ([(header::CONTENT_TYPE, mime.to_owned()), (header::CONTENT_DISPOSITION, disposition(&name, &ascii))], bytes)
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_characters_never_reach_a_name() {
        assert_eq!(safe_name("A \"B\"/C\\D:E*?<>|\n\u{7}F"), "A _B__C_D_E_______F");
        assert_eq!(safe_name("  ..华景·澜庭  二期.. "), "华景·澜庭 二期");
        assert_eq!(safe_name("///"), "___");
        assert_eq!(safe_name(" .. "), "download");
        assert_eq!(ascii_name("Lanting Residences (Phase 2)-round-3"), "Lanting-Residences-Phase-2-round-3");
        assert_eq!(ascii_name("华景·澜庭"), "");
    }

    #[test]
    fn the_language_is_the_one_asked_for_else_the_browser_s() {
        let mut h = HeaderMap::new();
        assert_eq!(lang_of(None, &h), Lang::Zh);
        h.insert(header::ACCEPT_LANGUAGE, "fr-FR,en-US;q=0.8,zh;q=0.5".parse().unwrap());
        assert_eq!(lang_of(None, &h), Lang::En);
        assert_eq!(lang_of(Some("zh-CN"), &h), Lang::Zh);
        assert_eq!(lang_of(Some("de"), &h), Lang::En);
    }
}
