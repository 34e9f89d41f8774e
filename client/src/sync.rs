//! The sync client: a manifest first (unchanged documents cost nothing),
//! then one batched exchange for the documents that differ; gzip both ways;
//! retried with backoff; safe to repeat at any point, because applying a
//! change twice is a no-op and the cursor moves only after everything landed.

use crate::photos::{PhotoDir, Variant};
use crate::store::Store;
use automerge::ChangeHash;
use flate2::write::GzEncoder;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::io::Write;
use std::time::Duration;
use walkthrough_core::doc::DocKey;
use walkthrough_core::wire::*;
use walkthrough_core::*;

/// Documents per exchange request, and changes per request in bytes.
const BATCH_DOCS: usize = 500;
const BATCH_BYTES: usize = 8 * 1024 * 1024;
/// Documents looked at, and replies applied (one transaction), per turn
/// with the store: small, so a screen waiting for the store waits little.
const STORE_STEP: usize = 64;
const APPLY_STEP: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the server cannot be reached ({0}); your work is kept on this tablet and will sync later")]
    Offline(String),
    /// The server's certificate is not trusted (or the CA file given to
    /// trust it cannot be used): not retried, nothing sent, the tablet keeps
    /// its work. The sentence says which.
    #[error("{0}; nothing was sent and your work is kept on this tablet")]
    Certificate(String),
    #[error("{message}")]
    Rejected { status: u16, message: String },
    /// The CS center disabled this account: syncing stops at once, and the
    /// tablet keeps everything not yet synced.
    #[error(
        "this account has been disabled by the CS center, so this tablet cannot sync; \
         {unsynced} document(s) with unsynced work are kept on this tablet and nothing is deleted; \
         ask the CS center to enable the account again"
    )]
    AccountDisabled { unsynced: usize },
    #[error(transparent)]
    Store(#[from] crate::Error),
    #[error("the server's answer was not understood: {0}")]
    Protocol(String),
}

/// What a sync did, for the progress bar and the summary.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SyncReport {
    pub round_trips: u32,
    pub docs_sent: usize,
    pub docs_received: usize,
    pub bytes_up: usize,
    pub bytes_down: usize,
    pub photos_uploaded: usize,
    /// Documents the server refused, with its reason. They stay on the
    /// tablet, marked unsynced; everything else synced.
    pub rejected: Vec<(DocKey, String)>,
    /// The server's clock minus the device's, as measured by this sync.
    pub clock_offset_ms: Option<i64>,
}

/// A manifest round trip slower than this does not update the clock offset.
const MAX_CLOCK_ROUND_TRIP_SECS: i64 = 5;

/// Progress as documents (or photos) done out of a total.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub bytes: usize,
}

/// One request to the server API (`path` is after `/api/v1`).
#[derive(Clone, Debug)]
pub struct ApiRequest {
    pub method: Method,
    pub path: String,
    pub token: Option<String>,
    /// The body is gzip-compressed JSON.
    pub gzip_json: bool,
    pub body: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
}

/// How requests reach the server: HTTP in the product; tests put a
/// transport in between that drops, repeats and delays messages.
pub trait Transport: Send + Sync {
    /// The status and body, or why nothing came back.
    fn call(&self, req: &ApiRequest) -> Result<(u16, Vec<u8>), String>;

    /// The same, telling a server whose certificate is not trusted apart
    /// from one that cannot be reached. What the sync client uses.
    fn request(&self, req: &ApiRequest) -> Result<(u16, Vec<u8>), TransportError> {
        self.call(req).map_err(TransportError::Unreachable)
    }
}

/// Why a request got no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportError {
    /// The network or the server is down: worth trying again later.
    Unreachable(String),
    /// The server's certificate is not trusted, or the CA file cannot be
    /// used: trying again changes nothing. A whole sentence.
    Untrusted(String),
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransportError::Unreachable(m) | TransportError::Untrusted(m) => f.write_str(m),
        }
    }
}

/// The product's transport: HTTP or HTTPS with `reqwest` on rustls,
/// trusting the system's roots and an optional CA file.
pub struct HttpTransport {
    /// The client, or why it could not be made (a CA file that cannot be
    /// used), said on every request instead of panicking.
    http: Result<reqwest::blocking::Client, String>,
    base: String,
    /// What a person can do about a certificate of an authority not known
    /// here (where this program takes a company's CA).
    unknown_issuer_hint: String,
}

impl HttpTransport {
    /// Trusting the system's roots and the CA file named by
    /// `WALKTHROUGH_CA_FILE`, if set.
    pub fn new(base_url: &str) -> Self {
        Self::with_ca_file(base_url, crate::tls::ca_file_from_env().as_deref())
    }

    /// Trusting the system's roots and `ca_file` (a company's own
    /// certificate authority, PEM).
    pub fn with_ca_file(base_url: &str, ca_file: Option<&std::path::Path>) -> Self {
        let roots = crate::tls::ExtraRoots::file(ca_file);
        let mut t = Self::with_roots(base_url, &roots, crate::tls::CA_FILE_HINT);
        if ca_file.is_some() {
            t.http = t.http.map_err(|e| format!("{e} (the CA file is set with {})", crate::tls::CA_FILE_VAR));
        }
        t
    }

    /// Trusting the system's roots and `extra`; a certificate of an
    /// unknown authority is refused with `unknown_issuer_hint` (what the
    /// person can do about it, in this program).
    pub fn with_roots(base_url: &str, extra: &crate::tls::ExtraRoots, unknown_issuer_hint: &str) -> Self {
        let http = crate::tls::client_config_with(extra).and_then(|tls| {
            reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(120))
                .connect_timeout(Duration::from_secs(10))
                .tls_backend_preconfigured(tls)
                .build()
                .map_err(|e| format!("the HTTP client cannot be set up: {}", crate::tls::error_chain(&e)))
        });
        Self {
            http,
            base: base_url.trim_end_matches('/').to_owned(),
            unknown_issuer_hint: unknown_issuer_hint.to_owned(),
        }
    }
}

impl Transport for HttpTransport {
    fn call(&self, req: &ApiRequest) -> Result<(u16, Vec<u8>), String> {
        self.request(req).map_err(|e| e.to_string())
    }

    fn request(&self, req: &ApiRequest) -> Result<(u16, Vec<u8>), TransportError> {
        let http = self.http.as_ref().map_err(|e| TransportError::Untrusted(e.clone()))?;
        let url = format!("{}{API}{}", self.base, req.path);
        let mut r = match req.method {
            Method::Get => http.get(&url),
            Method::Post => http.post(&url),
            Method::Put => http.put(&url),
        };
        if let Some(t) = &req.token {
            r = r.bearer_auth(t);
        }
        if req.gzip_json {
            r = r
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(reqwest::header::CONTENT_ENCODING, "gzip");
        }
        if req.method != Method::Get {
            r = r.body(req.body.clone());
        }
        let failure = |e: reqwest::Error| failure(e, &self.unknown_issuer_hint);
        let resp = r.send().map_err(failure)?;
        let status = resp.status().as_u16();
        let body = resp.bytes().map_err(failure)?;
        Ok((status, body.to_vec()))
    }
}

/// A failed request in words: a certificate the tablet does not trust is
/// told apart from a server that cannot be reached.
fn failure(e: reqwest::Error, unknown_issuer_hint: &str) -> TransportError {
    match crate::tls::tls_failure_hinted(&e, unknown_issuer_hint) {
        Some(crate::tls::TlsFailure::Untrusted(why)) => {
            TransportError::Untrusted(format!("the server's certificate is not trusted: {why}"))
        }
        Some(crate::tls::TlsFailure::Handshake(why)) => TransportError::Unreachable(why),
        None => TransportError::Unreachable(crate::tls::error_chain(&e)),
    }
}

pub struct SyncClient {
    transport: Box<dyn Transport>,
    token: Option<String>,
    /// The device's clock, to measure its offset from the server's.
    clock: std::sync::Arc<dyn Fn() -> walkthrough_core::time::Time + Send + Sync>,
    /// Attempts per request when the network or the server fails.
    pub attempts: u32,
    pub backoff: Duration,
}

impl SyncClient {
    /// Over HTTP(S), trusting the system's roots and `WALKTHROUGH_CA_FILE`.
    pub fn new(base_url: &str) -> Self {
        Self::with_transport(Box::new(HttpTransport::new(base_url)))
    }

    /// Over HTTP(S), trusting the system's roots and `ca_file`.
    pub fn with_ca_file(base_url: &str, ca_file: Option<&std::path::Path>) -> Self {
        Self::with_transport(Box::new(HttpTransport::with_ca_file(base_url, ca_file)))
    }

    /// Over HTTP(S), trusting the system's roots and `extra` (see
    /// [`HttpTransport::with_roots`]).
    pub fn with_roots(base_url: &str, extra: &crate::tls::ExtraRoots, unknown_issuer_hint: &str) -> Self {
        Self::with_transport(Box::new(HttpTransport::with_roots(base_url, extra, unknown_issuer_hint)))
    }

    pub fn with_transport(transport: Box<dyn Transport>) -> Self {
        Self {
            transport,
            token: None,
            clock: std::sync::Arc::new(chrono::Utc::now),
            attempts: 5,
            backoff: Duration::from_millis(200),
        }
    }

    /// Measure the device clock's offset from the server's against `clock`
    /// (the device's own; tests give a skewed one).
    pub fn with_clock(mut self, clock: std::sync::Arc<dyn Fn() -> walkthrough_core::time::Time + Send + Sync>) -> Self {
        self.clock = clock;
        self
    }

    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    pub fn login(&mut self, username: &str, password: &str) -> Result<LoginResponse, SyncError> {
        let mut report = SyncReport::default();
        let resp: LoginResponse = self.post(
            "/auth/login",
            &LoginRequest { username: username.into(), password: password.into() },
            &mut report,
        )?;
        self.token = Some(resp.token.clone());
        Ok(resp)
    }

    /// Change the signed-in account's password (a temporary one must be
    /// changed before anything else); the server ends every other sign-in.
    pub fn change_password(&self, old_password: &str, new_password: &str) -> Result<LoginResponse, SyncError> {
        let mut report = SyncReport::default();
        self.post(
            "/auth/password",
            &ChangePasswordRequest { old_password: old_password.into(), new_password: new_password.into() },
            &mut report,
        )
    }

    /// End this sign-in on the server (the token stops working).
    pub fn logout(&mut self) -> Result<(), SyncError> {
        let mut report = SyncReport::default();
        let _: serde_json::Value = self.post("/auth/logout", &serde_json::json!({}), &mut report)?;
        self.token = None;
        Ok(())
    }

    /// Send with retries: network failures and 5xx are retried with
    /// exponential backoff; a 4xx is the server's considered answer.
    fn send(&self, mut req: ApiRequest, report: &mut SyncReport) -> Result<Vec<u8>, SyncError> {
        req.token = self.token.clone();
        let mut last = String::new();
        for attempt in 0..self.attempts.max(1) {
            if attempt > 0 {
                std::thread::sleep(self.backoff * 2u32.pow(attempt - 1));
            }
            let (status, body) = match self.transport.request(&req) {
                Ok(r) => r,
                Err(TransportError::Untrusted(why)) => return Err(SyncError::Certificate(why)),
                Err(TransportError::Unreachable(e)) => {
                    last = e;
                    continue;
                }
            };
            report.round_trips += 1;
            report.bytes_down += body.len();
            if status >= 500 {
                last = format!("server error {status}");
                continue;
            }
            if !(200..300).contains(&status) {
                let body = serde_json::from_slice::<ErrorBody>(&body).ok();
                if body.as_ref().and_then(|b| b.code.as_deref()) == Some(ACCOUNT_DISABLED) {
                    return Err(SyncError::AccountDisabled { unsynced: 0 });
                }
                let message =
                    body.map(|e| e.error).unwrap_or_else(|| format!("the server refused the request ({status})"));
                return Err(SyncError::Rejected { status, message });
            }
            return Ok(body);
        }
        Err(SyncError::Offline(last))
    }

    fn post<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        path: &str,
        body: &Req,
        report: &mut SyncReport,
    ) -> Result<Resp, SyncError> {
        let json = serde_json::to_vec(body).map_err(|e| SyncError::Protocol(e.to_string()))?;
        let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&json).map_err(|e| SyncError::Protocol(e.to_string()))?;
        let gz = gz.finish().map_err(|e| SyncError::Protocol(e.to_string()))?;
        report.bytes_up += gz.len();
        let req = ApiRequest { method: Method::Post, path: path.to_owned(), token: None, gzip_json: true, body: gz };
        let bytes = self.send(req, report)?;
        serde_json::from_slice(&bytes).map_err(|e| SyncError::Protocol(e.to_string()))
    }

    /// Bring the tablet and the server to the same state for `project`.
    pub fn sync(
        &self,
        store: &mut Store,
        project: &ProjectId,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<SyncReport, SyncError> {
        self.sync_shared(&Exclusive::new(store), project, progress)
    }

    /// The same, reaching the store only through `store`, briefly and
    /// never across a request: a tablet's screens keep using the store
    /// while the network is slow (see `crate::app::SharedApp`).
    pub fn sync_shared(
        &self,
        store: &impl StoreAccess,
        project: &ProjectId,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<SyncReport, SyncError> {
        match self.sync_once(store, project, progress) {
            Err(SyncError::AccountDisabled { .. }) => {
                Err(SyncError::AccountDisabled { unsynced: store.with_store(|s| s.dirty_docs(project))?.len() })
            }
            other => other,
        }
    }

    fn sync_once(
        &self,
        store: &impl StoreAccess,
        project: &ProjectId,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<SyncReport, SyncError> {
        let mut report = SyncReport::default();
        let cursor_key = format!("cursor:{project}");
        let cursor: u64 = store.with_store(|s| s.meta(&cursor_key))?.and_then(|c| c.parse().ok()).unwrap_or(0);
        let sent = (self.clock)();
        // Who is asking: this device's actor and name, so the server's
        // histories can say which device wrote what.
        let device = store.with_store(|s| -> Result<_, SyncError> {
            Ok(DeviceHello { actor: s.actor().to_hex_string(), name: s.device_name()? })
        })?;
        let request = ManifestRequest { project: project.clone(), cursor, device: Some(device) };
        let manifest: ManifestResponse = self.post("/sync/manifest", &request, &mut report)?;
        let received = (self.clock)();
        // The device clock's offset from the server's, taken at the middle
        // of the round trip; a slow one (retries) says too little to use.
        if manifest.server_time_ms > 0 && (received - sent).num_seconds() < MAX_CLOCK_ROUND_TRIP_SECS {
            let middle = sent + (received - sent) / 2;
            let offset = manifest.server_time_ms - middle.timestamp_millis();
            store.with_store(|s| s.set_clock_offset(offset, received))?;
            report.clock_offset_ms = Some(offset);
        }
        store.with_store(|s| s.set_device_names(&manifest.devices))?;
        if let Some(budget) = manifest.photo_budget_bytes {
            store.with_store(|s| s.set_meta(crate::offline::BUDGET_KEY, &budget.to_string()))?;
        }

        // The documents to exchange: ours with changes the server lacks, and
        // the server's whose heads differ from ours. The project document
        // goes first so that unit rows can be computed on arrival.
        let mut todo: Vec<(DocKey, Vec<ChangeHash>)> = Vec::new();
        for docs in manifest.docs.chunks(STORE_STEP) {
            store.with_store(|s| -> Result<(), SyncError> {
                for d in docs {
                    let server_heads: Vec<ChangeHash> = d.heads.iter().filter_map(|h| h.parse().ok()).collect();
                    let local = s.sync_info(&d.doc)?.map(|i| i.heads).unwrap_or_default();
                    if local != server_heads {
                        todo.push((d.doc.clone(), server_heads));
                    }
                }
                Ok(())
            })?;
        }
        store.with_store(|s| -> Result<(), SyncError> {
            for key in s.dirty_docs(project)? {
                if !todo.iter().any(|(k, _)| k == &key) {
                    let known = s.sync_info(&key)?.map(|i| i.server_heads).unwrap_or_default();
                    todo.push((key, known));
                }
            }
            Ok(())
        })?;
        todo.sort_by_key(|(k, _)| !matches!(k, DocKey::Project(_)));
        let total = todo.len();
        let mut done = 0;
        progress(Progress { done, total, bytes: report.bytes_up + report.bytes_down });

        let mut batch: Vec<DocPush> = Vec::new();
        let mut batch_bytes = 0;
        let mut iter = todo.into_iter().peekable();
        while let Some((key, server_heads)) = iter.next() {
            let push = store.with_store(|s| -> Result<DocPush, SyncError> {
                let info = s.sync_info(&key)?;
                let have = info.as_ref().map(|i| i.heads.clone()).unwrap_or_default();
                // Changes after the heads the server is known to have (all of it
                // if we cannot tell): sending too much is harmless, too little not.
                let dirty = info.is_some_and(|i| i.dirty);
                let changes = if dirty { s.changes_since(&key, &server_heads)? } else { Vec::new() };
                Ok(DocPush { doc: key, have: have.iter().map(|h| h.to_string()).collect(), changes })
            })?;
            batch_bytes += push.changes.len();
            report.docs_sent += usize::from(!push.changes.is_empty());
            batch.push(push);
            let full = batch.len() >= BATCH_DOCS || batch_bytes >= BATCH_BYTES;
            if full || iter.peek().is_none() {
                let req = ExchangeRequest { project: project.clone(), docs: std::mem::take(&mut batch) };
                batch_bytes = 0;
                let resp: ExchangeResponse = self.post("/sync/exchange", &req, &mut report)?;
                let mut accepted = Vec::with_capacity(resp.docs.len());
                for reply in resp.docs {
                    match reply.error {
                        Some(reason) => {
                            done += 1;
                            report.rejected.push((reply.doc, reason));
                        }
                        None => accepted.push(reply),
                    }
                }
                let replies: Vec<crate::store::RemoteReply> = accepted
                    .into_iter()
                    .map(|reply| crate::store::RemoteReply {
                        server_heads: reply.heads.iter().filter_map(|h| h.parse().ok()).collect(),
                        key: reply.doc,
                        changes: reply.changes,
                    })
                    .collect();
                report.docs_received += replies.iter().filter(|r| !r.changes.is_empty()).count();
                // A few documents per transaction: each is whole, and the
                // screens get the store between them.
                for group in replies.chunks(APPLY_STEP) {
                    store.with_store(|s| s.apply_replies(group))?;
                    done += group.len();
                    progress(Progress { done, total, bytes: report.bytes_up + report.bytes_down });
                }
            }
        }
        // Only now: a crash before this point repeats the exchange, harmlessly.
        store.with_store(|s| s.set_meta(&cursor_key, &manifest.cursor.to_string()))?;
        Ok(report)
    }

    /// Upload the photos the server does not have yet (PUT by hash: the
    /// server verifies the hash, and a repeat is harmless).
    pub fn upload_photos(
        &self,
        store: &Store,
        photos: &PhotoDir,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<SyncReport, SyncError> {
        self.upload_each(store.pending_photos()?, photos, &mut |h| store.mark_photo_uploaded(h), progress)
    }

    /// The same, reaching the store only between uploads.
    pub fn upload_photos_shared(
        &self,
        store: &impl StoreAccess,
        photos: &PhotoDir,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<SyncReport, SyncError> {
        let pending = store.with_store(|s| s.pending_photos())?;
        self.upload_each(pending, photos, &mut |h| store.with_store(|s| s.mark_photo_uploaded(h)), progress)
    }

    fn upload_each(
        &self,
        pending: Vec<PhotoHash>,
        photos: &PhotoDir,
        uploaded: &mut dyn FnMut(&PhotoHash) -> crate::Result<()>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<SyncReport, SyncError> {
        let mut report = SyncReport::default();
        let total = pending.len();
        for (i, hash) in pending.iter().enumerate() {
            let bytes = photos.read(hash, Variant::Original)?;
            report.bytes_up += bytes.len();
            let req = ApiRequest {
                method: Method::Put,
                path: format!("/blobs/{hash}"),
                token: None,
                gzip_json: false,
                body: bytes,
            };
            self.send(req, &mut report)?;
            uploaded(hash)?;
            report.photos_uploaded += 1;
            progress(Progress { done: i + 1, total, bytes: report.bytes_up });
        }
        Ok(report)
    }

    /// Fetch a photo (for a tablet that did not take it).
    pub fn download_photo(&self, photos: &PhotoDir, hash: &PhotoHash) -> Result<(), SyncError> {
        if photos.has(hash) {
            return Ok(());
        }
        let bytes = self.fetch_blob(hash, false)?;
        if &crate::photos::hash_bytes(&bytes) != hash {
            return Err(SyncError::Protocol(format!("photo {hash} arrived damaged")));
        }
        photos.ingest(&bytes)?;
        Ok(())
    }

    /// A blob's bytes from the server: the original, or (`preview`) the
    /// photo's screen preview. A 404 is `Rejected { status: 404 }`.
    pub fn fetch_blob(&self, hash: &PhotoHash, preview: bool) -> Result<Vec<u8>, SyncError> {
        let mut report = SyncReport::default();
        let path = if preview { format!("/blobs/{hash}?size=preview") } else { format!("/blobs/{hash}") };
        let req = ApiRequest { method: Method::Get, path, token: None, gzip_json: false, body: Vec::new() };
        self.send(req, &mut report)
    }
}

/// How the sync client reaches the tablet's store: in short turns, one per
/// step, and never while a request is on the network. A store owned
/// outright (`Exclusive`) and one shared with the app's screens (a lock
/// taken per turn) both qualify.
pub trait StoreAccess {
    fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T;
}

/// A store the caller holds for the whole sync.
pub struct Exclusive<'a>(std::cell::RefCell<&'a mut Store>);

impl<'a> Exclusive<'a> {
    pub fn new(store: &'a mut Store) -> Self {
        Self(std::cell::RefCell::new(store))
    }
}

impl StoreAccess for Exclusive<'_> {
    fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        f(&mut self.0.borrow_mut())
    }
}
