//! A deterministic harness: three tablets and a server in one process, the
//! network between them seeded to drop requests, lose answers, deliver twice
//! and replay stale requests late. Whatever happens, once the network is
//! good again every replica converges, and no defect or event is lost or
//! duplicated.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;
use walkthrough_client::sync::{ApiRequest, Method, SyncClient, Transport};
use walkthrough_client::Store;
use walkthrough_core::defect::*;
use walkthrough_core::model::Project;
use walkthrough_core::*;
use walkthrough_server::store::{SqliteStore, Store as _};

/// The real server's router, called in process.
struct InProcess {
    router: axum::Router,
    rt: tokio::runtime::Runtime,
}

impl InProcess {
    fn call(&self, req: &ApiRequest) -> (u16, Vec<u8>) {
        let method = match req.method {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
        };
        let mut b = axum::http::Request::builder().method(method).uri(format!("/api/v1{}", req.path));
        if let Some(t) = &req.token {
            b = b.header("authorization", format!("Bearer {t}"));
        }
        if req.gzip_json {
            b = b.header("content-type", "application/json").header("content-encoding", "gzip");
        }
        let request = b.body(axum::body::Body::from(req.body.clone())).unwrap();
        self.rt.block_on(async {
            let resp = self.router.clone().oneshot(request).await.unwrap();
            let status = resp.status().as_u16();
            (status, axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap().to_vec())
        })
    }
}

/// The network, shared by all tablets.
struct Network {
    server: InProcess,
    faults: AtomicBool,
    rng: Mutex<u64>,
    /// Requests held back, to arrive later (out of order, or a second time).
    delayed: Mutex<Vec<ApiRequest>>,
}

impl Network {
    fn roll(&self) -> f64 {
        let mut s = self.rng.lock().unwrap();
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        (*s >> 11) as f64 / (1u64 << 53) as f64
    }

    fn deliver_delayed(&self, all: bool) {
        loop {
            let next = {
                let mut d = self.delayed.lock().unwrap();
                if d.is_empty() {
                    return;
                }
                let i = (self.roll() * d.len() as f64) as usize % d.len();
                d.remove(i)
            };
            let _ = self.server.call(&next);
            if !all {
                return;
            }
        }
    }
}

struct Link(Arc<Network>);

impl Transport for Link {
    fn call(&self, req: &ApiRequest) -> Result<(u16, Vec<u8>), String> {
        let net = &self.0;
        if !net.faults.load(Ordering::SeqCst) {
            return Ok(net.server.call(req));
        }
        if net.roll() < 0.2 {
            net.deliver_delayed(false);
        }
        let r = net.roll();
        if r < 0.12 {
            return Err("request lost".into());
        }
        if r < 0.22 {
            // Stuck in the network: it will arrive later, after newer ones.
            net.delayed.lock().unwrap().push(req.clone());
            return Err("timed out".into());
        }
        let mut resp = net.server.call(req);
        if net.roll() < 0.15 {
            resp = net.server.call(req); // delivered twice
        }
        if net.roll() < 0.12 {
            return Err("answer lost".into());
        }
        Ok(resp)
    }
}

fn network(seed: u64, dir: &std::path::Path) -> (Arc<Network>, Arc<SqliteStore>) {
    let store = Arc::new(SqliteStore::open(&dir.join("server.sqlite")).unwrap());
    walkthrough_server::seed::import_project(store.as_ref(), &walkthrough_fixtures::demo_project(), "demo").unwrap();
    let state = walkthrough_server::AppState::new(store.clone(), walkthrough_server::config::Settings::default());
    let server = InProcess { router: walkthrough_server::router(state), rt: tokio::runtime::Runtime::new().unwrap() };
    let net = Network {
        server,
        faults: AtomicBool::new(false),
        rng: Mutex::new(seed * 7919 + 17),
        delayed: Mutex::default(),
    };
    (Arc::new(net), store)
}

fn new_defect(p: &Project, unit: &UnitId, n: u64, by: &str) -> Defect {
    let entry = &p.checklist(unit)[(n % 20) as usize];
    let at = time::parse("2026-07-21T09:00:00Z") + chrono::Duration::minutes(n as i64);
    let id = DefectId::from_parts(1_000 + n, [n as u8; 10]);
    let mut d = walkthrough_core::rules::draft_defect(p, unit, entry, id, &by.into(), at, RoundNo(1));
    d.description = format!("defect {n}");
    d
}

#[test]
fn replicas_converge_through_a_lossy_duplicating_reordering_network() {
    let project_id = ProjectId::new("hj-lanting");
    let units: Vec<UnitId> = ["B1-0101", "B1-0201", "B1-0301"].into_iter().map(UnitId::new).collect();
    let users = ["u-insp-li", "u-insp-liu", "u-insp-chen"];
    for seed in 1..=6u64 {
        let dir = tempfile::tempdir().unwrap();
        let (net, server_store) = network(seed, dir.path());
        let mut tablets: Vec<(Store, SyncClient)> = users
            .iter()
            .enumerate()
            .map(|(i, user)| {
                let mut store = Store::open(&dir.path().join(format!("t{i}.sqlite"))).unwrap();
                let mut client = SyncClient::with_transport(Box::new(Link(net.clone())));
                client.backoff = std::time::Duration::ZERO;
                client.attempts = 3;
                client.login(user, "demo").unwrap();
                client.sync(&mut store, &project_id, &mut |_| {}).unwrap();
                (store, client)
            })
            .collect();
        let project = tablets[0].0.project(&project_id).unwrap();
        net.faults.store(true, Ordering::SeqCst);

        let mut created: Vec<(UnitId, DefectId)> = Vec::new();
        let mut events = 0usize;
        for step in 0..60u64 {
            let who = (net.roll() * 3.0) as usize % 3;
            let (store, client) = &mut tablets[who];
            match (net.roll() * 4.0) as u32 {
                0 | 1 => {
                    let unit = &units[(net.roll() * 3.0) as usize % 3];
                    let d = new_defect(&project, unit, step, users[who]);
                    store.edit_unit(&project_id, unit, |doc| doc.add_defect(&d)).unwrap();
                    created.push((unit.clone(), d.id));
                }
                2 => {
                    // An event on a defect this tablet already knows.
                    let known: Vec<&(UnitId, DefectId)> = created
                        .iter()
                        .filter(|(u, id)| {
                            store.unit(&project_id, u).map(|r| r.defects.contains_key(id)).unwrap_or(false)
                        })
                        .collect();
                    if let Some((u, id)) = known.first().copied().cloned() {
                        let ev = DefectEvent {
                            id: EventId::from_parts(2_000 + step, [step as u8; 10]),
                            at: time::parse("2026-07-22T09:00:00Z") + chrono::Duration::minutes(step as i64),
                            device_at: None,
                            by: users[who].into(),
                            round: RoundNo(1),
                            kind: EventKind::Edited { field: "spot".into(), value: format!("step {step}") },
                        };
                        store.edit_unit(&project_id, &u, |doc| doc.add_event(id, &ev)).unwrap();
                        events += 1;
                    }
                }
                _ => {
                    // May fail: the tablet keeps its work and tries later.
                    let _ = client.sync(store, &project_id, &mut |_| {});
                }
            }
        }

        // The network heals; stale requests still arrive; everyone syncs.
        net.faults.store(false, Ordering::SeqCst);
        net.deliver_delayed(true);
        for _ in 0..2 {
            for (store, client) in tablets.iter_mut() {
                client.sync(store, &project_id, &mut |_| {}).unwrap();
            }
        }
        let records: Vec<Vec<_>> =
            tablets.iter_mut().map(|(s, _)| units.iter().map(|u| s.unit(&project_id, u).unwrap()).collect()).collect();
        assert_eq!(records[0], records[1], "seed {seed}");
        assert_eq!(records[1], records[2], "seed {seed}");
        let defects: usize = records[0].iter().map(|r| r.defects.len()).sum();
        assert_eq!(defects, created.len(), "seed {seed}: every defect exactly once");
        let edited: usize = records[0].iter().flat_map(|r| r.defects.values()).map(|d| d.events.len()).sum();
        assert_eq!(edited, events, "seed {seed}: every event exactly once");
        assert_eq!(
            server_store.defect_rows(&project_id).unwrap().len(),
            created.len(),
            "seed {seed}: server read model"
        );
    }
}
