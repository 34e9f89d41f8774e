//! The commented sample settings file (`walkthrough.sample.toml`) stays
//! true: it loads with `Settings::load`, with every optional line
//! uncommented too; it names every setting there is (the list is the one
//! serde itself refuses unknown keys with, so a new setting fails this test
//! until the sample shows it), each with an environment variable the loader
//! really reads; and the defaults it shows are the defaults.

use std::collections::BTreeMap;
use walkthrough_server::config::Settings;

const SAMPLE: &str = include_str!("../walkthrough.sample.toml");
const CONFIG_RS: &str = include_str!("../src/config.rs");
/// The sections of the settings (`""` is the top level).
const SECTIONS: [&str; 7] = ["", "notify", "notify.smtp", "auth", "tls", "http", "tablet"];

/// The fields of a section, as serde lists them when refusing an unknown one.
fn fields_of(section: &str) -> Vec<String> {
    let text =
        if section.is_empty() { "zz_unknown = 1\n".to_owned() } else { format!("[{section}]\nzz_unknown = 1\n") };
    let err = toml::from_str::<Settings>(&text).unwrap_err().to_string();
    let list = err.split("expected one of ").nth(1).or_else(|| err.split("expected ").nth(1));
    let list = list.unwrap_or_else(|| panic!("no field list in {err}"));
    let list = list.lines().next().unwrap();
    list.split(", ").map(|f| f.trim().trim_matches('`').to_owned()).collect()
}

/// The sample with its optional lines uncommented: section → (key → the comment above it).
fn keys(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut section = String::new();
    let mut comment = String::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
            out.entry(section.clone()).or_default();
            comment.clear();
        } else if let Some((key, _)) = line.split_once(" = ").filter(|_| !line.starts_with('#')) {
            out.entry(section.clone()).or_default().insert(key.to_owned(), std::mem::take(&mut comment));
        } else if line.starts_with('#') {
            comment.push_str(line);
            comment.push('\n');
        } else {
            comment.clear();
        }
    }
    out
}

fn uncommented() -> String {
    SAMPLE
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if rest.starts_with('[') || rest.split_once(" = ").is_some_and(|(k, _)| !k.contains(' ')) => {
                rest
            }
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_sample_settings_file_loads_names_every_setting_and_its_variable_and_shows_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let sample = dir.path().join("sample.toml");
    std::fs::write(&sample, SAMPLE).unwrap();
    let loaded = Settings::load(Some(&sample)).unwrap_or_else(|e| panic!("the sample does not load: {e}"));
    let full = dir.path().join("full.toml");
    let full_text = uncommented();
    std::fs::write(&full, &full_text).unwrap();
    let everything =
        Settings::load(Some(&full)).unwrap_or_else(|e| panic!("the uncommented sample does not load: {e}"));
    assert!(everything.notify.smtp.is_some() && everything.tls.enabled() && everything.metrics_token.is_some());

    // Every setting, and nothing that is not one.
    let shown = keys(&full_text);
    for section in SECTIONS {
        let fields = fields_of(section);
        let nested: Vec<&str> =
            SECTIONS.iter().filter_map(|s| s.strip_prefix(section).and_then(|r| r.strip_prefix('.'))).collect();
        let top = if section.is_empty() { SECTIONS[1..].to_vec() } else { nested };
        let in_sample = shown.get(section).cloned().unwrap_or_default();
        for field in &fields {
            if top.contains(&field.as_str()) {
                continue; // a section of its own
            }
            let comment =
                in_sample.get(field).unwrap_or_else(|| panic!("the sample does not show [{section}] {field}"));
            let var = comment
                .split("(WALKTHROUGH_")
                .nth(1)
                .and_then(|r| r.split(')').next())
                .unwrap_or_else(|| panic!("[{section}] {field} names no WALKTHROUGH_ variable: {comment}"));
            let read = var.strip_prefix("SMTP_").filter(|_| section == "notify.smtp").unwrap_or(var);
            assert!(CONFIG_RS.contains(&format!("(\"{read}\"")), "WALKTHROUGH_{var} is not read by config.rs");
        }
        for key in in_sample.keys() {
            assert!(fields.contains(key), "the sample shows [{section}] {key}, which is not a setting");
        }
    }

    // The defaults it shows are the defaults.
    let d = Settings::default();
    assert_eq!(loaded.listen, d.listen);
    assert_eq!(
        (loaded.token_ttl_hours, loaded.max_body_bytes, loaded.max_blob_bytes, loaded.link_days),
        (d.token_ttl_hours, d.max_body_bytes, d.max_blob_bytes, d.link_days)
    );
    for (a, b) in [
        (format!("{:?}", loaded.notify), format!("{:?}", d.notify)),
        (format!("{:?}", loaded.auth), format!("{:?}", d.auth)),
        (format!("{:?}", loaded.http), format!("{:?}", d.http)),
        (format!("{:?}", loaded.tls), format!("{:?}", d.tls)),
        (format!("{:?}", loaded.tablet), format!("{:?}", d.tablet)),
        (format!("{:?}", loaded.public_url), format!("{:?}", d.public_url)),
    ] {
        assert_eq!(a, b, "the sample's default differs");
    }

    // The variables override the file, and a bad one is refused in words.
    // (All in this one test: the process's environment is shared.)
    std::env::set_var("WALKTHROUGH_LINK_DAYS", "14");
    std::env::set_var("WALKTHROUGH_AUTH_HASH_PERMITS", "4");
    std::env::set_var("WALKTHROUGH_NOTIFY_MAX_ATTEMPTS", "3");
    std::env::set_var("WALKTHROUGH_SMTP_HOST", "relay.example.net");
    std::env::set_var("WALKTHROUGH_SMTP_FROM", "noreply@example.net");
    std::env::set_var("WALKTHROUGH_SMTP_TLS", "tls");
    let s = Settings::load(Some(&sample)).unwrap();
    assert_eq!((s.link_days, s.auth.hash_permits, s.notify.max_attempts), (14, 4, 3));
    let smtp = s.notify.smtp.expect("SMTP from the environment");
    assert_eq!((smtp.host.as_str(), smtp.port()), ("relay.example.net", 465));
    std::env::set_var("WALKTHROUGH_SMTP_TLS", "maybe");
    let err = Settings::load(Some(&sample)).unwrap_err().to_string();
    assert!(err.contains("WALKTHROUGH_SMTP_TLS=\"maybe\" is not starttls, tls or none"), "{err}");
    std::env::set_var("WALKTHROUGH_LINK_DAYS", "two weeks");
    let err = Settings::load(Some(&sample)).unwrap_err().to_string();
    assert!(err.contains("WALKTHROUGH_LINK_DAYS=\"two weeks\" is not a number"), "{err}");
    for v in ["LINK_DAYS", "AUTH_HASH_PERMITS", "NOTIFY_MAX_ATTEMPTS", "SMTP_HOST", "SMTP_FROM", "SMTP_TLS"] {
        std::env::remove_var(format!("WALKTHROUGH_{v}"));
    }
}
