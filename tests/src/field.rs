//! What the dispatch tests share: a tablet (the real client store and sync
//! client) recording defects with marked photos, and the CS center's calls.

use std::path::Path;
use walkthrough_client::photos::PhotoDir;
use walkthrough_client::sync::SyncClient;
use walkthrough_client::Store;
use walkthrough_core::defect::*;
use walkthrough_core::model::*;
use walkthrough_core::*;

pub const PROJECT: &str = "hj-lanting";

pub fn project_id() -> ProjectId {
    ProjectId::new(PROJECT)
}

/// An inspector's tablet against `url`.
pub struct Tablet {
    pub store: Store,
    pub client: SyncClient,
    pub photos: PhotoDir,
    pub user: UserId,
    _dir: tempfile::TempDir,
}

impl Tablet {
    pub fn new(url: &str, user: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("tablet.sqlite")).unwrap();
        let photos = PhotoDir::new(dir.path().join("photos")).unwrap();
        let mut client = SyncClient::new(url);
        client.attempts = 2;
        client.login(user, "demo").unwrap();
        let mut t = Self { store, client, photos, user: user.into(), _dir: dir };
        t.sync();
        t
    }

    pub fn sync(&mut self) {
        self.client.sync(&mut self.store, &project_id(), &mut |_| {}).unwrap();
        self.client.upload_photos(&self.store, &self.photos, &mut |_| {}).unwrap();
    }

    pub fn project(&mut self) -> std::sync::Arc<Project> {
        self.store.project(&project_id()).unwrap()
    }

    /// Record a round-1 defect on the first checklist line of `unit` whose
    /// item belongs to `trade`, with `photo` (a file of fixtures/demo/photos)
    /// marked with a circle, an arrow and a label, and a floor-plan pin.
    pub fn record(&mut self, unit: &str, trade: &str, photo: Option<&str>, n: u8) -> Defect {
        let p = self.project();
        let unit = UnitId::new(unit);
        let checklist = p.checklist(&unit);
        let entry = checklist
            .iter()
            .find(|e| e.item.default_trade.as_str() == trade)
            .unwrap_or_else(|| panic!("{unit} has no checklist item of trade {trade}"));
        let now = chrono::Utc::now();
        let id = DefectId::from_parts(now.timestamp_millis() as u64, [n; 10]);
        let mut d = rules::draft_defect(&p, &unit, entry, id, &self.user, now, RoundNo(1));
        d.spot = format!("距地面 {n}0 cm 处");
        d.description = format!("{}：不合格（{n}）", entry.item.title.zh);
        d.pin = Some(Point { x: 0.3, y: 0.6 });
        if let Some(name) = photo {
            let bytes = std::fs::read(crate::root().join("fixtures/demo/photos").join(name)).unwrap();
            let ingested = self.photos.ingest(&bytes).unwrap();
            self.store.record_photo(&ingested).unwrap();
            let mut marks = std::collections::BTreeMap::new();
            for (i, shape) in [
                Shape::Circle { center: Point { x: 0.5, y: 0.5 }, radius: 0.1 },
                Shape::Arrow { from: Point { x: 0.1, y: 0.1 }, to: Point { x: 0.45, y: 0.45 } },
                Shape::Label { at: Point { x: 0.6, y: 0.3 }, text: "渗水".into() },
            ]
            .into_iter()
            .enumerate()
            {
                let mid = MarkId::from_parts(now.timestamp_millis() as u64, [n, i as u8, 0, 0, 0, 0, 0, 0, 0, 0]);
                marks.insert(mid, Mark { id: mid, shape });
            }
            d.photos.insert(
                ingested.hash.clone(),
                Photo { hash: ingested.hash.clone(), added_by: self.user.clone(), added_at: now, marks },
            );
        }
        self.store.edit_unit(&p.id, &unit, |doc| doc.add_defect(&d)).unwrap();
        d
    }

    pub fn defect(&mut self, unit: &UnitId, id: DefectId) -> Defect {
        self.store.unit(&project_id(), unit).unwrap().defects.remove(&id).expect("the defect is on the tablet")
    }

    /// A failed round-2 recheck of `d` ("仍有积水") by this tablet's
    /// inspector, giving the repair `new_deadline`; synced.
    pub fn fail_recheck(&mut self, d: &Defect, new_deadline: time::Time) {
        let recheck = DefectEvent {
            id: EventId::new_v7(),
            at: chrono::Utc::now(),
            device_at: None,
            by: self.user.clone(),
            round: RoundNo(2),
            kind: EventKind::Rechecked {
                passed: false,
                note: "仍有积水".into(),
                photo: None,
                new_deadline: Some(new_deadline),
            },
        };
        self.store.edit_unit(&project_id(), &d.unit, |doc| doc.add_event(d.id, &recheck)).unwrap();
        self.sync();
    }
}

/// A signed-in API user (the CS center, or anyone) over blocking HTTP.
pub struct Api {
    pub url: String,
    pub token: String,
    http: reqwest::blocking::Client,
}

impl Api {
    pub fn login(url: &str, user: &str) -> Self {
        let http = {
            walkthrough_client::tls::install_default_provider();
            reqwest::blocking::Client::new()
        };
        let res: serde_json::Value = http
            .post(format!("{url}/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": user, "password": "demo" }))
            .send()
            .unwrap()
            .json()
            .unwrap();
        Self { url: url.to_owned(), token: res["token"].as_str().expect("signed in").to_owned(), http }
    }

    /// (status, JSON body) of a request with the bearer token.
    pub fn call(&self, method: &str, path: &str, body: Option<serde_json::Value>) -> (u16, serde_json::Value) {
        let req =
            self.http.request(method.parse().unwrap(), format!("{}/api/v1{path}", self.url)).bearer_auth(&self.token);
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        let res = req.send().unwrap();
        let status = res.status().as_u16();
        (status, res.json().unwrap_or(serde_json::Value::Null))
    }

    /// A link for `contractor`; returns (id, path with the secret).
    pub fn link(&self, contractor: &str) -> (String, String) {
        let (status, v) = self.call(
            "POST",
            &format!("/projects/{PROJECT}/contractor-links"),
            Some(serde_json::json!({ "contractor": contractor })),
        );
        assert_eq!(status, 200, "{v}");
        (v["id"].as_str().unwrap().to_owned(), v["path"].as_str().unwrap().to_owned())
    }
}

/// A request as a contractor through the link secret in `path` (`…#k=SECRET`).
pub fn as_link(
    url: &str,
    path_with_secret: &str,
    method: &str,
    api_path: &str,
    body: Option<serde_json::Value>,
) -> (u16, String) {
    let secret = path_with_secret.rsplit_once("#k=").map(|(_, s)| s).unwrap_or(path_with_secret);
    let http = {
        walkthrough_client::tls::install_default_provider();
        reqwest::blocking::Client::new()
    };
    let req = http
        .request(method.parse().unwrap(), format!("{url}/api/v1/contractor{api_path}"))
        .header("x-walkthrough-link", secret);
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    let res = req.send().unwrap();
    (res.status().as_u16(), res.text().unwrap())
}

/// A demo photo's path, for a browser to upload.
pub fn demo_photo(name: &str) -> std::path::PathBuf {
    let p = crate::root().join("fixtures/demo/photos").join(name);
    assert!(Path::new(&p).exists());
    p
}

/// One HTTP/1.1 request as a test receiver reads it.
pub struct ReceivedRequest {
    /// The request line, e.g. `POST /hook HTTP/1.1`.
    pub line: String,
    /// The `Idempotency-Key` header (the delivery key), or empty.
    pub key: String,
    pub body: Vec<u8>,
}

/// Read a request from `reader` (request line, headers, `Content-Length` body).
pub fn read_request(reader: &mut impl std::io::BufRead) -> ReceivedRequest {
    let mut request = ReceivedRequest { line: String::new(), key: String::new(), body: Vec::new() };
    let _ = reader.read_line(&mut request.line);
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("idempotency-key:") {
            request.key = line[line.len() - v.len()..].trim().to_owned();
        }
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    request.body = vec![0; length];
    let _ = reader.read_exact(&mut request.body);
    request
}
