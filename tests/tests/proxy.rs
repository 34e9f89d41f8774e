//! The server behind a real TLS proxy (nginx from Debian's packages), as an
//! IT department would run it: nginx terminates HTTPS with the company's
//! certificate and forwards plain HTTP to the server on loopback, which
//! trusts only that proxy's `X-Forwarded-For` and `X-Forwarded-Proto`.
//! A tablet that trusts the company's CA signs in and syncs through it; the
//! console signs in with its cookie and CSRF header; every answer carries
//! the security headers and HSTS; and a contractor's link opens through it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use walkthrough_client::app::App;
use walkthrough_e2e::tls::TestCa;
use walkthrough_e2e::Server;
use walkthrough_server::store::SqliteStore;

const PROJECT: &str = "hj-lanting";

fn nginx_binary() -> PathBuf {
    let path = PathBuf::from(std::env::var("WALKTHROUGH_NGINX").unwrap_or_else(|_| "/usr/sbin/nginx".into()));
    assert!(
        path.exists(),
        "nginx is not installed at {} (scripts/test installs Debian's nginx; or set WALKTHROUGH_NGINX)",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// nginx in the foreground with its own prefix, configuration and logs.
struct Nginx {
    child: Child,
    prefix: PathBuf,
}

impl Nginx {
    fn start(prefix: &Path, listen: u16, upstream: &str, cert: &Path, key: &Path) -> Self {
        for d in ["logs", "tmp"] {
            std::fs::create_dir_all(prefix.join(d)).unwrap();
        }
        let p = prefix.display();
        let conf = format!(
            "daemon off;\n\
             master_process off;\n\
             worker_processes 1;\n\
             user root;\n\
             pid {p}/nginx.pid;\n\
             error_log {p}/logs/error.log warn;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n\
               access_log {p}/logs/access.log;\n\
               client_body_temp_path {p}/tmp/body;\n\
               proxy_temp_path {p}/tmp/proxy;\n\
               fastcgi_temp_path {p}/tmp/fastcgi;\n\
               uwsgi_temp_path {p}/tmp/uwsgi;\n\
               scgi_temp_path {p}/tmp/scgi;\n\
               client_max_body_size 64m;\n\
               server {{\n\
                 listen 127.0.0.1:{listen} ssl;\n\
                 ssl_certificate {cert};\n\
                 ssl_certificate_key {key};\n\
                 location / {{\n\
                   proxy_pass http://{upstream};\n\
                   proxy_http_version 1.1;\n\
                   proxy_set_header Host $http_host;\n\
                   proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
                   proxy_set_header X-Forwarded-Proto $scheme;\n\
                 }}\n\
               }}\n\
             }}\n",
            cert = cert.display(),
            key = key.display(),
        );
        let conf_path = prefix.join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new(nginx_binary())
            .arg("-p")
            .arg(prefix)
            .arg("-c")
            .arg(conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nginx starts");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", listen)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "nginx did not listen: {}", Self::log(prefix));
            std::thread::sleep(Duration::from_millis(50));
        }
        Nginx { child, prefix: prefix.to_owned() }
    }

    fn log(prefix: &Path) -> String {
        std::fs::read_to_string(prefix.join("logs/error.log")).unwrap_or_default()
    }

    fn access_log(&self) -> String {
        std::fs::read_to_string(self.prefix.join("logs/access.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn behind_an_nginx_tls_proxy_tablets_sync_and_the_console_signs_in_over_https() {
    let company = TestCa::new("Walkthrough Test Company CA");
    let cert = company.server_cert("proxy");
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let public = format!("https://127.0.0.1:{port}");

    let store = Arc::new(SqliteStore::open(&dir.path().join("server.sqlite")).unwrap());
    walkthrough_server::seed::import_project(store.as_ref(), &walkthrough_fixtures::demo_project(), "demo").unwrap();
    let public_url = public.clone();
    let server = Server::start_with(dir.path(), "127.0.0.1:0", store, move |s| {
        s.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        s.public_url = Some(public_url);
    });
    let upstream = server.url.trim_start_matches("http://").to_owned();
    let nginx = Nginx::start(&dir.path().join("nginx"), port, &upstream, &cert.cert, &cert.key);

    // The tablet trusts the company's CA (as chosen on its sign-in screen)
    // and knows only the public address.
    let tablet = tempfile::tempdir().unwrap();
    let mut app = App::open(tablet.path()).unwrap();
    let pem = std::fs::read_to_string(company.file()).unwrap();
    app.set_company_ca("company-ca.pem".into(), pem).unwrap();
    let status = app.sign_in(public.clone(), "u-insp-li".into(), "demo".into()).unwrap();
    assert!(status.session.is_some() && status.sync.last_error.is_none(), "{status:?}");
    walkthrough_e2e::record_a_result(&mut app, PROJECT);
    let status = app.sync_now().unwrap();
    assert_eq!(status.sync.pending_changes, 0, "the result went up through the proxy: {status:?}");
    assert!(
        nginx.access_log().contains("POST /api/v1/sync/exchange"),
        "the exchange went through nginx:\n{}",
        nginx.access_log()
    );

    // The console over the same address: sign-in as a cookie session.
    walkthrough_client::tls::install_default_provider();
    let ca = reqwest::Certificate::from_pem(&std::fs::read(company.file()).unwrap()).unwrap();
    let browser = reqwest::blocking::Client::builder()
        .add_root_certificate(ca)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = browser
        .post(format!("{public}/api/v1/auth/login"))
        .header("X-Walkthrough-Session", "cookie")
        .json(&serde_json::json!({ "username": "u-cs-wang", "password": "demo" }))
        .send()
        .unwrap();
    assert_eq!(login.status(), 200);
    let headers = login.headers().clone();
    let cookie = headers.get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let hsts =
        |h: &reqwest::header::HeaderMap| h.get("strict-transport-security").map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(hsts(&headers).as_deref(), Some(walkthrough_server::net::HSTS), "HTTPS at the proxy: HSTS");
    for h in ["content-security-policy", "x-content-type-options", "referrer-policy"] {
        assert!(headers.contains_key(h), "{h} missing behind the proxy");
    }
    // What a browser sends back: the cookie, and the console's CSRF header
    // on everything that changes something.
    let session_cookie = cookie.split(';').next().unwrap().to_owned();
    let session =
        browser.get(format!("{public}/api/v1/auth/session")).header("Cookie", &session_cookie).send().unwrap();
    assert_eq!(session.status(), 200, "the cookie session works through the proxy");
    let page = browser.get(format!("{public}/ui/console/")).send().unwrap();
    assert_eq!(page.status(), 200);
    assert!(hsts(page.headers()).is_some());

    // A contractor's link made in the console opens through the proxy.
    let link = browser
        .post(format!("{public}/api/v1/projects/{PROJECT}/contractor-links"))
        .header("Cookie", &session_cookie)
        .header(walkthrough_server::auth::CSRF_HEADER, walkthrough_server::auth::CSRF_VALUE)
        .json(&serde_json::json!({ "contractor": "c-guan", "days": 7 }))
        .send()
        .unwrap();
    let status = link.status();
    let link: serde_json::Value = link.json().unwrap();
    assert_eq!(status, 200, "{link}");
    let page = browser.get(format!("{public}{}", link["path"].as_str().unwrap())).send().unwrap();
    assert_eq!(page.status(), 200, "the link's page opens through the proxy");
    let items = browser
        .get(format!("{public}/api/v1/contractor/items"))
        .header(walkthrough_server::links::LINK_HEADER, link["token"].as_str().unwrap())
        .send()
        .unwrap();
    assert_eq!(items.status(), 200, "the contractor's list through the proxy");

    // Straight at the server (bypassing the proxy), a forged header buys
    // nothing: the server trusts only its proxy's address, and a request
    // that did not come through TLS gets no HSTS.
    let direct = reqwest::blocking::Client::new()
        .get(format!("{}/api/v1/health", server.url))
        .header("X-Forwarded-Proto", "http")
        .send()
        .unwrap();
    assert!(hsts(direct.headers()).is_none());
    drop(nginx);
}
