//! Two things an inspector's tablet must get right however the field goes,
//! against the real server over HTTP:
//! - a defect recorded in error is withdrawn on the tablet, with a reason:
//!   it leaves every list and count (tablet, read model, report, the
//!   contractor's list and page) and stays in the history;
//! - device clocks do not decide: a tablet three days behind and one an
//!   hour ahead recheck offline across a contractor's "fixed" report, and
//!   the documented crossing rule holds by real time, with no event lost
//!   and the device's reading shown beside the time used.

use std::time::Duration;
use walkthrough_client::app::App;
use walkthrough_core::defect::DefectStatus;
use walkthrough_core::*;
use walkthrough_e2e::field::*;
use walkthrough_e2e::Server;

fn app(dir: &std::path::Path, url: &str, user: &str, skew: chrono::Duration) -> App {
    let mut app = App::open(dir).unwrap();
    app.set_clock(move || chrono::Utc::now() + skew);
    let status = app.sign_in(url.into(), user.into(), "demo".into()).unwrap();
    assert!(status.session.is_some());
    app
}

fn items(v: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> =
        v["items"].as_array().unwrap().iter().map(|i| i["defect"].as_str().unwrap().to_owned()).collect();
    out.sort();
    out
}

fn drill_ids(cs: &Api) -> Vec<String> {
    // (As of tomorrow: the round's own report date may lie before today.)
    let as_of = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d");
    let (status, v) = cs.call("GET", &format!("/projects/{PROJECT}/reports/1/defects?filter=all&as_of={as_of}"), None);
    assert_eq!(status, 200, "{v}");
    v.as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect()
}

/// Two waterproofing defects recorded by u-insp-li in `units` (with a
/// marked photo on the first), synced and dispatched to c-guan, whose link
/// is returned.
struct Dispatched {
    server: Server,
    tablet: Tablet,
    cs: Api,
    guan: String,
    first: walkthrough_core::defect::Defect,
    second: walkthrough_core::defect::Defect,
    _dir: tempfile::TempDir,
}

fn dispatched(units: [&str; 2]) -> Dispatched {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let mut tablet = Tablet::new(&server.url, "u-insp-li");
    let first = tablet.record(units[0], "waterproofing", Some("floor_drain_blocked.jpg"), 1);
    let second = tablet.record(units[1], "waterproofing", None, 2);
    tablet.sync();
    let cs = Api::login(&server.url, "u-cs-wang");
    let (status, v) = cs.call("POST", &format!("/projects/{PROJECT}/dispatch"), None);
    assert_eq!((status, v["assigned"].as_u64()), (200, Some(2)), "{v}");
    let (_, guan) = cs.link("c-guan");
    Dispatched { server, tablet, cs, guan, first, second, _dir: dir }
}

#[test]
fn a_defect_recorded_in_error_is_withdrawn_everywhere_and_kept_in_history() {
    let Dispatched { server, mut tablet, cs, guan, first: leak, second: other, .. } =
        dispatched(["B1-0101", "B1-0101"]);
    let list =
        |cs: &Api| cs.call("GET", &format!("/projects/{PROJECT}/rectification?contractor=c-guan&round=1"), None).1;
    let both = {
        let mut v = vec![leak.id.to_string(), other.id.to_string()];
        v.sort();
        v
    };
    assert_eq!(items(&list(&cs)), both);
    assert!(drill_ids(&cs).contains(&leak.id.to_string()));

    // The inspector who recorded it withdraws it on the tablet (another app on the same account).
    let adir = tempfile::tempdir().unwrap();
    let mut li = app(adir.path(), &server.url, "u-insp-li", chrono::Duration::zero());
    let unit = leak.unit.to_string();
    let grid_open = |a: &mut App| {
        let g = a.unit_grid(PROJECT.into(), 1).unwrap();
        g.buildings.iter().flat_map(|b| &b.floors).flat_map(|f| &f.units).find(|u| u.id == unit).unwrap().open_defects
    };
    assert_eq!(grid_open(&mut li), 2);
    let e = li.withdraw_defect(PROJECT.into(), unit.clone(), 1, leak.id.to_string(), "  ".into()).unwrap_err();
    assert_eq!(e.kind, "invalid");
    assert!(e.message.contains("why"), "{e:?}");
    // Another inspector may not withdraw what li recorded: refused in words, nothing stored.
    let zdir = tempfile::tempdir().unwrap();
    let mut zhang = app(zdir.path(), &server.url, "u-insp-zhang", chrono::Duration::zero());
    let e = zhang.withdraw_defect(PROJECT.into(), unit.clone(), 1, leak.id.to_string(), "我看不像".into()).unwrap_err();
    assert!(e.message.contains("only the inspector who recorded"), "{e:?}");
    assert_eq!(zhang.status().unwrap().sync.pending_changes, 0, "nothing stored");

    let view = li.withdraw_defect(PROJECT.into(), unit.clone(), 1, leak.id.to_string(), "重复记录".into()).unwrap();
    let d = view.defects.iter().find(|d| d.id == leak.id.to_string()).unwrap();
    assert_eq!(d.status, "withdrawn");
    let last = d.history.last().unwrap();
    assert_eq!((last.kind.as_str(), last.detail.as_str(), last.by.as_str()), ("withdrawn", "重复记录", "u-insp-li"));
    assert_eq!(d.history.len(), 3, "found, assigned, withdrawn: {:?}", d.history);
    assert_eq!(grid_open(&mut li), 1, "the tablet's counts leave it out");
    // Closed: a second withdrawal is refused.
    assert!(li.withdraw_defect(PROJECT.into(), unit.clone(), 1, leak.id.to_string(), "again".into()).is_err());
    li.sync_now().unwrap();

    // The server: lists, report and the contractor's page leave it out; the history keeps it.
    assert_eq!(items(&list(&cs)), vec![other.id.to_string()]);
    let page: serde_json::Value = serde_json::from_str(&as_link(&server.url, &guan, "GET", "/items", None).1).unwrap();
    assert_eq!(items(&page), vec![other.id.to_string()], "off the contractor's page");
    let fixed = as_link(
        &server.url,
        &guan,
        "POST",
        &format!("/items/{}/fixed", leak.id),
        Some(serde_json::json!({ "note": "done" })),
    );
    assert_eq!(fixed.0, 422, "a withdrawn item cannot be reported fixed: {}", fixed.1);
    assert!(fixed.1.contains("withdrawn"), "said in words: {}", fixed.1);
    let drill = drill_ids(&cs);
    assert!(!drill.contains(&leak.id.to_string()) && drill.contains(&other.id.to_string()), "{drill:?}");
    let (_, detail) = cs.call("GET", &format!("/projects/{PROJECT}/defects/{}", leak.id), None);
    assert_eq!(detail["status"], "withdrawn", "{detail}");
    let kinds: Vec<&str> = detail["history"].as_array().unwrap().iter().map(|h| h["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["assigned", "withdrawn"], "{detail}");
    // The contractor is told it left their list (a withdrawal notice, for the digest).
    let notices = digest_notices(&server);
    assert!(
        notices.iter().any(|(k, kind)| k.contains(&leak.id.to_string()) && kind == "withdrawn"),
        "no withdrawal notice: {notices:?}"
    );
    // Another tablet sees it withdrawn, with its history.
    tablet.sync();
    let d = tablet.defect(&leak.unit, leak.id);
    assert_eq!(d.lifecycle().status, DefectStatus::Withdrawn);
}

/// The notices waiting for the next digest: (key, kind).
fn digest_notices(server: &Server) -> Vec<(String, String)> {
    use walkthrough_server::dispatch_store::DispatchStore;
    let pending = server.store.pending_digest_notices().unwrap();
    pending.into_iter().map(|(_, _, n)| (n.key(), kind_name(&n.kind))).collect()
}

fn kind_name(k: &walkthrough_core::dispatch::NoticeKind) -> String {
    serde_json::to_value(k).unwrap().as_str().unwrap().to_owned()
}

#[test]
fn skewed_tablet_clocks_do_not_move_a_recheck_across_a_fixed_report() {
    let Dispatched { server, cs, guan, first, second, .. } = dispatched(["B1-0101", "B1-0201"]);
    let report_fixed = |id: DefectId| {
        let (status, body) = as_link(
            &server.url,
            &guan,
            "POST",
            &format!("/items/{id}/fixed"),
            Some(serde_json::json!({ "note": "已疏通地漏" })),
        );
        assert_eq!(status, 200, "{body}");
    };

    // Three days behind: synced before the report, rechecks offline after it.
    let adir = tempfile::tempdir().unwrap();
    let mut behind = app(adir.path(), &server.url, "u-insp-zhang", -chrono::Duration::days(3));
    // An hour ahead: rechecks offline before the report.
    let bdir = tempfile::tempdir().unwrap();
    let mut ahead = app(bdir.path(), &server.url, "u-insp-chen", chrono::Duration::hours(1));

    let recheck_fail = |a: &mut App, d: &walkthrough_core::defect::Defect| {
        a.recheck(PROJECT.into(), d.unit.to_string(), 2, d.id.to_string(), false, "仍有积水".into(), None).unwrap();
    };
    recheck_fail(&mut ahead, &second);
    std::thread::sleep(Duration::from_millis(30));
    report_fixed(second.id);
    report_fixed(first.id);
    std::thread::sleep(Duration::from_millis(30));
    recheck_fail(&mut behind, &first);
    behind.sync_now().unwrap();
    ahead.sync_now().unwrap();

    let detail = |id: DefectId| cs.call("GET", &format!("/projects/{PROJECT}/defects/{id}"), None).1;
    let kinds = |v: &serde_json::Value| -> Vec<String> {
        v["history"].as_array().unwrap().iter().map(|h| h["type"].as_str().unwrap().to_owned()).collect()
    };
    // The report came first (real time): the failed recheck fails the
    // repair that was reported, and opens attempt 2 with the contractor.
    let d1 = detail(first.id);
    assert_eq!(d1["status"], "failed_recheck", "{d1}");
    assert_eq!(kinds(&d1), ["assigned", "reported_fixed", "rechecked"], "no event lost, in real order: {d1}");
    // The recheck came first: the report belongs to the new attempt.
    let d2 = detail(second.id);
    assert_eq!(d2["status"], "reported_fixed", "{d2}");
    assert_eq!(kinds(&d2), ["assigned", "rechecked", "reported_fixed"], "{d2}");

    // Both times shown where they differ: the device's reading beside the time used.
    let recheck_of = |v: &serde_json::Value| {
        v["history"].as_array().unwrap().iter().find(|h| h["type"] == "rechecked").unwrap().clone()
    };
    let r1 = recheck_of(&d1);
    let skew1 = r1["device_at"].as_i64().expect("device time kept") - r1["at"].as_i64().unwrap();
    assert!((skew1 + 3 * 86_400_000).abs() < 60_000, "three days behind: {r1}");
    let r2 = recheck_of(&d2);
    let skew2 = r2["device_at"].as_i64().expect("device time kept") - r2["at"].as_i64().unwrap();
    assert!((skew2 - 3_600_000).abs() < 60_000, "an hour ahead: {r2}");
    let fixed = d1["history"].as_array().unwrap().iter().find(|h| h["type"] == "reported_fixed").unwrap();
    assert!(fixed["device_at"].is_null(), "the server's own events carry one time: {fixed}");

    // The tablets agree with the server once synced, and show both times.
    behind.sync_now().unwrap();
    let view = behind.open_unit(PROJECT.into(), first.unit.to_string(), 2).unwrap();
    let d = view.defects.iter().find(|d| d.id == first.id.to_string()).unwrap();
    assert_eq!(d.status, "failed_recheck");
    let h = d.history.iter().find(|h| h.kind == "rechecked").unwrap();
    assert!(h.device_at_ms.is_some_and(|t| (h.at_ms - t - 3.0 * 86_400_000.0).abs() < 60_000.0), "{h:?}");
}
