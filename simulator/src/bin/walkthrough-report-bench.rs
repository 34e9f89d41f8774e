//! Report benchmarks on a generated project with about 100,000 defects over
//! three rounds (and photos on every defect, 1,000 distinct ones): the
//! report as the dashboard reads it, the workbook, the PDF without photos,
//! and an issued PDF with 1,000 photo thumbnails made as a background job
//! while a tablet keeps syncing. Each through the real server over HTTP on
//! 127.0.0.1, with the peak memory of the process while it ran. Prints a
//! Markdown table for BENCHMARKS.md.
//!
//!   cargo run --release -p walkthrough-sim --bin walkthrough-report-bench [UNITS]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use walkthrough_core::*;
use walkthrough_fixtures::simulate::{Behaviour, Simulation};
use walkthrough_server::report_store::ReportStore as _;
use walkthrough_server::store::{SqliteStore, Store as _};

fn row(what: &str, target: &str, value: String) {
    println!("| {what} | {target} | {value} |");
}

/// Forget the process's peak resident memory so far (Linux: clear_refs 5).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The peak resident memory since the last reset, in MB.
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn measured(t: Duration) -> String {
    format!("{:.2} s, peak {:.0} MB", t.as_secs_f64(), peak_mb())
}

/// `n` distinct photo-like JPEGs (1000×750), from one pattern with a marked square moved.
fn photos(n: usize) -> anyhow::Result<Vec<(PhotoHash, Vec<u8>)>> {
    let base = image::RgbImage::from_fn(1000, 750, |x, y| {
        let v = (x.wrapping_mul(2654435761) ^ y.wrapping_mul(40503)) % 37;
        image::Rgb([(x / 9 % 200 + v) as u8, (y / 7 % 200 + v) as u8, ((x + y) / 20 % 200) as u8])
    });
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut img = base.clone();
        for x in 0..64 {
            for y in 0..64 {
                img.put_pixel(
                    x + (i as u32 % 10) * 90,
                    y + (i as u32 / 10 % 8) * 85,
                    image::Rgb([(i % 251) as u8, 0, 0]),
                );
            }
        }
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80).encode_image(&img)?;
        out.push((walkthrough_client::photos::hash_bytes(&jpeg), jpeg));
    }
    Ok(out)
}

/// Make the project, its photos and ~20 defects per unit over three rounds
/// (each with a photo) in `dir`'s server database. Run in a process of its
/// own, so the measuring process's memory is the server's alone.
fn prepare(dir: &std::path::Path, units: usize) -> anyhow::Result<()> {
    let base = walkthrough_fixtures::demo_project();
    let project = walkthrough_fixtures::generate::synthetic_project(&base, units);
    let store = SqliteStore::open(&dir.join("server.sqlite"))?;
    walkthrough_server::seed::import_project(&store, &project, "demo")?;
    let t = Instant::now();
    let shots = photos(1000)?;
    for (hash, bytes) in &shots {
        store.put_blob(hash, "image/jpeg", bytes)?;
    }
    eprintln!("1,000 photos made in {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let f = Behaviour::default().later_round_factor;
    let behaviour = Behaviour {
        defects_per_unit_round1: 20.0 / (1.0 + f + f * f),
        photos: shots.iter().map(|(h, _)| h.clone()).collect(),
        ..Behaviour::default()
    };
    drop(shots);
    let mut sim = Simulation::new(&project, 11, behaviour);
    for r in 1..=3 {
        sim.play_round(RoundNo(r))?;
    }
    walkthrough_server::seed::store_units(&store, &project, sim.units.iter_mut())?;
    std::fs::write(dir.join("defects"), sim.counters().defects.to_string())?;
    eprintln!("{} defects simulated and stored in {:.1} s", sim.counters().defects, t.elapsed().as_secs_f64());
    Ok(())
}

/// Report benchmarks on a synthetic project (a Markdown table on stdout).
#[derive(clap::Parser)]
#[command(name = "walkthrough-report-bench", version = env!("CARGO_PKG_VERSION"))]
struct Cli {
    /// Units of the synthetic project.
    #[arg(default_value_t = 5000)]
    units: usize,
    /// (Internal) simulate the project into DIR.
    #[arg(long, hide = true, value_name = "DIR")]
    prepare: Option<std::path::PathBuf>,
    /// (Internal) take the measure --step on the project in DIR.
    #[arg(long, hide = true, value_name = "DIR")]
    measure: Option<std::path::PathBuf>,
    #[arg(long, hide = true, default_value = "")]
    step: String,
}

fn main() -> anyhow::Result<()> {
    let cli = <Cli as clap::Parser>::parse();
    let units = cli.units;
    if let Some(dir) = &cli.prepare {
        return prepare(dir, units);
    }
    if let Some(dir) = &cli.measure {
        return measure(dir, units, &cli.step);
    }
    let dir = tempfile::tempdir()?;
    let me = std::env::current_exe()?;
    let ok = std::process::Command::new(&me).arg("--prepare").arg(dir.path()).arg(units.to_string()).status()?;
    anyhow::ensure!(ok.success(), "preparing the project failed");
    let defects: u64 = std::fs::read_to_string(dir.path().join("defects"))?.trim().parse()?;
    println!("| measure ({units} units, {defects} defects, 3 rounds) | target | result |");
    println!("| --- | --- | --- |");
    // Each measure in a freshly started server process: its peak memory is
    // that request's, not what the allocator kept from the one before.
    for step in ["thumbs", "json-3", "json-cumulative", "xlsx", "pdf", "issue"] {
        let ok = std::process::Command::new(&me)
            .arg("--measure")
            .arg(dir.path())
            .arg(units.to_string())
            .args(["--step", step])
            .status()?;
        anyhow::ensure!(ok.success(), "measuring {step} failed");
    }
    Ok(())
}

/// Start the server on `dir`'s database and take one measure.
fn measure(dir: &std::path::Path, units: usize, step: &str) -> anyhow::Result<()> {
    let project_id = ProjectId::new(format!("synthetic-{units}"));
    let store = Arc::new(SqliteStore::open(&dir.join("server.sqlite"))?);
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
    // reqwest has no crypto provider of its own here (see walkthrough_client::tls).
    walkthrough_client::tls::install_default_provider();
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(600)).build()?;
    let login = |user: &str| -> anyhow::Result<String> {
        let v: serde_json::Value = http
            .post(format!("{url}/api/v1/auth/login"))
            .json(&serde_json::json!({"username": user, "password": "demo"}))
            .send()?
            .error_for_status()?
            .json()?;
        Ok(v["token"].as_str().unwrap_or_default().to_owned())
    };
    let cs = login("u-cs-wang")?;
    let p = project_id.as_str().to_owned();
    let get = |path: &str| -> anyhow::Result<(Duration, usize)> {
        reset_peak();
        let t = Instant::now();
        let body = http.get(format!("{url}/api/v1{path}")).bearer_auth(&cs).send()?.error_for_status()?.bytes()?;
        Ok((t.elapsed(), body.len()))
    };
    match step {
        "thumbs" => {
            // The worker makes the printing copies as photos arrive.
            let t = Instant::now();
            while !store.blobs_without_thumb(1)?.is_empty() {
                std::thread::sleep(Duration::from_millis(200));
            }
            let what = "printing copies of 1,000 photos (server worker, once per photo)";
            row(what, "—", format!("{:.1} s", t.elapsed().as_secs_f64()));
        }
        "json-3" | "json-cumulative" => {
            let round = step.trim_start_matches("json-");
            let (t, n) = get(&format!("/projects/{p}/reports/{round}"))?;
            row(&format!("report {round} for the web page (JSON, {} KB)", n / 1024), "< 5 s, < 500 MB", measured(t));
        }
        "xlsx" => {
            let (t, n) = get(&format!("/projects/{p}/reports/3?format=xlsx"))?;
            row(&format!("round 3 workbook (XLSX, {} KB)", n / 1024), "< 5 s, < 500 MB", measured(t));
        }
        "pdf" => {
            let (t, n) = get(&format!("/projects/{p}/reports/3?format=pdf&photos=0"))?;
            row(
                &format!("round 3 PDF without photos, appendices included ({:.1} MB)", n as f64 / 1048576.0),
                "< 10 s, < 500 MB",
                measured(t),
            );
        }
        "issue" => issue(&http, &url, &p, &cs, &login("u-insp-li")?)?,
        other => anyhow::bail!("no measure {other:?}"),
    }
    let _ = tx.send(());
    let _ = server.join();
    Ok(())
}

/// Issue round 3 with 1,000 photos as a background job while a tablet
/// keeps asking the server what changed (the sync manifest).
fn issue(http: &reqwest::blocking::Client, url: &str, p: &str, cs: &str, inspector: &str) -> anyhow::Result<()> {
    let caught_up: serde_json::Value = http
        .post(format!("{url}/api/v1/sync/manifest"))
        .bearer_auth(inspector)
        .json(&serde_json::json!({"project": p, "cursor": 0}))
        .send()?
        .error_for_status()?
        .json()?;
    let cursor = caught_up["cursor"].as_u64().unwrap_or(0);
    let syncing = Arc::new(AtomicBool::new(true));
    let probe = {
        let (http, url, p, token, syncing) =
            (http.clone(), url.to_owned(), p.to_owned(), inspector.to_owned(), syncing.clone());
        std::thread::spawn(move || {
            let mut worst = Duration::ZERO;
            let mut n = 0;
            while syncing.load(Ordering::Relaxed) {
                let t = Instant::now();
                let ok = http
                    .post(format!("{url}/api/v1/sync/manifest"))
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"project": p, "cursor": cursor}))
                    .send()
                    .is_ok_and(|r| r.status().is_success());
                if ok {
                    worst = worst.max(t.elapsed());
                    n += 1;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            (worst, n)
        })
    };
    reset_peak();
    let t = Instant::now();
    let job: serde_json::Value = http
        .post(format!("{url}/api/v1/projects/{p}/reports/3/issue"))
        .bearer_auth(cs)
        .json(&serde_json::json!({"photos": true, "max_photos": 1000}))
        .send()?
        .error_for_status()?
        .json()?;
    let id = job["id"].as_str().unwrap_or_default().to_owned();
    let mut last_stage = String::new();
    let result = loop {
        std::thread::sleep(Duration::from_millis(100));
        let j: serde_json::Value =
            http.get(format!("{url}/api/v1/jobs/{id}")).bearer_auth(cs).send()?.error_for_status()?.json()?;
        let stage = j["stage"].as_str().unwrap_or_default().to_owned();
        if stage != last_stage {
            eprintln!("  {:>6.2} s  {stage} {}/{}", t.elapsed().as_secs_f64(), j["done"], j["total"]);
            last_stage = stage;
        }
        match j["state"].as_str() {
            Some("done") => break j["result"].clone(),
            Some("failed") => anyhow::bail!("the job failed: {}", j["error"]),
            _ => {}
        }
    };
    let issued = t.elapsed();
    syncing.store(false, Ordering::Relaxed);
    let (worst, probes) = probe.join().map_err(|_| anyhow::anyhow!("probe thread"))?;
    row(
        &format!(
            "issue round 3: JSON + XLSX + PDF with 1,000 photo thumbnails ({:.1} MB PDF), background job",
            result["sizes"]["pdf"].as_f64().unwrap_or(0.0) / 1048576.0
        ),
        "< 30 s, < 500 MB",
        measured(issued),
    );
    row(
        &format!("sync manifest answered during that job (worst of {probes})"),
        "keeps answering",
        format!("{:.0} ms", worst.as_secs_f64() * 1000.0),
    );

    Ok(())
}
