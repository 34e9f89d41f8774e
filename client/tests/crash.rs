//! A tablet killed with SIGKILL at any moment, while writing or while
//! syncing, loses nothing it had committed, and its next sync completes.

mod common;
use common::TestServer;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use walkthrough_client::Store;
use walkthrough_core::*;
use walkthrough_server::store::Store as _;

const PROBE: &str = env!("CARGO_BIN_EXE_walkthrough-tablet-probe");

/// Run the probe and SIGKILL it after `kill_after` output lines; the defect
/// numbers it reported as committed.
fn run_and_kill(db: &std::path::Path, start: u64, kill_after: usize, server: Option<&str>) -> Vec<u64> {
    let mut cmd = Command::new(PROBE);
    cmd.arg(db).arg("B1-0101").arg(start.to_string()).arg("100000").stdout(Stdio::piped()).stderr(Stdio::null());
    if let Some(url) = server {
        cmd.arg(url).arg("u-insp-li");
    }
    let mut child = cmd.spawn().expect("the probe starts");
    let mut committed = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..kill_after {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(n) = line.strip_prefix("committed ") {
                    committed.push(n.parse().unwrap());
                }
            }
            _ => break,
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    committed
}

fn stored_numbers(db: &std::path::Path) -> BTreeSet<u64> {
    let mut store = Store::open(db).unwrap();
    let p = ProjectId::new("hj-lanting");
    let unit = UnitId::new("B1-0101");
    let rec = store.unit(&p, &unit).unwrap();
    // The read model and the document agree: they are one transaction.
    assert_eq!(store.defect_rows(&p, &unit).unwrap().len(), rec.defects.len());
    rec.defects.values().map(|d| d.description.trim_start_matches("defect ").parse().unwrap()).collect()
}

#[test]
fn sigkill_while_writing_loses_nothing_committed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tablet.sqlite");
    let mut start = 0;
    let mut all_committed = BTreeSet::new();
    for kill_after in [1, 4, 9, 2, 15, 6, 3] {
        let committed = run_and_kill(&db, start, kill_after, None);
        all_committed.extend(committed.iter().copied());
        let stored = stored_numbers(&db);
        assert!(all_committed.is_subset(&stored), "lost: {:?}", all_committed.difference(&stored).collect::<Vec<_>>());
        start = stored.iter().max().map_or(0, |m| m + 1);
    }
}

#[test]
fn sigkill_while_syncing_then_restart_completes_the_sync() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tablet.sqlite");
    let mut start = 0;
    let mut all_committed = BTreeSet::new();
    // Kill points land before, during and after syncs (the probe syncs
    // after every third edit and prints one line per edit and per sync).
    for kill_after in [2, 5, 7, 11, 4] {
        let committed = run_and_kill(&db, start, kill_after, Some(&server.url));
        all_committed.extend(committed.iter().copied());
        let stored = stored_numbers(&db);
        assert!(all_committed.is_subset(&stored));
        start = stored.iter().max().map_or(0, |m| m + 1);
    }
    // A clean run: sign in, sync, record one more, sync.
    let status = Command::new(PROBE)
        .arg(&db)
        .args(["B1-0101", &start.to_string(), "3"])
        .arg(&server.url)
        .arg("u-insp-li")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let stored = stored_numbers(&db);
    let on_server: BTreeSet<u64> = server
        .store
        .defect_rows(&ProjectId::new("hj-lanting"))
        .unwrap()
        .iter()
        .map(|r| stored_ids_to_numbers(r.id))
        .collect();
    let stored_ids: BTreeSet<u64> = stored.iter().copied().collect();
    assert_eq!(on_server, stored_ids, "the server has exactly what the tablet has, once");
}

/// The probe's defect ids carry their number as the UUIDv7 timestamp.
fn stored_ids_to_numbers(id: DefectId) -> u64 {
    let (secs, nanos) = id.0.get_timestamp().unwrap().to_unix();
    secs * 1000 + u64::from(nanos) / 1_000_000
}
