//! Which device did what (issue 12, point 2): two inspectors' tablets, each
//! with its own store and signed in as a different user, write on the same
//! defect and sync; the CS center sends it out from the console. The
//! server's defect history names each entry's device ("li-tablet · 3fa2c1")
//! or the server, read from the document's own Automerge actors; the device
//! list names each device with its user; a tablet's history names the other
//! tablet; and the console shows it all in Chromium.

use walkthrough_client::app::view::DefectForm;
use walkthrough_client::app::App;
use walkthrough_e2e::field::*;
use walkthrough_e2e::*;

fn tablet(dir: &std::path::Path, url: &str, user: &str, name: &str) -> App {
    let mut app = App::open(dir).unwrap();
    assert_eq!(app.set_device_name(format!("  {name} ")).unwrap(), name, "trimmed");
    let status = app.sign_in(url.into(), user.into(), "demo".into()).unwrap();
    assert!(status.session.is_some());
    app
}

fn actor(app: &mut App) -> String {
    app.store().actor().to_hex_string()
}

#[test]
fn every_history_entry_names_the_device_that_wrote_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let (ldir, zdir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut li = tablet(ldir.path(), &server.url, "u-insp-li", "li-tablet");
    let mut zhang = tablet(zdir.path(), &server.url, "u-insp-zhang", "zhang-tablet");
    let (li_actor, zhang_actor) = (actor(&mut li), actor(&mut zhang));
    assert_ne!(li_actor, zhang_actor);
    // A name that is not one is refused in words, and nothing changes.
    let e = li.set_device_name("\u{7}".repeat(3)).unwrap_err();
    assert!(e.message.contains("control characters"), "{e:?}");
    let e = li.set_device_name("x".repeat(65)).unwrap_err();
    assert!(e.message.contains("at most 64"), "{e:?}");

    // Li records a defect; Zhang, on his own tablet, edits its description.
    let unit = "B1-0101";
    let view = li.open_unit(PROJECT.into(), unit.into(), 1).unwrap();
    let (room, item) = view.rooms.iter().find_map(|r| r.items.first().map(|i| (r.id.clone(), i.code.clone()))).unwrap();
    let mut form = li.draft_defect(PROJECT.into(), unit.into(), 1, room, Some(item)).unwrap();
    form.spot = "north wall".into();
    form.description = "hairline crack".into();
    let id = li.save_defect(PROJECT.into(), unit.into(), 1, form).unwrap();
    li.sync_now().unwrap();
    zhang.sync_now().unwrap();
    let d = zhang.open_unit(PROJECT.into(), unit.into(), 1).unwrap().defects.into_iter().find(|d| d.id == id).unwrap();
    let edit = DefectForm {
        id: Some(d.id.clone()),
        room: d.room.clone(),
        item: d.item.clone(),
        spot: d.spot.clone(),
        description: "hairline crack, 40 cm, through the plaster".into(),
        category: d.category.clone(),
        other_reason: d.other_reason.clone(),
        severity: d.severity.clone(),
        trade: d.trade.clone(),
        responsible: d.responsible.clone(),
        root_cause: d.root_cause.clone(),
        root_cause_note: d.root_cause_note.clone(),
        pin: d.pin,
        photos: d.photos.clone(),
    };
    zhang.save_defect(PROJECT.into(), unit.into(), 1, edit).unwrap();
    zhang.sync_now().unwrap();
    // The CS center sends it to its contractor from the console: the server writes that.
    let cs = Api::login(&server.url, "u-cs-wang");
    let (status, v) = cs.call("POST", &format!("/projects/{PROJECT}/dispatch"), None);
    assert_eq!((status, v["assigned"].as_u64()), (200, Some(1)), "{v}");
    li.sync_now().unwrap();

    // The server's history: each entry with its own device, or the server.
    let (status, detail) = cs.call("GET", &format!("/projects/{PROJECT}/defects/{id}"), None);
    assert_eq!(status, 200, "{detail}");
    let short = |a: &str| a[..6].to_owned();
    let li_label = format!("li-tablet · {}", short(&li_actor));
    let zhang_label = format!("zhang-tablet · {}", short(&zhang_actor));
    assert_eq!(detail["found_device"]["label"], li_label.as_str(), "{detail}");
    assert_eq!(detail["found_device"]["actor"], li_actor.as_str());
    let history = detail["history"].as_array().unwrap();
    let entry = |kind: &str| history.iter().find(|e| e["type"] == kind).unwrap_or_else(|| panic!("{kind}: {detail}"));
    let edited = entry("edited");
    assert_eq!(
        (edited["by"].as_str(), edited["device"]["label"].as_str()),
        (Some("u-insp-zhang"), Some(&*zhang_label))
    );
    assert_eq!(edited["device"]["server"], false);
    let assigned = entry("assigned");
    assert_eq!(assigned["device"]["server"], true, "{assigned}");
    assert_eq!(assigned["device"]["actor"], "user:u-cs-wang");

    // The device list: each device, its user, name, label, changes.
    let (status, devices) = cs.call("GET", &format!("/projects/{PROJECT}/devices"), None);
    assert_eq!(status, 200, "{devices}");
    let device = |a: &str| devices.as_array().unwrap().iter().find(|d| d["actor"] == a).cloned().unwrap();
    let l = device(&li_actor);
    assert_eq!(
        (l["user"].as_str(), l["name"].as_str(), l["label"].as_str()),
        (Some("u-insp-li"), Some("li-tablet"), Some(&*li_label))
    );
    assert!(l["changes"].as_u64().unwrap() >= 1 && l["first_seen_ms"].as_i64() <= l["last_seen_ms"].as_i64(), "{l}");
    // The server's own actor (the console's dispatch) is listed as the server, not as a device.
    let cs_actor = automerge::ActorId::from(b"user:u-cs-wang".as_slice()).to_hex_string();
    let c = device(&cs_actor);
    assert_eq!((c["server"].as_bool(), c["label"].as_str()), (Some(true), Some("")), "{c}");
    assert_eq!(l["server"], false);
    let z = device(&zhang_actor);
    assert_eq!((z["user"].as_str(), z["label"].as_str()), (Some("u-insp-zhang"), Some(&*zhang_label)));
    // An inspector may not list devices.
    let insp = Api::login(&server.url, "u-insp-li");
    assert_eq!(insp.call("GET", &format!("/projects/{PROJECT}/devices"), None).0, 403);

    // A bad device name or a device id reserved for the server is refused at sync, in words.
    for (hello, why) in [
        (serde_json::json!({ "actor": "00ff", "name": "a\u{1}b" }), "control characters"),
        (serde_json::json!({ "actor": "NOT-HEX", "name": "x" }), "not a device id"),
        (
            serde_json::json!({ "actor": automerge::ActorId::from(b"user:u-cs-wang".as_slice()).to_hex_string() }),
            "reserved for the server",
        ),
    ] {
        let body = serde_json::json!({ "project": PROJECT, "cursor": 0, "device": hello });
        let (status, v) = insp.call("POST", "/sync/manifest", Some(body));
        assert_eq!(status, 400, "{v}");
        assert!(v["error"].as_str().unwrap().contains(why), "{why}: {v}");
    }

    // Made-up device ids cannot grow the list without end: a user's devices
    // that never wrote are recorded up to a bound, the rest are not.
    for n in 0..20u32 {
        let hello = serde_json::json!({ "actor": format!("{:08x}", 0xdead_0000u32 + n), "name": format!("fake-{n}") });
        let body = serde_json::json!({ "project": PROJECT, "cursor": 0, "device": hello });
        assert_eq!(insp.call("POST", "/sync/manifest", Some(body)).0, 200);
    }
    let (_, devices) = cs.call("GET", &format!("/projects/{PROJECT}/devices"), None);
    let unused =
        devices.as_array().unwrap().iter().filter(|d| d["user"] == "u-insp-li" && d["changes"] == 0).count() as i64;
    assert_eq!(unused, walkthrough_server::store::MAX_UNUSED_DEVICES_PER_USER, "{devices}");
    assert!(devices.as_array().unwrap().iter().any(|d| d["actor"] == li_actor.as_str()), "li's real tablet stays");

    // Li's tablet: its own entries say nothing more, Zhang's name his tablet, the server's say so.
    let d = li.open_unit(PROJECT.into(), unit.into(), 1).unwrap().defects.into_iter().find(|d| d.id == id).unwrap();
    let kinds: Vec<(&str, Option<&str>, bool)> =
        d.history.iter().map(|h| (h.kind.as_str(), h.device.as_deref(), h.by_server)).collect();
    assert!(kinds.contains(&("found", None, false)), "{kinds:?}");
    assert!(kinds.contains(&("edited", Some(&*zhang_label), false)), "{kinds:?}");
    assert!(kinds.contains(&("assigned", None, true)), "{kinds:?}");

    // The console in Chromium: the defect's history and the device list, in both languages.
    let out = run_browser_script("devices.mjs", &[&server.url, PROJECT]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(v.get("pageErrors").is_none() && v.get("failure").is_none(), "{out}");
    for (lang, on, server_word) in [("en", "on ", "server"), ("zh", "设备：", "服务器")] {
        let rows = v[lang]["history"].as_array().unwrap_or_else(|| panic!("{out}"));
        let row = |t: &str| rows.iter().find(|r| r["type"] == t).unwrap_or_else(|| panic!("{lang} {t}: {out}"));
        assert_eq!(row("found")["device"], format!("{on}{li_label}"), "{out}");
        assert_eq!(row("edited")["device"], format!("{on}{zhang_label}"), "{out}");
        assert_eq!(row("assigned")["device"], server_word, "{out}");
        let listed = v[lang]["devices"].as_array().unwrap();
        let shown = |a: &str| listed.iter().find(|d| d["actor"] == a).unwrap_or_else(|| panic!("{a}: {out}"));
        assert_eq!(shown(&li_actor)["label"], li_label.as_str(), "{out}");
        assert_eq!(shown(&zhang_actor)["label"], zhang_label.as_str(), "{out}");
        assert!(shown(&cs_actor)["label"].as_str().unwrap().starts_with(server_word), "{out}");
    }
    assert!(v["audits"].as_object().unwrap().values().all(|a| a["violations"].is_array()), "axe ran: {out}");
    walkthrough_e2e::a11y::assert_clean(&v["audits"], &["defect.en", "people.en", "defect.zh-CN", "people.zh-CN"]);
    let listed = v["en"]["devices"].as_array().unwrap();
    let li_row = listed.iter().find(|d| d["actor"] == li_actor.as_str()).unwrap();
    assert_ne!(li_row["user"], "u-insp-li", "the user by name, not id: {out}");
}
