//! Sync and photo benchmarks. Prints a Markdown table for BENCHMARKS.md.
//!
//!   cargo run --release -p walkthrough-sim --bin walkthrough-sync-bench

use std::sync::Arc;
use std::time::{Duration, Instant};
use walkthrough_client::photos::PhotoDir;
use walkthrough_client::sync::{SyncClient, SyncReport};
use walkthrough_client::Store;
use walkthrough_core::rules::Outcome;
use walkthrough_core::*;
use walkthrough_fixtures::simulate::{Behaviour, Simulation};
use walkthrough_server::store::SqliteStore;

fn row(what: &str, target: &str, value: String) {
    println!("| {what} | {target} | {value} |");
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn kb(n: usize) -> String {
    format!("{:.1} KB", n as f64 / 1024.0)
}

use base64::Engine as _;
use walkthrough_client::app::App;

/// Sync and photo benchmarks on a 1,000-unit project (a Markdown table on stdout).
#[derive(clap::Parser)]
#[command(name = "walkthrough-sync-bench", version = env!("CARGO_PKG_VERSION"))]
struct Cli {}

fn main() -> anyhow::Result<()> {
    let _ = <Cli as clap::Parser>::parse();
    let dir = tempfile::tempdir()?;
    // A 1,000-unit project with about 20k defects over three rounds, written
    // straight into the server's database.
    let base = walkthrough_fixtures::demo_project();
    let project = walkthrough_fixtures::generate::synthetic_project(&base, 1000);
    let store = Arc::new(SqliteStore::open(&dir.path().join("server.sqlite"))?);
    walkthrough_server::seed::import_project(store.as_ref(), &project, "demo")?;
    let f = Behaviour::default().later_round_factor;
    let mut sim = Simulation::new(
        &project,
        5,
        Behaviour { defects_per_unit_round1: 20.0 / (1.0 + f + f * f), ..Behaviour::default() },
    );
    for r in 1..=3 {
        sim.play_round(RoundNo(r))?;
    }
    let defects = sim.counters().defects;
    walkthrough_server::seed::store_units(store.as_ref(), &project, sim.units.iter_mut())?;

    // The server, in process, on loopback.
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

    println!("| measure ({} units, {defects} defects) | target | result |", project.units.len());
    println!("| --- | --- | --- |");
    let mut tablet = Store::open(&dir.path().join("tablet.sqlite"))?;
    let mut client = SyncClient::new(&url);
    client.login("u-insp-li", "demo")?;
    let t = Instant::now();
    let fresh: SyncReport = client.sync(&mut tablet, &project.id, &mut |_| {})?;
    let fresh_time = t.elapsed();
    let t = Instant::now();
    let statuses = tablet.unit_statuses(&project.id, RoundNo(1))?;
    let grid = t.elapsed();
    row(
        &format!(
            "fresh tablet: download everything ({} round trips, {} down)",
            fresh.round_trips,
            kb(fresh.bytes_down)
        ),
        "usable < 10 s",
        secs(fresh_time + grid),
    );
    let t = Instant::now();
    let nochange = client.sync(&mut tablet, &project.id, &mut |_| {})?;
    row(
        &format!(
            "no-change sync check ({} request, {} up, {} down)",
            nochange.round_trips,
            kb(nochange.bytes_up),
            kb(nochange.bytes_down)
        ),
        "one request < 50 KB",
        secs(t.elapsed()),
    );
    // 1,000 offline edits, one on each unit.
    let units: Vec<UnitId> = statuses.keys().cloned().collect();
    for (i, unit) in units.iter().enumerate() {
        let line = project.checklist(unit)[i % 50].key();
        let at = time::parse("2026-10-20T09:00:00Z") + chrono::Duration::seconds(i as i64);
        tablet.edit_unit(&project.id, unit, |d| {
            d.record_result(RoundNo(3), &line, Outcome::Pass, &"u-insp-li".into(), at, None)
        })?;
    }
    let t = Instant::now();
    let edits = client.sync(&mut tablet, &project.id, &mut |_| {})?;
    row(
        &format!("1,000 offline edits across units ({} round trips, {} up)", edits.round_trips, kb(edits.bytes_up)),
        "≤ 3 round trips, < 500 KB, < 3 s",
        secs(t.elapsed()),
    );

    // A 12-megapixel camera JPEG through the photo pipeline.
    let img = image::RgbImage::from_fn(4000, 3000, |x, y| {
        let n = (x.wrapping_mul(2654435761) ^ y.wrapping_mul(40503)) % 37;
        image::Rgb([(x / 16 % 200 + n) as u8, (y / 12 % 200 + n) as u8, ((x + y) / 30 % 200) as u8])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90).encode_image(&img)?;
    let mut times = Vec::new();
    for i in 0..5 {
        let photos = PhotoDir::new(dir.path().join(format!("photos{i}")))?;
        let t = Instant::now();
        photos.ingest(&jpeg)?;
        times.push(t.elapsed());
    }
    times.sort();
    row(
        &format!("12 MP JPEG ({}): original + thumbnail + preview + hash", kb(jpeg.len())),
        "< 300 ms",
        format!("{:.0} ms", times[2].as_secs_f64() * 1000.0),
    );

    // The tablet app (the Rust side of each screen) on the same project.
    let app_dir = dir.path().join("app");
    {
        let mut app = App::open(&app_dir).map_err(|e| anyhow::anyhow!(e.message))?;
        app.sign_in(url.clone(), "u-insp-li".into(), "demo".into()).map_err(|e| anyhow::anyhow!(e.message))?;
    }
    let mut cold = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let mut app = App::open(&app_dir).map_err(|e| anyhow::anyhow!(e.message))?;
        let status = app.status().map_err(|e| anyhow::anyhow!(e.message))?;
        let round = status.session.as_ref().and_then(|s| s.projects.first()).and_then(|p| p.current_round).unwrap_or(3);
        let grid = app.unit_grid(project.id.to_string(), round).map_err(|e| anyhow::anyhow!(e.message))?;
        assert_eq!(grid.buildings.iter().flat_map(|b| &b.floors).map(|f| f.units.len()).sum::<usize>(), 1000);
        cold.push(t.elapsed());
    }
    cold.sort();
    row(
        "app: open the tablet's data to the unit grid (1,000 units; store, project, statuses, counts)",
        "< 1.5 s",
        format!("{:.0} ms", cold[2].as_secs_f64() * 1000.0),
    );
    let mut app = App::open(&app_dir).map_err(|e| anyhow::anyhow!(e.message))?;
    let mut opens = Vec::new();
    for unit in units.iter().take(50) {
        let t = Instant::now();
        let view =
            app.open_unit(project.id.to_string(), unit.to_string(), 3).map_err(|e| anyhow::anyhow!(e.message))?;
        opens.push((t.elapsed(), view.defects.len()));
    }
    opens.sort();
    let most = opens.iter().map(|o| o.1).max().unwrap_or(0);
    row(
        &format!(
            "app: open a unit (checklist, results, up to {most} defects with history, recheck queue), median of 50"
        ),
        "< 100 ms",
        format!("{:.1} ms (slowest {:.1} ms)", opens[25].0.as_secs_f64() * 1000.0, opens[49].0.as_secs_f64() * 1000.0),
    );
    let b64 = format!("data:image/jpeg;base64,{}", base64::engine::general_purpose::STANDARD.encode(&jpeg));
    let mut shots = Vec::new();
    for i in 0..5 {
        let mut app = App::open(&dir.path().join(format!("shot{i}"))).map_err(|e| anyhow::anyhow!(e.message))?;
        let t = Instant::now();
        let hash = app.take_photo(b64.clone()).map_err(|e| anyhow::anyhow!(e.message))?;
        let thumb = app.photo(hash, "thumb".into()).map_err(|e| anyhow::anyhow!(e.message))?;
        assert!(thumb.url.is_some());
        shots.push(t.elapsed());
    }
    shots.sort();
    row(
        "app: 12 MP photo taken to its thumbnail (base64 in, stored, thumbnail out as a data URL)",
        "< 0.5 s",
        format!("{:.0} ms", shots[2].as_secs_f64() * 1000.0),
    );

    taps_while_downloading(&dir.path().join("fresh-app"), &url, &project, &units)?;

    let _ = tx.send(());
    let _ = server.join();
    Ok(())
}

/// Tap-to-answer on the real app's command path (`SharedApp::call`, what
/// the window's one command runs) while a fresh tablet signs in and
/// downloads the whole project in the background: status, unit grid, open
/// a unit, record a result, round after round, each timed.
fn taps_while_downloading(
    dir: &std::path::Path,
    url: &str,
    project: &model::Project,
    units: &[UnitId],
) -> anyhow::Result<()> {
    use walkthrough_client::app::SharedApp;
    let app = SharedApp::new(App::open(dir).map_err(|e| anyhow::anyhow!(e.message))?);
    let signing_in = {
        let (app, url) = (app.clone(), url.to_owned());
        std::thread::spawn(move || {
            app.call("sign_in", serde_json::json!({ "server": url, "username": "u-insp-li", "password": "demo" }))
        })
    };
    let pid = project.id.to_string();
    let mut waits: Vec<Duration> = Vec::new();
    let mut i = 0usize;
    let started = Instant::now();
    while !signing_in.is_finished() {
        let unit = &units[i % units.len()];
        let line = project.checklist(unit)[i % 50].key();
        i += 1;
        let t = Instant::now();
        let status = app.call("status", serde_json::json!({})).map_err(|e| anyhow::anyhow!(e.message))?;
        waits.push(t.elapsed());
        let arrived = status["session"]["projects"].as_array().is_some_and(|p| !p.is_empty());
        if arrived {
            for (name, args) in [
                ("unit_grid", serde_json::json!({ "project": pid, "round": 3 })),
                ("open_unit", serde_json::json!({ "project": pid, "unit": unit, "round": 3 })),
                (
                    "set_result",
                    serde_json::json!({ "project": pid, "unit": unit, "round": 3, "room": line.room, "item": line.item, "outcome": "pass" }),
                ),
            ] {
                let t = Instant::now();
                app.call(name, args).map_err(|e| anyhow::anyhow!("{name}: {}", e.message))?;
                waits.push(t.elapsed());
            }
        }
        // A person taps a few times a second.
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = started.elapsed();
    signing_in.join().map_err(|_| anyhow::anyhow!("the sign-in panicked"))?.map_err(|e| anyhow::anyhow!(e.message))?;
    waits.sort();
    let at = |q: f64| waits[((waits.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0;
    row(
        &format!(
            "app: tap to answer while a fresh tablet downloads the project ({} taps over {:.1} s: status, grid, open unit, result)",
            waits.len(),
            took.as_secs_f64()
        ),
        "p99 < 100 ms",
        format!("p50 {:.1} ms, p99 {:.1} ms, slowest {:.1} ms", at(0.5), at(0.99), at(1.0)),
    );
    Ok(())
}
