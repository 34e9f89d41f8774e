//! What operators watch, against the server binary in a child process: an
//! access log line per request on stderr (text or JSON, no colour codes when
//! stderr is not a terminal, never a token), `/metrics` in the Prometheus
//! text format (only for this machine, trusted proxies or the metrics
//! token), and `/api/v1/health` answering 503 when the database is gone.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SERVER: &str = env!("CARGO_BIN_EXE_walkthrough-server");

fn client() -> reqwest::blocking::Client {
    walkthrough_client::tls::install_default_provider();
    reqwest::blocking::Client::new()
}

/// The demo server, its stderr gathered line by line.
struct Logged {
    child: Child,
    url: String,
    base: String,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Logged {
    fn start(db: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let seeded = Command::new(SERVER)
            .arg("seed-demo")
            .env("WALKTHROUGH_DATABASE", db)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        assert!(seeded.unwrap().success());
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut cmd = Command::new(SERVER);
        cmd.arg("serve")
            .args(args)
            .env("WALKTHROUGH_DATABASE", db)
            .env("WALKTHROUGH_LISTEN", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "info")
            .env_remove("WALKTHROUGH_LOG_FORMAT")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let gathered = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                gathered.lock().unwrap().push(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the server did not start: {:?}", lines.lock().unwrap());
            std::thread::sleep(Duration::from_millis(50));
        }
        let base = format!("http://127.0.0.1:{port}");
        Logged { child, url: format!("{base}/api/v1"), base, lines }
    }

    /// Waits (a little) for a log line that `pred` accepts.
    fn line(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(l) = self.lines.lock().unwrap().iter().find(|l| pred(l)) {
                return l.clone();
            }
            assert!(Instant::now() < deadline, "no log line {what} in {:#?}", self.lines.lock().unwrap());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn all(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }
}

#[test]
fn every_request_gets_one_access_log_line_with_its_route_status_and_user_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let server = Logged::start(&dir.path().join("s.sqlite"), &[], &[]);
    let http = client();
    let token = common::login(&http, &server.url, "u-cs-wang");
    let res = http.get(format!("{}/projects/hj-lanting/risks", server.url)).bearer_auth(&token).send().unwrap();
    assert_eq!(res.status(), 200);
    let res = http.get(format!("{}/projects/hj-lanting/risks?secret=s3cr3t-query", server.url)).send().unwrap();
    assert_eq!(res.status(), 401);

    let line = server.line("for the signed-in request", |l| {
        l.contains("route=/api/v1/projects/{project}/risks") && l.contains("user=u-cs-wang")
    });
    for part in [" INFO ", "method=GET", "status=200", "ms="] {
        assert!(line.contains(part), "{part} missing from {line}");
    }
    let refused = server.line("for the refused request", |l| l.contains("status=401"));
    assert!(refused.contains("route=/api/v1/projects/{project}/risks") && refused.contains("user=-"), "{refused}");
    let login = server.line("for the sign-in", |l| l.contains("method=POST route=/api/v1/auth/login status=200"));
    assert!(login.contains("user=u-cs-wang"), "{login}");

    let log = server.all();
    assert!(!log.contains(&token), "a token was logged:\n{log}");
    assert!(!log.contains("s3cr3t-query") && !log.contains("hj-lanting/risks"), "a path or query was logged:\n{log}");
    assert!(!log.contains('\u{1b}'), "colour codes on a stderr that is not a terminal:\n{log}");
}

#[test]
fn logs_are_json_objects_when_asked() {
    for (args, env) in [(vec!["--log-format", "json"], vec![]), (vec![], vec![("WALKTHROUGH_LOG_FORMAT", "json")])] {
        let dir = tempfile::tempdir().unwrap();
        let server = Logged::start(&dir.path().join("s.sqlite"), &args, &env);
        let http = client();
        let token = common::login(&http, &server.url, "u-cs-wang");
        let res = http.get(format!("{}/auth/session", server.url)).bearer_auth(&token).send().unwrap();
        assert_eq!(res.status(), 200);
        server.line("as JSON", |l| l.contains("/api/v1/auth/session"));
        let mut found = false;
        for line in server.lines.lock().unwrap().iter() {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            assert!(v["level"].is_string() && v["timestamp"].is_string(), "{v}");
            if v["route"] == "/api/v1/auth/session" {
                assert_eq!(v["level"], "INFO");
                assert_eq!(v["method"], "GET");
                assert_eq!(v["status"], 200);
                assert_eq!(v["user"], "u-cs-wang");
                assert!(v["ms"].as_f64().is_some(), "{v}");
                found = true;
            }
        }
        assert!(found);
        assert!(!server.all().contains(&token));
    }
    // A format the server does not have is refused before it starts.
    let out = Command::new(SERVER).args(["serve", "--log-format", "xml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("possible values: text, json"));
}

/// One sample: its name, its labels and its value.
type Sample = (String, Vec<(String, String)>, f64);

/// The samples of a Prometheus text exposition, each line checked.
fn parse_metrics(text: &str) -> Vec<Sample> {
    let mut samples = Vec::new();
    for line in text.lines() {
        if line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
            let kind = line.split_whitespace().nth(3);
            if line.starts_with("# TYPE ") {
                assert!(
                    matches!(kind, Some("counter" | "gauge" | "histogram" | "summary" | "untyped")),
                    "bad TYPE line: {line}"
                );
            }
            continue;
        }
        assert!(!line.trim().is_empty(), "empty line in:\n{text}");
        let (head, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("not a number: {line}")),
        };
        let (name, labels) = match head.split_once('{') {
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("unclosed labels: {line}"));
                let mut labels = Vec::new();
                let mut rest = body;
                while !rest.is_empty() {
                    let (key, after) = rest.split_once("=\"").unwrap_or_else(|| panic!("bad label: {line}"));
                    assert!(
                        key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !key.is_empty(),
                        "bad label name {key:?}: {line}"
                    );
                    let mut value = String::new();
                    let mut chars = after.char_indices();
                    let end = loop {
                        match chars.next() {
                            Some((_, '\\')) => value.push(chars.next().unwrap().1),
                            Some((i, '"')) => break i,
                            Some((_, c)) => value.push(c),
                            None => panic!("unterminated label value: {line}"),
                        }
                    };
                    labels.push((key.to_owned(), value));
                    rest = after[end + 1..].strip_prefix(',').unwrap_or(&after[end + 1..]);
                }
                (name, labels)
            }
            None => (head, Vec::new()),
        };
        assert!(
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                && !name.starts_with(|c: char| c.is_ascii_digit()),
            "bad metric name: {line}"
        );
        samples.push((name.to_owned(), labels, value));
    }
    samples
}

fn sample(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|(n, l, _)| n == name && labels.iter().all(|(k, v)| l.iter().any(|(lk, lv)| lk == k && lv == v)))
        .map(|s| s.2)
        .sum()
}

#[test]
fn metrics_are_prometheus_text_that_counts_requests_and_only_for_allowed_clients() {
    let dir = tempfile::tempdir().unwrap();
    let server = Logged::start(
        &dir.path().join("s.sqlite"),
        &[],
        // The test is the proxy (127.0.0.1); clients it names are judged by their own address.
        &[("WALKTHROUGH_TRUSTED_PROXIES", "127.0.0.1"), ("WALKTHROUGH_METRICS_TOKEN", "scrape-token-1")],
    );
    let http = client();
    let scrape = || {
        let res = http.get(format!("{}/metrics", server.base)).send().unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
        parse_metrics(&res.text().unwrap())
    };
    let before = scrape();
    let health = [("route", "/api/v1/health"), ("status", "200"), ("method", "GET")];
    let exchange = "walkthrough_sync_exchange_duration_seconds_count";
    for _ in 0..3 {
        assert_eq!(http.get(format!("{}/health", server.url)).send().unwrap().status(), 200);
    }
    let token = common::login(&http, &server.url, "u-insp-li");
    let res = http.post(format!("{}/sync/exchange", server.url)).bearer_auth(&token).body("{}").send().unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    // A report issued (a background job) on the seeded demo, followed to its end.
    let cs = common::login(&http, &server.url, "u-cs-wang");
    let res = http
        .post(format!("{}/projects/hj-lanting/reports/cumulative/issue", server.url))
        .bearer_auth(&cs)
        .json(&serde_json::json!({"photos": false}))
        .send()
        .unwrap();
    assert_eq!(res.status(), 202);
    let job = res.json::<serde_json::Value>().unwrap()["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let v: serde_json::Value =
            http.get(format!("{}/jobs/{job}", server.url)).bearer_auth(&cs).send().unwrap().json().unwrap();
        if v["state"] == "done" || v["state"] == "failed" {
            break;
        }
        assert!(Instant::now() < deadline, "the report job did not finish: {v}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let after = scrape();
    assert_eq!(sample(&after, "walkthrough_job_duration_seconds_count", &[]), 1.0);
    assert!(sample(&after, "walkthrough_job_duration_seconds_sum", &[]) > 0.0);
    assert!(after.iter().any(|(n, l, _)| n == "walkthrough_job_duration_seconds_count" && !l.is_empty()));
    assert_eq!(
        sample(&after, "walkthrough_http_requests_total", &health),
        sample(&before, "walkthrough_http_requests_total", &health) + 3.0
    );
    assert_eq!(sample(&after, exchange, &[]), sample(&before, exchange, &[]) + 1.0);
    assert_eq!(sample(&after, "walkthrough_sync_exchange_duration_seconds_bucket", &[("le", "+Inf")]), 1.0);
    assert_eq!(sample(&after, "walkthrough_build_info", &[("version", env!("CARGO_PKG_VERSION"))]), 1.0);
    for status in ["pending", "sending", "failing", "sent", "dead"] {
        assert!(
            after
                .iter()
                .any(|(n, l, _)| n == "walkthrough_outbox_messages" && l[0] == ("status".into(), status.into())),
            "no outbox backlog for {status}"
        );
    }
    // Label values are route patterns, never paths.
    assert!(after.iter().all(|(_, l, _)| l.iter().all(|(_, v)| !v.contains("hj-lanting"))));

    // A client elsewhere (named by the trusted proxy) is refused, in words; with the token it may.
    let elsewhere = || http.get(format!("{}/metrics", server.base)).header("x-forwarded-for", "203.0.113.9");
    let res = elsewhere().send().unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().unwrap().contains("metrics token"));
    assert_eq!(elsewhere().bearer_auth("wrong").send().unwrap().status(), 403);
    let res = elsewhere().bearer_auth("scrape-token-1").send().unwrap();
    assert_eq!(res.status(), 200);
    parse_metrics(&res.text().unwrap());
}

#[test]
fn health_checks_the_database_and_answers_503_in_words_when_it_cannot_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.sqlite");
    let server = Logged::start(&db, &[], &[]);
    let http = client();
    let health = || {
        let res = http.get(format!("{}/health", server.url)).send().unwrap();
        (res.status().as_u16(), res.json::<serde_json::Value>().unwrap())
    };
    let (status, body) = health();
    assert_eq!((status, body["database"].as_str()), (200, Some("ok")), "{body}");

    // The database file goes away (a volume unmounted, a file removed).
    let moved = dir.path().join("moved.sqlite");
    std::fs::rename(&db, &moved).unwrap();
    let (status, body) = health();
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "unavailable");
    assert!(body["error"].as_str().unwrap().contains("the database cannot be read"), "{body}");
    assert!(!body.to_string().contains(dir.path().to_str().unwrap()), "the answer names the file: {body}");
    server.line("saying why", |l| l.contains("ERROR") && l.contains("health: the database cannot be read"));

    // Put back, it is healthy again.
    std::fs::rename(&moved, &db).unwrap();
    assert_eq!(health().0, 200);
}
