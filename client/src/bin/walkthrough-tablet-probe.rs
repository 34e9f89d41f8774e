//! A test helper, not a product: a tablet process that records defects and
//! syncs in a loop, printing `committed N` after each committed edit and
//! `synced` after each completed sync, so that a test can kill it with
//! SIGKILL at any point and check what survived.
//!
//!   walkthrough-tablet-probe DB_PATH UNIT START COUNT [SERVER_URL USER]

use std::io::Write;
use walkthrough_client::sync::SyncClient;
use walkthrough_client::Store;
use walkthrough_core::doc::{DocKey, ProjectDoc};
use walkthrough_core::*;

fn main() -> anyhow::Result<()> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let (db, unit, start, count) = (&a[0], UnitId::new(&a[1]), a[2].parse::<u64>()?, a[3].parse::<u64>()?);
    let mut store = Store::open(std::path::Path::new(db))?;
    let project = walkthrough_fixtures::demo_project();
    let client = match (a.get(4), a.get(5)) {
        (Some(url), Some(user)) => {
            let mut c = SyncClient::new(url);
            c.login(user, "demo")?;
            c.sync(&mut store, &project.id, &mut |_| {})?;
            Some(c)
        }
        _ => {
            if !store.has_doc(&DocKey::Project(project.id.clone()))? {
                let mut doc = ProjectDoc::import(&project, &"probe".into(), time::parse("2026-07-01T00:00:00Z"))?;
                let heads = doc.heads();
                store.apply_remote(&DocKey::Project(project.id.clone()), &doc.save(), &heads)?;
            }
            None
        }
    };
    let entry = project.checklist(&unit)[0].clone();
    let out = std::io::stdout();
    for i in start..start + count {
        let at = time::parse("2026-07-21T09:00:00Z") + chrono::Duration::seconds(i as i64);
        let mut d = walkthrough_core::rules::draft_defect(
            &project,
            &unit,
            &entry,
            DefectId::from_parts(i, [7; 10]),
            &"u-insp-li".into(),
            at,
            RoundNo(1),
        );
        d.spot = format!("spot {i}");
        d.description = format!("defect {i}");
        store.edit_unit(&project.id, &unit, |doc| doc.add_defect(&d))?;
        writeln!(out.lock(), "committed {i}")?;
        if let Some(c) = &client {
            if i % 3 == 0 {
                c.sync(&mut store, &project.id, &mut |_| {})?;
                writeln!(out.lock(), "synced")?;
            }
        }
    }
    if let Some(c) = &client {
        c.sync(&mut store, &project.id, &mut |_| {})?;
        writeln!(out.lock(), "synced")?;
    }
    Ok(())
}
