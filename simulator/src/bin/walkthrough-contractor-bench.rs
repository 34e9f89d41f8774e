//! The contractor's page on the demo after three rounds: the server (in
//! process, SQLite, real HTTP on loopback) gets the demo project, the
//! simulator (`walkthrough-sim`, beside this binary) plays three rounds
//! against it, the CS center makes a link for the contractor with the
//! longest list, and the page's requests are timed over HTTP: the list,
//! each photo as the page's list shows it, the original as a tap opens it,
//! and the first screen as a phone loads it (the list, then its first
//! photos six at a time). Prints a Markdown table for BENCHMARKS.md.
//!
//!   cargo build --release -p walkthrough-sim --bins
//!   $CARGO_TARGET_DIR/release/walkthrough-contractor-bench [--requests 200]

use std::sync::Arc;
use std::time::{Duration, Instant};
use walkthrough_server::report_store::ReportStore as _;
use walkthrough_server::store::SqliteStore;

/// Contractor-page benchmarks on the demo after three simulated rounds.
#[derive(clap::Parser)]
#[command(name = "walkthrough-contractor-bench", version = env!("CARGO_PKG_VERSION"))]
struct Cli {
    /// Requests per measure (the list; the photos, cycling through the list's).
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// Photos on a phone's first screen.
    #[arg(long, default_value_t = 12)]
    first_screen: usize,
}

/// p50, p95 and the slowest of `times`, in milliseconds.
fn spread(times: &mut [Duration]) -> String {
    times.sort();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0;
    format!("p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms (n = {})", at(0.5), at(0.95), at(1.0), times.len())
}

fn row(what: &str, target: &str, value: String) {
    println!("| {what} | {target} | {value} |");
}

fn main() -> anyhow::Result<()> {
    let cli = <Cli as clap::Parser>::parse();
    let sim_bin = std::env::current_exe()?.with_file_name("walkthrough-sim");
    anyhow::ensure!(
        sim_bin.exists(),
        "{} is missing: build it first (cargo build --release -p walkthrough-sim --bins)",
        sim_bin.display()
    );
    let dir = tempfile::tempdir()?;
    let store = Arc::new(SqliteStore::open(&dir.path().join("server.sqlite"))?);
    let demo = walkthrough_fixtures::demo_project();
    walkthrough_server::seed::import_project(store.as_ref(), &demo, "demo")?;

    let rt = tokio::runtime::Runtime::new()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let url = format!("http://{}", listener.local_addr()?);
    let state = walkthrough_server::AppState::new(store.clone(), walkthrough_server::config::Settings::default());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        rt.block_on(walkthrough_server::serve(listener, state, async {
            let _ = rx.await;
        }))
    });
    walkthrough_client::tls::install_default_provider();
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(300)).build()?;
    for _ in 0..100 {
        if http.get(format!("{url}/api/v1/health")).send().is_ok_and(|r| r.status().is_success()) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }

    // Three rounds played by the simulator's tablets, as `scripts/run` does.
    let t = Instant::now();
    let sim = std::process::Command::new(&sim_bin).args(["--server", &url, "--lang", "en"]).output()?;
    anyhow::ensure!(sim.status.success(), "the simulator failed:\n{}", String::from_utf8_lossy(&sim.stderr));
    eprintln!("three rounds simulated in {:.0} s", t.elapsed().as_secs_f64());
    eprint!("{}", String::from_utf8_lossy(&sim.stdout));
    // The printing copies are made by the server's worker soon after photos arrive.
    while !store.blobs_without_thumb(1)?.is_empty() {
        std::thread::sleep(Duration::from_millis(200));
    }

    let login: serde_json::Value = http
        .post(format!("{url}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "u-cs-wang", "password": "demo"}))
        .send()?
        .error_for_status()?
        .json()?;
    let cs = login["token"].as_str().unwrap_or_default().to_owned();
    let p = demo.id.as_str();
    // The contractor with the longest cumulative list.
    let mut longest = (0, String::new());
    for c in demo.contractors.keys() {
        let list: serde_json::Value = http
            .get(format!("{url}/api/v1/projects/{p}/rectification?contractor={c}"))
            .bearer_auth(&cs)
            .send()?
            .error_for_status()?
            .json()?;
        let n = list["items"].as_array().map_or(0, Vec::len);
        if n > longest.0 {
            longest = (n, c.to_string());
        }
    }
    let (items, contractor) = longest;
    let link: serde_json::Value = http
        .post(format!("{url}/api/v1/projects/{p}/contractor-links"))
        .bearer_auth(&cs)
        .json(&serde_json::json!({"contractor": contractor}))
        .send()?
        .error_for_status()?
        .json()?;
    let path = link["path"].as_str().unwrap_or_default();
    let secret = path.rsplit_once("#k=").map(|(_, s)| s.to_owned()).unwrap_or_default();
    let get = |path: &str| -> anyhow::Result<(Duration, usize)> {
        let t = Instant::now();
        let body = http
            .get(format!("{url}/api/v1/contractor{path}"))
            .header("x-walkthrough-link", &secret)
            .send()?
            .error_for_status()?
            .bytes()?;
        Ok((t.elapsed(), body.len()))
    };

    let body = http
        .get(format!("{url}/api/v1/contractor/items"))
        .header("x-walkthrough-link", &secret)
        .send()?
        .error_for_status()?
        .bytes()?;
    let first = body.len();
    let page: serde_json::Value = serde_json::from_slice(&body)?;
    let mut hashes: Vec<String> = Vec::new();
    for i in page["items"].as_array().into_iter().flatten() {
        for ph in i["photos"].as_array().into_iter().flatten() {
            if let Some(h) = ph["hash"].as_str() {
                if !hashes.iter().any(|x| x == h) {
                    hashes.push(h.to_owned());
                }
            }
        }
    }
    anyhow::ensure!(!hashes.is_empty(), "the contractor's list shows no photos");
    let photo_refs: usize =
        page["items"].as_array().into_iter().flatten().map(|i| i["photos"].as_array().map_or(0, Vec::len)).sum();

    println!(
        "| measure (demo after 3 rounds; {contractor}: {items} items, {photo_refs} photos, {} distinct) | target | result |",
        hashes.len()
    );
    println!("| --- | --- | --- |");
    let mut times = Vec::with_capacity(cli.requests);
    for _ in 0..cli.requests {
        times.push(get("/items")?.0);
    }
    row(
        &format!("the list (`GET /contractor/items`, {:.0} KB)", first as f64 / 1024.0),
        "< 300 ms",
        spread(&mut times),
    );

    let measure_photos = |query: &str| -> anyhow::Result<(Vec<Duration>, f64)> {
        let (mut times, mut bytes) = (Vec::with_capacity(cli.requests), 0usize);
        for h in hashes.iter().cycle().take(cli.requests.max(hashes.len())) {
            let (t, n) = get(&format!("/photos/{h}{query}"))?;
            times.push(t);
            bytes += n;
        }
        let avg_kb = bytes as f64 / times.len() as f64 / 1024.0;
        Ok((times, avg_kb))
    };
    let (mut small, small_kb) = measure_photos("?size=small")?;
    row(
        &format!("a photo as the list shows it (`?size=small`, {small_kb:.0} KB on average)"),
        "< 50 ms",
        spread(&mut small),
    );
    let (mut original, original_kb) = measure_photos("")?;
    row(&format!("the original, as a tap opens it ({original_kb:.0} KB on average)"), "—", spread(&mut original));

    // A phone opening the page: the list, then the first screen's photos,
    // six requests at a time as a browser does.
    let mut screens = Vec::new();
    let get = &get;
    for _ in 0..20 {
        let t = Instant::now();
        get("/items")?;
        let first: Vec<&String> = hashes.iter().take(cli.first_screen).collect();
        for chunk in first.chunks(6) {
            std::thread::scope(|s| {
                let handles: Vec<_> = chunk
                    .iter()
                    .map(|h| s.spawn(move || get(&format!("/photos/{h}?size=small")).map(|_| ())))
                    .collect();
                handles.into_iter().try_for_each(|h| h.join().expect("photo thread"))
            })?;
        }
        screens.push(t.elapsed());
    }
    row(
        &format!("first screen: the list, then its first {} photos six at a time", cli.first_screen.min(hashes.len())),
        "—",
        spread(&mut screens),
    );

    let _ = tx.send(());
    let _ = server.join();
    Ok(())
}
