//! A database from before the report details existed: opening it adds the
//! tables and queues its projects, and the server derives their read model
//! again from the stored documents before it serves, so the report's
//! appendices and accepted risks have their words and photos. Nothing
//! stored is lost on the way.

use std::sync::Arc;
use walkthrough_core::*;
use walkthrough_server::report_store::ReportStore;
use walkthrough_server::store::{SqliteStore, Store};

/// Start the server on `store` and stop it at once: it derives queued read
/// models before it serves.
fn start_and_stop(store: &Arc<SqliteStore>) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let state = walkthrough_server::AppState::new(store.clone(), Default::default());
    rt.block_on(async {
        let server = tokio::spawn(walkthrough_server::serve(listener, state, async {}));
        server.await.unwrap().unwrap();
    });
}

#[test]
fn an_older_database_gets_its_report_details_derived_again_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.sqlite");
    let project = walkthrough_fixtures::demo_project();
    {
        let store = SqliteStore::open(&path).unwrap();
        walkthrough_server::seed::import_project(&store, &project, "demo").unwrap();
        let mut sim = walkthrough_fixtures::simulate::Simulation::new(&project, 3, Default::default());
        sim.play_round(RoundNo(1)).unwrap();
        walkthrough_server::seed::store_units(&store, &project, sim.units.iter_mut()).unwrap();
        assert!(!store.defect_details(&project.id, &|_| true).unwrap().is_empty());
    }
    // Take the database back to before migration 0005.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TABLE report_shares; DROP TABLE issued_reports; DROP TABLE blob_thumbs;
             DROP TABLE read_model_rebuild; DROP TABLE rm_defect_details;
             DELETE FROM migrations WHERE name = '0005_reports';",
        )
        .unwrap();
    }
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let defects_before = store.defect_rows(&project.id).unwrap();
    assert!(!defects_before.is_empty());
    assert!(store.defect_details(&project.id, &|_| true).unwrap().is_empty(), "the new table starts empty");
    assert_eq!(store.read_model_rebuilds().unwrap(), vec![project.id.clone()], "the project is queued");

    // The server derives it again before it answers.
    start_and_stop(&store);
    assert!(store.read_model_rebuilds().unwrap().is_empty(), "the queue is done");
    let details = store.defect_details(&project.id, &|_| true).unwrap();
    assert_eq!(details.len(), defects_before.len(), "one detail row per defect");
    assert!(details.iter().all(|d| !d.description.is_empty()), "descriptions are back");
    assert_eq!(store.defect_rows(&project.id).unwrap(), defects_before, "the figures are unchanged");
}

/// A database from before the contractor's page read the read model
/// (migration 0014): its projects are queued, and at start the server fills
/// the lists' column, the defects' photos and the rows' new fields, so each
/// contractor's list and photos are there without reading a document.
#[test]
fn an_older_database_gets_its_contractor_lists_derived_again_at_start() {
    use walkthrough_server::dispatch_store::DispatchStore;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.sqlite");
    let project = walkthrough_fixtures::demo_project();
    let photos: Vec<PhotoHash> = (0..4).map(|i| PhotoHash::new(format!("{i:x}").repeat(64))).collect();
    let listed = |store: &SqliteStore| {
        project
            .contractors
            .keys()
            .map(|c| {
                let mut rows = store.listed_rows(&project.id, c).unwrap();
                rows.sort_by_key(|(r, _)| r.id);
                (c.clone(), rows)
            })
            .filter(|(_, rows)| !rows.is_empty())
            .collect::<Vec<_>>()
    };
    let expected = {
        let store = SqliteStore::open(&path).unwrap();
        walkthrough_server::seed::import_project(&store, &project, "demo").unwrap();
        let behaviour = walkthrough_fixtures::simulate::Behaviour { photos, ..Default::default() };
        let mut sim = walkthrough_fixtures::simulate::Simulation::new(&project, 3, behaviour);
        sim.play_round(RoundNo(1)).unwrap();
        walkthrough_server::seed::store_units(&store, &project, sim.units.iter_mut()).unwrap();
        listed(&store)
    };
    assert!(!expected.is_empty(), "the simulation dispatched to contractors");
    let (contractor, rows) = &expected[0];
    let photo = rows.iter().find_map(|(_, d)| d.photos.first()).expect("a listed defect with a photo").hash.clone();
    // Take the database back to before migration 0014 (rows without the new fields).
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP INDEX rm_defects_listed; ALTER TABLE rm_defects DROP COLUMN listed_for;
             DROP TABLE rm_defect_photos;
             UPDATE rm_defects SET row = json_remove(row, '$.assigned', '$.responsible');
             UPDATE rm_defect_details SET row = json_remove(row, '$.fix_report', '$.evidence');
             DELETE FROM migrations WHERE name = '0014_contractor_page';",
        )
        .unwrap();
    }
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    assert!(listed(&store).is_empty(), "nothing listed before the rows are derived again");
    assert!(!store.listed_photo(&project.id, contractor, &photo).unwrap());
    assert_eq!(store.read_model_rebuilds().unwrap(), vec![project.id.clone()], "the project is queued");

    start_and_stop(&store);
    assert_eq!(listed(&store), expected, "every contractor's list as before");
    assert!(store.listed_photo(&project.id, contractor, &photo).unwrap());
}
