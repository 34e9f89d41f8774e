//! Accessibility audits shared by the browser tests (`ui/e2e/a11y.mjs`, in
//! Chromium) and the tablet app's test (its WebKit, by WebDriver): axe-core
//! and `ui/e2e/a11y-audit.js` run inside the page; each audit is
//! `{ lang, title, violations: [{ rule, help, nodes }], photos: [alt…] }`.

use crate::root;
use serde_json::Value;

/// axe-core (ui/node_modules, a devDependency) followed by our own checks: a
/// script that defines `window.walkthroughA11yAudit()`.
pub fn audit_script() -> String {
    let read = |path: &str| {
        std::fs::read_to_string(root().join(path))
            .unwrap_or_else(|e| panic!("{path}: {e} (npm ci in ui/ installs axe-core)"))
    };
    format!("{}\n;\n{}", read("ui/node_modules/axe-core/axe.min.js"), read("ui/e2e/a11y-audit.js"))
}

/// Every audit (`page.lang` → audit) found nothing, its `<html lang>` is the
/// language in its name and it has a title; each of `expected` was audited.
pub fn assert_clean(audits: &Value, expected: &[&str]) {
    let audits = audits.as_object().expect("audits by page");
    for name in expected {
        assert!(audits.contains_key(*name), "{name} was not audited; audited: {:?}", audits.keys().collect::<Vec<_>>());
    }
    let mut failures = Vec::new();
    for (name, audit) in audits.iter().filter(|(_, a)| a.get("violations").is_some()) {
        let lang = name.rsplit_once('.').map_or("", |(_, l)| l);
        assert_eq!(audit["lang"], lang, "{name}: <html lang> follows the chosen language");
        assert!(!audit["title"].as_str().unwrap_or("").is_empty(), "{name}: the page has a title");
        for v in audit["violations"].as_array().unwrap() {
            failures.push(format!("{name}: {} ({}) {}", v["rule"], v["help"].as_str().unwrap_or(""), v["nodes"]));
        }
    }
    assert!(failures.is_empty(), "{} accessibility violations:\n{}", failures.len(), failures.join("\n"));
}

/// The alt texts of the photos an audit saw.
pub fn photo_alts(audit: &Value) -> Vec<String> {
    audit["photos"].as_array().map_or(Vec::new(), |a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
}
