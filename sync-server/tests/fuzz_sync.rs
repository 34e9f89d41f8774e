//! Fuzz target (fixed budget, part of `cargo test`): sync requests as the
//! server decodes them, sent over HTTP to the server binary. Mutations of a
//! real exchange at each layer: the gzip stream, the JSON inside it, and the
//! Automerge change bytes inside the JSON (base64). Every request is
//! answered without a server error, and the server keeps serving.

mod common;

use common::*;
use std::io::Write;
use std::time::Duration;
use walkthrough_core::doc::{DocKey, UnitDoc};
use walkthrough_core::wire::{DocPush, ExchangeRequest, ManifestRequest};
use walkthrough_core::*;
use walkthrough_fixtures::mutate::{Case, Mutator};

const CASES: usize = 1_200;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// An inspector's real exchange: a new defect in a unit of the demo project.
fn exchange() -> ExchangeRequest {
    let p = walkthrough_fixtures::demo_project();
    let unit = p.units.keys().next().unwrap().clone();
    let entry = &p.checklist(&unit)[0];
    let at = time::parse("2026-07-21T09:00:00Z");
    let id = DefectId::from_parts(at.timestamp_millis() as u64, [7; 10]);
    let mut d = rules::draft_defect(&p, &unit, entry, id, &"u-insp-li".into(), at, RoundNo(1));
    d.description = "water stands by the drain".into();
    let mut doc = UnitDoc::genesis(&p.id, &unit);
    doc.set_actor(automerge::ActorId::from(b"fuzz-tablet".as_slice()));
    doc.add_defect(&d).unwrap();
    ExchangeRequest {
        project: p.id.clone(),
        docs: vec![DocPush { doc: DocKey::Unit(p.id.clone(), unit), have: vec![], changes: doc.save() }],
    }
}

#[test]
fn mutated_sync_requests_never_make_a_server_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo_server(dir.path());
    let url = &server.url;
    let http = {
        walkthrough_client::tls::install_default_provider();
        reqwest::blocking::Client::builder()
    }
    .timeout(Duration::from_secs(60))
    .build()
    .unwrap();
    let token = login(&http, url, "u-insp-li");
    let post = |path: &str, body: Vec<u8>| {
        http.post(format!("{url}{path}"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(body)
            .send()
    };
    let request = exchange();
    let json = serde_json::to_vec(&request).unwrap();
    let res = post("/sync/exchange", gzip(&json)).unwrap();
    assert_eq!(res.status().as_u16(), 200, "the seed exchange goes through: {}", res.text().unwrap());
    let manifest =
        serde_json::to_vec(&ManifestRequest { project: request.project.clone(), cursor: 0, device: None }).unwrap();

    let seed = 31;
    let mut m = Mutator::new(seed);
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for case in 0..CASES {
        let (path, body) = match case % 4 {
            0 => ("/sync/exchange", m.mutate(&gzip(&json))),
            1 => ("/sync/exchange", gzip(&m.mutate(&json))),
            2 => {
                let mut r = request.clone();
                r.docs[0].changes = m.mutate(&r.docs[0].changes);
                ("/sync/exchange", gzip(&serde_json::to_vec(&r).unwrap()))
            }
            _ => ("/sync/manifest", gzip(&m.mutate(&manifest))),
        };
        let _case = Case { target: path, seed, case, input: &body };
        let res = post(path, body.clone()).unwrap_or_else(|e| panic!("case {case}: the server did not answer ({e})"));
        let status = res.status().as_u16();
        *statuses.entry(status).or_default() += 1;
        assert!(status < 500, "case {case} ({path}): {status} {}", res.text().unwrap_or_default());
    }
    eprintln!("answers by status: {statuses:?}");
    assert!(statuses.len() > 1, "the mutations reached more than one outcome: {statuses:?}");
    assert!(server_alive(&http, url));
}
