//! Accounts and sessions over real HTTP: sign-in throttled per account and
//! per address (429 with Retry-After, in words); unknown usernames cost the
//! same as wrong passwords; sign-out; password change (policy, other
//! sign-ins end); a temporary password must be changed before anything
//! else; disabling, enabling, resetting and a role change end an account's
//! sign-ins; one CS admin cannot take over another; no contractor-role
//! accounts; the console's session cookie (HttpOnly, SameSite=Strict, CSRF
//! header) — also in Chromium: script cannot read it, a request without the
//! console's header is refused, the forced change works in the console.

use reqwest::blocking::{Client, Response};
use reqwest::header;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use walkthrough_core::model::Role;
use walkthrough_core::*;
use walkthrough_e2e::*;
use walkthrough_server::store::{Store as _, User};

/// A client that does not follow redirects (the provider installed first: a
/// test must not depend on another having run before it).
fn http() -> Client {
    walkthrough_client::tls::install_default_provider();
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn sign_in(url: &str, user: &str, password: &str) -> Response {
    http()
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({ "username": user, "password": password }))
        .send()
        .unwrap()
}

fn token_of(r: Response) -> String {
    let status = r.status();
    let v: Value = r.json().unwrap();
    assert_eq!(status, 200, "{v}");
    v["token"].as_str().unwrap().to_owned()
}

/// A request as `token`: (status, body).
fn call(url: &str, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let c = http();
    let mut r = match method {
        "GET" => c.get(format!("{url}/api/v1{path}")),
        _ => c.post(format!("{url}/api/v1{path}")),
    }
    .bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn manifest(url: &str, token: &str) -> (u16, Value) {
    call(url, token, "POST", "/sync/manifest", Some(json!({ "project": "hj-lanting", "cursor": 0 })))
}

fn server_with(dir: &std::path::Path, configure: impl FnOnce(&mut walkthrough_server::auth::AuthSettings)) -> Server {
    let store = std::sync::Arc::new(
        walkthrough_server::store::SqliteStore::open(&dir.join("server.sqlite")).expect("server database"),
    );
    walkthrough_server::seed::import_project(store.as_ref(), &walkthrough_fixtures::demo_project(), "demo")
        .expect("demo project");
    Server::start_with(dir, "127.0.0.1:0", store, |s| configure(&mut s.auth))
}

#[test]
fn sign_in_is_throttled_per_account_and_per_address_with_retry_after_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with(dir.path(), |a| {
        a.account_failures = 3;
        a.address_failures = 8;
        a.lock_seconds = 2;
    });
    let url = &server.url;
    for _ in 0..3 {
        assert_eq!(sign_in(url, "u-insp-li", "wrong").status(), 401);
    }
    // Locked: even the right password waits, and is told how long.
    let r = sign_in(url, "u-insp-li", "demo");
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    let v: Value = r.json().unwrap();
    assert_eq!(v["error"], format!("too many failed sign-ins; try again in {retry} s"));
    // The tablet shows the same sentence.
    let e = walkthrough_client::sync::SyncClient::new(url).login("u-insp-li", "demo").unwrap_err();
    assert!(e.to_string().starts_with("too many failed sign-ins; try again in"), "{e}");
    // Another account from the same address is not affected yet.
    token_of(sign_in(url, "u-insp-chen", "demo"));
    // After the wait the right password works, and the account starts afresh.
    std::thread::sleep(Duration::from_millis(2_100));
    token_of(sign_in(url, "u-insp-li", "demo"));
    assert_eq!(sign_in(url, "u-insp-li", "wrong").status(), 401);

    // Per address: failures spread over many usernames (unknown ones too).
    for i in 0..4 {
        assert_eq!(sign_in(url, &format!("nobody-{i}"), "x").status(), 401);
    }
    // 3 + 1 + 4 = 8 failures from 127.0.0.1: every account now waits here.
    let r = sign_in(url, "u-cs-wang", "demo");
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key(header::RETRY_AFTER));
}

#[test]
fn the_throttle_stays_bounded_under_a_username_spray() {
    use walkthrough_server::auth::{AuthSettings, MemoryThrottle, Throttle, ThrottleKey};
    let t = MemoryThrottle::new(AuthSettings { max_entries: 100, ..AuthSettings::default() });
    let now = Instant::now();
    for i in 0..10_000u32 {
        t.failed(&ThrottleKey::Account(format!("spray-{i}")), 5, now + Duration::from_millis(i as u64));
        t.failed(&ThrottleKey::Address(std::net::IpAddr::from(i.to_be_bytes())), 20, now);
    }
    assert!(t.len() <= 200, "{} entries", t.len());
    // The most recent ones are kept, and locking still works.
    let key = ThrottleKey::Account("victim".into());
    for _ in 0..5 {
        t.failed(&key, 5, now);
    }
    assert!(t.wait(&key, now).is_some());
    t.succeeded(&key);
    assert!(t.wait(&key, now).is_none());
}

#[test]
fn unknown_usernames_take_as_long_as_wrong_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with(dir.path(), |a| {
        a.account_failures = 10_000;
        a.address_failures = 10_000;
    });
    let time = |user: &str| {
        let started = Instant::now();
        assert_eq!(sign_in(&server.url, user, "wrong-password").status(), 401);
        started.elapsed().as_secs_f64()
    };
    time("nobody-warmup");
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..15 {
        known.push(time("u-insp-li"));
        unknown.push(time(&format!("nobody-{i}")));
    }
    // The lower quartile: other work on the machine only ever adds time, so
    // the faster runs say what each path itself costs.
    let quartile = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 4]
    };
    let (k, u) = (quartile(&mut known), quartile(&mut unknown));
    let ratio = k.max(u) / k.min(u);
    assert!(ratio < 1.5, "lower quartile known {k:.4}s, unknown {u:.4}s: ratio {ratio:.2}");
}

#[test]
fn sign_out_and_password_change_end_sign_ins() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let url = &server.url;
    let a = token_of(sign_in(url, "u-insp-li", "demo"));
    let b = token_of(sign_in(url, "u-insp-li", "demo"));
    assert_eq!(manifest(url, &a).0, 200);
    // Sign-out ends this sign-in only.
    let (status, _) = call(url, &a, "POST", "/auth/logout", None);
    assert_eq!(status, 200);
    let (status, body) = manifest(url, &a);
    assert_eq!((status, body["error"].as_str()), (401, Some("your sign-in is not valid; sign in again")));
    assert_eq!(manifest(url, &b).0, 200);

    // Password change: the policy, in words.
    let c = token_of(sign_in(url, "u-insp-li", "demo"));
    let change = |token: &str, old: &str, new: &str| {
        call(url, token, "POST", "/auth/password", Some(json!({ "old_password": old, "new_password": new })))
    };
    let (status, body) = change(&b, "demo", "short");
    assert_eq!(
        (status, body["error"].as_str()),
        (422, Some("the new password is too short: use at least 8 characters"))
    );
    let (status, body) = change(&b, "demo", "u-insp-li");
    assert_eq!((status, body["error"].as_str()), (422, Some("the new password must not be your username")));
    let (status, body) = change(&b, "not-the-password", "a-good-password");
    assert_eq!((status, body["error"].as_str()), (403, Some("the current password is not right")));
    let (status, body) = change(&b, "demo", "a-good-password");
    assert_eq!(status, 200, "{body}");
    // This sign-in stays; the account's other one ends; the old password is gone.
    assert_eq!(manifest(url, &b).0, 200);
    let (status, body) = manifest(url, &c);
    assert_eq!(status, 401, "{body}");
    assert!(body["error"].as_str().unwrap().starts_with("your sign-in was ended"), "{body}");
    assert_eq!(sign_in(url, "u-insp-li", "demo").status(), 401);
    token_of(sign_in(url, "u-insp-li", "a-good-password"));
}

#[test]
fn a_temporary_password_must_be_changed_before_anything_else() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let url = &server.url;
    // Demo accounts are not forced.
    let v: Value = sign_in(url, "u-insp-li", "demo").json().unwrap();
    assert_eq!(v["must_change_password"], false);

    let admin = token_of(sign_in(url, "u-cs-wang", "demo"));
    let invite = json!({ "username": "u-insp-new", "name": "新人", "role": "inspector", "org": "" });
    let (status, body) = call(url, &admin, "POST", "/projects/hj-lanting/people", Some(invite));
    assert_eq!(status, 200, "{body}");
    let temporary = body["password"].as_str().unwrap().to_owned();

    let r = sign_in(url, "u-insp-new", &temporary);
    let v: Value = r.json().unwrap();
    assert_eq!(v["must_change_password"], true, "{v}");
    let token = v["token"].as_str().unwrap().to_owned();
    for (method, path, body) in [
        ("POST", "/sync/manifest", Some(json!({ "project": "hj-lanting", "cursor": 0 }))),
        ("GET", "/projects", None),
        ("GET", "/projects/hj-lanting/rectification", None),
    ] {
        let (status, v) = call(url, &token, method, path, body);
        assert_eq!((status, v["error"].as_str()), (403, Some("change your temporary password first")), "{path}");
        assert_eq!(v["code"], wire::PASSWORD_CHANGE_REQUIRED);
    }
    // Who is signed in may be asked, and says so.
    let (status, v) = call(url, &token, "GET", "/auth/session", None);
    assert_eq!((status, v["must_change_password"].as_bool()), (200, Some(true)));
    let (status, v) = call(
        url,
        &token,
        "POST",
        "/auth/password",
        Some(json!({ "old_password": temporary, "new_password": "my-own-password" })),
    );
    assert_eq!((status, v["must_change_password"].as_bool()), (200, Some(false)), "{v}");
    assert_eq!(manifest(url, &token).0, 200);
    let v: Value = sign_in(url, "u-insp-new", "my-own-password").json().unwrap();
    assert_eq!(v["must_change_password"], false);

    // A reset gives a temporary password again, and ends the sign-ins.
    let (status, body) = call(url, &admin, "POST", "/projects/hj-lanting/people/u-insp-new/reset", None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(manifest(url, &token).0, 401);
    let v: Value = sign_in(url, "u-insp-new", body["password"].as_str().unwrap()).json().unwrap();
    assert_eq!(v["must_change_password"], true);
}

#[test]
fn disabling_enabling_resetting_or_a_new_role_ends_an_accounts_sign_ins() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let url = &server.url;
    let admin = token_of(sign_in(url, "u-cs-wang", "demo"));
    let person =
        |action: &str| call(url, &admin, "POST", &format!("/projects/hj-lanting/people/u-insp-li/{action}"), None);

    let before = token_of(sign_in(url, "u-insp-li", "demo"));
    assert_eq!(person("disable").0, 200);
    let (status, v) = manifest(url, &before);
    assert_eq!((status, v["code"].as_str()), (403, Some(wire::ACCOUNT_DISABLED)));
    assert_eq!(person("enable").0, 200);
    // Enabled again, the old sign-in does not come back with it.
    let (status, v) = manifest(url, &before);
    assert_eq!(status, 401, "{v}");
    assert!(v["error"].as_str().unwrap().starts_with("your sign-in was ended"), "{v}");

    // Enabling on its own ends sign-ins too.
    let during = token_of(sign_in(url, "u-insp-li", "demo"));
    assert_eq!(person("enable").0, 200);
    assert_eq!(manifest(url, &during).0, 401);

    let t = token_of(sign_in(url, "u-insp-li", "demo"));
    assert_eq!(person("reset").0, 200);
    assert_eq!(manifest(url, &t).0, 401);

    // A new role (an invitation of an existing account with another role).
    let invite = json!({ "username": "u-eng-new", "name": "新", "role": "engineer", "org": "" });
    let (status, body) = call(url, &admin, "POST", "/projects/hj-lanting/people", Some(invite));
    assert_eq!(status, 200, "{body}");
    let t = token_of(sign_in(url, "u-eng-new", body["password"].as_str().unwrap()));
    assert_eq!(call(url, &t, "GET", "/auth/session", None).0, 200);
    let invite = json!({ "username": "u-eng-new", "name": "新", "role": "inspector", "org": "" });
    let (status, body) = call(url, &admin, "POST", "/projects/hj-lanting/people", Some(invite));
    assert_eq!(status, 200, "{body}");
    assert_eq!(call(url, &t, "GET", "/auth/session", None).0, 401);
    // A refused role change (the round plans name the inspector) ends nothing.
    let t = token_of(sign_in(url, "u-insp-chen", "demo"));
    let invite = json!({ "username": "u-insp-chen", "name": "陈", "role": "engineer", "org": "" });
    assert_eq!(call(url, &admin, "POST", "/projects/hj-lanting/people", Some(invite)).0, 422);
    assert_eq!(manifest(url, &t).0, 200);
    // The same role again ends nothing.
    let t = token_of(sign_in(url, "u-insp-zhang", "demo"));
    let invite = json!({ "username": "u-insp-zhang", "name": "张", "role": "inspector", "org": "" });
    assert_eq!(call(url, &admin, "POST", "/projects/hj-lanting/people", Some(invite)).0, 200);
    assert_eq!(manifest(url, &t).0, 200);
}

#[test]
fn a_cs_admin_cannot_take_over_another_cs_admins_account() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let url = &server.url;
    let wang = token_of(sign_in(url, "u-cs-wang", "demo"));
    let zhao = token_of(sign_in(url, "u-cs-zhao", "demo"));
    for action in ["reset", "disable"] {
        let (status, v) = call(url, &wang, "POST", &format!("/projects/hj-lanting/people/u-cs-zhao/{action}"), None);
        assert_eq!(status, 403, "{action}: {v}");
        assert!(v["error"].as_str().unwrap().starts_with("a CS admin cannot"), "{v}");
        assert!(v["error"].as_str().unwrap().contains("another CS admin's account (u-cs-zhao)"), "{v}");
    }
    let demote = json!({ "username": "u-cs-zhao", "name": "赵婧", "role": "inspector", "org": "" });
    let (status, v) = call(url, &wang, "POST", "/projects/hj-lanting/people", Some(demote));
    assert_eq!(status, 403, "{v}");
    assert!(v["error"].as_str().unwrap().starts_with("a CS admin cannot change the role of"), "{v}");
    // Nothing changed: zhao is still signed in, with the same password and role.
    assert_eq!(manifest(url, &zhao).0, 200);
    let u = server.store.user_by_name("u-cs-zhao").unwrap().unwrap();
    assert_eq!((u.role, u.disabled), (Role::CsAdmin, false));
    assert!(walkthrough_server::auth::verify_password("demo", &u.password_hash));
    // An account of another role can still be managed, and one's own password changed.
    assert_eq!(call(url, &wang, "POST", "/projects/hj-lanting/people/u-insp-li/reset", None).0, 200);
    let (status, _) = call(
        url,
        &zhao,
        "POST",
        "/auth/password",
        Some(json!({ "old_password": "demo", "new_password": "zhao-own-password" })),
    );
    assert_eq!(status, 200);
}

#[test]
fn contractor_role_accounts_are_refused_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let url = &server.url;
    let admin = token_of(sign_in(url, "u-cs-wang", "demo"));
    let invite = json!({ "username": "c-fang", "name": "方", "role": "contractor", "org": "" });
    let (status, v) = call(url, &admin, "POST", "/projects/hj-lanting/people", Some(invite));
    assert_eq!(status, 422);
    assert!(v["error"].as_str().unwrap().contains("they receive their rectification lists by link"), "{v}");

    // One left from before: its password is right, and it is still refused.
    let legacy = User {
        id: UserId::new("c-legacy"),
        username: "c-legacy".into(),
        name: "Legacy".into(),
        role: Role::Contractor,
        company: "huajing-suzhou".into(),
        password_hash: walkthrough_server::auth::hash_password("demo").unwrap(),
        disabled: false,
    };
    server.store.create_user(&legacy, &[ProjectId::new("hj-lanting")]).unwrap();
    let r = sign_in(url, "c-legacy", "demo");
    assert_eq!(r.status(), 403);
    let v: Value = r.json().unwrap();
    assert_eq!(v["error"], "contractor accounts cannot sign in: contractors open the link the CS center sends them");
    // A wrong password gets the ordinary answer (nothing revealed).
    assert_eq!(sign_in(url, "c-legacy", "wrong").status(), 401);
}

#[test]
fn the_consoles_session_cookie_is_httponly_strict_and_needs_the_consoles_header_to_change_things() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let url = &server.url;
    let r = http()
        .post(format!("{url}/api/v1/auth/login"))
        .header("X-Walkthrough-Session", "cookie")
        .json(&json!({ "username": "u-cs-wang", "password": "demo" }))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = r.headers()[header::SET_COOKIE].to_str().unwrap().to_owned();
    let v: Value = r.json().unwrap();
    assert_eq!(v["token"], "", "the token is not in the body the page's script reads");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP on loopback: no Secure ({cookie})");
    let pair = cookie.split(';').next().unwrap().to_owned();
    assert!(pair.starts_with("walkthrough_session=") && pair.len() > 40, "{pair}");

    let with_cookie = |method: &str, path: &str, csrf: bool| {
        let c = http();
        let mut r =
            if method == "GET" { c.get(format!("{url}/api/v1{path}")) } else { c.post(format!("{url}/api/v1{path}")) }
                .header(header::COOKIE, &pair);
        if csrf {
            r = r.header("X-Requested-With", "walkthrough");
        }
        if method == "POST" {
            r = r.json(&json!({ "edits": [] }));
        }
        let r = r.send().unwrap();
        let status = r.status().as_u16();
        (status, r.json::<Value>().unwrap_or(Value::Null))
    };
    assert_eq!(with_cookie("GET", "/projects", false).0, 200);
    let (status, v) = with_cookie("POST", "/projects/hj-lanting/edits", false);
    assert_eq!(status, 403, "{v}");
    assert!(v["error"].as_str().unwrap().contains("may have been sent by another site"), "{v}");
    // With the header the request reaches the handler (which refuses an empty batch in words).
    let (status, v) = with_cookie("POST", "/projects/hj-lanting/edits", true);
    assert_eq!((status, v["error"].as_str()), (422, Some("there is nothing to change")));

    // Sign-out clears the cookie and ends the sign-in.
    let r = http()
        .post(format!("{url}/api/v1/auth/logout"))
        .header(header::COOKIE, &pair)
        .header("X-Requested-With", "walkthrough")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let cleared = r.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cleared.starts_with("walkthrough_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(with_cookie("GET", "/projects", false).0, 401);

    // Opened by another name than loopback, the cookie is Secure.
    let r = http()
        .post(format!("{url}/api/v1/auth/login"))
        .header("X-Walkthrough-Session", "cookie")
        .header(header::HOST, "walkthrough.example.com")
        .json(&json!({ "username": "u-cs-wang", "password": "demo" }))
        .send()
        .unwrap();
    assert!(r.headers()[header::SET_COOKIE].to_str().unwrap().contains("; Secure"));
}

#[test]
fn in_chromium_the_console_keeps_its_sign_in_from_script_and_forces_a_temporary_password_change() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::demo(dir.path());
    let url = &server.url;
    let admin = token_of(sign_in(url, "u-cs-wang", "demo"));
    let invite = json!({ "username": "u-cs-new", "name": "新管理员", "role": "cs_admin", "org": "" });
    let (status, body) = call(url, &admin, "POST", "/projects/hj-lanting/people", Some(invite));
    assert_eq!(status, 200, "{body}");
    let temporary = body["password"].as_str().unwrap();

    let out = run_browser_script("accounts.mjs", &[url, temporary, "new-admin-password"]);
    let v: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert!(v.get("failure").is_none(), "the browser script failed: {v:#}");
    // Script in the page cannot read the sign-in, and nothing is in storage.
    assert_eq!(v["documentCookie"], "", "{v:#}");
    assert_eq!(v["storage"], json!([]), "{v:#}");
    assert_eq!(v["cookie"]["httpOnly"], true, "{v:#}");
    assert_eq!(v["cookie"]["sameSite"], "Strict", "{v:#}");
    assert_eq!(v["signedIn"], "王敏", "{v:#}");
    assert_eq!(v["afterReload"], true, "a reload stays signed in: {v:#}");
    // A request without the console's header, as another site's form would send it, is refused.
    assert_eq!(v["bareStatus"], 403, "{v:#}");
    let cross = v["crossSite"].as_str().unwrap();
    assert!(cross.contains("sign in first") || cross.contains("another site"), "{v:#}");
    assert_eq!(v["withHeaderStatus"], 422, "{v:#}");
    assert_eq!(v["afterSignOut"], 401, "{v:#}");
    // The forced change: only the form, until the password is changed.
    assert_eq!(v["forcedShown"], true, "{v:#}");
    assert_eq!(v["forcedNav"], 0, "{v:#}");
    assert_eq!(v["tooShort"], "the new password is too short: use at least 8 characters", "{v:#}");
    assert_eq!(v["afterChangeNav"], true, "{v:#}");
    token_of(sign_in(url, "u-cs-new", "new-admin-password"));
    assert_eq!(sign_in(url, "u-cs-new", temporary).status(), 401);
}
