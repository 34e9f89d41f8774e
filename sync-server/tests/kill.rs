//! The server killed with SIGKILL while tablets sync, restarted on the same
//! database: nothing it acknowledged is lost, and the next sync completes.

mod common;

use common::{free_port, SERVER};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use walkthrough_client::sync::SyncClient;
use walkthrough_client::Store;
use walkthrough_core::defect::Defect;
use walkthrough_core::*;

fn start(db: &std::path::Path, port: u16) -> Child {
    common::spawn(db, port, &[], Duration::from_secs(20))
}

fn defect(p: &walkthrough_core::model::Project, unit: &UnitId, n: u64) -> Defect {
    let entry = &p.checklist(unit)[0];
    let at = time::parse("2026-07-21T09:00:00Z");
    let mut d = walkthrough_core::rules::draft_defect(
        p,
        unit,
        entry,
        DefectId::from_parts(n, [3; 10]),
        &"u-insp-li".into(),
        at,
        RoundNo(1),
    );
    d.description = format!("defect {n}");
    d
}

#[test]
fn sigkill_of_the_server_mid_sync_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite");
    let status =
        Command::new(SERVER).arg("seed-demo").env("WALKTHROUGH_DATABASE", &db).stdout(Stdio::null()).status().unwrap();
    assert!(status.success());
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut server = start(&db, port);

    let mut store = Store::open(&dir.path().join("tablet.sqlite")).unwrap();
    let mut client = SyncClient::new(&url);
    client.attempts = 1;
    client.login("u-insp-li", "demo").unwrap();
    let pid = ProjectId::new("hj-lanting");
    client.sync(&mut store, &pid, &mut |_| {}).unwrap();
    let project = store.project(&pid).unwrap();
    let units: Vec<UnitId> = project.units.keys().take(40).cloned().collect();
    let mut n = 0;
    for round in 0..4 {
        // Work offline on many units, then sync while the server is killed.
        for u in &units {
            n += 1;
            let d = defect(&project, u, n);
            store.edit_unit(&pid, u, |doc| doc.add_defect(&d)).unwrap();
        }
        let killer = {
            let pid_to_kill = server.id();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(5 + 20 * round));
                // SIGKILL: no graceful shutdown.
                let _ = Command::new("kill").args(["-9", &pid_to_kill.to_string()]).status();
            })
        };
        let _ = client.sync(&mut store, &pid, &mut |_| {}); // may fail: the server died
        killer.join().unwrap();
        let _ = server.wait();
        server = start(&db, port);
        // The tablet's next sync completes.
        client.sync(&mut store, &pid, &mut |_| {}).unwrap();
        assert!(store.dirty_docs(&pid).unwrap().is_empty());
    }
    // A fresh tablet sees every defect exactly once.
    let mut fresh = Store::open(&dir.path().join("fresh.sqlite")).unwrap();
    client.sync(&mut fresh, &pid, &mut |_| {}).unwrap();
    let count: usize = units.iter().map(|u| fresh.unit(&pid, u).unwrap().defects.len()).sum();
    assert_eq!(count as u64, n);
    let _ = server.kill();
    let _ = server.wait();
}
